use std::process::ExitCode;

fn main() -> ExitCode {
    awaitify::cli::main()
}
