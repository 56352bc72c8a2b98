//! `engine eval` as a user runs it: a product printed as `urbit eval` prints it, the compiler's error with
//! status 1, stdin, `--raw`, `--jam`, and a clear message when the ivory pill is missing.

use engine_tests::pill_path;
use std::io::Write;
use std::process::{Command, Output, Stdio};

mod common;

/// A cache directory of this test process's own, so tests never touch the user's cache.
fn test_cache() -> std::path::PathBuf {
    common::process_cache("eval-cache")
}

fn engine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engine"))
        .args(args)
        .env("ENGINE_CACHE", test_cache())
        .output()
        .expect("engine runs")
}

fn ivory() -> String {
    pill_path("ivory.pill").to_str().unwrap().to_string()
}

#[test]
fn eval_prints_products_and_errors_as_vere_does() {
    let out = engine(&["eval", "--pill", &ivory(), "[%foo 0x10 ~zod]"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "[%foo 0x10 ~zod]\n");

    // An expression may start with `-`: it is not taken for an option.
    let out = engine(&["eval", "--pill", &ivory(), "-:[%bar 0x10]"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "%bar\n");

    let out = engine(&["eval", "--pill", &ivory(), "(add 2"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr, "/eval\n{1 7}\nsyntax error\neval: bail: %exit\n");
}

#[test]
fn eval_reads_stdin_and_prints_raw_or_jammed_nouns() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_engine"))
        .args(["eval", "--raw", "--pill", &ivory()])
        .env("ENGINE_CACHE", test_cache())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"~[1 2 3]").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "[1 2 3 0]\n");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("product.jam");
    let out = engine(&["eval", "--pill", &ivory(), "--jam", path.to_str().unwrap(), "[1 2]"]);
    assert!(out.status.success());
    assert_eq!(std::fs::read(&path).unwrap(), vec![0x31, 0x12]);
}

#[test]
fn a_missing_ivory_pill_says_where_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_engine"))
        .args(["eval", "(add 2 2)"])
        .env("ENGINE_PILLS", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("engine pill fetch") && stderr.contains("--pill"), "{stderr}");
}

#[test]
fn a_booted_kernel_is_cached_and_a_bad_cache_is_ignored() {
    let cache = tempfile::tempdir().unwrap();
    let run = |expr: &str| {
        Command::new(env!("CARGO_BIN_EXE_engine"))
            .args(["eval", "--pill", &ivory(), expr])
            .env("ENGINE_CACHE", cache.path())
            .output()
            .unwrap()
    };
    let first = run("(mul 6 7)");
    assert_eq!(String::from_utf8(first.stdout).unwrap(), "42\n");
    let files: Vec<_> = std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one cached kernel: {files:?}");
    // From the cache: the jets registered at boot come back too, or this would crawl.
    let second = run("(roll (gulf 1 1.000) add)");
    assert_eq!(String::from_utf8(second.stdout).unwrap(), "500.500\n");
    std::fs::write(&files[0], b"not a jam of a kernel").unwrap();
    let third = run("(add 2 2)");
    assert_eq!(String::from_utf8(third.stdout).unwrap(), "4\n", "a bad cache is rebuilt, not trusted");
    assert!(std::fs::read(&files[0]).unwrap().len() > 1000);
}

#[test]
fn a_computation_past_the_loom_fails_with_meme_and_the_same_one_fits_a_bigger_loom() {
    // A list of two million cells: about 48 MB of cells, more than a 32 MiB loom holds.
    let expr = "(lent (reap 2.000.000 [1 2]))";
    let out = engine(&["eval", "--pill", &ivory(), "--loom", "25", expr]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.ends_with("eval: bail: %meme\n"), "{stderr}");

    let out = engine(&["eval", "--pill", &ivory(), "--loom", "28", expr]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "2.000.000\n");

    let out = engine(&["eval", "--pill", &ivory(), "--loom", "50", "(add 2 2)"]);
    assert_eq!(out.status.code(), Some(2), "a loom out of range is a usage error");
}
