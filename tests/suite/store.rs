//! The stores: SQLite's migrations and the files it must not touch; and, on every store
//! (SQLite, and PostgreSQL when a test server is given), all-or-nothing commands, conflicts,
//! catching up, the season's two loads and imports.

use crate::common;
use crate::common::stores::{self, TestDb};

use std::path::Path;

use chrono::NaiveDate;
use heatdesk::domain::kpi::{KpiFacts, Placement};
use heatdesk::domain::older::SettledSeason;
use heatdesk::domain::*;
use heatdesk::store::sqlite::schema;
use heatdesk::store::{DispatchStore, SqliteStore, StoreError};

fn at(h: u32, m: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, 27)
        .unwrap()
        .and_hms_opt(h, m, 0)
        .unwrap()
}

fn origin(h: u32, m: u32) -> Origin {
    if SERVED.get() {
        // the server stamps a command with its own clock: the test's
        *CLOCK.lock().unwrap_or_else(|e| e.into_inner()) = at(h, m);
    }
    Origin {
        actor: "调度员 测试".into(),
        at: at(h, m),
    }
}

thread_local! {
    /// This test thread runs a test through the room's server (and holds [`CLOCK`]).
    static SERVED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The clock of the server a test runs through, set by [`origin`]: one such test at a time.
static CLOCK: std::sync::Mutex<Timestamp> = std::sync::Mutex::new(Timestamp::MIN);
static ONE_SERVED: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn new_ticket() -> Command {
    Command::CreateTicket(NewTicket {
        channel: Channel::Hotline,
        category: Category::AirLock,
        severity: Severity::Normal,
        building_id: 1,
        address_detail: "3单元 502".into(),
        reporter_name: "王先生".into(),
        reporter_phone: "13812345678".into(),
        description: "暖气片上热下凉".into(),
    })
}

fn event_count(db: &TestDb) -> i64 {
    db.count("SELECT count(*) FROM ticket_events")
}

/// Everything the database holds, row by row: equal before and after means nothing was
/// written.
fn contents(db: &TestDb) -> Contents {
    Contents(db.open().everything().unwrap())
}

struct Contents(heatdesk::store::Everything);

impl PartialEq for Contents {
    fn eq(&self, other: &Self) -> bool {
        heatdesk::store::migrate::compare_data(&self.0, &other.0).is_ok()
    }
}

impl std::fmt::Debug for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} tickets, {} events",
            self.0.city.tickets.len(),
            self.0.events.len()
        )
    }
}

/// Run `test` on the tiny data set in every store, and through the room's server (an admin's
/// console on a server over the SQLite file; `db` is the file behind it).
fn each(label: &str, test: impl Fn(&TestDb, Box<dyn DispatchStore>)) {
    for backend in stores::backends() {
        let db = stores::tiny_db(backend, label);
        let store = db.open();
        test(&db, store);
    }
    let _one = ONE_SERVED.lock().unwrap_or_else(|e| e.into_inner());
    *CLOCK.lock().unwrap_or_else(|e| e.into_inner()) = at(8, 0);
    let mut db = stores::tiny_db(stores::Backend::Sqlite, label);
    crate::common::crews::save_accounts(
        &mut *db.open(),
        "winter-2026",
        &[(
            "desk",
            "调度员 测试",
            heatdesk::domain::crew::Role::Admin,
            None,
        )],
    );
    db.served_as = Some("调度员 测试 (desk)".into());
    let (addr, _server) = heatdesk::serve::spawn_local(
        db.open(),
        std::sync::Arc::new(|| *CLOCK.lock().unwrap_or_else(|e| e.into_inner())),
    )
    .unwrap();
    let address =
        heatdesk::store::remote::ServerAddress::parse(&format!("http://desk@{addr}")).unwrap();
    let store = heatdesk::store::remote::RemoteStore::login(&address, "winter-2026").unwrap();
    SERVED.set(true);
    test(&db, Box::new(store));
    SERVED.set(false);
}

#[test]
fn migrations_run_from_empty_and_reopen_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = SqliteStore::create(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    let rules = store.load().unwrap().rules;
    assert_eq!(
        rules.len(),
        Category::ALL.len() * Severity::ALL.len(),
        "default deadlines are seeded"
    );
    drop(store);

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    let journal: String = common::sql(store.path())
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(store.pragma("foreign_keys").unwrap(), 1);
    // reopening did not seed the rules twice
    assert_eq!(store.load().unwrap().rules.len(), rules.len());
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    let mut store = SqliteStore::create(&path).unwrap();
    common::sql(store.path())
        .pragma_update(None, "user_version", 99)
        .unwrap();
    store.checkpoint().unwrap();
    drop(store);
    let before = bytes(&path);
    match SqliteStore::open(&path) {
        Err(StoreError::NewerSchema {
            found: 99,
            supported,
            ..
        }) => assert_eq!(supported, schema::latest_version()),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("opened a newer schema"),
    };
    assert_eq!(before, bytes(&path));
    assert!(
        !dir.path().join("future.db-wal").exists(),
        "nothing written beside it either"
    );
}

#[test]
fn files_that_are_not_heatdesk_databases_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "小区名称,户数\n工银新村,120\n").unwrap();
    let before = bytes(&text);
    let err = SqliteStore::open(&text).expect_err("a text file must be refused");
    assert!(matches!(err, StoreError::NotHeatDesk { .. }), "{err}");
    assert!(
        err.to_string().contains("notes.txt"),
        "the message names the file: {err}"
    );
    assert_eq!(before, bytes(&text));

    let other = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL); INSERT INTO invoices VALUES (1, 9.5);")
            .unwrap();
    }
    let before = bytes(&other);
    let err = SqliteStore::open(&other).expect_err("a foreign SQLite file must be refused");
    assert!(matches!(err, StoreError::NotHeatDesk { .. }), "{err}");
    assert_eq!(before, bytes(&other));

    let corrupt = dir.path().join("corrupt.db");
    let mut junk = b"SQLite format 3\0".to_vec();
    junk.extend(std::iter::repeat_n(0xA5u8, 8192));
    std::fs::write(&corrupt, &junk).unwrap();
    assert!(
        SqliteStore::open(&corrupt).is_err(),
        "a corrupt file must be refused"
    );
    assert_eq!(junk, bytes(&corrupt));
}

#[test]
fn missing_files_and_folders_are_reported_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let err = SqliteStore::open(&missing).err().unwrap();
    assert!(matches!(err, StoreError::Missing { .. }), "{err}");
    assert!(!missing.exists());

    let in_missing_folder = dir.path().join("no/such/folder/x.db");
    let err = SqliteStore::create(&in_missing_folder).err().unwrap();
    assert!(matches!(err, StoreError::BadFolder { .. }), "{err}");

    let existing = dir.path().join("exists.db");
    std::fs::write(&existing, b"").unwrap();
    assert!(matches!(
        SqliteStore::create(&existing),
        Err(StoreError::Exists { .. })
    ));
}

#[test]
fn a_command_writes_its_change_and_its_audit_event_together() {
    each("audit", |db, mut store| {
        let created = store.apply(&new_ticket(), &origin(9, 0)).unwrap();
        let Applied::Ticket { ticket, event, .. } = created else {
            panic!()
        };
        assert_eq!(ticket.status, TicketStatus::Received);
        // 8 h for an ordinary repair (default rules)
        assert_eq!(ticket.deadline, at(17, 0));
        assert_eq!(event.action, "create");

        let assigned = store
            .apply(
                &Command::Act {
                    ticket: ticket.id,
                    seen_version: ticket.version,
                    action: Action::Assign { team: 2 },
                },
                &origin(9, 5),
            )
            .unwrap();
        let Applied::Ticket { ticket: after, .. } = assigned else {
            panic!()
        };
        let snap = store.load().unwrap();
        let stored = snap.ticket(ticket.id).unwrap();
        assert_eq!(stored, &*after);
        assert_eq!(stored.status, TicketStatus::Assigned);
        assert_eq!(stored.team_id, Some(2));
        let history = store.history(ticket.id).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].action, "assign");
        assert_eq!(history[1].from_status, Some(TicketStatus::Received));
        assert_eq!(history[1].team_id, Some(2));
        // on a server, who the server says is logged in (not a name typed into a console)
        assert_eq!(history[1].actor, db.actor("调度员 测试"));
    });
}

#[test]
fn a_failure_between_change_and_audit_event_leaves_neither() {
    each("rollback", |db, mut store| {
        let Applied::Ticket { ticket, .. } = store.apply(&new_ticket(), &origin(9, 0)).unwrap()
        else {
            panic!()
        };
        // make the audit write fail after the ticket row has been updated
        db.execute(
            "CREATE TRIGGER fail_audit BEFORE INSERT ON ticket_events
             BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END;",
            "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$;
             CREATE TRIGGER fail_audit BEFORE INSERT ON ticket_events
                 FOR EACH ROW EXECUTE FUNCTION fail_audit();",
        );
        let events_before = event_count(db);
        let result = store.apply(
            &Command::Act {
                ticket: ticket.id,
                seen_version: ticket.version,
                action: Action::Assign { team: 1 },
            },
            &origin(9, 10),
        );
        assert!(result.is_err());
        let stored = store.load().unwrap().ticket(ticket.id).cloned().unwrap();
        assert_eq!(
            stored, *ticket,
            "the ticket row was rolled back with the failed event"
        );
        assert_eq!(event_count(db), events_before);

        // and a new ticket whose event fails does not exist at all
        let tickets_before = store.load().unwrap().tickets.len();
        assert!(store.apply(&new_ticket(), &origin(9, 20)).is_err());
        assert_eq!(store.load().unwrap().tickets.len(), tickets_before);
    });
}

#[test]
fn illegal_transitions_are_refused_and_change_nothing() {
    each("illegal", |db, mut store| {
        let Applied::Ticket { ticket, .. } = store.apply(&new_ticket(), &origin(9, 0)).unwrap()
        else {
            panic!()
        };
        let events_before = event_count(db);
        let err = store
            .apply(
                &Command::Act {
                    ticket: ticket.id,
                    seen_version: ticket.version,
                    action: Action::Close,
                },
                &origin(9, 1),
            )
            .expect_err("closing an unassigned ticket is illegal");
        assert!(matches!(err, StoreError::Refused(_)), "{err}");
        assert!(err.to_string().contains("close"), "{err}");
        let err = store
            .apply(
                &Command::Act {
                    ticket: ticket.id,
                    seen_version: ticket.version,
                    action: Action::Assign { team: 77 },
                },
                &origin(9, 1),
            )
            .expect_err("no such team");
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "team",
                    id: 77
                }
            ),
            "{err}"
        );
        assert_eq!(store.load().unwrap().ticket(ticket.id).unwrap(), &*ticket);
        assert_eq!(event_count(db), events_before);
    });
}

#[test]
fn a_stale_action_from_a_second_console_is_refused() {
    each("stale", |db, mut first| {
        let Applied::Ticket { ticket, .. } = first.apply(&new_ticket(), &origin(9, 0)).unwrap()
        else {
            panic!()
        };
        let mut second = db.open();
        let seen = second.load().unwrap();
        assert_eq!(second.catch_up().unwrap(), Update::UpToDate);

        // console 1 assigns to team 1; console 2, still looking at version 1, tries team 2
        first
            .apply(
                &Command::Act {
                    ticket: ticket.id,
                    seen_version: ticket.version,
                    action: Action::Assign { team: 1 },
                },
                &origin(9, 5),
            )
            .unwrap();
        let err = second
            .apply(
                &Command::Act {
                    ticket: ticket.id,
                    seen_version: ticket.version,
                    action: Action::Assign { team: 2 },
                },
                &origin(9, 6),
            )
            .expect_err("stale view must be refused");
        assert!(
            matches!(
                err,
                StoreError::Stale {
                    seen: 1,
                    current: 2,
                    ..
                }
            ),
            "{err}"
        );
        // the refusal names who changed it and when
        let by = format!("{} at 11-27 09:05:00", db.actor("调度员 测试"));
        assert!(err.to_string().contains(&by), "{err}");
        let Update::Changed(changes) = second.catch_up().unwrap() else {
            panic!("the second console notices the first one's commit")
        };
        assert_eq!(changes.tickets.len(), 1);
        assert_eq!(second.catch_up().unwrap(), Update::UpToDate);
        let stored = second.load().unwrap().ticket(ticket.id).cloned().unwrap();
        assert_eq!(stored.team_id, Some(1), "nothing overwritten");
        assert_eq!(seen.ticket(ticket.id).unwrap().version, 1);
    });
}

#[test]
fn a_rule_change_is_audited_and_only_affects_new_tickets() {
    each("rule", |db, mut store| {
        let Applied::Ticket { ticket: old, .. } =
            store.apply(&new_ticket(), &origin(9, 0)).unwrap()
        else {
            panic!()
        };
        let rule = SlaRule {
            category: Category::AirLock,
            severity: Severity::Normal,
            respond_minutes: 60,
            resolve_minutes: 240,
        };
        store
            .apply(&Command::SetSlaRule(rule), &origin(9, 30))
            .unwrap();
        let Applied::Ticket { ticket: new, .. } =
            store.apply(&new_ticket(), &origin(10, 0)).unwrap()
        else {
            panic!()
        };
        assert_eq!(new.deadline, at(14, 0));
        assert_eq!(new.respond_by, at(11, 0));
        assert_eq!(
            store.load().unwrap().ticket(old.id).unwrap().deadline,
            at(17, 0)
        );
        let audited = db.count("SELECT count(*) FROM audit_events WHERE command = 'set_sla_rule'");
        assert_eq!(audited, 1);
    });
}

#[test]
fn a_ticket_goes_through_its_whole_lifecycle_with_one_event_per_step() {
    each("lifecycle", |_, mut store| {
        let Applied::Ticket { ticket, .. } = store.apply(&new_ticket(), &origin(9, 0)).unwrap()
        else {
            panic!()
        };
        let steps = [
            (Action::Assign { team: 1 }, 9, 5),
            (Action::Accept, 9, 10),
            (Action::ArriveOnSite, 10, 0),
            (Action::Fix, 11, 0),
            (
                Action::Callback {
                    answer: SurveyAnswer::BasicallySatisfied,
                },
                15,
                0,
            ),
            (Action::Close, 15, 5),
        ];
        let mut version = ticket.version;
        for (action, h, m) in steps {
            let Applied::Ticket { ticket, .. } = store
                .apply(
                    &Command::Act {
                        ticket: ticket.id,
                        seen_version: version,
                        action,
                    },
                    &origin(h, m),
                )
                .unwrap()
            else {
                panic!()
            };
            version = ticket.version;
        }
        let snap = store.load().unwrap();
        let done = snap.ticket(ticket.id).unwrap();
        assert_eq!(done.status, TicketStatus::Closed);
        assert_eq!(done.timely, Some(true), "fixed at 11:00, deadline 17:00");
        assert_eq!(done.fixed_at, Some(at(11, 0)));
        assert_eq!(done.closed_at, Some(at(15, 5)));
        assert_eq!(done.satisfaction, Some(SurveyAnswer::BasicallySatisfied));
        assert_eq!(done.version, 7);
        assert_eq!(snap.surveys.len(), 1);
        assert_eq!(snap.surveys[0].ticket_id, Some(ticket.id));
        let actions: Vec<String> = store
            .history(ticket.id)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            [
                "create", "assign", "accept", "arrive", "fix", "callback", "close"
            ]
        );
    });
}

fn created(store: &mut Box<dyn DispatchStore>, category: Category, h: u32) -> Ticket {
    let Command::CreateTicket(mut new) = new_ticket() else {
        unreachable!()
    };
    new.category = category;
    match store
        .apply(&Command::CreateTicket(new), &origin(h, 0))
        .unwrap()
    {
        Applied::Ticket { ticket, .. } => *ticket,
        other => panic!("{other:?}"),
    }
}

fn act(store: &mut Box<dyn DispatchStore>, t: &Ticket, action: Action, h: u32) -> Applied {
    store
        .apply(
            &Command::Act {
                ticket: t.id,
                seen_version: t.version,
                action,
            },
            &origin(h, 30),
        )
        .unwrap()
}

#[test]
fn a_network_ticket_links_household_reports_which_are_fixed_with_it() {
    each("network", |db, mut store| {
        let a = created(&mut store, Category::NoHeat, 8);
        let b = created(&mut store, Category::LowTemperature, 8);
        // b already has a team on the way: linking keeps its step, fixing still fixes it
        let Applied::Ticket { ticket: b, .. } = act(&mut store, &b, Action::Assign { team: 1 }, 8)
        else {
            panic!()
        };
        let events_before = event_count(db);
        let applied = store
            .apply(
                &Command::NetworkTicket {
                    category: Category::HydraulicImbalance,
                    severity: Severity::Urgent,
                    building_id: 1,
                    segment: None,
                    description: "疑似管网故障".into(),
                    linked: vec![a.id, b.id],
                },
                &origin(9, 0),
            )
            .unwrap();
        let tickets = applied.tickets();
        assert_eq!(tickets.len(), 3, "the network ticket and the two it links");
        let parent = tickets[0].clone();
        assert_eq!(parent.channel, Channel::NetworkAlert);
        assert_eq!(event_count(db), events_before + 3);

        let snap = store.load().unwrap();
        assert_eq!(snap.ticket(a.id).unwrap().parent_id, Some(parent.id));
        assert_eq!(snap.ticket(b.id).unwrap().parent_id, Some(parent.id));
        assert_eq!(snap.ticket(b.id).unwrap().status, TicketStatus::Assigned);
        assert_eq!(
            store.history(a.id).unwrap().last().unwrap().action,
            "link_network"
        );

        // the crew fixes the branch valve at 10:30: both reports are fixed with it
        let parent = snap.ticket(parent.id).unwrap().clone();
        let Applied::Ticket { ticket: parent, .. } =
            act(&mut store, &parent, Action::Assign { team: 1 }, 9)
        else {
            panic!()
        };
        let Applied::Ticket { ticket: parent, .. } = act(&mut store, &parent, Action::Accept, 9)
        else {
            panic!()
        };
        let fixed = act(&mut store, &parent, Action::Fix, 10);
        assert_eq!(fixed.tickets().len(), 3);
        let snap = store.load().unwrap();
        for id in [parent.id, a.id, b.id] {
            let t = snap.ticket(id).unwrap();
            assert_eq!(t.status, TicketStatus::Fixed, "#{id}");
            assert_eq!(t.fixed_at, Some(at(10, 30)));
            assert_eq!(t.timely, Some(true));
        }
        let note = store.history(a.id).unwrap().last().unwrap().clone();
        assert_eq!(
            (note.action.as_str(), note.note),
            ("fix", format!("#{}", parent.id))
        );
        // each resident still gets a callback of their own
        let a_now = snap.ticket(a.id).unwrap().clone();
        act(
            &mut store,
            &a_now,
            Action::Callback {
                answer: SurveyAnswer::Satisfied,
            },
            14,
        );
        assert_eq!(
            store.load().unwrap().ticket(a.id).unwrap().status,
            TicketStatus::CallbackDone
        );
    });
}

#[test]
fn a_network_ticket_that_cannot_link_everything_changes_nothing() {
    each("netrefused", |db, mut store| {
        let a = created(&mut store, Category::NoHeat, 8);
        let b = created(&mut store, Category::NoHeat, 8);
        let Applied::Ticket { ticket: b, .. } = act(&mut store, &b, Action::Assign { team: 1 }, 8)
        else {
            panic!()
        };
        let Applied::Ticket { ticket: b, .. } = act(&mut store, &b, Action::Accept, 8) else {
            panic!()
        };
        act(&mut store, &b, Action::Fix, 8);
        let before = contents(db);
        let tickets_before = store.load().unwrap().tickets.len();
        let refused = store.apply(
            &Command::NetworkTicket {
                category: Category::HydraulicImbalance,
                severity: Severity::Urgent,
                building_id: 1,
                segment: None,
                description: String::new(),
                linked: vec![a.id, b.id],
            },
            &origin(9, 0),
        );
        let Err(StoreError::Refusal(Refusal::CannotLink { ticket, .. })) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(ticket, b.id);
        let snap = store.load().unwrap();
        assert_eq!(
            snap.tickets.len(),
            tickets_before,
            "no network ticket left behind"
        );
        assert_eq!(snap.ticket(a.id).unwrap().parent_id, None);
        assert_eq!(contents(db), before);
    });
}

fn visit(households: Vec<command::HouseholdVisit>) -> Command {
    Command::RecordVisit(command::NewVisit {
        compound_id: 1,
        at: at(10, 0),
        channel: Channel::LeaderVisit,
        leaders: "王书记".into(),
        staff: String::new(),
        consultation_desk: true,
        households_entered: 3,
        notes: String::new(),
        households,
    })
}

fn household(building: i64, celsius: f64) -> command::HouseholdVisit {
    command::HouseholdVisit {
        building_id: building,
        address_detail: "1单元 101".into(),
        readings: vec![command::RoomReading {
            room: "卧室".into(),
            celsius,
            method: TempMethod::Thermometer,
        }],
        problems: vec![command::Problem {
            category: Category::AirLock,
            severity: Severity::Normal,
            description: "积气".into(),
            fixed_on_site: true,
        }],
        answer: Some(SurveyAnswer::Satisfied),
    }
}

#[test]
fn a_bad_visit_record_is_refused_whole_and_names_the_field() {
    each("badvisit", |db, mut store| {
        let before = contents(db);
        // the second household's reading is not an indoor temperature, or its building is elsewhere
        for (bad, expect) in [
            (household(1, 85.0), "household 2, reading 1"),
            (household(99, 18.0), "household 2: building #99"),
        ] {
            let refused = store.apply(&visit(vec![household(1, 17.0), bad]), &origin(10, 5));
            let Err(StoreError::Refusal(why)) = refused else {
                panic!("{refused:?}")
            };
            assert!(why.to_string().contains(expect), "{why}");
        }
        assert_eq!(contents(db), before, "nothing of the visit was written");

        // the same visit, corrected, is saved whole
        let applied = store
            .apply(
                &visit(vec![household(1, 17.0), household(1, 19.5)]),
                &origin(10, 5),
            )
            .unwrap();
        assert_eq!(applied.tickets().len(), 2);
        let snap = store.load().unwrap();
        assert_eq!(snap.visits.len(), 1);
        assert_eq!(snap.readings.len(), 2);
        assert_eq!(snap.surveys.len(), 2);
        assert!(
            snap.tickets
                .iter()
                .all(|t| t.status == TicketStatus::Fixed && t.timely == Some(true))
        );
        let trail = store.history(snap.tickets[0].id).unwrap();
        let steps: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(steps, ["create", "fix"]);
        assert_eq!(trail[0].actor, db.actor("调度员 测试"));
    });
}

#[test]
fn a_second_console_catches_up_with_only_what_changed() {
    each("catchup", |db, mut first| {
        let Applied::Ticket { ticket, .. } = first.apply(&new_ticket(), &origin(9, 0)).unwrap()
        else {
            panic!()
        };
        let mut second = db.open();
        let mut view = second.load().unwrap();
        assert_eq!(
            second.catch_up().unwrap(),
            Update::UpToDate,
            "nothing new yet"
        );

        // the first console assigns, records a visit and edits a rule
        first
            .apply(
                &Command::Act {
                    ticket: ticket.id,
                    seen_version: ticket.version,
                    action: Action::Assign { team: 1 },
                },
                &origin(9, 5),
            )
            .unwrap();
        first
            .apply(&visit(vec![household(1, 17.0)]), &origin(10, 5))
            .unwrap();
        let mut rule = view.rules[0];
        rule.resolve_minutes += 60;
        first
            .apply(&Command::SetSlaRule(rule), &origin(10, 6))
            .unwrap();

        let Update::Changed(changes) = second.catch_up().unwrap() else {
            panic!("the second console sees the commits as changes")
        };
        assert_eq!(
            changes.tickets.len(),
            2,
            "the assigned ticket and the visit's ticket"
        );
        assert_eq!(
            (
                changes.visits.len(),
                changes.readings.len(),
                changes.surveys.len()
            ),
            (1, 1, 1)
        );
        view.absorb(changes);
        let fresh = second.load().unwrap();
        assert_eq!(view.tickets, fresh.tickets);
        assert_eq!(view.visits, fresh.visits);
        assert_eq!(view.readings, fresh.readings);
        assert_eq!(view.surveys, fresh.surveys);
        assert_eq!(view.rules, fresh.rules);

        // an import changes the city itself: everything is read again
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("departments.csv");
        std::fs::write(&file, "id,name\n2,城东供热服务部\n").unwrap();
        heatdesk::exchange::import(
            first.as_mut(),
            &file,
            &heatdesk::exchange::Options::new(heatdesk::exchange::Kind::Departments, at(11, 0)),
            &heatdesk::exchange::Progress::default(),
        )
        .unwrap();
        assert_eq!(second.catch_up().unwrap(), Update::Reload);
        // and what someone writes beside the store (no change logged) is not mistaken for a change
        db.execute(
            "UPDATE departments SET name = name WHERE id = 1",
            "UPDATE departments SET name = name WHERE id = 1",
        );
        assert_eq!(second.catch_up().unwrap(), Update::UpToDate);
    });
}

/// The console starts on the recent part of the season and reads the rest behind it: the two
/// parts together are exactly the whole, and the first holds everything the first frame shows.
#[test]
fn the_recent_load_and_the_older_rows_together_are_the_whole_season() {
    use heatdesk::demo::{self, DemoParams, Scale};
    for backend in stores::backends() {
        let db = TestDb::blank(backend, "season");
        let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        demo::write_into(&db.location, &DemoParams::new(Scale::Demo, now)).unwrap();
        let store = db.open();
        let whole = store.load().unwrap();
        let since = heatdesk::console::recent_since(now);
        let mut recent = store.load_recent(since).unwrap();
        assert!(
            recent.tickets.len() < whole.tickets.len() / 2,
            "the first load is the smaller part"
        );
        assert_eq!(
            recent.tickets.iter().filter(|t| t.status.is_open()).count(),
            whole.tickets.iter().filter(|t| t.status.is_open()).count(),
            "every open ticket is there from the first frame"
        );
        assert!(recent.tickets.iter().all(|t| t.status.is_open()
            || t.updated_at >= since
            || t.created_at >= since
            || t.deadline >= since));
        assert!(recent.surveys.iter().all(|s| s.at >= since));
        assert_eq!(
            (recent.compounds.len(), recent.readings.len()),
            (whole.compounds.len(), whole.readings.len())
        );

        // meanwhile a ticket of the older part changed: it is a row of the snapshot now, and its
        // settled copy read behind the first frame must not count twice
        let (tickets, surveys) = store.load_older(since).unwrap();
        assert!(!surveys.is_empty());
        let mut newer = tickets[0].clone();
        newer.version += 1;
        newer.category = Category::Complaint;
        newer.satisfaction = Some(SurveyAnswer::Dissatisfied);
        recent.tickets.push(newer.clone());
        recent.tickets.sort_by_key(|t| t.id);
        recent.reindex();
        // made as the console makes them: facts on the reading thread, rows dropped as read
        let placement = Placement::of_snapshot(&recent);
        let mut season = SettledSeason::new(recent.surveys.iter().map(|s| s.id).collect());
        for t in &tickets {
            season.ticket(t, &placement);
        }
        for a in &surveys {
            season.answer(a, &placement);
        }
        let mut facts = KpiFacts::of(&recent);
        facts.settle(season.facts(), &recent, 0);
        let mut now_whole = whole.clone();
        let at = now_whole.ticket_pos(newer.id).unwrap();
        now_whole.tickets[at] = newer;
        let rules = whole.kpi_rules;
        let season = heatdesk::domain::season::season_start(now.date())
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let all = KpiFacts::of(&now_whole);
        assert_eq!(
            facts.breakdown(&recent, (season, now), now, &rules),
            all.breakdown(&now_whole, (season, now), now, &rules),
            "the recent rows and the settled facts are the whole season, the changed one once"
        );
        assert_eq!(
            facts.daily(&recent, (season.date(), now.date()), now, &rules),
            all.daily(&now_whole, (season.date(), now.date()), now, &rules)
        );
        assert!(
            recent.tickets.len() < whole.tickets.len() / 2,
            "the season's settled rows are not held"
        );
    }
}

/// An import is a command like any other: the store checks each imported ticket by the
/// lifecycle's rules (whoever built the batch), names the row, and writes nothing; new rows
/// are numbered by the database, provisional ids and references to them resolved.
#[test]
fn an_import_batch_is_checked_by_the_lifecycle_and_numbered_by_the_database() {
    each("importbatch", |db, mut store| {
        use heatdesk::domain::batch::{ExternalId, ImportBatch, Rows, Table};
        let ticket = |id: i64, status: TicketStatus, team: Option<i64>| Ticket {
            status,
            team_id: team,
            ..common::ticket(id, 1, Category::NoHeat, at(8, 0), at(20, 0))
        };
        let batch = |rows: Vec<Ticket>, dry_run: bool| {
            let n = rows.len();
            Command::Import(Box::new(ImportBatch {
                file: "tickets.csv".into(),
                sources: (0..n)
                    .map(|i| heatdesk::domain::batch::RowAt::Row(i as u64 + 2))
                    .collect(),
                external_ids: rows
                    .iter()
                    .map(|t| ExternalId {
                        table: Table::Tickets,
                        external: format!("GD-{}", -t.id),
                        id: t.id,
                    })
                    .collect(),
                rows: Rows::Tickets(rows),
                nodes: Vec::new(),
                inserted: n,
                updated: 0,
                dry_run,
            }))
        };
        let dump = || {
            ["tickets", "ticket_events", "external_ids", "audit_events"]
                .map(|table| db.count(&format!("SELECT count(*) FROM {table}")))
        };
        let before = dump();
        // assigned but to no team: a state the lifecycle never reaches
        let bad = batch(
            vec![
                ticket(-1, TicketStatus::Received, None),
                ticket(-2, TicketStatus::Assigned, None),
            ],
            false,
        );
        let err = store.apply(&bad, &origin(9, 0)).unwrap_err().to_string();
        assert!(
            err.contains("tickets.csv row 3") && err.contains("team_id"),
            "{err}"
        );
        assert_eq!(dump(), before, "nothing written");

        // a dry run checks everything and writes nothing
        let good = vec![
            ticket(-1, TicketStatus::Received, None),
            Ticket {
                parent_id: Some(-1),
                ..ticket(-2, TicketStatus::Assigned, Some(2))
            },
        ];
        let Applied::Import(summary) = store
            .apply(&batch(good.clone(), true), &origin(9, 0))
            .unwrap()
        else {
            panic!()
        };
        assert!(!summary.written);
        assert_eq!(dump(), before, "a dry run writes nothing");

        // applied: the database numbers the rows, the link and the company's ids follow
        let Applied::Import(summary) = store.apply(&batch(good, false), &origin(9, 1)).unwrap()
        else {
            panic!()
        };
        assert!(summary.written && summary.rows == 2);
        let snap = store.load().unwrap();
        let ids: Vec<i64> = snap.tickets.iter().map(|t| t.id).collect();
        assert!(ids.iter().all(|&id| id > 0), "{ids:?}");
        let child = snap.tickets.iter().find(|t| t.parent_id.is_some()).unwrap();
        assert!(ids.contains(&child.parent_id.unwrap()));
        assert_eq!(child.team_id, Some(2));
        let trail = store.history(child.id).unwrap();
        assert_eq!(trail[0].action, "import");
        assert_eq!(trail[0].note, "tickets.csv row 3");
        let known = store.known_ids(Table::Tickets).unwrap();
        assert_eq!(known.external.len(), 2);
        assert!(known.external.contains(&("GD-2".to_string(), child.id)));
    });
}

/// The columns a table has in the database, in no particular order.
fn columns_in(db: &TestDb, table: &str) -> Vec<String> {
    let mut columns: Vec<String> = match db.backend {
        stores::Backend::Sqlite => {
            let conn = common::sql(db.location.file().unwrap());
            let mut st = conn
                .prepare("SELECT name FROM pragma_table_info(?1)")
                .unwrap();
            st.query_map([table], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
        stores::Backend::Postgres => stores::admin(db.url.as_deref().unwrap())
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
                &[&table],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect(),
    };
    columns.sort();
    columns
}

#[test]
fn every_table_is_described_once_and_both_schemas_hold_exactly_its_columns() {
    // each table's columns are written once (store/record.rs) and both dialects render their
    // statements from it; the two schemas are written apart, so they are held to it here
    for backend in stores::backends() {
        let db = stores::tiny_db(backend, "described");
        let described = heatdesk::store::record::described();
        assert!(described.len() >= 20, "{described:?}");
        for (table, columns) in described {
            let mut want: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            want.sort();
            assert_eq!(columns_in(&db, table), want, "{backend:?} {table}");
        }
    }
}

#[test]
fn an_import_updates_a_ticket_but_keeps_the_number_a_file_masks() {
    // an export masks reporters' numbers (138****5678); the same rows imported back must not
    // overwrite the numbers on file, while a real new number replaces it
    each("maskedphone", |_db, mut store| {
        use heatdesk::domain::batch::{ImportBatch, RowAt, Rows};
        let Applied::Ticket { ticket, .. } = store.apply(&new_ticket(), &origin(8, 0)).unwrap()
        else {
            panic!()
        };
        let import = |store: &mut Box<dyn DispatchStore>, phone: &str, description: &str| {
            let row = Ticket {
                reporter_phone: phone.into(),
                description: description.into(),
                version: 1,
                ..(*ticket).clone()
            };
            store
                .apply(
                    &Command::Import(Box::new(ImportBatch {
                        file: "tickets.xlsx".into(),
                        sources: vec![RowAt::Row(2)],
                        external_ids: Vec::new(),
                        rows: Rows::Tickets(vec![row]),
                        nodes: Vec::new(),
                        inserted: 0,
                        updated: 1,
                        dry_run: false,
                    })),
                    &origin(9, 0),
                )
                .unwrap();
            store.ticket(ticket.id).unwrap().unwrap()
        };
        let after = import(&mut store, "138****5678", "暖气片不热（复查）");
        assert_eq!(
            after.reporter_phone, "13812345678",
            "the number on file is kept"
        );
        assert_eq!(
            after.description, "暖气片不热（复查）",
            "the rest is the file's"
        );
        assert_eq!(after.version, ticket.version + 1, "the version moves on");
        let after = import(&mut store, "13900001111", "暖气片不热（复查）");
        assert_eq!(
            after.reporter_phone, "13900001111",
            "a whole number replaces it"
        );
        assert_eq!(after.version, ticket.version + 2);
    });
}
