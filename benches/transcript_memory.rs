//! What the window's transcript costs in memory: one million events of the
//! kind bots make (each round trip: `recv()` called, the bytes received,
//! the name heard, the answer sent), pushed into the window's transcript
//! view; prints the growth of this process's resident memory.
//!
//! Run: `cargo bench --bench transcript_memory`. Prints figures only.

use tcp_playground::app::transcript_view::TranscriptView;
use tcp_playground::net::calls::Call;
use tcp_playground::net::{Bytes, EventKind, Heard, NetEvent, Origin};
use tcp_playground::transcript::MAX_EVENTS;

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("a benchmark: run it with `cargo bench --bench transcript_memory`");
        return;
    }
    let before = rss_kib();
    let mut view = TranscriptView::default();
    let round_trip = |conn: u64| {
        let origin = Origin::ServerConn(conn);
        [
            EventKind::CallStart { call: Call::Recv },
            EventKind::Received {
                bytes: Bytes::from("bot"),
            },
            EventKind::Heard {
                heard: Heard::Name {
                    name: Bytes::from("bot"),
                    cut: false,
                },
            },
            EventKind::Sent {
                bytes: Bytes::from("Hello bot!\nWhats your name?"),
            },
        ]
        .map(|kind| NetEvent::now(origin, kind))
    };
    let mut conn = 0;
    while view.transcript().len() < MAX_EVENTS {
        // 1,000 bots take turns, as in the window under load.
        conn = conn % 1000 + 1;
        for event in round_trip(conn) {
            view.push(event);
        }
    }
    let after = rss_kib();
    let grown = after.saturating_sub(before);
    println!(
        "{} events kept: resident memory {} MiB → {} MiB, {:.0} MiB for the events ({:.0} bytes each)",
        view.transcript().len(),
        before / 1024,
        after / 1024,
        grown as f64 / 1024.0,
        grown as f64 * 1024.0 / view.transcript().len() as f64
    );
    println!(
        "size of one event without its bytes: {} bytes",
        std::mem::size_of::<NetEvent>()
    );
}
