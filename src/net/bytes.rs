//! [`Bytes`]: raw bytes from the wire, kept exactly, shown safely.
//!
//! TCP carries bytes, not text. A name may be UTF-8 (`张三`), another
//! encoding, or garbage; the app must never change it. `Bytes` keeps the
//! exact bytes and offers two views of them:
//!
//! - [`Bytes::escaped`] for screens and text files: printable text as is,
//!   control characters and invalid bytes as escapes (`\n`, `\x1b`, `\xff`),
//!   so a terminal escape sequence sent by a student cannot repaint anyone's
//!   terminal;
//! - serde, for JSON Lines: `{"text": "..."}` when the bytes are valid UTF-8,
//!   `{"hex": "..."}` otherwise, so that every byte survives a round trip.

#![forbid(unsafe_code)]

use std::fmt::{self, Write as _};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes exactly as they were sent or received.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes themselves.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// How many bytes there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes as readable text: valid UTF-8 is shown as is, except that
    /// control characters, backslashes and invalid bytes are escaped.
    pub fn escaped(&self) -> String {
        escape(&self.0)
    }

    /// The bytes as lowercase hex, two digits a byte, no separators.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            // Writing to a String cannot fail.
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    /// Parses the output of [`Bytes::to_hex`]; `None` if it is not hex.
    pub fn from_hex(hex: &str) -> Option<Bytes> {
        if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
            return None;
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()
            .map(Bytes)
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Self {
        Bytes(bytes.to_vec())
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes(bytes)
    }
}

impl From<&str> for Bytes {
    fn from(text: &str) -> Self {
        Bytes(text.as_bytes().to_vec())
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.escaped())
    }
}

/// Escapes bytes for display; see [`Bytes::escaped`].
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    // Every control character is below U+00A0, so it fits
                    // in \xNN when it is a single byte, or \u{..} otherwise.
                    if (c as u32) < 0x80 {
                        let _ = write!(out, "\\x{:02x}", c as u32);
                    } else {
                        let _ = write!(out, "\\u{{{:x}}}", c as u32);
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// How [`Bytes`] looks in JSON: exactly one of the two keys.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Repr {
    Text(String),
    Hex(String),
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let repr = match std::str::from_utf8(&self.0) {
            Ok(text) => Repr::Text(text.to_owned()),
            Err(_) => Repr::Hex(self.to_hex()),
        };
        repr.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Repr::deserialize(deserializer)? {
            Repr::Text(text) => Ok(Bytes(text.into_bytes())),
            Repr::Hex(hex) => Bytes::from_hex(&hex)
                .ok_or_else(|| serde::de::Error::custom("\"hex\" must be pairs of hex digits")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_chinese_and_escapes_controls_and_invalid_bytes() {
        let raw = Bytes(b"\xe5\xbc\xa0\xe4\xb8\x89\n\x1b[2J\xff\\".to_vec());
        assert_eq!(raw.escaped(), "张三\\n\\x1b[2J\\xff\\\\");
    }

    #[test]
    fn hex_round_trips() {
        let raw = Bytes(vec![0, 1, 0xfe, 0xff]);
        assert_eq!(raw.to_hex(), "0001feff");
        assert_eq!(Bytes::from_hex("0001feff"), Some(raw));
        assert_eq!(Bytes::from_hex("0g"), None);
        assert_eq!(Bytes::from_hex("abc"), None);
    }

    #[test]
    fn json_uses_text_for_utf8_and_hex_for_the_rest() {
        let text = serde_json::to_string(&Bytes::from("张三")).unwrap();
        assert_eq!(text, r#"{"text":"张三"}"#);
        let binary = serde_json::to_string(&Bytes(vec![0xff, 0x00])).unwrap();
        assert_eq!(binary, r#"{"hex":"ff00"}"#);
        let back: Bytes = serde_json::from_str(&binary).unwrap();
        assert_eq!(back, Bytes(vec![0xff, 0x00]));
    }
}
