//! `tcp-playground connect`: the tutorial's client in a terminal.
//!
//! It prints what the server sends and answers each `Whats your name?`
//! with the next name: from `--name` (then `exit`), or from standard input,
//! one line each. As in the tutorial, an empty line is not sent: the next
//! line is read instead. When standard input ends, `exit` is sent.
//!
//! Unlike the tutorial's client, it reads the byte stream properly (see
//! [`crate::net::parser`]), so messages that arrive glued together or in
//! pieces never make it hang.
//!
//! Exit status: 0 after the server's `Good bye!` and close; 1 with one line
//! on standard error for a refused connection, a reset, a timeout, or a
//! server that breaks the protocol.

use std::collections::VecDeque;
use std::io::{self, BufRead, IsTerminal, Write};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, select, unbounded};

use super::ConnectArgs;
use crate::net::config::ClientConfig;
use crate::net::{Bytes, Client, CloseReason, EventKind, EventSender, ServerMessage};

/// Where the names come from.
enum Names {
    /// Given on the command line; `exit` follows the last.
    Given(VecDeque<Vec<u8>>),
    /// Read from standard input, one line each, by a helper thread (so the
    /// main thread can still notice the server closing while it waits).
    Stdin(Receiver<Vec<u8>>),
}

/// Runs one dialogue.
pub fn run(args: &ConnectArgs) -> Result<(), String> {
    let mut config = ClientConfig::for_target(&args.target).map_err(|e| e.to_string())?;
    config.reply_timeout = Duration::from_secs(args.timeout.max(1));
    let mut names = if args.names.is_empty() {
        Names::Stdin(read_stdin_lines())
    } else {
        Names::Given(args.names.iter().map(|n| n.clone().into_bytes()).collect())
    };
    // Echo names that the terminal did not already show as they were typed.
    let echo = !matches!(names, Names::Stdin(_)) || !io::stdin().is_terminal();

    let (event_tx, events) = unbounded();
    let client = Client::connect(config, EventSender::new(event_tx));
    let mut out = io::stdout().lock();
    let mut wants_name = false;
    loop {
        // While the server waits for a name, also wait for the next line.
        let stdin_lines = match (&names, wants_name) {
            (Names::Stdin(lines), true) => lines.clone(),
            _ => crossbeam_channel::never(),
        };
        if wants_name && let Names::Given(list) = &mut names {
            let name = list.pop_front().unwrap_or_else(|| b"exit".to_vec());
            send(&client, &mut out, name, echo);
            wants_name = false;
            continue;
        }
        select! {
            recv(events) -> event => {
                let Ok(event) = event else {
                    return Err("the connection ended without a reason".to_owned());
                };
                match event.kind {
                    EventKind::Message { message } => {
                        wants_name |= message == ServerMessage::Prompt;
                        show(&mut out, &message)?;
                    }
                    EventKind::Closed { reason: CloseReason::Exit } => return Ok(()),
                    EventKind::Closed { reason } => return Err(reason.to_string()),
                    _ => {}
                }
            }
            recv(stdin_lines) -> line => {
                // End of input: leave politely, as if the user typed exit.
                let name = line.unwrap_or_else(|_| b"exit".to_vec());
                if name.is_empty() {
                    // The tutorial's client does not send an empty name.
                    continue;
                }
                send(&client, &mut out, name, echo);
                wants_name = false;
            }
        }
    }
}

/// Prints one server message as the tutorial's client does (one line each),
/// or fails if the server said something that is not part of the dialogue.
fn show(out: &mut impl Write, message: &ServerMessage) -> Result<(), String> {
    let written = match message {
        ServerMessage::Welcome => out.write_all(b"Welcome!\n"),
        ServerMessage::Prompt => out.write_all(b"Whats your name?\n"),
        ServerMessage::Hello(name) => out
            .write_all(b"Hello ")
            .and_then(|()| out.write_all(name.as_slice()))
            .and_then(|()| out.write_all(b"!\n")),
        ServerMessage::GoodBye => out.write_all(b"Good bye!\n"),
        ServerMessage::Unexpected(bytes) => {
            return Err(format!(
                "the server broke the protocol: it sent \"{}\"",
                bytes.escaped()
            ));
        }
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))
}

fn send(client: &Client, out: &mut impl Write, name: Vec<u8>, echo: bool) {
    if echo {
        // Best effort: a closed stdout must not stop the dialogue.
        let _ = writeln!(out, "{}", String::from_utf8_lossy(&name));
    }
    log::debug!(
        "sending name \"{}\"",
        Bytes::from(name.as_slice()).escaped()
    );
    client.send_name(name);
}

/// Reads standard input line by line on a helper thread. Each line is sent
/// without its line break; the channel closes at the end of input.
fn read_stdin_lines() -> Receiver<Vec<u8>> {
    let (tx, rx) = unbounded();
    let spawned = thread::Builder::new()
        .name("stdin".to_owned())
        .spawn(move || {
            let mut stdin = io::stdin().lock();
            loop {
                let mut line = Vec::new();
                match stdin.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if line.ends_with(b"\n") {
                            line.pop();
                        }
                        if line.ends_with(b"\r") {
                            line.pop();
                        }
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot read standard input: {e}");
    }
    rx
}
