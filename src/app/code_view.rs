//! The tutorial-style Python code, with each thread's current line.
//!
//! The network threads in [`crate::net`] make the same socket calls as a
//! short Python server and client would. This panel shows those two scripts
//! (written for this app, in the structure of the classic tutorial), marks
//! the line a selected thread is executing, and explains any clicked line in
//! English and in Simplified Chinese, including what the kernel does at that
//! moment.
//!
//! It only draws text: which thread is where comes from the caller, as a
//! [`Spot`].

use std::borrow::Cow;

use rust_i18n::t;

use super::lang::Language;

/// Which of the two scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Script {
    /// The server: an accept loop, one thread per client running `tcplink`.
    Server,
    /// The client: connect, then ask names until `exit`.
    Client,
}

/// What a thread can be doing, as far as the code panel cares. Each maps to
/// one line of one script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Spot {
    /// Server, main thread: `socket()`.
    Socket,
    /// Server, main thread: `bind()`.
    Bind,
    /// Server, main thread: `listen(5)`.
    Listen,
    /// Server, main thread: waiting in `accept()`.
    Accept,
    /// Server, main thread: starting the client's thread.
    StartThread,
    /// Server, client thread: sending `Welcome!\n`.
    SendWelcome,
    /// Server, client thread: sending `Whats your name?`.
    SendPrompt,
    /// Server, client thread: waiting in `recv(1024)` for a name.
    Recv,
    /// Server, client thread: sending `Hello N!\n`.
    SendHello,
    /// Server, client thread: sending `Good bye!\n`.
    SendGoodBye,
    /// Server, client thread: `close()`.
    Close,
    /// Client: `socket()`.
    ClientSocket,
    /// Client: `connect()`, i.e. the three-way handshake.
    Connect,
    /// Client: the first `recv(1024)`, for `Welcome!\n`.
    RecvWelcome,
    /// Client: `recv(1024)` for the prompt.
    RecvPrompt,
    /// Client: sending a name.
    SendName,
    /// Client: `recv(1024)` for the answer to a name.
    RecvReply,
    /// Client: `close()`.
    ClientClose,
}

impl Spot {
    /// The script this spot is in.
    pub fn script(self) -> Script {
        self.place().0
    }

    /// The index (0-based) of its line in that script. The panel shows
    /// line numbers from 1, as editors do, so this is the number shown − 1.
    pub fn line(self) -> usize {
        self.place().1
    }

    /// Script and line in one table, so the two can never disagree.
    fn place(self) -> (Script, usize) {
        use Script::{Client, Server};
        match self {
            Spot::SendWelcome => (Server, 6),
            Spot::SendPrompt => (Server, 8),
            Spot::Recv => (Server, 9),
            Spot::SendHello => (Server, 12),
            Spot::SendGoodBye => (Server, 13),
            Spot::Close => (Server, 14),
            Spot::Socket => (Server, 18),
            Spot::Bind => (Server, 19),
            Spot::Listen => (Server, 20),
            Spot::Accept => (Server, 23),
            Spot::StartThread => (Server, 25),
            Spot::ClientSocket => (Client, 2),
            Spot::Connect => (Client, 3),
            Spot::RecvWelcome => (Client, 4),
            Spot::RecvPrompt => (Client, 10),
            Spot::SendName => (Client, 18),
            Spot::RecvReply => (Client, 19),
            Spot::ClientClose => (Client, 21),
        }
    }
}

/// The server script. Its length is part of the type, so that its notes
/// cannot fall out of step with it.
const SERVER: [&str; 26] = [
    r"import socket",
    r"import threading",
    r"",
    r"",
    r"def tcplink(conn, addr):",
    r"    print('Accept new connection from %s:%s' % addr)",
    r"    conn.send(b'Welcome!\n')",
    r"    while True:",
    r"        conn.send(b'Whats your name?')",
    r"        data = conn.recv(1024)",
    r"        if not data or data == b'exit':",
    r"            break",
    r"        conn.send(b'Hello ' + data + b'!\n')",
    r"    conn.send(b'Good bye!\n')",
    r"    conn.close()",
    r"    print('Connection from %s:%s is closed' % addr)",
    r"",
    r"",
    r"s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
    r"s.bind(('127.0.0.1', 6000))",
    r"s.listen(5)",
    r"print('Waiting for connection...')",
    r"while True:",
    r"    conn, addr = s.accept()",
    r"    t = threading.Thread(target=tcplink, args=(conn, addr))",
    r"    t.start()",
];

/// The client script. A reply and the next prompt may arrive in one `recv`,
/// or a message in two: the loop keeps receiving until what it has ends
/// with the prompt's `?`, so it never waits for a prompt it already has.
const CLIENT: [&str; 22] = [
    r"import socket",
    r"",
    r"s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
    r"s.connect(('127.0.0.1', 6000))",
    r"data = s.recv(1024)",
    r"print(data.decode('utf-8', 'replace'), end='')",
    r"name = ''",
    r"while name != 'exit':",
    r"    # TCP may glue the prompt to the last message, or split it.",
    r"    if not data.endswith(b'?'):",
    r"        data = s.recv(1024)",
    r"        if not data:",
    r"            break",
    r"        print(data.decode('utf-8', 'replace'), end='')",
    r"        continue",
    r"    name = input(' ')",
    r"    if name == '':",
    r"        continue",
    r"    s.send(name.encode('utf-8'))",
    r"    data = s.recv(1024)",
    r"    print(data.decode('utf-8', 'replace'), end='')",
    r"s.close()",
];

/// An explanation: the key of its text in `assets/locales/diagram.yml`,
/// which holds it in English and in Chinese.
type Note = &'static str;

const BLANK: Note = "code_view.note.blank";
const BREAK: Note = "code_view.note.break";
const IMPORT_SOCKET: Note = "code_view.note.import_socket";
const PRINT_DATA: Note = "code_view.note.print_data";
/// For an index past the end of a script, instead of panicking.
const NO_LINE: Note = "code_view.note.no_line";

/// What each line of [`SERVER`] does, line by line.
const SERVER_NOTES: [Note; 26] = [
    IMPORT_SOCKET,
    "code_view.server.import_threading",
    BLANK,
    BLANK,
    "code_view.server.def_tcplink",
    "code_view.server.print_accepted",
    "code_view.server.send_welcome",
    "code_view.server.while_dialogue",
    "code_view.server.send_prompt",
    "code_view.server.recv_name",
    "code_view.server.if_done",
    BREAK,
    "code_view.server.send_hello",
    "code_view.server.send_good_bye",
    "code_view.server.close",
    "code_view.server.print_closed",
    BLANK,
    BLANK,
    "code_view.server.socket",
    "code_view.server.bind",
    "code_view.server.listen",
    "code_view.server.print_waiting",
    "code_view.server.accept_loop",
    "code_view.server.accept",
    "code_view.server.thread",
    "code_view.server.start",
];

/// What each line of [`CLIENT`] does, line by line.
const CLIENT_NOTES: [Note; 22] = [
    IMPORT_SOCKET,
    BLANK,
    "code_view.client.socket",
    "code_view.client.connect",
    "code_view.client.recv_welcome",
    PRINT_DATA,
    "code_view.client.no_name_yet",
    "code_view.client.while_not_exit",
    "code_view.client.comment",
    "code_view.client.if_no_prompt",
    "code_view.client.recv_more",
    "code_view.client.if_eof",
    BREAK,
    PRINT_DATA,
    "code_view.client.continue_prompt",
    "code_view.client.input",
    "code_view.client.if_empty",
    "code_view.client.continue_empty",
    "code_view.client.send_name",
    "code_view.client.recv_reply",
    PRINT_DATA,
    "code_view.client.close",
];

/// The lines of a script (source text, one entry per line).
pub fn lines(script: Script) -> &'static [&'static str] {
    match script {
        Script::Server => &SERVER,
        Script::Client => &CLIENT,
    }
}

/// The explanation of line `index` of `script`: (English, 中文),
/// whatever the window's language.
///
/// An index past the end gets a short "no such line" note, not a panic.
pub fn explain(script: Script, index: usize) -> (Cow<'static, str>, Cow<'static, str>) {
    let [english, chinese] = Language::ALL.map(|language| note(script, index, language));
    (english, chinese)
}

/// The key of the explanation of line `index` of `script`.
fn note_key(script: Script, index: usize) -> Note {
    let notes: &[Note] = match script {
        Script::Server => &SERVER_NOTES,
        Script::Client => &CLIENT_NOTES,
    };
    notes.get(index).copied().unwrap_or(NO_LINE)
}

/// The explanation of line `index` of `script` in `language`.
fn note(script: Script, index: usize, language: Language) -> Cow<'static, str> {
    t!(note_key(script, index), locale = language.code())
}

/// The window's language first, then the other: the code view explains
/// in both, for students who read the tutorial in one and the kernel's
/// documentation in the other.
fn both_languages() -> [Language; 2] {
    match Language::current() {
        Language::Chinese => [Language::Chinese, Language::English],
        Language::English => [Language::English, Language::Chinese],
    }
}

/// The panel's own state: which line the user clicked.
#[derive(Default)]
pub struct CodeView {
    /// The clicked line, if any. Clicking it again unselects it, so the
    /// explanation follows the thread again.
    selected: Option<(Script, usize)>,
    /// The spot highlighted last frame: when it changes, its line is
    /// scrolled into view once (not every frame, so the user can scroll).
    followed: Option<Spot>,
}

impl CodeView {
    /// Draws `script` with line numbers in a monospace font, the line of
    /// `highlight` (if it is in this script) highlighted with a "▶" in the
    /// gutter, each line clickable (selects it); below, the explanation of
    /// the selected line (or, if none is selected in this script, of the
    /// highlighted line) in the window's language, then in the other.
    ///
    /// `thread` is a caption such as "client-3 (server thread)" or "tab-2";
    /// `None` shows a hint to select one.
    ///
    /// Each line is a button labelled with its text as shown, e.g.
    /// `"▶ 24      conn, addr = s.accept()"` for the highlighted line and
    /// `"  20  s.bind(('127.0.0.1', 6000))"` for the others (marker, line
    /// number from 1 right-aligned in two columns, two spaces, the line).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        script: Script,
        highlight: Option<Spot>,
        thread: Option<&str>,
    ) {
        match thread {
            Some(thread) => ui.label(t!("code_view.following", thread = thread)),
            None => ui.weak(t!("code_view.select_thread")),
        };
        let current = highlight
            .filter(|spot| spot.script() == script)
            .map(Spot::line);
        let scroll_to_current = highlight != self.followed;
        self.followed = highlight;

        egui::ScrollArea::both()
            .id_salt(("code view", script))
            .max_height(ui.available_height() * 0.6)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                ui.spacing_mut().item_spacing.y = 0.0;
                for (index, code) in lines(script).iter().enumerate() {
                    let is_current = current == Some(index);
                    let response = self.line_ui(ui, script, index, code, is_current);
                    if is_current && scroll_to_current {
                        response.scroll_to_me(Some(egui::Align::Center));
                    }
                }
            });

        ui.separator();
        let shown = self
            .selected
            .filter(|(selected_script, _)| *selected_script == script)
            .map(|(_, index)| index)
            .or(current);
        egui::ScrollArea::vertical()
            .id_salt(("code view explanation", script))
            .auto_shrink([false, true])
            .show(ui, |ui| explanation_ui(ui, script, shown));
    }

    /// The selected line, if any.
    pub fn selected(&self) -> Option<(Script, usize)> {
        self.selected
    }

    /// One clickable line of code. The marker and the line number are part
    /// of the button's text, so a screen reader (and a test) reads them too.
    fn line_ui(
        &mut self,
        ui: &mut egui::Ui,
        script: Script,
        index: usize,
        code: &str,
        is_current: bool,
    ) -> egui::Response {
        let is_selected = self.selected == Some((script, index));
        let selection = ui.visuals().selection;
        let mut text = egui::RichText::new(line_label(index, code, is_current)).monospace();
        if is_current {
            text = text.color(selection.stroke.color).strong();
        }
        let mut button = egui::Button::new(text)
            .selected(is_selected)
            .frame_when_inactive(is_current || is_selected)
            .wrap_mode(egui::TextWrapMode::Extend)
            .min_size(egui::vec2(ui.available_width(), 0.0));
        // The running line gets the strong selection colour; a clicked line
        // only a faint one and an outline, so the two never look alike.
        if is_current {
            button = button.fill(selection.bg_fill);
        } else if is_selected {
            button = button.fill(selection.bg_fill.gamma_multiply(0.3));
        }
        if is_selected {
            button = button.stroke(selection.stroke);
        }
        let response = ui.add(button);
        if response.clicked() {
            self.selected = if is_selected {
                None
            } else {
                Some((script, index))
            };
        }
        response
    }
}

/// The text of one line as shown, and its accessible label: a "▶" in the
/// gutter when a thread is at this line, the line number from 1, the code.
fn line_label(index: usize, code: &str, is_current: bool) -> String {
    let marker = if is_current { "▶" } else { " " };
    format!("{marker} {:>2}  {code}", index + 1)
}

/// The explanation of line `shown` of `script`, or a hint when no line is
/// shown.
fn explanation_ui(ui: &mut egui::Ui, script: Script, shown: Option<usize>) {
    let Some(index) = shown else {
        for language in both_languages() {
            ui.weak(t!("code_view.click_a_line", locale = language.code()));
        }
        return;
    };
    let code = lines(script).get(index).copied().unwrap_or_default();
    let number = index + 1;
    ui.label(
        egui::RichText::new(t!("code_view.line", n = number, code = code.trim()))
            .monospace()
            .strong(),
    );
    for language in both_languages() {
        ui.label(note(script, index, language));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spot, with the call its line must contain.
    const SPOTS: [(Spot, &str); 18] = [
        (Spot::Socket, "socket.socket("),
        (Spot::Bind, "bind("),
        (Spot::Listen, "listen(5)"),
        (Spot::Accept, "accept("),
        (Spot::StartThread, "start("),
        (Spot::SendWelcome, "send(b'Welcome!"),
        (Spot::SendPrompt, "send(b'Whats your name?"),
        (Spot::Recv, "recv(1024)"),
        (Spot::SendHello, "Hello"),
        (Spot::SendGoodBye, "Good bye"),
        (Spot::Close, "close("),
        (Spot::ClientSocket, "socket.socket("),
        (Spot::Connect, "connect("),
        (Spot::RecvWelcome, "recv(1024)"),
        (Spot::RecvPrompt, "recv(1024)"),
        (Spot::SendName, "send("),
        (Spot::RecvReply, "recv(1024)"),
        (Spot::ClientClose, "close("),
    ];

    #[test]
    fn every_spot_line_makes_the_call_it_names() {
        for (spot, call) in SPOTS {
            let line = lines(spot.script()).get(spot.line()).copied();
            assert!(
                line.is_some_and(|line| line.contains(call)),
                "{spot:?} is line {} ({line:?}), which lacks {call:?}",
                spot.line()
            );
        }
    }

    #[test]
    fn spots_are_in_the_right_script() {
        for (spot, _) in &SPOTS[..11] {
            assert_eq!(spot.script(), Script::Server, "{spot:?}");
        }
        for (spot, _) in &SPOTS[11..] {
            assert_eq!(spot.script(), Script::Client, "{spot:?}");
        }
    }

    #[test]
    fn no_two_spots_share_a_line() {
        let mut seen = std::collections::HashSet::new();
        for (spot, _) in SPOTS {
            assert!(seen.insert((spot.script(), spot.line())), "{spot:?}");
        }
    }

    #[test]
    fn every_line_is_explained_in_both_languages() {
        for script in [Script::Server, Script::Client] {
            for index in 0..lines(script).len() {
                let (english, chinese) = explain(script, index);
                // An unknown key would come back as the key itself.
                let key = note_key(script, index);
                assert!(!english.trim().is_empty(), "{script:?} line {index}");
                assert_ne!(english, key, "{script:?} line {index} has no text");
                assert!(
                    chinese
                        .chars()
                        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{script:?} line {index} has no Chinese explanation"
                );
                assert_ne!(key, NO_LINE, "{script:?} line {index}");
            }
            assert_eq!(
                explain(script, lines(script).len()),
                ("There is no such line.".into(), "没有这一行。".into())
            );
        }
    }

    #[test]
    fn server_sends_the_exact_protocol_bytes() {
        let server = lines(Script::Server).join("\n");
        for bytes in [r"b'Welcome!\n'", r"b'Whats your name?'", r"b'Good bye!\n'"] {
            assert!(server.contains(bytes), "{bytes} is missing");
        }
        assert!(server.contains(r"b'Hello ' + data + b'!\n'"));
    }

    #[test]
    fn the_current_line_is_labelled_with_the_marker() {
        let accept = Spot::Accept.line();
        let code = lines(Script::Server)[accept];
        assert_eq!(
            line_label(accept, code, true),
            "▶ 24      conn, addr = s.accept()"
        );
        assert_eq!(
            line_label(19, lines(Script::Server)[19], false),
            "  20  s.bind(('127.0.0.1', 6000))"
        );
    }

    #[test]
    fn both_scripts_stop_on_an_empty_recv() {
        for script in [Script::Server, Script::Client] {
            assert!(
                lines(script)
                    .iter()
                    .any(|line| line.contains("if not data"))
            );
        }
    }

    #[test]
    fn the_chinese_notes_use_the_course_terms() {
        let all: String = [Script::Server, Script::Client]
            .into_iter()
            .flat_map(|script| (0..lines(script).len()).map(move |i| explain(script, i).1))
            .collect();
        for term in [
            "服务器",
            "客户端",
            "套接字",
            "线程",
            "监听",
            "接受连接",
            "连接",
            "发送",
            "接收",
            "三次握手",
            "四次挥手",
            "序列号",
            "确认号",
            "半关闭",
            "端口",
            "挂起的最大连接数",
        ] {
            assert!(all.contains(term), "{term} is not used");
        }
    }
}
