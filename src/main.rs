use std::process::ExitCode;

/// mimalloc: less time in allocation than the system allocator on a large corpus (the parser,
/// the semantic model and the project index allocate many small objects per file). Built
/// without transparent huge pages (`no_thp`): with them, the kernel zeroes whole 2 MiB pages
/// the run barely uses, which cost more system time and peak memory than they saved.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    awaitify::cli::main()
}
