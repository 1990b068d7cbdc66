//! Fuzzes the client's stream parser (`net::parser::MessageParser`) with
//! any bytes a server might send, cut anywhere.
//!
//! Checked on every input, beyond "does not panic":
//! - the same bytes give the same messages, whatever the cuts;
//! - nothing is lost or invented: the messages, written back as bytes, are
//!   exactly the stream;
//! - the parser never holds more than `MAX_MESSAGE` bytes waiting.

#![no_main]

mod split;

use libfuzzer_sys::fuzz_target;
use tcp_playground::net::ServerMessage;
use tcp_playground::net::parser::{MAX_MESSAGE, MessageParser};
use tcp_playground::net::protocol::{GOOD_BYE, HELLO_PREFIX, HELLO_SUFFIX, PROMPT, WELCOME};

/// Everything the parser says about `pieces`, `finish()`'s answer last.
fn parse(pieces: &[&[u8]]) -> Vec<ServerMessage> {
    let mut parser = MessageParser::new();
    let mut messages = Vec::new();
    for piece in pieces {
        messages.extend(parser.push(piece));
        assert!(
            parser.pending().len() <= MAX_MESSAGE,
            "the parser holds {} bytes",
            parser.pending().len()
        );
    }
    messages.extend(parser.finish());
    messages
}

/// The bytes a message came from.
fn write_back(messages: &[ServerMessage]) -> Vec<u8> {
    let mut out = Vec::new();
    for message in messages {
        match message {
            ServerMessage::Welcome => out.extend_from_slice(WELCOME),
            ServerMessage::Prompt => out.extend_from_slice(PROMPT),
            ServerMessage::Hello(name) => {
                out.extend_from_slice(HELLO_PREFIX);
                out.extend_from_slice(name.as_slice());
                out.extend_from_slice(HELLO_SUFFIX);
            }
            ServerMessage::GoodBye => out.extend_from_slice(GOOD_BYE),
            ServerMessage::Unexpected(bytes) => out.extend_from_slice(bytes.as_slice()),
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (stream, cuts) = split::stream_and_cuts(data);
    let whole = parse(&[stream]);
    let cut = parse(&split::split(stream, &cuts));
    assert_eq!(whole, cut, "the cuts changed the messages");
    assert_eq!(write_back(&whole), stream, "bytes were lost or invented");
});
