;;! {"features": ["core:mvp", "proc_exit"]}
;;! {"mandated": "WebAssembly core spec 1.0, control and numeric instructions: loop with br_if repeats while i < 100 and i32.add accumulates, so the sum of 1..100 is 5050 and the module exits 0"}
;; The baseline every engine must run: a loop summing 1..100.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $i i32) (local $sum i32)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $sum (i32.add (local.get $sum) (local.get $i)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 100))))
    (call $exit (i32.ne (local.get $sum) (i32.const 5050)))))
