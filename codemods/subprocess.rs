//! `subprocess` and `os.system` in async code.

use crate::checker::Checker;
use crate::fix::{Edit, Fix};
use crate::parse::ast::{AnyNodeRef, Expr, ExprCall, Stmt};
use crate::parse::{Ranged, TextRange, TextSize};
use crate::pipeline::SubprocessStrategy;
use crate::recipe::{FixAvailability, Recipe, RecipeMeta};
use crate::semantic::Execution;

mod inline;

crate::declare_recipe! {
/// ## What it does
/// Finds calls that run a child process and wait for it in async code:
/// `subprocess.run`, `call`, `check_call`, `check_output`, `getoutput`, `getstatusoutput`
/// and `os.system`, under every import form (`import subprocess as sp`,
/// `from subprocess import run`), and moves the wait off the event loop. Two strategies
/// (`subprocess-strategy` in the configuration, `--subprocess-strategy` on the command line):
///
/// - `native` (the default): the child runs as an asyncio subprocess.
///   `subprocess.run(cmd, capture_output=True, text=True)` becomes
///   `await _AsyncSubprocess.run(cmd, capture_output=True, text=True)`, where
///   `_AsyncSubprocess` is a helper class the fix adds once to the module, after the imports.
/// - `thread`: the call moves to a worker thread unchanged:
///   `await asyncio.to_thread(subprocess.run, cmd, capture_output=True, text=True)`.
///
/// ## Why is this bad?
/// These functions block until the child process exits: a `docker ps` or an `ssh` call
/// freezes every other task of the service for the whole life of the child.
///
/// ## Example
/// ```python
/// import subprocess
///
/// async def kernel_version():
///     return subprocess.check_output(["uname", "-r"], text=True).strip()
/// ```
///
/// ## Use instead
/// ```python
/// class _AsyncSubprocess:
///     ...  # added by the fix
///
/// async def kernel_version():
///     return (await _AsyncSubprocess.check_output(["uname", "-r"], text=True)).strip()
/// ```
///
/// ## Fix safety
/// Both strategies are safe: the values, the exceptions and the keywords behave as before.
///
/// The native helper starts the child with `asyncio.create_subprocess_exec` (or `_shell`
/// for `shell=True` with a string), passes every `Popen` keyword to asyncio's `Popen`
/// unchanged, and follows CPython's `subprocess` code path by path: `CompletedProcess` with
/// the same `args`; text mode decoded with the same encoding (`encoding=`, else the locale's)
/// and `errors`, `\r\n` and `\r` translated, through a text wrapper where subprocess reads a
/// single pipe (so decoding errors match too); `input=` encoded the same way;
/// `CalledProcessError`; `TimeoutExpired` with the original timeout and the bytes read so far
/// (or, when the timeout expires while waiting for the exit, the remaining time and no
/// output), the child killed and reaped; `call` waiting with `timeout`; `check_output`'s
/// `input=None` and argument checks; `getstatusoutput`'s status (negative for a signal) and
/// stripped newline; the `Popen` errors (`FileNotFoundError` for a missing program or `cwd`).
/// What it cannot reproduce exactly it leaves to `subprocess` in a thread, decided when the
/// call runs: Windows, Python before 3.11, `-X warn_default_encoding`, an event loop other than
/// asyncio's (uvloop), a command that is not a string, path or non-empty list/tuple, a shell
/// command given as a list, `call`/`check_call` with a pipe (subprocess never reads it).
///
/// The fix uses `asyncio.to_thread` instead of the helper for `os.system` (asyncio's return
/// code loses the core-dump bit of the wait status `os.system` returns, and `system()`
/// ignores SIGINT and SIGQUIT while it waits), `bufsize=` (asyncio requires 0), `args=`, a
/// keyword the function does not take, `*args` and `**kwargs` splats, more than one positional
/// argument (Popen's positional parameters), none, and when the name `_AsyncSubprocess` is
/// taken. A comment inside a parenthesized callee leaves the call without a fix; a comment
/// between the callee and its parenthesis does so in the thread strategy only.
///
/// What changes, in both strategies, is that the waiting task can now be cancelled
/// (`asyncio.wait_for` timing out, a `TaskGroup` failing), which the blocking call never was:
/// the native helper then kills the child and reaps it, as `subprocess.run` does on an
/// exception; the thread strategy's worker thread goes on waiting for the child, whose result
/// is dropped, and `asyncio.run` waits for that thread at shutdown. A Ctrl-C under
/// `asyncio.run` cancels the main task (native: the child is killed); in the thread strategy
/// it reaches the main thread, not the worker, so `subprocess.run`'s kill-on-interrupt does
/// not apply. The native helper starts the child from the event loop's thread, as the original
/// did; the thread strategy starts it from a worker thread.
///
/// Calls in sync functions are not reported (they do not block the loop there), nor the
/// functions passed as values (`run_in_executor(None, subprocess.run, cmd)`). A call inside a
/// generator expression, or in an f-string `=` field, is reported without a fix.
///
/// `proc.communicate(...)` and `proc.wait(...)` on a `subprocess.Popen` object (every
/// binding of `proc` is `proc = subprocess.Popen(...)`) move to a thread in both strategies:
/// `await asyncio.to_thread(proc.communicate, input, timeout=5)`. Starting the child
/// (`Popen(...)`) does not wait for it and is left alone. `with subprocess.Popen(...) as proc:`
/// waits for the child when the block exits, which cannot be awaited: it is reported without
/// a fix. Reading a child's pipe waits for its output: `os.popen(cmd).read()` becomes
/// `await asyncio.to_thread(os.popen(cmd).read)` (the child starts on the loop's thread as
/// before, only the read moves; `readlines()` likewise), and so do
/// `proc.stdout.read()` / `proc.stderr.read()` on a `subprocess.Popen` object. Both are
/// safe: the same calls run in the same order.
pub struct Subprocess;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW103",
    id: "subprocess",
    phase: 1,
    summary: "`subprocess` calls and `os.system` in async code block the event loop until the child exits",
    ruff_equivalent: Some("ASYNC221"),
    fix: FixAvailability::Safe,
    needles: &["subprocess", "system", "popen"],
    doc: Subprocess::DOC,
};

impl Recipe for Subprocess {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    fn is_blocking_call(&self, name: &[&str]) -> bool {
        matches!(
            name,
            [
                "subprocess",
                "run" | "call" | "check_call" | "check_output" | "getoutput" | "getstatusoutput"
            ] | ["os", "system"]
        )
    }

    fn check_stmt<'a>(&self, stmt: &'a Stmt, checker: &mut Checker<'a>) {
        // `with subprocess.Popen(...) as proc:` waits for the child when the block exits.
        let Stmt::With(with) = stmt else { return };
        if with.is_async || checker.execution() == Execution::Sync {
            return;
        }
        for item in &with.items {
            let Expr::Call(call) = &item.context_expr else {
                continue;
            };
            let is_popen = checker
                .qualified_name(&call.func)
                .is_some_and(|name| matches!(name.as_slice(), ["subprocess", "Popen"]));
            if is_popen {
                let message =
                    "`with subprocess.Popen(...)` waits for the child process when the block exits"
                        .to_owned();
                checker.report(&META, call.range(), message).note =
                    Some("the exit of the `with` cannot be awaited; wait for the process with `await asyncio.to_thread(proc.wait)` in the block, or use asyncio subprocesses".to_owned());
            }
        }
    }

    fn check_expr<'a>(&self, expr: &'a Expr, checker: &mut Checker<'a>) {
        let (call, label, api) = if let Some((call, method)) = popen_wait(checker, expr) {
            (call, format!("Popen.{method}()"), None)
        } else if let Some((call, label)) = pipe_read(checker, expr) {
            (call, label, None)
        } else if let Some((call, name)) = checker.blocking_call(self, expr) {
            let api = match name.as_slice() {
                ["subprocess", api] => Some(*api),
                _ => None,
            };
            (call, name.join("."), api)
        } else {
            return;
        };
        let message = format!("`{label}` blocks the event loop until the child process exits");
        let mut fallback = None;
        let fix = if let Some(obstacle) = checker.await_obstacle(call) {
            Err(obstacle)
        } else if matches!(checker.parent(), Some(AnyNodeRef::ExprAwait(_))) {
            Err("the call is already awaited".to_owned())
        } else if let Some(api) =
            api.filter(|_| checker.settings.subprocess_strategy == SubprocessStrategy::Native)
        {
            inline::fix(checker, call, api).or_else(|reason| {
                fallback = Some(format!(
                    "moved to a thread, not to an asyncio subprocess: {reason}"
                ));
                to_thread_fix(checker, expr, call)
            })
        } else {
            to_thread_fix(checker, expr, call)
        };
        let diagnostic = checker.report_with_fix(&META, call.range(), message, fix, None);
        if diagnostic.fix.is_some() {
            diagnostic.note = diagnostic.note.take().or(fallback);
        }
    }
}

/// `proc.communicate(...)` / `proc.wait(...)` on the event loop, where every binding of `proc`
/// is `proc = subprocess.Popen(...)`: the call and the method's name.
fn popen_wait<'a>(checker: &Checker<'a>, expr: &'a Expr) -> Option<(&'a ExprCall, &'a str)> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(method) = &*call.func else {
        return None;
    };
    let name = method.attr.id.as_str();
    if !matches!(name, "communicate" | "wait") || checker.execution() == Execution::Sync {
        return None;
    }
    is_popen_name(checker, &method.value).then_some((call, name))
}

/// Whether `expr` is a name every binding of which is `name = subprocess.Popen(...)`.
fn is_popen_name(checker: &Checker<'_>, expr: &Expr) -> bool {
    let Expr::Name(receiver) = expr else {
        return false;
    };
    let semantic = checker.semantic();
    let Some(binding) = semantic.lookup(checker.scope(), receiver.id.as_str()) else {
        return false;
    };
    let Some(values) = semantic.assigned_values(binding) else {
        return false;
    };
    let scope = semantic.bindings[binding].scope;
    values.iter().all(|value| {
        let Expr::Call(constructor) = value else {
            return false;
        };
        semantic
            .qualified_name(scope, &constructor.func)
            .is_some_and(|q| matches!(q.as_slice(), ["subprocess", "Popen"]))
    })
}

/// A read of a child's pipe on the event loop, which waits for the child's output:
/// `os.popen(cmd).read()` (and `readlines()`), `proc.stdout.read()` / `proc.stderr.read()` on
/// a `subprocess.Popen` object. The call and its label.
fn pipe_read<'a>(checker: &Checker<'a>, expr: &'a Expr) -> Option<(&'a ExprCall, String)> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(method) = &*call.func else {
        return None;
    };
    let name = method.attr.id.as_str();
    if !matches!(name, "read" | "readlines") || checker.execution() == Execution::Sync {
        return None;
    }
    match &*method.value {
        Expr::Call(popen) => {
            let qualified = checker.qualified_name(&popen.func)?;
            matches!(qualified.as_slice(), ["os", "popen"])
                .then(|| (call, format!("os.popen(...).{name}()")))
        }
        Expr::Attribute(pipe) => {
            let stream = pipe.attr.id.as_str();
            (matches!(stream, "stdout" | "stderr") && is_popen_name(checker, &pipe.value))
                .then(|| (call, format!("Popen.{stream}.{name}()")))
        }
        _ => None,
    }
}

/// `f(args)` → `await asyncio.to_thread(f, args)`: the callee and the opening parenthesis (with
/// the spaces after it) are replaced, the arguments stay as written.
fn to_thread_fix(checker: &Checker<'_>, expr: &Expr, call: &ExprCall) -> Result<Fix, String> {
    let source = checker.source;
    let arguments = &call.arguments;
    let open = arguments.start() + TextSize::new(1);
    if checker.has_comment_in(TextRange::new(call.start(), open)) {
        return Err("a comment sits between the callee and its arguments".to_owned());
    }
    let (asyncio, import) = checker.import_module("asyncio")?;
    let (prefix, suffix) = checker.await_wrapping(expr);
    // The callee as written, with its own parentheses (`(sp.run)`), without a line
    // continuation before the arguments.
    let callee_range = checker
        .parsed
        .parenthesized_range(&call.func, AnyNodeRef::from(call))
        .unwrap_or_else(|| call.func.range());
    let callee = &source[callee_range];
    // Spaces after `(` go, unless a comment or a line break follows them.
    let after_open = &source[usize::from(open)..];
    let spaces = after_open.len() - after_open.trim_start_matches([' ', '\t']).len();
    let next = after_open[spaces..].chars().next();
    let keeps_layout = matches!(next, Some('#' | '\n' | '\r' | '\\'));
    let head_end = if keeps_layout {
        open
    } else {
        open + TextSize::try_from(spaces).unwrap_or_default()
    };
    let separator = match (arguments.is_empty(), keeps_layout) {
        (true, _) => "",
        (false, true) => ",",
        (false, false) => ", ",
    };
    let mut edits = vec![Edit::replacement(
        format!("{prefix}{asyncio}.to_thread({callee}{separator}"),
        TextRange::new(call.start(), head_end),
    )];
    // `f(x for x in y)`: a bare generator expression needs its own parentheses as one
    // argument among others.
    if let ([Expr::Generator(generator)], []) = (&*arguments.args, &*arguments.keywords) {
        if !generator.parenthesized {
            edits.push(Edit::insertion("(", generator.start()));
            edits.push(Edit::insertion(")", generator.end()));
        }
    }
    if !suffix.is_empty() {
        edits.push(Edit::insertion(suffix, call.end()));
    }
    edits.extend(import);
    let edits = crate::fix::merge_edits(edits).ok_or("the edits of this call overlap")?;
    Ok(Fix::safe(edits))
}
