//! One TCP segment, and the pure parser that reads it from a captured frame.
//!
//! Nothing here touches a socket: the functions take bytes and return a
//! [`Segment`] or the reason the bytes are not one, so they are tested with
//! hand-made frames and compile on every platform.
//!
//! The headers are read byte by byte, in network byte order (big-endian).
//! Layouts (RFC 791, RFC 8200, RFC 9293):
//!
//! ```text
//! Ethernet  dst MAC [6], src MAC [6], be16 ethertype                 14 bytes
//! IPv4      u8 version<<4 | IHL, u8 tos, be16 total length, be16 id,
//!           be16 flags<<13 | fragment offset, u8 ttl, u8 protocol,
//!           be16 checksum, src [4], dst [4], options      IHL·4 = 20..60 bytes
//! IPv6      be32 version<<28 | class | flow, be16 payload length,
//!           u8 next header, u8 hop limit, src [16], dst [16]         40 bytes
//! TCP       be16 src port, be16 dst port, be32 seq, be32 ack,
//!           u8 data offset<<4, u8 flags, be16 window, be16 checksum,
//!           be16 urgent pointer, options                 offset·4 = 20..60 bytes
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Ethertype of IPv4 in an Ethernet header.
const ETHERTYPE_IPV4: u16 = 0x0800;
/// Ethertype of IPv6 in an Ethernet header.
const ETHERTYPE_IPV6: u16 = 0x86DD;
/// Length of an Ethernet header: two MAC addresses and the ethertype.
pub const ETHERNET_HEADER_LEN: usize = 14;
/// IP protocol number of TCP (IPv4 `protocol`, IPv6 `next header`).
const IPPROTO_TCP: u8 = 6;
/// Length of the IPv6 header, which has no options (they go in extension
/// headers after it).
const IPV6_HEADER_LEN: usize = 40;
/// Smallest IPv4 or TCP header: five 32-bit words.
const MIN_HEADER_LEN: usize = 20;

/// IPv6 next-header values that announce an extension header rather than
/// the transport protocol: hop-by-hop options, routing, fragment, ESP, AH,
/// destination options, mobility, HIP, shim6, and two for experiments.
const IPV6_EXTENSION_HEADERS: [u8; 11] = [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254];

/// One TCP segment as it crossed the wire: who sent it to whom, its
/// sequence and acknowledgement numbers, its flags and how much data it
/// carried. The data itself is not kept: the dialogue's events already
/// show the bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// When the kernel received it on the loopback device (its own
    /// timestamp), or when the capture read it where the kernel gave none.
    pub time: DateTime<Utc>,
    /// The sender's address and port.
    pub src: SocketAddr,
    /// The receiver's address and port.
    pub dst: SocketAddr,
    /// Sequence number: the position of this segment's first byte in the
    /// sender's stream. A SYN picks a random start `x`; the first data byte
    /// is then `x + 1`, because the SYN itself counts as one.
    pub seq: u32,
    /// Acknowledgement number, meaningful when [`Flags::ACK`] is set: the
    /// next byte the sender expects from its peer ("I have everything
    /// before this").
    pub ack: u32,
    /// The control flags (SYN, ACK, FIN, …).
    pub flags: Flags,
    /// The receive window the sender advertises, as written in the header:
    /// after the handshake Linux scales it by a factor agreed in the SYNs,
    /// which this field does not apply.
    pub window: u16,
    /// How many bytes of data the segment carried.
    pub payload_len: usize,
}

impl Segment {
    /// How many sequence numbers the segment uses up: its data bytes, plus
    /// one for a SYN and one for a FIN. The peer's acknowledgement of this
    /// segment is `seq + seq_len()`.
    pub fn seq_len(&self) -> u32 {
        // A TCP payload is at most 64 KiB (the IP length field is 16 bits).
        let data = u32::try_from(self.payload_len).unwrap_or(u32::MAX);
        data.wrapping_add(u32::from(self.flags.contains(Flags::SYN)))
            .wrapping_add(u32::from(self.flags.contains(Flags::FIN)))
    }
}

impl fmt::Display for Segment {
    /// `127.0.0.1:40000 → 127.0.0.1:5000 SYN+ACK seq=1 ack=2 win=65483 len=0`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} → {} {} seq={} ack={} win={} len={}",
            self.src, self.dst, self.flags, self.seq, self.ack, self.window, self.payload_len
        )
    }
}

/// The control flags of a TCP header: one bit each.
///
/// Shown as the names of the bits that are set, joined by `+`, with ACK
/// last as people say it: `SYN`, `SYN+ACK`, `PSH+ACK`, `FIN+ACK`, `RST`.
/// Saved (serde) in the same text form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Flags(u8);

impl Flags {
    /// FIN: the sender has no more data (it closed its side).
    pub const FIN: Flags = Flags(0x01);
    /// SYN: synchronise sequence numbers; opens a connection.
    pub const SYN: Flags = Flags(0x02);
    /// RST: reset, the connection is aborted.
    pub const RST: Flags = Flags(0x04);
    /// PSH: push, deliver the data to the application now.
    pub const PSH: Flags = Flags(0x08);
    /// ACK: the acknowledgement number is valid (set on all but the first SYN).
    pub const ACK: Flags = Flags(0x10);
    /// URG: the urgent pointer is valid (rarely used).
    pub const URG: Flags = Flags(0x20);
    /// ECE: ECN echo, the path signalled congestion (RFC 3168).
    pub const ECE: Flags = Flags(0x40);
    /// CWR: congestion window reduced, the answer to ECE (RFC 3168).
    pub const CWR: Flags = Flags(0x80);

    /// The order in which flags are named: ACK last, so `SYN+ACK` reads as
    /// it is said.
    const NAMES: [(Flags, &'static str); 8] = [
        (Flags::SYN, "SYN"),
        (Flags::FIN, "FIN"),
        (Flags::RST, "RST"),
        (Flags::PSH, "PSH"),
        (Flags::URG, "URG"),
        (Flags::ECE, "ECE"),
        (Flags::CWR, "CWR"),
        (Flags::ACK, "ACK"),
    ];

    /// The flags of the 8-bit field of a TCP header (byte 13).
    pub const fn from_bits(bits: u8) -> Flags {
        Flags(bits)
    }

    /// The 8-bit field as it is in the header.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every flag of `other` is set here.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;

    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            // Never sent by a correct TCP, but a parser must say something.
            return f.write_str("none");
        }
        let mut first = true;
        for (flag, name) in Flags::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str("+")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Text that is not a list of flag names such as `SYN+ACK`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown TCP flag {0:?} (expected names like SYN, ACK, FIN joined by +)")]
pub struct UnknownFlag(String);

impl FromStr for Flags {
    type Err = UnknownFlag;

    /// Reads what [`Display`](fmt::Display) writes: `SYN+ACK`, `none`.
    fn from_str(text: &str) -> Result<Flags, UnknownFlag> {
        if text == "none" {
            return Ok(Flags::default());
        }
        text.split('+').try_fold(Flags::default(), |acc, word| {
            Flags::NAMES
                .iter()
                .find(|(_, name)| *name == word)
                .map(|(flag, _)| acc | *flag)
                .ok_or_else(|| UnknownFlag(word.to_owned()))
        })
    }
}

impl From<Flags> for String {
    fn from(flags: Flags) -> String {
        flags.to_string()
    }
}

impl TryFrom<String> for Flags {
    type Error = UnknownFlag;

    fn try_from(text: String) -> Result<Flags, UnknownFlag> {
        text.parse()
    }
}

/// Why a captured frame is not reported as a segment. Most frames on a
/// busy loopback are not TCP at all; these are expected, not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotASegment {
    /// Neither IPv4 nor IPv6 (e.g. ARP would be, on a real network).
    #[error("not an IP packet")]
    NotIp,
    /// IP, but another protocol (UDP, ICMP, …).
    #[error("not TCP")]
    NotTcp,
    /// A piece of a fragmented IPv4 packet. TCP avoids fragmentation (and
    /// loopback never needs it), so fragments are ignored rather than
    /// reassembled.
    #[error("an IPv4 fragment")]
    Fragment,
    /// IPv6 with extension headers before TCP. Linux's TCP does not add
    /// any on loopback, so they are ignored rather than walked.
    #[error("IPv6 with extension headers")]
    Ipv6Extensions,
    /// Fewer bytes than the headers need.
    #[error("truncated headers")]
    Truncated,
    /// A length field that contradicts the others (or a length of zero,
    /// as in IPv6 jumbograms and IPv4 "BIG TCP" super-packets).
    #[error("inconsistent header lengths")]
    BadLength,
}

/// Reads a frame that starts with an Ethernet header, as a `SOCK_RAW`
/// packet socket delivers it. On loopback both MAC addresses are zero, but
/// only the ethertype matters here.
pub fn parse_ethernet(frame: &[u8], time: DateTime<Utc>) -> Result<Segment, NotASegment> {
    if frame.len() < ETHERNET_HEADER_LEN {
        return Err(NotASegment::Truncated);
    }
    let ip = &frame[ETHERNET_HEADER_LEN..];
    match be16(frame, 12) {
        ETHERTYPE_IPV4 => parse_ipv4(ip, time),
        ETHERTYPE_IPV6 => parse_ipv6(ip, time),
        _ => Err(NotASegment::NotIp),
    }
}

/// Reads a packet that starts with its IP header (as a `SOCK_DGRAM` packet
/// socket or a raw IP socket delivers it); the version nibble says which IP.
pub fn parse_ip(packet: &[u8], time: DateTime<Utc>) -> Result<Segment, NotASegment> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => parse_ipv4(packet, time),
        Some(6) => parse_ipv6(packet, time),
        Some(_) => Err(NotASegment::NotIp),
        None => Err(NotASegment::Truncated),
    }
}

fn parse_ipv4(ip: &[u8], time: DateTime<Utc>) -> Result<Segment, NotASegment> {
    if ip.len() < MIN_HEADER_LEN {
        return Err(NotASegment::Truncated);
    }
    if ip[0] >> 4 != 4 {
        return Err(NotASegment::NotIp);
    }
    if ip[9] != IPPROTO_TCP {
        return Err(NotASegment::NotTcp);
    }
    // IHL counts 32-bit words, options included.
    let header_len = usize::from(ip[0] & 0x0f) * 4;
    // The total length comes from the header, not from how many bytes were
    // captured: the capture keeps only the first bytes of each frame.
    let total_len = usize::from(be16(ip, 2));
    if header_len < MIN_HEADER_LEN || total_len < header_len {
        return Err(NotASegment::BadLength);
    }
    // "More fragments" flag (0x2000) or a non-zero offset (low 13 bits).
    if be16(ip, 6) & 0x3fff != 0 {
        return Err(NotASegment::Fragment);
    }
    let src = IpAddr::V4(Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]));
    let tcp = ip.get(header_len..).ok_or(NotASegment::Truncated)?;
    parse_tcp(tcp, total_len - header_len, src, dst, time)
}

fn parse_ipv6(ip: &[u8], time: DateTime<Utc>) -> Result<Segment, NotASegment> {
    if ip.len() < IPV6_HEADER_LEN {
        return Err(NotASegment::Truncated);
    }
    if ip[0] >> 4 != 6 {
        return Err(NotASegment::NotIp);
    }
    match ip[6] {
        IPPROTO_TCP => {}
        next if IPV6_EXTENSION_HEADERS.contains(&next) => {
            return Err(NotASegment::Ipv6Extensions);
        }
        _ => return Err(NotASegment::NotTcp),
    }
    // The payload length excludes the fixed 40-byte header.
    let payload_len = usize::from(be16(ip, 4));
    let src = IpAddr::V6(Ipv6Addr::from(octets16(&ip[8..24])));
    let dst = IpAddr::V6(Ipv6Addr::from(octets16(&ip[24..40])));
    parse_tcp(&ip[IPV6_HEADER_LEN..], payload_len, src, dst, time)
}

/// Reads a TCP header; `tcp_len` is the length of header + data that the
/// IP header announced.
fn parse_tcp(
    tcp: &[u8],
    tcp_len: usize,
    src: IpAddr,
    dst: IpAddr,
    time: DateTime<Utc>,
) -> Result<Segment, NotASegment> {
    if tcp.len() < MIN_HEADER_LEN {
        return Err(NotASegment::Truncated);
    }
    // Data offset: the header's length in 32-bit words, options included.
    let header_len = usize::from(tcp[12] >> 4) * 4;
    if header_len < MIN_HEADER_LEN || tcp_len < header_len {
        return Err(NotASegment::BadLength);
    }
    Ok(Segment {
        time,
        src: SocketAddr::new(src, be16(tcp, 0)),
        dst: SocketAddr::new(dst, be16(tcp, 2)),
        seq: be32(tcp, 4),
        ack: be32(tcp, 8),
        flags: Flags::from_bits(tcp[13]),
        window: be16(tcp, 14),
        payload_len: tcp_len - header_len,
    })
}

/// The big-endian `u16` at `at`. Callers check the length first.
fn be16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

/// The big-endian `u32` at `at`. Callers check the length first.
fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Sixteen bytes as an array (an IPv6 address). Callers pass 16 bytes.
fn octets16(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(bytes);
    out
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
