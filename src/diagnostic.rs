//! This module defines [`Diagnostic`]: a problem in a user's program or data,
//! as data (code, location, message, help), separate from how it is rendered.

use crate::source::{SourceMap, Span};

/// Stable diagnostic codes. The kebab-case name (`Code::as_str`) is printed as
/// `error[unbound-variable]` and never changes once released; docs/language.md
/// documents each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    // Syntax and files.
    ParseError,
    IncludeNotFound,
    IncludeCycle,
    // Names, declarations, arity.
    DuplicateDeclaration,
    UnknownType,
    UnknownRelation,
    ArityMismatch,
    UnknownDirectiveParameter,
    // Safety.
    UnboundVariable,
    // Types.
    TypeMismatch,
    // Stratification.
    Unstratifiable,
    // Functions and constructs the checker does not accept.
    UnknownFunction,
    UnsupportedFeature,
    // Data and evaluation.
    InputNotFound,
    BadFact,
    OutputFailed,
    Timeout,
    TupleLimit,
    // The database and its journal.
    DatabaseNotFound,
    DatabaseExists,
    DatabaseLocked,
    JournalCorrupt,
    JournalIo,
    NotAFact,
    NotAsserted,
    AlreadyRecorded,
    ReasonRequired,
    BadAsOf,
    // Importers (docs/traceability.md).
    EpcisSyntax,
    EpcisInvalid,
    EpcisBadValue,
    EventIdReused,
    // Reports (docs/traceability.md).
    UnknownObject,
    BadDate,
    OutputExists,
    // explain --not (docs/traceability.md).
    IsDerived,
    // REPL (docs/cli.md)
    ReplUsage,
    Cancelled,
    NotDerived,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::ParseError,
        Code::IncludeNotFound,
        Code::IncludeCycle,
        Code::DuplicateDeclaration,
        Code::UnknownType,
        Code::UnknownRelation,
        Code::ArityMismatch,
        Code::UnknownDirectiveParameter,
        Code::UnboundVariable,
        Code::TypeMismatch,
        Code::Unstratifiable,
        Code::UnknownFunction,
        Code::UnsupportedFeature,
        Code::InputNotFound,
        Code::BadFact,
        Code::OutputFailed,
        Code::Timeout,
        Code::TupleLimit,
        Code::DatabaseNotFound,
        Code::DatabaseExists,
        Code::DatabaseLocked,
        Code::JournalCorrupt,
        Code::JournalIo,
        Code::NotAFact,
        Code::NotAsserted,
        Code::AlreadyRecorded,
        Code::ReasonRequired,
        Code::BadAsOf,
        Code::EpcisSyntax,
        Code::EpcisInvalid,
        Code::EpcisBadValue,
        Code::EventIdReused,
        Code::UnknownObject,
        Code::BadDate,
        Code::OutputExists,
        Code::IsDerived,
        Code::ReplUsage,
        Code::Cancelled,
        Code::NotDerived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::ParseError => "parse-error",
            Code::IncludeNotFound => "include-not-found",
            Code::IncludeCycle => "include-cycle",
            Code::DuplicateDeclaration => "duplicate-declaration",
            Code::UnknownType => "unknown-type",
            Code::UnknownRelation => "unknown-relation",
            Code::ArityMismatch => "arity-mismatch",
            Code::UnknownDirectiveParameter => "unknown-directive-parameter",
            Code::UnboundVariable => "unbound-variable",
            Code::TypeMismatch => "type-mismatch",
            Code::Unstratifiable => "unstratifiable",
            Code::UnknownFunction => "unknown-function",
            Code::UnsupportedFeature => "unsupported",
            Code::InputNotFound => "input-not-found",
            Code::BadFact => "bad-fact",
            Code::OutputFailed => "output-failed",
            Code::Timeout => "timeout",
            Code::TupleLimit => "tuple-limit",
            Code::DatabaseNotFound => "database-not-found",
            Code::DatabaseExists => "database-exists",
            Code::DatabaseLocked => "database-locked",
            Code::JournalCorrupt => "journal-corrupt",
            Code::JournalIo => "journal-io",
            Code::NotAFact => "not-a-fact",
            Code::NotAsserted => "not-asserted",
            Code::AlreadyRecorded => "already-recorded",
            Code::ReasonRequired => "reason-required",
            Code::BadAsOf => "bad-as-of",
            Code::EpcisSyntax => "epcis-syntax",
            Code::EpcisInvalid => "epcis-invalid",
            Code::EpcisBadValue => "epcis-bad-value",
            Code::EventIdReused => "event-id-reused",
            Code::UnknownObject => "unknown-object",
            Code::BadDate => "bad-date",
            Code::OutputExists => "output-exists",
            Code::IsDerived => "is-derived",
            Code::ReplUsage => "repl-usage",
            Code::Cancelled => "cancelled",
            Code::NotDerived => "not-derived",
        }
    }

    /// The reference that documents this code: the language's, the database's,
    /// the traceability library's (importers, reports) or the command line's (REPL).
    pub fn reference(self) -> &'static str {
        if matches!(self, Code::ReplUsage | Code::Cancelled) {
            "docs/cli.md"
        } else if self >= Code::EpcisSyntax {
            "docs/traceability.md"
        } else if self >= Code::DatabaseNotFound {
            "docs/database.md"
        } else {
            "docs/language.md"
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// Where a diagnostic points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A span in a program text held by the run's `SourceMap`.
    Span(Span),
    /// A line of a data file, which is never loaded into the `SourceMap`
    /// (fact files can hold millions of lines): the offending line is kept here.
    DataLine {
        path: String,
        line: u32,
        col: u32,
        text: String,
    },
    /// A file as a whole (a missing input file with no directive to point at).
    File { path: String },
}

/// A problem found in a program or its data. Passes return these as values and
/// keep going; the driver decides whether to stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One sentence, lowercase start, no trailing period: what is wrong.
    pub message: String,
    pub location: Option<Location>,
    /// The text under the caret (e.g. "this variable is never bound").
    pub label: Option<String>,
    /// Further spans that explain the problem (e.g. the earlier declaration).
    pub related: Vec<(Span, String)>,
    /// What the user can do about it (e.g. "did you mean `shipped`?").
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            location: None,
            label: None,
            related: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        self.location = Some(Location::Span(span));
        self
    }

    pub fn at_location(mut self, location: Location) -> Diagnostic {
        self.location = Some(location);
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any diagnostic is an error (warnings do not stop a run).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Renders diagnostics as text without colour (stable for snapshots and logs):
/// `error[code]: message`, then `file:line:col`, the source line and a caret.
pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        render_one(&mut out, sources, diagnostic);
    }
    out
}

/// One line for logs and JSON: `file:line:col: error[code]: message`.
pub fn headline(sources: &SourceMap, diagnostic: &Diagnostic) -> String {
    let severity = severity_word(diagnostic.severity);
    let (code, message) = (diagnostic.code, &diagnostic.message);
    match &diagnostic.location {
        Some(Location::Span(span)) => {
            format!("{}: {severity}[{code}]: {message}", sources.location(*span))
        }
        Some(Location::DataLine {
            path, line, col, ..
        }) => format!("{path}:{line}:{col}: {severity}[{code}]: {message}"),
        Some(Location::File { path }) => format!("{path}: {severity}[{code}]: {message}"),
        None => format!("{severity}[{code}]: {message}"),
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Width the renderer wraps at; fixed so output does not depend on the terminal.
const RENDER_WIDTH: usize = 100;

fn render_one(out: &mut String, sources: &SourceMap, diagnostic: &Diagnostic) {
    let header = format!(
        "{}[{}]:",
        severity_word(diagnostic.severity),
        diagnostic.code
    );
    let mut characters = miette::ThemeCharacters::unicode();
    characters.error = header.clone();
    characters.warning = header;
    // Related places in other files are rendered as advice: "note:".
    characters.advice = "note:".to_owned();
    let theme = miette::GraphicalTheme {
        characters,
        styles: miette::ThemeStyles::none(),
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(RENDER_WIDTH)
        .with_links(false);
    let report = Report::new(sources, diagnostic);
    if handler.render_report(out, &report).is_err() {
        // Rendering into a String cannot fail; keep the message if it ever does.
        out.push_str(&headline(sources, diagnostic));
        out.push('\n');
    }
}

/// A diagnostic ready for miette: its source text and labels resolved.
struct Report {
    message: String,
    /// `None` for a related place, rendered as a note.
    severity: Option<Severity>,
    help: Option<String>,
    source: Option<ReportSource>,
    labels: Vec<miette::LabeledSpan>,
    /// Related spans in other files than the primary one, shown as notes below it.
    related: Vec<Report>,
}

enum ReportSource {
    Named(miette::NamedSource<String>),
    Line(DataLineSource),
}

impl Report {
    fn new(sources: &SourceMap, diagnostic: &Diagnostic) -> Report {
        let mut report = Report {
            message: diagnostic.message.clone(),
            severity: Some(diagnostic.severity),
            help: diagnostic.help.clone(),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        let primary_file = match &diagnostic.location {
            Some(Location::Span(span)) => {
                let file = sources.file(span.file);
                report.source = Some(ReportSource::Named(miette::NamedSource::new(
                    &file.name,
                    file.text.to_string(),
                )));
                report.labels.push(label(*span, diagnostic.label.clone()));
                Some(span.file)
            }
            Some(Location::DataLine {
                path,
                line,
                col,
                text,
            }) => {
                let start = text
                    .char_indices()
                    .nth(col.saturating_sub(1) as usize)
                    .map_or(text.len(), |(idx, _)| idx);
                let len = text[start..]
                    .split(['\t', ','])
                    .next()
                    .map_or(0, str::len)
                    .max(1)
                    .min(text.len() - start);
                let source = DataLineSource {
                    name: path.clone(),
                    text: text.clone(),
                    line: *line as usize,
                };
                report.source = Some(ReportSource::Line(source));
                report.labels.push(miette::LabeledSpan::new(
                    diagnostic.label.clone(),
                    start,
                    len,
                ));
                None
            }
            Some(Location::File { path }) => {
                report.message = format!("{}\n  in {path}", report.message);
                None
            }
            None => None,
        };
        for (span, text) in &diagnostic.related {
            if Some(span.file) == primary_file {
                report.labels.push(label(*span, Some(text.clone())));
                continue;
            }
            let file = sources.file(span.file);
            report.related.push(Report {
                message: text.clone(),
                severity: None,
                help: None,
                source: Some(ReportSource::Named(miette::NamedSource::new(
                    &file.name,
                    file.text.to_string(),
                ))),
                labels: vec![label(*span, None)],
                related: Vec::new(),
            });
        }
        report
    }
}

fn label(span: Span, text: Option<String>) -> miette::LabeledSpan {
    miette::LabeledSpan::new(text, span.start as usize, (span.end - span.start) as usize)
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Some(Severity::Error) => miette::Severity::Error,
            Some(Severity::Warning) => miette::Severity::Warning,
            None => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        match &self.source {
            Some(ReportSource::Named(source)) => Some(source),
            Some(ReportSource::Line(source)) => Some(source),
            None => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// One line of a data file, shown with its real line number: fact files can
/// hold millions of lines, so only the offending line is kept.
struct DataLineSource {
    name: String,
    text: String,
    line: usize,
}

impl miette::SourceCode for DataLineSource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        _context_lines_before: usize,
        _context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        if span.offset() + span.len() > self.text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        // The whole (single) line is the context; its line number is the real one.
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            self.text.as_bytes(),
            miette::SourceSpan::from((0, self.text.len())),
            self.line.saturating_sub(1),
            // miette takes the header's column from here.
            self.text
                .get(..span.offset())
                .map_or(0, |before| before.chars().count()),
            1,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_code_location_caret_and_help() {
        let mut sources = SourceMap::default();
        let file = sources.add(
            "trace.dl",
            None,
            "lot(\"L1\").\nexposed(lot, customer) :- lot(lot).\n",
        );
        let diagnostic =
            Diagnostic::error(Code::UnboundVariable, "variable `customer` is not bound")
                .at(Span::new(file, 24, 32))
                .with_label("bound by no positive atom")
                .with_help("add an atom that binds `customer`");
        let text = render(&sources, std::slice::from_ref(&diagnostic));
        assert!(
            text.contains("error[unbound-variable]: variable `customer` is not bound"),
            "{text}"
        );
        assert!(text.contains("[trace.dl:2:14]"), "{text}");
        assert!(
            text.contains("exposed(lot, customer) :- lot(lot)."),
            "{text}"
        );
        assert!(text.contains("bound by no positive atom"), "{text}");
        assert!(
            text.contains("help: add an atom that binds `customer`"),
            "{text}"
        );
        assert_eq!(
            headline(&sources, &diagnostic),
            "trace.dl:2:14: error[unbound-variable]: variable `customer` is not bound"
        );
    }

    #[test]
    fn renders_a_data_line_with_its_real_line_number() {
        let sources = SourceMap::default();
        let diagnostic = Diagnostic::error(
            Code::BadFact,
            "expected a number (64-bit integer), found `twelve`",
        )
        .at_location(Location::DataLine {
            path: "qty.facts".into(),
            line: 41,
            col: 4,
            text: "L2\ttwelve".into(),
        });
        let text = render(&sources, &[diagnostic]);
        assert!(text.contains("error[bad-fact]"), "{text}");
        assert!(text.contains("[qty.facts:41:4]"), "{text}");
        assert!(text.contains("41 │ L2"), "{text}");
    }
}
