//! This module reads the input of `tracelog add` and `tracelog retract`: facts
//! in the language's syntax (`consumed("L-1", "B-7").`, optionally with the
//! `.decl`s that type them) or the rows of one relation as TSV or CSV. It
//! checks everything it can without the database (syntax, arity, declared
//! types) and returns every problem with its `file:line:col`.

use std::path::Path;

use rustc_hash::FxHashMap;

use crate::db::record::{Fact, sha256_hex};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::ir::Type;
use crate::source::{SourceMap, Span};
use crate::syntax::{self, ast};
use crate::value::ValueStore;

/// How an input file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// The language's fact syntax, with optional `.decl`s.
    Facts,
    /// One relation, tab-separated, no header (Soufflé's `.facts`).
    Tsv,
    /// One relation, comma-separated with a header row, RFC 4180 quoting.
    Csv,
}

impl InputFormat {
    /// The format a file name implies: `.csv`, `.tsv`/`.facts`, else fact syntax.
    pub fn from_path(path: &str) -> InputFormat {
        let ext = Path::new(path)
            .extension()
            .and_then(|ext| ext.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => InputFormat::Csv,
            Some("tsv" | "facts") => InputFormat::Tsv,
            _ => InputFormat::Facts,
        }
    }
}

/// One fact read from an input, with where it was written.
#[derive(Clone, Debug)]
pub struct InputFact {
    pub fact: Fact,
    /// 1-based line in the input.
    pub line: u32,
    /// Where the fact was written; `None` for facts of a generated input
    /// (an EPCIS document's events), which point at the input file as a whole.
    pub location: Option<Location>,
}

/// A whole input, read and checked on its own.
#[derive(Debug)]
pub struct Input {
    /// As given (`-` for standard input).
    pub path: String,
    pub sha256: String,
    pub facts: Vec<InputFact>,
    /// Holds the text of fact-syntax inputs, which diagnostics point into.
    pub sources: SourceMap,
}

/// Problems found in an input; `sources` renders them.
#[derive(Debug)]
pub struct InputError {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `bytes` (the content of `path`) as facts. `relation` names the
/// relation of a TSV/CSV input (default: the file's stem).
pub fn read(
    path: &str,
    bytes: &[u8],
    format: InputFormat,
    relation: Option<&str>,
) -> Result<Input, InputError> {
    let sha256 = sha256_hex(bytes);
    let mut sources = SourceMap::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let offset = err.valid_up_to();
            let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
            let diagnostic = Diagnostic::error(
                Code::BadFact,
                format!("`{path}` holds bytes that are not UTF-8 text"),
            )
            .at_location(Location::DataLine {
                path: path.to_owned(),
                line: line as u32,
                col: 1,
                text: String::from_utf8_lossy(&bytes[..offset])
                    .lines()
                    .last()
                    .unwrap_or("")
                    .to_owned(),
            })
            .with_help("save the file as UTF-8");
            return Err(InputError {
                sources,
                diagnostics: vec![diagnostic],
            });
        }
    };
    let result = match format {
        InputFormat::Facts => read_fact_syntax(&mut sources, path, text),
        InputFormat::Tsv | InputFormat::Csv => {
            let rel = match relation {
                Some(rel) => rel.to_owned(),
                None if path == "-" => {
                    return Err(InputError {
                        sources,
                        diagnostics: vec![
                            Diagnostic::error(
                                Code::BadFact,
                                "rows read from standard input need a relation name",
                            )
                            .with_help("name it with --relation NAME"),
                        ],
                    });
                }
                None => Path::new(path)
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .unwrap_or("")
                    .to_owned(),
            };
            read_rows(path, text, format, &rel)
        }
    };
    match result {
        Ok(facts) => Ok(Input {
            path: path.to_owned(),
            sha256,
            facts,
            sources,
        }),
        Err(diagnostics) => Err(InputError {
            sources,
            diagnostics,
        }),
    }
}

/// The most problems reported for one input.
const MAX_ERRORS: usize = 20;

fn read_fact_syntax(
    sources: &mut SourceMap,
    path: &str,
    text: &str,
) -> Result<Vec<InputFact>, Vec<Diagnostic>> {
    let file = sources.add(path, None, text);
    let (program, mut errors) = syntax::parse(sources, file);
    errors.retain(Diagnostic::is_error);
    // `.type` aliases, then `.decl`s: the column types facts are checked against.
    let mut aliases: FxHashMap<&str, &str> = FxHashMap::default();
    for item in &program.items {
        if let ast::Item::Type(decl) = item {
            aliases.insert(&decl.name.text, &decl.base.text);
        }
    }
    let base_type = |name: &str| -> Option<Type> {
        let mut name = name;
        for _ in 0..16 {
            match name {
                "symbol" => return Some(Type::Symbol),
                "number" => return Some(Type::Number),
                "unsigned" => return Some(Type::Unsigned),
                "float" => return Some(Type::Float),
                "datetime" => return Some(Type::DateTime),
                "any" => return Some(Type::Any),
                _ => name = aliases.get(name).copied()?,
            }
        }
        None
    };
    let mut decls: FxHashMap<&str, (Vec<Type>, Span)> = FxHashMap::default();
    for item in &program.items {
        if let ast::Item::Decl(decl) = item {
            let mut types = Vec::new();
            for column in &decl.columns {
                match base_type(&column.ty.text) {
                    Some(ty) => types.push(ty),
                    None => {
                        errors.push(
                            Diagnostic::error(
                                Code::UnknownType,
                                format!("unknown type `{}`", column.ty.text),
                            )
                            .at(column.ty.span)
                            .with_help(
                                "use symbol, number, unsigned, float, datetime or a .type alias",
                            ),
                        );
                        types.push(Type::Any);
                    }
                }
            }
            decls.insert(&decl.name.text, (types, decl.span));
        }
    }
    let mut facts = Vec::new();
    let mut scratch = ValueStore::default();
    for item in &program.items {
        let rule = match item {
            ast::Item::Decl(_) | ast::Item::Type(_) => continue,
            ast::Item::Rule(rule) if rule.body.is_none() => rule,
            other => {
                errors.push(
                    Diagnostic::error(Code::NotAFact, "only facts can be recorded in the database")
                        .at(item_span(other))
                        .with_label("not a fact")
                        .with_help(
                            "write facts such as `consumed(\"L-1\", \"B-7\").`; rules and directives belong in a program run with --db",
                        ),
                );
                continue;
            }
        };
        for atom in &rule.heads {
            let mut fields = Vec::with_capacity(atom.args.len());
            for arg in &atom.args {
                match constant_text(arg) {
                    Some(text) => fields.push(text),
                    None => errors.push(
                        Diagnostic::error(
                            Code::NotAFact,
                            format!("a fact of `{}` must hold only constants", atom.name.text),
                        )
                        .at(arg.span())
                        .with_label("not a constant")
                        .with_help("write a string (\"L-1\"), a number (42) or a float (1.5)"),
                    ),
                }
            }
            if fields.len() != atom.args.len() {
                continue;
            }
            if let Some((types, decl_span)) = decls.get(atom.name.text.as_str()) {
                if types.len() != fields.len() {
                    errors.push(
                        Diagnostic::error(
                            Code::ArityMismatch,
                            format!(
                                "`{}` is declared with {} columns but this fact has {}",
                                atom.name.text,
                                types.len(),
                                fields.len()
                            ),
                        )
                        .at(atom.span)
                        .with_help(format!(
                            "the declaration is at {}",
                            sources.location(*decl_span)
                        )),
                    );
                    continue;
                }
                for ((arg, field), ty) in atom.args.iter().zip(&fields).zip(types) {
                    if let Err(message) = scratch.parse(*ty, field) {
                        errors.push(
                            Diagnostic::error(Code::TypeMismatch, message)
                                .at(arg.span())
                                .with_label(format!(
                                    "`{}` is declared as {}",
                                    atom.name.text,
                                    ty.name()
                                ))
                                .with_help(format!(
                                    "the declaration is at {}; write a value of that type",
                                    sources.location(*decl_span)
                                )),
                        );
                    }
                }
            }
            let (line, _) = sources.file(file).line_col(atom.span.start);
            facts.push(InputFact {
                fact: Fact {
                    rel: atom.name.text.clone(),
                    fields,
                },
                line,
                location: Some(Location::Span(atom.span)),
            });
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        errors.sort_by_key(|diagnostic| match &diagnostic.location {
            Some(Location::Span(span)) => span.start,
            _ => 0,
        });
        Err(errors)
    }
}

fn item_span(item: &ast::Item) -> Span {
    match item {
        ast::Item::Decl(decl) => decl.span,
        ast::Item::Type(decl) => decl.span,
        ast::Item::Input(directive)
        | ast::Item::Output(directive)
        | ast::Item::PrintSize(directive) => directive.span,
        ast::Item::Include(include) => include.span,
        ast::Item::Policy(policy) => policy.span,
        ast::Item::Rule(rule) => rule.span,
        ast::Item::Query(query) => query.span,
    }
}

/// The text of a constant argument as a fact file would hold it.
fn constant_text(expr: &ast::Expr) -> Option<String> {
    match crate::ir::Const::from_literal(expr)? {
        crate::ir::Const::Sym(text) => Some(text),
        value => {
            let mut out = String::new();
            crate::value::write_const(&mut out, &value);
            Some(out)
        }
    }
}

fn read_rows(
    path: &str,
    text: &str,
    format: InputFormat,
    rel: &str,
) -> Result<Vec<InputFact>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    if !is_relation_name(rel) {
        errors.push(
            Diagnostic::error(
                Code::BadFact,
                format!("`{rel}` is not a relation name (letters, digits and `_`, starting with a letter)"),
            )
            .at_location(Location::File {
                path: path.to_owned(),
            })
            .with_help("name the relation with --relation NAME"),
        );
        return Err(errors);
    }
    if format == InputFormat::Tsv {
        return read_tsv(path, text, rel);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b',')
        .has_headers(true)
        .quoting(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let line_text = |line: u64| -> String {
        text.lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("")
            .to_owned()
    };
    let arity = match reader.headers() {
        Ok(headers) => headers.len(),
        Err(err) => {
            errors.push(csv_error(path, text, &err, &line_text));
            return Err(errors);
        }
    };
    let mut facts = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                errors.push(csv_error(path, text, &err, &line_text));
                if errors.len() >= MAX_ERRORS {
                    break;
                }
                continue;
            }
        };
        // The csv crate does not count blank lines; count from the byte offset.
        let line = record.position().map_or(0, |pos| {
            let bytes = text.as_bytes();
            let mut start = (pos.byte() as usize).min(bytes.len());
            while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
                start += 1;
            }
            1 + memchr::memchr_iter(b'\n', &bytes[..start]).count() as u64
        });
        if record.len() == 1 && record.get(0) == Some("") {
            continue; // a blank line
        }
        let expected = arity;
        if record.len() != expected {
            errors.push(
                Diagnostic::error(
                    Code::BadFact,
                    format!(
                        "this row has {} fields but `{rel}` rows have {expected}",
                        record.len()
                    ),
                )
                .at_location(Location::DataLine {
                    path: path.to_owned(),
                    line: line as u32,
                    col: 1,
                    text: line_text(line),
                }),
            );
            if errors.len() >= MAX_ERRORS {
                break;
            }
            continue;
        }
        facts.push(InputFact {
            fact: Fact {
                rel: rel.to_owned(),
                fields: record.iter().map(str::to_owned).collect(),
            },
            line: line as u32,
            location: Some(Location::DataLine {
                path: path.to_owned(),
                line: line as u32,
                col: 1,
                text: line_text(line),
            }),
        });
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(errors)
    }
}

/// Tab-separated rows, fields taken literally (as Soufflé reads `.facts`).
fn read_tsv(path: &str, text: &str, rel: &str) -> Result<Vec<InputFact>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut facts = Vec::new();
    let mut arity = None;
    for (idx, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let number = idx as u32 + 1;
        if line.is_empty() {
            continue;
        }
        let fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
        let location = Location::DataLine {
            path: path.to_owned(),
            line: number,
            col: 1,
            text: line.to_owned(),
        };
        let expected = *arity.get_or_insert(fields.len());
        if fields.len() != expected {
            errors.push(
                Diagnostic::error(
                    Code::BadFact,
                    format!(
                        "this row has {} fields but `{rel}` rows have {expected}",
                        fields.len()
                    ),
                )
                .at_location(location)
                .with_help("fields are separated by one tab each"),
            );
            if errors.len() >= MAX_ERRORS {
                break;
            }
            continue;
        }
        facts.push(InputFact {
            fact: Fact {
                rel: rel.to_owned(),
                fields,
            },
            line: number,
            location: Some(location),
        });
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(errors)
    }
}

fn csv_error(
    path: &str,
    text: &str,
    err: &csv::Error,
    line_text: &dyn Fn(u64) -> String,
) -> Diagnostic {
    let line = err.position().map_or(1, |pos| {
        1 + memchr::memchr_iter(
            b'\n',
            &text.as_bytes()[..(pos.byte() as usize).min(text.len())],
        )
        .count() as u64
    });
    Diagnostic::error(Code::BadFact, format!("cannot read this row: {err}")).at_location(
        Location::DataLine {
            path: path.to_owned(),
            line: line as u32,
            col: 1,
            text: line_text(line),
        },
    )
}

/// A name the language accepts for a relation.
pub fn is_relation_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
        && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '?')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic;

    fn codes(err: &InputError) -> Vec<&'static str> {
        err.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn fact_syntax_gives_text_fields_with_lines() {
        let input = read(
            "lots.dl",
            b".decl qty(lot: symbol, n: number)\nqty(\"L-1\", 40).\nqty(\"L-2\", -3).\nnote(1.5).\n",
            InputFormat::Facts,
            None,
        )
        .unwrap();
        let facts: Vec<(String, Vec<String>, u32)> = input
            .facts
            .iter()
            .map(|f| (f.fact.rel.clone(), f.fact.fields.clone(), f.line))
            .collect();
        assert_eq!(
            facts,
            vec![
                ("qty".into(), vec!["L-1".into(), "40".into()], 2),
                ("qty".into(), vec!["L-2".into(), "-3".into()], 3),
                ("note".into(), vec!["1.5".into()], 4),
            ]
        );
        assert_eq!(input.sha256.len(), 64);
    }

    #[test]
    fn rules_variables_and_declared_types_are_located_errors() {
        let err = read(
            "bad.dl",
            b".decl qty(lot: symbol, n: number)\nqty(\"L-1\", \"many\").\nqty(X, 1).\np(x) :- q(x).\nqty(\"L-3\").\n",
            InputFormat::Facts,
            None,
        )
        .unwrap_err();
        assert_eq!(
            codes(&err),
            [
                "type-mismatch",
                "not-a-fact",
                "not-a-fact",
                "arity-mismatch"
            ]
        );
        let text = diagnostic::render(&err.sources, &err.diagnostics);
        assert!(text.contains("bad.dl:2:12"), "{text}");
        assert!(text.contains("error[not-a-fact]"), "{text}");
    }

    #[test]
    fn tsv_and_csv_rows_name_their_relation() {
        let tsv = read(
            "data/consumed.tsv",
            b"L-1\tB-1\n\nL-2\tB-1\n",
            InputFormat::Tsv,
            None,
        )
        .unwrap();
        assert_eq!(tsv.facts.len(), 2);
        assert_eq!(tsv.facts[1].fact.rel, "consumed");
        assert_eq!(tsv.facts[1].line, 3);
        let csv = read(
            "x.csv",
            b"lot,customer\n\n\"L,1\",ACME\n",
            InputFormat::Csv,
            Some("shipped"),
        )
        .unwrap();
        assert_eq!(csv.facts[0].fact.fields, ["L,1", "ACME"]);
        assert_eq!(csv.facts[0].fact.rel, "shipped");
        assert_eq!(csv.facts[0].line, 3);
    }

    #[test]
    fn ragged_rows_and_bad_utf8_are_bad_facts() {
        let err = read("c.tsv", b"a\tb\nc\n", InputFormat::Tsv, None).unwrap_err();
        assert_eq!(codes(&err), ["bad-fact"]);
        let text = diagnostic::render(&err.sources, &err.diagnostics);
        assert!(text.contains("c.tsv:2:1"), "{text}");
        let err = read("c.tsv", b"a\t\xff\n", InputFormat::Tsv, None).unwrap_err();
        assert_eq!(codes(&err), ["bad-fact"]);
        let err = read("-", b"a\n", InputFormat::Tsv, None).unwrap_err();
        assert_eq!(codes(&err), ["bad-fact"]);
    }
}
