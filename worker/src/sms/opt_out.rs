//! Opt-outs from the providers into the SMS suppression list
//! ([`meetflow_shared::sms_suppression`]), each entry under its own [`Source`]:
//! - Brevo (`sms.opt_out.brevo_attribute`, `brevo_list_id`, `brevo_blacklist`): the booking's
//!   contact is read right before each SMS such an entry could stop ([`read_brevo`], on the
//!   `/contacts` budget), and its entries set or lifted by what Brevo says now, so an opt-out
//!   made in Brevo holds from the next send. A failed read leaves the last read's entries.
//! - EngageLab (`sms.opt_out.engagelab_codes`): a delivery callback row reporting the number
//!   unsubscribed ([`engagelab`]).
//! - Calendly (`sms.consent` / `event_mapping.<name>.sms_consent`): the consent answer of a new
//!   booking ([`consent`]).
//!
//! Each source adds and lifts only its own entries; new ones are counted in
//! `meetflow_sms_opt_outs_total{source}`. Nothing personal is logged.

use chrono::Utc;
use meetflow_shared::config::ConsentQuestion;
use meetflow_shared::domain::{PhoneNumber, redact};
use meetflow_shared::sms_suppression::{Scope, Source, Suppressions, Target};
use redis::AsyncCommands;

use meetflow_shared::queue::JobError;

use crate::context::Worker;
use crate::error;

fn reads(outcome: &'static str) {
    metrics::counter!("meetflow_brevo_opt_out_reads_total", "outcome" => outcome).increment(1);
}

/// Sets (`on`) or lifts `source`'s entry for `target`; a new entry is counted and logged.
async fn apply(
    list: &Suppressions,
    source: Source,
    target: &Target,
    on: bool,
    scope: Scope,
) -> redis::RedisResult<()> {
    if on {
        let now = Utc::now().timestamp_millis();
        if list.add_from(source, target, scope, now).await? {
            metrics::counter!("meetflow_sms_opt_outs_total", "source" => source.as_str())
                .increment(1);
            tracing::info!(
                source = source.as_str(),
                kind = target.kind(),
                scope = scope.as_str(),
                "opt-out added to the SMS suppression list"
            );
        }
    } else if list.remove_from(source, target).await? {
        tracing::info!(
            source = source.as_str(),
            kind = target.kind(),
            "opt-out lifted by its source"
        );
    }
    Ok(())
}

/// Reads the Brevo contact of `booking` and brings its entries up to date, when a Brevo source
/// is configured and could stop this SMS (a `marketing` scope stops only marketing SMS).
pub(crate) async fn read_brevo(
    w: &Worker,
    booking: &str,
    marketing: bool,
    job_id: &str,
) -> Result<(), JobError> {
    let oo = &w.settings.sms.opt_out;
    if !oo.reads_brevo() || (oo.scope == Scope::Marketing && !marketing) {
        return Ok(());
    }
    let Some(brevo) = w.brevo.as_ref() else {
        return Ok(());
    };
    let mut conn = w.redis.conn();
    let email: Option<String> = conn
        .hget(w.redis.keys().booking(booking), "email")
        .await
        .map_err(error::redis)?;
    let Some(target) = email.and_then(|e| Target::parse(&e).ok()) else {
        return Ok(());
    };
    // No slot now: the job waits (as any Brevo call does) rather than send unread.
    brevo
        .limiter
        .until_ready_for(job_id, w.options.rate_limit_wait)
        .await?;
    let state = match brevo.client.contact_sms_state(target.value()).await {
        Ok(Some(state)) => {
            reads("read");
            state
        }
        Ok(None) => {
            reads("no_contact");
            Default::default()
        }
        Err(e) => {
            reads("failed");
            tracing::warn!(%booking, error = %e, "Brevo contact read for the SMS opt-outs failed; the last read's entries stand");
            return Ok(());
        }
    };
    let list = Suppressions::new(w.redis.clone());
    let sources = [
        (
            Source::BrevoAttribute,
            oo.brevo_attribute.as_deref().map(|a| state.flag(a)),
        ),
        (
            Source::BrevoList,
            oo.brevo_list_id.map(|id| state.list_ids.contains(&id)),
        ),
        (
            Source::BrevoBlacklist,
            oo.brevo_blacklist.then_some(state.sms_blacklisted),
        ),
    ];
    for (source, on) in sources {
        if let Some(on) = on {
            apply(&list, source, &target, on, oo.scope)
                .await
                .map_err(error::redis)?;
        }
    }
    Ok(())
}

/// An EngageLab status row with `error_code` for the number `to`: one of
/// `sms.opt_out.engagelab_codes` suppresses it.
pub(crate) async fn engagelab(
    w: &Worker,
    to: Option<&str>,
    error_code: Option<i64>,
) -> Result<bool, JobError> {
    let oo = &w.settings.sms.opt_out;
    let Some(code) = error_code.filter(|c| oo.engagelab_codes.contains(c)) else {
        return Ok(false);
    };
    let Some(phone) = to.and_then(|t| PhoneNumber::parse(t, None).ok()) else {
        tracing::warn!(code, to = %redact::phone(to.unwrap_or_default()), "EngageLab reports an unsubscribed number it did not name usably: not suppressed");
        return Ok(false);
    };
    let target = Target::Phone(phone.as_str().to_owned());
    apply(
        &Suppressions::new(w.redis.clone()),
        Source::EngagelabOptOut,
        &target,
        true,
        oo.scope,
    )
    .await
    .map_err(error::redis)?;
    Ok(true)
}

/// A new booking's consent answer under the workflow's question: no consent suppresses the
/// invitee's e-mail and number for the question's scope; consent lifts what this source put.
pub(crate) async fn consent(
    w: &Worker,
    question: &ConsentQuestion,
    answer: Option<&str>,
    email: Option<&str>,
    phone: Option<&PhoneNumber>,
) -> Result<(), JobError> {
    let consents = question.consents(answer);
    let list = Suppressions::new(w.redis.clone());
    let targets = email
        .and_then(|e| Target::parse(e).ok())
        .into_iter()
        .chain(phone.map(|p| Target::Phone(p.as_str().to_owned())));
    for target in targets {
        apply(
            &list,
            Source::CalendlyConsent,
            &target,
            !consents,
            question.scope,
        )
        .await
        .map_err(error::redis)?;
    }
    Ok(())
}
