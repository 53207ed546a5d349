//! Where a file sits in a project, and the names Python imports it by.
//!
//! A folder holding `pyproject.toml`, `setup.py` or `setup.cfg` is a project of its own, with
//! its own module namespace: two projects given in one run never resolve into each other, as
//! each is imported in its own environment. Outside any such folder, the files of a run form
//! one namespace.
//!
//! A module is named the way Python finds it:
//! - from the project's import root: the project folder, or its `src/` folder when that is
//!   not itself a package (the `src` layout). Plain folders on the way are namespace packages
//!   (PEP 420), so `src/services/discovery.py` under a project with `src/__init__.py` is
//!   `src.services.discovery` whether or not `services/` has an `__init__.py`;
//! - from the folders holding an `__init__.py` above the file, as a script next to it imports
//!   it (a test folder on `sys.path`, pytest's default): `discovery` for a file in a plain
//!   folder.
//!
//! A file has every name that applies. The first, the one relative imports start from and
//! messages use, is the package name inside a regular package, else the root's.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use rustc_hash::FxHashMap as HashMap;

/// The names of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModulePlace {
    /// The project folder whose namespace the module belongs to (empty: no project folder).
    pub namespace: String,
    /// Dotted names, the primary first, without repeats.
    pub names: Vec<String>,
    /// A package's `__init__`.
    pub is_package: bool,
}

/// The names of the module at `path`.
pub fn place(path: &Path) -> ModulePlace {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let stem = absolute
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let is_package = stem == "__init__";
    let folder = absolute.parent().unwrap_or(Path::new(""));
    let project = project_dir(folder);
    let mut names = Vec::new();
    if let Some(project) = &project {
        let src = project.join("src");
        let root = if folder.starts_with(&src) && !is_package_dir(&src) {
            src
        } else {
            project.clone()
        };
        if let Ok(relative) = folder.strip_prefix(&root) {
            let mut parts: Vec<String> = relative
                .components()
                .filter_map(|c| c.as_os_str().to_str().map(str::to_owned))
                .collect();
            if !is_package {
                parts.push(stem.clone());
            }
            if !parts.is_empty() && parts.iter().all(|p| is_identifier(p)) {
                names.push(parts.join("."));
            }
        }
    }
    // Inside a regular package, the package's own name comes first: it is what the
    // package's relative imports and readers use (`opsd.server`, not `examples.opsd.server`).
    let chain = package_chain(folder, &stem, is_package);
    if !chain.is_empty() && !names.contains(&chain) {
        if is_package_dir(folder) {
            names.insert(0, chain);
        } else {
            names.push(chain);
        }
    }
    ModulePlace {
        namespace: project
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        names,
        is_package,
    }
}

/// The name from the package folders (with an `__init__.py`) above the file.
fn package_chain(folder: &Path, stem: &str, is_package: bool) -> String {
    let mut parts: Vec<&str> = if is_package { Vec::new() } else { vec![stem] };
    let mut current = Some(folder);
    while let Some(dir) = current {
        if !is_package_dir(dir) {
            break;
        }
        match dir.file_name().and_then(|n| n.to_str()) {
            Some(name) => parts.push(name),
            None => break,
        }
        current = dir.parent();
    }
    parts.reverse();
    parts.join(".")
}

fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// A cached answer per folder (every file of a folder asks the same).
fn cached<T: Clone>(
    cache: &'static OnceLock<Mutex<HashMap<PathBuf, T>>>,
    dir: &Path,
    compute: impl FnOnce() -> T,
) -> T {
    let cache = cache.get_or_init(Default::default);
    if let Some(known) = cache.lock().ok().and_then(|c| c.get(dir).cloned()) {
        return known;
    }
    let answer = compute();
    if let Ok(mut cache) = cache.lock() {
        cache.insert(dir.to_path_buf(), answer.clone());
    }
    answer
}

/// Whether `dir` holds an `__init__.py`.
pub fn is_package_dir(dir: &Path) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, bool>>> = OnceLock::new();
    cached(&CACHE, dir, || dir.join("__init__.py").is_file())
}

/// The nearest folder at or above `dir` that declares a project.
fn project_dir(dir: &Path) -> Option<PathBuf> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Option<PathBuf>>>> = OnceLock::new();
    cached(&CACHE, dir, || {
        let declares = ["pyproject.toml", "setup.py", "setup.cfg"]
            .iter()
            .any(|name| dir.join(name).is_file());
        if declares {
            Some(dir.to_path_buf())
        } else {
            dir.parent().and_then(project_dir)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn namespace_packages_under_a_regular_package() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("pyproject.toml"));
        touch(&root.join("src/__init__.py"));
        touch(&root.join("src/services/discovery.py"));
        let found = place(&root.join("src/services/discovery.py"));
        assert_eq!(found.names, ["src.services.discovery", "discovery"]);
        assert_eq!(found.namespace, root.to_string_lossy());
    }

    #[test]
    fn src_layout() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("setup.cfg"));
        touch(&root.join("src/pkg/__init__.py"));
        touch(&root.join("src/pkg/db.py"));
        touch(&root.join("tests/test_db.py"));
        assert_eq!(place(&root.join("src/pkg/db.py")).names, ["pkg.db"]);
        let init = place(&root.join("src/pkg/__init__.py"));
        assert_eq!(
            (init.names, init.is_package),
            (vec!["pkg".to_owned()], true)
        );
        assert_eq!(
            place(&root.join("tests/test_db.py")).names,
            ["tests.test_db", "test_db"]
        );
    }

    #[test]
    fn without_a_project_file_the_package_chain_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("loose");
        touch(&root.join("app/__init__.py"));
        touch(&root.join("app/core.py"));
        let found = place(&root.join("app/core.py"));
        assert_eq!(found.names, ["app.core"]);
        assert_eq!(found.namespace, "");
    }

    #[test]
    fn folders_that_are_not_identifiers_are_not_packages() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("pyproject.toml"));
        touch(&root.join("my-scripts/run.py"));
        assert_eq!(place(&root.join("my-scripts/run.py")).names, ["run"]);
    }
}
