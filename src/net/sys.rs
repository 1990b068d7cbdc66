//! The one place in the crate with `unsafe` code: the few socket calls
//! that the safe socket crates do not offer.
//!
//! Everything else goes through `std` and `socket2`, which wrap the system
//! calls safely. Two things have no safe wrapper, so they are done here
//! with the C calls directly:
//!
//! - `TCP_DEFER_ACCEPT` and `SO_TIMESTAMPNS`, set with `setsockopt(2)`;
//! - receiving a captured frame together with the time the kernel got it
//!   (`recvmsg(2)` and its control messages), so captured segments can be
//!   put in order with the dialogue's events even when the capture thread
//!   is scheduled late.
//!
//! Each unsafe block is one call, with why its arguments are valid beside
//! it. Nothing else in the crate may use `unsafe` (see the `deny` in
//! `lib.rs`).

#![allow(unsafe_code)]

use std::io;
use std::time::Duration;

use socket2::Socket;

/// Sets `TCP_DEFER_ACCEPT` on a listening socket: the kernel keeps each
/// new connection in SYN_RECV, ignoring the client's final ACK, until the
/// client sends data or about `hold` has passed (the kernel counts it in
/// SYN+ACK retransmissions, so the real hold is rounded up: 2 s gives
/// about 3 s). Zero turns it off. In the name dialogue the server speaks
/// first, so a client sends nothing and the hold always runs its course:
/// a class can watch SYN_RECV.
#[cfg(target_os = "linux")]
pub fn set_defer_accept(socket: &Socket, hold: Duration) -> io::Result<()> {
    let seconds = libc::c_int::try_from(hold.as_secs()).unwrap_or(libc::c_int::MAX);
    set_int_option(socket, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, seconds)
}

/// Asks the kernel to attach to each frame received on `socket` the time
/// it received it (`SO_TIMESTAMPNS`), read by [`recv_timestamped`].
#[cfg(target_os = "linux")]
pub fn enable_receive_timestamps(socket: &Socket) -> io::Result<()> {
    set_int_option(socket, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1)
}

/// `setsockopt(socket, level, name, &value, sizeof(int))`.
#[cfg(target_os = "linux")]
fn set_int_option(
    socket: &Socket,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let len = libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>())
        .expect("the size of an int fits in socklen_t");
    // SAFETY: the descriptor belongs to `socket`, which is borrowed for the
    // whole call, so it is open; the value pointer points to a live c_int
    // on this stack frame and `len` is exactly its size; setsockopt only
    // reads through the pointer.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(&value).cast::<libc::c_void>(),
            len,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Receives one frame into `buf` (cut to its length, like `recv`), with
/// the time the kernel received it when [`enable_receive_timestamps`] is
/// on: `(bytes copied, time since the Unix epoch)`.
#[cfg(target_os = "linux")]
pub fn recv_timestamped(socket: &Socket, buf: &mut [u8]) -> io::Result<(usize, Option<Duration>)> {
    use std::os::fd::AsRawFd;

    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast::<libc::c_void>(),
        iov_len: buf.len(),
    };
    // Room for a few control messages; u64s keep it aligned for cmsghdr.
    let mut control = [0u64; 16];
    // SAFETY: msghdr is a plain C struct for which all zeroes is a valid
    // value (null pointers, zero lengths); its private padding fields on
    // some targets make zeroing the portable way to build one.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast::<libc::c_void>();
    msg.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: the descriptor is open (borrowed from `socket`); `msg` points
    // to one iovec describing `buf` (valid, writable, exactly its length)
    // and to `control` with its exact size; all three outlive the call.
    let n = unsafe { libc::recvmsg(socket.as_raw_fd(), &raw mut msg, 0) };
    let Ok(n) = usize::try_from(n) else {
        return Err(io::Error::last_os_error());
    };
    let mut stamp = None;
    // SAFETY: `msg` was filled by a successful recvmsg, so its control
    // fields describe the messages the kernel wrote into `control`; the
    // CMSG macros only walk within msg_controllen.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&raw const msg) };
    while !cmsg.is_null() {
        // SAFETY: a non-null header from CMSG_FIRSTHDR/NXTHDR lies within
        // `control` and is aligned (the buffer is u64-aligned).
        let header = unsafe { &*cmsg };
        if header.cmsg_level == libc::SOL_SOCKET && header.cmsg_type == libc::SCM_TIMESTAMPNS {
            // SAFETY: an SCM_TIMESTAMPNS message carries one timespec;
            // read_unaligned copies it out whatever its alignment.
            let time: libc::timespec =
                unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast()) };
            if let (Ok(secs), Ok(nanos)) = (u64::try_from(time.tv_sec), u32::try_from(time.tv_nsec))
            {
                stamp = Some(Duration::new(secs, nanos));
            }
        }
        // SAFETY: as for CMSG_FIRSTHDR; `cmsg` is a header of this message.
        cmsg = unsafe { libc::CMSG_NXTHDR(&raw const msg, cmsg) };
    }
    Ok((n.min(buf.len()), stamp))
}

/// Deferred accept is a Linux option; elsewhere it is refused plainly.
#[cfg(not(target_os = "linux"))]
pub fn set_defer_accept(_socket: &Socket, hold: Duration) -> io::Result<()> {
    if hold.is_zero() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "holding SYN_RECV (TCP_DEFER_ACCEPT) needs Linux",
        ))
    }
}
