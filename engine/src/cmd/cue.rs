//! `engine cue FILE [--json]`.

use components::{Heap, cue::CueClass};
use std::path::Path;
use std::time::Instant;

pub fn run(file: &Path, json: bool) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut heap = Heap::new();
    let started = Instant::now();
    let (noun, stats) = heap.cue_with_stats(&bytes).map_err(|e| {
        let class = match e.class() {
            CueClass::Exit => "exit",
            CueClass::Meme => "meme",
        };
        format!("cannot cue {}: {e} ({class})", file.display())
    })?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let mug = heap.mug(noun);
    if json {
        let object = serde_json::json!({
            "mug": format!("{mug:#x}"),
            "cells": stats.cells,
            "atoms": stats.atoms,
            "backrefs": stats.backrefs,
            "bytes": bytes.len(),
            "ms": (ms * 1e3).round() / 1e3,
        });
        println!("{object}");
    } else {
        println!(
            "mug={mug:#x} cells={} atoms={} backrefs={} bytes={} ms={ms:.3}",
            stats.cells,
            stats.atoms,
            stats.backrefs,
            bytes.len()
        );
    }
    Ok(())
}
