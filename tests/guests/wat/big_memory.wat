;; Starts with 64 pages (4 MiB) of memory.
(module (memory (export "memory") 64)
  (func (export "_start")))
