//! `github`: GitHub Actions workflow commands, one `::error` annotation per finding.

use std::fmt::Write as _;

use super::{Context, Emitter, Finding};

pub struct Github;

impl Emitter for Github {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], _context: &Context<'_>) {
        for f in findings {
            let path = f.path();
            let file = escape_property(&path);
            let (start, end) = (f.start, f.end);
            let _ = writeln!(
                out,
                "::error title=awaitify ({code}),file={file},line={},col={},endLine={},endColumn={}::{}:{}:{}: {code} {}",
                start.row, start.column, end.row, end.column,
                escape_data(&path), start.row, start.column, escape_data(&f.diagnostic.message),
                code = f.diagnostic.code(),
            );
        }
    }
}

/// GitHub workflow commands: `%`, CR and LF are escaped in data...
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// ...and also `:` and `,` in property values.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
