//! Heavy jets' jobs (DESIGN.md, jet_dispatch): hashing a message of a megabyte or more (SHA-2, Keccak) is
//! handed out of the machine as a job, which the caller runs (on the app's thread pool) and answers; the
//! product is the same as when the runner runs it itself (which jet_differential checks against the arm).

use engine_tests::boot_ivory;
use systems::arvo::Advance;
use systems::jets::OFFLOAD_BYTES_MIN;

#[test]
fn a_long_hash_is_a_job_whose_answer_is_the_jet_s_product() {
    let (mut heap, mut runner, ivory) = boot_ivory();
    let kick = heap.parse("[9 2 0 1]").unwrap();
    for (gate, sample_bytes) in [
        ("shax", OFFLOAD_BYTES_MIN),
        ("shax", OFFLOAD_BYTES_MIN - 1),
        ("shal", OFFLOAD_BYTES_MIN),
        ("keccak-256:keccak:crypto", OFFLOAD_BYTES_MIN),
        ("keccak-512:keccak:crypto", OFFLOAD_BYTES_MIN - 1),
    ] {
        let message: Vec<u8> = (0..sample_bytes).map(|i| (i % 251) as u8 + 1).collect();
        let atom = heap.atom_from_bytes(&message);
        let sample = if gate != "shax" {
            let len = heap.atom_u64(message.len() as u64);
            heap.cell(len, atom)
        } else {
            atom
        };
        let gate_noun = runner.wish(&mut heap, ivory.kernel, gate).unwrap();
        let core = heap.edit_u64(gate_noun, 6, sample).unwrap();
        // Handed out: a job when the message is long enough.
        let mut call = runner.begin(&mut heap, core, kick);
        let mut jobs = 0;
        let pooled = loop {
            match runner.advance_pooled(&mut heap, &mut call, 1_000_000) {
                Advance::Paused => {}
                Advance::Job(job) => {
                    jobs += 1;
                    let answer = std::thread::scope(|s| s.spawn(|| job.answer(&heap)).join().unwrap());
                    call.give_job(&mut heap, answer);
                }
                Advance::Ended(result) => break result.unwrap(),
            }
        };
        assert_eq!(jobs, usize::from(sample_bytes >= OFFLOAD_BYTES_MIN), "{gate} of {sample_bytes} bytes");
        // Run by the runner itself.
        let mut call = runner.begin(&mut heap, core, kick);
        let inline = loop {
            if let Some(result) = runner.advance(&mut heap, &mut call, 1_000_000) {
                break result.unwrap();
            }
        };
        assert!(heap.eq(pooled, inline), "{gate}");
        let bytes = heap.atom(pooled).unwrap().to_bytes();
        let digest_bytes = if gate == "shal" || gate.starts_with("keccak-512") { 64 } else { 32 };
        assert_eq!(bytes.len(), digest_bytes, "{gate}: a digest");
    }
}

/// Runs `gate` of the ivory kernel on `sample`, handing any job to another thread: the product, and
/// how many jobs it took.
fn run_pooled(
    heap: &mut components::Heap,
    runner: &mut systems::arvo::Runner,
    kernel: components::Noun,
    gate: &str,
    sample: components::Noun,
) -> (components::Noun, usize) {
    let gate_noun = runner.wish(heap, kernel, gate).unwrap();
    let core = heap.edit_u64(gate_noun, 6, sample).unwrap();
    let (product, jobs) = kick_pooled(heap, runner, core);
    (product.unwrap(), jobs)
}

/// Big products (`mul` of long factors, `pow` with a long result) are jobs past
/// [`systems::jets::OFFLOAD_PRODUCT_BYTES_MIN`]; the atom is the one the heap's own arithmetic gives
/// (which the jets' differential tests check against the arms), on either side of the threshold and on
/// random operands.
#[test]
fn big_products_are_jobs_whose_answers_are_the_inline_products() {
    use systems::jets::OFFLOAD_PRODUCT_BYTES_MIN;
    let (mut heap, mut runner, ivory) = boot_ivory();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut random_bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8 | 1
            })
            .collect()
    };
    let half = (OFFLOAD_PRODUCT_BYTES_MIN / 2) as usize;
    for (la, lb, pooled) in [
        (half, half, true),
        (half, half - 1, false),
        (4096, 2 * half, true),
        (4095, 4 * half, false),
        (half + 77, half * 3, true),
    ] {
        let a = heap.atom_from_bytes(&random_bytes(la));
        let b = heap.atom_from_bytes(&random_bytes(lb));
        let sample = heap.cell(a, b);
        let (product, jobs) = run_pooled(&mut heap, &mut runner, ivory.kernel, "mul", sample);
        assert_eq!(jobs, usize::from(pooled), "mul of {la} and {lb} bytes");
        let inline = heap.mul(a, b).unwrap();
        assert!(heap.eq(product, inline), "mul of {la} and {lb} bytes");
    }
    // pow: a job when (bits of the base - 1) x the exponent passes the threshold (a lower bound).
    for (base, exponent, pooled) in [
        (3u64, 3_000_000u64, true),
        (3, 1_000_000, false),
        (0xffff_ffff_ffff, 100_000, true),
        (2, 1 << 40, false),
    ] {
        let (a, b) = (heap.atom_u64(base), heap.atom_u64(exponent));
        let sample = heap.cell(a, b);
        if !pooled && exponent > 1 << 32 {
            // Too big to hold: the jet refuses it inline, as the heap does.
            let gate = runner.wish(&mut heap, ivory.kernel, "pow").unwrap();
            let core = heap.edit_u64(gate, 6, sample).unwrap();
            let kick = heap.parse("[9 2 0 1]").unwrap();
            assert!(runner.nock(&mut heap, core, kick).is_err());
            continue;
        }
        let (power, jobs) = run_pooled(&mut heap, &mut runner, ivory.kernel, "pow", sample);
        assert_eq!(jobs, usize::from(pooled), "pow {base} {exponent}");
        let inline = heap.pow(a, b).unwrap();
        assert!(heap.eq(power, inline), "pow {base} {exponent}");
    }
}

/// `og/raw` asked for a megabyte or more is a job; its answer is the same atom the runner gets running
/// the job itself, of the length asked.
#[test]
fn long_random_bits_are_a_job() {
    use systems::jets::OFFLOAD_RAW_BITS_MIN;
    let (mut heap, mut runner, ivory) = boot_ivory();
    for (bits, pooled) in [(OFFLOAD_RAW_BITS_MIN, true), (OFFLOAD_RAW_BITS_MIN - 1, false)] {
        let gate = "~(raw og 42)";
        let sample = heap.atom_u64(bits);
        let (product, jobs) = run_pooled(&mut heap, &mut runner, ivory.kernel, gate, sample);
        assert_eq!(jobs, usize::from(pooled), "{bits} bits");
        let gate_noun = runner.wish(&mut heap, ivory.kernel, gate).unwrap();
        let core = heap.edit_u64(gate_noun, 6, sample).unwrap();
        let kick = heap.parse("[9 2 0 1]").unwrap();
        let inline = runner.nock(&mut heap, core, kick).unwrap();
        assert!(heap.eq(product, inline), "{bits} bits");
        assert!(
            heap.atom(product).unwrap().bit_len() <= bits
                && heap.atom(product).unwrap().bit_len() > bits - 64
        );
    }
}

/// Kicks `core` (arm 2) through the runner, handing any job to another thread: the product or the crash's
/// class, and how many jobs it took.
fn kick_pooled(
    heap: &mut components::Heap,
    runner: &mut systems::arvo::Runner,
    core: components::Noun,
) -> (Result<components::Noun, systems::interp::Mote>, usize) {
    let kick = heap.parse("[9 2 0 1]").unwrap();
    let mut call = runner.begin(heap, core, kick);
    let mut jobs = 0;
    loop {
        match runner.advance_pooled(heap, &mut call, 1_000_000) {
            Advance::Paused => {}
            Advance::Job(job) => {
                jobs += 1;
                let answer = std::thread::scope(|s| s.spawn(|| job.answer(heap)).join().unwrap());
                call.give_job(heap, answer);
            }
            Advance::Ended(result) => return (result.map_err(|crash| crash.mote), jobs),
        }
    }
}

/// A noun of more boxes than [`systems::jets::OFFLOAD_JAM_BOXES_MIN`] is jammed as a job, read in place
/// by another thread while the machine waits: its atom is the inline jam's (backreferences to shared
/// subtrees and repeated atoms included); a smaller noun is jammed inline.
#[test]
fn a_big_jam_is_a_job_that_reads_the_noun_in_place() {
    use systems::jets::OFFLOAD_JAM_BOXES_MIN;
    let (mut heap, mut runner, ivory) = boot_ivory();
    let mut big = components::Noun::ZERO;
    let mut shared = components::Noun::ZERO;
    for i in 0..OFFLOAD_JAM_BOXES_MIN {
        let wide = heap.atom_from_limbs(&[i % 1000, 1 << 63]);
        if i % 7 == 0 {
            // A small subtree that the next items share.
            let n = components::Noun::direct(i).unwrap();
            shared = heap.cell(n, wide);
        }
        let item = heap.cell(wide, shared);
        big = heap.cell(item, big);
    }
    let mut small = components::Noun::ZERO;
    for i in 0..1000u64 {
        let item = heap.cell(components::Noun::direct(i).unwrap(), shared);
        small = heap.cell(item, small);
    }
    for (noun, job) in [(big, 1), (small, 0)] {
        let (pooled, jobs) = run_pooled(&mut heap, &mut runner, ivory.kernel, "jam", noun);
        assert_eq!(jobs, job);
        let inline = heap.jam_atom(noun);
        assert!(heap.eq(pooled, inline), "the job's jam is the inline jam");
        let cued = heap.cue(&heap.atom(pooled).unwrap().to_bytes()).unwrap();
        assert!(heap.eq(cued, noun));
    }
}

/// A long stream is cued as a job, into a heap of the job's own, and copied in: the noun is the one the
/// inline cue gives, its sharing kept (so the jam is the same), and a bad long stream crashes `exit` as
/// the inline jet does, so `+mule` catches it.
#[test]
fn a_long_cue_is_a_job_whose_noun_is_copied_in() {
    use systems::jets::OFFLOAD_BYTES_MIN;
    let (mut heap, mut runner, ivory) = boot_ivory();
    // A list of distinct cells, each pair of neighbours sharing a subtree: about 1.5 MB of jam.
    let mut list = components::Noun::ZERO;
    let mut last = components::Noun::ZERO;
    for i in 0..120_000u64 {
        let big = heap.atom_from_limbs(&[i, 1 << 63]);
        let item = heap.cell(big, last);
        last = heap.cell(components::Noun::direct(i).unwrap(), components::Noun::ONE);
        list = heap.cell(item, list);
    }
    let stream = heap.jam(list);
    assert!(stream.len() >= OFFLOAD_BYTES_MIN, "{} bytes", stream.len());
    let gate = runner.wish(&mut heap, ivory.kernel, "cue").unwrap();
    let sample = heap.atom_from_bytes(&stream);
    let core = heap.edit_u64(gate, 6, sample).unwrap();
    let (pooled, jobs) = kick_pooled(&mut heap, &mut runner, core);
    let pooled = pooled.unwrap();
    assert_eq!(jobs, 1);
    assert!(heap.eq(pooled, list));
    assert_eq!(heap.jam(pooled), stream);
    // A short one stays inline.
    let short = heap.atom_from_bytes(&stream[..1000]);
    let short_core = heap.edit_u64(gate, 6, short).unwrap();
    assert_eq!(kick_pooled(&mut heap, &mut runner, short_core).1, 0);
    // A long bad stream: cut short, its last noun runs past the end.
    let bad = stream[..stream.len() - 64].to_vec();
    let bad_atom = heap.atom_from_bytes(&bad);
    let bad_core = heap.edit_u64(gate, 6, bad_atom).unwrap();
    let inline_crash = components::Heap::new().cue(&bad).unwrap_err().class();
    assert_eq!(inline_crash, components::CueClass::Exit, "the stream is bad in the way meant");
    let (crashed, jobs) = kick_pooled(&mut heap, &mut runner, bad_core);
    assert_eq!((crashed.map(|_| ()), jobs), (Err(systems::interp::Mote::Exit), 1));
    // Caught by +mule, as the inline jet's `exit` is.
    let mule = runner.wish(&mut heap, ivory.kernel, "|=(a=@ (mule |.((cue a))))").unwrap();
    let mule_core = heap.edit_u64(mule, 6, bad_atom).unwrap();
    let (tone, _) = kick_pooled(&mut heap, &mut runner, mule_core);
    let tone = tone.unwrap();
    assert_eq!(heap.head(tone).and_then(|h| h.as_direct()), Some(1), "a %| each: the crash caught");
}

/// AES-SIV over a text of a megabyte or more is a job in both directions: the products (`[iv len
/// ciphertext]`, `[~ text]`) are the inline ones, and a wrong tag is `evil` either way.
#[test]
fn long_aes_siv_texts_are_jobs() {
    use systems::interp::Mote;
    use systems::jets::OFFLOAD_BYTES_MIN;
    let (mut heap, mut runner, ivory) = boot_ivory();
    let kick = heap.parse("[9 2 0 1]").unwrap();
    for (door, key_limbs) in [("siva:aes:crypto", 4usize), ("sivc:aes:crypto", 8)] {
        let key: Vec<u64> = (0..key_limbs as u64).map(|i| 0x0123_4567_89ab_cdef ^ (i * 0x1111)).collect();
        let key = heap.atom_from_limbs(&key);
        let header = heap.atom_from_bytes(b"associated data");
        let ads = heap.list(&[header, components::Noun::direct(7).unwrap()]);
        let door_sample = heap.cell(key, ads);
        let en = runner.wish(&mut heap, ivory.kernel, &format!("en:{door}")).unwrap();
        let de = runner.wish(&mut heap, ivory.kernel, &format!("de:{door}")).unwrap();
        let (en, de) =
            (heap.edit_u64(en, 30, door_sample).unwrap(), heap.edit_u64(de, 30, door_sample).unwrap());
        for (len, pooled) in [(OFFLOAD_BYTES_MIN, true), (OFFLOAD_BYTES_MIN - 1, false)] {
            let text: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8 + 1).collect();
            let text = heap.atom_from_bytes(&text);
            let en_core = heap.edit_u64(en, 6, text).unwrap();
            let (sealed, jobs) = kick_pooled(&mut heap, &mut runner, en_core);
            let sealed = sealed.unwrap();
            assert_eq!(jobs, usize::from(pooled), "{door} en of {len} bytes");
            let inline = runner.nock(&mut heap, en_core, kick).unwrap();
            assert!(heap.eq(sealed, inline), "{door} en of {len} bytes");
            let de_core = heap.edit_u64(de, 6, sealed).unwrap();
            let (opened, jobs) = kick_pooled(&mut heap, &mut runner, de_core);
            let opened = opened.unwrap();
            assert_eq!(jobs, usize::from(pooled), "{door} de of {len} bytes");
            let expected = heap.cell(components::Noun::ZERO, text);
            assert!(heap.eq(opened, expected), "{door} de of {len} bytes");
            // A wrong tag: the iv's low bit flipped.
            let iv = heap.head(sealed).unwrap();
            let one = components::Noun::ONE;
            let wrong_iv = heap.mix(iv, one).unwrap();
            let rest = heap.tail(sealed).unwrap();
            let forged = heap.cell(wrong_iv, rest);
            let forged_core = heap.edit_u64(de, 6, forged).unwrap();
            let (crashed, _) = kick_pooled(&mut heap, &mut runner, forged_core);
            assert_eq!(crashed.map(|_| ()), Err(Mote::Evil), "{door} de with a wrong tag, {len} bytes");
        }
    }
}
