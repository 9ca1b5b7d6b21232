;;! {"features": ["core:reference-types"]}
;;! {"mandated": "WebAssembly core spec 2.0, reference types and table instructions: a new table's elements are null, table.grow appends the given value, table.set/table.get write and read, ref.is_null tests null, call_indirect calls through the named table"}
;; A table of funcref grown at run time, a null check and an indirect call through it.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (type $ret (func (result i32)))
  (func $five (result i32) (i32.const 5))
  (elem declare func $five)
  (func (export "_start")
    (drop (table.grow $t (ref.null func) (i32.const 1)))
    (table.set $t (i32.const 1) (ref.func $five))
    (if (i32.eqz (ref.is_null (table.get $t (i32.const 0)))) (then (call $exit (i32.const 1))))
    (call $exit (i32.ne (call_indirect $t (type $ret) (i32.const 1)) (i32.const 5)))))
