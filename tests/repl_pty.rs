//! `tracelog repl` on a pseudo-terminal (rexpect), as an analyst uses it:
//! tab completion of commands, relations, paths and identifiers; a statement
//! typed over several lines; the history file across sessions; Ctrl-C
//! cancelling a long evaluation with the session intact; Ctrl-D leaving.
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use rexpect::process::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

const TIMEOUT_MS: u64 = 30_000;

fn repl(history: &Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracelog"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TRACELOG_DB")
        .env("TERM", "xterm")
        .arg("repl")
        .arg("--history")
        .arg(history);
    let options = Options::new()
        .timeout_ms(Some(TIMEOUT_MS))
        .strip_ansi_escape_codes(false);
    let mut session = spawn_with_options(cmd, options).expect("spawn tracelog repl");
    session.exp_string("Ctrl-D quits").unwrap();
    session
}

/// Typed keys, sent at once (`send` alone buffers them until a newline).
fn keys(session: &mut PtySession, keys: &str) {
    session.send(keys).unwrap();
    session.flush().unwrap();
}

/// Ctrl-D at the prompt ends the session with exit code 0.
fn quit(mut session: PtySession) {
    session.send_control('d').unwrap();
    let status = session.process().wait().unwrap();
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
}

#[test]
fn tab_completes_commands_relations_paths_and_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = repl(&dir.path().join("history"));
    session.send_line("lot(\"LOT-777\", 12).").unwrap();
    session.exp_string("added 1 fact").unwrap();
    // The command name, then the relation name.
    // Each key waits for the line to be redrawn, as a typist would.
    keys(&mut session, ":sch\t");
    session.exp_string(":schema").unwrap();
    keys(&mut session, " lo\t");
    session.exp_string(":schema lot").unwrap();
    keys(&mut session, "\r");
    session
        .exp_string(".decl lot(_0: symbol, _1: number)")
        .unwrap();
    // A file path.
    keys(&mut session, ":load tests/fixtures/repl/genea\t");
    session.exp_string("genealogy.dl").unwrap();
    keys(&mut session, "\r");
    session
        .exp_string("loaded tests/fixtures/repl/genealogy.dl")
        .unwrap();
    // An identifier the session knows, after :why.
    keys(&mut session, ":why LOT-7\t");
    session.exp_string(":why LOT-777").unwrap();
    keys(&mut session, "\r");
    // Not an atom: `:why` names the problem.
    session.exp_string("expected `(`").unwrap();
    quit(session);
}

#[test]
fn a_statement_typed_over_several_lines_runs_when_it_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = repl(&dir.path().join("history"));
    session.send_line("edge(1, 2). edge(2, 3).").unwrap();
    session.exp_string("added 1 fact").unwrap();
    session.exp_string("added 1 fact").unwrap();
    session.send_line("path(x, y) :-").unwrap();
    session.exp_string("path(x, y) :-").unwrap();
    session.send_line("   edge(x, y),").unwrap();
    session.exp_string("edge(x, y),").unwrap();
    session.send_line("   x < 2.").unwrap();
    let before = session.exp_string("program: 2 relations, 1 rule").unwrap();
    assert!(!before.contains("error"), "{before}");
    session.send_line("?- path(X,").unwrap();
    session.exp_string("?- path(X,").unwrap();
    session.send_line("  Y).").unwrap();
    session.exp_string("(1 row)").unwrap();
    quit(session);
}

#[test]
fn history_is_kept_across_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let mut session = repl(&history);
    session.send_line(":help timing").unwrap();
    session.exp_string("show or hide the elapsed time").unwrap();
    quit(session);
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(saved.contains(":help timing"), "{saved}");

    let mut session = repl(&history);
    // Up arrow, then Enter: the previous session's last input again.
    keys(&mut session, "\x1b[A");
    session.exp_string(":help timing").unwrap();
    keys(&mut session, "\r");
    session.exp_string("show or hide the elapsed time").unwrap();
    quit(session);
}

#[test]
fn ctrl_c_cancels_a_long_evaluation_and_keeps_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = repl(&dir.path().join("history"));
    session.send_line("n(0).").unwrap();
    session.exp_string("added 1 fact").unwrap();
    // About 10^9 rounds: far longer than the test.
    session
        .send_line("n(x + 1) :- n(x), x < 1000000000.")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    session.send_control('c').unwrap();
    session.exp_string("error[cancelled]").unwrap();
    // The rule was not added: n still holds only its fact.
    session.send_line("?- n(X).").unwrap();
    session.exp_string("(1 row)").unwrap();
    session.send_line(":rules").unwrap();
    session.exp_string("no rules").unwrap();
    // Ctrl-C at the prompt only clears the line.
    keys(&mut session, "?- n(");
    session.exp_string("?- n(").unwrap();
    session.send_control('c').unwrap();
    session.exp_string("tracelog> ").unwrap();
    session.send_line("?- n(X).").unwrap();
    session.exp_string("(1 row)").unwrap();
    quit(session);
}
