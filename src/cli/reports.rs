//! Tables for people from the command line: the outage notice and the daily report.

use std::path::Path;

use anyhow::Context as _;

use heatdesk::domain::trace::{Network, TraceFrom};
use heatdesk::ui::picture::{Area, Options};
use heatdesk::words::Lang;

/// What is shut off (one of them).
pub struct ShutOff {
    pub segment: Option<i64>,
    pub valve: Option<i64>,
    pub station: Option<i64>,
    pub burst: bool,
}

/// 停热通知: who loses heat when a pipe, valve or station is shut off.
pub fn outage(
    db: heatdesk::store::Location,
    off: ShutOff,
    out: &Path,
    lang: Lang,
) -> anyhow::Result<()> {
    let snap = super::load(&db)?;
    let net = Network::build(&snap);
    let buildings = match (off.segment, off.valve, off.station) {
        (Some(s), _, _) if off.burst => net.isolate(s).buildings_without_heat,
        (Some(s), _, _) => net.downstream(TraceFrom::Segment(s)).buildings,
        (_, Some(v), _) => net.downstream(TraceFrom::Valve(v)).buildings,
        (_, _, Some(id)) => {
            let st = snap
                .stations
                .iter()
                .find(|s| s.id == id)
                .with_context(|| format!("{db}: no station {id}"))?;
            net.downstream(TraceFrom::Node(st.node)).buildings
        }
        _ => anyhow::bail!("say what is shut off: --segment, --valve or --station"),
    };
    anyhow::ensure!(
        !buildings.is_empty(),
        "nothing downstream: check the id (or it feeds no building)"
    );
    let table = heatdesk::export::outage::outage_notice(&snap, &buildings, lang);
    heatdesk::export::write(out, &[table])?;
    let s = net.summary(&buildings);
    println!(
        "wrote {}: {} compounds, {} buildings, {} households",
        out.display(),
        s.compounds,
        s.buildings,
        s.households
    );
    Ok(())
}

/// The day's report: KPIs per department, overdue tickets, the day's visits.
pub fn daily(
    db: heatdesk::store::Location,
    date: Option<chrono::NaiveDate>,
    out: &Path,
    lang: Lang,
) -> anyhow::Result<()> {
    let snap = super::load(&db)?;
    let wall = chrono::Local::now().naive_local();
    let day = date.unwrap_or(wall.date());
    // a past day is reported as it stood at its end
    let end = day
        .succ_opt()
        .unwrap_or(day)
        .and_time(chrono::NaiveTime::MIN);
    let now = wall.min(end);
    let facts = heatdesk::domain::kpi::KpiFacts::of(&snap);
    let mut tables = heatdesk::export::report::daily_report(&snap, &facts, day, now, lang);
    // one handle for the chain's heads and the map
    let store = heatdesk::store::open(&db)?;
    let heads = store.audit_heads()?;
    tables.push(heatdesk::export::report::audit_sheet(&heads, wall, lang));
    // the season so far, day by day, charted in the workbook: the three rates
    let first = heatdesk::domain::season::season_start(day);
    tables.push(heatdesk::export::report::trend_sheet(
        &snap,
        &facts,
        (first, day),
        now,
        lang,
    ));
    let trend = heatdesk::export::LineChart {
        table: tables.len() - 1,
        title: heatdesk::words::t(lang, heatdesk::words::Key::SeasonTrend).to_string(),
        // satisfaction, timely handling, temperature compliance (after the date and complaints)
        columns: vec![2, 3, 4],
        axis_format: "0%".into(),
    };
    // the city map as it stood at the report's time, on a sheet of its own
    let png = heatdesk::ui::picture::map_png(
        store,
        snap,
        &Options {
            area: Area::City,
            size: [1600, 1000],
            metric: Default::default(),
            lang,
            basemap: super::console::basemap_of(&db)?,
            now,
        },
    )?;
    let title = heatdesk::words::t(lang, heatdesk::words::Key::CityMapSheet).to_string();
    heatdesk::export::write_with_pictures(
        out,
        &tables,
        &[heatdesk::export::Picture { title, png }],
        &[trend],
    )?;
    println!(
        "wrote {}: {} departments, {} overdue tickets, {} visits on {day}, and the city map",
        out.display(),
        tables[0].rows.len() - 1,
        tables[1].rows.len(),
        tables[2].rows.len()
    );
    Ok(())
}

/// `heatdesk map-image`'s choices beside the database and the file.
pub struct MapImageArgs {
    pub compound: Option<String>,
    pub bbox: Option<String>,
    pub metric: heatdesk::domain::colouring::Metric,
    pub size: String,
    pub basemap: Option<std::path::PathBuf>,
    pub lang: Lang,
}

/// The map as a picture.
pub fn map_image(
    db: heatdesk::store::Location,
    args: MapImageArgs,
    out: &Path,
) -> anyhow::Result<()> {
    let size = parse_size(&args.size)?;
    let area = match (&args.compound, &args.bbox) {
        (Some(name), _) => Area::Compound(name.clone()),
        (None, Some(b)) => parse_bbox(b)?,
        (None, None) => Area::City,
    };
    anyhow::ensure!(
        out.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png")),
        "{}: the picture is written as PNG (name it .png)",
        out.display()
    );
    let basemap = match args.basemap {
        Some(p) => {
            anyhow::ensure!(p.exists(), "{}: no such MBTiles file", p.display());
            Some(p)
        }
        None => super::console::basemap_of(&db)?,
    };
    let store = heatdesk::store::open(&db)?;
    let snap = store.load()?;
    let png = heatdesk::ui::picture::map_png(
        store,
        snap,
        &Options {
            area,
            size,
            metric: args.metric,
            lang: args.lang,
            basemap,
            now: chrono::Local::now().naive_local(),
        },
    )?;
    std::fs::write(out, &png).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "wrote {}: {}x{} pixels, {} KB",
        out.display(),
        size[0],
        size[1],
        png.len() / 1024
    );
    Ok(())
}

/// "1600x1000" → [1600, 1000].
fn parse_size(text: &str) -> anyhow::Result<[u32; 2]> {
    let bad = || anyhow::anyhow!("--size {text:?}: give WIDTHxHEIGHT in pixels, like 1600x1000");
    let (w, h) = text.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    Ok([
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    ])
}

/// "lon1,lat1,lon2,lat2" → a box.
fn parse_bbox(text: &str) -> anyhow::Result<Area> {
    let bad = |why: &str| anyhow::anyhow!("--bbox {text:?}: {why}");
    let n: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("give four numbers lon1,lat1,lon2,lat2"))?;
    let [lon1, lat1, lon2, lat2] = n[..] else {
        return Err(bad("give four numbers lon1,lat1,lon2,lat2"));
    };
    anyhow::ensure!(
        [lon1, lon2].iter().all(|x| (-180.0..=180.0).contains(x))
            && [lat1, lat2].iter().all(|y| (-85.0..=85.0).contains(y)),
        bad("longitudes are -180 to 180 and latitudes -85 to 85 (WGS-84 degrees)")
    );
    anyhow::ensure!(lon1 != lon2 && lat1 != lat2, bad("the box has no area"));
    Ok(Area::Bbox([lon1, lat1], [lon2, lat2]))
}
