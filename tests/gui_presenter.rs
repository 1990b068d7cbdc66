//! Presenter mode and settings, in the real app under egui_kittest: the
//! language switch changes what is on screen, zoom and large text, the
//! keyboard shortcuts and their help overlay, settings surviving a
//! restart, and resetting them.
//!
//! The language and the display encoding are one choice for the whole
//! process (like the system's locale), so the tests in this file take
//! turns through [`ONE_AT_A_TIME`] instead of running side by side.

mod gui_common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use eframe::App as _;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gui_common::{ScriptedChooser, assert_shown, click, set_field, wait_until};
use tcp_playground::app::lang::Language;
use tcp_playground::app::settings::Settings;
use tcp_playground::app::{AppOptions, PlaygroundApp};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn take_turn() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// eframe's storage, in memory: what the window keeps between runs.
#[derive(Default)]
struct Memory(HashMap<String, String>);

impl eframe::Storage for Memory {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// The app, started the way the window starts it: with the settings kept
/// in `storage` (none: a first run, in English for the test).
fn app_from(storage: Option<&Memory>) -> Harness<'static, PlaygroundApp> {
    let settings = match storage {
        Some(storage) => Settings::remembered(Some(storage)),
        None => Settings::default(),
    };
    let folder = std::env::temp_dir();
    let options = AppOptions {
        file_chooser: Arc::new(ScriptedChooser::default()),
        save_folder: folder,
        settings,
        ..AppOptions::default()
    };
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| PlaygroundApp::new(&cc.egui_ctx, options));
    h.step();
    h
}

/// Picks `language` in the toolbar's switch.
fn switch_language(h: &mut Harness<'static, PlaygroundApp>, language: Language) {
    // The switch says "Language" in every language, so anyone finds it.
    h.get_all_by_role(egui::accesskit::Role::ComboBox)
        .find(|node| {
            use egui_kittest::kittest::NodeT;
            node.accesskit_node()
                .label()
                .is_some_and(|label| label.contains("Language"))
        })
        .expect("the language switch")
        .click();
    h.step();
    h.step();
    h.get_by_label(language.native_name()).click();
    h.step();
    h.step();
}

#[test]
fn the_language_switch_changes_the_visible_labels_at_once() {
    let _turn = take_turn();
    let mut h = app_from(None);
    assert_shown(&h, "New client");
    assert_shown(&h, "Clients");

    switch_language(&mut h, Language::Chinese);
    assert_eq!(Language::current(), Language::Chinese);
    assert_shown(&h, "新建客户端");
    assert_shown(&h, "客户端");
    assert!(
        h.query_by_label("New client").is_none(),
        "the English label is still shown"
    );
    // The protocol's bytes are not translated: the console still speaks
    // the tutorial's words once the server runs.
    set_field(&mut h, "端口", "0");
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::R]);
    wait_until(&mut h, "the server to listen", |app| {
        app.server.listening_on().is_some()
    });
    assert_shown(&h, "Waiting for connection...");

    switch_language(&mut h, Language::English);
    assert_shown(&h, "New client");
    assert!(h.query_by_label("新建客户端").is_none());
    h.state_mut().server.stop();
}

#[test]
fn zoom_follows_ctrl_plus_and_minus_and_the_view_menu() {
    let _turn = take_turn();
    let mut h = app_from(None);
    assert_eq!(h.ctx.zoom_factor(), 1.0);
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::Plus]);
    h.step();
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::Plus]);
    h.step();
    assert!((h.ctx.zoom_factor() - 1.2).abs() < 1e-4);
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::Minus]);
    h.step();
    assert!((h.state().settings().zoom - 1.1).abs() < 1e-4);

    click(&mut h, "View");
    assert_shown(&h, "Zoom: 110%");
    click(&mut h, "100%");
    assert_eq!(h.ctx.zoom_factor(), 1.0);

    // Large text: every text style 40% larger, and back.
    let body = |h: &Harness<'static, PlaygroundApp>| {
        h.ctx.global_style().text_styles[&egui::TextStyle::Body].size
    };
    let normal = body(&h);
    click(&mut h, "View");
    h.get_by_label("Large text (projector)").click();
    h.step();
    assert!((body(&h) - normal * 1.4).abs() < 1e-3);
    assert!(h.state().settings().large_text);
    // The menu closed on the click: open it again.
    click(&mut h, "View");
    h.get_by_label("Large text (projector)").click();
    h.step();
    h.step();
    assert!(!h.state().settings().large_text);
    assert_eq!(body(&h), normal);
}

#[test]
fn shortcuts_open_and_close_tabs_start_the_server_and_show_the_help() {
    let _turn = take_turn();
    let mut h = app_from(None);
    set_field(&mut h, "Port", "0");

    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::R]);
    wait_until(&mut h, "the server to listen", |app| {
        app.server.listening_on().is_some()
    });
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::N]);
    h.step();
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::N]);
    h.step();
    assert_eq!(h.state().clients.tabs().len(), 2);
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::W]);
    h.step();
    assert_eq!(h.state().clients.tabs().len(), 1);

    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::L]);
    h.step();
    assert!(h.state().load.open);
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::L]);
    h.step();
    assert!(!h.state().load.open);

    // F1: the help overlay lists every shortcut; Escape closes it.
    h.key_press(Key::F1);
    h.step();
    h.step();
    assert!(h.state().help_open());
    assert_shown(&h, "Keyboard shortcuts");
    assert_shown(&h, "Start or stop the server");
    assert_shown(&h, "Quick save (no dialog)");
    h.key_press(Key::Escape);
    h.step();
    h.step();
    assert!(!h.state().help_open());

    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::R]);
    wait_until(&mut h, "the server to stop", |app| {
        app.server.listening_on().is_none()
    });
}

#[test]
fn settings_survive_a_restart_and_reset_to_defaults() {
    let _turn = take_turn();
    let mut storage = Memory::default();
    {
        let mut h = app_from(None);
        set_field(&mut h, "Port", "7001");
        set_field(&mut h, "Bind address", "0.0.0.0");
        h.key_combination_modifiers(Modifiers::COMMAND, &[Key::Plus]);
        h.step();
        switch_language(&mut h, Language::Chinese);
        // What eframe does now and then, and when the window closes.
        h.state_mut().save(&mut storage);
    }
    // Back to English between the runs, as a fresh process would be.
    Language::English.apply();

    let mut h = app_from(Some(&storage));
    let settings = h.state().settings();
    assert_eq!(settings.language, Language::Chinese);
    assert_eq!(settings.port, "7001");
    assert_eq!(settings.bind_address, "0.0.0.0");
    assert!((settings.zoom - 1.1).abs() < 1e-4);
    assert!((h.ctx.zoom_factor() - 1.1).abs() < 1e-4);
    assert_shown(&h, "新建客户端");
    assert_eq!(h.state().server.port, "7001");
    // Nothing about sockets is remembered: no server runs, no tab is open.
    assert!(h.state().server.listening_on().is_none());
    assert!(h.state().clients.tabs().is_empty());

    // Reset: everything back to the first run's settings.
    click(&mut h, "视图");
    click(&mut h, "恢复默认设置");
    let reset = h.state().settings();
    let first_run = Settings::first_run();
    assert_eq!(reset.port, first_run.port);
    assert_eq!(reset.bind_address, first_run.bind_address);
    assert_eq!(reset.language, first_run.language);
    assert_eq!(h.ctx.zoom_factor(), 1.0);
    Language::English.apply();
}

#[test]
fn the_hex_view_shows_every_byte_and_gbk_changes_only_the_display() {
    let _turn = take_turn();
    let mut h = app_from(None);
    gui_common::client_at_prompt(&mut h);
    gui_common::type_and_enter(&mut h, "张三");
    wait_until(&mut h, "the greeting", |app| {
        app.clients.tabs()[0].is_your_turn()
    });

    // Click the server's greeting: its bytes, in hex and as text.
    h.get_by_label("Hello 张三!").click();
    h.step();
    h.step();
    assert_shown(&h, "Bytes: Hello 张三!");
    assert_shown(&h, "14 bytes");
    assert_shown(&h, "48 65 6c 6c 6f 20 e5 bc  a0 e4 b8 89 21 0a");

    // A Windows tool sends 张三 in GBK: as UTF-8 those bytes are invalid,
    // shown as escapes; switched to GBK, the same bytes read 张三.
    let server = h.state().server.listening_on().unwrap();
    let mut peer = std::net::TcpStream::connect(server).unwrap();
    use std::io::{Read, Write};
    let mut greeting = [0u8; 64];
    let _ = peer.read(&mut greeting).unwrap();
    peer.write_all(b"\xd5\xc5\xc8\xfd").unwrap();
    wait_until(&mut h, "the GBK name to be heard", |app| {
        app.server
            .threads()
            .rows()
            .iter()
            .any(|r| r.names.first().is_some_and(|n| n.0 == b"\xd5\xc5\xc8\xfd"))
    });
    // The second thread's names cell.
    assert!(h.query_by_label("\\xd5\\xc5\\xc8\\xfd").is_some());
    click(&mut h, "View");
    h.get_by_role_and_label(egui::accesskit::Role::RadioButton, "GBK")
        .click();
    h.step();
    h.step();
    assert_eq!(
        tcp_playground::app::bytes_view::display_encoding(),
        tcp_playground::net::TextEncoding::Gbk
    );
    assert!(h.query_by_label("\\xd5\\xc5\\xc8\\xfd").is_none());
    // The first client's UTF-8 name, read as GBK, is now mojibake, and
    // the GBK name reads 张三.
    assert_shown(&h, "寮犱笁");
    assert!(h.query_all_by_label("张三").next().is_some());
    // The bytes themselves did not change: the saved transcript keeps them.
    let row = &h.state().server.threads().rows()[1];
    assert_eq!(row.names[0].0, b"\xd5\xc5\xc8\xfd");
    assert!(h.state().settings().encoding == tcp_playground::net::TextEncoding::Gbk);

    click(&mut h, "View");
    h.get_by_role_and_label(egui::accesskit::Role::RadioButton, "UTF-8")
        .click();
    h.step();
    h.step();
    h.state_mut().server.stop();
}
