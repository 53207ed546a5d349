//! `full`: each finding with the source lines around it (the range underlined), then its fix
//! as a diff of the lines it changes, or why there is none (ruff's `full` layout).

use std::fmt::Write as _;

use super::{code_and_message, Context, Emitter, Finding};
use crate::fix::{Applicability, Edit};
use crate::parse::TextSize;
use crate::source::LineIndex;

pub struct Full;

/// Lines of context shown around a finding (blank lines at the edges are left out).
const CONTEXT: usize = 2;
/// Blocks of changed lines shown per fix (a phase 2 conversion may edit hundreds of lines).
const MAX_BLOCKS: usize = 8;

impl Emitter for Full {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], context: &Context<'_>) {
        for f in findings {
            let text = f.text();
            let d = f.diagnostic;
            let _ = writeln!(
                out,
                "{}",
                code_and_message(d, context.settings, context.style)
            );
            let _ = writeln!(out, " --> {}:{}:{}", f.path(), f.start.row, f.start.column);
            let first = f.start.row - 1;
            let last_line = f.index.line_count().saturating_sub(1);
            let mut from = first.saturating_sub(CONTEXT);
            while from < first && line(text, f.index, from).trim().is_empty() {
                from += 1;
            }
            let mut to = (first + CONTEXT).min(last_line);
            while to > first && line(text, f.index, to).trim().is_empty() {
                to -= 1;
            }
            let width = (to + 1).to_string().len();
            let gutter = " ".repeat(width);
            let _ = writeln!(out, "{gutter} |");
            for n in from..=to {
                let _ = writeln!(out, "{:>width$} | {}", n + 1, line(text, f.index, n));
                if n == first {
                    let this = line(text, f.index, n);
                    let start = f.start.column - 1;
                    let end = if f.end.row == f.start.row {
                        f.end.column - 1
                    } else {
                        this.chars().count()
                    };
                    let carets = "^".repeat(end.saturating_sub(start).max(1));
                    let _ = writeln!(
                        out,
                        "{gutter} | {}{}",
                        " ".repeat(start),
                        context.style.paint("1;31", &carets)
                    );
                }
            }
            if to > first {
                let _ = writeln!(out, "{gutter} |");
            }
            let help = match (&d.fix, &d.note) {
                (Some(fix), note) => {
                    let kind = match fix.applicability {
                        Applicability::Safe => "safe fix",
                        Applicability::Unsafe if context.settings.unsafe_fixes => "unsafe fix",
                        Applicability::Unsafe => "unsafe fix (applied with `--unsafe-fixes`)",
                        Applicability::DisplayOnly => "suggested fix (never applied)",
                    };
                    match note {
                        Some(note) => format!("{kind}: {note}"),
                        None => kind.to_owned(),
                    }
                }
                (None, Some(note)) => format!("no fix: {note}"),
                (None, None) => "no fix available".to_owned(),
            };
            let _ = writeln!(out, "help: {help}");
            if let Some(fix) = &d.fix {
                write_fix(out, text, f.index, fix.edits(), context);
                if !fix.other_files.is_empty() {
                    let others: Vec<String> = fix
                        .other_files
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect();
                    let _ = writeln!(out, "  (the fix also edits {})", others.join(", "));
                }
            }
            out.push('\n');
        }
    }

    fn is_text(&self) -> bool {
        true
    }
}

/// The zero-based line `n` without its line ending.
fn line<'t>(text: &'t str, index: &LineIndex, n: usize) -> &'t str {
    let range = index.full_line_range(text, n);
    text.get(usize::from(range.start())..usize::from(range.end()))
        .unwrap_or("")
        .trim_end_matches(['\n', '\r'])
}

/// The fix as blocks of changed lines: the original lines (`-`), then the same lines with the
/// fix's edits applied (`+`).
fn write_fix(
    out: &mut String,
    text: &str,
    index: &LineIndex,
    edits: &[Edit],
    context: &Context<'_>,
) {
    // Blocks of whole lines (byte ranges), each with the edits inside it (edits are sorted by
    // position). Whole lines inserted at a line start replace nothing.
    let mut blocks: Vec<(TextSize, TextSize, Vec<&Edit>)> = Vec::new();
    for edit in edits {
        let (start, end) = if edit.is_insertion()
            && is_line_start(index, edit.range.start())
            && edit.content.ends_with(['\n', '\r'])
        {
            (edit.range.start(), edit.range.start())
        } else {
            let first = index.line_of(edit.range.start());
            let end = edit.range.end();
            let last = if end > edit.range.start() && is_line_start(index, end) {
                index.line_of(end) - 1
            } else {
                index.line_of(end)
            };
            (
                index.full_line_range(text, first).start(),
                index.full_line_range(text, last.max(first)).end(),
            )
        };
        match blocks.last_mut() {
            Some(block) if start < block.1 || (start == block.1 && block.0 == block.1) => {
                block.1 = block.1.max(end);
                block.2.push(edit);
            }
            _ => blocks.push((start, end, vec![edit])),
        }
    }
    let shown = blocks.len().min(MAX_BLOCKS);
    let width = blocks[..shown]
        .iter()
        .map(|b| (index.line_of(b.1) + 1).to_string().len())
        .max()
        .unwrap_or(1);
    let gutter = " ".repeat(width);
    for (start, end, block_edits) in &blocks[..shown] {
        let first = index.line_of(*start);
        let old = &text[usize::from(*start)..usize::from(*end)];
        let mut new = String::with_capacity(old.len() + 32);
        let mut at = *start;
        for edit in block_edits {
            new.push_str(&text[usize::from(at)..usize::from(edit.range.start())]);
            new.push_str(&edit.content);
            at = edit.range.end();
        }
        new.push_str(&text[usize::from(at)..usize::from(*end)]);
        let _ = writeln!(out, "{gutter} |");
        for (i, old_line) in old.lines().enumerate() {
            let _ = writeln!(
                out,
                "{:>width$} {}",
                first + i + 1,
                context.style.paint("31", &format!("- {old_line}"))
            );
        }
        for new_line in new.lines() {
            let _ = writeln!(
                out,
                "{gutter} {}",
                context.style.paint("32", &format!("+ {new_line}"))
            );
        }
    }
    let _ = writeln!(out, "{gutter} |");
    if blocks.len() > shown {
        let _ = writeln!(
            out,
            "  ... and {} more changed {} in this file",
            blocks.len() - shown,
            if blocks.len() - shown == 1 {
                "block"
            } else {
                "blocks"
            }
        );
    }
}

fn is_line_start(index: &LineIndex, offset: TextSize) -> bool {
    index.full_line_range_start(index.line_of(offset)) == offset
}
