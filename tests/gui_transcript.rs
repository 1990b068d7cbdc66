//! The transcript view under volume: no event is dropped, and only the
//! rows on screen are laid out, so 100,000 lines cost what a screenful does.

mod gui_common;

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use gui_common::*;
use tcp_playground::net::{Bytes, EventKind, Origin};

#[test]
fn a_hundred_thousand_events_are_all_kept_and_only_visible_rows_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    let sender = h.state().event_sender().clone();
    const N: usize = 100_000;
    for i in 0..N {
        let origin = Origin::ServerConn(1 + (i % 2) as u64);
        let bytes = Bytes::from(format!("line {i}").as_str());
        sender.emit(origin, EventKind::Received { bytes });
    }
    wait_until(&mut h, "every event to be applied", |app| {
        app.transcript.transcript().len() == N
    });
    assert_shown(&h, "100000 events");
    // The newest line is on screen (the view follows the end)...
    assert_shown(&h, "line 99999");
    // ...and only a screenful of rows exists in the UI tree.
    let drawn = h.query_all_by_label_contains("recv ").count();
    assert!(drawn < 100, "{drawn} rows were laid out");

    // Filtering to one connection shows half of them, instantly.
    h.state_mut()
        .transcript
        .set_filter(Some(Origin::ServerConn(2)));
    h.step();
    h.step();
    assert_shown(&h, "50000 events");
    assert_shown(&h, "line 99999");
}

/// Near its limit the transcript warns; past it, it says how many events
/// were not kept (never silently); Clear makes room again.
#[test]
fn a_full_transcript_says_so_and_clear_makes_room() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    h.state_mut().transcript.set_limit(100);
    let sender = h.state().event_sender().clone();
    let send = |n: usize| {
        for i in 0..n {
            let bytes = Bytes::from(format!("line {i}").as_str());
            sender.emit(Origin::ServerConn(1), EventKind::Received { bytes });
        }
    };
    send(85);
    wait_until(&mut h, "85 events", |app| {
        app.transcript.transcript().len() == 85
    });
    assert_shown(&h, "The transcript is filling up: 85 of 100 events.");

    send(40);
    wait_until(&mut h, "the transcript to be full", |app| {
        app.transcript.transcript().dropped() == 25
    });
    assert_eq!(h.state().transcript.transcript().len(), 100);
    assert_shown(
        &h,
        "Transcript full: the first 100 events are kept, 25 later ones are not.",
    );

    click(&mut h, "Clear");
    assert!(h.state().transcript.transcript().is_empty());
    assert!(
        h.query_all_by_label_contains("Transcript full")
            .next()
            .is_none()
    );
    send(1);
    wait_until(&mut h, "a new event to be kept", |app| {
        app.transcript.transcript().len() == 1
    });
}
