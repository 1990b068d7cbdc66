//! The server speaks the dialogue byte for byte, to both kinds of clients,
//! and ends each connection for the right reason.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use tcp_playground::net::{CloseReason, EventKind, EventSender, Heard, Server, ServerConfig};

#[test]
fn every_row_of_the_protocol_table_byte_for_byte() {
    let (server, events) = start_server(5);
    let mut s = connect(&server);
    // Right after accept, then before the first name.
    expect_bytes(&mut s, b"Welcome!\n");
    expect_bytes(&mut s, b"Whats your name?");
    // A name as the tutorial's client sends it: raw, no terminator.
    s.write_all(b"Alice").unwrap();
    expect_bytes(&mut s, b"Hello Alice!\n");
    expect_bytes(&mut s, b"Whats your name?");
    // exit: good bye, then the server closes.
    s.write_all(b"exit").unwrap();
    assert_eq!(read_to_end(&mut s), b"Good bye!\n");
    let origin = wait_accepted(&events);
    assert_eq!(wait_closed(&events, origin), CloseReason::Exit);
}

#[test]
fn pacing_sends_the_prompt_as_its_own_segment() {
    let (server, _events) = start_server(20);
    let mut s = connect(&server);
    // With a 20 ms pause, the first recv sees only the welcome.
    assert_eq!(read_once(&mut s), b"Welcome!\n");
    assert_eq!(read_once(&mut s), b"Whats your name?");
    s.write_all(b"Bob").unwrap();
    assert_eq!(read_once(&mut s), b"Hello Bob!\n");
    assert_eq!(read_once(&mut s), b"Whats your name?");
}

#[test]
fn without_pacing_reply_and_prompt_go_out_in_one_write() {
    let (server, events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all(b"Bob").unwrap();
    expect_bytes(&mut s, b"Hello Bob!\nWhats your name?");
    let origin = wait_accepted(&events);
    let sent = wait_for(&events, |e| {
        e.origin == origin
            && matches!(&e.kind, EventKind::Sent { bytes } if bytes.as_slice().starts_with(b"Hello"))
    });
    let EventKind::Sent { bytes } = sent.kind else {
        unreachable!()
    };
    assert_eq!(bytes.as_slice(), b"Hello Bob!\nWhats your name?");
}

#[test]
fn line_clients_send_lines_with_lf_or_crlf() {
    let (server, _events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all(b"Alice\n").unwrap();
    expect_bytes(&mut s, b"Hello Alice!\nWhats your name?");
    s.write_all(b"Bob\r\n").unwrap();
    expect_bytes(&mut s, b"Hello Bob!\nWhats your name?");
    // Several lines in one write are several names; an empty line asks again.
    s.write_all("Carol\n\n张三\nexit\n".as_bytes()).unwrap();
    let rest = read_to_end(&mut s);
    assert_eq!(
        String::from_utf8(rest).unwrap(),
        "Hello Carol!\nWhats your name?Whats your name?Hello 张三!\nWhats your name?Good bye!\n"
    );
}

#[test]
fn empty_line_asks_again_without_greeting() {
    let (server, events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all(b"\r\n").unwrap();
    expect_bytes(&mut s, b"Whats your name?");
    wait_for(&events, |e| {
        matches!(
            &e.kind,
            EventKind::Heard {
                heard: Heard::EmptyName
            }
        )
    });
}

#[test]
fn chinese_and_invalid_utf8_names_are_echoed_raw() {
    let (server, _events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all("张三".as_bytes()).unwrap();
    expect_bytes(&mut s, "Hello 张三!\nWhats your name?".as_bytes());
    // GBK for 张三, which is not UTF-8.
    s.write_all(b"\xd5\xc5\xc8\xfd").unwrap();
    expect_bytes(&mut s, b"Hello \xd5\xc5\xc8\xfd!\nWhats your name?");
}

#[test]
fn eof_without_exit_ends_that_client_as_eof() {
    let (server, events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut s), b"");
    let origin = wait_accepted(&events);
    assert_eq!(wait_closed(&events, origin), CloseReason::Eof);
}

#[test]
fn half_closed_line_client_still_gets_its_last_name_answered() {
    let (server, _events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all(b"Alice\nBob").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let rest = read_to_end(&mut s);
    assert_eq!(
        rest,
        b"Hello Alice!\nWhats your name?Hello Bob!\nWhats your name?"
    );
}

#[test]
fn reset_mid_dialogue_is_reported_as_reset() {
    let (server, events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    // Closing with linger 0 sends RST instead of FIN.
    let socket = socket2::Socket::from(s);
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    drop(socket);
    let origin = wait_accepted(&events);
    assert_eq!(wait_closed(&events, origin), CloseReason::Reset);
}

#[test]
fn kick_closes_one_client_and_others_keep_talking() {
    let (server, events) = start_server(0);
    let mut a = connect(&server);
    expect_bytes(&mut a, b"Welcome!\nWhats your name?");
    let first = wait_accepted(&events);
    let mut b = connect(&server);
    expect_bytes(&mut b, b"Welcome!\nWhats your name?");
    let second = wait_accepted(&events);
    let tcp_playground::net::Origin::ServerConn(id) = first else {
        panic!()
    };
    assert!(server.kick(id));
    assert_eq!(read_to_end(&mut a), b"");
    assert_eq!(wait_closed(&events, first), CloseReason::Kicked);
    b.write_all(b"Bob").unwrap();
    expect_bytes(&mut b, b"Hello Bob!\nWhats your name?");
    server.close_all();
    assert_eq!(wait_closed(&events, second), CloseReason::Kicked);
    assert!(!server.kick(id), "a kicked client is gone");
}

#[test]
fn stop_closes_everyone_joins_within_a_second_and_frees_the_port() {
    let (server, events) = start_server(5);
    let addr = server.local_addr();
    let mut clients: Vec<TcpStream> = (0..20).map(|_| connect(&server)).collect();
    for c in &mut clients {
        expect_bytes(c, b"Welcome!\n");
    }
    for _ in 0..20 {
        wait_accepted(&events);
    }
    let started = std::time::Instant::now();
    server.stop();
    assert!(
        server.wait_stopped(Duration::from_secs(1)),
        "stopped within 1 s"
    );
    let took = started.elapsed();
    let mut reasons = 0;
    for event in events.try_iter() {
        if let EventKind::Closed { reason } = event.kind {
            assert_eq!(reason, CloseReason::ServerStopped);
            reasons += 1;
        }
    }
    assert_eq!(reasons, 20);
    assert_eq!(server.client_count(), 0);
    // The same port binds again at once, although the closed connections
    // are in TIME_WAIT on the server's side.
    let again = Server::start(
        ServerConfig {
            bind: addr,
            ..ServerConfig::default()
        },
        tcp_playground::net::EventSender::new(crossbeam_channel::unbounded().0),
    )
    .expect("rebinding the same port works at once");
    assert_eq!(again.local_addr(), addr);
    eprintln!("stop took {took:?}");
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let (server, _events) = start_server(0);
    let taken = ServerConfig {
        bind: server.local_addr(),
        ..ServerConfig::default()
    };
    // SO_REUSEADDR does not allow two listeners on one port.
    let err = Server::start(
        taken,
        tcp_playground::net::EventSender::new(crossbeam_channel::unbounded().0),
    )
    .unwrap_err();
    let port = server.local_addr().port();
    assert!(
        err.to_string()
            .starts_with(&format!("port {port} is already in use")),
        "{err}"
    );
}

#[test]
fn one_connection_reports_its_steps_in_order_with_rising_timestamps() {
    let (server, events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all(b"exit").unwrap();
    read_to_end(&mut s);
    server.stop();
    assert!(server.wait_stopped(TIMEOUT));
    let all: Vec<_> = events.try_iter().collect();
    assert_eq!(all.last().map(|e| &e.kind), Some(&EventKind::Stopped));
    // The dialogue's steps; the socket calls between them are checked in
    // tests/calls.rs.
    let conn: Vec<_> = all
        .iter()
        .filter(|e| matches!(e.origin, tcp_playground::net::Origin::ServerConn(_)))
        .filter(|e| {
            !matches!(
                e.kind,
                EventKind::CallStart { .. } | EventKind::CallEnd { .. }
            )
        })
        .collect();
    let kinds: Vec<&str> = conn
        .iter()
        .map(|e| tcp_playground::transcript::kind_name(&e.kind))
        .collect();
    assert_eq!(
        kinds,
        ["accepted", "sent", "received", "heard", "sent", "closed"]
    );
    assert!(conn.windows(2).all(|w| w[0].time <= w[1].time));
}

#[test]
fn a_lifecycle_only_reader_hears_of_connections_but_not_of_their_steps() {
    let (tx, events) = crossbeam_channel::unbounded();
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        pace: Duration::ZERO,
        ..ServerConfig::default()
    };
    let server = Server::start(config, EventSender::lifecycle_only(tx)).expect("server starts");
    let mut s = connect(&server);
    // The dialogue itself is byte for byte the same.
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all("张三".as_bytes()).unwrap();
    expect_bytes(&mut s, "Hello 张三!\nWhats your name?".as_bytes());
    s.write_all(b"exit").unwrap();
    assert_eq!(read_to_end(&mut s), b"Good bye!\n");
    // Every event up to the server's stop: connections come and go, and
    // not one step in between.
    let mut all = Vec::new();
    let next = || events.recv_timeout(TIMEOUT).expect("an event").kind;
    while !matches!(all.last(), Some(EventKind::Closed { .. })) {
        all.push(next());
    }
    server.stop();
    while all.last() != Some(&EventKind::Stopped) {
        all.push(next());
    }
    assert!(all.iter().all(|k| !k.is_step()), "{all:#?}");
    assert!(matches!(all[0], EventKind::Listening { .. }), "{all:#?}");
    assert!(matches!(all[1], EventKind::Accepted { .. }), "{all:#?}");
    assert_eq!(
        all[2],
        EventKind::Closed {
            reason: CloseReason::Exit
        }
    );
}

/// Stopping wakes the listener from `accept()` by connecting to it. The
/// listener may close that connection before the connect is seen to
/// finish; Windows reported that as a failed wake-up ("no error set after
/// POLLHUP"). Twenty stops in a row: each one stops, and none reports an
/// error.
#[test]
fn stopping_wakes_the_listener_without_an_error_twenty_times() {
    for run in 1..=20 {
        let (server, events) = start_server(0);
        wait_for(&events, |e| matches!(e.kind, EventKind::Listening { .. }));
        server.stop();
        let stopped = wait_for(&events, |e| {
            matches!(e.kind, EventKind::Stopped | EventKind::Error { .. })
        });
        assert!(
            matches!(stopped.kind, EventKind::Stopped),
            "run {run}: {stopped:?}"
        );
    }
}
