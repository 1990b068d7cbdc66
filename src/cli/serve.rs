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
//! A connection that ends other than by `exit` or the client's close
//! (reset, timed out, kicked) is logged on standard error with its reason,
//! through the `log` crate; with `RUST_LOG=tcp_playground=debug`, every
//! end and every step as well (each `recv()`, `send()` and name heard). Ctrl+C or SIGTERM stop the server cleanly and
//! save the transcript if `--transcript` was given.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use crossbeam_channel::{bounded, select, unbounded};

use super::ServeArgs;
use crate::net::config::{ServerConfig, parse_bind};
use crate::net::{CloseReason, EventKind, EventSender, Origin, Server};
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
    // Every step of every connection (each recv, send, name heard) is
    // reported only if someone will see it: in the saved transcript, or in
    // the debug log. The console itself needs connections coming and going.
    let steps = args.transcript.is_some() || log::log_enabled!(log::Level::Debug);
    let sender = if steps {
        EventSender::new(event_tx)
    } else {
        EventSender::lifecycle_only(event_tx)
    };
    let server = Server::start(config, sender).map_err(|e| e.to_string())?;
    let mut out = Output {
        console: Console::default(),
        transcript: args.transcript.is_some().then(Transcript::new),
        taken: 0,
        stopped: false,
    };
    while !out.stopped {
        // Quiet: sleep until something happens.
        select! {
            recv(events) -> event => match event {
                Ok(event) => out.take(event),
                Err(_) => break,
            },
            recv(stop_rx) -> _ => server.stop(),
        }
        // Busy: let events gather for a BATCH_PERIOD, then take them all,
        // until a period brings nothing. Meanwhile nobody waits in
        // `recv()` on the channel, so the server's threads send without
        // waking anyone. (Taking them at once instead would find the
        // channel empty, go back to sleep in `select!`, and be woken again
        // by the very next event: a wake-up for every event.)
        loop {
            // A plain sleep: waiting in a channel instead would first spin
            // and yield the processor a few times, every period.
            std::thread::sleep(BATCH_PERIOD);
            if stop_rx.try_recv().is_ok() {
                server.stop();
            }
            let before = out.taken;
            for event in events.try_iter() {
                out.take(event);
            }
            out.console.flush();
            if out.taken == before || out.stopped {
                break;
            }
        }
    }
    if let (Some(path), Some(transcript)) = (&args.transcript, &out.transcript) {
        transcript.save(path).map_err(|e| e.to_string())?;
        log::info!("transcript saved to {}", path.display());
    }
    Ok(())
}

/// How long a busy server's events wait before they are printed (and
/// kept). A line that comes 20 ms late still seems to appear at once (an
/// eye notices about 100 ms), and a busy server wakes this thread at most
/// 50 times a second. Each wake-up takes a core from the client threads
/// for a moment: with a 2 ms period (500 a second) whole dialogues at one
/// connection cost the server about 10 µs more CPU each (measured:
/// docs/PERFORMANCE.md).
const BATCH_PERIOD: Duration = Duration::from_millis(20);

/// Where the events go: the console, and the transcript if one is saved.
struct Output {
    console: Console,
    transcript: Option<Transcript>,
    /// Events taken so far.
    taken: u64,
    /// True once the server has stopped.
    stopped: bool,
}

impl Output {
    fn take(&mut self, event: crate::net::NetEvent) {
        self.taken += 1;
        self.console.print(&event);
        self.stopped |= event.kind == EventKind::Stopped;
        if let Some(transcript) = &mut self.transcript
            && !transcript.push(event)
            && transcript.dropped() == 1
        {
            log::warn!(
                "the transcript is full ({} events): later events are not kept",
                transcript.limit()
            );
        }
    }
}

/// Prints the tutorial's console lines for the events that have one.
///
/// Lines are collected and written together by [`Console::flush`]: one
/// write for a batch of events, not one per line.
#[derive(Default)]
struct Console {
    peers: HashMap<Origin, SocketAddr>,
    lines: String,
}

impl Console {
    fn print(&mut self, event: &crate::net::NetEvent) {
        let who = event.origin;
        match &event.kind {
            EventKind::Listening { addr } => {
                self.line(format_args!("Listening on {addr}"));
                self.line(format_args!("Waiting for connection..."));
            }
            EventKind::Accepted { peer, .. } => {
                self.peers.insert(who, *peer);
                self.line(format_args!("Accept new connection from {peer}"));
            }
            EventKind::Closed { reason } => {
                if let Some(peer) = self.peers.remove(&who) {
                    self.line(format_args!("Connection from {peer} is closed"));
                }
                // The expected endings are the tutorial's closing line
                // alone; the others say what went wrong.
                match reason {
                    CloseReason::Exit | CloseReason::Eof | CloseReason::ServerStopped => {
                        log::debug!("{who}: closed: {reason}");
                    }
                    _ => log::info!("{who}: closed: {reason}"),
                }
            }
            EventKind::Error { message } => log::error!("{who}: {message}"),
            EventKind::Rejected { .. } => log::warn!("{}", Describe(&event.kind)),
            EventKind::Stopped => log::info!("{who}: {}", Describe(&event.kind)),
            other => log::debug!("{who}: {}", Describe(other)),
        }
    }

    fn line(&mut self, line: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        let _ = writeln!(self.lines, "{line}");
    }

    /// Writes the lines collected so far to standard output.
    fn flush(&mut self) {
        if !self.lines.is_empty() {
            // One write for the whole batch, its last line break included.
            super::say_lines(&self.lines);
            self.lines.clear();
        }
    }
}
