//! The `tracelog` binary: everything is in the library's `cli` module.

// Imports make and free millions of small strings (one per fact field);
// glibc's malloc spent 45 % of an EPCIS import's cycles consolidating and
// unlinking free chunks (benches/README.md, "EPCIS import"). mimalloc's
// per-size free lists avoid that work.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tracelog::cli::main()
}
