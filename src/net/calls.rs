//! Socket calls as events: which call each thread is in, live.
//!
//! The tutorial teaches the socket API one call at a time: `socket()`,
//! `bind()`, `listen()`, `accept()` on the server; `socket()`,
//! `connect()` on the client; then `send()`, `recv()` and `close()` on
//! both. The threads in [`super::server`] and [`super::client`] make those
//! very calls (through `std` and `socket2`, which are thin wrappers over
//! them), and report each one as it is made ([`EventKind::CallStart`]) and
//! as it returns ([`EventKind::CallEnd`]). A window can then show where
//! every thread is ("waiting in recv()") and a student can follow the
//! calls in the code.
//!
//! Each report is an event, and each event may wake whoever listens: on a
//! busy server that is what costs, not the call itself. So the calls of
//! the dialogue's hot path are reported once each: a `send()` by the
//! [`EventKind::Sent`] event (with its bytes) when it returns, since it
//! does not wait; a `recv()` when it starts (the thread may wait there
//! for a long time), then by [`EventKind::Received`] (with its bytes), or
//! by [`EventKind::CallEnd`] when it returns 0 (the peer's FIN) or fails.
//!
//! [`EventKind::Sent`]: super::event::EventKind::Sent
//! [`EventKind::Received`]: super::event::EventKind::Received
//!
//! [`EventKind::CallStart`]: super::event::EventKind::CallStart
//! [`EventKind::CallEnd`]: super::event::EventKind::CallEnd

#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::event::{EventKind, EventSender, Origin};

/// One call of the socket API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    /// Creates a socket (a file descriptor; no packet is sent).
    Socket,
    /// Gives the socket its local address and port.
    Bind,
    /// Turns the socket into a listener: the kernel now answers SYNs.
    Listen,
    /// Takes one connection whose handshake the kernel has finished.
    Accept,
    /// Sends SYN and waits for the handshake to finish.
    Connect,
    /// Copies bytes into the kernel's send buffer.
    Send,
    /// Waits for bytes (or the peer's FIN: 0 bytes).
    Recv,
    /// Closes one direction: `shutdown(SHUT_WR)` sends FIN.
    Shutdown,
    /// Gives the socket back to the kernel (FIN, if not sent yet).
    Close,
}

impl Call {
    /// The call as written in code: `recv()`.
    pub fn name(self) -> &'static str {
        match self {
            Call::Socket => "socket()",
            Call::Bind => "bind()",
            Call::Listen => "listen()",
            Call::Accept => "accept()",
            Call::Connect => "connect()",
            Call::Send => "send()",
            Call::Recv => "recv()",
            Call::Shutdown => "shutdown()",
            Call::Close => "close()",
        }
    }

    /// True for the calls a thread can wait in for a long time.
    pub fn blocks(self) -> bool {
        matches!(self, Call::Accept | Call::Connect | Call::Recv)
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "value")]
pub enum CallResult {
    /// It succeeded (`socket`, `bind`, `listen`, `connect`, `shutdown`, `close`).
    Done,
    /// `accept()` returned a connection from this address.
    Peer(SocketAddr),
    /// `send()` wrote, or `recv()` read, this many bytes. `recv()`
    /// returning 0 means the peer closed its sending side (its FIN).
    Bytes(u64),
    /// It failed, with the system's words.
    Failed(String),
}

impl fmt::Display for CallResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallResult::Done => f.write_str("ok"),
            CallResult::Peer(peer) => write!(f, "a connection from {peer}"),
            CallResult::Bytes(0) => f.write_str("0 bytes: the peer closed its side"),
            CallResult::Bytes(1) => f.write_str("1 byte"),
            CallResult::Bytes(n) => write!(f, "{n} bytes"),
            CallResult::Failed(why) => write!(f, "error: {why}"),
        }
    }
}

impl CallResult {
    /// The result of an I/O call: `ok` for its value, or the error.
    pub fn of<T>(result: &io::Result<T>, ok: impl FnOnce(&T) -> CallResult) -> CallResult {
        match result {
            Ok(value) => ok(value),
            Err(e) => CallResult::Failed(e.to_string()),
        }
    }
}

/// Reports the calls of one thread (one socket's origin).
#[derive(Clone, Debug)]
pub struct CallReporter {
    events: EventSender,
    origin: Origin,
}

impl CallReporter {
    /// A reporter for the calls made for `origin`.
    pub fn new(events: EventSender, origin: Origin) -> Self {
        CallReporter { events, origin }
    }

    /// The socket whose calls are reported.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Where the reports go (for the thread's other events).
    pub fn events(&self) -> &EventSender {
        &self.events
    }

    /// Reports that the thread is entering `call`.
    pub fn start(&self, call: Call) {
        self.events.emit(self.origin, EventKind::CallStart { call });
    }

    /// Reports that `call` returned `result`.
    pub fn end(&self, call: Call, result: CallResult) {
        self.events
            .emit(self.origin, EventKind::CallEnd { call, result });
    }

    /// Makes `call` by running `f`, reported before and after; the result
    /// is described by `ok` when it succeeds.
    pub fn call<T>(
        &self,
        call: Call,
        f: impl FnOnce() -> io::Result<T>,
        ok: impl FnOnce(&T) -> CallResult,
    ) -> io::Result<T> {
        self.start(call);
        let result = f();
        self.end(call, CallResult::of(&result, ok));
        result
    }

    /// Like [`CallReporter::call`], for calls whose success says nothing
    /// more than "done".
    pub fn done<T>(&self, call: Call, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        self.call(call, f, |_| CallResult::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_reported_as_it_starts_and_as_it_returns() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let calls = CallReporter::new(EventSender::new(tx), Origin::ServerConn(7));
        let n = calls
            .call(Call::Recv, || Ok(5usize), |n| CallResult::Bytes(*n as u64))
            .unwrap();
        assert_eq!(n, 5);
        let kinds: Vec<EventKind> = rx.try_iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::CallStart { call: Call::Recv },
                EventKind::CallEnd {
                    call: Call::Recv,
                    result: CallResult::Bytes(5)
                },
            ]
        );
    }

    #[test]
    fn a_failed_call_reports_the_systems_words() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let calls = CallReporter::new(EventSender::new(tx), Origin::Listener);
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(calls.done(Call::Connect, || Err::<(), _>(refused)).is_err());
        let last = rx.try_iter().last().unwrap();
        assert!(matches!(
            last.kind,
            EventKind::CallEnd {
                call: Call::Connect,
                result: CallResult::Failed(_)
            }
        ));
        assert_eq!(
            CallResult::Bytes(0).to_string(),
            "0 bytes: the peer closed its side"
        );
    }
}
