//! The one place in the crate with `unsafe` code: the few socket calls
//! that the safe socket crates do not offer.
//!
//! Everything else goes through `std` and `socket2`, which wrap the system
//! calls safely. These things have no safe wrapper, so they are done here
//! with the C calls directly:
//!
//! - `TCP_DEFER_ACCEPT` and `SO_TIMESTAMPNS`, set with `setsockopt(2)`;
//! - receiving a captured frame together with the time the kernel got it
//!   (`recvmsg(2)` and its control messages), so captured segments can be
//!   put in order with the dialogue's events even when the capture thread
//!   is scheduled late.
//! - on Windows, copying the system's TCP table (`GetExtendedTcpTable`),
//!   which holds the real TCP states; waiting until a socket is readable
//!   (`WSAPoll`, see `net::recv`); and attaching a windowed program to the
//!   console it was started from, so its subcommands can print.
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

/// Copies the system's table of TCP sockets (`GetExtendedTcpTable`: every
/// socket, TIME_WAIT included) of IPv6 or IPv4, as the bytes Windows
/// wrote: the basic table for IPv4, the one with owners for IPv6 (the
/// only one it has); parsed by
/// `tcp_state::windows::parse_table`.
#[cfg(windows)]
pub fn tcp_table(v6: bool) -> io::Result<Vec<u8>> {
    use windows_sys::Win32::Foundation::{ERROR_INSUFFICIENT_BUFFER, NO_ERROR};
    use windows_sys::Win32::NetworkManagement::IpHelper::{
        GetExtendedTcpTable, TCP_TABLE_BASIC_ALL, TCP_TABLE_OWNER_PID_ALL,
    };
    use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};

    let (family, class) = if v6 {
        (AF_INET6, TCP_TABLE_OWNER_PID_ALL)
    } else {
        (AF_INET, TCP_TABLE_BASIC_ALL)
    };
    // The table may grow between asking its size and copying it: ask
    // again a few times with the size Windows says it needs.
    let mut size: u32 = 16 * 1024;
    for _ in 0..4 {
        // u32 words keep the buffer aligned for the rows Windows writes.
        let mut buf = vec![0u32; (size as usize).div_ceil(4)];
        let mut len = u32::try_from(buf.len() * 4).unwrap_or(u32::MAX);
        // SAFETY: `buf` is writable for `len` bytes and outlives the call;
        // `len` is a live u32 that Windows reads (our size) and writes
        // (the size used or needed); the other arguments are plain values.
        let result = unsafe {
            GetExtendedTcpTable(
                buf.as_mut_ptr().cast(),
                &raw mut len,
                0,
                u32::from(family),
                class,
                0,
            )
        };
        match result {
            NO_ERROR => {
                let used = (len as usize).min(buf.len() * 4);
                let mut bytes: Vec<u8> = buf.iter().flat_map(|w| w.to_ne_bytes()).collect();
                bytes.truncate(used);
                return Ok(bytes);
            }
            // Room for a few more rows than asked, in case it grows again.
            ERROR_INSUFFICIENT_BUFFER => size = len.saturating_add(4096),
            code => return Err(io::Error::from_raw_os_error(code as i32)),
        }
    }
    Err(io::Error::other(
        "the TCP table kept growing while it was copied",
    ))
}

/// Lets a windowed Windows program print in the console it was started
/// from, for its command-line subcommands (`serve`, `--version`, …).
///
/// A program built for the Windows "GUI subsystem" opens no console of
/// its own (a double-click shows only the window) and, started from cmd or
/// PowerShell, has no standard output either: what it prints goes nowhere.
/// So, unless its output is already redirected (to a file or a pipe, which
/// then works as usual), it attaches to its parent's console and points
/// standard input, output and error at it.
///
/// cmd and PowerShell do not wait for a windowed program: their prompt
/// comes back at once and the program's lines appear after it.
#[cfg(windows)]
pub fn attach_parent_console() {
    use std::fs::OpenOptions;
    use std::os::windows::io::IntoRawHandle;
    use windows_sys::Win32::System::Console::{
        ATTACH_PARENT_PROCESS, AttachConsole, GetStdHandle, STD_ERROR_HANDLE, STD_HANDLE,
        STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, SetStdHandle,
    };

    // SAFETY: GetStdHandle takes a constant and only returns a value.
    let missing = |which: STD_HANDLE| unsafe { GetStdHandle(which) }.is_null();
    if !missing(STD_OUTPUT_HANDLE) && !missing(STD_ERROR_HANDLE) {
        return;
    }
    // SAFETY: a plain call with a constant; it fails (returns 0) when the
    // parent has no console, e.g. when started from Explorer.
    if unsafe { AttachConsole(ATTACH_PARENT_PROCESS) } == 0 {
        return;
    }
    let console = |name: &str| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(name)
            .ok()
            .map(IntoRawHandle::into_raw_handle)
    };
    let output = console("CONOUT$");
    let input = console("CONIN$");
    for (which, handle) in [
        (STD_OUTPUT_HANDLE, output),
        (STD_ERROR_HANDLE, output),
        (STD_INPUT_HANDLE, input),
    ] {
        if let Some(handle) = handle.filter(|_| missing(which)) {
            // SAFETY: `handle` is an open console handle that we leak on
            // purpose: it stays valid for the life of the process, as a
            // standard handle must.
            unsafe { SetStdHandle(which, handle) };
        }
    }
}

/// What `WSAPoll` says of a socket it waited on.
#[cfg(windows)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Nothing happened within the time given.
    Nothing,
    /// There is something to read: data, or the end of the stream.
    Readable,
    /// The connection failed (reset or aborted) with nothing left to read.
    Failed,
}

/// Waits at most `timeout` until `stream` has something to read or has
/// failed (`WSAPoll`).
#[cfg(windows)]
pub fn wait_readable(stream: &std::net::TcpStream, timeout: Duration) -> io::Result<Readiness> {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock::{
        POLLERR, POLLRDNORM, SOCKET_ERROR, WSAPOLLFD, WSAPoll,
    };

    let mut fd = WSAPOLLFD {
        fd: stream.as_raw_socket() as usize,
        events: POLLRDNORM,
        revents: 0,
    };
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: `fd` is one live WSAPOLLFD on this stack frame and the count
    // says one; the socket is open, borrowed from `stream` for the call.
    let ready = unsafe { WSAPoll(&raw mut fd, 1, ms) };
    Ok(if ready == SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    } else if ready == 0 {
        Readiness::Nothing
    } else if fd.revents & POLLRDNORM == 0 && fd.revents & POLLERR != 0 {
        // A reset: recv() could then say 0 (seen under wine), as if the
        // peer had closed politely.
        Readiness::Failed
    } else {
        // Data, the end of the stream (POLLHUP), or anything else recv()
        // reports at once.
        Readiness::Readable
    })
}
