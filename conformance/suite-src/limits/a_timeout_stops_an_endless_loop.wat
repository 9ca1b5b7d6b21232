;;! {"features": ["limits:timeout"], "limits": {"timeout_ms": 200}, "terminated": "timeout"}
;;! {"mandated": "WebAssembly core spec, appendix Implementation Limitations (Execution): a computation past an implementation's runtime limits may be terminated with an embedder-specific error; wasiport RunConfig::timeout: a backend that declares Capability::Timeout ends a run past its wall-clock limit as Termination::Timeout, even one that never calls the host"}
;; Spins forever without calling the host: only the timeout stops it.
(module (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
