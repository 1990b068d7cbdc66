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
            push_escaped(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Appends `c` to `out`, escaped if it is a control character or `\`.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        c if c.is_control() => {
            // Every control character is below U+00A0, so it fits in \xNN
            // when it is a single byte, or \u{..} otherwise.
            if (c as u32) < 0x80 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
        c => out.push(c),
    }
}

/// How bytes are read as text for display. The bytes themselves never
/// change: only what the screen shows of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextEncoding {
    /// UTF-8: what the tutorial's Python scripts send (`str.encode()`).
    #[default]
    Utf8,
    /// GBK: what many Windows tools for Chinese users send (the ANSI code
    /// page of a Chinese Windows); `张三` is `d5 c5 c8 fd` there.
    Gbk,
}

impl TextEncoding {
    /// Both encodings, in the order a choice lists them.
    pub const ALL: [TextEncoding; 2] = [TextEncoding::Utf8, TextEncoding::Gbk];

    /// The encoding's usual name.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gbk => "GBK",
        }
    }
}

impl Bytes {
    /// Like [`Bytes::escaped`], reading the bytes in `encoding`: text as
    /// text, controls escaped, and bytes that are not valid in that
    /// encoding as `\xNN`, so nothing is hidden or lost.
    pub fn escaped_as(&self, encoding: TextEncoding) -> String {
        match encoding {
            TextEncoding::Utf8 => escape(&self.0),
            TextEncoding::Gbk => escape_gbk(&self.0),
        }
    }
}

/// [`escape`] for GBK bytes (decoded with `encoding_rs`, whose GBK is the
/// WHATWG one: GBK as Windows writes it).
fn escape_gbk(bytes: &[u8]) -> String {
    use encoding_rs::DecoderResult;
    let mut decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 2);
    let mut text = String::with_capacity(bytes.len() * 2);
    let mut rest = bytes;
    loop {
        text.clear();
        let room = decoder
            .max_utf8_buffer_length_without_replacement(rest.len())
            .unwrap_or(rest.len() * 3 + 16);
        text.reserve(room);
        let (result, read) = decoder.decode_to_string_without_replacement(rest, &mut text, true);
        for c in text.chars() {
            push_escaped(&mut out, c);
        }
        match result {
            DecoderResult::InputEmpty => return out,
            // The buffer had room for everything: cannot happen, but if it
            // did, decoding simply continues where it stopped.
            DecoderResult::OutputFull => rest = &rest[read..],
            DecoderResult::Malformed(bad, after) => {
                // The `bad` bytes before the last `after` read bytes are
                // not GBK: show them as they are, then go on after them.
                let end = read.saturating_sub(after as usize);
                for b in &rest[end.saturating_sub(bad as usize)..end] {
                    let _ = write!(out, "\\x{b:02x}");
                }
                // A fresh decoder reads on from the byte after them.
                rest = &rest[end..];
                decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
            }
        }
    }
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
    fn gbk_is_read_as_gbk_and_invalid_bytes_stay_visible() {
        // 张三 in GBK, a newline, a byte that is no GBK character, then
        // a lead byte cut off at the end.
        let raw = Bytes(b"\xd5\xc5\xc8\xfd\n\xffA\xd5".to_vec());
        assert_eq!(raw.escaped_as(TextEncoding::Gbk), "张三\\n\\xffA\\xd5");
        // The same bytes read as UTF-8 are all invalid but one.
        assert!(raw.escaped_as(TextEncoding::Utf8).starts_with("\\xd5\\xc5"));
        // UTF-8 text stays what it was.
        let utf8 = Bytes::from("张三\x1b");
        assert_eq!(utf8.escaped_as(TextEncoding::Utf8), "张三\\x1b");
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
