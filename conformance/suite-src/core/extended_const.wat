;;! {"features": ["core:extended-const"]}
;;! {"mandated": "WebAssembly core spec 3.0, extended constant expressions: i32.add, i32.sub and i32.mul are constant instructions, so the global's initializer 6*7+0 is valid and evaluates to 42"}
;; A global initialized by a constant expression with i32.add and i32.mul.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $g i32 (i32.add (i32.mul (i32.const 6) (i32.const 7)) (i32.const 0)))
  (func (export "_start")
    (call $exit (i32.ne (global.get $g) (i32.const 42)))))
