//! `tracelog trace forward ID... --db DIR` and `tracelog trace backward ID...`:
//! the objects and locations a trace reaches, with their fewest hops, from the
//! shipped rule set `exposure.dl` (see docs/traceability.md, "trace"). The
//! rule set is opened once over the database (or restored from its image) and
//! the IDs applied as seeds; the answer is the union over the IDs.

use std::collections::{BTreeMap, BTreeSet};

use clap::{Args, Subcommand};
use rustc_hash::{FxHashMap, FxHashSet};

use super::database::{AsOfArg, DbArg};
use super::{Status, eprint_diagnostics, print_stdout};
use crate::db::AsOf;
use crate::diagnostic::{Code, Diagnostic};
use crate::engine::Limits;
use crate::epcis::CompanyPrefixes;
use crate::investigate::Investigation;
use crate::source::SourceMap;
use crate::value::Value;

#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// Everything made from the IDs and everywhere it went (the recall direction)
    ///
    /// Objects: the IDs, everything made from them through transformations, batches and lot ->
    /// item links, and every container that held one of those objects. Locations: destinations
    /// of shipments and places of receipts that carried an affected object or a container
    /// holding it at the time. Each with its fewest hops from the nearest ID.
    Forward(TraceArgs),
    /// Everything that went into the IDs and where those inputs came from
    ///
    /// Objects: the IDs and everything that went into them. Locations: where those objects were
    /// shipped from or received.
    Backward(TraceArgs),
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Lots, items or containers: EPC URNs or GS1 Digital Link URIs (any other id as recorded)
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub as_of: AsOfArg,
    /// Print one JSON object: direction, seeds, objects, locations, journal, rules
    #[arg(long)]
    pub json: bool,
}

/// Which way a trace goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        }
    }

    /// The relations of exposure.dl holding the objects and the locations.
    fn relations(self) -> (&'static str, &'static str) {
        match self {
            Direction::Forward => ("exposed_object", "exposed_location"),
            Direction::Backward => ("trace_backward", "source_location"),
        }
    }
}

/// The relations (and columns) naming objects: an ID found in none of them
/// (and reaching nothing) is unknown to the database.
const OBJECT_COLUMNS: &[(&str, usize)] = &[
    ("ev_obj", 2),
    ("ev_class", 2),
    ("ev_qty", 2),
    ("lot_of", 0),
    ("lot_of", 1),
    ("lot", 0),
    ("consume", 1),
    ("produce", 1),
    ("ship_line", 1),
    ("rcpt_line", 1),
    ("inventory", 0),
    ("status", 0),
    ("destroyed", 0),
];

pub fn run(command: &TraceCommand) -> std::io::Result<Status> {
    run_with(command, &Limits::default())
}

/// As [`run`], stopping on `limits` (the REPL's timeout, tuple limit and Ctrl-C).
pub(crate) fn run_with(command: &TraceCommand, limits: &Limits) -> std::io::Result<Status> {
    let (TraceCommand::Forward(args) | TraceCommand::Backward(args)) = command;
    let mut inv = match open(args, limits) {
        Ok(inv) => inv,
        Err(failure) => return fail(&failure.sources, &failure.diagnostics, args.json),
    };
    run_on(&mut inv, command, limits)
}

/// The investigation a trace runs on: exposure.dl over the database at the
/// arguments' as-of point (the REPL keeps it open between traces).
pub(crate) fn open(args: &TraceArgs, limits: &Limits) -> Result<Investigation, crate::db::Failure> {
    let dir = args.db.dir();
    let as_of = args.as_of.as_of.unwrap_or(AsOf::Head);
    Investigation::open(&dir, &["exposure.dl"], as_of, limits)
}

/// As [`run_with`], on an investigation already open (see [`open`]).
pub(crate) fn run_on(
    inv: &mut Investigation,
    command: &TraceCommand,
    limits: &Limits,
) -> std::io::Result<Status> {
    let (direction, args) = match command {
        TraceCommand::Forward(args) => (Direction::Forward, args),
        TraceCommand::Backward(args) => (Direction::Backward, args),
    };
    // Resolve aliases before seeding (seeding interns the ids).
    let seeds: Vec<String> = args.ids.iter().map(|id| canonical_seed(inv, id)).collect();
    if let Err(failure) = inv.set_seeds(&seeds, limits) {
        return fail(&failure.sources, &failure.diagnostics, args.json);
    }
    let answer = answer(inv, direction, &seeds);
    let unknown: Vec<Diagnostic> = args
        .ids
        .iter()
        .zip(&seeds)
        .filter(|(_, seed)| !answer.reached_more(seed) && !is_known(inv, seed))
        .map(|(id, seed)| unknown_object(inv, id, seed))
        .collect();
    if !unknown.is_empty() {
        return fail(&SourceMap::default(), &unknown, args.json);
    }
    let head = inv.head().clone();
    if args.json {
        let objects: Vec<serde_json::Value> = answer
            .objects
            .iter()
            .map(|(id, hops)| serde_json::json!({"id": id, "hops": hops}))
            .collect();
        let locations: Vec<serde_json::Value> = answer
            .locations
            .iter()
            .map(|(id, hops)| serde_json::json!({"id": id, "hops": hops}))
            .collect();
        let rules: Vec<serde_json::Value> = inv
            .rule_files()
            .iter()
            .map(|rule| {
                serde_json::json!({
                    "file": rule.file,
                    "policy": rule.policy,
                    "version": rule.version,
                    "sha256": rule.sha256,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "direction": direction.name(),
            "seeds": args.ids,
            "objects": objects,
            "locations": locations,
            "journal": {"seq": head.seq, "hash": head.hash},
            "rules": rules,
        });
        print_stdout(&format!("{doc:#}\n"))?;
        return Ok(Status::Ok);
    }
    let kinds = kinds(inv, answer.objects.iter().map(|(id, _)| id.as_str()));
    let mut text = String::new();
    text.push_str(&format!(
        "trace {} from {}: {} objects, {} locations\n\n",
        direction.name(),
        args.ids.join(", "),
        answer.objects.len(),
        answer.locations.len()
    ));
    let mut table = crate::io::output::markdown_table();
    table.set_header(["object", "hops", "kind"]);
    for (id, hops) in &answer.objects {
        let kind = kinds.get(id.as_str()).copied().unwrap_or("other");
        table.add_row([id.clone(), hops.to_string(), kind.to_owned()]);
    }
    text.push_str(&format!("{table}\n\n"));
    if answer.locations.is_empty() {
        text.push_str("no location reached\n\n");
    } else {
        let mut table = crate::io::output::markdown_table();
        table.set_header(["location", "hops"]);
        for (id, hops) in &answer.locations {
            table.add_row([id.clone(), hops.to_string()]);
        }
        text.push_str(&format!("{table}\n\n"));
    }
    for rule in inv.rule_files() {
        text.push_str(&format!(
            "rules: {} {} {} sha256 {}\n",
            rule.file, rule.policy, rule.version, rule.sha256
        ));
    }
    text.push_str(&format!("computed on journal head {}", head.describe()));
    let newest = inv.session().newest();
    if newest.seq != head.seq {
        text.push_str(&format!(
            ", as of an earlier point (the journal's newest is seq {})",
            newest.seq
        ));
    }
    text.push('\n');
    print_stdout(&text)?;
    Ok(Status::Ok)
}

fn fail(sources: &SourceMap, diagnostics: &[Diagnostic], json: bool) -> std::io::Result<Status> {
    eprint_diagnostics(sources, diagnostics)?;
    if json {
        print_stdout(&crate::io::json::render_errors(sources, diagnostics))?;
    }
    let io_error = diagnostics.iter().any(|d| d.code == Code::JournalIo);
    Ok(if io_error {
        Status::Error
    } else {
        Status::Failed
    })
}

/// The objects and locations of a trace, each with its fewest hops from any
/// seed, sorted by hops then id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub objects: Vec<(String, u64)>,
    pub locations: Vec<(String, u64)>,
    /// Per seed: whether it reached anything beyond itself.
    reached: BTreeSet<String>,
}

impl Answer {
    fn reached_more(&self, seed: &str) -> bool {
        self.reached.contains(seed)
    }
}

/// Reads a trace's answer from an investigation seeded with `seeds`
/// (canonical ids); rows of other seeds (recorded in the database) are left out.
pub fn answer(inv: &Investigation, direction: Direction, seeds: &[String]) -> Answer {
    let (objects_rel, locations_rel) = direction.relations();
    let wanted: FxHashSet<&str> = seeds.iter().map(String::as_str).collect();
    let mut reached = BTreeSet::new();
    let mut union = |rel: &str, is_objects: bool| {
        let mut best: BTreeMap<String, u64> = BTreeMap::new();
        for row in inv.rows(rel) {
            let [seed, id, hops] = &row[..] else { continue };
            if !wanted.contains(seed.as_str()) {
                continue;
            }
            if !is_objects || id != seed {
                reached.insert(seed.clone());
            }
            let hops: u64 = hops.parse().unwrap_or(u64::MAX);
            best.entry(id.clone())
                .and_modify(|best| *best = (*best).min(hops))
                .or_insert(hops);
        }
        let mut list: Vec<(String, u64)> = best.into_iter().collect();
        list.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        list
    };
    let objects = union(objects_rel, true);
    let locations = union(locations_rel, false);
    Answer {
        objects,
        locations,
        reached,
    }
}

/// A relation's rows as interned values (empty when the rule set lacks it).
fn value_rows<'a>(inv: &'a Investigation, rel: &str) -> Box<dyn Iterator<Item = &'a [Value]> + 'a> {
    let session = inv.session();
    match session.program().relation_by_name(rel) {
        Some(rel) => session.engine().rows(rel),
        None => Box::new(std::iter::empty()),
    }
}

/// The interned value of a symbol, when the database (or the rules) name it.
fn symbol_value(inv: &Investigation, text: &str) -> Option<Value> {
    inv.session()
        .engine()
        .values()
        .symbol_id(text)
        .map(Value::from)
}

/// The canonical id of an ID as given: the target of its `id_alias`, else
/// (for a GS1 Digital Link URI the database has no alias for) the EPC URN the
/// importer would record, with the company-prefix length the database uses,
/// else the ID itself.
pub fn canonical_seed(inv: &Investigation, id: &str) -> String {
    let id = id.trim();
    if let Some(value) = symbol_value(inv, id) {
        let alias = value_rows(inv, "id_alias").find(|row| row[0] == value);
        if let Some(row) = alias {
            return inv
                .session()
                .engine()
                .values()
                .symbol(row[1] as u32)
                .to_owned();
        }
    }
    if !(id.starts_with("https://") || id.starts_with("http://")) {
        return id.to_owned();
    }
    // The GS1 key: the segment after the first primary AI of the path.
    let segs: Vec<&str> = id
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .split('/')
        .collect();
    let key = segs
        .iter()
        .position(|s| matches!(*s, "01" | "00" | "414" | "417" | "8003" | "8004"))
        .and_then(|at| segs.get(at + 1))
        .copied()
        .unwrap_or("");
    let mut fallback = None;
    for len in 6..=12 {
        let mut prefixes = CompanyPrefixes::default();
        for start in [0, 1] {
            if let Some(cp) = key.get(start..start + len) {
                prefixes.learn(&format!("urn:epc:id:sgln:{cp}.0.0"));
            }
        }
        let Some(urn) = crate::epcis::ids::digital_link_to_urn(id, &prefixes) else {
            continue;
        };
        if symbol_value(inv, &urn).is_some() {
            return urn;
        }
        if len == crate::epcis::ids::DEFAULT_PREFIX_LEN {
            fallback = Some(urn);
        }
    }
    fallback.unwrap_or_else(|| id.to_owned())
}

/// Whether the database names `id` as an object anywhere.
fn is_known(inv: &Investigation, id: &str) -> bool {
    let Some(value) = symbol_value(inv, id) else {
        return false;
    };
    OBJECT_COLUMNS
        .iter()
        .any(|&(rel, col)| value_rows(inv, rel).any(|row| row.get(col) == Some(&value)))
}

/// The error for an ID that names nothing the database knows, with the
/// known objects sharing the longest prefix or the lot code.
fn unknown_object(inv: &Investigation, id: &str, seed: &str) -> Diagnostic {
    let message = if id == seed {
        format!("`{id}` names no object the database knows")
    } else {
        format!("`{id}` (canonical form `{seed}`) names no object the database knows")
    };
    let mut diagnostic = Diagnostic::error(Code::UnknownObject, message);
    let values = inv.session().engine().values();
    let mut known: FxHashSet<Value> = FxHashSet::default();
    for &(rel, col) in OBJECT_COLUMNS {
        for row in value_rows(inv, rel) {
            if let Some(&value) = row.get(col) {
                known.insert(value);
            }
        }
    }
    let lot_code = |text: &str| text.rsplit(['.', '/', ':']).next().unwrap_or("").to_owned();
    let code = lot_code(seed);
    let common = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let mut scored: Vec<(usize, String)> = known
        .into_iter()
        .filter_map(|value| {
            // Only symbols: object columns are symbol columns.
            let text = values.symbol(value as u32);
            let prefix = common(text, seed);
            let same_code = code.len() >= 3 && lot_code(text) == code;
            let score = if same_code {
                usize::MAX / 2 + prefix
            } else {
                prefix
            };
            (same_code || prefix * 4 >= seed.len() * 3).then(|| (score, text.to_owned()))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let suggestions: Vec<String> = scored
        .into_iter()
        .take(3)
        .map(|(_, text)| format!("`{text}`"))
        .collect();
    diagnostic.help = Some(if suggestions.is_empty() {
        "give a lot, item or container id as recorded (EPC URN or GS1 Digital Link URI); \
         `tracelog run` over the database lists them (e.g. `ev_obj`, `lot`)"
            .to_owned()
    } else {
        format!("did you mean {}?", suggestions.join(" or "))
    });
    diagnostic
}

/// Each object's kind: `container` (it held something), `item` (it belongs
/// to a lot), `lot` (it has items, is a lot in master data, or is a
/// class-level id), else from the id's form; objects of no known kind are absent.
fn kinds<'a>(
    inv: &Investigation,
    ids: impl Iterator<Item = &'a str>,
) -> FxHashMap<&'a str, &'static str> {
    let mut by_value: FxHashMap<Value, &'a str> = FxHashMap::default();
    let mut kinds: FxHashMap<&'a str, &'static str> = FxHashMap::default();
    for id in ids {
        if let Some(value) = symbol_value(inv, id) {
            by_value.insert(value, id);
        }
        let by_form = if id.starts_with("urn:epc:id:sscc:") {
            Some("container")
        } else if id.starts_with("urn:epc:class:")
            || id.starts_with("urn:epc:idpat:")
            || id.contains(":lot:")
        {
            Some("lot")
        } else if id.starts_with("urn:epc:id:sgtin:") {
            Some("item")
        } else {
            None
        };
        if let Some(kind) = by_form {
            kinds.insert(id, kind);
        }
    }
    // Weakest first: a later, stronger evidence overwrites.
    let evidence: &[(&str, usize, &str)] = &[
        ("lot", 0, "lot"),
        ("lot_of", 1, "lot"),
        ("lot_of", 0, "item"),
        ("contained", 0, "container"),
    ];
    for &(rel, col, kind) in evidence {
        for row in value_rows(inv, rel) {
            if let Some(id) = row.get(col).and_then(|value| by_value.get(value)) {
                kinds.insert(id, kind);
            }
        }
    }
    kinds
}
