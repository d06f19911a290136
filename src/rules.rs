//! This module holds the rule sets shipped in rules/, built into the binary so
//! the traceability commands (`trace`, `recall`) work from any directory. A
//! program compiled with [`crate::driver::compile_with_shipped_rules`] can
//! `.include "genealogy.dl"` and gets exactly the text of rules/genealogy.dl.

/// (the name an `.include` writes, the text), one per file of rules/.
pub const SHIPPED: &[(&str, &str)] = &[
    ("schema.dl", include_str!("../rules/schema.dl")),
    ("genealogy.dl", include_str!("../rules/genealogy.dl")),
    ("exposure.dl", include_str!("../rules/exposure.dl")),
    ("recall.dl", include_str!("../rules/recall.dl")),
    ("audit.dl", include_str!("../rules/audit.dl")),
];

/// The text of a shipped rule set.
pub fn text(name: &str) -> Option<&'static str> {
    SHIPPED
        .iter()
        .find(|(shipped, _)| *shipped == name)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_of_rules_is_shipped() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".dl") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                assert_eq!(
                    super::text(&name),
                    Some(text.as_str()),
                    "{name} is not in SHIPPED"
                );
            }
        }
    }

    #[test]
    fn a_program_can_include_a_shipped_rule_set() {
        let compiled = crate::driver::compile_with_shipped_rules(
            "trace",
            ".include \"genealogy.dl\"\ntrace_seed(\"L-1\").\nconsumed(\"L-1\", \"B-1\").\n",
        )
        .unwrap_or_else(|failed| panic!("{:?}", failed.diagnostics));
        assert!(compiled.program.relation_by_name("descendant").is_some());
    }
}
