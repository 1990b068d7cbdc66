//! The server's thread table: one row per client thread, live.
//!
//! Each accepted connection is served by its own thread, `client-N`, as in
//! the tutorial. A row shows what that thread is doing: who its peer is,
//! where it is in the dialogue, the names it heard, the bytes it moved and,
//! at the end, why its connection closed. Rows are built only from events.
//!
//! Connections of the Load panel's bots are not rows: they are counted in
//! one group row at the top, so a thousand bots leave the class's own
//! clients in view (and the table's memory does not grow with every
//! dialogue a bot holds).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use chrono::{DateTime, Local, Utc};
use egui_extras::{Column, TableBuilder};

use super::follow::{Follow, Role};
use super::tcp_view::TcpView;
use crate::net::protocol::{PROMPT, WELCOME};
use crate::net::{CloseReason, EventKind, Heard, NetEvent, Origin};

/// Where a client thread is in the dialogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Accepted; nothing sent yet.
    Connected,
    /// `Welcome!` sent.
    Greeted,
    /// The prompt is out; the thread waits in `recv()` for a name.
    WaitingForName,
    /// `exit` heard; `Good bye!` on its way.
    SayingGoodBye,
    /// The connection is closed, for this reason.
    Closed(CloseReason),
}

impl Step {
    /// The step in a few words.
    pub fn describe(&self) -> String {
        match self {
            Step::Connected => "connected".to_owned(),
            Step::Greeted => "greeted".to_owned(),
            Step::WaitingForName => "waiting for a name".to_owned(),
            Step::SayingGoodBye => "saying good bye".to_owned(),
            Step::Closed(reason) => format!("closed: {reason}"),
        }
    }
}

/// One client thread of the server.
#[derive(Clone, Debug)]
pub struct ThreadRow {
    /// The connection number (the N of `client-N`).
    pub id: u64,
    /// The thread's name.
    pub thread: String,
    /// The client's address and port.
    pub peer: SocketAddr,
    /// When the connection was accepted.
    pub since: DateTime<Utc>,
    /// Where the dialogue is.
    pub step: Step,
    /// The names heard so far, escaped for display.
    pub names: Vec<String>,
    /// Bytes received from the client.
    pub bytes_in: u64,
    /// Bytes sent to the client.
    pub bytes_out: u64,
    /// The socket's real TCP state, as the kernel last reported it.
    pub tcp: Option<TcpView>,
    /// In step mode: the step this thread waits to take.
    pub held: Option<String>,
    /// The socket call the thread is in, and its line of code.
    pub follow: Follow,
}

impl ThreadRow {
    /// True once the connection has closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.step, Step::Closed(_))
    }

    fn apply(&mut self, kind: &EventKind) {
        self.follow.apply(kind);
        // Any step taken ends the wait before it.
        if matches!(kind, EventKind::Sent { .. } | EventKind::Closed { .. }) {
            self.held = None;
        }
        match kind {
            EventKind::Held { step } => self.held = Some(step.clone()),
            EventKind::Received { bytes } => self.bytes_in += bytes.len() as u64,
            EventKind::Sent { bytes } => {
                self.bytes_out += bytes.len() as u64;
                let sent = bytes.as_slice();
                if sent.ends_with(PROMPT) {
                    self.step = Step::WaitingForName;
                } else if sent.starts_with(WELCOME) {
                    self.step = Step::Greeted;
                }
            }
            EventKind::Heard { heard } => match heard {
                Heard::Name { name, .. } => self.names.push(name.escaped()),
                Heard::Exit => self.step = Step::SayingGoodBye,
                Heard::EmptyName => {}
            },
            EventKind::Closed { reason } => self.step = Step::Closed(reason.clone()),
            EventKind::TcpState { .. } => self.tcp = TcpView::from_event(kind),
            _ => {}
        }
    }
}

/// What the user asked for in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableAction {
    /// Close this connection from the server side.
    Kick(u64),
}

/// The bots' connections, counted together in one row.
#[derive(Clone, Debug, Default)]
pub struct BotGroup {
    /// Connections of bots now open.
    ids: HashSet<u64>,
    /// Bot connections accepted so far.
    pub accepted: u64,
    /// Names heard from bots.
    pub names: u64,
    /// Bytes received from bots, and sent to them.
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Bot connections that ended other than by `exit` or end of stream
    /// (reset, timeout, error, kicked).
    pub broken: u64,
}

impl BotGroup {
    /// Bot connections open now.
    pub fn open(&self) -> usize {
        self.ids.len()
    }

    fn apply(&mut self, id: u64, kind: &EventKind) {
        match kind {
            EventKind::Received { bytes } => self.bytes_in += bytes.len() as u64,
            EventKind::Sent { bytes } => self.bytes_out += bytes.len() as u64,
            EventKind::Heard {
                heard: Heard::Name { .. },
            } => self.names += 1,
            EventKind::Closed { reason } => {
                self.ids.remove(&id);
                if !matches!(reason, CloseReason::Exit | CloseReason::Eof) {
                    self.broken += 1;
                }
            }
            _ => {}
        }
    }
}

/// Every client thread the server has run since the rows were last cleared.
#[derive(Default)]
pub struct ThreadTable {
    rows: Vec<ThreadRow>,
    index: HashMap<u64, usize>,
    bots: BotGroup,
}

impl ThreadTable {
    /// The rows, oldest first.
    pub fn rows(&self) -> &[ThreadRow] {
        &self.rows
    }

    /// The row of connection `id`, if it has not been cleared.
    pub fn row(&self, id: u64) -> Option<&ThreadRow> {
        self.index.get(&id).and_then(|&i| self.rows.get(i))
    }

    /// How many client threads are running now, bots' included.
    pub fn open_count(&self) -> usize {
        self.rows.iter().filter(|r| !r.is_closed()).count() + self.bots.open()
    }

    /// The bots' connections, together.
    pub fn bots(&self) -> &BotGroup {
        &self.bots
    }

    /// Updates the table with an event of a server connection. A new
    /// connection whose peer `is_bot` joins the bots' group. Returns true
    /// when the event is a bot connection's.
    pub fn apply(&mut self, event: &NetEvent, is_bot: impl Fn(SocketAddr) -> bool) -> bool {
        let Origin::ServerConn(id) = event.origin else {
            return false;
        };
        if self.bots.ids.contains(&id) {
            self.bots.apply(id, &event.kind);
            return true;
        }
        if let EventKind::Accepted { peer, .. } = &event.kind
            && is_bot(*peer)
        {
            self.bots.ids.insert(id);
            self.bots.accepted += 1;
            return true;
        }
        if let EventKind::Accepted { peer, thread, .. } = &event.kind {
            self.index.insert(id, self.rows.len());
            self.rows.push(ThreadRow {
                id,
                thread: thread.clone(),
                peer: *peer,
                since: event.time,
                step: Step::Connected,
                names: Vec::new(),
                bytes_in: 0,
                bytes_out: 0,
                tcp: None,
                held: None,
                follow: Follow::new(Role::ServerThread),
            });
        } else if let Some(&i) = self.index.get(&id) {
            self.rows[i].apply(&event.kind);
        }
        false
    }

    /// How many threads wait for "Next step".
    pub fn held_count(&self) -> usize {
        self.rows.iter().filter(|r| r.held.is_some()).count()
    }

    /// True while some row shows a TIME_WAIT countdown.
    pub fn is_counting_down(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.tcp.is_some_and(|t| t.is_counting_down()))
    }

    /// Forgets the rows of closed connections (and the bots' counts, when
    /// no bot is connected).
    pub fn clear_closed(&mut self) {
        if self.bots.open() == 0 {
            self.bots = BotGroup::default();
        }
        self.rows.retain(|r| !r.is_closed());
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
    }

    /// Draws the table; returns what the user clicked.
    pub fn ui(&self, ui: &mut egui::Ui) -> Option<TableAction> {
        let mut action = None;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        TableBuilder::new(ui)
            .id_salt("thread table")
            .striped(true)
            .resizable(true)
            .stick_to_bottom(true)
            .max_scroll_height(f32::INFINITY)
            .auto_shrink([false, false])
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            // Fixed widths keep the table inside its panel; long text is
            // clipped, and shown whole when hovered.
            .column(Column::auto().at_least(64.0))
            .column(Column::auto().at_least(110.0))
            .column(Column::initial(120.0).at_least(70.0).clip(true))
            .column(Column::auto().at_least(96.0))
            .column(Column::initial(125.0).at_least(70.0).clip(true))
            // Names take what is left.
            .column(Column::remainder().at_least(50.0).clip(true))
            .column(Column::auto().at_least(50.0))
            .column(Column::auto().at_least(44.0))
            .header(row_height, |mut header| {
                for title in [
                    "Thread",
                    "Peer",
                    "Step",
                    "TCP state",
                    "Call",
                    "Names",
                    "In / out",
                    "",
                ] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                // The bots' row comes first, when there have been bots.
                let group = usize::from(self.bots.accepted > 0);
                body.rows(row_height, group + self.rows.len(), |mut row| {
                    if row.index() < group {
                        self.bots_row(&mut row);
                        return;
                    }
                    let r = &self.rows[row.index() - group];
                    let weak = r.is_closed();
                    let text = |s: String| {
                        let t = egui::RichText::new(s);
                        if weak { t.weak() } else { t }
                    };
                    row.col(|ui| {
                        let since = r.since.with_timezone(&Local).format("%H:%M:%S");
                        ui.label(text(r.thread.clone()).monospace())
                            .on_hover_text(format!("accepted at {since}"));
                    });
                    row.col(|ui| {
                        ui.label(text(r.peer.to_string()).monospace());
                    });
                    row.col(|ui| {
                        let step = match &r.held {
                            Some(held) => format!("next: {held}"),
                            None => r.step.describe(),
                        };
                        let label = ui.label(text(step.clone()));
                        label.on_hover_text(step);
                    });
                    row.col(|ui| {
                        let tcp = r.tcp.map_or_else(|| "…".to_owned(), |t| t.text());
                        ui.label(egui::RichText::new(tcp).monospace())
                            .on_hover_text("The socket's real TCP state, read from the kernel");
                    });
                    row.col(|ui| {
                        let call = r.follow.describe();
                        ui.label(text(call.clone()))
                            .on_hover_text(format!("The socket call {} is in: {call}", r.thread));
                    });
                    row.col(|ui| {
                        let all = r.names.join(", ");
                        ui.label(text(all.clone()))
                            .on_hover_text(if all.is_empty() {
                                "no names yet".to_owned()
                            } else {
                                all
                            });
                    });
                    row.col(|ui| {
                        ui.label(text(format!("{} / {}", r.bytes_in, r.bytes_out)))
                            .on_hover_text(format!(
                                "{} bytes received from the client, {} bytes sent to it",
                                r.bytes_in, r.bytes_out
                            ));
                    });
                    row.col(|ui| {
                        if !r.is_closed()
                            && ui
                                .small_button("Kick")
                                .on_hover_text(format!("Close {} from the server side", r.thread))
                                .clicked()
                        {
                            action = Some(TableAction::Kick(r.id));
                        }
                    });
                });
            });
        action
    }

    /// The bots' group row: counts instead of one connection's details.
    fn bots_row(&self, row: &mut egui_extras::TableRow<'_, '_>) {
        let b = &self.bots;
        let cells = [
            ("bots".to_owned(), "The Load panel's bots, counted together"),
            (
                format!("{} conns", b.accepted),
                "Bot connections accepted since the bots started",
            ),
            (
                format!("{} open", b.open()),
                "Bot connections open now, each served by its own thread",
            ),
            (String::new(), ""),
            (
                format!("{} broken", b.broken),
                "Bot connections ended by a reset, a timeout, an error or a kick",
            ),
            (
                format!("{} names heard", b.names),
                "Names the server heard from bots",
            ),
            (
                format!("{} / {}", b.bytes_in, b.bytes_out),
                "Bytes received from bots / sent to them",
            ),
            (String::new(), ""),
        ];
        for (text, hover) in cells {
            row.col(|ui| {
                let label = ui.label(egui::RichText::new(text).strong());
                if !hover.is_empty() {
                    label.on_hover_text(hover);
                }
            });
        }
    }
}
