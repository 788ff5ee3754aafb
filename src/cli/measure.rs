//! Measuring: `heatdesk bench` (the headline figures) and `heatdesk soak` (a burst of
//! commands for the crash and concurrency tests).

use std::path::PathBuf;

use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::store::SqliteStore;

pub fn soak(db: PathBuf, params: heatdesk::soak::SoakParams) -> anyhow::Result<()> {
    let mut store = SqliteStore::open(&db)?;
    heatdesk::soak::run(&mut store, &params, &mut std::io::stdout().lock())
}

pub fn bench(db: Option<PathBuf>) -> anyhow::Result<()> {
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("a date"));
    let path = match db {
        Some(p) => p,
        None => {
            let tmp = std::env::temp_dir().join(format!("heatdesk-bench-{}", std::process::id()));
            std::fs::create_dir_all(&tmp)?;
            let p = tmp.join("city.db");
            eprintln!("writing the city-scale demo to {} …", p.display());
            demo::write_new(&p, &DemoParams::new(Scale::City, now))?;
            p
        }
    };
    let report = heatdesk::bench::console(&path, now)?;
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
