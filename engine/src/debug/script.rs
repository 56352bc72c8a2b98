//! The debugger's batch mode: commands, one a line (from a file or stdin), each answered with JSON lines
//! on stdout. The same commands as the terminal UI's keys:
//!
//! ```text
//! info                      the pier, the log's bounds, where the kernel is, its mug, the checkpoints
//! list [FROM [COUNT]]       events (one JSON line each), with what computing them gave, if they have been
//! show [N]                  one event in full: its ovum, effects, slogs, crash (default: the last computed)
//! next [K]  / back [K]      K events forward / back (default 1)
//! tick [K]                  K ticks: the systems of each and what they did
//! untick [K]                K ticks back (the event recomputed from its start)
//! goto N | goto ~DATE       to event N, or to the first event stamped at or after the date
//! first / last              to the first computable event / the last one
//! find TEXT                 the next event whose wire contains TEXT or whose tag is TEXT
//! break wire|vane|tag|mug X a breakpoint; `break` alone lists them, `clear` removes them
//! continue                  forward to the next breakpoint (or the end of the log)
//! flows                     each ames peer's flow as of the kernel's event (one JSON line each, by peer
//!                           number: lane, packets and bytes in and out, last heard), after a line of
//!                           what is counted: every %hear of the log through the event; the sends of the
//!                           events computed in this session only (`sends_counted_from`)
//! ```
//!
//! A command that fails answers `{"error": ...}` and the script goes on; the exit status is then 1.

use super::flows::{self, Flows, Tally};
use super::session::{Breakpoint, Computed, Row, Session, TickReport};
use components::{aura, time};
use serde_json::{Value, json};
use std::io::{BufRead, Write};

/// The most lines a script may have (a limit on input from outside).
const SCRIPT_LINES_MAX: usize = 100_000;
/// The most events one `list` gives.
const LIST_MAX: u64 = 100_000;

/// Runs the commands read from `input`, writing JSON lines to `out`; `Err` if any command failed.
pub fn run(session: &mut Session, input: impl BufRead, out: &mut impl Write) -> Result<(), String> {
    let mut failed = 0usize;
    for (index, line) in input.lines().enumerate() {
        if index == SCRIPT_LINES_MAX {
            return Err(format!("debug: a script of more than {SCRIPT_LINES_MAX} lines"));
        }
        let line = line.map_err(|e| format!("debug: cannot read the script: {e}"))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let answers = match command(session, line) {
            Ok(answers) => answers,
            Err(e) => {
                failed += 1;
                vec![json!({"command": line, "error": e})]
            }
        };
        for answer in answers {
            writeln!(out, "{answer}").map_err(|e| format!("debug: cannot write: {e}"))?;
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(format!("debug: {n} command(s) failed")),
    }
}

/// One command's answers.
pub fn command(session: &mut Session, line: &str) -> Result<Vec<Value>, String> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    let count = |default: u64| -> Result<u64, String> {
        args.first().map_or(Ok(default), |a| a.parse().map_err(|_| format!("not a count: {a}")))
    };
    match verb {
        "info" => Ok(vec![info(session)]),
        "list" => {
            let from = count(session.rows().first().map_or(1, |r| r.number))?;
            let most =
                args.get(1).map_or(Ok(LIST_MAX), |a| a.parse().map_err(|_| format!("not a count: {a}")))?;
            let rows: Vec<Row> = session
                .rows()
                .iter()
                .filter(|r| r.number >= from)
                .take(most.min(LIST_MAX) as usize)
                .cloned()
                .collect();
            Ok(rows.iter().map(|row| row_json(row, session.computed(row.number))).collect())
        }
        "show" => {
            let number = count(session.at())?;
            let row = session.row(number).ok_or(format!("no event {number} in the log"))?;
            Ok(vec![detail_json(row, session.computed(number))])
        }
        "next" => {
            for _ in 0..count(1)? {
                if !session.step()? {
                    break;
                }
            }
            Ok(vec![position(session, None)])
        }
        "back" => {
            let target = session.at().saturating_sub(count(1)?);
            let took = session.goto(target)?;
            Ok(vec![position(session, Some(took))])
        }
        "tick" => {
            let mut answers = Vec::new();
            for _ in 0..count(1)? {
                match session.tick()? {
                    Some(report) => answers.push(tick_json(&report)),
                    None => break,
                }
            }
            Ok(answers)
        }
        "untick" => {
            let mut took = std::time::Duration::ZERO;
            for _ in 0..count(1)? {
                took += session.back_tick()?;
            }
            Ok(vec![position(session, Some(took))])
        }
        "goto" | "jump" => {
            let arg = args.first().ok_or("goto: an event number or a date")?;
            let target = match arg.strip_prefix('~') {
                Some(_) => {
                    let da = systems::jets::da_from_text(arg).ok_or(format!("not a date: {arg}"))?;
                    session.event_at_time(da).ok_or(format!("no event at or after {arg}"))?
                }
                None => arg.parse().map_err(|_| format!("not an event number: {arg}"))?,
            };
            let took = session.goto(target)?;
            Ok(vec![position(session, Some(took))])
        }
        "first" => {
            let took = session.goto(session.base())?;
            Ok(vec![position(session, Some(took))])
        }
        "last" => {
            let took = session.goto(session.last())?;
            Ok(vec![position(session, Some(took))])
        }
        "find" | "search" => {
            let text = args.join(" ");
            let found = session.search(&text, session.at());
            Ok(vec![json!({"find": text, "event": found})])
        }
        "break" => {
            if let Some(breakpoint) = parse_breakpoint(&args)? {
                session.breakpoints.push(breakpoint);
            }
            let listed: Vec<String> = session.breakpoints.iter().map(describe_breakpoint).collect();
            Ok(vec![json!({"breakpoints": listed})])
        }
        "clear" => {
            session.breakpoints.clear();
            Ok(vec![json!({"breakpoints": []})])
        }
        "continue" => {
            let started = std::time::Instant::now();
            let hit = session.resume()?;
            let mut answer = position(session, Some(started.elapsed()));
            answer["breakpoint"] = json!(hit.as_ref().map(describe_breakpoint));
            Ok(vec![answer])
        }
        "flows" => Ok(flows_json(&flows::of(session))),
        _ => Err(format!("unknown command: {verb}")),
    }
}

/// `break wire /g/`, `break vane b`, `break tag wake`, `break mug 0x1234`; `None` for a bare `break`.
pub fn parse_breakpoint(args: &[&str]) -> Result<Option<Breakpoint>, String> {
    let (Some(kind), Some(value)) = (args.first(), args.get(1)) else {
        return match args.is_empty() {
            true => Ok(None),
            false => Err("break: wire|vane|tag|mug and a value".into()),
        };
    };
    let value = value.to_string();
    Ok(Some(match *kind {
        "wire" => Breakpoint::Wire(value),
        "vane" => Breakpoint::Vane(value),
        "tag" => Breakpoint::Tag(value.trim_start_matches('%').to_string()),
        "mug" => {
            let digits = value.trim_start_matches("0x");
            Breakpoint::Mug(u32::from_str_radix(digits, 16).map_err(|_| format!("not a mug: {value}"))?)
        }
        other => return Err(format!("break: no breakpoint kind {other} (wire, vane, tag, mug)")),
    }))
}

pub fn describe_breakpoint(breakpoint: &Breakpoint) -> String {
    match breakpoint {
        Breakpoint::Wire(text) => format!("wire {text}"),
        Breakpoint::Vane(vane) => format!("vane {vane}"),
        Breakpoint::Tag(tag) => format!("tag %{tag}"),
        Breakpoint::Mug(mug) => format!("mug {mug:#x}"),
    }
}

fn info(session: &mut Session) -> Value {
    let rows = session.rows();
    let life = rows.iter().filter(|r| r.lifecycle).count();
    json!({
        "ship": aura::ship_name(session.who()),
        "first": rows.first().map(|r| r.number),
        "last": session.last(),
        "lifecycle": life,
        "at": session.at(),
        "mug": format!("{:#x}", session.mug()),
        "checkpoints": session.checkpoint_events(),
    })
}

fn position(session: &mut Session, took: Option<std::time::Duration>) -> Value {
    let at = session.at();
    let mut answer = json!({"at": at, "mug": format!("{:#x}", session.mug())});
    if let Some(took) = took {
        answer["millis"] = json!(took.as_millis() as u64);
    }
    if let Some((event, steps)) = session.in_flight() {
        answer["in_flight"] = json!({"event": event, "steps": steps});
    }
    answer
}

/// An event's line of the list.
pub fn row_json(row: &Row, computed: Option<&Computed>) -> Value {
    let mut value = json!({
        "event": row.number,
        "time": row.now.map(time::render_da),
        "wire": row.wire,
        "vane": row.vane,
        "tag": row.tag,
        "bytes": row.jam_bytes,
        "logged_mug": format!("{:#x}", row.logged_mug),
    });
    if let Some(computed) = computed {
        value["steps"] = json!(computed.steps);
        value["ticks"] = json!(computed.ticks);
        value["micros"] = json!(computed.micros);
        value["mug"] = json!(format!("{:#x}", computed.mug));
        value["matches_log"] = json!(computed.matches_log);
        value["effects"] = json!(computed.effects_count);
    }
    value
}

/// An event in full.
pub fn detail_json(row: &Row, computed: Option<&Computed>) -> Value {
    let mut value = row_json(row, computed);
    value["ovum"] = json!(row.ovum);
    value["computed"] = json!(computed.is_some());
    if let Some(computed) = computed {
        value["effects"] = json!(computed.effects);
        value["effects_count"] = json!(computed.effects_count);
        value["slogs"] = json!(computed.slogs);
        value["goof"] = json!(computed.goof);
        if let Some(disagreement) = &computed.jet_disagreement {
            value["jet_disagreement"] = json!(disagreement);
        }
        value["jet_calls"] = json!(computed.jet_calls);
        let jets: Vec<Value> = computed
            .jets
            .iter()
            .map(|(label, calls, micros)| json!({"jet": label, "calls": calls, "micros": micros}))
            .collect();
        value["jets"] = json!(jets);
    }
    value
}

/// The flows: a line of what is counted, then one line per peer.
pub fn flows_json(flows: &Flows) -> Vec<Value> {
    let tally = |t: Tally| json!({"packets": t.packets, "bytes": t.bytes});
    let summary = json!({
        "flows": flows.peers.len(),
        "through": flows.through,
        "sends_counted_from": flows.sends_from,
        "sends_counted_events": flows.sends_events,
        "unparsed_in": tally(flows.unparsed_in),
        "unparsed_out": tally(flows.unparsed_out),
        "sends_past_cap": tally(flows.past_cap_out),
    });
    let peers = flows.peers.iter().map(|flow| {
        json!({
            "peer": aura::ship_name(flow.peer),
            "lane": flow.lane.map(flows::lane_text),
            "packets_in": flow.packets_in,
            "bytes_in": flow.bytes_in,
            "packets_out": flow.packets_out,
            "bytes_out": flow.bytes_out,
            "last_heard": flow.last_heard.map(time::render_da),
        })
    });
    std::iter::once(summary).chain(peers).collect()
}

fn tick_json(report: &TickReport) -> Value {
    let systems: Vec<Value> =
        report.systems.iter().map(|(system, did)| json!({"system": system, "did": did})).collect();
    json!({
        "tick": report.tick,
        "event": report.event,
        "steps": report.steps,
        "steps_in_event": report.steps_in_event,
        "ended": report.ended,
        "systems": systems,
    })
}
