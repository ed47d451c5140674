//! A unique identity for this process (host, pid, start time, random suffix), used as the owner of
//! its leases: replicas on one host and a quick restart with the same pid never collide.

use std::sync::OnceLock;

/// This process's identity, e.g. `worker-7f9c-1234-1732300000000-a1b2`.
pub fn process_identity() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let suffix: u16 = rand::random();
        format!(
            "{}-{}-{}-{suffix:04x}",
            host_name(),
            std::process::id(),
            started_ms()
        )
    })
}

/// This host's name (`host` when it cannot be read), as in the identity and the process list.
pub(crate) fn host_name() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "host".to_owned())
    })
}

/// When this process first asked for its identity (unix ms, host clock): its start, near enough.
pub(crate) fn started_ms() -> i64 {
    static STARTED: OnceLock<i64> = OnceLock::new();
    *STARTED.get_or_init(super::time::now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_names_host_and_pid_and_is_stable_within_a_process() {
        let id = process_identity();
        assert!(id.contains(&format!("-{}-", std::process::id())), "{id}");
        assert_eq!(id, process_identity());
        assert!(id.len() > 10);
    }
}
