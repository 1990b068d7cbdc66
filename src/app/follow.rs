//! Where each thread is: its current socket call, and the line of the
//! tutorial-style code it is executing, worked out from its events.
//!
//! Every thread reports its socket calls as they start and return (see
//! [`crate::net::calls`]), and what it sends. [`Follow`] keeps the latest
//! of these for one thread, so a panel can say "waiting in recv()" and the
//! code view can highlight `data = conn.recv(1024)`.

use std::borrow::Cow;

use rust_i18n::t;

use crate::net::calls::{Call, CallResult};
use crate::net::protocol::{GOOD_BYE, HELLO_PREFIX, PROMPT, WELCOME};
use crate::net::{EventKind, ServerMessage};

use super::code_view::Spot;

/// Which thread a [`Follow`] follows: the kind decides the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The server's listener (the main thread of the server script).
    Listener,
    /// A server thread serving one client (`tcplink`).
    ServerThread,
    /// A client tab (the client script).
    Client,
}

/// One thread's current call and line of code.
#[derive(Clone, Debug)]
pub struct Follow {
    role: Role,
    /// The call the thread is in, or last returned from.
    call: Option<(Call, Option<CallResult>)>,
    /// The line of code it is at.
    spot: Option<Spot>,
    /// Client: whether a name was sent since the last message arrived,
    /// i.e. the next `recv()` waits for the reply rather than the prompt.
    awaiting_reply: bool,
    /// Client: whether any message arrived yet (the first is the welcome).
    heard_anything: bool,
}

impl Follow {
    /// Follows a thread of this role, from its start.
    pub fn new(role: Role) -> Self {
        Follow {
            role,
            call: None,
            spot: match role {
                Role::Listener => Some(Spot::Socket),
                Role::ServerThread => Some(Spot::SendWelcome),
                Role::Client => Some(Spot::ClientSocket),
            },
            awaiting_reply: false,
            heard_anything: false,
        }
    }

    /// The line of code the thread is at.
    pub fn spot(&self) -> Option<Spot> {
        self.spot
    }

    /// The call the thread is in now, if it is in one.
    pub fn current_call(&self) -> Option<Call> {
        match self.call {
            Some((call, None)) => Some(call),
            _ => None,
        }
    }

    /// Where the thread is, in a few words: "waiting in recv()",
    /// "recv() returned 9 bytes" (in the language in use; the call's name
    /// is the code's, in every language).
    pub fn describe(&self) -> String {
        match &self.call {
            None => "…".to_owned(),
            Some((call, None)) if call.blocks() => {
                t!("follow.waiting_in", call = call).into_owned()
            }
            Some((call, None)) => t!("follow.in_call", call = call).into_owned(),
            Some((call, Some(result))) => {
                t!("follow.returned", call = call, result = result_text(result)).into_owned()
            }
        }
    }

    /// Takes one event of the followed thread into account.
    pub fn apply(&mut self, kind: &EventKind) {
        match kind {
            EventKind::CallStart { call } => {
                self.call = Some((*call, None));
                self.on_call(*call);
            }
            EventKind::CallEnd { call, result } => {
                self.call = Some((*call, Some(result.clone())));
                if *call == Call::Accept && self.role == Role::Listener {
                    // The next line starts the thread for the new client.
                    self.spot = Some(Spot::StartThread);
                } else {
                    self.on_call(*call);
                }
            }
            // Step mode: the thread waits before this step; show its line.
            EventKind::Held { step } => {
                if let Some(spot) = self.spot_of_step(step) {
                    self.spot = Some(spot);
                }
            }
            // A send() and a recv() that returned bytes are reported by
            // these events (see crate::net::calls).
            EventKind::Sent { bytes } => {
                self.call = Some((Call::Send, Some(CallResult::Bytes(bytes.len() as u64))));
                match self.role {
                    Role::ServerThread => {
                        self.spot = server_send_spot(bytes.as_slice()).or(self.spot);
                    }
                    Role::Client => {
                        self.spot = Some(Spot::SendName);
                        self.awaiting_reply = true;
                    }
                    Role::Listener => {}
                }
            }
            EventKind::Received { bytes } => {
                self.call = Some((Call::Recv, Some(CallResult::Bytes(bytes.len() as u64))));
            }
            EventKind::Message { message } => {
                self.heard_anything = true;
                if !matches!(message, ServerMessage::Welcome) {
                    self.awaiting_reply = false;
                }
            }
            _ => {}
        }
    }

    /// The line of a call just started or returned.
    fn on_call(&mut self, call: Call) {
        let spot = match (self.role, call) {
            (Role::Listener, Call::Socket) => Spot::Socket,
            (Role::Listener, Call::Bind) => Spot::Bind,
            (Role::Listener, Call::Listen) => Spot::Listen,
            (Role::Listener, Call::Accept) => Spot::Accept,
            (Role::ServerThread, Call::Recv) => Spot::Recv,
            (Role::ServerThread, Call::Shutdown | Call::Close) => Spot::Close,
            (Role::Client, Call::Socket | Call::Bind) => Spot::ClientSocket,
            (Role::Client, Call::Connect) => Spot::Connect,
            (Role::Client, Call::Recv) if !self.heard_anything => Spot::RecvWelcome,
            (Role::Client, Call::Recv) if self.awaiting_reply => Spot::RecvReply,
            (Role::Client, Call::Recv) => Spot::RecvPrompt,
            (Role::Client, Call::Shutdown | Call::Close) => Spot::ClientClose,
            // Sends are followed by their `Sent` events, which carry the
            // bytes that tell the lines apart.
            _ => return,
        };
        self.spot = Some(spot);
    }

    /// The line of a step that step mode holds the thread before.
    fn spot_of_step(&self, step: &str) -> Option<Spot> {
        match (self.role, step) {
            (Role::Client, "connect()") => Some(Spot::Connect),
            (Role::Client, "close()") => Some(Spot::ClientClose),
            (Role::ServerThread, "close()") => Some(Spot::Close),
            (Role::ServerThread, step) => {
                // `send "..."`, with the bytes escaped: enough to tell the
                // four messages apart by how they start.
                let text = step.strip_prefix("send \"")?;
                server_send_spot(text.as_bytes())
            }
            _ => None,
        }
    }
}

/// What a call returned, in the language in use (in English, the result's
/// own `Display`; the system's words of an error stay as they are).
fn result_text(result: &CallResult) -> Cow<'static, str> {
    match result {
        CallResult::Done => t!("follow.result.ok"),
        CallResult::Peer(peer) => t!("follow.result.peer", peer = peer),
        CallResult::Bytes(0) => t!("follow.result.eof"),
        CallResult::Bytes(1) => t!("follow.result.one_byte"),
        CallResult::Bytes(n) => t!("follow.result.bytes", count = n),
        CallResult::Failed(why) => t!("follow.result.failed", why = why),
    }
}

/// Which of the server's sends these bytes are (a paced reply and prompt
/// count as the reply, which comes first). The bytes may be raw or
/// escaped (`\n` for a line break): only what comes before the line
/// break is compared.
fn server_send_spot(bytes: &[u8]) -> Option<Spot> {
    let without_newline = |message: &'static [u8]| message.strip_suffix(b"\n").unwrap_or(message);
    if bytes.starts_with(without_newline(WELCOME)) {
        Some(Spot::SendWelcome)
    } else if bytes.starts_with(HELLO_PREFIX) {
        Some(Spot::SendHello)
    } else if bytes.starts_with(without_newline(GOOD_BYE)) {
        Some(Spot::SendGoodBye)
    } else if bytes.starts_with(PROMPT) {
        Some(Spot::SendPrompt)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Bytes;

    fn start(call: Call) -> EventKind {
        EventKind::CallStart { call }
    }

    fn end(call: Call, result: CallResult) -> EventKind {
        EventKind::CallEnd { call, result }
    }

    #[test]
    fn a_server_thread_is_followed_through_its_dialogue() {
        let mut f = Follow::new(Role::ServerThread);
        let mut spots = Vec::new();
        for kind in [
            EventKind::Sent {
                bytes: Bytes::from("Welcome!\n"),
            },
            EventKind::Sent {
                bytes: Bytes::from("Whats your name?"),
            },
            start(Call::Recv),
            EventKind::Received {
                bytes: Bytes::from("Alice"),
            },
            EventKind::Held {
                step: "send \"Hello Alice!\\n\"".into(),
            },
            EventKind::Held {
                step: "send \"Good bye!\\n\"".into(),
            },
            EventKind::Sent {
                bytes: Bytes::from("Good bye!\n"),
            },
            EventKind::Held {
                step: "close()".into(),
            },
        ] {
            f.apply(&kind);
            spots.push(f.spot());
        }
        assert_eq!(
            spots,
            [
                Some(Spot::SendWelcome),
                Some(Spot::SendPrompt),
                Some(Spot::Recv),
                Some(Spot::Recv),
                Some(Spot::SendHello),
                Some(Spot::SendGoodBye),
                Some(Spot::SendGoodBye),
                Some(Spot::Close),
            ]
        );
        assert_eq!(f.describe(), "send() returned 10 bytes");
    }

    #[test]
    fn a_client_recv_waits_for_the_welcome_the_prompt_then_the_reply() {
        let mut f = Follow::new(Role::Client);
        f.apply(&start(Call::Recv));
        assert_eq!(f.spot(), Some(Spot::RecvWelcome));
        assert_eq!(f.describe(), "waiting in recv()");
        assert_eq!(f.current_call(), Some(Call::Recv));
        f.apply(&EventKind::Message {
            message: ServerMessage::Welcome,
        });
        f.apply(&start(Call::Recv));
        assert_eq!(f.spot(), Some(Spot::RecvPrompt));
        f.apply(&EventKind::Sent {
            bytes: Bytes::from("Bob"),
        });
        f.apply(&start(Call::Recv));
        assert_eq!(f.spot(), Some(Spot::RecvReply));
        f.apply(&EventKind::Message {
            message: ServerMessage::Hello(Bytes::from("Bob")),
        });
        f.apply(&start(Call::Recv));
        assert_eq!(f.spot(), Some(Spot::RecvPrompt));
    }

    /// The English of each call result is the result's own `Display`
    /// (what the transcript saves), word for word.
    #[test]
    fn call_results_in_english_match_their_display() {
        let peer: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let why = "Broken pipe (os error 32)";
        for (result, english) in [
            (CallResult::Done, t!("follow.result.ok", locale = "en")),
            (
                CallResult::Peer(peer),
                t!("follow.result.peer", locale = "en", peer = peer),
            ),
            (CallResult::Bytes(0), t!("follow.result.eof", locale = "en")),
            (
                CallResult::Bytes(1),
                t!("follow.result.one_byte", locale = "en"),
            ),
            (
                CallResult::Bytes(9),
                t!("follow.result.bytes", locale = "en", count = 9),
            ),
            (
                CallResult::Failed(why.into()),
                t!("follow.result.failed", locale = "en", why = why),
            ),
        ] {
            assert_eq!(english, result.to_string());
        }
    }

    #[test]
    fn the_listener_waits_in_accept_then_starts_a_thread() {
        let mut f = Follow::new(Role::Listener);
        f.apply(&start(Call::Accept));
        assert_eq!(f.spot(), Some(Spot::Accept));
        assert_eq!(f.describe(), "waiting in accept()");
        let peer = "127.0.0.1:5000".parse().unwrap();
        f.apply(&end(Call::Accept, CallResult::Peer(peer)));
        assert_eq!(f.spot(), Some(Spot::StartThread));
        assert_eq!(f.current_call(), None);
    }
}
