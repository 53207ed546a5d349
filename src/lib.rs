//! # awaitify
//!
//! A codemod that migrates blocking calls in Python asyncio code to real async code.
//!
//! ## The pipeline
//!
//! Each stage is one module; a file goes through them in this order:
//!
//! 1. [`discovery`]: find the `.py`/`.pyi` files under the given paths (`.gitignore`, hidden
//!    and virtualenv folders, `--exclude`), and the other files of the projects they are part
//!    of, excluded ones too ([`project::layout::outside_paths`]): read for context (what they
//!    call and patch), never reported or changed.
//! 2. [`source`]: read bytes into text (UTF-8 only; BOM kept, binary refused) and detect the
//!    file's line ending and indentation.
//!    Each text is searched once, when it is read, for what the recipes' facts and names need
//!    ([`facts::Scan`]). Before a file whose fixes depend on the other modules of the run is
//!    checked, the run gathers, from those scans, the facts recipes declare about them
//!    ([`facts`]: another module uses sqlite3, handles `SIGCHLD`; what the project's code
//!    patches, from the files that may patch, each parsed only once a fix asks about a name it
//!    mentions: [`patches::Patches`]); a file gets the ones it needs through its settings. A fact the project
//!    stage decides more finely (AW102's "another module keeps sqlite3 work on the loop's
//!    thread") waits for it when it runs (stage 6) and keeps its byte rule when it does not
//!    (a run of phase 1 alone never pays for the project stage).
//! 3. [`parse`]: the only module that talks to the parser crate; everything else uses its
//!    re-exports. A file found in a folder is parsed only when an enabled recipe may apply
//!    to it, by a byte test on the identifiers its names need as whole words
//!    ([`recipe::Recipe::may_apply`]: `time.sleep` needs `sleep` and `time`, `os.system`
//!    needs `os` and `system`), and for phase 1 on how they can be reached
//!    ([`recipe::may_reach`]: `.sleep` or `from time import`, `asyncio.sleep` alone is not).
//! 4. [`semantic`]: scopes and bindings, so names are *resolved* (`t.sleep` after
//!    `import time as t` is `["time", "sleep"]`), and the execution context of every scope
//!    (async, sync, or async where `await` cannot go).
//! 5. [`checker`]: one walk over the tree calling every enabled recipe of [`codemods`] (one
//!    file per recipe) on every statement and expression; recipes report
//!    [`recipe::Diagnostic`]s with optional [`fix::Fix`]es, span edits with an applicability
//!    (safe, unsafe, display-only). Imports a fix needs are scheduled through [`imports`]; a
//!    rewrite that needs statements before the call's statement places them with [`hoist`].
//! 6. [`project`] (with a phase 2 recipe enabled): what no single file can tell. A run reads
//!    every file once and makes one parallel pass over them: each file that can matter (async
//!    code, a blocking call) is parsed once, indexed (definitions, calls, callbacks, blocking
//!    calls) and, from the same parse, checked (the checker's semantic model is the one the
//!    index reads) or put through the fix loop, and its text dropped: a later step that needs
//!    it (a file with findings to print, one the plan edits or a round indexes) reads it
//!    again, and a text that changed on disk since is an error for that file
//!    ([`project::texts`]). Calls are then resolved across modules once;
//!    the rounds that index the files mentioning a function a fix may change (found by the
//!    code words of the files, kept as Bloom filters after the first round reads them; a
//!    round looks only for the names no earlier round looked for)
//!    resolve again only the calls and references that looked up what the new modules add,
//!    and move only their edges of the call graph. The phase 2 recipes query that call
//!    graph: a sync helper three modules away that async code reaches, a coroutine never
//!    awaited. Their fixes may edit several files and are all-or-nothing;
//!    [`project::plan`] splits them into per-file edits, applied before each file's own fix
//!    loop (a file the plan edits is fixed again from the edited text). With the plan known,
//!    the stage settles the facts it decides ([`recipe::RunFact::planned`]) from the first
//!    pass's findings; a file a settled fact applies to is checked or fixed again. Once the
//!    files are fixed, the findings left come from the project with the changed modules
//!    indexed again ([`project::Project::replace`]: what looked them up is resolved again,
//!    the rest is kept).
//! 7. [`pipeline`]: the fix loop: apply non-conflicting fixes (shared edits once), re-parse,
//!    repeat to a fixed point; a pass that breaks the syntax or never converges refuses the
//!    file's fixes, and so does a result with a compile-time error the original did not have
//!    ([`parse::semantic_errors`]); imports the fixes made unused are removed at the end.
//! 8. [`file`](mod@file): one file through the stages above, read, checked or fixed, written atomically
//!    (only when its text changed), with its report; a bad file becomes an error on its
//!    report and never stops the run.
//! 9. [`run`] processes files in parallel, each project folder of the run apart (see
//!    [`project::layout`]; the large ones one after another, each on every core, so that
//!    only one large index is held at a time), through [`project`]'s one pass when a phase 2
//!    recipe is enabled and through [`file`](mod@file) alone otherwise; [`output`] prints findings
//!    (one emitter per format: concise, full, grouped, JSON, JUnit, GitLab, pylint, GitHub,
//!    SARIF), statistics, diffs and summaries; [`report`] the audit;
//!    [`cli`] is the command line.
//!
//! Findings on a line with a suppression comment are dropped by [`suppression`].

pub mod census;
pub mod checker;
pub mod cli;
#[path = "../codemods/mod.rs"]
pub mod codemods;
pub mod config;
pub mod discovery;
pub mod facts;
pub mod file;
pub mod fix;
pub mod hoist;
pub mod imports;
pub mod locks;
pub mod output;
pub mod parse;
pub mod patches;
pub mod pipeline;
pub mod project;
pub mod recipe;
pub mod report;
pub mod run;
pub mod selection;
pub mod semantic;
pub mod source;
pub mod suppression;
pub mod walk;
