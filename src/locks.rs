//! Thread locks held at a point of a walk.
//!
//! An `await` inserted while a thread lock is held suspends the task with the lock taken; the
//! next task that reaches the same lock blocks the event loop's thread on it, and the program
//! hangs. Every fix that inserts an `await` asks [`held_thread_lock`] first (through the
//! checker's await obstacle, the project index and the recipes' own walks), so no recipe can
//! forget it.
//!
//! A lock is held in the body of a sync `with L:` and after a statement `L.acquire()` that no
//! `L.release()` follows in the same block before the point (also in the body of
//! `if L.acquire(...):`), up to the enclosing function. In a `with`, `L` is a thread lock when
//! it is bound to `threading.Lock()` and its kin (as a local or module name, or as an attribute
//! the enclosing class assigns), or when its name says it is a lock (`_lock`, `self.mutex`,
//! made by a factory the analysis cannot see into): a sync `with` on an asyncio lock is an
//! error, and a wrong guess only withholds a fix.

use crate::parse::ast::{self, AnyNodeRef, Expr, Stmt};
use crate::parse::{Ranged, TextRange};
use crate::semantic::{ScopeId, SemanticModel};
use crate::walk::WalkContext;

/// Constructors of the locks of `threading` and `multiprocessing` (also what a `Condition` or
/// `Semaphore` holds while its `with` body runs).
fn is_lock_constructor(name: &[&str]) -> bool {
    matches!(
        name,
        [
            "threading" | "multiprocessing",
            "Lock" | "RLock" | "Semaphore" | "BoundedSemaphore" | "Condition"
        ] | ["_thread", "allocate_lock" | "RLock"]
            | ["multiprocessing", "synchronize", "Lock" | "RLock"]
    )
}

/// Whether an identifier says that it names a lock.
fn named_like_lock(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("lock") || lower.contains("mutex")
}

/// The thread lock held at the node being visited, as its source text (`_lock`,
/// `self._lock`), or `None` when none is held there.
pub fn held_thread_lock<'a>(
    context: &WalkContext<'a>,
    semantic: &SemanticModel<'a>,
) -> Option<String> {
    // Without an `acquire` call in the module, only a sync `with` around the point can hold
    // a lock (the common case: no `with` at all).
    let acquires = semantic.acquires_locks();
    if !acquires
        && !context
            .ancestors()
            .any(|node| matches!(node, AnyNodeRef::StmtWith(with) if !with.is_async))
    {
        return None;
    }
    let scope = context.scope();
    let chain: Vec<AnyNodeRef<'a>> = context
        .current()
        .into_iter()
        .chain(context.ancestors())
        .collect();
    for pair in chain.windows(2) {
        let (child, parent) = (pair[0], pair[1]);
        match parent {
            AnyNodeRef::StmtWith(with) if !with.is_async && in_body(&with.body, child.range()) => {
                for item in &with.items {
                    if let Some(lock) = thread_lock(&item.context_expr, scope, semantic, &chain) {
                        return Some(lock);
                    }
                }
            }
            // `if lock.acquire(timeout=...):` holds the lock in its body.
            AnyNodeRef::StmtIf(s) if acquires && in_body(&s.body, child.range()) => {
                if let Some(lock) = lock_method(&s.test, "acquire") {
                    return Some(lock);
                }
            }
            _ => {}
        }
        if let Some(stmt) = as_stmt(child).filter(|_| acquires) {
            if let Some(lock) = acquired_before(parent, stmt) {
                return Some(lock);
            }
        }
        if matches!(
            parent,
            AnyNodeRef::StmtFunctionDef(_)
                | AnyNodeRef::ExprLambda(_)
                | AnyNodeRef::StmtClassDef(_)
        ) {
            break;
        }
    }
    None
}

fn as_stmt(node: AnyNodeRef) -> Option<TextRange> {
    node.is_statement().then(|| node.range())
}

fn in_body(body: &[Stmt], range: TextRange) -> bool {
    body.iter().any(|stmt| stmt.range().contains_range(range))
}

/// The statement lists directly inside `node`.
pub(crate) fn blocks<'a>(node: AnyNodeRef<'a>) -> Vec<&'a [Stmt]> {
    match node {
        AnyNodeRef::StmtFunctionDef(def) => vec![&def.body],
        AnyNodeRef::StmtClassDef(class) => vec![&class.body],
        AnyNodeRef::StmtIf(s) => std::iter::once(&s.body[..])
            .chain(s.elif_else_clauses.iter().map(|c| &c.body[..]))
            .collect(),
        AnyNodeRef::ElifElseClause(c) => vec![&c.body],
        AnyNodeRef::StmtFor(s) => vec![&s.body, &s.orelse],
        AnyNodeRef::StmtWhile(s) => vec![&s.body, &s.orelse],
        AnyNodeRef::StmtWith(s) => vec![&s.body],
        AnyNodeRef::StmtTry(s) => std::iter::once(&s.body[..])
            .chain(s.handlers.iter().map(|h| match h {
                ast::ExceptHandler::ExceptHandler(h) => &h.body[..],
            }))
            .chain([&s.orelse[..], &s.finalbody[..]])
            .collect(),
        AnyNodeRef::ExceptHandlerExceptHandler(h) => vec![&h.body],
        AnyNodeRef::StmtMatch(s) => s.cases.iter().map(|c| &c.body[..]).collect(),
        AnyNodeRef::MatchCase(c) => vec![&c.body],
        _ => Vec::new(),
    }
}

/// A lock taken by `L.acquire()` before `stmt` in its block of `parent` and not released
/// since.
fn acquired_before(parent: AnyNodeRef, stmt: TextRange) -> Option<String> {
    let block = blocks(parent)
        .into_iter()
        .find(|block| block.iter().any(|s| s.range() == stmt))?;
    let mut held: Vec<String> = Vec::new();
    for s in block.iter().take_while(|s| s.range() != stmt) {
        let value = match s {
            Stmt::Expr(e) => Some(&*e.value),
            Stmt::Assign(a) => Some(&*a.value),
            _ => None,
        };
        if let Some(key) = value.and_then(|v| lock_method(v, "acquire")) {
            held.push(key);
        }
        // A release anywhere in a statement (a `finally` clause) ends the region after it.
        if !held.is_empty() {
            let released = releases(s);
            held.retain(|k| !released.contains(k));
        }
    }
    held.pop()
}

/// `L` when `expr` calls `L.<method>()` without awaiting it. Called without `await`,
/// `acquire` is a thread lock's: an asyncio lock's would only make a coroutine.
fn lock_method(expr: &Expr, method: &str) -> Option<String> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(attribute) = &*call.func else {
        return None;
    };
    (attribute.attr.id.as_str() == method)
        .then(|| key(&attribute.value))
        .flatten()
}

/// The locks `stmt` releases somewhere inside it.
fn releases(stmt: &Stmt) -> Vec<String> {
    use crate::parse::visitor::{self, Visitor};

    #[derive(Default)]
    struct Finder(Vec<String>);
    impl<'a> Visitor<'a> for Finder {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Some(key) = lock_method(expr, "release") {
                self.0.push(key);
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder::default();
    finder.visit_stmt(stmt);
    finder.0
}

/// `name` or `a.b.c`: how a lock is written, to pair an `acquire` with its `release`.
fn key(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => {
            Some(format!("{}.{}", key(&attribute.value)?, attribute.attr.id))
        }
        _ => None,
    }
}

/// The source text of `expr` when it is (or may be, by its name) a thread lock.
fn thread_lock<'a>(
    expr: &'a Expr,
    scope: ScopeId,
    semantic: &SemanticModel<'a>,
    chain: &[AnyNodeRef<'a>],
) -> Option<String> {
    let constructed = |value: &'a Expr, scope: ScopeId| match value {
        Expr::Call(call) => semantic
            .qualified_name(scope, &call.func)
            .is_some_and(|name| is_lock_constructor(&name)),
        _ => false,
    };
    let is_lock = match expr {
        Expr::Call(_) => constructed(expr, scope),
        Expr::Name(name) => {
            let binding = semantic.lookup(scope, name.id.as_str());
            binding
                .and_then(|b| semantic.assigned_values(b).map(|v| (b, v)))
                .is_some_and(|(b, values)| {
                    let home = semantic.bindings[b].scope;
                    values.iter().any(|v| constructed(v, home))
                })
                || named_like_lock(name.id.as_str())
        }
        Expr::Attribute(attribute) => {
            let attr = attribute.attr.id.as_str();
            let class = chain.iter().find_map(|node| match node {
                AnyNodeRef::StmtClassDef(class) => Some(*class),
                _ => None,
            });
            class.is_some_and(|class| {
                attribute_values(class, attr)
                    .into_iter()
                    .any(|v| constructed(v, 0))
            }) || named_like_lock(attr)
        }
        _ => false,
    };
    is_lock.then(|| key(expr).unwrap_or_else(|| "the lock".to_owned()))
}

/// The values `class` gives its attribute `attr`: `attr = v` in the class body and
/// `x.attr = v` in its methods.
fn attribute_values<'a>(class: &'a ast::StmtClassDef, attr: &str) -> Vec<&'a Expr> {
    use crate::parse::visitor::{self, Visitor};

    struct Finder<'a, 'n> {
        attr: &'n str,
        values: Vec<&'a Expr>,
    }
    impl<'a> Visitor<'a> for Finder<'a, '_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            let (targets, value): (&'a [Expr], &'a Expr) = match stmt {
                Stmt::Assign(a) => (&a.targets, &a.value),
                Stmt::AnnAssign(ast::StmtAnnAssign {
                    target,
                    value: Some(value),
                    ..
                }) => (std::slice::from_ref(&**target), value),
                _ => return visitor::walk_stmt(self, stmt),
            };
            let names_attr =
                |t: &Expr| matches!(t, Expr::Attribute(t) if t.attr.id.as_str() == self.attr);
            if targets.iter().any(names_attr) {
                self.values.push(value);
            }
            visitor::walk_stmt(self, stmt);
        }
    }
    let mut finder = Finder {
        attr,
        values: Vec::new(),
    };
    for stmt in &class.body {
        match stmt {
            Stmt::Assign(a)
                if a.targets
                    .iter()
                    .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == attr)) =>
            {
                finder.values.push(&a.value)
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) if matches!(&**target, Expr::Name(n) if n.id.as_str() == attr) => {
                finder.values.push(value)
            }
            Stmt::FunctionDef(def) => finder.visit_body(&def.body),
            _ => {}
        }
    }
    finder.values
}

/// Why `await` cannot be added where `lock` is held, for a finding's note.
pub fn held_lock_reason(lock: &str) -> String {
    format!(
        "a thread lock (`{lock}`) is held here: an `await` would suspend the task with the lock \
         taken, and the next task to reach it would block the event loop's thread (move to an \
         `asyncio.Lock` first)"
    )
}

/// The await obstacle of the point a walk is at, when a thread lock is held there.
pub fn await_obstacle<'a>(
    context: &WalkContext<'a>,
    semantic: &SemanticModel<'a>,
) -> Option<String> {
    held_thread_lock(context, semantic).map(|lock| held_lock_reason(&lock))
}
