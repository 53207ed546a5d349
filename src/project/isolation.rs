//! Whether a sync function is *self-contained*: moved to a worker thread
//! (`await asyncio.to_thread(f, ...)`), it computes what it computes on the event loop's thread.
//!
//! The index judges each function's own body ([`Isolation`], while it walks the module); the
//! project follows the calls it makes into other project functions
//! ([`super::super::Project::thread_obstacle`]). A function is self-contained when it
//! - declares no `global`/`nonlocal`, defines no nested function or class, has no decorator
//!   (other than `@staticmethod`/`@classmethod`), is not a generator, not recursive;
//! - stores, augments or deletes an attribute or item only of an object it made itself: a
//!   local every binding of which is a fresh object (a literal, a comprehension, a builtin
//!   constructor such as `list()`, an object a known standard call returns: `open()`,
//!   `sqlite3.connect()`, `subprocess.run()`/`Popen()`, `json.loads()`, a `str` method's
//!   result...); `+=` on a name likewise (a parameter's list would change in place);
//! - calls methods only of such objects, or of strings and numbers (whose methods change
//!   nothing); reads attributes only of them and of modules (`subprocess.PIPE`);
//! - reads its parameters and locals (items and iteration included; not their attributes:
//!   `self.x`, `conn.closed` may be changed by async code meanwhile), classes it catches, and builtins
//!   other than `print`, `input`, reflection (`getattr`, `setattr`, `globals`, `vars`...) and
//!   `super`; no name of an enclosing function, no module-level value but a constant (a
//!   name bound only to immutable literals) that no code of the run rebinds (decided by the
//!   project: [`Isolation::constants`]), no imported value other than a module, a function it
//!   calls or an exception it catches;
//! - calls only standard functions known to be independent of the calling thread
//!   ([`CALLS`]: `subprocess.run`, `time.sleep`, `os.path.*`, `json.loads`, ... not
//!   `preexec_fn=`, which is not thread-safe), builtins ([`BUILTINS`]; `key=` only a lambda),
//!   and project functions (not constructors) that are self-contained in turn, resolved and
//!   not rebound anywhere (see [`super::super::Project::rebindings`]).

use crate::parse::ast::{self, AnyNodeRef, Expr, ExprContext, Stmt};
use crate::parse::{Ranged, TextRange};
use crate::semantic::{BindingKind, ScopeId, ScopeKind};

use super::{Indexer, Target};

/// What the index knows of a function's own body for moving it to a thread.
#[derive(Debug, Clone, Default)]
pub struct Isolation {
    /// The first thing in its body that shares state or cannot be proven not to: where, and
    /// what (`reads \`self.count\``).
    pub obstacle: Option<Box<(TextRange, String)>>,
    /// The module-level constants (names bound only to immutable literals) its body reads,
    /// where. Not an obstacle by themselves: one is when code of the run may rebind it
    /// (`module.NAME = ...`), which only the whole project tells (see
    /// [`super::super::Project::constant_rebinding`]).
    pub constants: Vec<(TextRange, String)>,
}

/// Builtins a self-contained function may use (call or read).
const BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "bytearray",
    "bytes",
    "chr",
    "dict",
    "divmod",
    "enumerate",
    "float",
    "format",
    "frozenset",
    "hex",
    "int",
    "isinstance",
    "issubclass",
    "len",
    "list",
    "max",
    "min",
    "oct",
    "open",
    "ord",
    "pow",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "slice",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
    "None",
    "True",
    "False",
    "NotImplemented",
    "Ellipsis",
    "__name__",
];

/// Standard functions (and classes) a self-contained function may call: independent of the
/// thread that calls them, touching no state of the process that async code relies on. A
/// trailing `*` stands for every function of that module.
const CALLS: &[&str] = &[
    "subprocess.run",
    "subprocess.check_output",
    "subprocess.check_call",
    "subprocess.call",
    "subprocess.Popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "subprocess.list2cmdline",
    "subprocess.CalledProcessError",
    "subprocess.TimeoutExpired",
    "subprocess.SubprocessError",
    "time.sleep",
    "time.time",
    "time.monotonic",
    "time.perf_counter",
    "time.time_ns",
    "time.monotonic_ns",
    "time.perf_counter_ns",
    "os.system",
    "os.getpid",
    "os.listdir",
    "os.makedirs",
    "os.mkdir",
    "os.remove",
    "os.unlink",
    "os.rename",
    "os.replace",
    "os.rmdir",
    "os.stat",
    "os.fspath",
    "os.cpu_count",
    "os.path.*",
    "shlex.quote",
    "shlex.split",
    "shlex.join",
    "json.loads",
    "json.dumps",
    "json.load",
    "json.dump",
    "json.JSONDecodeError",
    "sqlite3.connect",
    "shutil.which",
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
    "shutil.move",
    "shutil.rmtree",
    "pathlib.Path",
    "re.compile",
    "re.match",
    "re.search",
    "re.fullmatch",
    "re.findall",
    "re.sub",
    "re.split",
    "re.escape",
    "uuid.uuid4",
    "hashlib.sha256",
    "hashlib.sha1",
    "hashlib.md5",
    "fnmatch.fnmatch",
    "datetime.datetime.now",
    "datetime.datetime.fromtimestamp",
    "datetime.datetime.fromisoformat",
];

/// Standard module attributes a self-contained function may read: constants and exception
/// classes.
const CONSTANTS: &[&str] = &[
    "subprocess.PIPE",
    "subprocess.STDOUT",
    "subprocess.DEVNULL",
    "subprocess.CalledProcessError",
    "subprocess.TimeoutExpired",
    "subprocess.SubprocessError",
    "os.sep",
    "os.linesep",
    "os.pathsep",
    "os.devnull",
    "os.name",
    "sys.platform",
    "sys.executable",
    "sys.maxsize",
    "sqlite3.Row",
    "sqlite3.Error",
    "sqlite3.OperationalError",
    "sqlite3.IntegrityError",
    "sqlite3.DatabaseError",
    "sqlite3.ProgrammingError",
    "json.JSONDecodeError",
    "re.IGNORECASE",
    "re.MULTILINE",
    "re.DOTALL",
    "re.I",
    "re.M",
    "re.S",
    "datetime.timezone.utc",
];

/// What a value is known to be, for the methods that may be called on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A `str`, `bytes` or number (or `None`): every method is pure.
    Str,
    /// A builtin container made here (a literal, `list()`, a `split()`): its methods change
    /// only itself; what it holds is unknown.
    Owned,
    /// An object a standard call made here (a file, a sqlite3 connection or cursor, a
    /// `Path`, a match): its methods and what they return are its own.
    Resource,
    /// `subprocess.run(...)`'s `CompletedProcess`.
    Completed,
    /// `subprocess.Popen(...)`.
    Popen,
    Unknown,
}

/// How a name of a function is bound besides `name = value` (which the semantic model keeps).
#[derive(Debug, Clone, Copy)]
pub(super) enum ExtraBinding<'a> {
    /// `with value as name`.
    With(&'a Expr),
    /// `name += value` (and the other augmented assignments).
    Augmented(&'a Expr),
    /// `for name in value`.
    ForIn(&'a Expr),
    /// `a, name, b = value`.
    Unpacked(&'a Expr),
}

/// The bindings of `def`'s body other than `name = value`, by name (nested scopes excluded).
pub(super) fn extra_bindings<'a>(body: &'a [Stmt]) -> Vec<(&'a str, ExtraBinding<'a>)> {
    struct Collect<'a> {
        found: Vec<(&'a str, ExtraBinding<'a>)>,
    }
    impl<'a> ast::visitor::Visitor<'a> for Collect<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
                Stmt::With(with) => {
                    for item in &with.items {
                        if let Some(Expr::Name(name)) = item.optional_vars.as_deref() {
                            self.found
                                .push((name.id.as_str(), ExtraBinding::With(&item.context_expr)));
                        }
                    }
                }
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        let elements = match target {
                            Expr::Tuple(t) => &t.elts,
                            Expr::List(l) => &l.elts,
                            _ => continue,
                        };
                        for element in elements {
                            if let Expr::Name(name) = element {
                                self.found.push((
                                    name.id.as_str(),
                                    ExtraBinding::Unpacked(&assign.value),
                                ));
                            }
                        }
                    }
                }
                Stmt::AugAssign(assign) => {
                    if let Expr::Name(name) = &*assign.target {
                        self.found
                            .push((name.id.as_str(), ExtraBinding::Augmented(&assign.value)));
                    }
                }
                Stmt::For(for_) => {
                    if let Expr::Name(name) = &*for_.target {
                        self.found
                            .push((name.id.as_str(), ExtraBinding::ForIn(&for_.iter)));
                    }
                }
                _ => {}
            }
            ast::visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, _expr: &'a Expr) {}
    }
    let mut collect = Collect { found: Vec::new() };
    ast::visitor::Visitor::visit_body(&mut collect, body);
    collect.found
}

fn qualified_matches(list: &[&str], path: &[&str]) -> bool {
    let joined = path.join(".");
    list.iter().any(|entry| match entry.strip_suffix('*') {
        Some(prefix) => joined.starts_with(prefix) && joined.len() > prefix.len(),
        None => *entry == joined,
    })
}

fn is_builtin_exception(name: &str) -> bool {
    (name.ends_with("Error") || name.ends_with("Exception") || name.ends_with("Warning"))
        && name.chars().next().is_some_and(char::is_uppercase)
        || matches!(name, "StopIteration")
}

/// Methods of `str`/`bytes` that return a `str`/`bytes`.
const STR_TO_STR: &[&str] = &[
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "decode",
    "encode",
    "format",
    "join",
    "replace",
    "removeprefix",
    "removesuffix",
    "title",
    "capitalize",
    "casefold",
    "ljust",
    "rjust",
    "center",
    "zfill",
    "expandtabs",
    "swapcase",
];

/// Methods of `str`/`bytes` that return a new list or tuple of strings.
const STR_TO_LIST: &[&str] = &["split", "rsplit", "splitlines", "partition", "rpartition"];

impl<'a> Indexer<'a, '_> {
    /// The function (index and scope) whose body `scope` is part of: through lambdas and
    /// comprehensions, not through a class body.
    fn worker_function(&self, scope: ScopeId) -> Option<(usize, ScopeId)> {
        // (Asked for every node: the walk stays in one scope for many.)
        if let Some((asked, answer)) = self.worker_memo.get() {
            if asked == scope {
                return answer;
            }
        }
        let answer = self.find_worker_function(scope);
        self.worker_memo.set(Some((scope, answer)));
        answer
    }

    fn find_worker_function(&self, scope: ScopeId) -> Option<(usize, ScopeId)> {
        let mut current = scope;
        loop {
            let s = &self.semantic.scopes[current];
            match s.kind {
                ScopeKind::Lambda | ScopeKind::Comprehension { .. } => current = s.parent?,
                ScopeKind::Function { .. } => {
                    return self.scope_function.get(&current).map(|&f| (f, current))
                }
                ScopeKind::Module | ScopeKind::Class => return None,
            }
        }
    }

    /// Whether `scope` is `function_scope` or a lambda or comprehension inside it.
    fn is_own_scope(&self, scope: ScopeId, function_scope: ScopeId) -> bool {
        let mut current = scope;
        loop {
            if current == function_scope {
                return true;
            }
            let s = &self.semantic.scopes[current];
            match s.kind {
                ScopeKind::Lambda | ScopeKind::Comprehension { .. } => match s.parent {
                    Some(parent) => current = parent,
                    None => return false,
                },
                _ => return false,
            }
        }
    }

    /// Records an obstacle of `function`, unless it has one already: only the first is kept
    /// (so the reason is written only for it).
    fn obstruct(&mut self, function: usize, range: TextRange, why: impl FnOnce(&Self) -> String) {
        if self.index.functions[function].isolation.obstacle.is_none() {
            let why = why(self);
            self.index.functions[function].isolation.obstacle = Some(Box::new((range, why)));
        }
    }

    fn text(&self, node: impl Ranged) -> String {
        let text = &self.source[node.range()];
        match text.char_indices().nth(60) {
            Some((end, _)) => format!("{}...", &text[..end]),
            None => text.to_owned(),
        }
    }

    /// Whether the module-level binding is bound only to immutable literals.
    fn is_literal_constant(&self, binding: usize) -> bool {
        let b = &self.semantic.bindings[binding];
        !self.semantic.declared_global(b.name)
            && self
                .semantic
                .assigned_values(binding)
                .is_some_and(|values| values.iter().all(|v| is_immutable_literal(v)))
    }

    /// What `expr`, seen from `scope`, is known to be.
    fn kind(&self, scope: ScopeId, expr: &'a Expr, depth: usize) -> Kind {
        if depth > 6 {
            return Kind::Unknown;
        }
        let semantic = self.semantic;
        match expr {
            Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::FString(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_) => Kind::Str,
            Expr::List(_)
            | Expr::Dict(_)
            | Expr::Set(_)
            | Expr::Tuple(_)
            | Expr::ListComp(_)
            | Expr::SetComp(_)
            | Expr::DictComp(_) => Kind::Owned,
            Expr::BinOp(op) => {
                let left = self.kind(scope, &op.left, depth + 1);
                let right = self.kind(scope, &op.right, depth + 1);
                if left == right && matches!(left, Kind::Str | Kind::Owned) {
                    left
                } else {
                    Kind::Unknown
                }
            }
            Expr::If(e) => merge(
                self.kind(scope, &e.body, depth + 1),
                self.kind(scope, &e.orelse, depth + 1),
            ),
            Expr::Subscript(s) => match self.kind(scope, &s.value, depth + 1) {
                Kind::Str => Kind::Str,
                Kind::Resource => Kind::Resource,
                _ => Kind::Unknown,
            },
            Expr::Attribute(a) => {
                // A standard constant (`sys.platform`, `subprocess.PIPE`).
                if semantic.qualified_name(scope, expr).is_some_and(|path| {
                    path.first() != Some(&"builtins") && qualified_matches(CONSTANTS, &path)
                }) {
                    return Kind::Str;
                }
                let attr = a.attr.id.as_str();
                match self.kind(scope, &a.value, depth + 1) {
                    Kind::Completed if matches!(attr, "stdout" | "stderr" | "returncode") => {
                        Kind::Str
                    }
                    Kind::Popen if matches!(attr, "returncode" | "pid") => Kind::Str,
                    Kind::Popen if matches!(attr, "stdin" | "stdout" | "stderr") => Kind::Resource,
                    Kind::Resource => Kind::Resource,
                    _ => Kind::Unknown,
                }
            }
            Expr::Call(call) => self.call_kind(scope, call, depth),
            Expr::Name(name) => {
                let Some(id) = semantic.lookup(scope, name.id.as_str()) else {
                    return Kind::Unknown;
                };
                let binding = &semantic.bindings[id];
                if matches!(binding.kind, BindingKind::Import { .. }) {
                    return Kind::Unknown;
                }
                if binding.scope == 0 {
                    return Kind::Unknown;
                }
                let Some((_, function_scope)) = self.worker_function(scope) else {
                    return Kind::Unknown;
                };
                if binding.scope != function_scope {
                    return Kind::Unknown;
                }
                let extras = self
                    .extra_bindings
                    .get(&(function_scope, name.id.as_str()))
                    .map_or(&[][..], Vec::as_slice);
                if binding.values.len() + extras.len() != binding.bind_count as usize {
                    return Kind::Unknown;
                }
                let mut kind: Option<Kind> = None;
                let mut add = |k: Kind| kind = Some(kind.map_or(k, |old| merge(old, k)));
                for value in &binding.values {
                    add(self.kind(scope, value, depth + 1));
                }
                for extra in extras {
                    add(match *extra {
                        ExtraBinding::With(value) => match self.kind(scope, value, depth + 1) {
                            // Their `__enter__` returns the object itself.
                            k @ (Kind::Resource | Kind::Popen) => k,
                            _ => Kind::Unknown,
                        },
                        // In place on a container it made; a new value for a string or number
                        // only with another one (`s += obj` may call `obj.__radd__`).
                        ExtraBinding::Augmented(value) => {
                            match self.kind(scope, value, depth + 1) {
                                Kind::Str => Kind::Str,
                                _ => Kind::Owned,
                            }
                        }
                        // The parts of a string (`key, _, value = line.partition("=")`).
                        ExtraBinding::Unpacked(Expr::Call(call))
                            if self.splits_string(scope, call, depth + 1) =>
                        {
                            Kind::Str
                        }
                        ExtraBinding::Unpacked(_) => Kind::Unknown,
                        // The lines of a string (a fresh list nothing else holds), or a
                        // slice of them.
                        ExtraBinding::ForIn(iter) => {
                            let iter = match iter {
                                Expr::Subscript(s) if matches!(&*s.slice, Expr::Slice(_)) => {
                                    &*s.value
                                }
                                other => other,
                            };
                            match iter {
                                Expr::Call(call) if self.splits_string(scope, call, depth + 1) => {
                                    Kind::Str
                                }
                                _ => Kind::Unknown,
                            }
                        }
                    });
                }
                kind.unwrap_or(Kind::Unknown)
            }
            _ => Kind::Unknown,
        }
    }

    /// `text.split(...)` and its cousins on a string.
    fn splits_string(&self, scope: ScopeId, call: &'a ast::ExprCall, depth: usize) -> bool {
        let Expr::Attribute(method) = &*call.func else {
            return false;
        };
        STR_TO_LIST.contains(&method.attr.id.as_str())
            && self.kind(scope, &method.value, depth + 1) == Kind::Str
    }

    fn call_kind(&self, scope: ScopeId, call: &'a ast::ExprCall, depth: usize) -> Kind {
        if let Some(path) = self.semantic.qualified_name(scope, &call.func) {
            return match path.as_slice() {
                ["builtins", "list" | "dict" | "set" | "tuple" | "frozenset" | "bytearray" | "sorted"] => {
                    Kind::Owned
                }
                ["builtins", "len"] => Kind::Str,
                ["builtins", "open"] => Kind::Resource,
                ["subprocess", "run"] => Kind::Completed,
                ["subprocess", "Popen"] => Kind::Popen,
                ["subprocess", "check_output" | "getoutput"] => Kind::Str,
                ["os", "path", _] => Kind::Str,
                ["os", "listdir"] => Kind::Owned,
                ["os", "stat"] => Kind::Resource,
                ["json", "loads" | "load"] => Kind::Owned,
                ["json", "dumps"] => Kind::Str,
                ["shlex", "split"] => Kind::Owned,
                ["shlex", "quote" | "join"] => Kind::Str,
                ["shutil", "which"] => Kind::Str,
                ["time", _] => Kind::Str,
                ["sqlite3", "connect"]
                | ["pathlib", "Path"]
                | ["re" | "uuid" | "hashlib", _]
                | ["datetime", "datetime", _] => Kind::Resource,
                ["fnmatch", "fnmatch"] => Kind::Str,
                _ => Kind::Unknown,
            };
        }
        let Expr::Attribute(method) = &*call.func else {
            return Kind::Unknown;
        };
        let name = method.attr.id.as_str();
        match self.kind(scope, &method.value, depth + 1) {
            Kind::Str if STR_TO_STR.contains(&name) => Kind::Str,
            Kind::Str if STR_TO_LIST.contains(&name) => Kind::Owned,
            Kind::Resource | Kind::Popen => Kind::Resource,
            _ => Kind::Unknown,
        }
    }

    /// The statement rules of [`Isolation`].
    pub(super) fn isolation_stmt(&mut self, stmt: &'a Stmt) {
        let scope = self.context.scope();
        let Some((function, _)) = self.worker_function(scope) else {
            return;
        };
        match stmt {
            Stmt::Global(_) | Stmt::Nonlocal(_) => {
                self.obstruct(function, stmt.range(), |this| {
                    format!("declares `{}`", this.text(stmt))
                });
            }
            Stmt::FunctionDef(def) => {
                self.obstruct(function, stmt.range(), |_| {
                    format!("defines a nested function `{}`", def.name.id)
                });
            }
            Stmt::ClassDef(class) => {
                self.obstruct(function, stmt.range(), |_| {
                    format!("defines a class `{}`", class.name.id)
                });
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.isolation_store(function, scope, target, false);
                }
            }
            Stmt::AnnAssign(assign) if assign.value.is_some() => {
                self.isolation_store(function, scope, &assign.target, false);
            }
            Stmt::AugAssign(assign) => {
                self.isolation_store(function, scope, &assign.target, true);
            }
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    self.isolation_store(function, scope, target, false);
                }
            }
            Stmt::For(for_) => self.isolation_store(function, scope, &for_.target, false),
            Stmt::With(with) => {
                for item in &with.items {
                    if let Some(target) = &item.optional_vars {
                        self.isolation_store(function, scope, target, false);
                    }
                }
            }
            _ => {}
        }
    }

    fn isolation_store(
        &mut self,
        function: usize,
        scope: ScopeId,
        target: &'a Expr,
        augmented: bool,
    ) {
        match target {
            Expr::Name(_) if augmented => {
                if self.kind(scope, target, 0) == Kind::Unknown {
                    self.obstruct(function, target.range(), |this| {
                        format!(
                            "changes `{}` in place, an object it did not create",
                            this.text(target)
                        )
                    });
                }
            }
            Expr::Name(_) => {}
            Expr::Tuple(t) => {
                for e in &t.elts {
                    self.isolation_store(function, scope, e, augmented);
                }
            }
            Expr::List(l) => {
                for e in &l.elts {
                    self.isolation_store(function, scope, e, augmented);
                }
            }
            Expr::Starred(s) => self.isolation_store(function, scope, &s.value, augmented),
            Expr::Attribute(ast::ExprAttribute { value, .. })
            | Expr::Subscript(ast::ExprSubscript { value, .. }) => {
                if matches!(self.kind(scope, value, 0), Kind::Unknown | Kind::Str) {
                    self.obstruct(function, target.range(), |this| {
                        format!(
                            "stores to `{}`, which is not an object it created",
                            this.text(target)
                        )
                    });
                }
            }
            _ => {
                self.obstruct(function, target.range(), |this| {
                    format!("stores to `{}`", this.text(target))
                });
            }
        }
    }

    /// The expression rules of [`Isolation`] (calls: [`Indexer::isolation_call`]).
    pub(super) fn isolation_expr(&mut self, expr: &'a Expr) {
        if self.context.in_annotation() {
            return;
        }
        let scope = self.context.scope();
        let Some((function, function_scope)) = self.worker_function(scope) else {
            return;
        };
        let semantic = self.semantic;
        let parent = self.context.parent();
        let is_callee = self.is_callee(expr);
        match expr {
            Expr::Yield(_) | Expr::YieldFrom(_) | Expr::Await(_) => {
                self.obstruct(function, expr.range(), |this| {
                    format!("suspends at `{}`", this.text(expr))
                });
            }
            Expr::Name(name) if name.ctx == ExprContext::Load => {
                let id = name.id.as_str();
                let Some(binding) = self.lookup_name(scope, expr, id) else {
                    let builtin = semantic
                        .qualified_name(scope, expr)
                        .is_some_and(|path| path == ["builtins", id]);
                    if builtin && (BUILTINS.contains(&id) || is_builtin_exception(id)) {
                        return;
                    }
                    self.obstruct(function, expr.range(), |_| match id {
                        "print" => "prints from the worker thread, where its output can interleave with the event loop's, even within a line".to_owned(),
                        _ if !builtin => format!("uses `{id}`, which a star import may provide"),
                        _ => format!("uses `{id}`"),
                    });
                    return;
                };
                let b = &semantic.bindings[binding];
                let in_except = matches!(parent, Some(AnyNodeRef::StmtTry(_)))
                    || matches!(
                        (parent, self.context.ancestor(2)),
                        (Some(AnyNodeRef::ExprTuple(_)), Some(AnyNodeRef::StmtTry(_)))
                    );
                if let BindingKind::Import { .. } = b.kind {
                    let module_attribute = matches!(parent, Some(AnyNodeRef::ExprAttribute(_)));
                    if !(module_attribute || is_callee || in_except) {
                        self.obstruct(function, expr.range(), |_| {
                            format!("reads the imported `{id}`")
                        });
                    }
                    return;
                }
                if self.is_own_scope(b.scope, function_scope) {
                    return;
                }
                if b.scope == 0 {
                    if let Some(definition) = b.definition {
                        // A class as a value may be instantiated and its methods called
                        // (`conn.create_aggregate("f", 1, Cls)`): only caught here.
                        let is_class = semantic.scopes[definition].kind == ScopeKind::Class;
                        if !(is_callee || (is_class && in_except)) {
                            let what = if is_class { "class" } else { "function" };
                            self.obstruct(function, expr.range(), |_| {
                                format!("passes the {what} `{id}` as a value")
                            });
                        }
                        return;
                    }
                    // A constant, unless other code rebinds it (`module.NAME = ...`) while
                    // the thread reads it: the project stage decides.
                    if self.is_literal_constant(binding) {
                        self.index.functions[function]
                            .isolation
                            .constants
                            .push((expr.range(), (*id).to_owned()));
                        return;
                    }
                    let logger = semantic.assigned_values(binding).is_some_and(|values| {
                        values.iter().any(|v| match v {
                            Expr::Call(call) => semantic
                                .qualified_name(0, &call.func)
                                .is_some_and(|path| path.first() == Some(&"logging")),
                            _ => false,
                        })
                    });
                    self.obstruct(function, expr.range(), |_| if logger {
                        format!("logs through `{id}` from the worker thread: its records then name that thread, and the project's handlers may not be thread-safe")
                    } else {
                        format!(
                            "reads the module-level `{id}`, which is not a constant (async code may change it meanwhile)"
                        )
                    });
                    return;
                }
                self.obstruct(function, expr.range(), |_| {
                    format!("reads `{id}` of an enclosing scope")
                });
            }
            // (Only an obstacle can come of it: the function's first is all it keeps.)
            Expr::Attribute(attribute)
                if attribute.ctx == ExprContext::Load
                    && !is_callee
                    && !matches!(parent, Some(AnyNodeRef::ExprAttribute(_)))
                    && self.index.functions[function].isolation.obstacle.is_none() =>
            {
                if let Some(path) = semantic.qualified_name(scope, expr) {
                    if path.first() != Some(&"builtins") {
                        if !qualified_matches(CONSTANTS, &path) {
                            self.obstruct(function, expr.range(), |_| {
                                format!("reads `{}`", path.join("."))
                            });
                        }
                        return;
                    }
                }
                if matches!(self.kind(scope, &attribute.value, 0), Kind::Unknown) {
                    self.obstruct(function, expr.range(), |this| format!(
                        "reads `{}`, an attribute of an object it did not create (async code may change it meanwhile)",
                        this.text(expr)
                    ));
                }
            }
            _ => {}
        }
    }

    /// The call rules of [`Isolation`]: whether the call, alone, runs no project code (a
    /// standard function, a method of an object the function made); a call of a project
    /// function is left to [`super::super::Project::thread_obstacle`].
    pub(super) fn isolation_call(&mut self, call: &'a ast::ExprCall, target: &Target) -> bool {
        if self.context.in_annotation() {
            return false;
        }
        let scope = self.context.scope();
        let Some((function, function_scope)) = self.worker_function(scope) else {
            return false;
        };
        let semantic = self.semantic;
        let in_lambda =
            scope != function_scope && semantic.enclosing_function(scope) != Some(function_scope);
        let project_call = *target != Target::External;
        let defer = |this: &mut Self| {
            if in_lambda {
                this.obstruct(function, call.range(), |this| {
                    format!("calls `{}` in a lambda", this.text(&*call.func))
                });
            }
            false
        };
        if let Some(key) = call
            .arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == "key"))
        {
            if !matches!(key.value, Expr::Lambda(_)) {
                self.obstruct(function, key.range(), |this| {
                    format!("passes `key={}`, which it calls", this.text(&key.value))
                });
            }
        }
        if let Some(path) = semantic.qualified_name(scope, &call.func) {
            if path.first() == Some(&"builtins") {
                // The name's own rule judged it.
                return true;
            }
            // A project module may shadow a standard one (`json.py`).
            if !project_call && qualified_matches(CALLS, &path) {
                if let Some(k) = call.arguments.keywords.iter().find(|k| {
                    k.arg
                        .as_ref()
                        .is_some_and(|a| a.id.as_str() == "preexec_fn")
                }) {
                    self.obstruct(function, k.range(), |_| {
                        "passes `preexec_fn`, which is not safe in a thread".to_owned()
                    });
                }
                return true;
            }
            if project_call {
                return defer(self);
            }
            // A method of a standard constant (`sys.platform.startswith(...)`).
            if let Expr::Attribute(method) = &*call.func {
                if self.kind(scope, &method.value, 0) == Kind::Str {
                    return true;
                }
            }
            self.obstruct(function, call.range(), |_| {
                format!("calls `{}`", path.join("."))
            });
            return true;
        }
        if let Expr::Attribute(method) = &*call.func {
            if self.kind(scope, &method.value, 0) != Kind::Unknown {
                return true;
            }
        }
        if project_call {
            return defer(self);
        }
        self.obstruct(function, call.range(), |this| match &*call.func {
            Expr::Attribute(method) => format!(
                "calls `{}` on an object it did not create",
                this.text(&*call.func)
            )
            .replace(
                &format!(".{}`", method.attr.id),
                &format!(".{}()`", method.attr.id),
            ),
            other => format!("calls `{}`", this.text(other)),
        });
        true
    }
}

fn merge(a: Kind, b: Kind) -> Kind {
    if a == b {
        a
    } else {
        Kind::Unknown
    }
}

fn is_immutable_literal(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_) => true,
        Expr::Tuple(t) => t.elts.iter().all(is_immutable_literal),
        Expr::UnaryOp(op) => is_immutable_literal(&op.operand),
        _ => false,
    }
}

impl crate::project::Project {
    /// How code of the run may rebind the module-level constant `name` while a thread reads
    /// it, if it may: an attribute store of the name on some object (`module.NAME = ...`,
    /// `setattr(module, "NAME", ...)`), a patch of it, or a file of the run that mentions it
    /// and is not indexed (its stores are unknown).
    pub fn constant_rebinding(&self, name: &str) -> Option<String> {
        if let Some(&(file, index)) =
            self.stores
                .get(name)
                .into_iter()
                .flatten()
                .find(|&&(file, index)| {
                    self.modules[file].attribute_stores[index]
                        .on_self_of
                        .is_none()
                })
        {
            let store = &self.modules[file].attribute_stores[index];
            return Some(format!(
                "code at {} may rebind while the thread runs (it assigns `.{name}`)",
                self.location(file, store.range.start())
            ));
        }
        if let Some(patch) = self
            .patches
            .find(&[name], |p| p.target.rsplit('.').next() == Some(name))
        {
            return Some(format!(
                "is patched at {} (`{}`)",
                patch.location(),
                patch.target
            ));
        }
        self.constant_mentions.get(name).map(|path| {
            format!(
                "{} mentions and could not be read (it may rebind it)",
                path.display()
            )
        })
    }

    /// Why moving a call of `function` to a worker thread could change what the program
    /// computes: the first function that would run there (`function`, or a project function it
    /// calls, transitively) and is not self-contained (see [`Isolation`]), with where and why.
    /// `Ok`: the functions that would run there.
    pub fn thread_obstacle(
        &self,
        function: crate::project::FnId,
    ) -> Result<Vec<crate::project::FnId>, String> {
        use crate::project::{FnId, Resolved};
        let label = self.describe(function, function.file);
        // The call may reach another definition at run time (an override, a replacement).
        if let Some(reason) = self.override_reason(function) {
            return Err(format!(
                "the call may run another function than `{label}`: {reason}"
            ));
        }
        // A constructor runs the class's `__new__` (and its metaclass) too, which are not
        // followed.
        if &*self.function(function).name == "__init__" {
            return Err(format!(
                "`{label}` is a constructor: the class is made in the worker thread, which is not followed"
            ));
        }
        let mut done: Vec<FnId> = Vec::new();
        // Depth first, with the path, to see recursion.
        let mut stack: Vec<(FnId, usize)> = vec![(function, 0)];
        let mut path: Vec<FnId> = Vec::new();
        while let Some(&(f, next)) = stack.last() {
            if next == 0 {
                let func = self.function(f);
                let name = self.describe(f, function.file);
                if func.is_async {
                    return Err(format!("`{name}` is an `async def`"));
                }
                if let Some(decorator) = func.wrapping_decorator() {
                    return Err(format!("`{name}` is decorated with `@{decorator}`"));
                }
                // The first thing in its body that shares state: an obstacle, or a constant
                // that other code may rebind.
                let rebound = func
                    .isolation
                    .constants
                    .iter()
                    .find_map(|(range, constant)| {
                        let how = self.constant_rebinding(constant)?;
                        Some((
                            *range,
                            format!("reads the module-level `{constant}`, which {how}"),
                        ))
                    });
                // (On a tie, the obstacle: `min_by_key` keeps the first.)
                let first = func
                    .isolation
                    .obstacle
                    .as_deref()
                    .cloned()
                    .into_iter()
                    .chain(rebound)
                    .min_by_key(|(range, _)| range.start());
                if let Some((range, why)) = first {
                    return Err(format!(
                        "at {}, `{name}` {why}",
                        self.location(f.file, range.start())
                    ));
                }
                path.push(f);
            }
            let callees = self.callees(f);
            let Some(&call) = callees.get(next) else {
                stack.pop();
                path.pop();
                done.push(f);
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            if self.call(call).isolated {
                continue;
            }
            let at = || self.location(call.file, self.call(call).range.start());
            let name = self.describe(f, function.file);
            let constructs = |class: crate::project::ClassId| {
                format!(
                    "`{name}` constructs `{}` at {}",
                    self.modules[class.file].classes[class.index].label,
                    at()
                )
            };
            match self.resolved(call) {
                Resolved::Function(g) => {
                    if path.contains(g) {
                        return Err(format!("`{name}` is recursive (its call at {})", at()));
                    }
                    if let Some(reason) = self.override_reason(*g) {
                        return Err(format!(
                            "`{name}` calls `{}` at {}, and {reason}",
                            self.describe(*g, function.file),
                            at()
                        ));
                    }
                    if !done.contains(g) {
                        stack.push((*g, 0));
                    }
                }
                Resolved::Init(init) => return Err(constructs(init.0)),
                Resolved::Class(class) => return Err(constructs(*class)),
                Resolved::Unknown(_) | Resolved::External => {
                    let target = &self.call(call).target;
                    let callee = target.name().unwrap_or("?");
                    return Err(if target.is_attribute_lookup() {
                        format!(
                            "`{name}` calls `.{callee}()` at {} on an object it did not create",
                            at()
                        )
                    } else {
                        format!(
                            "`{name}` calls `{callee}` at {}, which cannot be resolved",
                            at()
                        )
                    });
                }
            }
        }
        Ok(done)
    }
}
