//! Fixture tests: every `tests/fixtures/<recipe>/*.py` file is checked against its inline
//! markers (`# AW101` on a line that must produce that finding, `# OK` on a line that must
//! not), then fixed; the findings and the diff are snapshotted, and the fix must converge,
//! parse, and change nothing when run again.
//!
//! A fixture whose text contains `# fixture: subprocess-strategy = thread` runs with that
//! strategy (the default is `native`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use awaitify::codemods::RECIPES;
use awaitify::parse::is_valid_module;
use awaitify::pipeline::{check_source, fix_source, Settings, SubprocessStrategy};
use awaitify::source::LineIndex;

fn fixture_settings(text: &str, unsafe_fixes: bool) -> Settings {
    let mut settings = Settings::new(RECIPES.to_vec(), unsafe_fixes);
    if text.contains("# fixture: subprocess-strategy = thread") {
        settings.subprocess_strategy = SubprocessStrategy::Thread;
    }
    settings
}

/// Codes expected on each (1-based) line, from the markers in the line's trailing comment.
fn expected_markers(text: &str) -> BTreeMap<usize, Vec<String>> {
    let mut expected = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        // Only a trailing comment after code is a marker; comment lines are prose.
        if line.trim_start().starts_with('#') {
            continue;
        }
        let Some(hash) = line.rfind("# ") else {
            continue;
        };
        let codes: Vec<String> = line[hash + 2..]
            .split_whitespace()
            .filter(|word| {
                word.len() > 2
                    && word.starts_with("AW")
                    && word[2..].chars().all(|c| c.is_ascii_digit())
            })
            .map(str::to_owned)
            .collect();
        if !codes.is_empty() {
            expected.insert(i + 1, codes);
        }
    }
    expected
}

fn actual_findings(text: &str) -> BTreeMap<usize, Vec<String>> {
    let index = LineIndex::new(text);
    let mut actual: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let settings = fixture_settings(text, true);
    for diagnostic in check_source(text, &settings).expect("fixture parses") {
        // The byte pre-check that lets a file skip parsing must never skip one with a finding.
        let recipe = RECIPES.iter().find(|r| r.meta().code == diagnostic.code());
        if let Some(recipe) = recipe.filter(|r| r.meta().phase != 2) {
            assert!(
                recipe.may_apply_with(text, &settings),
                "{} finds something the byte pre-check skips",
                diagnostic.code()
            );
        }
        let row = index.location(text, diagnostic.range.start()).row;
        actual
            .entry(row)
            .or_default()
            .push(diagnostic.code().to_owned());
    }
    actual
}

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for recipe in std::fs::read_dir(&root).expect("tests/fixtures exists") {
        let recipe = recipe.unwrap().path();
        for file in std::fs::read_dir(&recipe).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "py") {
                files.push(file);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no fixtures found");
    files
}

fn visible(text: &str) -> String {
    text.replace('\r', "␍").replace('\t', "→   ")
}

#[test]
fn fixtures_match_markers_and_fix_cleanly() {
    let mut failures = Vec::new();
    for path in fixtures() {
        let name = format!(
            "{}__{}",
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy(),
            path.file_stem().unwrap().to_string_lossy()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let settings = |unsafe_fixes| fixture_settings(&text, unsafe_fixes);

        let expected = expected_markers(&text);
        let actual = actual_findings(&text);
        if expected != actual {
            let mut message = format!("{}: findings differ from markers\n", path.display());
            let lines: std::collections::BTreeSet<_> =
                expected.keys().chain(actual.keys()).collect();
            for line in lines {
                let (e, a) = (expected.get(line), actual.get(line));
                if e != a {
                    let _ = writeln!(message, "  line {line}: expected {e:?}, found {a:?}");
                }
            }
            failures.push(message);
        }

        // Safe fixes, then unsafe ones: both must converge, parse and be stable.
        let mut snapshot = String::new();
        let index = LineIndex::new(&text);
        let _ = writeln!(snapshot, "## Findings");
        for d in check_source(&text, &settings(false)).unwrap() {
            let at = index.location(&text, d.range.start());
            let fix = match (&d.fix, &d.note) {
                (Some(fix), Some(note)) => format!(" [{}: {note}]", fix.applicability.as_str()),
                (Some(fix), None) => format!(" [{}]", fix.applicability.as_str()),
                (None, note) => format!(" [no fix: {}]", note.as_deref().unwrap_or("-")),
            };
            let _ = writeln!(
                snapshot,
                "{}:{}: {}{} {}",
                at.row,
                at.column,
                d.code(),
                fix,
                d.message
            );
        }
        for unsafe_fixes in [false, true] {
            let outcome = fix_source(&text, &settings(unsafe_fixes)).unwrap();
            if let Some(reason) = &outcome.refused {
                failures.push(format!("{}: fixes refused: {reason}", path.display()));
                continue;
            }
            assert!(
                is_valid_module(&outcome.text),
                "{}: fixed output does not parse",
                path.display()
            );
            let again = fix_source(&outcome.text, &settings(unsafe_fixes)).unwrap();
            if again.text != outcome.text {
                failures.push(format!(
                    "{}: a second fix run changed the file again",
                    path.display()
                ));
            }
            let diff = similar::TextDiff::from_lines(&text, &outcome.text)
                .unified_diff()
                .context_radius(2)
                .to_string();
            let title = if unsafe_fixes {
                "## Fix (--unsafe-fixes)"
            } else {
                "## Fix"
            };
            if unsafe_fixes && outcome.text == fix_source(&text, &settings(false)).unwrap().text {
                let _ = writeln!(snapshot, "{title}: same as the safe fix");
            } else {
                let _ = writeln!(snapshot, "{title}\n{}", visible(&diff));
            }
        }
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, snapshot);
        });
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
