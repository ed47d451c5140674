//! [`Topology`]: what `redis.url` names — one Redis (`redis://`, `rediss://`, `unix://`), a
//! master found through Sentinels (`redis+sentinel://`), or a Cluster reached through a seed list
//! (`redis+cluster://`).
//!
//! ```text
//! redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER
//! redis+cluster://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]
//! ```
//!
//! `rediss+sentinel://` and `rediss+cluster://` connect to the data nodes over TLS. A Sentinel
//! URL's password is the data nodes' (`requirepass` of master and replicas); the Sentinels
//! themselves are asked without one. Parsing is done here once, so validation at load and the
//! connection agree on what a URL means.

use thiserror::Error;

/// Default port of a Sentinel address written without one.
pub(crate) const SENTINEL_PORT: u16 = 26379;
/// Default port of a Cluster seed written without one.
pub(crate) const CLUSTER_PORT: u16 = 6379;

/// Why `redis.url` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct TopologyError(pub String);

/// One `host:port` of a seed or Sentinel list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Host name or IPv4 address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// What `redis.url` names.
#[derive(Clone, PartialEq, Eq)]
pub enum Topology {
    /// One Redis (or a managed endpoint that fails over behind one address): the URL as given.
    Single(String),
    /// A master found through Sentinels, looked up again after a failover.
    Sentinel {
        /// The Sentinels asked for the master's address.
        sentinels: Vec<Node>,
        /// The master's name in the Sentinels' configuration.
        master: String,
        /// The data nodes' password.
        password: Option<String>,
        /// TLS to the data nodes.
        tls: bool,
    },
    /// A Redis Cluster, discovered from these seeds.
    Cluster {
        /// Any reachable subset of the cluster's nodes.
        seeds: Vec<Node>,
        /// ACL user of the nodes.
        username: Option<String>,
        /// The nodes' password.
        password: Option<String>,
        /// TLS to the nodes.
        tls: bool,
    },
}

impl std::fmt::Debug for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Single(_) => f.write_str("Single"),
            Self::Sentinel {
                sentinels, master, ..
            } => f
                .debug_struct("Sentinel")
                .field("sentinels", sentinels)
                .field("master", master)
                .finish_non_exhaustive(),
            Self::Cluster { seeds, .. } => f
                .debug_struct("Cluster")
                .field("seeds", seeds)
                .finish_non_exhaustive(),
        }
    }
}

impl Topology {
    /// Reads `redis.url`. The error says what is wrong without repeating the URL (it may hold a
    /// password).
    pub fn parse(url: &str) -> Result<Self, TopologyError> {
        let err = |m: &str| Err(TopologyError(m.to_owned()));
        let Some((scheme, rest)) = url.split_once("://") else {
            return err("not a URL (expected e.g. redis://host:6379)");
        };
        let (kind, tls) = match scheme {
            "redis" | "rediss" | "unix" | "redis+unix" => {
                return match redis::IntoConnectionInfo::into_connection_info(url) {
                    Ok(_) => Ok(Self::Single(url.to_owned())),
                    Err(e) => Err(TopologyError(format!("invalid Redis URL ({e})"))),
                };
            }
            "redis+sentinel" => ("sentinel", false),
            "rediss+sentinel" => ("sentinel", true),
            "redis+cluster" => ("cluster", false),
            "rediss+cluster" => ("cluster", true),
            _ => {
                return err(
                    "URL scheme must be one of redis, rediss, unix, redis+unix, redis+sentinel, rediss+sentinel, redis+cluster, rediss+cluster",
                );
            }
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(u) => {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                let decode = |s: &str| {
                    percent_decode(s).ok_or_else(|| {
                        TopologyError("the password is not valid percent-encoding".into())
                    })
                };
                (
                    (!user.is_empty()).then(|| decode(user)).transpose()?,
                    (!pass.is_empty()).then(|| decode(pass)).transpose()?,
                )
            }
        };
        let default_port = if kind == "sentinel" {
            SENTINEL_PORT
        } else {
            CLUSTER_PORT
        };
        let nodes = parse_nodes(hosts, default_port)?;
        if kind == "sentinel" {
            let master = path.trim_end_matches('/');
            if master.is_empty() || master.contains(['/', '?', '#']) {
                return err(
                    "a Sentinel URL ends with the master's name: redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER",
                );
            }
            if username.is_some() {
                return err("a Sentinel URL takes a password only: redis+sentinel://:PASSWORD@...");
            }
            Ok(Self::Sentinel {
                sentinels: nodes,
                master: master.to_owned(),
                password,
                tls,
            })
        } else {
            if !path.is_empty() {
                return err(
                    "a Cluster URL has no path (a Cluster has only database 0): redis+cluster://HOST:PORT[,HOST:PORT...]",
                );
            }
            Ok(Self::Cluster {
                seeds: nodes,
                username,
                password,
                tls,
            })
        }
    }

    /// A short name for logs and metrics: `single`, `sentinel` or `cluster`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Single(_) => "single",
            Self::Sentinel { .. } => "sentinel",
            Self::Cluster { .. } => "cluster",
        }
    }
}

fn parse_nodes(hosts: &str, default_port: u16) -> Result<Vec<Node>, TopologyError> {
    let mut nodes = Vec::new();
    for part in hosts.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(TopologyError(
                "an empty address in the host list (expected HOST:PORT[,HOST:PORT...])".into(),
            ));
        }
        let (host, port) = match part.rsplit_once(':') {
            Some((h, p)) => {
                let port = p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                    TopologyError(format!(
                        "`{part}`: the port must be a number from 1 to 65535"
                    ))
                })?;
                (h, port)
            }
            None => (part, default_port),
        };
        if host.is_empty() || host.contains(['[', ']', '/', '@', ' ']) {
            return Err(TopologyError(format!(
                "`{part}`: expected HOST:PORT (host name or IPv4 address)"
            )));
        }
        nodes.push(Node {
            host: host.to_owned(),
            port,
        });
    }
    Ok(nodes)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `url` with the password of a multi-host URL (Sentinel, Cluster) replaced by `***`; `None`
/// when `url` is not one of those forms.
pub fn redact_multi_host(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.contains('+') || scheme.ends_with("+unix") {
        return None;
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return Some(url.to_owned());
    };
    let userinfo = &rest[..at];
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    if !userinfo.contains(':') {
        return Some(url.to_owned());
    }
    Some(format!("{scheme}://{user}:***{}", &rest[at..]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn node(host: &str, port: u16) -> Node {
        Node {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn sentinel_form_reads_password_sentinels_and_master() {
        let t =
            Topology::parse("redis+sentinel://:s%40cret@10.0.0.1:26379,sen-2,sen-3:5000/mymaster")
                .unwrap();
        assert_eq!(
            t,
            Topology::Sentinel {
                sentinels: vec![
                    node("10.0.0.1", 26379),
                    node("sen-2", SENTINEL_PORT),
                    node("sen-3", 5000)
                ],
                master: "mymaster".into(),
                password: Some("s@cret".into()),
                tls: false,
            }
        );
        assert_eq!(t.kind(), "sentinel");
    }

    #[test]
    fn cluster_form_reads_the_seed_list() {
        let t = Topology::parse("rediss+cluster://default:pw@a:7000,b:7001").unwrap();
        assert_eq!(
            t,
            Topology::Cluster {
                seeds: vec![node("a", 7000), node("b", 7001)],
                username: Some("default".into()),
                password: Some("pw".into()),
                tls: true,
            }
        );
    }

    #[test]
    fn single_urls_pass_through() {
        assert_eq!(
            Topology::parse("redis://127.0.0.1:6379/0").unwrap(),
            Topology::Single("redis://127.0.0.1:6379/0".into())
        );
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_password() {
        for (url, says) in [
            ("redis+sentinel://:pw@h:26379", "master's name"),
            ("redis+sentinel://:pw@h:26379,/m", "empty address"),
            ("redis+cluster://:pw@h:notaport", "port must be a number"),
            ("redis+cluster://h:7000/3", "no path"),
            ("memcached://h", "URL scheme must be one of"),
            ("h:6379", "not a URL"),
        ] {
            let e = Topology::parse(url).unwrap_err().to_string();
            assert!(e.contains(says), "{url}: {e}");
            assert!(!e.contains("pw"), "{url}: {e}");
        }
    }

    #[test]
    fn multi_host_passwords_are_redacted() {
        assert_eq!(
            redact_multi_host("redis+sentinel://:pw@a:1,b:2/m").as_deref(),
            Some("redis+sentinel://:***@a:1,b:2/m")
        );
        assert_eq!(
            redact_multi_host("redis+cluster://a:1,b:2").as_deref(),
            Some("redis+cluster://a:1,b:2")
        );
        assert_eq!(redact_multi_host("redis://:pw@a:1"), None);
    }
}
