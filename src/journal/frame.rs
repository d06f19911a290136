//! This module defines the byte layout of the journal: the file header and one frame.
//!
//! Encoding lives here; decoding with every check is the scanner in
//! [`crate::journal::verify`], so there is exactly one reader of the format.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::journal::{Hash, RecordKind};

/// The first 16 bytes of every journal file.
pub const FILE_MAGIC: &[u8; 16] = b"TRACELOG-JOURNAL";
/// The file format version written by this build.
pub const FORMAT_VERSION: u16 = 1;
/// Magic, version (u16), journal id (16 bytes), header CRC32C (u32).
pub const FILE_HEADER_LEN: usize = 16 + 2 + 16 + 4;
/// The first four bytes of every frame (`TLFR`, read as a little-endian u32).
pub const FRAME_MAGIC: u32 = u32::from_le_bytes(*b"TLFR");
/// The frame format version written by this build.
pub const FRAME_FORMAT: u8 = 1;
/// magic u32 | kind u8 | format u8 | reserved u16 | len u32 | seq u64 | prev_hash [32] | header_crc u32.
pub const FRAME_HEADER_LEN: usize = 4 + 1 + 1 + 2 + 4 + 8 + 32 + 4;
/// The payload CRC32C after the payload.
pub const FRAME_TRAILER_LEN: usize = 4;
/// The largest payload one frame may carry (1 GiB).
pub const MAX_PAYLOAD: u32 = 1 << 30;

/// A new file header with a fresh journal id.
pub fn new_file_header() -> Vec<u8> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut hasher = Sha256::new();
    hasher.update(nanos.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    // A counter keeps two headers made within one clock tick apart.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let digest: Hash = hasher.finalize().into();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    encode_file_header(&id)
}

/// The file header for a journal with this id.
pub fn encode_file_header(id: &[u8; 16]) -> Vec<u8> {
    let mut res = Vec::with_capacity(FILE_HEADER_LEN);
    res.extend_from_slice(FILE_MAGIC);
    res.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    res.extend_from_slice(id);
    let crc = crc32c::crc32c(&res);
    res.extend_from_slice(&crc.to_le_bytes());
    res
}

/// One whole frame: header, payload, payload CRC.
pub fn encode_frame(kind: RecordKind, seq: u64, prev_hash: &Hash, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("payload length checked by the caller");
    let mut res = Vec::with_capacity(FRAME_HEADER_LEN + payload.len() + FRAME_TRAILER_LEN);
    res.extend_from_slice(&FRAME_MAGIC.to_le_bytes());
    res.push(kind.byte());
    res.push(FRAME_FORMAT);
    res.extend_from_slice(&0u16.to_le_bytes());
    res.extend_from_slice(&len.to_le_bytes());
    res.extend_from_slice(&seq.to_le_bytes());
    res.extend_from_slice(prev_hash);
    let header_crc = crc32c::crc32c(&res);
    res.extend_from_slice(&header_crc.to_le_bytes());
    res.extend_from_slice(payload);
    let payload_crc = crc32c::crc32c(&res);
    res.extend_from_slice(&payload_crc.to_le_bytes());
    res
}

/// SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// A little-endian u16 at `at`.
pub(crate) fn le_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// A little-endian u32 at `at`.
pub(crate) fn le_u32(bytes: &[u8], at: usize) -> u32 {
    let mut buf = [0u8; 4];
    buf.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(buf)
}

/// A little-endian u64 at `at`.
pub(crate) fn le_u64(bytes: &[u8], at: usize) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_sizes() {
        assert_eq!(FILE_HEADER_LEN, 38);
        assert_eq!(FRAME_HEADER_LEN, 56);
        let header = encode_file_header(&[7; 16]);
        assert_eq!(header.len(), FILE_HEADER_LEN);
        assert_eq!(&header[..16], FILE_MAGIC);
        assert_eq!(le_u16(&header, 16), FORMAT_VERSION);
        assert_eq!(le_u32(&header, 34), crc32c::crc32c(&header[..34]));
    }

    #[test]
    fn frame_fields_are_where_the_format_says() {
        let prev = [9u8; 32];
        let frame = encode_frame(RecordKind::Transaction, 42, &prev, b"hello");
        assert_eq!(frame.len(), FRAME_HEADER_LEN + 5 + FRAME_TRAILER_LEN);
        assert_eq!(&frame[0..4], b"TLFR");
        assert_eq!(frame[4], RecordKind::Transaction.byte());
        assert_eq!(frame[5], FRAME_FORMAT);
        assert_eq!(le_u16(&frame, 6), 0);
        assert_eq!(le_u32(&frame, 8), 5);
        assert_eq!(le_u64(&frame, 12), 42);
        assert_eq!(&frame[20..52], &prev);
        assert_eq!(le_u32(&frame, 52), crc32c::crc32c(&frame[..52]));
        assert_eq!(&frame[56..61], b"hello");
        assert_eq!(le_u32(&frame, 61), crc32c::crc32c(&frame[..61]));
    }

    #[test]
    fn fresh_ids_differ() {
        assert_ne!(new_file_header(), new_file_header());
    }
}
