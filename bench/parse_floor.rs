//! The parse floor: the least work any tool built on `ruff_python_parser` does on a corpus.
//!
//! Finds the files of the given paths with awaitify's own discovery (`.gitignore`, `.ignore`,
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

use awaitify::discovery::{build_excludes, discover};
use std::process::ExitCode;

use rayon::prelude::*;

/// The allocator awaitify's binary uses, so that the floor is measured like awaitify is.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // The same files awaitify processes: its own discovery.
    let excludes = build_excludes(&[]).expect("no exclude globs");
    let files = discover(&roots, &excludes).files;
    let totals = files
        .par_iter()
        .map(|candidate| parse_one(&candidate.path))
        .reduce(Totals::default, |a, b| a + b);
    println!(
        "files {} lines {} bytes {} parse_errors {}",
        totals.files, totals.lines, totals.bytes, totals.errors
    );
    ExitCode::SUCCESS
}
