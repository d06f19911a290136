//! This module writes a proof as JSON with a stable schema (format_version 1,
//! documented in docs/traceability.md): the root's node id, the journal head
//! and rule files the proof was computed on, and one object per node (a
//! tuple) with typed values, the rule instance that derived it (rule
//! location, policy, height, bindings, premises by literal, the negations,
//! comparisons, assignments and aggregates it checked) or, for a base fact,
//! its journal record.

use serde_json::{Map, Value as Json, json};

use crate::db::state::HeadRef;
use crate::investigate::RuleFile;
use crate::ir::{self, Const, RelId};
use crate::provenance::render::{self, Record};
use crate::provenance::{Proof, Step};
use crate::source::SourceMap;
use crate::value::{Value, ValueStore};

/// The version of the schema; bumped on any change a reader could notice.
pub const FORMAT_VERSION: u32 = 1;

/// What the proof was computed on, for the document's header.
#[derive(Clone, Copy, Debug, Default)]
pub struct Header<'a> {
    /// The journal point of the database (`None` without a database).
    pub journal_head: Option<&'a HeadRef>,
    /// Every rule file of the program.
    pub rules: &'a [RuleFile],
}

/// The proof as a JSON document (see docs/traceability.md, "JSON output").
pub fn to_json(
    proof: &Proof,
    program: &ir::Program,
    sources: &SourceMap,
    values: &ValueStore,
    record: &dyn Fn(RelId, &[Value]) -> Option<Record>,
    header: Header<'_>,
) -> Json {
    let nodes: Vec<Json> = proof
        .nodes
        .iter()
        .enumerate()
        .map(|(id, node)| {
            let relation = program.relation(node.rel);
            let typed: Vec<Json> = relation
                .columns
                .iter()
                .zip(&node.tuple)
                .map(|(column, &value)| typed_value(values.decode(column.ty, value)))
                .collect();
            let mut out = Map::new();
            out.insert("id".into(), json!(id));
            out.insert("relation".into(), json!(relation.name));
            out.insert("values".into(), Json::Array(typed));
            out.insert(
                "text".into(),
                json!(render::tuple_text(program, values, node.rel, &node.tuple)),
            );
            match &node.step {
                Step::Base => {
                    out.insert("kind".into(), json!("base"));
                    let record = record(node.rel, &node.tuple).map(|record| {
                        json!({
                            "seq": record.seq,
                            "recorded_at": record.recorded_at,
                            "principal": record.principal,
                            "source": record.source_path,
                            "sha256": record.source_sha256,
                            "line": record.line,
                            "event_id": record.event_id,
                        })
                    });
                    out.insert("record".into(), record.unwrap_or(Json::Null));
                }
                Step::Rule {
                    rule,
                    height,
                    regs,
                    bound,
                    premises,
                } => {
                    let rule = program.rule(*rule);
                    out.insert("kind".into(), json!("derived"));
                    out.insert("rule".into(), rule_json(program, sources, rule));
                    out.insert(
                        "height".into(),
                        json!({"stratum": height.stratum, "round": height.round}),
                    );
                    let mut bindings = Map::new();
                    for (slot, var) in rule.vars.iter().enumerate() {
                        if bound[slot] && !var.name.starts_with('$') {
                            bindings.insert(
                                var.name.clone(),
                                typed_value(values.decode(var.ty, regs[slot])),
                            );
                        }
                    }
                    out.insert("bindings".into(), Json::Object(bindings));
                    let premises: Vec<Json> = premises
                        .iter()
                        .map(|(literal, node)| json!({"literal": literal, "node": node}))
                        .collect();
                    out.insert("premises".into(), Json::Array(premises));
                    let conditions: Vec<Json> =
                        render::conditions(program, rule, values, regs, bound)
                            .into_iter()
                            .map(|condition| {
                                let mut item = Map::new();
                                item.insert("literal".into(), json!(condition.literal));
                                item.insert("kind".into(), json!(condition.kind));
                                item.insert("text".into(), json!(condition.text));
                                if let Some(value) = condition.value {
                                    item.insert("value".into(), json!(value));
                                }
                                item.insert("holds".into(), json!(true));
                                Json::Object(item)
                            })
                            .collect();
                    out.insert("conditions".into(), Json::Array(conditions));
                }
            }
            Json::Object(out)
        })
        .collect();
    let rules: Vec<Json> = header
        .rules
        .iter()
        .map(|rule| {
            json!({
                "file": rule.file,
                "policy": rule.policy,
                "version": rule.version,
                "sha256": rule.sha256,
            })
        })
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "root": proof.root,
        "journal_head": header.journal_head.map(|head| json!({"seq": head.seq, "hash": head.hash})),
        "rules": rules,
        "nodes": nodes,
    })
}

/// Where a rule is written, its text and its file's policy.
fn rule_json(program: &ir::Program, sources: &SourceMap, rule: &ir::Rule) -> Json {
    let file = sources.file(rule.origin.file);
    let (line, col) = file.line_col(rule.origin.start);
    let policy = render::rule_policy(program, rule)
        .map(|policy| json!({"name": policy.name, "version": policy.version}));
    json!({
        "file": file.name,
        "line": line,
        "col": col,
        "text": render::rule_text(sources, rule),
        "policy": policy.unwrap_or(Json::Null),
    })
}

/// Numbers as JSON numbers, date-times as RFC 3339 strings, symbols as strings.
fn typed_value(value: Const) -> Json {
    match value {
        Const::Sym(text) => json!(text),
        Const::Int(v) => json!(v),
        Const::Unsigned(v) => json!(v),
        // A non-finite float has no JSON number: its text instead.
        Const::Float(v) if !v.is_finite() => json!(format!("{v}")),
        Const::Float(v) => json!(v),
        Const::Time(micros) => json!(crate::value::format_datetime(micros)),
    }
}
