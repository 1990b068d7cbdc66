//! One client tab: a connection and its dialogue, shown as a conversation.
//!
//! The tab behaves like the tutorial's client: it connects, shows what the
//! server says, and when the server asks `Whats your name?` the name field
//! takes the focus. Enter sends the name; an empty name is not sent (the
//! tutorial's client asks again); `exit` ends the dialogue.

use std::borrow::Cow;
use std::net::SocketAddr;

use chrono::Local;
use rust_i18n::t;

use std::sync::Arc;

use super::bytes_view;
use super::code_view::{CodeView, Script, Spot};
use super::follow::{Follow, Role};
use super::lang::{Language, close_reason};
use super::tcp_view::TcpView;
use crate::net::config::ConfigError;
use crate::net::gate::StepGate;
use crate::net::tcp_state::TcpState;

use crate::net::{
    Bytes, Client, ClientConfig, CloseReason, EventKind, EventSender, NetEvent, Origin,
    ServerMessage,
};

/// The connection's state, as the tab shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TabState {
    /// Not connected yet.
    New,
    /// Connecting to this target.
    Connecting(String),
    /// Connected, from our address to the server's.
    Connected { local: SocketAddr, peer: SocketAddr },
    /// Closed, for this reason.
    Closed(CloseReason),
}

impl TabState {
    /// The state in a few words, in the language in use.
    pub fn describe(&self) -> String {
        match self {
            TabState::New => t!("client.state.new").into_owned(),
            TabState::Connecting(target) => Note::Connecting(target.clone()).text(),
            TabState::Connected { local, peer } => Note::Connected {
                local: *local,
                peer: *peer,
            }
            .text(),
            TabState::Closed(reason) => Note::Closed(reason.clone()).text(),
        }
    }
}

/// What the tab shows below the name field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TabView {
    /// The dialogue as a conversation.
    Conversation,
    /// The connection's sequence diagram with real TCP states.
    Diagram,
    /// The tutorial-style code of both ends, each at its current line.
    Code,
}

/// What the window knows of the other end of a tab's connection.
pub struct TabData {
    /// The connection's diagram, once the tab has connected.
    pub diagram: Option<DiagramData>,
    /// The line of the server's code at work for this tab: its server
    /// thread's, or the listener's before a thread serves it.
    pub server_spot: Option<Spot>,
    /// Which server thread that is, and the call it is in.
    pub server_caption: String,
}

/// The diagram of a tab's connection, as the window computed it.
pub struct DiagramData {
    /// The rows to draw.
    pub rows: Vec<super::diagram::Row>,
    /// The server lane's title (its thread's name).
    pub server_title: String,
    /// Why real segments are not captured (and how to allow it), if not.
    pub capture_note: Option<String>,
}

/// Who said a line of the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speaker {
    /// The server.
    Server,
    /// The user of this tab.
    You,
    /// The tab itself (connection notes, errors).
    Note,
}

/// One line of the conversation.
#[derive(Clone, Debug)]
pub struct Line {
    /// `HH:MM:SS.mmm`
    pub time: String,
    /// Who said it.
    pub speaker: Speaker,
    /// What was said, escaped for display (in the language in use, for the
    /// tab's own words). For the dialogue's bytes, see [`Line::shown`].
    pub text: String,
    /// The dialogue's bytes this line is about (a message from the server,
    /// or a name sent), for the display encoding and the hex view.
    pub payload: Option<Payload>,
    /// The tab's own words, kept to write them again when the language
    /// changes; `None` for the dialogue's bytes, which are never translated.
    note: Option<Note>,
}

/// The bytes of a line of the dialogue.
#[derive(Clone, Debug)]
pub enum Payload {
    /// A message from the server.
    Message(ServerMessage),
    /// Bytes this tab sent.
    Sent(Bytes),
}

impl Payload {
    /// The exact bytes.
    pub fn bytes(&self) -> Bytes {
        match self {
            Payload::Message(message) => message.to_bytes(),
            Payload::Sent(bytes) => bytes.clone(),
        }
    }
}

impl Line {
    /// The line as shown: the dialogue's bytes in the display encoding
    /// chosen now, or the tab's own words.
    pub fn shown(&self) -> Cow<'_, str> {
        match &self.payload {
            Some(Payload::Sent(bytes)) => Cow::Owned(bytes_view::shown(bytes)),
            Some(Payload::Message(message)) => match message_text(message) {
                Ok(text) => Cow::Owned(text),
                Err(_) => Cow::Borrowed(&self.text),
            },
            None => Cow::Borrowed(&self.text),
        }
    }
}

/// Words the tab writes into its conversation itself (not the dialogue's
/// bytes), written in the language in use.
#[derive(Clone, Debug)]
enum Note {
    /// Connecting to this target.
    Connecting(String),
    /// Connected, from our address to the server's.
    Connected { local: SocketAddr, peer: SocketAddr },
    /// The server's end is held in SYN_RECV.
    PeerHeld,
    /// The server's end left SYN_RECV for this state.
    PeerMoved(TcpState),
    /// Closed, for this reason.
    Closed(CloseReason),
    /// Bytes that are not the dialogue's, escaped.
    Unexpected(String),
}

impl Note {
    /// The words, in the language in use.
    fn text(&self) -> String {
        match self {
            Note::Connecting(target) => t!("client.note.connecting", target = target),
            Note::Connected { local, peer } => {
                t!("client.note.connected", local = local, peer = peer)
            }
            Note::PeerHeld => t!("client.note.peer_held"),
            Note::PeerMoved(state) => t!("client.note.peer_moved", state = state),
            Note::Closed(reason) => t!("client.note.closed", reason = close_reason(reason)),
            Note::Unexpected(bytes) => t!("client.note.unexpected", bytes = bytes),
        }
        .into_owned()
    }
}

/// Why a typed target is not one, in the language in use.
fn target_error(error: &ConfigError) -> Cow<'static, str> {
    match error {
        ConfigError::BadPort(text) => t!("client.target_error.bad_port", text = text),
        ConfigError::BadAddress(text) => t!("client.target_error.bad_address", text = text),
        ConfigError::BadTarget(text) => t!("client.target_error.bad_target", text = text),
        ConfigError::EmptyHost => t!("client.target_error.empty_host"),
        // Not made by parsing a target; its English words as they come.
        other @ ConfigError::BadNumber { .. } => Cow::Owned(other.to_string()),
    }
}

/// One client tab.
pub struct ClientTab {
    /// A number for this tab, stable while it is open (for widget ids).
    pub key: u64,
    /// The server to connect to, as typed.
    pub target: String,
    target_error: Option<ConfigError>,
    client: Option<Client>,
    state: TabState,
    conversation: Vec<Line>,
    /// True while the server waits for a name.
    your_turn: bool,
    /// The name being typed.
    pub name: String,
    /// Shows the hint that an empty name is not sent.
    hint: bool,
    focus_name: bool,
    /// The socket's real TCP state, as the kernel last reported it.
    tcp: Option<TcpView>,
    /// The local address of the current (or last) connection.
    local: Option<SocketAddr>,
    /// Conversation or diagram.
    pub view: TabView,
    /// Step mode, shared with the server panel.
    gate: Arc<StepGate>,
    /// In step mode: the step this tab's client waits to take.
    held: Option<String>,
    /// The server's end was seen held in SYN_RECV and has not moved on yet.
    peer_held: bool,
    /// The client's socket call and line of code.
    follow: Follow,
    /// Which script the code view shows: this tab's (the client's) or its
    /// server thread's.
    code_side: Script,
    /// The code views' own state (the line clicked), client and server.
    code: [CodeView; 2],
    /// The language the conversation's notes are written in.
    language: Language,
    /// The conversation line whose bytes are shown, if any.
    inspected: Option<usize>,
}

impl ClientTab {
    /// A tab that will connect to `target`, holding its steps at `gate`
    /// while step mode is on.
    pub fn new(key: u64, target: String, gate: Arc<StepGate>) -> Self {
        ClientTab {
            key,
            target,
            target_error: None,
            client: None,
            state: TabState::New,
            conversation: Vec::new(),
            your_turn: false,
            name: String::new(),
            hint: false,
            focus_name: false,
            tcp: None,
            local: None,
            view: TabView::Conversation,
            gate,
            held: None,
            peer_held: false,
            follow: Follow::new(Role::Client),
            code_side: Script::Server,
            code: Default::default(),
            language: Language::current(),
            inspected: None,
        }
    }

    /// The client's socket call and line of code.
    pub fn follow(&self) -> &Follow {
        &self.follow
    }

    /// The title of the tab: its connection's label (`tab-N`), as in the
    /// transcript, or `new client` before the first connection.
    pub fn title(&self) -> String {
        match &self.client {
            Some(client) => client.origin().label(),
            None => t!("client.new_title").into_owned(),
        }
    }

    /// The origin of this tab's current (or last) connection.
    pub fn origin(&self) -> Option<Origin> {
        self.client.as_ref().map(Client::origin)
    }

    /// The state of the connection.
    pub fn state(&self) -> &TabState {
        &self.state
    }

    /// The conversation so far.
    pub fn conversation(&self) -> &[Line] {
        &self.conversation
    }

    /// In step mode, the step this tab's client waits to take.
    pub fn held(&self) -> Option<&str> {
        self.held.as_deref()
    }

    /// The local address of the current (or last) connection.
    pub fn local(&self) -> Option<SocketAddr> {
        self.local
    }

    /// The socket's real TCP state, if the kernel reported one.
    pub fn tcp(&self) -> Option<TcpView> {
        self.tcp
    }

    /// True while the server waits for this tab's name.
    pub fn is_your_turn(&self) -> bool {
        self.your_turn
    }

    /// True while connecting or connected.
    pub fn is_active(&self) -> bool {
        matches!(
            self.state,
            TabState::Connecting(_) | TabState::Connected { .. }
        )
    }

    /// Connects to the target typed in the tab.
    pub fn connect(&mut self, events: &EventSender) {
        match ClientConfig::for_target(&self.target) {
            Ok(config) => {
                self.target_error = None;
                self.tcp = None;
                self.your_turn = false;
                self.hint = false;
                self.follow = Follow::new(Role::Client);
                self.client = Some(Client::connect_with_gate(
                    config,
                    events.clone(),
                    Arc::clone(&self.gate),
                ));
            }
            Err(e) => self.target_error = Some(e),
        }
    }

    /// Closes the connection.
    pub fn disconnect(&mut self) {
        if let Some(client) = &self.client {
            client.disconnect();
        }
    }

    /// Puts the cursor in the name field on the next frame, if the server
    /// is waiting for a name (e.g. when the user switches to this tab).
    pub fn focus_name_field(&mut self) {
        self.focus_name = self.your_turn;
    }

    /// Sends the typed name, unless it is empty.
    pub fn send_name(&mut self) {
        let Some(client) = &self.client else { return };
        if self.name.is_empty() {
            self.hint = true;
            self.focus_name = true;
            return;
        }
        client.send_name(std::mem::take(&mut self.name));
        self.your_turn = false;
        self.hint = false;
    }

    /// Applies an event of this tab's connection.
    pub fn apply(&mut self, event: &NetEvent) {
        self.follow.apply(&event.kind);
        // Any other event means the held step was taken, except what other
        // threads report about the connection meanwhile (states, segments).
        self.held = match &event.kind {
            EventKind::Held { step } => Some(step.clone()),
            EventKind::TcpState { .. }
            | EventKind::PeerTcpState { .. }
            | EventKind::Segment { .. }
            | EventKind::CallStart { .. }
            | EventKind::CallEnd { .. } => self.held.take(),
            _ => None,
        };
        let time = event
            .time
            .with_timezone(&Local)
            .format("%H:%M:%S%.3f")
            .to_string();
        let (speaker, note) = match &event.kind {
            EventKind::Connecting { target } => {
                self.state = TabState::Connecting(target.clone());
                (Speaker::Note, Note::Connecting(target.clone()))
            }
            EventKind::Connected { local, peer } => {
                self.local = Some(*local);
                self.state = TabState::Connected {
                    local: *local,
                    peer: *peer,
                };
                (
                    Speaker::Note,
                    Note::Connected {
                        local: *local,
                        peer: *peer,
                    },
                )
            }
            EventKind::Message { message } => {
                if *message == ServerMessage::Prompt {
                    self.your_turn = true;
                    self.focus_name = true;
                }
                let payload = Some(Payload::Message(message.clone()));
                match message_text(message) {
                    Ok(text) => return self.push(time, Speaker::Server, text, None, payload),
                    Err(note) => {
                        let text = note.text();
                        return self.push(time, Speaker::Server, text, Some(note), payload);
                    }
                }
            }
            EventKind::Sent { bytes } => {
                let text = bytes_view::shown(bytes);
                return self.push(
                    time,
                    Speaker::You,
                    text,
                    None,
                    Some(Payload::Sent(bytes.clone())),
                );
            }
            EventKind::TcpState { .. } => {
                self.tcp = TcpView::from_event(&event.kind);
                return;
            }
            // Worth a line only when the server's end was held in SYN_RECV;
            // normally it passes through in microseconds.
            EventKind::PeerTcpState {
                state: TcpState::SynRecv,
            } => {
                self.peer_held = true;
                (Speaker::Note, Note::PeerHeld)
            }
            EventKind::PeerTcpState { state } if self.peer_held => {
                self.peer_held = false;
                (Speaker::Note, Note::PeerMoved(*state))
            }
            EventKind::Closed { reason } => {
                self.state = TabState::Closed(reason.clone());
                self.your_turn = false;
                (Speaker::Note, Note::Closed(reason.clone()))
            }
            _ => return,
        };
        self.push(time, speaker, note.text(), Some(note), None);
    }

    /// Adds a line to the conversation.
    fn push(
        &mut self,
        time: String,
        speaker: Speaker,
        text: String,
        note: Option<Note>,
        payload: Option<Payload>,
    ) {
        // Every note in one language, even if it changed while the tab was
        // not shown.
        self.follow_language();
        self.conversation.push(Line {
            time,
            speaker,
            text,
            payload,
            note,
        });
    }

    /// Writes the conversation's notes again if the language has changed
    /// since they were written (once per change, not every frame).
    fn follow_language(&mut self) {
        let language = Language::current();
        if language == self.language {
            return;
        }
        self.language = language;
        for line in &mut self.conversation {
            if let Some(note) = &line.note {
                line.text = note.text();
            }
        }
    }

    /// Draws the tab; `data` is what the window knows of the connection.
    pub fn ui(&mut self, ui: &mut egui::Ui, events: &EventSender, data: TabData) {
        self.follow_language();
        ui.horizontal(|ui| {
            let label = ui.label(t!("client.server"));
            ui.add_enabled(
                !self.is_active(),
                egui::TextEdit::singleline(&mut self.target).desired_width(180.0),
            )
            .labelled_by(label.id)
            .on_hover_text(t!("client.target_hover"));
            if self.is_active() {
                if ui.button(t!("client.disconnect")).clicked() {
                    self.disconnect();
                }
            } else if ui.button(t!("client.connect")).clicked() {
                self.connect(events);
            }
        });
        if let Some(error) = &self.target_error {
            ui.colored_label(ui.visuals().error_fg_color, target_error(error));
        }
        if let Some(step) = &self.held {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                t!("client.step_held", step = step),
            );
        }
        let state_text = self.state.describe();
        // Wrapped, so the call moves to a line of its own in a narrow tab.
        ui.horizontal_wrapped(|ui| {
            match &self.state {
                TabState::Closed(reason) if *reason != CloseReason::Exit => {
                    ui.colored_label(ui.visuals().error_fg_color, state_text);
                }
                _ => {
                    ui.label(state_text);
                }
            }
            if let Some(tcp) = &self.tcp {
                ui.separator();
                ui.label(t!("client.tcp_state"));
                ui.label(egui::RichText::new(tcp.text()).monospace().strong())
                    .on_hover_text(tcp.hover(&t!("client.tcp_state_hover")));
            }
            if self.client.is_some() {
                ui.separator();
                ui.label(self.follow.describe())
                    .on_hover_text(t!("client.call_hover"));
            }
        });
        ui.separator();
        self.name_ui(ui);
        ui.separator();
        ui.horizontal(|ui| {
            ui.selectable_value(
                &mut self.view,
                TabView::Conversation,
                t!("client.view.conversation"),
            );
            ui.selectable_value(&mut self.view, TabView::Diagram, t!("client.view.diagram"));
            ui.selectable_value(&mut self.view, TabView::Code, t!("client.view.code"));
        });
        match (self.view, data.diagram) {
            (TabView::Diagram, Some(diagram)) => {
                if let Some(note) = &diagram.capture_note {
                    ui.label(egui::RichText::new(t!("client.capture_note", note = note)).small());
                }
                super::diagram::ui(ui, &diagram.rows, &self.title(), &diagram.server_title);
            }
            (TabView::Diagram, None) => {
                ui.label(t!("client.diagram_later"));
            }
            (TabView::Code, _) => self.code_ui(ui, data.server_spot, &data.server_caption),
            (TabView::Conversation, _) => self.conversation_ui(ui),
        }
    }

    /// The tutorial-style code of one end of the connection (the user
    /// picks which), at the line its thread is executing.
    fn code_ui(&mut self, ui: &mut egui::Ui, server_spot: Option<Spot>, server_caption: &str) {
        let title = self.title();
        ui.horizontal(|ui| {
            ui.selectable_value(
                &mut self.code_side,
                Script::Server,
                t!("client.code.server"),
            )
            .on_hover_text(t!("client.code.server_hover"));
            ui.selectable_value(
                &mut self.code_side,
                Script::Client,
                t!("client.code.client"),
            )
            .on_hover_text(t!("client.code.client_hover", title = title));
        });
        match self.code_side {
            Script::Server => {
                self.code[1].ui(ui, Script::Server, server_spot, Some(server_caption))
            }
            Script::Client => {
                let caption = t!(
                    "client.code.caption",
                    title = title,
                    call = self.follow.describe()
                );
                let spot = self.follow.spot();
                self.code[0].ui(ui, Script::Client, spot, Some(&caption));
            }
        }
    }

    fn name_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label(t!("client.name.label"));
            let field = ui
                .add_enabled(
                    self.your_turn,
                    egui::TextEdit::singleline(&mut self.name)
                        .desired_width(220.0)
                        .hint_text(if self.your_turn {
                            t!("client.name.hint_turn")
                        } else {
                            t!("client.name.hint_wait")
                        }),
                )
                .labelled_by(label.id);
            if self.focus_name && self.your_turn {
                field.request_focus();
                self.focus_name = false;
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let send = ui.add_enabled(self.your_turn, egui::Button::new(t!("client.name.send")));
            if (enter || send.clicked()) && self.your_turn {
                self.send_name();
            }
        });
        if self.hint {
            ui.colored_label(ui.visuals().warn_fg_color, t!("client.name.empty_hint"));
        }
    }

    fn conversation_ui(&mut self, ui: &mut egui::Ui) {
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 2.0;
        // Looked up once, not for every row.
        let server = t!("client.who.server");
        let you = t!("client.who.you");
        let bytes_hint = t!("bytes.click_hint");
        let mut inspect = None;
        egui::ScrollArea::vertical()
            .id_salt(("conversation", self.key))
            .stick_to_bottom(true)
            .auto_shrink([false, false])
            .show_rows(ui, row_height, self.conversation.len(), |ui, range| {
                for (index, line) in self.conversation[range.clone()].iter().enumerate() {
                    let index = range.start + index;
                    let (who, color) = match line.speaker {
                        Speaker::Server => (&*server, ui.visuals().hyperlink_color),
                        Speaker::You => (&*you, ui.visuals().strong_text_color()),
                        Speaker::Note => ("·", ui.visuals().weak_text_color()),
                    };
                    ui.horizontal(|ui| {
                        ui.label(egui::RichText::new(&line.time).monospace().weak());
                        ui.label(egui::RichText::new(who).color(color).strong());
                        let text = egui::RichText::new(line.shown()).color(color);
                        if line.payload.is_some() {
                            // A line of the dialogue: click it to see its bytes.
                            let response = ui
                                .add(egui::Label::new(text).sense(egui::Sense::click()))
                                .on_hover_text(&*bytes_hint);
                            if response.clicked() {
                                inspect = Some(index);
                            }
                        } else {
                            ui.label(text);
                        }
                    });
                }
            });
        if inspect.is_some() {
            self.inspected = inspect;
        }
        self.bytes_window_ui(ui);
    }

    /// The hex view of the line clicked last, in a window of its own.
    fn bytes_window_ui(&mut self, ui: &mut egui::Ui) {
        let Some(line) = self.inspected.and_then(|i| self.conversation.get(i)) else {
            return;
        };
        let Some(bytes) = line.payload.as_ref().map(Payload::bytes) else {
            return;
        };
        let mut open = true;
        egui::Window::new(t!("bytes.window", line = line.shown()))
            .id(egui::Id::unique(("bytes of a line", self.key)))
            .open(&mut open)
            .resizable(true)
            .default_width(560.0)
            // Mid-window, away from the panels' controls; it can be moved.
            .default_pos(ui.ctx().content_rect().center() - egui::vec2(280.0, 120.0))
            .show(ui.ctx(), |ui| super::bytes_view::ui(ui, &bytes));
        if !open {
            self.inspected = None;
        }
    }
}

/// A server message as the conversation shows it: the dialogue's own words
/// (never translated), or a note about bytes that are not the dialogue's.
fn message_text(message: &ServerMessage) -> Result<String, Note> {
    match message {
        ServerMessage::Welcome => Ok("Welcome!".to_owned()),
        ServerMessage::Prompt => Ok("Whats your name?".to_owned()),
        ServerMessage::Hello(name) => Ok(format!("Hello {}!", bytes_view::shown(name))),
        ServerMessage::GoodBye => Ok("Good bye!".to_owned()),
        ServerMessage::Unexpected(bytes) => Err(Note::Unexpected(bytes_view::shown(bytes))),
    }
}
