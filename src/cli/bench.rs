//! `tcp-playground bench`: bots against a server, with a line of figures
//! each second and a summary at the end.
//!
//! ```text
//! $ tcp-playground bench --serve --bots 50 --seconds 5
//! serving on 127.0.0.1:40179 (pacing off)
//! 50 bots, round trips, against 127.0.0.1:40179 for 5 s
//!    time       rate     p50     p95     p99   open  errors
//!      1s   41213 /s   1.1ms   2.0ms   2.6ms     50       0
//! …
//! ```
//!
//! With `--serve` the bots talk to this program's own server, started on a
//! free loopback port with pacing off; otherwise to any server that speaks
//! the name dialogue (the tutorial's `tcp_server.py`, another machine).
//! Ctrl+C ends the run early, with the summary.

use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded};

use super::{BenchArgs, BenchMode};
use crate::net::config::ServerConfig;
use crate::net::load::{
    Latency, Load, LoadConfig, LoadMode, LoadReport, readable as short, resolve,
};
use crate::net::{EventSender, Server, drain_every};

/// Runs the bots for the time asked, or until Ctrl+C.
pub fn run(args: &BenchArgs) -> Result<(), String> {
    let (stop_tx, stop_rx) = bounded::<()>(1);
    ctrlc::set_handler(move || {
        let _ = stop_tx.try_send(());
    })
    .map_err(|e| format!("cannot catch Ctrl+C: {e}"))?;

    let own_server = if args.serve {
        Some(serve_for(args.bots)?)
    } else {
        None
    };
    let target = match &own_server {
        Some(server) => {
            say!("serving on {} (pacing off)", server.local_addr());
            server.local_addr()
        }
        None => resolve(&args.target)?,
    };
    let mode = match args.mode {
        BenchMode::RoundTrips => LoadMode::RoundTrips,
        BenchMode::Dialogues => LoadMode::Dialogues,
        BenchMode::Hold => LoadMode::Hold,
    };
    let config = LoadConfig {
        name: args.name.clone().into_bytes(),
        timeout: Duration::from_secs(args.timeout.max(1)),
        rate_limit: args.rate,
        ..LoadConfig::new(target, args.bots, mode)
    };
    let limit = args
        .rate
        .map(|rate| format!(", at most {rate:.0} a second"))
        .unwrap_or_default();
    say!(
        "{} bots, {}, against {} for {} s{limit}",
        args.bots,
        mode,
        target,
        args.seconds
    );
    say!(
        "{:>7} {:>12} {:>8} {:>8} {:>8} {:>6} {:>7}",
        "time",
        "rate",
        "p50",
        "p95",
        "p99",
        "open",
        "errors"
    );
    let mut load = Load::start(config).map_err(|e| format!("cannot start the bots: {e}"))?;
    let started = Instant::now();
    let end = started + Duration::from_secs(args.seconds);
    let mut next = started + Duration::from_secs(1);
    while Instant::now() < end {
        let wait = next.min(end).saturating_duration_since(Instant::now());
        if stop_rx.recv_timeout(wait).is_ok() {
            break;
        }
        if Instant::now() >= next {
            let tick = load.tick();
            say!("{}", line(started.elapsed(), &tick, mode));
            next += Duration::from_secs(1);
        }
    }
    let total = load.stop();
    if let Some(server) = own_server {
        server.stop();
        server.wait_stopped(Duration::from_secs(5));
    }
    say!("{}", summary(&total, mode));
    match (total.errors, &total.first_error) {
        (0, _) => Ok(()),
        (n, Some(first)) => Err(format!("{n} errors; the first: {first}")),
        (n, None) => Err(format!("{n} errors")),
    }
}

/// Our own server on a free loopback port, pacing off, room for every bot.
/// As with `serve`, the steps of each connection are not reported (a
/// terminal cannot show 100,000 a second); connections coming and going
/// are read and dropped.
fn serve_for(bots: usize) -> Result<Server, String> {
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().expect("a valid address"),
        pace: Duration::ZERO,
        max_clients: bots.max(crate::net::config::DEFAULT_MAX_CLIENTS) + 16,
        ..ServerConfig::default()
    };
    let (tx, rx) = unbounded();
    let server =
        Server::start(config, EventSender::lifecycle_only(tx)).map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("bench-events".into())
        .spawn(move || drain_every(&rx, Duration::from_millis(16), drop))
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    Ok(server)
}

fn line(at: Duration, tick: &LoadReport, mode: LoadMode) -> String {
    let Latency {
        samples,
        p50,
        p95,
        p99,
        ..
    } = tick.latency;
    // Nothing timed in this second (all held, or all failing): no figures.
    let shown = |d| {
        if samples == 0 {
            "-".to_owned()
        } else {
            short(d)
        }
    };
    let rate = if mode == LoadMode::Hold {
        String::new()
    } else {
        format!("{:.0} /s", tick.per_second)
    };
    format!(
        "{:>6}s {:>12} {:>8} {:>8} {:>8} {:>6} {:>7}",
        at.as_secs(),
        rate,
        shown(p50),
        shown(p95),
        shown(p99),
        tick.connected,
        tick.errors
    )
}

/// The whole run in a few lines.
fn summary(total: &LoadReport, mode: LoadMode) -> String {
    let Latency {
        samples,
        p50,
        p95,
        p99,
        max,
    } = total.latency;
    let mut out = format!(
        "total: {} {} in {:.1} s",
        total.completed,
        mode.unit(),
        total.elapsed.as_secs_f64()
    );
    if mode != LoadMode::Hold {
        out += &format!(" = {:.0} per second", total.per_second);
    }
    if samples > 0 {
        out += &format!(
            "\nlatency over {samples}: p50 {}, p95 {}, p99 {}, max {}",
            short(p50),
            short(p95),
            short(p99),
            short(max)
        );
    }
    out += &format!("\nerrors: {}", total.errors);
    if let Some(first) = &total.first_error {
        out += &format!(" (the first: {first})");
    }
    out
}
