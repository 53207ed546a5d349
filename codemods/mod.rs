//! The recipes, one per file, and the registry that lists them.
//!
//! To add a recipe: copy `time_sleep.rs`, change its metadata, documentation and check
//! function, add its fixtures under `tests/fixtures/<recipe>/`, and list it in [`RECIPES`].
//! A phase 2 recipe (one that needs the whole project) copies `await_sync_function.rs`
//! instead: it implements [`Recipe::check_project`] over the call graph of
//! [`crate::project`], and its fixtures are projects in `tests/fixtures/project/<case>/`.

use crate::recipe::Recipe;

pub mod await_sync_function;
pub mod blocking_helper;
pub mod declared_blocking;
pub mod nested_event_loop;
pub mod sqlite3;
pub mod subprocess;
pub mod time_sleep;
pub mod unawaited_coroutine;

/// Every recipe, in code order.
pub static RECIPES: &[&dyn Recipe] = &[
    &time_sleep::TimeSleep,
    &sqlite3::Sqlite3,
    &subprocess::Subprocess,
    &blocking_helper::BlockingHelper,
    &unawaited_coroutine::UnawaitedCoroutine,
    &await_sync_function::AwaitSyncFunction,
    &nested_event_loop::NestedEventLoop,
    &declared_blocking::DeclaredBlocking,
];

/// The recipe with this code or id.
pub fn find(code_or_id: &str) -> Option<&'static dyn Recipe> {
    RECIPES.iter().copied().find(|recipe| {
        let meta = recipe.meta();
        meta.code.eq_ignore_ascii_case(code_or_id) || meta.id == code_or_id
    })
}
