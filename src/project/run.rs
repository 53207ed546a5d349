//! A run with the project stage: read every file, index the ones that matter, plan the
//! project fixes, then check or fix each file with its share of the plan.

use rustc_hash::FxHashSet as HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rayon::prelude::*;

use super::index::{index_module, index_with_model, ModuleIndex};
use super::layout::ModulePlace;
use super::plan::{apply, plan, FilePlan};
use super::texts::{Texts, CHANGED_WHILE_READ};
use super::{FileId, PlannedModule, Project};
use crate::checker::check;
use crate::discovery::Candidate;
use crate::facts::{read_scanned, FactIndex, Modules, Scan};
use crate::file::{
    fill_fixed, finish_file, locate_in_original, process_source, syntax_error, worth_parsing,
    FileError, FileReport, Mode, CHANGED_ON_DISK,
};
use crate::parse::{parse_module, SyntaxError};
use crate::pipeline::{check_source, fix_parsed, FixOutcome, Settings};
use crate::recipe::{Diagnostic, Recipe, RunFact};
use crate::source::{SourceText, Stylist};

/// How many rounds of "index what the indexed files lead to" are made.
const MAX_ROUNDS: usize = 6;

/// Runs `mode` over `files` with the project stage.
pub fn run_project(files: &[Candidate], mode: Mode, settings: &Settings) -> Vec<FileReport> {
    let (sources, scans): (Vec<Result<SourceText, FileError>>, Vec<Option<Scan>>) = files
        .par_iter()
        .map(|c| read_scanned(&c.path, &settings.recipes))
        .unzip();
    // The facts the project stage decides stay out of the first pass's settings (see
    // `settle_facts`).
    let mut facts = gather_facts(settings, files, &sources, scans, true);
    let wanted = index_wanted(files, &sources);
    // After the first pass, a step that needs a text reads it again.
    let texts = Texts::to_read_again(files, &sources);

    // One pass over the files: each is parsed once, indexed if the project needs it and, in
    // check mode, checked from the same parse and semantic model; its text is dropped then.
    let layout = project_layout(files);
    let settings = &with_first_party(settings, &layout);
    // (With whether the file is worth parsing in this mode, by its bytes: the facts of the
    // run change no recipe of its settings, so it holds for the second pass too; and what the
    // rounds need to know of it.)
    let first: Vec<(FirstPass, bool, Glance)> = sources
        .into_par_iter()
        .enumerate()
        .map(|(file, source)| {
            let Ok(source) = source else {
                return ((None, Checked::Skipped), false, Glance::default());
            };
            let path = &files[file].path;
            let settings = facts.apply(settings.for_path(path), path, || Some(&source.text));
            let worth = worth_parsing(&source.text, mode, &settings);
            let work = matches!(mode, Mode::Check | Mode::Diff | Mode::Write)
                && (files[file].explicit || worth)
                && !files[file].context;
            let pass = first_pass(
                &files[file].path,
                &source.text,
                wanted[file].then_some((&layout.roots, &layout.places[file])),
                work.then_some((&*settings, mode)),
            );
            (pass, worth, Glance::of(&source.text, wanted[file]))
        })
        .collect();
    let mut first_round: Vec<(FileId, Option<ModuleIndex>)> = Vec::new();
    let mut checked: Vec<Checked> = Vec::with_capacity(files.len());
    let mut worth: Vec<bool> = Vec::with_capacity(files.len());
    let mut glances: Vec<Glance> = Vec::with_capacity(files.len());
    for (file, ((index, check), worth_parsing, glance)) in first.into_iter().enumerate() {
        if wanted[file] {
            first_round.push((file, index.flatten()));
        }
        checked.push(check);
        worth.push(worth_parsing);
        glances.push(glance);
    }

    let (mut project, indexed) = build_project(files, &texts, &layout, first_round, glances);
    project.patches = facts.patches();
    let plans = {
        let texts = |module: usize| indexed.get(module).and_then(|&f| text_of(texts.get(f)));
        let writable =
            |module: usize| mode != Mode::Write || is_writable(&project.modules[module].path);
        let outside = |module: usize| files[indexed[module]].context;
        plan(&project, settings, &texts, &writable, &outside)
    };
    // Per file of the run: its plan, if it was indexed.
    let mut by_file: Vec<Option<FilePlan>> = (0..files.len()).map(|_| None).collect();
    for (module, file_plan) in plans.into_iter().enumerate() {
        by_file[indexed[module]] = Some(file_plan);
    }
    settle_facts(
        &mut facts, files, &texts, &checked, &worth, &project, &indexed, &by_file, settings,
    );
    // A file the settled facts give one is checked or fixed again with them.
    for (file, checked) in checked.iter_mut().enumerate() {
        if texts.is_err(file) {
            continue;
        }
        if facts.settled_for(&files[file].path, || text_of(texts.get(file))) {
            *checked = Checked::Skipped;
        }
    }
    // Fixing needs the index again afterwards; otherwise freeing it takes a while: in the
    // background, while the files are processed.
    let kept = if matches!(mode, Mode::Diff | Mode::Write) {
        Some((project, indexed))
    } else {
        std::thread::spawn(move || drop(project));
        None
    };

    let outcomes: Vec<(FileReport, Vec<Diagnostic>)> = files
        .par_iter()
        .zip(by_file.into_par_iter())
        .zip(checked.into_par_iter())
        .enumerate()
        .map(|(file, ((candidate, file_plan), checked))| {
            let work = Work {
                checked,
                worth: worth[file],
                mode,
            };
            let settings = || settings_of(settings, &facts, &texts, file);
            let result = catch_unwind(AssertUnwindSafe(|| {
                process_with_plan(candidate, &texts, file, file_plan, work, settings)
            }));
            result.unwrap_or_else(|payload| {
                let mut report = FileReport::empty(candidate.path.clone());
                report.error = Some(FileError::Panic(crate::file::panic_message(&payload)));
                (report, Vec::new())
            })
        })
        .collect();
    let (mut reports, planned): (Vec<FileReport>, Vec<Vec<Diagnostic>>) =
        outcomes.into_iter().unzip();

    if matches!(mode, Mode::Diff | Mode::Write) {
        if let Some((project, indexed)) = kept {
            let index = (project, indexed, &layout);
            refresh_project_findings(files, &texts, &mut reports, settings, index);
        }
        if mode == Mode::Diff {
            for (report, planned) in reports.iter_mut().zip(planned) {
                locate_dry_run(report, planned, settings);
            }
        }
    }
    reports
}

/// Settles the facts the project stage decides (see [`crate::facts`]): of the modules the
/// byte rule finds, those that have the fact once the run's fixes are planned. A module's
/// findings after its phase 2 edits are the first pass's when the plan does not edit it.
#[allow(clippy::too_many_arguments)]
fn settle_facts<'f>(
    facts: &mut FactIndex<'f>,
    files: &'f [Candidate],
    texts: &Texts,
    checked: &[Checked],
    worth: &[bool],
    project: &Project,
    indexed: &[FileId],
    by_file: &[Option<FilePlan>],
    settings: &Settings,
) {
    let pending: Vec<(&'static RunFact, Vec<&'f Path>)> = facts
        .pending()
        .map(|(fact, modules)| (fact, modules.iter().map(|(path, _)| *path).collect()))
        .collect();
    if pending.is_empty() {
        return;
    }
    let module_of: rustc_hash::FxHashMap<FileId, usize> =
        indexed.iter().enumerate().map(|(m, &f)| (f, m)).collect();
    let file_of: rustc_hash::FxHashMap<&Path, FileId> = files
        .iter()
        .enumerate()
        .map(|(f, c)| (c.path.as_path(), f))
        .collect();
    let none = Default::default();
    let reached = if pending.iter().any(|(_, modules)| !modules.is_empty()) {
        project.reached_from_async()
    } else {
        &none
    };
    let decided: Vec<(&'static RunFact, Modules<'f>)> = pending
        .into_iter()
        .map(|(fact, modules)| {
            let decide = fact
                .planned
                .expect("a pending fact is decided by the project stage");
            let facts = &*facts;
            let having: Modules<'f> = modules
                .into_par_iter()
                .filter_map(|path| {
                    let file = file_of[path];
                    // Not indexed: nothing is known of it.
                    let (Some(&module), Some(file_plan), Ok(source)) =
                        (module_of.get(&file), &by_file[file], texts.get(file))
                    else {
                        return Some((path, None));
                    };
                    let file_settings =
                        facts.apply(settings.for_path(path), path, || Some(&source.text));
                    let first = match &checked[file] {
                        _ if !file_plan.edits.is_empty() => None,
                        Checked::Done(Ok(diagnostics)) => Some(diagnostics.as_slice()),
                        Checked::Fixed(Ok(outcome)) => Some(outcome.original.as_slice()),
                        // Its bytes rule out every finding (the pre-check never skips a file
                        // with one): nothing to check.
                        _ if !worth[file] => Some(&[][..]),
                        _ => None,
                    };
                    let computed = match first {
                        Some(_) => None,
                        None => catch_unwind(AssertUnwindSafe(|| {
                            check_source(&apply(&source.text, &file_plan.edits), &file_settings)
                                .ok()
                        }))
                        .ok()
                        .flatten(),
                    };
                    let planned_module = PlannedModule {
                        project,
                        module,
                        planned: &file_plan.diagnostics,
                        after: first.or(computed.as_deref()),
                        settings: &file_settings,
                        reached,
                    };
                    let what = catch_unwind(AssertUnwindSafe(|| decide(&planned_module)))
                        .unwrap_or_else(|_| Some("it could not be checked".to_owned()))?;
                    Some((path, Some(what)))
                })
                .collect();
            (fact, having)
        })
        .collect();
    for (fact, having) in decided {
        facts.settle(fact, having);
    }
}

/// The run's facts, from the texts of `files` and their scans (dropped once read; see
/// [`FactIndex::gather`] for `project_stage`).
fn gather_facts<'f>(
    settings: &Settings,
    files: &'f [Candidate],
    sources: &[Result<SourceText, FileError>],
    scans: Vec<Option<Scan>>,
    project_stage: bool,
) -> FactIndex<'f> {
    let modules = files.iter().zip(sources.iter().zip(&scans));
    FactIndex::gather(
        &settings.recipes,
        modules.map(|(c, (s, scan))| (c.path.as_path(), text_of(s).zip(scan.as_ref()))),
        project_stage,
    )
}

fn text_of(source: &Result<SourceText, FileError>) -> Option<&str> {
    source.as_ref().ok().map(|s| s.text.as_str())
}

/// `settings` with the first-party modules of the project whose files stand as `layout` says:
/// as isort and ruff tell them (by default), the top-level modules in the project folder or in
/// its `src` folder (a test helper module of `tests/` is not), or any, without a project folder.
fn with_first_party(settings: &Settings, layout: &Layout) -> Settings {
    let roots = layout.places.iter().flat_map(|place| {
        let project = Path::new(&place.namespace);
        let first_party = move |origin: &Path| {
            place.namespace.is_empty() || origin == project || origin == project.join("src")
        };
        let names = place.names.iter().zip(&place.origins);
        names
            .filter(move |(_, origin)| first_party(origin))
            .filter_map(|(name, _)| name.split('.').next().map(str::to_owned))
    });
    let mut settings = settings.clone();
    settings.first_party = Some(std::sync::Arc::new(roots.collect()));
    settings
}

/// The settings of one file of the run, with the facts it needs (see [`FactIndex::apply`]).
fn settings_of<'s>(
    settings: &'s Settings,
    facts: &FactIndex,
    texts: &Texts,
    file: FileId,
) -> std::borrow::Cow<'s, Settings> {
    let path = texts.path(file);
    facts.apply(settings.for_path(path), path, || text_of(texts.get(file)))
}

/// Standard input: a project of one module (its calls to other modules stay unresolved), or,
/// with `context` (the other files of the project its `--stdin-filename` names, see
/// [`super::layout::outside_paths`]), that project with standard input for the file: read for
/// what they call and patch, never reported or changed, as in a run on part of a project.
pub fn process_stdin(
    report: &mut FileReport,
    source: &SourceText,
    context: &[Candidate],
    mode: Mode,
    settings: &Settings,
) {
    let phase2 = settings.recipes.iter().any(|r| r.meta().phase == 2);
    if context.is_empty() {
        if !phase2 {
            process_source(report, source, mode, settings);
            return;
        }
        // Parsed once: indexed, and checked or fixed from the same parse.
        let work = (mode != Mode::Audit).then_some((settings, mode));
        let place = super::layout::place(&report.path);
        let index = Some((&Default::default(), &place));
        let (index, checked) = first_pass(&report.path, &source.text, index, work);
        let project = index
            .flatten()
            .map(|module| (Project::new(vec![module]), 0));
        finish_stdin(report, source, checked, project, mode, settings);
        return;
    }
    // The project's files, standard input first (for the file it stands for).
    let files: Vec<Candidate> = std::iter::once(Candidate {
        path: report.path.clone(),
        explicit: true,
        size: source.text.len() as u64,
        context: false,
    })
    .chain(context.iter().cloned())
    .collect();
    let (sources, scans): (Vec<Result<SourceText, FileError>>, Vec<Option<Scan>>) = files
        .par_iter()
        .enumerate()
        .map(|(file, c)| match file {
            0 => {
                let scan = Scan::of(&settings.recipes, &c.path, &source.text);
                (Ok(source.clone()), Some(scan))
            }
            _ => read_scanned(&c.path, &settings.recipes),
        })
        .unzip();
    let facts = gather_facts(settings, &files, &sources, scans, false);
    let file_settings = facts.apply(settings.for_path(&report.path), &report.path, || {
        Some(&source.text)
    });
    if !phase2 {
        process_source(report, source, mode, &file_settings);
        return;
    }
    let layout = project_layout(&files);
    let file_settings = with_first_party(&file_settings, &layout);
    let wanted = index_wanted(&files, &sources);
    // (Standard input's text cannot be read again: all are kept.)
    let texts = Texts::kept(&files, sources);
    let glances = (0..files.len())
        .into_par_iter()
        .map(|file| match texts.get(file) {
            Ok(source) => Glance::of(&source.text, file == 0 || wanted[file]),
            Err(_) => Glance::default(),
        })
        .collect();
    let work = (mode != Mode::Audit).then_some((&file_settings, mode));
    let (first, checked) = first_pass(
        &report.path,
        &source.text,
        Some((&layout.roots, &layout.places[0])),
        work,
    );
    // The context files' indexes (standard input's is the first pass's).
    let mut first_round: Vec<(FileId, Option<ModuleIndex>)> = vec![(0, first.flatten())];
    first_round.extend(
        (1..files.len())
            .into_par_iter()
            .filter(|&file| wanted[file])
            .map(|file| {
                let Ok(source) = texts.get(file) else {
                    return (file, None);
                };
                let roots = (&layout.roots, &layout.places[file]);
                let (index, _) = first_pass(&files[file].path, &source.text, Some(roots), None);
                (file, index.flatten())
            })
            .collect::<Vec<_>>(),
    );
    let (mut project, indexed) = build_project(&files, &texts, &layout, first_round, glances);
    project.patches = facts.patches();
    let module = indexed.iter().position(|&file| file == 0);
    let project = module.map(|module| (project, module));
    finish_stdin(report, source, checked, project, mode, &file_settings);
}

/// The rest of [`process_stdin`]: its first pass's findings or fixes, and its part of the
/// project's plan (`project`: the project and standard input's module in it, if indexed).
fn finish_stdin(
    report: &mut FileReport,
    source: &SourceText,
    checked: Checked,
    project: Option<(Project, usize)>,
    mode: Mode,
    settings: &Settings,
) {
    let fill = |report: &mut FileReport, checked: Checked| match checked {
        Checked::Done(Ok(diagnostics)) => {
            report.diagnostics = diagnostics;
            report.text = source.text.clone();
        }
        Checked::Done(Err(error)) | Checked::Fixed(Err(error)) => {
            report.error = Some(syntax_error(&source.text, error))
        }
        Checked::Fixed(Ok(outcome)) => fill_fixed(report, &source.text, outcome, mode),
        Checked::Panicked(message) => std::panic::resume_unwind(Box::new(message)),
        Checked::Skipped => process_source(report, source, mode, settings),
    };
    let Some((project, module)) = project else {
        fill(report, checked);
        return;
    };
    // Only standard input's text is at hand: the other modules are context, never edited.
    let text = |m: usize| (m == module).then_some(source.text.as_str());
    let outside = |m: usize| m != module;
    let file_plan = plan(&project, settings, &text, &|_| true, &outside)
        .into_iter()
        .nth(module)
        .unwrap_or_default();
    if mode == Mode::Check || file_plan.edits.is_empty() {
        fill(report, checked);
        if report.error.is_some() || report.changed() {
            return;
        }
        report.diagnostics.extend(file_plan.diagnostics);
        report
            .diagnostics
            .sort_by_key(|d| (d.range.start(), d.recipe.code));
        return;
    }
    let converted = SourceText {
        text: apply(&source.text, &file_plan.edits),
        bom: source.bom,
    };
    process_source(report, &converted, Mode::Write, settings);
    if report.text != source.text {
        report.original = Some(source.text.clone());
        for (code, count) in &file_plan.applied {
            *report.applied.entry(code).or_default() += count;
        }
    }
}

/// A dry run prints the findings where they are on disk: in the original text.
fn locate_dry_run(report: &mut FileReport, planned: Vec<Diagnostic>, settings: &Settings) {
    let Some(original) = &report.original else {
        return;
    };
    let mut before = check_source(original, settings).unwrap_or_default();
    before.extend(planned);
    if let Some(located) = locate_in_original(original, &report.text, &report.diagnostics, &before)
    {
        report.diagnostics = located;
        report.located_in_original = true;
    }
}

fn is_writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

/// Which files the project index starts from: those with async code or a call a phase 1
/// recipe knows as blocking (by their bytes), and every `conftest.py` (its fixtures tell what
/// the tests' parameters hold).
fn index_wanted(files: &[Candidate], sources: &[Result<SourceText, FileError>]) -> Vec<bool> {
    let phase1: Vec<&'static dyn Recipe> = crate::codemods::RECIPES
        .iter()
        .copied()
        .filter(|r| r.meta().phase == 1)
        .collect();
    files
        .par_iter()
        .zip(sources)
        .map(|(candidate, s)| {
            s.as_ref().is_ok_and(|s| {
                crate::recipe::contains(&s.text, "async")
                    || phase1.iter().any(|r| r.mentions(&s.text))
            }) || candidate
                .path
                .file_name()
                .is_some_and(|n| n == "conftest.py")
        })
        .collect()
}

/// What the first pass found in one file: its findings in check mode, what the fix loop
/// made of it when fixing (valid as long as the project's plan has no edit for it).
enum Checked {
    /// Not checked in the first pass.
    Skipped,
    Done(Result<Vec<Diagnostic>, SyntaxError>),
    Fixed(Result<FixOutcome, SyntaxError>),
    Panicked(String),
}

/// What the first pass made of one file: its index (see [`first_pass`]) and its check.
type FirstPass = (Option<Option<ModuleIndex>>, Checked);

/// The first pass over one file: parsed once, indexed with `roots` at its place
/// (`Some(None)`: it could not be parsed or indexed), checked or fixed with `work`'s settings.
fn first_pass(
    path: &Path,
    text: &str,
    roots: Option<(&super::Roots, &ModulePlace)>,
    work: Option<(&Settings, Mode)>,
) -> FirstPass {
    let (settings, fixing) = match work {
        Some((settings, mode)) => (Some(settings), mode != Mode::Check),
        None => (None, false),
    };
    if roots.is_none() && settings.is_none() {
        return (None, Checked::Skipped);
    }
    let parsed = match catch_unwind(AssertUnwindSafe(|| parse_module(text))) {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(error)) => {
            let checked = match settings {
                Some(_) if fixing => Checked::Fixed(Err(error)),
                Some(_) => Checked::Done(Err(error)),
                None => Checked::Skipped,
            };
            return (roots.map(|_| None), checked);
        }
        Err(payload) => {
            let checked = match settings {
                Some(_) => Checked::Panicked(crate::file::panic_message(&payload)),
                None => Checked::Skipped,
            };
            return (roots.map(|_| None), checked);
        }
    };
    let recipes = crate::codemods::RECIPES;
    let index_alone = |(roots, place): (_, &ModulePlace)| {
        catch_unwind(AssertUnwindSafe(|| {
            index_module(path, place.clone(), text, &parsed, recipes, roots)
        }))
        .ok()
    };
    let Some(settings) = settings else {
        return (roots.map(index_alone), Checked::Skipped);
    };
    if fixing {
        let index = roots.map(index_alone);
        let fixed = catch_unwind(AssertUnwindSafe(|| fix_parsed(text, parsed, settings)));
        let checked = match fixed {
            Ok(outcome) => Checked::Fixed(Ok(outcome)),
            Err(payload) => Checked::Panicked(crate::file::panic_message(&payload)),
        };
        return (index, checked);
    }
    let both = catch_unwind(AssertUnwindSafe(|| {
        let stylist = Stylist::detect(text, &parsed);
        let result = check(text, &parsed, &stylist, settings);
        let index = roots.map(|(roots, place)| {
            catch_unwind(AssertUnwindSafe(|| {
                let place = place.clone();
                index_with_model(path, place, text, &parsed, &result.semantic, recipes, roots)
            }))
            .ok()
        });
        (result.diagnostics, index)
    }));
    match both {
        Ok((diagnostics, index)) => (index, Checked::Done(Ok(diagnostics))),
        Err(payload) => (
            roots.map(index_alone),
            Checked::Panicked(crate::file::panic_message(&payload)),
        ),
    }
}

/// Indexes the files that can matter to the phase 2 recipes: those with async code or a
/// blocking call, then (in rounds) the project modules they import and the files that
/// mention a function they could convert (a caller that would otherwise go unseen).
/// Returns the project and, per module, its file.
fn build_project(
    files: &[Candidate],
    texts: &Texts,
    layout: &Layout,
    first_round: Vec<(FileId, Option<ModuleIndex>)>,
    mut glances: Vec<Glance>,
) -> (Project, Vec<FileId>) {
    let mut indexing = Indexing {
        files,
        texts,
        recipes: crate::codemods::RECIPES,
        layout,
        done: HashSet::default(),
        module_files: Vec::new(),
        unparsed: Vec::new(),
    };
    let mut modules: Vec<ModuleIndex> = Vec::new();
    // The files with async code or blocking calls, indexed by the first pass.
    for (file, index) in first_round {
        indexing.done.insert(file);
        indexing.add(file, index, &mut modules);
    }
    let mut project = Project::new(modules);
    // The code words of the files not indexed yet (see `WordBloom`).
    let mut blooms: Vec<Option<WordBloom>> = glances.iter_mut().map(|g| g.bloom.take()).collect();
    // Then, in rounds, the files that mention a function a phase 2 fix may change the calls
    // of: they may call it (as a caller to await, or on a path from async code to it), or
    // override or replace it.
    // The names looked for by the rounds so far: no file left to index mentions one of them,
    // so a round looks only for the names its judged functions add.
    let mut asked: HashSet<String> = HashSet::default();
    for _ in 0..MAX_ROUNDS {
        let names: Vec<&str> = {
            let reaching = project.judged_functions();
            // Python calls dunder methods itself; `__init__` runs where its class is called.
            let mut names: Vec<&str> = reaching
                .iter()
                .filter_map(|&f| {
                    let function = project.function(f);
                    // Only its enclosing function calls a local function by its name; any
                    // other code calls a value it was given, which no name search finds.
                    if function.local {
                        return None;
                    }
                    let name = match (function.is_dunder(), &*function.name, function.class) {
                        (false, name, _) => name,
                        (true, "__init__", Some(class)) => {
                            project.modules[f.file].classes[class].name.as_str()
                        }
                        _ => return None,
                    };
                    Some((f, name))
                })
                // And under the names other modules import them by.
                .chain(project.aliases_of(&reaching))
                // A function some unresolved call may reach can never be converted: its
                // other callers do not matter.
                .filter(|&(f, name)| project.unknown_use(f, name).is_none())
                .map(|(_, name)| name)
                .collect();
            // And the module-level constants they read: a file that mentions one may rebind
            // it (`module.NAME = ...`), which keeps their calls out of a thread.
            names.extend(reaching.iter().flat_map(|&f| {
                let constants = &project.function(f).isolation.constants;
                constants.iter().map(|(_, name)| name.as_str())
            }));
            names.sort_unstable();
            names.dedup();
            names
        };
        let names: Vec<&str> = names.into_iter().filter(|n| !asked.contains(*n)).collect();
        if names.is_empty() {
            break;
        }
        // The first round also reads the files that take an attribute by a computed name
        // (`getattr(tools, name)`): they may take a function from its module, and do not
        // name it.
        let first = asked.is_empty();
        asked.extend(names.iter().map(|&n| n.to_owned()));
        // (Indexed from the text read to tell whether it mentions one: each file read once.)
        let index = |file, source: &Result<SourceText, FileError>| indexing.index(file, source);
        let mut found = files_mentioning(&names, texts, &indexing.done, &mut blooms, index);
        if first {
            // (`found` is in file order.)
            let mentions = |f: &FileId| found.binary_search_by_key(f, |(file, _)| *file).is_ok();
            let lookups: Vec<FileId> = (0..texts.len())
                .filter(|f| !indexing.done.contains(f) && !mentions(f))
                .filter(|&f| glances[f].computed_lookup)
                .collect();
            found.extend(indexing.index_all(&lookups));
            found.sort_unstable_by_key(|(file, _)| *file);
        }
        if found.is_empty() {
            break;
        }
        let mut more = Vec::new();
        for (file, index) in found {
            indexing.done.insert(file);
            indexing.add(file, index, &mut more);
        }
        project = project.extend(more);
    }
    let Indexing {
        module_files,
        unparsed,
        ..
    } = indexing;
    // Names in files that do not parse may be calls of anything; so may any name in a file
    // that could not be read (or decoded), and a name in a doctest (`>>> load("a")`), which
    // a test run may execute.
    let mut unreadable: Vec<FileId> = (0..files.len())
        .filter(|&file| texts.is_err(file))
        .collect();
    // A file that does not parse is read again, once (its words matter here and below); one
    // that changed on disk since it was first read counts as a file that cannot be read.
    let mut unparsed_texts: Vec<(FileId, SourceText)> = Vec::new();
    for file in unparsed {
        match texts.read(file).into_owned() {
            Ok(source) => unparsed_texts.push((file, source)),
            Err(_) => unreadable.push(file),
        }
    }
    let doctests: Vec<FileId> = (0..files.len())
        .filter(|&file| glances[file].doctest)
        .collect();
    let names: HashSet<String> = if unparsed_texts.is_empty() && unreadable.is_empty() {
        HashSet::default()
    } else {
        let sync: rustc_hash::FxHashSet<_> = project
            .functions()
            .filter(|(_, f)| !f.is_async)
            .map(|(id, _)| id)
            .collect();
        sync.iter()
            .map(|&f| project.function(f).name.to_string())
            .chain(
                project
                    .aliases_of(&sync)
                    .into_iter()
                    .map(|(_, name)| name.to_owned()),
            )
            .collect()
    };
    // (Per file in parallel, the first of each name kept in file order.)
    let in_doctests: Vec<Vec<(String, usize)>> = doctests
        .par_iter()
        .map(|&file| {
            let source = texts.read(file);
            let text = text_of(&source).unwrap_or("");
            let mut found = Vec::new();
            for (line, text) in text.lines().enumerate() {
                let code = text.trim_start();
                let doctest = code
                    .strip_prefix(">>>")
                    .or_else(|| code.strip_prefix("..."));
                let Some(code) = doctest else { continue };
                let words = code.split(|c: char| !(c.is_alphanumeric() || c == '_'));
                found.extend(
                    words
                        .filter(|w| project.is_defined(w))
                        .map(|w| (w.to_owned(), line + 1)),
                );
            }
            found
        })
        .collect();
    for (&file, found) in doctests.iter().zip(in_doctests) {
        for (word, line) in found {
            project
                .doctest_mentions
                .entry(word)
                .or_insert_with(|| (files[file].path.clone(), line));
        }
    }
    for &file in &unreadable {
        for name in &names {
            project
                .unindexed_mentions
                .entry(name.clone())
                .or_insert_with(|| files[file].path.clone());
        }
    }
    for (file, source) in &unparsed_texts {
        for word in source
            .text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| names.contains(*w))
        {
            project
                .unindexed_mentions
                .entry(word.to_owned())
                .or_insert_with(|| files[*file].path.clone());
        }
    }
    // The module-level constants functions read, mentioned by a file that is not indexed (or
    // does not parse): its rebinding of one (`module.NAME = ...`) would go unseen.
    let constants: rustc_hash::FxHashSet<&[u8]> = project
        .functions()
        .flat_map(|(_, f)| f.isolation.constants.iter().map(|(_, n)| n.as_bytes()))
        .collect();
    if !constants.is_empty() {
        let unparsed: rustc_hash::FxHashMap<FileId, &SourceText> = unparsed_texts
            .iter()
            .map(|(file, source)| (*file, source))
            .collect();
        let indexed: HashSet<FileId> = module_files.iter().copied().collect();
        let probes: Vec<Probe> = constants.iter().map(|c| Probe::of(word_hash(c))).collect();
        let mentions: Vec<(String, FileId)> = (0..texts.len())
            .into_par_iter()
            .filter(|f| !indexed.contains(f) && !texts.is_err(*f))
            .filter(|&f| {
                // Read again only when its words may hold one of them.
                unparsed.contains_key(&f)
                    || blooms[f]
                        .as_ref()
                        .is_none_or(|bloom| probes.iter().any(|&probe| bloom.may_contain(probe)))
            })
            .flat_map_iter(|f| {
                let read;
                let text = match unparsed.get(&f) {
                    Some(source) => source.text.as_bytes(),
                    None => {
                        read = texts.read(f);
                        text_of(&read).unwrap_or("").as_bytes()
                    }
                };
                let words: Box<dyn Iterator<Item = &[u8]>> = if unparsed.contains_key(&f) {
                    Box::new(text.split(|&b| !is_word_byte(b)))
                } else {
                    Box::new(code_words(text))
                };
                let found: rustc_hash::FxHashSet<&[u8]> =
                    words.filter(|w| constants.contains(w)).collect();
                let found: Vec<(String, FileId)> = found
                    .into_iter()
                    .map(|w| (String::from_utf8_lossy(w).into_owned(), f))
                    .collect();
                found
            })
            .collect();
        for (word, file) in mentions {
            project
                .constant_mentions
                .entry(word)
                .or_insert_with(|| files[file].path.clone());
        }
    }
    (project, module_files)
}

/// The files indexed so far, and how to index more.
struct Indexing<'r> {
    files: &'r [Candidate],
    texts: &'r Texts<'r>,
    recipes: &'r [&'static dyn Recipe],
    layout: &'r Layout,
    done: HashSet<FileId>,
    /// Per module (in `modules` order): its file.
    module_files: Vec<FileId>,
    unparsed: Vec<FileId>,
}

impl Indexing<'_> {
    /// The indexes of `files` (`None`: one could not be read or parsed), in their order.
    fn index_all(&self, files: &[FileId]) -> Vec<(FileId, Option<ModuleIndex>)> {
        files
            .par_iter()
            .map(|&file| (file, self.index(file, &self.texts.read(file))))
            .collect()
    }

    /// The index of `file`, whose text (or the error reading it) is `source`.
    fn index(&self, file: FileId, source: &Result<SourceText, FileError>) -> Option<ModuleIndex> {
        let Ok(source) = source else {
            return None;
        };
        let Layout { roots, places } = self.layout;
        catch_unwind(AssertUnwindSafe(|| {
            parse_module(&source.text).ok().map(|parsed| {
                let place = places[file].clone();
                let path = &self.files[file].path;
                index_module(path, place, &source.text, &parsed, self.recipes, roots)
            })
        }))
        .ok()
        .flatten()
    }

    /// Records the index of `file` (`None`: it could not be parsed).
    fn add(&mut self, file: FileId, index: Option<ModuleIndex>, modules: &mut Vec<ModuleIndex>) {
        match index {
            Some(index) => {
                modules.push(index);
                self.module_files.push(file);
            }
            None => self.unparsed.push(file),
        }
    }
}

/// Where the files of a run stand among the project's modules.
struct Layout {
    /// The first segments of their module names (`opsd` of `opsd.db`): imports from anything
    /// else are not the project's.
    roots: super::Roots,
    /// Per file: its place (see [`super::layout::place`]).
    places: Vec<ModulePlace>,
}

/// The [`Layout`] of `files`, found once per run.
fn project_layout(files: &[Candidate]) -> Layout {
    let places: Vec<ModulePlace> = files
        .par_iter()
        .map(|c| super::layout::place(&c.path))
        .collect();
    let mut roots: super::Roots = Default::default();
    for place in &places {
        let firsts = roots.entry(place.namespace.clone()).or_default();
        for name in &place.names {
            if let Some(first) = name.split('.').next().filter(|f| !f.is_empty()) {
                firsts.insert(first.to_owned());
            }
        }
    }
    Layout { roots, places }
}

/// The files not indexed yet that mention one of `names` as a word of their code (comments
/// left out: `# type: ignore` names no function), in file order, each with what `with` makes
/// of its text (read once for both; a file that cannot be read counts as one that mentions
/// them, with its error).
fn files_mentioning<T: Send>(
    names: &[&str],
    texts: &Texts,
    done: &HashSet<FileId>,
    blooms: &mut [Option<WordBloom>],
    with: impl Fn(FileId, &Result<SourceText, FileError>) -> T + Sync,
) -> Vec<(FileId, T)> {
    let names = Names::new(names);
    let probes: Vec<Probe> = names.hashes().map(Probe::of).collect();
    let seen: &[Option<WordBloom>] = blooms;
    let scanned: Vec<(FileId, Option<WordBloom>, Option<T>)> = (0..texts.len())
        .into_par_iter()
        .filter(|&f| !done.contains(&f) && !texts.is_err(f))
        .map(|f| {
            match &seen[f] {
                // Read again only when its words may hold one of the names.
                Some(bloom) => {
                    if !probes.iter().any(|&probe| bloom.may_contain(probe)) {
                        return (f, None, None);
                    }
                    // (A file that changed since is indexed: it fails to, and then counts
                    // as a file that does not parse, which may call anything.)
                    let source = texts.read(f);
                    let mentions = match source.as_ref() {
                        Ok(source) => code_words(source.text.as_bytes())
                            .any(|word| names.contains(word_hash(word), word)),
                        Err(_) => true,
                    };
                    (f, None, mentions.then(|| with(f, &source)))
                }
                None => {
                    let source = texts.read(f);
                    let Ok(text) = source.as_ref() else {
                        return (f, None, Some(with(f, &source)));
                    };
                    let text = text.text.as_bytes();
                    let mut bloom = WordBloom::for_text(text);
                    let mut mentions = false;
                    for word in code_words(text) {
                        let hash = word_hash(word);
                        bloom.insert(hash);
                        mentions = mentions || names.contains(hash, word);
                    }
                    (f, Some(bloom), mentions.then(|| with(f, &source)))
                }
            }
        })
        .collect();
    let mut found = Vec::new();
    for (file, bloom, made) in scanned {
        if bloom.is_some() {
            blooms[file] = bloom;
        }
        if let Some(made) = made {
            found.push((file, made));
        }
    }
    found
}

/// Whether `text` may take a function by a name computed at run time (by bytes): call
/// `getattr` with a second argument that is not a plain string literal alone (an f-string
/// counts, and `"run_" + name`), look names up in a module's namespace (`globals()[...]`,
/// `vars(...).get(...)`, `__dict__.items()`), or list an object's members
/// (`inspect.getmembers`).
fn looks_up_by_computed_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Where the first argument of a call whose arguments start at `rest` ends (at a `,` or
    // at the closing parenthesis), brackets nested in it skipped.
    let first_argument = |rest: &[u8]| {
        let mut depth = 0usize;
        rest.iter().position(|&b| {
            match b {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth == 0 => return true,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => return true,
                _ => {}
            }
            false
        })
    };
    let looks_up = |rest: &[u8]| {
        [&b"["[..], b".get(", b".items()", b".values()"]
            .iter()
            .any(|lookup| rest.starts_with(lookup))
    };
    if memchr::memmem::find(bytes, b"getmembers(").is_some() {
        return true;
    }
    let after = |word: &'static [u8]| {
        memchr::memmem::find_iter(bytes, word).map(move |start| &bytes[start + word.len()..])
    };
    if after(b"globals()").any(looks_up)
        || after(b"__dict__").any(looks_up)
        || after(b"vars(").any(|rest| {
            first_argument(rest).is_some_and(|end| rest[end] == b')' && looks_up(&rest[end + 1..]))
        })
    {
        return true;
    }
    after(b"getattr(").any(|rest| {
        let Some(comma) = first_argument(rest) else {
            return false;
        };
        if rest[comma] != b',' {
            return false;
        }
        let second = &rest[comma + 1..];
        let Some(at) = second.iter().position(|b| !b.is_ascii_whitespace()) else {
            return false;
        };
        let quote = second[at];
        if quote != b'"' && quote != b'\'' {
            return true;
        }
        // A literal: computed when something follows it other than `,` or `)`.
        let mut i = at + 1;
        while i < second.len() && second[i] != quote {
            i += if second[i] == b'\\' { 2 } else { 1 };
        }
        second
            .get(i + 1..)
            .and_then(|after| after.iter().find(|b| !b.is_ascii_whitespace()))
            .is_some_and(|&b| b != b',' && b != b')')
    })
}

/// The hash of a word, for both [`WordBloom`] and [`Names`] (a word is hashed once).
fn word_hash(word: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(word)
}

/// The names a round looks for, as an open-addressing table keyed by [`word_hash`].
struct Names<'n> {
    /// Per slot: a name and its hash.
    slots: Vec<Option<(u64, &'n [u8])>>,
}

impl<'n> Names<'n> {
    fn new(names: &[&'n str]) -> Self {
        let size = (names.len() * 2).next_power_of_two().max(8);
        let mut table = Names {
            slots: vec![None; size],
        };
        for name in names {
            let word = name.as_bytes();
            let hash = word_hash(word);
            if !table.contains(hash, word) {
                let slot = table.probe(hash, |slot| slot.is_none());
                table.slots[slot] = Some((hash, word));
            }
        }
        table
    }

    /// The first slot from `hash`'s own on that `stop` accepts (the table is never full).
    fn probe(&self, hash: u64, stop: impl Fn(&Option<(u64, &[u8])>) -> bool) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = (hash >> 32) as usize & mask;
        while !stop(&self.slots[slot]) {
            slot = (slot + 1) & mask;
        }
        slot
    }

    fn contains(&self, hash: u64, word: &[u8]) -> bool {
        let slot = self.probe(hash, |slot| match slot {
            None => true,
            Some((h, name)) => *h == hash && *name == word,
        });
        self.slots[slot].is_some()
    }

    fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.iter().flatten().map(|&(hash, _)| hash)
    }
}

/// What the rounds need to know of a file, taken while the first pass has its text at hand
/// (the texts are released after it; see [`Texts`]).
#[derive(Default)]
struct Glance {
    /// For a file the first pass does not index: its code words, which the rounds look in.
    bloom: Option<WordBloom>,
    /// For a file the first pass does not index: it may take an attribute by a computed name
    /// (see [`looks_up_by_computed_name`]).
    computed_lookup: bool,
    /// It may hold doctests (`>>>`).
    doctest: bool,
}

impl Glance {
    /// The glance at `text`, of a file the first pass indexes (`indexed`) or not.
    fn of(text: &str, indexed: bool) -> Self {
        let bloom = (!indexed).then(|| {
            let mut bloom = WordBloom::for_text(text.as_bytes());
            for word in code_words(text.as_bytes()) {
                bloom.insert(word_hash(word));
            }
            bloom
        });
        Glance {
            bloom,
            computed_lookup: !indexed && looks_up_by_computed_name(text),
            // (A `memmem` search: `str::contains` took 2% of a full check's instructions here.)
            doctest: crate::recipe::contains(text, ">>>"),
        }
    }
}

/// The code words of a file as a Bloom filter: a later round tells that a file mentions none
/// of its names without reading it again (a file that may mention one is read to be sure).
struct WordBloom {
    bits: Box<[u64]>,
}

impl WordBloom {
    /// An empty filter with about one bit per byte of `text` (so a few per distinct word).
    fn for_text(text: &[u8]) -> Self {
        let bits = text.len().next_power_of_two().clamp(512, 1 << 16);
        WordBloom {
            bits: vec![0; bits / 64].into_boxed_slice(),
        }
    }

    /// Adds the word of this [`word_hash`].
    fn insert(&mut self, hash: u64) {
        let probe = Probe::of(hash);
        let block = probe.block & (self.bits.len() - 1);
        self.bits[block] |= probe.mask;
    }

    /// Whether the word of this probe may have been added (a name's probe is made once, for
    /// all the files it is looked for in).
    fn may_contain(&self, probe: Probe) -> bool {
        let block = probe.block & (self.bits.len() - 1);
        self.bits[block] & probe.mask == probe.mask
    }
}

/// Where a word of a [`word_hash`] sets its bits in a [`WordBloom`]: [`BLOOM_BITS`] bits of
/// one 64-bit block (a blocked filter: one memory access per word).
#[derive(Clone, Copy)]
struct Probe {
    block: usize,
    mask: u64,
}

impl Probe {
    fn of(hash: u64) -> Self {
        // (Mixed first: the multiplicative hash leaves its middle bits weak.)
        let mut mixed = hash ^ (hash >> 33);
        mixed = mixed.wrapping_mul(0xff51_afd7_ed55_8ccd);
        mixed ^= mixed >> 33;
        // The block from the low bits (a filter has at most 1,024 blocks), each bit of the
        // block from six bits above them.
        let mask = (0..BLOOM_BITS).fold(0, |mask, i| mask | 1 << ((mixed >> (16 + 6 * i)) & 63));
        Probe {
            block: mixed as usize,
            mask,
        }
    }
}

/// How many bits a word sets in a [`WordBloom`]. A file has about one bit of filter per byte,
/// a few dozen per distinct word. With two bits, and the hundreds of names a round looks for,
/// nearly every file was read again to confirm (the first round on the benchmark corpus read
/// 4,227 files); with six in one block it reads 1,940.
const BLOOM_BITS: usize = 6;

/// Whether a byte can be part of a Python identifier (or a number): ASCII letters, digits,
/// `_`, and any byte of a non-ASCII character.
fn is_word_byte(b: u8) -> bool {
    BYTE_CLASS[b as usize] == WORD
}

/// The classes of bytes [`code_words`] reads: part of a word, one that may start or end a
/// string or comment (`'`, `"`, `#`, `\`, a line end), or any other.
const WORD: u8 = 1;
const SPECIAL: u8 = 2;
const BYTE_CLASS: [u8; 256] = {
    let mut classes = [0; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        classes[b] = if byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80 {
            WORD
        } else if matches!(byte, b'\'' | b'"' | b'#' | b'\\' | b'\n') {
            SPECIAL
        } else {
            0
        };
        b += 1;
    }
    classes
};

/// The words (identifiers, keywords, numbers) of Python source outside its comments. String
/// literals are kept whole: a name in one can still reach a function (`setattr(obj, "run",
/// f)`, `__all__`, an f-string's fields). A `#` inside a string starts no comment; an
/// unterminated string ends at its line's end unless it is triple-quoted.
pub(crate) fn code_words(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut i = 0;
    // The string being read: its quote and whether it is triple-quoted.
    let mut string: Option<(u8, bool)> = None;
    std::iter::from_fn(move || {
        while i < text.len() {
            let b = text[i];
            match BYTE_CLASS[b as usize] {
                WORD => {
                    let start = i;
                    i += 1;
                    while i < text.len() && BYTE_CLASS[text[i] as usize] == WORD {
                        i += 1;
                    }
                    return Some(&text[start..i]);
                }
                SPECIAL => {}
                _ => {
                    i += 1;
                    continue;
                }
            }
            match string {
                Some(_) if b == b'\\' => {
                    i += 2;
                    continue;
                }
                Some((quote, true)) if text[i..].starts_with(&[quote, quote, quote]) => {
                    string = None;
                    i += 3;
                    continue;
                }
                Some((quote, false)) if b == quote || b == b'\n' => string = None,
                None if b == b'#' => {
                    i = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |at| i + at);
                    continue;
                }
                None if b == b'"' || b == b'\'' => {
                    let triple = text[i..].starts_with(&[b, b, b]);
                    string = Some((b, triple));
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        None
    })
}

/// What the second pass does with one file: the first pass's result, whether the file is
/// worth parsing (see [`worth_parsing`]) and the mode.
struct Work {
    checked: Checked,
    worth: bool,
    mode: Mode,
}

/// Checks or fixes one file with its part of the project plan. Also returns the plan's
/// findings (located in the original text).
/// (`file` is the file's place in `texts`; `settings` gives its settings, asked for only when
/// it is processed.)
fn process_with_plan<'s>(
    candidate: &Candidate,
    texts: &Texts,
    file: FileId,
    file_plan: Option<FilePlan>,
    work: Work,
    settings: impl FnOnce() -> std::borrow::Cow<'s, Settings>,
) -> (FileReport, Vec<Diagnostic>) {
    let Work {
        checked,
        worth,
        mode,
    } = work;
    let path = &candidate.path;
    let mut report = FileReport::empty(path.clone());
    if texts.is_err(file) {
        report.error = texts.get(file).as_ref().err().cloned();
        return (report, Vec::new());
    }
    // Read for context only: the plan never edits it (see `plan`).
    if candidate.context {
        return (report, Vec::new());
    }
    let file_plan = file_plan.unwrap_or_default();
    let has_plan = !file_plan.diagnostics.is_empty() || !file_plan.edits.is_empty();
    if !candidate.explicit && !worth && !has_plan {
        return (report, Vec::new());
    }
    // Checked without findings: nothing to print, so its text is not read again.
    if let (Mode::Check, Checked::Done(Ok(diagnostics)), false) = (mode, &checked, has_plan) {
        if diagnostics.is_empty() {
            return (report, Vec::new());
        }
    }
    let settings = &*settings();
    let source = match texts.get(file) {
        Ok(source) => source,
        Err(error) => {
            // Changed since it was read: when writing, as a file that changed before its
            // fixed text was written.
            report.error = Some(match error {
                FileError::Io(message) if mode == Mode::Write && message == CHANGED_WHILE_READ => {
                    FileError::Write(CHANGED_ON_DISK.to_owned())
                }
                _ => error.clone(),
            });
            return (report, Vec::new());
        }
    };
    debug_assert_eq!(
        worth,
        worth_parsing(&source.text, mode, settings),
        "the first pass's byte test holds for the second"
    );
    let planned = match mode {
        Mode::Check | Mode::Audit => {
            if let Checked::Panicked(message) = checked {
                std::panic::resume_unwind(Box::new(message));
            }
            if let Checked::Done(outcome) = checked {
                match outcome {
                    Ok(diagnostics) => {
                        report.diagnostics = diagnostics;
                        report.text = source.text.clone();
                    }
                    Err(error) => report.error = Some(syntax_error(&source.text, error)),
                }
            } else if candidate.explicit || worth {
                process_source(&mut report, source, mode, settings);
            } else {
                report.text = source.text.clone();
            }
            if report.error.is_none() {
                report.diagnostics.extend(file_plan.diagnostics);
                report
                    .diagnostics
                    .sort_by_key(|d| (d.range.start(), d.recipe.code));
            }
            Vec::new()
        }
        Mode::Diff | Mode::Write => {
            // (Copied only when the plan edits it.)
            let converted: std::borrow::Cow<'_, str> = if file_plan.edits.is_empty() {
                std::borrow::Cow::Borrowed(&source.text)
            } else {
                std::borrow::Cow::Owned(apply(&source.text, &file_plan.edits))
            };
            // Fix without writing or locating: both are done below for the real original.
            // The first pass fixed the file already, unless the plan edits it.
            match checked {
                Checked::Fixed(outcome) if file_plan.edits.is_empty() => match outcome {
                    Ok(outcome) => fill_fixed(&mut report, &converted, outcome, Mode::Write),
                    Err(error) => report.error = Some(syntax_error(&converted, error)),
                },
                Checked::Panicked(message) if file_plan.edits.is_empty() => {
                    std::panic::resume_unwind(Box::new(message))
                }
                _ => {
                    let converted = SourceText {
                        text: converted.to_string(),
                        bom: source.bom,
                    };
                    process_source(&mut report, &converted, Mode::Write, settings)
                }
            }
            if report.text != source.text && !report.text.is_empty() {
                report.original = Some(source.text.clone());
            } else {
                report.original = None;
            }
            // A finding reported here whose fix edits only other files (a call moved to a
            // thread where async code makes it) counts as fixed here too.
            if *converted != *source.text || file_plan.edits.is_empty() {
                for (code, count) in &file_plan.applied {
                    *report.applied.entry(code).or_default() += count;
                }
            }
            if let (Some(FileError::FixRefused(reason)), true) =
                (&mut report.error, *converted != *source.text)
            {
                // The phase 1 fixes were refused; the project's edits stay (other files
                // depend on them).
                let kept = "only the edits of phase 2, which other files depend on, were applied";
                *reason = match reason.strip_suffix("the file was left unchanged") {
                    Some(head) => format!("{head}{kept}"),
                    None => format!("{reason}; {kept}"),
                };
            }
            if let Some(reason) = file_plan.refused {
                report.error.get_or_insert(FileError::FixRefused(reason));
            }
            file_plan.diagnostics
        }
    };
    finish_file(&mut report, source, mode, settings);
    (report, planned)
}

/// After fixing, the phase 2 findings that remain: the project (whose files stand as the
/// run's `layout` says) indexed again with the fixed texts.
fn refresh_project_findings(
    files: &[Candidate],
    originals: &Texts,
    reports: &mut [FileReport],
    settings: &Settings,
    (project, indexed, layout): (Project, Vec<FileId>, &Layout),
) {
    // The text of each file now: its fixed text if it changed, else the original (not copied).
    let fixed: Vec<Option<String>> = reports
        .iter()
        .enumerate()
        .map(|(file, report)| {
            (!originals.is_err(file) && report.changed() && report.error.is_none())
                .then(|| report.text.clone())
        })
        .collect();
    let text_now = |file: FileId| match &fixed[file] {
        Some(text) => Some(text.as_str()),
        None => text_of(originals.get(file)),
    };
    // Unchanged, the project is what a new one would be (an extended project resolves as one
    // built whole): only its findings are asked again.
    let project = if indexed.iter().all(|&file| fixed[file].is_none()) {
        project
    } else {
        reindexed(files, &fixed, project, &indexed, layout)
    };
    let plans = {
        let texts = |module: usize| indexed.get(module).and_then(|&f| text_now(f));
        let outside = |module: usize| files[indexed[module]].context;
        plan(&project, settings, &texts, &|_| true, &outside)
    };
    for (module, file_plan) in plans.into_iter().enumerate() {
        if file_plan.diagnostics.is_empty() {
            continue;
        }
        let file = indexed[module];
        let report = &mut reports[file];
        if report.error.is_some() && !report.changed() && report.text.is_empty() {
            continue;
        }
        if report.text.is_empty() {
            if let Some(text) = text_now(file) {
                report.text = text.to_owned();
            }
        }
        report.diagnostics.extend(file_plan.diagnostics);
        report
            .diagnostics
            .sort_by_key(|d| (d.range.start(), d.recipe.code));
    }
}

/// The project with the files that changed (`fixed`) indexed again.
fn reindexed(
    files: &[Candidate],
    fixed: &[Option<String>],
    mut project: Project,
    indexed: &[FileId],
    layout: &Layout,
) -> Project {
    // Only the files that changed are indexed again.
    let Layout { roots, places } = layout;
    let patches = std::mem::take(&mut project.patches);
    let unindexed_mentions = std::mem::take(&mut project.unindexed_mentions);
    let doctest_mentions = std::mem::take(&mut project.doctest_mentions);
    let constant_mentions = std::mem::take(&mut project.constant_mentions);
    let changed: Vec<(usize, ModuleIndex)> = indexed
        .par_iter()
        .enumerate()
        .filter_map(|(module, &file)| {
            // Changed, or it is as the index has it.
            let text = fixed[file].as_ref()?;
            let parsed = parse_module(text).ok()?;
            let index = index_module(
                &files[file].path,
                places[file].clone(),
                text,
                &parsed,
                crate::codemods::RECIPES,
                roots,
            );
            Some((module, index))
        })
        .collect();
    let mut project = project.replace(changed);
    // What the run patches, and what the files not indexed mention, still hold for the
    // findings left.
    project.patches = patches;
    project.unindexed_mentions = unindexed_mentions;
    project.doctest_mentions = doctest_mentions;
    project.constant_mentions = constant_mentions;
    project
}

#[cfg(test)]
mod tests {
    use super::code_words;

    /// [`code_words`] written byte by byte, as plainly as possible: the oracle of the fast one.
    fn plain_code_words(text: &[u8]) -> Vec<&[u8]> {
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        let (mut words, mut i, mut string) = (Vec::new(), 0, None::<(u8, bool)>);
        while i < text.len() {
            let b = text[i];
            match string {
                Some(_) if b == b'\\' => i += 1,
                Some((q, true)) if text[i..].starts_with(&[q, q, q]) => {
                    string = None;
                    i += 2;
                }
                Some((q, false)) if b == q || b == b'\n' => string = None,
                None if b == b'#' => {
                    while i + 1 < text.len() && text[i + 1] != b'\n' {
                        i += 1;
                    }
                }
                None if b == b'"' || b == b'\'' => {
                    let triple = text[i..].starts_with(&[b, b, b]);
                    string = Some((b, triple));
                    i += if triple { 2 } else { 0 };
                }
                _ if is_word(b) => {
                    let start = i;
                    while i + 1 < text.len() && is_word(text[i + 1]) {
                        i += 1;
                    }
                    words.push(&text[start..=i]);
                }
                _ => {}
            }
            i += 1;
        }
        words
    }

    #[test]
    fn the_fast_scan_finds_the_words_of_the_plain_one() {
        // Every short text over the bytes that matter, then longer pseudo-random ones.
        let alphabet: &[u8] = b"a_9 '\"#\\\n\xc3";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> = texts
                .iter()
                .filter(|t| t.len() == texts.last().unwrap().len())
                .flat_map(|t| alphabet.iter().map(move |&b| [t.as_slice(), &[b]].concat()))
                .collect();
            texts.extend(longer);
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            let text = (0..64)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            texts.push(text);
        }
        for text in &texts {
            let fast: Vec<&[u8]> = code_words(text).collect();
            assert_eq!(
                fast,
                plain_code_words(text),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    fn words(text: &str) -> Vec<&str> {
        code_words(text.as_bytes())
            .map(|w| std::str::from_utf8(w).unwrap())
            .collect()
    }

    #[test]
    fn a_lookup_by_a_computed_name_is_told_by_its_bytes() {
        use super::looks_up_by_computed_name;
        for computed in [
            "getattr(module, name)",
            "f = getattr(handlers, \"handle_\" + action)",
            "getattr(tools, f\"run_{x}\", None)",
            "getattr(load(a, b), name)",
            "getattr(x, 'a') or getattr(y, z)",
            "globals()[name]()",
            "vars(hooks).get(name)",
            "handlers.__dict__[key]",
            "for name, f in vars(tools).items():",
            "inspect.getmembers(tools, inspect.isfunction)",
        ] {
            assert!(looks_up_by_computed_name(computed), "{computed}");
        }
        for literal in [
            "getattr(module, \"load\")",
            "getattr(obj, 'name', None)",
            "getattr(f(a, b), \"x\")",
            "getattr(",
            "getattr(x)",
            "setattr(o, name, v)",
            "print(globals())",
            "vars(args)",
            "self.__dict__.update(kw)",
        ] {
            assert!(!looks_up_by_computed_name(literal), "{literal}");
        }
    }

    #[test]
    fn comments_are_left_out_and_strings_kept() {
        assert_eq!(
            words("x = run()  # type: ignore\nsetattr(o, 'fetch', f)\n"),
            ["x", "run", "setattr", "o", "fetch", "f"]
        );
    }

    #[test]
    fn a_hash_in_a_string_starts_no_comment() {
        assert_eq!(words("s = '#' + go()\n"), ["s", "go"]);
        assert_eq!(words("s = \"a#b\" # c\nd"), ["s", "a", "b", "d"]);
        assert_eq!(
            words("'''one ' # \"two\n''' + three # four\nfive"),
            ["one", "two", "three", "five"]
        );
        assert_eq!(words(r#"s = 'it\'s # x' # y"#), ["s", "it", "s", "x"]);
    }

    #[test]
    fn a_later_round_finds_what_reading_every_file_again_finds() {
        use super::{files_mentioning, SourceText};
        // Files of many words (the filters fill up) and of few.
        let texts: Vec<String> = (0..200)
            .map(|i| match i % 3 {
                0 => format!("def f{i}():\n    return g{}()\n", i * 7),
                1 => (0..i).map(|j| format!("w{j} = h{}\n", j * i)).collect(),
                _ => format!("# g{i} in a comment\nx = 'g{}'\n", i + 1),
            })
            .collect();
        let sources: Vec<Result<SourceText, _>> = texts
            .iter()
            .map(|t| SourceText::decode(t.clone().into_bytes()).map_err(|_| unreachable!()))
            .collect();
        let candidates: Vec<crate::discovery::Candidate> = (0..texts.len())
            .map(|i| crate::discovery::Candidate {
                path: format!("m{i}.py").into(),
                explicit: true,
                size: 0,
                context: false,
            })
            .collect();
        let sources = super::Texts::kept(&candidates, sources);
        let done = Default::default();
        let mut blooms: Vec<Option<super::WordBloom>> = (0..texts.len()).map(|_| None).collect();
        let rounds: [&[&str]; 4] = [
            &["g21", "g2"],
            &["h50", "f3", "nothing"],
            &["g14", "w12"],
            &["x"],
        ];
        for names in rounds {
            let mut unread: Vec<Option<super::WordBloom>> =
                (0..texts.len()).map(|_| None).collect();
            let first = files_mentioning(names, &sources, &done, &mut unread, |_, _| ());
            let later = files_mentioning(names, &sources, &done, &mut blooms, |_, _| ());
            assert_eq!(first, later, "{names:?}");
            assert!(blooms.iter().all(Option::is_some));
        }
        // (Each round found something, and the filters tell some files apart.)
        let found: Vec<usize> = rounds
            .iter()
            .map(|names| files_mentioning(names, &sources, &done, &mut blooms, |_, _| ()).len())
            .collect();
        assert!(found.iter().all(|&n| n > 0 && n < texts.len()), "{found:?}");
    }

    /// The files the project stage indexes, first pass and rounds, of a project folder's files.
    fn indexed_files(files: &[(&str, &str)]) -> Vec<String> {
        use super::{build_project, first_pass, index_wanted, project_layout, SourceText};
        use super::{Glance, Texts};
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), "").unwrap();
        let candidates: Vec<crate::discovery::Candidate> = files
            .iter()
            .map(|(path, text)| {
                let path = dir.path().join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, text).unwrap();
                crate::discovery::Candidate {
                    path,
                    explicit: true,
                    size: text.len() as u64,
                    context: false,
                }
            })
            .collect();
        let sources: Vec<Result<SourceText, _>> = files
            .iter()
            .map(|(_, t)| SourceText::decode(t.as_bytes().to_vec()).map_err(|_| unreachable!()))
            .collect();
        let layout = project_layout(&candidates);
        let wanted = index_wanted(&candidates, &sources);
        let first_round = (0..files.len())
            .filter(|&file| wanted[file])
            .map(|file| {
                let text = &sources[file].as_ref().unwrap().text;
                let roots = (&layout.roots, &layout.places[file]);
                let (index, _) = first_pass(&candidates[file].path, text, Some(roots), None);
                (file, index.flatten())
            })
            .collect();
        let glances = (0..files.len())
            .map(|file| Glance::of(&sources[file].as_ref().unwrap().text, wanted[file]))
            .collect();
        // As a run does: the rounds read again the texts they need.
        let texts = Texts::to_read_again(&candidates, &sources);
        let (_, indexed) = build_project(&candidates, &texts, &layout, first_round, glances);
        let mut names: Vec<String> = indexed.iter().map(|&f| files[f].0.to_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_rounds_look_for_no_local_function_by_its_name() {
        let jobs =
            "import time\n\ndef outer():\n    def helper():\n        time.sleep(1)\n    helper()\n";
        let files = |jobs| {
            [
                ("pkg/__init__.py", ""),
                ("pkg/jobs.py", jobs),
                (
                    "pkg/app.py",
                    "from pkg.jobs import outer\n\nasync def main():\n    outer()\n",
                ),
                // Names `helper`: another function of that name, not `pkg.jobs`'s.
                ("pkg/other.py", "def helper():\n    return 1\n\nhelper()\n"),
                ("pkg/cli.py", "from pkg.jobs import outer\n\nouter()\n"),
            ]
        };
        assert_eq!(
            indexed_files(&files(jobs)),
            ["pkg/app.py", "pkg/cli.py", "pkg/jobs.py"]
        );
        // Declared global, it is a module-level name other modules may call it by.
        let global = jobs.replace("def outer():\n", "def outer():\n    global helper\n");
        assert!(indexed_files(&files(&global)).contains(&"pkg/other.py".to_owned()));
    }

    #[test]
    fn an_unterminated_string_ends_at_its_line() {
        assert_eq!(words("s = 'open\n# c\nrun()"), ["s", "open", "run"]);
        assert_eq!(words("s = f'{a}' \\\n# c\nb"), ["s", "f", "a", "b"]);
    }
}
