//! Helpers of the security suite: a raw TCP client for requests reqwest refuses to send (CR in a
//! header, folded lines, duplicated headers, dribbled bytes), and a reader of everything a Redis
//! holds, to prove an attack left nothing behind and no key carries a body.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use meetflow_tests::redis::TestRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the server did with a raw request.
#[derive(Debug)]
pub(crate) struct RawAnswer {
    /// Status code of the first response (`None` when the connection closed without one).
    pub(crate) status: Option<u16>,
    /// Everything read until the server closed or went quiet.
    pub(crate) text: String,
    /// Time from the first byte sent to the end of reading.
    pub(crate) took: Duration,
}

/// Sends `request` as is and reads until the server closes the connection or `quiet` passes
/// without a byte (bounded by 20 s in all).
pub(crate) async fn raw(addr: SocketAddr, request: &[u8], quiet: Duration) -> RawAnswer {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may answer (413/431) and close before it has read everything: ignore EPIPE.
    let _ = stream.write_all(request).await;
    read_answer(&mut stream, quiet, started).await
}

/// Reads what the server sends until it closes, `quiet` passes without a byte, or 20 s.
pub(crate) async fn read_answer(
    stream: &mut TcpStream,
    quiet: Duration,
    started: Instant,
) -> RawAnswer {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while started.elapsed() < Duration::from_secs(20) {
        match tokio::time::timeout(quiet, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    RawAnswer {
        status: status_of(&text),
        text,
        took: started.elapsed(),
    }
}

fn status_of(text: &str) -> Option<u16> {
    let line = text.lines().next()?;
    line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A request head plus body: `headers` are written verbatim, each followed by CRLF.
pub(crate) fn request(path: &str, headers: &[String], body: &[u8]) -> Vec<u8> {
    let mut out = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Every key name in the server.
pub(crate) async fn all_keys(redis: &TestRedis) -> BTreeSet<String> {
    let mut conn = redis.conn().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.into_iter().collect()
}

/// Every key and everything stored under it, as text (strings, hashes, lists, sets, sorted sets
/// with scores, streams).
pub(crate) async fn dump(redis: &TestRedis) -> Vec<(String, String)> {
    let mut conn = redis.conn().await.unwrap();
    let mut out = Vec::new();
    for key in all_keys(redis).await {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let (cmd, args): (&str, &[&str]) = match kind.as_str() {
            "string" => ("GET", &[]),
            "hash" => ("HGETALL", &[]),
            "list" => ("LRANGE", &["0", "-1"]),
            "set" => ("SMEMBERS", &[]),
            "zset" => ("ZRANGE", &["0", "-1", "WITHSCORES"]),
            "stream" => ("XRANGE", &["-", "+"]),
            _ => continue,
        };
        let value: redis::Value = redis::cmd(cmd)
            .arg(&key)
            .arg(args)
            .query_async(&mut conn)
            .await
            .unwrap();
        out.push((key, flatten(&value)));
    }
    out
}

fn flatten(value: &redis::Value) -> String {
    match value {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        redis::Value::Int(i) => i.to_string(),
        redis::Value::Array(items) | redis::Value::Set(items) => {
            items.iter().map(flatten).collect::<Vec<_>>().join("\n")
        }
        redis::Value::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| format!("{}={}", flatten(k), flatten(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{other:?}"),
    }
}

/// Keys whose name or stored value contains `needle`.
pub(crate) async fn keys_holding(redis: &TestRedis, needle: &str) -> Vec<String> {
    dump(redis)
        .await
        .into_iter()
        .filter(|(k, v)| k.contains(needle) || v.contains(needle))
        .map(|(k, _)| k)
        .collect()
}

/// Panics when a key *name* carries any of `fragments` (bodies live in values, hashed into ids).
pub(crate) async fn assert_no_key_name_holds(redis: &TestRedis, fragments: &[&str]) {
    for key in all_keys(redis).await {
        for f in fragments {
            assert!(!key.contains(f), "key {key:?} carries body content {f:?}");
        }
    }
}

/// A body with a unique marker, so the marker can be searched for in Redis afterwards.
pub(crate) fn marked_body(marker: &str) -> Vec<u8> {
    meetflow_tests::fixtures::CALENDLY_INVITEE_CREATED
        .replacen(
            "\"created_at\"",
            &format!("\"x_marker\":\"{marker}\",\"created_at\""),
            1,
        )
        .into_bytes()
}
