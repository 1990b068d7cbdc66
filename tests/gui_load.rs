//! The Load panel: bots against the window's own server, shown as one
//! group in the thread table, with live figures and plots; stopping them;
//! a clear message when there is no server to aim at.

mod gui_common;

use std::sync::Arc;

use gui_common::*;

#[test]
fn bots_run_against_our_server_as_one_group_and_stop() {
    let folder = tempfile::tempdir().unwrap();
    let mut h = harness(folder.path(), Arc::new(ScriptedChooser::default()));
    // One of the class's own clients, to see it stays a row of its own.
    client_at_prompt(&mut h);
    let addr = h.state().server.listening_on().unwrap();

    click(&mut h, "Load");
    assert_eq!(
        h.state().load.target,
        addr.to_string(),
        "aimed at our server"
    );
    h.state_mut().load.bots = 20;
    click(&mut h, "Start bots");
    wait_until(&mut h, "20 bots served", |app| {
        app.server.threads().bots().open() == 20
    });
    wait_until(&mut h, "a second of figures", |app| {
        app.load.figures().is_some_and(|f| f.per_second > 0.0)
    });
    let table = h.state().server.threads();
    assert_eq!(table.rows().len(), 1, "the bots are not rows of their own");
    assert!(table.bots().names > 0, "the bots' names are counted");
    assert_shown(&h, "20 open");
    assert_shown(&h, "Rate (per second)");
    assert_shown(&h, "round trips per second");

    click(&mut h, "Stop bots");
    wait_until(&mut h, "the bots' connections to close", |app| {
        app.server.threads().bots().open() == 0
    });
    let total = h
        .state()
        .load
        .figures()
        .cloned()
        .expect("the run's figures");
    assert_eq!(total.errors, 0, "{:?}", total.first_error);
    assert!(total.completed > 0);
    assert_shown(&h, "The last run, in all");
    // The class's client is still at its prompt, untouched.
    assert_eq!(h.state().server.threads().rows().len(), 1);
    assert!(!h.state().server.threads().rows()[0].is_closed());
}

#[test]
fn without_a_server_the_panel_says_what_to_do() {
    let folder = tempfile::tempdir().unwrap();
    let mut h = harness(folder.path(), Arc::new(ScriptedChooser::default()));
    click(&mut h, "Load");
    click(&mut h, "Start bots");
    assert_shown(&h, "Which server? Start the server, or type its HOST:PORT.");
    assert!(!h.state().load.is_running());
}

/// "Keep this window smooth" (on by default) limits the bots' rate and
/// shows the limit; turned off during the run, the bots go flat out; on
/// again, they are limited again.
#[test]
fn keeping_the_window_smooth_limits_the_bots_and_can_be_turned_off() {
    let folder = tempfile::tempdir().unwrap();
    let mut h = harness(folder.path(), Arc::new(ScriptedChooser::default()));
    click(&mut h, "Start");
    wait_until(&mut h, "the server to listen", |app| {
        app.server.listening_on().is_some()
    });
    click(&mut h, "Load");
    h.state_mut().load.bots = 5;
    assert!(h.state().load.smooth, "on by default");
    click(&mut h, "Start bots");
    assert!(
        h.state().load.rate_limit().is_some(),
        "limited from the start"
    );
    wait_until(&mut h, "a second of figures", |app| {
        app.load.figures().is_some_and(|f| f.completed > 0)
    });
    assert_shown(&h, "Pace");
    assert_shown(&h, "round trips per second (for the window)");

    click(&mut h, "Keep this window smooth");
    assert!(!h.state().load.smooth);
    assert_eq!(h.state().load.rate_limit(), None, "flat out");
    wait_until(&mut h, "the figures to say so", |_| true);
    assert_shown(&h, "as fast as they can");

    click(&mut h, "Keep this window smooth");
    assert!(h.state().load.rate_limit().is_some(), "limited again");
    click(&mut h, "Stop bots");
    assert!(!h.state().load.is_running());
}
