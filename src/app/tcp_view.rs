//! How a socket's real TCP state is shown: its name, and for TIME_WAIT a
//! countdown to the moment the kernel forgets the connection.
//!
//! States arrive as [`EventKind::TcpState`] events from the watcher (see
//! [`crate::net::watch`]); this keeps the last one of a socket and turns it
//! into text.

use std::time::{Duration, Instant};

use rust_i18n::t;

use crate::net::EventKind;
use crate::net::tcp_state::TcpState;

/// The last TCP state reported for one socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpView {
    /// The state.
    pub state: TcpState,
    /// In TIME_WAIT: when it ends.
    pub time_wait_until: Option<Instant>,
}

impl TcpView {
    /// The view for a `TcpState` event, or `None` for other events.
    pub fn from_event(kind: &EventKind) -> Option<TcpView> {
        match kind {
            EventKind::TcpState {
                state,
                time_wait_left_ms,
            } => Some(TcpView {
                state: *state,
                time_wait_until: time_wait_left_ms
                    .map(|ms| Instant::now() + Duration::from_millis(ms)),
            }),
            _ => None,
        }
    }

    /// `ESTABLISHED`, or `TIME_WAIT 42 s` while the countdown runs, and
    /// `CLOSED` once it has run out. State names are the kernel's, in every
    /// language; only the unit is translated.
    pub fn text(&self) -> String {
        match self.time_wait_until {
            Some(until) => {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    TcpState::Closed.name().to_owned()
                } else {
                    let unit = t!("tcp_view.seconds");
                    format!("{} {} {unit}", self.state.name(), left.as_secs() + 1)
                }
            }
            None => self.state.name().to_owned(),
        }
    }

    /// The hover text of a state shown with `base` as its explanation:
    /// `base`, and for a TIME_WAIT the system gives no countdown for
    /// (Windows), a line saying so.
    pub fn hover(&self, base: &str) -> String {
        if self.state == TcpState::TimeWait && self.time_wait_until.is_none() {
            let note = super::platform::time_wait_without_countdown(super::platform::Os::current());
            format!("{base}\n{note}")
        } else {
            base.to_owned()
        }
    }

    /// True while a countdown is shown, so the window redraws once a second.
    pub fn is_counting_down(&self) -> bool {
        self.time_wait_until
            .is_some_and(|until| until > Instant::now())
    }
}
