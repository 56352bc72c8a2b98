//! http: Eyre's server side (spec/io.md §7). The driver's logic without sockets: the nouns it injects
//! (`%born`, `%live`, `%request`, `%request-local`, `%cancel-request`), the effects it takes (`%set-config`,
//! `%response` with `%start`, `%continue` and `%cancel`), request parsing (httparse) with its limits, and
//! [`HttpConnection`]: one client's requests in order (HTTP/1.1 keep-alive and pipelining), each
//! response written as it comes (fixed length when whole at its start, else chunked) and sent in the
//! order the requests came, the 600 s timeout, and what is owed to Eyre when the client goes.

use crate::nouns::{bytes_of as text_of, list_items, term};
use components::aura::render_ud;
use components::{Heap, Noun};
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// The largest request body taken (Vere's limit); past it, 413.
pub const BODY_BYTES_MAX: usize = 512 << 20;
/// The most bytes of a request's line and headers; past it, 431.
pub const HEAD_BYTES_MAX: usize = 64 << 10;
/// The most headers of one request; past it, 431.
pub const HEADERS_MAX: usize = 128;
/// The most requests of one connection waiting for their responses; the connection is not read while
/// this many wait.
pub const PIPELINE_MAX: usize = 32;
/// The most response bytes queued for one connection; past it, the connection is closed (a client that
/// does not read).
pub const OUT_BYTES_MAX: usize = 256 << 20;
/// A request Eyre has not begun to answer within this is answered 504, and Eyre told `%cancel-request`.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(600);
/// The methods passed to Eyre; any other is answered 400.
pub const METHODS: [&str; 8] = ["GET", "PUT", "POST", "HEAD", "CONNECT", "DELETE", "OPTIONS", "TRACE"];
/// The path the runtime answers itself: 204 when the ship is idle, 429 while it computes.
pub const HEALTHZ: &str = "/~_~/healthz";
/// The runtime's stream of the ship's slogs (server-sent events) for a client Eyre has logged in.
pub const SLOG: &str = "/~_~/slog";
/// How often an open slog stream is sent a heartbeat (a bare line).
pub const SLOG_HEARTBEAT: Duration = Duration::from_secs(20);
/// What each slog stream is sent when the ship stops.
pub const SLOG_SHUTDOWN: &[u8] = b"data:urbit shutting down\n\n";
/// The first port tried for the public server (then 8080, then up by one), and for the loopback server.
pub const HTTP_PORT_FIRST: u16 = 80;
pub const LOOPBACK_PORT_FIRST: u16 = 12321;
/// How many ports the search tries before giving up.
pub const PORT_TRIES_MAX: u16 = 128;

fn cord(heap: &mut Heap, bytes: &[u8]) -> Noun {
    heap.atom_from_bytes(bytes)
}

/// `[/e/http-server/<sev> card]`.
fn driver_ovum(heap: &mut Heap, sev: &str, card: Noun) -> Noun {
    let sev = cord(heap, sev.as_bytes());
    let name = cord(heap, b"http-server");
    let wire = heap.list(&[term("e"), name, sev]);
    heap.cell(wire, card)
}

/// `[/e/http-server/<sev> [%born ~]]`, at start.
pub fn born(heap: &mut Heap, sev: &str) -> Noun {
    let card = heap.cell(term("born"), Noun::ZERO);
    driver_ovum(heap, sev, card)
}

/// `[/e/http-server/<sev> [%live insecure secure]]`, once the servers listen.
pub fn live(heap: &mut Heap, sev: &str, insecure: u16, secure: Option<u16>) -> Noun {
    let secure = match secure {
        Some(port) => heap.cell(Noun::ZERO, Noun::direct(port as u64).expect("small")),
        None => Noun::ZERO,
    };
    let card = heap.tuple(&[term("live"), Noun::direct(insecure as u64).expect("small"), secure]);
    driver_ovum(heap, sev, card)
}

/// Which request a wire names: the server (its `@uv` knot), the connection and the request numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId {
    pub server: String,
    pub con: u64,
    pub req: u64,
}

/// `/e/http-server/<srv>/<con>/<req>`.
fn request_wire(heap: &mut Heap, id: &RequestId) -> Noun {
    let server = cord(heap, id.server.as_bytes());
    let name = cord(heap, b"http-server");
    let con = cord(heap, render_ud(id.con as u128).as_bytes());
    let req = cord(heap, render_ud(id.req as u128).as_bytes());
    heap.list(&[term("e"), name, server, con, req])
}

/// `[wire [%request secure [%ipv4 address] [method url headers body]]]` (`%request-local` from the
/// loopback server), headers lower-cased with `host` first.
pub fn request_ovum(heap: &mut Heap, id: &RequestId, local: bool, peer: Ipv4Addr, request: &Request) -> Noun {
    let wire = request_wire(heap, id);
    let method = cord(heap, request.method.as_bytes());
    let url = cord(heap, request.url.as_bytes());
    let mut headers = Vec::with_capacity(request.headers.len() + 1);
    if let Some(host) = &request.host {
        let key = cord(heap, b"host");
        let value = cord(heap, host);
        headers.push(heap.cell(key, value));
    }
    for (name, value) in &request.headers {
        let key = cord(heap, name.as_bytes());
        let value = cord(heap, value);
        headers.push(heap.cell(key, value));
    }
    let headers = heap.list(&headers);
    let body = if request.body.is_empty() {
        Noun::ZERO
    } else {
        let length = heap.atom_u64(request.body.len() as u64);
        let bytes = cord(heap, &request.body);
        let octs = heap.cell(length, bytes);
        heap.cell(Noun::ZERO, octs)
    };
    let request = heap.tuple(&[method, url, headers, body]);
    let address = heap.atom_u64(u32::from(peer) as u64);
    let address = heap.cell(term("ipv4"), address);
    let tag = if local { cord(heap, b"request-local") } else { cord(heap, b"request") };
    // `secure` is %.n (1): there is no HTTPS server yet.
    let card = heap.tuple(&[tag, Noun::direct(1).expect("small"), address, request]);
    heap.cell(wire, card)
}

/// `[wire [%cancel-request ~]]`: the client went away, or Eyre did not answer in time.
pub fn cancel_ovum(heap: &mut Heap, id: &RequestId) -> Noun {
    let wire = request_wire(heap, id);
    let tag = cord(heap, b"cancel-request");
    let card = heap.cell(tag, Noun::ZERO);
    heap.cell(wire, card)
}

/// Eyre's configuration (`http-config`): only `secure` matters to the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// A certificate and key were given (HTTPS is not served yet).
    pub secure: bool,
    pub proxy: bool,
}

/// What Eyre asks of the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpEffect {
    /// Start (or restart) the servers.
    SetConfig(HttpConfig),
    /// A response (or part of one) for a request.
    Response(RequestId, ResponseCard),
}

/// A `%response`'s card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseCard {
    Start { status: u16, headers: Vec<(Vec<u8>, Vec<u8>)>, data: Option<Vec<u8>>, complete: bool },
    Continue { data: Option<Vec<u8>>, complete: bool },
    Cancel,
}

/// Claims an effect on a `/http-server/...` wire: what to do, an error for a malformed one, `None` if it
/// is not http's.
pub fn claims(heap: &Heap, wire: Noun, card: Noun) -> Option<Result<HttpEffect, String>> {
    let head = text_of(heap, heap.head(wire)?)?;
    if head != b"http-server" {
        return None;
    }
    Some(
        parse_effect(heap, wire, card)
            .ok_or_else(|| format!("http: invalid card {}", heap.print_limited(card, 200))),
    )
}

fn parse_effect(heap: &Heap, wire: Noun, card: Noun) -> Option<HttpEffect> {
    let (tag, rest) = heap.cell_parts(card)?;
    let tag = text_of(heap, tag)?;
    let parts = list_items(heap, heap.tail(wire)?, 8)?;
    match tag.as_slice() {
        b"set-config" => {
            let (secure, rest) = heap.cell_parts(rest)?;
            let (proxy, _) = heap.cell_parts(rest)?;
            Some(HttpEffect::SetConfig(HttpConfig {
                secure: secure.as_direct() != Some(0),
                proxy: heap.as_u64(proxy)? == 0,
            }))
        }
        b"response" if parts.len() == 3 => {
            let server = String::from_utf8(text_of(heap, parts[0])?).ok()?;
            let number = |n: Noun| -> Option<u64> {
                let text = String::from_utf8(text_of(heap, n)?).ok()?;
                text.replace('.', "").parse().ok()
            };
            let id = RequestId { server, con: number(parts[1])?, req: number(parts[2])? };
            Some(HttpEffect::Response(id, parse_response(heap, rest)?))
        }
        _ => None,
    }
}

/// `(unit octs)`: the bytes, padded with zeros to the length given.
fn octs(heap: &Heap, unit: Noun) -> Option<Option<Vec<u8>>> {
    if unit.as_direct() == Some(0) {
        return Some(None);
    }
    let (_, octs) = heap.cell_parts(unit)?;
    let (length, bytes) = heap.cell_parts(octs)?;
    let length = usize::try_from(heap.as_u64(length)?).ok().filter(|&l| l <= BODY_BYTES_MAX)?;
    let mut data = text_of(heap, bytes)?;
    data.resize(length, 0);
    Some(Some(data))
}

fn parse_response(heap: &Heap, response: Noun) -> Option<ResponseCard> {
    let (kind, rest) = heap.cell_parts(response)?;
    match text_of(heap, kind)?.as_slice() {
        b"start" => {
            let (head, rest) = heap.cell_parts(rest)?;
            let (data, complete) = heap.cell_parts(rest)?;
            let (status, headers) = heap.cell_parts(head)?;
            let status = u16::try_from(heap.as_u64(status)?).ok()?;
            let mut pairs = Vec::new();
            for pair in list_items(heap, headers, 1024)? {
                let (key, value) = heap.cell_parts(pair)?;
                pairs.push((text_of(heap, key)?, text_of(heap, value)?));
            }
            Some(ResponseCard::Start {
                status,
                headers: pairs,
                data: octs(heap, data)?,
                complete: heap.as_u64(complete)? == 0,
            })
        }
        b"continue" => {
            let (data, complete) = heap.cell_parts(rest)?;
            Some(ResponseCard::Continue { data: octs(heap, data)?, complete: heap.as_u64(complete)? == 0 })
        }
        b"cancel" => Some(ResponseCard::Cancel),
        _ => None,
    }
}

/// A request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target: path and query.
    pub url: String,
    /// The `host` header's value (sent to Eyre first).
    pub host: Option<Vec<u8>>,
    /// The other headers in the order received, names lower-cased.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
}

/// What the bytes at the start of a connection's input hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole request, and how many bytes it took.
    Request(Request, usize),
    /// Not a whole request yet.
    Partial,
    /// A request the runtime answers with this status and closes the connection.
    Refused(u16),
}

/// Parses one request from the start of `input`.
pub fn parse_request(input: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; HEADERS_MAX];
    let mut request = httparse::Request::new(&mut headers);
    let head_bytes = match request.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if input.len() > HEAD_BYTES_MAX => return Parsed::Refused(431),
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Refused(431),
        Err(_) => return Parsed::Refused(400),
    };
    if head_bytes > HEAD_BYTES_MAX {
        return Parsed::Refused(431);
    }
    let method = request.method.unwrap_or("").to_string();
    let url = request.path.unwrap_or("/").to_string();
    let http10 = request.version == Some(0);
    let mut host = None;
    let mut fields = Vec::with_capacity(request.headers.len());
    let (mut length, mut chunked, mut close, mut keep) = (None, false, false, false);
    for header in request.headers.iter() {
        let name = header.name.to_ascii_lowercase();
        let value = header.value;
        match name.as_str() {
            "host" => {
                host.get_or_insert_with(|| value.to_vec());
                continue;
            }
            "content-length" => {
                let parsed = std::str::from_utf8(value).ok().and_then(|v| v.trim().parse::<u64>().ok());
                match parsed {
                    Some(n) if length.is_none_or(|l| l == n) => length = Some(n),
                    _ => return Parsed::Refused(400),
                }
            }
            "transfer-encoding" => {
                let value = String::from_utf8_lossy(value).to_ascii_lowercase();
                if value.trim() != "chunked" {
                    return Parsed::Refused(501);
                }
                chunked = true;
            }
            "connection" => {
                let value = String::from_utf8_lossy(value).to_ascii_lowercase();
                close |= value.contains("close");
                keep |= value.contains("keep-alive");
            }
            _ => {}
        }
        fields.push((name, value.to_vec()));
    }
    if chunked && length.is_some() {
        return Parsed::Refused(400);
    }
    let keep_alive = if http10 { keep && !close } else { !close };
    let (body, used) = if chunked {
        match dechunk(&input[head_bytes..]) {
            Dechunked::Whole(body, used) => (body, used),
            Dechunked::Partial => return Parsed::Partial,
            Dechunked::TooLarge => return Parsed::Refused(413),
            Dechunked::Bad => return Parsed::Refused(400),
        }
    } else {
        let length = length.unwrap_or(0);
        if length > BODY_BYTES_MAX as u64 {
            return Parsed::Refused(413);
        }
        let length = length as usize;
        if input.len() - head_bytes < length {
            return Parsed::Partial;
        }
        (input[head_bytes..head_bytes + length].to_vec(), length)
    };
    let request = Request { method, url, host, headers: fields, body, keep_alive };
    Parsed::Request(request, head_bytes + used)
}

enum Dechunked {
    Whole(Vec<u8>, usize),
    Partial,
    TooLarge,
    Bad,
}

/// A chunked body (its trailers skipped): the bytes, and how many of the input it took.
fn dechunk(input: &[u8]) -> Dechunked {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (size_end, size) = match httparse::parse_chunk_size(&input[at..]) {
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return Dechunked::Partial,
            Err(_) => return Dechunked::Bad,
        };
        at += size_end;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let Some(end) = input[at..].windows(2).position(|w| w == b"\r\n") else {
                    return if input.len() - at > HEAD_BYTES_MAX {
                        Dechunked::Bad
                    } else {
                        Dechunked::Partial
                    };
                };
                at += end + 2;
                if end == 0 {
                    return Dechunked::Whole(body, at);
                }
            }
        }
        if body.len() as u64 + size > BODY_BYTES_MAX as u64 {
            return Dechunked::TooLarge;
        }
        let size = size as usize;
        if input.len() - at < size + 2 {
            return Dechunked::Partial;
        }
        if &input[at + size..at + size + 2] != b"\r\n" {
            return Dechunked::Bad;
        }
        body.extend_from_slice(&input[at..at + size]);
        at += size + 2;
    }
}

/// The reason phrase Vere gives a status.
pub fn reason(status: u16) -> &'static str {
    match status {
        0..200 => "weird",
        200..300 => "ok",
        300..400 => "moved",
        400..500 => "missing",
        _ => "hosed",
    }
}

/// A whole response from the runtime itself (an error, `healthz`).
pub fn plain_response(status: u16, keep_alive: bool) -> Vec<u8> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    format!(
        "HTTP/1.1 {status} {}\r\nserver: {}\r\ncontent-length: 0\r\nconnection: {connection}\r\n\r\n",
        reason(status),
        server_name()
    )
    .into_bytes()
}

fn server_name() -> String {
    format!("urbit/engine-{}", env!("CARGO_PKG_VERSION"))
}

/// The status line and headers of Eyre's response: its headers as given, but `content-length` (and
/// `transfer-encoding`, `connection`) are the driver's.
fn response_head(
    status: u16,
    headers: &[(Vec<u8>, Vec<u8>)],
    length: Option<usize>,
    keep_alive: bool,
) -> Vec<u8> {
    let mut head =
        format!("HTTP/1.1 {status} {}\r\nserver: {}\r\n", reason(status), server_name()).into_bytes();
    put_headers(&mut head, headers, &[b"content-length", b"transfer-encoding", b"connection"]);
    match length {
        Some(length) => head.extend_from_slice(format!("content-length: {length}\r\n").as_bytes()),
        None => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    let connection = if keep_alive { "keep-alive" } else { "close" };
    head.extend_from_slice(format!("connection: {connection}\r\n\r\n").as_bytes());
    head
}

/// Writes `name: value` lines for `headers`, leaving out those named in `skipped` (lower case: the
/// framing ones the driver writes itself) and any that would break the framing (a CR or LF in it).
pub(crate) fn put_headers(out: &mut Vec<u8>, headers: &[(Vec<u8>, Vec<u8>)], skipped: &[&[u8]]) {
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if skipped.contains(&lower.as_slice()) || name.iter().chain(value).any(|&b| b == b'\r' || b == b'\n')
        {
            continue;
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
}

fn chunk(out: &mut Vec<u8>, data: &[u8]) {
    if !data.is_empty() {
        out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
}

/// Where a request's response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Eyre has not begun it.
    Waiting,
    /// Begun and being streamed (chunked).
    Streaming,
    /// Whole.
    Done,
}

/// A request of the connection, in the order received.
#[derive(Debug)]
struct Pending {
    req: u64,
    keep_alive: bool,
    /// A HEAD request's response has no body.
    head_only: bool,
    stage: Stage,
    /// Whether Eyre was told of it (so owes it an answer, or is owed a cancel).
    sent_to_eyre: bool,
    /// A request for the slog stream (answered by the runtime once the kernel has said whether its
    /// cookie is logged in).
    slog: bool,
    /// Response bytes not yet handed to the socket (the head of the line's go out at once).
    bytes: Vec<u8>,
    since: Instant,
}

/// What a connection's input asks of the ship.
#[derive(Debug, PartialEq, Eq)]
pub enum HttpAction {
    /// Tell Eyre of request `req`.
    Request(u64, Request),
    /// Tell Eyre that request `req` is cancelled.
    Cancel(u64),
    /// Ask the kernel whether this `cookie` header is a logged-in session, for the slog stream `req`
    /// (then [`HttpConnection::on_slog_auth`]).
    Slog(u64, Vec<u8>),
}

/// What the kernel said of a slog request's cookie (Eyre's `/authenticated/cookie` scry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlogAuth {
    /// Logged in: the stream starts.
    Yes,
    /// Not logged in: 403.
    No,
    /// The scry failed, or gave something else: 500.
    Failed,
}

/// A client's connection: its input, its requests in order and the bytes to write.
#[derive(Debug)]
pub struct HttpConnection {
    pub con: u64,
    input: Vec<u8>,
    pending: VecDeque<Pending>,
    next_req: u64,
    /// Bytes ready to be written, in order.
    out: Vec<u8>,
    /// No more requests are read (a response said close, or the input was refused).
    closing: bool,
    /// The peer closed its side.
    pub peer_closed: bool,
    /// Requests answered by the runtime itself, by status.
    pub refused: u64,
}

impl HttpConnection {
    pub fn new(con: u64) -> HttpConnection {
        HttpConnection {
            con,
            input: Vec::new(),
            pending: VecDeque::new(),
            next_req: 1,
            out: Vec::new(),
            closing: false,
            peer_closed: false,
            refused: 0,
        }
    }

    /// Whether more input should be read: not closing, and not too many requests waiting.
    pub fn wants_read(&self) -> bool {
        !self.closing && !self.peer_closed && self.pending.len() < PIPELINE_MAX
    }

    /// Takes bytes read; gives what the ship must be told. `idle` says whether the ship is idle (for
    /// `healthz`).
    pub fn on_read(&mut self, data: &[u8], now: Instant, idle: bool) -> SmallVec<[HttpAction; 2]> {
        let mut actions = SmallVec::new();
        if self.closing {
            return actions;
        }
        self.input.extend_from_slice(data);
        while !self.closing && self.pending.len() < PIPELINE_MAX && !self.input.is_empty() {
            match parse_request(&self.input) {
                Parsed::Partial => break,
                Parsed::Refused(status) => {
                    self.refused += 1;
                    self.input.clear();
                    self.answer_now(status, false, now);
                }
                Parsed::Request(request, used) => {
                    self.input.drain(..used);
                    if !METHODS.contains(&request.method.as_str()) {
                        self.refused += 1;
                        self.answer_now(400, request.keep_alive, now);
                    } else if is_path(&request.url, HEALTHZ) {
                        self.answer_now(if idle { 204 } else { 429 }, request.keep_alive, now);
                    } else if is_path(&request.url, SLOG) {
                        let cookie = request.headers.iter().find(|(name, _)| name == "cookie");
                        match cookie {
                            None => {
                                self.refused += 1;
                                self.answer_now(403, request.keep_alive, now);
                            }
                            Some((_, cookie)) => {
                                let req = self.wait_for(&request, false, now);
                                actions.push(HttpAction::Slog(req, cookie.clone()));
                            }
                        }
                    } else {
                        let req = self.wait_for(&request, true, now);
                        actions.push(HttpAction::Request(req, request));
                    }
                }
            }
        }
        actions
    }

    /// Request `request` waits in line for its response: from Eyre (`to_eyre`), or from the runtime
    /// (the slog stream). Gives its number.
    fn wait_for(&mut self, request: &Request, to_eyre: bool, now: Instant) -> u64 {
        let req = self.next_req;
        self.next_req += 1;
        self.pending.push_back(Pending {
            req,
            keep_alive: request.keep_alive,
            head_only: request.method == "HEAD",
            stage: Stage::Waiting,
            sent_to_eyre: to_eyre,
            slog: !to_eyre,
            bytes: Vec::new(),
            since: now,
        });
        if !request.keep_alive {
            self.closing = true;
        }
        req
    }

    /// A response from the runtime, in line after the requests before it.
    fn answer_now(&mut self, status: u16, keep_alive: bool, now: Instant) {
        let req = self.next_req;
        self.next_req += 1;
        if !keep_alive {
            self.closing = true;
        }
        self.pending.push_back(Pending {
            req,
            keep_alive,
            head_only: false,
            stage: Stage::Done,
            sent_to_eyre: false,
            slog: false,
            bytes: plain_response(status, keep_alive),
            since: now,
        });
        self.advance();
    }

    /// A `%response` card for request `req`: gives `false` if no request awaits it (a duplicate `%start`,
    /// a `%continue` before one, an unknown request), ignored as Vere ignores it. A `%cancel` aborts the
    /// connection.
    pub fn on_response(&mut self, req: u64, card: ResponseCard) -> bool {
        let Some(pending) = self.pending.iter_mut().find(|p| p.req == req && p.sent_to_eyre) else {
            return false;
        };
        match (pending.stage, card) {
            (Stage::Waiting, ResponseCard::Start { status, headers, data, complete }) => {
                let data = data.unwrap_or_default();
                let body = if pending.head_only { &[][..] } else { &data[..] };
                if complete {
                    let head = response_head(status, &headers, Some(data.len()), pending.keep_alive);
                    pending.bytes.extend_from_slice(&head);
                    pending.bytes.extend_from_slice(body);
                    pending.stage = Stage::Done;
                } else {
                    let head = response_head(status, &headers, None, pending.keep_alive);
                    pending.bytes.extend_from_slice(&head);
                    chunk(&mut pending.bytes, body);
                    pending.stage = Stage::Streaming;
                }
            }
            (Stage::Streaming, ResponseCard::Continue { data, complete }) => {
                if !pending.head_only {
                    chunk(&mut pending.bytes, &data.unwrap_or_default());
                }
                if complete {
                    pending.bytes.extend_from_slice(b"0\r\n\r\n");
                    pending.stage = Stage::Done;
                }
            }
            (_, ResponseCard::Cancel) => {
                pending.stage = Stage::Done;
                pending.sent_to_eyre = false;
                self.abort();
                return true;
            }
            _ => return false,
        }
        self.advance();
        true
    }

    /// The kernel's answer for slog request `req`: the stream's head (200, `text/event-stream`), or 403,
    /// or 500. Gives `false` if no slog request awaits it.
    pub fn on_slog_auth(&mut self, req: u64, auth: SlogAuth) -> bool {
        let Some(pending) =
            self.pending.iter_mut().find(|p| p.req == req && p.slog && p.stage == Stage::Waiting)
        else {
            return false;
        };
        match auth {
            SlogAuth::Yes => {
                let headers = [
                    (b"content-type".to_vec(), b"text/event-stream".to_vec()),
                    (b"cache-control".to_vec(), b"no-cache".to_vec()),
                ];
                pending.bytes = response_head(200, &headers, None, pending.keep_alive);
                pending.stage = Stage::Streaming;
            }
            SlogAuth::No | SlogAuth::Failed => {
                self.refused += 1;
                let status = if auth == SlogAuth::No { 403 } else { 500 };
                pending.bytes = plain_response(status, pending.keep_alive);
                pending.stage = Stage::Done;
            }
        }
        self.advance();
        true
    }

    /// Whether a slog stream of this connection is open.
    pub fn streams_slog(&self) -> bool {
        !self.peer_closed && self.pending.iter().any(|p| p.slog && p.stage == Stage::Streaming)
    }

    /// Sends `data` (`data:<line>\n\n` lines, a heartbeat, the shutdown line) on each open slog stream,
    /// as a chunk. A stream whose bytes pile up past [`OUT_BYTES_MAX`] (a client that does not read)
    /// closes the connection.
    pub fn slog_data(&mut self, data: &[u8]) {
        let mut overflow = false;
        for pending in &mut self.pending {
            if pending.slog && pending.stage == Stage::Streaming && !pending.head_only {
                chunk(&mut pending.bytes, data);
                overflow |= pending.bytes.len() > OUT_BYTES_MAX;
            }
        }
        if overflow {
            self.abort();
        } else {
            self.advance();
        }
    }

    /// Stops the connection: nothing more is read or written, and nothing is owed to Eyre for the
    /// request it cancelled.
    fn abort(&mut self) {
        self.closing = true;
        self.pending.retain(|p| p.sent_to_eyre && p.stage != Stage::Done);
        for pending in &mut self.pending {
            pending.bytes.clear();
        }
        self.out.clear();
        self.peer_closed = true;
    }

    /// Moves the head of the line's bytes out, and past every response that is whole.
    fn advance(&mut self) {
        while let Some(first) = self.pending.front_mut() {
            self.out.append(&mut first.bytes);
            if first.stage != Stage::Done {
                break;
            }
            let first = self.pending.pop_front().expect("a first");
            if !first.keep_alive {
                self.closing = true;
                self.pending.clear();
                self.input.clear();
                break;
            }
        }
        if self.out.len() > OUT_BYTES_MAX {
            self.abort();
        }
    }

    /// The bytes to write next (taken).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether there are bytes to write.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Whether the connection is done: closing (or its peer gone) with nothing left to write and
    /// nothing still streaming to it.
    pub fn is_finished(&self) -> bool {
        (self.closing || self.peer_closed)
            && self.out.is_empty()
            && (self.peer_closed || self.pending.is_empty())
    }

    /// Requests Eyre has not begun to answer within [`RESPONSE_TIMEOUT`]: answered 504 here; Eyre is to
    /// be told they are cancelled.
    pub fn timeouts(&mut self, now: Instant) -> Vec<u64> {
        let mut expired = Vec::new();
        for pending in &mut self.pending {
            if pending.sent_to_eyre
                && pending.stage == Stage::Waiting
                && now.duration_since(pending.since) >= RESPONSE_TIMEOUT
            {
                expired.push(pending.req);
                pending.stage = Stage::Done;
                pending.sent_to_eyre = false;
                pending.bytes = plain_response(504, pending.keep_alive);
            }
        }
        if !expired.is_empty() {
            self.advance();
        }
        expired
    }

    /// The peer is gone: the requests Eyre was told of and has not finished answering are cancelled.
    pub fn on_closed(&mut self) -> Vec<u64> {
        self.peer_closed = true;
        self.closing = true;
        self.out.clear();
        let owed =
            self.pending.iter().filter(|p| p.sent_to_eyre && p.stage != Stage::Done).map(|p| p.req).collect();
        self.pending.clear();
        owed
    }
}

/// Whether a request's target is `path`, with or without a query.
fn is_path(url: &str, path: &str) -> bool {
    url.strip_prefix(path).is_some_and(|rest| rest.is_empty() || rest.starts_with('?'))
}

/// A slog as the slog stream sends it: `data:<line>\n\n` for each of its lines.
pub fn slog_event(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 8);
    for line in text.split('\n') {
        out.extend_from_slice(b"data:");
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\n\n");
    }
    out
}

/// The `.http.ports` file's text: one line per server, `<port> insecure public|loopback`.
pub fn ports_file(public: u16, loopback: Option<u16>) -> String {
    let mut text = format!("{public} insecure public\n");
    if let Some(port) = loopback {
        text.push_str(&format!("{port} insecure loopback\n"));
    }
    text
}

/// The next port to try after `port` failed to bind (Vere's search: 80 → 8080, then up by one).
pub fn next_port(port: u16) -> Option<u16> {
    match port {
        80 => Some(8080),
        443 => Some(8443),
        port => port.checked_add(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        match parse_request(text.as_bytes()) {
            Parsed::Request(request, used) => {
                assert_eq!(used, text.len());
                request
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_request_is_parsed_with_host_apart_and_names_lower_cased() {
        let r = request(
            "POST /~/login?x=1 HTTP/1.1\r\nContent-Type: a/b\r\nHost: zod\r\nContent-Length: 5\r\n\r\nhello",
        );
        assert_eq!((r.method.as_str(), r.url.as_str()), ("POST", "/~/login?x=1"));
        assert_eq!(r.host.as_deref(), Some(&b"zod"[..]));
        assert_eq!(r.headers[0], ("content-type".to_string(), b"a/b".to_vec()));
        assert_eq!(r.body, b"hello");
        assert!(r.keep_alive);
        let r = request("GET / HTTP/1.0\r\n\r\n");
        assert!(!r.keep_alive);
        let r =
            request("PUT / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        assert_eq!(r.body, b"abcde");
    }

    #[test]
    fn bad_requests_are_refused_with_their_status() {
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nContent-Le"), Parsed::Partial);
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\ncontent-length: 3\r\n\r\nab"), Parsed::Partial);
        assert_eq!(parse_request(b"\x01\x02 nonsense\r\n\r\n"), Parsed::Refused(400));
        let big = format!("GET / HTTP/1.1\r\nx: {}\r\n", "a".repeat(HEAD_BYTES_MAX));
        assert_eq!(parse_request(big.as_bytes()), Parsed::Refused(431));
        let many: String = (0..HEADERS_MAX + 1).map(|i| format!("h{i}: v\r\n")).collect();
        assert_eq!(parse_request(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()), Parsed::Refused(431));
        let huge = format!("POST / HTTP/1.1\r\ncontent-length: {}\r\n\r\n", BODY_BYTES_MAX + 1);
        assert_eq!(parse_request(huge.as_bytes()), Parsed::Refused(413));
        let both = "POST / HTTP/1.1\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n";
        assert_eq!(parse_request(both.as_bytes()), Parsed::Refused(400));
    }

    #[test]
    fn pipelined_responses_go_out_in_the_order_of_their_requests() {
        let now = Instant::now();
        let mut c = HttpConnection::new(1);
        let actions = c.on_read(
            b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /~_~/healthz HTTP/1.1\r\n\r\n",
            now,
            true,
        );
        assert_eq!(actions.len(), 2);
        let start = |body: &str| ResponseCard::Start {
            status: 200,
            headers: vec![
                (b"content-type".to_vec(), b"text/plain".to_vec()),
                (b"Content-Length".to_vec(), b"99".to_vec()),
            ],
            data: Some(body.as_bytes().to_vec()),
            complete: true,
        };
        // The second is answered first: nothing goes out until the first is.
        assert!(c.on_response(2, start("bee")));
        assert!(!c.has_output());
        assert!(!c.on_response(2, start("again")), "a duplicate %start is ignored");
        assert!(c.on_response(1, start("a")));
        let out = String::from_utf8(c.take_output()).unwrap();
        let a = out.find("\r\n\r\na").unwrap();
        let b = out.find("\r\n\r\nbee").unwrap();
        let healthz = out.find("HTTP/1.1 204").unwrap();
        assert!(a < b && b < healthz, "{out}");
        assert!(out.contains("content-length: 1\r\n") && !out.contains("99"), "{out}");
        assert!(!c.is_finished());
    }

    #[test]
    fn a_streamed_response_is_chunked_and_a_closed_peer_is_owed_cancels() {
        let now = Instant::now();
        let mut c = HttpConnection::new(1);
        c.on_read(b"GET /stream HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n", now, true);
        let start = ResponseCard::Start {
            status: 200,
            headers: vec![],
            data: Some(b"one".to_vec()),
            complete: false,
        };
        assert!(
            !c.on_response(1, ResponseCard::Continue { data: None, complete: true }),
            "no %continue before %start"
        );
        assert!(c.on_response(1, start));
        assert!(c.on_response(1, ResponseCard::Continue { data: Some(b"two".to_vec()), complete: false }));
        let out = String::from_utf8(c.take_output()).unwrap();
        assert!(
            out.contains("transfer-encoding: chunked\r\n") && out.ends_with("3\r\none\r\n3\r\ntwo\r\n"),
            "{out}"
        );
        assert_eq!(c.on_closed(), vec![1, 2]);
        assert!(c.is_finished());
    }

    #[test]
    fn the_slog_stream_asks_for_a_cookie_then_streams_each_line_as_an_event() {
        let now = Instant::now();
        let mut c = HttpConnection::new(1);
        assert!(c.on_read(b"GET /~_~/slog HTTP/1.1\r\n\r\n", now, true).is_empty());
        assert!(String::from_utf8(c.take_output()).unwrap().starts_with("HTTP/1.1 403 missing"));
        let actions = c.on_read(b"GET /~_~/slog HTTP/1.1\r\ncookie: urbauth-~zod=0v1\r\n\r\n", now, true);
        assert_eq!(actions.as_slice(), [HttpAction::Slog(2, b"urbauth-~zod=0v1".to_vec())]);
        assert!(!c.streams_slog() && !c.has_output(), "nothing before the kernel answers");
        assert!(c.timeouts(now + RESPONSE_TIMEOUT).is_empty(), "the runtime's own wait is not Eyre's");
        assert!(c.on_slog_auth(2, SlogAuth::Yes));
        assert!(!c.on_slog_auth(2, SlogAuth::Yes), "answered once");
        c.slog_data(&slog_event("one\ntwo"));
        c.slog_data(b"\n");
        let out = String::from_utf8(c.take_output()).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 ok\r\n"), "{out}");
        assert!(out.contains("content-type: text/event-stream\r\n"), "{out}");
        assert!(out.contains("transfer-encoding: chunked\r\n"), "{out}");
        assert!(out.ends_with("\r\n\r\n14\r\ndata:one\n\ndata:two\n\n\r\n1\r\n\n\r\n"), "{out:?}");
        assert!(c.streams_slog());
        assert!(c.on_closed().is_empty(), "Eyre is owed nothing for a slog stream");

        let mut c = HttpConnection::new(2);
        c.on_read(b"GET /~_~/slog?x=1 HTTP/1.1\r\ncookie: a=b\r\n\r\n", now, true);
        assert!(c.on_slog_auth(1, SlogAuth::No));
        assert!(String::from_utf8(c.take_output()).unwrap().starts_with("HTTP/1.1 403 missing"));
        c.on_read(b"GET /~_~/slog HTTP/1.1\r\ncookie: a=b\r\n\r\n", now, true);
        assert!(c.on_slog_auth(2, SlogAuth::Failed));
        assert!(String::from_utf8(c.take_output()).unwrap().starts_with("HTTP/1.1 500 hosed"));
        assert!(!c.streams_slog());
    }

    #[test]
    fn a_request_eyre_does_not_answer_in_time_gets_504() {
        let now = Instant::now();
        let mut c = HttpConnection::new(1);
        c.on_read(b"GET / HTTP/1.1\r\n\r\n", now, true);
        assert!(c.timeouts(now + Duration::from_secs(10)).is_empty());
        assert_eq!(c.timeouts(now + RESPONSE_TIMEOUT), vec![1]);
        assert!(String::from_utf8(c.take_output()).unwrap().starts_with("HTTP/1.1 504 hosed"));
        assert!(!c.on_response(1, ResponseCard::Cancel), "nothing is owed any more");
    }

    #[test]
    fn unknown_methods_and_closing_requests() {
        let now = Instant::now();
        let mut c = HttpConnection::new(1);
        assert!(c.on_read(b"BREW / HTTP/1.1\r\n\r\n", now, true).is_empty());
        assert!(String::from_utf8(c.take_output()).unwrap().starts_with("HTTP/1.1 400 missing"));
        let actions =
            c.on_read(b"GET / HTTP/1.1\r\nconnection: close\r\n\r\nGET /x HTTP/1.1\r\n\r\n", now, false);
        assert_eq!(actions.len(), 1, "nothing is read after a request that closes");
        assert!(!c.wants_read());
        c.on_response(2, ResponseCard::Start { status: 404, headers: vec![], data: None, complete: true });
        assert!(String::from_utf8(c.take_output()).unwrap().contains("connection: close"));
        assert!(c.is_finished());
    }

    #[test]
    fn effects_and_ova_have_eyres_shapes() {
        let mut heap = Heap::new();
        let id = RequestId { server: "0v1.2".into(), con: 3, req: 1000 };
        let r = request("GET /x HTTP/1.1\r\nHost: localhost\r\nCookie: a\r\n\r\n");
        let ovum = request_ovum(&mut heap, &id, false, Ipv4Addr::new(127, 0, 0, 1), &r);
        let printed = heap.print_limited(ovum, 400);
        let expected = format!(
            "[[{} {} {} {} {} 0] {} 1 [{} 2130706433] {} {} [[{} {}] [{} {}] 0] 0]",
            engine_term("e"),
            engine_term("http-server"),
            engine_term("0v1.2"),
            engine_term("3"),
            engine_term("1.000"),
            engine_term("request"),
            engine_term("ipv4"),
            engine_term("GET"),
            engine_term("/x"),
            engine_term("host"),
            engine_term("localhost"),
            engine_term("cookie"),
            engine_term("a"),
        );
        assert_eq!(printed, expected);
        let text = format!(
            "[[{hs} {srv} {con} {req} 0] [{resp} [{start} [200 [[{ct} {tp}] 0]] [0 [2 {hi}]] 0]]]",
            hs = engine_term("http-server"),
            srv = engine_term("0v1.2"),
            con = engine_term("3"),
            req = engine_term("1.000"),
            resp = engine_term("response"),
            start = engine_term("start"),
            ct = engine_term("content-type"),
            tp = engine_term("text/plain"),
            hi = engine_term("hi"),
        );
        let effect = heap.parse(&text).unwrap();
        let (wire, card) = heap.cell_parts(effect).unwrap();
        let claimed = claims(&heap, wire, card).unwrap().unwrap();
        assert_eq!(
            claimed,
            HttpEffect::Response(
                id.clone(),
                ResponseCard::Start {
                    status: 200,
                    headers: vec![(b"content-type".to_vec(), b"text/plain".to_vec())],
                    data: Some(b"hi".to_vec()),
                    complete: true
                }
            )
        );
        let config = heap.parse(&format!("[{} [0 1 0 0]]", engine_term("set-config"))).unwrap();
        let wire = heap.parse(&format!("[{} {} 0]", engine_term("http-server"), engine_term("0v1"))).unwrap();
        assert_eq!(
            claims(&heap, wire, config).unwrap().unwrap(),
            HttpEffect::SetConfig(HttpConfig { secure: false, proxy: false })
        );
        let other = heap.parse(&format!("[{} 0]", engine_term("newt"))).unwrap();
        assert!(claims(&heap, other, config).is_none());
    }

    /// A cord as a decimal atom, for the text notation.
    fn engine_term(text: &str) -> String {
        let mut heap = Heap::new();
        let atom = heap.atom_from_bytes(text.as_bytes());
        heap.atom(atom).unwrap().to_ubig().to_string()
    }

    #[test]
    fn the_port_search_goes_as_veres() {
        assert_eq!(next_port(80), Some(8080));
        assert_eq!(next_port(8080), Some(8081));
        assert_eq!(next_port(65535), None);
        assert_eq!(ports_file(8080, Some(12321)), "8080 insecure public\n12321 insecure loopback\n");
    }
}
