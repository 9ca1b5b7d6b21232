;; A command that exports no linear memory: the WASI application ABI requires `memory`.
(module
  (func (export "_start")))
