// wasi:sockets 0.2: without a network granted, making a socket, or else binding or
// connecting it, is access-denied; with loopback granted (`"network": "loopback"`), TCP and UDP
// between two sockets of the guest's own on 127.0.0.1, an address off loopback refused, name
// lookup of an IP literal, socket options and shutdown as the WIT says; and,
// as upstream's sockets-echo tests do, a TCP and a UDP echo server the runner itself talks to
// (the guest prints its address as its first line of stdout).
//! tcp_listen_accept_and_connect_on_loopback {"network": "loopback"}
//! udp_send_and_receive_on_loopback {"network": "loopback"}
//! a_grant_of_loopback_refuses_another_address {"network": "loopback"}
//! resolve_addresses_of_an_ip_literal_returns_it {"network": "loopback"}
//! resolve_addresses_of_a_bad_name_is_invalid_argument {"network": "loopback"}
//! set_listen_backlog_size_of_zero_is_invalid_argument {"network": "loopback"}
//! set_hop_limit_of_zero_is_invalid_argument {"network": "loopback"}
//! set_receive_buffer_size_of_zero_is_invalid_argument {"network": "loopback"}
//! keep_alive_enabled_is_what_was_set {"network": "loopback"}
//! shutdown_send_closes_the_peers_input {"network": "loopback"}
//! shutdown_of_an_unconnected_socket_is_invalid_state {"network": "loopback"}
//! tcp_echo_server_answers_the_runner {"proposals": ["sockets"], "operations": [{"type": "run"}, {"type": "connect", "id": "echo", "protocol_type": "tcp"}, {"type": "send", "id": "echo", "payload": "Hello, world"}, {"type": "recv", "id": "echo", "payload": "Hello, world"}, {"type": "wait"}]}
//! udp_echo_server_answers_the_runner {"proposals": ["sockets"], "operations": [{"type": "run"}, {"type": "connect", "id": "echo", "protocol_type": "udp"}, {"type": "send", "id": "echo", "payload": "Hello, datagram"}, {"type": "recv", "id": "echo", "payload": "Hello, datagram"}, {"type": "wait"}]}
//! tcp_bind_without_a_grant_is_access_denied {"mandated": "WIT wasi:sockets/network@0.2.12: a network handle grants access to (a subset of) the network, and error-code access-denied (EACCES, EPERM) is always possible; wasiport Network::None, the default: every socket address is refused, so creating or binding is access-denied"}
//! tcp_connect_without_a_grant_is_access_denied {"mandated": "WIT wasi:sockets/network@0.2.12: a network handle grants access to (a subset of) the network, and error-code access-denied (EACCES, EPERM) is always possible; wasiport Network::None, the default: every socket address is refused, so creating or connecting is access-denied"}
//! udp_bind_without_a_grant_is_access_denied {"mandated": "WIT wasi:sockets/network@0.2.12: a network handle grants access to (a subset of) the network, and error-code access-denied (EACCES, EPERM) is always possible; wasiport Network::None, the default: every socket address is refused, so creating or binding is access-denied"}
//! tcp_listen_accept_and_connect_on_loopback {"mandated": "WIT wasi:sockets/tcp@0.2.12: bind to port 0 takes a free port, listen makes the socket listening (is-listening, SO_ACCEPTCONN), finish-connect and accept give the connection's streams, what one end writes the other reads; wasiport Network::Loopback allows 127.0.0.1"}
//! udp_send_and_receive_on_loopback {"mandated": "WIT wasi:sockets/udp@0.2.12: after bind, stream(none) gives datagram streams; check-send permits sends, send returns how many datagrams went (1, like sendto), receive returns datagrams with their data; wasiport Network::Loopback allows 127.0.0.1"}
//! a_grant_of_loopback_refuses_another_address {"mandated": "wasiport Network::Loopback: TCP and UDP to and from loopback addresses only, so 192.0.2.1 (TEST-NET-1, RFC 5737) is refused; WIT wasi:sockets/network@0.2.12 error-code access-denied (EACCES, EPERM), always possible, is that refusal"}
//! resolve_addresses_of_an_ip_literal_returns_it {"mandated": "WIT wasi:sockets/ip-name-lookup@0.2.12 resolve-addresses: an IP address string is parsed and returned as-is, with no external request; resolve-next-address gives none once the addresses are exhausted, so 127.0.0.1 alone"}
//! resolve_addresses_of_a_bad_name_is_invalid_argument {"mandated": "WIT wasi:sockets/ip-name-lookup@0.2.12 resolve-addresses: invalid-argument when the name is a syntactically invalid domain name or IP address; not a name, with spaces, is neither (RFC 1035 2.3.1: labels are letters, digits and hyphens)"}
//! set_listen_backlog_size_of_zero_is_invalid_argument {"mandated": "WIT wasi:sockets/tcp@0.2.12 tcp-socket.set-listen-backlog-size: 0 is invalid-argument; any other value never causes that error (it may be clamped), so 16 is accepted"}
//! set_hop_limit_of_zero_is_invalid_argument {"mandated": "WIT wasi:sockets/tcp@0.2.12 tcp-socket.hop-limit: equivalent to IP_TTL, and 0 is invalid-argument (the TTL must be 1 or higher); the WIT lets buffer sizes and keep-alive times be clamped, not the hop limit, so 42 reads back as 42"}
//! set_receive_buffer_size_of_zero_is_invalid_argument {"mandated": "WIT wasi:sockets/tcp@0.2.12 tcp-socket.receive-buffer-size: 0 is invalid-argument; any other value is accepted but may be clamped or rounded, so 65536 reads back as some size above zero"}
//! keep_alive_enabled_is_what_was_set {"mandated": "WIT wasi:sockets/tcp@0.2.12 tcp-socket.keep-alive-enabled: equivalent to the SO_KEEPALIVE socket option; POSIX.1-2017 getsockopt(): returns the option's current value, so it reads back true, then false, as set"}
//! shutdown_send_closes_the_peers_input {"mandated": "WIT wasi:sockets/tcp@0.2.12 tcp-socket.shutdown: send closes the socket's output stream and sends a FIN (SHUT_WR); POSIX.1-2017 recv(): after the peer's orderly shutdown it returns 0, the end a WASI input stream reports as closed"}
//! shutdown_of_an_unconnected_socket_is_invalid_state {"mandated": "WIT wasi:sockets/tcp@0.2.12 tcp-socket.shutdown: invalid-state when the socket is not in the connected state (ENOTCONN); POSIX.1-2017 shutdown(): ENOTCONN when the socket is not connected"}
//! tcp_echo_server_answers_the_runner {"mandated": "WIT wasi:sockets/tcp@0.2.12 tcp-socket.accept: a connected socket with its input and output streams; wasi:io/streams@0.2.12 blocking-read gives bytes received, blocking-write-and-flush sends them all; TCP (RFC 9293) delivers them in order, so the runner gets Hello, world back"}
//! udp_echo_server_answers_the_runner {"mandated": "WIT wasi:sockets/udp@0.2.12: incoming-datagram holds the data and its source address (recvfrom's src_addr); an outgoing-datagram to that remote-address is a sendto; a UDP datagram (RFC 768) arrives whole, so the runner gets Hello, datagram back"}
use guest::{case, check, check_eq, check_err, ok};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::{tcp_create_socket, udp_create_socket};
use wasip2::sockets::ip_name_lookup::resolve_addresses;
use wasip2::sockets::network::IpAddress;
use wasip2::sockets::tcp::{ShutdownType, TcpSocket};
use wasip2::io::streams::StreamError;
use wasip2::sockets::udp::OutgoingDatagram;
use wasip2::cli::stdout::get_stdout;

/// `$finish` once it no longer would block, waiting on `$socket`'s pollable between tries (a
/// WASI 0.2 socket's start/finish pairs).
macro_rules! finished {
    ($socket:expr, $finish:expr) => {{
        loop {
            match $finish {
                Err(ErrorCode::WouldBlock) => $socket.subscribe().block(),
                done => break done,
            }
        }
    }};
}


/// Prints `address` as the first line of stdout, where the runner's `connect` reads it.
fn announce(address: IpSocketAddress) -> Result<(), String> {
    let IpSocketAddress::Ipv4(Ipv4SocketAddress { port, address: (a, b, c, d) }) = address else {
        return Err(format!("{address:?} is not IPv4"));
    };
    let line = format!("{a}.{b}.{c}.{d}:{port}\n");
    get_stdout().blocking_write_and_flush(line.as_bytes()).map_err(|e| format!("{e:?}"))
}

/// A TCP socket listening on 127.0.0.1, on a port of the host's choosing.
fn listening() -> Result<TcpSocket, ErrorCode> {
    let socket = tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4)?;
    socket.start_bind(&instance_network(), LOOPBACK)?;
    finished!(socket, socket.finish_bind())?;
    socket.start_listen()?;
    finished!(socket, socket.finish_listen())?;
    Ok(socket)
}

const LOOPBACK: IpSocketAddress = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: 0, address: (127, 0, 0, 1) });

fn main() {
    guest::main(&[
        case!(tcp_bind_without_a_grant_is_access_denied, "wasi:sockets/tcp-create-socket#create-tcp-socket wasi:sockets/instance-network#instance-network wasi:sockets/tcp#[method]tcp-socket.start-bind", {
            let socket = guest::made_or!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4), ErrorCode::AccessDenied);
            check_err!(socket.start_bind(&instance_network(), LOOPBACK), ErrorCode::AccessDenied);
        }),
        case!(tcp_connect_without_a_grant_is_access_denied, "wasi:sockets/tcp#[method]tcp-socket.start-connect", {
            let socket = guest::made_or!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4), ErrorCode::AccessDenied);
            let peer = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: 9, address: (127, 0, 0, 1) });
            check_err!(socket.start_connect(&instance_network(), peer), ErrorCode::AccessDenied);
        }),
        case!(udp_bind_without_a_grant_is_access_denied, "wasi:sockets/udp-create-socket#create-udp-socket wasi:sockets/udp#[method]udp-socket.start-bind", {
            let socket = guest::made_or!(udp_create_socket::create_udp_socket(IpAddressFamily::Ipv4), ErrorCode::AccessDenied);
            check_err!(socket.start_bind(&instance_network(), LOOPBACK), ErrorCode::AccessDenied);
        }),
        case!(tcp_listen_accept_and_connect_on_loopback, "wasi:sockets/tcp#[method]tcp-socket.start-listen wasi:sockets/tcp#[method]tcp-socket.finish-listen wasi:sockets/tcp#[method]tcp-socket.accept wasi:sockets/tcp#[method]tcp-socket.local-address wasi:sockets/tcp#[method]tcp-socket.start-connect wasi:sockets/tcp#[method]tcp-socket.finish-connect wasi:sockets/tcp#[method]tcp-socket.finish-bind", {
            let net = instance_network();
            let listener = ok!(listening());
            check!(listener.is_listening());
            let addr = ok!(listener.local_address());
            let client = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            ok!(client.start_connect(&net, addr));
            let (_from_server, to_server) = ok!(finished!(client, client.finish_connect()));
            let (_peer, from_client, _to_client) = ok!(finished!(listener, listener.accept()));
            ok!(to_server.blocking_write_and_flush(b"ping"));
            let mut got = Vec::new();
            while got.len() < 4 {
                match from_client.blocking_read(4 - got.len() as u64) {
                    Ok(bytes) => got.extend(bytes),
                    Err(e) => {
                        guest::fail(line!(), format_args!("read: {e:?}"));
                        return;
                    }
                }
            }
            check_eq!(got, b"ping".to_vec());
        }),
        case!(udp_send_and_receive_on_loopback, "wasi:sockets/udp#[method]udp-socket.finish-bind wasi:sockets/udp#[method]udp-socket.stream wasi:sockets/udp#[method]outgoing-datagram-stream.send wasi:sockets/udp#[method]incoming-datagram-stream.receive", {
            let net = instance_network();
            let a = ok!(udp_create_socket::create_udp_socket(IpAddressFamily::Ipv4));
            let b = ok!(udp_create_socket::create_udp_socket(IpAddressFamily::Ipv4));
            for s in [&a, &b] {
                ok!(s.start_bind(&net, LOOPBACK));
                ok!(finished!(s, s.finish_bind()));
            }
            let to_b = ok!(b.local_address());
            let (_a_in, a_out) = ok!(a.stream(None));
            let (b_in, _b_out) = ok!(b.stream(None));
            a_out.subscribe().block();
            check!(ok!(a_out.check_send()) >= 1);
            let sent = ok!(a_out.send(&[OutgoingDatagram { data: b"dgram".to_vec(), remote_address: Some(to_b) }]));
            check_eq!(sent, 1);
            b_in.subscribe().block();
            let got = ok!(b_in.receive(1));
            check_eq!(got.len(), 1);
            check_eq!(got.first().map(|d| d.data.clone()), Some(b"dgram".to_vec()));
        }),
        case!(a_grant_of_loopback_refuses_another_address, "wasi:sockets/tcp#[method]tcp-socket.start-connect", {
            // A host outside loopback (TEST-NET-1): the grant does not reach it.
            let socket = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            let peer = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: 9, address: (192, 0, 2, 1) });
            let refused = match socket.start_connect(&instance_network(), peer) {
                Err(e) => Err(e),
                Ok(()) => finished!(socket, socket.finish_connect()).map(|_| ()),
            };
            check_err!(refused, ErrorCode::AccessDenied);
        }),
        case!(resolve_addresses_of_an_ip_literal_returns_it, "wasi:sockets/ip-name-lookup#resolve-addresses wasi:sockets/ip-name-lookup#[method]resolve-address-stream.resolve-next-address", {
            // The WIT: an IP address string is parsed and returned as-is, with no lookup.
            let stream = ok!(resolve_addresses(&instance_network(), "127.0.0.1"));
            let mut found = Vec::new();
            loop {
                match stream.resolve_next_address() {
                    Err(ErrorCode::WouldBlock) => stream.subscribe().block(),
                    Ok(Some(address)) => found.push(address),
                    Ok(None) => break,
                    Err(e) => {
                        guest::fail(line!(), format_args!("resolve-next-address: {e:?}"));
                        return;
                    }
                }
            }
            check_eq!(format!("{found:?}"), format!("{:?}", [IpAddress::Ipv4((127, 0, 0, 1))]));
        }),
        case!(resolve_addresses_of_a_bad_name_is_invalid_argument, "wasi:sockets/ip-name-lookup#resolve-addresses", {
            check_err!(resolve_addresses(&instance_network(), "not a name").map(|_| ()), ErrorCode::InvalidArgument);
        }),
        case!(set_listen_backlog_size_of_zero_is_invalid_argument, "wasi:sockets/tcp#[method]tcp-socket.set-listen-backlog-size", {
            let socket = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            ok!(socket.set_listen_backlog_size(16));
            check_err!(socket.set_listen_backlog_size(0), ErrorCode::InvalidArgument);
        }),
        case!(set_hop_limit_of_zero_is_invalid_argument, "wasi:sockets/tcp#[method]tcp-socket.set-hop-limit wasi:sockets/tcp#[method]tcp-socket.hop-limit", {
            let socket = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            ok!(socket.set_hop_limit(42));
            check_eq!(ok!(socket.hop_limit()), 42);
            check_err!(socket.set_hop_limit(0), ErrorCode::InvalidArgument);
        }),
        case!(set_receive_buffer_size_of_zero_is_invalid_argument, "wasi:sockets/tcp#[method]tcp-socket.set-receive-buffer-size wasi:sockets/tcp#[method]tcp-socket.receive-buffer-size", {
            let socket = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            ok!(socket.set_receive_buffer_size(65536));
            // Implementations may clamp or round it: some size, not zero.
            check!(ok!(socket.receive_buffer_size()) > 0);
            check_err!(socket.set_receive_buffer_size(0), ErrorCode::InvalidArgument);
        }),
        case!(keep_alive_enabled_is_what_was_set, "wasi:sockets/tcp#[method]tcp-socket.set-keep-alive-enabled wasi:sockets/tcp#[method]tcp-socket.keep-alive-enabled", {
            let socket = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            ok!(socket.set_keep_alive_enabled(true));
            check!(ok!(socket.keep_alive_enabled()));
            ok!(socket.set_keep_alive_enabled(false));
            check!(!ok!(socket.keep_alive_enabled()));
        }),
        case!(shutdown_send_closes_the_peers_input, "wasi:sockets/tcp#[method]tcp-socket.shutdown", {
            let net = instance_network();
            let listener = ok!(listening());
            let client = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            ok!(client.start_connect(&net, ok!(listener.local_address())));
            let (_from_server, _to_server) = ok!(finished!(client, client.finish_connect()));
            let (_peer, from_client, _to_client) = ok!(finished!(listener, listener.accept()));
            ok!(client.shutdown(ShutdownType::Send));
            // The FIN: the server's input ends.
            check!(matches!(from_client.blocking_read(16), Err(StreamError::Closed)));
        }),
        case!(shutdown_of_an_unconnected_socket_is_invalid_state, "wasi:sockets/tcp#[method]tcp-socket.shutdown", {
            let socket = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            check_err!(socket.shutdown(ShutdownType::Both), ErrorCode::InvalidState);
        }),
        case!(tcp_echo_server_answers_the_runner, "wasi:sockets/tcp#[method]tcp-socket.accept wasi:sockets/tcp#[method]tcp-socket.local-address wasi:io/streams#[method]input-stream.blocking-read wasi:io/streams#[method]output-stream.blocking-write-and-flush", {
            let listener = ok!(listening());
            ok!(announce(ok!(listener.local_address())));
            let (_peer, from_runner, to_runner) = ok!(finished!(listener, listener.accept()));
            // What the runner sends, back to it.
            let got = ok!(from_runner.blocking_read(1024));
            ok!(to_runner.blocking_write_and_flush(&got));
        }),
        case!(udp_echo_server_answers_the_runner, "wasi:sockets/udp#[method]udp-socket.local-address wasi:sockets/udp#[method]incoming-datagram-stream.receive wasi:sockets/udp#[method]outgoing-datagram-stream.send", {
            let net = instance_network();
            let socket = ok!(udp_create_socket::create_udp_socket(IpAddressFamily::Ipv4));
            ok!(socket.start_bind(&net, LOOPBACK));
            ok!(finished!(socket, socket.finish_bind()));
            // Streams first: preview2-shim 0.26.1 drops a datagram that arrives between
            // finish-bind and stream.
            let (incoming, outgoing) = ok!(socket.stream(None));
            ok!(announce(ok!(socket.local_address())));
            let datagram = loop {
                incoming.subscribe().block();
                if let Some(d) = ok!(incoming.receive(1)).pop() {
                    break d;
                }
            };
            outgoing.subscribe().block();
            check!(ok!(outgoing.check_send()) >= 1);
            let back = OutgoingDatagram { data: datagram.data, remote_address: Some(datagram.remote_address) };
            check_eq!(ok!(outgoing.send(&[back])), 1);
        }),
    ])
}
