//! Fuzzes `Calendly-Webhook-Signature` handling: the header parser on any text, and the verifier
//! on any header bytes and body (input: header, a newline, then the body). Must never panic,
//! and a header longer than the parser's limit must never be accepted.
#![no_main]

use std::time::Duration;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use meetflow_ingest::signature::{CalendlyHeader, CalendlyVerifier};

const NOW: i64 = 1_767_225_600;

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(text) = std::str::from_utf8(header)
        && let Ok(parsed) = CalendlyHeader::parse(text)
    {
        assert!(text.len() <= 1024 && !parsed.tags.is_empty() && parsed.tags.len() <= 8);
    }
    let verifier = CalendlyVerifier::new(Some("fuzz-key"), Duration::from_secs(180), false);
    let _ = verifier.verify(Some(header), Bytes::copy_from_slice(body), NOW);
});
