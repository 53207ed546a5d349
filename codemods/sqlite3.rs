//! `sqlite3` in async code → `aiosqlite`.

use std::collections::{HashMap, HashSet};

use crate::checker::{await_wrapping, Checker};
use crate::fix::{merge_edits, Applicability, Edit, Fix};
use crate::parse::ast::{self, AnyNodeRef, Expr, ExprContext, Stmt};
use crate::parse::{Parsed, Ranged, TextRange, TextSize};
use crate::recipe::{FixAvailability, Recipe, RecipeMeta};
use crate::semantic::{BindingId, Execution, ScopeId, SemanticModel};
use crate::walk::{walk_module, WalkContext, WalkHandler};

crate::declare_recipe! {
/// ## What it does
/// Finds `sqlite3` connections and cursors used in async code and migrates every use of each
/// one to [aiosqlite](https://aiosqlite.omnilib.dev): `sqlite3.connect(...)` becomes
/// `await aiosqlite.connect(...)`, blocking methods are awaited (`execute`, `executemany`,
/// `executescript`, `cursor`, `commit`, `rollback`, `close`, `fetchone`, `fetchmany`,
/// `fetchall`, ...), iteration over a cursor becomes `async for` (in comprehensions too), and
/// `with` blocks keep sqlite3's transaction semantics.
///
/// Connections and cursors are followed through local variables, `with ... as` targets,
/// instance attributes (`self._conn` set in one method and used in others), helper
/// functions and methods that return one, and parameters or return values annotated
/// `sqlite3.Connection` / `sqlite3.Cursor`, under every import form of `sqlite3`.
///
/// ## Why is this bad?
/// Every sqlite3 call does file I/O, takes locks and may wait for another writer: on the
/// event loop's thread it stops every other task for as long as it runs. aiosqlite runs the
/// same sqlite3 calls on a dedicated thread per connection and lets the loop go on.
///
/// ## Example
/// ```python
/// import sqlite3
///
/// async def count_hosts(path):
///     conn = sqlite3.connect(path)
///     n = conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
///     for row in conn.execute("SELECT name FROM hosts"):
///         print(row[0])
///     with conn:
///         conn.execute("DELETE FROM stale")
///     conn.close()
///     return n
/// ```
///
/// ## Use instead
/// ```python
/// import aiosqlite
///
/// async def count_hosts(path):
///     conn = await aiosqlite.connect(path)
///     n = (await (await conn.execute("SELECT count(*) FROM hosts")).fetchone())[0]
///     async for row in await conn.execute("SELECT name FROM hosts"):
///         print(row[0])
///     async with _SqliteTransaction(conn):
///         await conn.execute("DELETE FROM stale")
///     await conn.close()
///     return n
/// ```
/// `_SqliteTransaction` is a small helper class the fix adds to the module once: sqlite3's
/// `with conn:` commits when the block exits normally (`return`, `break` and `continue`
/// included) and rolls back on an exception, while aiosqlite's `async with conn:` would
/// *close* the connection instead. The helper awaits `commit()` or `rollback()` exactly as
/// sqlite3 does (a failed commit is rolled back and re-raised).
///
/// `with sqlite3.connect(path) as conn:` becomes
/// `async with aiosqlite.connect(path) as conn, _SqliteTransaction(conn):`: the same
/// commit/rollback, and the connection is also closed at the end of the block.
///
/// ## Fix safety
/// A connection or cursor is migrated everywhere it flows, or nowhere: awaited and
/// un-awaited uses of one object are never mixed. When any use of an object cannot be
/// migrated, no use of it is rewritten and each blocking use in async code is reported with
/// the reason: the object is used in sync code (a sync method of the class, a function run in
/// a thread), created in `__init__` (an async factory method is needed), passed to another
/// function, stored in a container, iterated in a generator expression, used in a `with`
/// statement with other items, bound to other values too, or uses an API aiosqlite lacks
/// (`create_aggregate`, `create_collation`, `create_window_function`, `blobopen`,
/// `serialize`, `deserialize`, `getlimit`, `setlimit`, `autocommit`, `cursor(factory=...)`).
///
/// The fix is safe when every use is a straight-line rewrite in async code. It is unsafe when
/// it changes the object's lifetime or reach: `with sqlite3.connect(...) as conn:` now closes
/// the connection at the end of the block, so a use of `conn` after the block makes the fix
/// unsafe; a connection returned by a public function (other modules may call it from sync
/// code) makes it unsafe too.
///
/// `sqlite3.Row`, the exception classes and constants stay as they are (aiosqlite uses
/// sqlite3's own classes); `import sqlite3` is removed only when nothing uses it any more, and
/// `import aiosqlite` is added once.
pub struct Sqlite3;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW102",
    id: "sqlite3",
    phase: 1,
    summary: "`sqlite3` in async code blocks the event loop; migrate the connection to `aiosqlite`",
    ruff_equivalent: None,
    fix: FixAvailability::Sometimes,
    doc: Sqlite3::DOC,
};

const HELPER: &str = "_SqliteTransaction";
const HELPER_SOURCE: &str = r#"class _SqliteTransaction:
    """sqlite3's `with conn:` for aiosqlite: commit on success, roll back on an exception."""

    def __init__(self, conn):
        self.conn = conn

    async def __aenter__(self):
        return self.conn

    async def __aexit__(self, exc_type, exc, tb):
        if exc_type is not None:
            await self.conn.rollback()
            return False
        try:
            await self.conn.commit()
        except BaseException:
            await self.conn.rollback()
            raise
        return False
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Connection,
    Cursor,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Connection => "connection",
            Kind::Cursor => "cursor",
        }
    }

    /// Methods aiosqlite has as coroutines.
    fn awaited(self, method: &str) -> bool {
        match self {
            Kind::Connection => matches!(
                method,
                "execute"
                    | "executemany"
                    | "executescript"
                    | "cursor"
                    | "commit"
                    | "rollback"
                    | "close"
                    | "interrupt"
                    | "create_function"
                    | "backup"
                    | "set_trace_callback"
                    | "set_progress_handler"
                    | "set_authorizer"
                    | "enable_load_extension"
                    | "load_extension"
            ),
            Kind::Cursor => matches!(
                method,
                "execute"
                    | "executemany"
                    | "executescript"
                    | "fetchone"
                    | "fetchmany"
                    | "fetchall"
                    | "close"
            ),
        }
    }

    /// Attributes aiosqlite has as plain properties.
    fn property(self, attribute: &str) -> bool {
        match self {
            Kind::Connection => matches!(
                attribute,
                "row_factory"
                    | "text_factory"
                    | "isolation_level"
                    | "total_changes"
                    | "in_transaction"
            ),
            Kind::Cursor => matches!(
                attribute,
                "lastrowid" | "rowcount" | "description" | "arraysize" | "row_factory"
            ),
        }
    }

    /// Methods that return a cursor of the same connection.
    fn returns_cursor(self, method: &str) -> bool {
        matches!(method, "execute" | "executemany" | "executescript")
            || (self == Kind::Connection && method == "cursor")
    }
}

/// Where a connection or cursor lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot<'a> {
    /// A local (or global) variable.
    Local(BindingId),
    /// `self.<name>` of a class.
    Attr(ScopeId, &'a str),
    /// What a function returns (or yields).
    Return(ScopeId),
    /// A `sqlite3.connect(...)` call that is not stored anywhere.
    Fresh(TextSize),
}

/// A value flowing into a slot: an assignment, a `with ... as`, a `return`.
struct Flow<'a> {
    slot: Slot<'a>,
    value: &'a Expr,
    scope: ScopeId,
}

/// What one occurrence of a tracked object needs.
#[derive(Debug, Clone)]
enum Action<'a> {
    /// Await a blocking method call.
    Await {
        call: &'a ast::ExprCall,
        prefix: &'static str,
        suffix: &'static str,
    },
    /// `sqlite3.connect(...)` → `await aiosqlite.connect(...)`.
    Connect {
        call: &'a ast::ExprCall,
        prefix: &'static str,
        suffix: &'static str,
    },
    /// `for` → `async for`.
    AsyncFor { stmt: TextRange },
    /// A comprehension's `for` → `async for`.
    AsyncComprehension { generator: TextRange },
    /// `with sqlite3.connect(p) as conn:` → `async with aiosqlite.connect(p) as conn, _SqliteTransaction(conn):`.
    WithConnect {
        stmt: &'a ast::StmtWith,
        call: &'a ast::ExprCall,
        target: &'a Expr,
    },
    /// `with conn:` → `async with _SqliteTransaction(conn):`.
    WithTransaction {
        stmt: &'a ast::StmtWith,
        expr: TextRange,
    },
    /// Nothing to change (a property, a flow into another tracked slot, a test).
    Neutral,
    /// A use that cannot be migrated, with the reason.
    Escape(String),
}

impl Action<'_> {
    fn is_blocking(&self) -> bool {
        !matches!(self, Action::Neutral | Action::Escape(_))
    }
}

struct Use<'a> {
    /// The slot the occurrence reads (its group is the object's).
    via: Slot<'a>,
    range: TextRange,
    scope: ScopeId,
    execution: Execution,
    action: Action<'a>,
    label: String,
}

impl Recipe for Sqlite3 {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    fn check_file<'a>(&self, checker: &mut Checker<'a>) {
        if !checker.semantic().imports_module("sqlite3") {
            return;
        }
        let findings = analyse(checker);
        for (range, message, fix, note) in findings {
            let diagnostic = checker.report(&META, range, message);
            diagnostic.fix = fix;
            diagnostic.note = note;
        }
    }
}

type Finding = (TextRange, String, Option<Fix>, Option<String>);

fn analyse(checker: &Checker<'_>) -> Vec<Finding> {
    let semantic = checker.semantic();
    let suite = checker.suite();

    // Pass 1: where values flow, and what annotations say.
    let mut facts = Facts {
        context: WalkContext::new(),
        semantic,
        flows: Vec::new(),
        seeds: Vec::new(),
    };
    walk_module(&mut facts, suite);
    let Facts { flows, seeds, .. } = facts;

    // Which slots hold connections and cursors: a fixed point over the flows.
    let mut types = Types {
        semantic,
        kinds: HashMap::new(),
        mixed: HashSet::new(),
    };
    for &(slot, kind) in &seeds {
        types.kinds.insert(slot, kind);
    }
    for _ in 0..=flows.len() {
        let mut changed = false;
        for flow in &flows {
            let Some((kind, _)) = types.kind_of(flow.value, flow.scope) else {
                continue;
            };
            match types.kinds.get(&flow.slot) {
                None => {
                    types.kinds.insert(flow.slot, kind);
                    changed = true;
                }
                Some(&existing) if existing != kind => {
                    changed |= types.mixed.insert(flow.slot);
                }
                Some(_) => {}
            }
        }
        if !changed {
            break;
        }
    }

    // Objects: slots linked by flows and by derivation (a cursor belongs to its connection).
    let mut groups = UnionFind::default();
    let mut polluted: Vec<(Slot, String)> = Vec::new();
    let mut flow_counts: HashMap<Slot, u32> = HashMap::new();
    for flow in &flows {
        *flow_counts.entry(flow.slot).or_default() += 1;
        match types.kind_of(flow.value, flow.scope) {
            Some((_, origin)) => groups.union(flow.slot, origin),
            None if types.kinds.contains_key(&flow.slot) && !is_none(flow.value) => {
                polluted.push((
                    flow.slot,
                    format!(
                        "`{}` is also assigned a value that is not a sqlite3 object",
                        slot_name(semantic, flow.slot)
                    ),
                ))
            }
            None => {}
        }
    }
    for &slot in types.kinds.keys() {
        if let Slot::Local(binding) = slot {
            let seeded = seeds.iter().any(|(s, _)| *s == slot) as u32;
            let flows = flow_counts.get(&slot).copied().unwrap_or(0) + seeded;
            if semantic.bindings[binding].bind_count > flows {
                polluted.push((
                    slot,
                    format!(
                        "`{}` is also bound by another statement",
                        slot_name(semantic, slot)
                    ),
                ));
            }
        }
    }
    for &slot in &types.mixed {
        polluted.push((
            slot,
            format!(
                "`{}` holds both connections and cursors",
                slot_name(semantic, slot)
            ),
        ));
    }

    // Pass 2: every occurrence of a tracked object and what it needs.
    let mut uses = Uses {
        context: WalkContext::new(),
        types: &types,
        parsed: checker.parsed,
        source: checker.source,
        found: Vec::new(),
    };
    walk_module(&mut uses, suite);
    let found = uses.found;

    let seeded_slots: Vec<Slot> = seeds.iter().map(|(slot, _)| *slot).collect();
    let mut by_group: HashMap<Slot, Vec<&Use>> = HashMap::new();
    for u in &found {
        by_group.entry(groups.find(u.via)).or_default().push(u);
    }
    let mut findings = Vec::new();
    let mut group_list: Vec<_> = by_group.into_iter().collect();
    group_list.sort_by_key(|(_, uses)| uses.iter().map(|u| u.range.start()).min());
    for (root, group) in group_list {
        let blocking_on_loop: Vec<&&Use> = group
            .iter()
            .filter(|u| u.action.is_blocking() && u.execution != Execution::Sync)
            .collect();
        if blocking_on_loop.is_empty() {
            continue;
        }
        let mut reasons: Vec<String> = Vec::new();
        for u in &group {
            let line = line_of(checker.source, u.range.start());
            match (&u.action, u.execution) {
                (Action::Escape(reason), _) => reasons.push(format!("{reason} (line {line})")),
                (action, Execution::Sync) if action.is_blocking() => reasons.push(format!(
                    "also used in sync code{} (line {line})",
                    sync_place(semantic, u.scope)
                )),
                (action, Execution::AsyncNoAwait) if action.is_blocking() => reasons.push(format!(
                    "used where `await` cannot go (a generator expression or a class body) (line {line})"
                )),
                _ => {}
            }
        }
        for (slot, reason) in &polluted {
            if groups.find(*slot) == root {
                reasons.push(reason.clone());
            }
        }
        let (fix, note) = if let Some(reason) = reasons.first() {
            (None, Some(format!("not migrated: {reason}")))
        } else {
            match build_fix(checker, &group, &seeded_slots) {
                Ok((fix, None)) => (Some(fix), None),
                Ok((fix, Some(why))) => (Some(fix), Some(why)),
                Err(why) => (None, Some(why)),
            }
        };
        for u in blocking_on_loop {
            let message = format!("{} blocks the event loop in async code", u.label);
            findings.push((u.range, message, fix.clone(), note.clone()));
        }
    }
    findings
}

fn is_none(expr: &Expr) -> bool {
    matches!(expr, Expr::NoneLiteral(_))
}

fn line_of(source: &str, offset: TextSize) -> usize {
    source[..usize::from(offset)].matches('\n').count() + 1
}

fn slot_name(semantic: &SemanticModel, slot: Slot) -> String {
    match slot {
        Slot::Local(binding) => semantic.bindings[binding].name.to_owned(),
        Slot::Attr(_, name) => format!("self.{name}"),
        Slot::Return(scope) => format!("{}()", semantic.scope_name(scope)),
        Slot::Fresh(_) => "sqlite3.connect(...)".to_owned(),
    }
}

fn sync_place(semantic: &SemanticModel, scope: ScopeId) -> String {
    match semantic.enclosing_function(scope) {
        Some(function) if semantic.scope_name(function) == "__init__" => {
            " in `__init__` (create the connection in an async factory method instead)".to_owned()
        }
        Some(function) => format!(" in `{}`", semantic.scopes[function].label),
        None => " at module or class level".to_owned(),
    }
}

/// One fix for a whole object: every edit of every use, with imports and the helper.
fn build_fix(
    checker: &Checker<'_>,
    group: &[&Use<'_>],
    seeded: &[Slot<'_>],
) -> Result<(Fix, Option<String>), String> {
    let source = checker.source;
    let mut edits = Vec::new();
    let mut unsafe_reason: Option<String> = None;
    for u in group {
        match &u.action {
            Action::Await {
                call,
                prefix,
                suffix,
            } => {
                edits.push(Edit::insertion(*prefix, call.start()));
                if !suffix.is_empty() {
                    edits.push(Edit::insertion(*suffix, call.end()));
                }
            }
            Action::Connect {
                call,
                prefix,
                suffix,
            } => {
                let (aiosqlite, import) =
                    checker.import_module_in(u.scope, u.range.start(), "aiosqlite")?;
                edits.extend(import);
                edits.push(Edit::insertion(*prefix, call.start()));
                edits.push(Edit::replacement(
                    format!("{aiosqlite}.connect"),
                    call.func.range(),
                ));
                if !suffix.is_empty() {
                    edits.push(Edit::insertion(*suffix, call.end()));
                }
            }
            Action::AsyncFor { stmt } => edits.push(Edit::insertion("async ", stmt.start())),
            Action::AsyncComprehension { generator } => {
                edits.push(Edit::insertion("async ", generator.start()))
            }
            Action::WithConnect { stmt, call, target } => {
                let (aiosqlite, import) =
                    checker.import_module_in(u.scope, u.range.start(), "aiosqlite")?;
                edits.extend(import);
                edits.extend(helper(checker, u.scope)?);
                edits.push(Edit::insertion("async ", stmt.start()));
                edits.push(Edit::replacement(
                    format!("{aiosqlite}.connect"),
                    call.func.range(),
                ));
                let target_text = &source[target.range()];
                edits.push(Edit::insertion(
                    format!(", {HELPER}({target_text})"),
                    target.end(),
                ));
                // The connection is now closed at the end of the block.
                let after_block = group
                    .iter()
                    .any(|other| other.via == u.via && !stmt.range().contains_range(other.range));
                let is_attribute = matches!(&**target, Expr::Attribute(_));
                if after_block || is_attribute {
                    unsafe_reason = Some(format!(
                        "`{target_text}` is used after the `with` block, which now also closes the connection"
                    ));
                }
            }
            Action::WithTransaction { stmt, expr } => {
                edits.extend(helper(checker, u.scope)?);
                edits.push(Edit::insertion("async ", stmt.start()));
                edits.push(Edit::insertion(format!("{HELPER}("), expr.start()));
                edits.push(Edit::insertion(")", expr.end()));
            }
            Action::Neutral | Action::Escape(_) => {}
        }
        if seeded.contains(&u.via) && unsafe_reason.is_none() {
            let name = slot_name(checker.semantic(), u.via);
            unsafe_reason = Some(format!(
                "`{name}` is annotated as a sqlite3 object; its callers must now pass or expect an aiosqlite one"
            ));
        }
        if let Slot::Return(function) = u.via {
            let name = checker.semantic().scope_name(function);
            if !name.starts_with('_') && unsafe_reason.is_none() {
                unsafe_reason = Some(format!(
                    "`{name}` is public and returns the connection; callers in other modules must await it"
                ));
            }
        }
    }
    let Some(edits) = merge_edits(edits) else {
        return Err("no fix: the edits of this object overlap".to_owned());
    };
    let applicability = if unsafe_reason.is_some() {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    Ok((Fix::new(edits, applicability), unsafe_reason))
}

fn helper(checker: &Checker<'_>, scope: ScopeId) -> Result<Option<Edit>, String> {
    let edit = checker.define_helper(HELPER, HELPER_SOURCE)?;
    if edit.is_some() && !checker.semantic().is_free(scope, HELPER) {
        return Err(format!("no fix: the name `{HELPER}` is taken here"));
    }
    Ok(edit)
}

struct Types<'a, 's> {
    semantic: &'s SemanticModel<'a>,
    kinds: HashMap<Slot<'a>, Kind>,
    mixed: HashSet<Slot<'a>>,
}

impl<'a> Types<'a, '_> {
    /// The kind of object `expr` evaluates to, and the slot it comes from.
    fn kind_of(&self, expr: &'a Expr, scope: ScopeId) -> Option<(Kind, Slot<'a>)> {
        match expr {
            Expr::Call(call) => {
                if let Some(name) = self.semantic.qualified_name(scope, &call.func) {
                    if matches!(name.as_slice(), ["sqlite3", "connect"]) {
                        return Some((Kind::Connection, Slot::Fresh(call.start())));
                    }
                }
                if let Expr::Attribute(method) = &*call.func {
                    if let Some((kind, origin)) = self.kind_of(&method.value, scope) {
                        return kind
                            .returns_cursor(method.attr.id.as_str())
                            .then_some((Kind::Cursor, origin));
                    }
                }
                let function = self.semantic.callee_definition(scope, &call.func)?;
                let slot = Slot::Return(function);
                self.kinds.get(&slot).map(|&kind| (kind, slot))
            }
            Expr::Await(awaited) => self.kind_of(&awaited.value, scope),
            Expr::Name(name) if name.ctx == ExprContext::Load => {
                let slot = Slot::Local(self.semantic.lookup(scope, name.id.as_str())?);
                self.kinds.get(&slot).map(|&kind| (kind, slot))
            }
            Expr::Attribute(attribute) if attribute.ctx == ExprContext::Load => {
                let class = self.semantic.self_class(scope, &attribute.value)?;
                let slot = Slot::Attr(class, attribute.attr.id.as_str());
                self.kinds.get(&slot).map(|&kind| (kind, slot))
            }
            _ => None,
        }
    }
}

/// Pass 1: flows and annotations.
struct Facts<'a, 's> {
    context: WalkContext<'a>,
    semantic: &'s SemanticModel<'a>,
    flows: Vec<Flow<'a>>,
    seeds: Vec<(Slot<'a>, Kind)>,
}

impl<'a> Facts<'a, '_> {
    fn target_slot(&self, target: &'a Expr, scope: ScopeId) -> Option<Slot<'a>> {
        match target {
            Expr::Name(name) => Some(Slot::Local(self.semantic.lookup(scope, name.id.as_str())?)),
            Expr::Attribute(attribute) => {
                let class = self.semantic.self_class(scope, &attribute.value)?;
                Some(Slot::Attr(class, attribute.attr.id.as_str()))
            }
            _ => None,
        }
    }

    fn flow(&mut self, target: &'a Expr, value: &'a Expr) {
        let scope = self.context.scope();
        if let Some(slot) = self.target_slot(target, scope) {
            self.flows.push(Flow { slot, value, scope });
        }
    }

    fn annotated_kind(&self, annotation: &'a Expr, scope: ScopeId) -> Option<Kind> {
        match self.semantic.qualified_name(scope, annotation)?.as_slice() {
            ["sqlite3", "Connection"] => Some(Kind::Connection),
            ["sqlite3", "Cursor"] => Some(Kind::Cursor),
            _ => None,
        }
    }
}

impl<'a> WalkHandler<'a> for Facts<'a, '_> {
    fn context(&mut self) -> &mut WalkContext<'a> {
        &mut self.context
    }

    fn on_stmt(&mut self, stmt: &'a Stmt) {
        let scope = self.context.scope();
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.flow(target, &assign.value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.flow(&assign.target, value);
                } else if let (Some(kind), Some(slot)) = (
                    self.annotated_kind(&assign.annotation, scope),
                    self.target_slot(&assign.target, scope),
                ) {
                    self.seeds.push((slot, kind));
                }
            }
            Stmt::With(with) if !with.is_async => {
                for item in &with.items {
                    if let Some(target) = &item.optional_vars {
                        self.flow(target, &item.context_expr);
                    }
                }
            }
            Stmt::Return(ret) => {
                if let (Some(value), Some(function)) =
                    (&ret.value, self.semantic.enclosing_function(scope))
                {
                    self.flows.push(Flow {
                        slot: Slot::Return(function),
                        value,
                        scope,
                    });
                }
            }
            Stmt::FunctionDef(def) => {
                let Some(binding) = self.semantic.lookup(scope, def.name.id.as_str()) else {
                    return;
                };
                let Some(body) = self.semantic.bindings[binding].definition else {
                    return;
                };
                if let Some(kind) = def
                    .returns
                    .as_deref()
                    .and_then(|r| self.annotated_kind(r, scope))
                {
                    self.seeds.push((Slot::Return(body), kind));
                }
                for parameter in def.parameters.iter() {
                    let Some(annotation) = parameter.annotation() else {
                        continue;
                    };
                    let Some(kind) = self.annotated_kind(annotation, scope) else {
                        continue;
                    };
                    if let Some(param) = self.semantic.lookup(body, parameter.name().id.as_str()) {
                        self.seeds.push((Slot::Local(param), kind));
                    }
                }
            }
            _ => {}
        }
    }

    fn on_expr(&mut self, expr: &'a Expr) {
        let scope = self.context.scope();
        match expr {
            Expr::Named(named) => self.flow(&named.target, &named.value),
            Expr::Yield(ast::ExprYield {
                value: Some(value), ..
            }) => {
                if let Some(function) = self.semantic.enclosing_function(scope) {
                    self.flows.push(Flow {
                        slot: Slot::Return(function),
                        value,
                        scope,
                    });
                }
            }
            _ => {}
        }
    }
}

/// Pass 2: every occurrence of a tracked object, classified by where it stands.
struct Uses<'a, 's> {
    context: WalkContext<'a>,
    types: &'s Types<'a, 's>,
    parsed: &'a Parsed,
    source: &'a str,
    found: Vec<Use<'a>>,
}

impl<'a> Uses<'a, '_> {
    fn push(&mut self, via: Slot<'a>, range: TextRange, action: Action<'a>, label: String) {
        let scope = self.context.scope();
        let execution = self.context.execution(self.types.semantic);
        self.found.push(Use {
            via,
            range,
            scope,
            execution,
            action,
            label,
        });
    }

    /// What an occurrence (of `kind`, spanning `range`, the node at ancestor `depth`) needs
    /// from its context. `call` is the occurrence when it is a call.
    fn classify(
        &self,
        range: TextRange,
        call: Option<&'a ast::ExprCall>,
        kind: Kind,
        depth: usize,
    ) -> Action<'a> {
        let Some(parent) = self.context.ancestor(depth + 1) else {
            return Action::Neutral;
        };
        let same = |other: &Expr| other.range() == range;
        match parent {
            // Already awaited (an async helper returning a connection): the await's context.
            AnyNodeRef::ExprAwait(awaited) => self
                .classify(awaited.range, None, kind, depth + 1)
                .clone_for_await(),
            AnyNodeRef::ExprAttribute(attribute) if same(&attribute.value) => {
                let name = attribute.attr.id.as_str();
                let grandparent = self.context.ancestor(depth + 2);
                let call = match grandparent {
                    Some(AnyNodeRef::ExprCall(call)) if call.func.range() == attribute.range => {
                        Some(call)
                    }
                    _ => None,
                };
                match call {
                    Some(call) if kind == Kind::Connection && name == "iterdump" => {
                        match self.context.ancestor(depth + 3) {
                            Some(AnyNodeRef::StmtFor(f))
                                if f.iter.range() == call.range() && !f.is_async =>
                            {
                                Action::AsyncFor { stmt: f.range }
                            }
                            _ => Action::Escape(
                                "`iterdump()` is used outside a `for` loop".to_owned(),
                            ),
                        }
                    }
                    Some(call) if kind.awaited(name) => {
                        if name == "cursor" && !call.arguments.is_empty() {
                            return Action::Escape(
                                "aiosqlite has no `cursor(factory=...)`".to_owned(),
                            );
                        }
                        match self.context.ancestor(depth + 3) {
                            Some(AnyNodeRef::ExprAwait(_)) => Action::Neutral,
                            call_parent => {
                                let (prefix, suffix) = await_wrapping(
                                    self.parsed,
                                    &Expr::Call(call.clone()),
                                    call_parent,
                                );
                                Action::Await {
                                    call,
                                    prefix,
                                    suffix,
                                }
                            }
                        }
                    }
                    Some(_) => {
                        Action::Escape(format!("aiosqlite has no {} method `{name}`", kind.name()))
                    }
                    None if kind.property(name) => Action::Neutral,
                    None => Action::Escape(format!(
                        "`{}` is used as a value",
                        &self.source[attribute.range()]
                    )),
                }
            }
            AnyNodeRef::StmtFor(f) if same(&f.iter) => match kind {
                Kind::Cursor if !f.is_async => Action::AsyncFor { stmt: f.range },
                _ => Action::Escape(format!("a sqlite3 {} is iterated", kind.name())),
            },
            AnyNodeRef::ExprListComp(ast::ExprListComp { generators, .. })
            | AnyNodeRef::ExprSetComp(ast::ExprSetComp { generators, .. })
            | AnyNodeRef::ExprDictComp(ast::ExprDictComp { generators, .. }) => {
                match generators.iter().find(|g| same(&g.iter)) {
                    Some(generator) if kind == Kind::Cursor && !generator.is_async => {
                        Action::AsyncComprehension {
                            generator: generator.range,
                        }
                    }
                    _ => Action::Escape("used in a comprehension".to_owned()),
                }
            }
            AnyNodeRef::ExprGenerator(_) => Action::Escape(
                "iterated in a generator expression, which cannot be made async".to_owned(),
            ),
            AnyNodeRef::WithItem(item) if same(&item.context_expr) => {
                let Some(AnyNodeRef::StmtWith(with)) = self.context.ancestor(depth + 2) else {
                    return Action::Escape("used in a `with` statement".to_owned());
                };
                if with.is_async || with.items.len() != 1 || kind == Kind::Cursor {
                    return Action::Escape(
                        "used in a `with` statement with other items".to_owned(),
                    );
                }
                match (call.filter(|c| self.is_connect(c)), &item.optional_vars) {
                    (Some(call), Some(target)) => Action::WithConnect {
                        stmt: with,
                        call,
                        target,
                    },
                    (Some(_), None) => {
                        Action::Escape("`with sqlite3.connect(...)` without `as`".to_owned())
                    }
                    (None, _) => Action::WithTransaction {
                        stmt: with,
                        expr: range,
                    },
                }
            }
            AnyNodeRef::StmtAssign(assign) if same(&assign.value) => {
                if assign
                    .targets
                    .iter()
                    .all(|t| matches!(t, Expr::Name(_)) || self.is_self_attribute(t))
                {
                    Action::Neutral
                } else {
                    Action::Escape("stored in a container or unpacked".to_owned())
                }
            }
            AnyNodeRef::StmtAnnAssign(assign) if assign.value.as_deref().is_some_and(same) => {
                if matches!(&*assign.target, Expr::Name(_))
                    || self.is_self_attribute(&assign.target)
                {
                    Action::Neutral
                } else {
                    Action::Escape("stored in a container".to_owned())
                }
            }
            AnyNodeRef::ExprNamed(_)
            | AnyNodeRef::StmtReturn(_)
            | AnyNodeRef::ExprYield(_)
            | AnyNodeRef::ExprCompare(_)
            | AnyNodeRef::ExprBoolOp(_)
            | AnyNodeRef::StmtIf(_)
            | AnyNodeRef::StmtWhile(_)
            | AnyNodeRef::StmtAssert(_)
            | AnyNodeRef::StmtExpr(_) => Action::Neutral,
            AnyNodeRef::ExprUnaryOp(op) if op.op == ast::UnaryOp::Not => Action::Neutral,
            AnyNodeRef::ExprIf(e) if same(&e.test) => Action::Neutral,
            AnyNodeRef::Arguments(_) => {
                let callee = match self.context.ancestor(depth + 2) {
                    Some(AnyNodeRef::ExprCall(call)) => self.source[call.func.range()].to_owned(),
                    _ => "a function".to_owned(),
                };
                Action::Escape(format!("passed to `{callee}`"))
            }
            _ => Action::Escape("used in an expression that cannot be migrated".to_owned()),
        }
    }

    /// `conn.execute`, or `(...).fetchone` when the receiver is long or spans lines.
    fn callee_label(&self, call: &ast::ExprCall) -> String {
        let callee = &self.source[call.func.range()];
        if callee.len() <= 40 && !callee.contains('\n') {
            return format!("`{callee}`");
        }
        match &*call.func {
            Expr::Attribute(attribute) => format!("`(...).{}`", attribute.attr.id.as_str()),
            _ => "a sqlite3 call".to_owned(),
        }
    }

    fn is_connect(&self, call: &'a ast::ExprCall) -> bool {
        let scope = self.context.scope();
        self.types
            .semantic
            .qualified_name(scope, &call.func)
            .is_some_and(|name| matches!(name.as_slice(), ["sqlite3", "connect"]))
    }

    fn is_self_attribute(&self, target: &Expr) -> bool {
        let Expr::Attribute(attribute) = target else {
            return false;
        };
        self.types
            .semantic
            .self_class(self.context.scope(), &attribute.value)
            .is_some()
    }
}

impl<'a> Action<'a> {
    /// An occurrence that is already awaited needs nothing itself; its context still counts.
    fn clone_for_await(&self) -> Action<'a> {
        match self {
            Action::Await { .. } | Action::Connect { .. } => Action::Neutral,
            other => other.clone(),
        }
    }
}

impl<'a> WalkHandler<'a> for Uses<'a, '_> {
    fn context(&mut self) -> &mut WalkContext<'a> {
        &mut self.context
    }

    fn on_expr(&mut self, expr: &'a Expr) {
        if self.context.in_annotation() {
            return;
        }
        let scope = self.context.scope();
        let Some((kind, via)) = self.types.kind_of(expr, scope) else {
            return;
        };
        // `await helper()` is classified at the call; the `await` itself is passed through.
        if matches!(expr, Expr::Await(_)) {
            return;
        }
        let call = match expr {
            Expr::Call(call) => Some(call),
            _ => None,
        };
        let action = if self.context.in_debug_interpolation(expr.range()) {
            Action::Escape(
                "used in an f-string `=` field, whose output shows its source".to_owned(),
            )
        } else {
            self.classify(expr.range(), call, kind, 0)
        };
        if let Expr::Call(call) = expr {
            if self.is_connect(call) && !matches!(action, Action::WithConnect { .. }) {
                // The connect call itself must be awaited, wherever its result goes.
                if !matches!(self.context.parent(), Some(AnyNodeRef::ExprAwait(_))) {
                    let (prefix, suffix) = await_wrapping(self.parsed, expr, self.context.parent());
                    self.push(
                        via,
                        call.range(),
                        Action::Connect {
                            call,
                            prefix,
                            suffix,
                        },
                        "`sqlite3.connect`".to_owned(),
                    );
                }
            }
        }
        let label = match &action {
            Action::Await { call, .. } => self.callee_label(call),
            Action::AsyncFor { .. } | Action::AsyncComprehension { .. } => {
                format!("iterating over `{}`", &self.source[expr.range()])
            }
            Action::WithConnect { .. } => "`with sqlite3.connect(...)`".to_owned(),
            Action::WithTransaction { .. } => {
                format!("the transaction of `with {}`", &self.source[expr.range()])
            }
            _ => String::new(),
        };
        let range = match &action {
            Action::Await { call, .. } => call.range(),
            Action::WithConnect { call, .. } => call.range(),
            _ => expr.range(),
        };
        self.push(via, range, action, label);
    }
}

#[derive(Default)]
struct UnionFind<'a> {
    parent: HashMap<Slot<'a>, Slot<'a>>,
}

impl<'a> UnionFind<'a> {
    fn find(&mut self, slot: Slot<'a>) -> Slot<'a> {
        let parent = *self.parent.entry(slot).or_insert(slot);
        if parent == slot {
            return slot;
        }
        let root = self.find(parent);
        self.parent.insert(slot, root);
        root
    }

    fn union(&mut self, a: Slot<'a>, b: Slot<'a>) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent.insert(ra, rb);
        }
    }
}
