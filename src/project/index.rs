//! Pass 1 of the project stage: what one module defines and calls, kept after its syntax tree
//! is dropped.
//!
//! [`index_module`] walks a parsed file once and records its functions and classes, every call
//! (with the function it sits in, whether that code runs on the event loop, what the call's
//! result is used for, and the text that would await it), every reference to a function that
//! is not a call (a callback, a thread target), and the blocking calls the recipes know.
//! Callees are recorded as written and resolved to project definitions by
//! [`super::Project`] once every module is indexed.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};

use super::layout::ModulePlace;
use crate::checker::{await_needs_parentheses, await_text};
use crate::parse::ast::{self, AnyNodeRef, Expr, ExprContext, Stmt};
use crate::parse::{Parsed, Ranged, TextRange, TextSize};
use crate::recipe::Recipe;
use crate::semantic::{BindingKind, Execution, ScopeId, ScopeKind, SemanticModel};
use crate::source::LineIndex;
use crate::suppression::Suppressions;
use crate::walk::{walk_module, WalkContext, WalkHandler};

#[path = "isolation.rs"]
mod isolation;
pub use isolation::Isolation;

/// A function or method definition.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: Box<str>,
    /// Dotted path of enclosing definitions (`Store.load`).
    pub label: Box<str>,
    pub is_async: bool,
    /// The class whose body defines it (a method).
    pub class: Option<usize>,
    /// Defined inside another function.
    pub nested: bool,
    /// Defined inside another function, not in a class and not declared `global` there: only
    /// that function's code can call it by its name (anywhere else it is a value it was given).
    pub local: bool,
    /// Where `async ` goes (the `def` keyword).
    pub def_offset: TextSize,
    /// The name's range, where findings about the definition point.
    pub name_range: TextRange,
    /// Decorators as written (`property`, `functools.lru_cache(maxsize=1)`).
    pub decorators: Vec<String>,
    /// Contains `yield`: calling it makes a generator.
    pub is_generator: bool,
    /// Has a `return` with a value other than `None`.
    pub returns_value: bool,
    /// Has a `return` whose value may be an awaitable: anything but a literal, a display, a
    /// comprehension or an f-string (whose values never are).
    pub may_return_awaitable: bool,
    /// A body of `...`, `pass`, a docstring or a `raise` only: a protocol's, an abstract
    /// method's or a stub's; what it returns says nothing about the implementations.
    pub is_stub: bool,
    /// In a test module whose pytest runs async tests, a function pytest may collect as a
    /// test: what goes before its `def` to make it `async def` there (the marker, in strict
    /// mode), or why it cannot be had.
    /// (Boxed, as the fields below: rare, and the index holds every function of the project.)
    pub async_test: Option<Box<Result<String, String>>>,
    /// The class its return annotation names (`-> Store`, `-> Optional[Store]`).
    pub returns: Option<Box<Target>>,
    /// What its own body shares with other code, for moving it to a thread (see
    /// [`Isolation`]).
    pub isolation: Isolation,
}

impl Function {
    /// The first decorator that may replace the function by something else (anything but
    /// `@staticmethod` and `@classmethod`).
    pub fn wrapping_decorator(&self) -> Option<&str> {
        self.decorators
            .iter()
            .map(String::as_str)
            .find(|d| !matches!(*d, "staticmethod" | "classmethod"))
    }

    pub fn is_dunder(&self) -> bool {
        self.name.len() > 4 && self.name.starts_with("__") && self.name.ends_with("__")
    }
}

/// A class definition.
#[derive(Debug, Clone, Default)]
pub struct Class {
    pub name: String,
    pub label: String,
    /// Base classes (keyword arguments such as `metaclass=` excluded).
    pub bases: Vec<Target>,
    /// Methods defined in the body, by name.
    pub methods: HashMap<String, usize>,
    /// `self.attr = Constructor(...)` in a method, when every such assignment of `attr` calls
    /// the same constructor: the constructor (a project class, or a qualified name).
    pub attributes: HashMap<String, Option<Target>>,
    /// Names the class body binds other than by `def` (`fetch = _constant`): on an instance
    /// they shadow a base's method of that name, as a `def` would.
    pub members: Vec<String>,
    /// Derives from `typing.Protocol`: classes that never name it implement it.
    pub is_protocol: bool,
}

/// A dotted path, one segment each: one copy for the whole run, shared by every target that
/// names it (modules name the same imported paths over and over, within a module and across
/// the project), and so are its segments (see [`intern`]).
pub type QualifiedPath = &'static [&'static str];

/// The one copy of a path, and of each of its segments, for the whole run. The index keeps the
/// paths of every module until the run ends, and a copy per module took more memory than any
/// other part of a target. The copies are never freed: there are as many as distinct paths.
pub fn intern(segments: &[&str]) -> QualifiedPath {
    #[derive(Default)]
    struct Table {
        /// A path's segments joined by NULs, which no segment holds.
        paths: HashMap<Box<str>, QualifiedPath>,
        segments: HashSet<&'static str>,
    }
    static TABLE: std::sync::Mutex<Option<Table>> = std::sync::Mutex::new(None);
    let mut key = String::with_capacity(segments.iter().map(|s| s.len() + 1).sum());
    for segment in segments {
        key.push_str(segment);
        key.push('\0');
    }
    let mut table = TABLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let table = table.get_or_insert_with(Table::default);
    if let Some(&path) = table.paths.get(key.as_str()) {
        return path;
    }
    let copies: Vec<&'static str> = segments
        .iter()
        .map(|segment| match table.segments.get(*segment) {
            Some(&copy) => copy,
            None => {
                let copy: &'static str = Box::leak(Box::from(*segment));
                table.segments.insert(copy);
                copy
            }
        })
        .collect();
    let path: QualifiedPath = Box::leak(copies.into_boxed_slice());
    table.paths.insert(key.into_boxed_str(), path);
    path
}

/// The paths a module's targets have so far (see [`QualifiedPath`]), by their segments joined
/// with NULs, and a buffer for that key: a module asks for the same paths over and over, and
/// finds them here without taking the run's lock.
#[derive(Default)]
struct Paths {
    key: String,
    known: HashMap<String, QualifiedPath>,
}

impl Paths {
    /// The shared path of `segments`.
    fn intern(&mut self, segments: &[&str]) -> QualifiedPath {
        self.key.clear();
        for segment in segments {
            self.key.push_str(segment);
            self.key.push('\0');
        }
        if let Some(&path) = self.known.get(self.key.as_str()) {
            return path;
        }
        let path = intern(segments);
        self.known.insert(self.key.clone(), path);
        path
    }
}

/// What a callee (or a referenced value) is, as far as one module can tell.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A function defined in this module.
    Function(usize),
    /// A class defined in this module.
    Class(usize),
    /// A name imported from elsewhere: its qualified path (`[".", "db", "fetch"]` for
    /// `from .db import fetch`; relative paths start with dots).
    Qualified(QualifiedPath),
    /// `self.name` / `cls.name` in a method of `class` (looked up through the hierarchy).
    /// (The class is a `u32`, and [`Target::InstanceMethod`] boxed, to keep a target in 24
    /// bytes: every call and value reference of the index has one.)
    Method { class: u32, name: Box<str> },
    /// `super().name` in a method of `class`.
    Super { class: u32, name: Box<str> },
    /// `self.attr.name`, where `class` knows the constructor of `attr` (boxed: rare, and
    /// every call and value reference has a target).
    AttributeMethod(Box<AttributeMethod>),
    /// An instance of the class the target resolves to (`db` after `db = Store(path)`).
    Instance(Box<Target>),
    /// `receiver.name`, where the receiver is an instance of the class `class` resolves to.
    InstanceMethod(Box<InstanceMethod>),
    /// A name this module cannot resolve (a builtin shadowed by several star imports), which
    /// a project definition of that name may be.
    Unknown(Box<str>),
    /// An attribute of an object this module cannot resolve (`load` of `obj.load()`): a
    /// method of that name, or a function stored as a class attribute, may be it.
    UnknownAttribute(Box<str>),
    /// A builtin or a name bound to something that is not a definition.
    External,
    /// The class a type annotation names (`db: Store`, `-> Store`): an instance of it, or of
    /// any class that quacks like it, so its methods resolve only where no other project class
    /// defines one of that name.
    Annotated(Box<Target>),
    /// What the pytest fixture of that name in the nearest `conftest.py` above the module
    /// returns (a test's parameter the module's own fixtures do not fill).
    ConftestFixture(Box<str>),
}

/// `receiver.name`, where the receiver is an instance of the class `class` resolves to (see
/// [`Target::InstanceMethod`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceMethod {
    pub class: Target,
    pub name: Box<str>,
}

/// `self.attribute.name` in a method of `class` (see [`Target::AttributeMethod`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeMethod {
    pub class: usize,
    pub attribute: Box<str>,
    pub name: Box<str>,
}

impl Target {
    /// Hashes the target as `Hash` does, but a qualified path by its address, which the
    /// interning makes the same for the same segments (see [`intern`]): no segment is read.
    /// For the sets and maps that hash many targets (two copies of one path, which the
    /// interning never makes, would only be kept apart, never confused).
    pub fn hash_by_address<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        match self {
            Target::Qualified(path) => std::ptr::hash(*path, state),
            other => other.hash(state),
        }
    }

    /// Whether the target is looked up as an attribute of an object (a method call), which
    /// can never reach a module function called by its bare name.
    pub fn is_attribute_lookup(&self) -> bool {
        matches!(
            self,
            Target::Method { .. }
                | Target::Super { .. }
                | Target::AttributeMethod(_)
                | Target::InstanceMethod(_)
                | Target::UnknownAttribute(_)
        )
    }

    /// The name the target is looked up by, when it is a lookup (`load` of `db.load`).
    pub fn name(&self) -> Option<&str> {
        match self {
            Target::Qualified(path) => path.last().map(|s| &**s),
            Target::AttributeMethod(method) => Some(&method.name),
            Target::InstanceMethod(method) => Some(&method.name),
            Target::Method { name, .. }
            | Target::Super { name, .. }
            | Target::Unknown(name)
            | Target::UnknownAttribute(name) => Some(name),
            Target::Function(_)
            | Target::Class(_)
            | Target::Instance(_)
            | Target::Annotated(_)
            | Target::ConftestFixture(_)
            | Target::External => None,
        }
    }
}

/// Who makes a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Function(usize),
    Lambda,
    /// Module level or a class body.
    TopLevel,
}

/// What happens to a call's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// `await f()`.
    Awaited,
    /// Passed to something that runs coroutines (`create_task`, `gather`, `asyncio.run`, ...).
    Scheduled,
    /// An expression statement: the result is dropped.
    Discarded,
    /// Tested for truth (`if f():`, `not f()`, `a and f()`).
    Condition,
    /// Anything else: assigned, returned, passed on.
    Other,
}

/// One call.
#[derive(Debug, Clone)]
pub struct Call {
    pub caller: Caller,
    pub execution: Execution,
    pub target: Target,
    pub range: TextRange,
    pub usage: Use,
    /// How `await` goes around the call, or why it cannot (see [`Call::await_text`]).
    pub awaiting: Awaiting,
    /// The argument list, parentheses included.
    pub arguments: TextRange,
    /// The first argument starts another line (a line break or a comment follows `(`): an
    /// argument put before it ends its line at the comma, without a space after it.
    pub arguments_break: bool,
    /// For a call in a function (an `async def`, or a `def` a fix may make async): the name
    /// `asyncio` has there and the edit importing it, or why it cannot be had (for fixes that
    /// move the call to a thread).
    pub asyncio: Option<Result<AsyncioName, Box<String>>>,
    /// At module level in the body of `if __name__ == "__main__":` (the script's entry).
    pub main_guard: bool,
    /// Runs no project code and shares nothing, judged alone: a standard function or a
    /// method of an object its function made (see [`Isolation`]).
    pub isolated: bool,
}

impl Call {
    /// The text to put before and after the call to await it, or why `await` cannot be added
    /// there.
    pub fn await_text(&self) -> Result<(&'static str, &'static str), std::borrow::Cow<'_, str>> {
        match &self.awaiting {
            Awaiting::Bare => Ok(await_text(false)),
            Awaiting::Parenthesized => Ok(await_text(true)),
            Awaiting::NotInFunction => {
                Err("a generator expression, a lambda or an f-string `=` field".into())
            }
            Awaiting::Obstacle(reason) => Err(reason.as_str().into()),
            Awaiting::CoroutineCheck(check) => Err(format!(
                "the code around it checks at run time whether it is a coroutine (`{check}`)"
            )
            .into()),
        }
    }

    /// The run-time coroutine test guarding the call (`inspect.iscoroutinefunction`): the code
    /// handles both kinds of callee itself.
    pub fn coroutine_check(&self) -> Option<&str> {
        match &self.awaiting {
            Awaiting::CoroutineCheck(check) => Some(check.as_str()),
            _ => None,
        }
    }
}

/// Where `await` can stand at a call once the enclosing `def` is async (kept small: every call
/// of the index has one; the reasons for the common cases are written when asked for, a rare
/// one is a `Box<String>`, one pointer where a `Box<str>` takes two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaiting {
    /// `await f()`.
    Bare,
    /// `(await f())`, where the parent binds tighter than `await` (`(await f()).attr`).
    Parenthesized,
    /// Not directly in a function's body: a generator expression, a lambda, an annotation or
    /// an f-string's `=` field.
    NotInFunction,
    /// Another reason (a thread lock held around the call).
    Obstacle(Box<String>),
    /// The run-time coroutine test guarding the call (`inspect.iscoroutinefunction`).
    CoroutineCheck(Box<String>),
}

/// The name `asyncio` has at a call (kept small: every call of the index has one; a rare
/// name or reason is a `Box<String>`, one pointer where a `Box<str>` takes two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsyncioName {
    /// Bound already: as `asyncio`, or under another name.
    Bound(Option<Box<String>>),
    /// Not imported: [`ModuleIndex::asyncio_import`] adds it.
    ToImport,
}

/// A function used as a value (not called): `Thread(target=work)`, `to_thread(work)`.
#[derive(Debug, Clone)]
pub struct ValueRef {
    pub target: Target,
    pub range: TextRange,
}

/// A blocking call a recipe migrates.
#[derive(Debug, Clone)]
pub struct BlockingSite {
    pub caller: Caller,
    pub execution: Execution,
    pub code: &'static str,
    pub range: TextRange,
    /// The call as a qualified name (`sqlite3.connect`, `sqlite3 Connection.execute`).
    pub label: String,
    /// Why the phase 1 recipe cannot migrate it even in async code (a connection created in
    /// `__init__`, which stays sync), if it cannot.
    pub obstacle: Option<String>,
    /// Why the phase 1 recipe's migration of it is an unsafe fix, if it is (see
    /// [`crate::recipe::BlockingUse::unsafe_migration`]).
    pub unsafe_migration: Option<String>,
    /// See [`crate::recipe::BlockingUse::foreign_object`].
    pub foreign_object: bool,
    /// See [`crate::recipe::BlockingUse::thread_shareable`].
    pub thread_shareable: bool,
    /// See [`crate::recipe::BlockingUse::shareable_at`].
    pub shareable_at: Option<TextSize>,
    /// See [`crate::recipe::BlockingUse::object_leaves`].
    pub object_leaves: bool,
    /// The functions of the module (indexes in [`ModuleIndex::functions`]) that must be async
    /// for the site to be migrated (see [`crate::recipe::BlockingUse::needs_async`]).
    pub needs_async: Vec<usize>,
}

/// A lookup by a name computed at run time, of a module's or an object's attribute
/// (`getattr(tools, f"run_{x}")`, `getattr(self, "do_" + command)`, `globals()["cmd_" +
/// name]`, `vars(hooks).get(name)`, `inspect.getmembers(tools)`): whatever function of the
/// module, or method of the object, it takes is used as a value, called by whatever holds it.
/// A module-level function of the module, or a method the object's class may have, whose name
/// starts with `prefix` may be it.
#[derive(Debug, Clone)]
pub struct DynamicLookup {
    pub object: LookupObject,
    /// What the name starts with, as far as it is written (`run_` of `f"run_{x}"`).
    pub prefix: Box<str>,
    pub range: TextRange,
}

/// What a [`DynamicLookup`] takes an attribute of.
#[derive(Debug, Clone)]
pub enum LookupObject {
    /// `self` or `cls` in a method of this class (an index in [`ModuleIndex::classes`]).
    Class(usize),
    /// An instance of this class (`shell = Shell()`).
    Instance(Target),
    /// Named by an import (`tools`, `.tools`, `importlib.import_module("pkg.tools")`).
    Path(QualifiedPath),
    /// Imported at run time by a computed name (`importlib.import_module(f"{__name__}.{x}")`):
    /// any module whose dotted name starts with this (empty: any module).
    Named(Box<str>),
}

/// `x.name = value` (or `setattr(x, "name", value)`) anywhere in a module: it may replace a
/// method or a module function of that name at run time.
#[derive(Debug, Clone)]
pub struct AttributeStore {
    pub name: String,
    pub range: TextRange,
    /// `self.name = ...` in a method of this class of the module.
    pub on_self_of: Option<usize>,
}

/// `asyncio.run(...)` or `loop.run_until_complete(...)`.
#[derive(Debug, Clone)]
pub struct LoopRun {
    pub caller: Caller,
    pub execution: Execution,
    pub range: TextRange,
    pub label: String,
}

/// Everything the project stage keeps of one module.
#[derive(Debug)]
pub struct ModuleIndex {
    pub path: PathBuf,
    /// Dotted module name (`opsd.db`), the one relative imports start from.
    pub module: String,
    /// Every name the module is imported by (see [`super::layout`]), `module` first.
    pub names: Vec<String>,
    /// The project folder whose module namespace it belongs to.
    pub namespace: String,
    pub is_package: bool,
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    /// Module-level definitions and imports, by name.
    pub top_level: TopLevel,
    /// In a `conftest.py`: its module-level pytest fixtures, by name, with the class of what
    /// each returns or yields when every value is an instance of one class (`None`: not
    /// followed), for the tests below it that name them.
    pub fixtures: HashMap<String, Option<Target>>,
    pub calls: Vec<Call>,
    pub values: Vec<ValueRef>,
    pub blocking: Vec<BlockingSite>,
    pub loop_runs: Vec<LoopRun>,
    pub attribute_stores: Vec<AttributeStore>,
    pub dynamic_lookups: Vec<DynamicLookup>,
    /// Names listed in `__all__`.
    pub exported: Vec<String>,
    pub lines: LineIndex,
    pub suppressions: Suppressions,
    /// `# awaitify: skip-file`.
    pub skipped: bool,
    /// A test module (`test_*.py`, `*_test.py`) whose pytest runs async tests.
    pub async_tests: Option<super::layout::AsyncTests>,
    /// The marker edit's import, when strict mode needs `pytest` imported.
    pub pytest_import: Option<crate::fix::Edit>,
    /// The edit importing `asyncio`, for the calls that need it ([`AsyncioName::ToImport`]).
    pub asyncio_import: Option<crate::fix::Edit>,
}

/// A module's top-level names and what each is (see [`ModuleIndex::top_level`]), sorted by
/// name: a lookup is a binary search (the index keeps one per module of the project, and a
/// hash map took twice the memory).
#[derive(Debug, Default)]
pub struct TopLevel {
    entries: Box<[(Box<str>, Target)]>,
}

impl TopLevel {
    fn new(names: HashMap<String, Target>) -> Self {
        let mut entries: Vec<(Box<str>, Target)> = names
            .into_iter()
            .map(|(name, target)| (name.into_boxed_str(), target))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        TopLevel {
            entries: entries.into_boxed_slice(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Target> {
        let found = self.entries.binary_search_by(|(n, _)| (**n).cmp(name));
        found.ok().map(|i| &self.entries[i].1)
    }

    /// The names and targets, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Target)> {
        self.entries.iter().map(|(name, target)| (&**name, target))
    }

    pub fn values(&self) -> impl Iterator<Item = &Target> {
        self.entries.iter().map(|(_, target)| target)
    }
}

impl ModuleIndex {
    /// The name `asyncio` has at `call`, and the edit importing it if needed, or why it
    /// cannot be had (`None`: the call is not in a function).
    pub fn asyncio_at(
        &self,
        call: &Call,
    ) -> Option<Result<(String, Option<crate::fix::Edit>), String>> {
        Some(match call.asyncio.as_ref()? {
            Ok(AsyncioName::Bound(name)) => Ok((
                name.as_ref()
                    .map_or("asyncio", |name| name.as_str())
                    .to_owned(),
                None,
            )),
            Ok(AsyncioName::ToImport) => Ok(("asyncio".to_owned(), self.asyncio_import.clone())),
            Err(reason) => Err(reason.to_string()),
        })
    }
}

impl ModuleIndex {
    pub fn line_of(&self, offset: TextSize) -> usize {
        self.lines.line_of(offset) + 1
    }

    /// The package a relative import in this module starts from (`from . import x`).
    pub fn package(&self) -> &str {
        if self.is_package {
            &self.module
        } else {
            self.module
                .rsplit_once('.')
                .map_or("", |(package, _)| package)
        }
    }
}

/// Whether an imported path can lead to the project's code: a relative import, or one of
/// the project's packages (`roots`). Imports of anything else are not followed.
fn is_project(path: &[&str], roots: &HashSet<String>) -> bool {
    path.first()
        .is_some_and(|first| first.starts_with('.') || roots.contains(*first))
}

/// Functions whose call runs a coroutine or schedules it (the last segment of the callee).
const SCHEDULERS: &[&str] = &[
    "create_task",
    "ensure_future",
    "gather",
    "wait_for",
    "shield",
    "run",
    "run_until_complete",
    "run_coroutine_threadsafe",
    "wait",
    "as_completed",
    "start_soon",
    "spawn",
];

/// The values a function body returns or yields (not those of nested definitions), in
/// statements and `with`/`try`/`if` blocks; `false` for a bare `return` or `yield` (`None`).
fn returned_values<'a>(body: &'a [Stmt], values: &mut Vec<&'a Expr>) -> bool {
    let mut complete = true;
    for stmt in body {
        complete &= match stmt {
            Stmt::Return(ret) => ret.value.as_deref().map(|v| values.push(v)).is_some(),
            Stmt::Expr(e) => match &*e.value {
                Expr::Yield(y) => y.value.as_deref().map(|v| values.push(v)).is_some(),
                _ => true,
            },
            Stmt::With(with) => returned_values(&with.body, values),
            Stmt::Try(t) => {
                returned_values(&t.body, values)
                    & returned_values(&t.orelse, values)
                    & returned_values(&t.finalbody, values)
                    & t.handlers.iter().all(|h| match h {
                        ast::ExceptHandler::ExceptHandler(h) => returned_values(&h.body, values),
                    })
            }
            Stmt::If(i) => {
                returned_values(&i.body, values)
                    & i.elif_else_clauses
                        .iter()
                        .all(|clause| returned_values(&clause.body, values))
            }
            _ => true,
        };
    }
    complete
}

/// A module pytest collects tests from by default: `test_*.py` or `*_test.py`.
fn is_test_module(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|stem| stem.starts_with("test_") || stem.ends_with("_test"))
        && path.extension().is_some_and(|e| e == "py")
}

/// Indexes one parsed module, at its `place` among the project's modules (see
/// [`super::layout::place`]).
pub fn index_module(
    path: &Path,
    place: ModulePlace,
    source: &str,
    parsed: &Parsed,
    recipes: &[&'static dyn Recipe],
    roots: &HashMap<String, HashSet<String>>,
) -> ModuleIndex {
    let semantic = SemanticModel::build(parsed.suite());
    index_with_model(path, place, source, parsed, &semantic, recipes, roots)
}

/// Indexes one parsed module whose semantic model was already built (by the checker, from
/// the same parse).
pub fn index_with_model(
    path: &Path,
    place: ModulePlace,
    source: &str,
    parsed: &Parsed,
    semantic: &SemanticModel<'_>,
    recipes: &[&'static dyn Recipe],
    roots: &HashMap<String, HashSet<String>>,
) -> ModuleIndex {
    let no_roots = HashSet::default();
    let roots = roots.get(&place.namespace).unwrap_or(&no_roots);
    let module = place.names.first().cloned().unwrap_or_default();
    let is_package = place.is_package;
    let mut indexer = Indexer {
        paths: Default::default(),
        context: WalkContext::new(),
        source,
        parsed,
        semantic,
        recipes,
        function_scopes: semantic
            .scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.kind, ScopeKind::Function { .. }))
            .map(|(id, _)| id)
            .collect(),
        class_scopes: semantic
            .scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == ScopeKind::Class)
            .map(|(id, _)| id)
            .collect(),
        scope_function: HashMap::default(),
        scope_class: HashMap::default(),
        roots,
        followed: HashSet::default(),
        importer: None,
        parameter_annotations: HashMap::default(),
        return_annotations: Vec::new(),
        fixtures: HashMap::default(),
        fixture_parameters: HashSet::default(),
        extra_bindings: HashMap::default(),
        value_targets: hashbrown::HashTable::new(),
        value_bindings: vec![0; semantic.bindings.len().div_ceil(64)],
        worker_memo: std::cell::Cell::new(None),
        last_lookup: None,
        index: ModuleIndex {
            path: path.to_path_buf(),
            module,
            names: place.names,
            namespace: place.namespace,
            is_package,
            functions: Vec::new(),
            classes: Vec::new(),
            top_level: TopLevel::default(),
            fixtures: HashMap::default(),
            calls: Vec::new(),
            values: Vec::new(),
            blocking: Vec::new(),
            loop_runs: Vec::new(),
            attribute_stores: Vec::new(),
            dynamic_lookups: Vec::new(),
            exported: semantic.exported.iter().map(|s| (*s).to_owned()).collect(),
            lines: LineIndex::new(source),
            suppressions: Suppressions::new(parsed, source),
            skipped: crate::suppression::skips_file(parsed, source),
            async_tests: is_test_module(path)
                .then(|| super::layout::async_tests(path))
                .flatten(),
            pytest_import: None,
            asyncio_import: None,
        },
    };
    // Definitions first, so calls can refer to methods defined further down.
    indexer.collect_definitions(parsed.suite());
    for (function, scope, annotation) in std::mem::take(&mut indexer.return_annotations) {
        indexer.index.functions[function].returns =
            indexer.annotation_class(scope, annotation, 0).map(Box::new);
    }
    let followed = indexer.followed_objects(parsed);
    walk_module(&mut indexer, parsed.suite());
    indexer.index.blocking.extend(followed);
    // Module-level instances (`store = Store(path)`), which other modules import and call.
    let instances: Vec<(String, Target)> = semantic
        .top_level_names()
        .filter_map(|(name, &id)| {
            let binding = &semantic.bindings[id];
            if !matches!(binding.kind, BindingKind::Other) || binding.definition.is_some() {
                return None;
            }
            let class = indexer.single_constructor(0, semantic.assigned_values(id)?, 0)?;
            Some((name.to_owned(), Target::Instance(Box::new(class))))
        })
        .collect();
    // A conftest's fixtures, for the test modules below it.
    let fixtures: HashMap<String, Option<Target>> =
        if path.file_stem().and_then(|s| s.to_str()) == Some("conftest") {
            indexer
                .fixtures
                .iter()
                .map(|(name, (scope, values))| {
                    let class = indexer.single_constructor(*scope, values, 0);
                    ((*name).to_owned(), class)
                })
                .collect()
        } else {
            HashMap::default()
        };
    let Indexer {
        mut index, paths, ..
    } = indexer;
    let mut paths = paths.into_inner();
    // (By name while it is filled: a definition or an import replaces an instance.)
    let mut top_level: HashMap<String, Target> = instances.into_iter().collect();
    index.fixtures = fixtures;
    // The first class and top-level function of each label (a lookup per name, not a scan).
    let mut first_class: HashMap<String, usize> = HashMap::default();
    for (i, class) in index.classes.iter().enumerate() {
        first_class.entry(class.label.clone()).or_insert(i);
    }
    let mut first_function: HashMap<String, usize> = HashMap::default();
    for (i, f) in index.functions.iter().enumerate() {
        if f.class.is_none() && !f.nested {
            first_function.entry(f.label.to_string()).or_insert(i);
        }
    }
    for (name, &binding) in semantic.top_level_names() {
        let binding = &semantic.bindings[binding];
        let target = match (&binding.kind, binding.definition) {
            (BindingKind::Import { path, .. }, _) if is_project(path, roots) => {
                Target::Qualified(paths.intern(path))
            }
            (BindingKind::Import { .. }, _) => continue,
            (_, Some(scope)) => match semantic.scopes[scope].kind {
                ScopeKind::Class => match first_class.get(name) {
                    Some(&class) => Target::Class(class),
                    None => continue,
                },
                _ => match first_function.get(name) {
                    Some(&function) => Target::Function(function),
                    None => continue,
                },
            },
            _ => continue,
        };
        top_level.insert(name.to_owned(), target);
    }
    index.top_level = TopLevel::new(top_level);
    // The index outlives the parse by the whole run: no spare capacity.
    index.calls.shrink_to_fit();
    index.values.shrink_to_fit();
    index.functions.shrink_to_fit();
    index.classes.shrink_to_fit();
    index.attribute_stores.shrink_to_fit();
    index
}

/// A function whose body may move to a worker thread, and its scope (see
/// `Indexer::worker_function`).
type WorkerFunction = (usize, ScopeId);

struct Indexer<'a, 's> {
    /// The paths its targets have so far.
    paths: std::cell::RefCell<Paths>,
    context: WalkContext<'a>,
    source: &'a str,
    parsed: &'a Parsed,
    semantic: &'s SemanticModel<'a>,
    recipes: &'s [&'static dyn Recipe],
    /// Function scopes in creation order: the `k`th `def` met opens the `k`th.
    function_scopes: Vec<ScopeId>,
    class_scopes: Vec<ScopeId>,
    scope_function: HashMap<ScopeId, usize>,
    scope_class: HashMap<ScopeId, usize>,
    /// First segments of the project's module names.
    roots: &'s HashSet<String>,
    /// Recipes whose blocking calls come from [`Recipe::blocking_uses`] (they follow objects)
    /// rather than from the calls [`Recipe::is_blocking_call`] names.
    followed: HashSet<&'static str>,
    /// Made for the first call in async code that needs it.
    importer: Option<crate::imports::Importer>,
    /// Parameters' annotations, by the function's scope and the parameter's name.
    parameter_annotations: HashMap<(ScopeId, &'a str), &'a Expr>,
    /// Return annotations, resolved once every definition is known: function, scope.
    return_annotations: Vec<(usize, ScopeId, &'a Expr)>,
    /// In a test module or a `conftest.py`: its pytest fixtures, by name, with their scope
    /// and the values they return or yield.
    fixtures: HashMap<&'a str, (ScopeId, Vec<&'a Expr>)>,
    /// The parameters of its tests and fixtures that pytest fills with a fixture.
    fixture_parameters: HashSet<(ScopeId, &'a str)>,
    /// Per function scope and name: its bindings other than `name = value`.
    extra_bindings: HashMap<(ScopeId, &'a str), Vec<isolation::ExtraBinding<'a>>>,
    /// The targets of [`ModuleIndex::values`] so far, as their places there (hashed by
    /// [`Target::hash_by_address`]).
    value_targets: hashbrown::HashTable<u32>,
    /// The bindings whose names were used as values so far (see [`Indexer::add_value`]), one
    /// bit per binding of the module.
    value_bindings: Vec<u64>,
    /// The last scope asked for its worker function, and the answer (see
    /// `Indexer::worker_function`).
    worker_memo: std::cell::Cell<Option<(ScopeId, Option<WorkerFunction>)>>,
    /// The last name looked up while visiting a node (see [`Indexer::lookup_name`]).
    last_lookup: Option<(TextRange, Option<crate::semantic::BindingId>)>,
    index: ModuleIndex,
}

impl<'a> Indexer<'a, '_> {
    /// Records every `def` and `class` (in the order the semantic model created their scopes).
    fn collect_definitions(&mut self, suite: &'a [Stmt]) {
        struct Definitions<'i, 'a, 's> {
            indexer: &'i mut Indexer<'a, 's>,
            functions: usize,
            classes: usize,
        }
        impl<'a> ast::visitor::Visitor<'a> for Definitions<'_, 'a, '_> {
            fn visit_stmt(&mut self, stmt: &'a Stmt) {
                match stmt {
                    Stmt::FunctionDef(def) => {
                        let scope = self.indexer.function_scopes[self.functions];
                        self.functions += 1;
                        self.indexer.add_function(def, scope);
                    }
                    Stmt::ClassDef(class) => {
                        let scope = self.indexer.class_scopes[self.classes];
                        self.classes += 1;
                        self.indexer.add_class(class, scope);
                    }
                    _ => {}
                }
                ast::visitor::walk_stmt(self, stmt);
            }

            // No statement is inside an expression: its definitions are all reached by
            // statements.
            fn visit_expr(&mut self, _: &'a Expr) {}
        }
        let mut definitions = Definitions {
            indexer: self,
            functions: 0,
            classes: 0,
        };
        ast::visitor::Visitor::visit_body(&mut definitions, suite);
    }

    fn add_function(&mut self, def: &'a ast::StmtFunctionDef, scope: ScopeId) {
        let semantic = self.semantic;
        let parent = semantic.scopes[scope].parent.unwrap_or(0);
        let class = self.scope_class.get(&parent).copied();
        let nested = semantic.enclosing_function(parent).is_some();
        let before_name = self.source[..usize::from(def.name.start())].trim_end();
        let def_offset =
            TextSize::try_from(before_name.len().saturating_sub(3)).unwrap_or_default();
        let async_test = self.async_test(def, class, nested, def_offset);
        let id = self.index.functions.len();
        for parameter in def.parameters.iter() {
            if let Some(annotation) = parameter.annotation() {
                self.parameter_annotations
                    .insert((scope, parameter.name().id.as_str()), annotation);
            }
        }
        if let Some(returns) = &def.returns {
            self.return_annotations.push((id, parent, returns));
        }
        self.record_fixtures(def, scope);
        for (name, binding) in isolation::extra_bindings(&def.body) {
            self.extra_bindings
                .entry((scope, name))
                .or_default()
                .push(binding);
        }
        self.index.functions.push(Function {
            name: def.name.id.as_str().into(),
            label: semantic.scopes[scope].label.as_str().into(),
            is_async: def.is_async,
            class,
            nested,
            local: nested
                && class.is_none()
                && !semantic.declares_global(parent, def.name.id.as_str()),
            def_offset,
            name_range: def.name.range(),
            decorators: def
                .decorator_list
                .iter()
                .map(|d| self.source[d.expression.range()].to_owned())
                .collect(),
            is_generator: false,
            returns_value: false,
            may_return_awaitable: false,
            async_test: async_test.map(Box::new),
            returns: None,
            isolation: Isolation::default(),
            is_stub: def.body.iter().all(|stmt| match stmt {
                Stmt::Pass(_) | Stmt::Raise(_) => true,
                Stmt::Expr(e) => {
                    matches!(&*e.value, Expr::EllipsisLiteral(_) | Expr::StringLiteral(_))
                }
                _ => false,
            }),
        });
        self.scope_function.insert(scope, id);
        self.worker_memo.set(None);
        if let Some(class) = class {
            self.index.classes[class]
                .methods
                .insert(def.name.id.to_string(), id);
        }
    }

    /// Fixtures and the test parameters they fill, in a test module or a `conftest.py`
    /// (fixtures of the same module only: the ones pytest gives its tests first).
    fn record_fixtures(&mut self, def: &'a ast::StmtFunctionDef, scope: ScopeId) {
        let stem = self.index.path.file_stem().and_then(|s| s.to_str());
        if !(is_test_module(&self.index.path) || stem == Some("conftest")) {
            return;
        }
        let name_of = |d: &'a ast::Decorator| {
            let expression = match &d.expression {
                Expr::Call(call) => &*call.func,
                other => other,
            };
            self.semantic.qualified_name(0, expression)
        };
        let is_fixture = def
            .decorator_list
            .iter()
            .any(|d| name_of(d).is_some_and(|n| n == ["pytest", "fixture"]));
        if is_fixture {
            let mut values = Vec::new();
            // A fixture defined in a class overrides the module's for that class's tests:
            // the name is then not followed at all.
            let in_class = self
                .scope_class
                .contains_key(&self.semantic.scopes[scope].parent.unwrap_or(0));
            if in_class || !returned_values(&def.body, &mut values) {
                values.clear();
            }
            let name = def.name.id.as_str();
            if in_class || self.fixtures.contains_key(name) {
                // Defined twice: which one a test gets depends on where it is.
                self.fixtures.insert(name, (scope, Vec::new()));
            } else {
                self.fixtures.insert(name, (scope, values));
            }
        }
        if !(is_fixture || def.name.starts_with("test")) {
            return;
        }
        // A parameter `@pytest.mark.parametrize` names gets its values, not the fixture.
        let parametrized: Vec<&str> = def
            .decorator_list
            .iter()
            .filter(|d| name_of(d).is_some_and(|n| n.last() == Some(&"parametrize")))
            .map(|d| &self.source[d.range()])
            .collect();
        for parameter in def.parameters.iter() {
            let name = parameter.name().id.as_str();
            if parameter.annotation().is_none() && !parametrized.iter().any(|d| d.contains(name)) {
                self.fixture_parameters.insert((scope, name));
            }
        }
    }

    /// [`Function::async_test`]: a module-level `test*` function, or a `test*` method of a
    /// `Test*` class without bases, not async, decorated by pytest marks only.
    fn async_test(
        &mut self,
        def: &ast::StmtFunctionDef,
        class: Option<usize>,
        nested: bool,
        def_offset: TextSize,
    ) -> Option<Result<String, String>> {
        let mode = self.index.async_tests?;
        let in_test_class =
            |class: &Class| class.name.starts_with("Test") && class.bases.is_empty();
        let collected = !def.is_async
            && !nested
            && def.name.starts_with("test")
            && class.is_none_or(|c| in_test_class(&self.index.classes[c]));
        if !collected {
            return None;
        }
        if let Some(other) = def.decorator_list.iter().find(|d| {
            let expression = match &d.expression {
                Expr::Call(call) => &*call.func,
                other => other,
            };
            let name = self.semantic.qualified_name(0, expression);
            !name.is_some_and(|n| n.len() > 2 && n[0] == "pytest" && n[1] == "mark")
        }) {
            return Some(Err(format!(
                "the test is decorated with `@{}`",
                &self.source[other.expression.range()]
            )));
        }
        if mode == super::layout::AsyncTests::Auto {
            return Some(Ok(String::new()));
        }
        let line_start = crate::source::start_of_line(self.source, def_offset);
        let indent = &self.source[TextRange::new(line_start, def_offset)];
        if !indent.chars().all(|c| c == ' ' || c == '\t') {
            return Some(Err("its `def` does not start its line".to_owned()));
        }
        let importer = self.importer.get_or_insert_with(|| {
            let stylist = crate::source::Stylist::detect(self.source, self.parsed);
            // (Which imports are first-party is left unknown here: the sections a
            // block is sorted in are told by their blank lines.)
            crate::imports::Importer::new(self.source, self.parsed.suite(), &stylist, None)
        });
        let eol = crate::source::Stylist::detect(self.source, self.parsed).line_ending;
        match importer.import_module(self.semantic, 0, "pytest", def_offset) {
            Ok((pytest, import)) => {
                if import.is_some() {
                    self.index.pytest_import = import;
                }
                Some(Ok(format!("@{pytest}.mark.asyncio{eol}{indent}")))
            }
            Err(reason) => Some(Err(reason)),
        }
    }

    fn add_class(&mut self, class: &'a ast::StmtClassDef, scope: ScopeId) {
        let parent = self.semantic.scopes[scope].parent.unwrap_or(0);
        let bases = class
            .arguments
            .as_ref()
            .map(|arguments| {
                arguments
                    .args
                    .iter()
                    .filter(|base| !self.is_inert_base(parent, base))
                    .map(|base| self.target_of(parent, base))
                    .collect()
            })
            .unwrap_or_default();
        let is_protocol = class.arguments.as_ref().is_some_and(|arguments| {
            arguments.args.iter().any(|base| {
                let base = match base {
                    Expr::Subscript(subscript) => &*subscript.value,
                    other => other,
                };
                self.semantic
                    .qualified_name(parent, base)
                    .is_some_and(|name| {
                        matches!(
                            name.as_slice(),
                            ["typing" | "typing_extensions", "Protocol"]
                        )
                    })
            })
        });
        let mut members = Vec::new();
        for stmt in &class.body {
            let targets: &[Expr] = match stmt {
                Stmt::Assign(a) => &a.targets,
                Stmt::AnnAssign(a) if a.value.is_some() => std::slice::from_ref(&*a.target),
                _ => &[],
            };
            for target in targets {
                if let Expr::Name(name) = target {
                    members.push(name.id.to_string());
                }
            }
        }
        let id = self.index.classes.len();
        self.index.classes.push(Class {
            name: class.name.id.to_string(),
            label: self.semantic.scopes[scope].label.clone(),
            bases,
            members,
            is_protocol,
            ..Class::default()
        });
        self.scope_class.insert(scope, id);
    }

    /// A base class that defines no method a subclass could override or call: `object`,
    /// `abc.ABC`, `typing.Protocol` / `Generic[T]` (also from `typing_extensions`).
    fn is_inert_base(&self, scope: ScopeId, base: &'a Expr) -> bool {
        let base = match base {
            Expr::Subscript(subscript) => &*subscript.value,
            other => other,
        };
        self.semantic
            .qualified_name(scope, base)
            .is_some_and(|name| {
                matches!(
                    name.as_slice(),
                    ["builtins", "object"]
                        | ["abc", "ABC"]
                        | ["typing" | "typing_extensions", "Protocol" | "Generic"]
                )
            })
    }

    /// The class an annotation names, seen from `scope`: `Store`, `db.Store`,
    /// `Optional[Store]`, `Store | None` (a string annotation is not read).
    fn annotation_class(
        &self,
        scope: ScopeId,
        annotation: &'a Expr,
        depth: usize,
    ) -> Option<Target> {
        let annotation = match annotation {
            Expr::Subscript(subscript)
                if self
                    .semantic
                    .qualified_name(scope, &subscript.value)
                    .is_some_and(|name| {
                        matches!(
                            name.as_slice(),
                            ["typing" | "typing_extensions", "Optional"]
                        )
                    }) =>
            {
                &*subscript.slice
            }
            Expr::BinOp(union) if union.op == ast::Operator::BitOr => {
                match (&*union.left, &*union.right) {
                    (class, Expr::NoneLiteral(_)) | (Expr::NoneLiteral(_), class) => class,
                    _ => return None,
                }
            }
            other => other,
        };
        if !matches!(annotation, Expr::Name(_) | Expr::Attribute(_)) {
            return None;
        }
        match self.target_at_depth(scope, annotation, depth + 1) {
            class @ (Target::Class(_) | Target::Qualified(_)) => Some(class),
            _ => None,
        }
    }

    /// What `expr` (a callee or a value) refers to, seen from `scope`.
    fn target_of(&self, scope: ScopeId, expr: &'a Expr) -> Target {
        self.target_at_depth(scope, expr, 0)
    }

    /// [`Indexer::target_of`], following at most a few assignments (`x = x.strip()` loops).
    fn target_at_depth(&self, scope: ScopeId, expr: &'a Expr, depth: usize) -> Target {
        if depth > 8 {
            return Target::External;
        }
        let semantic = self.semantic;
        match expr {
            Expr::Name(name) => {
                let Some(binding) = semantic.lookup(scope, name.id.as_str()) else {
                    // Unbound: a builtin, or a name a star import provides.
                    return match semantic.qualified_name(scope, expr) {
                        Some(path) => self.qualified(&path),
                        None => Target::Unknown(name.id.as_str().into()),
                    };
                };
                let binding = &semantic.bindings[binding];
                if let Some(definition) = binding.definition {
                    if let Some(&function) = self.scope_function.get(&definition) {
                        return Target::Function(function);
                    }
                    if let Some(&class) = self.scope_class.get(&definition) {
                        return Target::Class(class);
                    }
                }
                match &binding.kind {
                    BindingKind::Import { path, .. } => self.qualified(path),
                    BindingKind::Other => {
                        // A parameter bound only by the call, with an annotation: `db: Store`.
                        if binding.bind_count == 1 && binding.values.is_empty() {
                            // (Annotations are evaluated where the `def` is.)
                            let outer = semantic.scopes[binding.scope].parent.unwrap_or(0);
                            if let Some(class) = self
                                .parameter_annotations
                                .get(&(binding.scope, name.id.as_str()))
                                .and_then(|a| self.annotation_class(outer, a, depth))
                            {
                                return Target::Instance(Box::new(Target::Annotated(Box::new(
                                    class,
                                ))));
                            }
                        }
                        // A test's parameter that a fixture of the module fills.
                        if binding.bind_count == 1
                            && binding.values.is_empty()
                            && self
                                .fixture_parameters
                                .contains(&(binding.scope, name.id.as_str()))
                        {
                            if let Some(class) =
                                self.fixtures
                                    .get(name.id.as_str())
                                    .and_then(|(scope, values)| {
                                        self.single_constructor(*scope, values, depth + 1)
                                    })
                            {
                                return Target::Instance(Box::new(Target::Annotated(Box::new(
                                    class,
                                ))));
                            }
                            // Not a fixture of this module: the nearest `conftest.py` above
                            // it that defines one of that name provides it.
                            if !self.fixtures.contains_key(name.id.as_str()) {
                                return Target::Instance(Box::new(Target::Annotated(Box::new(
                                    Target::ConftestFixture(name.id.as_str().into()),
                                ))));
                            }
                        }
                        let values = semantic
                            .lookup(scope, name.id.as_str())
                            .and_then(|b| semantic.assigned_values(b));
                        // A module imported at run time: `db = importlib.import_module("pkg.db")`.
                        if let Some([Expr::Call(call)]) = values {
                            if let Some(module) = self.imported_module(binding.scope, call) {
                                return module;
                            }
                        }
                        // A local bound only to instances of one class: `db = Store(p)`.
                        let instance = values.and_then(|values| {
                            self.single_constructor(binding.scope, values, depth + 1)
                        });
                        match instance {
                            Some(class) => Target::Instance(Box::new(class)),
                            None => Target::External,
                        }
                    }
                }
            }
            Expr::Attribute(attribute) => {
                // (Boxed only where a target keeps it: most attributes are of outside objects.)
                let name = attribute.attr.id.as_str();
                self.attribute_target(scope, &attribute.value, name, depth)
            }
            _ => Target::External,
        }
    }

    /// The target of the attribute `name` of `value` (`value.name`, or `getattr(value,
    /// "name")`).
    fn attribute_target(
        &self,
        scope: ScopeId,
        value: &'a Expr,
        name: &str,
        depth: usize,
    ) -> Target {
        let semantic = self.semantic;
        // `self.m` / `cls.m`.
        if let Some(class_scope) = semantic.self_class(scope, value) {
            if let Some(&class) = self.scope_class.get(&class_scope) {
                return Target::Method {
                    class: class as u32,
                    name: name.into(),
                };
            }
        }
        // `super().m`.
        if let Expr::Call(call) = value {
            if let Expr::Name(callee) = &*call.func {
                if callee.id.as_str() == "super" && semantic.lookup(scope, "super").is_none() {
                    let class = semantic
                        .enclosing_function(scope)
                        .and_then(|f| semantic.scopes[f].parent)
                        .and_then(|c| self.scope_class.get(&c).copied());
                    if let Some(class) = class {
                        return Target::Super {
                            class: class as u32,
                            name: name.into(),
                        };
                    }
                }
            }
        }
        // `self.attr.m`.
        if let Expr::Attribute(inner) = value {
            if let Some(class_scope) = semantic.self_class(scope, &inner.value) {
                if let Some(&class) = self.scope_class.get(&class_scope) {
                    return Target::AttributeMethod(Box::new(AttributeMethod {
                        class,
                        attribute: inner.attr.id.as_str().into(),
                        name: name.into(),
                    }));
                }
            }
        }
        // `importlib.import_module("pkg.db").load`: a function of that module.
        if let Expr::Call(call) = value {
            if let Some(Target::Qualified(path)) = self.imported_module(scope, call) {
                let mut segments: Vec<&str> = path.iter().map(|s| &**s).collect();
                segments.push(name);
                return Target::Qualified(self.paths.borrow_mut().intern(&segments));
            }
        }
        // `Store(path).load()`: a method of the instance just made.
        if let Expr::Call(call) = value {
            // (Or of what a function returns: its return annotation tells.)
            return match self.target_at_depth(scope, &call.func, depth + 1) {
                class @ (Target::Class(_) | Target::Qualified(_) | Target::Function(_)) => {
                    Target::InstanceMethod(Box::new(InstanceMethod {
                        class,
                        name: name.into(),
                    }))
                }
                Target::External if self.is_outside(scope, &call.func) => Target::External,
                _ => Target::UnknownAttribute(name.into()),
            };
        }
        match self.target_at_depth(scope, value, depth + 1) {
            Target::Qualified(path) => {
                let mut segments: Vec<&str> = path.iter().map(|s| &**s).collect();
                segments.push(name);
                Target::Qualified(self.paths.borrow_mut().intern(&segments))
            }
            Target::Class(class) => match self.index.classes[class].methods.get(name) {
                Some(&method) => Target::Function(method),
                None => Target::Method {
                    class: class as u32,
                    name: name.into(),
                },
            },
            Target::Instance(class) => Target::InstanceMethod(Box::new(InstanceMethod {
                class: *class,
                name: name.into(),
            })),
            // `os.path.join`: an attribute of something outside the project; `parts.index`
            // of `parts = list(...)`: a method of a builtin or standard library type.
            Target::External
                if self.is_outside(scope, value)
                    || self.holds_outside_value(scope, value, depth + 1) =>
            {
                Target::External
            }
            _ => Target::UnknownAttribute(name.into()),
        }
    }

    /// The module a call imports at run time, named by a string: `importlib.import_module("a.b")`
    /// is `a.b`, `__import__("a.b")` is `a` (as `import a.b` binds it).
    fn imported_module(&self, scope: ScopeId, call: &ast::ExprCall) -> Option<Target> {
        let [Expr::StringLiteral(module)] = &*call.arguments.args else {
            return None;
        };
        if !call.arguments.keywords.is_empty() {
            return None;
        }
        let module = module.value.to_str();
        let path = self.semantic.qualified_name(scope, &call.func)?;
        let segments: Vec<&str> = match path.as_slice() {
            ["importlib", "import_module"] => module.split('.').collect(),
            ["builtins", "__import__"] => module.split('.').take(1).collect(),
            _ => return None,
        };
        (!module.starts_with('.')).then(|| self.qualified(&segments))
    }

    /// Whether `expr` is a name bound only to values of builtin or standard library types
    /// (`parts = list(nodes)`, `env = {...}`, `loop = asyncio.get_running_loop()`), whose
    /// methods are never the project's.
    fn holds_outside_value(&self, scope: ScopeId, expr: &'a Expr, depth: usize) -> bool {
        let semantic = self.semantic;
        let Expr::Name(name) = expr else {
            return false;
        };
        let Some(binding) = semantic.lookup(scope, name.id.as_str()) else {
            return false;
        };
        let scope = semantic.bindings[binding].scope;
        // A global may be rebound from elsewhere (`module.name = Store()`, a test's patch).
        if scope == 0 {
            return false;
        }
        let Some(values) = semantic.assigned_values(binding) else {
            return false;
        };
        values
            .iter()
            .all(|value| self.is_outside_value(scope, value, depth))
    }

    /// Whether `value` always evaluates to an object of a builtin or standard library type:
    /// a literal, a display or comprehension, or a call of a callable known to return one.
    fn is_outside_value(&self, scope: ScopeId, value: &'a Expr, depth: usize) -> bool {
        match value {
            Expr::NoneLiteral(_) => true,
            _ if is_plain_value(value) => true,
            Expr::Name(_) => depth <= 8 && self.holds_outside_value(scope, value, depth + 1),
            Expr::Call(call) => self
                .semantic
                .qualified_name(scope, &call.func)
                .is_some_and(|path| returns_outside_type(&path)),
            _ => false,
        }
    }

    /// Whether `expr` is an import from outside the project or a builtin (its attributes are
    /// not the project's), as opposed to a value of unknown type.
    fn is_outside(&self, scope: ScopeId, expr: &'a Expr) -> bool {
        self.semantic
            .qualified_name(scope, expr)
            .is_some_and(|path| self.qualified(&path) == Target::External)
    }

    /// An imported name: `External` unless it comes from the project.
    fn qualified(&self, path: &[&str]) -> Target {
        if is_project(path, self.roots) {
            Target::Qualified(self.paths.borrow_mut().intern(path))
        } else {
            Target::External
        }
    }

    /// The class every one of `values` constructs (`Store(path)`), if they agree.
    fn single_constructor(
        &self,
        scope: ScopeId,
        values: &[&'a Expr],
        depth: usize,
    ) -> Option<Target> {
        let mut found: Option<Target> = None;
        for value in values {
            let target = match value {
                // `lock = None` then `lock = DbLock(p)`: only the instance has methods.
                Expr::NoneLiteral(_) => continue,
                Expr::Call(call) => match self.target_at_depth(scope, &call.func, depth + 1) {
                    target @ (Target::Class(_) | Target::Qualified(_)) => target,
                    _ => return None,
                },
                // `self.db = db` with `db: Store`, `store = Store(p); return store`.
                Expr::Name(_) => match self.target_at_depth(scope, value, depth + 1) {
                    Target::Instance(class) => *class,
                    _ => return None,
                },
                _ => return None,
            };
            if found.as_ref().is_some_and(|f| *f != target) {
                return None;
            }
            found = Some(target);
        }
        found
    }

    fn caller(&self) -> Caller {
        let scope = self.context.scope();
        match self.semantic.enclosing_function(scope) {
            Some(function) => match self.scope_function.get(&function) {
                Some(&id) => Caller::Function(id),
                None => Caller::Lambda,
            },
            None => Caller::TopLevel,
        }
    }

    fn usage(&self, call: &ast::ExprCall) -> Use {
        let Some(parent) = self.context.parent() else {
            return Use::Other;
        };
        match parent {
            AnyNodeRef::ExprAwait(_) => Use::Awaited,
            AnyNodeRef::StmtExpr(_) => Use::Discarded,
            AnyNodeRef::ExprUnaryOp(op) if op.op == ast::UnaryOp::Not => Use::Condition,
            AnyNodeRef::ExprBoolOp(_) => Use::Condition,
            AnyNodeRef::StmtIf(s) if s.test.range() == call.range() => Use::Condition,
            AnyNodeRef::StmtWhile(s) if s.test.range() == call.range() => Use::Condition,
            AnyNodeRef::ExprIf(e) if e.test.range() == call.range() => Use::Condition,
            AnyNodeRef::Arguments(_) => {
                let Some(AnyNodeRef::ExprCall(outer)) = self.context.ancestor(2) else {
                    return Use::Other;
                };
                let last = match &*outer.func {
                    Expr::Name(name) => name.id.as_str(),
                    Expr::Attribute(attribute) => attribute.attr.id.as_str(),
                    _ => return Use::Other,
                };
                if SCHEDULERS.contains(&last) {
                    Use::Scheduled
                } else {
                    Use::Other
                }
            }
            _ => Use::Other,
        }
    }

    /// The run-time coroutine test (`inspect.iscoroutinefunction`, `asyncio.iscoroutine`,
    /// `inspect.isawaitable`) in the test of an `if` or conditional expression around the
    /// node being visited: the code handles both kinds itself, in either branch.
    fn coroutine_check(&self) -> Option<String> {
        use crate::parse::visitor::{self, Visitor};

        struct Finder<'s, 'a> {
            semantic: &'s SemanticModel<'a>,
            scope: ScopeId,
            found: Option<String>,
        }
        impl<'a> Visitor<'a> for Finder<'_, 'a> {
            fn visit_expr(&mut self, expr: &'a Expr) {
                if let Expr::Call(call) = expr {
                    if let Some(name) = self.semantic.qualified_name(self.scope, &call.func) {
                        if matches!(
                            name.as_slice(),
                            ["inspect" | "asyncio", "iscoroutinefunction" | "iscoroutine"]
                                | ["inspect", "isawaitable" | "isasyncgenfunction"]
                        ) {
                            self.found.get_or_insert_with(|| name.join("."));
                        }
                    }
                }
                visitor::walk_expr(self, expr);
            }
        }
        let mut finder = Finder {
            semantic: self.semantic,
            scope: self.context.scope(),
            found: None,
        };
        for node in self.context.ancestors() {
            match node {
                AnyNodeRef::StmtIf(s) => {
                    finder.visit_expr(&s.test);
                    for clause in &s.elif_else_clauses {
                        if let Some(test) = &clause.test {
                            finder.visit_expr(test);
                        }
                    }
                }
                AnyNodeRef::ExprIf(e) => finder.visit_expr(&e.test),
                AnyNodeRef::StmtFunctionDef(_) | AnyNodeRef::ExprLambda(_) => break,
                _ => {}
            }
            if finder.found.is_some() {
                break;
            }
        }
        finder.found
    }

    fn is_callee(&self, expr: &Expr) -> bool {
        matches!(self.context.parent(), Some(AnyNodeRef::ExprCall(call)) if call.func.range() == expr.range())
    }

    fn on_call(&mut self, expr: &'a Expr, call: &'a ast::ExprCall) {
        let scope = self.context.scope();
        let execution = self.context.execution(self.semantic);
        let caller = self.caller();
        let range = call.range();
        if let Some(name) = self.semantic.qualified_name(scope, &call.func) {
            // `setattr(x, "name", value)` replaces `name` as `x.name = value` does.
            if let (["builtins", "setattr"], [_, Expr::StringLiteral(attr), _]) =
                (name.as_slice(), &*call.arguments.args)
            {
                self.index.attribute_stores.push(AttributeStore {
                    name: attr.value.to_str().to_owned(),
                    range,
                    on_self_of: None,
                });
            }
            if let Some(recipe) = self
                .recipes
                .iter()
                .find(|r| r.meta().phase == 1 && r.is_blocking_call(&name))
                .filter(|r| !self.followed.contains(r.meta().code))
            {
                self.index.blocking.push(BlockingSite {
                    caller,
                    execution,
                    code: recipe.meta().code,
                    range,
                    label: name.join("."),
                    obstacle: None,
                    unsafe_migration: None,
                    foreign_object: false,
                    thread_shareable: false,
                    shareable_at: None,
                    object_leaves: false,
                    needs_async: Vec::new(),
                });
            }
            if matches!(name.as_slice(), ["asyncio", "run"]) {
                self.index.loop_runs.push(LoopRun {
                    caller,
                    execution,
                    range,
                    label: "asyncio.run".to_owned(),
                });
            }
        }
        if let Expr::Attribute(method) = &*call.func {
            if method.attr.id.as_str() == "run_until_complete" {
                self.index.loop_runs.push(LoopRun {
                    caller,
                    execution,
                    range,
                    label: "run_until_complete".to_owned(),
                });
            }
        }
        let target = self.target_of(scope, &call.func);
        let isolated = self.isolation_call(call, &target);
        if target == Target::External {
            return;
        }
        let coroutine_check = self.coroutine_check();
        let in_function = matches!(caller, Caller::Function(_));
        let main_guard = caller == Caller::TopLevel && scope == 0 && self.in_main_guard(range);
        let asyncio = (execution == Execution::Async || in_function || main_guard).then(|| {
            let importer = self.importer.get_or_insert_with(|| {
                let stylist = crate::source::Stylist::detect(self.source, self.parsed);
                // (Which imports are first-party is left unknown here: the sections a
                // block is sorted in are told by their blank lines.)
                crate::imports::Importer::new(self.source, self.parsed.suite(), &stylist, None)
            });
            match importer.module_name(self.semantic, scope, "asyncio", range.start()) {
                Ok(None) => {
                    // (The same edit for every call of the module: made once.)
                    if self.index.asyncio_import.is_none() {
                        self.index.asyncio_import = Some(importer.import_edit("asyncio"));
                    }
                    Ok(AsyncioName::ToImport)
                }
                Ok(Some("asyncio")) => Ok(AsyncioName::Bound(None)),
                Ok(Some(name)) => Ok(AsyncioName::Bound(Some(Box::new(name.to_owned())))),
                Err(reason) => Err(Box::new(reason.to_string())),
            }
        });
        // Where `await` can stand once the enclosing `def` is async (it is, or will be).
        let awaiting = if !self.semantic.awaitable_in_function(scope)
            || self.context.in_annotation()
            || self.context.in_debug_interpolation(range)
        {
            Awaiting::NotInFunction
        } else if let Some(reason) = crate::locks::await_obstacle(&self.context, self.semantic) {
            Awaiting::Obstacle(Box::new(reason))
        } else if let Some(check) = coroutine_check {
            Awaiting::CoroutineCheck(Box::new(check))
        } else {
            match await_needs_parentheses(self.parsed, expr, self.context.parent()) {
                false => Awaiting::Bare,
                true => Awaiting::Parenthesized,
            }
        };
        let usage = self.usage(call);
        self.index.calls.push(Call {
            caller,
            execution,
            target,
            range,
            usage,
            awaiting,
            arguments: call.arguments.range(),
            arguments_break: {
                let after = &self.source[usize::from(call.arguments.start()) + 1..];
                let after = after.trim_start_matches([' ', '\t']);
                after.starts_with(['\n', '\r', '#', '\\'])
            },
            asyncio,
            main_guard,
            isolated,
        });
    }

    /// Directly in the body of `if __name__ == "__main__":` (not its `elif`/`else`, nor in
    /// another `if` inside it).
    fn in_main_guard(&self, range: TextRange) -> bool {
        let Some(stmt) = self.context.ancestors().find_map(|node| match node {
            AnyNodeRef::StmtIf(stmt) => Some(stmt),
            _ => None,
        }) else {
            return false;
        };
        let in_body = stmt
            .body
            .first()
            .zip(stmt.body.last())
            .is_some_and(|(first, last)| {
                TextRange::new(first.start(), last.end()).contains_range(range)
            });
        let Expr::Compare(compare) = &*stmt.test else {
            return false;
        };
        let [right] = &*compare.comparators else {
            return false;
        };
        let is = |e: &Expr, name: bool| match e {
            Expr::Name(n) => name && n.id.as_str() == "__name__",
            Expr::StringLiteral(s) => !name && s.value.to_str() == "__main__",
            _ => false,
        };
        in_body
            && matches!(&*compare.ops, [ast::CmpOp::Eq])
            && ((is(&compare.left, true) && is(right, false))
                || (is(&compare.left, false) && is(right, true)))
    }

    /// `self.attr = Constructor(...)`: the attribute's class for method resolution.
    fn on_assign(&mut self, targets: &'a [Expr], value: &'a Expr) {
        let scope = self.context.scope();
        for target in targets {
            let Expr::Attribute(attribute) = target else {
                continue;
            };
            let class = self
                .semantic
                .self_class(scope, &attribute.value)
                .and_then(|c| self.scope_class.get(&c).copied());
            self.index.attribute_stores.push(AttributeStore {
                name: attribute.attr.id.to_string(),
                range: attribute.range(),
                on_self_of: class,
            });
            let Some(class) = class else {
                continue;
            };
            let name = attribute.attr.id.to_string();
            let qualified = match value {
                Expr::Call(call) => self.semantic.qualified_name(scope, &call.func),
                _ => None,
            };
            let constructor = match value {
                Expr::Call(call) => match self.target_of(scope, &call.func) {
                    target @ (Target::Class(_) | Target::Qualified(_)) => Some(target),
                    // An import from outside the project (`sqlite3.connect`) or a builtin:
                    // its methods are not the project's.
                    Target::External if qualified.is_some() => Some(Target::External),
                    _ => None,
                },
                // `self.store = store` with `store: Store`.
                Expr::Name(_) => match self.target_of(scope, value) {
                    Target::Instance(class) if matches!(*class, Target::Annotated(_)) => {
                        Some(*class)
                    }
                    _ => None,
                },
                _ => None,
            };
            let attributes = &mut self.index.classes[class].attributes;
            match attributes.get(&name) {
                Some(existing) if *existing != constructor => {
                    attributes.insert(name, None);
                }
                Some(_) => {}
                None => {
                    attributes.insert(name, constructor);
                }
            }
        }
    }

    /// The blocking uses of the objects the recipes follow (a connection however it was made,
    /// a cursor of it), as blocking sites; those recipes' own blocking calls are left out of
    /// the walk so each site is recorded once.
    fn followed_objects(&mut self, parsed: &Parsed) -> Vec<BlockingSite> {
        let mut sites = Vec::new();
        for recipe in self.recipes.iter().filter(|r| r.meta().phase == 1) {
            let Some(uses) = recipe.blocking_uses(self.semantic, parsed, self.source) else {
                continue;
            };
            self.followed.insert(recipe.meta().code);
            for used in uses {
                let caller = match self.semantic.enclosing_function(used.scope) {
                    Some(function) => match self.scope_function.get(&function) {
                        Some(&id) => Caller::Function(id),
                        None => Caller::Lambda,
                    },
                    None => Caller::TopLevel,
                };
                sites.push(BlockingSite {
                    caller,
                    execution: used.execution,
                    code: recipe.meta().code,
                    range: used.range,
                    label: used.label,
                    obstacle: used.obstacle,
                    unsafe_migration: used.unsafe_migration,
                    foreign_object: used.foreign_object,
                    thread_shareable: used.thread_shareable,
                    shareable_at: used.shareable_at,
                    object_leaves: used.object_leaves,
                    needs_async: used
                        .needs_async
                        .iter()
                        .filter_map(|scope| self.scope_function.get(scope).copied())
                        .collect(),
                });
            }
        }
        sites
    }

    fn current_function(&self) -> Option<usize> {
        let scope = self.context.scope();
        let function = self.semantic.enclosing_function(scope)?;
        // A lambda's `yield`/`return` is not its enclosing def's.
        (self.semantic.scopes[function].kind != ScopeKind::Lambda)
            .then(|| self.scope_function.get(&function).copied())
            .flatten()
    }
}

impl<'a> WalkHandler<'a> for Indexer<'a, '_> {
    fn context(&mut self) -> &mut WalkContext<'a> {
        &mut self.context
    }

    fn on_stmt(&mut self, stmt: &'a Stmt) {
        self.isolation_stmt(stmt);
        match stmt {
            Stmt::Assign(assign) => self.on_assign(&assign.targets, &assign.value),
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.on_assign(std::slice::from_ref(&*assign.target), value);
                }
            }
            Stmt::AugAssign(assign) => {
                if let Expr::Attribute(attribute) = &*assign.target {
                    self.index.attribute_stores.push(AttributeStore {
                        name: attribute.attr.id.to_string(),
                        range: attribute.range(),
                        on_self_of: None,
                    });
                }
            }
            Stmt::Return(ret) => {
                let returns_value = ret
                    .value
                    .as_deref()
                    .is_some_and(|v| !matches!(v, Expr::NoneLiteral(_)));
                if let (true, Some(function)) = (returns_value, self.current_function()) {
                    self.index.functions[function].returns_value = true;
                    if !ret.value.as_deref().is_some_and(is_plain_value) {
                        self.index.functions[function].may_return_awaitable = true;
                    }
                }
            }
            _ => {}
        }
    }

    fn on_expr(&mut self, expr: &'a Expr) {
        self.isolation_expr(expr);
        match expr {
            Expr::Call(call) => {
                self.on_call(expr, call);
                self.on_getattr(call);
                // `globals().get(name)`, `vars(tools).items()`.
                if let Expr::Attribute(method) = &*call.func {
                    match (method.attr.id.as_str(), &*call.arguments.args) {
                        ("get", [key, ..]) => {
                            self.on_namespace_lookup(&method.value, Some(key), call.range());
                        }
                        ("items" | "values", []) => {
                            self.on_namespace_lookup(&method.value, None, call.range());
                        }
                        _ => {}
                    }
                }
                self.on_getmembers(call);
            }
            Expr::Subscript(subscript) if subscript.ctx == ExprContext::Load => {
                let key = Some(&*subscript.slice);
                self.on_namespace_lookup(&subscript.value, key, subscript.range());
            }
            Expr::Yield(_) | Expr::YieldFrom(_) => {
                if let Some(function) = self.current_function() {
                    self.index.functions[function].is_generator = true;
                }
            }
            Expr::Name(name) if name.ctx == ExprContext::Load && !self.is_callee(expr) => {
                // Only a `def` or an import can be a function used as a value: the binding
                // says so without following assignments.
                let scope = self.context.scope();
                let Some(binding) = self.lookup_name(scope, expr, name.id.as_str()) else {
                    return;
                };
                // Its target is the binding's: made (and recorded) at its first use.
                let (word, bit) = (binding / 64, 1u64 << (binding % 64));
                if self.value_bindings[word] & bit != 0 {
                    return;
                }
                self.value_bindings[word] |= bit;
                let binding = &self.semantic.bindings[binding];
                let target = match (&binding.kind, binding.definition) {
                    (_, Some(definition)) => match self.scope_function.get(&definition) {
                        Some(&function) => Target::Function(function),
                        None => return,
                    },
                    (BindingKind::Import { path, .. }, None) => self.qualified(path),
                    (BindingKind::Other, None) => return,
                };
                self.add_value(target, expr.range());
            }
            Expr::Attribute(attribute)
                if attribute.ctx == ExprContext::Load
                    && !self.is_callee(expr)
                    && !matches!(self.context.parent(), Some(AnyNodeRef::ExprAttribute(_))) =>
            {
                let target = self.target_of(self.context.scope(), expr);
                self.add_value(target, expr.range());
            }
            _ => {}
        }
    }
}

impl<'a> Indexer<'a, '_> {
    /// `getattr(obj, "name")` (with or without a default) takes `obj.name` as a value: a
    /// function it reaches is used as a value (called later, by whatever holds it).
    /// With a name computed at run time, on a module or an object, it is a [`DynamicLookup`].
    fn on_getattr(&mut self, call: &'a ast::ExprCall) {
        let (Expr::Name(func), [value, name, ..]) = (&*call.func, &*call.arguments.args) else {
            return;
        };
        if func.id.as_str() != "getattr"
            || call.arguments.args.len() > 3
            || !call.arguments.keywords.is_empty()
        {
            return;
        }
        let scope = self.context.scope();
        let builtin = self
            .semantic
            .qualified_name(scope, &call.func)
            .is_some_and(|path| path == ["builtins", "getattr"]);
        if !builtin {
            return;
        }
        if let Expr::StringLiteral(name) = name {
            let target = self.attribute_target(scope, value, name.value.to_str(), 0);
            self.add_value(target, call.range());
            return;
        }
        if let Some(object) = self.lookup_object(scope, value) {
            let (prefix, _) = self.leading_text(name);
            self.add_lookup(object, prefix, call.range());
        }
    }

    fn add_lookup(&mut self, object: LookupObject, prefix: String, range: TextRange) {
        self.index.dynamic_lookups.push(DynamicLookup {
            object,
            prefix: prefix.into(),
            range,
        });
    }

    /// The module named `dotted` (`pkg.tools`), as a lookup's object.
    fn module_object(&self, dotted: &str) -> LookupObject {
        let segments: Vec<&str> = dotted.split('.').collect();
        LookupObject::Path(self.paths.borrow_mut().intern(&segments))
    }

    /// `inspect.getmembers(obj, ...)`: every attribute of `obj`, with its name.
    fn on_getmembers(&mut self, call: &'a ast::ExprCall) {
        let Some(object) = call.arguments.args.first() else {
            return;
        };
        // (Every call comes here: the name first, resolved only when it may be the one.)
        let named = match &*call.func {
            Expr::Name(name) => name.id.as_str() == "getmembers",
            Expr::Attribute(attribute) => attribute.attr.id.as_str() == "getmembers",
            _ => false,
        };
        if !named {
            return;
        }
        let scope = self.context.scope();
        let getmembers = self
            .semantic
            .qualified_name(scope, &call.func)
            .is_some_and(|path| path == ["inspect", "getmembers"]);
        if let Some(object) = getmembers
            .then(|| self.lookup_object(scope, object))
            .flatten()
        {
            self.add_lookup(object, String::new(), call.range());
        }
    }

    /// What a lookup by name on `value` takes an attribute of: `self`'s or `cls`'s class, or
    /// what [`Self::lookup_module`] finds.
    fn lookup_object(&self, scope: ScopeId, value: &'a Expr) -> Option<LookupObject> {
        let class = self
            .semantic
            .self_class(scope, value)
            .and_then(|class_scope| self.scope_class.get(&class_scope))
            .map(|&class| LookupObject::Class(class));
        class.or_else(|| self.lookup_module(scope, value))
    }

    /// `namespace[key]`, `namespace.get(key)` or (no `key`) `namespace.items()` /
    /// `.values()` where `namespace` is a module's namespace (`globals()`, `vars(module)`,
    /// `module.__dict__`): a [`DynamicLookup`] of the module, its prefix the key's (all of it,
    /// for a literal key; none without a key).
    fn on_namespace_lookup(
        &mut self,
        namespace: &'a Expr,
        key: Option<&'a Expr>,
        range: TextRange,
    ) {
        let scope = self.context.scope();
        let builtin = |func: &Expr, name: &str| {
            matches!(func, Expr::Name(n) if n.id.as_str() == name)
                && self
                    .semantic
                    .qualified_name(scope, func)
                    .is_some_and(|path| path == ["builtins", name])
        };
        let object = match namespace {
            Expr::Call(call) if call.arguments.keywords.is_empty() => match &*call.arguments.args {
                [] if builtin(&call.func, "globals") => {
                    Some(self.module_object(&self.index.module))
                }
                [module] if builtin(&call.func, "vars") => self.lookup_module(scope, module),
                _ => None,
            },
            Expr::Attribute(dict) if dict.attr.id.as_str() == "__dict__" => {
                self.lookup_module(scope, &dict.value)
            }
            _ => None,
        };
        let Some(object) = object else { return };
        let prefix = key.map(|key| self.leading_text(key).0).unwrap_or_default();
        self.add_lookup(object, prefix, range);
    }

    /// The module, class or instance `value` is, if it is one: named by an import, or imported
    /// at run time (the call itself, or a name bound to it), or made by a constructor.
    fn lookup_module(&self, scope: ScopeId, value: &'a Expr) -> Option<LookupObject> {
        let imported = match value {
            Expr::Call(call) => self.run_time_import(scope, call),
            Expr::Name(name) => {
                let semantic = self.semantic;
                let binding = semantic.lookup(scope, name.id.as_str())?;
                let bound_in = semantic.bindings[binding].scope;
                semantic
                    .assigned_values(binding)
                    .into_iter()
                    .flatten()
                    .find_map(|value| match value {
                        Expr::Call(call) => self.run_time_import(bound_in, call),
                        _ => None,
                    })
            }
            _ => None,
        };
        if imported.is_some() {
            return imported;
        }
        // `sys.modules[__name__]`, `sys.modules["pkg.tools"]`.
        if let Expr::Subscript(subscript) = value {
            let sys_modules = self
                .semantic
                .qualified_name(scope, &subscript.value)
                .is_some_and(|path| path == ["sys", "modules"]);
            if sys_modules {
                let (name, complete) = self.leading_text(&subscript.slice);
                if !complete {
                    return Some(LookupObject::Named(name.into()));
                }
                return Some(self.module_object(&name));
            }
        }
        match self.target_at_depth(scope, value, 0) {
            Target::Qualified(path) => Some(LookupObject::Path(path)),
            Target::Class(class) => Some(LookupObject::Class(class)),
            Target::Instance(class) => Some(LookupObject::Instance(*class)),
            _ => None,
        }
    }

    /// The project module a run-time import (`importlib.import_module(name, package)`,
    /// `__import__(name)`) gives, as far as its name is written.
    fn run_time_import(&self, scope: ScopeId, call: &'a ast::ExprCall) -> Option<LookupObject> {
        let path = self.semantic.qualified_name(scope, &call.func)?;
        let whole = match path.as_slice() {
            ["importlib", "import_module"] => true,
            ["builtins", "__import__"] => false,
            _ => return None,
        };
        let name = call
            .arguments
            .args
            .first()
            .or_else(|| call.arguments.find_keyword("name").map(|k| &k.value))?;
        let (mut text, complete) = self.leading_text(name);
        if complete && !text.starts_with('.') {
            return match self.imported_module(scope, call) {
                Some(Target::Qualified(path)) => Some(LookupObject::Path(path)),
                _ => None,
            };
        }
        if let Some(relative) = text.strip_prefix('.') {
            // Relative to `package` (`import_module(f".{x}", __package__)`).
            let package = call
                .arguments
                .args
                .get(1)
                .or_else(|| call.arguments.find_keyword("package").map(|k| &k.value));
            let (package, known) = match package {
                Some(package) if whole => self.leading_text(package),
                _ => (String::new(), false),
            };
            if !known {
                return Some(LookupObject::Named("".into()));
            }
            let mut base: Vec<&str> = package.split('.').filter(|s| !s.is_empty()).collect();
            let up = relative.len() - relative.trim_start_matches('.').len();
            for _ in 0..up {
                base.pop()?;
            }
            base.push(relative.trim_start_matches('.'));
            text = base.join(".");
        }
        if !whole {
            // `__import__("a.b")` gives `a`.
            if let Some((first, _)) = text.split_once('.') {
                text = first.to_owned();
            }
        }
        Some(LookupObject::Named(text.into()))
    }

    /// What a string expression starts with, as far as it is written, and whether that is all
    /// of it: a literal, an f-string up to its first field (`__name__` and `__package__` are
    /// this module's), or the left of a `+`.
    fn leading_text(&self, expr: &Expr) -> (String, bool) {
        let module_name = |name: &str| match name {
            "__name__" => Some(self.index.module.clone()),
            "__package__" => Some(self.index.package().to_owned()),
            _ => None,
        };
        match expr {
            Expr::StringLiteral(s) => (s.value.to_str().to_owned(), true),
            Expr::Name(name) => match module_name(name.id.as_str()) {
                Some(text) => (text, true),
                None => (String::new(), false),
            },
            Expr::FString(fstring) => {
                let mut text = String::new();
                for part in fstring.value.iter() {
                    let elements = match part {
                        ast::FStringPart::Literal(literal) => {
                            text.push_str(&literal.value);
                            continue;
                        }
                        ast::FStringPart::FString(f) => &f.elements,
                    };
                    for element in elements {
                        match element {
                            ast::InterpolatedStringElement::Literal(literal) => {
                                text.push_str(&literal.value)
                            }
                            ast::InterpolatedStringElement::Interpolation(field) => {
                                let known = match &*field.expression {
                                    Expr::Name(name)
                                        if field.format_spec.is_none()
                                            && field.conversion == ast::ConversionFlag::None =>
                                    {
                                        module_name(name.id.as_str())
                                    }
                                    _ => None,
                                };
                                match known {
                                    Some(known) => text.push_str(&known),
                                    None => return (text, false),
                                }
                            }
                        }
                    }
                }
                (text, true)
            }
            Expr::BinOp(binop) if binop.op == ast::Operator::Add => {
                let (left, complete) = self.leading_text(&binop.left);
                if !complete {
                    return (left, false);
                }
                let (right, complete) = self.leading_text(&binop.right);
                (left + &right, complete)
            }
            _ => (String::new(), false),
        }
    }
}

impl Indexer<'_, '_> {
    /// The binding the name `id` of the `Name` node `expr` has in `scope`: looked up once for
    /// both the isolation rules and the value references that visit the node.
    fn lookup_name(
        &mut self,
        scope: ScopeId,
        expr: &Expr,
        id: &str,
    ) -> Option<crate::semantic::BindingId> {
        match self.last_lookup {
            Some((range, binding)) if range == expr.range() => binding,
            _ => {
                let binding = self.semantic.lookup(scope, id);
                self.last_lookup = Some((expr.range(), binding));
                binding
            }
        }
    }

    /// Records a reference to `target` used as a value: the first of the module's to each
    /// target only. A later one resolves the same way, and only the first use of a function
    /// as a value (or of an unresolved name) is ever reported.
    fn add_value(&mut self, target: Target, range: TextRange) {
        if target == Target::External {
            return;
        }
        let hash_of = |target: &Target| {
            use std::hash::{BuildHasher, Hasher};
            let mut hasher = rustc_hash::FxBuildHasher.build_hasher();
            target.hash_by_address(&mut hasher);
            hasher.finish()
        };
        let hash = hash_of(&target);
        let values = &self.index.values;
        if let hashbrown::hash_table::Entry::Vacant(vacant) = self.value_targets.entry(
            hash,
            |&i| values[i as usize].target == target,
            |&i| hash_of(&values[i as usize].target),
        ) {
            vacant.insert(values.len() as u32);
            self.index.values.push(ValueRef { target, range });
        }
    }
}

/// Whether `expr` makes a value that is never awaitable and has no project methods: a
/// literal other than `None`, a display, a comprehension or an f-string.
fn is_plain_value(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::FString(_)
            | Expr::List(_)
            | Expr::Tuple(_)
            | Expr::Dict(_)
            | Expr::Set(_)
            | Expr::ListComp(_)
            | Expr::SetComp(_)
            | Expr::DictComp(_)
    )
}

/// Callables whose result is always of a builtin or standard library type (so its methods are
/// never the project's), by qualified name.
fn returns_outside_type(path: &[&str]) -> bool {
    matches!(
        path,
        [
            "builtins",
            "list"
                | "dict"
                | "set"
                | "frozenset"
                | "tuple"
                | "str"
                | "bytes"
                | "bytearray"
                | "int"
                | "float"
                | "bool"
                | "sorted"
                | "len"
                | "repr"
                | "open"
        ] | [
            "re",
            "compile" | "match" | "search" | "fullmatch" | "finditer" | "findall" | "split" | "sub"
        ] | ["pathlib", "Path" | "PurePath" | "PosixPath" | "WindowsPath"]
            | [
                "threading",
                "Lock" | "RLock" | "Event" | "Condition" | "Semaphore" | "BoundedSemaphore"
            ]
            | [
                "asyncio",
                "get_event_loop"
                    | "get_running_loop"
                    | "new_event_loop"
                    | "Lock"
                    | "Event"
                    | "Condition"
                    | "Semaphore"
                    | "Queue"
            ]
            | [
                "collections",
                "OrderedDict" | "Counter" | "deque" | "defaultdict"
            ]
            | ["subprocess", "run" | "Popen"]
            | ["os", "environ", "copy"]
            | ["shlex", "split"]
            | ["io", "StringIO" | "BytesIO"]
    )
}

/// The index holds every call, value reference and function of the project for the whole run:
/// their sizes are the run's memory.
#[cfg(all(test, target_pointer_width = "64"))]
mod sizes {
    use std::mem::size_of;

    #[test]
    fn index_items_stay_small() {
        assert_eq!(size_of::<super::Target>(), 24);
        assert_eq!(size_of::<super::ValueRef>(), 32);
        assert_eq!(size_of::<super::Call>(), 96);
        assert_eq!(size_of::<super::Function>(), 144);
        assert_eq!(size_of::<crate::project::Resolved>(), 24);
    }
}
