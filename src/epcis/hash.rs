//! The CBV 2.0 event hash (`ni:///sha-256;<hex>?ver=CBV2.0`), the identity of
//! an event that has no `eventID`. The pre-hash string concatenates the
//! event's fields in the order CBV 2.0 §8.9 gives (type, time, offset, EPCs,
//! quantities, action, transformationID, bizStep, disposition, persistent
//! disposition, readPoint, bizLocation, business transactions, sources,
//! destinations, sensor data, ILMD, certification, extensions), each list
//! sorted, from the canonical values the importer records; `eventID`,
//! `recordTime` and `errorDeclaration` are left out so the same event always
//! hashes the same.

use sha2::{Digest, Sha256};

use super::model::Event;

fn type_name(etype: &str) -> &str {
    match etype {
        "object" => "ObjectEvent",
        "aggregation" => "AggregationEvent",
        "transformation" => "TransformationEvent",
        "transaction" => "TransactionEvent",
        "association" => "AssociationEvent",
        other => other,
    }
}

/// The pre-hash string of `event`.
pub fn pre_hash(event: &Event) -> String {
    let mut out = format!(
        "eventType={}eventTime={}eventTimeZoneOffset={}",
        type_name(&event.etype),
        event.event_time,
        event.tz
    );
    let push_sorted = |out: &mut String, mut items: Vec<String>| {
        items.sort();
        for item in items {
            out.push_str(&item);
        }
    };
    for role in ["parent", "subject", "input", "child"] {
        let key = match role {
            "parent" => "parentID",
            "subject" => "epcList",
            "input" => "inputEPCList",
            _ => "childEPCs",
        };
        push_sorted(
            &mut out,
            event
                .objects
                .iter()
                .filter(|(r, _)| r == role)
                .map(|(_, id)| format!("{key}={id}"))
                .collect(),
        );
    }
    let quantities = |role: &str| -> Vec<String> {
        event
            .quantities
            .iter()
            .filter(|q| q.role == role)
            .map(|q| {
                format!(
                    "epcClass={}quantity={}uom={}",
                    q.class,
                    q.quantity.as_deref().unwrap_or(""),
                    q.uom
                )
            })
            .collect()
    };
    for role in ["subject", "child", "input"] {
        push_sorted(&mut out, quantities(role));
    }
    push_sorted(
        &mut out,
        event
            .objects
            .iter()
            .filter(|(r, _)| r == "output")
            .map(|(_, id)| format!("outputEPCList={id}"))
            .collect(),
    );
    push_sorted(&mut out, quantities("output"));
    for (key, value) in [
        ("action", &event.action),
        ("transformationID", &event.transformation_id),
        ("bizStep", &event.biz_step),
        ("disposition", &event.disposition),
    ] {
        if !value.is_empty() {
            out.push_str(&format!("{key}={value}"));
        }
    }
    push_sorted(
        &mut out,
        event
            .persistent_disposition
            .iter()
            .map(|(op, d)| format!("{op}={d}"))
            .collect(),
    );
    for (key, value) in [
        ("readPoint", &event.read_point),
        ("bizLocation", &event.biz_loc),
    ] {
        if !value.is_empty() {
            out.push_str(&format!("{key}={value}"));
        }
    }
    for (key, list) in [
        ("bizTransaction", &event.biz_tx),
        ("source", &event.sources),
        ("destination", &event.destinations),
    ] {
        push_sorted(
            &mut out,
            list.iter()
                .map(|(t, id)| format!("{key}={id}type={t}"))
                .collect(),
        );
    }
    let mut reports: Vec<String> = event
        .sensor_reports
        .iter()
        .map(|row| {
            let mut fields: Vec<String> = row.iter().map(|(k, v)| format!("{k}={v}")).collect();
            fields.sort();
            fields.concat()
        })
        .collect();
    reports.sort();
    out.push_str(&reports.concat());
    push_sorted(
        &mut out,
        event.ilmd.iter().map(|(k, v)| format!("{k}={v}")).collect(),
    );
    push_sorted(
        &mut out,
        event
            .certification
            .iter()
            .map(|c| format!("certificationInfo={c}"))
            .collect(),
    );
    push_sorted(
        &mut out,
        event
            .ext
            .iter()
            .filter(|(path, _)| !path.starts_with("/errorDeclaration"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
    );
    out
}

/// `ni:///sha-256;<hex>?ver=CBV2.0` of `event`.
pub fn event_hash(event: &Event) -> String {
    let digest = Sha256::digest(pre_hash(event).as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("ni:///sha-256;{hex}?ver=CBV2.0")
}
