//! The runner's HTTP, as wasi-testsuite's runner does it: the upstream `servers` a spec names
//! (on loopback, each on a port of its own, its address given to the guest as
//! `HTTP_SERVER_<NAME>=127.0.0.1:PORT`), and the client of a `request` operation, whose
//! response is checked against the spec's (`status`, default 200; every `headers` entry there,
//! names in any case, values exact; `body` exact, default empty).
//!
//! An upstream server answers each request with the first of its endpoints
//! ([`crate::http_spec`], checked when the spec loaded) whose method and path match it exactly,
//! and anything else with 404 and no body. A `closed` server is an address nothing listens on.

use std::convert::Infallible;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;

use crate::http_spec::{Body, Endpoint, Mode};
use crate::spec::{Request, Server};

type ResponseBody = BoxBody<Bytes, Infallible>;

/// The upstream servers of one test, running until dropped, and the runtime the runner's
/// requests are made on.
pub struct Http {
    runtime: tokio::runtime::Runtime,
    env: Vec<(String, String)>,
}

impl Http {
    /// Starts `servers` (none is fine: the runtime is still there for requests).
    pub fn start(servers: &[Server]) -> Result<Http, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("the runner's HTTP runtime: {e}"))?;
        let mut env = Vec::new();
        for server in servers {
            let name = format!("HTTP_SERVER_{}", server.name.to_uppercase());
            let listener = TcpListener::bind("127.0.0.1:0")
                .map_err(|e| format!("server `{}`: {e}", server.name))?;
            let address = listener
                .local_addr()
                .map_err(|e| format!("server `{}`: {e}", server.name))?;
            env.push((name, address.to_string()));
            if server.closed {
                // The port was free a moment ago and nothing listens on it now.
                drop(listener);
                continue;
            }
            let endpoints = Arc::new(server.endpoints.clone());
            listener
                .set_nonblocking(true)
                .map_err(|e| format!("server `{}`: {e}", server.name))?;
            let _guard = runtime.enter();
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|e| format!("server `{}`: {e}", server.name))?;
            runtime.spawn(serve(listener, endpoints));
        }
        Ok(Http { runtime, env })
    }

    /// The guest's environment variables that name the servers.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Sends `request` to the guest's server at `authority` (`host:port`) and checks its
    /// response; the failure's message otherwise.
    pub fn request(
        &self,
        authority: &str,
        request: &Request,
        deadline: Instant,
    ) -> Result<(), String> {
        let expected = &request.response;
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let sent = self
            .runtime
            .block_on(async { tokio::time::timeout(left, send(authority, request)).await });
        let (status, headers, body) = match sent {
            Ok(response) => response?,
            Err(_) => return Err(format!("no response from {authority} in time")),
        };
        if status != expected.status {
            return Err(format!(
                "status {status}, expected {} (body {:?})",
                expected.status,
                String::from_utf8_lossy(&body)
            ));
        }
        for (name, value) in &expected.headers {
            match headers.get(name.as_str()) {
                None => return Err(format!("the response has no `{name}` header")),
                Some(got) if got.as_bytes() != value.as_bytes() => {
                    return Err(format!(
                        "header `{name}` is {:?}, expected {value:?}",
                        String::from_utf8_lossy(got.as_bytes())
                    ))
                }
                Some(_) => {}
            }
        }
        if body != expected.body.as_bytes() {
            return Err(format!(
                "body {:?}, expected {:?}",
                String::from_utf8_lossy(&body),
                expected.body
            ));
        }
        Ok(())
    }
}

/// One request to the guest, on a connection of its own: status, headers, whole body.
async fn send(
    authority: &str,
    request: &Request,
) -> Result<(u16, http::HeaderMap, Vec<u8>), String> {
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("connecting to {authority}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("{authority}: {e}"))?;
    tokio::spawn(connection);
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(request.path.as_str())
        .header(http::header::HOST, authority);
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let outgoing = builder
        .body(Full::new(Bytes::from(request.body.clone())))
        .map_err(|e| format!("the request: {e}"))?;
    let response = sender
        .send_request(outgoing)
        .await
        .map_err(|e| format!("{} {} on {authority}: {e}", request.method, request.path))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("the response body: {e}"))?
        .to_bytes()
        .to_vec();
    Ok((status, headers, body))
}

/// Accepts connections for as long as the runtime runs.
async fn serve(listener: tokio::net::TcpListener, endpoints: Arc<Vec<Endpoint>>) {
    while let Ok((stream, _)) = listener.accept().await {
        let endpoints = endpoints.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let endpoints = endpoints.clone();
                async move { Ok::<_, Infallible>(answer(&endpoints, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    endpoints: &[Endpoint],
    request: hyper::Request<Incoming>,
) -> hyper::Response<ResponseBody> {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let method = request.method().as_str().to_string();
    let head = request.method() == http::Method::HEAD;
    let Some(endpoint) = endpoints
        .iter()
        .find(|e| e.method == method && e.path == path)
    else {
        return whole(404, &[], Bytes::new(), head);
    };
    match &endpoint.mode {
        Mode::EchoBody => {
            let body = request
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            whole(200, &[], body, head)
        }
        Mode::EchoHeaders => {
            let mut headers = vec![
                ("x-request-method".to_string(), method.clone()),
                ("x-request-path".to_string(), path.clone()),
            ];
            for (name, value) in request.headers() {
                headers.push((
                    format!("x-echo-{}", name.as_str().to_lowercase()),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ));
            }
            whole(200, &headers, Bytes::new(), head)
        }
        Mode::Static {
            status,
            headers,
            body: Body::Whole(body),
        } => whole(*status, headers, Bytes::from(body.clone()), head),
        Mode::Static {
            status,
            headers,
            body: Body::Chunks(chunks, trailers),
        } => {
            let mut frames: Vec<Result<Frame<Bytes>, Infallible>> = chunks
                .iter()
                .map(|c| Ok(Frame::data(Bytes::from(c.clone()))))
                .collect();
            if !trailers.is_empty() {
                let mut map = http::HeaderMap::new();
                for (k, v) in trailers {
                    if let (Ok(k), Ok(v)) = (
                        http::HeaderName::from_bytes(k.as_bytes()),
                        http::HeaderValue::from_str(v),
                    ) {
                        map.append(k, v);
                    }
                }
                frames.push(Ok(Frame::trailers(map)));
            }
            let body = StreamBody::new(futures::stream::iter(frames)).boxed();
            response(*status, headers, body)
        }
    }
}

/// A response with its whole body (and its `Content-Length`; none sent for a HEAD).
fn whole(
    status: u16,
    headers: &[(String, String)],
    body: Bytes,
    head: bool,
) -> hyper::Response<ResponseBody> {
    let length = body.len();
    let body = if head { Bytes::new() } else { body };
    let mut response = response(status, headers, Full::new(body).boxed());
    response.headers_mut().insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(length),
    );
    response
}

fn response(
    status: u16,
    headers: &[(String, String)],
    body: ResponseBody,
) -> hyper::Response<ResponseBody> {
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            response.headers_mut().append(k, v);
        }
    }
    response
}
