//! Progress on stderr for long jobs (booting a ship): a phase, its count of steps done, the time since the
//! job started, and the latest log line. On a terminal this is one redrawn line (indicatif) with log
//! lines printed above it; elsewhere (a file, a pipe, CI) plain lines, one per step.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Arc;
use std::time::Duration;

/// How often the line is redrawn while a step runs (so the elapsed time moves).
const TICK: Duration = Duration::from_millis(250);

/// A job's progress.
pub struct Progress {
    bar: ProgressBar,
    /// Whether to say anything at all.
    enabled: bool,
}

impl Progress {
    /// Progress for a job; silent unless `enabled`. Drawn as a bar only when stderr is a terminal.
    pub fn new(enabled: bool) -> Progress {
        let target = if enabled { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        Progress { bar, enabled }
    }

    /// Whether the bar is drawn (stderr is a terminal); otherwise steps print as lines.
    fn drawn(&self) -> bool {
        self.enabled && !self.bar.is_hidden()
    }

    /// Starts a phase: `total` steps, or an open-ended one (a spinner).
    pub fn phase(&self, name: &str, total: Option<u64>) {
        let template = match total {
            Some(_) => "{prefix:>9} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
            None => "{prefix:>9} [{elapsed_precise}] {spinner} {wide_msg}",
        };
        let style = ProgressStyle::with_template(template).expect("a valid template");
        self.bar.set_style(style);
        self.bar.set_prefix(name.to_string());
        self.bar.set_position(0);
        match total {
            Some(n) => self.bar.set_length(n),
            None => self.bar.unset_length(),
        }
        self.bar.enable_steady_tick(TICK);
    }

    /// One step of the phase done; `line` says what it was (printed as a line when there is no bar).
    pub fn step(&self, line: impl FnOnce() -> String) {
        self.bar.inc(1);
        if self.enabled && !self.drawn() {
            eprintln!("{}", line());
        }
    }

    /// A log line: above the bar, or on its own.
    pub fn line(&self, text: &str) {
        if self.drawn() {
            self.bar.println(text);
            self.bar.set_message(text.to_string());
        } else if self.enabled {
            eprintln!("{text}");
        }
    }

    /// A sink for log lines (slogs) that prints them as [`Progress::line`] does.
    pub fn sink(self: &Arc<Self>) -> systems::interp::LogSink {
        let progress = Arc::clone(self);
        Arc::new(move |text: &str| progress.line(text))
    }

    /// The job is over: the bar is cleared, and `summary` printed.
    pub fn finish(&self, summary: &str) {
        self.bar.finish_and_clear();
        if self.enabled {
            eprintln!("{summary}");
        }
    }
}
