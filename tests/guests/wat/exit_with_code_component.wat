;; A WASI 0.2 command component that exits with code 7 through 0.2.12's `exit-with-code`.
(component
  (import "wasi:cli/exit@0.2.12" (instance $exit
    (export "exit-with-code" (func (param "status-code" u8)))
  ))
  (core func $exit_with_code (canon lower (func $exit "exit-with-code")))
  (core module $m
    (import "host" "exit-with-code" (func $e (param i32)))
    (func (export "run") (result i32)
      (call $e (i32.const 7))
      (i32.const 0)))
  (core instance $i (instantiate $m (with "host" (instance (export "exit-with-code" (func $exit_with_code))))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_inst))
)
