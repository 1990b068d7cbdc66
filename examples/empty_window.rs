//! An empty eframe window, built with the same eframe features and window
//! size as TCP Playground: the reference for the app's idle memory
//! (`scripts/measure-idle.sh` measures both).
//!
//! Run: `cargo run --release --example empty_window`.

fn main() -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Empty eframe window")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    eframe::run_ui_native("Empty eframe window", options, |ui, _frame| {
        egui::CentralPanel::default().show(ui, |_ui| {});
    })
}
