//! This module renders `--json` documents: the results of a run (one key per
//! `.output` relation, query and `.printsize`) and, for a failed run, its
//! diagnostics. JSON output has its own record layout; core types are not
//! serialised.
//!
//! Results: `{"r": [[v, ...], ...], "?- q(x).": [[...]], ".printsize s": 12}`.
//! Keys follow program order; rows are sorted in the shared value order;
//! numbers are JSON numbers, symbols and date-times are strings. A zero-arity
//! relation or a query without named variables is `true` or `false`.

use std::fmt::Write;

use crate::diagnostic::{Diagnostic, Location};
use crate::io::output::{self, Item, Relations};
use crate::ir::{self, Type};
use crate::source::SourceMap;
use crate::value::{Dyn, Value, ValueStore, decode_float, decode_int, format_datetime};

/// The results of a run as one JSON object. Every `.output` relation is
/// included whether it was meant for a file or for stdout.
pub fn render_results(
    program: &ir::Program,
    sources: &SourceMap,
    results: &dyn Relations,
    items: &[Item],
    journal: Option<serde_json::Value>,
) -> String {
    let mut out = String::from("{");
    let mut first = true;
    // A relation with several `.output` directives appears once.
    let mut seen: Vec<ir::RelId> = Vec::new();
    for item in items {
        let (key, rel) = match item {
            Item::File { rel, .. } | Item::Table { rel, .. } => {
                if seen.contains(rel) {
                    continue;
                }
                seen.push(*rel);
                (program.relation(*rel).name.clone(), *rel)
            }
            Item::Query { rel, span } => (output::query_text(sources, *span), *rel),
            Item::Size { rel, .. } => {
                let relation = program.relation(*rel);
                out.push_str(if first { "\n  " } else { ",\n  " });
                first = false;
                push_string(&mut out, &format!(".printsize {}", relation.name));
                let _ = write!(out, ": {}", results.len(*rel));
                continue;
            }
        };
        out.push_str(if first { "\n  " } else { ",\n  " });
        first = false;
        push_string(&mut out, &key);
        out.push_str(": ");
        let relation = program.relation(rel);
        let types = output::column_types(relation);
        let rows = output::sorted_rows(results, rel, &types);
        if types.is_empty() {
            out.push_str(if rows.is_empty() { "false" } else { "true" });
            continue;
        }
        if rows.is_empty() {
            out.push_str("[]");
            continue;
        }
        out.push('[');
        for (row_idx, row) in rows.iter().enumerate() {
            out.push_str(if row_idx == 0 { "\n    [" } else { ",\n    [" });
            for (idx, (ty, value)) in types.iter().zip(row.iter()).enumerate() {
                if idx > 0 {
                    out.push_str(", ");
                }
                push_value(&mut out, results.values(), *ty, *value);
            }
            out.push(']');
        }
        out.push_str("\n  ]");
    }
    if let Some(journal) = journal {
        out.push_str(if first { "\n  " } else { ",\n  " });
        first = false;
        out.push_str("\"journal\": ");
        out.push_str(&serde_json::to_string(&journal).expect("json values serialise"));
    }
    out.push_str(if first { "}\n" } else { "\n}\n" });
    out
}

/// A failed run as JSON: `{"error": {...}}` with the first error, plus
/// `"errors": [...]` (every diagnostic, warnings included) when there are several.
/// Each entry has `code`, `severity`, `message`, and `file`/`line`/`col` when known.
pub fn render_errors(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let entries: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|diagnostic| entry(sources, diagnostic))
        .collect();
    let first = diagnostics
        .iter()
        .position(Diagnostic::is_error)
        .unwrap_or(0);
    let mut doc = serde_json::Map::new();
    if let Some(error) = entries.get(first) {
        doc.insert("error".to_owned(), error.clone());
    }
    if entries.len() > 1 {
        doc.insert("errors".to_owned(), serde_json::Value::Array(entries));
    }
    let mut res = serde_json::to_string_pretty(&serde_json::Value::Object(doc))
        .expect("JSON values serialise");
    res.push('\n');
    res
}

/// Warnings of a run that succeeded, for `--json` runs: `[{...}, ...]`.
pub fn diagnostics_array(sources: &SourceMap, diagnostics: &[Diagnostic]) -> serde_json::Value {
    serde_json::Value::Array(
        diagnostics
            .iter()
            .map(|diagnostic| entry(sources, diagnostic))
            .collect(),
    )
}

fn entry(sources: &SourceMap, diagnostic: &Diagnostic) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("code".to_owned(), diagnostic.code.as_str().into());
    let severity = if diagnostic.is_error() {
        "error"
    } else {
        "warning"
    };
    map.insert("severity".to_owned(), severity.into());
    map.insert("message".to_owned(), diagnostic.message.clone().into());
    match &diagnostic.location {
        Some(Location::Span(span)) => {
            let file = sources.file(span.file);
            let (line, col) = file.line_col(span.start);
            map.insert("file".to_owned(), file.name.clone().into());
            map.insert("line".to_owned(), line.into());
            map.insert("col".to_owned(), col.into());
        }
        Some(Location::DataLine {
            path, line, col, ..
        }) => {
            map.insert("file".to_owned(), path.clone().into());
            map.insert("line".to_owned(), (*line).into());
            map.insert("col".to_owned(), (*col).into());
        }
        Some(Location::File { path }) => {
            map.insert("file".to_owned(), path.clone().into());
        }
        None => (),
    }
    if let Some(help) = &diagnostic.help {
        map.insert("help".to_owned(), help.clone().into());
    }
    serde_json::Value::Object(map)
}

fn push_string(out: &mut String, text: &str) {
    out.push_str(&serde_json::to_string(text).expect("strings serialise"));
}

fn push_value(out: &mut String, store: &ValueStore, ty: Type, value: Value) {
    match ty {
        Type::Symbol => push_string(out, store.symbol(value as u32)),
        Type::Number => {
            let _ = write!(out, "{}", decode_int(value));
        }
        Type::Unsigned => {
            let _ = write!(out, "{value}");
        }
        Type::Float => push_float(out, decode_float(value)),
        Type::DateTime => push_string(out, &format_datetime(decode_int(value))),
        Type::Any => match store.dyn_value(value) {
            Dyn::Sym(id) => push_string(out, store.symbol(*id)),
            Dyn::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Dyn::Unsigned(v) => {
                let _ = write!(out, "{v}");
            }
            Dyn::Float(bits) => push_float(out, decode_float(*bits)),
            Dyn::Time(v) => push_string(out, &format_datetime(*v)),
        },
    }
}

/// A finite float as a JSON number (always with a fraction or exponent, so it
/// reads back as a float); infinities and NaN, which JSON lacks, as strings.
fn push_float(out: &mut String, value: f64) {
    if value.is_finite() {
        out.push_str(&serde_json::to_string(&value).expect("finite floats serialise"));
    } else {
        push_string(out, &value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::io::facts::tests::relation;
    use crate::io::output::OutputDir;
    use crate::ir::{IoSpec, QueryInfo, RelId};
    use crate::source::Span;
    use crate::value::{encode_float, encode_int};

    struct Fake(ValueStore, Vec<Vec<Vec<Value>>>);

    impl Relations for Fake {
        fn values(&self) -> &ValueStore {
            &self.0
        }

        fn rows(&self, rel: RelId) -> Box<dyn Iterator<Item = &[Value]> + '_> {
            Box::new(self.1[rel.0 as usize].iter().map(Vec::as_slice))
        }

        fn len(&self, rel: RelId) -> usize {
            self.1[rel.0 as usize].len()
        }
    }

    #[test]
    fn results_are_one_object_keyed_by_relation_query_and_size() {
        let mut sources = SourceMap::default();
        let text = ".output r\n?- r(x, _y, t).\n.printsize r\n";
        let file = sources.add("p.dl", None, text);
        let mut r = relation(
            "r",
            &[
                ("lot", Type::Symbol),
                ("q", Type::Float),
                ("at", Type::DateTime),
            ],
            true,
        );
        r.outputs.push(IoSpec {
            params: Vec::new(),
            span: Span::new(file, 0, 9),
        });
        r.printsize = Some(Span::new(file, 26, 38));
        // A second `.output` of the same relation does not repeat its key.
        r.outputs.push(IoSpec {
            params: vec![("IO".into(), "stdout".into())],
            span: Span::new(file, 0, 9),
        });
        let mut query = relation(
            "$query0",
            &[("x", Type::Symbol), ("t", Type::DateTime)],
            false,
        );
        query.hidden = true;
        let mut store = ValueStore::default();
        let rows = vec![
            vec![
                store.intern("L2") as Value,
                encode_float(0.5),
                encode_int(0),
            ],
            vec![
                store.intern("L1") as Value,
                encode_float(2.0),
                encode_int(1_000_000),
            ],
        ];
        let query_rows = vec![vec![store.intern("L1") as Value, encode_int(0)]];
        let program = ir::Program {
            relations: vec![r, query],
            queries: vec![QueryInfo {
                rel: RelId(1),
                origin: Span::new(file, 10, 25),
            }],
            ..ir::Program::default()
        };
        let items = output::plan_outputs(&program, &OutputDir::Stdout).unwrap();
        let text = render_results(
            &program,
            &sources,
            &Fake(store, vec![rows, query_rows]),
            &items,
            None,
        );
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({
                "r": [["L1", 2.0, "1970-01-01T00:00:01Z"], ["L2", 0.5, "1970-01-01T00:00:00Z"]],
                "?- r(x, _y, t).": [["L1", "1970-01-01T00:00:00Z"]],
                ".printsize r": 2,
            })
        );
        assert_eq!(text.matches("\"r\":").count(), 1, "{text}");
        // Keys keep program order.
        assert!(text.find("\"r\"").unwrap() < text.find("?-").unwrap());
        assert!(text.contains("2.0"));
    }

    #[test]
    fn errors_carry_code_message_and_place() {
        let mut sources = SourceMap::default();
        let file = sources.add("p.dl", None, "a(x).\nb(y) :- c(y).\n");
        let diagnostics = vec![
            Diagnostic::error(Code::UnboundVariable, "variable `y` is never bound")
                .at(Span::new(file, 8, 9)),
            Diagnostic::error(Code::BadFact, "expected 2 fields").at_location(Location::DataLine {
                path: "in/c.facts".into(),
                line: 3,
                col: 1,
                text: "x".into(),
            }),
        ];
        let doc: serde_json::Value =
            serde_json::from_str(&render_errors(&sources, &diagnostics)).unwrap();
        assert_eq!(
            doc["error"],
            serde_json::json!({"code": "unbound-variable", "severity": "error",
                "message": "variable `y` is never bound", "file": "p.dl", "line": 2, "col": 3})
        );
        assert_eq!(doc["errors"][1]["file"], "in/c.facts");
        assert_eq!(doc["errors"][1]["line"], 3);
        let single: serde_json::Value =
            serde_json::from_str(&render_errors(&sources, &diagnostics[..1])).unwrap();
        assert!(single.get("errors").is_none());
    }
}
