//! `engine debug`: the replay debugger. It reads a pier without writing it (no lock, no truncation, no
//! snapshot written), recomputes its events from its snapshots and log, and shows each one: what it
//! carried, what it produced, how long it took and the kernel's mug after it, and each ames peer's flow up
//! to it ([`flows`]). A terminal UI ([`tui`]), the same commands in batch mode with JSON lines out
//! ([`script`]), and the bisection of two piers ([`diff`]).

pub mod diff;
pub mod flows;
pub mod script;
pub mod session;
pub mod show;
pub mod tui;

use session::{Options, Session};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `engine debug` was asked.
pub struct Command {
    pub pier: PathBuf,
    /// `--diff B`: compare with this pier.
    pub diff: Option<PathBuf>,
    /// `--diff-jets off|check`: compare the pier computed with jets against itself computed so.
    pub diff_jets: Option<session::Jets>,
    /// `--from N`: where `--diff-jets` starts.
    pub from: Option<u64>,
    /// `--script FILE` (`-` for stdin): batch mode.
    pub script: Option<PathBuf>,
    pub options: Options,
}

pub fn run(command: Command) -> Result<(), String> {
    if let Some(other) = &command.diff {
        let mut out = std::io::stdout().lock();
        diff::run(&command.pier, other, command.options, &mut out)?;
        return Ok(());
    }
    if let Some(jets) = command.diff_jets {
        let mut out = std::io::stdout().lock();
        diff::run_jets(&command.pier, jets, command.from, command.options, &mut out)?;
        return Ok(());
    }
    let started = Instant::now();
    let mut session = Session::open(&command.pier, command.options)?;
    let opened = format!(
        "opened {} in {:.3} s: events {}-{}, kernel at event {}",
        command.pier.display(),
        started.elapsed().as_secs_f64(),
        session.rows().first().map_or(1, |r| r.number),
        session.last(),
        session.at()
    );
    let script = match &command.script {
        Some(path) => Some(path.clone()),
        None if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() => {
            Some(PathBuf::from("-"))
        }
        None => None,
    };
    match script {
        Some(path) => {
            eprintln!("debug: {opened}");
            run_script(&mut session, &path)
        }
        None => tui::run(&mut session, opened),
    }
}

fn run_script(session: &mut Session, path: &Path) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    if path == Path::new("-") {
        return script::run(session, std::io::stdin().lock(), &mut out);
    }
    let file =
        std::fs::File::open(path).map_err(|e| format!("debug: cannot open {}: {e}", path.display()))?;
    script::run(session, std::io::BufReader::new(file), &mut out)
}
