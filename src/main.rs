use std::process::ExitCode;

/// mimalloc: a fifth less time in allocation than the system allocator on a large corpus (the
/// parser, the semantic model and the project index allocate many small objects per file).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    awaitify::cli::main()
}
