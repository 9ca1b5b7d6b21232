;;! {"features": ["core:bulk-memory"]}
;;! {"mandated": "WebAssembly core spec 2.0, bulk memory instructions: memory.fill sets n bytes from d to the value and memory.copy copies n bytes from s to d, so byte 215 (copied from 115) is 7 and the module exits 0"}
;; memory.fill and memory.copy, then a check of the copied bytes.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (memory.fill (i32.const 100) (i32.const 7) (i32.const 16))
    (memory.copy (i32.const 200) (i32.const 100) (i32.const 16))
    (call $exit (i32.ne (i32.load8_u (i32.const 215)) (i32.const 7)))))
