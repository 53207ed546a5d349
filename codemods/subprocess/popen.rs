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
//! sees the child exit (subprocess sets it in `wait()`/`poll()`), and a `kill()` that raises
//! once the child is reaped (subprocess's does nothing). So the conversion is made only when
//! `proc` is bound once, by the `Popen` call, in this function, and used only to wait
//! (`communicate()`, `wait()`, `proc.stdout.read()`, `proc.stderr.read()`) and to read `pid`,
//! and `returncode` after a statement of the same block that waits for the child.

use crate::checker::{await_wrapping, Checker};
use crate::fix::{merge_edits, Edit, Fix};
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
    let create = creation_text(checker, popen)?;
    let (asyncio, import) = checker.import_module("asyncio")?;
    let mut edits = vec![Edit::replacement(
        format!("await {asyncio}.create_subprocess_{create}"),
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
    // Reads of the pipes: a second `communicate()` of subprocess returns the first output
    // again (or raises `ValueError` on a closed pipe); asyncio's returns empty output.
    let communicates = uses
        .loads
        .iter()
        .filter(|u| matches!(u, Use::Wait { input, .. } if *input != Input::NotCommunicate))
        .count();
    let pipe_reads = |stream: &str| {
        uses.loads
            .iter()
            .filter(|u| matches!(u, Use::Wait { call, .. } if pipe_of(call) == Some(stream)))
            .count()
    };
    let (stdout_reads, stderr_reads) = (pipe_reads("stdout"), pipe_reads("stderr"));
    if communicates > 1
        || (communicates == 1 && stdout_reads + stderr_reads > 0)
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
    for use_ in &uses.loads {
        match use_ {
            Use::Attribute("pid", _) => {}
            Use::Attribute(_, at) => {
                if !waited.is_some_and(|after| after.contains_inclusive(*at)) {
                    return Err("`returncode` is read where the child may not have been waited for: asyncio sets it as soon as the child exits".to_owned());
                }
            }
            Use::Wait {
                call,
                parent,
                input,
            } => {
                let (prefix, suffix) =
                    await_wrapping(checker.parsed, &Expr::Call((*call).clone()), *parent);
                edits.push(Edit::insertion(prefix, call.start()));
                if !suffix.is_empty() {
                    edits.push(Edit::insertion(suffix, call.end()));
                }
                match input {
                    // Asyncio closes a piped stdin only when given an input.
                    Input::None if stdin_piped => {
                        edits.push(Edit::insertion(
                            "b\"\"",
                            call.arguments.end() - TextSize::new(1),
                        ));
                    }
                    // Subprocess ignores an input without a pipe; asyncio fails.
                    Input::Given if !stdin_piped => {
                        return Err(
                            "`communicate()` is given an input without `stdin=PIPE`".to_owned()
                        );
                    }
                    _ => {}
                }
            }
        }
    }
    let mut edits = merge_edits(edits).ok_or("the edits of this conversion overlap")?;
    edits.extend(import);
    Ok(Fix::safe(edits))
}

/// `exec(args, keywords)` or `shell(cmd, keywords)` for the `Popen` call, or why asyncio
/// cannot start the same child.
fn creation_text(checker: &Checker<'_>, popen: &ExprCall) -> Result<String, String> {
    if checker.has_comment_in(popen.range()) {
        return Err("a comment sits in the `Popen(...)` call".to_owned());
    }
    let arguments = &popen.arguments;
    let [command] = &*arguments.args else {
        return Err("the command is not the one positional argument of `Popen`".to_owned());
    };
    let mut shell = false;
    let mut keywords = Vec::new();
    for keyword in &arguments.keywords {
        let Some(name) = &keyword.arg else {
            return Err("`**kwargs`".to_owned());
        };
        match name.id.as_str() {
            "shell" => match &keyword.value {
                Expr::BooleanLiteral(literal) => shell = literal.value,
                _ => return Err("`shell=` is not `True` or `False`".to_owned()),
            },
            "stdin" | "stdout" | "stderr" => {
                if stream(checker, Some(&keyword.value)) == Stream::Unknown {
                    return Err(format!("`{}=` may be `PIPE`: it is a variable", name.id));
                }
                keywords.push(&checker.source[keyword.range()]);
            }
            other if PASS_THROUGH.contains(&other) => {
                keywords.push(&checker.source[keyword.range()])
            }
            "text" | "universal_newlines" | "encoding" | "errors" => {
                return Err("text mode: asyncio's pipes give bytes".to_owned())
            }
            other => return Err(format!("the keyword `{other}`")),
        }
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
    Ok(format!("{kind}({text})"))
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
/// returns, `name.wait()` or `name.communicate(...)`.
fn waits(stmt: &Stmt, name: &str) -> bool {
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
    },
}

/// What a waiting call sends to the child's stdin.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    /// Not a `communicate()` call.
    NotCommunicate,
    /// `communicate()`.
    None,
    /// `communicate(b"...")`.
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
                }),
            "communicate" => call_of(self.ancestor(1), attribute.range())
                .filter(|call| {
                    matches!(
                        (&*call.arguments.args, &*call.arguments.keywords),
                        ([] | [Expr::BytesLiteral(_)], [])
                    )
                })
                .map(|call| Use::Wait {
                    call,
                    parent: self.ancestor(2),
                    input: if call.arguments.is_empty() {
                        Input::None
                    } else {
                        Input::Given
                    },
                }),
            "stdout" | "stderr" => match self.ancestor(1) {
                Some(AnyNodeRef::ExprAttribute(read)) if read.attr.id.as_str() == "read" => {
                    call_of(self.ancestor(2), read.range())
                        .filter(|call| call.arguments.is_empty())
                        .map(|call| Use::Wait {
                            call,
                            parent: self.ancestor(3),
                            input: Input::NotCommunicate,
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
