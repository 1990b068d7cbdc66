//! Stopping a server with a thousand clients connected closes them all and
//! joins every thread within two seconds, frees the port at once, and
//! leaves no thread or file descriptor behind. (Alone in its file: it
//! counts the whole process's threads and descriptors.)
#![cfg(target_os = "linux")]

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{TIMEOUT, start_server};

/// Open file descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// Threads of this process.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// Waits until `f` returns true, for at most [`TIMEOUT`].
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn stopping_with_a_thousand_clients_joins_everything_and_leaks_nothing() {
    const CLIENTS: usize = 1000;
    let (fds_before, threads_before) = (open_fds(), threads());
    let (server, events) = start_server(0);
    let addr = server.local_addr();
    let mut clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| TcpStream::connect(addr).expect("connects"))
        .collect();
    // Every client is served: its thread has sent the greeting.
    for client in &mut clients {
        client.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut welcome = [0u8; 9];
        client.read_exact(&mut welcome).expect("greeted");
        assert_eq!(&welcome, b"Welcome!\n");
    }
    assert_eq!(server.client_count(), CLIENTS);

    let started = Instant::now();
    server.stop();
    assert!(
        server.wait_stopped(Duration::from_secs(2)),
        "every thread joined within 2 s"
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "stopped in {took:?}");
    // The port is free again at once.
    drop(TcpListener::bind(addr).expect("the port is free"));
    // Every client was closed by the server: each sees the end of stream.
    for client in &mut clients {
        let mut rest = Vec::new();
        let _ = client.read_to_end(&mut rest);
    }
    drop(clients);
    drop(server);
    drop(events);
    eventually("the descriptors to be closed", || open_fds() <= fds_before);
    eventually("the threads to end", || threads() <= threads_before);
}
