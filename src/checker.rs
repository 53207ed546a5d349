//! The checker: one walk over a parsed file that keeps the scope, the execution context and the
//! chain of parent nodes, and calls every enabled recipe on every statement and expression.

use crate::imports::Importer;
use crate::parse::ast::{self, AnyNodeRef, Expr, ExprContext, Stmt};
use crate::parse::visitor::{self, Visitor};
use crate::parse::{Parsed, Ranged, TextRange};
use crate::recipe::{Diagnostic, Recipe, RecipeMeta};
use crate::semantic::{
    walk_scoped_expr, walk_scoped_stmt, Execution, ScopeId, ScopeKind, ScopeVisitor, SemanticModel,
};
use crate::source::Stylist;

pub struct Checker<'a> {
    pub source: &'a str,
    pub parsed: &'a Parsed,
    pub stylist: &'a Stylist,
    semantic: SemanticModel<'a>,
    importer: Importer,
    recipes: &'a [&'static dyn Recipe],
    scope_stack: Vec<ScopeId>,
    next_scope: ScopeId,
    parents: Vec<AnyNodeRef<'a>>,
    in_annotation: bool,
    diagnostics: Vec<Diagnostic>,
}

/// What a check of one file produced.
pub struct CheckResult<'a> {
    pub diagnostics: Vec<Diagnostic>,
    pub semantic: SemanticModel<'a>,
}

/// Runs `recipes` over a parsed file.
pub fn check<'a>(
    source: &'a str,
    parsed: &'a Parsed,
    stylist: &'a Stylist,
    recipes: &'a [&'static dyn Recipe],
) -> CheckResult<'a> {
    let semantic = SemanticModel::build(parsed.suite());
    let mut checker = Checker {
        source,
        parsed,
        stylist,
        semantic,
        importer: Importer::new(source, parsed.suite(), stylist),
        recipes,
        scope_stack: vec![0],
        next_scope: 1,
        parents: Vec::new(),
        in_annotation: false,
        diagnostics: Vec::new(),
    };
    checker.visit_body(parsed.suite());
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|d| (d.range.start(), d.recipe.code));
    CheckResult {
        diagnostics,
        semantic: checker.semantic,
    }
}

impl<'a> Checker<'a> {
    pub fn semantic(&self) -> &SemanticModel<'a> {
        &self.semantic
    }

    pub fn scope(&self) -> ScopeId {
        *self
            .scope_stack
            .last()
            .expect("the module scope is never popped")
    }

    /// How the code being visited runs (annotations are never executed as code here).
    pub fn execution(&self) -> Execution {
        if self.in_annotation {
            Execution::Sync
        } else {
            self.semantic.execution(self.scope())
        }
    }

    /// The qualified name of `expr` (`["time", "sleep"]`), resolved from the current scope.
    pub fn qualified_name(&self, expr: &'a Expr) -> Option<Vec<&'a str>> {
        self.semantic.qualified_name(self.scope(), expr)
    }

    /// The node that contains the node being visited.
    pub fn parent(&self) -> Option<AnyNodeRef<'a>> {
        self.parents.len().checked_sub(2).map(|i| self.parents[i])
    }

    /// The name to use for `module` here, and the edit that imports it when it is not imported
    /// yet. `Err` explains why no name can be had (the name is taken by something else).
    pub fn import_module(
        &self,
        module: &str,
    ) -> Result<(String, Option<crate::fix::Edit>), String> {
        self.importer
            .import_module(&self.semantic, self.scope(), module)
    }

    /// Whether `range` contains a comment (an edit replacing it would lose the comment).
    pub fn has_comment_in(&self, range: TextRange) -> bool {
        self.parsed.has_comment_in(range)
    }

    /// The text to put before and after `expr` to await it in place: `await ` alone, or with
    /// parentheses when the parent binds tighter than `await` (`(await x).attr`, `(await x)[0]`,
    /// `(await x)()`).
    pub fn await_wrapping(&self, expr: &Expr) -> (&'static str, &'static str) {
        let Some(parent) = self.parent() else {
            return ("await ", "");
        };
        let is_primary = match parent {
            AnyNodeRef::ExprAttribute(a) => a.value.range() == expr.range(),
            AnyNodeRef::ExprSubscript(s) => s.value.range() == expr.range(),
            AnyNodeRef::ExprCall(c) => c.func.range() == expr.range(),
            _ => false,
        };
        if is_primary && self.parsed.parenthesized_range(expr, parent).is_none() {
            ("(await ", ")")
        } else {
            ("await ", "")
        }
    }

    pub fn report(
        &mut self,
        recipe: &'static RecipeMeta,
        range: TextRange,
        message: String,
    ) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic {
            recipe,
            range,
            message,
            fix: None,
            note: None,
        });
        self.diagnostics.last_mut().expect("just pushed")
    }
}

impl<'a> ScopeVisitor<'a> for Checker<'a> {
    fn enter_scope(&mut self, kind: ScopeKind, _name: &'a str) {
        let id = self.next_scope;
        debug_assert_eq!(
            self.semantic.scopes[id].kind, kind,
            "scopes met in build order"
        );
        self.next_scope += 1;
        self.scope_stack.push(id);
    }

    fn exit_scope(&mut self) {
        self.scope_stack.pop();
    }
}

impl<'a> Visitor<'a> for Checker<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.parents.push(stmt.into());
        let recipes = self.recipes;
        for recipe in recipes {
            recipe.check_stmt(stmt, self);
        }
        if !walk_scoped_stmt(self, stmt) {
            visitor::walk_stmt(self, stmt);
        }
        self.parents.pop();
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.parents.push(expr.into());
        if let Expr::Name(name) = expr {
            if name.ctx == ExprContext::Load {
                self.semantic.mark_used(self.scope(), name.id.as_str());
            }
        }
        let recipes = self.recipes;
        for recipe in recipes {
            recipe.check_expr(expr, self);
        }
        if !walk_scoped_expr(self, expr) {
            visitor::walk_expr(self, expr);
        }
        self.parents.pop();
    }

    fn visit_arguments(&mut self, arguments: &'a ast::Arguments) {
        self.parents.push(arguments.into());
        visitor::walk_arguments(self, arguments);
        self.parents.pop();
    }

    fn visit_annotation(&mut self, expr: &'a Expr) {
        let saved = std::mem::replace(&mut self.in_annotation, true);
        visitor::walk_annotation(self, expr);
        self.in_annotation = saved;
    }
}
