//! Running the pipeline over the files of a run, in parallel: each project folder apart,
//! through the project stage when a phase 2 recipe is enabled, each file through
//! [`crate::file`] otherwise.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rayon::prelude::*;

use crate::discovery::Candidate;
use crate::facts::{read_scanned, FactIndex, Scan};
use crate::pipeline::Settings;
use crate::source::SourceText;

use crate::file::{panic_message, process_file, FileError, FileReport, Mode};

/// A project of at least this many files is large: its index takes tens of MiB per thousand
/// files of async code.
const LARGE_FILES: usize = 1000;

/// Processes every file in parallel; the reports come back in the order of `files`. The files
/// of each project (see [`crate::project::layout::by_project`]) are processed apart, as if
/// each project were given alone.
pub fn run_files(files: &[Candidate], mode: Mode, settings: &Settings) -> Vec<FileReport> {
    let groups = crate::project::layout::by_project(files.iter().map(|c| c.path.as_path()));
    if groups.len() < 2 {
        return run_project_files(files, mode, settings);
    }
    // A large project holds its index in memory while it is processed: large ones go one
    // after another (each on every core), beside the small ones, which go in parallel.
    let (large, small) = by_size(groups);
    let run_group = |group: Vec<usize>| -> (Vec<usize>, Vec<FileReport>) {
        let part: Vec<Candidate> = group.iter().map(|&i| files[i].clone()).collect();
        let reports = run_project_files(&part, mode, settings);
        (group, reports)
    };
    let (mut done, small_done): (Vec<_>, Vec<_>) = rayon::join(
        || large.into_iter().map(run_group).collect(),
        || largest_first(small, files).map(run_group).collect(),
    );
    done.extend(small_done);
    let mut reports: Vec<Option<FileReport>> = (0..files.len()).map(|_| None).collect();
    for (group, part) in done {
        for (i, report) in group.into_iter().zip(part) {
            reports[i] = Some(report);
        }
    }
    reports
        .into_iter()
        .map(|report| report.expect("every file has its report"))
        .collect()
}

/// The groups, in parallel, each started as soon as a thread is free, the largest (in bytes)
/// first: a large group started last would keep one core busy after the others are done.
fn largest_first(
    groups: Vec<Vec<usize>>,
    files: &[Candidate],
) -> impl ParallelIterator<Item = Vec<usize>> + '_ {
    let mut sized: Vec<(u64, Vec<usize>)> = groups
        .into_iter()
        .map(|group| (group.iter().map(|&i| files[i].size).sum(), group))
        .collect();
    sized.sort_by_key(|(bytes, _)| std::cmp::Reverse(*bytes));
    // Taken in this order as threads become free (a parallel iterator over the vector would
    // split it into halves, each worked through front to back).
    sized.into_iter().map(|(_, group)| group).par_bridge()
}

/// The groups of a run: the large ones and the others.
fn by_size(groups: Vec<Vec<usize>>) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    groups
        .into_iter()
        .partition(|group| group.len() >= LARGE_FILES)
}

/// Processes the files of one project in parallel; the reports come back in the order of
/// `files`. With a phase 2 recipe enabled, the project stage runs between reading and fixing.
fn run_project_files(files: &[Candidate], mode: Mode, settings: &Settings) -> Vec<FileReport> {
    if settings.recipes.iter().any(|r| r.meta().phase == 2) {
        return crate::project::run::run_project(files, mode, settings);
    }
    let process =
        |candidate: &Candidate, source: Result<SourceText, FileError>, facts: &FactIndex| {
            let Candidate { path, explicit, .. } = candidate;
            // Read for the run's facts only (an error is the caller's to show).
            if candidate.context {
                let mut report = FileReport::empty(path.clone());
                report.error = source.err();
                return report;
            }
            let text = source.as_ref().ok().map(|s| s.text.as_str());
            let settings = facts.apply(settings.for_path(path), path, || text);
            let result = catch_unwind(AssertUnwindSafe(|| {
                process_file(path, source, *explicit, mode, &settings)
            }));
            result.unwrap_or_else(|payload| {
                let mut report = FileReport::empty(path.clone());
                report.error = Some(FileError::Panic(panic_message(&payload)));
                report
            })
        };
    // Files are read and processed one by one, except those whose fixes depend on the other
    // modules of the run (see [`crate::facts`]): they wait until every file was read.
    let none = FactIndex::default();
    type Deferred = (Result<SourceText, FileError>, Option<Scan>);
    let first: Vec<Result<FileReport, Deferred>> = files
        .par_iter()
        .map(|candidate| {
            let (source, scan) = read_scanned(&candidate.path, &settings.recipes);
            if scan.as_ref().is_some_and(Scan::depends_on_the_run) {
                Err((source, scan))
            } else {
                Ok(process(candidate, source, &none))
            }
        })
        .collect();
    let mut reports: Vec<Option<FileReport>> = Vec::with_capacity(files.len());
    let mut deferred: Vec<(usize, Deferred)> = Vec::new();
    for (i, outcome) in first.into_iter().enumerate() {
        match outcome {
            Ok(report) => reports.push(Some(report)),
            Err(source) => {
                reports.push(None);
                deferred.push((i, source));
            }
        }
    }
    let facts = FactIndex::gather(
        &settings.recipes,
        deferred.iter().map(|(i, (source, scan))| {
            let text = source.as_ref().ok().map(|s| s.text.as_str());
            (files[*i].path.as_path(), text.zip(scan.as_ref()))
        }),
        false,
    );
    let late: Vec<(usize, FileReport)> = deferred
        .into_par_iter()
        .map(|(i, (source, _))| (i, process(&files[i], source, &facts)))
        .collect();
    for (i, report) in late {
        reports[i] = Some(report);
    }
    reports
        .into_iter()
        .map(|report| report.expect("every file has its report"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{by_size, largest_first};
    use crate::discovery::Candidate;
    use rayon::prelude::*;

    #[test]
    fn every_group_is_run_once() {
        let files: Vec<Candidate> = [5, 0, 7, 7, 1]
            .into_iter()
            .enumerate()
            .map(|(i, size)| Candidate {
                path: format!("f{i}.py").into(),
                explicit: false,
                size,
                context: false,
            })
            .collect();
        let groups = vec![vec![0, 1], vec![2], vec![3, 4], vec![]];
        let mut run: Vec<Vec<usize>> = largest_first(groups.clone(), &files).collect();
        run.sort();
        let mut expected = groups;
        expected.sort();
        assert_eq!(run, expected);
    }

    fn sizes(groups: &[Vec<usize>]) -> Vec<usize> {
        groups.iter().map(Vec::len).collect()
    }

    #[test]
    fn large_projects_are_told_from_small_ones() {
        let groups = |sizes: &[usize]| -> Vec<Vec<usize>> {
            sizes.iter().map(|&n| (0..n).collect()).collect()
        };
        let (large, small) = by_size(groups(&[5000, 40, 4000, 1000, 999]));
        assert_eq!(
            (sizes(&large), sizes(&small)),
            (vec![5000, 4000, 1000], vec![40, 999])
        );
        let (large, small) = by_size(groups(&[900, 600, 30]));
        assert_eq!((sizes(&large), sizes(&small)), (vec![], vec![900, 600, 30]));
    }
}
