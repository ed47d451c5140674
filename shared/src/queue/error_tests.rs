//! [`QueueError::is_retryable`] against what Redis answers while it loads its dataset after a
//! restart, or while a Cluster's slot moves to a promoted replica, from a minimal RESP server:
//! every command queued in a `MULTI` gets the error (`-LOADING`, `-MOVED`), and `EXEC` gets
//! `-EXECABORT`. The client reports that as an aborted transaction, which must be retryable like
//! the plain error (before, each was an `internal` dead letter: a booking event lost to a Redis
//! restart in the long chaos run, and two to a Cluster failover in the Cluster chaos run, whose
//! `MULTI`/`EXEC` the cluster client sent to the slot's old owner).
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

/// A server that answers `error` (a RESP error line) to `GET` and to every command inside a
/// transaction; `+OK` otherwise.
async fn failing_server(error: &'static [u8]) -> std::net::SocketAddr {
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
                        (_, true) | ("GET", false) => error,
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
    aborted_transaction_is_retryable(b"-LOADING Redis is loading the dataset in memory\r\n").await;
}

#[tokio::test]
async fn a_transaction_aborted_because_the_slot_moved_is_retryable() {
    aborted_transaction_is_retryable(b"-MOVED 4772 127.0.0.1:34923\r\n").await;
}

/// `error` alone, and a transaction aborted by it, are retryable.
async fn aborted_transaction_is_retryable(error: &'static [u8]) {
    let addr = failing_server(error).await;
    let client = redis::Client::open(format!("redis://{addr}")).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();

    let plain = redis::cmd("GET")
        .arg("k")
        .query_async::<Option<String>>(&mut conn)
        .await
        .unwrap_err();
    assert!(
        QueueError::Redis(plain.clone()).is_retryable(),
        "a plain error: {plain}"
    );

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
        "a transaction aborted by it: {aborted}"
    );
}
