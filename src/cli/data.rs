//! The data in and out: the demo city, an empty database, the basemap, imports and exports,
//! backups and restores.

use std::path::{Path, PathBuf};

use heatdesk::demo::{self, Scale};
use heatdesk::exchange::{self, Kind};
use heatdesk::store::Location;
use heatdesk::words::Lang;

/// Generate the demo city into a new database.
pub fn demo(
    out: &Location,
    scale: Scale,
    seed: u64,
    date: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let now = match date {
        Some(d) => demo::noon(d),
        None => chrono::Local::now().naive_local(),
    };
    let started = std::time::Instant::now();
    let s = demo::write_into(out, &super::demo_params(scale, seed, now))?;
    println!(
        "wrote {}: {} compounds, {} buildings, {} households, {} stations, {} pipe segments, {} teams, {} tickets, {} events in {:.1} s",
        out,
        s.compounds,
        s.buildings,
        s.households,
        s.stations,
        s.segments,
        s.teams,
        s.tickets,
        s.events,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn init(db: Location) -> anyhow::Result<()> {
    heatdesk::store::create(&db)?;
    println!("created empty HeatDesk database {db}");
    Ok(())
}

/// Render the city's own layers of `db` into an MBTiles file at `out`.
pub fn render_basemap(
    db: &Location,
    out: &Path,
    min_zoom: u8,
    max_zoom: u8,
) -> anyhow::Result<heatdesk::map::basemap::BasemapSummary> {
    let store = heatdesk::store::open(db)?;
    let city = store.load_places()?;
    let features = store.basemap_features()?;
    heatdesk::map::basemap::write_basemap(&city, &features, out, min_zoom, max_zoom)
        .map_err(anyhow::Error::msg)
}

pub fn basemap(db: &Location, out: &Path, min_zoom: u8, max_zoom: u8) -> anyhow::Result<()> {
    anyhow::ensure!(
        min_zoom <= max_zoom && max_zoom <= 20,
        "zooms must satisfy min ≤ max ≤ 20 (got {min_zoom}..{max_zoom})"
    );
    let started = std::time::Instant::now();
    let s = render_basemap(db, out, min_zoom, max_zoom)?;
    println!(
        "wrote {}: {} tiles, zoom {}–{}, in {:.1} s",
        out.display(),
        s.tiles,
        s.min_zoom,
        s.max_zoom,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// How `heatdesk import` reads a file.
pub struct ImportArgs {
    pub check: bool,
    pub crs: Option<String>,
    pub mapping: Option<String>,
    pub save_mapping: Option<PathBuf>,
    pub sheet: Option<String>,
    pub department: Option<i64>,
    pub skip_unmatched: bool,
    pub snap_m: f64,
    pub lang: Lang,
}

pub fn import(db: Location, kind: Kind, file: &Path, args: ImportArgs) -> anyhow::Result<()> {
    let lang = args.lang;
    let said = |s: exchange::Bilingual| anyhow::anyhow!(s.get(lang).to_string());
    let mut options = exchange::Options::new(kind, chrono::Local::now().naive_local());
    options.check = args.check;
    options.crs = args
        .crs
        .as_deref()
        .map(exchange::crs::Crs::parse)
        .transpose()
        .map_err(said)?;
    options.columns = match args.mapping.as_deref() {
        None => exchange::records::Columns::Own,
        Some("auto") => exchange::records::Columns::Guess,
        Some(path) => exchange::records::Columns::Given(
            exchange::mapping::Mapping::load(Path::new(path)).map_err(said)?,
        ),
    };
    options.part = exchange::source::Part(args.sheet);
    options.department = args.department;
    options.skip_unmatched = args.skip_unmatched;
    options.snap_m = args.snap_m;
    options.actor = super::whoami();
    let mut store = heatdesk::store::open(&db)?;
    match exchange::import(
        store.as_mut(),
        file,
        &options,
        &exchange::Progress::default(),
    ) {
        Ok(report) => {
            report.lines(lang).iter().for_each(|l| println!("{l}"));
            if let (Some(to), Some(mapping)) = (&args.save_mapping, &report.mapping) {
                let mut mapping = mapping.clone();
                if mapping.name.is_empty() {
                    mapping.name = file
                        .file_stem()
                        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                }
                mapping.save(to)?;
                println!(
                    "{} {}",
                    lang.pick("对应关系已保存：", "mapping saved to"),
                    to.display()
                );
            }
            Ok(())
        }
        Err(failure) => {
            failure.lines(lang).iter().for_each(|l| eprintln!("{l}"));
            anyhow::bail!(lang.pick("导入失败", "import failed"))
        }
    }
}

/// A layer as a file `import` takes back, or tickets as the queue lists them.
pub fn export(
    db: Location,
    layer: Option<Kind>,
    open: bool,
    out: &Path,
    lang: Lang,
    unmasked: bool,
) -> anyhow::Result<()> {
    let snap = super::load(&db)?;
    match layer {
        Some(kind) => {
            let n = exchange::writer::write(&snap, kind, out, unmasked)?;
            println!("wrote {}: {n} {}", out.display(), kind.code());
        }
        None => {
            let ids: Vec<i64> = snap
                .tickets
                .iter()
                .filter(|t| !open || t.status.is_open())
                .map(|t| t.id)
                .collect();
            let table = heatdesk::export::layers::tickets(&snap, &ids, lang);
            heatdesk::export::write(out, &[table])?;
            println!("wrote {}: {} tickets", out.display(), ids.len());
        }
    }
    Ok(())
}

pub fn backup(db: PathBuf, out: Option<PathBuf>, keep: usize) -> anyhow::Result<()> {
    use heatdesk::store::backup;
    let now = chrono::Local::now().naive_local();
    let to = match out {
        Some(to) => {
            backup::backup(&db, &to)?;
            to
        }
        None => {
            let dir = db.parent().unwrap_or(Path::new(".")).join("backups");
            backup::rotating(&db, &dir, keep, now)?
        }
    };
    println!(
        "backed up {} to {} (checked: it opens)",
        db.display(),
        to.display()
    );
    Ok(())
}

pub fn restore(db: PathBuf, from: &Path) -> anyhow::Result<()> {
    let now = chrono::Local::now().naive_local();
    let aside = heatdesk::store::backup::restore(&db, from, now)?;
    println!(
        "restored {} from {}; the previous file is kept as {}",
        db.display(),
        from.display(),
        aside.display()
    );
    Ok(())
}

/// Copy a whole database into a new, empty one, then check the copy against the original.
pub fn migrate(from: &Location, to: &Location) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    anyhow::ensure!(
        from != to,
        "migrate: --from and --to are the same database ({from})"
    );
    let source = heatdesk::store::open(from)?;
    // the chain is carried unchanged: a broken one is not copied into a clean-looking record
    let chain = source.verify_audit()?;
    anyhow::ensure!(
        chain.broken.is_none(),
        "migrate: {from}: {} — nothing copied (`heatdesk audit verify` names it)",
        chain.line(true)
    );
    let all = source.everything()?;
    let mut target = heatdesk::store::create(to)?;
    drop(source);
    // the copy, read back, against what was read from the original (in one transaction)
    let copied = target.seed(&all).and_then(|()| {
        let copy = target.everything()?;
        let check = heatdesk::store::migrate::compare_data(&all, &copy)?;
        let heads = target.audit_heads()?;
        if heads != chain.heads {
            return Err(heatdesk::store::StoreError::Invalid(format!(
                "the copy's audit chain ends elsewhere: {heads:?} in the copy, {:?} in the original",
                chain.heads
            )));
        }
        Ok(check)
    });
    let check = match copied {
        Ok(check) => check,
        Err(e) => {
            drop(target);
            // a new file that is not a whole copy is not kept (a server's transaction rolled
            // back; its empty tables stay for the next try)
            if let Location::File(path) = to {
                heatdesk::store::sqlite::remove_database(path);
            }
            return Err(anyhow::anyhow!("migrate {from} → {to}: {e}"));
        }
    };
    println!(
        "copied {from} into {to} in {:.1} s; checked: {}; the audit chain ({} events) carried \
         unchanged",
        started.elapsed().as_secs_f64(),
        check.summary(),
        chain.events
    );
    Ok(())
}

/// Walk the audit chains: `audit: N events, chain intact` and the chains' last hashes, or the
/// first break and exit 1.
pub fn audit_verify(db: Location, lang: Lang) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let store = heatdesk::store::open(&db)?;
    let report = store.verify_audit()?;
    let english = lang == Lang::En;
    for h in &report.heads {
        let last = h
            .last_event
            .map_or_else(|| "—".to_string(), |id| format!("#{id}"));
        if english {
            println!(
                "{} last event {last}: {}",
                h.chain.table(),
                heatdesk::store::chain::hex(&h.hash)
            );
        } else {
            println!(
                "{} 最后一条 {last}：{}",
                h.chain.table(),
                heatdesk::store::chain::hex(&h.hash)
            );
        }
    }
    if english {
        println!("walked in {:.1} s", started.elapsed().as_secs_f64());
    } else {
        println!("用时 {:.1} 秒", started.elapsed().as_secs_f64());
    }
    println!("{}", report.line(english));
    if report.broken.is_some() {
        std::process::exit(1);
    }
    Ok(())
}
