//! Property-based fuzzing: real Python files (every `.py` under `tests/fixtures/` and
//! `examples/`) are mutated at random (deleted, duplicated and swapped lines, inserted
//! snippets, renamed identifiers, truncation, stray unicode), and every mutated input must
//! satisfy:
//!
//! 1. neither `check_source` nor `fix_source` (safe, and with unsafe fixes) panics;
//! 2. if the input parses, the fixed output parses; a refusal is allowed by design but is
//!    reported (and is a failure only if the returned text is not the input);
//! 3. fixing the output again changes nothing;
//! 4. if the input does not parse, `fix_source` returns `Err`, never a "fixed" text;
//! 5. the byte pre-check of a recipe that finds something holds (`Recipe::may_apply`: a file
//!    it rules out is never parsed in a run).
//!
//! Each case is generated from its own seed by a small xorshift PRNG, so a failure is replayed
//! with `AWAITIFY_FUZZ_SEED=<seed> cargo test --test fuzz_mutations -- --nocapture` (as long as
//! the set of seed files has not changed; the printed reproduction is the durable artifact:
//! it is shrunk line by line and can be dropped into `tests/fixtures/`).
//!
//! `AWAITIFY_FUZZ_ITERATIONS` (default 3000) sets the number of cases, e.g.
//! `AWAITIFY_FUZZ_ITERATIONS=200000 cargo test --release --test fuzz_mutations -- --nocapture`.
//! `AWAITIFY_FUZZ_START` offsets the case numbers, to explore new cases in another run.
//! `AWAITIFY_FUZZ_THREADS` overrides the number of worker threads.
//!
//! `AWAITIFY_FUZZ_PYTHON=python3` (a Python interpreter) adds CPython as an oracle: when
//! CPython compiles an input, it must compile the fixed output too (the parser accepts some
//! things CPython's compiler rejects, such as `await` outside an async function).
//!
//! Also reported, without failing the test: fixes refused, and import lines that the fix
//! duplicated.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use awaitify::codemods::RECIPES;
use awaitify::parse::{is_valid_module, parse_module};
use awaitify::pipeline::{check_source, fix_source, Settings};

const DEFAULT_ITERATIONS: usize = 3000;
/// Shrinking stops after this many candidate evaluations per distinct finding.
const SHRINK_BUDGET: usize = 1500;
/// A case running longer than this is reported (it may hang the test).
const SLOW_CASE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// PRNG

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(splitmix64(seed) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next() % n as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The seed of case number `i`.
fn case_seed(i: u64) -> u64 {
    splitmix64(i ^ 0xA3A1_7F1E_5EED_0000)
}

// ---------------------------------------------------------------------------------------------
// Mutations

const SNIPPETS: &[&str] = &[
    "time.sleep(x)",
    "await asyncio.sleep(1)",
    "async def f():",
    "conn = sqlite3.connect(p)",
    "for r in cur:",
    "with conn:",
    "subprocess.run(cmd)",
    "import time",
    "from time import sleep",
    "import asyncio as aio",
    "def g():",
    "lambda: time.sleep(1)",
    "(",
    ")",
    "\"\"\"",
    "\\",
    "# comment",
    "\t",
    "\r\n",
];

/// More snippets from the recipes' territory (imports, connections, cursors, subprocess
/// calls, scopes and compound statements, suppression comments).
const MORE_SNIPPETS: &[&str] = &[
    "with sqlite3.connect(p) as conn:",
    "cur = conn.execute(q)",
    "conn.commit()",
    "conn.close()",
    "row = cur.fetchone()",
    "sqlite3.connect(p).execute(q)",
    "return conn",
    "yield conn",
    "x = [time.sleep(i) for i in y]",
    "print(subprocess.check_output(cmd).strip())",
    "os.system(cmd)",
    "import os",
    "import sqlite3",
    "import subprocess",
    "import time as t",
    "from subprocess import run",
    "from sqlite3 import connect",
    "from time import *",
    "t.sleep(0.5)",
    "sleep(1)",
    "global conn",
    "nonlocal conn",
    "del time",
    "time = None",
    "class C:",
    "@decorator",
    "if x:",
    "else:",
    "try:",
    "except Exception:",
    "finally:",
    "while True:",
    "async with conn:",
    "async for r in cur:",
    "match x:",
    "case _:",
    "pass",
    "return",
    "f(lambda: subprocess.run(cmd))",
    "print(f\"{time.sleep(1)}\")",
    "if __name__ == \"__main__\":",
    "time.sleep(1)  # noqa",
    "time.sleep(1)  # awaitify: ignore[AW102]",
    "# awaitify: skip-file",
    "x = (",
    "]",
    "'",
    ";",
    "await",
    "import asyncio",
    "asyncio.sleep(1)",
    "await asyncio . sleep(0)",
    "asyncio = time",
    "import time as asyncio",
    "def h(asyncio=time):",
    "x = (time",
    ".sleep)(1)",
    "os . system(cmd)",
    "from os import popen",
    "popen(cmd).read()",
    "return {'role': 'system'}",
];

const IDENTIFIERS: &[&str] = &["time", "sleep", "asyncio", "conn", "self"];

const UNICODE: &[char] = &[
    'é', 'ß', 'λ', '中', '𝔘', // astral: 4 bytes in UTF-8, 2 UTF-16 units
    '😀', '\u{0301}', // combining acute accent
    '\u{200B}', // zero-width space
    '\u{FEFF}', // BOM / zero-width no-break space
    '\u{2028}', // line separator
    '\u{0085}', // next line
    '\u{00A0}', // no-break space
    '\u{000C}', // form feed
    '\u{000B}', // vertical tab
    '\u{0000}', '\r', '\t', 'ﬁ', // NFKC-normalizes to "fi"
    '𝐭', // NFKC-normalizes to "t"
];

/// Splits into lines keeping their terminators.
fn lines_of(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_owned).collect()
}

fn indentation(line: &str) -> &str {
    let end = line
        .find(|c: char| !matches!(c, ' ' | '\t' | '\x0c'))
        .unwrap_or(line.len());
    &line[..end]
}

fn eol_of(line: &str) -> &'static str {
    if line.ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

fn with_terminator(mut line: String) -> String {
    if !line.ends_with('\n') {
        line.push('\n');
    }
    line
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// A random char boundary of `text` (including its end).
fn char_boundary(rng: &mut Rng, text: &str) -> usize {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn random_snippet(rng: &mut Rng) -> &'static str {
    let list = if rng.one_in(2) {
        SNIPPETS
    } else {
        MORE_SNIPPETS
    };
    list[rng.below(list.len())]
}

fn random_char(rng: &mut Rng) -> char {
    if rng.one_in(3) {
        // Anything at all, from the BMP or beyond.
        loop {
            let candidate = if rng.one_in(4) {
                rng.below(0x11_0000) as u32
            } else {
                rng.below(0x1_0000) as u32
            };
            if let Some(c) = char::from_u32(candidate) {
                return c;
            }
        }
    }
    *rng.pick(UNICODE)
}

/// Applies one random mutation, returning its description.
fn mutate(rng: &mut Rng, text: &mut String, files: &[SeedFile]) -> String {
    let mut lines = lines_of(text);
    let description;
    match rng.below(11) {
        // Delete a line.
        0 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            lines.remove(i);
            description = format!("delete line {}", i + 1);
        }
        // Duplicate a line.
        1 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            let copy = with_terminator(lines[i].clone());
            lines.insert(i, copy);
            description = format!("duplicate line {}", i + 1);
        }
        // Swap two lines.
        2 if lines.len() >= 2 => {
            let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
            let last = lines.len() - 1;
            lines[last] = with_terminator(lines[last].clone());
            lines.swap(i, j);
            description = format!("swap lines {} and {}", i + 1, j + 1);
        }
        // Insert a snippet as a new line, with the indentation of the line it goes before.
        3 | 4 => {
            let i = rng.below(lines.len() + 1);
            let snippet = random_snippet(rng);
            let (indent, eol) = match lines.get(i) {
                Some(line) => (indentation(line).to_owned(), eol_of(line)),
                None => (String::new(), "\n"),
            };
            if i == lines.len() && i > 0 {
                lines[i - 1] = with_terminator(lines[i - 1].clone());
            }
            // A block opener gets the rest of the block as its body half of the time.
            let wrap = snippet.ends_with(':') && rng.one_in(2);
            if wrap {
                let step = if indent.contains('\t') { "\t" } else { "    " };
                for line in lines.iter_mut().skip(i) {
                    if !is_blank(line) && indentation(line).len() < indent.len() {
                        break;
                    }
                    if !is_blank(line) {
                        line.insert_str(0, step);
                    }
                }
            }
            lines.insert(i, format!("{indent}{snippet}{eol}"));
            description = format!(
                "insert {snippet:?} before line {}{}",
                i + 1,
                if wrap { " (wrapping the block)" } else { "" }
            );
        }
        // Insert a snippet inside a line.
        5 if !text.is_empty() => {
            let snippet = random_snippet(rng);
            let at = char_boundary(rng, text);
            text.insert_str(at, snippet);
            return format!("insert {snippet:?} at byte {at}");
        }
        // Replace an identifier occurrence with another.
        6 => {
            let occurrences = identifiers(text);
            if occurrences.is_empty() {
                return "no identifier to replace".to_owned();
            }
            let (start, end) = *rng.pick(&occurrences);
            let replacement = *rng.pick(IDENTIFIERS);
            let old = text[start..end].to_owned();
            text.replace_range(start..end, replacement);
            return format!("replace {old:?} at byte {start} with {replacement:?}");
        }
        // Splice lines of another seed file in, re-indented to the line they go before.
        8 => {
            let donor = lines_of(&rng.pick(files).text);
            if donor.is_empty() {
                return "no donor lines".to_owned();
            }
            let from = rng.below(donor.len());
            let to = (from + 1 + rng.below(8)).min(donor.len());
            let block: Vec<String> = donor[from..to]
                .iter()
                .cloned()
                .map(with_terminator)
                .collect();
            let common = block
                .iter()
                .filter(|l| !is_blank(l))
                .map(|l| indentation(l).len())
                .min()
                .unwrap_or(0);
            let i = rng.below(lines.len() + 1);
            let indent = lines
                .get(i)
                .map(|l| indentation(l).to_owned())
                .unwrap_or_default();
            if i == lines.len() && i > 0 {
                lines[i - 1] = with_terminator(lines[i - 1].clone());
            }
            for (k, line) in block.iter().enumerate() {
                let body = if is_blank(line) {
                    line.as_str()
                } else {
                    &line[common.min(indentation(line).len())..]
                };
                lines.insert(i + k, format!("{indent}{body}"));
            }
            description = format!(
                "splice lines {}..={} of another file before line {}",
                from + 1,
                to,
                i + 1
            );
        }
        // Indent or dedent a run of lines by one level.
        9 if !lines.is_empty() => {
            let from = rng.below(lines.len());
            let to = (from + 1 + rng.below(6)).min(lines.len());
            let indent = rng.one_in(2);
            for line in &mut lines[from..to] {
                if indent {
                    line.insert_str(0, if line.starts_with('\t') { "\t" } else { "    " });
                } else {
                    let remove =
                        indentation(line)
                            .len()
                            .min(if line.starts_with('\t') { 1 } else { 4 });
                    line.drain(..remove);
                }
            }
            description = format!(
                "{} lines {}..={}",
                if indent { "indent" } else { "dedent" },
                from + 1,
                to
            );
        }
        // Truncate, or insert a unicode char.
        _ => {
            if rng.one_in(3) {
                let at = char_boundary(rng, text);
                text.truncate(at);
                return format!("truncate at byte {at}");
            }
            let c = random_char(rng);
            let at = char_boundary(rng, text);
            text.insert(at, c);
            return format!("insert {c:?} at byte {at}");
        }
    }
    *text = lines.concat();
    description
}

/// Byte ranges of the ASCII identifiers in `text` (strings and comments included).
fn identifiers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let preceded =
                start > 0 && (bytes[start - 1].is_ascii_digit() || bytes[start - 1] >= 0x80);
            let followed = i < bytes.len() && bytes[i] >= 0x80;
            if !preceded && !followed {
                found.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Seeds and cases

struct SeedFile {
    name: String,
    text: String,
}

fn collect_py(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_py(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

fn seed_files() -> Vec<SeedFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    collect_py(&root.join("tests/fixtures"), &mut paths);
    collect_py(&root.join("examples"), &mut paths);
    paths.sort();
    let files: Vec<SeedFile> = paths
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let name = path
                .strip_prefix(root)
                .unwrap_or(path)
                .display()
                .to_string();
            Some(SeedFile { name, text })
        })
        .collect();
    assert!(
        !files.is_empty(),
        "no seed files under tests/fixtures/ or examples/"
    );
    files
}

struct Case {
    file: usize,
    mutations: Vec<String>,
    text: String,
}

fn generate(seed: u64, files: &[SeedFile]) -> Case {
    let mut rng = Rng::new(seed);
    let file = rng.below(files.len());
    let mut text = files[file].text.clone();
    // Mostly one or two mutations, so that many inputs still parse.
    let count = match rng.below(10) {
        0..=4 => 1,
        5..=7 => 2,
        _ => 3 + rng.below(3),
    };
    let mutations = (0..count)
        .map(|_| mutate(&mut rng, &mut text, files))
        .collect();
    Case {
        file,
        mutations,
        text,
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Panic,
    InvalidOutput,
    CPythonRejectsOutput,
    FixedInvalidInput,
    ParserDisagreement,
    NonIdempotent,
    RefusedButChanged,
    PrecheckMiss,
    DuplicateImport,
    Refusal,
}

impl Kind {
    fn is_failure(self) -> bool {
        !matches!(self, Kind::Refusal | Kind::DuplicateImport)
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Panic => "PANIC",
            Kind::InvalidOutput => "INVALID OUTPUT (input parses, fixed output does not)",
            Kind::FixedInvalidInput => "FIXED AN INVALID INPUT (fix_source returned Ok)",
            Kind::ParserDisagreement => "PARSER DISAGREEMENT (is_valid_module vs check/fix)",
            Kind::NonIdempotent => "NON-IDEMPOTENT (a second fix run changed the output)",
            Kind::RefusedButChanged => "REFUSED BUT THE TEXT CHANGED",
            Kind::PrecheckMiss => {
                "PRE-CHECK MISS (a recipe finds something its byte test rules out)"
            }
            Kind::CPythonRejectsOutput => {
                "CPYTHON REJECTS THE OUTPUT (CPython compiles the input, not the fixed output)"
            }
            Kind::DuplicateImport => "DUPLICATE IMPORT ADDED (reported, not a failure)",
            Kind::Refusal => "REFUSAL (allowed, should be rare)",
        }
    }
}

struct Finding {
    kind: Kind,
    /// What makes two findings the same bug (used to deduplicate and to shrink).
    signature: String,
    detail: String,
}

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Panics on fuzzing threads are recorded (message, location) instead of printed.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "<non-string panic payload>".to_owned());
                let location = info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some((message, location)));
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `Err((message, location))`.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, (String, String)> {
    CAPTURING.with(|c| c.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(false));
    result.map_err(|_| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| ("<unknown panic>".to_owned(), String::new()))
    })
}

fn settings(unsafe_fixes: bool) -> Settings {
    Settings::new(RECIPES.to_vec(), unsafe_fixes)
}

fn mode(unsafe_fixes: bool) -> &'static str {
    if unsafe_fixes {
        "unsafe fixes"
    } else {
        "safe fixes"
    }
}

fn parse_error(text: &str) -> String {
    match parse_module(text) {
        Ok(_) => "parses".to_owned(),
        Err(e) => format!("{} at byte {}", e.message, u32::from(e.offset)),
    }
}

fn codes(applied: &BTreeMap<&'static str, usize>) -> String {
    applied.keys().copied().collect::<Vec<_>>().join(",")
}

fn panic_finding(what: &str, (message, location): (String, String)) -> Finding {
    Finding {
        kind: Kind::Panic,
        signature: format!("panic in {what} at {location}"),
        detail: format!("panic in {what} at {location}: {message}"),
    }
}

fn diff(before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .to_string()
}

/// What one case exercised.
#[derive(Default)]
struct Coverage {
    /// The input parses.
    valid: bool,
    /// A fix run (safe or unsafe) changed the input.
    fixed: bool,
}

/// Checks every property on one input.
fn run_properties(text: &str, coverage: &mut Coverage) -> Vec<Finding> {
    let mut findings = Vec::new();
    let is_valid = match guard(|| is_valid_module(text)) {
        Ok(v) => v,
        Err(p) => {
            findings.push(panic_finding("is_valid_module", p));
            return findings;
        }
    };
    coverage.valid = is_valid;
    // Whether CPython compiles the input (asked once, when a fix changed something).
    let mut input_compiles: Option<bool> = None;

    match guard(|| check_source(text, &settings(true))) {
        Err(p) => findings.push(panic_finding("check_source", p)),
        Ok(checked) if checked.is_ok() != is_valid => {
            let parsed = checked.is_ok();
            findings.push(Finding {
                kind: Kind::ParserDisagreement,
                signature: format!("check_source Ok={parsed} but is_valid_module={is_valid}"),
                detail: format!("check_source Ok={parsed} but is_valid_module={is_valid}"),
            })
        }
        Ok(checked) => {
            let settings = settings(true);
            for diagnostic in checked.unwrap_or_default() {
                let recipe = RECIPES.iter().find(|r| r.meta().code == diagnostic.code());
                if let Some(recipe) = recipe.filter(|r| r.meta().phase != 2) {
                    if !recipe.may_apply_with(text, &settings) {
                        findings.push(Finding {
                            kind: Kind::PrecheckMiss,
                            signature: format!("{} pre-check miss", diagnostic.code()),
                            detail: format!(
                                "{} finds something at {:?} that its byte pre-check rules out",
                                diagnostic.code(),
                                diagnostic.range
                            ),
                        });
                    }
                }
            }
        }
    }

    for unsafe_fixes in [false, true] {
        let settings = settings(unsafe_fixes);
        let mode = mode(unsafe_fixes);
        let outcome = match guard(|| fix_source(text, &settings)) {
            Err(p) => {
                findings.push(panic_finding(&format!("fix_source ({mode})"), p));
                continue;
            }
            Ok(Err(error)) => {
                if is_valid {
                    findings.push(Finding {
                        kind: Kind::ParserDisagreement,
                        signature: "fix_source Err on a valid input".to_owned(),
                        detail: format!(
                            "fix_source ({mode}) returned Err on a valid input: {error:?}"
                        ),
                    });
                }
                continue;
            }
            Ok(Ok(outcome)) => outcome,
        };
        if !is_valid {
            findings.push(Finding {
                kind: Kind::FixedInvalidInput,
                signature: format!("fix_source Ok on an invalid input ({mode})"),
                detail: format!(
                    "fix_source ({mode}) returned Ok on an input that does not parse ({}); refused={:?}; diff:\n{}",
                    parse_error(text),
                    outcome.refused,
                    diff(text, &outcome.text)
                ),
            });
            continue;
        }
        if let Some(reason) = &outcome.refused {
            if outcome.text != text {
                findings.push(Finding {
                    kind: Kind::RefusedButChanged,
                    signature: format!("refused but changed ({mode})"),
                    detail: format!(
                        "({mode}) refused ({reason}) but returned a different text:\n{}",
                        diff(text, &outcome.text)
                    ),
                });
            } else {
                findings.push(Finding {
                    kind: Kind::Refusal,
                    signature: format!("refused: {reason}"),
                    detail: format!("({mode}) refused: {reason}"),
                });
            }
            continue;
        }
        match guard(|| is_valid_module(&outcome.text)) {
            Err(p) => {
                findings.push(panic_finding("is_valid_module (on the output)", p));
                continue;
            }
            Ok(false) => {
                findings.push(Finding {
                    kind: Kind::InvalidOutput,
                    signature: format!(
                        "invalid output after {} ({mode}): {}",
                        codes(&outcome.applied),
                        parse_module(&outcome.text)
                            .err()
                            .map(|e| e.message)
                            .unwrap_or_default()
                    ),
                    detail: format!(
                        "({mode}) applied {:?}; the output does not parse ({}); diff:\n{}",
                        outcome.applied,
                        parse_error(&outcome.text),
                        diff(text, &outcome.text)
                    ),
                });
                continue;
            }
            Ok(true) => {}
        }
        coverage.fixed |= outcome.text != text;
        if outcome.text != text {
            if let Some(finding) = duplicated_import(text, &outcome.text, mode) {
                findings.push(finding);
            }
            if input_compiles.is_none() {
                input_compiles = Some(cpython_compile(text).is_some_and(|r| r.is_ok()));
            }
            if input_compiles == Some(true) {
                if let Some(Err(error)) = cpython_compile(&outcome.text) {
                    let message = error.split('\t').next().unwrap_or_default().to_owned();
                    findings.push(Finding {
                        kind: Kind::CPythonRejectsOutput,
                        signature: format!(
                            "CPython rejects the output after {} ({mode}): {message}",
                            codes(&outcome.applied)
                        ),
                        detail: format!(
                            "({mode}) applied {:?}; CPython: {}; diff:\n{}",
                            outcome.applied,
                            error.replace('\t', " at line "),
                            diff(text, &outcome.text)
                        ),
                    });
                }
            }
        }
        match guard(|| fix_source(&outcome.text, &settings)) {
            Err(p) => findings.push(panic_finding(
                &format!("fix_source on the output ({mode})"),
                p,
            )),
            Ok(Err(error)) => findings.push(Finding {
                kind: Kind::ParserDisagreement,
                signature: "fix_source Err on its own (parsing) output".to_owned(),
                detail: format!("({mode}) fix_source on the output returned Err: {error:?}"),
            }),
            Ok(Ok(again)) => {
                if again.text != outcome.text {
                    findings.push(Finding {
                        kind: Kind::NonIdempotent,
                        signature: format!(
                            "second run applied {} after {} ({mode})",
                            codes(&again.applied),
                            codes(&outcome.applied)
                        ),
                        detail: format!(
                            "({mode}) first run applied {:?}, second run applied {:?}; second diff:\n{}",
                            outcome.applied,
                            again.applied,
                            diff(&outcome.text, &again.text)
                        ),
                    });
                } else if let Some(reason) = &again.refused {
                    findings.push(Finding {
                        kind: Kind::Refusal,
                        signature: format!("refused on the second run: {reason}"),
                        detail: format!(
                            "({mode}) the first run applied {:?}; the second run refused: {reason}",
                            outcome.applied
                        ),
                    });
                }
            }
        }
    }
    // Both modes often find the same thing: keep one finding per signature.
    findings.dedup_by(|a, b| a.signature == b.signature);
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert(f.signature.clone()));
    findings
}

/// Top-level imports (`import m`, `import m as a`, `from m import n as a`) that the fix made
/// appear more than once, and more often than in the input.
fn duplicated_import(input: &str, output: &str, mode: &str) -> Option<Finding> {
    use awaitify::parse::ast::Stmt;
    let imports = |text: &str| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let Ok(parsed) = parse_module(text) else {
            return counts;
        };
        for stmt in parsed.suite() {
            let (prefix, names) = match stmt {
                Stmt::Import(import) => ("import ".to_owned(), &import.names),
                Stmt::ImportFrom(import) => (
                    format!(
                        "from {}{} import ",
                        ".".repeat(import.level as usize),
                        import.module.as_ref().map_or("", |m| m.id.as_str())
                    ),
                    &import.names,
                ),
                _ => continue,
            };
            for alias in names {
                let mut key = format!("{prefix}{}", alias.name.id.as_str());
                if let Some(asname) = &alias.asname {
                    let _ = write!(key, " as {}", asname.id.as_str());
                }
                *counts.entry(key).or_default() += 1;
            }
        }
        counts
    };
    let (before, after) = (imports(input), imports(output));
    let (import, _) = after
        .iter()
        .find(|(key, &n)| n > 1 && n > before.get(*key).copied().unwrap_or(0))?;
    Some(Finding {
        kind: Kind::DuplicateImport,
        signature: format!("the fix imports `{import}` twice"),
        detail: format!("({mode}) diff:\n{}", diff(input, output)),
    })
}

// ---------------------------------------------------------------------------------------------
// CPython as an oracle (optional)

/// Compiles each source it is sent (`<byte length>\n<bytes>`); answers `ok` or
/// `err <message>\t<line>`.
const ORACLE_SCRIPT: &str = r#"
import sys
inp, out = sys.stdin.buffer, sys.stdout
while True:
    header = inp.readline()
    if not header:
        break
    source = inp.read(int(header))
    try:
        compile(source, "<fuzz>", "exec", dont_inherit=True)
        out.write("ok\n")
    except Exception as e:
        message = (e.args[0] if isinstance(e, SyntaxError) and e.args else repr(e))
        line = getattr(e, "lineno", None)
        out.write("err " + " ".join(str(message).split()) + "\t" + str(line) + "\n")
    out.flush()
"#;

struct Oracle {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

thread_local! {
    /// One interpreter per thread, started on first use; `None` inside when disabled.
    static ORACLE: RefCell<Option<Option<Oracle>>> = const { RefCell::new(None) };
}

fn start_oracle() -> Option<Oracle> {
    let python = std::env::var("AWAITIFY_FUZZ_PYTHON").ok()?;
    let mut child = Command::new(&python)
        .args(["-c", ORACLE_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("AWAITIFY_FUZZ_PYTHON={python}: {e}"));
    let stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    Some(Oracle {
        _child: child,
        stdin,
        stdout,
    })
}

/// Whether CPython compiles `text`; `None` when the oracle is disabled.
fn cpython_compile(text: &str) -> Option<Result<(), String>> {
    ORACLE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let oracle = cell.get_or_insert_with(start_oracle).as_mut()?;
        writeln!(oracle.stdin, "{}", text.len()).ok()?;
        oracle.stdin.write_all(text.as_bytes()).ok()?;
        oracle.stdin.flush().ok()?;
        let mut answer = String::new();
        oracle.stdout.read_line(&mut answer).ok()?;
        let answer = answer.trim_end_matches('\n');
        match answer.strip_prefix("err ") {
            Some(error) => Some(Err(error.to_owned())),
            None if answer == "ok" => Some(Ok(())),
            None => panic!("the Python oracle answered {answer:?}"),
        }
    })
}

/// Removes lines (chunks, then single lines) while the finding with `signature` persists.
fn shrink(text: &str, signature: &str) -> String {
    let budget = Cell::new(SHRINK_BUDGET);
    let still_fails = |candidate: &str| {
        if budget.get() == 0 {
            return false;
        }
        budget.set(budget.get() - 1);
        run_properties(candidate, &mut Coverage::default())
            .iter()
            .any(|f| f.signature == signature)
    };

    // Lines.
    let mut units: Vec<String> = lines_of(text);
    let mut chunk = (units.len() / 2).max(1);
    loop {
        let mut progress = false;
        let mut i = 0;
        while i < units.len() {
            let end = (i + chunk).min(units.len());
            let candidate: String = units[..i].concat() + &units[end..].concat();
            if still_fails(&candidate) {
                units.drain(i..end);
                progress = true;
            } else {
                i += chunk;
            }
        }
        if !progress {
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
        if budget.get() == 0 {
            break;
        }
    }
    // Then windows of 2 to 4 lines at every offset (a block header with its body, say).
    let mut progress = true;
    while progress && budget.get() > 0 {
        progress = false;
        for size in (2..=4).rev() {
            let mut i = 0;
            while i + size <= units.len() {
                let candidate: String = units[..i].concat() + &units[i + size..].concat();
                if still_fails(&candidate) {
                    units.drain(i..i + size);
                    progress = true;
                } else {
                    i += 1;
                }
            }
        }
        let mut i = 0;
        while i < units.len() {
            let candidate: String = units[..i].concat() + &units[i + 1..].concat();
            if still_fails(&candidate) {
                units.remove(i);
                progress = true;
            } else {
                i += 1;
            }
        }
    }
    units.concat()
}

// ---------------------------------------------------------------------------------------------
// The driver

/// One input that showed a finding.
struct Example {
    seed: u64,
    mutations: Vec<String>,
    source: String,
    detail: String,
}

/// Every case that showed one signature; the smallest example is kept per seed file, since
/// one signature (a refusal reason, say) can have several causes.
struct Record {
    kind: Kind,
    signature: String,
    count: usize,
    examples: BTreeMap<String, Example>,
}

/// Distinct reproductions printed per signature.
const EXAMPLES_SHOWN: usize = 6;

#[derive(Default)]
struct Totals {
    cases: usize,
    valid: usize,
    fixed: usize,
    by_kind: BTreeMap<Kind, usize>,
    records: BTreeMap<String, Record>,
    slowest: Vec<(Duration, u64, String)>,
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}"))
    })
}

fn parse_seed(value: &str) -> u64 {
    let value = value.trim();
    match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    }
    .unwrap_or_else(|_| panic!("AWAITIFY_FUZZ_SEED must be a number, not {value:?}"))
}

fn fenced(source: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "    ----- begin (exact text as a Rust string literal) -----"
    );
    let _ = writeln!(out, "    {source:?}");
    let _ = writeln!(out, "    ----- as a file (␍ = \\r, → = tab) -----");
    for line in source.split_inclusive('\n') {
        let shown = line
            .trim_end_matches('\n')
            .replace('\r', "␍")
            .replace('\t', "→");
        let _ = writeln!(out, "    | {shown}");
    }
    let _ = writeln!(out, "    ----- end -----");
    out
}

fn replay(seed: u64, files: &[SeedFile]) {
    let case = generate(seed, files);
    println!(
        "seed {seed:#018x}: {} with mutations {:?}",
        files[case.file].name, case.mutations
    );
    print!("{}", fenced(&case.text));
    let mut coverage = Coverage::default();
    let findings = run_properties(&case.text, &mut coverage);
    println!(
        "input parses: {}; fixes changed it: {}",
        coverage.valid, coverage.fixed
    );
    for f in &findings {
        println!("[{}] {}\n{}", f.kind.title(), f.signature, f.detail);
    }
    assert!(
        findings.iter().all(|f| !f.kind.is_failure()),
        "seed {seed:#018x} fails"
    );
}

#[test]
fn mutated_sources_keep_the_fix_properties() {
    install_panic_hook();
    let files = seed_files();
    if let Ok(seed) = std::env::var("AWAITIFY_FUZZ_SEED") {
        return replay(parse_seed(&seed), &files);
    }
    let iterations = env_usize("AWAITIFY_FUZZ_ITERATIONS").unwrap_or(DEFAULT_ITERATIONS);
    let start = env_usize("AWAITIFY_FUZZ_START").unwrap_or(0);
    let threads = env_usize("AWAITIFY_FUZZ_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);

    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let totals = Mutex::new(Totals::default());
    // What each worker is running: (seed, since when), for the slow-case watchdog.
    let running: Vec<Mutex<Option<(u64, Instant)>>> =
        (0..threads).map(|_| Mutex::new(None)).collect();

    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let (files, next, totals, running) = (&files, &next, &totals, &running);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= iterations {
                        break;
                    }
                    let seed = case_seed((start + i) as u64);
                    let case = generate(seed, files);
                    let began = Instant::now();
                    *running[w].lock().unwrap() = Some((seed, began));
                    let mut coverage = Coverage::default();
                    let findings = run_properties(&case.text, &mut coverage);
                    let took = began.elapsed();
                    *running[w].lock().unwrap() = None;

                    let mut totals = totals.lock().unwrap();
                    totals.cases += 1;
                    totals.valid += usize::from(coverage.valid);
                    totals.fixed += usize::from(coverage.fixed);
                    totals
                        .slowest
                        .push((took, seed, files[case.file].name.clone()));
                    totals.slowest.sort_by_key(|b| std::cmp::Reverse(b.0));
                    totals.slowest.truncate(3);
                    for f in findings {
                        *totals.by_kind.entry(f.kind).or_default() += 1;
                        let record =
                            totals
                                .records
                                .entry(f.signature.clone())
                                .or_insert_with(|| Record {
                                    kind: f.kind,
                                    signature: f.signature.clone(),
                                    count: 0,
                                    examples: BTreeMap::new(),
                                });
                        record.count += 1;
                        let file = files[case.file].name.clone();
                        let smaller = record
                            .examples
                            .get(&file)
                            .is_none_or(|e| case.text.len() < e.source.len());
                        if smaller {
                            let example = Example {
                                seed,
                                mutations: case.mutations.clone(),
                                source: case.text.clone(),
                                detail: f.detail,
                            };
                            record.examples.insert(file, example);
                        }
                    }
                })
            })
            .collect();

        // Watchdog and progress.
        let mut reported = std::collections::HashSet::new();
        let mut last_progress = Instant::now();
        while !workers.iter().all(|w| w.is_finished()) {
            std::thread::sleep(Duration::from_millis(50));
            for slot in &running {
                if let Some((seed, since)) = *slot.lock().unwrap() {
                    if since.elapsed() > SLOW_CASE && reported.insert(seed) {
                        eprintln!(
                            "fuzz: case {seed:#018x} has been running for over {SLOW_CASE:?} \
                             (replay with AWAITIFY_FUZZ_SEED={seed:#018x})"
                        );
                    }
                }
            }
            if last_progress.elapsed() > Duration::from_secs(30) {
                last_progress = Instant::now();
                let t = totals.lock().unwrap();
                eprintln!(
                    "fuzz: {} cases in {:.0?}, findings {:?}",
                    t.cases,
                    started.elapsed(),
                    t.by_kind
                );
            }
        }
        for w in workers {
            w.join().expect("fuzz worker");
        }
    });
    let fuzz_time = started.elapsed();

    let totals = totals.into_inner().unwrap();
    let mut records: Vec<&Record> = totals.records.values().collect();
    records.sort_by(|a, b| {
        (a.kind, std::cmp::Reverse(a.count)).cmp(&(b.kind, std::cmp::Reverse(b.count)))
    });

    let mut report = String::new();
    let _ = writeln!(
        report,
        "fuzz: {} cases (numbers {start}..{}) from {} seed files on {threads} threads in {fuzz_time:.1?}; \
         {} inputs parsed ({} of them changed by fixes), {} did not",
        totals.cases,
        start + iterations,
        files.len(),
        totals.valid,
        totals.fixed,
        totals.cases - totals.valid
    );
    let _ = writeln!(report, "fuzz: findings by kind {:?}", totals.by_kind);
    if let Ok(python) = std::env::var("AWAITIFY_FUZZ_PYTHON") {
        let _ = writeln!(report, "fuzz: CPython oracle: {python}");
    }
    for (took, seed, file) in &totals.slowest {
        let _ = writeln!(
            report,
            "fuzz: slow case {seed:#018x} ({file}) took {took:.1?}"
        );
    }
    for record in &records {
        let _ = writeln!(
            report,
            "\n=== [{}] {} — {} case(s), from {} seed file(s)",
            record.kind.title(),
            record.signature,
            record.count,
            record.examples.len()
        );
        // Shrink every example; print the distinct reproductions, smallest first.
        let mut shrunk: Vec<(String, &String, &Example)> = record
            .examples
            .iter()
            .map(|(file, example)| (shrink(&example.source, &record.signature), file, example))
            .collect();
        shrunk.sort_by(|a, b| (a.0.len(), &a.0).cmp(&(b.0.len(), &b.0)));
        shrunk.dedup_by(|a, b| a.0 == b.0);
        let distinct = shrunk.len();
        for (text, file, example) in shrunk.into_iter().take(EXAMPLES_SHOWN) {
            let _ = writeln!(
                report,
                "  seed {:#018x} ({file}; mutations {:?})\n  \
                 replay: AWAITIFY_FUZZ_SEED={:#018x} cargo test --test fuzz_mutations -- --nocapture\n    {}",
                example.seed,
                example.mutations,
                example.seed,
                example.detail.replace('\n', "\n    ")
            );
            let _ = writeln!(
                report,
                "  minimal reproduction ({} bytes, shrunk from {}):\n{}",
                text.len(),
                example.source.len(),
                fenced(&text)
            );
        }
        if distinct > EXAMPLES_SHOWN {
            let _ = writeln!(
                report,
                "  ({} more distinct reproductions not shown)",
                distinct - EXAMPLES_SHOWN
            );
        }
    }
    println!("{report}");
    let failures: Vec<&&Record> = records.iter().filter(|r| r.kind.is_failure()).collect();
    assert!(
        failures.is_empty(),
        "{} distinct failure(s), see the report above:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|r| format!(
                "  [{}] {} (seeds {:x?})",
                r.kind.title(),
                r.signature,
                r.examples.values().map(|e| e.seed).collect::<Vec<_>>()
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn mutations_are_deterministic_and_keep_char_boundaries() {
    let files = seed_files();
    for i in 0..200 {
        let seed = case_seed(i);
        let (a, b) = (generate(seed, &files), generate(seed, &files));
        assert_eq!(a.text, b.text, "seed {seed:#x} is not deterministic");
        assert_eq!(a.mutations, b.mutations);
    }
}

#[test]
fn panics_are_caught_with_their_location() {
    install_panic_hook();
    let (message, location) = guard(|| -> () { panic!("boom {}", 42) }).unwrap_err();
    assert_eq!(message, "boom 42");
    assert!(location.contains("fuzz_mutations.rs"), "{location}");
    assert_eq!(guard(|| 7).unwrap(), 7);
}

#[test]
fn the_cpython_oracle_rejects_await_outside_async() {
    if std::env::var("AWAITIFY_FUZZ_PYTHON").is_err() {
        return;
    }
    assert_eq!(
        cpython_compile("async def f():\n    await g()\n"),
        Some(Ok(()))
    );
    let error = cpython_compile("def f():\n    await g()\n")
        .unwrap()
        .unwrap_err();
    assert!(error.contains("'await' outside async function"), "{error}");
    assert!(cpython_compile("\0").unwrap().is_err());
}
