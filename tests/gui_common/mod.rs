//! Helpers for the window's tests: a harness around the real app with a
//! temporary save folder and a scripted file chooser, and waiting for
//! background work with a timeout.
#![allow(dead_code)] // Each test file uses a different subset.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tcp_playground::app::save::FileChooser;
use tcp_playground::app::{AppOptions, PlaygroundApp};

/// The longest any wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A file chooser that answers with a path the test chose, and counts calls.
#[derive(Default)]
pub struct ScriptedChooser {
    pub answer: Mutex<Option<PathBuf>>,
    pub calls: Mutex<usize>,
}

impl FileChooser for ScriptedChooser {
    fn choose_save_path(&self, _suggested: &str) -> Option<PathBuf> {
        *self.calls.lock().unwrap() += 1;
        self.answer.lock().unwrap().clone()
    }
}

/// The real app in a harness, quick-saving into `folder`.
pub fn harness(folder: &Path, chooser: Arc<ScriptedChooser>) -> Harness<'static, PlaygroundApp> {
    let options = AppOptions {
        file_chooser: chooser,
        save_folder: folder.to_owned(),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| PlaygroundApp::new(&cc.egui_ctx, options))
}

/// Steps the app until `done` holds; fails the test after [`TIMEOUT`].
pub fn wait_until(
    h: &mut Harness<'static, PlaygroundApp>,
    what: &str,
    done: impl Fn(&PlaygroundApp) -> bool,
) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        h.step();
        if done(h.state()) {
            // One more frame, so what the state says is also on screen.
            h.step();
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        // Give the network threads a moment between frames.
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Replaces the text of the text field labelled `label`.
pub fn set_field(h: &mut Harness<'static, PlaygroundApp>, label: &str, text: &str) {
    let field = h.get_by_role_and_label(Role::TextInput, label);
    field.click();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.step();
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    h.step();
}

/// Starts the app's server on a free port and waits until it listens.
pub fn start_server(h: &mut Harness<'static, PlaygroundApp>) -> std::net::SocketAddr {
    set_field(h, "Port", "0");
    h.get_by_label("Start").click();
    wait_until(h, "the server to listen", |app| {
        app.server.listening_on().is_some()
    });
    h.state().server.listening_on().unwrap()
}

/// A port on which nothing listens (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Clicks the widget labelled `label`, then lets two frames pass: one to
/// handle the click, one to draw its result.
pub fn click(h: &mut Harness<'static, PlaygroundApp>, label: &str) {
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// Fails unless some widget's label contains `text`.
pub fn assert_shown(h: &Harness<'static, PlaygroundApp>, text: &str) {
    assert!(
        h.query_all_by_label_contains(text).next().is_some(),
        "nothing on screen says {text:?}"
    );
}

/// Opens the client tab titled `title` by clicking its entry in the strip.
pub fn open_tab(h: &mut Harness<'static, PlaygroundApp>, title: &str) {
    use egui_kittest::kittest::NodeT;
    let suffix = format!(" {title}");
    let tab = h
        .get_all_by_label_contains(title)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.ends_with(&suffix) && l.starts_with(['◉', '●', '○']))
        })
        .unwrap_or_else(|| panic!("no tab titled {title}"));
    tab.click();
    h.step();
    h.step();
}

/// Types `text` into whatever has the keyboard focus, then presses Enter.
pub fn type_and_enter(h: &mut Harness<'static, PlaygroundApp>, text: &str) {
    h.event(egui::Event::Text(text.to_owned()));
    h.step();
    h.key_press(egui::Key::Enter);
}

/// Starts the server, opens one client tab and waits until the server has
/// asked its name.
pub fn client_at_prompt(h: &mut Harness<'static, PlaygroundApp>) {
    start_server(h);
    click(h, "New client");
    wait_until(h, "the prompt", |app| app.clients.tabs()[0].is_your_turn());
}
