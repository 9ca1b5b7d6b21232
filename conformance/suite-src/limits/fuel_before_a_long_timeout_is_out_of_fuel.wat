;;! {"features": ["limits:fuel", "limits:timeout"], "limits": {"fuel": 100000, "timeout_ms": 60000}, "terminated": "out_of_fuel"}
;;! {"mandated": "WebAssembly core spec, appendix Implementation Limitations (Execution): a computation past an implementation's runtime limits may be terminated with an embedder-specific error; wasiport RunConfig: each limit set is enforced, and the run ends at the first one reached (100000 units of fuel long before 60 s)"}
;; Spins forever; the fuel runs out long before the timeout would.
(module (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
