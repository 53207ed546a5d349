//! Writing statements before the statement that holds a call, for a rewrite that needs more
//! than an expression: where the call can be moved without changing the order of evaluation,
//! the edits at the statement's indentation, and names that are free in the function.

use rustc_hash::FxHashSet;

use crate::checker::Checker;
use crate::fix::{merge_edits, Edit};
use crate::parse::ast::{self, AnyNodeRef, Expr, ExprCall, Stmt};
use crate::parse::visitor::{self, Visitor};
use crate::parse::{Ranged, TextRange, TextSize};
use crate::source::start_of_line;

/// Where the statements replacing a call go: before its statement, at its indentation.
pub struct Hoist {
    /// The statement.
    pub statement: TextRange,
    /// Whether the call is the whole statement (an expression statement).
    pub whole: bool,
    line_start: TextSize,
    indent: String,
}

impl Hoist {
    /// Where the statements replacing `call` (the node being visited) can go, or why they
    /// cannot.
    pub fn new(checker: &Checker<'_>, call: &ExprCall) -> Result<Hoist, String> {
        let (statement, whole) = statement_of(checker, call)?;
        let source = checker.source;
        let line_start = start_of_line(source, statement.start());
        let indent = &source[usize::from(line_start)..usize::from(statement.start())];
        if !indent.chars().all(|c| c == ' ' || c == '\t') {
            return Err("the statement shares its line with another".to_owned());
        }
        if source[..usize::from(line_start)]
            .trim_end_matches(['\n', '\r'])
            .ends_with('\\')
        {
            return Err("the statement continues a line".to_owned());
        }
        Ok(Hoist {
            statement,
            whole,
            line_start,
            indent: indent.to_owned(),
        })
    }

    /// The edits writing `lines` (`(depth, text)`: depth in indentation levels below the
    /// statement's): the last takes the place of the call at `call` (or of the whole statement,
    /// keeping a comment after it on its line), the others go before the statement.
    pub fn edits(
        &self,
        checker: &Checker<'_>,
        call: TextRange,
        lines: &[(usize, String)],
    ) -> Result<Vec<Edit>, String> {
        let source = checker.source;
        let eol = checker.stylist.line_ending;
        let unit = &checker.stylist.indent;
        let Some((last, prelude)) = lines.split_last() else {
            return Err("nothing to write".to_owned());
        };
        let prelude: String = prelude
            .iter()
            .map(|(depth, line)| format!("{}{}{line}{eol}", self.indent, unit.repeat(*depth)))
            .collect();
        let replaced = if self.whole { self.statement } else { call };
        if self.whole && last.0 > 0 {
            // The last line is in a block: what follows the statement on its line would be too.
            let rest = source[usize::from(self.statement.end())..].trim_start_matches([' ', '\t']);
            if !(rest.is_empty() || rest.starts_with(['#', '\n', '\r'])) {
                return Err("another statement follows on the line".to_owned());
            }
        }
        merge_edits(vec![
            Edit::insertion(prelude, self.line_start),
            Edit::replacement(format!("{}{}", unit.repeat(last.0), last.1), replaced),
        ])
        .ok_or_else(|| "the edits of this call overlap".to_owned())
    }
}

/// The statement the new statements go before, and whether the call is that whole statement
/// (an expression statement). Everything the statement evaluates before the call must be
/// something whose evaluation runs no code (see [`runs_no_code`]): moving the call before the
/// statement then keeps the order of everything that has an effect. An augmented assignment
/// reads its target before the value (`self.failures += call()` reads `self.failures`, which
/// may be a property, before the child starts): only a name target is allowed.
fn statement_of(checker: &Checker<'_>, call: &ExprCall) -> Result<(TextRange, bool), String> {
    let nested = || {
        "the call sits inside an expression that runs code before it (moving the call first would change the order)"
            .to_owned()
    };
    let misplaced =
        || "the statement evaluates something else first (a target, an `elif` test)".to_owned();
    let quiet = |expr: &Expr| runs_no_code(checker, expr);
    let mut child = call.range();
    for node in checker.ancestors() {
        let before_is_quiet = match node {
            AnyNodeRef::ExprAttribute(_) | AnyNodeRef::ExprUnaryOp(_) => true,
            AnyNodeRef::ExprSubscript(s) => s.value.range() == child || quiet(&s.value),
            AnyNodeRef::ExprCall(c) => {
                c.func.range() == child || callee_runs_no_code(checker, &c.func)
            }
            // Positional arguments are evaluated before keywords, wherever they are written.
            AnyNodeRef::Arguments(arguments) => arguments
                .args
                .iter()
                .chain(arguments.keywords.iter().map(|keyword| &keyword.value))
                .take_while(|value| value.range() != child)
                .all(quiet),
            AnyNodeRef::ExprBinOp(b) => b.left.range() == child || quiet(&b.left),
            AnyNodeRef::ExprCompare(c) => {
                c.left.range() == child
                    || (c.comparators.first().map(Ranged::range) == Some(child) && quiet(&c.left))
            }
            AnyNodeRef::ExprBoolOp(b) => b.values.first().map(Ranged::range) == Some(child),
            AnyNodeRef::ExprIf(i) => i.test.range() == child,
            AnyNodeRef::ExprTuple(ast::ExprTuple { elts, .. })
            | AnyNodeRef::ExprList(ast::ExprList { elts, .. }) => elts
                .iter()
                .take_while(|elt| elt.range() != child)
                .all(quiet),
            AnyNodeRef::StmtExpr(s) => {
                return Ok((node.range(), s.value.range() == call.range()));
            }
            AnyNodeRef::StmtAssign(ast::StmtAssign { value, .. })
            | AnyNodeRef::StmtReturn(ast::StmtReturn {
                value: Some(value), ..
            })
            | AnyNodeRef::StmtIf(ast::StmtIf { test: value, .. }) => {
                return if value.range() == child {
                    Ok((node.range(), false))
                } else {
                    Err(misplaced())
                };
            }
            AnyNodeRef::StmtAnnAssign(ast::StmtAnnAssign {
                value: Some(value), ..
            }) => {
                return if value.range() == child {
                    Ok((node.range(), false))
                } else {
                    Err(misplaced())
                };
            }
            AnyNodeRef::StmtAugAssign(a) => {
                return if a.value.range() != child {
                    Err(misplaced())
                } else if a.target.is_name_expr() {
                    Ok((node.range(), false))
                } else {
                    Err(format!(
                        "`{}` is read before the call (it may be a property or run `__getitem__`): moving the call first would change the order",
                        &checker.source[a.target.range()]
                    ))
                };
            }
            AnyNodeRef::StmtFor(f) => {
                return if !f.is_async && f.iter.range() == child {
                    Ok((node.range(), false))
                } else {
                    Err(misplaced())
                };
            }
            _ if node.is_statement() => return Err(
                "the statement is not an assignment, an expression, a `return`, an `if` or a `for`"
                    .to_owned(),
            ),
            _ => false,
        };
        if !before_is_quiet {
            return Err(nested());
        }
        child = node.range();
    }
    Err(nested())
}

/// Whether evaluating `expr` runs no code of the program, so that it may be evaluated after
/// a call it preceded: constants, names (a name that is not bound raises `NameError` either
/// way), an attribute of an imported module (`os.environ`, `subprocess.PIPE`), and literals,
/// tuples and lists of those. An attribute of any other object may be a property, a subscript
/// calls `__getitem__`, an f-string field calls `__format__`: those are not.
pub fn runs_no_code(checker: &Checker<'_>, expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_)
        | Expr::EllipsisLiteral(_)
        | Expr::Name(_) => true,
        Expr::Attribute(attribute) => is_module(checker, &attribute.value),
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            elts.iter().all(|elt| runs_no_code(checker, elt))
        }
        Expr::FString(fstring) => fstring
            .value
            .elements()
            .all(|element| matches!(element, ast::InterpolatedStringElement::Literal(_))),
        _ => false,
    }
}

/// [`runs_no_code`] for the callee of a call evaluated before the call being moved: also a
/// method looked up on such a value (`logger.info`, `self.record`, `sys.stdout.write`). The
/// lookup of a method defined by a `def` in its class runs no code; that it is not a
/// property returning a function is assumed.
fn callee_runs_no_code(checker: &Checker<'_>, func: &Expr) -> bool {
    match func {
        Expr::Attribute(attribute) => runs_no_code(checker, &attribute.value),
        _ => runs_no_code(checker, func),
    }
}

/// Whether `expr` is a name bound by `import module` (or `import module as alias`).
fn is_module(checker: &Checker<'_>, expr: &Expr) -> bool {
    let Expr::Name(name) = expr else { return false };
    let semantic = checker.semantic();
    semantic
        .lookup(checker.scope(), name.id.as_str())
        .is_some_and(|binding| {
            let binding = &semantic.bindings[binding];
            matches!(&binding.kind, crate::semantic::BindingKind::Import { path, .. }
                if path.len() == 1 || path.first() == Some(&binding.name))
        })
}

/// Whether evaluating `expr` has no effect and gives the same value twice: constants, names,
/// attributes of names, and literals and f-strings made of those.
pub fn is_pure(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_)
        | Expr::EllipsisLiteral(_)
        | Expr::Name(_) => true,
        Expr::Attribute(attribute) => is_pure(&attribute.value),
        Expr::Starred(starred) => is_pure(&starred.value),
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            elts.iter().all(is_pure)
        }
        Expr::FString(fstring) => fstring.value.elements().all(|element| match element {
            ast::InterpolatedStringElement::Literal(_) => true,
            ast::InterpolatedStringElement::Interpolation(field) => {
                is_pure(&field.expression) && field.format_spec.is_none()
            }
        }),
        _ => false,
    }
}

/// Names based on `bases` (`proc`, else `proc_1`...) that nothing in the function around the
/// node being visited mentions, nested scopes included: binding them cannot change what
/// another name refers to.
pub fn fresh_names<const N: usize>(
    checker: &Checker<'_>,
    bases: [&str; N],
) -> Result<[String; N], String> {
    let function = checker
        .function_def()
        .ok_or("the call is not in a function")?;
    let mut mentions = Mentions::default();
    mentions.visit_parameters(&function.parameters);
    mentions.visit_body(&function.body);
    let fresh = |base: &str| -> String {
        std::iter::once(base.to_owned())
            .chain((1..).map(|i| format!("{base}_{i}")))
            .find(|candidate| !mentions.0.contains(candidate.as_str()))
            .expect("an unused name")
    };
    Ok(bases.map(fresh))
}

/// Every name a piece of code uses or binds.
#[derive(Default)]
struct Mentions<'a>(FxHashSet<&'a str>);

impl<'a> Visitor<'a> for Mentions<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                self.0.insert(def.name.as_str());
            }
            Stmt::ClassDef(class) => {
                self.0.insert(class.name.as_str());
            }
            Stmt::Global(ast::StmtGlobal { names, .. })
            | Stmt::Nonlocal(ast::StmtNonlocal { names, .. }) => {
                self.0.extend(names.iter().map(|name| name.as_str()));
            }
            Stmt::Import(ast::StmtImport { names, .. })
            | Stmt::ImportFrom(ast::StmtImportFrom { names, .. }) => {
                for alias in names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    self.0.insert(bound.split('.').next().unwrap_or(bound));
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(name) = expr {
            self.0.insert(name.id.as_str());
        }
        visitor::walk_expr(self, expr);
    }

    fn visit_parameter(&mut self, parameter: &'a ast::Parameter) {
        self.0.insert(parameter.name.as_str());
        visitor::walk_parameter(self, parameter);
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(inner) = handler;
        if let Some(name) = &inner.name {
            self.0.insert(name.as_str());
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a ast::Pattern) {
        match pattern {
            ast::Pattern::MatchAs(ast::PatternMatchAs {
                name: Some(name), ..
            })
            | ast::Pattern::MatchStar(ast::PatternMatchStar {
                name: Some(name), ..
            })
            | ast::Pattern::MatchMapping(ast::PatternMatchMapping {
                rest: Some(name), ..
            }) => {
                self.0.insert(name.as_str());
            }
            _ => {}
        }
        visitor::walk_pattern(self, pattern);
    }
}
