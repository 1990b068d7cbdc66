//! How the transcript keeps a million events in little memory.
//!
//! A [`NetEvent`] is built for convenience: 128 bytes, plus a heap block
//! for its bytes. Under load (the Load panel's bots) the window records
//! tens of thousands of events a second, nearly all of four kinds: a
//! `recv()` called, bytes received, a name heard, bytes sent. A
//! [`Packed`] event keeps those four in 48 bytes, short payloads (up to
//! [`INLINE`] bytes, such as `bot` or `Whats your name?`) inside it with no
//! heap block at all; any other event is kept whole, boxed. Packing and
//! unpacking give back exactly the same event.

use chrono::{DateTime, Utc};

use crate::net::calls::Call;
use crate::net::event::{EventKind, NetEvent, Origin};
use crate::net::{Bytes, Heard};

/// Payloads up to this many bytes are kept inside the packed event.
pub const INLINE: usize = 22;

/// Bytes of a message: inside the event when short, else on the heap.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Payload {
    Inline { len: u8, data: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Payload {
    fn new(bytes: &Bytes) -> Payload {
        let bytes = bytes.as_slice();
        if bytes.len() <= INLINE {
            let mut data = [0; INLINE];
            data[..bytes.len()].copy_from_slice(bytes);
            Payload::Inline {
                len: bytes.len() as u8,
                data,
            }
        } else {
            Payload::Heap(bytes.into())
        }
    }

    fn bytes(&self) -> Bytes {
        match self {
            Payload::Inline { len, data } => Bytes::from(&data[..usize::from(*len)]),
            Payload::Heap(bytes) => Bytes::from(&bytes[..]),
        }
    }
}

/// The kinds of event that are packed; anything else is kept whole.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    CallStart(Call),
    Received(Payload),
    Sent(Payload),
    HeardName {
        name: Payload,
        cut: bool,
    },
    Other(Box<EventKind>),
    /// An event whose time or connection number does not fit (a time past
    /// the year 2262, a connection number past 4 billion): kept whole.
    Whole(Box<NetEvent>),
}

/// One event, packed. `time` is nanoseconds since the Unix epoch (enough
/// until the year 2262); `origin` is the socket's kind and number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packed {
    time: i64,
    origin: (u8, u32),
    kind: Kind,
}

impl Packed {
    /// Packs `event`; [`Packed::unpack`] gives it back exactly.
    pub fn pack(event: NetEvent) -> Packed {
        let origin = match event.origin {
            Origin::Listener => Some((0, 0)),
            Origin::ServerConn(n) => u32::try_from(n).ok().map(|n| (1, n)),
            Origin::Client(n) => u32::try_from(n).ok().map(|n| (2, n)),
        };
        let time = event.time.timestamp_nanos_opt();
        let (Some(origin), Some(time)) = (origin, time) else {
            return Packed {
                time: 0,
                origin: (0, 0),
                kind: Kind::Whole(Box::new(event)),
            };
        };
        let kind = match event.kind {
            EventKind::CallStart { call } => Kind::CallStart(call),
            EventKind::Received { bytes } => Kind::Received(Payload::new(&bytes)),
            EventKind::Sent { bytes } => Kind::Sent(Payload::new(&bytes)),
            EventKind::Heard {
                heard: Heard::Name { name, cut },
            } => Kind::HeardName {
                name: Payload::new(&name),
                cut,
            },
            other => Kind::Other(Box::new(other)),
        };
        Packed { time, origin, kind }
    }

    /// The event as it was reported.
    pub fn unpack(&self) -> NetEvent {
        if let Kind::Whole(event) = &self.kind {
            return event.as_ref().clone();
        }
        let origin = match self.origin {
            (1, n) => Origin::ServerConn(u64::from(n)),
            (2, n) => Origin::Client(u64::from(n)),
            _ => Origin::Listener,
        };
        let kind = match &self.kind {
            Kind::CallStart(call) => EventKind::CallStart { call: *call },
            Kind::Received(bytes) => EventKind::Received {
                bytes: bytes.bytes(),
            },
            Kind::Sent(bytes) => EventKind::Sent {
                bytes: bytes.bytes(),
            },
            Kind::HeardName { name, cut } => EventKind::Heard {
                heard: Heard::Name {
                    name: name.bytes(),
                    cut: *cut,
                },
            },
            Kind::Other(kind) => kind.as_ref().clone(),
            Kind::Whole(event) => return event.as_ref().clone(),
        };
        NetEvent {
            time: DateTime::<Utc>::from_timestamp_nanos(self.time),
            origin,
            kind,
        }
    }

    /// The socket the event is about, without unpacking the rest.
    pub fn origin(&self) -> Origin {
        match (&self.kind, self.origin) {
            (Kind::Whole(event), _) => event.origin,
            (_, (1, n)) => Origin::ServerConn(u64::from(n)),
            (_, (2, n)) => Origin::Client(u64::from(n)),
            _ => Origin::Listener,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::CloseReason;

    fn round_trip(origin: Origin, kind: EventKind) {
        let event = NetEvent::now(origin, kind);
        let packed = Packed::pack(event.clone());
        assert_eq!(packed.unpack(), event);
        assert_eq!(packed.origin(), event.origin);
    }

    #[test]
    fn every_kind_comes_back_exactly() {
        let long = Bytes(vec![0xff; 1000]);
        for bytes in [
            Bytes::from(""),
            Bytes::from("bot"),
            Bytes(vec![7; INLINE]),
            long,
        ] {
            round_trip(
                Origin::ServerConn(7),
                EventKind::Received {
                    bytes: bytes.clone(),
                },
            );
            round_trip(
                Origin::Client(3),
                EventKind::Sent {
                    bytes: bytes.clone(),
                },
            );
            round_trip(
                Origin::ServerConn(1),
                EventKind::Heard {
                    heard: Heard::Name {
                        name: bytes,
                        cut: true,
                    },
                },
            );
        }
        round_trip(
            Origin::Listener,
            EventKind::CallStart { call: Call::Accept },
        );
        round_trip(
            Origin::ServerConn(2),
            EventKind::Closed {
                reason: CloseReason::Error("boom".into()),
            },
        );
        round_trip(Origin::ServerConn(u64::MAX), EventKind::Stopped);
    }

    #[test]
    fn a_packed_event_is_small() {
        assert!(
            std::mem::size_of::<Packed>() <= 48,
            "{}",
            std::mem::size_of::<Packed>()
        );
    }
}
