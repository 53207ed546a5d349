//! What a recipe is: its metadata, the hooks the checker calls, and the findings it reports.

use serde::Serialize;

use crate::checker::Checker;
use crate::fix::Fix;
use crate::parse::ast::{Expr, Stmt};
use crate::parse::{Parsed, TextRange, TextSize};
use crate::semantic::{Execution, ScopeId, SemanticModel};

/// A blocking use of an object a recipe follows (see [`Recipe::blocking_uses`]).
#[derive(Debug, Clone)]
pub struct BlockingUse {
    pub range: TextRange,
    /// The scope the use stands in.
    pub scope: ScopeId,
    pub execution: Execution,
    /// What blocks, as a qualified name (`sqlite3.connect`, `sqlite3.connect(...).execute`).
    pub label: String,
    /// Why the recipe cannot migrate the object even in async code, if it cannot whatever
    /// the call graph does (it is created in `__init__`, which stays sync).
    pub obstacle: Option<String>,
    /// Why the recipe's migration of the object, once its code is async, is an unsafe fix
    /// (a connection kept on `self`, one that may be left open, a helper sync code still
    /// enters): converting the functions around it is then unsafe too, or a safe run would
    /// leave an `async def` that still blocks.
    pub unsafe_migration: Option<String>,
    /// The object is not made in the use's function (a connection kept on `self`, a
    /// parameter, one made by the caller): another thread cannot use it.
    pub foreign_object: bool,
    /// The object is a connection opened only by `sqlite3.connect(..., check_same_thread=False)`
    /// calls of its module: sqlite3 lets any thread use it, so a worker thread may too (with
    /// the calls of several threads then running on it at once).
    pub thread_shareable: bool,
    /// Where `, check_same_thread=False` would make the object shareable so: after the last
    /// argument of the one `sqlite3.connect(...)` of its module that opens it, when that call
    /// says nothing of threads (no such keyword, no `**kwargs`, no fifth positional argument).
    pub shareable_at: Option<TextSize>,
    /// The object leaves the use's function (`return conn`, `yield conn`): made in a
    /// worker thread, it would reach a caller on another thread, which sqlite3 refuses.
    pub object_leaves: bool,
    /// Other functions of the module that use the same object in sync code: the recipe
    /// migrates the object only when they are async too (converted in the same run), so a
    /// function converted without them would still block. A use in module-level code, which
    /// never becomes async, is an [`obstacle`](Self::obstacle) instead.
    pub needs_async: Vec<ScopeId>,
}

/// What kind of fix a recipe offers, for `awaitify recipes` and the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixAvailability {
    /// Always a safe fix (where one can be made at all).
    Safe,
    /// Safe or unsafe depending on the code.
    Sometimes,
    /// Always unsafe.
    Unsafe,
    /// Report only.
    None,
}

impl FixAvailability {
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::Safe => "safe",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Unsafe => "unsafe",
            FixAvailability::None => "none",
        }
    }
}

/// A recipe's identity and documentation.
#[derive(Debug, Serialize)]
pub struct RecipeMeta {
    /// Stable code, selected by `--select` (`AW101`); its prefixes select groups (`AW1`).
    pub code: &'static str,
    /// Kebab-case name, also selectable (`time-sleep`).
    pub id: &'static str,
    /// Migration phase: 1 native rewrites, 2 consistency across the call graph, 3 the rest.
    pub phase: u8,
    pub summary: &'static str,
    /// The ruff / flake8-async rule that detects the same problem, if there is one.
    pub ruff_equivalent: Option<&'static str>,
    pub fix: FixAvailability,
    /// Identifiers one of which a file must contain, as a whole word (see [`mentions_word`]),
    /// for the recipe to find anything in it (the names its imports must mention). Phase 1
    /// recipes also need `async` in the file. Phase 2 recipes have none: they never run on a
    /// file alone, only in the project stage. A recipe with a finer rule overrides
    /// [`Recipe::mentions`].
    pub needles: &'static [&'static str],
    /// The distribution from PyPI its fixes import (`aiosqlite`), which a project whose files
    /// they change must then depend on.
    pub requires: Option<&'static str>,
    /// Markdown: What it does / Why is this bad? / Example / Use instead / Fix safety.
    #[serde(skip)]
    pub doc: &'static str,
}

/// A fact about the other modules of a run (see [`crate::facts`]).
#[derive(Debug)]
pub struct RunFact {
    /// The name the recipe queries it by.
    pub name: &'static str,
    /// A module has the fact when its text contains one of these.
    pub marks: &'static [&'static str],
    /// Only a file whose text contains one of these identifiers (see [`mentions_word`]) needs
    /// the fact.
    pub needed_by: &'static [&'static str],
    /// How the project stage decides the fact, when it runs anyway: of the modules the marks
    /// find, one has the fact when this says what of it gives it the fact (`None`: it has
    /// not). It must find every module that can matter; a run without the project stage
    /// counts every module the marks find.
    pub planned: Option<fn(&crate::project::PlannedModule<'_>) -> Option<String>>,
}

/// A migration recipe. The checker walks each file once and calls the hooks of every enabled
/// recipe on every expression and statement; a recipe reports findings through the checker.
pub trait Recipe: Sync + Send {
    fn meta(&self) -> &'static RecipeMeta;

    /// Whether the recipe could report anything in a file with this text: a byte-level test
    /// that lets files that cannot produce a finding skip parsing altogether.
    fn may_apply(&self, text: &str) -> bool {
        (self.meta().phase != 1 || contains(text, "async")) && self.mentions(text)
    }

    /// [`Recipe::may_apply`] for a recipe whose names come from the settings (the
    /// configuration), which overrides it.
    fn may_apply_with(&self, text: &str, _settings: &crate::pipeline::Settings) -> bool {
        self.may_apply(text)
    }

    /// Whether the text mentions one of the names the recipe's imports must use. It must hold
    /// for every file in which the recipe can resolve a name it is about.
    fn mentions(&self, text: &str) -> bool {
        self.meta()
            .needles
            .iter()
            .any(|needle| mentions_word(text, needle))
    }

    /// The facts about the other modules of the run the recipe's fixes depend on (see
    /// [`crate::facts`]); it reads them with `checker.settings.facts.elsewhere(name)`.
    fn run_facts(&self) -> &'static [RunFact] {
        &[]
    }

    /// Whether a call of this qualified name is a blocking call the recipe is about, wherever
    /// it stands (the audit report also counts the ones in sync code).
    fn is_blocking_call(&self, _name: &[&str]) -> bool {
        false
    }

    /// For the project stage, recipes that follow objects (a connection made by a helper, a
    /// cursor of it): every blocking use of those objects in the module, found by the same
    /// object flow the recipe migrates with. `None`: the recipe's blocking calls are the calls
    /// [`Recipe::is_blocking_call`] names.
    fn blocking_uses(
        &self,
        _semantic: &SemanticModel,
        _parsed: &Parsed,
        _source: &str,
    ) -> Option<Vec<BlockingUse>> {
        None
    }

    /// Phase 2 recipes: called once per run with the whole project indexed.
    fn check_project(&self, _checker: &mut crate::project::ProjectChecker<'_>) {}

    /// Called once per file before the walk, for recipes that analyse the whole file first.
    fn check_file<'a>(&self, _checker: &mut Checker<'a>) {}

    fn check_expr<'a>(&self, _expr: &'a Expr, _checker: &mut Checker<'a>) {}

    fn check_stmt<'a>(&self, _stmt: &'a Stmt, _checker: &mut Checker<'a>) {}
}

/// One finding: a recipe, where, what, and how to fix it (if it can be).
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub recipe: &'static RecipeMeta,
    pub range: TextRange,
    pub message: String,
    pub fix: Option<Fix>,
    /// Why there is no fix, or (for an unsafe fix) what it may change.
    pub note: Option<String>,
    /// For a finding about a blocking call reached from async code (phase 2): the code of the
    /// recipe that migrates that call (`AW101` for `time.sleep`).
    pub origin: Option<&'static str>,
}

impl Diagnostic {
    pub fn code(&self) -> &'static str {
        self.recipe.code
    }
}

/// Declares a recipe's struct from its doc comment, keeping the documentation in one place:
/// rustdoc shows it, and `Struct::DOC` holds the same Markdown for `awaitify explain`.
#[macro_export]
macro_rules! declare_recipe {
    ($(#[doc = $line:literal])* pub struct $name:ident;) => {
        $(#[doc = $line])*
        pub struct $name;

        impl $name {
            /// The recipe's documentation (each line keeps the space after `///`).
            pub const DOC: &'static str = concat!($($line, "\n"),*);
        }
    };
}

/// What every fix that inserts an `await` changes on purpose (the README's "What migration
/// changes"), appended to the documentation of every recipe with a fix.
const MIGRATION_CHANGES: &str = "## What migration changes
Every inserted `await` is a point where the event loop runs other tasks; the blocking
original ran nothing else until it returned. A read-modify-write that now spans an `await`
(a `SELECT`, then an `UPDATE`; `self.count = self.fetch() + 1`) was accidentally atomic and
can lose updates under concurrency: protect it with an `asyncio.Lock`. The order in which
concurrent tasks interleave changes. No `await` is inserted while a thread lock is held
(`with lock:`, `lock.acquire()`): the call is reported instead, since the next task to reach
the lock would block the event loop's thread.";

/// A recipe's documentation for `explain`: its doc comment, plus what migration changes for
/// every recipe whose fixes insert an `await`.
pub fn explanation(meta: &RecipeMeta) -> String {
    let doc = render_doc(meta.doc);
    if meta.fix == FixAvailability::None {
        doc
    } else {
        format!(
            "{}

{MIGRATION_CHANGES}
",
            doc.trim_end()
        )
    }
}

/// A recipe's documentation as plain Markdown (without the space each doc line starts with).
pub fn render_doc(doc: &str) -> String {
    doc.lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `needle` occurs in `text`: `str::contains` with a vectorized search (the byte tests
/// read every file of a run, most of them several times).
pub fn contains(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// Whether `word` occurs in `text` as a whole identifier: not preceded or followed by a
/// character that can continue an identifier (a letter, a digit, `_`, or any non-ASCII
/// character). A name a module resolves (`time.sleep`, `from os import system`) is written
/// this way in its imports, so a byte test with it never misses a file that has one.
pub fn mentions_word(text: &str, word: &str) -> bool {
    word_positions(text, word).next().is_some()
}

/// The places where `word` occurs in `text` as a whole identifier (see [`mentions_word`]).
fn word_positions<'t>(text: &'t str, word: &'t str) -> impl Iterator<Item = usize> + 't {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, word.as_bytes()).filter(move |&at| {
        let after = bytes.get(at + word.len()).copied();
        starts_word(bytes, at) && !after.is_some_and(continues_identifier)
    })
}

/// The last byte before `bytes[at]` that is not one of `skipped`, with its place.
fn before(bytes: &[u8], at: usize, skipped: &[u8]) -> Option<(usize, u8)> {
    bytes[..at]
        .iter()
        .rposition(|byte| !skipped.contains(byte))
        .map(|i| (i, bytes[i]))
}

/// The first byte from `bytes[at]` on that is not one of `skipped`.
fn from(bytes: &[u8], at: usize, skipped: &[u8]) -> Option<u8> {
    bytes[at..]
        .iter()
        .copied()
        .find(|byte| !skipped.contains(byte))
}

/// Blanks within a logical line: spaces, tabs, form feeds, and the backslash of an explicit
/// line join.
const BLANKS: &[u8] = b" \t\x0c\\";

/// Whether the identifier ending at `bytes[..end]` is `word`, with nothing of an identifier
/// before it.
fn ends_with_word(bytes: &[u8], end: usize, word: &str) -> bool {
    end.checked_sub(word.len())
        .is_some_and(|start| &bytes[start..end] == word.as_bytes() && starts_word(bytes, start))
}

/// Whether `text` may reach the attribute `attribute` of the module `module` (`time`,
/// `sleep`): a byte test that never misses a module in which a name resolves to it, and
/// rejects most of those that merely mention both words. A module reaches it either as an
/// attribute of the module (`time.sleep`, `t . sleep`, written `.` and then `attribute`, or
/// with `attribute` at the start of a line, which a bracketed expression may continue), or by
/// importing from the module (`from time import sleep`, `from time import *`).
///
/// With `except_on`, `except_on.attribute` (`asyncio.sleep`) does not count, provided every
/// other mention of `except_on` is `import except_on` (first of a list, or alone) or an
/// attribute of it: nothing in the module then binds that name to another module.
pub fn may_reach(text: &str, module: &str, attribute: &str, except_on: Option<&str>) -> bool {
    let bytes = text.as_bytes();
    let imports_from = || {
        word_positions(text, module).any(|at| {
            before(bytes, at, b" \t\x0c\\\r\n")
                .is_some_and(|(i, _)| ends_with_word(bytes, i + 1, "from"))
        })
    };
    let only_its_module = |name: &str| {
        word_positions(text, name).all(|at| {
            let next = from(bytes, at + name.len(), b" \t\x0c");
            let imported = before(bytes, at, b" \t\x0c")
                .is_some_and(|(i, _)| ends_with_word(bytes, i + 1, "import"))
                && matches!(next, None | Some(b'\n' | b'\r' | b';' | b'#' | b','));
            next == Some(b'.') || imported
        })
    };
    let excepted = except_on.filter(|name| only_its_module(name));
    word_positions(text, attribute).any(|at| match before(bytes, at, BLANKS) {
        None | Some((_, b'\n' | b'\r')) => true,
        Some((dot, b'.')) => !excepted.is_some_and(|name| {
            before(bytes, dot, BLANKS).is_some_and(|(i, _)| ends_with_word(bytes, i + 1, name))
        }),
        Some(_) => false,
    }) || imports_from()
}

/// Whether no identifier goes on before `bytes[at]`.
pub fn starts_word(bytes: &[u8], at: usize) -> bool {
    !at.checked_sub(1)
        .is_some_and(|before| continues_identifier(bytes[before]))
}

/// Whether an identifier may go on with this byte (a letter, a digit, `_`, or part of a
/// non-ASCII character).
pub fn continues_identifier(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || !byte.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::{may_reach, mentions_word};

    #[test]
    fn an_attribute_is_reached_through_its_module_or_an_import_from_it() {
        let sleep = |text: &str| may_reach(text, "time", "sleep", Some("asyncio"));
        for text in [
            "import time\ntime.sleep(1)",
            "import time as t\nt.sleep(1)",
            "import time\ntime . sleep(1)",
            "import time\ntime.\\\n    sleep(1)",
            "import time\n(time.  # why\n sleep)(1)",
            "import time\n(time\n .sleep)(1)",
            "from time import sleep\nsleep(1)",
            "from time import sleep as nap\nnap(1)",
            "from time import *\nsleep(1)",
            "from  time  import (\n    sleep,\n)",
            "from \\\ntime import sleep",
            "sleep = __import__('time').sleep",
            "import asyncio, time\nasyncio.sleep(0)\ntime.sleep(1)",
            // `asyncio` may name something else: its `.sleep` counts.
            "import time as asyncio\nasyncio.sleep(1)",
            "import asyncio\nasyncio = time\nasyncio.sleep(1)",
            "import asyncio\ndef f(asyncio):\n    asyncio.sleep(1)",
            "import asyncio\n# asyncio\nasyncio.sleep(1)",
            "import asyncio\n(asyncio\n .sleep)(1)",
        ] {
            assert!(sleep(text), "{text:?}");
        }
        for text in [
            "import asyncio, time\nawait asyncio.sleep(1)\ntime.time()",
            "import asyncio\nimport time\nawait asyncio . sleep(1)\nt = time.monotonic()",
            "import time\ndef sleep(): pass\nx = sleep()",
            "import time  # sleep\n",
            "import time\nfrom datetime import time as sleep",
            "import time\nx = 'sleep'",
        ] {
            assert!(!sleep(text), "{text:?}");
        }
        let system = |text: &str| may_reach(text, "os", "system", None);
        assert!(system("import os\nos.system('x')"));
        assert!(system("from os import system\nsystem('x')"));
        assert!(!system("import os\nprompt = {'role': 'system'}"));
    }

    #[test]
    fn a_word_is_a_whole_identifier() {
        for (text, word, found) in [
            ("import time", "time", true),
            ("time.sleep(1)", "time", true),
            ("from time import sleep as nap", "sleep", true),
            ("t = (time)", "time", true),
            ("\"pkg.jobs.time\"", "time", true),
            ("from datetime import date", "time", false),
            ("timeout = 3", "time", false),
            ("my_time = 3", "time", false),
            ("time2 = 3", "time", false),
            ("# the filesystem", "system", false),
            ("étime = 1", "time", false),
            ("timeé = 1", "time", false),
            ("the filesystem, then os.system('x')", "system", true),
            ("", "time", false),
        ] {
            assert_eq!(mentions_word(text, word), found, "{word} in {text:?}");
        }
    }
}
