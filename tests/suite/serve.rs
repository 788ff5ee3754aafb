//! The crews' server over HTTP, on SQLite and PostgreSQL: a phone logs in and takes a ticket
//! from 接单 to 完工 while a console on the same database sees each step; hostile requests get
//! the right status and change nothing; the sender delivers exactly the expected messages to a
//! fake SMS gateway, retries a failing one with backoff, and the server's log never holds a
//! resident's number.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use heatdesk::domain::crew::*;
use heatdesk::domain::*;
use heatdesk::serve::{self, auth};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::crews::{PHONE, assigned, at, city, console_sees, desk, save_accounts};
use crate::common::stores::{self, Backend, TestDb};

const HOSTILE: &str = "'; DROP TABLE tickets; -- \" OR 1=1 /* 🙂";

/// A database with the city, the accounts zhang (张师傅, team 1) and li (team 2), and a ticket
/// from a resident who left a number, given to team 1 at 08:05.
fn room(backend: Backend, label: &str) -> (TestDb, Ticket) {
    let db = TestDb::seeded(backend, label, &city());
    let mut store = db.open();
    save_accounts(
        &mut *store,
        "secret-1",
        &[
            ("zhang", "张师傅", Role::Technician, Some(1)),
            ("li", "李师傅", Role::Technician, Some(2)),
        ],
    );
    let t = assigned(&mut *store, 1, "3单元 502", "暖气片上热下凉");
    (db, t)
}

/// The server on the database, its clock at 08:30 that day.
fn server(db: &TestDb) -> (SocketAddr, Arc<serve::Server>) {
    serve::spawn_local(db.open(), Arc::new(|| at(8, 30))).unwrap()
}

/// Synchronous store work from inside a test's async block (the PostgreSQL client may not
/// block on tokio's threads): on a thread of its own.
fn off<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(work).join().unwrap())
}

fn runtime() -> tokio::runtime::Runtime {
    serve::https();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A phone: the page's requests, with the session cookie it was given.
struct Phone {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
}

impl Phone {
    fn new(addr: SocketAddr) -> Phone {
        Phone {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            cookie: None,
        }
    }

    async fn login(&mut self, login: &str, password: &str) -> StatusCode {
        let r = self
            .http
            .post(format!("{}/api/login", self.base))
            .json(&json!({ "login": login, "password": password }))
            .send()
            .await
            .unwrap();
        if let Some(c) = r.headers().get("set-cookie") {
            let c = c.to_str().unwrap();
            assert!(c.contains("HttpOnly"), "{c}");
            self.cookie = Some(c.split(';').next().unwrap().to_string());
        }
        r.status()
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let request = match &self.cookie {
            Some(c) => request.header("cookie", c),
            None => request,
        };
        let r = request.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .body(body),
        )
        .await
    }
}

/// Everything a refused request must leave as it was.
fn state(db: &TestDb) -> Vec<i64> {
    [
        "SELECT count(*) FROM tickets",
        "SELECT CAST(coalesce(sum(version), 0) AS BIGINT) FROM tickets",
        "SELECT count(*) FROM ticket_events",
        "SELECT count(*) FROM client_commands",
        "SELECT count(*) FROM outbox",
        "SELECT count(*) FROM ticket_photos",
        "SELECT count(*) FROM team_positions",
        "SELECT count(*) FROM accounts",
    ]
    .iter()
    .map(|q| count(db, q))
    .collect()
}

/// One number from the database, from anywhere (see [`off`]).
fn count(db: &TestDb, sql: &str) -> i64 {
    off(|| db.count(sql))
}

/// POST a 50 MB photo as a phone would start sending it: the server answers (its status) as
/// soon as it has read the headers, and never reads the body.
fn fifty_megabytes(addr: SocketAddr, path: &str, cookie: &str) -> u16 {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body_len = 50 * 1024 * 1024;
    write!(
        tcp,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {body_len}\r\n\r\n{{\"version\":1,\"client_id\":\"big\",\"photos\":[\"data:image/jpeg;base64,"
    )
    .unwrap();
    // the first megabyte of it, which the server may or may not take
    let _ = tcp.write_all(&vec![b'A'; 1024 * 1024]);
    let mut answer = vec![0u8; 12];
    tcp.read_exact(&mut answer).unwrap();
    let line = String::from_utf8_lossy(&answer).to_string();
    line[9..12].parse().unwrap_or_else(|_| panic!("{line}"))
}

/// A small JPEG-typed data URL of `n` bytes.
fn photo_url(n: usize) -> String {
    use base64::Engine as _;
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(vec![0xFFu8; n])
    )
}

#[test]
fn a_phone_takes_a_ticket_to_done_and_a_console_sees_each_step_within_a_second() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "phone_flow");
        let mut console = db.open();
        let mut snap = console.load().unwrap();
        let (addr, _server) = server(&db);
        runtime().block_on(async {
            let mut phone = Phone::new(addr);
            assert_eq!(phone.login("zhang", "secret-1").await, StatusCode::OK);
            let (s, me) = phone.get("/api/me").await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(me["team"]["name"], "城西维修一班");

            // the list: the team's ticket, the number masked, the deadline counting down
            let (s, list) = phone.get("/api/tickets?lon=112.5&lat=37.8").await;
            assert_eq!(s, StatusCode::OK, "{list}");
            let cards = list["tickets"].as_array().unwrap();
            assert_eq!(cards.len(), 1);
            let card = &cards[0];
            assert_eq!(card["id"], t.id);
            assert_eq!(card["status"], "assigned");
            assert_eq!(card["phone"], "138****5678");
            assert!(!list.to_string().contains(PHONE), "{list}");
            assert!(card["minutes_left"].as_i64().unwrap() > 0);
            assert_eq!(card["distance_m"], 0.0);
            // the call button reveals it
            let (s, call) = phone
                .post(&format!("/api/tickets/{}/call", t.id), json!({}))
                .await;
            assert_eq!((s, call["phone"].as_str()), (StatusCode::OK, Some(PHONE)));

            let mut version = t.version;
            version = step(&phone, t.id, version, "accept", json!({})).await;
            assert!(console_sees(&mut console, &mut snap, |s| s
                .ticket(t.id)
                .unwrap()
                .status
                == TicketStatus::Accepted));
            version = step(&phone, t.id, version, "depart", json!({})).await;
            assert!(console_sees(&mut console, &mut snap, |s| s
                .team(1)
                .unwrap()
                .status
                == TeamStatus::OnRoute));
            // 到场 about 530 m east of the building: flagged on the ticket
            version = step(
                &phone,
                t.id,
                version,
                "arrive",
                json!({ "lon": 112.506, "lat": 37.8, "accuracy": 12.0 }),
            )
            .await;
            assert!(console_sees(&mut console, &mut snap, |s| s
                .ticket(t.id)
                .unwrap()
                .status
                == TicketStatus::OnSite
                && s.team(1).unwrap().status == TeamStatus::OnSite));
            let far = far_arrival(&off(|| {
                let c = &mut console;
                c.history(t.id).unwrap()
            }))
            .expect("flagged far");
            assert!((500.0..560.0).contains(&far), "{far}");
            // the team's marker moved there
            assert!(console_sees(&mut console, &mut snap, |s| s
                .position_of(1)
                .is_some_and(|p| (p.position[0] - 112.506).abs() < 1e-9)));
            let done = step(
                &phone,
                t.id,
                version,
                "complete",
                json!({ "celsius": 19.5, "method": "thermometer", "work": "排气阀放气",
                        "photos": [photo_url(2000), photo_url(3000)] }),
            )
            .await;
            assert!(done > version);
            assert!(console_sees(&mut console, &mut snap, |s| s
                .ticket(t.id)
                .unwrap()
                .status
                == TicketStatus::Fixed
                && s.team(1).unwrap().status == TeamStatus::Free));
            // the list no longer holds it
            let (_, list) = phone.get("/api/tickets").await;
            assert_eq!(list["tickets"].as_array().unwrap().len(), 0);
        });
        // the audit trail names the technician; the photos are kept with the ticket
        let history = console.history(t.id).unwrap();
        let by_phone: Vec<&TicketEvent> = history
            .iter()
            .filter(|e| e.actor.contains("张师傅 (zhang)"))
            .collect();
        assert_eq!(
            by_phone
                .iter()
                .map(|e| e.action.as_str())
                .collect::<Vec<_>>(),
            ["accept", "depart", "arrive", "fix"]
        );
        let photos = console.photos(t.id).unwrap();
        assert_eq!(
            photos.iter().map(|p| p.bytes.len()).collect::<Vec<_>>(),
            [2000, 3000]
        );
        // the resident heard of 派单, 到场 and 完工
        let kinds: Vec<MessageKind> = console
            .outbox(10)
            .unwrap()
            .iter()
            .rev()
            .map(|m| m.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                MessageKind::Assigned,
                MessageKind::Arrived,
                MessageKind::Fixed
            ]
        );
    }
}

/// One step from the phone, answered 200 and applied; the ticket's new version.
/// A phone's list follows the team's tickets as consoles move them: the server's index by team
/// moves a re-dispatched ticket to its new team's list and back, and always equals a scan.
#[test]
fn the_phone_list_follows_a_ticket_moved_between_teams() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "team_index");
        let mut console = db.open();
        let (addr, server) = server(&db);
        let index_equals_a_scan = |server: &serve::Server| {
            let served = server.caught_up().unwrap();
            for team in [1, 2, 3] {
                let by_index: Vec<TicketId> = served.team_tickets(team).map(|t| t.id).collect();
                let mut by_scan: Vec<TicketId> = served
                    .tickets
                    .iter()
                    .filter(|t| t.team_id == Some(team) && serve::crew_works_on(t))
                    .map(|t| t.id)
                    .collect();
                by_scan.sort();
                assert_eq!(by_index, by_scan, "team {team}");
            }
        };
        runtime().block_on(async {
            let mut zhang = Phone::new(addr);
            let mut li = Phone::new(addr);
            assert_eq!(zhang.login("zhang", "secret-1").await, StatusCode::OK);
            assert_eq!(li.login("li", "secret-1").await, StatusCode::OK);
            let listed = |list: Value| -> Vec<i64> {
                list["tickets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_i64().unwrap())
                    .collect()
            };
            assert_eq!(listed(zhang.get("/api/tickets").await.1), [t.id]);
            assert!(listed(li.get("/api/tickets").await.1).is_empty());
            let mut version = t.version;
            for (to, (with_zhang, with_li)) in [(2, (0, 1)), (1, (1, 0))] {
                let applied = off(|| {
                    console.apply(
                        &Command::Act {
                            ticket: t.id,
                            seen_version: version,
                            action: Action::Assign { team: to },
                        },
                        &desk(8, 20),
                    )
                })
                .unwrap();
                version = applied.tickets()[0].version;
                assert_eq!(listed(zhang.get("/api/tickets").await.1).len(), with_zhang);
                assert_eq!(listed(li.get("/api/tickets").await.1).len(), with_li);
                off(|| index_equals_a_scan(&server));
            }
        });
    }
}

async fn step(phone: &Phone, id: TicketId, version: i64, action: &str, mut body: Value) -> i64 {
    body["version"] = json!(version);
    body["client_id"] = json!(format!("zhang-{action}"));
    let (s, r) = phone
        .post(&format!("/api/tickets/{id}/{action}"), body)
        .await;
    assert_eq!(s, StatusCode::OK, "{action}: {r}");
    assert_eq!(r["duplicate"], false);
    r["ticket"]["version"].as_i64().unwrap()
}

#[test]
fn hostile_requests_get_the_right_status_and_change_nothing() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "hostile");
        let theirs = assigned(&mut *db.open(), 2, "3单元 502", "暖气片上热下凉");
        let (addr, _server) = server(&db);
        runtime().block_on(async {
            let before = state(&db);
            let anonymous = Phone::new(addr);
            let step = format!("/api/tickets/{}/accept", t.id);
            let ok_body = json!({ "version": t.version, "client_id": "c1" });
            // no session: every API route
            for (s, _) in [
                anonymous.get("/api/me").await,
                anonymous.get("/api/tickets").await,
                anonymous.post(&step, ok_body.clone()).await,
                anonymous.post(&format!("/api/tickets/{}/call", t.id), json!({})).await,
                anonymous.post("/api/position", json!({ "lon": 112.5, "lat": 37.8 })).await,
            ] {
                assert_eq!(s, StatusCode::UNAUTHORIZED);
            }
            // a made-up session
            let mut forged = Phone::new(addr);
            forged.cookie = Some(format!("{}={}", auth::COOKIE, "ab".repeat(32)));
            assert_eq!(forged.post(&step, ok_body.clone()).await.0, StatusCode::UNAUTHORIZED);
            // SQL in the login
            let mut sneaky = Phone::new(addr);
            assert_eq!(sneaky.login(HOSTILE, HOSTILE).await, StatusCode::UNAUTHORIZED);
            assert_eq!(sneaky.login("zhang' --", "x").await, StatusCode::UNAUTHORIZED);

            let mut phone = Phone::new(addr);
            assert_eq!(phone.login("zhang", "secret-1").await, StatusCode::OK);
            // another team's ticket, one that does not exist, one that is not a number
            let (s, r) = phone
                .post(&format!("/api/tickets/{}/accept", theirs.id), json!({ "version": theirs.version, "client_id": "c2" }))
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{r}");
            assert_eq!(phone.post(&format!("/api/tickets/{}/call", theirs.id), json!({})).await.0, StatusCode::NOT_FOUND);
            assert_eq!(phone.post("/api/tickets/999999/accept", json!({ "version": 1, "client_id": "c3" })).await.0, StatusCode::NOT_FOUND);
            assert_eq!(phone.post("/api/tickets/1%20OR%201=1/accept", json!({ "version": 1, "client_id": "c4" })).await.0, StatusCode::BAD_REQUEST);
            assert_eq!(phone.post(&format!("/api/tickets/{}/delete", t.id), ok_body.clone()).await.0, StatusCode::NOT_FOUND);
            // a stale version: 409, saying who changed it
            let (s, r) = phone
                .post(&step, json!({ "version": t.version - 1, "client_id": "c5" }))
                .await;
            assert_eq!(s, StatusCode::CONFLICT, "{r}");
            assert_eq!(r["error"], "stale");
            assert_eq!(r["current"], t.version);
            assert!(r["by"].as_str().unwrap().contains(&off(|| db.actor("调度员"))), "{r}");
            // malformed JSON, a wrong type, an unknown field, no client id
            for body in [
                "{\"version\": ".to_string(),
                "[]".to_string(),
                json!({ "version": "seven", "client_id": "c6" }).to_string(),
                json!({ "version": t.version, "client_id": "c7", "status": "fixed" }).to_string(),
                json!({ "version": t.version }).to_string(),
            ] {
                let (s, r) = phone.post_raw(&step, body.clone()).await;
                assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {r}");
                assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
            }
            // a 50 MB body, a photo over 300 KB, four photos: refused before anything is kept
            let complete = format!("/api/tickets/{}/complete", t.id);
            assert_eq!(fifty_megabytes(addr, &complete, phone.cookie.as_deref().unwrap()), 413);
            let (s, r) = phone
                .post(&complete, json!({ "version": t.version, "client_id": "c9", "photos": [photo_url(400 * 1024)] }))
                .await;
            assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{r}");
            let (s, _) = phone
                .post(&complete, json!({ "version": t.version, "client_id": "c10", "photos": vec![photo_url(100); 4] }))
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
            // a step the lifecycle does not allow now (完工 before 到场)
            let (s, r) = phone
                .post(&complete, json!({ "version": t.version, "client_id": "c11", "work": "x" }))
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
            // a position that is not on Earth
            let (s, _) = phone.post("/api/position", json!({ "lon": 900.0, "lat": 37.8 })).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(state(&db), before, "a refused request changed nothing");

            // SQL in every text field is kept as text, and nothing else changes
            let (s, r) = phone
                .post(&step, json!({ "version": t.version, "client_id": HOSTILE, "lang": HOSTILE }))
                .await;
            assert_eq!(s, StatusCode::OK, "{r}");
            let v = r["ticket"]["version"].as_i64().unwrap();
            let (s, r) = phone
                .post(&format!("/api/tickets/{}/hold", t.id), json!({ "version": v, "client_id": "h1", "reason": HOSTILE }))
                .await;
            assert_eq!(s, StatusCode::OK, "{r}");
        });
        let store = db.open();
        let history = store.history(t.id).unwrap();
        assert!(
            history.last().unwrap().note.contains(HOSTILE),
            "{history:?}"
        );
        assert_eq!(db.count("SELECT count(*) FROM tickets"), 2);
        assert_eq!(store.ticket(theirs.id).unwrap().unwrap(), theirs);
        assert_eq!(
            store.ticket(t.id).unwrap().unwrap().status,
            TicketStatus::OnHold
        );
    }
}

#[test]
fn sessions_expire_end_at_logout_and_guessing_is_braked() {
    let (db, t) = room(Backend::Sqlite, "sessions");
    let (addr, server) = server(&db);
    runtime().block_on(async {
        // five wrong passwords in a minute: the sixth try is refused even when right
        let mut guesser = Phone::new(addr);
        for _ in 0..auth::MAX_GUESSES {
            assert_eq!(
                guesser.login("zhang", "wrong-pw").await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            guesser.login("zhang", "secret-1").await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // another login is not held up by it
        let mut li = Phone::new(addr);
        assert_eq!(li.login("li", "secret-1").await, StatusCode::OK);
        assert_eq!(li.get("/api/tickets").await.0, StatusCode::OK);
        // li's own tickets only: team 1's is not in the list
        assert_eq!(li.get("/api/tickets").await.1["tickets"], json!([]));

        // an expired session
        let token = li.cookie.clone().unwrap();
        server.gate.expire(token.split('=').nth(1).unwrap());
        assert_eq!(li.get("/api/tickets").await.0, StatusCode::UNAUTHORIZED);
        // logging out ends it
        assert_eq!(li.login("li", "secret-1").await, StatusCode::OK);
        assert_eq!(
            li.post("/api/logout", json!({})).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(li.get("/api/tickets").await.0, StatusCode::UNAUTHORIZED);
        // an account disabled in the console ends its sessions at once
        assert_eq!(li.login("li", "secret-1").await, StatusCode::OK);
        off(|| {
            let mut console = db.open();
            let mut account = console.account("li").unwrap().unwrap();
            account.disabled = true;
            console
                .apply(&Command::SaveAccount(account), &desk(8, 20))
                .unwrap();
        });
        assert_eq!(li.get("/api/tickets").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(li.login("li", "secret-1").await, StatusCode::UNAUTHORIZED);
    });
    assert_eq!(db.open().ticket(t.id).unwrap().unwrap(), t);
}

#[test]
fn a_retried_step_is_applied_once_and_an_overtaken_one_is_refused() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "retry_http");
        let (addr, _server) = server(&db);
        runtime().block_on(async {
            let mut phone = Phone::new(addr);
            phone.login("zhang", "secret-1").await;
            let step = format!("/api/tickets/{}/accept", t.id);
            let body = json!({ "version": t.version, "client_id": "phone-7f3a" });
            let (s, first) = phone.post(&step, body.clone()).await;
            assert_eq!((s, &first["duplicate"]), (StatusCode::OK, &json!(false)));
            let events = count(&db, "SELECT count(*) FROM ticket_events");
            // the answer was lost on the way: the phone sends the same request again
            let (s, again) = phone.post(&step, body).await;
            assert_eq!((s, &again["duplicate"]), (StatusCode::OK, &json!(true)));
            assert_eq!(again["ticket"]["version"], first["ticket"]["version"]);
            assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events);

            // queued offline while the desk put the ticket on hold: overtaken, refused, and
            // the phone is told by whom
            let v = first["ticket"]["version"].as_i64().unwrap();
            off(|| {
                db.open()
                    .apply(
                        &Command::Act {
                            ticket: t.id,
                            seen_version: v,
                            action: Action::Hold {
                                reason: "住户不在家".into(),
                            },
                        },
                        &desk(8, 25),
                    )
                    .unwrap()
            });
            let (s, r) = phone
                .post(
                    &format!("/api/tickets/{}/depart", t.id),
                    json!({ "version": v, "client_id": "queued-1" }),
                )
                .await;
            assert_eq!(s, StatusCode::CONFLICT, "{r}");
            assert_eq!(r["by"].as_str(), Some(off(|| db.actor("调度员")).as_str()));
            assert_eq!(r["at"], "2026-11-27 08:25");
            assert_eq!(count(&db, "SELECT count(*) FROM ticket_events"), events + 1);
            assert_eq!(count(&db, "SELECT count(*) FROM client_commands"), 1);
        });
    }
}

#[test]
fn positions_move_the_marker_and_the_best_fit_suggestion() {
    for backend in stores::backends() {
        let (db, t) = room(backend, "positions_http");
        let (addr, _server) = server(&db);
        let mut console = db.open();
        let mut snap = console.load().unwrap();
        runtime().block_on(async {
            let mut li = Phone::new(addr);
            li.login("li", "secret-1").await;
            // team 2 far away, then at the building
            for (lon, at) in [
                (112.7, "2026-11-27T08:20:00"),
                (112.5001, "2026-11-27T08:29:00"),
            ] {
                let (s, r) = li
                    .post(
                        "/api/position",
                        json!({ "lon": lon, "lat": 37.8, "accuracy": 15.0, "at": at }),
                    )
                    .await;
                assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
            }
            // a position queued earlier arriving late does not move the marker back
            li.post(
                "/api/position",
                json!({ "lon": 113.0, "lat": 37.8, "at": "2026-11-27T08:10:00" }),
            )
            .await;
        });
        assert!(console_sees(&mut console, &mut snap, |s| s
            .position_of(2)
            .is_some_and(|p| p.at == at(8, 29) && p.by.contains("李师傅"))));
        assert_eq!(snap.team(2).unwrap().position, [112.5001, 37.8]);
        assert!(!snap.position_of(2).unwrap().is_stale(at(8, 38)));
        assert!(snap.position_of(2).unwrap().is_stale(at(8, 40)));
        let _ = t;
    }
}

/// A fake SMS gateway on 127.0.0.1: what it received (phone, text), answering `status`.
struct FakeGateway {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<(String, String)>>>,
    status: Arc<Mutex<u16>>,
}

fn fake_gateway() -> FakeGateway {
    use axum::extract::{Form, State};
    type Shared = (Arc<Mutex<Vec<(String, String)>>>, Arc<Mutex<u16>>);
    let received = Arc::new(Mutex::new(Vec::new()));
    let status = Arc::new(Mutex::new(200u16));
    let shared: Shared = (received.clone(), status.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        runtime().block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/send",
                    axum::routing::post(
                        |State((received, status)): State<Shared>,
                         Form(f): Form<std::collections::HashMap<String, String>>| async move {
                            let code = *status.lock().unwrap();
                            if code == 200 {
                                received.lock().unwrap().push((
                                    f.get("phone").cloned().unwrap_or_default(),
                                    f.get("text").cloned().unwrap_or_default(),
                                ));
                            }
                            axum::http::StatusCode::from_u16(code).unwrap()
                        },
                    ),
                )
                .with_state(shared);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    FakeGateway {
        addr: rx.recv().unwrap(),
        received,
        status,
    }
}

impl FakeGateway {
    fn url(&self) -> String {
        format!("http://{}/send?to={{phone}}&key={{key}}", self.addr)
    }
}

#[test]
fn a_failing_gateway_is_tried_again_with_backoff_and_then_given_up() {
    for backend in stores::backends() {
        let (db, _t) = room(backend, "sms_backoff");
        let gateway = fake_gateway();
        *gateway.status.lock().unwrap() = 503;
        let sms = serve::sms::Gateway::new(gateway.url(), "k-123".into()).unwrap();
        let store: serve::sms::Outbox = Arc::new(Mutex::new(db.open()));
        let client = reqwest::Client::new();
        let rt = runtime();
        let mut now = at(8, 6);
        let mut waits = vec![];
        for attempt in 1..=MAX_ATTEMPTS {
            assert_eq!(
                rt.block_on(serve::sms::deliver_due(&store, &client, &sms, now))
                    .unwrap(),
                0
            );
            let m = db.open().outbox(10).unwrap().remove(0);
            assert_eq!(m.attempts, attempt);
            assert!(m.error.contains("503"), "{}", m.error);
            if attempt < MAX_ATTEMPTS {
                assert_eq!(m.status, MessageStatus::Pending);
                // not tried again before its time
                assert_eq!(
                    rt.block_on(serve::sms::deliver_due(
                        &store,
                        &client,
                        &sms,
                        m.next_at - chrono::Duration::seconds(1)
                    ))
                    .unwrap(),
                    0
                );
                assert_eq!(db.open().outbox(10).unwrap()[0].attempts, attempt);
                waits.push((m.next_at - now).num_minutes());
                now = m.next_at;
            } else {
                assert_eq!(m.status, MessageStatus::Failed);
            }
        }
        assert_eq!(waits, [1, 2, 4, 8, 16]);
        // given up: not tried again, even when the gateway is back
        *gateway.status.lock().unwrap() = 200;
        assert_eq!(
            rt.block_on(serve::sms::deliver_due(
                &store,
                &client,
                &sms,
                now + chrono::Duration::hours(1)
            ))
            .unwrap(),
            0
        );
        assert!(gateway.received.lock().unwrap().is_empty());
    }
}

/// The real server, as a crew's company runs it: `heatdesk account add` with the password on
/// standard input, `heatdesk serve` with the gateway in the environment; the phone takes the
/// ticket to done and the gateway receives exactly the three messages; the log never holds
/// the number.
#[test]
fn the_server_delivers_exactly_the_expected_messages_and_logs_no_number() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("heatdesk.db");
    heatdesk::store::create(&heatdesk::store::Location::File(path.clone()))
        .unwrap()
        .seed(&city())
        .unwrap();
    let mut store = heatdesk::store::open(&heatdesk::store::Location::File(path.clone())).unwrap();
    let bin = env!("CARGO_BIN_EXE_heatdesk");
    let mut add = std::process::Command::new(bin)
        .args([
            "account",
            "add",
            "--login",
            "wang",
            "--team",
            "1",
            "--name",
            "王师傅",
            "--db",
        ])
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"s3cret-pw\n").unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hash = store.account("wang").unwrap().unwrap().password_hash;
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains("s3cret"),
        "{hash}"
    );

    // 派单 today, so the server's recent view holds it
    let now = chrono::Local::now().naive_local();
    let made = store
        .apply(
            &Command::CreateTicket(NewTicket {
                channel: Channel::Hotline,
                category: Category::NoHeat,
                severity: Severity::Urgent,
                building_id: 1,
                address_detail: "1单元 101".into(),
                reporter_name: "赵女士".into(),
                reporter_phone: PHONE.into(),
                description: "全屋不热".into(),
            }),
            &Origin {
                actor: "调度员".into(),
                at: now,
            },
        )
        .unwrap();
    let t = made.tickets()[0].clone();
    let t = store
        .apply(
            &Command::Act {
                ticket: t.id,
                seen_version: t.version,
                action: Action::Assign { team: 1 },
            },
            &Origin {
                actor: "调度员".into(),
                at: now,
            },
        )
        .unwrap()
        .tickets()[0]
        .clone();

    let gateway = fake_gateway();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.path().join("serve.log");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let serving = Kill(
        std::process::Command::new(bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--db"])
            .arg(&path)
            .env("HEATDESK_SMS_URL", gateway.url())
            .env("HEATDESK_SMS_KEY", "k-123")
            .stdout(std::fs::File::create(dir.path().join("serve.out")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    runtime().block_on(async {
        let mut phone = Phone::new(addr);
        assert_eq!(phone.login("wang", "s3cret-pw").await, StatusCode::OK);
        let mut v = t.version;
        for (action, body) in [
            ("accept", json!({})),
            (
                "arrive",
                json!({ "lon": 112.5, "lat": 37.8, "accuracy": 8.0 }),
            ),
            ("complete", json!({ "celsius": 20.0, "work": "更换阀门" })),
        ] {
            let mut body = body;
            body["version"] = json!(v);
            body["client_id"] = json!(format!("w-{action}"));
            let (s, r) = phone
                .post(&format!("/api/tickets/{}/{action}", t.id), body)
                .await;
            assert_eq!(s, StatusCode::OK, "{action}: {r}");
            v = r["ticket"]["version"].as_i64().unwrap();
        }
        phone
            .post(&format!("/api/tickets/{}/call", t.id), json!({}))
            .await;
    });
    // the sender runs every two seconds
    let start = Instant::now();
    while gateway.received.lock().unwrap().len() < 3 && start.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(3));
    let received = gateway.received.lock().unwrap().clone();
    assert_eq!(received.len(), 3, "{received:?}");
    assert!(received.iter().all(|(p, _)| p == PHONE));
    assert!(received[0].1.contains("城西维修一班"), "{}", received[0].1);
    assert!(received[1].1.contains("已到达"), "{}", received[1].1);
    assert!(
        received[2].1.contains("更换阀门") && received[2].1.contains("满意"),
        "{}",
        received[2].1
    );
    let outbox = store.outbox(10).unwrap();
    assert!(
        outbox
            .iter()
            .all(|m| m.status == MessageStatus::Sent && m.sent_at.is_some())
    );
    drop(serving);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("field step") && logged.contains("message to a resident"),
        "{logged}"
    );
    assert!(
        !logged.contains(PHONE) && !logged.contains("5678"),
        "{logged}"
    );
}

/// The page and every answer of the API say what the page may load and that no other site may
/// frame it (a Content-Security-Policy and X-Frame-Options on each).
#[test]
fn every_answer_carries_a_content_security_policy_and_refuses_framing() {
    let (db, _) = room(Backend::Sqlite, "headers");
    let (addr, _server) = server(&db);
    runtime().block_on(async {
        let http = reqwest::Client::new();
        for (method, path) in [
            ("GET", "/"),
            ("GET", "/app.js"),
            ("GET", "/app.css"),
            ("GET", "/api/tickets"),
            ("POST", "/api/login"),
        ] {
            let r = http
                .request(method.parse().unwrap(), format!("http://{addr}{path}"))
                .send()
                .await
                .unwrap();
            let h = r.headers();
            let csp = h
                .get("content-security-policy")
                .unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"))
                .to_str()
                .unwrap();
            assert_eq!(csp, serve::api::CONTENT_SECURITY_POLICY, "{path}");
            for must in [
                "default-src 'self'",
                "script-src 'self'",
                "frame-ancestors 'none'",
                "img-src 'self' data: blob:",
            ] {
                assert!(csp.contains(must), "{path}: {csp}");
            }
            assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        }
    });
}

/// `heatdesk` run to its end: (exit code, standard error).
fn heatdesk(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_room_gets_its_own_certificate_and_the_server_speaks_https_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let os = |s: &str| std::ffi::OsString::from(s);
    let (code, _) = heatdesk(&[
        &os("cert"),
        &os("--out"),
        certs.as_os_str(),
        &os("--host"),
        &os("heatdesk.lan"),
        &os("--host"),
        &os("127.0.0.1"),
    ]);
    assert_eq!(code, 0);
    for f in ["ca.pem", "server.pem", "server-key.pem"] {
        let text = std::fs::read_to_string(certs.join(f)).unwrap();
        assert!(text.starts_with("-----BEGIN"), "{f}: {text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(certs.join("server-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is the server's alone: {mode:o}");
    }
    // the phones trust the authority they installed: it is never replaced behind their back
    let ca = std::fs::read(certs.join("ca.pem")).unwrap();
    let (code, err) = heatdesk(&[&os("cert"), &os("--out"), certs.as_os_str()]);
    assert_ne!(code, 0);
    assert!(
        err.contains("ca.pem") && err.contains("refusing to overwrite"),
        "{err}"
    );
    assert_eq!(std::fs::read(certs.join("ca.pem")).unwrap(), ca);

    let (db, _) = room(Backend::Sqlite, "https");
    let db_arg = os(&db.arg());
    // plain HTTP to the LAN is refused, saying what to do; a wrong certificate file is named
    let (code, err) = heatdesk(&[
        &os("--db"),
        &db_arg,
        &os("serve"),
        &os("--listen"),
        &os("0.0.0.0:0"),
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("heatdesk cert") && err.contains("--plain-http"),
        "{err}"
    );
    let missing = dir.path().join("nope.pem");
    let (code, err) = heatdesk(&[
        &os("--db"),
        &db_arg,
        &os("serve"),
        &os("--listen"),
        &os("127.0.0.1:0"),
        &os("--tls-cert"),
        missing.as_os_str(),
        &os("--tls-key"),
        certs.join("server-key.pem").as_os_str(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("nope.pem"), "{err}");

    // served over HTTPS: a client that installed ca.pem is served; one that did not, refused
    let server = crate::common::crews::HttpsServer::start(
        &db.arg(),
        &certs.join("server.pem"),
        &certs.join("server-key.pem"),
    );
    let port = server.port;
    serve::https();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let trusting = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
            .resolve("heatdesk.lan", SocketAddr::from(([127, 0, 0, 1], port)))
            .build()
            .unwrap();
        for url in [
            format!("https://heatdesk.lan:{port}/"),
            format!("https://127.0.0.1:{port}/"),
        ] {
            let page = trusting.get(&url).send().await.unwrap();
            assert_eq!(page.status(), StatusCode::OK, "{url}");
            assert!(page.text().await.unwrap().contains("app.js"));
        }
        let me = trusting
            .get(format!("https://heatdesk.lan:{port}/api/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
        let stranger = reqwest::Client::builder()
            .tls_certs_only([])
            .build()
            .unwrap();
        let refused = stranger
            .get(format!("https://127.0.0.1:{port}/"))
            .send()
            .await;
        assert!(
            refused.is_err(),
            "an unknown authority is not trusted: {refused:?}"
        );
        // a name the certificate does not hold is refused too
        let wrong_name = trusting
            .get(format!("https://localhost:{port}/"))
            .send()
            .await;
        assert!(wrong_name.is_err(), "{wrong_name:?}");
    });
}

#[test]
fn the_server_serves_the_rooms_basemap_as_tiles() {
    // one basemap for the room: rendered once, served by `heatdesk serve` to every console
    // (each keeps the tiles it fetched in its cache) instead of each PC rendering its own
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    heatdesk::demo::write_new(
        &path,
        &heatdesk::demo::DemoParams::new(heatdesk::demo::Scale::Demo, at(8, 0)),
    )
    .unwrap();
    let store = heatdesk::store::SqliteStore::open(&path).unwrap();
    use heatdesk::store::DispatchStore;
    let places = store.load_places().unwrap();
    let features = store.basemap_features().unwrap();
    let tiles = dir.path().join("room.mbtiles");
    let progress = Default::default();
    heatdesk::map::basemap::write_basemap_with(&places, &features, &tiles, 11, 12, &progress)
        .unwrap();
    // a tile the file holds, by its XYZ address (MBTiles counts rows from the south)
    let (z, x, row, png): (u8, u32, u32, Vec<u8>) = crate::common::sql(&tiles)
        .query_row(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = 12 LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let y = (1u32 << z) - 1 - row;
    let server =
        serve::Server::with_basemap(Box::new(store), Arc::new(|| at(8, 30)), &tiles).unwrap();
    let (addr, _server) = serve::spawn(server).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let got = client
            .get(format!("http://{addr}/tiles/{z}/{x}/{y}.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.headers()["content-type"], "image/png");
        assert!(
            got.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        assert_eq!(
            got.bytes().await.unwrap().to_vec(),
            png,
            "the file's own tile"
        );
        // outside the city, or not a tile: not found
        for url in [
            format!("http://{addr}/tiles/{z}/0/0.png"),
            format!("http://{addr}/tiles/{z}/{x}/nope.png"),
            format!("http://{addr}/tiles/30/{x}/{y}.png"),
        ] {
            let got = client.get(&url).send().await.unwrap();
            assert_eq!(got.status(), StatusCode::NOT_FOUND, "{url}");
        }
    });
    // a server without a basemap has no tiles
    let (db, _) = room(Backend::Sqlite, "notiles");
    let (addr, _server) = serve::spawn_local(db.open(), Arc::new(|| at(8, 30))).unwrap();
    runtime.block_on(async {
        let got = reqwest::get(format!("http://{addr}/tiles/{z}/{x}/{y}.png"))
            .await
            .unwrap();
        assert_eq!(got.status(), StatusCode::NOT_FOUND);
    });
}
