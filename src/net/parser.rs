//! The name dialogue, client side: turning a byte stream back into messages.
//!
//! TCP delivers a stream of bytes, not messages. The server's `Welcome!\n`
//! and `Whats your name?` may arrive in one `recv` ("glued"), and a single
//! message may arrive in two. The tutorial's client assumes one `recv` is one
//! message, and hangs when two messages arrive together. [`MessageParser`]
//! does it properly: it keeps what it has received and cuts messages out of
//! it by their content alone, so **whatever the segmentation, the same bytes
//! give the same messages**.
//!
//! How each message is recognised:
//!
//! - `Welcome!\n`, `Whats your name?` and `Good bye!\n` by their exact bytes;
//! - `Hello N!\n` by its start, `Hello `, up to the first line break, which
//!   must follow a `!` (a name never contains a line break);
//! - anything else is [`ServerMessage::Unexpected`], up to and including the
//!   next line break.
//!
//! While the bytes so far could still become a message, the parser waits
//! for more. It never waits on more than [`MAX_MESSAGE`] bytes: a longer
//! line is reported as unexpected in pieces of that size, the same pieces
//! whether the line arrived in one `recv` or in many.

#![forbid(unsafe_code)]

use super::bytes::Bytes;
use super::event::ServerMessage;
use super::protocol::{GOOD_BYE, HELLO_PREFIX, HELLO_SUFFIX, PROMPT, WELCOME};

/// The most bytes the parser keeps while waiting for the end of a message.
/// A greeting is at most `Hello ` + 1,024 bytes + `!\n`; this leaves room.
pub const MAX_MESSAGE: usize = 4096;

/// Cuts server messages out of a byte stream.
#[derive(Debug, Default)]
pub struct MessageParser {
    buf: Vec<u8>,
}

/// The result of looking at the start of the buffer.
enum Cut {
    /// The first `len` bytes are this message.
    Message(ServerMessage, usize),
    /// The bytes could still become a message: wait for more.
    NeedMore,
}

impl MessageParser {
    /// An empty parser.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes; returns every message they complete, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<ServerMessage> {
        self.buf.extend_from_slice(bytes);
        let mut messages = Vec::new();
        let mut start = 0;
        while start < self.buf.len() {
            match cut(&self.buf[start..]) {
                Cut::Message(message, len) => {
                    messages.push(message);
                    start += len;
                }
                Cut::NeedMore => break,
            }
        }
        self.buf.drain(..start);
        messages
    }

    /// Bytes received but not yet part of a complete message.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// The stream ended: whatever is left is an unfinished message.
    pub fn finish(&mut self) -> Option<ServerMessage> {
        if self.buf.is_empty() {
            None
        } else {
            Some(ServerMessage::Unexpected(Bytes(std::mem::take(
                &mut self.buf,
            ))))
        }
    }
}

/// Recognises the message at the start of `buf` (which is not empty).
fn cut(buf: &[u8]) -> Cut {
    for (exact, message) in [
        (WELCOME, ServerMessage::Welcome),
        (PROMPT, ServerMessage::Prompt),
        (GOOD_BYE, ServerMessage::GoodBye),
    ] {
        if buf.starts_with(exact) {
            return Cut::Message(message, exact.len());
        }
    }
    // Only the first MAX_MESSAGE bytes decide: a longer line is cut into
    // pieces, whether it arrived at once or bit by bit (see `push`).
    let newline = buf.iter().take(MAX_MESSAGE).position(|&b| b == b'\n');
    if buf.starts_with(HELLO_PREFIX)
        && let Some(end) = newline
    {
        let line = &buf[..=end];
        if line.ends_with(HELLO_SUFFIX) {
            let name = &line[HELLO_PREFIX.len()..line.len() - HELLO_SUFFIX.len()];
            return Cut::Message(ServerMessage::Hello(Bytes::from(name)), line.len());
        }
    }
    if let Some(end) = newline {
        // A whole line that is none of the messages above.
        return Cut::Message(
            ServerMessage::Unexpected(Bytes::from(&buf[..=end])),
            end + 1,
        );
    }
    if buf.len() >= MAX_MESSAGE {
        Cut::Message(
            ServerMessage::Unexpected(Bytes::from(&buf[..MAX_MESSAGE])),
            MAX_MESSAGE,
        )
    } else {
        // Either the start of a known message, or a line that may go on.
        Cut::NeedMore
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(name: &str) -> ServerMessage {
        ServerMessage::Hello(Bytes::from(name))
    }

    /// The bytes of one complete dialogue, as our server sends them.
    const DIALOGUE: &[u8] =
        b"Welcome!\nWhats your name?Hello Alice!\nWhats your name?Whats your name?Good bye!\n";

    fn expected() -> Vec<ServerMessage> {
        vec![
            ServerMessage::Welcome,
            ServerMessage::Prompt,
            hello("Alice"),
            ServerMessage::Prompt,
            ServerMessage::Prompt,
            ServerMessage::GoodBye,
        ]
    }

    #[test]
    fn glued_messages_come_apart() {
        let mut p = MessageParser::new();
        assert_eq!(p.push(DIALOGUE), expected());
        assert_eq!(p.finish(), None);
    }

    #[test]
    fn every_split_into_two_gives_the_same_messages() {
        for at in 0..=DIALOGUE.len() {
            let mut p = MessageParser::new();
            let mut got = p.push(&DIALOGUE[..at]);
            got.extend(p.push(&DIALOGUE[at..]));
            assert_eq!(got, expected(), "split at byte {at}");
        }
    }

    #[test]
    fn byte_by_byte_gives_the_same_messages() {
        let mut p = MessageParser::new();
        let got: Vec<_> = DIALOGUE.iter().flat_map(|b| p.push(&[*b])).collect();
        assert_eq!(got, expected());
    }

    #[test]
    fn names_with_bangs_and_chinese_are_kept() {
        let mut p = MessageParser::new();
        let bytes = "Hello 张三!\nHello Hi!!\n".as_bytes();
        assert_eq!(p.push(bytes), vec![hello("张三"), hello("Hi!")]);
    }

    #[test]
    fn unknown_lines_are_unexpected_and_do_not_stop_parsing() {
        let mut p = MessageParser::new();
        let got = p.push(b"HTTP/1.1 400 Bad\nWelcome!\n");
        assert_eq!(
            got,
            vec![
                ServerMessage::Unexpected(Bytes::from("HTTP/1.1 400 Bad\n")),
                ServerMessage::Welcome
            ]
        );
    }

    #[test]
    fn a_hello_line_without_its_bang_is_unexpected() {
        let mut p = MessageParser::new();
        assert_eq!(
            p.push(b"Hello, Alice\n"),
            vec![ServerMessage::Unexpected(Bytes::from("Hello, Alice\n"))]
        );
    }

    #[test]
    fn endless_garbage_is_reported_in_bounded_pieces() {
        let mut p = MessageParser::new();
        let got = p.push(&vec![b'x'; MAX_MESSAGE * 2 + 5]);
        assert_eq!(got.len(), 2);
        assert_eq!(p.pending().len(), 5);
        assert_eq!(
            p.finish(),
            Some(ServerMessage::Unexpected(Bytes::from("xxxxx")))
        );
    }

    #[test]
    fn a_line_longer_than_max_message_gives_the_same_pieces_whole_or_split() {
        let mut line = b"Hello ".to_vec();
        line.extend(vec![b'x'; MAX_MESSAGE]);
        line.extend_from_slice(b"!\n");
        let mut whole = MessageParser::new();
        let expected = whole.push(&line);
        assert_eq!(
            expected,
            vec![
                ServerMessage::Unexpected(Bytes::from(&line[..MAX_MESSAGE])),
                ServerMessage::Unexpected(Bytes::from(&line[MAX_MESSAGE..])),
            ]
        );
        let mut split = MessageParser::new();
        let mut got = split.push(&line[..MAX_MESSAGE + 1]);
        got.extend(split.push(&line[MAX_MESSAGE + 1..]));
        assert_eq!(got, expected);
    }

    #[test]
    fn an_unfinished_message_at_the_end_is_unexpected() {
        let mut p = MessageParser::new();
        assert_eq!(
            p.push(b"Welcome!\nWhats your"),
            vec![ServerMessage::Welcome]
        );
        assert_eq!(
            p.finish(),
            Some(ServerMessage::Unexpected(Bytes::from("Whats your")))
        );
    }
}
