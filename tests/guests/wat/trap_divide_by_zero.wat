(module (memory (export "memory") 1)
  (func $div (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "_start") (drop (call $div (i32.const 1) (i32.const 0)))))
