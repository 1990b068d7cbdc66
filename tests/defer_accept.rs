//! "Hold SYN_RECV": with deferred accept, the server's end of a new
//! connection stays in SYN_RECV (the client is already ESTABLISHED) until
//! the kernel gives up waiting for data, about 3 s; only then does
//! `accept()` return it and the server greet. The watcher sees the held
//! state from the client's side, and the option can be switched on and
//! off while the server runs.
#![cfg(target_os = "linux")]

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{start_server_with, wait_for};
use tcp_playground::net::tcp_state::{SocketKey, StateReader, TcpState};
use tcp_playground::net::watch::StateWatcher;
use tcp_playground::net::{EventKind, EventSender, Origin, Server, ServerConfig};

const HOLD: Duration = Duration::from_secs(2);

/// Reads `key` until it leaves SYN_RECV; returns how long it was held
/// (fails if it is not in SYN_RECV at first, or after 10 s).
fn syn_recv_held_for(reader: &mut StateReader, key: &SocketKey) -> Duration {
    let start = Instant::now();
    let first = reader.read(key).expect("the kernel answers").state;
    assert_eq!(first, TcpState::SynRecv, "held at first");
    loop {
        let state = reader.read(key).expect("the kernel answers").state;
        if state != TcpState::SynRecv {
            assert_eq!(state, TcpState::Established);
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still held");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn server_key(client: &TcpStream) -> SocketKey {
    SocketKey {
        local: client.peer_addr().unwrap(),
        remote: client.local_addr().unwrap(),
    }
}

#[test]
fn deferred_accept_holds_the_servers_end_in_syn_recv_then_greets() {
    let (server, events) = start_server_with(ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        defer_accept: HOLD,
        ..ServerConfig::default()
    });
    let mut reader = StateReader::new().unwrap();
    let mut client = TcpStream::connect(server.local_addr()).unwrap();
    let held = syn_recv_held_for(&mut reader, &server_key(&client));
    assert!(held >= HOLD, "held {held:?}");
    wait_for(&events, |e| matches!(e.kind, EventKind::Accepted { .. }));
    let mut welcome = [0u8; 9];
    client.read_exact(&mut welcome).unwrap();
    assert_eq!(&welcome, b"Welcome!\n");
}

#[test]
fn the_hold_can_be_switched_on_and_off_while_the_server_runs() {
    let (server, events) = common::start_server(0);
    let mut reader = StateReader::new().unwrap();
    server.set_defer_accept(HOLD).unwrap();
    let held = TcpStream::connect(server.local_addr()).unwrap();
    assert!(syn_recv_held_for(&mut reader, &server_key(&held)) >= HOLD);
    server.set_defer_accept(Duration::ZERO).unwrap();
    let at_once = TcpStream::connect(server.local_addr()).unwrap();
    let key = server_key(&at_once);
    let deadline = Instant::now() + Duration::from_secs(1);
    while reader.read(&key).unwrap().state != TcpState::Established {
        assert!(Instant::now() < deadline, "not held any more");
        std::thread::sleep(Duration::from_millis(1));
    }
    wait_for(&events, |e| matches!(e.kind, EventKind::Accepted { .. }));
}

#[test]
fn the_watcher_reports_the_held_peer_end_until_it_moves_on() {
    let (tx, rx) = crossbeam_channel::unbounded();
    let sender = EventSender::new(tx);
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        defer_accept: HOLD,
        ..ServerConfig::default()
    };
    let server = Server::start(config, sender.clone()).unwrap();
    let watcher = StateWatcher::start(sender, Duration::from_millis(5), Duration::from_millis(5))
        .expect("states can be read");
    let client = TcpStream::connect(server.local_addr()).unwrap();
    let origin = Origin::Client(9999);
    watcher.watch_peer(origin, server_key(&client));
    let peer_states = |rx: &crossbeam_channel::Receiver<_>| {
        common::wait_for(rx, |e| {
            e.origin == origin && matches!(e.kind, EventKind::PeerTcpState { .. })
        })
    };
    let held = peer_states(&rx);
    assert_eq!(
        held.kind,
        EventKind::PeerTcpState {
            state: TcpState::SynRecv
        }
    );
    let next = peer_states(&rx);
    assert_eq!(
        next.kind,
        EventKind::PeerTcpState {
            state: TcpState::Established
        }
    );
    assert!(next.time - held.time >= chrono::Duration::from_std(HOLD).unwrap());
    drop(client);
}
