//! The one place in the crate with `unsafe` code: socket options that the
//! safe socket crates do not offer.
//!
//! Everything else goes through `std` and `socket2`, which wrap the system
//! calls safely. `TCP_DEFER_ACCEPT` has no safe wrapper, so it is set here
//! with `setsockopt(2)` directly. The unsafe block is one call whose
//! arguments are checked below; nothing else in the crate may use `unsafe`
//! (see the `deny` in `lib.rs`).

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
    use std::os::fd::AsRawFd;

    let seconds = libc::c_int::try_from(hold.as_secs()).unwrap_or(libc::c_int::MAX);
    let len = libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>())
        .expect("the size of an int fits in socklen_t");
    // SAFETY: the descriptor belongs to `socket`, which is borrowed for the
    // whole call, so it is open; the value pointer points to a live c_int
    // on this stack frame and `len` is exactly its size; setsockopt only
    // reads through the pointer.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            std::ptr::from_ref(&seconds).cast::<libc::c_void>(),
            len,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
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
