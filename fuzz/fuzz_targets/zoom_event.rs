//! Fuzzes the Zoom event readers on any body: the lenient head (event name, challenge token,
//! identity fields), the delivery identity, and the typed parse. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meetflow_shared::events::identity::Identity;
use meetflow_shared::events::zoom;

fuzz_target!(|body: &[u8]| {
    if let Ok(head) = zoom::head(body) {
        let id = Identity::zoom(&head, body).job_id();
        assert!(id.len() < 128, "a job id grew with the input");
    }
    let _ = zoom::parse(body);
});
