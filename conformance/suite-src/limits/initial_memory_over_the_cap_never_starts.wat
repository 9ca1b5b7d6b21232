;;! {"features": ["limits:memory"], "limits": {"max_memory_bytes": 1048576}, "terminated": "memory_limit"}
;;! {"mandated": "WebAssembly core spec, appendix Implementation Limitations (Execution): the size of a memory instance may be limited, and a limit may be checked at instantiation and reported then; wasiport RunConfig::max_memory_bytes: a module whose initial memory is over the cap never starts (Termination::MemoryLimit)"}
;; Starts with 64 pages (4 MiB) of memory, over a 1 MiB cap; _start would exit 1.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 64)
  (func (export "_start") (call $exit (i32.const 1))))
