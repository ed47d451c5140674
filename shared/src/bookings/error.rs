//! Errors of the bookings store. Everything here is a storage failure: Redis unreachable
//! (retryable: the job handler retries) or a reply of an unexpected shape (permanent: a bug or
//! foreign data in our namespace). Bad outside input never reaches this layer as an error: any
//! invitee URI maps to a key ([`super::BookingKey::from_invitee_uri`]).

use crate::queue::QueueError;

/// A bookings store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// Redis or the queue failed.
    #[error(transparent)]
    Store(#[from] QueueError),
    /// Redis answered with something the scripts never return.
    #[error("unexpected reply from the bookings store: {0}")]
    Protocol(String),
}

impl From<redis::RedisError> for BookingError {
    fn from(e: redis::RedisError) -> Self {
        Self::Store(QueueError::Redis(e))
    }
}

impl BookingError {
    /// Whether waiting and trying again can help (Redis down or loading).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(e) => e.is_retryable(),
            Self::Protocol(_) => false,
        }
    }
}
