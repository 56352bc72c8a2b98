//! `@p`, a ship's name: the 256 prefix and 256 suffix syllables of hoon.hoon's `+po`, the Feistel
//! permutation of `+ob` that scrambles a planet's number before it is named (`fein`) and its inverse
//! (`fynd`), and the name itself as `(scot %p ...)` renders it and `(slaw %p ...)` reads it. The jets of
//! `+po` and `+ob` and the drivers that put ships' names in paths (ames's lane scry) use these.

use crate::mug::murmur3_limbs;

/// `sis`: the prefix syllables, three letters each, in byte order.
pub const PREFIXES: &[u8; 768] = concat!(
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

/// `dex`: the suffix syllables (a galaxy's name is its byte's).
pub const SUFFIXES: &[u8; 768] = concat!(
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

/// The prefix syllable of `byte`.
pub fn prefix(byte: u8) -> &'static str {
    syllable(PREFIXES, byte)
}

/// The suffix syllable of `byte`.
pub fn suffix(byte: u8) -> &'static str {
    syllable(SUFFIXES, byte)
}

fn syllable(table: &'static [u8; 768], byte: u8) -> &'static str {
    let at = 3 * usize::from(byte);
    std::str::from_utf8(&table[at..at + 3]).expect("ASCII letters")
}

/// The byte of prefix syllable `syllable` (three letters), if it is one.
pub fn prefix_byte(syllable: &[u8]) -> Option<u8> {
    find(PREFIXES, syllable)
}

/// The byte of suffix syllable `syllable` (three letters), if it is one.
pub fn suffix_byte(syllable: &[u8]) -> Option<u8> {
    find(SUFFIXES, syllable)
}

fn find(table: &[u8; 768], syllable: &[u8]) -> Option<u8> {
    table.chunks_exact(3).position(|s| s == syllable).map(|i| i as u8)
}

const A: u32 = 0xffff;
const B: u32 = 0x1_0000;
const K: u32 = 0xffff_0000;
/// `+raku`: the round keys.
const ROUND_KEYS: [u32; 4] = [0xb76d_5eed, 0xee28_1300, 0x85bc_ae01, 0x4b38_7af7];

/// The round function: murmur3 of the low two bytes of `value`. (Where the arm would hand a three-byte
/// key to a two-byte `muk` and crash, Vere's jet hashes the low two bytes; Vere's behaviour is the
/// reference.)
fn round(key: u32, value: u32) -> u32 {
    murmur3_limbs(&[(value & 0xffff) as u64], 2, key)
}

/// `+fe`: four rounds forward, over `[0, 0xfffe_ffff]`.
fn forward(m: u32) -> u32 {
    let (mut left, mut right) = (m % A, m / A);
    for (j, &key) in ROUND_KEYS.iter().enumerate() {
        let modulus = if j % 2 == 0 { A } else { B };
        let next = ((round(key, right) as u64 + left as u64) % modulus as u64) as u32;
        (left, right) = (right, next);
    }
    if right == A { right * A + left } else { left * A + right }
}

/// `+fen`: four rounds backward, undoing [`forward`].
fn backward(m: u32) -> u32 {
    let (mut left, mut right) = (m / A, m % A);
    if left == A {
        (left, right) = (right, left);
    }
    for (j, &key) in ROUND_KEYS.iter().rev().enumerate() {
        let modulus = if j % 2 == 0 { B } else { A };
        let f = round(key, left) % modulus;
        let next = (right + modulus - f) % modulus;
        (right, left) = (left, next);
    }
    right * A + left
}

/// Cycle-walks `rounds` on `[0x1_0000, 0xffff_ffff]` so that the result stays in range.
fn walk(m: u32, rounds: fn(u32) -> u32) -> u32 {
    let c = rounds(m - B);
    B + if c < K { c } else { rounds(c) }
}

/// The permutation applied to the low 32 bits of a 32- to 64-bit `@p` (below 2^16 and above 2^64 nothing
/// changes; a low word below 2^16 is left alone too).
fn scramble(value: u128, rounds: fn(u32) -> u32) -> u128 {
    let low = value as u32;
    if value < u128::from(B) || value > u128::from(u64::MAX) || low < B {
        return value;
    }
    let high = value & !0xffff_ffff;
    high | u128::from(walk(low, rounds))
}

/// `(fein:ob pyn)`: a ship's number as its name spells it.
pub fn fein(pyn: u128) -> u128 {
    scramble(pyn, forward)
}

/// `(fynd:ob cry)`: the inverse of [`fein`].
pub fn fynd(cry: u128) -> u128 {
    scramble(cry, backward)
}

/// `(scot %p who)`: `~zod`, `~marzod`, `~sampel-palnet`, `~doznec--dozzod-dozzod-dozzod-dozzod`. The
/// scrambled number is named two bytes at a time from the low end, each pair a prefix and a suffix
/// syllable; pairs are joined with `-`, and with `--` every fourth.
///
/// ```
/// use components::patp::render;
/// assert_eq!(render(0), "~zod");
/// assert_eq!(render(0x100), "~marzod");
/// assert_eq!(render(0x1234_5678), "~milbyt-wacmeg");
/// ```
pub fn render(who: u128) -> String {
    let named = fein(who);
    if named < 256 {
        return format!("~{}", suffix(named as u8));
    }
    let mut pairs = Vec::new();
    let mut rest = named;
    while rest != 0 {
        pairs.push(rest as u16);
        rest >>= 16;
    }
    let mut text = String::from("~");
    for (imp, &pair) in pairs.iter().enumerate().rev() {
        text.push_str(prefix((pair >> 8) as u8));
        text.push_str(suffix(pair as u8));
        if imp > 0 {
            text.push_str(if imp % 4 == 0 { "--" } else { "-" });
        }
    }
    text
}

/// `(slaw %p text)`: the ship a name names, with or without its `~`; `None` unless `text` is exactly the
/// name [`render`] gives for it (so `~dozmarzod`, `~marzod-` and `~zod-zod` are not names).
///
/// ```
/// use components::patp::parse;
/// assert_eq!(parse("~nec"), Some(1));
/// assert_eq!(parse("milbyt-wacmeg"), Some(0x1234_5678));
/// assert_eq!(parse("~milbyt-wac"), None);
/// ```
pub fn parse(text: &str) -> Option<u128> {
    let name = text.strip_prefix('~').unwrap_or(text);
    let letters: Vec<u8> = name.bytes().filter(|&b| b != b'-').collect();
    if name.len() > 64 || letters.is_empty() || !letters.len().is_multiple_of(3) {
        return None;
    }
    let value = if letters.len() == 3 {
        u128::from(suffix_byte(&letters)?)
    } else {
        if !letters.len().is_multiple_of(6) {
            return None;
        }
        let mut value = 0u128;
        for pair in letters.chunks_exact(6) {
            let high = prefix_byte(&pair[..3])?;
            let low = suffix_byte(&pair[3..])?;
            value = value << 16 | u128::from(u16::from_be_bytes([high, low]));
        }
        fynd(value)
    };
    (render(value).strip_prefix('~') == Some(name)).then_some(value)
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
        assert_eq!((prefix(0), suffix(255)), ("doz", "fes"));
    }

    #[test]
    fn fynd_undoes_fein_across_the_domain() {
        for m in (B..=u32::MAX).step_by(65_537 * 3) {
            assert_eq!(walk(walk(m, forward), backward), m, "{m:#x}");
        }
    }

    /// Each name is what `(scot %p ...)` gives on the ivory pill, in Vere 1.16's `urbit eval` and in
    /// `engine eval` alike.
    #[test]
    fn names_are_hoon_s() {
        for (who, name) in [
            (0u128, "~zod"),
            (1, "~nec"),
            (255, "~fes"),
            (0x100, "~marzod"),
            (0xffff, "~fipfes"),
            (0x1_0000, "~dapnep-ronmyl"),
            (0x1234_5678, "~milbyt-wacmeg"),
            (0xffff_ffff, "~dostec-risfen"),
            (0x1_0000_0000, "~doznec-dozzod-dozzod"),
            (0x1_2345_6789, "~doznec-rocrym-fotfes"),
            (0x1234_5678_9abc_def0, "~doprut-posfel-torter-noctux"),
            (1 << 64, "~doznec--dozzod-dozzod-dozzod-dozzod"),
            (u128::MAX, "~fipfes-fipfes-fipfes-fipfes--fipfes-fipfes-fipfes-fipfes"),
        ] {
            assert_eq!(render(who), name, "{who:#x}");
            assert_eq!(parse(name), Some(who), "{name}");
        }
        for bad in
            ["", "~", "~zo", "~dozzod", "~marzod-", "~zod-zod", "~dozmarzod", "~milbyt-wacmeg-", "~MARZOD"]
        {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
