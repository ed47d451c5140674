//! Start-up checks of the Redis a process is given: the version (meetflow's scripts need 7.0:
//! `PEXPIREAT ... GT`, `LPOP` with a count), the `maxmemory-policy` (an evicting policy could
//! silently drop de-duplication and booking keys: refused unless `redis.allow_eviction: true`)
//! and persistence (a warning when neither AOF nor a replica keeps the data).
//!
//! Where a managed Redis forbids `CONFIG GET`, that is said once and the policy check is
//! skipped. The outcome is exported as `meetflow_redis_check{check}` (1 passed, 0 failed or
//! unknown) and gates `/readyz` ([`super::Process`]).

use crate::queue::QueueClient;

/// The oldest Redis meetflow runs on.
pub const MIN_VERSION: (u32, u32) = (7, 0);

/// What the checks read from Redis.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RedisFacts {
    /// `redis_version` from `INFO server`.
    pub version: String,
    /// `aof_enabled:1` in `INFO persistence`.
    pub aof: bool,
    /// `connected_slaves` from `INFO replication`.
    pub replicas: u32,
    /// `maxmemory-policy`, `None` when `CONFIG GET` is not allowed.
    pub maxmemory_policy: Option<String>,
}

/// The verdict: warnings to log, or the one-line reason to refuse to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Lines to log as warnings.
    pub warnings: Vec<String>,
    /// Why the process must not start, if it must not.
    pub refusal: Option<String>,
}

/// Reads version, AOF and replica count from the text of `INFO` (any sections).
pub fn parse_info(info: &str) -> RedisFacts {
    let mut facts = RedisFacts::default();
    for line in info.lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        match key {
            "redis_version" => value.clone_into(&mut facts.version),
            "aof_enabled" => facts.aof = value == "1",
            "connected_slaves" => facts.replicas = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    facts
}

fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().unwrap_or("0").parse().ok()?;
    Some((major, minor))
}

/// Judges `facts`; `allow_eviction` is `redis.allow_eviction`.
pub fn judge(facts: &RedisFacts, allow_eviction: bool) -> Verdict {
    let mut warnings = Vec::new();
    let mut refusal = None;
    match major_minor(&facts.version) {
        Some(v) if v >= MIN_VERSION => {}
        Some(_) => {
            refusal = Some(format!(
                "Redis {} is too old: meetflow needs Redis {}.{} or newer",
                facts.version, MIN_VERSION.0, MIN_VERSION.1
            ));
        }
        None => warnings.push(format!(
            "cannot read the Redis version from INFO ({:?}); meetflow needs Redis {}.{} or newer",
            facts.version, MIN_VERSION.0, MIN_VERSION.1
        )),
    }
    match facts.maxmemory_policy.as_deref() {
        Some("noeviction") | None => {}
        Some(policy) if allow_eviction => warnings.push(format!(
            "Redis maxmemory-policy is {policy}: keys may be evicted (redis.allow_eviction is true)"
        )),
        Some(policy) => {
            refusal.get_or_insert(format!(
                "Redis maxmemory-policy is {policy}, which can evict de-duplication and booking keys: set it to noeviction, or redis.allow_eviction: true to accept that"
            ));
        }
    }
    if !facts.aof && facts.replicas == 0 {
        warnings.push(
            "Redis has neither AOF (appendonly) nor a replica: a Redis restart can lose acknowledged webhooks and jobs".to_owned(),
        );
    }
    Verdict { warnings, refusal }
}

/// Reads the facts from `client`'s Redis: on a Cluster from every master, merged so that the
/// weakest node decides (lowest version, AOF and replicas only if every master has them, an
/// evicting policy if any master has one). `Err` only when Redis does not answer `INFO`.
///
/// # Errors
/// The Redis error of `INFO`.
pub async fn read_facts(client: &QueueClient) -> Result<RedisFacts, redis::RedisError> {
    let mut conn = client.redis();
    let infos = conn.on_each_master::<String>(&redis::cmd("INFO")).await?;
    let mut nodes = Vec::with_capacity(infos.len());
    for (_, info) in infos {
        nodes.push(parse_info(&info?));
    }
    let mut get = redis::cmd("CONFIG");
    get.arg("GET").arg("maxmemory-policy");
    let mut refused = None;
    match conn.on_each_master::<Vec<String>>(&get).await {
        Ok(policies) => {
            for (i, (_, policy)) in policies.into_iter().enumerate() {
                match policy {
                    Ok(pair) => {
                        if let Some(facts) = nodes.get_mut(i) {
                            facts.maxmemory_policy = pair.get(1).cloned();
                        }
                    }
                    Err(e) => refused = Some(e),
                }
            }
        }
        Err(e) => refused = Some(e),
    }
    if let Some(e) = refused {
        tracing::warn!(
            error = %e,
            "Redis does not allow CONFIG GET (managed Redis?): maxmemory-policy not checked; make sure it is noeviction"
        );
        nodes.iter_mut().for_each(|n| n.maxmemory_policy = None);
    }
    Ok(merge(nodes))
}

/// The facts of several masters as one: the weakest node decides each.
pub fn merge(nodes: Vec<RedisFacts>) -> RedisFacts {
    let mut iter = nodes.into_iter();
    let Some(mut out) = iter.next() else {
        return RedisFacts::default();
    };
    for n in iter {
        let older = match (major_minor(&n.version), major_minor(&out.version)) {
            (Some(a), Some(b)) => a < b,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if older {
            out.version = n.version;
        }
        out.aof &= n.aof;
        out.replicas = out.replicas.min(n.replicas);
        out.maxmemory_policy = match (out.maxmemory_policy.take(), n.maxmemory_policy) {
            (Some(a), _) if a != "noeviction" => Some(a),
            (_, Some(b)) if b != "noeviction" => Some(b),
            (Some(a), Some(_)) => Some(a),
            _ => None,
        };
    }
    out
}

/// Exports the outcome per check as `meetflow_redis_check{check}`.
pub fn export(facts: &RedisFacts, verdict: &Verdict) {
    let version_ok = major_minor(&facts.version).is_some_and(|v| v >= MIN_VERSION);
    let policy_ok = facts.maxmemory_policy.as_deref() == Some("noeviction");
    let persistence_ok = facts.aof || facts.replicas > 0;
    for (check, ok) in [
        ("version", version_ok),
        ("maxmemory_policy", policy_ok),
        ("persistence", persistence_ok),
        ("startup", verdict.refusal.is_none()),
    ] {
        metrics::gauge!("meetflow_redis_check", "check" => check).set(if ok { 1.0 } else { 0.0 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_masters_merge_to_the_weakest() {
        let node = |v: &str, aof, replicas, policy: Option<&str>| RedisFacts {
            version: v.into(),
            aof,
            replicas,
            maxmemory_policy: policy.map(Into::into),
        };
        let merged = merge(vec![
            node("7.2.4", true, 1, Some("noeviction")),
            node("6.2.14", true, 0, Some("allkeys-lru")),
            node("7.0.15", false, 1, Some("noeviction")),
        ]);
        assert_eq!(merged, node("6.2.14", false, 0, Some("allkeys-lru")));
        let verdict = judge(&merged, false);
        assert!(
            verdict
                .refusal
                .expect("refused")
                .contains("6.2.14 is too old")
        );
        assert_eq!(
            merge(vec![
                node("7.0.0", true, 0, None),
                node("7.0.0", true, 0, Some("noeviction"))
            ])
            .maxmemory_policy,
            None
        );
    }

    const INFO_6: &str = "# Server\r\nredis_version:6.2.14\r\nredis_mode:standalone\r\n# Persistence\r\naof_enabled:1\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n";

    #[test]
    fn redis_6_is_refused_with_one_line() {
        let facts = parse_info(INFO_6);
        assert_eq!(facts.version, "6.2.14");
        assert!(facts.aof);
        let verdict = judge(&facts, false);
        assert_eq!(
            verdict.refusal.as_deref(),
            Some("Redis 6.2.14 is too old: meetflow needs Redis 7.0 or newer")
        );
    }

    #[test]
    fn an_evicting_policy_is_refused_unless_allowed_and_no_persistence_warns() {
        let facts = RedisFacts {
            version: "7.2.4".into(),
            aof: false,
            replicas: 0,
            maxmemory_policy: Some("allkeys-lru".into()),
        };
        let refused = judge(&facts, false);
        assert!(
            refused
                .refusal
                .as_deref()
                .is_some_and(|r| r.starts_with("Redis maxmemory-policy is allkeys-lru")),
            "{refused:?}"
        );
        let allowed = judge(&facts, true);
        assert_eq!(allowed.refusal, None);
        assert_eq!(allowed.warnings.len(), 2, "{allowed:?}");

        let fine = RedisFacts {
            aof: false,
            replicas: 1,
            maxmemory_policy: Some("noeviction".into()),
            ..facts.clone()
        };
        assert_eq!(
            judge(&fine, false),
            Verdict {
                warnings: vec![],
                refusal: None
            }
        );
        let forbidden = RedisFacts {
            aof: true,
            maxmemory_policy: None,
            ..facts
        };
        assert_eq!(judge(&forbidden, false).refusal, None);
    }
}
