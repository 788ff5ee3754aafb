//! A burst of random but legal commands against one database, as a busy dispatch room would
//! send them — for the crash and concurrency tests, which run it in child processes
//! (`heatdesk soak`) and kill or race them.
//!
//! Each command's outcome is printed as one JSON line and flushed, *after* the store returns:
//! a line saying "ok" is a promise that the change is committed.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::demo::rng::Rng;
use crate::domain::command::{HouseholdVisit, NewVisit, Problem, RoomReading};
use crate::domain::lifecycle::next_actions;
use crate::domain::*;
use crate::store::{DispatchStore, StoreError};

/// One command's outcome, as printed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub ok: bool,
    pub command: Command,
    pub actor: String,
    pub at: Timestamp,
    /// Ids of the audit events the command wrote (ascending): its place in commit order.
    pub events: Vec<i64>,
    pub visit: Option<i64>,
    /// Why it was refused.
    pub error: Option<String>,
    /// A refusal because someone else changed the ticket first (expected under contention).
    pub stale: bool,
}

/// What a soak run is told.
#[derive(Debug, Clone)]
pub struct SoakParams {
    pub seed: u64,
    pub commands: usize,
    /// Work only on tickets 1..=N (contention), or on all.
    pub tickets: Option<i64>,
    pub actor: String,
    /// Look for other consoles' changes at most this often (a console polls about once a
    /// second; 0: before every command).
    pub poll_ms: u64,
    /// Pause between commands (an operator's pace).
    pub pace_ms: u64,
}

fn events_of(applied: &Applied, out: &mut Vec<i64>, visit: &mut Option<i64>) {
    match applied {
        Applied::Ticket { event, .. } => out.push(event.id),
        Applied::Batch(all) => all.iter().for_each(|a| events_of(a, out, visit)),
        Applied::Visit { visit: v, .. } => *visit = Some(v.id),
        Applied::Rule(_)
        | Applied::KpiRules(_)
        | Applied::Import(_)
        | Applied::Team { .. }
        | Applied::Readings(_)
        | Applied::Noted { .. } => {}
    }
}

/// A legal next step for a ticket in `status`, with its arguments.
fn action_for(rng: &mut Rng, snap: &Snapshot, code: &str) -> Action {
    let reason = || "soak".to_string();
    match code {
        "assign" => Action::Assign {
            team: rng.pick(&snap.teams).id,
        },
        "accept" => Action::Accept,
        "arrive" => Action::ArriveOnSite,
        "fix" => Action::Fix,
        "callback" => Action::Callback {
            answer: *rng.pick(SurveyAnswer::ALL),
        },
        "close" => Action::Close,
        "hold" => Action::Hold { reason: reason() },
        "resume" => Action::Resume,
        "return" => Action::Return { reason: reason() },
        _ => Action::Escalate { reason: reason() },
    }
}

fn next_command(rng: &mut Rng, snap: &Snapshot, params: &SoakParams) -> Command {
    let roll = rng.unit();
    if roll < 0.08 && !snap.compounds.is_empty() {
        let c = rng.pick(&snap.compounds);
        let buildings: Vec<&Building> = snap
            .buildings
            .iter()
            .filter(|b| b.compound_id == c.id)
            .collect();
        if let Some(b) = buildings.first() {
            return Command::RecordVisit(NewVisit {
                compound_id: c.id,
                at: crate::demo::noon(chrono::Local::now().date_naive()),
                channel: Channel::LeaderVisit,
                leaders: "王书记".into(),
                staff: String::new(),
                consultation_desk: rng.chance(0.5),
                households_entered: 2,
                notes: String::new(),
                households: vec![HouseholdVisit {
                    building_id: b.id,
                    address_detail: "1单元 101".into(),
                    readings: vec![
                        RoomReading {
                            room: "卧室".into(),
                            celsius: (rng.range(15.0, 23.0) * 10.0).round() / 10.0,
                            method: TempMethod::Thermometer,
                        },
                        RoomReading {
                            room: "客厅".into(),
                            celsius: (rng.range(15.0, 23.0) * 10.0).round() / 10.0,
                            method: TempMethod::InfraredAverage,
                        },
                    ],
                    problems: vec![Problem {
                        category: Category::AirLock,
                        severity: Severity::Normal,
                        description: "积气".into(),
                        fixed_on_site: rng.chance(0.5),
                    }],
                    answer: Some(*rng.pick(SurveyAnswer::ALL)),
                }],
            });
        }
    }
    if roll < 0.15 && !snap.buildings.is_empty() {
        return Command::CreateTicket(NewTicket {
            channel: *rng.pick(Channel::ALL),
            category: *rng.pick(Category::ALL),
            severity: Severity::Normal,
            building_id: rng.pick(&snap.buildings).id,
            address_detail: "2单元 202".into(),
            reporter_name: "测试".into(),
            reporter_phone: "13800000000".into(),
            description: "soak".into(),
        });
    }
    let pool: Vec<&Ticket> = snap
        .tickets
        .iter()
        .filter(|t| params.tickets.is_none_or(|n| t.id <= n))
        .filter(|t| !next_actions(t.status).is_empty())
        .collect();
    let Some(t) = (!pool.is_empty()).then(|| *rng.pick(&pool)) else {
        return Command::CreateTicket(NewTicket {
            channel: Channel::Hotline,
            category: Category::AirLock,
            severity: Severity::Normal,
            building_id: snap.buildings[0].id,
            address_detail: String::new(),
            reporter_name: String::new(),
            reporter_phone: String::new(),
            description: String::new(),
        });
    };
    let code = *rng.pick(next_actions(t.status));
    Command::Act {
        ticket: t.id,
        seen_version: t.version,
        action: action_for(rng, snap, code),
    }
}

/// Run the burst, printing one [`Outcome`] line per command to `out`.
pub fn run(
    store: &mut dyn DispatchStore,
    params: &SoakParams,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut rng = Rng::new(params.seed);
    let mut snap = store.load()?;
    let mut polled = std::time::Instant::now();
    for _ in 0..params.commands {
        if polled.elapsed().as_millis() >= params.poll_ms as u128 {
            polled = std::time::Instant::now();
            match store.catch_up()? {
                Update::UpToDate => {}
                Update::Changed(changes) => snap.absorb(changes),
                Update::Reload => snap = store.load()?,
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(params.pace_ms));
        let command = next_command(&mut rng, &snap, params);
        let origin = Origin {
            actor: params.actor.clone(),
            // whole seconds: what the store keeps
            at: {
                use chrono::Timelike;
                let now = chrono::Local::now().naive_local();
                now.with_nanosecond(0).unwrap_or(now)
            },
        };
        let outcome = match store.apply(&command, &origin) {
            Ok(applied) => {
                if let Update::Changed(changes) = applied.update() {
                    snap.absorb(changes);
                }
                let mut events = Vec::new();
                let mut visit = None;
                events_of(&applied, &mut events, &mut visit);
                events.sort_unstable();
                Outcome {
                    ok: true,
                    command,
                    actor: origin.actor,
                    at: origin.at,
                    events,
                    visit,
                    error: None,
                    stale: false,
                }
            }
            Err(e) => {
                let stale = matches!(e, StoreError::Stale { .. });
                // someone else moved on: look again before the next step
                snap = store.load()?;
                Outcome {
                    ok: false,
                    command,
                    actor: origin.actor,
                    at: origin.at,
                    events: Vec::new(),
                    visit: None,
                    error: Some(e.to_string()),
                    stale,
                }
            }
        };
        serde_json::to_writer(&mut *out, &outcome)?;
        writeln!(out)?;
        out.flush()?;
    }
    Ok(())
}

/// What a room soak is told: `consoles` consoles on one database for `seconds`, each sending a
/// random legal command every `pace_ms` or so (±50%).
#[derive(Debug, Clone)]
pub struct RoomParams {
    pub consoles: usize,
    pub seconds: f64,
    pub seed: u64,
    pub pace_ms: u64,
    /// Work only on tickets 1..=N (contention), or on all.
    pub tickets: Option<i64>,
    /// "Today" for the consoles' first load (what they hold).
    pub now: Timestamp,
    /// The room's server the consoles go through, logged in with this password; the checks
    /// read the database itself.
    pub through: Option<(crate::store::remote::ServerAddress, String)>,
}

/// What a room soak did and found.
#[derive(Debug, Clone, Default)]
pub struct RoomReport {
    pub consoles: usize,
    pub seconds: f64,
    pub commits: usize,
    /// Refused because someone else changed the ticket first (expected).
    pub refusals: usize,
    /// Refused for any other reason (should be none).
    pub errors: Vec<String>,
    /// How long others' commits (made once every console was open) took to reach each
    /// console (ms), sorted.
    pub delays_ms: Vec<i64>,
    /// Audit events the commits wrote, and those found in the database since the start.
    pub events_written: usize,
    pub events_found: usize,
    /// What is wrong, if anything: lost or doubled events, a console unequal to a fresh
    /// load, a stale write accepted.
    pub problems: Vec<String>,
    /// Times the server was away, as the consoles saw it (their outages merged), and the
    /// longest (s).
    pub outages: usize,
    pub longest_outage_s: f64,
    /// Commands refused by an outage and sent again after the console was back.
    pub retried: usize,
    /// Commits whose answer was lost with the connection, and of those, how many held.
    pub uncertain: usize,
    pub uncertain_held: usize,
    /// How long others' commits took to reach each console outside the outages (ms), sorted.
    pub delays_outside_ms: Vec<i64>,
}

impl RoomReport {
    pub fn percentile(&self, p: f64) -> Option<i64> {
        percentile(&self.delays_ms, p)
    }

    /// The last line: commits, refusals, the propagation delay and the outages.
    pub fn last_line(&self) -> String {
        let ms = |p| self.percentile(p).map_or("—".into(), |v| v.to_string());
        let outside =
            |p| percentile(&self.delays_outside_ms, p).map_or("—".into(), |v: i64| v.to_string());
        format!(
            "{} consoles, {:.0} s: {} commits ({:.1}/s), {} refusals (someone else first), {} errors; \
             {} audit events written, {} found; propagation p50 {} ms p99 {} ms ({} deliveries; \
             outside the outages p50 {} ms p99 {} ms); {} retried after reconnecting, {} answers \
             lost ({} held){}; outages {}, longest {:.1} s",
            self.consoles,
            self.seconds,
            self.commits,
            self.commits as f64 / self.seconds.max(0.001),
            self.refusals,
            self.errors.len(),
            self.events_written,
            self.events_found,
            ms(0.5),
            ms(0.99),
            self.delays_ms.len(),
            outside(0.5),
            outside(0.99),
            self.retried,
            self.uncertain,
            self.uncertain_held,
            if self.problems.is_empty() {
                "; nothing lost".to_string()
            } else {
                format!("; {} PROBLEMS", self.problems.len())
            },
            self.outages,
            self.longest_outage_s,
        )
    }
}

fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    Some(sorted[i])
}

/// What one console of the room did.
#[derive(Default)]
struct ConsoleRun {
    commits: usize,
    refusals: usize,
    errors: Vec<String>,
    /// Each delivery: when it was committed (ms since 1970) and how long it took to arrive.
    delays_ms: Vec<(i64, i64)>,
    events: Vec<i64>,
    /// The snapshot it ended with (after catching up with everything).
    snap: Snapshot,
    /// From when to when (ms since 1970) this console found the server away.
    outages: Vec<(i64, i64)>,
    retried: usize,
    /// Commands whose commit was sent but not answered: whether they held shows at the end.
    uncertain: Vec<(Command, Timestamp)>,
}

/// The server went away or the answer was lost: a console waits and tries again.
fn is_outage(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Unavailable { .. } | StoreError::CommitUnknown { .. }
    )
}

/// Merge the consoles' outages into the room's: overlapping spans are one outage.
fn merge_outages(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (from, to) in spans {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// Run `params.consoles` consoles on `location` at once, each a thread with its own store
/// handle that is told of others' commits as the console is (LISTEN/NOTIFY, the file's
/// watcher), then check that nothing was lost.
pub fn room(location: &crate::store::Location, params: &RoomParams) -> anyhow::Result<RoomReport> {
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};
    let since = crate::domain::season::recent_since(params.now);
    let before = crate::store::open(location)?.everything()?;
    let first_event = before.events.iter().map(|e| e.id).max().unwrap_or(0);
    let started = Barrier::new(params.consoles);
    let stopped = Barrier::new(params.consoles);
    let caught_up = Barrier::new(params.consoles);
    let deadline = std::sync::OnceLock::<Instant>::new();
    // when every console was open and the measured minute began (ms since 1970): a commit
    // before it (another writer's, while the consoles were still loading) reaches a console
    // when it has loaded, which is start-up, not propagation
    let began = std::sync::OnceLock::<i64>::new();
    let runs: Vec<anyhow::Result<ConsoleRun>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..params.consoles)
            .map(|n| {
                let (started, stopped, caught_up, deadline, began) =
                    (&started, &stopped, &caught_up, &deadline, &began);
                scope.spawn(move || -> anyhow::Result<ConsoleRun> {
                    // a console started while the server is away waits for it (a minute)
                    let opening = Instant::now() + Duration::from_secs(60);
                    let (mut store, mut snap) = loop {
                        let opened: Result<Box<dyn DispatchStore>, StoreError> =
                            match &params.through {
                                Some((server, password)) => {
                                    crate::store::remote::RemoteStore::login(server, password)
                                        .map(|s| Box::new(s) as Box<dyn DispatchStore>)
                                }
                                None => crate::store::open(location),
                            };
                        match opened.and_then(|s| s.load_recent(since).map(|snap| (s, snap))) {
                            Ok(opened) => break opened,
                            Err(e) if is_outage(&e) && Instant::now() < opening => {
                                std::thread::sleep(Duration::from_millis(500));
                            }
                            Err(e) => return Err(e.into()),
                        }
                    };
                    let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
                    store.watch(Arc::new(move || {
                        let _ = tx.try_send(());
                    }));
                    let mut run = ConsoleRun::default();
                    let mut rng = Rng::new(params.seed.wrapping_mul(1000).wrapping_add(n as u64));
                    let burst = SoakParams {
                        seed: params.seed,
                        commands: 0,
                        tickets: params.tickets,
                        actor: format!("soak-{n}"),
                        poll_ms: 0,
                        pace_ms: params.pace_ms,
                    };
                    started.wait();
                    let end = *deadline
                        .get_or_init(|| Instant::now() + Duration::from_secs_f64(params.seconds));
                    began.get_or_init(crate::store::now_ms);
                    // when this console found the server away (ms), until a look succeeds
                    let mut down: Option<i64> = None;
                    // the outages ride through: a look that finds the server away is noted,
                    // and the console tries again, as the real one does
                    let mut catch_up = |store: &mut Box<dyn DispatchStore>,
                                        snap: &mut Snapshot,
                                        run: &mut ConsoleRun|
                     -> anyhow::Result<bool> {
                        let looked = store.catch_up().and_then(|u| match u {
                            Update::UpToDate => Ok(()),
                            Update::Changed(changes) => {
                                snap.absorb(changes);
                                Ok(())
                            }
                            Update::Reload => {
                                *snap = store.load_recent(since)?;
                                Ok(())
                            }
                        });
                        let now = crate::store::now_ms();
                        match looked {
                            Ok(()) => {
                                if let Some(from) = down.take() {
                                    run.outages.push((from, now));
                                }
                                run.delays_ms
                                    .extend(store.committed_at().into_iter().map(|c| (c, now - c)));
                                Ok(true)
                            }
                            Err(e) if is_outage(&e) => {
                                down.get_or_insert(now);
                                Ok(false)
                            }
                            Err(e) => Err(e.into()),
                        }
                    };
                    // a command the outage refused, sent again once the console is back
                    let mut again: Option<Command> = None;
                    let mut next = Instant::now()
                        + Duration::from_millis(rng.range(0.0, params.pace_ms as f64) as u64);
                    while Instant::now() < end {
                        // wait for the next command, taking others' commits in as they come
                        let wait = next.min(end).saturating_duration_since(Instant::now());
                        match rx.recv_timeout(wait.min(Duration::from_secs(1))) {
                            Ok(()) => {
                                catch_up(&mut store, &mut snap, &mut run)?;
                                continue;
                            }
                            Err(_) if Instant::now() < next => {
                                // a second without news: look anyway, as the console does
                                catch_up(&mut store, &mut snap, &mut run)?;
                                continue;
                            }
                            Err(_) => {}
                        }
                        if Instant::now() >= end {
                            break;
                        }
                        next = Instant::now()
                            + Duration::from_millis(
                                (rng.range(0.5, 1.5) * params.pace_ms as f64) as u64,
                            );
                        if !catch_up(&mut store, &mut snap, &mut run)? {
                            // still away: the operator waits (and keeps the form as typed)
                            continue;
                        }
                        let command = match again.take() {
                            Some(c) => {
                                run.retried += 1;
                                c
                            }
                            None => next_command(&mut rng, &snap, &burst),
                        };
                        let origin = Origin {
                            actor: burst.actor.clone(),
                            at: {
                                use chrono::Timelike;
                                let now = chrono::Local::now().naive_local();
                                now.with_nanosecond(0).unwrap_or(now)
                            },
                        };
                        match store.apply(&command, &origin) {
                            Ok(applied) => {
                                run.commits += 1;
                                let mut visit = None;
                                events_of(&applied, &mut run.events, &mut visit);
                                match applied.update() {
                                    Update::Changed(changes) => snap.absorb(changes),
                                    Update::Reload => snap = store.load_recent(since)?,
                                    Update::UpToDate => {}
                                }
                            }
                            Err(StoreError::Stale { ticket, .. }) => {
                                run.refusals += 1;
                                // the ticket as it is now, as the console would show it
                                if let Ok(Some(t)) = store.ticket(ticket) {
                                    snap.absorb(Changes {
                                        tickets: vec![t],
                                        ..Changes::default()
                                    });
                                }
                            }
                            Err(StoreError::CommitUnknown { .. }) => {
                                // sent, unanswered: not sent again (it may hold); looked
                                // for at the end
                                run.uncertain.push((command, origin.at));
                                catch_up(&mut store, &mut snap, &mut run)?;
                            }
                            Err(e) if is_outage(&e) => {
                                again = Some(command);
                                catch_up(&mut store, &mut snap, &mut run)?;
                            }
                            Err(e) => {
                                run.errors
                                    .push(format!("console {n}: {}: {e}", command.kind()));
                                catch_up(&mut store, &mut snap, &mut run)?;
                            }
                        }
                    }
                    // back before the end: the server may still be away
                    let back_by = Instant::now() + Duration::from_secs(60);
                    while !catch_up(&mut store, &mut snap, &mut run)? {
                        anyhow::ensure!(
                            Instant::now() < back_by,
                            "console {n}: the server did not come back within 60 s"
                        );
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    // everyone stopped: take in the last commits (a notice may still be on
                    // its way: look until nothing more comes)
                    stopped.wait();
                    let quiet = Instant::now() + Duration::from_secs(30);
                    loop {
                        let _ = rx.recv_timeout(Duration::from_millis(300));
                        let before = run.delays_ms.len();
                        let looked = catch_up(&mut store, &mut snap, &mut run)?;
                        if (looked && run.delays_ms.len() == before) || Instant::now() > quiet {
                            break;
                        }
                    }
                    caught_up.wait();
                    // one more look after everyone's last look: nothing may be left
                    anyhow::ensure!(
                        catch_up(&mut store, &mut snap, &mut run)?,
                        "console {n}: the server went away at the end"
                    );
                    run.snap = snap;
                    Ok(run)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a console panicked")))
            })
            .collect()
    });
    let runs = runs.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let mut report = RoomReport {
        consoles: params.consoles,
        seconds: params.seconds,
        ..RoomReport::default()
    };
    let fresh_store = crate::store::open(location)?;
    let fresh = fresh_store.load_recent(since)?;
    let after = fresh_store.everything()?;
    let mut written: Vec<i64> = Vec::new();
    let mut spans = Vec::new();
    let mut deliveries = Vec::new();
    let mut uncertain = Vec::new();
    for (n, run) in runs.into_iter().enumerate() {
        report.commits += run.commits;
        report.refusals += run.refusals;
        report.retried += run.retried;
        report.errors.extend(run.errors);
        deliveries.extend(run.delays_ms);
        spans.extend(run.outages);
        uncertain.extend(run.uncertain);
        written.extend(run.events);
        if let Some(diff) = first_difference(&run.snap, &fresh) {
            report
                .problems
                .push(format!("console {n} differs from a fresh load: {diff}"));
        }
    }
    let outages = merge_outages(spans);
    report.outages = outages.len();
    report.longest_outage_s = outages
        .iter()
        .map(|(a, b)| (b - a) as f64 / 1000.0)
        .fold(0.0, f64::max);
    // a delivery is inside an outage when its commit or its arrival falls within one (with the
    // second a console takes to notice on either side)
    let inside = |(c, d): &(i64, i64)| {
        outages
            .iter()
            .any(|(a, b)| c + d >= a - 1000 && *c <= b + 1000)
    };
    let began = began.get().copied().unwrap_or(0);
    deliveries.retain(|(c, _)| *c >= began);
    report.delays_ms = deliveries.iter().map(|(_, d)| *d).collect();
    report.delays_outside_ms = deliveries
        .iter()
        .filter(|x| !inside(x))
        .map(|(_, d)| *d)
        .collect();
    report.delays_ms.sort_unstable();
    report.delays_outside_ms.sort_unstable();
    // the consoles' events: through the server, their account's; on the database, all but a
    // technician's step from a phone (its actor names the account, "张师傅 (zhang)")
    let login = params
        .through
        .as_ref()
        .map(|(a, _)| format!("({})", a.login));
    let ours = |actor: &str| match &login {
        Some(login) => actor.ends_with(login.as_str()),
        None => !crate::domain::crew::by_technician(actor),
    };
    // the commits whose answer was lost: their events are those that match them and no
    // answered commit (the ticket and the second for a step; the second for a new ticket)
    report.uncertain = uncertain.len();
    written.sort_unstable();
    for (command, at) in &uncertain {
        let held: Vec<i64> = after
            .events
            .iter()
            .filter(|e| e.id > first_event && written.binary_search(&e.id).is_err())
            .filter(|e| ours(&e.actor))
            .filter(|e| crate::store::chain::whole_seconds(*at) == e.at)
            .filter(|e| match command {
                Command::Act { ticket, .. } => e.ticket_id == *ticket,
                // a new ticket, or a visit's problems registered as tickets: the events no
                // answered commit wrote in that second
                _ => true,
            })
            .map(|e| e.id)
            .collect();
        if !held.is_empty() {
            report.uncertain_held += 1;
            written.extend(held);
            written.sort_unstable();
        }
    }
    report.events_written = written.len();
    let found: Vec<i64> = after
        .events
        .iter()
        .filter(|e| e.id > first_event && ours(&e.actor))
        .map(|e| e.id)
        .collect();
    report.events_found = found.len();
    if let Some(w) = written.windows(2).find(|w| w[0] == w[1]) {
        report
            .problems
            .push(format!("audit event {} reported by two commits", w[0]));
    }
    if found != written {
        let lost: Vec<_> = written
            .iter()
            .filter(|id| found.binary_search(id).is_err())
            .collect();
        let extra: Vec<_> = found
            .iter()
            .filter(|id| written.binary_search(id).is_err())
            .collect();
        report.problems.push(format!(
            "audit events: {} committed but not stored {:?}, {} stored but not committed {:?}",
            lost.len(),
            &lost[..lost.len().min(5)],
            extra.len(),
            &extra[..extra.len().min(5)]
        ));
    }
    report
        .problems
        .extend(stale_writes(&after.events, first_event));
    Ok(report)
}

/// A stale write accepted would show as two steps from one state: every ticket's trail must
/// chain, each step starting where the one before ended. Checked for the tickets stepped
/// since `first_event`.
pub fn stale_writes(events: &[TicketEvent], first_event: i64) -> Vec<String> {
    let touched: std::collections::HashSet<TicketId> = events
        .iter()
        .filter(|e| e.id > first_event)
        .map(|e| e.ticket_id)
        .collect();
    let mut trails: std::collections::BTreeMap<TicketId, Vec<&TicketEvent>> = Default::default();
    for e in events.iter().filter(|e| touched.contains(&e.ticket_id)) {
        trails.entry(e.ticket_id).or_default().push(e);
    }
    let mut problems = Vec::new();
    for (ticket, mut trail) in trails {
        trail.sort_by_key(|e| e.id);
        for w in trail.windows(2) {
            if w[1].id > first_event && w[1].from_status != Some(w[0].to_status) {
                problems.push(format!(
                    "ticket #{ticket}: event {} steps from {:?} but event {} left it {:?} (a stale write?)",
                    w[1].id, w[1].from_status, w[0].id, w[0].to_status
                ));
            }
        }
    }
    problems
}

/// The first way two snapshots' activity differs (rows compared in id order), if any.
pub fn first_difference(a: &Snapshot, b: &Snapshot) -> Option<String> {
    fn sorted<T: Clone>(rows: &[T], id: impl Fn(&T) -> i64) -> Vec<T> {
        let mut v = rows.to_vec();
        v.sort_by_key(|r| id(r));
        v
    }
    fn diff<T: PartialEq + std::fmt::Debug>(what: &str, a: &[T], b: &[T]) -> Option<String> {
        if a.len() != b.len() {
            return Some(format!(
                "{} {what} held, {} in a fresh load",
                a.len(),
                b.len()
            ));
        }
        a.iter()
            .zip(b)
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("{what}: held {x:?}, fresh {y:?}"))
    }
    diff(
        "tickets",
        &sorted(&a.tickets, |t| t.id),
        &sorted(&b.tickets, |t| t.id),
    )
    .or_else(|| {
        diff(
            "visits",
            &sorted(&a.visits, |v| v.id),
            &sorted(&b.visits, |v| v.id),
        )
    })
    .or_else(|| {
        diff(
            "readings",
            &sorted(&a.readings, |r| r.id),
            &sorted(&b.readings, |r| r.id),
        )
    })
    .or_else(|| {
        diff(
            "answers",
            &sorted(&a.surveys, |s| s.id),
            &sorted(&b.surveys, |s| s.id),
        )
    })
}
