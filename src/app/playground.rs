//! [`PlaygroundApp`]: the window, its panels, and the flow of events.
//!
//! Each frame starts in [`eframe::App::logic`], which drains the channel
//! the network threads send their events on and hands each event to the
//! panel it concerns (server, client tab) and to the transcript. Then
//! [`eframe::App::ui`] draws the panels from that state. The window never
//! waits for the network: it only reads what has already arrived.
//!
//! Redrawing is bounded: a network thread that sends an event asks for a
//! redraw *within* [`REPAINT_DELAY`], so a burst of a thousand events
//! costs one frame, not a thousand. With nothing happening, nothing is
//! redrawn and the window uses no CPU.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, unbounded};
use rust_i18n::t;

use super::client_tab::{ClientTab, DiagramData, TabData};
use super::client_tabs::ClientTabs;
use super::follow::Follow;
use super::fonts;
use super::load_panel::{LoadAction, LoadPanel};
use super::pitfalls::PitfallPanel;
use super::platform::{self, Os};
use super::presenter::{self, Action, ViewChange};
use super::save::{FileChooser, NativeDialog, SaveOutcome, Saver, default_save_folder};
use super::scenario::{Player, PlayerAction, Stage};
use super::server_panel::{ServerPanel, Status};
use super::settings::Settings;
use super::threads::ThreadRow;
use super::transcript_view::TranscriptView;
use crate::net::capture::{CaptureError, SegmentRecorder};
use crate::net::tcp_state::{SocketKey, StateError};
use crate::net::watch::{QUIET_INTERVAL, StateWatcher, WATCH_INTERVAL};
use crate::net::{EventKind, EventSender, NetEvent, Origin};

/// The longest a network event waits before the window redraws.
pub const REPAINT_DELAY: Duration = Duration::from_millis(30);

/// The most events applied in one frame; the rest wait for the next frame,
/// so even a flood of events keeps frames short.
const MAX_EVENTS_PER_FRAME: usize = 5_000;

/// The longest a frame spends applying events, so that a frame under a
/// flood of events still fits in a 60 Hz frame (16 ms) with its drawing.
const APPLY_BUDGET: Duration = Duration::from_millis(6);

/// What the app needs from outside; tests inject their own.
pub struct AppOptions {
    /// Asks where to save (the native dialog, or a test's answer).
    pub file_chooser: Arc<dyn FileChooser>,
    /// Where "Quick save" writes.
    pub save_folder: PathBuf,
    /// When the program started, to log how long the first frame took.
    pub started: Instant,
    /// The settings to start with (the remembered ones, in the window).
    pub settings: Settings,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            file_chooser: Arc::new(NativeDialog),
            save_folder: default_save_folder(),
            started: Instant::now(),
            settings: Settings::default(),
        }
    }
}

/// The whole window's state.
pub struct PlaygroundApp {
    events: Receiver<NetEvent>,
    sender: EventSender,
    ctx: egui::Context,
    /// The server panel.
    pub server: ServerPanel,
    /// The client tabs.
    pub clients: ClientTabs,
    /// The transcript and its view.
    pub transcript: TranscriptView,
    /// The Load panel and the bots it runs.
    pub load: LoadPanel,
    saver: Saver,
    /// Language, look and the server fields, as last applied; the zoom
    /// and the fields are read back from egui and the panel when saved.
    settings: Settings,
    /// True while the help overlay is shown.
    help_open: bool,
    /// The scenario player, and whether its window is open.
    pub scenarios: Player,
    pub scenarios_open: bool,
    /// The pitfall demos.
    pub pitfalls: PitfallPanel,
    stats: FrameStats,
    /// Until the first frame: when the program started.
    first_frame_from: Option<Instant>,
    /// Reads every socket's real TCP state; `None` where the system
    /// cannot (then `states_unavailable` says why).
    watcher: Option<StateWatcher>,
    states_unavailable: Option<StateError>,
    /// Captures the real segments of the tabs' connections; `None` where
    /// the process may not capture (then `segments_unavailable` says how
    /// to allow it).
    segments: Option<SegmentRecorder>,
    segments_unavailable: Option<CaptureError>,
}

/// Counts frames and events, and logs them every few seconds at debug
/// level (`RUST_LOG=tcp_playground=debug`): the evidence that a flood of
/// events costs a bounded number of frames, and how long frames take
/// (eframe's CPU time per frame: building, tessellating and painting it).
struct FrameStats {
    since: Instant,
    frames: u64,
    events: u64,
    /// Milliseconds of CPU each frame of this period took.
    frame_ms: Vec<f32>,
    /// Every frame since the window opened, counted in half-millisecond
    /// steps (the last step holds everything slower), for a p99 over a
    /// whole run as well as over each period.
    all_frames: Vec<u64>,
}

impl FrameStats {
    const PERIOD: Duration = Duration::from_secs(5);

    /// Half-millisecond steps in `all_frames`: up to a second.
    const STEPS: usize = 2000;

    fn count(&mut self, events: u64, frame_cpu: Option<f32>) {
        self.frames += 1;
        self.events += events;
        if let Some(seconds) = frame_cpu {
            let ms = seconds * 1e3;
            self.frame_ms.push(ms);
            let step = ((ms * 2.0) as usize).min(Self::STEPS - 1);
            self.all_frames[step] += 1;
        }
        let elapsed = self.since.elapsed();
        if elapsed >= Self::PERIOD {
            let secs = elapsed.as_secs_f64();
            self.frame_ms.sort_by(f32::total_cmp);
            let at = |q: f64| {
                let n = self.frame_ms.len();
                if n == 0 {
                    0.0
                } else {
                    self.frame_ms[((n - 1) as f64 * q).round() as usize]
                }
            };
            log::debug!(
                "window: {:.1} frames/s, {:.0} events/s over {secs:.1} s; frame CPU p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                self.frames as f64 / secs,
                self.events as f64 / secs,
                at(0.5),
                at(0.99),
                at(1.0)
            );
            let (all, p99) = self.whole_run_p99();
            log::debug!("window: all {all} frames so far: p99 under {p99:.1} ms");
            self.since = Instant::now();
            self.frames = 0;
            self.events = 0;
            self.frame_ms.clear();
        }
    }

    /// How many frames were timed since the window opened, and the time
    /// that 99% of them took at most (rounded up to half a millisecond).
    fn whole_run_p99(&self) -> (u64, f32) {
        let all: u64 = self.all_frames.iter().sum();
        let within = all - all / 100;
        let mut seen = 0;
        for (step, count) in self.all_frames.iter().enumerate() {
            seen += count;
            if seen >= within {
                return (all, (step + 1) as f32 / 2.0);
            }
        }
        (all, 0.0)
    }
}

impl Default for FrameStats {
    fn default() -> Self {
        FrameStats {
            since: Instant::now(),
            frames: 0,
            events: 0,
            frame_ms: Vec::new(),
            all_frames: vec![0; Self::STEPS],
        }
    }
}

impl PlaygroundApp {
    /// Builds the app for `ctx`: installs the fonts and the event channel.
    pub fn new(ctx: &egui::Context, options: AppOptions) -> Self {
        fonts::install(ctx);
        let (tx, events) = unbounded();
        let waker_ctx = ctx.clone();
        let sender = EventSender::with_waker(
            tx,
            Arc::new(move || waker_ctx.request_repaint_after(REPAINT_DELAY)),
        );
        let mut app = PlaygroundApp {
            events,
            sender,
            ctx: ctx.clone(),
            server: ServerPanel::default(),
            clients: ClientTabs::default(),
            transcript: TranscriptView::default(),
            load: LoadPanel::default(),
            saver: Saver::new(options.file_chooser, options.save_folder),
            settings: options.settings.clone(),
            help_open: false,
            scenarios: Player::default(),
            scenarios_open: false,
            pitfalls: PitfallPanel::default(),
            stats: FrameStats::default(),
            first_frame_from: Some(options.started),
            watcher: None,
            states_unavailable: None,
            segments: None,
            segments_unavailable: None,
        };
        app.use_settings(options.settings);
        app.with_watcher().with_segments()
    }

    /// The settings as they are now: the look as last chosen, the zoom as
    /// egui has it (Ctrl + and Ctrl − change it directly), the server
    /// fields as typed.
    pub fn settings(&self) -> Settings {
        Settings {
            zoom: self.ctx.zoom_factor(),
            bind_address: self.server.address.clone(),
            port: self.server.port.clone(),
            pace_ms: self.server.pace_ms,
            backlog: self.server.backlog,
            max_clients: self.server.max_clients,
            idle_timeout_s: self.server.idle_timeout_s,
            ..self.settings.clone()
        }
    }

    /// Makes `settings` the window's: its look, and the server fields
    /// (a running server keeps running with the values it started with).
    pub fn use_settings(&mut self, settings: Settings) {
        settings.apply_look(&self.ctx);
        settings.apply_zoom(&self.ctx);
        self.server.address = settings.bind_address.clone();
        self.server.port = settings.port.clone();
        self.server.pace_ms = settings.pace_ms;
        self.server.backlog = settings.backlog;
        self.server.max_clients = settings.max_clients;
        self.server.idle_timeout_s = settings.idle_timeout_s;
        self.settings = settings;
    }

    /// True while the help overlay is shown.
    pub fn help_open(&self) -> bool {
        self.help_open
    }

    /// The scenario window's contents, and what its buttons ask.
    fn scenarios_ui(&mut self, ui: &mut egui::Ui) {
        let mut player = std::mem::take(&mut self.scenarios);
        let action = player.ui(ui);
        match action {
            Some(PlayerAction::Play(scenario)) => player.play(scenario, self),
            Some(PlayerAction::TogglePause) => player.toggle_pause(),
            Some(PlayerAction::Step) => player.step(self, Instant::now()),
            Some(PlayerAction::Replay) => player.replay(self),
            None => {}
        }
        self.scenarios = player;
        if action.is_some() {
            // The player's next tick is in the next frame.
            self.ctx.request_repaint();
        }
    }

    /// Does what a shortcut (or its menu entry) asks.
    pub fn act(&mut self, action: Action) {
        match action {
            Action::NewClient => self.new_client(),
            Action::CloseTab => {
                let shown = self.clients.selected().map(|tab| tab as *const ClientTab);
                if let Some(index) = self
                    .clients
                    .tabs()
                    .iter()
                    .position(|tab| Some(tab as *const ClientTab) == shown)
                {
                    self.clients.close(index);
                }
            }
            Action::StartStopServer => match self.server.status() {
                Status::Listening(_) => self.server.stop(),
                Status::Stopping => {}
                _ => self.server.start(&self.sender),
            },
            Action::NextStep => self.server.next_step(),
            Action::Save => {
                if !self.saver.is_busy() {
                    self.save_with_dialog();
                }
            }
            Action::QuickSave => {
                if !self.saver.is_busy() {
                    self.quick_save();
                }
            }
            Action::ToggleLoad => self.load.open = !self.load.open,
            Action::Help => self.help_open = !self.help_open,
        }
    }

    /// Starts capturing segments, or notes why it cannot (no privilege:
    /// the note says how to grant it; the diagram keeps inferred arrows).
    fn with_segments(mut self) -> Self {
        match SegmentRecorder::start(self.sender.clone()) {
            Ok(recorder) => self.segments = Some(recorder),
            Err(e) => self.segments_unavailable = Some(e),
        }
        self
    }

    /// Why real segments are not drawn, when they are not.
    /// Said in the language in use.
    pub fn segments_unavailable(&self) -> Option<String> {
        let error = self.segments_unavailable.as_ref()?;
        Some(platform::segments_unavailable(error, Os::current()))
    }

    /// Tells the segment recorder about a connection an event reveals: the
    /// server's port (every connection to it), and which tab owns which
    /// connection, so its segments join that tab's events.
    fn record_segments(&self, event: &NetEvent) {
        let Some(recorder) = &self.segments else {
            return;
        };
        match (&event.kind, event.origin) {
            (EventKind::Listening { addr }, _) => recorder.watch_port(addr.port()),
            (
                EventKind::Dialing { local, peer } | EventKind::Connected { local, peer },
                Origin::Client(_),
            ) => {
                recorder.watch_port(peer.port());
                recorder.attach(
                    event.origin,
                    SocketKey {
                        local: *local,
                        remote: *peer,
                    },
                );
            }
            _ => {}
        }
    }

    /// Starts the TCP state watcher, or notes why it cannot run.
    fn with_watcher(mut self) -> Self {
        match StateWatcher::start(self.sender.clone(), WATCH_INTERVAL, QUIET_INTERVAL) {
            Ok(watcher) => self.watcher = Some(watcher),
            Err(e) => self.states_unavailable = Some(e),
        }
        self
    }

    /// Why real TCP states are not shown, on systems that cannot read them.
    /// Said in the language in use.
    pub fn states_unavailable(&self) -> Option<String> {
        let error = self.states_unavailable.as_ref()?;
        Some(platform::states_unavailable(error, Os::current()))
    }

    /// Starts watching the socket an event reveals (a listener, an
    /// accepted or a connected socket), or tells the watcher that a
    /// watched socket is busy.
    fn watch_new_socket(&self, event: &NetEvent) {
        let Some(watcher) = &self.watcher else { return };
        let key = match &event.kind {
            EventKind::Listening { addr } => SocketKey::listener(*addr),
            EventKind::Accepted { peer, local, .. }
            | EventKind::Dialing { local, peer }
            | EventKind::Connected { local, peer } => SocketKey {
                local: *local,
                remote: *peer,
            },
            // Traffic or a close: the state may be about to change.
            EventKind::Sent { .. } | EventKind::Received { .. } | EventKind::Closed { .. } => {
                watcher.poke(event.origin);
                return;
            }
            _ => return,
        };
        watcher.watch(event.origin, key);
        // A client of our own server: the server's end of its connection
        // exists in the kernel before accept() returns it (in SYN_RECV
        // while "Hold SYN_RECV" is on), so watch it from the dial.
        if let EventKind::Dialing { local, peer } = &event.kind
            && self.server.serves(*peer)
        {
            watcher.watch_peer(
                event.origin,
                SocketKey {
                    local: *peer,
                    remote: *local,
                },
            );
        }
    }

    /// The saver, for its status.
    pub fn saver(&self) -> &Saver {
        &self.saver
    }

    /// The sender the network threads of this window report to.
    pub fn event_sender(&self) -> &EventSender {
        &self.sender
    }

    /// Opens a client tab aimed at the running server (or the default
    /// address), connecting at once if the server runs.
    pub fn new_client(&mut self) {
        let (target, connect_now) = match self.server.listening_on() {
            Some(addr) => (addr.to_string(), true),
            None => (
                format!("{}:{}", self.server.address.trim(), self.server.port.trim()),
                false,
            ),
        };
        self.clients
            .open(target, connect_now, &self.sender, self.server.gate());
    }

    /// Saves with the file dialog (on a worker thread).
    pub fn save_with_dialog(&mut self) {
        let ctx = self.ctx.clone();
        let copy = self.transcript.transcript().clone();
        self.saver
            .save_with_dialog(copy, move || ctx.request_repaint());
    }

    /// Saves into the quick-save folder (on a worker thread).
    pub fn quick_save(&mut self) {
        let ctx = self.ctx.clone();
        let copy = self.transcript.transcript().clone();
        self.saver.quick_save(copy, move || ctx.request_repaint());
    }

    /// Applies the events that have arrived, at most a frame's worth (by
    /// count and by time); returns how many. The rest wait for the next
    /// frame, which is asked for at once.
    pub fn drain_events(&mut self) -> usize {
        // From now on, the next event asks for a frame again.
        self.sender.rearm();
        let started = Instant::now();
        let mut applied = 0;
        while applied < MAX_EVENTS_PER_FRAME {
            let Ok(event) = self.events.try_recv() else {
                break;
            };
            self.apply_event(event);
            applied += 1;
            // Reading the clock costs little, but not nothing: look at it
            // once every 64 events.
            if applied % 64 == 0 && started.elapsed() > APPLY_BUDGET {
                break;
            }
        }
        if !self.events.is_empty() {
            self.ctx.request_repaint();
        }
        applied
    }

    /// Shows one event: in the server's or a client's panel, and in the
    /// transcript.
    fn apply_event(&mut self, event: NetEvent) {
        let load = &self.load;
        let bot = match event.origin {
            Origin::Listener | Origin::ServerConn(_) => {
                self.server.apply(&event, |peer| load.is_bot(peer))
            }
            Origin::Client(_) => {
                self.clients.apply(&event);
                false
            }
        };
        // A bot's socket is not watched or captured: the Load panel
        // shows the bots as figures, not as connections.
        if !bot {
            self.watch_new_socket(&event);
            self.record_segments(&event);
        }
        self.transcript.push(event);
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("TCP Playground");
            ui.separator();
            let ctx = ui.ctx().clone();
            let keys = |action: Action| action.keys(&ctx);
            if ui
                .button(t!("toolbar.new_client"))
                .on_hover_text(t!(
                    "toolbar.new_client_hint",
                    keys = keys(Action::NewClient)
                ))
                .clicked()
            {
                self.new_client();
            }
            ui.separator();
            ui.toggle_value(&mut self.scenarios_open, t!("scenario.window"))
                .on_hover_text(t!("scenario.toggle_hint"));
            ui.toggle_value(&mut self.pitfalls.open, t!("pitfall.window"))
                .on_hover_text(t!("pitfall.toggle_hint"));
            ui.toggle_value(&mut self.load.open, t!("toolbar.load"))
                .on_hover_text(t!("toolbar.load_hint", keys = keys(Action::ToggleLoad)));
            ui.separator();
            let idle = !self.saver.is_busy();
            if ui
                .add_enabled(idle, egui::Button::new(t!("toolbar.save")))
                .on_hover_text(t!("toolbar.save_hint", keys = keys(Action::Save)))
                .clicked()
            {
                self.save_with_dialog();
            }
            if ui
                .add_enabled(idle, egui::Button::new(t!("toolbar.quick_save")))
                .on_hover_text(t!(
                    "toolbar.quick_save_hint",
                    folder = self.saver.folder().display(),
                    keys = keys(Action::QuickSave)
                ))
                .clicked()
            {
                self.quick_save();
            }
            self.save_status_ui(ui);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button(t!("help.button"))
                    .on_hover_text(keys(Action::Help))
                    .clicked()
                {
                    self.help_open = true;
                }
                let change = presenter::view_menu(ui, &mut self.settings)
                    .or(presenter::language_ui(ui, &mut self.settings));
                match change {
                    Some(ViewChange::Look) => self.settings.apply_look(ui.ctx()),
                    Some(ViewChange::Reset) => self.use_settings(Settings::first_run()),
                    None => {}
                }
            });
        });
    }

    fn load_ui(&mut self, ui: &mut egui::Ui) {
        let server = self.server.listening_on();
        if self.load.target.is_empty()
            && let Some(addr) = server
        {
            self.load.target = addr.to_string();
        }
        match self.load.ui(ui, server) {
            Some(LoadAction::Start) => self.load.start(),
            Some(LoadAction::Stop) => self.load.stop(),
            None => {}
        }
    }

    fn save_status_ui(&self, ui: &mut egui::Ui) {
        if self.saver.is_busy() {
            ui.label(t!("toolbar.saving"));
            return;
        }
        match self.saver.last() {
            Some(SaveOutcome::Saved { path, events }) => {
                ui.label(t!("toolbar.saved", events = events, path = path.display()));
            }
            Some(SaveOutcome::Cancelled) => {
                ui.label(t!("toolbar.save_cancelled"));
            }
            Some(SaveOutcome::Failed(why)) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    t!("toolbar.not_saved", why = why),
                );
            }
            None => {}
        }
    }
}

/// What `tab` shows of its connection: the diagram, and where the server's
/// code is for it (its server thread's line, or the listener's before a
/// thread serves it).
fn data_for(
    tab: &ClientTab,
    transcript: &TranscriptView,
    rows: &[ThreadRow],
    listener: &Follow,
    capture_note: Option<&str>,
) -> TabData {
    // The newest row wins if the address was used before.
    let server_row = tab
        .local()
        .and_then(|local| rows.iter().rev().find(|r| r.peer == local));
    let (server_spot, server_caption) = match server_row {
        Some(row) => (
            row.follow.spot(),
            format!("{} (server thread): {}", row.thread, row.follow.describe()),
        ),
        None => (
            listener.spot(),
            format!("server (listener): {}", listener.describe()),
        ),
    };
    TabData {
        diagram: diagram_for(tab, transcript, server_row, capture_note),
        server_spot,
        server_caption,
    }
}

/// The diagram of `tab`'s connection: its own events and those of the
/// server thread whose peer is the tab's address (if that server is ours).
fn diagram_for(
    tab: &ClientTab,
    transcript: &TranscriptView,
    server_row: Option<&ThreadRow>,
    capture_note: Option<&str>,
) -> Option<DiagramData> {
    let client = tab.origin()?;
    tab.local()?;
    let server_events = server_row
        .map(|r| transcript.events_of(Origin::ServerConn(r.id)))
        .unwrap_or_default();
    let client_events = transcript.events_of(client);
    Some(DiagramData {
        rows: super::diagram::build(
            &client_events.iter().collect::<Vec<_>>(),
            &server_events.iter().collect::<Vec<_>>(),
        ),
        server_title: server_row.map_or_else(|| "server".to_owned(), |r| r.thread.clone()),
        capture_note: capture_note.map(str::to_owned),
    })
}

impl eframe::App for PlaygroundApp {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        for action in presenter::pressed(ctx) {
            self.act(action);
        }
        let applied = self.drain_events();
        // The scenario acts on the window after this frame's events.
        let mut player = std::mem::take(&mut self.scenarios);
        if let Some(wait) = player.tick(self, Instant::now()) {
            self.ctx.request_repaint_after(wait);
        }
        self.scenarios = player;
        self.stats.count(applied as u64, frame.info().cpu_usage);
        if let Some(wait) = self.server.slow_motion_tick(self.clients.held_count()) {
            self.ctx.request_repaint_after(wait);
        }
        self.saver.poll();
        self.pitfalls.poll();
        if let Some(wait) = self.load.tick(self.events.len(), frame.info().cpu_usage) {
            self.ctx.request_repaint_after(wait);
        }
        // A TIME_WAIT countdown on screen ticks once a second; nothing else
        // needs redrawing when no event arrives.
        let counting = self.server.threads().is_counting_down()
            || self
                .clients
                .tabs()
                .iter()
                .any(|t| t.tcp().is_some_and(|v| v.is_counting_down()));
        if counting {
            self.ctx.request_repaint_after(Duration::from_secs(1));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if let Some(started) = self.first_frame_from.take() {
            log::debug!(
                "window: first frame built {} ms after start",
                started.elapsed().as_millis()
            );
        }
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
        egui::Panel::left("server panel")
            .resizable(true)
            .default_size(740.0)
            .min_size(420.0)
            .show(ui, |ui| {
                if let Some(why) = self.states_unavailable() {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        t!("server.states_unavailable", why = why),
                    );
                }
                self.server.ui(ui, &self.sender);
            });
        egui::Panel::bottom("transcript panel")
            .resizable(true)
            .default_size(250.0)
            .min_size(120.0)
            .show(ui, |ui| self.transcript.ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading(t!("clients.heading"));
            let transcript = &self.transcript;
            let rows = self.server.threads().rows();
            let listener = self.server.listener_follow();
            let capture_note = self.segments_unavailable();
            let capture_note = capture_note.as_deref();
            let data_for =
                |tab: &ClientTab| data_for(tab, transcript, rows, listener, capture_note);
            self.clients.ui(ui, &self.sender, &data_for);
        });
        // The Load panel floats above the others, so opening it squeezes
        // nothing; it can be moved, collapsed and closed.
        let mut open = self.load.open;
        egui::Window::new(t!("toolbar.load"))
            .id(egui::Id::unique("load window"))
            .open(&mut open)
            .default_width(380.0)
            .default_height(640.0)
            .default_pos(ui.ctx().content_rect().right_top() + egui::vec2(-390.0, 40.0))
            .resizable(true)
            .show(ui.ctx(), |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.load_ui(ui));
            });
        self.load.open = open;
        let mut open = self.scenarios_open;
        egui::Window::new(t!("scenario.window"))
            .id(egui::Id::unique("scenario window"))
            .open(&mut open)
            .default_width(360.0)
            // Over the console's right half: the clients, the threads and
            // the transcript stay in view while a scenario plays.
            .default_pos(ui.ctx().content_rect().left_bottom() + egui::vec2(380.0, -320.0))
            .resizable(true)
            .show(ui.ctx(), |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.scenarios_ui(ui));
            });
        self.scenarios_open = open;
        let mut open = self.pitfalls.open;
        egui::Window::new(t!("pitfall.window"))
            .id(egui::Id::unique("pitfall window"))
            .open(&mut open)
            .default_width(620.0)
            .default_height(560.0)
            .default_pos(ui.ctx().content_rect().left_top() + egui::vec2(120.0, 60.0))
            .resizable(true)
            .show(ui.ctx(), |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    if let Some(pitfall) = self.pitfalls.ui(ui) {
                        let ctx = self.ctx.clone();
                        self.pitfalls.run(pitfall, move || ctx.request_repaint());
                    }
                });
            });
        self.pitfalls.open = open;
        presenter::help_ui(ui.ctx(), &mut self.help_open);
    }

    /// Remembers the settings (eframe calls this now and then, and on exit).
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.settings().store(storage);
    }
}

/// The window as a scenario sees it: the same buttons a teacher presses.
impl Stage for PlaygroundApp {
    fn start_server(&mut self) -> bool {
        if self.server.listening_on().is_none() {
            self.server.start(&self.sender);
        }
        self.server.listening_on().is_some()
    }

    fn stop_server(&mut self) {
        self.server.stop();
    }

    fn server_listening(&self) -> bool {
        self.server.listening_on().is_some()
    }

    fn server_stopped(&self) -> bool {
        matches!(self.server.status(), Status::Stopped | Status::Failed(_))
    }

    fn open_client(&mut self) -> u64 {
        self.new_client();
        self.clients.tabs().last().map_or(0, |tab| tab.key)
    }

    fn reconnect(&mut self, key: u64) {
        let target = self.server.listening_on();
        if let Some(index) = self.clients.index_of(key) {
            self.clients.select(index);
        }
        if let Some(tab) = self.clients.by_key_mut(key) {
            if let Some(addr) = target {
                tab.target = addr.to_string();
            }
            tab.connect(&self.sender);
        }
    }

    fn type_name(&mut self, key: u64, text: &str) {
        if let Some(index) = self.clients.index_of(key) {
            self.clients.select(index);
        }
        if let Some(tab) = self.clients.by_key_mut(key) {
            tab.name = text.to_owned();
        }
    }

    fn send(&mut self, key: u64) {
        if let Some(tab) = self.clients.by_key_mut(key) {
            tab.send_name();
        }
    }

    fn waits_for_name(&self, key: u64) -> bool {
        self.clients
            .tabs()
            .iter()
            .any(|tab| tab.key == key && tab.is_your_turn())
    }

    fn closed(&self, key: u64) -> bool {
        // A tab the user closed counts as closed too.
        !self
            .clients
            .tabs()
            .iter()
            .any(|tab| tab.key == key && tab.is_active())
    }

    fn close_tabs(&mut self, keys: &[u64]) {
        for key in keys {
            if let Some(index) = self.clients.index_of(*key) {
                self.clients.close(index);
            }
        }
    }
}

#[cfg(test)]
mod frame_stats_tests {
    use super::FrameStats;

    #[test]
    fn the_whole_run_p99_ignores_the_slowest_hundredth() {
        let mut stats = FrameStats::default();
        for _ in 0..199 {
            stats.count(0, Some(0.005));
        }
        // 2 slow frames in 201: under 1%, so the p99 is the quick frames'.
        stats.count(0, Some(0.300));
        stats.count(0, Some(2.0)); // slower than the last step
        assert_eq!(stats.whole_run_p99(), (201, 5.5));
        // A third slow frame: now more than 1% are slow.
        for _ in 0..3 {
            stats.count(0, Some(0.300));
        }
        assert_eq!(stats.whole_run_p99(), (204, 300.5));
    }
}
