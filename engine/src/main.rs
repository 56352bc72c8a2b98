//! The `engine` command: a multi-core Urbit runtime.

mod cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// engine: runs Urbit ships (Nock, jets, the event log and I/O), bit-exact with Vere.
#[derive(Parser)]
#[command(name = "engine", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Cue a file of jam bytes (a pill, a jammed noun) and print its mug, its tag counts and the time taken.
    Cue {
        /// The file of jam bytes.
        file: PathBuf,
        /// Print one JSON object: {"mug", "cells", "atoms", "backrefs", "bytes", "ms"}.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Cue { file, json } => cmd::cue::run(&file, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("engine: {message}");
            ExitCode::FAILURE
        }
    }
}
