//! Chapter 4m of hoon.hoon: `slaw`, parsing a cord as an atom of a given aura, `(unit @)`.
//!
//! As in Vere, four auras are parsed here (`%da %p %ud %tas`) and every other one punts to the arm.
//! Vere's driver differs from the arm on some texts, and Vere's answer is the one kept:
//!
//! - `%da`, `%p` and `%tas` read the cord as a C string does, up to its first NUL byte; the arm reads
//!   every byte (so `'abc\0x'` is `[~ 'abc\0x']` as a `%tas` here and `~` in the arm).
//! - `%ud` accepts only `.` and three digits between groups, and answers `~` on anything else; the arm
//!   also accepts whitespace or a comment after each `.` (`'1.\0a234'` is `[~ 1.234]` in the arm).
//! - `%p` takes `doz` as the first prefix of a star (`~doznec` is `[~ 1]` here, `~` in the arm) and
//!   `dozzod` as the first word of a planet, moon or comet (the arm rejects both).
//!
//! Texts of any other shape the driver does not know (`--` followed by whitespace, a comet of other than
//! two groups of four words, ...) punt, and the arm decides.

use super::axis::{SAM_2, SAM_3};
use super::ob::fynd_value;
use super::phonetic::{prefix_byte, suffix_byte};
use super::{JetOutcome, Step, at, exit, finish};
use components::{Heap, Noun, UBig};

const DA: u64 = u64::from_le_bytes(*b"da\0\0\0\0\0\0");
const P: u64 = b'p' as u64;
const UD: u64 = u64::from_le_bytes(*b"ud\0\0\0\0\0\0");
const TAS: u64 = u64::from_le_bytes(*b"tas\0\0\0\0\0");

/// `(slaw mod txt)`.
pub fn slaw(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| -> Step<Noun> {
        let (mode, text) = (at(heap, core, SAM_2)?, at(heap, core, SAM_3)?);
        let (Some(mode), Some(atom)) = (heap.as_u64(mode).filter(|_| mode.is_atom()), heap.atom(text)) else {
            return Err(JetOutcome::Punt);
        };
        let bytes = atom.to_bytes();
        let c_string = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
        let parsed = match mode {
            UD => Parsed::Value(parse_ud(&bytes).map(Value::Big)),
            TAS => Parsed::Value(is_symbol(c_string).then_some(Value::Noun(text))),
            P => parse_p(c_string),
            DA => parse_da(c_string),
            _ => Parsed::Punt,
        };
        match parsed {
            Parsed::Value(None) => Ok(Noun::ZERO),
            Parsed::Value(Some(value)) => {
                let value = match value {
                    Value::Noun(noun) => noun,
                    Value::Big(big) => heap.atom_from_ubig(&big),
                    Value::Wide(wide) => heap.atom_from_limbs(&wide),
                };
                Ok(heap.cell(Noun::ZERO, value))
            }
            Parsed::Punt => Err(JetOutcome::Punt),
            Parsed::Crash(mean) => Err(exit(Some(mean))),
        }
    })())
}

/// A parsed atom, in whichever form was handiest to make.
enum Value {
    Noun(Noun),
    Big(UBig),
    /// Little-endian limbs.
    Wide([u64; 3]),
}

/// What the driver makes of a text.
enum Parsed {
    /// `~` or `[~ value]`.
    Value(Option<Value>),
    /// Not a shape the driver parses: the arm decides.
    Punt,
    /// The arm (and Vere's driver, which runs the same arm through a hook) crashes, with this `%mean`.
    Crash(&'static str),
}

/// `%ud`: `0`, or one to three digits (the first not 0) then groups of `.` and three digits.
fn parse_ud(text: &[u8]) -> Option<UBig> {
    if text == b"0" {
        return Some(UBig::ZERO);
    }
    let lead = text.len() % 4;
    if text.is_empty() || text[0] == b'0' || lead == 0 {
        return None;
    }
    let (head, groups) = text.split_at(lead);
    let mut digits = head.to_vec();
    for group in groups.chunks_exact(4) {
        if group[0] != b'.' {
            return None;
        }
        digits.extend_from_slice(&group[1..]);
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let text = std::str::from_utf8(&digits).expect("ASCII digits");
    UBig::from_str_radix(text, 10).ok()
}

/// `%tas`: a lowercase letter, then lowercase letters, digits and `-`.
fn is_symbol(text: &[u8]) -> bool {
    match text.split_first() {
        Some((first, rest)) => {
            first.is_ascii_lowercase()
                && rest.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        }
        None => false,
    }
}

/// A cursor over a text, for the `%p` and `%da` grammars.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.at == self.text.len()
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.text.get(self.at + ahead).copied()
    }

    /// Takes `byte`, or fails.
    fn take(&mut self, byte: u8) -> Option<()> {
        (self.peek(0) == Some(byte)).then(|| self.at += 1)
    }

    /// Three lowercase letters.
    fn syllable(&mut self) -> Option<[u8; 3]> {
        let letters: [u8; 3] = self.text.get(self.at..self.at + 3)?.try_into().ok()?;
        letters.iter().all(u8::is_ascii_lowercase).then(|| {
            self.at += 3;
            letters
        })
    }

    /// A decimal number; the first digit must not be 0 if `nonzero`. `None` past `u128`.
    fn number(&mut self, nonzero: bool) -> Option<u128> {
        let first = self.peek(0).filter(|c| c.is_ascii_digit() && !(nonzero && *c == b'0'))?;
        let mut value = u128::from(first - b'0');
        self.at += 1;
        while let Some(c) = self.peek(0).filter(u8::is_ascii_digit) {
            value = value.checked_mul(10)?.checked_add(u128::from(c - b'0'))?;
            self.at += 1;
        }
        Some(value)
    }

    /// Four lowercase hex digits.
    fn hex4(&mut self) -> Option<u64> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = match self.peek(0)? {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                _ => return None,
            };
            value = value * 16 + u64::from(digit);
            self.at += 1;
        }
        Some(value)
    }
}

/// `%p`, as Vere's driver reads it: `~` then one syllable (a galaxy), two (a star), or words of two
/// joined by `-`: two (a planet), three or four (a moon, the first 32 bits scrambled back by `fynd`), or
/// four, `--`, four (a comet, not scrambled). Syllables that are not the right prefix or suffix give `~`.
fn parse_p(text: &[u8]) -> Parsed {
    let mut cursor = Cursor { text, at: 0 };
    let mut syllables = Vec::with_capacity(16);
    let shape = (|| {
        cursor.take(b'~')?;
        syllables.push(cursor.syllable()?);
        if cursor.at_end() {
            return Some(false);
        }
        syllables.push(cursor.syllable()?);
        for _ in 0..3 {
            if cursor.at_end() {
                return Some(syllables.len() > 2);
            }
            cursor.take(b'-')?;
            syllables.push(cursor.syllable()?);
            syllables.push(cursor.syllable()?);
        }
        if cursor.at_end() {
            return Some(true);
        }
        // `--` starts the second group (its first `-` taken here); its words are joined by `-`.
        cursor.take(b'-')?;
        for _ in 0..4 {
            cursor.take(b'-')?;
            syllables.push(cursor.syllable()?);
            syllables.push(cursor.syllable()?);
        }
        cursor.at_end().then_some(false)
    })();
    let Some(scrambled) = shape else { return Parsed::Punt };
    let mut value: u128 = 0;
    for (i, syllable) in syllables.iter().enumerate() {
        // A galaxy is a lone suffix; otherwise prefixes and suffixes alternate.
        let byte =
            if i % 2 == 1 || syllables.len() == 1 { suffix_byte(syllable) } else { prefix_byte(syllable) };
        let Some(byte) = byte else { return Parsed::Value(None) };
        value = value << 8 | u128::from(byte);
    }
    if scrambled {
        value = u128::from(fynd_value(value as u64));
    }
    Parsed::Value(Some(Value::Wide([value as u64, (value >> 64) as u64, 0])))
}

/// Days in each month, in a common year.
const MONTH_DAYS: [u128; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/// The year the arm's day count starts from, as `year` offsets it.
const EPOCH_YEAR: u128 = 292_277_024_400;

/// `%da`, as Vere's driver reads it: `~` year (`-` for BC) `.` month `.` day, then optionally `..` hour
/// `.` minute `.` second, then optionally `..` and groups of four hex digits joined by `.`; the date is
/// turned into an atom by the arm `year`, computed here.
fn parse_da(text: &[u8]) -> Parsed {
    let mut cursor = Cursor { text, at: 0 };
    let date = (|| {
        cursor.take(b'~')?;
        let year = cursor.number(true)?;
        let ad = cursor.take(b'-').is_none();
        cursor.take(b'.')?;
        let month = match (cursor.peek(0)?, cursor.peek(1)) {
            (b'1', Some(second @ b'0'..=b'2')) => {
                cursor.at += 2;
                10 + u128::from(second - b'0')
            }
            (first @ b'1'..=b'9', _) => {
                cursor.at += 1;
                u128::from(first - b'0')
            }
            _ => return None,
        };
        cursor.take(b'.')?;
        let day = cursor.number(true)?;
        let mut clock = [0u128; 3];
        let mut fraction = Vec::new();
        if !cursor.at_end() {
            cursor.take(b'.')?;
            cursor.take(b'.')?;
            for (i, part) in clock.iter_mut().enumerate() {
                if i > 0 {
                    cursor.take(b'.')?;
                }
                *part = cursor.number(false)?;
            }
            if !cursor.at_end() {
                cursor.take(b'.')?;
                cursor.take(b'.')?;
                loop {
                    fraction.push(cursor.hex4()?);
                    if cursor.at_end() {
                        break;
                    }
                    cursor.take(b'.')?;
                }
            }
        }
        Some(Date { ad, year, month, day, clock, fraction })
    })();
    match date {
        Some(date) => date.to_da(),
        None => Parsed::Punt,
    }
}

/// A `@da` as Hoon writes it (`~2026.12.4..20.45.51..1a2b`), as the number it denotes; `None` if the
/// text is not one, or the date does not fit in 128 bits.
///
/// ```
/// use systems::jets::da_from_text;
/// let da = da_from_text("~2026.11.24..16.52.44..74e3").unwrap();
/// assert_eq!(components::time::render_da(da), "~2026.11.24..16.52.44..74e3");
/// assert_eq!(da_from_text("~2000.1.1..00.00.01").unwrap() - da_from_text("~2000.1.1").unwrap(), 1 << 64);
/// assert_eq!(da_from_text("yesterday"), None);
/// ```
pub fn da_from_text(text: &str) -> Option<u128> {
    match parse_da(text.as_bytes()) {
        Parsed::Value(Some(Value::Wide([fraction, low, 0]))) => {
            Some(u128::from(low) << 64 | u128::from(fraction))
        }
        _ => None,
    }
}

/// The arm's `date`, as parsed.
struct Date {
    ad: bool,
    year: u128,
    month: u128,
    day: u128,
    /// Hour, minute, second.
    clock: [u128; 3],
    /// Sixteen-bit fractions of a second, most significant first.
    fraction: Vec<u64>,
}

impl Date {
    /// `(year date)`: crashes where the arm does (a BC year before its epoch, more than four fraction
    /// groups); punts where the numbers pass `u128`.
    fn to_da(&self) -> Parsed {
        let year = if self.ad {
            EPOCH_YEAR.checked_add(self.year)
        } else {
            match EPOCH_YEAR.checked_sub(self.year - 1) {
                Some(year) => Some(year),
                None => return Parsed::Crash("subtract-underflow"),
            }
        };
        if self.fraction.len() > 4 {
            return Parsed::Crash("decrement-underflow");
        }
        let seconds = year.and_then(|year| {
            let days = days_since_jesus(year, self.month, self.day)?;
            let [hour, minute, second] = self.clock;
            days.checked_mul(86_400)?
                .checked_add(hour.checked_mul(3_600)?)?
                .checked_add(minute.checked_mul(60)?)?
                .checked_add(second)
        });
        let Some(seconds) = seconds else { return Parsed::Punt };
        let fraction =
            self.fraction.iter().enumerate().fold(0u64, |acc, (i, &group)| acc | group << (16 * (3 - i)));
        Parsed::Value(Some(Value::Wide([fraction, seconds as u64, (seconds >> 64) as u64])))
    }
}

/// `+yelp`: a leap year.
fn is_leap(year: u128) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// `+yawn`: days from the arm's epoch to `day` of `month` of `year` (month and day from 1), counted the
/// arm's way: back a year at a time to a multiple of 4, four at a time to a multiple of 100, a hundred at
/// a time to a multiple of 400, then whole eras.
fn days_since_jesus(mut year: u128, month: u128, day: u128) -> Option<u128> {
    let leap = is_leap(year);
    let mut days = day - 1;
    for (i, &length) in MONTH_DAYS.iter().enumerate().take(month as usize - 1) {
        days += length + u128::from(leap && i == 1);
    }
    loop {
        let (back, long, short) = if !year.is_multiple_of(4) {
            (1, 366, 365)
        } else if !year.is_multiple_of(100) {
            (4, 1_461, 1_460)
        } else if !year.is_multiple_of(400) {
            (100, 36_525, 36_524)
        } else {
            return days.checked_add((year / 400).checked_mul(146_097)?);
        };
        year -= back;
        days = days.checked_add(if is_leap(year) { long } else { short })?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slaw_of(mode: &str, text: &[u8]) -> Option<Option<Vec<u8>>> {
        let mut heap = Heap::new();
        let mode = heap.atom_from_bytes(mode.as_bytes());
        let text = heap.atom_from_bytes(text);
        let sample = heap.cell(mode, text);
        let core = heap.tuple(&[Noun::ZERO, sample, Noun::ZERO]);
        match slaw(&mut heap, core) {
            JetOutcome::Product(p) => Some(heap.tail(p).map(|v| heap.atom(v).unwrap().to_bytes())),
            JetOutcome::Punt => None,
            other => panic!("{other:?}"),
        }
    }

    fn number(value: u128) -> Option<Option<Vec<u8>>> {
        let mut heap = Heap::new();
        let atom = heap.atom_from_limbs(&[value as u64, (value >> 64) as u64]);
        Some(Some(heap.atom(atom).unwrap().to_bytes()))
    }

    #[test]
    fn slaw_reads_cords_as_c_strings_as_vere_does() {
        assert_eq!(slaw_of("tas", b"abc\0X"), Some(Some(b"abc\0X".to_vec())));
        assert_eq!(slaw_of("p", b"~zod\0junk"), number(0));
        assert_eq!(slaw_of("ud", b"1\x002"), Some(None), "%ud reads every byte: a NUL is no digit");
    }

    #[test]
    fn slaw_follows_vere_on_ud_spacing_and_doz_stars() {
        assert_eq!(slaw_of("ud", b"1.\n234"), Some(None));
        assert_eq!(slaw_of("ud", b"1.234"), number(1234));
        assert_eq!(slaw_of("p", b"~doznec"), number(1));
        assert_eq!(slaw_of("p", b"~marzod"), number(256));
    }

    #[test]
    fn slaw_da_counts_days_as_year_does() {
        // The Unix epoch, ~1970.1.1, is 0x8000.000c.ce9e.0d80 seconds (Vere's constant).
        let epoch = 0x8000_000c_ce9e_0d80_u128 << 64;
        assert_eq!(slaw_of("da", b"~1970.1.1"), number(epoch));
        assert_eq!(slaw_of("da", b"~1970.1.1..00.00.00..0000"), number(epoch));
        assert_eq!(slaw_of("da", b"~1970.1.2..0.0.1..8000"), number(epoch + ((86_401 << 64) | 0x8000 << 48)));
        assert_eq!(slaw_of("ux", b"0x1"), None, "other auras punt");
    }
}
