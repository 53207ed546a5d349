//! Name resolution and execution context.
//!
//! [`SemanticModel::build`] walks a module once and records every scope (module, function,
//! lambda, class, comprehension) and every name bound in it: imports, assignments, parameters,
//! `def`/`class` names, loop and `with` targets, `except ... as`, match captures, `global` and
//! `nonlocal` declarations. Python decides whether a name is local by looking at the whole
//! function, so resolution runs only after the whole module was seen: a later `time = clock()`
//! makes an earlier `time.sleep(1)` in the same function refer to the local.
//!
//! Recipes ask for a call's *qualified name* (`["time", "sleep"]` for `time.sleep`, `t.sleep`
//! after `import time as t`, `nap` after `from time import sleep as nap`), never for its text.
//!
//! Both the builder here and the [`crate::checker::Checker`] walk the tree with the same
//! [`ScopeVisitor`] functions, so they meet the scopes in the same order and the checker finds
//! each scope by counting.

use crate::parse::ast::{self, Expr, ExprContext, Stmt};
use crate::parse::visitor::{self, Visitor};
use crate::parse::{Ranged, TextRange, TextSize};

pub type ScopeId = usize;
pub type BindingId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function { is_async: bool },
    Lambda,
    Class,
    Comprehension { generator: bool },
}

#[derive(Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    /// A dotted path of the enclosing definitions (`Service.run.<lambda>`), stable across edits.
    pub label: String,
    names: Names<'a>,
    globals: Vec<&'a str>,
    nonlocals: Vec<&'a str>,
    star_imports: Vec<Vec<&'a str>>,
    /// For a method (a function directly in a class body): its first positional parameter.
    pub self_name: Option<&'a str>,
    /// For a function: its positional parameters, in order.
    pub positional: Vec<&'a str>,
}

/// A scope's bindings by name. [`SemanticModel::lookup`] hashes a name once for all the
/// scopes it looks in; the hash is the one a map of `&str` keys computes, so the names are
/// stored, and iterated, as in such a map.
#[derive(Debug, Default, Clone)]
struct Names<'a>(std::collections::HashMap<Key<'a>, BindingId, PrehashedBuild>);

/// A name with its hash.
#[derive(Debug, Clone, Copy)]
struct Key<'a> {
    hash: u64,
    name: &'a str,
}

impl<'a> Key<'a> {
    fn of(name: &'a str) -> Self {
        use std::hash::BuildHasher;
        Key {
            hash: rustc_hash::FxBuildHasher.hash_one(name),
            name,
        }
    }
}

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.name == other.name
    }
}

impl Eq for Key<'_> {}

impl std::hash::Hash for Key<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Hashes a [`Key`] to the hash it carries.
type PrehashedBuild = std::hash::BuildHasherDefault<Prehashed>;

#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, _: &[u8]) {
        unreachable!("only a key's hash is written")
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

impl<'a> Names<'a> {
    fn get(&self, name: &str) -> Option<BindingId> {
        self.get_key(Key::of(name))
    }

    fn get_key(&self, key: Key<'_>) -> Option<BindingId> {
        self.0.get(&key).copied()
    }

    fn insert(&mut self, name: &'a str, binding: BindingId) {
        self.0.insert(Key::of(name), binding);
    }

    fn iter(&self) -> impl Iterator<Item = (&'a str, &BindingId)> + '_ {
        self.0.iter().map(|(key, binding)| (key.name, binding))
    }
}

/// Where an import binding comes from, for removing it once fixes made it unused.
#[derive(Debug, Clone)]
pub struct ImportSite {
    /// The whole `import` / `from ... import` statement.
    pub stmt: TextRange,
    /// Every alias of that statement, in order.
    pub aliases: Vec<TextRange>,
    /// Which of them binds this name.
    pub index: usize,
    /// The block holding the statement: its first statement's offset and its length (removing
    /// every statement of a block would leave it empty).
    pub block: (TextSize, usize),
    /// Directly in its scope's body, not inside an `if`, `try`, loop or `with`: the name is
    /// bound whenever code after it runs.
    pub unconditional: bool,
}

#[derive(Debug, Clone)]
pub enum BindingKind<'a> {
    /// An import: the qualified name it binds (`["time"]`, `["time", "sleep"]`).
    Import {
        path: Vec<&'a str>,
        site: ImportSite,
    },
    /// Anything else, or a name bound more than one way.
    Other,
}

#[derive(Debug, Clone)]
pub struct Binding<'a> {
    pub name: &'a str,
    pub kind: BindingKind<'a>,
    pub scope: ScopeId,
    /// Loads resolved to this binding.
    pub uses: u32,
    /// Bound more than once (by the same import); never removed automatically.
    pub rebound: bool,
    /// How many statements or expressions bind the name in its scope.
    pub bind_count: u32,
    /// For the name of a `def` or `class` bound once: the scope of its body.
    pub definition: Option<ScopeId>,
    /// The values of the `name = value` assignments that bind it (with `bind_count`, this
    /// tells whether every binding of the name is one of these).
    pub values: Vec<&'a Expr>,
}

/// An import binding identified independently of offsets, to compare two versions of a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportKey {
    pub scope: String,
    pub name: String,
    pub path: String,
}

/// Whether code at some point runs on the event loop, and whether `await` can be added there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// Directly in an `async def` (or a list/set/dict comprehension in one): `await` is allowed.
    Async,
    /// On the event loop, but `await` cannot be inserted here: a generator expression (it
    /// would become an async generator) or a class body in an `async def`.
    AsyncNoAwait,
    /// Sync code: a `def`, a lambda, a class body or the module.
    Sync,
}

#[derive(Debug)]
pub struct SemanticModel<'a> {
    pub scopes: Vec<Scope<'a>>,
    pub bindings: Vec<Binding<'a>>,
    /// Names listed in the module's `__all__` (re-exports count as uses).
    pub exported: Vec<&'a str>,
    /// The first component of every module imported anywhere (`import a.b`, `from a import
    /// x`, `from a import *`), for [`SemanticModel::imports_module`].
    imported_modules: rustc_hash::FxHashSet<&'a str>,
    /// Per scope, the names bound to a whole-module import (`import m`, `import m as x`), for
    /// [`SemanticModel::module_alias`] (a module of many functions is not scanned per call).
    module_imports: Vec<Vec<(&'a str, BindingId)>>,
    /// Some call of the module is `x.acquire(...)` (see [`SemanticModel::acquires_locks`]).
    acquires: bool,
}

impl<'a> SemanticModel<'a> {
    pub fn build(suite: &'a [Stmt]) -> Self {
        // (Room for the bindings of a typical module of its size, about one per 80 bytes:
        // growing a vector of bindings copied them over and over.)
        let size = suite.last().map_or(0, |last| last.end().to_usize());
        let mut builder = Builder {
            model: SemanticModel {
                scopes: vec![Scope::new(ScopeKind::Module, None, String::new())],
                bindings: Vec::with_capacity(size / 80),
                exported: Vec::new(),
                imported_modules: rustc_hash::FxHashSet::default(),
                module_imports: Vec::new(),
                acquires: false,
            },
            stack: vec![0],
            blocks: Vec::new(),
            scope_blocks: vec![0],
        };
        builder.visit_body(suite);
        let mut model = builder.model;
        let imported: rustc_hash::FxHashSet<&'a str> = model
            .bindings
            .iter()
            .filter_map(|b| match &b.kind {
                BindingKind::Import { path, .. } => path.first().copied(),
                _ => None,
            })
            .chain(
                model
                    .scopes
                    .iter()
                    .flat_map(|s| s.star_imports.iter().filter_map(|m| m.first().copied())),
            )
            .collect();
        model.imported_modules = imported;
        model.module_imports = model
            .scopes
            .iter()
            .map(|scope| {
                scope
                    .names
                    .iter()
                    .filter(|&(_, &binding)| {
                        matches!(&model.bindings[binding].kind, BindingKind::Import { path, .. } if path.len() == 1)
                    })
                    .map(|(name, &binding)| (name, binding))
                    .collect()
            })
            .collect();
        model
    }

    /// The binding `name` refers to from `scope`, following Python's rules: class scopes are
    /// skipped for nested functions, `global` and `nonlocal` redirect. `None`: a builtin or an
    /// undefined name.
    pub fn lookup(&self, scope: ScopeId, name: &str) -> Option<BindingId> {
        // (Hashed once for every scope on the way.)
        let key = Key::of(name);
        let mut current = Some(scope);
        let mut innermost = true;
        while let Some(id) = current {
            let s = &self.scopes[id];
            if s.globals.contains(&name) {
                return self.scopes[0].names.get_key(key);
            }
            let visible = innermost || s.kind != ScopeKind::Class;
            if visible && !s.nonlocals.contains(&name) {
                if let Some(binding) = s.names.get_key(key) {
                    return Some(binding);
                }
            }
            innermost = false;
            current = s.parent;
        }
        None
    }

    /// Whether some call of the module is a method call named `acquire` (`lock.acquire()`):
    /// without one, only a `with` block can hold a lock.
    pub fn acquires_locks(&self) -> bool {
        self.acquires
    }

    /// The qualified name of a `Name` or dotted `Attribute` chain, if it resolves to an import
    /// (or a builtin: `["builtins", name]`).
    pub fn qualified_name(&self, scope: ScopeId, expr: &'a Expr) -> Option<Vec<&'a str>> {
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                match self.lookup(scope, id) {
                    Some(binding) => match &self.bindings[binding].kind {
                        BindingKind::Import { path, .. } => Some(path.clone()),
                        BindingKind::Other => None,
                    },
                    None => match self.scopes[0].star_imports.as_slice() {
                        [] => Some(vec!["builtins", id]),
                        // One star import: an unbound name may come from it.
                        [module] => {
                            let mut path = module.clone();
                            path.push(id);
                            Some(path)
                        }
                        // Several: which module wins is not knowable statically.
                        _ => None,
                    },
                }
            }
            Expr::Attribute(attribute) => {
                let mut path = self.qualified_name(scope, &attribute.value)?;
                if path.first() == Some(&"builtins") {
                    return None;
                }
                path.push(attribute.attr.id.as_str());
                Some(canonical_module(path))
            }
            _ => None,
        }
    }

    /// The name through which `module` can be referenced at offset `at` in `scope`: an
    /// existing import of it (`import asyncio as aio` gives `aio`) that is bound whenever that
    /// code runs (not under an `if` or `try`, not later in the same function). The first such
    /// import wins. `None` when there is none.
    pub fn module_alias(&self, scope: ScopeId, module: &str, at: TextSize) -> Option<&'a str> {
        let mut current = Some(scope);
        while let Some(id) = current {
            // The first binding of the scope that qualifies.
            let first: Option<(BindingId, &'a str)> = self.module_imports[id]
                .iter()
                .filter(|&&(name, binding)| {
                    let BindingKind::Import { path, site } = &self.bindings[binding].kind else {
                        return false;
                    };
                    let before = id == 0 || site.stmt.end() <= at;
                    matches!(path.as_slice(), [m] if *m == module)
                        && site.unconditional
                        && before
                        && self.lookup(scope, name) == Some(binding)
                })
                .map(|&(name, binding)| (binding, name))
                .min();
            if let Some((_, name)) = first {
                return Some(name);
            }
            current = self.scopes[id].parent;
        }
        None
    }

    /// Whether `name`, seen from `scope`, is a module-level import of `module` (possibly
    /// conditional): a new unconditional `import module` would bind the same thing.
    pub fn is_module_import(&self, scope: ScopeId, name: &str, module: &str) -> bool {
        self.lookup(scope, name).is_some_and(|binding| {
            let binding = &self.bindings[binding];
            binding.scope == 0
                && matches!(&binding.kind, BindingKind::Import { path, .. } if matches!(path.as_slice(), [m] if *m == module))
        })
    }

    /// Whether `name` is free from `scope` (unbound, so an import added at module level would
    /// be what it refers to). A name that a star import might provide is not free, unless the
    /// star import is of a standard module known not to export module names.
    pub fn is_free(&self, scope: ScopeId, name: &str) -> bool {
        /// Standard modules whose `*` binds functions and constants only, never a module.
        const PLAIN_STAR_MODULES: &[&str] = &["asyncio", "os", "sqlite3", "subprocess", "time"];
        self.lookup(scope, name).is_none()
            && self.scopes[0]
                .star_imports
                .iter()
                .all(|module| matches!(module.as_slice(), [m] if PLAIN_STAR_MODULES.contains(m)))
    }

    /// How code in `scope` runs: on the event loop or not, and whether `await` may be added.
    /// A class body inside an `async def` runs on the loop when the class statement runs, but
    /// cannot await; so does a generator expression.
    pub fn execution(&self, scope: ScopeId) -> Execution {
        let mut current = scope;
        let mut in_generator = false;
        loop {
            let s = &self.scopes[current];
            match s.kind {
                ScopeKind::Comprehension { generator } => {
                    in_generator |= generator;
                    current = s.parent.expect("a comprehension has a parent scope");
                }
                ScopeKind::Class => {
                    in_generator = true;
                    match s.parent {
                        Some(parent) => current = parent,
                        None => return Execution::Sync,
                    }
                }
                ScopeKind::Function { is_async: true } if in_generator => {
                    return Execution::AsyncNoAwait
                }
                ScopeKind::Function { is_async: true } => return Execution::Async,
                _ => return Execution::Sync,
            }
        }
    }

    /// The values a name is bound to, when every binding of it is a `name = value` assignment.
    pub fn assigned_values(&self, binding: BindingId) -> Option<&[&'a Expr]> {
        let binding = &self.bindings[binding];
        (binding.values.len() as u32 == binding.bind_count && !binding.values.is_empty())
            .then_some(binding.values.as_slice())
    }

    /// Whether some scope of the module declares `global name`.
    pub fn declared_global(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.globals.contains(&name))
    }

    /// Whether the module imports `module` (or something from it) anywhere.
    pub fn imports_module(&self, module: &str) -> bool {
        self.imported_modules.contains(module)
    }

    /// The scope of the function or class a call's callee refers to, when it is a project
    /// definition: `f` bound by a single `def f`, or `self.m` / `cls.m` in a method of the
    /// class that defines `m`.
    pub fn callee_definition(&self, scope: ScopeId, func: &Expr) -> Option<ScopeId> {
        match func {
            Expr::Name(name) => self.bindings[self.lookup(scope, name.id.as_str())?].definition,
            Expr::Attribute(attribute) => {
                let class = self.self_class(scope, &attribute.value)?;
                let binding = self.scopes[class].names.get(attribute.attr.id.as_str())?;
                self.bindings[binding].definition
            }
            _ => None,
        }
    }

    /// The scope of the method (or nested class) `name` defined in the body of `class`.
    pub fn member_definition(&self, class: ScopeId, name: &str) -> Option<ScopeId> {
        let binding = self.scopes[class].names.get(name)?;
        self.bindings[binding].definition
    }

    /// The class scope when `expr` is the `self` (first) parameter of the method enclosing
    /// `scope`.
    pub fn self_class(&self, scope: ScopeId, expr: &Expr) -> Option<ScopeId> {
        let Expr::Name(name) = expr else { return None };
        let method = self.enclosing_function(scope)?;
        let self_name = self.scopes[method].self_name?;
        if self_name != name.id.as_str()
            || self
                .lookup(scope, self_name)
                .map(|b| self.bindings[b].scope)
                != Some(method)
        {
            return None;
        }
        self.scopes[method].parent
    }

    /// The name of the `index`th positional parameter of the function whose body is `scope`.
    pub fn positional_parameter(&self, scope: ScopeId, index: usize) -> Option<&'a str> {
        self.scopes[scope].positional.get(index).copied()
    }

    /// Whether `scope` declares `name` global (`global name`): what binds it there binds a
    /// module-level name.
    pub fn declares_global(&self, scope: ScopeId, name: &str) -> bool {
        self.scopes[scope].globals.contains(&name)
    }

    /// The nearest function (or lambda) scope enclosing `scope`, itself included.
    pub fn enclosing_function(&self, scope: ScopeId) -> Option<ScopeId> {
        let mut current = Some(scope);
        while let Some(id) = current {
            match self.scopes[id].kind {
                ScopeKind::Function { .. } | ScopeKind::Lambda => return Some(id),
                ScopeKind::Comprehension { .. } => current = self.scopes[id].parent,
                ScopeKind::Module | ScopeKind::Class => return None,
            }
        }
        None
    }

    /// The names bound at module level.
    pub fn top_level_names(&self) -> impl Iterator<Item = (&'a str, &BindingId)> + '_ {
        self.scopes[0].names.iter()
    }

    /// Whether `await` could stand in `scope` if its enclosing `def` were async: no lambda,
    /// generator expression or class body lies between them.
    pub fn awaitable_in_function(&self, scope: ScopeId) -> bool {
        let mut current = scope;
        loop {
            let s = &self.scopes[current];
            match s.kind {
                ScopeKind::Comprehension { generator: false } => {
                    current = s.parent.expect("a comprehension has a parent scope");
                }
                ScopeKind::Function { .. } => return true,
                _ => return false,
            }
        }
    }

    /// The name of a function or class scope (its last label segment).
    pub fn scope_name(&self, scope: ScopeId) -> &str {
        let label = &self.scopes[scope].label;
        label.rsplit('.').next().unwrap_or(label)
    }

    /// Records a load of `name` from `scope` (for unused-import detection).
    pub fn mark_used(&mut self, scope: ScopeId, name: &str) {
        if let Some(binding) = self.lookup(scope, name) {
            self.bindings[binding].uses += 1;
        }
    }

    /// Import bindings that nothing refers to.
    pub fn unused_imports(&self) -> impl Iterator<Item = (ImportKey, &Binding<'a>)> + '_ {
        let exported = |b: &Binding| b.scope == 0 && self.exported.contains(&b.name);
        self.bindings
            .iter()
            .filter(move |b| b.uses == 0 && !exported(b))
            .filter_map(|binding| {
                let BindingKind::Import { path, .. } = &binding.kind else {
                    return None;
                };
                let key = ImportKey {
                    scope: self.scopes[binding.scope].label.clone(),
                    name: binding.name.to_owned(),
                    path: path.join("."),
                };
                Some((key, binding))
            })
    }
}

impl<'a> Scope<'a> {
    fn new(kind: ScopeKind, parent: Option<ScopeId>, label: String) -> Self {
        Scope {
            kind,
            parent,
            label,
            names: Names::default(),
            globals: Vec::new(),
            nonlocals: Vec::new(),
            star_imports: Vec::new(),
            self_name: None,
            positional: Vec::new(),
        }
    }
}

/// A visitor that opens and closes scopes. [`walk_scoped_stmt`] and [`walk_scoped_expr`]
/// visit scope-creating nodes in Python's evaluation order: decorators, defaults and
/// annotations in the enclosing scope, the body in the new one.
pub trait ScopeVisitor<'a>: Visitor<'a> {
    fn enter_scope(&mut self, kind: ScopeKind, name: &'a str);
    fn exit_scope(&mut self);
    fn bind_parameters(&mut self, _parameters: &'a ast::Parameters) {}
}

fn walk_parameters_outside<'a, V: ScopeVisitor<'a> + ?Sized>(
    v: &mut V,
    params: &'a ast::Parameters,
) {
    for default in params
        .iter_non_variadic_params()
        .filter_map(|p| p.default.as_deref())
    {
        v.visit_expr(default);
    }
    for param in params.iter() {
        if let Some(annotation) = param.annotation() {
            v.visit_annotation(annotation);
        }
    }
}

/// Walks a statement that opens a scope; returns false (and does nothing) for any other one.
pub fn walk_scoped_stmt<'a, V: ScopeVisitor<'a> + ?Sized>(v: &mut V, stmt: &'a Stmt) -> bool {
    match stmt {
        Stmt::FunctionDef(def) => {
            for decorator in &def.decorator_list {
                v.visit_decorator(decorator);
            }
            walk_parameters_outside(v, &def.parameters);
            if let Some(returns) = &def.returns {
                v.visit_annotation(returns);
            }
            v.enter_scope(
                ScopeKind::Function {
                    is_async: def.is_async,
                },
                def.name.id.as_str(),
            );
            v.bind_parameters(&def.parameters);
            v.visit_body(&def.body);
            v.exit_scope();
            true
        }
        Stmt::ClassDef(class) => {
            for decorator in &class.decorator_list {
                v.visit_decorator(decorator);
            }
            if let Some(arguments) = &class.arguments {
                v.visit_arguments(arguments);
            }
            v.enter_scope(ScopeKind::Class, class.name.id.as_str());
            v.visit_body(&class.body);
            v.exit_scope();
            true
        }
        _ => false,
    }
}

/// Walks an expression that opens a scope; returns false (and does nothing) for any other one.
pub fn walk_scoped_expr<'a, V: ScopeVisitor<'a> + ?Sized>(v: &mut V, expr: &'a Expr) -> bool {
    let (generators, elements, generator, label): (
        &'a [ast::Comprehension],
        Vec<&'a Expr>,
        bool,
        &str,
    ) = match expr {
        Expr::Lambda(lambda) => {
            if let Some(parameters) = &lambda.parameters {
                walk_parameters_outside(v, parameters);
            }
            v.enter_scope(ScopeKind::Lambda, "<lambda>");
            if let Some(parameters) = &lambda.parameters {
                v.bind_parameters(parameters);
            }
            v.visit_expr(&lambda.body);
            v.exit_scope();
            return true;
        }
        Expr::ListComp(c) => (&c.generators, vec![&*c.elt], false, "<listcomp>"),
        Expr::SetComp(c) => (&c.generators, vec![&*c.elt], false, "<setcomp>"),
        Expr::DictComp(c) => {
            let mut elements: Vec<&Expr> = c.key.as_deref().into_iter().collect();
            elements.push(&c.value);
            (&c.generators, elements, false, "<dictcomp>")
        }
        Expr::Generator(c) => (&c.generators, vec![&*c.elt], true, "<genexpr>"),
        _ => return false,
    };
    // The first iterable is evaluated in the enclosing scope.
    if let Some(first) = generators.first() {
        v.visit_expr(&first.iter);
    }
    v.enter_scope(ScopeKind::Comprehension { generator }, label);
    for (i, comprehension) in generators.iter().enumerate() {
        if i > 0 {
            v.visit_expr(&comprehension.iter);
        }
        v.visit_expr(&comprehension.target);
        for condition in &comprehension.ifs {
            v.visit_expr(condition);
        }
    }
    for element in elements {
        v.visit_expr(element);
    }
    v.exit_scope();
    true
}

struct Builder<'a> {
    model: SemanticModel<'a>,
    stack: Vec<ScopeId>,
    /// The enclosing statement blocks: first statement's offset and length.
    blocks: Vec<(TextSize, usize)>,
    /// For each open scope, how many blocks were open when it was entered.
    scope_blocks: Vec<usize>,
}

impl<'a> Builder<'a> {
    fn current(&self) -> ScopeId {
        *self.stack.last().expect("the module scope is never popped")
    }

    fn bind(&mut self, name: &'a str, kind: BindingKind<'a>) {
        let mut scope = self.current();
        if self.model.scopes[scope].globals.contains(&name) {
            scope = 0;
        } else if self.model.scopes[scope].nonlocals.contains(&name) {
            // Rebinds a name of an enclosing function: whatever it was, it is no longer sure.
            if let Some(parent) = self.model.scopes[scope].parent {
                if let Some(binding) = self.model.lookup(parent, name) {
                    self.model.bindings[binding].kind = BindingKind::Other;
                }
            }
            return;
        }
        if let Some(existing) = self.model.scopes[scope].names.get(name) {
            let binding = &mut self.model.bindings[existing];
            binding.rebound = true;
            binding.bind_count += 1;
            binding.definition = None;
            // The same import again: keep the site that binds it unconditionally, if any.
            if let (
                BindingKind::Import { path: a, site: old },
                BindingKind::Import { path: b, site: new },
            ) = (&binding.kind, &kind)
            {
                if a == b && new.unconditional && !old.unconditional {
                    binding.kind = kind;
                    return;
                }
            }
            let same = match (&binding.kind, &kind) {
                (BindingKind::Import { path: a, .. }, BindingKind::Import { path: b, .. }) => {
                    a == b
                }
                _ => false,
            };
            if !same {
                binding.kind = BindingKind::Other;
            }
            return;
        }
        let id = self.model.bindings.len();
        self.model.bindings.push(Binding {
            name,
            kind,
            scope,
            uses: 0,
            rebound: false,
            bind_count: 1,
            definition: None,
            values: Vec::new(),
        });
        self.model.scopes[scope].names.insert(name, id);
    }

    /// Records the string literals of an `__all__` list or tuple.
    fn export(&mut self, value: &'a Expr) {
        let elements = match value {
            Expr::List(list) => &list.elts,
            Expr::Tuple(tuple) => &tuple.elts,
            _ => return,
        };
        for element in elements {
            if let Expr::StringLiteral(literal) = element {
                self.model.exported.push(literal.value.to_str());
            }
        }
    }

    fn bind_named_target(&mut self, name: &'a str) {
        // `(x := ...)` inside a comprehension binds `x` in the nearest non-comprehension scope.
        let mut scope = self.current();
        while let ScopeKind::Comprehension { .. } = self.model.scopes[scope].kind {
            scope = self.model.scopes[scope]
                .parent
                .expect("comprehensions have parents");
        }
        let saved = std::mem::replace(&mut self.stack, vec![scope]);
        self.bind(name, BindingKind::Other);
        self.stack = saved;
    }

    fn import_site(&self, stmt: &Stmt, aliases: &[ast::Alias], index: usize) -> ImportSite {
        ImportSite {
            stmt: stmt.range(),
            aliases: aliases.iter().map(Ranged::range).collect(),
            index,
            block: self.blocks.last().copied().unwrap_or_default(),
            unconditional: self.blocks.len() == self.scope_blocks.last().copied().unwrap_or(0) + 1,
        }
    }
}

fn is_dunder_all(target: &Expr) -> bool {
    matches!(target, Expr::Name(name) if name.id.as_str() == "__all__")
}

fn dots(level: u32) -> &'static str {
    const DOTS: &str = "..........";
    &DOTS[..(level as usize).clamp(1, DOTS.len())]
}

impl<'a> ScopeVisitor<'a> for Builder<'a> {
    fn enter_scope(&mut self, kind: ScopeKind, name: &'a str) {
        let parent = self.current();
        let parent_label = &self.model.scopes[parent].label;
        let label = if parent_label.is_empty() {
            name.to_owned()
        } else {
            format!("{parent_label}.{name}")
        };
        let id = self.model.scopes.len();
        self.model
            .scopes
            .push(Scope::new(kind, Some(parent), label));
        self.stack.push(id);
        self.scope_blocks.push(self.blocks.len());
    }

    fn exit_scope(&mut self) {
        self.stack.pop();
        self.scope_blocks.pop();
    }

    fn bind_parameters(&mut self, parameters: &'a ast::Parameters) {
        let scope = self.current();
        let in_class = self.model.scopes[scope]
            .parent
            .is_some_and(|parent| self.model.scopes[parent].kind == ScopeKind::Class);
        if in_class && matches!(self.model.scopes[scope].kind, ScopeKind::Function { .. }) {
            let first = parameters.posonlyargs.iter().chain(&parameters.args).next();
            self.model.scopes[scope].self_name = first.map(|p| p.parameter.name.id.as_str());
        }
        self.model.scopes[scope].positional = parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .map(|p| p.parameter.name.id.as_str())
            .collect();
        for parameter in parameters.iter() {
            self.bind(parameter.name().id.as_str(), BindingKind::Other);
        }
    }
}

impl<'a> Visitor<'a> for Builder<'a> {
    fn visit_body(&mut self, body: &'a [Stmt]) {
        let start = body.first().map_or_else(TextSize::default, Ranged::start);
        self.blocks.push((start, body.len()));
        visitor::walk_body(self, body);
        self.blocks.pop();
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => self.bind(def.name.id.as_str(), BindingKind::Other),
            Stmt::ClassDef(class) => self.bind(class.name.id.as_str(), BindingKind::Other),
            Stmt::Import(import) => {
                for (index, alias) in import.names.iter().enumerate() {
                    let full = alias.name.id.as_str();
                    let (name, path) = match &alias.asname {
                        Some(asname) => (asname.id.as_str(), full.split('.').collect()),
                        // `import a.b.c` binds `a`.
                        None => {
                            let head = full.split('.').next().unwrap_or(full);
                            (head, vec![head])
                        }
                    };
                    let site = self.import_site(stmt, &import.names, index);
                    let path = canonical_module(path);
                    self.bind(name, BindingKind::Import { path, site });
                }
            }
            Stmt::ImportFrom(import) => {
                let mut module: Vec<&'a str> = Vec::new();
                if import.level > 0 {
                    module.push(dots(import.level));
                }
                if let Some(m) = &import.module {
                    module.extend(m.id.as_str().split('.'));
                }
                for (index, alias) in import.names.iter().enumerate() {
                    let member = alias.name.id.as_str();
                    if member == "*" {
                        let scope = self.current();
                        self.model.scopes[scope].star_imports.push(module.clone());
                        continue;
                    }
                    let name = alias.asname.as_ref().map_or(member, |a| a.id.as_str());
                    let mut path = module.clone();
                    path.push(member);
                    let path = canonical_module(path);
                    let site = self.import_site(stmt, &import.names, index);
                    self.bind(name, BindingKind::Import { path, site });
                }
            }
            Stmt::Assign(ast::StmtAssign { targets, value, .. })
                if self.current() == 0 && targets.iter().any(is_dunder_all) =>
            {
                self.export(value);
            }
            Stmt::AugAssign(ast::StmtAugAssign { target, value, .. })
                if self.current() == 0 && is_dunder_all(target) =>
            {
                self.export(value);
            }
            Stmt::Global(global) => {
                let scope = self.current();
                let names = global.names.iter().map(|n| n.id.as_str());
                self.model.scopes[scope].globals.extend(names);
            }
            Stmt::Nonlocal(nonlocal) => {
                let scope = self.current();
                let names = nonlocal.names.iter().map(|n| n.id.as_str());
                self.model.scopes[scope].nonlocals.extend(names);
            }
            _ => {}
        }
        let scopes_before = self.model.scopes.len();
        if walk_scoped_stmt(self, stmt) {
            // The body's scope is the last one opened directly by this statement (decorators
            // and defaults may open lambda scopes before it).
            let name = match stmt {
                Stmt::FunctionDef(def) => def.name.id.as_str(),
                Stmt::ClassDef(class) => class.name.id.as_str(),
                _ => unreachable!("only definitions open scopes"),
            };
            let parent = self.current();
            let body_scope = (scopes_before..self.model.scopes.len()).rev().find(|&id| {
                self.model.scopes[id].parent == Some(parent)
                    && !matches!(
                        self.model.scopes[id].kind,
                        ScopeKind::Lambda | ScopeKind::Comprehension { .. }
                    )
            });
            if let (Some(body_scope), Some(binding)) =
                (body_scope, self.model.scopes[parent].names.get(name))
            {
                if self.model.bindings[binding].bind_count == 1 {
                    self.model.bindings[binding].definition = Some(body_scope);
                }
            }
        } else {
            visitor::walk_stmt(self, stmt);
        }
        // `name = value`: remember the value on the binding.
        if let Stmt::Assign(ast::StmtAssign { targets, value, .. }) = stmt {
            for target in targets {
                let Expr::Name(name) = target else { continue };
                if let Some(binding) = self.model.lookup(self.current(), name.id.as_str()) {
                    self.model.bindings[binding].values.push(value);
                }
            }
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(h) = handler;
        if let Some(name) = &h.name {
            self.bind(name.id.as_str(), BindingKind::Other);
        }
        if let Some(type_) = &h.type_ {
            self.visit_expr(type_);
        }
        self.visit_body(&h.body);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) if name.ctx != ExprContext::Load => {
                self.bind(name.id.as_str(), BindingKind::Other);
            }
            Expr::Call(call) => {
                if let Expr::Attribute(method) = &*call.func {
                    self.model.acquires |= method.attr.id.as_str() == "acquire";
                }
            }
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                if let Expr::Name(target) = &*named.target {
                    self.bind_named_target(target.id.as_str());
                }
                return;
            }
            _ => {}
        }
        if !walk_scoped_expr(self, expr) {
            visitor::walk_expr(self, expr);
        }
    }

    fn visit_pattern(&mut self, pattern: &'a ast::Pattern) {
        let name = match pattern {
            ast::Pattern::MatchAs(p) => p.name.as_ref(),
            ast::Pattern::MatchStar(p) => p.name.as_ref(),
            ast::Pattern::MatchMapping(p) => p.rest.as_ref(),
            _ => None,
        };
        if let Some(name) = name {
            self.bind(name.id.as_str(), BindingKind::Other);
        }
        visitor::walk_pattern(self, pattern);
    }
}

/// Standard-library modules that are another module under a second name: `sqlite3.dbapi2`
/// is `sqlite3` (`from sqlite3 import dbapi2 as sqlite3`), so a qualified name through it is
/// the same name as through `sqlite3`.
const MODULE_ALIASES: &[(&[&str], &[&str])] = &[(&["sqlite3", "dbapi2"], &["sqlite3"])];

/// `path` with a module alias of [`MODULE_ALIASES`] at its start replaced by its module.
fn canonical_module(mut path: Vec<&str>) -> Vec<&str> {
    for (alias, module) in MODULE_ALIASES {
        if path.starts_with(alias) {
            path.splice(..alias.len(), module.iter().copied());
            break;
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::SemanticModel;

    /// The lock search skips modules without an `acquire` call (see
    /// [`SemanticModel::acquires_locks`]): wherever one stands, the model must see it.
    #[test]
    fn an_acquire_call_is_seen_wherever_it_stands() {
        let places = [
            "lock.acquire()",
            "def f():\n    lock.acquire()",
            "async def f():\n    if lock.acquire(timeout=1):\n        pass",
            "class C:\n    def m(self):\n        self._lock.acquire()",
            "class C:\n    x = lock.acquire()",
            "f = lambda: lock.acquire()",
            "xs = [lock.acquire() for _ in range(2)]",
            "xs = {k: lock.acquire() for k in ks}",
            "@deco(lock.acquire())\ndef f(): pass",
            "def f(x=lock.acquire()): pass",
            "def f(x: int = lock.acquire()): pass",
            "y = f'{lock.acquire()}'",
            "with lock.acquire() as a: pass",
            "try:\n    pass\nexcept E:\n    lock.acquire()",
            "while lock.acquire(False): pass",
            "match x:\n    case 1 if lock.acquire():\n        pass",
            "if (ok := lock.acquire()): pass",
            "g(key=lock.acquire(), *[lock.acquire()])",
            "x: bool = lock.acquire()",
            "x += lock.acquire()",
            "assert lock.acquire()",
            "async def f():\n    await g(lock.acquire())",
            "def f():\n    return (yield lock.acquire())",
            "a.b.c.acquire()",
        ];
        for place in places {
            let parsed = crate::parse::parse_module(place).expect(place);
            let model = SemanticModel::build(parsed.suite());
            assert!(model.acquires_locks(), "{place}");
        }
        for place in [
            "lock.release()",
            "acquire()",
            "x = lock.acquire",
            "# lock.acquire()",
        ] {
            let parsed = crate::parse::parse_module(place).expect(place);
            let model = SemanticModel::build(parsed.suite());
            assert!(!model.acquires_locks(), "{place}");
        }
    }
}
