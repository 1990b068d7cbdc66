//! Events: what the network threads tell the rest of the program.
//!
//! Every thread that owns a socket reports each step it takes as a
//! [`NetEvent`] sent over a crossbeam channel: "listening", "accepted a
//! client", "received these bytes", "sent these bytes", "closed, and why".
//! The window, the command line and the tests all learn what happened the
//! same way, by reading these events; a [`crate::transcript::Transcript`] is
//! simply the list of them.
//!
//! Events own their data (bytes are copied into a `Vec<u8>`), so the
//! receiving side never shares memory with a network thread.

#![forbid(unsafe_code)]

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::protocol::Heard;

/// Which socket an event is about.
///
/// A dialogue between a client tab and our own server involves two sockets,
/// one at each end of the same TCP connection, so it shows up under two
/// origins: `Client(n)` for the tab's socket and `ServerConn(m)` for the
/// socket of the server thread that serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Origin {
    /// The server's listening socket and its accept loop.
    Listener,
    /// The server thread `client-N` that serves one accepted connection.
    ServerConn(u64),
    /// One outgoing client connection (a client tab, or `connect` on the command line).
    Client(u64),
}

impl Origin {
    /// The short label used in transcripts: `server`, `client-3`, `tab-2`.
    ///
    /// `client-N` is also the name of the server thread, as in the tutorial,
    /// where every accepted client gets a thread of its own.
    pub fn label(self) -> String {
        match self {
            Origin::Listener => "server".to_owned(),
            Origin::ServerConn(n) => format!("client-{n}"),
            Origin::Client(n) => format!("tab-{n}"),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Why a connection ended. Shown to the user, so each says it plainly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum CloseReason {
    /// The client said `exit` and the server answered `Good bye!`.
    Exit,
    /// The peer closed its side (a `recv` returned 0 bytes: end of stream).
    Eof,
    /// The peer reset the connection (RST), e.g. a process killed mid-dialogue.
    Reset,
    /// The server's operator kicked this client (or closed all clients).
    Kicked,
    /// Nothing arrived for too long.
    Timeout,
    /// The server was stopped while this client was connected.
    ServerStopped,
    /// The local user disconnected (client side).
    Disconnected,
    /// The connection could not be made (refused, unreachable, unknown host…).
    ConnectFailed(String),
    /// Any other socket error, with the operating system's words.
    Error(String),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Exit => f.write_str("said exit"),
            CloseReason::Eof => f.write_str("peer closed the connection"),
            CloseReason::Reset => f.write_str("connection reset by peer"),
            CloseReason::Kicked => f.write_str("kicked by the server"),
            CloseReason::Timeout => f.write_str("timed out"),
            CloseReason::ServerStopped => f.write_str("server stopped"),
            CloseReason::Disconnected => f.write_str("disconnected by the user"),
            CloseReason::ConnectFailed(why) => write!(f, "could not connect: {why}"),
            CloseReason::Error(why) => write!(f, "error: {why}"),
        }
    }
}

/// One message of the name dialogue, as the client side recognised it in
/// the byte stream (see [`crate::net::parser`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "message", content = "name")]
pub enum ServerMessage {
    /// `Welcome!\n`
    Welcome,
    /// `Whats your name?` (no newline)
    Prompt,
    /// `Hello N!\n`, with the name as the server echoed it.
    Hello(Bytes),
    /// `Good bye!\n`
    GoodBye,
    /// Bytes that are not part of the dialogue (another server, garbage).
    Unexpected(Bytes),
}

impl ServerMessage {
    /// The message's exact bytes, as they came over the wire.
    pub fn to_bytes(&self) -> Bytes {
        use super::protocol::Reply;
        match self {
            ServerMessage::Welcome => Bytes(Reply::Welcome.to_bytes()),
            ServerMessage::Prompt => Bytes(Reply::Prompt.to_bytes()),
            ServerMessage::Hello(name) => Bytes(Reply::Hello(name.0.clone()).to_bytes()),
            ServerMessage::GoodBye => Bytes(Reply::GoodBye.to_bytes()),
            ServerMessage::Unexpected(bytes) => bytes.clone(),
        }
    }
}

/// What happened. Which socket it happened to is in [`NetEvent::origin`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum EventKind {
    /// The listener is bound and listening; `addr` is the real address
    /// (with the real port when port 0 was asked for).
    Listening { addr: SocketAddr },
    /// The server thread `thread` took over an accepted connection.
    Accepted {
        peer: SocketAddr,
        local: SocketAddr,
        thread: String,
    },
    /// The listener turned a connection away, having told the client why
    /// in one line (for example: the server already serves its maximum
    /// number of clients).
    Rejected { peer: SocketAddr, why: String },
    /// A client started to connect to `target` (as typed: host and port).
    Connecting { target: String },
    /// A client is about to send its SYN from `local` to `peer` (known
    /// early only for loopback targets; see [`crate::net::client`]).
    Dialing { local: SocketAddr, peer: SocketAddr },
    /// A client's connection is established.
    Connected { local: SocketAddr, peer: SocketAddr },
    /// Bytes that one `recv` returned.
    Received { bytes: Bytes },
    /// Bytes that one `send` wrote.
    Sent { bytes: Bytes },
    /// The server understood a step of the dialogue (a name, an empty
    /// line, `exit`).
    Heard { heard: Heard },
    /// The client recognised a message of the dialogue.
    Message { message: ServerMessage },
    /// The connection is closed.
    Closed { reason: CloseReason },
    /// The kernel reported a new TCP state for this socket (see
    /// [`crate::net::watch`]). `time_wait_left_ms` is set in TIME_WAIT.
    TcpState {
        state: crate::net::tcp_state::TcpState,
        time_wait_left_ms: Option<u64>,
    },
    /// The kernel reported a new state for the *server's* end of this
    /// client's connection, before the server accepted it (our own server,
    /// in this process): SYN_RECV while deferred accept holds it, then the
    /// state it moves on to. From `accept()` on, the server thread reports
    /// its own states. See [`crate::net::watch::StateWatcher::watch_peer`].
    PeerTcpState {
        state: crate::net::tcp_state::TcpState,
    },
    /// A real segment of this connection, captured on the wire (see
    /// [`crate::net::capture::SegmentRecorder`]); the event's time is
    /// when the capture read it.
    Segment {
        segment: crate::net::capture::Segment,
    },
    /// Step mode holds this thread before `step` (see [`crate::net::gate`]).
    Held { step: String },
    /// The thread is entering a socket call (and may wait in it: `accept`,
    /// `connect`, `recv`); see [`crate::net::calls`].
    CallStart { call: crate::net::calls::Call },
    /// The socket call returned.
    CallEnd {
        call: crate::net::calls::Call,
        result: crate::net::calls::CallResult,
    },
    /// Close hold: this end shut down its sending side, and its FIN is
    /// queued after `behind` bytes its peer has not read yet (zero: the
    /// FIN leaves at once); see [`crate::net::linger`].
    FinQueued { behind: u64 },
    /// Close hold: this end stopped reading for a while after the dialogue,
    /// then read and dropped `bytes` up to the peer's FIN.
    Drained { bytes: u64 },
    /// The listener stopped: every connection is closed and every thread joined.
    Stopped,
    /// Something failed that did not close a connection (or that stopped
    /// the listener from starting), with a message meant for the user.
    Error { message: String },
}

impl EventKind {
    /// True for the steps *within* a connection (socket calls, bytes, what
    /// was heard, TCP states, segments, step mode), false for the events
    /// that say a server or a connection starts or ends, and for errors.
    pub fn is_step(&self) -> bool {
        match self {
            EventKind::Listening { .. }
            | EventKind::Accepted { .. }
            | EventKind::Rejected { .. }
            | EventKind::Connecting { .. }
            | EventKind::Dialing { .. }
            | EventKind::Connected { .. }
            | EventKind::Closed { .. }
            | EventKind::Stopped
            | EventKind::Error { .. } => false,
            EventKind::Received { .. }
            | EventKind::Sent { .. }
            | EventKind::Heard { .. }
            | EventKind::Message { .. }
            | EventKind::TcpState { .. }
            | EventKind::PeerTcpState { .. }
            | EventKind::Segment { .. }
            | EventKind::Held { .. }
            | EventKind::CallStart { .. }
            | EventKind::CallEnd { .. }
            | EventKind::FinQueued { .. }
            | EventKind::Drained { .. } => true,
        }
    }
}

/// One timestamped event from one socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetEvent {
    /// When it happened (wall clock, UTC; shown in local time).
    pub time: DateTime<Utc>,
    /// Which socket it is about.
    pub origin: Origin,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl NetEvent {
    /// An event that happens now.
    pub fn now(origin: Origin, kind: EventKind) -> Self {
        NetEvent {
            time: Utc::now(),
            origin,
            kind,
        }
    }

    /// The time as `HH:MM:SS.mmm` in the local time zone.
    pub fn local_time(&self) -> String {
        self.time
            .with_timezone(&Local)
            .format("%H:%M:%S%.3f")
            .to_string()
    }
}

/// A function the network threads call when an event arrives for a reader
/// that is not expecting one, so a window can wake up and draw it. The
/// window decides how often it really redraws.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// A [`Waker`], called once until the reader says it is reading again.
///
/// Calling the waker after every event would make every network thread
/// take the window's lock for each step it reports. One call is enough:
/// the reader takes all the events that are waiting when it wakes, and
/// then [re-arms](EventSender::rearm) the waker.
struct WakeOnce {
    wake: Waker,
    /// True once the waker was called, until the reader re-arms it.
    called: AtomicBool,
}

/// The sending end that every network thread holds a clone of.
///
/// A send never fails from the thread's point of view: if nobody listens
/// any more (the window closed), the event is dropped and the thread goes
/// on finishing its connection cleanly.
#[derive(Clone)]
pub struct EventSender {
    tx: Sender<NetEvent>,
    waker: Option<Arc<WakeOnce>>,
    /// False when the reader only wants to know when connections come and
    /// go (see [`EventSender::lifecycle_only`]).
    steps: bool,
}

impl EventSender {
    /// Events go to `tx`; nobody is woken.
    pub fn new(tx: Sender<NetEvent>) -> Self {
        EventSender {
            tx,
            waker: None,
            steps: true,
        }
    }

    /// Events go to `tx`, except the [steps](EventKind::is_step) of each
    /// connection: for a reader that shows only who connects and leaves
    /// (the terminal server's console). Each step reported is work for
    /// the thread that reports it and for the reader; on a busy server,
    /// most of the work beyond the sockets themselves.
    pub fn lifecycle_only(tx: Sender<NetEvent>) -> Self {
        EventSender {
            steps: false,
            ..EventSender::new(tx)
        }
    }

    /// True when the steps of a connection are reported. A thread can ask
    /// before it builds an event that costs something to build (a copy of
    /// the bytes sent).
    pub fn wants_steps(&self) -> bool {
        self.steps
    }

    /// Events go to `tx`, and the first one after each
    /// [`EventSender::rearm`] calls `waker`.
    pub fn with_waker(tx: Sender<NetEvent>, waker: Waker) -> Self {
        EventSender {
            tx,
            waker: Some(Arc::new(WakeOnce {
                wake: waker,
                called: AtomicBool::new(false),
            })),
            steps: true,
        }
    }

    /// The reader says it is about to take every waiting event: the next
    /// event calls the waker again. Call it *before* taking them, so that
    /// an event sent meanwhile is either taken now or wakes the reader.
    pub fn rearm(&self) {
        if let Some(waker) = &self.waker {
            waker.called.store(false, Ordering::SeqCst);
        }
    }

    /// Sends one event, stamped with the current time.
    pub fn emit(&self, origin: Origin, kind: EventKind) {
        // Asked before the clock is read: a step nobody wants costs nothing.
        if self.wants(&kind) {
            self.send(NetEvent::now(origin, kind));
        }
    }

    /// Sends one event that happened at `time` (e.g. a `send` stamped
    /// when it started, so its reply can never seem to come first).
    pub fn emit_at(&self, time: DateTime<Utc>, origin: Origin, kind: EventKind) {
        if self.wants(&kind) {
            self.send(NetEvent { time, origin, kind });
        }
    }

    /// False for a step when only connections coming and going are wanted.
    fn wants(&self, kind: &EventKind) -> bool {
        self.steps || !kind.is_step()
    }

    fn send(&self, event: NetEvent) {
        // A closed channel means the receiver is gone; there is nobody left
        // to tell, so the event is dropped on purpose.
        let _ = self.tx.send(event);
        if let Some(waker) = &self.waker
            // A plain load first: while the waker stays called (a busy
            // reader), the event costs no write to the shared flag.
            && !waker.called.load(Ordering::SeqCst)
            && !waker.called.swap(true, Ordering::SeqCst)
        {
            (waker.wake)();
        }
    }
}

impl fmt::Debug for EventSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSender")
            .field("waker", &self.waker.is_some())
            .finish()
    }
}

/// Reads events the way the window does: every `period`, all that are
/// waiting, handed to `each` in order. Returns once every sender is gone.
///
/// Why not simply `for event in events`? A reader blocked in `recv()` must
/// be woken for each event, and waking a thread costs the sender a system
/// call and, on a machine with few cores, a context switch: on a busy
/// server that is most of the work. A reader that looks once per period
/// is never asleep in `recv()`, so sending costs almost nothing.
pub fn drain_every(events: &Receiver<NetEvent>, period: Duration, mut each: impl FnMut(NetEvent)) {
    loop {
        std::thread::sleep(period);
        loop {
            match events.try_recv() {
                Ok(event) => each(event),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn the_waker_is_called_once_until_the_reader_rearms_it() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let sender = EventSender::with_waker(
            tx,
            Arc::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            }),
        );
        let woken = || calls.load(Ordering::SeqCst);
        for _ in 0..3 {
            sender.emit(Origin::Listener, EventKind::Stopped);
        }
        assert_eq!(woken(), 1, "three events, one wake-up");
        sender.rearm();
        assert_eq!(rx.try_iter().count(), 3, "every event arrived");
        // A clone (another thread's sender) shares the same waker.
        sender.clone().emit(Origin::Listener, EventKind::Stopped);
        sender.emit(Origin::Listener, EventKind::Stopped);
        assert_eq!(woken(), 2, "the first event after rearm wakes again");
        assert_eq!(rx.try_iter().count(), 2);
    }
}
