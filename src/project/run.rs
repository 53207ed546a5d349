//! A run with the project stage: read every file, index the ones that matter, plan the
//! project fixes, then check or fix each file with its share of the plan.

use rustc_hash::FxHashSet as HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rayon::prelude::*;

use super::index::{index_module, ModuleIndex};
use super::plan::{apply, plan, FilePlan};
use super::{FileId, Project};
use crate::discovery::Candidate;
use crate::parse::parse_module;
use crate::pipeline::{check_source, Settings};
use crate::recipe::{Diagnostic, Recipe};
use crate::run::{
    finish_file, locate_in_original, process_source, read_source, run_patches, with_patches,
    with_sigchld_elsewhere, with_sqlite_elsewhere, worth_parsing, FileError, FileReport, Mode,
};
use crate::source::SourceText;

/// How many rounds of "index what the indexed files lead to" are made.
const MAX_ROUNDS: usize = 6;

/// Runs `mode` over `files` with the project stage.
pub fn run_project(files: &[Candidate], mode: Mode, settings: &Settings) -> Vec<FileReport> {
    let sources: Vec<Result<SourceText, FileError>> =
        files.par_iter().map(|c| read_source(&c.path)).collect();
    let text = |file: FileId| sources[file].as_ref().ok().map(|s| s.text.as_str());

    let (mut project, indexed) = build_project(files, &sources);
    let patches = run_patches(files.iter().map(|c| c.path.as_path()).zip(&sources));
    project.patches = std::sync::Arc::clone(&patches);
    let plans = {
        let texts = |module: usize| indexed.get(module).and_then(|&f| text(f));
        let writable =
            |module: usize| mode != Mode::Write || is_writable(&project.modules[module].path);
        plan(&project, settings, &texts, &writable)
    };
    // Per file of the run: its plan, if it was indexed.
    let mut by_file: Vec<Option<FilePlan>> = (0..files.len()).map(|_| None).collect();
    for (module, file_plan) in plans.into_iter().enumerate() {
        by_file[indexed[module]] = Some(file_plan);
    }
    let sqlite = sqlite_on_loop(files, &sources, &project, &indexed, &by_file, settings);
    // Fixing needs the index again afterwards; otherwise freeing it takes a while: in the
    // background, while the files are processed.
    let kept = if matches!(mode, Mode::Diff | Mode::Write) {
        Some((project, indexed))
    } else {
        std::thread::spawn(move || drop(project));
        None
    };

    let sigchld = crate::run::sigchld_modules(files.iter().map(|c| c.path.as_path()).zip(&sources));
    let outcomes: Vec<(FileReport, Vec<Diagnostic>)> = files
        .par_iter()
        .zip(&sources)
        .zip(by_file.into_par_iter())
        .map(|((candidate, source), file_plan)| {
            let settings = settings.for_path(&candidate.path);
            let settings = with_sqlite_elsewhere(settings, &candidate.path, source, &sqlite);
            let settings = with_sigchld_elsewhere(settings, &candidate.path, &sigchld);
            let settings = with_patches(settings, &candidate.path, source, &patches);
            let result = catch_unwind(AssertUnwindSafe(|| {
                process_with_plan(candidate, source, file_plan, mode, &settings)
            }));
            result.unwrap_or_else(|payload| {
                let mut report = FileReport::empty(candidate.path.clone());
                report.error = Some(FileError::Panic(crate::run::panic_message(&payload)));
                (report, Vec::new())
            })
        })
        .collect();
    let (mut reports, planned): (Vec<FileReport>, Vec<Vec<Diagnostic>>) =
        outcomes.into_iter().unzip();

    if matches!(mode, Mode::Diff | Mode::Write) {
        if let Some((project, indexed)) = kept {
            refresh_project_findings(files, &sources, &mut reports, settings, project, indexed);
        }
        if mode == Mode::Diff {
            for (report, planned) in reports.iter_mut().zip(planned) {
                locate_dry_run(report, planned, settings);
            }
        }
    }
    reports
}

/// The modules of the run whose sqlite3 work stays on the event loop's thread after this
/// run's fixes, with what stays there (see [`crate::codemods::sqlite3::stays_on_loop`]): a
/// module's sqlite3 fixes are safe alone only when no other module's do.
fn sqlite_on_loop<'f>(
    files: &'f [Candidate],
    sources: &[Result<SourceText, FileError>],
    project: &Project,
    indexed: &[FileId],
    by_file: &[Option<FilePlan>],
    settings: &Settings,
) -> Vec<(&'f Path, Option<String>)> {
    let module_of: rustc_hash::FxHashMap<FileId, usize> =
        indexed.iter().enumerate().map(|(m, &f)| (f, m)).collect();
    let reached = project.reached_from_async();
    let importing: HashSet<&Path> =
        crate::run::sqlite_modules(files.iter().map(|c| c.path.as_path()).zip(sources))
            .into_iter()
            .map(|(path, _)| path)
            .collect();
    let mut staying: Vec<(FileId, &'f Path, Option<String>)> = files
        .par_iter()
        .enumerate()
        .filter(|(_, candidate)| importing.contains(candidate.path.as_path()))
        .filter_map(|(file, candidate)| {
            let path = candidate.path.as_path();
            // Not indexed: nothing is known of it.
            let (Some(&module), Some(file_plan), Ok(source)) =
                (module_of.get(&file), &by_file[file], &sources[file])
            else {
                return Some((file, path, None));
            };
            let settings = settings.for_path(path);
            let after = catch_unwind(AssertUnwindSafe(|| {
                check_source(&apply(&source.text, &file_plan.edits), &settings).ok()
            }))
            .ok()
            .flatten();
            crate::codemods::sqlite3::stays_on_loop(
                project,
                module,
                &file_plan.diagnostics,
                after.as_deref(),
                &settings,
                &reached,
            )
            .map(|why| (file, path, Some(why)))
        })
        .collect();
    staying.sort_by_key(|(file, ..)| *file);
    staying
        .into_iter()
        .map(|(_, path, why)| (path, why))
        .collect()
}

/// Standard input: a project of one module (its calls to other modules stay unresolved).
pub fn process_stdin(
    report: &mut FileReport,
    source: &SourceText,
    mode: Mode,
    settings: &Settings,
) {
    let phase2 = settings.recipes.iter().any(|r| r.meta().phase == 2);
    let module = phase2
        .then(|| parse_module(&source.text).ok())
        .flatten()
        .map(|parsed| {
            index_module(
                &report.path,
                &source.text,
                &parsed,
                crate::codemods::RECIPES,
                &Default::default(),
            )
        });
    let Some(module) = module else {
        process_source(report, source, mode, settings);
        return;
    };
    let project = Project::new(vec![module]);
    let file_plan = plan(&project, settings, &|_| Some(source.text.as_str()), &|_| {
        true
    })
    .pop()
    .unwrap_or_default();
    if mode == Mode::Check || file_plan.edits.is_empty() {
        process_source(report, source, mode, settings);
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

/// Indexes the files that can matter to the phase 2 recipes: those with async code or a
/// blocking call, then (in rounds) the project modules they import and the files that
/// mention a function they could convert (a caller that would otherwise go unseen).
/// Returns the project and, per module, its file.
fn build_project(
    files: &[Candidate],
    sources: &[Result<SourceText, FileError>],
) -> (Project, Vec<FileId>) {
    let phase1: Vec<&'static dyn Recipe> = crate::codemods::RECIPES
        .iter()
        .copied()
        .filter(|r| r.meta().phase == 1)
        .collect();
    // (And every `conftest.py`: its fixtures tell what the tests' parameters hold.)
    let wanted: Vec<FileId> = sources
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            s.as_ref().is_ok_and(|s| {
                s.text.contains("async") || phase1.iter().any(|r| r.mentions(&s.text))
            }) || files[*i]
                .path
                .file_name()
                .is_some_and(|n| n == "conftest.py")
        })
        .map(|(i, _)| i)
        .collect();
    let roots = project_roots(files);
    let mut indexing = Indexing {
        files,
        sources,
        recipes: crate::codemods::RECIPES,
        roots,
        done: HashSet::default(),
        module_files: Vec::new(),
        unparsed: Vec::new(),
    };
    let mut modules: Vec<ModuleIndex> = Vec::new();
    // The import closure of the files with async code or blocking calls.
    indexing.index_more(wanted, &mut modules);
    let mut project = Project::new(modules);
    // Then, in rounds, the files that mention a function a phase 2 fix may change the calls
    // of: they may call it (as a caller to await, or on a path from async code to it), or
    // override or replace it.
    for _ in 0..MAX_ROUNDS {
        let names: Vec<&str> = {
            let reaching = project.judged_functions();
            // Python calls dunder methods itself; `__init__` runs where its class is called.
            let mut names: Vec<&str> = reaching
                .iter()
                .filter_map(|&f| {
                    let function = project.function(f);
                    let name = match (function.is_dunder(), function.name.as_str(), function.class)
                    {
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
            names.sort_unstable();
            names.dedup();
            names
        };
        if names.is_empty() {
            break;
        }
        let wanted = files_mentioning(&names, sources, &indexing.done);
        if wanted.is_empty() {
            break;
        }
        let mut modules = project.modules;
        indexing.index_more(wanted, &mut modules);
        project = Project::new(modules);
    }
    let Indexing {
        module_files,
        unparsed,
        ..
    } = indexing;
    // Names in files that do not parse may be calls of anything.
    let names: HashSet<String> = if unparsed.is_empty() {
        HashSet::default()
    } else {
        let sync: rustc_hash::FxHashSet<_> = project
            .functions()
            .filter(|(_, f)| !f.is_async)
            .map(|(id, _)| id)
            .collect();
        sync.iter()
            .map(|&f| project.function(f).name.clone())
            .chain(
                project
                    .aliases_of(&sync)
                    .into_iter()
                    .map(|(_, name)| name.to_owned()),
            )
            .collect()
    };
    for file in unparsed {
        let Ok(source) = &sources[file] else { continue };
        for word in source
            .text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| names.contains(*w))
        {
            project
                .unindexed_mentions
                .entry(word.to_owned())
                .or_insert_with(|| files[file].path.clone());
        }
    }
    (project, module_files)
}

/// The files indexed so far, and how to index more.
struct Indexing<'r> {
    files: &'r [Candidate],
    sources: &'r [Result<SourceText, FileError>],
    recipes: &'r [&'static dyn Recipe],
    /// First segments of the module names.
    roots: super::Roots,
    done: HashSet<FileId>,
    /// Per module (in `modules` order): its file.
    module_files: Vec<FileId>,
    unparsed: Vec<FileId>,
}

impl Indexing<'_> {
    /// Indexes the files of `wanted` not indexed yet into `modules`.
    fn index_more(&mut self, mut wanted: Vec<FileId>, modules: &mut Vec<ModuleIndex>) {
        wanted.retain(|f| self.done.insert(*f));
        let (files, sources, recipes) = (self.files, self.sources, self.recipes);
        let roots = &self.roots;
        let new: Vec<(FileId, Option<ModuleIndex>)> = wanted
            .par_iter()
            .map(|&file| {
                let Ok(source) = &sources[file] else {
                    return (file, None);
                };
                let index = catch_unwind(AssertUnwindSafe(|| {
                    parse_module(&source.text).ok().map(|parsed| {
                        index_module(&files[file].path, &source.text, &parsed, recipes, roots)
                    })
                }))
                .ok()
                .flatten();
                (file, index)
            })
            .collect();
        for (file, index) in new {
            match index {
                Some(index) => {
                    modules.push(index);
                    self.module_files.push(file);
                }
                None => self.unparsed.push(file),
            }
        }
    }
}

/// The first segments of the module names of `files` (`opsd` of `opsd.db`): imports from
/// anything else are not the project's.
fn project_roots(files: &[Candidate]) -> super::Roots {
    let places: Vec<super::layout::ModulePlace> = files
        .par_iter()
        .map(|c| super::layout::place(&c.path))
        .collect();
    let mut roots: super::Roots = Default::default();
    for place in places {
        let firsts = roots.entry(place.namespace).or_default();
        for name in &place.names {
            if let Some(first) = name.split('.').next().filter(|f| !f.is_empty()) {
                firsts.insert(first.to_owned());
            }
        }
    }
    roots
}

/// The files not indexed yet that mention one of `names` as a word.
fn files_mentioning(
    names: &[&str],
    sources: &[Result<SourceText, FileError>],
    done: &HashSet<FileId>,
) -> Vec<FileId> {
    let names: rustc_hash::FxHashSet<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
    let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80;
    (0..sources.len())
        .into_par_iter()
        .filter(|f| !done.contains(f))
        .filter(|&f| {
            let Ok(source) = &sources[f] else {
                return false;
            };
            source
                .text
                .as_bytes()
                .split(|b| !is_word(b))
                .any(|word| !word.is_empty() && names.contains(word))
        })
        .collect()
}

/// Checks or fixes one file with its part of the project plan. Also returns the plan's
/// findings (located in the original text).
fn process_with_plan(
    candidate: &Candidate,
    source: &Result<SourceText, FileError>,
    file_plan: Option<FilePlan>,
    mode: Mode,
    settings: &Settings,
) -> (FileReport, Vec<Diagnostic>) {
    let path = &candidate.path;
    let mut report = FileReport::empty(path.clone());
    let source = match source {
        Ok(source) => source,
        Err(error) => {
            report.error = Some(error.clone());
            return (report, Vec::new());
        }
    };
    let file_plan = file_plan.unwrap_or_default();
    let worth = worth_parsing(&source.text, mode, settings);
    let has_plan = !file_plan.diagnostics.is_empty() || !file_plan.edits.is_empty();
    if !candidate.explicit && !worth && !has_plan {
        return (report, Vec::new());
    }
    let planned = match mode {
        Mode::Check | Mode::Audit => {
            if candidate.explicit || worth {
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
            let converted = SourceText {
                text: apply(&source.text, &file_plan.edits),
                bom: source.bom,
            };
            // Fix without writing or locating: both are done below for the real original.
            process_source(&mut report, &converted, Mode::Write, settings);
            if report.text != source.text && !report.text.is_empty() {
                report.original = Some(source.text.clone());
            } else {
                report.original = None;
            }
            // A finding reported here whose fix edits only other files (a call moved to a
            // thread where async code makes it) counts as fixed here too.
            if converted.text != source.text || file_plan.edits.is_empty() {
                for (code, count) in &file_plan.applied {
                    *report.applied.entry(code).or_default() += count;
                }
            }
            if let (Some(FileError::FixRefused(reason)), true) =
                (&mut report.error, converted.text != source.text)
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

/// After fixing, the phase 2 findings that remain: the project indexed again with the fixed
/// texts.
fn refresh_project_findings(
    files: &[Candidate],
    originals: &[Result<SourceText, FileError>],
    reports: &mut [FileReport],
    settings: &Settings,
    project: Project,
    indexed: Vec<FileId>,
) {
    let sources: Vec<Result<SourceText, FileError>> = reports
        .iter()
        .zip(originals)
        .map(|(report, original)| match original {
            Ok(original) if report.changed() && report.error.is_none() => Ok(SourceText {
                text: report.text.clone(),
                bom: original.bom,
            }),
            other => other.clone(),
        })
        .collect();
    // Only the files that changed are indexed again.
    let roots = project_roots(files);
    let patches = project.patches;
    let mut modules = project.modules;
    modules
        .par_iter_mut()
        .zip(&indexed)
        .for_each(|(module, &file)| {
            let changed = reports[file].changed() && reports[file].error.is_none();
            let Ok(source) = &sources[file] else { return };
            if !changed {
                return;
            }
            if let Ok(parsed) = parse_module(&source.text) {
                *module = index_module(
                    &files[file].path,
                    &source.text,
                    &parsed,
                    crate::codemods::RECIPES,
                    &roots,
                );
            }
        });
    let mut project = Project::new(modules);
    // What the run patches still holds for the findings left.
    project.patches = patches;
    let plans = {
        let texts = |module: usize| {
            indexed
                .get(module)
                .and_then(|&f| sources[f].as_ref().ok().map(|s| s.text.as_str()))
        };
        plan(&project, settings, &texts, &|_| true)
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
            if let Ok(source) = &sources[file] {
                report.text = source.text.clone();
            }
        }
        report.diagnostics.extend(file_plan.diagnostics);
        report
            .diagnostics
            .sort_by_key(|d| (d.range.start(), d.recipe.code));
    }
}
