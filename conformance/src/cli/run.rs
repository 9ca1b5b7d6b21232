//! `wasiport run`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use wasiport::{
    Backend, Capability, ModuleCache, Network, Outcome, OutputMode, Preopen, RunConfig, Stdin,
    Termination, WasiImpl,
};
use wasiport_conformance::{backends, report};

use super::{exit, Failure};

#[derive(Args)]
pub(crate) struct RunArgs {
    /// The backend to run on, or `all` to run on every compiled-in backend and compare.
    #[arg(long, short, default_value = "wasmtime")]
    pub(super) backend: String,
    /// Preopen a host directory: HOST, HOST::GUEST, with `:ro` at the end for read-only.
    #[arg(long = "dir", value_name = "HOST[::GUEST][:ro]")]
    dirs: Vec<String>,
    /// Set an environment variable for the guest.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    envs: Vec<String>,
    /// Feed this file to the guest's stdin; `-` is the host's stdin, read whole before the run
    /// with --json or --backend all (default: the host's stdin, or nothing with --json or
    /// --backend all).
    #[arg(long, value_name = "FILE")]
    stdin: Option<PathBuf>,
    /// Stop the guest after this many seconds of wall-clock time.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Stop the guest after this much fuel.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Cap the guest's linear memory at this many bytes.
    #[arg(long, value_name = "BYTES")]
    max_memory: Option<u64>,
    /// The WASI implementation: `native` (the runtime's own; the default where it has one) or
    /// `portable` (wasiport's, the same on every engine).
    #[arg(long, value_name = "native|portable")]
    wasi: Option<String>,
    /// The network a component's `wasi:sockets` may reach: `none` (the default) or `loopback`.
    #[arg(long, value_name = "none|loopback")]
    network: Option<String>,
    /// Record every WASI call (function, arguments, errno) and print the trace to stderr after
    /// the run (in the JSON with --json). Uses the portable WASI.
    #[arg(long)]
    trace: bool,
    /// Capture stdout and stderr and print one JSON object describing the outcome.
    #[arg(long)]
    pub(super) json: bool,
    /// Wrap a preview-1 module into a WASI 0.2 command component (the preview-1 adapter)
    /// and run that: a component host's WASI 0.2 under a preview-1 program.
    #[arg(long)]
    as_component: bool,
    #[command(flatten)]
    pub(super) cache: super::CacheArgs,
    /// The module: binary WebAssembly or the text format.
    pub(super) module: PathBuf,
    /// Arguments passed to the guest (for `call`: the function, then its arguments).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub(super) args: Vec<String>,
}

/// Parses `HOST[::GUEST][:ro|:rw]`.
fn parse_dir(spec: &str) -> Result<Preopen, Failure> {
    let (rest, read_only) = match spec.strip_suffix(":ro") {
        Some(rest) => (rest, true),
        None => (spec.strip_suffix(":rw").unwrap_or(spec), false),
    };
    let (host, guest) = match rest.split_once("::") {
        Some((host, guest)) => (host, guest),
        None => (rest, rest),
    };
    if host.is_empty() || guest.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            format!("bad --dir `{spec}`: expected HOST[::GUEST][:ro]"),
        ));
    }
    Ok(if read_only {
        Preopen::read_only(host, guest)
    } else {
        Preopen::read_write(host, guest)
    })
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::new(exit::NO_INPUT, format!("{}: {e}", path.display())))
}

pub(super) fn config(args: &RunArgs, capture: bool) -> Result<RunConfig, Failure> {
    config_with_args(args, &args.args, capture)
}

/// [`config`] with `guest_args` after the program name instead of the trailing arguments.
pub(super) fn config_with_args(
    args: &RunArgs,
    guest_args: &[String],
    capture: bool,
) -> Result<RunConfig, Failure> {
    let mut b = RunConfig::builder()
        .program_name(args.module.display().to_string())
        .args(guest_args.iter().cloned());
    for e in &args.envs {
        let (k, v) = e.split_once('=').ok_or_else(|| {
            Failure::new(exit::USAGE, format!("bad --env `{e}`: expected KEY=VALUE"))
        })?;
        b = b.env(k, v);
    }
    for d in &args.dirs {
        b = b.preopen(parse_dir(d)?);
    }
    b = b.stdin(match &args.stdin {
        Some(path) if path.as_os_str() == "-" && !capture => Stdin::Inherit,
        // Read once here, so that each backend of `--backend all` gets the same bytes.
        Some(path) if path.as_os_str() == "-" => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map_err(|e| {
                Failure::new(exit::NO_INPUT, format!("reading the host's stdin: {e}"))
            })?;
            Stdin::Bytes(bytes)
        }
        Some(path) => Stdin::Bytes(read_input(path)?),
        None if capture => Stdin::Empty,
        None => Stdin::Inherit,
    });
    let output = if capture {
        OutputMode::default()
    } else {
        OutputMode::Inherit
    };
    b = b.stdout(output).stderr(output);
    if let Some(secs) = args.timeout {
        let t = Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| {
                Failure::new(
                    exit::USAGE,
                    format!("bad --timeout `{secs}`: expected a positive number of seconds"),
                )
            })?;
        b = b.timeout(t);
    }
    if let Some(fuel) = args.fuel {
        b = b.fuel(fuel);
    }
    if let Some(bytes) = args.max_memory {
        b = b.max_memory_bytes(bytes);
    }
    if let Some(wasi) = &args.wasi {
        let wasi: WasiImpl = wasi
            .parse()
            .map_err(|e| Failure::new(exit::USAGE, format!("bad --wasi: {e}")))?;
        b = b.wasi(wasi);
    }
    if let Some(network) = &args.network {
        b = b.network(match network.as_str() {
            "none" => Network::None,
            "loopback" => Network::Loopback,
            other => {
                return Err(Failure::new(
                    exit::USAGE,
                    format!("bad --network `{other}`: expected none or loopback"),
                ))
            }
        });
    }
    Ok(b.trace(args.trace).build()?)
}

fn run_on(
    backend: &dyn Backend,
    cache: &ModuleCache,
    wasm: &[u8],
    config: &RunConfig,
) -> Result<Outcome, Failure> {
    // With the code the run's limits need (fuel metering, where a backend compiles it only on
    // demand), so a warm cache has it too.
    let module = cache.get_or_compile_for(backend, wasm, config.limits())?;
    Ok(backend.run(&module, config)?)
}

/// The process exit code for an outcome: the guest's own, or one of ours for other endings.
fn exit_code(outcome: &Outcome) -> u8 {
    termination_exit_code(&outcome.termination)
}

/// The process exit code for a guest's ending: its own code, or one of ours.
pub(super) fn termination_exit_code(termination: &Termination) -> u8 {
    match termination {
        // Exit codes are truncated to a byte, as a POSIX shell would see them.
        Termination::Exited(code) => *code as u8,
        Termination::Trap(_) => exit::TRAP,
        Termination::Timeout => exit::TIMEOUT,
        Termination::OutOfFuel => exit::OUT_OF_FUEL,
        Termination::MemoryLimit => exit::MEMORY_LIMIT,
    }
}

/// Reads MODULE: binary Wasm as it is (the backend judges it), anything else as the text
/// format, whose errors are folded into one line.
pub(super) fn read_module(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    let bytes = read_input(path)?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    wat::parse_bytes(&bytes)
        .map(|wasm| wasm.into_owned())
        .map_err(|mut e| {
            e.set_path(path);
            let text = e.to_string();
            let mut lines = text.lines().map(str::trim);
            let what = lines.next().unwrap_or("unreadable");
            let place = lines
                .find_map(|l| l.strip_prefix("--> "))
                .map(|at| format!(" (at {at})"))
                .unwrap_or_default();
            Failure::new(
                exit::DATA,
                format!(
                    "{}: not a WebAssembly module, binary or text: {what}{place}",
                    path.display()
                ),
            )
        })
}

pub(crate) fn run(args: RunArgs) -> Result<u8, Failure> {
    let mut wasm = read_module(&args.module)?;
    if args.as_component {
        wasm = wasiport::rewrite::preview1_to_component(&wasm).map_err(|e| {
            Failure::new(
                exit::DATA,
                format!("{}: --as-component: {e}", args.module.display()),
            )
        })?;
    }
    if args.backend == "all" {
        return run_all(&args, &wasm);
    }
    let backend = backends::by_name(&args.backend)?;
    // A backend with no host streams of its own (chromium) has its output captured and
    // written out after the run, and no stdin unless --stdin gives one.
    let relayed = !args.json && !backend.capabilities().contains(Capability::InheritOutput);
    let config = config(&args, args.json || relayed)?;
    let cache = args.cache.cache()?;
    let outcome = run_on(backend.as_ref(), &cache, &wasm, &config)?;
    if args.json {
        super::print_report(&format!(
            "{}\n",
            report::outcome_json(backend.as_ref(), &outcome)
        ))?;
        return Ok(0);
    }
    if relayed {
        use std::io::Write as _;
        // Where our own streams are closed there is nowhere to say so either.
        let _ = super::stdout::write_all(&outcome.stdout);
        let _ = std::io::stderr().write_all(&outcome.stderr);
    }
    for call in &outcome.trace {
        eprintln!("{call}");
    }
    if let Termination::Trap(_)
    | Termination::Timeout
    | Termination::OutOfFuel
    | Termination::MemoryLimit = outcome.termination
    {
        eprintln!(
            "wasiport: {}: guest {}",
            backend.name(),
            outcome.termination
        );
    }
    Ok(exit_code(&outcome))
}

fn run_all(args: &RunArgs, wasm: &[u8]) -> Result<u8, Failure> {
    let config = config(args, true)?;
    // With a WASI chosen (or a trace, which is the portable WASI's), each engine once; else
    // every target, the portable ones too.
    let all = if config.wasi().is_some() {
        let engines = backends::select(&backends::NAMES.join(","))?;
        engines
            .into_iter()
            .filter(|b| config.check_supported(b.name(), b.capabilities()).is_ok())
            .collect()
    } else {
        backends::select("all")?
    };
    let cache = args.cache.cache()?;
    let results: Vec<Result<Outcome, Failure>> = all
        .iter()
        .map(|backend| run_on(backend.as_ref(), &cache, wasm, &config))
        .collect();
    // The same failure everywhere (a malformed module, say) is the input's fault: one line.
    if let [Err(first), rest @ ..] = results.as_slice() {
        if rest
            .iter()
            .all(|r| matches!(r, Err(f) if f.code == first.code))
        {
            let message = all
                .iter()
                .zip(&results)
                .filter_map(|(_, r)| r.as_ref().err().map(|f| f.message.as_str()))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Failure::new(first.code, message));
        }
    }
    let mut diffs = Vec::new();
    for (backend, result) in all.iter().zip(&results) {
        if let Err(failure) = result {
            diffs.push(format!(
                "{}: could not run: {}",
                backend.name(),
                failure.message
            ));
        }
    }
    let named: Vec<(&str, &Outcome)> = all
        .iter()
        .zip(&results)
        .filter_map(|(b, r)| r.as_ref().ok().map(|o| (b.name(), o)))
        .collect();
    diffs.extend(report::differences(&named));
    if args.json {
        let runs: Vec<_> = all
            .iter()
            .zip(&results)
            .map(|(b, r)| match r {
                Ok(o) => report::outcome_json(b.as_ref(), o),
                Err(f) => serde_json::json!({
                    "backend": b.name(),
                    "runtime_version": b.runtime_version(),
                    "error": f.message,
                }),
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({ "runs": runs, "agree": diffs.is_empty(), "differences": diffs })
        );
    } else {
        for (b, r) in all.iter().zip(&results) {
            match r {
                Ok(o) => println!(
                    "{:<17} {:<30} stdout {} bytes, stderr {} bytes, {:.1} ms",
                    b.name(),
                    o.termination.to_string(),
                    o.stdout.len(),
                    o.stderr.len(),
                    o.elapsed.as_secs_f64() * 1000.0
                ),
                Err(f) => println!("{:<17} could not run: {}", b.name(), f.message),
            }
        }
        if diffs.is_empty() {
            println!("all {} backends agree", all.len());
        } else {
            println!("outcomes differ:");
            for d in &diffs {
                println!("  {d}");
            }
        }
    }
    Ok(if diffs.is_empty() { 0 } else { exit::DIFFER })
}

#[cfg(test)]
mod tests {
    use super::parse_dir;

    fn parsed(spec: &str) -> (String, String, bool) {
        let p = parse_dir(spec).unwrap_or_else(|f| panic!("{spec}: {}", f.message));
        (
            p.host_path().display().to_string(),
            p.guest_path().to_string(),
            p.is_read_only(),
        )
    }

    #[test]
    fn dir_specs_name_host_guest_and_access() {
        let own = |h: &str, g: &str, ro| (h.to_string(), g.to_string(), ro);
        assert_eq!(parsed("data"), own("data", "data", false));
        assert_eq!(parsed("data:ro"), own("data", "data", true));
        assert_eq!(parsed("./in::/input"), own("./in", "/input", false));
        assert_eq!(parsed("./in::/input:ro"), own("./in", "/input", true));
        assert_eq!(parsed("./in::/input:rw"), own("./in", "/input", false));
    }

    #[test]
    fn dir_specs_without_a_host_or_guest_are_refused() {
        for bad in ["", ":ro", "::/x", "host::", "host:::ro"] {
            assert!(parse_dir(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
