//! This module splits program text into tokens for the lalrpop parser.
//!
//! The lexer never fails: a problem (an unterminated string, an unknown
//! escape, a stray character) becomes a `parse-error` diagnostic kept in
//! [`Lexer::diagnostics`], and the parser sees either a usable token (so parsing
//! goes on undisturbed) or [`Tok::Error`] (so it skips to the next statement
//! without reporting the same problem twice). The last token is always
//! [`Tok::End`], which lets statement-level error recovery resynchronise at the
//! end of the file too.

use std::borrow::Cow;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// A token. Names and strings without escapes borrow from the text.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok<'input> {
    Ident(&'input str),
    Str(Cow<'input, str>),
    /// A decimal integer literal; the sign is a separate `-` token, so the
    /// parser checks the i64 range (which allows `-9223372036854775808`).
    Int(u64),
    Float(f64),
    /// A Soufflé relation qualifier after a `.decl`'s columns (`brie`, `inline`).
    Qualifier(&'input str),
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    Dot,
    Semi,
    Colon,
    /// `:-`
    If,
    /// `?-`
    Query,
    Bang,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `<:`
    Subtype,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Underscore,
    Not,
    True,
    False,
    Count,
    Sum,
    Min,
    Max,
    Mean,
    DirDecl,
    DirType,
    DirInput,
    DirOutput,
    DirPrintSize,
    DirInclude,
    DirPolicy,
    /// A problem the lexer has already reported.
    Error,
    /// The end of the text (emitted exactly once).
    End,
}

/// Soufflé directives that tracelog recognises but does not support.
const UNSUPPORTED_DIRECTIVES: &[&str] = &[
    "comp",
    "functor",
    "init",
    "lattice",
    "limitsize",
    "number_type",
    "once",
    "override",
    "plan",
    "pragma",
    "symbol_type",
];

/// Soufflé relation qualifiers, recognised right after a `.decl`'s columns.
pub const QUALIFIERS: &[&str] = &[
    "brie",
    "btree",
    "btree_delete",
    "eqrel",
    "inline",
    "no_inline",
    "magic",
    "no_magic",
    "overridable",
];

/// Where the lexer is relative to a `.decl`, so that qualifier words after
/// its columns (`.decl r(x: number) brie`) can be told from the next fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DeclState {
    Outside,
    /// Inside `.decl ...(`, at this parenthesis depth.
    Columns(u32),
    /// After the closing `)`: qualifier words may follow.
    Qualifiers,
}

pub struct Lexer<'input> {
    text: &'input str,
    bytes: &'input [u8],
    pos: usize,
    file: FileId,
    done: bool,
    /// A token produced together with the previous one, handed out next.
    pending: Option<Spanned<'input>>,
    decl: DeclState,
    /// Problems found so far, in text order.
    pub diagnostics: Vec<Diagnostic>,
}

type Spanned<'input> = (usize, Tok<'input>, usize);

impl<'input> Lexer<'input> {
    pub fn new(file: FileId, text: &'input str) -> Lexer<'input> {
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            file,
            done: false,
            pending: None,
            decl: DeclState::Outside,
            diagnostics: Vec::new(),
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn error(
        &mut self,
        start: usize,
        end: usize,
        message: impl Into<String>,
        label: &str,
    ) -> &mut Diagnostic {
        let diagnostic = Diagnostic::error(Code::ParseError, message)
            .at(self.span(start, end))
            .with_label(label);
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut().expect("just pushed")
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    /// Skips whitespace, comments and (reported) preprocessor lines.
    fn skip_trivia(&mut self) {
        loop {
            match self.peek(0) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => self.pos += 1,
                Some(b'/') if self.peek(1) == Some(b'/') => self.skip_line(),
                Some(b'/') if self.peek(1) == Some(b'*') => {
                    let start = self.pos;
                    match memchr::memmem::find(&self.bytes[self.pos + 2..], b"*/") {
                        Some(idx) => self.pos += 2 + idx + 2,
                        None => {
                            self.pos = self.bytes.len();
                            self.error(
                                start,
                                start + 2,
                                "unterminated comment",
                                "this comment is never closed",
                            )
                            .help = Some("close the comment with `*/`".to_string());
                        }
                    }
                }
                Some(b'#') if self.at_line_start() => {
                    let start = self.pos;
                    self.skip_line();
                    let end = self.line_end(start);
                    self.error(
                        start,
                        end,
                        "C preprocessor lines are not supported",
                        "tracelog does not run the C preprocessor",
                    )
                    .help = Some("include another program with `.include \"file.dl\"`".to_string());
                }
                _ => return,
            }
        }
    }

    fn at_line_start(&self) -> bool {
        self.text[..self.pos]
            .bytes()
            .rev()
            .take_while(|&b| b != b'\n')
            .all(|b| b == b' ' || b == b'\t')
    }

    fn line_end(&self, from: usize) -> usize {
        let end =
            memchr::memchr(b'\n', &self.bytes[from..]).map_or(self.bytes.len(), |idx| from + idx);
        if end > from && self.bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    fn skip_line(&mut self) {
        self.pos = memchr::memchr(b'\n', &self.bytes[self.pos..])
            .map_or(self.bytes.len(), |idx| self.pos + idx + 1);
    }

    fn ident_end(&self, from: usize) -> usize {
        let mut end = from;
        while end < self.bytes.len()
            && (self.bytes[end].is_ascii_alphanumeric() || self.bytes[end] == b'_')
        {
            end += 1;
        }
        end
    }

    fn next_token(&mut self) -> Spanned<'input> {
        self.skip_trivia();
        let start = self.pos;
        let Some(byte) = self.peek(0) else {
            self.done = true;
            return (start, Tok::End, start);
        };
        let single = |lexer: &mut Lexer<'input>, tok: Tok<'input>, len: usize| {
            lexer.pos += len;
            (start, tok, start + len)
        };
        match byte {
            b'(' => single(self, Tok::LParen, 1),
            b')' => single(self, Tok::RParen, 1),
            b'{' => single(self, Tok::LBrace, 1),
            b'}' => single(self, Tok::RBrace, 1),
            b',' => single(self, Tok::Comma, 1),
            b';' => single(self, Tok::Semi, 1),
            b'+' => single(self, Tok::Plus, 1),
            b'-' => single(self, Tok::Minus, 1),
            b'*' => single(self, Tok::Star, 1),
            b'/' => single(self, Tok::Slash, 1),
            b'%' => single(self, Tok::Percent, 1),
            b'=' => single(self, Tok::Eq, 1),
            b':' if self.peek(1) == Some(b'-') => single(self, Tok::If, 2),
            b':' => single(self, Tok::Colon, 1),
            b'?' if self.peek(1) == Some(b'-') => single(self, Tok::Query, 2),
            b'!' if self.peek(1) == Some(b'=') => single(self, Tok::Ne, 2),
            b'!' => single(self, Tok::Bang, 1),
            b'<' if self.peek(1) == Some(b'=') => single(self, Tok::Le, 2),
            b'<' if self.peek(1) == Some(b':') => single(self, Tok::Subtype, 2),
            b'<' => single(self, Tok::Lt, 1),
            b'>' if self.peek(1) == Some(b'=') => single(self, Tok::Ge, 2),
            b'>' => single(self, Tok::Gt, 1),
            b'.' => self.dot(start),
            b'"' => self.string(start),
            b'\'' => self.single_quoted(start),
            b'&' if self.peek(1) == Some(b'&') => self.operator(start, "&&"),
            b'|' if self.peek(1) == Some(b'|') => self.operator(start, "||"),
            b'0'..=b'9' => self.number(start),
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = self.ident_end(start);
                self.pos = end;
                let word = &self.text[start..end];
                let tok = match word {
                    "_" => Tok::Underscore,
                    "not" => Tok::Not,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "count" => Tok::Count,
                    "sum" => Tok::Sum,
                    "min" => Tok::Min,
                    "max" => Tok::Max,
                    "mean" => Tok::Mean,
                    _ if self.decl == DeclState::Qualifiers
                        && QUALIFIERS.contains(&word)
                        && self.next_byte_after_spaces() != Some(b'(') =>
                    {
                        Tok::Qualifier(word)
                    }
                    _ => Tok::Ident(word),
                };
                (start, tok, end)
            }
            _ => self.stray(start),
        }
    }

    /// True when only white space stands between the start of the line and `pos`.
    fn starts_line(&self, pos: usize) -> bool {
        self.text[..pos]
            .bytes()
            .rev()
            .take_while(|&b| b != b'\n')
            .all(|b| b == b' ' || b == b'\t' || b == b'\r')
    }

    /// `.` ends a statement; `.decl` and friends start a directive.
    fn dot(&mut self, start: usize) -> Spanned<'input> {
        let word_end = self.ident_end(start + 1);
        let word = &self.text[start + 1..word_end];
        let tok = match word {
            "decl" => Tok::DirDecl,
            "type" => Tok::DirType,
            "input" => Tok::DirInput,
            "output" => Tok::DirOutput,
            "printsize" => Tok::DirPrintSize,
            "include" => Tok::DirInclude,
            "policy" => Tok::DirPolicy,
            _ if UNSUPPORTED_DIRECTIVES.contains(&word) => {
                self.error(
                    start,
                    word_end,
                    format!("the Soufflé directive `.{word}` is not supported"),
                    "not supported by tracelog",
                )
                .help = Some(
                    "tracelog supports `.decl`, `.type`, `.input`, `.output`, `.printsize`, `.include` and `.policy`"
                        .to_string(),
                );
                Tok::Error
            }
            // `.word` opening a line is meant as a directive (`a(1).b(2).` is two facts).
            _ if !word.is_empty() && self.starts_line(start) => {
                self.error(start, word_end, format!("unknown directive `.{word}`"), "no such directive")
                    .help = Some(
                    "tracelog supports `.decl`, `.type`, `.input`, `.output`, `.printsize`, `.include` and `.policy`"
                        .to_string(),
                );
                Tok::Error
            }
            _ => {
                self.pos = start + 1;
                return (start, Tok::Dot, start + 1);
            }
        };
        self.pos = word_end;
        (start, tok, word_end)
    }

    fn string(&mut self, start: usize) -> Spanned<'input> {
        let mut pos = start + 1;
        let mut decoded: Option<String> = None;
        let mut chunk_start = pos;
        loop {
            let Some(idx) = memchr::memchr3(b'"', b'\\', b'\n', &self.bytes[pos..]) else {
                return self.unterminated_string(start, self.bytes.len());
            };
            pos += idx;
            match self.bytes[pos] {
                b'"' => {
                    let tok = match decoded {
                        None => Tok::Str(Cow::Borrowed(&self.text[start + 1..pos])),
                        Some(mut text) => {
                            text.push_str(&self.text[chunk_start..pos]);
                            Tok::Str(Cow::Owned(text))
                        }
                    };
                    self.pos = pos + 1;
                    return (start, tok, pos + 1);
                }
                b'\n' => {
                    let end = if pos > start && self.bytes[pos - 1] == b'\r' {
                        pos - 1
                    } else {
                        pos
                    };
                    return self.unterminated_string(start, end);
                }
                _ => {
                    let text = decoded.get_or_insert_with(String::new);
                    text.push_str(&self.text[chunk_start..pos]);
                    pos = self.escape(pos, text);
                    chunk_start = pos;
                }
            }
        }
    }

    /// Decodes the escape at `pos` (a backslash) into `out`; returns the offset after it.
    fn escape(&mut self, pos: usize, out: &mut String) -> usize {
        let Some(next) = self.text[pos + 1..].chars().next() else {
            // A backslash at the very end: the unterminated string is reported by the caller.
            return pos + 1;
        };
        let simple = match next {
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\'' => Some('\''),
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            '0' => Some('\0'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            return pos + 2;
        }
        if next == 'u' && self.bytes.get(pos + 2) == Some(&b'{') {
            let digits_start = pos + 3;
            let mut end = digits_start;
            while end < self.bytes.len()
                && self.bytes[end].is_ascii_hexdigit()
                && end - digits_start < 8
            {
                end += 1;
            }
            let digits = &self.text[digits_start..end];
            if self.bytes.get(end) == Some(&b'}') {
                let value = u32::from_str_radix(digits, 16)
                    .ok()
                    .filter(|_| !digits.is_empty() && digits.len() <= 6);
                if let Some(ch) = value.and_then(char::from_u32) {
                    out.push(ch);
                    return end + 1;
                }
                self.error(
                    pos,
                    end + 1,
                    format!("invalid unicode escape `\\u{{{digits}}}` in string"),
                    "not a unicode character",
                )
                .help = Some(
                    "write 1 to 6 hex digits naming a unicode scalar value, e.g. `\\u{1F600}`"
                        .to_string(),
                );
                return end + 1;
            }
            self.error(
                pos,
                end,
                "malformed unicode escape in string",
                "expected 1 to 6 hex digits and `}`",
            )
            .help = Some("write the escape as `\\u{1F600}`".to_string());
            return end;
        }
        let end = pos + 1 + next.len_utf8();
        let shown = if next.is_control() {
            format!("\\u{{{:x}}}", next as u32)
        } else {
            next.to_string()
        };
        self.error(pos, end, format!("unknown escape `\\{shown}` in string"), "unknown escape")
            .help = Some(
            "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\'`, `\\0` and `\\u{...}`; write `\\\\` for a backslash"
                .to_string(),
        );
        out.push(next);
        end
    }

    fn unterminated_string(&mut self, start: usize, end: usize) -> Spanned<'input> {
        self.error(
            start,
            end,
            "unterminated string",
            "this string is never closed",
        )
        .help = Some(
            "close the string with `\"` on the same line; write `\\n` for a line break".to_string(),
        );
        self.pos = end;
        // The rest of the line went into the string, very likely the end of
        // its statement too: end the statement here so that the next line
        // parses on its own.
        self.pending = Some((end, Tok::Dot, end));
        (start, Tok::Error, end)
    }

    /// `'text'`: reported, then read as the string it was meant to be.
    fn single_quoted(&mut self, start: usize) -> Spanned<'input> {
        let rest = &self.bytes[start + 1..];
        let Some(idx) = memchr::memchr2(b'\'', b'\n', rest).filter(|&idx| rest[idx] == b'\'')
        else {
            return self.stray(start);
        };
        let end = start + 1 + idx + 1;
        self.error(
            start,
            end,
            "strings are written in double quotes",
            "single quotes do not make a string",
        )
        .help = Some(format!("write `\"{}\"`", &self.text[start + 1..end - 1]));
        self.pos = end;
        (
            start,
            Tok::Str(Cow::Borrowed(&self.text[start + 1..end - 1])),
            end,
        )
    }

    fn next_byte_after_spaces(&self) -> Option<u8> {
        self.bytes[self.pos..]
            .iter()
            .copied()
            .find(|byte| !byte.is_ascii_whitespace())
    }

    fn number(&mut self, start: usize) -> Spanned<'input> {
        // Soufflé's hexadecimal and binary literals: `0x1F`, `0b101`.
        let radix = match (self.bytes[start], self.bytes.get(start + 1)) {
            (b'0', Some(b'x' | b'X')) => 16,
            (b'0', Some(b'b' | b'B')) => 2,
            _ => 10,
        };
        if radix != 10
            && self
                .bytes
                .get(start + 2)
                .is_some_and(|byte| byte.is_ascii_hexdigit())
        {
            let end = self.ident_end(start);
            self.pos = end;
            let digits = &self.text[start + 2..end];
            return match u64::from_str_radix(digits, radix) {
                Ok(value) => (start, Tok::Int(value), end),
                Err(err) => {
                    let text = &self.text[start..end];
                    let diagnostic = match err.kind() {
                        std::num::IntErrorKind::PosOverflow => self.error(
                            start,
                            end,
                            format!("integer `{text}` is out of range"),
                            "does not fit in 64 bits",
                        ),
                        _ => self.error(
                            start,
                            end,
                            format!("malformed number `{text}`"),
                            "not a number",
                        ),
                    };
                    diagnostic.help = Some(if radix == 16 {
                        "hexadecimal numbers are written `0x` and up to 16 digits `0-9a-f`"
                            .to_string()
                    } else {
                        "binary numbers are written `0b` and up to 64 digits `0` or `1`".to_string()
                    });
                    (start, Tok::Error, end)
                }
            };
        }
        let mut end = start;
        while end < self.bytes.len() && self.bytes[end].is_ascii_digit() {
            end += 1;
        }
        let mut is_float = false;
        if self.bytes.get(end) == Some(&b'.')
            && self.bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
        {
            is_float = true;
            end += 1;
            while end < self.bytes.len() && self.bytes[end].is_ascii_digit() {
                end += 1;
            }
        }
        if matches!(self.bytes.get(end), Some(b'e' | b'E')) {
            let mut exp = end + 1;
            if matches!(self.bytes.get(exp), Some(b'+' | b'-')) {
                exp += 1;
            }
            if self.bytes.get(exp).is_some_and(u8::is_ascii_digit) {
                is_float = true;
                end = exp;
                while end < self.bytes.len() && self.bytes[end].is_ascii_digit() {
                    end += 1;
                }
            }
        }
        // `12abc` is one malformed token, not a number followed by a name.
        let word_end = self.ident_end(end);
        if word_end > end {
            self.pos = word_end;
            let text = &self.text[start..word_end];
            self.error(
                start,
                word_end,
                format!("malformed number `{text}`"),
                "not a number",
            )
            .help = Some(
                "names cannot start with a digit; numbers are written `42`, `-7`, `1.5` or `2.0e3`"
                    .to_string(),
            );
            return (start, Tok::Error, word_end);
        }
        self.pos = end;
        let text = &self.text[start..end];
        if is_float {
            return match text.parse::<f64>() {
                Ok(value) if value.is_finite() => (start, Tok::Float(value), end),
                _ => {
                    self.error(
                        start,
                        end,
                        format!("float `{text}` is out of range"),
                        "too large for a float",
                    );
                    (start, Tok::Error, end)
                }
            };
        }
        match text.parse::<u64>() {
            Ok(value) => (start, Tok::Int(value), end),
            Err(_) => {
                self.error(
                    start,
                    end,
                    format!("integer `{text}` is out of range"),
                    "does not fit in 64 bits",
                )
                .help = Some(out_of_range_help());
                (start, Tok::Error, end)
            }
        }
    }

    /// `&&` and `||`: one problem, not two stray characters.
    fn operator(&mut self, start: usize, op: &str) -> Spanned<'input> {
        let end = start + op.len();
        self.pos = end;
        let instead = if op == "&&" { "`,`" } else { "`;`" };
        self.error(
            start,
            end,
            format!("unexpected `{op}`"),
            "not an operator of the language",
        )
        .help = Some(format!(
            "conditions are joined with `,` (and) and `;` (or); write {instead} instead of `{op}`"
        ));
        (start, Tok::Error, end)
    }

    fn stray(&mut self, start: usize) -> Spanned<'input> {
        let ch = self.text[start..].chars().next().expect("not at the end");
        let end = start + ch.len_utf8();
        self.pos = end;
        let shown = if ch.is_control() || ch.is_whitespace() {
            format!("\\u{{{:x}}}", ch as u32)
        } else {
            ch.to_string()
        };
        let help = match ch {
            '|' => Some(
                "union types (`.type T = A | B`) are a Soufflé feature tracelog does not support",
            ),
            '[' | ']' => Some("records (`[a, b]`) are a Soufflé feature tracelog does not support"),
            '$' => Some(
                "`$` (counters and algebraic data types) is a Soufflé feature tracelog does not support",
            ),
            '@' => Some(
                "user-defined functors (`@f(x)`) are a Soufflé feature tracelog does not support",
            ),
            '\'' => Some("strings are written in double quotes: `\"text\"`"),
            '&' => Some("conditions are joined with `,` (and) and `;` (or)"),
            '#' => Some("C preprocessor lines are not supported; use `.include \"file.dl\"`"),
            _ => None,
        };
        let diagnostic = self.error(
            start,
            end,
            format!("unexpected character `{shown}`"),
            "not part of the language",
        );
        if let Some(help) = help {
            diagnostic.help = Some(help.to_string());
        }
        (start, Tok::Error, end)
    }
}

/// Help for integers outside the 64-bit signed range.
pub fn out_of_range_help() -> String {
    format!(
        "integers are 64-bit signed numbers, from {} to {}",
        i64::MIN,
        i64::MAX
    )
}

impl<'input> Iterator for Lexer<'input> {
    type Item = Result<Spanned<'input>, std::convert::Infallible>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let token = match self.pending.take() {
            Some(token) => token,
            None => self.next_token(),
        };
        self.decl = match (&token.1, self.decl) {
            (Tok::DirDecl, _) => DeclState::Columns(0),
            (Tok::LParen, DeclState::Columns(depth)) => DeclState::Columns(depth + 1),
            (Tok::RParen, DeclState::Columns(1)) => DeclState::Qualifiers,
            (Tok::RParen, DeclState::Columns(depth)) => DeclState::Columns(depth.saturating_sub(1)),
            (
                Tok::Dot
                | Tok::End
                | Tok::DirType
                | Tok::DirInput
                | Tok::DirOutput
                | Tok::DirPrintSize
                | Tok::DirInclude
                | Tok::DirPolicy
                | Tok::Query
                | Tok::If,
                DeclState::Columns(_),
            ) => DeclState::Outside,
            (_, DeclState::Columns(depth)) => DeclState::Columns(depth),
            (Tok::Qualifier(_), DeclState::Qualifiers) => DeclState::Qualifiers,
            _ => DeclState::Outside,
        };
        Some(Ok(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(text: &str) -> (Vec<Tok<'_>>, Vec<String>) {
        let mut lexer = Lexer::new(FileId(0), text);
        let toks: Vec<Tok<'_>> = lexer.by_ref().map(|res| res.unwrap().1).collect();
        let messages = lexer
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        (toks, messages)
    }

    #[test]
    fn punctuation_and_words() {
        let (toks, errs) = lex("a(X, _) :- !b(_x), X <= 3; Y != 2. ?- c() .decl .output");
        assert!(errs.is_empty());
        use Tok::*;
        assert_eq!(
            toks,
            vec![
                Ident("a"),
                LParen,
                Ident("X"),
                Comma,
                Underscore,
                RParen,
                If,
                Bang,
                Ident("b"),
                LParen,
                Ident("_x"),
                RParen,
                Comma,
                Ident("X"),
                Le,
                Int(3),
                Semi,
                Ident("Y"),
                Ne,
                Int(2),
                Dot,
                Query,
                Ident("c"),
                LParen,
                RParen,
                DirDecl,
                DirOutput,
                End
            ]
        );
    }

    #[test]
    fn unknown_directive_at_the_start_of_a_line() {
        let (toks, errs) = lex("a(1).\n  .frobnicate lot");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0], "unknown directive `.frobnicate`");
        assert!(toks.contains(&Tok::Error));
    }

    #[test]
    fn dot_before_a_name_that_is_not_a_directive() {
        let (toks, _) = lex("a(1).b(2).");
        assert_eq!(toks[4], Tok::Dot);
        assert_eq!(toks[5], Tok::Ident("b"));
    }

    #[test]
    fn numbers() {
        let (toks, errs) = lex("0 42 1.5 2.0e3 1e5 7. 18446744073709551615");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            toks,
            vec![
                Tok::Int(0),
                Tok::Int(42),
                Tok::Float(1.5),
                Tok::Float(2000.0),
                Tok::Float(1e5),
                Tok::Int(7),
                Tok::Dot,
                Tok::Int(u64::MAX),
                Tok::End
            ]
        );
        let (toks, errs) = lex("99999999999999999999 12ab 1e999");
        assert_eq!(toks, vec![Tok::Error, Tok::Error, Tok::Error, Tok::End]);
        assert_eq!(
            errs,
            vec![
                "integer `99999999999999999999` is out of range",
                "malformed number `12ab`",
                "float `1e999` is out of range"
            ]
        );
    }

    #[test]
    fn strings_and_escapes() {
        let (toks, errs) = lex(r#""plain" "a\"b\\c\n\t" "\u{1F600}!" "#);
        assert!(errs.is_empty(), "{errs:?}");
        assert!(matches!(&toks[0], Tok::Str(Cow::Borrowed("plain"))));
        assert_eq!(toks[1], Tok::Str(Cow::Owned("a\"b\\c\n\t".to_string())));
        assert_eq!(toks[2], Tok::Str(Cow::Owned("😀!".to_string())));
        let (toks, errs) = lex(r#""a\qb" "\u{110000}" "\u{12""#);
        assert_eq!(toks[0], Tok::Str(Cow::Owned("aqb".to_string())));
        assert_eq!(
            errs,
            vec![
                "unknown escape `\\q` in string",
                "invalid unicode escape `\\u{110000}` in string",
                "malformed unicode escape in string"
            ]
        );
    }

    #[test]
    fn unterminated_string_stops_at_the_line_end() {
        let (toks, errs) = lex("a(\"open).\nb(1).");
        assert_eq!(errs, vec!["unterminated string"]);
        // The error token is followed by an invented `.` that ends the statement.
        assert_eq!(
            &toks[..4],
            &[Tok::Ident("a"), Tok::LParen, Tok::Error, Tok::Dot]
        );
        assert_eq!(
            &toks[4..],
            &[
                Tok::Ident("b"),
                Tok::LParen,
                Tok::Int(1),
                Tok::RParen,
                Tok::Dot,
                Tok::End
            ]
        );
        let mut lexer = Lexer::new(FileId(0), "x(\"abc\\");
        lexer.by_ref().for_each(drop);
        assert_eq!(lexer.diagnostics[0].message, "unterminated string");
    }

    #[test]
    fn comments() {
        let (toks, errs) = lex("// line\na /* block\n ( */ b // end");
        assert!(errs.is_empty());
        assert_eq!(toks, vec![Tok::Ident("a"), Tok::Ident("b"), Tok::End]);
        let (toks, errs) = lex("a /* never closed");
        assert_eq!(toks, vec![Tok::Ident("a"), Tok::End]);
        assert_eq!(errs, vec!["unterminated comment"]);
    }

    #[test]
    fn stray_characters_and_unsupported_directives() {
        let (toks, errs) = lex("a | é .functor\n#include \"x\"\nb");
        assert_eq!(
            toks,
            vec![
                Tok::Ident("a"),
                Tok::Error,
                Tok::Error,
                Tok::Error,
                Tok::Ident("b"),
                Tok::End
            ]
        );
        assert_eq!(
            errs,
            vec![
                "unexpected character `|`",
                "unexpected character `é`",
                "the Soufflé directive `.functor` is not supported",
                "C preprocessor lines are not supported"
            ]
        );
    }
}
