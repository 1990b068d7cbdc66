//! Step mode holds each server thread before each step until "next".

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use tcp_playground::net::gate::StepGate;
use tcp_playground::net::{EventKind, EventSender, Server, ServerConfig};

fn wait_held(rx: &crossbeam_channel::Receiver<tcp_playground::net::NetEvent>) -> String {
    match wait_for(rx, |e| matches!(e.kind, EventKind::Held { .. })).kind {
        EventKind::Held { step } => step,
        _ => unreachable!(),
    }
}

#[test]
fn each_send_and_the_close_wait_for_next() {
    let gate = Arc::new(StepGate::new());
    gate.set_enabled(true);
    let (tx, rx) = crossbeam_channel::unbounded();
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        pace: Duration::ZERO,
        ..ServerConfig::default()
    };
    let server = Server::start_with_gate(config, EventSender::new(tx), Arc::clone(&gate)).unwrap();
    let mut s = connect(&server);
    assert_eq!(wait_held(&rx), r#"send "Welcome!\nWhats your name?""#);
    // Nothing is sent while held.
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert!(
        std::io::Read::read(&mut s, &mut [0u8; 16]).is_err(),
        "held: nothing sent yet"
    );
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    gate.next();
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all(b"exit").unwrap();
    assert_eq!(wait_held(&rx), r#"send "Good bye!\n""#);
    gate.next();
    expect_bytes(&mut s, b"Good bye!\n");
    assert_eq!(wait_held(&rx), "close()");
    gate.next();
    assert_eq!(read_to_end(&mut s), b"");
}

#[test]
fn stopping_the_server_releases_held_threads() {
    let gate = Arc::new(StepGate::new());
    gate.set_enabled(true);
    let (tx, rx) = crossbeam_channel::unbounded();
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let server = Server::start_with_gate(config, EventSender::new(tx), gate).unwrap();
    let _s = connect(&server);
    wait_held(&rx);
    server.stop();
    assert!(
        server.wait_stopped(Duration::from_secs(2)),
        "stopped within 2 s"
    );
}
