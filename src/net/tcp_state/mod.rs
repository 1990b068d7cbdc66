//! Real TCP states, read from the operating system.
//!
//! The kernel keeps a state for every TCP socket (LISTEN, ESTABLISHED,
//! FIN_WAIT_1, TIME_WAIT, …). This module asks the kernel for the state of
//! one socket, named by its 4-tuple (local address and port, remote address
//! and port), without any privilege:
//!
//! - on Linux through `NETLINK_SOCK_DIAG` (see [`linux`]), an exact lookup
//!   per socket, which also sees TIME_WAIT sockets after the program closed
//!   them, with the time they have left;
//! - on Windows through the system's TCP table (see [`windows`]), one copy
//!   of which answers for every socket the app watches; it also lists
//!   TIME_WAIT sockets, but not the time they have left;
//! - on other systems (macOS among them, for now), [`StateReader::new`]
//!   says that it cannot, instead of guessing.

#![forbid(unsafe_code)]

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[cfg(target_os = "linux")]
pub mod linux;
// Parsed and tested on every system; read from the OS only on Windows.
#[cfg(any(windows, test))]
pub mod windows;

/// The states of RFC 793's state machine, plus `Closed` for "no such socket".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TcpState {
    /// Waiting for connections (a listening socket).
    Listen,
    /// `connect()` sent SYN; waiting for SYN+ACK.
    SynSent,
    /// SYN received, SYN+ACK sent; waiting for the final ACK.
    SynRecv,
    /// The connection is open: data flows both ways.
    Established,
    /// We closed first and sent FIN; waiting for its ACK.
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's FIN (half-closed).
    FinWait2,
    /// The peer closed first; we have not closed yet.
    CloseWait,
    /// We closed after the peer; waiting for the ACK of our FIN.
    LastAck,
    /// Both sides closed at the same time.
    Closing,
    /// We closed first and all is acknowledged; waiting 2·MSL so late
    /// segments of this connection die out.
    TimeWait,
    /// No such socket: never opened, or fully gone.
    Closed,
}

impl TcpState {
    /// The name used in textbooks and by `netstat`/`ss`: `FIN_WAIT_1`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::FinWait2 => "FIN_WAIT_2",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::Closing => "CLOSING",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Closed => "CLOSED",
        }
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Names one TCP socket: its own address and its peer's. A listening
/// socket has no peer: use an unspecified address with port 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SocketKey {
    /// The socket's own address and port.
    pub local: SocketAddr,
    /// The peer's address and port.
    pub remote: SocketAddr,
}

impl SocketKey {
    /// The key of a listening socket bound to `local`.
    pub fn listener(local: SocketAddr) -> SocketKey {
        let remote = match local {
            SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
            SocketAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
        };
        SocketKey { local, remote }
    }
}

/// What the kernel said about one socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Its state.
    pub state: TcpState,
    /// In TIME_WAIT, how long it has left before it disappears.
    pub time_wait_left: Option<Duration>,
}

/// Why the state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// This operating system offers no way this program knows to read
    /// TCP states.
    #[error("reading TCP states is not supported on this operating system yet")]
    Unsupported,
    /// The kernel interface failed.
    #[error("cannot read TCP states: {0}")]
    Io(#[from] std::io::Error),
    /// The kernel answered with something this program does not understand.
    #[error("cannot read TCP states: unexpected answer from the kernel ({0})")]
    Protocol(&'static str),
}

/// Reads TCP states from the kernel. One reader serves one thread.
pub struct StateReader {
    #[cfg(target_os = "linux")]
    inner: linux::SockDiag,
    #[cfg(windows)]
    inner: windows::TcpTable,
}

impl StateReader {
    /// Opens the kernel interface; fails where the platform has none.
    pub fn new() -> Result<StateReader, StateError> {
        #[cfg(target_os = "linux")]
        {
            Ok(StateReader {
                inner: linux::SockDiag::open()?,
            })
        }
        #[cfg(windows)]
        {
            Ok(StateReader {
                inner: windows::TcpTable::open()?,
            })
        }
        #[cfg(not(any(target_os = "linux", windows)))]
        {
            Err(StateError::Unsupported)
        }
    }

    /// The current state of the socket `key`; [`TcpState::Closed`] when the
    /// kernel has no such socket.
    pub fn read(&mut self, key: &SocketKey) -> Result<Observation, StateError> {
        #[cfg(any(target_os = "linux", windows))]
        {
            self.inner.read(key)
        }
        #[cfg(not(any(target_os = "linux", windows)))]
        {
            let _ = key;
            Err(StateError::Unsupported)
        }
    }
}
