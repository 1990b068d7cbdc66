//! How many clients a thread-per-client server holds, and what each costs.
//!
//! Starts `tcp-playground serve` (this build, pacing off, room for 20,000
//! clients) as a child process, opens `HOLD_CLIENTS` connections (default
//! 10,000) with the load generator's hold mode, waits until every one has
//! its prompt and the server has a thread for each, and reports the
//! server's resident memory and threads before and after: the memory per
//! held connection is the difference divided by the connections. (Kernel
//! socket buffers are not in a process's resident memory; they are
//! reported from `/proc/net/sockstat` beside it.)
//!
//! Run: `cargo bench --bench hold`. Needs about 10,000 open files in each
//! process (`ulimit -n`); prints figures, asserts nothing but no error.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tcp_playground::net::load::{Load, LoadConfig, LoadMode};

/// A field of `/proc/PID/status`, in its own units (kB for memory).
fn status(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Pages of memory the kernel holds for TCP sockets, from `/proc/net/sockstat`.
fn tcp_pages() -> u64 {
    let text = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("TCP:"))
        .and_then(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "mem")?;
            words.get(at + 1)?.parse().ok()
        })
        .unwrap_or(0)
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
    let clients: usize = std::env::var("HOLD_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let mut server = Command::new(env!("CARGO_BIN_EXE_tcp-playground"))
        .args(["serve", "--bind", "127.0.0.1:0", "--pace-ms", "0"])
        .args(["--max-clients", "20000"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let pid = server.id();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .strip_prefix("Listening on ")
        .expect("the first line names the address")
        .parse()
        .unwrap();
    // Read its console (a line per connection) so it never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    std::thread::sleep(Duration::from_millis(300));
    let (rss_before, threads_before, pages_before) =
        (status(pid, "VmRSS"), status(pid, "Threads"), tcp_pages());

    let started = Instant::now();
    let load = Load::start(LoadConfig::new(addr, clients, LoadMode::Hold)).expect("bots start");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let report = load.report();
        let threads = status(pid, "Threads");
        if report.connected == clients && threads >= threads_before + clients as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not all held after 120 s: {report:?}, server threads {threads}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    // Let the server's threads settle into recv() before measuring.
    std::thread::sleep(Duration::from_secs(1));
    let (rss_after, threads_after, pages_after) =
        (status(pid, "VmRSS"), status(pid, "Threads"), tcp_pages());
    let report = load.stop();
    let _ = server.kill();
    let _ = server.wait();

    let per_conn_kib = (rss_after - rss_before) as f64 / clients as f64;
    println!(
        "held {clients} connections in {:.2} s, errors: {}",
        took.as_secs_f64(),
        report.errors
    );
    println!(
        "connect to prompt: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        report.latency.p50.as_secs_f64() * 1e3,
        report.latency.p99.as_secs_f64() * 1e3,
        report.latency.max.as_secs_f64() * 1e3
    );
    println!(
        "server resident memory: {rss_before} kB → {rss_after} kB = {per_conn_kib:.1} KiB per held connection"
    );
    println!("server threads: {threads_before} → {threads_after}");
    println!(
        "kernel TCP memory (both ends, all sockets): {} → {} pages",
        pages_before, pages_after
    );
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
}
