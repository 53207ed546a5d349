//! The parser, behind one module.
//!
//! awaitify parses Python with `ruff_python_parser`, a crate without a stability promise. Every
//! other module reaches the syntax tree, tokens and text ranges through the re-exports here, so
//! an upgrade of the parser touches this file (and the AST shapes the recipes match on) only.

pub use ruff_python_ast as ast;
pub use ruff_python_ast::token::{TokenKind, Tokens};
pub use ruff_python_ast::visitor;
pub use ruff_text_size::{Ranged, TextLen, TextRange, TextSize};

/// A parsed module: the syntax tree plus the token stream (comments and parentheses live there).
pub struct Parsed {
    inner: ruff_python_parser::Parsed<ast::ModModule>,
}

impl Parsed {
    pub fn suite(&self) -> &[ast::Stmt] {
        &self.inner.syntax().body
    }

    pub fn tokens(&self) -> &Tokens {
        self.inner.tokens()
    }

    /// Whether `range` contains (part of) a comment.
    pub fn has_comment_in(&self, range: TextRange) -> bool {
        self.tokens()
            .in_range_clamped(range)
            .iter()
            .any(|token| token.kind() == TokenKind::Comment)
    }

    /// The comments within `range`, in order.
    pub fn comments_in(&self, range: TextRange) -> Vec<TextRange> {
        self.tokens()
            .in_range_clamped(range)
            .iter()
            .filter(|token| token.kind() == TokenKind::Comment)
            .map(Ranged::range)
            .collect()
    }

    /// The range of `expr` including the parentheses around it, if it has any.
    pub fn parenthesized_range(
        &self,
        expr: &ast::Expr,
        parent: ast::AnyNodeRef,
    ) -> Option<TextRange> {
        ast::token::parenthesized_range(expr.into(), parent, self.tokens())
    }
}

/// Token slicing that tolerates ranges that do not start or end on a token boundary.
trait TokensExt {
    fn in_range_clamped(&self, range: TextRange) -> &[ast::token::Token];
}

impl TokensExt for Tokens {
    fn in_range_clamped(&self, range: TextRange) -> &[ast::token::Token] {
        let start = self.partition_point(|token| token.start() < range.start());
        let end = self.partition_point(|token| token.end() <= range.end());
        if start >= end {
            &[]
        } else {
            &self[start..end]
        }
    }
}

/// A syntax error, located by byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: TextSize,
    pub message: String,
}

/// Parses a whole module. Only the first syntax error is reported.
pub fn parse_module(source: &str) -> Result<Parsed, SyntaxError> {
    match ruff_python_parser::parse_module(source) {
        Ok(inner) => Ok(Parsed { inner }),
        Err(error) => Err(SyntaxError {
            offset: error.location.start(),
            message: error.error.to_string(),
        }),
    }
}

/// Whether `source` is a syntactically valid module.
pub fn is_valid_module(source: &str) -> bool {
    ruff_python_parser::parse_module(source).is_ok()
}

/// The compile-time errors CPython reports beyond the grammar, which the parser accepts (a
/// keyword argument given twice, `await` outside an async function, `return` with a value in
/// an async generator...), as messages. A fix must not add one: the fixed file would parse
/// and yet not compile.
pub fn semantic_errors(parsed: &Parsed, source: &str) -> Vec<String> {
    use visitor::Visitor as _;
    let mut walk = semantic::Walk {
        source,
        checker: Default::default(),
        scopes: vec![semantic::Scope::new(semantic::Kind::Module)],
        errors: Default::default(),
    };
    walk.visit_body(parsed.suite());
    walk.errors.into_inner()
}

/// The errors of [`semantic_errors`] that `after` (a fixed version of `before`, parsed) has
/// and `before` has not. `before` must parse.
pub fn added_semantic_errors(before: &str, after: &Parsed, after_text: &str) -> Vec<String> {
    let mut known = parse_module(before)
        .map(|parsed| semantic_errors(&parsed, before))
        .unwrap_or_default();
    let mut added = Vec::new();
    for error in semantic_errors(after, after_text) {
        match known.iter().position(|k| *k == error) {
            Some(i) => {
                known.swap_remove(i);
            }
            None => added.push(error),
        }
    }
    added
}

/// The semantic syntax checks of the parser crate, walked over a module with the scope
/// information they ask for.
mod semantic {
    use std::cell::RefCell;

    use ruff_python_ast::{self as ast, Expr, PythonVersion, Stmt};
    use ruff_python_parser::semantic_errors::{
        LazyImportContext, SemanticSyntaxChecker, SemanticSyntaxContext, SemanticSyntaxError,
    };
    use ruff_text_size::TextRange;

    use super::visitor::{self, Visitor};

    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(super) enum Kind {
        Module,
        Class,
        Function { is_async: bool },
        Lambda,
        Comprehension { is_async: bool },
        Generator,
    }

    pub(super) struct Scope<'a> {
        kind: Kind,
        parameters: Vec<&'a str>,
        loops: usize,
    }

    impl Scope<'_> {
        pub(super) fn new(kind: Kind) -> Self {
            Scope {
                kind,
                parameters: Vec::new(),
                loops: 0,
            }
        }
    }

    pub(super) struct Walk<'a> {
        pub(super) source: &'a str,
        pub(super) checker: SemanticSyntaxChecker,
        pub(super) scopes: Vec<Scope<'a>>,
        pub(super) errors: RefCell<Vec<String>>,
    }

    impl<'a> Walk<'a> {
        fn innermost(&self) -> &Scope<'a> {
            self.scopes.last().expect("the module scope")
        }

        fn in_scope(&mut self, scope: Scope<'a>, walk: impl FnOnce(&mut Self)) {
            self.scopes.push(scope);
            walk(self);
            self.scopes.pop();
        }

        fn comprehension(&mut self, is_async: bool, expr: &'a Expr) {
            let kind = if matches!(expr, Expr::Generator(_)) {
                Kind::Generator
            } else {
                Kind::Comprehension { is_async }
            };
            self.in_scope(Scope::new(kind), |walk| visitor::walk_expr(walk, expr));
        }
    }

    impl<'a> Visitor<'a> for Walk<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            let mut checker = std::mem::take(&mut self.checker);
            checker.visit_stmt(stmt, self);
            self.checker = checker;
            match stmt {
                Stmt::FunctionDef(def) => {
                    for decorator in &def.decorator_list {
                        self.visit_decorator(decorator);
                    }
                    self.visit_parameters(&def.parameters);
                    if let Some(returns) = &def.returns {
                        self.visit_annotation(returns);
                    }
                    let mut scope = Scope::new(Kind::Function {
                        is_async: def.is_async,
                    });
                    scope.parameters = def
                        .parameters
                        .iter()
                        .map(|parameter| parameter.name().as_str())
                        .collect();
                    self.in_scope(scope, |walk| walk.visit_body(&def.body));
                }
                Stmt::ClassDef(class) => {
                    for decorator in &class.decorator_list {
                        self.visit_decorator(decorator);
                    }
                    if let Some(arguments) = &class.arguments {
                        self.visit_arguments(arguments);
                    }
                    self.in_scope(Scope::new(Kind::Class), |walk| walk.visit_body(&class.body));
                }
                Stmt::For(ast::StmtFor {
                    target,
                    iter,
                    body,
                    orelse,
                    ..
                }) => {
                    self.visit_expr(iter);
                    self.visit_expr(target);
                    self.in_loop(body);
                    self.visit_body(orelse);
                }
                Stmt::While(ast::StmtWhile {
                    test, body, orelse, ..
                }) => {
                    self.visit_expr(test);
                    self.in_loop(body);
                    self.visit_body(orelse);
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }

        fn visit_expr(&mut self, expr: &'a Expr) {
            let mut checker = std::mem::take(&mut self.checker);
            checker.visit_expr(expr, self);
            self.checker = checker;
            match expr {
                Expr::Lambda(lambda) => {
                    if let Some(parameters) = &lambda.parameters {
                        self.visit_parameters(parameters);
                    }
                    let mut scope = Scope::new(Kind::Lambda);
                    scope.parameters = lambda
                        .parameters
                        .iter()
                        .flat_map(|parameters| parameters.iter())
                        .map(|parameter| parameter.name().as_str())
                        .collect();
                    self.in_scope(scope, |walk| walk.visit_expr(&lambda.body));
                }
                Expr::ListComp(ast::ExprListComp { generators, .. })
                | Expr::SetComp(ast::ExprSetComp { generators, .. })
                | Expr::DictComp(ast::ExprDictComp { generators, .. })
                | Expr::Generator(ast::ExprGenerator { generators, .. }) => {
                    let is_async = generators.iter().any(|g| g.is_async);
                    self.comprehension(is_async, expr);
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }

    impl<'a> Walk<'a> {
        fn in_loop(&mut self, body: &'a [Stmt]) {
            let depth = self.scopes.len() - 1;
            self.scopes[depth].loops += 1;
            self.visit_body(body);
            self.scopes[depth].loops -= 1;
        }
    }

    impl SemanticSyntaxContext for Walk<'_> {
        fn future_annotations_or_stub(&self) -> bool {
            false
        }

        fn lazy_import_context(&self) -> Option<LazyImportContext> {
            None
        }

        fn python_version(&self) -> PythonVersion {
            PythonVersion::latest()
        }

        fn source(&self) -> &str {
            self.source
        }

        fn global(&self, _name: &str) -> Option<TextRange> {
            None
        }

        fn has_nonlocal_binding(&self, _name: &str) -> bool {
            true
        }

        fn in_async_context(&self) -> bool {
            for scope in self.scopes.iter().rev() {
                match scope.kind {
                    Kind::Class | Kind::Lambda => return false,
                    Kind::Function { is_async } => return is_async,
                    Kind::Module | Kind::Comprehension { .. } | Kind::Generator => {}
                }
            }
            false
        }

        fn in_await_allowed_context(&self) -> bool {
            for scope in self.scopes.iter().rev() {
                match scope.kind {
                    Kind::Class => return false,
                    Kind::Function { .. } | Kind::Lambda => return true,
                    Kind::Module | Kind::Comprehension { .. } | Kind::Generator => {}
                }
            }
            false
        }

        fn in_yield_allowed_context(&self) -> bool {
            matches!(self.innermost().kind, Kind::Function { .. } | Kind::Lambda)
        }

        fn in_sync_comprehension(&self) -> bool {
            self.scopes
                .iter()
                .rev()
                .map_while(|scope| match scope.kind {
                    Kind::Comprehension { is_async } => Some(!is_async),
                    Kind::Generator => Some(false),
                    _ => None,
                })
                .any(|sync| sync)
        }

        fn in_class_body_comprehension(&self) -> bool {
            let mut scopes = self.scopes.iter().rev();
            matches!(
                scopes.next().map(|s| s.kind),
                Some(Kind::Comprehension { .. } | Kind::Generator)
            ) && scopes
                .find(|s| !matches!(s.kind, Kind::Comprehension { .. } | Kind::Generator))
                .is_some_and(|s| s.kind == Kind::Class)
        }

        fn in_module_scope(&self) -> bool {
            self.innermost().kind == Kind::Module
        }

        fn in_function_scope(&self) -> bool {
            matches!(self.innermost().kind, Kind::Function { .. } | Kind::Lambda)
        }

        fn in_generator_context(&self) -> bool {
            self.innermost().kind == Kind::Generator
        }

        fn in_notebook(&self) -> bool {
            false
        }

        fn report_semantic_error(&self, error: SemanticSyntaxError) {
            self.errors.borrow_mut().push(error.to_string());
        }

        fn in_loop_context(&self) -> bool {
            self.innermost().loops > 0
        }

        fn is_bound_parameter(&self, name: &str) -> bool {
            self.scopes
                .iter()
                .rev()
                .find(|s| matches!(s.kind, Kind::Function { .. } | Kind::Lambda))
                .is_some_and(|s| s.parameters.contains(&name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(source: &str) -> Vec<String> {
        semantic_errors(&parse_module(source).expect("parses"), source)
    }

    #[test]
    fn reports_what_cpython_rejects_beyond_the_grammar() {
        assert_eq!(errors("f(a=1, a=2)\n"), ["Duplicate keyword argument `a`"]);
        assert_eq!(
            errors("def f():\n    await g()\n"),
            ["`await` outside of an asynchronous function"]
        );
        assert_eq!(
            errors("async def f():\n    yield 1\n    return 2\n"),
            ["`return` with value in async generator"]
        );
        assert!(!errors("class C:\n    [await x for x in y]\n").is_empty());
    }

    #[test]
    fn added_errors_are_the_new_ones() {
        let before = "f(a=1, a=2)\ndef g():\n    pass\n";
        let added =
            |after: &str| added_semantic_errors(before, &parse_module(after).unwrap(), after);
        assert!(added(before).is_empty());
        assert_eq!(
            added("f(a=1, a=2)\ndef g():\n    await h()\n"),
            ["`await` outside of an asynchronous function"]
        );
    }

    #[test]
    fn accepts_valid_code() {
        let valid = [
            "async def f():\n    await g()\n    [await x for x in y]\n    async with a:\n        pass\n",
            "def f(a):\n    for x in a:\n        break\n    while a:\n        continue\n    return lambda b: (yield b)\n",
            "async def f():\n    return [x async for x in y]\n",
            "from __future__ import annotations\nimport os\n",
            "class C:\n    def m(self):\n        return [self for _ in ()]\n",
            "def f():\n    x = 1\n    def g():\n        nonlocal x\n        x = 2\n",
        ];
        for source in valid {
            assert_eq!(errors(source), Vec::<String>::new(), "{source}");
        }
    }
}
