//! The transcript view: every event, merged or for one connection.
//!
//! It owns the [`Transcript`] (the data that is saved) and an index of the
//! events of each connection, kept up to date as events arrive, so that
//! switching the filter costs nothing. Only the rows on screen are laid out
//! (`show_rows`), so a transcript of 100,000 lines scrolls as smoothly as
//! one of ten. The view follows the newest line until the user scrolls up,
//! and follows again once they scroll back to the bottom.

use std::collections::HashMap;

use rust_i18n::t;

use crate::net::{Bytes, EventKind, Heard, NetEvent, Origin};
use crate::transcript::{Describe, Transcript};

/// The transcript and how it is shown.
#[derive(Default)]
pub struct TranscriptView {
    transcript: Transcript,
    /// For each connection, the positions of its events in the transcript.
    by_origin: HashMap<Origin, Vec<u32>>,
    /// Every origin, in the order it first appeared (for the filter menu).
    origins: Vec<Origin>,
    /// `None` shows every event; otherwise only this connection's.
    filter: Option<Origin>,
    /// The line whose bytes are shown in the hex view, if any.
    inspected: Option<NetEvent>,
}

impl TranscriptView {
    /// The transcript.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// The connection shown, or `None` for all.
    pub fn filter(&self) -> Option<Origin> {
        self.filter
    }

    /// Shows only `origin`'s events (or all, with `None`).
    pub fn set_filter(&mut self, filter: Option<Origin>) {
        self.filter = filter;
    }

    /// How many lines the view shows with the current filter.
    pub fn visible_len(&self) -> usize {
        match self.filter {
            None => self.transcript.len(),
            Some(origin) => self.by_origin.get(&origin).map_or(0, Vec::len),
        }
    }

    /// The `row`-th line shown with the current filter.
    pub fn visible_event(&self, row: usize) -> Option<NetEvent> {
        let index = match self.filter {
            None => row,
            Some(origin) => *self.by_origin.get(&origin)?.get(row)? as usize,
        };
        self.transcript.get(index)
    }

    /// The events of one connection, oldest first.
    pub fn events_of(&self, origin: Origin) -> Vec<NetEvent> {
        self.by_origin
            .get(&origin)
            .map(|positions| {
                positions
                    .iter()
                    .filter_map(|&i| self.transcript.get(i as usize))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Adds an event at the end.
    pub fn push(&mut self, event: NetEvent) {
        // Positions are kept as u32: a transcript holds far fewer than
        // four billion events, and the index costs half the memory.
        let index = u32::try_from(self.transcript.len()).unwrap_or(u32::MAX);
        let origin = event.origin;
        if !self.transcript.push(event) {
            return;
        }
        let positions = self.by_origin.entry(origin).or_insert_with(|| {
            self.origins.push(origin);
            Vec::new()
        });
        positions.push(index);
    }

    /// Sets the most events kept (tests use a small one).
    pub fn set_limit(&mut self, limit: usize) {
        let mut fresh = Transcript::with_limit(limit);
        for event in self.transcript.events() {
            fresh.push(event);
        }
        self.transcript = fresh;
    }

    /// Forgets every event, and which connections had some.
    pub fn clear(&mut self) {
        self.transcript.clear();
        self.by_origin.clear();
        self.origins.clear();
        self.filter = None;
    }

    /// A warning when the transcript is nearly full or full, else `None`
    /// (in the language in use).
    pub fn warning(&self) -> Option<String> {
        let transcript = &self.transcript;
        if transcript.dropped() > 0 {
            Some(
                t!(
                    "transcript.full",
                    limit = transcript.limit(),
                    dropped = transcript.dropped()
                )
                .into_owned(),
            )
        } else if transcript.is_filling_up() {
            Some(
                t!(
                    "transcript.filling_up",
                    len = transcript.len(),
                    limit = transcript.limit()
                )
                .into_owned(),
            )
        } else {
            None
        }
    }

    /// Draws the filter and the lines.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong(t!("transcript.heading"));
            let label = ui.label(t!("transcript.show"));
            let current = self
                .filter
                .map_or_else(|| t!("transcript.all").into_owned(), Origin::label);
            egui::ComboBox::from_id_salt("transcript filter")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter, None, t!("transcript.all"));
                    for origin in &self.origins {
                        ui.selectable_value(&mut self.filter, Some(*origin), origin.label());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.label(t!("transcript.count", count = self.visible_len()));
            if ui
                .add_enabled(
                    !self.transcript.is_empty(),
                    egui::Button::new(t!("transcript.clear")),
                )
                .on_hover_text(t!("transcript.clear_hover"))
                .clicked()
            {
                self.clear();
            }
        });
        if let Some(warning) = self.warning() {
            ui.colored_label(ui.visuals().warn_fg_color, warning);
        }
        let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
        egui::ScrollArea::both()
            .id_salt(("transcript rows", self.filter))
            .stick_to_bottom(true)
            .auto_shrink([false, false])
            .show_rows(ui, row_height, self.visible_len(), |ui, range| {
                let hint = t!("bytes.click_hint");
                for row in range {
                    if let Some(event) = self.visible_event(row)
                        && line_ui(ui, &event, &hint)
                    {
                        self.inspected = Some(event);
                    }
                }
            });
        self.bytes_window_ui(ui);
    }

    /// The hex view of the line clicked last, in a window of its own.
    fn bytes_window_ui(&mut self, ui: &mut egui::Ui) {
        let Some(event) = &self.inspected else { return };
        let Some(bytes) = bytes_of(&event.kind) else {
            return;
        };
        let mut open = true;
        let title = format!("{}  {}", event.origin.label(), Describe(&event.kind));
        egui::Window::new(t!("bytes.window", line = title))
            .id(egui::Id::unique("bytes of a transcript line"))
            .open(&mut open)
            .resizable(true)
            .default_width(560.0)
            // Mid-window, away from the panels' controls; it can be moved.
            .default_pos(ui.ctx().content_rect().center() - egui::vec2(280.0, 120.0))
            .show(ui.ctx(), |ui| super::bytes_view::ui(ui, bytes));
        if !open {
            self.inspected = None;
        }
    }
}

/// The bytes a line is about: what was sent or received, or a name heard.
fn bytes_of(kind: &EventKind) -> Option<&Bytes> {
    match kind {
        EventKind::Sent { bytes } | EventKind::Received { bytes } => Some(bytes),
        EventKind::Heard {
            heard: Heard::Name { name, .. },
        } => Some(name),
        _ => None,
    }
}

/// One transcript line: time, connection, what happened. The line is the
/// transcript's own text, as it is saved to a file, so it is not translated.
/// A line with bytes can be clicked to see them; returns true when it was.
fn line_ui(ui: &mut egui::Ui, event: &NetEvent, bytes_hint: &str) -> bool {
    let visuals = ui.visuals();
    let color = match &event.kind {
        EventKind::Error { .. } => visuals.error_fg_color,
        EventKind::Closed { .. } | EventKind::Stopped => visuals.warn_fg_color,
        EventKind::Sent { .. } | EventKind::Received { .. } => visuals.text_color(),
        _ => visuals.strong_text_color(),
    };
    let text = format!(
        "{}  {:<9} {}",
        event.local_time(),
        event.origin.label(),
        Describe(&event.kind)
    );
    let label = egui::Label::new(egui::RichText::new(text).monospace().color(color)).extend();
    if bytes_of(&event.kind).is_some() {
        ui.add(label.sense(egui::Sense::click()))
            .on_hover_text(bytes_hint)
            .clicked()
    } else {
        ui.add(label);
        false
    }
}
