//! Identifier canonicalization. The canonical form of a GS1 identifier is its
//! EPC URN (`urn:epc:id:sgtin:0614141.107346.2018`, `urn:epc:class:lgtin:...`,
//! `urn:epc:idpat:sgtin:...`); a GS1 Digital Link URI of the same thing
//! (`https://id.gs1.org/01/00614141073467/21/2018`) is turned into that URN and
//! kept as an alias. Any other identifier is kept as written.
//!
//! A Digital Link URI does not say where the GS1 Company Prefix ends; the
//! length is learned from the EPC URNs seen (in the document and the
//! database) and is 7 digits when no URN names the company.

use std::collections::BTreeSet;

/// GS1 Company Prefixes known from EPC URNs (which do mark their end).
#[derive(Clone, Debug, Default)]
pub struct CompanyPrefixes {
    known: BTreeSet<String>,
}

/// Assumed company-prefix length when no URN names the company.
pub const DEFAULT_PREFIX_LEN: usize = 7;

impl CompanyPrefixes {
    /// Learns the prefix of one EPC URN (`urn:epc:id:sgtin:0614141.107346.1` -> `0614141`).
    pub fn learn(&mut self, id: &str) {
        let Some(rest) = ["urn:epc:id:", "urn:epc:class:", "urn:epc:idpat:"]
            .iter()
            .find_map(|prefix| id.strip_prefix(prefix))
        else {
            return;
        };
        let Some((_, body)) = rest.split_once(':') else {
            return;
        };
        let cp = body.split('.').next().unwrap_or("");
        if (6..=12).contains(&cp.len()) && cp.bytes().all(|b| b.is_ascii_digit()) {
            self.known.insert(cp.to_owned());
        }
    }

    /// Learns every EPC URN in a text (a whole document).
    pub fn learn_text(&mut self, text: &str) {
        for (start, _) in text.match_indices("urn:epc:") {
            let end = text[start..]
                .find(|c: char| c == '"' || c == '<' || c.is_whitespace())
                .map_or(text.len(), |len| start + len);
            self.learn(&text[start..end]);
        }
    }

    /// The company-prefix length of the digits `key` (which start with the prefix).
    fn len_for(&self, key: &str) -> usize {
        self.known
            .iter()
            .filter(|cp| key.starts_with(cp.as_str()))
            .map(String::len)
            .max()
            .unwrap_or(DEFAULT_PREFIX_LEN)
    }
}

/// The canonical form of `id`, and whether it differs from `id` (an alias).
pub fn canonical(id: &str, prefixes: &CompanyPrefixes) -> String {
    let id = id.trim();
    digital_link_to_urn(id, prefixes).unwrap_or_else(|| id.to_owned())
}

fn digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

/// A GS1 Digital Link URI (any host; the path holds the GS1 keys) as an EPC URN.
pub fn digital_link_to_urn(uri: &str, prefixes: &CompanyPrefixes) -> Option<String> {
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))?;
    let (_, path) = rest.split_once('/')?;
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // The primary key may follow a custom path prefix: find the first known AI.
    let start = segs
        .iter()
        .position(|s| matches!(*s, "01" | "00" | "414" | "417" | "8003" | "8004"))?;
    let segs = &segs[start..];
    let ai = segs[0];
    let key = *segs.get(1)?;
    let qual = |name: &str| {
        segs[2..]
            .chunks(2)
            .find(|pair| pair[0] == name)
            .and_then(|pair| pair.get(1).copied())
    };
    match ai {
        "01" if digits(key, 14) => {
            let len = prefixes.len_for(&key[1..]);
            let cp = &key[1..1 + len];
            let item = format!("{}{}", &key[..1], &key[1 + len..13]);
            if let Some(serial) = qual("21") {
                Some(format!("urn:epc:id:sgtin:{cp}.{item}.{serial}"))
            } else if let Some(lot) = qual("10") {
                Some(format!("urn:epc:class:lgtin:{cp}.{item}.{lot}"))
            } else if segs.len() == 2 {
                Some(format!("urn:epc:idpat:sgtin:{cp}.{item}.*"))
            } else {
                None
            }
        }
        "00" if digits(key, 18) && segs.len() == 2 => {
            let len = prefixes.len_for(&key[1..]);
            let cp = &key[1..1 + len];
            Some(format!(
                "urn:epc:id:sscc:{cp}.{}{}",
                &key[..1],
                &key[1 + len..17]
            ))
        }
        "414" if digits(key, 13) => {
            let len = prefixes.len_for(key);
            let ext = qual("254").unwrap_or("0");
            Some(format!(
                "urn:epc:id:sgln:{}.{}.{ext}",
                &key[..len],
                &key[len..12]
            ))
        }
        "417" if digits(key, 13) && segs.len() == 2 => {
            let len = prefixes.len_for(key);
            Some(format!("urn:epc:id:pgln:{}.{}", &key[..len], &key[len..12]))
        }
        "8003" if key.len() > 14 && digits(&key[..14], 14) && segs.len() == 2 => {
            let len = prefixes.len_for(&key[1..]);
            Some(format!(
                "urn:epc:id:grai:{}.{}.{}",
                &key[1..1 + len],
                &key[1 + len..13],
                &key[14..]
            ))
        }
        "8004" if key.len() > 6 && segs.len() == 2 => {
            let len = prefixes.len_for(key);
            if key.len() <= len || !digits(&key[..len], len) {
                return None;
            }
            Some(format!("urn:epc:id:giai:{}.{}", &key[..len], &key[len..]))
        }
        _ => None,
    }
}

/// The lot (LGTIN) of an item (SGTIN) given its ILMD lot number.
pub fn lot_of(item: &str, lot_number: &str) -> Option<String> {
    let body = item.strip_prefix("urn:epc:id:sgtin:")?;
    let mut parts = body.splitn(3, '.');
    let (cp, item_ref) = (parts.next()?, parts.next()?);
    parts.next()?;
    Some(format!("urn:epc:class:lgtin:{cp}.{item_ref}.{lot_number}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes(urns: &[&str]) -> CompanyPrefixes {
        let mut p = CompanyPrefixes::default();
        urns.iter().for_each(|u| p.learn(u));
        p
    }

    #[test]
    fn digital_link_keys_become_epc_urns() {
        let p = CompanyPrefixes::default();
        let cases = [
            (
                "https://id.gs1.org/01/00614141073467/21/2018",
                "urn:epc:id:sgtin:0614141.007346.2018",
            ),
            (
                "https://id.gs1.org/01/10614141073464/10/LOT-1",
                "urn:epc:class:lgtin:0614141.107346.LOT-1",
            ),
            (
                "https://id.gs1.org/01/10614141073464",
                "urn:epc:idpat:sgtin:0614141.107346.*",
            ),
            (
                "https://id.gs1.org/00/106141412345678908",
                "urn:epc:id:sscc:0614141.1234567890",
            ),
            (
                "https://id.gs1.org/414/0614141000005/254/12",
                "urn:epc:id:sgln:0614141.00000.12",
            ),
            (
                "https://id.gs1.org/414/0614141000005",
                "urn:epc:id:sgln:0614141.00000.0",
            ),
            (
                "https://id.gs1.org/417/0614141000005",
                "urn:epc:id:pgln:0614141.00000",
            ),
            (
                "https://id.gs1.org/8003/006141410000531234",
                "urn:epc:id:grai:0614141.00005.1234",
            ),
            (
                "https://id.gs1.org/8004/0614141ABC",
                "urn:epc:id:giai:0614141.ABC",
            ),
            (
                "https://example.com/shop/01/00614141073467/21/2018",
                "urn:epc:id:sgtin:0614141.007346.2018",
            ),
        ];
        for (dl, urn) in cases {
            assert_eq!(canonical(dl, &p), urn, "{dl}");
        }
    }

    #[test]
    fn learned_prefix_lengths_win_over_the_default() {
        let p = prefixes(&["urn:epc:id:sgtin:4012345678.12.1"]);
        assert_eq!(
            canonical("https://id.gs1.org/01/04012345678123/21/9", &p),
            "urn:epc:id:sgtin:4012345678.012.9"
        );
    }

    #[test]
    fn other_identifiers_are_kept() {
        let p = CompanyPrefixes::default();
        for id in [
            "urn:epc:id:sgtin:0614141.107346.2018",
            "urn:gdst:example.org:product:lot:class:1",
            "https://example.com/x",
            "LOT-7",
        ] {
            assert_eq!(canonical(id, &p), id);
        }
    }

    #[test]
    fn an_item_belongs_to_the_lgtin_of_its_lot_number() {
        assert_eq!(
            lot_of("urn:epc:id:sgtin:0614141.107346.2018", "ABC123").as_deref(),
            Some("urn:epc:class:lgtin:0614141.107346.ABC123")
        );
        assert_eq!(lot_of("urn:epc:id:sscc:0614141.1234567890", "A"), None);
    }
}
