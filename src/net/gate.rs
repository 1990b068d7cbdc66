//! Step mode: hold the dialogue before each step until someone says "next".
//!
//! In a class, a dialogue on loopback is over in a few milliseconds. With
//! step mode on, every server thread stops before each step it is about to
//! take (each `send()`, and the `close()` at the end), reports what it is
//! waiting to do as an [`EventKind::Held`] event, and goes on only when
//! [`StepGate::next`] lets one step through. Turning step mode off lets
//! everything go.
//!
//! The gate also carries the *close hold* (see [`super::linger`]): how
//! long each end of a finished dialogue keeps its peer's bytes unread, so
//! that FIN_WAIT_1 and LAST_ACK last long enough to watch.
//!
//! The gate is shared (`Arc`) between the server's threads and whoever
//! presses "next". A held thread also wakes up on its own when its
//! connection is ended from outside (kick, stop), so step mode never keeps
//! a server from stopping.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::event::{EventKind, EventSender, Origin};

/// How often a held thread checks whether it should give up waiting.
const RECHECK: Duration = Duration::from_millis(50);

/// Holds threads before each step while step mode is on.
#[derive(Debug, Default)]
pub struct StepGate {
    state: Mutex<GateState>,
    changed: Condvar,
    /// A copy of `state.enabled` that every server thread can read before
    /// each write without taking the lock: with step mode off (nearly
    /// always) passing the gate costs one atomic load, not a lock that all
    /// the server's threads would queue for.
    on: AtomicBool,
}

#[derive(Debug, Default)]
struct GateState {
    enabled: bool,
    /// Tickets of the threads waiting, oldest first.
    queue: VecDeque<u64>,
    /// Tickets let through but not yet seen by their thread.
    released: Vec<u64>,
    next_ticket: u64,
    /// The close hold; zero: off.
    close_hold: Duration,
}

impl StepGate {
    /// A gate with step mode off.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Turns step mode on or off; off lets every held thread go.
    pub fn set_enabled(&self, enabled: bool) {
        let mut state = self.lock();
        state.enabled = enabled;
        self.on.store(enabled, Ordering::Release);
        if !enabled {
            let waiting: Vec<u64> = state.queue.drain(..).collect();
            state.released.extend(waiting);
        }
        self.changed.notify_all();
    }

    /// True while step mode is on.
    pub fn is_enabled(&self) -> bool {
        self.on.load(Ordering::Acquire)
    }

    /// Sets the close hold: at the end of each dialogue, each end stops
    /// reading for `hold` and closes with bytes still queued (see
    /// [`super::linger`]). Zero turns it off. Applies to connections that
    /// close from now on.
    pub fn set_close_hold(&self, hold: Duration) {
        self.lock().close_hold = hold;
    }

    /// The close hold; zero when off.
    pub fn close_hold(&self) -> Duration {
        self.lock().close_hold
    }

    /// How many threads are held now.
    pub fn held(&self) -> usize {
        self.lock().queue.len()
    }

    /// Lets the thread that has waited longest take its step.
    pub fn next(&self) {
        let mut state = self.lock();
        if let Some(ticket) = state.queue.pop_front() {
            state.released.push(ticket);
            self.changed.notify_all();
        }
    }

    /// Called by a network thread before a step. Returns at once when step
    /// mode is off; otherwise reports `step` as held and waits until
    /// [`StepGate::next`] (or step mode off), or until `give_up()` says the
    /// connection has ended meanwhile.
    pub fn pass(
        &self,
        origin: Origin,
        step: &str,
        events: &EventSender,
        give_up: impl Fn() -> bool,
    ) {
        if !self.is_enabled() {
            return;
        }
        let mut state = self.lock();
        if !state.enabled {
            return;
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back(ticket);
        drop(state);
        events.emit(
            origin,
            EventKind::Held {
                step: step.to_owned(),
            },
        );
        let mut state = self.lock();
        loop {
            if let Some(i) = state.released.iter().position(|t| *t == ticket) {
                state.released.swap_remove(i);
                return;
            }
            if give_up() {
                state.queue.retain(|t| *t != ticket);
                return;
            }
            state = self
                .changed
                .wait_timeout(state, RECHECK)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn off_lets_everything_through_at_once() {
        let gate = StepGate::new();
        let (tx, rx) = crossbeam_channel::unbounded();
        gate.pass(Origin::Listener, "send", &EventSender::new(tx), || false);
        assert!(rx.try_recv().is_err(), "nothing held, nothing reported");
    }

    #[test]
    fn on_holds_until_next_and_reports_the_step() {
        let gate = Arc::new(StepGate::new());
        gate.set_enabled(true);
        let (tx, rx) = crossbeam_channel::unbounded();
        let passed = Arc::new(AtomicBool::new(false));
        let thread = {
            let (gate, passed) = (Arc::clone(&gate), Arc::clone(&passed));
            std::thread::spawn(move || {
                gate.pass(
                    Origin::ServerConn(1),
                    "send \"Welcome!\\n\"",
                    &EventSender::new(tx),
                    || false,
                );
                passed.store(true, Ordering::SeqCst);
            })
        };
        let held = rx.recv_timeout(Duration::from_secs(5)).expect("held event");
        assert_eq!(
            held.kind,
            EventKind::Held {
                step: "send \"Welcome!\\n\"".into()
            }
        );
        assert!(!passed.load(Ordering::SeqCst));
        assert_eq!(gate.held(), 1);
        gate.next();
        thread.join().unwrap();
        assert!(passed.load(Ordering::SeqCst));
        assert_eq!(gate.held(), 0);
    }

    #[test]
    fn a_held_thread_gives_up_when_its_connection_ends() {
        let gate = StepGate::new();
        gate.set_enabled(true);
        let (tx, _rx) = crossbeam_channel::unbounded();
        gate.pass(
            Origin::ServerConn(2),
            "close()",
            &EventSender::new(tx),
            || true,
        );
        assert_eq!(gate.held(), 0);
    }
}
