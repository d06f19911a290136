//! CBV values in their three spellings (bare JSON-LD term, `https://ref.gs1.org/cbv/...`,
//! `urn:epcglobal:cbv:...`) reduced to the bare term. Values of other vocabularies
//! (e.g. `urn:gdst:bizStep:farmHarvest`) are kept as written.

/// `shipping`, `https://ref.gs1.org/cbv/BizStep-shipping` and
/// `urn:epcglobal:cbv:bizstep:shipping` all give `shipping`.
pub fn bare(value: &str) -> String {
    let value = value.trim();
    for prefix in [
        "https://ref.gs1.org/cbv/",
        "http://ref.gs1.org/cbv/",
        "cbv:",
    ] {
        if let Some(rest) = value.strip_prefix(prefix) {
            return match rest.split_once('-') {
                Some((_, term)) => term.to_owned(),
                None => rest.to_owned(),
            };
        }
    }
    if let Some(rest) = value.strip_prefix("urn:epcglobal:cbv:") {
        return match rest.split_once(':') {
            Some((_, term)) => term.to_owned(),
            None => rest.to_owned(),
        };
    }
    value.to_owned()
}

/// An ILMD or master-data key without its CBV namespace (`cbvmda:lotNumber` -> `lotNumber`).
pub fn mda_key(key: &str) -> String {
    for prefix in [
        "cbvmda:",
        "urn:epcglobal:cbv:mda:",
        "urn:epcglobal:cbv:mda#",
        "https://ref.gs1.org/cbv/",
        "https://gs1.org/voc/",
        "gs1:",
    ] {
        if let Some(rest) = key.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    key.to_owned()
}

/// A sensor measurement type without its vocabulary (`gs1:Temperature` -> `Temperature`).
pub fn measurement(value: &str) -> String {
    mda_key(value.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_spellings_give_the_bare_term() {
        for (spelling, term) in [
            ("shipping", "shipping"),
            ("https://ref.gs1.org/cbv/BizStep-shipping", "shipping"),
            ("urn:epcglobal:cbv:bizstep:shipping", "shipping"),
            ("https://ref.gs1.org/cbv/Disp-in_transit", "in_transit"),
            ("urn:epcglobal:cbv:disp:in_transit", "in_transit"),
            ("https://ref.gs1.org/cbv/BTT-po", "po"),
            ("urn:epcglobal:cbv:btt:po", "po"),
            ("https://ref.gs1.org/cbv/SDT-owning_party", "owning_party"),
            ("urn:epcglobal:cbv:sdt:owning_party", "owning_party"),
            ("urn:epcglobal:cbv:er:incorrect_data", "incorrect_data"),
            ("https://ref.gs1.org/cbv/ER-did_not_occur", "did_not_occur"),
            (
                "urn:gdst:bizStep:farmHarvest",
                "urn:gdst:bizStep:farmHarvest",
            ),
        ] {
            assert_eq!(bare(spelling), term, "{spelling}");
        }
        assert_eq!(mda_key("cbvmda:lotNumber"), "lotNumber");
        assert_eq!(mda_key("urn:epcglobal:cbv:mda:lotNumber"), "lotNumber");
        assert_eq!(measurement("gs1:Temperature"), "Temperature");
    }
}
