//! Calls the user declared blocking, in async code.

use crate::checker::Checker;
use crate::parse::ast::Expr;
use crate::parse::Ranged;
use crate::recipe::{FixAvailability, Recipe, RecipeMeta};
use crate::semantic::Execution;

crate::declare_recipe! {
/// ## What it does
/// Reports calls in async code to functions the project's configuration declares blocking,
/// with the async replacement it names:
///
/// ```toml
/// [tool.awaitify.blocking-calls]
/// "requests.get" = "httpx.AsyncClient.get"
/// "mylib.storage.load" = ""   # just report it
/// ```
///
/// Names are resolved like every other recipe's (`import requests as r; r.get(...)` is
/// `requests.get`), never matched as text.
///
/// ## Why is this bad?
/// Every library has its own blocking calls (HTTP clients, drivers, SDKs); the project knows
/// which of its own and its dependencies' functions wait on I/O. Called in an `async def`, each
/// stops the event loop for as long as it waits.
///
/// ## Example
/// ```python
/// import requests
///
/// async def status(url):
///     return requests.get(url).status_code
/// ```
///
/// ## Use instead
/// ```python
/// import httpx
///
/// async def status(url):
///     async with httpx.AsyncClient() as client:
///         return (await client.get(url)).status_code
/// ```
///
/// ## Fix safety
/// There is no fix: a replacement library has its own API (clients, sessions, other
/// arguments), so the migration is left to the developer, with the replacement the
/// configuration names in the finding.
pub struct DeclaredBlocking;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW301",
    id: "declared-blocking-call",
    phase: 3,
    summary: "a call the configuration declares blocking (`blocking-calls`), in async code",
    ruff_equivalent: Some("ASYNC200"),
    fix: FixAvailability::None,
    // The declared names come from the settings (see `may_apply_with`).
    needles: &[],
    requires: None,
    doc: DeclaredBlocking::DOC,
};

impl Recipe for DeclaredBlocking {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    fn may_apply_with(&self, text: &str, settings: &crate::pipeline::Settings) -> bool {
        crate::recipe::contains(text, "async")
            && settings.declared_blocking.iter().any(|call| {
                call.name
                    .last()
                    .is_some_and(|last| crate::recipe::contains(text, last))
            })
    }

    fn check_expr<'a>(&self, expr: &'a Expr, checker: &mut Checker<'a>) {
        let declared = &checker.settings.declared_blocking;
        if declared.is_empty() {
            return;
        }
        let Expr::Call(call) = expr else { return };
        if checker.execution() == Execution::Sync {
            return;
        }
        let Some(name) = checker.qualified_name(&call.func) else {
            return;
        };
        let Some(found) = declared
            .iter()
            .find(|d| d.name.iter().map(String::as_str).eq(name.iter().copied()))
        else {
            return;
        };
        let message = format!(
            "`{}` is declared blocking and runs on the event loop",
            name.join(".")
        );
        let note = if found.replacement.is_empty() {
            "declared blocking in the configuration".to_owned()
        } else {
            format!(
                "use `{}` (the configuration's replacement)",
                found.replacement
            )
        };
        checker.report(&META, call.range(), message).note = Some(note);
    }
}
