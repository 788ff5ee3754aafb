//! Numbers, times and phone numbers as people read them.

use crate::domain::Timestamp;
use crate::domain::kpi::{Figure, KpiRules, Kpis, Ratio};

use super::{Key, Lang, t};

/// "剩余 3h20m" or "已超时 1h05m"; the bool says overdue.
pub fn countdown(lang: Lang, deadline: Timestamp, now: Timestamp) -> (String, bool) {
    let minutes = (deadline - now).num_minutes();
    let span = duration(minutes.abs());
    if minutes >= 0 {
        (format!("{} {span}", t(lang, Key::DueIn)), false)
    } else {
        (format!("{} {span}", t(lang, Key::Overdue)), true)
    }
}

pub fn duration(minutes: i64) -> String {
    let (d, h, m) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else {
        format!("{m}m")
    }
}

/// Seconds as "45s", then as [`duration`] does.
pub fn duration_s(secs: u64) -> String {
    if secs < 60 {
        format!("{secs}s")
    } else {
        duration((secs / 60) as i64)
    }
}

pub fn time(t: Timestamp) -> String {
    t.format("%m-%d %H:%M").to_string()
}

/// A percentage with one decimal, or "—" when nothing was counted.
pub fn percent(r: Ratio) -> String {
    r.value()
        .map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// A rate per mille with two decimals.
pub fn per_mille(r: Ratio) -> String {
    r.value()
        .map_or("—".into(), |v| format!("{:.2}‰", v * 1000.0))
}

/// 138****5678: phone numbers are not shown whole in lists.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A KPI figure as shown: complaints per the company's basis (‰ or per 10,000 households),
/// the others as percentages.
pub fn figure(lang: Lang, f: Figure, k: &Kpis, rules: &KpiRules) -> String {
    match (f, k.value(f, rules)) {
        (_, None) => "—".into(),
        (Figure::Complaints, Some(v)) if rules.complaints_per_households == 1000 => {
            format!("{v:.2}‰")
        }
        (Figure::Complaints, Some(v)) => format!("{v:.2}{}", t(lang, Key::PerTenThousand)),
        (_, Some(v)) => format!("{:.1}%", v * 100.0),
    }
}

pub fn figure_name(lang: Lang, f: Figure) -> &'static str {
    t(
        lang,
        match f {
            Figure::Complaints => Key::Complaints,
            Figure::Satisfaction => Key::Satisfaction,
            Figure::Timely => Key::Timely,
            Figure::Temperature => Key::TempCompliance,
        },
    )
}
