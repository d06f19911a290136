//! This module defines opening a journal for appending, with the repair of a torn tail.
//!
//! The steps, each durable before the next: copy the torn bytes to a new quarantine file
//! (file and directory synced), cut the journal to the last good frame (synced), append a
//! [`RecordKind::Recovery`] record. A crash between the last two leaves a quarantine file no
//! record names; the next open finds it and appends the missing record.

use chrono::{SecondsFormat, Utc};

use crate::journal::storage::Storage;
use crate::journal::verify;
use crate::journal::{
    FailureKind, Journal, JournalError, OpenReport, QUARANTINE_PREFIX, RecordKind, RecoveryEvent,
    TornTail,
};

pub(crate) fn open<S: Storage>(mut storage: S) -> Result<(Journal<S>, OpenReport), JournalError> {
    let path = storage.path().to_path_buf();
    let io = |op: &'static str| {
        let path = path.clone();
        move |source| JournalError::Io { path, op, source }
    };
    let bytes = storage.read_all().map_err(io("read"))?;
    let mut records = Vec::new();
    let scan = verify::scan(&bytes, None, &mut |frame| records.push(frame.to_record()));
    let mut report = OpenReport::default();
    let mut pending = Vec::new();
    match scan.failure {
        None => (),
        Some(failure) if failure.kind == FailureKind::TornTail => {
            let torn = &bytes[failure.offset as usize..];
            let name = quarantine(&mut storage, failure.seq, torn)?;
            storage.truncate(failure.offset).map_err(io("truncate"))?;
            storage.sync_data().map_err(io("sync"))?;
            report.torn_tail = Some(TornTail {
                seq: failure.seq,
                offset: failure.offset,
                bytes: torn.len() as u64,
                reason: failure.actual.clone().unwrap_or_default(),
                quarantine: Some(storage.side_path(&name)),
            });
            pending.push(RecoveryEvent {
                kind: "torn-tail".to_string(),
                quarantine: name,
                bytes: torn.len() as u64,
                offset: failure.offset,
                detected_at: now(),
                note: None,
            });
        }
        Some(failure) => return Err(JournalError::Corrupt { path, failure }),
    }

    // Quarantine files for the next position that no record names: a crash interrupted
    // their recovery after the cut. Record them first.
    let named: Vec<String> = records
        .iter()
        .filter(|record| record.kind == RecordKind::Recovery)
        .filter_map(|record| serde_json::from_slice::<RecoveryEvent>(&record.payload).ok())
        .map(|event| event.quarantine)
        .collect();
    let next = format!("{QUARANTINE_PREFIX}{}", scan.head.seq + 1);
    let mut orphans = Vec::new();
    for name in storage.side_files().map_err(io("list the files next to"))? {
        let for_next = name == next
            || name
                .strip_prefix(&next)
                .is_some_and(|rest| rest.starts_with('.'));
        if for_next
            && !named.contains(&name)
            && !pending.iter().any(|event| event.quarantine == name)
        {
            let size = match storage
                .read_side_file(&name)
                .map_err(io("read a quarantine file next to"))?
            {
                Some(bytes) => bytes.len() as u64,
                None => continue,
            };
            orphans.push(RecoveryEvent {
                kind: "torn-tail".to_string(),
                quarantine: name,
                bytes: size,
                offset: scan.good_end,
                detected_at: now(),
                note: Some(
                    "completes a recovery interrupted after the journal was cut".to_string(),
                ),
            });
        }
    }
    orphans.append(&mut pending);

    let mut journal = Journal {
        storage,
        records,
        head: scan.head,
        end: scan.good_end,
        poisoned: false,
        _lock: None,
    };
    for event in orphans {
        let payload = serde_json::to_vec(&event).expect("a recovery event serializes");
        let head = journal.append(RecordKind::Recovery, &payload)?;
        report.recoveries.push(head);
    }
    Ok((journal, report))
}

/// Puts the torn bytes in a quarantine file and returns its name: `journal.torn-<seq>`, or
/// `journal.torn-<seq>.<n>` if that name holds other bytes. A file with the same bytes (left
/// by an interrupted recovery) is reused.
fn quarantine<S: Storage>(storage: &mut S, seq: u64, torn: &[u8]) -> Result<String, JournalError> {
    let base = format!("{QUARANTINE_PREFIX}{seq}");
    for n in 1..=1000 {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base}.{n}")
        };
        let existing = storage
            .read_side_file(&name)
            .map_err(|source| JournalError::Io {
                path: storage.side_path(&name),
                op: "read",
                source,
            })?;
        match existing {
            Some(bytes) if bytes == torn => return Ok(name),
            Some(_) => continue,
            None => {
                storage
                    .write_side_file(&name, torn)
                    .map_err(|source| JournalError::Io {
                        path: storage.side_path(&name),
                        op: "write the quarantine file",
                        source,
                    })?;
                return Ok(name);
            }
        }
    }
    Err(JournalError::Io {
        path: storage.side_path(&base),
        op: "find a free name for the quarantine file",
        source: std::io::Error::other("a thousand quarantine files for one record"),
    })
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}
