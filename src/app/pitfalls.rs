//! Pitfall demos: five classic mistakes with TCP sockets, each run on real
//! sockets at the press of a button, measured, and explained.
//!
//! The measuring is [`crate::net::pitfall`]'s; this panel only runs a demo
//! on a worker thread (each takes a few seconds, and the window must not
//! wait) and turns its figures into sentences in the language in use.

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::time::Duration;

use crossbeam_channel::{Receiver, bounded};
use rust_i18n::t;

use super::bytes_view;
use super::platform::{self, Os};
use crate::net::pitfall::{
    self, ConnectOutcome, GluedReport, NagleReport, NagleSetup, NaiveEnd, NaiveRun, NaiveStep,
    Pitfall, PitfallReport, RecvOutcome,
};
use crate::net::{CloseReason, ServerMessage};

/// The pitfall panel: which demo is shown, which one runs, and the last
/// report of each.
#[derive(Default)]
pub struct PitfallPanel {
    /// True while the window is open.
    pub open: bool,
    selected: Option<Pitfall>,
    running: Option<(Pitfall, Receiver<PitfallReport>)>,
    reports: Vec<PitfallReport>,
}

impl PitfallPanel {
    /// Shows `pitfall`'s page.
    pub fn select(&mut self, pitfall: Pitfall) {
        self.selected = Some(pitfall);
    }

    /// The demo running now, if any.
    pub fn running(&self) -> Option<Pitfall> {
        self.running.as_ref().map(|(p, _)| *p)
    }

    /// The last report of `pitfall`, if it has run.
    pub fn report(&self, pitfall: Pitfall) -> Option<&PitfallReport> {
        self.reports.iter().find(|r| r.pitfall() == pitfall)
    }

    /// Runs `pitfall` on a worker thread; `done` is called when its report
    /// is ready (to wake the window).
    pub fn run(&mut self, pitfall: Pitfall, done: impl FnOnce() + Send + 'static) {
        if self.running.is_some() {
            return;
        }
        self.selected = Some(pitfall);
        let (tx, rx) = bounded(1);
        let spawned = std::thread::Builder::new()
            .name(format!("pitfall-{}", pitfall.key()))
            .spawn(move || {
                // The window may have closed meanwhile: nobody to tell.
                let _ = tx.send(pitfall::run(pitfall));
                done();
            });
        match spawned {
            Ok(_) => self.running = Some((pitfall, rx)),
            Err(e) => log::warn!("cannot start the {} demo: {e}", pitfall.key()),
        }
    }

    /// Takes the report of the demo that ran, once it is ready.
    pub fn poll(&mut self) {
        let Some((_, rx)) = &self.running else { return };
        if let Ok(report) = rx.try_recv() {
            self.reports.retain(|r| r.pitfall() != report.pitfall());
            self.reports.push(report);
            self.running = None;
        }
    }

    /// The panel: the list of demos, and the one chosen with its report.
    /// Returns the demo the user asked to run.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<Pitfall> {
        let mut run = None;
        let selected = *self.selected.get_or_insert(Pitfall::Glued);
        ui.horizontal_wrapped(|ui| {
            for pitfall in Pitfall::ALL {
                if ui
                    .selectable_label(selected == pitfall, title(pitfall))
                    .clicked()
                {
                    self.selected = Some(pitfall);
                }
            }
        });
        ui.separator();
        let pitfall = self.selected.unwrap_or(Pitfall::Glued);
        ui.heading(title(pitfall));
        ui.label(story(pitfall));
        if let Some(note) = platform::pitfall_note(pitfall, Os::current()) {
            ui.weak(note);
        }
        ui.horizontal(|ui| {
            let busy = self.running.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new(t!("pitfall.run")))
                .clicked()
            {
                run = Some(pitfall);
            }
            if self.running() == Some(pitfall) {
                ui.spinner();
                ui.label(t!("pitfall.running"));
            }
        });
        if let Some(report) = self.report(pitfall) {
            ui.separator();
            ui.strong(t!("pitfall.measured"));
            report_ui(ui, report);
            ui.separator();
            ui.strong(t!("pitfall.fix_heading"));
            ui.label(fix(pitfall));
        }
        run
    }
}

/// The demo's name.
pub fn title(pitfall: Pitfall) -> Cow<'static, str> {
    match pitfall {
        Pitfall::Glued => t!("pitfall.glued.title"),
        Pitfall::Nagle => t!("pitfall.nagle.title"),
        Pitfall::Backlog => t!("pitfall.backlog.title"),
        Pitfall::TimeWait => t!("pitfall.time_wait.title"),
        Pitfall::EmptyRecv => t!("pitfall.empty_recv.title"),
    }
}

/// What the demo does and what to watch for.
fn story(pitfall: Pitfall) -> Cow<'static, str> {
    match pitfall {
        Pitfall::Glued => t!("pitfall.glued.story"),
        Pitfall::Nagle => t!("pitfall.nagle.story"),
        Pitfall::Backlog => t!("pitfall.backlog.story"),
        Pitfall::TimeWait => t!("pitfall.time_wait.story"),
        Pitfall::EmptyRecv => t!("pitfall.empty_recv.story"),
    }
}

/// What a correct program does instead.
fn fix(pitfall: Pitfall) -> Cow<'static, str> {
    match pitfall {
        Pitfall::Glued => t!("pitfall.glued.fix"),
        Pitfall::Nagle => t!("pitfall.nagle.fix"),
        Pitfall::Backlog => t!("pitfall.backlog.fix"),
        Pitfall::TimeWait => t!("pitfall.time_wait.fix"),
        Pitfall::EmptyRecv => t!("pitfall.empty_recv.fix"),
    }
}

/// A duration the way the panel writes it: µs, ms or s.
fn duration(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{} µs", d.as_micros())
    } else if d < Duration::from_secs(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// The figures of one report, as sentences.
fn report_ui(ui: &mut egui::Ui, report: &PitfallReport) {
    match report {
        PitfallReport::Glued(r) => glued_ui(ui, r),
        PitfallReport::Nagle(r) => nagle_ui(ui, r),
        PitfallReport::Backlog(r) => {
            for run in [&r.small, &r.large] {
                ui.label(t!(
                    "pitfall.backlog.run",
                    backlog = run.backlog,
                    clients = run.outcomes.len(),
                    fast = run.fast,
                    slow = run.slow,
                    retransmitted = run.retransmitted,
                    failed = run.failed,
                    slowest = run.slowest.map(duration).unwrap_or_default()
                ));
                if let Some(overflows) = run.listen_overflows {
                    ui.label(t!("pitfall.backlog.overflows", count = overflows));
                }
                if let Some(ConnectOutcome::Failed { message, .. }) = run
                    .outcomes
                    .iter()
                    .find(|o| matches!(o, ConnectOutcome::Failed { .. }))
                {
                    ui.label(t!("pitfall.backlog.first_failure", why = message));
                }
            }
            ui.label(t!(
                "pitfall.backlog.setup",
                pause = duration(r.accept_pause),
                clients = r.clients
            ));
            if let Some(max) = r.somaxconn {
                ui.weak(t!("pitfall.backlog.somaxconn", max = max));
            }
        }
        PitfallReport::TimeWait(r) => {
            let state = r
                .old_state
                .map(|s| s.name().to_owned())
                .map(|s| match r.time_wait_left {
                    Some(left) => format!("{s} ({})", duration(left)),
                    None => s,
                })
                .unwrap_or_else(|| {
                    r.state_error
                        .clone()
                        .unwrap_or_else(|| t!("pitfall.unknown").into_owned())
                });
            ui.label(t!(
                "pitfall.time_wait.state",
                server = r.server_end,
                client = r.client_end,
                state = state
            ));
            match &r.plain_bind {
                Err(failure) => ui.label(t!(
                    "pitfall.time_wait.plain_failed",
                    port = r.port,
                    why = failure.message
                )),
                Ok(()) => ui.label(t!("pitfall.time_wait.plain_ok", port = r.port)),
            };
            match &r.reuse_bind {
                Ok(()) => ui.label(t!("pitfall.time_wait.reuse_ok", port = r.port)),
                Err(failure) => ui.label(t!(
                    "pitfall.time_wait.reuse_failed",
                    port = r.port,
                    why = failure.message
                )),
            };
            if let Some(length) = r.time_wait_len {
                ui.weak(t!("pitfall.time_wait.length", seconds = length.as_secs()));
            }
        }
        PitfallReport::EmptyRecv(r) => {
            for (run, text) in [
                (&r.closed, t!("pitfall.empty_recv.closed")),
                (&r.half_closed, t!("pitfall.empty_recv.half_closed")),
            ] {
                let end = match &run.end {
                    NaiveEnd::SendFailed { message, .. } => {
                        t!("pitfall.empty_recv.send_failed", why = message)
                    }
                    NaiveEnd::RecvFailed { message, .. } => {
                        t!("pitfall.empty_recv.recv_failed", why = message)
                    }
                    NaiveEnd::Capped => t!("pitfall.empty_recv.capped"),
                };
                ui.label(t!(
                    "pitfall.empty_recv.run",
                    client = text,
                    empty = run.empty_recvs,
                    hellos = run.hellos_sent,
                    time = duration(run.elapsed),
                    end = end
                ));
            }
            let ours = match &r.ours {
                Some(CloseReason::Eof) => t!("pitfall.empty_recv.ours_eof"),
                Some(other) => Cow::Owned(format!("{other}")),
                None => t!("pitfall.unknown"),
            };
            ui.label(t!("pitfall.empty_recv.ours", how = ours));
        }
        PitfallReport::Failed { error, .. } => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                t!("pitfall.failed", why = error),
            );
        }
    }
}

/// The naive client's recv calls, one line each, pacing off then on.
fn glued_ui(ui: &mut egui::Ui, r: &GluedReport) {
    let run_ui = |ui: &mut egui::Ui, run: &NaiveRun| {
        let mut n = 0;
        for step in &run.steps {
            match step {
                NaiveStep::Sent(bytes) => {
                    ui.monospace(format!("send(\"{}\")", bytes_view::shown(bytes)));
                }
                NaiveStep::Recv(recv) => {
                    n += 1;
                    let line = match &recv.outcome {
                        RecvOutcome::Data => {
                            let glued = recv.messages.len() > 1;
                            let text = t!(
                                "pitfall.glued.recv",
                                n = n,
                                bytes = recv.bytes.len(),
                                text = bytes_view::shown(&recv.bytes),
                                messages = recv.messages.len()
                            );
                            if glued {
                                egui::RichText::new(text)
                                    .color(ui.visuals().warn_fg_color)
                                    .monospace()
                            } else {
                                egui::RichText::new(text).monospace()
                            }
                        }
                        RecvOutcome::TimedOut => egui::RichText::new(t!(
                            "pitfall.glued.hang",
                            n = n,
                            wait = duration(recv.waited),
                            expected = expected(recv.expected)
                        ))
                        .color(ui.visuals().error_fg_color)
                        .monospace(),
                        RecvOutcome::Eof => {
                            egui::RichText::new(t!("pitfall.glued.eof", n = n)).monospace()
                        }
                        RecvOutcome::Error(why) => {
                            egui::RichText::new(t!("pitfall.glued.error", n = n, why = why))
                                .monospace()
                        }
                    };
                    ui.label(line);
                }
            }
        }
    };
    ui.label(egui::RichText::new(t!("pitfall.glued.unpaced")).strong());
    run_ui(ui, &r.unpaced);
    if r.unpaced.hung {
        ui.colored_label(
            ui.visuals().error_fg_color,
            t!("pitfall.glued.hung", wait = duration(r.wait)),
        );
    }
    ui.add_space(6.0);
    ui.label(
        egui::RichText::new(t!("pitfall.glued.paced", pace = duration(r.paced.pace))).strong(),
    );
    run_ui(ui, &r.paced);
    ui.label(t!(
        "pitfall.glued.paced_runs",
        completed = r.paced_completed,
        runs = r.paced_runs
    ));
}

/// What one recv was supposed to return, in the tutorial's words.
fn expected(expect: pitfall::Expect) -> String {
    let message = match expect {
        pitfall::Expect::Welcome => ServerMessage::Welcome,
        pitfall::Expect::Prompt => ServerMessage::Prompt,
        pitfall::Expect::Hello => ServerMessage::Hello("N".into()),
        pitfall::Expect::GoodBye => ServerMessage::GoodBye,
    };
    message.to_bytes().escaped()
}

/// The three setups' round-trip times side by side.
fn nagle_ui(ui: &mut egui::Ui, r: &NagleReport) {
    egui::Grid::new("nagle timings")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            ui.strong(t!("pitfall.nagle.setup"));
            ui.strong(t!("pitfall.nagle.median"));
            ui.strong(t!("pitfall.nagle.mean"));
            ui.strong(t!("pitfall.nagle.per_second"));
            ui.end_row();
            for setup in NagleSetup::ALL {
                let Some(timing) = r.timing(setup) else {
                    continue;
                };
                ui.label(match setup {
                    NagleSetup::TwoWritesNagle => t!("pitfall.nagle.two_writes"),
                    NagleSetup::TwoWritesNoDelay => t!("pitfall.nagle.nodelay"),
                    NagleSetup::OneWrite => t!("pitfall.nagle.one_write"),
                });
                ui.monospace(duration(timing.median));
                ui.monospace(duration(timing.mean));
                ui.monospace(format!("{:.0}", timing.per_second));
                ui.end_row();
            }
        });
    if let (Some(slow), Some(fast)) = (
        r.timing(NagleSetup::TwoWritesNagle),
        r.timing(NagleSetup::OneWrite),
    ) && !fast.median.is_zero()
    {
        ui.label(t!(
            "pitfall.nagle.ratio",
            times = format!(
                "{:.0}",
                slow.median.as_secs_f64() / fast.median.as_secs_f64()
            )
        ));
    }
}
