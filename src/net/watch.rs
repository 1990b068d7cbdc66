//! Watching sockets' TCP states change, as events.
//!
//! A [`StateWatcher`] runs one thread that asks the kernel, every few
//! milliseconds, for the state of each socket it was told to watch (see
//! [`super::tcp_state`]), and sends an [`EventKind::TcpState`] event
//! whenever one changes. A socket is forgotten once it is gone (CLOSED) or,
//! for TIME_WAIT, once that has been reported: its countdown only runs out.
//!
//! Polling cannot see every state: some last microseconds on loopback
//! (SYN_SENT, SYN_RECV, LAST_ACK). [`super::lifecycle`] fills those in from
//! the state machine, marked as inferred.

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
/// with base `interval`: never less than [`TIME_PER_SOCKET`] per socket.
pub fn poll_period(interval: Duration, sockets: usize) -> Duration {
    interval.max(TIME_PER_SOCKET * sockets as u32)
}

/// What the watcher thread is asked to do.
enum Command {
    Watch(Origin, SocketKey),
}

/// Watches sockets on a thread of its own. Dropping it stops the thread.
pub struct StateWatcher {
    commands: Sender<Command>,
}

impl StateWatcher {
    /// Starts watching, polling every `interval`. Fails where the system
    /// offers no way to read TCP states.
    pub fn start(events: EventSender, interval: Duration) -> Result<StateWatcher, StateError> {
        let mut reader = StateReader::new()?;
        let (commands, command_rx) = unbounded();
        thread::Builder::new()
            .name("tcp-state-watcher".to_owned())
            .spawn(move || watch_loop(&mut reader, &command_rx, &events, interval))
            .map_err(StateError::Io)?;
        Ok(StateWatcher { commands })
    }

    /// Starts watching the socket `key`, reporting under `origin`.
    pub fn watch(&self, origin: Origin, key: SocketKey) {
        // If the thread is gone, there is nobody to report to anyway.
        let _ = self.commands.send(Command::Watch(origin, key));
    }
}

/// One watched socket and the last state reported for it.
struct Watched {
    key: SocketKey,
    last: Option<TcpState>,
}

fn watch_loop(
    reader: &mut StateReader,
    commands: &Receiver<Command>,
    events: &EventSender,
    interval: Duration,
) {
    let mut watched: HashMap<Origin, Watched> = HashMap::new();
    let mut next_poll = Instant::now();
    loop {
        // Sleep until the next poll of every socket, or until new sockets
        // are to be watched: those are read at once, so their first state
        // is seen early, without polling all the others again.
        let wait = if watched.is_empty() {
            Duration::from_secs(3600)
        } else {
            next_poll.saturating_duration_since(Instant::now())
        };
        match commands.recv_timeout(wait) {
            Ok(first) => {
                for Command::Watch(origin, key) in std::iter::once(first).chain(commands.try_iter())
                {
                    let mut w = Watched { key, last: None };
                    if poll_one(reader, origin, &mut w, events) {
                        watched.insert(origin, w);
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                watched.retain(|origin, w| poll_one(reader, *origin, w, events));
                let period = poll_period(interval, watched.len());
                next_poll = Instant::now() + period;
            }
            // The handle is gone: stop.
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Reads one socket, reports a change; returns false to stop watching it.
fn poll_one(
    reader: &mut StateReader,
    origin: Origin,
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
        // CLOSED: report CLOSED only after something else was seen.
        if observation.state == TcpState::Closed && w.last.is_none() {
            return true;
        }
        w.last = Some(observation.state);
        events.emit(
            origin,
            EventKind::TcpState {
                state: observation.state,
                time_wait_left_ms: observation
                    .time_wait_left
                    .map(|left| left.as_millis() as u64),
            },
        );
    }
    !matches!(observation.state, TcpState::Closed | TcpState::TimeWait)
}
