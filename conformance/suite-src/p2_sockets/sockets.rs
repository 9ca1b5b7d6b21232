// wasi:sockets 0.2: without a network granted, making a socket, or else binding or
// connecting it, is access-denied; with loopback granted (`"network": "loopback"`), TCP and UDP
// between two sockets of the guest's own on 127.0.0.1, and an address off loopback refused.
//! tcp_listen_accept_and_connect_on_loopback {"network": "loopback"}
//! udp_send_and_receive_on_loopback {"network": "loopback"}
//! a_grant_of_loopback_refuses_another_address {"network": "loopback"}
use guest::{case, check, check_eq, check_err, ok};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::{tcp_create_socket, udp_create_socket};
use wasip2::sockets::udp::OutgoingDatagram;

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
            let listener = ok!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            ok!(listener.start_bind(&net, LOOPBACK));
            ok!(finished!(listener, listener.finish_bind()));
            ok!(listener.start_listen());
            ok!(finished!(listener, listener.finish_listen()));
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
    ])
}
