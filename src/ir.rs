//! This module defines the checked program: relations with their column types,
//! rules in conjunctive normal form with numbered variables, and the strata in
//! evaluation order. `check::check` builds it; `plan` and `engine` read it.
//!
//! Invariants a checked program keeps (the checker establishes them, later
//! stages rely on them and do not re-check):
//! - every variable of a head, comparison, assignment, negated atom (unless
//!   local to that one atom) or aggregate group is bound by a positive atom,
//!   an assignment or an aggregate that comes earlier in `Rule::body`;
//! - body atoms have only variables, constants and wildcards as arguments
//!   (argument expressions were moved into `Literal::Compare`);
//! - negation and aggregation only read relations of earlier strata.

use crate::source::{FileId, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

/// The type of a column, a variable or an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Symbol,
    /// Signed 64-bit integer.
    Number,
    Unsigned,
    Float,
    /// A UTC instant (microseconds since the Unix epoch); written as RFC 3339 text.
    DateTime,
    /// A column of an undeclared relation that holds values of several kinds.
    Any,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Symbol => "symbol",
            Type::Number => "number",
            Type::Unsigned => "unsigned",
            Type::Float => "float",
            Type::DateTime => "datetime",
            Type::Any => "any",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Number | Type::Unsigned | Type::Float)
    }
}

/// A constant, typed: what a literal in the program means after checking.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Sym(String),
    Int(i64),
    Unsigned(u64),
    Float(f64),
    /// Microseconds since 1970-01-01T00:00:00Z.
    Time(i64),
}

impl Const {
    /// A constant written as an argument (`"a"`, `3`, `-2.5`), the way a
    /// fact states it; `None` for anything else or an overflowing `-i64::MIN`.
    pub fn from_literal(expr: &crate::syntax::ast::Expr) -> Option<Const> {
        use crate::syntax::ast;
        Some(match expr {
            ast::Expr::Const(ast::Const::Str(text), _) => Const::Sym(text.clone()),
            ast::Expr::Const(ast::Const::Int(v), _) => Const::Int(*v),
            ast::Expr::Const(ast::Const::Float(v), _) => Const::Float(*v),
            ast::Expr::Neg(inner, _) => match inner.as_ref() {
                ast::Expr::Const(ast::Const::Int(v), _) => Const::Int(v.checked_neg()?),
                ast::Expr::Const(ast::Const::Float(v), _) => Const::Float(-v),
                _ => return None,
            },
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct Program {
    pub relations: Vec<Relation>,
    pub rules: Vec<Rule>,
    /// In evaluation order; every relation is in exactly one stratum.
    pub strata: Vec<Stratum>,
    pub queries: Vec<QueryInfo>,
    pub policies: Vec<Policy>,
    /// Type aliases from `.type`, for display (`.type Lot <: symbol`).
    pub type_aliases: Vec<(String, Type)>,
}

impl Program {
    pub fn relation(&self, rel: RelId) -> &Relation {
        &self.relations[rel.0 as usize]
    }

    pub fn rule(&self, rule: RuleId) -> &Rule {
        &self.rules[rule.0 as usize]
    }

    pub fn relation_by_name(&self, name: &str) -> Option<RelId> {
        self.relations
            .iter()
            .position(|r| r.name == name)
            .map(|idx| RelId(idx as u32))
    }
}

#[derive(Clone, Debug)]
pub struct Relation {
    pub name: String,
    pub columns: Vec<Column>,
    /// Where it was declared with `.decl`, if it was.
    pub decl: Option<Span>,
    /// Its first mention in the program text.
    pub first_use: Span,
    pub inputs: Vec<IoSpec>,
    pub outputs: Vec<IoSpec>,
    pub printsize: Option<Span>,
    /// `true` for the hidden relations the checker makes for queries.
    pub hidden: bool,
}

impl Relation {
    pub fn arity(&self) -> usize {
        self.columns.len()
    }
}

#[derive(Clone, Debug)]
pub struct Column {
    /// The declared name, or `_0`, `_1`, ... for an undeclared relation.
    pub name: String,
    pub ty: Type,
    /// The alias the column was declared with (`Lot` in `lot: Lot`), for display.
    pub type_name: String,
}

/// The parameters of one `.input` or `.output` directive, validated by the
/// checker (known keys only), values as written.
#[derive(Clone, Debug)]
pub struct IoSpec {
    pub params: Vec<(String, String)>,
    pub span: Span,
}

impl IoSpec {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub head: Head,
    /// Ordered so that every literal's inputs are bound by earlier ones.
    pub body: Vec<Literal>,
    /// Indexed by `VarId`.
    pub vars: Vec<Var>,
    /// The source rule (a rule with a disjunction or several heads yields several `Rule`s with one origin).
    pub origin: Span,
}

impl Rule {
    pub fn var(&self, var: VarId) -> &Var {
        &self.vars[var.0 as usize]
    }
}

#[derive(Clone, Debug)]
pub struct Var {
    /// As written; generated variables start with `$`.
    pub name: String,
    pub ty: Type,
}

#[derive(Clone, Debug)]
pub struct Head {
    pub rel: RelId,
    pub args: Vec<Expr>,
}

#[derive(Clone, Debug)]
pub struct Atom {
    pub rel: RelId,
    pub args: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Var(VarId),
    Const(Const),
    Wildcard,
}

#[derive(Clone, Debug)]
pub enum Literal {
    Positive(Atom),
    /// Holds when no tuple matches. Variables that occur in no other literal of
    /// the rule are local to this atom (`not s(X, P, P)`: no P exists).
    Negative(Atom),
    /// Both sides bound; compares values of the same type (see docs/language.md for mixed kinds).
    Compare(CompareOp, Expr, Expr),
    /// Binds a variable not bound before: `X = Y + 1`.
    Assign(VarId, Expr),
    Aggregate(Aggregate),
}

pub use crate::syntax::ast::{AggregateFunc, ArithOp, CompareOp};

#[derive(Clone, Debug)]
pub enum Expr {
    Var(VarId),
    Const(Const),
    Neg(Box<Expr>),
    Binary(ArithOp, Box<Expr>, Box<Expr>),
    Call(Builtin, Vec<Expr>),
}

/// Built-in functions. Durations are numbers of seconds: `t + days(2)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `days(n)`: n × 86,400 seconds.
    Days,
    Hours,
    Minutes,
    /// `cat(a, b, ...)`: symbols joined.
    Cat,
    /// `strlen(s)`.
    Strlen,
    /// `to_number(s)`, `to_string(x)`, `to_float(x)`.
    ToNumber,
    ToString,
    ToFloat,
}

impl Builtin {
    /// The function's name as written.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Days => "days",
            Builtin::Hours => "hours",
            Builtin::Minutes => "minutes",
            Builtin::Cat => "cat",
            Builtin::Strlen => "strlen",
            Builtin::ToNumber => "to_number",
            Builtin::ToString => "to_string",
            Builtin::ToFloat => "to_float",
        }
    }
}

/// `result = func target : { body }`, grouped by the variables of `body` that
/// are bound before the aggregate; the other variables of `body` are local.
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub result: VarId,
    pub func: AggregateFunc,
    pub target: Option<Expr>,
    pub body: Vec<Literal>,
}

#[derive(Clone, Debug)]
pub struct Stratum {
    pub relations: Vec<RelId>,
    pub rules: Vec<RuleId>,
    /// True when some rule reads a relation of this stratum (a fixpoint loop is needed).
    pub recursive: bool,
}

/// A `?-` query: evaluated as a rule into a hidden relation whose columns are
/// the query's named variables in order of first occurrence.
#[derive(Clone, Debug)]
pub struct QueryInfo {
    pub rel: RelId,
    pub origin: Span,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub version: String,
    pub file: FileId,
    pub origin: Span,
}
