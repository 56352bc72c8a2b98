//! The data layer against ../shared/vectors: jam.json, cue.json, mug.json and pills.json, and the real files
//! under ../shared (pills and jam programs) cued, counted, mugged and re-jammed byte for byte.

use components::{CueClass, Heap, mug};
use engine_tests::{cases, field, hex_bytes, hex_u32, noun, shared_path, to_hex, vectors};

#[test]
fn jam_json_every_noun_jams_to_its_bytes_and_back() {
    let file = vectors("jam.json");
    let all = cases(&file, "cases");
    assert!(all.len() >= 41, "jam.json lists 41 cases, found {}", all.len());
    for case in all {
        let mut heap = Heap::new();
        let n = noun(&mut heap, field(case, "noun"));
        let expected = field(case, "jam");
        assert_eq!(to_hex(&heap.jam(n)), expected, "jam of {}", field(case, "name"));
        let back = heap.cue(&hex_bytes(expected)).unwrap_or_else(|e| panic!("{}: {e}", field(case, "name")));
        assert!(heap.eq(back, n), "cue of {}", field(case, "name"));
    }
}

#[test]
fn cue_json_lenient_inputs_give_vere_s_noun() {
    let file = vectors("cue.json");
    for case in cases(&file, "lenient") {
        let mut heap = Heap::new();
        let got = heap
            .cue(&hex_bytes(field(case, "bytes")))
            .unwrap_or_else(|e| panic!("{}: {e}", field(case, "name")));
        let expected = noun(&mut heap, field(case, "noun"));
        assert!(heap.eq(got, expected), "{}: got {}", field(case, "name"), heap.print(got));
    }
}

#[test]
fn cue_json_rejected_inputs_fail_in_vere_s_class() {
    let file = vectors("cue.json");
    let rejected = cases(&file, "errors");
    assert!(!rejected.is_empty());
    for case in rejected {
        let mut heap = Heap::new();
        let err = heap.cue(&hex_bytes(field(case, "bytes"))).expect_err(field(case, "name"));
        let class = match err.class() {
            CueClass::Exit => "exit",
            CueClass::Meme => "meme",
        };
        assert_eq!(class, field(case, "error"), "{}: {err}", field(case, "name"));
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn cue_json_streams_count_mug_and_rejam_identically() {
    let file = vectors("cue.json");
    let streams = cases(&file, "streams");
    assert!(streams.len() >= 18, "every pill and jam program is listed");
    for case in streams {
        let name = field(case, "file");
        let path = if name.ends_with(".pill") { engine_tests::pill_path(name) } else { shared_path(name) };
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, case["bytes"].as_u64().unwrap(), "{name} size");
        let mut heap = Heap::new();
        let (n, stats) = heap.cue_with_stats(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(stats.cells, case["cell_tags"].as_u64().unwrap(), "{name} cell tags");
        assert_eq!(stats.atoms, case["atom_tags"].as_u64().unwrap(), "{name} atom tags");
        assert_eq!(stats.backrefs, case["backref_tags"].as_u64().unwrap(), "{name} backref tags");
        assert_eq!(heap.mug(n), hex_u32(field(case, "mug")), "{name} mug");
        if case["rejam_identical"].as_bool() == Some(true) {
            assert!(heap.jam(n) == bytes, "{name}: jam(cue(file)) differs from the file");
        }
    }
}

#[test]
fn mug_json_atoms_bytes_cells_and_retries() {
    let file = vectors("mug.json");
    let mut heap = Heap::new();
    for case in cases(&file, "atoms") {
        let n = noun(&mut heap, field(case, "atom"));
        assert_eq!(heap.mug(n), hex_u32(field(case, "mug")), "mug of atom {}", field(case, "atom"));
    }
    for case in cases(&file, "bytes") {
        let seed = hex_u32(field(case, "seed"));
        let bytes = hex_bytes(field(case, "bytes"));
        let h = mug::murmur3_bytes(&bytes, seed);
        let folded = (h >> 31) ^ (h & 0x7fff_ffff);
        assert_eq!(folded, hex_u32(field(case, "mug")), "mug of bytes {}", field(case, "bytes"));
    }
    for case in cases(&file, "cells").iter().chain(cases(&file, "retry")) {
        let mut heap = Heap::new();
        let n = match case.get("noun_file") {
            Some(path) => {
                let path = path.as_str().unwrap();
                let name = path.trim_start_matches("pills/");
                heap.cue(&engine_tests::pill_bytes(name)).unwrap()
            }
            None => noun(&mut heap, field(case, "noun")),
        };
        assert_eq!(heap.mug(n), hex_u32(field(case, "mug")), "mug of {case}");
    }
}

#[test]
fn mug_json_muk_hashes_exactly_len_bytes() {
    let file = vectors("mug.json");
    for case in cases(&file, "muk") {
        let mut heap = Heap::new();
        let seed = field(case, "seed").parse::<u64>().unwrap() as u32;
        let len: usize = field(case, "len").parse().unwrap();
        let key = noun(&mut heap, field(case, "key"));
        let limbs = heap.atom(key).unwrap().limbs().to_vec();
        assert_eq!(mug::muk(seed, len, &limbs), Some(hex_u32(field(case, "hash"))), "muk {case}");
    }
}

#[test]
fn pills_json_mugs_and_sizes_of_the_real_pills() {
    let file = vectors("pills.json");
    for name in ["ivory.pill", "brass.pill", "sword-baby.pill", "sword-toddler.pill", "sword-oom.pill"] {
        let bytes = engine_tests::pill_bytes(name);
        let expected = &file[name];
        if let Some(size) = expected["bytes"].as_u64() {
            assert_eq!(bytes.len() as u64, size, "{name} size");
        }
        let mut heap = Heap::new();
        let n = heap.cue(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(heap.mug(n), hex_u32(expected["mug"].as_str().unwrap()), "{name} mug");
    }
}
