//! `engine eval 'EXPR'` (or EXPR on stdin): evaluate Hoon with the ivory pill's standard library and print
//! the product as `urbit eval` does; `--raw` prints the noun in the text notation; `--jam FILE` writes it.

use crate::cache;
use components::Heap;
use pills::Pill;
use std::io::Read;
use std::path::{Path, PathBuf};
use systems::arvo::{Evaluation, Ivory, Runner};

/// The width Vere renders at when the output is not a terminal.
const WIDTH_COLUMNS: u64 = 80;

pub struct Options<'a> {
    pub expr: Option<String>,
    pub pill: Option<&'a Path>,
    pub raw: bool,
    pub jam: Option<&'a Path>,
    /// Boot from the pill even when a cached booted kernel exists.
    pub no_cache: bool,
    /// The heap holds at most `1 << loom_bits` bytes (Vere's `--loom`).
    pub loom_bits: u8,
}

/// The cache file for a pill: named by a hash of its bytes, so a different pill never matches.
fn cache_path(pill_bytes: &[u8]) -> PathBuf {
    cache::dir().join(format!("ivory-{}.jam", cache::key([pill_bytes])))
}

/// The booted ivory kernel: from the cache when it holds a good one, else by booting the pill (and then
/// caching the result; a cache that cannot be written is only a missed speed-up).
fn booted(heap: &mut Heap, runner: &mut Runner, pill_path: &Path, no_cache: bool) -> Result<Ivory, String> {
    let bytes =
        std::fs::read(pill_path).map_err(|e| format!("cannot read pill {}: {e}", pill_path.display()))?;
    let cached = cache_path(&bytes);
    if !no_cache
        && let Ok(saved) = std::fs::read(&cached)
        && let Ok(noun) = heap.cue(&saved)
        && let Some(ivory) = Ivory::restore(heap, runner, noun)
    {
        return Ok(ivory);
    }
    let pill_noun =
        heap.cue(&bytes).map_err(|e| format!("pill {} is not a jam file: {e}", pill_path.display()))?;
    let Pill::Ivory { .. } = Pill::from_noun(heap, pill_noun).map_err(|e| e.to_string())? else {
        return Err(format!("{} is not an ivory pill (eval needs ivory.pill)", pill_path.display()));
    };
    let nok_ver = heap.tail(pill_noun).expect("checked: an ivory pill");
    let ivory = Ivory::boot(heap, runner, nok_ver)
        .map_err(|crash| format!("the ivory pill's lifecycle crashed: {}", crash.mote.name()))?;
    let saved = ivory.save(heap, runner);
    let jammed = heap.jam(saved);
    let partial = cached.with_extension("partial");
    let _ = std::fs::create_dir_all(cache::dir())
        .and_then(|()| std::fs::write(&partial, jammed))
        .and_then(|()| std::fs::rename(&partial, &cached));
    Ok(ivory)
}

pub fn run(options: Options<'_>) -> Result<(), String> {
    let source = match options.expr {
        Some(expr) => expr,
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read stdin: {e}"))?;
            text
        }
    };
    let pill_path = pills::locate::find("ivory.pill", options.pill)?;
    let mut heap = Heap::with_capacity(1 << 22);
    let mut runner = Runner::new();
    runner.limits.heap_words_max = (1usize << options.loom_bits) / std::mem::size_of::<u64>();
    // Ctrl-c stops the evaluation with `intr` (and its trace), as it does a Nock run.
    signal_hook::flag::register(signal_hook::consts::SIGINT, std::sync::Arc::clone(&runner.interrupt))
        .map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    let ivory = booted(&mut heap, &mut runner, &pill_path, options.no_cache)?;

    if options.raw || options.jam.is_some() {
        return match runner.wish(&mut heap, ivory.kernel, &source) {
            Ok(value) => {
                if let Some(path) = options.jam {
                    std::fs::write(path, heap.jam(value))
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                }
                if options.raw {
                    println!("{}", heap.show(value));
                }
                Ok(())
            }
            Err(crash) => fail(&mut heap, &mut runner, &ivory, &source, crash.mote.name()),
        };
    }
    match ivory.eval(&mut heap, &mut runner, &source, WIDTH_COLUMNS) {
        Evaluation::Value(lines) => {
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        Evaluation::Error { mote, lines } => {
            for line in lines {
                eprintln!("{line}");
            }
            eprintln!("eval: bail: %{}", mote.name());
            std::process::exit(1);
        }
    }
}

/// A failed `--raw`/`--jam` wish: the error as `eval` renders it.
fn fail(heap: &mut Heap, runner: &mut Runner, ivory: &Ivory, source: &str, mote: &str) -> Result<(), String> {
    if let Evaluation::Error { lines, .. } = ivory.eval(heap, runner, source, WIDTH_COLUMNS) {
        for line in lines {
            eprintln!("{line}");
        }
    }
    eprintln!("eval: bail: %{mote}");
    std::process::exit(1);
}
