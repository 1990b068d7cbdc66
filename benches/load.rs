//! Our server against the ceiling of its design, measured side by side.
//!
//! Every server runs in a process of its own, as a user would run it, and
//! the same bots (`net::load`, in this process) drive each one in turn:
//!
//! - **reference**: a minimal thread-per-client server written for this
//!   benchmark: reply and prompt in one write, `TCP_NODELAY`, nothing else.
//!   A thread-per-client server cannot do much better, so it is the
//!   ceiling for our design. It is this benchmark's own program, started
//!   again with `--reference-server`;
//! - **`serve`**: `tcp-playground serve --pace-ms 0` exactly as a user
//!   starts it (this build), its console lines and log read through pipes;
//! - **window**: `net::Server` with pacing off, every event sent to a
//!   reader that takes them once every 16 ms, as the window does (this
//!   program again, with `--window-server`);
//! - **tutorial**: the tutorial's Python server (`tests/python/tcp_server.py`),
//!   to show the gap;
//! - **reference, again**: a second process of the reference, measured in
//!   turn like the others. It is the same program, so its ratio to the
//!   first shows how far two runs of one server differ on this machine:
//!   the noise in every other ratio.
//!
//! Prints a table: each server's best rate, the ratio of the median runs
//! (one lucky run can decide a ratio of bests), the CPU time its process
//! used per operation over all its runs (steadier than the rate when
//! something else takes a core for a moment), and its page faults per
//! operation (memory mapped again and again); asserts nothing but that no
//! bot saw an error.
//!
//! Run: `cargo bench --bench load` (needs `python3` for the last column).
//! Each row runs each of our servers and the reference `LOAD_RUNS` times
//! (default 5), taking turns so that all see the same machine, for
//! `LOAD_SECONDS` in all (default 10), and keeps each one's best run.
//! `LOAD_ROW=N` runs only row N (1 to 4); `LOAD_SERVE=PATH` measures
//! another build's `serve` in place of this one's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tcp_playground::net::load::{Load, LoadConfig, LoadMode, LoadReport};
use tcp_playground::net::{EventSender, Server, ServerConfig, drain_every};

/// The reference: one thread per client, the protocol in a dozen lines.
/// Runs until the process is killed.
fn reference_server() -> ! {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("Listening on {}", listener.local_addr().expect("address"));
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || serve_one(stream));
    }
    unreachable!("incoming() never ends")
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

/// Our server as the window runs it: pacing off, every event read (and
/// dropped) once every 16 ms. Runs until the process is killed.
fn window_server() -> ! {
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        pace: Duration::ZERO,
        ..ServerConfig::default()
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = Server::start(config, EventSender::new(tx)).expect("our server starts");
    println!("Listening on {}", server.local_addr());
    drain_every(&rx, Duration::from_millis(16), drop);
    unreachable!("the server's sender lives as long as the server")
}

/// A server in a child process that prints `Listening on ADDR` first.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(mut command: Command) -> Option<ServerProcess> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let mut lines = BufReader::new(child.stdout.take()?).lines();
        let addr = loop {
            let line = lines.next()?.ok()?;
            if let Some(addr) = line.strip_prefix("Listening on ") {
                break addr.parse().ok()?;
            }
        };
        // Read its console and its log, as a terminal would, so that it
        // never blocks on a full pipe.
        let stderr = child.stderr.take()?;
        std::thread::spawn(move || for _ in lines {});
        std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
        Some(ServerProcess { child, addr })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This benchmark's own program, started again in one of its server roles.
fn this_program(role: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("own path"));
    command.arg(role);
    command
}

fn run(target: SocketAddr, bots: usize, mode: LoadMode, seconds: f64) -> LoadReport {
    let load = Load::start(LoadConfig::new(target, bots, mode)).expect("bots start");
    std::thread::sleep(Duration::from_secs_f64(seconds));
    load.stop()
}

/// What a process has used so far, from `/proc/PID/stat`.
#[derive(Clone, Copy, Default)]
struct Usage {
    /// CPU time, in user space and in the kernel. Steadier than a rate on
    /// a shared machine: a run that loses a core to something else is
    /// slower, but does not cost more CPU per operation.
    cpu: Duration,
    /// Page faults (minor and major). A server that maps the same memory
    /// again for every connection shows here: a client thread's stack
    /// pages, for instance, which the system takes back when it ends.
    faults: u64,
}

impl Usage {
    fn of(pid: u32) -> Usage {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The command name, in parentheses, may hold spaces: count fields
        // after it (the line's field 3 is the first).
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let field = |n: usize| {
            fields
                .get(n - 3)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // minflt is field 10, majflt 12; utime and stime are 14 and 15, in
        // clock ticks of 1/100 s (Linux fixes USER_HZ at 100 for programs).
        Usage {
            cpu: Duration::from_millis((field(14) + field(15)) * 10),
            faults: field(10) + field(12),
        }
    }

    fn since(self, before: Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(before.cpu),
            faults: self.faults.saturating_sub(before.faults),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("--reference-server") => reference_server(),
        Some("--window-server") => window_server(),
        _ => {}
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this
    // file too, without it, and a benchmark has nothing to test.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "a benchmark: run it with `cargo bench --bench {}`",
            env!("CARGO_CRATE_NAME")
        );
        return;
    }
    let seconds: f64 = env_or("LOAD_SECONDS", 10.0);
    let runs: usize = env_or("LOAD_RUNS", 5).max(1);
    let only: Option<usize> = std::env::var("LOAD_ROW").ok().and_then(|s| s.parse().ok());

    let reference =
        ServerProcess::start(this_program("--reference-server")).expect("reference starts");
    let again =
        ServerProcess::start(this_program("--reference-server")).expect("reference starts again");
    // `LOAD_SERVE=PATH` measures another build of `tcp-playground` (to
    // compare two versions); by default, this one.
    let program = std::env::var("LOAD_SERVE");
    let mut serve = Command::new(
        program
            .as_deref()
            .unwrap_or(env!("CARGO_BIN_EXE_tcp-playground")),
    );
    serve.args(["serve", "--bind", "127.0.0.1:0", "--pace-ms", "0"]);
    let serve = ServerProcess::start(serve).expect("`tcp-playground serve` starts");
    let window =
        ServerProcess::start(this_program("--window-server")).expect("window's server starts");
    let mut python = Command::new("python3");
    python.args([
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/tcp_server.py"),
        "0",
    ]);
    let python = ServerProcess::start(python);
    if python.is_none() {
        println!("(python3 not found: the tutorial's column is left out)");
    }

    println!(
        "| what | reference /s | `serve` /s | ÷ reference | window's server /s | ÷ reference | median runs ÷ reference's: `serve`, window's | server CPU µs per operation: reference, `serve`, window's | page faults per operation: reference, `serve`, window's | p50 / p99 ms: reference, `serve`, window's | tutorial (Python) /s | reference again ÷ reference: best, median runs (the noise) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let rows = [
        (LoadMode::RoundTrips, 1),
        (LoadMode::RoundTrips, 50),
        (LoadMode::Dialogues, 1),
        (LoadMode::Dialogues, 50),
    ];
    let each = seconds / runs as f64;
    for (row, (mode, bots)) in rows.into_iter().enumerate() {
        if only.is_some_and(|only| only != row + 1) {
            continue;
        }
        // Take turns, and keep the best run of each server: on a two-core
        // machine where the scheduler puts the threads decides much of a
        // run's speed, and the best run is the one least disturbed by
        // anything else.
        let servers = [&reference, &serve, &window, &again];
        let mut best: [Option<LoadReport>; 4] = [None, None, None, None];
        // Each server's CPU time, page faults and operations over all its
        // runs.
        let mut used = [Usage::default(); 4];
        let mut ops = [0u64; 4];
        // Every run's rate: the medians are compared too, because one
        // lucky run (cores that happened not to doze off between the
        // steps of a lone connection) can decide a ratio of bests.
        let mut rates: [Vec<f64>; 4] = Default::default();
        for turn in 0..runs {
            for i in 0..servers.len() {
                // Start each turn with a different server, so none always
                // follows the same one.
                let i = (i + turn) % servers.len();
                let pid = servers[i].child.id();
                let before = Usage::of(pid);
                let new = run(servers[i].addr, bots, mode, each);
                assert_eq!(new.errors, 0, "{:?}", new.first_error);
                let run_used = Usage::of(pid).since(before);
                used[i].cpu += run_used.cpu;
                used[i].faults += run_used.faults;
                ops[i] += new.completed;
                rates[i].push(new.per_second);
                if best[i]
                    .as_ref()
                    .is_none_or(|b| new.per_second > b.per_second)
                {
                    best[i] = Some(new);
                }
            }
        }
        let [Some(r), Some(s), Some(w), Some(a)] = best else {
            unreachable!("every server ran at least once")
        };
        let tutorial = python.as_ref().map_or("-".to_owned(), |p| {
            let p = run(p.addr, bots, mode, each);
            if p.errors > 0 {
                format!("{:.0} ({} errors)", p.per_second, p.errors)
            } else {
                format!("{:.0}", p.per_second)
            }
        });
        let latency = |x: &LoadReport| format!("{} / {}", ms(x.latency.p50), ms(x.latency.p99));
        let per_op = |i: usize| used[i].cpu.as_secs_f64() * 1e6 / ops[i].max(1) as f64;
        let faults = |i: usize| used[i].faults as f64 / ops[i].max(1) as f64;
        let [r_median, s_median, w_median, a_median] = rates.map(median);
        println!(
            "| {} at {} connection{} | {:.0} | {:.0} | {:.0}% | {:.0} | {:.0}% | {:.0}%, {:.0}% | {:.1}, {:.1}, {:.1} | {:.2}, {:.2}, {:.2} | {}, {}, {} | {} | {:.0}%, {:.0}% |",
            mode.unit(),
            bots,
            if bots == 1 { "" } else { "s" },
            r.per_second,
            s.per_second,
            100.0 * s.per_second / r.per_second,
            w.per_second,
            100.0 * w.per_second / r.per_second,
            100.0 * s_median / r_median,
            100.0 * w_median / r_median,
            per_op(0),
            per_op(1),
            per_op(2),
            faults(0),
            faults(1),
            faults(2),
            latency(&r),
            latency(&s),
            latency(&w),
            tutorial,
            100.0 * a.per_second / r.per_second,
            100.0 * a_median / r_median,
        );
    }
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}
