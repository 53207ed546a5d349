//! `junit`: a JUnit XML report, as ruff writes it: one test suite per file, one failed test
//! case per finding (`org.awaitify.CODE`).

use std::fmt::Write as _;

use super::{Context, Emitter, Finding};

pub struct Junit;

impl Emitter for Junit {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], _context: &Context<'_>) {
        let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let total = findings.len();
        let _ = writeln!(
            out,
            r#"<testsuites name="awaitify" tests="{total}" skipped="0" failures="{total}" errors="0">"#
        );
        for group in findings.chunk_by(|a, b| std::ptr::eq(a.report, b.report)) {
            let path = group[0].path();
            let classname = path
                .strip_suffix(".pyi")
                .or_else(|| path.strip_suffix(".py"))
                .unwrap_or(&path);
            let _ = writeln!(
                out,
                r#"    <testsuite name="{}" tests="{n}" skipped="0" errors="0" failures="{n}" package="org.awaitify">"#,
                escape(&path),
                n = group.len()
            );
            for f in group {
                let message = escape(&f.diagnostic.message);
                let _ = writeln!(
                    out,
                    r#"        <testcase name="org.awaitify.{}" classname="{}" line="{}" column="{}">"#,
                    f.diagnostic.code(),
                    escape(classname),
                    f.start.row,
                    f.start.column
                );
                let _ = writeln!(out, "            <properties>");
                let _ = writeln!(
                    out,
                    r#"                <property name="severity" value="error"/>"#
                );
                let _ = writeln!(out, "            </properties>");
                let _ = writeln!(
                    out,
                    r#"            <failure message="{message}">line {}, col {}, {message}</failure>"#,
                    f.start.row, f.start.column
                );
                let _ = writeln!(out, "        </testcase>");
            }
            let _ = writeln!(out, "    </testsuite>");
        }
        let _ = writeln!(out, "</testsuites>");
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
