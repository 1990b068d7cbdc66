//! Misbehaving clients, one after another, while a well-behaved client holds
//! dialogues the whole time. Each misbehaviour ends only its own connection,
//! with its reason in the events; the good client never misses an answer;
//! and when it is all over the process has no more threads or file
//! descriptors than before. (Alone in its file: it counts the whole
//! process's threads and descriptors.)
#![cfg(target_os = "linux")]

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{TIMEOUT, expect_bytes, read_to_end, start_server_with};
use tcp_playground::net::{Bytes, CloseReason, EventKind, NetEvent, ServerConfig};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// Polls `f` until it gives an answer, for at most [`TIMEOUT`].
fn eventually<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(answer) = f() {
            return answer;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every event the server reported, kept by a thread of its own so that
/// waiting for one connection's end never throws away another's events.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<NetEvent>>>);

impl Log {
    fn collect(&self, events: crossbeam_channel::Receiver<NetEvent>) -> JoinHandle<()> {
        let log = self.clone();
        std::thread::spawn(move || {
            for event in events {
                log.0.lock().unwrap().push(event);
            }
        })
    }

    /// How the server's connection with the client at `peer` ended, and the
    /// bytes it received from it.
    fn ending_of(&self, peer: SocketAddr) -> (CloseReason, Vec<u8>) {
        eventually(&format!("the end of {peer}"), || {
            let events = self.0.lock().unwrap();
            let origin = events
                .iter()
                .find(|e| matches!(e.kind, EventKind::Accepted { peer: p, .. } if p == peer))?
                .origin;
            let mut received = Vec::new();
            for event in events.iter().filter(|e| e.origin == origin) {
                match &event.kind {
                    EventKind::Received { bytes } => received.extend_from_slice(bytes.as_slice()),
                    EventKind::Closed { reason } => return Some((reason.clone(), received)),
                    _ => {}
                }
            }
            None
        })
    }
}

/// The tutorial's client, over and over until told to stop: greeting,
/// a name, its answer, `exit`, good bye. Returns how many it completed;
/// panics (failing the test) on any wrong or missing byte.
fn good_client(addr: SocketAddr, stop: Arc<AtomicBool>) -> JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut dialogues = 0;
        while !stop.load(Ordering::Relaxed) {
            let mut s = TcpStream::connect(addr).expect("the good client connects");
            s.set_read_timeout(Some(TIMEOUT)).unwrap();
            expect_bytes(&mut s, b"Welcome!\nWhats your name?");
            s.write_all("张三".as_bytes()).unwrap();
            expect_bytes(&mut s, "Hello 张三!\nWhats your name?".as_bytes());
            s.write_all(b"exit").unwrap();
            expect_bytes(&mut s, b"Good bye!\n");
            assert_eq!(read_to_end(&mut s), b"", "the server closes after good bye");
            dialogues += 1;
        }
        dialogues
    })
}

fn greeted(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s
}

#[test]
fn each_misbehaving_client_ends_alone_while_a_good_client_talks_and_nothing_leaks() {
    let (fds_before, threads_before) = (open_fds(), threads());
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        pace: Duration::ZERO,
        idle_timeout: Some(Duration::from_secs(1)),
        max_clients: 20,
        ..ServerConfig::default()
    };
    let (server, events) = start_server_with(config);
    let addr = server.local_addr();
    let log = Log::default();
    let collector = log.collect(events);
    let stop = Arc::new(AtomicBool::new(false));
    let good = good_client(addr, stop.clone());
    // Each case drops its socket when done: a new `let s` only hides the
    // old one, it does not close it, and the count at the end would see it.

    // A port scanner: connects and goes away without a word.
    let s = TcpStream::connect(addr).unwrap();
    let peer = s.local_addr().unwrap();
    drop(s);
    let (reason, _) = log.ending_of(peer);
    assert!(
        matches!(reason, CloseReason::Eof | CloseReason::Reset),
        "{reason:?}"
    );

    // End of stream right after the greeting.
    let s = greeted(addr);
    let peer = s.local_addr().unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    assert_eq!(log.ending_of(peer).0, CloseReason::Eof);
    drop(s);

    // A reset in the middle of the dialogue (SO_LINGER 0 sends RST).
    let mut s = greeted(addr);
    let peer = s.local_addr().unwrap();
    s.write_all(b"Alice").unwrap();
    expect_bytes(&mut s, b"Hello Alice!\nWhats your name?");
    let socket = socket2::Socket::from(s);
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    drop(socket);
    assert_eq!(log.ending_of(peer).0, CloseReason::Reset);

    // Half-close: a line client shuts its sending side after a last name
    // without a line break; both names are still answered.
    let mut s = greeted(addr);
    let peer = s.local_addr().unwrap();
    s.write_all(b"Alice\nBob").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        read_to_end(&mut s),
        b"Hello Alice!\nWhats your name?Hello Bob!\nWhats your name?"
    );
    assert_eq!(log.ending_of(peer).0, CloseReason::Eof);
    drop(s);

    // Invalid UTF-8, NUL and a terminal escape: answered raw, kept raw in
    // the events (the transcript escapes them only when it shows them).
    let mut s = greeted(addr);
    let peer = s.local_addr().unwrap();
    let name = b"\xff\xfe\0\x1b[2J\x1b]0;pwned\x07";
    s.write_all(name).unwrap();
    let mut answer = b"Hello ".to_vec();
    answer.extend_from_slice(name);
    answer.extend_from_slice(b"!\nWhats your name?");
    expect_bytes(&mut s, &answer);
    s.write_all(b"exit").unwrap();
    expect_bytes(&mut s, b"Good bye!\n");
    let (reason, received) = log.ending_of(peer);
    assert_eq!(reason, CloseReason::Exit);
    assert_eq!(received, [&name[..], b"exit"].concat());
    drop(s);
    assert_eq!(
        Bytes(name.to_vec()).escaped(),
        r"\xff\xfe\x00\x1b[2J\x1b]0;pwned\x07"
    );

    // An HTTP request: each line is a name to this server. The client
    // reads the answers, then goes away.
    let mut s = greeted(addr);
    let peer = s.local_addr().unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    expect_bytes(
        &mut s,
        b"Hello GET / HTTP/1.1!\nWhats your name?Hello Host: x!\nWhats your name?\
          Whats your name?",
    );
    drop(s);
    assert_eq!(log.ending_of(peer).0, CloseReason::Eof);

    // Says nothing at all: the idle timeout (1 s here) ends it.
    let mut s = greeted(addr);
    let peer = s.local_addr().unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("the server closes the silent client");
    assert_eq!(log.ending_of(peer).0, CloseReason::Timeout);
    drop(s);

    // The good client was served all along; stop it, then the server.
    stop.store(true, Ordering::Relaxed);
    let dialogues = good.join().expect("the good client never missed a byte");
    assert!(dialogues > 0);
    server.stop();
    assert!(server.wait_stopped(Duration::from_secs(2)));
    drop(server);
    collector.join().unwrap();
    assert!(
        log.0
            .lock()
            .unwrap()
            .iter()
            .all(|e| !matches!(e.kind, EventKind::Rejected { .. })),
        "nobody was turned away"
    );
    eventually("the descriptors to be closed", || {
        (open_fds() <= fds_before).then_some(())
    });
    eventually("the threads to end", || {
        (threads() <= threads_before).then_some(())
    });
}
