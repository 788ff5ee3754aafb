//! Measuring: `heatdesk bench` (the headline figures) and `heatdesk soak` (a burst of
//! commands for the crash and concurrency tests).

use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::store::Location;

pub fn soak(db: Location, params: heatdesk::soak::SoakParams) -> anyhow::Result<()> {
    let mut store = heatdesk::store::open(&db)?;
    heatdesk::soak::run(store.as_mut(), &params, &mut std::io::stdout().lock())
}

/// A room of consoles under load; fails when anything was lost.
pub fn room(db: &Location, params: heatdesk::soak::RoomParams) -> anyhow::Result<()> {
    let consoles = params.consoles;
    anyhow::ensure!(consoles >= 1, "soak: --consoles must be at least 1");
    let report = heatdesk::soak::room(db, &params)?;
    for p in report.problems.iter().chain(&report.errors) {
        eprintln!("soak: {p}");
    }
    if let Some((now, peak)) = heatdesk::bench::resident_mb() {
        eprintln!(
            "soak: resident memory {now:.0} MB at the end, {peak:.0} MB at the peak ({:.0} MB per console)",
            peak / consoles as f64
        );
    }
    println!("soak: {}", report.last_line());
    anyhow::ensure!(
        report.problems.is_empty() && report.errors.is_empty(),
        "soak: {} problems, {} errors",
        report.problems.len(),
        report.errors.len()
    );
    Ok(())
}

pub fn bench(db: Option<Location>) -> anyhow::Result<()> {
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("a date"));
    let db = match db {
        Some(db) => db,
        None => {
            let tmp = std::env::temp_dir().join(format!("heatdesk-bench-{}", std::process::id()));
            std::fs::create_dir_all(&tmp)?;
            let p = tmp.join("city.db");
            eprintln!("writing the city-scale demo to {} …", p.display());
            demo::write_new(&p, &DemoParams::new(Scale::City, now))?;
            Location::File(p)
        }
    };
    println!("database: {db}\n");
    let report = heatdesk::bench::console(&db, now)?;
    println!("| start-up phase | ms |\n|---|---:|");
    let mut total = 0.0;
    for p in &report.start {
        let ms = p.took.as_secs_f64() * 1000.0;
        total += ms;
        println!("| {} | {ms:.0} |", p.name);
    }
    println!("| **to the first frame** | **{total:.0}** |");
    println!("\n| in the background | ms |\n|---|---:|");
    for p in &report.background {
        println!("| {} | {:.0} |", p.name, p.took.as_secs_f64() * 1000.0);
    }
    println!("\n| whole-console frame while panning, zoom | median ms |\n|---|---:|");
    for (zoom, took) in report.frames {
        println!("| {zoom} | {:.1} |", took.as_secs_f64() * 1000.0);
    }
    println!("\n| action (median) | ms |\n|---|---:|");
    for p in &report.actions {
        println!("| {} | {:.1} |", p.name, p.took.as_secs_f64() * 1000.0);
    }
    if let Some((now, peak)) = heatdesk::bench::resident_mb() {
        println!("\nresident memory: {now:.0} MB at the end, {peak:.0} MB at the peak");
    }
    Ok(())
}
