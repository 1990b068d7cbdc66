//! The `tcp-playground` binary: parse the arguments, set up logging, run.

#![forbid(unsafe_code)]
// On Windows, a double-click opens only the window, no console beside it.
// The subcommands find the console they were typed in (see below).
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::ExitCode;

use clap::Parser;
use tcp_playground::app;
use tcp_playground::cli::{self, Cli};

fn main() -> ExitCode {
    // With arguments, this is a command typed in cmd or PowerShell (or
    // `--help`): print there. Without, it is the window: no console.
    #[cfg(windows)]
    if std::env::args_os().len() > 1 {
        tcp_playground::net::sys::attach_parent_console();
    }
    // `RUST_LOG` chooses what is logged (to standard error); by default the
    // program's own information messages.
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("tcp_playground=info"),
    )
    .format_timestamp_millis()
    .init();
    let args = Cli::parse();
    match args.command {
        Some(command) => cli::run(command),
        None => app::run(),
    }
}
