;; Lengths near 4 GiB from a guest with one page of memory: the portable WASI must answer
;; EFAULT (21) without allocating them. Exits with random_get's errno * 100 + fd_write's.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $r i32)
    (local.set $r (call $random (i32.const 16) (i32.const -16)))
    ;; one iovec at 0: { buf: 0, len: 0xFFFFFFFF }
    (i32.store (i32.const 0) (i32.const 0))
    (i32.store (i32.const 4) (i32.const -1))
    (call $exit
      (i32.add
        (i32.mul (local.get $r) (i32.const 100))
        (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))))
