//! The code view follows a connection made in the app: the server's code
//! is highlighted at `accept()` while the listener waits, then at each
//! `send()` and `recv()` of the server thread, then at `close()`; the
//! client's code at `connect()` and its `recv()`. Step mode holds each
//! step long enough to look at it. The thread table and the tab say
//! which call each thread is in.

mod gui_common;

use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use gui_common::*;
use tcp_playground::app::PlaygroundApp;
use tcp_playground::app::code_view::Spot;

/// The labels of the highlighted lines (they start with "▶").
fn highlighted(h: &Harness<'static, PlaygroundApp>) -> Vec<String> {
    h.query_all_by_label_contains("▶ ")
        .filter_map(|n| n.accesskit_node().label())
        .filter(|l| l.starts_with("▶ "))
        .collect()
}

/// Steps until the server's code is at `spot`, letting held steps through
/// with Next step when asked; then checks the highlighted line says `code`.
fn server_at(h: &mut Harness<'static, PlaygroundApp>, spot: Spot, code: &str) {
    wait_until(h, &format!("the server's code at {spot:?}"), |app| {
        server_spot(app) == Some(spot)
    });
    let lines = highlighted(h);
    assert!(
        lines.iter().any(|l| l.contains(code)),
        "{code:?} is highlighted: {lines:?}"
    );
}

fn server_spot(app: &PlaygroundApp) -> Option<Spot> {
    match app.server.threads().rows().first() {
        Some(row) => row.follow.spot(),
        None => app.server.listener_follow().spot(),
    }
}

/// Lets the next held step through, once a thread really waits at the
/// gate (the table may still show a step that was just taken).
fn next_step(h: &mut Harness<'static, PlaygroundApp>) {
    wait_until(h, "a held step", |app| app.server.gate().held() > 0);
    click(h, "Next step");
}

/// Starts the server in step mode, opens a client tab (held before
/// `connect()`) and shows its Code view.
fn code_of_a_held_client(h: &mut Harness<'static, PlaygroundApp>) {
    start_server(h);
    h.get_by_label("Step mode").click();
    h.step();
    click(h, "New client");
    // Once the tab's layout has settled (it says it waits before connect()).
    wait_until(h, "the tab held before connect()", |app| {
        app.clients.tabs()[0].held().is_some()
    });
    click(h, "Code");
}

#[test]
fn the_code_view_follows_accept_recv_send_and_close() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    code_of_a_held_client(&mut h);
    // The tab waits before connect(); the listener waits in accept().
    click(&mut h, "Client code");
    assert_shown(&h, "following tab-");
    let lines = highlighted(&h);
    assert!(
        lines.iter().any(|l| l.contains("s.connect(")),
        "the client is at connect(): {lines:?}"
    );
    click(&mut h, "Server code");
    server_at(&mut h, Spot::Accept, "conn, addr = s.accept()");
    assert_shown(&h, "waiting in accept()");

    // Next step: the client connects; the new server thread waits before
    // its first send().
    click(&mut h, "Next step");
    server_at(&mut h, Spot::SendWelcome, "conn.send(b'Welcome!\\n')");
    next_step(&mut h); // Welcome!
    next_step(&mut h); // the prompt
    // The server thread now waits in recv() for a name.
    server_at(&mut h, Spot::Recv, "data = conn.recv(1024)");
    assert_shown(&h, "waiting in recv()");
    wait_until(&mut h, "the tab's turn", |app| {
        app.clients.tabs()[0].is_your_turn()
    });
    // The name field has lost the focus to the code view's buttons.
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Your name")
        .click();
    h.step();
    type_and_enter(&mut h, "exit");
    server_at(&mut h, Spot::SendGoodBye, "conn.send(b'Good bye!\\n')");
    next_step(&mut h); // Good bye!
    server_at(&mut h, Spot::Close, "conn.close()");
    next_step(&mut h); // close()
    wait_until(&mut h, "the end of the dialogue", |app| {
        app.server.threads().rows()[0].is_closed()
    });
    assert_shown(&h, "close() returned ok");
}

/// Clicking a line explains it in English and in Chinese; the line the
/// thread is at is explained until then.
#[test]
fn a_clicked_line_is_explained_in_english_and_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    code_of_a_held_client(&mut h);
    server_at(&mut h, Spot::Accept, "conn, addr = s.accept()");
    assert_shown(&h, "already finished its three-way handshake");
    assert_shown(&h, "三次握手");
    let listen = h
        .query_all_by_label_contains("s.listen(5)")
        .next()
        .expect("the listen line");
    listen.click();
    h.step();
    h.step();
    assert_shown(&h, "line 21: s.listen(5)");
    assert_shown(&h, "backlog");
    assert_shown(&h, "挂起的最大连接数");
    click(&mut h, "Next step");
}
