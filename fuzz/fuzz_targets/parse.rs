//! This module is the `parse` fuzz target: any UTF-8 input goes through the
//! parser alone and through the whole front end (parse, includes, check).
//! Neither may panic; spans must stay within the text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tracelog::diagnostic::Location;
use tracelog::source::SourceMap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::default();
    let file = sources.add("fuzz.dl", None, text);
    let (_, diags) = tracelog::syntax::parse(&sources, file);
    for diag in &diags {
        if let Some(Location::Span(span)) = &diag.location {
            assert!(span.start <= span.end && span.end as usize <= text.len());
            assert!(
                text.is_char_boundary(span.start as usize)
                    && text.is_char_boundary(span.end as usize)
            );
        }
    }
    if let Err(failed) = tracelog::driver::compile_text("fuzz.dl", text) {
        assert!(!failed.diagnostics.is_empty());
    }
});
