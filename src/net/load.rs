//! Bots: many clients at once, to measure a server under load.
//!
//! A load run starts N bots against one server (ours, the tutorial's, any
//! that speaks the name dialogue). Each bot is a thread with its own
//! connection, as the tutorial's clients are, and reads with the same
//! [`MessageParser`] as a client tab. Bots report no events: at tens of
//! thousands of round trips a second, an event per message would measure
//! the event channel, not the server. Instead each bot adds what it did to
//! shared counters and latency histograms, which [`Load::report`] and
//! [`Load::tick`] read.
//!
//! Three modes ([`LoadMode`]):
//!
//! - **round trips**: connect once, then send a name and wait for
//!   `Hello N!\n` and the prompt, again and again. The latency is that of
//!   one request and its answer on an open connection.
//! - **dialogues**: the whole dialogue in a loop: connect, greeting, a
//!   name, `exit`, good bye, close. The latency is a whole dialogue's: what
//!   a new client costs the server.
//! - **hold**: connect, wait for the prompt, and keep the connection open
//!   until the run stops: how many clients a thread-per-client server can
//!   hold at once. The latency is connect-to-prompt.
//!
//! A bot that fails (refused, reset, timed out, wrong bytes) counts an
//! error, remembers the first cause, waits a moment and starts again, so a
//! run shows both how many things went wrong and why.

#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use socket2::{Domain, Socket, Type};

use super::error::connect_error_message;
use super::event::ServerMessage;
use super::pace::Pace;
use super::parser::MessageParser;
use super::protocol::EXIT;

/// What each bot does, again and again (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadMode {
    /// A name and its answer, on a connection kept open.
    RoundTrips,
    /// Connect, greeting, a name, `exit`, good bye, close.
    Dialogues,
    /// Connect, greeting, then keep the connection open.
    Hold,
}

impl LoadMode {
    /// Every mode, in the order a menu shows them.
    pub const ALL: [LoadMode; 3] = [LoadMode::RoundTrips, LoadMode::Dialogues, LoadMode::Hold];

    /// What one completed operation of this mode is called, plural.
    pub fn unit(self) -> &'static str {
        match self {
            LoadMode::RoundTrips => "round trips",
            LoadMode::Dialogues => "dialogues",
            LoadMode::Hold => "connections",
        }
    }
}

impl std::fmt::Display for LoadMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LoadMode::RoundTrips => "round trips",
            LoadMode::Dialogues => "dialogues",
            LoadMode::Hold => "hold",
        })
    }
}

/// One load run's settings.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// The server's address.
    pub target: SocketAddr,
    /// How many bots (connections at once).
    pub bots: usize,
    /// What each bot does.
    pub mode: LoadMode,
    /// The name each bot sends (raw, no line break, as the tutorial's client).
    pub name: Vec<u8>,
    /// How long a connect or an awaited answer may take before it counts as
    /// an error.
    pub timeout: Duration,
    /// Remember every address a bot connects from during the run (at most
    /// one per port), so a window can tell the bots' connections from
    /// other clients' ([`Load::is_bot`]).
    pub track_addresses: bool,
    /// At most this many operations a second, all bots together, from the
    /// first one on; `None`: as fast as they can. [`Load::limit_rate`]
    /// changes it during the run.
    pub rate_limit: Option<f64>,
}

impl LoadConfig {
    /// `bots` bots in `mode` against `target`, sending the name `bot`.
    pub fn new(target: SocketAddr, bots: usize, mode: LoadMode) -> Self {
        LoadConfig {
            target,
            bots,
            mode,
            name: b"bot".to_vec(),
            timeout: Duration::from_secs(5),
            track_addresses: false,
            rate_limit: None,
        }
    }
}

/// Resolves `HOST:PORT` as typed (the first address found).
pub fn resolve(target: &str) -> Result<SocketAddr, String> {
    target
        .to_socket_addrs()
        .map_err(|e| format!("cannot find \"{target}\": {e}"))?
        .next()
        .ok_or_else(|| format!("\"{target}\" has no address"))
}

/// A duration in the unit a person reads best at its size: `480µs`,
/// `2.1ms`, `12.0s`.
pub fn readable(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1000 {
        format!("{micros}µs")
    } else if micros < 10_000_000 {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Latency percentiles of the operations counted.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latency {
    /// How many operations were timed.
    pub samples: u64,
    /// Half took at most this long.
    pub p50: Duration,
    /// 95% took at most this long.
    pub p95: Duration,
    /// 99% took at most this long.
    pub p99: Duration,
    /// The slowest.
    pub max: Duration,
}

impl Latency {
    fn of(histogram: &Histogram<u64>) -> Latency {
        let at = |q: f64| Duration::from_micros(histogram.value_at_quantile(q));
        Latency {
            samples: histogram.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: Duration::from_micros(histogram.max()),
        }
    }
}

/// What a run has done, since it started ([`Load::report`]) or since the
/// last [`Load::tick`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// The time covered.
    pub elapsed: Duration,
    /// Operations completed (round trips, dialogues or connections).
    pub completed: u64,
    /// `completed` per second of `elapsed`.
    pub per_second: f64,
    /// Connections open now.
    pub connected: usize,
    /// Failed operations.
    pub errors: u64,
    /// What went wrong first, in words.
    pub first_error: Option<String>,
    /// How long the operations took.
    pub latency: Latency,
}

/// Latencies are kept in a few histograms rather than one, so bots rarely
/// wait for each other's lock.
const STRIPES: usize = 16;
/// A bot waits this long for bytes before it looks at the stop flag again.
const POLL: Duration = Duration::from_millis(100);
/// After an error, a bot waits this long before it starts again.
const BACKOFF: Duration = Duration::from_millis(100);
/// Bots in hold mode share this many threads; each opens its share of the
/// connections and then sleeps until the run stops.
const HOLD_THREADS: usize = 8;
/// A bot needs little stack: a parser and a 4 KiB buffer.
const BOT_STACK: usize = 128 * 1024;

/// Two histograms: the whole run's, and the one [`Load::tick`] empties.
struct Stripe {
    total: Histogram<u64>,
    recent: Histogram<u64>,
}

/// What the bots share with the [`Load`] handle.
struct Shared {
    config: LoadConfig,
    stop: AtomicBool,
    /// While set, bots wait before their next operation (see [`Load::hold_back`]).
    held_back: AtomicBool,
    /// Where held-back bots sleep until they are let go (or the run stops).
    let_go: (Mutex<()>, Condvar),
    /// The most operations a second, all bots together (see [`Load::limit_rate`]).
    pace: Pace,
    completed: AtomicU64,
    errors: AtomicU64,
    connected: AtomicUsize,
    first_error: Mutex<Option<String>>,
    stripes: Vec<Mutex<Stripe>>,
    addresses: Mutex<HashSet<SocketAddr>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A bot that panicked left nothing half-written that matters here.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Waits until the bot may start its next operation: while the run is
    /// held back, then for its turn if the rate is limited.
    fn wait_for_turn(&self) {
        self.wait_while_held_back();
        let mut wait = self.pace.claim();
        while !wait.is_zero() && !self.stopped() {
            let nap = wait.min(POLL);
            thread::sleep(nap);
            wait -= nap;
        }
    }

    /// Waits while the run is held back (and not stopped). The bots sleep
    /// on a condition variable rather than polling: a thousand threads
    /// waking every few milliseconds would take the very CPU time the
    /// window needs to catch up.
    fn wait_while_held_back(&self) {
        if !self.held_back.load(Ordering::Relaxed) {
            return;
        }
        let (mutex, condvar) = &self.let_go;
        let mut guard = lock(mutex);
        while self.held_back.load(Ordering::Relaxed) && !self.stopped() {
            guard = condvar
                .wait_timeout(guard, POLL)
                .map_or_else(|p| p.into_inner().0, |(g, _)| g);
        }
    }

    fn record(&self, bot: usize, took: Duration) {
        self.completed.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        let mut stripe = lock(&self.stripes[bot % STRIPES]);
        stripe.total.saturating_record(micros);
        stripe.recent.saturating_record(micros);
    }

    fn fail(&self, why: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        lock(&self.first_error).get_or_insert(why);
    }

    /// Sleeps `BACKOFF`, or less if the run stops.
    fn back_off(&self) {
        let until = Instant::now() + BACKOFF;
        while !self.stopped() && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A running load: N bots, until [`Load::stop`].
pub struct Load {
    shared: Arc<Shared>,
    /// The thread that starts the bots; it hands back their threads.
    starter: Option<JoinHandle<Vec<JoinHandle<()>>>>,
    started: Instant,
    last_tick: Instant,
    completed_at_tick: u64,
    errors_at_tick: u64,
}

impl Load {
    /// Starts the bots, on a thread of their own (see [`start_bots`]), and
    /// returns at once. Fails only if the system refuses that thread; a
    /// bot whose thread is refused is an error of the run.
    pub fn start(config: LoadConfig) -> io::Result<Load> {
        let histogram =
            || Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds");
        let stripes = (0..STRIPES)
            .map(|_| {
                Mutex::new(Stripe {
                    total: histogram(),
                    recent: histogram(),
                })
            })
            .collect();
        let bots = config.bots;
        let mode = config.mode;
        let pace = Pace::unlimited();
        pace.set_rate(config.rate_limit);
        let shared = Arc::new(Shared {
            config,
            stop: AtomicBool::new(false),
            held_back: AtomicBool::new(false),
            let_go: (Mutex::new(()), Condvar::new()),
            pace,
            completed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            connected: AtomicUsize::new(0),
            first_error: Mutex::new(None),
            stripes,
            addresses: Mutex::new(HashSet::new()),
        });
        let for_starter = Arc::clone(&shared);
        let starter = thread::Builder::new()
            .name("load-start".into())
            .spawn(move || start_bots(&for_starter, bots, mode))?;
        Ok(Load {
            shared,
            starter: Some(starter),
            started: Instant::now(),
            last_tick: Instant::now(),
            completed_at_tick: 0,
            errors_at_tick: 0,
        })
    }

    /// The settings this run was started with.
    pub fn config(&self) -> &LoadConfig {
        &self.shared.config
    }

    /// Everything since the start.
    pub fn report(&self) -> LoadReport {
        let mut total = Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
        for stripe in &self.shared.stripes {
            // Same bounds everywhere, so adding cannot fail.
            let _ = total.add(&lock(stripe).total);
        }
        self.report_of(
            self.started.elapsed(),
            self.shared.completed.load(Ordering::Relaxed),
            self.shared.errors.load(Ordering::Relaxed),
            &total,
        )
    }

    /// What happened since the last tick (or the start): for a live plot.
    pub fn tick(&mut self) -> LoadReport {
        let mut recent = Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
        for stripe in &self.shared.stripes {
            let mut stripe = lock(stripe);
            let _ = recent.add(&stripe.recent);
            stripe.recent.reset();
        }
        let now = Instant::now();
        let completed = self.shared.completed.load(Ordering::Relaxed);
        let errors = self.shared.errors.load(Ordering::Relaxed);
        let report = self.report_of(
            now - self.last_tick,
            completed - self.completed_at_tick,
            errors - self.errors_at_tick,
            &recent,
        );
        self.last_tick = now;
        self.completed_at_tick = completed;
        self.errors_at_tick = errors;
        report
    }

    fn report_of(
        &self,
        elapsed: Duration,
        completed: u64,
        errors: u64,
        histogram: &Histogram<u64>,
    ) -> LoadReport {
        let seconds = elapsed.as_secs_f64();
        LoadReport {
            elapsed,
            completed,
            per_second: if seconds > 0.0 {
                completed as f64 / seconds
            } else {
                0.0
            },
            connected: self.shared.connected.load(Ordering::Relaxed),
            errors,
            first_error: lock(&self.shared.first_error).clone(),
            latency: Latency::of(histogram),
        }
    }

    /// Every address the bots have connected from, when
    /// [`LoadConfig::track_addresses`] is on.
    pub fn bot_addresses(&self) -> HashSet<SocketAddr> {
        lock(&self.shared.addresses).clone()
    }

    /// True if `addr` is one of this run's bots (with
    /// [`LoadConfig::track_addresses`] on). A bot aimed at a loopback
    /// address is known before its connection is accepted.
    pub fn is_bot(&self, addr: SocketAddr) -> bool {
        lock(&self.shared.addresses).contains(&addr)
    }

    /// Holds the bots back (each waits before its next operation) or lets
    /// them go on. The window holds its bots back while it has more events
    /// waiting than it can show, so bots in the same process cannot bury
    /// the window: on two cores, a thousand busy bots and their server
    /// threads would otherwise leave the window's thread hardly any time,
    /// and the events it has not read yet would pile up in memory.
    pub fn hold_back(&self, held: bool) {
        let was = self.shared.held_back.swap(held, Ordering::Relaxed);
        if was && !held {
            let (mutex, condvar) = &self.shared.let_go;
            let _guard = lock(mutex);
            condvar.notify_all();
        }
    }

    /// Lets all the bots together make at most `per_second` operations a
    /// second (round trips, dialogues or connects), spread evenly; `None`
    /// lifts the limit. Can be changed while the run goes on. The window
    /// uses it to keep its own frames smooth; `bench --rate` to measure a
    /// server at a fixed load rather than flat out.
    pub fn limit_rate(&self, per_second: Option<f64>) {
        self.shared.pace.set_rate(per_second);
    }

    /// The limit set by [`Load::limit_rate`], if any.
    pub fn rate_limit(&self) -> Option<f64> {
        self.shared.pace.rate()
    }

    /// Operations completed since the start, all bots together.
    pub fn completed(&self) -> u64 {
        self.shared.completed.load(Ordering::Relaxed)
    }

    /// True while [`Load::hold_back`] holds the bots.
    pub fn is_held_back(&self) -> bool {
        self.shared.held_back.load(Ordering::Relaxed)
    }

    fn stop_now(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let (mutex, condvar) = &self.shared.let_go;
        let _guard = lock(mutex);
        condvar.notify_all();
    }

    /// Stops every bot, waits for them (each notices within a tenth of a
    /// second) and returns the whole run's report. Their connections are
    /// closed.
    pub fn stop(mut self) -> LoadReport {
        self.stop_now();
        if let Some(starter) = self.starter.take() {
            for bot in starter.join().unwrap_or_default() {
                let _ = bot.join();
            }
        }
        self.report()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        // Bots end on their own once told; nobody waits for them here.
        self.stop_now();
    }
}

/// Why a bot's operation ended early.
enum Stop {
    /// The run is over.
    Stopped,
    /// Something went wrong, in words.
    Failed(String),
}

/// One bot's connection: the stream, and a parser for what arrives.
struct Conn<'a> {
    shared: &'a Shared,
    stream: TcpStream,
    parser: MessageParser,
    ready: std::collections::VecDeque<ServerMessage>,
    buf: Box<[u8; 4096]>,
}

impl<'a> Conn<'a> {
    fn open(shared: &'a Shared) -> Result<Conn<'a>, Stop> {
        let config = &shared.config;
        let target = config.target;
        let refused = |e: io::Error| Stop::Failed(connect_error_message(&target.to_string(), &e));
        let stream = if config.track_addresses && target.ip().is_loopback() {
            // Bind first, so the bot's address is known, and remembered,
            // before the server can accept the connection and report it.
            let socket =
                Socket::new(Domain::for_address(target), Type::STREAM, None).map_err(refused)?;
            socket
                .bind(&SocketAddr::new(target.ip(), 0).into())
                .map_err(refused)?;
            if let Some(local) = socket.local_addr().ok().and_then(|a| a.as_socket()) {
                lock(&shared.addresses).insert(local);
            }
            let connected = socket.connect_timeout(&target.into(), config.timeout);
            if let Err(e) = connected {
                if let Some(local) = socket.local_addr().ok().and_then(|a| a.as_socket()) {
                    lock(&shared.addresses).remove(&local);
                }
                return Err(refused(e));
            }
            TcpStream::from(socket)
        } else {
            TcpStream::connect_timeout(&target, config.timeout).map_err(refused)?
        };
        let io = |e: io::Error| Stop::Failed(format!("{target}: {e}"));
        stream.set_nodelay(true).map_err(io)?;
        stream.set_read_timeout(Some(POLL)).map_err(io)?;
        if config.track_addresses && !target.ip().is_loopback() {
            // Known only now (the loopback case remembered it before).
            lock(&shared.addresses).insert(stream.local_addr().map_err(io)?);
        }
        shared.connected.fetch_add(1, Ordering::Relaxed);
        Ok(Conn {
            shared,
            stream,
            parser: MessageParser::new(),
            ready: Default::default(),
            buf: Box::new([0; 4096]),
        })
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.stream
            .write_all(bytes)
            .map_err(|e| Stop::Failed(format!("send failed: {e}")))
    }

    /// Waits for the next message; `None` at the end of the stream.
    fn next(&mut self) -> Result<Option<ServerMessage>, Stop> {
        let deadline = Instant::now() + self.shared.config.timeout;
        loop {
            if let Some(message) = self.ready.pop_front() {
                return Ok(Some(message));
            }
            match self.stream.read(&mut self.buf[..]) {
                Ok(0) => return Ok(self.parser.finish()),
                Ok(n) => self.ready.extend(self.parser.push(&self.buf[..n])),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.shared.stopped() {
                        return Err(Stop::Stopped);
                    }
                    if Instant::now() >= deadline {
                        return Err(Stop::Failed(format!(
                            "no answer within {:?}",
                            self.shared.config.timeout
                        )));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Stop::Failed(format!("receive failed: {e}"))),
            }
        }
    }

    /// Waits for a message of the kind `want` says (by its variant: any
    /// `Hello` will do); anything else is an error.
    fn expect(&mut self, want: &ServerMessage) -> Result<(), Stop> {
        match self.next()? {
            Some(got) if std::mem::discriminant(&got) == std::mem::discriminant(want) => Ok(()),
            Some(got) => Err(Stop::Failed(format!(
                "expected {}, got {}",
                describe(want),
                describe(&got)
            ))),
            None => Err(Stop::Failed(format!(
                "the server closed the connection before {}",
                describe(want)
            ))),
        }
    }

    /// Connect, then `Welcome!\n` and the prompt.
    fn greeted(shared: &'a Shared) -> Result<Conn<'a>, Stop> {
        let mut conn = Conn::open(shared)?;
        conn.expect(&ServerMessage::Welcome)?;
        conn.expect(&ServerMessage::Prompt)?;
        Ok(conn)
    }

    /// A name, then `Hello N!\n` and the prompt.
    fn round_trip(&mut self) -> Result<(), Stop> {
        let shared = self.shared;
        self.send(&shared.config.name)?;
        self.expect(&ServerMessage::Hello(Default::default()))?;
        self.expect(&ServerMessage::Prompt)
    }

    /// `exit`, then good bye and the end of the stream.
    fn say_exit(&mut self) -> Result<(), Stop> {
        self.send(EXIT)?;
        self.expect(&ServerMessage::GoodBye)?;
        match self.next()? {
            None => Ok(()),
            Some(got) => Err(Stop::Failed(format!(
                "expected the server to close, got {}",
                describe(&got)
            ))),
        }
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        // The address stays in `addresses`: the server's report of this
        // connection may be read after the bot is already done with it.
        self.shared.connected.fetch_sub(1, Ordering::Relaxed);
    }
}

fn describe(message: &ServerMessage) -> String {
    match message {
        ServerMessage::Welcome => "the welcome".into(),
        ServerMessage::Prompt => "the prompt".into(),
        ServerMessage::Hello(_) => "a greeting".into(),
        ServerMessage::GoodBye => "good bye".into(),
        ServerMessage::Unexpected(bytes) => {
            let mut shown = bytes.escaped();
            if shown.len() > 60 {
                let cut = (0..=60).rev().find(|&i| shown.is_char_boundary(i));
                shown.truncate(cut.unwrap_or(0));
                shown.push('…');
            }
            format!("unexpected bytes \"{shown}\"")
        }
    }
}

/// Starts the bots' threads and returns them. It runs on a thread of its
/// own: starting a thousand threads takes tens of milliseconds, which a
/// window that asked for them would otherwise spend in one frame. A
/// thread the system refuses counts as an error of the run (with the
/// system's words), and no more bots are started.
fn start_bots(shared: &Arc<Shared>, bots: usize, mode: LoadMode) -> Vec<JoinHandle<()>> {
    let mut threads = Vec::new();
    let mut spawn = |name: String, work: Box<dyn FnOnce() + Send>| {
        if shared.stopped() {
            return false;
        }
        let spawned = thread::Builder::new()
            .name(name)
            .stack_size(BOT_STACK)
            .spawn(work);
        match spawned {
            Ok(handle) => {
                threads.push(handle);
                true
            }
            Err(e) => {
                shared.fail(format!("cannot start a bot's thread: {e}"));
                false
            }
        }
    };
    if mode == LoadMode::Hold {
        let count = bots.clamp(1, HOLD_THREADS);
        for t in 0..count {
            // Bots t, t + count, t + 2·count, … belong to thread t.
            let share: Vec<usize> = (t..bots).step_by(count).collect();
            let shared = Arc::clone(shared);
            if !spawn(format!("hold-{t}"), Box::new(move || hold(&shared, &share))) {
                break;
            }
        }
    } else {
        for bot in 0..bots {
            let shared = Arc::clone(shared);
            if !spawn(
                format!("bot-{bot}"),
                Box::new(move || run_bot(&shared, bot)),
            ) {
                break;
            }
        }
    }
    threads
}

/// One bot in round-trip or dialogue mode, until the run stops.
fn run_bot(shared: &Shared, bot: usize) {
    while !shared.stopped() {
        let outcome = match shared.config.mode {
            LoadMode::RoundTrips => round_trips(shared, bot),
            _ => dialogue(shared, bot),
        };
        match outcome {
            Ok(()) => {}
            Err(Stop::Stopped) => break,
            Err(Stop::Failed(why)) => {
                if shared.stopped() {
                    break;
                }
                shared.fail(why);
                shared.back_off();
            }
        }
    }
}

/// Round trips on one connection until the run stops or it fails.
fn round_trips(shared: &Shared, bot: usize) -> Result<(), Stop> {
    // Connecting takes a turn too: a thousand bots connecting at once is
    // itself a burst of load.
    shared.wait_for_turn();
    let mut conn = Conn::greeted(shared)?;
    while !shared.stopped() {
        shared.wait_for_turn();
        let start = Instant::now();
        conn.round_trip()?;
        shared.record(bot, start.elapsed());
    }
    Ok(())
}

/// One whole dialogue.
fn dialogue(shared: &Shared, bot: usize) -> Result<(), Stop> {
    shared.wait_for_turn();
    let start = Instant::now();
    let mut conn = Conn::greeted(shared)?;
    conn.round_trip()?;
    conn.say_exit()?;
    drop(conn);
    shared.record(bot, start.elapsed());
    Ok(())
}

/// Hold mode: opens a connection for each bot in `share`, waits for each
/// greeting, then keeps them open until the run stops. A connection that
/// fails is retried.
fn hold(shared: &Shared, share: &[usize]) {
    let mut held = Vec::with_capacity(share.len());
    let mut waiting: Vec<usize> = share.to_vec();
    while !shared.stopped() {
        let mut failed = Vec::new();
        for &bot in &waiting {
            if shared.stopped() {
                return;
            }
            shared.wait_for_turn();
            let start = Instant::now();
            match Conn::greeted(shared) {
                Ok(conn) => {
                    shared.record(bot, start.elapsed());
                    held.push(conn);
                }
                Err(Stop::Stopped) => return,
                Err(Stop::Failed(why)) => {
                    shared.fail(why);
                    failed.push(bot);
                }
            }
        }
        waiting = failed;
        if waiting.is_empty() {
            // All held: sleep until the run stops.
            while !shared.stopped() {
                thread::sleep(POLL);
            }
        } else {
            shared.back_off();
        }
    }
}
