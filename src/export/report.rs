//! The day's report for the company's leaders: KPIs per department, the tickets past their
//! deadline, and the visits of the day with what they found.

use chrono::{Duration, NaiveDate, NaiveTime};

use super::{Cell, Table};
use crate::domain::kpi::{Figure, KpiFacts, Kpis};
use crate::domain::{Channel, Snapshot, Timestamp};
use crate::words::format::mask_phone;
use crate::words::{self, Lang};

/// Three sheets: KPIs, overdue tickets, visits (as of `now`, for the day `day`). The figures
/// come from `facts` (the whole season's; the snapshot may hold only its open and recent rows).
pub fn daily_report(
    snap: &Snapshot,
    facts: &KpiFacts,
    day: NaiveDate,
    now: Timestamp,
    lang: Lang,
) -> Vec<Table> {
    vec![
        kpi_sheet(snap, facts, day, now, lang),
        overdue_sheet(snap, now, lang),
        visit_sheet(snap, day, lang),
    ]
}

/// The audit chains' last links as the report was written: a printed report pins the record
/// of its day (`heatdesk audit verify` prints the same hashes while nothing was added since).
pub fn audit_sheet(heads: &[crate::store::chain::Head], now: Timestamp, lang: Lang) -> Table {
    Table {
        title: lang.pick("审计链", "Audit chain").into(),
        headers: [
            lang.pick("记录表", "Table"),
            lang.pick("最后一条", "Last event"),
            lang.pick("哈希 (SHA-256)", "Hash (SHA-256)"),
            lang.pick("截至", "As of"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        rows: heads
            .iter()
            .map(|h| {
                vec![
                    Cell::from(h.chain.table().to_string()),
                    Cell::from(h.last_event.map_or(String::new(), |id| format!("#{id}"))),
                    Cell::from(crate::store::chain::hex(&h.hash)),
                    Cell::from(now.format("%Y-%m-%d %H:%M:%S").to_string()),
                ]
            })
            .collect(),
    }
}

fn kpi_row(name: String, k: &Kpis, snap: &Snapshot, lang: Lang) -> Vec<Cell> {
    let rules = &snap.kpi_rules;
    let mut row = vec![Cell::from(name), Cell::from(k.complaint_rate.numerator)];
    for f in Figure::ALL {
        row.push(figure_cell(lang, f, k, rules));
    }
    row
}

/// A KPI figure as a cell: a number with its unit as the format (complaints per the company's
/// basis, ‰ or per 10,000 households; the rates as percentages); nothing to compute it from
/// is an empty cell.
pub fn figure_cell(lang: Lang, f: Figure, k: &Kpis, rules: &crate::domain::kpi::KpiRules) -> Cell {
    match (f, k.value(f, rules)) {
        (_, None) => Cell::Empty,
        (Figure::Complaints, Some(v)) if rules.complaints_per_households == 1000 => {
            Cell::WithUnit(v, "‰")
        }
        (Figure::Complaints, Some(v)) => Cell::WithUnit(v, lang.pick("/万户", "/10k households")),
        (_, Some(v)) => Cell::Percent(v),
    }
}

/// The season's figures day by day, from `first` to `day`: the trend the leaders' view draws,
/// as a sheet a workbook charts.
pub fn trend_sheet(
    snap: &Snapshot,
    facts: &KpiFacts,
    (first, day): (NaiveDate, NaiveDate),
    now: Timestamp,
    lang: Lang,
) -> Table {
    let rules = &snap.kpi_rules;
    Table {
        title: lang.pick("每日趋势", "Daily trend").into(),
        headers: std::iter::once(lang.pick("日期", "Date").to_string())
            .chain(Figure::ALL.map(|f| crate::words::format::figure_name(lang, f).to_string()))
            .collect(),
        rows: facts
            .daily(snap, (first, day), now, rules)
            .iter()
            .map(|(d, k)| {
                std::iter::once(Cell::from(d.format("%Y-%m-%d").to_string()))
                    .chain(Figure::ALL.map(|f| figure_cell(lang, f, k, rules)))
                    .collect()
            })
            .collect(),
    }
}

fn kpi_sheet(
    snap: &Snapshot,
    facts: &KpiFacts,
    day: NaiveDate,
    now: Timestamp,
    lang: Lang,
) -> Table {
    let from = day.and_time(NaiveTime::MIN);
    let b = facts.breakdown(snap, (from, from + Duration::days(1)), now, &snap.kpi_rules);
    let mut rows: Vec<Vec<Cell>> = b
        .departments
        .iter()
        .map(|(id, k)| kpi_row(snap.department_name(*id).to_string(), k, snap, lang))
        .collect();
    rows.push(kpi_row(
        lang.pick("全市", "City").into(),
        &b.city,
        snap,
        lang,
    ));
    Table {
        title: format!("{} {}", lang.pick("日报指标", "KPIs"), day.format("%m-%d")),
        headers: [
            lang.pick("服务中心", "Department"),
            lang.pick("投诉件数", "Complaints"),
        ]
        .into_iter()
        .map(String::from)
        .chain(Figure::ALL.map(|f| crate::words::format::figure_name(lang, f).to_string()))
        .collect(),
        rows,
    }
}

fn overdue_sheet(snap: &Snapshot, now: Timestamp, lang: Lang) -> Table {
    let mut overdue: Vec<_> = snap.tickets.iter().filter(|t| t.is_overdue(now)).collect();
    overdue.sort_by_key(|t| t.deadline);
    Table {
        title: lang.pick("超时工单", "Overdue").into(),
        headers: [
            lang.pick("工单号", "Ticket"),
            lang.pick("地址", "Address"),
            lang.pick("类别", "Category"),
            lang.pick("状态", "Status"),
            lang.pick("班组", "Team"),
            lang.pick("受理时间", "Received"),
            lang.pick("处置时限", "Deadline"),
            lang.pick("超时(小时)", "Overdue (h)"),
            lang.pick("报修人", "Reporter"),
        ]
        .map(String::from)
        .to_vec(),
        rows: overdue
            .into_iter()
            .map(|t| {
                vec![
                    Cell::from(format!("#{}", t.id)),
                    format!(
                        "{} {}",
                        snap.building_label(t.building_id),
                        t.address_detail
                    )
                    .into(),
                    words::category(lang, t.category).into(),
                    words::status(lang, t.status).into(),
                    t.team_id
                        .and_then(|id| snap.team(id))
                        .map_or(String::new(), |x| x.name.clone())
                        .into(),
                    t.created_at.format("%m-%d %H:%M").to_string().into(),
                    t.deadline.format("%m-%d %H:%M").to_string().into(),
                    (((now - t.deadline).num_minutes() as f64 / 60.0 * 10.0).round() / 10.0).into(),
                    // residents' numbers leave the console masked
                    format!("{} {}", t.reporter_name, mask_phone(&t.reporter_phone)).into(),
                ]
            })
            .collect(),
    }
}

fn visit_sheet(snap: &Snapshot, day: NaiveDate, lang: Lang) -> Table {
    let standard = snap.kpi_rules.temperature_standard;
    let mut rows = Vec::new();
    for v in snap.visits.iter().filter(|v| v.at.date() == day) {
        let readings: Vec<f64> = snap
            .readings
            .iter()
            .filter(|r| r.visit_id == Some(v.id))
            .map(|r| r.celsius)
            .collect();
        let cold = readings.iter().filter(|c| **c < standard).count();
        let lowest = readings.iter().copied().fold(f64::NAN, f64::min);
        // the tickets a visit raised carry its channel, time and compound
        let raised: Vec<_> = snap
            .tickets
            .iter()
            .filter(|t| {
                matches!(t.channel, Channel::LeaderVisit | Channel::DoorToDoor)
                    && t.created_at == v.at
                    && snap
                        .building(t.building_id)
                        .is_some_and(|b| b.compound_id == v.compound_id)
            })
            .collect();
        let on_site = raised.iter().filter(|t| t.fixed_at == Some(v.at)).count();
        let answers = snap.surveys.iter().filter(|s| s.visit_id == Some(v.id));
        let (mut yes, mut all) = (0, 0);
        for s in answers {
            all += 1;
            yes += snap.kpi_rules.satisfied(s.answer) as u32;
        }
        rows.push(vec![
            Cell::from(v.at.format("%H:%M").to_string()),
            snap.compound(v.compound_id)
                .map_or(String::new(), |c| c.name.clone())
                .into(),
            v.leaders.clone().into(),
            v.staff.clone().into(),
            lang.pick(
                if v.consultation_desk { "是" } else { "否" },
                if v.consultation_desk { "yes" } else { "no" },
            )
            .into(),
            v.households_entered.into(),
            readings.len().into(),
            if lowest.is_nan() {
                Cell::from("")
            } else {
                lowest.into()
            },
            cold.into(),
            on_site.into(),
            (raised.len() - on_site).into(),
            format!("{yes}/{all}").into(),
        ]);
    }
    Table {
        title: lang.pick("走访记录", "Visits").into(),
        headers: [
            lang.pick("时间", "Time"),
            lang.pick("小区", "Compound"),
            lang.pick("领导", "Leaders"),
            lang.pick("随行人员", "Staff"),
            lang.pick("设咨询台", "Desk"),
            lang.pick("入户数", "Households"),
            lang.pick("测温次数", "Readings"),
            lang.pick("最低室温", "Lowest °C"),
            lang.pick("不达标", "Below standard"),
            lang.pick("现场解决", "Fixed on site"),
            lang.pick("登记派单", "Registered"),
            lang.pick("满意", "Satisfied"),
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}
