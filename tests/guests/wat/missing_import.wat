;; Imports a function no backend provides.
(module
  (import "env" "host_log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $log (i32.const 1))))
