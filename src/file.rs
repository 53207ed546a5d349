//! One file through the stages: read it, check or fix it, write it back atomically, and
//! report what happened.
//!
//! One bad file never stops the run: every problem becomes a [`FileError`] on that file's
//! report. Writes are atomic (a temporary file in the same folder, renamed over the original,
//! permissions kept) and only files whose text changed are written.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::discovery::describe_io_error;
use crate::parse::SyntaxError;
use crate::pipeline::{audit_source, check_source, fix_source, FixOutcome, Settings};
use crate::recipe::Diagnostic;
use crate::source::{LineIndex, SourceText};

/// What is done with each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report findings.
    Check,
    /// Compute fixes, show them as a diff, write nothing.
    Diff,
    /// Apply fixes in place.
    Write,
    /// Report findings and take the census of the audit report.
    Audit,
}

/// A problem with one file, shown as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Io(String),
    Decode(String),
    Syntax {
        row: usize,
        column: usize,
        message: String,
    },
    FixRefused(String),
    Write(String),
    Panic(String),
}

impl FileError {
    pub fn render(&self, path: &Path) -> String {
        let path = path.display();
        match self {
            FileError::Syntax {
                row,
                column,
                message,
            } => format!("{path}:{row}:{column}: syntax error: {message}"),
            FileError::Io(message) => format!("{path}: error: {message}"),
            FileError::Decode(message) => format!("{path}: error: {message}"),
            FileError::FixRefused(message) => format!("{path}: internal error: {message}"),
            FileError::Write(message) => format!("{path}: error: not written: {message}"),
            FileError::Panic(message) => {
                format!("{path}: internal error: panic while processing this file ({message}); the file was left unchanged")
            }
        }
    }
}

/// Everything the run found out about one file.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    /// The checked text in check mode, the fixed text when fixing.
    pub text: String,
    /// Findings; their ranges refer to [`FileReport::diagnostics_text`].
    pub diagnostics: Vec<Diagnostic>,
    /// The findings are located in the original text (a dry run: the fixed text is not on
    /// disk), not in `text`.
    pub located_in_original: bool,
    /// The original text, when fixing changed it.
    pub original: Option<String>,
    /// Fixes applied, by code.
    pub applied: BTreeMap<&'static str, usize>,
    pub error: Option<FileError>,
    /// What the audit counted (`report` only).
    pub census: Option<crate::census::Census>,
    /// The input, when it came from standard input: its bytes, and its text if it decoded.
    pub stdin: Option<(Vec<u8>, Option<SourceText>)>,
}

impl FileReport {
    pub fn empty(path: PathBuf) -> Self {
        FileReport {
            path,
            text: String::new(),
            diagnostics: Vec::new(),
            located_in_original: false,
            original: None,
            applied: BTreeMap::new(),
            error: None,
            stdin: None,
            census: None,
        }
    }

    pub fn changed(&self) -> bool {
        self.original.is_some()
    }

    /// The text the findings' ranges refer to.
    pub fn diagnostics_text(&self) -> &str {
        match &self.original {
            Some(original) if self.located_in_original => original,
            _ => &self.text,
        }
    }

    pub fn line_index(&self) -> LineIndex {
        LineIndex::new(self.diagnostics_text())
    }
}

pub(crate) fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Reads, checks or fixes, and writes one file. A file found in a directory whose text no
/// enabled recipe could apply to is not parsed at all; a file named on the command line always
/// is (so its syntax errors are reported).
pub fn process_file(
    path: &Path,
    source: Result<SourceText, FileError>,
    explicit: bool,
    mode: Mode,
    settings: &Settings,
) -> FileReport {
    let mut report = FileReport::empty(path.to_path_buf());
    let source = match source {
        Ok(source) => source,
        Err(error) => {
            report.error = Some(error);
            return report;
        }
    };
    if !explicit && !worth_parsing(&source.text, mode, settings) {
        return report;
    }
    process_source(&mut report, &source, mode, settings);
    finish_file(&mut report, &source, mode, settings);
    report
}

/// Reads and decodes a file.
pub fn read_source(path: &Path) -> Result<SourceText, FileError> {
    let bytes = std::fs::read(path)
        .map_err(|error| FileError::Io(format!("cannot read: {}", describe_io_error(&error))))?;
    SourceText::decode(bytes).map_err(|error| FileError::Decode(error.to_string()))
}

/// Whether a file found in a folder must be parsed at all in this mode.
pub fn worth_parsing(text: &str, mode: Mode, settings: &Settings) -> bool {
    match mode {
        // The audit also lists blocking calls in sync code and counts clean async modules.
        Mode::Audit => {
            crate::recipe::contains(text, "async")
                || settings.recipes.iter().any(|r| r.mentions(text))
        }
        _ => settings.may_apply(text),
    }
}

/// Drops the text nothing will print, and writes a fixed file.
pub fn finish_file(report: &mut FileReport, source: &SourceText, mode: Mode, settings: &Settings) {
    let path = report.path.clone();
    // Keep a file's text only while something will be printed from it.
    let census_needs_text = report
        .census
        .as_ref()
        .is_some_and(|c| !c.elsewhere.is_empty());
    if report.diagnostics.is_empty() && !report.changed() && !census_needs_text {
        report.text = String::new();
    }
    // A refusal leaves the text as it was before the refused fixes: it is written when earlier
    // edits (the project's, which other files depend on) changed it.
    let writable = matches!(report.error, None | Some(FileError::FixRefused(_)));
    if mode == Mode::Write && report.changed() && writable {
        let read = source.encode(&source.text);
        if let Err(message) = write_atomically(&path, &source.encode(&report.text), &read) {
            report.error = Some(FileError::Write(message));
            // Nothing was written: report the findings of the original.
            if let Some(original) = report.original.take() {
                report.diagnostics = check_source(&original, settings).unwrap_or_default();
                report.text = original;
                report.applied.clear();
            }
        }
    }
}

/// A syntax error of `text`, located.
pub fn syntax_error(text: &str, error: SyntaxError) -> FileError {
    let location = LineIndex::new(text).location(text, error.offset);
    FileError::Syntax {
        row: location.row,
        column: location.column,
        message: error.message,
    }
}

/// Checks or fixes one decoded text, filling `report` (used for files and for stdin).
pub fn process_source(
    report: &mut FileReport,
    source: &SourceText,
    mode: Mode,
    settings: &Settings,
) {
    let text = &source.text;
    let syntax_error = |error: SyntaxError| syntax_error(text, error);
    match mode {
        Mode::Check => match check_source(text, settings) {
            Ok(diagnostics) => {
                report.diagnostics = diagnostics;
                report.text = text.clone();
            }
            Err(error) => report.error = Some(syntax_error(error)),
        },
        Mode::Audit => match audit_source(text, settings) {
            Ok((diagnostics, census)) => {
                report.diagnostics = diagnostics;
                report.text = text.clone();
                report.census = Some(census);
            }
            Err(error) => report.error = Some(syntax_error(error)),
        },
        Mode::Diff | Mode::Write => match fix_source(text, settings) {
            Ok(outcome) => fill_fixed(report, text, outcome, mode),
            Err(error) => report.error = Some(syntax_error(error)),
        },
    }
}

/// Fills `report` with what the fix loop did to `text`.
pub fn fill_fixed(report: &mut FileReport, text: &str, outcome: FixOutcome, mode: Mode) {
    if let Some(reason) = outcome.refused {
        report.error = Some(FileError::FixRefused(reason));
    }
    report.applied = outcome.applied;
    report.diagnostics = outcome.remaining;
    if outcome.text != *text {
        report.original = Some(text.to_owned());
        if mode == Mode::Diff {
            // Nothing is written: say where the remaining findings are on disk.
            if let Some(located) =
                locate_in_original(text, &outcome.text, &report.diagnostics, &outcome.original)
            {
                report.diagnostics = located;
                report.located_in_original = true;
            }
        }
    }
    report.text = outcome.text;
}

/// Why a file was not written when it changed while awaitify worked on it.
pub const CHANGED_ON_DISK: &str =
    "the file changed on disk while awaitify was fixing it; it was left as it is now (run awaitify again)";

/// Whether the file at `path` holds exactly `bytes` (compared by size first).
fn still_holds(path: &Path, bytes: &[u8]) -> bool {
    let same_size = std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64);
    same_size && std::fs::read(path).is_ok_and(|now| now == bytes)
}

/// Gives the new file the original's owner and group (possible as root, or for a group the
/// user belongs to); where it is not permitted the file keeps the writer's, as with any edit.
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, metadata: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let _ = std::os::unix::fs::fchown(file, Some(metadata.uid()), Some(metadata.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_file: &std::fs::File, _metadata: &std::fs::Metadata) {}

/// The findings of the original text (`before`) that correspond to `remaining` (findings of
/// the fixed text): same code and message, on the line the diff maps back to (or the nearest such).
/// `None` when one cannot be matched.
pub(crate) fn locate_in_original(
    original: &str,
    fixed: &str,
    remaining: &[Diagnostic],
    before: &[Diagnostic],
) -> Option<Vec<Diagnostic>> {
    use std::collections::{BTreeSet, HashMap};
    let diff = crate::source::line_diff(original, fixed);
    let ops = diff.ops();
    // The ops cover the new text in order: a binary search finds the one holding a line.
    let old_line = |new_line: usize| {
        let at = ops.partition_point(|op| op.new_range().end <= new_line);
        let op = ops.get(at)?;
        let (tag, old, new) = op.as_tag_tuple();
        if !new.contains(&new_line) {
            return None;
        }
        Some(match tag {
            similar::DiffTag::Equal => old.start + (new_line - new.start),
            _ => old.start,
        })
    };
    let (fixed_index, original_index) = (LineIndex::new(fixed), LineIndex::new(original));
    // The original's findings not matched yet, by code and message, ordered by line.
    let mut unused: HashMap<(&str, &str), BTreeSet<(usize, usize)>> = HashMap::new();
    for (i, d) in before.iter().enumerate() {
        unused
            .entry((d.code(), d.message.as_str()))
            .or_default()
            .insert((original_index.line_of(d.range.start()), i));
    }
    let mut located = Vec::with_capacity(remaining.len());
    for diagnostic in remaining {
        let line = old_line(fixed_index.line_of(diagnostic.range.start())).unwrap_or(0);
        let candidates = unused.get_mut(&(diagnostic.code(), diagnostic.message.as_str()))?;
        // The nearest line; on a tie, the first finding.
        let below = candidates
            .range(..(line + 1, 0))
            .next_back()
            .and_then(|&(l, _)| candidates.range((l, 0)..).next().copied());
        let above = candidates.range((line, 0)..).next().copied();
        let best = match (below, above) {
            (Some(b), Some(a)) => {
                if (line - b.0, b.1) <= (a.0 - line, a.1) {
                    b
                } else {
                    a
                }
            }
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => return None,
        };
        candidates.remove(&best);
        located.push(before[best.1].clone());
    }
    Some(located)
}

/// Replaces `path`'s content atomically, keeping its permissions (and a symlink pointing at it),
/// provided the file still holds `read`, the bytes the fixes were computed from: a file another
/// program changed meanwhile is left alone (its change would be lost), like an editor that
/// refuses to overwrite a file changed on disk.
fn write_atomically(path: &Path, bytes: &[u8], read: &[u8]) -> Result<(), String> {
    let target = std::fs::canonicalize(path).map_err(|e| describe_io_error(&e))?;
    let metadata = std::fs::metadata(&target).map_err(|e| describe_io_error(&e))?;
    if metadata.permissions().readonly() {
        return Err("the file is read-only".to_owned());
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".awaitify-")
        .tempfile_in(dir)
        .map_err(|e| {
            format!(
                "cannot create a temporary file next to it: {}",
                describe_io_error(&e)
            )
        })?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| describe_io_error(&e))?;
    std::fs::set_permissions(temp.path(), metadata.permissions())
        .map_err(|e| describe_io_error(&e))?;
    keep_owner(temp.as_file(), &metadata);
    // Checked last, just before the rename, to leave the smallest window.
    if !still_holds(&target, read) {
        return Err(CHANGED_ON_DISK.to_owned());
    }
    temp.persist(&target)
        .map_err(|e| describe_io_error(&e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        std::fs::write(&path, "x = 1\ny = 2\n").unwrap();
        let error = write_atomically(&path, b"fixed\n", b"x = 1\n").unwrap_err();
        assert_eq!(error, CHANGED_ON_DISK);
        assert_eq!(std::fs::read(&path).unwrap(), b"x = 1\ny = 2\n");
        write_atomically(&path, b"fixed\n", b"x = 1\ny = 2\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"fixed\n");
    }
}
