;;! {"features": ["core:simd"]}
;;! {"mandated": "WebAssembly core spec 2.0, vector instructions: i32x4.add adds lane-wise and i32x4.extract_lane 2 reads lane 2, so 3+30 is 33"}
;; i32x4.add and a lane extract.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $exit
      (i32.ne
        (i32x4.extract_lane 2
          (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40)))
        (i32.const 33)))))
