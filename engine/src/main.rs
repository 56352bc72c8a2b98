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
    /// Run Nock: FILE holds the jam of a [subject formula] cell. Prints the product and its mug; a crash
    /// prints `crash: CLASS` and the trace on stderr and exits with status 1. Ctrl-c interrupts.
    Nock {
        file: PathBuf,
        /// Print one JSON object: {"product", "mug", "steps", "ms"}.
        #[arg(long)]
        json: bool,
        /// Run the Nock of every jetted arm as well, and report the first disagreement.
        #[arg(long)]
        check_jets: bool,
    },
    /// Evaluate Hoon with the ivory pill's standard library and print the product as `urbit eval` does.
    /// A bad expression prints the compiler's error and trace on stderr and exits with status 1.
    Eval {
        /// The Hoon expression (read from stdin when absent).
        expr: Option<String>,
        /// The ivory pill (default: ivory.pill in the pill directory).
        #[arg(long)]
        pill: Option<PathBuf>,
        /// Print the product as a noun in the text notation instead.
        #[arg(long)]
        raw: bool,
        /// Write the jam of the product to this file.
        #[arg(long)]
        jam: Option<PathBuf>,
        /// Boot from the pill even if a booted kernel is cached ($ENGINE_CACHE, else the user cache
        /// directory).
        #[arg(long)]
        no_cache: bool,
    },
    /// Pills: the files a ship or `eval` boots from.
    #[command(subcommand)]
    Pill(PillCommand),
}

#[derive(Subcommand)]
enum PillCommand {
    /// Download an official pill (NAME or NAME.pill, e.g. urbit-v1.16) into the pill directory
    /// ($ENGINE_PILLS, else the user data directory), after checking that it is a pill.
    Fetch {
        name: String,
        /// Where to download from (default: $ENGINE_PILL_BASE_URL, else the official bootstrap server).
        #[arg(long)]
        base_url: Option<String>,
        /// The directory to save it in (default: the pill directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Cue { file, json } => cmd::cue::run(&file, json),
        Command::Nock { file, json, check_jets } => cmd::nock::run(&file, json, check_jets),
        Command::Eval { expr, pill, raw, jam, no_cache } => cmd::eval::run(cmd::eval::Options {
            expr,
            pill: pill.as_deref(),
            raw,
            jam: jam.as_deref(),
            no_cache,
        }),
        Command::Pill(PillCommand::Fetch { name, base_url, dir }) => {
            cmd::pill::fetch(&name, base_url.as_deref(), dir.as_deref())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("engine: {message}");
            ExitCode::FAILURE
        }
    }
}
