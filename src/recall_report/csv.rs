//! This module renders the tables of a recall report as CSV files (header
//! row, RFC 4180 quoting), one per table.

use super::{Report, qty_text};

/// One CSV file's text.
fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> std::io::Result<String> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(std::io::Error::other)?;
    for row in rows {
        writer.write_record(&row).map_err(std::io::Error::other)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    String::from_utf8(bytes).map_err(std::io::Error::other)
}

/// Every CSV file of the report but the FSMA 204 spreadsheet: (name, text).
pub(super) fn render_all(report: &Report) -> std::io::Result<Vec<(&'static str, String)>> {
    let objects = table(
        &["id", "kind", "lot", "reason", "via", "hops"],
        report.objects.iter().map(|o| {
            vec![
                o.id.clone(),
                o.kind.clone(),
                o.lot.clone(),
                o.reason.clone(),
                o.via.join(" "),
                o.hops.to_string(),
            ]
        }),
    )?;
    let shipments = table(
        &[
            "ship",
            "at",
            "from_loc",
            "from_name",
            "to_loc",
            "to_name",
            "party",
            "party_name",
            "subject",
            "qty",
            "uom",
        ],
        report.shipments.iter().map(|s| {
            vec![
                s.ship.clone(),
                s.at.clone(),
                s.from_loc.clone(),
                s.from_name.clone(),
                s.to_loc.clone(),
                s.to_name.clone(),
                s.party.clone(),
                s.party_name.clone(),
                s.subject.clone(),
                qty_text(s.qty),
                s.uom.clone(),
            ]
        }),
    )?;
    let consignees = table(
        &[
            "party",
            "party_name",
            "loc",
            "loc_name",
            "city",
            "country",
            "qty",
            "uom",
        ],
        report.consignees.iter().map(|c| {
            vec![
                c.party.clone(),
                c.party_name.clone(),
                c.loc.clone(),
                c.loc_name.clone(),
                c.city.clone(),
                c.country.clone(),
                qty_text(c.qty),
                c.uom.clone(),
            ]
        }),
    )?;
    let inventory = |rows: &[super::InventoryRow]| {
        table(
            &[
                "lot",
                "lot_code",
                "description",
                "loc",
                "loc_name",
                "qty",
                "uom",
            ],
            rows.iter().map(|r| {
                vec![
                    r.lot.clone(),
                    r.lot_code.clone(),
                    r.description.clone(),
                    r.loc.clone(),
                    r.loc_name.clone(),
                    qty_text(r.qty),
                    r.uom.clone(),
                ]
            }),
        )
    };
    let mass_balance = table(
        &[
            "lot",
            "lot_code",
            "uom",
            "produced",
            "received",
            "shipped",
            "consumed",
            "on_hand",
            "destroyed",
            "unaccounted",
            "off",
        ],
        report.mass_balance.iter().map(|m| {
            vec![
                m.lot.clone(),
                m.lot_code.clone(),
                m.uom.clone(),
                qty_text(m.produced),
                qty_text(m.received),
                qty_text(m.shipped),
                qty_text(m.consumed),
                qty_text(m.on_hand),
                qty_text(m.destroyed),
                qty_text(m.unaccounted),
                m.off.to_string(),
            ]
        }),
    )?;
    let findings = table(
        &["kind", "subject", "detail"],
        report
            .findings
            .iter()
            .map(|f| vec![f.kind.clone(), f.subject.clone(), f.detail.clone()]),
    )?;
    Ok(vec![
        ("affected_objects.csv", objects),
        ("shipments.csv", shipments),
        ("consignees.csv", consignees),
        ("hold_inventory.csv", inventory(&report.hold_inventory)?),
        ("free_inventory.csv", inventory(&report.free_inventory)?),
        ("mass_balance.csv", mass_balance),
        ("findings.csv", findings),
    ])
}
