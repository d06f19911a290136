//! This module defines the abstract syntax tree: the program as written, every
//! node with its [`Span`]. Only `syntax` and `check` see these types.

use crate::source::Span;

/// One parsed file. Statements keep their source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `.decl r(a: symbol, b: number)`; Soufflé's `.decl a, b(x: number)` gives one `Decl` per name.
    Decl(Decl),
    /// `.type T <: symbol`, `.type T = number`.
    Type(TypeDecl),
    /// `.input r`, `.input r(IO=file, filename="r.tsv")`, `.input a, b`.
    Input(IoDirective),
    /// `.output r`, `.output r(IO=stdout)`.
    Output(IoDirective),
    /// `.printsize r`.
    PrintSize(IoDirective),
    /// `.include "file.dl"`; resolved by the loader, not the parser.
    Include(Include),
    /// `.policy "name" version "1.2.0"`.
    Policy(Policy),
    /// A fact, a rule, or a rule with several heads. A fact is a rule with an empty body.
    Rule(Rule),
    /// `?- a(X), !b(X).`
    Query(Query),
}

/// An identifier as written (relation, variable, type or parameter name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    pub name: Name,
    pub columns: Vec<ColumnDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDecl {
    pub name: Name,
    pub ty: Name,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeDecl {
    pub name: Name,
    /// `<:` (a subtype) or `=` (an equivalent name); both are aliases here.
    pub base: Name,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IoDirective {
    pub relations: Vec<Name>,
    /// `key=value` parameters in the order written; an empty list `()` is allowed.
    pub params: Vec<Param>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub key: Name,
    pub value: ParamValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// `"..."` (escapes already decoded).
    Str(String),
    /// A bare word: `file`, `stdout`, `true`.
    Word(String),
    Int(i64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Include {
    pub path: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub name: String,
    pub version: String,
    pub span: Span,
}

/// `h1(..), h2(..) :- body.` or a fact `h(..).` (empty body).
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub heads: Vec<Atom>,
    /// `None` for a fact.
    pub body: Option<Body>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub body: Body,
    pub span: Span,
}

/// A rule body: conjunctions (`,`) and disjunctions (`;`), parentheses allowed.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Literal(Literal),
    And(Vec<Body>, Span),
    Or(Vec<Body>, Span),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Atom(Atom),
    /// `!r(..)` or `not r(..)`; the span covers the negation sign too.
    Negated(Atom, Span),
    /// `a < b`, `X = expr` (binds X when X is otherwise unbound).
    Compare(Compare),
    /// `true` / `false`.
    Bool(bool, Span),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Atom {
    pub name: Name,
    pub args: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Compare {
    pub op: CompareOp,
    pub lhs: Expr,
    pub rhs: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl ArithOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A bare identifier in argument position: a variable (`X`, `lot`, `_x`).
    Var(Name),
    /// A lone `_`.
    Wildcard(Span),
    Const(Const, Span),
    Neg(Box<Expr>, Span),
    Binary(ArithOp, Box<Expr>, Box<Expr>, Span),
    /// A function call such as `days(3)`, `seconds(x)`, `to_number(s)`; resolved by the checker.
    Call(Name, Vec<Expr>, Span),
    Aggregate(Box<Aggregate>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    /// A double-quoted string, escapes decoded.
    Str(String),
    Int(i64),
    Float(f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateFunc {
    Count,
    Sum,
    Min,
    Max,
    Mean,
}

impl AggregateFunc {
    /// The function's name as written.
    pub fn name(self) -> &'static str {
        match self {
            AggregateFunc::Count => "count",
            AggregateFunc::Sum => "sum",
            AggregateFunc::Min => "min",
            AggregateFunc::Max => "max",
            AggregateFunc::Mean => "mean",
        }
    }
}

/// `count : { body }`, `count : atom`, `sum x : { body }`, `min e : atom`.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    pub func: AggregateFunc,
    /// The aggregated expression; `None` for `count`.
    pub target: Option<Expr>,
    pub body: Body,
    pub span: Span,
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Var(name) => name.span,
            Expr::Wildcard(span) | Expr::Const(_, span) | Expr::Neg(_, span) => *span,
            Expr::Binary(_, _, _, span) | Expr::Call(_, _, span) => *span,
            Expr::Aggregate(aggregate) => aggregate.span,
        }
    }
}

impl Body {
    pub fn span(&self) -> Span {
        match self {
            Body::Literal(literal) => literal.span(),
            Body::And(_, span) | Body::Or(_, span) => *span,
        }
    }
}

impl Literal {
    pub fn span(&self) -> Span {
        match self {
            Literal::Atom(atom) => atom.span,
            Literal::Negated(_, span) | Literal::Bool(_, span) => *span,
            Literal::Compare(compare) => compare.span,
        }
    }
}
