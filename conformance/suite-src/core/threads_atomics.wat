;;! {"features": ["core:threads"]}
;;! {"mandated": "WebAssembly threads proposal (Overview; not in core 3.0): a memory may be shared, i32.atomic.rmw.add atomically adds and returns the old value, i32.atomic.load reads 4 bytes, so 0+5+6 reads back 11"}
;; A shared memory and atomic read-modify-write (no threads are spawned).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 1 shared)
  (func (export "_start")
    (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 5)))
    (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 6)))
    (call $exit (i32.ne (i32.atomic.load (i32.const 8)) (i32.const 11)))))
