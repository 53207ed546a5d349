//! Phase 2 fixtures: every folder of `tests/fixtures/project/` is a small project. Each is
//! checked and fixed as a whole (findings, the dry-run diff with safe fixes, then with unsafe
//! fixes), and the outputs are snapshotted together; fixing it twice must change nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_awaitify");

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "__pycache__") {
                continue;
            }
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("awaitify runs");
    let mut text = String::from_utf8(output.stdout).unwrap();
    text.push_str(&String::from_utf8(output.stderr).unwrap());
    (output.status.code().unwrap_or(-1), text)
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no project fixtures");
    cases
}

fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(tree(&path));
        } else if path.extension().is_some_and(|e| e == "py") {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    files.sort();
    files
}

#[test]
fn project_fixtures() {
    for case in cases() {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join(&name);
        copy_dir(&case, &dir);

        let (check_code, check) = run(&dir, &["check", "--isolated", "."]);
        let (_, diff) = run(&dir, &["fix", "--isolated", "--diff", "."]);
        let (_, unsafe_diff) = run(
            &dir,
            &["fix", "--isolated", "--unsafe-fixes", "--diff", "."],
        );
        let snapshot = format!(
            "## check (exit {check_code})\n{check}\n## fix --diff\n{diff}\n## fix --unsafe-fixes --diff\n{unsafe_diff}"
        );
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("project__{name}"), snapshot);
        });

        // Fixing twice changes nothing: after `--write`, a second run has nothing to apply.
        let (code, out) = run(
            &dir,
            &["fix", "--isolated", "--unsafe-fixes", "--write", "."],
        );
        assert!(code != 2, "{name}: fix --write failed: {out}");
        let after = tree(&dir);
        let (_, again) = run(
            &dir,
            &["fix", "--isolated", "--unsafe-fixes", "--write", "."],
        );
        assert_eq!(
            after,
            tree(&dir),
            "{name}: a second fix changed files: {again}"
        );
        assert!(
            !again.contains("Fixed"),
            "{name}: second run fixed something: {again}"
        );
    }
}

/// The findings of `check --output-format json` (with their fixes and notes) on `paths`,
/// run in `dir`, one line each, sorted.
fn findings(dir: &Path, paths: &[&str]) -> Vec<String> {
    let mut args = vec![
        "check",
        "--isolated",
        "--exit-zero",
        "--output-format",
        "json",
    ];
    args.extend(paths);
    let output = Command::new(BIN)
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("awaitify runs");
    let found: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("JSON findings");
    let mut lines: Vec<String> = found.iter().map(|f| f.to_string()).collect();
    lines.sort();
    lines
}

/// A folder holding several projects gives what each project gives alone: nothing of one
/// project (same-named modules, calls it cannot resolve, patches, sqlite3 work) reaches
/// into another.
#[test]
fn several_projects_in_one_run_are_each_alone() {
    let mut compared = 0;
    for case in cases() {
        let projects: Vec<String> = std::fs::read_dir(&case)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .filter(|p| {
                ["pyproject.toml", "setup.py", "setup.cfg"]
                    .iter()
                    .any(|f| p.join(f).is_file())
            })
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        if projects.len() < 2 {
            continue;
        }
        let whole = findings(&case, &["."]);
        let mut each: Vec<String> = projects
            .iter()
            .flat_map(|p| findings(&case, &[p.as_str()]))
            .collect();
        each.sort();
        assert!(!whole.is_empty(), "{}: no findings", case.display());
        assert_eq!(
            whole,
            each,
            "{}: the run of the folder differs from the runs of its projects",
            case.display()
        );
        compared += 1;
    }
    assert!(compared >= 2, "too few fixtures with several projects");
}

/// A module-level constant that a file of the run mentions but that does not parse may be
/// rebound there (`helpers.LIMIT = 5`): the offload of its readers is unsafe and says why,
/// while a reader of constants nothing mentions stays a safe offload.
#[test]
fn a_constant_an_unparsed_file_mentions_keeps_its_readers_offload_unsafe() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("constants");
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project/offload_constants");
    copy_dir(&case, &dir);
    std::fs::remove_file(dir.join("tuning.py")).unwrap();
    std::fs::write(
        dir.join("broken.py"),
        "import helpers\n\ndef tighten(:\n    helpers.LIMIT = 5\n",
    )
    .unwrap();
    let found = findings(&dir, &["."]);
    let capped = found
        .iter()
        .find(|f| f.contains("`capped`"))
        .expect("a finding for `capped`");
    assert!(capped.contains(r#""applicability":"unsafe""#), "{capped}");
    assert!(
        capped.contains(
            "reads the module-level `LIMIT`, which broken.py mentions and could not be read"
        ),
        "{capped}"
    );
    let poll = found
        .iter()
        .find(|f| f.contains("`poll`"))
        .expect("a finding for `poll`");
    assert!(poll.contains(r#""applicability":"safe""#), "{poll}");
}
