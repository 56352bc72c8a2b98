//! One event record of the log, as bytes on disk.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "EVT1"
//! 4       4     payload length in bytes (little-endian)
//! 8       8     event number (little-endian, from 1, contiguous)
//! 16      4     mug of the kernel after this event (0 for lifecycle events, as Vere logs them)
//! 20      4     CRC-32 of bytes 4..20 and of the payload
//! 24      n     payload: the jam of the event as Arvo received it ([now ovum], or a boot event)
//! ```

/// The bytes every record starts with.
pub const MAGIC: [u8; 4] = *b"EVT1";
/// Size of a record's header.
pub const HEADER_BYTES: usize = 24;
/// The largest payload a record may hold (a header claiming more is corrupt, not a reason to allocate).
pub const PAYLOAD_BYTES_MAX: u32 = 1 << 30;

/// One event as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event number, from 1.
    pub number: u64,
    /// The mug of the kernel after the event (0 where the writer had none, as for lifecycle events).
    pub mug: u32,
    /// The jam bytes of the event.
    pub jam: Vec<u8>,
}

/// A record header as read from disk, before its payload is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub payload_bytes: u32,
    pub number: u64,
    pub mug: u32,
    pub crc: u32,
}

/// What a record's header says is wrong with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFault {
    BadMagic,
    PayloadTooLarge(u32),
}

fn checksum(header_fields: &[u8], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(header_fields);
    hasher.update(payload);
    hasher.finalize()
}

/// Appends the encoding of one event to `out`.
pub fn encode(out: &mut Vec<u8>, number: u64, mug: u32, jam: &[u8]) {
    assert!(jam.len() <= PAYLOAD_BYTES_MAX as usize, "event {number}: payload of {} bytes", jam.len());
    let start = out.len();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(jam.len() as u32).to_le_bytes());
    out.extend_from_slice(&number.to_le_bytes());
    out.extend_from_slice(&mug.to_le_bytes());
    let crc = checksum(&out[start + 4..start + 20], jam);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(jam);
}

/// Reads a header from at least [`HEADER_BYTES`] bytes.
pub fn decode_header(bytes: &[u8]) -> Result<Header, HeaderFault> {
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    if bytes[..4] != MAGIC {
        return Err(HeaderFault::BadMagic);
    }
    let payload_bytes = word(4);
    if payload_bytes > PAYLOAD_BYTES_MAX {
        return Err(HeaderFault::PayloadTooLarge(payload_bytes));
    }
    let number = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    Ok(Header { payload_bytes, number, mug: word(16), crc: word(20) })
}

/// Whether a record's header (its raw bytes) and payload agree with its checksum.
pub fn checksum_matches(header_bytes: &[u8], header: &Header, payload: &[u8]) -> bool {
    checksum(&header_bytes[4..20], payload) == header.crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_round_trips_and_detects_a_flipped_bit() {
        let mut bytes = Vec::new();
        encode(&mut bytes, 7, 0x1234, b"jam");
        assert_eq!(bytes.len(), HEADER_BYTES + 3);
        let header = decode_header(&bytes).unwrap();
        assert_eq!(header, Header { payload_bytes: 3, number: 7, mug: 0x1234, crc: header.crc });
        assert!(checksum_matches(&bytes, &header, &bytes[HEADER_BYTES..]));
        bytes[HEADER_BYTES + 1] ^= 4;
        assert!(!checksum_matches(&bytes, &header, &bytes[HEADER_BYTES..]));
        bytes[0] = b'X';
        assert_eq!(decode_header(&bytes), Err(HeaderFault::BadMagic));
    }
}
