//! `engine ames PIER`: the running ship's ames flows, one line per peer (conn's `[rid %peel /ames]`,
//! engine's own path): where its packets last came from or went to, packets and bytes each way, and how
//! long ago it was last heard from.

use components::{Heap, aura, time};
use engine_io::ames::Lane;
use engine_io::conn as wire;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub fn run(pier: &Path) -> Result<(), String> {
    let timeout = Duration::from_secs(30);
    let mut stream = super::dojo::connect(pier, timeout)?;
    let mut heap = Heap::new();
    let request = heap
        .parse(&format!("[1 {} {} 0]", u32::from_le_bytes(*b"peel"), u32::from_le_bytes(*b"ames")))
        .expect("a request");
    stream.write_all(&wire::frame(&heap.jam(request))).map_err(|e| format!("cannot ask the ship: {e}"))?;
    let reply = super::dojo::read_reply(&mut stream, &mut heap, timeout)?;
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
