//! Exhaustive tests of the journal (RELIABILITY.md families 2-6): truncation at every byte
//! offset, every bit flipped, tampering with recomputed CRCs, injected I/O errors and crashes
//! at every operation of a workload, and two writers at once.
//!
//! The scans work on a small journal (six records, under 1 KiB) held in memory, so they stay
//! fast in a debug build.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use tracelog::journal::fault::{Fault, FaultStorage, Op};
use tracelog::journal::frame::{self, FILE_HEADER_LEN, FRAME_HEADER_LEN};
use tracelog::journal::{
    FailureKind, Hash, Head, Journal, JournalError, Record, RecordKind, RecoveryEvent, verify,
    verify_bytes, verify_bytes_trusted,
};

/// A journal of six records with payloads of different sizes (one empty).
struct Sample {
    bytes: Vec<u8>,
    records: Vec<Record>,
}

impl Sample {
    fn new() -> Sample {
        let storage = FaultStorage::new(Vec::new());
        let probe = storage.clone();
        let mut journal = Journal::create_in(storage).unwrap();
        for n in 0..6 {
            let payload = format!("{{\"tx\":{n},\"facts\":[{}]}}", "\"lot\",".repeat(n * 3));
            let payload = if n == 2 { String::new() } else { payload };
            journal
                .append(RecordKind::Transaction, payload.as_bytes())
                .unwrap();
        }
        let records = journal.records().to_vec();
        let bytes = probe.state().data.clone();
        Sample { bytes, records }
    }

    /// The offsets where frames start, and the end of the file.
    fn boundaries(&self) -> Vec<usize> {
        let mut res: Vec<usize> = self
            .records
            .iter()
            .map(|record| record.offset as usize)
            .collect();
        res.push(self.bytes.len());
        res
    }

    /// The record whose frame holds byte `at` (0 for the file header).
    fn seq_at(&self, at: usize) -> u64 {
        if at < FILE_HEADER_LEN {
            return 0;
        }
        self.records
            .iter()
            .rev()
            .find(|record| record.offset as usize <= at)
            .unwrap()
            .seq
    }

    fn frame(&self, seq: u64) -> &[u8] {
        let bounds = self.boundaries();
        let idx = seq as usize - 1;
        &self.bytes[bounds[idx]..bounds[idx + 1]]
    }

    fn head(&self) -> Head {
        let last = self.records.last().unwrap();
        Head {
            seq: last.seq,
            hash: last.hash,
        }
    }
}

/// Frames rebuilt from payloads, chained from `prev`, numbered from `first_seq`.
fn chain(prev: Hash, first_seq: u64, payloads: &[&[u8]]) -> Vec<u8> {
    let mut res = Vec::new();
    let mut prev = prev;
    for (idx, payload) in payloads.iter().enumerate() {
        let bytes = frame::encode_frame(
            RecordKind::Transaction,
            first_seq + idx as u64,
            &prev,
            payload,
        );
        prev = frame::sha256(&bytes);
        res.extend_from_slice(&bytes);
    }
    res
}

#[test]
fn journal_the_sample_verifies() {
    let sample = Sample::new();
    let report = verify_bytes(&sample.bytes);
    assert!(report.ok(), "{}", report.render());
    assert_eq!(report.head, sample.head());
    assert_eq!(report.records, 6);
    assert!(sample.bytes.len() < 1024, "{}", sample.bytes.len());
}

/// Family 4: the journal cut at every byte offset is either recovered to the last complete
/// record (with the cut-off bytes quarantined and a recovery record) or refused.
#[test]
fn journal_truncation_at_every_offset() {
    let sample = Sample::new();
    let bounds = sample.boundaries();
    let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
    for cut in 0..=sample.bytes.len() {
        let prefix = sample.bytes[..cut].to_vec();
        let report = verify_bytes(&prefix);
        let storage = FaultStorage::new(prefix.clone());
        let probe = storage.clone();
        let opened = Journal::open_in(storage);
        if cut < FILE_HEADER_LEN {
            let failure = report.first_failure.unwrap();
            assert_eq!(
                (failure.kind, failure.seq),
                (FailureKind::BadHeader, 0),
                "cut {cut}"
            );
            let err = opened.unwrap_err();
            assert!(
                matches!(err, JournalError::Corrupt { .. }),
                "cut {cut}: {err}"
            );
            assert_eq!(probe.state().data, prefix, "cut {cut}: nothing written");
            *histogram.entry("refused (file header cut)").or_default() += 1;
            continue;
        }
        let (journal, open_report) = opened.unwrap_or_else(|err| panic!("cut {cut}: {err}"));
        let complete = bounds.iter().filter(|bound| **bound <= cut).count() - 1;
        let good_end = bounds[complete];
        let records = journal.records();
        assert_eq!(
            &records[..complete],
            &sample.records[..complete],
            "cut {cut}"
        );
        if cut == good_end {
            assert!(report.ok(), "cut {cut}");
            assert_eq!(report.records, complete as u64);
            assert_eq!(open_report.torn_tail, None);
            assert_eq!(records.len(), complete);
            *histogram.entry("clean (frame boundary)").or_default() += 1;
        } else {
            let failure = report.first_failure.unwrap();
            assert_eq!(failure.kind, FailureKind::TornTail, "cut {cut}");
            assert_eq!(failure.seq, complete as u64 + 1, "cut {cut}");
            assert_eq!(failure.offset, good_end as u64, "cut {cut}");
            let tail = open_report.torn_tail.unwrap();
            assert_eq!(tail.bytes as usize, cut - good_end);
            let name = format!("journal.torn-{}", complete + 1);
            assert_eq!(
                probe.state().side_files.get(&name).unwrap(),
                &sample.bytes[good_end..cut]
            );
            assert_eq!(records.len(), complete + 1);
            assert_eq!(records[complete].kind, RecordKind::Recovery);
            let event: RecoveryEvent = serde_json::from_slice(&records[complete].payload).unwrap();
            assert_eq!((event.quarantine, event.offset), (name, good_end as u64));
            *histogram
                .entry("recovered (torn tail quarantined)")
                .or_default() += 1;
        }
        let durable = probe.state().durable.clone();
        let after = verify_bytes(&durable);
        assert!(after.ok(), "cut {cut}: {}", after.render());
        assert_eq!(after.head, journal.head());
    }
    assert_eq!(histogram.values().sum::<usize>(), sample.bytes.len() + 1);
    assert_eq!(histogram["clean (frame boundary)"], 7);
    eprintln!("truncation offsets: {histogram:?}");
}

/// Family 5: every single bit flipped is detected, at the right record (or in the header),
/// and a writer never accepts the damaged frame.
#[test]
fn journal_every_bit_flipped() {
    let sample = Sample::new();
    let last = sample.records.last().unwrap().offset as usize;
    let mut flips = 0;
    for at in 0..sample.bytes.len() {
        let seq = sample.seq_at(at);
        for bit in 0..8 {
            let mut bytes = sample.bytes.clone();
            bytes[at] ^= 1 << bit;
            flips += 1;
            let report = verify_bytes(&bytes);
            let failure = report
                .first_failure
                .unwrap_or_else(|| panic!("flip {at}:{bit} undetected"));
            assert_eq!(failure.seq, seq, "flip {at}:{bit}: {failure}");
            let expected = if seq == 0 {
                FailureKind::BadHeader
            } else if last + FRAME_HEADER_LEN <= at {
                // The final frame's payload or payload CRC: indistinguishable from a torn write.
                FailureKind::TornTail
            } else {
                FailureKind::CrcMismatch
            };
            assert_eq!(failure.kind, expected, "flip {at}:{bit}: {failure}");
            if seq != 0 {
                assert_eq!(failure.offset, sample.records[seq as usize - 1].offset);
            }

            let storage = FaultStorage::new(bytes.clone());
            let probe = storage.clone();
            match Journal::open_in(storage) {
                Ok((journal, report)) => {
                    // Only the final frame may be cut off, and it is kept aside.
                    assert_eq!(expected, FailureKind::TornTail, "flip {at}:{bit}");
                    assert_eq!(&journal.records()[..5], &sample.records[..5]);
                    assert_eq!(journal.records()[5].kind, RecordKind::Recovery);
                    assert_eq!(report.torn_tail.unwrap().bytes as usize, bytes.len() - last);
                    assert_eq!(probe.state().side_files["journal.torn-6"], &bytes[last..]);
                }
                Err(JournalError::Corrupt {
                    failure: refused, ..
                }) => {
                    assert_eq!(refused, failure);
                    assert_eq!(
                        probe.state().data,
                        bytes,
                        "flip {at}:{bit}: nothing written"
                    );
                    assert!(probe.state().ops.is_empty());
                }
                Err(err) => panic!("flip {at}:{bit}: {err}"),
            }
        }
    }
    assert_eq!(flips, sample.bytes.len() * 8);
}

/// Family 6: a payload edited with its CRCs recomputed breaks the chain at the next record;
/// the head record's edit is caught against a trusted head.
#[test]
fn journal_edited_payload_with_recomputed_crcs() {
    let sample = Sample::new();
    for record in &sample.records {
        let mut payload = record.payload.clone();
        payload.extend_from_slice(b" edited");
        let forged = frame::encode_frame(
            RecordKind::Transaction,
            record.seq,
            &record.prev_hash,
            &payload,
        );
        let mut bytes = sample.bytes[..record.offset as usize].to_vec();
        bytes.extend_from_slice(&forged);
        for later in record.seq + 1..=6 {
            bytes.extend_from_slice(sample.frame(later));
        }
        let report = verify_bytes(&bytes);
        if record.seq < 6 {
            let failure = report.first_failure.unwrap();
            assert_eq!(
                (failure.kind, failure.seq),
                (FailureKind::ChainBreak, record.seq + 1)
            );
            assert!(matches!(
                Journal::open_in(FaultStorage::new(bytes.clone())),
                Err(JournalError::Corrupt { .. })
            ));
        } else {
            assert!(
                report.ok(),
                "an edit of the head record is invisible without an anchor"
            );
        }
        let head = sample.head();
        let report = verify_bytes_trusted(&bytes, Some((head.seq, head.hash)));
        let failure = report.first_failure.unwrap();
        let expected_kind = if record.seq < 6 {
            FailureKind::ChainBreak
        } else {
            FailureKind::TrustedHeadMismatch
        };
        assert_eq!(failure.kind, expected_kind);
    }
}

/// Family 6: deletions, insertions, reorders and rewrites.
#[test]
fn journal_tamper_suite() {
    let sample = Sample::new();
    let header = &sample.bytes[..FILE_HEADER_LEN];
    let genesis = frame::sha256(header);
    let head = sample.head();
    let trusted = Some((head.seq, head.hash));
    let frames: Vec<&[u8]> = (1..=6).map(|seq| sample.frame(seq)).collect();
    let payloads: Vec<&[u8]> = sample
        .records
        .iter()
        .map(|record| record.payload.as_slice())
        .collect();
    let assemble = |parts: &[&[u8]]| -> Vec<u8> {
        let mut res = header.to_vec();
        for part in parts {
            res.extend_from_slice(part);
        }
        res
    };
    let first_failure = |bytes: &[u8], trusted: Option<(u64, Hash)>| {
        verify_bytes_trusted(bytes, trusted)
            .first_failure
            .map(|failure| (failure.kind, failure.seq))
    };

    // Delete record 3 without renumbering: a gap.
    let deleted = assemble(&[frames[0], frames[1], frames[3], frames[4], frames[5]]);
    assert_eq!(
        first_failure(&deleted, None),
        Some((FailureKind::SeqGap, 3))
    );
    // Delete the last record: only an anchor catches it.
    let cut = assemble(&frames[..5]);
    assert_eq!(first_failure(&cut, None), None);
    assert_eq!(
        first_failure(&cut, trusted),
        Some((FailureKind::TrustedHeadMismatch, 6))
    );
    // Insert a copy of record 2 after it: a regress.
    let duplicated = assemble(&[frames[0], frames[1], frames[1], frames[2]]);
    assert_eq!(
        first_failure(&duplicated, None),
        Some((FailureKind::SeqRegress, 3))
    );
    // Swap records 3 and 4.
    let swapped = assemble(&[
        frames[0], frames[1], frames[3], frames[2], frames[4], frames[5],
    ]);
    assert_eq!(
        first_failure(&swapped, None),
        Some((FailureKind::SeqGap, 3))
    );
    // Insert a forged record with the right seq and prev_hash: the next one breaks the chain.
    let mut inserted = sample.bytes[..sample.records[2].offset as usize].to_vec();
    inserted.extend_from_slice(&chain(sample.records[1].hash, 3, &[b"forged"]));
    for frame in &frames[2..] {
        inserted.extend_from_slice(frame);
    }
    assert_eq!(
        first_failure(&inserted, None),
        Some((FailureKind::SeqRegress, 4))
    );
    // Delete record 3 and renumber and rechain everything after it: consistent, caught only by
    // the anchor (the journal is now shorter than the trusted head).
    let mut renumbered = sample.bytes[..sample.records[2].offset as usize].to_vec();
    renumbered.extend_from_slice(&chain(sample.records[1].hash, 3, &payloads[3..]));
    assert_eq!(first_failure(&renumbered, None), None);
    assert_eq!(
        first_failure(&renumbered, trusted),
        Some((FailureKind::TrustedHeadMismatch, 6))
    );
    // Rewrite the whole chain with an edited record 2: caught at the anchor's seq.
    let mut edited = payloads.clone();
    edited[1] = b"{\"tx\":1,\"facts\":[\"other\"]}";
    let rewritten = assemble(&[&chain(genesis, 1, &edited)]);
    assert_eq!(first_failure(&rewritten, None), None);
    assert_eq!(
        first_failure(&rewritten, trusted),
        Some((FailureKind::TrustedHeadMismatch, 6))
    );
    assert_eq!(
        first_failure(&rewritten, Some((1, sample.records[0].hash))),
        None
    );
    assert_eq!(
        first_failure(&rewritten, Some((2, sample.records[1].hash))),
        Some((FailureKind::TrustedHeadMismatch, 2))
    );
    // Rewrite everything under a new file header (a new journal id): the genesis anchor fails.
    let new_header = frame::new_file_header();
    let mut forged = new_header.clone();
    forged.extend_from_slice(&chain(frame::sha256(&new_header), 1, &payloads));
    assert_eq!(first_failure(&forged, None), None);
    assert_eq!(
        first_failure(&forged, Some((0, genesis))),
        Some((FailureKind::TrustedHeadMismatch, 0))
    );
    assert_eq!(
        first_failure(&forged, trusted),
        Some((FailureKind::TrustedHeadMismatch, 6))
    );
    // Garbage appended after the head: a whole "header" whose CRC fails is corruption; fewer
    // bytes than a header are a torn tail, which a writer quarantines and never uses.
    let mut appended = sample.bytes.clone();
    appended.extend_from_slice(&[0x55; 100]);
    assert_eq!(
        first_failure(&appended, None),
        Some((FailureKind::CrcMismatch, 7))
    );
    let mut short = sample.bytes.clone();
    short.extend_from_slice(&[0x55; 20]);
    assert_eq!(
        first_failure(&short, None),
        Some((FailureKind::TornTail, 7))
    );
    // Every tamper of the middle is refused by a writer.
    for bytes in [&deleted, &duplicated, &swapped, &inserted, &appended] {
        assert!(matches!(
            Journal::open_in(FaultStorage::new(bytes.clone())),
            Err(JournalError::Corrupt { .. })
        ));
    }
}

/// A scripted workload for families 2 and 3: open (maybe with a torn tail to repair), then
/// append records. Returns the acknowledged heads with their payloads, and the error, if any.
fn workload(storage: FaultStorage, appends: usize) -> (Vec<(Head, Vec<u8>)>, Option<JournalError>) {
    let probe = storage.clone();
    let mut acked = Vec::new();
    let (mut journal, report) = match Journal::open_in(storage) {
        Ok(opened) => opened,
        Err(err) => return (acked, Some(err)),
    };
    for head in &report.recoveries {
        let record = journal
            .records()
            .iter()
            .find(|record| record.seq == head.seq)
            .unwrap();
        acked.push((*head, record.payload.clone()));
    }
    for n in 0..appends {
        let payload = format!("{{\"n\":{n}}}").into_bytes();
        match journal.append(RecordKind::Transaction, &payload) {
            Ok(head) => acked.push((head, payload)),
            Err(err) => {
                assert!(journal.is_poisoned(), "{err}");
                let ops = probe.state().ops.len();
                let again = journal
                    .append(RecordKind::Transaction, b"again")
                    .unwrap_err();
                assert!(matches!(again, JournalError::Poisoned));
                assert_eq!(
                    probe.state().ops.len(),
                    ops,
                    "a poisoned writer touches nothing"
                );
                return (acked, Some(err));
            }
        }
    }
    (acked, None)
}

/// Families 2 and 3: fail the k-th write, sync, truncate or quarantine write, once or for
/// good, for every k of the workload; then reopen every state a crash could leave. Every
/// acknowledged record must be there, and the journal must verify.
#[test]
fn journal_io_errors_and_crashes_at_every_operation() {
    let sample = Sample::new();
    let mut torn = sample.bytes.clone();
    torn.extend_from_slice(
        &frame::encode_frame(RecordKind::Transaction, 7, &sample.head().hash, b"half")[..30],
    );
    let mut runs = 0;
    let mut crash_images = 0;
    for start in [sample.bytes.clone(), torn] {
        let clean = FaultStorage::new(start.clone());
        let (_, err) = workload(clean.clone(), 4);
        assert!(err.is_none());
        let total = clean.state().ops.len() as u64;
        assert!(4 * 2 <= total);
        for at in 1..=total + 1 {
            for permanent in [false, true] {
                runs += 1;
                let storage = FaultStorage::new(start.clone());
                storage.inject(Fault { at, permanent });
                let (acked, err) = workload(storage.clone(), 4);
                let state = storage.state().clone();
                if at <= total {
                    let err = err.unwrap_or_else(|| panic!("fault at {at} not reported"));
                    assert_eq!(err.code(), "journal-io", "{err}");
                    assert_eq!(state.failed.len(), 1, "no retry after {:?}", state.failed);
                } else {
                    assert!(err.is_none());
                }
                // The process survived and reopens, or the machine crashed at this moment.
                let mut images = state.crash_images();
                images.push(state.data.clone());
                for image in images {
                    crash_images += 1;
                    let reopened =
                        FaultStorage::with_side_files(image.clone(), state.side_files.clone());
                    let probe = reopened.clone();
                    let (journal, _) = Journal::open_in(reopened)
                        .unwrap_or_else(|err| panic!("fault at {at} ({permanent}): {err}"));
                    for (head, payload) in &acked {
                        let record = &journal.records()[head.seq as usize - 1];
                        assert_eq!(
                            record.hash, head.hash,
                            "fault at {at}: acked record {} lost",
                            head.seq
                        );
                        assert_eq!(&record.payload, payload);
                    }
                    let report = verify_bytes(&probe.state().durable);
                    assert!(report.ok(), "fault at {at}: {}", report.render());
                    assert!(acked.len() as u64 <= report.records);
                    // Every quarantine file is named by a recovery record.
                    let named: BTreeSet<String> = journal
                        .records()
                        .iter()
                        .filter(|record| record.kind == RecordKind::Recovery)
                        .map(|record| {
                            serde_json::from_slice::<RecoveryEvent>(&record.payload)
                                .unwrap()
                                .quarantine
                        })
                        .collect();
                    let files: BTreeSet<String> =
                        probe.state().side_files.keys().cloned().collect();
                    assert_eq!(named, files, "fault at {at} ({permanent})");
                }
            }
        }
    }
    eprintln!("fault runs {runs}, crash images reopened {crash_images}");
}

/// A crash after the torn tail was cut but before the recovery record was written: the next
/// open writes the missing record.
#[test]
fn journal_an_interrupted_recovery_is_completed() {
    let sample = Sample::new();
    let mut torn = sample.bytes.clone();
    torn.extend_from_slice(b"TLFR and then the power went out");
    let storage = FaultStorage::new(torn);
    // Operations: write the quarantine file, truncate, sync, append the record (fails).
    storage.inject(Fault {
        at: 4,
        permanent: true,
    });
    let err = Journal::open_in(storage.clone()).unwrap_err();
    assert_eq!(err.code(), "journal-io");
    let state = storage.state().clone();
    assert_eq!(
        state.ops,
        vec![Op::WriteSideFile, Op::Truncate, Op::Sync, Op::Append]
    );
    assert_eq!(state.durable, sample.bytes);
    let reopened = FaultStorage::with_side_files(state.durable.clone(), state.side_files.clone());
    let (journal, report) = Journal::open_in(reopened).unwrap();
    assert_eq!(report.torn_tail, None);
    assert_eq!(report.recoveries.len(), 1);
    let event: RecoveryEvent = serde_json::from_slice(&journal.records()[6].payload).unwrap();
    assert_eq!(event.quarantine, "journal.torn-7");
    assert!(event.note.is_some());
}

/// Two writers at once: the second waits for the first or gives up with `Locked`; records
/// never interleave.
#[test]
fn journal_two_writers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    drop(Journal::create(&dir).unwrap());

    let (first, _) = Journal::open_write(&dir, Duration::ZERO).unwrap();
    let err = Journal::open_write(&dir, Duration::from_millis(100)).unwrap_err();
    let JournalError::Locked { waited, .. } = &err else {
        panic!("{err}")
    };
    assert!(Duration::from_millis(100) <= *waited);
    drop(first);

    let writers = 4;
    let rounds = 10;
    let barrier = Arc::new(Barrier::new(writers));
    let threads: Vec<_> = (0..writers)
        .map(|writer| {
            let dir = dir.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                for round in 0..rounds {
                    let (mut journal, _) =
                        Journal::open_write(&dir, Duration::from_secs(30)).unwrap();
                    // Two records per session: they must stay adjacent.
                    for part in 0..2 {
                        let payload = format!("{writer}:{round}:{part}");
                        journal
                            .append(RecordKind::Transaction, payload.as_bytes())
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let report = verify(&dir, None).unwrap();
    assert!(report.ok(), "{}", report.render());
    assert_eq!(report.records as usize, writers * rounds * 2);
    let (records, _, _) = Journal::open_read(&dir).unwrap();
    let texts: Vec<String> = records
        .iter()
        .map(|record| String::from_utf8(record.payload.clone()).unwrap())
        .collect();
    for pair in texts.chunks(2) {
        assert_eq!(
            pair[0].strip_suffix(":0"),
            pair[1].strip_suffix(":1"),
            "interleaved: {pair:?}"
        );
    }
    let distinct: BTreeSet<&String> = texts.iter().collect();
    assert_eq!(distinct.len(), texts.len());
}

/// The environment variable that turns [`journal_kill_loop_child`] into the writer of [`journal_kill_loop`].
const CHILD_DIR: &str = "TRACELOG_JOURNAL_KILL_CHILD_DIR";

/// Family 1, the child: appends records forever and prints each acknowledged head. Does
/// nothing unless [`journal_kill_loop`] started it.
#[test]
fn journal_kill_loop_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let (mut journal, _) = Journal::open_write(&dir, Duration::from_secs(10)).unwrap();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let payload = format!(
            "{{\"fact\":\"lot-{}\",\"pad\":\"{}\"}}",
            journal.head().seq,
            "x".repeat(200)
        );
        let head = journal
            .append(RecordKind::Transaction, payload.as_bytes())
            .unwrap();
        let mut out = std::io::stdout().lock();
        std::io::Write::write_all(
            &mut out,
            format!(
                "acked {} {}\n",
                head.seq,
                tracelog::journal::hex(&head.hash)
            )
            .as_bytes(),
        )
        .unwrap();
        std::io::Write::flush(&mut out).unwrap();
    }
}

/// Family 1: a child process appends and is killed with SIGKILL after a random 0-40 ms, 100
/// times. After every kill the journal opens (repairing a torn tail), verifies, and holds
/// every record the child reported as acknowledged.
#[test]
fn journal_kill_loop() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    drop(Journal::create(&dir).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let kills = 100;
    let mut torn_tails = 0;
    for kill in 0..kills {
        let mut child = std::process::Command::new(&exe)
            .args([
                "journal_kill_loop_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, &dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
        // xorshift64: a cheap random delay.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        thread::sleep(Duration::from_micros(seed % 40_000));
        child.kill().unwrap();
        child.wait().unwrap();
        for line in reader.join().unwrap().lines() {
            if let Some(rest) = line.strip_prefix("acked ") {
                let (seq, hash) = rest.split_once(' ').unwrap();
                acked.insert(seq.parse().unwrap(), hash.to_string());
            }
        }
        let (journal, report) = Journal::open_write(&dir, Duration::from_secs(10))
            .unwrap_or_else(|err| panic!("kill {kill}: {err}"));
        if report.torn_tail.is_some() {
            torn_tails += 1;
        }
        for (seq, hash) in &acked {
            let record = &journal.records()[*seq as usize - 1];
            assert_eq!(
                &tracelog::journal::hex(&record.hash),
                hash,
                "kill {kill}: acked record {seq} lost"
            );
        }
        drop(journal);
        let report = verify(&dir, None).unwrap();
        assert!(report.ok(), "kill {kill}: {}", report.render());
        assert_eq!(report.quarantine_files.len() as u64, report.recoveries);
    }
    eprintln!(
        "kills {kills}, acked records {}, torn tails quarantined {torn_tails}",
        acked.len()
    );
}
