//! The SMS suppression list: people who must not be texted, by E.164 number or by e-mail, kept
//! in one Redis HASH ([`crate::redis::Keys::sms_suppression`]) with no expiry.
//!
//! A field is the entry's target (`phone:+14155550132` or `email:ana@example.com`, the e-mail
//! lower-cased); its value is `<scope>:<added unix ms>`, where the scope is `all` (every SMS)
//! or `marketing` (win-back, no-show apology and follow-up only; confirmations, reminders,
//! cancellations and host notices still go). The worker reads the list in the same Lua step that
//! claims an SMS's at-most-once marker, so an entry added before that step always holds.
//! Fed by `meetflow-admin sms suppress|unsuppress|suppressed` and `/api/sms/suppressed`.

use std::fmt;
use std::str::FromStr;

use redis::AsyncCommands;
use serde::Serialize;

use crate::domain::{EmailAddress, PhoneNumber};
use crate::redis::Redis;

/// Why an operator's input is not a suppression target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing but spaces.
    #[error("give a phone number (E.164, e.g. +14155550132) or an e-mail address")]
    Empty,
    /// Has an `@` but is not an e-mail address.
    #[error("`{0}` is not an e-mail address")]
    Email(String),
    /// Not a phone number in international form.
    #[error("`{0}` is not a phone number in international form (E.164, e.g. +14155550132): {1}")]
    Phone(String, String),
}

/// Who an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A number, in E.164.
    Phone(String),
    /// An e-mail address, lower-cased.
    Email(String),
}

impl Target {
    /// Parses what an operator typed: an e-mail (has `@`; lower-cased) or a phone number in any
    /// common international format (normalised to E.164; a number without `+<country code>` is
    /// refused, since no region can be assumed).
    pub fn parse(raw: &str) -> Result<Self, TargetError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(TargetError::Empty);
        }
        if raw.contains('@') {
            let e = EmailAddress::parse(raw).map_err(|_| TargetError::Email(raw.to_owned()))?;
            return Ok(Self::Email(e.as_str().to_lowercase()));
        }
        PhoneNumber::parse(raw, None)
            .map(|p| Self::Phone(p.as_str().to_owned()))
            .map_err(|e| TargetError::Phone(raw.to_owned(), e.to_string()))
    }

    /// The HASH field: `phone:<e164>` or `email:<address>`.
    pub fn field(&self) -> String {
        match self {
            Self::Phone(p) => format!("phone:{p}"),
            Self::Email(e) => format!("email:{e}"),
        }
    }

    /// `phone` or `email`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Phone(_) => "phone",
            Self::Email(_) => "email",
        }
    }

    /// The number or address.
    pub fn value(&self) -> &str {
        match self {
            Self::Phone(v) | Self::Email(v) => v,
        }
    }

    fn from_field(field: &str) -> Option<Self> {
        if let Some(p) = field.strip_prefix("phone:") {
            return Some(Self::Phone(p.to_owned()));
        }
        field
            .strip_prefix("email:")
            .map(|e| Self::Email(e.to_owned()))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.value())
    }
}

impl FromStr for Target {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Which SMS an entry stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every SMS.
    All,
    /// Marketing SMS only (win-back, no-show apology, follow-up).
    Marketing,
}

impl Scope {
    /// `all` or `marketing`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Marketing => "marketing",
        }
    }

    /// The stored form back; `None` when unknown.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(Self::All),
            "marketing" => Some(Self::Marketing),
            _ => None,
        }
    }
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// `phone` or `email`.
    pub kind: &'static str,
    /// The E.164 number or the lower-cased e-mail.
    pub value: String,
    /// Which SMS it stops.
    pub scope: Scope,
    /// When it was added (unix ms; 0 when unreadable).
    pub added_ms: i64,
}

/// The suppression list on one Redis.
#[derive(Debug, Clone)]
pub struct Suppressions {
    redis: Redis,
}

impl Suppressions {
    /// The list of the namespace of `redis`.
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    fn key(&self) -> String {
        self.redis.keys().sms_suppression()
    }

    /// Adds (or replaces the scope of) `target`. Returns `true` when it was not listed before.
    pub async fn add(
        &self,
        target: &Target,
        scope: Scope,
        now_ms: i64,
    ) -> redis::RedisResult<bool> {
        let mut conn = self.redis.conn();
        let added: i64 = conn
            .hset(
                self.key(),
                target.field(),
                format!("{}:{now_ms}", scope.as_str()),
            )
            .await?;
        Ok(added == 1)
    }

    /// Removes `target`. Returns `true` when it was listed.
    pub async fn remove(&self, target: &Target) -> redis::RedisResult<bool> {
        let mut conn = self.redis.conn();
        let removed: i64 = conn.hdel(self.key(), target.field()).await?;
        Ok(removed == 1)
    }

    /// A read outside the send step (e.g. before making a win-back's booking link, so a
    /// suppressed person costs no link): `Some("phone" | "email")` when `phone` (E.164) or the
    /// e-mail of booking `booking` has an entry covering this SMS. The send step checks again
    /// atomically; this read alone decides nothing.
    pub async fn covers(
        &self,
        phone: &str,
        booking: &str,
        marketing: bool,
    ) -> redis::RedisResult<Option<&'static str>> {
        let mut conn = self.redis.conn();
        let email: Option<String> = conn
            .hget(self.redis.keys().booking(booking), "email")
            .await?;
        let mut fields = vec![("phone", Target::Phone(phone.to_owned()).field())];
        if let Some(e) = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
        {
            fields.push(("email", Target::Email(e).field()));
        }
        for (reason, field) in fields {
            let v: Option<String> = conn.hget(self.key(), field).await?;
            let Some(v) = v else { continue };
            let scope = v.split(':').next().unwrap_or_default();
            if scope != Scope::Marketing.as_str() || marketing {
                return Ok(Some(reason));
            }
        }
        Ok(None)
    }

    /// Every entry, phones then e-mails, each sorted.
    pub async fn list(&self) -> redis::RedisResult<Vec<Entry>> {
        let mut conn = self.redis.conn();
        let raw: Vec<(String, String)> = conn.hgetall(self.key()).await?;
        let mut entries: Vec<(Target, Entry)> = raw
            .into_iter()
            .filter_map(|(field, value)| {
                let target = Target::from_field(&field)?;
                let (scope, at) = value.split_once(':').unwrap_or((value.as_str(), "0"));
                let entry = Entry {
                    kind: target.kind(),
                    value: target.value().to_owned(),
                    scope: Scope::parse(scope).unwrap_or(Scope::All),
                    added_ms: at.parse().unwrap_or(0),
                };
                Some((target, entry))
            })
            .collect();
        entries.sort_by(|a, b| b.0.kind().cmp(a.0.kind()).then(a.0.cmp(&b.0)));
        Ok(entries.into_iter().map(|(_, e)| e).collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn phones_are_normalised_and_emails_lower_cased() {
        assert_eq!(
            Target::parse(" +1 (415) 555-0132 ").unwrap(),
            Target::Phone("+14155550132".into())
        );
        assert_eq!(
            Target::parse("Ana.Lopez@Example.COM").unwrap(),
            Target::Email("ana.lopez@example.com".into())
        );
        assert_eq!(
            Target::parse("Ana@Example.com").unwrap().field(),
            "email:ana@example.com"
        );
    }

    #[test]
    fn junk_is_refused_with_a_clear_message() {
        assert_eq!(Target::parse("  "), Err(TargetError::Empty));
        let e = Target::parse("555-0132").unwrap_err().to_string();
        assert!(e.contains("E.164"), "{e}");
        assert!(matches!(Target::parse("ana@"), Err(TargetError::Email(_))));
        assert!(matches!(
            Target::parse("hello"),
            Err(TargetError::Phone(..))
        ));
    }
}
