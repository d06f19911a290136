//! This module runs the generated lalrpop parser over the lexer's tokens and
//! holds what the grammar's actions need: the [`Cover`] type that lets a body
//! element be an expression or a condition until its context decides, and the
//! translation of lalrpop errors into diagnostics an analyst can read.

use std::convert::Infallible;

use lalrpop_util::{ErrorRecovery, ParseError};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{
    ArithOp, Atom, Body, Compare, CompareOp, Const, Expr, IoDirective, Literal, Name, Param,
    Program,
};
use crate::syntax::lexer::{self, Lexer, Tok};

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_parens, unused_qualifications)]
    tracelog
);

/// Parses one program text. Never fails: problems come back as diagnostics
/// (sorted by position) next to every statement that did parse.
pub fn parse_text(file: FileId, text: &str) -> (Program, Vec<Diagnostic>) {
    let mut lexer = Lexer::new(file, text);
    let mut diagnostics = Vec::new();
    let result = tracelog::ProgramParser::new().parse(file, text, &mut diagnostics, &mut lexer);
    let items = match result {
        Ok(items) => items,
        Err(error) => {
            // Recovery always succeeds at `Tok::End`; this is a safety net.
            diagnostics.extend(syntax_error(file, text, error));
            Vec::new()
        }
    };
    diagnostics.append(&mut lexer.diagnostics);
    diagnostics.sort_by_key(|diagnostic| match &diagnostic.location {
        Some(crate::diagnostic::Location::Span(span)) => (span.start, span.end),
        _ => (u32::MAX, u32::MAX),
    });
    (Program { items }, diagnostics)
}

/// A body element before its context decides what it is. `days(3)` is a call
/// in `days(3) < x` but an atom in `r(x), days(3)`.
#[derive(Clone, Debug)]
pub enum Cover {
    Expr(Expr),
    /// Boxed to keep lalrpop's symbol stack narrow (a `Body` is wide).
    Body(Box<Body>),
    /// An integer literal above `i64::MAX`: valid only as `-9223372036854775808`.
    BigInt(u64, Span),
}

pub type Recovery<'input> = ErrorRecovery<usize, Tok<'input>, Infallible>;

/// Turns a recovered syntax error into a diagnostic (unless the lexer has
/// already reported the token that caused it).
pub fn recovered(file: FileId, text: &str, diags: &mut Vec<Diagnostic>, recovery: Recovery<'_>) {
    diags.extend(syntax_error(file, text, recovery.error));
}

/// The value of an integer literal (negated when `negative`), reporting one
/// outside the i64 range.
pub fn int(
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    value: u64,
    negative: bool,
    l: usize,
    r: usize,
) -> i64 {
    let signed = if negative {
        0i64.checked_sub_unsigned(value)
    } else {
        i64::try_from(value).ok()
    };
    match signed {
        Some(value) => value,
        None => {
            diags.push(out_of_range(Span::new(file, l, r), value, negative));
            0
        }
    }
}

fn out_of_range(span: Span, value: u64, negative: bool) -> Diagnostic {
    let sign = if negative { "-" } else { "" };
    Diagnostic::error(
        Code::ParseError,
        format!("integer `{sign}{value}` is out of range"),
    )
    .at(span)
    .with_label("does not fit in 64 bits")
    .with_help(lexer::out_of_range_help())
}

pub fn int_literal(file: FileId, value: u64, l: usize, r: usize) -> Cover {
    let span = Span::new(file, l, r);
    match i64::try_from(value) {
        Ok(value) => Cover::Expr(Expr::Const(Const::Int(value), span)),
        Err(_) => Cover::BigInt(value, span),
    }
}

/// The cover as an expression; a condition here is reported.
pub fn expr(diags: &mut Vec<Diagnostic>, cover: Cover) -> Expr {
    match cover {
        Cover::Expr(expr) => expr,
        Cover::BigInt(value, span) => {
            diags.push(out_of_range(span, value, false));
            Expr::Const(Const::Int(0), span)
        }
        Cover::Body(body) => {
            let span = body.span();
            diags.push(
                Diagnostic::error(Code::ParseError, "expected an expression, found a condition")
                    .at(span)
                    .with_label("a condition cannot stand here")
                    .with_help("arguments and operands are values: variables, constants, arithmetic, calls or aggregates"),
            );
            Expr::Wildcard(span)
        }
    }
}

/// The cover as a body; a call becomes an atom, any other expression is reported.
pub fn body(diags: &mut Vec<Diagnostic>, cover: Cover) -> Body {
    match cover {
        Cover::Body(body) => *body,
        Cover::Expr(Expr::Call(name, args, span)) => {
            Body::Literal(Literal::Atom(Atom { name, args, span }))
        }
        Cover::Expr(expr) => {
            let span = expr.span();
            diags.push(
                Diagnostic::error(Code::ParseError, "expected a condition, found an expression")
                    .at(span)
                    .with_label("this value is not compared with anything")
                    .with_help("a body holds atoms such as `r(x)`, negations `!r(x)` and comparisons such as `x < 3`"),
            );
            Body::And(Vec::new(), span)
        }
        Cover::BigInt(value, span) => {
            diags.push(out_of_range(span, value, false));
            Body::And(Vec::new(), span)
        }
    }
}

pub fn atom((name, args, span): (Name, Vec<Expr>, Span)) -> Atom {
    Atom { name, args, span }
}

pub fn and(
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    first: Cover,
    rest: Vec<Cover>,
    l: usize,
    r: usize,
) -> Cover {
    let mut parts = Vec::with_capacity(rest.len() + 1);
    parts.push(body(diags, first));
    parts.extend(rest.into_iter().map(|cover| body(diags, cover)));
    Cover::Body(Box::new(Body::And(parts, Span::new(file, l, r))))
}

pub fn or(
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    first: Cover,
    rest: Vec<Cover>,
    l: usize,
    r: usize,
) -> Cover {
    let mut parts = Vec::with_capacity(rest.len() + 1);
    parts.push(body(diags, first));
    parts.extend(rest.into_iter().map(|cover| body(diags, cover)));
    Cover::Body(Box::new(Body::Or(parts, Span::new(file, l, r))))
}

#[allow(clippy::too_many_arguments)] // Called only from the grammar's actions.
pub fn compare(
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    op: CompareOp,
    lhs: Cover,
    rhs: Cover,
    l: usize,
    r: usize,
) -> Cover {
    let lhs = expr(diags, lhs);
    let rhs = expr(diags, rhs);
    Cover::Body(Box::new(Body::Literal(Literal::Compare(Compare {
        op,
        lhs,
        rhs,
        span: Span::new(file, l, r),
    }))))
}

pub fn negated(file: FileId, applied: (Name, Vec<Expr>, Span), l: usize, r: usize) -> Cover {
    Cover::Body(Box::new(Body::Literal(Literal::Negated(
        atom(applied),
        Span::new(file, l, r),
    ))))
}

#[allow(clippy::too_many_arguments)] // Called only from the grammar's actions.
pub fn binary(
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    op: ArithOp,
    lhs: Cover,
    rhs: Cover,
    l: usize,
    r: usize,
) -> Cover {
    let lhs = expr(diags, lhs);
    let rhs = expr(diags, rhs);
    Cover::Expr(Expr::Binary(
        op,
        Box::new(lhs),
        Box::new(rhs),
        Span::new(file, l, r),
    ))
}

/// Unary minus; a minus before a numeric literal folds into a negative constant.
pub fn negate(
    file: FileId,
    diags: &mut Vec<Diagnostic>,
    operand: Cover,
    l: usize,
    r: usize,
) -> Cover {
    let span = Span::new(file, l, r);
    let operand = match operand {
        Cover::BigInt(value, literal_span) => match 0i64.checked_sub_unsigned(value) {
            Some(value) => return Cover::Expr(Expr::Const(Const::Int(value), span)),
            None => {
                diags.push(out_of_range(
                    Span::new(file, l, literal_span.end as usize),
                    value,
                    true,
                ));
                return Cover::Expr(Expr::Const(Const::Int(0), span));
            }
        },
        other => expr(diags, other),
    };
    let folded = match &operand {
        Expr::Const(Const::Int(value), _) => value.checked_neg().map(Const::Int),
        Expr::Const(Const::Float(value), _) => Some(Const::Float(-value)),
        _ => None,
    };
    match folded {
        Some(constant) => Cover::Expr(Expr::Const(constant, span)),
        None => Cover::Expr(Expr::Neg(Box::new(operand), span)),
    }
}

pub fn io(
    file: FileId,
    l: usize,
    r: usize,
    (relations, params): (Vec<Name>, Vec<Param>),
) -> IoDirective {
    IoDirective {
        relations,
        params,
        span: Span::new(file, l, r),
    }
}

/// `.policy "name" "1.2.0"`: the word `version` is missing before `at`.
pub fn missing_version(diags: &mut Vec<Diagnostic>, at: Span) {
    diags.push(
        Diagnostic::error(
            Code::ParseError,
            "expected `version` before the policy's version",
        )
        .at(at)
        .with_label("`version` is missing here")
        .with_help("write the policy header as `.policy \"name\" version \"1.2.0\"`"),
    );
}

/// `.policy "name" version "1.2.0"`: the middle word must be `version`.
pub fn expect_version(diags: &mut Vec<Diagnostic>, word: &Name) {
    if word.text != "version" {
        diags.push(
            Diagnostic::error(
                Code::ParseError,
                format!("expected `version`, found `{}`", word.text),
            )
            .at(word.span)
            .with_label("expected `version` here")
            .with_help("write the policy header as `.policy \"name\" version \"1.2.0\"`"),
        );
    }
}

// ---------------------------------------------------------------------------
// Friendly syntax errors.

const EXPR_START: &[&str] = &[
    "name", "_", "string", "integer", "float", "(", "-", "count", "sum", "min", "max", "mean",
];
const CONDITION_EXTRA: &[&str] = &["!", "not", "true", "false"];
const ITEM_START: &[&str] = &[
    "name",
    "?-",
    ".decl",
    ".type",
    ".input",
    ".output",
    ".printsize",
    ".include",
    ".policy",
];
const OPERATORS: &[&str] = &["+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">="];
const CLOSERS: &[&str] = &[")", "}", ",", ";", ".", ":", ":-", "end of file"];
/// Order in which expected tokens are listed.
const ORDER: &[&str] = &[
    ")",
    "}",
    "(",
    "{",
    ",",
    ";",
    ".",
    ":-",
    ":",
    "=",
    "<:",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "name",
    "string",
    "integer",
    "float",
    "_",
    "!",
    "not",
    "true",
    "false",
    "count",
    "sum",
    "min",
    "max",
    "mean",
    "?-",
    ".decl",
    ".type",
    ".input",
    ".output",
    ".printsize",
    ".include",
    ".policy",
    "end of file",
];
const KEYWORDS: &[&str] = &["not", "true", "false", "count", "sum", "min", "max", "mean"];

/// A lalrpop error as a diagnostic; `None` when the lexer already reported it.
fn syntax_error(
    file: FileId,
    text: &str,
    error: ParseError<usize, Tok<'_>, Infallible>,
) -> Option<Diagnostic> {
    let (start, tok, end, expected) = match error {
        ParseError::UnrecognizedToken {
            token: (start, tok, end),
            expected,
        } => (start, tok, end, expected),
        ParseError::ExtraToken {
            token: (start, tok, end),
        } => (start, tok, end, Vec::new()),
        ParseError::UnrecognizedEof { location, expected } => {
            (location, Tok::End, location, expected)
        }
        ParseError::InvalidToken { location } => (location, Tok::Error, location, Vec::new()),
        ParseError::User { error } => match error {},
    };
    if tok == Tok::Error {
        return None;
    }
    let span = Span::new(file, start, end);
    let found = describe_token(&tok);
    let keys: Vec<&str> = expected
        .iter()
        .map(|name| name.trim_matches('"'))
        .filter(|key| *key != "invalid token" && *key != "qualifier")
        .collect();
    let expectation = describe_expected(&keys);
    let message = if expectation.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("{expectation}, found {found}")
    };
    let label = match tok {
        Tok::End => "the file ends here".to_string(),
        _ => {
            let found = found.strip_prefix("the ").unwrap_or(&found);
            format!("unexpected {}", found.strip_prefix("a ").unwrap_or(found))
        }
    };
    let mut diagnostic = Diagnostic::error(Code::ParseError, message)
        .at(span)
        .with_label(label);
    if let Some(help) = help_for(text, start, &tok, &keys) {
        diagnostic = diagnostic.with_help(help);
    }
    Some(diagnostic)
}

fn describe_token(tok: &Tok<'_>) -> String {
    match tok {
        Tok::Ident(name) | Tok::Qualifier(name) => format!("`{name}`"),
        Tok::Str(_) => "a string".to_string(),
        Tok::Int(value) => format!("the number `{value}`"),
        Tok::Float(value) => format!("the number `{value:?}`"),
        Tok::End => "the end of the file".to_string(),
        Tok::Error => "an invalid token".to_string(),
        other => format!("`{}`", token_text(other)),
    }
}

fn token_text(tok: &Tok<'_>) -> &'static str {
    match tok {
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        Tok::Comma => ",",
        Tok::Dot => ".",
        Tok::Semi => ";",
        Tok::Colon => ":",
        Tok::If => ":-",
        Tok::Query => "?-",
        Tok::Bang => "!",
        Tok::Eq => "=",
        Tok::Ne => "!=",
        Tok::Lt => "<",
        Tok::Le => "<=",
        Tok::Gt => ">",
        Tok::Ge => ">=",
        Tok::Subtype => "<:",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::Percent => "%",
        Tok::Underscore => "_",
        Tok::Not => "not",
        Tok::True => "true",
        Tok::False => "false",
        Tok::Count => "count",
        Tok::Sum => "sum",
        Tok::Min => "min",
        Tok::Max => "max",
        Tok::Mean => "mean",
        Tok::DirDecl => ".decl",
        Tok::DirType => ".type",
        Tok::DirInput => ".input",
        Tok::DirOutput => ".output",
        Tok::DirPrintSize => ".printsize",
        Tok::DirInclude => ".include",
        Tok::DirPolicy => ".policy",
        Tok::Ident(_)
        | Tok::Qualifier(_)
        | Tok::Str(_)
        | Tok::Int(_)
        | Tok::Float(_)
        | Tok::Error
        | Tok::End => "token",
    }
}

/// "expected `)` or `,` after an argument" and the like, from lalrpop's list
/// of acceptable terminals.
fn describe_expected(keys: &[&str]) -> String {
    let mut keys: Vec<&str> = keys.to_vec();
    let contains_all = |keys: &[&str], group: &[&str]| group.iter().all(|key| keys.contains(key));
    let mut groups: Vec<&str> = Vec::new();
    if contains_all(&keys, EXPR_START) && contains_all(&keys, CONDITION_EXTRA) {
        keys.retain(|key| !EXPR_START.contains(key) && !CONDITION_EXTRA.contains(key));
        groups.push("a condition");
    } else if contains_all(&keys, EXPR_START) {
        keys.retain(|key| !EXPR_START.contains(key));
        groups.push("an expression");
    } else if contains_all(&keys, ITEM_START) {
        keys.retain(|key| !ITEM_START.contains(key) && *key != "end of file");
        groups.push("a fact, a rule, a query or a directive");
    }
    if keys.iter().any(|key| CLOSERS.contains(key)) {
        keys.retain(|key| !OPERATORS.contains(key));
    }
    keys.sort_by_key(|key| {
        ORDER
            .iter()
            .position(|known| known == key)
            .unwrap_or(usize::MAX)
    });
    keys.dedup();
    // After a name in an argument, `(` would make it a call; that is rarely
    // what was meant when something else follows.
    if keys == [")", "(", ","] {
        keys.remove(1);
    }
    let context = match keys.as_slice() {
        [")", ","] if groups.is_empty() => " after an argument",
        [",", "."] | [",", ".", ":-"] if groups.is_empty() => " after an atom",
        [")", ",", ";"] | ["}", ",", ";"] | [",", ";", "."] if groups.is_empty() => {
            " after a condition"
        }
        _ => "",
    };
    let mut words: Vec<String> = keys.iter().map(|key| describe_key(key)).collect();
    words.extend(groups.iter().map(|group| group.to_string()));
    match words.len() {
        0 => String::new(),
        1 => format!("expected {}{context}", words[0]),
        n => format!(
            "expected {} or {}{context}",
            words[..n - 1].join(", "),
            words[n - 1]
        ),
    }
}

fn describe_key(key: &str) -> String {
    match key {
        "name" => "a name".to_string(),
        "string" => "a string".to_string(),
        "integer" => "an integer".to_string(),
        "float" => "a float".to_string(),
        "end of file" => "the end of the file".to_string(),
        other => format!("`{other}`"),
    }
}

/// What to do about a syntax error, for the common mistakes: a missing `.`
/// or `)`, a mistyped `:-`, `==`, a reserved word used as a name, a
/// zero-arity atom written without `()`.
fn help_for(text: &str, start: usize, tok: &Tok<'_>, keys: &[&str]) -> Option<String> {
    let before = text.get(..start).unwrap_or("").trim_end();
    let previous = previous_word(before);
    let ends_statement = matches!(
        tok,
        Tok::Dot
            | Tok::If
            | Tok::End
            | Tok::DirDecl
            | Tok::DirType
            | Tok::DirInput
            | Tok::DirOutput
            | Tok::DirPrintSize
            | Tok::DirInclude
            | Tok::DirPolicy
    );
    if KEYWORDS.contains(&previous) {
        return Some(reserved_help(previous));
    }
    match tok {
        Tok::Not
        | Tok::True
        | Tok::False
        | Tok::Count
        | Tok::Sum
        | Tok::Min
        | Tok::Max
        | Tok::Mean
            if keys.contains(&"name") =>
        {
            return Some(reserved_help(token_text(tok)));
        }
        Tok::Eq if before.ends_with('=') => {
            return Some("equality is written with a single `=`".to_string());
        }
        Tok::Colon | Tok::Lt | Tok::Le | Tok::Minus | Tok::Eq if keys.contains(&":-") => {
            return Some("a rule's head and body are separated by `:-`".to_string());
        }
        _ => (),
    }
    if keys == ["("] && !previous.is_empty() {
        return Some(format!(
            "atoms take their arguments in parentheses; write `{previous}()` for a relation with no columns"
        ));
    }
    if ends_statement && keys.contains(&")") {
        return Some("is a closing `)` missing?".to_string());
    }
    if ends_statement && keys.contains(&"}") {
        return Some("is a closing `}` missing?".to_string());
    }
    if keys.contains(&".") {
        match tok {
            Tok::End => {
                return Some("every fact, rule and query ends with `.`".to_string());
            }
            Tok::Ident(_)
            | Tok::DirDecl
            | Tok::DirType
            | Tok::DirInput
            | Tok::DirOutput
            | Tok::DirPrintSize
            | Tok::DirInclude
            | Tok::DirPolicy
            | Tok::Query => {
                return Some(
                    "every fact, rule and query ends with `.`; is one missing before this?"
                        .to_string(),
                );
            }
            _ => (),
        }
    }
    None
}

fn reserved_help(word: &str) -> String {
    format!(
        "`{word}` is a reserved word and cannot name a variable or a relation (reserved: {})",
        KEYWORDS
            .iter()
            .map(|word| format!("`{word}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The identifier or reserved word at the end of `before` (empty when it
/// ends with something else).
fn previous_word(before: &str) -> &str {
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, ch)| !(ch.is_ascii_alphanumeric() || ch == '_'))
        .map_or(0, |(idx, ch)| idx + ch.len_utf8());
    let word = &before[start..];
    // A number such as `12` is not a word.
    match word.as_bytes().first() {
        Some(byte) if byte.is_ascii_digit() => "",
        _ => word,
    }
}

/// Reports the qualifiers after a `.decl` that change a relation's meaning;
/// the others are performance hints for Soufflé and are ignored.
pub fn qualifiers(diags: &mut Vec<Diagnostic>, qualifiers: Vec<Name>) {
    for qualifier in qualifiers {
        if qualifier.text == "eqrel" {
            diags.push(
                Diagnostic::error(Code::ParseError, "the `eqrel` qualifier is not supported")
                    .at(qualifier.span)
                    .with_label("equivalence relations are a Soufflé feature")
                    .with_help(
                        "remove `eqrel` and write the reflexive, symmetric and transitive rules explicitly",
                    ),
            );
        }
    }
}
