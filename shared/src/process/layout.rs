//! The key layout of a namespace: which [`LAYOUT_VERSION`] its data is written in, the start-up
//! check that refuses to run on keys of an earlier layout, and their migration
//! (`meetflow-admin migrate`).
//!
//! Layout 2 moved the bookings family (booking hashes, reminder sets, person indexes, SMS markers
//! and deliveries, the suppression list) from `{ns}` to its own hash tag `{ns:bookings}`, so a
//! Cluster can hold it on another shard than the queues. A process of this version reading a
//! namespace that still holds layout-1 keys would see no bookings, reminders or SMS markers, and
//! could send an SMS twice: so every binary checks at start and refuses with one line naming the
//! command to run. The check is one `GET` (and one `EXISTS` of the layout-1 keys with fixed names,
//! which an older process still running would write) once the layout is recorded; before that, a
//! `SCAN` of the namespace's `{ns}` keys, on a Cluster on the master holding that slot.
//!
//! The migration moves each key with `DUMP` / `RESTORE` (keeping its TTL) and `DEL`, a batch per
//! round trip: a Cluster refuses a `RENAME` across slots. It needs the fleet stopped (nothing may
//! write the old names meanwhile); it can be stopped and run again at any point, and records the
//! layout only once no layout-1 key is left.

use redis::RedisResult;

use crate::redis::{LAYOUT_VERSION, Redis};

/// Keys per `SCAN` step and per migrated batch.
const BATCH: usize = 500;

/// What a namespace holds, as far as its layout goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Recorded at this version's layout, no layout-1 key with a fixed name about.
    Current,
    /// Nothing recorded and no layout-1 key: a new installation (or one that never booked).
    Fresh,
    /// Keys of layout 1 are present; `example` is one of them.
    Earlier {
        /// One layout-1 key found.
        example: String,
    },
    /// Recorded at a layout this version does not know (written by a newer meetflow).
    Newer(String),
}

impl Layout {
    /// The one-line reason to refuse to start, if the process must not run on this namespace.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Self::Current | Self::Fresh => None,
            Self::Earlier { example } => Some(format!(
                "Redis holds keys of meetflow's earlier key layout (e.g. {example}): stop every meetflow process, run `meetflow-admin migrate`, then start this version"
            )),
            Self::Newer(v) => Some(format!(
                "this namespace's data is in key layout {v}, newer than this meetflow's ({LAYOUT_VERSION}): run the newer version"
            )),
        }
    }
}

/// Reads the layout of `redis`'s namespace (see the module docs for what it costs).
///
/// # Errors
/// A Redis error.
pub async fn inspect(redis: &Redis) -> RedisResult<Layout> {
    let keys = redis.keys();
    let mut conn = redis.conn();
    let recorded: Option<String> = redis::cmd("GET")
        .arg(keys.layout())
        .query_async(&mut conn)
        .await?;
    match recorded.as_deref().map(str::parse::<u32>) {
        Some(Ok(v)) if v == LAYOUT_VERSION => {
            let fixed = keys.v1_fixed();
            let mut exists = redis::pipe();
            for key in &fixed {
                exists.cmd("EXISTS").arg(key);
            }
            let found: Vec<bool> = exists.query_async(&mut conn).await?;
            Ok(match fixed.iter().zip(found).find(|(_, f)| *f) {
                Some((example, _)) => Layout::Earlier {
                    example: example.clone(),
                },
                None => Layout::Current,
            })
        }
        Some(Ok(v)) if v > LAYOUT_VERSION => Ok(Layout::Newer(v.to_string())),
        Some(Err(_)) => Ok(Layout::Newer(recorded.unwrap_or_default())),
        _ => Ok(match first_to_move(redis, Direction::Forward).await? {
            Some(example) => Layout::Earlier { example },
            None => Layout::Fresh,
        }),
    }
}

/// Inspects the layout and records it when the namespace is [`Layout::Fresh`] (`SET NX`: two
/// processes starting together record the same).
///
/// # Errors
/// A Redis error.
pub async fn check(redis: &Redis) -> RedisResult<Layout> {
    let layout = inspect(redis).await?;
    if layout == Layout::Fresh {
        record(redis, true).await?;
    }
    Ok(layout)
}

/// Records [`LAYOUT_VERSION`] (`only_if_absent`: `SET NX`).
async fn record(redis: &Redis, only_if_absent: bool) -> RedisResult<()> {
    let mut set = redis::cmd("SET");
    set.arg(redis.keys().layout()).arg(LAYOUT_VERSION);
    if only_if_absent {
        set.arg("NX");
    }
    let _: Option<String> = set.query_async(&mut redis.conn()).await?;
    Ok(())
}

/// Which way [`migrate`] moves the bookings family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From layout 1 (`{ns}`) to this version's ([`LAYOUT_VERSION`], `{ns:bookings}`).
    Forward,
    /// Back to layout 1, before rolling back to a release that knows no other: those releases
    /// do not check the layout and would find no bookings, reminders or SMS markers.
    Back,
}

/// One `SCAN` step over the keys `direction` moves (on a Cluster, on the master holding their
/// slot): the next cursor and each key of the step with the name it moves to.
async fn scan_step(
    redis: &Redis,
    direction: Direction,
    cursor: u64,
) -> RedisResult<(u64, Vec<(String, String)>)> {
    let keys = redis.keys();
    let (pattern, slot_of) = match direction {
        Direction::Forward => (keys.v1_pattern(), keys.layout()),
        Direction::Back => (keys.bookings_pattern(), keys.booking_prefix()),
    };
    let mut scan = redis::cmd("SCAN");
    scan.arg(cursor)
        .arg("MATCH")
        .arg(pattern)
        .arg("COUNT")
        .arg(BATCH);
    let (next, found): (u64, Vec<String>) = redis.conn().on_master_of(&slot_of, &scan).await?;
    let moves = found
        .into_iter()
        .filter_map(|from| {
            let to = match direction {
                Direction::Forward => keys.from_v1(&from),
                Direction::Back => keys.to_v1(&from),
            };
            to.map(|to| (from, to))
        })
        .collect();
    Ok((next, moves))
}

/// The first key `direction` would move, if any (for [`Direction::Forward`]: the first
/// layout-1 key).
async fn first_to_move(redis: &Redis, direction: Direction) -> RedisResult<Option<String>> {
    let mut cursor = 0;
    loop {
        let (next, found) = scan_step(redis, direction, cursor).await?;
        if let Some((from, _)) = found.into_iter().next() {
            return Ok(Some(from));
        }
        if next == 0 {
            return Ok(None);
        }
        cursor = next;
    }
}

/// What [`migrate`] did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Migration {
    /// Keys moved to their name in the target layout (dry: that would be).
    pub moved: u64,
    /// Keys left where they are because their name in the target layout is taken too (a
    /// process of that layout already wrote it): `--overwrite` replaces it.
    pub conflicts: Vec<String>,
    /// Whether the target layout is now recorded (forward: `{ns}:layout` set to
    /// [`LAYOUT_VERSION`]; back: the record removed). Not in a dry run, and only when no key is
    /// left to move.
    pub recorded: bool,
}

/// Moves the bookings family of `redis`'s namespace to the layout `direction` names, keeping
/// each key's value and TTL; `dry_run` only counts. A key whose target name exists is left
/// (listed in [`Migration::conflicts`]) unless `overwrite`. Records the target layout when
/// nothing is left to move.
///
/// # Errors
/// A Redis error (the keys moved so far stay moved; running it again carries on).
pub async fn migrate(
    redis: &Redis,
    direction: Direction,
    dry_run: bool,
    overwrite: bool,
) -> RedisResult<Migration> {
    let mut out = Migration::default();
    let mut cursor = 0;
    loop {
        let (next, batch) = scan_step(redis, direction, cursor).await?;
        if !batch.is_empty() {
            move_batch(redis, &batch, dry_run, overwrite, &mut out).await?;
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    if !dry_run && out.conflicts.is_empty() && first_to_move(redis, direction).await?.is_none() {
        match direction {
            Direction::Forward => record(redis, false).await?,
            Direction::Back => {
                let _: i64 = redis::cmd("DEL")
                    .arg(redis.keys().layout())
                    .query_async(&mut redis.conn())
                    .await?;
            }
        }
        out.recorded = true;
    }
    Ok(out)
}

/// Moves one batch (old name, new name): the old keys' TTLs and dumps in one pipeline (one slot),
/// which new names exist in another, the restores in a third, then one `DEL` of the moved.
async fn move_batch(
    redis: &Redis,
    batch: &[(String, String)],
    dry_run: bool,
    overwrite: bool,
    out: &mut Migration,
) -> RedisResult<()> {
    let mut conn = redis.conn();
    let mut exists = redis::pipe();
    for (_, new) in batch {
        exists.cmd("EXISTS").arg(new);
    }
    let taken: Vec<bool> = exists.query_async(&mut conn).await?;
    let mut todo = Vec::with_capacity(batch.len());
    for ((old, new), taken) in batch.iter().zip(taken) {
        if taken && !overwrite {
            out.conflicts.push(old.clone());
        } else {
            todo.push((old, new));
        }
    }
    if dry_run || todo.is_empty() {
        out.moved += if dry_run { todo.len() as u64 } else { 0 };
        return Ok(());
    }
    let mut read = redis::pipe();
    for (old, _) in &todo {
        read.cmd("PTTL").arg(*old).cmd("DUMP").arg(*old);
    }
    let dumps: Vec<(i64, Option<Vec<u8>>)> = read.query_async(&mut conn).await?;
    let mut restore = redis::pipe();
    let mut gone = Vec::with_capacity(todo.len());
    for ((old, new), (ttl, dump)) in todo.iter().zip(dumps) {
        // -2 / no dump: expired since the scan; -1: no TTL (RESTORE's 0).
        let Some(dump) = dump.filter(|_| ttl != -2) else {
            continue;
        };
        restore
            .cmd("RESTORE")
            .arg(*new)
            .arg(ttl.max(0))
            .arg(dump)
            .arg("REPLACE")
            .ignore();
        gone.push((*old).clone());
    }
    if gone.is_empty() {
        return Ok(());
    }
    let _: () = restore.query_async(&mut conn).await?;
    let _: i64 = redis::cmd("DEL").arg(&gone).query_async(&mut conn).await?;
    out.moved += gone.len() as u64;
    Ok(())
}
