//! Emitting results: findings in every output format, statistics, unified diffs and the
//! summaries of `check` and `fix`.
//!
//! Each output format is one [`Emitter`] in its own module (ruff's formats and names:
//! `concise`, `full`, `grouped`, `json`, `junit`, `gitlab`, `pylint`, `github`, plus
//! `sarif`); [`OutputFormat::emitter`] picks it.

mod concise;
mod full;
mod github;
mod gitlab;
mod grouped;
mod json;
mod junit;
mod pylint;
mod sarif;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::file::FileReport;
use crate::fix::Applicability;
use crate::pipeline::Settings;
use crate::recipe::Diagnostic;
use crate::source::{LineIndex, Location};

/// How `check` prints findings (`--output-format`), with ruff's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One line per finding: `path:row:col: CODE [*] message` (`text` is an alias).
    #[value(alias = "text")]
    Concise,
    /// Each finding with its source lines and its fix as a diff.
    Full,
    /// The findings under their file's name.
    Grouped,
    /// A JSON array of findings with their fixes' edits.
    Json,
    /// A JUnit XML report (one test suite per file, one failed test case per finding).
    Junit,
    /// A GitLab Code Quality report.
    Gitlab,
    /// Pylint's parseable format: `path:row: [CODE] message`.
    Pylint,
    /// GitHub Actions annotations.
    Github,
    /// A SARIF 2.1.0 log.
    Sarif,
}

impl OutputFormat {
    /// The strategy that prints this format.
    pub fn emitter(self) -> &'static dyn Emitter {
        match self {
            OutputFormat::Concise => &concise::Concise,
            OutputFormat::Full => &full::Full,
            OutputFormat::Grouped => &grouped::Grouped,
            OutputFormat::Json => &json::Json,
            OutputFormat::Junit => &junit::Junit,
            OutputFormat::Gitlab => &gitlab::Gitlab,
            OutputFormat::Pylint => &pylint::Pylint,
            OutputFormat::Github => &github::Github,
            OutputFormat::Sarif => &sarif::Sarif,
        }
    }
}

/// One output format.
pub trait Emitter: Sync {
    /// Appends the findings, in this format, to `out`.
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], context: &Context<'_>);
    /// Whether the human summary (`Found 3 findings.`) follows the findings, as in ruff's
    /// text formats; machine formats are the whole output.
    fn is_text(&self) -> bool {
        false
    }
}

/// What every format may need besides the findings.
pub struct Context<'a> {
    pub settings: &'a Settings,
    pub style: Style,
}

/// One finding, located.
pub struct Finding<'a> {
    pub report: &'a FileReport,
    pub diagnostic: &'a Diagnostic,
    pub index: &'a LineIndex,
    pub start: Location,
    pub end: Location,
}

impl Finding<'_> {
    pub fn path(&self) -> String {
        self.report.path.display().to_string()
    }

    /// The text the finding's ranges refer to.
    pub fn text(&self) -> &str {
        self.report.diagnostics_text()
    }
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

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
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
    format!(
        "{}:{}:{}: {}",
        style.paint("1", &report.path.display().to_string()),
        location.row,
        location.column,
        code_and_message(diagnostic, settings, style)
    )
}

/// `CODE [*] message`, the marker when `fix --write` fixes it.
fn code_and_message(diagnostic: &Diagnostic, settings: &Settings, style: Style) -> String {
    let marker = if settings.is_fixable(diagnostic) {
        " [*]"
    } else {
        ""
    };
    format!(
        "{}{} {}",
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

/// The findings of every report, in order, with their locations.
fn with_findings<R>(reports: &[FileReport], then: impl FnOnce(&[Finding<'_>]) -> R) -> R {
    let indexed: Vec<(&FileReport, LineIndex)> = reports
        .iter()
        .filter(|r| !r.diagnostics.is_empty())
        .map(|r| (r, r.line_index()))
        .collect();
    let findings: Vec<Finding<'_>> = indexed
        .iter()
        .flat_map(|(report, index)| {
            report.diagnostics.iter().map(move |d| Finding {
                report,
                diagnostic: d,
                index,
                start: index.location(report.diagnostics_text(), d.range.start()),
                end: index.location(report.diagnostics_text(), d.range.end()),
            })
        })
        .collect();
    then(&findings)
}

/// The findings in `format`.
pub fn print_findings(
    reports: &[FileReport],
    format: OutputFormat,
    settings: &Settings,
    style: Style,
) -> String {
    let mut out = String::new();
    let context = Context { settings, style };
    with_findings(reports, |findings| {
        format.emitter().emit(&mut out, findings, &context)
    });
    out
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
    /// The distributions the fixes import that the projects of the files they change do not
    /// declare (see [`undeclared_dependencies`]).
    pub undeclared_dependencies: Vec<UndeclaredDependency>,
}

/// A distribution from PyPI the fixes import (see [`crate::recipe::RecipeMeta::requires`]) in
/// files of a project that does not declare it as a dependency: installed from what it
/// declares, the migrated code would fail to import it.
#[derive(Serialize)]
pub struct UndeclaredDependency {
    pub distribution: &'static str,
    /// The project folder (relative to the current folder when below it); `None`: no folder
    /// above the files declares a project.
    pub project: Option<String>,
    /// The files the fixes make import it.
    pub files: Vec<String>,
}

/// The distributions the applied fixes of `reports` import, per project folder of the files
/// they change, that the project does not name in a file that lists dependencies (see
/// [`crate::project::layout::declares_dependency`]).
pub fn undeclared_dependencies(reports: &[FileReport]) -> Vec<UndeclaredDependency> {
    let mut needed: BTreeMap<(Option<std::path::PathBuf>, &'static str), Vec<String>> =
        BTreeMap::new();
    for report in reports {
        let required = report.applied.keys().filter_map(|code| {
            crate::codemods::find(code).and_then(|recipe| recipe.meta().requires)
        });
        for distribution in required {
            let project = crate::project::layout::project_of_file(&report.path);
            let files = needed.entry((project, distribution)).or_default();
            let file = report.path.display().to_string();
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    let here = std::env::current_dir().ok();
    needed
        .into_iter()
        .filter(|((project, distribution), _)| {
            project.as_deref().is_none_or(|project| {
                !crate::project::layout::declares_dependency(project, distribution)
            })
        })
        .map(|((project, distribution), files)| UndeclaredDependency {
            distribution,
            project: project.map(|project| {
                let relative = here
                    .as_deref()
                    .and_then(|here| project.strip_prefix(here).ok());
                match relative {
                    Some(relative) if relative.as_os_str().is_empty() => ".".to_owned(),
                    Some(relative) => relative.display().to_string(),
                    None => project.display().to_string(),
                }
            }),
            files,
        })
        .collect()
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
        undeclared_dependencies: undeclared_dependencies(reports),
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

/// `--statistics`: one line per code, most frequent first (in JSON with
/// `--output-format json`, as ruff: `code`, `name`, `count`, `fixable`, `fixable_count`).
pub fn statistics(reports: &[FileReport], settings: &Settings, json: bool) -> String {
    // code -> (count, fixable count, recipe id)
    let mut counts: BTreeMap<&'static str, (usize, usize, &'static str)> = BTreeMap::new();
    for d in reports.iter().flat_map(|r| &r.diagnostics) {
        let entry = counts.entry(d.code()).or_insert((0, 0, d.recipe.id));
        entry.0 += 1;
        entry.1 += usize::from(settings.is_fixable(d));
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    if json {
        let rows: Vec<_> = rows
            .iter()
            .map(|(code, (count, fixable, id))| {
                serde_json::json!({
                    "code": code,
                    "name": id,
                    "count": count,
                    "fixable": *fixable > 0,
                    "fixable_count": fixable,
                })
            })
            .collect();
        return serde_json::to_string_pretty(&rows).expect("statistics serialize") + "\n";
    }
    let mut out = String::new();
    for (code, (count, fixable, id)) in rows {
        let marker = if fixable > 0 { "[*]" } else { "[ ]" };
        let _ = writeln!(out, "{count:>5}\t{code}\t{marker} {id}");
    }
    out
}

/// The note both summaries give when phase 2 fixes are in play: a conversion brings blocking
/// calls into async code, where the phase 1 recipes then fix them in the same run, so `fix`
/// counts findings that `check` reports only as the AW201 finding of their path.
pub fn phase_2_note(reports: &[FileReport], settings: &Settings, fixing: bool) -> Option<String> {
    let enabled = |code: &str| settings.recipes.iter().any(|r| r.meta().code == code);
    let phase = |code: &str| crate::codemods::find(code).map(|r| r.meta().phase);
    let show = if fixing {
        // A conversion was applied, and phase 1 findings were fixed or remain.
        let applied = |p: u8| {
            reports
                .iter()
                .any(|r| r.applied.keys().any(|code| phase(code) == Some(p)))
        };
        let remaining_phase_1 = reports
            .iter()
            .flat_map(|r| &r.diagnostics)
            .any(|d| d.recipe.phase == 1);
        applied(2) && (applied(1) || remaining_phase_1)
    } else {
        // A fixable finding of a blocking call reached from async code, whose call the
        // enabled phase 1 recipe then migrates.
        reports
            .iter()
            .flat_map(|r| &r.diagnostics)
            .any(|d| d.origin.is_some_and(enabled) && settings.is_fixable(d))
    };
    show.then(|| {
        if fixing {
            "(These counts include the phase 1 findings that phase 2's conversions create: blocking calls in functions that became async, which `awaitify check` counts once, as the finding of their call path.)".to_owned()
        } else {
            "(Phase 2's fixes make functions async; the blocking calls in them then become phase 1 findings, fixed in the same run, so `awaitify fix` counts more.)".to_owned()
        }
    })
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
    if let Some(note) = phase_2_note(reports, settings, false) {
        let _ = writeln!(out, "{note}");
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

/// The summary of `fix`: what was (or would be) fixed (per file and code with
/// `--show-fixes`), what remains, grouped by reason (each reason once, with its findings), and
/// how many unsafe fixes were withheld.
pub fn fix_summary(
    reports: &[FileReport],
    settings: &Settings,
    write: bool,
    show_fixes: bool,
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
            "{verb} {} in {}{}",
            plural(fixed, "finding", "findings"),
            plural(files, "file", "files"),
            if show_fixes { ":" } else { "." }
        );
        if show_fixes {
            out.push_str(&fixes_by_file(reports));
        }
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
        // Reasons in order of first appearance, each with its findings.
        let mut reasons: Vec<(String, Vec<String>)> = Vec::new();
        let mut position: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        for report in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
            let index = report.line_index();
            for d in &report.diagnostics {
                let location = index.location(report.diagnostics_text(), d.range.start());
                let reason = match &report.error {
                    Some(_) => "the file was not changed; see the error above".to_owned(),
                    None => unfixed_reason(d, settings),
                };
                let line = finding_line(report, d, location, settings, style);
                let at = *position.entry(reason.clone()).or_insert_with(|| {
                    reasons.push((reason, Vec::new()));
                    reasons.len() - 1
                });
                reasons[at].1.push(line);
            }
        }
        let _ = writeln!(
            out,
            "{} {} unfixed{}",
            plural(remaining.len(), "finding", "findings"),
            if remaining.len() == 1 {
                "remains"
            } else {
                "remain"
            },
            if reasons.len() > 1 {
                format!(", for {} reasons:", reasons.len())
            } else {
                ":".to_owned()
            }
        );
        for (reason, lines) in &reasons {
            let _ = writeln!(out, "  {reason}:");
            for line in lines {
                let _ = writeln!(out, "    {line}");
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
    if let Some(note) = phase_2_note(reports, settings, true) {
        let _ = writeln!(out, "{note}");
    }
    out
}

/// `--show-fixes`: the fixes per file and code, as ruff lists them
/// (`- a.py:` then `    2 × AW101 (time-sleep)`).
pub fn fixes_by_file(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports.iter().filter(|r| !r.applied.is_empty()) {
        let _ = writeln!(out, "- {}:", report.path.display());
        for (code, count) in &report.applied {
            let id = crate::codemods::find(code).map_or("", |r| r.meta().id);
            let _ = writeln!(out, "    {count} × {code} ({id})");
        }
    }
    out
}

/// The summary of `check --fix`, as ruff's: the fixes per file with `--show-fixes`, then
/// `Found 3 findings (2 fixed, 1 remaining).`
pub fn check_fix_summary(reports: &[FileReport], settings: &Settings, show_fixes: bool) -> String {
    let fixed: usize = reports
        .iter()
        .map(|r| r.applied.values().sum::<usize>())
        .sum();
    let remaining: Vec<&Diagnostic> = reports.iter().flat_map(|r| &r.diagnostics).collect();
    let mut out = String::new();
    if show_fixes && fixed > 0 {
        let _ = writeln!(out, "\nFixed {}:", plural(fixed, "finding", "findings"));
        out.push_str(&fixes_by_file(reports));
        out.push('\n');
    }
    let total = fixed + remaining.len();
    if total == 0 {
        let errors = reports.iter().filter(|r| r.error.is_some()).count();
        if errors == 0 {
            out.push_str("All checks passed!\n");
        }
        return out;
    }
    let _ = writeln!(
        out,
        "Found {} ({fixed} fixed, {} remaining).",
        plural(total, "finding", "findings"),
        remaining.len()
    );
    let hidden = remaining
        .iter()
        .filter(|d| {
            !settings.is_fixable(d)
                && d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == Applicability::Unsafe)
        })
        .count();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "({} can be enabled with the `--unsafe-fixes` option.)",
            plural(hidden, "hidden fix", "hidden fixes")
        );
    }
    out
}
