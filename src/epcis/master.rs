//! EPCIS master data: the vocabularies of a document's header
//! (`epcisHeader.epcisMasterData.vocabularyList` in JSON,
//! `EPCISHeader/extension/EPCISMasterData/VocabularyList` in XML) as facts of
//! rules/schema.dl:
//!
//! - location vocabularies (`urn:epcglobal:epcis:vtype:BusinessLocation`,
//!   `ReadPoint`, `Location`) -> `location(loc, party, name, city, country)`
//!   from `owning_party` (or `informationProvider`), `name`, `city`, `countryCode`;
//! - party vocabularies (`Party`, PGLN) -> `party(party, name)`;
//! - `EPCClass` -> `product(product, description, ftl_category)` from
//!   `descriptionShort` (else `description`, `tradeItemDescription`,
//!   `regulatedProductName`) and `ftlCategory`; an LGTIN class also gives
//!   `lot(lot, product, lot_code)` with the product's `urn:epc:idpat:sgtin:...`;
//! - every other attribute -> `md_attr(vocab, id, attribute, value)`, vocab
//!   being the vocabulary type without `urn:epcglobal:epcis:vtype:`, attribute
//!   its name without the CBV master-data namespace (nested values as
//!   `attribute/field`), children of an element as attribute `child`.
//!
//! Identifiers are canonical as in events (a Digital Link URI becomes its EPC
//! URN, kept as an `id_alias`).

use roxmltree::Node;
use serde_json::Value;

use super::cbv;
use super::ids::{self, CompanyPrefixes};
use super::json::{escape, leaves, scalar_text};
use crate::db::Fact;

/// One vocabulary element as written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    /// The vocabulary type, e.g. `urn:epcglobal:epcis:vtype:BusinessLocation`.
    pub vtype: String,
    pub id: String,
    /// (attribute as written, value); nested values flattened to `attr/field`.
    pub attributes: Vec<(String, String)>,
    pub children: Vec<String>,
}

/// The vocabulary elements of a JSON document's `epcisHeader`.
pub fn from_json(header: Option<&Value>) -> Vec<Element> {
    let Some(list) = header
        .and_then(|h| h.get("epcisMasterData"))
        .and_then(|m| m.get("vocabularyList"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for vocabulary in list {
        let vtype = vocabulary
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let elements = vocabulary
            .get("vocabularyElementList")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for element in elements {
            let Some(id) = element.get("id").and_then(Value::as_str) else {
                continue;
            };
            let mut item = Element {
                vtype: vtype.clone(),
                id: id.trim().to_owned(),
                ..Element::default()
            };
            for attr in element
                .get("attributes")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let Some(name) = attr.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let value = attr.get("attribute").unwrap_or(&Value::Null);
                match scalar_text(value) {
                    Some(text) => item.attributes.push((name.to_owned(), text)),
                    None => {
                        let mut flat = Vec::new();
                        leaves(value, String::new(), &mut flat);
                        for (path, text) in flat {
                            item.attributes.push((format!("{name}{path}"), text));
                        }
                    }
                }
            }
            for child in element
                .get("children")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Some(child) = child.as_str() {
                    item.children.push(child.trim().to_owned());
                }
            }
            out.push(item);
        }
    }
    out
}

/// The vocabulary elements of an XML document (any `VocabularyList` in its header).
pub fn from_xml(root: Node) -> Vec<Element> {
    let mut out = Vec::new();
    let Some(header) = root
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "EPCISHeader")
    else {
        return out;
    };
    for vocabulary in header
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "Vocabulary")
    {
        let vtype = vocabulary.attribute("type").unwrap_or("").to_owned();
        for element in vocabulary
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "VocabularyElement")
        {
            let Some(id) = element.attribute("id") else {
                continue;
            };
            let mut item = Element {
                vtype: vtype.clone(),
                id: id.trim().to_owned(),
                ..Element::default()
            };
            for part in element.children().filter(Node::is_element) {
                match part.tag_name().name() {
                    "attribute" => {
                        let name = part.attribute("id").unwrap_or("").to_owned();
                        let nested: Vec<Node> = part.children().filter(Node::is_element).collect();
                        if nested.is_empty() {
                            let text = part.text().unwrap_or("").trim().to_owned();
                            item.attributes.push((name, text));
                        } else {
                            for field in part
                                .descendants()
                                .filter(|n| n.is_element() && n.children().all(|c| !c.is_element()))
                            {
                                let text = field.text().unwrap_or("").trim().to_owned();
                                item.attributes.push((
                                    format!("{name}/{}", escape(field.tag_name().name())),
                                    text,
                                ));
                            }
                        }
                    }
                    "children" => {
                        for child in part.children().filter(Node::is_element) {
                            item.children
                                .push(child.text().unwrap_or("").trim().to_owned());
                        }
                    }
                    _ => {}
                }
            }
            out.push(item);
        }
    }
    out
}

/// An attribute's name without the CBV master-data namespace:
/// `urn:epcglobal:cbv:mda#city`, `cbvmda:city` -> `city`;
/// `urn:epcglobal:cbv:owning_party` -> `owning_party`.
pub fn attribute_name(name: &str) -> String {
    let name = cbv::mda_key(name.trim());
    match name.strip_prefix("urn:epcglobal:cbv:") {
        Some(rest) => rest.to_owned(),
        None => name,
    }
}

fn kind(vtype: &str) -> &'static str {
    let last = vtype
        .rsplit([':', '/', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match last.as_str() {
        "businesslocation" | "readpoint" | "location" => "location",
        "party" | "pgln" => "party",
        "epcclass" => "product",
        _ => "other",
    }
}

fn fact(rel: &str, fields: &[&str]) -> Fact {
    Fact {
        rel: rel.to_owned(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
    }
}

/// The facts of the vocabulary elements (aliases of Digital Link ids included).
pub fn facts(elements: &[Element], prefixes: &CompanyPrefixes) -> Vec<Fact> {
    let mut out = Vec::new();
    let canonical = |raw: &str, out: &mut Vec<Fact>| {
        let id = ids::canonical(raw, prefixes);
        if id != raw.trim() && !raw.trim().is_empty() {
            out.push(fact("id_alias", &[raw.trim(), &id]));
        }
        id
    };
    for element in elements {
        let id = canonical(&element.id, &mut out);
        let vocab = element
            .vtype
            .strip_prefix("urn:epcglobal:epcis:vtype:")
            .unwrap_or(&element.vtype);
        let attrs: Vec<(String, &str)> = element
            .attributes
            .iter()
            .map(|(k, v)| (attribute_name(k), v.as_str()))
            .collect();
        let get = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| *v))
        };
        let used: &[&str] = match kind(&element.vtype) {
            "location" => {
                let party = get(&["owning_party", "informationProvider"])
                    .map(|p| canonical(p, &mut out))
                    .unwrap_or_default();
                out.push(fact(
                    "location",
                    &[
                        &id,
                        &party,
                        get(&["name"]).unwrap_or(""),
                        get(&["city"]).unwrap_or(""),
                        get(&["countryCode"]).unwrap_or(""),
                    ],
                ));
                &["owning_party", "name", "city", "countryCode"]
            }
            "party" => {
                out.push(fact("party", &[&id, get(&["name"]).unwrap_or("")]));
                &["name"]
            }
            "product" => {
                let description = get(&[
                    "descriptionShort",
                    "description",
                    "tradeItemDescription",
                    "regulatedProductName",
                ])
                .unwrap_or("");
                let category = get(&["ftlCategory", "ftl_category"]).unwrap_or("");
                match lgtin_parts(&id) {
                    Some((product, lot_code)) => {
                        out.push(fact("lot", &[&id, &product, &lot_code]));
                        out.push(fact("product", &[&product, description, category]));
                    }
                    None => out.push(fact("product", &[&id, description, category])),
                }
                &["descriptionShort", "ftlCategory", "ftl_category"]
            }
            _ => &[],
        };
        // An attribute read into a typed fact is not repeated; a fallback
        // (e.g. `description` when `descriptionShort` is absent) is kept too.
        for (name, value) in &attrs {
            if !used.contains(&name.as_str()) {
                out.push(fact("md_attr", &[vocab, &id, name, value]));
            }
        }
        for child in &element.children {
            let child = canonical(child, &mut out);
            out.push(fact("md_attr", &[vocab, &id, "child", &child]));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `urn:epc:class:lgtin:cp.item.lot` -> (`urn:epc:idpat:sgtin:cp.item.*`, lot).
fn lgtin_parts(id: &str) -> Option<(String, String)> {
    let body = id.strip_prefix("urn:epc:class:lgtin:")?;
    let mut parts = body.splitn(3, '.');
    let (cp, item, lot) = (parts.next()?, parts.next()?, parts.next()?);
    Some((format!("urn:epc:idpat:sgtin:{cp}.{item}.*"), lot.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_map_onto_schema_relations() {
        let header: Value = serde_json::from_str(
            r#"{"epcisMasterData": {"vocabularyList": [
              {"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
                {"id": "https://id.gs1.org/414/0614141000005", "attributes": [
                  {"id": "cbvmda:name", "attribute": "Plant 1"},
                  {"id": "urn:epcglobal:cbv:mda#city", "attribute": "Lyon"},
                  {"id": "cbvmda:countryCode", "attribute": "FR"},
                  {"id": "urn:epcglobal:cbv:owning_party", "attribute": "urn:epc:id:pgln:0614141.00000"},
                  {"id": "cbvmda:address", "attribute": {"street": "1 rue X"}}]}]},
              {"type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": [
                {"id": "urn:epc:class:lgtin:0614141.107346.L1", "attributes": [
                  {"id": "cbvmda:descriptionShort", "attribute": "Spinach"},
                  {"id": "ftlCategory", "attribute": "leafy greens"}]}]},
              {"type": "urn:epcglobal:epcis:vtype:Party", "vocabularyElementList": [
                {"id": "urn:epc:id:pgln:0614141.00000", "attributes": [
                  {"id": "cbvmda:name", "attribute": "Acme"}]}]}]}}"#,
        )
        .unwrap();
        let mut prefixes = CompanyPrefixes::default();
        prefixes.learn("urn:epc:id:pgln:0614141.00000");
        let facts = facts(&from_json(Some(&header)), &prefixes);
        let has = |rel: &str, fields: &[&str]| {
            facts.iter().any(|f| {
                f.rel == rel
                    && f.fields
                        .iter()
                        .map(String::as_str)
                        .eq(fields.iter().copied())
            })
        };
        assert!(has(
            "location",
            &[
                "urn:epc:id:sgln:0614141.00000.0",
                "urn:epc:id:pgln:0614141.00000",
                "Plant 1",
                "Lyon",
                "FR"
            ]
        ));
        assert!(has(
            "id_alias",
            &[
                "https://id.gs1.org/414/0614141000005",
                "urn:epc:id:sgln:0614141.00000.0"
            ]
        ));
        assert!(has(
            "md_attr",
            &[
                "BusinessLocation",
                "urn:epc:id:sgln:0614141.00000.0",
                "address/street",
                "1 rue X"
            ]
        ));
        assert!(has("party", &["urn:epc:id:pgln:0614141.00000", "Acme"]));
        assert!(has(
            "lot",
            &[
                "urn:epc:class:lgtin:0614141.107346.L1",
                "urn:epc:idpat:sgtin:0614141.107346.*",
                "L1"
            ]
        ));
        assert!(has(
            "product",
            &[
                "urn:epc:idpat:sgtin:0614141.107346.*",
                "Spinach",
                "leafy greens"
            ]
        ));
        assert!(
            !facts
                .iter()
                .any(|f| f.rel == "md_attr" && f.fields[2] == "name")
        );
    }
}
