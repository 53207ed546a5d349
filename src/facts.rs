//! What a run knows about its other modules before it checks or fixes one file.
//!
//! Some fixes are exact only when no other module of the run does something (uses sqlite3
//! connections on the event loop's thread, handles `SIGCHLD` for the whole process). A recipe
//! declares such a fact ([`Recipe::run_facts`]): the words that mark a module as having it,
//! and the words without which a file does not need it. The run gathers the modules having
//! each fact once ([`FactIndex::gather`], by bytes, as the pre-check does) and gives each file
//! its [`RunFacts`] through its [`Settings`]; recipes query them by the fact's name.
//!
//! A fact may also say how the project stage decides it more finely ([`RunFact::planned`]):
//! of the modules its marks find, which still have it once the run's planned fixes are known.
//! When the project stage runs anyway (a phase 2 recipe is enabled), such a fact is *pending*
//! until the stage settles it ([`FactIndex::settle`]); a run without the project stage keeps
//! the byte rule, which finds every module the finer rule finds, and more: it can only make
//! more fixes unsafe, never fewer.
//!
//! One fact belongs to every recipe and is the engine's: the functions the project's code
//! (its tests, mostly) patches ([`crate::patches`]). A fix that stops calling a patched
//! function is unsafe ([`crate::checker::Checker::report_with_fix`]). The modules that may
//! patch are found by bytes here too, but parsed only when a fix asks about a name they
//! mention ([`crate::patches::Patches`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::file::{read_source, FileError};
use crate::patches::{Patch, Patches};
use crate::pipeline::Settings;
use crate::recipe::{mentions_word, Recipe, RunFact};
use crate::source::SourceText;

/// Another module of the run that has a fact.
#[derive(Clone, Debug)]
pub struct Elsewhere {
    /// The fact's name.
    fact: &'static str,
    /// The module.
    pub path: PathBuf,
    /// What of the module gives it the fact, when the project stage decided it.
    pub what: Option<String>,
}

/// For one file: per fact, another module of the run that has it.
#[derive(Clone, Debug, Default)]
pub struct RunFacts {
    elsewhere: Vec<Elsewhere>,
    /// What the run's modules patch, for a file that calls something a recipe migrates.
    patches: Arc<Patches>,
    /// The names the file is imported by (a patch may go through them).
    names: Vec<String>,
}

impl RunFacts {
    /// Another module of the run that has the fact named `name`, if one does.
    pub fn elsewhere(&self, name: &str) -> Option<&Elsewhere> {
        self.elsewhere.iter().find(|e| e.fact == name)
    }

    /// The patch a fix defeats when it stops calling `api` (called as `callee` in this file).
    pub fn patch_of(&self, api: &[&str], callee: &str) -> Option<&Patch> {
        self.patches.affecting(&self.names, api, callee)
    }
}

/// The facts the enabled recipes declare.
fn facts<'a>(recipes: &'a [&'static dyn Recipe]) -> impl Iterator<Item = &'static RunFact> + 'a {
    recipes.iter().flat_map(|recipe| recipe.run_facts().iter())
}

/// What the bytes of a module's text hold for the run's facts and recipes: which facts mark
/// it, which it needs, which recipes' names it mentions (see [`Recipe::mentions`]), and
/// whether it may patch. Each text is searched once, when it is read.
#[derive(Clone, Debug)]
pub struct Scan {
    /// The facts of the enabled recipes (in order) the text marks its module with, as bits
    /// (`None` past 64 facts: every one, which can only make more fixes unsafe).
    marks: Option<u64>,
    /// The recipes whose names it mentions, as bits (`None` past 64 recipes).
    mentions: Option<u64>,
    /// The facts it needs, as bits (`None` past 64 facts).
    needs: Option<u64>,
    may_patch: bool,
}

/// Reads the file at `path` and scans its text for `recipes` (see [`Scan`]).
pub fn read_scanned(
    path: &Path,
    recipes: &[&'static dyn Recipe],
) -> (Result<SourceText, FileError>, Option<Scan>) {
    let source = read_source(path);
    let scan = source
        .as_ref()
        .ok()
        .map(|s| Scan::of(recipes, path, &s.text));
    (source, scan)
}

impl Scan {
    pub fn of(recipes: &[&'static dyn Recipe], path: &Path, text: &str) -> Scan {
        let facts: Vec<&'static RunFact> = facts(recipes).collect();
        Scan {
            marks: bits(&facts, |fact| {
                fact.marks
                    .iter()
                    .any(|mark| crate::recipe::contains(text, mark))
            }),
            mentions: bits(recipes, |recipe| recipe.mentions(text)),
            needs: bits(&facts, |fact| {
                fact.needed_by.iter().any(|word| mentions_word(text, word))
            }),
            may_patch: crate::patches::may_patch(path, text),
        }
    }

    /// Whether what may be done to the file depends on the other modules of the run: it
    /// needs a fact, marks a module as having one, may patch, or may call something a recipe
    /// migrates (and so needs the run's patches).
    pub fn depends_on_the_run(&self) -> bool {
        let any = |bits: Option<u64>| bits.is_none_or(|bits| bits != 0);
        any(self.marks) || self.may_patch || any(self.needs) || any(self.mentions)
    }
}

/// The modules of the run that have a fact, in run order, with what of each gives it the fact
/// when the project stage decided it.
pub type Modules<'f> = Vec<(&'f Path, Option<String>)>;

/// One fact and the modules of the run that have it, in run order.
struct Having<'f> {
    fact: &'static RunFact,
    modules: Modules<'f>,
    /// Decided by the project stage, which has not done it yet: files get it only once it is.
    pending: bool,
    /// Decided by the project stage (see [`FactIndex::settle`]).
    settled: bool,
}

/// Per fact of the enabled recipes, the modules of the run that have it, in run order.
#[derive(Default)]
pub struct FactIndex<'f> {
    facts: Vec<Having<'f>>,
    patches: Arc<Patches>,
    /// The codes of the recipes the facts were gathered for, in order.
    recipes: Vec<&'static str>,
    /// Per module, what its bytes hold (read once, when the facts were gathered).
    /// (Keyed by the path's spelling: its bytes hash faster than its components.)
    scanned: rustc_hash::FxHashMap<&'f std::ffi::OsStr, Scanned>,
}

/// What the bytes of a module's text hold: the recipes (of [`FactIndex::recipes`]) whose
/// needles it mentions and the facts (of [`FactIndex::facts`]) it needs, as bits. (Of the
/// text the run read for it: a file's text is never another during a run.)
struct Scanned {
    mentions: u64,
    needs: u64,
}

/// The bits of the items of `items` that `test` holds for (`None` past 64 items).
fn bits<T>(items: &[T], test: impl Fn(&T) -> bool) -> Option<u64> {
    (items.len() <= 64).then(|| {
        items
            .iter()
            .enumerate()
            .filter(|(_, item)| test(item))
            .fold(0, |bits, (i, _)| bits | 1 << i)
    })
}

impl<'f> FactIndex<'f> {
    /// Gathers the facts from the texts of the run's modules (in run order). With
    /// `project_stage`, the facts the project stage decides ([`RunFact::planned`]) stay
    /// pending until [`FactIndex::settle`].
    pub fn gather<'t>(
        recipes: &[&'static dyn Recipe],
        modules: impl Iterator<Item = (&'f Path, Option<(&'t str, &'t Scan)>)>,
        project_stage: bool,
    ) -> Self {
        let mut facts: Vec<Having<'f>> = facts(recipes)
            .map(|fact| Having {
                fact,
                modules: Vec::new(),
                pending: project_stage && fact.planned.is_some(),
                settled: false,
            })
            .collect();
        let mut patching: Vec<(&'f Path, &'t str)> = Vec::new();
        let mut scanned_texts = rustc_hash::FxHashMap::default();
        for (path, text, scan) in
            modules.filter_map(|(path, text)| text.map(|(text, scan)| (path, text, scan)))
        {
            if let Some((mentions, needs)) = scan.mentions.zip(scan.needs) {
                let scanned = Scanned { mentions, needs };
                scanned_texts.insert(path.as_os_str(), scanned);
            }
            for (i, having) in facts.iter_mut().enumerate() {
                if scan.marks.is_none_or(|bits| bits & 1 << i != 0) {
                    having.modules.push((path, None));
                }
            }
            if scan.may_patch {
                patching.push((path, text));
            }
        }
        // Parsed only when a fix asks about a name they mention (see [`Patches`]).
        let patches = Patches::new(
            patching
                .into_iter()
                .map(|(path, text)| (path.to_path_buf(), Box::from(text))),
        );
        FactIndex {
            facts,
            patches: Arc::new(patches),
            recipes: recipes.iter().map(|recipe| recipe.meta().code).collect(),
            scanned: scanned_texts,
        }
    }

    /// What the run's modules patch.
    pub fn patches(&self) -> Arc<Patches> {
        Arc::clone(&self.patches)
    }

    /// The pending facts (see [`FactIndex::gather`]), each with the modules its marks find.
    pub fn pending(
        &self,
    ) -> impl Iterator<Item = (&'static RunFact, &[(&'f Path, Option<String>)])> {
        self.facts
            .iter()
            .filter(|having| having.pending)
            .map(|having| (having.fact, having.modules.as_slice()))
    }

    /// The project stage's decision on the pending fact `fact`: the modules that have it, in
    /// run order, with what of each gives it the fact.
    pub fn settle(&mut self, fact: &'static RunFact, modules: Modules<'f>) {
        if let Some(having) = self
            .facts
            .iter_mut()
            .find(|having| std::ptr::eq(having.fact, fact))
        {
            having.modules = modules;
            having.pending = false;
            having.settled = true;
        }
    }

    /// The facts that apply to the module at `path`, of which `words` tells what it mentions:
    /// settled ones included only with `settled`.
    fn found(&self, path: &Path, words: Words<'_>, settled: bool) -> Vec<Elsewhere> {
        self.facts
            .iter()
            .enumerate()
            .filter(|(_, having)| !having.pending && (settled || !having.settled))
            .filter(|&(i, having)| match words {
                Words::Scanned(scanned) => scanned.needs & 1 << i != 0,
                Words::Text(text) => having
                    .fact
                    .needed_by
                    .iter()
                    .any(|word| mentions_word(text, word)),
            })
            .map(|(_, having)| having)
            .filter_map(|having| {
                let (other, what) = having.modules.iter().find(|(p, _)| *p != path)?;
                Some(Elsewhere {
                    fact: having.fact.name,
                    path: other.to_path_buf(),
                    what: what.clone(),
                })
            })
            .collect()
    }

    /// What tells the words of the module at `path`: its scan when the gathering made one,
    /// else its text (`None`: it could not be read).
    fn words<'t>(&'t self, path: &Path, text: &impl Fn() -> Option<&'t str>) -> Option<Words<'t>> {
        match self.scanned.get(path.as_os_str()) {
            Some(scanned) => Some(Words::Scanned(scanned)),
            None => text().map(Words::Text),
        }
    }

    /// Whether the project stage's decisions give the module at `path` a fact: its settings
    /// then differ from the ones it had before they were made. (`text` gives its text as the
    /// run read it, asked for only when its scan does not tell.)
    pub fn settled_for<'t>(&'t self, path: &Path, text: impl Fn() -> Option<&'t str>) -> bool {
        if !self.facts.iter().any(|having| having.settled) {
            return false;
        }
        self.words(path, &text).is_some_and(|words| {
            self.found(path, words, true).len() != self.found(path, words, false).len()
        })
    }

    /// The settings for the module at `path`: with the facts it needs that another module has
    /// (pending facts left out). (`text` gives its text as the run read it, asked for only
    /// when its scan does not tell; `None`: it could not be read, and the settings stay.)
    pub fn apply<'s, 't>(
        &'t self,
        settings: Cow<'s, Settings>,
        path: &Path,
        text: impl Fn() -> Option<&'t str>,
    ) -> Cow<'s, Settings> {
        let Some(words) = self.words(path, &text) else {
            return settings;
        };
        let patched = !self.patches.is_empty()
            && settings.recipes.iter().any(|recipe| match words {
                Words::Scanned(scanned) => {
                    match self.recipes.iter().position(|&c| c == recipe.meta().code) {
                        Some(i) => scanned.mentions & 1 << i != 0,
                        None => text().is_some_and(|text| recipe.mentions(text)),
                    }
                }
                Words::Text(text) => recipe.mentions(text),
            });
        let found = self.found(path, words, true);
        if found.is_empty() && !patched {
            return settings;
        }
        let mut settings = settings.into_owned();
        settings.facts.elsewhere.extend(found);
        if patched {
            settings.facts.patches = Arc::clone(&self.patches);
            settings.facts.names = crate::project::layout::place(path).names;
        }
        Cow::Owned(settings)
    }
}

/// What a module mentions: its scan's bits, or its text.
#[derive(Clone, Copy)]
enum Words<'t> {
    Scanned(&'t Scanned),
    Text(&'t str),
}
