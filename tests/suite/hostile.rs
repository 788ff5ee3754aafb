//! Hostile input: every command's text arguments and the parsers take anything — empty, huge,
//! control characters, SQL fragments, right-to-left text, emoji — without a panic, without
//! injection, and text comes back exactly as written.

use crate::common;

use heatdesk::domain::command::{HouseholdVisit, NewVisit, Problem, RoomReading};
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, SqliteStore};
use proptest::prelude::*;

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just(String::new()),
        Just("'); DROP TABLE tickets; --".to_string()),
        Just("\" OR 1=1 --".to_string()),
        Just("\u{202e}evil\u{202c} مرحبا עברית".to_string()),
        Just("🔥🧯 暖气不热 👍🏽\u{200d}".to_string()),
        Just("\0\u{1}\u{7}\r\n\t".to_string()),
        Just("x".repeat(100_000)),
        "[\\PC\\pC]{0,300}",
    ]
}

fn at() -> Timestamp {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

fn origin(actor: String) -> Origin {
    Origin { actor, at: at() }
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = common::tiny_store(dir.path());
    (dir, store)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn ticket_text_is_stored_exactly_as_written(
        address in nasty(), name in nasty(), phone in nasty(), description in nasty(), actor in nasty(),
    ) {
        let (_dir, mut store) = store();
        let applied = store.apply(
            &Command::CreateTicket(NewTicket {
                channel: Channel::Hotline,
                category: Category::LowTemperature,
                severity: Severity::Normal,
                building_id: 1,
                address_detail: address.clone(),
                reporter_name: name.clone(),
                reporter_phone: phone.clone(),
                description: description.clone(),
            }),
            &origin(actor.clone()),
        );
        let Ok(Applied::Ticket { ticket, .. }) = applied else {
            return Err(TestCaseError::fail(format!("{applied:?}")));
        };
        let snap = store.load().unwrap();
        prop_assert_eq!(snap.tickets.len(), 1, "one ticket, no injected rows");
        let t = snap.ticket(ticket.id).unwrap();
        prop_assert_eq!(&t.address_detail, &address);
        prop_assert_eq!(&t.reporter_name, &name);
        prop_assert_eq!(&t.reporter_phone, &phone);
        prop_assert_eq!(&t.description, &description);
        prop_assert_eq!(&store.history(t.id).unwrap()[0].actor, &actor);

        // a repeat report and a hold with the same text
        let note = format!("{name}{description}");
        store.apply(&Command::LinkReport {
            ticket: t.id,
            channel: Channel::Online,
            reporter_name: name.clone(),
            reporter_phone: phone.clone(),
            note: note.clone(),
        }, &origin(actor.clone())).unwrap();
        let hold = store.apply(&Command::Act {
            ticket: t.id,
            seen_version: t.version,
            action: Action::Hold { reason: description.clone() },
        }, &origin(actor.clone()));
        // a reason of only whitespace is refused, anything else is kept as written
        if description.trim().is_empty() {
            prop_assert!(hold.is_err());
        } else {
            prop_assert!(hold.is_ok());
            let trail = store.history(t.id).unwrap();
            prop_assert_eq!(&trail.last().unwrap().note, &description);
        }
    }

    #[test]
    fn visit_records_take_any_text_and_number_without_panic(
        leaders in nasty(), room in nasty(), problem in nasty(),
        celsius in prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), -50.0f64..80.0],
        entered in any::<u32>(),
    ) {
        let (_dir, mut store) = store();
        let visit = NewVisit {
            compound_id: 1,
            at: at(),
            channel: Channel::LeaderVisit,
            leaders: leaders.clone(),
            staff: room.clone(),
            consultation_desk: true,
            households_entered: entered,
            notes: problem.clone(),
            households: vec![HouseholdVisit {
                building_id: 1,
                address_detail: room.clone(),
                readings: vec![RoomReading { room: room.clone(), celsius, method: TempMethod::Thermometer }],
                problems: vec![Problem {
                    category: Category::AirLock,
                    severity: Severity::Normal,
                    description: problem.clone(),
                    fixed_on_site: false,
                }],
                answer: None,
            }],
        };
        let valid = visit.check().is_ok();
        let result = store.apply(&Command::RecordVisit(visit), &origin("t".into()));
        prop_assert_eq!(result.is_ok(), valid, "{:?}", result.as_ref().err());
        let snap = store.load().unwrap();
        if valid {
            prop_assert_eq!(snap.readings[0].celsius, celsius);
            prop_assert_eq!(&snap.visits[0].notes, &problem);
            prop_assert_eq!(&snap.tickets[0].description, &problem);
        } else {
            prop_assert!(snap.visits.is_empty() && snap.readings.is_empty() && snap.tickets.is_empty());
        }
    }

    #[test]
    fn kpi_settings_are_checked_so_the_database_always_loads(
        standard in prop_oneof![any::<f64>(), 0.0f64..40.0, Just(f64::NAN)],
        per in prop_oneof![any::<u32>(), Just(1000u32), Just(10_000u32)],
        limit in prop_oneof![any::<f64>(), 0.0f64..1.0, Just(f64::INFINITY)],
        minutes in any::<u32>(),
    ) {
        let (_dir, mut store) = store();
        let mut rules = heatdesk::domain::kpi::KpiRules {
            temperature_standard: standard,
            complaints_per_households: per,
            ..Default::default()
        };
        rules.thresholds.timely[0] = limit;
        let saved = store.apply(&Command::SetKpiRules(rules), &origin("t".into()));
        prop_assert_eq!(saved.is_ok(), rules.check().is_ok());
        let sla = store.apply(&Command::SetSlaRule(SlaRule {
            category: Category::Leak,
            severity: Severity::Urgent,
            respond_minutes: minutes,
            resolve_minutes: minutes,
        }), &origin("t".into()));
        prop_assert_eq!(sla.is_ok(), minutes > 0);
        let snap = store.load();
        prop_assert!(snap.is_ok(), "{:?}", snap.err());
        if saved.is_ok() {
            prop_assert_eq!(snap.unwrap().kpi_rules, rules);
        }
    }

    #[test]
    fn parsers_never_panic(text in nasty()) {
        // the first three and last four characters at most; the rest never shown, nor its length
        let masked = heatdesk::words::format::mask_phone(&text);
        let chars: Vec<char> = text.chars().collect();
        if chars.len() >= 7 {
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[chars.len() - 4..].iter().collect();
            prop_assert_eq!(masked, format!("{head}****{tail}"));
        } else {
            prop_assert_eq!(masked, "*".repeat(chars.len()));
        }
        let _ = Category::from_code(&text);
        let _ = Channel::from_code(&text);
        let _ = TicketStatus::from_code(&text);
        let form = heatdesk::ui::visit_form::VisitForm {
            compound: Some(1),
            at_text: text.clone(),
            leaders: text.clone(),
            ..Default::default()
        };
        let _ = form.to_command(heatdesk::words::Lang::Zh);
        // a typed tile URL: whatever it is, the key-redacting message never panics
        let _ = heatdesk::map::tiles::http::redact(&text);
    }
}

#[test]
fn a_phone_number_is_masked_in_the_middle() {
    use heatdesk::words::format::mask_phone;
    assert_eq!(mask_phone("13812345678"), "138****5678");
    assert_eq!(mask_phone("0351-7654321"), "035****4321");
    assert_eq!(mask_phone("12345"), "*****");
    assert_eq!(mask_phone(""), "");
}
