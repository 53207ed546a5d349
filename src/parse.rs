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
