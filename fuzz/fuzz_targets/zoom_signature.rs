//! Fuzzes Zoom's `x-zm-signature` + `x-zm-request-timestamp` handling (input: signature, a
//! newline, timestamp, a newline, body). Must never panic.
#![no_main]

use std::time::Duration;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use meetflow_ingest::signature::{ZoomHeaders, ZoomVerifier};

const NOW: i64 = 1_767_225_600;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let signature = parts.next().unwrap_or_default();
    let timestamp = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let _ = ZoomHeaders::parse(Some(signature), Some(timestamp));
    let verifier = ZoomVerifier::new(Some("fuzz-secret"), Duration::from_secs(180));
    if let Ok(verified) = verifier.verify(
        Some(signature),
        Some(timestamp),
        Bytes::copy_from_slice(body),
        NOW,
    ) {
        let _ = verifier.challenge(&verified, "token");
    }
});
