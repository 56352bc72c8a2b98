//! Heavy jets' jobs (DESIGN.md, jet_dispatch): hashing a message of a megabyte or more is handed out of
//! the machine as a job, which the caller runs (on the app's thread pool) and answers; the product is the
//! same as when the runner runs it itself (which jet_differential checks against the arm).

use engine_tests::boot_ivory;
use systems::arvo::Advance;
use systems::jets::OFFLOAD_BYTES_MIN;

#[test]
fn a_long_hash_is_a_job_whose_answer_is_the_jet_s_product() {
    let (mut heap, mut runner, ivory) = boot_ivory();
    let kick = heap.parse("[9 2 0 1]").unwrap();
    for (gate, sample_bytes) in
        [("shax", OFFLOAD_BYTES_MIN), ("shax", OFFLOAD_BYTES_MIN - 1), ("shal", OFFLOAD_BYTES_MIN)]
    {
        let message: Vec<u8> = (0..sample_bytes).map(|i| (i % 251) as u8 + 1).collect();
        let atom = heap.atom_from_bytes(&message);
        let sample = if gate == "shal" {
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
                    let answer = std::thread::spawn(move || job.answer()).join().unwrap();
                    call.give_job(&mut heap, &answer);
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
        assert_eq!(bytes.len(), if gate == "shal" { 64 } else { 32 }, "{gate}: a digest");
    }
}
