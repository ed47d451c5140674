//! The SMS suppression list: people who must not be texted, by E.164 number or by e-mail, kept
//! in one Redis HASH ([`crate::redis::Keys::sms_suppression`]) with no expiry.
//!
//! A field is the entry's target (`phone:+14155550132` or `email:ana@example.com`, the e-mail
//! lower-cased), prefixed by its source when that is not the operator
//! (`brevo_blacklist|email:ana@example.com`); its value is `<scope>:<added unix ms>`, where the
//! scope is `all` (every SMS) or `marketing` (win-back, no-show apology and follow-up only;
//! confirmations, reminders, cancellations and host notices still go). The worker reads the list
//! in the same Lua step that claims an SMS's at-most-once marker, so an entry added before that
//! step always holds.
//!
//! Fed by the operator (`meetflow-admin sms suppress|unsuppress|suppressed`,
//! `/api/sms/suppressed`) and by the sources of [`Source`]: Brevo (`sms.opt_out`, read at send
//! time), EngageLab's opt-out callbacks and the Calendly consent answer. Each source adds and
//! removes only its own entries, so Brevo saying "opted in again" never lifts an operator's
//! entry; the operator's `unsuppress` lifts every source's entry for the target (a source that
//! still says "opted out" puts its entry back on its next read).

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

/// Where an entry came from (the metric's `reason` for an entry that is not the operator's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `meetflow-admin sms suppress` or the API.
    Operator,
    /// The Brevo contact attribute `sms.opt_out.brevo_attribute` is true.
    BrevoAttribute,
    /// The Brevo contact is in the list `sms.opt_out.brevo_list_id`.
    BrevoList,
    /// Brevo's own SMS blacklist (`smsBlacklisted`).
    BrevoBlacklist,
    /// An EngageLab callback reported the number unsubscribed (`sms.opt_out.engagelab_codes`).
    EngagelabOptOut,
    /// The invitee did not give the Calendly consent answer (`sms.consent`).
    CalendlyConsent,
}

impl Source {
    /// Every source but the operator's, in the order the send step checks them.
    pub const FED: [Self; 5] = [
        Self::BrevoAttribute,
        Self::BrevoList,
        Self::BrevoBlacklist,
        Self::EngagelabOptOut,
        Self::CalendlyConsent,
    ];

    /// The stored name (also the metric's `reason`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::BrevoAttribute => "brevo_attribute",
            Self::BrevoList => "brevo_list",
            Self::BrevoBlacklist => "brevo_blacklist",
            Self::EngagelabOptOut => "engagelab_opt_out",
            Self::CalendlyConsent => "calendly_consent",
        }
    }

    /// The stored name back; `None` when unknown.
    pub fn parse(s: &str) -> Option<Self> {
        std::iter::once(Self::Operator)
            .chain(Self::FED)
            .find(|x| x.as_str() == s)
    }

    /// The HASH field of `target` for this source.
    pub fn field(self, target: &Target) -> String {
        match self {
            Self::Operator => target.field(),
            _ => format!("{}|{}", self.as_str(), target.field()),
        }
    }

    /// The prefix of this source's fields (`""` for the operator), as the send step's Lua
    /// builds them.
    pub fn prefix(self) -> String {
        match self {
            Self::Operator => String::new(),
            _ => format!("{}|", self.as_str()),
        }
    }
}

/// Which SMS an entry stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// Who put it there.
    pub source: Source,
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

    /// Adds (or replaces the scope of) the operator's entry for `target`. Returns `true` when it
    /// was not listed before.
    pub async fn add(
        &self,
        target: &Target,
        scope: Scope,
        now_ms: i64,
    ) -> redis::RedisResult<bool> {
        self.add_from(Source::Operator, target, scope, now_ms).await
    }

    /// Adds `source`'s entry for `target`, or replaces its scope (its time is kept when the scope
    /// is unchanged, so a source repeating itself changes nothing). Returns `true` when new.
    pub async fn add_from(
        &self,
        source: Source,
        target: &Target,
        scope: Scope,
        now_ms: i64,
    ) -> redis::RedisResult<bool> {
        let mut conn = self.redis.conn();
        let field = source.field(target);
        let old: Option<String> = conn.hget(self.key(), &field).await?;
        if old
            .as_deref()
            .is_some_and(|v| v.split(':').next() == Some(scope.as_str()))
        {
            return Ok(false);
        }
        let _: i64 = conn
            .hset(self.key(), field, format!("{}:{now_ms}", scope.as_str()))
            .await?;
        Ok(old.is_none())
    }

    /// Removes every entry for `target`, whatever its source (the operator's word). Returns
    /// `true` when one was listed.
    pub async fn remove(&self, target: &Target) -> redis::RedisResult<bool> {
        let mut conn = self.redis.conn();
        let fields: Vec<String> = std::iter::once(Source::Operator)
            .chain(Source::FED)
            .map(|s| s.field(target))
            .collect();
        let removed: i64 = conn.hdel(self.key(), fields).await?;
        Ok(removed > 0)
    }

    /// Removes `source`'s own entry for `target` (others stay). Returns `true` when it was there.
    pub async fn remove_from(&self, source: Source, target: &Target) -> redis::RedisResult<bool> {
        let mut conn = self.redis.conn();
        let removed: i64 = conn.hdel(self.key(), source.field(target)).await?;
        Ok(removed == 1)
    }

    /// A read outside the send step (e.g. before making a win-back's booking link, so a
    /// suppressed person costs no link): `Some(reason)` when `phone` (E.164) or the e-mail of
    /// booking `booking` has an entry covering this SMS — `phone` or `email` for an operator's
    /// entry, else the entry's source. The send step checks again atomically; this read alone
    /// decides nothing.
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
        let mut targets = vec![("phone", Target::Phone(phone.to_owned()))];
        if let Some(e) = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
        {
            targets.push(("email", Target::Email(e)));
        }
        for (matched, target) in targets {
            for source in std::iter::once(Source::Operator).chain(Source::FED) {
                let v: Option<String> = conn.hget(self.key(), source.field(&target)).await?;
                let Some(v) = v else { continue };
                let scope = v.split(':').next().unwrap_or_default();
                if scope != Scope::Marketing.as_str() || marketing {
                    return Ok(Some(match source {
                        Source::Operator => matched,
                        s => s.as_str(),
                    }));
                }
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
                let (source, field) = match field.split_once('|') {
                    Some((s, f)) if Target::from_field(&field).is_none() => (Source::parse(s)?, f),
                    _ => (Source::Operator, field.as_str()),
                };
                let target = Target::from_field(field)?;
                let (scope, at) = value.split_once(':').unwrap_or((value.as_str(), "0"));
                let entry = Entry {
                    kind: target.kind(),
                    value: target.value().to_owned(),
                    scope: Scope::parse(scope).unwrap_or(Scope::All),
                    added_ms: at.parse().unwrap_or(0),
                    source,
                };
                Some((target, entry))
            })
            .collect();
        entries.sort_by(|a, b| {
            b.0.kind()
                .cmp(a.0.kind())
                .then(a.0.cmp(&b.0))
                .then(a.1.source.as_str().cmp(b.1.source.as_str()))
        });
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
