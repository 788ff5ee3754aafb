//! The crews as the dispatcher's console shows them (egui_kittest on the demo city): 账号管理
//! adds, resets and disables a technician's account; 短信 lists the outbox with masked numbers
//! and saves the templates; a trace texts the residents of an outage; a team's card says how
//! old its phone's position is and when it is stale; a 到场 far from the building and the
//! photos of 完工 show on the ticket.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use heatdesk::domain::crew::*;
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, SqliteStore};
use heatdesk::ui::Selection;

use crate::common::console::{console, now};

fn crew() -> Origin {
    Origin {
        actor: "张师傅 (zhang)".into(),
        at: now() - chrono::Duration::minutes(25),
    }
}

#[test]
fn an_admin_adds_resets_and_disables_a_crew_account() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, path) = console(dir.path());
    harness.run_steps(3);
    harness.get_by_label("账号管理").click_accesskit();
    harness.run_steps(3);
    harness.get_by_label_contains("Argon2");
    harness.get_by_label("还没有账号");
    let team = harness.state().snap().teams[2].clone();
    // a password too short is refused, and nothing is saved
    {
        let f = &mut harness.state_mut().crews;
        f.login = "zhao".into();
        f.name = "赵师傅".into();
        f.team = Some(team.id);
        f.password = "12345".into();
    }
    harness
        .get_by_role_and_label(Role::Button, "添加账号")
        .click_accesskit();
    harness.run_steps(3);
    harness.get_by_label_contains("at least 6");
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.accounts().unwrap().is_empty());

    harness.state_mut().crews.password = "winter-2026".into();
    harness
        .get_by_role_and_label(Role::Button, "添加账号")
        .click_accesskit();
    harness.run_steps(4);
    let a = store.account("zhao").unwrap().expect("saved");
    assert_eq!(
        (a.name.as_str(), a.team_id, a.disabled),
        ("赵师傅", Some(team.id), false)
    );
    assert!(verify_password("winter-2026", &a.password_hash));
    assert!(!a.password_hash.contains("winter"));
    // listed, with its team
    harness.get_by_label("zhao");
    assert!(
        harness.get_all_by_label(&team.name).count() >= 2,
        "the row and the team chosen"
    );

    // 重设密码
    harness.get_by_label("重设密码").click_accesskit();
    harness.run_steps(2);
    // the new password is typed into the row's field
    harness
        .get_all_by_role(Role::PasswordInput)
        .next()
        .unwrap()
        .focus();
    harness.run_steps(1);
    harness
        .get_all_by_role(Role::PasswordInput)
        .next()
        .unwrap()
        .type_text("spring-2027");
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::Button, "保存")
        .click_accesskit();
    harness.run_steps(4);
    let b = store.account("zhao").unwrap().unwrap();
    assert!(verify_password("spring-2027", &b.password_hash));
    assert_eq!(b.created_at, a.created_at);

    // 停用, then 启用
    harness.get_by_label("停用").click_accesskit();
    harness.run_steps(4);
    assert!(store.account("zhao").unwrap().unwrap().disabled);
    harness.get_by_label("已停用");
    harness.get_by_label("启用").click_accesskit();
    harness.run_steps(4);
    assert!(!store.account("zhao").unwrap().unwrap().disabled);
    // the audit trail has each change, never the password
    let audit = store.everything().unwrap().audit;
    let saved: Vec<_> = audit
        .iter()
        .filter(|e| e.command == "save_account")
        .collect();
    assert_eq!(saved.len(), 4, "{audit:?}");
    assert!(
        audit
            .iter()
            .all(|e| !e.detail.contains("winter") && !e.detail.contains("$argon2"))
    );
}

#[test]
fn the_outbox_shows_masked_numbers_and_the_templates_are_saved() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, path) = console(dir.path());
    harness.run_steps(3);
    let snap = harness.state().snap().clone();
    let t = snap
        .tickets
        .iter()
        .find(|t| t.status == TicketStatus::Received && t.reporter_phone.len() == 11)
        .unwrap()
        .clone();
    let team = snap.teams[0].id;
    harness.state_mut().assign(t.id, t.version, team);
    harness.run_steps(4);
    harness.get_by_label("短信").click_accesskit();
    harness.run_steps(4);
    assert!(
        harness.get_all_by_label("派单通知").count() >= 2,
        "in the outbox and the templates"
    );
    let masked = heatdesk::words::format::mask_phone(&t.reporter_phone);
    harness.get_by_label(&masked);
    assert!(harness.query_by_label(&t.reporter_phone).is_none());
    harness.get_by_label("待发送");

    // the templates: edited and saved, the next message written from them
    harness
        .state_mut()
        .crews
        .templates
        .as_mut()
        .unwrap()
        .assigned = "【热力公司】工单{ticket}由{team}处理，{eta}前到。".into();
    harness
        .get_by_role_and_label(Role::Button, "保存模板")
        .click_accesskit();
    harness.run_steps(4);
    let store = SqliteStore::open(&path).unwrap();
    assert!(
        store
            .message_templates()
            .unwrap()
            .assigned
            .starts_with("【热力公司】")
    );
    // an empty template is refused, and the saved ones stay
    harness
        .state_mut()
        .crews
        .templates
        .as_mut()
        .unwrap()
        .fixed
        .clear();
    harness
        .get_by_role_and_label(Role::Button, "保存模板")
        .click_accesskit();
    harness.run_steps(3);
    // said in the console's language, naming the message
    harness.get_by_label_contains("短信模板为空");
    assert!(!store.message_templates().unwrap().fixed.is_empty());
}

#[test]
fn a_trace_texts_the_residents_who_lose_heat() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, path) = console(dir.path());
    harness.run_steps(3);
    let station = harness.state().snap().stations[0].id;
    harness.state_mut().select(Selection::Station(station));
    harness.run_steps(3);
    harness.get_by_label("下游追踪").click_accesskit();
    harness.run_steps(3);
    let buildings = harness.state().trace.as_ref().unwrap().buildings.clone();
    assert!(!buildings.is_empty());
    harness.get_by_label("短信通知停热").click_accesskit();
    harness.run_steps(4);
    let store = SqliteStore::open(&path).unwrap();
    let out = store.outbox(500).unwrap();
    assert!(!out.is_empty());
    assert!(out.iter().all(|m| m.kind == MessageKind::OutageStop));
    // to residents of the traced buildings who left a number, and to nobody else
    let snap = harness.state().snap().clone();
    let expected: std::collections::HashSet<&str> = snap
        .tickets
        .iter()
        .filter(|t| buildings.contains(&t.building_id) && !t.reporter_phone.trim().is_empty())
        .map(|t| t.reporter_phone.as_str())
        .collect();
    // each resident once
    let phones: std::collections::HashSet<&str> = out.iter().map(|m| m.phone.as_str()).collect();
    assert_eq!(phones.len(), out.len());
    assert_eq!(phones, expected);
    harness.get_by_label_contains("条短信待发");
}

#[test]
fn a_teams_card_says_how_old_its_position_is_and_a_far_arrival_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, path) = console(dir.path());
    harness.run_steps(3);
    let snap = harness.state().snap().clone();
    // a ticket of the first team's (its card is at the top of the panel)
    let team = snap.teams[0].id;
    let mut phone = SqliteStore::open(&path).unwrap();
    let t = snap
        .tickets
        .iter()
        .find(|t| t.status == TicketStatus::Received)
        .unwrap()
        .clone();
    let t = phone
        .apply(
            &Command::Act {
                ticket: t.id,
                seen_version: t.version,
                action: Action::Assign { team },
            },
            &Origin {
                actor: "调度员".into(),
                at: now() - chrono::Duration::minutes(40),
            },
        )
        .unwrap()
        .tickets()[0]
        .clone();
    let building = snap.building(t.building_id).unwrap();
    let centre = centroid(&building.footprint);
    // the crew's phone, as the server would apply it: accepted, then 到场 800 m away, 25
    // minutes ago, and nothing since
    let accepted = phone
        .apply(
            &Command::Field(Box::new(FieldCommand {
                ticket: t.id,
                seen_version: t.version,
                team,
                step: FieldStep::Accept,
                client_id: "a1".into(),
            })),
            &crew(),
        )
        .unwrap()
        .tickets()[0]
        .clone();
    let far = [centre[0] + 0.0091, centre[1]];
    phone
        .apply(
            &Command::Field(Box::new(FieldCommand {
                ticket: t.id,
                seen_version: accepted.version,
                team,
                step: FieldStep::Arrive {
                    at: far,
                    accuracy_m: 15.0,
                    distance_m: distance_km(far, centre) * 1000.0,
                },
                client_id: "a2".into(),
            })),
            &crew(),
        )
        .unwrap();
    harness
        .state()
        .console
        .push(heatdesk::console::Request::PollNow);
    harness.run_steps(4);
    let name = &snap.team(team).unwrap().name;
    harness.get_by_label(name);
    harness.get_by_label_contains("25分钟前 ±15 m · 张师傅 (zhang) · 位置过期");
    harness.state_mut().select(Selection::Ticket(t.id));
    harness.run_steps(4);
    harness.get_by_label_contains("到场位置距楼栋");
    // the marker moved to where the phone was
    assert_eq!(harness.state().snap().team(team).unwrap().position, far);
}

fn distance_km(a: LonLat, b: LonLat) -> f64 {
    heatdesk::domain::suggest::distance_km(a, b)
}
