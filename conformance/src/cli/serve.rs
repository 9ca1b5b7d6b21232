//! `wasiport serve`.

use std::net::{SocketAddr, TcpListener};

use clap::Args;
use wasiport::Shutdown;
use wasiport_conformance::backends;

use super::{exit, run, Failure};

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on (port 0: any free port; the line on stderr says which).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    addr: String,
    #[command(flatten)]
    run: run::RunArgs,
}

/// Serves until SIGINT or SIGTERM, then exits 0 once the requests under way have ended. The
/// first line on stderr is `Serving HTTP on http://ADDR/`, as `wasmtime serve` says it, so a
/// caller that asked for port 0 learns the port.
pub(crate) fn serve(args: ServeArgs) -> Result<u8, Failure> {
    let run = &args.run;
    let wasm = run::read_module(&run.module)?;
    let backend = backends::by_name(&run.backend)?;
    let config = run::config(run, false)?;
    let cache = run.cache.cache()?;
    let module = cache.get_or_compile_for(backend.as_ref(), &wasm, config.limits())?;
    // What serving would refuse is refused before anything listens.
    wasiport::preflight::preflight_http_handler(
        backend.name(),
        backend.capabilities(),
        &module,
        &config,
    )?;
    let addr: SocketAddr = args.addr.parse().map_err(|e| {
        Failure::new(
            exit::USAGE,
            format!("bad --addr `{}`: {e} (expected HOST:PORT)", args.addr),
        )
    })?;
    let listener = TcpListener::bind(addr)
        .map_err(|e| Failure::new(exit::OS_ERROR, format!("--addr {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::new(exit::OS_ERROR, format!("--addr {addr}: {e}")))?;
    let shutdown = Shutdown::new();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, shutdown.flag().clone()).map_err(|e| {
            Failure::new(
                exit::OS_ERROR,
                format!("cannot handle signal {signal}: {e}"),
            )
        })?;
    }
    eprintln!("Serving HTTP on http://{bound}/");
    let summary = backend.serve_http(&module, &config, listener, &shutdown)?;
    eprintln!(
        "wasiport: {}: served {} requests ({} failed)",
        backend.name(),
        summary.requests,
        summary.failed
    );
    Ok(0)
}
