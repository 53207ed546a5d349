//! `asyncio.run` / `run_until_complete` where an event loop is already running.

use crate::project::index::Caller;
use crate::project::{on_loop, FnId, ProjectChecker, ProjectFinding};
use crate::recipe::{FixAvailability, Recipe, RecipeMeta};

crate::declare_recipe! {
/// ## What it does
/// Finds `asyncio.run(...)` and `loop.run_until_complete(...)` in async code, or in a sync
/// function that async code calls (directly or through other sync functions, across
/// modules), with the path.
///
/// ## Why is this bad?
/// Both start an event loop and block until the coroutine finishes. Inside a running loop
/// they raise `RuntimeError: asyncio.run() cannot be called from a running event loop`
/// (`This event loop is already running`). It typically appears when a sync helper wraps
/// an async API for sync callers and is then called from async code.
///
/// ## Example
/// ```python
/// def get_user(user_id):
///     return asyncio.run(fetch_user(user_id))
///
/// async def handle(user_id):
///     return get_user(user_id)
/// ```
///
/// ## Use instead
/// ```python
/// async def handle(user_id):
///     return await fetch_user(user_id)
/// ```
///
/// ## Fix safety
/// Reported without a fix: the sync wrapper usually has sync callers too.
pub struct NestedEventLoop;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW204",
    id: "nested-event-loop",
    phase: 2,
    summary: "`asyncio.run` / `run_until_complete` reached from async code raises `RuntimeError`",
    ruff_equivalent: None,
    fix: FixAvailability::None,
    needles: &[],
    requires: None,
    doc: NestedEventLoop::DOC,
};

impl Recipe for NestedEventLoop {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    fn check_project(&self, checker: &mut ProjectChecker<'_>) {
        let project = checker.project;
        let reached = project.reached_from_async();
        for (file, module) in project.modules.iter().enumerate() {
            for run in &module.loop_runs {
                if !checker.enabled_at(&META, file, run.range.start()) {
                    continue;
                }
                let path = match run.caller {
                    _ if on_loop(run.execution) => String::from("in async code"),
                    Caller::Function(index) if reached.contains_key(&FnId { file, index }) => {
                        let path: Vec<String> = project
                            .path_to(reached, FnId { file, index })
                            .into_iter()
                            .map(|f| format!("`{}`", project.describe(f, file)))
                            .collect();
                        format!("reached from async code through {}", path.join(" → "))
                    }
                    _ => continue,
                };
                checker.report(ProjectFinding {
                    recipe: &META,
                    file,
                    range: run.range,
                    message: format!(
                        "`{}` {path}: it raises `RuntimeError` inside the running event loop",
                        run.label
                    ),
                    note: Some("await the coroutine instead".to_owned()),
                    fix: None,
                    origin: None,
                });
            }
        }
    }
}
