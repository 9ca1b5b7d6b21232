;;! {"features": ["core:exceptions"]}
;;! {"mandated": "WebAssembly core spec 3.0, exception handling: throw creates an exception of the tag with its i32 argument, and try_table's catch for that tag branches to its label with the payload, so $caught yields 17 and the module exits 0"}
;; throw and try_table/catch of a tag carrying an i32.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (tag $oops (param i32))
  (func $thrower (throw $oops (i32.const 17)))
  (func (export "_start")
    (block $caught (result i32)
      (try_table (catch $oops $caught) (call $thrower))
      (call $exit (i32.const 2))
      (unreachable))
    (call $exit (i32.ne (i32.const 17)))))
