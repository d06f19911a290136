//! This module writes the scenario of `tracelog demo`: a food plant (Northfield
//! Foods, spinach and feta hand pies and quiche) whose spinach lot `SP-0304`
//! is contaminated, told as EPCIS 2.0 JSON-LD documents (supplier shipments,
//! receipts, mixing and baking transformations, commissioning of cases,
//! pallets, shipments to two distribution centres and twenty stores, an error
//! declaration) and as plant CSVs of the schema relations (batches,
//! consumption, equipment runs, cleanings, inventory, status, master data).
//!
//! The output is a pure function of the seed: no clock, no hash-map order.
//! examples/demo/README.md tells the story and the right recall scope;
//! `expected_scope.json` holds that scope as the generator knows it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

/// The seed of the committed scenario in examples/demo.
pub const DEFAULT_SEED: u64 = 204;

/// What [`write`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// File names, relative to the directory, in the order written.
    pub files: Vec<String>,
    /// EPCIS events over all documents (the error declaration included).
    pub n_events: usize,
    /// Rows over all plant CSVs.
    pub n_rows: usize,
    /// The contaminated lot (canonical LGTIN).
    pub contaminated_lot: String,
    /// The lots in the right recall scope (the contaminated one included).
    pub affected_lots: Vec<String>,
}

/// Writes the scenario into `dir` (created if missing).
pub fn write(dir: &Path, seed: u64) -> io::Result<Summary> {
    let scenario = build(seed);
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    let mut n_events = 0;
    for (name, events) in &scenario.documents {
        n_events += events.len();
        let doc = json!({
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": scenario.created,
            "epcisBody": { "eventList": events },
        });
        let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
        text.push('\n');
        std::fs::write(dir.join(name), text)?;
        files.push(name.clone());
    }
    let mut n_rows = 0;
    for (rel, (header, rows)) in &scenario.tables {
        let mut text = String::new();
        text.push_str(&header.join(","));
        text.push('\n');
        for row in rows {
            let fields: Vec<String> = row.iter().map(|field| csv_field(field)).collect();
            text.push_str(&fields.join(","));
            text.push('\n');
        }
        n_rows += rows.len();
        let name = format!("plant/{rel}.csv");
        std::fs::create_dir_all(dir.join("plant"))?;
        std::fs::write(dir.join(&name), text)?;
        files.push(name);
    }
    let mut scope = serde_json::to_string_pretty(&scenario.scope).expect("JSON values serialize");
    scope.push('\n');
    std::fs::write(dir.join("expected_scope.json"), scope)?;
    files.push("expected_scope.json".to_owned());
    Ok(Summary {
        files,
        n_events,
        n_rows,
        contaminated_lot: scenario.contaminated_lot,
        affected_lots: scenario.affected_lots,
    })
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

// ---------------------------------------------------------------- identifiers

const PLANT_PREFIX: &str = "0614141";
const RETAIL_PREFIX: &str = "0812345";
const DIST_PREFIX: &str = "0700007";

fn sgln(prefix: &str, loc: u32, ext: &str) -> String {
    format!("urn:epc:id:sgln:{prefix}.{loc:05}.{ext}")
}

fn pgln(prefix: &str) -> String {
    format!("urn:epc:id:pgln:{prefix}.00000")
}

fn lgtin(item: &str, lot: &str) -> String {
    format!("urn:epc:class:lgtin:{item}.{lot}")
}

fn sgtin(item: &str, serial: u32) -> String {
    format!("urn:epc:id:sgtin:{item}.{serial}")
}

fn sscc(serial: u32) -> String {
    format!("urn:epc:id:sscc:{PLANT_PREFIX}.1{serial:09}")
}

fn giai(asset: &str) -> String {
    format!("urn:epc:id:giai:{PLANT_PREFIX}.{asset}")
}

/// A GLN with its check digit (GS1 mod-10), for business transaction URIs.
fn gln(prefix: &str, loc: u32) -> String {
    let digits = format!("{prefix}{loc:05}");
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(idx, b)| (b - b'0') as u32 * if idx % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

fn bt(prefix: &str, loc: u32, id: &str) -> String {
    format!("urn:epcglobal:cbv:bt:{}:{id}", gln(prefix, loc))
}

struct Item {
    gtin: &'static str,
    name: &'static str,
    ftl: &'static str,
}

const SPINACH: Item = Item {
    gtin: "0860001.010001",
    name: "Baby spinach, fresh-cut, 10 kg case",
    ftl: "Leafy greens (fresh-cut)",
};
const FETA: Item = Item {
    gtin: "0860002.020001",
    name: "Feta cheese, 15 kg block",
    ftl: "Soft cheese",
};
const FLOUR: Item = Item {
    gtin: "0860003.030001",
    name: "Wheat flour, 25 kg bag",
    ftl: "",
};
const BUTTER: Item = Item {
    gtin: "0860002.020002",
    name: "Butter, 25 kg block",
    ftl: "",
};
const FILLING: Item = Item {
    gtin: "0614141.100001",
    name: "Spinach and feta filling (WIP)",
    ftl: "Leafy greens (fresh-cut)",
};
const DOUGH: Item = Item {
    gtin: "0614141.100002",
    name: "Pastry dough (WIP)",
    ftl: "",
};
const PIES: Item = Item {
    gtin: "0614141.300001",
    name: "Spinach and feta hand pies, case of 12 x 6-pack",
    ftl: "Leafy greens (fresh-cut)",
};
const QUICHE: Item = Item {
    gtin: "0614141.300002",
    name: "Spinach quiche, case of 8",
    ftl: "Leafy greens (fresh-cut)",
};

// ---------------------------------------------------------------- the scenario

/// Production days, from 2026-03-02.
const DAYS: u32 = 10;
/// Spinach lot `k` is used on days 2k and 2k+1; lot 1 (SP-0304) is contaminated.
const BAD_SPINACH: usize = 1;
const PALLET_SIZE: usize = 20;
const ORDER_SIZE: usize = 4;
const N_STORES: u32 = 20;

struct Scenario {
    created: String,
    documents: Vec<(String, Vec<Value>)>,
    tables: BTreeMap<&'static str, (Vec<&'static str>, Vec<Vec<String>>)>,
    scope: Value,
    contaminated_lot: String,
    affected_lots: Vec<String>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "urn:uuid:{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Local time at the plant and its region: US Central, DST from 2026-03-08.
fn local(time: NaiveDateTime) -> (String, String) {
    let dst = time.date() >= NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
    let offset = if dst { "-05:00" } else { "-06:00" };
    (
        format!("{}{offset}", time.format("%Y-%m-%dT%H:%M:%S")),
        offset.to_owned(),
    )
}

fn utc(time: NaiveDateTime) -> String {
    let dst = time.date() >= NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
    let hours = if dst { 5 } else { 6 };
    format!(
        "{}Z",
        (time + Duration::hours(hours)).format("%Y-%m-%dT%H:%M:%S")
    )
}

fn day(idx: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() + Duration::days(idx as i64)
}

fn at(date: NaiveDate, hour: u32, min: u32) -> NaiveDateTime {
    date.and_hms_opt(hour, min, 0).unwrap()
}

fn qty(class: &str, quantity: f64, uom: &str) -> Value {
    json!({"epcClass": class, "quantity": quantity, "uom": uom})
}

fn f(v: f64) -> String {
    let mut out = String::new();
    crate::value::write_const(&mut out, &crate::ir::Const::Float(v));
    out
}

/// A lot as the plant tracks it.
struct Lot {
    id: String,
    item: &'static Item,
    code: String,
    /// Affected by the contamination, and how (for the scope file).
    affected: Option<&'static str>,
}

struct Gen {
    rng: Rng,
    events: BTreeMap<&'static str, Vec<Value>>,
    tables: BTreeMap<&'static str, (Vec<&'static str>, Vec<Vec<String>>)>,
    lots: Vec<Lot>,
}

impl Gen {
    fn event(
        &mut self,
        doc: &'static str,
        etype: &str,
        time: NaiveDateTime,
        fields: Value,
    ) -> String {
        let id = self.rng.uuid();
        let (event_time, offset) = local(time);
        let mut event = json!({
            "type": etype,
            "eventID": id,
            "eventTime": event_time,
            "eventTimeZoneOffset": offset,
        });
        let map = event.as_object_mut().unwrap();
        for (key, value) in fields.as_object().expect("event fields are an object") {
            map.insert(key.clone(), value.clone());
        }
        self.events.entry(doc).or_default().push(event);
        id
    }

    fn row(&mut self, rel: &'static str, header: &[&'static str], row: Vec<String>) {
        let entry = self
            .tables
            .entry(rel)
            .or_insert_with(|| (header.to_vec(), Vec::new()));
        entry.1.push(row);
    }

    fn lot(&mut self, item: &'static Item, code: String) -> usize {
        self.lots.push(Lot {
            id: lgtin(item.gtin, &code),
            item,
            code,
            affected: None,
        });
        self.lots.len() - 1
    }
}

fn build(seed: u64) -> Scenario {
    let mut g = Gen {
        rng: Rng(seed),
        events: BTreeMap::new(),
        tables: BTreeMap::new(),
        lots: Vec::new(),
    };
    let plant = sgln(PLANT_PREFIX, 1, "0");
    let plant_party = pgln(PLANT_PREFIX);
    let rp = |ext: &str| sgln(PLANT_PREFIX, 1, ext);
    let dist_party = pgln(DIST_PREFIX);
    let dcs = [sgln(DIST_PREFIX, 10, "0"), sgln(DIST_PREFIX, 11, "0")];
    let chains = [pgln(RETAIL_PREFIX), pgln("0812399")];
    let store = |n: u32| -> (String, String) {
        let prefix = if n <= 12 { RETAIL_PREFIX } else { "0812399" };
        (sgln(prefix, 1000 + n, "0"), pgln(prefix))
    };

    // Master data.
    let party_h = ["party", "name"];
    for (party, name) in [
        (pgln("0860001"), "Salinas Valley Greens"),
        (pgln("0860002"), "Prairie Creamery"),
        (pgln("0860003"), "Red River Milling"),
        (plant_party.clone(), "Northfield Foods"),
        (dist_party.clone(), "Lakeshore Distribution"),
        (chains[0].clone(), "FreshMart"),
        (chains[1].clone(), "Corner Grocer Co-op"),
    ] {
        g.row("party", &party_h, vec![party, name.to_owned()]);
    }
    let loc_h = ["loc", "party", "name", "city", "country"];
    let suppliers = [
        (
            sgln("0860001", 1, "0"),
            pgln("0860001"),
            "Salinas Valley Greens packhouse",
            "Salinas",
        ),
        (
            sgln("0860002", 1, "0"),
            pgln("0860002"),
            "Prairie Creamery",
            "Green Bay",
        ),
        (
            sgln("0860003", 1, "0"),
            pgln("0860003"),
            "Red River Mill",
            "Fargo",
        ),
    ];
    for (loc, party, name, city) in &suppliers {
        g.row(
            "location",
            &loc_h,
            vec![
                loc.clone(),
                party.clone(),
                name.to_string(),
                city.to_string(),
                "US".into(),
            ],
        );
    }
    g.row(
        "location",
        &loc_h,
        vec![
            plant.clone(),
            plant_party.clone(),
            "Northfield Foods plant".into(),
            "Cedar Rapids".into(),
            "US".into(),
        ],
    );
    for (dc, city) in dcs.iter().zip(["Chicago", "Omaha"]) {
        g.row(
            "location",
            &loc_h,
            vec![
                dc.clone(),
                dist_party.clone(),
                format!("Lakeshore DC {city}"),
                city.into(),
                "US".into(),
            ],
        );
    }
    let cities = [
        "Chicago",
        "Evanston",
        "Oak Park",
        "Naperville",
        "Joliet",
        "Aurora",
        "Elgin",
        "Skokie",
        "Gary",
        "Rockford",
        "Omaha",
        "Lincoln",
        "Council Bluffs",
        "Des Moines",
        "Ames",
        "Sioux City",
        "Kearney",
        "Grand Island",
        "Fremont",
        "Norfolk",
    ];
    for n in 1..=N_STORES {
        let (loc, party) = store(n);
        let chain = if n <= 12 {
            "FreshMart"
        } else {
            "Corner Grocer"
        };
        g.row(
            "location",
            &loc_h,
            vec![
                loc,
                party,
                format!("{chain} store {n}"),
                cities[n as usize - 1].into(),
                "US".into(),
            ],
        );
    }
    let product_h = ["product", "description", "ftl_category"];
    for item in [
        &SPINACH, &FETA, &FLOUR, &BUTTER, &FILLING, &DOUGH, &PIES, &QUICHE,
    ] {
        g.row(
            "product",
            &product_h,
            vec![
                format!("urn:epc:idpat:sgtin:{}.*", item.gtin),
                item.name.into(),
                item.ftl.into(),
            ],
        );
    }
    let equip_h = ["equip", "site", "kind"];
    for (asset, kind) in [
        ("MX1", "mixer"),
        ("MX2", "mixer"),
        ("MX3", "mixer"),
        ("OV1", "oven"),
        ("PK1", "packing_line"),
    ] {
        g.row(
            "equipment",
            &equip_h,
            vec![giai(asset), plant.clone(), kind.into()],
        );
    }

    // Ingredient lots: shipped by the supplier, received at the plant.
    let status_h = ["lot", "status", "at"];
    let ingredient = |g: &mut Gen,
                      item: &'static Item,
                      code: String,
                      supplier: usize,
                      date: NaiveDate,
                      kg: f64|
     -> usize {
        let lot = g.lot(item, code);
        let id = g.lots[lot].id.clone();
        let (sup_loc, sup_party, _, _) = &suppliers[supplier];
        let desadv = bt(&sup_party[16..23], 1, &format!("ASN-{}", g.lots[lot].code));
        let po = bt(PLANT_PREFIX, 1, &format!("PO-{}", g.lots[lot].code));
        let ship_time = at(date - Duration::days(1), 14, 0);
        let common = json!({
            "bizTransactionList": [{"type": "po", "bizTransaction": po}, {"type": "desadv", "bizTransaction": desadv}],
            "sourceList": [{"type": "owning_party", "source": sup_party}, {"type": "location", "source": sup_loc}],
            "destinationList": [{"type": "owning_party", "destination": plant_party}, {"type": "location", "destination": plant}],
            "quantityList": [qty(&id, kg, "KGM")],
        });
        let mut ship = common.clone();
        let extra = json!({"action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
            "readPoint": {"id": sup_loc}});
        merge(&mut ship, extra);
        g.event("01-ingredients.jsonld", "ObjectEvent", ship_time, ship);
        let mut receive = common;
        merge(
            &mut receive,
            json!({"action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
            "readPoint": {"id": rp("1")}, "bizLocation": {"id": plant}}),
        );
        g.event(
            "01-ingredients.jsonld",
            "ObjectEvent",
            at(date, 6, 30),
            receive,
        );
        g.row(
            "status",
            &status_h,
            vec![id, "released".into(), utc(at(date, 9, 0))],
        );
        lot
    };
    let mut spinach = Vec::new();
    for k in 0..(DAYS as usize).div_ceil(2) {
        let date = day(2 * k as u32);
        let code = format!("SP-{}", date.format("%m%d"));
        spinach.push(ingredient(&mut g, &SPINACH, code, 0, date, 500.0));
    }
    let mut feta = Vec::new();
    for k in 0..(DAYS as usize).div_ceil(4) {
        let date = day(4 * k as u32);
        feta.push(ingredient(
            &mut g,
            &FETA,
            format!("FT-{}", date.format("%m%d")),
            1,
            date,
            600.0,
        ));
    }
    let mut flour = Vec::new();
    let mut butter = Vec::new();
    for k in 0..(DAYS as usize).div_ceil(5) {
        let date = day(5 * k as u32);
        flour.push(ingredient(
            &mut g,
            &FLOUR,
            format!("FL-{}", date.format("%m%d")),
            2,
            date,
            1500.0,
        ));
        butter.push(ingredient(
            &mut g,
            &BUTTER,
            format!("BT-{}", date.format("%m%d")),
            1,
            date,
            800.0,
        ));
    }
    let contaminated = spinach[BAD_SPINACH];
    g.lots[contaminated].affected = Some("seed: the supplier's positive Listeria test");

    // Production: per day 4 filling batches (2 on MX1, 2 on MX2), 2 dough
    // batches (MX3), 4 pie batches and one quiche batch (split into two
    // events sharing a transformationID).
    let batch_h = ["batch", "product", "site", "start", "end"];
    let io_h = ["batch", "lot", "qty", "uom", "at"];
    let use_h = ["equip", "batch", "start", "end"];
    let clean_h = ["equip", "at", "level"];
    let mut used: BTreeMap<usize, f64> = BTreeMap::new();
    let mut produced: BTreeMap<usize, f64> = BTreeMap::new();
    let mut finished: Vec<(u32, usize, u32)> = Vec::new(); // (day, lot, cases)
    // MX1 carries contamination until its next full cleaning.
    let mut mx1_dirty = false;
    let mut case_serial = [0u32; 2];
    for d in 0..DAYS {
        let date = day(d);
        let tag = date.format("%m%d").to_string();
        let spinach_lot = spinach[d as usize / 2];
        let feta_lot = feta[d as usize / 4];
        let mut fillings = Vec::new();
        for j in 0..4u32 {
            let mixer = if j % 2 == 0 { "MX1" } else { "MX2" };
            let start = at(date, 6 + 2 * (j / 2), if j % 2 == 0 { 0 } else { 10 });
            let end = start + Duration::minutes(90);
            let batch = format!("B-{tag}-F{}", j + 1);
            let lot = g.lot(&FILLING, format!("F{tag}{}", j + 1));
            let spinach_kg = 60.0 + g.rng.below(5) as f64;
            let feta_kg = 28.0 + g.rng.below(4) as f64;
            let out_kg = spinach_kg + feta_kg;
            let inputs = [(spinach_lot, spinach_kg), (feta_lot, feta_kg)];
            transform(
                &mut g,
                &batch,
                &inputs,
                &[(lot, out_kg)],
                start,
                end,
                &rp("2"),
                None,
            );
            if mixer == "MX1" {
                if mx1_dirty && g.lots[spinach_lot].affected.is_none() {
                    g.lots[lot].affected =
                        Some("equipment: MX1 not fully cleaned after a contaminated batch");
                }
                if spinach_lot == contaminated {
                    mx1_dirty = true;
                }
            }
            if spinach_lot == contaminated {
                g.lots[lot].affected = Some("made from the contaminated spinach");
            }
            g.row(
                "batch",
                &batch_h,
                vec![
                    batch.clone(),
                    FILLING_PRODUCT.into(),
                    plant.clone(),
                    utc(start),
                    utc(end),
                ],
            );
            for (input, kg) in inputs {
                g.row(
                    "consume",
                    &io_h,
                    vec![
                        batch.clone(),
                        g.lots[input].id.clone(),
                        f(kg),
                        "KGM".into(),
                        utc(start),
                    ],
                );
                *used.entry(input).or_default() += kg;
            }
            g.row(
                "produce",
                &io_h,
                vec![
                    batch.clone(),
                    g.lots[lot].id.clone(),
                    f(out_kg),
                    "KGM".into(),
                    utc(end),
                ],
            );
            g.row(
                "equip_use",
                &use_h,
                vec![giai(mixer), batch.clone(), utc(start), utc(end)],
            );
            if j < 2 {
                g.row(
                    "cleaning",
                    &clean_h,
                    vec![
                        giai(mixer),
                        utc(end + Duration::minutes(10)),
                        "changeover".into(),
                    ],
                );
            }
            fillings.push((lot, out_kg));
        }
        // End of day: full cleaning of every mixer, except MX1 on day 3,
        // which only got a changeover (the deviation of this scenario).
        for mixer in ["MX1", "MX2", "MX3"] {
            let level = if mixer == "MX1" && d == 3 {
                "changeover"
            } else {
                "full"
            };
            g.row(
                "cleaning",
                &clean_h,
                vec![giai(mixer), utc(at(date, 20, 0)), level.into()],
            );
            if mixer == "MX1" && level == "full" {
                mx1_dirty = false;
            }
        }
        let mut doughs = Vec::new();
        for j in 0..2u32 {
            let start = at(date, 6 + 3 * j, 30);
            let end = start + Duration::minutes(100);
            let batch = format!("B-{tag}-D{}", j + 1);
            let lot = g.lot(&DOUGH, format!("D{tag}{}", j + 1));
            let inputs = [
                (flour[d as usize / 5], 70.0),
                (butter[d as usize / 5], 35.0),
            ];
            transform(
                &mut g,
                &batch,
                &inputs,
                &[(lot, 105.0)],
                start,
                end,
                &rp("2"),
                None,
            );
            g.row(
                "batch",
                &batch_h,
                vec![
                    batch.clone(),
                    DOUGH_PRODUCT.into(),
                    plant.clone(),
                    utc(start),
                    utc(end),
                ],
            );
            for (input, kg) in inputs {
                g.row(
                    "consume",
                    &io_h,
                    vec![
                        batch.clone(),
                        g.lots[input].id.clone(),
                        f(kg),
                        "KGM".into(),
                        utc(start),
                    ],
                );
                *used.entry(input).or_default() += kg;
            }
            g.row(
                "produce",
                &io_h,
                vec![
                    batch.clone(),
                    g.lots[lot].id.clone(),
                    "105.0".into(),
                    "KGM".into(),
                    utc(end),
                ],
            );
            g.row(
                "equip_use",
                &use_h,
                vec![giai("MX3"), batch.clone(), utc(start), utc(end)],
            );
            doughs.push(lot);
        }
        // Pies: 80% of filling j and half a dough lot.
        for (j, &(filling, kg)) in fillings.iter().enumerate() {
            let start = at(date, 10 + j as u32, 0);
            let end = start + Duration::minutes(50);
            let batch = format!("B-{tag}-P{}", j + 1);
            let lot = g.lot(&PIES, format!("P{tag}{}", j + 1));
            let cases = 22 + g.rng.below(5) as u32;
            let inputs = [(filling, kg * 0.8), (doughs[j / 2], 52.5)];
            transform(
                &mut g,
                &batch,
                &inputs,
                &[(lot, cases as f64)],
                start,
                end,
                &rp("3"),
                None,
            );
            g.row(
                "batch",
                &batch_h,
                vec![
                    batch.clone(),
                    format!("urn:epc:idpat:sgtin:{}.*", PIES.gtin),
                    plant.clone(),
                    utc(start),
                    utc(end),
                ],
            );
            for (input, q) in inputs {
                g.row(
                    "consume",
                    &io_h,
                    vec![
                        batch.clone(),
                        g.lots[input].id.clone(),
                        f(q),
                        "KGM".into(),
                        utc(start),
                    ],
                );
            }
            g.row(
                "produce",
                &io_h,
                vec![
                    batch.clone(),
                    g.lots[lot].id.clone(),
                    f(cases as f64),
                    "EA".into(),
                    utc(end),
                ],
            );
            g.row(
                "equip_use",
                &use_h,
                vec![giai("OV1"), batch.clone(), utc(start), utc(end)],
            );
            if g.lots[filling].affected.is_some() {
                g.lots[lot].affected = Some("made from an affected filling lot");
            }
            finished.push((d, lot, cases));
        }
        // Quiche: the other 20% of every filling lot of the day, recorded as
        // two events (inputs, then outputs) sharing a transformationID.
        let start = at(date, 15, 0);
        let end = start + Duration::minutes(70);
        let batch = format!("B-{tag}-Q1");
        let lot = g.lot(&QUICHE, format!("Q{tag}1"));
        let cases = 10 + g.rng.below(4) as u32;
        let inputs: Vec<(usize, f64)> = fillings.iter().map(|&(l, kg)| (l, kg * 0.2)).collect();
        let xform = format!("https://id.northfield.example/batch/{batch}");
        transform(
            &mut g,
            &batch,
            &inputs,
            &[(lot, cases as f64)],
            start,
            end,
            &rp("3"),
            Some(&xform),
        );
        g.row(
            "batch",
            &batch_h,
            vec![
                batch.clone(),
                format!("urn:epc:idpat:sgtin:{}.*", QUICHE.gtin),
                plant.clone(),
                utc(start),
                utc(end),
            ],
        );
        for &(input, q) in &inputs {
            g.row(
                "consume",
                &io_h,
                vec![
                    batch.clone(),
                    g.lots[input].id.clone(),
                    f(q),
                    "KGM".into(),
                    utc(start),
                ],
            );
        }
        g.row(
            "produce",
            &io_h,
            vec![
                batch.clone(),
                g.lots[lot].id.clone(),
                f(cases as f64),
                "EA".into(),
                utc(end),
            ],
        );
        g.row(
            "equip_use",
            &use_h,
            vec![giai("OV1"), batch.clone(), utc(start), utc(end)],
        );
        if inputs.iter().any(|&(l, _)| g.lots[l].affected.is_some()) {
            g.lots[lot].affected = Some("quiche made from an affected filling lot");
        }
        finished.push((d, lot, cases));
        for (_, l, c) in finished.iter().filter(|(fd, _, _)| *fd == d) {
            produced.insert(*l, *c as f64);
        }
    }

    // Cases: commissioned per finished lot, then packed onto pallets of 20.
    struct Case {
        id: String,
        lot: usize,
    }
    let mut cases_by_day: BTreeMap<u32, Vec<Case>> = BTreeMap::new();
    for &(d, lot, n) in &finished {
        let which = if std::ptr::eq(g.lots[lot].item, &PIES) {
            0
        } else {
            1
        };
        let item = g.lots[lot].item;
        let mut epcs = Vec::new();
        for _ in 0..n {
            case_serial[which] += 1;
            let id = sgtin(item.gtin, 1000 + case_serial[which]);
            epcs.push(id.clone());
            cases_by_day.entry(d).or_default().push(Case { id, lot });
        }
        let date = day(d);
        let expiry = (date + Duration::days(180)).format("%Y-%m-%d").to_string();
        let fields = json!({
            "action": "ADD", "bizStep": "commissioning", "disposition": "active",
            "epcList": epcs, "readPoint": {"id": rp("4")}, "bizLocation": {"id": plant},
            "ilmd": {"cbvmda:lotNumber": g.lots[lot].code, "cbvmda:itemExpirationDate": expiry},
        });
        g.event("03-packing.jsonld", "ObjectEvent", at(date, 17, 0), fields);
        g.row(
            "status",
            &status_h,
            vec![
                g.lots[lot].id.clone(),
                "released".into(),
                utc(at(date, 18, 0)),
            ],
        );
    }
    struct Pallet {
        id: String,
        day: u32,
        cases: Vec<usize>, // indexes into all_cases
    }
    let mut all_cases: Vec<Case> = Vec::new();
    let mut pallets: Vec<Pallet> = Vec::new();
    for (d, cases) in cases_by_day {
        let first = all_cases.len();
        all_cases.extend(cases);
        let idxs: Vec<usize> = (first..all_cases.len()).collect();
        for chunk in idxs.chunks(PALLET_SIZE) {
            let id = sscc(pallets.len() as u32 + 1);
            let children: Vec<&String> = chunk.iter().map(|&c| &all_cases[c].id).collect();
            let time = at(day(d), 18, 10 + pallets.len() as u32 % 40);
            g.event(
                "03-packing.jsonld",
                "AggregationEvent",
                time,
                json!({
                    "action": "ADD", "bizStep": "packing", "disposition": "in_progress",
                    "parentID": id, "childEPCs": children,
                    "readPoint": {"id": rp("4")}, "bizLocation": {"id": plant},
                }),
            );
            g.event("03-packing.jsonld", "ObjectEvent", time + Duration::minutes(30), json!({
                "action": "OBSERVE", "bizStep": "storing", "disposition": "sellable_not_accessible",
                "epcList": [id], "readPoint": {"id": rp("5")}, "bizLocation": {"id": plant},
            }));
            pallets.push(Pallet {
                id,
                day: d,
                cases: chunk.to_vec(),
            });
        }
    }

    // Plant → DC: pallets ship the day after production (the last day's stay
    // at the plant), alternating between the two DCs.
    // The supplier's shipment of the contaminated lot to the plant carried it
    // too, and the plant received it: both belong to the scope.
    let mut affected_ships = 1usize;
    let mut reached: BTreeSet<String> = BTreeSet::from([plant.clone()]);
    let mut case_at: BTreeMap<usize, String> = BTreeMap::new(); // where a case is now
    for c in 0..all_cases.len() {
        case_at.insert(c, plant.clone());
    }
    let mut at_dc: Vec<(usize, usize)> = Vec::new(); // (pallet, dc)
    let mut corrected = false;
    for (p, pallet) in pallets.iter().enumerate() {
        if pallet.day + 1 >= DAYS {
            continue;
        }
        let dc = p % 2;
        let date = day(pallet.day + 1);
        let desadv = bt(
            PLANT_PREFIX,
            1,
            &format!("DA-{}-{}", date.format("%m%d"), dc + 1),
        );
        let ship_fields = |dest: &str| {
            json!({
                "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
                "epcList": [pallet.id], "readPoint": {"id": rp("6")}, "bizLocation": {"id": plant},
                "bizTransactionList": [{"type": "desadv", "bizTransaction": desadv}],
                "sourceList": [{"type": "owning_party", "source": plant_party}, {"type": "location", "source": plant}],
                "destinationList": [{"type": "owning_party", "destination": dist_party}, {"type": "location", "destination": dest}],
            })
        };
        let time = at(date, 7, (p % 50) as u32);
        // The first pallet of day 2 bound for the west DC was recorded as
        // going east; an error declaration and a corrective event fix it.
        if !corrected && pallet.day == 2 && dc == 1 {
            corrected = true;
            let wrong = ship_fields(&dcs[0]);
            let id = g.event("04-shipping.jsonld", "ObjectEvent", time, wrong.clone());
            let fixed = g.event(
                "05-corrections.jsonld",
                "ObjectEvent",
                time,
                ship_fields(&dcs[1]),
            );
            let mut declaration = wrong;
            merge(
                &mut declaration,
                json!({
                    "errorDeclaration": {
                        "declarationTime": local(at(date, 16, 45)).0,
                        "reason": "incorrect_data",
                        "correctiveEventIDs": [fixed],
                    },
                }),
            );
            let (event_time, offset) = local(time);
            let mut event = json!({"type": "ObjectEvent", "eventID": id, "eventTime": event_time, "eventTimeZoneOffset": offset});
            merge(&mut event, declaration);
            g.events
                .entry("05-corrections.jsonld")
                .or_default()
                .insert(0, event);
        } else {
            g.event(
                "04-shipping.jsonld",
                "ObjectEvent",
                time,
                ship_fields(&dcs[dc]),
            );
        }
        g.event("04-shipping.jsonld", "ObjectEvent", at(date, 13, (p % 50) as u32), json!({
            "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
            "epcList": [pallet.id], "readPoint": {"id": dcs[dc]}, "bizLocation": {"id": dcs[dc]},
            "bizTransactionList": [{"type": "desadv", "bizTransaction": desadv}],
            "sourceList": [{"type": "owning_party", "source": plant_party}, {"type": "location", "source": plant}],
            "destinationList": [{"type": "owning_party", "destination": dist_party}, {"type": "location", "destination": dcs[dc]}],
        }));
        let affected = pallet
            .cases
            .iter()
            .any(|&c| g.lots[all_cases[c].lot].affected.is_some());
        if affected {
            affected_ships += 1;
            reached.insert(dcs[dc].clone());
        }
        for &c in &pallet.cases {
            case_at.insert(c, dcs[dc].clone());
        }
        at_dc.push((p, dc));
    }

    // DC → stores, two days after production: every fourth pallet goes whole
    // to the DC's superstore (store 1 or 11); the others are unpacked and
    // their cases picked into orders of four for the DC's other stores.
    // Pallets of the last two production days stay at the DCs.
    let mut order_no = 0;
    for &(p, dc) in &at_dc {
        let pallet = &pallets[p];
        if pallet.day + 3 >= DAYS {
            continue;
        }
        let date = day(pallet.day + 2);
        let dc_loc = &dcs[dc];
        let mut ship_to = |g: &mut Gen, epcs: Vec<String>, n: u32, minute: u32| -> String {
            order_no += 1;
            let (loc, party) = store(n);
            let desadv = bt(DIST_PREFIX, 10 + dc as u32, &format!("DA-{order_no:05}"));
            g.event("06-distribution.jsonld", "ObjectEvent", at(date, 9, minute % 60), json!({
                "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
                "epcList": epcs, "readPoint": {"id": dc_loc}, "bizLocation": {"id": dc_loc},
                "bizTransactionList": [{"type": "desadv", "bizTransaction": desadv}],
                "sourceList": [{"type": "owning_party", "source": dist_party}, {"type": "location", "source": dc_loc}],
                "destinationList": [{"type": "owning_party", "destination": party}, {"type": "location", "destination": loc}],
            }));
            g.event("07-stores.jsonld", "ObjectEvent", at(date, 15, minute % 60), json!({
                "action": "OBSERVE", "bizStep": "receiving", "disposition": "sellable_accessible",
                "epcList": epcs, "readPoint": {"id": loc}, "bizLocation": {"id": loc},
                "bizTransactionList": [{"type": "desadv", "bizTransaction": desadv}],
                "sourceList": [{"type": "owning_party", "source": dist_party}, {"type": "location", "source": dc_loc}],
                "destinationList": [{"type": "owning_party", "destination": party}, {"type": "location", "destination": loc}],
            }));
            loc
        };
        if p % 4 == 0 {
            let n = 1 + 10 * dc as u32;
            let loc = ship_to(&mut g, vec![pallet.id.clone()], n, p as u32);
            let children: Vec<&String> = pallet.cases.iter().map(|&c| &all_cases[c].id).collect();
            g.event("07-stores.jsonld", "AggregationEvent", at(date, 16, p as u32 % 60), json!({
                "action": "DELETE", "bizStep": "unpacking", "disposition": "sellable_accessible",
                "parentID": pallet.id, "childEPCs": children,
                "readPoint": {"id": loc}, "bizLocation": {"id": loc},
            }));
            for &c in &pallet.cases {
                g.event("07-stores.jsonld", "ObjectEvent", at(date, 17, c as u32 % 60), json!({
                    "action": "OBSERVE", "bizStep": "stocking", "disposition": "sellable_accessible",
                    "epcList": [all_cases[c].id], "readPoint": {"id": loc}, "bizLocation": {"id": loc},
                }));
                case_at.insert(c, loc.clone());
            }
            if pallet
                .cases
                .iter()
                .any(|&c| g.lots[all_cases[c].lot].affected.is_some())
            {
                affected_ships += 1;
                reached.insert(loc);
            }
            continue;
        }
        let children: Vec<&String> = pallet.cases.iter().map(|&c| &all_cases[c].id).collect();
        g.event(
            "06-distribution.jsonld",
            "AggregationEvent",
            at(date, 6, p as u32 % 60),
            json!({
                "action": "DELETE", "bizStep": "unpacking", "disposition": "in_progress",
                "parentID": pallet.id, "childEPCs": children,
                "readPoint": {"id": dc_loc}, "bizLocation": {"id": dc_loc},
            }),
        );
        for order in pallet.cases.chunks(ORDER_SIZE) {
            for &c in order {
                g.event("06-distribution.jsonld", "ObjectEvent", at(date, 8, c as u32 % 60), json!({
                    "action": "OBSERVE", "bizStep": "picking", "disposition": "in_progress",
                    "epcList": [all_cases[c].id], "readPoint": {"id": dc_loc}, "bizLocation": {"id": dc_loc},
                }));
            }
            let n = 2 + 10 * dc as u32 + g.rng.below(9) as u32;
            let epcs: Vec<String> = order.iter().map(|&c| all_cases[c].id.clone()).collect();
            let loc = ship_to(&mut g, epcs, n, order[0] as u32);
            for &c in order {
                g.event(
                    "07-stores.jsonld",
                    "ObjectEvent",
                    at(date, 17, c as u32 % 60),
                    json!({
                        "action": "OBSERVE", "bizStep": "stocking", "disposition": "sellable_accessible",
                        "epcList": [all_cases[c].id], "readPoint": {"id": loc}, "bizLocation": {"id": loc},
                    }),
                );
                case_at.insert(c, loc.clone());
            }
            if order
                .iter()
                .any(|&c| g.lots[all_cases[c].lot].affected.is_some())
            {
                affected_ships += 1;
                reached.insert(loc);
            }
        }
    }

    // Inventory at the end (2026-03-12 22:00 UTC), per lot and location:
    // ingredients left at the plant, cases at the plant, the DCs and stores.
    let inv_h = ["lot", "loc", "qty", "uom", "at"];
    let snapshot = "2026-03-12T22:00:00Z".to_owned();
    let mut hold: Vec<Value> = Vec::new();
    for (&lot, &kg) in &used {
        let received = match g.lots[lot].item.gtin {
            g2 if g2 == SPINACH.gtin => 500.0,
            g2 if g2 == FETA.gtin => 600.0,
            g2 if g2 == FLOUR.gtin => 1500.0,
            _ => 800.0,
        };
        let left = ((received - kg) * 10.0f64).round() / 10.0;
        if left > 0.0 {
            g.row(
                "inventory",
                &inv_h,
                vec![
                    g.lots[lot].id.clone(),
                    plant.clone(),
                    f(left),
                    "KGM".into(),
                    snapshot.clone(),
                ],
            );
            if g.lots[lot].affected.is_some() {
                hold.push(json!({"lot": g.lots[lot].id, "loc": plant, "qty": left, "uom": "KGM"}));
            }
        }
    }
    let mut on_hand: BTreeMap<(usize, String), u32> = BTreeMap::new();
    for (c, loc) in &case_at {
        *on_hand.entry((all_cases[*c].lot, loc.clone())).or_default() += 1;
    }
    for ((lot, loc), n) in &on_hand {
        g.row(
            "inventory",
            &inv_h,
            vec![
                g.lots[*lot].id.clone(),
                loc.clone(),
                f(*n as f64),
                "EA".into(),
                snapshot.clone(),
            ],
        );
        if g.lots[*lot].affected.is_some() {
            hold.push(json!({"lot": g.lots[*lot].id, "loc": loc, "qty": n, "uom": "EA"}));
        }
    }
    let _ = produced;
    // The supplier's notice puts the spinach lot on hold.
    g.row(
        "status",
        &status_h,
        vec![
            g.lots[contaminated].id.clone(),
            "hold".into(),
            "2026-03-12T20:30:00Z".into(),
        ],
    );

    let lot_h = ["lot", "product", "lot_code"];
    for lot in &g.lots {
        let row = vec![
            lot.id.clone(),
            format!("urn:epc:idpat:sgtin:{}.*", lot.item.gtin),
            lot.code.clone(),
        ];
        g.tables
            .entry("lot")
            .or_insert_with(|| (lot_h.to_vec(), Vec::new()))
            .1
            .push(row);
    }

    let affected: Vec<&Lot> = g.lots.iter().filter(|lot| lot.affected.is_some()).collect();
    let affected_cases: Vec<&String> = all_cases
        .iter()
        .filter(|c| g.lots[c.lot].affected.is_some())
        .map(|c| &c.id)
        .collect();
    let affected_pallets: Vec<&String> = pallets
        .iter()
        .filter(|p| {
            p.cases
                .iter()
                .any(|&c| g.lots[all_cases[c].lot].affected.is_some())
        })
        .map(|p| &p.id)
        .collect();
    let mut note = String::new();
    let _ = write!(
        note,
        "computed by the generator from its own model, not by the rules"
    );
    let scope = json!({
        "note": note,
        "seed": seed,
        "contaminated_lot": g.lots[contaminated].id,
        "affected_lots": affected.iter().map(|lot| json!({"lot": lot.id, "why": lot.affected})).collect::<Vec<_>>(),
        "affected_cases": affected_cases.len(),
        "affected_pallets": affected_pallets,
        "shipments_with_affected_product": affected_ships,
        "locations_reached": reached,
        "inventory_to_hold": hold,
    });
    let affected_lots = affected.iter().map(|lot| lot.id.clone()).collect();
    let contaminated_lot = g.lots[contaminated].id.clone();
    Scenario {
        created: "2026-03-12T22:00:00Z".to_owned(),
        documents: g
            .events
            .into_iter()
            .map(|(name, events)| (name.to_owned(), events))
            .collect(),
        tables: g.tables,
        scope,
        contaminated_lot,
        affected_lots,
    }
}

const FILLING_PRODUCT: &str = "urn:epc:idpat:sgtin:0614141.100001.*";
const DOUGH_PRODUCT: &str = "urn:epc:idpat:sgtin:0614141.100002.*";

fn merge(target: &mut Value, extra: Value) {
    let map = target.as_object_mut().expect("an object");
    for (key, value) in extra.as_object().expect("an object") {
        map.insert(key.clone(), value.clone());
    }
}

/// A TransformationEvent for one batch (or two sharing `xform`: inputs at
/// the start, outputs at the end).
#[allow(clippy::too_many_arguments)]
fn transform(
    g: &mut Gen,
    batch: &str,
    inputs: &[(usize, f64)],
    outputs: &[(usize, f64)],
    start: NaiveDateTime,
    end: NaiveDateTime,
    read_point: &str,
    xform: Option<&str>,
) {
    let plant = sgln(PLANT_PREFIX, 1, "0");
    let list = |g: &Gen, items: &[(usize, f64)]| -> Vec<Value> {
        items
            .iter()
            .map(|&(lot, q)| {
                let uom = if g.lots[lot].item.gtin.starts_with("0614141.3") {
                    "EA"
                } else {
                    "KGM"
                };
                qty(&g.lots[lot].id, (q * 1000.0).round() / 1000.0, uom)
            })
            .collect()
    };
    let ilmd = |g: &Gen| {
        let lot = &g.lots[outputs[0].0];
        json!({"cbvmda:lotNumber": lot.code})
    };
    let prodorder = json!([{"type": "prodorder", "bizTransaction": bt(PLANT_PREFIX, 1, batch)}]);
    let base = json!({
        "bizStep": "creating_class_instance", "disposition": "active",
        "readPoint": {"id": read_point}, "bizLocation": {"id": plant},
        "bizTransactionList": prodorder,
    });
    let doc = "02-production.jsonld";
    match xform {
        None => {
            let mut fields = base;
            merge(
                &mut fields,
                json!({
                    "inputQuantityList": list(g, inputs),
                    "outputQuantityList": list(g, outputs),
                    "ilmd": ilmd(g),
                }),
            );
            g.event(doc, "TransformationEvent", end, fields);
        }
        Some(xform) => {
            let mut first = base.clone();
            merge(
                &mut first,
                json!({"transformationID": xform, "inputQuantityList": list(g, inputs)}),
            );
            g.event(doc, "TransformationEvent", start, first);
            let mut second = base;
            merge(
                &mut second,
                json!({
                    "transformationID": xform,
                    "outputQuantityList": list(g, outputs),
                    "ilmd": ilmd(g),
                }),
            );
            g.event(doc, "TransformationEvent", end, second);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gln_check_digit() {
        // GS1's example GLN 0614141000005... prefix 0614141, location 00000.
        assert_eq!(gln("0614141", 0), "0614141000005");
    }

    #[test]
    fn the_same_seed_gives_the_same_scenario() {
        let a = build(7);
        let b = build(7);
        assert_eq!(a.scope, b.scope);
        assert_eq!(a.documents, b.documents);
    }
}
