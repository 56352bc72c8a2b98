//! Cue: a jam bit stream back to a noun, accepting and rejecting exactly what Vere does (spec/nouns.md §4),
//! and safe on hostile input: an explicit frame stack instead of recursion, and memory bounded by the input
//! (an atom's storage never exceeds the bits that remain; one table entry and at most one frame per tag).

use crate::hash::U64Map;
use crate::heap::Heap;
use crate::noun::Noun;
use std::fmt;

/// Vere's two classes of cue failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueClass {
    /// Deterministic: the input is not a jam stream (`+mink` can catch it when cue runs as a jet).
    Exit,
    /// A representation limit: the stream claims sizes no runtime can hold.
    Meme,
}

/// What was wrong with the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueReason {
    /// The stream ended where a tag bit or a length prefix was being read.
    Gone,
    /// A backreference to a bit position where no noun was decoded (inside an atom, ahead of the
    /// cursor, or a cell still being decoded).
    BackrefUnknown { target: u64 },
    /// A unary length prefix of 64 or more zeros (an atom of at least 2^63 bits).
    LengthPrefixTooLong { zeros: u32 },
    /// More than 32 whole zero bytes while counting a length prefix.
    ZeroRunTooLong,
    /// A backreference wider than 62 bits.
    BackrefTooWide { bits: u64 },
    /// An atom of more than 2^32 - 1 bytes.
    AtomTooLarge { bits: u64 },
}

/// A failed cue: why, where (the bit offset of the tag being decoded) and Vere's class for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CueError {
    pub reason: CueReason,
    /// Bit offset in the stream of the tag whose decoding failed.
    pub bit: u64,
}

impl CueError {
    /// Vere's class for this failure.
    pub fn class(&self) -> CueClass {
        match self.reason {
            CueReason::Gone | CueReason::BackrefUnknown { .. } => CueClass::Exit,
            _ => CueClass::Meme,
        }
    }
}

impl fmt::Display for CueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = format!("at bit {} (byte {})", self.bit, self.bit / 8);
        match self.reason {
            CueReason::Gone => write!(f, "jam stream ends inside a tag or length prefix {at}"),
            CueReason::BackrefUnknown { target } => {
                write!(f, "backreference {at} to bit {target}, where no noun was decoded")
            }
            CueReason::LengthPrefixTooLong { zeros } => {
                write!(f, "length prefix of {zeros} zero bits {at}: an atom of at least 2^63 bits")
            }
            CueReason::ZeroRunTooLong => {
                write!(f, "more than 32 zero bytes in a length prefix {at}")
            }
            CueReason::BackrefTooWide { bits } => {
                write!(f, "backreference of {bits} bits {at} (limit 62)")
            }
            CueReason::AtomTooLarge { bits } => {
                write!(f, "atom of {bits} bits {at} (limit 2^32 - 1 bytes)")
            }
        }
    }
}

impl std::error::Error for CueError {}

/// Counts of what a stream held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CueStats {
    /// Cell tags read (each builds one cell).
    pub cells: u64,
    /// Atom tags read.
    pub atoms: u64,
    /// Backreference tags read.
    pub backrefs: u64,
    /// Bits consumed, up to the end of the noun (payload bits past the input's end included).
    pub bits: u64,
}

/// A bit cursor over bytes, least significant bit first, reading zeros past the end for payloads.
struct BitReader<'a> {
    bytes: &'a [u8],
    bit: u64,
}

enum Tag {
    Atom,
    Cell,
    Backref,
}

impl BitReader<'_> {
    fn total_bits(&self) -> u64 {
        self.bytes.len() as u64 * 8
    }

    /// Eight bytes starting at byte `i`, little-endian, zero past the end.
    #[inline]
    fn word_at(&self, i: usize) -> u64 {
        match self.bytes.get(i..i + 8) {
            Some(chunk) => u64::from_le_bytes(chunk.try_into().expect("eight bytes")),
            None => {
                let mut word = [0u8; 8];
                let tail = self.bytes.get(i..).unwrap_or(&[]);
                word[..tail.len()].copy_from_slice(tail);
                u64::from_le_bytes(word)
            }
        }
    }

    /// Reads `count` ≤ 64 bits, zero past the end.
    #[inline]
    fn bits(&mut self, count: u32) -> u64 {
        if count == 0 {
            return 0;
        }
        let byte = (self.bit / 8) as usize;
        let offset = (self.bit % 8) as u32;
        let mut value = self.word_at(byte) >> offset;
        if offset + count > 64 {
            let next = self.bytes.get(byte + 8).copied().unwrap_or(0) as u64;
            value |= next << (64 - offset);
        }
        self.bit += count as u64;
        if count < 64 { value & ((1u64 << count) - 1) } else { value }
    }

    fn tag(&mut self) -> Result<Tag, CueReason> {
        let total = self.total_bits();
        if self.bit >= total {
            return Err(CueReason::Gone);
        }
        if self.bits(1) == 0 {
            return Ok(Tag::Atom);
        }
        if self.bit >= total {
            return Err(CueReason::Gone);
        }
        Ok(if self.bits(1) == 0 { Tag::Cell } else { Tag::Backref })
    }

    /// Counts the zeros before the next 1 bit and consumes them and the 1, failing as Vere's `ur_bsr_log`
    /// does: the end of the stream is `Gone`, 32 whole zero bytes or more than 255 zeros is a limit.
    fn unary(&mut self) -> Result<u32, CueReason> {
        let first = (self.bit / 8) as usize;
        let offset = (self.bit % 8) as u32;
        let left = self.bytes.len().saturating_sub(first);
        if left == 0 {
            return Err(CueReason::Gone);
        }
        let mut byte = self.bytes[first] >> offset;
        let mut skip = 0usize;
        while byte == 0 {
            if skip == 32 {
                return Err(CueReason::ZeroRunTooLong);
            }
            skip += 1;
            if skip == left {
                return Err(CueReason::Gone);
            }
            byte = self.bytes[first + skip];
        }
        let zeros = byte.trailing_zeros() + if skip > 0 { skip as u32 * 8 - offset } else { 0 };
        if zeros > 255 {
            return Err(CueReason::ZeroRunTooLong);
        }
        self.bit += zeros as u64 + 1;
        Ok(zeros)
    }

    /// Reads the length half of `mat`: the bit length of the payload that follows.
    fn length(&mut self) -> Result<u64, CueReason> {
        let c = self.unary()?;
        match c {
            0 => Ok(0),
            1 => Ok(1),
            64.. => Err(CueReason::LengthPrefixTooLong { zeros: c }),
            _ => Ok((1u64 << (c - 1)) | self.bits(c - 1)),
        }
    }

    /// Reads an atom of `bit_len` bits; only the bits present in the input are stored.
    fn atom(&mut self, heap: &mut Heap, bit_len: u64) -> Noun {
        if bit_len <= 64 {
            let value = self.bits(bit_len as u32);
            return heap.atom_u64(value);
        }
        let present = bit_len.min(self.total_bits().saturating_sub(self.bit));
        let limbs = present.div_ceil(64) as usize;
        let start = self.bit;
        let atom = heap.atom_with_limbs(limbs, |out| {
            let mut left = present;
            for limb in out.iter_mut() {
                let n = left.min(64) as u32;
                *limb = self.bits(n);
                left -= n as u64;
            }
        });
        self.bit = start + bit_len;
        atom
    }
}

/// One open cell: where its tag was, and its head once decoded.
struct Frame {
    bit: u64,
    head: Option<Noun>,
}

impl Heap {
    /// Cues jam bytes to a noun. On error nothing is left allocated in the heap.
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let n = heap.cue(&[0x31, 0x12]).unwrap();
    /// assert_eq!(heap.print(n), "[1 2]");
    /// assert!(heap.cue(&[0x07]).is_err()); // a backreference to nothing
    /// ```
    pub fn cue(&mut self, bytes: &[u8]) -> Result<Noun, CueError> {
        self.cue_with_stats(bytes).map(|(noun, _)| noun)
    }

    /// Cues jam bytes and counts the tags read.
    pub fn cue_with_stats(&mut self, bytes: &[u8]) -> Result<(Noun, CueStats), CueError> {
        let mark = self.words_used();
        let result = self.cue_inner(bytes);
        if result.is_err() {
            self.truncate_words(mark);
        }
        result
    }

    fn cue_inner(&mut self, bytes: &[u8]) -> Result<(Noun, CueStats), CueError> {
        let mut reader = BitReader { bytes, bit: 0 };
        let mut stats = CueStats::default();
        // Real streams hold about one tag per two bytes (ivory: 786k tags in 1.1 MB); reserving that much
        // up front saves rehashing and stays a fixed multiple of the input.
        let mut decoded: U64Map<Noun> = U64Map::default();
        self.reserve_words(bytes.len());
        let mut frames: Vec<Frame> = Vec::new();
        loop {
            let bit = reader.bit;
            let fail = |reason| CueError { reason, bit };
            let mut noun = match reader.tag().map_err(fail)? {
                Tag::Cell => {
                    stats.cells += 1;
                    frames.push(Frame { bit, head: None });
                    continue;
                }
                Tag::Backref => {
                    stats.backrefs += 1;
                    let width = reader.length().map_err(fail)?;
                    if width > 62 {
                        return Err(fail(CueReason::BackrefTooWide { bits: width }));
                    }
                    let target = reader.bits(width as u32);
                    *decoded.get(&target).ok_or(fail(CueReason::BackrefUnknown { target }))?
                }
                Tag::Atom => {
                    stats.atoms += 1;
                    let bit_len = reader.length().map_err(fail)?;
                    if bit_len.div_ceil(8) > u32::MAX as u64 {
                        return Err(fail(CueReason::AtomTooLarge { bits: bit_len }));
                    }
                    let atom = reader.atom(self, bit_len);
                    decoded.insert(bit, atom);
                    atom
                }
            };
            // Close every cell this noun completes.
            loop {
                match frames.last_mut() {
                    None => {
                        stats.bits = reader.bit;
                        return Ok((noun, stats));
                    }
                    Some(frame) if frame.head.is_none() => {
                        frame.head = Some(noun);
                        break;
                    }
                    Some(_) => {
                        let frame = frames.pop().expect("a frame");
                        noun = self.cell(frame.head.expect("a head"), noun);
                        decoded.insert(frame.bit, noun);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_reads_the_worked_examples() {
        let mut heap = Heap::new();
        for (bytes, text) in [
            (&[0x02][..], "0"),
            (&[0x0c], "1"),
            (&[0x48], "2"),
            (&[0x31, 0x12], "[1 2]"),
            (&[0xc5, 0xc8, 0x26, 0x27, 0x01], "[[1 2] [1 2] 1 2]"),
            (&[0xe1, 0x4e, 0x02], "[5 5]"),
        ] {
            let n = heap.cue(bytes).unwrap();
            assert_eq!(heap.print(n), text);
        }
    }

    #[test]
    fn cue_rejects_backref_to_unfinished_ancestor() {
        let mut heap = Heap::new();
        let err = heap.cue(&[0x3d]).unwrap_err();
        assert_eq!(err.reason, CueReason::BackrefUnknown { target: 0 });
        assert_eq!(err.class(), CueClass::Exit);
    }

    #[test]
    fn failed_cue_leaves_the_heap_as_it_was() {
        let mut heap = Heap::new();
        let before = heap.words_used();
        assert!(heap.cue(&[0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06]).is_err());
        assert_eq!(heap.words_used(), before);
    }

    #[test]
    fn missing_payload_bits_read_as_zero_without_allocating_them() {
        let mut heap = Heap::new();
        // An atom that claims 2^34 bits (2 GiB), with none of them present.
        let mut w = crate::jam::BitWriter::new();
        w.push(0, 1);
        w.push_zeros(35);
        w.push(1, 1);
        w.push(0, 34);
        let n = heap.cue(&w.into_limbs().iter().flat_map(|l| l.to_le_bytes()).collect::<Vec<_>>());
        assert!(n.unwrap().same_handle(Noun::ZERO));
        assert_eq!(heap.words_used(), 0);
    }
}
