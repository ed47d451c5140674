//! The Redis keys of bookings and reminders: a typed view of the bookings methods of
//! [`crate::queue::keys::Keys`] (where they are documented with every other key).
//!
//! Data flow: [`super::Bookings::booked`] writes the booking hash and adds each reminder id to
//! `reminders:due`. A scheduler's `claim_due` moves due ids to `reminders:claimed` (scored by
//! lease expiry), enqueues the SMS job, and `settle` removes the id from `claimed` and marks the
//! record in the booking hash `enqueued` (or `dropped`). Cancellation removes ids from both ZSETs
//! and marks the records `canceled`. Scripts build `bk:<booking>` keys from
//! [`BookingKeys::booking_prefix`]; with the shared hash tag they live in the declared keys' slot.

use crate::queue::keys::Keys;

use super::BookingKey;

/// Key names of the bookings module. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BookingKeys {
    keys: Keys,
}

impl BookingKeys {
    /// Keys under the same namespace as `keys`.
    pub fn new(keys: Keys) -> Self {
        Self { keys }
    }

    /// HASH of one booking ([`Keys::booking`]).
    pub fn booking(&self, key: &BookingKey) -> String {
        self.keys.booking(key.as_str())
    }

    /// Prefix of booking hashes, for scripts ([`Keys::booking_prefix`]).
    pub fn booking_prefix(&self) -> String {
        self.keys.booking_prefix()
    }

    /// SET of the bookings of a person ([`Keys::person_bookings`]).
    pub fn person(&self, tag: &str) -> String {
        self.keys.person_bookings(tag)
    }

    /// ZSET of planned reminders by due time ([`Keys::reminders_due`]).
    pub fn due(&self) -> String {
        self.keys.reminders_due()
    }

    /// ZSET of claimed reminders by lease expiry ([`Keys::reminders_claimed`]).
    pub fn claimed(&self) -> String {
        self.keys.reminders_claimed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_namespace_hash_tag() {
        let k = BookingKeys::new(Keys::new("mf"));
        let b = BookingKey::from_invitee_uri("https://x/invitees/abc");
        assert_eq!(k.booking(&b), "{mf}:bk:abc");
        assert!(k.booking(&b).starts_with(&k.booking_prefix()));
        assert_eq!(k.due(), "{mf}:reminders:due");
        assert_eq!(k.claimed(), "{mf}:reminders:claimed");
    }
}
