//! The crews' phone page in a real browser: Debian's chromium, headless, 360 × 740, driven
//! through chromedriver (WebDriver, fantoccini). A technician logs in, takes a ticket from 接单
//! through 到场 (the phone's position stubbed) to 完工 with a photo the page shrinks, and a
//! console on the same database sees each step within a second of the phone saying it was
//! sent; a step queued offline is sent when the phone is back, and one overtaken meanwhile is
//! shown as such.
//!
//! Needs `chromium` and `chromedriver` (apt: chromium chromium-driver). Without them the test
//! says it was skipped — unless HEATDESK_TEST_BROWSER=1 (`.ci/run` sets it), when their absence
//! fails it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use heatdesk::domain::crew::*;
use heatdesk::domain::*;
use heatdesk::serve::{self, auth};
use serde_json::json;

use crate::common::crews::{HttpsServer, assigned, at, city, console_sees, desk};
use crate::common::stores::{self, Backend, TestDb};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether the browser is here; when it must be and is not, fail.
fn browser_here() -> bool {
    let here = Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists();
    if !here {
        assert!(
            std::env::var("HEATDESK_TEST_BROWSER").as_deref() != Ok("1"),
            "HEATDESK_TEST_BROWSER=1 but {CHROMEDRIVER} or {CHROMIUM} is missing (apt install chromium chromium-driver)"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** phone page browser test SKIPPED: no chromium/chromedriver (.ci/run installs them) ***\n"
        );
    }
    here
}

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Process::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, port }
}

async fn browser(driver: &Driver) -> Client {
    browser_with(driver, &[]).await
}

/// A browser session with further command-line switches.
async fn browser_with(driver: &Driver, extra: &[String]) -> Client {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=360,740",
        "--lang=zh-CN",
        "--hide-scrollbars",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().cloned());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": args,
            "mobileEmulation": { "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 2.0, "touch": true } },
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// A photo as a phone camera takes it: 2400 × 1800, larger than the page sends.
fn camera_photo(path: &Path) {
    let (w, h) = (2400u32, 1800u32);
    let mut pixmap = tiny_skia::Pixmap::new(w, h).unwrap();
    let data = pixmap.data_mut();
    let mut seed = 12345u32;
    for y in 0..h {
        for x in 0..w {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let noise = (seed >> 27) as u8;
            let i = ((y * w + x) * 4) as usize;
            data[i] = ((x * 255 / w) as u8).saturating_add(noise);
            data[i + 1] = ((y * 255 / h) as u8).saturating_add(noise);
            data[i + 2] = 128u8.saturating_add(noise);
            data[i + 3] = 255;
        }
    }
    pixmap.save_png(path).unwrap();
}

/// Wait for an element whose text holds `text`.
async fn wait_text(c: &Client, css: &str, text: &str) {
    let start = Instant::now();
    loop {
        for e in c.find_all(Locator::Css(css)).await.unwrap() {
            if e.text().await.unwrap_or_default().contains(text) {
                return;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no {css} saying {text:?}; the page: {}",
            c.find(Locator::Css("body"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Click the step button `step` on the ticket's card.
async fn click_step(c: &Client, ticket: TicketId, step: &str) {
    let css = format!("li[data-ticket='{ticket}'] button[data-step='{step}']");
    let button = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(&css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    button.click().await.unwrap();
}

fn setup(backend: Backend) -> (TestDb, Ticket, Ticket) {
    let db = TestDb::seeded(backend, "phone_page", &city());
    let mut store = db.open();
    store
        .apply(
            &Command::SaveAccount(Account {
                login: "zhang".into(),
                name: "张师傅".into(),
                team_id: Some(1),
                role: heatdesk::domain::crew::Role::Technician,
                password_hash: auth::hash_password("secret-1").unwrap(),
                created_at: at(7, 0),
                disabled: false,
            }),
            &desk(7, 0),
        )
        .unwrap();
    let first = assigned(&mut *store, 1, "3单元 502", "暖气片上热下凉");
    let second = assigned(&mut *store, 1, "1单元 101", "卧室不热");
    (db, first, second)
}

#[test]
fn a_technician_takes_a_ticket_to_done_in_a_real_browser() {
    if !browser_here() {
        return;
    }
    let backend = stores::backends().last().copied().unwrap();
    let (db, t, other) = setup(backend);
    let mut console = db.open();
    let mut snap = console.load().unwrap();
    let (addr, _server): (SocketAddr, _) =
        serve::spawn_local(db.open(), Arc::new(|| at(8, 30))).unwrap();
    let driver = chromedriver();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("radiator.png");
    camera_photo(&photo);
    let shots = std::env::var("HEATDESK_SHOTS").ok();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let c = browser(&driver).await;
        c.goto(&format!("http://{addr}/")).await.unwrap();
        // the page fits a 360 px phone: nothing wider than the screen
        let width = c
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap();
        assert!(width.as_u64().unwrap() <= 360, "{width}");
        // where the phone is: 40 m from the building (the browser has no GPS)
        c.execute(
            "navigator.geolocation.getCurrentPosition = (ok) => ok({ coords: { longitude: 112.5004, latitude: 37.8001, accuracy: 9 } });",
            vec![],
        )
        .await
        .unwrap();

        // a wrong password is said so, in Chinese
        c.wait().for_element(Locator::Id("login-name")).await.unwrap().send_keys("zhang").await.unwrap();
        c.find(Locator::Id("login-password")).await.unwrap().send_keys("wrong-pw").await.unwrap();
        c.find(Locator::Id("login-go")).await.unwrap().click().await.unwrap();
        wait_text(&c, "#login-error", "密码").await;
        let pw = c.find(Locator::Id("login-password")).await.unwrap();
        pw.clear().await.unwrap();
        pw.send_keys("secret-1").await.unwrap();
        c.find(Locator::Id("login-go")).await.unwrap().click().await.unwrap();
        wait_text(&c, "#who", "城西维修一班").await;
        wait_text(&c, &format!("li[data-ticket='{}']", t.id), "138****5678").await;
        let cards = c.find_all(Locator::Css("li.card")).await.unwrap();
        assert_eq!(cards.len(), 2);
        assert!(!c.find(Locator::Id("login")).await.unwrap().is_displayed().await.unwrap(), "the login form is gone");
        if let Some(dir) = &shots {
            std::fs::write(format!("{dir}/phone-list.png"), c.screenshot().await.unwrap()).unwrap();
        }

        // 接单
        click_step(&c, t.id, "accept").await;
        wait_text(&c, "#notices", "接单").await;
        assert!(console_sees(&mut console, &mut snap, |s| s.ticket(t.id).unwrap().status == TicketStatus::Accepted));
        // 到场, with the phone's position
        click_step(&c, t.id, "arrive").await;
        wait_text(&c, "#notices", "到场").await;
        assert!(console_sees(&mut console, &mut snap, |s| s.ticket(t.id).unwrap().status == TicketStatus::OnSite
            && s.position_of(1).is_some_and(|p| (p.position[0] - 112.5004).abs() < 1e-9)));
        // 完工: temperature, what was done, a photo from the camera
        click_step(&c, t.id, "complete").await;
        c.wait().for_element(Locator::Css("#sheet[open]")).await.unwrap();
        assert!(!c.find(Locator::Id("reason-fields")).await.unwrap().is_displayed().await.unwrap());
        c.find(Locator::Id("celsius")).await.unwrap().send_keys("19.5").await.unwrap();
        c.find(Locator::Id("work-done")).await.unwrap().send_keys("排气阀放气，暖气恢复").await.unwrap();
        c.find(Locator::Id("photos"))
            .await
            .unwrap()
            .send_keys(&photo.display().to_string())
            .await
            .unwrap();
        wait_text(&c, "#photo-note", "已选 1 张").await;
        if let Some(dir) = &shots {
            std::fs::write(format!("{dir}/phone-complete.png"), c.screenshot().await.unwrap()).unwrap();
        }
        c.find(Locator::Id("sheet-ok")).await.unwrap().click().await.unwrap();
        wait_text(&c, "#notices", "完工").await;
        assert!(console_sees(&mut console, &mut snap, |s| s.ticket(t.id).unwrap().status == TicketStatus::Fixed
            && s.team(1).unwrap().status == TeamStatus::Free));

        // offline: the step waits on the phone, and goes when the phone is back; the desk put
        // the ticket on hold meanwhile, so it is refused and shown as overtaken
        c.execute(
            "window.__realFetch = window.fetch; window.fetch = () => Promise.reject(new TypeError('offline'));",
            vec![],
        )
        .await
        .unwrap();
        click_step(&c, other.id, "accept").await;
        wait_text(&c, &format!("li[data-ticket='{}'] .pending", other.id), "").await;
        std::thread::scope(|s| {
            s.spawn(|| {
                db.open()
                    .apply(
                        &Command::Act {
                            ticket: other.id,
                            seen_version: other.version,
                            action: Action::Hold { reason: "住户不在家".into() },
                        },
                        &Origin { actor: "调度员".into(), at: at(8, 25) },
                    )
                    .unwrap();
            });
        });
        c.execute("window.fetch = window.__realFetch; window.dispatchEvent(new Event('online'));", vec![])
            .await
            .unwrap();
        wait_text(&c, "#notices", "已被").await;
        if let Some(dir) = &shots {
            std::fs::write(format!("{dir}/phone-overtaken.png"), c.screenshot().await.unwrap()).unwrap();
        }
        // the English switch
        c.find(Locator::Id("lang")).await.unwrap().click().await.unwrap();
        wait_text(&c, "#who", "Team").await;
        wait_text(&c, "#title", "HeatDesk crews").await;
        wait_text(&c, &format!("li[data-ticket='{}'] .status", other.id), "On hold").await;
        c.close().await.unwrap();
    });

    // what the store holds: the technician in the trail, one shrunk photo, the reading
    let store = db.open();
    let history = store.history(t.id).unwrap();
    let steps: Vec<&str> = history
        .iter()
        .filter(|e| e.actor.contains("张师傅 (zhang)"))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(steps, ["accept", "arrive", "fix"]);
    assert!(far_arrival(&history).is_none(), "40 m is at the building");
    let photos = store.photos(t.id).unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].mime, "image/jpeg");
    assert!(photos[0].bytes.starts_with(&[0xFF, 0xD8]));
    assert!(
        photos[0].bytes.len() <= MAX_PHOTO_BYTES,
        "{}",
        photos[0].bytes.len()
    );
    let other_now = store.ticket(other.id).unwrap().unwrap();
    assert_eq!(
        other_now.status,
        TicketStatus::OnHold,
        "the overtaken step was not applied"
    );
}

/// Log in as zhang on the page at `url`.
async fn log_in(c: &Client, url: &str) {
    c.goto(url).await.unwrap();
    c.wait()
        .for_element(Locator::Id("login-name"))
        .await
        .unwrap()
        .send_keys("zhang")
        .await
        .unwrap();
    c.find(Locator::Id("login-password"))
        .await
        .unwrap()
        .send_keys("secret-1")
        .await
        .unwrap();
    c.find(Locator::Id("login-go"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "#who", "城西维修一班").await;
}

async fn secure(c: &Client) -> bool {
    c.execute("return window.isSecureContext", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

#[test]
fn over_plain_http_the_page_says_why_there_is_no_position_and_https_gives_a_secure_page() {
    // phones give their position only to a secure page: over http://heatdesk.lan the page
    // says so (位置不可用 and why) instead of staying silent; over https:// with the room's
    // certificate (`heatdesk cert`) the page is secure and the browser is asked for it
    if !browser_here() {
        return;
    }
    let (db, t, _) = setup(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let today = chrono::Local::now().date_naive();
    let made =
        serve::tls::make(&dir.path().join("certs"), &["heatdesk.lan".into()], today).unwrap();
    // the browser trusts the server's key, as a phone that installed ca.pem trusts its chain
    let key = rcgen::KeyPair::from_pem(&std::fs::read_to_string(&made.key).unwrap()).unwrap();
    let spki = {
        use base64::Engine;
        use sha2::Digest;
        let b64 = base64::engine::general_purpose::STANDARD;
        // the PEM "PUBLIC KEY" is the SubjectPublicKeyInfo chromium hashes
        let body: String = key
            .public_key_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        b64.encode(sha2::Sha256::digest(b64.decode(body).unwrap()))
    };
    let (plain, _server) = serve::spawn_local(db.open(), Arc::new(|| at(8, 30))).unwrap();
    let https = HttpsServer::start(&db.arg(), &made.cert, &made.key);
    let port = https.port;
    let driver = chromedriver();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let c = browser_with(
            &driver,
            &[
                "--host-resolver-rules=MAP heatdesk.lan 127.0.0.1".into(),
                format!("--ignore-certificate-errors-spki-list={spki}"),
            ],
        )
        .await;
        // plain HTTP on a LAN name: not secure; the page says why at once, and 到场 is held
        log_in(&c, &format!("http://heatdesk.lan:{}/", plain.port())).await;
        assert!(!secure(&c).await);
        wait_text(&c, "#notices", "位置不可用").await;
        wait_text(&c, "#notices", "https://").await;
        if let Ok(dir) = std::env::var("HEATDESK_SHOTS") {
            std::fs::write(
                format!("{dir}/phone-no-position.png"),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
        }
        click_step(&c, t.id, "accept").await;
        wait_text(&c, "#notices", "已接单").await;
        click_step(&c, t.id, "arrive").await;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(1) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let notices = c
            .find(Locator::Id("notices"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!notices.contains("已到场"), "{notices}");

        // HTTPS with the room's certificate: a secure page; the phone is asked for its
        // position (headless chromium has no permission to give: said so, not the https hint)
        c.execute("localStorage.clear()", vec![]).await.unwrap();
        log_in(&c, &format!("https://heatdesk.lan:{port}/")).await;
        assert!(
            secure(&c).await,
            "https with the room's certificate is a secure page"
        );
        wait_text(&c, "#notices", "位置不可用").await;
        let notices = c
            .find(Locator::Id("notices"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!notices.contains("https://"), "{notices}");
        c.close().await.unwrap();
    });
}
