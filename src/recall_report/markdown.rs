//! This module renders a recall report as Markdown (report.md): what it was
//! computed from, the scope, and the tables an analyst acts on; the long lists
//! are in the CSV files beside it.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Report, qty_text};
use crate::io::output::markdown_table;

/// At most this many findings are listed (all are in findings.csv).
const MAX_FINDINGS: usize = 50;

fn table(out: &mut String, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    let mut table = markdown_table();
    table.set_header(header.iter().copied());
    for row in rows {
        table.add_row(row);
    }
    out.push_str(&table.to_string());
    out.push_str("\n\n");
}

/// `5 KGM, 261 EA`.
fn per_unit(quantities: &BTreeMap<String, f64>) -> String {
    if quantities.is_empty() {
        return "none".to_owned();
    }
    quantities
        .iter()
        .map(|(uom, qty)| format!("{} {uom}", qty_text(*qty)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A location by name and identifier.
fn place(name: &str, id: &str) -> String {
    if name.is_empty() {
        format!("`{id}`")
    } else {
        format!("{name} (`{id}`)")
    }
}

/// A shipment's first line and its quantity per unit.
type ShipmentTotal<'a> = (&'a super::ShipmentLine, BTreeMap<String, f64>);

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(out, "# Recall report\n");
    for seed in &report.seeds {
        let lot = report
            .lots
            .iter()
            .find(|l| l.via.contains(seed) && l.reason == "seed");
        match lot {
            Some(lot) if !lot.description.is_empty() => {
                let _ = writeln!(
                    out,
                    "- Seed: `{seed}` ({}, {})",
                    lot.lot_code, lot.description
                );
            }
            _ => {
                let _ = writeln!(out, "- Seed: `{seed}`");
            }
        }
    }
    let _ = writeln!(out, "- Database: `{}`", report.database);
    let _ = writeln!(
        out,
        "- Journal head: seq {}, sha256 `{}`",
        report.journal.seq, report.journal.sha256
    );
    let _ = writeln!(out, "- Generated: {}", report.generated_at);
    let _ = writeln!(
        out,
        "- FSMA 204 records: {}\n",
        report.date_range.describe()
    );

    let _ = writeln!(out, "## Rule files\n");
    table(
        &mut out,
        &["file", "policy", "version", "sha256"],
        report.rule_files.iter().map(|f| {
            vec![
                f.file.clone(),
                f.policy.clone(),
                f.version.clone(),
                f.sha256.clone(),
            ]
        }),
    );

    let _ = writeln!(out, "## Scope\n");
    table(
        &mut out,
        &["affected", "count"],
        [
            ("lots", s.lots.to_string()),
            ("items", s.items.to_string()),
            ("containers", s.containers.to_string()),
            ("other objects", s.others.to_string()),
            ("shipments", s.shipments.to_string()),
            (
                "consignee sites (party, location)",
                s.consignee_sites.to_string(),
            ),
            ("locations", s.locations.to_string()),
            (
                "inventory records to hold",
                format!("{} ({})", s.hold_inventory, per_unit(&s.hold_quantity)),
            ),
            ("free inventory records", s.free_inventory.to_string()),
            ("lots off mass balance", s.mass_balance_off.to_string()),
            ("audit findings", s.findings.to_string()),
            ("FSMA 204 records", s.fsma204_records.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| vec![k.to_owned(), v]),
    );

    let _ = writeln!(out, "## Affected lots\n");
    table(
        &mut out,
        &[
            "lot code",
            "product",
            "why",
            "hops",
            "items",
            "containers",
            "lot",
        ],
        report.lots.iter().map(|l| {
            vec![
                l.lot_code.clone(),
                l.description.clone(),
                l.why.clone(),
                l.hops.to_string(),
                l.items.to_string(),
                l.containers.to_string(),
                format!("`{}`", l.lot),
            ]
        }),
    );

    let _ = writeln!(out, "## Affected items and containers\n");
    let _ = writeln!(
        out,
        "{} items and {} containers; every affected object is listed in `affected_objects.csv`.\n",
        s.items, s.containers
    );
    if !report.containers.is_empty() {
        let codes: BTreeMap<&str, &str> = report
            .lots
            .iter()
            .map(|l| (l.lot.as_str(), l.lot_code.as_str()))
            .collect();
        table(
            &mut out,
            &["container", "affected items held", "lots"],
            report.containers.iter().map(|c| {
                vec![
                    format!("`{}`", c.container),
                    c.items.to_string(),
                    c.lots
                        .iter()
                        .map(|l| codes.get(l.as_str()).copied().unwrap_or(l.as_str()))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            }),
        );
    }

    let _ = writeln!(out, "## Shipments\n");
    let mut shipments: BTreeMap<(&str, &str), ShipmentTotal> = BTreeMap::new();
    for line in &report.shipments {
        let entry = shipments
            .entry((line.at.as_str(), line.ship.as_str()))
            .or_insert_with(|| (line, BTreeMap::new()));
        *entry.1.entry(line.uom.clone()).or_insert(0.0) += line.qty;
    }
    if shipments.is_empty() {
        let _ = writeln!(out, "No shipment carried affected goods.\n");
    } else {
        table(
            &mut out,
            &[
                "shipped at",
                "from",
                "to",
                "consignee",
                "quantity",
                "shipment",
            ],
            shipments.values().map(|(line, qty)| {
                vec![
                    line.at.clone(),
                    place(&line.from_name, &line.from_loc),
                    place(&line.to_name, &line.to_loc),
                    if line.party_name.is_empty() {
                        line.party.clone()
                    } else {
                        line.party_name.clone()
                    },
                    per_unit(qty),
                    format!("`{}`", line.ship),
                ]
            }),
        );
    }

    let _ = writeln!(out, "## Consignees\n");
    if report.consignees.is_empty() {
        let _ = writeln!(out, "No consignee received affected goods.\n");
    } else {
        table(
            &mut out,
            &[
                "consignee",
                "location",
                "city",
                "country",
                "quantity",
                "unit",
            ],
            report.consignees.iter().map(|c| {
                vec![
                    if c.party_name.is_empty() {
                        format!("`{}`", c.party)
                    } else {
                        c.party_name.clone()
                    },
                    place(&c.loc_name, &c.loc),
                    c.city.clone(),
                    c.country.clone(),
                    qty_text(c.qty),
                    c.uom.clone(),
                ]
            }),
        );
    }

    let _ = writeln!(out, "## Inventory to hold\n");
    if report.hold_inventory.is_empty() {
        let _ = writeln!(out, "No affected inventory is on hand.\n");
    } else {
        table(
            &mut out,
            &["lot code", "product", "location", "quantity", "unit"],
            report.hold_inventory.iter().map(|r| {
                vec![
                    r.lot_code.clone(),
                    r.description.clone(),
                    place(&r.loc_name, &r.loc),
                    qty_text(r.qty),
                    r.uom.clone(),
                ]
            }),
        );
    }
    let mut free = BTreeMap::new();
    for row in &report.free_inventory {
        *free.entry(row.uom.clone()).or_insert(0.0) += row.qty;
    }
    let _ = writeln!(
        out,
        "Free inventory (outside the scope, may keep moving): {} records, {}; listed in `free_inventory.csv`.\n",
        report.free_inventory.len(),
        per_unit(&free)
    );

    let _ = writeln!(out, "## Mass balance of the affected lots\n");
    let _ = writeln!(
        out,
        "unaccounted = produced + received − shipped − consumed − on hand − destroyed (audit.dl); `off`: outside the tolerance.\n"
    );
    table(
        &mut out,
        &[
            "lot code",
            "unit",
            "produced",
            "received",
            "shipped",
            "consumed",
            "on hand",
            "destroyed",
            "unaccounted",
            "off",
        ],
        report.mass_balance.iter().map(|m| {
            vec![
                m.lot_code.clone(),
                m.uom.clone(),
                qty_text(m.produced),
                qty_text(m.received),
                qty_text(m.shipped),
                qty_text(m.consumed),
                qty_text(m.on_hand),
                qty_text(m.destroyed),
                qty_text(m.unaccounted),
                if m.off {
                    "off".to_owned()
                } else {
                    String::new()
                },
            ]
        }),
    );

    let _ = writeln!(out, "## Audit findings for the affected scope\n");
    if report.findings.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for finding in &report.findings {
            *kinds.entry(finding.kind.as_str()).or_default() += 1;
        }
        table(
            &mut out,
            &["finding", "count"],
            kinds
                .iter()
                .map(|(k, n)| vec![(*k).to_owned(), n.to_string()]),
        );
        table(
            &mut out,
            &["finding", "subject", "detail"],
            report
                .findings
                .iter()
                .take(MAX_FINDINGS)
                .map(|f| vec![f.kind.clone(), format!("`{}`", f.subject), f.detail.clone()]),
        );
        if report.findings.len() > MAX_FINDINGS {
            let _ = writeln!(
                out,
                "{} more in `findings.csv`.\n",
                report.findings.len() - MAX_FINDINGS
            );
        }
    }

    let _ = writeln!(out, "## Files\n");
    let _ = writeln!(
        out,
        "- `report.json`: this report as one JSON object\n\
         - `affected_objects.csv`, `shipments.csv`, `consignees.csv`, `hold_inventory.csv`, \
         `free_inventory.csv`, `mass_balance.csv`, `findings.csv`: the tables\n\
         - `fsma204.csv`: the FSMA 204 electronic sortable spreadsheet ({} records, {})\n\
         - `genealogy.dot` (and `genealogy.svg` when Graphviz is installed): the genealogy of the affected lots",
        s.fsma204_records,
        report.date_range.describe()
    );
    out
}
