//! What a run knows about its other modules before it checks or fixes one file.
//!
//! Some fixes are exact only when no other module of the run does something (uses sqlite3
//! connections that may share a database, handles `SIGCHLD` for the whole process). A recipe
//! declares such a fact ([`Recipe::run_facts`]): the words that mark a module as having it,
//! and the words without which a file does not need it. The run gathers the modules having
//! each fact once ([`FactIndex::gather`], by bytes, as the pre-check does) and gives each file
//! its [`RunFacts`] through its [`Settings`]; recipes query them by the fact's name.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::pipeline::Settings;
use crate::recipe::{Recipe, RunFact};

/// For one file: per fact, another module of the run that has it.
#[derive(Clone, Debug, Default)]
pub struct RunFacts {
    elsewhere: Vec<(&'static str, PathBuf)>,
}

impl RunFacts {
    /// Another module of the run that has the fact named `name`, if one does.
    pub fn elsewhere(&self, name: &str) -> Option<&Path> {
        self.elsewhere
            .iter()
            .find(|(fact, _)| *fact == name)
            .map(|(_, path)| path.as_path())
    }
}

/// The facts the enabled recipes declare.
fn facts<'a>(recipes: &'a [&'static dyn Recipe]) -> impl Iterator<Item = &'static RunFact> + 'a {
    recipes.iter().flat_map(|recipe| recipe.run_facts().iter())
}

/// Whether what may be done to a file with this text depends on the other modules of the
/// run: it needs a fact, or marks a module as having one.
pub fn depends_on_the_run(recipes: &[&'static dyn Recipe], text: &str) -> bool {
    facts(recipes).any(|fact| {
        fact.needed_by
            .iter()
            .chain(fact.marks)
            .any(|word| text.contains(word))
    })
}

/// Per fact of the enabled recipes, the modules of the run that have it, in run order.
#[derive(Default)]
pub struct FactIndex<'f> {
    facts: Vec<(&'static RunFact, Vec<&'f Path>)>,
}

impl<'f> FactIndex<'f> {
    /// Gathers the facts from the texts of the run's modules (in run order).
    pub fn gather<'t>(
        recipes: &[&'static dyn Recipe],
        modules: impl Iterator<Item = (&'f Path, Option<&'t str>)>,
    ) -> Self {
        let mut facts: Vec<(&'static RunFact, Vec<&'f Path>)> =
            facts(recipes).map(|fact| (fact, Vec::new())).collect();
        if facts.is_empty() {
            return FactIndex { facts };
        }
        for (path, text) in modules {
            let Some(text) = text else { continue };
            for (fact, having) in &mut facts {
                if fact.marks.iter().any(|mark| text.contains(mark)) {
                    having.push(path);
                }
            }
        }
        FactIndex { facts }
    }

    /// The settings for the file at `path` with text `text`: with the facts it needs that
    /// another module has.
    pub fn apply<'s>(
        &self,
        settings: Cow<'s, Settings>,
        path: &Path,
        text: Option<&str>,
    ) -> Cow<'s, Settings> {
        let Some(text) = text else { return settings };
        let found: Vec<(&'static str, PathBuf)> = self
            .facts
            .iter()
            .filter(|(fact, _)| fact.needed_by.iter().any(|word| text.contains(word)))
            .filter_map(|(fact, having)| {
                let other = having.iter().find(|p| **p != path)?;
                Some((fact.name, other.to_path_buf()))
            })
            .collect();
        if found.is_empty() {
            return settings;
        }
        let mut settings = settings.into_owned();
        settings.facts.elsewhere.extend(found);
        Cow::Owned(settings)
    }
}
