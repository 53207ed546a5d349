//! Sync helpers that block the event loop because async code calls them, across modules.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

use crate::fix::{merge_edits, Applicability, Edit};
use crate::project::index::{Caller, Use};
use crate::project::{
    on_loop, CallId, FileId, FnId, Project, ProjectChecker, ProjectFinding, ProjectFix,
};
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
/// `ClassName.m`, `self.attr.m()` with `self.attr = ClassName(...)`; through annotations,
/// `db.m()` with `db: Store`, `self.db.m()` with `self.db = db` so typed, `get_db().m()`
/// with `def get_db() -> Store`, when no project class outside `Store`'s hierarchy defines
/// `m` and none of it is a `Protocol`: Python does not check annotations, and a stand-in that
/// merely quacks like `Store` would then be awaited; likewise a test's parameter that a
/// pytest fixture of its module fills, or else one of the nearest `conftest.py` above it
/// that defines that name, when the fixture returns or yields `Store(...)` and no
/// `parametrize` names it), and sits in async code or in a function converted in the same
/// run. Otherwise the finding says why not,
/// and nothing changes anywhere. The boundaries, reported instead of converted:
/// - a caller at module level, in a class body, in a lambda or a generator expression, or
///   in a sync function that is not converted (a CLI entry point, a thread target, a test
///   that cannot become async: see below);
/// - the function used as a value: a callback, `Thread(target=f)`, `to_thread(f)`,
///   `run_in_executor(None, f)`, `map(f, ...)` (code run in threads stays sync: it does not
///   block the loop);
/// - a call the index cannot resolve that uses the same name (`obj.load()` with an unknown
///   `obj` may call `Store.load`; a method of a name bound only to literals, displays,
///   comprehensions or results of builtin and standard library constructors, such as
///   `parts = list(...)` or `pattern = re.compile(...)`, never does, nor `None`'s: `lock =
///   None` then `lock = Store()` makes `lock.load()` a call of `Store.load`), or a name
///   mentioned in a file that does not parse;
/// - an entry point the project declares (`[project.scripts]`, `console_scripts`, plugin
///   entry points): its launcher calls it synchronously;
/// - dunder methods (`__init__`, `__enter__`, `__iter__`, ...), decorated functions other
///   than `@staticmethod`/`@classmethod` (`@property`, `@lru_cache`, `@contextmanager`,
///   route registrations), generators (they would become async generators);
/// - a function whose result is awaited somewhere (it returns an awaitable already: a
///   Future, a Task, a coroutine; `await` on the converted function would return that),
///   unless every `return` of it gives a plain value (a literal, a display such as `{...}`,
///   `None`): that `await` raises `TypeError` today, and the unsafe fix converts the
///   function, so the `await` works;
/// - anything a call may reach instead at run time: a base's or a subclass's `def` of the
///   name, a class attribute of that name (`fetch = _constant`), a class that comes before it
///   in a subclass's bases (a mixin), a base outside the project (its code may call it; `object`,
///   `abc.ABC`, `typing.Protocol` and `Generic` define nothing and do not count), and an
///   attribute store of the name anywhere in the project (`self.fetch = other`,
///   `db.fetch = other`, `setattr(obj, "fetch", ...)`);
/// - a call made while a thread lock is held (`with self._lock:`, `lock.acquire()`): the
///   `await` would suspend the task with the lock taken, and the next task to reach the lock
///   would block the event loop's thread;
/// - a call in code that checks at run time whether it has a coroutine
///   (`inspect.iscoroutinefunction`);
/// - a caller or the function in a file where AW201 is disabled, skipped, or silenced on
///   that line;
/// - blocking work that the phase 1 recipes could not migrate in async code either: sqlite3
///   calls on a connection that `__init__` creates (`self.conn = sqlite3.connect(...)`), which
///   stays sync, or on a connection sync code that stays sync uses too (phase 1 migrates a
///   connection everywhere or nowhere). A function converts only when *all* its blocking
///   work is migrated in the same run: converting it would change the API and leave an
///   `async def` that still blocks. Its other blocking calls (a `time.sleep` next to the
///   sqlite3 call) are then reported with it, with the same reason. The same holds for the
///   sync functions it calls that block and stay sync: the safe fix does not convert it
///   then; the unsafe fix converts it and moves those calls to a thread in the same run.
///
/// A sync pytest test that calls a converted function becomes `async def` with it, and
/// awaits it, where the project's pytest runs async tests: pytest-asyncio is declared
/// (`pyproject.toml`, `setup.cfg`, `setup.py`, `tox.ini`, `requirements*.txt`), and its
/// configuration (`pytest.ini`, `[tool.pytest.ini_options]`, `tox.ini`, `setup.cfg`) sets
/// `asyncio_mode = "auto"`, or else the test gets `@pytest.mark.asyncio` (strict mode). A
/// test is a `test*` function of a `test_*.py`/`*_test.py` module, or a method of a `Test*`
/// class without bases (not a `unittest.TestCase`), decorated by pytest marks only, that no
/// code calls. It stays sync when it (or what it calls) runs an event loop (`asyncio.run`
/// cannot start inside pytest-asyncio's loop), when it also calls another sync function that
/// blocks (that would block the test's loop), or when its own blocking calls cannot be
/// migrated. The test's conversion is safe once a test of the project already runs async the
/// same way (the plugin is evidently installed where the tests run), unsafe otherwise.
///
/// A script's entry point converts likewise when every call of it sits in the body of
/// `if __name__ == "__main__":`; those calls become `asyncio.run(main())`. That is unsafe:
/// Ctrl-C then cancels the task, so code inside it sees `CancelledError` where it caught
/// `KeyboardInterrupt`.
///
/// Where the functions cannot be converted, the fix (unsafe) leaves them as they are and moves
/// every call async code makes into them, on the way to the blocking work, to a worker
/// thread: `store.add(item)` becomes `await asyncio.to_thread(store.add, item)`, `Store(path)`
/// becomes `await asyncio.to_thread(Store, path)`. Their sync callers are untouched. The
/// helper then runs concurrently with the event loop, so state it shares with async code is
/// no longer protected by running on the loop's thread: another task can see it half-changed,
/// or change it under the helper, between any two of its operations (not only at an `await`).
/// The fix is therefore safe only when every function that runs in the thread (the functions
/// whose calls move, and every project function they call, transitively) is provably
/// *self-contained*, and unsafe otherwise, with the first function and statement that shares
/// state (or cannot be proven not to) in its note. Self-contained means:
/// - no `global`/`nonlocal`, no nested `def`/`class`, no decorator other than
///   `@staticmethod`/`@classmethod`, no generator, no recursion, not a constructor (`__new__`
///   and the metaclass are not followed), and a call that reaches only it (no override, no
///   `x.name = ...` replacement anywhere in the project);
/// - it stores, augments (`+=`) or deletes attributes and items only of objects it made
///   itself: a local every binding of which is a literal, a comprehension, a builtin
///   constructor (`list()`, `dict()`, `sorted()`), or what a known standard call returns
///   (`open()`, `sqlite3.connect()` and its cursors, `subprocess.run()`, `Popen()`,
///   `json.loads()`, `shlex.split()`, a `str` method's result, the lines of a string); never a
///   parameter (`cmd += args` on a parameter changes the caller's list), `self`, a global or a
///   name of an enclosing function;
/// - it calls methods only of such objects and of strings and numbers (whose methods change
///   nothing), and reads attributes only of them and of modules (`subprocess.PIPE`): reading
///   `self.x` or `request.cmd` is not self-contained (async code may change it meanwhile);
/// - it reads parameters (items and iteration included), its locals, and classes it catches
///   (not a class as a value: what it is handed to may call its methods); no
///   module-level or imported value (a dictionary, a logger, a lock), except a module-level
///   constant (a name bound only to immutable literals, never declared `global`) that no
///   code of the run rebinds: no attribute store of its name (`settings.TIMEOUT = 5`,
///   `setattr(settings, "TIMEOUT", 5)`), no patch of it, and no mention of it in a file of
///   the run that does not parse;
/// - it calls only project functions that are self-contained in turn and standard functions
///   independent of the calling thread: `subprocess.run`/`check_output`/`check_call`/`call`/
///   `Popen` (not with `preexec_fn`, which is not thread-safe), `time.sleep`, `os.system`,
///   `os.path.*`, file system functions of `os` and `shutil`, `shlex`, `json`, `re`,
///   `pathlib.Path`, `sqlite3.connect`, and builtins other than `print` (its output would
///   interleave with the loop's, even within a line), `input`, reflection (`getattr`,
///   `setattr`, `globals`, `vars`), `super`, `map`/`filter`/`iter`, and `key=` other than a
///   lambda. Not asyncio (bound to the loop), logging (records name the thread, and handlers
///   may not be thread-safe), `threading`, `signal`, `os.chdir`/`os.environ`/`os.umask`
///   (process-wide state), nor anything unresolved;
/// - the project's code does not patch it or its blocking calls (`mock.patch(...)`).
///
/// What stays different with a safe offload is what any `await` in a safe fix brings: other
/// tasks run while the helper runs (its arguments are evaluated on the loop as before, its
/// result and exceptions come back unchanged, context variables are copied); and a task
/// cancelled while it awaits the thread stops waiting, while the helper runs to completion
/// in the thread (as the process `asyncio.create_subprocess_exec` starts outlives a cancelled
/// `communicate()`, in the subprocess recipe's safe fix); what it does outside the program
/// (files it writes, processes it runs, a database it changes in its own connection) happens
/// while the loop runs, as with the process that fix starts. Implicit special methods of the
/// arguments (`__iter__`, `__str__`, arithmetic) are taken to read them, not to change shared
/// state. The offload is not offered for a generator (its body runs as it is iterated), for
/// a helper that uses a sqlite3 object it did not create (sqlite3 refuses other threads), nor
/// where a call cannot be awaited (see above), nor for a call whose result is awaited already,
/// unless the helper returns only plain values: `await helper(x)` raises `TypeError` today,
/// and `await asyncio.to_thread(helper, x)` gets the value. A connection the helper gets from a function
/// of its module that opens a new one on every call (`with db_conn() as conn:`, `conn =
/// self._connect()`, a `@contextmanager` one; no cache decorator, nothing else bound to it) is
/// made in the worker thread too, and may cross into the functions the helper calls; one
/// returned to async code may not (it would reach the loop's thread). So is a connection kept
/// in thread-local storage (`_local.conn`, `self._local.conn` of a `threading.local()`) that
/// is only ever stored there by the function that opens it: each thread reads its own. A
/// connection a helper caches anywhere else (a dictionary, a global, an attribute) may have
/// been made on another thread: no fix, unless every `sqlite3.connect` of the module that
/// opens it passes `check_same_thread=False` (`self.conn = sqlite3.connect(path,
/// check_same_thread=False)` in `__init__`): sqlite3 then lets any thread use it, and the
/// note says that calls moved to threads can now run on it at the same time, their
/// statements and transactions interleaving. When the module opens it with one
/// `sqlite3.connect(...)` that says nothing of threads (no `check_same_thread`, no
/// `**kwargs`), the fix adds `check_same_thread=False` to that call, with the same note; an
/// explicit `check_same_thread=True` is left alone, and then there is no fix.
///
/// The conversion is safe within an application. Converting a function that is part of a
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
    requires: None,
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
        let blocking = blocking_functions(checker, reached);
        if blocking.is_empty() {
            return;
        }
        // Sync functions on the loop that reach a blocking call.
        let relevant: HashSet<FnId> = reaching(project, reached, &blocking);
        let mut aliases: HashMap<FnId, Vec<&str>> = HashMap::default();
        for (function, name) in project.aliases_of(&relevant) {
            aliases.entry(function).or_default().push(name);
        }
        let mut reasons: HashMap<FnId, Reason> = HashMap::default();
        for &function in &relevant {
            let names = aliases.get(&function).map_or(&[][..], Vec::as_slice);
            if let Some(reason) = static_boundary(checker, function, names) {
                reasons.insert(function, Reason::cause(reason));
            }
        }
        let tests = Tests::new(project);
        let mut all = convertible(
            checker,
            &tests,
            &relevant,
            &relevant,
            &blocking,
            &mut reasons,
            false,
        );
        // The unsafe fix converts a function that calls a sync function staying sync and
        // blocking only if that call moves to a thread in the same run; otherwise the new
        // `async def` would still block.
        loop {
            let conversion = conversion_edits(project, &all);
            let mut stuck: Vec<(FnId, Reason)> = Vec::new();
            for &function in &all {
                for (call, g) in blocking_callees(project, &blocking, &relevant, &all, function) {
                    if offload_fix(checker, reached, &relevant, &all, &conversion, g).is_err() {
                        stuck.push((function, callee_reason(project, function, call, g)));
                        break;
                    }
                }
            }
            if stuck.is_empty() {
                break;
            }
            reasons.extend(stuck);
            all = convertible(
                checker,
                &tests,
                &relevant,
                &relevant,
                &blocking,
                &mut reasons,
                false,
            );
        }
        let mut public_reasons = reasons.clone();
        unsafe_migrations(checker, &all, &blocking, &mut public_reasons);
        let safe = convertible(
            checker,
            &tests,
            &all,
            &relevant,
            &blocking,
            &mut public_reasons,
            true,
        );
        let fixes = [(&safe, Applicability::Safe), (&all, Applicability::Unsafe)].map(
            |(set, applicability)| ProjectFix {
                applicability,
                edits: Arc::new(conversion_edits(project, set)),
            },
        );

        let mut offloads: HashMap<FnId, Result<Offload, String>> = HashMap::default();
        for (&function, sites) in &blocking {
            if !reached.contains_key(&function) {
                continue;
            }
            let path = project.path_to(reached, function);
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
                        .map(|r| r.text.clone())
                        .unwrap_or_else(|| "it changes a public API".to_owned());
                    (Some(fixes[1].clone()), Some(reason))
                } else {
                    let reason = reason_on_path(project, &path, &reasons, function.file);
                    let offload = offloads.entry(function).or_insert_with(|| {
                        offload_fix(checker, reached, &relevant, &all, &fixes[1].edits, function)
                    });
                    match offload {
                        Ok(offload) => (
                            Some(offload.fix.clone()),
                            Some(match &offload.hazard {
                                None => format!("{reason}; the fix moves the calls from async code to a thread instead, which keeps behaviour: what runs there shares no state with async code"),
                                Some(why) => format!(
                                    "{reason}; the fix moves the calls from async code to a thread instead: {OFFLOAD_NOTE}: {why}{}",
                                    offload.shared.as_deref().filter(|s| *s != why).map(|s| format!("; {s}")).unwrap_or_default()
                                ),
                            }),
                        ),
                        Err(why) => (
                            None,
                            Some(format!("{reason}; nor can its calls move to a thread: {why}")),
                        ),
                    }
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

/// Why an offloaded call may behave differently (followed by what shares state).
const OFFLOAD_NOTE: &str = "`asyncio.to_thread` runs it concurrently with the event loop, so state it shares with async code is no longer protected by running on the loop's thread";

/// The reason a function on `path` stays sync: the cause (the outermost function that
/// cannot be converted for a reason of its own), else the innermost consequence.
fn reason_on_path(
    project: &Project,
    path: &[FnId],
    reasons: &HashMap<FnId, Reason>,
    from: FileId,
) -> String {
    let on_path = || path.iter().filter_map(|f| reasons.get(f).map(|r| (f, r)));
    on_path()
        .find(|(_, r)| !r.derived)
        .or_else(|| on_path().next_back())
        .map(|(f, r)| format!("`{}` stays sync: {}", project.describe(*f, from), r.text))
        .unwrap_or_else(|| "it cannot be converted".to_owned())
}

/// A fix moving calls to a thread, and the sqlite3 connection (opened with
/// `check_same_thread=False`) the worker threads then share, if any.
struct Offload {
    fix: ProjectFix,
    shared: Option<String>,
    /// Why the fix is unsafe (`None`: it is safe, every function that runs in the thread is
    /// self-contained).
    hazard: Option<String>,
}

/// The fix that leaves the sync functions as they are and moves every call async code makes
/// into them, on the way to `function`'s blocking work, to a worker thread:
/// `helper(a, b)` becomes `await asyncio.to_thread(helper, a, b)` (a constructor likewise).
/// All of those calls or none; the reason when one cannot move.
fn offload_fix(
    checker: &ProjectChecker<'_>,
    reached: &HashMap<FnId, CallId>,
    relevant: &HashSet<FnId>,
    converted: &HashSet<FnId>,
    conversion: &[(FileId, Edit)],
    function: FnId,
) -> Result<Offload, String> {
    let project = checker.project;
    // The sync functions from which async code reaches `function` by sync calls.
    let mut chain: HashSet<FnId> = HashSet::default();
    // Some of those calls are in functions the conversion makes async: the fix includes it.
    let mut through_conversion = false;
    let mut queue = vec![function];
    while let Some(f) = queue.pop() {
        if !chain.insert(f) {
            continue;
        }
        for &call in project.callers(f) {
            if let Some(caller) = project.caller_of(call) {
                if converted.contains(&caller) {
                    // The conversion makes this call async code: it moves to a thread there.
                    if conversion.is_empty() {
                        return Err(format!(
                            "`{}` calls it and becomes `async def`",
                            project.describe(caller, function.file)
                        ));
                    }
                    through_conversion = true;
                    continue;
                }
                if project.call(call).execution == Execution::Sync
                    && reached.contains_key(&caller)
                    && relevant.contains(&caller)
                    && !project.function(caller).is_async
                {
                    queue.push(caller);
                }
            }
        }
    }
    // A sqlite3 object made elsewhere (perhaps on the loop's thread) refuses other threads.
    // The members async code calls: what they return reaches the loop's thread (the others
    // return to a caller in the same worker thread).
    let entered = |f: FnId| {
        project.callers(f).iter().any(|&id| {
            on_loop(project.call(id).execution)
                || project
                    .caller_of(id)
                    .is_some_and(|g| converted.contains(&g))
        })
    };
    // What the worker threads share (a sqlite3 connection), and an `await` that now works.
    let mut shared: Option<String> = None;
    let mut awaited: Option<String> = None;
    let mut sharing: Vec<(FileId, Edit)> = Vec::new();
    // In order, so that the reason named is the same whatever order the functions were found.
    let mut sorted: Vec<FnId> = chain.into_iter().collect();
    sorted.sort();
    for &f in &sorted {
        let module = &project.modules[f.file];
        for site in &module.blocking {
            if site.caller == Caller::Function(f.index) && site.object_leaves && entered(f) {
                return Err(format!(
                    "`{}` returns the sqlite3 object it makes (`{}`); made in a worker thread, its caller could not use it",
                    project.describe(f, function.file),
                    site.label
                ));
            }
            if site.caller == Caller::Function(f.index)
                && site.code == "AW102"
                && site.foreign_object
                && site.thread_shareable
            {
                // sqlite3 lets any thread use it; the calls of several threads may now
                // run on it at once.
                shared.get_or_insert_with(|| format!(
                    "`{}` uses a sqlite3 connection it did not create (`{}`), opened with `check_same_thread=False`: calls moved to threads can now run on it at the same time, and their statements and transactions interleave",
                    project.describe(f, function.file),
                    site.label
                ));
            } else if let (Some(at), true) = (
                site.shareable_at,
                site.caller == Caller::Function(f.index)
                    && site.code == "AW102"
                    && site.foreign_object,
            ) {
                // `sqlite3.connect(path)` → `sqlite3.connect(path, check_same_thread=False)`.
                sharing.push((f.file, Edit::insertion(", check_same_thread=False", at)));
                shared.get_or_insert_with(|| format!(
                    "`{}` uses a sqlite3 connection it did not create (`{}`): the fix also passes `check_same_thread=False` to the `sqlite3.connect` at {} so that worker threads may use it; calls moved to threads can now run on it at the same time as each other and as the code left on the loop, and their statements and transactions interleave",
                    project.describe(f, function.file),
                    site.label,
                    project.location(f.file, at)
                ));
            } else if site.caller == Caller::Function(f.index)
                && site.code == "AW102"
                && site.foreign_object
            {
                return Err(format!(
                    "`{}` uses a sqlite3 object it did not create (`{}`), which another thread cannot use",
                    project.describe(f, function.file),
                    site.label
                ));
            }
        }
    }
    let mut per_file: HashMap<FileId, Vec<Edit>> = HashMap::default();
    let mut entries = 0;
    // The functions whose calls move: they run in the thread.
    let mut moved: Vec<FnId> = Vec::new();
    for f in sorted {
        for &id in project.callers(f) {
            let call = project.call(id);
            let caller = project.caller_of(id);
            let from_async = caller.is_some_and(|g| project.function(g).is_async);
            // In a function the conversion makes async (the caller's own call path is on the
            // loop, or the conversion would not include it).
            let from_converted = caller.is_some_and(|g| converted.contains(&g));
            if !on_loop(call.execution) && !from_converted {
                continue;
            }
            let from_async = from_async || from_converted;
            let at = || project.location(id.file, call.range.start());
            if project.function(f).is_generator {
                return Err(format!(
                    "`{}` is a generator, whose body runs as it is iterated, not in the thread (called at {})",
                    project.describe(f, function.file),
                    at()
                ));
            }
            if !from_async {
                return Err(format!(
                    "a call at {} is not directly in an `async def`",
                    at()
                ));
            }
            // `await f(x)` of a function returning plain values raises `TypeError` today;
            // `await asyncio.to_thread(f, x)` gets the value (unsafe like every offload).
            let awaited_plain = call.usage == Use::Awaited && returns_plain(project.function(f));
            if matches!(call.usage, Use::Awaited | Use::Scheduled) && !awaited_plain {
                return Err(format!("its result is awaited or scheduled at {}", at()));
            }
            let (prefix, suffix) = if awaited_plain {
                awaited.get_or_insert_with(|| {
                    format!(
                        "its result is awaited at {}, which raises `TypeError` today (it returns a plain value); in a thread, the `await` gets that value",
                        at()
                    )
                });
                ("", "")
            } else {
                call.await_text()
                    .map_err(|reason| format!("`await` cannot be added at {}: {reason}", at()))?
            };
            let (asyncio, import) = match &project.modules[id.file].asyncio_at(call) {
                Some(Ok(found)) => found.clone(),
                Some(Err(reason)) => return Err(format!("at {}: {reason}", at())),
                None => {
                    return Err(format!(
                        "a call at {} is not directly in an `async def`",
                        at()
                    ))
                }
            };
            if !checker.enabled_at(&META, id.file, call.range.start()) {
                return Err(format!("AW201 is disabled or silenced at {}", at()));
            }
            let edits = per_file.entry(id.file).or_default();
            edits.push(Edit::insertion(
                format!("{prefix}{asyncio}.to_thread("),
                call.range.start(),
            ));
            let arguments = call.arguments;
            if arguments.len() <= 2.into() {
                // `f()`: only the closing parenthesis stays.
                edits.push(Edit::replacement(format!("){suffix}"), arguments));
            } else {
                let open = crate::parse::TextRange::at(arguments.start(), 1.into());
                let separator = if call.arguments_break { "," } else { ", " };
                edits.push(Edit::replacement(separator, open));
                if !suffix.is_empty() {
                    edits.push(Edit::insertion(suffix, call.range.end()));
                }
            }
            edits.extend(import);
            entries += 1;
            if !moved.contains(&f) {
                moved.push(f);
            }
        }
    }
    if entries == 0 {
        return Err("async code reaches it only through calls that cannot move".to_owned());
    }
    if through_conversion {
        for (file, edit) in conversion {
            per_file.entry(*file).or_default().push(edit.clone());
        }
    }
    for (file, edit) in sharing {
        per_file.entry(file).or_default().push(edit);
    }
    let mut out = Vec::new();
    let mut files: Vec<FileId> = per_file.keys().copied().collect();
    files.sort_unstable();
    for file in files {
        let mut edits = per_file.remove(&file).unwrap_or_default();
        edits.sort();
        edits.dedup();
        let merged = merge_edits(edits).ok_or("the calls to move overlap")?;
        out.extend(merged.into_iter().map(|e| (file, e)));
    }
    let shared = match (shared, awaited) {
        (Some(shared), Some(awaited)) => Some(format!("{shared}; {awaited}")),
        (shared, awaited) => shared.or(awaited),
    };
    let hazard = if through_conversion {
        Some("some of those calls are in functions the unsafe fix converts".to_owned())
    } else if let Some(why) = offload_hazard(checker, &moved, function.file) {
        Some(why)
    } else {
        shared.clone()
    };
    let applicability = match hazard {
        Some(_) => Applicability::Unsafe,
        None => Applicability::Safe,
    };
    Ok(Offload {
        fix: ProjectFix {
            applicability,
            edits: Arc::new(out),
        },
        shared,
        hazard,
    })
}

/// Why moving the calls of `moved` to a worker thread may change behaviour: a function that
/// would run there shares state with other code, or cannot be proven not to (see
/// [`Project::thread_obstacle`]), or the project's code patches it or its blocking calls.
fn offload_hazard(checker: &ProjectChecker<'_>, moved: &[FnId], from: FileId) -> Option<String> {
    let project = checker.project;
    for &f in moved {
        let running = match project.thread_obstacle(f) {
            Ok(running) => running,
            Err(why) => return Some(why),
        };
        for g in running {
            let module = &project.modules[g.file];
            let label = &project.function(g).label;
            let last = label.rsplit('.').next().unwrap_or(label);
            if let Some(patch) = project.patches.find(&[last], |patch| {
                module
                    .names
                    .iter()
                    .any(|name| patch.target == format!("{name}.{label}"))
            }) {
                return Some(format!(
                    "`{}` is patched at {} (`{}`)",
                    project.describe(g, from),
                    patch.location(),
                    patch.target
                ));
            }
            for site in &module.blocking {
                if site.caller != Caller::Function(g.index) {
                    continue;
                }
                let api: Vec<&str> = site.label.split('.').collect();
                if let Some(patch) = project.patches.affecting(&module.names, &api, &site.label) {
                    return Some(format!(
                        "`{}` at {} is patched at {} (`{}`)",
                        site.label,
                        project.location(g.file, site.range.start()),
                        patch.location(),
                        patch.target
                    ));
                }
            }
        }
    }
    None
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
    if let Some(reference) = project.entry_point(function) {
        return Some(format!(
            "it is an entry point the project declares (`{reference}`): its launcher calls it synchronously"
        ));
    }
    if f.is_generator {
        return Some("it is a generator (it would become an async generator)".to_owned());
    }
    if let Some(&crate::project::ValueUse { file, range, .. }) =
        project.value_uses(function).first()
    {
        return Some(format!(
            "it is used as a value (a callback or thread target) at {}",
            project.location(file, range.start())
        ));
    }
    if let Some((file, range)) = project.dynamic_lookup(function) {
        let from = if f.class.is_some() {
            "an object"
        } else {
            "its module"
        };
        return Some(format!(
            "a lookup by a name computed at run time at {} may take it from {from}",
            project.location(file, range.start())
        ));
    }
    let names: Vec<&str> = std::iter::once(&*f.name)
        .chain(aliases.iter().copied())
        .collect();
    if let Some(patch) = project.replacing_patch(function, &names) {
        let on_an_object = format!("{}.", crate::patches::ON_AN_OBJECT);
        let target = match patch.target.strip_prefix(&on_an_object) {
            Some(name) => format!("`{name}` of an object"),
            None => format!("`{}`", patch.target),
        };
        return Some(format!(
            "it is replaced at {} ({target}) by what the patching code gives, which its callers would await",
            patch.location(),
        ));
    }
    for &name in &names {
        if let Some(use_) = project.unknown_use(function, name) {
            return Some(format!(
                "`{name}` at {} may call it (its target cannot be resolved)",
                project.location(use_.file, use_.range.start())
            ));
        }
    }
    for &name in &names {
        if let Some(path) = project.unindexed_mentions.get(name) {
            return Some(format!(
                "`{name}` may be called from {}, which could not be analysed",
                path.display()
            ));
        }
        if let Some((path, line)) = project.doctest_mentions.get(name) {
            return Some(format!(
                "`{name}` is named in a doctest at {}:{line}, which would get a coroutine",
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
    reasons: &mut HashMap<FnId, Reason>,
) {
    for &function in candidates {
        let module = &checker.project.modules[function.file];
        let sites = blocking.get(&function).map_or(&[][..], Vec::as_slice);
        // Sites with an obstacle are not migrated at all (the conversion rests on the others).
        // A call the project's code patches is migrated only by an unsafe fix too.
        let patched = |site: &crate::project::index::BlockingSite| {
            let api: Vec<&str> = site.label.split('.').collect();
            checker
                .project
                .patches
                .affecting(&module.names, &api, &site.label)
                .map(|patch| {
                    format!(
                        "`{}` is patched at {} (`{}`)",
                        site.label,
                        patch.location(),
                        patch.target
                    )
                })
        };
        if let Some(why) = sites
            .iter()
            .map(|&i| &module.blocking[i])
            .filter(|site| site.obstacle.is_none())
            .find_map(|site| site.unsafe_migration.clone().or_else(|| patched(site)))
        {
            reasons.entry(function).or_insert_with(|| {
                Reason::cause(format!(
                    "its blocking calls are migrated only by an unsafe fix: {why}"
                ))
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
    tests: &Tests,
    candidates: &HashSet<FnId>,
    relevant: &HashSet<FnId>,
    blocking: &HashMap<FnId, Vec<usize>>,
    reasons: &mut HashMap<FnId, Reason>,
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
                    Reason::cause("it is part of the public API (`__all__` or a package re-export); converting it changes the API"),
                );
            }
        }
    }
    loop {
        let mut removed: Vec<(FnId, Reason)> = Vec::new();
        for &function in &set {
            // Blocking work of its own that the phase 1 recipes can migrate once it is async.
            let sites = blocking.get(&function).map_or(&[][..], Vec::as_slice);
            let module = &project.modules[function.file];
            // Item by item, its blocking work must be migrated once it is async: a site the
            // phase 1 recipe cannot migrate (an obstacle), or migrates only together with
            // sync code that stays sync, would leave an `async def` that still blocks.
            let blocked = sites.iter().find_map(|&i| {
                let site = &module.blocking[i];
                if let Some(obstacle) = &site.obstacle {
                    return Some(format!(
                        "its blocking calls could not be migrated in async code either: {obstacle}"
                    ));
                }
                let other = site.needs_async.iter().copied().find(|&index| {
                    let g = FnId {
                        file: function.file,
                        index,
                    };
                    !set.contains(&g) && !project.function(g).is_async
                })?;
                Some(format!(
                    "`{}` could not be migrated in async code: its object is also used in sync `{}`, which stays sync",
                    site.label, module.functions[other].label
                ))
            });
            // A sync function it calls that reaches blocking work and stays sync (not
            // converted with it) would block the new coroutine just the same: not in the safe
            // fix. (The unsafe fix moves such a call to a thread in the same run, see
            // `offload_fix`, or leaves the function sync when it cannot.)
            let blocking_callee = if no_public_api {
                blocking_callees(project, blocking, relevant, &set, function)
                    .into_iter()
                    .next()
            } else {
                None
            };
            if let Some(reason) =
                caller_obstacle(checker, tests, function, &set, candidates, no_public_api)
            {
                removed.push((function, reason));
            } else if let Some(reason) = blocked {
                removed.push((function, Reason::cause(reason)));
            } else if let Some((call, g)) = blocking_callee {
                // (Only the safe fix gets here: the unsafe one moves that call to a thread.)
                removed.push((
                    function,
                    Reason::consequence(format!(
                        "it calls `{}` at {}, which stays sync and blocks: only the unsafe fix, which moves that call to a thread, converts it",
                        project.describe(g, function.file),
                        project.location(call.file, project.call(call).range.start())
                    )),
                ));
            } else if sites.is_empty()
                && !project
                    .callees(function)
                    .iter()
                    .any(|&call| project.callee(call).is_some_and(|g| set.contains(&g)))
            {
                removed.push((
                    function,
                    Reason::consequence("the functions it calls that block stay sync"),
                ));
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
                    Reason::consequence(
                        "no async code calls it through functions that can be converted",
                    ),
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

/// Why a call in the `__main__` block cannot go to `asyncio.run`, or (`safe`) why doing so is
/// not a safe fix.
fn main_guard_obstacle(call: &crate::project::index::Call, safe: bool) -> Option<String> {
    match &call.asyncio {
        Some(Ok(_)) if safe => Some(MAIN_GUARD_NOTE.to_owned()),
        Some(Ok(_)) => None,
        Some(Err(why)) => Some(why.to_string()),
        None => Some("`asyncio` cannot be imported there".to_owned()),
    }
}

/// Why running a script's entry point with `asyncio.run` is an unsafe fix.
const MAIN_GUARD_NOTE: &str = "`asyncio.run` would run it (an unsafe fix: Ctrl-C then cancels it, so code inside it sees `CancelledError` where it caught `KeyboardInterrupt`)";

/// `f(...)` in the `__main__` block becomes `asyncio.run(f(...))`.
fn run_in_main_guard(
    project: &Project,
    id: CallId,
    per_file: &mut HashMap<FileId, Vec<(u32, u32, usize, Edit)>>,
) {
    let call = project.call(id);
    let Some(Ok((asyncio, import))) = &project.modules[id.file].asyncio_at(call) else {
        return;
    };
    if !call.main_guard {
        return;
    }
    let edits = per_file.entry(id.file).or_default();
    wrap_call(edits, call.range, &format!("{asyncio}.run("), ")");
    if let Some(import) = import {
        edits.push((import.range.start().into(), 0, 0, import.clone()));
    }
}

/// Edits putting `prefix` before and `suffix` after a call, with their sort keys: at one
/// offset, outer prefixes first and inner suffixes first.
fn wrap_call(
    edits: &mut Vec<(u32, u32, usize, Edit)>,
    range: crate::parse::TextRange,
    prefix: &str,
    suffix: &str,
) {
    let (start, end) = (range.start(), range.end());
    let length = u32::from(range.len());
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

/// Sync tests that can become `async def` where pytest runs async tests (pytest-asyncio,
/// see [`crate::project::layout::async_tests`]): a test is nobody's caller, so converting a
/// function it calls needs only the test itself to become async.
struct Tests {
    /// Sync functions that reach blocking work by sync calls.
    blocking: HashSet<FnId>,
    /// Namespaces with a test that runs async already (the plugin is evidently installed).
    proven: HashSet<String>,
}

impl Tests {
    fn new(project: &Project) -> Self {
        let mut blocking: HashSet<FnId> = HashSet::default();
        let mut queue: Vec<FnId> = Vec::new();
        let mut proven: HashSet<String> = HashSet::default();
        for (file, module) in project.modules.iter().enumerate() {
            for site in &module.blocking {
                if let Caller::Function(index) = site.caller {
                    let f = FnId { file, index };
                    if !project.function(f).is_async && blocking.insert(f) {
                        queue.push(f);
                    }
                }
            }
            let Some(mode) = module.async_tests else {
                continue;
            };
            let runs_async = module.functions.iter().any(|f| {
                f.name.starts_with("test")
                    && f.is_async
                    && (mode == crate::project::layout::AsyncTests::Auto
                        || f.decorators.iter().any(|d| d.ends_with("mark.asyncio")))
            });
            if runs_async {
                proven.insert(module.namespace.clone());
            }
        }
        while let Some(f) = queue.pop() {
            for &call in project.callers(f) {
                if let Some(caller) = project.caller_of(call) {
                    if project.call(call).execution == Execution::Sync
                        && !project.function(caller).is_async
                        && blocking.insert(caller)
                    {
                        queue.push(caller);
                    }
                }
            }
        }
        Tests { blocking, proven }
    }

    /// `None` when `test` is not a test pytest would run async; `Some(None)` when it can
    /// become `async def` together with `set`, `Some(Some(why))` when it cannot.
    fn obstacle(
        &self,
        checker: &ProjectChecker<'_>,
        test: FnId,
        set: &HashSet<FnId>,
        safe: bool,
    ) -> Option<Option<String>> {
        let project = checker.project;
        let t = project.function(test);
        if !project.value_uses(test).is_empty() {
            return None;
        }
        let callers = project.callers(test);
        if let Some(marker) = &t.async_test {
            return callers
                .is_empty()
                .then(|| self.why_not(checker, test, set, safe, marker));
        }
        // A script's entry point: every call of it is in the `__main__` block.
        let entry = !callers.is_empty()
            && callers
                .iter()
                .all(|&id| project.caller_of(id).is_none() && project.call(id).main_guard);
        if !entry {
            return None;
        }
        if let Some(decorator) = t.wrapping_decorator() {
            return Some(Some(format!("it is decorated with `@{decorator}`")));
        }
        if let Some(reference) = project.entry_point(test) {
            return Some(Some(format!(
                "it is also an entry point the project declares (`{reference}`): its launcher calls it synchronously"
            )));
        }
        if t.is_dunder() || t.class.is_some() {
            return None;
        }
        if let Some(why) = callers
            .iter()
            .find_map(|&id| main_guard_obstacle(project.call(id), safe))
        {
            return Some(Some(why));
        }
        Some(self.why_not(checker, test, set, false, &Ok(String::new())))
    }

    fn why_not(
        &self,
        checker: &ProjectChecker<'_>,
        test: FnId,
        set: &HashSet<FnId>,
        safe: bool,
        marker: &Result<String, String>,
    ) -> Option<String> {
        let project = checker.project;
        let t = project.function(test);
        let module = &project.modules[test.file];
        if let Err(why) = marker {
            return Some(why.clone());
        }
        if !checker.enabled_at(&META, test.file, t.def_offset) {
            return Some("AW201 is disabled for it".to_owned());
        }
        if t.is_generator {
            return Some("it is a generator (a fixture or a test yielding)".to_owned());
        }
        if let Some(site) = module
            .blocking
            .iter()
            .filter(|site| site.caller == Caller::Function(test.index))
            .find(|site| site.obstacle.is_some() || site.unsafe_migration.is_some())
        {
            return Some(format!(
                "its own `{}` could not be migrated in async code",
                site.label
            ));
        }
        // What it calls synchronously would then run in the test's event loop.
        let mut seen: HashSet<FnId> = HashSet::default();
        let mut queue = vec![test];
        while let Some(f) = queue.pop() {
            if !seen.insert(f) {
                continue;
            }
            let m = &project.modules[f.file];
            if let Some(run) = m
                .loop_runs
                .iter()
                .find(|run| run.caller == Caller::Function(f.index))
            {
                return Some(format!(
                    "`{}` runs an event loop (`{}` at {}), which cannot start inside the one pytest-asyncio runs the test in",
                    project.describe(f, test.file),
                    run.label,
                    project.location(f.file, run.range.start())
                ));
            }
            for &call in project.callees(f) {
                let Some(g) = project.callee(call) else {
                    continue;
                };
                if set.contains(&g) || project.function(g).is_async {
                    continue;
                }
                if f == test && self.blocking.contains(&g) {
                    return Some(format!(
                        "it also calls `{}`, which blocks and stays sync",
                        project.describe(g, test.file)
                    ));
                }
                queue.push(g);
            }
        }
        if safe && !self.proven.contains(&module.namespace) {
            return Some(
                "no test of the project runs async yet (is pytest-asyncio installed where the tests run?)"
                    .to_owned(),
            );
        }
        None
    }
}

/// The sync calls of `function` into sync functions that reach blocking work and are not in
/// `set` (they stay sync): converted, `function` would still block there. A call that is
/// itself one of its blocking sites (entering a connection helper) is migrated with them by
/// the phase 1 recipe and does not count.
fn blocking_callees(
    project: &Project,
    blocking: &HashMap<FnId, Vec<usize>>,
    relevant: &HashSet<FnId>,
    set: &HashSet<FnId>,
    function: FnId,
) -> Vec<(CallId, FnId)> {
    let sites = blocking.get(&function).map_or(&[][..], Vec::as_slice);
    let module = &project.modules[function.file];
    project
        .callees(function)
        .iter()
        .filter_map(|&call| {
            let g = project.callee(call)?;
            let range = project.call(call).range;
            let migrated_with_sites = sites
                .iter()
                .any(|&i| module.blocking[i].range.contains_range(range));
            (project.call(call).execution == Execution::Sync
                && !migrated_with_sites
                && g != function
                && relevant.contains(&g)
                && !set.contains(&g)
                && !project.function(g).is_async)
                .then_some((call, g))
        })
        .collect()
}

/// Whether calling `f` can only give a value that is not awaitable: a plain sync function
/// (not a generator, not a stub) whose every `return` gives a literal, a display or `None`.
fn returns_plain(f: &crate::project::index::Function) -> bool {
    !f.is_async && !f.is_generator && !f.is_stub && !f.may_return_awaitable
}

fn callee_reason(project: &Project, function: FnId, call: CallId, g: FnId) -> Reason {
    Reason::consequence(format!(
        "it calls `{}` at {}, which stays sync and blocks: converting it would leave an `async def` that still blocks",
        project.describe(g, function.file),
        project.location(call.file, project.call(call).range.start())
    ))
}

/// Why a function is not converted.
#[derive(Debug, Clone)]
struct Reason {
    text: String,
    /// It follows from another function's reason (its caller or callee stays sync).
    derived: bool,
}

impl Reason {
    fn cause(text: impl Into<String>) -> Self {
        Reason {
            text: text.into(),
            derived: false,
        }
    }

    fn consequence(text: impl Into<String>) -> Self {
        Reason {
            text: text.into(),
            derived: true,
        }
    }
}

/// Why one of `function`'s calls could not await it, with `set` converted (of `candidates`).
fn caller_obstacle(
    checker: &ProjectChecker<'_>,
    tests: &Tests,
    function: FnId,
    set: &HashSet<FnId>,
    candidates: &HashSet<FnId>,
    safe: bool,
) -> Option<Reason> {
    caller_obstacle_text(checker, tests, function, set, safe).map(|(text, caller)| Reason {
        text,
        derived: caller.is_some_and(|c| candidates.contains(&c)),
    })
}

/// [`caller_obstacle`]'s text, and the sync caller that cannot await it, if that is why.
fn caller_obstacle_text(
    checker: &ProjectChecker<'_>,
    tests: &Tests,
    function: FnId,
    set: &HashSet<FnId>,
    safe: bool,
) -> Option<(String, Option<FnId>)> {
    let project = checker.project;
    for &id in project.callers(function) {
        let call = project.call(id);
        let at = || project.location(id.file, call.range.start());
        let Some(caller) = project.caller_of(id) else {
            if call.main_guard {
                match main_guard_obstacle(call, safe) {
                    Some(why) => {
                        return Some((
                            format!("it is called in the `__main__` block at {}: {why}", at()),
                            None,
                        ))
                    }
                    None if checker.enabled_at(&META, id.file, call.range.start()) => continue,
                    None => {
                        return Some((format!("AW201 is disabled or silenced at {}", at()), None))
                    }
                }
            }
            let place = match call.caller {
                Caller::Lambda => "in a lambda",
                _ => "at module level or in a class body",
            };
            return Some((format!("it is called {place} at {}", at()), None));
        };
        let caller_function = project.function(caller);
        if !caller_function.is_async && !set.contains(&caller) {
            match tests.obstacle(checker, caller, set, safe) {
                // A test that becomes `async def` with the set (pytest-asyncio runs it).
                Some(None) => {}
                Some(Some(why)) => {
                    return Some((
                        format!(
                            "it is called from sync {}`{}` at {}, which cannot become `async def`: {why}",
                            if caller_function.async_test.is_some() { "test " } else { "" },
                            project.describe(caller, function.file),
                            at()
                        ),
                        Some(caller),
                    ))
                }
                None => {
                    return Some((
                        format!(
                            "it is called from sync `{}` at {}",
                            project.describe(caller, function.file),
                            at()
                        ),
                        Some(caller),
                    ))
                }
            }
        }
        match call.usage {
            // Awaited already: the function returns an awaitable (a Future, a Task, a
            // coroutine), and `await` on the converted function would return that awaitable.
            // Unless it returns only plain values (`return {...}`): then that `await` raises
            // `TypeError` today, and only the unsafe fix, which changes that, converts it.
            Use::Awaited if !safe && returns_plain(project.function(function)) => {}
            Use::Awaited if returns_plain(project.function(function)) => {
                return Some((
                    format!(
                        "its result is awaited at {}, but it returns a plain value (a literal or a display), so that `await` raises `TypeError` today; converting it makes the `await` work, a change of behaviour only the unsafe fix makes",
                        at()
                    ),
                    None,
                ))
            }
            Use::Awaited => {
                return Some((
                    format!(
                        "its result is awaited at {}: it returns an awaitable already, which `await` would then return",
                        at()
                    ),
                    None,
                ))
            }
            Use::Scheduled => {
                return Some((
                    format!(
                        "its result is passed to a scheduler at {} (it returns an awaitable already?)",
                        at()
                    ),
                    None,
                ))
            }
            _ => {}
        }
        if let Err(reason) = call.await_text() {
            return Some((
                format!("`await` cannot be added to its call at {}: {reason}", at()),
                None,
            ));
        }
        if !checker.enabled_at(&META, id.file, call.range.start()) {
            return Some((format!("AW201 is disabled or silenced at {}", at()), None));
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
            if call.main_guard && project.caller_of(id).is_none() {
                run_in_main_guard(project, id, &mut per_file);
                continue;
            }
            let Ok((prefix, suffix)) = call.await_text() else {
                continue;
            };
            // A sync caller outside the set is a root that becomes `async def` with it: a
            // test, or a script's entry point (whose calls then go to `asyncio.run`).
            if let Some(root) = project.caller_of(id).filter(|g| !set.contains(g)) {
                let r = project.function(root);
                let marker = match r.async_test.as_deref() {
                    Some(Ok(marker)) => marker.as_str(),
                    _ => "",
                };
                if !r.is_async {
                    let edits = per_file.entry(root.file).or_default();
                    edits.push((
                        r.def_offset.into(),
                        0,
                        0,
                        Edit::insertion(format!("{marker}async "), r.def_offset),
                    ));
                    if !marker.is_empty() {
                        if let Some(import) = &project.modules[root.file].pytest_import {
                            edits.push((import.range.start().into(), 0, 0, import.clone()));
                        }
                    }
                    if r.async_test.is_none() {
                        for &entry in project.callers(root) {
                            run_in_main_guard(project, entry, &mut per_file);
                        }
                    }
                }
            }
            wrap_call(
                per_file.entry(id.file).or_default(),
                call.range,
                prefix,
                suffix,
            );
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
