//! Imports that fixes need, and imports that fixes made unused.
//!
//! Recipes *schedule* imports: they ask the [`Importer`] for a module's name and put the edit
//! it returns into their fix. Every fix that needs `import asyncio` carries the identical
//! insertion, and the fix engine applies identical edits once, so the import is added once.
//!
//! After the fix loop, an import that the original file used and the fixed file no longer uses
//! is removed ([`removal_edits`]); imports that were already unused are the user's business.

use std::collections::BTreeMap;

use crate::fix::Edit;
use crate::parse::ast::{Expr, Stmt};
use crate::parse::{Parsed, Ranged, TextRange, TextSize};
use crate::semantic::{Binding, BindingKind, ScopeId, SemanticModel};
use crate::source::{end_of_line, start_of_line, LineIndex, Stylist};

/// Where new module-level imports go, computed once per file.
pub struct Importer {
    insert_at: TextSize,
    /// The insertion point is at the end of a file without a final newline.
    needs_leading_newline: bool,
    /// The insertion point follows existing statements (rather than starting the file).
    after_statements: bool,
    /// The line at the insertion point is blank (or the file ends there).
    blank_after: bool,
    line_ending: &'static str,
    indent: String,
    /// Top-level `def`/`class` names and where their statements are, to recognise an
    /// existing helper.
    definitions: Vec<(String, TextRange)>,
}

impl Importer {
    pub fn new(source: &str, suite: &[Stmt], stylist: &Stylist) -> Self {
        // After the docstring, `from __future__` imports and the leading block of imports.
        let mut anchor: Option<&Stmt> = None;
        for (i, stmt) in suite.iter().enumerate() {
            let is_docstring = i == 0
                && matches!(stmt, Stmt::Expr(e) if matches!(&*e.value, Expr::StringLiteral(_)));
            if is_docstring || matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)) {
                anchor = Some(stmt);
            } else {
                break;
            }
        }
        let (insert_at, needs_leading_newline) = match anchor {
            Some(stmt) => {
                let end = end_of_line(source, stmt.end());
                (
                    end,
                    usize::from(end) == source.len() && !ends_with_newline(source),
                )
            }
            None => match suite.first() {
                Some(first) => (start_of_line(source, first.start()), false),
                None => (
                    TextSize::try_from(source.len()).unwrap_or_default(),
                    !source.is_empty() && !ends_with_newline(source),
                ),
            },
        };
        let definitions = suite
            .iter()
            .filter_map(|stmt| {
                let name = match stmt {
                    Stmt::ClassDef(class) => class.name.id.as_str(),
                    Stmt::FunctionDef(def) => def.name.id.as_str(),
                    _ => return None,
                };
                Some((name.to_owned(), stmt.range()))
            })
            .collect();
        Importer {
            insert_at,
            needs_leading_newline,
            after_statements: anchor.is_some(),
            blank_after: source[usize::from(insert_at)..]
                .split(['\n', '\r'])
                .next()
                .is_none_or(|line| line.trim().is_empty()),
            line_ending: stylist.line_ending,
            indent: stylist.indent.clone(),
            definitions,
        }
    }

    /// The edit that adds a module-level helper definition after the imports: `source` is
    /// written with four-space indentation and `\n` line endings, and is converted to the
    /// file's. `Ok(None)` when the file (`module`) already has this very helper.
    pub fn define_helper(
        &self,
        semantic: &SemanticModel,
        module: &str,
        name: &str,
        source: &str,
    ) -> Result<Option<Edit>, String> {
        let eol = self.line_ending;
        let rendered: Vec<String> = source
            .trim_end()
            .lines()
            .map(|line| {
                let body = line.trim_start_matches(' ');
                let depth = (line.len() - body.len()) / 4;
                format!("{}{body}", self.indent.repeat(depth))
            })
            .collect();
        let rendered = rendered.join(eol);
        if let Some((_, existing)) = self.definitions.iter().find(|(n, _)| n == name) {
            return if module[*existing] == rendered {
                Ok(None)
            } else {
                Err(format!(
                    "the name `{name}` is already defined in this module"
                ))
            };
        }
        if !semantic.is_free(0, name) {
            return Err(format!("the name `{name}` is already bound in this module"));
        }
        let content = if self.needs_leading_newline {
            format!("{eol}{eol}{eol}{rendered}{eol}")
        } else if self.after_statements && !self.blank_after {
            format!("{eol}{eol}{rendered}{eol}{eol}{eol}")
        } else if self.after_statements {
            format!("{eol}{eol}{rendered}{eol}")
        } else {
            format!("{rendered}{eol}{eol}{eol}")
        };
        Ok(Some(Edit::insertion(content, self.insert_at)))
    }

    /// The name to use for `module` from `scope`: an existing import of it, or `module` itself
    /// together with the edit that imports it at the top of the file.
    pub fn import_module(
        &self,
        semantic: &SemanticModel,
        scope: ScopeId,
        module: &str,
        at: TextSize,
    ) -> Result<(String, Option<Edit>), String> {
        Ok(match self.module_name(semantic, scope, module, at)? {
            Some(alias) => (alias.to_owned(), None),
            None => (module.to_owned(), Some(self.import_edit(module))),
        })
    }

    /// The name an existing import gives `module` in `scope` at `at`, or `None` when `module`
    /// is free there and can be imported (see [`Importer::import_edit`]).
    pub fn module_name<'s>(
        &self,
        semantic: &'s SemanticModel,
        scope: ScopeId,
        module: &str,
        at: TextSize,
    ) -> Result<Option<&'s str>, String> {
        if let Some(alias) = semantic.module_alias(scope, module, at) {
            return Ok(Some(alias));
        }
        if !semantic.is_free(scope, module) && !semantic.is_module_import(scope, module, module) {
            return Err(format!(
                "the name `{module}` is bound to something else here"
            ));
        }
        Ok(None)
    }

    /// The edit importing `module` at the top of the file.
    pub fn import_edit(&self, module: &str) -> Edit {
        let eol = self.line_ending;
        let content = if self.needs_leading_newline {
            format!("{eol}import {module}")
        } else {
            format!("import {module}{eol}")
        };
        Edit::insertion(content, self.insert_at)
    }
}

fn ends_with_newline(source: &str) -> bool {
    source.ends_with('\n') || source.ends_with('\r')
}

/// Edits removing the given import bindings (which fixes made unused). A binding whose removal
/// would leave an empty block, share a line with other code, or drop a comment is kept.
pub fn removal_edits(source: &str, parsed: &Parsed, bindings: &[&Binding]) -> Vec<Edit> {
    // Group by statement: removing several aliases of one statement must not overlap.
    let mut by_stmt: BTreeMap<TextSize, (&crate::semantic::ImportSite, Vec<usize>)> =
        BTreeMap::new();
    for binding in bindings {
        let BindingKind::Import { site, .. } = &binding.kind else {
            continue;
        };
        if binding.rebound {
            continue;
        }
        by_stmt
            .entry(site.stmt.start())
            .or_insert_with(|| (site, Vec::new()))
            .1
            .push(site.index);
    }
    let lines = LineIndex::new(source);
    let mut edits = Vec::new();
    // Whole statements to delete, per block: a block must keep at least one statement.
    let mut whole: BTreeMap<(TextSize, usize), Vec<Edit>> = BTreeMap::new();
    for (site, mut removed) in by_stmt.into_values() {
        removed.sort_unstable();
        removed.dedup();
        if removed.len() == site.aliases.len() {
            if let Some(edit) = delete_statement(source, parsed, &lines, site.stmt) {
                whole.entry(site.block).or_default().push(edit);
            }
            continue;
        }
        for run in runs(&removed) {
            let (first, last) = (run[0], run[run.len() - 1]);
            let range = if last + 1 < site.aliases.len() {
                // `a, b, c` removing `a, b`: delete up to the next kept alias.
                TextRange::new(site.aliases[first].start(), site.aliases[last + 1].start())
            } else {
                // Removing the tail: delete from the end of the previous kept alias.
                TextRange::new(site.aliases[first - 1].end(), site.aliases[last].end())
            };
            if !parsed.has_comment_in(range) {
                edits.push(Edit::deletion(range));
            }
        }
    }
    for ((_, block_len), deletions) in whole {
        if deletions.len() < block_len {
            edits.extend(deletions);
        }
    }
    edits
}

/// Splits sorted indices into runs of consecutive ones.
fn runs(indices: &[usize]) -> Vec<&[usize]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=indices.len() {
        if i == indices.len() || indices[i] != indices[i - 1] + 1 {
            out.push(&indices[start..i]);
            start = i;
        }
    }
    out
}

fn delete_statement(
    source: &str,
    parsed: &Parsed,
    lines: &LineIndex,
    stmt: TextRange,
) -> Option<Edit> {
    let first = lines.line_of(stmt.start());
    let last = lines.line_of(stmt.end());
    let first_line = lines.full_line_range(source, first);
    let last_line = lines.full_line_range(source, last);
    let before = &source[usize::from(first_line.start())..usize::from(stmt.start())];
    let after = source[usize::from(stmt.end())..usize::from(last_line.end())].trim();
    // Only a statement alone on its lines (a trailing comment goes with it).
    let after_is_comment = after.is_empty() || after.starts_with('#');
    if !before.trim().is_empty() || !after_is_comment {
        return None;
    }
    // A comment inside a multi-line import would be lost.
    if parsed.has_comment_in(stmt) {
        return None;
    }
    // Blank lines around the statement collapse to one (none at the top of the file).
    let blank = |line: usize| {
        line < lines.line_count()
            && source[lines.full_line_range(source, line)]
                .trim()
                .is_empty()
    };
    let blank_before = first == 0 || blank(first - 1);
    let mut end = last_line.end();
    if blank_before && last + 1 < lines.line_count() && blank(last + 1) {
        end = lines.full_line_range(source, last + 1).end();
        // At the top of the file, every blank line after the statement goes.
        let mut next = last + 2;
        while first == 0 && next < lines.line_count() && blank(next) {
            end = lines.full_line_range(source, next).end();
            next += 1;
        }
    }
    Some(Edit::deletion(TextRange::new(first_line.start(), end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_consecutive_indices() {
        assert_eq!(runs(&[0, 1, 3]), vec![&[0, 1][..], &[3][..]]);
        assert_eq!(runs(&[2]), vec![&[2][..]]);
    }
}
