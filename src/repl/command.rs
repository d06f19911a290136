//! This module is the REPL's one command table: each command's name, its
//! arguments, a one-line help for `:help`, a longer help for `:help CMD`, and
//! what tab completion offers for its arguments. Dispatch, help and
//! completion all read this table, so a command cannot exist in one and be
//! missing from another.

/// What completion offers for a command's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Nothing (free text).
    Nothing,
    /// File and directory names.
    Path,
    /// Names of the session's relations.
    Relation,
    /// Identifiers the database knows (symbols), after `:trace` and `:why`.
    Identifier,
    /// The names of the commands (for `:help`).
    Command,
    /// A fixed list of words for the first argument.
    Words(&'static [&'static str]),
}

/// One REPL command.
#[derive(Clone, Copy, Debug)]
pub struct Command {
    /// Without the colon.
    pub name: &'static str,
    /// The arguments as `:help` shows them.
    pub args: &'static str,
    pub summary: &'static str,
    pub help: &'static str,
    pub completion: Completion,
}

/// Every command, in the order `:help` lists them.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "help",
        args: "[CMD]",
        summary: "list the commands, or explain one",
        help: "`:help` lists every command with one line each; `:help CMD` (with or without the \
               colon) explains one.\nStatements in the language are typed as they are: facts \
               `a(1).`, rules `r(x) :- a(x).`, declarations `.decl a(x: number)` and queries \
               `?- r(X).`; a statement may span several lines and ends at its final `.`.",
        completion: Completion::Command,
    },
    Command {
        name: "load",
        args: "FILE",
        summary: "add the rules and facts of a program file to the session",
        help: "Reads FILE (with its `.include`s; `.include \"recall.dl\"` finds the shipped rule \
               sets) and adds its statements to the session's program, which is checked as a \
               whole. Only what the file can change is evaluated: the relations downstream of \
               the relations it adds rules to (or declares, or gives directives) are computed \
               again, the others are kept as they are. Without --db its `.input` relations are \
               read from the current directory (a file with new `.input`s evaluates everything \
               again). The answers of the file's queries are printed. A file that does not check \
               changes nothing.",
        completion: Completion::Path,
    },
    Command {
        name: "import",
        args: "epcis FILE...",
        summary: "import EPCIS documents into the database (needs --db)",
        help: "Records the events and master data of GS1 EPCIS 2.0 JSON / JSON-LD or 1.2/2.0 \
               XML documents in the database, one transaction per file (as `tracelog import \
               epcis`, recorded by the REPL's --as user), then brings the session's relations \
               up to date incrementally. Ctrl-C stops it before the next transaction: the file \
               being read is read to its end and not recorded, the files before it stay \
               recorded.",
        completion: Completion::Path,
    },
    Command {
        name: "add",
        args: "FACT... [--reason TEXT]",
        summary: "record facts in the database (with --db), else add them to the session",
        help: "With --db: `:add lot(\"L-1\"). --reason \"found on site\"` records the facts in \
               the database's journal as one transaction (channel `repl`, by the REPL's --as \
               user or $TRACELOG_USER, the typed text as its source, the optional reason), as \
               `tracelog add` does, and the session follows incrementally; each fact must fit a \
               relation of the program. Facts typed without `:add` stay in the session only: \
               they are never written to the journal and `:retract` removes them. Without a \
               database `:add` is the same as typing the facts. A fact of a relation the \
               program already has takes effect incrementally (an engine update).",
        completion: Completion::Relation,
    },
    Command {
        name: "retract",
        args: "FACT...",
        summary: "remove facts that were added in this session",
        help: "`:retract lot(\"L-1\").` removes facts typed in the session (or `:add`ed \
               without a database), incrementally (an engine update: delete and re-derive). \
               Facts of the database, `:add`ed ones included, are retracted with `tracelog \
               retract`, which records the reason.",
        completion: Completion::Relation,
    },
    Command {
        name: "relations",
        args: "",
        summary: "list the relations with their sizes",
        help: "One row per relation of the program: its name, columns, number of tuples, and \
               whether rules derive it.",
        completion: Completion::Nothing,
    },
    Command {
        name: "schema",
        args: "REL",
        summary: "show a relation's columns and types",
        help: "Prints the relation as a `.decl` (column names and types) and where it is \
               declared or first used.",
        completion: Completion::Relation,
    },
    Command {
        name: "rules",
        args: "[REL]",
        summary: "show the rules, or those deriving REL",
        help: "Prints each rule of the program as written, with its file and line; with REL only \
               the rules whose head is REL.",
        completion: Completion::Relation,
    },
    Command {
        name: "why",
        args: "ATOM",
        summary: "explain how a tuple was derived: its shortest proof",
        help: "`:why lot_affected(\"L-2\")` prints the shortest proof of the tuple as `tracelog \
               explain` does: the rule instance that derived it, with its variables' values, \
               down to the facts; with --db each fact of the database shows the transaction \
               that recorded it (time, principal, source file). Provenance (the round in which \
               each tuple was derived) is recorded without a database from the start; with \
               --db from the first `:why` on, which evaluates the program once more with it \
               (the relations are restored from a saved evaluation, which has no provenance, so \
               the first question stays fast). Tab completes the identifiers the session knows.",
        completion: Completion::Identifier,
    },
    Command {
        name: "whynot",
        args: "ATOM",
        summary: "explain why a tuple is not derived: where each rule stops",
        help: "`:whynot lot_affected(\"L-9\")` explains, as `tracelog explain --not` does, why \
               the tuple is not in its relation: for each rule that could derive it, the body \
               literal where its instances stop (no matching fact, a negation that holds, a \
               comparison that fails), with the closest tuples found and the values that \
               differ (at most 5 per rule). It needs no provenance and evaluates nothing \
               again. A derived tuple is `is-derived`: `:why` shows its proof. Tab completes the \
               identifiers the session knows.",
        completion: Completion::Identifier,
    },
    Command {
        name: "trace",
        args: "forward|backward ID...",
        summary: "trace objects through the database (as `tracelog trace`)",
        help: "`:trace forward ID...`: everything made from the objects and everywhere it went; \
               `:trace backward ID...`: everything that went into them. Uses the shipped \
               exposure.dl over the database (needs --db) at the session's as-of point, with \
               hop counts, as `tracelog trace`. The first trace opens exposure.dl over the \
               database (from its image when there is one); it stays open, so later traces \
               only evaluate the closure from their objects. It reads the database only: facts \
               typed in the session are not part of it (`:add` records facts in the database).",
        completion: Completion::Words(&["forward", "backward"]),
    },
    Command {
        name: "recall",
        args: "ID... [--out DIR]",
        summary: "write the recall report of suspect objects (as `tracelog recall`)",
        help: "Computes the recall of the objects over the database (needs --db) and writes the \
               report into DIR (default `recall-report`), then prints its summary, as \
               `tracelog recall ID... --out DIR`. It reads the database only: facts typed in \
               the session are not part of it (`:add` records facts in the database).",
        completion: Completion::Identifier,
    },
    Command {
        name: "export",
        args: "REL FILE.csv",
        summary: "write a relation to a CSV file",
        help: "Writes the relation's tuples, sorted, comma-separated with a header row of its \
               column names (as `.output`), to FILE (replaced when it exists).",
        completion: Completion::Relation,
    },
    Command {
        name: "as-of",
        args: "SEQ|TIME|head",
        summary: "evaluate over the journal as it was at a transaction or instant",
        help: "`:as-of 12` or `:as-of 2026-03-01T12:00:00Z` re-opens the session over the \
               journal up to that transaction or instant (needs --db); `:as-of head` goes back \
               to the newest state. Answers name the journal head they were computed on.",
        completion: Completion::Words(&["head"]),
    },
    Command {
        name: "policy",
        args: "",
        summary: "list the loaded rule files with their policy, version and SHA-256",
        help: "One row per program file of the session (loaded, included, and the statements \
               typed at the prompt): its `.policy` name and version, and the SHA-256 of its text.",
        completion: Completion::Nothing,
    },
    Command {
        name: "log",
        args: "",
        summary: "the database's transactions: who, when, what, why",
        help: "The journal's transactions up to the session's as-of point (needs --db), as \
               `tracelog log`.",
        completion: Completion::Nothing,
    },
    Command {
        name: "timing",
        args: "on|off",
        summary: "show or hide the elapsed time after each answer",
        help: "With `on` (the default on a terminal) each query, load and update ends with its \
               elapsed time; `off` hides it (scripts piped into the REPL start with it off, so \
               their output is reproducible).",
        completion: Completion::Words(&["on", "off"]),
    },
    Command {
        name: "set",
        args: "timeout SECONDS|max-tuples N|none",
        summary: "set the evaluation limits",
        help: "`:set timeout 2.5` stops an evaluation after that many seconds, `:set max-tuples \
               1000000` when the derived relations hold more tuples; `none` removes the limit. \
               An evaluation stopped by a limit (or by Ctrl-C) leaves the session as it was \
               before the statement.",
        completion: Completion::Words(&["timeout", "max-tuples"]),
    },
    Command {
        name: "quit",
        args: "",
        summary: "leave the REPL (Ctrl-D does too)",
        help: "Ends the session. The history is kept in the history file.",
        completion: Completion::Nothing,
    },
];

/// The command named `name` (without the colon).
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|command| command.name == name)
}

/// A command line cut into its name and arguments: `:load  a.dl` → ("load", "a.dl").
pub fn split(line: &str) -> (&str, &str) {
    let line = line.trim().trim_start_matches(':');
    match line.find(char::is_whitespace) {
        Some(pos) => (&line[..pos], line[pos..].trim()),
        None => (line, ""),
    }
}

/// `:help`: every command with its one-line summary.
pub fn help() -> String {
    let mut text = String::from("commands (`:help CMD` for more):\n");
    for command in COMMANDS {
        let usage = format!(":{} {}", command.name, command.args);
        text.push_str(&format!("  {:<39} {}\n", usage.trim_end(), command.summary));
    }
    text.push_str(
        "statements: facts `a(1).`, rules `r(x) :- a(x).`, `.decl`s, queries `?- r(X).`; a \
         statement ends at its final `.`\n",
    );
    text
}

/// `:help CMD`: the long help of one command, `None` when there is no such command.
pub fn long_help(name: &str) -> Option<String> {
    let command = find(name.trim().trim_start_matches(':'))?;
    let usage = format!(":{} {}", command.name, command.args);
    Some(format!(
        "{}\n  {}\n\n{}\n",
        usage.trim_end(),
        command.summary,
        command.help
    ))
}

/// The names of the commands starting with `prefix`, with their colon.
pub fn names_starting_with(prefix: &str) -> Vec<String> {
    COMMANDS
        .iter()
        .filter(|command| command.name.starts_with(prefix))
        .map(|command| format!(":{}", command.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_listed_once_with_help() {
        for (idx, command) in COMMANDS.iter().enumerate() {
            assert!(
                COMMANDS[..idx].iter().all(|c| c.name != command.name),
                "{} twice",
                command.name
            );
            assert!(help().contains(&format!(":{}", command.name)));
            assert!(long_help(command.name).unwrap().contains(command.help));
        }
        assert_eq!(long_help(":quit"), long_help("quit"));
        assert!(long_help("nope").is_none());
    }

    #[test]
    fn a_command_line_splits_into_name_and_arguments() {
        assert_eq!(split(":load  a b.dl "), ("load", "a b.dl"));
        assert_eq!(split(":quit"), ("quit", ""));
        assert_eq!(
            names_starting_with("re"),
            [":retract", ":relations", ":recall"]
        );
    }
}
