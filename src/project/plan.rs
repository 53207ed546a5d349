//! From project findings to what each file gets: its findings, and the edits of the project
//! fixes to apply to it before its own fix loop.
//!
//! A project fix is all-or-nothing across files: its edits are kept only if every file they
//! touch still parses with them, otherwise the fix is dropped everywhere (and the file named).

use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::{FileId, Project, ProjectChecker, ProjectFinding};
use crate::fix::{apply_fixes, Edit, Fix};
use crate::pipeline::Settings;
use crate::recipe::Diagnostic;

/// What the project stage decided for one file.
#[derive(Debug, Default)]
pub struct FilePlan {
    /// Findings, located in the file as it was indexed.
    pub diagnostics: Vec<Diagnostic>,
    /// Edits of the accepted project fixes.
    pub edits: Vec<Edit>,
    /// Accepted fixes whose finding is in this file, by code.
    pub applied: BTreeMap<&'static str, usize>,
    /// Why the project fixes touching this file were dropped.
    pub refused: Option<String>,
}

/// Runs the enabled phase 2 recipes and splits their findings and fixes by file. `texts`
/// gives a file's indexed text (to check that the accepted edits keep it valid); a fix that
/// edits a file `outside` the run's paths (read for context) is not applied, and its finding
/// says so.
pub fn plan<'t>(
    project: &Project,
    settings: &Settings,
    texts: &dyn Fn(FileId) -> Option<&'t str>,
    writable: &dyn Fn(FileId) -> bool,
    outside: &dyn Fn(FileId) -> bool,
) -> Vec<FilePlan> {
    // The recipes query the project side by side; their findings come in recipe order.
    let findings: Vec<ProjectFinding> = settings
        .recipes
        .par_iter()
        .map(|recipe| {
            let mut checker = ProjectChecker::new(project, settings);
            recipe.check_project(&mut checker);
            checker.into_findings()
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    let mut files: Vec<FilePlan> = (0..project.modules.len())
        .map(|_| FilePlan::default())
        .collect();

    // The fixes to apply: allowed by the settings, and whose edits do not conflict.
    let mut accepted: Vec<bool> = findings
        .iter()
        .map(|f| {
            f.fix
                .as_ref()
                .is_some_and(|fix| settings.allows(fix.applicability))
        })
        .collect();
    // A fix that edits a file outside the run's paths: the first such file, for its note.
    let reaches_outside: Vec<Option<FileId>> = findings
        .iter()
        .map(|f| {
            let fix = f.fix.as_ref()?;
            fix.edits
                .iter()
                .map(|(file, _)| *file)
                .find(|&file| outside(file))
        })
        .collect();
    for (accepted, outside) in accepted.iter_mut().zip(&reaches_outside) {
        *accepted = *accepted && outside.is_none();
    }
    loop {
        let edits = collect_edits(&findings, &accepted, project.modules.len());
        let Err((file, reason)) = validate(&edits, texts, writable) else {
            for (file, edits) in edits.into_iter().enumerate() {
                files[file].edits = edits;
            }
            break;
        };
        files[file].refused = Some(reason);
        for (i, finding) in findings.iter().enumerate() {
            let touches = finding
                .fix
                .as_ref()
                .is_some_and(|fix| fix.edits.iter().any(|(f, _)| *f == file));
            if touches {
                accepted[i] = false;
            }
        }
    }

    // (The map holds each shared edit list, so that no address is reused while it is a key.)
    let mut local_fixes: std::collections::HashMap<SharedKey, (SharedEdits, Fix)> =
        std::collections::HashMap::new();
    for ((finding, accepted), outside) in findings.into_iter().zip(accepted).zip(reaches_outside) {
        let ProjectFinding {
            recipe,
            file,
            range,
            message,
            mut note,
            mut fix,
            origin,
        } = finding;
        if let Some(other) = outside {
            fix = None;
            let why = format!(
                "its fix also edits {}, which this run reads for context but does not change: run awaitify on the whole project to apply it",
                project.modules[other].path.display()
            );
            note = Some(match note {
                Some(note) => format!("{note}; {why}"),
                None => why,
            });
        }
        if accepted {
            *files[file].applied.entry(recipe.code).or_default() += 1;
        }
        let fix = fix.map(|fix| {
            // The findings of one conversion share its fix: built once per file.
            let key = (Arc::as_ptr(&fix.edits), file);
            if let Some((_, local)) = local_fixes.get(&key) {
                return Fix::clone(local);
            }
            let local: Vec<Edit> = fix
                .edits
                .iter()
                .filter(|(f, _)| *f == file)
                .map(|(_, e)| e.clone())
                .collect();
            let mut other_files: Vec<std::path::PathBuf> = fix
                .edits
                .iter()
                .filter(|(f, _)| *f != file)
                .map(|(f, _)| project.modules[*f].path.clone())
                .collect();
            other_files.sort();
            other_files.dedup();
            let mut local = Fix::new(local, fix.applicability);
            local.other_files = other_files;
            local_fixes.insert(key, (Arc::clone(&fix.edits), local.clone()));
            local
        });
        files[file].diagnostics.push(Diagnostic {
            recipe,
            range,
            message,
            fix,
            note,
            origin,
        });
    }
    for file in &mut files {
        file.diagnostics
            .sort_by_key(|d| (d.range.start(), d.recipe.code));
    }
    files
}

/// A project fix's edits, shared by the findings of one conversion.
type SharedEdits = Arc<Vec<(FileId, Edit)>>;
/// A shared edit list (by address) and the file whose part of it is wanted.
type SharedKey = (*const Vec<(FileId, Edit)>, FileId);

/// The accepted fixes' edits, per file, each distinct edit once; a fix with an edit that
/// conflicts with an earlier fix's is left out whole.
fn collect_edits(findings: &[ProjectFinding], accepted: &[bool], files: usize) -> Vec<Vec<Edit>> {
    let mut per_file: Vec<Vec<Edit>> = vec![Vec::new(); files];
    let mut seen: HashSet<(FileId, Edit)> = HashSet::new();
    let mut seen_fixes: HashSet<*const Vec<(FileId, Edit)>> = HashSet::new();
    for (finding, _) in findings.iter().zip(accepted).filter(|(_, a)| **a) {
        let Some(fix) = &finding.fix else { continue };
        if !seen_fixes.insert(Arc::as_ptr(&fix.edits)) {
            continue;
        }
        let new: Vec<&(FileId, Edit)> = fix
            .edits
            .iter()
            .filter(|edit| !seen.contains(*edit))
            .collect();
        let conflicts = new.iter().any(|(file, edit)| {
            per_file[*file]
                .iter()
                .any(|existing| existing.conflicts_with(edit))
        });
        if conflicts {
            continue;
        }
        for (file, edit) in new {
            seen.insert((*file, edit.clone()));
            per_file[*file].push(edit.clone());
        }
    }
    per_file
}

/// `Err((file, reason))` for the first file the edits make invalid.
fn validate<'t>(
    edits: &[Vec<Edit>],
    texts: &dyn Fn(FileId) -> Option<&'t str>,
    writable: &dyn Fn(FileId) -> bool,
) -> Result<(), (FileId, String)> {
    for (file, edits) in edits.iter().enumerate() {
        if edits.is_empty() {
            continue;
        }
        if !writable(file) {
            return Err((
                file,
                "the file is read-only: the project fixes that edit it were applied nowhere"
                    .to_owned(),
            ));
        }
        let Some(text) = texts(file) else {
            return Err((file, "the file could not be read again".to_owned()));
        };
        let fix = Fix::safe(edits.clone());
        let outcome = apply_fixes(text, &[&fix]);
        let parsed = match crate::parse::parse_module(&outcome.text) {
            Ok(parsed) => parsed,
            Err(error) => {
                return Err((
                    file,
                    format!(
                        "the project fixes produced invalid syntax here ({}); they were applied nowhere",
                        error.message
                    ),
                ))
            }
        };
        if let Some(error) =
            crate::parse::added_semantic_errors(text, &parsed, &outcome.text).first()
        {
            return Err((
                file,
                format!(
                    "the project fixes produced code CPython rejects here ({error}); they were applied nowhere"
                ),
            ));
        }
    }
    Ok(())
}

/// Applies a file's project edits to its text.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    if edits.is_empty() {
        return text.to_owned();
    }
    let fix = Fix::safe(edits.to_vec());
    apply_fixes(text, &[&fix]).text
}
