//! TCP Playground: teach TCP sockets live.
//!
//! A server greets each client, asks its name, greets the name and says
//! good bye on `exit` — the name dialogue of a classic tutorial on Python
//! sockets. This crate runs both ends of it, on real sockets, and shows
//! what happens.
//!
//! # A map of the code
//!
//! Start with [`net::protocol`]: the whole dialogue in one small, pure
//! state machine. Then:
//!
//! | where | what it is for |
//! |---|---|
//! | [`net`] | everything with sockets, and nothing with windows |
//! | [`net::protocol`] | the server's side of the dialogue: bytes in, replies out (pure) |
//! | [`net::parser`] | the client's side: a byte stream in, messages out (pure) |
//! | [`net::server`] | a listener thread and one thread per client, as in the tutorial |
//! | [`net::client`] | one connection: a reader thread and a sender thread |
//! | [`net::event`] | what those threads report, over a crossbeam channel |
//! | [`net::calls`] | each socket call a thread makes (`accept()`, `recv()`, …), as it starts and returns |
//! | [`net::config`] | settings parsed from what the user typed, checked once |
//! | [`net::tcp_state`] | a socket's real TCP state, asked of the kernel |
//! | [`net::watch`], [`net::lifecycle`] | state changes as events; the state machine fills in what is too short to see |
//! | [`net::linger`] | closing with bytes still queued: FIN_WAIT_1 and LAST_ACK held for a class |
//! | [`net::capture`] | the real segments on loopback (needs `CAP_NET_RAW`) |
//! | [`net::sys`] | the few socket calls made with `unsafe` (deferred accept, the kernel's time of a captured frame), and why |
//! | [`net::gate`] | step mode: server threads wait before each step until "next" |
//! | [`transcript`] | the list of events, saved as text, JSON Lines or CSV |
//! | [`cli`] | `serve` and `connect`: the same code without a window |
//! | [`app`] | the window: server panel, client tabs, transcript (egui) |
//! | [`app::lang`] | English and 简体中文: every UI string in `assets/locales/` |
//! | [`app::scenario`], [`app::pitfalls`] | the tutorial's lessons played step by step; classic mistakes measured and explained |
//! | [`net::pitfall`] | those mistakes (glued messages, Nagle, backlog, TIME_WAIT, EOF) on real sockets |
//!
//! Data flows one way each direction: network threads send owned
//! [`net::NetEvent`]s to whoever listens (a window, a terminal, a test); the
//! listener sends commands back through handles ([`net::Server`],
//! [`net::Client`]). No state is shared that one side locks every frame.

// `unsafe` is refused everywhere except `net::sys`, which needs a few
// system calls that no safe crate wraps, and says why. The crate denies it
// (a `forbid` here could not be lifted for that one module); every other
// module, and the binary, forbids it outright with `#![forbid(unsafe_code)]`
// at its top, so no `allow` can creep in below them.
#![deny(unsafe_code)]

// Every string of the window, in English and Chinese, compiled in from
// `assets/locales/` (see `app::lang`). `t!("key")` anywhere in the crate
// looks one up in the language in use.
rust_i18n::i18n!("assets/locales", fallback = "en");

pub mod app;
pub mod cli;
pub mod net;
pub mod transcript;
