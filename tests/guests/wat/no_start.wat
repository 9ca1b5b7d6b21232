;; A reactor-like module without `_start`.
(module (memory (export "memory") 1)
  (func (export "work")))
