//! Presenter mode: the language switch, the View menu (zoom, large text,
//! light or dark, how bytes are shown, reset), keyboard shortcuts, and the
//! help overlay that lists them.
//!
//! A teacher drives the window from the keyboard while the class watches
//! a projector: every shortcut here is listed in the help overlay (F1),
//! and the menus show them beside their entries.

#![forbid(unsafe_code)]

use std::borrow::Cow;

use egui::{Key, KeyboardShortcut, Modifiers};
use rust_i18n::t;

use super::bytes_view::TextEncoding;
use super::lang::Language;
use super::settings::{Settings, Theme, ZOOM_RANGE};

/// What a shortcut (or its menu entry) asks the window to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    NewClient,
    CloseTab,
    StartStopServer,
    NextStep,
    Save,
    QuickSave,
    ToggleLoad,
    Help,
}

/// Every shortcut of the window, in the order the help lists them.
pub const SHORTCUTS: [(Action, KeyboardShortcut); 8] = [
    (
        Action::NewClient,
        KeyboardShortcut::new(Modifiers::COMMAND, Key::N),
    ),
    (
        Action::CloseTab,
        KeyboardShortcut::new(Modifiers::COMMAND, Key::W),
    ),
    (
        Action::StartStopServer,
        KeyboardShortcut::new(Modifiers::COMMAND, Key::R),
    ),
    (
        Action::NextStep,
        KeyboardShortcut::new(Modifiers::NONE, Key::F10),
    ),
    (
        Action::Save,
        KeyboardShortcut::new(Modifiers::COMMAND, Key::S),
    ),
    (
        Action::QuickSave,
        KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S),
    ),
    (
        Action::ToggleLoad,
        KeyboardShortcut::new(Modifiers::COMMAND, Key::L),
    ),
    (
        Action::Help,
        KeyboardShortcut::new(Modifiers::NONE, Key::F1),
    ),
];

impl Action {
    /// What the action does, in the language in use.
    pub fn describe(self) -> Cow<'static, str> {
        match self {
            Action::NewClient => t!("keys.new_client"),
            Action::CloseTab => t!("keys.close_tab"),
            Action::StartStopServer => t!("keys.start_stop"),
            Action::NextStep => t!("keys.next_step"),
            Action::Save => t!("keys.save"),
            Action::QuickSave => t!("keys.quick_save"),
            Action::ToggleLoad => t!("keys.load"),
            Action::Help => t!("keys.help"),
        }
    }

    /// The shortcut's keys as the system writes them (`Ctrl+N`).
    pub fn keys(self, ctx: &egui::Context) -> String {
        SHORTCUTS
            .iter()
            .find(|(action, _)| *action == self)
            .map(|(_, keys)| ctx.format_shortcut(keys))
            .unwrap_or_default()
    }
}

/// The actions whose shortcuts were pressed this frame (each press is
/// consumed, so a text field does not also receive it).
pub fn pressed(ctx: &egui::Context) -> Vec<Action> {
    // Ctrl+Shift+S before Ctrl+S: consume_shortcut ignores extra Shift
    // on purpose, so the longer combination must be asked first.
    let mut order: Vec<&(Action, KeyboardShortcut)> = SHORTCUTS.iter().collect();
    order.sort_by_key(|(_, keys)| std::cmp::Reverse(keys.modifiers.shift));
    ctx.input_mut(|input| {
        order
            .into_iter()
            .filter(|(_, keys)| input.consume_shortcut(keys))
            .map(|(action, _)| *action)
            .collect()
    })
}

/// What the View menu changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewChange {
    /// The look changed: apply `settings` again.
    Look,
    /// "Reset settings": everything back to the first run's settings.
    Reset,
}

/// The language switch: each language by its own name, so anyone can
/// find theirs whatever the window speaks now. Meant for a right-to-left
/// layout (the toolbar's right end).
pub fn language_ui(ui: &mut egui::Ui, settings: &mut Settings) -> Option<ViewChange> {
    let mut changed = None;
    // Drawn right to left in the toolbar: the menu first, then its label
    // (which so appears before it), then the menu is tied to the label.
    let combo = egui::ComboBox::from_id_salt("language switch")
        .selected_text(settings.language.native_name())
        .show_ui(ui, |ui| {
            for language in Language::ALL {
                if ui
                    .selectable_value(&mut settings.language, language, language.native_name())
                    .clicked()
                {
                    changed = Some(ViewChange::Look);
                }
            }
        });
    let label = ui.label(t!("language.label"));
    combo.response.labelled_by(label.id);
    changed
}

/// The View menu.
pub fn view_menu(ui: &mut egui::Ui, settings: &mut Settings) -> Option<ViewChange> {
    let mut changed = None;
    ui.menu_button(t!("view.menu"), |ui| {
        let ctx = ui.ctx().clone();
        ui.label(t!(
            "view.zoom",
            percent = (ctx.zoom_factor() * 100.0).round()
        ));
        ui.horizontal(|ui| {
            let shortcut = |keys| ctx.format_shortcut(keys);
            use egui::gui_zoom::kb_shortcuts::{ZOOM_IN, ZOOM_OUT, ZOOM_RESET};
            if ui
                .add_enabled(
                    ctx.zoom_factor() > *ZOOM_RANGE.start(),
                    egui::Button::new(t!("view.zoom_out")).shortcut_text(shortcut(&ZOOM_OUT)),
                )
                .clicked()
            {
                egui::gui_zoom::zoom_out(&ctx);
            }
            if ui
                .button(t!("view.zoom_reset"))
                .on_hover_text(shortcut(&ZOOM_RESET))
                .clicked()
            {
                ctx.set_zoom_factor(1.0);
            }
            if ui
                .add_enabled(
                    ctx.zoom_factor() < *ZOOM_RANGE.end(),
                    egui::Button::new(t!("view.zoom_in")).shortcut_text(shortcut(&ZOOM_IN)),
                )
                .clicked()
            {
                egui::gui_zoom::zoom_in(&ctx);
            }
        });
        if ui
            .checkbox(&mut settings.large_text, t!("view.large_text"))
            .on_hover_text(t!("view.large_text_hint"))
            .changed()
        {
            changed = Some(ViewChange::Look);
        }
        ui.separator();
        ui.label(t!("view.theme"));
        for (theme, name) in [
            (Theme::System, t!("view.theme_system")),
            (Theme::Light, t!("view.theme_light")),
            (Theme::Dark, t!("view.theme_dark")),
        ] {
            if ui.radio_value(&mut settings.theme, theme, name).changed() {
                changed = Some(ViewChange::Look);
            }
        }
        ui.separator();
        ui.label(t!("view.encoding"))
            .on_hover_text(t!("view.encoding_hint"));
        for encoding in TextEncoding::ALL {
            if ui
                .radio_value(&mut settings.encoding, encoding, encoding.name())
                .changed()
            {
                changed = Some(ViewChange::Look);
            }
        }
        ui.separator();
        if ui
            .button(t!("view.reset"))
            .on_hover_text(t!("view.reset_hint"))
            .clicked()
        {
            changed = Some(ViewChange::Reset);
            ui.close();
        }
    });
    changed
}

/// The help overlay: every shortcut and how a lesson goes. Closes with
/// Escape, a click outside, or its button.
pub fn help_ui(ctx: &egui::Context, open: &mut bool) {
    if !*open {
        return;
    }
    let response = egui::Modal::new(egui::Id::unique("help overlay")).show(ctx, |ui| {
        ui.set_max_width(560.0);
        ui.heading(t!("help.title"));
        ui.label(t!("help.lesson"));
        ui.add_space(8.0);
        ui.strong(t!("help.shortcuts"));
        egui::Grid::new("help shortcuts")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for (action, keys) in SHORTCUTS {
                    ui.monospace(ctx.format_shortcut(&keys));
                    ui.label(action.describe());
                    ui.end_row();
                }
                use egui::gui_zoom::kb_shortcuts::{ZOOM_IN, ZOOM_OUT, ZOOM_RESET};
                for (keys, text) in [
                    (ZOOM_IN, t!("view.zoom_in")),
                    (ZOOM_OUT, t!("view.zoom_out")),
                    (ZOOM_RESET, t!("view.zoom_reset")),
                ] {
                    ui.monospace(ctx.format_shortcut(&keys));
                    ui.label(text);
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        ui.button(t!("help.close")).clicked()
    });
    if response.inner || response.should_close() {
        *open = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_shortcut_and_no_two_share_keys() {
        for (i, (action, keys)) in SHORTCUTS.iter().enumerate() {
            for (other, other_keys) in &SHORTCUTS[i + 1..] {
                assert_ne!(action, other);
                assert_ne!(keys, other_keys, "{action:?} and {other:?}");
            }
        }
    }
}
