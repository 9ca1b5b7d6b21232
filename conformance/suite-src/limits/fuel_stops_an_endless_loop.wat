;;! {"features": ["limits:fuel"], "limits": {"fuel": 100000}, "terminated": "out_of_fuel"}
;;! {"mandated": "WebAssembly core spec, appendix Implementation Limitations (Execution): a computation past an implementation's runtime limits may be terminated with an embedder-specific error; wasiport RunConfig::fuel: a backend that declares Capability::Fuel ends the run as Termination::OutOfFuel when the budget is spent"}
;; Spins forever without calling the host: only the fuel budget stops it.
(module (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
