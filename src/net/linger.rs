//! Closing with unsent data: how a class can watch FIN_WAIT_1 and LAST_ACK.
//!
//! A FIN is not a signal on the side: it is a place in the byte stream,
//! after every byte sent before it. `close()` does not throw away what is
//! still queued; the kernel goes on sending it, and the FIN follows the
//! last byte. So when the peer has stopped reading and its receive window
//! is full, the queued bytes cannot leave and neither can the FIN: the
//! socket that closed stays in FIN_WAIT_1 (it closed first) or LAST_ACK
//! (it closed second) for as long as the peer does not read.
//!
//! On loopback both states normally last microseconds. With a *close hold*
//! (see [`crate::net::gate::StepGate::set_close_hold`]), our two ends play
//! this out on purpose once the dialogue is over:
//!
//! ```text
//! server thread (closes first)            client tab
//! ────────────────────────────            ──────────
//! send "Good bye!\n"                      recv "Good bye!\n", then stop reading
//! fill_send_queue(): the tab's window                  for the hold
//!   fills, the rest waits here
//! shutdown(Write)   FIN_WAIT_1 ......     (not reading)
//! hold_then_drain(): wait, not reading    hold over: read to the end → FIN
//!   FIN_WAIT_2                              CLOSE_WAIT
//!                                         fill_send_queue(), close()
//!   data arrives; hold; (not reading)       LAST_ACK ......
//!   read to the end → FIN → TIME_WAIT       CLOSED
//! ```
//!
//! When the tab disconnects first, it sends its FIN at once (its bytes
//! would reach the server's dialogue as names) and waits, not reading;
//! the server, second to close, fills its queue and closes: LAST_ACK lasts
//! the hold.
//!
//! The filler bytes are dots, sent only after the dialogue has ended, and
//! only while a close hold is on. Both ends must be TCP Playground's: a
//! peer that has already closed its socket answers them with a reset.

#![forbid(unsafe_code)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

/// The filler byte.
pub const FILLER: u8 = b'.';

/// The most filler one end queues. The peer's window and our send buffer
/// on loopback take a few hundred KiB to a few MiB; this bounds the rest.
pub const MAX_FILL: usize = 16 * 1024 * 1024;

/// The send buffer asked for while filling (Linux doubles it).
const SEND_BUFFER: usize = 256 * 1024;

/// How long a waiting end waits at most for its peer (then it closes
/// anyway), so a peer that never closes cannot keep a thread forever.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// How often a waiting end checks whether it should give up.
const RECHECK: Duration = Duration::from_millis(20);

/// How long the queue must stay full before we believe it is full: on
/// loopback the peer's ACKs free the buffer within microseconds, so a
/// queue that takes nothing for this long is held by a closed window.
const SETTLE: Duration = Duration::from_millis(30);

/// Writes filler without blocking until the kernel takes no more: the
/// peer's receive window is full and our send queue too. Returns how many
/// bytes were queued. The stream is left in blocking mode.
///
/// Fails only on a socket error (the peer reset, for instance).
pub fn fill_send_queue(stream: &TcpStream) -> io::Result<u64> {
    // A small send buffer (and no more automatic growth) keeps the filler
    // to about the peer's window: a few dozen segments, not megabytes.
    socket2::SockRef::from(stream).set_send_buffer_size(SEND_BUFFER)?;
    stream.set_nonblocking(true)?;
    let result = fill_nonblocking(stream);
    stream.set_nonblocking(false)?;
    result
}

/// The filler, written from here. A `static` lives in the program's
/// read-only data; a local array would take 64 KiB of the stack of every
/// thread whose code this is inlined into (the compiler reserves a
/// function's whole frame on entry), and those pages would have to be
/// mapped again for each new client thread, even one that never closes
/// this way: twelve page faults a connection, measured.
static CHUNK: [u8; 64 * 1024] = [FILLER; 64 * 1024];

fn fill_nonblocking(mut stream: &TcpStream) -> io::Result<u64> {
    let chunk = &CHUNK;
    let mut queued = 0usize;
    let mut full_since: Option<Instant> = None;
    while queued < MAX_FILL {
        let room = chunk.len().min(MAX_FILL - queued);
        match stream.write(&chunk[..room]) {
            Ok(0) => break,
            Ok(n) => {
                queued += n;
                full_since = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let since = *full_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SETTLE {
                    break;
                }
                thread::sleep(Duration::from_millis(2));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(queued as u64)
}

/// Waits, without reading, until the peer has sent something or closed;
/// then waits `hold` more, still without reading; then reads and drops
/// everything up to the end of the stream. Returns how many bytes it
/// dropped.
///
/// While it does not read, the peer's queued bytes (and its FIN behind
/// them) wait: that is the hold. It gives up waiting when `cancelled()`
/// (the connection is being ended from outside) or after [`WAIT_LIMIT`].
pub fn hold_then_drain(
    stream: &TcpStream,
    hold: Duration,
    cancelled: impl Fn() -> bool,
) -> io::Result<u64> {
    let started = Instant::now();
    let given_up = || cancelled() || started.elapsed() >= WAIT_LIMIT;
    // `peek` says whether there is something to read without taking it.
    stream.set_read_timeout(Some(RECHECK))?;
    loop {
        match stream.peek(&mut [0u8; 1]) {
            Ok(_) => break,
            Err(e) if is_timeout(&e) => {
                if given_up() {
                    return Ok(0);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let hold_until = Instant::now() + hold;
    while Instant::now() < hold_until && !given_up() {
        thread::sleep(RECHECK.min(hold_until.saturating_duration_since(Instant::now())));
    }
    drain(stream, given_up)
}

/// Reads and drops bytes until the end of the stream (or until
/// `given_up()`).
fn drain(stream: &TcpStream, given_up: impl Fn() -> bool) -> io::Result<u64> {
    // `Read` is implemented for `&TcpStream`: reading needs no `mut` socket.
    let mut stream = stream;
    let mut buf = vec![0u8; 64 * 1024];
    let mut dropped = 0u64;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(dropped),
            Ok(n) => dropped += n as u64,
            Err(e) if is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {
                if given_up() {
                    return Ok(dropped);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use std::net::{Shutdown, TcpListener};

    use super::*;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    #[test]
    fn filler_stops_when_the_peer_does_not_read_and_all_of_it_arrives() {
        let (client, mut server) = pair();
        let queued = fill_send_queue(&server).unwrap();
        assert!(
            queued > 0 && (queued as usize) < MAX_FILL,
            "queued {queued}"
        );
        server.shutdown(Shutdown::Write).unwrap();
        let dropped = hold_then_drain(&client, Duration::ZERO, || false).unwrap();
        assert_eq!(dropped, queued, "every queued byte reaches the peer");
        // The stream is blocking again.
        server.set_read_timeout(None).unwrap();
        drop(client);
        let mut rest = Vec::new();
        let _ = server.read_to_end(&mut rest);
    }

    #[test]
    fn a_cancelled_wait_returns_without_reading() {
        let (client, _server) = pair();
        let dropped = hold_then_drain(&client, Duration::from_secs(5), || true).unwrap();
        assert_eq!(dropped, 0);
    }
}
