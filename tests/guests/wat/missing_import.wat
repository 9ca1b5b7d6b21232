;; Imports a host function no backend provides, a WASI function with the wrong signature and a
;; name that is not in WASI preview 1: all three must be reported, in order.
(module
  (import "env" "host_log" (func (param i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func (param i64) (result i32)))
  (import "wasi_snapshot_preview1" "no_such_call" (func))
  (memory (export "memory") 1)
  (func (export "_start")))
