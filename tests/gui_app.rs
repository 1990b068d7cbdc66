//! The window, driven like a user would: start the server, open client
//! tabs, talk, exit, kick, save; and the errors a user can meet.

mod gui_common;

use std::sync::Arc;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use gui_common::*;
use tcp_playground::app::client_tab::TabState;
use tcp_playground::app::save::SaveOutcome;
use tcp_playground::app::server_panel::Status;
use tcp_playground::app::threads::Step;
use tcp_playground::net::{CloseReason, EventKind, Heard};

/// Sends `name` from the open tab, as a user would: type it, press Enter.
fn send_name(
    h: &mut egui_kittest::Harness<'static, tcp_playground::app::PlaygroundApp>,
    name: &str,
) {
    let field = h.get_by_role_and_label(Role::TextInput, "Your name");
    field.focus();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Your name")
        .type_text(name);
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
}

#[test]
fn three_clients_talk_one_exits_one_is_kicked_and_the_transcript_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let chooser = Arc::new(ScriptedChooser::default());
    let mut h = harness(dir.path(), Arc::clone(&chooser));
    let addr = start_server(&mut h);
    h.get_by_label_contains(&format!("Waiting for connection... on {addr}"));

    for _ in 0..3 {
        h.get_by_label("New client").click();
        h.step();
    }
    wait_until(&mut h, "three tabs asked for a name", |app| {
        app.clients.tabs().len() == 3 && app.clients.tabs().iter().all(|t| t.is_your_turn())
    });
    let titles: Vec<String> = h.state().clients.tabs().iter().map(|t| t.title()).collect();

    for (title, name) in titles.iter().zip(["Alice", "张三", "Bob"]) {
        open_tab(&mut h, title);
        send_name(&mut h, name);
    }
    wait_until(&mut h, "every name greeted", |app| {
        app.clients.tabs().iter().all(|t| t.is_your_turn())
            && app
                .server
                .threads()
                .rows()
                .iter()
                .all(|r| r.names.len() == 1)
    });
    // The thread table shows one row per client thread, with its name.
    assert_shown(&h, "张三");
    let rows = h.state().server.threads().rows().to_vec();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.step == Step::WaitingForName));
    // The open tab's conversation shows the greeting, in Chinese.
    open_tab(&mut h, &titles[2]);
    assert_shown(&h, "Hello Bob!");

    // The first client says exit.
    open_tab(&mut h, &titles[0]);
    send_name(&mut h, "exit");
    wait_until(&mut h, "the first client to close", |app| {
        app.clients.tabs()[0].state() == &TabState::Closed(CloseReason::Exit)
    });
    assert_shown(&h, "closed: said exit");

    // One of the two remaining server threads is kicked from the table.
    let locals: Vec<Option<std::net::SocketAddr>> = h
        .state()
        .clients
        .tabs()
        .iter()
        .map(|t| match t.state() {
            TabState::Connected { local, .. } => Some(*local),
            _ => None,
        })
        .collect();
    h.get_all_by_label("Kick")
        .next()
        .expect("a Kick button")
        .click();
    wait_until(&mut h, "a thread to be kicked", |app| {
        app.server
            .threads()
            .rows()
            .iter()
            .any(|r| r.step == Step::Closed(CloseReason::Kicked))
    });
    let kicked = h
        .state()
        .server
        .threads()
        .rows()
        .iter()
        .find(|r| r.step == Step::Closed(CloseReason::Kicked))
        .unwrap()
        .peer;
    let kicked_tab = locals.iter().position(|l| *l == Some(kicked)).unwrap();
    assert_ne!(kicked_tab, 0, "the tab that said exit has no Kick button");
    // The server's table says why (kicked); the client saw the server close.
    wait_until(&mut h, "the kicked tab to close", |app| {
        app.clients.tabs()[kicked_tab].state() == &TabState::Closed(CloseReason::Eof)
    });
    assert_shown(&h, "closed: kicked by the server");
    let steps: Vec<Step> = h
        .state()
        .server
        .threads()
        .rows()
        .iter()
        .map(|r| r.step.clone())
        .collect();
    assert_eq!(
        steps
            .iter()
            .filter(|s| **s == Step::Closed(CloseReason::Exit))
            .count(),
        1
    );
    assert_eq!(
        steps.iter().filter(|s| **s == Step::WaitingForName).count(),
        1
    );
    assert_eq!(h.state().server.threads().open_count(), 1);

    // The transcript has every step, merged; the console has the tutorial's lines.
    let transcript = h.state().transcript.transcript().clone();
    assert!(transcript.events().any(|e| matches!(
        &e.kind,
        EventKind::Heard { heard: Heard::Name { name, .. } } if name.as_slice() == "张三".as_bytes()
    )));
    assert!(
        h.state()
            .server
            .console()
            .iter()
            .any(|l| l.text.starts_with("Accept new connection from 127.0.0.1:"))
    );

    // Save… through the (scripted) dialog, as JSON Lines.
    let path = dir.path().join("lesson.jsonl");
    *chooser.answer.lock().unwrap() = Some(path.clone());
    h.get_by_label("Save…").click();
    wait_until(&mut h, "the save to finish", |app| {
        !app.saver().is_busy() && app.saver().last().is_some()
    });
    let Some(SaveOutcome::Saved {
        path: saved,
        events,
    }) = h.state().saver().last().cloned()
    else {
        panic!("not saved: {:?}", h.state().saver().last());
    };
    assert_eq!(saved, path);
    let back = tcp_playground::transcript::Transcript::read_jsonl(std::io::BufReader::new(
        std::fs::File::open(&path).unwrap(),
    ))
    .unwrap();
    assert_eq!(back.len(), events);
    assert!(back.events().any(|e| matches!(
        &e.kind,
        EventKind::Closed {
            reason: CloseReason::Kicked
        }
    )));
    assert_shown(&h, "Saved ");

    // Quick save: no dialog, into the folder.
    h.get_by_label("Quick save").click();
    wait_until(&mut h, "the quick save", |app| {
        !app.saver().is_busy()
            && matches!(app.saver().last(), Some(SaveOutcome::Saved { path, .. }) if path.starts_with(dir.path()) && path.extension().is_some_and(|e| e == "txt"))
    });
    assert_eq!(
        *chooser.calls.lock().unwrap(),
        1,
        "quick save opens no dialog"
    );
}

#[test]
fn a_port_in_use_is_shown_at_the_server_panel() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    set_field(&mut h, "Port", &port.to_string());
    click(&mut h, "Start");
    assert!(matches!(h.state().server.status(), Status::Failed(_)));
    let message = format!("port {port} is already in use");
    assert!(
        !h.get_all_by_label_contains(&message)
            .collect::<Vec<_>>()
            .is_empty()
    );
    // Nothing started; the Start button is still there.
    h.get_by_label("Start");
}

#[test]
fn a_bad_port_or_address_is_explained_at_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    set_field(&mut h, "Port", "70000");
    set_field(&mut h, "Bind address", "my laptop");
    click(&mut h, "Start");
    h.get_by_label("port must be a whole number from 0 to 65535, not \"70000\"");
    assert_shown(&h, "\"my laptop\" is not an IP address");
    assert_eq!(h.state().server.status(), &Status::Stopped);
}

#[test]
fn binding_beyond_loopback_warns() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    set_field(&mut h, "Bind address", "0.0.0.0");
    assert_shown(&h, "reachable from other machines");
}

#[test]
fn a_refused_connection_is_shown_in_the_tab_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    h.get_by_label("New client").click();
    h.step();
    set_field(&mut h, "Server", &format!("127.0.0.1:{}", free_port()));
    h.get_by_label("Connect").click();
    wait_until(&mut h, "the connection to fail", |app| {
        matches!(app.clients.tabs()[0].state(), TabState::Closed(_))
    });
    assert_shown(&h, "is the server running on that port?");
}

#[test]
fn an_empty_name_is_not_sent_and_a_hint_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    client_at_prompt(&mut h);
    click(&mut h, "Send");
    assert_shown(&h, "Type a name first");
    assert!(h.state().clients.tabs()[0].is_your_turn(), "still our turn");
}

#[test]
fn the_server_going_away_is_shown_in_every_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    client_at_prompt(&mut h);
    h.get_by_label("Stop").click();
    wait_until(&mut h, "the server to stop and the tab to close", |app| {
        app.server.status() == &Status::Stopped
            && matches!(app.clients.tabs()[0].state(), TabState::Closed(_))
    });
    assert_shown(&h, "closed: peer closed the connection");
    h.get_by_label("Start");
}

#[test]
fn fifty_tabs_stay_usable_and_close() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    for _ in 0..50 {
        h.get_by_label("New client").click();
        h.step();
    }
    assert_eq!(h.state().clients.tabs().len(), 50);
    // Every tab's close button exists; close the first ten.
    for _ in 0..10 {
        h.get_all_by_label("×").next().unwrap().click();
        h.step();
    }
    assert_eq!(h.state().clients.tabs().len(), 40);
}

#[test]
fn a_failed_save_says_why_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let chooser = Arc::new(ScriptedChooser::default());
    let mut h = harness(dir.path(), Arc::clone(&chooser));
    start_server(&mut h);
    let before = h.state().transcript.transcript().len();
    *chooser.answer.lock().unwrap() = Some(dir.path().join("missing/folder/t.txt"));
    h.get_by_label("Save…").click();
    wait_until(&mut h, "the save to fail", |app| {
        matches!(app.saver().last(), Some(SaveOutcome::Failed(_)))
    });
    assert_shown(&h, "Not saved: cannot save");
    assert!(h.state().transcript.transcript().len() >= before);
    // Cancel is not an error.
    *chooser.answer.lock().unwrap() = None;
    h.get_by_label("Save…").click();
    wait_until(&mut h, "the dialog to be cancelled", |app| {
        app.saver().last() == Some(&SaveOutcome::Cancelled)
    });
}

#[test]
fn the_name_field_takes_the_focus_when_the_prompt_arrives_and_enter_sends() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    client_at_prompt(&mut h);
    // Type straight away, without clicking the field: keystrokes go to the
    // focused widget, so this only works if the name field has the focus.
    type_and_enter(&mut h, "张三");
    wait_until(&mut h, "the greeting", |app| {
        app.clients.tabs()[0]
            .conversation()
            .iter()
            .any(|l| l.text == "Hello 张三!")
    });
    // When the next prompt arrives, the field has the focus again.
    wait_until(&mut h, "the next prompt", |app| {
        app.clients.tabs()[0].is_your_turn()
    });
    type_and_enter(&mut h, "exit");
    wait_until(&mut h, "the good bye", |app| {
        app.clients.tabs()[0].state() == &TabState::Closed(CloseReason::Exit)
    });
}

#[test]
fn step_mode_holds_the_dialogue_until_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    h.get_by_label("Step mode").click();
    h.step();
    start_server(&mut h);
    click(&mut h, "New client");
    // The tab's client waits before connect()...
    wait_until(&mut h, "the client to wait before connect()", |app| {
        app.clients.tabs()[0].held() == Some("connect()")
    });
    assert_shown(&h, "1 waiting");
    assert_shown(&h, "this client waits before connect()");
    click(&mut h, "Next step");
    // ...then the server thread waits before its first send.
    wait_until(&mut h, "the thread to wait before Welcome", |app| {
        app.server.threads().held_count() == 1 && app.clients.tabs()[0].held().is_none()
    });
    assert_shown(&h, "next: send \"Welcome!\\n\"");
    assert!(
        h.state().clients.tabs()[0]
            .conversation()
            .iter()
            .all(|l| l.text != "Welcome!")
    );
    click(&mut h, "Next step");
    wait_until(&mut h, "Welcome, then a wait before the prompt", |app| {
        app.clients.tabs()[0]
            .conversation()
            .iter()
            .any(|l| l.text == "Welcome!")
            && app.server.threads().rows()[0].held.as_deref() == Some("send \"Whats your name?\"")
    });
    // Turning step mode off lets everything go.
    h.get_by_label("Step mode").click();
    wait_until(&mut h, "the prompt", |app| {
        app.clients.tabs()[0].is_your_turn()
    });
}

/// Past "Max clients", a new tab is told the server is busy and closed,
/// and the console says who was refused; the first tab goes on.
#[test]
fn past_max_clients_a_new_tab_is_refused_and_the_console_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    h.state_mut().server.max_clients = 1;
    client_at_prompt(&mut h);
    click(&mut h, "New client");
    wait_until(&mut h, "the second tab to be turned away", |app| {
        matches!(app.clients.tabs()[1].state(), TabState::Closed(_))
    });
    assert_shown(
        &h,
        "Server busy: the server already serves its maximum of 1 clients",
    );
    assert_shown(&h, "Refused connection from 127.0.0.1:");
    assert!(h.state().clients.tabs()[0].is_your_turn());
}

/// "Idle timeout": a client that says nothing for that long is closed by
/// the server, and its row says so; 0 would keep it forever.
#[test]
fn a_silent_client_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Arc::default());
    h.state_mut().server.idle_timeout_s = 1;
    client_at_prompt(&mut h);
    wait_until(&mut h, "the idle client to be closed", |app| {
        app.server.threads().rows()[0].step == Step::Closed(CloseReason::Timeout)
    });
    assert_shown(&h, "closed: timed out");
}
