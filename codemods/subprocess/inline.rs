//! The native strategy: a blocking `subprocess` call at the head of a statement becomes
//! asyncio subprocess statements written before it, at its indentation.
//!
//! ```python
//! res = subprocess.run(["git", "status"], capture_output=True, text=True, check=True)
//! ```
//! becomes
//! ```python
//! proc = await asyncio.create_subprocess_exec("git", "status", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
//! stdout, stderr = await proc.communicate()
//! stdout = stdout.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")
//! stderr = stderr.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")
//! if proc.returncode:
//!     raise subprocess.CalledProcessError(proc.returncode, ["git", "status"], output=stdout, stderr=stderr)
//! res = subprocess.CompletedProcess(["git", "status"], proc.returncode, stdout, stderr)
//! ```
//!
//! The statements are those CPython's `subprocess` runs for the call, so the values and the
//! exceptions stay the same. Every case this module cannot write exactly returns the reason,
//! and the recipe moves the call to a thread instead.

use crate::checker::Checker;
use crate::fix::{Edit, Fix};
use crate::hoist::{fresh_names, is_pure, Hoist};
use crate::parse::ast::{self, AnyNodeRef, Expr, ExprCall, Stmt};
use crate::parse::visitor::{self, Visitor};
use crate::parse::{Ranged, TextRange, TextSize};

/// The function being rewritten.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Api {
    Run,
    Call,
    CheckCall,
    CheckOutput,
    GetOutput,
    GetStatusOutput,
    /// `os.popen(cmd).read()`.
    PopenRead,
}

impl Api {
    /// Whether the function takes the keyword `name` and the rewrite handles it.
    fn takes(self, name: &str) -> bool {
        match self {
            Api::GetOutput | Api::GetStatusOutput => matches!(name, "encoding" | "errors"),
            Api::PopenRead => false,
            Api::Run | Api::Call | Api::CheckCall | Api::CheckOutput => {
                PASS_THROUGH.contains(&name)
                    || matches!(
                        name,
                        "stdin"
                            | "stdout"
                            | "stderr"
                            | "shell"
                            | "text"
                            | "universal_newlines"
                            | "encoding"
                            | "errors"
                    )
                    || (matches!(self, Api::Run | Api::CheckOutput) && name == "input")
                    || (self == Api::Run && matches!(name, "capture_output" | "check"))
                    || name == "timeout"
            }
        }
    }

    /// The function of `subprocess` with this name.
    pub(super) fn from_name(name: &str) -> Option<Api> {
        Some(match name {
            "run" => Api::Run,
            "call" => Api::Call,
            "check_call" => Api::CheckCall,
            "check_output" => Api::CheckOutput,
            "getoutput" => Api::GetOutput,
            "getstatusoutput" => Api::GetStatusOutput,
            _ => return None,
        })
    }
}

/// What a `stdin` / `stdout` / `stderr` argument makes of the stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Stream {
    /// `PIPE`: the parent reads (or writes) it.
    Pipe,
    /// Inherited, `DEVNULL`, `STDOUT`, a file descriptor number, `sys.stderr`, `open(...)`.
    NotPiped,
    /// A value that may be `PIPE` at run time (a variable).
    Unknown,
}

/// The `Popen` keywords passed to asyncio as they are written.
pub(super) const PASS_THROUGH: &[&str] = &[
    "executable",
    "preexec_fn",
    "close_fds",
    "cwd",
    "env",
    "startupinfo",
    "creationflags",
    "restore_signals",
    "start_new_session",
    "pass_fds",
    "user",
    "group",
    "extra_groups",
    "umask",
    "pipesize",
    "process_group",
];

/// The call, read: what the new statements need to know.
struct Plan<'a> {
    api: Api,
    shell: bool,
    command: &'a Expr,
    /// The keywords asyncio receives as written (the streams among them), in their order.
    pass_through: Vec<&'a ast::Keyword>,
    stdin: (Stream, Option<&'a ast::Keyword>),
    stdout: (Stream, Option<&'a ast::Keyword>),
    stderr: (Stream, Option<&'a ast::Keyword>),
    /// `timeout=`.
    timeout: Option<&'a Expr>,
    /// `input=`: a literal, never `None`.
    input: Option<Input<'a>>,
    /// The arguments of `create_subprocess_exec` / `_shell` for the command.
    command_arguments: String,
    /// The command where the statements need it again (`args`, `cmd`): as written, or the
    /// local name it was evaluated into.
    command_text: String,
    /// Text mode: the `encoding` and `errors` as written (`None`: the defaults).
    text: Option<(Option<&'a Expr>, Option<&'a Expr>)>,
    check: bool,
}

impl<'a> Plan<'a> {
    /// A call of `api` running `command`, with nothing piped, in binary mode, unchecked.
    fn new(api: Api, command: &'a Expr) -> Self {
        Plan {
            api,
            shell: false,
            command,
            pass_through: Vec::new(),
            stdin: (Stream::NotPiped, None),
            stdout: (Stream::NotPiped, None),
            stderr: (Stream::NotPiped, None),
            input: None,
            timeout: None,
            command_arguments: String::new(),
            command_text: String::new(),
            text: None,
            check: false,
        }
    }
}

/// What `input=` sends.
#[derive(Clone, Copy)]
enum Input<'a> {
    /// `check_output`'s `input=None`: an empty input.
    Empty,
    /// A literal, as written.
    Literal(&'a str),
}

/// Names the new statements bind, free in the function.
struct Names {
    proc: String,
    stdout: String,
    stderr: String,
}

/// The module-level coroutine that waits for a process with a timeout and pipes, as
/// `subprocess.run` does (see the recipe's documentation).
const HELPER: &str = "_communicate_or_kill";
const HELPER_SOURCE: &str = r#"async def _communicate_or_kill(proc, args, input, limit):
    """`subprocess.run`'s wait with a timeout, for an asyncio process: write `input`, read the
    pipes to their end and wait for the child; after `limit` seconds, kill and reap the child
    and raise `TimeoutExpired` with the bytes read so far, as `subprocess.run` does."""
    loop = {asyncio}.get_running_loop()
    deadline = loop.time() + limit
{pipe_tasks}
    if proc.stdin is not None:
        tasks.append({asyncio}.ensure_future(write(proc.stdin, input)))
    expired = None
    try:
        if tasks:
            done, pending = await {asyncio}.wait(tasks, timeout=limit)
            for task in done:
                task.result()
            if pending:
                out, err = [b"".join(chunks) if chunks else None for chunks in outputs]
                expired = {subprocess}.TimeoutExpired(args, limit, output=out, stderr=err)
        if expired is None and proc.returncode is None:
            remaining = deadline - loop.time()
            try:
                await {asyncio}.wait_for(proc.wait(), remaining)
            except {asyncio}.TimeoutError:
                expired = {subprocess}.TimeoutExpired(args, remaining)
    finally:
        for task in tasks:
            task.cancel()
    if expired is not None:
        if proc.returncode is None:
            proc.kill()
        # Not `proc.wait()`: it also waits for a grandchild that holds a pipe open.
        while proc.returncode is None:
            await {asyncio}.sleep(0.01)
        raise expired
    return tuple(None if chunks is None else b"".join(chunks) for chunks in outputs)
"#;

/// The start of both process helpers (this one and `Popen.communicate`'s): one task reading
/// each pipe into `outputs` to its end, and the `write` coroutine that feeds stdin and closes
/// it. `{pipe_tasks}` in a helper's source, at the indentation given.
const PIPE_TASKS: &str = r#"outputs = [None if pipe is None else [] for pipe in (proc.stdout, proc.stderr)]

async def read(pipe, chunks):
    while True:
        chunk = await pipe.read(32768)
        chunks.append(chunk)
        if not chunk:
            return

async def write(pipe, data):
    try:
        if data:
            pipe.write(data)
            await pipe.drain()
        pipe.close()
    except (BrokenPipeError, ConnectionResetError):
        pass

pipes = zip((proc.stdout, proc.stderr), outputs)
tasks = [{asyncio}.ensure_future(read(pipe, chunks)) for pipe, chunks in pipes if pipe]"#;

/// A process helper's template as earlier versions wrote it: its time limit was the parameter
/// `timeout`, which ruff's ASYNC109 reports in an `async def` (the helpers implement the limit
/// themselves). A module migrated then has that helper, which stays the helper.
pub(super) fn earlier_source(template: &str) -> String {
    template.replace("limit", "timeout")
}

/// A process helper's source: `{pipe_tasks}` filled in at `indent`, then the module names.
pub(super) fn helper_source(
    template: &str,
    indent: &str,
    asyncio: &str,
    subprocess: &str,
) -> String {
    let pipe_tasks: Vec<String> = PIPE_TASKS
        .lines()
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("{indent}{line}")
            }
        })
        .collect();
    template
        .replace("{pipe_tasks}", &pipe_tasks.join("\n"))
        .replace("{asyncio}", asyncio)
        .replace("{subprocess}", subprocess)
}

/// The fix, or why the call cannot be written as asyncio statements (the recipe then moves
/// it to a thread).
pub(super) fn fix(checker: &Checker<'_>, call: &ExprCall, api: Api) -> Result<Fix, String> {
    let hoist = Hoist::new(checker, call)?;
    if let Some(reason) = sigchld_handled(checker) {
        return Err(reason);
    }
    let mut plan = read_call(checker, call, api)?;
    let [proc, stdout, stderr, command] =
        fresh_names(checker, ["proc", "stdout", "stderr", "command"])?;
    let names = Names {
        proc,
        stdout,
        stderr,
    };
    let mut imports = Vec::new();
    let mut module = |name: &str| -> Result<String, String> {
        let (alias, edit) = checker.import_module(name)?;
        imports.extend(edit);
        Ok(alias)
    };
    // The command is evaluated once, as subprocess does: written again (`args` of the
    // result, `cmd` of the error) only when it is made of names and literals, else evaluated
    // into a local name first. A command holding a comment is written once too.
    let needs_args = plan.check || plan.timeout.is_some() || (!hoist.whole && plan.api == Api::Run);
    let command_range = plan.command.range();
    let bound = (needs_args && !is_pure(plan.command)) || checker.has_comment_in(command_range);
    let mut lines = Vec::new();
    if bound {
        plan.command_arguments = bound_arguments(checker, &plan, &command)?;
        // A command on several lines needs brackets around it on its own line.
        let text = &checker.source[command_range];
        let text = if text.contains(['\n', '\r']) && !text.starts_with(['[', '(', '{']) {
            format!("({text})")
        } else {
            text.to_owned()
        };
        lines.push((0, format!("{command} = {text}")));
        plan.command_text = command;
    } else {
        let written = checker.source[command_range].to_owned();
        plan.command_arguments = if plan.shell {
            written.clone()
        } else {
            exec_arguments(checker, plan.command)?
        };
        plan.command_text = written;
    }
    // Comments of the call outside what is copied go before the new statements.
    let mut copied = vec![command_range];
    copied.extend(plan.pass_through.iter().map(|k| k.range()));
    let comments: Vec<(usize, String)> = checker
        .parsed
        .comments_in(call.range())
        .into_iter()
        .filter(|comment| !copied.iter().any(|range| range.contains_range(*comment)))
        .map(|comment| (0, checker.source[comment].to_owned()))
        .collect();
    let mut helper = false;
    let statements = statements(
        checker,
        &plan,
        &names,
        hoist.whole,
        &mut module,
        &mut helper,
    )?;
    let mut all = comments;
    all.extend(lines);
    all.extend(statements);
    let mut edits = hoist.edits(checker, call.range(), &all)?;
    // The imports stay separate edits: another fix may add some of them too.
    let mut helper_edit = None;
    if helper {
        // The helper is at the top level: the modules' names there.
        let mut top = |name: &str| -> Result<String, String> {
            let (alias, edit) = checker.import_module_in(0, TextSize::default(), name)?;
            imports.extend(edit);
            Ok(alias)
        };
        let (asyncio, subprocess) = (top("asyncio")?, top("subprocess")?);
        let source = helper_source(HELPER_SOURCE, "    ", &asyncio, &subprocess);
        let earlier = helper_source(
            &earlier_source(HELPER_SOURCE),
            "    ",
            &asyncio,
            &subprocess,
        );
        helper_edit = checker.define_helper(HELPER, &source, &[earlier])?;
        if !checker.semantic().is_free(checker.scope(), HELPER)
            && checker.semantic().lookup(checker.scope(), HELPER)
                != checker.semantic().lookup(0, HELPER)
        {
            return Err(format!("the name `{HELPER}` is bound in this function"));
        }
    }
    let unique = imports_then_helper(imports, helper_edit);
    edits.extend(unique);
    Ok(Fix::safe(edits))
}

/// The import edits (once each) and the helper's definition: the helper goes where the
/// imports go, after them, as one edit with those at its place.
pub(super) fn imports_then_helper(imports: Vec<Edit>, helper: Option<Edit>) -> Vec<Edit> {
    let mut unique: Vec<Edit> = Vec::new();
    for import in imports {
        if !unique.contains(&import) {
            unique.push(import);
        }
    }
    if let Some(helper) = helper {
        let (before, mut others): (Vec<Edit>, Vec<Edit>) = unique
            .into_iter()
            .partition(|import| import.range == helper.range);
        let content: String = before
            .iter()
            .map(|import| &*import.content)
            .chain([&*helper.content])
            .collect();
        others.push(Edit::insertion(content, helper.range.start()));
        unique = others;
    }
    unique
}

/// Why asyncio would not see this module's children exit as subprocess does: the module
/// handles `SIGCHLD` (`signal.signal(signal.SIGCHLD, signal.SIG_IGN)` in a daemon, or a
/// handler that reaps children). The kernel then reaps them before asyncio's child watcher,
/// which reports the return code 255, where subprocess reports 0.
pub(super) fn sigchld_handled(checker: &Checker<'_>) -> Option<String> {
    if let Some(other) = checker
        .settings
        .facts
        .elsewhere(super::SIGCHLD_ELSEWHERE.name)
    {
        return Some(format!(
            "{} mentions `SIGCHLD` (it may ignore the signal or reap children for the whole process): asyncio would not see the child exit and would report the return code 255",
            other.path.display()
        ));
    }
    // A quick look at the text first: most modules never mention the signal.
    if !checker.source.contains("SIGCHLD") {
        return None;
    }
    struct Finder<'c, 'a> {
        checker: &'c Checker<'a>,
        found: bool,
    }
    impl<'a> Visitor<'a> for Finder<'_, 'a> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            let semantic = self.checker.semantic();
            if matches!(expr, Expr::Attribute(_) | Expr::Name(_))
                && semantic.qualified_name(0, expr).is_some_and(|q| {
                    matches!(
                        q.as_slice(),
                        ["signal", "SIGCHLD"] | ["signal", "Signals", "SIGCHLD"]
                    )
                })
            {
                self.found = true;
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder {
        checker,
        found: false,
    };
    finder.visit_body(checker.suite());
    finder.found.then(|| "the module handles `SIGCHLD` (`signal.SIG_IGN` or a handler): the kernel or the handler reaps the child before asyncio sees it exit, and asyncio reports the return code 255".to_owned())
}

/// The arguments of `create_subprocess_exec` / `_shell` for a command evaluated into the
/// local `name`: `*name` for a list of arguments, `name` for a string.
fn bound_arguments<'a>(
    checker: &Checker<'a>,
    plan: &Plan<'a>,
    name: &str,
) -> Result<String, String> {
    let command = plan.command;
    if plan.shell {
        // Checked by `read_call`: the command is a string.
        return Ok(name.to_owned());
    }
    if sequence_kind(checker, command, 0) == Some(true) {
        Ok(format!("*{name}"))
    } else if matches!(command, Expr::StringLiteral(_) | Expr::FString(_)) {
        Ok(name.to_owned())
    } else {
        Err("the command is an expression that may not be a list of arguments".to_owned())
    }
}

/// Whether `expr` gives a list or a tuple (and whether it is surely not empty): a display,
/// `list(...)`, a conditional or a sum of those, a name bound only to those (and extended with
/// `+=` when every value is a list).
fn sequence_kind<'a>(checker: &Checker<'a>, expr: &'a Expr, depth: usize) -> Option<bool> {
    if depth > 8 {
        return None;
    }
    let non_empty = |elts: &[Expr]| elts.iter().any(|e| !e.is_starred_expr());
    match expr {
        Expr::List(list) => Some(non_empty(&list.elts)),
        Expr::Tuple(tuple) => Some(non_empty(&tuple.elts)),
        Expr::Call(call)
            if checker
                .qualified_name(&call.func)
                .is_some_and(|q| matches!(q.as_slice(), ["builtins", "list" | "tuple"])) =>
        {
            Some(false)
        }
        Expr::If(conditional) => {
            let body = sequence_kind(checker, &conditional.body, depth + 1)?;
            let orelse = sequence_kind(checker, &conditional.orelse, depth + 1)?;
            Some(body && orelse)
        }
        Expr::BinOp(binop) if binop.op == ast::Operator::Add => {
            let left = sequence_kind(checker, &binop.left, depth + 1)?;
            let right = sequence_kind(checker, &binop.right, depth + 1)?;
            Some(left || right)
        }
        Expr::Name(name) => name_sequence_kind(checker, name.id.as_str(), depth),
        _ => None,
    }
}

/// [`sequence_kind`] for a name: every binding of it is `name = <sequence>`, or `name += x`
/// when every `name = ...` value is a list (`list += x` extends the same list).
fn name_sequence_kind<'a>(checker: &Checker<'a>, name: &str, depth: usize) -> Option<bool> {
    let semantic = checker.semantic();
    let binding = semantic.lookup(checker.scope(), name)?;
    let binding = &semantic.bindings[binding];
    let values = &binding.values;
    if values.is_empty() {
        return None;
    }
    let extensions = if values.len() as u32 == binding.bind_count {
        0
    } else {
        let body = if binding.scope == 0 {
            checker.suite()
        } else if binding.scope == checker.scope() {
            &checker.function_def()?.body
        } else {
            return None;
        };
        let mut extensions = Extensions {
            name,
            count: 0,
            other: false,
        };
        extensions.visit_body(body);
        if extensions.other {
            return None;
        }
        extensions.count
    };
    if values.len() as u32 + extensions != binding.bind_count {
        return None;
    }
    let mut all_non_empty = true;
    for value in values {
        if extensions > 0 && !matches!(value, Expr::List(_)) {
            return None;
        }
        all_non_empty &= sequence_kind(checker, value, depth + 1)?;
    }
    Some(all_non_empty)
}

/// The `name += value` statements of a body (not in nested functions or classes); `other`
/// when another augmented assignment binds the name.
struct Extensions<'n> {
    name: &'n str,
    count: u32,
    other: bool,
}

impl<'a> Visitor<'a> for Extensions<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::AugAssign(assign) => {
                if matches!(&*assign.target, Expr::Name(n) if n.id.as_str() == self.name) {
                    if assign.op == ast::Operator::Add {
                        self.count += 1;
                    } else {
                        self.other = true;
                    }
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }
}

/// Whether `**kwargs` (the name `value`) can only hold keywords passed to asyncio as written:
/// it is bound once in this function, to a dict display with string keys, and otherwise only
/// given keys by `kwargs["key"] = ...` and unpacked into calls; none of its keys is among the
/// call's own keywords.
fn known_kwargs<'a>(checker: &Checker<'a>, value: &'a Expr, call: &ExprCall) -> Result<(), String> {
    let refuse = || Err("`**kwargs` whose keys are not known".to_owned());
    let Expr::Name(name) = value else {
        return refuse();
    };
    let semantic = checker.semantic();
    let Some(binding) = semantic.lookup(checker.scope(), name.id.as_str()) else {
        return refuse();
    };
    if semantic.bindings[binding].scope != checker.scope() {
        return refuse();
    }
    let Some([Expr::Dict(dict)]) = semantic.assigned_values(binding) else {
        return refuse();
    };
    let Some(function) = checker.function_def() else {
        return refuse();
    };
    let mut keys = Vec::new();
    for item in &dict.items {
        match &item.key {
            Some(Expr::StringLiteral(key)) => keys.push(key.value.to_str().to_owned()),
            _ => return refuse(),
        }
    }
    let mut uses = KwargsUses {
        name: name.id.as_str(),
        parents: Vec::new(),
        keys,
        other: false,
    };
    uses.visit_body(&function.body);
    if uses.other {
        return Err(format!(
            "`**{}`: the dict is used otherwise than given literal keys and unpacked",
            name.id
        ));
    }
    for key in &uses.keys {
        if !PASS_THROUGH.contains(&key.as_str()) {
            return Err(format!(
                "`**{}` may hold `{key}`, which the rewrite does not pass as written",
                name.id
            ));
        }
        if call.arguments.find_keyword(key).is_some() {
            return Err(format!("`**{}` may repeat the keyword `{key}`", name.id));
        }
    }
    Ok(())
}

/// The uses of a dict name in a function body: the keys it is given.
struct KwargsUses<'a> {
    name: &'a str,
    parents: Vec<AnyNodeRef<'a>>,
    keys: Vec<String>,
    other: bool,
}

impl<'a> Visitor<'a> for KwargsUses<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            // A nested scope that mentions the name may change it.
            let mut inner = KwargsUses {
                name: self.name,
                parents: Vec::new(),
                keys: Vec::new(),
                other: false,
            };
            visitor::walk_stmt(&mut inner, stmt);
            self.other |= inner.other || !inner.keys.is_empty();
            return;
        }
        self.parents.push(stmt.into());
        visitor::walk_stmt(self, stmt);
        self.parents.pop();
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(name) = expr {
            if name.id.as_str() == self.name && name.ctx == ast::ExprContext::Load {
                match self.parents.last() {
                    // `kwargs["key"] = value`
                    Some(AnyNodeRef::ExprSubscript(subscript))
                        if subscript.ctx == ast::ExprContext::Store
                            && subscript.value.range() == expr.range() =>
                    {
                        match &*subscript.slice {
                            Expr::StringLiteral(key) => {
                                self.keys.push(key.value.to_str().to_owned());
                            }
                            _ => self.other = true,
                        }
                    }
                    // `f(..., **kwargs)`
                    Some(AnyNodeRef::Arguments(arguments))
                        if arguments
                            .keywords
                            .iter()
                            .any(|k| k.arg.is_none() && k.value.range() == expr.range()) => {}
                    _ => self.other = true,
                }
            }
            return;
        }
        self.parents.push(expr.into());
        visitor::walk_expr(self, expr);
        self.parents.pop();
    }

    fn visit_arguments(&mut self, arguments: &'a ast::Arguments) {
        self.parents.push(arguments.into());
        visitor::walk_arguments(self, arguments);
        self.parents.pop();
    }
}

/// Whether `expr` is a `str` value (or, with `bytes`, a `str` or `bytes` one), or raises before
/// the call: a literal, an f-string, string concatenation or formatting,
/// `shlex.join`/`shlex.quote`, or a name every binding of which is one of those.
pub(super) fn is_string(checker: &Checker<'_>, expr: &Expr, bytes: bool) -> bool {
    match expr {
        Expr::StringLiteral(_) | Expr::FString(_) => true,
        Expr::BytesLiteral(_) => bytes,
        Expr::BinOp(binop) => match binop.op {
            ast::Operator::Add => {
                is_string(checker, &binop.left, bytes) || is_string(checker, &binop.right, bytes)
            }
            ast::Operator::Mod => is_string(checker, &binop.left, bytes),
            _ => false,
        },
        Expr::Call(call) => match &*call.func {
            Expr::Attribute(method) => {
                (matches!(&*method.value, Expr::StringLiteral(_))
                    && matches!(method.attr.id.as_str(), "format" | "join"))
                    || checker
                        .qualified_name(&call.func)
                        .is_some_and(|q| matches!(q.as_slice(), ["shlex", "join" | "quote"]))
            }
            _ => false,
        },
        Expr::Name(name) => bound_values(checker, name.id.as_str())
            .is_some_and(|values| values.iter().all(|value| is_string(checker, value, bytes))),
        _ => false,
    }
}

/// The values of `name` in the current scope, when every binding of it is an assignment.
fn bound_values<'a>(checker: &Checker<'a>, name: &str) -> Option<Vec<&'a Expr>> {
    let semantic = checker.semantic();
    let binding = semantic.lookup(checker.scope(), name)?;
    semantic.assigned_values(binding).map(<[_]>::to_vec)
}

fn is_name(checker: &Checker<'_>, expr: &Expr, candidates: &[&[&str]]) -> bool {
    checker
        .qualified_name(expr)
        .is_some_and(|q| candidates.contains(&q.as_slice()))
}

/// What a stream argument makes of the stream (`None`: not given).
pub(super) fn stream(checker: &Checker<'_>, value: Option<&Expr>) -> Stream {
    let Some(value) = value else {
        return Stream::NotPiped;
    };
    const PIPE: &[&[&str]] = &[&["subprocess", "PIPE"], &["asyncio", "subprocess", "PIPE"]];
    const OTHER: &[&[&str]] = &[
        &["subprocess", "DEVNULL"],
        &["subprocess", "STDOUT"],
        &["asyncio", "subprocess", "DEVNULL"],
        &["asyncio", "subprocess", "STDOUT"],
        &["sys", "stdout"],
        &["sys", "stderr"],
        &["sys", "stdin"],
    ];
    match value {
        Expr::NoneLiteral(_) | Expr::NumberLiteral(_) => Stream::NotPiped,
        _ if is_name(checker, value, PIPE) => Stream::Pipe,
        _ if is_name(checker, value, OTHER) => Stream::NotPiped,
        Expr::Call(call)
            if matches!(&*call.func, Expr::Name(f) if f.id.as_str() == "open"
                && checker.semantic().lookup(checker.scope(), "open").is_none()) =>
        {
            Stream::NotPiped
        }
        _ => Stream::Unknown,
    }
}

/// A boolean keyword's literal value (`None` counts as false); `Err` for anything else.
fn flag(keyword: &ast::Keyword) -> Result<bool, String> {
    match &keyword.value {
        Expr::BooleanLiteral(literal) => Ok(literal.value),
        Expr::NoneLiteral(_) => Ok(false),
        _ => Err(format!(
            "`{}=` is not `True` or `False`",
            keyword.arg.as_ref().map_or("", |a| a.id.as_str())
        )),
    }
}

/// Reads the call's arguments into a plan, or says which one cannot be written exactly.
fn read_call<'a>(checker: &Checker<'a>, call: &'a ExprCall, api: Api) -> Result<Plan<'a>, String> {
    if api == Api::PopenRead {
        return read_popen_read(checker, call);
    }
    let arguments = &call.arguments;
    let [command] = &*arguments.args else {
        return Err("the command is not the one positional argument".to_owned());
    };
    if command.is_starred_expr() {
        return Err("`*args`".to_owned());
    }
    let shell_api = matches!(api, Api::GetOutput | Api::GetStatusOutput);
    let mut plan = Plan::new(api, command);
    plan.shell = shell_api;
    plan.check = matches!(api, Api::CheckCall | Api::CheckOutput);
    let mut text_flag: Option<&str> = None;
    let mut text_mode = shell_api;
    let mut encoding = None;
    let mut errors = None;
    let mut capture = false;
    let mut input = None;
    let mut empty_codec = None;
    for keyword in &arguments.keywords {
        let Some(name) = &keyword.arg else {
            if api.takes("cwd") {
                known_kwargs(checker, &keyword.value, call)?;
                plan.pass_through.push(keyword);
                continue;
            }
            return Err("`**kwargs`".to_owned());
        };
        let name = name.id.as_str();
        let value = &keyword.value;
        if !api.takes(name) {
            return Err(format!("the keyword `{name}`"));
        }
        let read = (stream(checker, Some(value)), Some(keyword));
        match name {
            "stdout" if api == Api::CheckOutput => {
                return Err("`stdout=` (check_output raises `ValueError`)".to_owned())
            }
            "stdin" | "stdout" | "stderr" => {
                *(match name {
                    "stdin" => &mut plan.stdin,
                    "stdout" => &mut plan.stdout,
                    _ => &mut plan.stderr,
                }) = read;
                plan.pass_through.push(keyword);
            }
            "shell" => plan.shell = flag(keyword)?,
            "check" => plan.check = flag(keyword)?,
            "capture_output" => capture = flag(keyword)?,
            "text" | "universal_newlines" => {
                if let Some(other) = text_flag.replace(name) {
                    return Err(format!("both `{other}=` and `{name}=`"));
                }
                text_mode |= flag(keyword)?;
            }
            "encoding" | "errors" if value.is_none_literal_expr() => {}
            // An empty string is false: subprocess stays in binary mode (and fails to open a
            // text pipe with it in text mode).
            "encoding" | "errors" if is_empty_string(value) => empty_codec = Some(name),
            "encoding" | "errors" => {
                if !matches!(value, Expr::StringLiteral(_)) {
                    return Err(format!(
                        "`{name}=` is not a string literal (an empty string would leave binary mode)"
                    ));
                }
                text_mode = true;
                *(if name == "encoding" {
                    &mut encoding
                } else {
                    &mut errors
                }) = Some(value);
            }
            "input" => input = Some(value),
            "timeout" if value.is_none_literal_expr() => {}
            "timeout" if is_pure(value) => plan.timeout = Some(value),
            "timeout" => return Err("`timeout=` is an expression".to_owned()),
            _ => plan.pass_through.push(keyword),
        }
    }
    if let (Some(name), true) = (empty_codec, text_mode) {
        return Err(format!(
            "`{name}=\"\"` in text mode (subprocess fails to open the pipes)"
        ));
    }
    if text_mode {
        plan.text = Some((encoding, errors));
    }
    if capture {
        if plan.stdout.1.is_some() || plan.stderr.1.is_some() {
            return Err("`capture_output=` with `stdout=` or `stderr=`".to_owned());
        }
        plan.stdout.0 = Stream::Pipe;
        plan.stderr.0 = Stream::Pipe;
    }
    match api {
        Api::CheckOutput | Api::GetOutput | Api::GetStatusOutput => plan.stdout.0 = Stream::Pipe,
        _ => {}
    }
    if shell_api {
        plan.stderr.0 = Stream::NotPiped;
    }
    plan.input = read_input(checker, api, input, text_mode)?;
    if plan.input.is_some() {
        if plan.stdin.1.is_some() {
            return Err("both `stdin=` and `input=` (subprocess raises `ValueError`)".to_owned());
        }
        plan.stdin.0 = Stream::Pipe;
    }
    check_streams(&plan)?;
    if plan.shell && !is_string(checker, command, true) {
        return Err(
            "with `shell=True`, the command may be a list, which asyncio does not take".to_owned(),
        );
    }
    Ok(plan)
}

/// Whether `expr` is `""` (or `b""`).
fn is_empty_string(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(literal) => literal.value.to_str().is_empty(),
        Expr::BytesLiteral(literal) => literal.value.bytes().next().is_none(),
        _ => false,
    }
}

/// `input=`: a literal, of the call's text mode; `check_output`'s `input=None` is an empty one.
fn read_input<'a>(
    checker: &Checker<'a>,
    api: Api,
    input: Option<&'a Expr>,
    text_mode: bool,
) -> Result<Option<Input<'a>>, String> {
    Ok(match input {
        Some(Expr::NoneLiteral(_)) if api == Api::CheckOutput => Some(Input::Empty),
        Some(Expr::NoneLiteral(_)) | None => None,
        Some(value @ (Expr::StringLiteral(_) | Expr::FString(_))) if text_mode && is_pure(value) => {
            Some(Input::Literal(&checker.source[value.range()]))
        }
        Some(value @ Expr::BytesLiteral(_)) if !text_mode => {
            Some(Input::Literal(&checker.source[value.range()]))
        }
        Some(_) => {
            return Err("`input=` is not a literal of the call's text mode (it may be `None`, which leaves stdin alone)".to_owned())
        }
    })
}

/// Whether asyncio's pipes can stand for subprocess's: a stream subprocess reads must be
/// known to be a pipe or not (to decode it, to close it), one it never reads (`call`) must not
/// be a pipe asyncio would read.
fn check_streams(plan: &Plan<'_>) -> Result<(), String> {
    let reads = !matches!(plan.api, Api::Call | Api::CheckCall);
    let streams = [
        ("stdin", plan.stdin.0),
        ("stdout", plan.stdout.0),
        ("stderr", plan.stderr.0),
    ];
    for (name, stream) in streams {
        match stream {
            Stream::Unknown if name == "stdin" || plan.text.is_some() || !reads => {
                return Err(format!("`{name}=` may be `PIPE`: it is a variable"));
            }
            Stream::Pipe if !reads => {
                return Err(format!(
                    "`{name}=PIPE` with a function that never reads the pipe"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `os.popen(cmd).read()`: the shell runs `cmd` with its output piped and read as text (the
/// locale's encoding, newlines translated), the child is waited for when the pipe is closed.
fn read_popen_read<'a>(checker: &Checker<'a>, call: &'a ExprCall) -> Result<Plan<'a>, String> {
    let Expr::Attribute(method) = &*call.func else {
        return Err("not a method call".to_owned());
    };
    let Expr::Call(popen) = &*method.value else {
        return Err("not a method of `os.popen(...)`".to_owned());
    };
    if !call.arguments.is_empty() {
        return Err("`read()` is given a size".to_owned());
    }
    let ([command], []) = (&*popen.arguments.args, &*popen.arguments.keywords) else {
        return Err("`os.popen` is given a mode or a buffering".to_owned());
    };
    if !is_string(checker, command, false) {
        return Err("the command may not be a `str` (`os.popen` raises `TypeError`)".to_owned());
    }
    let mut plan = Plan::new(Api::PopenRead, command);
    plan.shell = true;
    plan.stdout.0 = Stream::Pipe;
    plan.text = Some((None, None));
    Ok(plan)
}

/// The arguments of `encode` / `decode` for the plan's text mode (`locale`: the name of the
/// `locale` module, for the default encoding).
fn codec_arguments(checker: &Checker<'_>, plan: &Plan<'_>, locale: &str) -> String {
    let Some((encoding, errors)) = plan.text else {
        return String::new();
    };
    let encoding = encoding.map_or_else(
        || format!("{locale}.getpreferredencoding(False)"),
        |e| checker.source[e.range()].to_owned(),
    );
    match errors {
        Some(errors) => format!("{encoding}, {}", &checker.source[errors.range()]),
        None => encoding,
    }
}

/// The arguments of `create_subprocess_exec` for the command: a list or tuple literal's
/// items, `*cmd` for a name bound to lists, the program name for a string.
pub(super) fn exec_arguments<'a>(
    checker: &Checker<'a>,
    command: &'a Expr,
) -> Result<String, String> {
    let source = checker.source;
    let sequence = |elts: &[Expr], node: AnyNodeRef| -> Result<String, String> {
        let (Some(first), Some(last)) = (elts.first(), elts.last()) else {
            return Err("the command is empty".to_owned());
        };
        let range = |e: &Expr| {
            checker
                .parsed
                .parenthesized_range(e, node)
                .unwrap_or(e.range())
        };
        Ok(source[TextRange::new(range(first).start(), range(last).end())].to_owned())
    };
    match command {
        Expr::List(list) => sequence(&list.elts, command.into()),
        Expr::Tuple(tuple) => sequence(&tuple.elts, command.into()),
        Expr::StringLiteral(_) | Expr::FString(_) | Expr::BytesLiteral(_) => {
            Ok(source[command.range()].to_owned())
        }
        Expr::Name(name) => {
            let values = bound_values(checker, name.id.as_str()).unwrap_or_default();
            // A non-empty literal: an empty command raises another error than subprocess's.
            let non_empty = |v: &&Expr| match v {
                Expr::List(ast::ExprList { elts, .. })
                | Expr::Tuple(ast::ExprTuple { elts, .. }) => !elts.is_empty(),
                _ => false,
            };
            if (!values.is_empty() && values.iter().all(non_empty))
                || name_sequence_kind(checker, name.id.as_str(), 0) == Some(true)
            {
                Ok(format!("*{}", name.id))
            } else if !values.is_empty()
                && values
                    .iter()
                    .all(|v| matches!(v, Expr::StringLiteral(_) | Expr::FString(_)))
            {
                Ok(name.id.to_string())
            } else {
                Err(format!(
                    "`{}` may be a string or a path, not a list of arguments",
                    name.id
                ))
            }
        }
        _ => Err("the command is not a list, a tuple, a string or a name bound to one".to_owned()),
    }
}

/// The new statements, `(depth, text)`; unless the call is the whole statement, the last is
/// the expression that replaces the call.
fn statements(
    checker: &Checker<'_>,
    plan: &Plan<'_>,
    names: &Names,
    whole: bool,
    module: &mut dyn FnMut(&str) -> Result<String, String>,
    helper: &mut bool,
) -> Result<Vec<(usize, String)>, String> {
    let source = checker.source;
    let Names {
        proc,
        stdout,
        stderr,
    } = names;
    let asyncio = module("asyncio")?;
    let pipe = format!("{asyncio}.subprocess.PIPE");
    // Keywords: the user's as written, in their order (they are evaluated in that order), then
    // the pipes the call implies.
    let mut keywords: Vec<String> = plan
        .pass_through
        .iter()
        .map(|k| source[k.range()].to_owned())
        .collect();
    for (name, (stream, keyword)) in [
        ("stdin", plan.stdin),
        ("stdout", plan.stdout),
        ("stderr", plan.stderr),
    ] {
        if keyword.is_none() && stream == Stream::Pipe {
            keywords.push(format!("{name}={pipe}"));
        }
    }
    if matches!(plan.api, Api::GetOutput | Api::GetStatusOutput) {
        keywords.push(format!("stderr={asyncio}.subprocess.STDOUT"));
    }
    let create = if plan.shell { "shell" } else { "exec" };
    let mut arguments = plan.command_arguments.clone();
    for keyword in keywords {
        arguments.push_str(", ");
        arguments.push_str(&keyword);
    }
    let mut lines = vec![(
        0,
        format!("{proc} = await {asyncio}.create_subprocess_{create}({arguments})"),
    )];

    let reads_output = [plan.stdout.0, plan.stderr.0]
        .iter()
        .any(|s| *s != Stream::NotPiped);
    let communicates = reads_output || plan.stdin.0 == Stream::Pipe;
    let locale = if plan.text.is_some_and(|(encoding, _)| encoding.is_none()) {
        module("locale")?
    } else {
        String::new()
    };
    let codec = codec_arguments(checker, plan, &locale);
    let input = match (plan.input, &plan.text) {
        (Some(Input::Empty), Some(_)) => format!("\"\".encode({codec})"),
        (Some(Input::Literal(text)), Some(_)) => format!("{text}.encode({codec})"),
        (Some(Input::Literal(bytes)), None) => bytes.to_owned(),
        (Some(Input::Empty), None) => "b\"\"".to_owned(),
        // Asyncio closes a piped stdin only when given an input, subprocess always does.
        (None, _) if plan.stdin.0 == Stream::Pipe => "b\"\"".to_owned(),
        (None, _) => String::new(),
    };
    // The outputs are kept when something uses them; text is decoded in any case, as
    // subprocess does (a decoding error is raised).
    let needs_value = !whole || plan.check || (plan.text.is_some() && reads_output);
    if let (true, Some(timeout)) = (communicates, plan.timeout) {
        // The pipes are read until the timeout, then the child is killed: the helper.
        let timeout = &source[timeout.range()];
        let input = if input.is_empty() { "None" } else { &input };
        let wait = format!(
            "await {HELPER}({proc}, {}, {input}, {timeout})",
            plan.command_text
        );
        *helper = true;
        if reads_output && needs_value {
            lines.push((0, format!("{stdout}, {stderr} = {wait}")));
        } else {
            lines.push((0, wait));
        }
    } else if communicates && reads_output && needs_value {
        lines.push((
            0,
            format!("{stdout}, {stderr} = await {proc}.communicate({input})"),
        ));
    } else if communicates {
        lines.push((0, format!("await {proc}.communicate({input})")));
    } else if let Some(timeout) = plan.timeout {
        // As `subprocess` does on a timeout: kill the child, reap it, raise `TimeoutExpired`.
        let timeout = &source[timeout.range()];
        let command = &plan.command_text;
        lines.extend([
            (0, "try:".to_owned()),
            (
                1,
                format!("await {asyncio}.wait_for({proc}.wait(), {timeout})"),
            ),
            (0, format!("except {asyncio}.TimeoutError:")),
            (1, format!("if {proc}.returncode is None:")),
            (2, format!("{proc}.kill()")),
            (1, format!("await {proc}.wait()")),
            (
                1,
                format!(
                    "raise {}.TimeoutExpired({command}, {timeout}) from None",
                    module("subprocess")?
                ),
            ),
        ]);
    } else {
        lines.push((0, format!("await {proc}.wait()")));
    }
    let (out, err) = if communicates && reads_output && needs_value {
        (stdout.as_str(), stderr.as_str())
    } else {
        ("None", "None")
    };
    if plan.text.is_some() && needs_value {
        for (stream, name) in [(plan.stdout.0, out), (plan.stderr.0, err)] {
            if stream == Stream::Pipe {
                lines.push((
                    0,
                    format!(
                        "{name} = {name}.decode({codec}).replace(\"\\r\\n\", \"\\n\").replace(\"\\r\", \"\\n\")"
                    ),
                ));
            }
        }
    }
    let mut subprocess = || module("subprocess");
    if plan.check {
        let command = &plan.command_text;
        let outputs = if plan.api == Api::CheckCall {
            String::new()
        } else {
            format!(", output={out}, stderr={err}")
        };
        lines.push((0, format!("if {proc}.returncode:")));
        lines.push((
            1,
            format!(
                "raise {}.CalledProcessError({proc}.returncode, {command}{outputs})",
                subprocess()?
            ),
        ));
    }
    if matches!(plan.api, Api::GetOutput | Api::GetStatusOutput) && needs_value {
        lines.push((0, format!("{out} = {out}.removesuffix(\"\\n\")")));
    }
    if !whole {
        let value = match plan.api {
            Api::Run => format!(
                "{}.CompletedProcess({}, {proc}.returncode, {out}, {err})",
                subprocess()?,
                &plan.command_text
            ),
            Api::Call | Api::CheckCall => format!("{proc}.returncode"),
            Api::CheckOutput | Api::GetOutput | Api::PopenRead => out.to_owned(),
            Api::GetStatusOutput => format!("({proc}.returncode, {out})"),
        };
        lines.push((0, value));
    }
    Ok(lines)
}
