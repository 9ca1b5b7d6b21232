// wasi:http 0.2: a `wasi:http/proxy` handler the runner sends requests to (served by
// `wasiport serve`, an instance per request), and the handler's own outgoing requests to the
// runner's upstream servers. The routes:
//   GET  /                 200, text/plain, "hello from the handler\n"
//   POST /echo             200, the request's body back, application/octet-stream
//   GET  /reflect-header   200, `x-echoed` = the request's `x-echo`
//   GET  /fetch            the body of POST /echo-body "ping" on HTTP_SERVER_MAIN, 200
//   GET  /fetch-closed     the error of a request to HTTP_SERVER_DEAD (nothing listens), 200
//   GET  /trap             a trap: the server answers 500 and goes on
//   GET  /spin             a loop that never ends: stopped at the server's timeout, 500
//   GET  /argv             the instance's arguments after the program's, space-separated
//   anything else          404 (405 for another method on a known path), empty
//! * {"world": "wasi:http/proxy", "proposals": ["http"]}
//! service_answers_a_get {"operations": [{"type": "run"}, {"type": "request", "response": {"status": 200, "headers": {"Content-Type": "text/plain"}, "body": "hello from the handler\n"}}, {"type": "request", "path": "/nowhere", "response": {"status": 404}}, {"type": "request", "method": "POST", "path": "/", "response": {"status": 405}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! service_echoes_a_request_body {"operations": [{"type": "run"}, {"type": "request", "method": "POST", "path": "/echo", "body": "hello, echo", "response": {"status": 200, "headers": {"content-type": "application/octet-stream"}, "body": "hello, echo"}}, {"type": "request", "method": "POST", "path": "/echo", "response": {"status": 200}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! service_reads_request_headers {"operations": [{"type": "run"}, {"type": "request", "path": "/reflect-header", "headers": {"x-echo": "ping"}, "response": {"status": 200, "headers": {"x-echoed": "ping"}}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! service_gets_the_runs_arguments {"operations": [{"type": "run", "args": ["service_gets_the_runs_arguments", "one", "two"]}, {"type": "request", "path": "/argv", "response": {"status": 200, "body": "service_gets_the_runs_arguments one two"}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! service_answers_500_for_a_trap_and_goes_on {"operations": [{"type": "run"}, {"type": "request", "path": "/trap", "response": {"status": 500}}, {"type": "request", "response": {"status": 200, "body": "hello from the handler\n"}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! outgoing_request_reaches_an_upstream_server {"network": "loopback", "servers": [{"name": "main", "endpoints": [{"method": "POST", "path": "/echo-body", "mode": "echo-body"}]}], "operations": [{"type": "run"}, {"type": "request", "path": "/fetch", "response": {"status": 200, "body": "ping"}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! outgoing_request_without_a_grant_is_denied {"servers": [{"name": "main", "endpoints": [{"method": "POST", "path": "/echo-body", "mode": "echo-body"}]}], "operations": [{"type": "run"}, {"type": "request", "path": "/fetch", "response": {"status": 502, "body": "HTTP-request-denied"}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! outgoing_request_to_a_closed_port_is_connection_refused {"network": "loopback", "servers": [{"name": "dead", "kind": "closed"}], "operations": [{"type": "run"}, {"type": "request", "path": "/fetch-closed", "response": {"status": 200, "body": "connection-refused"}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! service_answers_a_get {"mandated": "WIT wasi:http@0.2.12 incoming-handler.handle: the response given to response-outparam.set is sent, an outgoing-response being 200 unless set-status-code sets another; RFC 9110 5.1: field names are case-insensitive; 15.5.5/15.5.6: 404 for no such resource, 405 for a method it does not allow"}
//! service_echoes_a_request_body {"mandated": "WIT wasi:http@0.2.12 incoming-request.consume and incoming-body.stream: the request's body as a stream of bytes, which the handler sends back; RFC 9112 6.3: a request with neither Content-Length nor Transfer-Encoding has an empty body, so the bodiless POST echoes nothing"}
//! service_reads_request_headers {"mandated": "WIT wasi:http@0.2.12 incoming-request.headers and fields.get: the request's values for a field name, names treated as case-insensitive; RFC 9110 5.1: field names are case-insensitive, so x-echo is found and its value sent back as x-echoed"}
//! service_gets_the_runs_arguments {"mandated": "WIT wasi:cli/environment@0.2.12 get-arguments: the POSIX-style arguments; wasiport Backend::serve_http: each request's instance is made from the run's config, whose argv is program_name then the run's arguments (one two)"}
//! service_answers_500_for_a_trap_and_goes_on {"mandated": "WIT wasi:http@0.2.12 incoming-handler.handle: if the handler sets no response, the caller responds with an error on its behalf; wasiport Backend::serve_http: a request the guest fails gets 500, each request a fresh instance, so the next is served; RFC 9110 15.6.1: 500 is an unexpected server condition"}
//! outgoing_request_reaches_an_upstream_server {"mandated": "WIT wasi:http@0.2.12 outgoing-handler.handle: sends the request and returns a future-incoming-response, whose status and body (incoming-response.consume) are the server's; wasiport Network::Loopback: a handler's outgoing requests reach loopback, so the echo-body server answers ping"}
//! outgoing_request_without_a_grant_is_denied {"mandated": "WIT wasi:http@0.2.12 outgoing-handler.handle: may fail when the request is not allowed to be made; its error-code follows the IANA proxy error types (RFC 9209), where http_request_denied is a request the intermediary refuses; wasiport: without a network grant every outgoing request is denied"}
//! outgoing_request_to_a_closed_port_is_connection_refused {"mandated": "WIT wasi:http@0.2.12 error-code connection-refused (RFC 9209 connection_refused: the connection to the next hop was refused); POSIX.1-2017 connect(): ECONNREFUSED when nothing listens at the target address; wasiport Network::Loopback lets the request reach 127.0.0.1"}
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingRequest,
    OutgoingResponse, ResponseOutparam, Scheme,
};
use wasip2::io::streams::{InputStream, StreamError};

/// The suite's cases (read by the suite builder); the handler serves them all.
macro_rules! case {
    ($name:ident, $features:literal) => {};
}
case!(service_answers_a_get, "wasi:http/incoming-handler#handle wasi:http/types#[method]incoming-request.method wasi:http/types#[method]incoming-request.path-with-query wasi:http/types#[static]fields.from-list wasi:http/types#[constructor]outgoing-response wasi:http/types#[method]outgoing-response.set-status-code wasi:http/types#[method]outgoing-response.body wasi:http/types#[static]response-outparam.set wasi:http/types#[method]outgoing-body.write wasi:http/types#[static]outgoing-body.finish");
case!(service_echoes_a_request_body, "wasi:http/types#[method]incoming-request.consume wasi:http/types#[method]incoming-body.stream wasi:http/types#[static]incoming-body.finish");
case!(service_reads_request_headers, "wasi:http/types#[method]incoming-request.headers wasi:http/types#[method]fields.get");
case!(service_gets_the_runs_arguments, "wasi:cli/environment#get-arguments");
case!(service_answers_500_for_a_trap_and_goes_on, "wasi:http/incoming-handler#handle");
case!(outgoing_request_reaches_an_upstream_server, "wasi:http/outgoing-handler#handle wasi:http/types#[constructor]outgoing-request wasi:http/types#[method]outgoing-request.set-method wasi:http/types#[method]outgoing-request.set-scheme wasi:http/types#[method]outgoing-request.set-authority wasi:http/types#[method]outgoing-request.set-path-with-query wasi:http/types#[method]future-incoming-response.get wasi:http/types#[method]incoming-response.status wasi:http/types#[method]incoming-response.consume");
case!(outgoing_request_without_a_grant_is_denied, "wasi:http/outgoing-handler#handle");
case!(outgoing_request_to_a_closed_port_is_connection_refused, "wasi:http/outgoing-handler#handle");

struct Handler;
wasip2::http::proxy::export!(Handler);

impl wasip2::exports::http::incoming_handler::Guest for Handler {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let get = matches!(request.method(), Method::Get);
        let post = matches!(request.method(), Method::Post);
        let (status, headers, body): (u16, Vec<(&str, String)>, Vec<u8>) = match path.as_str() {
            "/" if get => (200, vec![("content-type", "text/plain".into())], b"hello from the handler\n".to_vec()),
            "/echo" if post => (200, vec![("content-type", "application/octet-stream".into())], read_body(&request)),
            "/reflect-header" if get => {
                let echo = request.headers().get("x-echo").concat();
                (200, vec![("x-echoed", String::from_utf8_lossy(&echo).into_owned())], Vec::new())
            }
            "/argv" if get => (200, vec![], std::env::args().skip(1).collect::<Vec<_>>().join(" ").into_bytes()),
            "/fetch" if get => match fetch("MAIN", "/echo-body", b"ping") {
                Ok(body) => (200, vec![], body),
                Err(code) => (502, vec![], name(&code).into_bytes()),
            },
            "/fetch-closed" if get => match fetch("DEAD", "/", b"") {
                Ok(_) => (200, vec![], b"a response from a closed port".to_vec()),
                Err(code) => (200, vec![], name(&code).into_bytes()),
            },
            "/trap" if get => core::arch::wasm32::unreachable(),
            "/spin" if get => loop {
                std::hint::black_box(());
            },
            "/" | "/echo" | "/reflect-header" | "/argv" | "/fetch" | "/fetch-closed" | "/trap" | "/spin" => {
                (405, vec![], Vec::new())
            }
            _ => (404, vec![], Vec::new()),
        };
        respond(out, status, &headers, &body);
    }
}

/// The whole body of `request`.
fn read_body(request: &IncomingRequest) -> Vec<u8> {
    let Ok(body) = request.consume() else { return Vec::new() };
    let data = body.stream().map(|s| read_all(&s)).unwrap_or_default();
    drop(IncomingBody::finish(body));
    data
}

fn read_all(stream: &InputStream) -> Vec<u8> {
    let mut data = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => data.extend(chunk),
            Err(StreamError::Closed) => return data,
            Err(StreamError::LastOperationFailed(_)) => return data,
        }
    }
}

fn respond(out: ResponseOutparam, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let list: Vec<(String, Vec<u8>)> =
        headers.iter().map(|(k, v)| (k.to_string(), v.clone().into_bytes())).collect();
    let response = OutgoingResponse::new(Fields::from_list(&list).unwrap_or_else(|_| Fields::new()));
    let _ = response.set_status_code(status);
    let Ok(outgoing) = response.body() else { return };
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = outgoing.write() {
        for chunk in body.chunks(4096) {
            let _ = stream.blocking_write_and_flush(chunk);
        }
    }
    let _ = OutgoingBody::finish(outgoing, None);
}

/// POSTs `body` to `path` on the upstream server `HTTP_SERVER_<server>`: the response's body,
/// or the error code the request ended with.
fn fetch(server: &str, path: &str, body: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let authority = std::env::var(format!("HTTP_SERVER_{server}")).unwrap_or_default();
    let request = OutgoingRequest::new(Fields::new());
    let _ = request.set_method(&Method::Post);
    let _ = request.set_scheme(Some(&Scheme::Http));
    let _ = request.set_authority(Some(&authority));
    let _ = request.set_path_with_query(Some(path));
    let outgoing = request.body().map_err(|()| ErrorCode::InternalError(None))?;
    let future = outgoing_handler::handle(request, None)?;
    if let Ok(stream) = outgoing.write() {
        let _ = stream.blocking_write_and_flush(body);
    }
    let _ = OutgoingBody::finish(outgoing, None);
    let response = loop {
        match future.get() {
            Some(got) => break got.map_err(|()| ErrorCode::InternalError(None))??,
            None => future.subscribe().block(),
        }
    };
    let Ok(incoming) = response.consume() else { return Ok(Vec::new()) };
    let data = incoming.stream().map(|s| read_all(&s)).unwrap_or_default();
    drop(IncomingBody::finish(incoming));
    Ok(data)
}

/// The WIT name of an error code's case.
fn name(code: &ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied => "HTTP-request-denied".into(),
        ErrorCode::ConnectionRefused => "connection-refused".into(),
        other => format!("{other:?}"),
    }
}

fn main() {}
