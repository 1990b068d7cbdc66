//! Pitfall demos: five classic TCP mistakes, each shown on real sockets.
//!
//! Every demo runs on 127.0.0.1 with ports the system picks (port 0), is
//! bounded by timeouts (a few seconds at worst), and returns *measured*
//! figures in a plain struct; the window turns them into sentences.
//!
//! | demo | function | what it shows |
//! |---|---|---|
//! | [`Pitfall::Glued`] | [`glued_messages`] | TCP is a byte stream: two messages arrive in one `recv` |
//! | [`Pitfall::Nagle`] | [`nagle_delay`] | two small writes + Nagle + delayed ACK = 40 ms per round trip |
//! | [`Pitfall::Backlog`] | [`tiny_backlog`] | `listen(5)` drops handshakes; clients wait a second, or give up |
//! | [`Pitfall::TimeWait`] | [`time_wait_rebind`] | a restarted server needs `SO_REUSEADDR` while TIME_WAIT lasts |
//! | [`Pitfall::EmptyRecv`] | [`empty_recv`] | `recv` returning nothing means the peer closed |
//!
//! Each function can be called from any thread and blocks until its demo
//! is over; [`run`] runs one demo with its default settings and wraps the
//! result in a [`PitfallReport`], one value to send back to a window.
//!
//! Where a demo needs "the tutorial's" program (a client that treats one
//! `recv` as one message, a server that writes reply and prompt apart, a
//! server that never checks for an empty `recv`), it is written here, small,
//! next to the demo. Where it needs a correct program, it uses this
//! project's own [`Server`].
//!
//! Setup failures (a port that cannot be bound, a thread that cannot start,
//! an exchange that times out) are returned as [`NetError`]; failures that
//! *are* the lesson (a refused bind, a connect that timed out) are figures
//! in the report.

#![forbid(unsafe_code)]

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, bounded, unbounded};
use socket2::{Domain, Protocol, Socket, Type};

use super::bytes::Bytes;
use super::config::ServerConfig;
use super::error::NetError;
use super::event::{CloseReason, EventKind, EventSender, NetEvent, Origin, ServerMessage};
use super::parser::MessageParser;
use super::protocol::{EXIT, GOOD_BYE, HELLO_PREFIX, PROMPT, WELCOME};
use super::server::Server;
use super::tcp_state::{SocketKey, StateReader, TcpState};

/// The five demos.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pitfall {
    /// TCP is a byte stream: messages glue together ([`glued_messages`]).
    Glued,
    /// Nagle's algorithm meets delayed ACK ([`nagle_delay`]).
    Nagle,
    /// A tiny listen backlog overflows ([`tiny_backlog`]).
    Backlog,
    /// TIME_WAIT keeps the port; `SO_REUSEADDR` ([`time_wait_rebind`]).
    TimeWait,
    /// An empty `recv` is the end of the stream ([`empty_recv`]).
    EmptyRecv,
}

impl Pitfall {
    /// Every demo, in the order a menu shows them.
    pub const ALL: [Pitfall; 5] = [
        Pitfall::Glued,
        Pitfall::Nagle,
        Pitfall::Backlog,
        Pitfall::TimeWait,
        Pitfall::EmptyRecv,
    ];

    /// A short stable name (`glued`, `nagle`, …), e.g. for a command line
    /// or a settings file; not meant to be shown as a title.
    pub fn key(self) -> &'static str {
        match self {
            Pitfall::Glued => "glued",
            Pitfall::Nagle => "nagle",
            Pitfall::Backlog => "backlog",
            Pitfall::TimeWait => "time_wait",
            Pitfall::EmptyRecv => "empty_recv",
        }
    }
}

/// What one demo measured, or why it could not run.
#[derive(Debug)]
pub enum PitfallReport {
    /// [`glued_messages`] ran.
    Glued(GluedReport),
    /// [`nagle_delay`] ran.
    Nagle(NagleReport),
    /// [`tiny_backlog`] ran.
    Backlog(BacklogReport),
    /// [`time_wait_rebind`] ran.
    TimeWait(TimeWaitReport),
    /// [`empty_recv`] ran.
    EmptyRecv(EmptyRecvReport),
    /// The demo could not be set up (see the message).
    Failed {
        /// Which demo.
        pitfall: Pitfall,
        /// Why, in words.
        error: NetError,
    },
}

impl PitfallReport {
    /// Which demo this is the report of.
    pub fn pitfall(&self) -> Pitfall {
        match self {
            PitfallReport::Glued(_) => Pitfall::Glued,
            PitfallReport::Nagle(_) => Pitfall::Nagle,
            PitfallReport::Backlog(_) => Pitfall::Backlog,
            PitfallReport::TimeWait(_) => Pitfall::TimeWait,
            PitfallReport::EmptyRecv(_) => Pitfall::EmptyRecv,
            PitfallReport::Failed { pitfall, .. } => *pitfall,
        }
    }
}

/// Runs one demo with its default settings. Blocks for up to a few
/// seconds: call it from a worker thread.
pub fn run(pitfall: Pitfall) -> PitfallReport {
    let failed = |error| PitfallReport::Failed { pitfall, error };
    match pitfall {
        Pitfall::Glued => {
            glued_messages(GluedOptions::default()).map_or_else(failed, PitfallReport::Glued)
        }
        Pitfall::Nagle => {
            nagle_delay(NagleOptions::default()).map_or_else(failed, PitfallReport::Nagle)
        }
        Pitfall::Backlog => {
            tiny_backlog(BacklogOptions::default()).map_or_else(failed, PitfallReport::Backlog)
        }
        Pitfall::TimeWait => time_wait_rebind().map_or_else(failed, PitfallReport::TimeWait),
        Pitfall::EmptyRecv => {
            empty_recv(EmptyRecvOptions::default()).map_or_else(failed, PitfallReport::EmptyRecv)
        }
    }
}

// ───────────────────────────── 1. glued messages ─────────────────────────────

/// Settings of [`glued_messages`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GluedOptions {
    /// How long the naive client waits in one `recv` before the demo calls
    /// it "hung" (the tutorial's client would wait forever).
    pub wait: Duration,
    /// How many times the dialogue is run against the paced server.
    pub paced_runs: u32,
}

impl Default for GluedOptions {
    fn default() -> Self {
        GluedOptions {
            wait: Duration::from_millis(1500),
            paced_runs: 3,
        }
    }
}

/// The message the tutorial's client expects one `recv` to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `Welcome!\n`
    Welcome,
    /// `Whats your name?`
    Prompt,
    /// `Hello N!\n`
    Hello,
    /// `Good bye!\n`
    GoodBye,
}

/// How one `recv` of the naive client ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecvOutcome {
    /// It returned bytes.
    Data,
    /// Nothing came within the wait: the tutorial's client would hang here.
    TimedOut,
    /// It returned nothing: the server closed the connection.
    Eof,
    /// It failed, with the system's words.
    Error(String),
}

/// One `recv(1024)` of the naive client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NaiveRecv {
    /// What the client expected this `recv` to be: exactly one message.
    pub expected: Expect,
    /// The bytes it returned.
    pub bytes: Bytes,
    /// The whole messages these bytes completed (cut by content, see
    /// [`MessageParser`]); more than one means they arrived glued.
    pub messages: Vec<ServerMessage>,
    /// Bytes, a timeout, the end of the stream or an error.
    pub outcome: RecvOutcome,
    /// How long the `recv` took.
    pub waited: Duration,
}

/// One step of the naive client, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NaiveStep {
    /// It sent these bytes (a name, or `exit`).
    Sent(Bytes),
    /// It called `recv(1024)`.
    Recv(NaiveRecv),
}

/// One dialogue of the naive client with our server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NaiveRun {
    /// The server's pacing (zero: off, reply and prompt in one write).
    pub pace: Duration,
    /// What the client did, in order.
    pub steps: Vec<NaiveStep>,
    /// Some `recv` timed out: the tutorial's client would be stuck forever.
    pub hung: bool,
    /// Index in `steps` of the first `recv` that timed out.
    pub first_hang: Option<usize>,
    /// Every `recv` returned exactly the one message the client expected.
    pub completed: bool,
    /// From `connect` to the last step.
    pub elapsed: Duration,
}

impl NaiveRun {
    /// The `recv` steps only.
    pub fn recvs(&self) -> impl Iterator<Item = &NaiveRecv> {
        self.steps.iter().filter_map(|step| match step {
            NaiveStep::Recv(recv) => Some(recv),
            NaiveStep::Sent(_) => None,
        })
    }
}

/// What [`glued_messages`] measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GluedReport {
    /// The wait after which a `recv` counts as hung.
    pub wait: Duration,
    /// Against our server with pacing off.
    pub unpaced: NaiveRun,
    /// The first run against our server with pacing on (the default pace).
    pub paced: NaiveRun,
    /// How many paced runs were made, and how many completed.
    pub paced_runs: u32,
    /// Paced runs in which every `recv` got exactly one message.
    pub paced_completed: u32,
}

/// TCP is a byte stream, not a sequence of messages.
///
/// Setup: this project's server, and a *naive client* that behaves
/// exactly like the tutorial's: one `recv(1024)` is taken as one message.
/// It expects `Welcome!\n`, then the prompt, sends `Alice`, expects the
/// greeting, then the prompt, sends `exit`, expects `Good bye!\n`.
///
/// With pacing off, our server writes what it has to say in one `write`
/// (`Welcome!\n` and the prompt; later the greeting and the prompt), so
/// both messages are in the socket together and one `recv` returns both:
/// this is deterministic. The client then waits in `recv` for a prompt it
/// already has. The tutorial's client would wait there forever; this one
/// gives up after [`GluedOptions::wait`], notes the hang, and goes on as
/// if the prompt had come, to show that every exchange glues, not just
/// the first. With pacing on, the server pauses before each prompt, so
/// each message is read on its own and the dialogue completes.
pub fn glued_messages(opts: GluedOptions) -> Result<GluedReport, NetError> {
    let naive_run = |pace| {
        with_our_server(pace, |addr, _| naive_dialogue(addr, pace, opts.wait)).map(|(run, _)| run)
    };
    let unpaced = naive_run(Duration::ZERO)?;
    let runs = opts.paced_runs.max(1);
    let mut paced = None;
    let mut paced_completed = 0;
    for _ in 0..runs {
        let run = naive_run(ServerConfig::default().pace)?;
        if run.completed {
            paced_completed += 1;
        }
        paced.get_or_insert(run);
    }
    let paced = paced.ok_or_else(|| demo_error("no paced run", io::ErrorKind::Other.into()))?;
    Ok(GluedReport {
        wait: opts.wait,
        unpaced,
        paced,
        paced_runs: runs,
        paced_completed,
    })
}

/// The tutorial's client, one `recv(1024)` per message, against `addr`
/// (our server, pacing its prompts by `pace`).
fn naive_dialogue(addr: SocketAddr, pace: Duration, wait: Duration) -> Result<NaiveRun, NetError> {
    enum Step {
        Recv(Expect),
        Send(&'static [u8]),
    }
    let script = [
        Step::Recv(Expect::Welcome),
        Step::Recv(Expect::Prompt),
        Step::Send(b"Alice"),
        Step::Recv(Expect::Hello),
        Step::Recv(Expect::Prompt),
        Step::Send(EXIT),
        Step::Recv(Expect::GoodBye),
    ];
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|e| demo_error("the naive client cannot connect", e))?;
    stream
        .set_read_timeout(Some(wait))
        .map_err(|e| demo_error("cannot set a read timeout", e))?;
    let mut parser = MessageParser::new();
    let mut steps = Vec::new();
    for step in script {
        match step {
            Step::Send(bytes) => {
                if let Err(e) = stream.write_all(bytes) {
                    return Err(demo_error("the naive client cannot send", e));
                }
                steps.push(NaiveStep::Sent(Bytes::from(bytes)));
            }
            Step::Recv(expected) => {
                let mut buf = [0u8; 1024];
                let began = Instant::now();
                let read = stream.read(&mut buf);
                let waited = began.elapsed();
                let (outcome, n) = match read {
                    Ok(0) => (RecvOutcome::Eof, 0),
                    Ok(n) => (RecvOutcome::Data, n),
                    Err(e) if is_timeout(&e) => (RecvOutcome::TimedOut, 0),
                    Err(e) => (RecvOutcome::Error(e.to_string()), 0),
                };
                let stop = matches!(outcome, RecvOutcome::Eof | RecvOutcome::Error(_));
                steps.push(NaiveStep::Recv(NaiveRecv {
                    expected,
                    bytes: Bytes::from(&buf[..n]),
                    messages: parser.push(&buf[..n]),
                    outcome,
                    waited,
                }));
                if stop {
                    break;
                }
            }
        }
    }
    let first_hang = steps
        .iter()
        .position(|step| matches!(step, NaiveStep::Recv(r) if r.outcome == RecvOutcome::TimedOut));
    let recvs = steps.iter().filter(|s| matches!(s, NaiveStep::Recv(_)));
    let completed = recvs.clone().count() == 5
        && recvs.clone().all(|step| match step {
            NaiveStep::Recv(r) => {
                r.outcome == RecvOutcome::Data && is_just(&r.messages, r.expected)
            }
            NaiveStep::Sent(_) => true,
        });
    Ok(NaiveRun {
        pace,
        hung: first_hang.is_some(),
        first_hang,
        completed,
        elapsed: started.elapsed(),
        steps,
    })
}

/// True when `messages` is exactly the one message `expected`.
fn is_just(messages: &[ServerMessage], expected: Expect) -> bool {
    match messages {
        [only] => matches!(
            (only, expected),
            (ServerMessage::Welcome, Expect::Welcome)
                | (ServerMessage::Prompt, Expect::Prompt)
                | (ServerMessage::Hello(_), Expect::Hello)
                | (ServerMessage::GoodBye, Expect::GoodBye)
        ),
        _ => false,
    }
}

// ────────────────────────── 2. Nagle and delayed ACK ─────────────────────────

/// Settings of [`nagle_delay`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NagleOptions {
    /// Round trips with two writes and Nagle on (about 40 ms each).
    pub slow_round_trips: u32,
    /// Round trips in each of the two fast setups.
    pub fast_round_trips: u32,
}

impl Default for NagleOptions {
    fn default() -> Self {
        NagleOptions {
            slow_round_trips: 20,
            fast_round_trips: 200,
        }
    }
}

/// How the demo's server answers a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NagleSetup {
    /// `send(reply)`, `send(prompt)`, Nagle's algorithm on: the tutorial.
    TwoWritesNagle,
    /// The same two sends with `TCP_NODELAY`.
    TwoWritesNoDelay,
    /// One `send(reply + prompt)`, Nagle on.
    OneWrite,
}

impl NagleSetup {
    /// The three setups, slow one first.
    pub const ALL: [NagleSetup; 3] = [
        NagleSetup::TwoWritesNagle,
        NagleSetup::TwoWritesNoDelay,
        NagleSetup::OneWrite,
    ];
}

/// The round trips measured in one setup.
#[derive(Clone, Debug, PartialEq)]
pub struct NagleTiming {
    /// How the server wrote.
    pub setup: NagleSetup,
    /// How many round trips were timed.
    pub round_trips: u32,
    /// From sending the name to having the whole prompt.
    pub mean: Duration,
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
    /// Round trips per second for one client, from the mean.
    pub per_second: f64,
}

/// What [`nagle_delay`] measured: one timing per [`NagleSetup`], in the
/// order of [`NagleSetup::ALL`].
#[derive(Clone, Debug, PartialEq)]
pub struct NagleReport {
    /// Two writes with Nagle, two writes with `TCP_NODELAY`, one write.
    pub timings: Vec<NagleTiming>,
}

impl NagleReport {
    /// The timing of one setup.
    pub fn timing(&self, setup: NagleSetup) -> Option<&NagleTiming> {
        self.timings.iter().find(|t| t.setup == setup)
    }
}

/// Nagle's algorithm and delayed ACK: two small writes cost 40 ms.
///
/// Setup: a tutorial-style server (written below) answers each name with
/// `Hello N!\n` and then the prompt; a client sends a name and reads until
/// the prompt has fully arrived, again and again, timing each round trip.
///
/// Why two writes are slow: the first small segment leaves at once. Nagle's
/// algorithm holds the second small one until the first is acknowledged.
/// The client has nothing to send back (it waits for the prompt), so its
/// kernel delays the ACK, hoping to carry it on data: on Linux, at least
/// 40 ms. Only then does the prompt leave. `TCP_NODELAY` (no Nagle) or one
/// write (nothing to hold back) removes the wait.
pub fn nagle_delay(opts: NagleOptions) -> Result<NagleReport, NetError> {
    let mut timings = Vec::new();
    for setup in NagleSetup::ALL {
        let n = match setup {
            NagleSetup::TwoWritesNagle => opts.slow_round_trips,
            _ => opts.fast_round_trips,
        };
        timings.push(nagle_run(setup, n.max(1))?);
    }
    Ok(NagleReport { timings })
}

fn nagle_run(setup: NagleSetup, round_trips: u32) -> Result<NagleTiming, NetError> {
    let listener = bind_loopback()?;
    let addr = listener
        .local_addr()
        .map_err(|e| demo_error("no local address", e))?;
    let server = spawn("pitfall-nagle-server", move || {
        // The server's own failure shows on the client as a timeout.
        let _ = two_write_server(&listener, setup);
    })?;
    let times = nagle_client(addr, round_trips);
    // The server leaves when the client closes (or after its read timeout).
    let _ = server.join();
    let mut times = times?;
    times.sort();
    let total: Duration = times.iter().sum();
    let mean = total / round_trips;
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 0 {
        (times[mid - 1] + times[mid]) / 2
    } else {
        times[mid]
    };
    Ok(NagleTiming {
        setup,
        round_trips,
        mean,
        median,
        min: times[0],
        max: times[times.len() - 1],
        per_second: if mean.is_zero() {
            f64::INFINITY
        } else {
            1.0 / mean.as_secs_f64()
        },
    })
}

/// The tutorial's server loop for one client, with the reply and the
/// prompt written as `setup` says.
fn two_write_server(listener: &TcpListener, setup: NagleSetup) -> io::Result<()> {
    let mut stream = accept_within(listener, CONNECT_TIMEOUT)?;
    stream.set_nodelay(setup == NagleSetup::TwoWritesNoDelay)?;
    stream.set_read_timeout(Some(EXCHANGE_TIMEOUT))?;
    stream.write_all(WELCOME)?;
    stream.write_all(PROMPT)?;
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf)?;
        let name = &buf[..n];
        if n == 0 || name == EXIT {
            return Ok(());
        }
        let mut reply = Vec::from(HELLO_PREFIX);
        reply.extend_from_slice(name);
        reply.extend_from_slice(b"!\n");
        if setup == NagleSetup::OneWrite {
            reply.extend_from_slice(PROMPT);
            stream.write_all(&reply)?;
        } else {
            stream.write_all(&reply)?; // leaves at once
            stream.write_all(PROMPT)?; // Nagle: waits for the ACK of the first
        }
    }
}

/// Connects, then times `round_trips` exchanges of a name for its
/// greeting and the next prompt.
fn nagle_client(addr: SocketAddr, round_trips: u32) -> Result<Vec<Duration>, NetError> {
    let exchange = |e| demo_error("the round trip failed", e);
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|e| demo_error("cannot connect to the demo server", e))?;
    let mut buf = Vec::new();
    read_until_prompt(&mut stream, &mut buf).map_err(exchange)?;
    let mut times = Vec::with_capacity(round_trips as usize);
    for _ in 0..round_trips {
        buf.clear();
        let began = Instant::now();
        stream.write_all(b"Alice").map_err(exchange)?;
        read_until_prompt(&mut stream, &mut buf).map_err(exchange)?;
        times.push(began.elapsed());
    }
    // Say good bye politely; the server thread then ends.
    let _ = stream.write_all(EXIT);
    Ok(times)
}

// ─────────────────────────────── 3. tiny backlog ──────────────────────────────

/// A connect that took less than this was not held up.
pub const FAST_CONNECT: Duration = Duration::from_millis(200);
/// A connect that took at least this needed its SYN sent again: the first
/// retransmission leaves after 1 s.
pub const RETRANSMITTED_CONNECT: Duration = Duration::from_millis(900);

/// Settings of [`tiny_backlog`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BacklogOptions {
    /// How many clients connect at the same moment.
    pub clients: usize,
    /// The tutorial's backlog.
    pub small: i32,
    /// A backlog with room for every client.
    pub large: i32,
    /// How long the server's accept loop is busy (does not call `accept`)
    /// after the clients start.
    pub accept_pause: Duration,
    /// How long one client's `connect` may take.
    pub connect_timeout: Duration,
}

impl Default for BacklogOptions {
    fn default() -> Self {
        BacklogOptions {
            clients: 50,
            small: 5,
            large: 128,
            accept_pause: Duration::from_millis(1500),
            connect_timeout: Duration::from_millis(2500),
        }
    }
}

/// How one client's `connect` ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectOutcome {
    /// Connected after this long.
    Connected(Duration),
    /// Gave up (timed out) or failed after this long, with the error's kind.
    Failed {
        after: Duration,
        kind: io::ErrorKind,
        message: String,
    },
}

/// The clients of one listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BacklogRun {
    /// The backlog given to `listen()`.
    pub backlog: i32,
    /// One outcome per client, in no particular order.
    pub outcomes: Vec<ConnectOutcome>,
    /// Connected in less than [`FAST_CONNECT`].
    pub fast: usize,
    /// Connected, but only after [`RETRANSMITTED_CONNECT`] or more: the
    /// first SYN was dropped and sent again.
    pub retransmitted: usize,
    /// Connected in between (rare).
    pub slow: usize,
    /// Timed out or failed.
    pub failed: usize,
    /// The slowest successful connect.
    pub slowest: Option<Duration>,
    /// How much the kernel's `ListenOverflows` counter grew during the run
    /// (Linux; one count per dropped SYN or handshake, retries included;
    /// counts the whole system, so other programs may add to it).
    pub listen_overflows: Option<u64>,
}

/// What [`tiny_backlog`] measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BacklogReport {
    /// The settings the demo ran with (see [`BacklogOptions`]).
    pub clients: usize,
    pub accept_pause: Duration,
    pub connect_timeout: Duration,
    /// The listener with the small backlog, then the large one.
    pub small: BacklogRun,
    pub large: BacklogRun,
    /// `net.core.somaxconn`: the system's cap on any backlog (Linux).
    pub somaxconn: Option<u64>,
    /// `net.ipv4.tcp_abort_on_overflow`: 0 means an overflowing handshake
    /// is dropped (the client retries), 1 that it is reset (Linux).
    pub abort_on_overflow: Option<u64>,
    /// `net.ipv4.tcp_syn_linear_timeouts`: how many SYN retries come one
    /// second apart before the wait doubles (Linux 6.5 and newer).
    pub syn_linear_timeouts: Option<u64>,
    /// `net.ipv4.tcp_syn_retries`: how many times a SYN is sent again
    /// before `connect()` gives up by itself (Linux).
    pub syn_retries: Option<u64>,
}

/// A backlog of 5: the accept queue overflows and handshakes are dropped.
///
/// Setup: a listener with a small backlog, then one with a large backlog,
/// each met by [`BacklogOptions::clients`] clients released at the same
/// moment, each timing its own `connect()`.
///
/// On loopback the kernel completes handshakes so fast that a server
/// calling `accept()` at full speed rarely lets its queue fill. So the
/// server here is a realistic busy one: its accept loop does not call
/// `accept()` for [`BacklogOptions::accept_pause`] while the clients arrive
/// (as if it were busy with something else, like a single-threaded
/// server), then accepts everything at full speed. Finished handshakes
/// wait in the accept queue meanwhile; once it holds `backlog + 1` of them,
/// Linux drops each new SYN (and counts a `ListenOverflows`). Those clients
/// send their SYN again later: Linux 6.5 and newer one second apart for the
/// first tries (`net.ipv4.tcp_syn_linear_timeouts`, 4 by default), older
/// kernels after 1 s, then 3 s, then 7 s. With the default pause of 1.5 s the
/// try at 1 s still meets a full queue; the one at 2 s gets in, so those
/// clients connect after about 2 s instead of at once. On an older kernel
/// the next try would come at 3 s, after the connect timeout of 2.5 s
/// (chosen so, to avoid a race at exactly 3 s): those clients fail. Either
/// way they are held up. The large backlog has room for everyone: every
/// client connects at once, although nobody calls `accept()` yet.
pub fn tiny_backlog(opts: BacklogOptions) -> Result<BacklogReport, NetError> {
    let small = backlog_run(opts.small, &opts)?;
    let large = backlog_run(opts.large, &opts)?;
    Ok(BacklogReport {
        clients: opts.clients,
        accept_pause: opts.accept_pause,
        connect_timeout: opts.connect_timeout,
        small,
        large,
        somaxconn: read_sysctl("/proc/sys/net/core/somaxconn"),
        abort_on_overflow: read_sysctl("/proc/sys/net/ipv4/tcp_abort_on_overflow"),
        syn_linear_timeouts: read_sysctl("/proc/sys/net/ipv4/tcp_syn_linear_timeouts"),
        syn_retries: read_sysctl("/proc/sys/net/ipv4/tcp_syn_retries"),
    })
}

fn backlog_run(backlog: i32, opts: &BacklogOptions) -> Result<BacklogRun, NetError> {
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let bind_err = |e| NetError::bind(any, e);
    let listener =
        Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).map_err(bind_err)?;
    listener.bind(&any.into()).map_err(bind_err)?;
    listener.listen(backlog).map_err(bind_err)?;
    let addr = listener
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .ok_or_else(|| demo_error("no local address", io::ErrorKind::Other.into()))?;

    let overflows_before = listen_overflows();
    // The server stops when `stop_tx` is dropped.
    let (stop_tx, stop_rx) = bounded::<()>(0);
    let pause = opts.accept_pause;
    let server = spawn("pitfall-backlog-server", move || {
        busy_accept_loop(&listener, pause, &stop_rx)
    })?;

    // Every client reports "ready", then waits for the starting signal
    // (the sender is dropped), so all call connect() at the same moment.
    let (ready_tx, ready_rx) = unbounded::<()>();
    let (go_tx, go_rx) = bounded::<()>(0);
    let mut clients = Vec::with_capacity(opts.clients);
    let timeout = opts.connect_timeout;
    for i in 0..opts.clients {
        let (ready_tx, go_rx) = (ready_tx.clone(), go_rx.clone());
        let spawned = spawn(&format!("pitfall-backlog-client-{i}"), move || {
            let _ = ready_tx.send(());
            // Released when the sender is dropped (or after 10 s anyway).
            let _ = go_rx.recv_timeout(Duration::from_secs(10));
            timed_connect(addr, timeout)
        });
        match spawned {
            Ok(handle) => clients.push(handle),
            Err(e) => {
                // Release and collect the clients already started.
                drop(go_tx);
                for client in clients {
                    let _ = client.join();
                }
                return Err(e);
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for _ in 0..opts.clients {
        if ready_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_err()
        {
            break;
        }
    }
    drop(go_tx); // go!
    let mut outcomes = Vec::with_capacity(clients.len());
    // The connected sockets stay open until every client is done.
    let mut sockets = Vec::with_capacity(clients.len());
    for client in clients {
        match client.join() {
            Ok((outcome, socket)) => {
                outcomes.push(outcome);
                sockets.extend(socket);
            }
            Err(_) => outcomes.push(ConnectOutcome::Failed {
                after: Duration::ZERO,
                kind: io::ErrorKind::Other,
                message: "the client thread failed".to_owned(),
            }),
        }
    }
    drop(stop_tx);
    let _ = server.join();
    drop(sockets);
    let listen_overflows = match (overflows_before, listen_overflows()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };

    let connected = || {
        outcomes.iter().filter_map(|o| match o {
            ConnectOutcome::Connected(t) => Some(*t),
            ConnectOutcome::Failed { .. } => None,
        })
    };
    let fast = connected().filter(|t| *t < FAST_CONNECT).count();
    let retransmitted = connected().filter(|t| *t >= RETRANSMITTED_CONNECT).count();
    let all_connected = connected().count();
    Ok(BacklogRun {
        backlog,
        fast,
        retransmitted,
        slow: all_connected - fast - retransmitted,
        failed: outcomes.len() - all_connected,
        slowest: connected().max(),
        listen_overflows,
        outcomes,
    })
}

/// One client: a fresh socket, `connect()` with a timeout, timed.
fn timed_connect(addr: SocketAddr, timeout: Duration) -> (ConnectOutcome, Option<Socket>) {
    let began = Instant::now();
    let result = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).and_then(|socket| {
        socket
            .connect_timeout(&addr.into(), timeout)
            .map(|()| socket)
    });
    let after = began.elapsed();
    match result {
        Ok(socket) => (ConnectOutcome::Connected(after), Some(socket)),
        Err(e) => (
            ConnectOutcome::Failed {
                after,
                kind: e.kind(),
                message: e.to_string(),
            },
            None,
        ),
    }
}

/// A busy server's accept loop: it does not call `accept()` for `pause`
/// (the demo's setup, not a synchronisation), then accepts at full speed
/// until told to stop, keeping the connections open.
fn busy_accept_loop(listener: &Socket, pause: Duration, stop: &Receiver<()>) {
    if !matches!(stop.recv_timeout(pause), Err(RecvTimeoutError::Timeout)) {
        return; // stopped during the pause
    }
    if listener.set_nonblocking(true).is_err() {
        return;
    }
    let mut accepted = Vec::new();
    loop {
        match listener.accept() {
            Ok((socket, _)) => accepted.push(socket),
            // Nothing waiting: look again in a millisecond, unless stopped.
            Err(_) => match stop.recv_timeout(Duration::from_millis(1)) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            },
        }
    }
}

/// The kernel's count of handshakes dropped because an accept queue was
/// full (`TcpExt: ListenOverflows` in `/proc/net/netstat`).
fn listen_overflows() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = text.lines();
    while let Some(names) = lines.next() {
        let values = lines.next()?;
        if let (Some(names), Some(values)) = (
            names.strip_prefix("TcpExt:"),
            values.strip_prefix("TcpExt:"),
        ) {
            let at = names
                .split_whitespace()
                .position(|n| n == "ListenOverflows")?;
            return values.split_whitespace().nth(at)?.parse().ok();
        }
    }
    None
}

/// A number from a file under `/proc/sys` (None elsewhere).
fn read_sysctl(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

// ─────────────────────────── 4. TIME_WAIT, SO_REUSEADDR ──────────────────────

/// How long a connection stays in TIME_WAIT on Linux (`TCP_TIMEWAIT_LEN`,
/// fixed in the kernel: 2·MSL with MSL = 30 s).
#[cfg(target_os = "linux")]
pub const TIME_WAIT_LEN: Option<Duration> = Some(Duration::from_secs(60));
/// Unknown on this system.
#[cfg(not(target_os = "linux"))]
pub const TIME_WAIT_LEN: Option<Duration> = None;

/// Why a `bind()` failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindFailure {
    /// `AddrInUse` when the port is held.
    pub kind: io::ErrorKind,
    /// The system's error number (98 is `EADDRINUSE` on Linux).
    pub os_code: Option<i32>,
    /// The system's words.
    pub message: String,
}

/// What [`time_wait_rebind`] measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeWaitReport {
    /// The server's port, bound again after it stopped.
    pub port: u16,
    /// The server's end of the finished connection, and the client's.
    pub server_end: SocketAddr,
    /// The client's end (its port was chosen by the system).
    pub client_end: SocketAddr,
    /// The state the kernel reported for the server's end after the
    /// dialogue (None: could not be read, see `state_error`).
    pub old_state: Option<TcpState>,
    /// In TIME_WAIT: how long it had left when read.
    pub time_wait_left: Option<Duration>,
    /// Why the state could not be read (e.g. not Linux).
    pub state_error: Option<String>,
    /// `bind()` + `listen()` on the port without `SO_REUSEADDR`.
    pub plain_bind: Result<(), BindFailure>,
    /// The same with `SO_REUSEADDR`.
    pub reuse_bind: Result<(), BindFailure>,
    /// How long TIME_WAIT lasts on this system, if known.
    pub time_wait_len: Option<Duration>,
}

/// TIME_WAIT keeps a port busy after the server stops.
///
/// Setup: our server and a client run the dialogue to its end (`exit`,
/// `Good bye!`). Our server closes first, so its end of the connection
/// goes to TIME_WAIT when the client's FIN arrives; the kernel's state
/// reader confirms it. Then the server stops, and a new listener tries the
/// same port. Without `SO_REUSEADDR`, Linux refuses: the TIME_WAIT
/// connection still holds the address (`EADDRINUSE`) for up to 60 s. With
/// it, the bind succeeds. Rust's `TcpListener::bind` sets `SO_REUSEADDR`
/// on Unix (so does our server), which is why the first try uses `socket2`
/// directly.
pub fn time_wait_rebind() -> Result<TimeWaitReport, NetError> {
    let (tx, rx) = unbounded();
    let config = ServerConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        pace: Duration::ZERO,
        ..ServerConfig::default()
    };
    let server = Server::start(config, EventSender::new(tx))?;
    let server_end = server.local_addr();
    let dialogue = full_dialogue(server_end);
    let client_end = match dialogue {
        Ok(addr) => addr,
        Err(e) => {
            server.stop();
            return Err(e);
        }
    };
    // Our server reports the connection closed after its FIN is queued.
    let _ = wait_closed(&rx, EXCHANGE_TIMEOUT);
    let key = SocketKey {
        local: server_end,
        remote: client_end,
    };
    let (old_state, time_wait_left, state_error) = match wait_for_state(&key, TcpState::TimeWait) {
        Ok((state, left)) => (Some(state), left, None),
        Err(why) => (None, None, Some(why)),
    };
    server.stop();
    if !server.wait_stopped(EXCHANGE_TIMEOUT) {
        return Err(demo_error(
            "the server did not stop",
            io::ErrorKind::TimedOut.into(),
        ));
    }
    Ok(TimeWaitReport {
        port: server_end.port(),
        server_end,
        client_end,
        old_state,
        time_wait_left,
        state_error,
        plain_bind: try_bind(server_end, false),
        reuse_bind: try_bind(server_end, true),
        time_wait_len: TIME_WAIT_LEN,
    })
}

/// Welcome, prompt, `exit`, good bye, end of stream; then the client
/// closes. Returns the client's address.
fn full_dialogue(addr: SocketAddr) -> Result<SocketAddr, NetError> {
    let exchange = |e| demo_error("the dialogue failed", e);
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|e| demo_error("cannot connect to our server", e))?;
    let local = stream.local_addr().map_err(exchange)?;
    let mut buf = Vec::new();
    read_until_prompt(&mut stream, &mut buf).map_err(exchange)?;
    stream.write_all(EXIT).map_err(exchange)?;
    // Good bye!, then the server's FIN (read returns 0): the server closed first.
    buf.clear();
    stream.read_to_end(&mut buf).map_err(exchange)?;
    if buf != GOOD_BYE {
        return Err(demo_error(
            "expected Good bye!",
            io::ErrorKind::InvalidData.into(),
        ));
    }
    Ok(local) // dropping the stream sends our FIN
}

/// Reads the kernel's state of `key` until it is `want` (states change a
/// moment after the segment that changes them); after a second, returns
/// whatever state it is in.
fn wait_for_state(key: &SocketKey, want: TcpState) -> Result<(TcpState, Option<Duration>), String> {
    let mut reader = StateReader::new().map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let seen = reader.read(key).map_err(|e| e.to_string())?;
        if seen.state == want || Instant::now() >= deadline {
            return Ok((seen.state, seen.time_wait_left));
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// `socket()`, `bind()`, `listen()` on `addr`, with or without
/// `SO_REUSEADDR`; the socket is closed again at once.
fn try_bind(addr: SocketAddr, reuse: bool) -> Result<(), BindFailure> {
    let attempt = || -> io::Result<()> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(reuse)?;
        socket.bind(&addr.into())?;
        socket.listen(5)
    };
    attempt().map_err(|e| BindFailure {
        kind: e.kind(),
        os_code: e.raw_os_error(),
        message: e.to_string(),
    })
}

// ───────────────────────────── 5. empty recv (EOF) ────────────────────────────

/// Settings of [`empty_recv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmptyRecvOptions {
    /// The naive server is stopped after this many turns of its loop…
    pub max_iterations: u64,
    /// …or after this long, whichever comes first.
    pub max_time: Duration,
}

impl Default for EmptyRecvOptions {
    fn default() -> Self {
        EmptyRecvOptions {
            max_iterations: 10_000,
            max_time: Duration::from_secs(1),
        }
    }
}

/// How the client leaves without saying `exit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leave {
    /// It closes its socket (the program ends, Ctrl+C…).
    Close,
    /// It shuts down its sending side only and goes on reading (like
    /// `nc -N`, or a program that has nothing more to say).
    HalfClose,
}

/// How the naive server's loop ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NaiveEnd {
    /// A `send` failed (the peer is gone).
    SendFailed {
        kind: io::ErrorKind,
        message: String,
    },
    /// A `recv` failed (e.g. reset by the peer).
    RecvFailed {
        kind: io::ErrorKind,
        message: String,
    },
    /// The demo's cap stopped it: it would have gone on.
    Capped,
}

/// The naive server against one leaving client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NaiveServerRun {
    /// How the client left.
    pub leave: Leave,
    /// How many times `recv` returned no bytes.
    pub empty_recvs: u64,
    /// How many `Hello !\n` it sent (successfully) to nobody.
    pub hellos_sent: u64,
    /// What stopped the loop.
    pub end: NaiveEnd,
    /// From the first empty `recv` to the end of the loop.
    pub elapsed: Duration,
}

/// What [`empty_recv`] measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmptyRecvReport {
    /// The caps the naive server ran with (see [`EmptyRecvOptions`]).
    pub max_iterations: u64,
    pub max_time: Duration,
    /// The naive server, the client closing its socket.
    pub closed: NaiveServerRun,
    /// The naive server, the client half-closing.
    pub half_closed: NaiveServerRun,
    /// Our server against the closing client: the reason of its `Closed`
    /// event (None: no such event came in time).
    pub ours: Option<CloseReason>,
    /// How many `Closed` events our server sent for that connection.
    pub ours_closed_events: usize,
}

/// `recv` returning nothing means the peer has closed: stop.
///
/// Setup: a tutorial-style server (written below) that never checks for an
/// empty `recv`: on no bytes it greets the "name" `""` with `Hello !\n`,
/// asks again and reads again. A client reads the welcome and the prompt,
/// then leaves without `exit`:
///
/// - [`Leave::Close`]: it closes its socket. The server's `recv` returns
///   nothing, it sends `Hello !\n`; the client's kernel answers that with a
///   reset (RST), as the socket is gone, and the next `send` or `recv`
///   fails. On loopback the reset comes back at once, so the loop turns
///   only once or twice: the bug costs little, but the server greets
///   nobody. Over a real network the loop runs until the reset arrives.
/// - [`Leave::HalfClose`]: it only shuts down its sending side and goes on
///   reading. Nothing ever fails: the server spins, greeting nobody
///   thousands of times, until the demo's cap stops it.
///
/// Then our server meets the closing client: one `Closed` event, reason EOF.
pub fn empty_recv(opts: EmptyRecvOptions) -> Result<EmptyRecvReport, NetError> {
    let closed = naive_eof_run(Leave::Close, opts)?;
    let half_closed = naive_eof_run(Leave::HalfClose, opts)?;
    let (ours, ours_closed_events) = with_our_server(Duration::ZERO, |addr, rx| {
        let client = spawn("pitfall-eof-client", move || {
            leaving_client(addr, Leave::Close)
        })?;
        let reason = wait_closed(rx, EXCHANGE_TIMEOUT);
        let _ = client.join();
        Ok(reason)
    })
    .map(|(reason, closed_later)| {
        let count = usize::from(reason.is_some()) + closed_later;
        (reason, count)
    })?;
    Ok(EmptyRecvReport {
        max_iterations: opts.max_iterations,
        max_time: opts.max_time,
        closed,
        half_closed,
        ours,
        ours_closed_events,
    })
}

fn naive_eof_run(leave: Leave, opts: EmptyRecvOptions) -> Result<NaiveServerRun, NetError> {
    let listener = bind_loopback()?;
    let addr = listener
        .local_addr()
        .map_err(|e| demo_error("no local address", e))?;
    let client = spawn("pitfall-eof-client", move || leaving_client(addr, leave))?;
    let run = accept_within(&listener, CONNECT_TIMEOUT)
        .map_err(|e| demo_error("the client did not connect", e))
        .and_then(|stream| naive_eof_server(stream, leave, opts));
    let _ = client.join();
    run
}

/// The tutorial's server loop, without the check for an empty `recv`.
fn naive_eof_server(
    mut stream: TcpStream,
    leave: Leave,
    opts: EmptyRecvOptions,
) -> Result<NaiveServerRun, NetError> {
    let setup = |e| demo_error("cannot set up the naive server", e);
    stream
        .set_read_timeout(Some(EXCHANGE_TIMEOUT))
        .map_err(setup)?;
    stream
        .set_write_timeout(Some(EXCHANGE_TIMEOUT))
        .map_err(setup)?;
    stream.write_all(WELCOME).map_err(setup)?;
    let mut empty_recvs = 0;
    let mut hellos_sent = 0;
    let mut first_empty: Option<Instant> = None;
    let mut buf = [0u8; 1024];
    let send_failed = |e: io::Error| NaiveEnd::SendFailed {
        kind: e.kind(),
        message: e.to_string(),
    };
    let mut iterations = 0;
    let end = loop {
        if iterations >= opts.max_iterations
            || first_empty.is_some_and(|t| t.elapsed() >= opts.max_time)
        {
            break NaiveEnd::Capped;
        }
        iterations += 1;
        // sock.send(b'Whats your name?')
        if let Err(e) = stream.write_all(PROMPT) {
            break send_failed(e);
        }
        // data = sock.recv(1024)
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                break NaiveEnd::RecvFailed {
                    kind: e.kind(),
                    message: e.to_string(),
                };
            }
        };
        if n == 0 {
            // The bug: nothing checks this. The peer has closed.
            empty_recvs += 1;
            first_empty.get_or_insert_with(Instant::now);
        }
        let name = &buf[..n];
        if name == EXIT {
            let _ = stream.write_all(GOOD_BYE);
            break NaiveEnd::Capped;
        }
        // sock.send(b'Hello ' + data + b'!\n')
        let mut hello = Vec::from(HELLO_PREFIX);
        hello.extend_from_slice(name);
        hello.extend_from_slice(b"!\n");
        if let Err(e) = stream.write_all(&hello) {
            break send_failed(e);
        }
        if n == 0 {
            hellos_sent += 1;
        }
    };
    Ok(NaiveServerRun {
        leave,
        empty_recvs,
        hellos_sent,
        end,
        elapsed: first_empty.map(|t| t.elapsed()).unwrap_or_default(),
    })
}

/// A client that reads the welcome and the prompt, then leaves without
/// `exit`. It reads the prompt too, so nothing unread is left in its
/// socket: closing with unread bytes would send a reset instead of FIN.
fn leaving_client(addr: SocketAddr, leave: Leave) -> Result<(), NetError> {
    let exchange = |e| demo_error("the leaving client failed", e);
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|e| demo_error("cannot connect", e))?;
    let mut buf = Vec::new();
    read_until_prompt(&mut stream, &mut buf).map_err(exchange)?;
    match leave {
        Leave::Close => Ok(()), // dropping the stream closes it
        Leave::HalfClose => {
            stream.shutdown(Shutdown::Write).map_err(exchange)?;
            // Read (and drop) whatever comes, until the server closes.
            let mut sink = [0u8; 16 * 1024];
            loop {
                match stream.read(&mut sink) {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(exchange(e)),
                }
            }
        }
    }
}

// ───────────────────────────────── helpers ───────────────────────────────────

/// How long a demo waits for a connection on loopback.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a demo waits for an answer that should come at once.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(3);

/// A setup failure, in words.
///
/// [`NetError`] has no variant for "a demo failed"; its `Bind` variant
/// carries a message and the system's error, which is what is needed.
fn demo_error(what: &str, source: io::Error) -> NetError {
    NetError::Bind {
        message: format!("pitfall demo: {what}: {source}"),
        source,
    }
}

/// True for the error a read timeout gives (Unix says "would block").
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A listener on 127.0.0.1 with a port the system picks.
fn bind_loopback() -> Result<TcpListener, NetError> {
    let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
    TcpListener::bind(addr).map_err(|e| NetError::bind(addr, e))
}

/// Starts a named thread.
fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<JoinHandle<T>, NetError> {
    thread::Builder::new()
        .name(name.to_owned())
        .stack_size(256 * 1024)
        .spawn(f)
        .map_err(NetError::Thread)
}

/// `accept()`, giving up after `timeout` (a plain `accept` would wait
/// forever if the client never came).
fn accept_within(listener: &TcpListener, timeout: Duration) -> io::Result<TcpStream> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + timeout;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(io::ErrorKind::TimedOut.into());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads into `buf` until it ends with the prompt (the only message
/// without a line break), waiting at most [`EXCHANGE_TIMEOUT`] in all.
fn read_until_prompt(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    let deadline = Instant::now() + EXCHANGE_TIMEOUT;
    let mut chunk = [0u8; 1024];
    while !buf.ends_with(PROMPT) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut chunk)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Ok(())
}

/// Waits for the first `Closed` event of a server connection; its reason.
fn wait_closed(rx: &Receiver<NetEvent>, timeout: Duration) -> Option<CloseReason> {
    let deadline = Instant::now() + timeout;
    loop {
        let event = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()?;
        if let (Origin::ServerConn(_), EventKind::Closed { reason }) = (event.origin, event.kind) {
            return Some(reason);
        }
    }
}

/// Starts our server on 127.0.0.1:0 with `pace`, runs `f` against it, stops
/// it, and returns what `f` returned with the number of further `Closed`
/// events of server connections seen until the server stopped.
fn with_our_server<T>(
    pace: Duration,
    f: impl FnOnce(SocketAddr, &Receiver<NetEvent>) -> Result<T, NetError>,
) -> Result<(T, usize), NetError> {
    let (tx, rx) = unbounded();
    let config = ServerConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        pace,
        ..ServerConfig::default()
    };
    let server = Server::start(config, EventSender::new(tx))?;
    let result = f(server.local_addr(), &rx);
    server.stop();
    let mut closed_later = 0;
    let deadline = Instant::now() + EXCHANGE_TIMEOUT;
    while let Ok(event) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        match event.kind {
            EventKind::Stopped => break,
            EventKind::Closed { .. } if matches!(event.origin, Origin::ServerConn(_)) => {
                closed_later += 1;
            }
            _ => {}
        }
    }
    result.map(|value| (value, closed_later))
}
