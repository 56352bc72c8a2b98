//! `engine ames PIER`: the running ship's ames flows, one line per peer (conn's `[rid %peel /ames]`,
//! engine's own path): where its packets last came from or went to, packets and bytes each way, and how
//! long ago it was last heard from.

use components::{Heap, aura, time};
use engine_io::ames::Lane;
use engine_io::conn::{self as wire, Decoder};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

pub fn run(pier: &Path) -> Result<(), String> {
    let path = pier.join(wire::SOCKET_PATH);
    let mut stream = UnixStream::connect(&path).map_err(|e| {
        format!(
            "cannot reach a running ship at {} ({e}): is `engine run {}` running?",
            path.display(),
            pier.display()
        )
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let mut heap = Heap::new();
    let request = heap
        .parse(&format!("[1 {} {} 0]", u32::from_le_bytes(*b"peel"), u32::from_le_bytes(*b"ames")))
        .expect("a request");
    stream.write_all(&wire::frame(&heap.jam(request))).map_err(|e| format!("cannot ask the ship: {e}"))?;
    let mut decoder = Decoder::default();
    let mut buffer = vec![0u8; 1 << 16];
    let payload = loop {
        match decoder.next_frame() {
            Ok(Some(payload)) => break payload,
            Ok(None) => {}
            Err(e) => return Err(format!("the ship's reply is not a frame: {e}")),
        }
        let read = stream.read(&mut buffer).map_err(|e| format!("no answer from the ship: {e}"))?;
        if read == 0 {
            return Err("the ship closed the connection before answering".into());
        }
        decoder.feed(&buffer[..read]);
    };
    let reply = heap.cue(&payload).map_err(|e| format!("the ship's reply does not cue: {e}"))?;
    let answer = heap.tail(reply).ok_or("the ship's reply is not [rid answer]")?;
    if answer.as_direct() == Some(0) {
        return Err("the ship does not know /ames (is it engine, with ames on?)".into());
    }
    let flows = wire::read_flows(&heap, answer).ok_or("the ship's answer is not a list of flows")?;
    let now = time::now();
    println!(
        "{:<16} {:<22} {:>10} {:>10} {:>12} {:>12} {:>12}",
        "peer", "lane", "packets in", "out", "bytes in", "out", "last heard"
    );
    for flow in &flows {
        let lane = flow
            .lane
            .and_then(Lane::address_from_atom)
            .map_or_else(|| "-".to_string(), |address| address.to_string());
        let heard = flow.last_heard.map_or_else(
            || "never".to_string(),
            |then| format!("{:.1} s ago", time::until(then, now).as_secs_f64()),
        );
        println!(
            "{:<16} {:<22} {:>10} {:>10} {:>12} {:>12} {:>12}",
            aura::ship_name(flow.peer),
            lane,
            flow.packets_in,
            flow.packets_out,
            flow.bytes_in,
            flow.bytes_out,
            heard
        );
    }
    println!("{} peers", flows.len());
    Ok(())
}
