;;! {"features": ["limits:stack"]}
;;! {"implementation_defined": {"why": "WebAssembly core spec, appendix Implementation Limitations (Execution): the number of frames on the stack may be limited, with no minimum given; 10 000 frames of one i32 each (what a modest recursive program needs) is expected to finish, a runtime with a smaller stack may trap", "also": ["trap"]}}
;; Recurses 10 000 deep, summing: exits 0 if the sum (10000*10001/2) is right, 1 otherwise.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $sum (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (local.get $n) (call $sum (i32.sub (local.get $n) (i32.const 1)))))))
  (func (export "_start")
    (call $exit (i32.ne (call $sum (i32.const 10000)) (i32.const 50005000)))))
