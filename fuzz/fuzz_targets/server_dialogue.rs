//! Fuzzes the server's side of the dialogue (`net::protocol::ServerDialogue`)
//! with any bytes a client might send, cut anywhere.
//!
//! Checked on every input, beyond "does not panic":
//! - every greeted name is one piece of at most `MAX_NAME` bytes with no
//!   line break, greeted back exactly as heard, and its escaped form (what
//!   the window and text exports show) has no control character left;
//! - the server holds at most one name's worth of bytes (plus a `\r`)
//!   while it waits for a line break: a client cannot make it grow;
//! - `exit` is the last thing heard, and nothing is answered after it;
//! - the names never add up to more bytes than were sent;
//! - for a line client (once its first line break has arrived), the same
//!   bytes give the same turns whatever the cuts.

#![no_main]

mod split;

use libfuzzer_sys::fuzz_target;
use tcp_playground::net::bytes::escape;
use tcp_playground::net::protocol::{Heard, MAX_NAME, Reply, ServerDialogue, Turn};

/// All turns for `pieces`, `finish()`'s last; checks the per-turn rules.
fn converse(pieces: &[&[u8]]) -> Vec<Turn> {
    let mut dialogue = ServerDialogue::new();
    let mut turns = Vec::new();
    for piece in pieces {
        let was_finished = dialogue.is_finished();
        let new = dialogue.feed(piece);
        assert!(!was_finished || new.is_empty(), "answered after exit");
        assert!(dialogue.waiting_bytes() <= MAX_NAME + 1, "holds too much");
        turns.extend(new);
    }
    turns.extend(dialogue.finish());
    for turn in &turns {
        check_turn(turn);
    }
    if let Some(exit) = turns.iter().position(|t| t.heard == Heard::Exit) {
        assert_eq!(exit, turns.len() - 1, "something was heard after exit");
    }
    turns
}

fn check_turn(turn: &Turn) {
    match &turn.heard {
        Heard::Name { name, .. } => {
            let name = name.as_slice();
            assert!(!name.is_empty() && name.len() <= MAX_NAME);
            assert!(!name.contains(&b'\n'));
            assert_eq!(turn.replies, [Reply::Hello(name.to_vec()), Reply::Prompt]);
            assert!(!escape(name).chars().any(char::is_control), "unescaped control");
        }
        Heard::EmptyName => assert_eq!(turn.replies, [Reply::Prompt]),
        Heard::Exit => assert_eq!(turn.replies, [Reply::GoodBye]),
    }
}

fn name_bytes(turns: &[Turn]) -> usize {
    turns
        .iter()
        .map(|t| match &t.heard {
            Heard::Name { name, .. } => name.len(),
            _ => 0,
        })
        .sum()
}

fuzz_target!(|data: &[u8]| {
    let (stream, cuts) = split::stream_and_cuts(data);
    let turns = converse(&split::split(stream, &cuts));
    assert!(name_bytes(&turns) <= stream.len());

    // A line client: the bytes up to its first line break arrive first,
    // the rest is cut anywhere; it must not matter where.
    if let Some(newline) = stream.iter().position(|&b| b == b'\n') {
        let (first, rest) = stream.split_at(newline + 1);
        let rest_cuts: Vec<usize> = cuts
            .iter()
            .filter(|&&at| at > first.len())
            .map(|&at| at - first.len())
            .collect();
        let mut pieces = vec![first];
        pieces.extend(split::split(rest, &rest_cuts));
        assert_eq!(
            converse(&[first, rest]),
            converse(&pieces),
            "the cuts changed the turns"
        );
    }
});
