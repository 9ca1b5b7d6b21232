//! A component's outgoing `wasi:http` requests, held to the run's network grant: without one
//! every request is denied, with [`Network::Loopback`] only requests to a loopback address
//! (an IP literal, or `localhost`) go out. No name is looked up and no other host is reached.

use std::future::Future;
use std::net::IpAddr;

use http_body_util::BodyExt;
use wasiport::Network;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// The hooks of one run's `wasi:http`: wasmtime-wasi-http's own request sending, behind the
/// grant.
pub(crate) struct Hooks {
    network: Network,
}

impl Hooks {
    pub fn new(network: Network) -> Self {
        Hooks { network }
    }

    /// Whether the grant lets a request to `host` (an authority's host, IPv6 in brackets) out.
    fn allows(&self, host: &str) -> bool {
        match self.network {
            Network::None => false,
            Network::Loopback => {
                let literal = host.trim_start_matches('[').trim_end_matches(']');
                host.eq_ignore_ascii_case("localhost")
                    || literal.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            }
        }
    }
}

type Sent = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for Hooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Sent {
        drop(fut);
        let host = request.uri().host().unwrap_or_default().to_string();
        if !self.allows(&host) {
            // wasi:http's `HTTP-request-denied`: what a host answers a request it will not make.
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_pass_a_loopback_grant() {
        let granted = Hooks::new(Network::Loopback);
        for host in ["127.0.0.1", "127.8.9.10", "[::1]", "localhost", "LOCALHOST"] {
            assert!(granted.allows(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "[2001:db8::1]",
            "example.com",
            "localhost.example",
            "",
        ] {
            assert!(!granted.allows(host), "{host}");
        }
        assert!(!Hooks::new(Network::None).allows("127.0.0.1"));
    }
}
