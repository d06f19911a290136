//! This module cuts REPL input into statements and says whether the input
//! typed so far is complete: a language statement ends at its final `.`
//! outside strings, comments and parentheses; a directive (`.decl ...`) and a
//! command (`:load ...`) end at the end of their line (a directive may go on
//! while a parenthesis is open).

/// One statement of the input, with where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// Byte offset of its first character in the input.
    pub start: usize,
    /// Its text, without the whitespace around it.
    pub text: String,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `:name args`.
    Command,
    /// Facts, rules, queries and directives: text for the language.
    Language,
}

/// The complete statements of `input`, and the offset where an unfinished
/// one begins (`None` when nothing but whitespace and comments is left).
pub fn split(input: &str) -> (Vec<Statement>, Option<usize>) {
    let bytes = input.as_bytes();
    let mut statements = Vec::new();
    let mut idx = 0;
    loop {
        idx = skip_trivia(bytes, idx);
        if idx >= bytes.len() {
            return (statements, None);
        }
        let start = idx;
        let end = match bytes[idx] {
            b':' => Some(line_end(bytes, idx)),
            b'.' if bytes.get(idx + 1).is_some_and(u8::is_ascii_alphabetic) => {
                directive_end(bytes, idx)
            }
            _ => clause_end(bytes, idx),
        };
        let Some(end) = end else {
            return (statements, Some(start));
        };
        let kind = if bytes[start] == b':' {
            Kind::Command
        } else {
            Kind::Language
        };
        statements.push(Statement {
            start,
            text: input[start..end].trim_end().to_owned(),
            kind,
        });
        idx = end;
    }
}

/// Whether `input` holds only complete statements (what the line editor asks
/// before it accepts Enter).
pub fn is_complete(input: &str) -> bool {
    split(input).1.is_none()
}

/// Skips whitespace and comments; an unterminated block comment runs to the end.
fn skip_trivia(bytes: &[u8], mut idx: usize) -> usize {
    while idx < bytes.len() {
        match bytes[idx] {
            b' ' | b'\t' | b'\r' | b'\n' => idx += 1,
            b'/' if bytes.get(idx + 1) == Some(&b'/') => idx = line_end(bytes, idx),
            b'/' if bytes.get(idx + 1) == Some(&b'*') => match block_comment_end(bytes, idx) {
                Some(end) => idx = end,
                None => return idx,
            },
            _ => break,
        }
    }
    idx
}

fn line_end(bytes: &[u8], idx: usize) -> usize {
    bytes[idx..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |pos| idx + pos)
}

fn block_comment_end(bytes: &[u8], idx: usize) -> Option<usize> {
    bytes[idx + 2..]
        .windows(2)
        .position(|pair| pair == b"*/")
        .map(|pos| idx + 2 + pos + 2)
}

/// Where a string starting at `idx` (its opening quote) ends, after the closing quote.
fn string_end(bytes: &[u8], idx: usize) -> Option<usize> {
    let mut pos = idx + 1;
    while pos < bytes.len() {
        match bytes[pos] {
            b'\\' => pos += 2,
            b'"' => return Some(pos + 1),
            _ => pos += 1,
        }
    }
    None
}

/// The scanner shared by clauses and directives: calls `stop` at each
/// significant byte outside strings and comments, with the paren depth.
fn scan(bytes: &[u8], start: usize, mut stop: impl FnMut(usize, i32) -> bool) -> Option<usize> {
    let mut depth = 0i32;
    let mut idx = start;
    while idx < bytes.len() {
        match bytes[idx] {
            b'"' => {
                idx = string_end(bytes, idx)?;
                continue;
            }
            b'/' if bytes.get(idx + 1) == Some(&b'/') => {
                let end = line_end(bytes, idx);
                if stop(end, depth) {
                    return Some(end);
                }
                idx = end;
                continue;
            }
            b'/' if bytes.get(idx + 1) == Some(&b'*') => {
                idx = block_comment_end(bytes, idx)?;
                continue;
            }
            b'(' | b'{' => depth += 1,
            b')' | b'}' => depth -= 1,
            _ => {}
        }
        if stop(idx, depth) {
            return Some(idx);
        }
        idx += 1;
    }
    // The end of the input ends a directive's line too.
    stop(bytes.len(), depth).then_some(bytes.len())
}

/// A clause ends after its `.` at depth 0 (not the point of a number like `1.5`).
fn clause_end(bytes: &[u8], start: usize) -> Option<usize> {
    let end = scan(bytes, start, |idx, depth| {
        idx < bytes.len()
            && bytes[idx] == b'.'
            && depth <= 0
            && !(idx > 0
                && bytes[idx - 1].is_ascii_digit()
                && bytes.get(idx + 1).is_some_and(u8::is_ascii_digit))
    })?;
    (end < bytes.len()).then_some(end + 1)
}

/// A directive ends at the end of a line with no parenthesis open (at the
/// end of the input only with its parentheses closed: the editor waits).
fn directive_end(bytes: &[u8], start: usize) -> Option<usize> {
    scan(bytes, start, |idx, depth| {
        (idx == bytes.len() || bytes[idx] == b'\n') && depth <= 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> (Vec<String>, Option<usize>) {
        let (statements, rest) = split(input);
        (statements.into_iter().map(|s| s.text).collect(), rest)
    }

    #[test]
    fn a_clause_ends_at_its_final_point() {
        assert_eq!(texts("a(1).").0, ["a(1)."]);
        assert!(!is_complete("a(1)"));
        assert!(!is_complete("r(x) :-\n  s(x),\n  t(x)"));
        assert!(is_complete("r(x) :-\n  s(x),\n  t(x)."));
        assert_eq!(
            texts("a(1). b(2).\n?- a(X).").0,
            ["a(1).", "b(2).", "?- a(X)."]
        );
    }

    #[test]
    fn points_in_strings_comments_numbers_and_parentheses_do_not_end_a_clause() {
        assert!(!is_complete("a(\"x.\""));
        assert!(!is_complete("a(\"x\\\".\", 1)"));
        assert!(!is_complete("a(1) // done."));
        assert!(!is_complete("a(1) /* done. */"));
        assert!(!is_complete("r(x) :- s(y), x = y + 1.5"));
        assert!(is_complete("r(x) :- s(y), x = y + 1.5."));
        assert!(!is_complete("n = count : { a(x). "));
        assert!(!is_complete("a(\"unterminated."));
        assert!(!is_complete("/* open comment"));
    }

    #[test]
    fn directives_and_commands_end_with_their_line() {
        assert_eq!(
            texts(".decl a(x: number)\na(1).\n:relations\n").0,
            [".decl a(x: number)", "a(1).", ":relations"]
        );
        assert!(!is_complete(".decl a(x: number,\n"));
        assert!(is_complete(".decl a(x: number,\n y: symbol)"));
        assert!(is_complete(":help"));
        assert!(is_complete("   // only a comment\n"));
    }

    #[test]
    fn the_unfinished_statement_is_located() {
        let (done, rest) = texts("a(1).\nb(2");
        assert_eq!(done, ["a(1)."]);
        assert_eq!(rest, Some(6));
    }
}
