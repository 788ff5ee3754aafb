//! Hearing of other consoles' commits: a connection of its own LISTENs on the change channel,
//! and each notice raises a flag the next catch-up reads (and wakes the screen).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::url::ServerUrl;
use crate::store::{StoreError, Waker};

pub struct Listener {
    alive: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Listener {
    /// LISTEN on a new connection to `url`; `news` is raised and `wake` called at each notice.
    pub fn start(url: &ServerUrl, news: Arc<AtomicBool>, wake: Waker) -> Result<Self, StoreError> {
        let mut url = url.clone();
        let mut client = super::connect(&mut url)?;
        client.batch_execute(&format!("LISTEN {}", super::tx::CHANNEL))?;
        let alive = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let (alive_t, stop_t) = (alive.clone(), stop.clone());
        std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || {
                let lost = |news: &AtomicBool| {
                    alive_t.store(false, Ordering::SeqCst);
                    // the next catch-up looks, and finds the server away or back
                    news.store(true, Ordering::SeqCst);
                    wake();
                };
                while !stop_t.load(Ordering::SeqCst) {
                    let mut failed = false;
                    {
                        let mut notices = client.notifications();
                        let mut iter = notices.timeout_iter(Duration::from_millis(500));
                        loop {
                            match postgres::fallible_iterator::FallibleIterator::next(&mut iter) {
                                // raised at once; a burst of notices is one catch-up, which
                                // reads every change since the last
                                Ok(Some(_)) => {
                                    news.store(true, Ordering::SeqCst);
                                    wake();
                                }
                                Ok(None) => break,
                                Err(_) => {
                                    failed = true;
                                    break;
                                }
                            }
                        }
                    }
                    if failed || client.is_closed() {
                        lost(&news);
                        return;
                    }
                }
            })
            .map_err(|e| StoreError::Invalid(format!("cannot start listening: {e}")))?;
        Ok(Listener { alive, stop })
    }

    /// Still listening (the connection held).
    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
