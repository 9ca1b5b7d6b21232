;;! {"features": ["core:memory64"]}
;;! {"mandated": "WebAssembly core spec 3.0, 64-bit address space: a memory may have address type i64, its loads and stores taking i64 addresses; multiple memories (also 3.0): loads and stores name their memory, so 9 stored at 65532 reads back"}
;; A 64-bit memory besides the exported 32-bit one, stored to and loaded from with i64 addresses.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (memory $m64 i64 1)
  (func (export "_start")
    (i32.store $m64 (i64.const 65532) (i32.const 9))
    (call $exit (i32.ne (i32.load $m64 (i64.const 65532)) (i32.const 9)))))
