//! Real TCP states read from the kernel, for sockets this test opens on
//! 127.0.0.1: a listener, both ends of a connection, and each step of the
//! close (the side that closes first ends in TIME_WAIT).
//!
//! Linux and Windows read states in different ways (`NETLINK_SOCK_DIAG`,
//! the system's TCP table); the same tests hold for both, and run under
//! wine in CI.
#![cfg(any(target_os = "linux", windows))]

use std::io::Read;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use tcp_playground::net::tcp_state::{SocketKey, StateReader, TcpState};

/// Reads `key` until it is in `want` (states change asynchronously, e.g.
/// the ACK of a FIN arrives a little later); fails after 5 s.
fn wait_state(reader: &mut StateReader, key: &SocketKey, want: TcpState) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = reader.read(key).expect("the kernel answers");
        if seen.state == want {
            return seen.time_wait_left.unwrap_or_default();
        }
        assert!(
            Instant::now() < deadline,
            "{key:?}: wanted {want}, still {}",
            seen.state
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn keys(a: &TcpStream) -> (SocketKey, SocketKey) {
    let (local, peer): (SocketAddr, SocketAddr) = (a.local_addr().unwrap(), a.peer_addr().unwrap());
    (
        SocketKey {
            local,
            remote: peer,
        },
        SocketKey {
            local: peer,
            remote: local,
        },
    )
}

#[test]
fn a_listener_is_listen_and_a_connection_is_established_at_both_ends() {
    let mut reader = StateReader::new().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(
        wait_state(&mut reader, &SocketKey::listener(addr), TcpState::Listen),
        Duration::ZERO
    );
    let client = TcpStream::connect(addr).unwrap();
    let (client_key, server_key) = keys(&client);
    // The kernel finishes the handshake before accept() is even called.
    wait_state(&mut reader, &server_key, TcpState::Established);
    wait_state(&mut reader, &client_key, TcpState::Established);
    drop(listener);
    wait_state(&mut reader, &SocketKey::listener(addr), TcpState::Closed);
}

#[test]
fn the_side_that_closes_first_goes_through_fin_wait_2_to_time_wait() {
    let mut reader = StateReader::new().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let (client_key, server_key) = keys(&client);

    // The server closes first, as ours does after "Good bye!".
    server.shutdown(Shutdown::Write).unwrap();
    wait_state(&mut reader, &server_key, TcpState::FinWait2);
    wait_state(&mut reader, &client_key, TcpState::CloseWait);
    // The client reads the end of the stream and closes too.
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    drop(client);
    drop(server);
    let left = wait_state(&mut reader, &server_key, TcpState::TimeWait);
    if cfg!(windows) {
        // Windows lists TIME_WAIT sockets but not the time they have left.
        assert_eq!(left, Duration::ZERO);
    } else {
        assert!(
            left > Duration::from_secs(50) && left <= Duration::from_secs(60),
            "{left:?}"
        );
    }
    wait_state(&mut reader, &client_key, TcpState::Closed);
}

#[test]
fn a_closed_accepted_socket_is_closed_although_its_listener_still_listens() {
    let mut reader = StateReader::new().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let (client_key, server_key) = keys(&client);
    // The client closes first; the server follows, so it ends in LAST_ACK
    // and then disappears, while the listener is still there.
    client.shutdown(Shutdown::Write).unwrap();
    wait_state(&mut reader, &server_key, TcpState::CloseWait);
    drop(server);
    let _ = client.read(&mut [0u8; 1]);
    wait_state(&mut reader, &client_key, TcpState::TimeWait);
    wait_state(&mut reader, &server_key, TcpState::Closed);
}

#[test]
fn an_unknown_socket_is_closed() {
    let mut reader = StateReader::new().unwrap();
    let key = SocketKey {
        local: "127.0.0.1:1".parse().unwrap(),
        remote: "127.0.0.1:2".parse().unwrap(),
    };
    assert_eq!(reader.read(&key).unwrap().state, TcpState::Closed);
}

/// A client connecting to a listener whose accept queue is full stays in
/// SYN_SENT (the kernel drops its SYN and it retries after a second), and
/// the client reports its address before the SYN leaves, so the watcher
/// can see it. This is how slow motion makes SYN_SENT last. (Windows
/// refuses such a client after about 2 s of retries instead.)
#[cfg(target_os = "linux")]
#[test]
fn syn_sent_is_observed_while_the_accept_queue_is_full() {
    use socket2::{Domain, Socket, Type};
    use tcp_playground::net::{Client, ClientConfig, EventKind, EventSender};

    // backlog 0: one finished handshake may wait in the queue; then it is full.
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let _queued = TcpStream::connect(addr).unwrap();

    let (tx, rx) = crossbeam_channel::unbounded();
    let config = ClientConfig {
        port: addr.port(),
        ..ClientConfig::default()
    };
    let _client = Client::connect(config, EventSender::new(tx));
    let deadline = Instant::now() + Duration::from_secs(5);
    let dialing = std::iter::from_fn(|| {
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()
    })
    .find(|e| matches!(e.kind, EventKind::Dialing { .. }))
    .expect("a Dialing event within 5 s");
    let EventKind::Dialing { local, peer } = dialing.kind else {
        unreachable!()
    };
    assert_eq!(peer, addr);
    let mut reader = StateReader::new().unwrap();
    wait_state(
        &mut reader,
        &SocketKey {
            local,
            remote: peer,
        },
        TcpState::SynSent,
    );
    // Accepting frees the queue; the retried SYN gets through.
    let _first = listener.accept().unwrap();
    wait_state(
        &mut reader,
        &SocketKey {
            local,
            remote: peer,
        },
        TcpState::Established,
    );
}
