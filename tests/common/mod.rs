//! Helpers shared by the integration tests: a server on 127.0.0.1:0,
//! waiting for events with a timeout, reading exact bytes.
#![allow(dead_code)] // Each test file uses a different subset.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, unbounded};
use tcp_playground::net::{EventKind, EventSender, NetEvent, Origin, Server, ServerConfig};

/// How long any single wait in a test may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A server on a free loopback port, with pacing as given, and its events.
pub fn start_server(pace_ms: u64) -> (Server, Receiver<NetEvent>) {
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        pace: Duration::from_millis(pace_ms),
        ..ServerConfig::default()
    };
    start_server_with(config)
}

/// A server with the given settings, and its events.
pub fn start_server_with(config: ServerConfig) -> (Server, Receiver<NetEvent>) {
    let (tx, rx) = unbounded();
    let server = Server::start(config, EventSender::new(tx)).expect("server starts");
    (server, rx)
}

/// Waits for the first event that `pred` accepts, skipping others.
/// Panics (failing the test) after [`TIMEOUT`], listing what was seen.
pub fn wait_for(rx: &Receiver<NetEvent>, mut pred: impl FnMut(&NetEvent) -> bool) -> NetEvent {
    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(event) if pred(&event) => return event,
            Ok(event) => seen.push(event),
            Err(_) => panic!("timed out waiting for an event; saw: {seen:#?}"),
        }
    }
}

/// Waits for the `Closed` event of `origin` and returns its reason.
pub fn wait_closed(rx: &Receiver<NetEvent>, origin: Origin) -> tcp_playground::net::CloseReason {
    let event = wait_for(rx, |e| {
        e.origin == origin && matches!(e.kind, EventKind::Closed { .. })
    });
    match event.kind {
        EventKind::Closed { reason } => reason,
        _ => unreachable!(),
    }
}

/// Waits for the server's `Accepted` event; returns the connection's origin.
pub fn wait_accepted(rx: &Receiver<NetEvent>) -> Origin {
    wait_for(rx, |e| matches!(e.kind, EventKind::Accepted { .. })).origin
}

/// An address on 127.0.0.1 where nothing listens (a port bound, then
/// released): connecting there is refused.
pub fn closed_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// Connects a plain socket to the server, with a read timeout so a test
/// never hangs.
pub fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(server.local_addr()).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Reads exactly `expected.len()` bytes and checks they are `expected`.
pub fn expect_bytes(stream: &mut TcpStream, expected: &[u8]) {
    let mut got = vec![0u8; expected.len()];
    stream
        .read_exact(&mut got)
        .unwrap_or_else(|e| panic!("reading {:?}: {e}", String::from_utf8_lossy(expected)));
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
    assert_eq!(got, expected);
}

/// Reads until the peer closes; returns everything read.
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("read to end");
    all
}

/// Reads one `recv` worth of bytes.
pub fn read_once(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 64 * 1024];
    let n = stream.read(&mut buf).expect("read");
    buf.truncate(n);
    buf
}

/// Runs a command with `input` on its standard input; returns its output.
/// Kills it and fails the test if it takes longer than `timeout`.
pub fn run_with_input(
    mut command: std::process::Command,
    input: &[u8],
    timeout: Duration,
) -> std::process::Output {
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(output) => output.expect("wait for the command"),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
            panic!("the command did not finish within {timeout:?} (killed)");
        }
    }
}

/// A background process whose standard output is read line by line.
pub struct Spawned {
    pub child: std::process::Child,
    pub lines: Receiver<String>,
}

impl Spawned {
    /// Starts `command` with piped standard output (and standard error
    /// inherited, so its messages show in the test's output).
    pub fn start(mut command: std::process::Command) -> Spawned {
        use std::io::BufRead;
        use std::process::Stdio;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the command starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = unbounded();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Spawned { child, lines }
    }

    /// The next line of output, waiting at most [`TIMEOUT`].
    pub fn next_line(&self) -> String {
        self.lines
            .recv_timeout(TIMEOUT)
            .expect("a line of output in time")
    }

    /// The port in a line `Listening on HOST:PORT` (the first line).
    pub fn listening_port(&self) -> u16 {
        let line = self.next_line();
        let addr = line
            .strip_prefix("Listening on ")
            .unwrap_or_else(|| panic!("expected `Listening on`, got {line:?}"));
        addr.rsplit(':').next().unwrap().parse().expect("a port")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `python3 tests/python/NAME args...`
pub fn python(script: &str, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new("python3");
    command
        .arg(format!(
            "{}/tests/python/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(args);
    command
}

/// The `tcp-playground` binary with arguments.
pub fn app(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tcp-playground"));
    command.args(args);
    command
}
