;;! {"features": ["limits:memory"], "limits": {"max_memory_bytes": 1048576}}
;;! {"mandated": "WebAssembly core spec 4.4.7 memory.grow: growing may fail, and then the instruction returns -1 (not a trap); wasiport RunConfig::max_memory_bytes: past the cap (here 1 MiB) memory.grow fails"}
;; Grows memory by 32 pages (2 MiB): exits 0 if memory.grow returned -1 and the memory's size
;; is unchanged, 1 otherwise. (The size is read, not assumed: run as a component, the preview-1
;; adapter grows the module's memory for its own state before _start.)
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $before i32)
    (local.set $before (memory.size))
    (if (i32.ne (memory.grow (i32.const 32)) (i32.const -1)) (then (call $exit (i32.const 1))))
    (call $exit (i32.ne (memory.size) (local.get $before)))))
