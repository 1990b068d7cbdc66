//! Real TCP segments, as they cross the wire.
//!
//! [`crate::net::tcp_state`] asks the kernel what state a socket is in;
//! this module reads the segments themselves, with their real sequence
//! and acknowledgement numbers, so the app can draw the SYN, SYN+ACK, ACK
//! and FIN arrows of a dialogue as they really were.
//!
//! For now it holds the pure parser ([`segment`]): captured bytes in, a
//! [`Segment`] out.

pub mod segment;

pub use segment::{Flags, NotASegment, Segment, parse_ethernet, parse_ip};
