//! [`QueueError::is_retryable`] against what Redis answers while it loads its dataset after a
//! restart, from a minimal RESP server that answers like a loading Redis: every command queued in
//! a `MULTI` gets `-LOADING`, and `EXEC` gets `-EXECABORT`. The client reports that as an aborted
//! transaction, which must be retryable like a plain `LOADING` (before, it was an `internal`
//! dead letter: a booking event lost to a Redis restart in the long chaos run).
#![allow(clippy::unwrap_used)]

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::QueueError;

/// Reads one RESP command (an array of bulk strings); `None` at the end of the stream.
async fn command<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> Option<Vec<String>> {
    let mut line = String::new();
    if r.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let n: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::with_capacity(n);
    for _ in 0..n {
        line.clear();
        r.read_line(&mut line).await.ok()?;
        line.clear();
        r.read_line(&mut line).await.ok()?;
        args.push(line.trim_end().to_owned());
    }
    Some(args)
}

/// A server that answers like Redis loading its dataset, inside transactions; `+OK` otherwise.
async fn loading_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = sock.into_split();
                let mut read = BufReader::new(read);
                let mut in_multi = false;
                while let Some(args) = command(&mut read).await {
                    let name = args.first().map(|a| a.to_uppercase()).unwrap_or_default();
                    let reply: &[u8] = match (name.as_str(), in_multi) {
                        ("MULTI", _) => {
                            in_multi = true;
                            b"+OK\r\n"
                        }
                        ("EXEC", _) => {
                            in_multi = false;
                            b"-EXECABORT Transaction discarded because of previous errors.\r\n"
                        }
                        (_, true) | ("GET", false) => {
                            b"-LOADING Redis is loading the dataset in memory\r\n"
                        }
                        _ => b"+OK\r\n",
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_transaction_aborted_while_redis_loads_is_retryable() {
    let addr = loading_server().await;
    let client = redis::Client::open(format!("redis://{addr}")).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();

    let plain = redis::cmd("GET")
        .arg("k")
        .query_async::<Option<String>>(&mut conn)
        .await
        .unwrap_err();
    assert!(QueueError::Redis(plain).is_retryable(), "a plain LOADING");

    let aborted = redis::pipe()
        .atomic()
        .set("k", "v")
        .ignore()
        .incr("n", 1)
        .ignore()
        .query_async::<()>(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(
        aborted.kind(),
        redis::ErrorKind::Server(redis::ServerErrorKind::ExecAbort),
        "{aborted}"
    );
    assert!(
        QueueError::Redis(aborted.clone()).is_retryable(),
        "a transaction aborted by LOADING: {aborted}"
    );
}
