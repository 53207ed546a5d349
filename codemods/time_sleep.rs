//! `time.sleep` in async code.

use crate::checker::Checker;
use crate::fix::{Edit, Fix};
use crate::parse::ast::{AnyNodeRef, Expr, ExprCall, Number};
use crate::parse::{Ranged, TextRange};
use crate::recipe::{contains, may_reach, mentions_word, FixAvailability, Recipe, RecipeMeta};

crate::declare_recipe! {
/// ## What it does
/// Finds calls to `time.sleep` in async code (the nearest enclosing function is an
/// `async def`) and rewrites them to `await asyncio.sleep`.
///
/// ## Why is this bad?
/// `time.sleep` blocks the thread it runs on. In an `async def` that thread is the event
/// loop's: for the whole sleep no other task runs, no request is served, no timeout fires.
/// `asyncio.sleep` suspends only the calling task.
///
/// ## Example
/// ```python
/// import time
///
/// async def poll(client):
///     while not await client.ready():
///         time.sleep(0.5)
/// ```
///
/// ## Use instead
/// ```python
/// import asyncio
///
/// async def poll(client):
///     while not await client.ready():
///         await asyncio.sleep(0.5)
/// ```
///
/// ## Fix safety
/// Both functions take the delay in seconds and return `None`, but they disagree on bad
/// delays: `time.sleep(-1)` raises `ValueError` where `asyncio.sleep(-1)` returns at once
/// (NaN likewise), and `OverflowError` for a delay above about 9.2e9 s. The fix is therefore
/// safe when the delay is a number literal up to 1e9 (`time.sleep(0.5)`), and unsafe when it is computed (`time.sleep(delay)`): apply those
/// with `--unsafe-fixes` once you know the delay is never negative. Other tasks may now run
/// during the sleep, which is the point of the migration. `import asyncio` is added
/// (an existing `import asyncio as aio` is reused), and the `time` import is removed when
/// nothing else uses it.
///
/// Calls in sync functions (including functions run in threads or executors) are not
/// reported: they do not block the loop there. `time.sleep` passed as a value
/// (`run_in_executor(None, time.sleep, 1)`) is not a call and is left alone. In a generator
/// expression inside an `async def` the call is reported without a fix, since an `await` there
/// would turn the generator into an async generator.
pub struct TimeSleep;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW101",
    id: "time-sleep",
    phase: 1,
    summary: "`time.sleep` in async code blocks the event loop; use `await asyncio.sleep`",
    ruff_equivalent: Some("ASYNC251"),
    fix: FixAvailability::Sometimes,
    needles: &["sleep"],
    requires: None,
    doc: TimeSleep::DOC,
};

impl Recipe for TimeSleep {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    /// `sleep` resolves to `time.sleep` only in a module that imports `time`.
    fn mentions(&self, text: &str) -> bool {
        mentions_word(text, "sleep") && mentions_word(text, "time")
    }

    /// Async code that reaches `time.sleep` (`asyncio.sleep` alone does not).
    fn may_apply(&self, text: &str) -> bool {
        contains(text, "async")
            && self.mentions(text)
            && may_reach(text, "time", "sleep", Some("asyncio"))
    }

    fn is_blocking_call(&self, name: &[&str]) -> bool {
        matches!(name, ["time", "sleep"])
    }

    fn check_expr<'a>(&self, expr: &'a Expr, checker: &mut Checker<'a>) {
        let Some((call, _)) = checker.blocking_call(self, expr) else {
            return;
        };
        let message = "`time.sleep` blocks the event loop in async code".to_owned();
        // `await time.sleep(x)` (awaiting `None`, a bug): only the callee changes.
        let awaited = matches!(checker.parent(), Some(AnyNodeRef::ExprAwait(_)));
        let (prefix, suffix) = if awaited {
            ("", "")
        } else {
            checker.await_wrapping(expr)
        };
        // Replace from the start of the call to the end of the callee, with its parentheses:
        // `(time.sleep)(1)` too.
        let callee_end = checker
            .parsed
            .parenthesized_range(&call.func, AnyNodeRef::from(call))
            .map_or(call.func.end(), |range| range.end());
        let callee = TextRange::new(call.start(), callee_end);
        let fix = if let Some(obstacle) = checker.await_obstacle(call) {
            Err(obstacle)
        } else if checker.has_comment_in(callee) {
            Err("the call's callee contains a comment".to_owned())
        } else {
            checker.import_module("asyncio").map(|(asyncio, import)| {
                let mut edits = vec![Edit::replacement(
                    format!("{prefix}{asyncio}.sleep"),
                    callee,
                )];
                if !suffix.is_empty() {
                    edits.push(Edit::insertion(suffix, call.end()));
                }
                edits.extend(import);
                if is_plain_delay(call) {
                    Fix::safe(edits)
                } else {
                    Fix::unsafe_(edits)
                }
            })
        };
        checker.report_with_fix(&META, call.range(), message, fix, Some(UNSAFE_NOTE));
    }
}

const UNSAFE_NOTE: &str =
    "`time.sleep` raises `ValueError` for a negative delay and `OverflowError` for one above about 9.2e9 s; `asyncio.sleep` does neither";

/// The longest delay both functions treat the same, in seconds: `time.sleep` raises
/// `OverflowError` above about 9.2e9 s (its nanosecond count overflows), `asyncio.sleep`
/// does not.
const MAX_PLAIN_DELAY: f64 = 1e9;

/// A single non-negative number literal up to [`MAX_PLAIN_DELAY`]: the delay both functions
/// treat the same.
fn is_plain_delay(call: &ExprCall) -> bool {
    let [Expr::NumberLiteral(number)] = &*call.arguments.args else {
        return false;
    };
    call.arguments.keywords.is_empty()
        && match &number.value {
            Number::Int(value) => value.as_i64().is_some_and(|v| v as f64 <= MAX_PLAIN_DELAY),
            Number::Float(value) => value.is_finite() && *value <= MAX_PLAIN_DELAY,
            Number::Complex { .. } => false,
        }
}
