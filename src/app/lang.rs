//! The UI language: English or 简体中文, switched without a restart.
//!
//! Every string the window shows lives in `assets/locales/*.yml`, one file
//! per area of the window, each key with its English (`en`) and Chinese
//! (`zh-CN`) text. [`rust_i18n`] compiles them into the program; a panel
//! asks for a string with `t!("clients.heading")`, which answers in the
//! language set last by [`Language::apply`].
//!
//! What is *not* translated, on purpose: the tutorial's protocol bytes
//! (`Welcome!\n`, `Whats your name?`), the socket calls in the code
//! (`recv()`, `accept()`), TCP state names (`TIME_WAIT`) and the Python
//! code, because those are what the student types and reads in the
//! tutorial and in the kernel's own tools.

#![forbid(unsafe_code)]

use std::borrow::Cow;

use rust_i18n::t;
use serde::{Deserialize, Serialize};

use crate::net::CloseReason;

/// The languages the window speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[default]
    English,
    Chinese,
}

/// The locale files, read here so that changing one rebuilds the program
/// (the `i18n!` macro in `lib.rs` reads them, but cargo does not know it).
const _LOCALE_FILES: [&str; 5] = [
    include_str!("../../assets/locales/app.yml"),
    include_str!("../../assets/locales/server.yml"),
    include_str!("../../assets/locales/client.yml"),
    include_str!("../../assets/locales/diagram.yml"),
    include_str!("../../assets/locales/lessons.yml"),
];

impl Language {
    /// Every language, in the order the switch lists them.
    pub const ALL: [Language; 2] = [Language::English, Language::Chinese];

    /// The locale code the files use.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Chinese => "zh-CN",
        }
    }

    /// The language's name in itself, as a switch shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Chinese => "简体中文",
        }
    }

    /// The language for a locale tag such as `zh-CN`, `zh_TW.UTF-8` or
    /// `en-US`: Chinese for any `zh`, English otherwise.
    pub fn from_locale(tag: &str) -> Language {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "zh" || tag.starts_with("zh-") || tag.starts_with("zh_") {
            Language::Chinese
        } else {
            Language::English
        }
    }

    /// The operating system's language (English when it cannot be read).
    pub fn from_os() -> Language {
        sys_locale::get_locale()
            .map(|tag| Language::from_locale(&tag))
            .unwrap_or_default()
    }

    /// Makes this the language of every string from now on (the next
    /// frame shows it).
    pub fn apply(self) {
        rust_i18n::set_locale(self.code());
    }

    /// The language in use.
    pub fn current() -> Language {
        if &*rust_i18n::locale() == Language::Chinese.code() {
            Language::Chinese
        } else {
            Language::English
        }
    }
}

/// Why a connection closed, in the language in use, for every panel that
/// says so (the thread table, the console, a tab, its diagram). In English
/// it is the reason's own `Display`, as the transcript saves it; the
/// system's words of an error stay as they are.
pub fn close_reason(reason: &CloseReason) -> Cow<'static, str> {
    match reason {
        CloseReason::Exit => t!("reason.exit"),
        CloseReason::Eof => t!("reason.eof"),
        CloseReason::Reset => t!("reason.reset"),
        CloseReason::Kicked => t!("reason.kicked"),
        CloseReason::Timeout => t!("reason.timeout"),
        CloseReason::ServerStopped => t!("reason.server_stopped"),
        CloseReason::Disconnected => t!("reason.disconnected"),
        CloseReason::ConnectFailed(why) => t!("reason.connect_failed", why = why),
        CloseReason::Error(why) => t!("reason.error", why = why),
    }
}

/// One of each close reason (the errors with a refused connect's words),
/// for tests that check how each is said.
#[cfg(test)]
pub(crate) fn every_close_reason() -> Vec<CloseReason> {
    let why = || "Connection refused (os error 111)".to_owned();
    vec![
        CloseReason::Exit,
        CloseReason::Eof,
        CloseReason::Reset,
        CloseReason::Kicked,
        CloseReason::Timeout,
        CloseReason::ServerStopped,
        CloseReason::Disconnected,
        CloseReason::ConnectFailed(why()),
        CloseReason::Error(why()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The English of each close reason is the reason's own `Display`
    /// (what the transcript saves), word for word.
    #[test]
    fn close_reasons_in_english_match_their_display() {
        for reason in every_close_reason() {
            let english = match &reason {
                CloseReason::Exit => t!("reason.exit", locale = "en"),
                CloseReason::Eof => t!("reason.eof", locale = "en"),
                CloseReason::Reset => t!("reason.reset", locale = "en"),
                CloseReason::Kicked => t!("reason.kicked", locale = "en"),
                CloseReason::Timeout => t!("reason.timeout", locale = "en"),
                CloseReason::ServerStopped => t!("reason.server_stopped", locale = "en"),
                CloseReason::Disconnected => t!("reason.disconnected", locale = "en"),
                CloseReason::ConnectFailed(why) => {
                    t!("reason.connect_failed", locale = "en", why = why)
                }
                CloseReason::Error(why) => t!("reason.error", locale = "en", why = why),
            };
            assert_eq!(english, reason.to_string());
        }
    }

    #[test]
    fn locale_tags_map_to_languages() {
        for tag in ["zh-CN", "zh_CN.UTF-8", "zh-Hans-CN", "ZH", "zh_TW"] {
            assert_eq!(Language::from_locale(tag), Language::Chinese, "{tag}");
        }
        for tag in ["en-US", "C", "POSIX", "de_DE.UTF-8", "", "zhx"] {
            assert_eq!(Language::from_locale(tag), Language::English, "{tag}");
        }
    }

    /// Every key has a text in every language: a missing Chinese text
    /// would silently show English (or the key) in the middle of the UI.
    #[test]
    fn every_key_is_translated() {
        let backend = crate::_rust_i18n_backend();
        let keys = |language: Language| {
            let mut keys: Vec<String> = backend
                .messages_for_locale(language.code())
                .unwrap_or_default()
                .into_iter()
                .map(|(key, _)| key.into_owned())
                .collect();
            keys.sort();
            keys
        };
        let english = keys(Language::English);
        assert!(!english.is_empty());
        assert_eq!(english, keys(Language::Chinese));
    }

    /// Every key the window's code asks `t!` for is in the files
    /// (an unknown key would show the key itself on screen).
    #[test]
    fn every_key_used_exists() {
        let known = crate::_rust_i18n_backend()
            .messages_for_locale(Language::English.code())
            .unwrap_or_default()
            .into_iter()
            .map(|(key, _)| key.into_owned())
            .collect::<std::collections::HashSet<_>>();
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/src/app");
        let mut used = 0;
        for entry in std::fs::read_dir(folder).expect("src/app is readable") {
            let path = entry.expect("a directory entry").path();
            let code = std::fs::read_to_string(&path).expect("a source file");
            // A `t!` call, not the end of a longer macro name such as `format!`.
            for (at, _) in code.match_indices("t!(\"") {
                let before = code[..at].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let rest = &code[at + 4..];
                let key = rest.split('"').next().unwrap_or_default();
                assert!(
                    known.contains(key),
                    "{}: unknown key {key:?}",
                    path.display()
                );
                used += 1;
            }
        }
        assert!(used > 0);
    }
}
