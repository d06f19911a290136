//! This module implements the value semantics rule bodies and heads compute
//! with: decoded values ([`Val`]), the shared order, equality by kind and
//! value, checked arithmetic, the built-in functions, and expressions compiled
//! against a rule's variable registers.

use std::cmp::Ordering;

use crate::ir::{self, ArithOp, Builtin, CompareOp, Type};
use crate::value::{self, Dyn, Value, ValueStore};

/// A decoded value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Val {
    Int(i64),
    Uns(u64),
    Float(f64),
    /// Microseconds since the epoch.
    Time(i64),
    Sym(u32),
}

const MICROS: i64 = 1_000_000;

pub(crate) fn decode(store: &ValueStore, ty: Type, raw: Value) -> Val {
    match ty {
        Type::Symbol => Val::Sym(raw as u32),
        Type::Number => Val::Int(value::decode_int(raw)),
        Type::Unsigned => Val::Uns(raw),
        Type::Float => Val::Float(value::decode_float(raw)),
        Type::DateTime => Val::Time(value::decode_int(raw)),
        Type::Any => match store.dyn_value(raw) {
            Dyn::Sym(id) => Val::Sym(*id),
            Dyn::Int(v) => Val::Int(*v),
            Dyn::Unsigned(v) => Val::Uns(*v),
            Dyn::Float(bits) => Val::Float(value::decode_float(*bits)),
            Dyn::Time(v) => Val::Time(*v),
        },
    }
}

/// Encodes a value for a column or variable of type `ty`; `None` when it is
/// not a value of that type.
pub(crate) fn encode(store: &mut ValueStore, ty: Type, val: Val) -> Option<Value> {
    let res = match (ty, val) {
        (Type::Symbol, Val::Sym(id)) => Value::from(id),
        (Type::Number, Val::Int(v)) => value::encode_int(v),
        (Type::Number, Val::Uns(v)) => value::encode_int(i64::try_from(v).ok()?),
        (Type::Unsigned, Val::Uns(v)) => v,
        (Type::Unsigned, Val::Int(v)) => u64::try_from(v).ok()?,
        (Type::Float, Val::Float(v)) => value::encode_float(v),
        (Type::Float, Val::Int(v)) => value::encode_float(v as f64),
        (Type::Float, Val::Uns(v)) => value::encode_float(v as f64),
        (Type::DateTime, Val::Time(v)) => value::encode_int(v),
        (Type::DateTime, Val::Sym(id)) => {
            value::encode_int(value::parse_datetime(store.symbol(id))?)
        }
        (Type::Any, val) => store.intern_dyn(match val {
            Val::Sym(id) => Dyn::Sym(id),
            Val::Int(v) => Dyn::Int(v),
            Val::Uns(v) => Dyn::Unsigned(v),
            Val::Float(v) => Dyn::Float(value::encode_float(v)),
            Val::Time(v) => Dyn::Time(v),
        }),
        _ => return None,
    };
    Some(res)
}

/// Converts a stored value between column/variable types (identity when equal).
pub(crate) fn convert(store: &mut ValueStore, from: Type, to: Type, raw: Value) -> Option<Value> {
    if from == to {
        return Some(raw);
    }
    let val = decode(store, from, raw);
    encode(store, to, val)
}

pub(crate) fn from_const(store: &mut ValueStore, value: &ir::Const) -> Val {
    match value {
        ir::Const::Sym(text) => Val::Sym(store.intern(text)),
        ir::Const::Int(v) => Val::Int(*v),
        ir::Const::Unsigned(v) => Val::Uns(*v),
        ir::Const::Float(v) => Val::Float(*v),
        ir::Const::Time(v) => Val::Time(*v),
    }
}

/// Equality is identity of kind and value (1 ≠ 1.0, "1" ≠ 1).
pub(crate) fn val_eq(a: Val, b: Val) -> bool {
    match (a, b) {
        (Val::Float(x), Val::Float(y)) => value::encode_float(x) == value::encode_float(y),
        _ => a == b,
    }
}

/// The shared order: numbers (numerically; on a tie integers before floats)
/// < datetimes < symbols (lexicographic by UTF-8 bytes).
pub(crate) fn val_cmp(store: &ValueStore, a: Val, b: Val) -> Ordering {
    fn rank(val: Val) -> u8 {
        match val {
            Val::Int(_) | Val::Uns(_) | Val::Float(_) => 0,
            Val::Time(_) => 1,
            Val::Sym(_) => 2,
        }
    }
    fn kind(val: Val) -> u8 {
        match val {
            Val::Int(_) => 0,
            Val::Uns(_) => 1,
            _ => 2,
        }
    }
    match (a, b) {
        (Val::Sym(x), Val::Sym(y)) => store.symbol(x).as_bytes().cmp(store.symbol(y).as_bytes()),
        (Val::Time(x), Val::Time(y)) => x.cmp(&y),
        _ if rank(a) != rank(b) => rank(a).cmp(&rank(b)),
        (Val::Int(x), Val::Int(y)) => x.cmp(&y),
        (Val::Uns(x), Val::Uns(y)) => x.cmp(&y),
        (Val::Float(x), Val::Float(y)) => x.total_cmp(&y),
        (Val::Int(_) | Val::Uns(_), Val::Int(_) | Val::Uns(_)) => {
            as_i128(a).cmp(&as_i128(b)).then(kind(a).cmp(&kind(b)))
        }
        _ => {
            let (x, y) = (as_f64(a), as_f64(b));
            x.partial_cmp(&y)
                .unwrap_or(Ordering::Equal)
                .then(kind(a).cmp(&kind(b)))
        }
    }
}

fn as_i128(val: Val) -> i128 {
    match val {
        Val::Int(v) => i128::from(v),
        Val::Uns(v) => i128::from(v),
        _ => 0,
    }
}

fn as_f64(val: Val) -> f64 {
    match val {
        Val::Int(v) => v as f64,
        Val::Uns(v) => v as f64,
        Val::Float(v) => v,
        _ => f64::NAN,
    }
}

pub(crate) fn compare(store: &ValueStore, op: CompareOp, a: Val, b: Val) -> bool {
    match op {
        CompareOp::Eq => val_eq(a, b),
        CompareOp::Ne => !val_eq(a, b),
        CompareOp::Lt => val_cmp(store, a, b) == Ordering::Less,
        CompareOp::Le => val_cmp(store, a, b) != Ordering::Greater,
        CompareOp::Gt => val_cmp(store, a, b) == Ordering::Greater,
        CompareOp::Ge => val_cmp(store, a, b) != Ordering::Less,
    }
}

/// Checked arithmetic; `None` (no tuple) on overflow, division by zero or
/// operands without arithmetic (symbols).
pub(crate) fn arith(op: ArithOp, a: Val, b: Val) -> Option<Val> {
    let res = match (a, b) {
        (Val::Int(x), Val::Int(y)) => Val::Int(int_op(op, x, y)?),
        (Val::Uns(x), Val::Uns(y)) => Val::Uns(match op {
            ArithOp::Add => x.checked_add(y)?,
            ArithOp::Sub => x.checked_sub(y)?,
            ArithOp::Mul => x.checked_mul(y)?,
            ArithOp::Div => x.checked_div(y)?,
            ArithOp::Rem => x.checked_rem(y)?,
        }),
        (Val::Int(x), Val::Uns(y)) => Val::Int(int_op(op, x, i64::try_from(y).ok()?)?),
        (Val::Uns(x), Val::Int(y)) => Val::Int(int_op(op, i64::try_from(x).ok()?, y)?),
        (Val::Float(_), Val::Int(_) | Val::Uns(_) | Val::Float(_))
        | (Val::Int(_) | Val::Uns(_), Val::Float(_)) => {
            let (x, y) = (as_f64(a), as_f64(b));
            // IEEE 754: division by zero gives an infinity or NaN, not "no tuple".
            let res = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
                ArithOp::Rem => x % y,
            };
            Val::Float(res)
        }
        // Datetime ± seconds → datetime; datetime − datetime → seconds.
        (Val::Time(t), Val::Int(_) | Val::Uns(_)) => {
            let micros = seconds(b)?.checked_mul(MICROS)?;
            match op {
                ArithOp::Add => Val::Time(t.checked_add(micros)?),
                ArithOp::Sub => Val::Time(t.checked_sub(micros)?),
                _ => return None,
            }
        }
        (Val::Int(_) | Val::Uns(_), Val::Time(t)) if op == ArithOp::Add => {
            Val::Time(t.checked_add(seconds(a)?.checked_mul(MICROS)?)?)
        }
        (Val::Time(x), Val::Time(y)) if op == ArithOp::Sub => Val::Int(x.checked_sub(y)? / MICROS),
        _ => return None,
    };
    Some(res)
}

fn seconds(val: Val) -> Option<i64> {
    match val {
        Val::Int(v) => Some(v),
        Val::Uns(v) => i64::try_from(v).ok(),
        _ => None,
    }
}

fn int_op(op: ArithOp, x: i64, y: i64) -> Option<i64> {
    match op {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::Div => x.checked_div(y),
        ArithOp::Rem => x.checked_rem(y),
    }
}

pub(crate) fn negate(val: Val) -> Option<Val> {
    match val {
        Val::Int(v) => Some(Val::Int(v.checked_neg()?)),
        Val::Uns(0) => Some(Val::Uns(0)),
        Val::Float(v) => Some(Val::Float(-v)),
        _ => None,
    }
}

/// Text of a value as `cat` and `to_string` see it.
fn text_of(store: &ValueStore, val: Val) -> String {
    match val {
        Val::Sym(id) => store.symbol(id).to_owned(),
        Val::Int(v) => v.to_string(),
        Val::Uns(v) => v.to_string(),
        Val::Float(v) => v.to_string(),
        Val::Time(v) => value::format_datetime(v),
    }
}

pub(crate) fn call(store: &mut ValueStore, builtin: Builtin, args: &[Val]) -> Option<Val> {
    let unit = |factor: i64| -> Option<Val> {
        match args.first()? {
            Val::Int(v) => Some(Val::Int(v.checked_mul(factor)?)),
            Val::Uns(v) => Some(Val::Int(i64::try_from(*v).ok()?.checked_mul(factor)?)),
            Val::Float(v) => Some(Val::Float(v * factor as f64)),
            _ => None,
        }
    };
    match builtin {
        Builtin::Days => unit(86_400),
        Builtin::Hours => unit(3_600),
        Builtin::Minutes => unit(60),
        Builtin::Cat => {
            let mut text = String::new();
            for &arg in args {
                match arg {
                    Val::Sym(id) => text.push_str(store.symbol(id)),
                    other => text.push_str(&text_of(store, other)),
                }
            }
            Some(Val::Sym(store.intern(&text)))
        }
        // Characters (docs/language.md), not bytes.
        Builtin::Strlen => match args.first()? {
            Val::Sym(id) => Some(Val::Int(
                i64::try_from(store.symbol(*id).chars().count()).ok()?,
            )),
            _ => None,
        },
        Builtin::ToNumber => match *args.first()? {
            Val::Sym(id) => store.symbol(id).trim().parse::<i64>().ok().map(Val::Int),
            Val::Int(v) => Some(Val::Int(v)),
            Val::Uns(v) => i64::try_from(v).ok().map(Val::Int),
            Val::Float(v) if v.is_finite() && v.abs() < 9.2e18 => Some(Val::Int(v.trunc() as i64)),
            _ => None,
        },
        Builtin::ToString => {
            let text = text_of(store, *args.first()?);
            Some(Val::Sym(store.intern(&text)))
        }
        Builtin::ToFloat => match *args.first()? {
            Val::Sym(id) => store
                .symbol(id)
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Val::Float),
            Val::Int(v) => Some(Val::Float(v as f64)),
            Val::Uns(v) => Some(Val::Float(v as f64)),
            Val::Float(v) => Some(Val::Float(v)),
            Val::Time(_) => None,
        },
    }
}

/// An expression with constants decoded and variables as registers.
#[derive(Clone, Debug)]
pub(crate) enum CExpr {
    Reg(usize, Type),
    Lit(Val),
    Neg(Box<CExpr>),
    Bin(ArithOp, Box<CExpr>, Box<CExpr>),
    Call(Builtin, Vec<CExpr>),
}

impl CExpr {
    /// Compiles `expr` of `rule`; a symbol constant where a datetime is
    /// expected (`hint`) is read as a datetime.
    pub(crate) fn compile(
        store: &mut ValueStore,
        rule: &ir::Rule,
        expr: &ir::Expr,
        hint: Option<Type>,
    ) -> CExpr {
        match expr {
            ir::Expr::Var(var) => CExpr::Reg(var.0 as usize, rule.var(*var).ty),
            ir::Expr::Const(ir::Const::Sym(text)) if hint == Some(Type::DateTime) => {
                match value::parse_datetime(text) {
                    Some(micros) => CExpr::Lit(Val::Time(micros)),
                    None => CExpr::Lit(Val::Sym(store.intern(text))),
                }
            }
            ir::Expr::Const(value) => CExpr::Lit(from_const(store, value)),
            ir::Expr::Neg(inner) => CExpr::Neg(Box::new(CExpr::compile(store, rule, inner, hint))),
            ir::Expr::Binary(op, lhs, rhs) => {
                let lhs_hint = static_type(rule, rhs).or(hint);
                let rhs_hint = static_type(rule, lhs).or(hint);
                CExpr::Bin(
                    *op,
                    Box::new(CExpr::compile(store, rule, lhs, lhs_hint)),
                    Box::new(CExpr::compile(store, rule, rhs, rhs_hint)),
                )
            }
            ir::Expr::Call(builtin, args) => CExpr::Call(
                *builtin,
                args.iter()
                    .map(|arg| CExpr::compile(store, rule, arg, None))
                    .collect(),
            ),
        }
    }

    pub(crate) fn eval(&self, store: &mut ValueStore, regs: &[Value]) -> Option<Val> {
        match self {
            CExpr::Reg(reg, ty) => Some(decode(store, *ty, regs[*reg])),
            CExpr::Lit(val) => Some(*val),
            CExpr::Neg(inner) => negate(inner.eval(store, regs)?),
            CExpr::Bin(op, lhs, rhs) => {
                let lhs = lhs.eval(store, regs)?;
                let rhs = rhs.eval(store, regs)?;
                arith(*op, lhs, rhs)
            }
            // Up to four arguments live on the stack: no allocation per tuple.
            CExpr::Call(builtin, args) if args.len() <= 4 => {
                let mut vals = [Val::Int(0); 4];
                for (slot, arg) in vals.iter_mut().zip(args) {
                    *slot = arg.eval(store, regs)?;
                }
                call(store, *builtin, &vals[..args.len()])
            }
            CExpr::Call(builtin, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for arg in args {
                    vals.push(arg.eval(store, regs)?);
                }
                call(store, *builtin, &vals)
            }
        }
    }
}

/// The type of a variable expression (what constants beside it mean).
pub(crate) fn static_type(rule: &ir::Rule, expr: &ir::Expr) -> Option<Type> {
    match expr {
        ir::Expr::Var(var) => Some(rule.var(*var).ty),
        _ => None,
    }
}

/// An aggregate over the values of its `n` distinct assignments (the engine
/// while evaluating, the proof search while re-checking a step); `None` when
/// the rule does not fire (empty min, max or mean, an overflow).
pub(crate) fn fold_aggregate(
    store: &ValueStore,
    func: crate::ir::AggregateFunc,
    mut picked: impl Iterator<Item = Val>,
    n: usize,
) -> Option<Val> {
    use crate::ir::AggregateFunc;
    match func {
        AggregateFunc::Count => Some(Val::Int(i64::try_from(n).ok()?)),
        AggregateFunc::Sum => {
            let Some(mut acc) = picked.next() else {
                return Some(Val::Int(0));
            };
            for val in picked {
                acc = arith(crate::ir::ArithOp::Add, acc, val)?;
            }
            Some(acc)
        }
        AggregateFunc::Min | AggregateFunc::Max => {
            let want = if func == AggregateFunc::Min {
                Ordering::Less
            } else {
                Ordering::Greater
            };
            let mut best = picked.next()?;
            for val in picked {
                if val_cmp(store, val, best) == want {
                    best = val;
                }
            }
            Some(best)
        }
        AggregateFunc::Mean => {
            if n == 0 {
                return None;
            }
            let mut sum = 0.0;
            for val in picked {
                sum += match val {
                    Val::Int(v) => v as f64,
                    Val::Uns(v) => v as f64,
                    Val::Float(v) => v,
                    _ => return None,
                };
            }
            Some(Val::Float(sum / n as f64))
        }
    }
}
