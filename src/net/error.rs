//! Socket errors in words a student understands.
//!
//! The operating system reports failures as error codes ("os error 98").
//! This module turns the ones a user can meet into sentences that say what
//! happened and what to try ("port 6000 is already in use").

#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;

use thiserror::Error;

use super::event::CloseReason;

/// A failure to start a server (or a thread), with a message for the user.
#[derive(Debug, Error)]
pub enum NetError {
    /// The listening socket could not be created, bound or put to listen.
    #[error("{message}")]
    Bind {
        /// The sentence shown to the user.
        message: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// Deferred accept (holding SYN_RECV) could not be set.
    #[error("cannot hold new connections in SYN_RECV: {0}")]
    DeferAccept(#[source] io::Error),
    /// The operating system refused to start another thread.
    #[error("cannot start a thread: {0}")]
    Thread(#[source] io::Error),
}

impl NetError {
    /// Explains why `addr` could not be bound and listened on.
    pub fn bind(addr: SocketAddr, source: io::Error) -> NetError {
        let port = addr.port();
        let ip = addr.ip();
        let message = match source.kind() {
            io::ErrorKind::AddrInUse => format!(
                "port {port} is already in use on {ip}: stop the other server or choose another port"
            ),
            io::ErrorKind::PermissionDenied => format!(
                "permission denied to listen on port {port}: ports below 1024 need special rights; use a port from 1024 up"
            ),
            io::ErrorKind::AddrNotAvailable => {
                format!("{ip} is not an address of this machine")
            }
            _ => format!("cannot listen on {addr}: {source}"),
        };
        NetError::Bind { message, source }
    }
}

/// Explains why a connection attempt to `target` failed.
pub fn connect_error_message(target: &str, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => {
            format!("connection to {target} refused: is the server running on that port?")
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            format!("connection to {target} timed out: no answer from that address")
        }
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            format!("{target} is unreachable from this machine")
        }
        io::ErrorKind::AddrNotAvailable => {
            format!("cannot connect to {target}: that address cannot be reached from here")
        }
        _ => format!("cannot connect to {target}: {error}"),
    }
}

/// Turns the error that ended an established connection into a reason.
pub fn close_reason(error: &io::Error) -> CloseReason {
    match error.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => CloseReason::Reset,
        // Writing to a connection the peer has closed.
        io::ErrorKind::BrokenPipe | io::ErrorKind::UnexpectedEof => CloseReason::Eof,
        // A read or write timeout (Unix reports it as "would block").
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => CloseReason::Timeout,
        _ => CloseReason::Error(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_in_use_says_so() {
        let addr: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        let err = NetError::bind(addr, io::Error::from(io::ErrorKind::AddrInUse));
        assert!(err.to_string().starts_with("port 6000 is already in use"));
    }

    #[test]
    fn refused_is_explained() {
        let msg = connect_error_message(
            "127.0.0.1:1",
            &io::Error::from(io::ErrorKind::ConnectionRefused),
        );
        assert!(msg.contains("refused"), "{msg}");
    }

    #[test]
    fn errors_map_to_reasons() {
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(close_reason(&reset), CloseReason::Reset);
        let timeout = io::Error::from(io::ErrorKind::WouldBlock);
        assert_eq!(close_reason(&timeout), CloseReason::Timeout);
    }
}
