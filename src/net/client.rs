//! The client: one connection to a name-dialogue server.
//!
//! A client must do two things at once: wait for what the server sends
//! (which may come at any time, e.g. when the server is stopped), and wait
//! for the user to type a name. Each of these waits blocks a thread, so a
//! connection has two:
//!
//! ```text
//! thread "tab-N"                         thread "tab-N-send"
//! ──────────────                         ───────────────────
//! resolve host, connect()
//! start the sender thread  ───────────►  wait for a command:
//! loop: recv() → MessageParser             SendName → send()
//!       report each message                Disconnect → shutdown()
//! close, report why
//! ```
//!
//! The [`Client`] handle sends commands to the sender thread over a
//! crossbeam channel; both threads report [`NetEvent`](super::event::NetEvent)s.
//!
//! The reader also watches the clock: after the client has sent a name (or
//! just connected), the server must answer within
//! [`ClientConfig::reply_timeout`]. While it is the user's turn to type,
//! nothing times out.

#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, select, unbounded};
use socket2::{Domain, Protocol, Socket, Type};

use super::bytes::Bytes;
use super::calls::{Call, CallReporter, CallResult};
use super::config::ClientConfig;
use super::error::{close_reason, connect_error_message};
use super::event::{CloseReason, EventKind, EventSender, Origin, ServerMessage};
use super::gate::StepGate;
use super::parser::MessageParser;

/// How many bytes that are not the dialogue a client takes from a server
/// before it gives up on it: a server that streams anything else (a web
/// server, a file) is not a name-dialogue server, and reading on would
/// only fill the transcript.
pub const MAX_UNEXPECTED: usize = 64 * 1024;

/// Numbers client connections `tab-1`, `tab-2`, … across the whole program.
static NEXT_CLIENT_ID: AtomicU64 = AtomicU64::new(1);

/// What the user (or a script) asks a client to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientCommand {
    /// Send these bytes as a name, exactly, with no terminator (as the
    /// tutorial's client does). `exit` ends the dialogue.
    SendName(Vec<u8>),
    /// Close the connection now.
    Disconnect,
}

/// A handle on one client connection. Dropping it disconnects.
#[derive(Debug)]
pub struct Client {
    id: u64,
    commands: Sender<ClientCommand>,
    state: Arc<State>,
}

/// What the two threads of one connection (and the handle) share.
#[derive(Debug, Default)]
struct State {
    /// The user asked to disconnect.
    user_closed: AtomicBool,
    /// Our receiving side is shut down (a disconnect without a close
    /// hold): the reader stops. Linux wakes it from recv() by itself;
    /// Windows does not, so the reader checks this (see super::recv).
    reading_shut: AtomicBool,
    /// Since when the client waits for the server to answer; `None` while
    /// it is the user's turn.
    awaiting_since: Mutex<Option<Instant>>,
}

impl State {
    fn set_awaiting(&self, since: Option<Instant>) {
        *self
            .awaiting_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = since;
    }

    fn awaiting(&self) -> Option<Instant> {
        *self
            .awaiting_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Client {
    /// Starts connecting in the background and returns at once. Progress
    /// arrives as events: `Connecting`, then `Connected` or `Closed` with
    /// [`CloseReason::ConnectFailed`].
    pub fn connect(config: ClientConfig, events: EventSender) -> Client {
        Client::connect_with_gate(config, events, Arc::new(StepGate::new()))
    }

    /// Like [`Client::connect`], with a step-mode gate (see
    /// [`crate::net::gate`]): while it is on, the client waits before
    /// `connect()`, and before its `close()` when the server closed first,
    /// so the half-closed connection (CLOSE_WAIT here, FIN_WAIT_2 on the
    /// server) can be seen.
    pub fn connect_with_gate(
        config: ClientConfig,
        events: EventSender,
        gate: Arc<StepGate>,
    ) -> Client {
        let id = NEXT_CLIENT_ID.fetch_add(1, Ordering::Relaxed);
        let (commands, command_rx) = unbounded();
        let state = Arc::new(State::default());
        let origin = Origin::Client(id);
        let for_thread = Arc::clone(&state);
        let thread_events = events.clone();
        let spawned = thread::Builder::new().name(origin.label()).spawn(move || {
            run(
                config,
                origin,
                command_rx,
                &for_thread,
                &thread_events,
                &gate,
            )
        });
        if let Err(e) = spawned {
            events.emit(
                origin,
                EventKind::Closed {
                    reason: CloseReason::Error(format!("cannot start a thread: {e}")),
                },
            );
        }
        Client {
            id,
            commands,
            state,
        }
    }

    /// The number in this connection's label (`tab-N`), the same as in
    /// [`Origin::Client`].
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The origin of this connection's events.
    pub fn origin(&self) -> Origin {
        Origin::Client(self.id)
    }

    /// Sends a name (queued until the connection is established).
    pub fn send_name(&self, name: impl Into<Vec<u8>>) {
        // If the connection has already ended, nobody receives the command,
        // and the `Closed` event has already told the user so.
        let _ = self.commands.send(ClientCommand::SendName(name.into()));
    }

    /// Closes the connection; the reason reported is
    /// [`CloseReason::Disconnected`].
    pub fn disconnect(&self) {
        self.state.user_closed.store(true, Ordering::SeqCst);
        let _ = self.commands.send(ClientCommand::Disconnect);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// The reader thread: connect, start the sender, read until the end.
fn run(
    config: ClientConfig,
    origin: Origin,
    commands: Receiver<ClientCommand>,
    state: &Arc<State>,
    events: &EventSender,
    gate: &Arc<StepGate>,
) {
    let target = config.target();
    events.emit(
        origin,
        EventKind::Connecting {
            target: target.clone(),
        },
    );
    let user_closed = || state.user_closed.load(Ordering::SeqCst);
    gate.pass(origin, "connect()", events, user_closed);
    let reason = match connect(&config, &target, origin, events) {
        Err(why) => CloseReason::ConnectFailed(why),
        Ok(_) if user_closed() => CloseReason::Disconnected,
        Ok(stream) => converse(stream, &config, origin, commands, state, events, gate),
    };
    events.emit(origin, EventKind::Closed { reason });
}

/// Resolves the host and tries each of its addresses in turn (`localhost`
/// may be both `::1` and `127.0.0.1`). Returns a sentence on failure.
fn connect(
    config: &ClientConfig,
    target: &str,
    origin: Origin,
    events: &EventSender,
) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = (config.host.as_str(), config.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot find host \"{}\": {e}", config.host))?
        .collect();
    let mut last_error = format!("host \"{}\" has no address", config.host);
    for addr in addrs {
        match connect_one(addr, config.connect_timeout, origin, events) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = connect_error_message(target, &e),
        }
    }
    Err(last_error)
}

/// `socket()`, then `connect()` to one address.
///
/// For a loopback address the socket is first bound to that same address
/// with port 0, so its own address is known *before* the SYN leaves and
/// [`EventKind::Dialing`] can say which socket to watch while it is in
/// SYN_SENT. (For other addresses the system picks the source address at
/// `connect()`, so it is only known once connected.)
fn connect_one(
    addr: SocketAddr,
    timeout: std::time::Duration,
    origin: Origin,
    events: &EventSender,
) -> io::Result<TcpStream> {
    let calls = CallReporter::new(events.clone(), origin);
    let socket = calls.done(Call::Socket, || {
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
    })?;
    if addr.ip().is_loopback() {
        calls.done(Call::Bind, || {
            socket.bind(&SocketAddr::new(addr.ip(), 0).into())
        })?;
        if let Some(local) = socket.local_addr()?.as_socket() {
            events.emit(origin, EventKind::Dialing { local, peer: addr });
        }
    }
    calls.done(Call::Connect, || {
        socket.connect_timeout(&addr.into(), timeout)
    })?;
    Ok(socket.into())
}

/// Talks over an established connection until it ends; returns why it ended.
fn converse(
    mut stream: TcpStream,
    config: &ClientConfig,
    origin: Origin,
    commands: Receiver<ClientCommand>,
    state: &Arc<State>,
    events: &EventSender,
    gate: &Arc<StepGate>,
) -> CloseReason {
    let (local, peer) = match (stream.local_addr(), stream.peer_addr()) {
        (Ok(local), Ok(peer)) => (local, peer),
        (Err(e), _) | (_, Err(e)) => return close_reason(&e),
    };
    events.emit(origin, EventKind::Connected { local, peer });
    // Names are tiny: send them at once rather than waiting for ACKs.
    if let Err(e) = stream.set_nodelay(true) {
        return close_reason(&e);
    }
    let write_half = match stream.try_clone() {
        Ok(clone) => clone,
        Err(e) => return close_reason(&e),
    };
    // A server that stops reading cannot keep the sender in send() forever.
    if let Err(e) = write_half.set_write_timeout(Some(config.reply_timeout)) {
        return close_reason(&e);
    }
    let calls = CallReporter::new(events.clone(), origin);
    // Dropping `reader_done` (when this function returns) tells the sender
    // thread to finish.
    let (reader_done, reader_done_rx) = crossbeam_channel::bounded::<()>(0);
    let sender_state = Arc::clone(state);
    let sender_gate = Arc::clone(gate);
    let sender_calls = calls.clone();
    let spawned = thread::Builder::new()
        .name(format!("{}-send", origin.label()))
        .spawn(move || {
            send_loop(
                write_half,
                &commands,
                &reader_done_rx,
                &sender_state,
                &sender_gate,
                &sender_calls,
            )
        });
    let sender = match spawned {
        Ok(handle) => handle,
        Err(e) => return CloseReason::Error(format!("cannot start a thread: {e}")),
    };
    state.set_awaiting(Some(Instant::now()));
    let reason = read_loop(&mut stream, config, origin, state, events, gate, &calls);
    if matches!(reason, CloseReason::Exit | CloseReason::Eof) {
        // The server closed first: this socket is half-closed (CLOSE_WAIT)
        // until we close too. Step mode holds it here.
        gate.pass(origin, "close()", events, || {
            state.user_closed.load(Ordering::SeqCst)
        });
        // With a close hold, close with bytes the server is not reading
        // yet still queued: our FIN waits behind them (LAST_ACK).
        if !gate.close_hold().is_zero() {
            match super::linger::fill_send_queue(&stream) {
                Ok(behind) if stream.shutdown(Shutdown::Write).is_ok() => {
                    events.emit(origin, EventKind::FinQueued { behind });
                }
                Ok(_) => {}
                Err(e) => log::debug!("{origin}: close hold: {e}"),
            }
        }
    }
    // The sender thread holds the other handle on the socket: once it has
    // finished, dropping ours really closes the socket.
    drop(reader_done);
    let _ = sender.join();
    let _ = calls.done(Call::Close, || {
        drop(stream);
        Ok(())
    });
    reason
}

/// The close hold, on our side: stop reading for `hold` once the server
/// has something more to say (its filler, or its FIN), then read and drop
/// it all up to the FIN. Meanwhile the server's close waits (see
/// [`super::linger`]).
fn hold_and_drain(
    stream: &mut TcpStream,
    hold: std::time::Duration,
    origin: Origin,
    events: &EventSender,
    cancelled: impl Fn() -> bool,
) {
    match super::linger::hold_then_drain(stream, hold, cancelled) {
        Ok(bytes) => events.emit(origin, EventKind::Drained { bytes }),
        Err(e) => log::debug!("{origin}: close hold: {e}"),
    }
}

/// Reads and parses until the connection ends.
fn read_loop(
    stream: &mut TcpStream,
    config: &ClientConfig,
    origin: Origin,
    state: &State,
    events: &EventSender,
    gate: &StepGate,
    calls: &CallReporter,
) -> CloseReason {
    let user_closed = || state.user_closed.load(Ordering::SeqCst);
    let mut parser = MessageParser::new();
    // recv() is reported once per wait, not again after each timeout.
    let mut in_recv = false;
    let mut said_good_bye = false;
    let mut unexpected = 0usize;
    let mut buf = vec![0u8; 8 * 1024];
    loop {
        // Wake up when the server's answer is due, or now and then while
        // it is the user's turn (a timeout of zero would mean "never").
        let wait = match state.awaiting() {
            Some(since) => config.reply_timeout.saturating_sub(since.elapsed()),
            None => config.reply_timeout,
        };
        if wait.is_zero() {
            return CloseReason::Timeout;
        }
        if let Err(e) = stream.set_read_timeout(Some(wait)) {
            return close_reason(&e);
        }
        if !in_recv {
            calls.start(Call::Recv);
            in_recv = true;
        }
        let result = super::recv::read(stream, &mut buf, Some(wait), || {
            state.reading_shut.load(Ordering::SeqCst)
        });
        if !matches!(&result, Err(e) if is_timeout(e)) {
            // Bytes are reported as `Received`; an end or error here.
            if !matches!(result, Ok(n) if n > 0) {
                calls.end(
                    Call::Recv,
                    CallResult::of(&result, |n| CallResult::Bytes(*n as u64)),
                );
            }
            in_recv = false;
        }
        let n = match result {
            Ok(n) => n,
            // Disconnected (with a close hold) and the server never closed.
            Err(e) if is_timeout(&e) && user_closed() => return CloseReason::Disconnected,
            Err(e) if is_timeout(&e) => continue,
            Err(e) if user_closed() => {
                log::debug!("{origin}: read after disconnect: {e}");
                return CloseReason::Disconnected;
            }
            Err(e) => return close_reason(&e),
        };
        if n == 0 {
            if let Some(rest) = parser.finish() {
                events.emit(origin, EventKind::Message { message: rest });
            }
            return if user_closed() {
                CloseReason::Disconnected
            } else if said_good_bye {
                CloseReason::Exit
            } else {
                CloseReason::Eof
            };
        }
        events.emit(
            origin,
            EventKind::Received {
                bytes: Bytes::from(&buf[..n]),
            },
        );
        let hold = gate.close_hold();
        if user_closed() && !hold.is_zero() {
            // We closed first, with a close hold: the server answers our
            // FIN with its own close, filler first. Leave it unread a while.
            hold_and_drain(stream, hold, origin, events, || false);
            return CloseReason::Disconnected;
        }
        for message in parser.push(&buf[..n]) {
            match message {
                // The user's turn (or the end): stop the reply clock.
                ServerMessage::Prompt => state.set_awaiting(None),
                ServerMessage::GoodBye => {
                    said_good_bye = true;
                    state.set_awaiting(None);
                }
                ServerMessage::Unexpected(ref bytes) => unexpected += bytes.len(),
                _ => {}
            }
            events.emit(origin, EventKind::Message { message });
            if said_good_bye && !hold.is_zero() {
                // The dialogue is over; what follows is the close hold's
                // filler, not messages.
                hold_and_drain(stream, hold, origin, events, user_closed);
                return CloseReason::Exit;
            }
        }
        if unexpected > MAX_UNEXPECTED {
            return CloseReason::Error(format!(
                "the server sent more than {} KiB that is not the name dialogue; \
                 is it a name-dialogue server?",
                MAX_UNEXPECTED / 1024
            ));
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The sender thread: carries out commands until told to stop.
fn send_loop(
    mut stream: TcpStream,
    commands: &Receiver<ClientCommand>,
    reader_done: &Receiver<()>,
    state: &State,
    gate: &StepGate,
    calls: &CallReporter,
) {
    let (origin, events) = (calls.origin(), calls.events());
    loop {
        select! {
            recv(commands) -> command => match command {
                Ok(ClientCommand::SendName(name)) => {
                    // Start the reply clock before sending, so a quick
                    // answer cannot arrive before the clock starts.
                    state.set_awaiting(Some(Instant::now()));
                    let started = chrono::Utc::now();
                    match stream.write_all(&name) {
                        Ok(()) => events.emit_at(started, origin, EventKind::Sent { bytes: Bytes(name) }),
                        Err(e) => {
                            // The reader will see the same failure and report it.
                            log::debug!("{origin}: send failed: {e}");
                            let _ = stream.shutdown(Shutdown::Both);
                            state.reading_shut.store(true, Ordering::SeqCst);
                            return;
                        }
                    }
                }
                // An explicit disconnect, or the handle was dropped.
                Ok(ClientCommand::Disconnect) | Err(_) => {
                    state.user_closed.store(true, Ordering::SeqCst);
                    // Sends FIN and wakes the reader from recv(). With a
                    // close hold, only our sending side closes: the reader
                    // keeps the socket open, unread, so that the server's
                    // own close waits in LAST_ACK (see super::linger).
                    if gate.close_hold().is_zero() {
                        let _ = calls.done(Call::Shutdown, || stream.shutdown(Shutdown::Both));
                        state.reading_shut.store(true, Ordering::SeqCst);
                    } else if calls.done(Call::Shutdown, || stream.shutdown(Shutdown::Write)).is_ok() {
                        events.emit(origin, EventKind::FinQueued { behind: 0 });
                    }
                    return;
                }
            },
            recv(reader_done) -> _ => return,
        }
    }
}
