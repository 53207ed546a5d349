//! The checker: one walk over a parsed file that calls every enabled recipe on every statement
//! and expression, with the scope, the execution context and the parent nodes at hand.

use crate::fix::{Applicability, Edit, Fix};
use crate::imports::Importer;
use crate::parse::ast::{AnyNodeRef, Expr, ExprCall, ExprContext, Stmt};
use crate::parse::{Parsed, Ranged, TextRange, TextSize};
use crate::pipeline::Settings;
use crate::recipe::{Diagnostic, Recipe, RecipeMeta};
use crate::semantic::{Execution, ScopeId, SemanticModel};
use crate::source::Stylist;
use crate::walk::{walk_module, WalkContext, WalkHandler};

pub struct Checker<'a> {
    pub source: &'a str,
    pub parsed: &'a Parsed,
    pub stylist: &'a Stylist,
    semantic: SemanticModel<'a>,
    importer: Importer,
    recipes: &'a [&'static dyn Recipe],
    /// The run's settings (recipe options such as the declared blocking calls).
    pub settings: &'a Settings,
    context: WalkContext<'a>,
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
    settings: &'a Settings,
) -> CheckResult<'a> {
    let recipes: &'a [&'static dyn Recipe] = &settings.recipes;
    let semantic = SemanticModel::build(parsed.suite());
    let is_first_party =
        |root: &str| (settings.first_party.as_deref()).is_some_and(|roots| roots.contains(root));
    let first_party: Option<&dyn Fn(&str) -> bool> =
        settings.first_party.is_some().then_some(&is_first_party);
    let mut checker = Checker {
        source,
        parsed,
        stylist,
        semantic,
        importer: Importer::new(source, parsed.suite(), stylist, first_party),
        recipes,
        settings,
        context: WalkContext::new(),
        diagnostics: Vec::new(),
    };
    if crate::suppression::skips_file(parsed, source) {
        checker.recipes = &[];
    }
    for recipe in checker.recipes {
        recipe.check_file(&mut checker);
    }
    walk_module(&mut checker, parsed.suite());
    let mut diagnostics = checker.diagnostics;
    crate::suppression::filter(&mut diagnostics, parsed, source);
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

    pub fn suite(&self) -> &'a [Stmt] {
        self.parsed.suite()
    }

    pub fn scope(&self) -> ScopeId {
        self.context.scope()
    }

    /// How the code being visited runs.
    pub fn execution(&self) -> Execution {
        self.context.execution(&self.semantic)
    }

    /// The qualified name of `expr` (`["time", "sleep"]`), resolved from the current scope.
    pub fn qualified_name(&self, expr: &'a Expr) -> Option<Vec<&'a str>> {
        self.semantic.qualified_name(self.scope(), expr)
    }

    /// The ancestors of the node being visited, innermost first.
    pub fn ancestors(&self) -> impl Iterator<Item = AnyNodeRef<'a>> + '_ {
        self.context.ancestors()
    }

    /// The `def` of the innermost function around the node being visited.
    pub fn function_def(&self) -> Option<&'a crate::parse::ast::StmtFunctionDef> {
        self.ancestors().find_map(|node| match node {
            AnyNodeRef::StmtFunctionDef(def) => Some(def),
            _ => None,
        })
    }

    /// The node that contains the node being visited.
    pub fn parent(&self) -> Option<AnyNodeRef<'a>> {
        self.context.parent()
    }

    /// The name to use for `module` from `scope`, and the edit that imports it when it is not
    /// imported yet. `Err` explains why no name can be had (it is taken by something else).
    /// The call and its qualified name, when `expr` calls one of `recipe`'s blocking functions
    /// on the event loop (not in sync code).
    pub fn blocking_call(
        &self,
        recipe: &dyn Recipe,
        expr: &'a Expr,
    ) -> Option<(&'a ExprCall, Vec<&'a str>)> {
        let Expr::Call(call) = expr else { return None };
        let name = self.qualified_name(&call.func)?;
        (recipe.is_blocking_call(&name) && self.execution() != Execution::Sync)
            .then_some((call, name))
    }

    /// Why `await` cannot be added at `call`, which runs on the event loop (`None`: it can).
    pub fn await_obstacle(&self, call: &ExprCall) -> Option<String> {
        if let Some(library) = self.foreign_event_loop() {
            return Some(format!(
                "the module uses `{library}`, whose event loop asyncio replacements do not run under"
            ));
        }
        if self.in_debug_interpolation(call.range()) {
            return Some(
                "the call is in an f-string `=` field, whose output shows its source".to_owned(),
            );
        }
        if self.execution() == Execution::AsyncNoAwait {
            return Some(
                "`await` cannot be added here (a generator expression or a class body)".to_owned(),
            );
        }
        crate::locks::await_obstacle(&self.context, &self.semantic)
    }

    /// Puts the fix on the finding, or the reason there is none as its note.
    pub fn report_with_fix(
        &mut self,
        recipe: &'static RecipeMeta,
        range: TextRange,
        message: String,
        fix: Result<Fix, String>,
        unsafe_note: Option<&str>,
    ) -> &mut Diagnostic {
        let patched = match &fix {
            Ok(fix) if fix.applicability != Applicability::DisplayOnly => self.patched(range),
            _ => None,
        };
        let diagnostic = self.report(recipe, range, message);
        match fix {
            Ok(mut fix) => {
                if fix.applicability == Applicability::Unsafe {
                    diagnostic.note = unsafe_note.map(str::to_owned);
                }
                if let Some(patched) = patched {
                    fix.applicability = Applicability::Unsafe;
                    diagnostic.note = Some(match diagnostic.note.take() {
                        Some(note) => format!("{note}; {patched}"),
                        None => patched,
                    });
                }
                diagnostic.fix = Some(fix);
            }
            Err(reason) => diagnostic.note = Some(reason),
        }
        diagnostic
    }

    /// When the call at `range` (the expression being visited) is one the project's code
    /// patches (see [`crate::patches`]): why a fix that stops calling it changes behaviour.
    fn patched(&self, range: TextRange) -> Option<String> {
        let Some(AnyNodeRef::ExprCall(call)) = self.context.current() else {
            return None;
        };
        if call.range() != range {
            return None;
        }
        let api = self.semantic.qualified_name(self.scope(), &call.func)?;
        let callee = &self.source[call.func.range()];
        let patch = self.settings.facts.patch_of(&api, callee)?;
        Some(format!(
            "`{}` is patched at {} (`{}`): the migrated code no longer calls it, so the patch stops taking effect",
            api.join("."),
            patch.location(),
            patch.target
        ))
    }

    /// The event loop library the module uses when it is not asyncio (`trio`, `anyio`,
    /// `curio`): asyncio replacements would not run there.
    pub fn foreign_event_loop(&self) -> Option<&'static str> {
        ["trio", "anyio", "curio"]
            .into_iter()
            .find(|module| self.semantic.imports_module(module))
    }

    pub fn import_module_in(
        &self,
        scope: ScopeId,
        at: TextSize,
        module: &str,
    ) -> Result<(String, Option<Edit>), String> {
        self.importer
            .import_module(&self.semantic, scope, module, at)
    }

    /// [`Checker::import_module_in`] for the scope being visited.
    pub fn import_module(&self, module: &str) -> Result<(String, Option<Edit>), String> {
        let at = self
            .context
            .current()
            .map_or_else(TextSize::default, |node| node.start());
        self.import_module_in(self.scope(), at, module)
    }

    /// The edit that defines a module-level helper (a class or function named `name`, with the
    /// given source) after the imports, or `Err` when the name is taken. `earlier`: the sources
    /// earlier versions of awaitify gave it, which a module migrated by them has.
    pub fn define_helper(
        &self,
        name: &str,
        source: &str,
        earlier: &[String],
    ) -> Result<Option<Edit>, String> {
        self.importer
            .define_helper(&self.semantic, self.source, name, source, earlier)
    }

    /// See [`WalkContext::in_debug_interpolation`].
    pub fn in_debug_interpolation(&self, range: TextRange) -> bool {
        self.context.in_debug_interpolation(range)
    }

    /// Whether `range` contains a comment (an edit replacing it would lose the comment).
    pub fn has_comment_in(&self, range: TextRange) -> bool {
        self.parsed.has_comment_in(range)
    }

    /// The text to put before and after `expr` to await it in place (see [`await_wrapping`]).
    pub fn await_wrapping(&self, expr: &Expr) -> (&'static str, &'static str) {
        await_wrapping(self.parsed, expr, self.parent())
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
            origin: None,
        });
        self.diagnostics.last_mut().expect("just pushed")
    }
}

/// The text to put before and after `expr` (whose parent node is `parent`) to await it in
/// place: `await ` alone, or with parentheses where the parent binds tighter than `await`
/// (`(await x).attr`, `(await x)[0]`, `(await x)()`) and the expression has none already.
pub fn await_wrapping(
    parsed: &Parsed,
    expr: &Expr,
    parent: Option<AnyNodeRef>,
) -> (&'static str, &'static str) {
    await_text(await_needs_parentheses(parsed, expr, parent))
}

/// Whether awaiting `expr` in place needs parentheses around it (see [`await_wrapping`]).
pub fn await_needs_parentheses(parsed: &Parsed, expr: &Expr, parent: Option<AnyNodeRef>) -> bool {
    let Some(parent) = parent else {
        return false;
    };
    let is_primary = match parent {
        AnyNodeRef::ExprAttribute(a) => a.value.range() == expr.range(),
        AnyNodeRef::ExprSubscript(s) => s.value.range() == expr.range(),
        AnyNodeRef::ExprCall(c) => c.func.range() == expr.range(),
        _ => false,
    };
    is_primary && parsed.parenthesized_range(expr, parent).is_none()
}

/// The text to put before and after an expression to await it, in parentheses or not.
pub fn await_text(parenthesized: bool) -> (&'static str, &'static str) {
    if parenthesized {
        ("(await ", ")")
    } else {
        ("await ", "")
    }
}

impl<'a> WalkHandler<'a> for Checker<'a> {
    fn context(&mut self) -> &mut WalkContext<'a> {
        &mut self.context
    }

    fn on_stmt(&mut self, stmt: &'a Stmt) {
        let recipes = self.recipes;
        for recipe in recipes {
            recipe.check_stmt(stmt, self);
        }
    }

    fn on_expr(&mut self, expr: &'a Expr) {
        let scope = self.scope();
        match expr {
            Expr::Name(name) if name.ctx == ExprContext::Load => {
                self.semantic.mark_used(scope, name.id.as_str());
            }
            // A string annotation (`x: "time.struct_time"`) uses the names it mentions.
            Expr::StringLiteral(literal) if self.context.in_annotation() => {
                let text = literal.value.to_str();
                for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                    if !word.is_empty() {
                        self.semantic.mark_used(scope, word);
                    }
                }
            }
            _ => {}
        }
        let recipes = self.recipes;
        for recipe in recipes {
            recipe.check_expr(expr, self);
        }
    }
}
