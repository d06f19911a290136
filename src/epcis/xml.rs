//! The EPCIS 1.2 / 2.0 XML reader. Each event element is turned into the
//! EPCIS 2.0 JSON shape (1.2's `<extension>` / `<baseExtension>` wrappers
//! unwrapped, `<epc>` lists as arrays, attributes of sensor data and typed
//! lists as fields, user extensions as `prefix:name` keys) and read by the
//! JSON reader, so both serializations give the same facts. Positions are
//! `line N` of the event element.
//!
//! roxmltree: a small, well-kept, read-only DOM with exact positions and
//! namespace resolution, no unsafe code and no external-entity expansion.

use roxmltree::{Document, Node, ParsingOptions};
use serde_json::{Map, Value};

use super::ReadError;
use super::hash::Namespaces;
use super::ids::CompanyPrefixes;
use super::json;
use super::master;
use super::model::Event;

const CBV_MDA: &str = "urn:epcglobal:cbv:mda";

pub fn read(text: &str, prefixes: &CompanyPrefixes) -> Result<Vec<Event>, ReadError> {
    read_document(text, prefixes).map(|(events, _)| events)
}

/// Reads a whole document: events and master data.
pub fn read_document(
    text: &str,
    prefixes: &CompanyPrefixes,
) -> Result<(Vec<Event>, Vec<master::Element>), ReadError> {
    let (values, namespaces, vocabularies) = parse(text)?;
    let events = values
        .iter()
        .map(|(value, line)| json::read_event(value, line, prefixes, &namespaces))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((events, vocabularies))
}

/// The events of an XML document in the EPCIS 2.0 JSON shape, each with its
/// `line N`, and the document's namespace prefixes.
pub fn event_values(text: &str) -> Result<(Vec<(Value, String)>, Namespaces), ReadError> {
    parse(text).map(|(values, namespaces, _)| (values, namespaces))
}

type Parsed = (Vec<(Value, String)>, Namespaces, Vec<master::Element>);

fn parse(text: &str) -> Result<Parsed, ReadError> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|err| {
        let pos = err.pos();
        ReadError::Syntax {
            line: pos.row,
            col: pos.col,
            message: format!("not well-formed XML: {err}"),
        }
    })?;
    let root = doc.root_element();
    let line = |node: Node| format!("line {}", doc.text_pos_at(node.range().start).row);
    let name = root.tag_name().name();
    if name != "EPCISDocument" && name != "EPCISQueryDocument" {
        return Err(ReadError::Invalid {
            position: line(root),
            message: format!(
                "the root element is `{name}`, not EPCISDocument or EPCISQueryDocument"
            ),
        });
    }
    let Some(list) = root
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "EventList")
    else {
        return Ok((Vec::new(), Namespaces::default(), master::from_xml(root)));
    };
    // Prefixes as the reader writes keys (`prefix:local`, `cbvmda:` for CBV
    // master data), with their namespaces, for the event hash.
    let mut namespaces = Namespaces::default();
    for node in root.descendants().filter(Node::is_element) {
        for ns in node.namespaces() {
            if let Some(prefix) = ns.name() {
                let prefix = if ns.uri().trim_end_matches(':') == CBV_MDA {
                    "cbvmda"
                } else {
                    prefix
                };
                namespaces.declare(prefix, ns.uri());
            }
        }
    }
    // Values written as CURIEs with the GS1 vocabularies' usual prefixes.
    namespaces.declare_value_prefix("gs1", "https://gs1.org/voc/");
    namespaces.declare_value_prefix("cbv", "https://ref.gs1.org/cbv/");
    let mut events = Vec::new();
    for child in list.children().filter(Node::is_element) {
        // 1.2 wraps newer event types in <extension>.
        let nodes: Vec<Node> = if child.tag_name().name() == "extension" {
            child.children().filter(Node::is_element).collect()
        } else {
            vec![child]
        };
        for node in nodes {
            let value = event_value(node);
            events.push((value, line(node)));
        }
    }
    Ok((events, namespaces, master::from_xml(root)))
}

/// `prefix:local` for namespaced extension elements, `local` for EPCIS ones.
fn key(node: Node) -> String {
    let local = node.tag_name().name();
    match node.tag_name().namespace() {
        None => local.to_owned(),
        Some(CBV_MDA) => format!("cbvmda:{local}"),
        Some(ns) if ns.starts_with("urn:epcglobal:epcis") => local.to_owned(),
        Some(ns) => match node.lookup_prefix(ns) {
            Some(prefix) if !prefix.is_empty() => format!("{prefix}:{local}"),
            _ => format!("{ns}{local}"),
        },
    }
}

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// An attribute's name with its namespace prefix (`ext1:someField`).
fn attr_name(node: Node, attr: &roxmltree::Attribute) -> String {
    match attr.namespace().and_then(|ns| node.lookup_prefix(ns)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{}", attr.name()),
        _ => attr.name().to_owned(),
    }
}

/// Attributes that carry data (not `xsi:type` / `xsi:nil` annotations).
fn data_attrs<'a, 'i: 'a>(
    node: Node<'a, 'i>,
) -> impl Iterator<Item = roxmltree::Attribute<'a, 'i>> + 'a {
    node.attributes().filter(|a| a.namespace() != Some(XSI))
}

fn text(node: Node) -> String {
    node.text().unwrap_or("").trim().to_owned()
}

fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// Any element as JSON: attributes and children as fields (repeated names as arrays), else its text.
fn generic(node: Node) -> Value {
    if node.attribute((XSI, "nil")) == Some("true") {
        return Value::Null;
    }
    let children: Vec<Node> = elements(node).collect();
    if children.is_empty() && (data_attrs(node).next().is_none() || !text(node).is_empty()) {
        return Value::String(text(node));
    }
    let mut map = Map::new();
    for attr in data_attrs(node) {
        map.insert(
            attr_name(node, &attr),
            Value::String(attr.value().to_owned()),
        );
    }
    for child in children {
        insert_field(&mut map, child);
    }
    if map.is_empty() {
        return Value::String(text(node));
    }
    Value::Object(map)
}

/// Inserts `child`; the attributes of a text leaf (`<x unit="KGM">3.5</x>`)
/// become sibling fields `x@unit`.
fn insert_field(map: &mut Map<String, Value>, child: Node) {
    let name = key(child);
    if elements(child).next().is_none() && !text(child).is_empty() {
        for attr in data_attrs(child) {
            insert(
                map,
                format!("{name}@{}", attr_name(child, &attr)),
                Value::String(attr.value().to_owned()),
            );
        }
    }
    insert(map, name, generic(child));
}

fn insert(map: &mut Map<String, Value>, key: String, value: Value) {
    match map.get_mut(&key) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            map.insert(key, value);
        }
    }
}

fn attrs(node: Node) -> Map<String, Value> {
    data_attrs(node)
        .map(|a| (attr_name(node, &a), Value::String(a.value().to_owned())))
        .collect()
}

/// The fields of an event element, with 1.2's extension wrappers unwrapped.
fn fields<'a, 'i>(node: Node<'a, 'i>, out: &mut Vec<Node<'a, 'i>>) {
    for child in elements(node) {
        if matches!(child.tag_name().name(), "extension" | "baseExtension")
            && child.tag_name().namespace().is_none()
        {
            fields(child, out);
        } else {
            out.push(child);
        }
    }
}

fn event_value(node: Node) -> Value {
    let mut map = Map::new();
    map.insert(
        "type".to_owned(),
        Value::String(node.tag_name().name().to_owned()),
    );
    let mut nodes = Vec::new();
    fields(node, &mut nodes);
    for field in nodes {
        let name = key(field);
        let value = match name.as_str() {
            "epcList" | "childEPCs" | "inputEPCList" | "outputEPCList" => {
                Value::Array(elements(field).map(|e| Value::String(text(e))).collect())
            }
            "quantityList" | "childQuantityList" | "inputQuantityList" | "outputQuantityList" => {
                Value::Array(elements(field).map(generic).collect())
            }
            "bizTransactionList" | "sourceList" | "destinationList" => Value::Array(
                elements(field)
                    .map(|e| {
                        let mut m = attrs(e);
                        m.insert(e.tag_name().name().to_owned(), Value::String(text(e)));
                        Value::Object(m)
                    })
                    .collect(),
            ),
            "persistentDisposition" => {
                let mut m = Map::new();
                for e in elements(field) {
                    let entry = m.entry(key(e)).or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = entry {
                        items.push(Value::String(text(e)));
                    }
                }
                Value::Object(m)
            }
            "sensorElementList" => Value::Array(
                elements(field)
                    .map(|element| {
                        let mut m = Map::new();
                        let mut reports = Vec::new();
                        for part in elements(element) {
                            match key(part).as_str() {
                                "sensorMetadata" => {
                                    m.insert(
                                        "sensorMetadata".to_owned(),
                                        Value::Object(attrs(part)),
                                    );
                                }
                                "sensorReport" => reports.push(Value::Object(attrs(part))),
                                _ => insert_field(&mut m, part),
                            }
                        }
                        m.insert("sensorReport".to_owned(), Value::Array(reports));
                        Value::Object(m)
                    })
                    .collect(),
            ),
            "errorDeclaration" => {
                let mut m = Map::new();
                for e in elements(field) {
                    match key(e).as_str() {
                        "correctiveEventIDs" => {
                            m.insert(
                                "correctiveEventIDs".to_owned(),
                                Value::Array(elements(e).map(|c| Value::String(text(c))).collect()),
                            );
                        }
                        _ => insert_field(&mut m, e),
                    }
                }
                Value::Object(m)
            }
            "readPoint" | "bizLocation" | "ilmd" => generic(field),
            _ if elements(field).next().is_none() && !text(field).is_empty() => {
                for attr in data_attrs(field) {
                    insert(
                        &mut map,
                        format!("{name}@{}", attr_name(field, &attr)),
                        Value::String(attr.value().to_owned()),
                    );
                }
                generic(field)
            }
            "certificationInfo" => Value::String(text(field)),
            _ => generic(field),
        };
        insert(&mut map, name, value);
    }
    Value::Object(map)
}
