//! The kill loop (RELIABILITY.md, family 1): `tracelog add` processes are
//! SIGKILLed at random moments, some while opening, most while writing.
//! After every kill the database opens, everything it acknowledged is there
//! with its facts, and `verify` finds nothing worse than the unacknowledged
//! torn tail, which the next writer moves aside and records.
//!
//! `TRACELOG_KILLS` sets the number of kills (default 100).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn tracelog() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("tracelog"));
    cmd.env("TRACELOG_USER", "kill.loop")
        .env_remove("TRACELOG_DB");
    cmd
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn rows(round: usize, n: usize) -> String {
    (0..n)
        .map(|idx| format!("K{round}-{idx}\tB-{round}\n"))
        .collect()
}

/// Runs one `add` of `n` rows; kills it after `delay` unless `None`.
/// Returns the acknowledged seq, if the process printed one.
fn add(db: &Path, round: usize, n: usize, delay: Option<Duration>) -> Option<u64> {
    let mut child = tracelog()
        .args([
            "add",
            "-",
            "--relation",
            "consumed",
            "--format",
            "tsv",
            "--db",
        ])
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = rows(round, n);
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    if let Some(delay) = delay {
        std::thread::sleep(delay);
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    let _ = feeder.join();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let seq = stdout
        .split("recorded transaction ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|seq| seq.parse().ok());
    if delay.is_none() {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    seq
}

fn log(db: &Path) -> serde_json::Value {
    let out = tracelog()
        .args(["log", "--json", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the database must open after a kill: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn killed_writers_lose_nothing_they_acknowledged() {
    let kills: usize = std::env::var("TRACELOG_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let status = tracelog()
        .args(["db", "init", "--db"])
        .arg(&db)
        .status()
        .unwrap();
    assert!(status.success());
    const ROWS: usize = 1000;
    // How long one add takes here, so kills land across its whole run.
    let start = Instant::now();
    let first = add(&db, 0, ROWS, None);
    let span = start.elapsed().as_micros() as u64;
    let mut acked: BTreeMap<u64, usize> = BTreeMap::new();
    acked.insert(first.expect("an add that is not killed is acknowledged"), 0);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut outcomes = [0usize; 3]; // acknowledged, killed before ack, torn tail left
    for round in 1..=kills {
        // One kill in ten lands early, while the process starts and opens the journal.
        let upper = if round % 10 == 0 {
            span / 4
        } else {
            span * 5 / 4
        };
        let delay = Duration::from_micros(rng.below(upper.max(1)));
        match add(&db, round, ROWS, Some(delay)) {
            Some(seq) => {
                outcomes[0] += 1;
                acked.insert(seq, round);
            }
            None => outcomes[1] += 1,
        }
        let log = log(&db);
        let transactions = log["transactions"].as_array().unwrap();
        for (&seq, &acked_round) in &acked {
            let tx = transactions
                .iter()
                .find(|tx| tx["seq"] == seq)
                .unwrap_or_else(|| {
                    panic!("acknowledged transaction {seq} lost after kill {round}")
                });
            assert_eq!(
                tx["asserted"], ROWS,
                "transaction {seq} of round {acked_round}"
            );
        }
        let verify = tracelog()
            .args(["verify", "--json", "--db"])
            .arg(&db)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
        if report["result"] != "pass" {
            assert_eq!(
                report["first_failure"]["kind"], "torn-tail",
                "after kill {round} only an unfinished write may be reported: {report:#}"
            );
            outcomes[2] += 1;
        }
    }
    // One more writer recovers whatever the last kill left, and everything verifies.
    let last = add(&db, kills + 1, 10, None).unwrap();
    acked.insert(last, kills + 1);
    let verify = tracelog()
        .args(["verify", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(report["result"], "pass", "{report:#}");
    let log = log(&db);
    let transactions = log["transactions"].as_array().unwrap();
    for seq in acked.keys() {
        assert!(
            transactions.iter().any(|tx| tx["seq"] == *seq),
            "lost {seq}"
        );
    }
    // Every torn tail was moved aside (never deleted) and its recovery recorded.
    let recoveries = transactions
        .iter()
        .filter(|tx| tx["kind"] == "recovery")
        .count();
    let quarantined = report["quarantine_files"].as_array().unwrap().len();
    assert_eq!(recoveries, quarantined);
    println!(
        "kills {kills}: acknowledged before the kill {}, killed before acknowledging {}, torn tails seen {}, recoveries recorded {recoveries}",
        outcomes[0], outcomes[1], outcomes[2]
    );
}
