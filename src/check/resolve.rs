//! This module resolves names: `.type` aliases, `.decl` declarations, one
//! relation per name with one arity, `.input`/`.output`/`.printsize`
//! directives and `.policy` headers. It also warns about body relations that
//! nothing fills.

use rustc_hash::FxHashMap;

use crate::check::similar;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, IoSpec, RelId, Type};
use crate::source::{FileId, Span};
use crate::syntax::ast;

/// The built-in type names.
pub const BASE_TYPES: [(&str, Type); 5] = [
    ("symbol", Type::Symbol),
    ("number", Type::Number),
    ("unsigned", Type::Unsigned),
    ("float", Type::Float),
    ("datetime", Type::DateTime),
];

/// Every relation of the program and what is known about it before rules are
/// looked at.
#[derive(Debug, Default)]
pub struct Names {
    pub rels: Vec<RelInfo>,
    pub by_name: FxHashMap<String, RelId>,
    pub aliases: Vec<(String, Type)>,
    pub policies: Vec<ir::Policy>,
}

#[derive(Debug)]
pub struct RelInfo {
    pub name: String,
    pub columns: Vec<ColInfo>,
    pub decl: Option<Span>,
    pub first_use: Span,
    /// Where the arity was fixed: the `.decl`, or the first use.
    pub arity_span: Span,
    /// Some fact or rule has it as head.
    pub has_rules: bool,
    pub has_input: bool,
    pub inputs: Vec<IoSpec>,
    pub outputs: Vec<IoSpec>,
    pub printsize: Option<Span>,
    pub hidden: bool,
}

#[derive(Debug, Clone)]
pub struct ColInfo {
    pub name: String,
    /// The declared type; `Some(Type::Any)` when the declared type is unknown
    /// (already reported, so nothing about this column is reported again).
    pub declared: Option<Type>,
    /// The type as written in the `.decl`, or empty.
    pub type_name: String,
}

impl Names {
    pub fn rel(&self, id: RelId) -> &RelInfo {
        &self.rels[id.0 as usize]
    }

    pub fn lookup(&self, name: &str) -> Option<RelId> {
        self.by_name.get(name).copied()
    }

    /// Adds a relation the user did not write (a query's result).
    pub fn add_hidden(&mut self, name: String, columns: Vec<ColInfo>, span: Span) -> RelId {
        let id = RelId(self.rels.len() as u32);
        self.by_name.insert(name.clone(), id);
        self.rels.push(RelInfo {
            name,
            columns,
            decl: None,
            first_use: span,
            arity_span: span,
            has_rules: true,
            has_input: false,
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: None,
            hidden: true,
        });
        id
    }
}

/// Resolves the names of all files (in the order their statements take effect).
pub fn resolve(files: &[(FileId, ast::Program)], diags: &mut Vec<Diagnostic>) -> Names {
    let items: Vec<(FileId, &ast::Item)> = files
        .iter()
        .flat_map(|(file, program)| program.items.iter().map(move |item| (*file, item)))
        .collect();
    let mut names = Names::default();
    let aliases = resolve_aliases(&items, &mut names, diags);
    let decls = collect_decls(&items, &aliases, diags);

    let mut first_body_use: FxHashMap<RelId, Span> = FxHashMap::default();
    for (_, item) in &items {
        match item {
            ast::Item::Decl(decl) if names.lookup(&decl.name.text).is_none() => {
                create(&mut names, &decls, &decl.name.text, decl.name.span, 0);
            }
            ast::Item::Rule(rule) => {
                for head in &rule.heads {
                    let id = use_atom(&mut names, &decls, head, diags);
                    names.rels[id.0 as usize].has_rules = true;
                    for arg in &head.args {
                        visit_expr_atoms(arg, &mut |atom| {
                            let id = use_atom(&mut names, &decls, atom, diags);
                            first_body_use.entry(id).or_insert(atom.span);
                        });
                    }
                }
                if let Some(body) = &rule.body {
                    visit_body_atoms(body, &mut |atom| {
                        let id = use_atom(&mut names, &decls, atom, diags);
                        first_body_use.entry(id).or_insert(atom.span);
                    });
                }
            }
            ast::Item::Query(query) => visit_body_atoms(&query.body, &mut |atom| {
                let id = use_atom(&mut names, &decls, atom, diags);
                first_body_use.entry(id).or_insert(atom.span);
            }),
            _ => (),
        }
    }

    let mut policy_in_file: FxHashMap<FileId, Span> = FxHashMap::default();
    for (file, item) in &items {
        match item {
            ast::Item::Input(dir) => directive(&mut names, dir, Directive::Input, diags),
            ast::Item::Output(dir) => directive(&mut names, dir, Directive::Output, diags),
            ast::Item::PrintSize(dir) => directive(&mut names, dir, Directive::PrintSize, diags),
            ast::Item::Policy(policy) => {
                if let Some(&earlier) = policy_in_file.get(file) {
                    diags.push(
                        Diagnostic::error(
                            Code::DuplicateDeclaration,
                            "a file may declare only one `.policy`",
                        )
                        .at(policy.span)
                        .with_label("second policy header")
                        .with_related(earlier, "the policy is declared here")
                        .with_help("keep one `.policy` line per file"),
                    );
                    continue;
                }
                policy_in_file.insert(*file, policy.span);
                names.policies.push(ir::Policy {
                    name: policy.name.clone(),
                    version: policy.version.clone(),
                    file: *file,
                    origin: policy.span,
                });
            }
            _ => (),
        }
    }

    let mut unused: Vec<(RelId, Span)> = first_body_use.into_iter().collect();
    unused.sort_by_key(|&(id, span)| (span.file, span.start, id));
    for (id, span) in unused {
        let rel = names.rel(id);
        if rel.has_rules || rel.has_input {
            continue;
        }
        let filled = names
            .rels
            .iter()
            .filter(|r| (r.has_rules || r.has_input) && !r.hidden);
        let suggestion = similar::best_match(&rel.name, filled.map(|r| r.name.as_str()));
        let help = match suggestion {
            Some(other) => format!("did you mean `{other}`?"),
            None => format!(
                "add facts or rules for `{}`, or read it with `.input {}`",
                rel.name, rel.name
            ),
        };
        diags.push(
            Diagnostic::warning(
                Code::UnknownRelation,
                format!(
                    "relation `{}` has no facts, rules or input, so it is empty",
                    rel.name
                ),
            )
            .at(span)
            .with_label("this relation is empty")
            .with_help(help),
        );
    }
    names
}

/// The atoms of a body, including those inside aggregates, in written order.
pub fn visit_body_atoms(body: &ast::Body, f: &mut dyn FnMut(&ast::Atom)) {
    match body {
        ast::Body::Literal(literal) => match literal {
            ast::Literal::Atom(atom) | ast::Literal::Negated(atom, _) => {
                f(atom);
                for arg in &atom.args {
                    visit_expr_atoms(arg, f);
                }
            }
            ast::Literal::Compare(compare) => {
                visit_expr_atoms(&compare.lhs, f);
                visit_expr_atoms(&compare.rhs, f);
            }
            ast::Literal::Bool(..) => (),
        },
        ast::Body::And(parts, _) | ast::Body::Or(parts, _) => {
            for part in parts {
                visit_body_atoms(part, f);
            }
        }
    }
}

/// The atoms inside the aggregates of an expression.
pub fn visit_expr_atoms(expr: &ast::Expr, f: &mut dyn FnMut(&ast::Atom)) {
    match expr {
        ast::Expr::Var(_) | ast::Expr::Wildcard(_) | ast::Expr::Const(..) => (),
        ast::Expr::Neg(inner, _) => visit_expr_atoms(inner, f),
        ast::Expr::Binary(_, lhs, rhs, _) => {
            visit_expr_atoms(lhs, f);
            visit_expr_atoms(rhs, f);
        }
        ast::Expr::Call(_, args, _) => {
            for arg in args {
                visit_expr_atoms(arg, f);
            }
        }
        ast::Expr::Aggregate(aggregate) => {
            if let Some(target) = &aggregate.target {
                visit_expr_atoms(target, f);
            }
            visit_body_atoms(&aggregate.body, f);
        }
    }
}

struct DeclInfo {
    span: Span,
    columns: Vec<ColInfo>,
}

/// Resolves `.type` aliases; unresolvable ones map to `Type::Any` (reported).
fn resolve_aliases(
    items: &[(FileId, &ast::Item)],
    names: &mut Names,
    diags: &mut Vec<Diagnostic>,
) -> FxHashMap<String, Type> {
    let mut written: FxHashMap<&str, &ast::TypeDecl> = FxHashMap::default();
    let mut order: Vec<&ast::TypeDecl> = Vec::new();
    for (_, item) in items {
        let ast::Item::Type(decl) = item else {
            continue;
        };
        if BASE_TYPES.iter().any(|(name, _)| *name == decl.name.text) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateDeclaration,
                    format!("`{}` is a built-in type", decl.name.text),
                )
                .at(decl.name.span)
                .with_label("cannot be redefined")
                .with_help("choose another name for the alias"),
            );
            continue;
        }
        if let Some(earlier) = written.get(decl.name.text.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateDeclaration,
                    format!("type `{}` is declared twice", decl.name.text),
                )
                .at(decl.name.span)
                .with_label("second declaration")
                .with_related(earlier.name.span, "first declared here")
                .with_help("remove one of the two `.type` lines"),
            );
            continue;
        }
        written.insert(&decl.name.text, decl);
        order.push(decl);
    }
    let mut resolved: FxHashMap<String, Type> = FxHashMap::default();
    for decl in &order {
        // Follow the chain of aliases; a cycle or an unknown name ends it.
        let mut base = &decl.base;
        let mut ty = None;
        for _ in 0..=order.len() {
            if let Some((_, base_ty)) = BASE_TYPES.iter().find(|(name, _)| *name == base.text) {
                ty = Some(*base_ty);
                break;
            }
            match written.get(base.text.as_str()) {
                Some(next) => base = &next.base,
                None => break,
            }
        }
        match ty {
            Some(ty) => {
                names.aliases.push((decl.name.text.clone(), ty));
                resolved.insert(decl.name.text.clone(), ty);
            }
            None => {
                if written.contains_key(decl.base.text.as_str())
                    && !written.contains_key(base.text.as_str())
                {
                    // The chain ends in an unknown name reported for another alias.
                } else {
                    let known = known_type_names(&written);
                    diags.push(unknown_type(&decl.base, &known));
                }
                resolved.insert(decl.name.text.clone(), Type::Any);
            }
        }
    }
    resolved
}

fn known_type_names<'a>(aliases: &FxHashMap<&'a str, &ast::TypeDecl>) -> Vec<&'a str> {
    let mut known: Vec<&str> = BASE_TYPES.iter().map(|(name, _)| *name).collect();
    let mut alias_names: Vec<&str> = aliases.keys().copied().collect();
    alias_names.sort_unstable();
    known.extend(alias_names);
    known
}

fn unknown_type(name: &ast::Name, known: &[&str]) -> Diagnostic {
    let help = match similar::best_match(&name.text, known.iter().copied()) {
        Some(other) => format!("did you mean `{other}`?"),
        None => "the types are `symbol`, `number`, `unsigned`, `float` and `datetime`, and aliases declared with `.type`"
            .to_owned(),
    };
    Diagnostic::error(Code::UnknownType, format!("unknown type `{}`", name.text))
        .at(name.span)
        .with_label("no such type")
        .with_help(help)
}

fn collect_decls(
    items: &[(FileId, &ast::Item)],
    aliases: &FxHashMap<String, Type>,
    diags: &mut Vec<Diagnostic>,
) -> FxHashMap<String, DeclInfo> {
    let mut known: Vec<&str> = BASE_TYPES.iter().map(|(name, _)| *name).collect();
    let mut alias_names: Vec<&str> = aliases.keys().map(String::as_str).collect();
    alias_names.sort_unstable();
    known.extend(alias_names);
    let mut decls: FxHashMap<String, DeclInfo> = FxHashMap::default();
    for (_, item) in items {
        let ast::Item::Decl(decl) = item else {
            continue;
        };
        if let Some(earlier) = decls.get(&decl.name.text) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateDeclaration,
                    format!("relation `{}` is declared twice", decl.name.text),
                )
                .at(decl.name.span)
                .with_label("second declaration")
                .with_related(earlier.span, "first declared here")
                .with_help("remove one of the two `.decl` lines"),
            );
            continue;
        }
        let mut columns = Vec::new();
        for column in &decl.columns {
            let base = BASE_TYPES
                .iter()
                .find(|(name, _)| *name == column.ty.text)
                .map(|(_, ty)| *ty);
            let ty = match base.or_else(|| aliases.get(&column.ty.text).copied()) {
                Some(ty) => ty,
                None => {
                    diags.push(unknown_type(&column.ty, &known));
                    Type::Any
                }
            };
            columns.push(ColInfo {
                name: column.name.text.clone(),
                declared: Some(ty),
                type_name: column.ty.text.clone(),
            });
        }
        decls.insert(
            decl.name.text.clone(),
            DeclInfo {
                span: decl.name.span,
                columns,
            },
        );
    }
    decls
}

fn create(
    names: &mut Names,
    decls: &FxHashMap<String, DeclInfo>,
    name: &str,
    span: Span,
    arity: usize,
) -> RelId {
    let id = RelId(names.rels.len() as u32);
    let (columns, decl, arity_span) = match decls.get(name) {
        Some(decl) => (decl.columns.clone(), Some(decl.span), decl.span),
        None => {
            let columns = (0..arity)
                .map(|idx| ColInfo {
                    name: format!("_{idx}"),
                    declared: None,
                    type_name: String::new(),
                })
                .collect();
            (columns, None, span)
        }
    };
    names.by_name.insert(name.to_owned(), id);
    names.rels.push(RelInfo {
        name: name.to_owned(),
        columns,
        decl,
        first_use: span,
        arity_span,
        has_rules: false,
        has_input: false,
        inputs: Vec::new(),
        outputs: Vec::new(),
        printsize: None,
        hidden: false,
    });
    id
}

/// Registers one use of a relation and checks its arity.
fn use_atom(
    names: &mut Names,
    decls: &FxHashMap<String, DeclInfo>,
    atom: &ast::Atom,
    diags: &mut Vec<Diagnostic>,
) -> RelId {
    let n_args = atom.args.len();
    let id = match names.lookup(&atom.name.text) {
        Some(id) => id,
        None => create(names, decls, &atom.name.text, atom.span, n_args),
    };
    let rel = names.rel(id);
    let arity = rel.columns.len();
    if arity != n_args {
        let diagnostic = match rel.decl {
            Some(decl) => Diagnostic::error(
                Code::ArityMismatch,
                format!(
                    "`{}` has {} here but is declared with {}",
                    rel.name,
                    plural(n_args, "argument"),
                    plural(arity, "column")
                ),
            )
            .with_related(
                decl,
                format!("declared here with {}", plural(arity, "column")),
            ),
            None => Diagnostic::error(
                Code::ArityMismatch,
                format!(
                    "`{}` has {} here but {} at its first use",
                    rel.name,
                    plural(n_args, "argument"),
                    arity
                ),
            )
            .with_related(
                rel.arity_span,
                format!("first used here with {}", plural(arity, "argument")),
            ),
        };
        diags.push(
            diagnostic
                .at(atom.span)
                .with_label(format!("{} given", plural(n_args, "argument")))
                .with_help(format!(
                    "give `{}` the same number of arguments everywhere",
                    rel.name
                )),
        );
    }
    id
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Directive {
    Input,
    Output,
    PrintSize,
}

const IO_KEYS: [&str; 4] = ["IO", "filename", "delimiter", "headers"];

fn directive(
    names: &mut Names,
    dir: &ast::IoDirective,
    kind: Directive,
    diags: &mut Vec<Diagnostic>,
) {
    let keyword = match kind {
        Directive::Input => ".input",
        Directive::Output => ".output",
        Directive::PrintSize => ".printsize",
    };
    let mut params = Vec::new();
    for param in &dir.params {
        let value = match &param.value {
            ast::ParamValue::Str(text) | ast::ParamValue::Word(text) => text.clone(),
            ast::ParamValue::Int(value) => value.to_string(),
        };
        let key = param.key.text.as_str();
        if kind == Directive::PrintSize {
            diags.push(
                Diagnostic::error(
                    Code::UnknownDirectiveParameter,
                    format!("`.printsize` takes no parameters, found `{key}`"),
                )
                .at(param.span)
                .with_label("not a parameter of `.printsize`")
                .with_help("write `.printsize r`"),
            );
            continue;
        }
        let problem = match key {
            "IO" => match (value.as_str(), kind) {
                ("file", _) | ("stdout", Directive::Output) => None,
                ("stdout", _) => Some("`.input` reads only files: `IO` must be `file`".to_owned()),
                _ => Some(format!("`IO` must be `file` or `stdout`, not `{value}`")),
            },
            "headers" => match value.as_str() {
                "true" | "false" => None,
                _ => Some(format!(
                    "`headers` must be `true` or `false`, not `{value}`"
                )),
            },
            "filename" | "delimiter" => None,
            _ => {
                let help = match similar::best_match(key, IO_KEYS) {
                    Some(other) => format!(
                        "did you mean `{other}`? The parameters are IO, filename, delimiter and headers"
                    ),
                    None => "the parameters are IO, filename, delimiter and headers".to_owned(),
                };
                diags.push(
                    Diagnostic::error(
                        Code::UnknownDirectiveParameter,
                        format!("unknown parameter `{key}` for `{keyword}`"),
                    )
                    .at(param.key.span)
                    .with_label("unknown parameter")
                    .with_help(help),
                );
                continue;
            }
        };
        match problem {
            Some(message) => diags.push(
                Diagnostic::error(Code::UnknownDirectiveParameter, message)
                    .at(param.span)
                    .with_label("invalid value")
                    .with_help("the parameters are IO (file or stdout), filename, delimiter and headers (true or false)"),
            ),
            None => params.push((key.to_owned(), value)),
        }
    }
    for name in &dir.relations {
        let Some(id) = names.lookup(&name.text) else {
            let candidates = names
                .rels
                .iter()
                .filter(|r| !r.hidden)
                .map(|r| r.name.as_str());
            let help = match similar::best_match(&name.text, candidates) {
                Some(other) => format!("did you mean `{other}`?"),
                None => format!("declare it first: `.decl {}(...)`", name.text),
            };
            diags.push(
                Diagnostic::error(
                    Code::UnknownRelation,
                    format!(
                        "`{keyword}` names the relation `{}`, which is neither declared nor used",
                        name.text
                    ),
                )
                .at(name.span)
                .with_label("no such relation")
                .with_help(help),
            );
            continue;
        };
        let rel = &mut names.rels[id.0 as usize];
        let spec = IoSpec {
            params: params.clone(),
            span: dir.span,
        };
        match kind {
            Directive::Input => {
                rel.has_input = true;
                rel.inputs.push(spec);
            }
            Directive::Output => rel.outputs.push(spec),
            Directive::PrintSize => rel.printsize = Some(dir.span),
        }
    }
}
