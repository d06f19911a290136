//! This module computes tab completions from the command table and the
//! session: command names after `:`, each command's argument kind (relation
//! names, file paths, identifiers the database knows, fixed words), and
//! relation names inside statements.

use std::path::Path;

use super::command::{self, Completion};
use super::session::Session;

/// Identifiers offered at most (a database may know millions).
const MAX_IDENTIFIERS: usize = 200;

/// The start of the word being completed and the candidates for it.
pub fn complete(line: &str, pos: usize, session: &Session) -> (usize, Vec<String>) {
    let pos = pos.min(line.len());
    let before = &line[..floor_char_boundary(line, pos)];
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || "(),;!".contains(*c))
        .map_or(0, |(idx, c)| idx + c.len_utf8());
    let word = &before[start..];
    let trimmed = before.trim_start();
    if !trimmed.starts_with(':') {
        // In a statement: relation names.
        return (start, starting_with(session.relation_names(), word));
    }
    let args_start = trimmed.find(char::is_whitespace);
    let Some(args_start) = args_start else {
        // The command name itself.
        return (
            start,
            command::names_starting_with(word.trim_start_matches(':')),
        );
    };
    let (name, _) = command::split(trimmed);
    let Some(command) = command::find(name) else {
        return (start, Vec::new());
    };
    let n_args_before =
        trimmed[args_start..].split_whitespace().count() - usize::from(!word.is_empty());
    let candidates = match command.completion {
        Completion::Nothing => Vec::new(),
        Completion::Path => paths(word),
        Completion::Relation if n_args_before == 0 => starting_with(session.relation_names(), word),
        // `:export REL FILE`: the second argument is a file.
        Completion::Relation if command.name == "export" => paths(word),
        Completion::Relation => Vec::new(),
        Completion::Identifier => session.symbols_starting_with(word, MAX_IDENTIFIERS),
        Completion::Command => command::names_starting_with(word.trim_start_matches(':'))
            .into_iter()
            .map(|name| name.trim_start_matches(':').to_owned())
            .collect(),
        Completion::Words(words) if n_args_before == 0 => {
            starting_with(words.iter().map(|word| (*word).to_owned()).collect(), word)
        }
        // `:trace forward ID...`: identifiers after the direction.
        Completion::Words(_) if command.name == "trace" => {
            session.symbols_starting_with(word, MAX_IDENTIFIERS)
        }
        Completion::Words(_) => Vec::new(),
    };
    (start, candidates)
}

fn starting_with(candidates: Vec<String>, prefix: &str) -> Vec<String> {
    candidates
        .into_iter()
        .filter(|candidate| candidate.starts_with(prefix))
        .collect()
}

/// File and directory names completing `word` (directories end with `/`).
fn paths(word: &str) -> Vec<String> {
    let (dir, prefix) = match word.rfind('/') {
        Some(idx) => (&word[..=idx], &word[idx + 1..]),
        None => ("", word),
    };
    let listed = if dir.is_empty() {
        Path::new(".")
    } else {
        Path::new(dir)
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if entry.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    found.sort();
    found
}

fn floor_char_boundary(text: &str, mut pos: usize) -> usize {
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Limits;
    use crate::repl::session::Origin;

    fn session() -> Session {
        let mut session = Session::open(None, &[], Limits::default()).unwrap();
        let origin = Origin {
            name: "<test>".into(),
            line: 1,
        };
        let reply = session.statement("shipped(\"LOT-1\", \"DC-7\").", &origin);
        assert!(!reply.failed, "{}", reply.err);
        let reply = session.statement("shipment(\"S-1\").", &origin);
        assert!(!reply.failed, "{}", reply.err);
        session
    }

    fn candidates(line: &str) -> Vec<String> {
        complete(line, line.len(), &session()).1
    }

    #[test]
    fn commands_then_their_arguments() {
        assert_eq!(candidates(":qu"), [":quit"]);
        assert_eq!(candidates(":re"), [":retract", ":relations", ":recall"]);
        assert_eq!(candidates(":schema ship"), ["shipment", "shipped"]);
        assert_eq!(candidates(":timing o"), ["on", "off"]);
        assert_eq!(candidates(":trace f"), ["forward"]);
        assert_eq!(candidates(":trace forward LOT"), ["LOT-1"]);
        assert_eq!(candidates(":why DC"), ["DC-7"]);
        assert_eq!(candidates(":help sch"), ["schema"]);
        assert!(candidates(":relations x").is_empty());
        assert!(candidates(":nope x").is_empty());
    }

    #[test]
    fn relation_names_in_statements_and_paths_for_files() {
        assert_eq!(candidates("?- a(X), shipm"), ["shipment"]);
        let (start, found) = complete(":load src/repl/comp", 19, &session());
        assert_eq!(start, 6);
        assert_eq!(found, ["src/repl/complete.rs"]);
        assert_eq!(
            candidates(":export shipped src/repl/ou"),
            ["src/repl/output.rs"]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any line and cursor position: no panic.
        #[test]
        fn any_line_completes_without_panic(line in "[:a-z \u{3000}é(),.\"/!-]{0,24}", pos in 0usize..40) {
            let session = session();
            let _ = complete(&line, pos, &session);
        }
    }
}
