//! The command line: everything the window does with the network, without
//! a screen.
//!
//! `tcp-playground` alone opens the window. With a subcommand it runs in the
//! terminal, using the same [`crate::net`] code:
//!
//! - `serve`: the tutorial's server, printing the tutorial's console lines;
//! - `connect`: the tutorial's client, names from stdin or `--name`;
//! - `trace`: one dialogue with the real TCP states of both ends;
//! - `bench`: bots against a server, with throughput and latency;
//! - `install-desktop`: the launcher entry and icon for the current user.

#![forbid(unsafe_code)]

/// Prints a line on standard output, like `println!`, but never panics:
/// when nobody reads any more (a closed pipe, as with `| head`), the line
/// is dropped and the command goes on to finish cleanly.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::say_line(format_args!($($arg)*))
    };
}

mod bench;
mod connect;
pub mod desktop;
mod serve;
mod trace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "tcp-playground",
    version,
    about = "Teach TCP sockets live: a name-dialogue server and clients, with the window or in a terminal.",
    long_about = "Teach TCP sockets live. Without a subcommand, opens the window.\n\
                  With `serve` or `connect`, runs the tutorial's server or client in the terminal;\n\
                  `trace` shows one dialogue with the real TCP states of both ends;\n\
                  `bench` runs bots against a server and reports throughput and latency."
)]
pub struct Cli {
    /// What to run; nothing opens the window.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the name-dialogue server and print the tutorial's console lines.
    Serve(ServeArgs),
    /// Connect to a name-dialogue server and hold the dialogue.
    Connect(ConnectArgs),
    /// Run one dialogue on loopback and print the real TCP states of both ends.
    Trace(TraceArgs),
    /// Bots against a server: throughput, latency percentiles, errors.
    Bench(BenchArgs),
    /// Add TCP Playground to your launcher (Linux): a .desktop file and its icon in ~/.local/share.
    InstallDesktop(DesktopArgs),
}

/// Arguments of `install-desktop`.
#[derive(Debug, clap::Args)]
pub struct DesktopArgs {
    /// Remove the launcher entry and icon instead.
    #[arg(long)]
    pub uninstall: bool,
}

/// What each bot of `bench` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchMode {
    /// Connect once, then a name and its answer, again and again.
    RoundTrips,
    /// The whole dialogue (connect, a name, exit, close) in a loop.
    Dialogues,
    /// Connect, wait for the prompt, and keep the connection open.
    Hold,
}

/// Arguments of `bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The server, as HOST:PORT. Not used with --serve.
    #[arg(default_value = "127.0.0.1:6000", value_name = "HOST:PORT")]
    pub target: String,
    /// Start this program's own server (pacing off) and bench it.
    #[arg(long)]
    pub serve: bool,
    /// How many bots, each with its own connection.
    #[arg(
        long,
        default_value_t = 50,
        value_name = "N",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000)
    )]
    pub bots: usize,
    /// What each bot does.
    #[arg(long, value_enum, default_value_t = BenchMode::RoundTrips)]
    pub mode: BenchMode,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub seconds: u64,
    /// The name each bot sends.
    #[arg(long, default_value = "bot")]
    pub name: String,
    /// Count an error when a connect or an answer takes longer than this.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub timeout: u64,
    /// At most this many operations a second, all bots together, evenly
    /// spaced (a fixed load, to read the latency at that load); without
    /// it the bots go flat out.
    #[arg(long, value_name = "PER_SEC", value_parser = positive_rate)]
    pub rate: Option<f64>,
}

/// A rate given on the command line: a positive number.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "\"{text}\" is not a positive number of operations a second"
        )),
    }
}

/// Which side ends the connection in `trace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CloseFirst {
    /// The client says `exit`; the server answers and closes first.
    Server,
    /// The client closes first, without `exit`.
    Client,
}

/// Arguments of `trace`.
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// Which side closes the connection first (and so ends in TIME_WAIT).
    #[arg(long, value_enum, default_value_t = CloseFirst::Server)]
    pub close: CloseFirst,
    /// Slow motion: both ends pause before each step, the server's end
    /// waits in SYN_RECV (deferred accept), and each end closes with bytes
    /// its peer is not reading yet, so SYN_RECV, FIN_WAIT_1, FIN_WAIT_2,
    /// CLOSE_WAIT and LAST_ACK last long enough to be seen.
    #[arg(long)]
    pub slow: bool,
}

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on; port 0 picks a free port. Anything but
    /// a loopback address makes the server reachable from other machines.
    #[arg(long, default_value = "127.0.0.1:6000", value_name = "ADDR:PORT")]
    pub bind: String,
    /// Pause before each prompt that follows another message, in
    /// milliseconds, so clients that treat one recv as one message work;
    /// 0 sends reply and prompt in one write.
    #[arg(long, default_value_t = 20, value_name = "MS")]
    pub pace_ms: u64,
    /// Listen backlog: finished handshakes the kernel queues before accept().
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub backlog: i32,
    /// Close a client that sends nothing for this many seconds; 0 never does.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub idle_timeout: u64,
    /// Serve at most this many clients at once; one more is told the
    /// server is busy, in one line, and closed.
    #[arg(
        long,
        default_value_t = crate::net::config::DEFAULT_MAX_CLIENTS,
        value_name = "N",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_clients: usize,
    /// Save the transcript here when the server stops (.txt, .jsonl or .csv).
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
}

/// Arguments of `connect`.
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The server, as HOST:PORT (or HOST for port 6000).
    #[arg(default_value = "127.0.0.1:6000", value_name = "HOST:PORT")]
    pub target: String,
    /// A name to send; repeat for several. After the last one, `exit` is
    /// sent. Without --name, names are read from standard input.
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// Give up when the server does not answer within this many seconds.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub timeout: u64,
}

/// Runs a subcommand; the exit code says whether it went well.
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Serve(args) => serve::run(&args),
        Command::Connect(args) => connect::run(&args),
        Command::Trace(args) => trace::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::InstallDesktop(args) => desktop::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// See [`say!`]: writes one line to standard output, ignoring a reader
/// that has gone away.
pub(crate) fn say_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // A write error means standard output is closed; there is nobody to
    // tell, so the line is dropped on purpose.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Writes `lines` (each ending in a line break) to standard output in one
/// write, ignoring a reader that has gone away, as [`say_line`] does.
pub(crate) fn say_lines(lines: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(lines.as_bytes()).and_then(|()| out.flush());
}
