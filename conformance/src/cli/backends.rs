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

pub(crate) fn backends(args: BackendsArgs) -> Result<u8, Failure> {
    // The engines themselves; their portable-WASI targets are the same runtimes.
    let all = backends::select(&backends::NAMES.join(","))?;
    if args.json {
        let list: Vec<_> = all
            .iter()
            .map(|b| {
                json!({
                    "name": b.name(),
                    "built": true,
                    "runtime_version": b.runtime_version(),
                    "capabilities": b.capabilities().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                })
            })
            .chain(
                backends::NOT_BUILT
                    .iter()
                    .map(|(name, how)| json!({"name": name, "built": false, "how_to_build": how})),
            )
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for b in &all {
            println!(
                "{:<10} {:<8} {}",
                b.name(),
                b.runtime_version(),
                b.capabilities()
            );
        }
        for (name, how) in backends::NOT_BUILT {
            println!("{name:<10} {:<8} not built in: {how}", "-");
        }
    }
    Ok(0)
}
