//! Serving HTTP with a component's `wasi:http` handler, as `wasmtime serve` does: hyper
//! accepts HTTP/1.1 connections on the caller's listener, and each request gets a store and an
//! instance of its own, made with the run's configuration, whose handler answers it.
//!
//! A WASI 0.2 handler (`wasi:http/incoming-handler`) streams its response body as it writes
//! it. A WASI 0.3 one (`wasi:http/handler`) is answered once its body has ended: the store's
//! event loop, which produces the body, runs until then, so the response is sent whole.
//! Whatever goes wrong in a request (a trap, an `error-code`, no response, the run's timeout or
//! fuel) answers `500` with no body, the reason on the guest's stderr, and counts as failed;
//! the server goes on.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::stream::{FuturesUnordered, StreamExt};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use wasiport::output::OutputStreams;
use wasiport::watchdog::Watchdog;
use wasiport::{Error, RunConfig, ServeSummary, Shutdown};
use wasmtime::component::Linker;
use wasmtime::Store;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::WasiHttpView;

use crate::component::{Compiled, Handler, State};
use crate::limits::{Limited, RunLimits};
use crate::modules::Metering;
use crate::termination::TimedOut;
use crate::{internal, Wasmtime};

/// The bounds of the epoch ticker's period, a tenth of the run's timeout: how late past its
/// deadline a request that loops in Wasm code is stopped.
const TICK_MIN: Duration = Duration::from_millis(1);
const TICK_MAX: Duration = Duration::from_millis(50);

/// A response body of either handler's, as hyper sends it.
type Body = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// The handler, resolved against the asynchronous linker once for the whole server.
enum Pre {
    P2(ProxyPre<State>),
    P3(ServicePre<State>),
}

/// What every request of one server shares.
struct Server<'a> {
    backend: &'a Wasmtime,
    /// The concurrent engine, the handler's.
    engine: &'a wasmtime::Engine,
    config: &'a RunConfig,
    streams: OutputStreams,
    pre: Pre,
    requests: AtomicU64,
    failed: AtomicU64,
    /// Requests begun and not yet answered.
    in_flight: AtomicU64,
}

impl Wasmtime {
    /// [`Backend::serve_http`](wasiport::Backend::serve_http) of a compiled handler.
    pub(crate) fn serve(
        &self,
        native: &Compiled,
        config: &RunConfig,
        listener: TcpListener,
        shutdown: &Shutdown,
    ) -> Result<ServeSummary, Error> {
        // A handler is always compiled on the concurrent engine.
        if !native.concurrent {
            return Err(internal(
                "a wasi:http handler compiled on the engine without concurrency",
            ));
        }
        let concurrent = self.concurrent()?;
        let pre = match native.handler {
            Some(Handler::P2) => Pre::P2(
                resolve(&concurrent.p3_linker, native)
                    .and_then(ProxyPre::new)
                    .map_err(|e| missing(&e))?,
            ),
            Some(Handler::P3) => Pre::P3(
                resolve(&concurrent.p3_linker, native)
                    .and_then(ServicePre::new)
                    .map_err(|e| missing(&e))?,
            ),
            None => {
                return Err(internal(
                    "serve_http of a component with no wasi:http handler passed preflight",
                ))
            }
        };
        let server = Server {
            backend: self,
            engine: &concurrent.engine,
            config,
            streams: OutputStreams::new(config),
            pre,
            requests: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(internal)?;
        listener
            .set_nonblocking(true)
            .map_err(|e| listen_error(&e))?;
        // One epoch ticker for every request's deadline, not a thread per request: each
        // store's epoch callback checks its own deadline at every tick.
        let _ticker = match config.limits().timeout {
            Some(timeout) => {
                let period = (timeout / 10).clamp(TICK_MIN, TICK_MAX);
                let engine = concurrent.engine.clone();
                Some(
                    Watchdog::start_repeating(period, period, move || engine.increment_epoch())
                        .map_err(internal)?,
                )
            }
            None => None,
        };
        // The requests borrow the server: they run in this scope, on this runtime, and the
        // scope ends only when every connection has.
        runtime.block_on(server.accept(listener, shutdown))?;
        drop(runtime);
        server.streams.flush();
        let requests = server.requests.load(Ordering::SeqCst);
        let failed = server.failed.load(Ordering::SeqCst);
        Ok(ServeSummary {
            requests,
            failed,
            stdout: server.streams.stdout.take_captured().0,
            stderr: server.streams.stderr.take_captured().0,
        })
    }
}

fn resolve(
    linker: &Linker<State>,
    native: &Compiled,
) -> wasmtime::Result<wasmtime::component::InstancePre<State>> {
    linker.instantiate_pre(&native.component)
}

/// An import the linker lacks, or a handler of a shape wasmtime-wasi-http does not know.
fn missing(e: &wasmtime::Error) -> Error {
    Error::InvalidModule {
        backend: crate::NAME,
        message: format!("{e:#}"),
    }
}

fn listen_error(e: &std::io::Error) -> Error {
    internal(format!("the HTTP listener: {e}"))
}

impl Server<'_> {
    /// Accepts connections until `shutdown`, then lets the requests under way end (a
    /// connection kept alive with no request in it is closed).
    async fn accept(&self, listener: TcpListener, shutdown: &Shutdown) -> Result<(), Error> {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| listen_error(&e))?;
        // Connections are polled here, not spawned: they borrow the server.
        let mut connections = FuturesUnordered::new();
        while !shutdown.is_triggered() {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, _) = accepted.map_err(|e| listen_error(&e))?;
                    connections.push(self.connection(stream));
                }
                () = tokio::time::sleep(Shutdown::POLL_INTERVAL) => {}
                Some(()) = connections.next(), if !connections.is_empty() => {}
            }
        }
        drop(listener);
        while self.in_flight.load(Ordering::SeqCst) > 0 {
            tokio::select! {
                () = tokio::time::sleep(Shutdown::POLL_INTERVAL) => {}
                Some(()) = connections.next(), if !connections.is_empty() => {}
            }
        }
        Ok(())
    }

    /// Serves one connection's requests (HTTP/1.1, kept alive).
    async fn connection(&self, stream: tokio::net::TcpStream) {
        let service = hyper::service::service_fn(|request| self.answer(request));
        // A client that goes away mid-request is no failure of the guest's.
        let _ = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service)
            .await;
    }

    /// The guest's response to `request`, or `500` when it gave none.
    async fn answer(
        &self,
        request: hyper::Request<Incoming>,
    ) -> Result<hyper::Response<Body>, Infallible> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let handled = match self.config.limits().timeout {
            Some(limit) => match tokio::time::timeout(limit, self.handle(request)).await {
                Ok(handled) => handled,
                Err(_) => Err(TimedOut.into()),
            },
            None => self.handle(request).await,
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(handled.unwrap_or_else(|e| {
            self.failed.fetch_add(1, Ordering::SeqCst);
            // The reason goes to the server's stderr, as `wasmtime serve` says it; the client
            // gets the status alone.
            let mut stderr = self.streams.stderr.clone();
            let _ = writeln!(stderr, "wasmtime: a request failed: {e:#}");
            let mut response = hyper::Response::new(full(Bytes::new()));
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            response
        }))
    }

    /// A store and an instance for `request`, and the handler's response.
    async fn handle(
        &self,
        request: hyper::Request<Incoming>,
    ) -> wasmtime::Result<hyper::Response<Body>> {
        let wasi = Wasmtime::wasi_builder(self.config, &self.streams)
            .map_err(|e| wasmtime::Error::msg(e.to_string()))?
            .build();
        let state = State::new(wasi, RunLimits::new(self.config), self.config.network());
        let mut store = self
            .backend
            .store_without_watchdog(
                self.engine,
                Metering::FuelAndEpochs,
                self.config,
                state,
                Instant::now(),
            )
            .map_err(|e| wasmtime::Error::msg(e.to_string()))?;
        match &self.pre {
            Pre::P2(pre) => self.handle_p2(pre, store, request).await,
            Pre::P3(pre) => handle_p3(pre, &mut store, request).await,
        }
    }

    async fn handle_p2(
        &self,
        pre: &ProxyPre<State>,
        mut store: Store<State>,
        request: hyper::Request<Incoming>,
    ) -> wasmtime::Result<hyper::Response<Body>> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let request = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let proxy = pre.instantiate_async(&mut store).await?;
        store.data_mut().limits().start();
        // The handler may go on writing the body after it set the response: it runs beside
        // the response, which streams what it writes.
        let call = async move {
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, request, out)
                .await
        };
        let call = tokio::spawn(call);
        match receiver.await {
            Ok(Ok(response)) => Ok(response.map(|body| body.map_err(Into::into).boxed_unsync())),
            Ok(Err(code)) => Err(wasmtime::Error::msg(format!(
                "the handler answered {code:?}"
            ))),
            Err(_) => Err(match call.await {
                Ok(Ok(())) => wasmtime::Error::msg("the handler never set a response"),
                Ok(Err(e)) => e,
                Err(e) => wasmtime::Error::msg(e.to_string()),
            }),
        }
    }
}

async fn handle_p3(
    pre: &ServicePre<State>,
    store: &mut Store<State>,
    request: hyper::Request<Incoming>,
) -> wasmtime::Result<hyper::Response<Body>> {
    let service = pre.instantiate_async(&mut *store).await?;
    store.data_mut().limits().start();
    let (parts, body) = store
        .run_concurrent(async move |accessor| -> wasmtime::Result<_> {
            // The hooks only check the incoming headers here: wasmtime-wasi-http's defaults do
            // (the run's own hooks are for the guest's outgoing requests).
            let (request, request_io) = wasmtime_wasi_http::p3::Request::from_http(
                wasmtime_wasi_http::default_hooks(),
                request,
            );
            let response = service
                .handle(accessor, request)
                .await?
                .map_err(|code| wasmtime::Error::msg(format!("the handler answered {code:?}")))?;
            let response =
                accessor.with(|mut access| response.into_http(&mut access, request_io))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| wasmtime::Error::msg(format!("the response body: {e}")))?
                .to_bytes();
            Ok((parts, body))
        })
        .await??;
    Ok(hyper::Response::from_parts(parts, full(body)))
}

fn full(bytes: Bytes) -> Body {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}
