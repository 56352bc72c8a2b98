//! ames's driver alone: datagrams checked (header, sizes, checksum) and turned into jammed `%hear` ova, or
//! relayed (their origin written in, to be forwarded), per second; the baseline is the check alone in the
//! same run. Run: `cargo bench -p engine-benches --bench
//! ames`.

use components::Heap;
use divan::Bencher;
use divan::counter::ItemsCount;
use engine_io::ames;
use std::net::{Ipv4Addr, SocketAddrV4};

fn main() {
    divan::main();
}

const DATAGRAMS: usize = 1024;

/// Packets of the sizes ames sends (a few hundred bytes up to a full fragment).
fn datagrams() -> Vec<Vec<u8>> {
    (0..DATAGRAMS).map(|i| ames::packet(1, 0, &vec![(i % 251) as u8; 64 + (i * 37) % 1200])).collect()
}

#[divan::bench]
fn check_only(bencher: Bencher) {
    let packets = datagrams();
    bencher
        .counter(ItemsCount::new(DATAGRAMS))
        .bench_local(|| packets.iter().filter(|p| ames::parse(p).is_ok()).count());
}

#[divan::bench]
fn check_and_make_hear(bencher: Bencher) {
    let packets = datagrams();
    let from = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 31338);
    bencher.counter(ItemsCount::new(DATAGRAMS)).bench_local(|| {
        let mut made = 0usize;
        for packet in &packets {
            if ames::parse(packet).is_ok() {
                let mut heap = Heap::new();
                let ovum = ames::hear(&mut heap, from, packet);
                made += heap.jam(ovum).len();
            }
        }
        made
    });
}

/// The forwarding path: a planet's packet for another ship checked and its origin written in for the
/// next hop (what the runtime does for each packet it forwards, the lane already known).
#[divan::bench]
fn check_and_relay(bencher: Bencher) {
    let packets: Vec<Vec<u8>> = (0..DATAGRAMS)
        .map(|i| ames::packet(0x1234_5678, 0xdead_beef, &vec![(i % 251) as u8; 64 + (i * 37) % 1200]))
        .collect();
    let from = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 7), 40_000);
    bencher.counter(ItemsCount::new(DATAGRAMS)).bench_local(|| {
        let mut relayed = 0usize;
        for packet in &packets {
            if let Ok(header) = ames::parse(packet) {
                relayed += ames::relayed(packet, &header, from).len();
            }
        }
        relayed
    });
}
