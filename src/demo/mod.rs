//! The demo-city generator: a fictional northern city, deterministic from a seed.

mod layout;
mod pipes;
pub mod rng;
mod season;
mod streets;
mod words;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;

use crate::domain::*;
use layout::{BLOCK, Density, Ground};
use pipes::NetworkBuilder;
use rng::Rng;
use words::Words;

pub use layout::river_y;

/// The four compounds every demo city has (DESIGN.md, "Demo city").
pub const SEED_COMPOUNDS: [&str; 4] = ["工银新村", "沁和园小区", "长城小区", "热电厂家属院"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// ~60 compounds, ~600 buildings: the bundled demo city.
    Demo,
    /// ~3,000 compounds, ≥50,000 buildings, ≥200,000 pipe segments, 300,000 tickets.
    City,
}

#[derive(Debug, Clone, Copy)]
pub struct DemoParams {
    pub seed: u64,
    pub scale: Scale,
    /// The season runs from Nov 15 up to this day's end (or "now" if it is today).
    pub now: NaiveDateTime,
}

impl DemoParams {
    pub const DEFAULT_SEED: u64 = 20261115;

    pub fn new(scale: Scale, now: NaiveDateTime) -> Self {
        DemoParams {
            seed: Self::DEFAULT_SEED,
            scale,
            now,
        }
    }
}

pub struct DemoCity {
    pub snapshot: Snapshot,
    pub events: Vec<TicketEvent>,
    /// The city's own map: roads, river, parks, street blocks.
    pub basemap: Vec<BasemapFeature>,
}

struct Size {
    cols: usize,
    rows: usize,
    compounds: usize,
    density: Density,
    departments: usize,
    teams_per_department: usize,
    pair_stations: f64,
    tickets: Option<usize>,
    visits_per_day: usize,
}

fn size(scale: Scale) -> Size {
    match scale {
        Scale::Demo => Size {
            cols: 10,
            rows: 8,
            compounds: 60,
            density: Density {
                rows: (3, 4),
                per_row: (2, 4),
                low_rise: false,
            },
            departments: 5,
            teams_per_department: 4,
            pair_stations: 0.5,
            tickets: None,
            visits_per_day: 3,
        },
        Scale::City => Size {
            cols: 58,
            rows: 56,
            compounds: 3000,
            density: Density {
                rows: (5, 5),
                per_row: (3, 4),
                low_rise: true,
            },
            departments: 6,
            teams_per_department: 34,
            pair_stations: 1.0,
            tickets: Some(300_000),
            visits_per_day: 12,
        },
    }
}

fn numeral(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n - 10]),
        _ if n.is_multiple_of(10) => format!("{}十", D[(n / 10) % 10]),
        _ => format!("{}十{}", D[(n / 10) % 10], D[n % 10]),
    }
}

pub fn generate(params: &DemoParams) -> DemoCity {
    let words = Words::load();
    let size = size(params.scale);
    let mut root = Rng::new(params.seed);
    let mut rng_layout = root.fork(1);
    let mut rng_net = root.fork(2);
    let mut rng_people = root.fork(3);
    let mut rng_season = root.fork(4);
    let ground = Ground {
        lon0: 112.53,
        lat0: 37.85,
    };

    let departments: Vec<Department> = (0..size.departments)
        .map(|i| Department {
            id: i as i64 + 1,
            name: words.departments[i % words.departments.len()].to_string(),
        })
        .collect();

    // blocks for compounds: not on the river, a few left as parks
    let mut candidates = Vec::new();
    for row in 0..size.rows {
        for col in 0..size.cols {
            let cx = (col as f64 + 0.5) * BLOCK;
            let cy = (row as f64 + 0.5) * BLOCK;
            if (cy - river_y(size.rows, cx)).abs() > BLOCK * 0.62 {
                candidates.push((col, row));
            }
        }
    }
    let spare = candidates.len().saturating_sub(size.compounds);
    if spare > 0 {
        let step = candidates.len() as f64 / spare as f64;
        let parks: BTreeSet<usize> = (0..spare)
            .map(|k| ((k as f64 + 0.5) * step) as usize)
            .collect();
        candidates = candidates
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !parks.contains(i))
            .map(|(_, b)| b)
            .collect();
    }
    let trunk_row = size.rows / 3;
    let blocks: Vec<layout::BlockPlan> = candidates
        .iter()
        .map(|&(c, r)| layout::plan_block(&mut rng_layout, c, r, &size.density))
        .collect();

    // names: the seed compounds at fixed places, the list next, then generated names
    let mut names: Vec<String> = Vec::with_capacity(blocks.len());
    let listed: Vec<&str> = words
        .compound_names
        .iter()
        .copied()
        .filter(|n| !SEED_COMPOUNDS.contains(n))
        .collect();
    let combos = words.prefixes.len() * words.suffixes.len();
    for i in 0..blocks.len() {
        names.push(match listed.get(i) {
            Some(n) => n.to_string(),
            None => {
                let k = i - listed.len();
                let base = format!(
                    "{}{}",
                    words.prefixes[k % words.prefixes.len()],
                    words.suffixes[(k / words.prefixes.len()) % words.suffixes.len()]
                );
                if k < combos {
                    base
                } else {
                    format!("{base}{}区", numeral(k / combos + 1))
                }
            }
        });
    }
    // 热电厂家属院 beside the plant (west end of the trunk road), the others spread out
    let nearest = |col: usize, row: usize| {
        blocks
            .iter()
            .enumerate()
            .min_by_key(|(_, b)| {
                (b.col as i64 - col as i64).abs() + (b.row as i64 - row as i64).abs()
            })
            .map(|(i, _)| i)
            .unwrap_or(0)
    };
    let seed_places = [
        nearest(size.cols / 2, size.rows / 2),
        nearest(size.cols / 4, 1),
        nearest(size.cols * 3 / 4, size.rows - 1),
        nearest(0, trunk_row),
    ];
    for (name, &place) in SEED_COMPOUNDS.iter().zip(&seed_places) {
        names[place] = name.to_string();
    }

    // stations: one per compound or per pair of neighbouring compounds
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let pairable = i + 1 < blocks.len()
            && blocks[i + 1].row == blocks[i].row
            && blocks[i + 1].col == blocks[i].col + 1;
        if pairable && rng_net.chance(size.pair_stations) {
            groups.push(vec![i, i + 1]);
            i += 2;
        } else {
            groups.push(vec![i]);
            i += 1;
        }
    }

    let mut net = NetworkBuilder::new(ground);
    let west_at = [-BLOCK * 0.8, trunk_row as f64 * BLOCK];
    let east_at = [(size.cols as f64 + 0.8) * BLOCK, trunk_row as f64 * BLOCK];
    let west_node = net.node(NodeKind::Source, west_at);
    let east_node = net.node(NodeKind::Source, east_at);
    let sources = vec![
        HeatSource {
            id: 1,
            name: "城西热电厂".into(),
            node: west_node,
            capacity_mw: 700.0,
            position: ground.lonlat(west_at),
        },
        HeatSource {
            id: 2,
            name: "城东调峰锅炉房".into(),
            node: east_node,
            capacity_mw: 280.0,
            position: ground.lonlat(east_at),
        },
    ];

    // each station hangs off the road intersection at its block's south-east corner
    let department_of = |col: usize| (col * size.departments / size.cols) as i64 + 1;
    let mut station_nodes = Vec::new();
    let mut needed = BTreeSet::new();
    for group in &groups {
        let block = &blocks[group[0]];
        let at = block.station_spot();
        station_nodes.push((net.node(NodeKind::Station, at), at));
        needed.insert((block.col + 1, block.row));
    }
    let split = size.cols / 2;
    let west_cols: Vec<usize> = (0..=split).collect();
    let east_cols: Vec<usize> = (split + 1..=size.cols).rev().collect();
    let west_needed: BTreeSet<_> = needed
        .iter()
        .copied()
        .filter(|&(c, _)| c <= split)
        .collect();
    let east_needed: BTreeSet<_> = needed.iter().copied().filter(|&(c, _)| c > split).collect();
    let mut reached = pipes::primary_tree(
        &mut net,
        &mut rng_net,
        west_node,
        west_at,
        &west_cols,
        trunk_row,
        &west_needed,
    );
    reached.extend(pipes::primary_tree(
        &mut net,
        &mut rng_net,
        east_node,
        east_at,
        &east_cols,
        trunk_row,
        &east_needed,
    ));

    let mut stations = Vec::new();
    let mut compounds = Vec::new();
    let mut buildings = Vec::new();
    let mut compound_of_block = vec![0i64; blocks.len()];
    for (gi, group) in groups.iter().enumerate() {
        let first = &blocks[group[0]];
        let station_id = gi as i64 + 1;
        let (node, at) = station_nodes[gi];
        let corner = (first.col + 1, first.row);
        let corner_node = reached[&corner];
        pipes::station_lateral(
            &mut net,
            &mut rng_net,
            (
                corner_node,
                [corner.0 as f64 * BLOCK, corner.1 as f64 * BLOCK],
            ),
            (node, at),
        );
        stations.push(Station {
            id: station_id,
            name: format!("{}换热站", names[group[0]].trim_end_matches("小区")),
            department_id: department_of(first.col),
            node,
            position: ground.lonlat(at),
        });
        for &bi in group {
            let block = &blocks[bi];
            let entries = pipes::compound_secondary(&mut net, &mut rng_net, (node, at), block);
            let compound_id = bi as i64 + 1;
            compound_of_block[bi] = compound_id;
            let mut households = 0;
            for (k, (plan, entry)) in block.buildings.iter().zip(entries).enumerate() {
                households += plan.households;
                buildings.push(Building {
                    id: 0,
                    compound_id,
                    number: format!("{}号楼", k + 1),
                    units: plan.units,
                    floors: plan.floors,
                    households: plan.households,
                    station_id,
                    entry_node: entry,
                    footprint: ground.path(&plan.footprint),
                    extra: Default::default(),
                });
            }
            let chamfer = if rng_layout.chance(0.3) {
                rng_layout.range(30.0, 80.0)
            } else {
                0.0
            };
            compounds.push(Compound {
                id: compound_id,
                name: names[bi].clone(),
                address: format!(
                    "{}{}号",
                    words.streets[(block.col + block.row * 7) % words.streets.len()],
                    rng_layout.int(1, 300)
                ),
                department_id: department_of(block.col),
                households,
                outline: ground.path(&block.outline_ring(chamfer)),
                extra: Default::default(),
            });
        }
    }
    compounds.sort_by_key(|c| c.id);
    buildings.sort_by_key(|b| (b.compound_id, b.entry_node));
    for (i, b) in buildings.iter_mut().enumerate() {
        b.id = i as i64 + 1;
    }

    // teams: every department covers every skill
    let mut teams = Vec::new();
    for dept in &departments {
        let dept_stations: Vec<&Station> = stations
            .iter()
            .filter(|s| s.department_id == dept.id)
            .collect();
        let short = dept.name.trim_end_matches("供热服务部");
        for k in 0..size.teams_per_department {
            let mut skills = vec![Skill::ALL[k % Skill::ALL.len()]];
            for &s in Skill::ALL {
                if !skills.contains(&s) && rng_people.chance(0.3) {
                    skills.push(s);
                }
            }
            let base = dept_stations
                .get(k % dept_stations.len().max(1))
                .map(|s| s.position)
                .unwrap_or(sources[0].position);
            let status = *rng_people.pick(&[
                TeamStatus::Free,
                TeamStatus::Free,
                TeamStatus::OnRoute,
                TeamStatus::OnSite,
                TeamStatus::OffShift,
            ]);
            let jitter = [
                rng_people.range(-0.004, 0.004),
                rng_people.range(-0.003, 0.003),
            ];
            teams.push(Team {
                id: teams.len() as i64 + 1,
                name: format!("{short}维修{}班", numeral(k + 1)),
                department_id: dept.id,
                members: (0..rng_people.int(2, 4))
                    .map(|_| season::person(&mut rng_people, &words))
                    .collect(),
                skills,
                home_base: base,
                position: if status == TeamStatus::OffShift {
                    base
                } else {
                    [base[0] + jitter[0], base[1] + jitter[1]]
                },
                status,
            });
        }
    }

    // trouble: a few bad stations (network faults) plus each compound's own luck
    let station_trouble: HashMap<i64, f64> = stations
        .iter()
        .map(|s| {
            (
                s.id,
                if rng_season.chance(0.12) {
                    rng_season.range(0.4, 0.8)
                } else {
                    0.0
                },
            )
        })
        .collect();
    let station_of_compound: HashMap<i64, i64> = buildings
        .iter()
        .map(|b| (b.compound_id, b.station_id))
        .collect();
    let trouble: Vec<f64> = compounds
        .iter()
        .map(|c| {
            let own = rng_season.unit().powi(3) * 0.6;
            (own + station_of_compound
                .get(&c.id)
                .map_or(0.0, |s| station_trouble[s]))
            .min(1.0)
        })
        .collect();

    let start = season_start(params.now.date());
    let households: u32 = compounds.iter().map(|c| c.households).sum();
    let days = (params.now.date() - start).num_days().max(0) + 1;
    // about 0.3 reports per household over a 120-day season
    let tickets = size
        .tickets
        .unwrap_or(((households as f64) * 0.3 * days as f64 / 120.0).ceil() as usize);
    let mut season = season::generate(
        &mut rng_season,
        &season::SeasonInput {
            words: &words,
            compounds: &compounds,
            buildings: &buildings,
            teams: &teams,
            trouble: &trouble,
            start,
            now: params.now,
            tickets,
            visits_per_day: size.visits_per_day,
        },
    );

    if let Some(c) = compounds.iter().find(|c| c.name == SEED_COMPOUNDS[2]) {
        let of_compound: Vec<&Building> =
            buildings.iter().filter(|b| b.compound_id == c.id).collect();
        season::plant_network_fault(
            &mut root.fork(5),
            &mut season,
            &words,
            &of_compound,
            params.now,
        );
    }
    let mut snapshot = Snapshot {
        departments,
        compounds,
        buildings,
        sources,
        stations,
        nodes: net.nodes,
        segments: net.segments,
        valves: net.valves,
        teams,
        tickets: season.tickets,
        visits: season.visits,
        readings: season.readings,
        surveys: season.surveys,
        rules: crate::domain::lifecycle::default_rules(),
        ..Snapshot::default()
    };
    snapshot.reindex();
    let built: std::collections::HashSet<(usize, usize)> = candidates.iter().copied().collect();
    DemoCity {
        snapshot,
        events: season.events,
        basemap: streets::features(ground, size.cols, size.rows, trunk_row, &built, &words),
    }
}

pub use crate::domain::season::noon;
use crate::domain::season::season_start;

/// Generate a city and write it to a new database file at `out`. The file appears only
/// when complete: it is written beside `out` and renamed into place.
pub fn write_new(
    out: &std::path::Path,
    params: &DemoParams,
) -> Result<DemoSummary, crate::store::StoreError> {
    write_into(&crate::store::Location::File(out.to_path_buf()), params)
}

/// Generate a city and write it into a new database: a new file, or an empty HeatDesk
/// database on a server.
pub fn write_into(
    location: &crate::store::Location,
    params: &DemoParams,
) -> Result<DemoSummary, crate::store::StoreError> {
    use crate::store::{Everything, Location, SqliteStore, StoreError};
    if let Location::File(out) = location
        && out.exists()
    {
        return Err(StoreError::Exists {
            path: out.display().to_string(),
        });
    }
    let city = generate(params);
    let all = Everything {
        city: city.snapshot,
        events: city.events,
        basemap: city.basemap,
        ..Default::default()
    };
    let s = &all.city;
    let summary = DemoSummary {
        compounds: s.compounds.len(),
        buildings: s.buildings.len(),
        households: s.compounds.iter().map(|c| c.households as u64).sum(),
        stations: s.stations.len(),
        segments: s.segments.len(),
        teams: s.teams.len(),
        tickets: s.tickets.len(),
        events: all.events.len(),
    };
    match location {
        Location::File(out) => {
            let mut partial = out.as_os_str().to_owned();
            partial.push(".partial");
            let partial = std::path::PathBuf::from(partial);
            let _ = std::fs::remove_file(&partial);
            let result = (|| {
                let mut store = SqliteStore::create(&partial)?;
                crate::store::DispatchStore::seed(&mut store, &all)?;
                store.checkpoint()?;
                Ok::<_, StoreError>(())
            })();
            if let Err(e) = result {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
            std::fs::rename(&partial, out)
                .map_err(|e| StoreError::Invalid(format!("{}: {e}", out.display())))?;
        }
        Location::Remote(address) => {
            return Err(StoreError::Forbidden {
                server: address.to_string(),
                detail: "the demo city is written into a file or a database, not a server".into(),
            });
        }
        Location::Server(_) => {
            // an empty HeatDesk database (made now if the database is empty)
            let mut store = match crate::store::open(location) {
                Err(StoreError::Empty { .. }) => crate::store::create(location)?,
                other => other?,
            };
            store.seed(&all)?;
        }
    }
    Ok(summary)
}

#[derive(Debug, Clone, Copy)]
pub struct DemoSummary {
    pub compounds: usize,
    pub buildings: usize,
    pub households: u64,
    pub stations: usize,
    pub segments: usize,
    pub teams: usize,
    pub tickets: usize,
    pub events: usize,
}
