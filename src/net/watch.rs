//! Watching sockets' TCP states change, as events.
//!
//! A [`StateWatcher`] runs one thread that asks the kernel for the state
//! of each socket it was told to watch (see [`super::tcp_state`]), and
//! sends an [`EventKind::TcpState`] event whenever one changes. A socket is
//! read every few milliseconds while it is busy (just watched, just
//! changed, or poked because traffic was seen on it) and twice a second
//! when quiet, so that watching costs almost nothing while nothing happens. A socket is forgotten once it is gone (CLOSED) or,
//! for TIME_WAIT, once that has been reported: its countdown only runs out.
//!
//! Polling cannot see every state: some last microseconds on loopback
//! (SYN_SENT, SYN_RECV, LAST_ACK). [`super::lifecycle`] fills those in from
//! the state machine, marked as inferred.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};

use super::event::{EventKind, EventSender, Origin};
use super::tcp_state::{SocketKey, StateError, StateReader, TcpState};

/// How often a watcher polls when it watches few sockets: often enough to
/// catch states that last a few tens of milliseconds (FIN_WAIT_1 waiting
/// for a delayed ACK, ~40 ms on loopback).
pub const WATCH_INTERVAL: Duration = Duration::from_millis(10);

/// The polling interval never drops below this much time per watched
/// socket, so that watching many sockets keeps the thread's share of a
/// core small: each lookup costs a few microseconds, and 100 µs per socket
/// bounds the thread to a few percent whatever the number of sockets.
const TIME_PER_SOCKET: Duration = Duration::from_micros(100);

/// The time between two polls of every socket when `sockets` are watched
/// with base `interval`: never less than 100 µs per socket.
pub fn poll_period(interval: Duration, sockets: usize) -> Duration {
    interval.max(TIME_PER_SOCKET * sockets as u32)
}

/// How long a socket stays "busy" (polled every interval) after it was
/// watched, changed state, or was poked.
pub const BUSY_FOR: Duration = Duration::from_secs(2);

/// How often a quiet socket is polled. States change when something
/// happens on a connection, and whoever sees traffic pokes the watcher,
/// so quiet sockets can wait: an idle window then costs next to nothing.
pub const QUIET_INTERVAL: Duration = Duration::from_millis(500);

/// Which socket of a connection a watch entry reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum End {
    /// The origin's own socket: reported as [`EventKind::TcpState`].
    Own,
    /// The other end, when it is our own server's socket not yet accepted:
    /// reported as [`EventKind::PeerTcpState`] until it leaves SYN_RECV.
    Peer,
}

/// What the watcher thread is asked to do.
enum Command {
    Watch(Origin, End, SocketKey),
    Poke(Origin),
}

/// Watches sockets on a thread of its own. Dropping it stops the thread.
pub struct StateWatcher {
    commands: Sender<Command>,
}

impl StateWatcher {
    /// Starts watching: busy sockets every `interval`, quiet ones every
    /// `quiet` (the window uses [`WATCH_INTERVAL`] and [`QUIET_INTERVAL`]).
    /// Fails where the system offers no way to read TCP states.
    pub fn start(
        events: EventSender,
        interval: Duration,
        quiet: Duration,
    ) -> Result<StateWatcher, StateError> {
        let mut reader = StateReader::new()?;
        let (commands, command_rx) = unbounded();
        thread::Builder::new()
            .name("tcp-state-watcher".to_owned())
            .spawn(move || watch_loop(&mut reader, &command_rx, &events, interval, quiet))
            .map_err(StateError::Io)?;
        Ok(StateWatcher { commands })
    }

    /// Starts watching the socket `key`, reporting under `origin`.
    pub fn watch(&self, origin: Origin, key: SocketKey) {
        // If the thread is gone, there is nobody to report to anyway.
        let _ = self.commands.send(Command::Watch(origin, End::Own, key));
    }

    /// Starts watching the server's end of `origin`'s connection (`key` is
    /// that socket: local = the server's address, remote = the client's),
    /// for a client of our own server. The kernel has that socket before
    /// `accept()` returns it: it is in SYN_RECV during the handshake, for
    /// as long as deferred accept holds it. Its states are reported as
    /// [`EventKind::PeerTcpState`] until it leaves SYN_RECV; then the
    /// server thread that accepts it takes over. Given up if nothing is
    /// seen for [`BUSY_FOR`] (the connection failed).
    pub fn watch_peer(&self, origin: Origin, key: SocketKey) {
        let _ = self.commands.send(Command::Watch(origin, End::Peer, key));
    }

    /// Something happened on `origin`'s connection (bytes, a close): its
    /// state may be about to change, so poll it often for a while.
    pub fn poke(&self, origin: Origin) {
        let _ = self.commands.send(Command::Poke(origin));
    }
}

/// One watched socket and the last state reported for it.
struct Watched {
    key: SocketKey,
    last: Option<TcpState>,
    /// Polled every interval until then; every [`QUIET_INTERVAL`] after.
    busy_until: Instant,
    /// When to read it next.
    due: Instant,
}

fn watch_loop(
    reader: &mut StateReader,
    commands: &Receiver<Command>,
    events: &EventSender,
    interval: Duration,
    quiet: Duration,
) {
    let mut watched: HashMap<(Origin, End), Watched> = HashMap::new();
    loop {
        // Sleep until the next socket is due, or until a command comes.
        let wait = watched
            .values()
            .map(|w| w.due)
            .min()
            .map_or(Duration::from_secs(3600), |due| {
                due.saturating_duration_since(Instant::now())
            });
        match commands.recv_timeout(wait) {
            Ok(first) => {
                let now = Instant::now();
                for command in std::iter::once(first).chain(commands.try_iter()) {
                    match command {
                        // A new socket is read at once, so its first
                        // state is seen early.
                        // Already watched (a client announces its socket
                        // when dialing and again when connected): just busy.
                        Command::Watch(origin, end, key)
                            if watched.get(&(origin, end)).is_some_and(|w| w.key == key) =>
                        {
                            if let Some(w) = watched.get_mut(&(origin, end)) {
                                w.busy_until = now + BUSY_FOR;
                                w.due = w.due.min(now + interval);
                            }
                        }
                        Command::Watch(origin, end, key) => {
                            let mut w = Watched {
                                key,
                                last: None,
                                busy_until: now + BUSY_FOR,
                                due: now,
                            };
                            if poll_one(reader, (origin, end), &mut w, events) {
                                w.due = now + interval;
                                watched.insert((origin, end), w);
                            }
                        }
                        Command::Poke(origin) => {
                            for end in [End::Own, End::Peer] {
                                if let Some(w) = watched.get_mut(&(origin, end)) {
                                    w.busy_until = now + BUSY_FOR;
                                    w.due = w.due.min(now + interval);
                                }
                            }
                        }
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                // Many busy sockets share the budget: never less than
                // TIME_PER_SOCKET per socket between two reads of one.
                let busy = poll_period(interval, watched.len());
                watched.retain(|&(origin, end), w| {
                    if w.due > now {
                        return true;
                    }
                    // A peer end never seen: that connection did not reach
                    // our server. Stop looking once the busy time is over.
                    if end == End::Peer && w.last.is_none() && now >= w.busy_until {
                        return false;
                    }
                    let before = w.last;
                    let keep = poll_one(reader, (origin, end), w, events);
                    if w.last != before {
                        w.busy_until = now + BUSY_FOR;
                    }
                    let period = if now < w.busy_until {
                        busy
                    } else {
                        busy.max(quiet)
                    };
                    w.due = now + period;
                    keep
                });
            }
            // The handle is gone: stop.
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Reads one socket, reports a change; returns false to stop watching it.
fn poll_one(
    reader: &mut StateReader,
    (origin, end): (Origin, End),
    w: &mut Watched,
    events: &EventSender,
) -> bool {
    let observation = match reader.read(&w.key) {
        Ok(observation) => observation,
        Err(e) => {
            log::warn!("{origin}: {e}");
            return false;
        }
    };
    if w.last != Some(observation.state) {
        // A socket not yet created (a client still connecting) shows as
        // CLOSED: report CLOSED only after something else was seen, or once
        // the socket has been quiet for BUSY_FOR without ever being seen
        // (it closed before the first look, which a slow system such as
        // Windows' TCP table can miss; or it never connected).
        if observation.state == TcpState::Closed
            && w.last.is_none()
            && Instant::now() < w.busy_until
        {
            return true;
        }
        w.last = Some(observation.state);
        let kind = match end {
            End::Own => EventKind::TcpState {
                state: observation.state,
                time_wait_left_ms: observation
                    .time_wait_left
                    .map(|left| left.as_millis() as u64),
            },
            End::Peer => EventKind::PeerTcpState {
                state: observation.state,
            },
        };
        events.emit(origin, kind);
    }
    match end {
        End::Own => !matches!(observation.state, TcpState::Closed | TcpState::TimeWait),
        // Past SYN_RECV, the server thread reports this socket itself.
        End::Peer => w.last.is_none_or(|state| state == TcpState::SynRecv),
    }
}
