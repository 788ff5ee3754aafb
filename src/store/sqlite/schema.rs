//! Numbered migrations; `PRAGMA user_version` records how many have run.

/// Marks a file as a HeatDesk database ("HDSK").
pub const APPLICATION_ID: i32 = 0x4844_534B;

/// Each entry upgrades the schema by one version. Never edit a released entry: add one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the foundation
    r#"
CREATE TABLE departments (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE compounds (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    address       TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    households    INTEGER NOT NULL CHECK (households >= 0),
    outline       BLOB NOT NULL
);
CREATE TABLE network_nodes (
    id   INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('source','station','junction','building_entry')),
    lon  REAL NOT NULL,
    lat  REAL NOT NULL
);
CREATE TABLE heat_sources (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    node_id     INTEGER NOT NULL REFERENCES network_nodes(id),
    capacity_mw REAL NOT NULL,
    lon         REAL NOT NULL,
    lat         REAL NOT NULL
);
CREATE TABLE stations (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    node_id       INTEGER NOT NULL REFERENCES network_nodes(id),
    lon           REAL NOT NULL,
    lat           REAL NOT NULL
);
CREATE TABLE buildings (
    id            INTEGER PRIMARY KEY,
    compound_id   INTEGER NOT NULL REFERENCES compounds(id),
    number        TEXT NOT NULL,
    units         INTEGER NOT NULL,
    floors        INTEGER NOT NULL,
    households    INTEGER NOT NULL CHECK (households >= 0),
    station_id    INTEGER NOT NULL REFERENCES stations(id),
    entry_node_id INTEGER NOT NULL REFERENCES network_nodes(id),
    footprint     BLOB NOT NULL
);
CREATE INDEX buildings_compound ON buildings(compound_id);
CREATE TABLE pipe_segments (
    id        INTEGER PRIMARY KEY,
    from_node INTEGER NOT NULL REFERENCES network_nodes(id),
    to_node   INTEGER NOT NULL REFERENCES network_nodes(id),
    tier      TEXT NOT NULL CHECK (tier IN ('primary','secondary')),
    flow      TEXT NOT NULL CHECK (flow IN ('supply','return')),
    dn        INTEGER NOT NULL,
    laid_year INTEGER NOT NULL,
    path      BLOB NOT NULL
);
CREATE TABLE valves (
    id         INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES pipe_segments(id),
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    operable   INTEGER NOT NULL
);
CREATE TABLE teams (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    members       TEXT NOT NULL,  -- JSON array of names
    skills        TEXT NOT NULL,  -- comma-separated skill codes
    home_lon      REAL NOT NULL,
    home_lat      REAL NOT NULL,
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    status        TEXT NOT NULL
);
CREATE TABLE sla_rules (
    category        TEXT NOT NULL,
    severity        TEXT NOT NULL,
    respond_minutes INTEGER NOT NULL CHECK (respond_minutes > 0),
    resolve_minutes INTEGER NOT NULL CHECK (resolve_minutes > 0),
    PRIMARY KEY (category, severity)
);
-- times are seconds since 1970 of the company's local wall clock
CREATE TABLE tickets (
    id             INTEGER PRIMARY KEY,
    version        INTEGER NOT NULL,
    channel        TEXT NOT NULL,
    category       TEXT NOT NULL,
    severity       TEXT NOT NULL,
    building_id    INTEGER NOT NULL REFERENCES buildings(id),
    address_detail TEXT NOT NULL,
    reporter_name  TEXT NOT NULL,
    reporter_phone TEXT NOT NULL,
    description    TEXT NOT NULL,
    status         TEXT NOT NULL,
    team_id        INTEGER REFERENCES teams(id),
    created_at     INTEGER NOT NULL,
    respond_by     INTEGER NOT NULL,
    deadline       INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    fixed_at       INTEGER,
    closed_at      INTEGER,
    timely         INTEGER,
    satisfaction   TEXT
);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_building ON tickets(building_id);
CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    team_id     INTEGER REFERENCES teams(id),
    note        TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id);
CREATE TABLE visits (
    id                 INTEGER PRIMARY KEY,
    compound_id        INTEGER NOT NULL REFERENCES compounds(id),
    at                 INTEGER NOT NULL,
    leaders            TEXT NOT NULL,
    consultation_desk  INTEGER NOT NULL,
    households_entered INTEGER NOT NULL,
    notes              TEXT NOT NULL
);
CREATE TABLE temperature_readings (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings(id),
    visit_id    INTEGER REFERENCES visits(id),
    room        TEXT NOT NULL,
    celsius     REAL NOT NULL,
    method      TEXT NOT NULL,
    taken_at    INTEGER NOT NULL,
    taken_by    TEXT NOT NULL
);
CREATE TABLE survey_responses (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings(id),
    ticket_id   INTEGER REFERENCES tickets(id),
    visit_id    INTEGER REFERENCES visits(id),
    answer      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
-- the audit trail of changes that are not ticket steps (rule edits, …)
CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    command TEXT NOT NULL,
    detail  TEXT NOT NULL
);
"#,
    // 2: the city's own vector map, for the offline basemap
    r#"
CREATE TABLE basemap_features (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL CHECK (kind IN ('road','river','green','block')),
    name     TEXT NOT NULL,
    width_m  REAL NOT NULL,
    geometry BLOB NOT NULL
);
"#,
    // 3: network tickets that link household reports; who went on a visit; settings
    r#"
ALTER TABLE tickets ADD COLUMN parent_id INTEGER REFERENCES tickets(id);
ALTER TABLE tickets ADD COLUMN segment_id INTEGER REFERENCES pipe_segments(id);
CREATE INDEX tickets_parent ON tickets(parent_id) WHERE parent_id IS NOT NULL;
ALTER TABLE visits ADD COLUMN staff TEXT NOT NULL DEFAULT '';
-- company settings (KPI definitions, …) as JSON values
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    // 4: the company's own ids for imported rows, so a file imported again updates them
    r#"
CREATE TABLE external_ids (
    kind        TEXT NOT NULL,
    external_id TEXT NOT NULL,
    id          INTEGER NOT NULL,
    PRIMARY KEY (kind, external_id)
) WITHOUT ROWID;
"#,
    // 5: holes and further parts of compound and building outlines (JSON; NULL: none)
    r#"
ALTER TABLE compounds ADD COLUMN extra_rings TEXT;
ALTER TABLE buildings ADD COLUMN extra_rings TEXT;
"#,
    // 6: the change log other consoles catch up from (one row per committed command), and
    //    the index the first load's "changed since" reads by
    r#"
CREATE TABLE change_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,  -- the command's time (company wall clock, seconds)
    at_ms    INTEGER NOT NULL,  -- when it was committed (ms since 1970 UTC)
    actor    TEXT NOT NULL,
    tickets  TEXT NOT NULL,     -- JSON [[id, version], ...]
    visits   TEXT NOT NULL,     -- JSON [id, ...]
    readings TEXT NOT NULL,
    surveys  TEXT NOT NULL,
    settings INTEGER NOT NULL,
    reload   INTEGER NOT NULL
);
"#,
    // 7: how far the change log was pruned from its oldest end: a console whose mark is
    //    behind this reads everything again (one row)
    r#"
CREATE TABLE change_log_pruned (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL
);
INSERT INTO change_log_pruned VALUES (1, 0);
"#,
    // 8: the crews in the field — technicians' accounts, the phones' requests already applied
    //    (a retry is applied once), where each team last was, photos of finished work, the
    //    messages to residents; and the teams a logged change touched
    r#"
CREATE TABLE accounts (
    login      TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    team_id    INTEGER NOT NULL REFERENCES teams(id),
    password   TEXT NOT NULL,   -- Argon2 (PHC string)
    created_at INTEGER NOT NULL,
    disabled   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE client_commands (
    client_id TEXT PRIMARY KEY,
    actor     TEXT NOT NULL,
    at        INTEGER NOT NULL
);
CREATE TABLE team_positions (
    team_id    INTEGER PRIMARY KEY REFERENCES teams(id),
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    accuracy_m REAL NOT NULL,
    at         INTEGER NOT NULL,
    by         TEXT NOT NULL
);
CREATE TABLE ticket_photos (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    event_id  INTEGER NOT NULL REFERENCES ticket_events(id),
    mime      TEXT NOT NULL,
    bytes     BLOB NOT NULL
);
CREATE INDEX ticket_photos_ticket ON ticket_photos(ticket_id);
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER REFERENCES tickets(id),
    kind       TEXT NOT NULL CHECK (kind IN ('assigned','arrived','fixed','outage_stop','outage_restore')),
    phone      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,
    sent_at    INTEGER,
    error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(next_at) WHERE status = 'pending';
ALTER TABLE change_log ADD COLUMN teams TEXT NOT NULL DEFAULT '[]';
"#,
    // 9: the audit chains: each event's hash over the one before it and its own bytes (the
    //    events already there are hashed in id order by the upgrade, `CHAIN_VERSION`)
    r#"
ALTER TABLE ticket_events ADD COLUMN hash BLOB;
ALTER TABLE audit_events ADD COLUMN hash BLOB;
"#,
    // 10: accounts for everyone: a role each (technician, dispatcher, leader, admin); only a
    //     technician belongs to a team (the table made again: SQLite cannot drop a NOT NULL)
    r#"
CREATE TABLE accounts_with_roles (
    login      TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    team_id    INTEGER REFERENCES teams(id),
    password   TEXT NOT NULL,   -- Argon2 (PHC string)
    created_at INTEGER NOT NULL,
    disabled   INTEGER NOT NULL DEFAULT 0,
    role       TEXT NOT NULL DEFAULT 'technician'
               CHECK (role IN ('technician','dispatcher','leader','admin')),
    CHECK ((role = 'technician') = (team_id IS NOT NULL))
);
INSERT INTO accounts_with_roles (login, name, team_id, password, created_at, disabled)
    SELECT login, name, team_id, password, created_at, disabled FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_with_roles RENAME TO accounts;
"#,
];

/// The schema version that brought the audit chains: upgrading to it hashes the events before.
pub const CHAIN_VERSION: i64 = 9;

/// The schema version this program writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}
