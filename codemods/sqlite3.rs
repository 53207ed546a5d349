//! `sqlite3` in async code → `aiosqlite`.

use std::collections::{HashMap, HashSet};

use crate::checker::{await_wrapping, Checker};
use crate::fix::{merge_edits, Applicability, Edit, Fix};
use crate::parse::ast::{self, AnyNodeRef, Expr, ExprContext, Stmt};
use crate::parse::{Parsed, Ranged, TextRange, TextSize};
use crate::recipe::{BlockingUse, FixAvailability, Recipe, RecipeMeta, RunFact};
use crate::semantic::{BindingId, Execution, ScopeId, ScopeKind, SemanticModel};
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
/// `with contextlib.closing(sqlite3.connect(path)) as conn:` becomes
/// `async with aiosqlite.connect(path) as conn:`, and `with closing(conn.cursor()) as cur:`
/// becomes `async with await conn.cursor() as cur:`: aiosqlite's `async with` closes and does
/// not commit, exactly like `closing()`. `from sqlite3 import dbapi2 as sqlite3` is the same
/// module, and `sqlite3.Connection(path)` opens a connection like `sqlite3.connect(path)`.
///
/// ## Connection helpers and constructors
/// A `@contextmanager` helper of the module that yields a connection, entered by async code
/// (`with self._connection() as conn:`), becomes an `@contextlib.asynccontextmanager async
/// def` with its `connect`, `commit`, `rollback` and `close` awaited, and each of its `with`
/// statements an `async with`: the generator protocol (the exception thrown in at the
/// `yield`, its `try`/`except`/`finally`) runs exactly as before.
///
/// When sync code enters the helper too, or the helper is public (other modules may enter it
/// with a sync `with`), the helper stays exactly as it is and async code enters an *async
/// twin* of it, defined right after it (`_connection_async`, the same body migrated). A
/// plain helper returning a fresh connection that sync code also calls gets the same twin,
/// which async callers await (`conn = await _connect_async()`).
///
/// This is the design for a class whose constructor creates the schema through the helper
/// its async methods query through (`__init__` → `_init_db()` → `with self._connection() as
/// conn: conn.executescript(SCHEMA)`): construction keeps its synchronous path, so the
/// schema exists when the constructor returns, before any query can run, and every query
/// made after construction runs on aiosqlite's thread. An explicit async initializer (`await
/// store.init()`) was not chosen: every construction site, in other modules too, would have
/// to change and await it, and one in sync code cannot. The twin fix is unsafe: the
/// construction path still runs sqlite3 on its caller's thread; if that is the event loop (a
/// `Store(...)` made in a handler) while a migrated connection holds a write lock across an
/// `await`, it waits for the lock until sqlite's timeout. Build such objects at start-up or
/// with `await asyncio.to_thread(Store, path)`.
///
/// ## Fix safety
/// A connection or cursor is migrated everywhere it flows, or nowhere: awaited and
/// un-awaited uses of one object are never mixed. When any use of an object cannot be
/// migrated, no use of it is rewritten and each blocking use in async code is reported with
/// the reason: the object is used in sync code (a sync method of the class, a function run in
/// a thread), created in `__init__` (an async factory method is needed), passed to a function
/// that is not followed, stored in a container, reached as `other._conn` on another object
/// than `self`, iterated in a generator expression or tested with `in` (`row in cursor`
/// iterates it synchronously), used in a `with` statement with other items, bound to other
/// values too, an attribute that a base class of the module also uses or whose class derives
/// from a class of another module (the hierarchy's uses are migrated together or not at all),
/// kept in thread-local storage (`threading.local()`: one connection per thread, which one
/// aiosqlite connection cannot stand for), configured in a way aiosqlite does on the wrong thread
/// (`conn.isolation_level = ...`), or used with an API aiosqlite lacks (`create_aggregate`,
/// `create_collation`, `create_window_function`, `blobopen`, `serialize`, `deserialize`,
/// `getlimit`, `setlimit`, `autocommit`, `cursor(factory=...)`).
///
/// The fix is safe when every use is a straight-line rewrite in async code and the
/// connection's lifetime stays what it was. It is unsafe (applied with `--unsafe-fixes`, the
/// reason given) when:
/// - the connection is not closed in a `finally` block or a `with` that starts before
///   anything can raise: a statement between the opening and the protecting `try` (setting
///   a property such as `row_factory` cannot raise), or a helper that runs statements on the
///   new connection before returning it, leaves it open when that statement raises.
///   aiosqlite runs each connection on a non-daemon thread, so one left open by an exception
///   keeps the process alive at exit, where sqlite3's would not;
/// - the connection is shared, kept on `self` or in a global: it must be closed before the
///   program exits, and concurrent tasks' statements can now interleave inside a transaction;
/// - `with sqlite3.connect(...) as conn:` now also closes the connection, and the connection
///   or a cursor of it is used after the block or leaves it;
/// - the object leaves through a public function, or one nothing in the module calls
///   (`return conn`, `yield conn`): callers elsewhere now receive an aiosqlite object;
/// - a public attribute (`self.conn`) or a class with subclasses holds it;
/// - a parameter is annotated `sqlite3.Connection` (callers elsewhere pass the object);
/// - a loop over a cursor can `break` and the cursor is read again after it, or by an
///   enclosing loop that goes on reading it, or the loop itself runs again inside another
///   loop: aiosqlite's `async for` fetches rows in batches, and the rest of a batch is lost;
/// - a helper gets an async twin while sync code keeps the original (see above);
/// - another sqlite3 object of the module stays on the event loop (its fix withheld or
///   unsafe): a migrated connection holding a write lock while it awaits would make the
///   remaining sqlite3 code wait for the lock on the loop's thread, a deadlock until sqlite's
///   timeout; the module's objects are migrated together with `--unsafe-fixes`;
/// - another module of the run keeps sqlite3 work on the event loop's thread after the run's
///   fixes, for the same reason (the note names the module and the use): a use in async code
///   without a safe fix, or one in a sync function async code calls that no safe fix converts
///   or moves to a thread (or that is silenced or ignored). Set-up code that no async code
///   reaches (a migration script, a CLI command, module-level code run at import) does not
///   count: it does not run on the loop's thread. This needs the project stage (the call
///   graph, the run's planned fixes), which runs with every phase selected (the default);
///   a run of phase 1 alone (`--phase 1`, `--select AW102`) does not pay for it and counts
///   every other module of the run that imports sqlite3 (the note then says it "also uses
///   sqlite3, possibly on the event loop's thread"): it may withhold a fix the full run
///   finds safe, never the other way round;
/// - the object is used after its `close()` on a path that goes on, or after the `with
///   closing(...)` block that closed it: aiosqlite raises `ValueError` there where sqlite3
///   raises `ProgrammingError`.
///
/// One difference no rewrite can remove: when `aiosqlite.connect` fails to open a database,
/// aiosqlite (0.22 included) queues the stop of its worker thread without waiting for it; if
/// the program's event loop closes before that thread gets to run, the thread prints
/// `RuntimeError: Event loop is closed` on stderr at exit. The program sees the same
/// exception and exits with the same status as before.
///
/// `sqlite3.connect(path, 5.0)` passes its positional arguments as keywords (`timeout=5.0`),
/// as aiosqlite requires. Annotations of migrated objects become `aiosqlite.Connection` /
/// `aiosqlite.Cursor`. `sqlite3.Row`, the exception classes and
/// constants stay as they are (aiosqlite uses sqlite3's own classes); `import sqlite3` is
/// removed only when nothing uses it any more, and `import aiosqlite` is added once.
pub struct Sqlite3;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW102",
    id: "sqlite3",
    phase: 1,
    summary: "`sqlite3` in async code blocks the event loop; migrate the connection to `aiosqlite`",
    ruff_equivalent: None,
    fix: FixAvailability::Sometimes,
    needles: &["sqlite3"],
    requires: Some("aiosqlite"),
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

    /// Methods aiosqlite lacks that still do database I/O (reported as blocking).
    fn does_io(self, method: &str) -> bool {
        self == Kind::Connection && matches!(method, "blobopen" | "serialize" | "deserialize")
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
    /// `<local>.<name>`, where `<local>` is a module-level `threading.local()`: each thread
    /// reads what it stored itself.
    ThreadLocal(BindingId, &'a str),
    /// `self.<holder>.<name>` in a method of a class whose every `self.<holder> = ...` is
    /// `threading.local()`: the same, per instance.
    InstanceLocal(ScopeId, &'a str, &'a str),
}

/// A value flowing into a slot: an assignment, a `with ... as`, a `return`.
struct Flow<'a> {
    slot: Slot<'a>,
    value: &'a Expr,
    scope: ScopeId,
    /// A dead store: `conn = self.path` right before `conn = sqlite3.connect(...)`, nothing
    /// between reads the name or can leave the block (see [`Finder::is_dead_store`]). Its
    /// value never reaches a use of the slot.
    dead: bool,
}

/// What one occurrence of a tracked object needs.
#[derive(Debug, Clone)]
enum Action<'a> {
    /// Await a blocking method call.
    Await {
        call: &'a ast::ExprCall,
        method: &'a str,
        prefix: &'static str,
        suffix: &'static str,
        /// The statement after the call's leaves the block (`return`, `raise`, `break`,
        /// `continue`): code after the block does not run after this call.
        then_leaves: bool,
    },
    /// `sqlite3.connect(...)` → `await aiosqlite.connect(...)`.
    Connect {
        call: &'a ast::ExprCall,
        prefix: &'static str,
        suffix: &'static str,
    },
    /// `for` → `async for`; `breaks` when the loop can stop early (aiosqlite fetches rows in
    /// batches, so rows after a `break` are not there for a later fetch).
    /// `again` when the loop runs again inside an enclosing loop of its function over a
    /// cursor it does not create (the rows the batch took are gone for the next run).
    AsyncFor {
        stmt: TextRange,
        breaks: bool,
        again: bool,
    },
    /// A comprehension's `for` → `async for`.
    AsyncComprehension { generator: TextRange },
    /// `with sqlite3.connect(p) as conn:` → `async with aiosqlite.connect(p) as conn, _SqliteTransaction(conn):`.
    WithConnect {
        stmt: &'a ast::StmtWith,
        call: &'a ast::ExprCall,
        target: &'a Expr,
    },
    /// `with contextlib.closing(<object>) as x:` → `async with <object> as x:`: aiosqlite's
    /// connections and cursors close at the end of an `async with` and do nothing else,
    /// exactly as `closing()` does. `connect` when the object is `sqlite3.connect(...)`
    /// itself (it becomes `aiosqlite.connect(...)`, not awaited).
    WithClosing {
        stmt: &'a ast::StmtWith,
        wrapper: &'a ast::ExprCall,
        inner: TextRange,
        connect: Option<&'a ast::ExprCall>,
        kind: Kind,
        /// The `as` target's slot, when it is a plain name.
        target: Option<Slot<'a>>,
        target_is_attribute: bool,
    },
    /// `with helper() as conn:` where `helper` is a `@contextmanager` of the module that
    /// yields the object → `async with helper() as conn:` (the helper becomes an
    /// `@asynccontextmanager async def`).
    WithHelper {
        stmt: &'a ast::StmtWith,
        call: &'a ast::ExprCall,
    },
    /// `conn = helper()` where `helper` is a plain sync function returning the object and
    /// sync code calls it too: `conn = await helper_async()` (a twin of it).
    CallHelper {
        call: &'a ast::ExprCall,
        prefix: &'static str,
        suffix: &'static str,
        /// `x` of `x = helper()`.
        target: Option<&'a Expr>,
    },
    /// `with conn:` → `async with _SqliteTransaction(conn):`.
    WithTransaction {
        stmt: &'a ast::StmtWith,
        expr: TextRange,
    },
    /// Nothing to change (a property, a flow into another tracked slot, a test).
    Neutral,
    /// Returned or yielded out of a function (its callers receive the object).
    Leaves { function: Option<ScopeId> },
    /// Passed to a parameter of a project function that is itself tracked.
    PassTo(Slot<'a>),
    /// A blocking call aiosqlite cannot do: reported, and the object is not migrated.
    Unsupported(String),
    /// A use that cannot be migrated, with the reason.
    Escape(String),
}

impl Action<'_> {
    fn is_blocking(&self) -> bool {
        !matches!(
            self,
            Action::Neutral
                | Action::Leaves { .. }
                | Action::PassTo(_)
                | Action::Escape(_)
                | Action::CallHelper { .. }
        )
    }
}

/// An annotation naming a sqlite3 class, rewritten with the object it describes.
struct Annotation {
    range: TextRange,
    kind: Kind,
    scope: ScopeId,
}

struct Use<'a> {
    /// The slot the occurrence reads (its group is the object's).
    via: Slot<'a>,
    range: TextRange,
    scope: ScopeId,
    execution: Execution,
    action: Action<'a>,
    label: String,
    /// The `@contextmanager` helper of the module whose body holds the occurrence.
    in_helper: Option<ScopeId>,
    /// Where the occurrence opens a connection (`sqlite3.connect(...)`, a call of a helper
    /// that returns a new one): what closes it if a later statement raises.
    guard: Option<Guard>,
}

/// What closes a connection just opened when a statement after the opening raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// A `try` whose `finally` closes it starts right after the opening (or holds it), or a
    /// `with` closes it.
    Closed,
    /// It is returned at once (nothing that can raise stands between): its callers'
    /// openings are checked instead.
    Returned,
    /// Something can raise before anything closes it.
    Open,
}

/// Another module of the run keeps sqlite3 work on the event loop's thread: migrating this
/// file's connections is not safe alone. Without the project stage, every other module that
/// imports sqlite3 counts; with it (every phase selected), only one whose sqlite3 work stays
/// on the loop's thread after the run's planned fixes ([`stays_on_loop`]).
pub static SQLITE_ELSEWHERE: RunFact = RunFact {
    name: "sqlite3-elsewhere",
    marks: &["import sqlite3", "from sqlite3 import"],
    needed_by: &["sqlite3"],
    planned: Some(stays_on_loop),
};

impl Recipe for Sqlite3 {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    fn run_facts(&self) -> &'static [RunFact] {
        std::slice::from_ref(&SQLITE_ELSEWHERE)
    }

    /// Opening a connection stands for the object's blocking uses in the audit's census.
    fn is_blocking_call(&self, name: &[&str]) -> bool {
        matches!(name, ["sqlite3", "connect" | "Connection"])
    }

    /// Every blocking use of every connection and cursor, however it was made (a helper's
    /// return value, a `with helper() as conn`, a cursor of either), with what keeps its
    /// object from being migrated whatever the call graph does.
    fn blocking_uses(
        &self,
        semantic: &SemanticModel,
        parsed: &Parsed,
        source: &str,
    ) -> Option<Vec<BlockingUse>> {
        if !semantic.imports_module("sqlite3") {
            return Some(Vec::new());
        }
        let ObjectFlow {
            seeds,
            mut groups,
            polluted,
            found,
            helpers,
            origins,
            unknown_sources,
            ..
        } = object_flow(semantic, parsed, source);
        // Per object: the first reason converting functions cannot remove.
        let mut obstacles: HashMap<Slot, String> = HashMap::new();
        // (A use's line is counted only for a message that shows it.)
        let line = |u: &Use| line_of(source, u.range.start());
        for u in &found {
            let obstacle = match &u.action {
                Action::Escape(reason) | Action::Unsupported(reason) => {
                    Some(format!("{reason} (line {})", line(u)))
                }
                Action::Connect { .. } | Action::WithConnect { .. } => semantic
                    .enclosing_function(u.scope)
                    .map(|f| semantic.scope_name(f))
                    .filter(|name| name.starts_with("__") && name.ends_with("__"))
                    .map(|name| format!("the connection is created in `{name}`, which stays sync")),
                _ => None,
            };
            if let Some(obstacle) = obstacle {
                obstacles.entry(groups.find(u.via)).or_insert(obstacle);
            }
        }
        for (slot, reason) in polluted {
            obstacles.entry(groups.find(slot)).or_insert(reason);
        }
        // Objects also bound to other values (a cache in a container, thread-local storage)
        // may be made elsewhere even where a function gets them from a helper call.
        let unknown_roots: HashSet<Slot> = unknown_sources
            .iter()
            .map(|&slot| groups.find(slot))
            .collect();
        // Per object: why its migration will be an unsafe fix whatever the call graph does.
        let mut unsafe_migrations: HashMap<Slot, String> = HashMap::new();
        for u in &found {
            let reason = match (u.via, &u.action, u.guard) {
                (Slot::Attr(_, name), ..) => Some(format!(
                    "`self.{name}` is shared: the program must await its `close()` before exiting, and concurrent tasks' statements can interleave inside a transaction"
                )),
                (Slot::Local(binding), ..) if semantic.bindings[binding].scope == 0 => Some(format!(
                    "`{}` is a global connection: the program must await its `close()` before exiting",
                    semantic.bindings[binding].name
                )),
                (_, _, Some(Guard::Open)) => Some(format!(
                    "the connection opened at line {} is not closed in a `finally` or a `with` that starts before anything can raise",
                    line(u)
                )),
                (_, Action::WithHelper { .. } | Action::CallHelper { .. }, _)
                    if u.execution == Execution::Sync =>
                {
                    Some(format!(
                        "sync code{} (line {}) also uses the connection helper, which then keeps sqlite3 next to an async twin",
                        sync_place(semantic, u.scope),
                        line(u)
                    ))
                }
                _ => None,
            };
            if let Some(reason) = reason {
                unsafe_migrations
                    .entry(groups.find(u.via))
                    .or_insert(reason);
            }
        }
        // Per object: whether every call that opens it passes `check_same_thread=False`
        // (sqlite3 then lets any thread use it), and its module opens it somewhere.
        let mut thread_shareable: HashMap<Slot, bool> = HashMap::new();
        // Per object that some code opens: its one opening, when that is a
        // `sqlite3.connect(...)` saying nothing of threads (`None`: another opening too, or
        // one that says something of threads; no single keyword makes it shareable then).
        let mut silent_open: HashMap<Slot, Option<&ast::ExprCall>> = HashMap::new();
        for u in &found {
            let silent = match &u.action {
                Action::Connect { call, .. } => {
                    let says_threads = call.arguments.keywords.iter().any(|k| {
                        k.arg
                            .as_ref()
                            .is_none_or(|name| name.as_str() == "check_same_thread")
                    }) || call.arguments.args.len() > 4
                        || call.arguments.args.iter().any(Expr::is_starred_expr);
                    (!says_threads).then_some(*call)
                }
                Action::WithConnect { .. }
                | Action::WithClosing {
                    connect: Some(_), ..
                } => None,
                _ => continue,
            };
            silent_open
                .entry(groups.find(u.via))
                .and_modify(|one| *one = None)
                .or_insert(silent);
        }
        for u in &found {
            let call = match &u.action {
                Action::Connect { call, .. } | Action::WithConnect { call, .. } => Some(*call),
                Action::WithClosing {
                    connect: Some(call),
                    ..
                } => Some(*call),
                _ => None,
            };
            if let Some(call) = call {
                let shareable = call
                    .arguments
                    .find_keyword("check_same_thread")
                    .is_some_and(|k| matches!(&k.value, Expr::BooleanLiteral(b) if !b.value));
                *thread_shareable.entry(groups.find(u.via)).or_insert(true) &= shareable;
            }
        }
        for seed in &seeds {
            if seed.parameter {
                thread_shareable.insert(groups.find(seed.slot), false);
            }
        }
        for root in &unknown_roots {
            thread_shareable.insert(*root, false);
        }
        // Per object: the functions that open it, and whether it is kept where other code
        // reaches it (an attribute, a global, a parameter).
        let mut opened_in: HashMap<Slot, HashSet<Option<ScopeId>>> = HashMap::new();
        let mut kept: HashSet<Slot> = unknown_roots.clone();
        // Per object: whether an attribute or a global holds it (other code reaches it then).
        let mut shared: HashSet<Slot> = HashSet::new();
        let mut leaves: HashMap<Slot, HashSet<ScopeId>> = HashMap::new();
        for u in &found {
            let root = groups.find(u.via);
            if let Action::Leaves {
                function: Some(function),
            } = u.action
            {
                leaves.entry(root).or_default().insert(function);
            }
            if u.guard.is_some() {
                opened_in
                    .entry(root)
                    .or_default()
                    .insert(semantic.enclosing_function(u.scope));
            }
            let elsewhere = match u.via {
                Slot::Attr(..) => true,
                Slot::Local(binding) => {
                    semantic.bindings[binding].scope == 0
                        || seeds.iter().any(|s| s.slot == u.via && s.parameter)
                }
                _ => false,
            };
            if elsewhere {
                kept.insert(root);
            }
            let is_shared = match u.via {
                Slot::Attr(..) => true,
                Slot::Local(binding) => semantic.bindings[binding].scope == 0,
                _ => false,
            };
            if is_shared {
                shared.insert(root);
            }
        }
        // Whether the object a slot holds is made anew, on the running thread, each time the
        // function of the slot runs: every value bound to it comes from `sqlite3.connect`
        // there, or from a call of a helper of the module (a plain function or a
        // `@contextmanager` one: no other decorator, such as a cache, keeps one object across
        // calls) whose every return value is made so in turn; never from a parameter, an
        // attribute, a global, or a variable of an enclosing function.
        let fresh = |slot: Slot, function: Option<ScopeId>| -> bool {
            let mut seen: HashSet<Slot> = HashSet::new();
            let mut queue = vec![(slot, function)];
            while let Some((slot, function)) = queue.pop() {
                if !seen.insert(slot) {
                    continue;
                }
                let owner = match slot {
                    Slot::Fresh(_) => continue,
                    Slot::Attr(..) => return false,
                    // Each thread reads what it stored: fresh when every store is, in the
                    // function that stores it.
                    Slot::ThreadLocal(..) | Slot::InstanceLocal(..) => {
                        let Some(sources) = origins.get(&slot).filter(|s| !s.is_empty()) else {
                            return false;
                        };
                        for source in sources {
                            match source {
                                Some(Slot::Fresh(_)) => {}
                                Some(origin @ Slot::Local(binding)) => queue.push((
                                    *origin,
                                    semantic.enclosing_function(semantic.bindings[*binding].scope),
                                )),
                                _ => return false,
                            }
                        }
                        continue;
                    }
                    Slot::Local(binding) => {
                        let binding = &semantic.bindings[binding];
                        let owner = semantic.enclosing_function(binding.scope);
                        if binding.scope == 0 || owner != function {
                            return false;
                        }
                        let flows = origins.get(&slot).map_or(0, Vec::len);
                        if binding.bind_count as usize != flows {
                            return false;
                        }
                        owner
                    }
                    Slot::Return(helper) => {
                        if !helpers.contains_key(&helper) {
                            return false;
                        }
                        Some(helper)
                    }
                };
                let Some(sources) = origins.get(&slot).filter(|s| !s.is_empty()) else {
                    return false;
                };
                for source in sources {
                    match source {
                        Some(origin) => queue.push((*origin, owner)),
                        None => return false,
                    }
                }
            }
            true
        };
        // Per object: the sync functions whose blocking uses of it keep it from being
        // migrated (phase 1 migrates an object everywhere or nowhere) unless they become
        // async too; a helper's body that gets an async twin, and the sync uses the twin
        // leaves to the original helper, do not count. Module-level uses never become async.
        let twins = plan_twins(semantic, &helpers, &found, true);
        let mut needs: HashMap<Slot, Vec<ScopeId>> = HashMap::new();
        for u in &found {
            if u.execution != Execution::Sync
                || !u.action.is_blocking()
                || u.in_helper.is_some_and(|h| twins.contains_key(&h))
                || twins.values().any(|twin| twin.keeps(u))
            {
                continue;
            }
            let root = groups.find(u.via);
            match semantic.enclosing_function(u.scope) {
                Some(function) => {
                    let list = needs.entry(root).or_default();
                    if !list.contains(&function) {
                        list.push(function);
                    }
                }
                None => {
                    let line = line_of(source, u.range.start());
                    obstacles.entry(root).or_insert(format!(
                        "the object is also used in module-level code (line {line}), which stays sync"
                    ));
                }
            }
        }
        let uses = found
            .iter()
            .filter(|u| u.action.is_blocking())
            .map(|u| BlockingUse {
                range: u.range,
                scope: u.scope,
                execution: u.execution,
                label: site_label(source, u),
                obstacle: obstacles.get(&groups.find(u.via)).cloned(),
                unsafe_migration: unsafe_migrations.get(&groups.find(u.via)).cloned(),
                object_leaves: semantic.enclosing_function(u.scope).is_some_and(|f| {
                    leaves
                        .get(&groups.find(u.via))
                        .is_some_and(|l| l.contains(&f))
                }),
                needs_async: {
                    let function = semantic.enclosing_function(u.scope);
                    needs
                        .get(&groups.find(u.via))
                        .map(|list| {
                            list.iter()
                                .copied()
                                .filter(|f| Some(*f) != function)
                                .collect()
                        })
                        .unwrap_or_default()
                },
                thread_shareable: thread_shareable
                    .get(&groups.find(u.via))
                    .copied()
                    .unwrap_or(false),
                shareable_at: {
                    let root = groups.find(u.via);
                    let known = !seeds
                        .iter()
                        .any(|s| s.parameter && groups.find(s.slot) == root)
                        && !unknown_roots.contains(&root);
                    match silent_open.get(&root) {
                        Some(Some(call)) if known => call
                            .arguments
                            .args
                            .iter()
                            .map(Ranged::end)
                            .chain(call.arguments.keywords.iter().map(Ranged::end))
                            .max(),
                        _ => None,
                    }
                },
                foreign_object: {
                    let root = groups.find(u.via);
                    let function = semantic.enclosing_function(u.scope);
                    shared.contains(&root)
                        || !(opened_in.get(&root).is_some_and(|f| f.contains(&function))
                            && !kept.contains(&root)
                            || fresh(u.via, function))
                },
            })
            .collect();
        Some(uses)
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

/// What the object flow of one module found: every occurrence of a sqlite3 object, the
/// objects they belong to, and why some objects cannot be migrated.
struct ObjectFlow<'a> {
    seeds: Vec<Seed<'a>>,
    subclassed: HashSet<ScopeId>,
    helpers: HashMap<ScopeId, ContextHelper<'a>>,
    groups: UnionFind<'a>,
    polluted: Vec<(Slot<'a>, String)>,
    found: Vec<Use<'a>>,
    /// Per slot, where each value flowing into it comes from (`None`: not a sqlite3 object).
    origins: HashMap<Slot<'a>, Vec<Option<Slot<'a>>>>,
    /// Slots that may hold an object made anywhere: also bound to a value that is not a
    /// tracked object (a cache in a container), or thread-local storage.
    unknown_sources: Vec<Slot<'a>>,
}

/// Follows every sqlite3 connection and cursor of a module: the analysis both the recipe and
/// the project index ([`Recipe::blocking_uses`]) use.
fn object_flow<'a>(
    semantic: &SemanticModel<'a>,
    parsed: &'a Parsed,
    source: &'a str,
) -> ObjectFlow<'a> {
    let suite = parsed.suite();

    // Pass 1: where values flow, and what annotations say.
    let mut facts = Facts {
        context: WalkContext::new(),
        semantic,
        source,
        flows: Vec::new(),
        seeds: Vec::new(),
        subclassed: HashSet::new(),
        bases: HashMap::new(),
        foreign_attributes: Vec::new(),
        self_attributes: HashMap::new(),
        self_values: HashMap::new(),
        self_stores: HashMap::new(),
        outside_bases: HashMap::new(),
        helpers: HashMap::new(),
    };
    walk_module(&mut facts, suite);
    let Facts {
        flows,
        seeds,
        subclassed,
        bases,
        foreign_attributes,
        self_attributes,
        self_values,
        self_stores,
        outside_bases,
        helpers,
        ..
    } = facts;
    // The `self.<holder>` attributes only ever bound to `threading.local()`; the flows into
    // `self.<other>.<name>` are not followed.
    let instance_locals: HashSet<(ScopeId, &str)> = self_values
        .iter()
        .filter(|(key, values)| {
            values.iter().all(|&local| local)
                && self_stores.get(*key).copied().unwrap_or(0) == values.len()
        })
        .map(|(&key, _)| key)
        .collect();
    let flows: Vec<Flow> = flows
        .into_iter()
        .filter(|flow| match flow.slot {
            Slot::InstanceLocal(class, holder, _) => instance_locals.contains(&(class, holder)),
            _ => true,
        })
        .collect();

    // Which slots hold connections and cursors: a fixed point over the flows.
    let mut types = Types {
        semantic,
        bases,
        kinds: HashMap::new(),
        mixed: HashSet::new(),
        instance_locals,
    };
    for seed in &seeds {
        types.kinds.insert(seed.slot, seed.kind);
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
    let mut origins: HashMap<Slot, Vec<Option<Slot>>> = HashMap::new();
    let mut unknown_sources: Vec<Slot> = Vec::new();
    for flow in &flows {
        *flow_counts.entry(flow.slot).or_default() += 1;
        // A dead store of something else never reaches a use: neither an origin nor a
        // pollution. (A dead store of a connection still opens one: it is followed.)
        if flow.dead && types.kind_of(flow.value, flow.scope).is_none() {
            continue;
        }
        // (`None` is no object: made nowhere.)
        let origin = if is_none(flow.value) {
            Some(Slot::Fresh(flow.value.start()))
        } else {
            types
                .kind_of(flow.value, flow.scope)
                .map(|(_, origin)| origin)
        };
        origins.entry(flow.slot).or_default().push(origin);
        match types.kind_of(flow.value, flow.scope) {
            Some((_, origin)) => groups.union(flow.slot, origin),
            None if types.kinds.contains_key(&flow.slot) && !is_none(flow.value) => {
                let name = slot_name(semantic, flow.slot);
                let reason = match thread_boundary(flow.value) {
                    Some(callee) => format!(
                        "`{name}` is also assigned an object made in a worker thread (`{}`): a sqlite3 connection made there cannot be handed to aiosqlite, which opens its own on its thread; open it with `aiosqlite.connect` instead",
                        &source[callee.range()]
                    ),
                    None => format!("`{name}` is also assigned a value that is not a sqlite3 object"),
                };
                unknown_sources.push(flow.slot);
                polluted.push((flow.slot, reason))
            }
            None => {}
        }
    }
    for &slot in types.kinds.keys() {
        if let Slot::Local(binding) = slot {
            let seeded = seeds.iter().any(|seed| seed.slot == slot) as u32;
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
    for &slot in types.kinds.keys() {
        let Slot::Attr(_, name) = slot else { continue };
        if let Some((_, range)) = foreign_attributes.iter().find(|(n, _)| *n == name) {
            polluted.push((
                slot,
                format!(
                    "`{}` is used on another object than `self` (line {}), which cannot be followed",
                    &source[*range],
                    line_of(source, range.start())
                ),
            ));
        }
    }
    // One object, all its uses or none: the classes above the one holding the attribute may
    // use it too (a base that only annotates it, a mixin), and a base defined in another
    // module cannot be seen from here.
    for &slot in types.kinds.keys() {
        let Slot::Attr(class, name) = slot else {
            continue;
        };
        for base in ancestors_of(&types.bases, class) {
            if let Some(range) = self_attributes.get(&(base, name)) {
                polluted.push((
                    slot,
                    format!(
                        "`self.{name}` is also used in the base class `{}` (line {}), where the object is not followed",
                        semantic.scope_name(base),
                        line_of(source, range.start())
                    ),
                ));
            }
        }
        let outside = std::iter::once(class)
            .chain(ancestors_of(&types.bases, class))
            .find_map(|c| outside_bases.get(&c).map(|bases| (c, bases)));
        if let Some((holder, bases)) = outside {
            polluted.push((
                slot,
                format!(
                    "`{}` derives from `{}`, defined in another module, which may use `self.{name}` too; a class hierarchy's uses of it are migrated together or not at all",
                    semantic.scope_name(holder),
                    bases[0]
                ),
            ));
        }
    }
    for &slot in types.kinds.keys() {
        if let Slot::ThreadLocal(..) | Slot::InstanceLocal(..) = slot {
            unknown_sources.push(slot);
            polluted.push((
                slot,
                format!(
                    "`{}` is thread-local storage (`threading.local()`): each thread keeps its own connection there, which one aiosqlite connection cannot stand for",
                    slot_name(semantic, slot)
                ),
            ));
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
        helpers: &helpers,
        parsed,
        source,
        found: Vec::new(),
    };
    walk_module(&mut uses, suite);
    let mut found = uses.found;
    // A `@contextmanager` helper that async code enters is converted with its object: its
    // body then runs as async code.
    let entered_from_async: HashSet<ScopeId> = found
        .iter()
        .filter(|u| matches!(u.action, Action::WithHelper { .. }) && u.execution != Execution::Sync)
        .filter_map(|u| match u.via {
            Slot::Return(function) => Some(function),
            _ => None,
        })
        .collect();
    for u in &mut found {
        if u.in_helper.is_some_and(|h| entered_from_async.contains(&h))
            && u.execution == Execution::Sync
        {
            u.execution = Execution::Async;
        }
    }
    for u in &found {
        if let Action::PassTo(parameter) = u.action {
            groups.union(u.via, parameter);
        }
    }

    ObjectFlow {
        seeds,
        subclassed,
        helpers,
        groups,
        polluted,
        found,
        origins,
        unknown_sources,
    }
}

fn analyse(checker: &Checker<'_>) -> Vec<Finding> {
    let semantic = checker.semantic();
    let ObjectFlow {
        seeds,
        subclassed,
        helpers,
        mut groups,
        polluted,
        mut found,
        ..
    } = object_flow(semantic, checker.parsed, checker.source);
    let twins = plan_twins(semantic, &helpers, &found, false);
    // The body of a helper that gets a twin is the twin's: async code.
    for u in &mut found {
        if u.in_helper.is_some_and(|h| twins.contains_key(&h)) && u.execution == Execution::Sync {
            u.execution = Execution::Async;
        }
    }
    let mut by_group: HashMap<Slot, Vec<&Use>> = HashMap::new();
    for u in &found {
        by_group.entry(groups.find(u.via)).or_default().push(u);
    }
    let mut findings = Vec::new();
    let mut group_list: Vec<_> = by_group.into_iter().collect();
    group_list.sort_by_key(|(_, uses)| uses.iter().map(|u| u.range.start()).min());
    for (root, group) in group_list {
        // With an async twin, the sync `with helper()` statements keep the sync helper and
        // their connections stay as they are.
        let sync_users: Vec<&Use> = group
            .iter()
            .copied()
            .filter(|u| twins.values().any(|twin| twin.keeps(u)))
            .collect();
        let group: Vec<&Use> = group
            .into_iter()
            .filter(|u| !twins.values().any(|twin| twin.keeps(u)))
            .collect();
        let blocking_on_loop: Vec<&&Use> = group
            .iter()
            .filter(|u| u.action.is_blocking() && u.execution != Execution::Sync)
            .collect();
        if blocking_on_loop.is_empty() {
            continue;
        }
        let mut reasons: Vec<String> = Vec::new();
        for u in &group {
            let line = || line_of(checker.source, u.range.start());
            match (&u.action, u.execution) {
                (Action::Escape(reason) | Action::Unsupported(reason), _) => {
                    reasons.push(format!("{reason} (line {})", line()))
                }
                (action, Execution::Sync) if action.is_blocking() => reasons.push(format!(
                    "also used in sync code{} (line {})",
                    sync_place(semantic, u.scope),
                    line()
                )),
                (action, Execution::AsyncNoAwait) if action.is_blocking() => reasons.push(format!(
                    "used where `await` cannot go (a generator expression or a class body) (line {})",
                    line()
                )),
                _ => {}
            }
        }
        for (slot, reason) in &polluted {
            if groups.find(*slot) == root {
                reasons.push(reason.clone());
            }
        }
        if let Some(library) = checker.foreign_event_loop() {
            reasons.insert(
                0,
                format!(
                    "the module uses `{library}`, whose event loop aiosqlite does not run under"
                ),
            );
        }
        let (fix, note) = if let Some(reason) = reasons.first() {
            (None, Some(format!("not migrated: {reason}")))
        } else {
            let context = FixContext {
                checker,
                seeds: &seeds,
                subclassed: &subclassed,
                helpers: &helpers,
                twins: &twins,
                groups: &mut groups,
                root,
            };
            match build_fix(context, &group) {
                Ok((fix, None)) if !sync_users.is_empty() => {
                    let line = line_of(checker.source, sync_users[0].range.start());
                    let place = sync_place(semantic, sync_users[0].scope);
                    let why = format!(
                        "the helper gets an async twin for async code, while its sync use{place} (line {line}) keeps using sqlite3 on its caller's thread: if that runs on the event loop while a migrated connection holds a write lock across an `await`, it waits for the lock until sqlite's timeout"
                    );
                    (
                        Some(Fix::new(fix.edits().to_vec(), Applicability::Unsafe)),
                        Some(why),
                    )
                }
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
    // A connection left on sqlite3 in async code (its fix withheld or unsafe) keeps using the
    // database from the loop's thread; a migrated connection that holds a write lock while it
    // awaits would make it wait for the lock on that thread, which the migrated one can then
    // never release: a deadlock until sqlite's timeout. Either every object of the module is
    // migrated or none safely.
    let stays_blocking = findings.iter().any(|(_, _, fix, _)| {
        fix.as_ref()
            .is_none_or(|fix| fix.applicability != Applicability::Safe)
    });
    // The same across modules: another module's connections may run on the loop's thread (in
    // async code, or in sync code async code calls).
    let elsewhere = checker
        .settings
        .facts
        .elsewhere(SQLITE_ELSEWHERE.name)
        .map(|other| match &other.what {
            Some(what) => format!(
                "another module of the run ({}) keeps sqlite3 work on the event loop's thread after this run's fixes ({what}): a migrated connection holding a lock across an `await` would block it until sqlite's timeout; migrate them together",
                other.path.display()
            ),
            None => format!(
                "another module of the run ({}) also uses sqlite3, possibly on the event loop's thread: a migrated connection holding a lock across an `await` would block it until sqlite's timeout; migrate them together",
                other.path.display()
            ),
        });
    let reason = if stays_blocking {
        Some("other sqlite3 objects of this module stay on the event loop's thread (their fixes are withheld or unsafe): a migrated connection holding a write lock while it awaits would block them until sqlite's timeout; migrate them together".to_owned())
    } else {
        elsewhere
    };
    if let Some(reason) = reason {
        for (_, _, fix, note) in &mut findings {
            if let Some(fix) = fix
                .as_mut()
                .filter(|fix| fix.applicability == Applicability::Safe)
            {
                fix.applicability = Applicability::Unsafe;
                *note = Some(reason.clone());
            }
        }
    }
    findings
}

/// The statement block of `node` that directly holds the statement spanning `stmt`.
fn block_containing<'a>(node: AnyNodeRef<'a>, stmt: TextRange) -> Option<&'a [Stmt]> {
    let holds = |body: &'a [Stmt]| body.iter().any(|s| s.range() == stmt).then_some(body);
    match node {
        AnyNodeRef::StmtFunctionDef(def) => holds(&def.body),
        AnyNodeRef::StmtIf(s) => {
            holds(&s.body).or_else(|| s.elif_else_clauses.iter().find_map(|c| holds(&c.body)))
        }
        AnyNodeRef::StmtFor(s) => holds(&s.body).or_else(|| holds(&s.orelse)),
        AnyNodeRef::StmtWhile(s) => holds(&s.body).or_else(|| holds(&s.orelse)),
        AnyNodeRef::StmtWith(s) => holds(&s.body),
        AnyNodeRef::StmtTry(s) => holds(&s.body)
            .or_else(|| holds(&s.orelse))
            .or_else(|| holds(&s.finalbody))
            .or_else(|| {
                s.handlers
                    .iter()
                    .find_map(|ast::ExceptHandler::ExceptHandler(h)| holds(&h.body))
            }),
        _ => None,
    }
}

/// The classes `class` derives from in the module, transitively (each once).
fn ancestors_of(bases: &HashMap<ScopeId, Vec<ScopeId>>, class: ScopeId) -> Vec<ScopeId> {
    let mut found: Vec<ScopeId> = Vec::new();
    let mut pending = vec![class];
    while let Some(current) = pending.pop() {
        for &base in bases.get(&current).into_iter().flatten() {
            if base != class && !found.contains(&base) {
                found.push(base);
                pending.push(base);
            }
        }
    }
    found
}

/// The object of `contextlib.closing(x)` (one positional argument).
fn closing_argument<'e>(name: &[&str], call: &'e ast::ExprCall) -> Option<&'e Expr> {
    match (name, &*call.arguments.args, &*call.arguments.keywords) {
        (["contextlib", "closing"], [inner], []) if !inner.is_starred_expr() => Some(inner),
        _ => None,
    }
}

/// Whether a function's own body (not nested functions) contains `yield`.
fn is_generator(def: &ast::StmtFunctionDef) -> bool {
    struct Finder {
        found: bool,
    }
    impl<'a> ast::visitor::Visitor<'a> for Finder {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                ast::visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Yield(_) | Expr::YieldFrom(_) => self.found = true,
                Expr::Lambda(_) => {}
                _ => ast::visitor::walk_expr(self, expr),
            }
        }
    }
    let mut finder = Finder { found: false };
    ast::visitor::Visitor::visit_body(&mut finder, &def.body);
    finder.found
}

/// What a blocking use is called in the project stage's findings: the callee as written
/// (`conn.execute`, `sqlite3.connect`), or the object a `for`/`with` uses (`cur`); long or
/// multi-line text is shortened to `(...).method`.
fn site_label(source: &str, u: &Use) -> String {
    let (text, method) = match &u.action {
        Action::Await { call, method, .. } => (&source[call.func.range()], Some(*method)),
        Action::Connect { call, .. } | Action::WithConnect { call, .. } => {
            (&source[call.func.range()], None)
        }
        _ => (&source[u.range], None),
    };
    if text.len() <= 40 && !text.contains(['\n', '\r']) {
        return text.to_owned();
    }
    match method {
        Some(method) => format!("(...).{method}"),
        None => "(...)".to_owned(),
    }
}

/// The callee of `await loop.run_in_executor(...)` / `await asyncio.to_thread(...)` (and
/// `anyio.to_thread.run_sync(...)`): a value made in a worker thread.
fn thread_boundary(value: &Expr) -> Option<&Expr> {
    let Expr::Call(call) = strip_await(value) else {
        return None;
    };
    let name = match &*call.func {
        Expr::Attribute(attribute) => attribute.attr.id.as_str(),
        Expr::Name(name) => name.id.as_str(),
        _ => return None,
    };
    matches!(name, "run_in_executor" | "to_thread" | "run_sync").then_some(&*call.func)
}

/// `await x` → `x`.
fn strip_await(expr: &Expr) -> &Expr {
    match expr {
        Expr::Await(awaited) => strip_await(&awaited.value),
        _ => expr,
    }
}

/// Whether a `finally` block calls `<name>.close()` (at any depth).
fn closes(finalbody: &[Stmt], name: &str) -> bool {
    struct Finder<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> ast::visitor::Visitor<'a> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                if let Expr::Attribute(method) = &*call.func {
                    if method.attr.id.as_str() == "close"
                        && matches!(&*method.value, Expr::Name(n) if n.id.as_str() == self.name)
                    {
                        self.found = true;
                    }
                }
            }
            ast::visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder { name, found: false };
    ast::visitor::Visitor::visit_body(&mut finder, finalbody);
    finder.found
}

/// Whether a loop body can leave the loop early (`break` or `return` outside nested loops and
/// functions).
fn has_break(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Break(_) | Stmt::Return(_) => true,
        Stmt::If(s) => has_break(&s.body) || s.elif_else_clauses.iter().any(|c| has_break(&c.body)),
        Stmt::With(s) => has_break(&s.body),
        Stmt::Try(s) => {
            has_break(&s.body)
                || has_break(&s.orelse)
                || has_break(&s.finalbody)
                || s.handlers
                    .iter()
                    .any(|ast::ExceptHandler::ExceptHandler(h)| has_break(&h.body))
        }
        Stmt::Match(s) => s.cases.iter().any(|c| has_break(&c.body)),
        _ => false,
    })
}

fn is_none(expr: &Expr) -> bool {
    matches!(expr, Expr::NoneLiteral(_))
}

fn line_of(source: &str, offset: TextSize) -> usize {
    memchr::memchr_iter(b'\n', &source.as_bytes()[..usize::from(offset)]).count() + 1
}

fn slot_name(semantic: &SemanticModel, slot: Slot) -> String {
    match slot {
        Slot::Local(binding) => semantic.bindings[binding].name.to_owned(),
        Slot::Attr(_, name) => format!("self.{name}"),
        Slot::Return(scope) => format!("{}()", semantic.scope_name(scope)),
        Slot::Fresh(_) => "sqlite3.connect(...)".to_owned(),
        Slot::ThreadLocal(binding, name) => format!("{}.{name}", semantic.bindings[binding].name),
        Slot::InstanceLocal(_, holder, name) => format!("self.{holder}.{name}"),
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

/// What [`build_fix`] needs to know about the file beyond the object's uses.
struct FixContext<'c, 'a> {
    checker: &'c Checker<'a>,
    seeds: &'c [Seed<'a>],
    subclassed: &'c HashSet<ScopeId>,
    helpers: &'c HashMap<ScopeId, ContextHelper<'a>>,
    twins: &'c HashMap<ScopeId, Twin<'a>>,
    groups: &'c mut UnionFind<'a>,
    root: Slot<'a>,
}

/// One fix for a whole object: every edit of every use, with imports and the helper. The fix
/// is unsafe (with the first reason found) where the rewrite changes what other code sees.
fn build_fix(cx: FixContext<'_, '_>, group: &[&Use<'_>]) -> Result<(Fix, Option<String>), String> {
    let checker = cx.checker;
    let semantic = checker.semantic();
    let source = checker.source;
    let mut edits = Vec::new();
    // Imports and the helper class, which several uses need once.
    let mut common_edits: Vec<Edit> = Vec::new();
    let mut unsafe_reasons: Vec<String> = Vec::new();
    let aiosqlite_at =
        |scope: ScopeId, at: TextSize| checker.import_module_in(scope, at, "aiosqlite");
    // Edits inside a helper that gets an async twin go to the twin's text.
    let mut twin_edits: HashMap<ScopeId, Vec<Edit>> = HashMap::new();
    for u in group {
        let into_twin = u.in_helper.filter(|h| cx.twins.contains_key(h));
        let before = edits.len();
        match &u.action {
            Action::Await {
                call,
                prefix,
                suffix,
                ..
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
                let (aiosqlite, import) = aiosqlite_at(u.scope, u.range.start())?;
                common_edits.extend(import);
                edits.extend(connect_keywords(call)?);
                edits.push(Edit::insertion(*prefix, call.start()));
                edits.push(Edit::replacement(
                    format!("{aiosqlite}.connect"),
                    call.func.range(),
                ));
                if !suffix.is_empty() {
                    edits.push(Edit::insertion(*suffix, call.end()));
                }
            }
            Action::AsyncFor {
                stmt,
                breaks,
                again,
            } => {
                edits.push(Edit::insertion("async ", stmt.start()));
                // Read after the loop: later in the text, or by an enclosing loop over the
                // same cursor that goes on after this one stops.
                let read_after = *again
                    || group.iter().any(|other| {
                        other.via == u.via
                            && (other.range.start() >= stmt.end()
                                || matches!(other.action, Action::AsyncFor { stmt: outer, .. }
                                    if outer != *stmt && outer.contains_range(*stmt)))
                    });
                if *breaks && read_after {
                    unsafe_reasons.push(format!(
                        "the loop at line {} can stop early and the cursor is read again after it; aiosqlite's `async for` fetches rows in batches, so the rows after the `break` are lost",
                        line_of(source, stmt.start())
                    ));
                }
            }
            Action::AsyncComprehension { generator } => {
                edits.push(Edit::insertion("async ", generator.start()));
            }
            Action::WithConnect { stmt, call, target } => {
                let (aiosqlite, import) = aiosqlite_at(u.scope, u.range.start())?;
                common_edits.extend(import);
                edits.extend(connect_keywords(call)?);
                common_edits.extend(helper(checker, u.scope)?);
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
                // The connection is now closed at the end of the block: nothing of the object
                // may be used after it, nor leave the block.
                let escapes = group.iter().any(|other| {
                    !stmt.range().contains_range(other.range)
                        || matches!(other.action, Action::Leaves { .. })
                });
                if escapes || matches!(&**target, Expr::Attribute(_)) {
                    unsafe_reasons.push(format!(
                        "`{target_text}` (or a cursor of it) is used after the `with` block, which now also closes the connection"
                    ));
                }
            }
            Action::WithClosing {
                stmt,
                wrapper,
                inner,
                connect,
                kind,
                target,
                target_is_attribute,
            } => {
                edits.push(Edit::insertion("async ", stmt.start()));
                edits.push(Edit::deletion(TextRange::new(
                    wrapper.start(),
                    inner.start(),
                )));
                edits.push(Edit::deletion(TextRange::new(inner.end(), wrapper.end())));
                if let Some(call) = connect {
                    let (aiosqlite, import) = aiosqlite_at(u.scope, u.range.start())?;
                    common_edits.extend(import);
                    edits.extend(connect_keywords(call)?);
                    edits.push(Edit::replacement(
                        format!("{aiosqlite}.connect"),
                        call.func.range(),
                    ));
                }
                // Closed at the end of the block in both versions; a use after it raises
                // `ValueError` with aiosqlite where sqlite3 raises `ProgrammingError`.
                let function = semantic.enclosing_function(u.scope);
                let escapes = group.iter().any(|other| {
                    let relevant = match kind {
                        Kind::Connection => true,
                        Kind::Cursor => target.is_some_and(|slot| other.via == slot),
                    };
                    relevant
                        && semantic.enclosing_function(other.scope) == function
                        && (other.range.start() >= stmt.end()
                            || (matches!(other.action, Action::Leaves { .. })
                                && stmt.range().contains_range(other.range)))
                });
                if escapes || *target_is_attribute || (target.is_none() && *kind == Kind::Cursor) {
                    unsafe_reasons.push(format!(
                        "the sqlite3 {} closed by `closing()` at line {} is used after its `with` block (or leaves it): aiosqlite then raises `ValueError` where sqlite3 raises `ProgrammingError`",
                        kind.name(),
                        line_of(source, stmt.start())
                    ));
                }
            }
            Action::WithTransaction { stmt, expr } => {
                common_edits.extend(helper(checker, u.scope)?);
                edits.push(Edit::insertion("async ", stmt.start()));
                edits.push(Edit::insertion(format!("{HELPER}("), expr.start()));
                edits.push(Edit::insertion(")", expr.end()));
            }
            Action::CallHelper {
                call,
                prefix,
                suffix,
                ..
            } => {
                let twin = match u.via {
                    Slot::Return(helper) => cx.twins.get(&helper),
                    _ => None,
                };
                let Some(twin) = twin else {
                    return Err("no fix: the helper is not converted".to_owned());
                };
                edits.push(Edit::insertion(*prefix, call.start()));
                if !suffix.is_empty() {
                    edits.push(Edit::insertion(*suffix, call.end()));
                }
                let name = match &*call.func {
                    Expr::Attribute(attribute) => attribute.attr.range(),
                    other => other.range(),
                };
                edits.push(Edit::replacement(twin.name.clone(), name));
            }
            Action::WithHelper { stmt, call } => {
                edits.push(Edit::insertion("async ", stmt.start()));
                if let Some(twin) = match u.via {
                    Slot::Return(helper) => cx.twins.get(&helper),
                    _ => None,
                } {
                    let name = match &*call.func {
                        Expr::Attribute(attribute) => attribute.attr.range(),
                        other => other.range(),
                    };
                    edits.push(Edit::replacement(twin.name.clone(), name));
                }
            }
            Action::Leaves { function } => {
                let Some(function) = *function else { continue };
                if cx.twins.contains_key(&function) {
                    // The helper itself stays as it is; the twin is new.
                    continue;
                }
                if let Some(helper) = cx.helpers.get(&function).filter(|h| h.decorator.is_some()) {
                    common_edits.extend(convert_helper(checker, helper)?);
                }
                let name = semantic.scope_name(function);
                let called = group
                    .iter()
                    .any(|other| other.via == Slot::Return(function));
                if !name.starts_with('_') || !called {
                    unsafe_reasons.push(format!(
                        "`{name}` returns the object to callers awaitify cannot see (other modules, frameworks); they must now expect an aiosqlite object"
                    ));
                }
            }
            Action::Neutral | Action::PassTo(_) | Action::Unsupported(_) | Action::Escape(_) => {}
        }
        if let Some(helper) = into_twin {
            let moved: Vec<Edit> = edits.drain(before..).collect();
            twin_edits.entry(helper).or_default().extend(moved);
        }
        if let Slot::Attr(class, attribute) = u.via {
            if !attribute.starts_with('_') {
                unsafe_reasons.push(format!(
                    "`self.{attribute}` is public: code outside the class may use it as a sqlite3 object"
                ));
            } else if cx.subclassed.contains(&class) {
                unsafe_reasons.push(format!(
                    "`{}` has subclasses, whose uses of `self.{attribute}` are not migrated",
                    semantic.scope_name(class)
                ));
            }
        }
    }
    // aiosqlite runs each connection on a non-daemon thread: one left open keeps the process
    // alive at exit, where sqlite3's would not. A connection kept on an object or a global is
    // also shared between tasks, whose statements may now interleave at every `await`.
    let shared = group.iter().find(|u| match u.via {
        Slot::Attr(..) => true,
        Slot::Local(binding) => semantic.bindings[binding].scope == 0,
        _ => false,
    });
    let opens = group
        .iter()
        .any(|u| matches!(u.action, Action::Connect { .. }));
    // Every opening is closed by a `finally` or a `with` that starts before anything can
    // raise, or returned at once to callers whose openings are checked the same way.
    let closes_surely = group
        .iter()
        .all(|u| matches!(u.guard, None | Some(Guard::Closed | Guard::Returned)));
    // Using a closed connection raises `ValueError` with aiosqlite, `ProgrammingError` with
    // sqlite3: a use after a `close()` in the same function may take another path.
    let used_after_close = group.iter().any(|close| {
        matches!(
            close.action,
            Action::Await {
                method: "close",
                then_leaves: false,
                ..
            }
        ) && group.iter().any(|other| {
            other.via == close.via
                && !matches!(
                    other.action,
                    Action::Await {
                        method: "close",
                        ..
                    }
                )
                && other.range.start() > close.range.end()
                && semantic.enclosing_function(other.scope)
                    == semantic.enclosing_function(close.scope)
        })
    });
    if used_after_close {
        unsafe_reasons.push(
            "the object is used after its `close()`: aiosqlite then raises `ValueError` where sqlite3 raises `ProgrammingError`"
                .to_owned(),
        );
    }
    if let Some(shared) = shared {
        unsafe_reasons.push(format!(
            "`{}` is shared: the program must await its `close()` before exiting (aiosqlite's thread keeps the process alive), and concurrent tasks' statements can now interleave inside a transaction",
            slot_name(semantic, shared.via)
        ));
    } else if opens && !closes_surely {
        unsafe_reasons.push(
            "the connection is not closed in a `finally` block or a `with`: if an exception escapes first, aiosqlite's thread keeps the process alive at exit"
                .to_owned(),
        );
    }
    // Annotations of the object: rewritten; on parameters, callers elsewhere are affected.
    for seed in cx.seeds {
        if cx.groups.find(seed.slot) != cx.root {
            continue;
        }
        if let Some(annotation) = &seed.annotation {
            let (aiosqlite, import) = aiosqlite_at(annotation.scope, annotation.range.start())?;
            common_edits.extend(import);
            let class = match annotation.kind {
                Kind::Connection => "Connection",
                Kind::Cursor => "Cursor",
            };
            edits.push(Edit::replacement(
                format!("{aiosqlite}.{class}"),
                annotation.range,
            ));
        }
        if seed.parameter {
            unsafe_reasons.push(format!(
                "`{}` is a parameter annotated as a sqlite3 object; callers in other modules must now pass an aiosqlite one",
                slot_name(semantic, seed.slot)
            ));
        }
    }
    for (helper, twin) in cx.twins {
        let Some(inner) = twin_edits.remove(helper) else {
            continue;
        };
        let definition = &cx.helpers[helper];
        edits.push(twin_definition(checker, definition, &twin.name, inner)?);
        if definition.decorator.is_some() {
            let (_, import) = checker.import_module_in(0, definition.def.start(), "contextlib")?;
            common_edits.extend(import);
        }
    }
    for edit in common_edits {
        if !edits.contains(&edit) {
            edits.push(edit);
        }
    }
    let Some(edits) = merge_edits(edits) else {
        return Err("no fix: the edits of this object overlap".to_owned());
    };
    match unsafe_reasons.into_iter().next() {
        Some(reason) => Ok((Fix::new(edits, Applicability::Unsafe), Some(reason))),
        None => Ok((Fix::new(edits, Applicability::Safe), None)),
    }
}

/// A `@contextmanager` helper that async code enters, but that sync code enters too or
/// that is public: it stays as it is, and async code enters an async twin of it, a copy
/// defined right after it as an `@asynccontextmanager async def <name>_async`.
struct Twin<'a> {
    name: String,
    /// The sync `with helper() as conn` statements, by the slot of their target.
    sync_targets: HashSet<Slot<'a>>,
    helper: ScopeId,
}

impl Twin<'_> {
    /// Whether the use stays with the sync helper: a sync `with` of it, or a use of the
    /// connection such a `with` gives.
    fn keeps(&self, u: &Use) -> bool {
        u.execution == Execution::Sync
            && (self.sync_targets.contains(&u.via)
                || (u.via == Slot::Return(self.helper)
                    && matches!(
                        u.action,
                        Action::WithHelper { .. } | Action::CallHelper { .. }
                    )))
    }
}

/// The helpers that get an async twin (see [`Twin`]).
fn plan_twins<'a>(
    semantic: &SemanticModel<'a>,
    helpers: &HashMap<ScopeId, ContextHelper<'a>>,
    found: &[Use<'a>],
    assume_async: bool,
) -> HashMap<ScopeId, Twin<'a>> {
    let mut twins = HashMap::new();
    for (&helper, definition) in helpers {
        let plain = definition.decorator.is_none();
        let entries: Vec<&Use> = found
            .iter()
            .filter(|u| {
                u.via == Slot::Return(helper)
                    && match u.action {
                        Action::WithHelper { .. } => !plain,
                        Action::CallHelper { .. } => plain,
                        _ => false,
                    }
            })
            .collect();
        // (`assume_async`: as if every entry could be async, once the project stage converts
        // the functions around it.)
        if entries.is_empty()
            || !assume_async && !entries.iter().any(|u| u.execution != Execution::Sync)
        {
            continue;
        }
        let name = definition.def.name.id.as_str();
        let sync: Vec<&&Use> = entries
            .iter()
            .filter(|u| u.execution == Execution::Sync)
            .collect();
        // A plain helper only async code calls is converted in place by the project stage.
        if sync.is_empty() && (plain || name.starts_with('_')) {
            continue;
        }
        let twin_name = format!("{name}_async");
        let parent = semantic.scopes[helper].parent.unwrap_or(0);
        if semantic.lookup(parent, &twin_name).is_some() {
            continue;
        }
        let mut sync_targets = HashSet::new();
        for u in sync {
            let target = match u.action {
                Action::WithHelper { stmt, .. } => stmt.items[0].optional_vars.as_deref(),
                Action::CallHelper { target, .. } => target,
                _ => None,
            };
            if let Some(Expr::Name(target)) = target {
                if let Some(binding) = semantic.lookup(u.scope, target.id.as_str()) {
                    sync_targets.insert(Slot::Local(binding));
                }
            }
        }
        twins.insert(
            helper,
            Twin {
                name: twin_name,
                sync_targets,
                helper,
            },
        );
    }
    twins
}

/// The insertion defining the twin of `helper`: its text from the decorator to the end, with
/// the edits of its body, as an `@contextlib.asynccontextmanager async def <twin>`.
fn twin_definition(
    checker: &Checker<'_>,
    helper: &ContextHelper<'_>,
    twin: &str,
    mut inner: Vec<Edit>,
) -> Result<Edit, String> {
    let source = checker.source;
    let start = helper.def.start();
    let end = helper.def.end();
    let before_name = source[..usize::from(helper.def.name.start())].trim_end();
    let Some(def_keyword) = before_name.strip_suffix("def") else {
        return Err("no fix: the helper's `def` cannot be found".to_owned());
    };
    if let Some(decorator) = helper.decorator {
        let (contextlib, _) = checker.import_module_in(0, start, "contextlib")?;
        inner.push(Edit::replacement(
            format!("@{contextlib}.asynccontextmanager"),
            decorator.range,
        ));
    }
    inner.push(Edit::insertion(
        "async ",
        TextSize::try_from(def_keyword.len()).unwrap_or_default(),
    ));
    inner.push(Edit::replacement(twin.to_owned(), helper.def.name.range()));
    let Some(inner) = merge_edits(inner) else {
        return Err("no fix: the edits of the helper overlap".to_owned());
    };
    let mut text = String::new();
    let mut at = start;
    for edit in &inner {
        if edit.range.start() < at || edit.range.end() > end {
            return Err("no fix: an edit of the helper lies outside it".to_owned());
        }
        text.push_str(&source[TextRange::new(at, edit.range.start())]);
        text.push_str(&edit.content);
        at = edit.range.end();
    }
    text.push_str(&source[TextRange::new(at, end)]);
    let line_start = source[..usize::from(start)]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = &source[line_start..usize::from(start)];
    let eol = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let blank = if indent.is_empty() {
        format!("{eol}{eol}")
    } else {
        eol.to_owned()
    };
    // After the helper's last line, its trailing comment included.
    let line_end = source[usize::from(end)..]
        .find(['\r', '\n'])
        .map_or(source.len(), |i| usize::from(end) + i);
    let at = TextSize::try_from(line_end).unwrap_or(end);
    Ok(Edit::insertion(format!("{eol}{blank}{indent}{text}"), at))
}

/// `@contextmanager def helper` → `@contextlib.asynccontextmanager async def helper`.
fn convert_helper(checker: &Checker<'_>, helper: &ContextHelper<'_>) -> Result<Vec<Edit>, String> {
    let Some(decorator) = helper.decorator.map(|d| &d.expression) else {
        return Err("no fix: only a context manager helper is converted in place".to_owned());
    };
    let (contextlib, import) = checker.import_module_in(0, decorator.start(), "contextlib")?;
    let before_name = checker.source[..usize::from(helper.def.name.start())].trim_end();
    let Some(def_keyword) = before_name.strip_suffix("def") else {
        return Err("no fix: the helper's `def` cannot be found".to_owned());
    };
    let def_offset = TextSize::try_from(def_keyword.len()).unwrap_or_default();
    let mut edits: Vec<Edit> = import.into_iter().collect();
    edits.push(Edit::replacement(
        format!("{contextlib}.asynccontextmanager"),
        decorator.range(),
    ));
    edits.push(Edit::insertion("async ", def_offset));
    Ok(edits)
}

/// `sqlite3.connect(path, 5.0)` → `aiosqlite.connect(path, timeout=5.0)`: aiosqlite takes only
/// the database positionally and passes keywords on to sqlite3.
fn connect_keywords(call: &ast::ExprCall) -> Result<Vec<Edit>, String> {
    const NAMES: &[&str] = &[
        "timeout",
        "detect_types",
        "isolation_level",
        "check_same_thread",
        "factory",
        "cached_statements",
        "uri",
    ];
    let args = &call.arguments.args;
    if args.iter().any(Expr::is_starred_expr) {
        return Err(
            "no fix: `*args` in `sqlite3.connect(...)` cannot be passed to aiosqlite".to_owned(),
        );
    }
    if args.len() > NAMES.len() + 1 {
        return Err("no fix: too many positional arguments to `sqlite3.connect(...)`".to_owned());
    }
    Ok(args
        .iter()
        .skip(1)
        .zip(NAMES)
        .map(|(arg, name)| Edit::insertion(format!("{name}="), arg.start()))
        .collect())
}

fn helper(checker: &Checker<'_>, scope: ScopeId) -> Result<Option<Edit>, String> {
    let edit = checker.define_helper(HELPER, HELPER_SOURCE, &[])?;
    if edit.is_some() && !checker.semantic().is_free(scope, HELPER) {
        return Err(format!("no fix: the name `{HELPER}` is taken here"));
    }
    Ok(edit)
}

struct Types<'a, 's> {
    semantic: &'s SemanticModel<'a>,
    /// The module's classes and the module's classes they derive from.
    bases: HashMap<ScopeId, Vec<ScopeId>>,
    kinds: HashMap<Slot<'a>, Kind>,
    mixed: HashSet<Slot<'a>>,
    /// `(class, holder)` of the `self.<holder> = threading.local()` attributes.
    instance_locals: HashSet<(ScopeId, &'a str)>,
}

impl<'a> Types<'a, '_> {
    /// The kind of object `expr` evaluates to, and the slot it comes from.
    fn kind_of(&self, expr: &'a Expr, scope: ScopeId) -> Option<(Kind, Slot<'a>)> {
        match expr {
            Expr::Call(call) => {
                if let Some(name) = self.semantic.qualified_name(scope, &call.func) {
                    if Sqlite3.is_blocking_call(&name) {
                        return Some((Kind::Connection, Slot::Fresh(call.start())));
                    }
                    // `closing(x)` returns `x` from `__enter__`.
                    if let Some(inner) = closing_argument(&name, call) {
                        return self.kind_of(inner, scope);
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
                if let Some(slot) = thread_local_slot(self.semantic, attribute, scope) {
                    return self.kinds.get(&slot).map(|&kind| (kind, slot));
                }
                if let Some(slot @ Slot::InstanceLocal(class, holder, _)) =
                    instance_local_slot(self.semantic, attribute, scope)
                {
                    if !self.instance_locals.contains(&(class, holder)) {
                        return None;
                    }
                    return self.kinds.get(&slot).map(|&kind| (kind, slot));
                }
                let class = self.semantic.self_class(scope, &attribute.value)?;
                self.attribute_kind(class, attribute.attr.id.as_str(), 0)
            }
            _ => None,
        }
    }
}

/// `self.<holder>.<name>` in a method: an [`Slot::InstanceLocal`] if every assignment of
/// `self.<holder>` in the class is `threading.local()` (checked once pass 1 saw them all).
fn instance_local_slot<'a>(
    semantic: &SemanticModel<'a>,
    attribute: &'a ast::ExprAttribute,
    scope: ScopeId,
) -> Option<Slot<'a>> {
    let Expr::Attribute(holder) = &*attribute.value else {
        return None;
    };
    let class = semantic.self_class(scope, &holder.value)?;
    Some(Slot::InstanceLocal(
        class,
        holder.attr.id.as_str(),
        attribute.attr.id.as_str(),
    ))
}

/// Whether `value` is `threading.local()`.
fn is_thread_local_call(semantic: &SemanticModel, value: &Expr, scope: ScopeId) -> bool {
    let Expr::Call(call) = value else {
        return false;
    };
    call.arguments.is_empty()
        && semantic
            .qualified_name(scope, &call.func)
            .is_some_and(|name| matches!(name.as_slice(), ["threading", "local"]))
}

/// `<local>.<name>` where `<local>` is bound once, at module level, to `threading.local()`.
fn thread_local_slot<'a>(
    semantic: &SemanticModel<'a>,
    attribute: &'a ast::ExprAttribute,
    scope: ScopeId,
) -> Option<Slot<'a>> {
    let Expr::Name(name) = &*attribute.value else {
        return None;
    };
    let binding = semantic.lookup(scope, name.id.as_str())?;
    let bound = &semantic.bindings[binding];
    // (A reset, `global _local; _local = threading.local()`, binds it again the same way.)
    if bound.scope != 0
        || bound.values.is_empty()
        || bound.bind_count as usize != bound.values.len()
    {
        return None;
    }
    bound
        .values
        .iter()
        .all(|value| {
            let Expr::Call(call) = value else {
                return false;
            };
            call.arguments.is_empty()
                && semantic
                    .qualified_name(0, &call.func)
                    .is_some_and(|name| matches!(name.as_slice(), ["threading", "local"]))
        })
        .then_some(Slot::ThreadLocal(binding, attribute.attr.id.as_str()))
}

/// A slot whose kind an annotation states.
struct Seed<'a> {
    slot: Slot<'a>,
    kind: Kind,
    /// The annotation to rewrite when the object is migrated.
    annotation: Option<Annotation>,
    /// A function parameter (callers elsewhere pass the object).
    parameter: bool,
}

impl<'a> Types<'a, '_> {
    /// `self.<name>` in a method of `class`: an attribute set in the class or a base class of
    /// the module, or a property returning a tracked object.
    fn attribute_kind(
        &self,
        class: ScopeId,
        name: &'a str,
        depth: usize,
    ) -> Option<(Kind, Slot<'a>)> {
        let slot = Slot::Attr(class, name);
        if let Some(&kind) = self.kinds.get(&slot) {
            return Some((kind, slot));
        }
        if let Some(method) = self.semantic.member_definition(class, name) {
            let slot = Slot::Return(method);
            if let Some(&kind) = self.kinds.get(&slot) {
                return Some((kind, slot));
            }
        }
        if depth > 8 {
            return None;
        }
        let bases = self.bases.get(&class)?;
        bases
            .iter()
            .find_map(|&base| self.attribute_kind(base, name, depth + 1))
    }
}

/// Pass 1: flows, annotations and subclassing.
struct Facts<'a, 's> {
    context: WalkContext<'a>,
    semantic: &'s SemanticModel<'a>,
    source: &'a str,
    flows: Vec<Flow<'a>>,
    seeds: Vec<Seed<'a>>,
    /// Classes that another class of the module derives from.
    subclassed: HashSet<ScopeId>,
    /// Each class's base classes defined in the module.
    bases: HashMap<ScopeId, Vec<ScopeId>>,
    /// `other.name` on anything but a method's `self`: where attributes are reached from
    /// outside their class.
    foreign_attributes: Vec<(&'a str, TextRange)>,
    /// `self.name` in a method of a class: the first occurrence of each.
    self_attributes: HashMap<(ScopeId, &'a str), TextRange>,
    /// Per `self.<name>` of a class: each value assigned to it, whether it is
    /// `threading.local()`; and how many times it is stored to, by any statement.
    self_values: HashMap<(ScopeId, &'a str), Vec<bool>>,
    self_stores: HashMap<(ScopeId, &'a str), usize>,
    /// Each class's base classes that are defined outside the module (besides the standard
    /// library's `object`, `abc.ABC`, `typing` and `dataclasses` bases, which use no instance
    /// attributes of their subclasses).
    outside_bases: HashMap<ScopeId, Vec<&'a str>>,
    /// The module's `@contextmanager` helpers, by body scope.
    helpers: HashMap<ScopeId, ContextHelper<'a>>,
}

/// A sync generator function of the module decorated with `@contextlib.contextmanager` (its
/// only decorator): when it yields a tracked object and async code uses it in `with`, it
/// becomes an `@asynccontextmanager async def` and its `with` statements `async with`.
struct ContextHelper<'a> {
    def: &'a ast::StmtFunctionDef,
    /// `None` for a plain function that returns the object (no decorator, not a generator):
    /// it only ever gets a twin, for async callers, when sync code calls it too.
    decorator: Option<&'a ast::Decorator>,
}

/// The `@contextmanager` helper whose body holds `scope`.
fn semantic_helper(
    semantic: &SemanticModel,
    helpers: &HashMap<ScopeId, ContextHelper>,
    scope: ScopeId,
) -> Option<ScopeId> {
    let function = semantic.enclosing_function(scope)?;
    helpers.contains_key(&function).then_some(function)
}

impl<'a> Facts<'a, '_> {
    /// Whether `base` names a class defined in this module.
    fn is_module_class(&self, base: &Expr, scope: ScopeId) -> bool {
        let Expr::Name(name) = base else { return false };
        self.semantic
            .lookup(scope, name.id.as_str())
            .and_then(|binding| self.semantic.bindings[binding].definition)
            .is_some_and(|definition| self.semantic.scopes[definition].kind == ScopeKind::Class)
    }

    fn target_slot(&self, target: &'a Expr, scope: ScopeId) -> Option<Slot<'a>> {
        match target {
            Expr::Name(name) => Some(Slot::Local(self.semantic.lookup(scope, name.id.as_str())?)),
            Expr::Attribute(attribute)
                if thread_local_slot(self.semantic, attribute, scope).is_some() =>
            {
                thread_local_slot(self.semantic, attribute, scope)
            }
            // Provisional: kept once pass 1 knows `self.<holder>` is thread-local.
            Expr::Attribute(attribute)
                if instance_local_slot(self.semantic, attribute, scope).is_some() =>
            {
                instance_local_slot(self.semantic, attribute, scope)
            }
            Expr::Attribute(attribute) => {
                let class = self.semantic.self_class(scope, &attribute.value)?;
                Some(Slot::Attr(class, attribute.attr.id.as_str()))
            }
            _ => None,
        }
    }

    /// `target = value`, and `a, b = x, y` element by element.
    fn flow(&mut self, target: &'a Expr, value: &'a Expr) {
        if let (Expr::Tuple(targets), Expr::Tuple(values)) = (target, value) {
            if targets.elts.len() == values.elts.len()
                && !values.elts.iter().any(Expr::is_starred_expr)
            {
                for (target, value) in targets.elts.iter().zip(&values.elts) {
                    self.flow(target, value);
                }
            }
            return;
        }
        let scope = self.context.scope();
        if let Some(slot) = self.target_slot(target, scope) {
            if let Slot::Attr(class, name) = slot {
                self.self_values
                    .entry((class, name))
                    .or_default()
                    .push(is_thread_local_call(self.semantic, value, scope));
            }
            self.flows.push(Flow {
                slot,
                value,
                scope,
                dead: false,
            });
        }
    }

    /// Whether `stmt` (`name = value`, in a function) is a dead store: a later statement of
    /// the same block binds `name` again (`name = other`, whose value does not read it), and
    /// the statements between neither mention `name` nor can leave the block (no `return`,
    /// `raise`, `break`, `continue`, no compound statement), and no `try` or `with` of the
    /// function encloses it (an exception there may reach code that reads `name`).
    fn is_dead_store(&self, stmt: &'a Stmt, name: &str) -> bool {
        // In a function, and no handler of the function's can see the dead value.
        let in_function = self
            .context
            .ancestors()
            .find_map(|ancestor| match ancestor {
                AnyNodeRef::StmtFunctionDef(_) => Some(true),
                AnyNodeRef::StmtTry(_)
                | AnyNodeRef::StmtWith(_)
                | AnyNodeRef::StmtClassDef(_)
                | AnyNodeRef::ModModule(_) => Some(false),
                _ => None,
            });
        if in_function != Some(true) {
            return false;
        }
        let Some(parent) = self.context.parent() else {
            return false;
        };
        let Some((suite, at)) = crate::locks::blocks(parent).into_iter().find_map(|block| {
            let at = block.iter().position(|s| std::ptr::eq(s, stmt))?;
            Some((block, at))
        }) else {
            return false;
        };
        for next in &suite[at + 1..] {
            match next {
                Stmt::Assign(assign) if matches!(&assign.targets[..], [Expr::Name(t)] if t.id.as_str() == name) =>
                {
                    return !expr_mentions(&assign.value, name);
                }
                Stmt::Expr(_)
                | Stmt::Assign(_)
                | Stmt::AnnAssign(_)
                | Stmt::AugAssign(_)
                | Stmt::Import(_)
                | Stmt::ImportFrom(_)
                | Stmt::Pass(_)
                | Stmt::Assert(_) => {
                    if stmt_mentions(next, name) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        false
    }

    fn annotated_kind(&self, annotation: &'a Expr, scope: ScopeId) -> Option<Kind> {
        match self.semantic.qualified_name(scope, annotation)?.as_slice() {
            ["sqlite3", "Connection"] => Some(Kind::Connection),
            ["sqlite3", "Cursor"] => Some(Kind::Cursor),
            _ => None,
        }
    }

    /// `X | None`, `None | X` and `Optional[X]`: the `X` part.
    fn optional_part(&self, annotation: &'a Expr, scope: ScopeId) -> &'a Expr {
        match annotation {
            Expr::BinOp(op) if op.op == ast::Operator::BitOr => match (&*op.left, &*op.right) {
                (inner, Expr::NoneLiteral(_)) | (Expr::NoneLiteral(_), inner) => inner,
                _ => annotation,
            },
            Expr::Subscript(subscript)
                if matches!(
                    self.semantic
                        .qualified_name(scope, &subscript.value)
                        .as_deref(),
                    Some(["typing", "Optional"])
                ) =>
            {
                &subscript.slice
            }
            _ => annotation,
        }
    }

    fn seed(&mut self, slot: Slot<'a>, annotation: &'a Expr, scope: ScopeId, parameter: bool) {
        let annotation = self.optional_part(annotation, scope);
        if let Some(kind) = self.annotated_kind(annotation, scope) {
            let annotation = Some(Annotation {
                range: annotation.range(),
                kind,
                scope,
            });
            self.seeds.push(Seed {
                slot,
                kind,
                annotation,
                parameter,
            });
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
                let before = self.flows.len();
                for target in &assign.targets {
                    self.flow(target, &assign.value);
                }
                if let [Expr::Name(name)] = &assign.targets[..] {
                    if self.flows.len() == before + 1 && self.is_dead_store(stmt, &name.id) {
                        self.flows[before].dead = true;
                    }
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.flow(&assign.target, value);
                }
                if let Some(slot) = self.target_slot(&assign.target, scope) {
                    self.seed(slot, &assign.annotation, scope, false);
                }
            }
            // `__enter__` of a sqlite3 connection returns it; an async context manager helper
            // yields its value.
            Stmt::With(with) => {
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
                        dead: false,
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
                if let Some(returns) = def.returns.as_deref() {
                    self.seed(Slot::Return(body), returns, scope, false);
                }
                if def.decorator_list.is_empty() && !def.is_async && !is_generator(def) {
                    self.helpers.insert(
                        body,
                        ContextHelper {
                            def,
                            decorator: None,
                        },
                    );
                }
                if let [decorator] = def.decorator_list.as_slice() {
                    let name = self.semantic.qualified_name(scope, &decorator.expression);
                    if !def.is_async
                        && matches!(name.as_deref(), Some(["contextlib", "contextmanager"]))
                    {
                        self.helpers.insert(
                            body,
                            ContextHelper {
                                def,
                                decorator: Some(decorator),
                            },
                        );
                    }
                }
                for parameter in def.parameters.iter() {
                    let Some(annotation) = parameter.annotation() else {
                        continue;
                    };
                    if let Some(param) = self.semantic.lookup(body, parameter.name().id.as_str()) {
                        self.seed(Slot::Local(param), annotation, scope, true);
                    }
                }
            }
            Stmt::ClassDef(class) => {
                let this = self
                    .semantic
                    .lookup(scope, class.name.id.as_str())
                    .and_then(|binding| self.semantic.bindings[binding].definition);
                for base in class.bases() {
                    if let (Some(this), false) = (this, self.is_module_class(base, scope)) {
                        let name = self.semantic.qualified_name(scope, base);
                        let harmless = matches!(
                            name.as_deref(),
                            Some(
                                ["builtins", "object"]
                                    | ["abc", "ABC"]
                                    | ["typing" | "typing_extensions", _]
                                    | ["enum", _]
                            )
                        );
                        if !harmless {
                            self.outside_bases
                                .entry(this)
                                .or_default()
                                .push(&self.source[base.range()]);
                        }
                    }
                    let Expr::Name(name) = base else { continue };
                    let Some(binding) = self.semantic.lookup(scope, name.id.as_str()) else {
                        continue;
                    };
                    if let Some(base_scope) = self.semantic.bindings[binding].definition {
                        self.subclassed.insert(base_scope);
                        if let Some(this) = this {
                            self.bases.entry(this).or_default().push(base_scope);
                        }
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
            Expr::Attribute(attribute) => match self.semantic.self_class(scope, &attribute.value) {
                None => self
                    .foreign_attributes
                    .push((attribute.attr.id.as_str(), attribute.range)),
                Some(class) => {
                    self.self_attributes
                        .entry((class, attribute.attr.id.as_str()))
                        .or_insert(attribute.range);
                    if attribute.ctx == ExprContext::Store {
                        *self
                            .self_stores
                            .entry((class, attribute.attr.id.as_str()))
                            .or_default() += 1;
                    }
                }
            },
            Expr::Yield(ast::ExprYield {
                value: Some(value), ..
            }) => {
                if let Some(function) = self.semantic.enclosing_function(scope) {
                    self.flows.push(Flow {
                        slot: Slot::Return(function),
                        value,
                        scope,
                        dead: false,
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
    helpers: &'s HashMap<ScopeId, ContextHelper<'a>>,
    parsed: &'a Parsed,
    source: &'a str,
    found: Vec<Use<'a>>,
}

impl<'a> Uses<'a, '_> {
    fn push(&mut self, via: Slot<'a>, range: TextRange, action: Action<'a>, label: String) {
        let scope = self.context.scope();
        let execution = self.context.execution(self.types.semantic);
        // The engine's thread-lock rule: no `await` is added while a thread lock is held (the
        // task would be suspended with the lock taken, and the next task to reach it would
        // block the loop's thread). The object is then not migrated at all.
        let adds_await = action.is_blocking() || matches!(action, Action::CallHelper { .. });
        if let Some(reason) = adds_await
            .then(|| crate::locks::await_obstacle(&self.context, self.types.semantic))
            .flatten()
        {
            self.found.push(Use {
                via,
                range,
                scope,
                execution,
                action: Action::Escape(reason),
                label: label.clone(),
                in_helper: semantic_helper(self.types.semantic, self.helpers, scope),
                guard: None,
            });
        }
        self.found.push(Use {
            via,
            range,
            scope,
            execution,
            action,
            label,
            in_helper: semantic_helper(self.types.semantic, self.helpers, scope),
            guard: None,
        });
    }

    /// What closes the connection opened by the call at `range` (see [`Guard`]).
    fn guard(&self, range: TextRange) -> Guard {
        let mut ancestors = self.context.ancestors();
        let Some(stmt) = ancestors.find(|node| node.is_statement()) else {
            return Guard::Open;
        };
        let is_opening = |value: &Expr| strip_await(value).range() == range;
        let name = match stmt {
            AnyNodeRef::StmtReturn(ret) if ret.value.as_deref().is_some_and(is_opening) => {
                return Guard::Returned;
            }
            AnyNodeRef::StmtAssign(assign) if is_opening(&assign.value) => {
                match assign.targets.as_slice() {
                    [Expr::Name(name)] => name.id.as_str(),
                    _ => return Guard::Open,
                }
            }
            _ => return Guard::Open,
        };
        // The statements that run after the opening, up through the `if` branches that hold
        // it: each must be unable to raise until a `try` that closes the connection starts.
        let mut current = stmt.range();
        loop {
            let Some((holder, block)) = self
                .context
                .ancestors()
                .find_map(|node| block_containing(node, current).map(|block| (node, block)))
            else {
                return Guard::Open;
            };
            // In a `try` body whose `finally` closes it: anything raising after the opening
            // reaches the `finally`.
            if let AnyNodeRef::StmtTry(t) = holder {
                if t.body.iter().any(|s| s.range() == current) && closes(&t.finalbody, name) {
                    return Guard::Closed;
                }
            }
            let after = block.iter().skip_while(|s| s.range() != current).skip(1);
            for next in after {
                match next {
                    // `conn.row_factory = sqlite3.Row`: setting a property of the new
                    // connection to a name or a constant cannot raise.
                    Stmt::Assign(assign)
                        if matches!(assign.targets.as_slice(), [Expr::Attribute(target)]
                            if matches!(&*target.value, Expr::Name(n) if n.id.as_str() == name))
                            && matches!(
                                &*assign.value,
                                Expr::Name(_)
                                    | Expr::Attribute(_)
                                    | Expr::NoneLiteral(_)
                                    | Expr::StringLiteral(_)
                            ) => {}
                    Stmt::Try(t) if closes(&t.finalbody, name) => return Guard::Closed,
                    Stmt::Return(ret) if matches!(ret.value.as_deref(), Some(Expr::Name(n)) if n.id.as_str() == name) => {
                        return Guard::Returned
                    }
                    _ => return Guard::Open,
                }
            }
            // The end of an `if` branch: what follows the `if` runs next.
            match holder {
                AnyNodeRef::StmtIf(stmt_if) => current = stmt_if.range,
                _ => return Guard::Open,
            }
        }
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
        if let Some(call) = call {
            let scope = self.context.scope();
            let helper = self.types.semantic.callee_definition(scope, &call.func);
            match helper.and_then(|h| self.helpers.get(&h)) {
                Some(ContextHelper {
                    decorator: Some(_), ..
                }) => return self.classify_helper_call(call, depth),
                Some(ContextHelper {
                    decorator: None, ..
                }) => {
                    // A plain helper returning the object: awaited when async code gets a
                    // twin of it; what its result flows into is classified as usual.
                    let rest = self.classify(range, None, kind, depth);
                    if !matches!(
                        self.context.ancestor(depth + 1),
                        Some(AnyNodeRef::ExprAwait(_))
                    ) && matches!(rest, Action::Neutral)
                    {
                        let (prefix, suffix) = await_wrapping(
                            self.parsed,
                            &Expr::Call(call.clone()),
                            self.context.ancestor(depth + 1),
                        );
                        let target = match self.context.ancestor(depth + 1) {
                            Some(AnyNodeRef::StmtAssign(assign)) => match assign.targets.as_slice()
                            {
                                [target] => Some(target),
                                _ => None,
                            },
                            _ => None,
                        };
                        return Action::CallHelper {
                            call,
                            prefix,
                            suffix,
                            target,
                        };
                    }
                    return rest;
                }
                None => {}
            }
        }
        let same = |other: &Expr| other.range() == range;
        match parent {
            // Already awaited (an async helper returning a connection): the await's context.
            AnyNodeRef::ExprAwait(awaited) => self
                .classify(awaited.range, None, kind, depth + 1)
                .clone_for_await(),
            AnyNodeRef::ExprAttribute(attribute) if same(&attribute.value) => {
                self.classify_attribute(attribute, kind, depth)
            }
            AnyNodeRef::StmtFor(f) if same(&f.iter) => match kind {
                Kind::Cursor if !f.is_async => Action::AsyncFor {
                    stmt: f.range,
                    breaks: has_break(&f.body),
                    again: !f.iter.is_call_expr() && self.in_loop(depth + 2),
                },
                _ => Action::Escape(format!("a sqlite3 {} is iterated", kind.name())),
            },
            AnyNodeRef::ExprListComp(ast::ExprListComp { generators, .. })
            | AnyNodeRef::ExprSetComp(ast::ExprSetComp { generators, .. })
            | AnyNodeRef::ExprDictComp(ast::ExprDictComp { generators, .. })
                if generators.iter().any(|g| same(&g.iter)) =>
            {
                match generators.iter().find(|g| same(&g.iter)) {
                    Some(generator) if kind == Kind::Cursor && !generator.is_async => {
                        Action::AsyncComprehension {
                            generator: generator.range,
                        }
                    }
                    _ => Action::Escape("iterated in a comprehension".to_owned()),
                }
            }
            AnyNodeRef::ExprGenerator(_) => Action::Escape(
                "iterated in a generator expression, which cannot be made async".to_owned(),
            ),
            AnyNodeRef::WithItem(item) if same(&item.context_expr) => {
                let Some(AnyNodeRef::StmtWith(with)) = self.context.ancestor(depth + 2) else {
                    return Action::Escape("used in a `with` statement".to_owned());
                };
                if with.is_async {
                    // An async context manager helper that yields the connection.
                    return Action::Neutral;
                }
                if with.items.len() != 1 {
                    return Action::Escape(
                        "used in a `with` statement with other items".to_owned(),
                    );
                }
                if kind == Kind::Cursor {
                    return Action::Escape("a cursor used as a context manager".to_owned());
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
                if assign.targets.iter().all(|t| self.is_trackable_target(t)) {
                    Action::Neutral
                } else {
                    Action::Escape(
                        "stored in a container, an attribute of another object, or unpacked"
                            .to_owned(),
                    )
                }
            }
            AnyNodeRef::StmtAnnAssign(assign) if assign.value.as_deref().is_some_and(same) => {
                if self.is_trackable_target(&assign.target) {
                    Action::Neutral
                } else {
                    Action::Escape(
                        "stored in a container or an attribute of another object".to_owned(),
                    )
                }
            }
            // `conn, retries = sqlite3.connect(p), 3`: element by element.
            AnyNodeRef::ExprTuple(tuple) if self.is_parallel_assignment(tuple, depth + 1) => {
                Action::Neutral
            }
            AnyNodeRef::ExprList(_)
            | AnyNodeRef::ExprTuple(_)
            | AnyNodeRef::ExprSet(_)
            | AnyNodeRef::ExprDict(_) => Action::Escape("stored in a container".to_owned()),
            AnyNodeRef::StmtReturn(_) | AnyNodeRef::ExprYield(_) | AnyNodeRef::ExprYieldFrom(_) => {
                Action::Leaves {
                    function: self.types.semantic.enclosing_function(self.context.scope()),
                }
            }
            // `row in cursor` iterates the cursor, which aiosqlite's cannot do synchronously.
            AnyNodeRef::ExprCompare(compare)
                if compare
                    .ops
                    .iter()
                    .zip(compare.comparators.iter())
                    .any(|(op, right)| {
                        same(right) && matches!(op, ast::CmpOp::In | ast::CmpOp::NotIn)
                    }) =>
            {
                Action::Escape(format!(
                    "a membership test (`in`) iterates the sqlite3 {}",
                    kind.name()
                ))
            }
            AnyNodeRef::ExprNamed(_)
            | AnyNodeRef::ExprCompare(_)
            | AnyNodeRef::ExprBoolOp(_)
            | AnyNodeRef::StmtIf(_)
            | AnyNodeRef::StmtWhile(_)
            | AnyNodeRef::StmtAssert(_)
            | AnyNodeRef::StmtExpr(_) => Action::Neutral,
            AnyNodeRef::ExprUnaryOp(op) if op.op == ast::UnaryOp::Not => Action::Neutral,
            AnyNodeRef::ExprIf(e) if same(&e.test) => Action::Neutral,
            AnyNodeRef::Arguments(arguments) => {
                let Some(AnyNodeRef::ExprCall(call)) = self.context.ancestor(depth + 2) else {
                    return Action::Escape("passed to a function".to_owned());
                };
                if self.is_closing(call) {
                    return self.classify_closing(call, range, kind, depth + 2);
                }
                match self.parameter_slot(call, arguments, range) {
                    Some(parameter) => Action::PassTo(parameter),
                    None => Action::Escape(format!(
                        "passed to `{}`, which is not followed: it would use the object as a sqlite3 {} on the event loop's thread",
                        &self.source[call.func.range()],
                        kind.name()
                    )),
                }
            }
            _ => Action::Escape("used in an expression that cannot be migrated".to_owned()),
        }
    }

    /// `obj.attr`: a method call (awaited, or not available in aiosqlite), a property, or
    /// something else.
    fn classify_attribute(
        &self,
        attribute: &'a ast::ExprAttribute,
        kind: Kind,
        depth: usize,
    ) -> Action<'a> {
        let name = attribute.attr.id.as_str();
        let call = match self.context.ancestor(depth + 2) {
            Some(AnyNodeRef::ExprCall(call)) if call.func.range() == attribute.range => Some(call),
            _ => None,
        };
        let Some(call) = call else {
            return match attribute.ctx {
                ExprContext::Store if name == "isolation_level" => Action::Escape(
                    "setting `isolation_level` on an aiosqlite connection runs sqlite3 on the loop's thread".to_owned(),
                ),
                _ if kind.property(name) => Action::Neutral,
                _ => Action::Escape(format!("`{}` is used as a value", &self.source[attribute.range()])),
            };
        };
        if kind == Kind::Connection && name == "iterdump" {
            return match self.context.ancestor(depth + 3) {
                Some(AnyNodeRef::StmtFor(f)) if f.iter.range() == call.range() && !f.is_async => {
                    Action::AsyncFor {
                        stmt: f.range,
                        breaks: has_break(&f.body),
                        again: false,
                    }
                }
                _ => Action::Unsupported("`iterdump()` is used outside a `for` loop".to_owned()),
            };
        }
        if !kind.awaited(name) {
            let reason = format!("aiosqlite has no {} method `{name}`", kind.name());
            return if kind.does_io(name) {
                Action::Unsupported(reason)
            } else {
                Action::Escape(reason)
            };
        }
        if name == "cursor" && !call.arguments.is_empty() {
            return Action::Unsupported("aiosqlite has no `cursor(factory=...)`".to_owned());
        }
        match self.context.ancestor(depth + 3) {
            Some(AnyNodeRef::ExprAwait(_)) => Action::Neutral,
            call_parent => {
                let (prefix, suffix) =
                    await_wrapping(self.parsed, &Expr::Call(call.clone()), call_parent);
                let then_leaves = self.then_leaves(call.range());
                Action::Await {
                    call,
                    method: name,
                    prefix,
                    suffix,
                    then_leaves,
                }
            }
        }
    }

    /// The tracked parameter of a project function that the argument at `range` is passed to.
    fn parameter_slot(
        &self,
        call: &'a ast::ExprCall,
        arguments: &'a ast::Arguments,
        range: TextRange,
    ) -> Option<Slot<'a>> {
        let semantic = self.types.semantic;
        let function = semantic.callee_definition(self.context.scope(), &call.func)?;
        let name = if let Some(index) = arguments.args.iter().position(|a| a.range() == range) {
            // A method called through `self.`/`cls.` gets its first parameter implicitly.
            let offset = usize::from(
                semantic.scopes[function].self_name.is_some()
                    && matches!(&*call.func, Expr::Attribute(_)),
            );
            semantic.positional_parameter(function, index + offset)?
        } else {
            arguments
                .keywords
                .iter()
                .find(|k| k.value.range() == range)?
                .arg
                .as_ref()?
                .id
                .as_str()
        };
        let slot = Slot::Local(semantic.lookup(function, name)?);
        self.types.kinds.contains_key(&slot).then_some(slot)
    }

    fn is_trackable_target(&self, target: &Expr) -> bool {
        matches!(target, Expr::Name(_)) || self.is_self_attribute(target)
    }

    /// Whether the tuple at ancestor `depth` is the value of `a, b = x, y` with as many
    /// trackable targets.
    fn is_parallel_assignment(&self, tuple: &ast::ExprTuple, depth: usize) -> bool {
        let Some(AnyNodeRef::StmtAssign(assign)) = self.context.ancestor(depth + 1) else {
            return false;
        };
        assign.value.range() == tuple.range
            && assign.targets.iter().all(|target| match target {
                Expr::Tuple(targets) => {
                    targets.elts.len() == tuple.elts.len()
                        && targets.elts.iter().all(|t| self.is_trackable_target(t))
                }
                _ => false,
            })
    }

    /// Whether the statement holding `range` is followed, in its block, by one that leaves it.
    fn then_leaves(&self, range: TextRange) -> bool {
        let Some(stmt) = self.context.ancestors().find_map(|node| match node {
            AnyNodeRef::StmtExpr(stmt) if stmt.range.contains_range(range) => Some(stmt.range),
            _ => None,
        }) else {
            return false;
        };
        let Some(block) = self
            .context
            .ancestors()
            .find_map(|node| block_containing(node, stmt))
        else {
            return false;
        };
        let next = block.iter().skip_while(|s| s.range() != stmt).nth(1);
        matches!(
            next,
            Some(Stmt::Return(_) | Stmt::Raise(_) | Stmt::Break(_) | Stmt::Continue(_))
        )
    }

    /// Whether the node at ancestor `depth` stands inside a loop (or a comprehension) of its
    /// function, which may run it again.
    fn in_loop(&self, depth: usize) -> bool {
        let mut depth = depth;
        while let Some(node) = self.context.ancestor(depth) {
            match node {
                AnyNodeRef::StmtFunctionDef(_)
                | AnyNodeRef::StmtClassDef(_)
                | AnyNodeRef::ExprLambda(_) => return false,
                AnyNodeRef::StmtFor(_)
                | AnyNodeRef::StmtWhile(_)
                | AnyNodeRef::Comprehension(_) => return true,
                _ => {}
            }
            depth += 1;
        }
        false
    }

    /// The call `obj.method(...)` when the node being visited is its `obj`.
    fn enclosing_call(&self) -> Option<&'a ast::ExprCall> {
        let Some(AnyNodeRef::ExprAttribute(attribute)) = self.context.ancestor(1) else {
            return None;
        };
        match self.context.ancestor(2) {
            Some(AnyNodeRef::ExprCall(call)) if call.func.range() == attribute.range => Some(call),
            _ => None,
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

    /// A call of a `@contextmanager` helper (at ancestor `depth`): migrated as the single
    /// item of a sync `with` statement.
    fn classify_helper_call(&self, call: &'a ast::ExprCall, depth: usize) -> Action<'a> {
        match (
            self.context.ancestor(depth + 1),
            self.context.ancestor(depth + 2),
        ) {
            (Some(AnyNodeRef::WithItem(item)), Some(AnyNodeRef::StmtWith(with)))
                if item.context_expr.range() == call.range() =>
            {
                if with.is_async {
                    Action::Escape("a sync context manager used in `async with`".to_owned())
                } else if with.items.len() != 1 {
                    Action::Escape("used in a `with` statement with other items".to_owned())
                } else {
                    Action::WithHelper { stmt: with, call }
                }
            }
            _ => Action::Escape(format!(
                "the context manager `{}` is used outside a `with` statement",
                &self.source[call.func.range()]
            )),
        }
    }

    /// Whether `call` is `contextlib.closing(<one object>)`.
    fn is_closing(&self, call: &'a ast::ExprCall) -> bool {
        let scope = self.context.scope();
        self.types
            .semantic
            .qualified_name(scope, &call.func)
            .is_some_and(|name| closing_argument(&name, call).is_some())
    }

    /// The object at `range` passed to `closing(...)`, the call at ancestor `depth`: migrated
    /// only as the single item of a `with` statement.
    fn classify_closing(
        &self,
        wrapper: &'a ast::ExprCall,
        range: TextRange,
        kind: Kind,
        depth: usize,
    ) -> Action<'a> {
        let (Some(AnyNodeRef::WithItem(item)), Some(AnyNodeRef::StmtWith(with))) = (
            self.context.ancestor(depth + 1),
            self.context.ancestor(depth + 2),
        ) else {
            return Action::Escape("`closing(...)` used outside a `with` statement".to_owned());
        };
        if with.is_async || with.items.len() != 1 || item.context_expr.range() != wrapper.range() {
            return Action::Escape(
                "`closing(...)` in a `with` statement with other items".to_owned(),
            );
        }
        let scope = self.context.scope();
        let (target, target_is_attribute) = match item.optional_vars.as_deref() {
            Some(Expr::Name(name)) => (
                self.types
                    .semantic
                    .lookup(scope, name.id.as_str())
                    .map(Slot::Local),
                false,
            ),
            Some(Expr::Attribute(_)) => (None, true),
            Some(_) => return Action::Escape("`closing(...)` unpacked by `as`".to_owned()),
            None => (None, false),
        };
        let connect = match wrapper.arguments.args.first() {
            Some(Expr::Call(call)) if call.range() == range && self.is_connect(call) => Some(call),
            _ => None,
        };
        Action::WithClosing {
            stmt: with,
            wrapper,
            inner: range,
            connect,
            kind,
            target,
            target_is_attribute,
        }
    }

    fn is_connect(&self, call: &'a ast::ExprCall) -> bool {
        let scope = self.context.scope();
        self.types
            .semantic
            .qualified_name(scope, &call.func)
            .is_some_and(|name| Sqlite3.is_blocking_call(&name))
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
        // `self.helper` in `self.helper()`: the call is the occurrence.
        if let Some(AnyNodeRef::ExprCall(call)) = self.context.parent() {
            if call.func.range() == expr.range() {
                return;
            }
        }
        // `await helper()` is classified at the call; the `await` itself is passed through.
        if matches!(expr, Expr::Await(_)) {
            return;
        }
        // `closing(x)`: `x` is the occurrence.
        if matches!(expr, Expr::Call(call) if self.is_closing(call)) {
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
        let is_with_connect = matches!(
            action,
            Action::WithConnect { .. }
                | Action::WithClosing {
                    connect: Some(_),
                    ..
                }
        );
        let closed_by_with = is_with_connect
            || matches!(
                action,
                Action::WithClosing { .. } | Action::WithHelper { .. }
            );
        let label = match &action {
            Action::Await { call, .. } => self.callee_label(call),
            Action::AsyncFor { .. } | Action::AsyncComprehension { .. } => {
                format!("iterating over `{}`", &self.source[expr.range()])
            }
            Action::WithConnect { call, .. }
            | Action::WithClosing {
                connect: Some(call),
                ..
            } => {
                format!("`with {}(...)`", &self.source[call.func.range()])
            }
            Action::WithClosing { wrapper, .. } => {
                format!("`with {}`", &self.source[wrapper.range()])
            }
            Action::WithHelper { .. } => {
                format!("`with {}`", &self.source[expr.range()])
            }
            Action::Unsupported(_) => match self.enclosing_call() {
                Some(call) => self.callee_label(call),
                None => format!("`{}`", &self.source[expr.range()]),
            },
            Action::WithTransaction { .. } => {
                format!("the transaction of `with {}`", &self.source[expr.range()])
            }
            _ => String::new(),
        };
        let range = match &action {
            Action::Await { call, .. } => call.range(),
            Action::WithConnect { call, .. }
            | Action::WithClosing {
                connect: Some(call),
                ..
            } => call.range(),
            Action::Unsupported(_) => self.enclosing_call().map_or(expr.range(), Ranged::range),
            _ => expr.range(),
        };
        self.push(via, range, action, label);
        if let Expr::Call(call) = expr {
            let opens = self.is_connect(call) || matches!(via, Slot::Return(_));
            if kind == Kind::Connection && opens {
                // `async with helper() as conn`: an async context manager owns what it
                // yields, and its own opening is checked where it is.
                let async_with = matches!(
                    (self.context.parent(), self.context.ancestor(2)),
                    (Some(AnyNodeRef::WithItem(_)), Some(AnyNodeRef::StmtWith(with))) if with.is_async
                );
                let guard = if closed_by_with || async_with {
                    Guard::Closed
                } else {
                    self.guard(call.range())
                };
                if let Some(last) = self.found.last_mut() {
                    last.guard = Some(guard);
                }
            }
        }
        // The connect call itself must be awaited too, inside the use above: the outer
        // use's edits come first.
        if let Expr::Call(call) = expr {
            if self.is_connect(call) && !is_with_connect {
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
                        format!("`{}`", &self.source[call.func.range()]),
                    );
                }
            }
        }
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

/// Whether a module's sqlite3 work stays on the event loop's thread after a run's fixes, and
/// where: the cross-module rule of the recipe (a migrated connection holding a write lock
/// across an `await` makes sqlite3 code on the loop's thread wait for the lock, and the
/// migrated connection cannot go on while the loop is blocked: a deadlock until sqlite's
/// timeout).
///
/// `module` tells what the project stage knows of the module: its phase 2 findings
/// (`planned`), its own findings once the phase 2 edits are applied, checked without this
/// rule (`after`, `None`: the check failed), its settings. Its sqlite3 work
/// stays on the loop when
/// - a use in async code has no safe fix (`after`);
/// - a use in a sync function that async code calls (directly or through other sync
///   functions) has no safe phase 2 fix, or no finding at all (suppressed, a recipe
///   disabled);
/// - the module is skipped, the recipe is ignored there or one of its sqlite3 uses is
///   silenced by a comment: it is not known what happens to them.
///
/// Module-level code (run at import, before the loop in a service) and sync code that async
/// code does not reach do not count.
pub fn stays_on_loop(planned_module: &crate::project::PlannedModule<'_>) -> Option<String> {
    use crate::project::index::Caller;
    use crate::project::FnId;
    let crate::project::PlannedModule {
        project,
        module: file,
        planned,
        after,
        settings,
        reached,
    } = *planned_module;
    let module = &project.modules[file];
    let sites: Vec<_> = module
        .blocking
        .iter()
        .filter(|site| site.code == META.code)
        .collect();
    if sites.is_empty() {
        return None;
    }
    let enabled = settings.recipes.iter().any(|r| r.meta().code == META.code);
    if module.skipped || !enabled {
        return Some("its sqlite3 code is not checked there".to_owned());
    }
    if let Some(site) = sites
        .iter()
        .find(|site| module.suppressions.silences(&META, site.range.start()))
    {
        return Some(format!(
            "`{}` at line {} is silenced by a comment",
            site.label,
            module.line_of(site.range.start())
        ));
    }
    let safe = |fix: &Option<Fix>| {
        fix.as_ref()
            .is_some_and(|fix| fix.applicability == Applicability::Safe)
    };
    let Some(after) = after else {
        return Some("it could not be checked".to_owned());
    };
    if let Some(d) = after
        .iter()
        .find(|d| d.recipe.code == META.code && !safe(&d.fix))
    {
        let what = d.message.split(" blocks").next().unwrap_or(&d.message);
        return Some(match &d.note {
            Some(note) => format!("{what} in async code: {note}"),
            None => format!("{what} in async code is not migrated"),
        });
    }
    for site in sites {
        if site.execution != Execution::Sync {
            continue;
        }
        let function = match site.caller {
            Caller::Function(index) => FnId { file, index },
            // A lambda's caller is not followed: it may run on the loop.
            Caller::Lambda => {
                return Some(format!(
                    "`{}` at line {} is in a lambda, which async code may call",
                    site.label,
                    module.line_of(site.range.start())
                ))
            }
            Caller::TopLevel => continue,
        };
        if !reached.contains_key(&function) {
            continue;
        }
        let finding = planned.iter().find(|d| d.range == site.range);
        if finding.is_some_and(|d| safe(&d.fix)) {
            continue;
        }
        let label = &project.function(function).label;
        return Some(format!(
            "`{}` at line {} in sync `{label}`, which async code calls, stays{}",
            site.label,
            module.line_of(site.range.start()),
            match finding.and_then(|d| d.note.as_deref()) {
                Some(note) if finding.is_some_and(|d| d.fix.is_none()) => format!(": {note}"),
                Some(_) => ": only an unsafe fix moves it".to_owned(),
                None => String::new(),
            }
        ));
    }
    None
}

/// Whether `stmt` mentions `name` as a name (read, bound, deleted, declared `global` or
/// `nonlocal`), nested scopes included.
fn stmt_mentions(stmt: &Stmt, name: &str) -> bool {
    use crate::parse::visitor::Visitor;
    let mut find = FindName { name, found: false };
    find.visit_stmt(stmt);
    find.found
}

/// Whether `expr` mentions `name` as a name, nested scopes (lambdas, comprehensions) included.
fn expr_mentions(expr: &Expr, name: &str) -> bool {
    use crate::parse::visitor::Visitor;
    let mut find = FindName { name, found: false };
    find.visit_expr(expr);
    find.found
}

struct FindName<'n> {
    name: &'n str,
    found: bool,
}

impl<'a> crate::parse::visitor::Visitor<'a> for FindName<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(n) = expr {
            self.found |= n.id.as_str() == self.name;
        }
        crate::parse::visitor::walk_expr(self, expr);
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Global(s) => self.found |= s.names.iter().any(|n| n.as_str() == self.name),
            Stmt::Nonlocal(s) => self.found |= s.names.iter().any(|n| n.as_str() == self.name),
            // `import a.b` binds `a`; `import a as x` and `from m import a as x` bind `x`.
            Stmt::Import(s) => {
                self.found |= s.names.iter().any(|alias| {
                    alias.asname.as_ref().map_or_else(
                        || alias.name.split('.').next() == Some(self.name),
                        |asname| asname.as_str() == self.name,
                    )
                })
            }
            Stmt::ImportFrom(s) => {
                self.found |= s
                    .names
                    .iter()
                    .any(|alias| alias.asname.as_ref().unwrap_or(&alias.name).as_str() == self.name)
            }
            _ => {}
        }
        crate::parse::visitor::walk_stmt(self, stmt);
    }
}
