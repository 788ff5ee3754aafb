//! The audit trail proves itself: every event carries a hash over the hash of the event before
//! it (in id order, one chain per table) and the event's own canonical bytes, written in the
//! same transaction as the change it records. Altering, inserting or removing an event by hand
//! breaks the chain from that event on; `heatdesk audit verify` finds the first break, and the
//! daily report prints the chains' last hashes, so a printed report pins the record of its day.
//!
//! The bytes are the same on every store (times as whole seconds, ids as the store numbered
//! them), so a migration carries the chain unchanged.

use sha2::{Digest, Sha256};

use super::AuditEvent;
use crate::domain::{TicketEvent, Timestamp};

/// A link's hash.
pub type Hash = [u8; 32];

/// The hash a chain starts from.
pub const GENESIS: Hash = [0; 32];

/// The two chains, by their tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Chain {
    /// The tickets' steps.
    TicketEvents,
    /// Every other change (rules, settings, imports, accounts …).
    AuditEvents,
}

impl Chain {
    pub const ALL: [Chain; 2] = [Chain::TicketEvents, Chain::AuditEvents];

    pub fn table(self) -> &'static str {
        match self {
            Chain::TicketEvents => "ticket_events",
            Chain::AuditEvents => "audit_events",
        }
    }
}

/// Length-prefixed fields: no two different events share their bytes.
struct Canonical(Vec<u8>);

impl Canonical {
    fn new(chain: Chain) -> Self {
        let mut c = Canonical(Vec::with_capacity(160));
        c.text(chain.table());
        c
    }

    fn int(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => {
                self.0.push(1);
                self.int(v)
            }
            None => {
                self.0.push(0);
                self
            }
        }
    }

    fn text(&mut self, v: &str) -> &mut Self {
        self.0.extend_from_slice(&(v.len() as u64).to_le_bytes());
        self.0.extend_from_slice(v.as_bytes());
        self
    }

    fn opt_text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => {
                self.0.push(1);
                self.text(v)
            }
            None => {
                self.0.push(0);
                self
            }
        }
    }

    fn time(&mut self, t: Timestamp) -> &mut Self {
        self.int(whole_seconds(t).and_utc().timestamp())
    }
}

/// A time as the stores keep it (whole seconds, the fraction dropped): what is hashed and what
/// is written must be the same value.
pub fn whole_seconds(t: Timestamp) -> Timestamp {
    use chrono::Timelike;
    t.with_nanosecond(0).unwrap_or(t)
}

fn link(prev: &Hash, bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(bytes);
    h.finalize().into()
}

/// The hash of a ticket's step after `prev`.
pub fn ticket_event(prev: &Hash, e: &TicketEvent) -> Hash {
    let mut c = Canonical::new(Chain::TicketEvents);
    c.int(e.id)
        .int(e.ticket_id)
        .time(e.at)
        .text(&e.actor)
        .text(&e.action)
        .opt_text(e.from_status.map(|s| s.code()))
        .text(e.to_status.code())
        .opt_int(e.team_id)
        .text(&e.note);
    link(prev, &c.0)
}

/// The hash of another audit record after `prev`.
pub fn audit_event(prev: &Hash, e: &AuditEvent) -> Hash {
    let mut c = Canonical::new(Chain::AuditEvents);
    c.int(e.id)
        .time(e.at)
        .text(&e.actor)
        .text(&e.command)
        .text(&e.detail);
    link(prev, &c.0)
}

pub fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored hash as the driver hands it back (a blob; NULL for an event written without one).
pub fn from_stored(v: Option<Vec<u8>>) -> Option<Hash> {
    v.and_then(|b| b.try_into().ok())
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Break {
    pub chain: Chain,
    /// The first event whose stored hash is not the one its content and its predecessor give:
    /// it was altered, inserted, or an event just before it was removed.
    pub event: i64,
    /// It carries no hash at all (written around HeatDesk).
    pub missing: bool,
}

/// The last link of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Head {
    pub chain: Chain,
    pub last_event: Option<i64>,
    pub hash: Hash,
}

/// What a walk over both chains found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub events: u64,
    pub heads: Vec<Head>,
    pub broken: Option<Break>,
}

impl Report {
    /// `audit: N events, chain intact` or where it breaks, in the reader's language.
    pub fn line(&self, english: bool) -> String {
        match (&self.broken, english) {
            (None, true) => format!("audit: {} events, chain intact", self.events),
            (None, false) => format!("审计：{} 条记录，链完整", self.events),
            (Some(b), true) => format!(
                "audit: {} events, chain BROKEN at {} #{}: {}",
                self.events,
                b.chain.table(),
                b.event,
                if b.missing {
                    "it carries no hash (written around HeatDesk)"
                } else {
                    "it was altered or inserted, or the event before it was removed"
                }
            ),
            (Some(b), false) => format!(
                "审计：{} 条记录，链在 {} #{} 处断开：{}",
                self.events,
                b.chain.table(),
                b.event,
                if b.missing {
                    "该记录没有哈希（绕过 HeatDesk 写入）"
                } else {
                    "该记录被改动或插入，或其前一条被删除"
                }
            ),
        }
    }
}

/// Walks one chain in id order.
pub struct Walk {
    chain: Chain,
    prev: Hash,
    last: Option<i64>,
    pub count: u64,
    pub broken: Option<Break>,
}

impl Walk {
    pub fn new(chain: Chain) -> Self {
        Walk {
            chain,
            prev: GENESIS,
            last: None,
            count: 0,
            broken: None,
        }
    }

    /// The next event (its id, the hash its content gives after the previous stored hash,
    /// and its stored hash). The walk goes on from the stored hash, so a single altered event
    /// is named and its successors are not blamed.
    fn step(&mut self, id: i64, expected: Hash, stored: Option<Hash>) {
        self.count += 1;
        self.last = Some(id);
        if self.broken.is_none() && stored != Some(expected) {
            self.broken = Some(Break {
                chain: self.chain,
                event: id,
                missing: stored.is_none(),
            });
        }
        self.prev = stored.unwrap_or(expected);
    }

    pub fn ticket_event(&mut self, e: &TicketEvent, stored: Option<Hash>) {
        let expected = ticket_event(&self.prev, e);
        self.step(e.id, expected, stored);
    }

    pub fn audit_event(&mut self, e: &AuditEvent, stored: Option<Hash>) {
        let expected = audit_event(&self.prev, e);
        self.step(e.id, expected, stored);
    }

    pub fn head(&self) -> Head {
        Head {
            chain: self.chain,
            last_event: self.last,
            hash: self.prev,
        }
    }

    /// Both walks into one report.
    pub fn report(walks: [Walk; 2]) -> Report {
        Report {
            events: walks.iter().map(|w| w.count).sum(),
            heads: walks.iter().map(Walk::head).collect(),
            broken: walks.iter().find_map(|w| w.broken.clone()),
        }
    }
}

/// Hashes for events written in id order from `prev` on (a seed, a copy, the chain started by
/// a schema upgrade).
pub struct Links {
    prev: Hash,
}

impl Links {
    pub fn after(prev: Hash) -> Self {
        Links { prev }
    }

    pub fn ticket_event(&mut self, e: &TicketEvent) -> Hash {
        self.prev = ticket_event(&self.prev, e);
        self.prev
    }

    pub fn audit_event(&mut self, e: &AuditEvent) -> Hash {
        self.prev = audit_event(&self.prev, e);
        self.prev
    }
}
