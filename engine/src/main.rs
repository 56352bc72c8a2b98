//! The `engine` command: a multi-core Urbit runtime.

mod cache;
mod cmd;
mod debug;
#[cfg(test)]
mod fault_sim;
mod progress;
mod run;
mod ship;

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
        /// The Hoon expression (read from stdin when absent). It may start with `-` (`-:[1 2]`): only
        /// the options named here are taken as options.
        #[arg(allow_hyphen_values = true)]
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
        /// The heap's size as a power of two in bytes, as Vere's `--loom` (31: 2 GiB, Vere's default).
        /// A computation that needs more fails with `meme`.
        #[arg(long, default_value_t = 31, value_parser = clap::value_parser!(u8).range(24..=40))]
        loom: u8,
    },
    /// Create a pier: boot a fake ship from a pill (computing its boot sequence, logging it and writing a
    /// snapshot), or import a ship's state from a cram file.
    Boot {
        /// The pier directory to create (it must not exist, or be empty).
        pier: PathBuf,
        /// The pill to boot from (a brass or solid pill, or one of sword's).
        #[arg(long, required_unless_present = "import")]
        pill: Option<PathBuf>,
        /// The fake ship to boot: a galaxy name or a ship number.
        #[arg(long, short = 'F', default_value = "zod")]
        fake: String,
        /// Start from this cram (the jam of [%arvo kernel %hashboard cold], as `engine cram` and
        /// `urbit cram` write) instead of a pill.
        #[arg(long, conflicts_with = "pill")]
        import: Option<PathBuf>,
        /// With --import: the event number the cram was taken at (default: from a file named
        /// <event>.jam, else 0). The pier's log continues from the next one.
        #[arg(long, requires = "import")]
        event: Option<u64>,
        /// Compute the pill's lifecycle even if it is cached. (Booting from a pill computes the kernel its
        /// boot formulas make, the same for every ship, once, and keeps it in $ENGINE_CACHE, else the user
        /// cache directory, for the next boot from the same pill.)
        #[arg(long)]
        no_cache: bool,
    },
    /// Resume a pier (snapshot, then the log's later events) and run it headless: stdin lines are typed
    /// to the ship, its terminal output goes to stdout. SIGTERM stops it cleanly; ctrl-c interrupts the
    /// event being computed.
    Run {
        /// The pier, or several: a fleet in one process, each ship with its own log, snapshots, lock
        /// and control socket (line mode: output lines start with the ship's name, and a line
        /// `~nec: COMMAND` goes to ~nec, any other to the first).
        #[arg(required = true)]
        piers: Vec<PathBuf>,
        /// No terminal: line mode even on a TTY (Vere's `-t`). Without it, a TTY is used in raw mode:
        /// keys go to the ship as you type them and drum draws the prompt.
        #[arg(short = 't', long)]
        no_tty: bool,
        /// Stop when stdin ends (after every event is committed and its output printed).
        #[arg(long, short = 'x')]
        exit_on_eof: bool,
        /// Verbose: Arvo prints every move it makes (Vere's `-v`, `%verb [~ %.n]`).
        #[arg(long, short = 'v')]
        verbose: bool,
        /// Seconds between snapshots while running (also written at exit).
        #[arg(long, default_value_t = 120.0)]
        snapshot_every: f64,
        /// The most Nock steps computed per tick: a longer event is resumed next tick, so input, timers
        /// and output keep moving while it runs.
        #[arg(long, default_value_t = run::TICK_STEPS)]
        tick_steps: u64,
        /// Inject the ovum in FILE (the jam of [wire card]) after the start events (Vere's -I);
        /// repeatable.
        #[arg(long, short = 'I')]
        inject: Vec<PathBuf>,
        /// Do not serve the control socket (<pier>/.urb/conn.sock).
        #[arg(long)]
        no_conn: bool,
        /// No networking: do not open ames's UDP socket.
        #[arg(long)]
        no_ames: bool,
        /// ames's UDP port (Vere's -p). Default: a galaxy's own (31337+n for a fake ship, 13337+n for a
        /// real one), else any free port. A fake ship listens on 127.0.0.1 only.
        #[arg(long, short = 'p')]
        ames_port: Option<u16>,
        /// No web server: do not start http (Eyre's HTTP server).
        #[arg(long)]
        no_http: bool,
        /// The web server's port, fixed (a port that cannot be bound stops the ship; in a fleet, ship i
        /// takes PORT+i). Default: the first free of 80, 8080, 8081, ...
        #[arg(long)]
        http_port: Option<u16>,
        /// The loopback web server's port (on 127.0.0.1; its requests go to Eyre as %request-local).
        /// Default: the first free from 12321.
        #[arg(long)]
        loopback_port: Option<u16>,
        /// The address the web server binds (default: every interface).
        #[arg(long, short = 'b', value_name = "IP")]
        bind: Option<std::net::Ipv4Addr>,
        /// Threads for the tick's systems, which step ships with work in parallel (default: one per
        /// core; 1: everything on one thread, with bevy's single-threaded executor).
        #[arg(long)]
        threads: Option<usize>,
        /// Reader threads that answer conn's scries against the newest committed kernel, beside the
        /// event being computed (default: one per core, at most 4; 0: the ship answers them itself
        /// between events, as Vere does).
        #[arg(long)]
        scry_threads: Option<usize>,
        /// Simulate time: a virtual clock that starts a second after the piers' last logged event and
        /// moves only to the next due timer once every ship is idle, and entropy from --seed; the same
        /// piers and input then give the same events and mugs, whatever --threads.
        #[arg(long)]
        virtual_time: bool,
        /// With --virtual-time: the seed of the ships' entropy (and of the simulated network).
        #[arg(long, default_value_t = 0, requires = "virtual_time")]
        seed: u64,
        /// `udp`: ames over real UDP sockets; `sim`: the fleet's galaxies joined by a simulated network
        /// (each datagram delayed, lost, duplicated or overtaken as --seed decides; deterministic with
        /// --virtual-time).
        #[arg(long, default_value = "udp", value_parser = ["udp", "sim"])]
        net: String,
        /// The simulated network's latency, and the most jitter added to it (milliseconds).
        #[arg(long, default_value_t = 20)]
        net_latency_ms: u64,
        #[arg(long, default_value_t = 10)]
        net_jitter_ms: u64,
        /// The fraction of datagrams the simulated network loses, and that it delivers twice.
        #[arg(long, default_value_t = 0.0)]
        net_loss: f64,
        #[arg(long, default_value_t = 0.0)]
        net_duplicate: f64,
    },
    /// Type one dojo command into a running ship (through its control socket) and print what the
    /// terminal printed while the ship worked on it. Exits with status 1 if the ship cannot be reached.
    Dojo {
        pier: PathBuf,
        /// The command, as typed at the dojo prompt (read from stdin when absent); it may start with `-`
        /// (a thread: `-hi ~nec`).
        #[arg(allow_hyphen_values = true)]
        command: Option<String>,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 600.0)]
        timeout: f64,
    },
    /// The running ship's ames flows, a line per peer: its lane, packets and bytes each way, and when it
    /// was last heard from (through its control socket). Exits with status 1 if the ship cannot be reached.
    Ames { pier: PathBuf },
    /// Rebuild a pier's state from its log alone, checking every logged mug and the snapshot's, then
    /// rewrite the snapshot from the result.
    Play { pier: PathBuf },
    /// Meld a stopped pier's state: equal subtrees made one (as Vere's `urbit meld`), then the snapshot
    /// rewritten in full (read back and checked, as every snapshot is). `engine boot` and `engine play`
    /// meld before they write their snapshot.
    Meld { pier: PathBuf },
    /// Write the jam of the pier's whole kernel state ([%arvo kernel %hashboard cold], Vere's cram
    /// shape) to FILE.
    Cram { pier: PathBuf, file: PathBuf },
    /// The replay debugger: step through a pier's events (and the ticks of each) without writing the
    /// pier. A terminal UI on a terminal; with --script (or when stdin or stdout is not a terminal),
    /// commands one a line and JSON lines out; with --diff, the first event where two piers differ.
    Debug {
        pier: PathBuf,
        /// Commands from FILE (`-`: stdin): info, list, show, next, back, tick, goto, first, last, find,
        /// break, clear, continue.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Find the first event after which this pier's kernel and PIER's differ, and where they differ.
        #[arg(long, value_name = "OTHER")]
        diff: Option<PathBuf>,
        /// Find the first event this pier computes differently with jets than with jets off (`off`, every
        /// arm's Nock run) or checked (`check`, each jet's answer compared with its arm's Nock).
        #[arg(long, value_name = "HOW", conflicts_with = "diff")]
        diff_jets: Option<debug::session::Jets>,
        /// Where --diff-jets starts (default: the first event the pier can start at).
        #[arg(long, value_name = "N", requires = "diff_jets")]
        from: Option<u64>,
        /// How the debugger runs jets: on (as `run`), off, or check (each call against its arm's Nock).
        #[arg(long, value_enum, default_value_t = debug::session::Jets::On)]
        jets: debug::session::Jets,
        /// Keep a copy of the state every this many events replayed (for stepping back), and after
        /// every --checkpoint-after seconds of computing.
        #[arg(long, default_value_t = 16)]
        checkpoint_every: u64,
        #[arg(long, default_value_t = 2.0)]
        checkpoint_after: f64,
        /// The most memory those copies may take, in MiB.
        #[arg(long, default_value_t = 1024)]
        checkpoint_mib: usize,
        /// The Nock steps of a tick (as `run --tick-steps`).
        #[arg(long, default_value_t = run::TICK_STEPS)]
        tick_steps: u64,
        /// Threads for heavy jets' jobs (as `run --threads`; default: one per core).
        #[arg(long)]
        threads: Option<usize>,
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
        Command::Eval { expr, pill, raw, jam, no_cache, loom } => cmd::eval::run(cmd::eval::Options {
            expr,
            pill: pill.as_deref(),
            raw,
            jam: jam.as_deref(),
            no_cache,
            loom_bits: loom,
        }),
        Command::Boot { pier, pill, fake, import, event, no_cache } => {
            cmd::pier::boot(&pier, pill.as_deref(), &fake, import.as_deref(), event, no_cache)
        }
        Command::Run {
            piers,
            no_tty,
            exit_on_eof,
            verbose,
            snapshot_every,
            tick_steps,
            inject,
            no_conn,
            no_ames,
            ames_port,
            no_http,
            http_port,
            loopback_port,
            bind,
            threads,
            scry_threads,
            virtual_time,
            seed,
            net,
            net_latency_ms,
            net_jitter_ms,
            net_loss,
            net_duplicate,
        } => {
            let net = (net == "sim").then_some(components::app::SimNetConfig {
                seed,
                latency_ms: net_latency_ms,
                jitter_ms: net_jitter_ms,
                loss: net_loss,
                duplicate: net_duplicate,
            });
            let options = cmd::pier::RunFlags {
                exit_on_eof,
                verbose,
                snapshot_every,
                tick_steps,
                conn: !no_conn,
                ames: !no_ames,
                ames_port,
                http: (!no_http).then(|| components::app::HttpOptions {
                    port: http_port,
                    loopback_port,
                    bind: bind.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
                }),
                tty: !no_tty,
                threads,
                scry_threads,
                virtual_time,
                seed,
                net,
            };
            cmd::pier::run(&piers, options, &inject)
        }
        Command::Dojo { pier, command, timeout } => cmd::dojo::run(&pier, command, timeout),
        Command::Ames { pier } => cmd::ames::run(&pier),
        Command::Play { pier } => cmd::pier::play(&pier),
        Command::Debug {
            pier,
            script,
            diff,
            diff_jets,
            from,
            jets,
            checkpoint_every,
            checkpoint_after,
            checkpoint_mib,
            tick_steps,
            threads,
        } => debug::run(debug::Command {
            pier,
            diff,
            diff_jets,
            from,
            script,
            options: debug::session::Options {
                checkpoint_every,
                checkpoint_after: std::time::Duration::from_secs_f64(checkpoint_after.clamp(0.0, 1e6)),
                checkpoint_bytes_max: checkpoint_mib << 20,
                tick_steps,
                threads: threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                jets,
            },
        }),
        Command::Cram { pier, file } => cmd::pier::cram(&pier, &file),
        Command::Meld { pier } => cmd::pier::meld(&pier),
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
