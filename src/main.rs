//! The `tracelog` binary: everything is in the library's `cli` module.

fn main() -> std::process::ExitCode {
    tracelog::cli::main()
}
