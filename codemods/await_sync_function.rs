//! `await` on a call of a sync project function that returns nothing awaitable.

use crate::project::index::Use;
use crate::project::{ProjectChecker, ProjectFinding, Resolved};
use crate::recipe::{FixAvailability, Recipe, RecipeMeta};

crate::declare_recipe! {
/// ## What it does
/// Finds `await f()` where `f` is a sync function of the project (a plain `def`, not a
/// generator, not decorated) that returns only `None` or plain values (literals, displays
/// such as `{...}` or `[...]`, comprehensions, f-strings), none of which can be awaited.
///
/// ## Why is this bad?
/// `await None` raises `TypeError: object NoneType can't be used in 'await' expression`
/// (likewise for a `dict`, a `list`, ...) after `f` has run, blocking the loop if `f` blocks. It usually means `f` was meant to be
/// `async def` (a migration made its callers await it, not the function itself).
///
/// ## Example
/// ```python
/// def flush(buffer):
///     buffer.clear()
///
/// async def handle(buffer):
///     await flush(buffer)
/// ```
///
/// ## Use instead
/// ```python
/// async def handle(buffer):
///     flush(buffer)
/// ```
///
/// ## Fix safety
/// Stubs (a body of `...`, `pass`, a docstring or a `raise`: protocols, abstract methods)
/// and methods in an override relation are not judged: the call may run another
/// implementation.
///
/// Reported without a fix: whether the function should become `async def` or the `await`
/// should go is a decision about the design. When the function blocks, AW201 converts it (an
/// unsafe fix: the `await` then works where it raised).
pub struct AwaitSyncFunction;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW203",
    id: "await-sync-function",
    phase: 2,
    summary:
        "`await` on a call of a sync function that returns nothing awaitable raises `TypeError`",
    ruff_equivalent: None,
    fix: FixAvailability::None,
    needles: &[],
    requires: None,
    doc: AwaitSyncFunction::DOC,
};

impl Recipe for AwaitSyncFunction {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    fn check_project(&self, checker: &mut ProjectChecker<'_>) {
        let project = checker.project;
        for (id, call, resolved) in project.calls() {
            let Resolved::Function(callee) = resolved else {
                continue;
            };
            let function = project.function(*callee);
            if function.is_async
                || function.is_stub
                || function.is_generator
                || function.may_return_awaitable
                || !function.decorators.is_empty()
                || call.usage != Use::Awaited
                || !checker.enabled_at(&META, id.file, call.range.start())
                || project.override_reason(*callee).is_some()
            {
                continue;
            }
            let name = project.describe(*callee, id.file);
            checker.report(ProjectFinding {
                recipe: &META,
                file: id.file,
                range: call.range,
                message: format!(
                    "`{name}` is a sync function that returns {}: awaiting its result raises `TypeError`",
                    if function.returns_value { "only plain values (literals, displays)" } else { "`None`" }
                ),
                note: Some(format!(
                    "make `{name}` `async def`, or drop the `await`"
                )),
                fix: None,
                origin: None,
            });
        }
    }
}
