//! A client tab switches language live: labels, its state and the tab's
//! own notes in its conversation (written before the switch) all follow,
//! while the dialogue's bytes stay as they were sent.
//!
//! One test in its own file: the language is the whole process's.

mod gui_common;

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use gui_common::*;
use tcp_playground::app::client_tab::TabState;
use tcp_playground::app::lang::Language;
use tcp_playground::net::{CloseReason, EventKind};

#[test]
fn a_finished_dialogue_is_shown_again_in_chinese_after_a_switch() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    client_at_prompt(&mut h);
    type_and_enter(&mut h, "exit");
    wait_until(&mut h, "the tab closed", |app| {
        app.clients.tabs()[0].state() == &TabState::Closed(CloseReason::Exit)
    });
    // And the server's thread too: its close arrives on its own, and would
    // otherwise add an English line between the two counts below.
    wait_until(&mut h, "both ends closed", |app| {
        app.transcript
            .transcript()
            .events()
            .filter(|e| matches!(e.kind, EventKind::Closed { .. }))
            .count()
            == 2
    });
    // The transcript's lines are data, as saved, and stay in English; the
    // tab's state line, its note and the thread's row follow the language.
    // Only labels that are exactly the close are counted: a transcript
    // line starts with its time, and which of them are on screen changes
    // as late events (TCP states) scroll it.
    let english =
        |h: &egui_kittest::Harness<'static, _>| h.query_all_by_label("closed: said exit").count();
    let english_before = english(&h);
    assert!(
        english_before >= 2,
        "the close is shown ({english_before} times)"
    );
    assert_shown(&h, "Your name");

    Language::Chinese.apply();
    h.step();
    h.step();
    let english_after = english(&h);
    let chinese = h.query_all_by_label_contains("已关闭：说了 exit").count();
    let name_label = h.query_all_by_label_contains("你的名字").next().is_some();
    Language::English.apply();
    assert!(name_label, "the name field's label is in Chinese");
    assert_eq!(english_after, 0, "an English close is left");
    assert!(
        chinese >= english_before,
        "each English close became a Chinese one ({chinese} of {english_before})"
    );
    h.step();
    h.step();
    assert_eq!(english(&h), english_before, "and back in English");

    // The dialogue's own words are never translated.
    let tab = &h.state().clients.tabs()[0];
    assert!(
        tab.conversation()
            .iter()
            .any(|l| l.text == "Whats your name?")
    );
}
