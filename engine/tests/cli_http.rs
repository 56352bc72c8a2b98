//! http (Eyre's server side) as a client meets it, over real TCP on loopback, with a hand-made kernel
//! that plays Eyre: on http's `%born` it gives `%set-config`; it answers each `%request` (and
//! `%request-local`) with a whole 200 response whose `x-url` header is the request's URL, except
//! `/hang`, which it never answers, `/stream`, whose response it begins and never ends, and `/loop`,
//! answered after a loop of tens of millions of steps (an event of a second or two); each request
//! slogs `request`, and its peek says whether a cookie is logged in (Eyre's `/authenticated/cookie`
//! scry; [`GOOD_COOKIE`] is). The runtime's own answers (`healthz`, the slog stream, refused requests),
//! keep-alive, pipelining, a client that trickles its request, ones that leave before or during their
//! answers, and the log's `%cancel-request`.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The cookie header the test kernel's peek says is logged in.
const GOOD_COOKIE: &str = "urbauth-~zod=0v1.good";
/// [`GOOD_COOKIE`] as a knot, as Hoon's `(scot %t ...)` writes it.
const GOOD_COOKIE_KNOT: &str = "~~urbauth-~~zod~3d.0v1~.good";

/// The kernel's poke: `[effects kernel]` by the card's tag (at axis 54 of the gate's subject; the wire's
/// second item at 106, the request's URL at 894).
fn eyre_pill(dir: &Path) -> PathBuf {
    eyre_pill_fetching(dir, &[])
}

/// [`eyre_pill`], whose kernel also plays Iris: on cttp's `%born` it asks for each of `urls` (ids from
/// 0), with a GET.
fn eyre_pill_fetching(dir: &Path, urls: &[String]) -> PathBuf {
    let is = |tag: &str, axis: u32| format!("[5 [1 {}] [0 {axis}]]", t(tag));
    let nothing = "[[1 0] [0 14] [0 15]]";
    let config = format!("[[[{} 0] {} 0 1 0 0] 0]", t("http-server"), t("set-config"));
    let born = format!("[[1 {config}] [0 14] [0 15]]");
    let headers =
        format!("[[1 [{} {}]] [[[1 {}] [0 894]] [1 0]]]", t("content-type"), t("text/plain"), t("x-url"));
    let card = format!(
        "[[1 {}] [[1 {}] [[[1 200] {headers}] [[1 [0 [5 {}]]] [1 0]]]]]",
        t("response"),
        t("start"),
        t("hello")
    );
    let answer = format!("[[[[0 53] {card}] [1 0]] [0 14] [0 15]]");
    let begun = format!(
        "[[1 {}] [[1 {}] [[[1 200] [1 0]] [[1 [0 [5 {}]]] [1 1]]]]]",
        t("response"),
        t("start"),
        t("begun")
    );
    let stream = format!("[[[[0 53] {begun}] [1 0]] [0 14] [0 15]]");
    // A decrement-free counting loop to 40,000,000, its product dropped, then the usual answer.
    let arm = "[6 [5 [0 6] [0 7]] [0 6] [9 2 [10 [6 [4 0 6]] [0 1]]]]";
    let looped = format!("[7 [8 [9 2 [1 [{arm} [0 40000000]]]] [0 3]] {answer}]");
    let answers = format!(
        "[6 {} {nothing} [6 {} {stream} [6 {} {looped} {answer}]]]",
        is("/hang", 894),
        is("/stream", 894),
        is("/loop", 894)
    );
    // `[11 [%slog [1 0 %leaf "request"]] answers]`: a slog of priority 0.
    let tape = "request".bytes().rev().fold("0".to_string(), |tail, c| format!("[{c} {tail}]"));
    let request = format!("[11 [{} [1 0 {} {tape}]] {answers}]", t("slog"), t("leaf"));
    // It plays clay too: on %boat, the mount point %base and a file written into it; on each %belt (a
    // key typed), a commit of %base (%dirk).
    let ergo = format!(
        "[[{hello} {txt} 0] 0 [{text} {plain} 0] 5 {hello_text}]",
        hello = t("hello"),
        txt = t("txt"),
        text = t("text"),
        plain = t("plain"),
        hello_text = t("hello")
    );
    let boat_effects = format!(
        "[[[{boat} 0] {hill} {base} 0] [[{sync} 0] {ergo_tag} {base} {ergo} 0] 0]",
        boat = t("boat"),
        hill = t("hill"),
        base = t("base"),
        sync = t("sync"),
        ergo_tag = t("ergo"),
    );
    let boat = format!("[[1 {boat_effects}] [0 14] [0 15]]");
    let dirk = format!("[[1 [[[{} 0] {} {}] 0]] [0 14] [0 15]]", t("sync"), t("dirk"), t("base"));
    let clay = format!("[6 {} {boat} [6 {} {dirk} {nothing}]]", is("boat", 54), is("belt", 54));
    let mut requests = String::new();
    for (id, url) in urls.iter().enumerate() {
        requests.push_str(&format!(
            "[[{client} 0] {request} {id} {get} {url} 0 0] ",
            client = t("http-client"),
            request = t("request"),
            get = t("GET"),
            url = cord(url),
        ));
    }
    let list = if urls.is_empty() { "0".to_string() } else { format!("[{requests}0]") };
    let iris = format!("[[1 {list}] [0 14] [0 15]]");
    let battery = format!(
        "[6 {born_tag} [6 {http} {born} [6 {client} {iris} {nothing}]] [6 {req} {request} [6 {local} {request} {clay}]]]",
        born_tag = is("born", 54),
        http = is("http-server", 106),
        client = is("http-client", 106),
        req = is("request", 54),
        local = is("request-local", 54),
    );
    // The peek: `[~ %omen path %flag ?]`, yes for the knot of GOOD_COOKIE (at 1790 of the peek's subject:
    // the path's third item, in `[%| %once %ex %$ path]`).
    let flag = |yes: u8| format!("[1 [0 [{} [0 [{} {yes}]]]]]", t("omen"), t("flag"));
    let peek = format!("[6 [5 [1 {}] [0 1790]] {} {}]", cord(GOOD_COOKIE_KNOT), flag(0), flag(1));
    let mut heap = components::Heap::new();
    let noun = heap.parse(&engine_tests::kernel_pill_with_peek("eyre", &battery, &peek)).unwrap();
    let path = dir.join("eyre.pill");
    std::fs::write(&path, heap.jam(noun)).unwrap();
    path
}

/// The cards of the pier's events tagged `tag`, each decoded by `read` from the event's card.
fn logged_cards<T>(
    pier: &Path,
    tag: &str,
    read: impl Fn(&components::Heap, components::Noun) -> T,
) -> Vec<T> {
    let reader = store::PierReader::open(pier).unwrap();
    let mut found = Vec::new();
    for record in reader.records() {
        let event = reader.read(record.number).unwrap();
        let mut heap = components::Heap::new();
        let job = heap.cue(&event.jam).unwrap();
        let Some(card) = heap.tail(job).and_then(|ovum| heap.tail(ovum)) else { continue };
        let head = heap.head(card).and_then(|t| heap.atom(t).map(|a| a.to_bytes()));
        if head.as_deref() == Some(tag.as_bytes()) {
            found.push(read(&heap, card));
        }
    }
    found
}

/// A cord of any length as a decimal atom, for the text notation.
fn cord(text: &str) -> String {
    let mut heap = components::Heap::new();
    let atom = heap.atom_from_bytes(text.as_bytes());
    heap.atom(atom).unwrap().to_ubig().to_string()
}

/// `engine run` with the web server on free ports, once `.http.ports` names them (which is checked to
/// hold both, as Vere writes it): (public, loopback).
fn start(pier: &Path) -> (Child, u16, u16) {
    start_with(pier, &[])
}

/// [`start`] with more options.
fn start_with(pier: &Path, extra: &[&str]) -> (Child, u16, u16) {
    let args: Vec<&str> = ["--no-ames"].iter().chain(extra).copied().collect();
    let (child, public, loopback) = start_web(pier, &args);
    let text = std::fs::read_to_string(pier.join(".http.ports")).unwrap();
    assert_eq!(text, format!("{public} insecure public\n{loopback} insecure loopback\n"));
    (child, public, loopback)
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream
}

/// Reads a byte at a time until what was read ends with `end` (a response's head, a chunk's size line).
fn read_until(stream: &mut TcpStream, end: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(end) {
        let n = stream.read(&mut byte).unwrap();
        assert_eq!(n, 1, "the connection ended early: {:?}", String::from_utf8_lossy(&bytes));
        bytes.push(byte[0]);
    }
    bytes
}

/// Reads one response (its head, and a body of its content-length): status, head, body.
fn response(stream: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let head = String::from_utf8(read_until(stream, b"\r\n\r\n")).unwrap();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |l| l.trim().parse().unwrap());
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    (status, head, body)
}

/// Whether the server has closed the connection (a read gives end of file).
fn closed(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).is_ok() && rest.is_empty()
}

/// The tags of the cards of the pier's events, in order.
fn logged_tags(pier: &Path) -> Vec<String> {
    let reader = store::PierReader::open(pier).unwrap();
    let mut tags = Vec::new();
    for record in reader.records() {
        let event = reader.read(record.number).unwrap();
        let mut heap = components::Heap::new();
        let job = heap.cue(&event.jam).unwrap();
        let tag = heap
            .tail(job)
            .and_then(|ovum| heap.tail(ovum))
            .and_then(|card| heap.head(card))
            .and_then(|tag| heap.atom(tag).map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned()));
        tags.push(tag.unwrap_or_default());
    }
    tags
}

#[test]
fn eyres_requests_and_responses_over_real_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_pill(dir.path(), "eyre", eyre_pill(dir.path()));
    let (child, port, loopback) = start(&pier);

    // A request and its response; the same connection kept for the next.
    let mut stream = connect(port);
    stream.write_all(b"GET /hello?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let (status, head, body) = response(&mut stream);
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]), "{head}");
    assert!(head.starts_with("HTTP/1.1 200 ok\r\n") && head.contains("x-url: /hello?x=1\r\n"), "{head}");
    assert!(
        head.contains("content-type: text/plain\r\n") && head.contains("connection: keep-alive"),
        "{head}"
    );
    // Pipelined: three requests in one write, answered in their order; healthz by the runtime.
    stream
        .write_all(b"GET /a HTTP/1.1\r\n\r\nGET /~_~/healthz HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc")
        .unwrap();
    let (first, second, third) = (response(&mut stream), response(&mut stream), response(&mut stream));
    assert!(first.1.contains("x-url: /a\r\n"), "{}", first.1);
    assert!(second.0 == 204 || second.0 == 429, "healthz: {}", second.1);
    assert!(third.1.contains("x-url: /b\r\n"), "{}", third.1);

    // Bad input: each gets its status, and the connection is closed; the ship keeps serving.
    let refused = |request: &[u8], status: u16| {
        let mut stream = connect(port);
        stream.write_all(request).unwrap();
        let (got, head, _) = response(&mut stream);
        assert_eq!(got, status, "{head}");
        assert!(closed(&mut stream), "closed after {status}");
    };
    refused(b"\x16\x03\x01 not http\r\n\r\n", 400);
    refused(format!("GET / HTTP/1.1\r\nx: {}\r\n\r\n", "a".repeat(70_000)).as_bytes(), 431);
    refused(b"POST / HTTP/1.1\r\ncontent-length: 999999999999\r\n\r\n", 413);
    let mut brew = connect(port);
    brew.write_all(b"BREW /pot HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(response(&mut brew).0, 400);

    // A client that trickles its request a byte at a time is answered once it is whole, and others are
    // served meanwhile.
    let mut slow = connect(port);
    let request = b"GET /slow HTTP/1.1\r\n\r\n";
    for (i, byte) in request.iter().enumerate() {
        slow.write_all(&[*byte]).unwrap();
        if i == 5 {
            let mut other = connect(port);
            other.write_all(b"GET /other HTTP/1.1\r\n\r\n").unwrap();
            assert!(response(&mut other).1.contains("x-url: /other"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(response(&mut slow).1.contains("x-url: /slow"));

    // A request that closes the connection after its response.
    let mut once = connect(port);
    once.write_all(b"GET /bye HTTP/1.1\r\nconnection: close\r\n\r\n").unwrap();
    let (_, head, _) = response(&mut once);
    assert!(head.contains("connection: close"), "{head}");
    assert!(closed(&mut once));

    // The loopback server's requests reach Eyre as %request-local.
    let mut local = connect(loopback);
    local.write_all(b"GET /local HTTP/1.1\r\n\r\n").unwrap();
    assert!(response(&mut local).1.contains("x-url: /local"));

    // A client that leaves before its answer: Eyre is told (%cancel-request).
    let mut hang = connect(port);
    hang.write_all(b"GET /hang HTTP/1.1\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(hang);
    std::thread::sleep(Duration::from_millis(500));

    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("http: web interface live on http://localhost:{port}")), "{stderr}");
    assert!(!pier.join(".http.ports").exists(), "removed at exit");

    let tags = logged_tags(&pier);
    let count = |tag: &str| tags.iter().filter(|t| *t == tag).count();
    assert_eq!(count("live"), 1, "{tags:?}");
    assert_eq!(count("request"), 7, "{tags:?}");
    assert_eq!(count("request-local"), 1, "{tags:?}");
    assert_eq!(count("cancel-request"), 1, "{tags:?}");
    let born = tags.iter().position(|t| t == "live").unwrap();
    assert!(tags[..born].contains(&"born".to_string()));
}

/// Reads one chunk of a chunked body (its size line, its bytes and their CRLF): the bytes.
fn chunk(stream: &mut TcpStream) -> Vec<u8> {
    let line = read_until(stream, b"\r\n");
    let size = usize::from_str_radix(std::str::from_utf8(&line[..line.len() - 2]).unwrap(), 16).unwrap();
    let mut data = vec![0; size + 2];
    stream.read_exact(&mut data).unwrap();
    data.truncate(size);
    data
}

#[test]
fn the_slog_stream_and_clients_that_leave_in_the_middle_of_a_response() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_pill(dir.path(), "eyre", eyre_pill(dir.path()));
    let (child, port, _) = start(&pier);
    let slog = |cookie: Option<&str>| {
        let mut stream = connect(port);
        let cookie = cookie.map(|c| format!("cookie: {c}\r\n")).unwrap_or_default();
        stream.write_all(format!("GET /~_~/slog HTTP/1.1\r\n{cookie}\r\n").as_bytes()).unwrap();
        stream
    };
    // No cookie, or one the kernel does not know: 403.
    assert_eq!(response(&mut slog(None)).0, 403);
    assert_eq!(response(&mut slog(Some("urbauth-~zod=0v1.bad"))).0, 403);
    // Logged in: the stream starts, and a request's slog comes down it as an event.
    let mut stream = slog(Some(GOOD_COOKIE));
    let (status, head, _) = response(&mut stream);
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: text/event-stream\r\n"), "{head}");
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    // A second stream that leaves at once: the others go on.
    let mut gone = slog(Some(GOOD_COOKIE));
    assert_eq!(response(&mut gone).0, 200);
    drop(gone);
    let mut other = connect(port);
    other.write_all(b"GET /one HTTP/1.1\r\n\r\n").unwrap();
    assert!(response(&mut other).1.contains("x-url: /one"));
    assert_eq!(chunk(&mut stream), b"data:request\n\n");

    // A response Eyre begins and does not end: the client reads its start and leaves; Eyre is told
    // (%cancel-request), and the ship serves the next.
    let mut streamed = connect(port);
    streamed.write_all(b"GET /stream HTTP/1.1\r\n\r\n").unwrap();
    let (status, head, _) = response(&mut streamed);
    assert_eq!(status, 200, "{head}");
    assert_eq!(chunk(&mut streamed), b"begun");
    drop(streamed);
    std::thread::sleep(Duration::from_millis(300));
    other.write_all(b"GET /two HTTP/1.1\r\n\r\n").unwrap();
    assert!(response(&mut other).1.contains("x-url: /two"));
    // The /stream and /two requests' slogs (in one chunk or two, as the ticks fell).
    let mut events = Vec::new();
    while events.len() < b"data:request\n\n".len() * 2 {
        events.extend(chunk(&mut stream));
    }
    assert_eq!(events, b"data:request\n\ndata:request\n\n");

    // At exit the stream is told, as Vere tells it.
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    assert_eq!(chunk(&mut stream), b"data:urbit shutting down\n\n");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tags = logged_tags(&pier);
    assert_eq!(tags.iter().filter(|t| *t == "cancel-request").count(), 1, "{tags:?}");
}

#[test]
fn a_fixed_port_that_is_taken_stops_the_ship_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_pill(dir.path(), "eyre", eyre_pill(dir.path()));
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = engine_command()
        .args(["run", "-x", "--http-port", &port, "--no-ames", pier.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("http: cannot bind 0.0.0.0:{port}")), "{stderr}");
}

#[test]
fn clays_mount_point_is_written_on_disk_and_committed_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_pill(dir.path(), "eyre", eyre_pill(dir.path()));
    let (mut child, _, _) = start(&pier);
    // %boat → %hill [%base ~] and an %ergo of /hello/txt: the file appears as base/hello.txt.
    let file = pier.join("base/hello.txt");
    let started = Instant::now();
    while std::fs::read(&file).ok().as_deref() != Some(&b"hello"[..]) {
        assert!(started.elapsed() < Duration::from_secs(30), "clay's file was not written");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The user edits it, adds a file and leaves an editor's backup; a key typed makes the kernel commit.
    std::fs::write(&file, "edited").unwrap();
    std::fs::create_dir_all(pier.join("base/gen")).unwrap();
    std::fs::write(pier.join("base/gen/new.hoon"), "new").unwrap();
    std::fs::write(pier.join("base/gen/new.hoon~"), "backup").unwrap();
    child.stdin.as_mut().unwrap().write_all(b"x\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Each %belt gave a %dirk; the first %into lists the two changes, the next ones nothing.
    let intos = logged_cards(&pier, "into", |heap, card| {
        let mount = heap.slot_u64(card, 6).and_then(|m| heap.atom(m).map(|a| a.to_bytes())).unwrap();
        let mut changes = Vec::new();
        let mut list = heap.slot_u64(card, 15).unwrap();
        while let Some((item, rest)) = heap.cell_parts(list) {
            list = rest;
            let (mut path, unit) = heap.cell_parts(item).unwrap();
            let mut knots = Vec::new();
            while let Some((knot, rest)) = heap.cell_parts(path) {
                knots.push(String::from_utf8(heap.atom(knot).unwrap().to_bytes()).unwrap());
                path = rest;
            }
            let bytes = heap.slot_u64(unit, 15).and_then(|b| heap.atom(b).map(|a| a.to_bytes()));
            changes.push((knots.join("/"), bytes.map(|b| String::from_utf8(b).unwrap())));
        }
        changes.sort();
        (String::from_utf8(mount).unwrap(), changes)
    });
    assert!(intos.len() >= 2, "{intos:?}");
    assert_eq!(intos[0].0, "base");
    assert_eq!(
        intos[0].1,
        vec![
            ("gen/new/hoon".to_string(), Some("new".to_string())),
            ("hello/txt".to_string(), Some("edited".to_string()))
        ]
    );
    assert!(intos[1..].iter().all(|(_, changes)| changes.is_empty()), "{intos:?}");
}

#[test]
fn iris_fetches_from_a_loopback_server_and_a_refused_connection_is_504() {
    let dir = tempfile::tempdir().unwrap();
    let (port, serving) =
        serve_once(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello, iris");
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let urls = [
        format!("http://127.0.0.1:{port}/page?x=1"),
        format!("http://127.0.0.1:{refused}/"),
        "not a url".to_string(),
    ];
    let pier = boot_pill(dir.path(), "iris", eyre_pill_fetching(dir.path(), &urls));
    let (child, _, _) = start(&pier);
    let request = serving.join().unwrap();
    assert!(
        request.starts_with(&format!("GET /page?x=1 HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n")),
        "{request}"
    );
    // Wait until the answers are in the log (three %receive), then stop.
    let started = Instant::now();
    while logged_cards(&pier, "receive", |_, _| ()).len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(30), "the answers did not come");
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut answers = logged_cards(&pier, "receive", |heap, card| {
        let id = heap.slot_u64(card, 6).and_then(|n| n.as_direct()).unwrap();
        let start = heap.slot_u64(card, 7).unwrap();
        // [%start [status headers] data complete]: the status at 12, headers at 13, the bytes at 59.
        let status = heap.slot_u64(start, 12).and_then(|n| n.as_direct()).unwrap();
        let headers = heap.slot_u64(start, 13).unwrap();
        let content_type =
            heap.head(headers).and_then(|h| heap.head(h)).and_then(|k| heap.atom(k).map(|a| a.to_bytes()));
        let body = heap.slot_u64(start, 59).and_then(|b| heap.atom(b).map(|a| a.to_bytes()));
        (
            id,
            status,
            content_type.map(|c| String::from_utf8(c).unwrap()),
            body.map(|b| String::from_utf8(b).unwrap()),
        )
    });
    answers.sort();
    assert_eq!(
        answers,
        vec![
            (0, 200, Some("content-type".to_string()), Some("hello, iris".to_string())),
            (1, 504, None, None),
            (2, 504, None, None),
        ]
    );
    assert!(stderr.contains("cttp: request 1: cannot connect"), "{stderr}");
    assert!(stderr.contains("cttp: request 2: not an http or https URL"), "{stderr}");
}

/// Whether a response has begun to come on `stream` (without waiting).
fn answered(stream: &mut TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let came = matches!(stream.peek(&mut byte), Ok(n) if n > 0);
    stream.set_nonblocking(false).unwrap();
    came
}

/// The slog stream's cookie is asked of the scry pool: a stream opened while a long event computes starts
/// at once, the event still computing. With `--scry-threads 0` the scry waits for the event, as in Vere.
#[test]
fn a_slog_stream_opens_while_a_long_event_computes() {
    for threads in ["1", "0"] {
        let dir = tempfile::tempdir().unwrap();
        let pier = boot_pill(dir.path(), "eyre", eyre_pill(dir.path()));
        let (mut child, port, _) = start_with(&pier, &["--scry-threads", threads]);
        // Settled: a request answered (the start events are done).
        let mut first = connect(port);
        first.write_all(b"GET /first HTTP/1.1\r\n\r\n").unwrap();
        assert!(response(&mut first).1.contains("x-url: /first"));
        // A conn peek of the same path gets the kernel's product as it is, `%omen` and all (as Vere's conn
        // sends it); the slog stream's own peek sees it unwrapped (as Vere's drivers do).
        let mut conn = std::os::unix::net::UnixStream::connect(pier.join(".urb/conn.sock")).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut heap = components::Heap::new();
        let path = format!("[{} [{} [{} 0]]]", cord("authenticated"), t("cookie"), cord(GOOD_COOKIE_KNOT));
        let request = format!("[7 {} [1 [{} [{} [0 {path}]]]]]", t("peek"), t("once"), t("ex"));
        let reply = common::conn_ask(&mut conn, &mut heap, &request);
        let expected = format!("[7 {} 0 {} 0 {} 0]", t("peek"), t("omen"), t("flag"));
        let expected = heap.parse(&expected).unwrap();
        assert_eq!(reply, heap.print(expected), "--scry-threads {threads}");
        let mut busy = connect(port);
        busy.write_all(b"GET /loop HTTP/1.1\r\n\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(!answered(&mut busy), "the loop's event is computing");
        let asked = Instant::now();
        let mut stream = connect(port);
        stream
            .write_all(format!("GET /~_~/slog HTTP/1.1\r\ncookie: {GOOD_COOKIE}\r\n\r\n").as_bytes())
            .unwrap();
        let (status, head, _) = response(&mut stream);
        assert_eq!(status, 200, "{head}");
        let (opened, loop_answered) = (asked.elapsed(), answered(&mut busy));
        assert!(response(&mut busy).1.contains("x-url: /loop"));
        let ended = asked.elapsed();
        eprintln!(
            "--scry-threads {threads}: the stream opened after {opened:?}, the event's answer came after {ended:?}"
        );
        match threads {
            "1" => {
                assert!(!loop_answered, "the stream opened while the event computed ({opened:?}, {ended:?})")
            }
            // The scry waited for the event: the stream opened as it ended.
            _ => assert!(
                opened > Duration::from_millis(400) && ended - opened < Duration::from_millis(300),
                "the stream opened after the event ({opened:?}, {ended:?})"
            ),
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
