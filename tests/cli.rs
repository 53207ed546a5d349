//! CLI integration tests as data: every case below is a table row (files, runs of the built
//! binary, expectations on exit code, stdout, stderr and the files afterwards), run by
//! `tests/cli_cases/harness.rs` in a fresh temporary directory used as the working directory,
//! with relative paths and `NO_COLOR=1`.
//!
//! A bug found in the tool becomes a case here first (marked `#[ignore = "BUG: ..."]` until
//! fixed); `cargo test --test cli -- --ignored` runs such cases.

#[macro_use]
#[path = "cli_cases/harness.rs"]
mod harness;

use harness::{Case, Outcome, BIN};
use serde_json::Value;

// ---- sources --------------------------------------------------------------------------------

const CLEAN: &str = "x = 1\n";
const HELPER_DB: &str = "import time\n\n\ndef load():\n    time.sleep(1)\n    return 1\n";
const HELPER_APP: &str = "from .db import load\n\n\nasync def handle():\n    return load()\n";
const UNAWAITED: &str = "import asyncio\n\n\nasync def refresh():\n    await asyncio.sleep(0)\n\n\nasync def main():\n    refresh()\n";
const SLEEP: &str = "import time\n\nasync def f():\n    time.sleep(1)\n";
const SQLITE_COUNT: &str = "import sqlite3\n\n\nasync def count(path):\n    conn = sqlite3.connect(path)\n    try:\n        return conn.execute(\"select 1\").fetchone()\n    finally:\n        conn.close()\n";
const SLEEP_FIXED: &str = "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n";
const TWO: &str = "import time\n\nasync def f():\n    time.sleep(1)\n    time.sleep(2)\n";
const TWO_FIXED: &str =
    "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n    await asyncio.sleep(2)\n";
/// A finding without a fix (an `await` in a generator expression would change its type).
const GEN: &str = "import time\n\nasync def f():\n    g = (time.sleep(1) for _ in range(3))\n";
/// `time` stays imported (used elsewhere), so `import asyncio` is a new line.
const KEEP: &str =
    "import time\n\nasync def f():\n    time.sleep(1)\n\ndef g():\n    return time.time()\n";
const KEEP_FIXED: &str = "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n\ndef g():\n    return time.time()\n";
const SYNTAX_ERROR: &str = "def f(:\n    pass\n";
const LATIN1: &[u8] = b"x = '\xe9'\n";
const BINARY: &[u8] = b"ab\0cd\n";

const MSG: &str = "`time.sleep` blocks the event loop in async code";
const GEN_REASON: &str =
    "no fix: `await` cannot be added here (a generator expression or a class body)";
const DIFF_SLEEP_HUNK: &str = "@@ -1,4 +1,4 @@\n-import time\n+import asyncio\n \n async def f():\n-    time.sleep(1)\n+    await asyncio.sleep(1)\n";

const SYNTAX_LINE: &str =
    "syn.py:1:7: syntax error: Expected a parameter or the end of the parameter list\n";
const LATIN1_LINE: &str = "latin1.py: error: not valid UTF-8 (invalid byte at offset 5); only UTF-8 source is supported\n";
const BINARY_LINE: &str = "blob.py: error: binary file (contains NUL bytes), not Python source\n";
const READ_ONLY_LINE: &str = "locked.py: error: not written: the file is read-only\n";
const UNREADABLE_LINE: &str = "unr.py: error: cannot read: permission denied\n";
const LOOP_ARG_LINE: &str =
    "loop_a.py: error: symbolic link loop (too many levels of symbolic links)\n";

/// A fixable finding line of `check`.
fn finding(path: &str, row: usize, col: usize) -> String {
    format!("{path}:{row}:{col}: AW101 [*] {MSG}\n")
}

fn summary(findings: usize, fixable: usize) -> String {
    let s = if findings == 1 { "finding" } else { "findings" };
    format!("Found {findings} {s}.\n[*] {fixable} fixable with `awaitify fix --write`.\n")
}

fn diff_header(path: &str) -> String {
    format!("--- {path}\n+++ {path}\n")
}

fn long_line_source(fixed: bool) -> String {
    let call = if fixed {
        "await asyncio.sleep(1)"
    } else {
        "time.sleep(1)"
    };
    let import = if fixed { "asyncio" } else { "time" };
    format!(
        "import {import}\n\nasync def f():\n    x = \"{}\"; {call}\n",
        "a".repeat(200_000)
    )
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

fn bom(text: &str) -> Vec<u8> {
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

fn tabs(text: &str) -> String {
    text.replace("    ", "\t")
}

/// Whether the tests can read a file with mode 000 (root, or CAP_DAC_OVERRIDE).
fn readable_despite_000(o: &Outcome<'_>, path: &str) -> bool {
    std::fs::read(o.dir.join(path)).is_ok()
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: T,
    expected: T,
) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {actual:?}"))
    }
}

fn json_stdout(o: &Outcome<'_>) -> Result<Value, String> {
    serde_json::from_slice(o.stdout).map_err(|e| format!("stdout is not JSON: {e}"))
}

/// The checks of one JSON finding for `SLEEP` in `a.py`.
fn check_sleep_json(finding: &Value, filename: &str) -> Result<(), String> {
    expect_eq("code", &finding["code"], &Value::from("AW101"))?;
    expect_eq("recipe", &finding["recipe"], &Value::from("time-sleep"))?;
    expect_eq("message", &finding["message"], &Value::from(MSG))?;
    expect_eq("filename", &finding["filename"], &Value::from(filename))?;
    expect_eq("location.row", &finding["location"]["row"], &Value::from(4))?;
    expect_eq(
        "location.column",
        &finding["location"]["column"],
        &Value::from(5),
    )?;
    expect_eq(
        "end_location.row",
        &finding["end_location"]["row"],
        &Value::from(4),
    )?;
    expect_eq(
        "end_location.column",
        &finding["end_location"]["column"],
        &Value::from(18),
    )?;
    expect_eq(
        "ruff_equivalent",
        &finding["ruff_equivalent"],
        &Value::from("ASYNC251"),
    )?;
    let fix = &finding["fix"];
    expect_eq(
        "fix.applicability",
        &fix["applicability"],
        &Value::from("safe"),
    )?;
    let edits = fix["edits"].as_array().ok_or("fix.edits is not an array")?;
    let contents: Vec<&str> = edits.iter().filter_map(|e| e["content"].as_str()).collect();
    if !contents.contains(&"await asyncio.sleep") {
        return Err(format!("no `await asyncio.sleep` edit in {contents:?}"));
    }
    if !contents.iter().any(|c| c.contains("import asyncio")) {
        return Err(format!("no `import asyncio` edit in {contents:?}"));
    }
    let call = edits
        .iter()
        .find(|e| e["content"] == "await asyncio.sleep")
        .unwrap();
    expect_eq("call edit row", &call["location"]["row"], &Value::from(4))?;
    expect_eq(
        "call edit column",
        &call["location"]["column"],
        &Value::from(5),
    )?;
    expect_eq(
        "call edit end column",
        &call["end_location"]["column"],
        &Value::from(15),
    )?;
    Ok(())
}

/// The directory layout of the walking cases: what must be found and what must be skipped.
fn walk_tree() -> Case {
    Case::new()
        .file("top.py", SLEEP)
        .file("stub.pyi", SLEEP)
        .file("pkg/mod.py", SLEEP)
        .file("pkg/deep/x.py", SLEEP)
        // Not Python by extension: skipped by the walk.
        .file("notes.txt", SLEEP)
        .file("script", SLEEP)
        // Hidden files and folders.
        .file(".hidden.py", SLEEP)
        .file(".hidden/h.py", SLEEP)
        // Virtualenvs: by name, hidden, or any folder with a pyvenv.cfg.
        .file("venv/lib/v.py", SLEEP)
        .file(".venv/lib/v.py", SLEEP)
        .file("myenv/pyvenv.cfg", "home = /usr/bin\n")
        .file("myenv/lib/e.py", SLEEP)
        // Caches and build folders.
        .file("__pycache__/c.py", SLEEP)
        .file("pkg/__pycache__/c.py", SLEEP)
        .file("node_modules/n.py", SLEEP)
        .file("site-packages/s.py", SLEEP)
        .file("build/b.py", SLEEP)
        .file("dist/d.py", SLEEP)
        // .gitignore (no git repository here) and .ignore.
        .file(".gitignore", "ignored_dir/\nignored_file.py\n*.gen.py\n")
        .file("ignored_dir/i.py", SLEEP)
        .file("ignored_file.py", SLEEP)
        .file("pkg/out.gen.py", SLEEP)
        .file("pkg/.ignore", "local.py\n")
        .file("pkg/local.py", SLEEP)
}

fn walk_expected(prefix: &str) -> String {
    let mut out = String::new();
    for path in ["pkg/deep/x.py", "pkg/mod.py", "stub.pyi", "top.py"] {
        out += &finding(&format!("{prefix}{path}"), 4, 5);
    }
    out + &summary(4, 4)
}

cases! {
    // ==== check: results and exit codes =========================================================

    check_no_findings => Case::new()
        .file("ok.py", CLEAN)
        .run(["check", "ok.py"]).code(0).stdout("All checks passed!\n").stderr("").kept("ok.py");

    check_empty_directory_default_path => Case::new()
        .dir("empty")
        // As ruff: a warning, and no error.
        .run(["check"]).code(0).stdout("All checks passed!\n")
        .stderr("warning: No Python files found under the given path(s)\n");

    check_one_finding => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "a.py"]).code(1)
        .stdout(finding("a.py", 4, 5) + &summary(1, 1))
        .stderr("")
        .kept("a.py");

    check_findings_in_several_files => Case::new()
        .file("a.py", TWO).file("b.py", SLEEP).file("c.py", CLEAN)
        .run(["check", "a.py", "b.py", "c.py"]).code(1)
        .stdout(finding("a.py", 4, 5) + &finding("a.py", 5, 5) + &finding("b.py", 4, 5) + &summary(3, 3))
        .stderr("")
        .kept("a.py").kept("b.py").kept("c.py");

    check_default_path_is_the_working_directory => Case::new()
        .file("a.py", SLEEP).file("sub/b.py", SLEEP)
        .run(["check"]).code(1)
        .stdout(finding("a.py", 4, 5) + &finding("sub/b.py", 4, 5) + &summary(2, 2));

    check_unfixable_finding_has_no_marker => Case::new()
        .file("gen.py", GEN)
        .run(["check", "gen.py"]).code(1)
        .stdout(format!("gen.py:4:10: AW101 {MSG}\nFound 1 finding.\n"))
        .stderr("");

    check_exit_zero => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--exit-zero", "a.py"]).code(0)
        .stdout(finding("a.py", 4, 5) + &summary(1, 1));

    check_exit_zero_still_exits_2_on_errors => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--exit-zero", "a.py", "missing.py"]).code(2)
        .stdout_has(&finding("a.py", 4, 5))
        .stderr("missing.py: error: no such file or directory\n");

    check_statistics => Case::new()
        .file("a.py", TWO).file("b.py", SLEEP)
        .run(["check", "--statistics", "a.py", "b.py"]).code(1)
        .stdout("    3\tAW101\t[*] time-sleep\n").stderr("");

    check_statistics_unfixable => Case::new()
        .file("gen.py", GEN)
        .run(["check", "--statistics", "gen.py"]).code(1)
        .stdout("    1\tAW101\t[ ] time-sleep\n");

    check_statistics_no_findings => Case::new()
        .file("ok.py", CLEAN)
        .run(["check", "--statistics", "ok.py"]).code(0).stdout("").stderr("");

    check_statistics_exit_zero => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--statistics", "--exit-zero", "a.py"]).code(0)
        .stdout("    1\tAW101\t[*] time-sleep\n");

    check_json => Case::new()
        .file("a.py", SLEEP).file("b.py", CLEAN)
        .run(["check", "--output-format", "json", "a.py", "b.py"]).code(1).stderr("")
        .check(|o| {
            let v = json_stdout(o)?;
            let all = v.as_array().ok_or("not a JSON array")?;
            expect_eq("number of findings", all.len(), 1)?;
            check_sleep_json(&all[0], "a.py")
        });

    check_json_unfixable_has_null_fix_and_note => Case::new()
        .file("gen.py", GEN)
        .run(["check", "--output-format", "json", "gen.py"]).code(1)
        .check(|o| {
            let v = json_stdout(o)?;
            expect_eq("fix", &v[0]["fix"], &Value::Null)?;
            expect_eq("note", &v[0]["note"], &Value::from("`await` cannot be added here (a generator expression or a class body)"))?;
            expect_eq("column", &v[0]["location"]["column"], &Value::from(10))
        });

    check_json_no_findings => Case::new()
        .file("ok.py", CLEAN)
        .run(["check", "--output-format", "json", "ok.py"]).code(0).stdout("[]\n").stderr("");

    check_json_stays_valid_with_a_bad_file => Case::new()
        .file("a.py", SLEEP).file("syn.py", SYNTAX_ERROR)
        .run(["check", "--output-format", "json", "a.py", "syn.py"]).code(2)
        .stderr(SYNTAX_LINE)
        .check(|o| {
            let v = json_stdout(o)?;
            expect_eq("number of findings", v.as_array().map(Vec::len), Some(1))?;
            check_sleep_json(&v[0], "a.py")
        });

    check_github => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--output-format", "github", "a.py"]).code(1).stderr("")
        .stdout(format!("::error title=awaitify (AW101),file=a.py,line=4,col=5,endLine=4,endColumn=18::a.py:4:5: AW101 {MSG}\n"));

    check_github_no_findings => Case::new()
        .file("ok.py", CLEAN)
        .run(["check", "--output-format", "github", "ok.py"]).code(0).stdout("");

    check_color_always => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--color", "always", "a.py"]).code(1)
        .stdout_has("\x1b[1;31mAW101\x1b[0m");

    check_no_color_by_default_when_piped => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--color", "auto", "a.py"]).code(1).stdout_lacks("\x1b[");

    // ==== check: selection ======================================================================

    check_select_code => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--select", "AW101", "a.py"]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1));

    check_select_code_prefix => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--select", "AW1", "a.py"]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1));

    check_select_recipe_id => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--select", "time-sleep", "a.py"]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1));

    check_select_all_and_lowercase => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--select", "ALL", "a.py"]).code(1).stdout_has(&finding("a.py", 4, 5))
        .run(["check", "--select", "aw101", "a.py"]).code(1).stdout_has(&finding("a.py", 4, 5))
        .run(["check", "--select", "AW9,AW101", "a.py"]).code(2).stdout("");

    check_ignore_code => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--ignore", "AW101", "a.py"]).code(0).stdout("All checks passed!\n").stderr("");

    check_ignore_wins_over_select => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--select", "AW1", "--ignore", "time-sleep", "a.py"]).code(0).stdout("All checks passed!\n");

    fix_ignore_code_changes_nothing => Case::new()
        .file("a.py", SLEEP)
        .run(["fix", "--write", "--ignore", "AW101", "a.py"]).code(0).stderr("No fixes applied.\n").kept("a.py");

    check_select_unknown => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--select", "AW9", "a.py"]).code(2).stdout("")
        .stderr("error: unknown selector `AW9` for --select: expected a code (AW101), a code prefix (AW1), a recipe id (time-sleep) or ALL; `awaitify recipes` lists them\n");

    check_ignore_unknown => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--ignore", "nope", "a.py"]).code(2).stdout("")
        .stderr("error: unknown selector `nope` for --ignore: expected a code (AW101), a code prefix (AW1), a recipe id (time-sleep) or ALL; `awaitify recipes` lists them\n");

    check_select_part_of_an_id_is_unknown => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--select", "sleep", "a.py"]).code(2).stdout("")
        .stderr_has("error: unknown selector `sleep` for --select");

    fix_select_unknown_writes_nothing => Case::new()
        .file("a.py", SLEEP)
        .run(["fix", "--write", "--select", "AW9", "a.py"]).code(2).stdout("")
        .stderr_has("error: unknown selector `AW9`").kept("a.py");

    // ==== command line errors ===================================================================

    check_unknown_flag => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--bogus", "a.py"]).code(2).stdout("")
        .stderr_has("error: unexpected argument '--bogus' found")
        .stderr_has("Usage: awaitify check");

    check_unknown_output_format => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--output-format", "xml", "a.py"]).code(2).stdout("")
        .stderr_has("error: invalid value 'xml' for '--output-format <OUTPUT_FORMAT>'")
        .stderr_has("[possible values: concise, full, grouped, json, junit, gitlab, pylint, github, sarif]");

    check_invalid_exclude_glob => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--exclude", "[", "a.py"]).code(2).stdout("")
        .stderr_has("error: invalid --exclude glob `[`");

    unknown_subcommand => Case::new()
        .run(["lint"]).code(2).stdout("").stderr_has("error: unrecognized subcommand 'lint'");

    no_subcommand_prints_usage => Case::new()
        .run(Vec::<String>::new()).code(2).stdout("").stderr_has("Usage: awaitify <COMMAND>");

    version => Case::new()
        .run(["--version"]).code(0).stdout(format!("awaitify {}\n", env!("CARGO_PKG_VERSION")));

    // ==== discovery =============================================================================

    check_walks_directories => walk_tree()
        .run(["check"]).code(1).stderr("").stdout(walk_expected(""));

    check_walks_directories_given_as_dot => walk_tree()
        .run(["check", "."]).code(1).stdout(walk_expected(""));

    check_walks_a_subdirectory_with_the_parents_ignore_files => walk_tree()
        .file(".gitignore", "ignored_dir/\nignored_file.py\n*.gen.py\npkg/deep/\n")
        .run(["check", "pkg"]).code(1).stderr("")
        .stdout(finding("pkg/mod.py", 4, 5) + &summary(1, 1));

    fix_write_walk_skips_what_check_skips => walk_tree()
        .run(["fix", "--write"]).code(0).stdout("").stderr("Fixed 4 findings in 4 files.\n")
        .now("top.py", SLEEP_FIXED).now("stub.pyi", SLEEP_FIXED).now("pkg/mod.py", SLEEP_FIXED).now("pkg/deep/x.py", SLEEP_FIXED)
        .kept("notes.txt").kept("script").kept(".hidden.py").kept(".hidden/h.py").kept("venv/lib/v.py")
        .kept(".venv/lib/v.py").kept("myenv/lib/e.py").kept("__pycache__/c.py").kept("node_modules/n.py")
        .kept("build/b.py").kept("dist/d.py").kept("site-packages/s.py").kept("ignored_dir/i.py")
        .kept("ignored_file.py").kept("pkg/out.gen.py").kept("pkg/local.py");

    check_named_files_are_always_processed => walk_tree()
        .run(["check", "ignored_file.py", "script", "notes.txt", "venv/lib/v.py", ".hidden/h.py"]).code(1).stderr("")
        .stdout(finding("ignored_file.py", 4, 5) + &finding("script", 4, 5) + &finding("notes.txt", 4, 5)
            + &finding("venv/lib/v.py", 4, 5) + &finding(".hidden/h.py", 4, 5) + &summary(5, 5));

    fix_write_named_file_with_another_extension => Case::new()
        .file("tool", SLEEP)
        .run(["fix", "--write", "tool"]).code(0).stderr("Fixed 1 finding in 1 file.\n").now("tool", SLEEP_FIXED);

    check_exclude_directory => walk_tree()
        .run(["check", "--exclude", "pkg"]).code(1)
        .stdout(finding("stub.pyi", 4, 5) + &finding("top.py", 4, 5) + &summary(2, 2));

    check_exclude_glob => walk_tree()
        .run(["check", "--exclude", "*.pyi", "--exclude", "pkg/deep"]).code(1)
        .stdout(finding("pkg/mod.py", 4, 5) + &finding("top.py", 4, 5) + &summary(2, 2));

    check_exclude_everything => walk_tree()
        .run(["check", "--exclude", "*.py*"]).code(0).stdout("All checks passed!\n");

    check_exclude_does_not_apply_to_named_files => Case::new()
        .file("pkg/a.py", SLEEP)
        .run(["check", "--exclude", "pkg", "pkg/a.py"]).code(1).stdout(finding("pkg/a.py", 4, 5) + &summary(1, 1));

    check_exclude_with_dot_slash => walk_tree()
        .run(["check", "--exclude", "./pkg"]).code(1)
        .stdout(finding("stub.pyi", 4, 5) + &finding("top.py", 4, 5) + &summary(2, 2));

    check_exclude_with_trailing_slash => walk_tree()
        .run(["check", "--exclude", "pkg/"]).code(1)
        .stdout(finding("stub.pyi", 4, 5) + &finding("top.py", 4, 5) + &summary(2, 2));

    check_nonexistent_path_other_files_still_reported => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "missing.py", "a.py", "nodir/"]).code(2)
        .stdout(finding("a.py", 4, 5) + "Found 1 finding.\n2 files could not be checked.\n[*] 1 fixable with `awaitify fix --write`.\n")
        .stderr("missing.py: error: no such file or directory\nnodir/: error: no such file or directory\n");

    check_only_nonexistent_path => Case::new()
        .run(["check", "missing.py"]).code(2)
        .stdout("No findings, but 1 file could not be checked.\n")
        .stderr("missing.py: error: no such file or directory\n");

    check_duplicate_paths_reported_once => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "a.py", "./a.py", "."]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1));

    check_symlinked_directory_not_reported_twice => Case::new()
        .file("pkg/a.py", SLEEP).symlink("alias", "pkg")
        .run(["check"]).code(1).stderr("")
        .stdout_has("Found 1 finding.\n")
        .check(|o| {
            let out = o.stdout_text();
            expect_eq("findings", out.matches("a.py:4:5: AW101").count(), 1)
        });

    // ==== fix (dry run) =========================================================================

    fix_dry_run_prints_a_diff_and_writes_nothing => Case::new()
        .file("a.py", SLEEP).file("ok.py", CLEAN)
        .run(["fix", "a.py", "ok.py"]).code(1)
        .stdout(diff_header("a.py") + DIFF_SLEEP_HUNK)
        .stderr("Would fix 1 finding in 1 file.\n")
        .kept("a.py").kept("ok.py");

    fix_diff_flag_is_the_dry_run => Case::new()
        .file("a.py", SLEEP)
        .run(["fix", "--diff", "a.py"]).code(1)
        .stdout(diff_header("a.py") + DIFF_SLEEP_HUNK)
        .stderr("Would fix 1 finding in 1 file.\n")
        .kept("a.py");

    fix_dry_run_several_files => Case::new()
        .file("a.py", TWO).file("b.py", SLEEP)
        .run(["fix"]).code(1)
        .stdout(diff_header("a.py")
            + "@@ -1,5 +1,5 @@\n-import time\n+import asyncio\n \n async def f():\n-    time.sleep(1)\n-    time.sleep(2)\n+    await asyncio.sleep(1)\n+    await asyncio.sleep(2)\n"
            + &diff_header("b.py") + DIFF_SLEEP_HUNK)
        .stderr("Would fix 3 findings in 2 files.\n")
        .kept("a.py").kept("b.py");

    fix_dry_run_no_trailing_newline => Case::new()
        .file("a.py", SLEEP.trim_end())
        .run(["fix", "a.py"]).code(1)
        .stdout_has("-    time.sleep(1)\n\\ No newline at end of file\n+    await asyncio.sleep(1)\n\\ No newline at end of file\n")
        .kept("a.py");

    fix_dry_run_nothing_to_change => Case::new()
        .file("ok.py", CLEAN)
        .run(["fix", "ok.py"]).code(0).stdout("").stderr("No fixes available.\n").kept("ok.py")
        .run(["fix", "--diff", "ok.py"]).code(0).stdout("").stderr("No fixes available.\n").kept("ok.py");

    fix_dry_run_only_unfixable_findings_exits_0 => Case::new()
        .file("gen.py", GEN)
        .run(["fix", "gen.py"]).code(0).stdout("")
        .stderr(format!("No fixes available.\n1 finding remains unfixed:\n  {GEN_REASON}:\n    gen.py:4:10: AW101 {MSG}\n"))
        .kept("gen.py");

    fix_diff_and_write_together_is_an_error => Case::new()
        .file("a.py", SLEEP)
        .run(["fix", "--diff", "--write", "a.py"]).code(2).stdout("")
        .stderr_has("error: the argument '--diff' cannot be used with '--write'")
        .kept("a.py");

    // ==== fix --write ===========================================================================

    fix_write_applies_the_fixes => Case::new()
        .file("a.py", TWO).file("b.py", SLEEP).file("ok.py", CLEAN)
        .run(["fix", "--write", "a.py", "b.py", "ok.py"]).code(0).stdout("")
        .stderr("Fixed 3 findings in 2 files.\n")
        .now("a.py", TWO_FIXED).now("b.py", SLEEP_FIXED).kept("ok.py");

    fix_write_single_finding_summary => Case::new()
        .file("a.py", SLEEP)
        .run(["fix", "--write", "a.py"]).code(0).stdout("").stderr("Fixed 1 finding in 1 file.\n")
        .now("a.py", SLEEP_FIXED)
        .run(["check", "a.py"]).code(0).stdout("All checks passed!\n");

    fix_write_twice_changes_nothing_the_second_time => Case::new()
        .file("a.py", SLEEP).file("b.py", KEEP)
        .run(["fix", "--write", "a.py", "b.py"]).code(0).stderr("Fixed 2 findings in 2 files.\n")
        .now("a.py", SLEEP_FIXED).now("b.py", KEEP_FIXED)
        .run(["fix", "--write", "a.py", "b.py"]).code(0).stdout("").stderr("No fixes applied.\n")
        .kept("a.py").kept("b.py")
        .run(["fix", "a.py", "b.py"]).code(0).stdout("").stderr("No fixes available.\n")
        .kept("a.py").kept("b.py");

    fix_write_keeps_the_time_import_when_still_used => Case::new()
        .file("a.py", KEEP)
        .run(["fix", "--write", "a.py"]).code(0).now("a.py", KEEP_FIXED);

    fix_write_nothing_to_fix => Case::new()
        .file("ok.py", CLEAN)
        .run(["fix", "--write", "ok.py"]).code(0).stdout("").stderr("No fixes applied.\n").kept("ok.py");

    fix_write_keeps_permissions => Case::new()
        .file_mode("a.py", SLEEP, 0o640)
        .file_mode("tool.py", SLEEP, 0o750)
        .run(["fix", "--write", "a.py", "tool.py"]).code(0)
        .now("a.py", SLEEP_FIXED).mode("a.py", 0o640)
        .now("tool.py", SLEEP_FIXED).mode("tool.py", 0o750);

    fix_write_through_a_symlink_updates_the_target => Case::new()
        .file("real/target.py", SLEEP).symlink("link.py", "real/target.py")
        .run(["fix", "--write", "link.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .still_symlink("link.py", "real/target.py")
        .now("real/target.py", SLEEP_FIXED)
        .absent("real/link.py");

    fix_write_walk_with_a_symlink_and_its_target_fixes_once => Case::new()
        .file("target.py", SLEEP).symlink("link.py", "target.py")
        .run(["fix", "--write"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .still_symlink("link.py", "target.py").now("target.py", SLEEP_FIXED);

    fix_write_unfixable_finding_remains => Case::new()
        .file("gen.py", GEN).file("a.py", SLEEP)
        .run(["fix", "--write", "a.py", "gen.py"]).code(1).stdout("")
        .stderr(format!("Fixed 1 finding in 1 file.\n1 finding remains unfixed:\n  {GEN_REASON}:\n    gen.py:4:10: AW101 {MSG}\n"))
        .now("a.py", SLEEP_FIXED).kept("gen.py");

    // ==== standard input ========================================================================

    fix_stdin_prints_the_fixed_source => Case::new()
        .run(["fix", "-"]).stdin(SLEEP).code(0)
        .stdout(SLEEP_FIXED).stderr("Fixed 1 finding in 1 file.\n");

    fix_stdin_write_flag_still_prints => Case::new()
        .run(["fix", "--write", "-"]).stdin(TWO).code(0)
        .stdout(TWO_FIXED).stderr("Fixed 2 findings in 1 file.\n");

    fix_stdin_nothing_to_fix_echoes_the_input => Case::new()
        .run(["fix", "-"]).stdin(CLEAN).code(0).stdout(CLEAN).stderr("No fixes applied.\n");

    fix_stdin_empty_input => Case::new()
        .run(["fix", "-"]).stdin("").code(0).stdout("").stderr("No fixes applied.\n");

    fix_stdin_unfixable_exits_1 => Case::new()
        .run(["fix", "-"]).stdin(GEN).code(1).stdout(GEN)
        .stderr(format!("No fixes applied.\n1 finding remains unfixed:\n  {GEN_REASON}:\n    -:4:10: AW101 {MSG}\n"));

    fix_stdin_filename_names_the_input_in_messages => Case::new()
        .run(["fix", "--stdin-filename", "pkg/x.py", "-"]).stdin(GEN).code(1).stdout(GEN)
        .stderr_has(&format!("  pkg/x.py:4:10: AW101 {MSG}"));

    fix_stdin_syntax_error_echoes_the_input => Case::new()
        .run(["fix", "--stdin-filename", "pkg/x.py", "-"]).stdin("def (:\n").code(2)
        .stdout("def (:\n")
        .stderr("pkg/x.py:1:5: syntax error: Expected an identifier\nNo fixes applied.\n");

    fix_stdin_binary_is_an_error => Case::new()
        .run(["fix", "--stdin-filename", "x.py", "-"]).stdin(BINARY).code(2)
        .stderr_has("x.py: error: binary file (contains NUL bytes), not Python source\n");

    fix_stdin_not_utf8_echoes_the_input => Case::new()
        .run(["fix", "--stdin-filename", "latin1.py", "-"]).stdin(LATIN1).code(2)
        .stdout(LATIN1)
        .stderr_has(LATIN1_LINE);

    fix_stdin_keeps_bom_and_crlf => Case::new()
        .run(["fix", "-"]).stdin(bom(&crlf(KEEP))).code(0)
        .stdout(bom(&crlf(KEEP_FIXED)));

    fix_stdin_never_touches_the_stdin_filename => Case::new()
        .file("a.py", SLEEP)
        .run(["fix", "--write", "--stdin-filename", "a.py", "-"]).stdin(TWO).code(0)
        .stdout(TWO_FIXED).kept("a.py");

    check_stdin => Case::new()
        .run(["check", "-"]).stdin(SLEEP).code(1)
        .stdout(finding("-", 4, 5) + &summary(1, 1)).stderr("");

    check_stdin_clean => Case::new()
        .run(["check", "-"]).stdin(CLEAN).code(0).stdout("All checks passed!\n");

    check_stdin_filename => Case::new()
        .run(["check", "--stdin-filename", "app/x.py", "-"]).stdin(SLEEP).code(1)
        .stdout(finding("app/x.py", 4, 5) + &summary(1, 1));

    check_stdin_json_filename => Case::new()
        .run(["check", "--output-format", "json", "--stdin-filename", "app/x.py", "-"]).stdin(SLEEP).code(1)
        .check(|o| check_sleep_json(&json_stdout(o)?[0], "app/x.py"));

    check_stdin_syntax_error => Case::new()
        .run(["check", "--stdin-filename", "x.py", "-"]).stdin("def (:\n").code(2)
        .stdout("No findings, but 1 file could not be checked.\n")
        .stderr("x.py:1:5: syntax error: Expected an identifier\n");

    // ==== recipes and explain ===================================================================

    recipes_lists_aw101 => Case::new()
        .run(["recipes"]).code(0).stderr("")
        .stdout_has("CODE    ID                       PHASE  FIX        RUFF      SUMMARY\n")
        .stdout_has("AW101   time-sleep               1      sometimes  ASYNC251  `time.sleep` in async code blocks the event loop; use `await asyncio.sleep`\n");

    recipes_json => Case::new()
        .run(["recipes", "--output-format", "json"]).code(0)
        .check(|o| {
            let v = json_stdout(o)?;
            let aw101 = v.as_array().and_then(|a| a.iter().find(|r| r["code"] == "AW101")).ok_or("no AW101")?;
            expect_eq("id", &aw101["id"], &Value::from("time-sleep"))?;
            expect_eq("ruff_equivalent", &aw101["ruff_equivalent"], &Value::from("ASYNC251"))?;
            expect_eq("fix", &aw101["fix"], &Value::from("sometimes"))?;
            expect_eq("phase", &aw101["phase"], &Value::from(1))
        });

    explain_by_code => Case::new()
        .run(["explain", "AW101"]).code(0).stderr("")
        .stdout_has("# time-sleep (AW101)\n\nPhase 1. Fix: sometimes.\nDetected by ruff as ASYNC251")
        .stdout_has("\n## What it does\n").stdout_has("\n## Why is this bad?\n").stdout_has("\n## Example\n")
        .stdout_has("\n## Use instead\n").stdout_has("\n## Fix safety\n").stdout_has("await asyncio.sleep");

    explain_by_id_is_the_same => Case::new()
        .run(["explain", "time-sleep"]).code(0).stdout_has("# time-sleep (AW101)\n").stdout_has("\n## Fix safety\n")
        .check(|o| {
            let by_code = std::process::Command::new(BIN).args(["explain", "AW101"]).output().map_err(|e| e.to_string())?;
            expect_eq("same text as `explain AW101`", o.stdout, by_code.stdout.as_slice())
        });

    explain_says_what_migration_changes => Case::new()
        .run(["explain", "AW201"]).code(0).stdout_has("\n## What migration changes\n").stdout_has("asyncio.Lock");

    explain_report_only_recipe_has_no_migration_section => Case::new()
        .run(["explain", "AW204"]).code(0).stdout_lacks("## What migration changes");

    explain_lowercase_code => Case::new()
        .run(["explain", "aw101"]).code(0).stdout_has("# time-sleep (AW101)\n");

    explain_unknown => Case::new()
        .run(["explain", "AW999"]).code(2).stdout("")
        .stderr("error: unknown recipe `AW999`; `awaitify recipes` lists them\n");

    // ==== bad input: one line each, the other files still processed, exit 2 =====================

    bad_syntax_error_check => Case::new()
        .file("a.py", SLEEP).file("syn.py", SYNTAX_ERROR)
        .run(["check", "a.py", "syn.py"]).code(2)
        .stdout(finding("a.py", 4, 5) + "Found 1 finding.\n1 file could not be checked.\n[*] 1 fixable with `awaitify fix --write`.\n")
        .stderr(SYNTAX_LINE);

    bad_syntax_error_fix_write => Case::new()
        .file("a.py", SLEEP).file("syn.py", SYNTAX_ERROR)
        .run(["fix", "--write", "a.py", "syn.py"]).code(2).stdout("")
        .stderr(format!("{SYNTAX_LINE}Fixed 1 finding in 1 file.\n"))
        .now("a.py", SLEEP_FIXED).kept("syn.py");

    bad_syntax_error_fix_dry_run => Case::new()
        .file("a.py", SLEEP).file("syn.py", SYNTAX_ERROR)
        .run(["fix", "a.py", "syn.py"]).code(2)
        .stdout(diff_header("a.py") + DIFF_SLEEP_HUNK)
        .stderr(format!("{SYNTAX_LINE}Would fix 1 finding in 1 file.\n"))
        .kept("a.py").kept("syn.py");

    bad_not_utf8_check => Case::new()
        .file("a.py", SLEEP).file("latin1.py", LATIN1)
        .run(["check", "a.py", "latin1.py"]).code(2)
        .stdout_has(&finding("a.py", 4, 5)).stdout_has("1 file could not be checked.\n")
        .stderr(LATIN1_LINE);

    bad_not_utf8_fix_write => Case::new()
        .file("a.py", SLEEP).file("latin1.py", LATIN1)
        .run(["fix", "--write", "a.py", "latin1.py"]).code(2)
        .stderr(format!("{LATIN1_LINE}Fixed 1 finding in 1 file.\n"))
        .now("a.py", SLEEP_FIXED).kept("latin1.py");

    bad_binary_check => Case::new()
        .file("a.py", SLEEP).file("blob.py", BINARY)
        .run(["check", "a.py", "blob.py"]).code(2)
        .stdout_has(&finding("a.py", 4, 5))
        .stderr(BINARY_LINE);

    bad_binary_fix_write => Case::new()
        .file("a.py", SLEEP).file("blob.py", BINARY)
        .run(["fix", "--write", "."]).code(2)
        .stderr(format!("{BINARY_LINE}Fixed 1 finding in 1 file.\n"))
        .now("a.py", SLEEP_FIXED).kept("blob.py");

    // chmod 000: as an ordinary user the file cannot be read (one error line); as root (or with
    // CAP_DAC_OVERRIDE), the case where these tests usually run, mode bits do not stop reading
    // and the file is processed like any other.
    bad_unreadable_check => Case::new()
        .file("a.py", SLEEP).file_mode("unr.py", SLEEP, 0o000)
        .run(["check", "a.py", "unr.py"]).stdout_has(&finding("a.py", 4, 5))
        .check(|o| {
            if readable_despite_000(o, "unr.py") {
                expect_eq("exit code (privileged)", o.code, Some(1))?;
                expect_eq("stdout (privileged)", o.stdout_text(), finding("a.py", 4, 5) + &finding("unr.py", 4, 5) + &summary(2, 2))?;
                expect_eq("stderr (privileged)", o.stderr_text(), String::new())
            } else {
                expect_eq("exit code", o.code, Some(2))?;
                expect_eq("stderr", o.stderr_text(), UNREADABLE_LINE.to_owned())
            }
        });

    // Under `fix --write` as root the 000 file is read and fixed, but not written: it has no
    // write bit, so it is refused like any read-only file.
    bad_unreadable_fix_write => Case::new()
        .file("a.py", SLEEP).file_mode("unr.py", SLEEP, 0o000)
        .run(["fix", "--write", "a.py", "unr.py"]).code(2).stdout("")
        .now("a.py", SLEEP_FIXED).kept("unr.py").mode("unr.py", 0o000)
        .check(|o| {
            if readable_despite_000(o, "unr.py") {
                expect_eq("unr.py content", o.read("unr.py"), SLEEP.as_bytes().to_vec())?;
                let err = o.stderr_text();
                if !err.starts_with("unr.py: error: not written: the file is read-only\nFixed 1 finding in 1 file.\n") {
                    return Err(format!("stderr (privileged): {err:?}"));
                }
                Ok(())
            } else {
                expect_eq("stderr", o.stderr_text(), format!("{UNREADABLE_LINE}Fixed 1 finding in 1 file.\n"))
            }
        });

    bad_read_only_file_fix_write => Case::new()
        .file("a.py", SLEEP).file_mode("locked.py", SLEEP, 0o444)
        .run(["fix", "--write", "a.py", "locked.py"]).code(2).stdout("")
        .stderr_has(READ_ONLY_LINE)
        .stderr_has("Fixed 1 finding in 1 file.\n")
        .check(|o| {
            let err = o.stderr_text();
            expect_eq("read-only error lines", err.matches("locked.py: error").count(), 1)?;
            expect_eq("first line", err.lines().next(), Some(READ_ONLY_LINE.trim_end()))
        })
        .now("a.py", SLEEP_FIXED).kept("locked.py").mode("locked.py", 0o444);

    // A folder where no temporary file can be created: as an ordinary user the write fails with
    // one line; as root the folder's mode does not stop the write.
    bad_read_only_directory_fix_write => Case::new()
        .file("a.py", SLEEP).file("ro/b.py", SLEEP).chmod("ro", 0o555)
        .run(["fix", "--write", "a.py", "ro/b.py"]).stdout("")
        .now("a.py", SLEEP_FIXED)
        .check(|o| {
            let probe = o.dir.join("ro/probe");
            let privileged = std::fs::write(&probe, "").is_ok();
            let _ = std::fs::remove_file(&probe);
            if privileged {
                expect_eq("exit code (privileged)", o.code, Some(0))?;
                expect_eq("ro/b.py (privileged)", o.read("ro/b.py"), SLEEP_FIXED.as_bytes().to_vec())?;
                expect_eq("stderr (privileged)", o.stderr_text(), "Fixed 2 findings in 2 files.\n".to_owned())
            } else {
                expect_eq("exit code", o.code, Some(2))?;
                expect_eq("ro/b.py", o.read("ro/b.py"), SLEEP.as_bytes().to_vec())?;
                let err = o.stderr_text();
                let first = "ro/b.py: error: not written: cannot create a temporary file next to it: permission denied\nFixed 1 finding in 1 file.\n";
                if err.starts_with(first) { Ok(()) } else { Err(format!("stderr: {err:?}")) }
            }
        });

    // Run as root, `fix --write` must not give a user's file to root. (As an ordinary user the
    // chown is skipped and the owner is the user's own, which must stay too.)
    fix_write_keeps_the_owner => Case::new()
        .file("a.py", SLEEP).try_chown("a.py", 65534, 65534)
        .run(["fix", "--write", "a.py"]).code(0).now("a.py", SLEEP_FIXED).owner_kept("a.py");

    bad_read_only_file_dry_run_is_fine => Case::new()
        .file_mode("locked.py", SLEEP, 0o444)
        .run(["fix", "locked.py"]).code(1).stdout(diff_header("locked.py") + DIFF_SLEEP_HUNK)
        .stderr("Would fix 1 finding in 1 file.\n").kept("locked.py");

    bad_read_only_file_reason_is_not_display_only => Case::new()
        .file_mode("locked.py", SLEEP, 0o444)
        .run(["fix", "--write", "locked.py"]).code(2)
        .stderr_lacks("the fix is shown only, never applied")
        .kept("locked.py");

    bad_symlink_loop_in_a_walked_directory => Case::new()
        .file("a.py", SLEEP).symlink("loop_a.py", "loop_b.py").symlink("loop_b.py", "loop_a.py")
        .run(["check"]).code(2)
        .stdout(finding("a.py", 4, 5) + "Found 1 finding.\n2 files could not be checked.\n[*] 1 fixable with `awaitify fix --write`.\n")
        .check(|o| {
            let err = o.stderr_text();
            let lines: Vec<&str> = err.lines().collect();
            expect_eq("number of stderr lines", lines.len(), 2)?;
            for name in ["loop_a.py", "loop_b.py"] {
                if !lines.iter().any(|l| l.starts_with(&format!("{name}: error: ")) && l.contains("symbolic link loop (too many levels of symbolic links)")) {
                    return Err(format!("no symlink loop line for {name} in {err:?}"));
                }
            }
            Ok(())
        })
        .run(["fix", "--write"]).code(2).now("a.py", SLEEP_FIXED).stderr_has("Fixed 1 finding in 1 file.\n")
        .still_symlink("loop_a.py", "loop_b.py");

    bad_symlink_loop_in_a_walked_directory_message => Case::new()
        .file("a.py", SLEEP).symlink("loop_a.py", "loop_b.py").symlink("loop_b.py", "loop_a.py")
        .run(["check"]).code(2)
        .stderr_has("loop_a.py: error: symbolic link loop (too many levels of symbolic links)\n")
        .stderr_has("loop_b.py: error: symbolic link loop (too many levels of symbolic links)\n");

    bad_directory_symlink_to_an_ancestor => Case::new()
        .file("a.py", SLEEP).symlink("sub/up", "..")
        // Skipped with a warning: the tree is walked once, and the run is not an error.
        .run(["check"]).code(1)
        .stdout(finding("a.py", 4, 5) + &summary(1, 1))
        .stderr("warning: sub/up: symbolic link to a folder above it (.); skipped\n");

    bad_symlink_loop_as_an_argument => Case::new()
        .file("a.py", SLEEP).symlink("loop_a.py", "loop_b.py").symlink("loop_b.py", "loop_a.py")
        .run(["check", "loop_a.py", "a.py"]).code(2)
        .stdout_has(&finding("a.py", 4, 5))
        .stderr(LOOP_ARG_LINE)
        .run(["fix", "--write", "loop_a.py", "a.py"]).code(2)
        .stderr(format!("{LOOP_ARG_LINE}Fixed 1 finding in 1 file.\n"))
        .now("a.py", SLEEP_FIXED);

    bad_self_symlink_as_an_argument => Case::new()
        .symlink("self.py", "self.py")
        .run(["check", "self.py"]).code(2)
        .stderr("self.py: error: symbolic link loop (too many levels of symbolic links)\n");

    bad_dangling_symlink_as_an_argument => Case::new()
        .file("a.py", SLEEP).symlink("gone.py", "nowhere.py")
        .run(["check", "gone.py", "a.py"]).code(2)
        .stdout_has(&finding("a.py", 4, 5))
        .stderr("gone.py: error: no such file or directory\n");

    walk_ignores_dangling_symlinks_to_non_python_files => Case::new()
        .file("a.py", CLEAN).symlink("notes.txt", "nowhere")
        .run(["check"]).code(0).stdout("All checks passed!\n").stderr("");

    bad_everything_at_once => Case::new()
        .file("a.py", SLEEP).file("syn.py", SYNTAX_ERROR).file("latin1.py", LATIN1).file("blob.py", BINARY)
        .file_mode("locked.py", SLEEP, 0o444).file("empty.py", "").file("comments.py", "# one\n# two\n")
        .symlink("loop_a.py", "loop_b.py").symlink("loop_b.py", "loop_a.py")
        .run(["fix", "--write", "a.py", "syn.py", "latin1.py", "blob.py", "locked.py", "empty.py", "comments.py", "loop_a.py", "missing.py"])
        .code(2).stdout("")
        .check(|o| {
            let err = o.stderr_text();
            let expected = [
                SYNTAX_LINE, LATIN1_LINE, BINARY_LINE, READ_ONLY_LINE, LOOP_ARG_LINE,
                "missing.py: error: no such file or directory\n",
            ];
            for line in expected {
                expect_eq(&format!("occurrences of {line:?}"), err.matches(line).count(), 1)?;
            }
            let errors = err.lines().filter(|l| l.contains(": error: ") || l.contains(": syntax error: ")).count();
            expect_eq("error lines", errors, expected.len())?;
            if !err.contains("Fixed 1 finding in 1 file.\n") {
                return Err(format!("no fix summary in {err:?}"));
            }
            Ok(())
        })
        .now("a.py", SLEEP_FIXED).kept("syn.py").kept("latin1.py").kept("blob.py").kept("locked.py")
        .kept("empty.py").kept("comments.py");

    // ==== inputs that are fine ==================================================================

    empty_file => Case::new()
        .file("empty.py", "")
        .run(["check", "empty.py"]).code(0).stdout("All checks passed!\n").stderr("")
        .run(["fix", "--write", "empty.py"]).code(0).stderr("No fixes applied.\n").kept("empty.py");

    comments_only_file => Case::new()
        .file("comments.py", "# time.sleep(1)\n# async def f(): time.sleep(1)\n")
        .run(["check", "comments.py"]).code(0).stdout("All checks passed!\n").stderr("")
        .run(["fix", "--write", "comments.py"]).code(0).stderr("No fixes applied.\n").kept("comments.py");

    very_long_line => Case::new()
        .file("long.py", long_line_source(false))
        .run(["check", "long.py"]).code(1).stdout(finding("long.py", 4, 200_013) + &summary(1, 1))
        .run(["fix", "--write", "long.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .now("long.py", long_line_source(true));

    bom_is_kept => Case::new()
        .file("bom.py", bom(SLEEP)).file("bom_keep.py", bom(KEEP))
        .run(["check", "bom.py"]).code(1).stdout(finding("bom.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write", "bom.py", "bom_keep.py"]).code(0)
        .now("bom.py", bom(SLEEP_FIXED)).now("bom_keep.py", bom(KEEP_FIXED));

    crlf_is_kept_including_the_inserted_import => Case::new()
        .file("crlf.py", crlf(KEEP)).file("crlf2.py", crlf(SLEEP))
        .run(["fix", "--write", "crlf.py", "crlf2.py"]).code(0)
        .now("crlf.py", crlf(KEEP_FIXED)).now("crlf2.py", crlf(SLEEP_FIXED));

    tabs_are_kept => Case::new()
        .file("tabs.py", "import time\n\nasync def f():\n\tif f:\n\t\ttime.sleep(1)\n\ndef g():\n\treturn time.time()\n")
        .file("tabs2.py", tabs(TWO))
        .run(["fix", "--write", "tabs.py", "tabs2.py"]).code(0)
        .now("tabs.py", "import asyncio\nimport time\n\nasync def f():\n\tif f:\n\t\tawait asyncio.sleep(1)\n\ndef g():\n\treturn time.time()\n")
        .now("tabs2.py", tabs(TWO_FIXED));

    github_escapes_file_names => Case::new()
        .file("we,ird:name.py", SLEEP)
        .run(["check", "--output-format", "github", "we,ird:name.py"]).code(1)
        .stdout_has("file=we%2Cird%3Aname.py,line=4,");

    // The finding is in the helper's file; its fix edits only the caller's file (the helper
    // stays sync for its sync caller, the async call moves to a thread): it is counted.
    fix_counts_a_finding_whose_fix_edits_another_file => Case::new()
        .file("pkg/__init__.py", "")
        .file("pkg/a.py", "import subprocess\n\n\ndef helper():\n    return subprocess.run([\"true\"]).returncode\n\n\ndef sync_user():\n    return helper()\n")
        .file("pkg/b.py", "from pkg.a import helper\n\n\nasync def handler():\n    return helper()\n")
        .run(["fix", "--unsafe-fixes", "."]).stdout_has("+    return await asyncio.to_thread(helper)\n")
        .stderr_has("Would fix 1 finding in 1 file.\n").kept("pkg/a.py").kept("pkg/b.py")
        .run(["fix", "--unsafe-fixes", "--write", "."]).code(0)
        .stderr_has("Fixed 1 finding in 1 file.\n").kept("pkg/a.py")
        .run(["fix", "--unsafe-fixes", "--write", "."]).code(0)
        .stderr_has("No fixes applied.\n").kept("pkg/a.py").kept("pkg/b.py");
}

// ==== cases that need their own plumbing =========================================================

/// `explain` and `recipes` print with `println!`, which panics when stdout is a closed pipe
/// (`awaitify explain AW101 | head -1`). The read end is closed before the process starts, so
/// the first write always fails.
#[test]
fn explain_and_recipes_into_a_closed_pipe_do_not_panic() {
    for args in [&["explain", "AW101"][..], &["recipes"][..]] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let output = std::process::Command::new(BIN)
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
            .wait_with_output()
            .expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // A closed pipe is not an error: quiet, exit 0 (as ruff and cat).
        assert!(
            stderr.is_empty() && output.status.code() == Some(0),
            "awaitify {args:?} into a closed pipe: {:?}, stderr: {stderr}",
            output.status.code()
        );
    }
}

/// `check` into a closed pipe does not panic (it reports the error and exits 2).
#[test]
fn check_into_a_closed_pipe_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), SLEEP).unwrap();
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = std::process::Command::new(BIN)
        .args(["check", "a.py"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn")
        .wait_with_output()
        .expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

// ==== configuration, suppression comments, output formats, report ================================
//
// The cases below cover the configuration file (every key, in `pyproject.toml` and in
// `awaitify.toml`, discovery and precedence, bad files), the suppression comments, every output
// format of `check` and `fix`, the phases and `awaitify report`.

const SUBPROCESS: &str = "import subprocess\n\nasync def f():\n    subprocess.run([\"ls\"])\n";
/// `SUBPROCESS` fixed with `subprocess-strategy = "thread"`.
const SUBPROCESS_THREAD_FIXED: &str =
    "import asyncio\nimport subprocess\n\nasync def f():\n    await asyncio.to_thread(subprocess.run, [\"ls\"])\n";
/// `subprocess.run(["ls"])` as the native strategy writes it in `f`.
const LS_NATIVE: &str =
    "    proc = await asyncio.create_subprocess_exec(\"ls\")\n    await proc.wait()\n";
const MSG_SUBPROCESS: &str = "`subprocess.run` blocks the event loop until the child process exits";
/// A `time.sleep` (AW101, line 5) and a `subprocess.run` (AW103, line 6).
const MIXED: &str =
    "import subprocess\nimport time\n\nasync def f():\n    time.sleep(1)\n    subprocess.run([\"ls\"])\n";
fn mixed_fixed() -> String {
    format!("import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n{LS_NATIVE}")
}
/// `MIXED` with only the subprocess call fixed.
fn mixed_aw103_fixed() -> String {
    format!("import asyncio\nimport time\n\nasync def f():\n    time.sleep(1)\n{LS_NATIVE}")
}
/// A computed delay: the fix is unsafe.
const UNSAFE: &str = "import time\n\nasync def f(d):\n    time.sleep(d)\n";
const UNSAFE_FIXED: &str = "import asyncio\n\nasync def f(d):\n    await asyncio.sleep(d)\n";
const UNSAFE_REASON: &str = "unsafe fix withheld: `time.sleep` raises `ValueError` for a negative delay and `OverflowError` for one above about 9.2e9 s; `asyncio.sleep` does neither; apply it with --unsafe-fixes";
/// Two calls declared blocking in async code (lines 5 and 6) and one in sync code (line 9).
const DECLARED: &str = "import requests\nimport mylib.storage\n\nasync def f(u):\n    requests.get(u)\n    mylib.storage.load()\n\ndef g(u):\n    return requests.get(u)\n";
/// The `blocking-calls` table's entries: one with a replacement, one with `""`.
const BLOCKING_CALLS: &str =
    "\"requests.get\" = \"httpx.AsyncClient.get\"\n\"mylib.storage.load\" = \"\"\n";
/// `MIXED` plus a declared blocking call (AW301, line 8).
const ALL_PHASES: &str = "import requests\nimport subprocess\nimport time\n\nasync def f(u):\n    time.sleep(1)\n    subprocess.run([\"ls\"])\n    requests.get(u)\n";
fn all_phases_phase_1_fixed() -> String {
    format!("import requests\nimport asyncio\n\nasync def f(u):\n    await asyncio.sleep(1)\n{LS_NATIVE}    requests.get(u)\n")
}

fn pyproject(body: &str) -> String {
    format!("[project]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[tool.awaitify]\n{body}")
}

fn pyproject_blocking_calls() -> String {
    format!("[project]\nname = \"demo\"\n\n[tool.awaitify.blocking-calls]\n{BLOCKING_CALLS}")
}

/// A fixable AW103 line of `check`.
fn aw103(path: &str, row: usize, col: usize) -> String {
    format!("{path}:{row}:{col}: AW103 [*] {MSG_SUBPROCESS}\n")
}

/// An AW301 line of `check` (never fixable).
fn aw301(path: &str, row: usize, name: &str) -> String {
    format!("{path}:{row}:5: AW301 `{name}` is declared blocking and runs on the event loop\n")
}

/// Both findings of `MIXED`.
fn mixed(path: &str) -> String {
    finding(path, 5, 5) + &aw103(path, 6, 5)
}

/// What a run from a subfolder produced.
struct Nested {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary with `cwd` (a folder of the case's directory) as the working directory: the
/// harness runs every step from the case's directory, and configuration discovery starts from
/// the working directory.
fn run_from(o: &Outcome<'_>, cwd: &str, args: &[&str]) -> Result<Nested, String> {
    let output = std::process::Command::new(BIN)
        .args(args)
        .current_dir(o.dir.join(cwd))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run awaitify in {cwd}: {e}"))?;
    Ok(Nested {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Runs from `cwd` and compares exit code and stdout exactly (stderr must be empty).
fn expect_from(
    o: &Outcome<'_>,
    cwd: &str,
    args: &[&str],
    code: i32,
    stdout: &str,
) -> Result<(), String> {
    let run = run_from(o, cwd, args)?;
    let what = format!("awaitify {} (from {cwd})", args.join(" "));
    expect_eq(&format!("{what}: exit code"), run.code, Some(code))?;
    expect_eq(&format!("{what}: stdout"), run.stdout.as_str(), stdout)?;
    expect_eq(&format!("{what}: stderr"), run.stderr.as_str(), "")
}

fn object_keys(value: &Value, what: &str) -> Result<Vec<String>, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("{what} is not an object: {value}"))?;
    let mut keys: Vec<String> = object.keys().cloned().collect();
    keys.sort();
    Ok(keys)
}

fn expect_keys(value: &Value, what: &str, expected: &[&str]) -> Result<(), String> {
    let mut expected: Vec<String> = expected.iter().map(|k| (*k).to_owned()).collect();
    expected.sort();
    expect_eq(
        &format!("keys of {what}"),
        object_keys(value, what)?,
        expected,
    )
}

fn string_at<'v>(value: &'v Value, what: &str) -> Result<&'v str, String> {
    value
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{what} is not a non-empty string: {value}"))
}

fn positive_at(value: &Value, what: &str) -> Result<u64, String> {
    value
        .as_u64()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{what} is not a positive integer: {value}"))
}

/// The keys of every finding of `check --output-format json`.
const JSON_FINDING_KEYS: &[&str] = &[
    "code",
    "recipe",
    "phase",
    "message",
    "filename",
    "location",
    "end_location",
    "fix",
    "note",
    "ruff_equivalent",
];

/// Validates the shape of a SARIF 2.1.0 log of `check --output-format sarif` and returns its
/// results as `(ruleId, uri, startLine, startColumn, endLine, endColumn)`.
/// A SARIF result: rule, file, start line and column, end line and column.
type SarifResult = (String, String, u64, u64, u64, u64);

fn sarif_results(log: &Value) -> Result<Vec<SarifResult>, String> {
    expect_eq("version", &log["version"], &Value::from("2.1.0"))?;
    let schema = string_at(&log["$schema"], "$schema")?;
    if !schema.starts_with("https://") || !schema.contains("sarif") || !schema.contains("2.1.0") {
        return Err(format!("$schema is not a SARIF 2.1.0 schema URI: {schema}"));
    }
    let runs = log["runs"].as_array().ok_or("runs is not an array")?;
    expect_eq("number of runs", runs.len(), 1)?;
    let driver = &runs[0]["tool"]["driver"];
    expect_eq(
        "tool.driver.name",
        &driver["name"],
        &Value::from("awaitify"),
    )?;
    expect_eq(
        "tool.driver.version",
        &driver["version"],
        &Value::from(env!("CARGO_PKG_VERSION")),
    )?;
    let rules = driver["rules"].as_array().ok_or("rules is not an array")?;
    let mut ids = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        ids.push(string_at(&rule["id"], &format!("rules[{i}].id"))?.to_owned());
        string_at(
            &rule["shortDescription"]["text"],
            &format!("rules[{i}].shortDescription.text"),
        )?;
    }
    for code in ["AW101", "AW102", "AW103", "AW301"] {
        if !ids.iter().any(|id| id == code) {
            return Err(format!("no rule {code} in {ids:?}"));
        }
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    expect_eq("rule ids are unique", unique.len(), ids.len())?;
    let results = runs[0]["results"]
        .as_array()
        .ok_or("results is not an array")?;
    let mut out = Vec::new();
    for (i, result) in results.iter().enumerate() {
        let what = format!("results[{i}]");
        let rule = string_at(&result["ruleId"], &format!("{what}.ruleId"))?;
        if !ids.iter().any(|id| id == rule) {
            return Err(format!("{what}.ruleId {rule} is not a rule of the driver"));
        }
        let level = string_at(&result["level"], &format!("{what}.level"))?;
        if !["none", "note", "warning", "error"].contains(&level) {
            return Err(format!("{what}.level {level} is not a SARIF level"));
        }
        string_at(&result["message"]["text"], &format!("{what}.message.text"))?;
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = string_at(
            &physical["artifactLocation"]["uri"],
            &format!("{what}.artifactLocation.uri"),
        )?;
        if uri.contains('\\') {
            return Err(format!("{what}: the uri {uri} has backslashes"));
        }
        let region = &physical["region"];
        let start_line = positive_at(&region["startLine"], &format!("{what}.region.startLine"))?;
        let start_column = positive_at(
            &region["startColumn"],
            &format!("{what}.region.startColumn"),
        )?;
        let end_line = positive_at(&region["endLine"], &format!("{what}.region.endLine"))?;
        let end_column = positive_at(&region["endColumn"], &format!("{what}.region.endColumn"))?;
        if (end_line, end_column) < (start_line, start_column) {
            return Err(format!("{what}: the region ends before it starts"));
        }
        out.push((
            rule.to_owned(),
            uri.to_owned(),
            start_line,
            start_column,
            end_line,
            end_column,
        ));
    }
    Ok(out)
}

/// `fix --output-format json` prints one JSON object on stdout (with or without `--write`; the
/// text summary on stderr is not printed, error lines still are):
///
/// ```text
/// {
///   "written": bool,                      // true with --write: the changes are on disk
///   "files_changed": [path, ...],         // files changed (without --write: that would change)
///   "fixes_applied": {code: count},       // fixes applied (or that would be), per code
///   "unsafe_fixes_withheld": {code: n},   // unsafe fixes not applied (no --unsafe-fixes)
///   "remaining": [                        // findings left unfixed, in the file as it is now
///     {"code": "AW101", "filename": path, "location": {"row": n, "column": n},
///      "message": text, "reason": why it was not fixed}
///   ],
///   "errors": [line, ...]                 // one line per file that could not be processed
/// }
/// ```
fn fix_json(o: &Outcome<'_>) -> Result<Value, String> {
    let v = json_stdout(o)?;
    expect_keys(
        &v,
        "the fix summary",
        &[
            "written",
            "files_changed",
            "fixes_applied",
            "unsafe_fixes_withheld",
            "remaining",
            "errors",
            "undeclared_dependencies",
        ],
    )?;
    if !v["undeclared_dependencies"].is_array() {
        return Err(format!(
            "undeclared_dependencies is not an array: {}",
            v["undeclared_dependencies"]
        ));
    }
    if !v["written"].is_boolean() {
        return Err(format!("written is not a boolean: {}", v["written"]));
    }
    for key in ["files_changed", "errors"] {
        let items = v[key].as_array().ok_or(format!("{key} is not an array"))?;
        for item in items {
            string_at(item, key)?;
        }
    }
    for key in ["fixes_applied", "unsafe_fixes_withheld"] {
        let map = v[key]
            .as_object()
            .ok_or(format!("{key} is not an object"))?;
        for (code, count) in map {
            positive_at(count, &format!("{key}.{code}"))?;
        }
    }
    let remaining = v["remaining"]
        .as_array()
        .ok_or("remaining is not an array")?;
    for (i, r) in remaining.iter().enumerate() {
        let what = format!("remaining[{i}]");
        expect_keys(
            r,
            &what,
            &["code", "filename", "location", "message", "reason"],
        )?;
        expect_keys(
            &r["location"],
            &format!("{what}.location"),
            &["row", "column"],
        )?;
        for key in ["code", "filename", "message", "reason"] {
            string_at(&r[key], &format!("{what}.{key}"))?;
        }
        positive_at(&r["location"]["row"], &format!("{what}.location.row"))?;
        positive_at(&r["location"]["column"], &format!("{what}.location.column"))?;
    }
    Ok(v)
}

fn json_map(pairs: &[(&str, u64)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, n)| ((*k).to_owned(), Value::from(*n)))
            .collect(),
    )
}

fn json_strings(items: &[&str]) -> Value {
    Value::from(items.iter().map(|s| Value::from(*s)).collect::<Vec<_>>())
}

/// A small project for `awaitify report`: safe and unsafe sleeps, a subprocess call, a call
/// declared blocking, a blocking call in sync code and a clean async module.
fn report_project() -> Case {
    Case::new()
        .file("pyproject.toml", pyproject_blocking_calls())
        .file(
            "app/sleepy.py",
            "import time\n\nasync def f(d):\n    time.sleep(1)\n    time.sleep(d)\n",
        )
        .file(
            "app/runner.py",
            "import subprocess\n\nasync def run(cmd):\n    return subprocess.run(cmd, capture_output=True)\n",
        )
        .file(
            "app/web.py",
            "import requests\n\nasync def get(u):\n    return requests.get(u)\n",
        )
        .file(
            "app/clean.py",
            "import asyncio\n\nasync def tick():\n    await asyncio.sleep(1)\n",
        )
        .file(
            "app/sync_only.py",
            "import time\n\ndef wait():\n    time.sleep(1)\n",
        )
}

/// Writes a configuration file into the case's folder, runs `awaitify check a.py` and expects
/// exit 2, nothing on stdout, and every needle on stderr.
fn config_error(o: &Outcome<'_>, name: &str, text: &str, needles: &[&str]) -> Result<(), String> {
    std::fs::write(o.dir.join(name), text).map_err(|e| format!("write {name}: {e}"))?;
    let run = run_from(o, ".", &["check", "a.py"])?;
    let what = format!("with {name} = {text:?}");
    expect_eq(&format!("{what}: exit code"), run.code, Some(2))?;
    expect_eq(&format!("{what}: stdout"), run.stdout.as_str(), "")?;
    for needle in needles {
        if !run.stderr.contains(needle) {
            return Err(format!("{what}: stderr lacks {needle:?}: {:?}", run.stderr));
        }
    }
    Ok(())
}

/// The number of findings of `awaitify check --output-format json ARGS` in the case's folder.
fn check_json_count(o: &Outcome<'_>, args: &[&str]) -> Result<usize, String> {
    let mut all = vec!["check", "--output-format", "json"];
    all.extend_from_slice(args);
    let run = run_from(o, ".", &all)?;
    let v: Value = serde_json::from_str(&run.stdout).map_err(|e| format!("check json: {e}"))?;
    v.as_array()
        .map(Vec::len)
        .ok_or_else(|| "check json is not an array".to_owned())
}

cases! {
    // ==== configuration: every key, in pyproject.toml and in awaitify.toml ======================

    config_pyproject_select => Case::new()
        .file("pyproject.toml", pyproject("select = [\"AW103\"]\n")).file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stderr("").stdout(aw103("m.py", 6, 5) + &summary(1, 1))
        .run(["fix", "--write", "m.py"]).code(0).stdout("").stderr("Fixed 1 finding in 1 file.\n")
        .now("m.py", mixed_aw103_fixed());

    config_awaitify_toml_select => Case::new()
        .file("awaitify.toml", "select = [\"subprocess\"]\n").file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stderr("").stdout(aw103("m.py", 6, 5) + &summary(1, 1))
        .run(["fix", "--write", "m.py"]).code(0).now("m.py", mixed_aw103_fixed());

    config_select_prefix => Case::new()
        .file("awaitify.toml", "select = [\"AW1\"]\n").file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stdout(mixed("m.py") + &summary(2, 2));

    config_select_all => Case::new()
        .file("pyproject.toml", pyproject("select = [\"ALL\"]\n")).file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stdout(mixed("m.py") + &summary(2, 2));

    config_pyproject_ignore => Case::new()
        .file("pyproject.toml", pyproject("ignore = [\"time-sleep\"]\n")).file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stderr("").stdout(aw103("m.py", 6, 5) + &summary(1, 1));

    config_awaitify_toml_ignore => Case::new()
        .file("awaitify.toml", "ignore = [\"AW103\"]\n").file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stderr("").stdout(finding("m.py", 5, 5) + &summary(1, 1))
        .run(["fix", "--write", "m.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .now("m.py", "import asyncio\nimport subprocess\n\nasync def f():\n    await asyncio.sleep(1)\n    subprocess.run([\"ls\"])\n");

    config_empty_table_is_the_defaults => Case::new()
        .file("pyproject.toml", pyproject("")).file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stderr("").stdout(mixed("m.py") + &summary(2, 2));

    config_pyproject_exclude => Case::new()
        .file("pyproject.toml", pyproject("exclude = [\"legacy\", \"*_pb2.py\"]\n"))
        .file("src/new.py", SLEEP).file("legacy/old.py", SLEEP).file("src/legacy/deep.py", SLEEP)
        .file("src/api_pb2.py", SLEEP)
        .run(["check"]).code(1).stderr("").stdout(finding("src/new.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .now("src/new.py", SLEEP_FIXED).kept("legacy/old.py").kept("src/legacy/deep.py").kept("src/api_pb2.py")
        // As with --exclude, a file named on the command line is processed anyway.
        .run(["check", "legacy/old.py"]).code(1).stdout(finding("legacy/old.py", 4, 5) + &summary(1, 1));

    config_awaitify_toml_exclude_and_extend_exclude => Case::new()
        .file("awaitify.toml", "exclude = [\"legacy\"]\nextend-exclude = [\"vendored/**\"]\n")
        .file("src/new.py", SLEEP).file("legacy/old.py", SLEEP).file("vendored/lib/v.py", SLEEP)
        .run(["check", "."]).code(1).stderr("").stdout(finding("src/new.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write", "."]).code(0).kept("legacy/old.py").kept("vendored/lib/v.py")
        .now("src/new.py", SLEEP_FIXED);

    config_pyproject_extend_exclude_alone => Case::new()
        .file("pyproject.toml", pyproject("extend-exclude = [\"gen\"]\n"))
        .file("src/a.py", SLEEP).file("gen/g.py", SLEEP)
        .run(["check"]).code(1).stdout(finding("src/a.py", 4, 5) + &summary(1, 1));

    config_pyproject_per_file_ignores => Case::new()
        .file("pyproject.toml", pyproject("\n[tool.awaitify.per-file-ignores]\n\"tests/**\" = [\"AW101\"]\n"))
        .file("src/a.py", MIXED).file("tests/test_a.py", MIXED)
        .run(["check"]).code(1).stderr("")
        .stdout(mixed("src/a.py") + &aw103("tests/test_a.py", 6, 5) + &summary(3, 3))
        // Per-file ignores apply to files named on the command line too.
        .run(["check", "tests/test_a.py"]).code(1).stdout(aw103("tests/test_a.py", 6, 5) + &summary(1, 1))
        .run(["fix", "--write"]).code(0).stderr("Fixed 3 findings in 2 files.\n")
        .now("src/a.py", mixed_fixed()).now("tests/test_a.py", mixed_aw103_fixed());

    config_awaitify_toml_per_file_ignores => Case::new()
        .file("awaitify.toml", "[per-file-ignores]\n\"*_test.py\" = [\"time-sleep\", \"subprocess\"]\n\"scripts/*\" = [\"AW1\"]\n")
        .file("pkg/a.py", SLEEP).file("pkg/a_test.py", MIXED).file("scripts/run.py", MIXED)
        .run(["check"]).code(1).stderr("").stdout(finding("pkg/a.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write"]).code(0).kept("pkg/a_test.py").kept("scripts/run.py").now("pkg/a.py", SLEEP_FIXED);

    config_pyproject_unsafe_fixes_true => Case::new()
        .file("pyproject.toml", pyproject("unsafe-fixes = true\n")).file("u.py", UNSAFE)
        .run(["check", "u.py"]).code(1).stdout(finding("u.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write", "u.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n").now("u.py", UNSAFE_FIXED);

    config_awaitify_toml_unsafe_fixes_false => Case::new()
        .file("awaitify.toml", "unsafe-fixes = false\n").file("u.py", UNSAFE)
        .run(["check", "u.py"]).code(1)
        .stdout(format!("u.py:4:5: AW101 {MSG}\nFound 1 finding.\n(1 hidden fix can be enabled with the `--unsafe-fixes` option.)\n"))
        .run(["fix", "--write", "u.py"]).code(1).stdout("")
        .stderr(format!("No fixes applied.\n1 finding remains unfixed:\n  {UNSAFE_REASON}:\n    u.py:4:5: AW101 {MSG}\n1 unsafe fix withheld; rerun with `--unsafe-fixes` to apply them.\n"))
        .kept("u.py");

    precedence_no_unsafe_fixes_over_config_true => Case::new()
        .file("awaitify.toml", "unsafe-fixes = true\n").file("u.py", UNSAFE)
        .run(["fix", "--write", "--no-unsafe-fixes", "u.py"]).code(1).stdout("").kept("u.py")
        .stderr_has("1 unsafe fix withheld; rerun with `--unsafe-fixes` to apply them.\n");

    phase_2_alone_leaves_phase_1_findings => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--phase", "2", "a.py"]).code(0)
        .stderr("").stdout("All checks passed!\n");

    fix_stdin_json_is_an_error => Case::new()
        .run(["fix", "--output-format", "json", "-"]).stdin(SLEEP).code(2).stdout("")
        .stderr("error: `--output-format json` does not go with `-`: standard input's fixed source is the output\n");

    config_awaitify_toml_unsafe_fixes_true => Case::new()
        .file("awaitify.toml", "unsafe-fixes = true\n").file("u.py", UNSAFE)
        .run(["fix", "u.py"]).code(1).stderr("Would fix 1 finding in 1 file.\n").kept("u.py")
        .run(["fix", "--write", "u.py"]).code(0).now("u.py", UNSAFE_FIXED);

    config_pyproject_phase => Case::new()
        .file("pyproject.toml", pyproject("phase = [3]\n\n[tool.awaitify.blocking-calls]\n\"requests.get\" = \"httpx.AsyncClient.get\"\n"))
        .file("p.py", ALL_PHASES)
        .run(["check", "p.py"]).code(1).stderr("").stdout(aw301("p.py", 8, "requests.get") + "Found 1 finding.\n")
        .run(["fix", "--write", "p.py"]).code(1).kept("p.py");

    config_awaitify_toml_phase => Case::new()
        .file("awaitify.toml", "phase = [1]\n\n[blocking-calls]\n\"requests.get\" = \"httpx.AsyncClient.get\"\n")
        .file("p.py", ALL_PHASES)
        .run(["check", "p.py"]).code(1).stderr("")
        .stdout(finding("p.py", 6, 5) + &aw103("p.py", 7, 5) + &summary(2, 2))
        .run(["fix", "--write", "p.py"]).code(0).stderr("Fixed 2 findings in 1 file.\n").now("p.py", all_phases_phase_1_fixed());

    config_phase_several => Case::new()
        .file("awaitify.toml", "phase = [1, 3]\n\n[blocking-calls]\n\"requests.get\" = \"\"\n")
        .file("p.py", ALL_PHASES)
        .run(["check", "p.py"]).code(1)
        .stdout(finding("p.py", 6, 5) + &aw103("p.py", 7, 5) + &aw301("p.py", 8, "requests.get") + &summary(3, 2));

    config_pyproject_subprocess_strategy_thread => Case::new()
        .file("pyproject.toml", pyproject("subprocess-strategy = \"thread\"\n")).file("s.py", SUBPROCESS)
        .run(["check", "s.py"]).code(1).stderr("").stdout(aw103("s.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write", "s.py"]).code(0).now("s.py", SUBPROCESS_THREAD_FIXED);

    config_awaitify_toml_subprocess_strategy_thread => Case::new()
        .file("awaitify.toml", "subprocess-strategy = \"thread\"\n").file("s.py", SUBPROCESS)
        .run(["fix", "--write", "s.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n").now("s.py", SUBPROCESS_THREAD_FIXED);

    config_subprocess_strategy_native => Case::new()
        .file("awaitify.toml", "subprocess-strategy = \"native\"\n").file("s.py", SUBPROCESS)
        .run(["fix", "--write", "s.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .now("s.py", format!("import asyncio\n\nasync def f():\n{LS_NATIVE}"));

    cli_subprocess_strategy_overrides_the_configuration => Case::new()
        .file("awaitify.toml", "subprocess-strategy = \"native\"\n").file("s.py", SUBPROCESS)
        .run(["fix", "--subprocess-strategy", "thread", "s.py"]).code(1).stdout_has("+    await asyncio.to_thread(subprocess.run, [\"ls\"])\n").kept("s.py")
        .run(["check", "--subprocess-strategy", "thread", "s.py"]).code(1).stdout(aw103("s.py", 4, 5) + &summary(1, 1))
        .run(["report", "--subprocess-strategy", "thread", "s.py"]).code(1)
        .run(["fix", "--write", "--subprocess-strategy", "thread", "s.py"]).code(0).now("s.py", SUBPROCESS_THREAD_FIXED);

    cli_subprocess_strategy_native_overrides_thread_config => Case::new()
        .file("awaitify.toml", "subprocess-strategy = \"thread\"\n").file("s.py", SUBPROCESS)
        .run(["fix", "--subprocess-strategy", "native", "s.py"]).code(1).stdout_has("+    proc = await asyncio.create_subprocess_exec(\"ls\")\n").kept("s.py");

    bad_cli_subprocess_strategy => Case::new()
        .file("s.py", SUBPROCESS)
        .run(["fix", "--subprocess-strategy", "process", "s.py"]).code(2).stdout("").stderr_has("error: invalid value 'process' for '--subprocess-strategy <STRATEGY>'").kept("s.py");

    config_pyproject_blocking_calls => Case::new()
        .file("pyproject.toml", pyproject_blocking_calls()).file("d.py", DECLARED)
        // Reported in async code only (line 9 is in a sync function), with no fix.
        .run(["check", "d.py"]).code(1).stderr("")
        .stdout(aw301("d.py", 5, "requests.get") + &aw301("d.py", 6, "mylib.storage.load") + "Found 2 findings.\n")
        .run(["check", "--output-format", "json", "d.py"]).code(1)
        .check(|o| {
            let v = json_stdout(o)?;
            let all = v.as_array().ok_or("not an array")?;
            expect_eq("number of findings", all.len(), 2)?;
            for f in all {
                expect_eq("code", &f["code"], &Value::from("AW301"))?;
                expect_eq("recipe", &f["recipe"], &Value::from("declared-blocking-call"))?;
                expect_eq("phase", &f["phase"], &Value::from(3))?;
                expect_eq("fix", &f["fix"], &Value::Null)?;
                expect_eq("ruff_equivalent", &f["ruff_equivalent"], &Value::from("ASYNC200"))?;
            }
            // The replacement is named (a replacement given), or not (`""`).
            let with = all[0]["note"].as_str().ok_or("no note")?;
            if !with.contains("`httpx.AsyncClient.get`") {
                return Err(format!("the note does not name the replacement: {with}"));
            }
            let without = all[1]["note"].as_str().ok_or("no note")?;
            if !without.contains("declared blocking in the configuration") || without.contains("use `") {
                return Err(format!("note for an empty replacement: {without}"));
            }
            expect_eq("end column", &all[1]["end_location"]["column"], &Value::from(25))
        })
        .run(["fix", "--write", "d.py"]).code(1).stdout("")
        .stderr_has("No fixes applied.\n2 findings remain unfixed, for 2 reasons:\n")
        .stderr_has("`httpx.AsyncClient.get`")
        .kept("d.py");

    config_awaitify_toml_blocking_calls => Case::new()
        .file("awaitify.toml", format!("[blocking-calls]\n{BLOCKING_CALLS}"))
        // Names are resolved, not matched as text: an alias, a from-import, and a shadowing
        // parameter.
        .file("d.py", "import requests as r\nfrom mylib.storage import load\n\nasync def f(u):\n    r.get(u)\n    load()\n\nasync def g(requests):\n    requests.get(1)\n")
        .run(["check", "d.py"]).code(1).stderr("")
        .stdout(aw301("d.py", 5, "requests.get") + &aw301("d.py", 6, "mylib.storage.load") + "Found 2 findings.\n");

    config_blocking_calls_empty_table_reports_nothing => Case::new()
        .file("awaitify.toml", "[blocking-calls]\n").file("d.py", DECLARED)
        .run(["check", "d.py"]).code(0).stdout("All checks passed!\n");

    config_blocking_calls_need_select => Case::new()
        .file("awaitify.toml", format!("ignore = [\"AW301\"]\n\n[blocking-calls]\n{BLOCKING_CALLS}")).file("d.py", DECLARED)
        .run(["check", "d.py"]).code(0).stdout("All checks passed!\n");

    // ==== configuration: discovery ==============================================================

    config_discovered_from_a_nested_working_directory => Case::new()
        .file("pyproject.toml", pyproject("ignore = [\"AW101\"]\n")).file("pkg/sub/m.py", MIXED)
        .run(["check", "pkg/sub/m.py"]).code(1).stdout(aw103("pkg/sub/m.py", 6, 5) + &summary(1, 1))
        .check(|o| {
            expect_from(o, "pkg/sub", &["check", "m.py"], 1, &(aw103("m.py", 6, 5) + &summary(1, 1)))?;
            expect_from(o, "pkg/sub", &["check"], 1, &(aw103("m.py", 6, 5) + &summary(1, 1)))?;
            expect_from(o, "pkg", &["check", "sub"], 1, &(aw103("sub/m.py", 6, 5) + &summary(1, 1)))?;
            expect_from(o, "pkg/sub", &["check", "--isolated", "m.py"], 1, &(mixed("m.py") + &summary(2, 2)))
        });

    config_nested_fix_write_uses_the_discovered_file => Case::new()
        .file("awaitify.toml", "select = [\"AW103\"]\n").file("pkg/sub/m.py", MIXED)
        .run(["check", "pkg/sub/m.py"]).code(1)
        .check(|o| {
            let run = run_from(o, "pkg/sub", &["fix", "--write", "m.py"])?;
            expect_eq("exit code", run.code, Some(0))?;
            expect_eq("stderr", run.stderr.as_str(), "Fixed 1 finding in 1 file.\n")?;
            expect_eq("m.py", String::from_utf8_lossy(&o.read("pkg/sub/m.py")).into_owned(), mixed_aw103_fixed())
        });

    config_the_nearest_file_wins => Case::new()
        .file("awaitify.toml", "ignore = [\"AW101\"]\n")
        .file("pkg/pyproject.toml", pyproject("ignore = [\"AW103\"]\n"))
        .file("pkg/sub/m.py", MIXED)
        // From the root, the root's file; from pkg or below, pkg's (the files are not merged).
        .run(["check", "pkg/sub/m.py"]).code(1).stdout(aw103("pkg/sub/m.py", 6, 5) + &summary(1, 1))
        .check(|o| {
            expect_from(o, "pkg", &["check", "sub/m.py"], 1, &(finding("sub/m.py", 5, 5) + &summary(1, 1)))?;
            expect_from(o, "pkg/sub", &["check", "m.py"], 1, &(finding("m.py", 5, 5) + &summary(1, 1)))
        });

    config_pyproject_without_the_table_is_skipped => Case::new()
        .file("pyproject.toml", pyproject("ignore = [\"AW101\"]\n"))
        .file("pkg/pyproject.toml", "[project]\nname = \"pkg\"\n\n[tool.black]\nline-length = 100\n")
        .file("pkg/sub/m.py", MIXED)
        .run(["check", "pkg/sub/m.py"]).code(1).stdout(aw103("pkg/sub/m.py", 6, 5) + &summary(1, 1))
        .check(|o| expect_from(o, "pkg/sub", &["check", "m.py"], 1, &(aw103("m.py", 6, 5) + &summary(1, 1))));

    config_awaitify_toml_wins_over_pyproject_in_the_same_folder => Case::new()
        .file("awaitify.toml", "ignore = [\"AW101\"]\n")
        .file("pyproject.toml", pyproject("ignore = [\"AW103\"]\n"))
        .file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stdout(aw103("m.py", 6, 5) + &summary(1, 1));

    config_no_file_anywhere_is_the_defaults => Case::new()
        .file("pkg/pyproject.toml", "[project]\nname = \"pkg\"\n").file("pkg/m.py", MIXED)
        .run(["check", "pkg/m.py"]).code(1).stdout(mixed("pkg/m.py") + &summary(2, 2))
        .check(|o| expect_from(o, "pkg", &["check", "m.py"], 1, &(mixed("m.py") + &summary(2, 2))));

    config_per_file_ignores_are_relative_to_the_config_folder => Case::new()
        .file("pyproject.toml", pyproject("\n[tool.awaitify.per-file-ignores]\n\"pkg/tests/**\" = [\"AW101\"]\n"))
        .file("pkg/tests/t.py", MIXED).file("pkg/core.py", SLEEP)
        .run(["check"]).code(1).stdout(finding("pkg/core.py", 4, 5) + &aw103("pkg/tests/t.py", 6, 5) + &summary(2, 2))
        .check(|o| {
            expect_from(o, "pkg", &["check"], 1, &(finding("core.py", 4, 5) + &aw103("tests/t.py", 6, 5) + &summary(2, 2)))?;
            expect_from(o, "pkg/tests", &["check", "t.py"], 1, &(aw103("t.py", 6, 5) + &summary(1, 1)))
        });

    // The configuration's `exclude` globs are matched against the paths as given on the command
    // line, not relative to the configuration file's folder (as `per-file-ignores` are): run
    // from `pkg/`, `exclude = ["pkg/legacy"]` no longer excludes anything.
    config_exclude_is_relative_to_the_config_folder => Case::new()
        .file("pyproject.toml", pyproject("exclude = [\"pkg/legacy\"]\nextend-exclude = [\"pkg/gen/*.py\"]\n"))
        .file("pkg/legacy/old.py", SLEEP).file("pkg/gen/g.py", SLEEP).file("pkg/core/new.py", SLEEP)
        .run(["check"]).code(1).stdout(finding("pkg/core/new.py", 4, 5) + &summary(1, 1))
        .check(|o| {
            expect_from(o, "pkg", &["check"], 1, &(finding("core/new.py", 4, 5) + &summary(1, 1)))?;
            expect_from(o, "pkg/core", &["check", ".."], 1, &(finding("../core/new.py", 4, 5) + &summary(1, 1)))
        });

    // ==== configuration: precedence of the command line =========================================

    cli_select_overrides_config_select => Case::new()
        .file("pyproject.toml", pyproject("select = [\"AW103\"]\n")).file("m.py", MIXED)
        .run(["check", "--select", "AW101", "m.py"]).code(1).stdout(finding("m.py", 5, 5) + &summary(1, 1))
        .run(["check", "--select", "ALL", "m.py"]).code(1).stdout(mixed("m.py") + &summary(2, 2))
        .run(["fix", "--write", "--select", "time-sleep", "m.py"]).code(0)
        .now("m.py", "import asyncio\nimport subprocess\n\nasync def f():\n    await asyncio.sleep(1)\n    subprocess.run([\"ls\"])\n");

    // `--select` replaces the configuration's `select`, not its `ignore` (the README: only
    // `--ignore` and `--exclude` add to the file's).
    config_ignore_still_applies_with_cli_select => Case::new()
        .file("awaitify.toml", "ignore = [\"AW101\"]\n").file("m.py", MIXED)
        .run(["check", "--select", "AW1", "m.py"]).code(1).stdout(aw103("m.py", 6, 5) + &summary(1, 1));

    cli_ignore_adds_to_config_ignore => Case::new()
        .file("pyproject.toml", pyproject("ignore = [\"AW103\"]\n")).file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stdout(finding("m.py", 5, 5) + &summary(1, 1))
        .run(["check", "--ignore", "AW101", "m.py"]).code(0).stdout("All checks passed!\n")
        .run(["fix", "--write", "--ignore", "time-sleep", "m.py"]).code(0).stderr("No fixes applied.\n").kept("m.py");

    cli_ignore_adds_to_config_select => Case::new()
        .file("awaitify.toml", "select = [\"AW1\"]\n").file("m.py", MIXED)
        .run(["check", "--ignore", "AW103", "m.py"]).code(1).stdout(finding("m.py", 5, 5) + &summary(1, 1));

    cli_exclude_adds_to_config_exclude => Case::new()
        .file("pyproject.toml", pyproject("exclude = [\"legacy\"]\n"))
        .file("src/a.py", SLEEP).file("legacy/old.py", SLEEP).file("gen/g.py", SLEEP)
        .run(["check"]).code(1).stdout(finding("gen/g.py", 4, 5) + &finding("src/a.py", 4, 5) + &summary(2, 2))
        .run(["check", "--exclude", "gen"]).code(1).stdout(finding("src/a.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write", "--exclude", "gen"]).code(0).kept("legacy/old.py").kept("gen/g.py").now("src/a.py", SLEEP_FIXED);

    cli_unsafe_fixes_on_top_of_config_false => Case::new()
        .file("pyproject.toml", pyproject("unsafe-fixes = false\n")).file("u.py", UNSAFE)
        .run(["check", "u.py"]).code(1).stdout_has("(1 hidden fix can be enabled with the `--unsafe-fixes` option.)\n")
        .run(["check", "--unsafe-fixes", "u.py"]).code(1).stdout(finding("u.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write", "u.py"]).code(1).kept("u.py")
        .run(["fix", "--write", "--unsafe-fixes", "u.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n").now("u.py", UNSAFE_FIXED);

    cli_phase_overrides_config_phase => Case::new()
        .file("awaitify.toml", "phase = [3]\n\n[blocking-calls]\n\"requests.get\" = \"\"\n").file("p.py", ALL_PHASES)
        .run(["check", "p.py"]).code(1).stdout(aw301("p.py", 8, "requests.get") + "Found 1 finding.\n")
        .run(["check", "--phase", "1", "p.py"]).code(1).stdout(finding("p.py", 6, 5) + &aw103("p.py", 7, 5) + &summary(2, 2));

    // ==== configuration: --config and --isolated =================================================

    config_flag_names_an_awaitify_toml_anywhere => Case::new()
        .file("pyproject.toml", pyproject("ignore = [\"AW103\"]\n"))
        .file("ci/strict.toml", "ignore = [\"AW101\"]\n")
        .file("m.py", MIXED)
        .run(["check", "m.py"]).code(1).stdout(finding("m.py", 5, 5) + &summary(1, 1))
        // The named file replaces the discovered one; they are not merged.
        .run(["check", "--config", "ci/strict.toml", "m.py"]).code(1).stdout(aw103("m.py", 6, 5) + &summary(1, 1))
        .run(["fix", "--write", "--config", "ci/strict.toml", "m.py"]).code(0).now("m.py", mixed_aw103_fixed());

    config_flag_names_a_pyproject => Case::new()
        .file("other/pyproject.toml", pyproject("select = [\"AW103\"]\n")).file("m.py", MIXED)
        .run(["check", "--config", "other/pyproject.toml", "m.py"]).code(1).stdout(aw103("m.py", 6, 5) + &summary(1, 1));

    config_flag_from_a_nested_directory => Case::new()
        .file("awaitify.toml", "select = [\"AW103\"]\n").file("pkg/m.py", MIXED)
        .run(["check", "--config", "awaitify.toml", "pkg/m.py"]).code(1)
        .check(|o| expect_from(o, "pkg", &["check", "--config", "../awaitify.toml", "m.py"], 1, &(aw103("m.py", 6, 5) + &summary(1, 1))));

    isolated_ignores_every_configuration_file => Case::new()
        .file("pyproject.toml", pyproject("select = [\"AW103\"]\n")).file("awaitify.toml", "ignore = [\"ALL\"]\n")
        .file("m.py", MIXED)
        // `ignore = ["ALL"]` leaves no recipe: an error, not a green run that checked nothing.
        .run(["check", "m.py"]).code(2).stdout("").stderr_has("error: no recipe is selected")
        .run(["check", "--isolated", "m.py"]).code(1).stdout(mixed("m.py") + &summary(2, 2))
        .run(["fix", "--write", "--isolated", "m.py"]).code(0).now("m.py", mixed_fixed());

    isolated_ignores_a_broken_configuration_file => Case::new()
        .file("pyproject.toml", "[tool.awaitify]\nselekt = [\n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .run(["check", "--isolated", "a.py"]).code(1).stderr("").stdout(finding("a.py", 4, 5) + &summary(1, 1));

    config_and_isolated_conflict => Case::new()
        .file("awaitify.toml", "").file("a.py", SLEEP)
        .run(["check", "--config", "awaitify.toml", "--isolated", "a.py"]).code(2).stdout("")
        .stderr_has("error: the argument '--config <PATH>' cannot be used with '--isolated'");

    config_flag_missing_file => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--config", "nope.toml", "a.py"]).code(2).stdout("")
        .stderr_has("error: cannot read nope.toml")
        .run(["fix", "--write", "--config", "nope.toml", "a.py"]).code(2).kept("a.py");

    // ==== configuration: bad files (exit 2, naming the file and the key, nothing written) ======

    bad_config_unknown_key_pyproject => Case::new()
        .file("pyproject.toml", pyproject("selekt = [\"AW1\"]\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("pyproject.toml: [tool.awaitify]: `selekt`: unknown field `selekt`, expected one of `select`, `ignore`, `exclude`, `extend-exclude`, `per-file-ignores`, `unsafe-fixes`, `phase`, `subprocess-strategy`, `blocking-calls`\n")
        .run(["fix", "--write", "a.py"]).code(2).stdout("").stderr_has("unknown field `selekt`").kept("a.py")
        .run(["report", "a.py"]).code(2).stdout("").stderr_has("unknown field `selekt`");

    bad_config_unknown_key_awaitify_toml => Case::new()
        .file("awaitify.toml", "[tool.awaitify]\nselect = [\"AW1\"]\n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("awaitify.toml: ").stderr_has("unknown field `tool`");

    bad_config_unknown_key_with_the_config_flag => Case::new()
        .file("cfg/custom.toml", "unsafe_fixes = true\n").file("a.py", SLEEP)
        .run(["check", "--config", "cfg/custom.toml", "a.py"]).code(2).stdout("")
        .stderr_has("error: cfg/custom.toml: ").stderr_has("unknown field `unsafe_fixes`");

    bad_config_wrong_type_pyproject => Case::new()
        .file("pyproject.toml", pyproject("select = \"AW1\"\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("pyproject.toml: [tool.awaitify]: `select`: invalid type: string \"AW1\", expected a sequence")
        .run(["fix", "--write", "a.py"]).code(2).kept("a.py")
        .check(|o| {
            config_error(o, "pyproject.toml", &pyproject("phase = 1\n"), &["pyproject.toml: ", "invalid type: integer `1`, expected a sequence"])?;
            config_error(o, "pyproject.toml", &pyproject("exclude = \"x\"\n"), &["pyproject.toml: ", "expected a sequence"])?;
            config_error(o, "pyproject.toml", &pyproject("blocking-calls = [\"requests.get\"]\n"), &["pyproject.toml: ", "expected a map"])?;
            config_error(o, "pyproject.toml", &pyproject("\n[tool.awaitify.blocking-calls]\n\"requests.get\" = 1\n"), &["pyproject.toml: ", "expected a string"])
        });

    bad_config_wrong_type_awaitify_toml => Case::new()
        .file("awaitify.toml", "unsafe-fixes = \"yes\"\n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("").stderr_has("awaitify.toml: ").stderr_has("expected a boolean")
        .run(["fix", "--write", "a.py"]).code(2).kept("a.py");

    // The README: "Unknown keys and bad values are errors (exit 2) naming the file and the key".
    // A value of the wrong type gives serde's message without the key (`invalid type: string
    // "AW1", expected a sequence`), and so does a phase out of u8's range (`expected u8`).
    bad_config_wrong_type_names_the_key => Case::new()
        .file("pyproject.toml", pyproject("select = \"AW1\"\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stderr_has("pyproject.toml").stderr_has("select")
        .check(|o| {
            config_error(o, "pyproject.toml", &pyproject("unsafe-fixes = \"yes\"\n"), &["unsafe-fixes"])?;
            config_error(o, "pyproject.toml", &pyproject("phase = [300]\n"), &["`phase`"])?;
            config_error(o, "pyproject.toml", &pyproject("\n[tool.awaitify.per-file-ignores]\n\"tests/**\" = \"AW101\"\n"), &["per-file-ignores"])
        });

    bad_config_phase_4 => Case::new()
        .file("pyproject.toml", pyproject("phase = [1, 4]\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("pyproject.toml: [tool.awaitify]: `phase` must list phases 1 to 3, found 4\n")
        .run(["fix", "--write", "a.py"]).code(2).kept("a.py");

    bad_config_phase_awaitify_toml => Case::new()
        .file("awaitify.toml", "phase = [0]\n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("awaitify.toml: `phase` must list phases 1 to 3, found 0\n");

    bad_cli_phase_4 => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--phase", "4", "a.py"]).code(2).stdout("").stderr_has("error: invalid value '4' for '--phase");

    bad_config_subprocess_strategy => Case::new()
        .file("pyproject.toml", pyproject("subprocess-strategy = \"process\"\n")).file("s.py", SUBPROCESS)
        .run(["check", "s.py"]).code(2).stdout("")
        .stderr_has("pyproject.toml: [tool.awaitify]: `subprocess-strategy` must be \"native\" or \"thread\", found \"process\"\n")
        .run(["fix", "--write", "s.py"]).code(2).kept("s.py");

    bad_config_subprocess_strategy_awaitify_toml => Case::new()
        .file("awaitify.toml", "subprocess-strategy = \"Thread\"\n").file("s.py", SUBPROCESS)
        .run(["check", "s.py"]).code(2).stdout("")
        .stderr_has("awaitify.toml: `subprocess-strategy` must be \"native\" or \"thread\", found \"Thread\"\n");

    bad_config_blocking_calls_name => Case::new()
        .file("pyproject.toml", pyproject("\n[tool.awaitify.blocking-calls]\n\"requests..get\" = \"\"\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("pyproject.toml: [tool.awaitify]: `blocking-calls`: `requests..get` is not a dotted name like `requests.get`\n")
        .run(["fix", "--write", "a.py"]).code(2).kept("a.py")
        .check(|o| {
            config_error(o, "pyproject.toml", &pyproject("\n[tool.awaitify.blocking-calls]\n\"requests.get()\" = \"\"\n"), &["`blocking-calls`: `requests.get()` is not a dotted name"])?;
            config_error(o, "pyproject.toml", &pyproject("\n[tool.awaitify.blocking-calls]\n\".get\" = \"\"\n"), &["`blocking-calls`: `.get` is not a dotted name"])?;
            config_error(o, "pyproject.toml", &pyproject("\n[tool.awaitify.blocking-calls]\n\"\" = \"x\"\n"), &["`blocking-calls`: `` is not a dotted name"])
        });

    bad_config_blocking_calls_name_awaitify_toml => Case::new()
        .file("awaitify.toml", "[blocking-calls]\n\"my lib.load\" = \"\"\n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("awaitify.toml: `blocking-calls`: `my lib.load` is not a dotted name like `requests.get`\n");

    bad_config_toml_syntax_error => Case::new()
        .file("pyproject.toml", "[tool.awaitify]\nselect = [\"AW1\"\n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("pyproject.toml:3:1: invalid TOML: ").stderr_has("expected `]`")
        .run(["fix", "--write", "a.py"]).code(2).kept("a.py");

    bad_config_toml_syntax_error_awaitify_toml => Case::new()
        .file("awaitify.toml", "select = AW1\n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("").stderr_has("awaitify.toml:1:10: invalid TOML: ");

    // A broken pyproject.toml in a folder on the way up is an error too, even without a
    // [tool.awaitify] table (it cannot be told whether it has one).
    bad_config_broken_pyproject_without_the_table => Case::new()
        .file("pyproject.toml", "[project]\nname = \n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("").stderr_has("pyproject.toml:2:8: invalid TOML: ");

    bad_config_flag_to_a_pyproject_without_the_table => Case::new()
        .file("cfg/pyproject.toml", "[project]\nname = \"x\"\n").file("a.py", SLEEP)
        .run(["check", "--config", "cfg/pyproject.toml", "a.py"]).code(2).stdout("")
        .stderr("error: cfg/pyproject.toml: no [tool.awaitify] table\n")
        .run(["fix", "--write", "--config", "cfg/pyproject.toml", "a.py"]).code(2).kept("a.py");

    bad_config_unknown_selectors => Case::new()
        .file("pyproject.toml", pyproject("select = [\"AW9\"]\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("error: unknown selector `AW9` for `select` in ").stderr_has("pyproject.toml: expected a code (AW101)")
        .run(["fix", "--write", "a.py"]).code(2).kept("a.py")
        .check(|o| {
            config_error(o, "pyproject.toml", &pyproject("ignore = [\"nope\"]\n"), &["error: unknown selector `nope` for `ignore` in "])?;
            config_error(o, "pyproject.toml", &pyproject("\n[tool.awaitify.per-file-ignores]\n\"tests/**\" = [\"sleep\"]\n"), &["error: unknown selector `sleep` for `per-file-ignores` in "])
        });

    // The file's selectors are checked even when the command line overrides them.
    bad_config_selector_with_cli_select => Case::new()
        .file("awaitify.toml", "ignore = [\"AW9\"]\n").file("a.py", SLEEP)
        .run(["check", "--select", "AW101", "a.py"]).code(2).stdout("")
        .stderr_has("unknown selector `AW9` for `ignore` in ").stderr_has("/awaitify.toml: expected a code");

    bad_config_per_file_ignores_glob => Case::new()
        .file("pyproject.toml", pyproject("\n[tool.awaitify.per-file-ignores]\n\"[\" = [\"AW101\"]\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("pyproject.toml: `per-file-ignores`: invalid glob `[`");

    bad_config_exclude_glob_exits_2 => Case::new()
        .file("pyproject.toml", pyproject("exclude = [\"[\"]\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("").stderr_has("`[`")
        .run(["fix", "--write", "a.py"]).code(2).kept("a.py");

    // A bad glob in the file's `exclude` (or `extend-exclude`) is reported as
    // "invalid --exclude glob `[`": neither the file nor the key is named.
    bad_config_exclude_glob_names_the_file_and_key => Case::new()
        .file("pyproject.toml", pyproject("extend-exclude = [\"[\"]\n")).file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stderr_has("pyproject.toml").stderr_has("`extend-exclude`")
        .stderr_lacks("--exclude");

    // ==== suppression comments ==================================================================

    suppress_awaitify_ignore_codes => Case::new()
        .file("s.py", "import subprocess\nimport time\n\nasync def f():\n    time.sleep(1)  # awaitify: ignore[AW101]\n    time.sleep(2)  # awaitify: ignore[AW103]\n    subprocess.run([\"ls\"])  # awaitify: ignore[AW101, aw103]\n    time.sleep(3)  # awaitify: ignore[time-sleep]\n")
        // `ignore[AW103]` does not silence AW101; a recipe id silences its recipe, as in `--select`.
        .run(["check", "s.py"]).code(1).stderr("")
        .stdout(finding("s.py", 6, 5) + &summary(1, 1))
        .run(["fix", "--write", "s.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .now("s.py", "import asyncio\nimport subprocess\nimport time\n\nasync def f():\n    time.sleep(1)  # awaitify: ignore[AW101]\n    await asyncio.sleep(2)  # awaitify: ignore[AW103]\n    subprocess.run([\"ls\"])  # awaitify: ignore[AW101, aw103]\n    time.sleep(3)  # awaitify: ignore[time-sleep]\n");

    suppress_awaitify_ignore_every_code => Case::new()
        .file("s.py", "import subprocess\nimport time\n\nasync def f():\n    time.sleep(1)  # awaitify: ignore\n    subprocess.run([\"ls\"])  # awaitify: ignore\n")
        .run(["check", "s.py"]).code(0).stdout("All checks passed!\n").stderr("")
        .run(["fix", "--write", "s.py"]).code(0).stderr("No fixes applied.\n").kept("s.py");

    suppress_noqa_ruff_codes => Case::new()
        .file("s.py", "import subprocess\nimport time\n\nasync def f():\n    time.sleep(1)  # noqa: ASYNC251\n    subprocess.run([\"ls\"])  # noqa: ASYNC221\n    time.sleep(2)  # noqa: ASYNC221\n    time.sleep(3)  # NOQA:ASYNC251\n")
        // ASYNC221 is the subprocess recipe's code, not time-sleep's.
        .run(["check", "s.py"]).code(1).stderr("").stdout(finding("s.py", 7, 5) + &summary(1, 1))
        .run(["fix", "--write", "s.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .now("s.py", "import asyncio\nimport subprocess\nimport time\n\nasync def f():\n    time.sleep(1)  # noqa: ASYNC251\n    subprocess.run([\"ls\"])  # noqa: ASYNC221\n    await asyncio.sleep(2)  # noqa: ASYNC221\n    time.sleep(3)  # NOQA:ASYNC251\n");

    suppress_noqa_own_code => Case::new()
        .file("s.py", "import subprocess\nimport time\n\nasync def f():\n    time.sleep(1)  # noqa: AW101\n    subprocess.run([\"ls\"])  # noqa: AW103\n")
        .run(["check", "s.py"]).code(0).stdout("All checks passed!\n");

    suppress_bare_noqa => Case::new()
        .file("s.py", "import subprocess\nimport time\n\nasync def f():\n    time.sleep(1)  # noqa\n    subprocess.run([\"ls\"])  # NOQA\n")
        .run(["check", "s.py"]).code(0).stdout("All checks passed!\n").stderr("")
        .run(["fix", "--write", "s.py"]).code(0).kept("s.py");

    suppress_noqa_other_code_does_not_suppress => Case::new()
        .file("s.py", "import time\n\nasync def f():\n    time.sleep(1)  # noqa: E501\n    time.sleep(2)  # noqa: E501, ASYNC251\n    time.sleep(3)  # type: ignore  # noqa: F401,ASYNC251\n")
        .run(["check", "s.py"]).code(1).stderr("").stdout(finding("s.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write", "s.py"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .now("s.py", "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)  # noqa: E501\n    time.sleep(2)  # noqa: E501, ASYNC251\n    time.sleep(3)  # type: ignore  # noqa: F401,ASYNC251\n");

    suppress_comment_on_another_line_does_not_suppress => Case::new()
        .file("s.py", "import time\n\nasync def f():\n    # noqa: ASYNC251\n    time.sleep(1)\n    # awaitify: ignore\n")
        .run(["check", "s.py"]).code(1).stdout(finding("s.py", 5, 5) + &summary(1, 1));

    suppress_noqa_in_a_string_does_not_suppress => Case::new()
        .file("s.py", "import time\n\nasync def f():\n    time.sleep(1); x = \"# noqa\"\n")
        .run(["check", "s.py"]).code(1).stdout(finding("s.py", 4, 5) + &summary(1, 1));

    suppress_skip_file => Case::new()
        .file("skip.py", "# awaitify: skip-file\nimport subprocess\nimport time\n\nasync def f():\n    time.sleep(1)\n    subprocess.run([\"ls\"])\n")
        .file("indented.py", "import time\n\nasync def f():\n    # awaitify: skip-file\n    time.sleep(1)\n")
        .file("a.py", SLEEP)
        .run(["check", "skip.py", "indented.py"]).code(0).stdout("All checks passed!\n").stderr("")
        .run(["check"]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write"]).code(0).stderr("Fixed 1 finding in 1 file.\n")
        .kept("skip.py").kept("indented.py").now("a.py", SLEEP_FIXED)
        .run(["report", "--format", "json", "skip.py"]).code(0)
        .check(|o| expect_eq("total", &json_stdout(o)?["total_in_async_code"], &Value::from(0)));

    suppress_skip_file_in_a_string_does_not_skip => Case::new()
        .file("s.py", "import time\n\nDOC = \"\"\"\n# awaitify: skip-file\n\"\"\"\n\nasync def f():\n    time.sleep(1)\n")
        .run(["check", "s.py"]).code(1).stdout(finding("s.py", 8, 5) + &summary(1, 1));

    suppress_skip_file_with_stdin => Case::new()
        .run(["check", "-"]).stdin(format!("# awaitify: skip-file\n{SLEEP}")).code(0).stdout("All checks passed!\n")
        .run(["fix", "-"]).stdin(format!("# awaitify: skip-file\n{SLEEP}")).code(0).stdout(format!("# awaitify: skip-file\n{SLEEP}"));

    // ==== output formats ========================================================================

    check_json_fields_of_every_recipe => Case::new()
        .file("awaitify.toml", format!("[blocking-calls]\n{BLOCKING_CALLS}"))
        .file("p.py", ALL_PHASES).file("u.py", UNSAFE)
        .run(["check", "--output-format", "json", "p.py", "u.py"]).code(1).stderr("")
        .check(|o| {
            let v = json_stdout(o)?;
            let all = v.as_array().ok_or("not an array")?;
            expect_eq("number of findings", all.len(), 4)?;
            for (i, f) in all.iter().enumerate() {
                expect_keys(f, &format!("finding {i}"), JSON_FINDING_KEYS)?;
                expect_keys(&f["location"], "location", &["row", "column"])?;
                expect_keys(&f["end_location"], "end_location", &["row", "column"])?;
            }
            let codes: Vec<&str> = all.iter().filter_map(|f| f["code"].as_str()).collect();
            expect_eq("codes in order", codes, vec!["AW101", "AW103", "AW301", "AW101"])?;
            let sub = &all[1];
            expect_eq("AW103 recipe", &sub["recipe"], &Value::from("subprocess"))?;
            expect_eq("AW103 phase", &sub["phase"], &Value::from(1))?;
            expect_eq("AW103 message", &sub["message"], &Value::from(MSG_SUBPROCESS))?;
            expect_eq("AW103 filename", &sub["filename"], &Value::from("p.py"))?;
            expect_eq("AW103 location", (&sub["location"]["row"], &sub["location"]["column"]), (&Value::from(7), &Value::from(5)))?;
            expect_eq("AW103 end_location", (&sub["end_location"]["row"], &sub["end_location"]["column"]), (&Value::from(7), &Value::from(27)))?;
            expect_eq("AW103 ruff", &sub["ruff_equivalent"], &Value::from("ASYNC221"))?;
            expect_eq("AW103 applicability", &sub["fix"]["applicability"], &Value::from("safe"))?;
            let edits = sub["fix"]["edits"].as_array().ok_or("AW103 edits")?;
            for edit in edits {
                expect_keys(edit, "edit", &["content", "location", "end_location"])?;
            }
            if !edits.iter().any(|e| e["content"].as_str().is_some_and(|c| c.contains("create_subprocess_exec"))) {
                return Err(format!("no native edit in {edits:?}"));
            }
            let declared = &all[2];
            expect_eq("AW301 phase", &declared["phase"], &Value::from(3))?;
            expect_eq("AW301 fix", &declared["fix"], &Value::Null)?;
            expect_eq("AW301 ruff", &declared["ruff_equivalent"], &Value::from("ASYNC200"))?;
            let unsafe_ = &all[3];
            expect_eq("unsafe filename", &unsafe_["filename"], &Value::from("u.py"))?;
            expect_eq("unsafe applicability", &unsafe_["fix"]["applicability"], &Value::from("unsafe"))?;
            expect_eq("unsafe note", &unsafe_["note"], &Value::from("`time.sleep` raises `ValueError` for a negative delay and `OverflowError` for one above about 9.2e9 s; `asyncio.sleep` does neither"))?;
            expect_eq("safe note", &all[0]["note"], &Value::Null)
        });

    check_github_every_finding => Case::new()
        .file("awaitify.toml", format!("[blocking-calls]\n{BLOCKING_CALLS}"))
        .file("src/p.py", ALL_PHASES)
        .run(["check", "--output-format", "github", "src"]).code(1).stderr("")
        .stdout(format!(
            "::error title=awaitify (AW101),file=src/p.py,line=6,col=5,endLine=6,endColumn=18::src/p.py:6:5: AW101 {MSG}\n\
             ::error title=awaitify (AW103),file=src/p.py,line=7,col=5,endLine=7,endColumn=27::src/p.py:7:5: AW103 {MSG_SUBPROCESS}\n\
             ::error title=awaitify (AW301),file=src/p.py,line=8,col=5,endLine=8,endColumn=20::src/p.py:8:5: AW301 `requests.get` is declared blocking and runs on the event loop\n"))
        .run(["check", "--output-format", "github", "--exit-zero", "src"]).code(0);

    check_github_with_a_bad_file => Case::new()
        .file("a.py", SLEEP).file("syn.py", SYNTAX_ERROR)
        .run(["check", "--output-format", "github", "a.py", "syn.py"]).code(2)
        .stdout(format!("::error title=awaitify (AW101),file=a.py,line=4,col=5,endLine=4,endColumn=18::a.py:4:5: AW101 {MSG}\n"))
        .stderr(SYNTAX_LINE);

    check_sarif_shape => Case::new()
        .file("awaitify.toml", format!("[blocking-calls]\n{BLOCKING_CALLS}"))
        .file("src/p.py", ALL_PHASES).file("gen.py", GEN).file("ok.py", CLEAN)
        .run(["check", "--output-format", "sarif", "src", "gen.py", "ok.py"]).code(1).stderr("")
        .check(|o| {
            let log = json_stdout(o)?;
            let results = sarif_results(&log)?;
            let expected: Vec<(String, String, u64, u64, u64, u64)> = [
                ("AW101", "src/p.py", 6, 5, 6, 18),
                ("AW103", "src/p.py", 7, 5, 7, 27),
                ("AW301", "src/p.py", 8, 5, 8, 20),
                ("AW101", "gen.py", 4, 10, 4, 23),
            ]
            .iter()
            .map(|(r, u, a, b, c, d)| ((*r).to_owned(), (*u).to_owned(), *a, *b, *c, *d))
            .collect();
            expect_eq("results", results, expected)?;
            let text = &log["runs"][0]["results"][2]["message"]["text"];
            expect_eq("AW301 message", text, &Value::from("`requests.get` is declared blocking and runs on the event loop"))
        })
        .run(["check", "--output-format", "sarif", "--exit-zero", "src"]).code(0);

    check_sarif_no_findings => Case::new()
        .file("ok.py", CLEAN)
        .run(["check", "--output-format", "sarif", "ok.py"]).code(0).stderr("")
        .check(|o| expect_eq("results", sarif_results(&json_stdout(o)?)?.len(), 0));

    check_sarif_stays_valid_with_a_bad_file => Case::new()
        .file("a.py", SLEEP).file("syn.py", SYNTAX_ERROR)
        .run(["check", "--output-format", "sarif", "a.py", "syn.py"]).code(2).stderr(SYNTAX_LINE)
        .check(|o| {
            let results = sarif_results(&json_stdout(o)?)?;
            expect_eq("results", results, vec![("AW101".to_owned(), "a.py".to_owned(), 4, 5, 4, 18)])
        });

    check_sarif_stdin_filename => Case::new()
        .run(["check", "--output-format", "sarif", "--stdin-filename", "app/x.py", "-"]).stdin(SLEEP).code(1)
        .check(|o| {
            let results = sarif_results(&json_stdout(o)?)?;
            expect_eq("uri", results.first().map(|r| r.1.clone()), Some("app/x.py".to_owned()))
        });

    fix_json_dry_run => Case::new()
        .file("a.py", "import time\n\nasync def f(d):\n    time.sleep(1)\n    time.sleep(d)\n")
        .file("gen.py", GEN).file("ok.py", CLEAN)
        .run(["fix", "--output-format", "json", "a.py", "gen.py", "ok.py"]).code(1).stderr("")
        .kept("a.py").kept("gen.py").kept("ok.py")
        .check(|o| {
            let v = fix_json(o)?;
            expect_eq("written", &v["written"], &Value::from(false))?;
            expect_eq("files_changed", &v["files_changed"], &json_strings(&["a.py"]))?;
            expect_eq("fixes_applied", &v["fixes_applied"], &json_map(&[("AW101", 1)]))?;
            expect_eq("unsafe_fixes_withheld", &v["unsafe_fixes_withheld"], &json_map(&[("AW101", 1)]))?;
            expect_eq("errors", &v["errors"], &json_strings(&[]))?;
            let remaining = v["remaining"].as_array().unwrap();
            expect_eq("remaining", remaining.len(), 2)?;
            // Without --write the locations are those of the file as it is (unchanged).
            let r = &remaining[0];
            expect_eq("code", &r["code"], &Value::from("AW101"))?;
            expect_eq("filename", &r["filename"], &Value::from("a.py"))?;
            expect_eq("row", &r["location"]["row"], &Value::from(5))?;
            expect_eq("column", &r["location"]["column"], &Value::from(5))?;
            expect_eq("message", &r["message"], &Value::from(MSG))?;
            expect_eq("reason", &r["reason"], &Value::from(UNSAFE_REASON))?;
            expect_eq("gen filename", &remaining[1]["filename"], &Value::from("gen.py"))?;
            expect_eq("gen reason", &remaining[1]["reason"], &Value::from("no fix: `await` cannot be added here (a generator expression or a class body)"))
        });

    fix_json_write => Case::new()
        .file("a.py", "import time\n\nasync def f(d):\n    time.sleep(1)\n    time.sleep(d)\n")
        .file("b.py", MIXED).file("ok.py", CLEAN)
        .run(["fix", "--write", "--output-format", "json", "a.py", "b.py", "ok.py"]).code(1).stderr("")
        .now("a.py", "import asyncio\nimport time\n\nasync def f(d):\n    await asyncio.sleep(1)\n    time.sleep(d)\n")
        .now("b.py", mixed_fixed()).kept("ok.py")
        .check(|o| {
            let v = fix_json(o)?;
            expect_eq("written", &v["written"], &Value::from(true))?;
            expect_eq("files_changed", &v["files_changed"], &json_strings(&["a.py", "b.py"]))?;
            expect_eq("fixes_applied", &v["fixes_applied"], &json_map(&[("AW101", 2), ("AW103", 1)]))?;
            expect_eq("unsafe_fixes_withheld", &v["unsafe_fixes_withheld"], &json_map(&[("AW101", 1)]))?;
            let remaining = v["remaining"].as_array().unwrap();
            expect_eq("remaining", remaining.len(), 1)?;
            // With --write the locations are those of the written file (`import asyncio` added).
            expect_eq("row", &remaining[0]["location"]["row"], &Value::from(6))?;
            expect_eq("reason", &remaining[0]["reason"], &Value::from(UNSAFE_REASON))?;
            expect_eq("errors", &v["errors"], &json_strings(&[]))
        })
        // Everything fixed with --unsafe-fixes: exit 0, nothing remains, nothing withheld.
        .run(["fix", "--write", "--unsafe-fixes", "--output-format", "json", "a.py"]).code(0).stderr("")
        .check(|o| {
            let v = fix_json(o)?;
            expect_eq("files_changed", &v["files_changed"], &json_strings(&["a.py"]))?;
            expect_eq("fixes_applied", &v["fixes_applied"], &json_map(&[("AW101", 1)]))?;
            expect_eq("unsafe_fixes_withheld", &v["unsafe_fixes_withheld"], &json_map(&[]))?;
            expect_eq("remaining", &v["remaining"], &Value::from(Vec::<Value>::new()))
        });

    fix_json_nothing_to_do => Case::new()
        .file("ok.py", CLEAN)
        .run(["fix", "--output-format", "json", "ok.py"]).code(0).stderr("")
        .check(|o| {
            let v = fix_json(o)?;
            expect_eq("written", &v["written"], &Value::from(false))?;
            expect_eq("files_changed", &v["files_changed"], &json_strings(&[]))?;
            expect_eq("fixes_applied", &v["fixes_applied"], &json_map(&[]))
        })
        .run(["fix", "--write", "--output-format", "json", "ok.py"]).code(0).kept("ok.py")
        .check(|o| expect_eq("written", &fix_json(o)?["written"], &Value::from(true)));

    fix_json_errors => Case::new()
        .file("a.py", SLEEP).file("syn.py", SYNTAX_ERROR)
        .run(["fix", "--output-format", "json", "a.py", "syn.py", "missing.py"]).code(2)
        .stderr(format!("{SYNTAX_LINE}missing.py: error: no such file or directory\n"))
        .kept("a.py").kept("syn.py")
        .check(|o| {
            let v = fix_json(o)?;
            expect_eq("errors", &v["errors"], &json_strings(&[SYNTAX_LINE.trim_end(), "missing.py: error: no such file or directory"]))?;
            expect_eq("files_changed", &v["files_changed"], &json_strings(&["a.py"]))
        })
        .run(["fix", "--write", "--output-format", "json", "a.py", "syn.py"]).code(2)
        .now("a.py", SLEEP_FIXED).kept("syn.py")
        .check(|o| {
            let v = fix_json(o)?;
            expect_eq("written", &v["written"], &Value::from(true))?;
            expect_eq("errors", &v["errors"], &json_strings(&[SYNTAX_LINE.trim_end()]))
        });

    fix_exit_non_zero_on_fix => Case::new()
        .file("a.py", SLEEP).file("ok.py", CLEAN)
        // The dry run exits 1 on pending changes anyway.
        .run(["fix", "--exit-non-zero-on-fix", "a.py"]).code(1).kept("a.py")
        .run(["fix", "--write", "--exit-non-zero-on-fix", "a.py", "ok.py"]).code(1).stdout("")
        .stderr("Fixed 1 finding in 1 file.\n").now("a.py", SLEEP_FIXED)
        // Nothing left to change: exit 0.
        .run(["fix", "--write", "--exit-non-zero-on-fix", "a.py", "ok.py"]).code(0).stderr("No fixes applied.\n").kept("a.py");

    fix_exit_non_zero_on_fix_json => Case::new()
        .file("a.py", SLEEP)
        .run(["fix", "--write", "--exit-non-zero-on-fix", "--output-format", "json", "a.py"]).code(1).stderr("")
        .now("a.py", SLEEP_FIXED)
        .check(|o| expect_eq("fixes_applied", &fix_json(o)?["fixes_applied"], &json_map(&[("AW101", 1)])))
        .run(["fix", "--write", "--exit-non-zero-on-fix", "--output-format", "json", "a.py"]).code(0);

    fix_without_exit_non_zero_on_fix_exits_0 => Case::new()
        .file("a.py", SLEEP)
        .run(["fix", "--write", "a.py"]).code(0).now("a.py", SLEEP_FIXED);

    // `fix --write -` exits 0 after fixing standard input even with --exit-non-zero-on-fix
    // (`printf 'import time\nasync def f():\n    time.sleep(1)\n' | awaitify fix --write
    // --exit-non-zero-on-fix -; echo $?` prints the fixed source, then 0); the flag is ignored
    // for standard input, where ruff exits 1.
    fix_exit_non_zero_on_fix_stdin => Case::new()
        .run(["fix", "--write", "--exit-non-zero-on-fix", "-"]).stdin(SLEEP).code(1).stdout(SLEEP_FIXED)
        .run(["fix", "--exit-non-zero-on-fix", "-"]).stdin(SLEEP).code(1).stdout(SLEEP_FIXED);

    // ==== phases ================================================================================

    phase_1_check_and_fix => Case::new()
        .file("pyproject.toml", pyproject_blocking_calls()).file("p.py", ALL_PHASES)
        .run(["check", "p.py"]).code(1)
        .stdout(finding("p.py", 6, 5) + &aw103("p.py", 7, 5) + &aw301("p.py", 8, "requests.get") + &summary(3, 2))
        .run(["check", "--phase", "1", "p.py"]).code(1).stdout(finding("p.py", 6, 5) + &aw103("p.py", 7, 5) + &summary(2, 2))
        .run(["fix", "--phase", "1", "p.py"]).code(1).stdout_has("+    proc = await asyncio.create_subprocess_exec(\"ls\")\n")
        .stderr("Would fix 2 findings in 1 file.\n").kept("p.py")
        // Phase 1 fixed, its findings gone: exit 0 although a phase 3 finding remains.
        .run(["fix", "--phase", "1", "--write", "p.py"]).code(0).stderr("Fixed 2 findings in 1 file.\n")
        .now("p.py", all_phases_phase_1_fixed())
        .run(["check", "--phase", "1", "p.py"]).code(0).stdout("All checks passed!\n")
        // Line 8 stays line 8: two imports became one, the subprocess call two statements.
        .run(["check", "p.py"]).code(1).stdout(aw301("p.py", 8, "requests.get") + "Found 1 finding.\n");

    phase_3_check_and_fix => Case::new()
        .file("pyproject.toml", pyproject_blocking_calls()).file("p.py", ALL_PHASES)
        .run(["check", "--phase", "3", "p.py"]).code(1).stdout(aw301("p.py", 8, "requests.get") + "Found 1 finding.\n")
        .run(["fix", "--phase", "3", "p.py"]).code(0).stdout("").kept("p.py")
        .run(["fix", "--phase", "3", "--write", "p.py"]).code(1).stdout("")
        .stderr_has("No fixes applied.\n1 finding remains unfixed:\n  no fix: use `httpx.AsyncClient.get` (the configuration's replacement):\n    p.py:8:5: AW301 `requests.get` is declared blocking")
        .kept("p.py")
        .run(["check", "--phase", "3", "--output-format", "json", "p.py"]).code(1)
        .check(|o| expect_eq("phases", json_stdout(o)?.as_array().map(|a| a.iter().all(|f| f["phase"] == 3)), Some(true)));

    phase_list_and_select_together => Case::new()
        .file("pyproject.toml", pyproject_blocking_calls()).file("p.py", ALL_PHASES)
        .run(["check", "--phase", "1,3", "--select", "AW103,AW301", "p.py"]).code(1)
        .stdout(aw103("p.py", 7, 5) + &aw301("p.py", 8, "requests.get") + &summary(2, 1))
        .run(["fix", "--write", "--phase", "1", "--phase", "3", "--ignore", "AW103", "p.py"]).code(1)
        .now("p.py", "import requests\nimport subprocess\nimport asyncio\n\nasync def f(u):\n    await asyncio.sleep(1)\n    subprocess.run([\"ls\"])\n    requests.get(u)\n");

    // ==== report ================================================================================

    report_markdown_small_project => report_project()
        .run(["report", "app"]).code(1).stderr("")
        .stdout_has("# Async/await audit\n")
        .stdout_has("Paths: `app` · 5 files processed · generated by awaitify ")
        .stdout_has("## Executive summary\n\n**4 blocking calls** block the event loop: 4 directly in async code, 0 in sync functions that async code calls")
        .stdout_has("| category | code | findings | fix: safe | unsafe | manual | outside async code |\n")
        .stdout_has("| sleep (`time.sleep`) | AW101 | 2 | 1 | 1 | 0 | 1 |\n")
        .stdout_has("| sqlite3 | AW102 | 0 | 0 | 0 | 0 | 0 |\n")
        .stdout_has("| subprocess / `os.system` | AW103 | 1 | 1 | 0 | 0 | 0 |\n")
        .stdout_has("| declared blocking calls (`blocking-calls`) | AW301 | 1 | 0 | 0 | 1 | 0 |\n")
        .stdout_has("## Findings by file\n\n### `app/runner.py`\n")
        .stdout_has("| 4 | AW103 | `subprocess.run` blocks the event loop until the child process exits | safe |\n")
        .stdout_has("### `app/sleepy.py`\n")
        .stdout_has("| 4 | AW101 | `time.sleep` blocks the event loop in async code | safe |\n")
        .stdout_has("| 5 | AW101 | `time.sleep` blocks the event loop in async code | unsafe: `time.sleep` raises `ValueError` for a negative delay and `OverflowError` for one above about 9.2e9 s; `asyncio.sleep` does neither |\n")
        .stdout_has("### `app/web.py`\n")
        .stdout_has("| 4 | AW301 | `requests.get` is declared blocking and runs on the event loop | manual: ")
        .stdout_has("## Blocking calls outside async code (not loop blockers)\n")
        .stdout_has("| `app/sync_only.py` | 4 | AW101 | `time.sleep` | in `wait` |\n")
        .stdout_has("## Good patterns\n")
        .stdout_has("- `app/clean.py`: 1 async function, 1 `await` / `async with` / `async for`\n")
        .stdout_has("## Action plan\n")
        .stdout_has("| 1 | critical blockers: time.sleep, sqlite3, subprocess (native rewrites) | 3 | 2 | 1 | 0 | `awaitify fix --phase 1 --write app` |\n")
        .stdout_has("| 3 | declared blocking calls (`blocking-calls`): reported with the replacement to use, migrated by hand | 1 | 0 | 0 | 1 | `awaitify check --phase 3 app` (reported, fixed by hand) |\n")
        .stdout_has("Unsafe fixes are applied with `--unsafe-fixes` once their reasons (above) were reviewed.\n")
        .stdout_lacks("Files that could not be analysed")
        // The report never writes.
        .kept("app/sleepy.py").kept("app/runner.py").kept("app/web.py");

    report_json_structure => report_project()
        .run(["report", "--format", "json", "app"]).code(1).stderr("")
        .check(|o| {
            let v = json_stdout(o)?;
            expect_keys(&v, "the audit", &["paths", "files", "summary", "total_in_async_code", "files_with_errors", "findings", "outside_async_code", "good_patterns", "plan", "blocking", "mixed_defects", "call_paths"])?;
            expect_eq("paths", &v["paths"], &json_strings(&["app"]))?;
            expect_eq("files", &v["files"], &Value::from(5))?;
            expect_eq("total_in_async_code", &v["total_in_async_code"], &Value::from(4))?;
            // The same numbers as `check` on the same paths.
            expect_eq("total = check's findings", v["total_in_async_code"].as_u64(), Some(check_json_count(o, &["app"])? as u64))?;
            expect_eq("files_with_errors", &v["files_with_errors"], &json_strings(&[]))?;
            let summary = v["summary"].as_array().ok_or("summary")?;
            let codes: Vec<&str> = summary.iter().filter_map(|c| c["code"].as_str()).collect();
            expect_eq("summary codes", codes, vec!["AW101", "AW102", "AW103", "AW201", "AW202", "AW203", "AW204", "AW301"])?;
            let blocking = v["blocking"].as_array().ok_or("blocking")?;
            for kind in blocking {
                expect_keys(kind, "blocking kind", &["code", "category", "in_async_code", "reached_from_async", "outside_async_code"])?;
            }
            expect_eq("mixed defects", &v["mixed_defects"], &Value::from(0))?;
            for c in summary {
                expect_keys(c, "summary entry", &["code", "category", "in_async_code", "safe", "unsafe", "manual", "outside_async_code"])?;
                let n = |k: &str| c[k].as_u64().unwrap_or(u64::MAX);
                expect_eq("safe + unsafe + manual = in_async_code", n("safe") + n("unsafe") + n("manual"), n("in_async_code"))?;
            }
            expect_eq("AW101", (&summary[0]["in_async_code"], &summary[0]["safe"], &summary[0]["unsafe"], &summary[0]["outside_async_code"]),
                (&Value::from(2), &Value::from(1), &Value::from(1), &Value::from(1)))?;
            let findings = v["findings"].as_object().ok_or("findings is not an object")?;
            let files: Vec<&str> = findings.keys().map(String::as_str).collect();
            expect_eq("findings files", files, vec!["app/runner.py", "app/sleepy.py", "app/web.py"])?;
            for rows in findings.values() {
                for row in rows.as_array().ok_or("rows")? {
                    expect_keys(row, "finding row", &["code", "location", "message", "fix", "reason"])?;
                }
            }
            let sleepy = &v["findings"]["app/sleepy.py"];
            expect_eq("sleepy fixes", (&sleepy[0]["fix"], &sleepy[1]["fix"]), (&Value::from("safe"), &Value::from("unsafe")))?;
            expect_eq("safe reason", &sleepy[0]["reason"], &Value::Null)?;
            expect_eq("web fix", &v["findings"]["app/web.py"][0]["fix"], &Value::from("manual"))?;
            let outside = v["outside_async_code"].as_array().ok_or("outside")?;
            expect_eq("outside", outside.len(), 1)?;
            expect_keys(&outside[0], "outside row", &["code", "file", "line", "call", "place"])?;
            expect_eq("outside file", &outside[0]["file"], &Value::from("app/sync_only.py"))?;
            expect_eq("outside call", &outside[0]["call"], &Value::from("time.sleep"))?;
            let good = v["good_patterns"].as_array().ok_or("good")?;
            expect_eq("good", good.len(), 1)?;
            expect_keys(&good[0], "good pattern", &["file", "async_functions", "async_constructs"])?;
            expect_eq("good file", &good[0]["file"], &Value::from("app/clean.py"))?;
            let plan = v["plan"].as_array().ok_or("plan")?;
            expect_eq("plan phases", plan.iter().map(|p| p["phase"].as_u64()).collect::<Vec<_>>(), vec![Some(1), Some(2), Some(3)])?;
            for p in plan {
                expect_keys(p, "plan entry", &["phase", "what", "findings", "safe", "unsafe", "manual", "command"])?;
            }
            expect_eq("phase 1", (&plan[0]["findings"], &plan[0]["command"]), (&Value::from(3), &Value::from("awaitify fix --phase 1 --write app")))?;
            expect_eq("phase 3", (&plan[2]["findings"], &plan[2]["manual"]), (&Value::from(1), &Value::from(1)))?;
            Ok(())
        });

    report_no_findings_exits_0 => Case::new()
        .file("app/clean.py", "import asyncio\n\nasync def tick():\n    await asyncio.sleep(1)\n")
        .run(["report", "app"]).code(0).stderr("")
        .stdout_has("**0 blocking calls** block the event loop")
        .stdout_has("## Findings by file\n\nNone.\n")
        .stdout_has("- `app/clean.py`: 1 async function");

    // (A file in a folder is parsed only when it has `async` and a name a recipe migrates.)
    report_with_a_bad_file_exits_2 => report_project()
        .file("app/syn.py", "import time\n\nasync def f(:\n    time.sleep(1)\n")
        .run(["report", "app"]).code(2)
        .stdout_has("Paths: `app` · 6 files processed")
        .stdout_has("## Files that could not be analysed\n\n- `app/syn.py:3:13: syntax error: Expected a parameter or the end of the parameter list`\n")
        .stdout_has("**4 blocking calls** block the event loop")
        .stderr("app/syn.py:3:13: syntax error: Expected a parameter or the end of the parameter list\n")
        .run(["report", "--format", "json", "app"]).code(2)
        .check(|o| expect_eq("files_with_errors", json_stdout(o)?["files_with_errors"].as_array().map(Vec::len), Some(1)));

    report_takes_the_configuration_and_selection => report_project()
        .file("pyproject.toml", format!("[tool.awaitify]\nignore = [\"AW103\"]\n\n[tool.awaitify.per-file-ignores]\n\"app/sleepy.py\" = [\"AW101\"]\n\n[tool.awaitify.blocking-calls]\n{BLOCKING_CALLS}"))
        .run(["report", "--format", "json", "app"]).code(1)
        .check(|o| {
            let v = json_stdout(o)?;
            expect_eq("total", &v["total_in_async_code"], &Value::from(1))?;
            expect_eq("total = check's findings", check_json_count(o, &["app"])?, 1)?;
            let codes: Vec<&str> = v["summary"].as_array().unwrap().iter().filter_map(|c| c["code"].as_str()).collect();
            expect_eq("summary codes", codes, vec!["AW101", "AW102", "AW201", "AW202", "AW203", "AW204", "AW301"])
        })
        .run(["report", "--phase", "1", "--format", "json", "app"]).code(0)
        .check(|o| expect_eq("total", &json_stdout(o)?["total_in_async_code"], &Value::from(0)))
        .run(["report", "--isolated", "--format", "json", "app"]).code(1)
        .check(|o| expect_eq("total", &json_stdout(o)?["total_in_async_code"], &Value::from(3)));

    // AW301's note already starts with "no fix: ", and the fix summary and the JSON `reason`
    // prefix every note with "no fix: " again: `awaitify fix` prints
    // `(no fix: no fix: use `httpx.AsyncClient.get` (the configuration's replacement))`, and
    // the report's fix column `manual: no fix: use ...`.
    declared_blocking_reason_is_not_doubled => Case::new()
        .file("pyproject.toml", pyproject_blocking_calls()).file("d.py", DECLARED)
        .run(["fix", "--write", "d.py"]).code(1)
        .stderr_lacks("no fix: no fix:")
        .stderr_has("  no fix: use `httpx.AsyncClient.get` (the configuration's replacement):\n")
        .run(["fix", "--output-format", "json", "d.py"]).code(0)
        .check(|o| {
            let v = fix_json(o)?;
            expect_eq("reason", &v["remaining"][0]["reason"], &Value::from("no fix: use `httpx.AsyncClient.get` (the configuration's replacement)"))
        })
        .run(["report", "d.py"]).code(1).stdout_lacks("manual: no fix:");

    // Phase 2 across files: the helper becomes async and its caller in another file awaits it.
    phase_2_converts_across_files => Case::new()
        .file("pkg/__init__.py", "")
        .file("pkg/db.py", HELPER_DB)
        .file("pkg/app.py", HELPER_APP)
        .run(["check", "--select", "AW2", "pkg"]).code(1)
        .stdout_has("pkg/db.py:5:5: AW201 [*] `time.sleep` blocks the event loop: async code reaches it through `pkg.app.handle` → `load` → `time.sleep`\n")
        .run(["check", "--output-format", "json", "--select", "AW2", "pkg"]).code(1)
        .check(|o| {
            let v = json_stdout(o)?;
            expect_eq("other files", &v[0]["fix"]["other_files"], &json_strings(&["pkg/app.py"]))?;
            expect_eq("local edit", &v[0]["fix"]["edits"][0]["content"], &Value::from("async "))
        })
        .run(["fix", "--write", "--select", "AW2", "pkg"]).code(0).stderr("Fixed 1 finding in 2 files.\n")
        .now("pkg/db.py", HELPER_DB.replace("def load", "async def load"))
        .now("pkg/app.py", HELPER_APP.replace("return load()", "return await load()"))
        .run(["fix", "--write", "--select", "AW2", "pkg"]).code(0).stderr("No fixes applied.\n").kept("pkg/db.py").kept("pkg/app.py");

    // A suppression on the call line keeps the helper sync, in every file.
    phase_2_suppressed_call_site_blocks_the_conversion => Case::new()
        .file("pkg/__init__.py", "")
        .file("pkg/db.py", HELPER_DB)
        .file("pkg/app.py", HELPER_APP.replace("return load()", "return load()  # awaitify: ignore[AW201]"))
        .run(["fix", "--write", "--select", "AW2", "pkg"]).code(1)
        .stderr_has("`load` stays sync: AW201 is disabled or silenced at pkg/app.py:5")
        .kept("pkg/db.py").kept("pkg/app.py");

    // `per-file-ignores` for the caller's file has the same effect.
    phase_2_per_file_ignore_blocks_the_conversion => Case::new()
        .file("pyproject.toml", "[tool.awaitify.per-file-ignores]\n\"pkg/app.py\" = [\"AW201\"]\n")
        .file("pkg/__init__.py", "")
        .file("pkg/db.py", HELPER_DB)
        .file("pkg/app.py", HELPER_APP)
        .run(["fix", "--write", "--select", "AW2", "pkg"]).code(1)
        .kept("pkg/db.py").kept("pkg/app.py");

    // `store.py` beside a package `store/`: Python imports the package, and so does the
    // project index (the module's blocking `load` is not what `app.py` calls). A warning on
    // stderr names both files; the run goes on.
    module_name_claimed_by_a_module_and_a_package => Case::new()
        .file("pyproject.toml", "[project]\nname = \"x\"\n")
        .file("store.py", HELPER_DB)
        .file("store/__init__.py", "def load():\n    return 1\n")
        .file("app.py", "from store import load\n\n\nasync def handle():\n    return load()\n")
        .run(["check", "."]).code(0).stdout("All checks passed!\n")
        .stderr("warning: module `store` is claimed by two files, store/__init__.py and store.py: Python imports the package, store/__init__.py (a package comes before a module of the same name in the same folder)\n")
        .run(["fix", "--write", "--unsafe-fixes", "."]).code(0).kept("store.py").kept("app.py")
        .run(["check", "--quiet", "."]).code(0).stderr("");

    // `pkg/util.py` both in `src/` and at the project folder: which one Python imports depends
    // on `sys.path`. One warning for the package (its modules clash because it does), and the
    // other files' findings as usual.
    module_name_claimed_from_two_import_roots => Case::new()
        .file("setup.cfg", "[metadata]\nname = x\n")
        .file("src/pkg/__init__.py", "").file("src/pkg/util.py", HELPER_DB)
        .file("pkg/__init__.py", "").file("pkg/util.py", HELPER_DB)
        .file("a.py", SLEEP)
        .run(["check", "."]).code(1)
        .stdout(finding("a.py", 4, 5) + &summary(1, 1))
        .stderr("warning: module `pkg` is claimed by two files, pkg/__init__.py and src/pkg/__init__.py: which one Python imports depends on whether the project folder or `src` comes first on `sys.path`, which the layout does not tell; awaitify resolves imports of it only in the files beside one of them\n");

    // Scripts named alike in plain folders (each imported by its neighbours) and a stub beside
    // its module are no clash.
    module_names_alike_in_plain_folders_are_no_clash => Case::new()
        .file("pyproject.toml", "[project]\nname = \"x\"\n")
        .file("tests/unit/conftest.py", CLEAN).file("tests/e2e/conftest.py", CLEAN)
        .file("lib.py", CLEAN).file("lib.pyi", "x: int\n")
        .run(["check", "."]).code(0).stderr("");

    // Standard input is a project of one module.
    phase_2_on_stdin => Case::new()
        .run(["check", "--stdin-filename", "c.py", "-"]).stdin(UNAWAITED).code(1)
        .stdout_has("c.py:9:5: AW202 [*] `refresh()` creates a coroutine that is never awaited: the call does nothing\n")
        .run(["fix", "-"]).stdin(UNAWAITED).code(0).stdout(UNAWAITED.replace("    refresh()", "    await refresh()"));
}

/// A file changed by another program while `fix --write` works on it is not overwritten: the
/// other program's change survives, and the run says so and exits 2. The appended line is
/// written while awaitify computes the fixes of a big file (well after it was read, well before
/// it is written back); whatever the timing, the appended line is never lost.
#[test]
fn fix_write_keeps_a_concurrent_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.py");
    let mut source = String::from("import time\n\n");
    for i in 0..8000 {
        source +=
            &format!("async def f{i}(x):\n    y = x + {i}\n    time.sleep(1)\n    return y\n\n");
    }
    std::fs::write(&path, &source).unwrap();
    let child = std::process::Command::new(BIN)
        .args(["fix", "--write", "big.py"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(150));
    let appended = "# appended by another program\n";
    {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(appended.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let now = std::fs::read_to_string(&path).unwrap();
    assert!(
        now.ends_with(appended),
        "the concurrent edit was lost (exit {:?}, stderr {stderr})",
        output.status.code()
    );
    if output.status.code() == Some(2) {
        assert_eq!(now, source + appended, "the file was changed anyway");
        assert!(
            stderr.contains(
                "big.py: error: not written: the file changed on disk while awaitify was fixing it"
            ),
            "{stderr}"
        );
    } else {
        // The edit came before awaitify read the file: it was fixed with the line in it.
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(now.contains("await asyncio.sleep(1)"));
    }
}

// ==== a ruff user's first hour: bugs, surprises and ruff's conventions =============================

const PHASE_2_NOTE_CHECK: &str = "(Phase 2's fixes make functions async; the blocking calls in them then become phase 1 findings, fixed in the same run, so `awaitify fix` counts more.)\n";
const PHASE_2_NOTE_FIX: &str = "(These counts include the phase 1 findings that phase 2's conversions create: blocking calls in functions that became async, which `awaitify check` counts once, as the finding of their call path.)\n";

fn helper_project() -> Case {
    Case::new()
        .file("pkg/__init__.py", "")
        .file("pkg/db.py", HELPER_DB)
        .file("pkg/app.py", HELPER_APP)
}

/// `SLEEP` and `GEN` side by side, for the formats.
fn two_kinds() -> Case {
    Case::new().file("a.py", SLEEP).file("gen.py", GEN)
}

cases! {
    // ---- bugs ----------------------------------------------------------------------------------

    fix_diff_on_stdin_prints_a_diff => Case::new()
        .run(["fix", "--diff", "-"]).stdin(SLEEP).code(1)
        .stdout(diff_header("-") + DIFF_SLEEP_HUNK)
        .stderr("Would fix 1 finding in 1 file.\n")
        .run(["fix", "--diff", "--stdin-filename", "a.py", "-"]).stdin(SLEEP).code(1)
        .stdout(diff_header("a.py") + DIFF_SLEEP_HUNK)
        // `check --diff -` too, and nothing to change prints nothing.
        .run(["check", "--diff", "-"]).stdin(SLEEP).code(1).stdout(diff_header("-") + DIFF_SLEEP_HUNK)
        .run(["fix", "--diff", "-"]).stdin(CLEAN).code(0).stdout("");

    counts_of_check_and_fix_say_what_phase_2_adds => helper_project()
        // `check` counts the AW201 finding; `fix` also fixes the `time.sleep` that the
        // conversion brings into async code: both summaries say so.
        .run(["check", "pkg"]).code(1)
        .stdout(format!("pkg/db.py:5:5: AW201 [*] `time.sleep` blocks the event loop: async code reaches it through `pkg.app.handle` → `load` → `time.sleep`\n{}{PHASE_2_NOTE_CHECK}", summary(1, 1)))
        .run(["fix", "pkg"]).code(1)
        .stderr(format!("Would fix 2 findings in 2 files.\n{PHASE_2_NOTE_FIX}"))
        // Phase 2 alone creates no phase 1 finding: no note.
        .run(["check", "--select", "AW2", "pkg"]).code(1).stdout_lacks("Phase 2's fixes")
        .run(["fix", "--select", "AW2", "pkg"]).code(1).stderr("Would fix 1 finding in 2 files.\n");

    // ---- surprises -----------------------------------------------------------------------------

    report_takes_output_format_like_check => report_project()
        .run(["report", "--output-format", "json", "app"]).code(1)
        .check(|o| json_stdout(o).map(|_| ()))
        // The old name still works.
        .run(["report", "--format", "json", "app"]).code(1)
        .check(|o| json_stdout(o).map(|_| ()))
        .run(["report", "--output-format", "markdown", "app"]).code(1).stdout_has("# Async/await audit\n");

    bad_utf16_file_is_named_as_such => Case::new()
        .file("u16.py", b"\xff\xfei\0m\0p\0\n\0".to_vec())
        .run(["check", "u16.py"]).code(2).stdout("No findings, but 1 file could not be checked.\n")
        .stderr("u16.py: error: UTF-16LE text (it starts with a UTF-16LE byte order mark), not UTF-8; only UTF-8 source is supported: convert it (`iconv -f UTF-16LE -t UTF-8`)\n");

    bad_coding_cookie_is_named => Case::new()
        .file("l1.py", b"# -*- coding: latin-1 -*-\nx = '\xe9'\n".to_vec())
        .run(["check", "l1.py"]).code(2).stdout("No findings, but 1 file could not be checked.\n")
        .stderr("l1.py: error: encoded as `latin-1` (its coding cookie says so; invalid UTF-8 at offset 31); only UTF-8 source is supported: convert it (`iconv -f latin-1 -t UTF-8`) and change the cookie to `utf-8`\n");

    bad_toml_header_has_a_line_and_column => Case::new()
        .file("pyproject.toml", "[project]\nname = 'x'\n[tool.awaitify\nselect = ['AW1']\n").file("a.py", SLEEP)
        .run(["check", "a.py"]).code(2).stdout("")
        .stderr_has("pyproject.toml:3:15: invalid TOML: ");

    statistics_in_json => Case::new()
        .file("a.py", TWO).file("gen.py", GEN)
        .run(["check", "--statistics", "--output-format", "json", "a.py", "gen.py"]).code(1)
        .check(|o| {
            let v = json_stdout(o)?;
            expect_eq("statistics", v, serde_json::json!([
                {"code": "AW101", "name": "time-sleep", "count": 3, "fixable": true, "fixable_count": 2}
            ]))
        });

    stdin_filename_alone_reads_standard_input => Case::new()
        .file("a.py", CLEAN)
        // As ruff: `--stdin-filename` reads standard input; named paths are ignored, with a warning.
        .run(["check", "--stdin-filename", "x.py"]).stdin(SLEEP).code(1)
        .stdout(finding("x.py", 4, 5) + &summary(1, 1)).stderr("")
        .run(["check", "--stdin-filename", "x.py", "a.py"]).stdin(SLEEP).code(1)
        .stdout(finding("x.py", 4, 5) + &summary(1, 1))
        .stderr("warning: ignoring a.py in favor of standard input\n");

    no_recipe_selected_is_an_error => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--ignore", "ALL", "a.py"]).code(2).stdout("")
        .stderr("error: no recipe is selected: every selected recipe is also ignored; `awaitify recipes` lists them\n")
        .run(["check", "--phase", "1", "--select", "AW201", "a.py"]).code(2).stdout("")
        .stderr("error: no recipe is selected: phase 1 has none of the selected recipes (AW201); `awaitify recipes` lists each recipe's phase\n")
        .run(["fix", "--write", "--ignore", "ALL", "a.py"]).code(2).kept("a.py");

    suppress_awaitify_ignore_prefix_and_id => Case::new()
        .file("s.py", "import time\n\nasync def f():\n    time.sleep(1)  # awaitify: ignore[AW1]\n    time.sleep(2)  # awaitify: ignore[time-sleep]\n    time.sleep(3)  # awaitify: ignore[AW2]\n    time.sleep(4)  # awaitify: ignore[ASYNC251]\n")
        .run(["check", "s.py"]).code(1).stdout(finding("s.py", 6, 5) + &summary(1, 1));

    empty_tree_warns_and_report_says_so => Case::new()
        .dir("empty").file("empty/notes.txt", "x\n")
        .run(["check", "empty"]).code(0).stdout("All checks passed!\n")
        .stderr("warning: No Python files found under the given path(s)\n")
        .run(["check", "-q", "empty"]).code(0).stdout("").stderr("")
        .run(["report", "empty"]).code(0)
        .stdout_has("No Python files found under the given paths: nothing to audit.\n")
        .stdout_lacks("| ---");

    paths_print_without_dot_slash => Case::new()
        .file("src/a.py", SLEEP)
        .run(["check"]).code(1).stdout(finding("src/a.py", 4, 5) + &summary(1, 1))
        .run(["check", "./src"]).code(1).stdout(finding("src/a.py", 4, 5) + &summary(1, 1))
        .run(["fix"]).code(1).stdout_has("--- src/a.py\n+++ src/a.py\n");

    fix_remaining_findings_grouped_by_reason => Case::new()
        .file("gen.py", "import time\n\nasync def f(d):\n    g = (time.sleep(1) for _ in range(3))\n    h = (time.sleep(2) for _ in range(3))\n    time.sleep(d)\n")
        // Each reason once, with its findings under it.
        .run(["fix", "gen.py"]).code(0).stdout("")
        .stderr(format!("No fixes available.\n3 findings remain unfixed, for 2 reasons:\n  {GEN_REASON}:\n    gen.py:4:10: AW101 {MSG}\n    gen.py:5:10: AW101 {MSG}\n  {UNSAFE_REASON}:\n    gen.py:6:5: AW101 {MSG}\n1 unsafe fix withheld; rerun with `--unsafe-fixes` to apply them.\n"));

    // ---- ruff's conventions ----------------------------------------------------------------------

    check_fix_applies_and_reports_what_remains => two_kinds()
        .run(["check", "--fix", "a.py", "gen.py"]).code(1)
        .stdout(format!("gen.py:4:10: AW101 {MSG}\nFound 2 findings (1 fixed, 1 remaining).\n")).stderr("")
        .now("a.py", SLEEP_FIXED).kept("gen.py")
        .run(["check", "--fix", "a.py"]).code(0).stdout("All checks passed!\n");

    check_fix_show_fixes_and_exit_codes => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--fix", "--show-fixes", "--exit-non-zero-on-fix", "a.py"]).code(1)
        .stdout("\nFixed 1 finding:\n- a.py:\n    1 × AW101 (time-sleep)\n\nFound 1 finding (1 fixed, 0 remaining).\n")
        .now("a.py", SLEEP_FIXED);

    check_fix_on_stdin_prints_the_fixed_source => Case::new()
        .run(["check", "--fix", "-"]).stdin(SLEEP).code(0).stdout(SLEEP_FIXED);

    check_diff_is_the_dry_run => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--diff", "a.py"]).code(1)
        .stdout(diff_header("a.py") + DIFF_SLEEP_HUNK).stderr("Would fix 1 finding in 1 file.\n").kept("a.py")
        // `--fix --diff` is a diff too, as in ruff.
        .run(["check", "--fix", "--diff", "a.py"]).code(1).stdout(diff_header("a.py") + DIFF_SLEEP_HUNK).kept("a.py")
        .run(["check", "--diff", "--show-fixes", "a.py"]).code(2).stderr_has("cannot be used with");

    fix_show_fixes_lists_per_file_and_code => Case::new()
        .file("a.py", TWO).file("b.py", SLEEP)
        .run(["fix", "--write", "--show-fixes", "a.py", "b.py"]).code(0)
        .stderr("Fixed 3 findings in 2 files:\n- a.py:\n    2 × AW101 (time-sleep)\n- b.py:\n    1 × AW101 (time-sleep)\n");

    fix_exit_zero => two_kinds()
        .run(["fix", "--exit-zero", "a.py"]).code(0).stdout_has("+    await asyncio.sleep(1)\n").kept("a.py")
        .run(["fix", "--write", "--exit-zero", "a.py", "gen.py"]).code(0).now("a.py", SLEEP_FIXED)
        .run(["fix", "--exit-zero", "missing.py"]).code(2);

    watch_is_not_supported => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--watch", "a.py"]).code(2).stdout("")
        .stderr_has("error: `--watch` is not supported");

    quiet_prints_findings_only => two_kinds()
        .run(["check", "-q", "a.py"]).code(1).stdout(finding("a.py", 4, 5)).stderr("")
        .run(["check", "--quiet", "a.py"]).code(1).stdout(finding("a.py", 4, 5))
        .run(["fix", "-q", "a.py"]).code(1).stdout(diff_header("a.py") + DIFF_SLEEP_HUNK).stderr("")
        .run(["fix", "-q", "--write", "a.py", "gen.py"]).code(1).stdout("").stderr("").now("a.py", SLEEP_FIXED);

    verbose_says_what_it_uses => Case::new()
        .file("awaitify.toml", "ignore = [\"AW103\"]\n").file("a.py", SLEEP)
        .run(["check", "-v", "a.py"]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1))
        .stderr_has("awaitify.toml\n")
        .stderr_has("awaitify: recipes: AW101, AW102, AW201, AW202, AW203, AW204, AW301\n")
        .stderr_has("awaitify: 1 file to process\n")
        .stderr_has("awaitify: done in ")
        .run(["check", "-q", "-v", "a.py"]).code(2).stderr_has("cannot be used with");

    a_run_on_part_of_a_project_reads_the_rest => Case::new()
        .file("pyproject.toml", "[project]\nname = \"pkg\"\n")
        .file("pkg/jobs.py", SLEEP)
        .file("tests/test_jobs.py", "from unittest import mock\n\nfrom pkg import jobs\n\n@mock.patch(\"pkg.jobs.time.sleep\")\ndef test_f(fake):\n    pass\n")
        // The test outside `pkg/` patches what the fix replaces: the fix is unsafe, and the
        // test is neither reported nor changed.
        .run(["check", "-v", "pkg"]).code(1)
        .stdout_has("pkg/jobs.py:4:5: AW101 `time.sleep` blocks the event loop in async code\n")
        .stdout_has("(1 hidden fix can be enabled with the `--unsafe-fixes` option.)")
        .stderr_has("awaitify: 1 file to process\n")
        .stderr_has("awaitify: 1 file of their projects outside the paths given or excluded, read for what they call and patch\n")
        .run(["fix", "--write", "--unsafe-fixes", "pkg"]).code(0).now("pkg/jobs.py", SLEEP_FIXED).kept("tests/test_jobs.py")
        // Standard input standing for a file of the project: the same.
        .run(["check", "--stdin-filename", "pkg/jobs.py", "-"]).stdin(SLEEP).code(1)
        .stdout_has("pkg/jobs.py:4:5: AW101 `time.sleep` blocks the event loop in async code\n")
        .stdout_has("(1 hidden fix can be enabled with the `--unsafe-fixes` option.)")
        .run(["fix", "--stdin-filename", "pkg/jobs.py", "-"]).stdin(SLEEP).stdout(SLEEP)
        // The whole project given: nothing is read for context.
        .run(["check", "-v", "."]).code(0).stdout("All checks passed!\n")
        .stderr_has("awaitify: 2 files to process\n");

    // Excluding the tests keeps them as they are, not out of the project: the same as above.
    an_excluded_file_is_read_for_context => Case::new()
        .file("pyproject.toml", "[project]\nname = \"pkg\"\n\n[tool.awaitify]\nexclude = [\"tests\"]\n")
        .file("pkg/jobs.py", SLEEP)
        .file("tests/test_jobs.py", "from unittest import mock\n\nfrom pkg import jobs\n\n@mock.patch(\"pkg.jobs.time.sleep\")\ndef test_f(fake):\n    pass\n")
        .run(["check", "-v"]).code(1)
        .stdout_has("pkg/jobs.py:4:5: AW101 `time.sleep` blocks the event loop in async code\n")
        .stdout_has("(1 hidden fix can be enabled with the `--unsafe-fixes` option.)")
        .stderr_has("awaitify: 1 file to process\n")
        .stderr_has("awaitify: 1 file of their projects outside the paths given or excluded, read for what they call and patch\n")
        .run(["check", "--exclude", "tests", "--isolated", "pkg"]).code(1)
        .stdout_has("(1 hidden fix can be enabled with the `--unsafe-fixes` option.)")
        .run(["check", "--stdin-filename", "pkg/jobs.py", "-"]).stdin(SLEEP).code(1)
        .stdout_has("(1 hidden fix can be enabled with the `--unsafe-fixes` option.)")
        .run(["fix", "--write", "--unsafe-fixes"]).code(0).now("pkg/jobs.py", SLEEP_FIXED).kept("tests/test_jobs.py");

    a_context_file_that_cannot_be_read_is_a_warning => Case::new()
        .file("pyproject.toml", "[project]\nname = \"pkg\"\n")
        .file("pkg/jobs.py", SLEEP)
        .file("tests/test_jobs.py", b"\xff\xfe# utf-16".to_vec())
        .run(["check", "pkg"]).code(1)
        .stdout_has("pkg/jobs.py:4:5: AW101")
        .stderr_has("warning: tests/test_jobs.py: UTF-16LE text")
        .stderr_has("(a file of the project read for context: what it calls and patches is not known)\n");

    // A fix that imports `aiosqlite` in a project that does not depend on it: a warning, since
    // installed from what it declares the migrated code would not import.
    a_fix_importing_an_undeclared_dependency_is_a_warning => Case::new()
        .file("pyproject.toml", "[project]\nname = \"pkg\"\ndependencies = [\"httpx\"]\n")
        .file("pkg/db.py", SQLITE_COUNT)
        .run(["fix", "--diff", "pkg"]).code(1)
        .stderr_has("warning: the fixes would make `pkg/db.py` import `aiosqlite`, which the project in `.` does not declare as a dependency: add `aiosqlite` to its dependencies\n")
        .run(["fix", "--diff", "--quiet", "pkg"]).code(1).stderr_lacks("aiosqlite")
        // For a script, in the summary: stderr stays clean.
        .run(["fix", "--diff", "--output-format", "json", "pkg"]).code(1).stderr("")
        .stdout_has("\"undeclared_dependencies\": [\n    {\n      \"distribution\": \"aiosqlite\",\n      \"project\": \".\",\n      \"files\": [\n        \"pkg/db.py\"\n      ]\n    }\n  ]")
        // Only the fixes applied count: phase 2 alone leaves sqlite3 as it is.
        .run(["fix", "--diff", "--select", "AW2", "pkg"]).code(0).stderr_lacks("aiosqlite")
        .run(["fix", "--write", "pkg/db.py"]).code(0)
        .stderr_has("warning: the fixes made `pkg/db.py` import `aiosqlite`, which the project in `.` does not declare as a dependency");

    // Declared (here in a requirements file of a `requirements` folder, in another case): no
    // warning.
    a_fix_importing_a_declared_dependency_is_no_warning => Case::new()
        .file("pyproject.toml", "[project]\nname = \"pkg\"\ndependencies = [\"httpx\"]\n")
        .file("requirements/base.txt", "httpx\nAIOSQLite>=0.20\n")
        .file("pkg/db.py", SQLITE_COUNT)
        .run(["fix", "--write", "pkg"]).code(0).stderr_lacks("aiosqlite");

    // A monorepo's member declares nothing itself: its repository's root does (any folder up to
    // the one with `.git` counts), or not.
    a_dependency_declared_at_the_repository_root_is_no_warning => Case::new()
        .dir(".git")
        .file("requirements.txt", "aiosqlite==0.21\n")
        .file("services/api/pyproject.toml", "[project]\nname = \"api\"\n")
        .file("services/api/api/db.py", SQLITE_COUNT)
        .run(["fix", "--diff", "services"]).code(1).stderr_lacks("aiosqlite");

    a_dependency_the_repository_root_does_not_declare_is_a_warning => Case::new()
        .dir(".git")
        .file("requirements.txt", "httpx\n")
        .file("services/api/pyproject.toml", "[project]\nname = \"api\"\n")
        .file("services/api/api/db.py", SQLITE_COUNT)
        .run(["fix", "--diff", "services"]).code(1)
        .stderr_has("which the project in `services/api` does not declare as a dependency");

    // An added import keeps an isort-sorted block sorted, as ruff's `I001` tells the sections
    // apart: the project's packages (in its folder or `src`) are first-party, a test helper
    // module of `tests/` is not.
    an_added_import_goes_in_its_isort_section => Case::new()
        .file("pyproject.toml", "[project]\nname = \"app\"\ndependencies = [\"aiosqlite\"]\n")
        .file("src/app/__init__.py", "")
        .file("src/app/util.py", "def helper():\n    return 1\n")
        .file("tests/support.py", "def helper():\n    return 2\n")
        .file("src/app/db.py", "import os\nimport sqlite3\n\nfrom app.util import helper\n\n\nasync def count(path):\n    conn = sqlite3.connect(os.fspath(path))\n    try:\n        return conn.execute(\"select 1\").fetchone(), helper()\n    finally:\n        conn.close()\n")
        .file("tests/test_db.py", "import sqlite3\n\nfrom support import helper\n\n\nasync def count(path):\n    conn = sqlite3.connect(path)\n    try:\n        return conn.execute(\"select 1\").fetchone(), helper()\n    finally:\n        conn.close()\n")
        .run(["fix", "--write", "."]).code(0)
        .now("src/app/db.py", "import os\n\nimport aiosqlite\n\nfrom app.util import helper\n\n\nasync def count(path):\n    conn = await aiosqlite.connect(os.fspath(path))\n    try:\n        return await (await conn.execute(\"select 1\")).fetchone(), helper()\n    finally:\n        await conn.close()\n")
        .now("tests/test_db.py", "import aiosqlite\nfrom support import helper\n\n\nasync def count(path):\n    conn = await aiosqlite.connect(path)\n    try:\n        return await (await conn.execute(\"select 1\")).fetchone(), helper()\n    finally:\n        await conn.close()\n");

    // A call whose arguments start on the next line: the comma put after the callee ends the
    // line, with no space after it (ruff's W291, trailing whitespace).
    a_call_moved_to_a_thread_keeps_no_trailing_space => Case::new()
        .file("m.py", "import time\n\n\ndef load(key, default=None):\n    time.sleep(0.01)\n    return key\n\n\ndef cli():\n    return load(\"a\")\n\n\nasync def handle():\n    return load(\n        \"b\",\n        default=1,\n    ) + load(  # the second\n        \"c\")\n")
        .run(["fix", "--write", "m.py"]).code(0)
        .now("m.py", "import asyncio\nimport time\n\n\ndef load(key, default=None):\n    time.sleep(0.01)\n    return key\n\n\ndef cli():\n    return load(\"a\")\n\n\nasync def handle():\n    return await asyncio.to_thread(load,\n        \"b\",\n        default=1,\n    ) + await asyncio.to_thread(load,  # the second\n        \"c\")\n");

    // A module an earlier version migrated has the process helper with its time limit named
    // `timeout` (ruff's ASYNC109 in an `async def`; the parameter is `limit` now): it stays the
    // helper, and a new call uses it.
    the_helper_of_an_earlier_version_is_reused => Case::new()
        .file("m.py", include_str!("cli_cases/data/earlier_helper.py.txt"))
        .run(["fix", "--write", "m.py"]).code(0)
        .now("m.py", include_str!("cli_cases/data/earlier_helper_fixed.py.txt"))
        .file("p.py", include_str!("cli_cases/data/earlier_popen_helper.py.txt"))
        .run(["fix", "--write", "p.py"]).code(0)
        .now("p.py", include_str!("cli_cases/data/earlier_popen_helper_fixed.py.txt"));

    a_fix_importing_aiosqlite_outside_any_project_is_a_warning => Case::new()
        .file("db.py", SQLITE_COUNT)
        .run(["fix", "--write", "db.py"]).code(0)
        .stderr_has("warning: the fixes made `db.py` import `aiosqlite`, which no project file above them declares: install `aiosqlite` where they run\n");

    a_file_that_cannot_be_analysed_keeps_every_helper_sync => Case::new()
        .file("db.py", "import time\n\ndef load(key):\n    time.sleep(0.01)\n    return key\n\nasync def handle(key):\n    return load(key)\n")
        .file("other.py", b"\xff\xfe# utf-16".to_vec())
        .file("broken.py", "def f(:\n    load('a')\n")
        // It may call `load`: `load` stays sync, and its call moves to a thread.
        .run(["check", "--output-format", "json", "--exit-zero", "db.py", "other.py"])
        .stdout_has("`load` may be called from other.py, which could not be analysed")
        .stdout_has("\"content\": \"await asyncio.to_thread(\"")
        .stdout_lacks("\"content\": \"async \"")
        .run(["check", "--output-format", "json", "--exit-zero", "db.py", "broken.py"])
        .stdout_has("`load` may be called from broken.py, which could not be analysed");

    a_repository_without_a_project_file_is_one_project => Case::new()
        .dir(".git")
        .file("requirements.txt", "pytest\n")
        .file("pkg/jobs.py", SLEEP)
        .file("tests/test_jobs.py", "from unittest import mock\n\nfrom pkg import jobs\n\n@mock.patch(\"pkg.jobs.time.sleep\")\ndef test_f(fake):\n    pass\n")
        .run(["check", "-v", "pkg"]).code(1)
        .stdout_has("(1 hidden fix can be enabled with the `--unsafe-fixes` option.)")
        .stderr_has("awaitify: 1 file of their projects outside the paths given or excluded, read for what they call and patch\n");

    extend_select_adds_to_select => Case::new()
        .file("m.py", MIXED)
        .run(["check", "--select", "AW103", "m.py"]).code(1).stdout(aw103("m.py", 6, 5) + &summary(1, 1))
        .run(["check", "--select", "AW103", "--extend-select", "time-sleep", "m.py"]).code(1).stdout(mixed("m.py") + &summary(2, 2))
        .run(["check", "--extend-select", "AW9", "m.py"]).code(2).stderr_has("unknown selector `AW9` for --extend-select");

    show_files_lists_what_would_be_checked => walk_tree()
        .run(["check", "--show-files"]).code(0).stderr("")
        .stdout("pkg/deep/x.py\npkg/mod.py\nstub.pyi\ntop.py\n")
        .run(["check", "--show-files", "--exclude", "pkg"]).code(0).stdout("stub.pyi\ntop.py\n");

    show_settings_prints_the_settings => Case::new()
        .file("awaitify.toml", "ignore = [\"AW103\"]\nexclude = [\"gen\"]\nunsafe-fixes = true\n").file("a.py", SLEEP)
        .run(["check", "--show-settings", "--select", "AW1"]).code(0).stderr("")
        .stdout_has("configuration file: ")
        .stdout_has("recipes: AW101 (time-sleep), AW102 (sqlite3)\n")
        .stdout_has("unsafe-fixes: true\nsubprocess-strategy: native\nexclude: [gen]\nforce-exclude: false\n");

    force_exclude_applies_to_named_files => Case::new()
        .file("awaitify.toml", "exclude = [\"migrations\"]\n").file("migrations/m.py", SLEEP).file("a.py", SLEEP)
        // A file named explicitly is processed (pre-commit passes every staged file)...
        .run(["check", "a.py", "migrations/m.py"]).code(1).stdout(finding("a.py", 4, 5) + &finding("migrations/m.py", 4, 5) + &summary(2, 2))
        // ... unless --force-exclude, as in ruff.
        .run(["check", "--force-exclude", "a.py", "migrations/m.py"]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1))
        .run(["fix", "--write", "--force-exclude", "migrations/m.py"]).code(0).kept("migrations/m.py");

    rule_is_explain => Case::new()
        .run(["rule", "AW101"]).code(0).stdout_has("# time-sleep (AW101)\n")
        .run(["rule", "time-sleep"]).code(0).stdout_has("Phase 1.");

    format_concise_is_the_default_and_text_its_alias => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--output-format", "concise", "a.py"]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1))
        .run(["check", "--output-format", "text", "a.py"]).code(1).stdout(finding("a.py", 4, 5) + &summary(1, 1));

    format_full_shows_source_and_fix => two_kinds()
        .run(["check", "--output-format", "full", "a.py", "gen.py"]).code(1).stderr("")
        .stdout(format!("AW101 [*] {MSG}\n --> a.py:4:5\n  |\n3 | async def f():\n4 |     time.sleep(1)\n  |     ^^^^^^^^^^^^^\nhelp: safe fix\n  |\n  + import asyncio\n  |\n4 -     time.sleep(1)\n  +     await asyncio.sleep(1)\n  |\n\nAW101 {MSG}\n --> gen.py:4:10\n  |\n3 | async def f():\n4 |     g = (time.sleep(1) for _ in range(3))\n  |          ^^^^^^^^^^^^^\nhelp: {GEN_REASON}\n\n{}", "Found 2 findings.\n[*] 1 fixable with `awaitify fix --write`.\n"));

    format_grouped => Case::new()
        .file("a.py", TWO).file("b.py", format!("{}\n\n\n\n\n\n\n\n\n\nasync def g():\n    time.sleep(1)\n", SLEEP.trim_end()))
        .run(["check", "--output-format", "grouped", "a.py", "b.py"]).code(1)
        .stdout(format!("a.py:\n  4:5 AW101 [*] {MSG}\n  5:5 AW101 [*] {MSG}\n\nb.py:\n   4:5 AW101 [*] {MSG}\n  15:5 AW101 [*] {MSG}\n\n{}", summary(4, 4)));

    format_pylint => two_kinds()
        .run(["check", "--output-format", "pylint", "a.py", "gen.py"]).code(1)
        .stdout(format!("a.py:4: [AW101] {MSG}\ngen.py:4: [AW101] {MSG}\n"));

    format_junit => Case::new()
        .file("a.py", SLEEP)
        .run(["check", "--output-format", "junit", "a.py"]).code(1)
        .stdout(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"awaitify\" tests=\"1\" skipped=\"0\" failures=\"1\" errors=\"0\">\n    <testsuite name=\"a.py\" tests=\"1\" skipped=\"0\" errors=\"0\" failures=\"1\" package=\"org.awaitify\">\n        <testcase name=\"org.awaitify.AW101\" classname=\"a\" line=\"4\" column=\"5\">\n            <properties>\n                <property name=\"severity\" value=\"error\"/>\n            </properties>\n            <failure message=\"{MSG}\">line 4, col 5, {MSG}</failure>\n        </testcase>\n    </testsuite>\n</testsuites>\n"))
        .run(["check", "--output-format", "junit", "--select", "AW103", "a.py"]).code(0)
        .stdout("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"awaitify\" tests=\"0\" skipped=\"0\" failures=\"0\" errors=\"0\">\n</testsuites>\n");

    format_gitlab => Case::new()
        .file("a.py", TWO)
        .run(["check", "--output-format", "gitlab", "a.py"]).code(1)
        .check(|o| {
            let v = json_stdout(o)?;
            let all = v.as_array().ok_or("not an array")?;
            expect_eq("entries", all.len(), 2)?;
            expect_keys(&all[0], "entry", &["check_name", "description", "severity", "fingerprint", "location"])?;
            expect_eq("check_name", &all[0]["check_name"], &Value::from("AW101"))?;
            expect_eq("description", &all[0]["description"], &Value::from(format!("AW101: {MSG}")))?;
            expect_eq("severity", &all[0]["severity"], &Value::from("major"))?;
            expect_eq("path", &all[0]["location"]["path"], &Value::from("a.py"))?;
            expect_eq("begin", &all[1]["location"]["positions"]["begin"], &serde_json::json!({"line": 5, "column": 5}))?;
            expect_eq("end", &all[1]["location"]["positions"]["end"], &serde_json::json!({"line": 5, "column": 18}))?;
            let fingerprints: Vec<&str> = all.iter().filter_map(|e| e["fingerprint"].as_str()).collect();
            if fingerprints.len() != 2 || fingerprints[0] == fingerprints[1] || fingerprints.iter().any(|f| f.len() != 16) {
                return Err(format!("fingerprints: {fingerprints:?}"));
            }
            Ok(())
        })
        // The fingerprints are the same in every run (GitLab compares them between pipelines).
        .run(["check", "--output-format", "gitlab", "a.py"]).code(1)
        .stdout_has("\"fingerprint\": \"");

    // ---- the report's pictures -------------------------------------------------------------------

    report_draws_call_paths_in_mermaid => helper_project()
        .run(["report", "pkg"]).code(1)
        .stdout_has("## Call paths\n")
        .stdout_has("### `pkg/db.py` (1 path)\n\n```mermaid\nflowchart LR\n  n0([\"pkg.app.handle\"])\n  n1[\"load\"]\n  n2{{\"time.sleep\"}}\n  n0 --> n1\n  n1 --> n2\n")
        .stdout_has("  class n0 async\n  class n2 blocking\n```\n")
        .run(["report", "--output-format", "json", "pkg"]).code(1)
        .check(|o| {
            let v = json_stdout(o)?;
            expect_eq("call path", &v["call_paths"][0]["path"], &serde_json::json!(["pkg.app.handle", "load", "time.sleep"]))
        });
}

/// The README's first set-up command succeeds: a dry run that shows the migration and exits 0
/// (scripts keep exit 1 for pending changes without `--exit-zero`).
#[test]
fn readme_first_command_succeeds() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo install --locked --path . && awaitify "))
        .expect("the README's set-up command");
    let command = line.split("&& awaitify ").nth(1).unwrap();
    let args: Vec<&str> = command.split_whitespace().collect();
    let output = std::process::Command::new(BIN)
        .args(&args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "awaitify {command}: {output:?}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("+++ examples/"));
    // Without `--exit-zero`, pending changes still exit 1.
    let args: Vec<&str> = args.into_iter().filter(|a| *a != "--exit-zero").collect();
    let output = std::process::Command::new(BIN)
        .args(&args)
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

/// Checking and fixing one big file costs about its size: four times the findings take about
/// four times as long, not sixteen (a file of generated code or a vendored module is this big).
#[test]
fn one_big_file_scales_linearly() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, n: usize| {
        let mut source = String::from("import time\n\n");
        for i in 0..n {
            source += &format!("def h{i}(x):\n    return x + {i}\n\nasync def f{i}(x):\n    y = h{i}(x)\n    time.sleep(1)\n    return y\n\n");
        }
        std::fs::write(dir.path().join(name), source).unwrap();
    };
    write("small.py", 1500);
    write("big.py", 6000);
    let time = |args: &[&str]| {
        let mut best = std::time::Duration::MAX;
        for _ in 0..2 {
            let started = std::time::Instant::now();
            let output = std::process::Command::new(BIN)
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert_ne!(output.status.code(), Some(2), "{args:?}: {output:?}");
            best = best.min(started.elapsed());
        }
        best
    };
    for args in [&["check", "--phase", "1"][..], &["check"][..], &["fix"][..]] {
        let small = time(&[args, &["small.py"]].concat());
        let big = time(&[args, &["big.py"]].concat());
        let ratio = big.as_secs_f64() / small.as_secs_f64().max(0.001);
        assert!(
            ratio < 9.0,
            "{args:?}: 4 times the file took {ratio:.1} times as long ({small:?} → {big:?})"
        );
    }
}
