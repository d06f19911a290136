//! This module defines the scanner: the one reader of the journal format, shared by opening
//! and verifying, and [`verify_bytes`].
//!
//! The scanner walks the frames in order and stops at the first failure; it never skips a bad
//! frame. Only frames that passed every check are handed to the caller.

use crate::journal::frame::{
    self, FILE_HEADER_LEN, FILE_MAGIC, FORMAT_VERSION, FRAME_FORMAT, FRAME_HEADER_LEN, FRAME_MAGIC,
    FRAME_TRAILER_LEN, MAX_PAYLOAD, le_u16, le_u32, le_u64,
};
use crate::journal::{Failure, FailureKind, Hash, Head, Record, RecordKind, VerifyReport, hex};

/// Checks a journal held in memory; deterministic and read-only.
pub fn verify_bytes(bytes: &[u8]) -> VerifyReport {
    verify_bytes_trusted(bytes, None)
}

/// Checks a journal held in memory against a trusted head `(seq, hash)` recorded earlier.
pub fn verify_bytes_trusted(bytes: &[u8], trusted: Option<(u64, Hash)>) -> VerifyReport {
    let mut transactions = 0;
    let mut recoveries = 0;
    let scan = scan(bytes, trusted, &mut |frame| match frame.kind {
        RecordKind::Transaction => transactions += 1,
        RecordKind::Recovery => recoveries += 1,
    });
    VerifyReport {
        path: None,
        format_version: scan.format_version,
        journal_id: scan.journal_id,
        records: scan.head.seq,
        transactions,
        recoveries,
        bytes: bytes.len() as u64,
        good_bytes: scan.good_end,
        head: scan.head,
        trusted,
        first_failure: scan.failure,
        quarantine_files: Vec::new(),
    }
}

/// A frame that passed every check, borrowed from the scanned bytes.
pub(crate) struct FrameRef<'a> {
    pub seq: u64,
    pub kind: RecordKind,
    pub offset: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub payload: &'a [u8],
}

impl FrameRef<'_> {
    pub fn to_record(&self) -> Record {
        Record {
            seq: self.seq,
            kind: self.kind,
            offset: self.offset,
            prev_hash: self.prev_hash,
            hash: self.hash,
            payload: self.payload.to_vec(),
        }
    }
}

/// Where a scan ended.
pub(crate) struct Scan {
    pub format_version: Option<u16>,
    pub journal_id: Option<[u8; 16]>,
    /// The end of the last good frame (the file header's end if there is none).
    pub good_end: u64,
    /// The last good record (seq 0 and the genesis hash if none; zeros if the header is bad).
    pub head: Head,
    pub failure: Option<Failure>,
}

/// Walks the journal, calls `visit` for every good frame, stops at the first failure.
pub(crate) fn scan(
    bytes: &[u8],
    trusted: Option<(u64, Hash)>,
    visit: &mut dyn FnMut(FrameRef<'_>),
) -> Scan {
    let mut res = Scan {
        format_version: None,
        journal_id: None,
        good_end: 0,
        head: Head {
            seq: 0,
            hash: [0; 32],
        },
        failure: None,
    };
    let header_failure = |expected: String, actual: String| Failure {
        seq: 0,
        offset: 0,
        kind: FailureKind::BadHeader,
        expected: Some(expected),
        actual: Some(actual),
    };
    if bytes.len() < FILE_HEADER_LEN {
        res.failure = Some(header_failure(
            format!("a file header of {FILE_HEADER_LEN} bytes"),
            format!("a file of {} bytes", bytes.len()),
        ));
        return res;
    }
    if &bytes[..16] != FILE_MAGIC {
        res.failure = Some(header_failure(
            "magic \"TRACELOG-JOURNAL\"".to_string(),
            format!("{:?}", String::from_utf8_lossy(&bytes[..16])),
        ));
        return res;
    }
    let stored_crc = le_u32(bytes, FILE_HEADER_LEN - 4);
    let computed_crc = crc32c::crc32c(&bytes[..FILE_HEADER_LEN - 4]);
    if stored_crc != computed_crc {
        res.failure = Some(header_failure(
            format!("header crc {computed_crc:08x}"),
            format!("header crc {stored_crc:08x}"),
        ));
        return res;
    }
    let version = le_u16(bytes, 16);
    res.format_version = Some(version);
    if version != FORMAT_VERSION {
        res.failure = Some(header_failure(
            format!("format version {FORMAT_VERSION}"),
            format!("format version {version}"),
        ));
        return res;
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&bytes[18..34]);
    res.journal_id = Some(id);
    let genesis = frame::sha256(&bytes[..FILE_HEADER_LEN]);
    res.head = Head {
        seq: 0,
        hash: genesis,
    };
    res.good_end = FILE_HEADER_LEN as u64;
    if let Some((0, trusted_hash)) = trusted
        && trusted_hash != genesis
    {
        res.failure = Some(trusted_mismatch(0, 0, &trusted_hash, &genesis));
        return res;
    }

    // Where the trailing run of zero bytes starts: a crash can leave the file longer than
    // the data that reached the disk, filled with zeros.
    let zeros_from = bytes
        .iter()
        .rposition(|byte| *byte != 0)
        .map_or(0, |at| at + 1);
    let mut offset = FILE_HEADER_LEN;
    while offset < bytes.len() {
        let seq = res.head.seq + 1;
        let rest = bytes.len() - offset;
        let failure = |kind: FailureKind, expected: String, actual: String| Failure {
            seq,
            offset: offset as u64,
            kind,
            expected: Some(expected),
            actual: Some(actual),
        };
        if rest < FRAME_HEADER_LEN {
            res.failure = Some(failure(
                FailureKind::TornTail,
                format!("a frame header of {FRAME_HEADER_LEN} bytes"),
                format!("the file ends after {rest} bytes"),
            ));
            return res;
        }
        let header = &bytes[offset..offset + FRAME_HEADER_LEN];
        let stored_crc = le_u32(header, FRAME_HEADER_LEN - 4);
        let computed_crc = crc32c::crc32c(&header[..FRAME_HEADER_LEN - 4]);
        if stored_crc != computed_crc {
            if zeros_from < offset + FRAME_HEADER_LEN {
                res.failure = Some(failure(
                    FailureKind::TornTail,
                    "a frame header".to_string(),
                    format!("zero bytes from offset {zeros_from} to the end of the file"),
                ));
            } else {
                res.failure = Some(failure(
                    FailureKind::CrcMismatch,
                    format!("frame header crc {computed_crc:08x}"),
                    format!("frame header crc {stored_crc:08x}"),
                ));
            }
            return res;
        }
        let magic = le_u32(header, 0);
        let kind = RecordKind::from_byte(header[4]);
        let format = header[5];
        let reserved = le_u16(header, 6);
        let len = le_u32(header, 8);
        if magic != FRAME_MAGIC {
            res.failure = Some(failure(
                FailureKind::BadHeader,
                "frame magic \"TLFR\"".to_string(),
                format!("frame magic {magic:08x}"),
            ));
            return res;
        }
        let Some(kind) = kind else {
            res.failure = Some(failure(
                FailureKind::BadHeader,
                "record kind 1 or 2".to_string(),
                format!("record kind {}", header[4]),
            ));
            return res;
        };
        if format != FRAME_FORMAT || reserved != 0 || MAX_PAYLOAD < len {
            res.failure = Some(failure(
                FailureKind::BadHeader,
                format!("frame format {FRAME_FORMAT}, reserved 0, length at most {MAX_PAYLOAD}"),
                format!("frame format {format}, reserved {reserved}, length {len}"),
            ));
            return res;
        }
        let frame_len = FRAME_HEADER_LEN + len as usize + FRAME_TRAILER_LEN;
        if rest < frame_len {
            res.failure = Some(failure(
                FailureKind::TornTail,
                format!("a frame of {frame_len} bytes"),
                format!("the file ends after {rest} bytes"),
            ));
            return res;
        }
        let end = offset + frame_len;
        let stored_crc = le_u32(bytes, end - FRAME_TRAILER_LEN);
        let computed_crc = crc32c::crc32c(&bytes[offset..end - FRAME_TRAILER_LEN]);
        if stored_crc != computed_crc {
            // Only the final frame may be torn: nothing but zeros may follow it.
            let kind = if zeros_from <= end {
                FailureKind::TornTail
            } else {
                FailureKind::CrcMismatch
            };
            res.failure = Some(failure(
                kind,
                format!("payload crc {computed_crc:08x}"),
                format!("payload crc {stored_crc:08x}"),
            ));
            return res;
        }
        let stored_seq = le_u64(header, 12);
        if stored_seq != seq {
            let kind = if stored_seq < seq {
                FailureKind::SeqRegress
            } else {
                FailureKind::SeqGap
            };
            res.failure = Some(failure(
                kind,
                format!("seq {seq}"),
                format!("seq {stored_seq}"),
            ));
            return res;
        }
        let mut prev_hash = [0u8; 32];
        prev_hash.copy_from_slice(&header[20..52]);
        if prev_hash != res.head.hash {
            res.failure = Some(failure(
                FailureKind::ChainBreak,
                format!("prev_hash {}", hex(&res.head.hash)),
                format!("prev_hash {}", hex(&prev_hash)),
            ));
            return res;
        }
        let hash = frame::sha256(&bytes[offset..end]);
        if let Some((trusted_seq, trusted_hash)) = trusted
            && trusted_seq == seq
            && trusted_hash != hash
        {
            res.failure = Some(trusted_mismatch(seq, offset as u64, &trusted_hash, &hash));
            return res;
        }
        visit(FrameRef {
            seq,
            kind,
            offset: offset as u64,
            prev_hash,
            hash,
            payload: &bytes[offset + FRAME_HEADER_LEN..end - FRAME_TRAILER_LEN],
        });
        res.head = Head { seq, hash };
        res.good_end = end as u64;
        offset = end;
    }
    if let Some((trusted_seq, trusted_hash)) = trusted
        && res.head.seq < trusted_seq
    {
        res.failure = Some(Failure {
            seq: trusted_seq,
            offset: res.good_end,
            kind: FailureKind::TrustedHeadMismatch,
            expected: Some(format!(
                "record {trusted_seq} with hash {}",
                hex(&trusted_hash)
            )),
            actual: Some(format!("the journal ends at record {}", res.head.seq)),
        });
    }
    res
}

fn trusted_mismatch(seq: u64, offset: u64, trusted: &Hash, actual: &Hash) -> Failure {
    Failure {
        seq,
        offset,
        kind: FailureKind::TrustedHeadMismatch,
        expected: Some(format!("hash {} (trusted head)", hex(trusted))),
        actual: Some(format!("hash {}", hex(actual))),
    }
}
