//! The window shows each socket's real TCP state beside the dialogue: the
//! listener, the server thread's socket and the client tab's socket.
#![cfg(target_os = "linux")]

mod gui_common;

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
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
    type_and_enter(&mut h, "exit");
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

#[test]
fn the_diagram_lists_the_steps_of_a_connection_made_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    client_at_prompt(&mut h);
    type_and_enter(&mut h, "张三");
    wait_until(&mut h, "the next prompt", |app| {
        app.clients.tabs()[0]
            .conversation()
            .iter()
            .any(|l| l.text == "Hello 张三!")
            && app.clients.tabs()[0].is_your_turn()
    });
    type_and_enter(&mut h, "exit");
    wait_until(&mut h, "the server's TIME_WAIT", |app| {
        app.server.threads().rows()[0].tcp.map(|t| t.state) == Some(TcpState::TimeWait)
            && app.clients.tabs()[0].tcp().map(|t| t.state) == Some(TcpState::Closed)
    });
    click(&mut h, "Diagram");
    // The handshake, drawn from the state machine (or captured, see below)...
    if may_capture() {
        assert_shown(&h, "━━ SYN seq=0 ━━▶");
    } else {
        assert_shown(&h, "╌╌ SYN ╌╌▶");
        assert_shown(&h, "◀╌╌ SYN+ACK ╌╌");
    }
    assert_shown(&h, "SYN_SENT");
    assert_shown(&h, "SYN_RECV");
    assert_shown(&h, "are inferred");
    // ...the real states and the messages as they were sent...
    assert_shown(&h, "ESTABLISHED");
    assert_shown(&h, "◀── \"Welcome!\\n\" ──");
    assert_shown(&h, "── \"张三\" ──▶");
    assert_shown(&h, "◀── \"Good bye!\\n\" ──");
    // ...and the close: the server first, so its socket waits in TIME_WAIT.
    assert_shown(&h, "close() (said exit)");
    if !may_capture() {
        assert_shown(&h, "◀╌╌ FIN ╌╌");
    }
    assert_shown(&h, "TIME_WAIT");
    assert_shown(&h, "CLOSED");
}

/// Slow motion shows the four-way close in the window: after `exit` the
/// server closes first; its FIN leaves the tab's socket half-closed in
/// CLOSE_WAIT and the server's in FIN_WAIT_2, visible together, until the
/// client closes too (TIME_WAIT on the server's side).
#[test]
fn slow_motion_shows_close_wait_and_fin_wait_2_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    start_server(&mut h);
    h.get_by_label("Slow motion").click();
    h.step();
    click(&mut h, "New client");
    wait_until(&mut h, "the prompt, one step at a time", |app| {
        app.clients.tabs()[0].is_your_turn()
    });
    type_and_enter(&mut h, "exit");
    wait_until(&mut h, "both half-closed states at once", |app| {
        let tab = app.clients.tabs()[0].tcp().map(|t| t.state);
        let row = app.server.threads().rows()[0].tcp.map(|t| t.state);
        tab == Some(TcpState::CloseWait) && row == Some(TcpState::FinWait2)
    });
    assert_shown(&h, "CLOSE_WAIT");
    assert_shown(&h, "FIN_WAIT_2");
    assert_shown(&h, "this client waits before close()");
    wait_until(&mut h, "the end of the close", |app| {
        app.clients.tabs()[0].tcp().map(|t| t.state) == Some(TcpState::Closed)
            && app.server.threads().rows()[0].tcp.map(|t| t.state) == Some(TcpState::TimeWait)
    });
}

/// With accept() paused and a backlog of 0, the first client waits in the
/// queue (its socket ESTABLISHED, no thread serving it) and the second in
/// SYN_SENT; resuming serves both.
#[test]
fn pausing_accept_shows_the_backlog_queue_and_syn_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    h.state_mut().server.backlog = 0;
    start_server(&mut h);
    h.get_by_label("Pause accept()").click();
    h.step();
    h.step();
    assert_shown(&h, "accept() paused on 127.0.0.1:");
    click(&mut h, "New client");
    wait_until(
        &mut h,
        "the first client to connect into the queue",
        |app| app.clients.tabs()[0].tcp().map(|t| t.state) == Some(TcpState::Established),
    );
    click(&mut h, "New client");
    wait_until(&mut h, "the second client in SYN_SENT", |app| {
        app.clients.tabs()[1].tcp().map(|t| t.state) == Some(TcpState::SynSent)
    });
    assert_shown(&h, "SYN_SENT");
    assert!(
        h.state().server.threads().rows().is_empty(),
        "nobody accepted yet"
    );
    h.get_by_label("Pause accept()").click();
    wait_until(&mut h, "both served", |app| {
        app.clients.tabs().iter().all(|t| t.is_your_turn())
            && app.server.threads().rows().len() == 2
    });
}

/// "Hold SYN_RECV" (deferred accept): the tab is connected at once, while
/// the server's end waits in SYN_RECV, as the tab and its diagram say;
/// about 3 s later the server accepts and greets.
#[test]
fn holding_syn_recv_shows_the_servers_end_waiting_before_accept() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    start_server(&mut h);
    h.get_by_label("Hold SYN_RECV").click();
    h.step();
    click(&mut h, "New client");
    wait_until(&mut h, "the server's end held in SYN_RECV", |app| {
        app.clients.tabs()[0]
            .conversation()
            .iter()
            .any(|l| l.text.contains("held in SYN_RECV"))
    });
    assert_shown(&h, "held in SYN_RECV (deferred accept)");
    assert!(
        h.state().server.threads().rows().is_empty(),
        "nobody accepted yet"
    );
    click(&mut h, "Diagram");
    assert_shown(&h, "SYN_RECV");
    wait_until(
        &mut h,
        "accept(), the greeting and the end of the hold",
        |app| {
            let tab = &app.clients.tabs()[0];
            tab.is_your_turn()
                && app.server.threads().rows().len() == 1
                && tab
                    .conversation()
                    .iter()
                    .any(|l| l.text.contains("now ESTABLISHED: accept() can return it"))
        },
    );
}

/// "Hold FIN": after `exit` the server closes first with bytes the tab is
/// not reading, so its FIN waits and its socket stays in FIN_WAIT_1; then
/// the tab closes the same way and waits in LAST_ACK. The diagram notes
/// each held close.
#[test]
fn holding_fin_shows_fin_wait_1_then_last_ack() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    start_server(&mut h);
    h.get_by_label("Hold FIN").click();
    h.step();
    assert!(h.state().server.hold_close());
    click(&mut h, "New client");
    wait_until(&mut h, "the prompt", |app| {
        app.clients.tabs()[0].is_your_turn()
    });
    type_and_enter(&mut h, "exit");
    wait_until(&mut h, "the server's end held in FIN_WAIT_1", |app| {
        app.server.threads().rows()[0].tcp.map(|t| t.state) == Some(TcpState::FinWait1)
    });
    assert_shown(&h, "FIN_WAIT_1");
    wait_until(&mut h, "the tab's end held in LAST_ACK", |app| {
        app.clients.tabs()[0].tcp().map(|t| t.state) == Some(TcpState::LastAck)
    });
    assert_shown(&h, "LAST_ACK");
    wait_until(&mut h, "the end of the close", |app| {
        app.clients.tabs()[0].tcp().map(|t| t.state) == Some(TcpState::Closed)
            && app.server.threads().rows()[0].tcp.map(|t| t.state) == Some(TcpState::TimeWait)
    });
    click(&mut h, "Diagram");
    assert!(
        h.query_all_by_label_contains("so the FIN waits behind them (close hold)")
            .count()
            >= 2,
        "both closes are noted as held"
    );
    assert_shown(&h, "stopped reading for the close hold");
}

/// True when this process may capture segments (root; CI runs as root).
fn may_capture() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status.lines().find(|l| l.starts_with("Uid:"));
    uid.is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
}

/// With the privilege to capture, the diagram draws the real segments,
/// numbered from each side's first sequence number; without it, one line
/// says how to grant it and the arrows stay inferred.
#[test]
fn the_diagram_draws_the_real_segments_when_it_may_capture() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    client_at_prompt(&mut h);
    type_and_enter(&mut h, "exit");
    wait_until(&mut h, "the server's TIME_WAIT", |app| {
        app.server.threads().rows()[0].tcp.map(|t| t.state) == Some(TcpState::TimeWait)
            && app.clients.tabs()[0].tcp().map(|t| t.state) == Some(TcpState::Closed)
    });
    click(&mut h, "Diagram");
    if !may_capture() {
        assert_shown(&h, "setcap cap_net_raw+ep");
        assert_shown(&h, "╌╌ SYN ╌╌▶");
        return;
    }
    assert!(h.state().segments_unavailable().is_none());

    // The client's last ACK is captured a moment after its CLOSED is seen.
    wait_until(&mut h, "the last ACK on the wire", |app| {
        let tab = app.clients.tabs()[0].origin().expect("connected");
        app.transcript
            .events_of(tab)
            .iter()
            .filter(|e| matches!(e.kind, tcp_playground::net::EventKind::Segment { .. }))
            .count()
            >= 13
    });
    assert_shown(&h, "━━ SYN seq=0 ━━▶");
    assert_shown(&h, "◀━━ SYN+ACK seq=0 ack=1 ━━");
    assert_shown(&h, "━━ ACK seq=1 ack=1 ━━▶");
    assert_shown(&h, "◀━━ PSH+ACK seq=1 ack=1 len=9 ━━");
    assert_shown(&h, "◀━━ FIN+ACK");
    assert!(
        h.query_all_by_label_contains("╌╌ SYN ╌╌▶").next().is_none(),
        "no inferred handshake once it was captured"
    );
}
