;;! {"features": ["limits:fuel"], "limits": {"fuel": 1000000000}}
;;! {"mandated": "wasiport RunConfig::fuel: a budget limits the work a guest does and nothing else: a guest that needs less (a loop of 1000 iterations against 10^9 units) runs to its end"}
;; Sums 1..1000 and exits 0 if the sum is right.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $i i32) (local $sum i32)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $sum (i32.add (local.get $sum) (local.get $i)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000))))
    (call $exit (i32.ne (local.get $sum) (i32.const 500500)))))
