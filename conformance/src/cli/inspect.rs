//! `wasiport inspect`: what a module is, and which backends can run or call it.

use clap::Args;
use serde_json::json;
use wasiport::preflight::{preflight, preflight_instance};
use wasiport::{ModuleInfo, RunConfig};
use wasiport_conformance::backends;

use super::{exit, run, Failure};

#[derive(Args)]
pub(crate) struct InspectArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The module or component: binary WebAssembly or the text format.
    module: std::path::PathBuf,
}

/// What one target can do with a module (`run`, `call`), or why it can do neither.
type Verdict = Result<Vec<&'static str>, String>;

/// What each compiled-in target says of the module: whether `run` takes it as a command and
/// `call` as an instance (with a default configuration and no host functions), or why not.
fn verdicts(wasm: &[u8]) -> Result<Vec<(String, Verdict)>, Failure> {
    let config = RunConfig::default();
    let mut verdicts = Vec::new();
    for backend in backends::select("all")? {
        let verdict = match backend.compile(wasm) {
            Err(e) => Err(e.to_string()),
            Ok(module) => {
                let caps = backend.capabilities();
                let run = preflight(backend.name(), caps, &module, &config).map(|_| "run");
                let call =
                    preflight_instance(backend.name(), caps, &module, &config).map(|()| "call");
                match (run, call) {
                    (Err(run), Err(call)) => Err(format!("run: {run}; call: {call}")),
                    (run, call) => Ok(run.into_iter().chain(call).collect()),
                }
            }
        };
        verdicts.push((backend.name().to_string(), verdict));
    }
    Ok(verdicts)
}

pub(crate) fn inspect(args: InspectArgs) -> Result<u8, Failure> {
    let wasm = run::read_module(&args.module)?;
    let info = ModuleInfo::parse(&wasm)
        .map_err(|e| Failure::new(exit::DATA, format!("{}: {e}", args.module.display())))?;
    let imports: Vec<String> = info
        .imports()
        .iter()
        .map(|i| match &i.signature {
            Some(sig) => format!("{i} {sig}"),
            None => i.to_string(),
        })
        .collect();
    let functions: Vec<String> = info
        .exported_functions()
        .map(|(name, sig)| format!("{name} {sig}"))
        .collect();
    let memories: Vec<&str> = info.exported_memories().collect();
    let kind = match info.component() {
        Some(c) => format!(
            "component ({})",
            c.wasi_version()
                .map_or_else(|| "no WASI".to_string(), |v| v.to_string())
        ),
        None => "core module".to_string(),
    };
    let verdicts = verdicts(&wasm)?;
    if args.json {
        let backends: serde_json::Map<String, serde_json::Value> = verdicts
            .iter()
            .map(|(name, v)| {
                let value = match v {
                    Ok(ways) => json!({ "can": ways }),
                    Err(why) => json!({ "can": [], "why_not": why }),
                };
                (name.clone(), value)
            })
            .collect();
        println!(
            "{}",
            json!({
                "kind": kind,
                "imports": imports,
                "exported_functions": functions,
                "exported_memories": memories,
                "backends": backends,
            })
        );
        return Ok(0);
    }
    println!("{}: {kind}", args.module.display());
    for (title, lines) in [("imports", &imports), ("exported functions", &functions)] {
        println!("{title}:");
        for line in lines {
            println!("  {line}");
        }
    }
    println!("exported memories: {}", memories.join(", "));
    println!("backends:");
    for (name, verdict) in &verdicts {
        match verdict {
            Ok(ways) => println!("  {name:<17} {}", ways.join(", ")),
            Err(why) => println!("  {name:<17} no: {why}"),
        }
    }
    Ok(0)
}
