//! The compiler's `ut` arms that Vere 1.16 wraps in a memo cache (`crop fish fuse mint mull nest-dext
//! rest`): no reimplementation, but Vere's cache in front of the arm's own Nock. A call's key is the one
//! Vere builds: a tag for the arm (and whether the door's `vet` flag is off), the subject type `sut` and
//! the door's battery, and the arm's arguments. Other door fields are left out, as in Vere, so a hit can
//! answer for a core that differs in them; `nest-dext` stores an answer only when it did not rest on the
//! assumption sets (`seg` for no, `reg` for yes).

use crate::interp::MemoWhen;
use components::{Heap, Noun};

/// A wrapped arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoArm {
    Crop,
    Fish,
    Fuse,
    Mint,
    Mull,
    NestDext,
    Rest,
}

/// The wrapped arms by label path.
pub const MEMO_WRAPPED: [(&str, MemoArm); 7] = [
    ("k140/one/two/tri/qua/pen/ut/crop", MemoArm::Crop),
    ("k140/one/two/tri/qua/pen/ut/fish", MemoArm::Fish),
    ("k140/one/two/tri/qua/pen/ut/fuse", MemoArm::Fuse),
    ("k140/one/two/tri/qua/pen/ut/mint", MemoArm::Mint),
    ("k140/one/two/tri/qua/pen/ut/mull", MemoArm::Mull),
    ("k140/one/two/tri/qua/pen/ut/nest/nest-in/nest-dext", MemoArm::NestDext),
    ("k140/one/two/tri/qua/pen/ut/rest", MemoArm::Rest),
];

/// Where the `ut` door keeps `vet` (whether to check types strictly).
const VAN_VET: u64 = 59;

/// The tag of an arm's keys: Vere's arithmetic on the arm's four-letter name, with bit 8 set when `vet`
/// is anything but `&`.
fn tag(name: &[u8; 4], vet_off: bool) -> Noun {
    let value = 141 + u32::from_le_bytes(*name) as u64 + ((vet_off as u64) << 8);
    Noun::direct(value).expect("fits a direct atom")
}

/// The memo key of a call of `arm` on `core`, and which products to store; `None` if the core is not
/// shaped as the arm's (Vere fails then; engine runs the arm uncached, which crashes as the arm does).
pub fn memo_key(heap: &mut Heap, arm: MemoArm, core: Noun) -> Option<(Noun, MemoWhen)> {
    if arm == MemoArm::NestDext {
        return nest_dext_key(heap, core);
    }
    let van = heap.slot_u64(core, 7)?;
    let battery = heap.slot_u64(van, 2)?;
    let sut = heap.slot_u64(van, 6)?;
    let vet = heap.slot_u64(van, VAN_VET);
    let vet_off = vet.is_none_or(|v| v.as_direct() != Some(0));
    let key = match arm {
        MemoArm::Crop | MemoArm::Fuse | MemoArm::Rest | MemoArm::Fish => {
            let argument = heap.slot_u64(core, 6)?;
            if arm == MemoArm::Fish && argument.is_cell() {
                return None;
            }
            let name = match arm {
                MemoArm::Crop => b"crop",
                MemoArm::Fuse => b"fuse",
                MemoArm::Rest => b"rest",
                _ => b"fish",
            };
            heap.tuple(&[tag(name, vet_off), sut, argument, battery])
        }
        MemoArm::Mint => {
            let gol = heap.slot_u64(core, 12)?;
            let hoon = heap.slot_u64(core, 13)?;
            heap.tuple(&[tag(b"mint", false), vet?, sut, gol, hoon, battery])
        }
        MemoArm::Mull => {
            let gol = heap.slot_u64(core, 12)?;
            let dox = heap.slot_u64(core, 26)?;
            let hoon = heap.slot_u64(core, 27)?;
            heap.tuple(&[tag(b"mull", vet_off), sut, gol, dox, hoon, battery])
        }
        MemoArm::NestDext => unreachable!("handled above"),
    };
    Some((key, MemoWhen::Always))
}

/// `nest-dext`'s core sits in `nest-in` (its payload), whose sample is `[seg reg gil]` and whose context
/// is `nest` (sample `[sut ref]`'s `ref` at 13, context the `ut` door).
fn nest_dext_key(heap: &mut Heap, core: Noun) -> Option<(Noun, MemoWhen)> {
    let nest_in = heap.slot_u64(core, 3)?;
    let seg = heap.slot_u64(nest_in, 12)?;
    let reg = heap.slot_u64(nest_in, 26)?;
    heap.slot_u64(nest_in, 27)?;
    let nest = heap.slot_u64(nest_in, 7)?;
    let ref_ = heap.slot_u64(nest, 13)?;
    let van = heap.slot_u64(nest, 7)?;
    let battery = heap.slot_u64(van, 2)?;
    let sut = heap.slot_u64(van, 6)?;
    let vet_off = heap.slot_u64(van, VAN_VET).is_none_or(|v| v.as_direct() != Some(0));
    let key = heap.tuple(&[tag(b"dext", vet_off), sut, ref_, battery]);
    let when = MemoWhen::Loobean { yes: reg.as_direct() == Some(0), no: seg.as_direct() == Some(0) };
    Some((key, when))
}
