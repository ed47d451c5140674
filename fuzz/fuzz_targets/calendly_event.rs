//! Fuzzes the Calendly event readers on any body: the lenient head ingest reads, the delivery
//! identity (the job id), and the typed parse the worker does. Must never panic; libFuzzer's
//! `-malloc_limit_mb` (scripts/fuzz.sh) catches allocations out of proportion to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meetflow_shared::events::calendly;
use meetflow_shared::events::identity::Identity;

fuzz_target!(|body: &[u8]| {
    if let Ok(head) = calendly::head(body) {
        let id = Identity::calendly(&head, body).job_id();
        assert!(id.len() < 128, "a job id grew with the input");
    }
    if let Ok(delivery) = calendly::parse(body) {
        let _ = delivery.event.invitee();
    }
});
