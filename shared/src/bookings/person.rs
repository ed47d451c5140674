//! The bookings of one person (by e-mail), read through the person index
//! ([`crate::redis::Keys::person_bookings`]): what the attendance-based no-show check uses to go
//! from the e-mails booked on a Zoom meeting to their bookings.

use redis::AsyncCommands;

use super::store::person_tag;
use super::{Booking, BookingError, BookingKey, Bookings};

impl Bookings {
    /// Every stored booking (any status) of the person with `email` (case-insensitive), in key
    /// order; members whose hash has expired are left out.
    pub async fn of_person(&self, email: &str) -> Result<Vec<Booking>, BookingError> {
        let Some(person) = person_tag(email) else {
            return Ok(Vec::new());
        };
        let mut members: Vec<String> = self
            .redis
            .conn()
            .smembers(self.keys().person_bookings(&person))
            .await?;
        members.sort();
        let mut out = Vec::new();
        for key in members.iter().filter_map(|m| BookingKey::parse(m)) {
            if let Some(b) = self.get(&key).await? {
                out.push(b);
            }
        }
        Ok(out)
    }
}
