//! `grouped`: the findings under their file's name, `row:col CODE [*] message`, rows and
//! columns aligned within a file (ruff's layout).

use std::fmt::Write as _;

use super::{code_and_message, Context, Emitter, Finding};

pub struct Grouped;

impl Emitter for Grouped {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], context: &Context<'_>) {
        for group in findings.chunk_by(|a, b| std::ptr::eq(a.report, b.report)) {
            let _ = writeln!(out, "{}:", context.style.paint("1", &group[0].path()));
            let row_width = group.iter().map(|f| digits(f.start.row)).max().unwrap_or(1);
            let column_width = group
                .iter()
                .map(|f| digits(f.start.column))
                .max()
                .unwrap_or(1);
            for f in group {
                let _ = writeln!(
                    out,
                    "  {:>row_width$}:{:<column_width$} {}",
                    f.start.row,
                    f.start.column,
                    code_and_message(f.diagnostic, context.settings, context.style)
                );
            }
            out.push('\n');
        }
    }

    fn is_text(&self) -> bool {
        true
    }
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}
