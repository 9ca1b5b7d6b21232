;;! {"features": ["core:threads"]}
;; A shared memory and atomic read-modify-write (no threads are spawned).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 1 shared)
  (func (export "_start")
    (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 5)))
    (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 6)))
    (call $exit (i32.ne (i32.atomic.load (i32.const 8)) (i32.const 11)))))
