//! This module writes results: `.output` files (CSV/TSV), tables for
//! `IO=stdout` and queries, and `.printsize` lines, all rows in the shared
//! value order (numbers < date-times < symbols, symbols by UTF-8 bytes).
//!
//! Files are written to temporary names and renamed only when every file was
//! written, so a failed run leaves no partial output.

use std::cmp::Ordering;
use std::io::Write;
use std::path::{Path, PathBuf};

use comfy_table::{Table, presets};

use crate::diagnostic::{Code, Diagnostic};
use crate::engine::Engine;
use crate::io::{self, Format, OutputTarget};
use crate::ir::{self, RelId, Type};
use crate::source::{SourceMap, Span};
use crate::value::{Dyn, Value, ValueStore, decode_float, decode_int};

/// Read access to evaluated relations; the engine implements it, and tests
/// implement it over hand-made rows.
pub trait Relations {
    fn values(&self) -> &ValueStore;
    /// The tuples of `rel` (any order; writers sort them).
    fn rows(&self, rel: RelId) -> Box<dyn Iterator<Item = &[Value]> + '_>;
    fn len(&self, rel: RelId) -> usize;
}

impl Relations for Engine {
    fn values(&self) -> &ValueStore {
        Engine::values(self)
    }

    fn rows(&self, rel: RelId) -> Box<dyn Iterator<Item = &[Value]> + '_> {
        Engine::rows(self, rel)
    }

    fn len(&self, rel: RelId) -> usize {
        Engine::len(self, rel)
    }
}

/// Where `.output` files go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputDir {
    /// `-D DIR`: files in this directory (created when missing).
    Dir(PathBuf),
    /// `-D -`: every `.output` relation is printed as a table instead.
    Stdout,
}

/// One thing a run produces, in program order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A relation written to a file.
    File {
        rel: RelId,
        path: PathBuf,
        format: Format,
        span: Span,
    },
    /// A relation printed as a table.
    Table { rel: RelId, span: Span },
    /// `.printsize r`.
    Size { rel: RelId, span: Span },
    /// A `?-` query (its hidden relation), printed as a table.
    Query { rel: RelId, span: Span },
}

impl Item {
    fn span(&self) -> Span {
        match self {
            Item::File { span, .. }
            | Item::Table { span, .. }
            | Item::Size { span, .. }
            | Item::Query { span, .. } => *span,
        }
    }
}

/// Resolves every `.output`, `.printsize` and query of `program` into the
/// items a run produces, in source order. Call it before evaluating, so that a
/// bad `.output` parameter stops the run before any work.
pub fn plan_outputs(
    program: &ir::Program,
    output_dir: &OutputDir,
) -> Result<Vec<Item>, Vec<Diagnostic>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (rel_idx, relation) in program.relations.iter().enumerate() {
        let rel = RelId(rel_idx as u32);
        for spec in &relation.outputs {
            let dir = match output_dir {
                OutputDir::Dir(dir) => dir.as_path(),
                OutputDir::Stdout => Path::new("."),
            };
            match io::resolve_output(relation, spec, dir) {
                Ok(_) if *output_dir == OutputDir::Stdout => items.push(Item::Table {
                    rel,
                    span: spec.span,
                }),
                Ok(OutputTarget::Stdout) => items.push(Item::Table {
                    rel,
                    span: spec.span,
                }),
                Ok(OutputTarget::File { path, format }) => {
                    items.push(Item::File {
                        rel,
                        path,
                        format,
                        span: spec.span,
                    });
                }
                Err(diagnostic) => errors.push(*diagnostic),
            }
        }
        if let Some(span) = relation.printsize {
            items.push(Item::Size { rel, span });
        }
    }
    for query in &program.queries {
        items.push(Item::Query {
            rel: query.rel,
            span: query.origin,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    items.sort_by_key(Item::span);
    Ok(items)
}

/// Writes the file items and returns the text for stdout (tables, sizes,
/// queries). Either every file is written or none is.
pub fn write_outputs(
    program: &ir::Program,
    sources: &SourceMap,
    results: &dyn Relations,
    items: &[Item],
) -> Result<String, Vec<Diagnostic>> {
    let mut stdout = String::new();
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
    // Tables are set apart from what comes before and after by a blank line.
    let mut after_table = false;
    for item in items {
        let is_table = matches!(item, Item::Table { .. } | Item::Query { .. });
        if !matches!(item, Item::File { .. }) {
            if after_table || (is_table && !stdout.is_empty()) {
                stdout.push('\n');
            }
            after_table = is_table;
        }
        match item {
            Item::File {
                rel,
                path,
                format,
                span,
            } => {
                let relation = program.relation(*rel);
                match write_file(results, relation, *rel, path, format) {
                    Ok(temp) => written.push((temp, path.clone())),
                    Err(err) => {
                        for (temp, _) in &written {
                            let _ = std::fs::remove_file(temp);
                        }
                        let message = format!(
                            "cannot write `{}` for `{}`: {err}",
                            path.display(),
                            relation.name
                        );
                        let diagnostic = Diagnostic::error(Code::OutputFailed, message)
                            .at(*span)
                            .with_label("written by this directive")
                            .with_help("choose a writable output directory with -D DIR");
                        return Err(vec![diagnostic]);
                    }
                }
            }
            Item::Table { rel, .. } => {
                let relation = program.relation(*rel);
                let rows = sorted_rows(results, *rel, &column_types(relation));
                push_block(
                    &mut stdout,
                    &relation.name,
                    relation,
                    &rows,
                    results.values(),
                );
            }
            Item::Size { rel, .. } => {
                stdout.push_str(&format!(
                    "{}\t{}\n",
                    program.relation(*rel).name,
                    results.len(*rel)
                ));
            }
            Item::Query { rel, span } => {
                let relation = program.relation(*rel);
                let rows = sorted_rows(results, *rel, &column_types(relation));
                push_block(
                    &mut stdout,
                    &query_text(sources, *span),
                    relation,
                    &rows,
                    results.values(),
                );
            }
        }
    }
    for (idx, (temp, path)) in written.iter().enumerate() {
        if let Err(err) = std::fs::rename(temp, path) {
            for (temp, _) in &written[idx..] {
                let _ = std::fs::remove_file(temp);
            }
            let diagnostic = Diagnostic::error(
                Code::OutputFailed,
                format!("cannot write `{}`: {err}", path.display()),
            );
            return Err(vec![diagnostic]);
        }
    }
    Ok(stdout)
}

/// The text of a query as written, on one line (`?- a(x), !b(x).`).
pub fn query_text(sources: &SourceMap, span: Span) -> String {
    let text = sources.snippet(span);
    let mut res = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !res.is_empty() {
            res.push(' ');
        }
        res.push_str(word);
    }
    res
}

pub fn column_types(relation: &ir::Relation) -> Vec<Type> {
    relation.columns.iter().map(|column| column.ty).collect()
}

/// The rows of `rel` sorted in the shared value order. Engine rows are sorted
/// by encoding, which is already that order unless a column holds symbols.
pub fn sorted_rows<'a>(results: &'a dyn Relations, rel: RelId, types: &[Type]) -> Vec<&'a [Value]> {
    let mut rows: Vec<&[Value]> = results.rows(rel).collect();
    let store = results.values();
    if types.iter().all(|ty| {
        matches!(
            ty,
            Type::Number | Type::Unsigned | Type::Float | Type::DateTime
        )
    }) {
        rows.sort_unstable();
    } else {
        rows.sort_unstable_by(|a, b| compare_rows(store, types, a, b));
    }
    rows
}

/// Compares two rows column by column in the shared value order.
pub fn compare_rows(store: &ValueStore, types: &[Type], a: &[Value], b: &[Value]) -> Ordering {
    for ((ty, x), y) in types.iter().zip(a).zip(b) {
        let order = compare_values(store, *ty, *x, *y);
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// The shared value order on two values of a column of type `ty`.
pub fn compare_values(store: &ValueStore, ty: Type, a: Value, b: Value) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    match ty {
        Type::Symbol => store.symbol(a as u32).cmp(store.symbol(b as u32)),
        Type::Number | Type::Unsigned | Type::Float | Type::DateTime => a.cmp(&b),
        Type::Any => compare_dyn(store, store.dyn_value(a), store.dyn_value(b)),
    }
}

/// Numbers (by value; on a tie an integer before a float) < date-times < symbols.
fn compare_dyn(store: &ValueStore, a: &Dyn, b: &Dyn) -> Ordering {
    fn rank(value: &Dyn) -> u8 {
        match value {
            Dyn::Int(_) | Dyn::Unsigned(_) | Dyn::Float(_) => 0,
            Dyn::Time(_) => 1,
            Dyn::Sym(_) => 2,
        }
    }
    match (a, b) {
        (Dyn::Sym(x), Dyn::Sym(y)) => store.symbol(*x).cmp(store.symbol(*y)),
        (Dyn::Time(x), Dyn::Time(y)) => x.cmp(y),
        _ if rank(a) != rank(b) => rank(a).cmp(&rank(b)),
        _ => compare_numbers(a, b),
    }
}

/// Numbers of different kinds by value; on an exact tie by kind (int,
/// unsigned, float), so that distinct values never compare equal.
fn compare_numbers(a: &Dyn, b: &Dyn) -> Ordering {
    enum Num {
        Exact(i128),
        Float(f64),
    }
    fn num(value: &Dyn) -> (Num, u8) {
        match value {
            Dyn::Int(v) => (Num::Exact(*v as i128), 0),
            Dyn::Unsigned(v) => (Num::Exact(*v as i128), 1),
            Dyn::Float(bits) => (Num::Float(decode_float(*bits)), 2),
            Dyn::Time(v) => (Num::Exact(*v as i128), 3),
            Dyn::Sym(_) => (Num::Exact(0), 4),
        }
    }
    fn exact_vs_float(int: i128, float: f64) -> Ordering {
        if float.is_nan() {
            return Ordering::Less;
        }
        let whole = float.floor();
        if whole < -1.8e19 {
            return Ordering::Greater;
        }
        if whole > 1.8e19 {
            return Ordering::Less;
        }
        match int.cmp(&(whole as i128)) {
            Ordering::Equal if float > whole => Ordering::Less,
            order => order,
        }
    }
    let ((x, kind_x), (y, kind_y)) = (num(a), num(b));
    let order = match (x, y) {
        (Num::Exact(x), Num::Exact(y)) => x.cmp(&y),
        (Num::Exact(x), Num::Float(y)) => exact_vs_float(x, y),
        (Num::Float(x), Num::Exact(y)) => exact_vs_float(y, x).reverse(),
        (Num::Float(x), Num::Float(y)) => x.total_cmp(&y),
    };
    order.then(kind_x.cmp(&kind_y))
}

/// Writes a relation to a temporary file next to `path`; returns the temporary path.
fn write_file(
    results: &dyn Relations,
    relation: &ir::Relation,
    rel: RelId,
    path: &Path,
    format: &Format,
) -> std::io::Result<PathBuf> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    let file_name = path
        .file_name()
        .map_or_else(|| "output".into(), |name| name.to_string_lossy());
    let temp = path.with_file_name(format!(".{file_name}.tracelog-tmp"));
    let result = (|| {
        let file = std::fs::File::create(&temp)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let types = column_types(relation);
        let rows = sorted_rows(results, rel, &types);
        write_delimited(&mut out, results.values(), relation, &rows, format)?;
        out.into_inner().map_err(|err| err.into_error())?.sync_all()
    })();
    match result {
        Ok(()) => Ok(temp),
        Err(err) => {
            let _ = std::fs::remove_file(&temp);
            Err(err)
        }
    }
}

/// Writes sorted rows as delimited text: a header row of column names when
/// `format.headers`, fields quoted per RFC 4180 where needed. A zero-arity
/// relation is written as one line `()` when it holds, and nothing otherwise.
pub fn write_delimited(
    out: &mut dyn Write,
    store: &ValueStore,
    relation: &ir::Relation,
    rows: &[&[Value]],
    format: &Format,
) -> std::io::Result<()> {
    let types = column_types(relation);
    if types.is_empty() {
        if !rows.is_empty() {
            out.write_all(b"()\n")?;
        }
        return Ok(());
    }
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut field = String::new();
    if format.headers {
        for (idx, column) in relation.columns.iter().enumerate() {
            if idx > 0 {
                line.push(format.delimiter);
            }
            push_field(&mut line, &column.name, format, types.len());
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    for row in rows {
        line.clear();
        for (idx, (ty, value)) in types.iter().zip(row.iter()).enumerate() {
            if idx > 0 {
                line.push(format.delimiter);
            }
            match ty {
                // The common cases, without going through a String.
                Type::Symbol => {
                    push_field(&mut line, store.symbol(*value as u32), format, types.len())
                }
                Type::Number => push_int(&mut line, decode_int(*value)),
                _ => {
                    field.clear();
                    store.write(&mut field, *ty, *value);
                    push_field(&mut line, &field, format, types.len());
                }
            }
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// Appends one field, quoted when it would otherwise not read back: it holds
/// the delimiter or a line break, or (in quoting formats) a `"`, or it is the
/// empty only field of a row (an empty line would be skipped).
fn push_field(line: &mut Vec<u8>, text: &str, format: &Format, arity: usize) {
    let needs_quotes = text.bytes().any(|b| {
        b == format.delimiter || b == b'\n' || b == b'\r' || (format.quoting && b == b'"')
    }) || (format.quoting && arity == 1 && text.is_empty());
    if !needs_quotes {
        line.extend_from_slice(text.as_bytes());
        return;
    }
    line.push(b'"');
    for b in text.bytes() {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
}

/// Appends a decimal integer without allocating.
pub fn push_int(line: &mut Vec<u8>, value: i64) {
    let mut digits = [0u8; 20];
    let mut n = value.unsigned_abs();
    let mut idx = digits.len();
    loop {
        idx -= 1;
        digits[idx] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        line.push(b'-');
    }
    line.extend_from_slice(&digits[idx..]);
}

/// Appends a titled table: `title (n rows)`, then a Markdown-style table of
/// the rows (stable: it never depends on the terminal's width). A zero-arity
/// relation or a query without named variables is shown as `true`/`false`.
fn push_block(
    out: &mut String,
    title: &str,
    relation: &ir::Relation,
    rows: &[&[Value]],
    store: &ValueStore,
) {
    if relation.arity() == 0 {
        out.push_str(&format!("{title}\n{}\n", !rows.is_empty()));
        return;
    }
    let n = rows.len();
    out.push_str(&format!(
        "{title} ({n} row{})\n",
        if n == 1 { "" } else { "s" }
    ));
    out.push_str(&render_table(store, relation, rows));
}

/// The rows as a Markdown-style table with the column names as header.
/// An empty table in the one style every table of tracelog uses: Markdown
/// pipes, no colour and no wrapping, whatever the terminal.
pub fn markdown_table() -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::ASCII_MARKDOWN)
        .force_no_tty()
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    table
}

pub fn render_table(store: &ValueStore, relation: &ir::Relation, rows: &[&[Value]]) -> String {
    let types = column_types(relation);
    let mut table = markdown_table();
    table.set_header(relation.columns.iter().map(|column| column.name.as_str()));
    for row in rows {
        let cells: Vec<String> = types
            .iter()
            .zip(row.iter())
            .map(|(ty, value)| {
                let mut text = String::new();
                store.write(&mut text, *ty, *value);
                text
            })
            .collect();
        table.add_row(cells);
    }
    let mut res = table.to_string();
    res.push('\n');
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::facts::tests::relation;
    use crate::ir::{Const, IoSpec};
    use crate::source::FileId;
    use crate::value::encode_int;

    /// Hand-made relations over a value store.
    pub struct Fake {
        pub store: ValueStore,
        pub rows: Vec<Vec<Vec<Value>>>,
    }

    impl Relations for Fake {
        fn values(&self) -> &ValueStore {
            &self.store
        }

        fn rows(&self, rel: RelId) -> Box<dyn Iterator<Item = &[Value]> + '_> {
            Box::new(self.rows[rel.0 as usize].iter().map(Vec::as_slice))
        }

        fn len(&self, rel: RelId) -> usize {
            self.rows[rel.0 as usize].len()
        }
    }

    fn span(start: usize) -> Span {
        Span::new(FileId(0), start, start + 1)
    }

    /// `lot(id: symbol, qty: number)` with three rows interned out of order,
    /// and an undeclared `mixed(_0: any)`.
    fn fixture() -> (ir::Program, Fake) {
        let mut store = ValueStore::default();
        let mut lot = relation("lot", &[("id", Type::Symbol), ("qty", Type::Number)], true);
        lot.outputs.push(IoSpec {
            params: Vec::new(),
            span: span(10),
        });
        lot.printsize = Some(span(20));
        let mut mixed = relation("mixed", &[("_0", Type::Any)], false);
        mixed.outputs.push(IoSpec {
            params: vec![("IO".into(), "stdout".into())],
            span: span(5),
        });
        let lot_rows = [("b", 2), ("a, \"quoted\"", -1), ("B", 30)]
            .iter()
            .map(|(id, qty)| vec![store.intern(id) as Value, encode_int(*qty)])
            .collect();
        let mixed_rows = [
            Const::Sym("x".into()),
            Const::Float(1.0),
            Const::Int(1),
            Const::Time(0),
            Const::Int(-5),
        ]
        .iter()
        .map(|c| vec![store.encode(Type::Any, c).unwrap()])
        .collect();
        let program = ir::Program {
            relations: vec![lot, mixed],
            ..ir::Program::default()
        };
        (
            program,
            Fake {
                store,
                rows: vec![lot_rows, mixed_rows],
            },
        )
    }

    #[test]
    fn rows_sort_in_the_shared_value_order() {
        let (program, fake) = fixture();
        let rows = sorted_rows(&fake, RelId(0), &column_types(program.relation(RelId(0))));
        let ids: Vec<&str> = rows
            .iter()
            .map(|row| fake.store.symbol(row[0] as u32))
            .collect();
        assert_eq!(ids, ["B", "a, \"quoted\"", "b"]);
        let rows = sorted_rows(&fake, RelId(1), &[Type::Any]);
        let values: Vec<Const> = rows
            .iter()
            .map(|row| fake.store.decode(Type::Any, row[0]))
            .collect();
        assert_eq!(
            values,
            [
                Const::Int(-5),
                Const::Int(1),
                Const::Float(1.0),
                Const::Time(0),
                Const::Sym("x".into())
            ]
        );
    }

    #[test]
    fn csv_output_has_a_header_and_quotes_when_needed() {
        let (program, fake) = fixture();
        let relation = program.relation(RelId(0));
        let rows = sorted_rows(&fake, RelId(0), &column_types(relation));
        let mut out = Vec::new();
        write_delimited(&mut out, &fake.store, relation, &rows, &Format::CSV).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,qty\nB,30\n\"a, \"\"quoted\"\"\",-1\nb,2\n"
        );
        let mut out = Vec::new();
        write_delimited(&mut out, &fake.store, relation, &rows, &Format::FACTS).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "B\t30\na, \"quoted\"\t-1\nb\t2\n"
        );
    }

    #[test]
    fn written_csv_reads_back_to_the_same_rows() {
        let (program, fake) = fixture();
        let relation = program.relation(RelId(0));
        let rows = sorted_rows(&fake, RelId(0), &column_types(relation));
        let mut out = Vec::new();
        write_delimited(&mut out, &fake.store, relation, &rows, &Format::CSV).unwrap();
        let mut store = ValueStore::default();
        let read =
            crate::io::facts::parse(&mut store, relation, &out, &Format::CSV, "lot.csv").unwrap();
        assert_eq!(read.n_rows, 3);
        assert_eq!(store.symbol(read.values[2] as u32), "a, \"quoted\"");
    }

    #[test]
    fn stdout_shows_tables_and_sizes_in_program_order() {
        let (program, fake) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let items = plan_outputs(&program, &OutputDir::Dir(dir.path().to_path_buf())).unwrap();
        let sources = SourceMap::default();
        let stdout = write_outputs(&program, &sources, &fake, &items).unwrap();
        let expected = "\
mixed (5 rows)
| _0                   |
|----------------------|
| -5                   |
| 1                    |
| 1.0                  |
| 1970-01-01T00:00:00Z |
| x                    |

lot\t3
";
        assert_eq!(stdout, expected);
        let written = std::fs::read_to_string(dir.path().join("lot.csv")).unwrap();
        assert_eq!(written.lines().next(), Some("id,qty"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["lot.csv"]);
    }

    #[test]
    fn dash_d_prints_every_output_as_a_table() {
        let (program, fake) = fixture();
        let items = plan_outputs(&program, &OutputDir::Stdout).unwrap();
        assert!(items.iter().all(|item| !matches!(item, Item::File { .. })));
        let stdout = write_outputs(&program, &SourceMap::default(), &fake, &items).unwrap();
        assert!(
            stdout.contains("lot (3 rows)\n| id          | qty |\n"),
            "{stdout}"
        );
    }

    #[test]
    fn an_unwritable_output_directory_writes_nothing() {
        let (program, fake) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-directory");
        std::fs::write(&blocker, "this is a file").unwrap();
        let items = plan_outputs(&program, &OutputDir::Dir(blocker.join("out"))).unwrap();
        let errors = write_outputs(&program, &SourceMap::default(), &fake, &items).unwrap_err();
        assert_eq!(errors[0].code, Code::OutputFailed);
        assert!(
            errors[0].message.starts_with("cannot write `"),
            "{}",
            errors[0].message
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn bad_output_parameters_are_reported_before_evaluation() {
        let (mut program, _) = fixture();
        program.relations[0].outputs[0].params = vec![("delimiter".into(), "::".into())];
        program.relations[1].outputs[0].params = vec![("IO".into(), "sqlite".into())];
        let errors = plan_outputs(&program, &OutputDir::Stdout).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(
            errors
                .iter()
                .all(|e| e.code == Code::UnknownDirectiveParameter)
        );
        assert!(
            errors[0]
                .message
                .contains("the delimiter must be one character"),
            "{}",
            errors[0].message
        );
        assert!(
            errors[1].message.contains("IO=sqlite"),
            "{}",
            errors[1].message
        );
    }

    #[test]
    fn numbers_compare_across_kinds() {
        let a = Dyn::Int(2);
        let b = Dyn::Float(crate::value::encode_float(1.5));
        let c = Dyn::Unsigned(u64::MAX);
        assert_eq!(compare_numbers(&a, &b), Ordering::Greater);
        assert_eq!(compare_numbers(&b, &a), Ordering::Less);
        assert_eq!(compare_numbers(&c, &a), Ordering::Greater);
        let neg = Dyn::Float(crate::value::encode_float(-0.5));
        assert_eq!(compare_numbers(&Dyn::Int(-1), &neg), Ordering::Less);
        assert_eq!(compare_numbers(&Dyn::Int(0), &neg), Ordering::Greater);
    }
}
