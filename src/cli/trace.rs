//! `tcp-playground trace`: one dialogue on loopback, with the real TCP
//! states of both ends.
//!
//! It starts a server on 127.0.0.1 (a free port), watches the listener,
//! connects one client, sends one name and then ends the dialogue: with
//! `exit` (the server closes first, as in the protocol) or, with
//! `--close client`, by closing the client first. It prints one merged
//! timeline: the states the kernel reported (observed), the states the
//! state machine says must have come between them but were too short to
//! see (inferred, with why), the socket calls each thread made (`accept()`
//! waiting and returning, `recv()` returning 0 when the peer closed, …)
//! and the messages sent. With the privilege to
//! capture (Linux: root or `CAP_NET_RAW`), the real segments are listed
//! too, with their flags and sequence and acknowledgement numbers; without
//! it, one line says how to grant it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossbeam_channel::unbounded;

use super::{CloseFirst, TraceArgs};
use std::sync::Arc;

use crate::net::calls::{Call, CallResult};
use crate::net::capture::{Capture, Segment};
use crate::net::gate::StepGate;
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
/// The same, in slow motion.
const SLOW_LIMIT: Duration = Duration::from_secs(30);
/// Once both ends have closed, how long their last states may take to be
/// seen. A state reader that misses one (Windows' table is copied whole,
/// and under wine a copy has stayed stale for seconds) must not make the
/// whole trace fail: the timeline is printed with what was seen.
const SETTLE: Duration = Duration::from_secs(3);
/// In slow motion, the pause before each step.
const SLOW_STEP: Duration = Duration::from_millis(300);
/// In slow motion, how long deferred accept holds the server's end in
/// SYN_RECV (the kernel rounds it up to about 3 s).
const SLOW_SYN_RECV: Duration = Duration::from_secs(2);
/// In slow motion, how long each end leaves its peer's last bytes unread
/// at the close, holding FIN_WAIT_1 and LAST_ACK (see `net::linger`).
const SLOW_CLOSE_HOLD: Duration = Duration::from_secs(1);

/// Lets one held step through every [`SLOW_STEP`] until dropped.
struct SlowMotion {
    stop: crossbeam_channel::Sender<()>,
}

impl Drop for SlowMotion {
    fn drop(&mut self) {
        let _ = self.stop.try_send(());
    }
}

fn slow_motion(gate: Arc<StepGate>) -> SlowMotion {
    let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
    let ticks = crossbeam_channel::tick(SLOW_STEP);
    let spawned = std::thread::Builder::new()
        .name("slow-motion".to_owned())
        .spawn(move || {
            loop {
                crossbeam_channel::select! {
                    recv(ticks) -> _ => gate.next(),
                    recv(stopped) -> _ => return,
                }
            }
        });
    if let Err(e) = spawned {
        log::warn!("slow motion is off: cannot start its thread: {e}");
    }
    SlowMotion { stop }
}

/// Runs the trace and prints it.
pub fn run(args: &TraceArgs) -> Result<(), String> {
    let (tx, rx) = unbounded();
    let events = EventSender::new(tx);
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().map_err(|_| "bad address")?,
        // In slow motion the server's end also waits in SYN_RECV.
        defer_accept: if args.slow && cfg!(target_os = "linux") {
            SLOW_SYN_RECV
        } else {
            Duration::ZERO
        },
        ..ServerConfig::default()
    };
    // Slow motion: both ends wait before each step (step mode), and a timer
    // lets one step through every SLOW_STEP, so that states which normally
    // last microseconds (CLOSE_WAIT, FIN_WAIT_2) last long enough to see.
    let gate = Arc::new(StepGate::new());
    gate.set_enabled(args.slow);
    if args.slow {
        gate.set_close_hold(SLOW_CLOSE_HOLD);
    }
    let server = Server::start_with_gate(config, events.clone(), Arc::clone(&gate))
        .map_err(|e| e.to_string())?;
    // Every read fast: a trace is short, and slow motion must not be missed.
    let watcher = match StateWatcher::start(events.clone(), POLL, POLL) {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            say!("TCP states: {e}; only the messages are shown.");
            None
        }
    };
    let watch = |origin, key| {
        if let Some(w) = &watcher {
            w.watch(origin, key);
        }
    };
    watch(Origin::Listener, SocketKey::listener(server.local_addr()));
    // Capture from before the client connects, so its SYN is seen.
    let (segment_tx, segments) = unbounded();
    let capture = match Capture::start(&[server.local_addr().port()], segment_tx) {
        Ok(capture) => Some(capture),
        Err(e) => {
            say!("Segments: {e}");
            None
        }
    };
    let client = Client::connect_with_gate(
        ClientConfig {
            port: server.local_addr().port(),
            ..ClientConfig::default()
        },
        events.clone(),
        Arc::clone(&gate),
    );
    let ticker = args.slow.then(|| slow_motion(Arc::clone(&gate)));

    let started = Instant::now();
    let mut log: Vec<NetEvent> = Vec::new();
    let mut prompts = 0;
    // Done when both ends' sockets have reached their last state and both
    // threads have reported their close (with a close hold, a thread still
    // reads up to the FIN after its socket's state has moved on).
    let mut finished: HashMap<Origin, bool> = HashMap::new();
    let mut closed = 0;
    let mut both_closed_at: Option<Instant> = None;
    let done = |finished: &HashMap<Origin, bool>, closed: usize| {
        finished.len() == 2 && finished.values().all(|f| *f) && closed >= 2
    };
    while !done(&finished, closed) {
        let limit = if args.slow { SLOW_LIMIT } else { LIMIT };
        let left = limit.saturating_sub(started.elapsed());
        let settle_left = both_closed_at.map(|at| SETTLE.saturating_sub(at.elapsed()));
        let Ok(event) = rx.recv_timeout(settle_left.map_or(left, |s| s.min(left))) else {
            if settle_left.is_some_and(|s| s < left) {
                say!("(The last state of an end was not seen within {SETTLE:?} of its close.)");
                break;
            }
            let start = log.first().map(|e| e.time).unwrap_or_else(Utc::now);
            for line in timeline(&log, start) {
                say!("{line}");
            }
            return Err(format!(
                "the dialogue did not finish within {limit:?} (what was seen is above)"
            ));
        };
        match &event.kind {
            // The server's end of this connection exists in the kernel
            // before accept() returns it: watch it from the start.
            EventKind::Dialing { local, peer } if *peer == server.local_addr() => {
                if let Some(w) = &watcher {
                    w.watch_peer(
                        event.origin,
                        SocketKey {
                            local: *peer,
                            remote: *local,
                        },
                    );
                }
                watch(
                    event.origin,
                    SocketKey {
                        local: *local,
                        remote: *peer,
                    },
                );
                finished.insert(event.origin, watcher.is_none());
            }
            EventKind::Dialing { local, peer }
            | EventKind::Connected { local, peer }
            | EventKind::Accepted { peer, local, .. } => {
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
            EventKind::Closed { .. } if event.origin != Origin::Listener => {
                closed += 1;
                if closed == 2 {
                    both_closed_at = Some(Instant::now());
                }
            }
            _ => {}
        }
        log.push(event);
    }
    gate.set_enabled(false);
    drop(ticker);
    // The last ACK may still be on its way: collect until the wire is
    // quiet, and stop capturing before the server stops (stopping makes a
    // connection of its own to wake the listener).
    let mut captured: Vec<Segment> = Vec::new();
    if capture.is_some() {
        while let Ok(segment) = segments.recv_timeout(Duration::from_millis(100)) {
            captured.push(segment);
        }
    }
    drop(capture);
    server.stop();
    let first_seen = log.first().map(|e| e.time).unwrap_or_else(Utc::now);
    let who_closes = match args.close {
        CloseFirst::Server => "the server closes first (after Good bye!)",
        CloseFirst::Client => "the client closes first",
    };
    say!(
        "One name dialogue on {}, {who_closes}.",
        server.local_addr()
    );
    say!("Times in milliseconds from the first event; states polled every {POLL:?}.");
    if args.slow {
        say!("Slow motion: each side waits {SLOW_STEP:?} before each step.");
        if !server.config().defer_accept.is_zero() {
            say!(
                "Deferred accept: the server's end waits in SYN_RECV for about 3 s before accept()."
            );
        }
        say!(
            "Close hold: each end leaves the other's last bytes unread for {SLOW_CLOSE_HOLD:?}, \
             so a FIN waits behind them (FIN_WAIT_1, LAST_ACK)."
        );
    }
    say!("");
    for line in timeline(&log, first_seen) {
        say!("{line}");
    }
    if !captured.is_empty() {
        // The segments are listed on their own, in the order they crossed
        // the wire, so the timeline above stays short; their times are the
        // kernel's, on the same clock as the events.
        say!("");
        say!(
            "The {} segments on the wire (lo), in order, numbers as sent:",
            captured.len()
        );
        let labels = socket_labels(&log);
        for segment in &captured {
            say!("{}", segment_line(segment, first_seen, &labels));
        }
    }
    Ok(())
}

/// The merged timeline: states (observed and inferred), socket calls, messages and
/// closes, in the order they happened. (Events from different threads may
/// reach the channel slightly out of order; their timestamps decide.)
pub fn timeline(log: &[NetEvent], start: DateTime<Utc>) -> Vec<String> {
    let mut last_state: HashMap<Origin, TcpState> = HashMap::new();
    let server_end = server_ends(log);
    let mut ordered: Vec<&NetEvent> = log.iter().collect();
    ordered.sort_by_key(|e| e.time);
    let mut timed: Vec<(DateTime<Utc>, String)> = Vec::new();
    for event in ordered {
        let mut lines = Vec::new();
        let ms = (event.time - start).num_microseconds().unwrap_or(0) as f64 / 1000.0;
        let mut who = event.origin.label();
        // The server's end seen before accept() is listed under the server
        // thread that later accepts it (or as "server" if none did).
        let (origin, state_seen) = match &event.kind {
            EventKind::PeerTcpState { state } => {
                let origin = server_end.get(&event.origin).copied();
                who = origin.map_or_else(|| "server".to_owned(), Origin::label);
                (origin.unwrap_or(Origin::Listener), Some((*state, None)))
            }
            EventKind::TcpState {
                state,
                time_wait_left_ms,
            } => (event.origin, Some((*state, *time_wait_left_ms))),
            _ => (event.origin, None),
        };
        // Both ends' watches may report the same state once: keep one.
        if let Some((state, _)) = state_seen
            && last_state.get(&origin) == Some(&state)
        {
            continue;
        }
        match &event.kind {
            EventKind::TcpState { .. } | EventKind::PeerTcpState { .. } => {
                let Some((state, time_wait_left_ms)) = state_seen else {
                    continue;
                };
                let state = &state;
                let role = match origin {
                    Origin::Listener => Role::Listener,
                    Origin::ServerConn(_) => Role::Accepted,
                    Origin::Client(_) => Role::Client,
                };
                let from = *last_state.get(&origin).unwrap_or(&role.origin());
                for inferred in between(from, *state).unwrap_or_default() {
                    lines.push(format!(
                        "{:>9}  {who:<9} {:<12} inferred: too short to observe (between {from} and {state})",
                        "",
                        inferred.name()
                    ));
                }
                let left = match time_wait_left_ms {
                    Some(ms) => format!(" ({:.1} s left)", ms as f64 / 1000.0),
                    // Windows lists TIME_WAIT sockets but not their time.
                    None if *state == TcpState::TimeWait => {
                        " (this system does not say how long it has left)".to_owned()
                    }
                    None => String::new(),
                };
                lines.push(format!(
                    "{ms:>9.3}  {who:<9} {:<12} observed{left}",
                    state.name()
                ));
                last_state.insert(origin, *state);
            }
            EventKind::Sent { bytes } => {
                lines.push(format!("{ms:>9.3}  {who:<9} send \"{}\"", bytes.escaped()))
            }
            EventKind::Closed { reason } => {
                lines.push(format!("{ms:>9.3}  {who:<9} close() ({reason})"));
            }
            // The socket calls. A send is its `send "..."` line and a
            // close its `close()` line; the rest are shown as they wait
            // (accept, connect, recv) and as they return.
            EventKind::CallStart { call } if call.blocks() => {
                lines.push(format!("{ms:>9.3}  {who:<9} {call} called, waits"));
            }
            EventKind::CallEnd { call, result } if *call != Call::Close => {
                lines.push(format!("{ms:>9.3}  {who:<9} {call} returned {result}"));
            }
            EventKind::Received { bytes } => {
                let result = CallResult::Bytes(bytes.len() as u64);
                lines.push(format!("{ms:>9.3}  {who:<9} recv() returned {result}"));
            }
            EventKind::FinQueued { behind: 0 } => {
                lines.push(format!("{ms:>9.3}  {who:<9} shutdown(): FIN sent"));
            }
            EventKind::FinQueued { behind } => lines.push(format!(
                "{ms:>9.3}  {who:<9} shutdown(): FIN queued after {behind} bytes the peer has not read"
            )),
            EventKind::Drained { bytes } => lines.push(format!(
                "{ms:>9.3}  {who:<9} stopped reading, then read {bytes} bytes up to the FIN"
            )),
            _ => {}
        }
        timed.extend(lines.into_iter().map(|line| (event.time, line)));
    }
    // A stable sort keeps an event's lines (inferred states, then the
    // observed one) together and in order.
    timed.sort_by_key(|(time, _)| *time);
    timed.into_iter().map(|(_, line)| line).collect()
}

/// For each client, the server thread that accepted its connection
/// (matched by the client's address), from the connection events.
fn server_ends(log: &[NetEvent]) -> HashMap<Origin, Origin> {
    let mut client_at = HashMap::new();
    for event in log {
        if let EventKind::Dialing { local, .. } | EventKind::Connected { local, .. } = &event.kind {
            client_at.insert(*local, event.origin);
        }
    }
    log.iter()
        .filter_map(|event| match &event.kind {
            EventKind::Accepted { peer, .. } => Some((*client_at.get(peer)?, event.origin)),
            _ => None,
        })
        .collect()
}

/// Which label (`tab-1`, `client-1`) owns which address, from the
/// connection events, so segments can say who sent them.
fn socket_labels(log: &[NetEvent]) -> HashMap<std::net::SocketAddr, String> {
    let mut labels = HashMap::new();
    for event in log {
        match &event.kind {
            EventKind::Connected { local, .. } => {
                labels.insert(*local, event.origin.label());
            }
            // The accepted socket shares the listener's address; in a trace
            // there is one connection, so the address names that socket.
            EventKind::Accepted { local, .. } => {
                labels.insert(*local, event.origin.label());
            }
            _ => {}
        }
    }
    labels
}

/// One captured segment: who sent it to whom, flags, numbers.
fn segment_line(
    seg: &Segment,
    start: DateTime<Utc>,
    labels: &HashMap<std::net::SocketAddr, String>,
) -> String {
    let ms = (seg.time - start).num_microseconds().unwrap_or(0) as f64 / 1000.0;
    let name = |addr| {
        labels
            .get(addr)
            .cloned()
            .unwrap_or_else(|| addr.to_string())
    };
    format!(
        "{ms:>9.3}  {:<12} {:>8} -> {:<8}  seq={} ack={} len={}",
        seg.flags.to_string(),
        name(&seg.src),
        name(&seg.dst),
        seg.seq,
        seg.ack,
        seg.payload_len
    )
}
