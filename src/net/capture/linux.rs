//! Linux: a packet socket on the loopback device, with a kernel filter.
//!
//! The socket is opened with `socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))`:
//! every frame of every interface, in both directions, with its link
//! header. Two things narrow that down, and neither is done by binding:
//! `SO_BINDTODEVICE` (`bind_device(Some(b"lo"))`) is accepted on a packet
//! socket but does not restrict it (measured: frames of `eth0` still
//! arrive), and binding to one interface would need a `sockaddr_ll`, which
//! `socket2` cannot build without `unsafe`.
//!
//! Instead a small classic BPF program (the language `tcpdump` compiles its
//! filters to) runs in the kernel for every frame, before anything is
//! copied to us. It keeps a frame only if
//!
//! 1. it crossed a loopback device (`dev->type == ARPHRD_LOOPBACK`),
//! 2. it is not the outgoing copy (`pkt_type != PACKET_OUTGOING`, see the
//!    module header of [`crate::net::capture`] for why each frame is seen
//!    twice),
//! 3. it is IPv4 or IPv6 carrying TCP directly,
//!
//! and then copies only its first [`SNAPLEN`] bytes: the headers, which is
//! all the parser reads. Ports are checked afterwards, here, because the
//! list of watched ports changes while the capture runs.
//!
//! Instructions are `struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }`
//! (`linux/filter.h`); a jump skips `jt` instructions when its test is
//! true and `jf` when false. Loads at `SKF_AD_OFF + n` read facts the
//! kernel knows about the frame rather than bytes of it.

use std::io::{ErrorKind, Read};
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use super::segment::parse_ethernet;
use super::{CaptureError, Command, Segment};

/// `AF_PACKET` (`linux/socket.h`): frames as the device sees them.
const AF_PACKET: i32 = 17;
/// `ETH_P_ALL` (`linux/if_ether.h`): every protocol. The socket call wants
/// it in network byte order, hence `to_be`.
const ETH_P_ALL: u16 = 0x0003;

/// How many bytes of each frame the kernel copies: Ethernet (14) + the
/// largest IPv4 header (60) + the largest TCP header (60) = 134, rounded up.
pub const SNAPLEN: usize = 160;

/// How long a read waits before the thread checks its commands again; it
/// bounds how late the thread notices that the [`super::Capture`] is gone.
const READ_TIMEOUT: Duration = Duration::from_millis(50);

// Classic BPF opcodes (`linux/bpf_common.h`), combined as the kernel does.
// `BPF_LD` and `BPF_K` are 0, so they vanish from the sums.
/// `BPF_LD | BPF_W | BPF_ABS` (0x00 | 0x00 | 0x20): load 32 bits at a fixed offset.
const LD_W_ABS: u16 = 0x20;
/// `BPF_LD | BPF_H | BPF_ABS` (0x00 | 0x08 | 0x20): load 16 bits (big-endian).
const LD_H_ABS: u16 = 0x28;
/// `BPF_LD | BPF_B | BPF_ABS` (0x00 | 0x10 | 0x20): load one byte.
const LD_B_ABS: u16 = 0x30;
/// `BPF_JMP | BPF_JEQ | BPF_K` (0x05 | 0x10 | 0x00): compare with a constant, jump.
const JEQ_K: u16 = 0x15;
/// `BPF_RET | BPF_K` (0x06 | 0x00): keep this many bytes of the frame (0 drops it).
const RET_K: u16 = 0x06;

/// `SKF_AD_OFF` (-0x1000 as a u32): where the kernel's facts start.
const SKF_AD_OFF: u32 = 0xffff_f000;
/// `SKF_AD_PKTTYPE`: the frame's direction (host, broadcast, outgoing, …).
const SKF_AD_PKTTYPE: u32 = 4;
/// `SKF_AD_HATYPE`: the device's hardware type.
const SKF_AD_HATYPE: u32 = 28;
/// `ARPHRD_LOOPBACK` (`linux/if_arp.h`): the hardware type of `lo`.
const ARPHRD_LOOPBACK: u32 = 772;
/// `PACKET_OUTGOING` (`linux/if_packet.h`): a frame this host sent.
const PACKET_OUTGOING: u32 = 4;

/// One classic BPF instruction: `(code, jt, jf, k)`.
type Instruction = (u16, u8, u8, u32);

/// The filter described in the module header. Jump counts are written out;
/// the comment on each line says where it lands. Bytes 12–13 are the
/// ethertype, 23 is IPv4's protocol (14 + 9), 20 is IPv6's next header
/// (14 + 6).
const LOOPBACK_TCP: [Instruction; 13] = [
    /* 0 */ (LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_HATYPE),
    /* 1 */ (JEQ_K, 0, 10, ARPHRD_LOOPBACK), // else 12: drop
    /* 2 */ (LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PKTTYPE),
    /* 3 */ (JEQ_K, 8, 0, PACKET_OUTGOING), // then 12: drop
    /* 4 */ (LD_H_ABS, 0, 0, 12),
    /* 5 */ (JEQ_K, 0, 2, 0x0800), // else 8: IPv6?
    /* 6 */ (LD_B_ABS, 0, 0, 23),
    /* 7 */ (JEQ_K, 3, 4, 6), // 11: keep, else 12: drop
    /* 8 */ (JEQ_K, 0, 3, 0x86DD), // else 12: drop
    /* 9 */ (LD_B_ABS, 0, 0, 20),
    /* 10 */ (JEQ_K, 0, 1, 6), // 11: keep, else 12: drop
    /* 11 */ (RET_K, 0, 0, SNAPLEN as u32),
    /* 12 */ (RET_K, 0, 0, 0),
];

/// A program as `socket2` passes it to the kernel.
fn program(instructions: &[Instruction]) -> Vec<SockFilter> {
    instructions
        .iter()
        .map(|&(code, jt, jf, k)| SockFilter::new(code, jt, jf, k))
        .collect()
}

/// Opens the packet socket with its filter, ready to read.
///
/// Fails with [`CaptureError::NoPrivilege`] without `CAP_NET_RAW`.
pub(crate) fn open() -> Result<Socket, CaptureError> {
    let protocol = Protocol::from(i32::from(ETH_P_ALL.to_be()));
    let socket = Socket::new(Domain::from(AF_PACKET), Type::RAW, Some(protocol)).map_err(|e| {
        match e.kind() {
            // Linux says EPERM; EACCES is what a security module may say.
            ErrorKind::PermissionDenied => CaptureError::NoPrivilege,
            _ => CaptureError::Io(e),
        }
    })?;
    // The socket receives frames from the moment it exists, before any
    // filter: drop everything, empty the queue, and only then filter for
    // real, so no unfiltered frame (an outgoing copy, say) slips through.
    socket.attach_filter(&program(&[(RET_K, 0, 0, 0)]))?;
    drain(&socket)?;
    socket.attach_filter(&program(&LOOPBACK_TCP))?;
    socket.set_read_timeout(Some(READ_TIMEOUT))?;
    // Each frame comes with the time the kernel got it: the capture thread
    // may read it much later on a busy machine.
    crate::net::sys::enable_receive_timestamps(&socket)?;
    Ok(socket)
}

/// Reads and discards whatever is queued on the socket.
fn drain(socket: &Socket) -> std::io::Result<()> {
    socket.set_nonblocking(true)?;
    let mut buf = [0u8; SNAPLEN];
    loop {
        match (&*socket).read(&mut buf) {
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    socket.set_nonblocking(false)
}

/// The body of the `capture` thread: read frames until the
/// [`super::Capture`] is dropped (its command sender disconnects) or
/// nobody listens to the segments any more.
pub(crate) fn run(
    socket: Socket,
    mut ports: Vec<u16>,
    commands: Receiver<Command>,
    on_segment: Sender<Segment>,
) {
    // One buffer for the whole life of the thread: a frame that matches
    // costs one `Segment` (no heap memory) and a channel send; one that
    // does not costs nothing but the parse.
    let mut buf = [0u8; SNAPLEN];
    loop {
        if !apply_commands(&mut ports, &commands) {
            return;
        }
        let (n, stamp) = match crate::net::sys::recv_timestamped(&socket, &mut buf) {
            Ok(received) => received,
            // The read timeout: nothing arrived, look at the commands again.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                // Dropping `on_segment` on return tells the receiver that
                // the capture has stopped.
                log::error!("capture stopped: cannot read frames: {e}");
                return;
            }
        };
        let time = stamp
            .and_then(|since_epoch| i64::try_from(since_epoch.as_nanos()).ok())
            .map_or_else(Utc::now, DateTime::from_timestamp_nanos);
        let Ok(segment) = parse_ethernet(&buf[..n], time) else {
            continue;
        };
        // Again after the read: a port watched while the thread waited in
        // read() (just before a connection starts) must count for the
        // frame that woke it, which may be that connection's SYN.
        if !apply_commands(&mut ports, &commands) {
            return;
        }
        let watched = ports.contains(&segment.src.port()) || ports.contains(&segment.dst.port());
        if watched && on_segment.send(segment).is_err() {
            return;
        }
    }
}

/// Applies the commands waiting in the channel to the list of watched
/// ports; false once the [`super::Capture`] handle is gone.
fn apply_commands(ports: &mut Vec<u16>, commands: &Receiver<Command>) -> bool {
    loop {
        match commands.try_recv() {
            Ok(Command::Watch(port)) if !ports.contains(&port) => ports.push(port),
            Ok(Command::Watch(_)) => {}
            Ok(Command::Unwatch(port)) => ports.retain(|p| *p != port),
            Err(TryRecvError::Empty) => return true,
            Err(TryRecvError::Disconnected) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a classic BPF program the way the kernel would, for the few
    /// instructions the filter uses; `hatype` and `pkttype` are the
    /// kernel's facts about the frame.
    fn run_filter(program: &[Instruction], frame: &[u8], hatype: u32, pkttype: u32) -> u32 {
        let mut pc = 0;
        let mut a = 0u32;
        loop {
            let (code, jt, jf, k) = program[pc];
            pc += 1;
            let at = k as usize;
            match code {
                LD_W_ABS if k == SKF_AD_OFF + SKF_AD_HATYPE => a = hatype,
                LD_W_ABS if k == SKF_AD_OFF + SKF_AD_PKTTYPE => a = pkttype,
                LD_H_ABS => match frame.get(at..at + 2) {
                    Some(b) => a = u32::from(u16::from_be_bytes([b[0], b[1]])),
                    None => return 0, // reading past the end drops the frame
                },
                LD_B_ABS => match frame.get(at) {
                    Some(b) => a = u32::from(*b),
                    None => return 0,
                },
                JEQ_K => pc += usize::from(if a == k { jt } else { jf }),
                RET_K => return k,
                _ => panic!("instruction {code:#x} not in this test's interpreter"),
            }
        }
    }

    fn frame(ethertype: u16, protocol_at: usize, protocol: u8) -> Vec<u8> {
        let mut f = vec![0u8; 80];
        f[12..14].copy_from_slice(&ethertype.to_be_bytes());
        f[protocol_at] = protocol;
        f
    }

    const PACKET_HOST: u32 = 0;
    const ARPHRD_ETHER: u32 = 1;

    #[test]
    fn the_filter_keeps_incoming_loopback_tcp_only() {
        let p = LOOPBACK_TCP;
        let v4_tcp = frame(0x0800, 23, 6);
        let v6_tcp = frame(0x86DD, 20, 6);
        let keep = SNAPLEN as u32;
        assert_eq!(run_filter(&p, &v4_tcp, ARPHRD_LOOPBACK, PACKET_HOST), keep);
        assert_eq!(run_filter(&p, &v6_tcp, ARPHRD_LOOPBACK, PACKET_HOST), keep);
        // The outgoing copy of the same frame, and the frame on eth0.
        assert_eq!(run_filter(&p, &v4_tcp, ARPHRD_LOOPBACK, PACKET_OUTGOING), 0);
        assert_eq!(run_filter(&p, &v4_tcp, ARPHRD_ETHER, PACKET_HOST), 0);
        // UDP over IPv4 and IPv6, ARP, and a frame too short to say.
        let host = |f: &[u8]| run_filter(&p, f, ARPHRD_LOOPBACK, PACKET_HOST);
        assert_eq!(host(&frame(0x0800, 23, 17)), 0);
        assert_eq!(host(&frame(0x86DD, 20, 17)), 0);
        assert_eq!(host(&frame(0x0806, 23, 6)), 0);
        assert_eq!(host(&v4_tcp[..20]), 0);
    }
}
