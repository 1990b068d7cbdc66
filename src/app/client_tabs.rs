//! The client area: a strip of tabs, one per client, and the open tab.
//!
//! The strip scrolls sideways, so it stays usable with dozens of tabs.
//! Closing a tab disconnects its client.

use std::sync::Arc;

use rust_i18n::t;

use crate::net::gate::StepGate;
use crate::net::{EventSender, NetEvent, Origin};

use super::client_tab::{ClientTab, TabData, TabState};

/// Every client tab, and which one is open.
#[derive(Default)]
pub struct ClientTabs {
    tabs: Vec<ClientTab>,
    selected: usize,
    next_key: u64,
}

impl ClientTabs {
    /// The tabs, in order.
    pub fn tabs(&self) -> &[ClientTab] {
        &self.tabs
    }

    /// The open tab, if any.
    pub fn selected(&self) -> Option<&ClientTab> {
        self.tabs.get(self.selected)
    }

    /// The open tab, to change it.
    pub fn selected_mut(&mut self) -> Option<&mut ClientTab> {
        self.tabs.get_mut(self.selected)
    }

    /// Opens a new tab aimed at `target` and selects it; if `connect_now`,
    /// it connects at once.
    pub fn open(
        &mut self,
        target: String,
        connect_now: bool,
        events: &EventSender,
        gate: Arc<StepGate>,
    ) {
        self.next_key += 1;
        let mut tab = ClientTab::new(self.next_key, target, gate);
        if connect_now {
            tab.connect(events);
        }
        self.tabs.push(tab);
        self.selected = self.tabs.len() - 1;
    }

    /// Opens the tab at `index`; its name field takes the focus if the
    /// server waits for a name.
    pub fn select(&mut self, index: usize) {
        if let Some(tab) = self.tabs.get_mut(index) {
            self.selected = index;
            tab.focus_name_field();
        }
    }

    /// How many tabs' clients wait for "Next step".
    pub fn held_count(&self) -> usize {
        self.tabs.iter().filter(|t| t.held().is_some()).count()
    }

    /// Closes the tab at `index` (disconnecting its client).
    pub fn close(&mut self, index: usize) {
        if index >= self.tabs.len() {
            return;
        }
        self.tabs.remove(index);
        if self.selected > index || self.selected >= self.tabs.len() {
            self.selected = self.selected.saturating_sub(1);
        }
    }

    /// Hands a client event to the tab whose connection it is about.
    pub fn apply(&mut self, event: &NetEvent) {
        if let Some(tab) = self
            .tabs
            .iter_mut()
            .find(|t| t.origin() == Some(event.origin))
        {
            tab.apply(event);
        }
    }

    /// The position of the tab whose key is `key`, if it is open.
    pub fn index_of(&self, key: u64) -> Option<usize> {
        self.tabs.iter().position(|t| t.key == key)
    }

    /// The tab whose key is `key`, to change it.
    pub fn by_key_mut(&mut self, key: u64) -> Option<&mut ClientTab> {
        self.tabs.iter_mut().find(|t| t.key == key)
    }

    /// The tab showing connection `origin`, if it is still open.
    pub fn find(&self, origin: Origin) -> Option<&ClientTab> {
        self.tabs.iter().find(|t| t.origin() == Some(origin))
    }

    /// Draws the strip and the open tab; `data_for` computes what the open
    /// tab shows of its connection (only the visible tab's is ever built).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        events: &EventSender,
        data_for: &dyn Fn(&ClientTab) -> TabData,
    ) {
        if self.tabs.is_empty() {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| {
                ui.label(t!("clients.empty"));
                ui.label(t!("clients.empty_more"));
            });
            return;
        }
        let mut close = None;
        let mut select = None;
        egui::ScrollArea::horizontal()
            .id_salt("client tab strip")
            .auto_shrink([false, true])
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    for (i, tab) in self.tabs.iter().enumerate() {
                        // ◉ the server waits for a name, ● connected, ○ not
                        // connected. (These symbols are in the monospace font.)
                        let marker = match tab.state() {
                            TabState::Connected { .. } if tab.is_your_turn() => "◉",
                            TabState::Connected { .. } | TabState::Connecting(_) => "●",
                            _ => "○",
                        };
                        let title =
                            egui::RichText::new(format!("{marker} {}", tab.title())).monospace();
                        if ui.selectable_label(i == self.selected, title).clicked() {
                            select = Some(i);
                        }
                        // The hover text is written only while hovered, not
                        // for every tab every frame.
                        if ui
                            .small_button("×")
                            .on_hover_ui(|ui| {
                                ui.label(t!("clients.close_tab", title = tab.title()));
                            })
                            .clicked()
                        {
                            close = Some(i);
                        }
                        ui.add_space(6.0);
                    }
                });
                // Room for the scroll bar, so it never covers the tabs.
                ui.add_space(12.0);
            });
        if let Some(i) = select {
            self.select(i);
        }
        if let Some(i) = close {
            self.close(i);
        }
        ui.separator();
        if let Some(tab) = self.tabs.get_mut(self.selected) {
            let data = data_for(tab);
            tab.ui(ui, events, data);
        }
    }
}
