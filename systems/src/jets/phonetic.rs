//! `+po` of hoon.hoon: the 256 prefix and 256 suffix syllables of `@p`, and the lookups between a
//! syllable (a three-letter cord) and its byte. The door keeps the syllables as two 768-byte cords in its
//! context; the jets use the same tables, built in.

use super::axis::SAMPLE;
use super::{JetOutcome, atom_at, exit, finish};
use components::{Heap, Noun};

/// `sis`: the prefix syllables, three letters each, in byte order.
const PREFIXES: &[u8; 768] = concat!(
    "dozmarbinwansamlitsighidfidlissogdirwacsabwissibrigsoldopmodfoglidhopdardorlorhodfolrintogsilmir",
    "holpaslacrovlivdalsatlibtabhanticpidtorbolfosdotlosdilforpilramtirwintadbicdifrocwidbisdasmidlop",
    "rilnardapmolsanlocnovsitnidtipsicropwitnatpanminritpodmottamtolsavposnapnopsomfinfonbanmorworsip",
    "ronnorbotwicsocwatdolmagpicdavbidbaltimtasmalligsivtagpadsaldivdactansidfabtarmonranniswolmispal",
    "lasdismaprabtobrollatlonnodnavfignomnibpagsopralbilhaddocridmocpacravripfaltodtiltinhapmicfanpat",
    "taclabmogsimsonpinlomrictapfirhasbosbatpochactidhavsaplindibhosdabbitbarracparloddosbortochilmac",
    "tomdigfilfasmithobharmighinradmashalraglagfadtopmophabnilnosmilfopfamdatnoldinhatnacrisfotribhoc",
    "nimlarfitwalrapsarnalmoslandondanladdovrivbacpollaptalpitnambonrostonfodponsovnocsorlavmatmipfip",
)
.as_bytes()
.first_chunk()
.expect("768 letters");

/// `dex`: the suffix syllables.
const SUFFIXES: &[u8; 768] = concat!(
    "zodnecbudwessevpersutletfulpensytdurwepserwylsunrypsyxdyrnuphebpeglupdepdysputlughecryttyvsydnex",
    "lunmeplutseppesdelsulpedtemledtulmetwenbynhexfebpyldulhetmevruttylwydtepbesdexsefwycburderneppur",
    "rysrebdennutsubpetrulsynregtydsupsemwynrecmegnetsecmulnymtevwebsummutnyxrextebfushepbenmuswyxsym",
    "selrucdecwexsyrwetdylmynmesdetbetbeltuxtugmyrpelsyptermebsetdutdegtexsurfeltudnuxruxrenwytnubmed",
    "lytdusnebrumtynseglyxpunresredfunrevrefmectedrusbexlebduxrynnumpyxrygryxfeptyrtustyclegnemfermer",
    "tenlusnussyltecmexpubrymtucfyllepdebbermughuttunbylsudpemdevlurdefbusbeprunmelpexdytbyttyplevmyl",
    "wedducfurfexnulluclennerlexrupnedlecrydlydfenwelnydhusrelrudneshesfetdesretdunlernyrsebhulryllud",
    "remlysfynwerrycsugnysnyllyndyndemluxfedsedbecmunlyrtesmudnytbyrsenwegfyrmurtelreptegpecnelnevfes",
)
.as_bytes()
.first_chunk()
.expect("768 letters");

/// The byte whose syllable is the low three bytes of `text`, if any. Vere's jets read only those three
/// bytes, so a longer cord whose first three letters are a syllable is found; the arm compares the whole
/// atom and gives `~`. Vere's answer is the reference.
fn find(table: &[u8; 768], heap: &Heap, text: Noun) -> Option<u64> {
    let atom = heap.atom(text).expect("an atom");
    let low = atom.limbs().first().copied().unwrap_or(0).to_le_bytes();
    table.chunks_exact(3).position(|syllable| syllable == &low[..3]).map(|i| i as u64)
}

/// The byte of prefix syllable `syllable` (three letters), if it is one.
pub(super) fn prefix_byte(syllable: &[u8]) -> Option<u64> {
    PREFIXES.chunks_exact(3).position(|s| s == syllable).map(|i| i as u64)
}

/// The byte of suffix syllable `syllable` (three letters), if it is one.
pub(super) fn suffix_byte(syllable: &[u8]) -> Option<u64> {
    SUFFIXES.chunks_exact(3).position(|s| s == syllable).map(|i| i as u64)
}

fn parse(table: &[u8; 768], heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let text = atom_at(heap, core, SAMPLE)?;
        Ok(match find(table, heap, text) {
            Some(byte) => heap.cell(Noun::ZERO, Noun::direct(byte).expect("a byte")),
            None => Noun::ZERO,
        })
    })())
}

/// The syllable of byte `a` as a cord; `a` of 256 or more crashes (`?>  (lth a 256)`).
fn fetch(table: &[u8; 768], heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let byte = heap.as_u64(a).filter(|&a| a < 256).ok_or(exit(None))? as usize;
        Ok(heap.atom_from_bytes(&table[3 * byte..3 * byte + 3]))
    })())
}

/// `(ins:po a)`: the byte of prefix syllable `a`, a unit.
pub fn ins(heap: &mut Heap, core: Noun) -> JetOutcome {
    parse(PREFIXES, heap, core)
}

/// `(ind:po a)`: the byte of suffix syllable `a`, a unit.
pub fn ind(heap: &mut Heap, core: Noun) -> JetOutcome {
    parse(SUFFIXES, heap, core)
}

/// `(tos:po a)`: the prefix syllable of byte `a`.
pub fn tos(heap: &mut Heap, core: Noun) -> JetOutcome {
    fetch(PREFIXES, heap, core)
}

/// `(tod:po a)`: the suffix syllable of byte `a`.
pub fn tod(heap: &mut Heap, core: Noun) -> JetOutcome {
    fetch(SUFFIXES, heap, core)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_are_distinct_and_lowercase() {
        for table in [PREFIXES, SUFFIXES] {
            let mut seen: Vec<&[u8]> = table.chunks_exact(3).collect();
            assert!(seen.iter().all(|s| s.iter().all(u8::is_ascii_lowercase)));
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 256);
        }
        assert_eq!(&PREFIXES[..3], b"doz");
        assert_eq!(&SUFFIXES[765..], b"fes");
    }

    #[test]
    fn parse_reads_only_the_low_three_bytes_as_vere_does() {
        let mut heap = Heap::new();
        for (text, byte) in [("doz", Some(0)), ("dozzz", Some(0)), ("fipx", Some(255)), ("xdoz", None)] {
            let atom = heap.atom_from_bytes(text.as_bytes());
            assert_eq!(find(PREFIXES, &heap, atom), byte, "{text}");
        }
    }
}
