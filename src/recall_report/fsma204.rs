//! This module makes the FSMA 204 electronic sortable spreadsheet of a recall
//! report: one row per critical tracking event record (shipping, receiving,
//! transformation) and traceability lot code of the affected scope, with the
//! key data elements of 21 CFR 1.1340, 1.1345 and 1.1350 as columns (the
//! column mapping is documented in docs/traceability.md).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::{Names, num, qty_text};
use crate::diagnostic::{Code, Diagnostic};
use crate::investigate::Investigation;

/// The spreadsheet's columns, in order.
pub const COLUMNS: &[&str] = &[
    "CTE",
    "Event Date",
    "Event Time (UTC)",
    "Traceability Lot Code",
    "TLC - GTIN",
    "TLC ID",
    "Lot Role",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "CTE Location Description",
    "CTE Location ID",
    "Immediate Previous Source Location Description",
    "Immediate Previous Source Location ID",
    "Immediate Subsequent Recipient Location Description",
    "Immediate Subsequent Recipient Location ID",
    "TLC Source Location Description",
    "TLC Source Location ID",
    "Reference Document Type",
    "Reference Document Number",
    "Record ID",
];

/// One row of the spreadsheet (the fields in [`COLUMNS`] order).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Record {
    pub date: String,
    pub tlc: String,
    pub time_utc: String,
    pub cte: String,
    pub record_id: String,
    pub role: String,
    pub gtin: String,
    pub lot: String,
    pub description: String,
    pub quantity: String,
    pub uom: String,
    pub location: String,
    pub location_id: String,
    pub previous_source: String,
    pub previous_source_id: String,
    pub recipient: String,
    pub recipient_id: String,
    pub tlc_source: String,
    pub tlc_source_id: String,
    pub reference_type: String,
    pub reference_number: String,
}

impl Record {
    fn cells(&self) -> [&str; 21] {
        [
            &self.cte,
            &self.date,
            &self.time_utc,
            &self.tlc,
            &self.gtin,
            &self.lot,
            &self.role,
            &self.description,
            &self.quantity,
            &self.uom,
            &self.location,
            &self.location_id,
            &self.previous_source,
            &self.previous_source_id,
            &self.recipient,
            &self.recipient_id,
            &self.tlc_source,
            &self.tlc_source_id,
            &self.reference_type,
            &self.reference_number,
            &self.record_id,
        ]
    }
}

/// The dates a spreadsheet covers, inclusive, `YYYY-MM-DD`; `None`: unbounded.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl DateRange {
    /// Reads `--from` and `--to`: dates `YYYY-MM-DD`, from no later than to.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<DateRange, Box<Diagnostic>> {
        let date = |flag: &str, text: Option<&str>| -> Result<Option<String>, Box<Diagnostic>> {
            let Some(text) = text else { return Ok(None) };
            match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                Ok(date) => Ok(Some(date.format("%Y-%m-%d").to_string())),
                Err(_) => Err(Box::new(
                    Diagnostic::error(Code::BadDate, format!("{flag} `{text}` is not a date"))
                        .with_help("give a calendar date as YYYY-MM-DD, such as 2026-03-04"),
                )),
            }
        };
        let range = DateRange {
            from: date("--from", from)?,
            to: date("--to", to)?,
        };
        if let (Some(from), Some(to)) = (&range.from, &range.to)
            && from > to
        {
            return Err(Box::new(
                Diagnostic::error(
                    Code::BadDate,
                    format!("--from {from} is after --to {to}: the range holds no date"),
                )
                .with_help("both dates are inclusive; give --from no later than --to"),
            ));
        }
        Ok(range)
    }

    pub fn contains(&self, date: &str) -> bool {
        self.from.as_deref().is_none_or(|from| from <= date)
            && self.to.as_deref().is_none_or(|to| date <= to)
    }

    /// `all dates`, `from 2026-03-04`, `2026-03-04 to 2026-03-06`, ...
    pub fn describe(&self) -> String {
        match (&self.from, &self.to) {
            (None, None) => "all dates".to_owned(),
            (Some(f), None) => format!("from {f}"),
            (None, Some(t)) => format!("up to {t}"),
            (Some(f), Some(t)) => format!("{f} to {t}"),
        }
    }
}

/// The local date of an RFC 3339 UTC time at the offset `tz` (`-06:00`);
/// the UTC date when the offset is not given or not readable.
fn local_date(time: &str, tz: &str) -> String {
    let Ok(utc) = chrono::DateTime::parse_from_rfc3339(time) else {
        return time.get(..10).unwrap_or(time).to_owned();
    };
    let offset = parse_offset(tz).unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero offset"));
    utc.with_timezone(&offset).format("%Y-%m-%d").to_string()
}

fn parse_offset(tz: &str) -> Option<chrono::FixedOffset> {
    let (sign, rest) = match tz.as_bytes().first()? {
        b'+' => (1, &tz[1..]),
        b'-' => (-1, &tz[1..]),
        b'Z' if tz == "Z" => return chrono::FixedOffset::east_opt(0),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    chrono::FixedOffset::east_opt(sign * secs)
}

/// The GTIN-14 of an LGTIN or SGTIN EPC URN ("" for anything else).
pub fn gtin(id: &str) -> String {
    let rest = id
        .strip_prefix("urn:epc:class:lgtin:")
        .or_else(|| id.strip_prefix("urn:epc:id:sgtin:"));
    let Some(rest) = rest else {
        return String::new();
    };
    let mut parts = rest.splitn(3, '.');
    let (Some(prefix), Some(item)) = (parts.next(), parts.next()) else {
        return String::new();
    };
    if item.is_empty()
        || !prefix
            .bytes()
            .chain(item.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return String::new();
    }
    let body = format!("{}{}{}", &item[..1], prefix, &item[1..]);
    if body.len() != 13 {
        return String::new();
    }
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A CTE record's lot with its quantity per unit ("" when none is given).
type Lines = BTreeMap<(String, String), BTreeMap<String, f64>>;

fn add(lines: &mut Lines, role: &str, lot: &str, uom: &str, qty: f64) {
    *lines
        .entry((role.to_owned(), lot.to_owned()))
        .or_default()
        .entry(uom.to_owned())
        .or_insert(0.0) += qty;
}

/// The CTE records of the affected lots whose date is in `range`, sorted by
/// date, then traceability lot code.
pub(super) fn records(
    inv: &Investigation,
    names: &Names,
    affected: &BTreeSet<String>,
    range: &DateRange,
) -> Vec<Record> {
    let events: HashMap<String, Vec<String>> = inv
        .rows("event")
        .into_iter()
        .map(|row| (row[0].clone(), row))
        .collect();
    let ctes: Vec<(String, String)> = inv
        .rows("cte")
        .into_iter()
        .filter(|row| events.contains_key(&row[0]))
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let cte_of: HashMap<&str, &str> = ctes.iter().map(|(e, c)| (e.as_str(), c.as_str())).collect();
    let role_of = |cte: &str, role: &str| -> Option<&'static str> {
        match (cte, role) {
            ("transformation", "input") => Some("input"),
            ("transformation", "output") => Some("output"),
            ("shipping" | "receiving", "subject" | "child") => Some(""),
            _ => None,
        }
    };
    // Lots and quantities per event: class-level quantities, class-level
    // identifiers without one, and items counted per lot.
    let mut lines: HashMap<String, Lines> = HashMap::new();
    for row in inv.rows("ev_qty") {
        let Some(cte) = cte_of.get(row[0].as_str()) else {
            continue;
        };
        let Some(role) = role_of(cte, &row[1]) else {
            continue;
        };
        if affected.contains(&row[2]) {
            add(
                lines.entry(row[0].clone()).or_default(),
                role,
                &row[2],
                &row[4],
                num(&row[3]),
            );
        }
    }
    for row in inv.rows("ev_class") {
        let Some(cte) = cte_of.get(row[0].as_str()) else {
            continue;
        };
        let Some(role) = role_of(cte, &row[1]) else {
            continue;
        };
        if affected.contains(&row[2]) {
            lines
                .entry(row[0].clone())
                .or_default()
                .entry((role.to_owned(), row[2].clone()))
                .or_default();
        }
    }
    let mut items: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for row in inv.rows("ev_obj") {
        let Some(cte) = cte_of.get(row[0].as_str()) else {
            continue;
        };
        if *cte != "transformation" {
            continue;
        }
        let Some(role) = role_of(cte, &row[1]) else {
            continue;
        };
        if let Some(lot) = names.lot_of(&row[2]).filter(|l| affected.contains(*l)) {
            items.insert((
                row[0].clone(),
                role.to_owned(),
                lot.to_owned(),
                row[2].clone(),
            ));
        }
    }
    for row in inv.rows("carried") {
        let Some(cte) = cte_of.get(row[0].as_str()) else {
            continue;
        };
        if *cte == "transformation" {
            continue;
        }
        if let Some(lot) = names.lot_of(&row[1]).filter(|l| affected.contains(*l)) {
            items.insert((
                row[0].clone(),
                String::new(),
                lot.to_owned(),
                row[1].clone(),
            ));
        }
    }
    for (ev, role, lot, _) in &items {
        add(lines.entry(ev.clone()).or_default(), role, lot, "EA", 1.0);
    }
    let mut refs: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for row in inv.rows("ev_biztx") {
        refs.entry(row[0].clone())
            .or_default()
            .push((row[1].clone(), document_number(&row[2]).to_owned()));
    }
    let first = |rel: &str| -> HashMap<String, String> {
        let mut map = HashMap::new();
        for row in inv.rows(rel) {
            if !row[1].is_empty() {
                map.entry(row[0].clone()).or_insert_with(|| row[1].clone());
            }
        }
        map
    };
    let ship_from = first("ship_from");
    let ship_to = first("ship_to");
    let tlc_source = first("tlc_source");
    let mut previous: HashMap<String, String> = HashMap::new();
    for row in inv.rows("ev_src") {
        if row[1] == "location" && !row[2].is_empty() {
            previous
                .entry(row[0].clone())
                .or_insert_with(|| row[2].clone());
        }
    }

    let mut out = Vec::new();
    let mut push = |base: &Record, role: &str, lot: &str, quantities: &BTreeMap<String, f64>| {
        let quantities: Vec<(&String, &f64)> = if quantities.is_empty() {
            Vec::new()
        } else {
            quantities.iter().collect()
        };
        let rows: Vec<(String, String)> = if quantities.is_empty() {
            vec![(String::new(), String::new())]
        } else {
            quantities
                .into_iter()
                .map(|(uom, qty)| (qty_text(*qty), uom.clone()))
                .collect()
        };
        let (source_desc, source_id) = match tlc_source.get(lot) {
            Some(loc) => (names.location_description(loc), loc.clone()),
            None => (String::new(), String::new()),
        };
        for (quantity, uom) in rows {
            out.push(Record {
                tlc: names.lot_code(lot),
                gtin: gtin(lot),
                lot: lot.to_owned(),
                role: role.to_owned(),
                description: names.description(lot),
                quantity,
                uom,
                tlc_source: source_desc.clone(),
                tlc_source_id: source_id.clone(),
                ..base.clone()
            });
        }
    };
    let place = |loc: Option<&String>| -> (String, String) {
        match loc {
            Some(loc) if !loc.is_empty() => (names.location_description(loc), loc.clone()),
            _ => (String::new(), String::new()),
        }
    };
    // Lots output by an EPCIS transformation: their plant batches are the same CTE.
    let mut event_outputs = BTreeSet::new();
    for (ev, cte) in &ctes {
        let Some(ev_lines) = lines.get(ev) else {
            continue;
        };
        let event = &events[ev];
        if cte == "transformation" {
            event_outputs.extend(
                ev_lines
                    .keys()
                    .filter(|(role, _)| role == "output")
                    .map(|(_, lot)| lot.clone()),
            );
        }
        let date = local_date(&event[3], &event[4]);
        if !range.contains(&date) {
            continue;
        }
        let (location, location_id, previous_source, previous_source_id, recipient, recipient_id) =
            match cte.as_str() {
                "shipping" => {
                    let (l, li) = place(ship_from.get(ev));
                    let (r, ri) = place(ship_to.get(ev));
                    (l, li, String::new(), String::new(), r, ri)
                }
                "receiving" => {
                    let (l, li) = place(Some(&event[8]));
                    let (p, pi) = place(previous.get(ev));
                    (l, li, p, pi, String::new(), String::new())
                }
                _ => {
                    let (l, li) = place(Some(&event[8]));
                    (
                        l,
                        li,
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    )
                }
            };
        let ev_refs = refs.get(ev).cloned().unwrap_or_default();
        let base = Record {
            date,
            time_utc: event[3].clone(),
            cte: title(cte),
            record_id: ev.clone(),
            location,
            location_id,
            previous_source,
            previous_source_id,
            recipient,
            recipient_id,
            reference_type: ev_refs
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            reference_number: ev_refs
                .iter()
                .map(|(_, r)| r.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            ..Record::default()
        };
        for ((role, lot), quantities) in ev_lines {
            push(&base, role, lot, quantities);
        }
    }

    // Plant data: shipments, receipts and batches.
    let ship_lines = group(inv.rows("ship_line"));
    for ship in inv.rows("shipment") {
        let date = local_date(&ship[4], "");
        if !range.contains(&date) {
            continue;
        }
        let (location, location_id) = place(Some(&ship[1]));
        let (recipient, recipient_id) = place(Some(&ship[2]));
        let base = Record {
            date,
            time_utc: ship[4].clone(),
            cte: "Shipping".to_owned(),
            record_id: ship[0].clone(),
            location,
            location_id,
            recipient,
            recipient_id,
            reference_number: ship[5].clone(),
            ..Record::default()
        };
        plant_lines(&ship_lines, &ship[0], "", affected, &base, &mut push);
    }
    let rcpt_lines = group(inv.rows("rcpt_line"));
    for rcpt in inv.rows("receipt") {
        let date = local_date(&rcpt[4], "");
        if !range.contains(&date) {
            continue;
        }
        let (location, location_id) = place(Some(&rcpt[2]));
        let (previous_source, previous_source_id) = place(Some(&rcpt[3]));
        let base = Record {
            date,
            time_utc: rcpt[4].clone(),
            cte: "Receiving".to_owned(),
            record_id: rcpt[0].clone(),
            location,
            location_id,
            previous_source,
            previous_source_id,
            reference_type: if rcpt[1].is_empty() {
                String::new()
            } else {
                "shipment".to_owned()
            },
            reference_number: rcpt[1].clone(),
            ..Record::default()
        };
        plant_lines(&rcpt_lines, &rcpt[0], "", affected, &base, &mut push);
    }
    let mut batch_lines: BTreeMap<String, Vec<(String, String, String, String)>> = BTreeMap::new();
    for (rel, role) in [("consume", "input"), ("produce", "output")] {
        for row in inv.rows(rel) {
            batch_lines.entry(row[0].clone()).or_default().push((
                role.to_owned(),
                row[1].clone(),
                row[2].clone(),
                row[3].clone(),
            ));
        }
    }
    for batch in inv.rows("batch") {
        let Some(blines) = batch_lines.get(&batch[0]) else {
            continue;
        };
        let touches = blines.iter().any(|(_, lot, _, _)| affected.contains(lot));
        let covered = blines
            .iter()
            .any(|(role, lot, _, _)| role == "output" && event_outputs.contains(lot));
        if !touches || covered {
            continue;
        }
        let date = local_date(&batch[4], "");
        if !range.contains(&date) {
            continue;
        }
        let (location, location_id) = place(Some(&batch[2]));
        let base = Record {
            date,
            time_utc: batch[4].clone(),
            cte: "Transformation".to_owned(),
            record_id: batch[0].clone(),
            location,
            location_id,
            reference_type: "batch".to_owned(),
            reference_number: batch[0].clone(),
            ..Record::default()
        };
        let mut per_lot: Lines = BTreeMap::new();
        for (role, lot, qty, uom) in blines {
            if affected.contains(lot) {
                add(&mut per_lot, role, lot, uom, num(qty));
            }
        }
        for ((role, lot), quantities) in &per_lot {
            push(&base, role, lot, quantities);
        }
    }
    out.sort();
    out
}

/// The number of a CBV business transaction URN
/// (`urn:epcglobal:cbv:bt:0614141000012:PO-1` gives `PO-1`); anything else as is.
fn document_number(reference: &str) -> &str {
    match reference.strip_prefix("urn:epcglobal:cbv:bt:") {
        Some(rest) => rest.split_once(':').map_or(rest, |(_, number)| number),
        None => reference,
    }
}

fn title(cte: &str) -> String {
    let mut chars = cte.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn group(rows: Vec<Vec<String>>) -> HashMap<String, Vec<Vec<String>>> {
    let mut map: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for row in rows {
        map.entry(row[0].clone()).or_default().push(row);
    }
    map
}

/// The lines (subject, qty, uom) of a plant shipment or receipt that name an affected lot.
fn plant_lines(
    lines: &HashMap<String, Vec<Vec<String>>>,
    id: &str,
    role: &str,
    affected: &BTreeSet<String>,
    base: &Record,
    push: &mut impl FnMut(&Record, &str, &str, &BTreeMap<String, f64>),
) {
    let mut per_lot: Lines = BTreeMap::new();
    for line in lines.get(id).into_iter().flatten() {
        if affected.contains(&line[1]) {
            add(&mut per_lot, role, &line[1], &line[3], num(&line[2]));
        }
    }
    for ((role, lot), quantities) in &per_lot {
        push(base, role, lot, quantities);
    }
}

/// The spreadsheet as CSV text.
pub(super) fn render(records: &[Record]) -> std::io::Result<String> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer
        .write_record(COLUMNS)
        .map_err(std::io::Error::other)?;
    for record in records {
        writer
            .write_record(record.cells())
            .map_err(std::io::Error::other)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    String::from_utf8(bytes).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtin_of_an_lgtin() {
        // GS1 TDS example: urn:epc:id:sgtin:0614141.107346.2017 is (01)10614141073464 (21)2017
        assert_eq!(
            gtin("urn:epc:id:sgtin:0614141.107346.2017"),
            "10614141073464"
        );
        assert_eq!(
            gtin("urn:epc:class:lgtin:0614141.107346.LOT"),
            "10614141073464"
        );
        assert_eq!(gtin("LOT-1"), "");
    }

    #[test]
    fn local_dates_and_ranges() {
        assert_eq!(local_date("2026-03-05T03:30:00Z", "-06:00"), "2026-03-04");
        assert_eq!(local_date("2026-03-05T03:30:00Z", ""), "2026-03-05");
        let range = DateRange::parse(Some("2026-03-04"), Some("2026-03-05")).unwrap();
        assert!(range.contains("2026-03-04") && range.contains("2026-03-05"));
        assert!(!range.contains("2026-03-06") && !range.contains("2026-03-03"));
        assert!(DateRange::parse(Some("2026-03-06"), Some("2026-03-05")).is_err());
        assert_eq!(
            DateRange::parse(Some("March 4"), None).unwrap_err().code,
            Code::BadDate
        );
    }
}
