//! Consoles through the room's server (`heatdesk --server`), on SQLite and PostgreSQL: a
//! dispatcher's console logs in with its account, drags a ticket and the database holds the
//! change under that account's name; another console hears of it on the change feed; each
//! role is refused what it may not do and nothing changes; a wrong password, a technician at
//! the console's door, a forged session and a disabled account are each told so.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use heatdesk::domain::crew::Role;
use heatdesk::domain::*;
use heatdesk::serve::{self, auth};
use heatdesk::store::remote::{RemoteStore, ServerAddress};
use heatdesk::store::{DispatchStore, Location, StoreError};

use crate::common::crews::{assigned, at, city, desk, save_accounts};
use crate::common::stores::{self, Backend, TestDb};

const PASSWORD: &str = "winter-2026";

/// A database with the tiny city, a ticket given to team 1, and an account for each role:
/// wang (调度员王), liu (刘经理, leader), admin, and zhang (张师傅, technician of team 1).
fn room(backend: Backend, label: &str) -> (TestDb, Ticket) {
    let db = TestDb::seeded(backend, label, &city());
    let mut store = db.open();
    save_accounts(
        &mut *store,
        PASSWORD,
        &[
            ("wang", "调度员王", Role::Dispatcher, None),
            ("liu", "刘经理", Role::Leader, None),
            ("admin", "admin", Role::Admin, None),
            ("zhang", "张师傅", Role::Technician, Some(1)),
        ],
    );
    let t = assigned(&mut *store, 1, "3单元 502", "暖气片上热下凉");
    (db, t)
}

fn server(db: &TestDb) -> (SocketAddr, Arc<serve::Server>) {
    serve::spawn_local(db.open(), Arc::new(|| at(8, 30))).unwrap()
}

fn address(addr: SocketAddr, login: &str) -> ServerAddress {
    ServerAddress::parse(&format!("http://{login}@{addr}")).unwrap()
}

fn console(addr: SocketAddr, login: &str) -> RemoteStore {
    RemoteStore::login(&address(addr, login), PASSWORD).unwrap()
}

fn assign(
    store: &mut dyn DispatchStore,
    t: &Ticket,
    team: TeamId,
    who: &str,
) -> Result<Applied, StoreError> {
    store.apply(
        &Command::Act {
            ticket: t.id,
            seen_version: t.version,
            action: Action::Assign { team },
        },
        &Origin {
            actor: who.into(),
            at: at(8, 40),
        },
    )
}

/// The team `t` has in the change that reached `store` (within two seconds).
fn heard_team(store: &mut dyn DispatchStore, t: TicketId) -> Option<TeamId> {
    let heard = hears_of(store, t);
    heard
        .tickets
        .iter()
        .rfind(|x| x.id == t)
        .and_then(|x| x.team_id)
}

/// Catch up until `t` shows up changed (within two seconds), the update that held it.
fn hears_of(store: &mut dyn DispatchStore, t: TicketId) -> Changes {
    let start = Instant::now();
    loop {
        if let Update::Changed(c) = store.catch_up().unwrap()
            && c.tickets.iter().any(|x| x.id == t)
        {
            return c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "the change to #{t} never reached the other console"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_console_through_the_server_drags_under_its_account_and_others_hear_of_it() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "room_drag");
        let (addr, _server) = server(&db);
        let mut wang = console(addr, "wang");
        let mut admin = console(addr, "admin");
        assert_eq!(wang.actor(), "调度员王 (wang)");
        assert!(wang.permissions().assign && !wang.permissions().kpi_rules);

        // the snapshot is the database's
        let direct = db.open().load().unwrap();
        let through = wang.load().unwrap();
        assert_eq!(through.tickets, direct.tickets, "{backend:?}");
        assert_eq!(through.teams, direct.teams);
        assert_eq!(through.ticket(t.id).map(|x| x.id), Some(t.id), "indexed");

        admin.catch_up().unwrap();
        wang.catch_up().unwrap();

        // the drag: the console's typed name is not what the trail says
        let applied = assign(&mut wang, &t, 2, "forged name").unwrap();
        let Applied::Ticket { ticket, .. } = &applied else {
            panic!("{applied:?}")
        };
        assert_eq!((ticket.team_id, ticket.version), (Some(2), t.version + 1));
        assert_eq!(
            db.count(&format!("SELECT team_id FROM tickets WHERE id = {}", t.id)),
            2
        );
        let trail = wang.history(t.id).unwrap();
        let last = trail.last().unwrap();
        assert!(
            last.actor.contains("调度员王 (wang)") && !last.actor.contains("forged"),
            "{backend:?}: {}",
            last.actor
        );

        // the admin's console hears of it; wang's own is not told twice
        let heard = hears_of(&mut admin, t.id);
        let moved = heard.tickets.iter().rfind(|x| x.id == t.id).unwrap();
        assert_eq!(moved.team_id, Some(2));
        assert!(!admin.committed_at().is_empty(), "when it was committed");
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(wang.catch_up().unwrap(), Update::UpToDate, "{backend:?}");

        // a stale drag is refused, typed, with who changed it
        match assign(&mut admin, &t, 3, "admin") {
            Err(StoreError::Stale { ticket, by, .. }) => {
                assert_eq!(ticket, t.id);
                assert!(by.unwrap_or_default().contains("wang"));
            }
            other => panic!("{backend:?}: {other:?}"),
        }
        // what a console on the database commits reaches the server's consoles too
        let mut desk_store = db.open();
        let fresh = desk_store.ticket(t.id).unwrap().unwrap();
        assign(&mut *desk_store, &fresh, 1, "调度员").unwrap();
        let heard = hears_of(&mut wang, t.id);
        assert_eq!(heard.tickets.last().unwrap().team_id, Some(1));
    }
}

#[test]
fn each_role_is_refused_what_it_may_not_do_and_nothing_changes() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "room_roles");
        let (addr, _server) = server(&db);
        let events = || db.count("SELECT count(*) FROM ticket_events");
        let before = events();

        // a leader never gives a ticket to a team
        let mut liu = console(addr, "liu");
        assert!(!liu.permissions().assign);
        let refused = assign(&mut liu, &t, 2, "刘经理");
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{backend:?}: {refused:?}"
        );
        assert_eq!(events(), before, "nothing written");
        // … but sets the deadline rules
        let mut rule = liu.deadline_rules().unwrap()[0];
        rule.resolve_minutes += 60;
        liu.apply(&Command::SetSlaRule(rule), &desk(9, 0)).unwrap();
        assert!(liu.deadline_rules().unwrap().contains(&rule));

        // a dispatcher sets no KPI and sees no accounts
        let mut wang = console(addr, "wang");
        let kpi = wang.load().unwrap().kpi_rules;
        assert!(matches!(
            wang.apply(&Command::SetKpiRules(kpi), &desk(9, 0)),
            Err(StoreError::Forbidden { .. })
        ));
        assert!(matches!(wang.accounts(), Err(StoreError::Forbidden { .. })));
        // nor does a console send a phone's steps
        assert!(matches!(
            wang.apply(
                &Command::ReportPosition(heatdesk::domain::crew::TeamPosition {
                    team_id: 1,
                    position: [112.5, 37.8],
                    accuracy_m: 5.0,
                    at: at(9, 0),
                    by: "wang".into(),
                }),
                &desk(9, 0)
            ),
            Err(StoreError::Forbidden { .. })
        ));

        // the door: a wrong password, a technician, too many guesses
        let wrong = RemoteStore::login(&address(addr, "wang"), "not-it");
        assert!(
            matches!(wrong, Err(StoreError::WrongPassword { .. })),
            "{wrong:?}"
        );
        let tech = RemoteStore::login(&address(addr, "zhang"), PASSWORD);
        assert!(
            matches!(tech, Err(StoreError::NotConsoleAccount { .. })),
            "{tech:?}"
        );
        for _ in 0..auth::MAX_GUESSES {
            let _ = RemoteStore::login(&address(addr, "liu"), "guess");
        }
        let locked = RemoteStore::login(&address(addr, "liu"), PASSWORD);
        assert!(
            matches!(locked, Err(StoreError::TooManyGuesses { .. })),
            "{locked:?}"
        );

        // a forged session is not logged in
        let forged = reqwest::blocking::Client::new()
            .post(format!("http://{addr}/api/console/call"))
            .bearer_auth("0".repeat(64))
            .json(&heatdesk::store::remote::Call::LoadPlaces)
            .send()
            .unwrap();
        assert_eq!(forged.status(), reqwest::StatusCode::UNAUTHORIZED);
        // nor is a phone's cookie a console's
        // a dispatcher's account does not open the phone page
        let phone = reqwest::blocking::Client::new()
            .post(format!("http://{addr}/api/login"))
            .json(&serde_json::json!({"login": "wang", "password": PASSWORD}))
            .send()
            .unwrap();
        assert_eq!(phone.status(), reqwest::StatusCode::FORBIDDEN);

        // an admin disables wang: his console's session ends at its next request
        let mut admin = console(addr, "admin");
        let mut a = admin.account("wang").unwrap().unwrap();
        a.disabled = true;
        admin.apply(&Command::SaveAccount(a), &desk(9, 5)).unwrap();
        let ended = wang.load_places();
        assert!(
            matches!(ended, Err(StoreError::SessionEnded { .. })),
            "{backend:?}: {ended:?}"
        );
        let again = RemoteStore::login(&address(addr, "wang"), PASSWORD);
        assert!(matches!(again, Err(StoreError::WrongPassword { .. })));
        // the admin's own change is on the trail under the admin's name
        assert_eq!(
            db.count("SELECT count(*) FROM audit_events WHERE command = 'save_account' AND actor LIKE '%admin%'"),
            1
        );
    }
}

#[test]
fn a_wrong_address_is_named_without_a_password_and_each_refusal_said_in_both_languages() {
    let bad = Location::parse("https://wang:secret@heatdesk.lan:8443");
    let Err(e) = bad else {
        panic!("a password in the address")
    };
    assert!(!e.to_string().contains("secret"), "{e}");
    let Location::Remote(nobody) = Location::parse("http://wang@127.0.0.1:9").unwrap() else {
        panic!("the room's server")
    };
    let e = RemoteStore::login(&nobody, PASSWORD).expect_err("nothing listens");
    assert!(matches!(e, StoreError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("http://wang@127.0.0.1:9"), "{e}");
    assert!(!e.to_string().contains(PASSWORD));
    for e in [
        StoreError::WrongPassword { server: "s".into() },
        StoreError::TooManyGuesses { server: "s".into() },
        StoreError::NotConsoleAccount { server: "s".into() },
        StoreError::SessionEnded { server: "s".into() },
        StoreError::OtherServer {
            server: "s".into(),
            version: "9.9".into(),
        },
    ] {
        let zh = heatdesk::words::problem::say(heatdesk::words::Lang::Zh, &e.problem());
        let en = heatdesk::words::problem::say(heatdesk::words::Lang::En, &e.problem());
        assert!(zh.chars().any(|c| c > '\u{2e80}'), "{zh}");
        assert!(en.is_ascii() && en != zh, "{en}");
    }
}

/// The console's window opens on the server's door: a wrong password is said in Chinese and
/// lets nobody in; the right one opens the console on the server's tickets, as its account.
#[test]
fn the_window_opens_on_a_login_form_and_the_console_behind_it() {
    use egui_kittest::kittest::Queryable;
    use heatdesk::ui::door::{Door, Entrance, Then};

    let (db, t) = room(Backend::Sqlite, "room_door");
    let (addr, _server) = server(&db);
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    let then: Then = Arc::new(move |store| {
        let snapshot = store.load()?;
        Ok(heatdesk::ui::Start {
            store,
            snapshot,
            since: at(0, 0),
            basemap: None,
            render_basemap: false,
            exports: exports.clone(),
            backups: None,
            profiles: None,
        })
    });
    let address = ServerAddress::parse(&format!("http://{addr}")).unwrap();
    let door = Door::new(address, Some("wang"), then);
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(
            |ui, e: &mut Entrance| {
                heatdesk::ui::install_fonts(ui.ctx());
                e.show(ui);
            },
            Entrance::new(door, heatdesk::ui::Prefs::default()),
        );
    harness.run_steps(2);
    harness.get_by_label("登录调度服务器");
    assert_eq!(
        harness.state_mut().door().login,
        "wang",
        "the remembered login"
    );

    // a wrong password: said, and nobody in
    harness.state_mut().door().password = "not-it".into();
    harness.run_steps(1);
    harness.get_by_label("登录").click_accesskit();
    let settled = |h: &mut egui_kittest::Harness<'_, Entrance>,
                   done: &dyn Fn(&Entrance) -> bool| {
        let start = Instant::now();
        while !done(h.state()) && start.elapsed() < Duration::from_secs(10) {
            h.run_steps(1);
            std::thread::sleep(Duration::from_millis(20));
        }
        h.run_steps(2);
    };
    let shown = |h: &egui_kittest::Harness<'_, Entrance>| {
        h.query_by_label_contains("账号或密码不对").is_some()
    };
    let start = Instant::now();
    while !shown(&harness) && start.elapsed() < Duration::from_secs(10) {
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        shown(&harness),
        "the refusal is said in the console's language"
    );
    assert!(harness.state().console.is_none());
    assert!(
        harness.state_mut().door().password.is_empty(),
        "the password is not kept"
    );

    // the right one: the console, on the server's tickets, as wang
    harness.state_mut().door().password = PASSWORD.into();
    harness.run_steps(1);
    harness.get_by_label("登录").click_accesskit();
    settled(&mut harness, &|e: &Entrance| e.console.is_some());
    let entrance = harness.state();
    let app = entrance
        .console
        .as_ref()
        .expect("the console behind the door");
    assert!(app.snap().ticket(t.id).is_some());
    assert_eq!(
        app.console.location().to_string(),
        format!("http://wang@{addr}")
    );
}

/// The database holds one writer: a reporting tool's login (heatdesk_reader) reads every
/// table and the accounts' names, and may write nothing nor read a password's hash.
#[test]
fn a_reporting_tools_login_reads_everything_and_writes_nothing() {
    let Some(backend) = stores::postgres() else {
        return;
    };
    // the role is made with the first database; the login is dropped after the database
    let (db, t) = room(backend, "room_reader");
    let report = stores::Login::new("report", "heatdesk_reader");
    let db = db;
    let mut tool = postgres::Client::connect(&db.url_as(&report.name), postgres::NoTls).unwrap();
    let open: i64 = tool
        .query_one("SELECT count(*) FROM tickets", &[])
        .unwrap()
        .get(0);
    assert!(open >= 1);
    let logins: i64 = tool
        .query_one("SELECT count(login) FROM accounts", &[])
        .unwrap()
        .get(0);
    assert_eq!(logins, 4);
    for write in [
        format!(
            "UPDATE tickets SET status = 'closed', satisfaction = 'satisfied' WHERE id = {}",
            t.id
        ),
        "DELETE FROM audit_events".to_string(),
        "INSERT INTO settings (key, value) VALUES ('x', 'y')".to_string(),
    ] {
        let refused = tool.batch_execute(&write).unwrap_err();
        assert_eq!(
            refused.code(),
            Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{write}: {refused}"
        );
    }
    let hashes = tool
        .query("SELECT password FROM accounts", &[])
        .unwrap_err();
    assert_eq!(
        hashes.code(),
        Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
    assert_eq!(
        db.count(&format!("SELECT version FROM tickets WHERE id = {}", t.id)),
        t.version,
        "nothing changed"
    );
}

/// The city is kept on the PC between starts: the next start reads it from there while the
/// server's version is the same, and fetches it again once an import changed it.
#[test]
fn the_city_is_kept_on_the_pc_until_an_import_changes_it() {
    use heatdesk::domain::batch::{ImportBatch, RowAt, Rows};
    use heatdesk::store::remote::{City, decode, encode};

    let (db, _) = room(Backend::Sqlite, "room_cache");
    let (addr, _server) = server(&db);
    let cache = tempfile::tempdir().unwrap();
    let start = |login: &str| console(addr, login).with_cache(Some(cache.path().to_path_buf()));
    let first = start("wang").load().unwrap();
    let kept = cache.path().join("city.bin");
    assert!(kept.exists() && cache.path().join("city.version").exists());
    let name = first.compounds[0].name.clone();

    // the next start reads the PC's copy: a name changed in it shows
    let mut city: City = decode(&std::fs::read(&kept).unwrap()).unwrap();
    city.compounds[0].name = "只在本机".into();
    std::fs::write(&kept, encode(&city).unwrap()).unwrap();
    let second = start("wang").load().unwrap();
    assert_eq!(second.compounds[0].name, "只在本机", "read from the cache");
    assert_eq!(
        second.tickets, first.tickets,
        "the season's rows from the server"
    );

    // an admin imports the compound renamed: the next start fetches the city anew
    let mut renamed = first.compounds[0].clone();
    renamed.name = format!("{name}（新）");
    start("admin")
        .apply(
            &Command::Import(Box::new(ImportBatch {
                file: "compounds.xlsx".into(),
                sources: vec![RowAt::Row(2)],
                external_ids: Vec::new(),
                rows: Rows::Compounds(vec![renamed.clone()]),
                nodes: Vec::new(),
                inserted: 0,
                updated: 1,
                dry_run: false,
            })),
            &desk(9, 0),
        )
        .unwrap();
    let third = start("wang").load().unwrap();
    assert_eq!(third.compounds[0].name, renamed.name, "fetched again");
    let city: City = decode(&std::fs::read(&kept).unwrap()).unwrap();
    assert_eq!(city.compounds[0].name, renamed.name, "and kept");
}

/// nginx in front of two servers, for the test's length (killed when dropped).
struct Proxy {
    port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// nginx on a free port, keeping each session on one of `servers` (by its token) and
    /// moving it to the other when that one is down.
    fn start(servers: [u16; 2]) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::common::crews::free_port();
        let d = dir.path().display();
        let conf = format!(
            "daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;
events {{}}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  upstream room {{
    hash $http_authorization consistent;
    server 127.0.0.1:{a} max_fails=1 fail_timeout=1s;
    server 127.0.0.1:{b} max_fails=1 fail_timeout=1s;
  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 512m;
    location / {{
      proxy_pass http://room;
      proxy_next_upstream error timeout;
      proxy_read_timeout 60s;
      proxy_buffering off;
    }}
  }}
}}
",
            a = servers[0],
            b = servers[1],
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = std::process::Command::new("nginx")
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx (Debian's nginx-light; .ci/run installs it)");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nginx did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Proxy {
            port,
            child,
            _dir: dir,
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two `heatdesk serve` on one database behind nginx serve one room: a session opened through
/// one is good on the other, and a console rides through either server going away — each
/// drag lands once, under its account.
#[test]
fn two_servers_behind_nginx_serve_one_room_and_a_session_works_on_either() {
    use crate::common::crews::{HttpsServer, free_port};

    const KEY: &str = "the-room-s-session-key-32-chars-or-more";
    for backend in stores::backends() {
        let (db, t) = room(backend, "room_two");
        let ports = [free_port(), free_port()];
        let mut a = Some(HttpsServer::plain(&db.arg(), ports[0], KEY));
        let mut b = Some(HttpsServer::plain(&db.arg(), ports[1], KEY));
        let proxy = Proxy::start(ports);
        let via = format!("http://wang@127.0.0.1:{}", proxy.port);
        let mut wang = RemoteStore::login(&ServerAddress::parse(&via).unwrap(), PASSWORD).unwrap();
        let snap = wang.load().unwrap();
        wang.catch_up().unwrap();

        // the session is good on either server, asked directly
        let token = {
            let login = reqwest::blocking::Client::new()
                .post(format!("http://127.0.0.1:{}/api/console/login", ports[0]))
                .json(&serde_json::json!({"login": "wang", "password": PASSWORD, "api": heatdesk::store::remote::API_VERSION}))
                .send()
                .unwrap();
            assert!(login.status().is_success());
            login.json::<serde_json::Value>().unwrap()["token"]
                .as_str()
                .unwrap()
                .to_string()
        };
        for port in ports {
            let asked = reqwest::blocking::Client::new()
                .post(format!("http://127.0.0.1:{port}/api/console/call"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"Ticket": {"id": t.id}}))
                .send()
                .unwrap();
            assert_eq!(
                asked.status(),
                reqwest::StatusCode::OK,
                "{backend:?} :{port}"
            );
        }

        // a drag; then each server goes away in turn and the next drag goes through the other
        let mut version = snap.ticket(t.id).unwrap().version;
        for (round, team) in [(0, 2), (1, 1), (2, 2)] {
            match round {
                1 => drop(a.take()),
                2 => {
                    a = Some(HttpsServer::plain(&db.arg(), ports[0], KEY));
                    // nginx tries a server it saw fail again after fail_timeout (1 s)
                    std::thread::sleep(Duration::from_millis(2500));
                    drop(b.take());
                }
                _ => {}
            }
            let seen = Ticket {
                version,
                ..t.clone()
            };
            let applied = assign(&mut wang, &seen, team, "wang")
                .unwrap_or_else(|e| panic!("{backend:?} round {round}: {e:?}"));
            let Applied::Ticket { ticket, .. } = applied else {
                panic!("{applied:?}")
            };
            version = ticket.version;
            assert_eq!(
                db.count(&format!("SELECT team_id FROM tickets WHERE id = {}", t.id)),
                team
            );
        }
        assert_eq!(version, t.version + 3, "each drag applied once");
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM ticket_events WHERE ticket_id = {} AND actor LIKE '%(wang)%'",
                t.id
            )),
            3,
            "{backend:?}: each under the account"
        );
        // the feed after a move to another server: everything read again, nothing lost
        let after = wang.catch_up().unwrap();
        assert!(
            matches!(
                after,
                Update::Reload | Update::UpToDate | Update::Changed(_)
            ),
            "{after:?}"
        );
        drop(proxy);
    }
}

/// A room that used operator roles before: the upgrade takes every write away from them, so a
/// database password in an operator's hands no longer changes a ticket unseen.
#[test]
fn the_upgrade_takes_the_writes_from_the_old_operator_roles() {
    let Some(backend) = stores::postgres() else {
        return;
    };
    let (db, t) = room(backend, "room_one_writer");
    db.execute(
        "",
        "DO $$ BEGIN CREATE ROLE heatdesk_dispatcher NOLOGIN;
           EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
         GRANT INSERT, UPDATE ON tickets, ticket_events TO heatdesk_dispatcher;
         UPDATE heatdesk_meta SET value = '5' WHERE key = 'schema';",
    );
    let can = |what: &str| {
        db.count(&format!(
            "SELECT has_table_privilege('heatdesk_dispatcher', '{what}', 'UPDATE')::int::bigint"
        ))
    };
    assert_eq!(can("tickets"), 1, "as a room of before");
    // the owner's first open upgrades the database
    let store = db.open();
    assert!(store.ticket(t.id).unwrap().is_some());
    assert_eq!(can("tickets"), 0);
    assert_eq!(can("ticket_events"), 0);
    assert_eq!(
        db.count("SELECT value::bigint FROM heatdesk_meta WHERE key = 'schema'"),
        heatdesk::store::postgres::schema::latest_version()
    );
}

/// A loopback relay to `upstream` that, when `lose` is set, swallows the next answer and
/// closes the connection: a command reached the server, its answer never reached the PC.
fn lossy_relay(upstream: SocketAddr, lose: Arc<std::sync::atomic::AtomicBool>) -> SocketAddr {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for pc in listener.incoming().map_while(Result::ok) {
            let lose = lose.clone();
            std::thread::spawn(move || {
                let server = std::net::TcpStream::connect(upstream).unwrap();
                let (mut pc_in, mut server_out) =
                    (pc.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || std::io::copy(&mut pc_in, &mut server_out));
                let (mut pc, mut server) = (pc, server);
                let mut chunk = [0u8; 64 * 1024];
                while let Ok(n @ 1..) = server.read(&mut chunk) {
                    if lose.swap(false, Ordering::SeqCst) {
                        let _ = pc.shutdown(std::net::Shutdown::Both);
                        let _ = server.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    if pc.write_all(&chunk[..n]).is_err() {
                        return;
                    }
                }
                let _ = pc.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    addr
}

/// A new ticket whose answer is lost on the way is sent again with its id and made once: the
/// console gets the first try's answer, the database holds one ticket. The same id sent to a
/// second server of the room (or after a restart) is refused "saved already", nothing written;
/// a replayed request changes nothing.
#[test]
fn a_command_whose_answer_is_lost_is_sent_again_and_made_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    for backend in stores::backends() {
        let (db, _) = room(backend, "room_once");
        let (addr, _server) = server(&db);
        let lose = Arc::new(AtomicBool::new(false));
        let relay = lossy_relay(addr, lose.clone());
        let mut wang = console(relay, "wang");
        wang.catch_up().unwrap();
        let tickets = || db.count("SELECT count(*) FROM tickets");
        let before = tickets();

        let new = Command::CreateTicket(NewTicket {
            channel: Channel::Hotline,
            category: Category::NoHeat,
            severity: Severity::Normal,
            building_id: 1,
            address_detail: "5单元 101".into(),
            reporter_name: "李女士".into(),
            reporter_phone: "13900001111".into(),
            description: "整屋不热".into(),
        });
        lose.store(true, Ordering::SeqCst);
        let made = wang.apply(&new, &desk(9, 0)).unwrap();
        assert!(
            !lose.load(Ordering::SeqCst),
            "{backend:?}: the first answer was lost"
        );
        assert_eq!(tickets(), before + 1, "{backend:?}: one ticket, not two");
        let Applied::Ticket { ticket, .. } = &made else {
            panic!("{made:?}")
        };
        assert_eq!(ticket.description, "整屋不热");
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM ticket_events WHERE ticket_id = {}",
                ticket.id
            )),
            1,
            "one created event"
        );

        // the same id again at a server: its first answer, nothing new written
        let (_, other) = server(&db);
        let origin = Origin {
            actor: "调度员王 (wang)".into(),
            at: at(9, 1),
        };
        let request = Some("console:wang:0123abcd");
        let first = other.apply_once(&new, &origin, None, request).unwrap();
        let made = tickets();
        let again = other.apply_once(&new, &origin, None, request).unwrap();
        assert_eq!(again, first, "{backend:?}: the first answer");
        // at another server of the room, or after a restart: the database knows the id
        let (_, restarted) = server(&db);
        match restarted.apply_once(&new, &origin, None, request) {
            Err(StoreError::AlreadyApplied { .. }) => {}
            again => panic!("{backend:?}: a replay was applied again: {again:?}"),
        }
        assert_eq!(
            tickets(),
            made,
            "{backend:?}: nothing written by the replays"
        );
    }
}

/// The room soak with its consoles through the server: every console ends equal to a fresh
/// load of the database, every audit event committed is stored once, none stale.
#[test]
fn a_room_of_consoles_through_the_server_loses_nothing() {
    use heatdesk::demo::{self, DemoParams, Scale};
    for backend in stores::backends() {
        let db = TestDb::blank(backend, "room_soak");
        let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        demo::write_into(&db.location, &DemoParams::new(Scale::Demo, now)).unwrap();
        save_accounts(
            &mut *db.open(),
            PASSWORD,
            &[("desk", "调度台", Role::Dispatcher, None)],
        );
        let (addr, _server) =
            serve::spawn_local(db.open(), Arc::new(|| chrono::Local::now().naive_local())).unwrap();
        let report = heatdesk::soak::room(
            &db.location,
            &heatdesk::soak::RoomParams {
                consoles: 4,
                seconds: 3.0,
                seed: 7,
                pace_ms: 60,
                tickets: Some(400),
                now: chrono::Local::now().naive_local(),
                through: Some((address(addr, "desk"), PASSWORD.into())),
            },
        )
        .unwrap();
        crate::common::soak_lost_nothing(&report, &format!("{backend:?} through the server"));
    }
}

/// A change committed between a console's load and its first look at the feed reaches it:
/// the feed starts where the server stood when it read the load, not at the first look.
#[test]
fn a_change_made_while_a_console_starts_reaches_it() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "room_start");
        let (addr, _server) = server(&db);
        let mut wang = console(addr, "wang");
        let mut admin = console(addr, "admin");
        let held = admin.load().unwrap();
        assert_eq!(held.ticket(t.id).unwrap().team_id, Some(1));
        assign(&mut wang, &t, 2, "wang").unwrap();
        assert_eq!(heard_team(&mut admin, t.id), Some(2), "{backend:?}");
    }
}

/// Two servers on one database: a drag through one reaches a console on the other, woken by
/// the database's news (PostgreSQL's NOTIFY, the file's watcher) rather than a poll.
#[test]
fn a_drag_through_one_server_reaches_a_console_on_the_other() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "room_two");
        let (a, _first) = server(&db);
        let (b, _second) = server(&db);
        let mut wang = console(a, "wang");
        let mut admin = console(b, "admin");
        admin.load().unwrap();
        assign(&mut wang, &t, 2, "wang").unwrap();
        assert_eq!(heard_team(&mut admin, t.id), Some(2), "{backend:?}");
    }
}

/// The change feed's answer lost on the way (a proxy's connection cut): the console says the
/// server is away, and its next look brings everything since its last answer, the change made
/// meanwhile included, none twice.
#[test]
fn a_feed_cut_on_the_way_resumes_without_a_gap() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let (db, t) = room(Backend::Sqlite, "room_gap");
    let (addr, _server) = server(&db);
    let lose = Arc::new(AtomicBool::new(false));
    let relay = lossy_relay(addr, lose.clone());
    let mut admin = console(relay, "admin");
    let mut wang = console(addr, "wang");
    admin.load().unwrap();
    let moved = assign(&mut wang, &t, 2, "wang").unwrap();
    lose.store(true, Ordering::SeqCst);
    match admin.catch_up() {
        Err(StoreError::Unavailable { .. }) => {}
        other => panic!("the answer was lost: {other:?}"),
    }
    // meanwhile another step on the same ticket
    let Applied::Ticket { ticket, .. } = moved else {
        panic!()
    };
    let Applied::Ticket {
        ticket: accepted, ..
    } = wang
        .apply(
            &Command::Act {
                ticket: t.id,
                seen_version: ticket.version,
                action: Action::Accept,
            },
            &desk(8, 50),
        )
        .unwrap()
    else {
        panic!()
    };
    let Update::Changed(changes) = admin.catch_up().unwrap() else {
        panic!("both steps come on the next look")
    };
    let seen: Vec<(i64, i64)> = changes
        .tickets
        .iter()
        .filter(|x| x.id == t.id)
        .map(|x| (x.version, x.team_id.unwrap_or(0)))
        .collect();
    assert_eq!(
        seen,
        [(ticket.version, 2), (accepted.version, 2)],
        "each step once, in order"
    );
    assert_eq!(admin.catch_up().unwrap(), Update::UpToDate);
}

/// Consoles starting together share one read of the season (one encoding held, not one each)
/// while nothing comes into the server's journal; after a drag the next start reads anew and
/// holds it, and a console reloading reads its own commits.
#[test]
fn consoles_starting_together_share_one_read_and_miss_nothing() {
    let (db, t) = room(Backend::Sqlite, "room_share");
    let (addr, served) = server(&db);
    served.share_activity_for(Duration::from_secs(60));
    let (admin, mut wang, liu) = (
        console(addr, "admin"),
        console(addr, "wang"),
        console(addr, "liu"),
    );
    let reads = served.activity_reads();
    admin.load().unwrap();
    liu.load().unwrap();
    assert_eq!(
        served.activity_reads(),
        reads + 1,
        "one read for both starts"
    );
    assign(&mut wang, &t, 2, "wang").unwrap();
    let after = wang.load().unwrap();
    assert_eq!(
        served.activity_reads(),
        reads + 2,
        "the journal moved: read anew"
    );
    assert_eq!(after.ticket(t.id).unwrap().team_id, Some(2), "its own drag");
    assert_eq!(liu.load().unwrap().ticket(t.id).unwrap().team_id, Some(2));
    assert_eq!(served.activity_reads(), reads + 2, "shared again");
}

/// A console that does not trust the server's certificate says why, names the server (not the
/// password) and sends nothing: expired, signed by an authority this PC does not know, made for
/// another name.
#[test]
fn a_certificate_the_console_does_not_trust_is_named_and_nothing_is_sent() {
    use crate::common::crews::HttpsServer;
    let (db, _) = room(Backend::Sqlite, "room_cert");
    let dir = tempfile::tempdir().unwrap();
    let today = chrono::Local::now().date_naive();
    let localhost = ["localhost".to_string()];
    let old = serve::tls::make(
        &dir.path().join("old"),
        &localhost,
        today - chrono::Days::new(900),
    )
    .unwrap();
    let new = serve::tls::make(&dir.path().join("new"), &localhost, today).unwrap();
    let expired = HttpsServer::start(&db.arg(), &old.cert, &old.key);
    let fresh = HttpsServer::start(&db.arg(), &new.cert, &new.key);
    let login = |host: &str, port: u16, ca: Option<&std::path::Path>| {
        let server = format!("https://wang@{host}:{port}");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args(["--server", &server, "soak", "--commands", "0"])
            .env("HEATDESK_PASSWORD", PASSWORD)
            .env("HEATDESK_CA", ca.map(|p| p.as_os_str()).unwrap_or_default())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success(), "{said}");
        assert!(said.contains(&server), "the server is named: {said}");
        assert!(!said.contains(PASSWORD), "{said}");
        said
    };
    let said = login("localhost", expired.port, Some(&old.ca));
    assert!(said.contains("certificate has expired"), "{said}");
    let said = login("localhost", fresh.port, None);
    assert!(
        said.contains("not signed by an authority this PC trusts"),
        "{said}"
    );
    let said = login("127.0.0.1", fresh.port, Some(&new.ca));
    assert!(said.contains("made for another name"), "{said}");
    // the room's CA, the certificate's name: in
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args([
            "--server",
            &format!("https://wang@localhost:{}", fresh.port),
            "soak",
            "--commands",
            "0",
        ])
        .env("HEATDESK_PASSWORD", PASSWORD)
        .env("HEATDESK_CA", &new.ca)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        db.count("SELECT count(*) FROM ticket_events WHERE actor LIKE '%wang%'"),
        0,
        "nothing was sent"
    );
}
