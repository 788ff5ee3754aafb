//! Recording a leaders' visit: the visit, its readings and answers, and a ticket for every
//! problem found — fixed on site or registered for a team — in the caller's transaction.

use rusqlite::{OptionalExtension, Transaction};

use super::StoreError;
use super::apply::{create_ticket, require, save_step};
use super::write::{insert_reading, insert_survey, insert_visit};
use crate::domain::command::NewVisit;
use crate::domain::lifecycle::Transition;
use crate::domain::*;

pub fn record_visit(
    tx: &Transaction<'_>,
    new: &NewVisit,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    new.check().map_err(StoreError::Invalid)?;
    require(tx, "compounds", "compound", new.compound_id)?;
    for (h, household) in new.households.iter().enumerate() {
        let compound: Option<i64> = tx
            .query_row(
                "SELECT compound_id FROM buildings WHERE id = ?1",
                [household.building_id],
                |r| r.get(0),
            )
            .optional()?;
        if compound != Some(new.compound_id) {
            return Err(StoreError::Invalid(format!(
                "household {}: building #{} is not in compound #{}",
                h + 1,
                household.building_id,
                new.compound_id
            )));
        }
    }
    let mut visit = Visit {
        id: 0,
        compound_id: new.compound_id,
        at: new.at,
        leaders: new.leaders.trim().to_string(),
        staff: new.staff.trim().to_string(),
        consultation_desk: new.consultation_desk,
        households_entered: new.households_entered,
        notes: new.notes.clone(),
    };
    visit.id = insert_visit(tx, &visit)?;
    let taken_by = visit
        .leaders
        .split(['、', ',', '，', ' '])
        .next()
        .unwrap_or_default()
        .to_string();
    let mut readings = Vec::new();
    let mut surveys = Vec::new();
    let mut tickets = Vec::new();
    // the tickets carry the visit's time; the audit trail says who recorded them
    let at_visit = Origin {
        actor: origin.actor.clone(),
        at: new.at,
    };
    for household in &new.households {
        for r in &household.readings {
            let mut reading = TemperatureReading {
                id: 0,
                building_id: household.building_id,
                visit_id: Some(visit.id),
                room: format!("{} {}", household.address_detail, r.room)
                    .trim()
                    .to_string(),
                celsius: r.celsius,
                method: r.method,
                taken_at: new.at,
                taken_by: taken_by.clone(),
            };
            reading.id = insert_reading(tx, &reading)?;
            readings.push(reading);
        }
        if let Some(answer) = household.answer {
            let mut s = SurveyResponse {
                id: 0,
                building_id: household.building_id,
                ticket_id: None,
                visit_id: Some(visit.id),
                answer,
                at: new.at,
            };
            s.id = insert_survey(tx, &s)?;
            surveys.push(s);
        }
        for p in &household.problems {
            let created = create_ticket(
                tx,
                &NewTicket {
                    channel: new.channel,
                    category: p.category,
                    severity: p.severity,
                    building_id: household.building_id,
                    address_detail: household.address_detail.clone(),
                    reporter_name: String::new(),
                    reporter_phone: String::new(),
                    description: p.description.clone(),
                },
                &at_visit,
            )?;
            if !p.fixed_on_site {
                tickets.push(created);
                continue;
            }
            // fixed there and then: on time by definition
            let Applied::Ticket { ticket, .. } = &created else {
                unreachable!("create_ticket makes one ticket")
            };
            let fixed = Transition {
                to: TicketStatus::Fixed,
                team: None,
                fixed_at: Some(new.at),
                timely: Some(true),
                satisfaction: None,
                closed_at: None,
            };
            let note = format!("on_site visit #{}", visit.id);
            tickets.push(save_step(
                tx,
                (**ticket).clone(),
                fixed,
                "fix",
                note,
                None,
                &at_visit,
            )?);
        }
    }
    let mut all = vec![Applied::Visit {
        visit,
        readings,
        surveys,
    }];
    all.extend(tickets);
    Ok(Applied::Batch(all))
}
