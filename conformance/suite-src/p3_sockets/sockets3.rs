// wasi:sockets 0.3 with no network granted: making a socket, or else binding or connecting it,
// is access-denied; with loopback granted, TCP (listen, accept, connect, a stream each way) and
// UDP between sockets of the guest's own on 127.0.0.1, and an address off loopback refused.
//! tcp_listen_accept_and_connect_on_loopback {"network": "loopback"}
//! udp_send_and_receive_on_loopback {"network": "loopback"}
//! a_grant_of_loopback_refuses_another_address {"network": "loopback"}
//! tcp_bind_without_a_grant_is_access_denied {"mandated": "WIT wasi:sockets/types@0.3.0 error-code: access-denied (EACCES, EPERM) is always possible; wasiport Network::None, the default: every socket address is refused, so creating or binding is access-denied"}
//! tcp_connect_without_a_grant_is_access_denied {"mandated": "WIT wasi:sockets/types@0.3.0 error-code: access-denied (EACCES, EPERM) is always possible; wasiport Network::None, the default: every socket address is refused, so creating or connecting is access-denied"}
//! udp_bind_without_a_grant_is_access_denied {"mandated": "WIT wasi:sockets/types@0.3.0 error-code: access-denied (EACCES, EPERM) is always possible; wasiport Network::None, the default: every socket address is refused, so creating or binding is access-denied"}
//! tcp_listen_accept_and_connect_on_loopback {"mandated": "WIT wasi:sockets/types@0.3.0 tcp-socket: listen gives a stream of accepted connections; closing send's stream is shutdown(SHUT_WR), a FIN, and receive's stream ends with its future ok after the peer's FIN, so ping then ok; wasiport Network::Loopback allows 127.0.0.1"}
//! udp_send_and_receive_on_loopback {"mandated": "WIT wasi:sockets/types@0.3.0 udp-socket: send to an address is like sendto, receive returns the data and the sender's address (a, bound to 127.0.0.1); wasiport Network::Loopback allows 127.0.0.1"}
//! a_grant_of_loopback_refuses_another_address {"mandated": "wasiport Network::Loopback: TCP and UDP to and from loopback addresses only, so 192.0.2.1 (TEST-NET-1, RFC 5737) is refused; WIT wasi:sockets/types@0.3.0 error-code access-denied (EACCES, EPERM), always possible, is that refusal"}
use guest::{case, check, check_eq, check_matches, ok};
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
    case!(tcp_listen_accept_and_connect_on_loopback, "wasi:sockets/types@0.3#[method]tcp-socket.listen wasi:sockets/types@0.3#[method]tcp-socket.get-local-address wasi:sockets/types@0.3#[method]tcp-socket.send wasi:sockets/types@0.3#[method]tcp-socket.receive", async {
        let listener = ok!(TcpSocket::create(IpAddressFamily::Ipv4));
        ok!(listener.bind(LOOPBACK));
        let mut accepted = ok!(listener.listen());
        let address = ok!(listener.get_local_address());
        let client = ok!(TcpSocket::create(IpAddressFamily::Ipv4));
        ok!(client.connect(address).await);
        let Some(server) = accepted.next().await else {
            guest::fail(line!(), format_args!("listen's stream ended without the connection"));
            return;
        };
        // The client's stream closed after "ping" is a FIN: the server reads "ping", then ok.
        let (mut tx, rx) = wasip3::wit_stream::new();
        let sent = client.send(rx);
        check!(tx.write_all(b"ping".to_vec()).await.is_empty());
        drop(tx);
        check!(sent.await.is_ok());
        let (data, done) = server.receive();
        check_eq!(data.collect().await, b"ping".to_vec());
        check!(done.await.is_ok());
    }),
    case!(udp_send_and_receive_on_loopback, "wasi:sockets/types@0.3#[method]udp-socket.send wasi:sockets/types@0.3#[method]udp-socket.receive wasi:sockets/types@0.3#[method]udp-socket.get-local-address", async {
        let a = ok!(UdpSocket::create(IpAddressFamily::Ipv4));
        let b = ok!(UdpSocket::create(IpAddressFamily::Ipv4));
        ok!(a.bind(LOOPBACK));
        ok!(b.bind(LOOPBACK));
        let to_b = ok!(b.get_local_address());
        ok!(a.send(b"dgram".to_vec(), Some(to_b)).await);
        let (data, from) = ok!(b.receive().await);
        check_eq!(data, b"dgram".to_vec());
        check_matches!(from, IpSocketAddress::Ipv4(Ipv4SocketAddress { address: (127, 0, 0, 1), .. }));
    }),
    case!(a_grant_of_loopback_refuses_another_address, "wasi:sockets/types@0.3#[method]tcp-socket.connect", async {
        // A host outside loopback (TEST-NET-1): the grant does not reach it.
        let socket = ok!(TcpSocket::create(IpAddressFamily::Ipv4));
        let peer = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: 9, address: (192, 0, 2, 1) });
        check_matches!(socket.connect(peer).await, Err(ErrorCode::AccessDenied));
    }),
);
