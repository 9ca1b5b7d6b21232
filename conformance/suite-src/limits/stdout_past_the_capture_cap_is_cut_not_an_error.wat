;;! {"features": ["limits:output", "fd_write"], "limits": {"stdout_bytes": 10}, "stdout": "xxxxxxxxxx"}
;;! {"mandated": "witx fd_write: returns the number of bytes written, which the host accepted; wasiport OutputMode::Capture: writes past the capture limit still succeed for the guest, and only the first limit bytes are kept"}
;; Writes 100 000 bytes of 'x' to stdout in writes of 1000: exits 0 if every fd_write succeeded
;; and wrote all its bytes, 1 otherwise.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $i i32)
    ;; 1000 bytes of 'x' at 64, an iovec {64, 1000} at 0, the count written at 8.
    (loop $fill
      (i32.store8 (i32.add (i32.const 64) (local.get $i)) (i32.const 120))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 1000))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 1000))
    (local.set $i (i32.const 0))
    (loop $write
      (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $exit (i32.const 1))))
      (if (i32.ne (i32.load (i32.const 8)) (i32.const 1000)) (then (call $exit (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $write (i32.lt_u (local.get $i) (i32.const 100))))
    (call $exit (i32.const 0))))
