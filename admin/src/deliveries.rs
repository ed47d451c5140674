//! The delivery log as the CLI, the JSON API and the page share it: reading what an operator
//! typed into a [`Filter`], masking a delivery's body, and replays recorded in the audit trail.

use meetflow_shared::audit::{Audit, Record};
use meetflow_shared::delivery_log::{
    Delivery, DeliveryLog, Filter, ReplayReport, event_label, parse_provider, parse_time,
    person_tag,
};

/// Most deliveries one filtered replay takes; a filter matching more is refused (narrow the
/// window).
pub const MAX_BULK_REPLAY: usize = 10_000;

/// What an operator typed (CLI flags, query string or form), before reading.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct FilterInput {
    /// `calendly`, `zoom` or `engagelab`.
    pub provider: Option<String>,
    /// An event name.
    pub event: Option<String>,
    /// An e-mail address or a phone number (any format).
    pub person: Option<String>,
    /// A time (see [`parse_time`]).
    pub since: Option<String>,
    /// A time (see [`parse_time`]).
    pub until: Option<String>,
}

fn given(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

impl FilterInput {
    /// The filter; the message says which part is wrong. `default_region` reads national phone
    /// numbers (`sms.default_region`).
    pub fn read(&self, default_region: Option<&str>) -> Result<Filter, String> {
        let now = chrono::Utc::now();
        let provider = match given(self.provider.as_ref()) {
            None => None,
            Some(p) => Some(
                parse_provider(p)
                    .ok_or_else(|| format!("provider {p:?}: use calendly, zoom or engagelab"))?,
            ),
        };
        let person = match given(self.person.as_ref()) {
            None => None,
            Some(p) => Some(person_tag(p, default_region).ok_or_else(|| {
                "person: give an e-mail address or a phone number (with +country code, or set sms.default_region)".to_owned()
            })?),
        };
        let time = |s: Option<&String>, what: &str| -> Result<Option<i64>, String> {
            given(s)
                .map(|s| parse_time(s, now).map_err(|e| format!("{what}: {e}")))
                .transpose()
        };
        Ok(Filter {
            provider,
            event: given(self.event.as_ref()).map(|e| event_label(Some(e))),
            person,
            since_ms: time(self.since.as_ref(), "since")?,
            until_ms: time(self.until.as_ref(), "until")?,
        })
    }
}

/// `delivery: ID`.
pub fn target(id: &str) -> String {
    format!("delivery: {id}")
}

/// A delivery with its body's personal data masked, unless `reveal`.
pub fn masked(mut d: Delivery, reveal: bool) -> Delivery {
    if !reveal {
        d.body = crate::mask::payload_text(&d.body);
        d.request_id = d.request_id.map(|r| crate::mask::text(&r));
    }
    d
}

/// Replays `ids` and records it (`replay_delivery`, with how many) as `who` via `via`.
pub async fn replay_ids(
    log: &DeliveryLog,
    audit: &Audit,
    who: &str,
    via: &str,
    ids: &[String],
) -> anyhow::Result<ReplayReport> {
    let result = log.replay(ids).await;
    let record = Record::new(who, via, "replay_delivery", crate::audit::ids_target(ids))
        .outcome_of(&result, |r| Some(r.replayed.len() as u64));
    crate::audit::record(audit, record).await;
    Ok(result?)
}

/// Replays every delivery matching `filter` (refused without a time window, or when more than
/// [`MAX_BULK_REPLAY`] match) and records it as `who` via `via`.
pub async fn replay_matching(
    log: &DeliveryLog,
    audit: &Audit,
    who: &str,
    via: &str,
    filter: &Filter,
) -> anyhow::Result<ReplayReport> {
    let target = format!("deliveries matching {}", filter.describe());
    let result = async {
        if filter.since_ms.is_none() {
            anyhow::bail!("a filtered replay needs a time window: give since (and until)");
        }
        let ids = log.matching(filter, MAX_BULK_REPLAY + 1).await?;
        if ids.len() > MAX_BULK_REPLAY {
            anyhow::bail!(
                "more than {MAX_BULK_REPLAY} deliveries match; narrow the filter or the window"
            );
        }
        Ok(log.replay(&ids).await?)
    }
    .await;
    let record = Record::new(who, via, "replay_delivery", target)
        .outcome_of(&result, |r| Some(r.replayed.len() as u64));
    crate::audit::record(audit, record).await;
    result
}
