//! This module defines how values are stored: every value is one `u64` whose
//! meaning depends on the column's [`Type`], and the [`ValueStore`] that
//! interns symbols (and the values of mixed-kind `any` columns).
//!
//! Encodings keep order where the type has one, so a sorted relation is sorted
//! by value: numbers and datetimes flip the sign bit, floats use the IEEE
//! total-order trick, unsigned is itself. Symbols are interned ids in first-seen
//! order, so comparisons between symbols decode them (lexicographic order).
//! An `any` column holds ids of interned [`Dyn`] values; equal ids mean equal values.

mod interner;

use rustc_hash::FxHashMap;

use crate::ir::{Const, Type};

pub type Value = u64;

pub fn encode_int(value: i64) -> Value {
    (value as u64) ^ (1 << 63)
}

pub fn decode_int(value: Value) -> i64 {
    (value ^ (1 << 63)) as i64
}

pub fn encode_float(value: f64) -> Value {
    // Normalise -0.0 and NaN so that equal floats have equal encodings.
    let value = if value == 0.0 {
        0.0
    } else if value.is_nan() {
        f64::NAN
    } else {
        value
    };
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

pub fn decode_float(value: Value) -> f64 {
    let bits = if value >> 63 == 1 {
        value & !(1 << 63)
    } else {
        !value
    };
    f64::from_bits(bits)
}

/// A value of an `any` column, kept whole in the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dyn {
    Sym(u32),
    Int(i64),
    Unsigned(u64),
    /// Bits of the float (normalised as in [`encode_float`]).
    Float(u64),
    Time(i64),
}

/// Interned symbols and dynamic values of one engine.
#[derive(Debug, Default)]
pub struct ValueStore {
    symbols: interner::Interner,
    dyn_ids: FxHashMap<Dyn, u32>,
    dyns: Vec<Dyn>,
}

impl ValueStore {
    pub fn intern(&mut self, text: &str) -> u32 {
        self.symbols.intern(text)
    }

    /// The id of a symbol already interned, without adding it.
    pub fn symbol_id(&self, text: &str) -> Option<u32> {
        self.symbols.lookup(text)
    }

    pub fn symbol(&self, id: u32) -> &str {
        self.symbols.get(id)
    }

    /// Makes room for about `extra` more symbols of `bytes` bytes in all, so
    /// that a large load does not rebuild the table many times.
    pub fn reserve_symbols(&mut self, extra: usize, bytes: usize) {
        self.symbols.reserve(extra, bytes);
    }

    pub fn n_symbols(&self) -> usize {
        self.symbols.len()
    }

    /// The id of a dynamic value (the stored value of an `any` column), interning it.
    pub fn intern_dyn(&mut self, value: Dyn) -> Value {
        if let Some(&id) = self.dyn_ids.get(&value) {
            return id as Value;
        }
        let id = self.dyns.len() as u32;
        self.dyns.push(value.clone());
        self.dyn_ids.insert(value, id);
        id as Value
    }

    /// The number of dynamic values interned (ids `0..n_dyns()`).
    pub fn n_dyns(&self) -> usize {
        self.dyns.len()
    }

    pub fn dyn_value(&self, value: Value) -> &Dyn {
        &self.dyns[value as usize]
    }

    /// Encodes a constant for a column of type `ty`; `None` when the constant
    /// cannot be a value of that type (the checker reports such programs).
    pub fn encode(&mut self, ty: Type, value: &Const) -> Option<Value> {
        let res = match (ty, value) {
            (Type::Symbol, Const::Sym(text)) => self.intern(text) as Value,
            (Type::Number, Const::Int(v)) => encode_int(*v),
            (Type::Number, Const::Unsigned(v)) => encode_int(i64::try_from(*v).ok()?),
            (Type::Unsigned, Const::Unsigned(v)) => *v,
            (Type::Unsigned, Const::Int(v)) => u64::try_from(*v).ok()?,
            (Type::Float, Const::Float(v)) => encode_float(*v),
            (Type::Float, Const::Int(v)) => encode_float(*v as f64),
            (Type::DateTime, Const::Time(v)) => encode_int(*v),
            (Type::DateTime, Const::Sym(text)) => encode_int(parse_datetime(text)?),
            (Type::Any, value) => {
                let value = match value {
                    Const::Sym(text) => Dyn::Sym(self.intern(text)),
                    Const::Int(v) => Dyn::Int(*v),
                    Const::Unsigned(v) => Dyn::Unsigned(*v),
                    Const::Float(v) => Dyn::Float(encode_float(*v)),
                    Const::Time(v) => Dyn::Time(*v),
                };
                self.intern_dyn(value)
            }
            _ => return None,
        };
        Some(res)
    }

    /// Decodes a stored value of a column of type `ty`.
    pub fn decode(&self, ty: Type, value: Value) -> Const {
        match ty {
            Type::Symbol => Const::Sym(self.symbol(value as u32).to_owned()),
            Type::Number => Const::Int(decode_int(value)),
            Type::Unsigned => Const::Unsigned(value),
            Type::Float => Const::Float(decode_float(value)),
            Type::DateTime => Const::Time(decode_int(value)),
            Type::Any => match self.dyn_value(value) {
                Dyn::Sym(id) => Const::Sym(self.symbol(*id).to_owned()),
                Dyn::Int(v) => Const::Int(*v),
                Dyn::Unsigned(v) => Const::Unsigned(*v),
                Dyn::Float(bits) => Const::Float(decode_float(*bits)),
                Dyn::Time(v) => Const::Time(*v),
            },
        }
    }

    /// Parses one field of a fact file into a value of type `ty`. In an `any`
    /// column a field that reads as an integer or a float is a number, anything
    /// else a symbol. The error says what was expected.
    pub fn parse(&mut self, ty: Type, field: &str) -> Result<Value, String> {
        match ty {
            Type::Symbol => Ok(self.intern(field) as Value),
            Type::Number => field
                .trim()
                .parse::<i64>()
                .map(encode_int)
                .map_err(|_| format!("expected a number (64-bit integer), found `{field}`")),
            Type::Unsigned => field
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("expected an unsigned number, found `{field}`")),
            Type::Float => field
                .trim()
                .parse::<f64>()
                .map(encode_float)
                .map_err(|_| format!("expected a float, found `{field}`")),
            Type::DateTime => parse_datetime(field.trim()).map(encode_int).ok_or_else(|| {
                format!(
                    "expected an RFC 3339 date-time such as `2026-03-01T08:00:00Z`, found `{field}`"
                )
            }),
            Type::Any => {
                let value = if let Ok(v) = field.parse::<i64>() {
                    Const::Int(v)
                } else if let Some(v) = parse_plain_float(field) {
                    Const::Float(v)
                } else {
                    Const::Sym(field.to_owned())
                };
                Ok(self
                    .encode(Type::Any, &value)
                    .expect("any column takes every constant"))
            }
        }
    }

    /// Writes a stored value as text, as it appears in output files.
    pub fn write(&self, out: &mut String, ty: Type, value: Value) {
        use std::fmt::Write;
        match ty {
            Type::Symbol => out.push_str(self.symbol(value as u32)),
            Type::Number => write!(out, "{}", decode_int(value)).unwrap(),
            Type::Unsigned => write!(out, "{value}").unwrap(),
            Type::Float => write_float(out, decode_float(value)),
            Type::DateTime => out.push_str(&format_datetime(decode_int(value))),
            Type::Any => write_const(out, &self.decode(Type::Any, value)),
        }
    }
}

/// Writes a constant as text (symbols unquoted).
pub fn write_const(out: &mut String, value: &Const) {
    use std::fmt::Write;
    match value {
        Const::Sym(text) => out.push_str(text),
        Const::Int(v) => write!(out, "{v}").unwrap(),
        Const::Unsigned(v) => write!(out, "{v}").unwrap(),
        Const::Float(v) => write_float(out, *v),
        Const::Time(v) => out.push_str(&format_datetime(*v)),
    }
}

/// Writes a float so that it reads back as a float: `1.0`, not `1`, which
/// would be an integer (and a different value) in an `any` column.
fn write_float(out: &mut String, value: f64) {
    use std::fmt::Write;
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e16 {
        write!(out, "{value:.1}").unwrap();
    } else {
        write!(out, "{value}").unwrap();
    }
}

/// A float written in decimal (`1.5`, `-2e3`); not `inf` or `nan`, which stay symbols.
fn parse_plain_float(field: &str) -> Option<f64> {
    let looks_numeric = field
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
    if !looks_numeric {
        return None;
    }
    field.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses RFC 3339 (`2026-03-01T08:00:00Z`, `...+01:00`, fractional seconds) or a
/// plain date `2026-03-01` (midnight UTC) into microseconds since the epoch.
pub fn parse_datetime(text: &str) -> Option<i64> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_micros());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros())
}

/// Formats microseconds since the epoch as RFC 3339 in UTC (`Z`), with
/// fractional seconds only when there are any.
pub fn format_datetime(micros: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(micros) {
        Some(time) => time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        None => format!("{micros}us"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_keep_order() {
        let ints = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        for pair in ints.windows(2) {
            assert!(encode_int(pair[0]) < encode_int(pair[1]));
            assert_eq!(decode_int(encode_int(pair[0])), pair[0]);
        }
        let floats = [f64::NEG_INFINITY, -2.5, -0.0, 1e-9, 3.0, f64::INFINITY];
        for pair in floats.windows(2) {
            assert!(encode_float(pair[0]) < encode_float(pair[1]), "{pair:?}");
            assert_eq!(decode_float(encode_float(pair[1])), pair[1]);
        }
        assert_eq!(encode_float(-0.0), encode_float(0.0));
    }

    #[test]
    fn datetimes_round_trip_in_utc() {
        let micros = parse_datetime("2026-03-01T09:30:00+01:00").unwrap();
        assert_eq!(format_datetime(micros), "2026-03-01T08:30:00Z");
        assert_eq!(
            format_datetime(parse_datetime("2026-03-01").unwrap()),
            "2026-03-01T00:00:00Z"
        );
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn any_columns_keep_kinds_apart() {
        let mut store = ValueStore::default();
        let one = store.parse(Type::Any, "1").unwrap();
        let one_sym = store.encode(Type::Any, &Const::Sym("1".into())).unwrap();
        assert_ne!(one, one_sym);
        assert_eq!(store.decode(Type::Any, one), Const::Int(1));
    }
}
