//! The window shows each socket's real TCP state beside the dialogue: the
//! listener, the server thread's socket and the client tab's socket.
#![cfg(target_os = "linux")]

mod gui_common;

use std::sync::Arc;

use gui_common::*;
use tcp_playground::net::tcp_state::TcpState;

#[test]
fn real_tcp_states_appear_for_listener_server_thread_and_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    start_server(&mut h);
    wait_until(&mut h, "the listener's state", |app| {
        app.server.listener_tcp().map(|t| t.state) == Some(TcpState::Listen)
    });
    assert_shown(&h, "LISTEN");

    click(&mut h, "New client");
    wait_until(&mut h, "both ends ESTABLISHED", |app| {
        let tab = app.clients.tabs()[0].tcp().map(|t| t.state);
        let row = app
            .server
            .threads()
            .rows()
            .first()
            .and_then(|r| r.tcp)
            .map(|t| t.state);
        app.clients.tabs()[0].is_your_turn()
            && tab == Some(TcpState::Established)
            && row == Some(TcpState::Established)
    });
    assert_shown(&h, "ESTABLISHED");

    // exit: the server closes first, so its socket waits in TIME_WAIT and
    // the client's disappears.
    h.event(egui::Event::Text("exit".to_owned()));
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(
        &mut h,
        "TIME_WAIT on the server's side, CLOSED on the tab's",
        |app| {
            let tab = app.clients.tabs()[0].tcp().map(|t| t.state);
            let row = app.server.threads().rows()[0].tcp;
            tab == Some(TcpState::Closed)
                && row.is_some_and(|t| t.state == TcpState::TimeWait && t.is_counting_down())
        },
    );
    assert_shown(&h, "TIME_WAIT ");
    assert_shown(&h, "CLOSED");
}
