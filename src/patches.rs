//! Replacements a project's code (its tests, mostly) makes of the functions the recipes
//! migrate away from: `mock.patch("pkg.jobs.subprocess.run")`, `@patch("time.sleep")`,
//! `patch.object(time, "sleep")`, `mocker.patch(...)`, `monkeypatch.setattr(...)`,
//! `time.sleep = fake`.
//!
//! A test that patches `time.sleep` to run fast, or `subprocess.run` to return a canned
//! result, relies on the code under test calling it. Once migrated, the code calls
//! `asyncio.sleep` or `asyncio.create_subprocess_exec` instead: the patch no longer takes
//! effect, the test sleeps for real or starts real processes. A fix that replaces a patched
//! function therefore changes behaviour; [`affecting`] finds the patch that makes it so.

use std::path::{Path, PathBuf};

use crate::parse::ast::{self, Expr, Stmt};
use crate::parse::visitor::{self, Visitor};
use crate::parse::{Parsed, Ranged};
use crate::recipe::contains;
use crate::semantic::SemanticModel;
use crate::source::LineIndex;

/// One replacement of a function or module attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// What is replaced, dotted: `pkg.jobs.subprocess.run`, `time.sleep`, `pkg.jobs.time`.
    pub target: String,
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

/// Whether a file may patch something a recipe migrates (a byte test before parsing it).
pub fn may_patch(text: &str) -> bool {
    // `patch(` and `setattr(` as names of their own (not `dispatch(`), or imported under
    // another name; `patch` only from `mock` (`mock.patch`, `mocker.patch`: not an HTTP
    // client's `client.patch(...)`).
    let called = |name: &str| {
        memchr::memmem::find_iter(text.as_bytes(), name.as_bytes())
            .any(|at| crate::recipe::starts_word(text.as_bytes(), at))
    };
    let mock_patch = contains(text, "mock")
        && (called("patch(") || called("patch.object(") || contains(text, "patch as"));
    let replaces = mock_patch
        || called("setattr(")
        || ["setattr as", ".sleep ="]
            .iter()
            .any(|word| contains(text, word));
    replaces
        && [
            "sleep",
            "subprocess",
            "sqlite3",
            "system",
            "popen",
            "Popen",
            "time",
        ]
        .iter()
        .any(|word| contains(text, word))
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
        .map(|(target, offset)| Patch {
            target,
            path: path.to_path_buf(),
            line: lines.line_of(offset) + 1,
        })
        .collect()
}

/// The patch that a migration of `api` (`["time", "sleep"]`) in the module named `modules`
/// (every name it is imported by) would defeat, for a call written `callee`
/// (`time.sleep`, `t.sleep`, `sleep`): a patch of the function itself (through any module
/// that imports its module: `pkg.jobs.time.sleep` is `time.sleep`), or of the name the call
/// goes through in that module (`pkg.jobs.sleep`, `pkg.jobs.time`).
pub fn affecting<'p>(
    patches: &'p [Patch],
    modules: &[String],
    api: &[&str],
    callee: &str,
) -> Option<&'p Patch> {
    let api = api.join(".");
    let root = callee.split('.').next().unwrap_or(callee);
    patches.iter().find(|patch| {
        let target = patch.target.as_str();
        target == api
            || target.ends_with(&format!(".{api}"))
            || modules.iter().any(|module| {
                target == format!("{module}.{root}") || target == format!("{module}.{callee}")
            })
    })
}

struct Finder<'m, 'a> {
    semantic: &'m SemanticModel<'a>,
    found: Vec<(String, crate::parse::TextSize)>,
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
        let is_setattr = Self::fixture_method(func, "monkeypatch", "setattr")
            || matches!(name.as_slice(), ["builtins", "setattr"]);
        let target = if is_patch {
            args.first().and_then(Self::string)
        } else if is_patch_object || is_setattr {
            match args.as_ref() {
                // `monkeypatch.setattr("pkg.mod.name", value)`.
                [first, _] if is_setattr && Self::string(first).is_some() => Self::string(first),
                [object, attribute, ..] => Self::string(attribute)
                    .and_then(|attribute| Some(format!("{}.{attribute}", self.dotted(object)?))),
                _ => None,
            }
        } else {
            None
        };
        if let Some(target) = target {
            self.found.push((target, call.start()));
        }
    }
}

impl<'a> Visitor<'a> for Finder<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        // `time.sleep = fake`, `jobs.subprocess.run = fake`.
        if let Stmt::Assign(assign) = stmt {
            for target in &assign.targets {
                if let Expr::Attribute(_) = target {
                    if let Some(dotted) = self.dotted(target) {
                        self.found.push((dotted, stmt.start()));
                    }
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
        assert!(may_patch(source));
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
            // An HTTP client's PATCH, a dispatcher: no mock, nothing the finder knows.
            (
                "async def f(client):\n    await client.patch('/time')\n",
                false,
            ),
            ("def f(time):\n    dispatch(time)\n", false),
            ("from unittest import mock\nmock.patch('pkg.run')\n", false),
        ] {
            assert_eq!(may_patch(source), kept, "{source:?}");
            if kept {
                assert!(!targets(source).is_empty(), "{source:?}");
            }
        }
    }

    #[test]
    fn matches_the_function_or_the_name_the_call_uses() {
        let patch = |target: &str| Patch {
            target: target.to_owned(),
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
            let patches = [patch(target)];
            assert_eq!(
                affecting(&patches, &modules, &sleep, callee).is_some(),
                hit,
                "{target} / {callee}"
            );
        }
    }
}
