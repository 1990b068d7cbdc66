//! The server panel: start and stop the listener, watch its client threads.
//!
//! The settings are typed as text and checked when Start is pressed; a bad
//! value is shown under its field and nothing starts. While the server
//! runs, the table shows one row per client thread, and below it the
//! server's console, the same lines the tutorial's server prints.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Local;
use rust_i18n::t;

use super::follow::{Follow, Role};
use super::lang::close_reason;
use super::platform::{self, Os};
use super::tcp_view::TcpView;
use super::threads::{TableAction, ThreadTable};
use crate::net::config::{ConfigError, parse_bind_ip, parse_port};
use crate::net::gate::StepGate;
use crate::net::{EventKind, EventSender, NetError, NetEvent, Origin, Server, ServerConfig};

/// Height of the thread table, in points: about ten rows.
const TABLE_HEIGHT: f32 = 250.0;

/// Whether the server runs, as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not started yet, or stopped.
    Stopped,
    /// Listening on this address.
    Listening(SocketAddr),
    /// Stop was pressed; waiting for every thread to finish.
    Stopping,
    /// Could not start; the message says why.
    Failed(String),
}

/// What is wrong with the bind address or the port, shown under it.
#[derive(Clone, Debug)]
enum FieldError {
    /// The field could not be parsed (translated when drawn).
    Config(ConfigError),
    /// The system refused it (e.g. port in use), in its own words.
    System(String),
}

impl FieldError {
    /// The error in the language in use.
    fn text(&self) -> String {
        match self {
            FieldError::Config(ConfigError::BadPort(text)) => {
                t!("server.error_bad_port", text = text).into_owned()
            }
            FieldError::Config(ConfigError::BadAddress(text)) => {
                t!("server.error_bad_address", text = text).into_owned()
            }
            // Not given by `parse_bind_ip` or `parse_port`.
            FieldError::Config(other) => other.to_string(),
            FieldError::System(message) => message.clone(),
        }
    }
}

/// Why the server could not start, in the language in use, and whether
/// it is about the port (then it is also shown under the port field). The
/// English is [`NetError`]'s own sentence.
fn start_error_text(error: &NetError, addr: SocketAddr) -> (String, bool) {
    let (port, ip) = (addr.port(), addr.ip());
    let text = match error {
        NetError::Bind { source, .. } => match source.kind() {
            std::io::ErrorKind::AddrInUse => {
                return (
                    t!("server.error_port_in_use", port = port, ip = ip).into_owned(),
                    true,
                );
            }
            std::io::ErrorKind::PermissionDenied => {
                return (
                    t!("server.error_port_denied", port = port).into_owned(),
                    true,
                );
            }
            std::io::ErrorKind::AddrNotAvailable => t!("server.error_not_local", ip = ip),
            _ => t!("server.error_cannot_listen", addr = addr, why = source),
        },
        NetError::DeferAccept(why) => t!("server.error_defer", why = why),
        NetError::Thread(why) => t!("server.error_thread", why = why),
    };
    (text.into_owned(), false)
}

/// One line of the server's console, with its local time.
pub struct ConsoleLine {
    /// `HH:MM:SS.mmm`
    pub time: String,
    /// The tutorial's words (its `print()`s stay in English, as in its
    /// code); what the window adds is in the language in use when the line
    /// was printed, as in a terminal.
    pub text: String,
}

/// The server panel's state.
pub struct ServerPanel {
    /// The bind address as typed.
    pub address: String,
    /// The port as typed.
    pub port: String,
    /// Pause before each prompt, in milliseconds (0 = off).
    pub pace_ms: u64,
    /// The `backlog` of `listen()`.
    pub backlog: i32,
    /// The most clients served at once.
    pub max_clients: usize,
    /// Close a client silent for this many seconds (0 = never).
    pub idle_timeout_s: u64,
    /// True while `accept()` is paused.
    accept_paused: bool,
    /// True while new connections are held in SYN_RECV (deferred accept).
    hold_syn_recv: bool,
    address_error: Option<FieldError>,
    port_error: Option<FieldError>,
    server: Option<Server>,
    status: Status,
    threads: ThreadTable,
    console: Vec<ConsoleLine>,
    /// The listening socket's real TCP state.
    listener_tcp: Option<TcpView>,
    /// The listener thread's socket call and line of code.
    listener_follow: Follow,
    /// Step mode and the close hold: the gate the server's threads (and
    /// the client tabs) wait at.
    gate: Arc<StepGate>,
    /// True while step mode is on.
    step_mode: bool,
    /// Slow motion: step mode, with one step let through every
    /// [`SLOW_STEP`]; the time of the last one.
    slow_motion: Option<Instant>,
    /// How many client tabs wait in step mode (set by the window each frame).
    clients_held: usize,
}

/// In slow motion, the time between two steps.
pub const SLOW_STEP: Duration = Duration::from_millis(500);

/// How long "Hold SYN_RECV" asks the kernel to defer accepting (it rounds
/// up to its SYN+ACK retransmission schedule: about 3 s in all).
pub const SYN_RECV_HOLD: Duration = Duration::from_secs(2);

/// How long "Hold FIN" leaves the peer's last bytes unread at each close,
/// holding FIN_WAIT_1 and LAST_ACK (see [`crate::net::linger`]).
pub const CLOSE_HOLD: Duration = Duration::from_secs(2);

impl Default for ServerPanel {
    fn default() -> Self {
        let defaults = ServerConfig::default();
        ServerPanel {
            address: defaults.bind.ip().to_string(),
            port: defaults.bind.port().to_string(),
            pace_ms: defaults.pace.as_millis() as u64,
            backlog: defaults.backlog,
            max_clients: defaults.max_clients,
            idle_timeout_s: defaults.idle_timeout.map_or(0, |t| t.as_secs()),
            accept_paused: false,
            hold_syn_recv: false,
            address_error: None,
            port_error: None,
            server: None,
            status: Status::Stopped,
            threads: ThreadTable::default(),
            console: Vec::new(),
            listener_tcp: None,
            listener_follow: Follow::new(Role::Listener),
            gate: Arc::new(StepGate::new()),
            step_mode: false,
            slow_motion: None,
            clients_held: 0,
        }
    }
}

impl ServerPanel {
    /// The status, as shown.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The address the server listens on, while it runs.
    pub fn listening_on(&self) -> Option<SocketAddr> {
        match self.status {
            Status::Listening(addr) => Some(addr),
            _ => None,
        }
    }

    /// True if a connection to `addr` reaches this server (same port, and
    /// the same address or a listener on all addresses).
    pub fn serves(&self, addr: SocketAddr) -> bool {
        self.listening_on().is_some_and(|on| {
            on.port() == addr.port() && (on.ip() == addr.ip() || on.ip().is_unspecified())
        })
    }

    /// The listening socket's real TCP state, if reported.
    pub fn listener_tcp(&self) -> Option<TcpView> {
        self.listener_tcp
    }

    /// The client threads.
    pub fn threads(&self) -> &ThreadTable {
        &self.threads
    }

    /// The console lines.
    pub fn console(&self) -> &[ConsoleLine] {
        &self.console
    }

    /// Checks the fields and starts the server. Errors are shown at the
    /// fields (bad input) or in the status line (e.g. port in use).
    pub fn start(&mut self, events: &EventSender) {
        let ip = parse_bind_ip(&self.address);
        let port = parse_port(&self.port);
        self.address_error = ip.as_ref().err().cloned().map(FieldError::Config);
        self.port_error = port.as_ref().err().cloned().map(FieldError::Config);
        let (Ok(ip), Ok(port)) = (ip, port) else {
            return;
        };
        let config = ServerConfig {
            bind: SocketAddr::new(ip, port),
            pace: Duration::from_millis(self.pace_ms),
            backlog: self.backlog,
            max_clients: self.max_clients,
            idle_timeout: (self.idle_timeout_s > 0)
                .then(|| Duration::from_secs(self.idle_timeout_s)),
            defer_accept: self.syn_recv_hold(),
            ..ServerConfig::default()
        };
        match Server::start_with_gate(config, events.clone(), Arc::clone(&self.gate)) {
            Ok(server) => {
                server.set_accept_paused(self.accept_paused);
                self.status = Status::Listening(server.local_addr());
                self.server = Some(server);
            }
            Err(e) => {
                let (message, about_port) = start_error_text(&e, SocketAddr::new(ip, port));
                if about_port {
                    self.port_error = Some(FieldError::System(message.clone()));
                }
                self.status = Status::Failed(message);
            }
        }
    }

    /// Asks the server to stop; the status changes when it has.
    pub fn stop(&mut self) {
        if let Some(server) = &self.server {
            server.stop();
            self.status = Status::Stopping;
        }
    }

    /// Closes one client's connection from the server side.
    pub fn kick(&self, id: u64) {
        if let Some(server) = &self.server {
            server.kick(id);
        }
    }

    /// Pauses or resumes `accept()` (also before the server starts).
    pub fn set_accept_paused(&mut self, paused: bool) {
        self.accept_paused = paused;
        if let Some(server) = &self.server {
            server.set_accept_paused(paused);
        }
    }

    /// The deferred-accept hold asked for (zero: off).
    fn syn_recv_hold(&self) -> Duration {
        if self.hold_syn_recv {
            SYN_RECV_HOLD
        } else {
            Duration::ZERO
        }
    }

    /// Holds new connections in SYN_RECV for about 3 s (deferred accept),
    /// or stops holding them; also before the server starts.
    pub fn set_hold_syn_recv(&mut self, hold: bool) {
        self.hold_syn_recv = hold;
        if let Some(server) = &self.server
            && let Err(e) = server.set_defer_accept(self.syn_recv_hold())
        {
            self.hold_syn_recv = false;
            self.console.push(ConsoleLine {
                time: Local::now().format("%H:%M:%S%.3f").to_string(),
                text: t!("server.console_error", message = e).into_owned(),
            });
        }
    }

    /// True while each close is held (FIN_WAIT_1 and LAST_ACK last
    /// [`CLOSE_HOLD`]).
    pub fn hold_close(&self) -> bool {
        !self.gate.close_hold().is_zero()
    }

    /// Holds each close from now on, or stops holding: at the end of a
    /// dialogue each end leaves the other's last bytes unread for
    /// [`CLOSE_HOLD`], so a FIN waits behind queued bytes.
    pub fn set_hold_close(&mut self, hold: bool) {
        self.gate
            .set_close_hold(if hold { CLOSE_HOLD } else { Duration::ZERO });
    }

    /// Turns step mode on or off (off lets every held thread go on, and
    /// ends slow motion).
    pub fn set_step_mode(&mut self, on: bool) {
        self.step_mode = on;
        if !on {
            self.slow_motion = None;
        }
        self.gate.set_enabled(on);
    }

    /// Turns slow motion on (step mode with an automatic step every
    /// [`SLOW_STEP`]) or off (step mode off too).
    pub fn set_slow_motion(&mut self, on: bool) {
        self.set_step_mode(on);
        self.slow_motion = on.then(Instant::now);
    }

    /// The listener thread's socket call and line of code.
    pub fn listener_follow(&self) -> &Follow {
        &self.listener_follow
    }

    /// The step gate, shared with the client tabs.
    pub fn gate(&self) -> Arc<StepGate> {
        Arc::clone(&self.gate)
    }

    /// In slow motion, lets the next step through when it is due; returns
    /// how long until the next check while something waits (`None`:
    /// nothing to wait for, no redraw needed).
    pub fn slow_motion_tick(&mut self, clients_held: usize) -> Option<Duration> {
        self.clients_held = clients_held;
        let last = self.slow_motion?;
        if self.threads.held_count() + clients_held == 0 {
            return None;
        }
        let due = last + SLOW_STEP;
        let now = Instant::now();
        if now >= due {
            self.gate.next();
            self.slow_motion = Some(now);
            return Some(SLOW_STEP);
        }
        Some(due - now)
    }

    /// Lets the thread that has waited longest take its next step.
    pub fn next_step(&self) {
        self.gate.next();
    }

    /// Closes every client's connection; the server keeps listening.
    pub fn close_all(&self) {
        if let Some(server) = &self.server {
            server.close_all();
        }
    }

    /// Applies an event of the listener or of a server connection. The
    /// connections of peers that `is_bot` are counted as the bots' group,
    /// without a console line each. Returns true for a bot's event.
    pub fn apply(&mut self, event: &NetEvent, is_bot: impl Fn(SocketAddr) -> bool) -> bool {
        if self.threads.apply(event, is_bot) {
            return true;
        }
        if event.origin == Origin::Listener {
            if matches!(
                event.kind,
                EventKind::CallStart {
                    call: crate::net::calls::Call::Socket
                }
            ) {
                // A new server: follow it from its first call.
                self.listener_follow = Follow::new(Role::Listener);
            }
            self.listener_follow.apply(&event.kind);
        }
        if event.origin == Origin::Listener
            && let Some(tcp) = TcpView::from_event(&event.kind)
        {
            self.listener_tcp = Some(tcp);
        }
        let line = match (&event.origin, &event.kind) {
            (Origin::Listener, EventKind::Listening { addr }) => {
                self.status = Status::Listening(*addr);
                Some(t!("server.console_waiting", addr = addr).into_owned())
            }
            (Origin::Listener, EventKind::Stopped) => {
                self.status = Status::Stopped;
                self.server = None;
                Some(t!("server.console_stopped").into_owned())
            }
            (_, EventKind::Error { message }) => {
                Some(t!("server.console_error", message = message).into_owned())
            }
            (_, EventKind::Rejected { peer, why }) => {
                Some(t!("server.console_refused", peer = peer, why = why).into_owned())
            }
            // The tutorial's own `print()`, word for word in every
            // language, like the Python code it comes from.
            (_, EventKind::Accepted { peer, .. }) => {
                Some(format!("Accept new connection from {peer}"))
            }
            (Origin::ServerConn(id), EventKind::Closed { reason }) => {
                let peer = self.threads.row(*id).map(|r| r.peer);
                peer.map(|peer| {
                    let reason = close_reason(reason);
                    t!("server.console_closed", peer = peer, reason = reason).into_owned()
                })
            }
            _ => None,
        };
        if let Some(text) = line {
            let time = event.time.with_timezone(&Local).format("%H:%M:%S%.3f");
            self.console.push(ConsoleLine {
                time: time.to_string(),
                text,
            });
        }
        false
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut egui::Ui, events: &EventSender) {
        ui.heading(t!("server.heading"));
        self.settings_ui(ui);
        ui.horizontal(|ui| {
            let running = self.server.is_some();
            if running {
                let stopping = self.status == Status::Stopping;
                if ui
                    .add_enabled(!stopping, egui::Button::new(t!("server.stop")))
                    .clicked()
                {
                    self.stop();
                }
            } else if ui.button(t!("server.start")).clicked() {
                self.start(events);
            }
            self.status_ui(ui);
        });
        self.step_mode_ui(ui);
        ui.separator();
        ui.horizontal(|ui| {
            ui.strong(t!(
                "server.client_threads_open",
                count = self.threads.open_count()
            ));
            if ui
                .add_enabled(
                    self.threads.open_count() > 0,
                    egui::Button::new(t!("server.close_all")),
                )
                .clicked()
            {
                self.close_all();
            }
            if ui.button(t!("server.clear_closed")).clicked() {
                self.threads.clear_closed();
            }
        });
        // A box of fixed height keeps the table's column lines inside it
        // and the console below from jumping as rows come and go.
        let size = egui::vec2(ui.available_width(), TABLE_HEIGHT);
        let action = ui
            .allocate_ui_with_layout(size, egui::Layout::top_down(egui::Align::Min), |ui| {
                ui.set_min_size(size);
                self.threads.ui(ui)
            })
            .inner;
        if let Some(TableAction::Kick(id)) = action {
            self.kick(id);
        }
        ui.separator();
        ui.strong(t!("server.console"));
        self.console_ui(ui);
    }

    fn step_mode_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let mut on = self.step_mode;
            if ui
                .checkbox(&mut on, t!("server.step_mode"))
                .on_hover_text(t!("server.step_mode_hover"))
                .changed()
            {
                self.set_step_mode(on);
            }
            let mut slow = self.slow_motion.is_some();
            if ui
                .checkbox(&mut slow, t!("server.slow_motion"))
                .on_hover_text(t!("server.slow_motion_hover"))
                .changed()
            {
                self.set_slow_motion(slow);
            }
            let held = self.threads.held_count() + self.clients_held;
            if ui
                .add_enabled(held > 0, egui::Button::new(t!("server.next_step")))
                .on_hover_text(t!("server.next_step_hover"))
                .clicked()
            {
                self.next_step();
            }
            let mut paused = self.accept_paused;
            if ui
                .checkbox(&mut paused, t!("server.pause_accept"))
                .on_hover_text(t!("server.pause_accept_hover"))
                .changed()
            {
                self.set_accept_paused(paused);
            }
            // Deferred accept is a Linux socket option; elsewhere one line
            // says what happens instead.
            if let Some(why) = platform::hold_syn_recv_missing(Os::current()) {
                ui.weak(t!("platform.hold_syn_recv_short"))
                    .on_hover_text(why);
            } else {
                let mut hold = self.hold_syn_recv;
                if ui
                    .checkbox(&mut hold, t!("server.hold_syn_recv"))
                    .on_hover_text(t!("server.hold_syn_recv_hover"))
                    .changed()
                {
                    self.set_hold_syn_recv(hold);
                }
            }
            let mut hold = self.hold_close();
            if ui
                .checkbox(&mut hold, t!("server.hold_fin"))
                .on_hover_text(t!("server.hold_fin_hover"))
                .changed()
            {
                self.set_hold_close(hold);
            }
            if self.step_mode {
                ui.label(match held {
                    0 => t!("server.nothing_waiting"),
                    1 => t!("server.one_waiting"),
                    n => t!("server.n_waiting", count = n),
                });
            }
        });
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let editable = self.server.is_none();
        egui::Grid::new("server settings")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                let label = ui.label(t!("server.bind_address"));
                ui.add_enabled(
                    editable,
                    egui::TextEdit::singleline(&mut self.address).desired_width(140.0),
                )
                .labelled_by(label.id)
                .on_hover_text(t!("server.bind_address_hover"));
                ui.end_row();
                let label = ui.label(t!("server.port"));
                ui.add_enabled(
                    editable,
                    egui::TextEdit::singleline(&mut self.port).desired_width(70.0),
                )
                .labelled_by(label.id)
                .on_hover_text(t!("server.port_hover"));
                ui.end_row();
                let label = ui.label(t!("server.backlog"));
                ui.horizontal(|ui| {
                    ui.add_enabled(
                        editable,
                        egui::DragValue::new(&mut self.backlog).range(0..=4096),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(t!("server.backlog_hover"));
                    let label = ui.label(t!("server.max_clients"));
                    ui.add_enabled(
                        editable,
                        egui::DragValue::new(&mut self.max_clients).range(1..=100_000),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(t!("server.max_clients_hover"));
                });
                ui.end_row();
                let label = ui.label(t!("server.pacing"));
                ui.horizontal(|ui| {
                    ui.add_enabled(
                        editable,
                        egui::DragValue::new(&mut self.pace_ms)
                            .range(0..=1000)
                            .suffix(t!("server.suffix_ms")),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(t!("server.pacing_hover"));
                    let label = ui.label(t!("server.idle_timeout"));
                    ui.add_enabled(
                        editable,
                        egui::DragValue::new(&mut self.idle_timeout_s)
                            .range(0..=86_400)
                            .suffix(t!("server.suffix_s")),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(t!("server.idle_timeout_hover"));
                });
                ui.end_row();
            });
        let error_color = ui.visuals().error_fg_color;
        let warn_color = ui.visuals().warn_fg_color;
        for error in [&self.address_error, &self.port_error]
            .into_iter()
            .flatten()
        {
            ui.colored_label(error_color, error.text());
        }
        if let Ok(ip) = parse_bind_ip(&self.address)
            && !ip.is_loopback()
        {
            ui.colored_label(warn_color, t!("server.warn_reachable", ip = ip));
        }
    }

    fn status_ui(&self, ui: &mut egui::Ui) {
        match &self.status {
            Status::Stopped => {
                ui.label(t!("server.stopped"));
            }
            Status::Listening(addr) if self.accept_paused => {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    t!("server.accept_paused_on", addr = addr),
                );
            }
            Status::Listening(addr) => {
                ui.label(t!("server.listening", addr = addr));
                if let Some(tcp) = &self.listener_tcp {
                    ui.label(egui::RichText::new(tcp.text()).monospace().strong())
                        .on_hover_text(tcp.hover(&t!("server.listener_tcp_hover")));
                }
                ui.label(egui::RichText::new(self.listener_follow.describe()).monospace())
                    .on_hover_text(t!("server.listener_call_hover"));
            }
            Status::Stopping => {
                ui.label(t!("server.stopping"));
            }
            Status::Failed(message) => {
                ui.colored_label(ui.visuals().error_fg_color, message);
            }
        }
    }

    fn console_ui(&self, ui: &mut egui::Ui) {
        let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
        egui::ScrollArea::vertical()
            .id_salt("server console")
            .stick_to_bottom(true)
            .auto_shrink([false, false])
            .show_rows(ui, row_height, self.console.len(), |ui, range| {
                for line in &self.console[range] {
                    ui.label(
                        egui::RichText::new(format!("{}  {}", line.time, line.text)).monospace(),
                    );
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use rust_i18n::t;

    use crate::net::config::{parse_bind_ip, parse_port};

    /// The English of the fields' errors is the `ConfigError`s' own
    /// `Display`, word for word.
    #[test]
    fn field_errors_in_english_match_their_display() {
        let port = parse_port("http").unwrap_err().to_string();
        assert_eq!(
            t!("server.error_bad_port", locale = "en", text = "http"),
            port
        );
        let address = parse_bind_ip("nowhere").unwrap_err().to_string();
        assert_eq!(
            t!("server.error_bad_address", locale = "en", text = "nowhere"),
            address
        );
    }

    /// The English of a failed start is `NetError`'s own sentence.
    #[test]
    fn start_errors_in_english_match_their_display() {
        use super::{NetError, SocketAddr, start_error_text};
        use std::io::{Error, ErrorKind};
        let addr: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        for kind in [
            ErrorKind::AddrInUse,
            ErrorKind::PermissionDenied,
            ErrorKind::AddrNotAvailable,
            ErrorKind::Other,
        ] {
            let error = NetError::bind(addr, Error::from(kind));
            let english = match error {
                NetError::Bind { ref source, .. } => match source.kind() {
                    ErrorKind::AddrInUse => {
                        t!(
                            "server.error_port_in_use",
                            locale = "en",
                            port = 6000,
                            ip = addr.ip()
                        )
                    }
                    ErrorKind::PermissionDenied => {
                        t!("server.error_port_denied", locale = "en", port = 6000)
                    }
                    ErrorKind::AddrNotAvailable => {
                        t!("server.error_not_local", locale = "en", ip = addr.ip())
                    }
                    _ => t!(
                        "server.error_cannot_listen",
                        locale = "en",
                        addr = addr,
                        why = source
                    ),
                },
                _ => unreachable!(),
            };
            assert_eq!(english, error.to_string());
        }
        // Port errors are also shown under the port field.
        let in_use = NetError::bind(addr, Error::from(ErrorKind::AddrInUse));
        assert!(start_error_text(&in_use, addr).1);
    }
}
