//! This module answers "why not" for a tuple that is not derived: for each
//! rule whose head could produce it, the head's variables are bound from the
//! tuple and the body is followed literal by literal, keeping every partial
//! binding that satisfies the literals so far; the first literal no partial
//! binding satisfies blocks the rule. For a blocking atom the tuples of its
//! relation that agree with the most bound columns are shown, so that a
//! missing link (a shipment without receipt) is visible. [`render_why_not`]
//! writes the answer as indented text.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::engine::Engine;
use crate::engine::ops::{self, CExpr, Val};
use crate::ir::{self, Const, Literal, RelId, RuleId, Term};
use crate::provenance::ExplainError;
use crate::provenance::search::{Search, Walk};
use crate::value::{Value, ValueStore};

mod render;

pub use render::{Asker, render_why_not};

/// At most this many partial bindings are followed per rule (the answer
/// says when the cap was reached: a binding left out might get further).
pub const PARTIAL_CAP: usize = 1000;

/// Closest tuples are searched against this many partial bindings.
const CLOSEST_BINDINGS: usize = 100;

/// Why a tuple is not derived.
#[derive(Clone, Debug)]
pub struct WhyNot {
    pub rel: RelId,
    pub tuple: Vec<Value>,
    /// Some rule derives `rel`; when `false` the tuple would be a base fact,
    /// and it is not recorded (`rules` is empty).
    pub derived: bool,
    /// Tuples of `rel` that agree with the most columns of `tuple`.
    pub closest: Vec<Near>,
    /// Per rule with a head for `rel`, in program order.
    pub rules: Vec<RuleWhyNot>,
}

#[derive(Clone, Debug)]
pub struct RuleWhyNot {
    pub rule: RuleId,
    pub outcome: Outcome,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    /// The head cannot have the tuple's values: column `col` needs another
    /// value (the head's constant there, a value of the variable's type, or,
    /// for a repeated variable, the value of column `same_as`).
    HeadMismatch { col: usize, same_as: Option<usize> },
    /// A body literal no partial binding satisfies.
    Blocked(Blocked),
    /// Every body literal can be satisfied, but the head's computed
    /// arguments never give the tuple: per sample binding (those whose head
    /// agrees with the most values first), the head's values (`None` where
    /// they cannot be computed).
    HeadComputed {
        samples: Vec<Binding>,
        computed: Vec<Vec<Option<Const>>>,
        partials: usize,
        capped: bool,
    },
    /// Only in a nested analysis of a premise with unbound columns (see
    /// [`Reason::NoMatch`]): the rule derives tuples with the needed values
    /// in the bound columns, but the premise's repeated variables or types
    /// reject them. One binding that satisfies the whole body.
    Holds { sample: Binding },
}

/// The values of a rule's variables (by `VarId`) and which are bound.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Binding {
    pub regs: Vec<Value>,
    pub bound: Vec<bool>,
}

#[derive(Clone, Debug)]
pub struct Blocked {
    /// The blocking literal, by index in `Rule::body`.
    pub literal: usize,
    /// How many partial bindings satisfy the literals before it (the head's
    /// alone when it is the first).
    pub partials: usize,
    /// Partial bindings were dropped at [`PARTIAL_CAP`] on the way: one of
    /// them might get further.
    pub capped: bool,
    /// The first partial bindings (at most `limit`), which `reason` refers to.
    pub samples: Vec<Binding>,
    pub reason: Reason,
}

#[derive(Clone, Debug)]
pub enum Reason {
    /// No tuple matches the atom under any partial binding.
    NoMatch {
        /// The tuples agreeing with the most bound columns (at most `limit`).
        closest: Vec<Near>,
        /// Some rule with a body derives the atom's relation (its missing
        /// tuple may itself be explained with why-not).
        derived: bool,
        /// Per column, the value the atom needs under the first sample
        /// (`None`: any value; all `Some` when the missing tuple is known).
        needed: Vec<Option<Value>>,
        /// When `derived`: the rules of the atom's relation analysed for the
        /// values the first sample needs (one level: their own blocking
        /// premises are not analysed further). Empty for a nested analysis.
        premise: Vec<RuleWhyNot>,
    },
    /// The negated atom has a match under every partial binding: per sample, one found.
    NegatedFound { found: Vec<Vec<Value>> },
    /// The comparison is false under every partial binding: per sample, the
    /// values of its two sides (`None` when a side cannot be computed).
    CompareFalse {
        sides: Vec<(Option<Const>, Option<Const>)>,
    },
    /// An assignment or aggregate gives no value, or not the value its
    /// variable already has (from the head): per sample, the value computed
    /// and the value expected (`None` when unbound).
    ValueDiffers {
        values: Vec<(Option<Const>, Option<Const>)>,
    },
}

/// A tuple of a relation compared with what an atom needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Near {
    pub tuple: Vec<Value>,
    /// Per column, the value needed there (`None`: any value).
    pub wanted: Vec<Option<Value>>,
}

impl Near {
    /// The columns whose value differs from the one needed.
    pub fn differs(&self) -> impl Iterator<Item = usize> + '_ {
        self.wanted
            .iter()
            .zip(&self.tuple)
            .enumerate()
            .filter(|(_, (wanted, value))| wanted.is_some_and(|w| w != **value))
            .map(|(col, _)| col)
    }
}

/// Why `tuple` of `rel` is not derived over the engine's current relations
/// (the engine needs no provenance). `limit` bounds the samples and closest
/// tuples shown per rule. `Err(ExplainError::Derived)` when it is derived.
pub fn why_not(
    engine: &mut Engine,
    program: &ir::Program,
    rel: RelId,
    tuple: &[Value],
    limit: usize,
) -> Result<WhyNot, ExplainError> {
    let relation = program.relation(rel);
    if tuple.len() != relation.arity() {
        return Err(ExplainError::Invalid(format!(
            "`{}` has {} columns, not {}",
            relation.name,
            relation.arity(),
            tuple.len()
        )));
    }
    if engine.contains(rel, tuple) {
        return Err(ExplainError::Derived);
    }
    let limit = limit.max(1);
    let derived = engine.is_derived(rel);
    let mut search = Search::new(engine, program);
    let pattern: Vec<Option<Value>> = tuple.iter().map(|&value| Some(value)).collect();
    let mut columns = Columns::default();
    let closest = closest(
        &mut search,
        &mut columns,
        rel,
        std::slice::from_ref(&pattern),
        &[],
        limit,
    );
    let rules = analyse_rules(&mut search, &mut columns, rel, &pattern, limit, true)?;
    Ok(WhyNot {
        rel,
        tuple: tuple.to_vec(),
        derived,
        closest,
        rules,
    })
}

/// Every rule for `rel`, analysed for tuples with the values of `pattern`
/// (`None`: any value); `nested` analyses a blocking derived premise one level down.
fn analyse_rules(
    search: &mut Search<'_>,
    columns: &mut Columns,
    rel: RelId,
    pattern: &[Option<Value>],
    limit: usize,
    nested: bool,
) -> Result<Vec<RuleWhyNot>, ExplainError> {
    let program = search.program;
    let mut rules = Vec::new();
    for (idx, rule) in program.rules.iter().enumerate() {
        if rule.head.rel != rel {
            continue;
        }
        let outcome = analyse(search, columns, rule, pattern, limit, nested)?;
        rules.push(RuleWhyNot {
            rule: RuleId(idx as u32),
            outcome,
        });
    }
    Ok(rules)
}

/// Follows one rule's body from the head's bindings to its blocking literal.
fn analyse(
    search: &mut Search<'_>,
    columns: &mut Columns,
    rule: &ir::Rule,
    pattern: &[Option<Value>],
    limit: usize,
    nested: bool,
) -> Result<Outcome, ExplainError> {
    let mut head = Walk::new(rule.vars.len());
    if let Err((col, same_as)) = bind_head(search, rule, pattern, &mut head) {
        return Ok(Outcome::HeadMismatch { col, same_as });
    }
    let head_bound = head.bound.clone();
    let mut partials = vec![head];
    let mut capped = false;
    for (idx, literal) in rule.body.iter().enumerate() {
        let mut next: Vec<Walk> = Vec::new();
        let mut seen: FxHashSet<Vec<Value>> = FxHashSet::default();
        'extend: for walk in &partials {
            for extended in extend(search, rule, literal, walk) {
                // All partial bindings bind the same variables: the values identify one.
                if !seen.insert(extended.regs.clone()) {
                    continue;
                }
                if next.len() == PARTIAL_CAP {
                    capped = true;
                    break 'extend;
                }
                next.push(extended);
            }
        }
        if next.is_empty() {
            let reason = reason(
                search,
                columns,
                rule,
                literal,
                &partials,
                &head_bound,
                limit,
                nested,
            )?;
            return Ok(Outcome::Blocked(Blocked {
                literal: idx,
                partials: partials.len(),
                capped,
                samples: partials.iter().take(limit).map(binding).collect(),
                reason,
            }));
        }
        partials = next;
    }
    if let Some(walk) = partials
        .iter()
        .find(|walk| head_fits(search, rule, pattern, walk))
    {
        if pattern.iter().all(Option::is_some) {
            // At a fixpoint a satisfied instance has fired: the relations are not up to date.
            let name = &search.program.relation(rule.head.rel).name;
            return Err(ExplainError::Invalid(format!(
                "a rule instance derives a tuple of `{name}` that is not in the relation"
            )));
        }
        return Ok(Outcome::Holds {
            sample: binding(walk),
        });
    }
    // The bindings whose head comes closest to the values asked for first.
    let relation = search.program.relation(rule.head.rel);
    let asked: Vec<Option<Const>> = pattern
        .iter()
        .zip(&relation.columns)
        .map(|(value, column)| value.map(|value| search.engine.values().decode(column.ty, value)))
        .collect();
    let mut scored: Vec<(usize, &Walk, Vec<Option<Const>>)> = partials
        .iter()
        .map(|walk| {
            let computed = head_values(search, rule, walk);
            let agree = computed
                .iter()
                .zip(&asked)
                .filter(|(got, asked)| got.is_some() && got == asked)
                .count();
            (agree, walk, computed)
        })
        .collect();
    scored.sort_by_key(|(agree, _, _)| std::cmp::Reverse(*agree));
    scored.truncate(limit);
    Ok(Outcome::HeadComputed {
        samples: scored.iter().map(|(_, walk, _)| binding(walk)).collect(),
        computed: scored
            .into_iter()
            .map(|(_, _, computed)| computed)
            .collect(),
        partials: partials.len(),
        capped,
    })
}

/// Binds the head variables that are whole arguments from the pattern's
/// values; `Err((col, same_as))` when column `col` cannot have its value
/// (a constant, a value of another type, or column `same_as` for a repeated variable).
fn bind_head(
    search: &mut Search<'_>,
    rule: &ir::Rule,
    pattern: &[Option<Value>],
    walk: &mut Walk,
) -> Result<(), (usize, Option<usize>)> {
    let relation = search.program.relation(rule.head.rel);
    for (col, arg) in rule.head.args.iter().enumerate() {
        let Some(value) = pattern[col] else { continue };
        let col_ty = relation.columns[col].ty;
        let values = search.engine.values_mut();
        match arg {
            ir::Expr::Var(var) => {
                let Some(raw) = ops::convert(values, col_ty, rule.var(*var).ty, value) else {
                    return Err((col, None));
                };
                let slot = var.0 as usize;
                if walk.bound[slot] && walk.regs[slot] != raw {
                    let same_as = (0..col).find(|&other| {
                        pattern[other].is_some()
                            && matches!(&rule.head.args[other], ir::Expr::Var(v) if v == var)
                    });
                    return Err((col, same_as));
                }
                walk.regs[slot] = raw;
                walk.bound[slot] = true;
            }
            ir::Expr::Const(constant) if values.encode(col_ty, constant) != Some(value) => {
                return Err((col, None));
            }
            // Computed arguments are checked once the body has bound their variables.
            _ => (),
        }
    }
    Ok(())
}

/// The head computes the pattern's values under `walk`.
fn head_fits(
    search: &mut Search<'_>,
    rule: &ir::Rule,
    pattern: &[Option<Value>],
    walk: &Walk,
) -> bool {
    let relation = search.program.relation(rule.head.rel);
    let values = search.engine.values_mut();
    rule.head
        .args
        .iter()
        .zip(&relation.columns)
        .zip(pattern)
        .all(|((arg, column), wanted)| {
            let Some(wanted) = wanted else { return true };
            let compiled = CExpr::compile(values, rule, arg, Some(column.ty));
            compiled
                .eval(values, &walk.regs)
                .and_then(|val| ops::encode(values, column.ty, val))
                == Some(*wanted)
        })
}

fn binding(walk: &Walk) -> Binding {
    Binding {
        regs: walk.regs.clone(),
        bound: walk.bound.clone(),
    }
}

/// The bindings that extend `walk` through `literal`.
fn extend(search: &mut Search<'_>, rule: &ir::Rule, literal: &Literal, walk: &Walk) -> Vec<Walk> {
    match literal {
        Literal::Positive(atom) => {
            let mut res = Vec::new();
            for row in search.matches(rule, atom, walk) {
                let mut next = walk.clone();
                if search.bind_atom(rule, atom, &row, &mut next) {
                    res.push(next);
                }
            }
            res
        }
        Literal::Negative(atom) => {
            if search.matches(rule, atom, walk).is_empty() {
                vec![walk.clone()]
            } else {
                Vec::new()
            }
        }
        Literal::Compare(op, lhs, rhs) => {
            if search.holds(rule, *op, lhs, rhs, walk) {
                vec![walk.clone()]
            } else {
                Vec::new()
            }
        }
        Literal::Assign(var, _) | Literal::Aggregate(ir::Aggregate { result: var, .. }) => {
            let Some(raw) = computed(search, rule, literal, walk) else {
                return Vec::new();
            };
            let slot = var.0 as usize;
            if walk.bound[slot] {
                return if walk.regs[slot] == raw {
                    vec![walk.clone()]
                } else {
                    Vec::new()
                };
            }
            let mut next = walk.clone();
            next.regs[slot] = raw;
            next.bound[slot] = true;
            vec![next]
        }
    }
}

/// The value an assignment or aggregate computes, encoded in its variable's type.
fn computed(
    search: &mut Search<'_>,
    rule: &ir::Rule,
    literal: &Literal,
    walk: &Walk,
) -> Option<Value> {
    match literal {
        Literal::Assign(var, expr) => {
            let ty = rule.var(*var).ty;
            let values = search.engine.values_mut();
            let compiled = CExpr::compile(values, rule, expr, Some(ty));
            let val = compiled.eval(values, &walk.regs)?;
            ops::encode(values, ty, val)
        }
        Literal::Aggregate(aggregate) => {
            let ty = rule.var(aggregate.result).ty;
            let val = search.aggregate_value(rule, aggregate, &walk.regs, &walk.bound)?;
            ops::encode(search.engine.values_mut(), ty, val)
        }
        _ => None,
    }
}

/// Why `literal` holds under none of `partials` (which is not empty).
#[allow(clippy::too_many_arguments)]
fn reason(
    search: &mut Search<'_>,
    columns: &mut Columns,
    rule: &ir::Rule,
    literal: &Literal,
    partials: &[Walk],
    head_bound: &[bool],
    limit: usize,
    nested: bool,
) -> Result<Reason, ExplainError> {
    Ok(match literal {
        Literal::Positive(atom) => {
            let wanted: Vec<Vec<Option<Value>>> = partials
                .iter()
                .take(CLOSEST_BINDINGS)
                .map(|walk| wanted_values(search, rule, atom, walk))
                .collect();
            let fixed: Vec<bool> = atom
                .args
                .iter()
                .map(|term| match term {
                    Term::Const(_) => true,
                    Term::Var(var) => head_bound[var.0 as usize],
                    Term::Wildcard => false,
                })
                .collect();
            let closest = closest(search, columns, atom.rel, &wanted, &fixed, limit);
            // Facts stated in the program are rules without body: not worth analysing.
            let derived = search
                .program
                .rules
                .iter()
                .any(|other| other.head.rel == atom.rel && !other.body.is_empty());
            let needed = wanted.first().cloned().unwrap_or_default();
            let premise = if derived && nested {
                analyse_rules(search, columns, atom.rel, &needed, limit, false)?
            } else {
                Vec::new()
            };
            Reason::NoMatch {
                closest,
                derived,
                needed,
                premise,
            }
        }
        Literal::Negative(atom) => Reason::NegatedFound {
            found: partials
                .iter()
                .take(limit)
                .filter_map(|walk| search.matches(rule, atom, walk).into_iter().next())
                .collect(),
        },
        Literal::Compare(_, lhs, rhs) => Reason::CompareFalse {
            sides: partials
                .iter()
                .take(limit)
                .map(|walk| {
                    let values = search.engine.values_mut();
                    let lhs_c = CExpr::compile(values, rule, lhs, ops::static_type(rule, rhs));
                    let rhs_c = CExpr::compile(values, rule, rhs, ops::static_type(rule, lhs));
                    let a = lhs_c.eval(values, &walk.regs);
                    let b = rhs_c.eval(values, &walk.regs);
                    (
                        a.map(|val| const_of(values, val)),
                        b.map(|val| const_of(values, val)),
                    )
                })
                .collect(),
        },
        Literal::Assign(var, _) | Literal::Aggregate(ir::Aggregate { result: var, .. }) => {
            let ty = rule.var(*var).ty;
            let slot = var.0 as usize;
            Reason::ValueDiffers {
                values: partials
                    .iter()
                    .take(limit)
                    .map(|walk| {
                        let got = computed(search, rule, literal, walk);
                        let values = search.engine.values();
                        let decode = |raw: Value| const_of(values, ops::decode(values, ty, raw));
                        let expected = walk.bound[slot].then(|| decode(walk.regs[slot]));
                        (got.map(decode), expected)
                    })
                    .collect(),
            }
        }
    })
}

/// Per column of `atom`, the value its constant or bound variable needs there.
fn wanted_values(
    search: &mut Search<'_>,
    rule: &ir::Rule,
    atom: &ir::Atom,
    walk: &Walk,
) -> Vec<Option<Value>> {
    let relation = search.program.relation(atom.rel);
    let values = search.engine.values_mut();
    atom.args
        .iter()
        .zip(&relation.columns)
        .map(|(term, column)| match term {
            Term::Var(var) if walk.bound[var.0 as usize] => ops::convert(
                values,
                rule.var(*var).ty,
                column.ty,
                walk.regs[var.0 as usize],
            ),
            Term::Const(value) => values.encode(column.ty, value),
            _ => None,
        })
        .collect()
}

/// The tuples of `rel` agreeing with the most needed columns of any of
/// `wanted` (at least one column), best first, at most `limit`; among equals
/// those agreeing with more `fixed` columns (values from the tuple asked
/// about or the rule, the same for every partial binding) first.
fn closest(
    search: &mut Search<'_>,
    columns: &mut Columns,
    rel: RelId,
    wanted: &[Vec<Option<Value>>],
    fixed: &[bool],
    limit: usize,
) -> Vec<Near> {
    // (columns agreeing, of which fixed, which `wanted`, row number)
    let mut scored: Vec<(usize, usize, usize, u32)> = Vec::new();
    for (which, needed) in wanted.iter().enumerate() {
        let mut hits: FxHashMap<u32, (usize, usize)> = FxHashMap::default();
        for (col, value) in needed.iter().enumerate() {
            let Some(value) = value else { continue };
            let weight = usize::from(fixed.get(col).copied().unwrap_or(false));
            for &row in columns.rows(search.engine, rel, col, *value) {
                let hit = hits.entry(row).or_default();
                hit.0 += 1;
                hit.1 += weight;
            }
        }
        // Only the best `limit` of each binding can be shown.
        let mut best: Vec<(usize, usize, usize, u32)> = hits
            .into_iter()
            .map(|(row, (score, fixed))| (score, fixed, which, row))
            .collect();
        best.sort_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)).then(a.3.cmp(&b.3)));
        best.truncate(limit);
        scored.extend(best);
    }
    scored.sort_by(|a, b| {
        (b.0, b.1)
            .cmp(&(a.0, a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    let mut seen = FxHashSet::default();
    let mut res = Vec::new();
    for (_, _, which, row) in scored {
        if res.len() == limit {
            break;
        }
        if seen.insert(row) {
            res.push(Near {
                tuple: search
                    .engine
                    .rows(rel)
                    .nth(row as usize)
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default(),
                wanted: wanted[which].clone(),
            });
        }
    }
    res
}

/// Per relation and column, the row numbers (in [`Engine::rows`] order) of
/// the tuples holding each value: built on first use, for the closest tuples.
#[derive(Default)]
struct Columns(FxHashMap<(RelId, usize), FxHashMap<Value, Vec<u32>>>);

impl Columns {
    fn rows(&mut self, engine: &Engine, rel: RelId, col: usize, value: Value) -> &[u32] {
        let index = self.0.entry((rel, col)).or_insert_with(|| {
            let mut index: FxHashMap<Value, Vec<u32>> = FxHashMap::default();
            for (row_idx, row) in engine.rows(rel).enumerate() {
                index.entry(row[col]).or_default().push(row_idx as u32);
            }
            index
        });
        index.get(&value).map_or(&[], Vec::as_slice)
    }
}

/// The head's arguments computed under `walk`, as constants.
fn head_values(search: &mut Search<'_>, rule: &ir::Rule, walk: &Walk) -> Vec<Option<Const>> {
    let relation = search.program.relation(rule.head.rel);
    let values = search.engine.values_mut();
    rule.head
        .args
        .iter()
        .zip(&relation.columns)
        .map(|(arg, column)| {
            let compiled = CExpr::compile(values, rule, arg, Some(column.ty));
            compiled
                .eval(values, &walk.regs)
                .map(|val| const_of(values, val))
        })
        .collect()
}

fn const_of(values: &ValueStore, val: Val) -> Const {
    match val {
        Val::Int(v) => Const::Int(v),
        Val::Uns(v) => Const::Unsigned(v),
        Val::Float(v) => Const::Float(v),
        Val::Time(v) => Const::Time(v),
        Val::Sym(id) => Const::Sym(values.symbol(id).to_string()),
    }
}
