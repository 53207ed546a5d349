//! Calls of the project's `async def` functions whose coroutine is never awaited.

use std::sync::Arc;

use crate::fix::{Applicability, Edit};
use crate::project::index::Use;
use crate::project::{ProjectChecker, ProjectFinding, ProjectFix, Resolved};
use crate::recipe::{FixAvailability, Recipe, RecipeMeta};

crate::declare_recipe! {
/// ## What it does
/// Finds calls of the project's `async def` functions (resolved across modules, methods
/// included) whose result is dropped (`refresh()` as a statement) or only tested for truth
/// (`if is_ready():`), and adds the missing `await` in async code.
///
/// ## Why is this bad?
/// Calling an `async def` function only creates a coroutine; its body runs when the
/// coroutine is awaited or scheduled. A dropped coroutine never runs (Python warns
/// "coroutine ... was never awaited" at garbage collection), and a coroutine object is
/// always true. The usual origin is a half-done migration: a helper became `async def`,
/// one of its callers was not updated.
///
/// ## Example
/// ```python
/// async def save(record): ...
///
/// async def handle(record):
///     save(record)
/// ```
///
/// ## Use instead
/// ```python
/// async def handle(record):
///     await save(record)
/// ```
///
/// ## Fix safety
/// In async code, a dropped call gets `await`: the statement did nothing before (its
/// coroutine was discarded), it now does what it says; the fix is safe. A call tested for
/// truth was always true: awaiting it changes which branch runs, so that fix is unsafe.
/// Calls that are awaited, scheduled (`create_task`, `ensure_future`, `gather`, `wait_for`,
/// `asyncio.run`, `TaskGroup.create_task`, ...), stored or returned are left alone: they
/// may be awaited later. In sync code the coroutine cannot be awaited: reported without a
/// fix. So is a call that may reach a sync definition at run time (a subclass overriding the
/// method with a `def`, a class attribute, an attribute store of the name anywhere in the
/// project). A call in code that checks at run time whether it has a coroutine
/// (`if inspect.iscoroutinefunction(obj.close): ... else: obj.close()`) is not reported: the
/// code handles both kinds of callee itself. Async generator functions (`async def` with `yield`) are not coroutines, and a
/// decorated function may not return one (a decorator can wrap it in a sync function): neither
/// is reported.
pub struct UnawaitedCoroutine;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW202",
    id: "unawaited-coroutine",
    phase: 2,
    summary: "a call of an `async def` function whose coroutine is never awaited does nothing",
    ruff_equivalent: None,
    fix: FixAvailability::Sometimes,
    needles: &[],
    requires: None,
    doc: UnawaitedCoroutine::DOC,
};

impl Recipe for UnawaitedCoroutine {
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
            // A decorator may wrap the coroutine function in a sync one (task queues,
            // `sync_to_async`-style adapters): decorated functions are not judged.
            if !function.is_async
                || function.wrapping_decorator().is_some()
                || function.is_generator
                || !matches!(call.usage, Use::Discarded | Use::Condition)
                || call.coroutine_check().is_some()
                || !checker.enabled_at(&META, id.file, call.range.start())
            {
                continue;
            }
            let name = project.describe(*callee, id.file);
            let (message, applicability) = match call.usage {
                Use::Condition => (
                    format!("`{name}()` is tested for truth without `await`: a coroutine is always true and never runs"),
                    Applicability::Unsafe,
                ),
                _ => (
                    format!("`{name}()` creates a coroutine that is never awaited: the call does nothing"),
                    Applicability::Safe,
                ),
            };
            let on_loop = project
                .caller_of(id)
                .is_some_and(|f| project.function(f).is_async);
            // The call may reach a sync definition instead (a subclass's `def`, a class
            // attribute, an attribute store): `await` on its result would raise there.
            let sync_rebinding = project
                .rebindings(*callee)
                .into_iter()
                .find(|r| !r.is_async);
            let (fix, note) = match call.await_text() {
                _ if on_loop && sync_rebinding.is_some() => (
                    None,
                    sync_rebinding.map(|r| {
                        format!("the call may reach a sync definition instead, where `await` would raise: {}", r.reason)
                    }),
                ),
                Ok((prefix, suffix)) if on_loop => {
                    let mut edits = vec![(id.file, Edit::insertion(prefix, call.range.start()))];
                    if !suffix.is_empty() {
                        edits.push((id.file, Edit::insertion(suffix, call.range.end())));
                    }
                    let note = (applicability == Applicability::Unsafe).then(|| {
                        "awaiting it changes the condition's value (it was always true)".to_owned()
                    });
                    (
                        Some(ProjectFix {
                            applicability,
                            edits: Arc::new(edits),
                        }),
                        note,
                    )
                }
                Err(reason) if on_loop => (None, Some(format!("`await` cannot be added here: {reason}"))),
                _ => (None, Some("the caller is sync code, which cannot await: make it async, or run the coroutine with `asyncio.run`".to_owned())),
            };
            checker.report(ProjectFinding {
                recipe: &META,
                file: id.file,
                range: call.range,
                message,
                note,
                fix,
                origin: None,
            });
        }
    }
}
