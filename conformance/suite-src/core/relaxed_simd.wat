;;! {"features": ["core:relaxed-simd"]}
;;! {"mandated": "WebAssembly core spec 3.0, relaxed vector instructions: iNxM.relaxed_laneselect equals v128.bitselect where each mask lane is all ones or all zeros (relaxed-simd Overview), so lane 1, mask 0, takes b's 6"}
;; i32x4.relaxed_laneselect with an all-ones/all-zeros mask, whose result every implementation
;; must agree on.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $exit
      (i32.ne
        (i32x4.extract_lane 1
          (i32x4.relaxed_laneselect
            (v128.const i32x4 1 2 3 4)
            (v128.const i32x4 5 6 7 8)
            (v128.const i32x4 -1 0 -1 0)))
        (i32.const 6)))))
