//! This module is the text the REPL shows around answers: the prompts, the
//! echo of a script's statements, and the elapsed-time line.

use std::time::Duration;

/// The prompt for a new statement.
pub const PROMPT: &str = "tracelog> ";
/// The prompt for the next line of an unfinished statement (as wide as `PROMPT`).
pub const CONTINUATION: &str = "     ...> ";

/// A statement of a script as it would have been typed: the prompt before its
/// first line and the continuation prompt before the others.
pub fn echo(statement: &str) -> String {
    let mut text = String::new();
    for (idx, line) in statement.lines().enumerate() {
        text.push_str(if idx == 0 { PROMPT } else { CONTINUATION });
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// `time: 12.3 ms` (or seconds past one second).
pub fn elapsed(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("time: {:.2} s\n", ms / 1000.0)
    } else {
        format!("time: {ms:.1} ms\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_echoed_with_its_prompts() {
        assert_eq!(
            echo("r(x) :-\n  a(x)."),
            "tracelog> r(x) :-\n     ...>   a(x).\n"
        );
        assert_eq!(elapsed(Duration::from_micros(1500)), "time: 1.5 ms\n");
        assert_eq!(elapsed(Duration::from_millis(2500)), "time: 2.50 s\n");
    }
}
