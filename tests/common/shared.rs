//! Files of ../shared, which tests read where they are (CI has it beside the
//! clone). In a clone without it, a test skips and says why.

use std::path::PathBuf;

/// `../shared/<rel>` when it exists; `None`, with the reason printed, when
/// it does not.
pub fn path(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        println!(
            "skipped: {} is absent (a clone without ../shared)",
            path.display()
        );
        None
    }
}
