//! A teaching server gets poked: it serves everyone else while it turns
//! away what it cannot take. Past its maximum of clients, a newcomer is
//! told so in one line and closed; the clients already served go on.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{TIMEOUT, expect_bytes, read_to_end, start_server_with, wait_for};
use tcp_playground::net::{EventKind, ServerConfig};

fn server_with_max(max_clients: usize) -> ServerConfig {
    ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        max_clients,
        pace: Duration::ZERO,
        ..ServerConfig::default()
    }
}

/// What a client reads first: the greeting, or the line that turns it away.
fn first_words(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !(got.ends_with(b"Whats your name?")
        || got.ends_with(b"\n") && got.starts_with(b"Server busy"))
    {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

#[test]
fn past_the_maximum_a_client_is_told_in_one_line_and_closed() {
    let (server, events) = start_server_with(server_with_max(2));
    let mut first = TcpStream::connect(server.local_addr()).unwrap();
    let mut second = TcpStream::connect(server.local_addr()).unwrap();
    expect_bytes(&mut first, b"Welcome!\nWhats your name?");
    expect_bytes(&mut second, b"Welcome!\nWhats your name?");

    let mut third = TcpStream::connect(server.local_addr()).unwrap();
    third.set_read_timeout(Some(TIMEOUT)).unwrap();
    let told = read_to_end(&mut third);
    assert_eq!(
        told,
        b"Server busy: the server already serves its maximum of 2 clients; try again later.\n"
    );
    let rejected = wait_for(&events, |e| matches!(e.kind, EventKind::Rejected { .. }));
    assert!(
        matches!(rejected.kind, EventKind::Rejected { peer, .. } if peer == third.local_addr().unwrap())
    );

    // The clients already served go on; once one leaves, a newcomer is served.
    first.write_all(b"Alice").unwrap();
    expect_bytes(&mut first, b"Hello Alice!\nWhats your name?");
    first.write_all(b"exit").unwrap();
    expect_bytes(&mut first, b"Good bye!\n");
    read_to_end(&mut first);
    wait_for(&events, |e| matches!(e.kind, EventKind::Closed { .. }));
    let mut fourth = TcpStream::connect(server.local_addr()).unwrap();
    expect_bytes(&mut fourth, b"Welcome!\nWhats your name?");
    second.write_all(b"Bob").unwrap();
    expect_bytes(&mut second, b"Hello Bob!\nWhats your name?");
}

/// A storm of 2,000 connections in well under a second: each is served or
/// turned away, never more than the maximum are served (so the server's
/// threads and memory stay bounded), and a well-behaved client that was
/// there before still completes its dialogue.
#[test]
fn a_storm_of_connections_is_served_or_turned_away_and_others_go_on() {
    const MAX: usize = 100;
    const STORM: usize = 2000;
    let (server, _events) = start_server_with(server_with_max(MAX));
    let mut regular = TcpStream::connect(server.local_addr()).unwrap();
    expect_bytes(&mut regular, b"Welcome!\nWhats your name?");

    let started = std::time::Instant::now();
    let mut storm: Vec<TcpStream> = (0..STORM)
        .map(|_| TcpStream::connect(server.local_addr()).expect("connects"))
        .collect();
    eprintln!("{STORM} connects in {:?}", started.elapsed());
    assert!(server.client_count() <= MAX, "bounded during the storm");
    regular.write_all(b"Alice").unwrap();
    expect_bytes(&mut regular, b"Hello Alice!\nWhats your name?");

    let (mut served, mut turned_away) = (0, 0);
    for client in &mut storm {
        let words = first_words(client);
        if words == b"Welcome!\nWhats your name?" {
            served += 1;
        } else if words.starts_with(b"Server busy: ") {
            turned_away += 1;
        } else {
            panic!(
                "neither served nor told: {:?}",
                String::from_utf8_lossy(&words)
            );
        }
    }
    assert_eq!(served + turned_away, STORM);
    // The regular client holds one of the places.
    assert_eq!(
        served,
        MAX - 1,
        "served {served}, turned away {turned_away}"
    );
    assert!(server.client_count() <= MAX);
    regular.write_all(b"exit").unwrap();
    expect_bytes(&mut regular, b"Good bye!\n");
}

/// A client that sends names without ever reading the answers: the
/// server's answers pile up until its send() cannot finish; the write
/// timeout then ends that client, and another is served meanwhile.
#[test]
fn a_client_that_never_reads_is_ended_by_the_write_timeout() {
    let (server, events) = start_server_with(ServerConfig {
        write_timeout: Duration::from_secs(1),
        ..server_with_max(10)
    });
    let flood = TcpStream::connect(server.local_addr()).unwrap();
    let flooder = wait_for(&events, |e| matches!(e.kind, EventKind::Accepted { .. })).origin;
    let writer = std::thread::spawn(move || {
        let names = b"x\n".repeat(32 * 1024);
        // Until the server gives up on us (then the write fails); bounded.
        for _ in 0..1000 {
            if (&flood).write_all(&names).is_err() {
                return;
            }
        }
    });
    let mut regular = TcpStream::connect(server.local_addr()).unwrap();
    expect_bytes(&mut regular, b"Welcome!\nWhats your name?");
    regular.write_all(b"Alice").unwrap();
    expect_bytes(&mut regular, b"Hello Alice!\nWhats your name?");
    assert_eq!(
        common::wait_closed(&events, flooder),
        tcp_playground::net::CloseReason::Timeout
    );
    writer.join().unwrap();
    regular.write_all(b"exit").unwrap();
    expect_bytes(&mut regular, b"Good bye!\n");
}

/// What the server answers to one line-ended name: a greeting for each
/// piece of at most 1,024 bytes (ASCII here), each followed by the prompt.
fn answers_to(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in name.chunks(1024) {
        out.extend_from_slice(b"Hello ");
        out.extend_from_slice(piece);
        out.extend_from_slice(b"!\nWhats your name?");
    }
    out
}

/// Names of 1, 1,024, 1,025 bytes and 1 MiB, NUL bytes and a terminal
/// escape sequence, from a line client: each is answered byte for byte
/// (raw, pieces of at most 1,024 bytes), and a client alongside is served
/// the whole time.
#[test]
fn names_of_every_size_and_kind_are_answered_while_another_client_is_served() {
    let (server, _events) = start_server_with(server_with_max(10));
    let names: Vec<Vec<u8>> = vec![
        b"a".to_vec(),
        vec![b'b'; 1024],
        vec![b'c'; 1025],
        vec![b'd'; 1024 * 1024],
        b"nul\0in\0the\0middle".to_vec(),
        b"\x1b[2J\x1b[31mred\x07".to_vec(),
    ];
    let mut expected = b"Welcome!\nWhats your name?".to_vec();
    let mut sent = Vec::new();
    for name in &names {
        expected.extend(answers_to(name));
        sent.extend_from_slice(name);
        sent.push(b'\n');
    }
    expected.extend_from_slice(b"Good bye!\n");
    sent.extend_from_slice(b"exit\n");

    let stream = TcpStream::connect(server.local_addr()).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    // The answers to a megabyte are a megabyte: read them while writing.
    let mut reader = stream.try_clone().unwrap();
    let reading = std::thread::spawn(move || read_to_end(&mut reader));
    let mut regular = TcpStream::connect(server.local_addr()).unwrap();
    expect_bytes(&mut regular, b"Welcome!\nWhats your name?");
    (&stream).write_all(&sent).unwrap();
    regular.write_all(b"Alice").unwrap();
    expect_bytes(&mut regular, b"Hello Alice!\nWhats your name?");
    let got = reading.join().unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(
        got == expected,
        "the answers differ from what the protocol says"
    );
    regular.write_all(b"exit").unwrap();
    expect_bytes(&mut regular, b"Good bye!\n");
}
