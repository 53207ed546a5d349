//! Replacements a project's code (its tests, mostly) makes of the functions the recipes
//! migrate away from: `mock.patch("pkg.jobs.subprocess.run")`, `@patch("time.sleep")`,
//! `patch.object(time, "sleep")`, `mocker.patch(...)`, `monkeypatch.setattr(...)`,
//! `time.sleep = fake`, and in tests `jobs.nap = fake` (`nap`: the module's alias of a
//! migrated function).
//!
//! A test that patches `time.sleep` to run fast, or `subprocess.run` to return a canned
//! result, relies on the code under test calling it. Once migrated, the code calls
//! `asyncio.sleep` or `asyncio.create_subprocess_exec` instead: the patch no longer takes
//! effect, the test sleeps for real or starts real processes. A fix that replaces a patched
//! function therefore changes behaviour; [`Patches::affecting`] finds the patch that makes it so.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rustc_hash::FxHashMap;

use crate::parse::ast::{self, Expr, Stmt};
use crate::parse::visitor::{self, Visitor};
use crate::parse::{Parsed, Ranged};
use crate::recipe::{contains, mentions_word};
use crate::semantic::SemanticModel;
use crate::source::LineIndex;

/// The first segment of a patch's target when the patched object has no dotted name
/// (`monkeypatch.setattr(store, "load", fake)` for `store = Store()`): `?.load`.
pub const ON_AN_OBJECT: &str = "?";

/// One replacement of a function or module attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// What is replaced, dotted: `pkg.jobs.subprocess.run`, `time.sleep`, `pkg.jobs.time`.
    pub target: String,
    /// By what the patching code gives (`new=`, `monkeypatch.setattr`'s value, an
    /// assignment), rather than by a mock `mock.patch` makes, which is an `AsyncMock` when
    /// the target is an `async def`.
    pub replaces: bool,
    /// Where.
    pub path: PathBuf,
    pub line: usize,
}

impl Patch {
    /// `path:line`, for notes.
    pub fn location(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }
}

/// Whether the file at `path` may patch something (a byte test before parsing it).
pub fn may_patch(path: &Path, text: &str) -> bool {
    // `patch(` and `setattr(` as names of their own (not `dispatch(`), or imported under
    // another name; `patch` only from `mock` (`mock.patch`, `mocker.patch`: not an HTTP
    // client's `client.patch(...)`).
    let called = |name: &str| {
        memchr::memmem::find_iter(text.as_bytes(), name.as_bytes())
            .any(|at| crate::recipe::starts_word(text.as_bytes(), at))
    };
    let mock_patch = contains(text, "mock")
        && (called("patch(")
            || called("patch.object(")
            || called("patch.multiple(")
            || contains(text, "patch as"));
    // What is replaced is not looked at here: a patch of an alias (`pkg.jobs.sp_run`) names
    // none of the migrated functions. [`Patches`] parses a module only when asked about a
    // name it mentions.
    // An assignment replaces a function too: `time.sleep = fake` anywhere, and in a test
    // module any attribute of an imported name (`jobs.nap = fake`, for `nap`, the module's
    // alias of `time.sleep`). Outside tests, an assignment to an attribute of an imported
    // name is configuration far more often than a replacement, and would keep most files.
    // (`setattr(` and `setattr as` found in one search.)
    let setattr = || {
        let bytes = text.as_bytes();
        memchr::memmem::find_iter(bytes, b"setattr").any(|at| {
            let rest = &bytes[at + "setattr".len()..];
            (rest.starts_with(b"(") && crate::recipe::starts_word(bytes, at))
                || rest.starts_with(b" as")
        })
    };
    mock_patch
        || setattr()
        || contains(text, ".sleep =")
        || is_test_module(path) && assigns_imported_attribute(text)
}

/// A pytest module (`test_*.py`, `*_test.py`, `conftest.py`) or a module in a `test` or
/// `tests` folder.
fn is_test_module(path: &Path) -> bool {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem == "conftest"
        || path
            .parent()
            .is_some_and(|folder| folder.iter().any(|c| c == "tests" || c == "test"))
}

/// Whether the text may assign an attribute of a name it imports (`jobs.nap = fake`,
/// `pkg.jobs.sp_run = fake`), which the finder reads as a replacement:
/// an `=` of an assignment after a dotted name whose first name is not `self` or `cls` and is
/// written in one of the file's import statements.
fn assigns_imported_attribute(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut imported: Option<Vec<&[u8]>> = None;
    for at in memchr::memchr_iter(b'=', bytes) {
        // Not `==`, `!=`, `<=`, `>=`, `:=` nor an augmented assignment.
        if at == 0 || bytes.get(at + 1) == Some(&b'=') || b"=!<>:+-*/%&|^@".contains(&bytes[at - 1])
        {
            continue;
        }
        // Each target on the line before it (`jobs.nap, jobs.sp_run = ...`).
        let line = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |newline| newline + 1);
        for target in bytes[line..at].split(|&b| b == b',') {
            let target = target.trim_ascii_end();
            let target = target.strip_suffix(b")").unwrap_or(target).trim_ascii_end();
            let Some(root) = dotted_root(target) else {
                continue;
            };
            if root != b"self" && root != b"cls" {
                let imported = imported.get_or_insert_with(|| imported_words(bytes));
                if imported.contains(&root) {
                    return true;
                }
            }
        }
    }
    false
}

/// The first name of the dotted name `text` ends with (`jobs` of `x = jobs.nap`), if it has
/// a dot.
fn dotted_root(text: &[u8]) -> Option<&[u8]> {
    use crate::recipe::continues_identifier;
    let mut start = text.len();
    let mut dotted = false;
    loop {
        let end = start;
        while start > 0 && continues_identifier(text[start - 1]) {
            start -= 1;
        }
        if start == end {
            return None;
        }
        if start > 0 && text[start - 1] == b'.' {
            dotted = true;
            start -= 1;
            continue;
        }
        return dotted.then_some(&text[start..end]);
    }
}

/// The words of the file's import statements (`import a.b as c`, `from . import (d, e)`),
/// over the lines they continue on (in parentheses or after a backslash).
fn imported_words(bytes: &[u8]) -> Vec<&[u8]> {
    let mut words = Vec::new();
    let mut continued = false;
    for line in bytes.split(|&b| b == b'\n') {
        let stripped = line.trim_ascii_start();
        let statement = stripped.starts_with(b"import ") || stripped.starts_with(b"from ");
        if !(statement || continued) {
            continue;
        }
        if statement {
            continued = false;
        }
        words.extend(
            line.split(|&b| !crate::recipe::continues_identifier(b))
                .filter(|w| !w.is_empty()),
        );
        let line = line.trim_ascii_end();
        continued = if line.contains(&b'(') || continued && !line.contains(&b')') {
            !line.contains(&b')')
        } else {
            line.ends_with(b"\\")
        };
    }
    words
}

/// The patches a parsed module makes.
pub fn patches_in(path: &Path, text: &str, parsed: &Parsed) -> Vec<Patch> {
    let semantic = SemanticModel::build(parsed.suite());
    let mut finder = Finder {
        semantic: &semantic,
        found: Vec::new(),
    };
    finder.visit_body(parsed.suite());
    let lines = LineIndex::new(text);
    finder
        .found
        .into_iter()
        .map(|(target, offset, replaces)| Patch {
            target,
            replaces,
            path: path.to_path_buf(),
            line: lines.line_of(offset) + 1,
        })
        .collect()
}

/// Whether `patch` is one that a migration of `api` (`["time", "sleep"]`) in the module named
/// `modules` (every name it is imported by) would defeat, for a call written `callee`
/// (`time.sleep`, `t.sleep`, `sleep`): a patch of the function itself (through any module
/// that imports its module: `pkg.jobs.time.sleep` is `time.sleep`), or of the name the call
/// goes through in that module (`pkg.jobs.sleep`, `pkg.jobs.time`).
fn affects(patch: &Patch, modules: &[String], api: &str, callee: &str) -> bool {
    let root = callee.split('.').next().unwrap_or(callee);
    let target = patch.target.as_str();
    target == api
        || target.ends_with(&format!(".{api}"))
        || modules.iter().any(|module| {
            target == format!("{module}.{root}") || target == format!("{module}.{callee}")
        })
}

/// The last segment of a dotted name (`sleep` of `time.sleep`).
fn last_segment(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

/// What the run's modules patch, found as it is asked for.
///
/// The modules that may patch ([`may_patch`]) are kept with their texts; one is parsed (once)
/// only when a question is asked about a name it mentions. Every question is about patches
/// whose target ends with a given name (`sleep`, `time`, `run_cmd`), and that name is always
/// written in the patching module as a word of its own: the target is a string literal
/// (`"pkg.jobs.time"`, `patch.object(time, "sleep")`) or an attribute (`time.sleep = fake`).
/// So a module whose text does not mention the name cannot hold an answer, and most modules
/// that may patch are never parsed: in a run with no fix to judge, none is.
///
/// Answers are as if every module had been parsed up front: the first patch in run order
/// (the modules' order, then each module's own) that answers the question.
#[derive(Default)]
pub struct Patches {
    modules: Vec<Patching>,
    /// Per name asked about: whether each module mentions it.
    mentioning: Mutex<FxHashMap<Box<str>, Arc<[bool]>>>,
    /// The bytes searched for names so far (past a budget, every module is parsed instead).
    searched: AtomicUsize,
}

/// A module that may patch.
struct Patching {
    path: PathBuf,
    text: Box<str>,
    found: OnceLock<Vec<Patch>>,
}

impl Patching {
    fn patches(&self) -> &[Patch] {
        self.found
            .get_or_init(|| match crate::parse::parse_module(&self.text) {
                Ok(parsed) => patches_in(&self.path, &self.text, &parsed),
                Err(_) => Vec::new(),
            })
    }
}

impl std::fmt::Debug for Patches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.modules.iter().map(|module| &module.path))
            .finish()
    }
}

/// How many times the texts of the modules that may patch are searched for names before
/// they are all parsed instead (a search is about a hundred times faster than a parse).
const SEARCHES: usize = 32;

impl Patches {
    /// The modules that may patch (see [`may_patch`]), in run order, with their texts.
    pub fn new(modules: impl IntoIterator<Item = (PathBuf, Box<str>)>) -> Self {
        Patches {
            modules: modules
                .into_iter()
                .map(|(path, text)| Patching {
                    path,
                    text,
                    found: OnceLock::new(),
                })
                .collect(),
            ..Patches::default()
        }
    }

    /// Patches already found (for tests).
    #[cfg(test)]
    fn found(patches: Vec<Patch>) -> Self {
        let found = OnceLock::new();
        let _ = found.set(patches);
        Patches {
            modules: vec![Patching {
                path: PathBuf::new(),
                text: Box::default(),
                found,
            }],
            ..Patches::default()
        }
    }

    /// Whether no module of the run may patch anything.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The first patch (in run order) whose target's last segment is one of `names` and for
    /// which `test` holds.
    pub fn find(&self, names: &[&str], test: impl Fn(&Patch) -> bool) -> Option<&Patch> {
        let candidate = |mentions: &dyn Fn(&str) -> bool| names.iter().any(|&n| mentions(n));
        self.first(names, names, candidate, test)
    }

    /// The patch that a migration of `api` (`["time", "sleep"]`) in the module named
    /// `modules` (every name it is imported by) would defeat, for a call written `callee`
    /// (see `affects`).
    pub fn affecting(&self, modules: &[String], api: &[&str], callee: &str) -> Option<&Patch> {
        let api = api.join(".");
        let root = callee.split('.').next().unwrap_or(callee);
        let names = [last_segment(&api), root, last_segment(callee)];
        // A patch of the function itself ends with its name; one of the name the call goes
        // through (`pkg.jobs.time`, `pkg.jobs.sleep`) also names the module, whose last
        // segment is then a word of its own too (`jobs`). Without that test, every module
        // that mentions `time` was parsed for a fix of `time.sleep`.
        let through: Vec<&str> = modules.iter().map(|module| last_segment(module)).collect();
        let mut words = names.to_vec();
        words.extend(&through);
        let candidate = |mentions: &dyn Fn(&str) -> bool| {
            mentions(names[0])
                || ((mentions(root) || mentions(names[2]))
                    && through.iter().any(|&module| mentions(module)))
        };
        self.first(&names, &words, candidate, |patch| {
            affects(patch, modules, &api, callee)
        })
    }

    /// The first patch (in run order) whose target's last segment is one of `names` and for
    /// which `test` holds, among the modules parsed already and those for which `candidate`
    /// holds, given whether they mention a word (one of `words`).
    fn first(
        &self,
        names: &[&str],
        words: &[&str],
        candidate: impl Fn(&dyn Fn(&str) -> bool) -> bool,
        test: impl Fn(&Patch) -> bool,
    ) -> Option<&Patch> {
        if self.modules.is_empty() {
            return None;
        }
        let mentioning: Vec<(&str, Option<Arc<[bool]>>)> = words
            .iter()
            .map(|&word| (word, self.mentioning(word)))
            .collect();
        self.modules
            .iter()
            .enumerate()
            .filter(|&(i, module)| {
                // (A word not searched for, as it is no identifier, may be mentioned.)
                let mentions = |word: &str| {
                    mentioning
                        .iter()
                        .find(|(w, _)| *w == word)
                        .is_none_or(|(_, mentions)| mentions.as_ref().is_none_or(|m| m[i]))
                };
                module.found.get().is_some() || candidate(&mentions)
            })
            .flat_map(|(_, module)| module.patches())
            .find(|&patch| names.contains(&last_segment(&patch.target)) && test(patch))
    }

    /// Per module, whether it mentions `name` as a word; `None` when any module may hold a
    /// patch of it (it is not an identifier, or the search budget is spent).
    fn mentioning(&self, name: &str) -> Option<Arc<[bool]>> {
        let identifier = !name.is_empty() && name.bytes().all(crate::recipe::continues_identifier);
        if !identifier {
            return None;
        }
        let lock = || {
            self.mentioning
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(mentions) = lock().get(name) {
            return Some(Arc::clone(mentions));
        }
        let bytes: usize = self.modules.iter().map(|module| module.text.len()).sum();
        if self.searched.fetch_add(bytes, Ordering::Relaxed) > SEARCHES * bytes {
            return None;
        }
        let mentions: Arc<[bool]> = self
            .modules
            .iter()
            .map(|module| mentions_word(&module.text, name))
            .collect();
        lock().insert(name.into(), Arc::clone(&mentions));
        Some(mentions)
    }
}

struct Finder<'m, 'a> {
    semantic: &'m SemanticModel<'a>,
    /// Target, where, and whether the patching code gives the replacement.
    found: Vec<(String, crate::parse::TextSize, bool)>,
}

impl<'a> Finder<'_, 'a> {
    /// The dotted name an expression resolves to from the module's top level.
    fn dotted(&self, expr: &'a Expr) -> Option<String> {
        self.semantic
            .qualified_name(0, expr)
            .map(|path| path.join("."))
    }

    fn string(expr: &Expr) -> Option<String> {
        match expr {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
            _ => None,
        }
    }

    /// `receiver.attr` when `receiver` is the pytest fixture named `fixture`.
    fn fixture_method(func: &Expr, fixture: &str, attr: &str) -> bool {
        matches!(func, Expr::Attribute(a)
            if a.attr.id.as_str() == attr
                && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == fixture))
    }

    fn on_call(&mut self, call: &'a ast::ExprCall) {
        let func = &*call.func;
        let args = &call.arguments.args;
        let qualified = self.semantic.qualified_name(0, func);
        let name: Vec<&str> = qualified.unwrap_or_default();
        let is_patch = matches!(
            name.as_slice(),
            ["unittest", "mock", "patch"] | ["mock", "patch"]
        ) || Self::fixture_method(func, "mocker", "patch");
        let is_patch_object = matches!(
            name.as_slice(),
            ["unittest", "mock", "patch", "object"] | ["mock", "patch", "object"]
        ) || matches!(func, Expr::Attribute(a)
            if a.attr.id.as_str() == "object" && Self::fixture_method(&a.value, "mocker", "patch"));
        // `monkeypatch.setattr`, whatever holds the `MonkeyPatch` (`mp` of
        // `pytest.MonkeyPatch.context()`): any `.setattr(...)` method call counts.
        let is_setattr = matches!(func, Expr::Attribute(a) if a.attr.id.as_str() == "setattr")
            || matches!(name.as_slice(), ["builtins", "setattr"]);
        // `patch.multiple("pkg.jobs.time", sleep=fake)`: each keyword names an attribute.
        let is_patch_multiple = matches!(
            name.as_slice(),
            ["unittest", "mock", "patch", "multiple"] | ["mock", "patch", "multiple"]
        ) || matches!(func, Expr::Attribute(a)
            if a.attr.id.as_str() == "multiple" && Self::fixture_method(&a.value, "mocker", "patch"));
        if is_patch_multiple {
            let base = args
                .first()
                .and_then(|first| Self::string(first).or_else(|| self.dotted(first)));
            if let Some(base) = base {
                for keyword in &*call.arguments.keywords {
                    if let Some(attribute) = &keyword.arg {
                        let target = format!("{base}.{}", attribute.id);
                        self.found.push((target, call.start(), true));
                    }
                }
            }
            return;
        }
        let target = if is_patch {
            args.first().and_then(Self::string)
        } else if is_patch_object || is_setattr {
            match args.as_ref() {
                // `monkeypatch.setattr("pkg.mod.name", value)`.
                [first, _] if is_setattr && Self::string(first).is_some() => Self::string(first),
                [object, attribute, ..] => Self::string(attribute).map(|attribute| {
                    match self.dotted(object) {
                        Some(object) if !object.starts_with("builtins.") => {
                            format!("{object}.{attribute}")
                        }
                        // An object no import leads to (`store` of `store = Store()`, a local
                        // name, which the module's scope does not bind).
                        _ => format!("{ON_AN_OBJECT}.{attribute}"),
                    }
                }),
                _ => None,
            }
        } else {
            None
        };
        // The replacement given: `patch(target, new)`, `patch.object(obj, name, new)`, `new=`
        // or `new_callable=`; every `setattr`'s value. An `AsyncMock` (`new=AsyncMock()`,
        // `new_callable=AsyncMock`) is awaited as an `async def` is: no sync replacement.
        let async_mock = |expr: &'a Expr| {
            let made = match expr {
                Expr::Call(call) => &*call.func,
                other => other,
            };
            self.semantic
                .qualified_name(0, made)
                .is_some_and(|path| matches!(path.as_slice(), [.., "mock", "AsyncMock"]))
        };
        let sync_replacement = |value: &'a Expr| !async_mock(value);
        let given = |positional: usize| {
            args.get(positional).is_some_and(sync_replacement)
                || call.arguments.keywords.iter().any(|k| {
                    k.arg
                        .as_ref()
                        .is_some_and(|a| matches!(a.id.as_str(), "new" | "new_callable"))
                        && sync_replacement(&k.value)
                })
        };
        let value = if is_setattr { args.last() } else { None };
        let replaces = value.is_some_and(sync_replacement)
            || (is_patch && given(1))
            || (is_patch_object && given(2));
        if let Some(target) = target {
            self.found.push((target, call.start(), replaces));
        }
    }
}

impl<'a> Visitor<'a> for Finder<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        // `time.sleep = fake`, `jobs.subprocess.run = fake`.
        // And each of a tuple's or list's (`jobs.nap, jobs.sp_run = fakes`).
        if let Stmt::Assign(assign) = stmt {
            // (A stack: the targets are met in the order they are written.)
            let mut targets: Vec<&Expr> = assign.targets.iter().rev().collect();
            while let Some(target) = targets.pop() {
                match target {
                    Expr::Attribute(_) => {
                        if let Some(dotted) = self.dotted(target) {
                            self.found.push((dotted, stmt.start(), true));
                        }
                    }
                    Expr::Tuple(tuple) => targets.extend(tuple.elts.iter().rev()),
                    Expr::List(list) => targets.extend(list.elts.iter().rev()),
                    _ => {}
                }
            }
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            self.on_call(call);
        }
        visitor::walk_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_test_finds_setattr_called_or_imported_under_another_name() {
        let module = Path::new("app/jobs.py");
        for text in [
            "monkeypatch.setattr(jobs, 'nap', fake)",
            "setattr(jobs, 'nap', fake)",
            "from builtins import setattr as put\nput(jobs, 'nap', fake)",
            "x = 1\nsetattr(",
        ] {
            assert!(may_patch(module, text), "{text}");
        }
        for text in [
            "resetattr(jobs)",
            "my_setattr(jobs, 'nap', fake)",
            "setattrs = 1",
            "# setattr is not called here",
            "setattr_as = 1",
        ] {
            assert!(!may_patch(module, text), "{text}");
        }
    }

    fn targets(source: &str) -> Vec<String> {
        let parsed = crate::parse::parse_module(source).unwrap();
        patches_in(Path::new("test_x.py"), source, &parsed)
            .into_iter()
            .map(|p| p.target)
            .collect()
    }

    #[test]
    fn finds_the_usual_shapes() {
        let source = r#"
import time
import subprocess
from unittest import mock
from unittest.mock import patch

import pkg.jobs as jobs


@patch("pkg.jobs.subprocess.run")
def test_a(run):
    with mock.patch("time.sleep"):
        pass
    with patch.object(time, "sleep"):
        pass


def test_b(monkeypatch, mocker):
    monkeypatch.setattr("pkg.jobs.sleep", lambda s: None)
    monkeypatch.setattr(subprocess, "check_output", lambda *a: b"")
    mocker.patch("pkg.jobs.time")
    mocker.patch.object(jobs, "run_cmd")
    jobs.time.sleep = lambda s: None
    patch("not.a.literal" + "")
"#;
        assert!(may_patch(Path::new("tests/test_jobs.py"), source));
        assert_eq!(
            targets(source),
            [
                "pkg.jobs.subprocess.run",
                "time.sleep",
                "time.sleep",
                "pkg.jobs.sleep",
                "subprocess.check_output",
                "pkg.jobs.time",
                "pkg.jobs.run_cmd",
                "pkg.jobs.time.sleep",
            ]
        );
    }

    #[test]
    fn what_gives_the_replacement_is_told() {
        let source = r#"
from unittest import mock

import pkg.db as db


def test(monkeypatch, mocker):
    mock.patch("pkg.db.a")
    mock.patch("pkg.db.b", fake)
    mock.patch("pkg.db.c", new=fake)
    mock.patch("pkg.db.d", side_effect=fake)
    mock.patch("pkg.db.e", new_callable=mock.MagicMock)
    mock.patch.object(db, "f")
    mock.patch.object(db, "g", fake)
    mocker.patch.object(db, "h", return_value=1)
    monkeypatch.setattr(db, "i", fake)
    db.j = fake
    store = db.Store()
    monkeypatch.setattr(store, "k", fake)
    mock.patch("pkg.db.l", new_callable=mock.AsyncMock)
    mock.patch.object(db, "m", new=mock.AsyncMock(return_value=1))
    monkeypatch.setattr(db, "n", mock.AsyncMock())
"#;
        let parsed = crate::parse::parse_module(source).unwrap();
        let found: Vec<(String, bool)> = patches_in(Path::new("test_x.py"), source, &parsed)
            .into_iter()
            .map(|p| {
                (
                    p.target.trim_start_matches("pkg.db.").to_owned(),
                    p.replaces,
                )
            })
            .collect();
        let expected = [
            ("a", false),
            ("b", true),
            ("c", true),
            ("d", false),
            ("e", true),
            ("f", false),
            ("g", true),
            ("h", false),
            ("i", true),
            ("j", true),
            ("?.k", true),
            ("l", false),
            ("m", false),
            ("n", false),
        ];
        assert_eq!(found, expected.map(|(t, r)| (t.to_owned(), r)).to_vec());
    }

    #[test]
    fn patch_multiple_replaces_each_keyword() {
        let source = "import time\nfrom unittest import mock\n\n@mock.patch.multiple('pkg.jobs.time', sleep=f, monotonic=g)\ndef test(): ...\n\ndef test_2(mocker):\n    mocker.patch.multiple(time, sleep=f)\n";
        assert_eq!(
            targets(source),
            [
                "pkg.jobs.time.sleep",
                "pkg.jobs.time.monotonic",
                "time.sleep"
            ]
        );
    }

    #[test]
    fn the_byte_test_keeps_every_shape_the_finder_knows() {
        for (source, kept) in [
            (
                "from unittest import mock\nmock.patch('time.sleep')\n",
                true,
            ),
            (
                "import unittest.mock as um\num.patch.object(time, 'sleep')\n",
                true,
            ),
            (
                "from unittest.mock import patch as p\np('pkg.time')\n",
                true,
            ),
            (
                "def test(mocker):\n    mocker.patch('pkg.jobs.subprocess.run')\n",
                true,
            ),
            (
                "def test(monkeypatch):\n    monkeypatch.setattr(time, 'sleep', f)\n",
                true,
            ),
            ("import time\nsetattr(time, 'sleep', f)\n", true),
            ("import pkg\npkg.time.sleep = f\n", true),
            (
                "from unittest.mock import patch\npatch.multiple('pkg.jobs.time', sleep=f)\n",
                true,
            ),
            (
                "import time\ndef test(mocker):\n    mocker.patch.multiple(time, sleep=f)\n",
                true,
            ),
            (
                "import time, pytest\nwith pytest.MonkeyPatch.context() as mp:\n    mp.setattr(time, 'sleep', f)\n",
                true,
            ),
            // An assignment to an attribute of an imported name, which may be an alias of a
            // migrated function (`from time import sleep as nap` in `jobs`).
            ("import jobs\n\ndef test():\n    jobs.nap = f\n", true),
            (
                "from pkg import (\n    other,\n    jobs,\n)\njobs.nap = f\n",
                true,
            ),
            ("import pkg.jobs as j\nj.nap=f\n", true),
            ("import pkg.jobs\npkg.jobs.nap , x = f, 1\n", true),
            // Attributes of objects, not of imported names; comparisons.
            (
                "import jobs\nclass A:\n    def f(self, node):\n        self.nap = node.nap = 1\n",
                false,
            ),
            (
                "import jobs\nif jobs.nap == f or jobs.nap <= 1:\n    pass\n",
                false,
            ),
            ("import jobs\njobs.count += 1\n", false),
            // An HTTP client's PATCH, a dispatcher: no mock, nothing the finder knows.
            (
                "async def f(client):\n    await client.patch('/time')\n",
                false,
            ),
            ("def f(time):\n    dispatch(time)\n", false),
            // A patch of anything: the name it replaces may be an alias of a migrated
            // function (`from subprocess import run`).
            ("from unittest import mock\nmock.patch('pkg.run')\n", true),
        ] {
            assert_eq!(
                may_patch(Path::new("test_jobs.py"), source),
                kept,
                "{source:?}"
            );
            if kept {
                assert!(!targets(source).is_empty(), "{source:?}");
            }
        }
        // An attribute of an imported name is looked for in test modules only; `.sleep =`
        // everywhere.
        let assigned = "import jobs\njobs.nap = f\n";
        for (path, kept) in [
            ("pkg/tests/helpers.py", true),
            ("test/jobs.py", true),
            ("conftest.py", true),
            ("jobs_test.py", true),
            ("pkg/jobs.py", false),
            ("pkg/testing.py", false),
        ] {
            assert_eq!(may_patch(Path::new(path), assigned), kept, "{path}");
        }
        assert!(may_patch(
            Path::new("pkg/jobs.py"),
            "import time\ntime.sleep = f\n"
        ));
    }

    #[test]
    fn matches_the_function_or_the_name_the_call_uses() {
        let patch = |target: &str| Patch {
            target: target.to_owned(),
            replaces: false,
            path: PathBuf::from("t.py"),
            line: 1,
        };
        let modules = ["pkg.jobs".to_owned()];
        let sleep = ["time", "sleep"];
        for (target, callee, hit) in [
            ("time.sleep", "time.sleep", true),
            ("other.mod.time.sleep", "time.sleep", true),
            ("pkg.jobs.sleep", "sleep", true),
            ("pkg.jobs.time", "time.sleep", true),
            ("pkg.jobs.t", "t.sleep", true),
            ("pkg.other.sleep", "sleep", false),
            ("pkg.jobs.time", "sleep", false),
            ("mytime.sleeper", "time.sleep", false),
        ] {
            let patches = Patches::found(vec![patch(target)]);
            assert_eq!(
                patches.affecting(&modules, &sleep, callee).is_some(),
                hit,
                "{target} / {callee}"
            );
        }
    }

    /// Modules that may patch, for the tests of [`Patches`]: one patches `time.sleep`, one
    /// `pkg.jobs.time` (its text also has `timeout`), one `pkg.jobs.run_cmd`, one nothing
    /// (it mentions `sleep` in a comment), one does not parse.
    fn patching() -> Vec<(PathBuf, Box<str>)> {
        [
            (
                "test_a.py",
                "from unittest import mock\nmock.patch('time.sleep')\n",
            ),
            (
                "test_b.py",
                "from unittest import mock\n\n\nmock.patch('pkg.jobs.time', timeout=1)\n",
            ),
            (
                "test_c.py",
                "def test(mocker):\n    mocker.patch('pkg.jobs.run_cmd')\n",
            ),
            (
                "test_d.py",
                "from unittest import mock  # sleep\nmock.patch('x.y')\n",
            ),
            (
                "test_e.py",
                "from unittest import mock\nmock.patch('time.sleep'\n",
            ),
        ]
        .into_iter()
        .map(|(path, text)| (PathBuf::from(path), Box::from(text)))
        .collect()
    }

    fn parsed(patches: &Patches) -> Vec<bool> {
        patches
            .modules
            .iter()
            .map(|module| module.found.get().is_some())
            .collect()
    }

    #[test]
    fn patches_are_found_as_if_every_module_was_parsed() {
        let modules = ["pkg.jobs".to_owned()];
        let questions: [(&[&str], &str); 7] = [
            (&["time", "sleep"], "time.sleep"),
            (&["time", "sleep"], "sleep"),
            (&["time", "sleep"], "t.sleep"),
            (&["subprocess", "run"], "run_cmd"),
            (&["subprocess", "run"], "subprocess.run"),
            (&["os", "system"], "system"),
            (&["x", "y"], "(x) . y"),
        ];
        // Parsed up front: every module's patches, in order.
        let all: Vec<Patch> = patching()
            .iter()
            .flat_map(|(path, text)| match crate::parse::parse_module(text) {
                Ok(parsed) => patches_in(path, text, &parsed),
                Err(_) => Vec::new(),
            })
            .collect();
        let lazy = Patches::new(patching());
        for (api, callee) in questions {
            let dotted = api.join(".");
            let eager = all
                .iter()
                .find(|patch| affects(patch, &modules, &dotted, callee));
            assert_eq!(
                lazy.affecting(&modules, api, callee),
                eager,
                "{dotted} / {callee}"
            );
        }
        let lazy = Patches::new(patching());
        assert_eq!(lazy.find(&["run_cmd"], |_| true), all.get(2));
        assert_eq!(lazy.find(&["time"], |_| true), all.get(1));
    }

    #[test]
    fn a_module_is_parsed_only_when_asked_about_a_name_it_mentions() {
        let modules = ["pkg.jobs".to_owned()];
        let patches = Patches::new(patching());
        assert_eq!(parsed(&patches), [false; 5]);
        // `subprocess.run` called as `run`: no module mentions `run` or `subprocess`.
        assert!(patches
            .affecting(&modules, &["subprocess", "run"], "run")
            .is_none());
        assert_eq!(parsed(&patches), [false; 5]);
        // `time.sleep` called as `sleep`: the first module that mentions `sleep` answers.
        let patch = patches.affecting(&modules, &["time", "sleep"], "sleep");
        assert_eq!(patch.map(|p| p.location()), Some("test_a.py:2".to_owned()));
        assert_eq!(parsed(&patches), [true, false, false, false, false]);
        // `pkg.jobs.sleep` is patched nowhere: the modules that mention `sleep` are read (a
        // patch of `pkg.jobs.time` cannot be the one: `test_b` is left alone).
        assert!(patches
            .find(&["sleep"], |patch| patch.target == "pkg.jobs.sleep")
            .is_none());
        assert_eq!(parsed(&patches), [true, false, false, true, true]);
        // A name that is no identifier: any module may hold it.
        assert!(patches.find(&["a b"], |_| true).is_none());
        assert_eq!(parsed(&patches), [true; 5]);
    }

    #[test]
    fn a_patch_of_the_name_a_call_goes_through_is_looked_for_where_its_module_is_named() {
        // Both mention `time`; only `test_b` names `jobs`, and neither mentions `sleep`.
        let text = |target: &str| format!("from unittest import mock\nmock.patch('{target}')\n");
        let modules = [
            ("test_f.py", "pkg.other.time"),
            ("test_b.py", "pkg.jobs.time"),
        ]
        .map(|(path, target)| (PathBuf::from(path), Box::from(text(target))));
        let patches = Patches::new(modules.clone());
        let patch = patches.affecting(&["pkg.jobs".to_owned()], &["time", "sleep"], "time.sleep");
        assert_eq!(patch.map(|p| p.target.as_str()), Some("pkg.jobs.time"));
        assert_eq!(parsed(&patches), [false, true]);
        // The other module's own question finds its patch.
        let patches = Patches::new(modules);
        let patch = patches.affecting(&["pkg.other".to_owned()], &["time", "sleep"], "time.sleep");
        assert_eq!(patch.map(|p| p.target.as_str()), Some("pkg.other.time"));
        assert_eq!(parsed(&patches), [true, false]);
    }

    #[test]
    fn a_patch_of_an_alias_is_found() {
        // `pkg/jobs.py` has `from subprocess import run as sp_run`; its test patches the alias
        // and mentions none of the migrated functions.
        let text =
            "from unittest import mock\n\n@mock.patch('pkg.jobs.sp_run')\ndef test(fake): ...\n";
        assert!(may_patch(Path::new("test_jobs.py"), text));
        let patches = Patches::new([(PathBuf::from("test_jobs.py"), Box::from(text))]);
        let patch = patches.affecting(&["pkg.jobs".to_owned()], &["subprocess", "run"], "sp_run");
        assert_eq!(patch.map(|p| p.target.as_str()), Some("pkg.jobs.sp_run"));
    }

    #[test]
    fn past_the_search_budget_every_module_is_parsed() {
        let patches = Patches::new(patching());
        for i in 0..=SEARCHES {
            assert!(patches.find(&[&format!("name{i}")], |_| true).is_none());
        }
        assert_eq!(parsed(&patches), [false; 5]);
        assert!(patches.find(&["nothing"], |_| true).is_none());
        assert_eq!(parsed(&patches), [true; 5]);
        let patch = patches.find(&["run_cmd"], |_| true);
        assert_eq!(patch.map(|p| p.location()), Some("test_c.py:2".to_owned()));
    }
}
