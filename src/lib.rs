//! # awaitify
//!
//! A codemod that migrates blocking calls in Python asyncio code to real async code.
//!
//! ## The pipeline
//!
//! Each stage is one module; a file goes through them in this order:
//!
//! 1. [`discovery`]: find the `.py`/`.pyi` files under the given paths (`.gitignore`, hidden
//!    and virtualenv folders, `--exclude`).
//! 2. [`source`]: read bytes into text (UTF-8 only; BOM kept, binary refused) and detect the
//!    file's line ending and indentation.
//! 3. [`parse`]: the only module that talks to the parser crate; everything else uses its
//!    re-exports.
//! 4. [`semantic`]: scopes and bindings, so names are *resolved* (`t.sleep` after
//!    `import time as t` is `["time", "sleep"]`), and the execution context of every scope
//!    (async, sync, or async where `await` cannot go).
//! 5. [`checker`]: one walk over the tree calling every enabled recipe of [`codemods`] (one
//!    file per recipe) on every statement and expression; recipes report
//!    [`recipe::Diagnostic`]s with optional [`fix::Fix`]es, span edits with an applicability
//!    (safe, unsafe, display-only). Imports a fix needs are scheduled through [`imports`]; a
//!    rewrite that needs statements before the call's statement places them with [`hoist`].
//! 6. [`project`] (with a phase 2 recipe enabled): what no single file can tell. Every file
//!    that can matter is indexed once (definitions, calls, callbacks, blocking calls), calls
//!    are resolved across modules, and the phase 2 recipes query that call graph: a sync
//!    helper three modules away that async code reaches, a coroutine never awaited. Their
//!    fixes may edit several files and are all-or-nothing; [`project::plan`] splits them into
//!    per-file edits, applied before each file's own fix loop.
//! 7. [`pipeline`]: the fix loop: apply non-conflicting fixes (shared edits once), re-parse,
//!    repeat to a fixed point; a pass that breaks the syntax or never converges refuses the
//!    file's fixes, and so does a result with a compile-time error the original did not have
//!    ([`parse::semantic_errors`]); imports the fixes made unused are removed at the end.
//! 8. [`run`] processes files in parallel, each project folder of the run apart (see
//!    [`project::layout`]), and writes atomically; [`output`] prints findings
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
