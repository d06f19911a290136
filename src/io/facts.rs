//! This module parses fact files (tab-separated `.facts`, comma-separated
//! `.csv` with a header row) into flat rows of encoded values.
//!
//! Loading is a hot path (the bench loads 10^7 edges), so a file is read whole
//! and split with `memchr`; each field goes straight through the relation's
//! [`ValueStore`] into one flat `Vec<Value>`, with no allocation per row.
//! Quoted fields (RFC 4180) are handled by the `csv` crate, and only when a
//! file that allows quoting actually contains a `"`.

use memchr::memchr;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::ir::{self, Type};
use crate::value::{Value, ValueStore};

/// How one input file is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    /// One ASCII byte.
    pub delimiter: u8,
    /// The first non-empty line names the columns.
    pub headers: bool,
    /// Fields may be quoted with `"` (RFC 4180). Off for tab-separated files,
    /// which Soufflé reads literally.
    pub quoting: bool,
}

impl Format {
    /// Soufflé's `.facts`: tab-separated, no header, no quoting.
    pub const FACTS: Format = Format {
        delimiter: b'\t',
        headers: false,
        quoting: false,
    };
    /// `.csv`: comma-separated, a header row, RFC 4180 quoting.
    pub const CSV: Format = Format {
        delimiter: b',',
        headers: true,
        quoting: true,
    };
}

/// The facts of one file: `n_rows` tuples of the relation's arity, one after
/// another in `values` (a zero-arity relation has rows but no values).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rows {
    pub n_rows: usize,
    pub values: Vec<Value>,
}

/// The most problems reported for one file before reading stops.
pub const MAX_ERRORS_PER_FILE: usize = 10;

/// Parses the text of one fact file for `relation`. `path` is the name shown in
/// diagnostics. Either every line fits, or the result lists the `bad-fact`
/// problems found (at most [`MAX_ERRORS_PER_FILE`]).
pub fn parse(
    store: &mut ValueStore,
    relation: &ir::Relation,
    bytes: &[u8],
    format: &Format,
    path: &str,
) -> Result<Rows, Vec<Diagnostic>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let offset = err.valid_up_to();
            let line = 1 + memchr::memchr_iter(b'\n', &bytes[..offset]).count();
            let line_start = bytes[..offset]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |idx| idx + 1);
            let line_end = memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |idx| offset + idx);
            let line_text = String::from_utf8_lossy(&bytes[line_start..line_end]).into_owned();
            let col = String::from_utf8_lossy(&bytes[line_start..offset])
                .chars()
                .count()
                + 1;
            let diagnostic = bad_fact(
                path,
                line,
                col,
                &line_text,
                format!(
                    "`{}` holds bytes that are not UTF-8 text",
                    display_name(path)
                ),
            )
            .with_help("save the file as UTF-8");
            return Err(vec![diagnostic]);
        }
    };
    let mut parser = Parser::new(store, relation, format, path);
    if format.quoting && memchr(b'"', bytes).is_some() {
        parser.parse_quoted(text);
    } else {
        parser.parse_plain(text);
    }
    parser.finish()
}

/// The file name without its directories, for messages.
fn display_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn bad_fact(path: &str, line: usize, col: usize, text: &str, message: String) -> Diagnostic {
    // A data line can be very long; the rendered diagnostic shows its start.
    const MAX_SHOWN: usize = 300;
    let shown: String = if text.len() > MAX_SHOWN {
        text.chars().take(MAX_SHOWN).collect()
    } else {
        text.to_owned()
    };
    Diagnostic::error(Code::BadFact, message).at_location(Location::DataLine {
        path: path.to_owned(),
        line: line as u32,
        col: col as u32,
        text: shown,
    })
}

struct Parser<'a> {
    store: &'a mut ValueStore,
    relation: &'a ir::Relation,
    format: &'a Format,
    path: &'a str,
    /// For each field position in the file, the column it fills (a header may
    /// name the declared columns in another order).
    field_to_column: Vec<usize>,
    types: Vec<Type>,
    /// Scratch for one row in column order.
    row: Vec<Value>,
    /// Per column, the last symbol read and its value: fact files often
    /// repeat a column's value on consecutive lines (a batch's inputs, a
    /// lot's shipments), and a string compare is cheaper than a lookup in a
    /// large interner.
    last_symbol: Vec<(String, Option<Value>)>,
    recent: SymbolCache,
    rows: Rows,
    errors: Vec<Diagnostic>,
    header_seen: bool,
}

impl<'a> Parser<'a> {
    fn new(
        store: &'a mut ValueStore,
        relation: &'a ir::Relation,
        format: &'a Format,
        path: &'a str,
    ) -> Parser<'a> {
        let arity = relation.arity();
        Parser {
            store,
            relation,
            format,
            path,
            field_to_column: (0..arity).collect(),
            types: relation.columns.iter().map(|column| column.ty).collect(),
            row: vec![0; arity],
            last_symbol: vec![(String::new(), None); arity],
            recent: SymbolCache::new(),
            rows: Rows::default(),
            errors: Vec::new(),
            header_seen: !format.headers,
        }
    }

    fn finish(self) -> Result<Rows, Vec<Diagnostic>> {
        if self.errors.is_empty() {
            return Ok(self.rows);
        }
        let mut errors = self.errors;
        if errors.len() >= MAX_ERRORS_PER_FILE {
            let last = errors.last_mut().expect("at least one error");
            last.help = Some(format!(
                "reading stopped after {MAX_ERRORS_PER_FILE} problems in `{}`",
                display_name(self.path)
            ));
        }
        Err(errors)
    }

    fn full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS_PER_FILE
    }

    /// Unquoted text: split lines and fields with memchr.
    fn parse_plain(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let delimiter = self.format.delimiter;
        let arity = self.relation.arity();
        // One pass to count lines is cheap next to parsing, and saves
        // reallocating (and copying) the rows many times over.
        let n_lines = memchr::memchr_iter(b'\n', bytes).count() + 1;
        self.rows.values.reserve(n_lines * arity);
        let mut pos = 0;
        let mut line_no = 0;
        while pos < bytes.len() && !self.full() {
            let end = memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |idx| pos + idx);
            line_no += 1;
            let mut line = &text[pos..end];
            pos = end + 1;
            if let Some(stripped) = line.strip_suffix('\r') {
                line = stripped;
            }
            if line.is_empty() {
                continue;
            }
            if !self.header_seen {
                self.header_seen = true;
                let names: Vec<&str> = line.split(delimiter as char).collect();
                self.header(&names, line_no, line);
                continue;
            }
            if arity == 0 {
                self.rows.n_rows += 1;
                continue;
            }
            let mut rest = line;
            let mut field_idx = 0;
            let mut ok = true;
            loop {
                let (field, more) = match memchr(delimiter, rest.as_bytes()) {
                    Some(idx) => (&rest[..idx], Some(&rest[idx + 1..])),
                    None => (rest, None),
                };
                if field_idx == arity {
                    let found = arity
                        + 1
                        + more.map_or(0, |m| {
                            memchr::memchr_iter(delimiter, m.as_bytes()).count() + 1
                        });
                    self.wrong_count(line_no, line, found);
                    ok = false;
                    break;
                }
                let col = field_col(line, field);
                if !self.field(field_idx, field, line_no, col, line) {
                    ok = false;
                    break;
                }
                field_idx += 1;
                match more {
                    Some(more) => rest = more,
                    None => break,
                }
            }
            if ok && field_idx < arity {
                self.wrong_count(line_no, line, field_idx);
                ok = false;
            }
            if ok {
                self.rows.values.extend_from_slice(&self.row);
                self.rows.n_rows += 1;
            }
        }
    }

    /// Text with quoted fields: the csv crate does the RFC 4180 work.
    fn parse_quoted(&mut self, text: &str) {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.format.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        let arity = self.relation.arity();
        // Line numbers counted here: quoted fields may hold line breaks.
        let mut lines = LineCounter::default();
        while !self.full() {
            let position = reader.position().clone();
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => (),
                Err(err) => {
                    let offset = skip_breaks(text, position.byte() as usize);
                    let line_no = lines.line_of(text, offset);
                    let line = line_at(text, offset);
                    let message = match err.kind() {
                        csv::ErrorKind::Utf8 { .. } => "a field is not UTF-8 text".to_owned(),
                        _ => format!("cannot read this line as CSV: {err}"),
                    };
                    self.errors
                        .push(bad_fact(self.path, line_no, 1, line, message));
                    // The reader cannot resynchronise reliably after a broken quote.
                    break;
                }
            }
            let start = record.position().unwrap_or(&position);
            // The reader's offset may still point at the previous line's break.
            let offset = skip_breaks(text, start.byte() as usize);
            let line_no = lines.line_of(text, offset);
            let line = line_at(text, offset);
            if record.len() == 1 && record[0].is_empty() && !line.contains('"') {
                continue;
            }
            if !self.header_seen {
                self.header_seen = true;
                let names: Vec<&str> = record.iter().collect();
                self.header(&names, line_no, line);
                continue;
            }
            if arity == 0 {
                self.rows.n_rows += 1;
                continue;
            }
            if record.len() != arity {
                self.wrong_count(line_no, line, record.len());
                continue;
            }
            let mut ok = true;
            for (field_idx, field) in record.iter().enumerate() {
                let col = find_col(line, field);
                if !self.field(field_idx, field, line_no, col, line) {
                    ok = false;
                    break;
                }
            }
            if ok {
                self.rows.values.extend_from_slice(&self.row);
                self.rows.n_rows += 1;
            }
        }
    }

    /// Parses one field into the scratch row; reports and returns false on error.
    fn field(
        &mut self,
        field_idx: usize,
        field: &str,
        line_no: usize,
        col: usize,
        line: &str,
    ) -> bool {
        let column = self.field_to_column[field_idx];
        let parsed = match self.types[column] {
            Type::Symbol => {
                let (last_text, last_value) = &mut self.last_symbol[column];
                match last_value {
                    Some(value) if last_text == field => Ok(*value),
                    _ => {
                        let value = self.recent.intern(self.store, field);
                        last_text.clear();
                        last_text.push_str(field);
                        *last_value = Some(value);
                        Ok(value)
                    }
                }
            }
            ty => self.store.parse(ty, field),
        };
        match parsed {
            Ok(value) => {
                self.row[column] = value;
                true
            }
            Err(message) => {
                let column_name = &self.relation.columns[column].name;
                let message = format!(
                    "column `{column_name}` of `{}`: {message}",
                    self.relation.name
                );
                self.errors
                    .push(bad_fact(self.path, line_no, col, line, message));
                false
            }
        }
    }

    fn wrong_count(&mut self, line_no: usize, line: &str, found: usize) {
        let arity = self.relation.arity();
        let delimiter = match self.format.delimiter {
            b'\t' => "tab".to_owned(),
            b',' => "comma".to_owned(),
            other => format!("`{}`", other as char),
        };
        let message = format!(
            "expected {arity} field{} for `{}`, found {found}",
            if arity == 1 { "" } else { "s" },
            signature(self.relation)
        );
        let mut diagnostic = bad_fact(self.path, line_no, 1, line, message);
        diagnostic.help = Some(format!("fields are separated by one {delimiter} each"));
        self.errors.push(diagnostic);
    }

    /// Checks a header row against the declared column names and maps the
    /// file's fields to columns. Undeclared relations take any header.
    fn header(&mut self, names: &[&str], line_no: usize, line: &str) {
        let arity = self.relation.arity();
        if names.len() != arity && !(arity == 0 && names.len() == 1) {
            let message = format!(
                "the header names {} column{}, but `{}` has {arity}",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                signature(self.relation)
            );
            self.errors
                .push(bad_fact(self.path, line_no, 1, line, message));
            return;
        }
        if self.relation.decl.is_none() || arity == 0 {
            return;
        }
        let mut mapping = Vec::with_capacity(arity);
        for name in names {
            let name = name.trim();
            match self
                .relation
                .columns
                .iter()
                .position(|column| column.name == name)
            {
                Some(column) if !mapping.contains(&column) => mapping.push(column),
                _ => {
                    let message = format!(
                        "the header does not match the declared columns of `{}`",
                        signature(self.relation)
                    );
                    let col = find_col(line, name);
                    let mut diagnostic = bad_fact(self.path, line_no, col, line, message);
                    diagnostic.label = Some(format!("`{name}` is not a column, or appears twice"));
                    diagnostic.help = Some(
                        "name each declared column once in the header row (in any order), or set headers=false"
                            .to_owned(),
                    );
                    self.errors.push(diagnostic);
                    return;
                }
            }
        }
        self.field_to_column = mapping;
    }
}

/// A small direct-mapped cache of recently interned short symbols, kept
/// inline so that a hit touches one cache line instead of the interner's
/// table and the symbol's heap text (two cache misses once the interner holds
/// millions of symbols). Lots reappear within a few thousand lines of a fact
/// file (a lot is split across batches made in the same days), so most
/// repeats hit.
struct SymbolCache {
    slots: Vec<CacheSlot>,
    hasher: rustc_hash::FxBuildHasher,
}

#[derive(Clone, Copy)]
struct CacheSlot {
    len: u8,
    text: [u8; CACHE_TEXT],
    value: u32,
}

const CACHE_TEXT: usize = 23;
const CACHE_BITS: u32 = 16;

impl SymbolCache {
    fn new() -> SymbolCache {
        let empty = CacheSlot {
            len: u8::MAX,
            text: [0; CACHE_TEXT],
            value: 0,
        };
        SymbolCache {
            slots: vec![empty; 1 << CACHE_BITS],
            hasher: rustc_hash::FxBuildHasher,
        }
    }

    fn intern(&mut self, store: &mut ValueStore, field: &str) -> Value {
        use std::hash::BuildHasher;
        let bytes = field.as_bytes();
        if bytes.len() > CACHE_TEXT {
            return store.intern(field) as Value;
        }
        let idx = (self.hasher.hash_one(bytes) >> (64 - CACHE_BITS)) as usize;
        let slot = &mut self.slots[idx];
        if slot.len as usize == bytes.len() && &slot.text[..bytes.len()] == bytes {
            return slot.value as Value;
        }
        let value = store.intern(field);
        slot.len = bytes.len() as u8;
        slot.text[..bytes.len()].copy_from_slice(bytes);
        slot.value = value;
        value as Value
    }
}

/// `name(col1, col2)` for messages.
fn signature(relation: &ir::Relation) -> String {
    let columns: Vec<&str> = relation
        .columns
        .iter()
        .map(|column| column.name.as_str())
        .collect();
    format!("{}({})", relation.name, columns.join(", "))
}

/// The 1-based character column where `field` (a subslice of `line`) starts.
fn field_col(line: &str, field: &str) -> usize {
    let offset = field.as_ptr() as usize - line.as_ptr() as usize;
    line[..offset].chars().count() + 1
}

/// The 1-based character column of the first occurrence of `field` in `line`
/// (for fields the csv crate has unquoted, which are not subslices).
fn find_col(line: &str, field: &str) -> usize {
    match line.find(field) {
        Some(offset) if !field.is_empty() => line[..offset].chars().count() + 1,
        _ => 1,
    }
}

fn skip_breaks(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut offset = offset;
    while offset < bytes.len() && matches!(bytes[offset], b'\r' | b'\n') {
        offset += 1;
    }
    offset
}

/// The 1-based line number of byte offsets that only grow.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    n_breaks: usize,
}

impl LineCounter {
    fn line_of(&mut self, text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        if offset > self.offset {
            self.n_breaks +=
                memchr::memchr_iter(b'\n', &text.as_bytes()[self.offset..offset]).count();
            self.offset = offset;
        }
        self.n_breaks + 1
    }
}

/// The text (without line break) of the line that starts at or holds `offset`.
fn line_at(text: &str, offset: usize) -> &str {
    let offset = offset.min(text.len());
    let bytes = text.as_bytes();
    let start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |idx| idx + 1);
    let end = memchr(b'\n', &bytes[offset..]).map_or(text.len(), |idx| offset + idx);
    text[start..end].trim_end_matches('\r')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ir::Column;
    use crate::source::{FileId, Span};
    use crate::value::decode_int;

    pub fn relation(name: &str, columns: &[(&str, Type)], declared: bool) -> ir::Relation {
        let span = Span::new(FileId(0), 0, 0);
        ir::Relation {
            name: name.to_owned(),
            columns: columns
                .iter()
                .map(|(name, ty)| Column {
                    name: (*name).to_owned(),
                    ty: *ty,
                    type_name: ty.name().to_owned(),
                })
                .collect(),
            decl: declared.then_some(span),
            first_use: span,
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: None,
            hidden: false,
        }
    }

    fn shipped() -> ir::Relation {
        relation(
            "shipped",
            &[
                ("lot", Type::Symbol),
                ("site", Type::Symbol),
                ("qty", Type::Number),
            ],
            true,
        )
    }

    fn decode(store: &ValueStore, rel: &ir::Relation, rows: &Rows) -> Vec<String> {
        let arity = rel.arity();
        rows.values
            .chunks(arity)
            .map(|row| {
                let fields: Vec<String> = rel
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(column, value)| {
                        let mut text = String::new();
                        store.write(&mut text, column.ty, *value);
                        text
                    })
                    .collect();
                fields.join("|")
            })
            .collect()
    }

    fn location(diagnostic: &Diagnostic) -> (u32, u32, String) {
        match &diagnostic.location {
            Some(Location::DataLine {
                line, col, text, ..
            }) => (*line, *col, text.clone()),
            other => panic!("expected a data line, got {other:?}"),
        }
    }

    #[test]
    fn tab_separated_lines_with_crlf_blank_lines_and_no_final_newline() {
        let mut store = ValueStore::default();
        let rel = shipped();
        let text = "L1\tPLANT01\t12\r\n\nL2\tDC 07\t-4\r\n\r\nL3\t\t0";
        let rows = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::FACTS,
            "shipped.facts",
        )
        .unwrap();
        assert_eq!(rows.n_rows, 3);
        assert_eq!(
            decode(&store, &rel, &rows),
            ["L1|PLANT01|12", "L2|DC 07|-4", "L3||0"]
        );
    }

    #[test]
    fn wrong_field_counts_name_expected_and_found() {
        let mut store = ValueStore::default();
        let rel = shipped();
        let text = "L1\tP\t1\nL2\tP\nL3\tP\t3\textra\tmore\n";
        let errors = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::FACTS,
            "dir/shipped.facts",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].code, Code::BadFact);
        assert_eq!(
            errors[0].message,
            "expected 3 fields for `shipped(lot, site, qty)`, found 2"
        );
        assert_eq!(location(&errors[0]), (2, 1, "L2\tP".to_owned()));
        assert_eq!(
            errors[1].message,
            "expected 3 fields for `shipped(lot, site, qty)`, found 5"
        );
        assert_eq!(location(&errors[1]).0, 3);
        assert!(
            matches!(&errors[1].location, Some(Location::DataLine { path, .. }) if path == "dir/shipped.facts")
        );
    }

    #[test]
    fn bad_numbers_point_at_the_field() {
        let mut store = ValueStore::default();
        let rel = shipped();
        let text = "L1\tP\t12\nL2\tPLANT\ttwelve\n";
        let errors = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::FACTS,
            "shipped.facts",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "column `qty` of `shipped`: expected a number (64-bit integer), found `twelve`"
        );
        assert_eq!(
            location(&errors[0]),
            (2, 10, "L2\tPLANT\ttwelve".to_owned())
        );
    }

    #[test]
    fn errors_stop_after_the_limit() {
        let mut store = ValueStore::default();
        let rel = shipped();
        let text = "L\tP\tx\n".repeat(50);
        let errors = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::FACTS,
            "shipped.facts",
        )
        .unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS_PER_FILE);
        assert!(
            errors
                .last()
                .unwrap()
                .help
                .as_deref()
                .unwrap()
                .contains("stopped after 10 problems")
        );
    }

    #[test]
    fn csv_header_is_checked_and_may_reorder_columns() {
        let mut store = ValueStore::default();
        let rel = shipped();
        let text = "qty,lot,site\n12,L1,PLANT01\n";
        let rows = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::CSV,
            "shipped.csv",
        )
        .unwrap();
        assert_eq!(decode(&store, &rel, &rows), ["L1|PLANT01|12"]);

        let text = "lot,place,qty\nL1,PLANT01,12\n";
        let errors = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::CSV,
            "shipped.csv",
        )
        .unwrap_err();
        assert_eq!(
            errors[0].message,
            "the header does not match the declared columns of `shipped(lot, site, qty)`"
        );
        assert_eq!(location(&errors[0]), (1, 5, "lot,place,qty".to_owned()));

        let text = "lot,site\nL1,PLANT01\n";
        let errors = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::CSV,
            "shipped.csv",
        )
        .unwrap_err();
        assert_eq!(
            errors[0].message,
            "the header names 2 columns, but `shipped(lot, site, qty)` has 3"
        );
    }

    #[test]
    fn undeclared_relations_take_any_header() {
        let mut store = ValueStore::default();
        let rel = relation("edge", &[("_0", Type::Symbol), ("_1", Type::Any)], false);
        let text = "from,to\na,1\nb,x\n";
        let rows = parse(&mut store, &rel, text.as_bytes(), &Format::CSV, "edge.csv").unwrap();
        assert_eq!(decode(&store, &rel, &rows), ["a|1", "b|x"]);
    }

    #[test]
    fn quoted_csv_fields_follow_rfc_4180() {
        let mut store = ValueStore::default();
        let rel = shipped();
        let text = "lot,site,qty\r\n\"L1, part A\",\"say \"\"hi\"\"\",3\r\n\"L2\nsecond line\",P,4\r\nL3,P,\"x\"\r\n";
        let errors = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::CSV,
            "shipped.csv",
        )
        .unwrap_err();
        // The third data row is bad; it starts on line 5 because a quoted field spans a line break.
        assert_eq!(errors.len(), 1);
        assert_eq!(location(&errors[0]).0, 5);
        assert_eq!(location(&errors[0]).2, "L3,P,\"x\"");
        let text = &text[..text.find("L3").unwrap()];
        let rows = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::CSV,
            "shipped.csv",
        )
        .unwrap();
        assert_eq!(
            decode(&store, &rel, &rows),
            ["L1, part A|say \"hi\"|3", "L2\nsecond line|P|4"]
        );
    }

    #[test]
    fn tab_separated_files_keep_quotes_literally() {
        let mut store = ValueStore::default();
        let rel = relation("note", &[("text", Type::Symbol)], true);
        let rows = parse(
            &mut store,
            &rel,
            b"\"quoted\"\n",
            &Format::FACTS,
            "note.facts",
        )
        .unwrap();
        assert_eq!(decode(&store, &rel, &rows), ["\"quoted\""]);
    }

    #[test]
    fn zero_arity_relations_count_non_empty_lines() {
        let mut store = ValueStore::default();
        let rel = relation("ok", &[], true);
        let rows = parse(
            &mut store,
            &rel,
            b"\n()\n\r\nanything\n",
            &Format::FACTS,
            "ok.facts",
        )
        .unwrap();
        assert_eq!(
            rows,
            Rows {
                n_rows: 2,
                values: Vec::new()
            }
        );
        let rows = parse(&mut store, &rel, b"", &Format::FACTS, "ok.facts").unwrap();
        assert_eq!(rows.n_rows, 0);
    }

    #[test]
    fn datetimes_and_floats_parse_per_column_type() {
        let mut store = ValueStore::default();
        let rel = relation(
            "reading",
            &[
                ("at", Type::DateTime),
                ("temp", Type::Float),
                ("n", Type::Unsigned),
            ],
            true,
        );
        let text = "2026-03-01T09:30:00+01:00\t4.5\t7\n";
        let rows = parse(
            &mut store,
            &rel,
            text.as_bytes(),
            &Format::FACTS,
            "reading.facts",
        )
        .unwrap();
        assert_eq!(decode(&store, &rel, &rows), ["2026-03-01T08:30:00Z|4.5|7"]);
        let errors = parse(
            &mut store,
            &rel,
            b"yesterday\t1\t1\n",
            &Format::FACTS,
            "reading.facts",
        )
        .unwrap_err();
        assert!(
            errors[0].message.contains("expected an RFC 3339 date-time"),
            "{}",
            errors[0].message
        );
        let errors = parse(
            &mut store,
            &rel,
            b"2026-03-01\t1\t-1\n",
            &Format::FACTS,
            "reading.facts",
        )
        .unwrap_err();
        assert!(
            errors[0].message.contains("expected an unsigned number"),
            "{}",
            errors[0].message
        );
        assert_eq!(location(&errors[0]).1, 14);
    }

    #[test]
    fn invalid_utf8_is_reported_at_its_line() {
        let mut store = ValueStore::default();
        let rel = shipped();
        let errors = parse(
            &mut store,
            &rel,
            b"L1\tP\t1\nL\xff2\tP\t2\n",
            &Format::FACTS,
            "shipped.facts",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(location(&errors[0]).0, 2);
        assert_eq!(location(&errors[0]).1, 2);
        assert!(errors[0].message.contains("not UTF-8"));
    }

    #[test]
    fn the_symbol_cache_never_confuses_symbols() {
        let mut store = ValueStore::default();
        let mut cache = SymbolCache::new();
        // Far more distinct symbols than slots, so slots are overwritten, plus
        // long symbols that bypass the cache.
        for round in 0..2 {
            for idx in 0..100_000u32 {
                let text = if idx % 7 == 0 {
                    format!("a-long-symbol-beyond-the-inline-limit-{idx}")
                } else {
                    format!("L{idx}")
                };
                let value = cache.intern(&mut store, &text);
                assert_eq!(store.symbol(value as u32), text, "round {round}");
            }
        }
        assert_eq!(store.n_symbols(), 100_000);
    }

    #[test]
    fn numbers_are_encoded_like_the_value_store_does() {
        let mut store = ValueStore::default();
        let rel = relation("n", &[("x", Type::Number)], true);
        let rows = parse(&mut store, &rel, b"-3\n 5 \n", &Format::FACTS, "n.facts").unwrap();
        let decoded: Vec<i64> = rows.values.iter().map(|v| decode_int(*v)).collect();
        assert_eq!(decoded, [-3, 5]);
    }
}
