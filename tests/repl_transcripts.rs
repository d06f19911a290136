//! Transcript tests of `tracelog repl` without a terminal: each
//! tests/fixtures/repl/*.txt is piped into the binary as a script (run in
//! that directory) and the exit code with the merged stdout and stderr is
//! an insta snapshot. Leading comment lines set the case up:
//! `// args: ...` are the command line arguments after `repl`, and
//! `// import: FILE` imports an EPCIS document into a fresh database first.
//! `$DB` (that database) and `$TMP` (a scratch directory) are replaced in the
//! arguments and the script, and shown as `[DB]` and `[TMP]`.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

fn tracelog(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracelog"));
    cmd.current_dir(dir)
        .env_remove("TRACELOG_DB")
        .env("TRACELOG_USER", "qa")
        .env("HOME", dir.join("no-home"));
    cmd
}

fn pragma<'a>(script: &'a str, key: &str) -> Vec<&'a str> {
    script
        .lines()
        .take_while(|line| line.starts_with("//"))
        .filter_map(|line| line.strip_prefix("//")?.trim().strip_prefix(key))
        .map(str::trim)
        .collect()
}

fn run_transcript(path: &Path) -> String {
    let dir = path.parent().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let scratch = tmp.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let expand = |text: &str| {
        text.replace("$DB", db.to_str().unwrap())
            .replace("$TMP", scratch.to_str().unwrap())
    };
    let script = expand(&std::fs::read_to_string(path).unwrap());
    for document in pragma(&script, "import:") {
        let status = tracelog(dir)
            .args(["import", "epcis", document, "--db"])
            .arg(&db)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "importing {document}");
    }
    let args: Vec<String> = pragma(&script, "args:")
        .iter()
        .flat_map(|line| line.split_whitespace().map(str::to_owned))
        .collect();
    let out_path = tmp.path().join("out.txt");
    let out = File::create(&out_path).unwrap();
    let script_path = tmp.path().join("script.txt");
    std::fs::write(&script_path, &script).unwrap();
    let status = tracelog(dir)
        .arg("repl")
        .args(&args)
        .stdin(File::open(&script_path).unwrap())
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .status()
        .unwrap();
    let output = std::fs::read_to_string(&out_path).unwrap();
    format!("exit: {}\n{}", status.code().unwrap_or(-1), output)
        .replace(scratch.to_str().unwrap(), "[TMP]")
        .replace(db.to_str().unwrap(), "[DB]")
}

#[test]
fn repl() {
    insta::glob!("fixtures/repl/*.txt", |path| {
        let transcript = run_transcript(path);
        insta::with_settings!({
            omit_expression => true,
            prepend_module_to_snapshot => false,
            filters => vec![
                (r"[0-9a-f]{64}", "[SHA256]"),
                (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "[TIME]"),
                (r"\(\d+\.\d s, once\)", "([SECONDS] s, once)"),
            ],
        }, {
            insta::assert_snapshot!(transcript);
        });
    });
}

/// `:recall` writes the report as `tracelog recall` does (its summary
/// depends on whether Graphviz is installed, so it is not a snapshot).
#[test]
fn recall_writes_the_report_of_the_session_database() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repl");
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let status = tracelog(&dir)
        .args(["import", "epcis", "../trace/chain.jsonld", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let out = tmp.path().join("report");
    let mut child = tracelog(&dir)
        .args(["repl", "--db"])
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = format!(
        ":recall urn:epc:class:lgtin:9521141.001234.LOT-A --out {}\n:recall nothing-known --out {}\n",
        out.display(),
        tmp.path().join("other").display()
    );
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains("recall of urn:epc:class:lgtin:9521141.001234.LOT-A"),
        "{stdout}"
    );
    assert!(out.join("report.json").is_file(), "{stdout}{stderr}");
    // The second recall names nothing known: the script fails.
    assert!(stderr.contains("unknown-object"), "{stderr}");
    assert_eq!(output.status.code(), Some(1));
}
