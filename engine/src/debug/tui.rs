//! The debugger's terminal UI (ratatui): the log's events on the left, the selected one in full on the
//! right, where the kernel is and what the last command did at the bottom. Keys:
//!
//! ```text
//! up/down, pgup/pgdn  select an event          enter   compute up to the selected event
//! n or right          one event forward        p or left  one event back
//! t / T               one tick forward / back  g       go to an event number or a ~date
//! G / H               the last / first event   /       find a wire or tag (again: next match)
//! b                   break on the selected event's tag   c   continue to a breakpoint
//! a                   the ames flows as of the kernel's event in place of the selected event (again: back)
//! q                   quit
//! ```

use super::flows::{self, Tally};
use super::script::describe_breakpoint;
use super::session::{Breakpoint, Computed, Row, Session};
use components::{aura, time};
use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, TableState, Wrap};
use std::time::Instant;

/// What the UI holds besides the session.
pub struct View {
    /// The selected event.
    pub selected: u64,
    /// The line at the bottom: what the last command did.
    pub message: String,
    /// Text being typed after `g` or `/`.
    pub prompt: Option<(char, String)>,
    /// The last text searched for.
    pub last_search: String,
    /// The ames flows shown in place of the selected event (`a`).
    pub flows_shown: bool,
    table: TableState,
}

impl View {
    pub fn new(session: &Session, message: String) -> View {
        View {
            selected: session.at(),
            message,
            prompt: None,
            last_search: String::new(),
            flows_shown: false,
            table: TableState::default(),
        }
    }
}

/// Runs the UI on the terminal until `q`.
pub fn run(session: &mut Session, opened: String) -> Result<(), String> {
    let mut terminal = ratatui::try_init().map_err(|e| format!("debug: cannot use the terminal: {e}"))?;
    let mut view = View::new(session, opened);
    let result = (|| -> Result<(), String> {
        loop {
            terminal.draw(|frame| draw(frame, session, &mut view)).map_err(|e| format!("debug: {e}"))?;
            let Event::Key(key) = event::read().map_err(|e| format!("debug: {e}"))? else { continue };
            if key.kind != KeyEventKind::Press {
                continue;
            }
            if view.prompt.is_none() && matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) {
                return Ok(());
            }
            if is_slow(&view, key.code) {
                view.message = "computing…".into();
                terminal.draw(|frame| draw(frame, session, &mut view)).map_err(|e| format!("debug: {e}"))?;
            }
            press(session, &mut view, key.code);
        }
    })();
    ratatui::restore();
    result
}

/// Whether a key may take a while (it computes events).
fn is_slow(view: &View, key: KeyCode) -> bool {
    match &view.prompt {
        Some(_) => key == KeyCode::Enter,
        None => matches!(
            key,
            KeyCode::Enter
                | KeyCode::Left
                | KeyCode::Right
                | KeyCode::Char('n' | 'p' | 'G' | 'H' | 'c' | 't' | 'T')
        ),
    }
}

/// What a key does.
pub fn press(session: &mut Session, view: &mut View, key: KeyCode) {
    if let Some((kind, mut text)) = view.prompt.take() {
        match key {
            KeyCode::Enter => answer_prompt(session, view, kind, &text),
            KeyCode::Esc => {}
            KeyCode::Backspace => {
                text.pop();
                view.prompt = Some((kind, text));
            }
            KeyCode::Char(c) if text.len() < 64 => {
                text.push(c);
                view.prompt = Some((kind, text));
            }
            _ => view.prompt = Some((kind, text)),
        }
        return;
    }
    let (first, last) = (session.rows().first().map_or(1, |r| r.number), session.last());
    match key {
        KeyCode::Up => view.selected = view.selected.saturating_sub(1).max(first),
        KeyCode::Down => view.selected = (view.selected + 1).min(last),
        KeyCode::PageUp => view.selected = view.selected.saturating_sub(20).max(first),
        KeyCode::PageDown => view.selected = (view.selected + 20).min(last),
        KeyCode::Enter => go(session, view, view.selected),
        KeyCode::Right | KeyCode::Char('n') => {
            let started = Instant::now();
            match session.step() {
                Ok(true) => moved(session, view, "next", started.elapsed()),
                Ok(false) => view.message = "at the end of the log".into(),
                Err(e) => view.message = e,
            }
        }
        KeyCode::Left | KeyCode::Char('p') => match session.back() {
            Ok(took) => moved(session, view, "back", took),
            Err(e) => view.message = e,
        },
        KeyCode::Char('t') => tick(session, view),
        KeyCode::Char('T') => match session.back_tick() {
            Ok(took) => {
                let place = match session.in_flight() {
                    Some((event, steps)) => format!("event {event} in flight, {steps} steps"),
                    None => format!("event {}", session.at()),
                };
                view.message = format!("a tick back in {:.3} s: {place}", took.as_secs_f64());
            }
            Err(e) => view.message = e,
        },
        KeyCode::Char('G') => go(session, view, last),
        KeyCode::Char('H') => go(session, view, session.base()),
        KeyCode::Char('g') => view.prompt = Some(('g', String::new())),
        KeyCode::Char('/') => view.prompt = Some(('/', String::new())),
        KeyCode::Char('a') => {
            view.flows_shown = !view.flows_shown;
            view.message = match view.flows_shown {
                true => format!("the ames flows as of event {} (a: the selected event)", session.at()),
                false => "the selected event (a: the ames flows)".into(),
            };
        }
        KeyCode::Char('b') => {
            if let Some(row) = session.row(view.selected) {
                let breakpoint = Breakpoint::Tag(row.tag.clone());
                view.message = format!("breakpoint: {}", describe_breakpoint(&breakpoint));
                session.breakpoints.push(breakpoint);
            }
        }
        KeyCode::Char('c') => {
            let started = Instant::now();
            match session.resume() {
                Ok(hit) => {
                    let why = hit.map_or("the end of the log".to_string(), |b| describe_breakpoint(&b));
                    moved(session, view, &format!("continued to {why}:"), started.elapsed());
                    view.selected = session.at() + 1;
                    view.selected = view.selected.min(last);
                }
                Err(e) => view.message = e,
            }
        }
        _ => {}
    }
}

fn answer_prompt(session: &mut Session, view: &mut View, kind: char, text: &str) {
    match kind {
        'g' => {
            let target = match text.strip_prefix('~') {
                Some(_) => systems::jets::da_from_text(text).and_then(|da| session.event_at_time(da)),
                None => text.trim().parse().ok(),
            };
            match target {
                Some(target) => go(session, view, target),
                None => view.message = format!("not an event number or a date in the log: {text}"),
            }
        }
        _ => {
            view.last_search = text.to_string();
            find(session, view);
        }
    }
}

fn find(session: &mut Session, view: &mut View) {
    let after = session.search(&view.last_search, view.selected);
    let wrapped = after.is_none();
    match after.or_else(|| session.search(&view.last_search, 0)) {
        Some(found) => {
            view.selected = found;
            let from_top = if wrapped { " (from the top)" } else { "" };
            view.message = format!("found {} at event {found}{from_top}", view.last_search);
        }
        None => view.message = format!("no event matches {}", view.last_search),
    }
}

fn go(session: &mut Session, view: &mut View, target: u64) {
    match session.goto(target) {
        Ok(took) => moved(session, view, "jumped", took),
        Err(e) => view.message = e,
    }
}

fn tick(session: &mut Session, view: &mut View) {
    match session.tick() {
        Ok(Some(report)) => {
            let did: Vec<String> =
                report.systems.iter().map(|(system, did)| format!("{system}: {did}")).collect();
            view.selected = report.event;
            view.message = format!("tick {} of event {}: {}", report.tick, report.event, did.join("; "));
        }
        Ok(None) => view.message = "at the end of the log".into(),
        Err(e) => view.message = e,
    }
}

fn moved(session: &mut Session, view: &mut View, what: &str, took: std::time::Duration) {
    view.selected = session.at().max(session.rows().first().map_or(1, |r| r.number));
    view.message =
        format!("{what} to event {} in {:.3} s; mug {:#x}", session.at(), took.as_secs_f64(), session.mug());
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, session: &mut Session, view: &mut View) {
    let [header, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(4), Constraint::Length(3)])
            .areas(frame.area());
    let at = session.at();
    let flight = session
        .in_flight()
        .map_or(String::new(), |(event, steps)| format!("  in flight: event {event}, {steps} steps"));
    let title = format!(
        "engine debug {}  events {}-{}  at {at}  mug {:#x}{flight}",
        aura::ship_name(session.who()),
        session.rows().first().map_or(1, |r| r.number),
        session.last(),
        session.mug(),
    );
    frame.render_widget(Paragraph::new(title).style(Style::new().add_modifier(Modifier::BOLD)), header);
    let [list, detail] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    draw_list(frame, session, view, list);
    match view.flows_shown {
        true => draw_flows(frame, session, detail),
        false => draw_detail(frame, session, view, detail),
    }
    let prompt = match &view.prompt {
        Some(('g', text)) => format!("go to (event or ~date): {text}_"),
        Some((_, text)) => format!("find (wire or tag): {text}_"),
        None => view.message.clone(),
    };
    let help = "up/down select  enter go  n/p next/back  t/T tick fwd/back  g goto  G/H last/first  / find  b break  c continue  a ames  q quit";
    let lines = vec![Line::from(prompt), Line::from(help)];
    frame.render_widget(Paragraph::new(lines).block(Block::new().borders(Borders::TOP)), footer);
}

fn draw_list(frame: &mut Frame, session: &Session, view: &mut View, area: ratatui::layout::Rect) {
    let at = session.at();
    let rows: Vec<TableRow> =
        session.rows().iter().map(|row| list_row(row, session.computed(row.number), at)).collect();
    let first = session.rows().first().map_or(1, |r| r.number);
    view.table.select(view.selected.checked_sub(first).map(|i| i as usize));
    let widths = [
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(5),
        Constraint::Min(12),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Length(11),
        Constraint::Length(10),
    ];
    let header = TableRow::new(["event", "time", "vane", "wire", "tag", "bytes", "steps", "mug"])
        .style(Style::new().add_modifier(Modifier::UNDERLINED));
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::new().borders(Borders::RIGHT))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    frame.render_stateful_widget(table, area, &mut view.table);
}

fn list_row(row: &Row, computed: Option<&Computed>, at: u64) -> TableRow<'static> {
    let marker = if row.number == at { ">" } else { " " };
    let clock = row.now.map_or(String::new(), |now| {
        let da = time::render_da(now);
        da.split("..").nth(1).unwrap_or("").to_string()
    });
    let (steps, mug) = match computed {
        Some(c) => (c.steps.to_string(), format!("{:#x}", c.mug)),
        None => (
            String::new(),
            if row.logged_mug == 0 { String::new() } else { format!("{:#x}", row.logged_mug) },
        ),
    };
    TableRow::new(vec![
        Cell::from(format!("{marker}{}", row.number)),
        Cell::from(clock),
        Cell::from(row.vane.clone()),
        Cell::from(row.wire.clone()),
        Cell::from(format!("%{}", row.tag)),
        Cell::from(row.jam_bytes.to_string()),
        Cell::from(steps),
        Cell::from(mug),
    ])
}

fn draw_detail(frame: &mut Frame, session: &Session, view: &View, area: ratatui::layout::Rect) {
    let mut lines = Vec::new();
    match session.row(view.selected) {
        None => lines.push(Line::from("no event selected")),
        Some(row) => {
            lines.push(
                Line::from(format!("event {}  %{}", row.number, row.tag))
                    .style(Style::new().add_modifier(Modifier::BOLD)),
            );
            if let Some(now) = row.now {
                lines.push(Line::from(format!("time   {}", time::render_da(now))));
            }
            lines.push(Line::from(format!("wire   {}", row.wire)));
            lines.push(Line::from(format!(
                "size   {} bytes; logged mug {:#x}",
                row.jam_bytes, row.logged_mug
            )));
            if row.lifecycle {
                lines.push(Line::from("a boot formula: the lifecycle computes these together"));
            } else {
                lines.push(Line::from(format!("ovum   {}", row.ovum)));
            }
            match session.computed(row.number) {
                None => lines.push(Line::from("not computed in this session yet (enter computes up to it)")),
                Some(computed) => detail_lines(computed, &mut lines),
            }
        }
    }
    let breakpoints: Vec<String> = session.breakpoints.iter().map(describe_breakpoint).collect();
    if !breakpoints.is_empty() {
        lines.push(Line::from(format!("breakpoints: {}", breakpoints.join(", "))));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// The ames flows as of the kernel's event: what is counted, then a row per peer.
fn draw_flows(frame: &mut Frame, session: &Session, area: ratatui::layout::Rect) {
    let flows = flows::of(session);
    let tally = |t: Tally| format!("{} packets, {} bytes", t.packets, t.bytes);
    let sends = match flows.sends_from {
        Some(from) => format!("the sends of the {} events computed from event {from}", flows.sends_events),
        None => "no sends: no event through it computed in this session yet".to_string(),
    };
    let summary = vec![
        Line::from(format!("ames flows as of event {}: {} peers", flows.through, flows.peers.len()))
            .style(Style::new().add_modifier(Modifier::BOLD)),
        Line::from(format!("in: the log's %hear events; unparsed {}", tally(flows.unparsed_in))),
        Line::from(format!(
            "out: {sends}; unparsed {}; past the cap {}",
            tally(flows.unparsed_out),
            tally(flows.past_cap_out)
        )),
    ];
    let [top, table] = Layout::vertical([Constraint::Length(4), Constraint::Min(2)]).areas(area);
    frame.render_widget(Paragraph::new(summary).wrap(Wrap { trim: false }), top);
    let rows: Vec<TableRow> = flows
        .peers
        .iter()
        .map(|flow| {
            let heard = flow.last_heard.map_or("never".to_string(), |da| {
                time::render_da(da).split("..").nth(1).unwrap_or("").to_string()
            });
            TableRow::new(vec![
                Cell::from(aura::ship_name(flow.peer)),
                Cell::from(flow.lane.map_or("-".to_string(), flows::lane_text)),
                Cell::from(flow.packets_in.to_string()),
                Cell::from(flow.packets_out.to_string()),
                Cell::from(flow.bytes_in.to_string()),
                Cell::from(flow.bytes_out.to_string()),
                Cell::from(heard),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(14),
        Constraint::Min(10),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(8),
    ];
    let header = TableRow::new(["peer", "lane", "in", "out", "bytes in", "bytes out", "heard"])
        .style(Style::new().add_modifier(Modifier::UNDERLINED));
    frame.render_widget(Table::new(rows, widths).header(header), table);
}

fn detail_lines(computed: &Computed, lines: &mut Vec<Line<'static>>) {
    let verdict = if computed.matches_log { "as logged" } else { "NOT as logged" };
    lines.push(Line::from(format!(
        "computed {} steps in {} ticks, {:.3} s; mug {:#x} ({verdict})",
        computed.steps,
        computed.ticks,
        computed.micros as f64 / 1e6,
        computed.mug
    )));
    lines.push(Line::from(format!("effects ({}):", computed.effects_count)));
    lines.extend(computed.effects.iter().map(|e| Line::from(format!("  {e}"))));
    if !computed.jets.is_empty() {
        lines.push(Line::from(format!(
            "jets ({} calls; most called, with their drivers' time):",
            computed.jet_calls
        )));
        let listed: Vec<String> = computed
            .jets
            .iter()
            .take(8)
            .map(|(label, calls, micros)| format!("{label} ×{calls} {micros}µs"))
            .collect();
        lines.push(Line::from(format!("  {}", listed.join(", "))));
    }
    if !computed.slogs.is_empty() {
        lines.push(Line::from("slogs:"));
        lines.extend(computed.slogs.iter().map(|s| Line::from(format!("  {s}"))));
    }
    if let Some(disagreement) = &computed.jet_disagreement {
        lines.push(Line::from(format!("jet check: {disagreement}")));
    }
    if !computed.goof.is_empty() {
        lines.push(Line::from("crash:"));
        lines.extend(computed.goof.iter().map(|g| Line::from(format!("  {g}"))));
    }
}
