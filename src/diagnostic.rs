//! This module defines [`Diagnostic`]: a problem in a user's program or data,
//! as data (code, location, message, help), separate from how it is rendered.

use crate::source::Span;

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
    // Data and evaluation.
    InputNotFound,
    BadFact,
    OutputFailed,
    Timeout,
    TupleLimit,
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
        Code::InputNotFound,
        Code::BadFact,
        Code::OutputFailed,
        Code::Timeout,
        Code::TupleLimit,
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
            Code::InputNotFound => "input-not-found",
            Code::BadFact => "bad-fact",
            Code::OutputFailed => "output-failed",
            Code::Timeout => "timeout",
            Code::TupleLimit => "tuple-limit",
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
pub fn render(sources: &crate::source::SourceMap, diagnostics: &[Diagnostic]) -> String {
    let _ = (sources, diagnostics);
    todo!("diagnostic::render (miette, no colour)")
}
