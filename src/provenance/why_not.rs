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
use crate::provenance::render::{Shown, compare_text, const_text, tuple_text, value_text};
use crate::provenance::search::{Search, Walk};
use crate::source::SourceMap;
use crate::value::{Value, ValueStore};

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
    /// arguments never give the tuple: per sample binding, the head's values
    /// (`None` where they cannot be computed).
    HeadComputed {
        samples: Vec<Binding>,
        computed: Vec<Vec<Option<Const>>>,
        partials: usize,
        capped: bool,
    },
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
        /// The atom's relation is derived by rules (its missing tuple may
        /// itself be explained with why-not).
        derived: bool,
        /// The atom under the first sample, when all its arguments are bound.
        missing: Option<Vec<Value>>,
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
    if engine.contains(rel, tuple) {
        return Err(ExplainError::Derived);
    }
    let limit = limit.max(1);
    let derived = engine.is_derived(rel);
    let mut search = Search::new(engine, program);
    let wanted: Vec<Option<Value>> = tuple.iter().map(|&value| Some(value)).collect();
    let closest = closest(&mut search, rel, std::slice::from_ref(&wanted), limit);
    let mut rules = Vec::new();
    for (idx, rule) in program.rules.iter().enumerate() {
        if rule.head.rel != rel {
            continue;
        }
        let rule_id = RuleId(idx as u32);
        let outcome = analyse(&mut search, rule, tuple, limit)?;
        rules.push(RuleWhyNot {
            rule: rule_id,
            outcome,
        });
    }
    Ok(WhyNot {
        rel,
        tuple: tuple.to_vec(),
        derived,
        closest,
        rules,
    })
}

/// Follows one rule's body from the head's bindings to its blocking literal.
fn analyse(
    search: &mut Search<'_>,
    rule: &ir::Rule,
    tuple: &[Value],
    limit: usize,
) -> Result<Outcome, ExplainError> {
    let mut head = Walk::new(rule.vars.len());
    if let Err(mismatch) = search.bind_head(rule, tuple, &mut head) {
        return Ok(Outcome::HeadMismatch {
            col: mismatch.col,
            same_as: mismatch.same_as,
        });
    }
    let mut partials = vec![head];
    let mut capped = false;
    for (idx, literal) in rule.body.iter().enumerate() {
        let mut next: Vec<Walk> = Vec::new();
        let mut seen: FxHashSet<Vec<Value>> = FxHashSet::default();
        'extend: for walk in &partials {
            for extended in extend(search, rule, literal, walk) {
                // Bound flags follow from the literals passed: the values identify a binding.
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
            let reason = reason(search, rule, literal, &partials, limit);
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
    if partials
        .iter()
        .any(|walk| search.head_matches(rule, tuple, walk))
    {
        // At a fixpoint a satisfied instance has fired: the relations are not up to date.
        let name = &search.program.relation(rule.head.rel).name;
        return Err(ExplainError::Invalid(format!(
            "a rule instance derives a tuple of `{name}` that is not in the relation"
        )));
    }
    let computed = partials
        .iter()
        .take(limit)
        .map(|walk| head_values(search, rule, walk))
        .collect();
    Ok(Outcome::HeadComputed {
        samples: partials.iter().take(limit).map(binding).collect(),
        computed,
        partials: partials.len(),
        capped,
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
fn reason(
    search: &mut Search<'_>,
    rule: &ir::Rule,
    literal: &Literal,
    partials: &[Walk],
    limit: usize,
) -> Reason {
    match literal {
        Literal::Positive(atom) => {
            let wanted: Vec<Vec<Option<Value>>> = partials
                .iter()
                .take(CLOSEST_BINDINGS)
                .map(|walk| wanted_values(search, rule, atom, walk))
                .collect();
            let closest = closest(search, atom.rel, &wanted, limit);
            let missing = wanted
                .first()
                .filter(|_| atom.args.iter().all(|term| !matches!(term, Term::Wildcard)))
                .and_then(|first| first.iter().copied().collect::<Option<Vec<Value>>>());
            Reason::NoMatch {
                closest,
                derived: search.engine.is_derived(atom.rel),
                missing,
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
    }
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
/// `wanted` (at least one column), best first, at most `limit`.
fn closest(
    search: &mut Search<'_>,
    rel: RelId,
    wanted: &[Vec<Option<Value>>],
    limit: usize,
) -> Vec<Near> {
    // (columns agreeing, which `wanted`, row number)
    let mut scored: Vec<(usize, usize, u32)> = Vec::new();
    for (which, needed) in wanted.iter().enumerate() {
        let mut hits: FxHashMap<u32, usize> = FxHashMap::default();
        for (col, value) in needed.iter().enumerate() {
            let Some(value) = value else { continue };
            for row in search.row_ids(rel, &[col], &[*value]) {
                *hits.entry(row).or_default() += 1;
            }
        }
        scored.extend(hits.into_iter().map(|(row, score)| (score, which, row)));
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut seen = FxHashSet::default();
    let mut res = Vec::new();
    for (_, which, row) in scored {
        if res.len() == limit {
            break;
        }
        if seen.insert(row) {
            res.push(Near {
                tuple: search.row(rel, row).to_vec(),
                wanted: wanted[which].clone(),
            });
        }
    }
    res
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

/// The answer as indented text for an analyst.
pub fn render_why_not(
    why: &WhyNot,
    program: &ir::Program,
    sources: &SourceMap,
    values: &ValueStore,
) -> String {
    let mut out = String::new();
    let relation = program.relation(why.rel);
    let asked = tuple_text(program, values, why.rel, &why.tuple);
    if !why.derived {
        out.push_str(&format!(
            "{asked} is not a recorded fact.\n    `{}` is a base relation (no rule derives it): the fact was never given or recorded.\n",
            relation.name
        ));
    } else {
        out.push_str(&format!(
            "{asked} is not derived: {} and it is not a given fact.\n",
            match why.rules.len() {
                1 => "the one rule for it does not apply".to_string(),
                n => format!("none of the {n} rules for it applies"),
            }
        ));
    }
    if !why.closest.is_empty() {
        out.push_str(&format!("    closest tuples of `{}`:\n", relation.name));
        for near in &why.closest {
            out.push_str(&near_text(program, values, why.rel, near, 8));
        }
    }
    for rule_why in &why.rules {
        out.push('\n');
        let rule = program.rule(rule_why.rule);
        out.push_str(&rule_header(program, sources, rule));
        match &rule_why.outcome {
            Outcome::HeadMismatch { col, same_as } => {
                out.push_str(&format!(
                    "    cannot derive it: {}\n",
                    head_needs(program, values, rule, &why.tuple, *col, *same_as)
                ));
            }
            Outcome::Blocked(blocked) => {
                out.push_str(&blocked_text(program, values, rule, blocked));
            }
            Outcome::HeadComputed {
                samples,
                computed,
                partials,
                capped,
            } => {
                out.push_str(&format!(
                    "    every literal of the body holds ({}), but the head computes other values:\n",
                    count_text(*partials, *capped, "binding")
                ));
                for (sample, computed) in samples.iter().zip(computed) {
                    let args: Vec<String> = computed
                        .iter()
                        .map(|value| match value {
                            Some(value) => const_text(value),
                            None => "(cannot be computed)".to_string(),
                        })
                        .collect();
                    out.push_str(&format!(
                        "      {}({}){}\n",
                        relation.name,
                        args.join(", "),
                        with_text(values, rule, sample)
                    ));
                }
            }
        }
    }
    out
}

/// `rule at FILE:LINE (policy ...):` and the rule's text.
fn rule_header(program: &ir::Program, sources: &SourceMap, rule: &ir::Rule) -> String {
    let file = sources.file(rule.origin.file);
    let (line, _) = file.line_col(rule.origin.start);
    let policy = program
        .policies
        .iter()
        .find(|policy| policy.file == rule.origin.file)
        .map(|policy| format!(" (policy {} version {})", policy.name, policy.version))
        .unwrap_or_default();
    let text = sources
        .snippet(rule.origin)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let what = if rule.body.is_empty() {
        "fact stated"
    } else {
        "rule"
    };
    format!("{what} at {}:{line}{policy}:\n    {text}\n", file.name)
}

fn column_text(relation: &ir::Relation, col: usize) -> String {
    format!("column {} (`{}`)", col + 1, relation.columns[col].name)
}

/// What the head needs that the tuple does not have.
fn head_needs(
    program: &ir::Program,
    values: &ValueStore,
    rule: &ir::Rule,
    tuple: &[Value],
    col: usize,
    same_as: Option<usize>,
) -> String {
    let relation = program.relation(rule.head.rel);
    let has = value_text(values, relation.columns[col].ty, tuple[col]);
    match (&rule.head.args[col], same_as) {
        (_, Some(other)) => format!(
            "the head needs the same value in {} and {}; the tuple has {} and {has}",
            column_text(relation, other),
            column_text(relation, col),
            value_text(values, relation.columns[other].ty, tuple[other]),
        ),
        (ir::Expr::Const(value), None) => format!(
            "the head needs {} in {}; the tuple has {has}",
            const_text(value),
            column_text(relation, col)
        ),
        (ir::Expr::Var(var), None) => format!(
            "the head needs a {} in {} (variable {}); the tuple has {has}",
            rule.var(*var).ty.name(),
            column_text(relation, col),
            rule.var(*var).name
        ),
        (_, None) => format!(
            "the head cannot compute {} of {has}",
            column_text(relation, col)
        ),
    }
}

fn count_text(n: usize, capped: bool, what: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    if capped {
        format!("{n} partial {what}{plural} followed, capped at {PARTIAL_CAP}")
    } else {
        format!("{n} partial {what}{plural}")
    }
}

/// ` (with X = 1, Y = "a")`: the sample's bound variables, or nothing.
fn with_text(values: &ValueStore, rule: &ir::Rule, b: &Binding) -> String {
    let bindings: Vec<String> = rule
        .vars
        .iter()
        .enumerate()
        .filter(|(slot, var)| b.bound[*slot] && !var.name.starts_with('$'))
        .map(|(slot, var)| {
            format!(
                "{} = {}",
                var.name,
                value_text(values, var.ty, b.regs[slot])
            )
        })
        .collect();
    if bindings.is_empty() {
        String::new()
    } else {
        format!("   with {}", bindings.join(", "))
    }
}

/// The literal written with a sample's values in place of its bound variables.
fn literal_text(
    program: &ir::Program,
    values: &ValueStore,
    rule: &ir::Rule,
    literal: &Literal,
    b: &Binding,
) -> String {
    let shown = Shown {
        program,
        rule,
        values,
        regs: &b.regs,
        bound: &b.bound,
    };
    match literal {
        Literal::Positive(atom) => shown.atom(atom),
        Literal::Negative(atom) => format!("not {}", shown.atom(atom)),
        Literal::Compare(op, lhs, rhs) => format!(
            "{} {} {}",
            shown.expr(lhs),
            compare_text(*op),
            shown.expr(rhs)
        ),
        Literal::Assign(var, expr) => format!("{} = {}", rule.var(*var).name, shown.expr(expr)),
        Literal::Aggregate(aggregate) => format!(
            "{} = {}",
            rule.var(aggregate.result).name,
            shown.aggregate(aggregate)
        ),
    }
}

/// The literal as written in the rule (no values).
fn literal_source(
    program: &ir::Program,
    values: &ValueStore,
    rule: &ir::Rule,
    literal: &Literal,
) -> String {
    let nothing = Binding {
        regs: vec![0; rule.vars.len()],
        bound: vec![false; rule.vars.len()],
    };
    literal_text(program, values, rule, literal, &nothing)
}

fn blocked_text(
    program: &ir::Program,
    values: &ValueStore,
    rule: &ir::Rule,
    blocked: &Blocked,
) -> String {
    let mut out = String::new();
    let literal = &rule.body[blocked.literal];
    let head_binding = blocked.literal == 0;
    out.push_str(&format!(
        "    blocked at literal {} of {}: {}\n",
        blocked.literal + 1,
        rule.body.len(),
        literal_source(program, values, rule, literal)
    ));
    let source = if head_binding {
        "the head's values".to_string()
    } else {
        format!(
            "{} satisfying the literals before it",
            count_text(blocked.partials, blocked.capped, "binding")
        )
    };
    let shown = blocked.samples.len();
    let more = if blocked.partials > shown {
        format!(", the first {shown} shown")
    } else {
        String::new()
    };
    out.push_str(&format!("    with {source}{more}, it needs:\n"));
    for sample in &blocked.samples {
        out.push_str(&format!(
            "      {}{}\n",
            literal_text(program, values, rule, literal, sample),
            with_text(values, rule, sample)
        ));
    }
    match &blocked.reason {
        Reason::NoMatch {
            closest,
            derived,
            missing,
        } => {
            let Literal::Positive(atom) = literal else {
                return out;
            };
            let name = &program.relation(atom.rel).name;
            if closest.is_empty() {
                out.push_str(&format!(
                    "    no tuple of `{name}` matches, and none agrees with any needed value\n"
                ));
            } else {
                out.push_str(&format!(
                    "    no tuple of `{name}` matches; closest (agreeing with the most needed values):\n"
                ));
                for near in closest {
                    out.push_str(&near_text(program, values, atom.rel, near, 6));
                }
            }
            if *derived {
                match missing {
                    Some(missing) => out.push_str(&format!(
                        "    `{name}` is derived by rules and {} is not derived: see `tracelog explain --not '{}'`\n",
                        tuple_text(program, values, atom.rel, missing),
                        tuple_text(program, values, atom.rel, missing),
                    )),
                    None => out.push_str(&format!(
                        "    `{name}` is derived by rules: `tracelog explain --not` on the tuple you expected shows why it is missing\n"
                    )),
                }
            }
        }
        Reason::NegatedFound { found } => {
            let Literal::Negative(atom) = literal else {
                return out;
            };
            out.push_str("    the negated fact exists:\n");
            for row in found {
                out.push_str(&format!(
                    "      {}\n",
                    tuple_text(program, values, atom.rel, row)
                ));
            }
        }
        Reason::CompareFalse { sides } => {
            out.push_str("    the comparison is false:\n");
            for (lhs, rhs) in sides {
                let Literal::Compare(op, _, _) = literal else {
                    return out;
                };
                out.push_str(&format!(
                    "      {} {} {} does not hold\n",
                    maybe_const(lhs),
                    compare_text(*op),
                    maybe_const(rhs)
                ));
            }
        }
        Reason::ValueDiffers { values: computed } => {
            out.push_str("    the value computed does not fit:\n");
            for (got, expected) in computed {
                let line = match (got, expected) {
                    (None, _) => {
                        "no value (an empty group, an overflow or a value of another type)"
                            .to_string()
                    }
                    (Some(got), Some(expected)) => format!(
                        "computed {}, but the head needs {}",
                        const_text(got),
                        const_text(expected)
                    ),
                    (Some(got), None) => format!("computed {}", const_text(got)),
                };
                out.push_str(&format!("      {line}\n"));
            }
        }
    }
    out
}

fn maybe_const(value: &Option<Const>) -> String {
    match value {
        Some(value) => const_text(value),
        None => "(cannot be computed)".to_string(),
    }
}

/// One closest tuple, with the columns that differ from the needed values.
fn near_text(
    program: &ir::Program,
    values: &ValueStore,
    rel: RelId,
    near: &Near,
    indent: usize,
) -> String {
    let relation = program.relation(rel);
    let pad = " ".repeat(indent);
    let differs: Vec<String> = near
        .differs()
        .map(|col| {
            let ty = relation.columns[col].ty;
            let wanted = near.wanted[col].map(|w| value_text(values, ty, w));
            format!(
                "{} is {}, needed {}",
                column_text(relation, col),
                value_text(values, ty, near.tuple[col]),
                wanted.unwrap_or_default()
            )
        })
        .collect();
    let note = if differs.is_empty() {
        "agrees with every needed value".to_string()
    } else {
        differs.join("; ")
    };
    format!(
        "{pad}{}\n{pad}    {note}\n",
        tuple_text(program, values, rel, &near.tuple)
    )
}
