//! `tcp-playground trace`: one dialogue on loopback, with the real TCP
//! states of both ends.
//!
//! It starts a server on 127.0.0.1 (a free port), watches the listener,
//! connects one client, sends one name and then ends the dialogue: with
//! `exit` (the server closes first, as in the protocol) or, with
//! `--close client`, by closing the client first. It prints one merged
//! timeline: the states the kernel reported (observed), the states the
//! state machine says must have come between them but were too short to
//! see (inferred, with why), and the messages sent.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossbeam_channel::unbounded;

use super::{CloseFirst, TraceArgs};
use crate::net::lifecycle::{Role, between};
use crate::net::tcp_state::{SocketKey, TcpState};
use crate::net::watch::StateWatcher;
use crate::net::{
    Client, ClientConfig, EventKind, EventSender, NetEvent, Origin, Server, ServerConfig,
    ServerMessage,
};

/// How often the watcher asks the kernel, for one dialogue.
const POLL: Duration = Duration::from_millis(1);
/// The whole trace must finish within this.
const LIMIT: Duration = Duration::from_secs(10);

/// Runs the trace and prints it.
pub fn run(args: &TraceArgs) -> Result<(), String> {
    let (tx, rx) = unbounded();
    let events = EventSender::new(tx);
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().map_err(|_| "bad address")?,
        ..ServerConfig::default()
    };
    let server = Server::start(config, events.clone()).map_err(|e| e.to_string())?;
    let watcher = match StateWatcher::start(events.clone(), POLL) {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            println!("TCP states: {e}; only the messages are shown.");
            None
        }
    };
    let watch = |origin, key| {
        if let Some(w) = &watcher {
            w.watch(origin, key);
        }
    };
    watch(Origin::Listener, SocketKey::listener(server.local_addr()));
    let client = Client::connect(
        ClientConfig {
            port: server.local_addr().port(),
            ..ClientConfig::default()
        },
        events.clone(),
    );

    let started = Instant::now();
    let mut log: Vec<NetEvent> = Vec::new();
    let mut prompts = 0;
    let mut finished: HashMap<Origin, bool> = HashMap::new();
    let done =
        |finished: &HashMap<Origin, bool>| finished.len() == 2 && finished.values().all(|f| *f);
    while !done(&finished) {
        let left = LIMIT.saturating_sub(started.elapsed());
        let Ok(event) = rx.recv_timeout(left) else {
            let start = log.first().map(|e| e.time).unwrap_or_else(Utc::now);
            for line in timeline(&log, start) {
                println!("{line}");
            }
            return Err(
                "the dialogue did not finish within 10 s (what was seen is above)".to_owned(),
            );
        };
        match &event.kind {
            EventKind::Connected { local, peer } => {
                watch(
                    event.origin,
                    SocketKey {
                        local: *local,
                        remote: *peer,
                    },
                );
                finished.insert(event.origin, watcher.is_none());
            }
            EventKind::Accepted { peer, local, .. } => {
                watch(
                    event.origin,
                    SocketKey {
                        local: *local,
                        remote: *peer,
                    },
                );
                finished.insert(event.origin, watcher.is_none());
            }
            EventKind::Message {
                message: ServerMessage::Prompt,
            } => {
                prompts += 1;
                match (prompts, args.close) {
                    (1, _) => client.send_name("Alice"),
                    (_, CloseFirst::Server) => client.send_name("exit"),
                    (_, CloseFirst::Client) => client.disconnect(),
                }
            }
            EventKind::TcpState { state, .. }
                if matches!(event.origin, Origin::Client(_) | Origin::ServerConn(_)) =>
            {
                let end = matches!(state, TcpState::TimeWait | TcpState::Closed);
                finished.insert(event.origin, end);
            }
            _ => {}
        }
        log.push(event);
    }
    server.stop();
    let first_seen = log.first().map(|e| e.time).unwrap_or_else(Utc::now);
    let who_closes = match args.close {
        CloseFirst::Server => "the server closes first (after Good bye!)",
        CloseFirst::Client => "the client closes first",
    };
    println!(
        "One name dialogue on {}, {who_closes}.",
        server.local_addr()
    );
    println!("Times in milliseconds from the first event; states polled every {POLL:?}.");
    println!();
    for line in timeline(&log, first_seen) {
        println!("{line}");
    }
    Ok(())
}

/// The merged timeline: states (observed and inferred), messages, closes,
/// in the order they happened. (Events from different threads may reach
/// the channel slightly out of order; their timestamps decide.)
pub fn timeline(log: &[NetEvent], start: DateTime<Utc>) -> Vec<String> {
    let mut last_state: HashMap<Origin, TcpState> = HashMap::new();
    let mut ordered: Vec<&NetEvent> = log.iter().collect();
    ordered.sort_by_key(|e| e.time);
    let mut lines = Vec::new();
    for event in ordered {
        let ms = (event.time - start).num_microseconds().unwrap_or(0) as f64 / 1000.0;
        let who = event.origin.label();
        match &event.kind {
            EventKind::TcpState {
                state,
                time_wait_left_ms,
            } => {
                let role = match event.origin {
                    Origin::Listener => Role::Listener,
                    Origin::ServerConn(_) => Role::Accepted,
                    Origin::Client(_) => Role::Client,
                };
                let from = *last_state.get(&event.origin).unwrap_or(&role.origin());
                for inferred in between(from, *state).unwrap_or_default() {
                    lines.push(format!(
                        "{:>9}  {who:<9} {:<12} inferred: too short to observe (between {from} and {state})",
                        "",
                        inferred.name()
                    ));
                }
                let left = time_wait_left_ms
                    .map(|ms| format!(" ({:.1} s left)", ms as f64 / 1000.0))
                    .unwrap_or_default();
                lines.push(format!(
                    "{ms:>9.3}  {who:<9} {:<12} observed{left}",
                    state.name()
                ));
                last_state.insert(event.origin, *state);
            }
            EventKind::Sent { bytes } => {
                lines.push(format!("{ms:>9.3}  {who:<9} send \"{}\"", bytes.escaped()))
            }
            EventKind::Closed { reason } => {
                lines.push(format!("{ms:>9.3}  {who:<9} close() ({reason})"));
            }
            _ => {}
        }
    }
    lines
}
