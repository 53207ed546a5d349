//! `awaitify report`: the async/await audit of a code base, as Markdown or JSON.
//!
//! Its numbers are those of `awaitify check` on the same paths (the findings are the same
//! diagnostics); it adds the blocking calls outside async code (listed, not counted as loop
//! blockers), the files that do not parse, the modules that are already clean async code, and
//! the action plan by phase with the command for each.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::codemods::RECIPES;
use crate::file::FileReport;
use crate::fix::Applicability;
use crate::pipeline::Settings;
use crate::recipe::Diagnostic;
use crate::source::Location;

/// How a finding can be fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixKind {
    Safe,
    Unsafe,
    Manual,
}

fn fix_kind(diagnostic: &Diagnostic) -> FixKind {
    match diagnostic.fix.as_ref().map(|fix| fix.applicability) {
        Some(Applicability::Safe) => FixKind::Safe,
        Some(Applicability::Unsafe) => FixKind::Unsafe,
        Some(Applicability::DisplayOnly) | None => FixKind::Manual,
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct CategoryCount {
    pub code: &'static str,
    pub category: &'static str,
    /// Findings: blocking calls directly in async code.
    pub in_async_code: usize,
    pub safe: usize,
    #[serde(rename = "unsafe")]
    pub unsafe_: usize,
    pub manual: usize,
    /// Blocking calls in sync code (sync-only, threads, executors): not loop blockers.
    pub outside_async_code: usize,
}

/// Blocking calls of one kind, by where they sit.
#[derive(Debug, Default, Clone, Serialize)]
pub struct BlockingKind {
    pub code: &'static str,
    pub category: &'static str,
    /// Directly in async code (findings of the recipe itself).
    pub in_async_code: usize,
    /// In sync functions that async code calls (AW201 findings, with their call paths).
    pub reached_from_async: usize,
    /// In sync code no async code reaches (sync-only code, threads, executors).
    pub outside_async_code: usize,
}

#[derive(Debug, Serialize)]
pub struct FindingRow {
    pub code: &'static str,
    pub location: Location,
    pub message: String,
    pub fix: FixKind,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ElsewhereRow {
    pub code: &'static str,
    pub file: String,
    pub line: usize,
    pub call: String,
    pub place: String,
}

#[derive(Debug, Serialize)]
pub struct GoodModule {
    pub file: String,
    pub async_functions: usize,
    pub async_constructs: usize,
}

#[derive(Debug, Serialize)]
pub struct PhasePlan {
    pub phase: u8,
    pub what: &'static str,
    pub findings: usize,
    pub safe: usize,
    #[serde(rename = "unsafe")]
    pub unsafe_: usize,
    pub manual: usize,
    pub command: Option<String>,
}

/// One call path of an AW201 finding: async code → sync helpers → the blocking call.
#[derive(Debug, Clone, Serialize)]
pub struct CallPath {
    /// The file of the blocking call.
    pub file: String,
    pub line: usize,
    /// The functions from the async entry point down, then the blocking call (as the finding
    /// names them: qualified when in another module).
    pub path: Vec<String>,
    /// The function where the conversion stops, when there is no fix.
    pub boundary: Option<String>,
    pub fix: FixKind,
}

#[derive(Debug, Serialize)]
pub struct Audit {
    pub paths: Vec<String>,
    pub files: usize,
    pub summary: Vec<CategoryCount>,
    /// Every finding (the count `awaitify check` gives).
    pub total_in_async_code: usize,
    /// The blocking calls by kind and by where they sit.
    pub blocking: Vec<BlockingKind>,
    /// Mixed sync/async defects: un-awaited coroutines, `await` on sync functions, nested
    /// event loops (phase 2 findings other than AW201).
    pub mixed_defects: usize,
    pub files_with_errors: Vec<String>,
    pub findings: BTreeMap<String, Vec<FindingRow>>,
    pub outside_async_code: Vec<ElsewhereRow>,
    pub good_patterns: Vec<GoodModule>,
    pub plan: Vec<PhasePlan>,
    /// The call paths of the blocking calls reached from async code.
    pub call_paths: Vec<CallPath>,
}

/// The call path in an AW201 message (``... reaches it through `a` → `b` → `call` ``) and the
/// boundary its note names (`` `b` stays sync: ...``).
fn call_path(file: &str, line: usize, d: &Diagnostic) -> Option<CallPath> {
    let (_, through) = d.message.split_once("reaches it through ")?;
    let path: Vec<String> = through
        .split(" → ")
        .map(|part| part.trim().trim_matches('`').to_owned())
        .filter(|part| !part.is_empty())
        .collect();
    if path.len() < 2 {
        return None;
    }
    let boundary = d.note.as_deref().and_then(|note| {
        let (name, _) = note.split_once("` stays sync")?;
        Some(name.trim_start_matches('`').to_owned())
    });
    Some(CallPath {
        file: file.to_owned(),
        line,
        path,
        boundary,
        fix: fix_kind(d),
    })
}

fn category(code: &str) -> &'static str {
    match code {
        "AW101" => "sleep (`time.sleep`)",
        "AW102" => "sqlite3",
        "AW103" => "subprocess / `os.system`",
        "AW201" => "blocking calls in sync code reached from async code",
        "AW202" => "un-awaited coroutines",
        "AW203" => "`await` on sync functions",
        "AW204" => "`asyncio.run` inside the running loop",
        "AW301" => "declared blocking calls (`blocking-calls`)",
        _ => "other",
    }
}

pub fn build(reports: &[FileReport], settings: &Settings, paths: &[String]) -> Audit {
    let mut counts: BTreeMap<&'static str, CategoryCount> = settings
        .recipes
        .iter()
        .map(|r| {
            let code = r.meta().code;
            (
                code,
                CategoryCount {
                    code,
                    category: category(code),
                    ..Default::default()
                },
            )
        })
        .collect();
    let mut kinds: BTreeMap<&'static str, BlockingKind> = BTreeMap::new();
    let mut mixed_defects = 0;
    let mut findings = BTreeMap::new();
    let mut outside = Vec::new();
    let mut good = Vec::new();
    let mut errors = Vec::new();
    let mut call_paths = Vec::new();
    for report in reports {
        let file = report.path.display().to_string();
        if let Some(error) = &report.error {
            errors.push(error.render(&report.path));
            continue;
        }
        let index = report.line_index();
        let text = report.diagnostics_text();
        if !report.diagnostics.is_empty() {
            let rows = report
                .diagnostics
                .iter()
                .map(|d| {
                    let blocking_code = match (d.recipe.phase, d.origin) {
                        (_, Some(origin)) => Some((origin, true)),
                        (2, None) => {
                            mixed_defects += 1;
                            None
                        }
                        _ => Some((d.code(), false)),
                    };
                    if let Some((code, reached)) = blocking_code {
                        let entry = kinds.entry(code).or_insert_with(|| BlockingKind {
                            code,
                            category: category(code),
                            ..BlockingKind::default()
                        });
                        if reached {
                            entry.reached_from_async += 1;
                        } else {
                            entry.in_async_code += 1;
                        }
                    }
                    let kind = fix_kind(d);
                    if d.origin.is_some() {
                        let line = index.location(text, d.range.start()).row;
                        call_paths.extend(call_path(&file, line, d));
                    }
                    let count = counts.entry(d.code()).or_default();
                    count.in_async_code += 1;
                    match kind {
                        FixKind::Safe => count.safe += 1,
                        FixKind::Unsafe => count.unsafe_ += 1,
                        FixKind::Manual => count.manual += 1,
                    }
                    FindingRow {
                        code: d.code(),
                        location: index.location(text, d.range.start()),
                        message: d.message.clone(),
                        fix: kind,
                        reason: d.note.clone(),
                    }
                })
                .collect();
            findings.insert(file.clone(), rows);
        }
        if let Some(census) = &report.census {
            for call in &census.elsewhere {
                // Reached from async code: an AW201 finding, not "elsewhere".
                if report
                    .diagnostics
                    .iter()
                    .any(|d| d.origin.is_some() && d.range == call.range)
                {
                    continue;
                }
                counts.entry(call.code).or_default().outside_async_code += 1;
                kinds
                    .entry(call.code)
                    .or_insert_with(|| BlockingKind {
                        code: call.code,
                        category: category(call.code),
                        ..BlockingKind::default()
                    })
                    .outside_async_code += 1;
                outside.push(ElsewhereRow {
                    code: call.code,
                    file: file.clone(),
                    line: index.location(text, call.range.start()).row,
                    call: call.call.clone(),
                    place: call.place.clone(),
                });
            }
            let has_elsewhere = outside
                .last()
                .is_some_and(|row: &ElsewhereRow| row.file == file);
            if census.async_functions > 0 && report.diagnostics.is_empty() && !has_elsewhere {
                good.push(GoodModule {
                    file: file.clone(),
                    async_functions: census.async_functions,
                    async_constructs: census.async_constructs,
                });
            }
        }
    }
    let summary: Vec<CategoryCount> = counts.into_values().collect();
    let total = summary.iter().map(|c| c.in_async_code).sum();
    let paths_arg = paths.join(" ");
    let plan = [1u8, 2, 3]
        .into_iter()
        .map(|phase| {
            let in_phase: Vec<&CategoryCount> = summary
                .iter()
                .filter(|c| {
                    RECIPES
                        .iter()
                        .any(|r| r.meta().code == c.code && r.meta().phase == phase)
                })
                .collect();
            let sum = |f: fn(&CategoryCount) -> usize| in_phase.iter().map(|c| f(c)).sum::<usize>();
            let (what, command) = match phase {
                1 => (
                    "critical blockers: time.sleep, sqlite3, subprocess (native rewrites)",
                    Some(format!("awaitify fix --phase 1 --write {paths_arg}")),
                ),
                2 => (
                    "consistency: sync helpers called from async code, un-awaited coroutines",
                    Some(format!("awaitify fix --phase 2 --write {paths_arg}")),
                ),
                _ => (
                    "declared blocking calls (`blocking-calls`): reported with the replacement to use, migrated by hand",
                    Some(format!("awaitify check --phase 3 {paths_arg}")),
                ),
            };
            PhasePlan {
                phase,
                what,
                findings: sum(|c| c.in_async_code),
                safe: sum(|c| c.safe),
                unsafe_: sum(|c| c.unsafe_),
                manual: sum(|c| c.manual),
                command: if in_phase.is_empty() { None } else { command },
            }
        })
        .collect();
    Audit {
        paths: paths.to_vec(),
        files: reports.len(),
        summary,
        total_in_async_code: total,
        files_with_errors: errors,
        findings,
        outside_async_code: outside,
        good_patterns: good,
        plan,
        blocking: kinds.into_values().collect(),
        mixed_defects,
        call_paths,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(audit: &Audit) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Async/await audit\n");
    let _ = writeln!(
        out,
        "Paths: {} · {} processed · generated by awaitify {}\n",
        audit
            .paths
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", "),
        plural(audit.files, "file", "files"),
        env!("CARGO_PKG_VERSION")
    );
    if audit.files == 0 {
        let _ = writeln!(
            out,
            "No Python files found under the given paths: nothing to audit.\n"
        );
        return out;
    }
    let _ = writeln!(out, "## Executive summary\n");
    let direct: usize = audit.blocking.iter().map(|k| k.in_async_code).sum();
    let reached: usize = audit.blocking.iter().map(|k| k.reached_from_async).sum();
    let _ = writeln!(
        out,
        "**{}** block the event loop: {} directly in async code, {} in sync functions that async code calls (with their call paths below). {}. Calls outside async code (sync-only code, threads, executors) are listed further down but are not loop blockers.\n",
        plural(direct + reached, "blocking call", "blocking calls"),
        direct,
        reached,
        plural(audit.mixed_defects, "mixed sync/async defect", "mixed sync/async defects"),
    );
    let _ = writeln!(
        out,
        "| blocking call | directly in async code | in sync code reached from async code | outside async code |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
    for k in &audit.blocking {
        let _ = writeln!(
            out,
            "| {} ({}) | {} | {} | {} |",
            k.category, k.code, k.in_async_code, k.reached_from_async, k.outside_async_code
        );
    }
    let _ = writeln!(
        out,
        "\nFindings by code ({} in all):\n",
        audit.total_in_async_code
    );
    let _ = writeln!(
        out,
        "| category | code | findings | fix: safe | unsafe | manual | outside async code |"
    );
    let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for c in &audit.summary {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.category, c.code, c.in_async_code, c.safe, c.unsafe_, c.manual, c.outside_async_code
        );
    }
    let _ = writeln!(out);

    if !audit.files_with_errors.is_empty() {
        let _ = writeln!(out, "## Files that could not be analysed\n");
        for error in &audit.files_with_errors {
            let _ = writeln!(out, "- `{}`", error);
        }
        let _ = writeln!(out);
    }

    out.push_str(&call_path_graphs(&audit.call_paths));

    let _ = writeln!(out, "## Findings by file\n");
    if audit.findings.is_empty() {
        let _ = writeln!(out, "None.\n");
    }
    for (file, rows) in &audit.findings {
        let _ = writeln!(out, "### `{file}`\n");
        let _ = writeln!(out, "| line | code | finding | fix |");
        let _ = writeln!(out, "| ---: | --- | --- | --- |");
        for row in rows {
            let fix = match (&row.fix, &row.reason) {
                (FixKind::Safe, _) => "safe".to_owned(),
                (FixKind::Unsafe, Some(reason)) => format!("unsafe: {}", cell(reason)),
                (FixKind::Unsafe, None) => "unsafe".to_owned(),
                (FixKind::Manual, Some(reason)) => format!("manual: {}", cell(reason)),
                (FixKind::Manual, None) => "manual".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                row.location.row,
                row.code,
                cell(&row.message),
                fix
            );
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(
        out,
        "## Blocking calls outside async code (not loop blockers)\n"
    );
    if audit.outside_async_code.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        let _ = writeln!(out, "| file | line | code | call | where |");
        let _ = writeln!(out, "| --- | ---: | --- | --- | --- |");
        for row in &audit.outside_async_code {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | `{}` | {} |",
                row.file,
                row.line,
                row.code,
                cell(&row.call),
                row.place
            );
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## Good patterns\n");
    if audit.good_patterns.is_empty() {
        let _ = writeln!(out, "No module is clean async code yet.\n");
    } else {
        let _ = writeln!(out, "Modules that are already clean async code: async functions, no blocking call anywhere.\n");
        for module in &audit.good_patterns {
            let _ = writeln!(
                out,
                "- `{}`: {}, {} `await` / `async with` / `async for`",
                module.file,
                plural(module.async_functions, "async function", "async functions"),
                module.async_constructs
            );
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## Action plan\n");
    let _ = writeln!(
        out,
        "| phase | what | findings | safe | unsafe | manual | command |"
    );
    let _ = writeln!(out, "| ---: | --- | ---: | ---: | ---: | ---: | --- |");
    for phase in &audit.plan {
        let command = match &phase.command {
            Some(c) if phase.phase == 3 => format!("`{c}` (reported, fixed by hand)"),
            Some(c) => format!("`{c}`"),
            None => "no recipe of this phase selected".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            phase.phase,
            phase.what,
            phase.findings,
            phase.safe,
            phase.unsafe_,
            phase.manual,
            command
        );
    }
    if audit.plan.iter().any(|p| p.unsafe_ > 0) {
        let _ = writeln!(
            out,
            "\nUnsafe fixes are applied with `--unsafe-fixes` once their reasons (above) were reviewed."
        );
    }
    out
}

/// Paths drawn per file; beyond these, the file's paths are counted, not drawn.
const MAX_EDGES_PER_GRAPH: usize = 40;
/// Files drawn; beyond these, the files are listed with their counts.
const MAX_GRAPHS: usize = 12;

/// The call paths as Mermaid flowcharts, one per file of blocking calls (GitHub renders them):
/// async entry points, the sync helpers they call, the blocking calls, and the functions where
/// a conversion stops. Each path is drawn once (shared steps merge); a big file is capped at
/// `MAX_EDGES_PER_GRAPH` edges and the report at `MAX_GRAPHS` graphs, with a count of what
/// is left out.
pub fn call_path_graphs(paths: &[CallPath]) -> String {
    let mut out = String::new();
    if paths.is_empty() {
        return out;
    }
    let _ = writeln!(out, "## Call paths\n");
    let _ = writeln!(
        out,
        "How async code reaches the blocking calls in sync helpers (AW201), one graph per file of blocking calls: async entry points (rounded, green) → sync functions → blocking calls (hexagons, red). A function where the conversion stops (amber, dashed) is a boundary: the finding says why.\n"
    );
    let mut by_file: BTreeMap<&str, Vec<&CallPath>> = BTreeMap::new();
    for path in paths {
        by_file.entry(path.file.as_str()).or_default().push(path);
    }
    let mut files: Vec<(&str, Vec<&CallPath>)> = by_file.into_iter().collect();
    // The files with the most paths first: where the migration matters most.
    files.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    for (file, file_paths) in files.iter().take(MAX_GRAPHS) {
        let _ = writeln!(
            out,
            "### `{file}` ({})\n",
            plural(file_paths.len(), "path", "paths")
        );
        out.push_str(&graph(file_paths));
        out.push('\n');
    }
    if files.len() > MAX_GRAPHS {
        let rest = &files[MAX_GRAPHS..];
        let count: usize = rest.iter().map(|(_, p)| p.len()).sum();
        let _ = writeln!(
            out,
            "Not drawn: {} in {} more ({}).\n",
            plural(count, "path", "paths"),
            plural(rest.len(), "file", "files"),
            rest.iter()
                .map(|(f, p)| format!("`{f}`: {}", p.len()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out
}

fn graph(paths: &[&CallPath]) -> String {
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut seen_edges = std::collections::BTreeSet::new();
    let (mut entries, mut calls, mut boundaries) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    let mut left_out = 0usize;
    for path in paths {
        let new_edges: Vec<(&str, &str)> = path
            .path
            .windows(2)
            .map(|w| (w[0].as_str(), w[1].as_str()))
            .filter(|e| !seen_edges.contains(e))
            .collect();
        if !new_edges.is_empty() && edges.len() + new_edges.len() > MAX_EDGES_PER_GRAPH {
            left_out += 1;
            continue;
        }
        let mut id = |name: &str| -> usize {
            *ids.entry(name.to_owned()).or_insert_with(|| {
                order.push(name.to_owned());
                order.len() - 1
            })
        };
        let ends: Vec<usize> = path.path.iter().map(|p| id(p)).collect();
        entries.insert(ends[0]);
        calls.insert(ends[ends.len() - 1]);
        if let Some(boundary) = &path.boundary {
            if let Some(&b) = ids.get(boundary) {
                boundaries.insert(b);
            }
        }
        for (pair, names) in ends.windows(2).zip(path.path.windows(2)) {
            if seen_edges.insert((names[0].as_str(), names[1].as_str())) {
                edges.push((pair[0], pair[1]));
            }
        }
    }
    let mut out = String::from("```mermaid\nflowchart LR\n");
    for (i, name) in order.iter().enumerate() {
        // Mermaid's entity codes: a quote would end the label, `<` start HTML.
        let label = name
            .replace('&', "#amp;")
            .replace('"', "#quot;")
            .replace('<', "#lt;")
            .replace('>', "#gt;");
        let shape = if calls.contains(&i) {
            format!("{{{{\"{label}\"}}}}")
        } else if entries.contains(&i) {
            format!("([\"{label}\"])")
        } else {
            format!("[\"{label}\"]")
        };
        let _ = writeln!(out, "  n{i}{shape}");
    }
    for (from, to) in &edges {
        let _ = writeln!(out, "  n{from} --> n{to}");
    }
    let _ = writeln!(out, "  classDef async fill:#e3f6e3,stroke:#2e7d32");
    let _ = writeln!(out, "  classDef blocking fill:#fde2e2,stroke:#c62828");
    let _ = writeln!(
        out,
        "  classDef boundary fill:#fff4d6,stroke:#b26a00,stroke-dasharray: 5 3"
    );
    for (class, set) in [
        ("async", &entries),
        ("blocking", &calls),
        ("boundary", &boundaries),
    ] {
        if !set.is_empty() {
            let list: Vec<String> = set.iter().map(|i| format!("n{i}")).collect();
            let _ = writeln!(out, "  class {} {class}", list.join(","));
        }
    }
    out.push_str("```\n");
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n{} more not drawn (this graph is capped at {MAX_EDGES_PER_GRAPH} edges); the findings below list every one.",
            plural(left_out, "path", "paths")
        );
    }
    out
}
