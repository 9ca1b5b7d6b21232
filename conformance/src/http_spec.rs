//! The HTTP parts of an operation-based spec, checked when the spec loads: an upstream
//! server's endpoints, and the response a `request` operation expects. Their JSON is
//! wasi-testsuite's: an endpoint is `{"method", "path", "mode", "response"}`, `method` (default
//! `GET`) and `path` (default `/`, query included) matched exactly; `mode` is `static` (the
//! default: `response` is a body string, or `{"status", "headers", "body"}`, or `"chunks"` sent
//! one by one with optional `"trailers"`), `echo-body` or `echo-headers`. A request's expected
//! `response` is `{"status", "headers", "body"}`, each optional (200, no header required,
//! empty).

use std::collections::BTreeMap;

use serde_json::Value;

/// One endpoint of an upstream server: the request it answers, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The request method, upper case (`GET` unless given).
    pub method: String,
    /// The path and query (`/` unless given).
    pub path: String,
    /// What it answers.
    pub mode: Mode,
}

/// What an endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The same response every time.
    Static {
        /// Its status (200 unless given).
        status: u16,
        /// Its headers, in the spec's order.
        headers: Vec<(String, String)>,
        /// Its body.
        body: Body,
    },
    /// 200, and the request's body.
    EchoBody,
    /// 200, no body; `x-request-method`, `x-request-path`, and `x-echo-<name>` for each
    /// request header.
    EchoHeaders,
}

/// A static response's body: whole, or in chunks with trailers after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Sent at once.
    Whole(String),
    /// Sent one chunk at a time, then these trailers.
    Chunks(Vec<String>, Vec<(String, String)>),
}

/// The response a `request` operation expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedResponse {
    /// The status (200 unless given).
    pub status: u16,
    /// Headers that must be there (names in any case), with their exact values.
    pub headers: BTreeMap<String, String>,
    /// The whole body, exactly (empty unless given).
    pub body: String,
}

impl Default for ExpectedResponse {
    fn default() -> Self {
        ExpectedResponse {
            status: 200,
            headers: BTreeMap::new(),
            body: String::new(),
        }
    }
}

impl ExpectedResponse {
    /// A request's `response` as the spec gives it (absent: the default).
    ///
    /// ```
    /// use wasiport_conformance::http_spec::ExpectedResponse;
    /// let r = ExpectedResponse::parse(&serde_json::json!({"status": 404})).unwrap();
    /// assert_eq!((r.status, r.body.as_str()), (404, ""));
    /// assert!(ExpectedResponse::parse(&serde_json::json!({"status": "ok"})).is_err());
    /// ```
    pub fn parse(response: &Value) -> Result<ExpectedResponse, String> {
        let object = match response {
            Value::Null => return Ok(ExpectedResponse::default()),
            Value::Object(object) => object,
            other => return Err(format!("a request's `response` is {other}, not an object")),
        };
        let mut expected = ExpectedResponse::default();
        for (key, value) in object {
            match (key.as_str(), value) {
                ("status", v) => expected.status = status(v)?,
                ("headers", v) => expected.headers = string_map(v, "response headers")?,
                ("body", Value::String(s)) => expected.body = s.clone(),
                (other, v) => return Err(format!("a request's response: bad `{other}`: {v}")),
            }
        }
        Ok(expected)
    }
}

impl Endpoint {
    /// An endpoint as the spec gives it.
    ///
    /// ```
    /// use wasiport_conformance::http_spec::{Endpoint, Mode};
    /// let e = Endpoint::parse(&serde_json::json!({"method": "post", "path": "/e", "mode": "echo-body"})).unwrap();
    /// assert_eq!((e.method.as_str(), e.mode), ("POST", Mode::EchoBody));
    /// assert!(Endpoint::parse(&serde_json::json!({"mode": "teapot"})).is_err());
    /// ```
    pub fn parse(value: &Value) -> Result<Endpoint, String> {
        let Value::Object(object) = value else {
            return Err(format!("an endpoint is {value}, not an object"));
        };
        let text = |key: &str, default: &str| -> Result<String, String> {
            match object.get(key) {
                None => Ok(default.to_string()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(format!("endpoint `{key}` is {other}, not a string")),
            }
        };
        only_fields(object, &["method", "path", "mode", "response"], "endpoint")?;
        let method = text("method", "GET")?.to_uppercase();
        let path = text("path", "/")?;
        let mode = match text("mode", "static")?.as_str() {
            "static" => static_response(object.get("response"))?,
            mode @ ("echo-body" | "echo-headers") => {
                if object.contains_key("response") {
                    return Err(format!("an endpoint in `{mode}` mode takes no `response`"));
                }
                match mode {
                    "echo-body" => Mode::EchoBody,
                    _ => Mode::EchoHeaders,
                }
            }
            other => return Err(format!("unknown endpoint mode `{other}`")),
        };
        Ok(Endpoint { method, path, mode })
    }
}

/// Refuses a field of `object` (a `what`) that is not one of `known`.
fn only_fields(
    object: &serde_json::Map<String, Value>,
    known: &[&str],
    what: &str,
) -> Result<(), String> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(format!("unknown {what} field `{key}`")),
        None => Ok(()),
    }
}

fn status(value: &Value) -> Result<u16, String> {
    value
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| format!("status {value} is not an HTTP status"))
}

fn string_map(value: &Value, what: &str) -> Result<BTreeMap<String, String>, String> {
    let Value::Object(object) = value else {
        return Err(format!("{what}: {value} is not an object"));
    };
    object
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            other => Err(format!("{what}: `{k}` is {other}, not a string")),
        })
        .collect()
}

fn static_response(response: Option<&Value>) -> Result<Mode, String> {
    let whole = |body: String| Mode::Static {
        status: 200,
        headers: Vec::new(),
        body: Body::Whole(body),
    };
    let object = match response {
        None => return Ok(whole(String::new())),
        Some(Value::String(body)) => return Ok(whole(body.clone())),
        Some(Value::Object(object)) => object,
        Some(other) => return Err(format!("an endpoint's `response` is {other}")),
    };
    only_fields(
        object,
        &["status", "headers", "body", "chunks", "trailers"],
        "endpoint response",
    )?;
    let status = object.get("status").map(status).transpose()?.unwrap_or(200);
    let headers = match object.get("headers") {
        Some(v) => string_map(v, "endpoint headers")?.into_iter().collect(),
        None => Vec::new(),
    };
    let strings = |v: &Value| -> Result<Vec<String>, String> {
        v.as_array()
            .ok_or("`chunks` is not a list")?
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or("a chunk is not a string")
            })
            .collect::<Result<_, _>>()
            .map_err(String::from)
    };
    let body = match (
        object.get("body"),
        object.get("chunks"),
        object.get("trailers"),
    ) {
        (Some(_), Some(_), _) => return Err("a response has `body` or `chunks`, not both".into()),
        (_, None, Some(_)) => return Err("`trailers` come with `chunks` only".into()),
        (Some(Value::String(b)), None, None) => Body::Whole(b.clone()),
        (Some(other), None, None) => return Err(format!("a response's body is {other}")),
        (None, Some(chunks), trailers) => Body::Chunks(
            strings(chunks)?,
            match trailers {
                Some(t) => string_map(t, "trailers")?.into_iter().collect(),
                None => Vec::new(),
            },
        ),
        (None, None, None) => Body::Whole(String::new()),
    };
    Ok(Mode::Static {
        status,
        headers,
        body,
    })
}
