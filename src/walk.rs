//! A walk over a module that knows, at every node, its scope and its chain of parents.
//!
//! The [`crate::checker::Checker`] walks each file this way to call the recipes; a recipe that
//! needs a whole-file analysis first (which values are sqlite3 connections, say) walks the
//! file again with its own [`WalkHandler`]. Scopes are met in the order the semantic model
//! created them, so the walk finds each scope's id by counting.

use crate::parse::ast::{self, AnyNodeRef, Expr, Stmt};
use crate::parse::visitor::{self, Visitor};
use crate::parse::TextRange;
use crate::semantic::{
    walk_scoped_expr, walk_scoped_stmt, Execution, ScopeId, ScopeKind, ScopeVisitor, SemanticModel,
};

/// Where the walk is: the scope stack and the parent nodes of the current node.
#[derive(Debug, Default)]
pub struct WalkContext<'a> {
    scope_stack: Vec<ScopeId>,
    next_scope: ScopeId,
    parents: Vec<AnyNodeRef<'a>>,
    in_annotation: bool,
}

impl<'a> WalkContext<'a> {
    pub fn new() -> Self {
        WalkContext {
            scope_stack: vec![0],
            next_scope: 1,
            parents: Vec::new(),
            in_annotation: false,
        }
    }

    pub fn scope(&self) -> ScopeId {
        *self
            .scope_stack
            .last()
            .expect("the module scope is never popped")
    }

    /// The node being visited.
    pub fn current(&self) -> Option<AnyNodeRef<'a>> {
        self.parents.last().copied()
    }

    /// The node that contains the node being visited.
    pub fn parent(&self) -> Option<AnyNodeRef<'a>> {
        self.ancestor(1)
    }

    /// The `n`th ancestor of the node being visited (0: the node itself).
    pub fn ancestor(&self, n: usize) -> Option<AnyNodeRef<'a>> {
        self.parents
            .len()
            .checked_sub(n + 1)
            .map(|i| self.parents[i])
    }

    /// The ancestors, innermost first (excluding the node itself).
    pub fn ancestors(&self) -> impl Iterator<Item = AnyNodeRef<'a>> + '_ {
        self.parents.iter().rev().skip(1).copied()
    }

    /// Whether `range` lies in an f-string replacement field with `=` (`f"{expr=}"`), whose
    /// output includes the expression's source text: rewriting it would change the output.
    pub fn in_debug_interpolation(&self, range: TextRange) -> bool {
        self.parents.iter().any(|node| {
            let AnyNodeRef::ExprFString(fstring) = node else {
                return false;
            };
            fstring.value.elements().any(|element| match element {
                ast::InterpolatedStringElement::Interpolation(field) => {
                    field.debug_text.is_some() && field.range.contains_range(range)
                }
                ast::InterpolatedStringElement::Literal(_) => false,
            })
        })
    }

    pub fn in_annotation(&self) -> bool {
        self.in_annotation
    }

    /// How the code being visited runs (annotations are never executed as code here).
    pub fn execution(&self, semantic: &SemanticModel) -> Execution {
        if self.in_annotation {
            Execution::Sync
        } else {
            semantic.execution(self.scope())
        }
    }
}

/// Receives every statement and expression of a walk, before their children.
pub trait WalkHandler<'a> {
    fn context(&mut self) -> &mut WalkContext<'a>;
    fn on_stmt(&mut self, _stmt: &'a Stmt) {}
    fn on_expr(&mut self, _expr: &'a Expr) {}
    /// Called after a statement's children were visited.
    fn after_stmt(&mut self, _stmt: &'a Stmt) {}
}

/// Walks `suite` calling `handler` on every node.
pub fn walk_module<'a, H: WalkHandler<'a>>(handler: &mut H, suite: &'a [Stmt]) {
    Walk(handler).visit_body(suite);
}

struct Walk<'h, H>(&'h mut H);

impl<'a, H: WalkHandler<'a>> ScopeVisitor<'a> for Walk<'_, H> {
    fn enter_scope(&mut self, _kind: ScopeKind, _name: &'a str) {
        let context = self.0.context();
        let id = context.next_scope;
        context.next_scope += 1;
        context.scope_stack.push(id);
    }

    fn exit_scope(&mut self) {
        self.0.context().scope_stack.pop();
    }
}

impl<'a, H: WalkHandler<'a>> Visitor<'a> for Walk<'_, H> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.0.context().parents.push(stmt.into());
        self.0.on_stmt(stmt);
        if !walk_scoped_stmt(self, stmt) {
            visitor::walk_stmt(self, stmt);
        }
        self.0.after_stmt(stmt);
        self.0.context().parents.pop();
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.0.context().parents.push(expr.into());
        self.0.on_expr(expr);
        if !walk_scoped_expr(self, expr) {
            visitor::walk_expr(self, expr);
        }
        self.0.context().parents.pop();
    }

    fn visit_arguments(&mut self, arguments: &'a ast::Arguments) {
        self.0.context().parents.push(arguments.into());
        visitor::walk_arguments(self, arguments);
        self.0.context().parents.pop();
    }

    fn visit_with_item(&mut self, item: &'a ast::WithItem) {
        self.0.context().parents.push(item.into());
        visitor::walk_with_item(self, item);
        self.0.context().parents.pop();
    }

    fn visit_annotation(&mut self, expr: &'a Expr) {
        let saved = std::mem::replace(&mut self.0.context().in_annotation, true);
        visitor::walk_annotation(self, expr);
        self.0.context().in_annotation = saved;
    }
}
