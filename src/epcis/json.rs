//! The EPCIS 2.0 JSON / JSON-LD reader: `EPCISDocument` and
//! `EPCISQueryDocument` into the [`Event`] model. Fields it does not map to
//! a typed fact are kept as (JSON pointer, value) pairs.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::ReadError;
use super::cbv;
use super::hash::{self, Namespaces};
use super::ids::{self, CompanyPrefixes};
use super::master;
use super::model::{ErrorDeclaration, Event, Quantity, etype_of, float_text, utc_time};

/// JSON pointer escaping (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A parsed JSON document: its events (as written), where they are, the
/// namespace prefixes of its `@context` and its `epcisHeader`.
pub struct Document {
    pub events: Vec<Value>,
    /// JSON pointer of the event list.
    pub base: &'static str,
    pub namespaces: Namespaces,
    pub header: Option<Value>,
}

/// Parses a JSON EPCIS document without reading its events.
pub fn parse(text: &str) -> Result<Document, ReadError> {
    let mut doc: Value = serde_json::from_str(text).map_err(|err| ReadError::Syntax {
        line: err.line() as u32,
        col: err.column() as u32,
        message: format!("not valid JSON: {err}"),
    })?;
    let Some(obj) = doc.as_object_mut() else {
        return Err(invalid("", "the document is not a JSON object"));
    };
    let doc_type = obj.get("type").and_then(Value::as_str).unwrap_or("");
    let base = match doc_type {
        "EPCISDocument" => "/epcisBody/eventList",
        "EPCISQueryDocument" => "/epcisBody/queryResults/resultsBody/eventList",
        "" if obj.keys().any(|k| {
            k.starts_with("EQ_")
                || k.starts_with("MATCH_")
                || k.starts_with("GE_")
                || k == "eventType"
        }) =>
        {
            return Err(invalid(
                "",
                "this is an EPCIS query (query parameters such as EQ_bizStep), not an EPCIS document with events",
            ));
        }
        other => {
            return Err(invalid(
                "/type",
                &format!("`type` is `{other}`, not EPCISDocument or EPCISQueryDocument"),
            ));
        }
    };
    let namespaces = Namespaces::from_context(obj.get("@context"));
    let header = obj.remove("epcisHeader");
    let events = match doc.pointer_mut(base).map(Value::take) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(invalid(base, "the event list is not an array")),
    };
    Ok(Document {
        events,
        base,
        namespaces,
        header,
    })
}

/// Reads the events of a whole document.
pub fn read(text: &str, prefixes: &CompanyPrefixes) -> Result<Vec<Event>, ReadError> {
    read_document(text, prefixes).map(|(events, _)| events)
}

/// Reads a whole document: events and master data.
pub fn read_document(
    text: &str,
    prefixes: &CompanyPrefixes,
) -> Result<(Vec<Event>, Vec<master::Element>), ReadError> {
    let Some(doc) = split(text) else {
        // Not a well-formed document with an event list: the whole-document
        // reader finds the error (or reads the unusual shape).
        return read_whole(text, prefixes);
    };
    // Events are read independently: a large list is read in one contiguous
    // chunk per core, joined in order, so the events and the first error are
    // those of a sequential read.
    let read_chunk = |start: usize, chunk: &[&RawValue]| -> Result<Vec<Event>, ReadError> {
        let mut reader = Reader {
            prefixes,
            namespaces: &doc.namespaces,
        };
        let mut events = Vec::with_capacity(chunk.len());
        for (i, raw) in chunk.iter().enumerate() {
            let pointer = format!("{}/{}", doc.base, start + i);
            let Ok(value) = serde_json::from_str::<Value>(raw.get()) else {
                // The split accepted what the value parser rejects (a number
                // out of range): the whole-document parse locates it.
                return Err(parse(text)
                    .err()
                    .unwrap_or_else(|| invalid(&pointer, "the event cannot be read")));
            };
            events.push(reader.event(&value, &pointer)?);
        }
        Ok(events)
    };
    let parts = crate::parallel::map_chunks(&doc.events, EVENTS_PER_WORKER, read_chunk);
    let mut events = Vec::with_capacity(doc.events.len());
    for part in parts {
        events.extend(part?);
    }
    Ok((events, master::from_json(doc.header.as_ref())))
}

/// Fewer events than this are read on one thread.
const EVENTS_PER_WORKER: usize = 4096;

/// [`read_document`] through one value tree of the whole document.
fn read_whole(
    text: &str,
    prefixes: &CompanyPrefixes,
) -> Result<(Vec<Event>, Vec<master::Element>), ReadError> {
    let Document {
        events,
        base,
        namespaces,
        header,
    } = parse(text)?;
    let mut reader = Reader {
        prefixes,
        namespaces: &namespaces,
    };
    let events = events
        .iter()
        .enumerate()
        .map(|(i, value)| reader.event(value, &format!("{base}/{i}")))
        .collect::<Result<Vec<Event>, ReadError>>()?;
    Ok((events, master::from_json(header.as_ref())))
}

/// A document whose events are still text, so each is parsed into a JSON
/// value only while it is read (the whole document as one value tree is
/// several times the size of its text).
struct Split<'a> {
    events: Vec<&'a RawValue>,
    base: &'static str,
    namespaces: Namespaces,
    header: Option<Value>,
}

/// The events of a well-formed EPCISDocument or EPCISQueryDocument as text;
/// `None` for anything else, which [`parse`] then reads or rejects.
fn split(text: &str) -> Option<Split<'_>> {
    type Object<'a> = BTreeMap<String, &'a RawValue>;
    fn object(raw: &RawValue) -> Option<Object<'_>> {
        serde_json::from_str(raw.get()).ok()
    }
    let top: Object = serde_json::from_str(text).ok()?;
    let doc_type: Value = serde_json::from_str(top.get("type")?.get()).ok()?;
    let (base, path): (&'static str, &[&str]) = match doc_type.as_str()? {
        "EPCISDocument" => ("/epcisBody/eventList", &["epcisBody", "eventList"]),
        "EPCISQueryDocument" => (
            "/epcisBody/queryResults/resultsBody/eventList",
            &["epcisBody", "queryResults", "resultsBody", "eventList"],
        ),
        _ => return None,
    };
    let parsed = |key: &str| -> Option<Option<Value>> {
        match top.get(key) {
            None => Some(None),
            Some(raw) => serde_json::from_str(raw.get()).ok().map(Some),
        }
    };
    let context = parsed("@context")?;
    let header = parsed("epcisHeader")?;
    let mut node: Option<&RawValue> = None;
    let mut map = top;
    for (depth, key) in path.iter().enumerate() {
        let Some(raw) = map.get(*key).copied() else {
            node = None;
            break;
        };
        if depth + 1 == path.len() {
            node = Some(raw);
            break;
        }
        match object(raw) {
            Some(inner) => map = inner,
            None if raw.get().trim_start().starts_with('{') => return None,
            None => {
                node = None;
                break;
            }
        }
    }
    let events = match node {
        None => Vec::new(),
        Some(raw) if raw.get() == "null" => Vec::new(),
        Some(raw) => serde_json::from_str(raw.get()).ok()?,
    };
    Some(Split {
        events,
        base,
        namespaces: Namespaces::from_context(context.as_ref()),
        header,
    })
}

/// Reads one event given as a JSON value in the EPCIS 2.0 shape (the XML
/// reader builds such values); `pointer` names it in errors, `namespaces`
/// are the document's prefixes (for the event hash).
pub fn read_event(
    value: &Value,
    pointer: &str,
    prefixes: &CompanyPrefixes,
    namespaces: &Namespaces,
) -> Result<Event, ReadError> {
    Reader {
        prefixes,
        namespaces,
    }
    .event(value, pointer)
}

fn invalid(pointer: &str, message: &str) -> ReadError {
    ReadError::Invalid {
        position: pointer.to_owned(),
        message: message.to_owned(),
    }
}

fn bad_value(pointer: &str, message: &str) -> ReadError {
    ReadError::BadValue {
        position: pointer.to_owned(),
        message: message.to_owned(),
    }
}

/// The text of a scalar (strings as written, numbers and booleans as JSON, null as "").
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Every leaf under `value` as (pointer, text); an empty object or array is one leaf "".
pub fn leaves(value: &Value, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                leaves(value, format!("{pointer}/{}", escape(key)), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, value) in items.iter().enumerate() {
                leaves(value, format!("{pointer}/{i}"), out);
            }
        }
        Value::Object(_) | Value::Array(_) => out.push((pointer, String::new())),
        scalar => out.push((pointer, scalar_text(scalar).unwrap_or_default())),
    }
}

struct Reader<'a> {
    prefixes: &'a CompanyPrefixes,
    namespaces: &'a Namespaces,
}

impl Reader<'_> {
    fn id(&self, event: &mut Event, raw: &str) -> String {
        let canonical = ids::canonical(raw, self.prefixes);
        if canonical != raw.trim() {
            event
                .aliases
                .push((raw.trim().to_owned(), canonical.clone()));
        }
        canonical
    }

    fn string<'v>(&self, value: &'v Value, pointer: &str) -> Result<&'v str, ReadError> {
        value
            .as_str()
            .ok_or_else(|| invalid(pointer, "expected a string"))
    }

    fn time(&self, value: &Value, pointer: &str) -> Result<String, ReadError> {
        let text = self.string(value, pointer)?;
        utc_time(text)
            .ok_or_else(|| bad_value(pointer, &format!("`{text}` is not an RFC 3339 date-time")))
    }

    fn id_list(
        &self,
        event: &mut Event,
        value: &Value,
        pointer: &str,
        role: &str,
    ) -> Result<(), ReadError> {
        let Value::Array(items) = value else {
            return Err(invalid(pointer, "expected an array of identifiers"));
        };
        for (i, item) in items.iter().enumerate() {
            // EPCIS 1.x-style `{"epc": ...}` entries are accepted too.
            let raw = match item {
                Value::String(s) => s.as_str(),
                Value::Object(o) => match o.get("epc").and_then(Value::as_str) {
                    Some(s) => s,
                    None => {
                        return Err(invalid(&format!("{pointer}/{i}"), "expected an identifier"));
                    }
                },
                _ => return Err(invalid(&format!("{pointer}/{i}"), "expected an identifier")),
            };
            let id = self.id(event, raw);
            event.objects.push((role.to_owned(), id));
        }
        Ok(())
    }

    fn quantity_list(
        &self,
        event: &mut Event,
        value: &Value,
        pointer: &str,
        role: &str,
    ) -> Result<(), ReadError> {
        let Value::Array(items) = value else {
            return Err(invalid(pointer, "expected an array of quantity elements"));
        };
        for (i, item) in items.iter().enumerate() {
            let at = format!("{pointer}/{i}");
            let Some(map) = item.as_object() else {
                return Err(invalid(&at, "expected a quantity element object"));
            };
            let class = map.get("epcClass").and_then(Value::as_str).ok_or_else(|| {
                invalid(
                    &format!("{at}/epcClass"),
                    "a quantity element needs `epcClass`",
                )
            })?;
            let class = self.id(event, class);
            let quantity = match map.get("quantity") {
                None | Some(Value::Null) => None,
                Some(q) => {
                    let number = match q {
                        Value::Number(n) => n.as_f64(),
                        Value::String(s) => s.trim().parse::<f64>().ok(),
                        _ => None,
                    };
                    Some(float_text(number.ok_or_else(|| {
                        bad_value(&format!("{at}/quantity"), "`quantity` is not a number")
                    })?))
                }
            };
            let uom = map
                .get("uom")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            for (key, value) in map {
                if !matches!(key.as_str(), "epcClass" | "quantity" | "uom") {
                    leaves(value, format!("{at}/{}", escape(key)), &mut event.ext);
                }
            }
            event.quantities.push(Quantity {
                role: role.to_owned(),
                class,
                quantity,
                uom,
            });
        }
        Ok(())
    }

    fn typed_list(
        &self,
        event: &mut Event,
        value: &Value,
        pointer: &str,
        field: &str,
        out: fn(&mut Event) -> &mut Vec<(String, String)>,
    ) -> Result<(), ReadError> {
        let Value::Array(items) = value else {
            return Err(invalid(pointer, "expected an array"));
        };
        for (i, item) in items.iter().enumerate() {
            let at = format!("{pointer}/{i}");
            let map = item
                .as_object()
                .ok_or_else(|| invalid(&at, "expected an object"))?;
            let id = map
                .get(field)
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(&format!("{at}/{field}"), &format!("missing `{field}`")))?;
            let kind = map
                .get("type")
                .and_then(Value::as_str)
                .map(cbv::bare)
                .unwrap_or_default();
            let id = if field == "bizTransaction" {
                id.trim().to_owned()
            } else {
                self.id(event, id)
            };
            for (key, value) in map {
                if key != field && key != "type" {
                    leaves(value, format!("{at}/{}", escape(key)), &mut event.ext);
                }
            }
            out(event).push((kind, id));
        }
        Ok(())
    }

    fn event(&mut self, value: &Value, pointer: &str) -> Result<Event, ReadError> {
        let Some(map) = value.as_object() else {
            return Err(invalid(pointer, "an event is not a JSON object"));
        };
        let mut event = Event {
            position: pointer.to_owned(),
            ..Event::default()
        };
        let type_name = map
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(&format!("{pointer}/type"), "an event needs `type`"))?;
        event.etype = etype_of(type_name)
            .ok_or_else(|| {
                invalid(
                    &format!("{pointer}/type"),
                    &format!("`{type_name}` is not an EPCIS event type"),
                )
            })?
            .to_owned();
        let time = map.get("eventTime").ok_or_else(|| {
            invalid(
                &format!("{pointer}/eventTime"),
                "an event needs `eventTime`",
            )
        })?;
        event.event_time = self.time(time, &format!("{pointer}/eventTime"))?;
        for (key, value) in map {
            let at = format!("{pointer}/{}", escape(key));
            self.field(&mut event, map, key, value, &at)?;
        }
        if event.tz.is_empty() {
            // Required by the standard; derived from eventTime when a producer leaves it out.
            let raw = map.get("eventTime").and_then(Value::as_str).unwrap_or("");
            event.tz = tz_of(raw);
        }
        if event.error.is_some() {
            leaves(value, String::new(), &mut event.declared_fields);
        }
        if event.event_id.as_deref().is_none_or(str::is_empty) {
            event.hash = Some(hash::event_hash(value, self.namespaces));
        }
        // Extension pointers are kept relative to the event.
        for (path, _) in &mut event.ext {
            if let Some(rest) = path.strip_prefix(pointer) {
                *path = rest.to_owned();
            }
        }
        if event.etype != "transformation" && event.action.is_empty() {
            return Err(invalid(
                &format!("{pointer}/action"),
                &format!("a {type_name} needs `action` (ADD, OBSERVE or DELETE)"),
            ));
        }
        Ok(event)
    }

    fn field(
        &mut self,
        event: &mut Event,
        _map: &Map<String, Value>,
        key: &str,
        value: &Value,
        at: &str,
    ) -> Result<(), ReadError> {
        match key {
            "type" | "eventTime" | "@context" => {}
            "eventTimeZoneOffset" => event.tz = self.string(value, at)?.to_owned(),
            "recordTime" => event.record_time = Some(self.time(value, at)?),
            "eventID" => event.event_id = Some(self.string(value, at)?.trim().to_owned()),
            "action" => {
                let action = self.string(value, at)?;
                event.action = match action.to_ascii_uppercase().as_str() {
                    "ADD" => "add",
                    "OBSERVE" => "observe",
                    "DELETE" => "delete",
                    _ => {
                        return Err(bad_value(
                            at,
                            &format!("`{action}` is not ADD, OBSERVE or DELETE"),
                        ));
                    }
                }
                .to_owned();
            }
            "bizStep" => event.biz_step = cbv::bare(self.string(value, at)?),
            "disposition" => event.disposition = cbv::bare(self.string(value, at)?),
            "readPoint" | "bizLocation" => {
                let map = value
                    .as_object()
                    .ok_or_else(|| invalid(at, "expected an object with `id`"))?;
                let id = map
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid(&format!("{at}/id"), "missing `id`"))?;
                let id = self.id(event, id);
                if key == "readPoint" {
                    event.read_point = id;
                } else {
                    event.biz_loc = id;
                }
                for (k, v) in map {
                    if k != "id" {
                        leaves(v, format!("{at}/{}", escape(k)), &mut event.ext);
                    }
                }
            }
            "epcList" => self.id_list(event, value, at, "subject")?,
            "inputEPCList" => self.id_list(event, value, at, "input")?,
            "outputEPCList" => self.id_list(event, value, at, "output")?,
            "childEPCs" => self.id_list(event, value, at, "child")?,
            "parentID" => {
                let id = self.id(event, self.string(value, at)?);
                event.objects.push(("parent".to_owned(), id));
            }
            "quantityList" => self.quantity_list(event, value, at, "subject")?,
            "inputQuantityList" => self.quantity_list(event, value, at, "input")?,
            "outputQuantityList" => self.quantity_list(event, value, at, "output")?,
            "childQuantityList" => self.quantity_list(event, value, at, "child")?,
            "bizTransactionList" => {
                self.typed_list(event, value, at, "bizTransaction", |e| &mut e.biz_tx)?
            }
            "sourceList" => self.typed_list(event, value, at, "source", |e| &mut e.sources)?,
            "destinationList" => {
                self.typed_list(event, value, at, "destination", |e| &mut e.destinations)?
            }
            "transformationID" => {
                event.transformation_id = self.string(value, at)?.trim().to_owned()
            }
            "certificationInfo" => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        event
                            .certification
                            .push(self.string(item, &format!("{at}/{i}"))?.to_owned());
                    }
                }
                _ => event.certification.push(self.string(value, at)?.to_owned()),
            },
            "persistentDisposition" => {
                let map = value
                    .as_object()
                    .ok_or_else(|| invalid(at, "expected an object"))?;
                for (op, list) in map {
                    let op_at = format!("{at}/{}", escape(op));
                    if op != "set" && op != "unset" {
                        leaves(list, op_at, &mut event.ext);
                        continue;
                    }
                    let items = list
                        .as_array()
                        .ok_or_else(|| invalid(&op_at, "expected an array"))?;
                    for (i, item) in items.iter().enumerate() {
                        let disp = cbv::bare(self.string(item, &format!("{op_at}/{i}"))?);
                        event.persistent_disposition.push((op.clone(), disp));
                    }
                }
            }
            "ilmd" => {
                let map = value
                    .as_object()
                    .ok_or_else(|| invalid(at, "expected an object"))?;
                for (k, v) in map {
                    match scalar_text(v) {
                        Some(text) => event.ilmd.push((cbv::mda_key(k), text)),
                        None => leaves(v, format!("{at}/{}", escape(k)), &mut event.ext),
                    }
                }
            }
            "sensorElementList" => {
                let items = value
                    .as_array()
                    .ok_or_else(|| invalid(at, "expected an array"))?;
                for (i, element) in items.iter().enumerate() {
                    let el_at = format!("{at}/{i}");
                    let map = element
                        .as_object()
                        .ok_or_else(|| invalid(&el_at, "expected an object"))?;
                    for (k, v) in map {
                        let k_at = format!("{el_at}/{}", escape(k));
                        if k != "sensorReport" {
                            leaves(v, k_at, &mut event.ext);
                            continue;
                        }
                        let reports = v
                            .as_array()
                            .ok_or_else(|| invalid(&k_at, "expected an array"))?;
                        for (j, report) in reports.iter().enumerate() {
                            let r_at = format!("{k_at}/{j}");
                            let fields = report
                                .as_object()
                                .ok_or_else(|| invalid(&r_at, "expected an object"))?;
                            let mut row = Vec::new();
                            for (field, value) in fields {
                                match scalar_text(value) {
                                    Some(text) => {
                                        let text = match field.as_str() {
                                            "type" => cbv::measurement(&text),
                                            "time" => utc_time(&text).unwrap_or(text),
                                            "value" | "minValue" | "maxValue" | "meanValue"
                                            | "sDev" | "percRank" | "percValue" => value
                                                .as_f64()
                                                .or_else(|| text.trim().parse().ok())
                                                .map(float_text)
                                                .unwrap_or(text),
                                            "deviceID" => self.id(event, &text),
                                            _ => text,
                                        };
                                        row.push((field.clone(), text));
                                    }
                                    None => leaves(
                                        value,
                                        format!("{r_at}/{}", escape(field)),
                                        &mut event.ext,
                                    ),
                                }
                            }
                            event.sensor_reports.push(row);
                        }
                    }
                }
            }
            "errorDeclaration" => {
                let map = value
                    .as_object()
                    .ok_or_else(|| invalid(at, "expected an object"))?;
                let declared = map.get("declarationTime").ok_or_else(|| {
                    invalid(
                        &format!("{at}/declarationTime"),
                        "an errorDeclaration needs `declarationTime`",
                    )
                })?;
                let mut declaration = ErrorDeclaration {
                    declared_at: self.time(declared, &format!("{at}/declarationTime"))?,
                    ..ErrorDeclaration::default()
                };
                for (k, v) in map {
                    let k_at = format!("{at}/{}", escape(k));
                    match k.as_str() {
                        "declarationTime" => {}
                        "reason" => declaration.reason = cbv::bare(self.string(v, &k_at)?),
                        "correctiveEventIDs" => {
                            let items = v
                                .as_array()
                                .ok_or_else(|| invalid(&k_at, "expected an array"))?;
                            for (i, item) in items.iter().enumerate() {
                                declaration.corrective.push(
                                    self.string(item, &format!("{k_at}/{i}"))?.trim().to_owned(),
                                );
                            }
                        }
                        _ => leaves(v, k_at, &mut event.ext),
                    }
                }
                event.error = Some(declaration);
            }
            _ => leaves(value, at.to_owned(), &mut event.ext),
        }
        Ok(())
    }
}

/// The offset written in an RFC 3339 time (`Z` -> `+00:00`).
pub fn tz_of(time: &str) -> String {
    let time = time.trim();
    if time.ends_with('Z') || time.ends_with('z') {
        return "+00:00".to_owned();
    }
    if time.len() >= 6 {
        let tail = &time[time.len() - 6..];
        if (tail.starts_with('+') || tail.starts_with('-')) && tail.as_bytes()[3] == b':' {
            return tail.to_owned();
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every JSON document of ../shared/data/epcis and tests/fixtures reads
    /// the same event by event as through one value tree.
    #[test]
    fn reading_event_by_event_is_reading_the_whole_tree() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![
            root.join("../shared/data/epcis"),
            root.join("tests/fixtures"),
        ];
        let mut n_read = 0;
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                if !text.trim_start().starts_with('{') {
                    continue;
                }
                let mut prefixes = CompanyPrefixes::default();
                prefixes.learn_text(&text);
                let split = read_document(&text, &prefixes);
                let whole = read_whole(&text, &prefixes);
                assert_eq!(split, whole, "{}", path.display());
                n_read += 1;
            }
        }
        // Shapes the shared documents may not have.
        for text in [
            r#"{"type": "EPCISDocument", "epcisBody": {"eventList": {"a": 1}}}"#,
            r#"{"type": "EPCISDocument", "epcisBody": {"eventList": null}}"#,
            r#"{"type": "EPCISDocument", "epcisBody": []}"#,
            r#"{"type": "EPCISDocument"}"#,
            r#"{"type": "EPCISDocument", "epcisBody": {"eventList": [1e999]}}"#,
            r#"{"type": "EPCISDocument", "epcisBody": {"eventList": [{"type": "ObjectEvent"}]}}"#,
            r#"{"type": "EPCISQueryDocument", "epcisBody": {"queryResults": {"resultsBody": {"eventList": [
                {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2026-01-01T00:00:00Z",
                 "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"], "ex:a~b/c": {"d": [1, 2.5, null]}}]}}}}"#,
            r#"{"type": "EPCISDocument", "epcisBody": {"eventList": []}} trailing"#,
            r#"{"EQ_bizStep": ["shipping"]}"#,
            r#"[1, 2]"#,
        ] {
            let prefixes = CompanyPrefixes::default();
            assert_eq!(
                read_document(text, &prefixes),
                read_whole(text, &prefixes),
                "{text}"
            );
        }
        eprintln!("{n_read} shared and fixture documents compared");
    }
}
