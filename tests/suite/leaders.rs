//! The leaders' view driven like a user would: record a visit, sort the KPI table, fly to a
//! compound, and change the company's KPI definitions — then check the database.

use crate::common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, SqliteStore};

use common::console::{console, now};

#[test]
fn a_leader_records_a_visit_with_a_fixed_and_a_registered_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, path) = console(dir.path());
    harness.run_steps(2);
    harness.get_by_label("领导视图").click();
    harness.run_steps(2);
    harness.get_by_label("考核指标");
    harness.get_by_label("走访计划").click();
    harness.run_steps(2);
    // the top-ranked compound's "record visit"
    harness.get_all_by_label("登记走访").next().unwrap().click();
    harness.run_steps(2);
    let compound = harness
        .state()
        .visit_form
        .compound
        .expect("the form is open");
    // a new window takes a sizing pass before it shows
    harness.run_steps(3);
    harness.get_by_label("＋ 问题").click();
    harness.run_steps(2);
    harness.get_by_label("＋ 问题").click();
    harness.run_steps(2);
    {
        let form = &mut harness.state_mut().visit_form;
        form.leaders = "王书记、李经理".into();
        form.staff = "客服张敏".into();
        form.households_entered = 6;
        let h = &mut form.households[0];
        h.address = "2单元 301".into();
        h.readings[0].room = "卧室".into();
        h.readings[0].celsius = 16.5;
        h.answer = Some(SurveyAnswer::BasicallySatisfied);
        h.problems[0].category = Category::AirLock;
        h.problems[0].description = "暖气片积气, 已放气".into();
        h.problems[1].category = Category::LowTemperature;
        h.problems[1].description = "全屋偏冷, 需查入户阀".into();
    }
    harness.run_steps(1);
    harness.get_all_by_label("现场解决").next().unwrap().click();
    harness.run_steps(2);
    harness.get_by_label("＋ 测温").click();
    harness.run_steps(2);
    {
        let r = &mut harness.state_mut().visit_form.households[0].readings[1];
        r.room = "客厅".into();
        r.celsius = 18.4;
        r.method = TempMethod::InfraredAverage;
    }
    harness.run_steps(1);
    harness.get_by_label("保存走访").click();
    harness.run_steps(2);
    assert!(
        !harness.state().visit_form.open,
        "{:?}",
        harness.state().visit_form.problem
    );

    let snap = SqliteStore::open(&path).unwrap().load().unwrap();
    let visit = snap.visits.last().unwrap();
    assert_eq!(visit.compound_id, compound);
    assert_eq!(visit.leaders, "王书记、李经理");
    assert_eq!(visit.staff, "客服张敏");
    assert_eq!(visit.households_entered, 6);
    let readings: Vec<&TemperatureReading> = snap
        .readings
        .iter()
        .filter(|r| r.visit_id == Some(visit.id))
        .collect();
    assert_eq!(readings.len(), 2);
    assert_eq!(readings[0].celsius, 16.5);
    assert_eq!(readings[0].room, "2单元 301 卧室");
    assert_eq!(readings[1].method, TempMethod::InfraredAverage);
    assert_eq!(readings[0].taken_by, "王书记");
    let answers: Vec<_> = snap
        .surveys
        .iter()
        .filter(|s| s.visit_id == Some(visit.id))
        .collect();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].answer, SurveyAnswer::BasicallySatisfied);

    let raised: Vec<&Ticket> = snap
        .tickets
        .iter()
        .filter(|t| t.channel == Channel::LeaderVisit && t.created_at == visit.at)
        .collect();
    assert_eq!(raised.len(), 2);
    let fixed = raised
        .iter()
        .find(|t| t.category == Category::AirLock)
        .unwrap();
    assert_eq!(fixed.status, TicketStatus::Fixed);
    assert_eq!(fixed.timely, Some(true), "fixed on site counts as timely");
    assert_eq!(fixed.fixed_at, Some(visit.at));
    let open = raised
        .iter()
        .find(|t| t.category == Category::LowTemperature)
        .unwrap();
    assert_eq!(open.status, TicketStatus::Received);
    assert_eq!(open.address_detail, "2单元 301");
    // low temperature, normal: fixed within 24 h (default rules)
    assert_eq!(open.deadline - open.created_at, chrono::Duration::hours(24));
    // the registered problem waits in the dispatch queue
    assert!(
        harness
            .state()
            .console
            .views()
            .board
            .queued
            .contains(&open.id)
    );
}

#[test]
fn the_dashboard_sorts_flies_to_a_compound_and_saves_kpi_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, path) = console(dir.path());
    harness.run_steps(2);
    harness.get_by_label("领导视图").click();
    harness.run_steps(2);
    harness.get_by_label("本采暖季");
    // compounds, worst satisfaction first
    harness.get_by_label("小区").click();
    harness.run_steps(2);
    // the table's header (the top bar and the cards name the figure too)
    harness
        .get_all_by_role_and_label(Role::Button, "满意率")
        .last()
        .unwrap()
        .click();
    harness.run_steps(2);
    let worst = {
        let app = harness.state();
        let (from, to) = (
            heatdesk::domain::season::season_start(now().date())
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            now()
                .date()
                .succ_opt()
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        );
        let b =
            heatdesk::domain::kpi::breakdown(app.snap(), from, to, now(), &app.snap().kpi_rules);
        let (id, _) = b
            .compounds
            .iter()
            .filter(|c| c.1.satisfaction.denominator > 0)
            .min_by(|a, b| {
                a.1.satisfaction
                    .value()
                    .unwrap()
                    .total_cmp(&b.1.satisfaction.value().unwrap())
            })
            .unwrap();
        (*id, app.snap().compound(*id).unwrap().name.clone())
    };
    harness.get_all_by_value(&worst.1).next().unwrap().click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().selection,
        Some(heatdesk::ui::Selection::Compound(worst.0)),
        "the first row is the least satisfied compound, and a click selects it"
    );

    // the definitions are company settings, saved and audited
    harness.get_by_label("指标口径").click();
    harness.run_steps(4);
    harness.get_by_label("20 °C").click();
    harness.run_steps(2);
    harness.get_by_label("保存").click();
    harness.run_steps(2);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.load().unwrap().kpi_rules.temperature_standard, 20.0);
    assert_eq!(harness.state().snap().kpi_rules.temperature_standard, 20.0);
}
