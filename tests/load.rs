//! The load generator (`net::load`): bots against our server in each mode,
//! against a closed port, and stopping promptly.

mod common;

use std::time::{Duration, Instant};

use common::{TIMEOUT, closed_port, start_server_with};
use tcp_playground::net::ServerConfig;
use tcp_playground::net::load::{Load, LoadConfig, LoadMode};

fn fast_server() -> (
    tcp_playground::net::Server,
    crossbeam_channel::Receiver<tcp_playground::net::NetEvent>,
) {
    start_server_with(ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        pace: Duration::ZERO,
        ..ServerConfig::default()
    })
}

/// Polls the run's report until `done` says so, for at most [`TIMEOUT`].
fn until(load: &Load, what: &str, done: impl Fn(&tcp_playground::net::load::LoadReport) -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let report = load.report();
        if done(&report) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {report:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn round_trips_and_dialogues_are_counted_and_timed_without_errors() {
    let (server, _events) = fast_server();
    for mode in [LoadMode::RoundTrips, LoadMode::Dialogues] {
        let load = Load::start(LoadConfig::new(server.local_addr(), 4, mode)).unwrap();
        until(&load, "200 operations", |r| r.completed >= 200);
        let started = Instant::now();
        let report = load.stop();
        assert!(started.elapsed() < Duration::from_secs(2), "stops promptly");
        assert_eq!(report.errors, 0, "{mode}: {:?}", report.first_error);
        assert_eq!(report.latency.samples, report.completed);
        assert!(report.latency.p50 <= report.latency.p99);
        assert!(report.latency.p99 <= report.latency.max);
        assert!(report.per_second > 0.0);
        assert_eq!(report.connected, 0, "every connection is closed");
    }
}

#[test]
fn hold_keeps_every_connection_open_and_tracks_the_bots_addresses() {
    let (server, _events) = fast_server();
    let config = LoadConfig {
        track_addresses: true,
        ..LoadConfig::new(server.local_addr(), 100, LoadMode::Hold)
    };
    let load = Load::start(config).unwrap();
    until(&load, "100 held connections", |r| r.connected == 100);
    let deadline = Instant::now() + TIMEOUT;
    while server.client_count() < 100 {
        assert!(Instant::now() < deadline, "the server serves all 100");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(load.bot_addresses().len(), 100);
    let report = load.stop();
    assert_eq!((report.completed, report.errors), (100, 0));
    assert_eq!(report.connected, 0);
}

#[test]
fn a_closed_port_counts_errors_with_the_first_cause() {
    let load = Load::start(LoadConfig::new(closed_port(), 2, LoadMode::RoundTrips)).unwrap();
    until(&load, "an error", |r| r.errors >= 2);
    let report = load.stop();
    assert_eq!(report.completed, 0);
    let first = report.first_error.expect("the first cause is kept");
    assert!(first.contains("refused"), "{first}");
}

#[test]
fn tick_reports_only_what_happened_since_the_last_tick() {
    let (server, _events) = fast_server();
    let mut load = Load::start(LoadConfig::new(
        server.local_addr(),
        2,
        LoadMode::RoundTrips,
    ))
    .unwrap();
    until(&load, "100 round trips", |r| r.completed >= 100);
    let first = load.tick();
    let second = load.tick();
    let total = load.report().completed;
    assert!(first.completed >= 100, "the first tick covers the start");
    assert!(
        first.completed + second.completed <= total,
        "ticks never count an operation twice"
    );
    load.stop();
}

/// Held back, bots finish what they are doing and then wait; let go, they
/// go on. (The window holds its bots back while it is behind.)
#[test]
fn held_back_bots_wait_and_go_on_when_let_go() {
    let (server, _events) = fast_server();
    let load = Load::start(LoadConfig::new(
        server.local_addr(),
        8,
        LoadMode::RoundTrips,
    ))
    .unwrap();
    until(&load, "100 round trips", |r| r.completed >= 100);
    load.hold_back(true);
    assert!(load.is_held_back());
    // Settled: the count stays the same over a tenth of a second.
    let deadline = Instant::now() + TIMEOUT;
    let settled = loop {
        let before = load.report().completed;
        std::thread::sleep(Duration::from_millis(100));
        let after = load.report().completed;
        if before == after {
            break after;
        }
        assert!(Instant::now() < deadline, "the bots never stopped");
    };
    load.hold_back(false);
    until(&load, "progress after being let go", |r| {
        r.completed > settled + 100
    });
    let report = load.stop();
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
}
