//! Real TCP segments, captured on the loopback interface.
//!
//! [`crate::net::tcp_state`] asks the kernel what state a socket is in;
//! this module watches the segments themselves, with their real sequence
//! and acknowledgement numbers, so the app can draw the SYN, SYN+ACK, ACK
//! and FIN arrows of a dialogue as they really were.
//!
//! # A packet socket
//!
//! An ordinary TCP socket only ever sees the bytes of its own stream; the
//! kernel builds and reads the TCP headers for it. A *packet socket*
//! (`AF_PACKET`) sits one floor lower: it receives a copy of every frame a
//! network device sends or receives, headers included — this is how
//! `tcpdump` and Wireshark work on Linux. From each frame we read the
//! Ethernet, IP and TCP headers ([`segment`]) and report a [`Segment`] if
//! it belongs to a port being watched.
//!
//! # Why each loopback frame is seen twice
//!
//! Traffic from this machine to itself goes through the loopback device
//! `lo` (also traffic to the machine's own non-127.x addresses). A packet
//! socket gets a copy of a frame when a device transmits it and another
//! when a device receives it; on `lo` the same frame is transmitted and
//! immediately received, so it shows up twice, byte for byte identical.
//! The kernel marks the first copy `PACKET_OUTGOING`; the filter we give
//! the kernel (see [`linux`]) drops those, so each segment is reported
//! once. This is better than dropping "the same bytes again" in user
//! space: it costs nothing, needs no timing guess, and a real
//! retransmission (which *is* the same bytes again) is still reported.
//!
//! # Why it needs `CAP_NET_RAW`
//!
//! A packet socket sees everyone's traffic, passwords included, so Linux
//! only lets a process open one if it is root or has the capability
//! `CAP_NET_RAW`. The capability can be given to the program file alone
//! (see [`CaptureError::NoPrivilege`]); the window should never be run as
//! root just for this. Without it, the app falls back to arrows inferred
//! from the TCP state machine.
//!
//! # What this is not
//!
//! Not a general sniffer: only TCP over IPv4 or IPv6 (without extension
//! headers), only on loopback, only the headers (at most
//! [`linux::SNAPLEN`] bytes of each frame are copied). Other systems get
//! [`CaptureError::Unsupported`]; the parser in [`segment`] works
//! everywhere.

#![forbid(unsafe_code)]

use crossbeam_channel::Sender;

pub mod recorder;
pub mod segment;

#[cfg(target_os = "linux")]
pub mod linux;

pub use recorder::SegmentRecorder;
pub use segment::{Flags, NotASegment, Segment, parse_ethernet, parse_ip};

/// Why a capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The process may not open a packet socket: it needs `CAP_NET_RAW`.
    #[error(
        "capturing segments needs CAP_NET_RAW: run  sudo setcap cap_net_raw+ep \"$(command -v tcp-playground)\"  (or run trace as root)"
    )]
    NoPrivilege,
    /// This operating system has no capture this program knows.
    #[error("capturing segments is only supported on Linux")]
    Unsupported,
    /// The operating system refused for another reason.
    #[error("cannot capture segments: {0}")]
    Io(#[from] std::io::Error),
}

/// What the [`Capture`] handle tells its thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Outside Linux there is no thread to read the ports.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) enum Command {
    /// Report segments from or to this port too.
    Watch(u16),
    /// Stop reporting segments of this port.
    Unwatch(u16),
}

/// A running capture: a thread named `capture` that sends each watched
/// [`Segment`] to a channel, in the order the kernel saw them.
///
/// A segment is watched when its source or destination port is one of the
/// watched ports: watching a server's port shows both directions of every
/// connection to it. Dropping the handle stops the thread (within
/// ~50 ms) and closes the channel; so does a read error, which is logged.
pub struct Capture {
    /// Commands to the thread; dropping it is what stops the thread.
    commands: Option<Sender<Command>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Capture {
    /// Starts capturing segments to or from `ports`, sent to `on_segment`.
    ///
    /// Fails with [`CaptureError::NoPrivilege`] when the process lacks
    /// `CAP_NET_RAW`, [`CaptureError::Unsupported`] outside Linux.
    pub fn start(ports: &[u16], on_segment: Sender<Segment>) -> Result<Capture, CaptureError> {
        #[cfg(target_os = "linux")]
        {
            let socket = linux::open()?;
            let (commands, receiver) = crossbeam_channel::unbounded();
            let ports = ports.to_vec();
            let thread = std::thread::Builder::new()
                .name("capture".to_owned())
                .spawn(move || linux::run(socket, ports, receiver, on_segment))?;
            Ok(Capture {
                commands: Some(commands),
                thread: Some(thread),
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (ports, on_segment);
            Err(CaptureError::Unsupported)
        }
    }

    /// Also reports segments from or to `port`, from the next frame the
    /// thread reads: call it before the connection starts to see its SYN.
    pub fn watch_port(&self, port: u16) {
        self.send(Command::Watch(port));
    }

    /// Stops reporting segments of `port`.
    pub fn unwatch_port(&self, port: u16) {
        self.send(Command::Unwatch(port));
    }

    fn send(&self, command: Command) {
        if let Some(commands) = &self.commands {
            // A send fails only if the thread has already stopped (after a
            // read error, or because nobody listens to its segments):
            // then there is nothing left to tell it.
            let _ = commands.send(command);
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // The thread sees the disconnected channel after its current read
        // times out, and returns; waiting for it closes the socket now
        // rather than some time later.
        drop(self.commands.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_privilege_says_in_one_line_how_to_grant_it() {
        let text = CaptureError::NoPrivilege.to_string();
        assert!(!text.contains('\n'));
        assert!(text.contains("CAP_NET_RAW"));
        assert!(text.contains("setcap cap_net_raw+ep"));
    }
}
