//! Unit tests of the journal on real files: create, append, open, verify, recovery, errors.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::time::Duration;

use crate::journal::fault::{Fault, FaultStorage};
use crate::journal::{
    FailureKind, Journal, JournalError, RecordKind, RecoveryEvent, frame, verify, verify_bytes,
};

fn payloads(journal_records: &[crate::journal::Record]) -> Vec<Vec<u8>> {
    journal_records
        .iter()
        .map(|record| record.payload.clone())
        .collect()
}

#[test]
fn create_append_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut journal = Journal::create(&dir).unwrap();
    let genesis = journal.head();
    assert_eq!(genesis.seq, 0);
    let bytes = fs::read(dir.join("journal")).unwrap();
    assert_eq!(genesis.hash, frame::sha256(&bytes));
    let h1 = journal
        .append(RecordKind::Transaction, b"{\"a\":1}")
        .unwrap();
    let h2 = journal.append(RecordKind::Transaction, b"").unwrap();
    assert_eq!((h1.seq, h2.seq), (1, 2));
    assert_eq!(journal.records().len(), 2);
    drop(journal);

    let (records, head, report) = Journal::open_read(&dir).unwrap();
    assert_eq!(head, h2);
    assert_eq!(report.torn_tail, None);
    assert_eq!(payloads(&records), vec![b"{\"a\":1}".to_vec(), Vec::new()]);
    assert_eq!(records[0].prev_hash, genesis.hash);
    assert_eq!(records[1].prev_hash, h1.hash);
    assert_eq!(records[1].hash, h2.hash);
    assert_eq!(records[0].offset, frame::FILE_HEADER_LEN as u64);

    let (mut journal, report) = Journal::open_write(&dir, Duration::ZERO).unwrap();
    assert!(report.recoveries.is_empty());
    assert_eq!(journal.head(), h2);
    assert_eq!(journal.records(), &records[..]);
    let h3 = journal.append(RecordKind::Transaction, b"three").unwrap();
    assert_eq!(journal.records()[2].hash, h3.hash);
    drop(journal);

    let report = verify(&dir, Some((1, h1.hash))).unwrap();
    assert!(report.ok(), "{}", report.render());
    assert_eq!(
        (report.records, report.transactions, report.head),
        (3, 3, h3)
    );
    assert!(report.render().contains("RESULT PASS"));
}

#[test]
fn create_refuses_a_non_empty_directory_and_accepts_an_empty_one() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("x"), b"x").unwrap();
    let err = Journal::create(tmp.path()).unwrap_err();
    assert!(matches!(err, JournalError::AlreadyExists { .. }), "{err}");
    assert_eq!(err.code(), "database-exists");
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    Journal::create(&empty).unwrap();
    assert!(empty.join("journal").is_file());
    assert!(!empty.join("journal.tmp").exists());
}

#[test]
fn opening_a_directory_without_journal_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Journal::open_write(tmp.path(), Duration::ZERO).unwrap_err();
    assert!(matches!(err, JournalError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("tracelog db init"));
    let err = Journal::open_read(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "not-a-database");
    assert!(matches!(
        verify(tmp.path(), None),
        Err(JournalError::NotADatabase { .. })
    ));
}

#[test]
fn torn_tail_is_quarantined_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut journal = Journal::create(&dir).unwrap();
    journal.append(RecordKind::Transaction, b"one").unwrap();
    let h2 = journal.append(RecordKind::Transaction, b"two").unwrap();
    let good = fs::read(dir.join("journal")).unwrap();
    // A crash in the middle of appending record 3: half a frame reached the disk.
    let third = frame::encode_frame(RecordKind::Transaction, 3, &h2.hash, b"three");
    drop(journal);
    let torn = &third[..third.len() / 2];
    OpenOptions::new()
        .append(true)
        .open(dir.join("journal"))
        .unwrap()
        .write_all(torn)
        .unwrap();

    let report = verify(&dir, None).unwrap();
    let failure = report.first_failure.clone().unwrap();
    assert_eq!(
        (failure.kind, failure.seq, failure.offset),
        (FailureKind::TornTail, 3, good.len() as u64)
    );
    assert!(
        report
            .render()
            .contains("RESULT FAIL  torn-tail at record 3"),
        "{}",
        report.render()
    );

    // Readers ignore it, never fail on it.
    let (records, head, report) = Journal::open_read(&dir).unwrap();
    assert_eq!((records.len(), head), (2, h2));
    let tail = report.torn_tail.unwrap();
    assert_eq!(
        (tail.seq, tail.offset, tail.bytes, tail.quarantine),
        (3, good.len() as u64, torn.len() as u64, None)
    );

    // The writer repairs it.
    let (journal, report) = Journal::open_write(&dir, Duration::ZERO).unwrap();
    let tail = report.torn_tail.unwrap();
    assert_eq!(tail.quarantine, Some(dir.join("journal.torn-3")));
    assert_eq!(fs::read(dir.join("journal.torn-3")).unwrap(), torn);
    assert_eq!(report.recoveries.len(), 1);
    assert_eq!(journal.head().seq, 3);
    let recovery = &journal.records()[2];
    assert_eq!(recovery.kind, RecordKind::Recovery);
    let event: RecoveryEvent = serde_json::from_slice(&recovery.payload).unwrap();
    assert_eq!(event.kind, "torn-tail");
    assert_eq!(event.quarantine, "journal.torn-3");
    assert_eq!(
        (event.bytes, event.offset),
        (torn.len() as u64, good.len() as u64)
    );
    assert!(event.detected_at.ends_with('Z'));
    let text = String::from_utf8(recovery.payload.clone()).unwrap();
    assert!(
        text.starts_with("{\"kind\":\"torn-tail\",\"quarantine\":\"journal.torn-3\",\"bytes\":"),
        "{text}"
    );
    drop(journal);

    let now = fs::read(dir.join("journal")).unwrap();
    assert!(now.starts_with(&good));
    let report = verify(&dir, None).unwrap();
    assert!(report.ok(), "{}", report.render());
    assert_eq!((report.records, report.recoveries), (3, 1));
    assert_eq!(report.quarantine_files, vec![dir.join("journal.torn-3")]);
}

#[test]
fn damage_before_the_end_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut journal = Journal::create(&dir).unwrap();
    for n in 0..3 {
        journal
            .append(RecordKind::Transaction, format!("record {n}").as_bytes())
            .unwrap();
    }
    let second = journal.records()[1].offset as usize;
    drop(journal);
    let path = dir.join("journal");
    let mut bytes = fs::read(&path).unwrap();
    bytes[second + frame::FRAME_HEADER_LEN + 2] ^= 0x10;
    fs::write(&path, &bytes).unwrap();

    let err = Journal::open_write(&dir, Duration::ZERO).unwrap_err();
    assert_eq!(err.code(), "journal-corrupt");
    let JournalError::Corrupt { failure, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (failure.kind, failure.seq, failure.offset),
        (FailureKind::CrcMismatch, 2, second as u64)
    );
    assert!(
        err.to_string().contains("crc-mismatch at record 2"),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
    assert!(matches!(
        Journal::open_read(&dir),
        Err(JournalError::Corrupt { .. })
    ));
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_second_writer_gets_locked_and_readers_do_not_wait() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut journal = Journal::create(&dir).unwrap();
    journal.append(RecordKind::Transaction, b"x").unwrap();
    let err = Journal::open_write(&dir, Duration::from_millis(50)).unwrap_err();
    assert_eq!(err.code(), "database-locked");
    assert!(
        err.to_string()
            .contains("another tracelog process is writing to"),
        "{err}"
    );
    let (records, _, _) = Journal::open_read(&dir).unwrap();
    assert_eq!(records.len(), 1);
    drop(journal);
    Journal::open_write(&dir, Duration::ZERO).unwrap();
}

#[test]
fn a_failed_sync_poisons_the_writer() {
    let storage = FaultStorage::new(Vec::new());
    let probe = storage.clone();
    let mut journal = Journal::create_in(storage).unwrap();
    let acked = journal.append(RecordKind::Transaction, b"acked").unwrap();
    let done = probe.state().ops.len() as u64;
    // Operation done+1 is the append, done+2 its sync.
    probe.inject(Fault {
        at: done + 2,
        permanent: false,
    });
    let err = journal
        .append(RecordKind::Transaction, b"lost")
        .unwrap_err();
    assert_eq!(err.code(), "journal-io");
    assert!(journal.is_poisoned());
    assert_eq!(journal.head(), acked);
    let err = journal
        .append(RecordKind::Transaction, b"later")
        .unwrap_err();
    assert!(matches!(err, JournalError::Poisoned));
    // No retry: the failed sync was the last operation.
    assert_eq!(probe.state().ops.len() as u64, done + 2);
    let durable = probe.state().durable.clone();
    let report = verify_bytes(&durable);
    assert!(report.ok());
    assert_eq!(report.head, acked);
}

#[test]
fn too_large_a_record_is_refused_without_poisoning() {
    let mut journal = Journal::create_in(FaultStorage::new(Vec::new())).unwrap();
    let big = vec![0u8; frame::MAX_PAYLOAD as usize + 1];
    let err = journal.append(RecordKind::Transaction, &big).unwrap_err();
    assert_eq!(err.code(), "record-too-large");
    assert!(!journal.is_poisoned());
    journal.append(RecordKind::Transaction, b"small").unwrap();
}
