//! This module writes a why-not answer as indented text for an analyst: the
//! tuple asked about and its closest tuples, then per rule its location and
//! text and where it stops (the head that cannot take the values, or the
//! blocking literal with the values it needs, the closest tuples, the negated
//! fact found, the comparison's values), a blocking derived premise analysed
//! one level down.

use super::{Binding, Blocked, Near, Outcome, PARTIAL_CAP, Reason, RuleWhyNot, WhyNot};
use crate::ir::{self, Const, Literal, RelId};
use crate::provenance::render::{Shown, compare_text, const_text, tuple_text, value_text};
use crate::source::SourceMap;
use crate::value::{Value, ValueStore};

struct Ctx<'a> {
    program: &'a ir::Program,
    sources: &'a SourceMap,
    values: &'a ValueStore,
    asker: Asker,
}

/// Where the question was asked, so the answer names the next question the
/// way the user asks it there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asker {
    /// `tracelog explain --not 'ATOM'`.
    Command,
    /// The REPL's `:whynot ATOM`.
    Repl,
}

impl Asker {
    /// The question about `atom` (or, with `None`, the command alone).
    fn ask(self, atom: Option<&str>) -> String {
        match (self, atom) {
            (Asker::Command, Some(atom)) => format!("`tracelog explain --not '{atom}'`"),
            (Asker::Command, None) => "`tracelog explain --not`".to_owned(),
            (Asker::Repl, Some(atom)) => format!("`:whynot {atom}`"),
            (Asker::Repl, None) => "`:whynot`".to_owned(),
        }
    }
}

/// The answer as indented text.
pub fn render_why_not(
    why: &WhyNot,
    program: &ir::Program,
    sources: &SourceMap,
    values: &ValueStore,
    asker: Asker,
) -> String {
    let ctx = Ctx {
        program,
        sources,
        values,
        asker,
    };
    let relation = program.relation(why.rel);
    let name = &relation.name;
    let asked = tuple_text(program, values, why.rel, &why.tuple);
    let only_facts = why
        .rules
        .iter()
        .all(|r| program.rule(r.rule).body.is_empty());
    let mut out = if why.derived && only_facts {
        format!(
            "{asked} is not a fact: `{name}` has no rules, only facts stated in the program or given, and this is none of them\n"
        )
    } else if why.derived {
        format!("{asked} is not derived: no rule derives it and it is not a given fact\n")
    } else {
        format!(
            "{asked} is not a recorded fact: `{name}` is a base relation (no rule derives it) and this fact was never given or recorded\n"
        )
    };
    if !why.closest.is_empty() {
        out.push_str(&format!(
            "    closest tuples of `{name}` (agreeing with the most values):\n"
        ));
        for near in &why.closest {
            out.push_str(&ctx.near(why.rel, near, 8));
        }
    }
    let pattern: Vec<Option<Value>> = why.tuple.iter().map(|&value| Some(value)).collect();
    let (facts, rules): (Vec<&RuleWhyNot>, Vec<&RuleWhyNot>) = why.rules.iter().partition(|r| {
        program.rule(r.rule).body.is_empty() && matches!(r.outcome, Outcome::HeadMismatch { .. })
    });
    if !facts.is_empty() {
        out.push_str(&format!("    {}\n", stated_facts(facts.len(), name)));
    }
    for rule_why in rules {
        out.push('\n');
        out.push_str(&ctx.rule(rule_why, &pattern, true));
    }
    out
}

impl Ctx<'_> {
    /// One rule: its location and text, then where it stops. `top` is
    /// false for the rules of a premise (analysed one level down).
    fn rule(&self, rule_why: &RuleWhyNot, pattern: &[Option<Value>], top: bool) -> String {
        let rule = self.program.rule(rule_why.rule);
        let mut out = self.header(rule);
        match &rule_why.outcome {
            Outcome::HeadMismatch { col, same_as } => {
                out.push_str(&format!(
                    "    cannot derive it: {}\n",
                    self.head_needs(rule, pattern, *col, *same_as)
                ));
            }
            Outcome::Blocked(blocked) => out.push_str(&self.blocked(rule, blocked, top)),
            Outcome::HeadComputed {
                samples,
                computed,
                partials,
                capped,
            } => {
                out.push_str(&format!(
                    "    every literal of its body holds ({}), but its head computes other values; the closest:\n",
                    count_text(*partials, *capped, "binding")
                ));
                let name = &self.program.relation(rule.head.rel).name;
                for (sample, computed) in samples.iter().zip(computed) {
                    let args: Vec<String> = computed.iter().map(maybe_const).collect();
                    out.push_str(&format!("      {name}({})\n", args.join(", ")));
                    out.push_str(&self.with(rule, sample, 10));
                }
            }
            Outcome::Holds { sample } => {
                out.push_str(
                    "    its body holds and its head has the values needed, but not the repeated values or types the premise asks for:\n",
                );
                out.push_str(&self.with(rule, sample, 6));
            }
        }
        out
    }

    /// `rule at FILE:LINE (policy ...):` and the rule's text.
    fn header(&self, rule: &ir::Rule) -> String {
        let file = self.sources.file(rule.origin.file);
        let (line, _) = file.line_col(rule.origin.start);
        let policy = self
            .program
            .policies
            .iter()
            .find(|policy| policy.file == rule.origin.file)
            .map(|policy| format!(" (policy {} version {})", policy.name, policy.version))
            .unwrap_or_default();
        let text = self
            .sources
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

    /// What the head needs that the values asked for do not have.
    fn head_needs(
        &self,
        rule: &ir::Rule,
        pattern: &[Option<Value>],
        col: usize,
        same_as: Option<usize>,
    ) -> String {
        let relation = self.program.relation(rule.head.rel);
        let value_at = |col: usize| match pattern[col] {
            Some(value) => value_text(self.values, relation.columns[col].ty, value),
            None => "_".to_string(),
        };
        let has = value_at(col);
        match (&rule.head.args[col], same_as) {
            (_, Some(other)) => format!(
                "its head needs the same value in {} and {}, not {} and {has}",
                column_text(relation, other),
                column_text(relation, col),
                value_at(other),
            ),
            (ir::Expr::Const(value), None) => format!(
                "its head needs {} in {}, not {has}",
                const_text(value),
                column_text(relation, col)
            ),
            (ir::Expr::Var(var), None) => format!(
                "its head needs a {} in {} (variable {}), not {has}",
                rule.var(*var).ty.name(),
                column_text(relation, col),
                rule.var(*var).name
            ),
            (_, None) => format!(
                "its head cannot compute {} in {}",
                has,
                column_text(relation, col)
            ),
        }
    }

    fn blocked(&self, rule: &ir::Rule, blocked: &Blocked, top: bool) -> String {
        let literal = &rule.body[blocked.literal];
        let mut out = format!(
            "    blocked at literal {} of {}: {}\n",
            blocked.literal + 1,
            rule.body.len(),
            self.literal(rule, literal, None)
        );
        let shown = blocked.samples.len();
        let first = if blocked.partials > shown {
            format!("; the first {shown}")
        } else {
            String::new()
        };
        if blocked.literal == 0 {
            out.push_str("    with the head's values it needs:\n");
        } else {
            out.push_str(&format!(
                "    after the literals before it ({}{first}) it needs:\n",
                count_text(blocked.partials, blocked.capped, "partial binding")
            ));
        }
        for sample in &blocked.samples {
            out.push_str(&format!(
                "      {}\n",
                self.literal(rule, literal, Some(sample))
            ));
            // Right after the head its values are in the literal, except an assigned variable's.
            if blocked.literal > 0 || matches!(literal, Literal::Assign(..) | Literal::Aggregate(_))
            {
                out.push_str(&self.with(rule, sample, 10));
            }
        }
        match (&blocked.reason, literal) {
            (
                Reason::NoMatch {
                    closest,
                    derived,
                    needed,
                    premise,
                },
                Literal::Positive(atom),
            ) => {
                let name = &self.program.relation(atom.rel).name;
                if closest.is_empty() {
                    let what = if self.program.relation(atom.rel).arity() == 0 {
                        "it does not hold".to_string()
                    } else {
                        format!("no tuple of `{name}` has any of the values needed")
                    };
                    out.push_str(&format!("    {what}\n"));
                } else {
                    out.push_str(&format!(
                        "    no tuple of `{name}` matches; the closest (agreeing with the most values needed):\n"
                    ));
                    for near in closest {
                        out.push_str(&self.near(atom.rel, near, 6));
                    }
                }
                if *derived {
                    out.push_str(&self.premise(atom.rel, needed, premise, top));
                }
            }
            (Reason::NegatedFound { found }, Literal::Negative(atom)) => {
                out.push_str("    the negated fact exists:\n");
                for row in found {
                    out.push_str(&format!(
                        "      {}\n",
                        tuple_text(self.program, self.values, atom.rel, row)
                    ));
                }
            }
            (Reason::CompareFalse { sides }, Literal::Compare(op, _, _)) => {
                out.push_str("    the comparison is false:\n");
                for (lhs, rhs) in sides {
                    out.push_str(&format!(
                        "      {} {} {}\n",
                        maybe_const(lhs),
                        compare_text(*op),
                        maybe_const(rhs)
                    ));
                }
            }
            (Reason::ValueDiffers { values }, _) => {
                out.push_str("    it computes no value that fits:\n");
                for (got, expected) in values {
                    let line = match (got, expected) {
                        (None, _) => "no value (an empty group, an overflow, a division by zero or a value of another type)".to_string(),
                        (Some(got), Some(expected)) => format!(
                            "{}, but the head needs {}",
                            const_text(got),
                            const_text(expected)
                        ),
                        (Some(got), None) => const_text(got),
                    };
                    out.push_str(&format!("      {line}\n"));
                }
            }
            _ => (),
        }
        out
    }

    /// A blocking premise of a derived relation: its rules one level down,
    /// or (deeper) where to look next.
    fn premise(
        &self,
        rel: RelId,
        needed: &[Option<Value>],
        premise: &[RuleWhyNot],
        top: bool,
    ) -> String {
        let name = &self.program.relation(rel).name;
        let wanted = self.pattern(rel, needed);
        if !top {
            return if needed.iter().all(Option::is_some) {
                format!(
                    "    `{name}` is derived by rules: {} shows why that tuple is missing\n",
                    self.asker.ask(Some(&wanted))
                )
            } else {
                format!(
                    "    `{name}` is derived by rules: {} on the {wanted} you expected shows why it is missing\n",
                    self.asker.ask(None)
                )
            };
        }
        let mut out = format!("    `{name}` is derived by rules; none derives {wanted}:\n");
        let (facts, rules): (Vec<&RuleWhyNot>, Vec<&RuleWhyNot>) = premise.iter().partition(|r| {
            self.program.rule(r.rule).body.is_empty()
                && matches!(r.outcome, Outcome::HeadMismatch { .. })
        });
        if !facts.is_empty() {
            out.push_str(&format!("        {}\n", stated_facts(facts.len(), name)));
        }
        for rule_why in rules {
            for line in self.rule(rule_why, needed, false).lines() {
                out.push_str(&format!("        {line}\n"));
            }
        }
        out
    }

    /// `rel("a", _)`: the values needed, `_` where any value fits.
    fn pattern(&self, rel: RelId, needed: &[Option<Value>]) -> String {
        let relation = self.program.relation(rel);
        let args: Vec<String> = needed
            .iter()
            .zip(&relation.columns)
            .map(|(value, column)| match value {
                Some(value) => value_text(self.values, column.ty, *value),
                None => "_".to_string(),
            })
            .collect();
        format!("{}({})", relation.name, args.join(", "))
    }

    /// `with X = 1, Y = "a"` on its own line: a sample's bound variables.
    fn with(&self, rule: &ir::Rule, sample: &Binding, indent: usize) -> String {
        let bindings: Vec<String> = rule
            .vars
            .iter()
            .enumerate()
            .filter(|(slot, var)| sample.bound[*slot] && !var.name.starts_with('$'))
            .map(|(slot, var)| {
                format!(
                    "{} = {}",
                    var.name,
                    value_text(self.values, var.ty, sample.regs[slot])
                )
            })
            .collect();
        if bindings.is_empty() {
            return String::new();
        }
        format!("{}with {}\n", " ".repeat(indent), bindings.join(", "))
    }

    /// The literal with a sample's values in place of its bound variables
    /// (as written without a sample).
    fn literal(&self, rule: &ir::Rule, literal: &Literal, sample: Option<&Binding>) -> String {
        let nothing = vec![false; rule.vars.len()];
        let zeros = vec![0; rule.vars.len()];
        let shown = Shown {
            program: self.program,
            rule,
            values: self.values,
            regs: sample.map_or(&zeros, |b| &b.regs),
            bound: sample.map_or(&nothing, |b| &b.bound),
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
            Literal::Assign(var, expr) => {
                format!("{} = {}", rule.var(*var).name, shown.expr(expr))
            }
            Literal::Aggregate(aggregate) => format!(
                "{} = {}",
                rule.var(aggregate.result).name,
                shown.aggregate(aggregate)
            ),
        }
    }

    /// One close tuple, then the columns whose value differs from the one needed.
    fn near(&self, rel: RelId, near: &Near, indent: usize) -> String {
        let relation = self.program.relation(rel);
        let pad = " ".repeat(indent);
        let differs: Vec<String> = near
            .differs()
            .map(|col| {
                let ty = relation.columns[col].ty;
                let wanted = near.wanted[col]
                    .map(|w| value_text(self.values, ty, w))
                    .unwrap_or_default();
                format!(
                    "{} is {}, needed {wanted}",
                    column_text(relation, col),
                    value_text(self.values, ty, near.tuple[col]),
                )
            })
            .collect();
        let note = if differs.is_empty() {
            "has every value needed (a repeated variable or a type does not fit)".to_string()
        } else {
            differs.join("; ")
        };
        format!(
            "{pad}{}\n{pad}    {note}\n",
            tuple_text(self.program, self.values, rel, &near.tuple)
        )
    }
}

/// One line for the facts of a relation stated in the program.
fn stated_facts(n: usize, name: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("the program states {n} other fact{plural} of `{name}`, none of them this one")
}

fn column_text(relation: &ir::Relation, col: usize) -> String {
    format!("column {} (`{}`)", col + 1, relation.columns[col].name)
}

/// `3 partial bindings` (`what` = "partial binding"), and the cap when reached.
fn count_text(n: usize, capped: bool, what: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    if capped {
        format!("{n} {what}{plural}, capped at {PARTIAL_CAP}: one left out might get further")
    } else {
        format!("{n} {what}{plural}")
    }
}

fn maybe_const(value: &Option<Const>) -> String {
    match value {
        Some(value) => const_text(value),
        None => "(cannot be computed)".to_string(),
    }
}
