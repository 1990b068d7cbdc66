//! The sequence diagram of one connection: a client lane, a server lane,
//! and what went between them.
//!
//! It is built from the transcript alone: the client tab's events and
//! those of the server thread that served it (matched by address). Each
//! lane shows its socket's TCP states as the kernel reported them
//! (observed) and the states the state machine says came between (inferred,
//! with why). Between the lanes go the messages each side sent and the
//! kernel's own segments — the handshake (SYN, SYN+ACK, ACK) and each
//! side's FIN and its ACK — which are drawn as inferred: the app does not
//! capture packets in the window.

use std::borrow::Cow;

use chrono::{DateTime, Local, Utc};
use rust_i18n::t;

use super::lang::close_reason;
use crate::net::calls::{Call, CallResult};
use crate::net::capture::{Flags, Segment};
use crate::net::lifecycle::{Role, between};
use crate::net::tcp_state::TcpState;
use crate::net::{EventKind, NetEvent};

/// One side of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// The client tab's socket.
    Client,
    /// The server thread's socket.
    Server,
}

impl Lane {
    fn other(self) -> Lane {
        match self {
            Lane::Client => Lane::Server,
            Lane::Server => Lane::Client,
        }
    }
}

/// One row of the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A lane entered a TCP state.
    State {
        lane: Lane,
        state: TcpState,
        /// `None` when inferred.
        time: Option<DateTime<Utc>>,
        /// Why an inferred state must have happened.
        why: Option<String>,
    },
    /// Something went from one lane to the other.
    Arrow {
        from: Lane,
        label: String,
        /// `None` when inferred (segments the kernel sent on its own).
        time: Option<DateTime<Utc>>,
    },
    /// A real segment, captured on the wire.
    Segment {
        from: Lane,
        /// Flags and the numbers relative to each side's first sequence
        /// number, e.g. `SYN+ACK seq=0 ack=1`.
        label: String,
        /// The raw numbers and what the segment does.
        detail: String,
        /// Its payload, in bytes.
        len: usize,
        time: DateTime<Utc>,
    },
    /// A long run of captured data segments and their ACKs, drawn as one
    /// row (e.g. the close hold's filler); the first and last of the run
    /// are drawn around it.
    Elided {
        /// How many segments were left out.
        segments: usize,
        /// How many payload bytes they carried.
        bytes: u64,
        time: DateTime<Utc>,
    },
    /// A call on one lane, e.g. `close()`, with why.
    Note {
        lane: Lane,
        text: String,
        time: DateTime<Utc>,
    },
}

/// Builds the rows from both sides' events (each in the order they came).
pub fn build(client: &[&NetEvent], server: &[&NetEvent]) -> Vec<Row> {
    let mut merged: Vec<(Lane, &NetEvent)> = client
        .iter()
        .map(|e| (Lane::Client, *e))
        .chain(server.iter().map(|e| (Lane::Server, *e)))
        .collect();
    merged.sort_by_key(|(_, e)| e.time);
    let wire = Wire::of(client);
    let mut rows = Vec::new();
    let mut last = [lane_origin(Lane::Client), lane_origin(Lane::Server)];
    // Inferred FINs (when the close was not captured): whether each lane's
    // FIN is drawn, and whether it still waits for its ACK (a close hold:
    // the ACK comes when the other end reads up to the FIN).
    let mut fin_drawn = [false; 2];
    let mut handshake_drawn = false;
    let mut ack_owed = [false; 2];
    for (lane, event) in merged {
        match &event.kind {
            EventKind::Segment { segment } => {
                wire.draw(segment, event.time, &mut rows, &mut last);
            }
            // connect() spans the handshake: its call above, its return
            // below the three segments (captured, or drawn here inferred).
            EventKind::CallStart {
                call: Call::Connect,
            } => rows.push(Row::Note {
                lane,
                text: t!("diagram.note.connect_called").into_owned(),
                time: event.time,
            }),
            EventKind::CallEnd {
                call: Call::Connect,
                result,
            } => {
                if *result == CallResult::Done && !wire.handshake_seen && !handshake_drawn {
                    inferred_handshake(&mut rows, &mut last);
                    handshake_drawn = true;
                }
                rows.push(Row::Note {
                    lane,
                    text: t!(
                        "diagram.note.connect_returned",
                        result = call_result(result)
                    )
                    .into_owned(),
                    time: event.time,
                });
            }
            EventKind::Connected { .. } if !wire.handshake_seen && !handshake_drawn => {
                inferred_handshake(&mut rows, &mut last);
                handshake_drawn = true;
            }
            EventKind::Accepted { .. } => rows.push(Row::Note {
                lane,
                text: t!("diagram.note.accepted").into_owned(),
                time: event.time,
            }),
            EventKind::CallEnd {
                call: Call::Recv,
                result: CallResult::Bytes(0),
            } => rows.push(Row::Note {
                lane,
                text: t!("diagram.note.recv_eof").into_owned(),
                time: event.time,
            }),
            EventKind::CallEnd {
                call: Call::Shutdown,
                result: CallResult::Done,
            } => rows.push(Row::Note {
                lane,
                text: t!("diagram.note.shutdown").into_owned(),
                time: event.time,
            }),
            EventKind::Sent { bytes } => rows.push(Row::Arrow {
                from: lane,
                label: format!("\"{}\"", super::bytes_view::shown(bytes)),
                time: Some(event.time),
            }),
            EventKind::FinQueued { behind } => {
                let text = if *behind == 0 {
                    t!("diagram.note.fin_sent_held").into_owned()
                } else {
                    t!("diagram.note.fin_queued_held", behind = behind).into_owned()
                };
                rows.push(Row::Note {
                    lane,
                    text,
                    time: event.time,
                });
                if wire.close_seen {
                    continue;
                }
                rows.push(Row::Arrow {
                    from: lane,
                    label: if *behind == 0 {
                        "FIN".to_owned()
                    } else {
                        t!("diagram.arrow.bytes_then_fin", behind = behind).into_owned()
                    },
                    time: None,
                });
                fin_drawn[lane as usize] = true;
                if *behind == 0 {
                    // The other end's kernel acknowledges it at once.
                    rows.push(Row::Arrow {
                        from: lane.other(),
                        label: "ACK".to_owned(),
                        time: None,
                    });
                } else {
                    ack_owed[lane as usize] = true;
                }
            }
            EventKind::Drained { bytes } => {
                rows.push(Row::Note {
                    lane,
                    text: t!("diagram.note.drained", bytes = bytes).into_owned(),
                    time: event.time,
                });
                let peer = lane.other() as usize;
                if !wire.close_seen && ack_owed[peer] {
                    rows.push(Row::Arrow {
                        from: lane,
                        label: "ACK".to_owned(),
                        time: None,
                    });
                    ack_owed[peer] = false;
                }
            }
            EventKind::Closed { reason } => {
                rows.push(Row::Note {
                    lane,
                    text: t!("diagram.note.closed", reason = close_reason(reason)).into_owned(),
                    time: event.time,
                });
                if wire.close_seen || fin_drawn[lane as usize] {
                    continue;
                }
                rows.push(Row::Arrow {
                    from: lane,
                    label: "FIN".to_owned(),
                    time: None,
                });
                rows.push(Row::Arrow {
                    from: lane.other(),
                    label: "ACK".to_owned(),
                    time: None,
                });
            }
            EventKind::TcpState { state, .. } => {
                observed(&mut rows, &mut last, lane, *state, event.time);
            }
            // The server's end, seen from the client before accept().
            EventKind::PeerTcpState { state } => {
                observed(&mut rows, &mut last, Lane::Server, *state, event.time);
            }
            _ => {}
        }
    }
    elide_long_runs(rows)
}

/// What a socket call returned, in the window's language (the words of
/// `CallResult`'s `Display` in English).
fn call_result(result: &CallResult) -> Cow<'static, str> {
    match result {
        CallResult::Done => t!("diagram.result.ok"),
        CallResult::Peer(peer) => t!("diagram.result.peer", peer = peer),
        CallResult::Bytes(0) => t!("diagram.result.eof"),
        CallResult::Bytes(1) => t!("diagram.result.one_byte"),
        CallResult::Bytes(n) => t!("diagram.result.bytes", n = n),
        CallResult::Failed(why) => t!("diagram.result.failed", why = why),
    }
}

/// Runs of plain data segments and ACKs longer than this are shortened.
const LONGEST_RUN: usize = 8;

/// Replaces the middle of each long run of captured segments that carry
/// no SYN, FIN or RST (bulk data and its ACKs) by one [`Row::Elided`], so
/// a diagram stays readable whatever was sent.
fn elide_long_runs(rows: Vec<Row>) -> Vec<Row> {
    let plain = |row: &Row| match row {
        Row::Segment { label, .. } => {
            !(label.contains("SYN") || label.contains("FIN") || label.contains("RST"))
        }
        _ => false,
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut run: Vec<Row> = Vec::new();
    let flush = |run: &mut Vec<Row>, out: &mut Vec<Row>| {
        if run.len() <= LONGEST_RUN {
            out.append(run);
            return;
        }
        let keep = 2;
        let middle: Vec<Row> = run.drain(keep..run.len() - keep).collect();
        let bytes = middle
            .iter()
            .map(|row| match row {
                Row::Segment { len, .. } => *len as u64,
                _ => 0,
            })
            .sum();
        let time = match middle.first() {
            Some(Row::Segment { time, .. }) => *time,
            _ => Utc::now(),
        };
        let tail: Vec<Row> = run.drain(keep..).collect();
        out.append(run);
        out.push(Row::Elided {
            segments: middle.len(),
            bytes,
            time,
        });
        out.extend(tail);
    };
    for row in rows {
        if plain(&row) {
            run.push(row);
        } else {
            flush(&mut run, &mut out);
            out.push(row);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The handshake, in textbook order, drawn from the state machine (it was
/// not captured): each side's short state beside the segment that starts
/// it, inferred unless it was seen (a held SYN_SENT).
fn inferred_handshake(rows: &mut Vec<Row>, last: &mut [TcpState; 2]) {
    let why = t!("diagram.why.handshake");
    let handshake = [
        (Some((Lane::Client, TcpState::SynSent)), Lane::Client, "SYN"),
        (
            Some((Lane::Server, TcpState::SynRecv)),
            Lane::Server,
            "SYN+ACK",
        ),
        (None, Lane::Client, "ACK"),
    ];
    for (state, from, label) in handshake {
        if let Some((lane, state)) = state
            && last[lane as usize] != state
        {
            rows.push(Row::State {
                lane,
                state,
                time: None,
                why: Some(why.clone().into_owned()),
            });
            last[lane as usize] = state;
        }
        rows.push(Row::Arrow {
            from,
            label: label.to_owned(),
            time: None,
        });
    }
}

/// What was captured of a connection: which side is the client, each
/// side's first sequence number, and whether the handshake and the close
/// were seen (then they are drawn from the segments, not inferred).
struct Wire {
    client: Option<std::net::SocketAddr>,
    client_isn: Option<u32>,
    server_isn: Option<u32>,
    handshake_seen: bool,
    close_seen: bool,
}

impl Wire {
    /// Reads the client's events (the recorder files segments there).
    fn of(client: &[&NetEvent]) -> Wire {
        let mut wire = Wire {
            client: None,
            client_isn: None,
            server_isn: None,
            handshake_seen: false,
            close_seen: false,
        };
        for event in client {
            match &event.kind {
                EventKind::Dialing { local, .. } | EventKind::Connected { local, .. } => {
                    wire.client = Some(*local);
                }
                EventKind::Segment { segment } if segment.flags.contains(Flags::SYN) => {
                    if segment.flags.contains(Flags::ACK) {
                        wire.server_isn = Some(segment.seq);
                    } else {
                        wire.client_isn = Some(segment.seq);
                    }
                    wire.handshake_seen = true;
                }
                EventKind::Segment { segment } if segment.flags.contains(Flags::FIN) => {
                    wire.close_seen = true;
                }
                _ => {}
            }
        }
        wire
    }

    /// Adds one captured segment, with the short state its sender enters
    /// when it sends a SYN (SYN_SENT) or a SYN+ACK (SYN_RECV), inferred
    /// unless it was seen.
    fn draw(
        &self,
        segment: &Segment,
        time: DateTime<Utc>,
        rows: &mut Vec<Row>,
        last: &mut [TcpState; 2],
    ) {
        let from = if Some(segment.src) == self.client {
            Lane::Client
        } else {
            Lane::Server
        };
        let (own_isn, peer_isn) = match from {
            Lane::Client => (self.client_isn, self.server_isn),
            Lane::Server => (self.server_isn, self.client_isn),
        };
        let syn = segment.flags.contains(Flags::SYN);
        let entered = match (from, syn) {
            (Lane::Client, true) => Some(TcpState::SynSent),
            (Lane::Server, true) => Some(TcpState::SynRecv),
            _ => None,
        };
        if let Some(state) = entered
            && last[from as usize] != state
        {
            rows.push(Row::State {
                lane: from,
                state,
                time: None,
                why: Some(
                    t!("diagram.why.sending", flags = segment.flags, state = state).into_owned(),
                ),
            });
            last[from as usize] = state;
        }
        let relative = |n: u32, isn: Option<u32>| isn.map_or(n, |isn| n.wrapping_sub(isn));
        let mut label = format!("{} seq={}", segment.flags, relative(segment.seq, own_isn));
        if segment.flags.contains(Flags::ACK) {
            label.push_str(&format!(" ack={}", relative(segment.ack, peer_isn)));
        }
        if segment.payload_len > 0 {
            label.push_str(&format!(" len={}", segment.payload_len));
        }
        let detail = t!("diagram.segment_detail", segment = segment).into_owned();
        rows.push(Row::Segment {
            from,
            label,
            detail,
            len: segment.payload_len,
            time,
        });
    }
}

/// Adds an observed state to `lane`, after the states the state machine
/// says came between. A state already drawn there (inferred at the
/// handshake, or reported by both ends' watches) is not drawn twice: an
/// inferred row becomes observed instead.
fn observed(
    rows: &mut Vec<Row>,
    last: &mut [TcpState; 2],
    lane: Lane,
    state: TcpState,
    seen: DateTime<Utc>,
) {
    let index = lane as usize;
    if last[index] == state {
        let latest = rows.iter_mut().rev().find_map(|row| match row {
            Row::State {
                lane: l, time, why, ..
            } if *l == lane => Some((time, why)),
            _ => None,
        });
        if let Some((time @ None, why)) = latest {
            *time = Some(seen);
            *why = None;
        }
        return;
    }
    for inferred in between(last[index], state).unwrap_or_default() {
        rows.push(Row::State {
            lane,
            state: inferred,
            time: None,
            why: Some(t!("diagram.why.between", from = last[index], to = state).into_owned()),
        });
    }
    rows.push(Row::State {
        lane,
        state,
        time: Some(seen),
        why: None,
    });
    last[index] = state;
}

/// Where each lane's states start (see [`crate::net::lifecycle::Role`]).
pub fn lane_origin(lane: Lane) -> TcpState {
    match lane {
        Lane::Client => Role::Client.origin(),
        Lane::Server => Role::Accepted.origin(),
    }
}

/// Draws the rows: time, client lane, what went between, server lane.
/// The lanes have fixed widths and the middle column takes the rest, so
/// both lanes stay in view whatever the width of the window.
pub fn ui(ui: &mut egui::Ui, rows: &[Row], client_title: &str, server_title: &str) {
    use egui_extras::{Column, TableBuilder};
    let colors = Colors {
        weak: ui.visuals().weak_text_color(),
        strong: ui.visuals().strong_text_color(),
        link: ui.visuals().hyperlink_color,
        wire: ui.visuals().warn_fg_color,
    };
    let hovers = Hovers {
        inferred: t!("diagram.inferred_arrow"),
        elided: t!("diagram.elided_hover"),
    };
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
    ui.label(egui::RichText::new(t!("diagram.legend")).weak().small());
    TableBuilder::new(ui)
        .id_salt(("diagram", client_title))
        .striped(true)
        .auto_shrink([false, false])
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(100.0))
        .column(Column::exact(118.0).clip(true))
        .column(Column::remainder().at_least(150.0).clip(true))
        .column(Column::exact(118.0).clip(true))
        .header(row_height, |mut header| {
            header.col(|ui| {
                ui.label(egui::RichText::new(t!("diagram.time")).weak());
            });
            header.col(|ui| {
                ui.strong(client_title);
            });
            header.col(|_| {});
            header.col(|ui| {
                ui.strong(server_title);
            });
        })
        .body(|mut body| {
            // A connection has a few dozen rows: lay them all out, so the
            // diagram reads from the handshake down.
            for row in rows {
                body.row(row_height, |mut table_row| {
                    for cell in cells(row, &colors, &hovers) {
                        table_row.col(|ui| {
                            if let Some((text, hover)) = cell {
                                let label = ui.label(text);
                                if let Some(hover) = hover {
                                    label.on_hover_text(hover);
                                }
                            }
                        });
                    }
                });
            }
        });
}

struct Colors {
    weak: egui::Color32,
    strong: egui::Color32,
    link: egui::Color32,
    /// Captured segments.
    wire: egui::Color32,
}

/// The hover texts every row of a kind shares, looked up once a frame.
struct Hovers {
    /// Of an inferred arrow.
    inferred: Cow<'static, str>,
    /// Of an elided run of segments.
    elided: Cow<'static, str>,
}

type Cell = Option<(egui::RichText, Option<String>)>;

/// The four cells of a row: time, client lane, between, server lane.
fn cells(row: &Row, colors: &Colors, hovers: &Hovers) -> [Cell; 4] {
    let time_cell = |time: &Option<DateTime<Utc>>| -> Cell {
        time.map(|t| {
            let text = t.with_timezone(&Local).format("%H:%M:%S%.3f").to_string();
            (egui::RichText::new(text).monospace().weak(), None)
        })
    };
    let in_lane = |lane: Lane, cell: Cell| -> [Cell; 2] {
        match lane {
            Lane::Client => [cell, None],
            Lane::Server => [None, cell],
        }
    };
    match row {
        Row::State {
            lane,
            state,
            time,
            why,
        } => {
            let text = match why {
                None => egui::RichText::new(state.name())
                    .monospace()
                    .strong()
                    .color(colors.strong),
                Some(_) => egui::RichText::new(state.name())
                    .monospace()
                    .italics()
                    .color(colors.weak),
            };
            let [client, server] = in_lane(*lane, Some((text, why.clone())));
            [time_cell(time), client, None, server]
        }
        Row::Arrow { from, label, time } => {
            let inferred = time.is_none();
            let line = if inferred { "╌╌" } else { "──" };
            let arrow = match from {
                Lane::Client => format!("{line} {label} {line}▶"),
                Lane::Server => format!("◀{line} {label} {line}"),
            };
            let (text, hover) = if inferred {
                (
                    egui::RichText::new(arrow).color(colors.weak),
                    Some(hovers.inferred.clone().into_owned()),
                )
            } else {
                (
                    egui::RichText::new(arrow).color(colors.link),
                    Some(label.clone()),
                )
            };
            [time_cell(time), None, Some((text.monospace(), hover)), None]
        }
        Row::Elided {
            segments,
            bytes,
            time,
        } => {
            let text =
                egui::RichText::new(t!("diagram.elided", segments = segments, bytes = bytes))
                    .monospace()
                    .color(colors.wire);
            [
                time_cell(&Some(*time)),
                None,
                Some((text, Some(hovers.elided.clone().into_owned()))),
                None,
            ]
        }
        Row::Segment {
            from,
            label,
            detail,
            time,
            ..
        } => {
            let arrow = match from {
                Lane::Client => format!("━━ {label} ━━▶"),
                Lane::Server => format!("◀━━ {label} ━━"),
            };
            let text = egui::RichText::new(arrow).monospace().color(colors.wire);
            [
                time_cell(&Some(*time)),
                None,
                Some((text, Some(detail.clone()))),
                None,
            ]
        }
        Row::Note { lane, text, time } => {
            let note = egui::RichText::new(text).italics();
            let [client, server] = in_lane(*lane, Some((note, Some(text.clone()))));
            [time_cell(&Some(*time)), client, None, server]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Bytes, CloseReason, Origin};

    fn at(ms: i64, origin: Origin, kind: EventKind) -> NetEvent {
        NetEvent {
            time: DateTime::from_timestamp_millis(1_000_000 + ms).unwrap(),
            origin,
            kind,
        }
    }

    fn state(state: TcpState) -> EventKind {
        EventKind::TcpState {
            state,
            time_wait_left_ms: None,
        }
    }

    /// Each row in a word or two; `?` marks an inferred state.
    fn labels(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::State {
                    lane, state, why, ..
                } => {
                    format!("{lane:?} {state}{}", if why.is_some() { "?" } else { "" })
                }
                Row::Arrow { from, label, .. } => format!("{from:?}> {label}"),
                Row::Note { lane, text, .. } => format!("{lane:?} {text}"),
                Row::Segment { from, label, .. } => format!("{from:?}>> {label}"),
                Row::Elided { segments, .. } => format!("... {segments}"),
            })
            .collect()
    }

    fn segment(ms: i64, from: &str, to: &str, flags: &str, seq: u32, ack: u32) -> NetEvent {
        let time = DateTime::from_timestamp_millis(1_000_000 + ms).unwrap();
        at(
            ms,
            Origin::Client(1),
            EventKind::Segment {
                segment: Segment {
                    time,
                    src: from.parse().unwrap(),
                    dst: to.parse().unwrap(),
                    seq,
                    ack,
                    flags: flags.parse().unwrap(),
                    window: 512,
                    payload_len: 0,
                },
            },
        )
    }

    /// In English, a translated reason or result reads exactly as the
    /// network layer's own `Display` (which the transcript and the
    /// terminal show).
    #[test]
    fn reasons_and_results_read_as_their_display_in_english() {
        for reason in crate::app::lang::every_close_reason() {
            assert_eq!(
                t!("diagram.note.closed", reason = close_reason(&reason)),
                format!("close() ({reason})")
            );
        }
        for result in [
            CallResult::Done,
            CallResult::Peer("127.0.0.1:40000".parse().unwrap()),
            CallResult::Bytes(0),
            CallResult::Bytes(1),
            CallResult::Bytes(1024),
            CallResult::Failed("Connection refused (os error 111)".to_owned()),
        ] {
            assert_eq!(call_result(&result), result.to_string());
        }
    }

    #[test]
    fn captured_segments_replace_the_inferred_arrows_numbered_from_each_syn() {
        let (c, s) = (Origin::Client(1), Origin::ServerConn(1));
        let (me, server) = ("127.0.0.1:40000", "127.0.0.1:6000");
        let local: std::net::SocketAddr = me.parse().unwrap();
        let peer: std::net::SocketAddr = server.parse().unwrap();
        let client = [
            at(0, c, EventKind::Dialing { local, peer }),
            segment(1, me, server, "SYN", 100, 0),
            segment(2, server, me, "SYN+ACK", 500, 101),
            segment(3, me, server, "ACK", 101, 501),
            at(4, c, EventKind::Connected { local, peer }),
            at(
                8,
                c,
                EventKind::Closed {
                    reason: CloseReason::Exit,
                },
            ),
            segment(9, me, server, "FIN+ACK", 101, 501),
            segment(10, server, me, "ACK", 501, 102),
        ];
        let server_events = [at(5, s, state(TcpState::Established))];
        let rows = build(
            &client.iter().collect::<Vec<_>>(),
            &server_events.iter().collect::<Vec<_>>(),
        );
        assert_eq!(
            labels(&rows),
            [
                "Client SYN_SENT?",
                "Client>> SYN seq=0",
                "Server SYN_RECV?",
                "Server>> SYN+ACK seq=0 ack=1",
                "Client>> ACK seq=1 ack=1",
                "Server ESTABLISHED",
                "Client close() (said exit)",
                "Client>> FIN+ACK seq=1 ack=1",
                "Server>> ACK seq=1 ack=2",
            ]
        );
    }

    #[test]
    fn a_held_syn_recv_seen_from_the_client_is_drawn_observed_once() {
        let (c, s) = (Origin::Client(1), Origin::ServerConn(1));
        let a: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let client = [
            at(0, c, EventKind::Connected { local: a, peer: a }),
            at(1, c, state(TcpState::Established)),
            at(
                2,
                c,
                EventKind::PeerTcpState {
                    state: TcpState::SynRecv,
                },
            ),
            at(
                3000,
                c,
                EventKind::PeerTcpState {
                    state: TcpState::Established,
                },
            ),
        ];
        let server = [at(3001, s, state(TcpState::Established))];
        let rows = build(
            &client.iter().collect::<Vec<_>>(),
            &server.iter().collect::<Vec<_>>(),
        );
        assert_eq!(
            labels(&rows),
            [
                "Client SYN_SENT?",
                "Client> SYN",
                "Server SYN_RECV",
                "Server> SYN+ACK",
                "Client> ACK",
                "Client ESTABLISHED",
                "Server ESTABLISHED",
            ]
        );
    }

    #[test]
    fn a_dialogue_becomes_handshake_messages_states_and_close() {
        let (c, s) = (Origin::Client(1), Origin::ServerConn(1));
        let a: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let client = [
            at(0, c, EventKind::Connected { local: a, peer: a }),
            at(2, c, state(TcpState::Established)),
            at(
                9,
                c,
                EventKind::Closed {
                    reason: CloseReason::Exit,
                },
            ),
            at(10, c, state(TcpState::Closed)),
        ];
        let server = [
            at(
                1,
                s,
                EventKind::Sent {
                    bytes: Bytes::from("Welcome!\n"),
                },
            ),
            at(3, s, state(TcpState::Established)),
            at(
                8,
                s,
                EventKind::Closed {
                    reason: CloseReason::Exit,
                },
            ),
            at(11, s, state(TcpState::TimeWait)),
        ];
        let rows = build(
            &client.iter().collect::<Vec<_>>(),
            &server.iter().collect::<Vec<_>>(),
        );
        let labels = labels(&rows);
        let expected = [
            "Client SYN_SENT?",
            "Client> SYN",
            "Server SYN_RECV?",
            "Server> SYN+ACK",
            "Client> ACK",
            r#"Server> "Welcome!\n""#,
            "Client ESTABLISHED",
            "Server ESTABLISHED",
            "Server close() (said exit)",
            "Server> FIN",
            "Client> ACK",
            "Client close() (said exit)",
            "Client> FIN",
            "Server> ACK",
            "Client CLOSE_WAIT?",
            "Client LAST_ACK?",
            "Client CLOSED",
            "Server FIN_WAIT_1?",
            "Server TIME_WAIT",
        ];
        assert_eq!(labels, expected);
        assert_eq!(lane_origin(Lane::Server), TcpState::Listen);
    }

    #[test]
    fn a_close_hold_draws_each_fin_when_queued_and_its_ack_when_read() {
        let (c, s) = (Origin::Client(1), Origin::ServerConn(1));
        let closed = |reason| EventKind::Closed { reason };
        let client = [
            at(10, c, EventKind::Drained { bytes: 500 }),
            at(11, c, state(TcpState::CloseWait)),
            at(12, c, EventKind::FinQueued { behind: 300 }),
            at(13, c, state(TcpState::LastAck)),
            at(14, c, closed(CloseReason::Exit)),
            at(21, c, state(TcpState::Closed)),
        ];
        let server = [
            at(0, s, state(TcpState::Established)),
            at(1, s, EventKind::FinQueued { behind: 500 }),
            at(2, s, state(TcpState::FinWait1)),
            at(11, s, state(TcpState::FinWait2)),
            at(20, s, EventKind::Drained { bytes: 300 }),
            at(21, s, closed(CloseReason::Exit)),
            at(22, s, state(TcpState::TimeWait)),
        ];
        let rows = build(
            &client.iter().collect::<Vec<_>>(),
            &server.iter().collect::<Vec<_>>(),
        );
        let labels = labels(&rows);
        let close: Vec<&str> = labels
            .iter()
            .map(String::as_str)
            .filter(|l| l.contains('>') || l.contains("_WAIT") || l.contains("LAST_ACK"))
            .collect();
        assert_eq!(
            close,
            [
                "Server> 500 bytes, then FIN",
                "Server FIN_WAIT_1",
                "Client> ACK",
                "Client CLOSE_WAIT",
                "Server FIN_WAIT_2",
                "Client> 300 bytes, then FIN",
                "Client LAST_ACK",
                "Server> ACK",
                "Server TIME_WAIT",
            ]
        );
    }
}
