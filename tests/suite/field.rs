//! Crews in the field, in the store (SQLite, and PostgreSQL when a test server is given): a
//! phone's steps through a ticket's life with the team's status, position and the messages to
//! the resident; a retry applied once; another team's ticket and a stale version refused with
//! nothing changed; positions reaching another console; outage messages; accounts.

use heatdesk::domain::crew::*;
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, StoreError};

use crate::common::crews::{assigned, at, desk};
use crate::common::stores::{self, Backend, TestDb};

fn crew(h: u32, m: u32) -> Origin {
    Origin {
        actor: "张师傅 (zhang)".into(),
        at: at(h, m),
    }
}

/// The tiny city's ticket from a resident who left a number, given to team 1.
fn assigned_to_1(store: &mut Box<dyn DispatchStore>) -> Ticket {
    assigned(&mut **store, 1, "3单元 502", "暖气片上热下凉")
}

fn field(t: &Ticket, version: i64, team: TeamId, step: FieldStep, id: &str) -> Command {
    Command::Field(Box::new(FieldCommand {
        ticket: t.id,
        seen_version: version,
        team,
        step,
        client_id: id.into(),
    }))
}

fn ticket_now(store: &dyn DispatchStore, id: TicketId) -> Ticket {
    store.ticket(id).unwrap().unwrap()
}

fn team_now(store: &dyn DispatchStore, id: TeamId) -> Team {
    store
        .load()
        .unwrap()
        .teams
        .into_iter()
        .find(|t| t.id == id)
        .unwrap()
}

fn each(label: &str, test: impl Fn(&TestDb, Box<dyn DispatchStore>)) {
    for backend in stores::backends() {
        let db = stores::tiny_db(backend, label);
        let store = db.open();
        test(&db, store);
    }
}

#[test]
fn a_crew_takes_a_ticket_from_assignment_to_done_and_the_resident_hears_of_it() {
    each("crew", |db, mut store| {
        let t = assigned_to_1(&mut store);
        // 派单: the resident hears which team comes, and by when
        let out = store.outbox(10).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, MessageKind::Assigned);
        assert_eq!(out[0].phone, "13812345678");
        assert_eq!(out[0].status, MessageStatus::Pending);
        assert!(out[0].body.contains("城西维修一班"), "{}", out[0].body);
        assert!(out[0].body.contains("工银新村 1号楼"), "{}", out[0].body);
        assert!(
            out[0]
                .body
                .contains(&t.respond_by.format("%H:%M").to_string()),
            "{}",
            out[0].body
        );

        store
            .apply(
                &field(&t, t.version, 1, FieldStep::Accept, "c1"),
                &crew(8, 10),
            )
            .unwrap();
        let v = ticket_now(&*store, t.id);
        assert_eq!(v.status, TicketStatus::Accepted);

        store
            .apply(
                &field(&t, v.version, 1, FieldStep::Depart, "c2"),
                &crew(8, 12),
            )
            .unwrap();
        let v2 = ticket_now(&*store, t.id);
        assert_eq!(v2.status, TicketStatus::Accepted, "出发 keeps the status");
        assert_eq!(v2.version, v.version + 1);
        assert_eq!(team_now(&*store, 1).status, TeamStatus::OnRoute);

        let there = [112.506, 37.8];
        store
            .apply(
                &field(
                    &t,
                    v2.version,
                    1,
                    FieldStep::Arrive {
                        at: there,
                        accuracy_m: 12.0,
                        distance_m: 527.4,
                    },
                    "c3",
                ),
                &crew(8, 30),
            )
            .unwrap();
        let v3 = ticket_now(&*store, t.id);
        assert_eq!(v3.status, TicketStatus::OnSite);
        let team = team_now(&*store, 1);
        assert_eq!((team.status, team.position), (TeamStatus::OnSite, there));
        let p = store.load().unwrap().position_of(1).cloned().unwrap();
        assert_eq!((p.position, p.at, p.accuracy_m), (there, at(8, 30), 12.0));

        let photo = Photo {
            mime: "image/jpeg".into(),
            bytes: vec![0xff, 0xd8, 0xff, 0xe0, 1, 2, 3],
        };
        store
            .apply(
                &field(
                    &t,
                    v3.version,
                    1,
                    FieldStep::Complete {
                        celsius: Some(19.5),
                        method: TempMethod::Thermometer,
                        work: "排气阀放气".into(),
                        photos: vec![photo.clone()],
                    },
                    "c4",
                ),
                &crew(9, 0),
            )
            .unwrap();
        let done = ticket_now(&*store, t.id);
        assert_eq!(done.status, TicketStatus::Fixed);
        assert_eq!(done.fixed_at, Some(at(9, 0)));
        assert_eq!(done.timely, Some(true));
        assert_eq!(team_now(&*store, 1).status, TeamStatus::Free);
        assert_eq!(store.photos(t.id).unwrap(), vec![photo]);
        let snap = store.load().unwrap();
        let r = snap.readings.last().unwrap();
        assert_eq!(
            (r.building_id, r.celsius, r.taken_at, r.visit_id),
            (1, 19.5, at(9, 0), None)
        );

        // the trail: every step, by the technician (and, on a server, its session's user)
        let trail = store.history(t.id).unwrap();
        let steps: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            steps,
            ["create", "assign", "accept", "depart", "arrive", "fix"]
        );
        let arrive = trail.iter().find(|e| e.action == "arrive").unwrap();
        assert_eq!(arrive.note, "527 m ±12 m");
        for e in &trail[2..] {
            match db.backend {
                Backend::Sqlite => assert_eq!(e.actor, "张师傅 (zhang)"),
                Backend::Postgres => {
                    assert_eq!(e.actor, format!("{} / 张师傅 (zhang)", db.actor("")))
                }
            }
        }
        // 到场 and 完工 told the resident too, the last with the callback question
        let out = store.outbox(10).unwrap();
        let kinds: Vec<MessageKind> = out.iter().rev().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MessageKind::Assigned,
                MessageKind::Arrived,
                MessageKind::Fixed
            ]
        );
        assert!(out[0].body.contains("排气阀放气"), "{}", out[0].body);
        assert!(out[0].body.contains("满意"), "{}", out[0].body);
    });
}

#[test]
fn a_retried_request_is_applied_once() {
    each("retry", |db, mut store| {
        let t = assigned_to_1(&mut store);
        let accept = field(&t, t.version, 1, FieldStep::Accept, "same-id");
        store.apply(&accept, &crew(8, 10)).unwrap();
        let events = db.count("SELECT count(*) FROM ticket_events");
        let again = store.apply(&accept, &crew(8, 11));
        assert!(
            matches!(again, Err(StoreError::AlreadyApplied { .. })),
            "{again:?}"
        );
        assert_eq!(db.count("SELECT count(*) FROM ticket_events"), events);
        assert_eq!(ticket_now(&*store, t.id).version, t.version + 1);
    });
}

#[test]
fn another_teams_ticket_and_a_stale_version_are_refused_and_change_nothing() {
    each("refused", |db, mut store| {
        let t = assigned_to_1(&mut store);
        let before = db.count("SELECT count(*) FROM ticket_events")
            + db.count("SELECT count(*) FROM client_commands")
            + db.count("SELECT count(*) FROM outbox");
        let theirs = store.apply(
            &field(&t, t.version, 2, FieldStep::Accept, "x1"),
            &crew(8, 10),
        );
        assert!(
            matches!(theirs, Err(StoreError::NotFound { what: "ticket", .. })),
            "{theirs:?}"
        );
        let stale = store.apply(
            &field(&t, t.version - 1, 1, FieldStep::Accept, "x2"),
            &crew(8, 10),
        );
        match stale {
            Err(StoreError::Stale { by, current, .. }) => {
                assert_eq!(current, t.version);
                assert!(by.is_some());
            }
            other => panic!("{other:?}"),
        }
        // 完工 straight from 派单 is not a step the lifecycle allows
        let early = store.apply(
            &field(
                &t,
                t.version,
                1,
                FieldStep::Complete {
                    celsius: None,
                    method: TempMethod::Thermometer,
                    work: "x".into(),
                    photos: vec![],
                },
                "x3",
            ),
            &crew(8, 10),
        );
        assert!(matches!(early, Err(StoreError::Refused(_))), "{early:?}");
        let after = db.count("SELECT count(*) FROM ticket_events")
            + db.count("SELECT count(*) FROM client_commands")
            + db.count("SELECT count(*) FROM outbox");
        assert_eq!(before, after, "nothing written");
        assert_eq!(ticket_now(&*store, t.id), t);
    });
}

#[test]
fn positions_reach_another_console() {
    each("positions", |db, mut store| {
        let mut other = db.open();
        let snap = other.load().unwrap();
        assert!(snap.position_of(2).is_none());
        let p = TeamPosition {
            team_id: 2,
            position: [112.51, 37.81],
            accuracy_m: 20.0,
            at: at(10, 0),
            by: "李师傅 (li)".into(),
        };
        store
            .apply(&Command::ReportPosition(p.clone()), &crew(10, 0))
            .unwrap();
        let mut snap = snap;
        match other.catch_up().unwrap() {
            Update::Changed(changes) => snap.absorb(changes),
            u => panic!("{u:?}"),
        }
        assert_eq!(snap.position_of(2), Some(&p));
        assert_eq!(snap.team(2).unwrap().position, [112.51, 37.81]);
        assert!(p.is_stale(at(10, 10)) && !p.is_stale(at(10, 9)));
        // nowhere on Earth: refused
        let bad = store.apply(
            &Command::ReportPosition(TeamPosition {
                position: [f64::NAN, 37.0],
                ..p
            }),
            &crew(10, 1),
        );
        assert!(
            matches!(
                bad,
                Err(StoreError::Refusal(
                    heatdesk::domain::command::Refusal::NotOnEarth { .. }
                ))
            ),
            "{bad:?}"
        );
    });
}

#[test]
fn an_outage_notice_reaches_each_resident_once() {
    each("outage", |_db, mut store| {
        let t = assigned_to_1(&mut store);
        // a second report from the same number, and one from a neighbour
        for phone in ["13812345678", "13900001111", ""] {
            store
                .apply(
                    &Command::CreateTicket(NewTicket {
                        channel: Channel::Hotline,
                        category: Category::NoHeat,
                        severity: Severity::Urgent,
                        building_id: 1,
                        address_detail: String::new(),
                        reporter_name: String::new(),
                        reporter_phone: phone.into(),
                        description: String::new(),
                    }),
                    &desk(9, 0),
                )
                .unwrap();
        }
        let before = store.outbox(100).unwrap().len();
        let done = store
            .apply(
                &Command::NotifyOutage {
                    buildings: vec![1],
                    restore: false,
                    when: at(22, 0),
                },
                &desk(12, 0),
            )
            .unwrap();
        assert_eq!(done, Applied::Noted { messages: 2 });
        let out = store.outbox(100).unwrap();
        assert_eq!(out.len(), before + 2);
        let mut phones: Vec<&str> = out[..2].iter().map(|m| m.phone.as_str()).collect();
        phones.sort();
        assert_eq!(phones, ["13812345678", "13900001111"]);
        assert!(out[0].body.contains("11月27日 22:00"), "{}", out[0].body);
        assert!(out.iter().all(|m| m.kind != MessageKind::OutageRestore));
        let _ = t;
    });
}

#[test]
fn accounts_keep_a_hash_never_a_password() {
    each("accounts", |db, mut store| {
        let account = |hash: &str| Account {
            login: "zhang".into(),
            name: "张师傅".into(),
            team_id: Some(1),
            role: heatdesk::domain::crew::Role::Technician,
            password_hash: hash.into(),
            created_at: at(7, 0),
            disabled: false,
        };
        let plain = store.apply(&Command::SaveAccount(account("secret123")), &desk(7, 0));
        assert!(
            matches!(
                plain,
                Err(StoreError::Refusal(
                    heatdesk::domain::command::Refusal::PasswordNotHashed
                ))
            ),
            "{plain:?}"
        );
        let hash = heatdesk::serve::auth::hash_password("secret123").unwrap();
        assert!(heatdesk::serve::auth::verify_password("secret123", &hash));
        assert!(!heatdesk::serve::auth::verify_password("secret124", &hash));
        store
            .apply(&Command::SaveAccount(account(&hash)), &desk(7, 0))
            .unwrap();
        assert_eq!(store.account("zhang").unwrap(), Some(account(&hash)));
        assert_eq!(
            db.count("SELECT count(*) FROM audit_events WHERE command = 'save_account' AND detail LIKE '%argon2%'"),
            0,
            "the trail never holds the hash"
        );
        let no_team = store.apply(
            &Command::SaveAccount(Account {
                team_id: Some(99),
                ..account(&hash)
            }),
            &desk(7, 0),
        );
        assert!(
            matches!(no_team, Err(StoreError::NotFound { .. })),
            "{no_team:?}"
        );
        // a technician belongs to a team; a dispatcher to none
        for (role, team) in [
            (heatdesk::domain::crew::Role::Technician, None),
            (heatdesk::domain::crew::Role::Dispatcher, Some(1)),
        ] {
            let misfit = store.apply(
                &Command::SaveAccount(Account {
                    role,
                    team_id: team,
                    ..account(&hash)
                }),
                &desk(7, 0),
            );
            assert!(
                matches!(misfit, Err(StoreError::Refusal(Refusal::RoleTeam { .. }))),
                "{role:?} {team:?}: {misfit:?}"
            );
        }
        let dispatcher = Account {
            login: "wang".into(),
            role: heatdesk::domain::crew::Role::Dispatcher,
            team_id: None,
            ..account(&hash)
        };
        store
            .apply(&Command::SaveAccount(dispatcher.clone()), &desk(7, 0))
            .unwrap();
        assert_eq!(store.account("wang").unwrap(), Some(dispatcher));
        let bad_login = store.apply(
            &Command::SaveAccount(Account {
                login: "x'; DROP TABLE accounts; --".into(),
                ..account(&hash)
            }),
            &desk(7, 0),
        );
        assert!(
            matches!(bad_login, Err(StoreError::Refusal(Refusal::BadLogin(_)))),
            "{bad_login:?}"
        );
        assert_eq!(
            store.accounts().unwrap().len(),
            2,
            "the technician and wang"
        );
    });
}
