//! This module defines the command line (clap) and dispatches the subcommands.

pub fn main() -> std::process::ExitCode {
    todo!("cli")
}
