//! Retry delays: exponential with full jitter, or the provider's own hint.

use std::time::Duration;

use rand::Rng;

/// The delay before retry number `attempt` (1 = the first retry): a uniform random value in
/// `[0, min(cap, base * 2^(attempt-1))]` ("full jitter"), so replicas that failed together do not
/// retry together.
pub fn full_jitter(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let ceiling = exponential_ceiling(attempt, base, cap);
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=ms))
}

/// The upper bound of [`full_jitter`] for `attempt`.
pub fn exponential_ceiling(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
    base.saturating_mul(factor).min(cap)
}

/// Longest provider hint we honour; anything longer is a provider bug we do not want to wait out.
pub(crate) const MAX_HINT: Duration = Duration::from_secs(24 * 3600);

/// The delay for a provider's hint (Retry-After, x-sib-ratelimit-reset): the hint plus up to 10 %
/// jitter. The hint is honoured even beyond the exponential cap (the provider knows when it will
/// take the request again), up to `cap`, which callers set to [`MAX_HINT`].
pub(crate) fn hinted(after: Duration, cap: Duration) -> Duration {
    let extra = u64::try_from(after.as_millis() / 10).unwrap_or(0);
    let jitter = Duration::from_millis(rand::rng().random_range(0..=extra));
    (after + jitter).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        let base = Duration::from_secs(2);
        let cap = Duration::from_secs(60);
        let got: Vec<u64> = (1..=7)
            .map(|a| exponential_ceiling(a, base, cap).as_secs())
            .collect();
        assert_eq!(got, vec![2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(exponential_ceiling(u32::MAX, base, cap), cap);
    }

    #[test]
    fn jitter_stays_within_the_ceiling() {
        for attempt in 1..20 {
            let d = full_jitter(attempt, Duration::from_millis(100), Duration::from_secs(5));
            assert!(
                d <= exponential_ceiling(
                    attempt,
                    Duration::from_millis(100),
                    Duration::from_secs(5)
                )
            );
        }
    }

    #[test]
    fn hints_are_honoured_not_shortened() {
        let d = hinted(Duration::from_secs(10), Duration::from_secs(3600));
        assert!(d >= Duration::from_secs(10) && d <= Duration::from_secs(11));
        assert_eq!(
            hinted(Duration::from_secs(7200), Duration::from_secs(3600)),
            Duration::from_secs(3600)
        );
    }
}
