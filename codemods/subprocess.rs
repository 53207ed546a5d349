//! `subprocess` and `os.system` in async code.

use crate::checker::Checker;
use crate::fix::{Edit, Fix};
use crate::parse::ast::{AnyNodeRef, Expr, ExprCall, Stmt};
use crate::parse::{Ranged, TextRange, TextSize};
use crate::pipeline::SubprocessStrategy;
use crate::recipe::{
    contains, may_reach, mentions_word, FixAvailability, Recipe, RecipeMeta, RunFact,
};
use crate::semantic::Execution;

mod inline;
mod popen;

/// What the native strategy writes for a finding.
enum Native<'a> {
    /// Asyncio statements before the call's statement.
    Inline(inline::Api),
    /// The conversion of the `Popen` object this name holds.
    Popen(&'a Expr),
}

crate::declare_recipe! {
/// ## What it does
/// Finds calls that run a child process and wait for it in async code:
/// `subprocess.run`, `call`, `check_call`, `check_output`, `getoutput`, `getstatusoutput`
/// and `os.system`, under every import form (`import subprocess as sp`,
/// `from subprocess import run`), and moves the wait off the event loop. Two strategies
/// (`subprocess-strategy` in the configuration, `--subprocess-strategy` on the command line):
///
/// - `native` (the default): a call at the head of a statement becomes asyncio subprocess
///   statements written before it, at its indentation; other calls move to a thread.
/// - `thread`: every call moves to a worker thread unchanged:
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
/// import asyncio
/// import locale
/// import subprocess
///
/// async def kernel_version():
///     proc = await asyncio.create_subprocess_exec("uname", "-r", stdout=asyncio.subprocess.PIPE)
///     stdout, stderr = await proc.communicate()
///     stdout = stdout.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")
///     if proc.returncode:
///         raise subprocess.CalledProcessError(proc.returncode, ["uname", "-r"], output=stdout, stderr=stderr)
///     return stdout.strip()
/// ```
///
/// ## Fix safety
/// Both strategies are safe: the values, the exceptions and the keywords behave as before.
///
/// The native statements are the steps CPython's `subprocess` takes for the call: the child
/// starts with `asyncio.create_subprocess_exec` (a list or tuple literal spreads into its
/// arguments, a name every binding of which is a list becomes `*cmd`, a string is the program)
/// or, for `shell=True` with a string command, `getoutput` and `getstatusoutput`,
/// `create_subprocess_shell`. `capture_output=True` and `input=` become pipes; a piped stdin
/// is closed after the input (asyncio leaves it open when there is none, subprocess does not);
/// text mode (`text`, `universal_newlines`, `encoding`, `errors`) decodes each captured output
/// with the same encoding (`encoding=`, else `locale.getpreferredencoding(False)`, which is
/// subprocess's default) and `errors`, translating `\r\n` and `\r`, and encodes `input=` the
/// same way; `check=True`, `check_call` and `check_output` raise `CalledProcessError` with the
/// same arguments; `run` gives a `CompletedProcess` with the same `args`; `getstatusoutput`
/// gives the status (negative for a signal) and strips one newline. `encoding=""` is false, as
/// in subprocess: the output stays bytes. `timeout=`, when nothing is piped, waits with
/// `asyncio.wait_for`, then kills and reaps the child and raises `TimeoutExpired` with the same
/// command and timeout (`from None`: the hidden context is asyncio's timeout, where
/// subprocess's has none). `timeout=` with a pipe calls one helper coroutine added once per
/// module after the imports, `_communicate_or_kill(proc, args, input, timeout)`: it writes the
/// input and reads the pipes until the timeout, as `Popen.communicate` does, then waits for the
/// child for the rest of it; on a timeout it kills the child (unless it exited), waits until
/// it is reaped (polling `returncode`: asyncio's `wait()` would also wait for a grandchild that
/// holds a pipe open) and raises `TimeoutExpired(args, timeout, output=..., stderr=...)` with
/// the bytes read so far (`None` for a pipe nothing was read from), or, when the child closed
/// its pipes and outlived the timeout, `TimeoutExpired(args, remaining)` as `Popen.wait` does.
/// What differs: a grandchild holding a pipe can keep writing into it until the loop ends,
/// where subprocess closes it. `FileNotFoundError` comes
/// from `Popen` itself, as before. Other keywords (`cwd`, `env`, `start_new_session`, ...)
/// are passed to asyncio as written, and so is `**kw` when `kw` is bound once in the function
/// to a dict display with string keys and otherwise only given literal keys
/// (`kw["cwd"] = path`) and unpacked: every key it can hold must be such a keyword, and not one
/// the call also passes. The names `proc`, `stdout`, `stderr` and `command` become `proc_1`
/// and so on when the function already uses the name. The command is written twice (the
/// arguments, then `args` of the result or the error) only when it is made of literals and
/// names; otherwise it is evaluated once into `command` (`command = [*base, str(path)]`) and
/// spread as `*command` when it is surely a non-empty list or tuple (a display, a sum of
/// those, `list(...)`, a name bound to those and extended with `+=`). Comments inside the call
/// go before the new statements (those inside a command evaluated into `command` stay in it).
///
/// The call must be the first thing its statement evaluates that runs code: what the
/// statement evaluates before it must be names, constants, attributes of modules
/// (`os.sep`), or a method looked up on one of those (`logger.info(...)`, `self.record(...)`;
/// that such a lookup runs no code, a property returning a function, is assumed). An
/// assignment's value (`out = subprocess.check_output(cmd).strip()`), an expression
/// statement (`print(subprocess.getoutput("uptime"))`), a `return`, an `if` test, a `for`
/// iterable, an augmented assignment to a name. Everything else moves to a thread,
/// `await asyncio.to_thread(subprocess.run, ...)`, which keeps the order of evaluation, with
/// the reason in the finding's note: `bufsize=`, `args=`, unknown keywords, `*args`,
/// `**kwargs` whose keys are not known, more than one positional argument; `input=` other than
/// a literal (it may be `None`, which leaves stdin alone); `encoding=` or `errors=` other than
/// a string literal (an empty string leaves binary mode); `stdin=` given as a variable, or
/// `stdout=`/`stderr=` as a variable in text mode or with `call` (it may be `PIPE`); a pipe
/// with `call` or `check_call`, which never read it; a command that may be a string or a list
/// (a parameter), or `shell=True` with a command that may be a list; what subprocess rejects
/// before starting a child (`text=` with `universal_newlines=`, `stdin=` with `input=`,
/// `capture_output=` with `stdout=`, `check_output(stdout=...)`, `encoding=""` in text mode);
/// a call after other code in its expression (`print(self.prefix, subprocess.getoutput(...))`),
/// an augmented assignment to an attribute or a subscript (`self.failures +=
/// subprocess.call(...)` reads `self.failures`, maybe a property, before the child starts), a
/// call in an `elif` or `while` test, an `assert`, or a statement sharing its line.
///
/// A module that handles `SIGCHLD` (`signal.signal(signal.SIGCHLD, signal.SIG_IGN)` in a
/// daemon, or a handler that reaps children) moves every call and `Popen` wait to a thread:
/// the kernel (or the handler) reaps the child before asyncio's child watcher sees it exit,
/// and asyncio reports the return code 255 where subprocess reports 0.
///
/// `os.system` always moves to a thread: asyncio's return code loses the core-dump bit of the
/// wait status `os.system` returns, and `system()` ignores SIGINT and SIGQUIT while it waits
/// (a Ctrl-C reaches the child only). `preexec_fn`, `pass_fds` and the other `Popen` keywords
/// are passed to asyncio, which hands them to `subprocess.Popen`: they do not need a thread.
///
/// What changes, in both strategies, is that the waiting task can now be cancelled
/// (`asyncio.wait_for` timing out, a `TaskGroup` failing), which the blocking call never was.
/// The child then runs on to its end, as it would have; the native statements stop waiting for
/// it, the thread strategy's worker thread goes on waiting and its result is dropped. The native
/// statements need an event loop that runs subprocesses (asyncio's default loops do, on Windows
/// the proactor loop, which is the default).
///
/// Calls in sync functions are not reported (they do not block the loop there), nor the
/// functions passed as values (`run_in_executor(None, subprocess.run, cmd)`). A call inside a
/// generator expression, or in an f-string `=` field, is reported without a fix.
///
/// `proc.communicate(...)`, `proc.wait(...)` and `proc.stdout.read()` / `proc.stderr.read()` on
/// a `subprocess.Popen` object (every binding of `proc` is `proc = subprocess.Popen(...)`) wait
/// for the child. In the native strategy, when `proc` is bound once, by the `Popen(...)` call,
/// in this function, and is used only to wait (`communicate()`, with a literal input only on a
/// piped stdin; `wait()`; `read()` of a pipe), to read `pid`, and to read `returncode` after a
/// statement of the same block that waits: the call becomes `await
/// asyncio.create_subprocess_exec(...)` (or `_shell`) and every wait is awaited, one fix for
/// all of them; `communicate()` on a piped stdin gets `b""`, which asyncio needs to close it.
/// In text mode (`text`, `universal_newlines`, `encoding`, `errors` as literals) or with
/// `communicate(timeout=...)`, `communicate()` becomes a call of a second helper coroutine
/// added once per module, `_popen_communicate(proc, args, input, timeout, codec)`: it starts
/// reading the pipes and writing the input (encoded in text mode) on the first call and keeps
/// them on the process; on a timeout it raises `TimeoutExpired(args, timeout, output=...,
/// stderr=...)` with the bytes read so far and goes on reading, so that the next call returns
/// the whole output, as subprocess's does; it decodes each output as subprocess's text pipes do
/// (newlines translated). `kill()` and `terminate()` are allowed as the first statement of an
/// `except subprocess.TimeoutExpired:` handler of a `try` around `communicate(timeout=...)` (no
/// other task runs between the timeout and the signal, so the child is not reaped: an asyncio
/// process's `kill()` raises then, subprocess's does nothing), and so is a second
/// `communicate()` after it in that handler, without input or timeout; `returncode` may be read
/// after such a `try` whose handlers wait or raise. Otherwise, and in the thread strategy, the
/// waits move to a thread: `await asyncio.to_thread(proc.communicate, input, timeout=5)`; the
/// note says why (`poll()` and a `kill()` after the child is reaped behave differently on an
/// asyncio process, its `returncode` is set without a `wait()`, its pipes give bytes to
/// `read()`, a second `communicate()` returns empty output where subprocess's returns the first
/// output again or raises `ValueError` on a closed pipe, `wait()` with a pipe nothing reads
/// also waits for the pipe to close, which a grandchild may hold open). The waits of a
/// `subprocess.Popen(...)` that is not bound to a name (`Popen(cmd,
/// stdout=PIPE).communicate()`, `.stdout.read()`, `.wait()`) move to a thread too. Starting the
/// child (`Popen(...)`) does not wait for it and is not reported. `with subprocess.Popen(...)
/// as proc:` waits for the child when the block exits, which cannot be awaited: it is reported
/// without a fix. Reading a child's pipe waits for its output. In the native strategy,
/// `os.popen(cmd).read()` with a `str` command at the head of a statement becomes
/// `create_subprocess_shell(cmd, stdout=PIPE)` and its output decoded as `os.popen`'s text pipe
/// does (the locale's encoding, newlines translated). Otherwise the read moves to a thread:
/// `await asyncio.to_thread(os.popen(cmd).read)` (the child starts on the loop's thread as
/// before, only the read moves; `readlines()` and `read(size)` likewise), and so do the reads
/// of a name bound to `os.popen(cmd)` (`p = os.popen(cmd)`, `with os.popen(cmd) as p:`). These
/// are safe: the same calls run in the same order.
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
    requires: None,
    doc: Subprocess::DOC,
};

/// Another module of the run mentions `SIGCHLD` (it may ignore the signal for the whole
/// process): asyncio subprocesses would not see their children exit.
pub static SIGCHLD_ELSEWHERE: RunFact = RunFact {
    name: "sigchld-elsewhere",
    marks: &["SIGCHLD"],
    needed_by: &["subprocess", "system", "popen"],
    planned: None,
};

impl Recipe for Subprocess {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    fn run_facts(&self) -> &'static [RunFact] {
        std::slice::from_ref(&SIGCHLD_ELSEWHERE)
    }

    /// `system` and `popen` resolve to `os.system` and `os.popen` only in a module that
    /// imports `os`.
    fn mentions(&self, text: &str) -> bool {
        mentions_word(text, "subprocess")
            || (mentions_word(text, "os")
                && (mentions_word(text, "system") || mentions_word(text, "popen")))
    }

    /// Async code that reaches `subprocess`, `os.system` or `os.popen` (a prompt's `"system"`
    /// role in a module that imports `os` does not).
    fn may_apply(&self, text: &str) -> bool {
        contains(text, "async")
            && (mentions_word(text, "subprocess")
                || (mentions_word(text, "os")
                    && (may_reach(text, "os", "system", None)
                        || may_reach(text, "os", "popen", None))))
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
        let (call, label, native) =
            if let Some((call, method, receiver)) = popen_wait(checker, expr) {
                // An unbound `Popen(...).wait()` moves to a thread.
                let native = receiver.is_name_expr().then_some(Native::Popen(receiver));
                (call, format!("Popen.{method}()"), native)
            } else if let Some((call, label, native)) = pipe_read(checker, expr) {
                (call, label, native)
            } else if let Some((call, name)) = checker.blocking_call(self, expr) {
                let native = match name.as_slice() {
                    ["subprocess", api] => inline::Api::from_name(api).map(Native::Inline),
                    _ => None,
                };
                (call, name.join("."), native)
            } else {
                return;
            };
        let message = format!("`{label}` blocks the event loop until the child process exits");
        let mut fallback = None;
        let fix = if let Some(obstacle) = checker.await_obstacle(call) {
            Err(obstacle)
        } else if matches!(checker.parent(), Some(AnyNodeRef::ExprAwait(_))) {
            Err("the call is already awaited".to_owned())
        } else if let Some(native) =
            native.filter(|_| checker.settings.subprocess_strategy == SubprocessStrategy::Native)
        {
            let fix = match native {
                Native::Inline(api) => inline::fix(checker, call, api),
                Native::Popen(receiver) => popen::fix(checker, receiver),
            };
            fix.or_else(|reason| {
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
fn popen_wait<'a>(
    checker: &Checker<'a>,
    expr: &'a Expr,
) -> Option<(&'a ExprCall, &'a str, &'a Expr)> {
    let (call, name, receiver) = method_call(checker, expr, &["communicate", "wait"])?;
    (is_popen_name(checker, receiver) || is_popen_call(checker, receiver))
        .then_some((call, name, receiver))
}

/// Whether `expr` is a `subprocess.Popen(...)` call.
fn is_popen_call<'a>(checker: &Checker<'a>, expr: &'a Expr) -> bool {
    let Expr::Call(call) = expr else { return false };
    checker
        .qualified_name(&call.func)
        .is_some_and(|q| matches!(q.as_slice(), ["subprocess", "Popen"]))
}

/// Whether `expr` is a name bound only to `os.popen(...)`: by assignments, or by the one
/// `with os.popen(...) as name:` around the code being visited.
fn is_os_popen_name<'a>(checker: &Checker<'a>, expr: &'a Expr) -> bool {
    let Expr::Name(name) = expr else { return false };
    let is_os_popen = |value: &'a Expr| {
        matches!(value, Expr::Call(call) if checker
            .qualified_name(&call.func)
            .is_some_and(|q| matches!(q.as_slice(), ["os", "popen"])))
    };
    let semantic = checker.semantic();
    let Some(binding) = semantic.lookup(checker.scope(), name.id.as_str()) else {
        return false;
    };
    if let Some(values) = semantic.assigned_values(binding) {
        return values.iter().all(|value| is_os_popen(value));
    }
    semantic.bindings[binding].bind_count == 1
        && checker.ancestors().any(|node| match node {
            AnyNodeRef::StmtWith(with) => with.items.iter().any(|item| {
                matches!(&item.optional_vars, Some(target)
                    if matches!(&**target, Expr::Name(t) if t.id == name.id))
                    && is_os_popen(&item.context_expr)
            }),
            _ => false,
        })
}

/// `receiver.name(...)` on the event loop, for a `name` of `names`: the call, the name and the
/// receiver.
fn method_call<'a>(
    checker: &Checker<'a>,
    expr: &'a Expr,
    names: &[&str],
) -> Option<(&'a ExprCall, &'a str, &'a Expr)> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(method) = &*call.func else {
        return None;
    };
    let name = method.attr.id.as_str();
    (names.contains(&name) && checker.execution() != Execution::Sync).then_some((
        call,
        name,
        &*method.value,
    ))
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
/// a `subprocess.Popen` object. The call, its label, and what the native strategy writes.
fn pipe_read<'a>(
    checker: &Checker<'a>,
    expr: &'a Expr,
) -> Option<(&'a ExprCall, String, Option<Native<'a>>)> {
    let (call, name, receiver) = method_call(checker, expr, &["read", "readlines"])?;
    match receiver {
        Expr::Call(popen) => {
            let qualified = checker.qualified_name(&popen.func)?;
            let api = (name == "read").then_some(Native::Inline(inline::Api::PopenRead));
            matches!(qualified.as_slice(), ["os", "popen"])
                .then(|| (call, format!("os.popen(...).{name}()"), api))
        }
        Expr::Attribute(pipe) => {
            let stream = pipe.attr.id.as_str();
            let named = is_popen_name(checker, &pipe.value);
            (matches!(stream, "stdout" | "stderr")
                && (named || is_popen_call(checker, &pipe.value)))
            .then(|| {
                // An unbound `Popen(...).stdout.read()` moves to a thread.
                let native = (name == "read" && named).then_some(Native::Popen(&pipe.value));
                (call, format!("Popen.{stream}.{name}()"), native)
            })
        }
        // `p = os.popen(cmd)` or `with os.popen(cmd) as p:`, then `p.read()`: a thread.
        Expr::Name(_) if is_os_popen_name(checker, receiver) => {
            Some((call, format!("os.popen(...).{name}()"), None))
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
