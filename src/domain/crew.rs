//! The crews in the field: what a technician's phone does to a ticket (接单, 出发, 到场, 完工,
//! 挂起, 退回), where a team last was, the technicians' accounts, and the messages to residents
//! the steps queue (their templates, and their way through the outbox).

use argon2::password_hash::PasswordHasher;
use serde::{Deserialize, Serialize};

use super::model::{LonLat, TeamId, TempMethod, TicketId, Timestamp};

/// An arrival farther than this from the building is flagged on the ticket.
pub const FAR_ARRIVAL_M: f64 = 300.0;

/// A position older than this is drawn stale on the dispatcher's map.
pub const STALE_POSITION_MINUTES: i64 = 10;

/// An Argon2id hash (PHC string) of a password.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < 6 {
        return Err("a password needs at least 6 characters".into());
    }
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| format!("cannot hash the password: {e}"))?
        .to_string())
}

std::thread_local! {
    /// Argon2's working memory (~19 MB), kept by each thread for its next check: allocated and
    /// freed per check, the allocator kept it anyway and a server grew by 19 MB a login.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` is the one `hash` (an Argon2 PHC string) was made from.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(phc) = argon2::password_hash::phc::PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        argon2::Params::try_from(&phc),
        argon2::Algorithm::try_from(phc.algorithm.as_str()),
    ) else {
        return false;
    };
    let version = match phc.version.map(argon2::Version::try_from) {
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
        None => argon2::Version::default(),
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon = argon2::Argon2::new(algorithm, version, params);
    let hashed = ARGON2_MEMORY.with_borrow_mut(|memory| {
        memory.resize(blocks, argon2::Block::default());
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt.as_ref(),
                &mut out,
                &mut memory[..],
            )
            .is_ok()
    });
    // compared in constant time: every byte, whatever the first difference
    hashed && out.iter().zip(expected).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

/// How far from the building the crew's phone was at its last 到场, when that is farther
/// than [`FAR_ARRIVAL_M`] (the note of an `arrive` event reads "527 m ±12 m").
pub fn far_arrival(events: &[super::model::TicketEvent]) -> Option<f64> {
    let last = events.iter().rev().find(|e| e.action == "arrive")?;
    let metres: f64 = last.note.split(" m").next()?.trim().parse().ok()?;
    (metres > FAR_ARRIVAL_M).then_some(metres)
}

/// What a phone asks for a ticket, as the technician saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldCommand {
    pub ticket: TicketId,
    /// The version the phone saw: an older one is refused (someone changed it meanwhile).
    pub seen_version: i64,
    /// The technician's team: a ticket of another team is not theirs to touch.
    pub team: TeamId,
    pub step: FieldStep,
    /// Made by the phone for this one request: a retry of it is applied once.
    pub client_id: String,
}

/// One step a crew takes on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldStep {
    /// 接单
    Accept,
    /// 出发: the team is on its way.
    Depart,
    /// 到场, where the phone was and how far that is from the building.
    Arrive {
        at: LonLat,
        accuracy_m: f64,
        distance_m: f64,
    },
    /// 完工: the indoor temperature taken, what was done, photos.
    Complete {
        celsius: Option<f64>,
        method: TempMethod,
        work: String,
        photos: Vec<Photo>,
    },
    /// 挂起, with the reason.
    Hold { reason: String },
    /// 退回 to the dispatch desk, with the reason.
    Return { reason: String },
}

impl FieldStep {
    /// Stable code for the audit trail and the API.
    pub fn code(&self) -> &'static str {
        match self {
            FieldStep::Accept => "accept",
            FieldStep::Depart => "depart",
            FieldStep::Arrive { .. } => "arrive",
            FieldStep::Complete { .. } => "fix",
            FieldStep::Hold { .. } => "hold",
            FieldStep::Return { .. } => "return",
        }
    }
}

/// A photo taken at 完工 (JPEG or PNG, shrunk by the phone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// At most this many photos per 完工 …
pub const MAX_PHOTOS: usize = 3;
/// … of at most this many bytes each.
pub const MAX_PHOTO_BYTES: usize = 300 * 1024;

/// Where a team's phone last said it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamPosition {
    pub team_id: TeamId,
    pub position: LonLat,
    pub accuracy_m: f64,
    pub at: Timestamp,
    /// The technician whose phone said so.
    pub by: String,
}

impl TeamPosition {
    /// Minutes since it was reported.
    pub fn age_minutes(&self, now: Timestamp) -> i64 {
        (now - self.at).num_minutes().max(0)
    }

    /// Too old to trust: drawn stale.
    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.age_minutes(now) >= STALE_POSITION_MINUTES
    }
}

super::model::coded_enum!(
    /// What an account may do. A technician works their team's tickets on the phone page; the
    /// others log in to the console through the room's server, which refuses what their role
    /// may not do.
    Role {
        /// 维修人员: the phone page, for their team.
        Technician = "technician",
        /// 调度员: takes in tickets, gives them to teams and moves them on.
        Dispatcher = "dispatcher",
        /// 领导: visits (访民问暖), deadline rules and KPI settings; never gives a ticket to a team.
        Leader = "leader",
        /// 管理员: everything, the company's files and the accounts included.
        Admin = "admin",
    }
);

/// Someone's login: a technician's for the phone page, or a dispatcher's, a leader's or an
/// admin's for the console through the room's server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub login: String,
    /// Their name, as the audit trail shows it.
    pub name: String,
    /// A technician's team (the others have none).
    pub team_id: Option<TeamId>,
    pub role: Role,
    /// The Argon2 hash (PHC string); never the password.
    pub password_hash: String,
    pub created_at: Timestamp,
    pub disabled: bool,
}

impl Account {
    /// Whether the account's role and team fit: a technician belongs to a team, nobody else
    /// does.
    pub fn fits(&self) -> bool {
        (self.role == Role::Technician) == self.team_id.is_some()
    }

    /// "张师傅 (zhang)": who did it, in the audit trail.
    pub fn actor(&self) -> String {
        if self.name.is_empty() || self.name == self.login {
            self.login.clone()
        } else {
            format!("{} ({})", self.name, self.login)
        }
    }
}

/// Whether an audit trail's actor is a technician's account in the form [`Account::actor`]
/// writes ("张师傅 (zhang)"; on a server "heatdesk / 张师傅 (zhang)").
pub fn by_technician(actor: &str) -> bool {
    actor
        .strip_suffix(')')
        .and_then(|a| a.rsplit_once(" ("))
        .is_some_and(|(_, login)| valid_login(login))
}

/// A login is letters, digits, '.', '_' or '-' (1–32 of them).
pub fn valid_login(login: &str) -> bool {
    (1..=32).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

super::model::coded_enum!(
    /// Why a resident gets a message.
    MessageKind {
        /// 派单: which team, and when it should be there.
        Assigned = "assigned",
        /// 到场
        Arrived = "arrived",
        /// 完工, with the callback question.
        Fixed = "fixed",
        /// 停热 for an outage.
        OutageStop = "outage_stop",
        /// 恢复供热
        OutageRestore = "outage_restore",
    }
);

super::model::coded_enum!(
    /// Where a message is on its way.
    MessageStatus {
        /// In the outbox: not sent yet (or to be tried again).
        Pending = "pending",
        Sent = "sent",
        /// Given up on after the last try.
        Failed = "failed",
    }
);

/// One message to a resident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub ticket_id: Option<TicketId>,
    pub kind: MessageKind,
    pub phone: String,
    pub body: String,
    pub created_at: Timestamp,
    pub status: MessageStatus,
    pub attempts: u32,
    /// When to try (again).
    pub next_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// The gateway's last answer when it refused.
    pub error: String,
}

impl Message {
    /// A message waiting in the outbox from `at`, not tried yet.
    pub fn pending(
        ticket_id: Option<TicketId>,
        kind: MessageKind,
        phone: String,
        body: String,
        at: Timestamp,
    ) -> Message {
        Message {
            id: 0,
            ticket_id,
            kind,
            phone,
            body,
            created_at: at,
            status: MessageStatus::Pending,
            attempts: 0,
            next_at: at,
            sent_at: None,
            error: String::new(),
        }
    }
}

/// How many times a message is tried before it is given up on.
pub const MAX_ATTEMPTS: u32 = 6;

/// Minutes to wait before try `attempt` + 1 (1, 2, 4, 8, 16 minutes).
pub fn backoff_minutes(attempt: u32) -> i64 {
    1 << attempt.saturating_sub(1).min(4)
}

/// The texts residents get, as the admin writes them; `{ticket}`, `{team}`, `{place}`,
/// `{eta}` (HH:MM), `{time}` and `{note}` are filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageTemplates {
    pub assigned: String,
    pub arrived: String,
    pub fixed: String,
    pub outage_stop: String,
    pub outage_restore: String,
}

impl Default for MessageTemplates {
    fn default() -> Self {
        MessageTemplates {
            assigned: "【供热服务】您的报修（工单{ticket}）已派给{team}，预计{eta}前到达{place}。"
                .into(),
            arrived: "【供热服务】{team}已到达{place}，正在处理您的报修（工单{ticket}）。".into(),
            fixed: "【供热服务】您的报修（工单{ticket}）已处理完毕：{note}。请问您对本次服务是否满意？回复1满意，2基本满意，3不满意。"
                .into(),
            outage_stop: "【供热服务】因管网检修，{place}将于{time}起暂停供热，恢复后另行通知。给您带来不便，敬请谅解。"
                .into(),
            outage_restore: "【供热服务】{place}已于{time}恢复供热。如室温仍不达标，请拨打服务热线。"
                .into(),
        }
    }
}

/// What a message is filled in with.
#[derive(Debug, Clone, Default)]
pub struct MessageFacts {
    pub ticket: Option<TicketId>,
    pub team: String,
    pub place: String,
    pub eta: Option<Timestamp>,
    pub time: Option<Timestamp>,
    pub note: String,
}

impl MessageTemplates {
    pub fn template(&self, kind: MessageKind) -> &str {
        match kind {
            MessageKind::Assigned => &self.assigned,
            MessageKind::Arrived => &self.arrived,
            MessageKind::Fixed => &self.fixed,
            MessageKind::OutageStop => &self.outage_stop,
            MessageKind::OutageRestore => &self.outage_restore,
        }
    }

    pub fn template_mut(&mut self, kind: MessageKind) -> &mut String {
        match kind {
            MessageKind::Assigned => &mut self.assigned,
            MessageKind::Arrived => &mut self.arrived,
            MessageKind::Fixed => &mut self.fixed,
            MessageKind::OutageStop => &mut self.outage_stop,
            MessageKind::OutageRestore => &mut self.outage_restore,
        }
    }

    /// The text of a message of `kind`.
    pub fn compose(&self, kind: MessageKind, facts: &MessageFacts) -> String {
        let time = |t: Option<Timestamp>, f: &str| t.map(|t| t.format(f).to_string());
        self.template(kind)
            .replace(
                "{ticket}",
                &facts.ticket.map(|t| format!("#{t}")).unwrap_or_default(),
            )
            .replace("{team}", &facts.team)
            .replace("{place}", &facts.place)
            .replace("{eta}", &time(facts.eta, "%H:%M").unwrap_or_default())
            .replace(
                "{time}",
                &time(facts.time, "%m月%d日 %H:%M").unwrap_or_default(),
            )
            .replace("{note}", facts.note.trim())
    }

    /// Every template says something (an empty one would send an empty message): the first
    /// kind whose template is empty.
    pub fn check(&self) -> Result<(), MessageKind> {
        match MessageKind::ALL
            .iter()
            .find(|kind| self.template(**kind).trim().is_empty())
        {
            Some(kind) => Err(*kind),
            None => Ok(()),
        }
    }
}

/// A resident's number a message can go to (11 digits starting with 1, or a landline).
pub fn reachable(phone: &str) -> bool {
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.len() >= 7 && digits.len() <= 15
}
