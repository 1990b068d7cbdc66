//! Bytes as they are: the display encoding (UTF-8 or GBK) and a hex view.
//!
//! TCP carries bytes. The tutorial's Python client sends UTF-8, but many
//! Windows tools for Chinese users send GBK, where `张三` is `d5 c5 c8 fd`
//! instead of `e5 bc a0 e4 b8 89`. The window lets the user choose how
//! bytes are *shown* as text; what is sent and saved never changes. The
//! hex view shows every byte beside its text, so a student can see why
//! `张三` is six bytes in one encoding and four in the other.

#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::net::Bytes;
pub use crate::net::TextEncoding;

/// The encoding the window shows bytes in: like the language, one choice
/// for the whole window (set by the View menu, read by every panel).
static SHOW_GBK: AtomicBool = AtomicBool::new(false);

/// Makes `encoding` the one every panel shows bytes in from now on.
pub fn set_display_encoding(encoding: TextEncoding) {
    SHOW_GBK.store(encoding == TextEncoding::Gbk, Ordering::Relaxed);
}

/// The encoding bytes are shown in.
pub fn display_encoding() -> TextEncoding {
    if SHOW_GBK.load(Ordering::Relaxed) {
        TextEncoding::Gbk
    } else {
        TextEncoding::Utf8
    }
}

/// `bytes` as text in the display encoding, controls and invalid bytes
/// escaped (see [`Bytes::escaped_as`]).
pub fn shown(bytes: &Bytes) -> String {
    bytes.escaped_as(display_encoding())
}

/// Bytes per line of the hex view.
const PER_LINE: usize = 16;

/// A classic hex dump: offset, sixteen bytes in hex, and the same bytes
/// as ASCII (`.` for anything else).
///
/// ```text
/// 0000  57 65 6c 63 6f 6d 65 21  0a                       Welcome!.
/// ```
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() / PER_LINE * 80 + 80);
    for (line, chunk) in bytes.chunks(PER_LINE).enumerate() {
        let _ = write!(out, "{:04x}  ", line * PER_LINE);
        for i in 0..PER_LINE {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == PER_LINE / 2 - 1 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out.pop();
    out
}

/// The hex view of one message: its length, its text in both encodings
/// (the chosen one first), and its hex dump, all selectable for copying.
pub fn ui(ui: &mut egui::Ui, bytes: &Bytes) {
    use rust_i18n::t;
    let chosen = display_encoding();
    let other = match chosen {
        TextEncoding::Utf8 => TextEncoding::Gbk,
        TextEncoding::Gbk => TextEncoding::Utf8,
    };
    ui.label(t!("bytes.count", count = bytes.len()));
    egui::Grid::new("hex view encodings")
        .num_columns(2)
        .show(ui, |ui| {
            for encoding in [chosen, other] {
                ui.label(encoding.name());
                ui.add(
                    egui::Label::new(egui::RichText::new(bytes.escaped_as(encoding)).monospace())
                        .selectable(true),
                );
                ui.end_row();
            }
        });
    if bytes.is_empty() {
        return;
    }
    ui.add(
        egui::Label::new(egui::RichText::new(hex_dump(bytes.as_slice())).monospace())
            .selectable(true)
            .wrap_mode(egui::TextWrapMode::Extend),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_dump_shows_offsets_hex_and_ascii() {
        let dump = hex_dump(b"Welcome!\nWhats your name?");
        let lines: Vec<&str> = dump.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "0000  57 65 6c 63 6f 6d 65 21  0a 57 68 61 74 73 20 79  Welcome!.Whats y"
        );
        assert!(lines[1].starts_with("0010  6f 75 72 20 6e 61 6d 65  3f "));
        assert!(lines[1].ends_with("our name?"));
        assert_eq!(hex_dump(b""), "");
    }

    #[test]
    fn chinese_bytes_are_dots_in_the_ascii_column() {
        let dump = hex_dump("张三".as_bytes());
        assert!(dump.starts_with("0000  e5 bc a0 e4 b8 89 "));
        assert!(dump.ends_with("......"));
    }
}
