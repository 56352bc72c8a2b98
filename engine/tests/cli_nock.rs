//! `engine nock` as a user runs it: the jam programs of ../shared/jam, crashes with their class and trace,
//! hints that print, and bad input.

use components::Heap;
use engine_tests::{cases, field, hex_u32, shared_path, vectors};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn engine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engine")).args(args).output().expect("engine runs")
}

fn jam_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let mut heap = Heap::new();
    let noun = heap.parse(text).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, heap.jam(noun)).unwrap();
    path
}

#[test]
fn the_quick_jam_programs_print_their_known_mugs() {
    let file = vectors("nock.json");
    for case in cases(&file, "programs") {
        let name = field(case, "file");
        if name.contains("decfast") || name.contains("decflow") || name.contains("decslow") {
            continue; // 2*10^9 steps without the a50 dec jet
        }
        let out = engine(&["nock", shared_path(name).to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let expected = format!("mug={:#x}", hex_u32(field(case, "mug")));
        assert!(stdout.lines().nth(1).unwrap().starts_with(&expected), "{name}: {stdout}");
    }
    let out = engine(&["nock", "--json", shared_path("jam/decrement2.jam").to_str().unwrap()]);
    let object: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(object["product"], "99");
    assert_eq!(object["mug"], "0x6aee1883");
    assert!(object["steps"].as_u64().unwrap() > 0);
}

#[test]
fn a_crash_exits_1_with_its_class_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    // [subject formula]: a %spot frame around a bad axis.
    let spot = u32::from_le_bytes(*b"spot");
    let path = jam_file(dir.path(), "crash.jam", &format!("[42 [11 [{spot} [1 [7 8]]] 0 2]]"));
    let out = engine(&["nock", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("crash: exit"), "{stderr}");
    assert!(stderr.contains(&format!("[{spot} 7 8]")), "the trace frame: {stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn slog_and_bout_print_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let (slog, bout, leaf) =
        (u32::from_le_bytes(*b"slog"), u32::from_le_bytes(*b"bout"), u32::from_le_bytes(*b"leaf"));
    // A priority-3 `[%leaf "hi"]` prints as Vere prints it; a slog that is no tank prints as a noun.
    let hints = format!("[0 [11 [{slog} [1 [3 {leaf} 104 105 0]]] 11 [{slog} [1 [0 26984]]] 11 {bout} 1 5]]");
    let path = jam_file(dir.path(), "hints.jam", &hints);
    let out = engine(&["nock", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("5\n"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(">>> hi\n"), "{stderr}");
    assert!(stderr.contains("26984\n"), "{stderr}");
    assert!(stderr.contains("took "), "{stderr}");
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let atom = jam_file(dir.path(), "atom.jam", "42");
    let garbage = dir.path().join("garbage.jam");
    std::fs::write(&garbage, [0x07]).unwrap();
    for path in [atom, garbage, dir.path().join("missing.jam")] {
        let out = engine(&["nock", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", path.display());
        assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
    }
}

#[test]
fn decfast_and_decflow_register_the_a50_dec_jet_and_finish_at_once() {
    for name in ["jam/decfast.jam", "jam/decflow.jam"] {
        let out = engine(&["nock", "--json", shared_path(name).to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let object: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(object["product"], "1999999999", "{name}");
        assert_eq!(object["mug"], "0x58be5892", "{name}");
        assert!(object["steps"].as_u64().unwrap() < 1000, "{name}: the jet did the work");
    }
}

#[test]
fn check_jets_compares_each_jet_with_its_nock() {
    let dir = tempfile::tempdir().unwrap();
    // A gate registered as %dec under an a50 root, called on 1000: the jet and its Nock both give 999.
    let program = std::fs::read(shared_path("jam/decfast.jam")).unwrap();
    let mut heap = Heap::new();
    let noun = heap.cue(&program).unwrap();
    let (subject, formula) = heap.cell_parts(noun).unwrap();
    let text = heap.print(formula).replace("1999999999", "999").replace("2000000000", "1000");
    let formula = heap.parse(&text).unwrap();
    let small = heap.cell(subject, formula);
    let path = dir.path().join("small.jam");
    std::fs::write(&path, heap.jam(small)).unwrap();
    let out = engine(&["nock", "--check-jets", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("jet calls agree with their Nock"), "{stderr}");
    assert!(!stderr.contains("check-jets: 0 jet calls"), "a jet was checked: {stderr}");
}
