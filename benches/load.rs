//! Our server against the ceiling of its design, measured side by side.
//!
//! Three servers speak the name dialogue on loopback in this one process
//! (the Python one in a child process):
//!
//! - **reference**: a minimal thread-per-client server written for this
//!   benchmark: reply and prompt in one write, `TCP_NODELAY`, nothing else.
//!   A thread-per-client server cannot do much better, so it is the
//!   ceiling for our design;
//! - **ours**: `net::Server` with pacing off, every event sent to a
//!   reader that takes them once every 16 ms, as the window does;
//! - **tutorial**: the tutorial's Python server (`tests/python/tcp_server.py`),
//!   to show the gap.
//!
//! The same bots (`net::load`) drive each server in turn, alternating
//! reference and ours so that both see the same machine. Prints a table;
//! asserts nothing.
//!
//! Run: `cargo bench --bench load` (needs `python3` for the last column).
//! Each row runs each server five times, alternating, for `LOAD_SECONDS`
//! in all (default 5), and keeps each one's best run. `LOAD_ROW=N` runs
//! only row N (1 to 4).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tcp_playground::net::load::{Load, LoadConfig, LoadMode, LoadReport};
use tcp_playground::net::{EventSender, Server, ServerConfig, drain_every};

/// The reference: one thread per client, the protocol in a dozen lines.
fn reference_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve_one(stream));
        }
    });
    addr
}

fn serve_one(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    stream.write_all(b"Welcome!\nWhats your name?")?;
    let mut buf = [0u8; 1024];
    let mut reply = Vec::with_capacity(1100);
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        if &buf[..n] == b"exit" {
            return stream.write_all(b"Good bye!\n");
        }
        reply.clear();
        reply.extend_from_slice(b"Hello ");
        reply.extend_from_slice(&buf[..n]);
        reply.extend_from_slice(b"!\nWhats your name?");
        stream.write_all(&reply)?;
    }
}

/// Our server, pacing off, its events read and dropped.
fn our_server() -> Server {
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        pace: Duration::ZERO,
        ..ServerConfig::default()
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = Server::start(config, EventSender::new(tx)).expect("our server starts");
    // Read like the window reads them: all waiting events once a frame.
    std::thread::spawn(move || drain_every(&rx, Duration::from_millis(16), drop));
    server
}

/// The tutorial's Python server, on a free port.
fn python_server() -> Option<(Child, SocketAddr)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/tcp_server.py");
    let mut child = Command::new("python3")
        .args([script, "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut lines = BufReader::new(child.stdout.take()?).lines();
    let first = lines.next()?.ok()?;
    let addr = first.strip_prefix("Listening on ")?.parse().ok()?;
    // Keep reading its console so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Some((child, addr))
}

fn run(target: SocketAddr, bots: usize, mode: LoadMode, seconds: f64) -> LoadReport {
    let load = Load::start(LoadConfig::new(target, bots, mode)).expect("bots start");
    std::thread::sleep(Duration::from_secs_f64(seconds));
    load.stop()
}

/// Runs of each server per row; the best counts.
const RUNS: usize = 5;

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this
    // file too, without it, and a benchmark has nothing to test.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "a benchmark: run it with `cargo bench --bench {}`",
            env!("CARGO_CRATE_NAME")
        );
        return;
    }
    let seconds: f64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let reference = reference_server();
    let ours = our_server();
    let python = python_server();
    if python.is_none() {
        println!("(python3 not found: the tutorial's column is left out)");
    }

    println!(
        "| what | reference /s | ours /s | ours ÷ reference | ours p50 / p99 ms | reference p50 / p99 ms | tutorial (Python) /s |"
    );
    println!("|---|---|---|---|---|---|---|");
    let only: Option<usize> = std::env::var("LOAD_ROW").ok().and_then(|s| s.parse().ok());
    let rows = [
        (LoadMode::RoundTrips, 1),
        (LoadMode::RoundTrips, 50),
        (LoadMode::Dialogues, 1),
        (LoadMode::Dialogues, 50),
    ];
    for (row, (mode, bots)) in rows.into_iter().enumerate() {
        if only.is_some_and(|only| only != row + 1) {
            continue;
        }
        // Alternate, five times each, and keep the best run of each server:
        // on a two-core machine where the scheduler puts the threads
        // decides much of a run's speed, and the best run is the one least
        // disturbed by anything else.
        let mut best_ref: Option<LoadReport> = None;
        let mut best_ours: Option<LoadReport> = None;
        for _ in 0..RUNS {
            let r = run(reference, bots, mode, seconds / RUNS as f64);
            let o = run(ours.local_addr(), bots, mode, seconds / RUNS as f64);
            for (best, new) in [(&mut best_ref, r), (&mut best_ours, o)] {
                assert_eq!(new.errors, 0, "{:?}", new.first_error);
                if best.as_ref().is_none_or(|b| new.per_second > b.per_second) {
                    *best = Some(new);
                }
            }
        }
        let (r, o) = (best_ref.unwrap(), best_ours.unwrap());
        let tutorial = python.as_ref().map_or("-".to_owned(), |(_, addr)| {
            let p = run(*addr, bots, mode, seconds / RUNS as f64);
            if p.errors > 0 {
                format!("{:.0} ({} errors)", p.per_second, p.errors)
            } else {
                format!("{:.0}", p.per_second)
            }
        });
        println!(
            "| {} at {} connection{} | {:.0} | {:.0} | {:.0}% | {} / {} | {} / {} | {} |",
            mode.unit(),
            bots,
            if bots == 1 { "" } else { "s" },
            r.per_second,
            o.per_second,
            100.0 * o.per_second / r.per_second,
            ms(o.latency.p50),
            ms(o.latency.p99),
            ms(r.latency.p50),
            ms(r.latency.p99),
            tutorial
        );
    }
    ours.stop();
    if let Some((mut child, _)) = python {
        let _ = child.kill();
        let _ = child.wait();
    }
}
