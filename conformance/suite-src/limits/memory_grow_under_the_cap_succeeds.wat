;;! {"features": ["limits:memory"], "limits": {"max_memory_bytes": 67108864}}
;;! {"mandated": "wasiport RunConfig::max_memory_bytes: a cap refuses growth past it and nothing else; WebAssembly core spec 4.4.7 memory.grow: a growth that succeeds returns the old size in pages, and the new pages are zero"}
;; Grows memory by 32 pages (2 MiB) under a 64 MiB cap: exits 0 if memory.grow returned the old
;; size and the last new byte was zero and is writable, 1 otherwise. (The size is read, not
;; assumed: run as a component, the preview-1 adapter grows the memory before _start.)
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $before i32) (local $last i32)
    (local.set $before (memory.size))
    (if (i32.ne (memory.grow (i32.const 32)) (local.get $before)) (then (call $exit (i32.const 1))))
    (local.set $last
      (i32.sub (i32.mul (i32.add (local.get $before) (i32.const 32)) (i32.const 65536)) (i32.const 1)))
    (if (i32.ne (i32.load8_u (local.get $last)) (i32.const 0)) (then (call $exit (i32.const 1))))
    (i32.store8 (local.get $last) (i32.const 7))
    (call $exit (i32.ne (i32.load8_u (local.get $last)) (i32.const 7)))))
