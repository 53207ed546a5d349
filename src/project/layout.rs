//! Where a file sits in a project, and the names Python imports it by.
//!
//! A folder holding `pyproject.toml`, `setup.cfg` or a `setup.py` (unless it is a module of
//! a package: beside an `__init__.py`) is a project of its own, with
//! its own module namespace: two projects given in one run never resolve into each other, as
//! each is imported in its own environment, and the run processes each apart
//! ([`by_project`]). Outside any such folder, the files of a run form one namespace (and the
//! files of one git repository, one project: [`project_of`]). A name two files of one project
//! claim is a warning ([`name_conflicts`]).
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

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::discovery::Candidate;

/// The names of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModulePlace {
    /// The project folder whose namespace the module belongs to (empty: no project folder).
    pub namespace: String,
    /// Dotted names, the primary first, without repeats.
    pub names: Vec<String>,
    /// Per name, the folder it counts from: the one that must be on `sys.path` for Python to
    /// import the module by that name.
    pub origins: Vec<PathBuf>,
    /// A package's `__init__`.
    pub is_package: bool,
}

/// The names of the module at `path`.
pub fn place(path: &Path) -> ModulePlace {
    let absolute = crate::discovery::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let stem = absolute
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let is_package = stem == "__init__";
    let folder = folder_layout(absolute.parent().unwrap_or(Path::new("")));
    let mut names = Vec::new();
    let mut origins = Vec::new();
    if let Some((parts, root)) = &folder.below_root {
        let mut parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        if !is_package {
            parts.push(stem);
        }
        if !parts.is_empty() && parts.iter().all(|p| is_identifier(p)) {
            names.push(parts.join("."));
            origins.push(root.clone());
        }
    }
    // Inside a regular package, the package's own name comes first: it is what the
    // package's relative imports and readers use (`opsd.server`, not `examples.opsd.server`).
    let (packages, origin) = &folder.packages;
    let mut chain: Vec<&str> = packages.iter().map(String::as_str).collect();
    if !is_package {
        chain.push(stem);
    }
    let chain = chain.join(".");
    if !chain.is_empty() && !names.contains(&chain) {
        if folder.is_package {
            names.insert(0, chain);
            origins.insert(0, origin.clone());
        } else {
            names.push(chain);
            origins.push(origin.clone());
        }
    }
    ModulePlace {
        namespace: folder
            .project
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        names,
        origins,
        is_package,
    }
}

/// What the modules of one folder share (every file of a folder asks the same).
struct FolderLayout {
    /// The project folder (see [`project_of`]).
    project: Option<PathBuf>,
    /// In a project: the folder's parts below the root its names count from (the project
    /// folder, or its `src/` when that is not a package), and that root.
    below_root: Option<(Vec<String>, PathBuf)>,
    /// The package folders (with an `__init__.py`) from the topmost down to this one (none
    /// when it is not a package), and the folder above the topmost, where their name counts
    /// from.
    packages: (Vec<String>, PathBuf),
    /// Whether the folder itself is a package.
    is_package: bool,
}

fn folder_layout(folder: &Path) -> std::sync::Arc<FolderLayout> {
    static CACHE: OnceLock<Mutex<HashMap<OsString, std::sync::Arc<FolderLayout>>>> =
        OnceLock::new();
    cached(&CACHE, folder, || {
        let project = project_dir(folder);
        let below_root = project.as_ref().and_then(|project| {
            let src = project.join("src");
            let root = if folder.starts_with(&src) && !is_package_dir(&src) {
                src
            } else {
                project.clone()
            };
            let relative = folder.strip_prefix(&root).ok()?;
            let parts = relative
                .components()
                .filter_map(|c| c.as_os_str().to_str().map(str::to_owned))
                .collect();
            Some((parts, root))
        });
        std::sync::Arc::new(FolderLayout {
            project,
            below_root,
            packages: package_chain(folder),
            is_package: is_package_dir(folder),
        })
    })
}

/// The package folders (with an `__init__.py`) from the topmost down to `folder`, and the
/// folder above the topmost.
fn package_chain(folder: &Path) -> (Vec<String>, PathBuf) {
    let mut parts: Vec<String> = Vec::new();
    let mut current = folder;
    while is_package_dir(current) {
        match (
            current.file_name().and_then(|n| n.to_str()),
            current.parent(),
        ) {
            (Some(name), Some(parent)) => {
                parts.push(name.to_owned());
                current = parent;
            }
            _ => break,
        }
    }
    parts.reverse();
    (parts, current.to_path_buf())
}

fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// A cached answer per folder (every file of a folder asks the same). Folders are told apart
/// by their spelling (hashing its bytes is much cheaper than hashing a path's components): two
/// spellings of one folder only compute the same answer twice.
fn cached<T: Clone>(
    cache: &'static OnceLock<Mutex<HashMap<OsString, T>>>,
    dir: &Path,
    compute: impl FnOnce() -> T,
) -> T {
    let cache = cache.get_or_init(Default::default);
    if let Some(known) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(dir.as_os_str()).cloned())
    {
        return known;
    }
    let answer = compute();
    if let Ok(mut cache) = cache.lock() {
        cache.insert(dir.as_os_str().to_owned(), answer.clone());
    }
    answer
}

/// Whether `dir` holds an `__init__.py`.
pub fn is_package_dir(dir: &Path) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<OsString, bool>>> = OnceLock::new();
    cached(&CACHE, dir, || dir.join("__init__.py").is_file())
}

/// The project folder `path` belongs to: the nearest folder at or above its own that declares
/// a project; outside every declared project, the repository it is in when it holds a Python
/// program (the nearest folder with a `.git`, if it also has a `manage.py`, a
/// `requirements*.txt`, a `Pipfile`, a `tox.ini`, a `pytest.ini`, a `conftest.py`, a
/// `noxfile.py`, a `.python-version` or a `tests` folder: a Django site without packaging is one
/// program all the same, a home folder kept in git is not); `None`: neither. Modules are named
/// from a declared project only (see [`place`]).
pub fn project_of(path: &Path) -> Option<PathBuf> {
    let absolute = crate::discovery::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let folder = absolute.parent()?;
    project_dir(folder).or_else(|| repository_dir(folder))
}

/// The nearest folder at or above `dir` with a `.git` (a folder, or the file of a worktree or
/// submodule), if it holds a Python program (see [`project_of`]).
fn repository_dir(dir: &Path) -> Option<PathBuf> {
    static CACHE: OnceLock<Mutex<HashMap<OsString, Option<PathBuf>>>> = OnceLock::new();
    cached(&CACHE, dir, || {
        if !dir.join(".git").exists() {
            return dir.parent().and_then(repository_dir);
        }
        let python = [
            "manage.py",
            "Pipfile",
            "tox.ini",
            "pytest.ini",
            "conftest.py",
            "noxfile.py",
            ".python-version",
        ]
        .iter()
        .any(|name| dir.join(name).is_file())
            || ["tests", "test"].iter().any(|name| dir.join(name).is_dir())
            || std::fs::read_dir(dir).is_ok_and(|entries| {
                entries.flatten().any(|entry| {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with("requirements") && name.ends_with(".txt")
                })
            });
        python.then(|| dir.to_path_buf())
    })
}

/// The files of the projects of `files` that the run leaves out: outside its `paths` (a run
/// on `src/` of a project whose tests are in `tests/`) or matched by its `excludes` (`exclude
/// = ["tests"]`), found as discovery finds files (the same ignore files and skipped folders),
/// as context: a project's other modules may call, patch or replace what a fix changes, and
/// the project stage reads them to know it (see [`Candidate::context`]). None when every
/// project is at or below a folder the run was given and nothing is excluded.
pub fn outside_paths(
    paths: &[PathBuf],
    files: &[Candidate],
    excludes: &globset::GlobSet,
) -> Vec<Candidate> {
    let absolute = |p: &Path| crate::discovery::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    // (With excludes, a project below a folder given may have files the walk left out.)
    let given: Vec<PathBuf> = paths
        .iter()
        .filter(|p| excludes.is_empty() && p.is_dir())
        .map(|p| absolute(p))
        .collect();
    let mut projects: Vec<PathBuf> = files
        .iter()
        .filter_map(|c| project_of(&c.path))
        .filter(|project| !given.iter().any(|g| project.starts_with(g)))
        .collect();
    projects.sort();
    projects.dedup();
    if projects.is_empty() {
        return Vec::new();
    }
    // (The same file reached another way, through a symbolic link, is the same file.)
    let identity = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| absolute(p));
    let known: std::collections::HashSet<PathBuf> =
        files.iter().map(|c| identity(&c.path)).collect();
    let cwd = std::env::current_dir().ok();
    let mut found = Vec::new();
    for project in projects {
        // Shown relative to the working directory when under it, as discovery shows paths
        // (above it, as the absolute path: `..` would name the project's files by a second
        // path, and their project by another folder).
        let root = match cwd
            .as_deref()
            .and_then(|cwd| project.strip_prefix(cwd).ok())
        {
            Some(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
            Some(relative) => relative.to_path_buf(),
            None => project.clone(),
        };
        let walked = crate::discovery::discover(&[root], &globset::GlobSet::empty());
        for mut candidate in walked.files {
            if project_of(&candidate.path).as_ref() != Some(&project)
                || known.contains(&identity(&candidate.path))
            {
                continue;
            }
            candidate.explicit = false;
            candidate.context = true;
            found.push(candidate);
        }
    }
    found
}

/// The files of a run grouped by project (see [`project_of`]), as indexes into `paths`: each
/// project is processed on its own, as if it were given alone, so that nothing of one
/// project (modules, calls, patches, what other modules do with sqlite3 or child processes)
/// bears on another. The files outside every project and repository form one group, as the files of a run
/// without project folders always do. Groups come in the order of their first file; only the
/// folders are looked at, no file is read.
pub fn by_project<'p>(paths: impl Iterator<Item = &'p Path>) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<Option<PathBuf>, usize> = HashMap::default();
    for (i, path) in paths.enumerate() {
        let next = groups.len();
        let group = *group_of.entry(project_of(path)).or_insert(next);
        if group == next {
            groups.push(Vec::new());
        }
        groups[group].push(i);
    }
    groups
}

/// Warnings for the module names that two files of one project claim (`a.py` beside a
/// package `a/`, or `pkg/util.py` both in `src/` and at the project folder): a problem of the
/// layout, not of the code. Only names counted from the same folder, or from two import
/// roots of the project (its folder and its `src/`), clash; scripts with the same name in
/// different plain folders are each imported by their neighbours. Stubs (`.pyi`) are not
/// imported and claim nothing. Each warning names the module, the files, and which one
/// Python imports when the layout tells.
pub fn name_conflicts<'p>(paths: impl Iterator<Item = &'p Path>) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    // Per project folder and module name: the files claiming it, with the folder it counts
    // from and whether the file is a package.
    type Claims<'p> = Vec<(&'p Path, PathBuf, bool)>;
    // (Each file's place is found in parallel: it looks at the folders above it.)
    let paths: Vec<&'p Path> = paths
        .filter(|path| path.extension().is_some_and(|e| e == "py"))
        .collect();
    let places: Vec<(ModulePlace, Option<PathBuf>)> = paths
        .par_iter()
        .map(|path| (place(path), project_of(path)))
        .collect();
    // By project folder, then by module name: the names are compared, the folders only
    // between projects.
    // (Hashed, then sorted once: comparing paths splits them into components each time.)
    let mut by_project: HashMap<Option<PathBuf>, BTreeMap<String, Claims<'p>>> = HashMap::default();
    for (path, (place, project)) in paths.into_iter().zip(places) {
        let claims = by_project.entry(project).or_default();
        for (name, origin) in place.names.into_iter().zip(place.origins) {
            claims
                .entry(name)
                .or_default()
                .push((path, origin, place.is_package));
        }
    }
    let mut by_project: Vec<_> = by_project.into_iter().collect();
    by_project.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    let claims = by_project.into_iter().flat_map(|(project, claims)| {
        claims
            .into_iter()
            .map(move |(name, claims)| ((project.clone(), name), claims))
    });
    let mut warnings = Vec::new();
    let mut clashing_packages: BTreeSet<(Option<PathBuf>, String)> = BTreeSet::new();
    for ((project, name), claims) in claims {
        if claims.len() < 2 {
            continue;
        }
        let is_import_root = |origin: &Path| {
            project
                .as_deref()
                .is_some_and(|p| origin == p || origin == p.join("src"))
        };
        let mut by_origin: BTreeMap<&Path, Vec<(&Path, bool)>> = BTreeMap::new();
        for (path, origin, is_package) in &claims {
            by_origin
                .entry(origin.as_path())
                .or_default()
                .push((path, *is_package));
        }
        let roots: Vec<&Path> = by_origin
            .keys()
            .copied()
            .filter(|o| is_import_root(o))
            .collect();
        let clashing: BTreeSet<&Path> = by_origin
            .iter()
            .filter(|(origin, files)| {
                files.len() > 1 || (roots.len() > 1 && roots.contains(origin))
            })
            .flat_map(|(_, files)| files.iter().map(|(path, _)| *path))
            .collect();
        if clashing.len() < 2 {
            continue;
        }
        let files: Vec<String> = clashing.iter().map(|p| p.display().to_string()).collect();
        let files = match files.as_slice() {
            [one, two] => format!("two files, {one} and {two}"),
            _ => format!("{} files, {}", files.len(), files.join(", ")),
        };
        let which = if roots.len() > 1 {
            let project = project.as_deref().unwrap_or(Path::new(""));
            let described: Vec<String> = roots
                .iter()
                .map(|root| match root.strip_prefix(project) {
                    Ok(relative) if !relative.as_os_str().is_empty() => {
                        format!("`{}`", relative.display())
                    }
                    _ => "the project folder".to_owned(),
                })
                .collect();
            format!(
                "which one Python imports depends on whether {} comes first on `sys.path`, \
                 which the layout does not tell; awaitify resolves imports of it only in the \
                 files beside one of them",
                described.join(" or ")
            )
        } else {
            let files = by_origin.values().find(|files| files.len() > 1);
            let packages: Vec<&Path> = files
                .into_iter()
                .flatten()
                .filter(|(_, is_package)| *is_package)
                .map(|(path, _)| *path)
                .collect();
            match packages.as_slice() {
                [package] => format!(
                    "Python imports the package, {} (a package comes before a module of the \
                     same name in the same folder)",
                    package.display()
                ),
                _ => "which one Python imports cannot be told from the layout; awaitify \
                      resolves imports of it only in the files beside one of them"
                    .to_owned(),
            }
        };
        // The modules of a package found twice clash because the package does: said once.
        let package_clashes = name
            .match_indices('.')
            .any(|(dot, _)| clashing_packages.contains(&(project.clone(), name[..dot].to_owned())));
        if roots.len() > 1 {
            clashing_packages.insert((project.clone(), name.clone()));
        }
        if !package_clashes {
            warnings.push(format!("module `{name}` is claimed by {files}: {which}"));
        }
    }
    warnings
}

/// The nearest folder at or above `dir` that declares a project (a `pyproject.toml`, a
/// `setup.cfg`, or a `setup.py` beside no `__init__.py`).
fn project_dir(dir: &Path) -> Option<PathBuf> {
    static CACHE: OnceLock<Mutex<HashMap<OsString, Option<PathBuf>>>> = OnceLock::new();
    cached(&CACHE, dir, || {
        // A `setup.py` in a package is one of its modules (`homeassistant/setup.py`), not a
        // packaging script: the project is further up.
        let declares = ["pyproject.toml", "setup.cfg"]
            .iter()
            .any(|name| dir.join(name).is_file())
            || dir.join("setup.py").is_file() && !is_package_dir(dir);
        if declares {
            Some(dir.to_path_buf())
        } else {
            dir.parent().and_then(project_dir)
        }
    })
}

/// The objects the project folder of `path` declares as entry points, which an installed
/// launcher or a plugin host calls synchronously: `module:function` (or
/// `module:Class.method`) from `[project.scripts]`, `[project.gui-scripts]`,
/// `[project.entry-points.*]` and `[tool.poetry.scripts]` of `pyproject.toml`, and the
/// `name = module:function` lines of `setup.cfg` or `setup.py`.
pub fn entry_points(path: &Path) -> Vec<String> {
    let absolute = crate::discovery::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let Some(project) = absolute.parent().and_then(project_dir) else {
        return Vec::new();
    };
    static CACHE: OnceLock<Mutex<HashMap<OsString, Vec<String>>>> = OnceLock::new();
    cached(&CACHE, &project, || {
        let mut found = Vec::new();
        if let Ok(text) = std::fs::read_to_string(project.join("pyproject.toml")) {
            if let Ok(table) = text.parse::<toml::Table>() {
                let mut groups: Vec<&toml::Value> = Vec::new();
                if let Some(project) = table.get("project") {
                    groups.extend(project.get("scripts"));
                    groups.extend(project.get("gui-scripts"));
                    if let Some(toml::Value::Table(more)) = project.get("entry-points") {
                        groups.extend(more.values());
                    }
                }
                groups.extend(
                    table
                        .get("tool")
                        .and_then(|t| t.get("poetry"))
                        .and_then(|p| p.get("scripts")),
                );
                for group in groups {
                    let Some(group) = group.as_table() else {
                        continue;
                    };
                    for value in group.values() {
                        // Poetry also allows `{ reference = "...", type = "console" }`.
                        let reference = value
                            .as_str()
                            .or_else(|| value.get("reference").and_then(|r| r.as_str()));
                        found.extend(reference.and_then(object_reference));
                    }
                }
            }
        }
        for name in ["setup.cfg", "setup.py"] {
            if let Ok(text) = std::fs::read_to_string(project.join(name)) {
                let pieces = text.split(['\n', '"', '\'', ',', '[', ']', '{', '}']);
                for piece in pieces {
                    if let Some((_, value)) = piece.rsplit_once('=') {
                        found.extend(object_reference(value));
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        found
    })
}

/// `module:attr` of an entry point's object reference (extras in brackets dropped), when it
/// has that shape.
fn object_reference(value: &str) -> Option<String> {
    let value = value.split('[').next()?.trim();
    let (module, attr) = value.split_once(':')?;
    let dotted = |s: &str| !s.is_empty() && s.split('.').all(is_identifier);
    (dotted(module.trim()) && dotted(attr.trim()))
        .then(|| format!("{}:{}", module.trim(), attr.trim()))
}

/// How the project's pytest runs an `async def` test, when it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsyncTests {
    /// pytest-asyncio in auto mode: every `async def` test runs in an event loop.
    Auto,
    /// pytest-asyncio in strict mode (its default): a test runs in an event loop when it is
    /// marked `@pytest.mark.asyncio`.
    Marker,
}

/// Whether the pytest configuration that applies to `path` runs async tests: the nearest
/// `pytest.ini`, `.pytest.ini`, `pyproject.toml` (with a `[tool.pytest.ini_options]` table),
/// `tox.ini` (`[pytest]`) or `setup.cfg` (`[tool:pytest]`) at or above its folder, as pytest
/// finds it, in a project that declares pytest-asyncio (in `pyproject.toml`, `setup.cfg`,
/// `setup.py`, `tox.ini` or a `requirements*.txt` beside the configuration or the project
/// file; without a configuration, the project's). Without that plugin an `async def` test
/// does not run.
pub fn async_tests(path: &Path) -> Option<AsyncTests> {
    let absolute = crate::discovery::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let folder = absolute.parent()?;
    let project = project_dir(folder);
    // Without a configuration, pytest runs in the plugin's default (strict) mode.
    let (config, mode) = pytest_config(folder).or_else(|| Some((project.clone()?, None)))?;
    let declared = std::iter::once(config.as_path())
        .chain(project.as_deref())
        .any(|dir| declares(dir, &["pytest-asyncio", "pytest_asyncio"]));
    declared.then(|| {
        if mode.as_deref() == Some("auto") {
            AsyncTests::Auto
        } else {
            AsyncTests::Marker
        }
    })
}

/// The folder of a pytest configuration, and its `asyncio_mode`.
type PytestConfig = (PathBuf, Option<String>);

/// The pytest configuration for `dir`.
fn pytest_config(dir: &Path) -> Option<PytestConfig> {
    static CACHE: OnceLock<Mutex<HashMap<OsString, Option<PytestConfig>>>> = OnceLock::new();
    cached(&CACHE, dir, || {
        for (name, section) in [
            ("pytest.ini", "pytest"),
            (".pytest.ini", "pytest"),
            ("pyproject.toml", ""),
            ("tox.ini", "pytest"),
            ("setup.cfg", "tool:pytest"),
        ] {
            let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
                continue;
            };
            let found = if section.is_empty() {
                pyproject_pytest(&text)
            } else {
                ini_section(&text, section).map(|entries| ini_value(&entries, "asyncio_mode"))
            };
            if let Some(mode) = found {
                return Some((dir.to_path_buf(), mode));
            }
        }
        dir.parent().and_then(pytest_config)
    })
}

/// `Some(asyncio_mode)` when the `pyproject.toml` configures pytest.
fn pyproject_pytest(text: &str) -> Option<Option<String>> {
    let value: toml::Table = text.parse().ok()?;
    let pytest = value.get("tool")?.get("pytest")?;
    let options = pytest.get("ini_options").unwrap_or(pytest);
    Some(
        options
            .get("asyncio_mode")
            .and_then(|mode| mode.as_str())
            .map(|mode| mode.trim().to_ascii_lowercase()),
    )
}

/// The lines of `[section]` in an INI file, when it has one.
fn ini_section<'t>(text: &'t str, section: &str) -> Option<Vec<&'t str>> {
    let mut lines = text.lines();
    lines.find(|line| line.trim() == format!("[{section}]"))?;
    Some(
        lines
            .take_while(|line| !line.trim_start().starts_with('['))
            .collect(),
    )
}

fn ini_value(entries: &[&str], key: &str) -> Option<String> {
    entries.iter().find_map(|line| {
        let (name, value) = line.split_once(['=', ':'])?;
        (name.trim() == key).then(|| value.trim().to_ascii_lowercase())
    })
}

/// Whether a file of `dir` that lists dependencies (`pyproject.toml`, `setup.cfg`, `setup.py`,
/// `tox.ini`, `Pipfile`, `requirements*.txt`, or a `.txt` file of a `requirements` folder)
/// names one of `names` (lower case), in any case.
fn declares(dir: &Path, names: &[&str]) -> bool {
    let lists = |path: &Path, in_folder: bool| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let txt = name.ends_with(".txt");
        in_folder && txt
            || matches!(
                name.as_ref(),
                "pyproject.toml" | "setup.cfg" | "setup.py" | "tox.ini" | "Pipfile"
            )
            || (name.starts_with("requirements") && txt)
    };
    let names_one = |path: &Path| {
        std::fs::read_to_string(path).is_ok_and(|text| {
            let text = text.to_ascii_lowercase();
            names.iter().any(|name| text.contains(name))
        })
    };
    let files = |dir: &Path| -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries.flatten().map(|entry| entry.path()).collect()
    };
    files(dir)
        .iter()
        .filter(|path| lists(path, false))
        .chain(
            files(&dir.join("requirements"))
                .iter()
                .filter(|path| lists(path, true)),
        )
        .any(|path| names_one(path))
}

/// The project folder of the file `path`: the nearest folder at or above its own that declares a
/// project (a `pyproject.toml`, a `setup.cfg`, or a `setup.py` beside no `__init__.py`).
pub fn project_of_file(path: &Path) -> Option<PathBuf> {
    let absolute = crate::discovery::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    project_dir(absolute.parent()?)
}

/// Whether the project folder `project` declares the distribution `name` as a dependency: a
/// file there that lists dependencies (`pyproject.toml`, `setup.cfg`, `setup.py`, `tox.ini`,
/// `Pipfile`, `requirements*.txt`, a `.txt` file of a `requirements` folder) names it, in any
/// case, with `-` or `_`. In a repository (the nearest folder above with a `.git`), such a
/// file in a folder between the project and the repository's root counts too: a monorepo may
/// declare its members' dependencies once, at its root.
pub fn declares_dependency(project: &Path, name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let names = [lower.as_str(), &lower.replace('-', "_")];
    let repository = project.ancestors().find(|dir| dir.join(".git").exists());
    let mut folders: Vec<&Path> = vec![project];
    if let Some(root) = repository {
        folders.extend(project.ancestors().skip(1).take_while(|dir| *dir != root));
        if root != project {
            folders.push(root);
        }
    }
    folders.iter().any(|dir| declares(dir, &names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_names_its_modules_from_the_folder_cache() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for marker in ["app/pyproject.toml", "other/setup.py"] {
            touch(&root.join(marker));
        }
        // Per file: its names, the folder each counts from, and its project folder (all
        // relative to `root`; "-": outside every project).
        #[rustfmt::skip]
        let expected: [(&str, &[&str], &[&str], &str); 19] = [
            ("loose.py", &["loose"], &[""], "-"),
            ("outside/pkg/__init__.py", &["pkg"], &["outside"], "-"),
            ("outside/pkg/mod.py", &["pkg.mod"], &["outside"], "-"),
            ("app/main.py", &["main"], &["app"], "app"),
            ("app/src/lib/__init__.py", &["lib"], &["app/src"], "app"),
            ("app/src/lib/core.py", &["lib.core"], &["app/src"], "app"),
            ("app/src/lib/sub/__init__.py", &["lib.sub"], &["app/src"], "app"),
            ("app/src/lib/sub/deep.py", &["lib.sub.deep"], &["app/src"], "app"),
            ("app/src/ns/plain.py", &["ns.plain", "plain"], &["app/src", "app/src/ns"], "app"),
            ("app/tests/test_core.py", &["tests.test_core", "test_core"], &["app", "app/tests"], "app"),
            ("app/my-scripts/run.py", &["run"], &["app/my-scripts"], "app"),
            ("app/tools/__init__.py", &["tools"], &["app"], "app"),
            ("app/tools/my-tool.py", &["tools.my-tool"], &["app"], "app"),
            ("app/tools/nested/thing.py", &["tools.nested.thing", "thing"], &["app", "app/tools/nested"], "app"),
            ("other/setup.py", &["setup"], &["other"], "other"),
            ("other/src/__init__.py", &["src"], &["other"], "other"),
            ("other/src/inner.py", &["src.inner"], &["other"], "other"),
            ("other/pkg/__init__.py", &["pkg"], &["other"], "other"),
            ("other/pkg/__init__.pyi", &["pkg"], &["other"], "other"),
        ];
        for (file, ..) in expected {
            touch(&root.join(file));
        }
        // Twice: the second time from the folders' cache.
        for _ in 0..2 {
            for (file, names, origins, project) in expected {
                let place = place(&root.join(file));
                let origins: Vec<PathBuf> = origins.iter().map(|o| root.join(o)).collect();
                let namespace = match project {
                    "-" => String::new(),
                    project => root.join(project).to_string_lossy().into_owned(),
                };
                assert_eq!(place.names, names, "{file}");
                assert_eq!(place.origins, origins, "{file}");
                assert_eq!(place.namespace, namespace, "{file}");
                assert_eq!(place.is_package, file.contains("__init__"), "{file}");
            }
        }
    }

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
    fn files_are_grouped_by_their_nearest_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("outer/pyproject.toml"));
        touch(&root.join("outer/plugins/inner/setup.py"));
        touch(&root.join("other/setup.cfg"));
        let files = [
            "outer/app.py",
            "loose/a.py",
            "outer/plugins/inner/core.py",
            "other/app.py",
            "outer/plugins/glue.py",
            "b.py",
        ]
        .map(|f| root.join(f));
        for file in &files {
            touch(file);
        }
        let groups = by_project(files.iter().map(PathBuf::as_path));
        // The nested project is its own; the files outside every project go together.
        assert_eq!(groups, [vec![0, 4], vec![1, 5], vec![2], vec![3]]);
        assert_eq!(
            project_of(&files[2]),
            Some(root.join("outer/plugins/inner"))
        );
    }

    #[test]
    fn a_setup_module_of_a_package_declares_no_project() {
        // `homeassistant/setup.py` is the module `homeassistant.setup`: the package's tests
        // and the package are one project, the repository's.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("repo/pyproject.toml"));
        let files = [
            "repo/pkg/__init__.py",
            "repo/pkg/setup.py",
            "repo/pkg/db.py",
            "repo/tests/test_db.py",
        ]
        .map(|f| root.join(f));
        for file in &files {
            touch(file);
        }
        let groups = by_project(files.iter().map(PathBuf::as_path));
        assert_eq!(groups, [vec![0, 1, 2, 3]]);
        assert_eq!(project_of(&files[2]), Some(root.join("repo")));
        assert_eq!(place(&files[2]).names, ["pkg.db"]);
        // A packaging script beside no `__init__.py` still declares one.
        touch(&root.join("repo/plugin/setup.py"));
        touch(&root.join("repo/plugin/core.py"));
        assert_eq!(
            project_of(&root.join("repo/plugin/core.py")),
            Some(root.join("repo/plugin"))
        );
    }

    #[test]
    fn outside_every_project_the_repository_is_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("site/.git")).unwrap();
        touch(&root.join("site/manage.py"));
        touch(&root.join("site/shop/__init__.py"));
        touch(&root.join("site/shop/views.py"));
        touch(&root.join("site/tests/test_views.py"));
        touch(&root.join("site/plugins/extra/pyproject.toml"));
        touch(&root.join("site/plugins/extra/core.py"));
        touch(&root.join("loose/a.py"));
        let site = Some(root.join("site"));
        assert_eq!(project_of(&root.join("site/shop/views.py")), site);
        assert_eq!(project_of(&root.join("site/tests/test_views.py")), site);
        // A declared project in the repository is its own.
        assert_eq!(
            project_of(&root.join("site/plugins/extra/core.py")),
            Some(root.join("site/plugins/extra"))
        );
        // Modules are named from a declared project only: as outside every project.
        assert_eq!(
            place(&root.join("site/shop/views.py")).names,
            ["shop.views"]
        );
        assert_eq!(place(&root.join("site/shop/views.py")).namespace, "");
        // A repository with no sign of a Python program (a home folder kept in git) is none.
        std::fs::create_dir_all(root.join("home/.git")).unwrap();
        touch(&root.join("home/scratch/x.py"));
        assert_eq!(project_of(&root.join("home/scratch/x.py")), None);
        touch(&root.join("reqs/requirements-dev.txt"));
        std::fs::create_dir_all(root.join("reqs/.git")).unwrap();
        touch(&root.join("reqs/app.py"));
        assert_eq!(
            project_of(&root.join("reqs/app.py")),
            Some(root.join("reqs"))
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
    fn async_tests_from_the_pytest_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("pyproject.toml"),
            "[project]\nname = \"p\"\n[project.optional-dependencies]\ndev = [\"pytest-asyncio>=0.23\"]\n[tool.pytest.ini_options]\nasyncio_mode = \"auto\"\n",
        )
        .unwrap();
        touch(&root.join("tests/test_a.py"));
        assert_eq!(
            async_tests(&root.join("tests/test_a.py")),
            Some(AsyncTests::Auto)
        );
        // A `pytest.ini` beside it wins (strict mode by default).
        let other = root.join("other");
        touch(&other.join("setup.py"));
        std::fs::write(other.join("pytest.ini"), "[pytest]\ntestpaths = tests\n").unwrap();
        std::fs::write(
            other.join("requirements-dev.txt"),
            "pytest\npytest-asyncio\n",
        )
        .unwrap();
        touch(&other.join("tests/test_b.py"));
        assert_eq!(
            async_tests(&other.join("tests/test_b.py")),
            Some(AsyncTests::Marker)
        );
        // No plugin declared: async tests would not run.
        let bare = root.join("bare");
        touch(&bare.join("setup.cfg"));
        std::fs::write(
            bare.join("setup.cfg"),
            "[tool:pytest]\nasyncio_mode = auto\n",
        )
        .unwrap();
        touch(&bare.join("test_c.py"));
        assert_eq!(async_tests(&bare.join("test_c.py")), None);
        // Declared in a requirements file of a `requirements` folder.
        std::fs::create_dir_all(bare.join("requirements")).unwrap();
        std::fs::write(bare.join("requirements/dev.txt"), "pytest_asyncio==0.24\n").unwrap();
        assert_eq!(async_tests(&bare.join("test_c.py")), Some(AsyncTests::Auto));
    }

    #[test]
    fn entry_points_from_the_project_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("pyproject.toml"),
            "[project]\nname = \"p\"\n[project.scripts]\ntool = \"pkg.cli:main\"\n[project.entry-points.\"app.plugins\"]\nx = \"pkg.plugins:Plugin.load [extra]\"\n[tool.poetry.scripts]\nother = { reference = \"pkg.other:run\", type = \"console\" }\n",
        )
        .unwrap();
        std::fs::write(
            root.join("setup.py"),
            "setup(entry_points={'console_scripts': ['legacy = pkg.legacy:main']})\n",
        )
        .unwrap();
        touch(&root.join("pkg/cli.py"));
        assert_eq!(
            entry_points(&root.join("pkg/cli.py")),
            [
                "pkg.cli:main",
                "pkg.legacy:main",
                "pkg.other:run",
                "pkg.plugins:Plugin.load"
            ]
        );
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
