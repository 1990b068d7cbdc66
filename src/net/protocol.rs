//! The name dialogue, server side: a pure state machine, no sockets.
//!
//! The server greets each client, asks its name, greets the name and says
//! good bye on `exit`. These are the exact bytes (see `PROTOCOL.md`):
//!
//! | when                  | the server sends      |
//! |-----------------------|-----------------------|
//! | right after accept    | `Welcome!\n`          |
//! | before each name      | `Whats your name?`    |
//! | a name `N` arrived    | `Hello N!\n`          |
//! | `exit` arrived        | `Good bye!\n`, close  |
//!
//! [`ServerDialogue`] is fed with whatever one `recv` returned and answers
//! with [`Turn`]s: what it heard, and which [`Reply`]s to send. Because it
//! never touches a socket, it is tested with plain byte slices.
//!
//! # Where does a name end?
//!
//! Two kinds of clients must work:
//!
//! - the tutorial's client sends a name as raw bytes with **no terminator**,
//!   one `send` per name, and waits for the answer before sending the next;
//! - line clients such as `nc` or telnet send `Alice\n` or `Alice\r\n`.
//!
//! So the rule is: a line break ends a name (a `\r` before it is dropped),
//! and so does the end of what one `recv` returned — that is how the
//! tutorial's server reads a name, one `recv`, one name. Once a client has
//! sent a line break it is known to be a line client, and from then on an
//! unfinished line is kept until its line break arrives, so a line that TCP
//! happens to deliver in two pieces is still one name.
//!
//! # Long names
//!
//! A name is at most [`MAX_NAME`] (1,024) bytes, the tutorial's
//! `recv(1024)`. A longer name is greeted piece by piece, each piece at most
//! 1,024 bytes, just as the tutorial's server does; a piece never ends in
//! the middle of a UTF-8 character, and [`Heard::Name::cut`] marks it. This
//! also bounds the memory a client can make the server hold.

#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

use super::bytes::Bytes;

/// Sent once, right after the connection is accepted.
pub const WELCOME: &[u8] = b"Welcome!\n";
/// Sent before each name. No apostrophe and no newline, as in the tutorial.
pub const PROMPT: &[u8] = b"Whats your name?";
/// The start of the greeting `Hello N!\n`.
pub const HELLO_PREFIX: &[u8] = b"Hello ";
/// The end of the greeting `Hello N!\n`.
pub const HELLO_SUFFIX: &[u8] = b"!\n";
/// Sent when the client says `exit`; then the server closes the connection.
pub const GOOD_BYE: &[u8] = b"Good bye!\n";
/// The name that ends the dialogue.
pub const EXIT: &[u8] = b"exit";
/// The longest name greeted in one piece, in bytes (the tutorial's `recv(1024)`).
pub const MAX_NAME: usize = 1024;

/// One message the server sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `Welcome!\n`
    Welcome,
    /// `Whats your name?`
    Prompt,
    /// `Hello N!\n`
    Hello(Vec<u8>),
    /// `Good bye!\n`
    GoodBye,
}

impl Reply {
    /// Appends the exact bytes of this message to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Reply::Welcome => out.extend_from_slice(WELCOME),
            Reply::Prompt => out.extend_from_slice(PROMPT),
            Reply::Hello(name) => {
                out.extend_from_slice(HELLO_PREFIX);
                out.extend_from_slice(name);
                out.extend_from_slice(HELLO_SUFFIX);
            }
            Reply::GoodBye => out.extend_from_slice(GOOD_BYE),
        }
    }

    /// The exact bytes of this message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

/// What the server understood from the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "heard")]
pub enum Heard {
    /// A name, without its line break.
    Name {
        /// The name exactly as received.
        name: Bytes,
        /// True when the client sent more than [`MAX_NAME`] bytes without a
        /// break and this is one piece of it.
        cut: bool,
    },
    /// An empty line: the server asks again instead of greeting nobody.
    EmptyName,
    /// `exit`: the server says good bye and closes.
    Exit,
}

/// The server's answer to one thing it heard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    /// What the client said.
    pub heard: Heard,
    /// What to send back, in order. A server that paces its messages waits
    /// a moment before each [`Reply::Prompt`].
    pub replies: Vec<Reply>,
}

/// The server side of one client's dialogue.
#[derive(Debug, Default)]
pub struct ServerDialogue {
    /// An unfinished line from a line client, waiting for its line break.
    pending: Vec<u8>,
    /// True when pieces of the pending line have already been greeted, so
    /// what is left of it is a piece too (see "Long names" in the module docs).
    pending_was_cut: bool,
    /// True once the client has sent a line break (see the module docs).
    line_client: bool,
    /// True once `exit` was heard: nothing more is read or answered.
    finished: bool,
}

impl ServerDialogue {
    /// A dialogue that has not started yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the server sends as soon as the connection is accepted.
    pub fn greeting(&self) -> Vec<Reply> {
        vec![Reply::Welcome, Reply::Prompt]
    }

    /// True after `exit`: the server should close the connection.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// How many bytes of an unfinished line the dialogue holds, waiting for
    /// its line break: never more than one name ([`MAX_NAME`]) and a `\r`,
    /// whatever a client sends.
    pub fn waiting_bytes(&self) -> usize {
        self.pending.len()
    }

    /// Feeds the bytes that one `recv` returned; returns the turns they
    /// complete, in order. After `exit`, the rest is ignored.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Turn> {
        let mut turns = Vec::new();
        if self.finished {
            return turns;
        }
        let mut rest = chunk;
        while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
            self.line_client = true;
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&rest[..newline]);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            rest = &rest[newline + 1..];
            let cut = std::mem::take(&mut self.pending_was_cut);
            self.complete_name(line, cut, &mut turns);
            if self.finished {
                return turns;
            }
        }
        self.pending.extend_from_slice(rest);
        if self.line_client {
            // Keep the unfinished line, but never more than one name's worth.
            // A `\r` at the end may be the start of `\r\n`, which is not part
            // of the name: it does not count. The pieces are cut where they
            // would be if the whole line had arrived at once.
            while unfinished_len(&self.pending) > MAX_NAME && !self.finished {
                let piece = take_piece(&mut self.pending);
                self.pending_was_cut = true;
                self.push_turn(piece, true, &mut turns);
            }
        } else if !self.pending.is_empty() {
            // The tutorial's client: one recv, one name.
            let name = std::mem::take(&mut self.pending);
            self.complete_name(name, false, &mut turns);
        }
        turns
    }

    /// The peer closed its sending side. A line client may have sent a last
    /// name without a line break (`printf Bob | nc`); it is answered here.
    pub fn finish(&mut self) -> Vec<Turn> {
        let mut turns = Vec::new();
        if !self.finished && !self.pending.is_empty() {
            let name = std::mem::take(&mut self.pending);
            let cut = std::mem::take(&mut self.pending_was_cut);
            self.complete_name(name, cut, &mut turns);
        }
        turns
    }

    /// Turns one complete name (already without its line break) into turns,
    /// cutting it into pieces if it is too long. `cut` says that it is the
    /// last piece of a line whose first pieces were already greeted.
    fn complete_name(&mut self, mut name: Vec<u8>, cut: bool, turns: &mut Vec<Turn>) {
        if name.len() <= MAX_NAME {
            self.push_turn(name, cut, turns);
            return;
        }
        while !name.is_empty() && !self.finished {
            let piece = take_piece(&mut name);
            self.push_turn(piece, true, turns);
        }
    }

    fn push_turn(&mut self, name: Vec<u8>, cut: bool, turns: &mut Vec<Turn>) {
        let turn = if name.is_empty() {
            Turn {
                heard: Heard::EmptyName,
                replies: vec![Reply::Prompt],
            }
        } else if name == EXIT && !cut {
            self.finished = true;
            Turn {
                heard: Heard::Exit,
                replies: vec![Reply::GoodBye],
            }
        } else {
            Turn {
                heard: Heard::Name {
                    name: Bytes(name.clone()),
                    cut,
                },
                replies: vec![Reply::Hello(name), Reply::Prompt],
            }
        };
        turns.push(turn);
    }
}

/// The length of an unfinished line, not counting a `\r` at its end.
fn unfinished_len(line: &[u8]) -> usize {
    line.len() - usize::from(line.last() == Some(&b'\r'))
}

/// Removes and returns the first piece (at most [`MAX_NAME`] bytes) of
/// `buf`, ending it before a UTF-8 continuation byte when it can, so a
/// character such as `张` is never cut in half.
fn take_piece(buf: &mut Vec<u8>) -> Vec<u8> {
    if buf.len() <= MAX_NAME {
        return std::mem::take(buf);
    }
    let mut end = MAX_NAME;
    // A UTF-8 character is at most 4 bytes, so at most 3 steps back.
    while end > MAX_NAME - 3 && is_continuation(buf[end]) {
        end -= 1;
    }
    if is_continuation(buf[end]) {
        // Not UTF-8 at all here: cut at the limit.
        end = MAX_NAME;
    }
    let rest = buf.split_off(end);
    std::mem::replace(buf, rest)
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Heard {
        Heard::Name {
            name: Bytes::from(text),
            cut: false,
        }
    }

    fn heard(turns: &[Turn]) -> Vec<Heard> {
        turns.iter().map(|t| t.heard.clone()).collect()
    }

    #[test]
    fn greeting_is_welcome_then_prompt() {
        let d = ServerDialogue::new();
        let bytes: Vec<u8> = d.greeting().iter().flat_map(Reply::to_bytes).collect();
        assert_eq!(bytes, b"Welcome!\nWhats your name?");
    }

    #[test]
    fn raw_name_is_greeted_then_asked_again() {
        let mut d = ServerDialogue::new();
        let turns = d.feed(b"Alice");
        assert_eq!(heard(&turns), vec![name("Alice")]);
        let bytes: Vec<u8> = turns[0].replies.iter().flat_map(Reply::to_bytes).collect();
        assert_eq!(bytes, b"Hello Alice!\nWhats your name?");
    }

    #[test]
    fn exit_says_good_bye_and_ignores_the_rest() {
        let mut d = ServerDialogue::new();
        let turns = d.feed(b"exit");
        assert_eq!(turns[0].replies, vec![Reply::GoodBye]);
        assert!(d.is_finished());
        assert!(d.feed(b"Bob").is_empty());
        assert!(d.finish().is_empty());
    }

    #[test]
    fn line_client_lines_are_names_without_cr_lf() {
        let mut d = ServerDialogue::new();
        let turns = d.feed(b"Alice\nBob\r\n\nexit\nCarol\n");
        assert_eq!(
            heard(&turns),
            vec![name("Alice"), name("Bob"), Heard::EmptyName, Heard::Exit]
        );
    }

    #[test]
    fn line_client_unfinished_line_waits_for_its_break() {
        let mut d = ServerDialogue::new();
        assert_eq!(heard(&d.feed(b"Alice\nBo")), vec![name("Alice")]);
        assert_eq!(heard(&d.feed(b"b\n")), vec![name("Bob")]);
        assert_eq!(heard(&d.feed(b"Carol")), vec![]);
        assert_eq!(heard(&d.finish()), vec![name("Carol")]);
    }

    #[test]
    fn empty_line_asks_again_without_greeting() {
        let mut d = ServerDialogue::new();
        let turns = d.feed(b"\r\n");
        assert_eq!(turns[0].heard, Heard::EmptyName);
        assert_eq!(turns[0].replies, vec![Reply::Prompt]);
    }

    #[test]
    fn chinese_names_are_echoed_byte_for_byte() {
        let mut d = ServerDialogue::new();
        let turns = d.feed("张三".as_bytes());
        assert_eq!(turns[0].replies[0].to_bytes(), "Hello 张三!\n".as_bytes());
    }

    #[test]
    fn name_of_exactly_max_bytes_is_one_name() {
        let mut d = ServerDialogue::new();
        let turns = d.feed(&[b'a'; MAX_NAME]);
        assert_eq!(turns.len(), 1);
        assert_eq!(
            turns[0].heard,
            Heard::Name {
                name: Bytes(vec![b'a'; MAX_NAME]),
                cut: false
            }
        );
    }

    #[test]
    fn long_raw_name_is_greeted_in_pieces() {
        let mut d = ServerDialogue::new();
        let turns = d.feed(&[b'a'; MAX_NAME + 1]);
        assert_eq!(turns.len(), 2);
        assert!(
            matches!(&turns[0].heard, Heard::Name { name, cut: true } if name.len() == MAX_NAME)
        );
        assert!(matches!(&turns[1].heard, Heard::Name { name, cut: true } if name.len() == 1));
    }

    #[test]
    fn long_line_is_cut_without_splitting_characters() {
        let mut d = ServerDialogue::new();
        d.feed(b"\n");
        // 400 copies of a 3-byte character = 1,200 bytes, no line break yet.
        let long = "张".repeat(400);
        let turns = d.feed(long.as_bytes());
        assert_eq!(turns.len(), 1);
        let Heard::Name { name, cut: true } = &turns[0].heard else {
            panic!("expected a cut name, got {:?}", turns[0].heard);
        };
        assert_eq!(name.len(), 1023);
        assert!(std::str::from_utf8(name.as_slice()).is_ok());
        // The rest stays pending until the line break.
        let turns = d.feed(b"\n");
        assert_eq!(turns.len(), 1);
        let Heard::Name { name, .. } = &turns[0].heard else {
            panic!("expected a name");
        };
        assert_eq!(name.len(), 1200 - 1023);
    }

    #[test]
    fn exit_after_a_long_line_is_a_piece_however_the_line_arrives() {
        // Whole: `x` * 1024 + `exit` is a long line, greeted in two pieces.
        let mut line = vec![b'x'; MAX_NAME];
        line.extend_from_slice(b"exit\n");
        let mut whole = ServerDialogue::new();
        whole.feed(b"\n");
        let expected = whole.feed(&line);
        // In two segments: the first piece goes out before `exit` arrives,
        // and `exit` is still the last piece of that line, not the command.
        let mut split = ServerDialogue::new();
        split.feed(b"\n");
        let (head, tail) = line.split_at(MAX_NAME + 1);
        let mut got = split.feed(head);
        got.extend(split.feed(tail));
        assert_eq!(got, expected);
        assert!(!split.is_finished());
        assert_eq!(
            got.last().map(|t| &t.heard),
            Some(&Heard::Name {
                name: Bytes::from("exit"),
                cut: true
            })
        );
    }

    #[test]
    fn cr_at_the_limit_waits_for_its_lf_instead_of_cutting() {
        // A name of exactly MAX_NAME bytes, then `\r` and `\n` in separate
        // segments: still one whole name, not a piece and an empty line.
        let mut d = ServerDialogue::new();
        d.feed(b"\n");
        let mut head = vec![b'a'; MAX_NAME];
        head.push(b'\r');
        assert!(d.feed(&head).is_empty());
        assert_eq!(
            heard(&d.feed(b"\n")),
            vec![Heard::Name {
                name: Bytes(vec![b'a'; MAX_NAME]),
                cut: false
            }]
        );
    }

    #[test]
    fn exit_inside_a_long_name_is_just_a_piece() {
        let mut d = ServerDialogue::new();
        let mut long = vec![b'x'; MAX_NAME];
        long.extend_from_slice(b"exit");
        let turns = d.feed(&long);
        assert_eq!(turns.len(), 2);
        assert!(!d.is_finished());
    }
}
