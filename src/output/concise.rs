//! `concise` (alias `text`): one line per finding, `path:row:col: CODE [*] message`.

use std::fmt::Write as _;

use super::{finding_line, Context, Emitter, Finding};

pub struct Concise;

impl Emitter for Concise {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], context: &Context<'_>) {
        for f in findings {
            let line = finding_line(
                f.report,
                f.diagnostic,
                f.start,
                context.settings,
                context.style,
            );
            let _ = writeln!(out, "{line}");
        }
    }

    fn is_text(&self) -> bool {
        true
    }
}
