//! This module builds the recall report of `tracelog recall` from an
//! [`Investigation`] over the recall and audit rule sets: a plain data struct
//! ([`Report`]) that the renderers in its submodules turn into files
//! (Markdown, CSV, Graphviz DOT, the FSMA 204 sortable spreadsheet; JSON is
//! the struct itself), and [`write`], which puts them all in a directory at
//! once (a temporary directory beside it, renamed into place).

mod csv;
mod dot;
mod fsma204;
mod markdown;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::investigate::Investigation;

pub use fsma204::{COLUMNS as FSMA204_COLUMNS, DateRange, Record as FsmaRecord};

/// The rule sets a recall report is computed with.
pub const RULE_SETS: &[&str] = &["recall.dl", "audit.dl"];

/// The file that marks a directory as holding a report (and so replaceable).
pub const MARKER: &str = "report.json";

/// What a recall report says, ready to render. Rows are sorted; quantities
/// are rounded to 6 decimals.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The objects under investigation, as given.
    pub seeds: Vec<String>,
    /// The database directory, as given.
    pub database: String,
    pub journal: Journal,
    pub rule_files: Vec<RuleFileRow>,
    /// RFC 3339 UTC.
    pub generated_at: String,
    /// The dates of the FSMA 204 records (inclusive; `null`: unbounded).
    pub date_range: DateRange,
    pub summary: Summary,
    /// Every affected object: lots, items, containers and others.
    pub objects: Vec<AffectedObject>,
    /// The affected lots with their product and what they hold, by hops then lot code.
    pub lots: Vec<LotRow>,
    /// Containers that held affected objects, with the lots they held.
    pub containers: Vec<ContainerRow>,
    /// Why one affected lot follows from another: `made_from` or `shared_equipment`.
    pub edges: Vec<Edge>,
    pub shipments: Vec<ShipmentLine>,
    pub consignees: Vec<Consignee>,
    pub hold_inventory: Vec<InventoryRow>,
    pub free_inventory: Vec<InventoryRow>,
    pub mass_balance: Vec<MassBalance>,
    pub findings: Vec<Finding>,
    pub fsma204: Vec<FsmaRecord>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Journal {
    pub seq: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleFileRow {
    pub file: String,
    pub policy: String,
    pub version: String,
    pub sha256: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub lots: u64,
    pub items: u64,
    pub containers: u64,
    pub others: u64,
    pub shipments: u64,
    /// (party, location) pairs that received affected goods.
    pub consignee_sites: u64,
    /// Distinct locations among them.
    pub locations: u64,
    /// Inventory records (lot, location) to hold, and their quantity per unit.
    pub hold_inventory: u64,
    pub hold_quantity: BTreeMap<String, f64>,
    pub free_inventory: u64,
    pub mass_balance_off: u64,
    pub findings: u64,
    pub fsma204_records: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct AffectedObject {
    pub id: String,
    /// lot | item | container | other
    pub kind: String,
    /// An item's lot ("" otherwise).
    pub lot: String,
    /// The first of seed, made_from, shared_equipment, item_of, held that applies.
    pub reason: String,
    /// The objects that reason names (the seed as given, inputs, the earlier lot, ...).
    pub via: Vec<String>,
    /// The fewest steps from a seed through the reasons.
    pub hops: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LotRow {
    pub lot: String,
    pub lot_code: String,
    pub product: String,
    pub description: String,
    pub reason: String,
    /// The reason in words, lots named by their lot codes.
    pub why: String,
    pub via: Vec<String>,
    pub hops: u64,
    /// Affected items of the lot and the containers that held them.
    pub items: u64,
    pub containers: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ContainerRow {
    pub container: String,
    pub lots: Vec<String>,
    pub items: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub reason: String,
    /// The shared equipment ("" for made_from).
    pub equipment: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShipmentLine {
    pub ship: String,
    pub at: String,
    pub from_loc: String,
    pub from_name: String,
    pub to_loc: String,
    pub to_name: String,
    pub party: String,
    pub party_name: String,
    pub subject: String,
    pub qty: f64,
    pub uom: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Consignee {
    pub party: String,
    pub party_name: String,
    pub loc: String,
    pub loc_name: String,
    pub city: String,
    pub country: String,
    pub uom: String,
    pub qty: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct InventoryRow {
    pub lot: String,
    pub lot_code: String,
    pub description: String,
    pub loc: String,
    pub loc_name: String,
    pub qty: f64,
    pub uom: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MassBalance {
    pub lot: String,
    pub lot_code: String,
    pub uom: String,
    pub produced: f64,
    pub received: f64,
    pub shipped: f64,
    pub consumed: f64,
    pub on_hand: f64,
    pub destroyed: f64,
    pub unaccounted: f64,
    /// Outside the tolerance of audit.dl (`mass_balance_off`).
    pub off: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The audit.dl relation: shipment_without_receipt, no_origin,
    /// unattributed_event, missing_kde, mass_balance_off.
    pub kind: String,
    pub subject: String,
    pub detail: String,
}

/// What a report is about, besides what the investigation computes.
pub struct Context {
    pub seeds: Vec<String>,
    pub database: String,
    pub generated_at: String,
    pub date_range: DateRange,
}

/// A float as the engine writes it, rounded to 6 decimals.
fn num(text: &str) -> f64 {
    round(text.parse().unwrap_or(0.0))
}

fn round(x: f64) -> f64 {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 { 0.0 } else { r }
}

/// A quantity for people: `5`, `12.5`.
pub fn qty_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let text = format!("{x:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The last part of an equipment identifier (`MX1` of `urn:epc:id:giai:0614141.MX1`).
pub fn short_equipment(id: &str) -> &str {
    id.rsplit(['.', ':']).find(|s| !s.is_empty()).unwrap_or(id)
}

/// Master data for names and descriptions.
pub(crate) struct Names {
    lots: HashMap<String, (String, String)>,
    products: HashMap<String, String>,
    locations: HashMap<String, [String; 4]>,
    parties: HashMap<String, String>,
    lot_of: HashMap<String, String>,
}

impl Names {
    fn read(inv: &Investigation) -> Names {
        let mut names = Names {
            lots: HashMap::new(),
            products: HashMap::new(),
            locations: HashMap::new(),
            parties: HashMap::new(),
            lot_of: HashMap::new(),
        };
        for row in inv.rows("lot") {
            names
                .lots
                .insert(row[0].clone(), (row[1].clone(), row[2].clone()));
        }
        for row in inv.rows("product") {
            names.products.insert(row[0].clone(), row[1].clone());
        }
        for row in inv.rows("location") {
            names.locations.insert(
                row[0].clone(),
                [
                    row[1].clone(),
                    row[2].clone(),
                    row[3].clone(),
                    row[4].clone(),
                ],
            );
        }
        for row in inv.rows("party") {
            names.parties.insert(row[0].clone(), row[1].clone());
        }
        for row in inv.rows("lot_of") {
            names.lot_of.insert(row[0].clone(), row[1].clone());
        }
        names
    }

    /// The lot code as printed: master data, else the lot part of an LGTIN,
    /// else the identifier.
    pub(crate) fn lot_code(&self, lot: &str) -> String {
        if let Some((_, code)) = self.lots.get(lot).filter(|(_, code)| !code.is_empty()) {
            return code.clone();
        }
        if let Some(rest) = lot.strip_prefix("urn:epc:class:lgtin:")
            && let Some(code) = rest.splitn(3, '.').nth(2)
        {
            return code.to_owned();
        }
        lot.to_owned()
    }

    pub(crate) fn product(&self, lot: &str) -> &str {
        self.lots.get(lot).map(|(p, _)| p.as_str()).unwrap_or("")
    }

    /// The product description of a lot ("" when unknown).
    pub(crate) fn description(&self, lot: &str) -> String {
        self.products
            .get(self.product(lot))
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn location_name(&self, loc: &str) -> String {
        self.locations
            .get(loc)
            .map(|l| l[1].clone())
            .unwrap_or_default()
    }

    /// "Name, City, Country" of a location (the identifier when unknown).
    pub(crate) fn location_description(&self, loc: &str) -> String {
        match self.locations.get(loc) {
            Some([_, name, city, country]) => [name, city, country]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            None => loc.to_owned(),
        }
    }

    pub(crate) fn party_name(&self, party: &str) -> String {
        self.parties.get(party).cloned().unwrap_or_default()
    }

    pub(crate) fn lot_of(&self, item: &str) -> Option<&str> {
        self.lot_of.get(item).map(String::as_str)
    }
}

const REASONS: &[&str] = &["seed", "made_from", "shared_equipment", "item_of", "held"];

/// The seeds that name nothing recorded in the database: their canonical
/// identifier is of no known kind (no lot, item or container) and no record
/// names it. Call after [`Investigation::set_seeds`].
pub fn unknown_seeds(inv: &Investigation) -> Vec<String> {
    let other: BTreeSet<String> = inv
        .rows("affected_other")
        .into_iter()
        .map(|mut row| row.swap_remove(0))
        .collect();
    if other.is_empty() {
        return Vec::new();
    }
    let named: BTreeSet<String> = inv
        .rows("named")
        .into_iter()
        .map(|mut row| row.swap_remove(0))
        .collect();
    inv.rows("seed_obj")
        .into_iter()
        .filter(|row| other.contains(&row[1]) && !named.contains(&row[1]))
        .map(|mut row| row.swap_remove(0))
        .collect()
}

/// Builds the report from an investigation whose seeds are set.
pub fn build(inv: &Investigation, context: Context) -> Report {
    let names = Names::read(inv);
    let head = inv.head();
    let rule_files = inv
        .rule_files()
        .iter()
        .map(|f| RuleFileRow {
            file: f.file.clone(),
            policy: f.policy.clone(),
            version: f.version.clone(),
            sha256: f.sha256.clone(),
        })
        .collect();

    // Kinds and reasons.
    let mut kind: BTreeMap<String, &str> = BTreeMap::new();
    for (rel, k) in [
        ("affected_lot", "lot"),
        ("affected_item", "item"),
        ("affected_container", "container"),
        ("affected_other", "other"),
    ] {
        for row in inv.rows(rel) {
            kind.insert(row[0].clone(), k);
        }
    }
    let mut why: BTreeMap<String, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
    // via -> obj edges (not the seed reason), for hop counts.
    let mut next: HashMap<String, Vec<String>> = HashMap::new();
    let mut queue = VecDeque::new();
    let mut hops: HashMap<String, u64> = HashMap::new();
    for row in inv.rows("affected_why") {
        let reason = REASONS
            .iter()
            .copied()
            .find(|r| *r == row[1])
            .unwrap_or("held");
        if reason == "seed" {
            if hops.insert(row[0].clone(), 0).is_none() {
                queue.push_back(row[0].clone());
            }
        } else {
            next.entry(row[2].clone()).or_default().push(row[0].clone());
        }
        why.entry(row[0].clone())
            .or_default()
            .entry(reason)
            .or_default()
            .push(row[2].clone());
    }
    while let Some(obj) = queue.pop_front() {
        let h = hops[&obj];
        for succ in next.get(&obj).into_iter().flatten() {
            if !hops.contains_key(succ) {
                hops.insert(succ.clone(), h + 1);
                queue.push_back(succ.clone());
            }
        }
    }
    let primary = |obj: &str| -> (String, Vec<String>) {
        let Some(reasons) = why.get(obj) else {
            return (String::new(), Vec::new());
        };
        for reason in REASONS {
            if let Some(via) = reasons.get(reason) {
                return ((*reason).to_owned(), via.clone());
            }
        }
        (String::new(), Vec::new())
    };
    let objects: Vec<AffectedObject> = kind
        .iter()
        .map(|(id, k)| {
            let (reason, via) = primary(id);
            AffectedObject {
                id: id.clone(),
                kind: (*k).to_owned(),
                lot: if *k == "item" {
                    names.lot_of(id).unwrap_or("").to_owned()
                } else {
                    String::new()
                },
                reason,
                via,
                hops: hops.get(id).copied().unwrap_or(0),
            }
        })
        .collect();

    // Containers and the lots of the items they held (nested containers too).
    let mut held: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (obj, reasons) in &why {
        if let Some(children) = reasons.get("held") {
            held.entry(obj.clone())
                .or_default()
                .extend(children.iter().cloned());
        }
    }
    let mut containers = Vec::new();
    let mut lot_containers: BTreeMap<String, u64> = BTreeMap::new();
    for container in held.keys() {
        let mut items = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![container.clone()];
        while let Some(c) = stack.pop() {
            if !seen.insert(c.clone()) {
                continue;
            }
            for child in held.get(&c).into_iter().flatten() {
                if held.contains_key(child) {
                    stack.push(child.clone());
                } else {
                    items.insert(child.clone());
                }
            }
        }
        let lots: BTreeSet<String> = items
            .iter()
            .map(|x| names.lot_of(x).unwrap_or(x).to_owned())
            .collect();
        for lot in &lots {
            *lot_containers.entry(lot.clone()).or_default() += 1;
        }
        containers.push(ContainerRow {
            container: container.clone(),
            lots: lots.into_iter().collect(),
            items: items.len() as u64,
        });
    }
    let mut lot_items: BTreeMap<String, u64> = BTreeMap::new();
    for object in &objects {
        if object.kind == "item" && !object.lot.is_empty() {
            *lot_items.entry(object.lot.clone()).or_default() += 1;
        }
    }
    let equipment: HashMap<(String, String), String> = inv
        .rows("equip_shared")
        .into_iter()
        .map(|row| ((row[0].clone(), row[1].clone()), row[2].clone()))
        .collect();
    let short = |id: &str| -> String {
        if kind.get(id) == Some(&"lot") {
            names.lot_code(id)
        } else {
            id.to_owned()
        }
    };
    let lots: Vec<LotRow> = objects
        .iter()
        .filter(|o| o.kind == "lot")
        .map(|o| {
            let vias: Vec<String> = o.via.iter().map(|v| short(v)).collect();
            let why = match o.reason.as_str() {
                "seed" => "seed".to_owned(),
                "made_from" => format!("made from {}", vias.join(", ")),
                "shared_equipment" => {
                    let on: BTreeSet<String> = o
                        .via
                        .iter()
                        .filter_map(|v| equipment.get(&(v.clone(), o.id.clone())))
                        .map(|q| short_equipment(q).to_owned())
                        .collect();
                    format!(
                        "ran after {} on {} with no full cleaning between",
                        vias.join(", "),
                        on.into_iter().collect::<Vec<_>>().join(", ")
                    )
                }
                other => format!("{other} {}", vias.join(", ")),
            };
            LotRow {
                lot: o.id.clone(),
                lot_code: names.lot_code(&o.id),
                product: names.product(&o.id).to_owned(),
                description: names.description(&o.id),
                reason: o.reason.clone(),
                why,
                via: o.via.clone(),
                hops: o.hops,
                items: lot_items.get(&o.id).copied().unwrap_or(0),
                containers: lot_containers.get(&o.id).copied().unwrap_or(0),
            }
        })
        .collect();
    let mut lots = lots;
    lots.sort_by(|a, b| (a.hops, &a.lot_code, &a.lot).cmp(&(b.hops, &b.lot_code, &b.lot)));
    let mut edges = Vec::new();
    for lot in &lots {
        for reason in ["made_from", "shared_equipment"] {
            for via in why[&lot.lot].get(reason).into_iter().flatten() {
                if kind.get(via) != Some(&"lot") {
                    continue;
                }
                edges.push(Edge {
                    from: via.clone(),
                    to: lot.lot.clone(),
                    reason: reason.to_owned(),
                    equipment: if reason == "shared_equipment" {
                        equipment
                            .get(&(via.clone(), lot.lot.clone()))
                            .cloned()
                            .unwrap_or_default()
                    } else {
                        String::new()
                    },
                });
            }
        }
    }

    // Shipments and consignees.
    let shipped: HashMap<String, Vec<String>> = inv
        .rows("affected_shipment")
        .into_iter()
        .map(|row| (row[0].clone(), row))
        .collect();
    let mut shipments: Vec<ShipmentLine> = inv
        .rows("affected_ship_line")
        .into_iter()
        .filter_map(|line| {
            let ship = shipped.get(&line[0])?;
            Some(ShipmentLine {
                ship: line[0].clone(),
                at: ship[4].clone(),
                from_loc: ship[1].clone(),
                from_name: names.location_name(&ship[1]),
                to_loc: ship[2].clone(),
                to_name: names.location_name(&ship[2]),
                party: ship[3].clone(),
                party_name: names.party_name(&ship[3]),
                subject: line[1].clone(),
                qty: num(&line[2]),
                uom: line[3].clone(),
            })
        })
        .collect();
    shipments.sort_by(|a, b| (&a.at, &a.ship, &a.subject).cmp(&(&b.at, &b.ship, &b.subject)));
    let consignees: Vec<Consignee> = inv
        .rows("affected_consignee")
        .into_iter()
        .map(|row| {
            let loc = names.locations.get(&row[1]);
            Consignee {
                party: row[0].clone(),
                party_name: names.party_name(&row[0]),
                loc: row[1].clone(),
                loc_name: loc.map(|l| l[1].clone()).unwrap_or_default(),
                city: loc.map(|l| l[2].clone()).unwrap_or_default(),
                country: loc.map(|l| l[3].clone()).unwrap_or_default(),
                uom: row[2].clone(),
                qty: num(&row[3]),
            }
        })
        .collect();
    let sites: BTreeSet<(String, String)> = inv
        .rows("affected_consignee_site")
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let locations: BTreeSet<&String> = sites.iter().map(|(_, loc)| loc).collect();

    // Inventory.
    let inventory = |rel: &str| -> Vec<InventoryRow> {
        inv.rows(rel)
            .into_iter()
            .map(|row| InventoryRow {
                lot_code: names.lot_code(&row[0]),
                description: names.description(&row[0]),
                loc_name: names.location_name(&row[1]),
                lot: row[0].clone(),
                loc: row[1].clone(),
                qty: num(&row[2]),
                uom: row[3].clone(),
            })
            .collect()
    };
    let hold_inventory = inventory("hold_inventory");
    let free_inventory = inventory("free_inventory");
    let mut hold_quantity = BTreeMap::new();
    for row in &hold_inventory {
        *hold_quantity.entry(row.uom.clone()).or_insert(0.0) += row.qty;
    }
    for qty in hold_quantity.values_mut() {
        *qty = round(*qty);
    }

    // Mass balance and findings, restricted to the scope.
    let affected_lots: BTreeSet<String> = lots.iter().map(|l| l.lot.clone()).collect();
    let off: BTreeMap<(String, String), (String, String)> = inv
        .rows("mass_balance_off")
        .into_iter()
        .filter(|row| affected_lots.contains(&row[0]))
        .map(|row| {
            (
                (row[0].clone(), row[1].clone()),
                (row[2].clone(), row[3].clone()),
            )
        })
        .collect();
    let mass_balance: Vec<MassBalance> = inv
        .rows("mass_balance")
        .into_iter()
        .filter(|row| affected_lots.contains(&row[0]))
        .map(|row| MassBalance {
            lot_code: names.lot_code(&row[0]),
            off: off.contains_key(&(row[0].clone(), row[1].clone())),
            lot: row[0].clone(),
            uom: row[1].clone(),
            produced: num(&row[2]),
            received: num(&row[3]),
            shipped: num(&row[4]),
            consumed: num(&row[5]),
            on_hand: num(&row[6]),
            destroyed: num(&row[7]),
            unaccounted: num(&row[8]),
        })
        .collect();
    let events: BTreeSet<String> = inv
        .rows("affected_event")
        .into_iter()
        .map(|mut row| row.swap_remove(0))
        .collect();
    let mut findings = Vec::new();
    for row in inv.rows("shipment_without_receipt") {
        if shipped.contains_key(&row[0]) {
            findings.push(Finding {
                kind: "shipment_without_receipt".to_owned(),
                detail: format!("shipped {} to {}", row[2], row[1]),
                subject: row[0].clone(),
            });
        }
    }
    for row in inv.rows("no_origin") {
        if kind.contains_key(&row[0]) {
            findings.push(Finding {
                kind: "no_origin".to_owned(),
                subject: row[0].clone(),
                detail: "never commissioned, produced, output, packed or received".to_owned(),
            });
        }
    }
    for row in inv.rows("unattributed_event") {
        if events.contains(&row[0]) {
            findings.push(Finding {
                kind: "unattributed_event".to_owned(),
                subject: row[0].clone(),
                detail: row[1].clone(),
            });
        }
    }
    for row in inv.rows("missing_kde") {
        if events.contains(&row[0]) {
            findings.push(Finding {
                kind: "missing_kde".to_owned(),
                subject: row[0].clone(),
                detail: format!("{}: {} (21 CFR {})", row[1], row[2], row[3]),
            });
        }
    }
    for ((lot, uom), (came_in, unaccounted)) in &off {
        findings.push(Finding {
            kind: "mass_balance_off".to_owned(),
            subject: lot.clone(),
            detail: format!(
                "{uom}: came in {}, unaccounted {}",
                qty_text(num(came_in)),
                qty_text(num(unaccounted))
            ),
        });
    }
    findings
        .sort_by(|a, b| (&a.kind, &a.subject, &a.detail).cmp(&(&b.kind, &b.subject, &b.detail)));

    let fsma204 = fsma204::records(inv, &names, &affected_lots, &context.date_range);

    let count = |k: &str| objects.iter().filter(|o| o.kind == k).count() as u64;
    let summary = Summary {
        lots: count("lot"),
        items: count("item"),
        containers: count("container"),
        others: count("other"),
        shipments: shipped.len() as u64,
        consignee_sites: sites.len() as u64,
        locations: locations.len() as u64,
        hold_inventory: hold_inventory.len() as u64,
        hold_quantity,
        free_inventory: free_inventory.len() as u64,
        mass_balance_off: off.len() as u64,
        findings: findings.len() as u64,
        fsma204_records: fsma204.len() as u64,
    };
    Report {
        seeds: context.seeds,
        database: context.database,
        journal: Journal {
            seq: head.seq,
            sha256: head.hash.clone(),
        },
        rule_files,
        generated_at: context.generated_at,
        date_range: context.date_range,
        summary,
        objects,
        lots,
        containers,
        edges,
        shipments,
        consignees,
        hold_inventory,
        free_inventory,
        mass_balance,
        findings,
        fsma204,
    }
}

/// The report as one JSON object (fields in declaration order, rows sorted).
pub fn to_json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report serializes");
    text.push('\n');
    text
}

pub use dot::render as to_dot;
pub use markdown::render as to_markdown;

/// What [`write`] did.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// The files written, by name, in the order written.
    pub files: Vec<String>,
    /// What was not done and why (no `dot` on PATH, ...).
    pub notes: Vec<String>,
}

/// Checks that `out` may receive a report: missing, an empty directory, or a
/// directory holding a previous report (it has `report.json`).
pub fn check_out(out: &Path) -> Result<(), Box<Diagnostic>> {
    let shown = out.display().to_string();
    let refuse = |why: &str| {
        Err(Box::new(Diagnostic::error(
            Code::OutputExists,
            format!("`{shown}` {why}: the report is not written there"),
        )
        .at_location(Location::File {
            path: shown.clone(),
        })
        .with_help(
            "give --out a new directory, an empty one or one holding a previous report (report.json)",
        )))
    };
    match std::fs::symlink_metadata(out) {
        Err(_) => Ok(()),
        Ok(meta) if !meta.is_dir() => refuse("exists and is not a directory"),
        Ok(_) => {
            if out.join(MARKER).is_file() {
                return Ok(());
            }
            match std::fs::read_dir(out) {
                Ok(mut entries) => {
                    if entries.next().is_none() {
                        Ok(())
                    } else {
                        refuse("is a directory that holds files but no previous report")
                    }
                }
                Err(err) => refuse(&format!("cannot be read ({err})")),
            }
        }
    }
}

/// Writes every file of the report into `out` at once: into a temporary
/// directory beside it first, which then replaces `out` (a previous report
/// there is removed). On failure nothing of the new report is left.
pub fn write(report: &Report, out: &Path) -> Result<Written, Box<Diagnostic>> {
    check_out(out)?;
    let shown = out.display().to_string();
    let failed = |what: String| {
        Box::new(
            Diagnostic::error(Code::OutputFailed, what).at_location(Location::File {
                path: shown.clone(),
            }),
        )
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .map_err(|err| failed(format!("cannot create `{}`: {err}", parent.display())))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".to_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp)
        .map_err(|err| failed(format!("cannot create `{}`: {err}", tmp.display())))?;
    let written = match write_files(report, &tmp) {
        Ok(written) => written,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(failed(format!("cannot write the report: {err}")));
        }
    };
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let had_old = out.exists();
    if had_old && let Err(err) = std::fs::rename(out, &old) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(failed(format!(
            "cannot move the previous report aside: {err}"
        )));
    }
    if let Err(err) = std::fs::rename(&tmp, out) {
        if had_old {
            let _ = std::fs::rename(&old, out);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(failed(format!("cannot move the report into place: {err}")));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(written)
}

fn write_files(report: &Report, dir: &Path) -> std::io::Result<Written> {
    let mut written = Written::default();
    let mut put = |name: &str, text: &str| -> std::io::Result<()> {
        std::fs::write(dir.join(name), text)?;
        written.files.push(name.to_owned());
        Ok(())
    };
    put("report.md", &markdown::render(report))?;
    put(MARKER, &to_json(report))?;
    for (name, text) in csv::render_all(report)? {
        put(name, &text)?;
    }
    put("fsma204.csv", &fsma204::render(&report.fsma204)?)?;
    put("genealogy.dot", &dot::render(report))?;
    match dot::svg(&dir.join("genealogy.dot"), &dir.join("genealogy.svg")) {
        Ok(()) => written.files.push("genealogy.svg".to_owned()),
        Err(note) => written.notes.push(note),
    }
    Ok(written)
}
