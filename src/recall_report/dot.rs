//! This module draws the genealogy of a recall's scope as a Graphviz DOT
//! graph: one node per affected lot (seeds highlighted), "made from" edges
//! solid and shared-equipment edges dashed, and the items and containers of
//! each lot summarised as counts in its label so the graph stays readable.
//! [`svg`] runs `dot -Tsvg` when it is installed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::Report;

/// A DOT string literal.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The graph as DOT text. Nodes are `n0`, `n1`, ... in the order of the
/// report's lots; every edge joins two of them.
pub fn render(report: &Report) -> String {
    let ids: BTreeMap<&str, String> = report
        .lots
        .iter()
        .enumerate()
        .map(|(i, lot)| (lot.lot.as_str(), format!("n{i}")))
        .collect();
    let mut out = String::new();
    out.push_str("digraph genealogy {\n");
    out.push_str("  rankdir=LR;\n");
    out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    out.push_str(&format!(
        "  label={};\n  labelloc=t;\n",
        quote(&format!(
            "Recall scope: {} lots, {} items, {} containers (journal seq {})",
            report.summary.lots,
            report.summary.items,
            report.summary.containers,
            report.journal.seq
        ))
    ));
    for lot in &report.lots {
        let mut label = lot.lot_code.clone();
        if !lot.description.is_empty() {
            label.push('\n');
            label.push_str(&lot.description);
        }
        if lot.items > 0 || lot.containers > 0 {
            label.push_str(&format!(
                "\n{} items, {} containers",
                lot.items, lot.containers
            ));
        }
        let fill = match lot.reason.as_str() {
            "seed" => ", fillcolor=\"#f4a6a6\", penwidth=2",
            "shared_equipment" => ", fillcolor=\"#fde3a7\"",
            _ => "",
        };
        out.push_str(&format!(
            "  {} [label={}, tooltip={}{fill}];\n",
            ids[lot.lot.as_str()],
            quote(&label),
            quote(&lot.lot)
        ));
    }
    for edge in &report.edges {
        let (Some(from), Some(to)) = (ids.get(edge.from.as_str()), ids.get(edge.to.as_str()))
        else {
            continue;
        };
        if edge.reason == "shared_equipment" {
            let equipment = super::short_equipment(&edge.equipment);
            out.push_str(&format!(
                "  {from} -> {to} [style=dashed, color=\"#c0392b\", label={}];\n",
                quote(&format!("same {equipment}, no full cleaning"))
            ));
        } else {
            out.push_str(&format!("  {from} -> {to};\n"));
        }
    }
    out.push_str("}\n");
    out
}

/// Renders `dot_file` to `svg_file` with Graphviz's `dot`. The error is the
/// note to show when that did not happen.
pub fn svg(dot_file: &Path, svg_file: &Path) -> Result<(), String> {
    let output = Command::new("dot")
        .arg("-Tsvg")
        .arg(dot_file)
        .arg("-o")
        .arg(svg_file)
        .output();
    match output {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            Err("dot not found: genealogy.svg not written (install Graphviz to get it)".to_owned())
        }
        Err(err) => Err(format!(
            "dot could not run ({err}): genealogy.svg not written"
        )),
        Ok(output) if !output.status.success() => {
            let _ = std::fs::remove_file(svg_file);
            Err(format!(
                "dot failed ({}): genealogy.svg not written: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
        Ok(_) => Ok(()),
    }
}
