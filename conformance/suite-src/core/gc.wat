;;! {"features": ["core:gc"]}
;;! {"mandated": "WebAssembly core spec 3.0, garbage collection: struct.new builds a struct from its field values, struct.set writes a mutable field and struct.get reads a field, so x=40 plus y=2 is 42"}
;; A GC struct allocated, written and read.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (type $point (struct (field $x (mut i32)) (field $y i32)))
  (func (export "_start")
    (local $p (ref null $point))
    (local.set $p (struct.new $point (i32.const 1) (i32.const 2)))
    (struct.set $point $x (local.get $p) (i32.const 40))
    (call $exit
      (i32.ne
        (i32.add (struct.get $point $x (local.get $p)) (struct.get $point $y (local.get $p)))
        (i32.const 42)))))
