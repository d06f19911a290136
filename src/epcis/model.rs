//! The event model both readers fill: one [`Event`] per EPCIS event, with
//! identifiers already canonical, CBV values bare and times in UTC.

/// One EPCIS event, as read from JSON or XML.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    /// object | aggregation | transformation | transaction | association.
    pub etype: String,
    /// add | observe | delete, or "" (transformations).
    pub action: String,
    /// RFC 3339 UTC.
    pub event_time: String,
    /// As written, e.g. `-06:00`.
    pub tz: String,
    pub record_time: Option<String>,
    /// As written; `None` when the document gives none (the hash is used then).
    pub event_id: Option<String>,
    /// The CBV 2.0 event hash of the event as written, computed by the
    /// readers when it has no `eventID`.
    pub hash: Option<String>,
    pub biz_step: String,
    pub disposition: String,
    pub read_point: String,
    pub biz_loc: String,
    /// (role, canonical id): subject | input | output | parent | child.
    pub objects: Vec<(String, String)>,
    pub quantities: Vec<Quantity>,
    /// (type, reference).
    pub biz_tx: Vec<(String, String)>,
    /// (type, id).
    pub sources: Vec<(String, String)>,
    pub destinations: Vec<(String, String)>,
    /// Scalar ILMD entries (key without namespace prefix for CBV master data).
    pub ilmd: Vec<(String, String)>,
    pub transformation_id: String,
    /// (set | unset, disposition).
    pub persistent_disposition: Vec<(String, String)>,
    /// One entry per sensor report: (field, value).
    pub sensor_reports: Vec<Vec<(String, String)>>,
    pub certification: Vec<String>,
    pub error: Option<ErrorDeclaration>,
    /// Every other field: (JSON pointer into the event, text value).
    pub ext: Vec<(String, String)>,
    /// For an event with an errorDeclaration: every field of the event as
    /// written (pointer, value), kept as `ev_ext` since its typed facts are not live.
    pub declared_fields: Vec<(String, String)>,
    /// Identifier aliases seen: (alias as written, canonical).
    pub aliases: Vec<(String, String)>,
    /// Where the event is in its document: a JSON pointer or `line N`.
    pub position: String,
}

/// A class-level identifier in a quantity list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quantity {
    /// subject | input | output | child.
    pub role: String,
    pub class: String,
    /// As a float text (`12.0`), when given.
    pub quantity: Option<String>,
    pub uom: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorDeclaration {
    /// RFC 3339 UTC.
    pub declared_at: String,
    /// Bare CBV term (did_not_occur | incorrect_data) or as written.
    pub reason: String,
    pub corrective: Vec<String>,
}

/// The event types, as `event.etype` spells them.
pub fn etype_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "ObjectEvent" => "object",
        "AggregationEvent" => "aggregation",
        "TransformationEvent" => "transformation",
        "TransactionEvent" => "transaction",
        "AssociationEvent" => "association",
        _ => return None,
    })
}

/// A decimal as the schema writes floats: `200.0`, `26.2`.
pub fn float_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// An EPCIS time in RFC 3339 UTC (`2005-04-05T02:33:31.116Z`), or `None`.
pub fn utc_time(text: &str) -> Option<String> {
    let time = chrono::DateTime::parse_from_rfc3339(text.trim()).ok()?;
    Some(
        time.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}
