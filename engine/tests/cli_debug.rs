//! `engine debug` as a user drives it: the batch mode's JSON on a counter ship's pier, `--diff` against a
//! copy whose log has one event altered, and the terminal UI on a pseudo-terminal. The pier is never
//! written.

mod common;

use common::*;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A counter ship with a few events typed into it: its pier.
fn counter_with_history(dir: &Path) -> PathBuf {
    let pier = boot_counter(dir);
    ok(&run_with_input(&pier, "one\ntwo\nthree\n"), "run");
    pier
}

/// Every file of a pier and its bytes, to show nothing was written.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "conn.sock") {
                found.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

fn logged_mugs(pier: &Path) -> Vec<(u64, u32)> {
    let reader = store::PierReader::open(pier).unwrap();
    reader.records().iter().map(|r| (r.number, r.mug)).collect()
}

/// `engine debug ARGS` with `script` on its stdin: what it gave.
fn debug_script(args: &[&str], script: &str) -> std::process::Output {
    let mut child = engine_command()
        .arg("debug")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_batch_mode_steps_back_and_forth_and_answers_in_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let pier = counter_with_history(dir.path());
    let before = contents(&pier);
    let mugs = logged_mugs(&pier);
    let last = mugs.last().unwrap().0;
    let mug_of = |n: u64| format!("{:#x}", mugs.iter().find(|m| m.0 == n).unwrap().1);

    let script = "info\nlist\nfirst\nnext\nshow\ntick\nback\nlast\nback 2\ngoto 3\nfind belt\nbreak tag belt\n\
                  first\ncontinue\nbogus\n";
    let out = debug_script(&[pier.to_str().unwrap(), "--checkpoint-every", "2"], script);
    assert!(!out.status.success(), "an unknown command makes the status 1");
    let answers: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut answers = answers.into_iter();
    let mut next = || answers.next().expect("an answer");

    let info = next();
    assert_eq!(info["ship"], "~zod");
    assert_eq!(info["last"], last);
    assert_eq!(info["at"], last, "it opens at the newest snapshot, written at the end of the run");
    assert_eq!(info["mug"], mug_of(last));
    let life = info["lifecycle"].as_u64().unwrap();
    assert!(life >= 1);
    let rows: Vec<Value> = (0..last).map(|_| next()).collect();
    assert!(rows.iter().take(life as usize).all(|r| r["tag"] == "lifecycle"));
    assert!(
        rows.iter().skip(life as usize).all(|r| r["time"].as_str().is_some_and(|t| t.starts_with('~'))),
        "{rows:#?}"
    );
    assert!(rows.iter().any(|r| r["wire"] == "/d/term/1" && r["tag"] == "belt"), "{rows:?}");

    let first = next();
    assert_eq!(first["at"], life);
    let stepped = next();
    assert_eq!(
        (stepped["at"].as_u64(), stepped["mug"].as_str()),
        (Some(life + 1), Some(mug_of(life + 1).as_str()))
    );
    let shown = next();
    assert_eq!(shown["event"], life + 1);
    assert_eq!(shown["matches_log"], true);
    assert!(shown["ovum"].as_str().unwrap().starts_with('['));
    let ticked = next();
    assert_eq!(ticked["event"], life + 2);
    assert_eq!(ticked["ended"], true, "a counter event ends within one tick");
    let systems: Vec<&str> =
        ticked["systems"].as_array().unwrap().iter().map(|s| s["system"].as_str().unwrap()).collect();
    assert_eq!(systems, ["io_poll", "nock_step", "persist", "route_effects"]);
    let back = next();
    assert_eq!(
        (back["at"].as_u64(), back["mug"].as_str()),
        (Some(life + 1), Some(mug_of(life + 1).as_str()))
    );
    let at_last = next();
    assert_eq!((at_last["at"].as_u64(), at_last["mug"].as_str()), (Some(last), Some(mug_of(last).as_str())));
    let back_two = next();
    assert_eq!(
        (back_two["at"].as_u64(), back_two["mug"].as_str()),
        (Some(last - 2), Some(mug_of(last - 2).as_str()))
    );
    assert_eq!(next()["at"], 3);
    let found = next()["event"].as_u64().expect("a %belt event after event 3");
    assert!(found > 3);
    assert_eq!(next()["breakpoints"][0], "tag %belt");
    assert_eq!(next()["at"], life);
    let stopped = next();
    assert_eq!(stopped["breakpoint"], "tag %belt");
    let stopped_at = stopped["at"].as_u64().unwrap();
    assert_eq!(rows[stopped_at as usize]["tag"], "belt", "it stops before the event that matches");
    assert!(stopped_at > life);
    assert!(next()["error"].as_str().unwrap().contains("unknown command"));
    assert_eq!(contents(&pier), before, "the pier is not written");
}

/// Rewrites event `number` of the pier's log with `edit` applied to its jam (the record re-checksummed).
fn alter_event(
    pier: &Path,
    number: u64,
    edit: impl Fn(&mut components::Heap, components::Noun) -> components::Noun,
) {
    let segment = pier.join(".engine/log/0000000000000001.log");
    let reader = store::PierReader::open(pier).unwrap();
    let mut bytes = Vec::new();
    for record in reader.records() {
        let mut event = reader.read(record.number).unwrap();
        if record.number == number {
            let mut heap = components::Heap::new();
            let noun = heap.cue(&event.jam).unwrap();
            let edited = edit(&mut heap, noun);
            event.jam = heap.jam(edited);
        }
        store::record::encode(&mut bytes, event.number, event.mug, &event.jam);
    }
    std::fs::write(segment, bytes).unwrap();
}

#[test]
fn diff_finds_the_event_whose_card_was_altered_and_where_the_kernels_differ() {
    let dir = tempfile::tempdir().unwrap();
    let pier = counter_with_history(dir.path());
    let copy = dir.path().join("copy");
    copy_dir(&pier, &copy);
    let same = engine(&["debug", pier.to_str().unwrap(), "--diff", copy.to_str().unwrap()]);
    assert!(ok(&same, "diff").contains("no difference"), "{}", String::from_utf8_lossy(&same.stdout));

    // The journal kernel keeps every ovum: altering event 4's card changes the state from there.
    let journal = boot_pill(dir.path(), "journal", journal_pill(dir.path()));
    ok(&run_with_input(&journal, "one\ntwo\nthree\n"), "run");
    let altered = dir.path().join("altered");
    copy_dir(&journal, &altered);
    // The snapshots would hold the unaltered states: a copy has only its log.
    std::fs::remove_dir_all(altered.join(".engine/snap")).unwrap();
    alter_event(&altered, 4, |heap, job| {
        let (now, ovum) = heap.cell_parts(job).unwrap();
        let (wire, _) = heap.cell_parts(ovum).unwrap();
        let card = heap.parse(&format!("[{} 42]", t("altered"))).unwrap();
        let ovum = heap.cell(wire, card);
        heap.cell(now, ovum)
    });
    let out = engine(&["debug", journal.to_str().unwrap(), "--diff", altered.to_str().unwrap()]);
    let text = ok(&out, "diff");
    assert!(text.contains("the logs are the same through event 3"), "{text}");
    assert!(text.contains("first difference at event 4:"), "{text}");
    assert!(text.contains("%altered"), "B's event is shown: {text}");
    assert!(text.contains("the kernels first differ at axis"), "{text}");
}

/// A counter-shaped kernel whose next state is `add(state, 1)` through a gate registered (`%fast`) as
/// `k140/one/add`, so the add jet answers for it; but the gate's own arm gives its first argument back.
/// With jets the state counts events; with every arm's Nock run it never changes.
fn adder_pier(dir: &Path) -> PathBuf {
    let fast = |name: &str, parent: &str| format!("[1 [{} {parent} 0]]", t(name));
    // Each built in the subject the one before made: the root core, `one` under it (parent at axis 3),
    // the gate under `one` (parent at 7), then the gate kicked with the sample [state 1] (the state is at
    // 15 in the poke's subject, itself at 15 under the three cores: axis 127).
    let root = format!("[11 [{} {}] [1 [1 0] 140]]", t("fast"), fast("k140", "[1 0]"));
    let one = format!("[11 [{} {}] [[1 [1 1]] [0 2]]]", t("fast"), fast("one", "[0 3]"));
    let gate = format!("[11 [{} {}] [[1 [0 12]] [[1 [0 0]] [0 2]]]]", t("fast"), fast("add", "[0 7]"));
    let kick = "[9 2 [10 [6 [[0 127] [1 1]]] [0 2]]]";
    let next_state = format!("[8 {root} [8 {one} [8 {gate} {kick}]]]");
    let pier = boot_pill(dir, "adder", kernel_pill(dir, "adder", &next_state));
    ok(&run_with_input(&pier, "one\ntwo\n"), "run");
    pier
}

#[test]
fn diff_jets_finds_the_first_event_a_jet_and_its_arm_disagree() {
    let dir = tempfile::tempdir().unwrap();
    let pier = adder_pier(dir.path());
    let before = contents(&pier);
    let reader = store::PierReader::open(&pier).unwrap();
    let (first, last) = (reader.meta.life as u64 + 1, reader.last());
    drop(reader);
    assert!(last > first + 2, "events after the lifecycle: {first}-{last}");
    let path = pier.to_str().unwrap();

    // With jets, as the ship computed them: the same mugs as the log's.
    let same = ok(&engine(&["debug", path, "--diff-jets", "check", "--jets", "on"]), "diff-jets check");
    assert!(same.contains(&format!("first difference at event {first}:")), "{same}");
    assert!(same.contains("jet k140/one/add disagrees with its Nock"), "{same}");

    let off = ok(&engine(&["debug", path, "--diff-jets", "off"]), "diff-jets off");
    assert!(off.contains(&format!("both from event {}", first - 1)), "{off}");
    assert!(off.contains(&format!("first difference at event {first}: mug")), "{off}");
    assert!(off.contains("the kernels first differ at axis"), "{off}");

    let from = last - 1;
    let later = ok(&engine(&["debug", path, "--diff-jets", "off", "--from", &from.to_string()]), "--from");
    assert!(later.contains(&format!("first difference at event {last}: mug")), "{later}");

    // The batch mode with jets off: the events compute, but not as logged; with jets, as logged.
    let shown = |jets: &str| {
        let mut child = engine_command()
            .args(["debug", path, "--jets", jets])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("goto {}\nnext\nshow\n", first - 1).as_bytes())
            .unwrap();
        let out = ok(&child.wait_with_output().unwrap(), "debug --jets");
        let show: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        show["matches_log"].as_bool().unwrap_or_else(|| panic!("{out}"))
    };
    assert!(shown("on"));
    assert!(!shown("off"));
    assert_eq!(contents(&pier), before, "the pier is not written");
}

/// The screen a terminal would show for what the process wrote.
fn screen(output: &[u8], rows: u16, cols: u16) -> String {
    let mut parser = vt100::Parser::new(rows, cols, 0);
    parser.process(output);
    parser.screen().contents()
}

/// Waits until the screen shows `text` (at most 20 s).
fn wait_for(output: &std::sync::Mutex<Vec<u8>>, text: &str) -> String {
    wait_at_most(output, text, Duration::from_secs(20))
}

/// Waits until the screen shows `text`, for a computation of many events (at most 10 minutes).
fn wait_for_long(output: &std::sync::Mutex<Vec<u8>>, text: &str) -> String {
    wait_at_most(output, text, Duration::from_secs(600))
}

fn wait_at_most(output: &std::sync::Mutex<Vec<u8>>, text: &str, most: Duration) -> String {
    let started = Instant::now();
    loop {
        let shown = screen(&output.lock().unwrap(), 40, 160);
        if shown.contains(text) {
            return shown;
        }
        assert!(started.elapsed() < most, "the screen never showed {text:?}:\n{shown}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_terminal_ui_steps_back_and_jumps_to_the_last_event() {
    let dir = tempfile::tempdir().unwrap();
    let pier = counter_with_history(dir.path());
    let last = logged_mugs(&pier).last().unwrap().0;
    let args = [std::ffi::OsStr::new("debug"), pier.as_os_str()];
    let (mut child, mut keys, output) = on_a_terminal(&args, Some((40, 160)));
    let shown = wait_for(&output, &format!("at {last}"));
    assert!(shown.contains("event") && shown.contains("/d/term/1"), "{shown}");

    keys.write_all(b"g2\r").unwrap();
    wait_for(&output, "jumped to event 2");
    keys.write_all(b"n").unwrap();
    let shown = wait_for(&output, "next to event 3");
    assert!(shown.contains("effects (1):"), "the event's effects are shown: {shown}");
    keys.write_all(b"p").unwrap();
    wait_for(&output, "back to event 2");
    keys.write_all(b"G").unwrap();
    wait_for(&output, &format!("jumped to event {last}"));
    keys.write_all(b"q").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
}

/// A tick as the batch mode reports it: event, tick, steps, whether the event ended.
type Tick = (u64, u64, u64, bool);

/// The ticks of replaying the whole pier from the first computable event, and the mug after each event,
/// with `threads` threads for heavy jets' jobs: `(event, tick, steps, ended)` and `(event, mug)`.
fn replay_ticks(pier: &Path, threads: &str) -> (Vec<Tick>, Vec<(u64, String)>) {
    let out = debug_script(
        &[pier.to_str().unwrap(), "--threads", threads, "--tick-steps", "100000"],
        "first\ntick 1000000\nlist\n",
    );
    let text = ok(&out, "debug");
    let answers: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ticks = answers.iter().filter(|a| a.get("tick").is_some()).map(|a| {
        (
            a["event"].as_u64().unwrap(),
            a["tick"].as_u64().unwrap(),
            a["steps"].as_u64().unwrap(),
            a["ended"] == true,
        )
    });
    let mugs = answers.iter().filter(|a| a.get("mug").is_some() && a.get("event").is_some()).map(|a| {
        assert_eq!(a["matches_log"], true, "{a}");
        (a["event"].as_u64().unwrap(), a["mug"].as_str().unwrap().to_string())
    });
    (ticks.collect(), mugs.collect())
}

#[test]
fn a_replay_gives_the_same_ticks_and_mugs_on_one_thread_and_two() {
    let dir = tempfile::tempdir().unwrap();
    let pier = counter_with_history(dir.path());
    let (one_ticks, one_mugs) = replay_ticks(&pier, "1");
    let (two_ticks, two_mugs) = replay_ticks(&pier, "2");
    assert!(!one_ticks.is_empty() && !one_mugs.is_empty());
    assert_eq!(one_ticks, two_ticks);
    assert_eq!(one_mugs, two_mugs);
}

/// A fake ~zod booted from brass.pill: replayed with one thread and with two, the same ticks (events
/// sliced at 100,000 steps, heavy jets' jobs answered on the pool or here) and the same mug after every
/// event; then the terminal UI: find the `%boot` event, compute up to it, its card shown, a step back, a
/// jump to the last event.
#[test]
#[ignore = "long: boots brass.pill (about 4 minutes in release), then replays it twice"]
fn brass_replays_the_same_on_one_thread_and_two_and_the_terminal_ui_steps_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let pier = dir.path().join("zod");
    let brass = engine_tests::pill_path("brass.pill");
    ok(
        &engine(&["boot", "--fake", "zod", "--pill", brass.to_str().unwrap(), pier.to_str().unwrap()]),
        "boot",
    );
    let before = contents(&pier);
    let (one_ticks, one_mugs) = replay_ticks(&pier, "1");
    let (two_ticks, two_mugs) = replay_ticks(&pier, "2");
    assert!(one_mugs.len() > 5);
    assert_eq!(one_ticks, two_ticks);
    assert_eq!(one_mugs, two_mugs);

    let last = logged_mugs(&pier).last().unwrap().0;
    let args = [std::ffi::OsStr::new("debug"), pier.as_os_str()];
    let (mut child, mut keys, output) = on_a_terminal(&args, Some((40, 160)));
    wait_for(&output, &format!("at {last}"));
    keys.write_all(b"/%boot\r").unwrap();
    let shown = wait_for(&output, "found %boot at event");
    let at = shown.find("found %boot at event ").unwrap() + "found %boot at event ".len();
    let boot: u64 = shown[at..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap();
    keys.write_all(b"\r").unwrap();
    let shown = wait_for_long(&output, &format!("jumped to event {boot}"));
    assert!(shown.contains("%boot"), "{shown}");
    assert!(shown.contains("jets ("), "the jets it called are listed: {shown}");
    keys.write_all(b"p").unwrap();
    wait_for_long(&output, &format!("back to event {}", boot - 1));
    keys.write_all(b"G").unwrap();
    wait_for_long(&output, &format!("jumped to event {last}"));
    keys.write_all(b"q").unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(contents(&pier), before, "the pier is not written");
}

#[test]
fn a_tick_back_recomputes_the_event_to_one_tick_short() {
    let dir = tempfile::tempdir().unwrap();
    let pier = counter_with_history(dir.path());
    // The counter kernel's events take about ten steps: three ticks of two leave one unfinished.
    let out =
        debug_script(&[pier.to_str().unwrap(), "--tick-steps", "2"], "first\ntick 3\nuntick\nuntick\nnext\n");
    let answers: Vec<Value> = ok(&out, "debug").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let base = answers[0]["at"].as_u64().unwrap();
    let ticks = &answers[1..4];
    assert!(ticks.iter().all(|t| t["event"] == base + 1 && t["ended"] == false), "{ticks:?}");
    let steps_after = |answer: &Value| answer["in_flight"]["steps"].as_u64();
    let (once_back, twice_back) = (&answers[4], &answers[5]);
    assert_eq!(once_back["at"], base);
    assert_eq!(steps_after(once_back), ticks[1]["steps_in_event"].as_u64(), "two ticks' steps: {once_back}");
    assert_eq!(
        steps_after(twice_back),
        ticks[0]["steps_in_event"].as_u64(),
        "one tick's steps: {twice_back}"
    );
    let finished = &answers[6];
    assert_eq!(finished["at"], base + 1);
    let logged = store::PierReader::open(&pier).unwrap().record(base + 1).unwrap().mug;
    assert_eq!(finished["mug"], format!("{logged:#x}"), "the event ends as logged");
}

/// A counter-shaped kernel that answers each `%hear` with a `%send` on the lane it came from: to `nec`'s
/// lane the datagram `ack_nec`, to any other `ack_other`; other events give no effects.
fn acker_pier(dir: &Path, nec: std::net::SocketAddrV4, ack_nec: &[u8], ack_other: &[u8]) -> PathBuf {
    let atom = |bytes: &[u8]| {
        let mut wide = [0u8; 16];
        wide[..bytes.len()].copy_from_slice(bytes);
        u128::from_le_bytes(wide).to_string()
    };
    // The gate's subject: [battery [[now ovum] kernel]]: the card's tag at 54, its lane at 110.
    let is_hear = format!("[5 [1 {}] [0 54]]", t("hear"));
    let nec_lane = format!("[1 {}]", engine_io::ames::Lane::address_atom(nec));
    let ack = format!("[6 [5 [1 {nec_lane}] [0 110]] [1 {}] [1 {}]]", atom(ack_nec), atom(ack_other));
    let send = format!("[[1 [{} {} 0]] [1 {}] [0 110] {ack}]", t("newt"), t("0"), t("send"));
    let battery = format!("[6 {is_hear} [[{send} [1 0]] [0 14] [4 0 15]] [[1 0] [0 14] [4 0 15]]]");
    let mut heap = components::Heap::new();
    let pill = heap.parse(&engine_tests::kernel_pill_with_poke("acker", &battery)).unwrap();
    let path = dir.join("acker.pill");
    std::fs::write(&path, heap.jam(pill)).unwrap();
    boot_pill(dir, "acker", path)
}

/// [`run_with_ames`] with conn, once its conn socket is up.
fn run_with_ames_and_conn(pier: &Path) -> (std::process::Child, u16, Reading, Reading) {
    let running = run_with_ames(pier, true);
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(pier.join(".urb/conn.sock")).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "no conn socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    running
}

/// A peer's flow as the running ship's `engine ames` shows it: lane, packets in and out, bytes in and
/// out.
type LiveFlow = (String, u64, u64, u64, u64);

/// Waits (at most 60 s) until `engine ames` shows these flows (by peer name): what it showed.
fn live_flows_become(pier: &Path, expected: &[(&str, LiveFlow)]) -> Vec<(String, LiveFlow)> {
    let started = Instant::now();
    loop {
        let out = engine(&["ames", pier.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let shown: Vec<(String, LiveFlow)> = text
            .lines()
            .filter(|l| l.starts_with('~'))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let n = |i: usize| f[i].parse::<u64>().unwrap();
                (f[0].to_string(), (f[1].to_string(), n(2), n(3), n(4), n(5)))
            })
            .collect();
        if expected.iter().all(|(name, flow)| shown.iter().any(|(n, f)| n == name && f == flow)) {
            return shown;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "engine ames never showed {expected:?}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The numbers of the log's `%hear` events, in order.
fn hear_events(pier: &Path) -> Vec<u64> {
    let reader = store::PierReader::open(pier).unwrap();
    let life = reader.meta.life as u64;
    let hear = u32::from_le_bytes(*b"hear") as u64;
    let is_hear = |number: u64| {
        let mut heap = components::Heap::new();
        let job = heap.cue(&reader.read(number).unwrap().jam).unwrap();
        let card = heap.tail(job).and_then(|ovum| heap.tail(ovum));
        card.and_then(|c| heap.head(c)).and_then(|tag| tag.as_direct()) == Some(hear)
    };
    reader.records().iter().map(|r| r.number).filter(|&n| n > life && is_hear(n)).collect()
}

/// A `flows` answer: its summary line, then its peers' lines by name.
fn take_flows(answers: &mut impl Iterator<Item = Value>) -> (Value, Vec<(String, Value)>) {
    let summary = answers.next().expect("the flows' summary");
    let count = summary["flows"].as_u64().unwrap_or_else(|| panic!("not a flows summary: {summary}"));
    let peers = (0..count)
        .map(|_| {
            let peer = answers.next().expect("a peer's flow");
            (peer["peer"].as_str().unwrap().to_string(), peer)
        })
        .collect();
    (summary, peers)
}

/// A peer's counts in a `flows` answer: lane, packets in and out, bytes in and out.
fn counts(flow: &Value) -> LiveFlow {
    let n = |key: &str| flow[key].as_u64().unwrap();
    let lane = flow["lane"].as_str().unwrap().to_string();
    (lane, n("packets_in"), n("packets_out"), n("bytes_in"), n("bytes_out"))
}

/// Datagrams from ~nec and ~bud, each from its own socket, heard by a running ship that acks each: the
/// debugger's `flows` counts what the log heard through the kernel's event and what the events it
/// computed sent, as `engine ames` showed them live; fewer after stepping back; and the terminal UI shows
/// them behind `a`.
#[test]
fn flows_show_each_peers_lane_packets_and_bytes_as_of_the_kernels_event() {
    use engine_io::ames::packet;
    let dir = tempfile::tempdir().unwrap();
    let nec = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let bud = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = |socket: &std::net::UdpSocket| match socket.local_addr().unwrap() {
        std::net::SocketAddr::V4(address) => address,
        other => panic!("{other}"),
    };
    let (nec_lane, bud_lane) = (address(&nec).to_string(), address(&bud).to_string());
    let (ack_nec, ack_bud) = (packet(0, 1, b"ack"), packet(0, 2, b"ack!"));
    let pier = acker_pier(dir.path(), address(&nec), &ack_nec, &ack_bud);
    let (mut child, port, stderr, stdout) = run_with_ames_and_conn(&pier);
    let to = format!("127.0.0.1:{port}");

    // ~nec twice, ~bud once, ~nec again: each heard and acked before the next goes.
    let sent = [
        (&nec, packet(1, 0, b"one")),
        (&nec, packet(1, 0, b"two")),
        (&bud, packet(2, 0, b"three")),
        (&nec, packet(1, 0, b"four, later")),
    ];
    let len = |i: usize| sent[i].1.len() as u64;
    let (ack_nec_bytes, ack_bud_bytes) = (ack_nec.len() as u64, ack_bud.len() as u64);
    let nec_after = |k: u64, bytes: u64| (nec_lane.clone(), k, k, bytes, k * ack_nec_bytes);
    let bud_once = (bud_lane.clone(), 1, 1, len(2), ack_bud_bytes);
    let expected_live = [
        vec![("~nec", nec_after(1, len(0)))],
        vec![("~nec", nec_after(2, len(0) + len(1)))],
        vec![("~nec", nec_after(2, len(0) + len(1))), ("~bud", bud_once.clone())],
        vec![("~nec", nec_after(3, len(0) + len(1) + len(3))), ("~bud", bud_once.clone())],
    ];
    let mut live = Vec::new();
    for ((socket, datagram), expected) in sent.iter().zip(&expected_live) {
        socket.send_to(datagram, &to).unwrap();
        live = live_flows_become(&pier, expected);
    }
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(status.success(), "status {status:?}\n{stderr}");
    let _ = stdout.join();

    let hears = hear_events(&pier);
    assert_eq!(hears.len(), 4, "each datagram is a %hear in the log: {hears:?}");
    let last = logged_mugs(&pier).last().unwrap().0;
    let life = store::PierReader::open(&pier).unwrap().meta.life as u64;
    let script = format!(
        "flows\nfirst\ncontinue\nflows\ngoto {}\nflows\ngoto {}\nflows\nlist {} {}\n",
        hears[3] - 1,
        hears[2] - 1,
        hears[0],
        hears[3] - hears[0] + 1
    );
    let text = ok(&debug_script(&[pier.to_str().unwrap()], &script), "debug flows");
    let mut answers = text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());

    // As opened (at the snapshot of the last event, nothing computed): every %hear, no sends.
    let (summary, peers) = take_flows(&mut answers);
    assert_eq!(summary["through"], last, "{summary}");
    assert_eq!(summary["sends_counted_from"], Value::Null, "{summary}");
    assert_eq!(summary["sends_counted_events"], 0);
    let names: Vec<&str> = peers.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["~nec", "~bud"], "by peer number");
    let none_sent = |(lane, packets, _, bytes, _): LiveFlow| (lane, packets, 0, bytes, 0);
    assert_eq!(counts(&peers[0].1), none_sent(nec_after(3, len(0) + len(1) + len(3))));
    assert_eq!(counts(&peers[1].1), none_sent(bud_once.clone()));
    let heard_at_open: Vec<Value> = peers.iter().map(|(_, flow)| flow["last_heard"].clone()).collect();

    // Every event computed again: the sends too, as the running ship counted them.
    answers.next().expect("first");
    assert_eq!(answers.next().expect("continue")["at"], last);
    let (summary, peers) = take_flows(&mut answers);
    assert_eq!(
        (&summary["through"], &summary["sends_counted_from"], &summary["sends_counted_events"]),
        (&Value::from(last), &Value::from(life + 1), &Value::from(last - life)),
        "{summary}"
    );
    assert_eq!(summary["unparsed_in"]["packets"], 0);
    assert_eq!(summary["unparsed_out"]["packets"], 0);
    let replayed: Vec<(String, LiveFlow)> =
        peers.iter().map(|(name, flow)| (name.clone(), counts(flow))).collect();
    assert_eq!(replayed, live, "the replay's flows are those engine ames showed");
    let heard_after: Vec<Value> = peers.iter().map(|(_, flow)| flow["last_heard"].clone()).collect();
    assert_eq!(heard_after, heard_at_open);

    // Back before ~nec's last packet, then before ~bud's: fewer.
    assert_eq!(answers.next().expect("goto")["at"], hears[3] - 1);
    let (summary, peers) = take_flows(&mut answers);
    assert_eq!(summary["through"], hears[3] - 1);
    assert_eq!(summary["sends_counted_events"], hears[3] - 1 - life);
    assert_eq!(counts(&peers[0].1), nec_after(2, len(0) + len(1)));
    assert_eq!(counts(&peers[1].1), bud_once);
    assert_eq!(answers.next().expect("goto")["at"], hears[2] - 1);
    let (summary, peers) = take_flows(&mut answers);
    assert_eq!(summary["through"], hears[2] - 1);
    assert_eq!(peers.len(), 1, "~bud not heard from yet: {peers:?}");
    assert_eq!(counts(&peers[0].1), nec_after(2, len(0) + len(1)));

    // Last heard: the date of the last %hear from each.
    let rows: Vec<Value> = answers.collect();
    let time_of = |event: u64| rows.iter().find(|r| r["event"] == event).unwrap()["time"].clone();
    assert_eq!(peers[0].1["last_heard"], time_of(hears[1]));
    assert_eq!(heard_at_open, [time_of(hears[3]), time_of(hears[2])]);

    // The terminal UI: `a` shows them.
    let args = [std::ffi::OsStr::new("debug"), pier.as_os_str()];
    let (mut child, mut keys, output) = on_a_terminal(&args, Some((40, 160)));
    wait_for(&output, &format!("at {last}"));
    keys.write_all(b"a").unwrap();
    let shown = wait_for(&output, &format!("ames flows as of event {last}: 2 peers"));
    let line_of = |name: &str| shown.lines().find(|l| l.contains(name)).map(str::to_string);
    let nec_line = line_of("~nec ").unwrap_or_else(|| panic!("{shown}"));
    assert!(nec_line.contains(&nec_lane), "{shown}");
    let bud_line = line_of(&bud_lane).unwrap_or_else(|| panic!("{shown}"));
    assert!(bud_line.contains("~bud"), "{shown}");
    keys.write_all(b"q").unwrap();
    assert!(child.wait().unwrap().success());
}
