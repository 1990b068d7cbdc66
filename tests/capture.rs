//! Real segments of one name dialogue, captured on loopback: the handshake
//! and close arithmetic of RFC 9293 must hold on the numbers the kernel
//! really used.
//!
//! Capturing needs root or `CAP_NET_RAW`; without it each test says it was
//! skipped and passes (CI runs as root).
#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use crossbeam_channel::{Receiver, unbounded};
use tcp_playground::net::capture::{Capture, CaptureError, Flags, Segment};

/// Starts a capture of `ports`, or `None` (after saying so) without the
/// privilege to capture.
fn start_capture(ports: &[u16], test: &str) -> Option<(Capture, Receiver<Segment>)> {
    let (tx, rx) = unbounded();
    match Capture::start(ports, tx) {
        Ok(capture) => Some((capture, rx)),
        Err(CaptureError::NoPrivilege) => {
            println!("skipped {test}: {}", CaptureError::NoPrivilege);
            None
        }
        Err(e) => panic!("cannot capture: {e}"),
    }
}

/// Receives segments of the connection `client`–`server` (either
/// direction) until `done` says the list is complete; fails after
/// [`TIMEOUT`], showing what came.
fn collect_until(
    rx: &Receiver<Segment>,
    client: SocketAddr,
    server: SocketAddr,
    done: impl Fn(&[Segment]) -> bool,
) -> Vec<Segment> {
    let deadline = Instant::now() + TIMEOUT;
    let mut segments = Vec::new();
    while !done(&segments) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(s) if (s.src, s.dst) == (client, server) || (s.src, s.dst) == (server, client) => {
                segments.push(s)
            }
            Ok(_) => {}
            Err(_) => panic!("timed out; captured so far:\n{}", show(&segments)),
        }
    }
    segments
}

fn show(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| format!("  {s}\n"))
        .collect::<String>()
}

/// Whether some segment from `from` acknowledges the FIN of `fin`.
fn acknowledged(segments: &[Segment], fin: &Segment) -> bool {
    segments.iter().any(|s| {
        s.src == fin.dst
            && s.flags.contains(Flags::ACK)
            && s.ack == fin.seq.wrapping_add(fin.seq_len())
    })
}

/// The FIN sent by `from`, if it came.
fn fin_from(segments: &[Segment], from: SocketAddr) -> Option<&Segment> {
    segments
        .iter()
        .find(|s| s.src == from && s.flags.contains(Flags::FIN))
}

#[test]
fn one_dialogue_shows_the_handshake_and_close_arithmetic() {
    let (server, _events) = start_server(0);
    let server_addr = server.local_addr();
    let Some((_capture, segments)) = start_capture(
        &[server_addr.port()],
        "one_dialogue_shows_the_handshake_and_close_arithmetic",
    ) else {
        return;
    };

    // One full dialogue, counting the bytes each side sends.
    let mut s = TcpStream::connect(server_addr).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    let client_addr = s.local_addr().unwrap();
    let mut server_sent = 0;
    let mut client_sent = 0;
    for (expected, reply) in [
        (&b"Welcome!\nWhats your name?"[..], &b"Alice"[..]),
        (b"Hello Alice!\nWhats your name?", b"exit"),
    ] {
        expect_bytes(&mut s, expected);
        server_sent += expected.len();
        s.write_all(reply).unwrap();
        client_sent += reply.len();
    }
    let last = read_to_end(&mut s);
    assert_eq!(last, b"Good bye!\n");
    server_sent += last.len();
    drop(s);

    // Complete when both FINs are in and acknowledged.
    let all = collect_until(&segments, client_addr, server_addr, |seen| {
        [client_addr, server_addr]
            .iter()
            .all(|&end| fin_from(seen, end).is_some_and(|fin| acknowledged(seen, fin)))
    });
    // Anything late would be a duplicate or a stray retransmission.
    let mut all = all;
    while let Ok(s) = segments.recv_timeout(Duration::from_millis(200)) {
        if s.src == client_addr || s.dst == client_addr {
            all.push(s);
        }
    }
    let text = show(&all);
    println!("captured:\n{text}");

    // Handshake: SYN (seq x), SYN+ACK (seq y, ack x+1), ACK (seq x+1, ack y+1).
    let syns: Vec<_> = all.iter().filter(|s| s.flags == Flags::SYN).collect();
    assert_eq!(syns.len(), 1, "exactly one SYN:\n{text}");
    let syn = syns[0];
    assert_eq!((syn.src, syn.dst), (client_addr, server_addr), "{text}");
    assert_eq!(all[0], *syn, "the SYN comes first:\n{text}");
    let x = syn.seq;
    let syn_ack = &all[1];
    assert_eq!(syn_ack.flags, Flags::SYN | Flags::ACK, "{text}");
    assert_eq!(syn_ack.src, server_addr, "{text}");
    assert_eq!(syn_ack.ack, x.wrapping_add(1), "{text}");
    let y = syn_ack.seq;
    let ack = &all[2];
    assert_eq!(ack.src, client_addr, "{text}");
    assert_eq!(ack.flags, Flags::ACK, "{text}");
    assert_eq!((ack.seq, ack.ack), (x.wrapping_add(1), y.wrapping_add(1)));

    // Each segment once: no two are the same apart from the time.
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            let same = Segment {
                time: a.time,
                ..b.clone()
            };
            assert_ne!(*a, same, "a segment reported twice:\n{text}");
        }
    }

    // The payloads add up to what each side sent.
    let sent_by = |from| -> usize {
        all.iter()
            .filter(|s| s.src == from)
            .map(|s| s.payload_len)
            .sum()
    };
    assert_eq!(sent_by(client_addr), client_sent, "{text}");
    assert_eq!(sent_by(server_addr), server_sent, "{text}");

    // The server closes first, after Good bye!; each FIN is acknowledged
    // with its sequence number + 1 (+ any data it carried).
    let position = |fin: &Segment| all.iter().position(|s| s == fin);
    let server_fin = fin_from(&all, server_addr).unwrap();
    let client_fin = fin_from(&all, client_addr).unwrap();
    assert!(position(server_fin) < position(client_fin), "{text}");
    assert!(acknowledged(&all, server_fin), "{text}");
    assert!(acknowledged(&all, client_fin), "{text}");
    // And the numbers run on from the handshake: every byte accounted for.
    assert_eq!(
        server_fin.seq.wrapping_add(server_fin.payload_len as u32),
        y.wrapping_add(1).wrapping_add(server_sent as u32),
        "{text}"
    );
    assert_eq!(
        client_fin.seq,
        x.wrapping_add(1).wrapping_add(client_sent as u32),
        "{text}"
    );
    assert!(all.iter().all(|s| !s.flags.contains(Flags::RST)), "{text}");
}

#[test]
fn a_port_watched_after_start_is_reported_and_others_are_not() {
    let Some((capture, segments)) = start_capture(
        &[],
        "a_port_watched_after_start_is_reported_and_others_are_not",
    ) else {
        return;
    };
    let (unwatched, _e1) = start_server(0);
    let (watched, _e2) = start_server(0);
    capture.watch_port(watched.local_addr().port());

    let mut a = connect(&unwatched);
    expect_bytes(&mut a, b"Welcome!\nWhats your name?");
    let mut b = connect(&watched);
    expect_bytes(&mut b, b"Welcome!\nWhats your name?");
    let b_addr = b.local_addr().unwrap();
    // Everything the capture reports, until the welcome to `b` shows up.
    let mut seen = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while !seen
        .iter()
        .any(|s: &Segment| s.dst == b_addr && s.payload_len > 0)
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match segments.recv_timeout(left) {
            Ok(s) => seen.push(s),
            Err(_) => panic!("timed out; captured so far:\n{}", show(&seen)),
        }
    }
    drop(a);
    while let Ok(s) = segments.recv_timeout(Duration::from_millis(200)) {
        seen.push(s);
    }
    let text = show(&seen);
    assert_eq!(seen[0].flags, Flags::SYN, "{text}");
    assert_eq!(seen[0].src, b_addr, "{text}");
    let other = unwatched.local_addr().port();
    assert!(
        seen.iter()
            .all(|s| s.src.port() != other && s.dst.port() != other),
        "segments of an unwatched port:\n{text}"
    );
}

#[test]
fn dropping_the_capture_stops_its_thread_and_closes_the_channel() {
    let Some((capture, segments)) = start_capture(
        &[1],
        "dropping_the_capture_stops_its_thread_and_closes_the_channel",
    ) else {
        return;
    };
    let started = Instant::now();
    drop(capture);
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!(
        segments.recv_timeout(TIMEOUT),
        Err(crossbeam_channel::RecvTimeoutError::Disconnected)
    );
}
