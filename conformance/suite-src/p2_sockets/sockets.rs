// wasi:sockets 0.2 with no network granted (the suite's runs grant none): making a socket,
// or else binding or connecting it, is access-denied.
use guest::{case, check_err};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::{tcp_create_socket, udp_create_socket};

/// Made, or refused (the WIT lists no access-denied for create, but a host may refuse there).
macro_rules! made_or_denied {
    ($made:expr) => {
        match $made {
            Ok(socket) => socket,
            Err(e) => {
                guest::check_eq!(e, ErrorCode::AccessDenied);
                return;
            }
        }
    };
}

const LOOPBACK: IpSocketAddress = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: 0, address: (127, 0, 0, 1) });

fn main() {
    guest::main(&[
        case!(tcp_bind_without_a_grant_is_access_denied, "wasi:sockets/tcp-create-socket#create-tcp-socket wasi:sockets/instance-network#instance-network wasi:sockets/tcp#[method]tcp-socket.start-bind", {
            let socket = made_or_denied!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            check_err!(socket.start_bind(&instance_network(), LOOPBACK), ErrorCode::AccessDenied);
        }),
        case!(tcp_connect_without_a_grant_is_access_denied, "wasi:sockets/tcp#[method]tcp-socket.start-connect", {
            let socket = made_or_denied!(tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4));
            let peer = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: 9, address: (127, 0, 0, 1) });
            check_err!(socket.start_connect(&instance_network(), peer), ErrorCode::AccessDenied);
        }),
        case!(udp_bind_without_a_grant_is_access_denied, "wasi:sockets/udp-create-socket#create-udp-socket wasi:sockets/udp#[method]udp-socket.start-bind", {
            let socket = made_or_denied!(udp_create_socket::create_udp_socket(IpAddressFamily::Ipv4));
            check_err!(socket.start_bind(&instance_network(), LOOPBACK), ErrorCode::AccessDenied);
        }),
    ])
}
