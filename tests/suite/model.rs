//! The console's model without a screen: requests wait for the frame's one step, and after
//! any mix of changes — this console's commands, another console's commits, the season's
//! history folded in, another colouring, time passing, a full reload — every derived view
//! equals the same view made from scratch.

use std::cell::Cell;
use std::rc::Rc;

use chrono::{Duration, NaiveDate};
use heatdesk::console::views::leaders::Period;
use heatdesk::console::views::queue::{QueueFilter, QueueSort};
use heatdesk::console::views::search::results;
use heatdesk::console::views::{Views, board::Board};
use heatdesk::console::{Console, Event, Request, Tag, recent_since};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::colouring::Metric;
use heatdesk::domain::command::{HouseholdVisit, NewVisit, Problem, RoomReading};
use heatdesk::domain::kpi::KpiRules;
use heatdesk::domain::planner::PlanWeights;
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, SqliteStore};

fn noon() -> Timestamp {
    demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
}

/// A clock the test moves.
fn clock(at: &Rc<Cell<Timestamp>>) -> heatdesk::console::Clock {
    let at = at.clone();
    Box::new(move || at.get())
}

fn demo_db(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("demo.db");
    demo::write_new(&path, &DemoParams::new(Scale::Demo, noon())).unwrap();
    path
}

/// A console on the whole demo city in `dir`, its clock at noon: the database's path, the
/// clock to move, the console.
fn demo_console(dir: &std::path::Path) -> (std::path::PathBuf, Rc<Cell<Timestamp>>, Console) {
    let path = demo_db(dir);
    let (time, console) = console_on(Box::new(SqliteStore::open(&path).unwrap()));
    (path, time, console)
}

/// A console on `store`, its clock at noon: the clock to move, the console.
fn console_on(store: Box<dyn DispatchStore>) -> (Rc<Cell<Timestamp>>, Console) {
    let time = Rc::new(Cell::new(noon()));
    let snap = store.load().unwrap();
    let console = Console::new(store, snap, clock(&time), Metric::OpenFaults, |_| {});
    (time, console)
}

/// The board's lists in a canonical order (kept lists grow at their ends).
fn board_key(b: &Board) -> impl PartialEq + std::fmt::Debug {
    let sorted = |v: &[TicketId]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v
    };
    let map = |m: &std::collections::HashMap<i64, Vec<TicketId>>| {
        let mut v: Vec<(i64, Vec<TicketId>)> = m
            .iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(k, l)| (*k, sorted(l)))
            .collect();
        v.sort();
        v
    };
    (
        sorted(&b.queued),
        b.open.clone(),
        map(&b.linked),
        map(&b.open_by_team),
    )
}

/// Every view of `console` (on the database at `db`) against the same views made from
/// scratch on its snapshot — with the season's settled facts read anew from the database when
/// the console holds only what was received, due or changed since `settled_before` — and its
/// figures against a count over every row in the database.
fn assert_views_equal_a_recount(
    console: &mut Console,
    db: &std::path::Path,
    settled_before: Option<Timestamp>,
    what: &str,
) {
    let now = console.now();
    let colouring = console.colouring();
    let snap = console.snapshot().clone();
    let store = SqliteStore::open(db).unwrap();
    let whole = store.load().unwrap();
    let mut facts = heatdesk::domain::kpi::KpiFacts::of(&snap);
    if let Some(since) = settled_before {
        let placement = heatdesk::domain::kpi::Placement::of_snapshot(&snap);
        let mut season = heatdesk::domain::older::SettledSeason::new(
            snap.surveys.iter().map(|s| s.id).collect(),
        );
        store
            .read_older(since, &mut |row| match row {
                heatdesk::store::OlderRow::Ticket(t) => season.ticket(&t, &placement),
                heatdesk::store::OlderRow::Answer(a) => season.answer(&a, &placement),
            })
            .unwrap();
        facts.settle(season.facts(), &snap, 0);
    }
    let fresh = Views::recount_with(&snap, facts, now, colouring);
    let kept = console.views();
    assert_eq!(
        board_key(&kept.board),
        board_key(&fresh.board),
        "{what}: board"
    );
    assert_eq!(kept.counts, fresh.counts, "{what}: map counts");
    assert_eq!(kept.sums, fresh.sums, "{what}: answer sums");
    assert_eq!(kept.colours, fresh.colours, "{what}: colours");
    assert_eq!(kept.today, fresh.today, "{what}: today's figures");
    assert_eq!(
        kept.alerts.clusters, fresh.alerts.clusters,
        "{what}: alerts"
    );
    let rules = snap.kpi_rules;
    let (from, to) = Period::Season.range(now);
    let season = heatdesk::domain::season::season_start(now.date());
    assert_eq!(
        kept.facts.breakdown(&snap, (from, to), now, &rules),
        fresh.facts.breakdown(&snap, (from, to), now, &rules),
        "{what}: KPI facts (breakdown)"
    );
    assert_eq!(
        kept.facts.daily(&snap, (season, now.date()), now, &rules),
        fresh.facts.daily(&snap, (season, now.date()), now, &rules),
        "{what}: KPI facts (daily)"
    );
    assert_eq!(
        kept.facts.breakdown(&snap, (from, to), now, &rules),
        heatdesk::domain::kpi::breakdown(&whole, from, to, now, &rules),
        "{what}: KPI facts against every ticket in the database"
    );
    assert_eq!(
        kept.facts.daily(&snap, (season, now.date()), now, &rules),
        heatdesk::domain::kpi::daily(&whole, season, now.date(), now, &rules),
        "{what}: the daily trend against every ticket in the database"
    );
    // the views made when drawn: the leaders' figures, the planner, the queue, the search
    let (versions, mut fresh) = (kept.versions, fresh);
    let (s, views) = console.views_mut();
    for period in [Period::Today, Period::Week, Period::Season] {
        let a = views
            .leaders
            .figures(s, &views.facts, versions.leaders, period, now)
            .clone();
        let b = fresh
            .leaders
            .figures(s, &fresh.facts, 0, period, now)
            .clone();
        assert_eq!(
            (a.breakdown, a.daily),
            (b.breakdown, b.daily),
            "{what}: leaders' figures ({period:?})"
        );
    }
    let weights = PlanWeights::default();
    let a = format!(
        "{:?}",
        views
            .leaders
            .ranked(s, &views.facts, versions.leaders, &weights, now)
    );
    let b = format!(
        "{:?}",
        fresh.leaders.ranked(s, &fresh.facts, 0, &weights, now)
    );
    if a != b {
        let (x, y) = (
            views
                .leaders
                .ranked(s, &views.facts, versions.leaders, &weights, now)
                .to_vec(),
            fresh
                .leaders
                .ranked(s, &fresh.facts, 0, &weights, now)
                .to_vec(),
        );
        for (p, q) in x.iter().zip(&y) {
            assert_eq!(p, q, "{what}: planner, first difference");
        }
    }
    for filter in [
        QueueFilter::default(),
        QueueFilter {
            overdue_only: true,
            sort: QueueSort::Severity,
            ..Default::default()
        },
    ] {
        let a = views
            .queue
            .rows(s, &views.board.queued, versions.board, filter, now)
            .to_vec();
        assert_eq!(a, filter.apply(s, now), "{what}: queue {filter:?}");
    }
    for query in ["工银", "3号楼", "#1"] {
        let a = results(s, &mut views.search, query, 8);
        let b = results(s, &mut fresh.search, query, 8);
        assert_eq!(a, b, "{what}: search {query}");
    }
}

fn visit(compound: CompoundId, building: BuildingId, at: Timestamp) -> Command {
    Command::RecordVisit(NewVisit {
        compound_id: compound,
        at,
        channel: Channel::LeaderVisit,
        leaders: "王书记".into(),
        staff: String::new(),
        consultation_desk: true,
        households_entered: 1,
        notes: String::new(),
        households: vec![HouseholdVisit {
            building_id: building,
            address_detail: "1单元 101".into(),
            readings: vec![RoomReading {
                room: "卧室".into(),
                celsius: 16.5,
                method: TempMethod::Thermometer,
            }],
            problems: vec![Problem {
                category: Category::NoHeat,
                severity: Severity::Urgent,
                description: "整栋不热".into(),
                fixed_on_site: false,
            }],
            answer: Some(SurveyAnswer::Dissatisfied),
        }],
    })
}

/// The same console on the demo city, through the room's server (an admin's account; the
/// server's clock at noon, as the console's): the database's path, the clock, the console, and
/// the server (kept while the test runs).
fn demo_console_through_the_server(
    dir: &std::path::Path,
) -> (
    std::path::PathBuf,
    Rc<Cell<Timestamp>>,
    Console,
    std::sync::Arc<heatdesk::serve::Server>,
) {
    let path = demo_db(dir);
    crate::common::crews::save_accounts(
        &mut SqliteStore::open(&path).unwrap(),
        "winter-2026",
        &[("desk", "调度台", heatdesk::domain::crew::Role::Admin, None)],
    );
    let (addr, server) = heatdesk::serve::spawn_local(
        Box::new(SqliteStore::open(&path).unwrap()),
        std::sync::Arc::new(noon),
    )
    .unwrap();
    let address =
        heatdesk::store::remote::ServerAddress::parse(&format!("http://desk@{addr}")).unwrap();
    let store = heatdesk::store::remote::RemoteStore::login(&address, "winter-2026").unwrap();
    let (time, console) = console_on(Box::new(store));
    (path, time, console, server)
}

#[test]
fn requests_wait_for_the_frames_step_and_every_view_keeps_equal_to_a_recount() {
    let dir = tempfile::tempdir().unwrap();
    let (path, time, console) = demo_console(dir.path());
    console_model_flow(&path, &time, console);
}

/// The console model's flow through the room's server, as on the file.
#[test]
fn the_console_model_through_the_server_keeps_every_view_equal_to_a_recount() {
    let dir = tempfile::tempdir().unwrap();
    let (path, time, console, _server) = demo_console_through_the_server(dir.path());
    console_model_flow(&path, &time, console);
}

fn console_model_flow(path: &std::path::Path, time: &Rc<Cell<Timestamp>>, mut console: Console) {
    let path = path.to_path_buf();
    assert_views_equal_a_recount(&mut console, &path, None, "at start");

    // a panel asks; nothing changes until the step (every panel of the frame sees one state)
    let snap = console.snapshot().clone();
    let queued = console.views().board.queued.clone();
    let (t0, t1) = (
        snap.ticket(queued[0]).unwrap().clone(),
        snap.ticket(queued[1]).unwrap().clone(),
    );
    let teams = (snap.teams[0].id, snap.teams[1].id);
    let building = snap.buildings[5].clone();
    console.push(Request::Assign {
        ticket: t0.id,
        seen_version: t0.version,
        team: teams.0,
    });
    console.push(Request::apply(Command::Act {
        ticket: t1.id,
        seen_version: t1.version,
        action: Action::Hold {
            reason: "住户不在家".into(),
        },
    }));
    console.push(Request::Apply {
        command: visit(building.compound_id, building.id, noon()),
        tag: Tag::VisitForm,
    });
    let kpi = KpiRules {
        temperature_standard: 20.0,
        ..KpiRules::default()
    };
    console.push(Request::apply(Command::SetKpiRules(kpi)));
    // this one was seen at an old version: refused, the others stand
    console.push(Request::apply(Command::Act {
        ticket: t0.id,
        seen_version: t0.version,
        action: Action::Escalate { reason: "x".into() },
    }));
    assert_eq!(console.snapshot().ticket(t0.id), Some(&t0), "not yet");
    assert!(console.busy());
    let events = console.step(0.0, 0, 1);
    assert!(matches!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Applied { .. }))
            .count(),
        4
    ));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Applied {
            tag: Tag::VisitForm,
            ..
        }
    )));
    assert!(matches!(events.last(), Some(Event::Refused { .. })));
    assert_eq!(
        console.snapshot().ticket(t0.id).unwrap().team_id,
        Some(teams.0)
    );
    assert_eq!(console.snapshot().kpi_rules.temperature_standard, 20.0);
    assert_views_equal_a_recount(&mut console, &path, None, "after this console's commands");

    // Ctrl+Z takes the assignment back
    console.push(Request::Undo {
        reason: "撤销".into(),
    });
    let events = console.step(0.5, 0, 1);
    assert!(events.contains(&Event::Undone(t0.id)), "{events:?}");
    assert!(console.views().board.queued.contains(&t0.id));

    // another console commits: taken in at the next poll, as changes
    let mut other = SqliteStore::open(&path).unwrap();
    let t2 = console.snapshot().ticket(queued[2]).unwrap().clone();
    let origin = Origin {
        actor: "二号台".into(),
        at: noon(),
    };
    other
        .apply(
            &Command::Act {
                ticket: t2.id,
                seen_version: t2.version,
                action: Action::Assign { team: teams.1 },
            },
            &origin,
        )
        .unwrap();
    other
        .apply(&visit(building.compound_id, building.id, noon()), &origin)
        .unwrap();
    // a server hears of it within its watcher's tenth of a second
    std::thread::sleep(std::time::Duration::from_millis(400));
    let events = console.step(2.0, 0, 1);
    assert!(events.contains(&Event::CaughtUp), "{events:?}");
    assert_eq!(
        console.snapshot().ticket(t2.id).unwrap().team_id,
        Some(teams.1)
    );
    assert_views_equal_a_recount(&mut console, &path, None, "after another console's commits");

    // another colouring: only the colours are made again
    let board = console.views().versions.board;
    for metric in Metric::ALL {
        console.set_colouring(metric);
        console.step(2.5, 0, 1);
        assert_eq!(console.views().versions.board, board, "the board stands");
        assert_views_equal_a_recount(
            &mut console,
            &path,
            None,
            &format!("coloured by {metric:?}"),
        );
    }

    // time passes: overdue counts, the alerts' window and "today" move
    for later in [Duration::minutes(7), Duration::hours(30)] {
        time.set(noon() + later);
        console.step(3.0 + later.num_seconds() as f64, 0, 1);
        assert_views_equal_a_recount(&mut console, &path, None, &format!("{later} later"));
    }
}

#[test]
fn the_seasons_settled_facts_behind_the_first_frame_equal_a_recount() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_db(dir.path());
    let time = Rc::new(Cell::new(noon()));
    let store = SqliteStore::open(&path).unwrap();
    let whole = store.load().unwrap();
    let since = recent_since(noon());
    let recent = store.load_recent(since).unwrap();
    let mut console = Console::new(
        Box::new(store),
        recent,
        clock(&time),
        Metric::Satisfaction,
        |_| {},
    );
    console.read_older(since).unwrap();
    // a command while the history is still to come
    let queued = console.views().board.queued[0];
    let t = console.snapshot().ticket(queued).unwrap().clone();
    console.push(Request::apply(Command::Act {
        ticket: t.id,
        seen_version: t.version,
        action: Action::Assign {
            team: whole.teams[0].id,
        },
    }));
    let mut steps = 0;
    while console.loading_older() {
        console.step(steps as f64 * 0.02, 0, 1);
        steps += 1;
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(steps < 5_000, "the history never arrived");
    }
    assert!(console.snapshot().tickets.len() < whole.tickets.len() / 2);
    assert_views_equal_a_recount(&mut console, &path, Some(since), "with the season's facts");
    // a settled ticket looked at comes in as a row, and is counted once
    let settled = whole
        .tickets
        .iter()
        .find(|t| console.snapshot().ticket(t.id).is_none())
        .unwrap()
        .id;
    console.push(Request::Show(settled));
    console.step(500.0, 0, 1);
    assert!(console.snapshot().ticket(settled).is_some());
    assert_views_equal_a_recount(
        &mut console,
        &path,
        Some(since),
        "with a settled ticket shown",
    );
}

#[test]
fn an_import_elsewhere_reloads_everything_and_the_views_are_made_anew() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _time, mut console) = demo_console(dir.path());
    let compound = console.snapshot().compounds[0].id;
    let city = console.views().versions.city;
    // another console imports visits: a command of its own, through the store
    let file = dir.path().join("visits.csv");
    std::fs::write(
        &file,
        format!("id,compound_id,at,leaders\nV-1,{compound},2026-11-27 09:00,王书记\n"),
    )
    .unwrap();
    let mut other = SqliteStore::open(&path).unwrap();
    let report = heatdesk::exchange::import(
        &mut other,
        &file,
        &heatdesk::exchange::Options::new(heatdesk::exchange::Kind::Visits, noon()),
        &heatdesk::exchange::Progress::default(),
    )
    .unwrap();
    assert!(report.written);
    let mut t = 1.0;
    let mut reloaded = false;
    for _ in 0..500 {
        let events = console.step(t, 0, 1);
        t += 1.0;
        if events.contains(&Event::Reloaded) {
            reloaded = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(reloaded, "the import was seen");
    assert!(console.views().versions.city > city, "the city made anew");
    assert!(
        console
            .snapshot()
            .visits
            .iter()
            .any(|v| v.leaders == "王书记" && v.at == noon() - Duration::hours(3))
    );
    for _ in 0..1000 {
        if !console.loading_older() {
            break;
        }
        console.step(t, 0, 1);
        t += 0.1;
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let since = recent_since(noon());
    assert_views_equal_a_recount(&mut console, &path, Some(since), "after a reload");
}

#[test]
fn long_jobs_are_the_consoles_requests_and_their_outcomes_come_as_events() {
    // the screen never talks to the store: an import, its preview and the city's map for the
    // basemap are requests the console runs on a worker; their outcomes come as events and
    // an import's rows are taken in at once
    let dir = tempfile::tempdir().unwrap();
    let (_, _time, mut console) = demo_console(dir.path());
    let snap = console.snapshot();
    let compound = snap.compounds[0].id;
    let (compounds, visits) = (snap.compounds.len(), snap.visits.len());
    let file = dir.path().join("visits.csv");
    std::fs::write(
        &file,
        format!("id,compound_id,at,leaders\nV-1,{compound},2026-11-27 09:00,王书记\n"),
    )
    .unwrap();
    let options = || {
        Box::new(heatdesk::exchange::Options::new(
            heatdesk::exchange::Kind::Visits,
            noon(),
        ))
    };
    let t = Cell::new(1.0);
    let until = |console: &mut Console, pick: &dyn Fn(&Event) -> bool| -> Event {
        for _ in 0..2000 {
            let events = console.step(t.get(), 0, 1);
            t.set(t.get() + 0.01);
            if let Some(e) = events.into_iter().find(|e| pick(e)) {
                return e;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("no such event");
    };

    console.push(Request::Preview {
        path: file.clone(),
        options: options(),
    });
    console.step(t.get(), 0, 1);
    assert!(console.previewing());
    let Event::Previewed(read) = until(&mut console, &|e| matches!(e, Event::Previewed(_))) else {
        unreachable!()
    };
    assert!(!console.previewing());
    let preview = read.take().unwrap();
    assert_eq!(preview.rows.len(), 1, "{preview:?}");

    let progress = std::sync::Arc::new(heatdesk::exchange::Progress::default());
    console.push(Request::Import {
        file,
        options: options(),
        progress: progress.clone(),
    });
    let Event::Imported(done) = until(&mut console, &|e| matches!(e, Event::Imported(_))) else {
        unreachable!()
    };
    let report = done.take().unwrap();
    assert!(report.written && report.inserted == 1, "{report:?}");
    assert_eq!(
        progress.fraction(),
        1.0,
        "the file read whole, into the progress given"
    );
    // taken in (an import of rows reads everything again) within the next steps
    let _ = until(&mut console, &|e| {
        matches!(e, Event::Reloaded | Event::CaughtUp)
    });
    assert_eq!(console.snapshot().visits.len(), visits + 1);

    console.push(Request::ReadCityMap);
    let Event::CityMapRead(read) = until(&mut console, &|e| matches!(e, Event::CityMapRead(_)))
    else {
        unreachable!()
    };
    let city = read.take().unwrap();
    assert_eq!(city.places.compounds.len(), compounds);
    assert!(
        !city.features.is_empty(),
        "the demo city has its own roads and river"
    );
}
