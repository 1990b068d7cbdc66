//! Captured segments as events of the connection they belong to.
//!
//! A [`Capture`] reports every segment of the watched ports. The window
//! wants them per connection, beside that connection's other events, so
//! that its diagram can draw the real SYN, SYN+ACK, ACK and FIN arrows.
//! A [`SegmentRecorder`] does that: whoever sees a connection start tells
//! it which origin owns that connection ([`SegmentRecorder::attach`]), and
//! each segment between those two addresses becomes an
//! [`EventKind::Segment`] of that origin.
//!
//! The first segments of a connection (its SYN) can arrive before the
//! news of who owns it: the window learns of a new connection from an
//! event, a moment after the client sent its SYN. Segments nobody owns yet
//! are therefore kept for a few seconds ([`PENDING_FOR`], at most
//! [`MAX_PENDING`]) and reported, with their own times, once their owner
//! is known. Segments of connections nobody owns are then forgotten.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select, unbounded};

use super::{Capture, CaptureError, Segment};
use crate::net::event::{EventKind, EventSender, Origin};
use crate::net::tcp_state::SocketKey;

/// How long a segment nobody owns yet is kept.
pub const PENDING_FOR: Duration = Duration::from_secs(3);

/// The most segments kept while nobody owns them (a load test on a
/// watched port makes many): the oldest are dropped first.
pub const MAX_PENDING: usize = 10_000;

/// A connection, whichever way a segment goes: its two addresses, the
/// smaller first.
type Pair = (SocketAddr, SocketAddr);

fn pair(a: SocketAddr, b: SocketAddr) -> Pair {
    if a <= b { (a, b) } else { (b, a) }
}

/// Runs a [`Capture`] and turns its segments into events of their
/// connection's owner. Dropping it stops both threads.
pub struct SegmentRecorder {
    capture: Capture,
    owners: Sender<(Pair, Origin)>,
}

impl SegmentRecorder {
    /// Starts capturing (no port watched yet). Fails like
    /// [`Capture::start`]: without `CAP_NET_RAW`, or outside Linux.
    pub fn start(events: EventSender) -> Result<SegmentRecorder, CaptureError> {
        let (segment_tx, segments) = unbounded();
        let capture = Capture::start(&[], segment_tx)?;
        let (owners, owner_rx) = unbounded();
        thread::Builder::new()
            .name("segments".to_owned())
            .spawn(move || route(&segments, &owner_rx, &events))?;
        Ok(SegmentRecorder { capture, owners })
    }

    /// Captures the segments from or to `port` from now on (a server's
    /// port: every connection to it).
    pub fn watch_port(&self, port: u16) {
        self.capture.watch_port(port);
    }

    /// Reports the segments of the connection `key` (seen from its owner:
    /// local and remote address) as events of `origin`, including those
    /// captured in the last few seconds. A later owner of the same pair
    /// of addresses replaces an earlier one.
    pub fn attach(&self, origin: Origin, key: SocketKey) {
        let _ = self.owners.send((pair(key.local, key.remote), origin));
    }
}

/// The body of the `segments` thread.
fn route(segments: &Receiver<Segment>, owners: &Receiver<(Pair, Origin)>, events: &EventSender) {
    let mut owner_of: HashMap<Pair, Origin> = HashMap::new();
    let mut pending: VecDeque<(Instant, Segment)> = VecDeque::new();
    let report = |origin: Origin, segment: Segment| {
        events.emit_at(segment.time, origin, EventKind::Segment { segment });
    };
    loop {
        select! {
            recv(segments) -> segment => {
                // The capture stopped (its handle was dropped): stop too.
                let Ok(segment) = segment else { return };
                match owner_of.get(&pair(segment.src, segment.dst)) {
                    Some(origin) => report(*origin, segment),
                    None => {
                        if pending.len() == MAX_PENDING {
                            pending.pop_front();
                        }
                        pending.push_back((Instant::now(), segment));
                    }
                }
            }
            recv(owners) -> owner => {
                let Ok((key, origin)) = owner else { return };
                owner_of.insert(key, origin);
                // Hand over what arrived before the owner was known, in
                // the order it was captured.
                let (theirs, others): (VecDeque<_>, VecDeque<_>) = pending
                    .drain(..)
                    .partition(|(_, s)| pair(s.src, s.dst) == key);
                pending = others;
                for (_, segment) in theirs {
                    report(origin, segment);
                }
            }
            default(Duration::from_secs(1)) => {}
        }
        let now = Instant::now();
        while pending
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > PENDING_FOR)
        {
            pending.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_the_same_both_ways() {
        let a: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        assert_eq!(pair(a, b), pair(b, a));
        assert_eq!(pair(a, b).0, b);
    }
}
