//! This module is the test oracle: a deliberately naive evaluator of checked
//! programs, written for clarity and independence from the engine (it shares
//! only `ir`). Strata run in order; within a stratum every rule is applied to
//! every combination of tuples (nested loops with a binding environment)
//! until nothing changes. Values are `ir::Const`, compared with [`Key`], a
//! direct implementation of the shared value order.
//!
//! It is a module of the test binaries (`mod reference;`) and a test binary
//! of its own, which runs the unit tests below.

#![allow(dead_code)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use tracelog::ir::{
    self, AggregateFunc, ArithOp, Atom, Builtin, CompareOp, Const, Expr, Literal, RelId, Rule,
    Term, Type,
};

/// A value with the shared total order: numbers (compared by value, an
/// integer before a float on an exact tie) < date-times < symbols (by bytes).
/// Two keys are equal exactly when kind and value are the same.
#[derive(Clone, Debug)]
pub struct Key(pub Const);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        compare(&self.0, &other.0) == Ordering::Equal
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        compare(&self.0, &other.0)
    }
}

/// A tuple of a relation.
pub type Row = Vec<Key>;

/// Every relation's tuples, indexed by `RelId`.
pub type Db = Vec<BTreeSet<Row>>;

/// Kinds in the order of the shared value order: numbers, date-times, symbols.
fn kind_rank(value: &Const) -> u8 {
    match value {
        Const::Int(_) | Const::Unsigned(_) | Const::Float(_) => 0,
        Const::Time(_) => 1,
        Const::Sym(_) => 2,
    }
}

/// Among numbers of equal value: integers first, then unsigned, then floats.
fn number_rank(value: &Const) -> u8 {
    match value {
        Const::Int(_) => 0,
        Const::Unsigned(_) => 1,
        _ => 2,
    }
}

/// -0.0 and 0.0 are one value, as are all NaNs.
fn normal_float(value: f64) -> f64 {
    if value == 0.0 {
        0.0
    } else if value.is_nan() {
        f64::NAN
    } else {
        value
    }
}

/// An exact comparison of an integer with a float (no rounding through `as f64`).
fn cmp_int_float(int: i128, float: f64) -> Ordering {
    if float.is_nan() {
        return Ordering::Less;
    }
    // Every i64 and u64 lies strictly between these bounds.
    if float >= 1e30 {
        return Ordering::Less;
    }
    if float <= -1e30 {
        return Ordering::Greater;
    }
    let whole = float.trunc();
    match int.cmp(&(whole as i128)) {
        Ordering::Equal if float > whole => Ordering::Less,
        Ordering::Equal if float < whole => Ordering::Greater,
        other => other,
    }
}

fn cmp_numbers(a: &Const, b: &Const) -> Ordering {
    let as_int = |value: &Const| match value {
        Const::Int(v) => Some(*v as i128),
        Const::Unsigned(v) => Some(*v as i128),
        _ => None,
    };
    let as_float = |value: &Const| match value {
        Const::Float(v) => normal_float(*v),
        _ => unreachable!("only numbers reach cmp_numbers"),
    };
    let by_value = match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(x), None) => cmp_int_float(x, as_float(b)),
        (None, Some(y)) => cmp_int_float(y, as_float(a)).reverse(),
        (None, None) => as_float(a).total_cmp(&as_float(b)),
    };
    by_value.then(number_rank(a).cmp(&number_rank(b)))
}

/// The shared total order on values.
pub fn compare(a: &Const, b: &Const) -> Ordering {
    match (a, b) {
        (Const::Sym(x), Const::Sym(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Const::Time(x), Const::Time(y)) => x.cmp(y),
        _ if kind_rank(a) == 0 && kind_rank(b) == 0 => cmp_numbers(a, b),
        _ => kind_rank(a).cmp(&kind_rank(b)),
    }
}

/// Equality is identity of kind and value.
pub fn same(a: &Const, b: &Const) -> bool {
    compare(a, b) == Ordering::Equal
}

/// Parses RFC 3339 text (or a plain date, midnight UTC) into microseconds.
fn parse_time(text: &str) -> Option<i64> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_micros());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros())
}

/// The value a constant has in a column (or variable) of type `ty`; `None`
/// when it cannot be a value of that type.
pub fn coerce(ty: Type, value: Const) -> Option<Const> {
    match (ty, value) {
        (Type::Any, value) => Some(value),
        (Type::Symbol, value @ Const::Sym(_)) => Some(value),
        (Type::Number, value @ Const::Int(_)) => Some(value),
        (Type::Number, Const::Unsigned(v)) => i64::try_from(v).ok().map(Const::Int),
        (Type::Unsigned, value @ Const::Unsigned(_)) => Some(value),
        (Type::Unsigned, Const::Int(v)) => u64::try_from(v).ok().map(Const::Unsigned),
        (Type::Float, Const::Float(v)) => Some(Const::Float(normal_float(v))),
        (Type::Float, Const::Int(v)) => Some(Const::Float(v as f64)),
        (Type::DateTime, value @ Const::Time(_)) => Some(value),
        (Type::DateTime, Const::Sym(text)) => parse_time(&text).map(Const::Time),
        _ => None,
    }
}

const MICROS: i64 = 1_000_000;

/// `a op b` per the value semantics; `None` when the instance produces nothing.
pub fn arith(op: ArithOp, a: &Const, b: &Const) -> Option<Const> {
    use Const::*;
    match (a, b) {
        (Int(x), Int(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(*y),
                ArithOp::Sub => x.checked_sub(*y),
                ArithOp::Mul => x.checked_mul(*y),
                ArithOp::Div => x.checked_div(*y),
                ArithOp::Rem => x.checked_rem(*y),
            };
            r.map(Int)
        }
        (Unsigned(x), Unsigned(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(*y),
                ArithOp::Sub => x.checked_sub(*y),
                ArithOp::Mul => x.checked_mul(*y),
                ArithOp::Div => x.checked_div(*y),
                ArithOp::Rem => x.checked_rem(*y),
            };
            r.map(Unsigned)
        }
        (Float(_), Int(_) | Unsigned(_) | Float(_)) | (Int(_) | Unsigned(_), Float(_)) => {
            let to_f = |c: &Const| match c {
                Int(v) => *v as f64,
                Unsigned(v) => *v as f64,
                Float(v) => *v,
                _ => unreachable!(),
            };
            let (x, y) = (to_f(a), to_f(b));
            let r = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
                ArithOp::Rem => x % y,
            };
            Some(Float(normal_float(r)))
        }
        (Time(t), Int(s)) => {
            let delta = s.checked_mul(MICROS)?;
            match op {
                ArithOp::Add => t.checked_add(delta).map(Time),
                ArithOp::Sub => t.checked_sub(delta).map(Time),
                _ => None,
            }
        }
        (Int(s), Time(t)) if op == ArithOp::Add => t.checked_add(s.checked_mul(MICROS)?).map(Time),
        (Time(x), Time(y)) if op == ArithOp::Sub => Some(Int(x.checked_sub(*y)? / MICROS)),
        _ => None,
    }
}

fn negate(value: &Const) -> Option<Const> {
    match value {
        Const::Int(v) => v.checked_neg().map(Const::Int),
        Const::Float(v) => Some(Const::Float(normal_float(-v))),
        Const::Unsigned(0) => Some(Const::Unsigned(0)),
        _ => None,
    }
}

/// A value as text, for `cat` and `to_string`.
fn text_of(value: &Const) -> String {
    match value {
        Const::Sym(text) => text.clone(),
        Const::Int(v) => v.to_string(),
        Const::Unsigned(v) => v.to_string(),
        Const::Float(v) => v.to_string(),
        Const::Time(v) => chrono::DateTime::from_timestamp_micros(*v)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_default(),
    }
}

fn call(builtin: Builtin, args: &[Const]) -> Option<Const> {
    let seconds = |factor: i64| match args {
        [Const::Int(n)] => n.checked_mul(factor).map(Const::Int),
        [Const::Unsigned(n)] => n.checked_mul(factor as u64).map(Const::Unsigned),
        [Const::Float(n)] => Some(Const::Float(n * factor as f64)),
        _ => None,
    };
    match builtin {
        Builtin::Days => seconds(86_400),
        Builtin::Hours => seconds(3_600),
        Builtin::Minutes => seconds(60),
        Builtin::Cat => Some(Const::Sym(args.iter().map(text_of).collect())),
        Builtin::Strlen => match args {
            [Const::Sym(text)] => Some(Const::Int(text.chars().count() as i64)),
            _ => None,
        },
        Builtin::ToNumber => match args {
            [Const::Sym(text)] => text.trim().parse::<i64>().ok().map(Const::Int),
            [Const::Int(v)] => Some(Const::Int(*v)),
            [Const::Unsigned(v)] => i64::try_from(*v).ok().map(Const::Int),
            [Const::Float(v)] if v.is_finite() && v.abs() < 9.2e18 => {
                Some(Const::Int(v.trunc() as i64))
            }
            _ => None,
        },
        Builtin::ToString => match args {
            [value] => Some(Const::Sym(text_of(value))),
            _ => None,
        },
        Builtin::ToFloat => match args {
            [Const::Sym(text)] => text
                .trim()
                .parse::<f64>()
                .ok()
                .map(|v| Const::Float(normal_float(v))),
            [Const::Int(v)] => Some(Const::Float(*v as f64)),
            [Const::Unsigned(v)] => Some(Const::Float(*v as f64)),
            [Const::Float(v)] => Some(Const::Float(*v)),
            _ => None,
        },
    }
}

/// The binding environment of one rule instance, indexed by `VarId`.
type Env = Vec<Option<Const>>;

fn eval(expr: &Expr, env: &Env) -> Option<Const> {
    match expr {
        Expr::Var(var) => env[var.0 as usize].clone(),
        Expr::Const(value) => Some(value.clone()),
        Expr::Neg(inner) => negate(&eval(inner, env)?),
        Expr::Binary(op, a, b) => arith(*op, &eval(a, env)?, &eval(b, env)?),
        Expr::Call(builtin, args) => {
            let args = args
                .iter()
                .map(|arg| eval(arg, env))
                .collect::<Option<Vec<_>>>()?;
            call(*builtin, &args)
        }
    }
}

fn holds(op: CompareOp, a: &Const, b: &Const) -> bool {
    let order = compare(a, b);
    match op {
        CompareOp::Eq => order == Ordering::Equal,
        CompareOp::Ne => order != Ordering::Equal,
        CompareOp::Lt => order == Ordering::Less,
        CompareOp::Le => order != Ordering::Greater,
        CompareOp::Gt => order == Ordering::Greater,
        CompareOp::Ge => order != Ordering::Less,
    }
}

/// The evaluation ran past its tuple limit (a runaway program).
#[derive(Debug, PartialEq)]
pub struct TooBig;

struct Evaluator<'p> {
    program: &'p ir::Program,
    db: Db,
}

impl Evaluator<'_> {
    /// Matches `atom` against `row`, binding unbound variables; returns the
    /// variables it bound (to undo), or `None` (with nothing bound) on a mismatch.
    fn match_atom(&self, atom: &Atom, row: &Row, env: &mut Env) -> Option<Vec<usize>> {
        let columns = &self.program.relation(atom.rel).columns;
        let mut bound = Vec::new();
        for ((term, Key(value)), column) in atom.args.iter().zip(row).zip(columns) {
            let ok = match term {
                Term::Wildcard => true,
                Term::Const(constant) => {
                    coerce(column.ty, constant.clone()).is_some_and(|c| same(&c, value))
                }
                Term::Var(var) => match &env[var.0 as usize] {
                    Some(current) => same(current, value),
                    None => {
                        env[var.0 as usize] = Some(value.clone());
                        bound.push(var.0 as usize);
                        true
                    }
                },
            };
            if !ok {
                for idx in bound {
                    env[idx] = None;
                }
                return None;
            }
        }
        Some(bound)
    }

    /// Calls `found` once for every way the literals hold, extending `env`.
    fn solve(&self, rule: &Rule, literals: &[Literal], env: &mut Env, found: &mut dyn FnMut(&Env)) {
        let Some((first, rest)) = literals.split_first() else {
            found(env);
            return;
        };
        match first {
            Literal::Positive(atom) => {
                for row in &self.db[atom.rel.0 as usize] {
                    if let Some(bound) = self.match_atom(atom, row, env) {
                        self.solve(rule, rest, env, found);
                        for idx in bound {
                            env[idx] = None;
                        }
                    }
                }
            }
            Literal::Negative(atom) => {
                // Variables still unbound here are local to the atom: any value.
                let mut matched = false;
                for row in &self.db[atom.rel.0 as usize] {
                    if let Some(bound) = self.match_atom(atom, row, env) {
                        for idx in bound {
                            env[idx] = None;
                        }
                        matched = true;
                        break;
                    }
                }
                if !matched {
                    self.solve(rule, rest, env, found);
                }
            }
            Literal::Compare(op, a, b) => {
                if let (Some(a), Some(b)) = (eval(a, env), eval(b, env))
                    && holds(*op, &a, &b)
                {
                    self.solve(rule, rest, env, found);
                }
            }
            Literal::Assign(var, expr) => {
                let Some(value) = eval(expr, env).and_then(|v| coerce(rule.var(*var).ty, v)) else {
                    return;
                };
                self.bind_then(rule, *var, value, rest, env, found);
            }
            Literal::Aggregate(aggregate) => {
                if let Some(value) = self.aggregate(rule, aggregate, env) {
                    self.bind_then(rule, aggregate.result, value, rest, env, found);
                }
            }
        }
    }

    /// Binds `var` to `value` (or checks it, when already bound) and goes on.
    fn bind_then(
        &self,
        rule: &Rule,
        var: ir::VarId,
        value: Const,
        rest: &[Literal],
        env: &mut Env,
        found: &mut dyn FnMut(&Env),
    ) {
        let idx = var.0 as usize;
        match &env[idx] {
            Some(current) => {
                if same(current, &value) {
                    self.solve(rule, rest, env, found);
                }
            }
            None => {
                env[idx] = Some(value);
                self.solve(rule, rest, env, found);
                env[idx] = None;
            }
        }
    }

    /// The aggregate's value for the group fixed by `env`, or `None` when it has none.
    fn aggregate(&self, rule: &Rule, aggregate: &ir::Aggregate, env: &mut Env) -> Option<Const> {
        let outer: Vec<bool> = env.iter().map(Option::is_some).collect();
        // Distinct assignments of the body's local variables, with the target's value.
        let mut seen: BTreeSet<Vec<(usize, Key)>> = BTreeSet::new();
        let mut targets: Vec<Option<Const>> = Vec::new();
        self.solve(rule, &aggregate.body, env, &mut |inner: &Env| {
            let locals: Vec<(usize, Key)> = inner
                .iter()
                .enumerate()
                .filter(|(idx, value)| !outer[*idx] && value.is_some())
                .map(|(idx, value)| (idx, Key(value.clone().expect("filtered"))))
                .collect();
            if seen.insert(locals) {
                targets.push(
                    aggregate
                        .target
                        .as_ref()
                        .and_then(|target| eval(target, inner)),
                );
            }
        });
        let result_ty = rule.var(aggregate.result).ty;
        let value = match aggregate.func {
            AggregateFunc::Count => Const::Int(targets.len() as i64),
            AggregateFunc::Sum => {
                // The sum keeps the target's kind; an empty group sums to zero.
                let mut values = targets.into_iter();
                match values.next() {
                    None => Const::Int(0),
                    Some(first) => {
                        let mut total = first?;
                        for value in values {
                            total = arith(ArithOp::Add, &total, &value?)?;
                        }
                        total
                    }
                }
            }
            AggregateFunc::Min => targets
                .into_iter()
                .collect::<Option<Vec<_>>>()?
                .into_iter()
                .min_by(compare)?,
            AggregateFunc::Max => targets
                .into_iter()
                .collect::<Option<Vec<_>>>()?
                .into_iter()
                .max_by(compare)?,
            AggregateFunc::Mean => {
                let values = targets.into_iter().collect::<Option<Vec<_>>>()?;
                if values.is_empty() {
                    return None;
                }
                let mut total = 0.0;
                for value in &values {
                    total += match value {
                        Const::Int(v) => *v as f64,
                        Const::Unsigned(v) => *v as f64,
                        Const::Float(v) => *v,
                        _ => return None,
                    };
                }
                Const::Float(normal_float(total / values.len() as f64))
            }
        };
        coerce(result_ty, value)
    }
}

/// Evaluates `program` on the base facts `base` (rows of constants, coerced to
/// the column types). Fails with [`TooBig`] when more than `max_tuples` tuples
/// would be derived.
pub fn evaluate(
    program: &ir::Program,
    base: &BTreeMap<RelId, Vec<Vec<Const>>>,
    max_tuples: usize,
) -> Result<Db, TooBig> {
    let mut evaluator = Evaluator {
        program,
        db: vec![BTreeSet::new(); program.relations.len()],
    };
    let mut total = 0;
    for (rel, rows) in base {
        let columns = &program.relation(*rel).columns;
        for row in rows {
            let row: Option<Row> = row
                .iter()
                .zip(columns)
                .map(|(value, column)| coerce(column.ty, value.clone()).map(Key))
                .collect();
            if let Some(row) = row
                && evaluator.db[rel.0 as usize].insert(row)
            {
                total += 1;
            }
        }
    }
    for stratum in &program.strata {
        loop {
            let mut derived: Vec<(RelId, Row)> = Vec::new();
            for rule_id in &stratum.rules {
                let rule = program.rule(*rule_id);
                let columns = &program.relation(rule.head.rel).columns;
                let mut env: Env = vec![None; rule.vars.len()];
                evaluator.solve(rule, &rule.body, &mut env, &mut |env: &Env| {
                    let row: Option<Row> = rule
                        .head
                        .args
                        .iter()
                        .zip(columns)
                        .map(|(arg, column)| {
                            eval(arg, env).and_then(|v| coerce(column.ty, v)).map(Key)
                        })
                        .collect();
                    if let Some(row) = row {
                        derived.push((rule.head.rel, row));
                    }
                });
            }
            let mut changed = false;
            for (rel, row) in derived {
                if evaluator.db[rel.0 as usize].insert(row) {
                    changed = true;
                    total += 1;
                    if total > max_tuples {
                        return Err(TooBig);
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }
    Ok(evaluator.db)
}

/// A value as shown in test output: symbols quoted, floats always with a
/// fraction or exponent (so `1.0` is not mistaken for `1`), date-times in RFC 3339.
pub fn show(value: &Const) -> String {
    match value {
        Const::Sym(text) => format!("{text:?}"),
        Const::Int(v) => v.to_string(),
        Const::Unsigned(v) => v.to_string(),
        Const::Float(v) => format!("{v:?}"),
        Const::Time(_) => text_of(value),
    }
}

/// A tuple as `(a, b, c)`.
pub fn show_row(row: &[Key]) -> String {
    let fields: Vec<String> = row.iter().map(|key| show(&key.0)).collect();
    format!("({})", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracelog::ir::{Column, Head, Program, Relation, Stratum, Var, VarId};
    use tracelog::source::{FileId, Span};

    fn span() -> Span {
        Span::new(FileId(0), 0, 0)
    }

    fn relation(name: &str, types: &[Type]) -> Relation {
        Relation {
            name: name.into(),
            columns: types
                .iter()
                .enumerate()
                .map(|(idx, ty)| Column {
                    name: format!("_{idx}"),
                    ty: *ty,
                    type_name: ty.name().into(),
                })
                .collect(),
            decl: None,
            first_use: span(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: None,
            hidden: false,
        }
    }

    fn rule(head: RelId, args: Vec<Expr>, body: Vec<Literal>, vars: &[Type]) -> Rule {
        Rule {
            head: Head { rel: head, args },
            body,
            vars: vars
                .iter()
                .enumerate()
                .map(|(idx, ty)| Var {
                    name: format!("v{idx}"),
                    ty: *ty,
                })
                .collect(),
            origin: span(),
        }
    }

    fn v(idx: u32) -> Term {
        Term::Var(VarId(idx))
    }

    fn ev(idx: u32) -> Expr {
        Expr::Var(VarId(idx))
    }

    fn atom(rel: u32, args: Vec<Term>) -> Literal {
        Literal::Positive(Atom {
            rel: RelId(rel),
            args,
        })
    }

    fn sym(text: &str) -> Const {
        Const::Sym(text.into())
    }

    fn rows(db: &Db, rel: u32) -> Vec<String> {
        db[rel as usize].iter().map(|row| show_row(row)).collect()
    }

    fn edges(pairs: &[(&str, &str)]) -> Vec<Vec<Const>> {
        pairs.iter().map(|(a, b)| vec![sym(a), sym(b)]).collect()
    }

    #[test]
    fn order_is_the_shared_order() {
        let mut values = [
            sym("b"),
            Const::Time(5),
            Const::Float(1.0),
            sym("a"),
            Const::Int(2),
            Const::Int(1),
            Const::Float(0.5),
            sym("B"),
            Const::Int(-3),
            Const::Float(-0.0),
        ];
        values.sort_by(compare);
        let shown: Vec<String> = values.iter().map(show).collect();
        assert_eq!(
            shown,
            [
                "-3",
                "-0.0",
                "0.5",
                "1",
                "1.0",
                "2",
                "1970-01-01T00:00:00.000005Z",
                "\"B\"",
                "\"a\"",
                "\"b\""
            ]
        );
        assert!(!same(&Const::Int(1), &Const::Float(1.0)));
        assert!(!same(&sym("1"), &Const::Int(1)));
        assert!(same(&Const::Float(0.0), &Const::Float(-0.0)));
        assert_eq!(
            cmp_int_float(i64::MAX as i128, 9_223_372_036_854_775_808.0),
            Ordering::Less
        );
        assert_eq!(cmp_int_float(-1, -0.5), Ordering::Less);
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(arith(ArithOp::Div, &Const::Int(7), &Const::Int(0)), None);
        assert_eq!(
            arith(ArithOp::Rem, &Const::Int(-7), &Const::Int(2)),
            Some(Const::Int(-1))
        );
        assert_eq!(
            arith(ArithOp::Add, &Const::Int(i64::MAX), &Const::Int(1)),
            None
        );
        assert_eq!(
            arith(ArithOp::Sub, &Const::Unsigned(1), &Const::Unsigned(2)),
            None
        );
        assert_eq!(
            arith(ArithOp::Add, &Const::Int(1), &Const::Float(0.5)),
            Some(Const::Float(1.5))
        );
        assert_eq!(arith(ArithOp::Add, &sym("a"), &Const::Int(1)), None);
        assert_eq!(
            arith(
                ArithOp::Sub,
                &Const::Time(5 * MICROS),
                &Const::Time(2 * MICROS)
            ),
            Some(Const::Int(3))
        );
        assert_eq!(
            call(Builtin::Days, &[Const::Int(2)]),
            Some(Const::Int(172_800))
        );
        assert_eq!(call(Builtin::Strlen, &[sym("é1")]), Some(Const::Int(2)));
        assert_eq!(call(Builtin::ToNumber, &[sym("x")]), None);
    }

    #[test]
    fn transitive_closure_reaches_a_fixpoint() {
        // path(x, y) :- edge(x, y).  path(x, z) :- path(x, y), edge(y, z).
        let program = Program {
            relations: vec![
                relation("edge", &[Type::Symbol; 2]),
                relation("path", &[Type::Symbol; 2]),
            ],
            rules: vec![
                rule(
                    RelId(1),
                    vec![ev(0), ev(1)],
                    vec![atom(0, vec![v(0), v(1)])],
                    &[Type::Symbol; 2],
                ),
                rule(
                    RelId(1),
                    vec![ev(0), ev(2)],
                    vec![atom(1, vec![v(0), v(1)]), atom(0, vec![v(1), v(2)])],
                    &[Type::Symbol; 3],
                ),
            ],
            strata: vec![
                Stratum {
                    relations: vec![RelId(0)],
                    rules: vec![],
                    recursive: false,
                },
                Stratum {
                    relations: vec![RelId(1)],
                    rules: vec![ir::RuleId(0), ir::RuleId(1)],
                    recursive: true,
                },
            ],
            ..Program::default()
        };
        let base = BTreeMap::from([(
            RelId(0),
            edges(&[("a", "b"), ("b", "c"), ("c", "a"), ("d", "d")]),
        )]);
        let db = evaluate(&program, &base, 1000).unwrap();
        assert_eq!(db[1].len(), 10);
        assert!(rows(&db, 1).contains(&"(\"a\", \"a\")".to_owned()));
        assert!(!rows(&db, 1).contains(&"(\"a\", \"d\")".to_owned()));
    }

    #[test]
    fn negated_atom_with_local_variable() {
        // no_loop(i) :- item(i), not pair(i, p, p).
        let program = Program {
            relations: vec![
                relation("item", &[Type::Symbol]),
                relation("pair", &[Type::Symbol; 3]),
                relation("no_loop", &[Type::Symbol]),
            ],
            rules: vec![rule(
                RelId(2),
                vec![ev(0)],
                vec![
                    atom(0, vec![v(0)]),
                    Literal::Negative(Atom {
                        rel: RelId(1),
                        args: vec![v(0), v(1), v(1)],
                    }),
                ],
                &[Type::Symbol; 2],
            )],
            strata: vec![
                Stratum {
                    relations: vec![RelId(0), RelId(1)],
                    rules: vec![],
                    recursive: false,
                },
                Stratum {
                    relations: vec![RelId(2)],
                    rules: vec![ir::RuleId(0)],
                    recursive: false,
                },
            ],
            ..Program::default()
        };
        let base = BTreeMap::from([
            (RelId(0), vec![vec![sym("A")], vec![sym("B")]]),
            (
                RelId(1),
                vec![
                    vec![sym("A"), sym("x"), sym("x")],
                    vec![sym("B"), sym("x"), sym("y")],
                ],
            ),
        ]);
        let db = evaluate(&program, &base, 1000).unwrap();
        assert_eq!(rows(&db, 2), ["(\"B\")"]);
    }

    #[test]
    fn aggregates_over_empty_and_full_groups() {
        // c(l, n) :- lot(l), n = count : { shipped(l, $0, _) }.   (count: 0 for L3)
        // m(l, q) :- lot(l), q = min x : { shipped(l, _, x) }.  (no row for L3)
        // s(l, q) :- lot(l), q = sum x : { shipped(l, $0, x) }.
        let lot = relation("lot", &[Type::Symbol]);
        let shipped = relation("shipped", &[Type::Symbol, Type::Symbol, Type::Number]);
        let out = relation("out", &[Type::Symbol, Type::Number]);
        let shipped_atom = |args| {
            vec![Literal::Positive(Atom {
                rel: RelId(1),
                args,
            })]
        };
        let agg = |func, target: Option<Expr>, body| {
            Literal::Aggregate(ir::Aggregate {
                result: VarId(1),
                func,
                target,
                body,
            })
        };
        let vars = [Type::Symbol, Type::Number, Type::Symbol, Type::Number];
        let program = Program {
            relations: vec![
                lot,
                shipped,
                out.clone(),
                relation("m", &[Type::Symbol, Type::Number]),
                out,
            ],
            rules: vec![
                rule(
                    RelId(2),
                    vec![ev(0), ev(1)],
                    vec![
                        atom(0, vec![v(0)]),
                        agg(
                            AggregateFunc::Count,
                            None,
                            shipped_atom(vec![v(0), v(2), v(3)]),
                        ),
                    ],
                    &vars,
                ),
                rule(
                    RelId(3),
                    vec![ev(0), ev(1)],
                    vec![
                        atom(0, vec![v(0)]),
                        agg(
                            AggregateFunc::Min,
                            Some(ev(3)),
                            shipped_atom(vec![v(0), Term::Wildcard, v(3)]),
                        ),
                    ],
                    &vars,
                ),
                rule(
                    RelId(4),
                    vec![ev(0), ev(1)],
                    vec![
                        atom(0, vec![v(0)]),
                        agg(
                            AggregateFunc::Sum,
                            Some(ev(3)),
                            shipped_atom(vec![v(0), v(2), v(3)]),
                        ),
                    ],
                    &vars,
                ),
            ],
            strata: vec![
                Stratum {
                    relations: vec![RelId(0), RelId(1)],
                    rules: vec![],
                    recursive: false,
                },
                Stratum {
                    relations: vec![RelId(2), RelId(3), RelId(4)],
                    rules: vec![ir::RuleId(0), ir::RuleId(1), ir::RuleId(2)],
                    recursive: false,
                },
            ],
            ..Program::default()
        };
        let base = BTreeMap::from([
            (
                RelId(0),
                vec![vec![sym("L1")], vec![sym("L2")], vec![sym("L3")]],
            ),
            (
                RelId(1),
                vec![
                    vec![sym("L1"), sym("DC1"), Const::Int(12)],
                    vec![sym("L1"), sym("DC2"), Const::Int(12)],
                    vec![sym("L2"), sym("DC1"), Const::Int(7)],
                ],
            ),
        ]);
        let db = evaluate(&program, &base, 1000).unwrap();
        assert_eq!(rows(&db, 2), ["(\"L1\", 2)", "(\"L2\", 1)", "(\"L3\", 0)"]);
        assert_eq!(rows(&db, 3), ["(\"L1\", 12)", "(\"L2\", 7)"]);
        assert_eq!(rows(&db, 4), ["(\"L1\", 24)", "(\"L2\", 7)", "(\"L3\", 0)"]);
    }

    #[test]
    fn runaway_programs_stop_at_the_limit() {
        // n(0).  n(x + 1) :- n(x).
        let program = Program {
            relations: vec![relation("n", &[Type::Number])],
            rules: vec![
                rule(RelId(0), vec![Expr::Const(Const::Int(0))], vec![], &[]),
                rule(
                    RelId(0),
                    vec![Expr::Binary(
                        ArithOp::Add,
                        Box::new(ev(0)),
                        Box::new(Expr::Const(Const::Int(1))),
                    )],
                    vec![atom(0, vec![v(0)])],
                    &[Type::Number],
                ),
            ],
            strata: vec![Stratum {
                relations: vec![RelId(0)],
                rules: vec![ir::RuleId(0), ir::RuleId(1)],
                recursive: true,
            }],
            ..Program::default()
        };
        assert_eq!(evaluate(&program, &BTreeMap::new(), 50), Err(TooBig));
    }
}
