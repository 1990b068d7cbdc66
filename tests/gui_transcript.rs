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
