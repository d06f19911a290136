//! This module defines the generic plant-data loader: the rows of one
//! relation of rules/schema.dl (batches, consumption, equipment use,
//! cleanings, shipments, master data, ...) written as CSV with a header row
//! or as JSON Lines (one object per line), checked against the relation's
//! declaration and recorded as one journal transaction per file.
//!
//! Columns are matched by name, so their order in the file does not matter.
//! Values are written in the schema's conventions: datetimes in RFC 3339 UTC
//! (a plain date is midnight UTC), floats with a decimal point (`12` becomes
//! `12.0`), numbers as integers; symbols are kept exactly as written.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::db::{self, Draft, Failure, InputFact, Recorded, Source};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::driver;
use crate::ir::{Const, Type};
use crate::source::SourceMap;

/// The journal channel of plant-data transactions.
pub const CHANNEL: &str = "import";

/// The schema the loader checks rows against (rules/schema.dl, built in).
pub const SCHEMA_TEXT: &str = include_str!("../../rules/schema.dl");

/// One relation of the schema: its name and its columns in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationSchema {
    pub name: String,
    pub columns: Vec<(String, Type)>,
}

/// The relations of rules/schema.dl that plant data may fill, in declaration
/// order. The EPCIS relations (`event`, `ev_*`) are left to the EPCIS importer,
/// which owns event identity and error declarations.
pub fn schema() -> &'static [RelationSchema] {
    static SCHEMA: LazyLock<Vec<RelationSchema>> = LazyLock::new(|| {
        let compiled =
            driver::compile_text("rules/schema.dl", SCHEMA_TEXT).unwrap_or_else(|failed| {
                panic!(
                    "rules/schema.dl does not check: {}",
                    crate::diagnostic::render(&failed.sources, &failed.diagnostics)
                )
            });
        compiled
            .program
            .relations
            .iter()
            .filter(|rel| !rel.hidden && rel.decl.is_some() && !is_epcis_relation(&rel.name))
            .map(|rel| RelationSchema {
                name: rel.name.clone(),
                columns: rel
                    .columns
                    .iter()
                    .map(|column| (column.name.clone(), column.ty))
                    .collect(),
            })
            .collect()
    });
    &SCHEMA
}

/// The schema relation named `name`, if plant data may fill it.
pub fn relation(name: &str) -> Option<&'static RelationSchema> {
    schema().iter().find(|rel| rel.name == name)
}

fn is_epcis_relation(name: &str) -> bool {
    name == "event" || name.starts_with("ev_")
}

/// How a plant-data file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated with a header row naming the columns, RFC 4180 quoting.
    Csv,
    /// One JSON object per line, keys naming the columns.
    JsonLines,
}

impl Format {
    /// The format a file name implies: `.jsonl`/`.ndjson`/`.json` are JSON
    /// Lines, anything else CSV.
    pub fn from_path(path: &Path) -> Format {
        let ext = path
            .extension()
            .and_then(|ext| ext.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "ndjson" | "json") => Format::JsonLines,
            _ => Format::Csv,
        }
    }
}

/// How files are read.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The relation of every file [default: each file's name without extension].
    pub relation: Option<String>,
    /// The format of every file [default: from each file's extension].
    pub format: Option<Format>,
    /// Columns the relation does not declare are skipped instead of refused.
    pub ignore_extra: bool,
}

/// The most problems reported for one file.
const MAX_ERRORS: usize = 20;

/// Reads `bytes` (the content of `path`) as rows of one schema relation and
/// checks every row. Returns the facts in file order, or every problem found
/// (up to 20 per file), each located at `file:line:col`.
pub fn read(path: &Path, bytes: &[u8], options: &Options) -> Result<db::Input, Failure> {
    let shown = path.display().to_string();
    let sha256 = crate::db::record::sha256_hex(bytes);
    let file_location = || Location::File {
        path: shown.clone(),
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let offset = err.valid_up_to();
            let line = 1 + memchr::memchr_iter(b'\n', &bytes[..offset]).count();
            let line_start = bytes[..offset]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |idx| idx + 1);
            return Err(failure(vec![
                Diagnostic::error(
                    Code::BadFact,
                    format!("`{shown}` holds bytes that are not UTF-8 text"),
                )
                .at_location(Location::DataLine {
                    path: shown.clone(),
                    line: line as u32,
                    col: (offset - line_start + 1) as u32,
                    text: String::from_utf8_lossy(&bytes[line_start..offset]).into_owned(),
                })
                .with_help("save the file as UTF-8"),
            ]));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rel_name = match &options.relation {
        Some(rel) => rel.clone(),
        None => path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("")
            .to_owned(),
    };
    let Some(rel) = relation(&rel_name) else {
        let help = if is_epcis_relation(&rel_name) {
            "EPCIS events are imported from EPCIS documents (`tracelog import epcis`)".to_owned()
        } else {
            format!(
                "name the file after a relation of rules/schema.dl or pass --relation; plant data fills: {}",
                schema()
                    .iter()
                    .map(|rel| rel.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(failure(vec![
            Diagnostic::error(
                Code::UnknownRelation,
                format!("`{rel_name}` is not a plant-data relation of the schema"),
            )
            .at_location(file_location())
            .with_help(help),
        ]));
    };
    let format = options.format.unwrap_or_else(|| Format::from_path(path));
    let result = match format {
        Format::Csv => read_csv(&shown, text, rel, options.ignore_extra),
        Format::JsonLines => read_jsonl(&shown, text, rel, options.ignore_extra),
    };
    match result {
        Ok(facts) => Ok(db::Input {
            path: shown,
            sha256,
            facts,
            sources: SourceMap::default(),
        }),
        Err(diagnostics) => Err(failure(diagnostics)),
    }
}

/// Imports `files` into the database in `dir` (created when it does not exist
/// or is an empty directory), as `principal`, one transaction per file on the
/// `import` channel, in the order given.
///
/// Every file is read and checked before anything is written: when any has
/// an error, the errors of all of them are returned and nothing is recorded.
/// A file whose content was recorded before is skipped (its `Recorded` has no
/// head). A transaction the database refuses (a relation recorded with
/// another arity) stops the import at that file; the files before it stay
/// recorded, each whole.
pub fn import_files(
    dir: &Path,
    files: &[PathBuf],
    principal: &str,
    options: &Options,
) -> Result<Vec<Recorded>, Failure> {
    import_files_with_progress(dir, files, principal, options, &super::no_progress)
}

/// [`import_files`], calling `progress` after each file is recorded (rows so far).
pub fn import_files_with_progress(
    dir: &Path,
    files: &[PathBuf],
    principal: &str,
    options: &Options,
    progress: &dyn Fn(&super::Progress),
) -> Result<Vec<Recorded>, Failure> {
    let mut inputs = Vec::with_capacity(files.len());
    let mut diagnostics = Vec::new();
    for path in files {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) => {
                diagnostics.push(
                    Diagnostic::error(
                        Code::InputNotFound,
                        format!("cannot read `{}`: {err}", path.display()),
                    )
                    .at_location(Location::File {
                        path: path.display().to_string(),
                    })
                    .with_help("check the path"),
                );
                continue;
            }
        };
        match read(path, &bytes, options) {
            Ok(input) => inputs.push(input),
            Err(failure) => diagnostics.extend(failure.diagnostics),
        }
    }
    if !diagnostics.is_empty() {
        return Err(failure(diagnostics));
    }
    let is_empty_dir = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(err) => err.kind() == std::io::ErrorKind::NotFound,
    };
    if is_empty_dir {
        db::init(dir)?;
    }
    let mut writer = db::Writer::open(dir, db::LOCK_WAIT)?;
    let mut res = Vec::with_capacity(inputs.len());
    let (total, mut rows) = (inputs.len(), 0);
    for (done, input) in inputs.into_iter().enumerate() {
        rows += input.facts.len();
        let path = PathBuf::from(&input.path);
        let report = super::Progress {
            done: done + 1,
            total,
            items: rows,
            file: &path,
        };
        if writer.state().sources.contains_key(&input.sha256) {
            res.push(Recorded {
                head: None,
                asserted: 0,
                retracted: 0,
                already_live: input.facts.len(),
                recovered: None,
            });
            progress(&report);
            continue;
        }
        let draft = Draft {
            principal: principal.to_owned(),
            channel: CHANNEL.to_owned(),
            source: Source {
                path: Some(input.path.clone()),
                sha256: Some(input.sha256.clone()),
                line: None,
            },
            reason: None,
            assert: input.facts,
            retract: Vec::new(),
            force: false,
            sources: input.sources,
        };
        res.push(writer.commit(draft)?);
        progress(&report);
    }
    Ok(res)
}

/// The schema value of `field` in a column of type `ty`, in the schema's
/// conventions, or what was expected.
pub fn normalize(ty: Type, field: &str) -> Result<String, String> {
    let trimmed = field.trim();
    let mut out = String::new();
    match ty {
        Type::Symbol | Type::Any => return Ok(field.to_owned()),
        _ if trimmed.is_empty() => {
            return Err(format!(
                "the value is empty but the column is a {}",
                ty.name()
            ));
        }
        Type::Number => match trimmed.parse::<i64>() {
            Ok(v) => crate::value::write_const(&mut out, &Const::Int(v)),
            Err(_) => {
                return Err(format!(
                    "expected a number (64-bit integer), found `{field}`"
                ));
            }
        },
        Type::Unsigned => match trimmed.parse::<u64>() {
            Ok(v) => crate::value::write_const(&mut out, &Const::Unsigned(v)),
            Err(_) => return Err(format!("expected an unsigned number, found `{field}`")),
        },
        Type::Float => match trimmed.parse::<f64>() {
            Ok(v) if v.is_finite() => crate::value::write_const(&mut out, &Const::Float(v)),
            _ => return Err(format!("expected a float such as `12.5`, found `{field}`")),
        },
        Type::DateTime => match crate::value::parse_datetime(trimmed) {
            Some(micros) => out = crate::value::format_datetime(micros),
            None => {
                return Err(format!(
                    "expected an RFC 3339 date-time such as `2026-03-01T08:00:00Z` or a date such as `2026-03-01`, found `{field}`"
                ));
            }
        },
    }
    Ok(out)
}

fn failure(diagnostics: Vec<Diagnostic>) -> Failure {
    Failure {
        sources: SourceMap::default(),
        diagnostics,
    }
}

fn declared_columns(rel: &RelationSchema) -> String {
    rel.columns
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Column names that do not fit a relation: missing, extra, repeated.
type ColumnMismatch = (Vec<String>, Vec<String>, Vec<String>);

/// Maps the names of a header (CSV) or of an object's keys (JSONL) to the
/// relation's columns: for each name its column index, or `None` for an extra
/// name that is ignored. Errors name the missing and extra columns.
fn match_columns<'a>(
    rel: &RelationSchema,
    names: impl Iterator<Item = &'a str>,
    ignore_extra: bool,
) -> Result<Vec<Option<usize>>, ColumnMismatch> {
    let mut mapping = Vec::new();
    let mut seen = vec![false; rel.columns.len()];
    let mut extra = Vec::new();
    let mut duplicate = Vec::new();
    for name in names {
        let name = name.trim();
        match rel.columns.iter().position(|(column, _)| column == name) {
            Some(idx) if seen[idx] => {
                duplicate.push(name.to_owned());
                mapping.push(None);
            }
            Some(idx) => {
                seen[idx] = true;
                mapping.push(Some(idx));
            }
            None => {
                if !ignore_extra {
                    extra.push(name.to_owned());
                }
                mapping.push(None);
            }
        }
    }
    let missing: Vec<String> = rel
        .columns
        .iter()
        .zip(&seen)
        .filter(|(_, seen)| !**seen)
        .map(|((name, _), _)| name.clone())
        .collect();
    if missing.is_empty() && extra.is_empty() && duplicate.is_empty() {
        Ok(mapping)
    } else {
        Err((missing, extra, duplicate))
    }
}

fn column_message(
    rel: &RelationSchema,
    what: &str,
    missing: &[String],
    extra: &[String],
    duplicate: &[String],
) -> (String, String) {
    let list = |names: &[String]| {
        names
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("lacks {}", list(missing)));
    }
    if !extra.is_empty() {
        parts.push(format!(
            "has {} that `{}` does not declare",
            list(extra),
            rel.name
        ));
    }
    if !duplicate.is_empty() {
        parts.push(format!("repeats {}", list(duplicate)));
    }
    let message = format!("this {what} {}", parts.join(" and "));
    let mut help = format!("`{}` has the columns {}", rel.name, declared_columns(rel));
    if !extra.is_empty() {
        help.push_str("; pass --ignore-extra to skip columns it does not declare");
    }
    (message, help)
}

fn read_csv(
    path: &str,
    text: &str,
    rel: &RelationSchema,
    ignore_extra: bool,
) -> Result<Vec<InputFact>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let line_text = |line: u64| -> String {
        text.lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("")
            .to_owned()
    };
    let at = |line: u64, col: u32| Location::DataLine {
        path: path.to_owned(),
        line: line as u32,
        col,
        text: line_text(line),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mapping = match reader.headers() {
        Ok(headers) if headers.iter().all(|name| name.trim().is_empty()) => {
            errors.push(
                Diagnostic::error(Code::BadFact, "the file has no header row")
                    .at_location(at(1, 1))
                    .with_help(format!(
                        "write the column names of `{}` on the first line: {}",
                        rel.name,
                        declared_columns(rel)
                    )),
            );
            return Err(errors);
        }
        Ok(headers) => match match_columns(rel, headers.iter(), ignore_extra) {
            Ok(mapping) => mapping,
            Err((missing, extra, duplicate)) => {
                let (message, help) = column_message(rel, "header", &missing, &extra, &duplicate);
                let first_bad = extra.first().or(duplicate.first());
                let col = first_bad
                    .and_then(|name| {
                        headers
                            .iter()
                            .position(|header| header.trim() == name)
                            .map(|idx| field_cols(&line_text(1)).get(idx).copied().unwrap_or(1))
                    })
                    .unwrap_or(1);
                errors.push(
                    Diagnostic::error(Code::ArityMismatch, message)
                        .at_location(at(1, col))
                        .with_help(help),
                );
                return Err(errors);
            }
        },
        Err(err) => {
            errors.push(csv_error(text, &err, &at));
            return Err(errors);
        }
    };
    let mut facts = Vec::new();
    for record in reader.records() {
        if errors.len() >= MAX_ERRORS {
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                errors.push(csv_error(text, &err, &at));
                continue;
            }
        };
        // The csv crate does not count blank lines; count from the byte offset.
        let line = record.position().map_or(0, |pos| {
            let bytes = text.as_bytes();
            let mut start = (pos.byte() as usize).min(bytes.len());
            while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
                start += 1;
            }
            1 + memchr::memchr_iter(b'\n', &bytes[..start]).count() as u64
        });
        if record.len() == 1 && record.get(0) == Some("") {
            continue; // A blank line.
        }
        if record.len() != mapping.len() {
            errors.push(
                Diagnostic::error(
                    Code::BadFact,
                    format!(
                        "this row has {} fields but the header has {}",
                        record.len(),
                        mapping.len()
                    ),
                )
                .at_location(at(line, 1))
                .with_help("quote fields that hold commas: \"a,b\""),
            );
            continue;
        }
        let cols = field_cols(&line_text(line));
        let mut fields = vec![String::new(); rel.columns.len()];
        let mut ok = true;
        for (idx, (field, target)) in record.iter().zip(&mapping).enumerate() {
            let Some(target) = *target else { continue };
            let (name, ty) = &rel.columns[target];
            match normalize(*ty, field) {
                Ok(value) => fields[target] = value,
                Err(message) => {
                    ok = false;
                    let col = cols.get(idx).copied().unwrap_or(1);
                    errors.push(
                        Diagnostic::error(Code::TypeMismatch, message)
                            .at_location(at(line, col))
                            .with_label(format!(
                                "column `{name}` of `{}` is a {}",
                                rel.name,
                                ty.name()
                            ))
                            .with_help(type_help(*ty)),
                    );
                }
            }
        }
        if ok {
            facts.push(InputFact {
                fact: db::Fact {
                    rel: rel.name.clone(),
                    fields,
                },
                line: line as u32,
                location: Some(at(line, 1)),
            });
        }
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(errors)
    }
}

fn type_help(ty: Type) -> &'static str {
    match ty {
        Type::DateTime => {
            "write RFC 3339 (`2026-03-01T08:00:00Z`, `2026-03-01T09:00:00+01:00`) or a date (`2026-03-01`)"
        }
        Type::Float => "write a decimal number such as `12.5` or `40`",
        Type::Number | Type::Unsigned => "write an integer such as `42`",
        Type::Symbol | Type::Any => "write any text",
    }
}

/// The 1-based column where each field of a one-line CSV record starts.
fn field_cols(line: &str) -> Vec<u32> {
    let mut cols = vec![1];
    let mut in_quotes = false;
    for (idx, ch) in line.char_indices() {
        match ch {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => cols.push(line[..idx].chars().count() as u32 + 2),
            _ => (),
        }
    }
    cols
}

fn csv_error(text: &str, err: &csv::Error, at: &dyn Fn(u64, u32) -> Location) -> Diagnostic {
    let line = err.position().map_or(1, |pos| {
        1 + memchr::memchr_iter(
            b'\n',
            &text.as_bytes()[..(pos.byte() as usize).min(text.len())],
        )
        .count() as u64
    });
    Diagnostic::error(Code::BadFact, format!("cannot read this row: {err}"))
        .at_location(at(line, 1))
}

fn read_jsonl(
    path: &str,
    text: &str,
    rel: &RelationSchema,
    ignore_extra: bool,
) -> Result<Vec<InputFact>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut facts = Vec::new();
    for (idx, raw) in text.split('\n').enumerate() {
        if errors.len() >= MAX_ERRORS {
            break;
        }
        let line_text = raw.strip_suffix('\r').unwrap_or(raw);
        let line = idx as u32 + 1;
        if line_text.trim().is_empty() {
            continue;
        }
        let at = |col: u32| Location::DataLine {
            path: path.to_owned(),
            line,
            col,
            text: line_text.to_owned(),
        };
        // The column of a key in this line, for errors about its value.
        let key_col = |key: &str| -> u32 {
            let quoted = serde_json::to_string(key).unwrap_or_default();
            line_text
                .find(&quoted)
                .map_or(1, |byte| line_text[..byte].chars().count() as u32 + 1)
        };
        let object: serde_json::Map<String, serde_json::Value> =
            match serde_json::from_str(line_text) {
                Ok(object) => object,
                Err(err) => {
                    errors.push(
                        Diagnostic::error(
                            Code::BadFact,
                            format!("this line is not one JSON object: {err}"),
                        )
                        .at_location(at(err.column().max(1) as u32))
                        .with_help(format!(
                            "write one object per line, e.g. {{{}}}",
                            rel.columns
                                .iter()
                                .map(|(name, _)| format!("\"{name}\": ..."))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    continue;
                }
            };
        let keys: Vec<&String> = object.keys().collect();
        let mapping = match match_columns(rel, keys.iter().map(|key| key.as_str()), ignore_extra) {
            Ok(mapping) => mapping,
            Err((missing, extra, duplicate)) => {
                let (message, help) = column_message(rel, "object", &missing, &extra, &duplicate);
                let col = extra.first().map_or(1, |key| key_col(key));
                errors.push(
                    Diagnostic::error(Code::ArityMismatch, message)
                        .at_location(at(col))
                        .with_help(help),
                );
                continue;
            }
        };
        let mut fields = vec![String::new(); rel.columns.len()];
        let mut ok = true;
        for ((key, value), target) in object.iter().zip(&mapping) {
            let Some(target) = *target else { continue };
            let (name, ty) = &rel.columns[target];
            let text = match value {
                serde_json::Value::String(text) => Ok(text.clone()),
                serde_json::Value::Number(number) => Ok(number.to_string()),
                serde_json::Value::Null if matches!(ty, Type::Symbol | Type::Any) => {
                    Ok(String::new())
                }
                other => Err(format!(
                    "key \"{key}\" holds {}, but a value of `{}` must be a string or a number",
                    json_kind(other),
                    rel.name
                )),
            };
            let value = text.and_then(|text| {
                normalize(*ty, &text).map_err(|message| format!("key \"{key}\": {message}"))
            });
            match value {
                Ok(value) => fields[target] = value,
                Err(message) => {
                    ok = false;
                    errors.push(
                        Diagnostic::error(Code::TypeMismatch, message)
                            .at_location(at(key_col(key)))
                            .with_label(format!(
                                "column `{name}` of `{}` is a {}",
                                rel.name,
                                ty.name()
                            ))
                            .with_help(type_help(*ty)),
                    );
                }
            }
        }
        if ok {
            facts.push(InputFact {
                fact: db::Fact {
                    rel: rel.name.clone(),
                    fields,
                },
                line,
                location: Some(at(1)),
            });
        }
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(errors)
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(failure: &Failure) -> Vec<&'static str> {
        failure
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect()
    }

    #[test]
    fn schema_holds_the_plant_relations_and_not_the_epcis_ones() {
        for name in [
            "batch",
            "consume",
            "produce",
            "equip_use",
            "cleaning",
            "status",
            "inventory",
            "destroyed",
            "shipment",
            "ship_line",
            "receipt",
            "rcpt_line",
            "party",
            "location",
            "product",
            "lot",
            "equipment",
        ] {
            assert!(relation(name).is_some(), "{name}");
        }
        assert!(relation("event").is_none());
        assert!(relation("ev_obj").is_none());
        let consume = relation("consume").unwrap();
        assert_eq!(
            consume
                .columns
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            ["batch", "lot", "qty", "uom", "at"]
        );
    }

    #[test]
    fn values_follow_the_schema_conventions() {
        assert_eq!(normalize(Type::Float, " 12 ").unwrap(), "12.0");
        assert_eq!(normalize(Type::Float, "2.50").unwrap(), "2.5");
        assert_eq!(
            normalize(Type::DateTime, "2026-03-01").unwrap(),
            "2026-03-01T00:00:00Z"
        );
        assert_eq!(
            normalize(Type::DateTime, "2026-03-01T09:30:00+01:00").unwrap(),
            "2026-03-01T08:30:00Z"
        );
        assert_eq!(normalize(Type::Symbol, " a ").unwrap(), " a ");
        assert!(normalize(Type::Float, "").is_err());
        assert!(normalize(Type::Float, "NaN").is_err());
        assert!(normalize(Type::DateTime, "01/03/2026").is_err());
    }

    #[test]
    fn csv_columns_match_by_name_in_any_order() {
        let input = read(
            Path::new("data/consume.csv"),
            b"at,batch,lot,uom,qty\n2026-03-01,B1,L1,KGM,40\n\n2026-03-02T10:00:00Z,B2,\"L,2\",KGM,1.5\n",
            &Options::default(),
        )
        .unwrap();
        let rows: Vec<(Vec<String>, u32)> = input
            .facts
            .iter()
            .map(|f| (f.fact.fields.clone(), f.line))
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    vec![
                        "B1".into(),
                        "L1".into(),
                        "40.0".into(),
                        "KGM".into(),
                        "2026-03-01T00:00:00Z".into()
                    ],
                    2
                ),
                (
                    vec![
                        "B2".into(),
                        "L,2".into(),
                        "1.5".into(),
                        "KGM".into(),
                        "2026-03-02T10:00:00Z".into()
                    ],
                    4
                ),
            ]
        );
        assert_eq!(input.facts[0].fact.rel, "consume");
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        let err = read(
            Path::new("consume.csv"),
            b"batch,lot,qty,uom,at\nB1,L1,lots,KGM,2026-03-01\nB1,L1,1,KGM,yesterday\n",
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(codes(&err), ["type-mismatch", "type-mismatch"]);
        let text = crate::diagnostic::render(&err.sources, &err.diagnostics);
        assert!(text.contains("consume.csv:2:7"), "{text}");
        assert!(text.contains("consume.csv:3:13"), "{text}");
        let err = read(
            Path::new("consume.csv"),
            b"batch,lot,qty,uom,at,shift\nB1,L1,1,KGM,2026-03-01,night\n",
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(codes(&err), ["arity-mismatch"]);
        let text = crate::diagnostic::render(&err.sources, &err.diagnostics);
        assert!(text.contains("consume.csv:1:22"), "{text}");
        assert!(text.contains("--ignore-extra"), "{text}");
        let options = Options {
            ignore_extra: true,
            ..Options::default()
        };
        let input = read(
            Path::new("consume.csv"),
            b"batch,lot,qty,uom,at,shift\nB1,L1,1,KGM,2026-03-01,night\n",
            &options,
        )
        .unwrap();
        assert_eq!(input.facts[0].fact.fields.len(), 5);
        let err = read(Path::new("consume.csv"), b"batch,lot,qty\n", &options).unwrap_err();
        assert_eq!(codes(&err), ["arity-mismatch"]);
        assert!(err.diagnostics[0].message.contains("lacks `uom`, `at`"));
        let err = read(Path::new("stuff.csv"), b"a\n", &options).unwrap_err();
        assert_eq!(codes(&err), ["unknown-relation"]);
        let err = read(
            Path::new("consume.csv"),
            b"batch,lot,qty,uom,at\nB1,L1\n",
            &options,
        )
        .unwrap_err();
        assert_eq!(codes(&err), ["bad-fact"]);
    }

    #[test]
    fn json_lines_name_line_and_key() {
        let options = Options {
            relation: Some("cleaning".into()),
            ..Options::default()
        };
        let input = read(
            Path::new("x.jsonl"),
            b"{\"equip\": \"MX-1\", \"at\": \"2026-03-01T06:00:00Z\", \"level\": \"full\"}\n\n",
            &options,
        )
        .unwrap();
        assert_eq!(
            input.facts[0].fact.fields,
            ["MX-1", "2026-03-01T06:00:00Z", "full"]
        );
        let err = read(
            Path::new("x.jsonl"),
            b"{\"equip\": \"MX-1\", \"at\": 5, \"level\": \"full\"}\n{\"equip\": \"MX-1\"\n{\"equip\": \"MX-1\", \"level\": \"full\"}\n",
            &options,
        )
        .unwrap_err();
        assert_eq!(codes(&err), ["type-mismatch", "bad-fact", "arity-mismatch"]);
        let text = crate::diagnostic::render(&err.sources, &err.diagnostics);
        assert!(text.contains("x.jsonl:1:19"), "{text}");
        assert!(text.contains("key \"at\""), "{text}");
        assert!(text.contains("x.jsonl:2:"), "{text}");
        assert!(text.contains("x.jsonl:3:1"), "{text}");
    }
}
