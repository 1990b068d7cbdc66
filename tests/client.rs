//! The client holds the dialogue with our server and with bad servers, and
//! says plainly why each connection ended.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use common::*;
use crossbeam_channel::{Receiver, unbounded};
use tcp_playground::net::{
    Bytes, Client, ClientConfig, CloseReason, EventKind, EventSender, NetEvent, ServerMessage,
};

fn client_for(port: u16) -> (Client, Receiver<NetEvent>) {
    let config = ClientConfig {
        port,
        reply_timeout: Duration::from_secs(5),
        ..ClientConfig::default()
    };
    client_with(config)
}

fn client_with(config: ClientConfig) -> (Client, Receiver<NetEvent>) {
    let (tx, rx) = unbounded();
    (Client::connect(config, EventSender::new(tx)), rx)
}

fn wait_message(rx: &Receiver<NetEvent>) -> ServerMessage {
    match wait_for(rx, |e| matches!(e.kind, EventKind::Message { .. })).kind {
        EventKind::Message { message } => message,
        _ => unreachable!(),
    }
}

/// One dialogue against our server: Alice, 张三, exit.
fn full_dialogue(pace_ms: u64) {
    let (server, _server_events) = start_server(pace_ms);
    let (client, rx) = client_for(server.local_addr().port());
    let connected = wait_for(&rx, |e| matches!(e.kind, EventKind::Connected { .. }));
    let EventKind::Connected { peer, .. } = connected.kind else {
        unreachable!()
    };
    assert_eq!(peer, server.local_addr());
    assert_eq!(wait_message(&rx), ServerMessage::Welcome);
    assert_eq!(wait_message(&rx), ServerMessage::Prompt);
    for name in ["Alice", "张三"] {
        client.send_name(name);
        assert_eq!(wait_message(&rx), ServerMessage::Hello(Bytes::from(name)));
        assert_eq!(wait_message(&rx), ServerMessage::Prompt);
    }
    client.send_name("exit");
    assert_eq!(wait_message(&rx), ServerMessage::GoodBye);
    assert_eq!(wait_closed(&rx, client.origin()), CloseReason::Exit);
}

#[test]
fn completes_the_dialogue_with_pacing() {
    full_dialogue(5);
}

#[test]
fn completes_the_dialogue_without_pacing_where_messages_arrive_glued() {
    full_dialogue(0);
}

#[test]
fn refused_connection_is_explained() {
    // Bind a port, then free it: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (client, rx) = client_for(port);
    match wait_closed(&rx, client.origin()) {
        CloseReason::ConnectFailed(why) => assert!(why.contains("refused"), "{why}"),
        other => panic!("expected a refused connection, got {other:?}"),
    }
}

#[test]
fn unknown_host_is_explained() {
    let config = ClientConfig {
        host: "no-such-host.invalid".into(),
        ..ClientConfig::default()
    };
    let (client, rx) = client_with(config);
    match wait_closed(&rx, client.origin()) {
        CloseReason::ConnectFailed(why) => assert!(why.contains("cannot find host"), "{why}"),
        other => panic!("expected a lookup failure, got {other:?}"),
    }
}

#[test]
fn localhost_resolves_and_connects() {
    let (server, _events) = start_server(0);
    let config = ClientConfig {
        host: "localhost".into(),
        port: server.local_addr().port(),
        ..ClientConfig::default()
    };
    let (_client, rx) = client_with(config);
    wait_for(&rx, |e| matches!(e.kind, EventKind::Connected { .. }));
    assert_eq!(wait_message(&rx), ServerMessage::Welcome);
}

#[test]
fn a_server_that_goes_away_is_reported_as_eof_even_while_the_user_types() {
    let (server, events) = start_server(0);
    let (client, rx) = client_for(server.local_addr().port());
    assert_eq!(wait_message(&rx), ServerMessage::Welcome);
    assert_eq!(wait_message(&rx), ServerMessage::Prompt);
    wait_accepted(&events);
    // The user has not typed anything; the server stops meanwhile.
    server.stop();
    assert_eq!(wait_closed(&rx, client.origin()), CloseReason::Eof);
}

#[test]
fn disconnect_is_reported_as_the_users_choice() {
    let (server, events) = start_server(0);
    let (client, rx) = client_for(server.local_addr().port());
    assert_eq!(wait_message(&rx), ServerMessage::Welcome);
    let conn = wait_accepted(&events);
    client.disconnect();
    assert_eq!(wait_closed(&rx, client.origin()), CloseReason::Disconnected);
    assert_eq!(wait_closed(&events, conn), CloseReason::Eof);
}

#[test]
fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = ClientConfig {
        port: listener.local_addr().unwrap().port(),
        reply_timeout: Duration::from_millis(300),
        ..ClientConfig::default()
    };
    let (client, rx) = client_with(config);
    let (_held, _) = listener.accept().unwrap();
    assert_eq!(wait_closed(&rx, client.origin()), CloseReason::Timeout);
}

#[test]
fn garbage_from_the_server_is_shown_as_unexpected() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (_client, rx) = client_for(listener.local_addr().unwrap().port());
    let (mut server_side, _) = listener.accept().unwrap();
    server_side
        .write_all(b"HTTP/1.1 400 Bad Request\r\n")
        .unwrap();
    assert_eq!(
        wait_message(&rx),
        ServerMessage::Unexpected(Bytes::from("HTTP/1.1 400 Bad Request\r\n"))
    );
}

/// A server that streams megabytes of something else: the client stops
/// after a bounded amount and says why, instead of reading forever.
#[test]
fn megabytes_of_garbage_end_the_connection_with_a_clear_error() {
    use tcp_playground::net::client::MAX_UNEXPECTED;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, rx) = client_for(listener.local_addr().unwrap().port());
    let (mut server_side, _) = listener.accept().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'x'; 64 * 1024];
        // Until the client closes (the write then fails), at most 8 MiB.
        for _ in 0..128 {
            if server_side.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    match wait_closed(&rx, client.origin()) {
        CloseReason::Error(why) => {
            assert!(why.contains("not the name dialogue"), "{why}");
            assert!(
                why.contains(&format!("{} KiB", MAX_UNEXPECTED / 1024)),
                "{why}"
            );
        }
        other => panic!("closed as {other:?}"),
    }
    writer.join().unwrap();
}
