// wasi:http 0.3: a `wasi:http/service` handler (an async `handle` returning the response),
// served by `wasiport serve` in an instance per request, in wasi-testsuite's own spec format.
// The routes:
//   GET  /        200, text/plain, "hello from the 0.3 handler\n"
//   POST /echo    200, the request's body back, application/octet-stream
//   anything else 404 (405 for another method on a known path), empty
//! * {"world": "wasi:http/service", "proposals": ["http"]}
//! service3_answers_a_get {"operations": [{"type": "run"}, {"type": "request", "response": {"status": 200, "headers": {"content-type": "text/plain"}, "body": "hello from the 0.3 handler\n"}}, {"type": "request", "path": "/whatever", "response": {"status": 404}}, {"type": "request", "method": "POST", "path": "/", "response": {"status": 405}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! service3_echoes_a_request_body {"operations": [{"type": "run"}, {"type": "request", "method": "POST", "path": "/echo", "body": "hello, echo", "response": {"status": 200, "headers": {"content-type": "application/octet-stream"}, "body": "hello, echo"}}, {"type": "request", "method": "POST", "path": "/echo", "response": {"status": 200}}, {"type": "kill", "signal": "SIGINT"}, {"type": "wait"}]}
//! service3_answers_a_get {"mandated": "WIT wasi:http@0.3.0 handler.handle: returns the response to send, response.new being 200 unless set-status-code sets another; RFC 9110 5.1: field names are case-insensitive; 15.5.5/15.5.6: 404 for no such resource, 405 for a method it does not allow"}
//! service3_echoes_a_request_body {"mandated": "WIT wasi:http@0.3.0 request.consume-body: a stream of the request body's contents, which the handler sends back; RFC 9112 6.3: a request with neither Content-Length nor Transfer-Encoding has an empty body, so the bodiless POST echoes nothing"}
use wasip3::http::types::{ErrorCode, Fields, Method, Request, Response};
use wasip3::{wit_bindgen, wit_future, wit_stream};

/// The suite's cases (read by the suite builder); the handler serves them all.
macro_rules! case {
    ($name:ident, $features:literal) => {};
}
case!(service3_answers_a_get, "wasi:http/handler@0.3#handle wasi:http/types@0.3#[method]request.get-method wasi:http/types@0.3#[method]request.get-path-with-query wasi:http/types@0.3#[static]fields.from-list wasi:http/types@0.3#[static]response.new wasi:http/types@0.3#[method]response.set-status-code");
case!(service3_echoes_a_request_body, "wasi:http/types@0.3#[static]request.consume-body");

struct Service;
wasip3::http::service::export!(Service);

impl wasip3::exports::http::handler::Guest for Service {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        let path = request.get_path_with_query().unwrap_or_default();
        let get = matches!(request.get_method(), Method::Get);
        let post = matches!(request.get_method(), Method::Post);
        let (status, content_type, body): (u16, Option<&str>, Vec<u8>) = match path.as_str() {
            "/" if get => (200, Some("text/plain"), b"hello from the 0.3 handler\n".to_vec()),
            "/echo" if post => {
                let (_, done) = wit_future::new(|| Ok(()));
                let (stream, _trailers) = Request::consume_body(request, done);
                (200, Some("application/octet-stream"), stream.collect().await)
            }
            "/" | "/echo" => (405, None, Vec::new()),
            _ => (404, None, Vec::new()),
        };
        let headers = match content_type {
            Some(t) => Fields::from_list(&[("content-type".to_string(), t.as_bytes().to_vec())])
                .unwrap_or_else(|_| Fields::new()),
            None => Fields::new(),
        };
        let (mut body_tx, body_rx) = wit_stream::new();
        let (trailers_tx, trailers_rx) = wit_future::new(|| Ok(None));
        let (response, _sent) = Response::new(headers, Some(body_rx), trailers_rx);
        drop(trailers_tx);
        let _ = response.set_status_code(status);
        wit_bindgen::spawn(async move {
            let _ = body_tx.write_all(body).await;
        });
        Ok(response)
    }
}

fn main() {}
