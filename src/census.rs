//! The census behind the audit report: what a file has besides its findings, that is its
//! async code, and the blocking calls that sit outside async code (sync-only code, functions
//! run in threads or executors), which are listed but are not event-loop blockers.

use crate::parse::ast::{Expr, Stmt};
use crate::parse::{Parsed, Ranged, TextRange};
use crate::recipe::Recipe;
use crate::semantic::{Execution, SemanticModel};
use crate::walk::{walk_module, WalkContext, WalkHandler};

/// A blocking call outside async code.
#[derive(Debug, Clone)]
pub struct Elsewhere {
    pub code: &'static str,
    pub range: TextRange,
    /// The call as written (`time.sleep`).
    pub call: String,
    /// Where it sits: `` in `Heartbeat._run` `` or `at module level`.
    pub place: String,
}

#[derive(Debug, Clone, Default)]
pub struct Census {
    pub async_functions: usize,
    /// `await`, `async with` and `async for`.
    pub async_constructs: usize,
    pub elsewhere: Vec<Elsewhere>,
}

pub fn take(
    source: &str,
    parsed: &Parsed,
    semantic: &SemanticModel,
    recipes: &[&'static dyn Recipe],
) -> Census {
    let mut counter = Counter {
        context: WalkContext::new(),
        source,
        semantic,
        recipes,
        census: Census::default(),
    };
    walk_module(&mut counter, parsed.suite());
    counter.census
}

struct Counter<'a, 's> {
    context: WalkContext<'a>,
    source: &'a str,
    semantic: &'s SemanticModel<'a>,
    recipes: &'s [&'static dyn Recipe],
    census: Census,
}

impl<'a> WalkHandler<'a> for Counter<'a, '_> {
    fn context(&mut self) -> &mut WalkContext<'a> {
        &mut self.context
    }

    fn on_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) if def.is_async => self.census.async_functions += 1,
            Stmt::With(with) if with.is_async => self.census.async_constructs += 1,
            Stmt::For(for_) if for_.is_async => self.census.async_constructs += 1,
            _ => {}
        }
    }

    fn on_expr(&mut self, expr: &'a Expr) {
        let call = match expr {
            Expr::Await(_) => {
                self.census.async_constructs += 1;
                return;
            }
            Expr::Call(call) => call,
            _ => return,
        };
        if self.context.execution(self.semantic) != Execution::Sync {
            return;
        }
        let scope = self.context.scope();
        let Some(name) = self.semantic.qualified_name(scope, &call.func) else {
            return;
        };
        let Some(recipe) = self.recipes.iter().find(|r| r.is_blocking_call(&name)) else {
            return;
        };
        let place = match self.semantic.enclosing_function(scope) {
            Some(function) => format!("in `{}`", self.semantic.scopes[function].label),
            None => "at module level".to_owned(),
        };
        self.census.elsewhere.push(Elsewhere {
            code: recipe.meta().code,
            range: call.range(),
            call: self.source[call.func.range()].to_owned(),
            place,
        });
    }
}
