//! The window: a server panel, client tabs and the transcript.
//!
//! Nothing here opens a socket. The panels start a [`crate::net::Server`]
//! or a [`crate::net::Client`], send them commands through those handles,
//! and learn what happened from the events the network threads send.
//!
//! | file | what it draws |
//! |---|---|
//! | [`playground`] | the window: routes events, lays out the panels |
//! | [`server_panel`] | settings, Start / Stop, status, console |
//! | [`threads`] | the table of client threads (one row per connection) |
//! | [`client_tabs`], [`client_tab`] | the tab strip; one client's dialogue |
//! | [`transcript_view`] | every event, merged or per connection |
//! | [`diagram`] | one connection's sequence diagram: lanes, states, arrows |
//! | [`presenter`] | the language switch, the View menu, keyboard shortcuts, the help overlay |
//! | [`settings`] | what is remembered across runs (eframe persistence) |
//! | [`bytes_view`] | bytes shown as UTF-8 or GBK, and the hex view |
//! | [`scenario`] | the tutorial's lessons played step by step, with pause, step and replay |
//! | [`pitfalls`] | five classic socket mistakes, run on real sockets, measured and explained |
//! | [`platform`] | what Windows or macOS does differently, said in one line |
//! | [`save`] | Save… (native dialog, on a worker thread) and Quick save |
//! | [`follow`] | where each thread is: its socket call and its line of code |
//! | [`lang`] | the UI language (English, 简体中文); every string is in `assets/locales/` |
//! | [`fonts`] | the bundled CJK font, so 张三 renders everywhere |
//! | [`tcp_view`] | a socket's real TCP state as text, with the TIME_WAIT countdown |
//! | [`code_view`] | the tutorial-style Python code, with each thread's current line |

#![forbid(unsafe_code)]

pub mod bytes_view;
pub mod client_tab;
pub mod client_tabs;
pub mod code_view;
pub mod diagram;
pub mod follow;
pub mod fonts;
pub mod lang;
pub mod load_panel;
pub mod pitfalls;
pub mod platform;
pub mod playground;
pub mod presenter;
pub mod save;
pub mod scenario;
pub mod server_panel;
pub mod settings;
pub mod tcp_view;
pub mod threads;
pub mod transcript_view;

use std::process::ExitCode;

pub use playground::{AppOptions, PlaygroundApp};

/// The window icon (also installed for Linux launchers).
const ICON: &[u8] = include_bytes!("../../assets/icon.png");

/// Opens the window and runs until it is closed.
///
/// Without a display (e.g. over SSH), prints one line saying so and fails,
/// instead of letting the windowing library panic.
pub fn run() -> ExitCode {
    let started = std::time::Instant::now();
    if let Some(why) = missing_display() {
        eprintln!("error: {why}");
        return ExitCode::FAILURE;
    }
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("TCP Playground")
        .with_app_id("tcp-playground")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([900.0, 560.0]);
    match eframe::icon_data::from_png_bytes(ICON) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => log::warn!("the window icon could not be loaded: {e}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    let result = eframe::run_native(
        "TCP Playground",
        options,
        Box::new(|cc| {
            // The remembered settings, or on a first run the defaults in
            // the system's language.
            let settings = settings::Settings::remembered(cc.storage);
            Ok(Box::new(PlaygroundApp::new(
                &cc.egui_ctx,
                AppOptions {
                    started,
                    settings,
                    ..AppOptions::default()
                },
            )))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}

/// On Linux and the BSDs, a window needs an X11 or Wayland display.
#[cfg(all(unix, not(target_os = "macos")))]
fn missing_display() -> Option<String> {
    let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        None
    } else {
        Some(
            "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set); \
             run the window on a desktop, or use `tcp-playground serve` / `connect` in a terminal"
                .to_owned(),
        )
    }
}

/// Windows and macOS always have a display for a desktop app.
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn missing_display() -> Option<String> {
    None
}
