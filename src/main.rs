//! The `tcp-playground` binary: parse the arguments, set up logging, run.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use tcp_playground::app;
use tcp_playground::cli::{self, Cli};

fn main() -> ExitCode {
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
