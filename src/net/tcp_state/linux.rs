//! Linux: socket states through `NETLINK_SOCK_DIAG` (what `ss` uses).
//!
//! A netlink socket is a message channel to the kernel. We send one
//! `SOCK_DIAG_BY_FAMILY` request naming a socket by its 4-tuple; the kernel
//! answers with an `inet_diag_msg` holding its state, or with an error
//! `ENOENT` if there is no such socket. This needs no privilege, costs about
//! a microsecond per socket whatever the size of the system's tables, and
//! sees TIME_WAIT sockets (which have no file descriptor any more).
//!
//! The messages are plain C structs; they are written and read here byte
//! by byte, so no `unsafe` code is needed. Layouts (from
//! `linux/netlink.h`, `linux/inet_diag.h`):
//!
//! ```text
//! nlmsghdr        u32 len, u16 type, u16 flags, u32 seq, u32 pid     16 bytes
//! inet_diag_req_v2 u8 family, u8 protocol, u8 ext, u8 pad,
//!                 u32 states, inet_diag_sockid                        56 bytes
//! inet_diag_sockid be16 sport, be16 dport, be32 src[4], be32 dst[4],
//!                 u32 if, u32 cookie[2]                               48 bytes
//! inet_diag_msg   u8 family, u8 state, u8 timer, u8 retrans,
//!                 inet_diag_sockid, u32 expires, rqueue, wqueue,
//!                 uid, inode                                          72 bytes
//! ```

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::{Observation, SocketKey, StateError, TcpState};

const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const AF_NETLINK: i32 = 16;
const NETLINK_SOCK_DIAG: i32 = 4;
const IPPROTO_TCP: u8 = 6;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const ENOENT: i32 = 2;
/// `idiag_timer` value of the TIME_WAIT timer.
const TIMER_TIME_WAIT: u8 = 3;
const HEADER_LEN: usize = 16;
const REQUEST_LEN: usize = HEADER_LEN + 56;
const DIAG_MSG_LEN: usize = 72;

/// An open `NETLINK_SOCK_DIAG` socket.
pub struct SockDiag {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl SockDiag {
    /// Opens the netlink socket.
    pub fn open() -> Result<SockDiag, StateError> {
        let socket = Socket::new(
            Domain::from(AF_NETLINK),
            Type::DGRAM,
            Some(Protocol::from(NETLINK_SOCK_DIAG)),
        )?;
        // The kernel answers at once; a timeout only guards against a bug.
        socket.set_read_timeout(Some(Duration::from_secs(1)))?;
        Ok(SockDiag {
            socket,
            seq: 0,
            buf: vec![0; 8192],
        })
    }

    /// Asks the kernel for the socket `key`.
    pub fn read(&mut self, key: &SocketKey) -> Result<Observation, StateError> {
        self.seq = self.seq.wrapping_add(1);
        // An unconnected netlink socket sends to the kernel by default.
        self.socket.send(&request(self.seq, key))?;
        loop {
            let n = (&self.socket).read(&mut self.buf)?;
            match parse_reply(&self.buf[..n], self.seq, key.remote.port())? {
                Some(observation) => return Ok(observation),
                // A reply to an older request (after a timeout): skip it.
                None => continue,
            }
        }
    }
}

/// Encodes a `SOCK_DIAG_BY_FAMILY` request for one socket.
pub fn request(seq: u32, key: &SocketKey) -> Vec<u8> {
    let family = match key.local {
        SocketAddr::V4(_) => AF_INET,
        SocketAddr::V6(_) => AF_INET6,
    };
    let mut m = Vec::with_capacity(REQUEST_LEN);
    m.extend_from_slice(&(REQUEST_LEN as u32).to_ne_bytes());
    m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(&[family, IPPROTO_TCP, 0, 0]);
    m.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
    m.extend_from_slice(&key.local.port().to_be_bytes());
    m.extend_from_slice(&key.remote.port().to_be_bytes());
    m.extend_from_slice(&address_bytes(key.local.ip()));
    m.extend_from_slice(&address_bytes(key.remote.ip()));
    m.extend_from_slice(&0u32.to_ne_bytes()); // any interface
    m.extend_from_slice(&[0xff; 8]); // no cookie: look up by addresses
    m
}

/// An address as the 16 bytes of `be32 addr[4]` (IPv4 in the first 4).
fn address_bytes(ip: IpAddr) -> [u8; 16] {
    let mut out = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => out[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out.copy_from_slice(&v6.octets()),
    }
    out
}

/// Reads the kernel's answer to request `seq` about a socket whose peer
/// uses `remote_port`: `Some` observation, or `None` if the datagram
/// answers another request.
pub fn parse_reply(
    data: &[u8],
    seq: u32,
    remote_port: u16,
) -> Result<Option<Observation>, StateError> {
    let mut rest = data;
    while rest.len() >= HEADER_LEN {
        let len = u32_at(rest, 0) as usize;
        if len < HEADER_LEN || len > rest.len() {
            return Err(StateError::Protocol("bad message length"));
        }
        let kind = u16::from_ne_bytes([rest[4], rest[5]]);
        let msg_seq = u32_at(rest, 8);
        let body = &rest[HEADER_LEN..len];
        if msg_seq == seq {
            match kind {
                NLMSG_ERROR => {
                    if body.len() < 4 {
                        return Err(StateError::Protocol("short error message"));
                    }
                    let errno = -(u32_at(body, 0) as i32);
                    return if errno == ENOENT {
                        Ok(Some(Observation {
                            state: TcpState::Closed,
                            time_wait_left: None,
                        }))
                    } else {
                        Err(StateError::Io(std::io::Error::from_raw_os_error(errno)))
                    };
                }
                SOCK_DIAG_BY_FAMILY => return parse_diag_msg(body, remote_port).map(Some),
                _ => return Err(StateError::Protocol("unknown message type")),
            }
        }
        // Messages are aligned to 4 bytes.
        let aligned = (len + 3) & !3;
        rest = &rest[aligned.min(rest.len())..];
    }
    Ok(None)
}

fn parse_diag_msg(body: &[u8], remote_port: u16) -> Result<Observation, StateError> {
    if body.len() < DIAG_MSG_LEN {
        return Err(StateError::Protocol("short inet_diag_msg"));
    }
    // When a connected socket is gone, the kernel's lookup falls back to
    // the listener on the same port, as it would for a new SYN. That is
    // another socket: ours is closed.
    let found_remote_port = u16::from_be_bytes([body[6], body[7]]);
    if found_remote_port != remote_port {
        return Ok(Observation {
            state: TcpState::Closed,
            time_wait_left: None,
        });
    }
    let state = state_from_linux(body[1]).ok_or(StateError::Protocol("unknown TCP state"))?;
    let timer = body[2];
    let expires_ms = u32_at(body, 52);
    let time_wait_left = (state == TcpState::TimeWait && timer == TIMER_TIME_WAIT)
        .then(|| Duration::from_millis(u64::from(expires_ms)));
    Ok(Observation {
        state,
        time_wait_left,
    })
}

/// Linux's numbering of TCP states (`include/net/tcp_states.h`).
fn state_from_linux(n: u8) -> Option<TcpState> {
    Some(match n {
        1 => TcpState::Established,
        2 => TcpState::SynSent,
        // 12 is TCP_NEW_SYN_RECV, the request socket of a half-open connection.
        3 | 12 => TcpState::SynRecv,
        4 => TcpState::FinWait1,
        5 => TcpState::FinWait2,
        6 => TcpState::TimeWait,
        7 => TcpState::Closed,
        8 => TcpState::CloseWait,
        9 => TcpState::LastAck,
        10 => TcpState::Listen,
        11 => TcpState::Closing,
        _ => return None,
    })
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_has_the_kernels_layout() {
        let key = SocketKey {
            local: "127.0.0.1:6000".parse().unwrap(),
            remote: "127.0.0.1:42101".parse().unwrap(),
        };
        let m = request(7, &key);
        assert_eq!(m.len(), REQUEST_LEN);
        assert_eq!(u32_at(&m, 0) as usize, REQUEST_LEN);
        assert_eq!(m[16], AF_INET);
        assert_eq!(m[17], IPPROTO_TCP);
        // Ports in network byte order: 6000 = 0x1770.
        assert_eq!(&m[24..26], &[0x17, 0x70]);
        assert_eq!(&m[28..32], &[127, 0, 0, 1]);
    }

    #[test]
    fn enoent_means_closed_and_other_sequence_numbers_are_skipped() {
        let mut reply = Vec::new();
        reply.extend_from_slice(&20u32.to_ne_bytes());
        reply.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        reply.extend_from_slice(&0u16.to_ne_bytes());
        reply.extend_from_slice(&5u32.to_ne_bytes());
        reply.extend_from_slice(&0u32.to_ne_bytes());
        reply.extend_from_slice(&(-ENOENT).to_ne_bytes());
        let closed = parse_reply(&reply, 5, 42101).unwrap().unwrap();
        assert_eq!(closed.state, TcpState::Closed);
        assert_eq!(parse_reply(&reply, 6, 42101).unwrap(), None);
        assert!(parse_reply(&reply[..10], 5, 42101).unwrap().is_none());
    }
}
