//! `tcp-playground serve`: the tutorial's server in a terminal.
//!
//! Standard output carries exactly the tutorial's console lines, after a
//! first line with the real address:
//!
//! ```text
//! Listening on 127.0.0.1:6000
//! Waiting for connection...
//! Accept new connection from 127.0.0.1:42101
//! Connection from 127.0.0.1:42101 is closed
//! ```
//!
//! Details (names heard, why each connection closed) go to standard error
//! through the `log` crate. Ctrl+C or SIGTERM stop the server cleanly and
//! save the transcript if `--transcript` was given.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use crossbeam_channel::{bounded, select, unbounded};

use super::ServeArgs;
use crate::net::config::{ServerConfig, parse_bind};
use crate::net::{EventKind, EventSender, Origin, Server};
use crate::transcript::{Describe, Transcript};

/// Runs the server until Ctrl+C or SIGTERM.
pub fn run(args: &ServeArgs) -> Result<(), String> {
    let config = ServerConfig {
        bind: parse_bind(&args.bind).map_err(|e| e.to_string())?,
        backlog: args.backlog,
        pace: Duration::from_millis(args.pace_ms),
        idle_timeout: (args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout)),
        max_clients: args.max_clients,
        ..ServerConfig::default()
    };
    if config.is_exposed() {
        log::warn!(
            "listening on {} makes this server reachable from other machines; use 127.0.0.1 to keep it on this one",
            config.bind.ip()
        );
    }
    let (stop_tx, stop_rx) = bounded::<()>(1);
    ctrlc::set_handler(move || {
        // A second Ctrl+C while stopping finds the channel full: ignore it.
        let _ = stop_tx.try_send(());
    })
    .map_err(|e| format!("cannot catch Ctrl+C: {e}"))?;

    let (event_tx, events) = unbounded();
    let server = Server::start(config, EventSender::new(event_tx)).map_err(|e| e.to_string())?;
    let mut transcript = Transcript::new();
    let mut console = Console::default();
    loop {
        select! {
            recv(events) -> event => {
                let Ok(event) = event else { break };
                console.print(&event);
                let stopped = event.kind == EventKind::Stopped;
                if !transcript.push(event) && transcript.dropped() == 1 {
                    log::warn!(
                        "the transcript is full ({} events): later events are not kept",
                        transcript.limit()
                    );
                }
                if stopped {
                    break;
                }
            }
            recv(stop_rx) -> _ => server.stop(),
        }
    }
    if let Some(path) = &args.transcript {
        transcript.save(path).map_err(|e| e.to_string())?;
        log::info!("transcript saved to {}", path.display());
    }
    Ok(())
}

/// Prints the tutorial's console lines for the events that have one.
#[derive(Default)]
struct Console {
    peers: HashMap<Origin, SocketAddr>,
}

impl Console {
    fn print(&mut self, event: &crate::net::NetEvent) {
        let who = event.origin;
        match &event.kind {
            EventKind::Listening { addr } => {
                say!("Listening on {addr}");
                say!("Waiting for connection...");
            }
            EventKind::Accepted { peer, .. } => {
                self.peers.insert(who, *peer);
                say!("Accept new connection from {peer}");
            }
            EventKind::Closed { reason } => {
                if let Some(peer) = self.peers.remove(&who) {
                    say!("Connection from {peer} is closed");
                }
                log::info!("{who}: closed: {reason}");
            }
            EventKind::Error { message } => log::error!("{who}: {message}"),
            EventKind::Rejected { .. } => log::warn!("{}", Describe(&event.kind)),
            EventKind::Heard { .. } | EventKind::Stopped => {
                log::info!("{who}: {}", Describe(&event.kind));
            }
            other => log::debug!("{who}: {}", Describe(other)),
        }
    }
}
