//! This module tests the checker on program text: each diagnostic code it
//! owns (code, message, the text under the caret) and the shape of the
//! lowered program.

use crate::check::check;
use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::ir::{self, Type};
use crate::source::SourceMap;
use crate::syntax;

struct Checked {
    sources: SourceMap,
    program: ir::Program,
    diags: Vec<Diagnostic>,
}

impl Checked {
    fn snippet(&self, diagnostic: &Diagnostic) -> &str {
        match &diagnostic.location {
            Some(Location::Span(span)) => self.sources.snippet(*span),
            other => panic!("no span: {other:?}"),
        }
    }

    fn errors(&self) -> Vec<&Diagnostic> {
        self.diags.iter().filter(|d| d.severity == Severity::Error).collect()
    }

    /// The only diagnostic with `code`.
    fn one(&self, code: Code) -> &Diagnostic {
        let found: Vec<&Diagnostic> = self.diags.iter().filter(|d| d.code == code).collect();
        assert_eq!(found.len(), 1, "expected one {code}, got {:#?}", self.diags);
        found[0]
    }

    fn rel(&self, name: &str) -> &ir::Relation {
        let id = self.program.relation_by_name(name).unwrap_or_else(|| panic!("no relation {name}"));
        self.program.relation(id)
    }

    fn rules_of(&self, name: &str) -> Vec<&ir::Rule> {
        let id = self.program.relation_by_name(name).unwrap();
        self.program.rules.iter().filter(|rule| rule.head.rel == id).collect()
    }

    fn types(&self, name: &str) -> Vec<Type> {
        self.rel(name).columns.iter().map(|c| c.ty).collect()
    }
}

fn run(text: &str) -> Checked {
    let mut sources = SourceMap::default();
    let file = sources.add("test.dl", None, text);
    let (ast, parse_diags) = syntax::parse(&sources, file);
    assert!(parse_diags.is_empty(), "parse errors: {parse_diags:#?}");
    let (program, diags) = check(&sources, &[(file, ast)]);
    Checked { sources, program, diags }
}

fn clean(text: &str) -> Checked {
    let checked = run(text);
    assert!(checked.diags.is_empty(), "unexpected diagnostics: {:#?}", checked.diags);
    checked
}

#[test]
fn shared_bench_programs_check_cleanly() {
    for name in ["q0_load", "q1_closure", "q2_forward", "q3_backward"] {
        let path = format!("{}/../shared/bench/programs/{name}.dl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
        let checked = run(&text);
        assert!(checked.errors().is_empty(), "{name}: {:#?}", checked.diags);
    }
}
