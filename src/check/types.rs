//! This module infers and checks types. Columns of all relations and the
//! variables of every rule are nodes of one union-find: an argument joins its
//! variable with its column. Declared columns have fixed types; an undeclared
//! class that meets two different kinds becomes `any`. A second walk reports
//! what does not fit, then rules are converted to `ir` with typed constants.

use rustc_hash::FxHashSet;

use crate::check::lower::{LAtom, LExpr, LLit, LRule, LTerm};
use crate::check::resolve::Names;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, AggregateFunc, ArithOp, Builtin, CompareOp, RelId, Type, VarId};
use crate::source::{SourceMap, Span};
use crate::syntax::ast;
use crate::value::parse_datetime;

/// What is known about a class of columns and variables, or an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Unknown,
    /// Only integer constants: fits number, unsigned and float.
    IntLit,
    /// Float (and maybe integer) constants.
    FloatLit,
    /// Only string constants: fits symbol and datetime.
    StrLit,
    T(Type),
}

impl Ty {
    fn describe(self) -> &'static str {
        match self {
            Ty::Unknown => "unknown",
            Ty::IntLit => "number",
            Ty::FloatLit => "float",
            Ty::StrLit => "symbol",
            Ty::T(ty) => ty.name(),
        }
    }

    fn finish(self) -> Type {
        match self {
            // Nothing reaches it (an empty relation): any value may come.
            Ty::Unknown => Type::Any,
            Ty::IntLit => Type::Number,
            Ty::FloatLit => Type::Float,
            Ty::StrLit => Type::Symbol,
            Ty::T(ty) => ty,
        }
    }

    fn is_integer(self) -> bool {
        matches!(self, Ty::IntLit | Ty::T(Type::Number | Type::Unsigned))
    }

    fn is_numeric(self) -> bool {
        matches!(self, Ty::IntLit | Ty::FloatLit) || matches!(self, Ty::T(ty) if ty.is_numeric())
    }
}

/// The least kind that holds values of both.
fn join(a: Ty, b: Ty) -> Ty {
    use Ty::*;
    match (a, b) {
        _ if a == b => a,
        (Unknown, other) | (other, Unknown) => other,
        (IntLit, FloatLit) | (FloatLit, IntLit) => FloatLit,
        (IntLit, T(ty @ (Type::Number | Type::Unsigned | Type::Float)))
        | (T(ty @ (Type::Number | Type::Unsigned | Type::Float)), IntLit) => T(ty),
        (FloatLit, T(Type::Float)) | (T(Type::Float), FloatLit) => T(Type::Float),
        (StrLit, T(ty @ (Type::Symbol | Type::DateTime)))
        | (T(ty @ (Type::Symbol | Type::DateTime)), StrLit) => T(ty),
        _ => T(Type::Any),
    }
}

/// A value of kind `value` may be stored in a column of type `ty`.
fn fits(ty: Type, value: Ty) -> bool {
    ty == Type::Any
        || value == Ty::T(Type::Any)
        || value == Ty::Unknown
        || join(Ty::T(ty), value) == Ty::T(ty)
}

fn const_ty(value: &ast::Const) -> Ty {
    match value {
        ast::Const::Str(_) => Ty::StrLit,
        ast::Const::Int(_) => Ty::IntLit,
        ast::Const::Float(_) => Ty::FloatLit,
    }
}

/// The kind of `a op b`; `Err` when the operation does not apply.
fn arith(op: ArithOp, a: Ty, b: Ty) -> Result<Ty, ()> {
    use Ty::*;
    if a == Unknown || b == Unknown {
        return Ok(Unknown);
    }
    if a == T(Type::Any) || b == T(Type::Any) {
        return Ok(T(Type::Any));
    }
    let datetime = T(Type::DateTime);
    // A string next to a date-time is read as one (checked to parse).
    let (a, b) = match (a, b) {
        (StrLit, _) if b == datetime => (datetime, b),
        (_, StrLit) if a == datetime => (a, datetime),
        _ => (a, b),
    };
    if a == datetime || b == datetime {
        return match (op, a, b) {
            (ArithOp::Sub, _, _) if a == datetime && b == datetime => Ok(T(Type::Number)),
            (ArithOp::Add | ArithOp::Sub, _, _) if a == datetime && b.is_integer() => Ok(datetime),
            (ArithOp::Add, _, _) if b == datetime && a.is_integer() => Ok(datetime),
            _ => Err(()),
        };
    }
    if !a.is_numeric() || !b.is_numeric() {
        return Err(());
    }
    Ok(match (a, b) {
        (IntLit, IntLit) => IntLit,
        (FloatLit, IntLit | FloatLit) | (IntLit, FloatLit) => FloatLit,
        (T(Type::Float), _) | (_, T(Type::Float)) | (FloatLit, _) | (_, FloatLit) => T(Type::Float),
        (IntLit, other) | (other, IntLit) => other,
        (T(x), T(y)) if x == y => T(x),
        _ => T(Type::Number),
    })
}

fn builtin_ty(builtin: Builtin) -> Ty {
    match builtin {
        Builtin::Days | Builtin::Hours | Builtin::Minutes | Builtin::Strlen | Builtin::ToNumber => {
            Ty::T(Type::Number)
        }
        Builtin::Cat | Builtin::ToString => Ty::T(Type::Symbol),
        Builtin::ToFloat => Ty::T(Type::Float),
    }
}

/// Column types, and each rule converted to `ir`.
pub struct Typed {
    pub columns: Vec<Vec<Type>>,
    /// `None` for broken rules.
    pub rules: Vec<Option<ir::Rule>>,
}

/// Infers types, reports mismatches and converts the rules.
pub fn check_types(
    sources: &SourceMap,
    names: &Names,
    rules: &[LRule],
    diags: &mut Vec<Diagnostic>,
) -> Typed {
    let mut col_base = Vec::new();
    let mut n_nodes = 0u32;
    for rel in &names.rels {
        col_base.push(n_nodes);
        n_nodes += rel.columns.len() as u32;
    }
    let mut var_base = Vec::new();
    for rule in rules {
        var_base.push(n_nodes);
        n_nodes += rule.vars.len() as u32;
    }
    let mut infer = Infer {
        sources,
        names,
        parent: (0..n_nodes).collect(),
        value: vec![Ty::Unknown; n_nodes as usize],
        declared: vec![false; n_nodes as usize],
        col_base,
        var_base,
        changed: false,
        reported: FxHashSet::default(),
    };
    for (rel_idx, rel) in names.rels.iter().enumerate() {
        for (col_idx, column) in rel.columns.iter().enumerate() {
            if let Some(ty) = column.declared {
                let node = infer.col(RelId(rel_idx as u32), col_idx);
                infer.value[node as usize] = Ty::T(ty);
                infer.declared[node as usize] = true;
            }
        }
    }
    for _ in 0..100 {
        infer.changed = false;
        for (rule_idx, rule) in rules.iter().enumerate() {
            if !rule.broken {
                infer.constrain_rule(rule_idx, rule);
            }
        }
        if !infer.changed {
            break;
        }
    }
    for (rule_idx, rule) in rules.iter().enumerate() {
        if !rule.broken {
            infer.check_rule(rule_idx, rule, diags);
        }
    }
    let columns = names
        .rels
        .iter()
        .enumerate()
        .map(|(rel_idx, rel)| {
            (0..rel.columns.len())
                .map(|col| infer.col_type(RelId(rel_idx as u32), col))
                .collect()
        })
        .collect();
    let ir_rules = rules
        .iter()
        .enumerate()
        .map(|(rule_idx, rule)| (!rule.broken).then(|| infer.convert_rule(rule_idx, rule)))
        .collect();
    Typed {
        columns,
        rules: ir_rules,
    }
}

struct Infer<'a> {
    sources: &'a SourceMap,
    names: &'a Names,
    parent: Vec<u32>,
    value: Vec<Ty>,
    declared: Vec<bool>,
    col_base: Vec<u32>,
    var_base: Vec<u32>,
    changed: bool,
    /// (rule, variable) pairs already reported, so a variable is blamed once.
    reported: FxHashSet<(usize, VarId)>,
}

impl Infer<'_> {
    fn col(&self, rel: RelId, col: usize) -> u32 {
        self.col_base[rel.0 as usize] + col as u32
    }

    fn var(&self, rule_idx: usize, var: VarId) -> u32 {
        self.var_base[rule_idx] + var.0
    }

    fn find(&mut self, node: u32) -> u32 {
        let mut root = node;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        let mut cur = node;
        while self.parent[cur as usize] != root {
            let next = self.parent[cur as usize];
            self.parent[cur as usize] = root;
            cur = next;
        }
        root
    }

    fn node_ty(&mut self, node: u32) -> Ty {
        let root = self.find(node);
        self.value[root as usize]
    }

    fn col_type(&mut self, rel: RelId, col: usize) -> Type {
        let node = self.col(rel, col);
        self.node_ty(node).finish()
    }

    fn var_type(&mut self, rule_idx: usize, var: VarId) -> Type {
        let node = self.var(rule_idx, var);
        self.node_ty(node).finish()
    }

    /// Joins two classes unless a declared type would have to change (the
    /// check walk reports that).
    fn merge(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (va, vb) = (self.value[ra as usize], self.value[rb as usize]);
        let (root, child, value) = match (self.declared[ra as usize], self.declared[rb as usize]) {
            (true, true) => {
                if va != vb && va != Ty::T(Type::Any) && vb != Ty::T(Type::Any) {
                    return;
                }
                (ra, rb, va)
            }
            (true, false) => {
                let Ty::T(ty) = va else { return };
                if !fits(ty, vb) {
                    return;
                }
                (ra, rb, va)
            }
            (false, true) => {
                let Ty::T(ty) = vb else { return };
                if !fits(ty, va) {
                    return;
                }
                (rb, ra, vb)
            }
            (false, false) => (ra, rb, join(va, vb)),
        };
        self.parent[child as usize] = root;
        self.value[root as usize] = value;
        self.changed = true;
    }

    fn add(&mut self, node: u32, ty: Ty) {
        let root = self.find(node);
        if self.declared[root as usize] || ty == Ty::Unknown {
            return;
        }
        let joined = join(self.value[root as usize], ty);
        if joined != self.value[root as usize] {
            self.value[root as usize] = joined;
            self.changed = true;
        }
    }

    /// The kind of an expression from what is known so far.
    fn expr_ty(&mut self, rule_idx: usize, expr: &LExpr) -> Ty {
        match expr {
            LExpr::Var(var, _) => {
                let node = self.var(rule_idx, *var);
                self.node_ty(node)
            }
            LExpr::Const(value, _) => const_ty(value),
            LExpr::Neg(inner, _) => {
                let ty = self.expr_ty(rule_idx, inner);
                if ty.is_numeric() || ty == Ty::T(Type::Any) {
                    ty
                } else {
                    Ty::Unknown
                }
            }
            LExpr::Binary(op, lhs, rhs, _) => {
                let (lhs, rhs) = (self.expr_ty(rule_idx, lhs), self.expr_ty(rule_idx, rhs));
                arith(*op, lhs, rhs).unwrap_or(Ty::Unknown)
            }
            LExpr::Call(builtin, _, _) => builtin_ty(*builtin),
        }
    }

    /// `node` holds the value of `expr`.
    fn constrain_value(&mut self, node: u32, rule_idx: usize, expr: &LExpr) {
        match expr {
            LExpr::Var(var, _) => {
                let other = self.var(rule_idx, *var);
                self.merge(node, other);
            }
            _ => {
                let ty = self.expr_ty(rule_idx, expr);
                self.add(node, ty);
            }
        }
    }

    /// The body first: a variable takes its type where it is bound, and a
    /// head that disagrees is then the place blamed.
    fn constrain_rule(&mut self, rule_idx: usize, rule: &LRule) {
        self.constrain_literals(rule_idx, &rule.body);
        for (col_idx, arg) in rule.head.args.iter().enumerate() {
            let node = self.col(rule.head.rel, col_idx);
            self.constrain_value(node, rule_idx, arg);
        }
    }

    fn constrain_literals(&mut self, rule_idx: usize, literals: &[LLit]) {
        for literal in literals {
            match literal {
                LLit::Pos(atom) | LLit::Neg(atom, _) => {
                    for (col_idx, arg) in atom.args.iter().enumerate() {
                        let node = self.col(atom.rel, col_idx);
                        match arg {
                            LTerm::Var(var, _) => {
                                let other = self.var(rule_idx, *var);
                                self.merge(node, other);
                            }
                            LTerm::Const(value, _) => self.add(node, const_ty(value)),
                            LTerm::Wildcard => (),
                        }
                    }
                }
                LLit::Compare(CompareOp::Eq, lhs, rhs, _) => match (lhs, rhs) {
                    (LExpr::Var(var, _), other) | (other, LExpr::Var(var, _)) => {
                        let node = self.var(rule_idx, *var);
                        self.constrain_value(node, rule_idx, other);
                    }
                    _ => (),
                },
                LLit::Compare(..) => (),
                LLit::Assign(var, expr, _) => {
                    let node = self.var(rule_idx, *var);
                    self.constrain_value(node, rule_idx, expr);
                }
                LLit::Agg(aggregate) => {
                    self.constrain_literals(rule_idx, &aggregate.body);
                    let node = self.var(rule_idx, aggregate.result);
                    match (aggregate.func, &aggregate.target) {
                        (AggregateFunc::Count, _) => self.add(node, Ty::T(Type::Number)),
                        (AggregateFunc::Mean, _) => self.add(node, Ty::T(Type::Float)),
                        (_, Some(target)) => self.constrain_value(node, rule_idx, target),
                        (_, None) => (),
                    }
                }
            }
        }
    }

    // ---- The check walk: report what does not fit. ----

    fn mismatch(&self, span: Span, message: String, help: &str) -> Diagnostic {
        Diagnostic::error(Code::TypeMismatch, message)
            .at(span)
            .with_label("wrong type here")
            .with_help(help)
    }

    fn column_desc(&self, rel: RelId, col: usize) -> String {
        let rel = self.names.rel(rel);
        if rel.hidden {
            return format!("the query's column `{}`", rel.columns[col].name);
        }
        format!("column `{}` of `{}`", rel.columns[col].name, rel.name)
    }

    fn check_rule(&mut self, rule_idx: usize, rule: &LRule, diags: &mut Vec<Diagnostic>) {
        self.check_literals(rule_idx, rule, &rule.body, diags);
        for (col_idx, arg) in rule.head.args.iter().enumerate() {
            let node = self.col(rule.head.rel, col_idx);
            match arg {
                LExpr::Var(var, span) => {
                    self.check_var_arg(rule_idx, rule, *var, *span, rule.head.rel, col_idx, diags)
                }
                LExpr::Const(value, span) => {
                    self.check_const(*span, value, node, rule.head.rel, col_idx, diags)
                }
                _ => {
                    let Some(ty) = self.check_expr(rule_idx, arg, diags) else {
                        continue;
                    };
                    let col_ty = self.col_type(rule.head.rel, col_idx);
                    if !fits(col_ty, ty) {
                        let message = format!(
                            "type mismatch: this expression has type {} but {} has type {}",
                            ty.describe(),
                            self.column_desc(rule.head.rel, col_idx),
                            col_ty.name()
                        );
                        diags.push(self.mismatch(
                            arg.span(),
                            message,
                            "change the expression or the column's declared type",
                        ));
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_var_arg(
        &mut self,
        rule_idx: usize,
        rule: &LRule,
        var: VarId,
        span: Span,
        rel: RelId,
        col_idx: usize,
        diags: &mut Vec<Diagnostic>,
    ) {
        let (col_node, var_node) = (self.col(rel, col_idx), self.var(rule_idx, var));
        if self.find(col_node) == self.find(var_node) || !self.reported.insert((rule_idx, var)) {
            return;
        }
        let var_ty = self.node_ty(var_node);
        let col_ty = self.node_ty(col_node);
        let name = &rule.vars[var.0 as usize].name;
        let shown = if name.starts_with('$') {
            "this value".to_owned()
        } else {
            format!("`{name}`")
        };
        let message = format!(
            "type mismatch: {shown} has type {} elsewhere in the rule but {} has type {}",
            var_ty.describe(),
            self.column_desc(rel, col_idx),
            col_ty.describe()
        );
        diags.push(self.mismatch(
            span,
            message,
            "a variable has one type: use values of the same type in every place it occurs",
        ));
    }

    fn check_const(
        &mut self,
        span: Span,
        value: &ast::Const,
        node: u32,
        rel: RelId,
        col_idx: usize,
        diags: &mut Vec<Diagnostic>,
    ) {
        let col_ty = self.node_ty(node).finish();
        if let Some(message) =
            self.const_problem(span, value, col_ty, &self.column_desc(rel, col_idx))
        {
            let help = match col_ty {
                Type::DateTime => {
                    "write an RFC 3339 date-time such as `\"2026-03-01T08:00:00Z\"`, or a date `\"2026-03-01\"`"
                }
                _ => "write a value of the column's type, or change the declared type",
            };
            diags.push(self.mismatch(span, message, help));
        }
    }

    /// Why a constant cannot be a value of `ty` (described as `place`), if it cannot.
    fn const_problem(
        &self,
        span: Span,
        value: &ast::Const,
        ty: Type,
        place: &str,
    ) -> Option<String> {
        let text = self.sources.snippet(span);
        match (value, ty) {
            (_, Type::Any) => None,
            (ast::Const::Str(text_value), Type::DateTime) => match parse_datetime(text_value) {
                Some(_) => None,
                None => Some(format!(
                    "type mismatch: `{text}` is not a date-time but {place} has type datetime"
                )),
            },
            (ast::Const::Int(v), Type::Unsigned) if *v < 0 => Some(format!(
                "type mismatch: `{text}` is negative but {place} has type unsigned"
            )),
            _ if fits(ty, const_ty(value)) => None,
            _ => Some(format!(
                "type mismatch: `{text}` is a {} but {place} has type {}",
                const_ty(value).describe(),
                ty.name()
            )),
        }
    }

    fn check_literals(
        &mut self,
        rule_idx: usize,
        rule: &LRule,
        literals: &[LLit],
        diags: &mut Vec<Diagnostic>,
    ) {
        for literal in literals {
            match literal {
                LLit::Pos(atom) | LLit::Neg(atom, _) => {
                    self.check_atom(rule_idx, rule, atom, diags)
                }
                LLit::Compare(op, lhs, rhs, span) => {
                    let (Some(lhs_ty), Some(rhs_ty)) = (
                        self.check_expr(rule_idx, lhs, diags),
                        self.check_expr(rule_idx, rhs, diags),
                    ) else {
                        continue;
                    };
                    self.check_comparison(*op, (lhs, lhs_ty), (rhs, rhs_ty), *span, diags);
                }
                LLit::Assign(var, expr, span) => {
                    let Some(ty) = self.check_expr(rule_idx, expr, diags) else {
                        continue;
                    };
                    let var_ty = self.var_type(rule_idx, *var);
                    if let LExpr::Const(value, const_span) = expr {
                        let place = format!("`{}`", rule.vars[var.0 as usize].name);
                        if let Some(message) =
                            self.const_problem(*const_span, value, var_ty, &place)
                        {
                            diags.push(self.mismatch(
                                *const_span,
                                message,
                                "a variable has one type",
                            ));
                        }
                    } else if !fits(var_ty, ty) {
                        let message = format!(
                            "type mismatch: `{}` has type {} but is assigned a {}",
                            rule.vars[var.0 as usize].name,
                            var_ty.name(),
                            ty.describe()
                        );
                        diags.push(self.mismatch(*span, message, "a variable has one type"));
                    }
                }
                LLit::Agg(aggregate) => {
                    self.check_literals(rule_idx, rule, &aggregate.body, diags);
                    let result_ty = self.var_type(rule_idx, aggregate.result);
                    let (func, produced) = match aggregate.func {
                        AggregateFunc::Count => ("count", Some(Ty::T(Type::Number))),
                        AggregateFunc::Mean => ("mean", Some(Ty::T(Type::Float))),
                        AggregateFunc::Sum => ("sum", None),
                        AggregateFunc::Min => ("min", None),
                        AggregateFunc::Max => ("max", None),
                    };
                    if let Some(target) = &aggregate.target {
                        let Some(ty) = self.check_expr(rule_idx, target, diags) else {
                            continue;
                        };
                        let needs_number =
                            matches!(aggregate.func, AggregateFunc::Sum | AggregateFunc::Mean);
                        if needs_number && !ty.is_numeric() && ty != Ty::T(Type::Any) {
                            let message = format!(
                                "type mismatch: `{func}` needs numbers but its target has type {}",
                                ty.describe()
                            );
                            diags.push(self.mismatch(
                                target.span(),
                                message,
                                "aggregate a number, unsigned or float value",
                            ));
                            continue;
                        }
                    }
                    if let Some(produced) = produced
                        && !fits(result_ty, produced)
                    {
                        let message = format!(
                            "type mismatch: `{func}` gives a {} but its result is used as a {}",
                            produced.describe(),
                            result_ty.name()
                        );
                        diags.push(self.mismatch(
                            aggregate.span,
                            message,
                            "use the result where its type fits",
                        ));
                    }
                }
            }
        }
    }

    fn check_atom(
        &mut self,
        rule_idx: usize,
        rule: &LRule,
        atom: &LAtom,
        diags: &mut Vec<Diagnostic>,
    ) {
        for (col_idx, arg) in atom.args.iter().enumerate() {
            match arg {
                LTerm::Var(var, span) => {
                    self.check_var_arg(rule_idx, rule, *var, *span, atom.rel, col_idx, diags)
                }
                LTerm::Const(value, span) => {
                    let node = self.col(atom.rel, col_idx);
                    self.check_const(*span, value, node, atom.rel, col_idx, diags);
                }
                LTerm::Wildcard => (),
            }
        }
    }

    fn check_comparison(
        &mut self,
        op: CompareOp,
        (lhs, lhs_ty): (&LExpr, Ty),
        (rhs, rhs_ty): (&LExpr, Ty),
        span: Span,
        diags: &mut Vec<Diagnostic>,
    ) {
        let any = Ty::T(Type::Any);
        if lhs_ty == any || rhs_ty == any || lhs_ty == Ty::Unknown || rhs_ty == Ty::Unknown {
            return;
        }
        // A string constant compared with a date-time must read as one.
        for (expr, other) in [(lhs, rhs_ty), (rhs, lhs_ty)] {
            if let (LExpr::Const(value @ ast::Const::Str(_), const_span), Ty::T(Type::DateTime)) =
                (expr, other)
            {
                if let Some(message) =
                    self.const_problem(*const_span, value, Type::DateTime, "the other side")
                {
                    diags.push(self.mismatch(
                        *const_span,
                        message,
                        "write an RFC 3339 date-time such as `\"2026-03-01T08:00:00Z\"`, or a date `\"2026-03-01\"`",
                    ));
                }
                return;
            }
        }
        let joined = join(lhs_ty, rhs_ty);
        let comparable = (lhs_ty.is_numeric() && rhs_ty.is_numeric())
            || (joined != any && (joined == lhs_ty || joined == rhs_ty));
        if !comparable {
            let op = match op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "!=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            let message = format!(
                "type mismatch: `{op}` compares a {} with a {}",
                lhs_ty.describe(),
                rhs_ty.describe()
            );
            diags.push(self.mismatch(span, message, "compare values of the same type; convert with `to_number`, `to_string` or `to_float`"));
        }
    }

    /// The kind of an expression after inference; `None` when a problem in it was reported.
    fn check_expr(
        &mut self,
        rule_idx: usize,
        expr: &LExpr,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Ty> {
        match expr {
            LExpr::Var(var, _) => Some(Ty::T(self.var_type(rule_idx, *var))),
            LExpr::Const(value, _) => Some(const_ty(value)),
            LExpr::Neg(inner, span) => {
                let ty = self.check_expr(rule_idx, inner, diags)?;
                if ty.is_numeric() || ty == Ty::T(Type::Any) {
                    return Some(ty);
                }
                let message = format!("type mismatch: cannot negate a {}", ty.describe());
                diags.push(self.mismatch(*span, message, "only numbers can be negated"));
                None
            }
            LExpr::Binary(op, lhs, rhs, span) => {
                let lhs_ty = self.check_expr(rule_idx, lhs, diags)?;
                let rhs_ty = self.check_expr(rule_idx, rhs, diags)?;
                for (side, other) in [(&**lhs, rhs_ty), (&**rhs, lhs_ty)] {
                    if let (
                        LExpr::Const(value @ ast::Const::Str(_), const_span),
                        Ty::T(Type::DateTime),
                    ) = (side, other)
                        && let Some(message) = self.const_problem(
                            *const_span,
                            value,
                            Type::DateTime,
                            "the other operand",
                        )
                    {
                        diags.push(self.mismatch(*const_span, message, "write an RFC 3339 date-time such as `\"2026-03-01T08:00:00Z\"`, or a date `\"2026-03-01\"`"));
                        return None;
                    }
                }
                match arith(*op, lhs_ty, rhs_ty) {
                    Ok(ty) => Some(ty),
                    Err(()) => {
                        let symbolic = [lhs_ty, rhs_ty]
                            .iter()
                            .any(|ty| matches!(ty, Ty::StrLit | Ty::T(Type::Symbol)));
                        let help = if symbolic {
                            "arithmetic works on numbers; join symbols with `cat(a, b)` or convert with `to_number`"
                        } else {
                            "date-times take `+` and `-` with a number of seconds (`t + days(2)`), and `t1 - t2` is a number of seconds"
                        };
                        let message = format!(
                            "type mismatch: cannot apply `{}` to a {} and a {}",
                            op.symbol(),
                            lhs_ty.describe(),
                            rhs_ty.describe()
                        );
                        diags.push(self.mismatch(*span, message, help));
                        None
                    }
                }
            }
            LExpr::Call(builtin, args, span) => {
                let mut ok = true;
                for arg in args {
                    let Some(ty) = self.check_expr(rule_idx, arg, diags) else {
                        ok = false;
                        continue;
                    };
                    let fine = match builtin {
                        Builtin::Days | Builtin::Hours | Builtin::Minutes => {
                            ty.is_integer() || ty == Ty::T(Type::Any)
                        }
                        Builtin::Strlen => {
                            matches!(ty, Ty::StrLit | Ty::T(Type::Symbol | Type::Any))
                        }
                        _ => true,
                    };
                    if !fine {
                        let wanted = if *builtin == Builtin::Strlen {
                            "a symbol"
                        } else {
                            "a whole number"
                        };
                        let message = format!(
                            "type mismatch: `{}` takes {wanted}, not a {}",
                            builtin.name(),
                            ty.describe()
                        );
                        diags.push(self.mismatch(
                            arg.span(),
                            message,
                            "convert the argument first",
                        ));
                        ok = false;
                    }
                }
                let _ = span;
                ok.then(|| builtin_ty(*builtin))
            }
        }
    }

    // ---- Conversion to `ir` with typed constants. ----

    /// The kind of an expression with final variable types (no reports).
    fn final_ty(&mut self, rule_idx: usize, expr: &LExpr) -> Ty {
        match expr {
            LExpr::Var(var, _) => Ty::T(self.var_type(rule_idx, *var)),
            LExpr::Const(value, _) => const_ty(value),
            LExpr::Neg(inner, _) => self.final_ty(rule_idx, inner),
            LExpr::Binary(op, lhs, rhs, _) => {
                let (lhs, rhs) = (self.final_ty(rule_idx, lhs), self.final_ty(rule_idx, rhs));
                arith(*op, lhs, rhs).unwrap_or(Ty::T(Type::Any))
            }
            LExpr::Call(builtin, _, _) => builtin_ty(*builtin),
        }
    }

    fn convert_rule(&mut self, rule_idx: usize, rule: &LRule) -> ir::Rule {
        let vars = (0..rule.vars.len())
            .map(|idx| ir::Var {
                name: rule.vars[idx].name.clone(),
                ty: self.var_type(rule_idx, VarId(idx as u32)),
            })
            .collect();
        let head_args = rule
            .head
            .args
            .iter()
            .enumerate()
            .map(|(col_idx, arg)| {
                let ty = self.col_type(rule.head.rel, col_idx);
                self.convert_expr(rule_idx, arg, Some(ty))
            })
            .collect();
        let body = self.convert_literals(rule_idx, &rule.body);
        ir::Rule {
            head: ir::Head {
                rel: rule.head.rel,
                args: head_args,
            },
            body,
            vars,
            origin: rule.origin,
        }
    }

    fn convert_literals(&mut self, rule_idx: usize, literals: &[LLit]) -> Vec<ir::Literal> {
        literals
            .iter()
            .map(|literal| match literal {
                LLit::Pos(atom) => ir::Literal::Positive(self.convert_atom(atom)),
                LLit::Neg(atom, _) => ir::Literal::Negative(self.convert_atom(atom)),
                LLit::Compare(op, lhs, rhs, _) => {
                    let (lhs_ty, rhs_ty) =
                        (self.final_ty(rule_idx, lhs), self.final_ty(rule_idx, rhs));
                    let lhs = self.convert_expr(rule_idx, lhs, hint(rhs_ty, None));
                    let rhs = self.convert_expr(rule_idx, rhs, hint(lhs_ty, None));
                    ir::Literal::Compare(*op, lhs, rhs)
                }
                LLit::Assign(var, expr, _) => {
                    let ty = self.var_type(rule_idx, *var);
                    ir::Literal::Assign(*var, self.convert_expr(rule_idx, expr, Some(ty)))
                }
                LLit::Agg(aggregate) => ir::Literal::Aggregate(ir::Aggregate {
                    result: aggregate.result,
                    func: aggregate.func,
                    target: aggregate
                        .target
                        .as_ref()
                        .map(|target| self.convert_expr(rule_idx, target, None)),
                    body: self.convert_literals(rule_idx, &aggregate.body),
                }),
            })
            .collect()
    }

    fn convert_atom(&mut self, atom: &LAtom) -> ir::Atom {
        let args = atom
            .args
            .iter()
            .enumerate()
            .map(|(col_idx, arg)| match arg {
                LTerm::Var(var, _) => ir::Term::Var(*var),
                LTerm::Const(value, _) => {
                    ir::Term::Const(convert_const(value, Some(self.col_type(atom.rel, col_idx))))
                }
                LTerm::Wildcard => ir::Term::Wildcard,
            })
            .collect();
        ir::Atom {
            rel: atom.rel,
            args,
        }
    }

    fn convert_expr(&mut self, rule_idx: usize, expr: &LExpr, expected: Option<Type>) -> ir::Expr {
        match expr {
            LExpr::Var(var, _) => ir::Expr::Var(*var),
            LExpr::Const(value, _) => ir::Expr::Const(convert_const(value, expected)),
            LExpr::Neg(inner, _) => {
                ir::Expr::Neg(Box::new(self.convert_expr(rule_idx, inner, expected)))
            }
            LExpr::Binary(op, lhs, rhs, _) => {
                let (lhs_ty, rhs_ty) = (self.final_ty(rule_idx, lhs), self.final_ty(rule_idx, rhs));
                // Seconds added to a date-time stay integers.
                let outer = expected.filter(|ty| ty.is_numeric());
                let lhs = self.convert_expr(rule_idx, lhs, hint(rhs_ty, outer));
                let rhs = self.convert_expr(rule_idx, rhs, hint(lhs_ty, outer));
                ir::Expr::Binary(*op, Box::new(lhs), Box::new(rhs))
            }
            LExpr::Call(builtin, args, _) => {
                let args = args
                    .iter()
                    .map(|arg| self.convert_expr(rule_idx, arg, None))
                    .collect();
                ir::Expr::Call(*builtin, args)
            }
        }
    }
}

/// The type a constant next to a value of kind `other` should take.
fn hint(other: Ty, outer: Option<Type>) -> Option<Type> {
    match other {
        Ty::T(ty) if ty.is_numeric() || ty == Type::DateTime => Some(ty),
        Ty::FloatLit => Some(Type::Float),
        _ => outer,
    }
}

/// A constant as a value of `expected` (when it can be one).
fn convert_const(value: &ast::Const, expected: Option<Type>) -> ir::Const {
    match (value, expected) {
        (ast::Const::Str(text), Some(Type::DateTime)) => match parse_datetime(text) {
            Some(micros) => ir::Const::Time(micros),
            None => ir::Const::Sym(text.clone()),
        },
        (ast::Const::Str(text), _) => ir::Const::Sym(text.clone()),
        (ast::Const::Int(v), Some(Type::Float)) => ir::Const::Float(*v as f64),
        (ast::Const::Int(v), Some(Type::Unsigned)) if *v >= 0 => ir::Const::Unsigned(*v as u64),
        (ast::Const::Int(v), _) => ir::Const::Int(*v),
        (ast::Const::Float(v), _) => ir::Const::Float(*v),
    }
}
