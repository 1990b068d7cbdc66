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

/// An explanation: (English, 中文).
type Note = (&'static str, &'static str);

const BLANK: Note = (
    "Python: an empty line, only to make the code easier to read.",
    "Python：空行，只为了让代码更易读。",
);
const BREAK: Note = (
    "Python: leaves the while loop.",
    "Python：跳出 while 循环。",
);
const IMPORT_SOCKET: Note = (
    "Python: imports the socket module, a thin wrapper over the operating system's socket API.",
    "Python：导入 socket 模块，它是对操作系统套接字接口的一层薄封装。",
);
const PRINT_DATA: Note = (
    "Python: shows what arrived. decode() turns bytes into text; 'replace' avoids an error \
     when a recv ended in the middle of a character (张 is 3 bytes in UTF-8).",
    "Python：显示收到的内容。decode() 把字节转换为文字；如果一次接收恰好在一个字符中间结束\
     （张 在 UTF-8 中占 3 个字节），'replace' 可以避免出错。",
);
/// For an index past the end of a script, instead of panicking.
const NO_LINE: Note = ("There is no such line.", "没有这一行。");

/// What each line of [`SERVER`] does, line by line.
const SERVER_NOTES: [Note; 26] = [
    IMPORT_SOCKET,
    (
        "Python: imports threading, so that each client can be served by its own thread.",
        "Python：导入 threading 模块，让每个客户端由自己的线程服务。",
    ),
    BLANK,
    BLANK,
    (
        "Python: defines tcplink, the function each client thread runs. conn is the connected \
         socket of this one client; addr is the client's (IP address, port).",
        "Python：定义 tcplink 函数，每个客户端线程都运行它。conn 是与这一个客户端连接的套接字，\
         addr 是客户端的（IP 地址, 端口）。",
    ),
    (
        "Python: prints the client's address and port. Nothing goes over the network: the \
         connection already exists.",
        "Python：打印客户端的地址和端口。网络上没有任何动作：连接已经建立好了。",
    ),
    (
        "send() copies the 9 bytes of Welcome!\\n into the kernel's send buffer and returns at \
         once: it does not wait for the client. The kernel sends them in a segment whose \
         sequence number says where they are in the stream, and the client's kernel \
         acknowledges them.",
        "send() 把 Welcome!\\n 这 9 个字节复制到内核的发送缓冲区后立即返回：它不等待客户端。\
         内核把它们放进一个报文段发送，序列号表明它们在字节流中的位置，客户端的内核用确认号确认收到。",
    ),
    (
        "Python: repeats the dialogue (ask, receive, answer) until the client says exit or goes \
         away.",
        "Python：重复这段对话（提问、接收、回答），直到客户端说 exit 或离开。",
    ),
    (
        "send() copies the prompt Whats your name? (16 bytes, no line break) into the send \
         buffer and returns. It may reach the client in the same recv as the message before it: \
         TCP carries a stream of bytes, not messages.",
        "send() 把提示 Whats your name?（16 个字节，没有换行）复制到发送缓冲区后立即返回。\
         它可能和前一条消息在客户端的同一次接收中一起到达：TCP 传送的是字节流，而不是一条条消息。",
    ),
    (
        "recv(1024) blocks this thread until the client's bytes arrive, then returns up to \
         1,024 of them. One recv may hold part of a message, or several glued together: TCP \
         keeps no message boundaries. It returns b'' when the client has closed its sending \
         side (its FIN arrived). Only this thread waits; the main thread keeps accepting.",
        "recv(1024) 阻塞这个线程，直到客户端的数据到达，然后最多返回 1024 个字节。一次接收可能\
         只得到一条消息的一部分，也可能得到粘在一起的几条：TCP 不保留消息边界。当客户端关闭了它的\
         发送方向（它的 FIN 到达，即半关闭）时，返回 b''。只有这个线程在等待；主线程仍在接受连接。",
    ),
    (
        "Python: b'' means the client closed its side, so nothing more will come; exit means \
         the client wants to leave. Either way the dialogue ends. The name is compared as \
         bytes and never decoded.",
        "Python：b'' 表示客户端关闭了它那一侧，不会再有数据；exit 表示客户端想离开。两种情况都\
         结束对话。名字按字节比较，从不解码。",
    ),
    BREAK,
    (
        "send() copies Hello, the name exactly as received, and !\\n into the send buffer, and \
         returns. The answer is built from bytes, so any name (张三 too) comes back unchanged.",
        "send() 把 Hello、原样收到的名字和 !\\n 复制到发送缓冲区后返回。回答由字节拼成，\
         所以任何名字（包括 张三）都会原样发送回去。",
    ),
    (
        "send() copies Good bye!\\n into the send buffer and returns. If the loop ended with b'', \
         the client may be gone: the kernel still takes the bytes, and the client's kernel \
         answers RST if its socket is fully closed.",
        "send() 把 Good bye!\\n 复制到发送缓冲区后返回。如果循环是因为 b'' 结束的，客户端可能已经\
         离开：内核仍然接收这些字节，而如果客户端的套接字已完全关闭，它的内核会回复 RST。",
    ),
    (
        "close() gives the socket back to the kernel, which sends FIN after the bytes still in \
         the send buffer (Good bye is not lost). This starts the four-way close: FIN, ACK, FIN, \
         ACK. The side that closes first ends in TIME_WAIT (60 s on Linux); after exit, that is \
         the server.",
        "close() 把套接字交还给内核；内核先发完发送缓冲区里剩下的字节（Good bye 不会丢失），再发送 \
         FIN。四次挥手由此开始：FIN、ACK、FIN、ACK。先关闭的一方最后进入 TIME_WAIT（Linux 上为 \
         60 秒）；客户端说 exit 之后，先关闭的是服务器。",
    ),
    (
        "Python: prints that this client is done. The thread returns from tcplink and ends; \
         the other clients' threads are not affected.",
        "Python：打印这个客户端已结束。线程从 tcplink 返回并结束；其他客户端的线程不受影响。",
    ),
    BLANK,
    BLANK,
    (
        "socket() asks the kernel for a new socket: AF_INET means IPv4, SOCK_STREAM means TCP. \
         It returns a file descriptor; no packet is sent and no port is taken yet.",
        "socket() 向内核申请一个新的套接字：AF_INET 表示 IPv4，SOCK_STREAM 表示 TCP。它返回一个\
         文件描述符；此时不发送任何数据包，也还没有占用端口。",
    ),
    (
        "bind() gives the socket its local address: 127.0.0.1 (reachable from this machine \
         only), port 6000. It fails with \"Address already in use\" while another socket holds \
         the port, e.g. a running server or, without SO_REUSEADDR, a connection of an earlier \
         run still in TIME_WAIT.",
        "bind() 给套接字绑定本地地址：127.0.0.1（只有本机可以连接），端口 6000。如果端口被另一个\
         套接字占用，就会报错 “Address already in use”，例如服务器正在运行，或者（没有设置 \
         SO_REUSEADDR 时）上一次运行的连接还处于 TIME_WAIT。",
    ),
    (
        "listen(5) turns the socket into a listening socket. From now on the kernel itself \
         answers SYNs and completes three-way handshakes, even while the program is busy, and \
         queues the finished connections until accept() takes them. 5 is the backlog: how many \
         may wait in that queue; when it is full, new clients must wait and retry.",
        "listen(5) 把套接字变成监听套接字。从此由内核自己回应 SYN、完成三次握手（即使程序正忙），\
         并把已完成的连接排进队列，等待 accept() 取走。5 是 backlog，即挂起的最大连接数：\
         队列满了以后，新的客户端只能等待并重试。",
    ),
    (
        "Python: prints a message. The server can already be reached: the kernel completes \
         handshakes from now on.",
        "Python：打印一条消息。服务器此时已经可以连接：从现在起内核就会完成握手。",
    ),
    (
        "Python: the accept loop. The main thread only takes connections and hands each one \
         to a new thread.",
        "Python：接受连接的循环。主线程只负责取出连接，并把每个连接交给一个新线程。",
    ),
    (
        "accept() blocks until the queue holds a connection, then returns it. The kernel has \
         already finished its three-way handshake (SYN, SYN+ACK, ACK): accept only takes the \
         result. conn is a new socket for this one client; addr is its (IP, port). The \
         listening socket s stays open for the next clients.",
        "accept() 阻塞，直到队列中有连接，然后返回它。内核早已完成了这个连接的三次握手（SYN、\
         SYN+ACK、ACK）：接受连接只是取走结果。conn 是专门用于这个客户端的新套接字，addr 是它的\
         （IP, 端口）。监听套接字 s 仍然打开，等待下一个客户端。",
    ),
    (
        "Python: prepares a thread that will run tcplink(conn, addr). It does not run yet.",
        "Python：准备一个将运行 tcplink(conn, addr) 的线程。它还没有开始运行。",
    ),
    (
        "start() starts the thread and returns at once. The new thread talks to this client, \
         while the main thread goes straight back to accept(): many clients are served at the \
         same time.",
        "start() 启动线程并立即返回。新线程负责和这个客户端对话，主线程则马上回到 accept()：\
         多个客户端可以同时得到服务。",
    ),
];

/// What each line of [`CLIENT`] does, line by line.
const CLIENT_NOTES: [Note; 22] = [
    IMPORT_SOCKET,
    BLANK,
    (
        "socket() asks the kernel for a new TCP socket (AF_INET: IPv4, SOCK_STREAM: TCP). No \
         packet is sent. The client does not call bind(): connect() picks a free local port.",
        "socket() 向内核申请一个新的 TCP 套接字（AF_INET：IPv4，SOCK_STREAM：TCP）。此时不发送\
         数据包。客户端不调用 bind()：connect() 会选一个空闲的本地端口。",
    ),
    (
        "connect() starts the three-way handshake: the kernel picks a free local port and sends \
         SYN with its initial sequence number. The server's kernel answers SYN+ACK (its own \
         sequence number, and the acknowledgment number ours + 1); this kernel sends ACK and \
         connect() returns. The server program did not need to call accept() for this. If \
         nothing listens on the port, the answer is RST: \"Connection refused\".",
        "connect() 发起三次握手：内核选一个空闲的本地端口，发送带有初始序列号的 SYN。服务器的内核\
         回复 SYN+ACK（带有它自己的序列号，以及确认号 = 我们的序列号 + 1）；本机内核再发送 ACK，\
         connect() 返回，连接建立。服务器程序不必为此调用 accept()。如果该端口上没有程序在监听，\
         对方回复 RST：“Connection refused”。",
    ),
    (
        "recv(1024) blocks until the server's first bytes arrive and returns up to 1,024 of \
         them: usually Welcome!\\n. TCP keeps no message boundaries, so the prompt sent right \
         after it may come glued to it (Welcome!\\nWhats your name?); the loop checks for that.",
        "recv(1024) 阻塞，直到服务器的第一批数据到达，最多返回 1024 个字节：通常是 Welcome!\\n。\
         TCP 不保留消息边界，所以紧接着发送的提示可能和它粘在一起（Welcome!\\nWhats your name?）；\
         下面的循环会检查这种情况。",
    ),
    PRINT_DATA,
    ("Python: no name typed yet.", "Python：还没有输入名字。"),
    (
        "Python: the dialogue goes on until the user has typed exit and seen the server's \
         answer.",
        "Python：对话一直进行，直到用户输入 exit 并看到服务器的回答。",
    ),
    (
        "Python: a comment for the reader. The prompt is the only message that ends with ?.",
        "Python：写给读者的注释。只有提示这条消息以 ? 结尾。",
    ),
    (
        "Python: the prompt may already be here, glued to the last message. Only when the bytes \
         received last do not end with ? does the client wait for more. After an empty input \
         data still ends with ?, so the user is asked again without a recv.",
        "Python：提示可能已经到了，和上一条消息粘在一起。只有最后收到的字节不以 ? 结尾时，\
         客户端才等待更多数据。输入为空之后，data 仍以 ? 结尾，所以会直接再问一次，不再接收。",
    ),
    (
        "recv(1024) blocks until more bytes arrive: the prompt, a piece of it, or the rest of \
         the last answer followed by the prompt. It returns b'' when the server has closed its \
         side (its FIN arrived).",
        "recv(1024) 阻塞，直到有更多数据到达：提示、提示的一部分，或者上一个回答的剩余部分加上提示。\
         当服务器关闭了它那一侧（它的 FIN 到达）时，返回 b''。",
    ),
    (
        "Python: b'' means the server has closed its side: no more bytes will come. The \
         connection is half-closed until this side closes too. Leave the loop.",
        "Python：b'' 表示服务器已经关闭了它那一侧：不会再有数据到来。在本端也关闭之前，连接处于\
         半关闭状态。跳出循环。",
    ),
    BREAK,
    PRINT_DATA,
    (
        "Python: back to the top of the loop, to check again whether the whole prompt is here.",
        "Python：回到循环开头，再检查一次完整的提示是否已经到达。",
    ),
    (
        "Python: waits for the user to type a name and press Enter (the line break is not \
         kept). Nothing happens on the network meanwhile; the server's thread waits in recv().",
        "Python：等待用户输入名字并按回车（换行符不保留）。这期间网络上没有任何动作；服务器的线程\
         正在 recv() 中等待。",
    ),
    (
        "Python: an empty name is not sent; the user is asked again. (send(b'') would send \
         nothing at all: TCP has no empty messages.)",
        "Python：空名字不发送，而是再问一次。（send(b'') 什么也不会发送：TCP 没有空消息。）",
    ),
    (
        "Python: back to the top of the loop. The prompt is still in data, so no recv is needed.",
        "Python：回到循环开头。提示仍在 data 中，所以不需要再接收。",
    ),
    (
        "send() copies the name's UTF-8 bytes into the kernel's send buffer and returns; it does \
         not wait for the server. No line break is added: the server reads one name per recv.",
        "send() 把名字的 UTF-8 字节复制到内核的发送缓冲区后返回；它不等待服务器。不加换行符：\
         服务器每次接收读取一个名字。",
    ),
    (
        "recv(1024) blocks until the server answers: Hello name!\\n, or Good bye!\\n after exit. \
         The next prompt may come glued to it, or the answer in pieces; the check at the top of \
         the loop handles both.",
        "recv(1024) 阻塞，直到服务器回答：Hello 名字!\\n，或者在 exit 之后是 Good bye!\\n。\
         下一个提示可能和它粘在一起，回答也可能分几次到达；循环开头的检查会处理这两种情况。",
    ),
    PRINT_DATA,
    (
        "close() gives the socket back to the kernel, which sends FIN: the four-way close. \
         After exit the server closed first, so its side waits in TIME_WAIT and this side goes \
         away once its FIN is acknowledged. If the client closes first, the client waits in \
         TIME_WAIT.",
        "close() 把套接字交还给内核，内核发送 FIN：这就是四次挥手。exit 之后是服务器先关闭的，\
         所以服务器那一端在 TIME_WAIT 中等待，而本端在自己的 FIN 被确认后就消失。如果客户端先关闭，\
         进入 TIME_WAIT 的就是客户端。",
    ),
];

/// The lines of a script (source text, one entry per line).
pub fn lines(script: Script) -> &'static [&'static str] {
    match script {
        Script::Server => &SERVER,
        Script::Client => &CLIENT,
    }
}

/// The explanation of line `index` of `script`: (English, 中文).
///
/// An index past the end gets a short "no such line" note, not a panic.
pub fn explain(script: Script, index: usize) -> (&'static str, &'static str) {
    let notes: &[Note] = match script {
        Script::Server => &SERVER_NOTES,
        Script::Client => &CLIENT_NOTES,
    };
    notes.get(index).copied().unwrap_or(NO_LINE)
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
    /// highlighted line) in English, then in Chinese.
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
            Some(thread) => ui.label(format!("following {thread}")),
            None => ui.weak("Select a thread or a tab to follow it"),
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
        ui.weak("Click a line to see what it does.");
        ui.weak("点击一行代码，查看它的作用。");
        return;
    };
    let code = lines(script).get(index).copied().unwrap_or_default();
    ui.label(
        egui::RichText::new(format!("line {}: {}", index + 1, code.trim()))
            .monospace()
            .strong(),
    );
    let (english, chinese) = explain(script, index);
    ui.label(english);
    ui.label(chinese);
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
                assert!(!english.trim().is_empty(), "{script:?} line {index}");
                assert!(
                    chinese
                        .chars()
                        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{script:?} line {index} has no Chinese explanation"
                );
                assert_ne!((english, chinese), NO_LINE, "{script:?} line {index}");
            }
            assert_eq!(explain(script, lines(script).len()), NO_LINE);
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
