//! `pylint`: Pylint's parseable format, `path:row: [CODE] message`.

use std::fmt::Write as _;

use super::{Context, Emitter, Finding};

pub struct Pylint;

impl Emitter for Pylint {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], _context: &Context<'_>) {
        for f in findings {
            let _ = writeln!(
                out,
                "{}:{}: [{}] {}",
                f.path(),
                f.start.row,
                f.diagnostic.code(),
                f.diagnostic.message
            );
        }
    }
}
