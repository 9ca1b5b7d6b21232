;; Calls the host functions the test defines once for every backend:
;;   env.add(40, 2), then env.upcase(16, 5) on "hello" in its memory, writes the result to
;;   stdout and exits with what add returned (42). With arguments, it first calls `env.fail`
;;   with their number (1, 2 or 3), which the host answers with an error, a read past the end
;;   of memory or a panic.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "upcase" (func $upcase (param i32 i32)))
  (import "env" "fail" (func $fail (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (func (export "_start") (local $sum i32)
    ;; argc - 1 (0 to 3) picks the path: 0 = the normal calls
    (drop (call $args (i32.const 32) (i32.const 36)))
    (if (i32.gt_u (i32.load (i32.const 32)) (i32.const 1))
      (then (call $fail (i32.sub (i32.load (i32.const 32)) (i32.const 1)))))
    (local.set $sum (call $add (i32.const 40) (i32.const 2)))
    (call $upcase (i32.const 16) (i32.const 5))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (local.get $sum))))
