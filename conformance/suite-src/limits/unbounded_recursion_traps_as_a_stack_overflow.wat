;;! {"features": ["limits:stack"], "terminated": "trap:stack_overflow"}
;;! {"implementation_defined": {"why": "WebAssembly core spec, appendix Implementation Limitations (Execution): the number of frames on the stack may be limited, and a computation past it may be terminated with an embedder-specific error: that the run ends (never the host) is what a runtime must do; a trap named a stack overflow is preferred, a trap of another kind is allowed", "also": ["trap"]}}
;; Recurses without end: the call stack runs out.
(module (memory (export "memory") 1)
  (func $f (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1)))
  (func (export "_start") (drop (call $f (i32.const 0)))))
