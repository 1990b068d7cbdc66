//! Settings remembered across runs: the language, how the window looks,
//! and what the server panel's fields held.
//!
//! eframe keeps a small file per app (on Linux in
//! `~/.local/share/tcp-playground/`) and calls [`eframe::App::save`] now
//! and then and on exit; the window stores one [`Settings`] value there,
//! and eframe itself remembers the window's size and position. Sockets,
//! clients and transcripts are never remembered: each run starts with no
//! connection, as a lesson should.

#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

use super::bytes_view::TextEncoding;
use super::lang::Language;
use super::server_panel::ServerPanel;

/// Where the settings are kept in eframe's storage.
pub const STORAGE_KEY: &str = "tcp-playground.settings";

/// The smallest and largest zoom the View menu and the keyboard allow.
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.5..=3.0;

/// How much larger text is in the large-text preset.
pub const LARGE_TEXT_SCALE: f32 = 1.4;

/// Light, dark, or whatever the system uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    /// egui's name for the same choice.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// Everything the window remembers. A field missing from an older file
/// takes its default (`#[serde(default)]`), so adding one never loses the
/// others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The UI language.
    pub language: Language,
    /// Light, dark or the system's.
    pub theme: Theme,
    /// egui's zoom factor (1.0 = 100%); Ctrl + and Ctrl − change it.
    pub zoom: f32,
    /// Larger text for a projector, at any zoom.
    pub large_text: bool,
    /// How received bytes are shown as text; the bytes never change.
    pub encoding: TextEncoding,
    /// The server panel's bind address, as typed.
    pub bind_address: String,
    /// The server panel's port, as typed.
    pub port: String,
    /// Pause before each prompt, in milliseconds (0 = pacing off).
    pub pace_ms: u64,
    /// The `backlog` of `listen()`.
    pub backlog: i32,
    /// The most clients served at once.
    pub max_clients: usize,
    /// Close a client silent for this many seconds (0 = never).
    pub idle_timeout_s: u64,
}

impl Default for Settings {
    /// The defaults of the tutorial, in English. A first run uses
    /// [`Settings::first_run`] instead, which follows the system's language.
    fn default() -> Self {
        // The server fields as a fresh server panel has them (the
        // tutorial's defaults, see `ServerConfig`).
        let server = ServerPanel::default();
        Settings {
            language: Language::English,
            theme: Theme::System,
            zoom: 1.0,
            large_text: false,
            encoding: TextEncoding::Utf8,
            bind_address: server.address,
            port: server.port,
            pace_ms: server.pace_ms,
            backlog: server.backlog,
            max_clients: server.max_clients,
            idle_timeout_s: server.idle_timeout_s,
        }
    }
}

impl Settings {
    /// The settings of a first run (and of "Reset settings"): the
    /// defaults, in the system's language.
    pub fn first_run() -> Settings {
        Settings {
            language: Language::from_os(),
            ..Settings::default()
        }
    }

    /// The settings to start with: those kept in `storage`, or on a first
    /// run (or when they cannot be read) [`Settings::first_run`].
    pub fn remembered(storage: Option<&dyn eframe::Storage>) -> Settings {
        storage
            .and_then(Settings::load)
            .unwrap_or_else(Settings::first_run)
    }

    /// The settings kept in `storage`, if any were (and could be read).
    pub fn load(storage: &dyn eframe::Storage) -> Option<Settings> {
        eframe::get_value(storage, STORAGE_KEY)
    }

    /// Keeps these settings in `storage`.
    pub fn store(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, self);
    }

    /// Applies the zoom to `ctx` (at start and on a reset).
    pub fn apply_zoom(&self, ctx: &egui::Context) {
        ctx.set_zoom_factor(self.clamped_zoom());
    }

    /// A zoom factor within [`ZOOM_RANGE`] (a hand-edited or damaged file
    /// must not make the window unusable).
    pub fn clamped_zoom(&self) -> f32 {
        if self.zoom.is_finite() {
            self.zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end())
        } else {
            1.0
        }
    }

    /// Applies how the window looks and speaks to `ctx`: language, theme,
    /// text size and how bytes are shown. Not the zoom, which Ctrl + and
    /// Ctrl − change directly in egui (see [`Settings::apply_zoom`]), nor
    /// the server fields, which are the panel's.
    pub fn apply_look(&self, ctx: &egui::Context) {
        self.language.apply();
        super::bytes_view::set_display_encoding(self.encoding);
        ctx.set_theme(self.theme.preference());
        let scale = if self.large_text {
            LARGE_TEXT_SCALE
        } else {
            1.0
        };
        // From egui's default sizes each time, so switching back and forth
        // never compounds.
        ctx.all_styles_mut(|style| {
            style.text_styles = egui::style::default_text_styles();
            for font in style.text_styles.values_mut() {
                font.size *= scale;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// eframe's storage, in memory.
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

    #[test]
    fn settings_survive_a_round_trip() {
        let settings = Settings {
            language: Language::Chinese,
            theme: Theme::Dark,
            zoom: 1.5,
            large_text: true,
            encoding: TextEncoding::Gbk,
            bind_address: "0.0.0.0".to_owned(),
            port: "7000".to_owned(),
            pace_ms: 0,
            backlog: 5,
            max_clients: 10,
            idle_timeout_s: 0,
        };
        let mut storage = Memory::default();
        assert_eq!(Settings::load(&storage), None);
        settings.store(&mut storage);
        assert_eq!(Settings::load(&storage), Some(settings));
    }

    /// A file from an older version, with fewer fields, keeps what it has.
    #[test]
    fn missing_fields_take_their_defaults() {
        let mut storage = Memory::default();
        storage
            .0
            .insert(STORAGE_KEY.to_owned(), r#"(port: "6001")"#.to_owned());
        let settings = Settings::load(&storage).expect("readable");
        assert_eq!(settings.port, "6001");
        assert_eq!(settings.pace_ms, Settings::default().pace_ms);
    }

    /// A damaged file is ignored, not a crash.
    #[test]
    fn a_damaged_file_is_ignored() {
        let mut storage = Memory::default();
        storage
            .0
            .insert(STORAGE_KEY.to_owned(), "(zoom: \"big".to_owned());
        assert_eq!(Settings::load(&storage), None);
        let odd = Settings {
            zoom: f32::NAN,
            ..Settings::default()
        };
        assert_eq!(odd.clamped_zoom(), 1.0);
        let huge = Settings {
            zoom: 40.0,
            ..Settings::default()
        };
        assert_eq!(huge.clamped_zoom(), 3.0);
    }
}
