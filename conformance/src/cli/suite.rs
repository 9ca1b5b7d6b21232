//! `wasiport suite build|check`: the built-in suite from its sources.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use wasiport_conformance::build::{build_suite, tree, Toolchain};
use wasiport_conformance::{default_suite_dir, default_suite_src_dir};

use super::{exit, Failure};

#[derive(Subcommand)]
pub(crate) enum SuiteCommand {
    /// Compile the guests of suite-src into the suite directory (needs clang and wasi-libc).
    Build(DirArgs),
    /// Rebuild into a scratch directory and check it is byte for byte the committed suite.
    Check(DirArgs),
}

#[derive(Args)]
pub(crate) struct DirArgs {
    /// The sources (default: the built-in suite-src).
    #[arg(long, value_name = "DIR")]
    src: Option<PathBuf>,
    /// The built suite (default: the built-in suite).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn dirs(args: &DirArgs) -> (PathBuf, PathBuf) {
    (
        args.src.clone().unwrap_or_else(default_suite_src_dir),
        args.out.clone().unwrap_or_else(default_suite_dir),
    )
}

pub(crate) fn suite(command: SuiteCommand) -> Result<u8, Failure> {
    let fail =
        |e: wasiport_conformance::build::BuildError| Failure::new(exit::SOFTWARE, e.to_string());
    match command {
        SuiteCommand::Build(args) => {
            let (src, out) = dirs(&args);
            let n = build_suite(&src, &out, &Toolchain::default()).map_err(fail)?;
            println!("built {n} tests into {}", out.display());
            Ok(0)
        }
        SuiteCommand::Check(args) => {
            let (src, out) = dirs(&args);
            let scratch = tempfile::tempdir()
                .map_err(|e| Failure::new(exit::SOFTWARE, format!("a scratch directory: {e}")))?;
            build_suite(&src, scratch.path(), &Toolchain::default()).map_err(fail)?;
            let differences = compare(scratch.path(), &out).map_err(fail)?;
            if differences.is_empty() {
                println!("{} matches its sources", out.display());
                return Ok(0);
            }
            for d in &differences {
                println!("{d}");
            }
            Err(Failure::new(
                exit::DIFFER,
                format!(
                    "{} is stale: {} difference(s); run `wasiport suite build`",
                    out.display(),
                    differences.len()
                ),
            ))
        }
    }
}

/// One line per file that differs between two trees.
pub(crate) fn compare(
    fresh: &std::path::Path,
    committed: &std::path::Path,
) -> Result<Vec<String>, wasiport_conformance::build::BuildError> {
    let (a, b) = (tree(fresh)?, tree(committed)?);
    let mut out = Vec::new();
    for path in &a {
        if !b.contains(path) {
            out.push(format!("missing: {}", path.display()));
        }
    }
    for path in &b {
        if !a.contains(path) {
            out.push(format!("not built from any source: {}", path.display()));
        }
    }
    for path in a.iter().filter(|p| b.contains(p)) {
        let read = |root: &std::path::Path| {
            let full = root.join(path);
            match std::fs::read_link(&full) {
                Ok(target) => Some(target.into_os_string().into_encoded_bytes()),
                Err(_) => std::fs::read(&full).ok(),
            }
        };
        if read(fresh) != read(committed) {
            out.push(format!("differs: {}", path.display()));
        }
    }
    Ok(out)
}
