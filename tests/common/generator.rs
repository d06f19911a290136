//! This module generates random stratified programs as text for the
//! property tests (`tests/differential.rs`, `tests/incremental.rs`).
//!
//! Programs are generated as text, so parser, checker and engine are all
//! exercised: EDB relations with small inline facts (small domains, so joins
//! hit), then IDB relations in layers. A rule of layer k reads positive atoms
//! of layers <= k (recursion, also non-linear) and negates or aggregates only
//! layers < k; arithmetic, assignments and aggregates appear only in rules
//! that read no layer-k relation, so every program has a finite model.
//! Head variables come from positive atoms, so every program is safe by
//! construction and must check without any diagnostic.
//!
//! The generator reads its decisions from a byte string (a missing byte reads
//! as 0, the simplest choice), so proptest's shrinking of the bytes shrinks
//! the program.

use tracelog::diagnostic::Code;
use tracelog::driver::{self, Compiled};

/// Decisions for the generator, read from proptest's bytes.
struct Choices<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Choices<'_> {
    /// A number in `0..n`; 0 once the bytes run out.
    fn below(&mut self, n: usize) -> usize {
        let byte = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        if n <= 1 { 0 } else { byte as usize % n }
    }

    /// True with roughly `percent` % probability (false for a 0 byte).
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) >= 100 - percent
    }

    fn pick<'v, T>(&mut self, items: &'v [T]) -> &'v T {
        &items[self.below(items.len())]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Num,
    Sym,
    /// An undeclared column that holds numbers and symbols (type `any`).
    Any,
}

#[derive(Clone, Debug)]
struct Rel {
    name: String,
    kinds: Vec<Kind>,
    /// 0 for EDB relations, 1.. for IDB layers.
    layer: usize,
}

pub const SYMBOLS: [&str; 4] = ["a", "b", "c", "d"];

/// One generated program: its statements (facts, declarations, rules) and queries.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    pub statements: Vec<String>,
    pub queries: Vec<String>,
}

impl Generated {
    pub fn text(&self) -> String {
        let mut text = self.statements.join("\n");
        for query in &self.queries {
            text.push('\n');
            text.push_str(query);
        }
        text.push('\n');
        text
    }

    /// The same program with its statements in another order (queries keep theirs).
    pub fn shuffled(&self, seed: u64) -> Generated {
        let mut statements = self.statements.clone();
        let mut state = seed | 1;
        for idx in (1..statements.len()).rev() {
            // xorshift: any fixed permutation per seed will do.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            statements.swap(idx, (state % (idx as u64 + 1)) as usize);
        }
        Generated {
            statements,
            queries: self.queries.clone(),
        }
    }
}

/// The variables bound so far in a rule body, with their kinds.
#[derive(Default)]
struct Scope {
    vars: Vec<(String, Kind)>,
    fresh: usize,
}

impl Scope {
    fn fresh(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn of_kind(&self, kind: Kind) -> Vec<String> {
        self.vars
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(name, _)| name.clone())
            .collect()
    }
}

fn constant(choices: &mut Choices, kind: Kind) -> String {
    match kind {
        Kind::Num => (choices.below(5) as i64 - 1).to_string(),
        Kind::Sym => format!("\"{}\"", choices.pick(&SYMBOLS)),
        Kind::Any if choices.chance(50) => constant(choices, Kind::Num),
        Kind::Any => constant(choices, Kind::Sym),
    }
}

struct Generator<'a, 'b> {
    choices: &'a mut Choices<'b>,
    rels: Vec<Rel>,
    out: Generated,
}

impl Generator<'_, '_> {
    fn kinds(&mut self, arity: usize) -> Vec<Kind> {
        (0..arity)
            .map(|_| match self.choices.below(25) {
                0..=11 => Kind::Sym,
                12..=22 => Kind::Num,
                _ => Kind::Any,
            })
            .collect()
    }

    fn declare(&mut self, rel: &Rel, alias: bool) {
        // `any` is inferred, never declared.
        if rel.kinds.contains(&Kind::Any) {
            return;
        }
        let columns: Vec<String> = rel
            .kinds
            .iter()
            .enumerate()
            .map(|(idx, kind)| {
                let ty = match (kind, alias) {
                    (Kind::Num, false) => "number",
                    (Kind::Sym, false) => "symbol",
                    (Kind::Num, true) => "Qty",
                    (Kind::Sym, true) => "Id",
                    (Kind::Any, _) => unreachable!("checked above"),
                };
                format!("c{idx}: {ty}")
            })
            .collect();
        self.out
            .statements
            .push(format!(".decl {}({})", rel.name, columns.join(", ")));
    }

    fn program(&mut self) {
        let alias = self.choices.chance(20);
        if alias {
            self.out.statements.push(".type Id <: symbol".into());
            self.out.statements.push(".type Qty = number".into());
        }
        let n_edb = 2 + self.choices.below(3);
        for idx in 0..n_edb {
            let arity = 1 + self.choices.below(3);
            let rel = Rel {
                name: format!("e{idx}"),
                kinds: self.kinds(arity),
                layer: 0,
            };
            let n_facts = self.choices.below(9);
            // An undeclared relation without facts would be an unknown relation (a warning).
            if n_facts == 0 || self.choices.chance(30) {
                self.declare(&rel, alias);
            }
            for _ in 0..n_facts {
                let args: Vec<String> = rel
                    .kinds
                    .iter()
                    .map(|kind| constant(self.choices, *kind))
                    .collect();
                self.out
                    .statements
                    .push(format!("{}({}).", rel.name, args.join(", ")));
            }
            self.mix_kinds(&rel);
            self.rels.push(rel);
        }
        let n_layers = 1 + self.choices.below(3);
        let mut n_idb = 0;
        for layer in 1..=n_layers {
            let first = self.rels.len();
            for _ in 0..1 + self.choices.below(2) {
                let arity = if self.choices.chance(10) {
                    0
                } else {
                    1 + self.choices.below(3)
                };
                let rel = Rel {
                    name: format!("p{n_idb}"),
                    kinds: self.kinds(arity),
                    layer,
                };
                n_idb += 1;
                if self.choices.chance(25) {
                    self.declare(&rel, alias);
                }
                self.mix_kinds(&rel);
                self.rels.push(rel);
            }
            for head in first..self.rels.len() {
                let n_rules = 1 + self.choices.below(3);
                for rule_idx in 0..n_rules {
                    let rule = self.rule(head, rule_idx == 0);
                    self.out.statements.push(rule);
                }
            }
        }
        for _ in 0..self.choices.below(3) {
            let query = self.query();
            self.out.queries.push(query);
        }
    }

    /// Two facts that put a number and a symbol into every `any` column of
    /// `rel`, so that each such column really has type `any`.
    fn mix_kinds(&mut self, rel: &Rel) {
        if !rel.kinds.contains(&Kind::Any) {
            return;
        }
        for forced in [Kind::Num, Kind::Sym] {
            let args: Vec<String> = rel
                .kinds
                .iter()
                .map(|&kind| constant(self.choices, if kind == Kind::Any { forced } else { kind }))
                .collect();
            self.out
                .statements
                .push(format!("{}({}).", rel.name, args.join(", ")));
        }
    }

    /// Arguments for an atom of `rel`: bound variables (joins), new variables,
    /// constants and wildcards. New variables are added to `scope`.
    fn positive_args(&mut self, rel: usize, scope: &mut Scope) -> Vec<String> {
        let kinds = self.rels[rel].kinds.clone();
        let mut args = Vec::new();
        for kind in kinds {
            let bound = scope.of_kind(kind);
            let arg = match self.choices.below(10) {
                0..=3 => {
                    let name = scope.fresh("x");
                    scope.vars.push((name.clone(), kind));
                    name
                }
                4..=6 if !bound.is_empty() => self.choices.pick(&bound).clone(),
                7 | 8 => constant(self.choices, kind),
                9 => "_".into(),
                _ => {
                    let name = scope.fresh("x");
                    scope.vars.push((name.clone(), kind));
                    name
                }
            };
            args.push(arg);
        }
        args
    }

    fn atom(&self, rel: usize, args: &[String]) -> String {
        format!("{}({})", self.rels[rel].name, args.join(", "))
    }

    /// A head argument of `kind`: a bound variable, a constant or (when
    /// `arithmetic`) an expression over bound numbers.
    fn head_arg(
        &mut self,
        kind: Kind,
        scope: &Scope,
        arithmetic: bool,
        increment: Option<&String>,
    ) -> String {
        if let Some(var) = increment
            && kind == Kind::Num
            && self.choices.chance(50)
        {
            return format!("{var} + {}", 1 + self.choices.below(2));
        }
        let bound = scope.of_kind(kind);
        if bound.is_empty() || self.choices.chance(10) {
            return constant(self.choices, kind);
        }
        let var = self.choices.pick(&bound).clone();
        if kind == Kind::Num && arithmetic && self.choices.chance(30) {
            let other = self.choices.pick(&bound).clone();
            let small = self.choices.below(4) as i64 - 1;
            return match self.choices.below(7) {
                0 => format!("{var} + {small}"),
                1 => format!("{var} - {other}"),
                2 => format!("{var} * {small}"),
                3 => format!("{var} / {other}"),
                4 => format!("{var} % {other}"),
                5 => format!("-{var}"),
                _ => format!("({var} + 1) * 2"),
            };
        }
        var
    }

    fn rule(&mut self, head: usize, base_case: bool) -> String {
        let layer = self.rels[head].layer;
        // Relations the body may read positively.
        let readable: Vec<usize> = (0..self.rels.len())
            .filter(|&idx| {
                let l = self.rels[idx].layer;
                if base_case { l < layer } else { l <= layer }
            })
            .collect();
        let lower: Vec<usize> = (0..self.rels.len())
            .filter(|&idx| self.rels[idx].layer < layer)
            .collect();
        let mut scope = Scope::default();
        let mut body: Vec<String> = Vec::new();
        let mut recursive = false;
        let n_positive = 1 + self.choices.below(3);
        for _ in 0..n_positive {
            let rel = *self.choices.pick(&readable);
            recursive |= self.rels[rel].layer == layer;
            let args = self.positive_args(rel, &mut scope);
            let atom = self.atom(rel, &args);
            // Occasionally a disjunction with the same variables and other constants.
            if self.choices.chance(10) {
                let kinds = self.rels[rel].kinds.clone();
                let other: Vec<String> = args
                    .iter()
                    .zip(&kinds)
                    .map(|(arg, kind)| {
                        if arg.starts_with('"') || arg.parse::<i64>().is_ok() {
                            constant(self.choices, *kind)
                        } else {
                            arg.clone()
                        }
                    })
                    .collect();
                body.push(format!("({atom} ; {})", self.atom(rel, &other)));
            } else {
                body.push(atom);
            }
        }
        // Arithmetic, assignments and aggregates only where they cannot recurse.
        let finite = !recursive;
        // Recursion through arithmetic, kept finite: `v + k` in the head only
        // under `v < 6` (values only grow, and not past 7).
        let mut increment = None;
        if recursive && self.choices.chance(25) {
            let nums = scope.of_kind(Kind::Num);
            if !nums.is_empty() {
                let var = self.choices.pick(&nums).clone();
                body.push(format!("{var} < 6"));
                increment = Some(var);
            }
        }
        if finite && self.choices.chance(20) {
            let nums = scope.of_kind(Kind::Num);
            if !nums.is_empty() {
                let var = self.choices.pick(&nums).clone();
                let name = scope.fresh("z");
                let small = self.choices.below(3) + 1;
                body.push(format!("{name} = {var} + {small}"));
                scope.vars.push((name, Kind::Num));
            }
        }
        if finite && !lower.is_empty() && self.choices.chance(25) {
            let aggregate = self.aggregate(&lower, &mut scope);
            body.push(aggregate);
        }
        if !lower.is_empty() && self.choices.chance(30) {
            let negation = self.negation(&lower, &scope, true);
            body.push(negation);
        }
        if self.choices.chance(30) {
            let comparison = self.comparison(&scope);
            body.push(comparison);
        }
        let mut heads = vec![head];
        if self.choices.chance(10) {
            let same_layer: Vec<usize> = (0..self.rels.len())
                .filter(|&idx| self.rels[idx].layer == layer)
                .collect();
            heads.push(*self.choices.pick(&same_layer));
        }
        let heads: Vec<String> = heads
            .into_iter()
            .map(|rel| {
                let kinds = self.rels[rel].kinds.clone();
                let args: Vec<String> = kinds
                    .iter()
                    .map(|kind| self.head_arg(*kind, &scope, finite, increment.as_ref()))
                    .collect();
                self.atom(rel, &args)
            })
            .collect();
        // Literal order is the checker's business: a comparison, negation,
        // assignment or aggregate may come before the atoms that bind its variables.
        if body.len() > 1 && self.choices.chance(10) {
            body.rotate_right(1);
        }
        format!("{} :- {}.", heads.join(", "), body.join(", "))
    }

    fn negation(&mut self, lower: &[usize], scope: &Scope, allow_local: bool) -> String {
        let rel = *self.choices.pick(lower);
        let kinds = self.rels[rel].kinds.clone();
        let mut local: Vec<(String, Kind)> = Vec::new();
        let args: Vec<String> = kinds
            .iter()
            .map(|&kind| {
                let bound = scope.of_kind(kind);
                match self.choices.below(10) {
                    0..=5 if !bound.is_empty() => self.choices.pick(&bound).clone(),
                    6 | 7 => constant(self.choices, kind),
                    8 => "_".into(),
                    _ if !allow_local => "_".into(),
                    _ => {
                        // A variable local to this atom, sometimes repeated: `not s(x, l, l)`.
                        let reuse: Vec<String> = local
                            .iter()
                            .filter(|(_, k)| *k == kind)
                            .map(|(n, _)| n.clone())
                            .collect();
                        if !reuse.is_empty() && self.choices.chance(50) {
                            self.choices.pick(&reuse).clone()
                        } else {
                            let name = format!("l{}", local.len());
                            local.push((name.clone(), kind));
                            name
                        }
                    }
                }
            })
            .collect();
        let sign = if self.choices.chance(50) { "not " } else { "!" };
        format!("{sign}{}", self.atom(rel, &args))
    }

    fn comparison(&mut self, scope: &Scope) -> String {
        if scope.vars.is_empty() {
            return "1 < 2".into();
        }
        let one = |this: &mut Self| {
            let (var, kind) = this.choices.pick(&scope.vars).clone();
            let op = *this.choices.pick(&["<", "<=", ">", ">=", "=", "!="]);
            let same = scope.of_kind(kind);
            let rhs = if this.choices.chance(50) {
                this.choices.pick(&same).clone()
            } else {
                constant(this.choices, kind)
            };
            format!("{var} {op} {rhs}")
        };
        let first = one(self);
        if self.choices.chance(15) {
            let second = one(self);
            format!("({first} ; {second})")
        } else {
            first
        }
    }

    /// `g = count : { r(..) }`, `count : r(..)`, `sum t : {..}`, `min`, `max`,
    /// grouped by some bound variables.
    fn aggregate(&mut self, lower: &[usize], scope: &mut Scope) -> String {
        let rel = *self.choices.pick(lower);
        let kinds = self.rels[rel].kinds.clone();
        let mut locals: Vec<(String, Kind)> = Vec::new();
        let args: Vec<String> = kinds
            .iter()
            .map(|&kind| {
                let bound = scope.of_kind(kind);
                match self.choices.below(10) {
                    0..=2 if !bound.is_empty() => self.choices.pick(&bound).clone(),
                    3 => constant(self.choices, kind),
                    4 => "_".into(),
                    _ => {
                        let name = scope.fresh("a");
                        locals.push((name.clone(), kind));
                        name
                    }
                }
            })
            .collect();
        let atom = self.atom(rel, &args);
        let numbers: Vec<String> = locals
            .iter()
            .filter(|(_, k)| *k == Kind::Num)
            .map(|(n, _)| n.clone())
            .collect();
        let func = if numbers.is_empty() {
            0
        } else {
            self.choices.below(4)
        };
        let body = if !locals.is_empty() && self.choices.chance(20) {
            let (var, kind) = self.choices.pick(&locals).clone();
            format!("{{ {atom}, {var} != {} }}", constant(self.choices, kind))
        } else if self.choices.chance(50) {
            format!("{{ {atom} }}")
        } else {
            atom
        };
        // Now and then the result is a variable bound already: the aggregate then filters.
        let outside: Vec<String> = scope
            .of_kind(Kind::Num)
            .into_iter()
            .filter(|var| !args.contains(var))
            .collect();
        let result = if !outside.is_empty() && self.choices.chance(15) {
            self.choices.pick(&outside).clone()
        } else {
            scope.fresh("g")
        };
        let aggregate = match func {
            0 => format!("count : {body}"),
            _ => {
                let target = self.choices.pick(&numbers).clone();
                let name = ["sum", "min", "max"][func - 1];
                format!("{name} {target} : {body}")
            }
        };
        if !scope.vars.iter().any(|(name, _)| *name == result) {
            scope.vars.push((result.clone(), Kind::Num));
        }
        format!("{result} = {aggregate}")
    }

    fn query(&mut self) -> String {
        let readable: Vec<usize> = (0..self.rels.len()).collect();
        let mut scope = Scope::default();
        let rel = *self.choices.pick(&readable);
        let args = self.positive_args(rel, &mut scope);
        let mut body = vec![self.atom(rel, &args)];
        if self.choices.chance(40) {
            body.push(self.negation(&readable, &scope, false));
        }
        format!("?- {}.", body.join(", "))
    }
}

pub fn generate(bytes: &[u8]) -> Generated {
    let mut choices = Choices { bytes, pos: 0 };
    let mut generator = Generator {
        choices: &mut choices,
        rels: Vec::new(),
        out: Generated::default(),
    };
    generator.program();
    generator.out
}

/// Compiles a generated program; any diagnostic but `unknown-relation` is a failure.
pub fn compile(text: &str) -> Result<Compiled, String> {
    match driver::compile_text("random.dl", text) {
        // A relation with neither facts nor rules is reported as empty, declared or not.
        Ok(compiled)
            if compiled
                .warnings
                .iter()
                .all(|w| w.code == Code::UnknownRelation) =>
        {
            Ok(compiled)
        }
        Ok(compiled) => Err(format!(
            "unexpected warnings: {:#?}\n{text}",
            compiled.warnings
        )),
        Err(failed) => Err(format!(
            "the generated program did not check: {:#?}\n{text}",
            failed.diagnostics
        )),
    }
}
