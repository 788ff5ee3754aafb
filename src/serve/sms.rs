//! The sender: messages waiting in the outbox go to the company's SMS gateway — an HTTP URL
//! template from the environment — and what it answered is recorded: sent, or tried again
//! later (1, 2, 4, 8, 16 minutes) and given up on after the sixth try. Numbers never reach the
//! log; a message is named by its id.
//!
//!   HEATDESK_SMS_URL   e.g. `https://sms.example.com/send?to={phone}&text={text}&key={key}`
//!                      ({phone}, {text}, {key} are filled in, URL-encoded); POSTed
//!   HEATDESK_SMS_KEY   the gateway's key (also sent as `Authorization: Bearer …`)

use std::time::Duration;

use super::Clock;
use crate::domain::crew::{MAX_ATTEMPTS, Message, MessageStatus, backoff_minutes};
use crate::store::DispatchStore;

/// The gateway the messages go through.
#[derive(Clone)]
pub struct Gateway {
    pub url: String,
    pub key: String,
}

impl Gateway {
    /// The gateway configured in the environment, if any (a template without `{phone}` is
    /// refused at start).
    pub fn from_env() -> anyhow::Result<Option<Gateway>> {
        let Ok(url) = std::env::var("HEATDESK_SMS_URL") else {
            return Ok(None);
        };
        let key = std::env::var("HEATDESK_SMS_KEY").unwrap_or_default();
        Gateway::new(url, key).map(Some)
    }

    pub fn new(url: String, key: String) -> anyhow::Result<Gateway> {
        if !url.contains("{phone}") || !(url.starts_with("http://") || url.starts_with("https://"))
        {
            anyhow::bail!(
                "HEATDESK_SMS_URL must be an http(s) URL with {{phone}} (and {{text}}) in it"
            );
        }
        Ok(Gateway { url, key })
    }

    /// The gateway as it may be shown (no key, no query).
    pub fn shown(&self) -> String {
        self.url.split('?').next().unwrap_or_default().to_string()
    }

    fn request_url(&self, m: &Message) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        self.url
            .replace("{phone}", &enc(&m.phone))
            .replace("{text}", &enc(&m.body))
            .replace("{key}", &enc(&self.key))
    }
}

/// Send one message; what became of it.
pub async fn send(
    client: &reqwest::Client,
    gateway: &Gateway,
    mut m: Message,
    now: crate::domain::Timestamp,
) -> Message {
    super::https();
    let mut request = client
        .post(gateway.request_url(&m))
        .form(&[("phone", m.phone.as_str()), ("text", m.body.as_str())])
        .timeout(Duration::from_secs(10));
    if !gateway.key.is_empty() {
        request = request.bearer_auth(&gateway.key);
    }
    m.attempts += 1;
    let answer = match request.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("gateway answered {}", r.status())),
        // the error names the URL, with the number in it: only its kind is kept
        Err(e) if e.is_timeout() => Err("gateway did not answer in 10 s".into()),
        Err(e) if e.is_connect() => Err("cannot reach the gateway".into()),
        Err(_) => Err("the request to the gateway failed".into()),
    };
    match answer {
        Ok(()) => {
            m.status = MessageStatus::Sent;
            m.sent_at = Some(now);
            m.error.clear();
        }
        Err(e) => {
            m.error = e;
            if m.attempts >= MAX_ATTEMPTS {
                m.status = MessageStatus::Failed;
            } else {
                m.next_at = now + chrono::Duration::minutes(backoff_minutes(m.attempts));
            }
        }
    }
    m
}

/// The sender's store, shared with the blocking threads its work runs on.
pub type Outbox = std::sync::Arc<std::sync::Mutex<Box<dyn DispatchStore>>>;

/// Store work off the async threads (the PostgreSQL client may not block inside tokio).
async fn on_store<T: Send + 'static>(
    store: &Outbox,
    work: impl FnOnce(&mut dyn DispatchStore) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, crate::store::StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        work(&mut **store.lock().unwrap_or_else(|e| e.into_inner()))
    })
    .await
    .unwrap_or_else(|e| {
        Err(crate::store::StoreError::Invalid(format!(
            "the sender's work failed: {e}"
        )))
    })
}

/// Send the messages due at `now` (up to 50) and record what became of each; how many were
/// sent.
pub async fn deliver_due(
    store: &Outbox,
    client: &reqwest::Client,
    gateway: &Gateway,
    now: crate::domain::Timestamp,
) -> Result<usize, crate::store::StoreError> {
    let due = on_store(store, move |s| s.due_messages(now, 50)).await?;
    let mut sent = 0;
    for m in due {
        let id = m.id;
        let tried = send(client, gateway, m, now).await;
        tracing::info!(message = id, status = tried.status.code(), attempts = tried.attempts, error = %tried.error, "message to a resident");
        sent += usize::from(tried.status == MessageStatus::Sent);
        on_store(store, move |s| s.message_tried(&tried)).await?;
    }
    Ok(sent)
}

/// Deliver what is due, every two seconds, until the process ends.
pub async fn run(store: Box<dyn DispatchStore>, gateway: Gateway, clock: Clock) {
    let store: Outbox = std::sync::Arc::new(std::sync::Mutex::new(store));
    let client = reqwest::Client::new();
    loop {
        if let Err(e) = deliver_due(&store, &client, &gateway, clock()).await {
            tracing::error!(error = %e, "cannot deliver messages to residents");
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
