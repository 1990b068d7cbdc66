//! The scenarios, played in the real app under egui_kittest with real
//! sockets: each reaches its end, and pause, step and replay do what they
//! say. The pace is set to zero (or to a minute, to test stepping) so the
//! tests do not wait for a class to read.

mod gui_common;

use std::sync::Arc;
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use gui_common::{ScriptedChooser, click, harness, set_field, wait_until};
use tcp_playground::app::PlaygroundApp;
use tcp_playground::app::scenario::Scenario;
use tcp_playground::net::Heard;

type H = egui_kittest::Harness<'static, PlaygroundApp>;

/// The app with its server on a free port and the Scenarios window open.
fn app(pace: Duration) -> (H, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let mut h = harness(folder.path(), Arc::new(ScriptedChooser::default()));
    h.step();
    set_field(&mut h, "Port", "0");
    click(&mut h, "Scenarios");
    h.state_mut().scenarios.pace = pace;
    (h, folder)
}

fn play(h: &mut H, scenario: Scenario) {
    click(h, &scenario.title());
    wait_until(h, "the scenario to finish", |app| {
        app.scenarios.is_finished() || app.scenarios.stuck().is_some()
    });
    assert_eq!(h.state().scenarios.stuck(), None);
}

/// The names the server heard, in order, over every thread.
fn names_heard(app: &PlaygroundApp) -> Vec<String> {
    let mut names = Vec::new();
    for event in app.transcript.transcript().events() {
        if let tcp_playground::net::EventKind::Heard {
            heard: Heard::Name { name, .. },
        } = &event.kind
        {
            names.push(name.escaped());
        }
    }
    names
}

#[test]
fn one_server_one_client_reaches_its_end() {
    let (mut h, _folder) = app(Duration::ZERO);
    play(&mut h, Scenario::OneClient);
    let app = h.state();
    assert_eq!(names_heard(app), ["Alice", "Bob"]);
    assert_eq!(app.clients.tabs().len(), 1);
    assert!(
        !app.clients.tabs()[0].is_active(),
        "the client did not close"
    );
    assert_eq!(app.server.threads().rows().len(), 1);
    assert!(h.query_by_label_contains("Finished.").is_some());
    h.state_mut().server.stop();
}

#[test]
fn one_server_three_clients_reaches_its_end() {
    let (mut h, _folder) = app(Duration::ZERO);
    play(&mut h, Scenario::ThreeClients);
    let app = h.state();
    let mut names = names_heard(app);
    names.sort();
    assert_eq!(names, ["Client1", "Client2", "Client3"]);
    assert_eq!(app.clients.tabs().len(), 3);
    assert!(app.clients.tabs().iter().all(|t| !t.is_active()));
    // One server thread per client.
    assert_eq!(app.server.threads().rows().len(), 3);
    h.state_mut().server.stop();
}

#[test]
fn restarting_the_server_reaches_its_end() {
    let (mut h, _folder) = app(Duration::ZERO);
    play(&mut h, Scenario::Restart);
    let app = h.state();
    assert_eq!(names_heard(app), ["Alice", "Bob"]);
    assert!(app.server.listening_on().is_some(), "the server runs again");
    assert_eq!(app.clients.tabs().len(), 2);
    // Two connections before the restart and two after.
    assert_eq!(app.server.threads().rows().len(), 4);
    h.state_mut().server.stop();
}

#[test]
fn pause_step_and_replay() {
    // A minute between steps: only Step moves on.
    let (mut h, _folder) = app(Duration::from_secs(60));
    click(&mut h, &Scenario::ThreeClients.title());
    wait_until(&mut h, "the server to start", |app| {
        app.server.listening_on().is_some()
    });
    wait_until(&mut h, "the first step to be seen", |app| {
        app.scenarios.position() == 1
    });
    assert!(h.state().clients.tabs().is_empty(), "the pace was not kept");

    click(&mut h, "One step");
    assert_eq!(h.state().clients.tabs().len(), 1);
    assert!(h.state().scenarios.is_paused());
    wait_until(&mut h, "the first client's prompt", |app| {
        app.clients.tabs()[0].is_your_turn()
    });
    click(&mut h, "One step");
    assert_eq!(h.state().clients.tabs().len(), 2);

    // Go on, at full speed, to the end.
    h.state_mut().scenarios.pace = Duration::ZERO;
    click(&mut h, "Go on");
    wait_until(&mut h, "the scenario to finish", |app| {
        app.scenarios.is_finished()
    });

    // Replay: the old tabs close, the server restarts, and it plays again.
    click(&mut h, "Replay");
    wait_until(&mut h, "the replay to finish", |app| {
        app.scenarios.is_finished() && app.clients.tabs().len() == 3
    });
    let rows = h.state().server.threads().rows().len();
    // The table keeps the first run's rows: three clients in each run.
    assert_eq!(rows, 6);
    assert_eq!(names_heard(h.state()).len(), 6);
    h.state_mut().server.stop();
}
