(module (memory (export "memory") 1)
  (type $v (func))
  (table 1 funcref)
  (func (export "_start") (call_indirect (type $v) (i32.const 5))))
