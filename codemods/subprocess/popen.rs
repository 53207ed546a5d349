//! The native strategy for `subprocess.Popen` objects: `proc = subprocess.Popen(...)` becomes
//! `proc = await asyncio.create_subprocess_exec(...)` and its waits are awaited, when every
//! use of `proc` means the same on an asyncio `Process`.
//!
//! ```python
//! proc = subprocess.Popen(["tar", "czf", "-", path], stdout=subprocess.PIPE)
//! data, _ = proc.communicate()
//! if proc.returncode:
//!     raise RuntimeError(proc.returncode)
//! ```
//! becomes
//! ```python
//! proc = await asyncio.create_subprocess_exec("tar", "czf", "-", path, stdout=subprocess.PIPE)
//! data, _ = await proc.communicate()
//! ...
//! ```
//!
//! Asyncio's `Process` has the same `communicate()` (without `timeout`), `wait()`, `pid` and
//! byte pipes, but no `poll()`, no text mode, a `returncode` that is set as soon as the loop
//! sees the child exit (subprocess sets it in `wait()`/`poll()`), a `wait()` that also waits
//! for the pipes to close, and a `kill()` that raises once the child is reaped (subprocess's
//! does nothing). So the conversion is made only when `proc` is bound once, by the `Popen`
//! call, in this function, and used only to wait (`communicate()`, `wait()`,
//! `proc.stdout.read()`, `proc.stderr.read()`), to read `pid`, to read `returncode` after a
//! statement of the same block that waits for the child, and to `kill()` it first thing in
//! the `except subprocess.TimeoutExpired:` of a `communicate(timeout=...)`. Text mode and
//! timeouts go through the helper coroutine `_popen_communicate`.

use crate::checker::{await_wrapping, Checker};
use crate::fix::{merge_edits, Edit, Fix};
use crate::hoist::is_pure;
use crate::parse::ast::{self, AnyNodeRef, Expr, ExprCall, ExprName, Stmt};
use crate::parse::visitor::{self, Visitor};
use crate::parse::{Ranged, TextRange, TextSize};

use super::inline::{exec_arguments, is_string, stream, Stream, PASS_THROUGH};

/// The conversion of the `Popen` object `receiver` (a name) names, or why it cannot be made.
pub(super) fn fix(checker: &Checker<'_>, receiver: &Expr) -> Result<Fix, String> {
    let Expr::Name(name) = receiver else {
        return Err("the process is not a name".to_owned());
    };
    if let Some(reason) = super::inline::sigchld_handled(checker) {
        return Err(reason);
    }
    let semantic = checker.semantic();
    let binding = semantic
        .lookup(checker.scope(), name.id.as_str())
        .ok_or("the process is not bound here")?;
    if semantic.bindings[binding].scope != checker.scope() {
        return Err(format!("`{}` is bound in another scope", name.id));
    }
    let Some([Expr::Call(popen)]) = semantic.assigned_values(binding) else {
        return Err(format!("`{}` is bound more than once", name.id));
    };
    let function = checker
        .function_def()
        .ok_or("the process is not in a function")?;
    let mut uses = Uses::new(name.id.as_str());
    uses.visit_body(&function.body);
    if let Some(reason) = uses.obstacle {
        return Err(reason);
    }
    let creation = uses
        .creation
        .filter(|(_, value)| value.range() == popen.range())
        .ok_or("the `Popen(...)` call is not a statement of the function's body")?;
    let creation_text = creation_text(checker, popen)?;
    let (asyncio, import) = checker.import_module("asyncio")?;
    let mut imports: Vec<Edit> = import.into_iter().collect();
    let mut edits = vec![Edit::replacement(
        format!("await {asyncio}.create_subprocess_{}", creation_text.create),
        popen.range(),
    )];
    // The first statement after the creation, in its block, that waits for the child
    // unconditionally: `returncode` is read after it in that block (not in an `except` or
    // `finally` around it, which may run before), or the conversion would change it.
    let (block, _) = creation;
    let block_end = block.last().map_or(TextSize::default(), Ranged::end);
    let waited = block
        .iter()
        .skip_while(|stmt| !stmt.range().contains_range(popen.range()))
        .skip(1)
        .find(|stmt| waits(stmt, name.id.as_str()))
        .map(|stmt| TextRange::new(stmt.end(), block_end));
    let piped = |name: &str| {
        stream(
            checker,
            popen.arguments.find_keyword(name).map(|k| &k.value),
        ) == Stream::Pipe
    };
    let stdin_piped = piped("stdin");
    let communications: Vec<&Use> = uses
        .loads
        .iter()
        .filter(|u| matches!(u, Use::Wait { input, .. } if *input != Input::NotCommunicate))
        .collect();
    let communicates = communications.len();
    let pipe_reads = |stream: &str| {
        uses.loads
            .iter()
            .filter(|u| matches!(u, Use::Wait { call, .. } if pipe_of(call) == Some(stream)))
            .count()
    };
    let (stdout_reads, stderr_reads) = (pipe_reads("stdout"), pipe_reads("stderr"));
    // The usual idiom around a timeout: `communicate(timeout=...)` in a `try`, and in its
    // `except TimeoutExpired:` first `kill()` (or `terminate()`), then `communicate()` again.
    let idiom = timeout_idiom(checker, function, &uses.loads);
    if let Some(reason) = idiom.obstacle {
        return Err(reason);
    }
    // Reads of the pipes: a second `communicate()` of subprocess returns the first output
    // again (or raises `ValueError` on a closed pipe); asyncio's returns empty output.
    if (communicates > 1 && !idiom.second_communicate)
        || communicates > 2
        || (communicates > 0 && stdout_reads + stderr_reads > 0)
        || stdout_reads > 1
        || stderr_reads > 1
    {
        return Err(format!(
            "`{}` is communicated with or a pipe of it read more than once: subprocess's second `communicate()` returns the first output again or raises `ValueError` (a closed pipe), asyncio's returns empty output",
            name.id
        ));
    }
    // Asyncio's `wait()` also waits for every pipe to close, which a grandchild may hold
    // open: only a process whose pipes are all read to their end (by `communicate()` or
    // `read()`) may be waited for.
    let waits_alone = uses.loads.iter().any(|u| {
        matches!(u, Use::Wait { call, input: Input::NotCommunicate, .. } if !is_pipe_read(call))
    });
    let unread = (stdin_piped && communicates == 0)
        || (piped("stdout") && communicates == 0 && stdout_reads == 0)
        || (piped("stderr") && communicates == 0 && stderr_reads == 0);
    if waits_alone && unread {
        return Err(format!(
            "`{}.wait()` with a pipe that is not read: asyncio's `wait()` also waits for the pipe to close, which a grandchild may hold open",
            name.id
        ));
    }
    // Text mode and timeouts: `communicate()` goes through the helper.
    let through_helper = communicates > 0
        && (creation_text.text.is_some()
            || communications.iter().any(|u| {
                matches!(
                    u,
                    Use::Wait {
                        timeout: Some(_),
                        ..
                    }
                )
            }));
    if creation_text.text.is_some() && stdout_reads + stderr_reads > 0 {
        return Err("text mode: asyncio's pipes give bytes to `read()`".to_owned());
    }
    let command = creation_text.command;
    if through_helper && !is_pure(command) {
        return Err(
            "the command is an expression that `TimeoutExpired` would evaluate again".to_owned(),
        );
    }
    let codec = match &creation_text.text {
        None => "None".to_owned(),
        Some((encoding, errors)) => {
            let encoding = match encoding {
                Some(encoding) => checker.source[encoding.range()].to_owned(),
                None => {
                    let (locale, import) = checker.import_module("locale")?;
                    imports.extend(import);
                    format!("{locale}.getpreferredencoding(False)")
                }
            };
            let errors = errors.map_or("\"strict\"", |e| &checker.source[e.range()]);
            format!("({encoding}, {errors})")
        }
    };
    for use_ in &uses.loads {
        match use_ {
            Use::Attribute("pid", _) | Use::Signal(_) => {}
            Use::Attribute(_, at) => {
                if !waited.is_some_and(|after| after.contains_inclusive(*at)) {
                    return Err("`returncode` is read where the child may not have been waited for: asyncio sets it as soon as the child exits".to_owned());
                }
            }
            Use::Wait {
                call,
                parent,
                input,
                timeout,
                input_value,
            } => {
                let (prefix, suffix) =
                    await_wrapping(checker.parsed, &Expr::Call((*call).clone()), *parent);
                let text_input = matches!(input_value, Some(Expr::StringLiteral(_)));
                if text_input != (creation_text.text.is_some() && input_value.is_some()) {
                    return Err(
                        "`communicate()` is given an input of the other mode (`str` or `bytes`)"
                            .to_owned(),
                    );
                }
                if *input == Input::Given && !stdin_piped {
                    // Subprocess ignores an input without a pipe; asyncio fails.
                    return Err("`communicate()` is given an input without `stdin=PIPE`".to_owned());
                }
                if through_helper && *input != Input::NotCommunicate {
                    let input = input_value.map_or("None", |v| &checker.source[v.range()]);
                    let timeout = timeout.map_or("None", |t| &checker.source[t.range()]);
                    let receiver = &name.id;
                    let command = &checker.source[command.range()];
                    edits.push(Edit::replacement(
                        format!("{prefix}{COMMUNICATE}({receiver}, {command}, {input}, {timeout}, {codec}){suffix}"),
                        call.range(),
                    ));
                    continue;
                }
                edits.push(Edit::insertion(prefix, call.start()));
                if !suffix.is_empty() {
                    edits.push(Edit::insertion(suffix, call.end()));
                }
                // Asyncio closes a piped stdin only when given an input.
                if *input == Input::None && stdin_piped {
                    edits.push(Edit::insertion(
                        "b\"\"",
                        call.arguments.end() - TextSize::new(1),
                    ));
                }
            }
        }
    }
    let mut edits = merge_edits(edits).ok_or("the edits of this conversion overlap")?;
    if through_helper {
        let mut top = |module: &str| -> Result<String, String> {
            let (alias, edit) = checker.import_module_in(0, TextSize::default(), module)?;
            imports.extend(edit);
            Ok(alias)
        };
        let (asyncio, subprocess) = (top("asyncio")?, top("subprocess")?);
        let template = COMMUNICATE_SOURCE;
        let source = super::inline::helper_source(template, "        ", &asyncio, &subprocess);
        let earlier = super::inline::earlier_source(template);
        let earlier = super::inline::helper_source(&earlier, "        ", &asyncio, &subprocess);
        let helper = checker.define_helper(COMMUNICATE, &source, &[earlier])?;
        if checker.semantic().lookup(checker.scope(), COMMUNICATE)
            != checker.semantic().lookup(0, COMMUNICATE)
        {
            return Err(format!(
                "the name `{COMMUNICATE}` is bound in this function"
            ));
        }
        edits.extend(super::inline::imports_then_helper(imports, helper));
    } else {
        edits.extend(imports);
    }
    Ok(Fix::safe(edits))
}

/// The module-level coroutine for `communicate()` in text mode or with a timeout.
const COMMUNICATE: &str = "_popen_communicate";
const COMMUNICATE_SOURCE: &str = r#"async def _popen_communicate(proc, args, input, limit, codec):
    """`Popen.communicate(input, timeout)` for an asyncio process. On a timeout it raises
    `TimeoutExpired` with the bytes read so far and goes on reading, so that the next call
    (after `kill()`) returns the whole output, as subprocess does; `codec` (an encoding and
    errors) decodes the output of a text-mode process, newlines translated."""
    loop = {asyncio}.get_running_loop()
    deadline = None if limit is None else loop.time() + limit
    if not hasattr(proc, "_communication"):
{pipe_tasks}
        if proc.stdin is not None:
            if codec is not None and input is not None:
                input = input.encode(*codec)
            tasks.append({asyncio}.ensure_future(write(proc.stdin, input)))
        proc._communication = (outputs, tasks)
    outputs, tasks = proc._communication
    if tasks:
        done, pending = await {asyncio}.wait(tasks, timeout=limit)
        for task in done:
            task.result()
        if pending:
            out, err = [b"".join(chunks) if chunks else None for chunks in outputs]
            raise {subprocess}.TimeoutExpired(args, limit, output=out, stderr=err)
    if deadline is None:
        await proc.wait()
    elif proc.returncode is None:
        remaining = deadline - loop.time()
        try:
            await {asyncio}.wait_for(proc.wait(), remaining)
        except {asyncio}.TimeoutError:
            raise {subprocess}.TimeoutExpired(args, remaining) from None
    out, err = [None if chunks is None else b"".join(chunks) for chunks in outputs]
    if codec is not None:
        out, err = [
            None if data is None else data.decode(*codec).replace("\r\n", "\n").replace("\r", "\n")
            for data in (out, err)
        ]
    return out, err
"#;

/// What the timeout idiom check found: whether a second `communicate()` is the one of the
/// idiom, and why the uses cannot be converted.
struct Idiom {
    second_communicate: bool,
    obstacle: Option<String>,
}

/// Checks that every `kill()` / `terminate()` is the first statement of an
/// `except subprocess.TimeoutExpired:` handler of a `try` whose body calls
/// `communicate(timeout=...)` (no other task can run between the timeout and the signal, so
/// the child has not been reaped: asyncio's `kill()` would raise then, subprocess's does
/// nothing), and that a second `communicate()`, if any, has no input nor timeout and is in
/// such a handler, after the signal.
fn timeout_idiom<'a>(
    checker: &Checker<'a>,
    function: &'a ast::StmtFunctionDef,
    uses: &[Use<'a>],
) -> Idiom {
    let mut tries = Tries::default();
    tries.visit_body(&function.body);
    let timed: Vec<TextRange> = uses
        .iter()
        .filter_map(|u| match u {
            Use::Wait {
                call,
                timeout: Some(_),
                ..
            } => Some(call.range()),
            _ => None,
        })
        .collect();
    // The handlers of a `try` around a timed `communicate()` that catch `TimeoutExpired`.
    let handlers: Vec<&ast::ExceptHandlerExceptHandler> = tries
        .0
        .iter()
        .filter(|t| {
            timed
                .iter()
                .any(|range| t.body.iter().any(|s| s.range().contains_range(*range)))
        })
        .flat_map(|t| t.handlers.iter())
        .map(|ast::ExceptHandler::ExceptHandler(h)| h)
        .filter(|h| {
            h.type_.as_deref().is_some_and(|t| {
                checker
                    .qualified_name(t)
                    .is_some_and(|q| matches!(q.as_slice(), ["subprocess", "TimeoutExpired"]))
            })
        })
        .collect();
    let mut idiom = Idiom {
        second_communicate: false,
        obstacle: None,
    };
    let communications: Vec<(&ExprCall, bool, bool)> = uses
        .iter()
        .filter_map(|u| match u {
            Use::Wait {
                call,
                input,
                timeout,
                ..
            } if *input != Input::NotCommunicate => {
                Some((*call, timeout.is_some(), *input == Input::Given))
            }
            _ => None,
        })
        .collect();
    for use_ in uses {
        let Use::Signal(stmt) = use_ else { continue };
        let first = handlers
            .iter()
            .any(|h| h.body.first().is_some_and(|s| s.range() == *stmt));
        if !first {
            idiom.obstacle = Some("`kill()` or `terminate()` other than first in an `except subprocess.TimeoutExpired:` of a `communicate(timeout=...)`: asyncio's raises once the child is reaped, subprocess's does nothing".to_owned());
            return idiom;
        }
    }
    if let [(_, true, _), (second, false, false)] = communications.as_slice() {
        idiom.second_communicate = handlers.iter().any(|h| {
            h.body.len() >= 2
                && matches!(&h.body[0], Stmt::Expr(e) if uses.iter().any(|u| matches!(u, Use::Signal(r) if *r == e.range())))
                && h.body[1..]
                    .iter()
                    .any(|s| s.range().contains_range(second.range()))
        });
    }
    idiom
}

/// Every `try` statement of a body, nested ones included (not in nested functions).
#[derive(Default)]
struct Tries<'a>(Vec<&'a ast::StmtTry>);

impl<'a> Visitor<'a> for Tries<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Try(t) => {
                self.0.push(t);
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }
}

/// The `Popen` call read for asyncio: `exec(...)` / `shell(...)`, the command, and the text
/// mode (`encoding` and `errors` as written).
struct Creation<'a> {
    create: String,
    command: &'a Expr,
    text: Option<(Option<&'a Expr>, Option<&'a Expr>)>,
}

/// `exec(args, keywords)` or `shell(cmd, keywords)` for the `Popen` call, or why asyncio
/// cannot start the same child.
fn creation_text<'a>(checker: &Checker<'a>, popen: &'a ExprCall) -> Result<Creation<'a>, String> {
    if checker.has_comment_in(popen.range()) {
        return Err("a comment sits in the `Popen(...)` call".to_owned());
    }
    let arguments = &popen.arguments;
    let [command] = &*arguments.args else {
        return Err("the command is not the one positional argument of `Popen`".to_owned());
    };
    let mut shell = false;
    let mut keywords = Vec::new();
    let mut text_flag: Option<&str> = None;
    let mut text_mode = false;
    let (mut encoding, mut errors) = (None, None);
    let mut empty_codec = None;
    for keyword in &arguments.keywords {
        let Some(name) = &keyword.arg else {
            return Err("`**kwargs`".to_owned());
        };
        let flag = |keyword: &ast::Keyword| match &keyword.value {
            Expr::BooleanLiteral(literal) => Ok(literal.value),
            Expr::NoneLiteral(_) => Ok(false),
            _ => Err(format!("`{}=` is not `True` or `False`", name.id)),
        };
        match name.id.as_str() {
            "shell" => shell = flag(keyword)?,
            "stdin" | "stdout" | "stderr" => {
                if stream(checker, Some(&keyword.value)) == Stream::Unknown {
                    return Err(format!("`{}=` may be `PIPE`: it is a variable", name.id));
                }
                keywords.push(&checker.source[keyword.range()]);
            }
            other if PASS_THROUGH.contains(&other) => {
                keywords.push(&checker.source[keyword.range()])
            }
            flag_name @ ("text" | "universal_newlines") => {
                if let Some(other) = text_flag.replace(flag_name) {
                    return Err(format!("both `{other}=` and `{flag_name}=`"));
                }
                text_mode |= flag(keyword)?;
            }
            codec @ ("encoding" | "errors") => match &keyword.value {
                Expr::NoneLiteral(_) => {}
                // An empty string is false: binary mode, unless another keyword asks for
                // text, where subprocess fails to open the pipes.
                Expr::StringLiteral(literal) if literal.value.to_str().is_empty() => {
                    empty_codec = Some(codec);
                }
                Expr::StringLiteral(literal) if !literal.value.to_str().is_empty() => {
                    text_mode = true;
                    *(if codec == "encoding" {
                        &mut encoding
                    } else {
                        &mut errors
                    }) = Some(&keyword.value);
                }
                _ => {
                    return Err(format!(
                        "`{codec}=` is not a string literal (an empty string leaves binary mode)"
                    ))
                }
            },
            other => return Err(format!("the keyword `{other}`")),
        }
    }
    if let (Some(codec), true) = (empty_codec, text_mode) {
        return Err(format!(
            "`{codec}=\"\"` in text mode (subprocess fails to open the pipes)"
        ));
    }
    let (kind, mut text) = if shell {
        if !is_string(checker, command, true) {
            return Err("with `shell=True`, the command may be a list".to_owned());
        }
        ("shell", checker.source[command.range()].to_owned())
    } else {
        ("exec", exec_arguments(checker, command)?)
    };
    for keyword in keywords {
        text.push_str(", ");
        text.push_str(keyword);
    }
    Ok(Creation {
        create: format!("{kind}({text})"),
        command,
        text: text_mode.then_some((encoding, errors)),
    })
}

/// Whether `call` is `proc.stdout.read()` / `proc.stderr.read()`.
fn is_pipe_read(call: &ExprCall) -> bool {
    pipe_of(call).is_some()
}

/// `"stdout"` for `proc.stdout.read()`, `"stderr"` for `proc.stderr.read()`.
fn pipe_of(call: &ExprCall) -> Option<&str> {
    let Expr::Attribute(method) = &*call.func else {
        return None;
    };
    let Expr::Attribute(pipe) = &*method.value else {
        return None;
    };
    (method.attr.id.as_str() == "read").then_some(pipe.attr.id.as_str())
}

/// Whether `stmt` waits for the child `name` names whenever it runs: it is, or assigns or
/// returns, `name.wait()`, `name.communicate(...)` or the helper's `communicate`; or it is
/// a `try` whose body does, and each of whose handlers does or ends with `raise`.
fn waits(stmt: &Stmt, name: &str) -> bool {
    if let Stmt::Try(t) = stmt {
        let block_waits = |body: &[Stmt]| body.iter().any(|s| waits(s, name));
        return t.finalbody.is_empty()
            && t.orelse.is_empty()
            && block_waits(&t.body)
            && t.handlers
                .iter()
                .all(|ast::ExceptHandler::ExceptHandler(h)| {
                    block_waits(&h.body) || matches!(h.body.last(), Some(Stmt::Raise(_)))
                });
    }
    let value = match stmt {
        Stmt::Expr(ast::StmtExpr { value, .. })
        | Stmt::Assign(ast::StmtAssign { value, .. })
        | Stmt::Return(ast::StmtReturn {
            value: Some(value), ..
        }) => value,
        _ => return false,
    };
    let Expr::Call(call) = &**value else {
        return false;
    };
    let Expr::Attribute(method) = &*call.func else {
        return false;
    };
    matches!(method.attr.id.as_str(), "wait" | "communicate")
        && matches!(&*method.value, Expr::Name(n) if n.id.as_str() == name)
}

/// A use of the process name.
enum Use<'a> {
    /// `proc.pid` or `proc.returncode`, at this offset.
    Attribute(&'static str, TextSize),
    /// A call that waits: `proc.wait()`, `proc.communicate(...)`, `proc.stdout.read()`.
    Wait {
        call: &'a ExprCall,
        parent: Option<AnyNodeRef<'a>>,
        input: Input,
        /// `communicate(..., timeout=...)`: the timeout and the input as written.
        timeout: Option<&'a Expr>,
        input_value: Option<&'a Expr>,
    },
    /// `proc.kill()` or `proc.terminate()`, a statement.
    Signal(TextRange),
}

/// What a waiting call sends to the child's stdin.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    /// Not a `communicate()` call.
    NotCommunicate,
    /// `communicate()`.
    None,
    /// `communicate(b"...")` (or a `str` literal in text mode).
    Given,
}

/// The uses of a name in a function body, read from their parent nodes.
struct Uses<'a> {
    name: &'a str,
    parents: Vec<AnyNodeRef<'a>>,
    /// The creation: the block holding it, and the assigned value.
    creation: Option<(&'a [Stmt], &'a Expr)>,
    loads: Vec<Use<'a>>,
    /// Why the conversion cannot be made, once a use says so.
    obstacle: Option<String>,
    nested: usize,
    /// Inside an f-string, where an added `await` may show in the output (`f"{x=}"`).
    in_fstring: usize,
}

impl<'a> Uses<'a> {
    fn new(name: &'a str) -> Self {
        Uses {
            name,
            parents: Vec::new(),
            creation: None,
            loads: Vec::new(),
            obstacle: None,
            nested: 0,
            in_fstring: 0,
        }
    }

    fn refuse(&mut self, reason: String) {
        self.obstacle.get_or_insert(reason);
    }

    fn ancestor(&self, n: usize) -> Option<AnyNodeRef<'a>> {
        self.parents
            .len()
            .checked_sub(n + 1)
            .map(|i| self.parents[i])
    }

    /// A load of the name; its parent is `ancestor(0)`.
    fn load(&mut self, name: &'a ExprName) {
        let call_of = |node: Option<AnyNodeRef<'a>>, callee: TextRange| match node {
            Some(AnyNodeRef::ExprCall(call)) if call.func.range() == callee => Some(call),
            _ => None,
        };
        let Some(AnyNodeRef::ExprAttribute(attribute)) = self.ancestor(0) else {
            self.refuse(format!("`{}` is used as a value", name.id));
            return;
        };
        if attribute.ctx != ast::ExprContext::Load {
            self.refuse(format!("`{}.{}` is assigned", name.id, attribute.attr.id));
            return;
        }
        let use_ = match attribute.attr.id.as_str() {
            "pid" => Some(Use::Attribute("pid", attribute.start())),
            "returncode" => Some(Use::Attribute("returncode", attribute.start())),
            "wait" => call_of(self.ancestor(1), attribute.range())
                .filter(|call| call.arguments.is_empty())
                .map(|call| Use::Wait {
                    call,
                    parent: self.ancestor(2),
                    input: Input::NotCommunicate,
                    timeout: None,
                    input_value: None,
                }),
            "communicate" => call_of(self.ancestor(1), attribute.range()).and_then(|call| {
                let input_value = match &*call.arguments.args {
                    [] => None,
                    [value @ (Expr::BytesLiteral(_) | Expr::StringLiteral(_))] => Some(value),
                    _ => return None,
                };
                let timeout = match &*call.arguments.keywords {
                    [] => None,
                    [keyword]
                        if keyword
                            .arg
                            .as_ref()
                            .is_some_and(|a| a.id.as_str() == "timeout")
                            && is_pure(&keyword.value)
                            && !keyword.value.is_none_literal_expr() =>
                    {
                        Some(&keyword.value)
                    }
                    _ => return None,
                };
                Some(Use::Wait {
                    call,
                    parent: self.ancestor(2),
                    input: if input_value.is_none() {
                        Input::None
                    } else {
                        Input::Given
                    },
                    timeout,
                    input_value,
                })
            }),
            // `proc.kill()` as a statement (where it may be is checked by the conversion).
            "kill" | "terminate" => call_of(self.ancestor(1), attribute.range())
                .filter(|call| call.arguments.is_empty())
                .and_then(|_| match self.ancestor(2) {
                    Some(AnyNodeRef::StmtExpr(stmt)) => Some(Use::Signal(stmt.range())),
                    _ => None,
                }),
            "stdout" | "stderr" => match self.ancestor(1) {
                Some(AnyNodeRef::ExprAttribute(read)) if read.attr.id.as_str() == "read" => {
                    call_of(self.ancestor(2), read.range())
                        .filter(|call| call.arguments.is_empty())
                        .map(|call| Use::Wait {
                            call,
                            parent: self.ancestor(3),
                            input: Input::NotCommunicate,
                            timeout: None,
                            input_value: None,
                        })
                }
                _ => None,
            },
            _ => None,
        };
        match use_ {
            Some(Use::Wait { .. }) if self.in_fstring > 0 => {
                self.refuse(format!("`{}` is waited for in an f-string", name.id));
            }
            Some(use_) => self.loads.push(use_),
            None => self.refuse(format!(
                "`{}.{}`: an asyncio process has no counterpart that behaves the same",
                name.id, attribute.attr.id
            )),
        }
    }
}

impl<'a> Visitor<'a> for Uses<'a> {
    fn visit_body(&mut self, body: &'a [Stmt]) {
        for stmt in body {
            if let Stmt::Assign(ast::StmtAssign { targets, value, .. }) = stmt {
                if let [Expr::Name(target)] = &**targets {
                    if target.id.as_str() == self.name && self.nested == 0 {
                        self.creation = Some((body, value));
                    }
                }
            }
            self.visit_stmt(stmt);
        }
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let nested = matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_));
        self.nested += usize::from(nested);
        self.parents.push(stmt.into());
        visitor::walk_stmt(self, stmt);
        self.parents.pop();
        self.nested -= usize::from(nested);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(name) = expr {
            if name.id.as_str() == self.name {
                if self.nested > 0 {
                    self.refuse(format!("`{}` is used in a nested scope", name.id));
                } else if name.ctx == ast::ExprContext::Load {
                    self.load(name);
                }
            }
            return;
        }
        let nested = matches!(
            expr,
            Expr::Lambda(_)
                | Expr::ListComp(_)
                | Expr::SetComp(_)
                | Expr::DictComp(_)
                | Expr::Generator(_)
        );
        let fstring = usize::from(matches!(expr, Expr::FString(_)));
        self.nested += usize::from(nested);
        self.in_fstring += fstring;
        self.parents.push(expr.into());
        visitor::walk_expr(self, expr);
        self.parents.pop();
        self.in_fstring -= fstring;
        self.nested -= usize::from(nested);
    }

    fn visit_arguments(&mut self, arguments: &'a ast::Arguments) {
        self.parents.push(arguments.into());
        visitor::walk_arguments(self, arguments);
        self.parents.pop();
    }
}
