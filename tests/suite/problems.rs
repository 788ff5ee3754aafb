//! Every refusal and failure the console shows is said in its language: each store error and
//! each lifecycle refusal in Chinese and English, no server address or file path in it, and a
//! refused command on screen in the console's own words.

use egui_kittest::kittest::Queryable;
use heatdesk::console::Request;
use heatdesk::domain::batch::RowAt;
use heatdesk::domain::lifecycle::{Action, TransitionError, transition};
use heatdesk::domain::*;
use heatdesk::store::StoreError;
use heatdesk::words::Lang;
use heatdesk::words::problem::say;

use crate::common::console;

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// One of every store error, with addresses and paths a notice must not show.
fn every_store_error() -> Vec<StoreError> {
    let path = "/srv/secret/heatdesk.db".to_string();
    let server = "postgres://wang@db.example:5432/heatdesk".to_string();
    let postgres = postgres::Client::connect(
        "host=/nonexistent/heatdesk port=1 user=wang dbname=heatdesk",
        postgres::NoTls,
    )
    .err()
    .expect("no server there");
    vec![
        StoreError::Missing { path: path.clone() },
        StoreError::BadFolder { path: path.clone() },
        StoreError::Exists { path: path.clone() },
        StoreError::NotHeatDesk { path: path.clone() },
        StoreError::NewerSchema {
            path: path.clone(),
            found: 12,
            supported: 9,
        },
        StoreError::Corrupt {
            path: path.clone(),
            detail: "file is not a database".into(),
        },
        StoreError::ReadOnly { path: path.clone() },
        StoreError::NotEmpty {
            path: path.clone(),
            what: "seeding a data set",
        },
        StoreError::Stale {
            ticket: 42,
            seen: 3,
            current: 5,
            by: Some("dispatcher-2".into()),
            at: Some(demo_noon()),
        },
        StoreError::Stale {
            ticket: 42,
            seen: 3,
            current: 5,
            by: None,
            at: None,
        },
        StoreError::NotFound {
            what: "team",
            id: 7,
        },
        StoreError::NotFound {
            what: "pipe segment",
            id: 7,
        },
        StoreError::AlreadyApplied {
            client_id: "phone-1-7".into(),
        },
        StoreError::Refused(TransitionError::ReasonRequired("hold")),
        StoreError::Invalid("a reading must be between -40 and 60".into()),
        StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows),
        StoreError::BadUrl {
            url: server.clone(),
            detail: "no host".into(),
        },
        StoreError::Unreachable {
            server: server.clone(),
            detail: "connection refused".into(),
        },
        StoreError::Unavailable {
            server: server.clone(),
            since_s: 5,
        },
        StoreError::Occupied {
            server: server.clone(),
        },
        StoreError::CommitUnknown {
            server: server.clone(),
        },
        StoreError::Empty {
            path: path.clone(),
            hint: "run heatdesk init".into(),
        },
        StoreError::SchemaRefused {
            path: server.clone(),
            detail: "permission denied for schema public".into(),
        },
        StoreError::Forbidden {
            server: server.clone(),
            detail: "permission denied for table sla_rules".into(),
        },
        StoreError::Postgres(postgres),
        StoreError::Refusal(Refusal::DeadlineUnderAMinute),
        StoreError::Refusal(Refusal::BadLogin("wang li".into())),
        StoreError::Refusal(Refusal::CannotLink {
            ticket: 5,
            status: TicketStatus::Closed,
        }),
        StoreError::Refusal(Refusal::AlreadyLinked {
            ticket: 5,
            parent: 9,
        }),
        StoreError::Refusal(Refusal::NotOpen {
            ticket: 5,
            status: TicketStatus::Fixed,
        }),
        StoreError::Refusal(Refusal::NoBuildingToNotify),
        StoreError::Refusal(Refusal::PasswordNotHashed),
        StoreError::Refusal(Refusal::EmptyTemplate(
            heatdesk::domain::crew::MessageKind::Arrived,
        )),
        StoreError::Refusal(Refusal::Visit(
            heatdesk::domain::command::VisitProblem::NoLeaders,
        )),
        StoreError::Refusal(Refusal::HouseholdElsewhere {
            household: 2,
            building: 7,
            compound: 3,
        }),
        StoreError::Refusal(Refusal::ImportedMisfit {
            at: file_row(Some(RowAt::Row(3))),
            status: TicketStatus::Assigned,
            field: "team_id".into(),
        }),
        StoreError::Refusal(Refusal::OwnNetworkTicket(file_row(Some(RowAt::Feature(4))))),
        StoreError::Refusal(Refusal::MissingNewRow {
            file: "buildings.xlsx".into(),
            table: heatdesk::domain::batch::Table::Buildings,
            refers: heatdesk::domain::batch::Table::Compounds,
        }),
        StoreError::Refusal(Refusal::RowRefused {
            at: file_row(None),
            detail: "FOREIGN KEY constraint failed".into(),
        }),
        StoreError::Refusal(Refusal::NotOnEarth {
            position: [912.5, 37.8],
            accuracy_m: 20.0,
        }),
        StoreError::Refusal(Refusal::NoClientId),
        StoreError::Refusal(Refusal::TooManyPhotos),
        StoreError::Refusal(Refusal::ImplausibleTemperature(71.0)),
        StoreError::Refusal(Refusal::Kpi(heatdesk::domain::kpi::KpiProblem::Standard(
            35.0,
        ))),
        StoreError::Refusal(Refusal::Kpi(heatdesk::domain::kpi::KpiProblem::Basis(100))),
        StoreError::Refusal(Refusal::Kpi(heatdesk::domain::kpi::KpiProblem::Limits {
            rate: heatdesk::domain::kpi::Rate::Timely,
            max: 1.0,
        })),
        StoreError::Refusal(Refusal::RoleTeam {
            login: "wang".into(),
            role: heatdesk::domain::crew::Role::Leader,
        }),
        StoreError::Refusal(Refusal::RoleTeam {
            login: "zhang".into(),
            role: heatdesk::domain::crew::Role::Technician,
        }),
        StoreError::WrongPassword {
            server: server.clone(),
        },
        StoreError::TooManyGuesses {
            server: server.clone(),
        },
        StoreError::NotConsoleAccount {
            server: server.clone(),
        },
        StoreError::SessionEnded {
            server: server.clone(),
        },
        StoreError::OtherServer {
            server: server.clone(),
            version: "0.2.0".into(),
        },
        StoreError::ServerFailed {
            server: server.clone(),
            detail: "the answer could not be written".into(),
        },
        StoreError::Certificate {
            server: server.clone(),
            why: heatdesk::store::CertProblem::Expired,
        },
        StoreError::Certificate {
            server: server.clone(),
            why: heatdesk::store::CertProblem::NotTrusted,
        },
        StoreError::Certificate {
            server: server.clone(),
            why: heatdesk::store::CertProblem::OtherName,
        },
        StoreError::Certificate {
            server: server.clone(),
            why: heatdesk::store::CertProblem::Invalid,
        },
        StoreError::File {
            path: "D:/heat/backups".into(),
            kind: std::io::ErrorKind::NotADirectory,
            detail: "Not a directory (os error 20)".into(),
        },
    ]
}

fn file_row(at: Option<RowAt>) -> heatdesk::domain::command::FileRow {
    heatdesk::domain::command::FileRow {
        file: "tickets.csv".into(),
        at,
    }
}

fn demo_noon() -> Timestamp {
    console::now()
}

#[test]
fn every_store_error_is_said_in_both_languages_without_addresses() {
    let errors = every_store_error();
    for e in &errors {
        let zh = say(Lang::Zh, &e.problem());
        let en = say(Lang::En, &e.problem());
        for text in [&zh, &en] {
            assert!(!text.is_empty(), "{e:?}");
            for secret in ["postgres://", "db.example", "wang@", "/srv/secret"] {
                assert!(
                    !text.contains(secret),
                    "{secret} shown in {text:?} for {e:?}"
                );
            }
        }
        assert!(has_chinese(&zh), "not Chinese: {zh:?} for {e:?}");
        assert!(!has_chinese(&en), "not English: {en:?} for {e:?}");
        assert_ne!(zh, en);
    }
    // a stale ticket names who changed it, and when
    let stale = say(Lang::Zh, &errors[8].problem());
    assert_eq!(
        stale,
        "工单 #42 已被 dispatcher-2（11-27 12:00） 改过（您看到的是第 3 版，现为第 5 版）：请看过后重试"
    );
    assert!(say(Lang::Zh, &errors[9].problem()).contains("已被 其他人 改过"));
    // a backup's folder is the company's own: named, with what stands in the way
    assert_eq!(
        say(Lang::Zh, &errors.last().unwrap().problem()),
        "D:/heat/backups：路径中有同名文件而不是文件夹"
    );
    assert_eq!(say(Lang::Zh, &errors[11].problem()), "没有编号为 7 的管段");
    assert_eq!(
        say(Lang::Zh, &errors[28].problem()),
        "工单 #5 已并入管网工单 #9"
    );
    // an import's refusal names the file and the row in the reader's words
    let misfit = errors
        .iter()
        .find(|e| matches!(e, StoreError::Refusal(Refusal::ImportedMisfit { .. })))
        .unwrap();
    assert_eq!(
        say(Lang::Zh, &misfit.problem()),
        format!(
            "tickets.csv 第 3 行：状态「{}」与字段 team_id 不符",
            heatdesk::words::status(Lang::Zh, TicketStatus::Assigned)
        )
    );
    assert!(say(Lang::En, &misfit.problem()).starts_with("tickets.csv row 3: status"));
    assert_eq!(
        say(Lang::En, &errors[18].problem()),
        "the database server has been away for 5 s: nothing was written; HeatDesk reconnects by itself"
    );
}

/// Every refusal the lifecycle can give, for every status and action, names both in the
/// reader's language (no action said as "其他"/"Other").
#[test]
fn every_lifecycle_refusal_is_said_in_both_languages() {
    let mut actions = crate::lifecycle::all_actions();
    actions.push(Action::Hold { reason: " ".into() });
    let now = console::now();
    let template = crate::common::ticket(42, 1, Category::NoHeat, now, now);
    let mut refusals = 0;
    for &status in TicketStatus::ALL {
        for action in &actions {
            let ticket = Ticket {
                id: 42,
                status,
                team_id: Some(1),
                ..template.clone()
            };
            let Err(refusal) = transition(&ticket, action, now) else {
                continue;
            };
            refusals += 1;
            let problem = StoreError::Refused(refusal).problem();
            let zh = say(Lang::Zh, &problem);
            let en = say(Lang::En, &problem);
            assert!(has_chinese(&zh) && !has_chinese(&en), "{zh} / {en}");
            assert!(!zh.contains("其他") && !en.contains("other"), "{zh} / {en}");
            assert!(!zh.chars().any(|c| c.is_ascii_alphabetic()), "{zh}");
        }
    }
    assert!(refusals > 40, "only {refusals} refusals walked");
    let zh = say(
        Lang::Zh,
        &StoreError::Refused(TransitionError::Illegal {
            ticket: 42,
            status: TicketStatus::Closed,
            action: "assign",
        })
        .problem(),
    );
    assert_eq!(zh, "工单 #42 当前为「已结案」，不能派单");
}

/// A command refused by the store (the ticket moved on meanwhile) is said on screen in the
/// console's language, in full, in both languages.
#[test]
fn a_refused_command_is_said_on_screen_in_the_consoles_language() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = console::console(dir.path());
    harness.run_steps(2);
    let t = harness
        .state()
        .snap()
        .tickets
        .iter()
        .find(|t| t.status == TicketStatus::Received)
        .unwrap()
        .clone();
    for (lang, says, not) in [
        (Lang::Zh, "操作被拒绝：工单 #", "changed by"),
        (Lang::En, "Refused: ticket #", "已被"),
    ] {
        harness.state_mut().prefs.lang = lang;
        harness
            .state_mut()
            .console
            .push(Request::apply(Command::Act {
                ticket: t.id,
                seen_version: t.version + 7,
                action: Action::Escalate { reason: "x".into() },
            }));
        harness.run_steps(3);
        let notice = harness.state().notice.clone().expect("a notice").text;
        assert!(notice.starts_with(says), "{notice}");
        assert!(!notice.contains(not), "{notice}");
        harness.get_by_label(&notice);
    }
    // the notice follows the console's language when it is switched: said again, not kept
    // in the language it came in
    harness.state_mut().prefs.lang = Lang::Zh;
    harness.run_steps(2);
    let notice = harness.state().notice.clone().expect("a notice").text;
    assert!(notice.starts_with("操作被拒绝：工单 #"), "{notice}");
    harness.get_by_label(&notice);
    // nothing changed
    assert_eq!(harness.state().snap().ticket(t.id), Some(&t));
}

/// What a visit's form and the message templates get wrong is said in the form's language.
#[test]
fn a_forms_problems_are_said_in_both_languages() {
    use heatdesk::domain::command::VisitProblem;
    use heatdesk::domain::crew::MessageKind;
    use heatdesk::words::problem::{empty_template, visit};
    let all = [
        VisitProblem::Channel,
        VisitProblem::NoLeaders,
        VisitProblem::FewerEntered {
            entered: 2,
            recorded: 3,
        },
        VisitProblem::Reading {
            household: 1,
            reading: 2,
            celsius: 55.0,
        },
        VisitProblem::Undescribed {
            household: 2,
            problem: 1,
        },
    ];
    for p in &all {
        let (zh, en) = (visit(Lang::Zh, p), visit(Lang::En, p));
        assert!(has_chinese(&zh) && !has_chinese(&en), "{zh} / {en}");
        assert!(
            !zh.chars().any(|c| c.is_ascii_alphabetic() && c != 'C'),
            "{zh}"
        );
    }
    for &kind in MessageKind::ALL {
        let (zh, en) = (
            empty_template(Lang::Zh, kind),
            empty_template(Lang::En, kind),
        );
        assert!(has_chinese(&zh) && !has_chinese(&en), "{zh} / {en}");
    }
    // the form itself: a visit without its leaders
    let form = heatdesk::ui::visit_form::VisitForm {
        compound: Some(1),
        at_text: "2026-11-27 10:00".into(),
        ..Default::default()
    };
    assert_eq!(form.to_command(Lang::Zh).unwrap_err(), "请填写走访领导");
    assert_eq!(
        form.to_command(Lang::En).unwrap_err(),
        "name who went (leaders)"
    );
}
