// wasi:sockets 0.3 with no network granted: making a socket, or else binding or connecting it,
// is access-denied.
use guest::{case, check_matches};
use wasip3::sockets::types::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, TcpSocket, UdpSocket,
};

const LOOPBACK: IpSocketAddress = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: 0, address: (127, 0, 0, 1) });


guest::p3_main!(
    case!(tcp_bind_without_a_grant_is_access_denied, "wasi:sockets/types@0.3#[static]tcp-socket.create wasi:sockets/types@0.3#[method]tcp-socket.bind", async {
        let socket = guest::made_or!(TcpSocket::create(IpAddressFamily::Ipv4), ErrorCode::AccessDenied);
        check_matches!(socket.bind(LOOPBACK), Err(ErrorCode::AccessDenied));
    }),
    case!(tcp_connect_without_a_grant_is_access_denied, "wasi:sockets/types@0.3#[method]tcp-socket.connect", async {
        let socket = guest::made_or!(TcpSocket::create(IpAddressFamily::Ipv4), ErrorCode::AccessDenied);
        let peer = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: 9, address: (127, 0, 0, 1) });
        check_matches!(socket.connect(peer).await, Err(ErrorCode::AccessDenied));
    }),
    case!(udp_bind_without_a_grant_is_access_denied, "wasi:sockets/types@0.3#[static]udp-socket.create wasi:sockets/types@0.3#[method]udp-socket.bind", async {
        let socket = guest::made_or!(UdpSocket::create(IpAddressFamily::Ipv4), ErrorCode::AccessDenied);
        check_matches!(socket.bind(LOOPBACK), Err(ErrorCode::AccessDenied));
    }),
);
