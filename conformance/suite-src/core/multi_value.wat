;;! {"features": ["core:multi-value"]}
;;! {"mandated": "WebAssembly core spec 2.0, multiple values: function and block types may have several results, so $pair and the block leave 40 and 2 for i32.add (42)"}
;; A function and a block that return two values.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $pair (result i32 i32) (i32.const 40) (i32.const 2))
  (func (export "_start")
    (call $exit
      (i32.ne
        (i32.add (block (result i32 i32) (call $pair)))
        (i32.const 42)))))
