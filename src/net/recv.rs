//! A `recv()` that another thread can end, on every system.
//!
//! Kicking a client, stopping the server and closing a tab all end a
//! connection from another thread than the one reading it: they call
//! `shutdown()` on the shared socket, which sends FIN. On Linux and macOS
//! that also wakes the thread blocked in `recv()`, which returns 0 (end of
//! stream), and the thread finishes.
//!
//! Windows does not wake it: the thread would stay in `recv()` until the
//! peer closes too, or forever if the peer never does. So on Windows the
//! thread first waits until the socket has something to read, in slices
//! of [`CHECK_EVERY`] (`WSAPoll`), and between slices asks whether it was
//! told to end. The `recv()` it then makes never blocks.
//!
//! The time-out works the same way everywhere: the caller sets it once on
//! the socket (`set_read_timeout`) and passes it here too; on Windows the
//! wait gives up after it with [`io::ErrorKind::TimedOut`].

#![forbid(unsafe_code)]

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::Duration;

/// On Windows, how often a waiting thread checks whether it should end:
/// a kicked client's thread finishes within this.
pub const CHECK_EVERY: Duration = Duration::from_millis(50);

/// Reads from `stream` into `buf`, like `recv()`. Returns `Ok(0)` at the
/// end of the stream, and also (Windows) as soon as `ended()` is true;
/// fails with a time-out after `timeout` without data (which the caller
/// has also set with `set_read_timeout`, so other systems time out alike).
#[cfg(not(windows))]
pub fn read(
    stream: &TcpStream,
    buf: &mut [u8],
    _timeout: Option<Duration>,
    _ended: impl Fn() -> bool,
) -> io::Result<usize> {
    // `shutdown()` from another thread makes this return 0.
    { stream }.read(buf)
}

/// See the other `read`: Windows waits in slices and checks `ended()`.
#[cfg(windows)]
pub fn read(
    stream: &TcpStream,
    buf: &mut [u8],
    timeout: Option<Duration>,
    ended: impl Fn() -> bool,
) -> io::Result<usize> {
    use super::sys::Readiness;

    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    loop {
        let slice = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                left.min(CHECK_EVERY)
            }
            None => CHECK_EVERY,
        };
        match super::sys::wait_readable(stream, slice)? {
            // recv() returns at once: data, or 0 at the end of the stream.
            Readiness::Readable => return { stream }.read(buf),
            // Reset: say so, with the system's error if it kept one.
            Readiness::Failed => {
                return Err(stream
                    .take_error()?
                    .unwrap_or_else(|| io::ErrorKind::ConnectionReset.into()));
            }
            Readiness::Nothing if ended() => return Ok(0),
            Readiness::Nothing => {}
        }
    }
}
