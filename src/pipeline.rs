//! One source text through the pipeline: parse, check, and the fix loop.

use std::collections::{BTreeMap, BTreeSet};

use crate::census::Census;
use crate::checker::check;
use crate::fix::{apply_fixes, Applicability, Fix};
use crate::imports::removal_edits;
use crate::parse::{added_semantic_errors, parse_module, SyntaxError};
use crate::recipe::{Diagnostic, Recipe};
use crate::semantic::ImportKey;
use crate::source::Stylist;

/// How many times the fix loop may apply fixes and re-parse before it gives up.
pub const MAX_PASSES: usize = 16;

/// Which recipes run and which fixes may be applied.
#[derive(Clone)]
pub struct Settings {
    pub recipes: Vec<&'static dyn Recipe>,
    pub unsafe_fixes: bool,
    /// Recipes disabled in the files a glob matches (`per-file-ignores`).
    pub per_file_ignores: Vec<PerFileIgnore>,
    /// Calls the user declared blocking (`blocking-calls`): a qualified name and the async
    /// replacement to suggest (empty: none).
    pub declared_blocking: Vec<DeclaredCall>,
    /// How the subprocess recipe migrates the calls it fixes.
    pub subprocess_strategy: SubprocessStrategy,
    /// What the run knows about its other modules, for the file being processed (see
    /// [`crate::facts`]).
    pub facts: crate::facts::RunFacts,
    /// The first segments of the project's module names, when the run knows them (the project
    /// stage does): an import of one is first-party, which tells where an added third-party
    /// import goes (see [`crate::imports`]).
    pub first_party: Option<std::sync::Arc<rustc_hash::FxHashSet<String>>>,
}

/// How blocking subprocess calls are migrated (`subprocess-strategy`, `--subprocess-strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SubprocessStrategy {
    /// asyncio subprocesses, through a helper that reproduces `subprocess`'s results, errors and
    /// timeouts; calls it cannot reproduce exactly use `asyncio.to_thread`.
    #[default]
    Native,
    /// Every call in a worker thread: `await asyncio.to_thread(subprocess.run, ...)`.
    Thread,
}

impl SubprocessStrategy {
    /// The strategy named `name` (`"native"`, `"thread"`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "native" => Some(SubprocessStrategy::Native),
            "thread" => Some(SubprocessStrategy::Thread),
            _ => None,
        }
    }
}

/// A call declared blocking in the configuration.
#[derive(Clone, Debug)]
pub struct DeclaredCall {
    pub name: Vec<String>,
    pub replacement: String,
}

/// Recipes disabled for the files matching a glob.
#[derive(Clone)]
pub struct PerFileIgnore {
    pub glob: globset::GlobMatcher,
    /// The folder the glob is relative to (the configuration file's).
    pub root: std::path::PathBuf,
    pub recipes: Vec<&'static dyn Recipe>,
}

impl Settings {
    pub fn new(recipes: Vec<&'static dyn Recipe>, unsafe_fixes: bool) -> Self {
        Settings {
            recipes,
            unsafe_fixes,
            per_file_ignores: Vec::new(),
            declared_blocking: Vec::new(),
            subprocess_strategy: SubprocessStrategy::default(),
            facts: Default::default(),
            first_party: None,
        }
    }

    /// The settings for one file: without the recipes its `per-file-ignores` disable.
    pub fn for_path(&self, path: &std::path::Path) -> std::borrow::Cow<'_, Settings> {
        let ignored: Vec<&'static dyn Recipe> = self
            .per_file_ignores
            .iter()
            .filter(|rule| {
                let absolute =
                    crate::discovery::absolute(path).unwrap_or_else(|_| path.to_path_buf());
                let relative = absolute.strip_prefix(&rule.root).unwrap_or(path);
                rule.glob.is_match(relative) || rule.glob.is_match(path)
            })
            .flat_map(|rule| rule.recipes.iter().copied())
            .collect();
        if ignored.is_empty() {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut settings = self.clone();
        settings
            .recipes
            .retain(|r| !ignored.iter().any(|i| i.meta().code == r.meta().code));
        std::borrow::Cow::Owned(settings)
    }

    pub fn allows(&self, applicability: Applicability) -> bool {
        match applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }

    /// Whether any enabled recipe could find something in `text` (see
    /// [`Recipe::may_apply_with`]).
    pub fn may_apply(&self, text: &str) -> bool {
        self.recipes
            .iter()
            .any(|recipe| recipe.may_apply_with(text, self))
    }

    /// Whether a finding's fix would be applied by `fix --write` with these settings.
    pub fn is_fixable(&self, diagnostic: &Diagnostic) -> bool {
        diagnostic
            .fix
            .as_ref()
            .is_some_and(|fix| self.allows(fix.applicability))
    }
}

/// Checks a source text: the findings of every enabled recipe.
pub fn check_source(text: &str, settings: &Settings) -> Result<Vec<Diagnostic>, SyntaxError> {
    let parsed = parse_module(text)?;
    let stylist = Stylist::detect(text, &parsed);
    Ok(check(text, &parsed, &stylist, settings).diagnostics)
}

/// Checks a source text and takes the census of the audit report from the same parse.
pub fn audit_source(
    text: &str,
    settings: &Settings,
) -> Result<(Vec<Diagnostic>, Census), SyntaxError> {
    let parsed = parse_module(text)?;
    let stylist = Stylist::detect(text, &parsed);
    let result = check(text, &parsed, &stylist, settings);
    let census = crate::census::take(text, &parsed, &result.semantic, &settings.recipes);
    Ok((result.diagnostics, census))
}

/// What the fix loop did to one source text.
#[derive(Debug)]
pub struct FixOutcome {
    /// The fixed text (the original when nothing was applied or the fixes were refused).
    pub text: String,
    /// Fixes applied, by code.
    pub applied: BTreeMap<&'static str, usize>,
    /// Findings of the fixed text (ranges refer to `text`).
    pub remaining: Vec<Diagnostic>,
    /// Set when the fixes were refused; the text is then the original.
    pub refused: Option<String>,
    /// Findings of the original text (from the loop's first pass).
    pub original: Vec<Diagnostic>,
}

/// Applies fixes until none applies: each pass checks, applies the non-conflicting fixes,
/// and re-parses. A pass whose output does not parse, or a loop that does not converge, makes
/// the whole file's fixes refused. Imports the fixes made unused are removed at the end.
pub fn fix_source(original: &str, settings: &Settings) -> Result<FixOutcome, SyntaxError> {
    let parsed = parse_module(original)?;
    Ok(fix_parsed(original, parsed, settings))
}

/// [`fix_source`] for a text already parsed.
pub fn fix_parsed(original: &str, parsed: crate::parse::Parsed, settings: &Settings) -> FixOutcome {
    let mut text = original.to_owned();
    let mut parsed = parsed;
    let stylist = Stylist::detect(original, &parsed);
    let mut applied: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut unused_before: Option<BTreeSet<ImportKey>> = None;
    // The first pass's findings are the original's: kept for refusals and for locating
    // what remains in the file on disk.
    let mut original_findings: Option<Vec<Diagnostic>> = None;
    let refuse = |reason: String, findings: Vec<Diagnostic>| FixOutcome {
        text: original.to_owned(),
        applied: BTreeMap::new(),
        remaining: findings.clone(),
        refused: Some(reason),
        original: findings,
    };

    let mut passes = 0;
    let (mut remaining, removals) = loop {
        let result = check(&text, &parsed, &stylist, settings);
        let unused_before = unused_before.get_or_insert_with(|| {
            result
                .semantic
                .unused_imports()
                .map(|(key, _)| key)
                .collect()
        });
        let fixable: Vec<&Diagnostic> = result
            .diagnostics
            .iter()
            .filter(|d| settings.is_fixable(d))
            .collect();
        if original_findings.is_none() {
            original_findings = Some(result.diagnostics.clone());
        }
        if fixable.is_empty() {
            let removals = if applied.is_empty() {
                Vec::new()
            } else {
                let newly_unused: Vec<_> = result
                    .semantic
                    .unused_imports()
                    .filter(|(key, _)| !unused_before.contains(key))
                    .map(|(_, binding)| binding)
                    .collect();
                removal_edits(&text, &parsed, &newly_unused)
            };
            break (result.diagnostics, removals);
        }
        passes += 1;
        let codes = codes_of(&fixable);
        if passes > MAX_PASSES {
            let diagnostics = original_findings.unwrap_or_default();
            return refuse(
                format!("fixes did not converge after {MAX_PASSES} passes ({codes})"),
                diagnostics,
            );
        }
        let fixes: Vec<&Fix> = fixable.iter().filter_map(|d| d.fix.as_ref()).collect();
        let outcome = apply_fixes(&text, &fixes);
        for &i in &outcome.fixes {
            *applied.entry(fixable[i].code()).or_default() += 1;
        }
        drop(result);
        match parse_module(&outcome.text) {
            Ok(reparsed) => {
                text = outcome.text;
                parsed = reparsed;
            }
            Err(error) => {
                return refuse(
                    format!("the fixes of {codes} produced invalid syntax ({}); the file was left unchanged", error.message),
                    original_findings.unwrap_or_default(),
                );
            }
        }
    };

    if !removals.is_empty() {
        let fix = Fix::safe(removals);
        let outcome = apply_fixes(&text, &[&fix]);
        match parse_module(&outcome.text) {
            Ok(reparsed) => {
                remaining = check(&outcome.text, &reparsed, &stylist, settings).diagnostics;
                text = outcome.text;
                parsed = reparsed;
            }
            Err(error) => {
                let diagnostics = original_findings.unwrap_or_default();
                return refuse(
                    format!("removing unused imports produced invalid syntax ({}); the file was left unchanged", error.message),
                    diagnostics,
                );
            }
        }
    }

    // The parser accepts some code CPython's compiler rejects: a fix must not add such code.
    if text != original {
        if let Some(error) = added_semantic_errors(original, &parsed, &text).first() {
            let codes: Vec<&str> = applied.keys().copied().collect();
            return refuse(
                format!(
                    "the fixes of {} produced code CPython rejects ({error}); the file was left unchanged",
                    codes.join(", ")
                ),
                original_findings.unwrap_or_default(),
            );
        }
    }

    let original = original_findings.unwrap_or_else(|| remaining.clone());
    FixOutcome {
        text,
        applied,
        remaining,
        refused: None,
        original,
    }
}

fn codes_of(diagnostics: &[&Diagnostic]) -> String {
    let recipes: BTreeSet<(&str, &str)> = diagnostics
        .iter()
        .map(|d| (d.code(), d.recipe.id))
        .collect();
    let names: Vec<String> = recipes
        .into_iter()
        .map(|(code, id)| format!("{code} ({id})"))
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::Checker;
    use crate::fix::Edit;
    use crate::parse::ast::Expr;
    use crate::parse::{Ranged, TextSize};
    use crate::recipe::{FixAvailability, Recipe, RecipeMeta};

    /// A recipe whose fix gives `f(a=1)` its keyword twice: the file parses, CPython rejects it.
    struct RepeatsAKeyword;

    static META: RecipeMeta = RecipeMeta {
        code: "AW999",
        id: "repeats-a-keyword",
        phase: 1,
        summary: "test recipe",
        ruff_equivalent: None,
        fix: FixAvailability::Safe,
        needles: &["f("],
        requires: None,
        doc: "",
    };

    impl Recipe for RepeatsAKeyword {
        fn meta(&self) -> &'static RecipeMeta {
            &META
        }

        fn check_expr<'a>(&self, expr: &'a Expr, checker: &mut Checker<'a>) {
            let Expr::Call(call) = expr else { return };
            if call.arguments.len() != 1 {
                return;
            }
            let end = call.end() - TextSize::new(1);
            let fix = Fix::safe(vec![Edit::insertion(", a=2", end)]);
            checker.report_with_fix(&META, call.range(), "f".to_owned(), Ok(fix), None);
        }
    }

    #[test]
    fn a_fix_that_adds_code_cpython_rejects_is_refused() {
        let settings = Settings::new(vec![&RepeatsAKeyword], false);
        let source = "async def g():\n    f(a=1)\n";
        let outcome = fix_source(source, &settings).unwrap();
        assert_eq!(outcome.text, source);
        let refused = outcome.refused.expect("refused");
        assert!(
            refused.contains("CPython rejects (Duplicate keyword argument `a`)"),
            "{refused}"
        );
    }
}
