//! One client tab: a connection and its dialogue, shown as a conversation.
//!
//! The tab behaves like the tutorial's client: it connects, shows what the
//! server says, and when the server asks `Whats your name?` the name field
//! takes the focus. Enter sends the name; an empty name is not sent (the
//! tutorial's client asks again); `exit` ends the dialogue.

use std::net::SocketAddr;

use chrono::Local;

use std::sync::Arc;

use super::code_view::{CodeView, Script, Spot};
use super::follow::{Follow, Role};
use super::tcp_view::TcpView;
use crate::net::gate::StepGate;
use crate::net::tcp_state::TcpState;

use crate::net::{
    Client, ClientConfig, CloseReason, EventKind, EventSender, NetEvent, Origin, ServerMessage,
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
    /// The state in a few words.
    pub fn describe(&self) -> String {
        match self {
            TabState::New => "not connected".to_owned(),
            TabState::Connecting(target) => format!("connecting to {target}…"),
            TabState::Connected { local, peer } => format!("connected from {local} to {peer}"),
            TabState::Closed(reason) => format!("closed: {reason}"),
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
    /// What was said, escaped for display.
    pub text: String,
}

/// One client tab.
pub struct ClientTab {
    /// A number for this tab, stable while it is open (for widget ids).
    pub key: u64,
    /// The server to connect to, as typed.
    pub target: String,
    target_error: Option<String>,
    client: Option<Client>,
    state: TabState,
    conversation: Vec<Line>,
    /// True while the server waits for a name.
    your_turn: bool,
    /// The name being typed.
    pub name: String,
    hint: Option<String>,
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
            hint: None,
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
            None => "new client".to_owned(),
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
                self.hint = None;
                self.follow = Follow::new(Role::Client);
                self.client = Some(Client::connect_with_gate(
                    config,
                    events.clone(),
                    Arc::clone(&self.gate),
                ));
            }
            Err(e) => self.target_error = Some(e.to_string()),
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
            self.hint = Some(
                "Type a name first: an empty name is not sent, the server would only ask again."
                    .to_owned(),
            );
            self.focus_name = true;
            return;
        }
        client.send_name(std::mem::take(&mut self.name));
        self.your_turn = false;
        self.hint = None;
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
        let (speaker, text) = match &event.kind {
            EventKind::Connecting { target } => {
                self.state = TabState::Connecting(target.clone());
                (Speaker::Note, format!("connecting to {target}…"))
            }
            EventKind::Connected { local, peer } => {
                self.local = Some(*local);
                self.state = TabState::Connected {
                    local: *local,
                    peer: *peer,
                };
                (Speaker::Note, format!("connected from {local} to {peer}"))
            }
            EventKind::Message { message } => {
                if *message == ServerMessage::Prompt {
                    self.your_turn = true;
                    self.focus_name = true;
                }
                (Speaker::Server, message_text(message))
            }
            EventKind::Sent { bytes } => (Speaker::You, bytes.escaped()),
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
                (
                    Speaker::Note,
                    "the server's end is held in SYN_RECV (deferred accept): its kernel \
                     ignores our ACK, so accept() cannot return it yet"
                        .to_owned(),
                )
            }
            EventKind::PeerTcpState { state } if self.peer_held => {
                self.peer_held = false;
                (
                    Speaker::Note,
                    format!("the server's end is now {state}: accept() can return it"),
                )
            }
            EventKind::Closed { reason } => {
                self.state = TabState::Closed(reason.clone());
                self.your_turn = false;
                (Speaker::Note, format!("closed: {reason}"))
            }
            _ => return,
        };
        self.conversation.push(Line {
            time,
            speaker,
            text,
        });
    }

    /// Draws the tab; `data` is what the window knows of the connection.
    pub fn ui(&mut self, ui: &mut egui::Ui, events: &EventSender, data: TabData) {
        ui.horizontal(|ui| {
            let label = ui.label("Server");
            ui.add_enabled(
                !self.is_active(),
                egui::TextEdit::singleline(&mut self.target).desired_width(180.0),
            )
            .labelled_by(label.id)
            .on_hover_text("HOST:PORT, e.g. 127.0.0.1:6000 or localhost:6000");
            if self.is_active() {
                if ui.button("Disconnect").clicked() {
                    self.disconnect();
                }
            } else if ui.button("Connect").clicked() {
                self.connect(events);
            }
        });
        if let Some(error) = &self.target_error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if let Some(step) = &self.held {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("Step mode: this client waits before {step} (press Next step)"),
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
                ui.label("TCP state");
                ui.label(egui::RichText::new(tcp.text()).monospace().strong())
                    .on_hover_text("This socket's real TCP state, read from the kernel");
            }
            if self.client.is_some() {
                ui.separator();
                ui.label(self.follow.describe())
                    .on_hover_text("The socket call this tab's reader thread is in");
            }
        });
        ui.separator();
        self.name_ui(ui);
        ui.separator();
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.view, TabView::Conversation, "Conversation");
            ui.selectable_value(&mut self.view, TabView::Diagram, "Diagram");
            ui.selectable_value(&mut self.view, TabView::Code, "Code");
        });
        match (self.view, data.diagram) {
            (TabView::Diagram, Some(diagram)) => {
                if let Some(note) = &diagram.capture_note {
                    ui.label(egui::RichText::new(format!("Real segments: {note}")).small());
                }
                super::diagram::ui(ui, &diagram.rows, &self.title(), &diagram.server_title);
            }
            (TabView::Diagram, None) => {
                ui.label("The diagram appears once this tab has connected.");
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
            ui.selectable_value(&mut self.code_side, Script::Server, "Server code")
                .on_hover_text(
                    "The server thread that serves this tab (or the listener before one does)",
                );
            ui.selectable_value(&mut self.code_side, Script::Client, "Client code")
                .on_hover_text(format!("This tab's own client, {title}"));
        });
        match self.code_side {
            Script::Server => {
                self.code[1].ui(ui, Script::Server, server_spot, Some(server_caption))
            }
            Script::Client => {
                let caption = format!("{title} (this tab): {}", self.follow.describe());
                let spot = self.follow.spot();
                self.code[0].ui(ui, Script::Client, spot, Some(&caption));
            }
        }
    }

    fn name_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Your name");
            let field = ui
                .add_enabled(
                    self.your_turn,
                    egui::TextEdit::singleline(&mut self.name)
                        .desired_width(220.0)
                        .hint_text(if self.your_turn {
                            "type a name, or exit"
                        } else {
                            "wait for the server to ask"
                        }),
                )
                .labelled_by(label.id);
            if self.focus_name && self.your_turn {
                field.request_focus();
                self.focus_name = false;
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let send = ui.add_enabled(self.your_turn, egui::Button::new("Send"));
            if (enter || send.clicked()) && self.your_turn {
                self.send_name();
            }
        });
        if let Some(hint) = &self.hint {
            ui.colored_label(ui.visuals().warn_fg_color, hint);
        }
    }

    fn conversation_ui(&self, ui: &mut egui::Ui) {
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 2.0;
        egui::ScrollArea::vertical()
            .id_salt(("conversation", self.key))
            .stick_to_bottom(true)
            .auto_shrink([false, false])
            .show_rows(ui, row_height, self.conversation.len(), |ui, range| {
                for line in &self.conversation[range] {
                    let (who, color) = match line.speaker {
                        Speaker::Server => ("Server", ui.visuals().hyperlink_color),
                        Speaker::You => ("You", ui.visuals().strong_text_color()),
                        Speaker::Note => ("·", ui.visuals().weak_text_color()),
                    };
                    ui.horizontal(|ui| {
                        ui.label(egui::RichText::new(&line.time).monospace().weak());
                        ui.label(egui::RichText::new(who).color(color).strong());
                        ui.label(egui::RichText::new(&line.text).color(color));
                    });
                }
            });
    }
}

/// A server message as the conversation shows it.
fn message_text(message: &ServerMessage) -> String {
    match message {
        ServerMessage::Welcome => "Welcome!".to_owned(),
        ServerMessage::Prompt => "Whats your name?".to_owned(),
        ServerMessage::Hello(name) => format!("Hello {}!", name.escaped()),
        ServerMessage::GoodBye => "Good bye!".to_owned(),
        ServerMessage::Unexpected(bytes) => format!("(unexpected bytes) {}", bytes.escaped()),
    }
}
