//! The transcript: every event, in order, and its exports.
//!
//! A transcript is data: the list of [`NetEvent`]s in the order the
//! network threads reported them. The window's views and the command
//! line's output are projections of it. It is saved in one of three
//! formats, chosen by the file's extension:
//!
//! - `.txt`: readable lines, like the tutorial's console with times;
//! - `.jsonl`: JSON Lines, one event per line, every byte preserved
//!   (text when valid UTF-8, hex otherwise); it can be read back;
//! - `.csv`: one row per event, for spreadsheets.
//!
//! Files are written atomically: to a temporary file in the same folder,
//! which then replaces the target in one rename. A failed save leaves any
//! old file untouched, and the transcript in memory is never changed.

#![forbid(unsafe_code)]

mod packed;

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::net::event::{EventKind, NetEvent, Origin, ServerMessage};
use crate::net::protocol::Heard;

/// The file formats a transcript can be saved in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Readable text, one line per event.
    Text,
    /// JSON Lines: one JSON object per event.
    JsonLines,
    /// Comma-separated values with a header row.
    Csv,
}

impl Format {
    /// Every format, for file dialogs.
    pub const ALL: [Format; 3] = [Format::Text, Format::JsonLines, Format::Csv];

    /// The format for a path's extension (`.txt`, `.log`, `.jsonl`,
    /// `.json`, `.csv`); `None` for anything else.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "txt" | "log" => Some(Format::Text),
            "jsonl" | "json" => Some(Format::JsonLines),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The usual extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::JsonLines => "jsonl",
            Format::Csv => "csv",
        }
    }

    /// A name for file dialogs.
    pub fn description(self) -> &'static str {
        match self {
            Format::Text => "Text",
            Format::JsonLines => "JSON Lines",
            Format::Csv => "CSV",
        }
    }
}

/// Why a transcript could not be saved or read.
#[derive(Debug, Error)]
pub enum TranscriptError {
    /// The extension names no known format.
    #[error("cannot tell the format of \"{}\": use .txt, .jsonl or .csv", .0.display())]
    UnknownFormat(PathBuf),
    /// Writing (or renaming into place) failed; the old file, if any, is intact.
    #[error("cannot save \"{}\": {source}", path.display())]
    Write {
        /// Where we tried to save.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A line of a JSON Lines file is not an event.
    #[error("line {line}: not a transcript event: {message}")]
    BadLine {
        /// The line number, from 1.
        line: usize,
        /// What was wrong with it.
        message: String,
    },
    /// Reading failed.
    #[error("cannot read the transcript: {0}")]
    Read(#[from] io::Error),
}

/// The most events a transcript keeps. A server under load (the Load
/// panel's bots) reports tens of thousands of events a second; past this
/// many, new events are counted, not kept, and the window says so.
pub const MAX_EVENTS: usize = 1_000_000;

/// Every event, in the order it was reported, up to a limit.
#[derive(Clone, Debug)]
pub struct Transcript {
    /// The events, packed (see [`packed`]): a million fit in about 50 MB.
    events: Vec<packed::Packed>,
    /// The most events kept ([`MAX_EVENTS`] unless set otherwise).
    limit: usize,
    /// Events that arrived when the transcript was full, and were not kept.
    dropped: u64,
}

/// Two transcripts are equal when they hold the same events, whatever
/// their limits.
impl PartialEq for Transcript {
    fn eq(&self, other: &Self) -> bool {
        self.events == other.events
    }
}

impl Eq for Transcript {}

impl Default for Transcript {
    fn default() -> Self {
        Transcript::with_limit(MAX_EVENTS)
    }
}

impl Transcript {
    /// An empty transcript that keeps up to [`MAX_EVENTS`] events.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty transcript that keeps up to `limit` events.
    pub fn with_limit(limit: usize) -> Self {
        Transcript {
            events: Vec::new(),
            limit,
            dropped: 0,
        }
    }

    /// Adds an event at the end; returns false (and counts it) when the
    /// transcript is full and the event is not kept.
    pub fn push(&mut self, event: NetEvent) -> bool {
        if self.events.len() >= self.limit {
            self.dropped += 1;
            return false;
        }
        self.events.push(packed::Packed::pack(event));
        true
    }

    /// The most events this transcript keeps.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many events arrived after it was full and were not kept.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// True from 80% of the limit on: time to save and clear.
    pub fn is_filling_up(&self) -> bool {
        self.events.len() >= self.limit / 10 * 8
    }

    /// Forgets every event (and the count of those not kept).
    pub fn clear(&mut self) {
        self.events = Vec::new();
        self.dropped = 0;
    }

    /// All events, oldest first (each unpacked as it is read).
    pub fn events(&self) -> impl ExactSizeIterator<Item = NetEvent> + '_ {
        self.events.iter().map(packed::Packed::unpack)
    }

    /// The event at `index` (0 is the oldest).
    pub fn get(&self, index: usize) -> Option<NetEvent> {
        self.events.get(index).map(packed::Packed::unpack)
    }

    /// How many events there are.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when nothing has happened yet.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events of one socket, oldest first.
    pub fn for_origin(&self, origin: Origin) -> impl Iterator<Item = NetEvent> + '_ {
        self.events
            .iter()
            .filter(move |e| e.origin() == origin)
            .map(packed::Packed::unpack)
    }

    /// Writes readable text: `time  origin  what happened`, one line each.
    pub fn write_text(&self, mut out: impl Write) -> io::Result<()> {
        let mut peers = Peers::default();
        for event in self.events() {
            writeln!(
                out,
                "{}  {:<9} {}",
                event.local_time(),
                event.origin.label(),
                peers.describe(&event)
            )?;
        }
        out.flush()
    }

    /// Writes JSON Lines: one JSON object per event.
    pub fn write_jsonl(&self, mut out: impl Write) -> io::Result<()> {
        for event in self.events() {
            serde_json::to_writer(&mut out, &event)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Reads what [`Transcript::write_jsonl`] wrote. Empty lines are skipped.
    pub fn read_jsonl(input: impl BufRead) -> Result<Transcript, TranscriptError> {
        // A file is read whole, however long.
        let mut transcript = Transcript::with_limit(usize::MAX);
        for (index, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let event = serde_json::from_str(&line).map_err(|e| TranscriptError::BadLine {
                line: index + 1,
                message: e.to_string(),
            })?;
            transcript.push(event);
        }
        Ok(transcript)
    }

    /// Writes CSV with the columns `time, origin, event, detail, hex`:
    /// `detail` is the readable description, `hex` the raw bytes (if any).
    pub fn write_csv(&self, out: impl Write) -> io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(["time", "origin", "event", "detail", "hex"])?;
        let mut peers = Peers::default();
        for event in self.events() {
            let hex = payload(&event.kind).map(|b| b.to_hex()).unwrap_or_default();
            writer.write_record([
                event
                    .time
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                event.origin.label(),
                kind_name(&event.kind).to_owned(),
                peers.describe(&event),
                hex,
            ])?;
        }
        writer.flush()
    }

    /// Writes the transcript in `format` to `out`.
    pub fn write(&self, format: Format, out: impl Write) -> io::Result<()> {
        match format {
            Format::Text => self.write_text(out),
            Format::JsonLines => self.write_jsonl(out),
            Format::Csv => self.write_csv(out),
        }
    }

    /// Saves to `path`, in the format its extension names, atomically.
    pub fn save(&self, path: &Path) -> Result<Format, TranscriptError> {
        let format =
            Format::from_path(path).ok_or_else(|| TranscriptError::UnknownFormat(path.into()))?;
        self.save_as(path, format)?;
        Ok(format)
    }

    /// Saves to `path` in `format`, atomically: a temporary file in the
    /// same folder is written, flushed to disk, then renamed over `path`.
    pub fn save_as(&self, path: &Path, format: Format) -> Result<(), TranscriptError> {
        let fail = |source| TranscriptError::Write {
            path: path.to_owned(),
            source,
        };
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut temp = tempfile::NamedTempFile::new_in(folder).map_err(fail)?;
        self.write(format, io::BufWriter::new(temp.as_file_mut()))
            .map_err(fail)?;
        temp.as_file().sync_all().map_err(fail)?;
        temp.persist(path).map_err(|e| fail(e.error))?;
        Ok(())
    }
}

/// Remembers each server connection's peer, so that the line for its end
/// can read like the tutorial's: `Connection from IP:PORT is closed`.
#[derive(Default)]
struct Peers(HashMap<Origin, SocketAddr>);

impl Peers {
    fn describe(&mut self, event: &NetEvent) -> String {
        if let EventKind::Accepted { peer, .. } = &event.kind {
            self.0.insert(event.origin, *peer);
        }
        match (&event.kind, self.0.get(&event.origin)) {
            (EventKind::Closed { reason }, Some(peer)) => {
                format!("Connection from {peer} is closed ({reason})")
            }
            (kind, _) => Describe(kind).to_string(),
        }
    }
}

/// The raw bytes an event carries, if any.
pub fn payload(kind: &EventKind) -> Option<&crate::net::Bytes> {
    match kind {
        EventKind::Received { bytes } | EventKind::Sent { bytes } => Some(bytes),
        EventKind::Heard {
            heard: Heard::Name { name, .. },
        } => Some(name),
        EventKind::Message {
            message: ServerMessage::Hello(bytes) | ServerMessage::Unexpected(bytes),
        } => Some(bytes),
        _ => None,
    }
}

/// The event's type as one word, as in JSON Lines.
pub fn kind_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Listening { .. } => "listening",
        EventKind::Accepted { .. } => "accepted",
        EventKind::Rejected { .. } => "rejected",
        EventKind::Connecting { .. } => "connecting",
        EventKind::Dialing { .. } => "dialing",
        EventKind::Connected { .. } => "connected",
        EventKind::Received { .. } => "received",
        EventKind::Sent { .. } => "sent",
        EventKind::Heard { .. } => "heard",
        EventKind::Message { .. } => "message",
        EventKind::Closed { .. } => "closed",
        EventKind::TcpState { .. } => "tcp_state",
        EventKind::PeerTcpState { .. } => "peer_tcp_state",
        EventKind::Segment { .. } => "segment",
        EventKind::Held { .. } => "held",
        EventKind::FinQueued { .. } => "fin_queued",
        EventKind::CallStart { .. } => "call_start",
        EventKind::CallEnd { .. } => "call_end",
        EventKind::Drained { .. } => "drained",
        EventKind::Stopped => "stopped",
        EventKind::Error { .. } => "error",
    }
}

/// An event described in one readable line (bytes escaped).
pub struct Describe<'a>(pub &'a EventKind);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            EventKind::Listening { addr } => write!(f, "Listening on {addr}"),
            EventKind::Accepted {
                peer,
                local,
                thread,
            } => write!(
                f,
                "Accept new connection from {peer} (thread {thread}, local {local})"
            ),
            EventKind::Rejected { peer, why } => write!(f, "Refused connection from {peer}: {why}"),
            EventKind::Connecting { target } => write!(f, "Connecting to {target}..."),
            EventKind::Dialing { local, peer } => write!(f, "connect() from {local} to {peer}"),
            EventKind::Connected { local, peer } => write!(f, "Connected {local} -> {peer}"),
            EventKind::Received { bytes } => {
                write!(f, "recv {} bytes: \"{}\"", bytes.len(), bytes.escaped())
            }
            EventKind::Sent { bytes } => {
                write!(f, "send {} bytes: \"{}\"", bytes.len(), bytes.escaped())
            }
            EventKind::Heard { heard } => match heard {
                Heard::Name { name, cut: false } => write!(f, "name \"{}\"", name.escaped()),
                Heard::Name { name, cut: true } => write!(
                    f,
                    "name \"{}\" (a {}-byte piece of a longer name)",
                    name.escaped(),
                    name.len()
                ),
                Heard::EmptyName => f.write_str("empty name: ask again"),
                Heard::Exit => f.write_str("exit: say good bye"),
            },
            EventKind::Message { message } => match message {
                ServerMessage::Welcome => f.write_str("server says: Welcome!"),
                ServerMessage::Prompt => f.write_str("server asks: Whats your name?"),
                ServerMessage::Hello(name) => {
                    write!(f, "server says: Hello {}!", name.escaped())
                }
                ServerMessage::GoodBye => f.write_str("server says: Good bye!"),
                ServerMessage::Unexpected(bytes) => {
                    write!(f, "unexpected bytes: \"{}\"", bytes.escaped())
                }
            },
            EventKind::Closed { reason } => write!(f, "closed: {reason}"),
            EventKind::TcpState {
                state,
                time_wait_left_ms: Some(ms),
            } => write!(f, "TCP state {state} ({:.1} s left)", *ms as f64 / 1000.0),
            EventKind::TcpState { state, .. } => write!(f, "TCP state {state}"),
            EventKind::Segment { segment } => write!(
                f,
                "segment {} {} -> {} seq={} ack={} len={}",
                segment.flags,
                segment.src,
                segment.dst,
                segment.seq,
                segment.ack,
                segment.payload_len
            ),
            EventKind::PeerTcpState { state } => {
                write!(f, "server's end (not accepted yet): TCP state {state}")
            }
            EventKind::Held { step } => write!(f, "step mode: waiting before {step}"),
            EventKind::CallStart { call } => write!(f, "{call} called"),
            EventKind::CallEnd { call, result } => write!(f, "{call} returned {result}"),
            EventKind::FinQueued { behind: 0 } => f.write_str("close hold: shutdown(): FIN sent"),
            EventKind::FinQueued { behind } => write!(
                f,
                "close hold: shutdown(): FIN queued after {behind} bytes the peer has not read"
            ),
            EventKind::Drained { bytes } => write!(
                f,
                "close hold: stopped reading, then read and dropped {bytes} bytes up to the FIN"
            ),
            EventKind::Stopped => f.write_str("Server stopped"),
            EventKind::Error { message } => write!(f, "error: {message}"),
        }
    }
}
