//! `heatdesk bench`: the headline figures on this machine — start-up phases and whole-console
//! frames on a city-scale database — without criterion, so any machine can print them.

use std::time::{Duration, Instant};

use crate::console::views::search;
use crate::console::{Request, recent_since};
use crate::domain::Timestamp;
use crate::store::Location;
use crate::ui::{HeatDeskApp, Prefs};

/// One measured step.
pub struct Phase {
    pub name: &'static str,
    pub took: Duration,
}

fn timed<T>(phases: &mut Vec<Phase>, name: &'static str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    phases.push(Phase {
        name,
        took: started.elapsed(),
    });
    out
}

/// What `heatdesk bench` measured.
pub struct Report {
    /// Steps up to the first frame.
    pub start: Vec<Phase>,
    /// What follows in the background.
    pub background: Vec<Phase>,
    /// Median whole-console frame while panning, per zoom.
    pub frames: Vec<(f64, Duration)>,
    /// Single user actions, medians.
    pub actions: Vec<Phase>,
}

/// Open `db` as the console does, and time each step up to the first frame, then frames while
/// panning and zooming (median of each zoom), then user actions.
pub fn console(db: &Location, now: Timestamp) -> anyhow::Result<Report> {
    let mut phases = Vec::new();
    let store = timed(&mut phases, "open the database", || crate::store::open(db))?;
    let since = recent_since(now);
    let snap = timed(
        &mut phases,
        "load what the first frame needs (the city ∥ open and recent tickets)",
        || store.load_recent(since),
    )?;
    let mut app = timed(
        &mut phases,
        "prepare the console (network and alerts ∥ map index; board, counts, KPIs)",
        || HeatDeskApp::new(store, snap, Prefs::default(), Box::new(move || now)),
    );
    let older_started = Instant::now();
    app = app.with_older(since);
    let ctx = egui::Context::default();
    crate::ui::install_fonts(&ctx);
    let input = |t: f64| egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 1000.0),
        )),
        time: Some(t),
        ..Default::default()
    };
    // (no GPU here: the font texture deltas are dropped on purpose)
    timed(&mut phases, "first frame (the whole console drawn)", || {
        ctx.run_ui(input(0.0), |ui| app.show(ui))
    })
    .textures_delta
    .clear();
    // the season's history, read on its own thread as facts; the frame that takes them in,
    // and the next (drawn with the views made anew), as the console draws them
    let mut background = Vec::new();
    let mut t = 0.0;
    let mut taking_in = Duration::ZERO;
    while app.console.loading_older() {
        t += 1.0 / 60.0;
        let started = Instant::now();
        ctx.run_ui(input(t), |ui| app.show(ui))
            .textures_delta
            .clear();
        if app.console.loading_older() {
            std::thread::sleep(Duration::from_millis(5));
        } else {
            taking_in = started.elapsed();
        }
    }
    background.push(Phase {
        name: "the season's history read as facts and taken in (after start)",
        took: older_started.elapsed(),
    });
    let started = Instant::now();
    ctx.run_ui(input(t + 1.0 / 60.0), |ui| app.show(ui))
        .textures_delta
        .clear();
    background.push(Phase {
        name: "the longer of the frame taking it in and the next",
        took: taking_in.max(started.elapsed()),
    });
    let mut frames = Vec::new();
    let centre = app.city_centre();
    for zoom in [12.5, 14.0, 15.5, 17.0] {
        let mut took = Vec::new();
        for step in 0..30 {
            // a slow pan eastwards
            let p = [centre[0] + step as f64 * 0.0015, centre[1]];
            app.map.fly_to(p, zoom);
            let started = Instant::now();
            ctx.run_ui(input(1.0 + step as f64 / 60.0), |ui| app.show(ui))
                .textures_delta
                .clear();
            took.push(started.elapsed());
        }
        took.sort();
        frames.push((zoom, took[took.len() / 2]));
    }
    // a drag-assign as the dispatcher does it: the command, then the views catching up
    let queued = app.console.views().board.queued.clone();
    let team = app.snap().teams[0].id;
    let mut took = Vec::new();
    for &id in queued.iter().take(15) {
        let version = app.snap().ticket(id).map_or(1, |t| t.version);
        let started = Instant::now();
        app.console.push(Request::Assign {
            ticket: id,
            seen_version: version,
            team,
        });
        // the console's one step: the command committed, every view brought up to date
        app.console.step(0.0, 0, 1);
        took.push(started.elapsed());
    }
    took.sort();
    let mut actions = Vec::new();
    if let Some(median) = took.get(took.len() / 2) {
        actions.push(Phase {
            name: "a drag-assign, committed and every view brought up to date",
            took: *median,
        });
    }
    // the same as the screen has it: the frame whose step applies it, and the next drawing it
    let mut took = Vec::new();
    for (k, &id) in queued.iter().skip(15).take(15).enumerate() {
        let version = app.snap().ticket(id).map_or(1, |t| t.version);
        let mut longest = Duration::ZERO;
        app.assign(id, version, team);
        for f in 0..2 {
            let started = Instant::now();
            ctx.run_ui(input(50.0 + (2 * k + f) as f64 / 60.0), |ui| app.show(ui))
                .textures_delta
                .clear();
            longest = longest.max(started.elapsed());
        }
        took.push(longest);
    }
    took.sort();
    if let Some(median) = took.get(took.len() / 2) {
        actions.push(Phase {
            name: "a drag-assign in the window: the longer of its frame and the next",
            took: *median,
        });
    }
    // search keystrokes: the names were prepared on a thread at start, each query is a scan
    let started = Instant::now();
    let _ = search::SearchIndex::build(search::Names::of(app.snap()));
    actions.push(Phase {
        name: "preparing the search names (once per city, on a thread of its own)",
        took: started.elapsed(),
    });
    let (snap, views) = app.console.views_mut();
    search::results(snap, &mut views.search, "长", 8);
    let mut took = Vec::new();
    for query in [
        "长",
        "长城",
        "长城小区",
        "长城小区 3",
        "3号楼",
        "不存在的小区",
        "zzz",
    ] {
        let started = Instant::now();
        let (snap, views) = app.console.views_mut();
        search::results(snap, &mut views.search, query, 8);
        took.push(started.elapsed());
    }
    took.sort();
    actions.push(Phase {
        name: "a search keystroke (median; no match scans every name)",
        took: took[took.len() / 2],
    });
    // another console commits: this one catches up on its next poll, within one frame —
    // in the dispatch view, then with the leaders' view open (its season figures follow)
    let mut other = crate::store::open(db)?;
    let mut commit_elsewhere = |app: &HeatDeskApp, nth: usize| -> anyhow::Result<bool> {
        let Some(t) = queued.get(nth).and_then(|&id| app.snap().ticket(id)) else {
            return Ok(false);
        };
        let command = crate::domain::Command::Act {
            ticket: t.id,
            seen_version: t.version,
            action: crate::domain::Action::Assign { team },
        };
        let origin = crate::domain::Origin {
            actor: "bench".into(),
            at: now,
        };
        other.apply(&command, &origin)?;
        Ok(true)
    };
    let views = [
        (
            crate::ui::app::View::Dispatch,
            "another console's commit: the longer of the frame taking it in and the next",
        ),
        (
            crate::ui::app::View::Leaders,
            "the same, the leaders' view open (season figures made again)",
        ),
    ];
    for (i, (view, name)) in views.into_iter().enumerate() {
        app.prefs.view = view;
        let t = 100.0 + 3.0 * i as f64;
        ctx.run_ui(input(t), |ui| app.show(ui))
            .textures_delta
            .clear();
        if !commit_elsewhere(&app, 40 + i)? {
            continue;
        }
        // the frame whose step takes the commit in, and the next, which draws it (and makes
        // what is made when drawn): the longer of the two
        let mut longest = Duration::ZERO;
        for k in 0..2 {
            let started = Instant::now();
            ctx.run_ui(input(t + 1.5 + k as f64 / 60.0), |ui| app.show(ui))
                .textures_delta
                .clear();
            longest = longest.max(started.elapsed());
        }
        actions.push(Phase {
            name,
            took: longest,
        });
    }
    // every team's phone reports where it is (the crews' server commits them): the frame that
    // takes the moved markers in, and the next, which draws them — three rounds, the longest
    app.prefs.view = crate::ui::app::View::Dispatch;
    app.map.fly_to(centre, 13.0);
    let teams: Vec<(crate::domain::TeamId, crate::domain::LonLat)> = app
        .snap()
        .teams
        .iter()
        .map(|t| (t.id, t.position))
        .collect();
    let mut longest = Duration::ZERO;
    // through the room's server the phones speak on the phone page, never as a console
    let rounds = if matches!(db, Location::Remote(_)) {
        0
    } else {
        3
    };
    for round in 0..rounds {
        let t = 120.0 + 3.0 * round as f64;
        ctx.run_ui(input(t), |ui| app.show(ui))
            .textures_delta
            .clear();
        for (k, (team, at)) in teams.iter().enumerate() {
            let moved = [
                at[0] + 0.0004 * (round + 1) as f64,
                at[1] + 0.0003 * (k % 3) as f64,
            ];
            other.apply(
                &crate::domain::Command::ReportPosition(crate::domain::crew::TeamPosition {
                    team_id: *team,
                    position: moved,
                    accuracy_m: 10.0,
                    at: now,
                    by: format!("phone{k:03}"),
                }),
                &crate::domain::Origin {
                    actor: "bench".into(),
                    at: now,
                },
            )?;
        }
        for k in 0..2 {
            let started = Instant::now();
            ctx.run_ui(input(t + 1.5 + k as f64 / 60.0), |ui| app.show(ui))
                .textures_delta
                .clear();
            longest = longest.max(started.elapsed());
        }
    }
    if !teams.is_empty() && rounds > 0 {
        actions.push(Phase {
            name: "every team's phone reports its position (every marker moves): the longer frame",
            took: longest,
        });
    }
    Ok(Report {
        start: phases,
        background,
        frames,
        actions,
    })
}

/// This process's resident memory now and at its peak (Linux: VmRSS, VmHWM), in MB.
pub fn resident_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
