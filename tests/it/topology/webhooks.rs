//! A real ingest server on a topology's `redis.url` and a provider POSTing new bookings to it
//! without pause, recording when each delivery was sent and answered: the failover tests read
//! which acknowledged deliveries Redis still has after the master died.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meetflow_ingest::{Application, IngestConfig};
use meetflow_shared::events::{calendly, identity::Identity};
use meetflow_shared::queue::QueueClient;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::support::ingest::{CALENDLY_KEY, settings_for_url};
use crate::support::worker::{created, eventually, in_two_days, new_invitee};

/// One delivery answered 200: its job id, when it was sent and when the 200 came.
#[derive(Debug, Clone)]
pub(super) struct Ack {
    pub(super) id: String,
    pub(super) sent: Instant,
    pub(super) answered: Instant,
}

/// What the provider saw.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) acked: Vec<Ack>,
    /// Answered 503 or not answered (the provider re-sends those).
    pub(super) refused: usize,
}

/// An ingest on `url` in namespace `ns` and `senders` concurrent providers.
pub(super) struct Traffic {
    tally: Arc<Mutex<Tally>>,
    sending: CancellationToken,
    senders: Vec<JoinHandle<()>>,
    stop: CancellationToken,
    ingest: JoinHandle<()>,
}

impl Traffic {
    /// Starts ingest (with `redis.wait_replicas: wait_replicas`) and the senders.
    pub(super) async fn start(url: &str, ns: &str, wait_replicas: u32, senders: usize) -> Self {
        let settings = settings_for_url(url, ns, "");
        let mut config = IngestConfig::from_settings(&settings);
        config.wait_replicas = wait_replicas;
        let app = Application::build_with(config).await.unwrap();
        let hook = format!("http://{}/webhooks/calendly", app.local_addr());
        let stop = CancellationToken::new();
        let signal = stop.clone();
        let ingest = tokio::spawn(async move {
            app.run_until_stopped(signal.cancelled_owned()).await;
        });
        let tally = Arc::new(Mutex::new(Tally::default()));
        let sending = CancellationToken::new();
        let senders = (0..senders)
            .map(|_| tokio::spawn(send(hook.clone(), tally.clone(), sending.clone())))
            .collect();
        Self {
            tally,
            sending,
            senders,
            stop,
            ingest,
        }
    }

    /// How many deliveries were answered 200 so far.
    pub(super) fn acked(&self) -> usize {
        self.tally.lock().unwrap().acked.len()
    }

    /// Waits (at most `within`) until `n` deliveries were answered 200.
    pub(super) async fn wait_acked(&self, n: usize, within: Duration) -> bool {
        eventually(within, || async { self.acked() >= n }).await
    }

    /// Stops the senders and ingest; the tally.
    pub(super) async fn finish(self) -> Tally {
        self.sending.cancel();
        for s in self.senders {
            s.await.unwrap();
        }
        self.stop.cancel();
        self.ingest.await.unwrap();
        std::mem::take(&mut *self.tally.lock().unwrap())
    }
}

/// The acknowledged deliveries whose job Redis (at `url`, namespace `ns`) does not have.
pub(super) async fn missing(url: &str, ns: &str, acked: &[Ack]) -> Vec<Ack> {
    let client = QueueClient::connect(url, ns).await.unwrap();
    let mut out = Vec::new();
    for a in acked {
        if client.job(&a.id).await.unwrap().is_none() {
            out.push(a.clone());
        }
    }
    out
}

async fn send(hook: String, tally: Arc<Mutex<Tally>>, sending: CancellationToken) {
    while !sending.is_cancelled() {
        let (uri, _) = new_invitee();
        let body = created(&uri, in_two_days());
        let id = {
            let head = calendly::head(body.as_bytes()).unwrap();
            Identity::calendly(&head, body.as_bytes()).job_id()
        };
        let sent = Instant::now();
        let reply =
            meetflow_tests::webhook::send_calendly(&hook, CALENDLY_KEY, body.as_bytes()).await;
        let answered = Instant::now();
        {
            let mut t = tally.lock().unwrap();
            match reply {
                Ok(r) if r.status == 200 => t.acked.push(Ack { id, sent, answered }),
                Ok(r) => {
                    assert_eq!(r.status, 503, "{}", r.body);
                    t.refused += 1;
                }
                Err(_) => t.refused += 1,
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
