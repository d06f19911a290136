//! This module lowers AST rules and queries to flat rules that keep their
//! spans (the input of the safety, type and stratification passes): bodies in
//! disjunctive normal form, one rule per head, argument expressions moved out
//! of atoms, aggregates pulled out of expressions, queries made into rules
//! over hidden relations.

use rustc_hash::FxHashMap;

use crate::check::resolve::{ColInfo, Names};
use crate::check::similar;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{AggregateFunc, ArithOp, Builtin, CompareOp, RelId, VarId};
use crate::source::Span;
use crate::syntax::ast;

/// A rule after lowering; like `ir::Rule` but with spans and untyped constants.
#[derive(Clone, Debug)]
pub struct LRule {
    pub head: LHead,
    pub body: Vec<LLit>,
    pub vars: Vec<LVar>,
    pub origin: Span,
    /// A problem was reported while lowering (arity, unknown function, misplaced
    /// `_`): later passes skip the rule so that nothing cascades.
    pub broken: bool,
}

#[derive(Clone, Debug)]
pub struct LHead {
    pub rel: RelId,
    pub args: Vec<LExpr>,
}

#[derive(Clone, Debug)]
pub struct LVar {
    pub name: String,
    /// The first occurrence in the rule.
    pub span: Span,
}

impl LVar {
    /// Variables the checker made up (`$e1`, `$a1`, `$_1`).
    pub fn generated(&self) -> bool {
        self.name.starts_with('$')
    }
}

#[derive(Clone, Debug)]
pub struct LAtom {
    pub rel: RelId,
    pub args: Vec<LTerm>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum LTerm {
    Var(VarId, Span),
    Const(ast::Const, Span),
    Wildcard,
}

#[derive(Clone, Debug)]
pub enum LExpr {
    Var(VarId, Span),
    Const(ast::Const, Span),
    Neg(Box<LExpr>, Span),
    Binary(ArithOp, Box<LExpr>, Box<LExpr>, Span),
    Call(Builtin, Vec<LExpr>, Span),
}

#[derive(Clone, Debug)]
pub enum LLit {
    Pos(LAtom),
    Neg(LAtom, Span),
    Compare(CompareOp, LExpr, LExpr, Span),
    /// Made by the safety pass from an `=` comparison that binds its variable.
    Assign(VarId, LExpr, Span),
    Agg(LAgg),
}

#[derive(Clone, Debug)]
pub struct LAgg {
    pub result: VarId,
    pub func: AggregateFunc,
    pub target: Option<LExpr>,
    pub body: Vec<LLit>,
    pub span: Span,
}

impl LExpr {
    pub fn span(&self) -> Span {
        match self {
            LExpr::Var(_, span)
            | LExpr::Const(_, span)
            | LExpr::Neg(_, span)
            | LExpr::Binary(_, _, _, span)
            | LExpr::Call(_, _, span) => *span,
        }
    }

    pub fn vars(&self, out: &mut Vec<VarId>) {
        match self {
            LExpr::Var(var, _) => out.push(*var),
            LExpr::Const(..) => (),
            LExpr::Neg(inner, _) => inner.vars(out),
            LExpr::Binary(_, lhs, rhs, _) => {
                lhs.vars(out);
                rhs.vars(out);
            }
            LExpr::Call(_, args, _) => {
                for arg in args {
                    arg.vars(out);
                }
            }
        }
    }
}

impl LAtom {
    pub fn vars(&self, out: &mut Vec<VarId>) {
        for arg in &self.args {
            if let LTerm::Var(var, _) = arg {
                out.push(*var);
            }
        }
    }
}

impl LLit {
    pub fn span(&self) -> Span {
        match self {
            LLit::Pos(atom) => atom.span,
            LLit::Neg(_, span) | LLit::Compare(_, _, _, span) | LLit::Assign(_, _, span) => *span,
            LLit::Agg(aggregate) => aggregate.span,
        }
    }

    /// Every variable of the literal, nested aggregates included (aggregate
    /// results too).
    pub fn vars(&self, out: &mut Vec<VarId>) {
        match self {
            LLit::Pos(atom) | LLit::Neg(atom, _) => atom.vars(out),
            LLit::Compare(_, lhs, rhs, _) => {
                lhs.vars(out);
                rhs.vars(out);
            }
            LLit::Assign(var, expr, _) => {
                out.push(*var);
                expr.vars(out);
            }
            LLit::Agg(aggregate) => {
                out.push(aggregate.result);
                aggregate.inner_vars(out);
            }
        }
    }
}

impl LAgg {
    /// The variables of the target and the body (not the result).
    pub fn inner_vars(&self, out: &mut Vec<VarId>) {
        if let Some(target) = &self.target {
            target.vars(out);
        }
        for literal in &self.body {
            literal.vars(out);
        }
    }
}

/// The most disjuncts one rule may expand to.
const MAX_DISJUNCTS: usize = 1024;

/// Lowers every rule and query of the program, in order. Query results are
/// added to `names` as hidden relations `?query1`, `?query2`, ...
pub fn lower(
    files: &[(crate::source::FileId, ast::Program)],
    names: &mut Names,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<LRule>, Vec<(RelId, Span)>) {
    let mut rules = Vec::new();
    let mut queries = Vec::new();
    for item in files.iter().flat_map(|(_, program)| program.items.iter()) {
        match item {
            ast::Item::Rule(rule) => {
                let conjunctions = match &rule.body {
                    None => vec![Vec::new()],
                    Some(body) => match dnf(body, diags) {
                        Some(conjunctions) => conjunctions,
                        None => continue,
                    },
                };
                for head in &rule.heads {
                    for conjunction in &conjunctions {
                        let mut builder = Builder::new(names, diags);
                        let head = builder.head(head);
                        if let Some(lowered) = builder.finish(head, conjunction, rule.span) {
                            rules.push(lowered);
                        }
                    }
                }
            }
            ast::Item::Query(query) => {
                let Some(conjunctions) = dnf(&query.body, diags) else {
                    continue;
                };
                let mut named: Vec<(&str, Span)> = Vec::new();
                query_vars(&query.body, &mut named);
                let columns = named
                    .iter()
                    .map(|(name, _)| ColInfo {
                        name: (*name).to_owned(),
                        declared: None,
                        type_name: String::new(),
                    })
                    .collect();
                let name = format!("?query{}", queries.len() + 1);
                let rel = names.add_hidden(name, columns, query.span);
                queries.push((rel, query.span));
                for conjunction in &conjunctions {
                    let mut builder = Builder::new(names, diags);
                    let args = named
                        .iter()
                        .map(|(name, span)| LExpr::Var(builder.var(name, *span), *span))
                        .collect();
                    let head = LHead { rel, args };
                    if let Some(lowered) = builder.finish(head, conjunction, query.span) {
                        rules.push(lowered);
                    }
                }
            }
            _ => (),
        }
    }
    (rules, queries)
}

/// The named variables of a query (not `_`-prefixed, not only inside an
/// aggregate) in order of first occurrence.
fn query_vars<'a>(body: &'a ast::Body, out: &mut Vec<(&'a str, Span)>) {
    fn expr<'a>(e: &'a ast::Expr, out: &mut Vec<(&'a str, Span)>) {
        match e {
            ast::Expr::Var(name) => {
                if !name.text.starts_with('_') && !out.iter().any(|(seen, _)| *seen == name.text) {
                    out.push((&name.text, name.span));
                }
            }
            ast::Expr::Wildcard(_) | ast::Expr::Const(..) | ast::Expr::Aggregate(_) => (),
            ast::Expr::Neg(inner, _) => expr(inner, out),
            ast::Expr::Binary(_, lhs, rhs, _) => {
                expr(lhs, out);
                expr(rhs, out);
            }
            ast::Expr::Call(_, args, _) => args.iter().for_each(|arg| expr(arg, out)),
        }
    }
    match body {
        ast::Body::Literal(ast::Literal::Atom(atom) | ast::Literal::Negated(atom, _)) => {
            atom.args.iter().for_each(|arg| expr(arg, out));
        }
        ast::Body::Literal(ast::Literal::Compare(compare)) => {
            expr(&compare.lhs, out);
            expr(&compare.rhs, out);
        }
        ast::Body::Literal(ast::Literal::Bool(..)) => (),
        ast::Body::And(parts, _) | ast::Body::Or(parts, _) => {
            parts.iter().for_each(|part| query_vars(part, out))
        }
    }
}

/// The body as a disjunction of conjunctions; `None` (reported) when it
/// expands to too many.
fn dnf<'a>(body: &'a ast::Body, diags: &mut Vec<Diagnostic>) -> Option<Vec<Vec<&'a ast::Literal>>> {
    fn go(body: &ast::Body) -> Option<Vec<Vec<&ast::Literal>>> {
        match body {
            ast::Body::Literal(literal) => Some(vec![vec![literal]]),
            ast::Body::Or(parts, _) => {
                let mut res = Vec::new();
                for part in parts {
                    res.extend(go(part)?);
                    if res.len() > MAX_DISJUNCTS {
                        return None;
                    }
                }
                Some(res)
            }
            ast::Body::And(parts, _) => {
                let mut res: Vec<Vec<&ast::Literal>> = vec![Vec::new()];
                for part in parts {
                    let alternatives = go(part)?;
                    if res.len() * alternatives.len() > MAX_DISJUNCTS {
                        return None;
                    }
                    let mut next = Vec::new();
                    for prefix in &res {
                        for alternative in &alternatives {
                            let mut conjunction = prefix.clone();
                            conjunction.extend(alternative.iter().copied());
                            next.push(conjunction);
                        }
                    }
                    res = next;
                }
                Some(res)
            }
        }
    }
    let res = go(body);
    if res.is_none() {
        diags.push(
            Diagnostic::error(
                Code::UnsupportedFeature,
                format!("this body has more than {MAX_DISJUNCTS} alternatives once its disjunctions are expanded"),
            )
            .at(body.span())
            .with_label("too many alternatives")
            .with_help("split the rule into several rules"),
        );
    }
    res
}

/// The built-in functions by name, with their number of arguments (`None`: any, at least one).
const BUILTINS: [(&str, Builtin, Option<usize>); 8] = [
    ("days", Builtin::Days, Some(1)),
    ("hours", Builtin::Hours, Some(1)),
    ("minutes", Builtin::Minutes, Some(1)),
    ("cat", Builtin::Cat, None),
    ("strlen", Builtin::Strlen, Some(1)),
    ("to_number", Builtin::ToNumber, Some(1)),
    ("to_string", Builtin::ToString, Some(1)),
    ("to_float", Builtin::ToFloat, Some(1)),
];

/// Lowers one (head, conjunction) pair.
struct Builder<'a> {
    names: &'a Names,
    diags: &'a mut Vec<Diagnostic>,
    vars: Vec<LVar>,
    by_name: FxHashMap<String, VarId>,
    n_generated: u32,
    broken: bool,
    /// Literals produced while lowering expressions (aggregates), emitted
    /// before the literal being lowered.
    pending: Vec<LLit>,
}

impl<'a> Builder<'a> {
    fn new(names: &'a Names, diags: &'a mut Vec<Diagnostic>) -> Builder<'a> {
        Builder {
            names,
            diags,
            vars: Vec::new(),
            by_name: FxHashMap::default(),
            n_generated: 0,
            broken: false,
            pending: Vec::new(),
        }
    }

    fn var(&mut self, name: &str, span: Span) -> VarId {
        if let Some(&var) = self.by_name.get(name) {
            return var;
        }
        let var = VarId(self.vars.len() as u32);
        self.vars.push(LVar {
            name: name.to_owned(),
            span,
        });
        self.by_name.insert(name.to_owned(), var);
        var
    }

    fn fresh(&mut self, prefix: &str, span: Span) -> VarId {
        self.n_generated += 1;
        let var = VarId(self.vars.len() as u32);
        self.vars.push(LVar {
            name: format!("${prefix}{}", self.n_generated),
            span,
        });
        var
    }

    fn rel(&mut self, atom: &ast::Atom) -> RelId {
        let rel = self
            .names
            .lookup(&atom.name.text)
            .expect("resolve registers every atom's relation");
        if self.names.rel(rel).columns.len() != atom.args.len() {
            // Reported by resolve.
            self.broken = true;
        }
        rel
    }

    fn head(&mut self, atom: &ast::Atom) -> LHead {
        let rel = self.rel(atom);
        let mut args = Vec::new();
        for arg in &atom.args {
            if let ast::Expr::Wildcard(span) = arg {
                self.diags.push(
                    Diagnostic::error(Code::UnboundVariable, "`_` cannot stand in a head")
                        .at(*span)
                        .with_label("a head needs a value here")
                        .with_help("write a constant, or a variable that the body binds"),
                );
                self.broken = true;
                continue;
            }
            args.push(self.expr(arg));
        }
        LHead { rel, args }
    }

    /// Lowers the body; `None` when it contains `false` (the rule never fires).
    fn finish(mut self, head: LHead, conjunction: &[&ast::Literal], origin: Span) -> Option<LRule> {
        let mut body = std::mem::take(&mut self.pending);
        let positive = positive_names(conjunction);
        for literal in conjunction {
            if !self.literal(literal, &positive, false, &mut body) {
                return None;
            }
        }
        Some(LRule {
            head,
            body,
            vars: self.vars,
            origin,
            broken: self.broken,
        })
    }

    /// Lowers one body literal into `out`; false for `false`.
    fn literal(
        &mut self,
        literal: &ast::Literal,
        positive: &[&str],
        in_aggregate: bool,
        out: &mut Vec<LLit>,
    ) -> bool {
        match literal {
            ast::Literal::Atom(atom) => {
                let (atom, hoisted) = self.atom(atom, in_aggregate);
                out.push(LLit::Pos(atom));
                out.extend(hoisted);
            }
            ast::Literal::Negated(atom, span) => {
                let (atom, hoisted) = self.atom(atom, false);
                out.push(LLit::Neg(atom, *span));
                out.extend(hoisted);
            }
            ast::Literal::Compare(compare) => {
                // `n = count : {...}` binds n directly unless an atom binds it.
                if compare.op == CompareOp::Eq {
                    let pair = match (&compare.lhs, &compare.rhs) {
                        (ast::Expr::Var(name), ast::Expr::Aggregate(aggregate))
                        | (ast::Expr::Aggregate(aggregate), ast::Expr::Var(name)) => {
                            Some((name, aggregate))
                        }
                        _ => None,
                    };
                    if let Some((name, aggregate)) = pair
                        && !positive.contains(&name.text.as_str())
                    {
                        let result = self.var(&name.text, name.span);
                        let lowered = self.aggregate(aggregate, result);
                        out.push(LLit::Agg(lowered));
                        return true;
                    }
                }
                let lhs = self.expr(&compare.lhs);
                let rhs = self.expr(&compare.rhs);
                out.append(&mut self.pending);
                out.push(LLit::Compare(compare.op, lhs, rhs, compare.span));
            }
            ast::Literal::Bool(true, _) => (),
            ast::Literal::Bool(false, span) => {
                if in_aggregate {
                    self.unsupported(
                        *span,
                        "`false` inside an aggregate is not supported",
                        "remove the aggregate: its body never holds",
                    );
                    return true;
                }
                return false;
            }
        }
        true
    }

    fn unsupported(&mut self, span: Span, message: &str, help: &str) {
        self.diags.push(
            Diagnostic::error(Code::UnsupportedFeature, message)
                .at(span)
                .with_label("not supported here")
                .with_help(help),
        );
        self.broken = true;
    }

    /// Lowers an atom of a body; expressions in its arguments become fresh
    /// variables and the returned `=` comparisons.
    fn atom(&mut self, atom: &ast::Atom, positive_in_aggregate: bool) -> (LAtom, Vec<LLit>) {
        let rel = self.rel(atom);
        let mut args = Vec::new();
        let mut hoisted = Vec::new();
        for arg in &atom.args {
            let term = match arg {
                ast::Expr::Var(name) => LTerm::Var(self.var(&name.text, name.span), name.span),
                ast::Expr::Wildcard(span) if positive_in_aggregate => {
                    LTerm::Var(self.fresh("_", *span), *span)
                }
                ast::Expr::Wildcard(_) => LTerm::Wildcard,
                ast::Expr::Const(value, span) => LTerm::Const(value.clone(), *span),
                ast::Expr::Neg(inner, span)
                    if matches!(
                        **inner,
                        ast::Expr::Const(ast::Const::Int(_) | ast::Const::Float(_), _)
                    ) =>
                {
                    let ast::Expr::Const(value, _) = &**inner else {
                        unreachable!()
                    };
                    match value {
                        ast::Const::Int(v) => match v.checked_neg() {
                            Some(v) => LTerm::Const(ast::Const::Int(v), *span),
                            None => self.hoist(arg, &mut hoisted),
                        },
                        ast::Const::Float(v) => LTerm::Const(ast::Const::Float(-v), *span),
                        ast::Const::Str(_) => self.hoist(arg, &mut hoisted),
                    }
                }
                _ => self.hoist(arg, &mut hoisted),
            };
            args.push(term);
        }
        (
            LAtom {
                rel,
                args,
                span: atom.span,
            },
            hoisted,
        )
    }

    fn hoist(&mut self, arg: &ast::Expr, hoisted: &mut Vec<LLit>) -> LTerm {
        let span = arg.span();
        let var = self.fresh("e", span);
        let expr = self.expr(arg);
        hoisted.append(&mut self.pending);
        hoisted.push(LLit::Compare(
            CompareOp::Eq,
            LExpr::Var(var, span),
            expr,
            span,
        ));
        LTerm::Var(var, span)
    }

    fn expr(&mut self, expr: &ast::Expr) -> LExpr {
        match expr {
            ast::Expr::Var(name) => LExpr::Var(self.var(&name.text, name.span), name.span),
            ast::Expr::Wildcard(span) => {
                self.diags.push(
                    Diagnostic::error(Code::UnboundVariable, "`_` cannot stand in an expression")
                        .at(*span)
                        .with_label("no value to compute with")
                        .with_help("use a variable that a body atom binds"),
                );
                self.broken = true;
                LExpr::Const(ast::Const::Int(0), *span)
            }
            ast::Expr::Const(value, span) => LExpr::Const(value.clone(), *span),
            ast::Expr::Neg(inner, span) => match &**inner {
                ast::Expr::Const(ast::Const::Int(v), _) if v.checked_neg().is_some() => {
                    LExpr::Const(ast::Const::Int(-v), *span)
                }
                ast::Expr::Const(ast::Const::Float(v), _) => {
                    LExpr::Const(ast::Const::Float(-v), *span)
                }
                _ => LExpr::Neg(Box::new(self.expr(inner)), *span),
            },
            ast::Expr::Binary(op, lhs, rhs, span) => LExpr::Binary(
                *op,
                Box::new(self.expr(lhs)),
                Box::new(self.expr(rhs)),
                *span,
            ),
            ast::Expr::Call(name, args, span) => {
                let lowered: Vec<LExpr> = args.iter().map(|arg| self.expr(arg)).collect();
                let Some((_, builtin, arity)) =
                    BUILTINS.iter().find(|(known, _, _)| *known == name.text)
                else {
                    let all: Vec<&str> = BUILTINS.iter().map(|(known, _, _)| *known).collect();
                    let list = all
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let help = match similar::best_match(&name.text, all.iter().copied()) {
                        Some(other) => format!("did you mean `{other}`? The functions are {list}"),
                        None => format!("the functions are {list}"),
                    };
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnknownFunction,
                            format!("unknown function `{}`", name.text),
                        )
                        .at(name.span)
                        .with_label("no such function")
                        .with_help(help),
                    );
                    self.broken = true;
                    return LExpr::Const(ast::Const::Int(0), *span);
                };
                let fits = match arity {
                    Some(n) => lowered.len() == *n,
                    None => !lowered.is_empty(),
                };
                if !fits {
                    let expected = match arity {
                        Some(n) => crate::check::resolve::plural(*n, "argument"),
                        None => "at least one argument".to_owned(),
                    };
                    self.diags.push(
                        Diagnostic::error(
                            Code::ArityMismatch,
                            format!("`{}` takes {expected}, found {}", name.text, lowered.len()),
                        )
                        .at(*span)
                        .with_label(format!(
                            "{} given",
                            crate::check::resolve::plural(lowered.len(), "argument")
                        ))
                        .with_help(format!("call `{}` with {expected}", name.text)),
                    );
                    self.broken = true;
                }
                LExpr::Call(*builtin, lowered, *span)
            }
            ast::Expr::Aggregate(aggregate) => {
                let result = self.fresh("a", aggregate.span);
                let lowered = self.aggregate(aggregate, result);
                self.pending.push(LLit::Agg(lowered));
                LExpr::Var(result, aggregate.span)
            }
        }
    }

    fn aggregate(&mut self, aggregate: &ast::Aggregate, result: VarId) -> LAgg {
        let outer_pending = std::mem::take(&mut self.pending);
        let mut body = Vec::new();
        let conjunctions = {
            let mut scratch = Vec::new();
            let res = dnf(&aggregate.body, &mut scratch);
            self.diags.extend(scratch);
            res
        };
        match conjunctions {
            None => self.broken = true,
            Some(conjunctions) => {
                if conjunctions.len() > 1 {
                    self.unsupported(
                        aggregate.body.span(),
                        "disjunction inside an aggregate is not supported",
                        "aggregate over a helper relation that has one rule per alternative",
                    );
                }
                if let Some(conjunction) = conjunctions.first() {
                    let positive = positive_names(conjunction);
                    for literal in conjunction {
                        self.literal(literal, &positive, true, &mut body);
                    }
                }
            }
        }
        let target = aggregate.target.as_ref().map(|target| self.expr(target));
        body.append(&mut self.pending);
        self.pending = outer_pending;
        LAgg {
            result,
            func: aggregate.func,
            target,
            body,
            span: aggregate.span,
        }
    }
}

/// Names of the variables that are direct arguments of positive atoms.
fn positive_names<'a>(conjunction: &[&'a ast::Literal]) -> Vec<&'a str> {
    let mut res = Vec::new();
    for literal in conjunction {
        if let ast::Literal::Atom(atom) = literal {
            for arg in &atom.args {
                if let ast::Expr::Var(name) = arg {
                    res.push(name.text.as_str());
                }
            }
        }
    }
    res
}
