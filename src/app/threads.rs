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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use chrono::{DateTime, Local, Utc};
use egui_extras::{Column, TableBuilder};
use rust_i18n::t;

use super::follow::{Follow, Role};
use super::lang::close_reason;
use super::tcp_view::TcpView;
use crate::net::protocol::{PROMPT, WELCOME};
use crate::net::{Bytes, CloseReason, EventKind, Heard, NetEvent, Origin};

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
    /// The step in a few words, in the language in use.
    pub fn describe(&self) -> String {
        match self {
            Step::Connected => t!("threads.step_connected").into_owned(),
            Step::Greeted => t!("threads.step_greeted").into_owned(),
            Step::WaitingForName => t!("threads.step_waiting_for_name").into_owned(),
            Step::SayingGoodBye => t!("threads.step_saying_good_bye").into_owned(),
            Step::Closed(reason) => {
                t!("threads.step_closed", reason = close_reason(reason)).into_owned()
            }
        }
    }
}

/// Puts `values` into a text looked up once with `t!`: its `%{name}`
/// markers, as `t!` with arguments would (for rows, drawn by the hundred,
/// that share one lookup).
fn fill(template: &str, names: &[&str], values: &[String]) -> String {
    rust_i18n::replace_patterns(template, names, values)
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
    /// The names heard so far, as their bytes (shown in the display
    /// encoding chosen when drawn).
    pub names: Vec<Bytes>,
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
                Heard::Name { name, .. } => self.names.push(name.clone()),
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
                    t!("threads.col_thread"),
                    t!("threads.col_peer"),
                    t!("threads.col_step"),
                    t!("threads.col_tcp_state"),
                    t!("threads.col_call"),
                    t!("threads.col_names"),
                    t!("threads.col_in_out"),
                    Cow::Borrowed(""),
                ] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                // The texts of every row, looked up once per frame.
                let accepted_at = t!("threads.accepted_at");
                let next = t!("threads.next");
                let tcp_hover = t!("threads.tcp_hover");
                let call_hover = t!("threads.call_hover");
                let no_names = t!("threads.no_names");
                let bytes_hover = t!("threads.bytes_hover");
                let kick = t!("threads.kick");
                let kick_hover = t!("threads.kick_hover");
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
                            .on_hover_text(fill(&accepted_at, &["time"], &[since.to_string()]));
                    });
                    row.col(|ui| {
                        ui.label(text(r.peer.to_string()).monospace());
                    });
                    row.col(|ui| {
                        let step = match &r.held {
                            Some(held) => fill(&next, &["step"], std::slice::from_ref(held)),
                            None => r.step.describe(),
                        };
                        let label = ui.label(text(step.clone()));
                        label.on_hover_text(step);
                    });
                    row.col(|ui| {
                        let (tcp, hover) = r.tcp.map_or_else(
                            || ("…".to_owned(), tcp_hover.to_string()),
                            |t| (t.text(), t.hover(&tcp_hover)),
                        );
                        ui.label(egui::RichText::new(tcp).monospace())
                            .on_hover_text(hover);
                    });
                    row.col(|ui| {
                        let call = r.follow.describe();
                        ui.label(text(call.clone())).on_hover_text(fill(
                            &call_hover,
                            &["thread", "call"],
                            &[r.thread.clone(), call],
                        ));
                    });
                    row.col(|ui| {
                        let all = r
                            .names
                            .iter()
                            .map(super::bytes_view::shown)
                            .collect::<Vec<_>>()
                            .join(", ");
                        ui.label(text(all.clone()))
                            .on_hover_text(if all.is_empty() {
                                no_names.to_string()
                            } else {
                                all
                            });
                    });
                    row.col(|ui| {
                        ui.label(text(format!("{} / {}", r.bytes_in, r.bytes_out)))
                            .on_hover_text(fill(
                                &bytes_hover,
                                &["received", "sent"],
                                &[r.bytes_in.to_string(), r.bytes_out.to_string()],
                            ));
                    });
                    row.col(|ui| {
                        if !r.is_closed()
                            && ui
                                .small_button(&*kick)
                                .on_hover_text(fill(
                                    &kick_hover,
                                    &["thread"],
                                    std::slice::from_ref(&r.thread),
                                ))
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
            (t!("threads.bots"), t!("threads.bots_hover")),
            (
                t!("threads.bots_conns", count = b.accepted),
                t!("threads.bots_conns_hover"),
            ),
            (
                t!("threads.bots_open", count = b.open()),
                t!("threads.bots_open_hover"),
            ),
            (Cow::Borrowed(""), Cow::Borrowed("")),
            (
                t!("threads.bots_broken", count = b.broken),
                t!("threads.bots_broken_hover"),
            ),
            (
                t!("threads.bots_names", count = b.names),
                t!("threads.bots_names_hover"),
            ),
            (
                Cow::Owned(format!("{} / {}", b.bytes_in, b.bytes_out)),
                t!("threads.bots_bytes_hover"),
            ),
            (Cow::Borrowed(""), Cow::Borrowed("")),
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
