;; Grows memory by 32 pages (2 MiB) from 1 page and exits 0 if memory.grow returned -1
;; (refused), 1 if it succeeded.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (if (i32.eq (memory.grow (i32.const 32)) (i32.const -1))
      (then (call $exit (i32.const 0)))
      (else (call $exit (i32.const 1))))))
