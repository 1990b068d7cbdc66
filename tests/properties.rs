//! Properties of the two pure cores, checked on generated inputs.
//!
//! TCP may cut a byte stream anywhere. Both ends of the dialogue must
//! therefore understand the same bytes the same way, however they arrive:
//!
//! - the client's [`MessageParser`] gives the same messages for any
//!   segmentation of what the server sent;
//! - the server's [`ServerDialogue`] gives the same turns for any
//!   segmentation of what a line client sent, once that client is known to
//!   be a line client (its first line break has arrived);
//! - a raw name (the tutorial's client, no line break) is greeted in pieces
//!   of at most [`MAX_NAME`] bytes that add up to exactly what was sent.

use proptest::collection::vec;
use proptest::prelude::*;
use tcp_playground::net::bytes::escape;
use tcp_playground::net::parser::MessageParser;
use tcp_playground::net::protocol::{
    EXIT, GOOD_BYE, HELLO_PREFIX, HELLO_SUFFIX, Heard, MAX_NAME, PROMPT, ServerDialogue, Turn,
    WELCOME,
};
use tcp_playground::net::{Bytes, ServerMessage};

/// Enough cases to find the edge cases below in a few seconds of a debug
/// build. A failure is printed (shrunk) rather than saved to a file: the
/// cases worth keeping become named regression tests beside the code.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes in a few words: short ones escaped, long ones by length and start.
fn short(bytes: &[u8]) -> String {
    if bytes.len() <= 24 {
        format!("\"{}\"", escape(bytes))
    } else {
        format!("{} bytes \"{}...\"", bytes.len(), escape(&bytes[..16]))
    }
}

fn short_message(message: &ServerMessage) -> String {
    match message {
        ServerMessage::Hello(name) => format!("Hello({})", short(name.as_slice())),
        ServerMessage::Unexpected(bytes) => format!("Unexpected({})", short(bytes.as_slice())),
        other => format!("{other:?}"),
    }
}

fn short_turn(turn: &Turn) -> String {
    match &turn.heard {
        Heard::Name { name, cut } => format!("Name({}, cut: {cut})", short(name.as_slice())),
        other => format!("{other:?}"),
    }
}

/// Fails with both sides summarised when `got` differs from `expected`
/// (the full values of long names would bury the difference).
fn same<T: PartialEq>(
    got: &[T],
    expected: &[T],
    show: fn(&T) -> String,
) -> Result<(), TestCaseError> {
    if got == expected {
        return Ok(());
    }
    let list = |items: &[T]| items.iter().map(show).collect::<Vec<_>>().join(", ");
    Err(TestCaseError::fail(format!(
        "\n     got: [{}]\nexpected: [{}]",
        list(got),
        list(expected)
    )))
}

/// Any byte but `\n` (a `\n` becomes `?`, so nothing is rejected).
fn non_newline_byte() -> impl Strategy<Value = u8> {
    any::<u8>().prop_map(|b| if b == b'\n' { b'?' } else { b })
}

/// A name as a user might type it, or not: ASCII, Chinese, raw bytes, and
/// now and then one longer than any limit of the code under test.
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[a-zA-Z0-9 !?\r]{0,12}".prop_map(String::into_bytes),
        3 => "[张三李四王五赵六你好!]{1,8}".prop_map(String::into_bytes),
        3 => vec(non_newline_byte(), 0..40),
        1 => vec(non_newline_byte(), 1000..1100),
        1 => "[张三a]{1000,1700}".prop_map(String::into_bytes),
        1 => vec(non_newline_byte(), 4000..5000),
    ]
}

/// Cut points for a byte string of length `len`: sorted, no repeats.
fn cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    vec(0..=len, 0..12).prop_map(|mut at| {
        at.sort_unstable();
        at.dedup();
        at
    })
}

/// `bytes` split at `cuts` (some pieces may be empty).
fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for &at in cuts {
        pieces.push(&bytes[start..at]);
        start = at;
    }
    pieces.push(&bytes[start..]);
    pieces
}

// ---------------------------------------------------------------------------
// (a) The client's parser.

/// One thing a server may send: a message of the dialogue, or a garbage line.
#[derive(Clone, Debug)]
enum Sent {
    Message(ServerMessage),
    Garbage(Vec<u8>),
}

fn sent() -> impl Strategy<Value = Sent> {
    prop_oneof![
        2 => Just(Sent::Message(ServerMessage::Welcome)),
        4 => Just(Sent::Message(ServerMessage::Prompt)),
        4 => name().prop_map(|n| Sent::Message(ServerMessage::Hello(Bytes(n)))),
        1 => Just(Sent::Message(ServerMessage::GoodBye)),
        2 => name().prop_map(|mut line| {
            line.push(b'\n');
            Sent::Garbage(line)
        }),
    ]
}

/// A server's output: messages, then maybe an unfinished last message.
fn server_output() -> impl Strategy<Value = (Vec<Sent>, Vec<u8>)> {
    (
        vec(sent(), 0..12),
        prop_oneof![
            3 => Just(Vec::new()),
            1 => name(),
            1 => Just(b"Whats your".to_vec()),
            1 => Just(b"Hello Ali".to_vec()),
        ],
    )
}

fn encode(sent: &[Sent], tail: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in sent {
        match s {
            Sent::Message(ServerMessage::Welcome) => out.extend_from_slice(WELCOME),
            Sent::Message(ServerMessage::Prompt) => out.extend_from_slice(PROMPT),
            Sent::Message(ServerMessage::Hello(name)) => {
                out.extend_from_slice(HELLO_PREFIX);
                out.extend_from_slice(name.as_slice());
                out.extend_from_slice(HELLO_SUFFIX);
            }
            Sent::Message(ServerMessage::GoodBye) => out.extend_from_slice(GOOD_BYE),
            Sent::Message(ServerMessage::Unexpected(bytes)) => {
                out.extend_from_slice(bytes.as_slice())
            }
            Sent::Garbage(line) => out.extend_from_slice(line),
        }
    }
    out.extend_from_slice(tail);
    out
}

/// Everything the parser says about `pieces`, `finish()`'s answer last.
fn parse(pieces: &[&[u8]]) -> Vec<ServerMessage> {
    let mut parser = MessageParser::new();
    let mut messages: Vec<ServerMessage> = pieces.iter().flat_map(|p| parser.push(p)).collect();
    messages.extend(parser.finish());
    messages
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parser_gives_the_same_messages_for_any_segmentation(
        (bytes, at) in server_output()
            .prop_map(|(sent, tail)| encode(&sent, &tail))
            .prop_flat_map(|bytes| {
                let len = bytes.len();
                (Just(bytes), cuts(len))
            })
    ) {
        let whole = parse(&[&bytes]);
        same(&parse(&split(&bytes, &at)), &whole, short_message)?;
        // One byte at a time is the extreme split; kept to shorter outputs
        // because the parser rescans what it holds on every push.
        if bytes.len() <= 3000 {
            let byte_by_byte: Vec<&[u8]> = bytes.chunks(1).collect();
            same(&parse(&byte_by_byte), &whole, short_message)?;
        }
    }

    #[test]
    fn parser_reads_our_servers_messages_back(
        sent in vec(sent(), 0..12),
    ) {
        // Only what our server can send: no garbage, names of at most MAX_NAME.
        let messages: Vec<ServerMessage> = sent
            .into_iter()
            .filter_map(|s| match s {
                Sent::Message(ServerMessage::Hello(n)) if n.len() > MAX_NAME => None,
                Sent::Message(m) => Some(m),
                Sent::Garbage(_) => None,
            })
            .collect();
        let sent: Vec<Sent> = messages.iter().cloned().map(Sent::Message).collect();
        let bytes = encode(&sent, b"");
        // Nothing is left over for `finish()`.
        same(&parse(&[&bytes]), &messages, short_message)?;
    }
}

// ---------------------------------------------------------------------------
// (b) The server's dialogue with a line client.

/// One line as a line client sends it, break included.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        8 => name(),
        1 => Just(Vec::new()),
        1 => Just(EXIT.to_vec()),
        // Around the limit, where a `\r` or `exit` may sit right at a cut.
        1 => (1015usize..1035, prop_oneof![Just(b'x'), Just(b'\r')]).prop_map(|(n, last)| {
            let mut line = vec![b'a'; n];
            line.push(last);
            line
        }),
        1 => (1018usize..1030).prop_map(|n| {
            let mut line = vec![b'a'; n];
            line.extend_from_slice(EXIT);
            line
        }),
    ];
    (text, any::<bool>()).prop_map(|(mut line, crlf)| {
        if crlf {
            line.push(b'\r');
        }
        line.push(b'\n');
        line
    })
}

/// A line client's input: complete lines, then maybe an unfinished one;
/// and the length of the first chunk, which holds at least the first line.
fn line_client_input() -> impl Strategy<Value = (Vec<u8>, usize)> {
    (
        vec(line(), 1..8),
        prop_oneof![3 => Just(Vec::new()), 1 => name()],
    )
        .prop_flat_map(|(lines, tail)| {
            let first_line = lines[0].len();
            let bytes: Vec<u8> = lines.concat().into_iter().chain(tail).collect();
            let len = bytes.len();
            (Just(bytes), first_line..=len)
        })
}

/// Every turn the dialogue gives for `pieces`, `finish()` included.
fn converse(pieces: &[&[u8]]) -> Vec<Turn> {
    let mut dialogue = ServerDialogue::new();
    let mut turns: Vec<Turn> = pieces.iter().flat_map(|p| dialogue.feed(p)).collect();
    turns.extend(dialogue.finish());
    turns
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn line_client_gets_the_same_turns_for_any_segmentation(
        ((bytes, first), at) in line_client_input().prop_flat_map(|(bytes, first)| {
            let rest = bytes.len() - first;
            (Just((bytes, first)), cuts(rest))
        })
    ) {
        let whole = converse(&[&bytes]);
        let (head, rest) = bytes.split_at(first);
        let mut pieces = vec![head];
        pieces.extend(split(rest, &at));
        same(&converse(&pieces), &whole, short_turn)?;
    }
}

// ---------------------------------------------------------------------------
// (c) Raw names, as the tutorial's client sends them.

fn raw_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(non_newline_byte(), 1..=3000),
        "[张三李四a-z]{1,1000}".prop_map(String::into_bytes),
        Just(EXIT.to_vec()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_raw_name_is_greeted_in_pieces_that_add_up_to_it(name in raw_name()) {
        let mut dialogue = ServerDialogue::new();
        let turns = dialogue.feed(&name);
        let mut joined = Vec::new();
        for turn in &turns {
            let piece = match &turn.heard {
                Heard::Name { name, .. } => name.as_slice(),
                Heard::Exit => EXIT,
                Heard::EmptyName => {
                    return Err(TestCaseError::fail("a raw name is never empty"));
                }
            };
            prop_assert!(!piece.is_empty() && piece.len() <= MAX_NAME, "piece of {} bytes", piece.len());
            // A UTF-8 name is never cut inside a character.
            if std::str::from_utf8(&name).is_ok() {
                prop_assert!(std::str::from_utf8(piece).is_ok());
            }
            joined.extend_from_slice(piece);
        }
        prop_assert_eq!(joined, name);
    }
}
