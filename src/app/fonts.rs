//! Fonts: make Chinese text render everywhere.
//!
//! egui's own fonts have no Chinese characters; on a machine without a CJK
//! font, `张三` would show as empty boxes. The app bundles Droid Sans
//! Fallback (Apache-2.0, licence beside it in `assets/fonts`) and adds it
//! after egui's fonts, so Latin text keeps egui's look and every character
//! egui lacks comes from the bundled font. The window and the UI tests call
//! the same function, so what the tests see is what users see.

use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
use egui::{FontData, FontFamily};

/// The bundled CJK font, compiled into the binary (about 4 MB).
const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// Adds the bundled CJK font to `ctx` at the lowest priority of both the
/// proportional and the monospace family.
pub fn install(ctx: &egui::Context) {
    let families = [FontFamily::Proportional, FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily {
            family,
            priority: FontPriority::Lowest,
        })
        .collect();
    ctx.add_font(FontInsert {
        name: "DroidSansFallbackFull".to_owned(),
        data: FontData::from_static(CJK_FONT),
        families,
    });
}
