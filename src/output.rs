//! Emitting results: findings as text, JSON or GitHub annotations, statistics, unified diffs
//! and the summaries of `check` and `fix`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::fix::Applicability;
use crate::pipeline::Settings;
use crate::recipe::Diagnostic;
use crate::run::FileReport;
use crate::source::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Github,
    Sarif,
}

/// Whether to color diffs and findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One finding's line: `path:row:col: CODE [*] message`.
pub fn finding_line(
    report: &FileReport,
    diagnostic: &Diagnostic,
    location: Location,
    settings: &Settings,
    style: Style,
) -> String {
    let marker = if settings.is_fixable(diagnostic) {
        " [*]"
    } else {
        ""
    };
    format!(
        "{}:{}:{}: {}{} {}",
        style.paint("1", &report.path.display().to_string()),
        location.row,
        location.column,
        style.paint("1;31", diagnostic.code()),
        marker,
        diagnostic.message
    )
}

/// Why a remaining finding was not fixed.
pub fn unfixed_reason(diagnostic: &Diagnostic, settings: &Settings) -> String {
    match (&diagnostic.fix, &diagnostic.note) {
        (Some(fix), note)
            if fix.applicability == Applicability::Unsafe && !settings.unsafe_fixes =>
        {
            match note {
                Some(why) => format!("unsafe fix withheld: {why}; apply it with --unsafe-fixes"),
                None => "unsafe fix withheld; apply it with --unsafe-fixes".to_owned(),
            }
        }
        (Some(fix), _) if fix.applicability == Applicability::DisplayOnly => {
            "the fix is shown only, never applied".to_owned()
        }
        (Some(_), _) => "its fix conflicted with another one that did not converge".to_owned(),
        (None, Some(note)) => format!("no fix: {note}"),
        (None, None) => "no fix available".to_owned(),
    }
}

pub fn print_findings(
    reports: &[FileReport],
    format: OutputFormat,
    settings: &Settings,
    style: Style,
) -> String {
    let mut out = String::new();
    match format {
        OutputFormat::Text => {
            for report in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
                let index = report.line_index();
                for diagnostic in &report.diagnostics {
                    let location =
                        index.location(report.diagnostics_text(), diagnostic.range.start());
                    let _ = writeln!(
                        out,
                        "{}",
                        finding_line(report, diagnostic, location, settings, style)
                    );
                }
            }
        }
        OutputFormat::Json => {
            let all: Vec<JsonFinding> = reports.iter().flat_map(json_findings).collect();
            out = serde_json::to_string_pretty(&all).expect("findings serialize");
            out.push('\n');
        }
        OutputFormat::Sarif => {
            out = serde_json::to_string_pretty(&sarif(reports)).expect("SARIF serializes");
            out.push('\n');
        }
        OutputFormat::Github => {
            for report in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
                let index = report.line_index();
                let path = report.path.display().to_string();
                let file = escape_property(&path);
                for d in &report.diagnostics {
                    let start = index.location(report.diagnostics_text(), d.range.start());
                    let end = index.location(report.diagnostics_text(), d.range.end());
                    let _ = writeln!(
                        out,
                        "::error title=awaitify ({code}),file={file},line={},col={},endLine={},endColumn={}::{}:{}:{}: {code} {}",
                        start.row, start.column, end.row, end.column,
                        escape_data(&path), start.row, start.column, escape_data(&d.message),
                        code = d.code(),
                    );
                }
            }
        }
    }
    out
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

#[derive(Serialize)]
struct JsonEdit {
    content: String,
    location: Location,
    end_location: Location,
}

#[derive(Serialize)]
struct JsonFix {
    applicability: Applicability,
    edits: Vec<JsonEdit>,
    /// The other files the fix edits (its edits there are not listed): apply it with
    /// `awaitify fix`, never edit by edit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_files: Vec<String>,
}

#[derive(Serialize)]
struct JsonFinding {
    code: &'static str,
    recipe: &'static str,
    phase: u8,
    message: String,
    filename: String,
    location: Location,
    end_location: Location,
    fix: Option<JsonFix>,
    note: Option<String>,
    ruff_equivalent: Option<&'static str>,
}

fn json_findings(report: &FileReport) -> Vec<JsonFinding> {
    if report.diagnostics.is_empty() {
        return Vec::new();
    }
    let index = report.line_index();
    let at = |offset| index.location(report.diagnostics_text(), offset);
    report
        .diagnostics
        .iter()
        .map(|d| JsonFinding {
            code: d.code(),
            recipe: d.recipe.id,
            phase: d.recipe.phase,
            message: d.message.clone(),
            filename: report.path.display().to_string(),
            location: at(d.range.start()),
            end_location: at(d.range.end()),
            fix: d.fix.as_ref().map(|fix| JsonFix {
                applicability: fix.applicability,
                edits: fix
                    .edits()
                    .iter()
                    .map(|e| JsonEdit {
                        content: e.content.to_string(),
                        location: at(e.range.start()),
                        end_location: at(e.range.end()),
                    })
                    .collect(),
                other_files: fix
                    .other_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
            }),
            note: d.note.clone(),
            ruff_equivalent: d.recipe.ruff_equivalent,
        })
        .collect()
}

/// A SARIF 2.1.0 log of the findings, with every recipe as a rule.
fn sarif(reports: &[FileReport]) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<_> = crate::codemods::RECIPES
        .iter()
        .map(|recipe| {
            let meta = recipe.meta();
            json!({
                "id": meta.code,
                "name": meta.id,
                "shortDescription": { "text": meta.summary },
                "help": { "text": crate::recipe::render_doc(meta.doc) },
                "properties": { "phase": meta.phase, "fix": meta.fix.as_str() },
            })
        })
        .collect();
    let mut results = Vec::new();
    for report in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
        let index = report.line_index();
        for d in &report.diagnostics {
            let start = index.location(report.diagnostics_text(), d.range.start());
            let end = index.location(report.diagnostics_text(), d.range.end());
            results.push(json!({
                "ruleId": d.code(),
                "level": "error",
                "message": { "text": d.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": report.path.display().to_string().replace('\\', "/") },
                        "region": {
                            "startLine": start.row,
                            "startColumn": start.column,
                            "endLine": end.row,
                            "endColumn": end.column,
                        }
                    }
                }],
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "awaitify", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results,
        }],
    })
}

/// The machine-readable summary of `fix --output-format json`.
#[derive(Serialize)]
pub struct FixSummary {
    /// `true` with `--write`: the changes were written.
    pub written: bool,
    pub files_changed: Vec<String>,
    pub fixes_applied: BTreeMap<&'static str, usize>,
    pub unsafe_fixes_withheld: BTreeMap<&'static str, usize>,
    pub remaining: Vec<RemainingFinding>,
    pub errors: Vec<String>,
}

#[derive(Serialize)]
pub struct RemainingFinding {
    pub code: &'static str,
    pub filename: String,
    pub location: Location,
    pub message: String,
    pub reason: String,
}

pub fn fix_json(reports: &[FileReport], settings: &Settings, write: bool) -> FixSummary {
    let mut summary = FixSummary {
        written: write,
        files_changed: Vec::new(),
        fixes_applied: BTreeMap::new(),
        unsafe_fixes_withheld: BTreeMap::new(),
        remaining: Vec::new(),
        errors: Vec::new(),
    };
    for report in reports {
        if report.changed() {
            summary
                .files_changed
                .push(report.path.display().to_string());
        }
        for (code, count) in &report.applied {
            *summary.fixes_applied.entry(code).or_default() += count;
        }
        if let Some(error) = &report.error {
            summary.errors.push(error.render(&report.path));
        }
        if report.diagnostics.is_empty() {
            continue;
        }
        let index = report.line_index();
        for d in &report.diagnostics {
            let unsafe_fix = d
                .fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Unsafe);
            if unsafe_fix && !settings.unsafe_fixes {
                *summary.unsafe_fixes_withheld.entry(d.code()).or_default() += 1;
            }
            summary.remaining.push(RemainingFinding {
                code: d.code(),
                filename: report.path.display().to_string(),
                location: index.location(report.diagnostics_text(), d.range.start()),
                message: d.message.clone(),
                reason: unfixed_reason(d, settings),
            });
        }
    }
    summary
}

/// `--statistics`: one line per code, most frequent first.
pub fn statistics(reports: &[FileReport], settings: &Settings) -> String {
    let mut counts: BTreeMap<&'static str, (usize, bool, &'static str)> = BTreeMap::new();
    for d in reports.iter().flat_map(|r| &r.diagnostics) {
        let entry = counts.entry(d.code()).or_insert((0, false, d.recipe.id));
        entry.0 += 1;
        entry.1 |= settings.is_fixable(d);
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    let mut out = String::new();
    for (code, (count, fixable, id)) in rows {
        let marker = if fixable { "[*]" } else { "[ ]" };
        let _ = writeln!(out, "{count:>5}\t{code}\t{marker} {id}");
    }
    out
}

/// The summary after `check`'s findings.
pub fn check_summary(reports: &[FileReport], settings: &Settings) -> String {
    let all: Vec<&Diagnostic> = reports.iter().flat_map(|r| &r.diagnostics).collect();
    let errors = reports.iter().filter(|r| r.error.is_some()).count();
    if all.is_empty() {
        return if errors == 0 {
            "All checks passed!\n".to_owned()
        } else {
            format!(
                "No findings, but {} could not be checked.\n",
                plural(errors, "file", "files")
            )
        };
    }
    let fixable = all.iter().filter(|d| settings.is_fixable(d)).count();
    let hidden = all
        .iter()
        .filter(|d| {
            !settings.is_fixable(d)
                && d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == Applicability::Unsafe)
        })
        .count();
    let mut out = format!("Found {}.\n", plural(all.len(), "finding", "findings"));
    if errors > 0 {
        let _ = writeln!(
            out,
            "{} could not be checked.",
            plural(errors, "file", "files")
        );
    }
    if fixable > 0 {
        let _ = writeln!(out, "[*] {fixable} fixable with `awaitify fix --write`.");
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "({} can be enabled with the `--unsafe-fixes` option.)",
            plural(hidden, "hidden fix", "hidden fixes")
        );
    }
    out
}

/// A unified diff of one changed file (empty when it did not change).
pub fn diff(report: &FileReport, style: Style) -> String {
    let Some(original) = &report.original else {
        return String::new();
    };
    let path = report.path.display().to_string();
    let text_diff = crate::source::line_diff(original.as_str(), report.text.as_str());
    let unified = text_diff
        .unified_diff()
        .context_radius(3)
        .header(&path, &path)
        .to_string();
    if !style.color {
        return unified;
    }
    let mut out = String::with_capacity(unified.len() + 256);
    for line in unified.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let painted = if line.starts_with("---") || line.starts_with("+++") {
            style.paint("1", body)
        } else if line.starts_with("@@") {
            style.paint("36", body)
        } else if line.starts_with('-') {
            style.paint("31", body)
        } else if line.starts_with('+') {
            style.paint("32", body)
        } else {
            body.to_owned()
        };
        out.push_str(&painted);
        out.push_str(newline);
    }
    out
}

/// The summary of `fix`: what was (or would be) fixed, what remains and why.
pub fn fix_summary(
    reports: &[FileReport],
    settings: &Settings,
    write: bool,
    style: Style,
) -> String {
    let fixed: usize = reports
        .iter()
        .map(|r| r.applied.values().sum::<usize>())
        .sum();
    let files = reports.iter().filter(|r| r.changed()).count();
    let mut out = String::new();
    let verb = if write { "Fixed" } else { "Would fix" };
    if fixed > 0 {
        let _ = writeln!(
            out,
            "{verb} {} in {}.",
            plural(fixed, "finding", "findings"),
            plural(files, "file", "files")
        );
    } else {
        let _ = writeln!(
            out,
            "No fixes {}.",
            if write { "applied" } else { "available" }
        );
    }
    let remaining: Vec<(&FileReport, &Diagnostic)> = reports
        .iter()
        .flat_map(|r| r.diagnostics.iter().map(move |d| (r, d)))
        .collect();
    if !remaining.is_empty() {
        let _ = writeln!(
            out,
            "{} {} unfixed:",
            plural(remaining.len(), "finding", "findings"),
            if remaining.len() == 1 {
                "remains"
            } else {
                "remain"
            }
        );
        for report in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
            let index = report.line_index();
            for d in &report.diagnostics {
                let location = index.location(report.diagnostics_text(), d.range.start());
                let reason = match &report.error {
                    Some(_) => "the file was not changed; see the error above".to_owned(),
                    None => unfixed_reason(d, settings),
                };
                let line = finding_line(report, d, location, settings, style);
                let _ = writeln!(out, "  {line} ({reason})");
            }
        }
    }
    let withheld = remaining
        .iter()
        .filter(|(_, d)| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Unsafe)
                && !settings.unsafe_fixes
        })
        .count();
    if withheld > 0 {
        let _ = writeln!(
            out,
            "{} withheld; rerun with `--unsafe-fixes` to apply them.",
            plural(withheld, "unsafe fix", "unsafe fixes")
        );
    }
    out
}
