//! The Load panel: start bots against a server, watch the rate and the
//! latency live.
//!
//! The bots are [`crate::net::load`]'s: threads with a connection each,
//! not tabs. Against the window's own server their connections appear in
//! the server's thread table as one group row (see
//! [`super::threads::ThreadTable`]), so a thousand bots do not bury the
//! class's own clients. Once a second the panel asks the run for what
//! happened in that second and adds a point to the plots.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use egui_plot::{Legend, Line, Plot, PlotPoints};
use rust_i18n::t;

use crate::net::load::{Load, LoadConfig, LoadMode, LoadReport, readable, resolve};

/// Points kept for the plots: the last ten minutes, one per second.
const HISTORY: usize = 600;
/// How often the figures and the plots move on.
const TICK: Duration = Duration::from_secs(1);
/// Events waiting to be shown above which the bots are held back…
pub const BEHIND: usize = 20_000;
/// …until fewer than this many wait.
pub const CAUGHT_UP: usize = 5_000;

/// Keeps the window smooth while its bots run ("Keep this window smooth",
/// on by default). The bots are threads of this process: flat out, a
/// thousand of them and their server threads take both cores, and the
/// window's frames wait behind them. So every half second this looks at
/// the slowest frame of that half second and sets the bots' rate limit
/// ([`Load::limit_rate`]): a third slower at once after a frame that took
/// too long, a tenth faster when every frame was quick and the bots used
/// all the rate they were allowed. It finds about the most the machine
/// can do with every frame of the window still under 16 ms.
#[derive(Debug)]
struct Smoother {
    /// The rate allowed now, operations a second.
    rate: f64,
    /// The slowest frame since `since`, in milliseconds.
    slowest_ms: f32,
    since: Instant,
    /// Operations completed at `since`.
    completed_then: u64,
}

impl Smoother {
    const PERIOD: Duration = Duration::from_millis(500);
    /// Where the rate starts: gentle, it climbs within seconds.
    const START: f64 = 2_000.0;
    const MIN: f64 = 100.0;
    const MAX: f64 = 1_000_000.0;
    /// A frame slower than this slows the bots down (a little under a
    /// 60 Hz frame's 16 ms, so that hardly any frame reaches 16 ms)…
    const TOO_SLOW_MS: f32 = 14.0;
    /// …and while every frame is quicker than this, they may go faster.
    const QUICK_MS: f32 = 10.0;

    fn new(now: Instant, completed: u64) -> Self {
        Smoother {
            rate: Self::START,
            slowest_ms: 0.0,
            since: now,
            completed_then: completed,
        }
    }

    /// Notes how long a frame took.
    fn frame(&mut self, ms: f32) {
        self.slowest_ms = self.slowest_ms.max(ms);
    }

    /// Once a period, the new rate (with `completed`: the run's count of
    /// operations so far); `None` in between.
    fn adjust(&mut self, now: Instant, completed: u64) -> Option<f64> {
        let elapsed = now.saturating_duration_since(self.since);
        if elapsed < Self::PERIOD {
            return None;
        }
        let done = completed.saturating_sub(self.completed_then) as f64;
        let achieved = done / elapsed.as_secs_f64();
        if self.slowest_ms > Self::TOO_SLOW_MS {
            self.rate = (self.rate * 0.7).max(Self::MIN);
        } else if self.slowest_ms < Self::QUICK_MS && achieved >= 0.8 * self.rate {
            self.rate = (self.rate * 1.1).min(Self::MAX);
        }
        self.slowest_ms = 0.0;
        self.since = now;
        self.completed_then = completed;
        Some(self.rate)
    }
}

/// One second of a run, as plotted.
#[derive(Clone, Copy, Debug)]
struct Point {
    /// Seconds since the run started.
    at: f64,
    /// Operations completed per second.
    rate: f64,
    /// Median and 99th percentile latency, in milliseconds.
    p50_ms: f64,
    p99_ms: f64,
}

/// What the user asked the panel to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadAction {
    /// Start bots against the server this window runs.
    Start,
    /// Stop the bots.
    Stop,
}

/// The Load panel's settings and the run it controls.
pub struct LoadPanel {
    /// Whether the panel is shown.
    pub open: bool,
    /// The server the bots talk to, as typed (`HOST:PORT`); empty until
    /// the window's server listens or the user types one.
    pub target: String,
    /// How many bots.
    pub bots: usize,
    /// What each bot does.
    pub mode: LoadMode,
    /// Slow the bots down as much as the window needs to stay smooth.
    pub smooth: bool,
    smoother: Option<Smoother>,
    run: Option<Load>,
    started: Instant,
    next_tick: Instant,
    history: VecDeque<Point>,
    /// The last second's figures, and the whole run's once it has stopped.
    last: Option<LoadReport>,
    total: Option<LoadReport>,
    error: Option<LoadError>,
}

/// Why the bots did not start, kept so that it shows in the language in use.
#[derive(Clone, Debug)]
enum LoadError {
    /// No server was typed.
    NoTarget,
    /// The target could not be resolved (the resolver's own words).
    Resolve(String),
    /// The bots could not be started (the operating system's words).
    Start(String),
}

impl LoadError {
    /// The error in words, in the language in use.
    fn text(&self) -> Cow<'static, str> {
        match self {
            LoadError::NoTarget => t!("load.no_target"),
            LoadError::Resolve(why) => Cow::Owned(why.clone()),
            LoadError::Start(why) => t!("load.cannot_start", why = why),
        }
    }
}

impl Default for LoadPanel {
    fn default() -> Self {
        LoadPanel {
            open: false,
            target: String::new(),
            bots: 50,
            mode: LoadMode::RoundTrips,
            smooth: true,
            smoother: None,
            run: None,
            started: Instant::now(),
            next_tick: Instant::now(),
            history: VecDeque::new(),
            last: None,
            total: None,
            error: None,
        }
    }
}

impl LoadPanel {
    /// True while bots run.
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// True if `peer` is one of the running bots' addresses.
    pub fn is_bot(&self, peer: SocketAddr) -> bool {
        self.run.as_ref().is_some_and(|run| run.is_bot(peer))
    }

    /// The last second's figures while running, else the last run's.
    pub fn figures(&self) -> Option<&LoadReport> {
        self.last.as_ref().or(self.total.as_ref())
    }

    /// Starts the bots against [`LoadPanel::target`].
    pub fn start(&mut self) {
        self.stop();
        self.error = None;
        if self.target.trim().is_empty() {
            self.error = Some(LoadError::NoTarget);
            return;
        }
        let target = match resolve(self.target.trim()) {
            Ok(target) => target,
            Err(why) => {
                self.error = Some(LoadError::Resolve(why));
                return;
            }
        };
        let now = Instant::now();
        self.smoother = self.smooth.then(|| Smoother::new(now, 0));
        let config = LoadConfig {
            track_addresses: true,
            rate_limit: self.smoother.as_ref().map(|s| s.rate),
            ..LoadConfig::new(target, self.bots.max(1), self.mode)
        };
        match Load::start(config) {
            Ok(run) => {
                self.run = Some(run);
                self.started = Instant::now();
                self.next_tick = self.started + TICK;
                self.history.clear();
                self.last = None;
                self.total = None;
            }
            Err(e) => self.error = Some(LoadError::Start(e.to_string())),
        }
    }

    /// Stops the bots (each notices within a tenth of a second).
    pub fn stop(&mut self) {
        if let Some(run) = self.run.take() {
            self.total = Some(run.stop());
            self.last = None;
        }
    }

    /// Turns "Keep this window smooth" on or off, during a run too.
    pub fn set_smooth(&mut self, smooth: bool) {
        self.smooth = smooth;
        let Some(run) = &self.run else {
            return;
        };
        self.smoother = smooth.then(|| Smoother::new(Instant::now(), run.completed()));
        run.limit_rate(self.smoother.as_ref().map(|s| s.rate));
    }

    /// The bots' rate limit while the window keeps itself smooth.
    pub fn rate_limit(&self) -> Option<f64> {
        self.run.as_ref().and_then(Load::rate_limit)
    }

    /// Called every frame with how many events wait to be shown and how
    /// long the last frame took (seconds, if known): holds the bots back
    /// while the window is behind (more than [`BEHIND`] events waiting)
    /// until it has caught up (fewer than [`CAUGHT_UP`]), and paces them
    /// so that frames stay short (see [`Smoother`]). Takes a new point
    /// once a second; returns how long until the next one, so the window
    /// redraws then.
    pub fn tick(&mut self, waiting_events: usize, last_frame: Option<f32>) -> Option<Duration> {
        let run = self.run.as_mut()?;
        if let Some(smoother) = &mut self.smoother {
            if let Some(seconds) = last_frame {
                smoother.frame(seconds * 1e3);
            }
            if let Some(rate) = smoother.adjust(Instant::now(), run.completed()) {
                run.limit_rate(Some(rate));
            }
        }
        if waiting_events > BEHIND {
            run.hold_back(true);
        } else if waiting_events < CAUGHT_UP {
            run.hold_back(false);
        }
        let now = Instant::now();
        if now >= self.next_tick {
            let second = run.tick();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            self.history.push_back(Point {
                at: (now - self.started).as_secs_f64(),
                rate: second.per_second,
                p50_ms: ms(second.latency.p50),
                p99_ms: ms(second.latency.p99),
            });
            if self.history.len() > HISTORY {
                self.history.pop_front();
            }
            self.last = Some(second);
            while self.next_tick <= now {
                self.next_tick += TICK;
            }
        }
        Some(self.next_tick - now)
    }

    /// Draws the panel; returns what the user asked for. `server` is the
    /// window's own server's address while it listens.
    pub fn ui(&mut self, ui: &mut egui::Ui, server: Option<SocketAddr>) -> Option<LoadAction> {
        let mut action = None;
        ui.label(t!("load.intro"));
        let running = self.is_running();
        egui::Grid::new("load settings")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                ui.label(t!("load.server"));
                ui.horizontal(|ui| {
                    ui.add_enabled(
                        !running,
                        egui::TextEdit::singleline(&mut self.target)
                            .desired_width(150.0)
                            .hint_text("HOST:PORT"),
                    )
                    .on_hover_text(t!("load.target_hover"));
                    if let Some(addr) = server
                        && ui
                            .add_enabled(!running, egui::Button::new(t!("load.ours")))
                            .on_hover_text(t!("load.ours_hover", addr = addr))
                            .clicked()
                    {
                        self.target = addr.to_string();
                    }
                });
                ui.end_row();
                ui.label(t!("load.bots"));
                ui.add_enabled(
                    !running,
                    egui::DragValue::new(&mut self.bots)
                        .range(1..=10_000)
                        .speed(5),
                );
                ui.end_row();
                ui.label(t!("load.each_bot"));
                ui.add_enabled_ui(!running, |ui| {
                    egui::ComboBox::from_id_salt("load mode")
                        .selected_text(describe_mode(self.mode))
                        .show_ui(ui, |ui| {
                            for mode in LoadMode::ALL {
                                ui.selectable_value(&mut self.mode, mode, describe_mode(mode));
                            }
                        });
                });
                ui.end_row();
            });
        let mut smooth = self.smooth;
        if ui
            .checkbox(&mut smooth, t!("load.smooth"))
            .on_hover_text(t!("load.smooth_hover"))
            .changed()
        {
            self.set_smooth(smooth);
        }
        ui.horizontal(|ui| {
            if running {
                if ui.button(t!("load.stop")).clicked() {
                    action = Some(LoadAction::Stop);
                }
                ui.label(t!(
                    "load.running_for",
                    seconds = self.started.elapsed().as_secs()
                ));
                if self.run.as_ref().is_some_and(Load::is_held_back) {
                    ui.colored_label(ui.visuals().warn_fg_color, t!("load.held_back"))
                        .on_hover_text(t!("load.held_back_hover"));
                }
            } else if ui
                .button(t!("load.start"))
                .on_hover_text(t!("load.start_hover"))
                .clicked()
            {
                action = Some(LoadAction::Start);
            }
        });
        if let Some(why) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, why.text());
        }
        self.figures_ui(ui);
        if !self.history.is_empty() {
            self.plots_ui(ui);
        }
        action
    }

    fn figures_ui(&self, ui: &mut egui::Ui) {
        let Some(report) = self.figures() else {
            return;
        };
        let whole_run = self.last.is_none();
        ui.separator();
        ui.strong(if whole_run {
            t!("load.figures.whole_run")
        } else {
            t!("load.figures.last_second")
        });
        let unit = unit(self.run.as_ref().map_or(self.mode, |r| r.config().mode));
        egui::Grid::new("load figures")
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                ui.label(t!("load.figures.rate"));
                ui.monospace(t!(
                    "load.figures.per_second",
                    rate = format!("{:.0}", report.per_second),
                    unit = unit
                ));
                ui.end_row();
                if whole_run {
                    ui.label(t!("load.figures.done"));
                    ui.monospace(t!(
                        "load.figures.done_in",
                        count = report.completed,
                        unit = unit,
                        seconds = format!("{:.1}", report.elapsed.as_secs_f64())
                    ));
                    ui.end_row();
                }
                let l = report.latency;
                ui.label(t!("load.figures.latency"));
                if l.samples == 0 {
                    ui.monospace("-");
                } else {
                    ui.monospace(format!(
                        "p50 {}  p95 {}  p99 {}",
                        readable(l.p50),
                        readable(l.p95),
                        readable(l.p99)
                    ));
                }
                ui.end_row();
                if !whole_run {
                    ui.label(t!("load.figures.pace"));
                    match self.rate_limit() {
                        Some(rate) => ui.monospace(t!(
                            "load.figures.pace_limited",
                            rate = format!("{rate:.0}"),
                            unit = unit
                        )),
                        None => ui.monospace(t!("load.figures.pace_free")),
                    };
                    ui.end_row();
                }
                ui.label(t!("load.figures.open_connections"));
                ui.monospace(report.connected.to_string());
                ui.end_row();
                ui.label(t!("load.figures.errors"));
                ui.monospace(report.errors.to_string());
                ui.end_row();
            });
        if let Some(first) = &report.first_error {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                t!("load.figures.first_error", why = first),
            );
        }
    }

    fn plots_ui(&self, ui: &mut egui::Ui) {
        let rate: PlotPoints = self.history.iter().map(|p| [p.at, p.rate]).collect();
        let p50: PlotPoints = self.history.iter().map(|p| [p.at, p.p50_ms]).collect();
        let p99: PlotPoints = self.history.iter().map(|p| [p.at, p.p99_ms]).collect();
        ui.separator();
        ui.strong(t!("load.plot.rate_heading"));
        Plot::new("load rate")
            .height(120.0)
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .include_y(0.0)
            .show(ui, |plot| {
                // The series' name is shown on hover; its id stays fixed.
                plot.line(Line::new(t!("load.plot.rate"), rate).id("load rate line"))
            });
        ui.strong(t!("load.plot.latency_heading"));
        Plot::new("load latency")
            .height(120.0)
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .include_y(0.0)
            .legend(Legend::default())
            .show(ui, |plot| {
                plot.line(Line::new("p50", p50));
                plot.line(Line::new("p99", p99));
            });
    }
}

/// A mode in words, for the menu, in the language in use.
fn describe_mode(mode: LoadMode) -> Cow<'static, str> {
    match mode {
        LoadMode::RoundTrips => t!("load.mode.round_trips"),
        LoadMode::Dialogues => t!("load.mode.dialogues"),
        LoadMode::Hold => t!("load.mode.hold"),
    }
}

/// What one completed operation of a mode is called, plural, in the
/// language in use (the words of [`LoadMode::unit`]).
fn unit(mode: LoadMode) -> Cow<'static, str> {
    match mode {
        LoadMode::RoundTrips => t!("load.unit.round_trips"),
        LoadMode::Dialogues => t!("load.unit.dialogues"),
        LoadMode::Hold => t!("load.unit.connections"),
    }
}

#[cfg(test)]
mod smoother_tests {
    use super::*;

    /// Half a second after `start`, when the smoother decides.
    fn later(start: Instant) -> Instant {
        start + Smoother::PERIOD
    }

    #[test]
    fn a_slow_frame_slows_the_bots_at_once() {
        let start = Instant::now();
        let mut s = Smoother::new(start, 0);
        s.frame(5.0);
        s.frame(30.0);
        assert_eq!(s.adjust(later(start), 1000), Some(Smoother::START * 0.7));
    }

    #[test]
    fn quick_frames_speed_up_bots_that_use_their_pace() {
        let start = Instant::now();
        let mut s = Smoother::new(start, 0);
        s.frame(4.0);
        // 1,000 done in half a second: 2,000 a second, all that was allowed.
        let rate = s.adjust(later(start), 1000).unwrap();
        assert!((rate - Smoother::START * 1.1).abs() < 1e-6, "{rate}");
    }

    #[test]
    fn bots_that_do_not_use_their_pace_get_no_more() {
        // Quick frames, but the bots did a tenth of what they could (the
        // server is the limit): the rate stays.
        let start = Instant::now();
        let mut s = Smoother::new(start, 0);
        s.frame(4.0);
        assert_eq!(s.adjust(later(start), 100), Some(Smoother::START));
    }

    #[test]
    fn nothing_changes_before_the_period_ends_and_the_rate_stays_in_bounds() {
        let start = Instant::now();
        let mut s = Smoother::new(start, 0);
        s.frame(100.0);
        assert_eq!(s.adjust(start + Duration::from_millis(100), 0), None);
        let mut at = start;
        for _ in 0..100 {
            at += Smoother::PERIOD;
            s.frame(100.0);
            s.adjust(at, 0);
        }
        assert_eq!(s.rate, Smoother::MIN);
        // A frame between quick and too slow holds the rate where it is.
        at += Smoother::PERIOD;
        s.frame(12.0);
        assert_eq!(s.adjust(at, u64::MAX / 2), Some(Smoother::MIN));
    }
}
