//! `engine cue` as a user runs it: the pills' mugs as Vere computes them, the JSON shape, and bad input.

use engine_tests::{field, hex_u32, pill_path, vectors};
use std::process::{Command, Output};

fn engine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engine")).args(args).output().expect("engine runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn cue_of_each_urbit_pill_prints_vere_s_mug() {
    let pills = vectors("pills.json");
    for name in ["ivory.pill", "brass.pill"] {
        let path = pill_path(name);
        let out = engine(&["cue", path.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let expected = format!("mug={:#x}", hex_u32(field(&pills[name], "mug")));
        assert!(stdout(&out).starts_with(&expected), "{name}: {}", stdout(&out));
    }
}

#[test]
fn cue_json_prints_one_object_with_the_documented_keys() {
    let path = pill_path("ivory.pill");
    let out = engine(&["cue", "--json", path.to_str().unwrap()]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1);
    let object: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(object["mug"], "0x2a2274c9");
    assert_eq!(object["cells"], 393107);
    assert_eq!(object["atoms"], 166868);
    assert_eq!(object["bytes"], 1136643);
    assert!(object["ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn cue_of_bad_input_exits_1_with_a_one_line_reason() {
    let dir = std::env::temp_dir().join(format!("engine-cli-cue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.jam");
    std::fs::write(&bad, [0x07]).unwrap();
    let missing = dir.join("missing.jam");
    for path in [&bad, &missing] {
        let out = engine(&["cue", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = engine(&["cue", bad.to_str().unwrap()]);
    assert!(String::from_utf8(out.stderr).unwrap().contains("backreference"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_lists_the_commands() {
    let out = engine(&["--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("cue"));
}
