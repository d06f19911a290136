//! This module writes a proof as a Graphviz DOT graph: one box per tuple
//! (derived tuples also show their rule's file:line, base facts their journal
//! transaction), an edge from each premise to its conclusion labelled with
//! the rule's literal, and the negations, comparisons, assignments and
//! aggregates a step checked as notes attached to it. [`svg`] runs `dot`.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::ir::{self, RelId};
use crate::provenance::render::{self, Record};
use crate::provenance::{Proof, Step};
use crate::source::SourceMap;
use crate::value::{Value, ValueStore};

/// The proof as a DOT digraph (valid input for `dot -Tsvg`).
pub fn to_dot(
    proof: &Proof,
    program: &ir::Program,
    sources: &SourceMap,
    values: &ValueStore,
    record: &dyn Fn(RelId, &[Value]) -> Option<Record>,
) -> String {
    let mut out = String::from(
        "digraph proof {\n  rankdir=BT;\n  node [shape=box, fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for (id, node) in proof.nodes.iter().enumerate() {
        let mut lines = vec![render::tuple_text(program, values, node.rel, &node.tuple)];
        let style = match &node.step {
            Step::Base => {
                match record(node.rel, &node.tuple) {
                    Some(record) => {
                        let line = record
                            .line
                            .map(|line| format!(" line {line}"))
                            .unwrap_or_default();
                        lines.push(format!(
                            "transaction {}, by {}{line}",
                            record.seq, record.principal
                        ));
                        if let Some(event) = record.event_id {
                            lines.push(format!("EPCIS event {event}"));
                        }
                    }
                    None => lines.push("given fact".to_owned()),
                }
                ", style=\"rounded,filled\", fillcolor=\"#eef5ff\""
            }
            Step::Rule { rule, .. } => {
                let rule = program.rule(*rule);
                let file = sources.file(rule.origin.file);
                let (line, _) = file.line_col(rule.origin.start);
                lines.push(format!("{}:{line}", file.name));
                if id == proof.root { ", style=bold" } else { "" }
            }
        };
        out.push_str(&format!("  n{id} [label={}{style}];\n", label(&lines)));
    }
    for (id, node) in proof.nodes.iter().enumerate() {
        let Step::Rule {
            rule,
            regs,
            bound,
            premises,
            ..
        } = &node.step
        else {
            continue;
        };
        let rule = program.rule(*rule);
        for &(literal, premise) in premises {
            let text = render::literal_text(program, rule, values, literal);
            out.push_str(&format!(
                "  n{premise} -> n{id} [label={}];\n",
                label(&[text])
            ));
        }
        for condition in render::conditions(program, rule, values, regs, bound) {
            let mut lines = vec![condition.text];
            match condition.value {
                Some(value) => lines.push(format!("computed: {value}")),
                None => lines.push("holds".to_owned()),
            }
            let note = format!("c{id}_{}", condition.literal);
            out.push_str(&format!(
                "  {note} [shape=note, label={}, fontsize=9];\n  {note} -> n{id} [style=dashed, arrowhead=none];\n",
                label(&lines)
            ));
        }
    }
    out.push_str("}\n");
    out
}

/// A DOT string literal of lines (quotes and backslashes escaped).
fn label(lines: &[String]) -> String {
    let escaped: Vec<String> = lines
        .iter()
        .map(|line| {
            line.chars()
                .map(|ch| match ch {
                    '"' => "\\\"".to_owned(),
                    '\\' => "\\\\".to_owned(),
                    '\n' => "\\n".to_owned(),
                    ch => ch.to_string(),
                })
                .collect()
        })
        .collect();
    format!("\"{}\"", escaped.join("\\n"))
}

/// Why no SVG was made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SvgError {
    #[error("Graphviz `dot` is not installed (not found on PATH)")]
    NotFound,
    #[error("`dot` could not run: {0}")]
    Failed(String),
}

/// Renders DOT text to SVG with Graphviz's `dot -Tsvg`.
pub fn svg(dot: &str) -> Result<String, SvgError> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => SvgError::NotFound,
            _ => SvgError::Failed(err.to_string()),
        })?;
    // Write on a thread: `dot` may fill its stdout pipe before reading all of stdin.
    let Some(mut stdin) = child.stdin.take() else {
        return Err(SvgError::Failed("no pipe to its input".to_owned()));
    };
    let text = dot.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|err| SvgError::Failed(err.to_string()))?;
    let written = writer.join();
    if !output.status.success() {
        return Err(SvgError::Failed(format!(
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    if let Ok(Err(err)) = written {
        return Err(SvgError::Failed(err.to_string()));
    }
    String::from_utf8(output.stdout).map_err(|err| SvgError::Failed(err.to_string()))
}
