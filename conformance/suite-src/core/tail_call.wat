;;! {"features": ["core:tail-call"]}
;;! {"mandated": "WebAssembly core spec 3.0, tail calls: return_call pops the caller's frame as return does before calling (tail-call proposal Overview, Execution), so a million-deep countdown needs no stack growth and returns 0"}
;; A million-deep countdown by return_call: without tail calls it would exhaust the stack.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $count (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (return_call $count (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "_start")
    (call $exit (call $count (i32.const 1000000)))))
