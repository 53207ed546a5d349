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
const SLEEP: &str = "import time\n\nasync def f():\n    time.sleep(1)\n";
const SLEEP_FIXED: &str = "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n";
const TWO: &str = "import time\n\nasync def f():\n    time.sleep(1)\n    time.sleep(2)\n";
const TWO_FIXED: &str =
    "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n    await asyncio.sleep(2)\n";
/// A finding without a fix (an `await` in a generator expression would change its type).
const GEN: &str = "import time\n\nasync def f():\n    g = (time.sleep(1) for _ in range(3))\n";
/// `time` stays imported (used elsewhere), so `import asyncio` is a new line.
const KEEP: &str =
    "import time\n\nasync def f():\n    time.sleep(1)\n\ndef g():\n    return time.time()\n";
const KEEP_FIXED: &str = "import time\nimport asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n\ndef g():\n    return time.time()\n";
const SYNTAX_ERROR: &str = "def f(:\n    pass\n";
const LATIN1: &[u8] = b"x = '\xe9'\n";
const BINARY: &[u8] = b"ab\0cd\n";

const MSG: &str = "`time.sleep` blocks the event loop in async code";
const GEN_REASON: &str =
    "(no fix: `await` cannot be added here (a generator expression or a class body))";
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
        .run(["check"]).code(0).stdout("All checks passed!\n").stderr("");

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
        .stdout(finding("./a.py", 4, 5) + &finding("./sub/b.py", 4, 5) + &summary(2, 2));

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
        .stderr_has("[possible values: text, json, github, sarif]");

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
        .run(["check"]).code(1).stderr("").stdout(walk_expected("./"));

    check_walks_directories_given_as_dot => walk_tree()
        .run(["check", "."]).code(1).stdout(walk_expected("./"));

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
        .stdout(finding("./stub.pyi", 4, 5) + &finding("./top.py", 4, 5) + &summary(2, 2));

    check_exclude_glob => walk_tree()
        .run(["check", "--exclude", "*.pyi", "--exclude", "pkg/deep"]).code(1)
        .stdout(finding("./pkg/mod.py", 4, 5) + &finding("./top.py", 4, 5) + &summary(2, 2));

    check_exclude_everything => walk_tree()
        .run(["check", "--exclude", "*.py*"]).code(0).stdout("All checks passed!\n");

    check_exclude_does_not_apply_to_named_files => Case::new()
        .file("pkg/a.py", SLEEP)
        .run(["check", "--exclude", "pkg", "pkg/a.py"]).code(1).stdout(finding("pkg/a.py", 4, 5) + &summary(1, 1));

    check_exclude_with_dot_slash => walk_tree()
        .run(["check", "--exclude", "./pkg"]).code(1)
        .stdout(finding("./stub.pyi", 4, 5) + &finding("./top.py", 4, 5) + &summary(2, 2));

    check_exclude_with_trailing_slash => walk_tree()
        .run(["check", "--exclude", "pkg/"]).code(1)
        .stdout(finding("./stub.pyi", 4, 5) + &finding("./top.py", 4, 5) + &summary(2, 2));

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
        .stdout(diff_header("./a.py")
            + "@@ -1,5 +1,5 @@\n-import time\n+import asyncio\n \n async def f():\n-    time.sleep(1)\n-    time.sleep(2)\n+    await asyncio.sleep(1)\n+    await asyncio.sleep(2)\n"
            + &diff_header("./b.py") + DIFF_SLEEP_HUNK)
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
        .stderr(format!("No fixes available.\n1 finding remains unfixed:\n  gen.py:4:10: AW101 {MSG} {GEN_REASON}\n"))
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
        .stderr(format!("Fixed 1 finding in 1 file.\n1 finding remains unfixed:\n  gen.py:4:10: AW101 {MSG} {GEN_REASON}\n"))
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
        .stderr(format!("No fixes applied.\n1 finding remains unfixed:\n  -:4:10: AW101 {MSG} {GEN_REASON}\n"));

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
        .stdout_has("CODE    ID               PHASE  FIX        RUFF      SUMMARY\n")
        .stdout_has("AW101   time-sleep       1      sometimes  ASYNC251  `time.sleep` in async code blocks the event loop; use `await asyncio.sleep`\n");

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
        .stderr(format!("./{BINARY_LINE}Fixed 1 finding in 1 file.\n"))
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
        .stdout(finding("./a.py", 4, 5) + "Found 1 finding.\n2 files could not be checked.\n[*] 1 fixable with `awaitify fix --write`.\n")
        .check(|o| {
            let err = o.stderr_text();
            let lines: Vec<&str> = err.lines().collect();
            expect_eq("number of stderr lines", lines.len(), 2)?;
            for name in ["./loop_a.py", "./loop_b.py"] {
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
        .stderr_has("./loop_a.py: error: symbolic link loop (too many levels of symbolic links)\n")
        .stderr_has("./loop_b.py: error: symbolic link loop (too many levels of symbolic links)\n");

    bad_directory_symlink_to_an_ancestor => Case::new()
        .file("a.py", SLEEP).symlink("sub/up", "..")
        .run(["check"]).code(2)
        .stdout_has(&finding("./a.py", 4, 5))
        .stderr("./sub/up: error: symbolic link loop (points back to .); skipped\n");

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
        .now("tabs.py", "import time\nimport asyncio\n\nasync def f():\n\tif f:\n\t\tawait asyncio.sleep(1)\n\ndef g():\n\treturn time.time()\n")
        .now("tabs2.py", tabs(TWO_FIXED));

    github_escapes_file_names => Case::new()
        .file("we,ird:name.py", SLEEP)
        .run(["check", "--output-format", "github", "we,ird:name.py"]).code(1)
        .stdout_has("file=we%2Cird%3Aname.py,line=4,");
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
        assert!(
            !stderr.contains("panicked") && output.status.code() != Some(101),
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
