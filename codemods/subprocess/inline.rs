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
use crate::fix::Fix;
use crate::hoist::{fresh_names, is_pure, Hoist};
use crate::parse::ast::{self, AnyNodeRef, Expr, ExprCall};
use crate::parse::{Ranged, TextRange};

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
                    || (self != Api::CheckOutput && name == "timeout")
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
    /// `timeout=`, when the call pipes nothing (see [`read_call`]).
    timeout: Option<&'a Expr>,
    /// `input=`: a literal, never `None`.
    input: Option<Input<'a>>,
    /// The arguments of `create_subprocess_exec` / `_shell` for the command.
    command_arguments: String,
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

/// The fix, or why the call cannot be written as asyncio statements (the recipe then moves
/// it to a thread).
pub(super) fn fix(checker: &Checker<'_>, call: &ExprCall, api: Api) -> Result<Fix, String> {
    if checker.has_comment_in(call.range()) {
        return Err("a comment sits in the call".to_owned());
    }
    let hoist = Hoist::new(checker, call)?;
    let plan = read_call(checker, call, api)?;
    let [proc, stdout, stderr] = fresh_names(checker, ["proc", "stdout", "stderr"])?;
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
    let needs_args = plan.check || plan.timeout.is_some() || (!hoist.whole && plan.api == Api::Run);
    if needs_args && !is_pure(plan.command) {
        return Err("the command is an expression that would be evaluated twice".to_owned());
    }
    let lines = statements(checker, &plan, &names, hoist.whole, &mut module)?;
    let mut edits = hoist.edits(checker, call.range(), &lines)?;
    // The imports stay separate edits: another fix may add some of them too.
    edits.extend(imports);
    Ok(Fix::safe(edits))
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
    for keyword in &arguments.keywords {
        let Some(name) = &keyword.arg else {
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
            "encoding" | "errors" => {
                if !is_pure(value) {
                    return Err(format!("`{name}=` is an expression"));
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
    plan.command_arguments = if !plan.shell {
        exec_arguments(checker, command)?
    } else if is_string(checker, command, true) {
        checker.source[command.range()].to_owned()
    } else {
        return Err(
            "with `shell=True`, the command may be a list, which asyncio does not take".to_owned(),
        );
    };
    Ok(plan)
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
/// be a pipe asyncio would read, and a timeout must not cut a read short.
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
    // With a pipe, `TimeoutExpired` carries the output read before the timeout, which
    // asyncio's `communicate()` drops when cancelled.
    let piped = streams.iter().any(|(_, s)| *s != Stream::NotPiped);
    if plan.timeout.is_some() && piped {
        return Err(
            "`timeout=` with a pipe: asyncio would not keep the output read before the timeout"
                .to_owned(),
        );
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
    plan.command_arguments = checker.source[command.range()].to_owned();
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
pub(super) fn exec_arguments(checker: &Checker<'_>, command: &Expr) -> Result<String, String> {
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
            if !values.is_empty() && values.iter().all(non_empty) {
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
    if communicates && reads_output && needs_value {
        lines.push((
            0,
            format!("{stdout}, {stderr} = await {proc}.communicate({input})"),
        ));
    } else if communicates {
        lines.push((0, format!("await {proc}.communicate({input})")));
    } else if let Some(timeout) = plan.timeout {
        // As `subprocess` does on a timeout: kill the child, reap it, raise `TimeoutExpired`.
        let timeout = &source[timeout.range()];
        let command = &source[plan.command.range()];
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
        let command = &source[plan.command.range()];
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
                &source[plan.command.range()]
            ),
            Api::Call | Api::CheckCall => format!("{proc}.returncode"),
            Api::CheckOutput | Api::GetOutput | Api::PopenRead => out.to_owned(),
            Api::GetStatusOutput => format!("({proc}.returncode, {out})"),
        };
        lines.push((0, value));
    }
    Ok(lines)
}
