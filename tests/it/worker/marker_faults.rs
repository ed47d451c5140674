//! Worker: the SMS marker when Redis answers badly. A claim whose reply is lost is read back (the
//! SMS is then sent once, not dead-lettered as "possibly sent"), and a release after a definite
//! refusal that Redis does not take is asked again, so the retry sends. The worker talks to
//! Redis through a small TCP proxy that cuts the connection at the chosen command.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::worker::{JORDAN_PHONE, created, env, in_two_days, new_invitee};

/// What the proxy does to the next command carrying the needle.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Let it run, then cut the connection before its reply (a lost reply).
    LoseReply,
    /// Cut the connection without passing it on (Redis never sees it).
    Refuse,
}

/// A TCP proxy to Redis with a queue of faults, each applied to the next client write that
/// contains `needle` and none of `exclude` (a command that Redis answers with an error, e.g.
/// `NOSCRIPT`, is let through and does not count).
struct FaultProxy {
    url: String,
    faults: Arc<Mutex<Vec<Fault>>>,
}

impl FaultProxy {
    async fn start(
        redis_port: u16,
        needle: &'static [u8],
        exclude: &'static [&'static [u8]],
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let faults: Arc<Mutex<Vec<Fault>>> = Arc::default();
        let shared = faults.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let faults = shared.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(("127.0.0.1", redis_port)).await {
                        pump(client, server, (needle, exclude), faults).await;
                    }
                });
            }
        });
        Self { url, faults }
    }

    fn push(&self, f: Fault) {
        self.faults.lock().unwrap().push(f);
    }

    fn pending(&self) -> usize {
        self.faults.lock().unwrap().len()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

async fn pump(
    mut client: TcpStream,
    mut server: TcpStream,
    (needle, exclude): (&'static [u8], &'static [&'static [u8]]),
    faults: Arc<Mutex<Vec<Fault>>>,
) {
    let mut up = vec![0u8; 64 * 1024];
    let mut down = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            n = client.read(&mut up) => {
                let Ok(n) = n else { return };
                if n == 0 { return; }
                let chunk = &up[..n];
                let fault = if contains(chunk, needle) && !exclude.iter().any(|x| contains(chunk, x)) {
                    faults.lock().unwrap().first().copied()
                } else {
                    None
                };
                match fault {
                    None => {
                        if server.write_all(chunk).await.is_err() { return; }
                    }
                    Some(Fault::Refuse) => {
                        faults.lock().unwrap().remove(0);
                        return;
                    }
                    Some(Fault::LoseReply) => {
                        if server.write_all(chunk).await.is_err() { return; }
                        // Read what Redis answers; an error reply (NOSCRIPT) does not count.
                        let mut reply = Vec::new();
                        let _ = tokio::time::timeout(Duration::from_millis(200), async {
                            let n = server.read(&mut down).await.unwrap_or(0);
                            reply.extend_from_slice(&down[..n]);
                        }).await;
                        if reply.first() == Some(&b'-') {
                            if client.write_all(&reply).await.is_err() { return; }
                            continue;
                        }
                        faults.lock().unwrap().remove(0);
                        return;
                    }
                }
            }
            n = server.read(&mut down) => {
                let Ok(n) = n else { return };
                if n == 0 { return; }
                if client.write_all(&down[..n]).await.is_err() { return; }
            }
        }
    }
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_marker_claim_whose_reply_is_lost_is_read_back_and_the_sms_sent_once() {
    let mut env = env().await;
    let proxy = FaultProxy::start(port_of(&env.settings.redis.url), b"sending:", &[]).await;
    proxy.push(Fault::LoseReply);
    env.settings.redis.url = proxy.url.clone();
    let worker = env.start();
    let (uri, key) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    assert_eq!(proxy.pending(), 0, "the claim's reply was lost");
    assert!(env.dead(SMS).await.is_empty(), "{:?}", env.dead(SMS).await);
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert_eq!(env.get(&marker).await.as_deref(), Some("sent"));
    worker.stop().await;
}

#[tokio::test]
async fn a_refused_sms_whose_release_fails_once_is_not_left_possibly_sent() {
    let mut env = env().await;
    // The claim (`SET ... NX`, or the claim script naming the booking hash `bk:`) goes through;
    // the release after EngageLab's definite 1000 never reaches Redis.
    let proxy = FaultProxy::start(
        port_of(&env.settings.redis.url),
        b"sending:",
        &[b"NX", b"bk:"],
    )
    .await;
    proxy.push(Fault::Refuse);
    env.engagelab.fail_next_internal(1);
    env.settings.redis.url = proxy.url.clone();
    let worker = env.start();
    let (uri, key) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    assert_eq!(proxy.pending(), 0, "the release was refused once");
    assert!(env.dead(SMS).await.is_empty(), "{:?}", env.dead(SMS).await);
    assert_eq!(env.engagelab.requests().len(), 2, "refused, then retried");
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert_eq!(env.get(&marker).await.as_deref(), Some("sent"));
    worker.stop().await;
}
