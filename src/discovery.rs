//! Finding the Python files to process.
//!
//! Directories are walked with the `ignore` crate: `.gitignore` and `.ignore` are respected,
//! hidden folders, virtualenvs and the usual build and cache folders are skipped, and
//! `--exclude` globs apply. A file named on the command line is always processed.

use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};

/// Folders never descended into (as in ruff's default excludes).
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

/// `paths` in the order of `Path` (component by component), each path split into its
/// components once rather than at every comparison.
fn sorted_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let keys: Vec<Vec<std::path::Component>> = paths
        .iter()
        .map(|path| path.components().collect())
        .collect();
    let mut order: Vec<usize> = (0..paths.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    drop(keys);
    let mut slots: Vec<Option<PathBuf>> = paths.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// A file to process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    /// Named on the command line (always parsed), rather than found in a directory.
    pub explicit: bool,
    /// Its size in bytes when it was found (0 when unknown): a hint for scheduling only.
    pub size: u64,
    /// A file of a project the run's paths reach, outside those paths or excluded: read for
    /// what it tells about the project (its calls, its patches), never reported or changed.
    pub context: bool,
}

/// The files to process, in a stable order, and the paths that could not be walked.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<Candidate>,
    pub errors: Vec<(PathBuf, String)>,
    /// Paths skipped with a warning: a symbolic link to a folder above it (`up -> ..`), which
    /// would walk the tree again.
    pub warnings: Vec<(PathBuf, String)>,
}

pub fn is_python_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("py" | "pyi")
    )
}

pub fn build_excludes(patterns: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        // `./pkg` and `pkg/` name the folder `pkg`, as in ruff.
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        let pattern = pattern.trim_end_matches('/');
        builder.add(
            Glob::new(pattern).with_context(|| format!("invalid --exclude glob `{pattern}`"))?,
        );
        // A bare name or relative glob also matches anywhere below the root.
        if !pattern.starts_with('/') && !pattern.starts_with("**/") {
            builder.add(Glob::new(&format!("**/{pattern}"))?);
        }
    }
    Ok(builder.build()?)
}

/// The absolute form of `path`, as [`std::path::absolute`] gives it, but without asking the
/// system for the current folder at every call: it is read once per run (a run never
/// changes it). Every file's project and module names start from here.
pub fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    static CURRENT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let current = || {
        CURRENT
            .get_or_init(|| std::env::current_dir().ok())
            .as_deref()
    };
    let joined;
    let path = match current() {
        // (An empty path is the current folder itself; joining it would add a slash.)
        Some(current) if path.is_relative() && !path.as_os_str().is_empty() => {
            joined = current.join(path.strip_prefix(".").unwrap_or(path));
            &joined
        }
        _ => path,
    };
    if is_normal_absolute(path) {
        return Ok(path.to_path_buf());
    }
    std::path::absolute(path)
}

/// Whether `path` is absolute and already as [`std::path::absolute`] would write it: no `.`
/// component, no doubled slash (the usual case, which it rebuilds component by component).
fn is_normal_absolute(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    cfg!(unix)
        && bytes.first() == Some(&b'/')
        && !bytes.ends_with(b"/.")
        && !bytes.windows(2).any(|pair| pair == b"//")
        && memchr::memmem::find(bytes, b"/./").is_none()
}

fn is_excluded(excludes: &GlobSet, path: &Path) -> bool {
    if excludes.is_empty() {
        return false;
    }
    let stripped = path.strip_prefix("./").unwrap_or(path);
    excludes.is_match(stripped)
        || path.file_name().is_some_and(|name| excludes.is_match(name))
        || absolute(path).is_ok_and(|absolute| excludes.is_match(normalize(&absolute)))
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn is_virtualenv(path: &Path) -> bool {
    path.join("pyvenv.cfg").is_file()
}

pub fn discover(paths: &[PathBuf], excludes: &GlobSet) -> Discovered {
    discover_with(paths, excludes, false)
}

/// `./src/a.py` → `src/a.py`: paths are shown relative to the working directory, as ruff
/// shows them, without a leading `./`.
fn tidy(path: PathBuf) -> PathBuf {
    match path.strip_prefix(".") {
        Ok(rest) if !rest.as_os_str().is_empty() => rest.to_path_buf(),
        _ => path,
    }
}

/// [`discover`]; with `force_exclude`, the excludes apply to files named on the command line
/// too (ruff's `--force-exclude`, for pre-commit, which passes every staged file by name).
pub fn discover_with(paths: &[PathBuf], excludes: &GlobSet, force_exclude: bool) -> Discovered {
    let mut found = Discovered::default();
    let mut seen = HashSet::new();
    // The same file reached twice (through a symlink, or two overlapping paths) is processed
    // once: files are told apart by device and inode.
    // (`id`: the file's id and size, from `file_id`.)
    let mut add = |found: &mut Discovered, path: PathBuf, explicit: bool, id: Option<_>| {
        let (key, size) = id.unwrap_or(((u64::MAX, seen.len() as u64), 0));
        if seen.insert(key) {
            found.files.push(Candidate {
                path,
                explicit,
                size,
                context: false,
            });
        }
    };
    for root in paths {
        let metadata = match std::fs::metadata(root) {
            Ok(metadata) => metadata,
            Err(error) => {
                found.errors.push((root.clone(), describe_io_error(&error)));
                continue;
            }
        };
        if !metadata.is_dir() {
            // The file, or a folder on its (relative) path, is excluded.
            let excluded = || {
                let relative = std::path::absolute(root)
                    .ok()
                    .zip(std::env::current_dir().ok())
                    .and_then(|(path, cwd)| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
                    .unwrap_or_else(|| root.clone());
                relative
                    .ancestors()
                    .any(|p| !p.as_os_str().is_empty() && is_excluded(excludes, p))
            };
            if force_exclude && (is_excluded(excludes, root) || excluded()) {
                continue;
            }
            let path = tidy(root.clone());
            let id = file_id(&path);
            add(&mut found, path, true, id);
            continue;
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
            .filter_entry({
                let excludes = excludes.clone();
                move |entry| {
                    let path = entry.path();
                    if entry.depth() == 0 {
                        return true;
                    }
                    if is_excluded(&excludes, path) {
                        return false;
                    }
                    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                    let name = entry.file_name().to_str().unwrap_or("");
                    !(is_dir && (SKIPPED_DIRS.contains(&name) || is_virtualenv(path)))
                }
            })
            .build_parallel();
        // The walk runs on every core; what it finds is put in order below.
        let walked: std::sync::Mutex<Vec<Result<PathBuf, ignore::Error>>> = Default::default();
        walker.run(|| {
            let walked = &walked;
            Box::new(move |entry| {
                let found = match entry {
                    Ok(entry) => {
                        let is_file = entry.file_type().is_some_and(|t| t.is_file());
                        (is_file && is_python_file(entry.path())).then(|| Ok(entry.into_path()))
                    }
                    Err(error) => Some(Err(error)),
                };
                if let Some(found) = found {
                    walked.lock().unwrap_or_else(|e| e.into_inner()).push(found);
                }
                ignore::WalkState::Continue
            })
        });
        let mut batch = Vec::new();
        let mut problems: Vec<(PathBuf, String, ignore::Error)> = Vec::new();
        for found in walked.into_inner().unwrap_or_else(|e| e.into_inner()) {
            match found {
                Ok(path) => batch.push(path),
                Err(error) => {
                    let path = error_path(&error).unwrap_or_else(|| root.clone());
                    problems.push((path, walk_error_message(&error), error));
                }
            }
        }
        // Problems in the order of their paths, then of their messages.
        problems.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        for (path, message, error) in problems {
            // A broken link to a file we would not process anyway is no error.
            if matches!(error_loop(&error), Some(true)) {
                found.warnings.push((tidy(path), message));
            } else if path.is_dir() || is_python_file(&path) {
                found.errors.push((tidy(path), message));
            }
        }
        let batch = sorted_paths(batch);
        // (The files' ids are read in parallel: a `stat` each.)
        let batch: Vec<(PathBuf, Option<FileId>)> = batch
            .into_par_iter()
            .map(|path| {
                let path = tidy(path);
                let id = file_id(&path);
                (path, id)
            })
            .collect();
        for (path, id) in batch {
            add(&mut found, path, false, id);
        }
    }
    found
}

/// A file's identity (device and inode, or a hash of its canonical path) and its size.
type FileId = ((u64, u64), u64);

#[cfg(unix)]
fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path).ok()?;
    Some(((metadata.dev(), metadata.ino()), metadata.len()))
}

#[cfg(not(unix))]
fn file_id(path: &Path) -> Option<FileId> {
    let size = std::fs::metadata(path).ok()?.len();
    let canonical = std::fs::canonicalize(path).ok()?;
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    canonical.hash(&mut hasher);
    Some(((0, hasher.finish()), size))
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

/// Whether the error is a directory loop (a symlink pointing at an ancestor).
fn error_loop(error: &ignore::Error) -> Option<bool> {
    match error {
        ignore::Error::Loop { .. } => Some(true),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_loop(err),
        _ => None,
    }
}

fn walk_error_message(error: &ignore::Error) -> String {
    if error.to_string().contains("(os error 40)") {
        return "symbolic link loop (too many levels of symbolic links)".to_owned();
    }
    match error {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_message(err),
        ignore::Error::Loop { ancestor, .. } => {
            format!(
                "symbolic link to a folder above it ({}); skipped",
                tidy(ancestor.clone()).display()
            )
        }
        ignore::Error::Io(error) => describe_io_error(error),
        other => other.to_string(),
    }
}

/// An I/O error as one short phrase (for a file that cannot be found, read or written).
pub fn describe_io_error(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "no such file or directory".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ if error.raw_os_error() == Some(40) => {
            "symbolic link loop (too many levels of symbolic links)".to_owned()
        }
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    #[test]
    fn absolute_paths_are_the_standard_ones() {
        for path in [
            "",
            ".",
            "./",
            "..",
            "a",
            "a/",
            "./a/./b.py",
            "a//b/../c.py",
            "../x/y.py",
            ".hidden/z.py",
            "/abs/./z.py",
            "//net/z.py",
            "///abs/z.py",
            "/",
            "/abs/z.py",
            "/abs/dir/",
            "/abs/dir/.",
            "/abs//z.py",
            "/abs/../z.py",
            "./.",
            "./a/b/",
            "a/.",
        ] {
            let path = Path::new(path);
            assert_eq!(
                super::absolute(path).ok(),
                std::path::absolute(path).ok(),
                "{path:?}"
            );
        }
    }

    #[test]
    fn paths_are_sorted_as_paths_compare() {
        let paths: Vec<PathBuf> = [
            "a/b.py",
            "a-b.py",
            "a.b/c.py",
            "a/b/c.py",
            "./x.py",
            "../y.py",
            "/abs/z.py",
            "ab.py",
            "a/b.py",
            "a//b.py",
            "./a/./b.py",
            "A.py",
            "é/x.py",
            "a/b-c.py",
            "a/b/",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let mut expected = paths.clone();
        expected.sort();
        assert_eq!(super::sorted_paths(paths), expected);
    }
}
