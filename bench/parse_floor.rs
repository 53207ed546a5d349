//! The parse floor: the least work any tool built on `ruff_python_parser` does on a corpus.
//!
//! Walks the given paths the way awaitify does (the `ignore` crate; `.gitignore`, `.ignore`,
//! hidden folders, virtualenvs and the usual build/cache folders skipped; `.py`/`.pyi` only),
//! then reads and parses every file with `ruff_python_parser::parse_module` in parallel with
//! rayon, and prints how many files, lines, bytes and parse errors it saw. Nothing else: no
//! semantic model, no checks, no output per file. Each syntax tree is dropped as soon as its
//! file is counted.
//!
//! usage: cargo run --release --locked --example parse_floor -- PATHS...
//!
//! "lines" counts `\n` bytes (what `wc -l` counts); "bytes" is the size on disk. A file that
//! cannot be read or is not UTF-8 counts as a parse error (awaitify reports it as an error too).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;

/// Folders never descended into (the same list as awaitify's discovery).
const SKIPPED_DIRS: &[&str] = &[
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
];

fn is_python_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("py" | "pyi")
    )
}

fn walk(root: &Path, files: &mut Vec<PathBuf>) {
    if !root.is_dir() {
        files.push(root.to_path_buf());
        return;
    }
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(true)
        .filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let name = entry.file_name().to_str().unwrap_or("");
            !(is_dir && (SKIPPED_DIRS.contains(&name) || entry.path().join("pyvenv.cfg").is_file()))
        })
        .build();
    for entry in walker.flatten() {
        if entry.file_type().is_some_and(|t| t.is_file()) && is_python_file(entry.path()) {
            files.push(entry.into_path());
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Totals {
    files: u64,
    lines: u64,
    bytes: u64,
    errors: u64,
}

impl std::ops::Add for Totals {
    type Output = Totals;
    fn add(self, o: Totals) -> Totals {
        Totals {
            files: self.files + o.files,
            lines: self.lines + o.lines,
            bytes: self.bytes + o.bytes,
            errors: self.errors + o.errors,
        }
    }
}

fn parse_one(path: &Path) -> Totals {
    let mut totals = Totals {
        files: 1,
        ..Totals::default()
    };
    let Ok(bytes) = std::fs::read(path) else {
        totals.errors = 1;
        return totals;
    };
    totals.bytes = bytes.len() as u64;
    totals.lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let Ok(text) = String::from_utf8(bytes) else {
        totals.errors = 1;
        return totals;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // The tree (and its tokens) is dropped at the end of this statement.
    if ruff_python_parser::parse_module(text).is_err() {
        totals.errors = 1;
    }
    totals
}

fn main() -> ExitCode {
    let roots: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if roots.is_empty() {
        eprintln!("usage: parse_floor PATHS...");
        return ExitCode::from(2);
    }
    let mut files = Vec::new();
    for root in &roots {
        walk(root, &mut files);
    }
    let totals = files
        .par_iter()
        .map(|path| parse_one(path))
        .reduce(Totals::default, |a, b| a + b);
    println!(
        "files {} lines {} bytes {} parse_errors {}",
        totals.files, totals.lines, totals.bytes, totals.errors
    );
    ExitCode::SUCCESS
}
