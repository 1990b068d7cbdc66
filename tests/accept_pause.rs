//! Pausing accept(): connections wait in the kernel's backlog queue, and
//! once it is full new clients stay in SYN_SENT, until accept() resumes.
#![cfg(target_os = "linux")]

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use tcp_playground::net::tcp_state::{SocketKey, StateReader, TcpState};
use tcp_playground::net::{
    Client, ClientConfig, EventKind, EventSender, ServerConfig, ServerMessage,
};

#[test]
fn a_paused_listener_queues_then_holds_syn_sent_until_resumed() {
    let (server, events) = start_server_with(ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        backlog: 0,
        ..ServerConfig::default()
    });
    server.set_accept_paused(true);
    assert!(server.is_accept_paused());
    // The first client finishes its handshake in the kernel and waits in
    // the queue: nobody accepts it, so no thread greets it.
    let _queued = TcpStream::connect_timeout(&server.local_addr(), TIMEOUT).unwrap();
    let quiet_until = Instant::now() + Duration::from_millis(300);
    while let Ok(e) = events.recv_timeout(quiet_until.saturating_duration_since(Instant::now())) {
        assert!(
            !matches!(e.kind, EventKind::Accepted { .. }),
            "accepted while paused: {e:?}"
        );
    }
    // The queue (backlog 0 holds one) is full: the next client's SYN is
    // dropped and it stays in SYN_SENT.
    let (tx, client_events) = crossbeam_channel::unbounded();
    let client = Client::connect(
        ClientConfig {
            port: server.local_addr().port(),
            ..ClientConfig::default()
        },
        EventSender::new(tx),
    );
    let dialing = wait_for(&client_events, |e| {
        matches!(e.kind, EventKind::Dialing { .. })
    });
    let EventKind::Dialing { local, peer } = dialing.kind else {
        unreachable!()
    };
    let key = SocketKey {
        local,
        remote: peer,
    };
    let mut reader = StateReader::new().unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while reader.read(&key).unwrap().state != TcpState::SynSent {
        assert!(Instant::now() < deadline, "never seen in SYN_SENT");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Resume: both are accepted; the held client gets its greeting once
    // its SYN is retried.
    server.set_accept_paused(false);
    wait_accepted(&events);
    wait_accepted(&events);
    wait_for(&client_events, |e| {
        e.origin == client.origin()
            && e.kind
                == EventKind::Message {
                    message: ServerMessage::Welcome,
                }
    });
    server.stop();
    assert!(server.wait_stopped(Duration::from_secs(2)));
}

#[test]
fn a_paused_server_still_stops_at_once() {
    let (server, _events) = start_server(0);
    server.set_accept_paused(true);
    server.stop();
    assert!(server.wait_stopped(Duration::from_secs(1)));
}
