//! `engine eval 'EXPR'` (or EXPR on stdin): evaluate Hoon with the ivory pill's standard library and print
//! the product as `urbit eval` does; `--raw` prints the noun in the text notation; `--jam FILE` writes it.

use components::Heap;
use pills::Pill;
use std::io::Read;
use std::path::Path;
use systems::arvo::{Evaluation, Ivory, Runner};

/// The width Vere renders at when the output is not a terminal.
const WIDTH_COLUMNS: u64 = 80;

pub struct Options<'a> {
    pub expr: Option<String>,
    pub pill: Option<&'a Path>,
    pub raw: bool,
    pub jam: Option<&'a Path>,
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
    let pill = Pill::load(&pill_path, &mut heap).map_err(|e| e.to_string())?;
    let Pill::Ivory { .. } = pill else {
        return Err(format!("{} is not an ivory pill (eval needs ivory.pill)", pill_path.display()));
    };
    let pill_noun =
        heap.cue(&std::fs::read(&pill_path).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let nok_ver = heap.tail(pill_noun).expect("checked: an ivory pill");
    let mut runner = Runner::new();
    let ivory = Ivory::boot(&mut heap, &mut runner, nok_ver)
        .map_err(|crash| format!("the ivory pill's lifecycle crashed: {}", crash.mote.name()))?;

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
