//! The socket calls each thread reports for one whole dialogue are the
//! calls of the tutorial's scripts, in the tutorial's order: the listener
//! `socket()`, `bind()`, `listen()`, `accept()`; the server thread
//! `send()`, `recv()`, …, `shutdown()`, `close()`; the client `socket()`,
//! `connect()`, `recv()`, `send()`, …, `recv()` returning 0, `close()`.

mod common;

use std::time::{Duration, Instant};

use common::TIMEOUT;
use tcp_playground::net::calls::{Call, CallResult};
use tcp_playground::net::{
    Client, ClientConfig, EventKind, EventSender, NetEvent, Origin, Server, ServerConfig,
    ServerMessage,
};

/// `+recv` when a call starts, `recv=5` when it returns 5 bytes (`=ok`,
/// `=peer`, `=error` for the other results). A `send()` and a `recv()`
/// that returned bytes are reported by `Sent` and `Received`.
fn call_word(kind: &EventKind) -> Option<String> {
    let name = |call: &Call| call.name().trim_end_matches("()").to_owned();
    match kind {
        EventKind::Sent { bytes } => Some(format!("send={}", bytes.len())),
        EventKind::Received { bytes } => Some(format!("recv={}", bytes.len())),
        EventKind::CallStart { call } => Some(format!("+{}", name(call))),
        EventKind::CallEnd { call, result } => Some(format!(
            "{}={}",
            name(call),
            match result {
                CallResult::Done => "ok".to_owned(),
                CallResult::Peer(_) => "peer".to_owned(),
                CallResult::Bytes(n) => n.to_string(),
                CallResult::Failed(_) => "error".to_owned(),
            }
        )),
        _ => None,
    }
}

fn calls_of(log: &[NetEvent], origin: Origin) -> Vec<String> {
    log.iter()
        .filter(|e| e.origin == origin)
        .filter_map(|e| call_word(&e.kind))
        .collect()
}

#[test]
fn one_dialogue_makes_the_tutorials_calls_in_order_on_each_side() {
    // Both ends report on one channel. Pacing keeps each message in a
    // recv() of its own.
    let (tx, events) = crossbeam_channel::unbounded();
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        pace: Duration::from_millis(100),
        ..ServerConfig::default()
    };
    let server = Server::start(config, EventSender::new(tx.clone())).expect("server starts");
    let client = Client::connect(
        ClientConfig {
            port: server.local_addr().port(),
            ..ClientConfig::default()
        },
        EventSender::new(tx),
    );
    let mut log = Vec::new();
    let mut prompts = 0;
    let mut closed = 0;
    let deadline = Instant::now() + TIMEOUT;
    while closed < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events.recv_timeout(left).expect("the dialogue goes on");
        match &event.kind {
            EventKind::Message {
                message: ServerMessage::Prompt,
            } => {
                prompts += 1;
                client.send_name(if prompts == 1 { "Alice" } else { "exit" });
            }
            EventKind::Closed { .. } => closed += 1,
            _ => {}
        }
        log.push(event);
    }
    server.stop();
    assert!(server.wait_stopped(Duration::from_secs(5)));
    log.extend(events.try_iter());

    let listener = calls_of(&log, Origin::Listener);
    assert_eq!(
        listener[..8],
        [
            "+socket",
            "socket=ok",
            "+bind",
            "bind=ok",
            "+listen",
            "listen=ok",
            "+accept",
            "accept=peer",
        ],
        "{listener:?}"
    );

    let conn = log
        .iter()
        .find_map(|e| matches!(e.kind, EventKind::Accepted { .. }).then_some(e.origin))
        .expect("accepted");
    assert_eq!(
        calls_of(&log, conn),
        [
            "send=9",  // Welcome!\n
            "send=16", // Whats your name?
            "+recv",
            "recv=5",  // Alice
            "send=13", // Hello Alice!\n
            "send=16",
            "+recv",
            "recv=4",  // exit
            "send=10", // Good bye!\n
            "+shutdown",
            "shutdown=ok",
            "+close",
            "close=ok",
        ]
    );

    // The client's reader and sender are two threads: their calls are
    // checked apart, each in its own order.
    let tab = client.origin();
    let all = calls_of(&log, tab);
    let (sends, others): (Vec<String>, Vec<String>) =
        all.into_iter().partition(|w| w.contains("send"));
    assert_eq!(sends, ["send=5", "send=4"]);
    assert_eq!(
        others,
        [
            "+socket",
            "socket=ok",
            "+bind",
            "bind=ok",
            "+connect",
            "connect=ok",
            "+recv",
            "recv=9",
            "+recv",
            "recv=16",
            "+recv",
            "recv=13",
            "+recv",
            "recv=16",
            "+recv",
            "recv=10",
            "+recv",
            "recv=0", // the server's FIN
            "+close",
            "close=ok",
        ]
    );
}
