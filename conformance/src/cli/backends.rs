//! `wasiport backends`.

use clap::Args;
use serde_json::json;
use wasiport_conformance::backends;

use super::Failure;

#[derive(Args)]
pub(crate) struct BackendsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Why a backend did not start, without repeating that it is unavailable.
fn why_unavailable(e: backends::LookupError) -> String {
    match e {
        backends::LookupError::Failed(wasiport::Error::Unavailable { reason, .. }) => reason,
        other => other.to_string(),
    }
}

pub(crate) fn backends(args: BackendsArgs) -> Result<u8, Failure> {
    // The engines themselves; their portable-WASI targets are the same runtimes. A backend
    // whose engine is missing here (node, chromium) is listed with why.
    type Started = Result<Box<dyn wasiport::Backend>, String>;
    let all: Vec<(&str, Started)> = backends::NAMES
        .iter()
        .map(|name| (*name, backends::by_name(name).map_err(why_unavailable)))
        .collect();
    if args.json {
        let list: Vec<_> = all
            .iter()
            .map(|(name, b)| match b {
                Ok(b) => json!({
                    "name": b.name(),
                    "built": true,
                    "available": true,
                    "runtime_version": b.runtime_version(),
                    "capabilities": b.capabilities().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                    "component_capabilities": b.component_capabilities().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                }),
                Err(why) => json!({"name": name, "built": true, "available": false, "why": why}),
            })
            .chain(
                backends::NOT_BUILT
                    .iter()
                    .map(|(name, how)| json!({"name": name, "built": false, "how_to_build": how})),
            )
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for (name, b) in &all {
            match b {
                Ok(b) => {
                    println!(
                        "{:<10} {:<8} {}",
                        b.name(),
                        b.runtime_version(),
                        b.capabilities()
                    );
                    // What a component's run does not get of a module's, where that differs.
                    let without: Vec<&str> = b
                        .capabilities()
                        .iter()
                        .filter(|c| !b.component_capabilities().contains(*c))
                        .map(|c| c.as_str())
                        .collect();
                    if b.capabilities().contains(wasiport::Capability::Components)
                        && !without.is_empty()
                    {
                        println!("{:<19} components without: {}", "", without.join(", "));
                    }
                }
                Err(why) => println!("{name:<10} {:<8} unavailable: {why}", "-"),
            }
        }
        for (name, how) in backends::NOT_BUILT {
            println!("{name:<10} {:<8} not built in: {how}", "-");
        }
    }
    Ok(0)
}
