//! The dispatch room: several consoles on one database — two dispatchers racing for one ticket,
//! a commit reaching the other consoles, a room under load; and on a PostgreSQL server, the
//! roles it enforces, the server going away and coming back, moving a database in and out, and
//! the one-line refusals of bad addresses. Every test runs on SQLite, and on PostgreSQL when
//! `HEATDESK_TEST_PG` names a server (`.ci/run` starts one).

use std::process::Command as Process;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, Health, StoreError};

use crate::common::stores::{self, Backend, TestDb};

fn at(h: u32, m: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, 27)
        .unwrap()
        .and_hms_opt(h, m, 0)
        .unwrap()
}

fn origin(who: &str, h: u32, m: u32) -> Origin {
    Origin {
        actor: who.into(),
        at: at(h, m),
    }
}

fn new_ticket() -> Command {
    Command::CreateTicket(NewTicket {
        channel: Channel::Hotline,
        category: Category::NoHeat,
        severity: Severity::Normal,
        building_id: 1,
        address_detail: "2单元 301".into(),
        reporter_name: "刘女士".into(),
        reporter_phone: "13900000000".into(),
        description: "家里不热".into(),
    })
}

fn create(store: &mut Box<dyn DispatchStore>, h: u32) -> Ticket {
    match store
        .apply(&new_ticket(), &origin("调度员 一号台", h, 0))
        .unwrap()
    {
        Applied::Ticket { ticket, .. } => *ticket,
        other => panic!("{other:?}"),
    }
}

fn assign(ticket: &Ticket, team: TeamId) -> Command {
    Command::Act {
        ticket: ticket.id,
        seen_version: ticket.version,
        action: Action::Assign { team },
    }
}

/// Two dispatchers drop the same ticket on two teams at the same instant, twenty times over:
/// each time exactly one wins, the other is told who changed it, and the ticket has the
/// winner's team. The tickets the two made meanwhile got ids from the database, never the same.
#[test]
fn two_dispatchers_dropping_one_ticket_at_once_one_wins() {
    for backend in stores::backends() {
        let db = stores::tiny_db(backend, "race");
        let mut first = db.open();
        let tickets: Vec<Ticket> = (0..20).map(|_| create(&mut first, 8)).collect();
        let barrier = Arc::new(Barrier::new(2));
        let race = |team: TeamId, who: &'static str| {
            let (barrier, tickets) = (barrier.clone(), tickets.clone());
            let mut store = db.open();
            move || {
                let mut outcomes = Vec::new();
                let mut made = Vec::new();
                for t in &tickets {
                    barrier.wait();
                    outcomes.push(store.apply(&assign(t, team), &origin(who, 9, 0)));
                    // and a new report each, at the same moment
                    barrier.wait();
                    if let Ok(Applied::Ticket { ticket, .. }) =
                        store.apply(&new_ticket(), &origin(who, 9, 1))
                    {
                        made.push(ticket.id);
                    }
                }
                (outcomes, made)
            }
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(race(1, "调度员 一号台"));
            let b = s.spawn(race(2, "调度员 二号台"));
            (a.join().unwrap(), b.join().unwrap())
        });
        let check = db.open();
        for (i, t) in tickets.iter().enumerate() {
            let (ra, rb) = (&a.0[i], &b.0[i]);
            assert!(
                ra.is_ok() != rb.is_ok(),
                "{backend:?} #{}: exactly one wins: {ra:?} / {rb:?}",
                t.id
            );
            let (winner_team, loser) = if ra.is_ok() { (1, rb) } else { (2, ra) };
            let Err(StoreError::Stale {
                seen: 1,
                current: 2,
                by: Some(by),
                ..
            }) = loser
            else {
                panic!("{backend:?}: the loser is told it was changed: {loser:?}")
            };
            let winner = if winner_team == 1 {
                "调度员 一号台"
            } else {
                "调度员 二号台"
            };
            assert_eq!(
                by,
                &db.actor(winner),
                "{backend:?}: the refusal names the winner"
            );
            let stored = check.ticket(t.id).unwrap().unwrap();
            assert_eq!(stored.team_id, Some(winner_team), "{backend:?} #{}", t.id);
            assert_eq!(stored.version, 2);
            let trail = check.history(t.id).unwrap();
            assert_eq!(
                trail.len(),
                2,
                "{backend:?}: one assignment recorded, not two"
            );
        }
        let mut ids: Vec<i64> = a.1.iter().chain(&b.1).copied().collect();
        assert_eq!(ids.len(), 40);
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len(),
            40,
            "{backend:?}: every new ticket has its own id"
        );
    }
}

/// Another console's commit wakes this one (LISTEN/NOTIFY on a server, the file's watcher
/// otherwise) well within a second, and the catch-up reads only the changed ticket; this
/// console's own commits are not read back.
#[test]
fn another_consoles_commit_reaches_this_one_within_a_second() {
    for backend in stores::backends() {
        let db = stores::tiny_db(backend, "live");
        let mut first = db.open();
        let mut second = db.open();
        let mut held = second.load().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Instant>();
        second.watch(Arc::new(move || {
            let _ = tx.send(Instant::now());
        }));
        // the second console's own commit: taken in as made, never read back
        let own = create(&mut second, 8);
        held.absorb(
            match Applied::update(&second.apply(&assign(&own, 2), &origin("b", 8, 1)).unwrap()) {
                Update::Changed(c) => c,
                other => panic!("{other:?}"),
            },
        );
        std::thread::sleep(Duration::from_millis(400));
        while rx.try_recv().is_ok() {}
        let _ = second.catch_up().unwrap();
        let _ = second.committed_at();

        let t = create(&mut first, 9);
        let committed = Instant::now();
        let woken = rx
            .recv_timeout(Duration::from_secs(1))
            .unwrap_or_else(|_| panic!("{backend:?}: not told within a second"));
        assert!(woken - committed < Duration::from_millis(1000));
        assert!(second.others_committed(), "{backend:?}");
        let Update::Changed(changes) = second.catch_up().unwrap() else {
            panic!("{backend:?}: the commit is a change")
        };
        assert_eq!(
            changes.tickets.iter().map(|x| x.id).collect::<Vec<_>>(),
            [t.id],
            "{backend:?}: only the changed row is read"
        );
        let delays = second.committed_at();
        assert_eq!(
            delays.len(),
            1,
            "{backend:?}: its own commits are not counted"
        );
        held.absorb(changes);
        let fresh = second.load().unwrap();
        assert_eq!(held.tickets, fresh.tickets, "{backend:?}");
        assert_eq!(second.catch_up().unwrap(), Update::UpToDate);
    }
}

/// A room of consoles on one database under load: the soak's own checks (every console equals
/// a fresh load, no audit event lost or doubled, no stale write accepted) find nothing wrong.
#[test]
fn a_room_of_consoles_under_load_loses_nothing() {
    for backend in stores::backends() {
        let db = TestDb::blank(backend, "soak");
        let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        demo::write_into(&db.location, &DemoParams::new(Scale::Demo, now)).unwrap();
        let report = heatdesk::soak::room(
            &db.location,
            &heatdesk::soak::RoomParams {
                consoles: 4,
                seconds: 3.0,
                seed: 7,
                pace_ms: 60,
                // a small pool: they collide
                tickets: Some(400),
                now: chrono::Local::now().naive_local(),
                through: None,
            },
        )
        .unwrap();
        crate::common::soak_lost_nothing(&report, &format!("{backend:?}"));
        assert!(
            report.percentile(0.99).unwrap() < 1000,
            "{}",
            report.last_line()
        );
    }
}

/// The command line's `soak --consoles` prints its last line and exits zero.
#[test]
fn the_soak_command_prints_commits_refusals_and_propagation() {
    for backend in stores::backends() {
        let db = TestDb::blank(backend, "soakcli");
        let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        demo::write_into(&db.location, &DemoParams::new(Scale::Demo, now)).unwrap();
        let out = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args([
                "soak",
                "--db",
                &db.arg(),
                "--consoles",
                "3",
                "--seconds",
                "2",
            ])
            .args(["--pace-ms", "100"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{backend:?}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let last = stdout.lines().last().unwrap();
        assert!(
            last.contains("commits")
                && last.contains("refusals")
                && last.contains("p50")
                && last.contains("p99")
                && last.contains("nothing lost"),
            "{last}"
        );
    }
}

/// The server goes away (its connections cut): the console's store says so, refuses commands
/// with a clear message and writes nothing; it reconnects by itself with backoff and reads
/// what others committed meanwhile.
#[test]
fn a_server_that_goes_away_is_said_refused_and_caught_up_with_on_return() {
    let Some(backend) = stores::postgres() else {
        return;
    };
    let db = stores::tiny_db(backend, "away");
    let mut console = db.open();
    console.load().unwrap();
    let t = create(&mut console, 8);
    let url = db.url.clone().unwrap();
    let cut = || {
        stores::admin(&url)
            .batch_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .unwrap();
    };
    cut();
    let err = console
        .apply(&assign(&t, 1), &origin("a", 9, 0))
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err}");
    let said = err.to_string();
    assert!(
        said.contains("unavailable") && said.contains("nothing was written"),
        "{said}"
    );
    assert!(
        said.contains(&db.location.to_string()),
        "names the server: {said}"
    );
    assert!(matches!(console.health(), Health::Offline { .. }));
    // within the backoff, commands are refused at once
    let started = Instant::now();
    assert!(console.apply(&assign(&t, 1), &origin("a", 9, 0)).is_err());
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!(
        db.open().ticket(t.id).unwrap().unwrap().version,
        1,
        "nothing written"
    );

    // meanwhile another console assigns it
    db.open().apply(&assign(&t, 2), &origin("b", 9, 1)).unwrap();
    // back: the first try after the backoff reconnects and reads the change
    let deadline = Instant::now() + Duration::from_secs(10);
    let update = loop {
        match console.catch_up() {
            Ok(update) => break update,
            Err(StoreError::Unavailable { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(console.health(), Health::Online);
    let Update::Changed(changes) = update else {
        panic!("the change made meanwhile is read: {update:?}")
    };
    assert_eq!(changes.tickets[0].team_id, Some(2));
    // and commands work again
    let now = console.ticket(t.id).unwrap().unwrap();
    console
        .apply(
            &Command::Act {
                ticket: t.id,
                seen_version: now.version,
                action: Action::Accept,
            },
            &origin("a", 9, 2),
        )
        .unwrap();
}

/// A laptop's database moves onto the server and back: `heatdesk migrate` copies everything
/// (audit trail, visits, readings, answers, rules, settings) and checks it; the copy back is
/// the same database as the original, row for row.
#[test]
fn a_database_moves_onto_the_server_and_back_unchanged() {
    let Some(backend) = stores::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("laptop.db");
    let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    demo::write_new(&original, &DemoParams::new(Scale::Demo, now)).unwrap();
    // some of the season's life first: a visit, a rule, KPI settings, an import
    {
        let mut store =
            heatdesk::store::open(&heatdesk::store::Location::File(original.clone())).unwrap();
        let snap = store.load().unwrap();
        let mut rule = snap.rules[0];
        rule.resolve_minutes += 30;
        store
            .apply(&Command::SetSlaRule(rule), &origin("a", 10, 0))
            .unwrap();
        let mut kpi = snap.kpi_rules;
        kpi.basic_counts_as_satisfied = false;
        store
            .apply(&Command::SetKpiRules(kpi), &origin("a", 10, 1))
            .unwrap();
        // and the crews': an account, a ticket taken to done from a phone with a photo (its
        // messages in the outbox), a position, the message texts
        use heatdesk::domain::crew::*;
        let team = snap.teams[0].id;
        store
            .apply(
                &Command::SaveAccount(Account {
                    login: "zhang".into(),
                    name: "张师傅".into(),
                    team_id: Some(team),
                    role: heatdesk::domain::crew::Role::Technician,
                    password_hash: hash_password("secret-1").unwrap(),
                    created_at: at(9, 0),
                    disabled: false,
                }),
                &origin("a", 10, 2),
            )
            .unwrap();
        let t = snap
            .tickets
            .iter()
            .find(|t| t.status == TicketStatus::Received && !t.reporter_phone.is_empty())
            .unwrap();
        let mut t = store
            .apply(
                &Command::Act {
                    ticket: t.id,
                    seen_version: t.version,
                    action: Action::Assign { team },
                },
                &origin("a", 10, 3),
            )
            .unwrap()
            .tickets()[0]
            .clone();
        let here = snap.team(team).unwrap().position;
        for (k, step) in [
            FieldStep::Accept,
            FieldStep::Arrive {
                at: here,
                accuracy_m: 8.0,
                distance_m: 40.0,
            },
            FieldStep::Complete {
                celsius: Some(19.5),
                method: TempMethod::Thermometer,
                work: "排气".into(),
                photos: vec![Photo {
                    mime: "image/jpeg".into(),
                    bytes: vec![0xFF, 0xD8, 1, 2, 3],
                }],
            },
        ]
        .into_iter()
        .enumerate()
        {
            t = store
                .apply(
                    &Command::Field(Box::new(FieldCommand {
                        ticket: t.id,
                        seen_version: t.version,
                        team,
                        step,
                        client_id: format!("c{k}"),
                    })),
                    &origin("张师傅 (zhang)", 10, 10 + k as u32),
                )
                .unwrap()
                .tickets()[0]
                .clone();
        }
        store
            .apply(
                &Command::ReportPosition(TeamPosition {
                    team_id: team,
                    position: here,
                    accuracy_m: 9.0,
                    at: at(10, 20),
                    by: "张师傅 (zhang)".into(),
                }),
                &origin("张师傅 (zhang)", 10, 20),
            )
            .unwrap();
        let texts = MessageTemplates {
            fixed: "工单{ticket}已修好：{note}".into(),
            ..Default::default()
        };
        store
            .apply(&Command::SetMessageTemplates(texts), &origin("a", 10, 21))
            .unwrap();
        assert_eq!(store.outbox(10).unwrap().len(), 3);
    }
    let server = TestDb::blank(backend, "migrate");
    let back = dir.path().join("back.db");
    let run = |from: &str, to: &str| {
        let out = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args(["migrate", "--from", from, "--to", to])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{said} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        said
    };
    let said = run(original.to_str().unwrap(), &server.arg());
    assert!(said.contains("equal") && said.contains("tickets"), "{said}");
    run(&server.arg(), back.to_str().unwrap());
    let dump = |p: &std::path::Path| -> Vec<String> {
        let out = Process::new("sqlite3")
            .arg(p)
            .arg(".dump")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            // the change log is each database's own; the phones' request ids are copied, so a
            // retry after the move is still applied once
            .filter(|l| !l.contains("change_log"))
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (dump(&original), dump(&back));
    assert!(a.len() > 20_000, "the dump holds the data");
    assert_eq!(a, b, "the laptop's copy is the original, row for row");
    // into a server database that holds data already: refused, nothing written
    let again = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args([
            "migrate",
            "--from",
            original.to_str().unwrap(),
            "--to",
            &server.arg(),
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("holds tables already"));
}

/// Bad addresses and databases: one line naming the server and the database (never a
/// password), a non-zero exit, nothing written.
#[test]
fn bad_servers_and_databases_are_refused_in_one_line() {
    let Some(backend) = stores::postgres() else {
        return;
    };
    let base = stores::server().unwrap();
    let foreign = TestDb::blank(backend, "foreign");
    stores::admin(foreign.url.as_deref().unwrap())
        .batch_execute("CREATE TABLE customers (id int); INSERT INTO customers VALUES (1);")
        .unwrap();
    let newer = stores::tiny_db(backend, "newer");
    stores::admin(newer.url.as_deref().unwrap())
        .batch_execute("UPDATE heatdesk_meta SET value = '99' WHERE key = 'schema'")
        .unwrap();
    let newer_before = format!(
        "{:?}",
        stores::admin(newer.url.as_deref().unwrap())
            .query("SELECT count(*) FROM tickets", &[])
            .unwrap()[0]
            .get::<_, i64>(0)
    );
    // a user with a password, over TCP (the CI cluster asks for passwords there)
    let user = format!("hd_pw_{}", std::process::id());
    stores::admin(&base)
        .batch_execute(&format!("CREATE ROLE {user} LOGIN PASSWORD 'right-one'"))
        .unwrap();
    let port = base
        .split("port=")
        .nth(1)
        .and_then(|p| p.split('&').next())
        .or_else(|| base.rsplit(':').next().and_then(|p| p.split('/').next()))
        .unwrap()
        .to_string();
    let tcp_db = stores::with_db(
        &format!("postgres://{user}:wrong-one@127.0.0.1:{port}/x"),
        newer.name(),
    );
    let cases: Vec<(String, &str)> = vec![
        (
            "postgres://wang@127.0.0.1:notaport/hd".into(),
            "not a server address",
        ),
        ("postgres://127.0.0.1:5432".into(), "name the database"),
        (tcp_db.clone(), "password authentication failed"),
        (
            format!("postgres://{user}@127.0.0.1:1/heatdesk"),
            "cannot connect",
        ),
        (foreign.arg(), "not a HeatDesk database"),
        (newer.arg(), "written by a newer HeatDesk"),
    ];
    for (url, expect) in cases {
        let out = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args(["report", "--db", &url, "--out"])
            .arg(tempfile::tempdir().unwrap().path().join("r.csv"))
            .env("PGPASSWORD", "")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(expect), "{url}: {err}");
        assert!(!err.contains("wrong-one"), "no password in: {err}");
        assert!(!err.contains("right-one"));
    }
    // nothing written: the foreign database and the newer one are as they were
    let tables: i64 = stores::admin(foreign.url.as_deref().unwrap())
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 1);
    let newer_after = format!(
        "{:?}",
        stores::admin(newer.url.as_deref().unwrap())
            .query("SELECT count(*) FROM tickets", &[])
            .unwrap()[0]
            .get::<_, i64>(0)
    );
    assert_eq!(newer_before, newer_after);
    let version: String = stores::admin(newer.url.as_deref().unwrap())
        .query_one("SELECT value FROM heatdesk_meta WHERE key = 'schema'", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, "99");
    // the right password from PGPASSWORD opens it (and never shows)
    let out = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(["report", "--db", &tcp_db.replace(":wrong-one", ""), "--out"])
        .arg(tempfile::tempdir().unwrap().path().join("r.csv"))
        .env("PGPASSWORD", "right-one")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    // the user has no role in that database: the server refuses to let it read
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("password authentication failed"), "{err}");
    assert!(!err.contains("right-one"));
    drop((foreign, newer));
    stores::admin(&base)
        .batch_execute(&format!("DROP ROLE {user}"))
        .unwrap();
}

/// `sslmode=require`: the connection is encrypted (rustls), or refused.
#[test]
fn sslmode_require_connects_encrypted() {
    let Some(_) = stores::postgres() else {
        return;
    };
    let Some(tls) = std::env::var("HEATDESK_TEST_PG_TLS").ok() else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "*** sslmode=require SKIPPED: set HEATDESK_TEST_PG_TLS (.ci/run does) ***"
        );
        return;
    };
    let db = stores::tiny_db(Backend::Postgres, "tls");
    let url = stores::with_db(&tls, db.name());
    assert!(url.contains("sslmode=require"), "{url}");
    let store = heatdesk::store::open(&heatdesk::store::Location::parse(&url).unwrap()).unwrap();
    assert_eq!(store.load().unwrap().teams.len(), 2);
    // the server saw an encrypted connection
    let ssl: bool = stores::admin(db.url.as_deref().unwrap())
        .query_one(
            "SELECT bool_or(ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl, "the console's connection is encrypted");
}

/// Everything a command line takes a file for, it takes a server for: init, demo, import,
/// export, report, outage.
#[test]
fn every_command_takes_a_server() {
    let Some(backend) = stores::postgres() else {
        return;
    };
    let db = TestDb::blank(backend, "cli");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args(args)
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{args:?}: {said}");
        said
    };
    let url = db.arg();
    run(&["init", "--db", &url]);
    let csv = dir.path().join("departments.csv");
    std::fs::write(&csv, "id,name\n7,城南供热服务部\n").unwrap();
    let said = run(&[
        "import",
        "departments",
        csv.to_str().unwrap(),
        "--db",
        &url,
        "--english",
    ]);
    assert!(said.contains('1'), "{said}");
    let out = dir.path().join("d.csv");
    run(&[
        "export",
        "--layer",
        "departments",
        "--out",
        out.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("城南供热服务部")
    );
    // the demo goes into an empty HeatDesk database only
    let demo_db = TestDb::blank(backend, "clidemo");
    let said = run(&["demo", "--out", &demo_db.arg(), "--date", "2026-11-27"]);
    assert!(said.contains("tickets"), "{said}");
    let report = dir.path().join("r.csv");
    run(&[
        "report",
        "--db",
        &demo_db.arg(),
        "--date",
        "2026-11-27",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(report.exists());
    let notice = dir.path().join("o.csv");
    run(&[
        "outage",
        "--db",
        &demo_db.arg(),
        "--station",
        "1",
        "--out",
        notice.to_str().unwrap(),
    ]);
    assert!(notice.exists());
}

/// Two consoles (the model the window runs) on one database: a drag-assign on one shows on the
/// other, woken by the store, not by its once-a-second look (b's frame clock stands still).
/// How fast is a figure (`heatdesk bench`, `heatdesk soak`), not this test's: a loaded CI
/// machine once took longer than a second here.
#[test]
fn a_drag_assign_on_one_console_shows_on_the_other_woken_by_the_store() {
    use heatdesk::console::{Console, Request};
    use heatdesk::domain::colouring::Metric;
    for backend in stores::backends() {
        let db = TestDb::blank(backend, "twoconsoles");
        let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        demo::write_into(&db.location, &DemoParams::new(Scale::Demo, now)).unwrap();
        let open = || {
            let store = db.open();
            let snap = store.load().unwrap();
            Console::new(
                store,
                snap,
                Box::new(move || now),
                Metric::default(),
                |_| {},
            )
        };
        let (mut a, mut b) = (open(), open());
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        b.watch(Arc::new(move || {
            let _ = tx.send(());
        }));
        // both have looked once (the frame clock at 0 s)
        a.step(0.0, 0, 1);
        b.step(0.0, 0, 1);
        let id = a.views().board.queued[0];
        let version = a.snapshot().ticket(id).unwrap().version;
        let team = a.snapshot().teams[0].id;
        a.push(Request::Assign {
            ticket: id,
            seen_version: version,
            team,
        });
        a.step(0.1, 0, 1);
        assert_eq!(a.snapshot().ticket(id).unwrap().team_id, Some(team));
        // b's frame clock stands still (no once-a-second look): only the store's news moves it
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{backend:?}: console b was not woken"));
        b.step(0.2, 0, 1);
        assert_eq!(
            b.snapshot().ticket(id).unwrap().team_id,
            Some(team),
            "{backend:?}: b shows the assignment"
        );
        assert!(
            !b.views().board.queued.contains(&id),
            "{backend:?}: off b's queue"
        );
    }
}

/// A leader's console through the room's server: the ticket's panel offers no team to assign
/// to and the queue's rows cannot be dragged onto a team; the backup menu says backups are the
/// server's.
#[test]
fn a_leaders_console_offers_no_assignment_and_names_the_server() {
    use egui_kittest::kittest::Queryable;
    use heatdesk::store::remote::{RemoteStore, ServerAddress};
    use heatdesk::ui::{HeatDeskApp, Prefs};
    for backend in stores::backends() {
        let db = TestDb::blank(backend, "leaderui");
        let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        demo::write_into(&db.location, &DemoParams::new(Scale::Demo, now)).unwrap();
        crate::common::crews::save_accounts(
            &mut *db.open(),
            "winter-2026",
            &[("zhao", "赵经理", heatdesk::domain::crew::Role::Leader, None)],
        );
        let (addr, _server) =
            heatdesk::serve::spawn_local(db.open(), Arc::new(move || now)).unwrap();
        let shown = format!("http://zhao@{addr}");
        let store = RemoteStore::login(&ServerAddress::parse(&shown).unwrap(), "winter-2026")
            .unwrap()
            .with_cache(None);
        let store: Box<dyn DispatchStore> = Box::new(store);
        // the season before the recent days, streamed row by row: the database's rows
        let since = heatdesk::domain::season::recent_since(now);
        let (older, answers) = store.load_older(since).unwrap();
        assert!(
            !older.is_empty() && !answers.is_empty(),
            "a season to stream"
        );
        assert_eq!(
            (older, answers),
            db.open().load_older(since).unwrap(),
            "{backend:?}"
        );
        let snap = store.load().unwrap();
        let mut app = HeatDeskApp::new(store, snap, Prefs::default(), Box::new(move || now));
        let queued = app.console.views().board.queued[0];
        app.select(heatdesk::console::Selection::Ticket(queued));
        let mut harness = crate::common::console::harness(app);
        harness.run();
        harness.get_by_label(&format!("zhao@{addr}"));
        assert!(
            harness.query_by_label("派给").is_none(),
            "no assignment offered"
        );
        assert!(harness.query_by_label("推荐班组").is_none());
        assert!(
            harness.query_by_label("时限规则").is_some(),
            "a leader sets the rules"
        );
        assert!(
            harness.query_by_label("导入").is_none(),
            "imports are the admin's"
        );
        harness.get_by_label("备份").click();
        harness.run();
        assert!(
            harness
                .query_by_label_contains("备份在服务器上做")
                .is_some()
        );
        // a queue row dragged onto a team card: said why where it would land, and on the
        // drop; nothing changes
        // the queue's first row (deadline first), as the user sees it
        let before = {
            let snap = harness.state().console.snapshot();
            let mut queue: Vec<&Ticket> = snap
                .tickets
                .iter()
                .filter(|t| t.status == TicketStatus::Received)
                .collect();
            queue.sort_by_key(|t| (t.deadline, t.id));
            queue[0].clone()
        };
        let queued = before.id;
        let team = harness.state().console.snapshot().teams[0].name.clone();
        let card = harness.get_by_label(&team).rect().center();
        let row = harness
            .get_by_label(&format!(
                "#{queued} {} · {}",
                heatdesk::words::category(heatdesk::words::Lang::Zh, before.category),
                heatdesk::words::severity(heatdesk::words::Lang::Zh, before.severity)
            ))
            .rect()
            .center();
        harness.drag_at(row);
        harness.run_steps(2);
        for k in 1..=4 {
            harness.hover_at(row + (card - row) * (k as f32 / 4.0));
            harness.run_steps(1);
        }
        // held there a moment
        harness.hover_at(card + egui::vec2(2.0, 2.0));
        harness.run_steps(3);
        let why = "领导不派单：工单由调度员派给班组";
        assert!(
            harness.query_by_label(why).is_some(),
            "the card says why while the ticket is held over it"
        );
        harness.drop_at(card);
        harness.run_steps(3);
        assert_eq!(
            harness.state().notice.as_ref().map(|n| n.text.as_str()),
            Some(why)
        );
        assert!(
            harness.query_by_label(why).is_some(),
            "and says it after the drop"
        );
        assert_eq!(
            harness.state().console.snapshot().ticket(queued).unwrap(),
            &before
        );
        assert_eq!(db.open().ticket(queued).unwrap().unwrap(), before);
    }
}

fn event(id: i64, ticket: TicketId, from: Option<TicketStatus>, to: TicketStatus) -> TicketEvent {
    TicketEvent {
        id,
        ticket_id: ticket,
        at: at(9, 0),
        actor: "a".into(),
        action: "x".into(),
        from_status: from,
        to_status: to,
        team_id: None,
        note: String::new(),
    }
}

/// The soak's own checks can fail: two steps from one state (a stale write accepted) are
/// found, a chained trail is not; a console that missed a change differs from a fresh load.
#[test]
fn the_soaks_checks_find_a_stale_write_and_a_missed_change() {
    use TicketStatus::*;
    use heatdesk::soak::{first_difference, stale_writes};
    let chained = [
        event(1, 7, None, Received),
        event(2, 7, Some(Received), Assigned),
        event(3, 7, Some(Assigned), Accepted),
    ];
    assert!(stale_writes(&chained, 1).is_empty());
    let forked = [
        event(1, 7, None, Received),
        event(2, 7, Some(Received), Assigned),
        event(3, 7, Some(Received), Assigned),
    ];
    let found = stale_writes(&forked, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("#7"), "{found:?}");
    assert!(
        stale_writes(&forked, 3).is_empty(),
        "trails before the soak are not its own"
    );

    let params = DemoParams::new(
        Scale::Demo,
        demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
    );
    let fresh = demo::generate(&params).snapshot;
    let mut held = fresh.clone();
    assert_eq!(first_difference(&held, &fresh), None);
    held.tickets.reverse();
    assert_eq!(
        first_difference(&held, &fresh),
        None,
        "order does not matter"
    );
    held.tickets[3].version += 1;
    let diff = first_difference(&held, &fresh).expect("a missed change");
    assert!(diff.starts_with("tickets"), "{diff}");
    held.tickets.pop();
    assert!(first_difference(&held, &fresh).unwrap().contains("held"));
}

/// The top bar with its longest status — the server away, with its countdown — at every width
/// from 1280 to 1920 px in both languages: no widget overlaps another.
#[test]
fn the_top_bar_with_the_server_away_never_overlaps_itself() {
    use egui_kittest::kittest::Queryable;
    use heatdesk::ui::{HeatDeskApp, Prefs};
    let Some(backend) = stores::postgres() else {
        return;
    };
    let db = TestDb::blank(backend, "topbar");
    let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    demo::write_into(&db.location, &DemoParams::new(Scale::Demo, now)).unwrap();
    let store = db.open();
    let snap = store.load().unwrap();
    let app = HeatDeskApp::new(store, snap, Prefs::default(), Box::new(move || now));
    let mut harness = crate::common::console::harness(app);
    harness.run_steps(3);
    // the server goes away for this database and will not take it back during the test
    let admin = || stores::admin(&stores::server().unwrap());
    admin()
        .batch_execute(&format!(
            "ALTER DATABASE {0} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{0}';",
            db.name()
        ))
        .unwrap();
    harness
        .state()
        .console
        .push(heatdesk::console::Request::PollNow);
    harness.run_steps(3);
    assert!(
        matches!(
            harness.state().console.health(),
            heatdesk::store::Health::Offline { .. }
        ),
        "the console sees the server away"
    );
    for lang in [heatdesk::words::Lang::Zh, heatdesk::words::Lang::En] {
        harness.state_mut().prefs.lang = lang;
        for width in (1280..=1920).step_by(40) {
            harness.set_size(egui::vec2(width as f32, 900.0));
            harness.run_steps(4);
            let away = match lang {
                heatdesk::words::Lang::Zh => "服务器已断开",
                heatdesk::words::Lang::En => "Server unreachable",
            };
            assert!(
                harness.query_by_label_contains(away).is_some(),
                "{lang:?} {width}: the status is shown"
            );
            crate::console::assert_no_overlap_in_top_bar(
                &harness,
                &format!("server away, {lang:?} {width} px"),
            );
        }
    }
    admin()
        .batch_execute(&format!(
            "ALTER DATABASE {} ALLOW_CONNECTIONS true",
            db.name()
        ))
        .unwrap();
}
