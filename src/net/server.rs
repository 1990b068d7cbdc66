//! The server: one listener thread, and one thread per accepted client.
//!
//! This is the tutorial's threaded server, written so it can also be
//! stopped cleanly and watched:
//!
//! ```text
//! listener thread                       thread "client-N" (one per client)
//! ───────────────                       ──────────────────────────────────
//! socket(), bind(), listen()
//! loop:
//!     accept()  ── new connection ──►   send Welcome!, Whats your name?
//!                                       loop: recv() → ServerDialogue → send()
//!                                       close(), report why
//! ```
//!
//! Every step is reported as a [`NetEvent`](super::event::NetEvent).
//!
//! # Stopping
//!
//! The listener thread spends its life blocked in `accept()`. To stop it,
//! [`Server::stop`] raises a flag and then connects to the listener itself:
//! `accept()` returns, the thread sees the flag and leaves its loop. It then
//! shuts down every client socket, which wakes each client thread from its
//! `recv()`, waits until all of them have finished, reports
//! [`EventKind::Stopped`] and ends. Kicking one client works the same way on
//! one socket. The listening socket has `SO_REUSEADDR`, so the same port can
//! be bound again at once, even while old connections sit in `TIME_WAIT`.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use super::bytes::Bytes;
use super::calls::{Call, CallReporter, CallResult};
use super::config::ServerConfig;
use super::error::{NetError, close_reason};
use super::event::{CloseReason, EventKind, EventSender, Origin};
use super::gate::StepGate;
use super::protocol::{Reply, ServerDialogue};

/// Numbers the server threads `client-1`, `client-2`, … across the whole
/// program, so that a number names one connection even after a restart.
static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);

/// How much one `recv` may return. Names longer than this still work: the
/// protocol core collects the pieces (see [`super::protocol`]).
const READ_BUFFER: usize = 8 * 1024;

/// Stack size of a client thread: the usual 2 MiB. It is only reserved
/// address space: a thread touches a few pages of it, and those are all the
/// memory it costs (about 22 KiB per held connection, stack and all). With
/// 256 KiB stacks, a server starting and ending threads fast (whole
/// dialogues, 50 at a time) spent about 20 µs more per connection, and one
/// connection in a hundred waited 25–35 ms instead of 10; measured in
/// `docs/PERFORMANCE.md`.
const CLIENT_STACK: usize = 2 * 1024 * 1024;

/// A running server. Dropping it stops the server (without waiting).
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    /// Disconnected once the listener thread has finished (every client
    /// thread is finished before that).
    finished: Receiver<()>,
}

/// What the listener, the client threads and the [`Server`] handle share.
#[derive(Debug)]
struct Shared {
    config: ServerConfig,
    /// The address the listener really has (with the real port).
    local_addr: SocketAddr,
    events: EventSender,
    /// Step mode: holds client threads before each step while on.
    gate: Arc<StepGate>,
    stopping: AtomicBool,
    clients: Mutex<HashMap<u64, ClientControl>>,
    /// While paused, the listener does not call `accept()`: new connections
    /// finish their handshake in the kernel and wait in the backlog queue.
    paused: Mutex<PauseState>,
    /// Wakes a paused listener (resume or stop).
    resume: Condvar,
    /// The address of our own wake-up connection, so the listener can
    /// tell it from a real client and drop it quietly.
    wake_peer: Mutex<Option<SocketAddr>>,
    /// A second handle on the listening socket, to change its options
    /// (deferred accept) while the listener thread is in `accept()`.
    /// Taken (closed) when the listener stops, so the port is free again.
    listener: Mutex<Option<Socket>>,
}

/// The handle the server keeps on one client thread's connection.
#[derive(Debug)]
struct ClientControl {
    /// The client's socket, shared with its thread, used here only to shut
    /// it down. Sharing the one socket (rather than a `try_clone`, which
    /// duplicates the descriptor) keeps each client to one descriptor.
    stream: Arc<TcpStream>,
    /// Set by whoever ends the connection from outside (kick, stop), so
    /// the client thread can report the right reason.
    ended_by: Arc<OnceLock<CloseReason>>,
}

impl ClientControl {
    /// Ends this connection from outside, unless it already ends for
    /// another reason.
    fn end(&self, reason: CloseReason) {
        let _ = self.ended_by.set(reason);
        // Shutting down both directions wakes the thread from recv() and
        // sends FIN to the client. It fails only if the socket is already
        // shut down, which is fine.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

impl Server {
    /// Binds, listens, and starts the listener thread.
    ///
    /// Fails with a message meant for the user when the address cannot be
    /// bound (port in use, permission denied, not an address of this machine).
    /// On success, an [`EventKind::Listening`] event has been sent.
    pub fn start(config: ServerConfig, events: EventSender) -> Result<Server, NetError> {
        Server::start_with_gate(config, events, Arc::new(StepGate::new()))
    }

    /// Like [`Server::start`], with a step-mode gate shared with whoever
    /// presses "next" (see [`crate::net::gate`]).
    pub fn start_with_gate(
        config: ServerConfig,
        events: EventSender,
        gate: Arc<StepGate>,
    ) -> Result<Server, NetError> {
        let socket = listen(
            &config,
            &CallReporter::new(events.clone(), Origin::Listener),
        )?;
        let bind_err = |e| NetError::bind(config.bind, e);
        let handle = socket.try_clone().map_err(bind_err)?;
        let listener: TcpListener = socket.into();
        let local_addr = listener.local_addr().map_err(bind_err)?;
        let shared = Arc::new(Shared {
            config,
            local_addr,
            events,
            gate,
            stopping: AtomicBool::new(false),
            clients: Mutex::new(HashMap::new()),
            paused: Mutex::new(PauseState::default()),
            resume: Condvar::new(),
            wake_peer: Mutex::new(None),
            listener: Mutex::new(Some(handle)),
        });
        shared
            .events
            .emit(Origin::Listener, EventKind::Listening { addr: local_addr });
        let (finished_tx, finished) = bounded::<()>(0);
        let for_thread = Arc::clone(&shared);
        thread::Builder::new()
            .name("listener".to_owned())
            .spawn(move || {
                let (alive_tx, alive_rx) = bounded::<()>(0);
                accept_loop(&listener, &for_thread, &alive_tx);
                // Both handles closed: the port is free at once.
                drop(listener);
                drop(lock(&for_thread.listener).take());
                stop_all_clients(&for_thread, alive_tx, &alive_rx);
                for_thread.events.emit(Origin::Listener, EventKind::Stopped);
                drop(finished_tx);
            })
            .map_err(NetError::Thread)?;
        Ok(Server {
            local_addr,
            shared,
            finished,
        })
    }

    /// The address the server really listens on (with the real port when
    /// port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The settings the server runs with.
    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    /// How many client threads are running now.
    pub fn client_count(&self) -> usize {
        self.shared.clients().len()
    }

    /// Closes one client's connection; its thread reports
    /// [`CloseReason::Kicked`]. Returns false if no such client is connected.
    pub fn kick(&self, conn_id: u64) -> bool {
        match self.shared.clients().get(&conn_id) {
            Some(client) => {
                client.end(CloseReason::Kicked);
                true
            }
            None => false,
        }
    }

    /// Closes every client connection; the server keeps listening.
    pub fn close_all(&self) {
        for client in self.shared.clients().values() {
            client.end(CloseReason::Kicked);
        }
    }

    /// Asks the server to stop, without waiting. The listener closes, every
    /// client is closed with [`CloseReason::ServerStopped`], and
    /// [`EventKind::Stopped`] is sent when every thread has finished.
    pub fn stop(&self) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        // A paused listener waits on the condition variable...
        let guard = lock(&self.shared.paused);
        self.shared.resume.notify_all();
        drop(guard);
        // ...a running one in accept().
        self.wake_listener();
    }

    /// Pauses or resumes `accept()`. While paused, the kernel still
    /// completes handshakes and queues the connections (up to the backlog);
    /// clients beyond that wait in SYN_SENT, their SYN dropped and retried.
    /// Resuming accepts them all.
    pub fn set_accept_paused(&self, paused: bool) {
        let mut state = lock(&self.shared.paused);
        if state.paused == paused {
            return;
        }
        state.paused = paused;
        let in_accept = state.in_accept;
        self.shared.resume.notify_all();
        drop(state);
        // A listener blocked in accept() must be woken to see the pause.
        // (One that is not will check the flag before it calls accept();
        // waking it anyway would leave our connection in the queue.)
        if paused && in_accept {
            self.wake_listener();
        }
    }

    /// Turns deferred accept on (`hold` > 0) or off on the running
    /// listener: from now on, new connections wait in SYN_RECV for about
    /// `hold` (see [`crate::net::sys::set_defer_accept`]). Fails with a
    /// message for the user where the system has no such option.
    pub fn set_defer_accept(&self, hold: Duration) -> Result<(), NetError> {
        match &*lock(&self.shared.listener) {
            Some(listener) => {
                super::sys::set_defer_accept(listener, hold).map_err(NetError::DeferAccept)
            }
            // Stopped: there is no listener left to change.
            None => Ok(()),
        }
    }

    /// True while `accept()` is paused.
    pub fn is_accept_paused(&self) -> bool {
        lock(&self.shared.paused).paused
    }

    /// Makes `accept()` return by connecting to the listener ourselves.
    fn wake_listener(&self) {
        let wake_addr = match self.local_addr {
            SocketAddr::V4(a) if a.ip().is_unspecified() => {
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), a.port())
            }
            SocketAddr::V6(a) if a.ip().is_unspecified() => {
                SocketAddr::new(Ipv6Addr::LOCALHOST.into(), a.port())
            }
            addr => addr,
        };
        if let Err(e) = self.connect_to_wake(wake_addr) {
            // The listener may stay in accept() until a client comes:
            // whoever watches should know.
            let message = format!("could not wake the listener at {wake_addr}: {e}");
            log::warn!("{message}");
            self.shared
                .events
                .emit(Origin::Listener, EventKind::Error { message });
        }
    }

    /// Connects to `addr` from a socket whose address is recorded first, so
    /// the listener can recognise this connection as ours.
    fn connect_to_wake(&self, addr: SocketAddr) -> io::Result<()> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.bind(&SocketAddr::new(addr.ip(), 0).into())?;
        *lock(&self.shared.wake_peer) = socket.local_addr()?.as_socket();
        connect_for_wake(&socket, addr)
    }

    /// Waits until the server has stopped (after [`Server::stop`]), at most
    /// `timeout`. Returns true if it has stopped.
    pub fn wait_stopped(&self, timeout: Duration) -> bool {
        // The listener thread never sends; its end drops the sender.
        matches!(
            self.finished.recv_timeout(timeout),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected)
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    /// The table of running client threads. A client thread that panicked
    /// while holding the lock would poison it; the table itself is still
    /// consistent (every change is a single insert or remove), so go on.
    fn clients(&self) -> MutexGuard<'_, HashMap<u64, ClientControl>> {
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `socket()`, `bind()`, `listen()`, with `SO_REUSEADDR` so a restarted
/// server can bind the same port while old connections are in `TIME_WAIT`,
/// and deferred accept if asked for.
fn listen(config: &ServerConfig, calls: &CallReporter) -> Result<Socket, NetError> {
    let addr = config.bind;
    let bind_err = |e| NetError::bind(addr, e);
    let socket = calls
        .done(Call::Socket, || {
            Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        })
        .map_err(bind_err)?;
    // On Windows, SO_REUSEADDR would let two servers share a port; its
    // default already allows rebinding over TIME_WAIT, so it is left off.
    #[cfg(not(windows))]
    socket.set_reuse_address(true).map_err(bind_err)?;
    calls
        .done(Call::Bind, || socket.bind(&addr.into()))
        .map_err(bind_err)?;
    if ACCEPTED_SOCKETS_INHERIT_OPTIONS {
        set_connection_options(SockRef::from(&socket), config).map_err(bind_err)?;
    }
    calls
        .done(Call::Listen, || socket.listen(config.backlog))
        .map_err(bind_err)?;
    if !config.defer_accept.is_zero() {
        super::sys::set_defer_accept(&socket, config.defer_accept)
            .map_err(NetError::DeferAccept)?;
    }
    Ok(socket)
}

/// True where a socket returned by `accept()` starts with the options of
/// the listening socket, as on Linux: there the options every connection
/// needs are set once, on the listener, instead of with two system calls
/// per connection. Elsewhere each client thread sets them on its socket.
const ACCEPTED_SOCKETS_INHERIT_OPTIONS: bool = cfg!(target_os = "linux");

/// The options every connection's socket starts with: `TCP_NODELAY` as
/// configured (off is the system's default), and a timeout on writes, so
/// a client that stops reading cannot hold its thread in `send()` forever.
///
/// The idle timeout on reads is not among them: on a listening socket it
/// would also make `accept()` give up after that long.
fn set_connection_options(socket: SockRef<'_>, config: &ServerConfig) -> io::Result<()> {
    if config.nodelay {
        socket.set_tcp_nodelay(true)?;
    }
    socket.set_write_timeout(Some(config.write_timeout))
}

/// The listener thread's loop: accept, hand over to a new thread, repeat.
///
/// Every client thread gets a clone of `alive`, a sender nobody sends on:
/// when the last clone is dropped, the receiver knows every thread is done.
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, alive: &Sender<()>) {
    let calls = CallReporter::new(shared.events.clone(), Origin::Listener);
    let mut backoff = Duration::from_millis(10);
    loop {
        wait_while_paused(shared);
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        calls.start(Call::Accept);
        let accepted = listener.accept();
        calls.end(
            Call::Accept,
            CallResult::of(&accepted, |(_, peer)| CallResult::Peer(*peer)),
        );
        lock(&shared.paused).in_accept = false;
        if shared.stopping.load(Ordering::SeqCst) {
            // This is our own wake-up connection (or a client arriving just
            // as we stop); it is closed when dropped.
            return;
        }
        match accepted {
            Ok((_ours, peer)) if lock(&shared.wake_peer).take_if(|w| *w == peer).is_some() => {
                // Our own wake-up (to see a pause): closed when dropped.
            }
            Ok((stream, peer)) if shared.clients().len() >= shared.config.max_clients => {
                backoff = Duration::from_millis(10);
                turn_away(stream, peer, shared);
            }
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(10);
                start_client_thread(stream, peer, shared, alive.clone());
            }
            Err(e) => {
                // Typically "too many open files". Waiting a little lets
                // other connections finish; doubling the wait (up to a
                // second) keeps a persistent error from spinning a core.
                shared.events.emit(
                    Origin::Listener,
                    EventKind::Error {
                        message: format!("accept() failed: {e}"),
                    },
                );
                thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// Whether `accept()` is paused, and whether the listener is in it.
#[derive(Debug, Default)]
struct PauseState {
    paused: bool,
    /// Set under the same lock as the pause check, so a pause either is
    /// seen before `accept()` or finds the listener in it (and wakes it).
    in_accept: bool,
}

/// Blocks while `accept()` is paused (and the server is not stopping);
/// then marks the listener as about to call `accept()`.
fn wait_while_paused(shared: &Shared) {
    let mut state = lock(&shared.paused);
    while state.paused && !shared.stopping.load(Ordering::SeqCst) {
        state = shared
            .resume
            .wait(state)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
    state.in_accept = true;
}

/// Connects `socket` to the listener at `addr`, waiting at most a second
/// (a listener whose queue is full never answers).
///
/// The listener may accept our connection and close it before we look at
/// it: it is stopping, so it drops whatever `accept()` returned. Windows
/// then reports the finished connect as a hang-up with no error, which
/// `socket2` turns into an error ("no error set after POLLHUP"). A hang-up
/// is a connection that was made and already closed, so it counts as a
/// success here: the listener was woken. The socket may meanwhile hold the
/// reset of that close (seen under wine); only a refusal or a time-out
/// means the listener was never reached.
fn connect_for_wake(socket: &Socket, addr: SocketAddr) -> io::Result<()> {
    match socket.connect_timeout(&addr.into(), Duration::from_secs(1)) {
        Err(e) if e.kind() == io::ErrorKind::Other => match socket.take_error() {
            Ok(Some(later)) if never_reached(&later) => Err(later),
            _ => Ok(()),
        },
        result => result,
    }
}

/// True for the errors of a connect that never reached a listener.
fn never_reached(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::TimedOut
    )
}

/// Locks a mutex whose data stays consistent even if a holder panicked
/// (each change is a single assignment).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Tells a client in one line that the server is full, and closes the
/// connection. The listener does this itself, without a thread: the line
/// is far smaller than any send buffer, so the write cannot block.
fn turn_away(stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let max = shared.config.max_clients;
    let why = format!("the server already serves its maximum of {max} clients");
    let line = format!("Server busy: {why}; try again later.\n");
    let written = stream
        .set_nonblocking(true)
        .and_then(|()| (&stream).write_all(line.as_bytes()));
    if let Err(e) = written {
        log::debug!("could not tell {peer} the server is full: {e}");
    }
    let _ = stream.shutdown(Shutdown::Write);
    shared
        .events
        .emit(Origin::Listener, EventKind::Rejected { peer, why });
}

/// Registers the connection and starts its thread `client-N`.
fn start_client_thread(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    alive: Sender<()>,
) {
    let id = NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed);
    let origin = Origin::ServerConn(id);
    let stream = Arc::new(stream);
    let control = ClientControl {
        stream: Arc::clone(&stream),
        ended_by: Arc::new(OnceLock::new()),
    };
    let ended_by = Arc::clone(&control.ended_by);
    shared.clients().insert(id, control);
    let thread_name = origin.label();
    let for_thread = Arc::clone(shared);
    let name_for_event = thread_name.clone();
    let spawned = thread::Builder::new()
        .name(thread_name)
        .stack_size(CLIENT_STACK)
        .spawn(move || {
            // serve_client forgets the control handle when it closes.
            serve_client(stream, peer, origin, name_for_event, &ended_by, &for_thread);
            drop(alive);
        });
    if let Err(e) = spawned {
        // The stream moved into the closure that failed to start and is
        // closed with it; forget its control handle too.
        shared.clients().remove(&id);
        let message = format!("cannot start a thread for {peer}: {e}");
        shared.events.emit(origin, EventKind::Error { message });
    }
}

/// One client's whole life on the server: greet, talk, close, report.
fn serve_client(
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    origin: Origin,
    thread: String,
    ended_by: &OnceLock<CloseReason>,
    shared: &Shared,
) {
    let events = &shared.events;
    // A listener bound to one address accepts every connection on that
    // address; only one bound to all of them (0.0.0.0) must ask the kernel
    // which one this connection came to.
    let local = if shared.local_addr.ip().is_unspecified() {
        stream.local_addr().unwrap_or(shared.local_addr)
    } else {
        shared.local_addr
    };
    events.emit(
        origin,
        EventKind::Accepted {
            peer,
            local,
            thread,
        },
    );
    let calls = CallReporter::new(events.clone(), origin);
    let outcome = talk(&stream, origin, ended_by, shared, &calls);
    // A reason set from outside (kick, stop) wins over what the socket
    // said, because the socket only saw the consequence (an EOF or error).
    let reason = match ended_by.get() {
        Some(reason) => reason.clone(),
        None => match outcome {
            Ok(reason) => reason,
            Err(e) => close_reason(&e),
        },
    };
    shared
        .gate
        .pass(origin, "close()", events, || ended_by.get().is_some());
    let hold = shared.gate.close_hold();
    // The peer closed first (EOF) or we close first after Good bye!.
    let held = !hold.is_zero()
        && matches!(reason, CloseReason::Exit | CloseReason::Eof)
        && close_holding(
            &stream,
            hold,
            reason == CloseReason::Eof,
            origin,
            ended_by,
            events,
        );
    // Send FIN now (unless the close hold did); closing the socket follows.
    if !held {
        let _ = calls.done(Call::Shutdown, || stream.shutdown(Shutdown::Write));
    }
    // The server's handle on the socket goes first, so that dropping the
    // thread's is the last one and really closes it.
    if let Origin::ServerConn(id) = origin {
        shared.clients().remove(&id);
    }
    let _ = calls.done(Call::Close, || {
        drop(stream);
        Ok(())
    });
    events.emit(origin, EventKind::Closed { reason });
}

/// The close hold (see [`super::linger`]): queue filler the client is not
/// reading, so our FIN waits behind it (FIN_WAIT_1, or LAST_ACK when the
/// client closed first); when we close first, keep the socket open and
/// unread for the hold, so the client's own close waits in LAST_ACK.
/// Returns true once our sending side is shut down (our FIN is queued).
fn close_holding(
    stream: &TcpStream,
    hold: Duration,
    peer_closed: bool,
    origin: Origin,
    ended_by: &OnceLock<CloseReason>,
    events: &EventSender,
) -> bool {
    let behind = match super::linger::fill_send_queue(stream) {
        Ok(bytes) => bytes,
        Err(e) => {
            log::debug!("{origin}: close hold: {e}");
            return false;
        }
    };
    if stream.shutdown(Shutdown::Write).is_err() {
        return false;
    }
    events.emit(origin, EventKind::FinQueued { behind });
    if !peer_closed {
        match super::linger::hold_then_drain(stream, hold, || ended_by.get().is_some()) {
            Ok(bytes) => events.emit(origin, EventKind::Drained { bytes }),
            Err(e) => log::debug!("{origin}: close hold: {e}"),
        }
    }
    true
}

/// The dialogue loop. Returns how the dialogue ended, or the socket error
/// that ended it.
fn talk(
    stream: &TcpStream,
    origin: Origin,
    ended_by: &OnceLock<CloseReason>,
    shared: &Shared,
    calls: &CallReporter,
) -> io::Result<CloseReason> {
    let config = &shared.config;
    if !ACCEPTED_SOCKETS_INHERIT_OPTIONS {
        set_connection_options(SockRef::from(stream), config)?;
    }
    if config.idle_timeout.is_some() {
        stream.set_read_timeout(config.idle_timeout)?;
    }
    let mut writer = PacedWriter {
        stream,
        pace: config.pace,
        origin,
        events: &shared.events,
        gate: &shared.gate,
        ended_by,
        out: Vec::with_capacity(256),
    };
    let mut dialogue = ServerDialogue::new();
    writer.send(&dialogue.greeting())?;
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        // recv() may wait here for a long time: report that. Bytes it
        // returns are reported as `Received`; an end or error as the call's
        // return (see super::calls).
        calls.start(Call::Recv);
        // Reads the shared socket; on Windows this also notices a kick or
        // a stop, which do not wake recv() there (see super::recv).
        let read = super::recv::read(writer.stream, &mut buf, config.idle_timeout, || {
            ended_by.get().is_some()
        });
        if !matches!(read, Ok(n) if n > 0) {
            calls.end(
                Call::Recv,
                CallResult::of(&read, |n| CallResult::Bytes(*n as u64)),
            );
        }
        let n = read?;
        if n == 0 {
            // End of stream. Answer a last unfinished line, if any; the
            // client may still be reading (it only closed its sending side).
            for turn in dialogue.finish() {
                writer.report_heard(turn.heard);
                let _ = writer.send(&turn.replies);
            }
            return Ok(CloseReason::Eof);
        }
        if shared.events.wants_steps() {
            shared.events.emit(
                origin,
                EventKind::Received {
                    bytes: Bytes::from(&buf[..n]),
                },
            );
        }
        for turn in dialogue.feed(&buf[..n]) {
            writer.report_heard(turn.heard);
            writer.send(&turn.replies)?;
        }
        if dialogue.is_finished() {
            return Ok(CloseReason::Exit);
        }
    }
}

/// Writes replies, pausing before each prompt that follows another message.
struct PacedWriter<'a> {
    stream: &'a TcpStream,
    pace: Duration,
    origin: Origin,
    events: &'a EventSender,
    gate: &'a StepGate,
    ended_by: &'a OnceLock<CloseReason>,
    /// Kept between sends, so its allocation is reused.
    out: Vec<u8>,
}

impl PacedWriter<'_> {
    /// Sends `replies`. Without pacing they go out in one write; with
    /// pacing, what comes before a prompt is written, then the thread
    /// sleeps, then the prompt is written on its own.
    fn send(&mut self, replies: &[Reply]) -> io::Result<()> {
        // The buffer of the last send, emptied: one allocation for the
        // whole dialogue instead of a few for every answer.
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        for reply in replies {
            if *reply == Reply::Prompt && !self.pace.is_zero() && !out.is_empty() {
                self.write(&out)?;
                out.clear();
                thread::sleep(self.pace);
            }
            reply.write_to(&mut out);
        }
        let written = if out.is_empty() {
            Ok(())
        } else {
            self.write(&out)
        };
        self.out = out;
        written
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.gate.is_enabled() {
            // What the thread waits to do, in words: only worth writing
            // when step mode is on.
            let step = format!("send \"{}\"", crate::net::bytes::escape(bytes));
            let ended_by = self.ended_by;
            self.gate
                .pass(self.origin, &step, self.events, || ended_by.get().is_some());
        }
        if !self.events.wants_steps() {
            return { self.stream }.write_all(bytes);
        }
        let started = chrono::Utc::now();
        { self.stream }.write_all(bytes)?;
        self.events.emit_at(
            started,
            self.origin,
            EventKind::Sent {
                bytes: Bytes::from(bytes),
            },
        );
        Ok(())
    }

    fn report_heard(&self, heard: super::protocol::Heard) {
        self.events.emit(self.origin, EventKind::Heard { heard });
    }
}

/// Closes every client with [`CloseReason::ServerStopped`] and waits until
/// every client thread has finished.
fn stop_all_clients(shared: &Shared, alive_tx: Sender<()>, alive_rx: &Receiver<()>) {
    for client in shared.clients().values() {
        client.end(CloseReason::ServerStopped);
    }
    // Drop our own sender; recv() then returns an error as soon as the last
    // client thread has dropped its clone, i.e. when every thread is done.
    drop(alive_tx);
    let _ = alive_rx.recv();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options are set once on the listener (see
    /// [`ACCEPTED_SOCKETS_INHERIT_OPTIONS`]): this checks that the system
    /// really gives them to every accepted socket.
    #[test]
    fn an_accepted_socket_has_the_options_every_connection_needs() {
        let config = ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            nodelay: true,
            write_timeout: Duration::from_secs(3),
            ..ServerConfig::default()
        };
        let (tx, _rx) = crossbeam_channel::unbounded();
        let calls = CallReporter::new(EventSender::new(tx), Origin::Listener);
        let listener: TcpListener = listen(&config, &calls).unwrap().into();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        if !ACCEPTED_SOCKETS_INHERIT_OPTIONS {
            set_connection_options(SockRef::from(&accepted), &config).unwrap();
        }
        assert!(accepted.nodelay().unwrap());
        assert_eq!(
            accepted.write_timeout().unwrap(),
            Some(Duration::from_secs(3))
        );
    }

    /// Stopping wakes the listener by connecting to it; the listener may
    /// close that connection before the connect is seen to finish. That
    /// must count as woken (on Windows it used to be reported as a
    /// failure: "no error set after POLLHUP").
    #[test]
    fn a_wake_up_connection_closed_at_once_still_counts_as_made() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        const TRIES: usize = 50;
        let closer = thread::spawn(move || {
            for _ in 0..TRIES {
                // Accept and drop at once, as a stopping listener does.
                drop(listener.accept());
            }
        });
        for _ in 0..TRIES {
            let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
            connect_for_wake(&socket, addr).unwrap();
        }
        closer.join().unwrap();
    }

    /// ... but a port where nobody listens is still a failure to wake.
    #[test]
    fn a_wake_up_of_a_closed_port_fails() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
        let e = connect_for_wake(&socket, addr).unwrap_err();
        assert!(never_reached(&e), "{e:?}");
    }
}
