//! The outage notice (停热通知): who loses heat during a shut-off, building by building, so
//! the service desk can inform residents.

use super::{Cell, Table};
use crate::domain::{BuildingId, Snapshot};
use crate::words::Lang;

/// One row per building, grouped by compound, then a total row.
pub fn outage_notice(snap: &Snapshot, buildings: &[BuildingId], lang: Lang) -> Table {
    let mut rows: Vec<_> = buildings
        .iter()
        .filter_map(|&id| snap.building(id))
        .map(|b| (snap.compound(b.compound_id), b))
        .collect();
    rows.sort_by(|(ca, a), (cb, b)| {
        let key = |c: &Option<&crate::domain::Compound>| c.map(|c| c.name.clone());
        key(ca).cmp(&key(cb)).then_with(|| a.id.cmp(&b.id))
    });
    let mut households = 0u64;
    let mut table = Table {
        title: lang.pick("停热通知", "Outage notice").into(),
        headers: [
            lang.pick("小区", "Compound"),
            lang.pick("地址", "Address"),
            lang.pick("服务中心", "Department"),
            lang.pick("楼号", "Building"),
            lang.pick("单元数", "Units"),
            lang.pick("户数", "Households"),
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::with_capacity(rows.len() + 1),
    };
    for (compound, b) in rows {
        households += b.households as u64;
        table.rows.push(vec![
            compound.map_or_else(String::new, |c| c.name.clone()).into(),
            compound
                .map_or_else(String::new, |c| c.address.clone())
                .into(),
            compound
                .map_or("", |c| snap.department_name(c.department_id))
                .into(),
            b.number.clone().into(),
            b.units.into(),
            b.households.into(),
        ]);
    }
    let total: Vec<Cell> = vec![
        lang.pick("合计", "Total").into(),
        "".into(),
        "".into(),
        format!("{} {}", table.rows.len(), lang.pick("栋", "buildings")).into(),
        "".into(),
        households.into(),
    ];
    table.rows.push(total);
    table
}
