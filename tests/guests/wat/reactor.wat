;; A reactor for the instance tests: `_initialize` sets the counter to 100; each export is
;; called many times on one instance, its state kept between calls.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "env" "triple" (func $triple (param i32) (result i32)))
  (import "env" "boom" (func $boom))
  (memory (export "memory") 1)
  (global $counter (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $counter (i32.const 100)))
  ;; One function per value type.
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mul32") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "mul64") (param f64 f64) (result f64) (f64.mul (local.get 0) (local.get 1)))
  ;; Two results, no parameters.
  (func (export "pair") (result i32 i64) (i32.const 7) (i64.const -7))
  ;; State: 101, 102, ...
  (func (export "next") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter))
  ;; The sum of `len` bytes at `ptr`.
  (func (export "sum") (param $ptr i32) (param $len i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (local.get $s))
  ;; Writes `len` bytes at `ptr` to stdout (the iovec lives at 0..8, the count at 8).
  (func (export "say") (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
  ;; `n` turns of an empty loop: fuel in proportion to `n`.
  (func (export "work") (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))))
  (func (export "spin") (loop $forever (br $forever)))
  (func (export "trap") unreachable)
  (func (export "quit") (param i32) (call $exit (local.get 0)))
  (func (export "host_triple") (param i32) (result i32) (call $triple (local.get 0)))
  (func (export "host_boom") (call $boom)))
