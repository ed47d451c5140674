//! Ids for jobs and logged deliveries: ULIDs that sort in the order this process made them.
//!
//! `Ulid::new()` fills the bits after the millisecond with fresh randomness, so two ids made in
//! the same millisecond sort at random, and a page that lists "newest first" by id showed them
//! swapped. One process-wide [`ulid::Generator`] increments the random part within a millisecond
//! instead. Ids from different processes in one millisecond still have no order between them;
//! nothing can know theirs.

use std::sync::Mutex;

use ulid::{Generator, Ulid};

static GENERATOR: Mutex<Generator> = Mutex::new(Generator::new());

/// A fresh ULID, greater than every id this process made before it.
pub fn next_ulid() -> String {
    let mut generator = GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // The generator refuses only when 2^80 ids were made in one millisecond.
    generator
        .generate()
        .unwrap_or_else(|_| Ulid::new())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::next_ulid;

    #[test]
    fn ids_made_back_to_back_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..5_000).map(|_| next_ulid()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn ids_from_many_threads_are_all_distinct() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..1_000).map(|_| next_ulid()).collect::<Vec<_>>()))
            .collect();
        let mut all: Vec<String> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 4_000);
    }
}
