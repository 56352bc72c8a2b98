//! cttp: Iris's HTTP client (spec/io.md §8). `%born` at start; each `%request` effect is fetched (a
//! blocking fetch on a thread of its own, at most [`IN_FLIGHT_MAX`] at once, each bounded by
//! [`TIMEOUT`] and [`RESPONSE_BYTES_MAX`]) and answered with one `%receive` holding the whole response;
//! any failure (name, connection, malformed response, timeout) is a 504 with no headers and no body, as
//! in Vere. `%cancel-request` drops the answer. Plain HTTP only: an `https` URL is answered 504, with a
//! message (TLS is not done yet).

use crate::nouns::{bytes_of as text_of, list_items, term};
use components::aura::render_ud;
use components::{Heap, Noun};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The most requests fetched at once per ship; more wait their turn.
pub const IN_FLIGHT_MAX: usize = 64;
/// The most requests waiting for a turn; past it a request is answered 504 at once.
pub const WAITING_MAX: usize = 1024;
/// How long one request may take, from resolving the name to the last byte.
pub const TIMEOUT: Duration = Duration::from_secs(300);
/// The largest response taken; a larger one is a 504.
pub const RESPONSE_BYTES_MAX: usize = 512 << 20;
const HEAD_BYTES_MAX: usize = 64 << 10;

fn wire(heap: &mut Heap, sev: &str) -> Noun {
    let name = heap.atom_from_bytes(b"http-client");
    let sev = heap.atom_from_bytes(sev.as_bytes());
    heap.list(&[term("i"), name, sev])
}

/// `[/i/http-client/<sev> [%born ~]]`, at start.
pub fn born(heap: &mut Heap, sev: &str) -> Noun {
    let wire = wire(heap, sev);
    let card = heap.cell(term("born"), Noun::ZERO);
    heap.cell(wire, card)
}

/// A request Iris asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: u64,
    pub method: String,
    pub url: String,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Option<Vec<u8>>,
}

/// What Iris asks of the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CttpEffect {
    Request(Request),
    Cancel(u64),
}

/// Claims an effect on an `/http-client/...` wire.
pub fn claims(heap: &Heap, wire: Noun, card: Noun) -> Option<Result<CttpEffect, String>> {
    if text_of(heap, heap.head(wire)?)? != b"http-client" {
        return None;
    }
    Some(parse(heap, card).ok_or_else(|| format!("cttp: invalid card {}", heap.print_limited(card, 200))))
}

fn parse(heap: &Heap, card: Noun) -> Option<CttpEffect> {
    let (tag, rest) = heap.cell_parts(card)?;
    match text_of(heap, tag)?.as_slice() {
        b"request" => {
            let (id, request) = heap.cell_parts(rest)?;
            let id = heap.as_u64(id)?;
            let (method, rest) = heap.cell_parts(request)?;
            let (url, rest) = heap.cell_parts(rest)?;
            let (headers, body) = heap.cell_parts(rest)?;
            let mut pairs = Vec::new();
            for pair in list_items(heap, headers, 1024)? {
                let (key, value) = heap.cell_parts(pair)?;
                pairs.push((text_of(heap, key)?, text_of(heap, value)?));
            }
            let body = match heap.cell_parts(body) {
                None => None,
                Some((_, octs)) => {
                    let (length, bytes) = heap.cell_parts(octs)?;
                    let length =
                        usize::try_from(heap.as_u64(length)?).ok().filter(|&l| l <= RESPONSE_BYTES_MAX)?;
                    let mut data = text_of(heap, bytes)?;
                    data.resize(length, 0);
                    Some(data)
                }
            };
            Some(CttpEffect::Request(Request {
                id,
                method: String::from_utf8(text_of(heap, method)?).ok()?,
                url: String::from_utf8(text_of(heap, url)?).ok()?,
                headers: pairs,
                body,
            }))
        }
        b"cancel-request" => Some(CttpEffect::Cancel(heap.as_u64(rest)?)),
        _ => None,
    }
}

/// An absolute URL, as far as the driver needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query (`/` at least).
    pub target: String,
}

/// Parses `http[s]://host[:port][/path][?query]` (fragments dropped).
pub fn parse_url(url: &str) -> Result<Url, String> {
    let (https, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        return Err(format!("not an http or https URL: {url}"));
    };
    let rest = rest.split('#').next().unwrap_or("");
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(split);
    let target = if target.is_empty() {
        "/".to_string()
    } else if target.starts_with('?') {
        format!("/{target}")
    } else {
        target.to_string()
    };
    let authority = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(']') || host.ends_with(']') => {
            (host, port.parse::<u16>().map_err(|_| format!("a bad port in {url}"))?)
        }
        _ => (authority, if https { 443 } else { 80 }),
    };
    if host.is_empty() || host.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
        return Err(format!("no host in {url}"));
    }
    if target.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
        return Err(format!("a bad path in {url}"));
    }
    Ok(Url { https, host: host.to_string(), port, target })
}

/// The request's bytes: `METHOD target HTTP/1.1`, `host`, the headers in order (Iris's own `host` or
/// framing headers left out), `content-length` and the body, `connection: close`.
pub fn request_bytes(url: &Url, request: &Request) -> Vec<u8> {
    let default_port = if url.https { 443 } else { 80 };
    let host = if url.port == default_port { url.host.clone() } else { format!("{}:{}", url.host, url.port) };
    let mut out = format!("{} {} HTTP/1.1\r\nhost: {host}\r\n", request.method, url.target).into_bytes();
    let skipped: [&[u8]; 4] = [b"host", b"content-length", b"transfer-encoding", b"connection"];
    crate::http::put_headers(&mut out, &request.headers, &skipped);
    if let Some(body) = &request.body {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    if let Some(body) = &request.body {
        out.extend_from_slice(body);
    }
    out
}

/// A response, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Option<Vec<u8>>,
}

impl Response {
    /// What any failure gives: 504, no headers, no body.
    pub fn failed() -> Response {
        Response { status: 504, headers: Vec::new(), body: None }
    }
}

/// What a response's bytes hold so far.
#[derive(Debug, PartialEq, Eq)]
pub enum ParsedResponse {
    Whole(Response),
    Partial,
    Bad(String),
}

/// Parses a response from `input`; `ended` says the peer has closed (a body without a length ends there).
pub fn parse_response(input: &[u8], ended: bool, head_only: bool) -> ParsedResponse {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if input.len() > HEAD_BYTES_MAX => {
            return ParsedResponse::Bad("response head too large".into());
        }
        Ok(httparse::Status::Partial) if ended => {
            return ParsedResponse::Bad("the response ended early".into());
        }
        Ok(httparse::Status::Partial) => return ParsedResponse::Partial,
        Err(e) => return ParsedResponse::Bad(format!("a malformed response: {e}")),
    };
    let status = response.code.unwrap_or(0);
    let mut fields = Vec::new();
    let (mut length, mut chunked) = (None, false);
    for header in response.headers.iter() {
        let name = header.name.to_ascii_lowercase();
        if name == "content-length" {
            length = std::str::from_utf8(header.value).ok().and_then(|v| v.trim().parse::<usize>().ok());
        }
        if name == "transfer-encoding"
            && String::from_utf8_lossy(header.value).to_ascii_lowercase().contains("chunked")
        {
            chunked = true;
        }
        fields.push((name, header.value.to_vec()));
    }
    let rest = &input[head..];
    let no_body = head_only || status == 204 || status == 304 || (100..200).contains(&status);
    let body = if no_body {
        Vec::new()
    } else if chunked {
        match dechunk(rest) {
            Some(Some(body)) => body,
            Some(None) if ended => return ParsedResponse::Bad("the chunked body ended early".into()),
            Some(None) => return ParsedResponse::Partial,
            None => return ParsedResponse::Bad("a malformed chunked body".into()),
        }
    } else if let Some(length) = length {
        if rest.len() < length {
            return if ended {
                ParsedResponse::Bad("the body ended early".into())
            } else {
                ParsedResponse::Partial
            };
        }
        rest[..length].to_vec()
    } else if ended {
        rest.to_vec()
    } else {
        return ParsedResponse::Partial;
    };
    let body = (!body.is_empty()).then_some(body);
    ParsedResponse::Whole(Response { status, headers: fields, body })
}

/// A chunked body: `Some(Some(body))` whole, `Some(None)` not yet, `None` malformed.
fn dechunk(input: &[u8]) -> Option<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (used, size) = match httparse::parse_chunk_size(&input[at..]) {
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return Some(None),
            Err(_) => return None,
        };
        at += used;
        if size == 0 {
            return Some(Some(body));
        }
        let size = usize::try_from(size).ok().filter(|&s| s <= RESPONSE_BYTES_MAX)?;
        if input.len() - at < size + 2 {
            return Some(None);
        }
        body.extend_from_slice(&input[at..at + size]);
        at += size + 2;
    }
}

/// `[/i/http-client/<sev> [%receive id [%start [status headers] data %.y]]]`.
pub fn receive_ovum(heap: &mut Heap, sev: &str, id: u64, response: &Response) -> Noun {
    let wire = wire(heap, sev);
    let mut headers = Vec::with_capacity(response.headers.len());
    for (name, value) in &response.headers {
        let key = heap.atom_from_bytes(name.as_bytes());
        let value = heap.atom_from_bytes(value);
        headers.push(heap.cell(key, value));
    }
    let headers = heap.list(&headers);
    let status = heap.atom_u64(response.status as u64);
    let head = heap.cell(status, headers);
    let data = match &response.body {
        None => Noun::ZERO,
        Some(body) => {
            let length = heap.atom_u64(body.len() as u64);
            let bytes = heap.atom_from_bytes(body);
            let octs = heap.cell(length, bytes);
            heap.cell(Noun::ZERO, octs)
        }
    };
    let start = heap.tuple(&[term("start"), head, data, Noun::ZERO]);
    let id = heap.atom_u64(id);
    let receive = heap.atom_from_bytes(b"receive");
    let card = heap.tuple(&[receive, id, start]);
    heap.cell(wire, card)
}

/// Fetches a request, blocking, within [`TIMEOUT`]; gives up early when `cancelled` is set. Any failure
/// is `Err` with what went wrong (the caller answers 504).
pub fn fetch(request: &Request, cancelled: &Arc<AtomicBool>) -> Result<Response, String> {
    let url = parse_url(&request.url)?;
    if url.https {
        return Err(format!("{}: https is not supported yet", request.url));
    }
    let deadline = Instant::now() + TIMEOUT;
    let addresses: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", url.host))?
        .filter(SocketAddr::is_ipv4)
        .collect();
    let address = addresses.first().ok_or_else(|| format!("{} has no IPv4 address", url.host))?;
    let mut stream = TcpStream::connect_timeout(address, TIMEOUT)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    let step = Duration::from_millis(250);
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(step)).map_err(|e| e.to_string())?;
    stream.write_all(&request_bytes(&url, request)).map_err(|e| format!("cannot send to {address}: {e}"))?;
    let head_only = request.method.eq_ignore_ascii_case("HEAD");
    let mut input = Vec::new();
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        if cancelled.load(Ordering::Relaxed) {
            return Err("cancelled".into());
        }
        if Instant::now() > deadline {
            return Err(format!("no whole response from {address} in {} s", TIMEOUT.as_secs()));
        }
        let ended = match stream.read(&mut buffer) {
            Ok(0) => true,
            Ok(n) => {
                input.extend_from_slice(&buffer[..n]);
                false
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("reading from {address}: {e}")),
        };
        if input.len() > RESPONSE_BYTES_MAX {
            return Err(format!("the response from {address} is over {RESPONSE_BYTES_MAX} bytes"));
        }
        match parse_response(&input, ended, head_only) {
            ParsedResponse::Whole(response) => return Ok(response),
            ParsedResponse::Bad(why) => return Err(format!("{address}: {why}")),
            ParsedResponse::Partial if ended => return Err(format!("{address}: the response ended early")),
            ParsedResponse::Partial => {}
        }
    }
}

/// A request's number as Iris's ids print (`@ud`), for messages.
pub fn id_text(id: u64) -> String {
    render_ud(id as u128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_taken_apart() {
        let url = parse_url("http://localhost:8080/~/scry/a.json?x=1#top").unwrap();
        assert_eq!(
            (url.https, url.host.as_str(), url.port, url.target.as_str()),
            (false, "localhost", 8080, "/~/scry/a.json?x=1")
        );
        let url = parse_url("https://example.com").unwrap();
        assert_eq!((url.https, url.port, url.target.as_str()), (true, 443, "/"));
        assert_eq!(parse_url("http://h?q").unwrap().target, "/?q");
        for bad in ["ftp://x/", "http://", "http://h:99999/", "http://h/a b"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_and_responses_are_framed() {
        let request = Request {
            id: 0,
            method: "POST".into(),
            url: "http://h:81/p".into(),
            headers: vec![(b"Content-Type".to_vec(), b"a/b".to_vec()), (b"Host".to_vec(), b"evil".to_vec())],
            body: Some(b"hi".to_vec()),
        };
        let bytes = String::from_utf8(request_bytes(&parse_url(&request.url).unwrap(), &request)).unwrap();
        assert_eq!(
            bytes,
            "POST /p HTTP/1.1\r\nhost: h:81\r\nContent-Type: a/b\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi"
        );
        let whole = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse_response(&whole[..30], false, false), ParsedResponse::Partial);
        let ParsedResponse::Whole(r) = parse_response(whole, false, false) else { panic!() };
        assert_eq!((r.status, r.body.as_deref()), (200, Some(&b"hello"[..])));
        assert_eq!(r.headers[0], ("content-type".to_string(), b"text/plain".to_vec()));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n";
        let ParsedResponse::Whole(r) = parse_response(chunked, false, false) else { panic!() };
        assert_eq!(r.body.as_deref(), Some(&b"abc"[..]));
        let until_close = b"HTTP/1.0 404 Nope\r\n\r\ngone";
        assert_eq!(parse_response(until_close, false, false), ParsedResponse::Partial);
        let ParsedResponse::Whole(r) = parse_response(until_close, true, false) else { panic!() };
        assert_eq!((r.status, r.body.as_deref()), (404, Some(&b"gone"[..])));
        assert!(matches!(parse_response(b"garbage\r\n\r\n", true, false), ParsedResponse::Bad(_)));
    }

    #[test]
    fn a_fetch_gets_a_loopback_servers_answer_and_a_refused_one_fails() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut seen = Vec::new();
            let mut buffer = [0u8; 1024];
            while !seen.ends_with(b"\r\n\r\n") {
                let n = stream.read(&mut buffer).unwrap();
                seen.extend_from_slice(&buffer[..n]);
            }
            stream.write_all(b"HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nbody until close").unwrap();
            String::from_utf8(seen).unwrap()
        });
        let request = Request {
            id: 3,
            method: "GET".into(),
            url: format!("http://127.0.0.1:{port}/x"),
            headers: vec![],
            body: None,
        };
        let cancelled = Arc::new(AtomicBool::new(false));
        let response = fetch(&request, &cancelled).unwrap();
        assert_eq!(response.body.as_deref(), Some(&b"body until close"[..]));
        assert!(
            server.join().unwrap().starts_with(&format!("GET /x HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"))
        );
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let refused = Request { url: format!("http://127.0.0.1:{closed}/"), ..request };
        assert!(fetch(&refused, &cancelled).is_err());
        let mut heap = Heap::new();
        let ovum = receive_ovum(&mut heap, "0v1", 3, &Response::failed());
        let (_, card) = heap.cell_parts(ovum).unwrap();
        assert_eq!(heap.slot_u64(card, 6).and_then(|n| n.as_direct()), Some(3));
    }
}
