//! The network side: the name dialogue, the server and the client.
//!
//! Nothing here knows about windows or widgets. Threads own the sockets and
//! report what they do as [`NetEvent`]s over a crossbeam channel; whoever
//! holds the receiving end (the window, the command line, a test) decides
//! what to show.
//!
//! - [`protocol`]: the server side of the dialogue, pure (bytes in, replies out).
//! - [`parser`]: the client side, pure (a byte stream in, messages out).
//! - [`server`]: the listener thread and one thread per client.
//! - [`recv`]: a `recv()` that another thread can end (kick, stop, close), Windows included.
//! - [`client`]: one connection, with a reader and a sender thread.
//! - [`event`]: the events every thread reports, and [`EventSender`].
//! - [`calls`]: each socket call (`accept`, `recv`, …) as it is made and returns.
//! - [`config`]: checked settings, parsed from what the user typed.
//! - [`gate`]: step mode, holding the dialogue before each step.
//! - [`tcp_state`]: the real TCP state of a socket, read from the kernel.
//! - [`watch`]: a thread that reports each socket's state changes as events.
//! - [`capture`]: the real TCP segments on loopback, with seq/ack numbers.
//! - [`lifecycle`]: the TCP state machine, to fill in states too short to see.
//! - [`linger`]: closing with bytes still queued, to hold FIN_WAIT_1 and LAST_ACK.
//! - [`load`]: bots, many clients at once, to measure a server (`bench`, the Load panel).
//! - [`pace`]: at most N operations a second shared by many threads (the bots' rate limit).
//! - [`pitfall`]: five classic TCP mistakes shown on real sockets, with measured figures.
//! - [`bytes`], [`error`]: raw bytes shown safely; errors in plain words.
//! - [`sys`]: the few system calls made with `unsafe` (deferred accept, capture times,
//!   Windows' TCP table, its console and its `WSAPoll`).

pub mod bytes;
pub mod calls;
pub mod capture;
pub mod client;
pub mod config;
pub mod error;
pub mod event;
pub mod gate;
pub mod lifecycle;
pub mod linger;
pub mod load;
pub mod pace;
pub mod parser;
pub mod pitfall;
pub mod protocol;
pub mod recv;
pub mod server;
pub mod sys;
pub mod tcp_state;
pub mod watch;

pub use bytes::{Bytes, TextEncoding};
pub use client::{Client, ClientCommand};
pub use config::{ClientConfig, ConfigError, ServerConfig};
pub use error::NetError;
pub use event::{
    CloseReason, EventKind, EventSender, NetEvent, Origin, ServerMessage, Waker, drain_every,
};
pub use protocol::Heard;
pub use server::Server;
