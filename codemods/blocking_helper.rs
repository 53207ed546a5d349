//! Sync helpers that block the event loop because async code calls them, across modules.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

use crate::fix::{merge_edits, Applicability, Edit};
use crate::project::index::{Caller, Use};
use crate::project::{CallId, FileId, FnId, Project, ProjectChecker, ProjectFinding, ProjectFix};
use crate::recipe::{FixAvailability, Recipe, RecipeMeta};
use crate::semantic::Execution;

crate::declare_recipe! {
/// ## What it does
/// Finds blocking calls the phase 1 recipes migrate (`time.sleep`, `sqlite3`, `subprocess`,
/// `os.system`) that sit in a *sync* function which async code calls, directly or through
/// other sync functions, in any module of the project. The finding is at the blocking call
/// and shows the path: `handle → Store.load → _fetch_rows → sqlite3.connect`.
///
/// The fix makes every function on such paths `async def` and awaits it at every call site,
/// in every module, in one consistent edit set; the phase 1 recipes then migrate the
/// blocking calls themselves (they now sit in async code) in the following passes.
///
/// ## Why is this bad?
/// A blocking call blocks the event loop just as much from a helper as from the handler
/// itself, and linters that look at one function (or one file) cannot see it. Half the
/// blocking sites of a typical service sit in such helpers.
///
/// ## Example
/// ```python
/// # db.py
/// import time
///
/// def fetch_with_retry(query):
///     time.sleep(0.1)
///     return run(query)
///
/// # app.py
/// from db import fetch_with_retry
///
/// async def handle(request):
///     return fetch_with_retry(request.query)
/// ```
///
/// ## Use instead
/// ```python
/// # db.py
/// import asyncio
///
/// async def fetch_with_retry(query):
///     await asyncio.sleep(0.1)
///     return run(query)
///
/// # app.py
/// from db import fetch_with_retry
///
/// async def handle(request):
///     return await fetch_with_retry(request.query)
/// ```
///
/// ## Fix safety
/// A function is converted only when *every* call of it is known and can await it: each
/// call resolves to it (module functions, imports, `self.m()`, `super().m()`,
/// `ClassName.m`, `self.attr.m()` with `self.attr = ClassName(...)`), and sits in async
/// code or in a function converted in the same run. Otherwise the finding says why not,
/// and nothing changes anywhere. The boundaries, reported instead of converted:
/// - a caller at module level, in a class body, in a lambda or a generator expression, or
///   in a sync function that is not converted (a test, a CLI entry point, a thread target);
/// - the function used as a value: a callback, `Thread(target=f)`, `to_thread(f)`,
///   `run_in_executor(None, f)`, `map(f, ...)` (code run in threads stays sync: it does not
///   block the loop);
/// - a call the index cannot resolve that uses the same name (`obj.load()` with an unknown
///   `obj` may call `Store.load`), or a name mentioned in a file that does not parse;
/// - dunder methods (`__init__`, `__enter__`, `__iter__`, ...), decorated functions other
///   than `@staticmethod`/`@classmethod` (`@property`, `@lru_cache`, `@contextmanager`,
///   route registrations), generators (they would become async generators);
/// - methods that override or are overridden (the call may dispatch to either), and methods
///   of classes deriving from a class outside the project (its code may call them);
/// - a caller or the function in a file where AW201 is disabled, skipped, or silenced on
///   that line;
/// - blocking work that the phase 1 recipes could not migrate in async code either: sqlite3
///   calls on a connection that `__init__` creates (`self.conn = sqlite3.connect(...)`), which
///   stays sync (converting would change the API and leave the call blocking).
///
/// The fix is safe within an application. Converting a function that is part of a
/// library's public API (listed in `__all__`, or re-exported by a package `__init__`)
/// changes that API for its users outside the project: that fix is unsafe. What no static
/// analysis sees stays the user's to check: calls made by name at run time
/// (`getattr(obj, "load")()`), and callers outside the paths given to awaitify.
pub struct BlockingHelper;
}

pub static META: RecipeMeta = RecipeMeta {
    code: "AW201",
    id: "blocking-sync-helper",
    phase: 2,
    summary: "a sync function that async code calls blocks the event loop; make it `async def` and await it",
    ruff_equivalent: None,
    fix: FixAvailability::Sometimes,
    needles: &[],
    doc: BlockingHelper::DOC,
};

impl Recipe for BlockingHelper {
    fn meta(&self) -> &'static RecipeMeta {
        &META
    }

    fn check_project(&self, checker: &mut ProjectChecker<'_>) {
        let project = checker.project;
        let reached = project.reached_from_async();
        if reached.is_empty() {
            return;
        }
        let blocking = blocking_functions(checker, &reached);
        if blocking.is_empty() {
            return;
        }
        // Sync functions on the loop that reach a blocking call.
        let relevant: HashSet<FnId> = reaching(project, &reached, &blocking);
        let mut aliases: HashMap<FnId, Vec<&str>> = HashMap::default();
        for (function, name) in project.aliases_of(&relevant) {
            aliases.entry(function).or_default().push(name);
        }
        let mut reasons: HashMap<FnId, String> = HashMap::default();
        for &function in &relevant {
            let names = aliases.get(&function).map_or(&[][..], Vec::as_slice);
            if let Some(reason) = static_boundary(checker, function, names) {
                reasons.insert(function, reason);
            }
        }
        let all = convertible(checker, &relevant, &blocking, &mut reasons, false);
        let mut public_reasons = reasons.clone();
        unsafe_migrations(checker, &all, &blocking, &mut public_reasons);
        let safe = convertible(checker, &all, &blocking, &mut public_reasons, true);
        let fixes = [(&safe, Applicability::Safe), (&all, Applicability::Unsafe)].map(
            |(set, applicability)| ProjectFix {
                applicability,
                edits: Arc::new(conversion_edits(project, set)),
            },
        );

        for (&function, sites) in &blocking {
            if !reached.contains_key(&function) {
                continue;
            }
            let path = project.path_to(&reached, function);
            for site in sites {
                let module = &project.modules[function.file];
                let site = &module.blocking[*site];
                let mut names: Vec<String> = path
                    .iter()
                    .map(|f| format!("`{}`", project.describe(*f, function.file)))
                    .collect();
                names.push(format!("`{}`", site.label));
                let message = format!(
                    "`{}` blocks the event loop: async code reaches it through {}",
                    site.label,
                    names.join(" → ")
                );
                let (fix, note) = if safe.contains(&function) {
                    (Some(fixes[0].clone()), None)
                } else if all.contains(&function) {
                    let reason = path
                        .iter()
                        .find_map(|f| public_reasons.get(f))
                        .cloned()
                        .unwrap_or_else(|| "it changes a public API".to_owned());
                    (Some(fixes[1].clone()), Some(reason))
                } else {
                    let reason = path
                        .iter()
                        .rev()
                        .find_map(|f| reasons.get(f).map(|r| (f, r)))
                        .map(|(f, r)| {
                            format!("`{}` stays sync: {r}", project.describe(*f, function.file))
                        })
                        .unwrap_or_else(|| "it cannot be converted".to_owned());
                    (None, Some(reason))
                };
                checker.report(ProjectFinding {
                    recipe: &META,
                    file: function.file,
                    range: site.range,
                    message,
                    note,
                    fix,
                    origin: Some(site.code),
                });
            }
        }
    }
}

/// Sync functions on the loop with blocking calls of their own (not silenced): the indices
/// of those calls in their module's [`crate::project::index::ModuleIndex::blocking`].
fn blocking_functions(
    checker: &ProjectChecker<'_>,
    reached: &HashMap<FnId, CallId>,
) -> HashMap<FnId, Vec<usize>> {
    let mut blocking: HashMap<FnId, Vec<usize>> = HashMap::default();
    for (file, module) in checker.project.modules.iter().enumerate() {
        for (i, site) in module.blocking.iter().enumerate() {
            let Caller::Function(index) = site.caller else {
                continue;
            };
            let function = FnId { file, index };
            if site.execution == Execution::Sync
                && reached.contains_key(&function)
                && checker.enabled_at(&META, file, site.range.start())
            {
                blocking.entry(function).or_default().push(i);
            }
        }
    }
    blocking
}

/// The functions of `reached` from which a blocking function is reachable by sync calls.
fn reaching(
    project: &Project,
    reached: &HashMap<FnId, CallId>,
    blocking: &HashMap<FnId, Vec<usize>>,
) -> HashSet<FnId> {
    let mut relevant: HashSet<FnId> = blocking.keys().copied().collect();
    let mut queue: Vec<FnId> = relevant.iter().copied().collect();
    while let Some(function) = queue.pop() {
        for &call in project.callers(function) {
            let Some(caller) = project.caller_of(call) else {
                continue;
            };
            if project.call(call).execution == Execution::Sync
                && reached.contains_key(&caller)
                && relevant.insert(caller)
            {
                queue.push(caller);
            }
        }
    }
    relevant
}

/// Why `function` can never be converted, whatever its callers.
/// `aliases`: the other names modules import it by.
fn static_boundary(
    checker: &ProjectChecker<'_>,
    function: FnId,
    aliases: &[&str],
) -> Option<String> {
    let project = checker.project;
    let f = project.function(function);
    if f.is_dunder() {
        return Some(format!(
            "`{}` is a protocol method, which Python calls synchronously",
            f.name
        ));
    }
    if let Some(decorator) = f.wrapping_decorator() {
        return Some(format!("it is decorated with `@{decorator}`"));
    }
    if f.is_generator {
        return Some("it is a generator (it would become an async generator)".to_owned());
    }
    if let Some(&(file, range)) = project.value_uses(function).first() {
        return Some(format!(
            "it is used as a value (a callback or thread target) at {}",
            project.location(file, range.start())
        ));
    }
    for name in std::iter::once(f.name.as_str()).chain(aliases.iter().copied()) {
        if let Some(&(file, range)) = project.unknown_uses(name).first() {
            return Some(format!(
                "`{name}` at {} may call it (its target cannot be resolved)",
                project.location(file, range.start())
            ));
        }
    }
    for name in std::iter::once(f.name.as_str()).chain(aliases.iter().copied()) {
        if let Some(path) = project.unindexed_mentions.get(name) {
            return Some(format!(
                "`{name}` is mentioned in {}, which could not be analysed",
                path.display()
            ));
        }
    }
    if let Some(reason) = project.override_reason(function) {
        return Some(reason);
    }
    if !checker.enabled_at(&META, function.file, f.def_offset) {
        return Some("AW201 is disabled for its definition".to_owned());
    }
    None
}

/// Functions whose own blocking calls the phase 1 recipes migrate only by an unsafe fix: as a
/// safe fix, converting them would leave an `async def` that still blocks. They (and what
/// needs them) are converted by the unsafe fix only, with that reason.
fn unsafe_migrations(
    checker: &ProjectChecker<'_>,
    candidates: &HashSet<FnId>,
    blocking: &HashMap<FnId, Vec<usize>>,
    reasons: &mut HashMap<FnId, String>,
) {
    for &function in candidates {
        let module = &checker.project.modules[function.file];
        let sites = blocking.get(&function).map_or(&[][..], Vec::as_slice);
        // Sites with an obstacle are not migrated at all (the conversion rests on the others).
        if let Some(why) = sites
            .iter()
            .map(|&i| &module.blocking[i])
            .filter(|site| site.obstacle.is_none())
            .find_map(|site| site.unsafe_migration.as_ref())
        {
            reasons.entry(function).or_insert_with(|| {
                format!("its blocking calls are migrated only by an unsafe fix: {why}")
            });
        }
    }
}

/// The greatest subset of `candidates` that can be converted together: every caller of a
/// member awaits it (async code, or another member), every member still reaches a blocking
/// call within the set, and is reached from async code through it. With `no_public_api`, a
/// library's public functions stay out.
fn convertible(
    checker: &ProjectChecker<'_>,
    candidates: &HashSet<FnId>,
    blocking: &HashMap<FnId, Vec<usize>>,
    reasons: &mut HashMap<FnId, String>,
    no_public_api: bool,
) -> HashSet<FnId> {
    let project = checker.project;
    let mut set: HashSet<FnId> = candidates
        .iter()
        .copied()
        .filter(|f| !reasons.contains_key(f))
        .collect();
    if no_public_api {
        for &f in candidates {
            if project.is_public_api(f) {
                set.remove(&f);
                reasons.insert(
                    f,
                    "it is part of the public API (`__all__` or a package re-export); converting it changes the API".to_owned(),
                );
            }
        }
    }
    loop {
        let mut removed: Vec<(FnId, String)> = Vec::new();
        for &function in &set {
            // Blocking work of its own that the phase 1 recipes can migrate once it is async.
            let sites = blocking.get(&function).map_or(&[][..], Vec::as_slice);
            let module = &project.modules[function.file];
            let own = sites.iter().any(|&i| module.blocking[i].obstacle.is_none());
            if let Some(reason) = caller_obstacle(checker, function, &set) {
                removed.push((function, reason));
            } else if !own
                && !project
                    .callees(function)
                    .iter()
                    .any(|&call| project.callee(call).is_some_and(|g| set.contains(&g)))
            {
                let reason = match sites
                    .iter()
                    .find_map(|&i| module.blocking[i].obstacle.as_ref())
                {
                    Some(obstacle) => format!(
                        "its blocking calls could not be migrated in async code either: {obstacle}"
                    ),
                    None => "the functions it calls that block stay sync".to_owned(),
                };
                removed.push((function, reason));
            }
        }
        // Members reached from async code through the set.
        let mut useful: HashSet<FnId> = HashSet::default();
        let mut queue: Vec<FnId> = set
            .iter()
            .copied()
            .filter(|&f| {
                project.callers(f).iter().any(|&call| {
                    project
                        .caller_of(call)
                        .is_some_and(|g| project.function(g).is_async)
                })
            })
            .collect();
        while let Some(function) = queue.pop() {
            if !useful.insert(function) {
                continue;
            }
            for &call in project.callees(function) {
                if let Some(g) = project.callee(call) {
                    if set.contains(&g) && !useful.contains(&g) {
                        queue.push(g);
                    }
                }
            }
        }
        for &function in &set {
            if !useful.contains(&function) && !removed.iter().any(|(f, _)| *f == function) {
                removed.push((
                    function,
                    "no async code calls it through functions that can be converted".to_owned(),
                ));
            }
        }
        if removed.is_empty() {
            return set;
        }
        for (function, reason) in removed {
            set.remove(&function);
            reasons.entry(function).or_insert(reason);
        }
    }
}

/// Why one of `function`'s calls could not await it, with `set` converted.
fn caller_obstacle(
    checker: &ProjectChecker<'_>,
    function: FnId,
    set: &HashSet<FnId>,
) -> Option<String> {
    let project = checker.project;
    for &id in project.callers(function) {
        let call = project.call(id);
        let at = || project.location(id.file, call.range.start());
        let Some(caller) = project.caller_of(id) else {
            let place = match call.caller {
                Caller::Lambda => "in a lambda",
                _ => "at module level or in a class body",
            };
            return Some(format!("it is called {place} at {}", at()));
        };
        let caller_function = project.function(caller);
        if !caller_function.is_async && !set.contains(&caller) {
            return Some(format!(
                "it is called from sync `{}` at {}",
                project.describe(caller, function.file),
                at()
            ));
        }
        match call.usage {
            // Already awaited: nothing to add there.
            Use::Awaited => continue,
            Use::Scheduled => {
                return Some(format!(
                    "its result is passed to a scheduler at {} (it returns an awaitable already?)",
                    at()
                ))
            }
            _ => {}
        }
        if call.await_text.is_none() {
            return Some(format!(
                "`await` cannot be added to its call at {} (a generator expression, a lambda or an f-string `=` field)",
                at()
            ));
        }
        if !checker.enabled_at(&META, id.file, call.range.start()) {
            return Some(format!("AW201 is disabled or silenced at {}", at()));
        }
    }
    None
}

/// `async ` before each `def` of `set`, and `await` at each of their calls.
fn conversion_edits(project: &Project, set: &HashSet<FnId>) -> Vec<(FileId, Edit)> {
    let mut per_file: HashMap<FileId, Vec<(u32, u32, usize, Edit)>> = HashMap::default();
    let mut functions: Vec<FnId> = set.iter().copied().collect();
    functions.sort();
    for function in functions {
        let f = project.function(function);
        per_file.entry(function.file).or_default().push((
            f.def_offset.into(),
            0,
            0,
            Edit::insertion("async ", f.def_offset),
        ));
        for &id in project.callers(function) {
            let call = project.call(id);
            if call.usage == Use::Awaited {
                continue;
            }
            let Some((prefix, suffix)) = call.await_text else {
                continue;
            };
            let (start, end) = (call.range.start(), call.range.end());
            let length = u32::from(call.range.len());
            let edits = per_file.entry(id.file).or_default();
            // At one offset: outer prefixes first, inner suffixes first.
            edits.push((
                start.into(),
                u32::MAX - length,
                0,
                Edit::insertion(prefix, start),
            ));
            if !suffix.is_empty() {
                edits.push((end.into(), length, 1, Edit::insertion(suffix, end)));
            }
        }
    }
    let mut out = Vec::new();
    let mut files: Vec<FileId> = per_file.keys().copied().collect();
    files.sort_unstable();
    for file in files {
        let mut edits = per_file.remove(&file).unwrap_or_default();
        edits.sort_by_key(|a| (a.0, a.2, a.1));
        edits.dedup_by(|a, b| a.3 == b.3);
        let edits: Vec<Edit> = edits.into_iter().map(|(_, _, _, e)| e).collect();
        match merge_edits(edits) {
            Some(merged) => out.extend(merged.into_iter().map(|e| (file, e))),
            None => return Vec::new(),
        }
    }
    out
}
