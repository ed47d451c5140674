//! The queue, bookings and end-to-end paths on a real Redis Cluster (3 masters) and a Sentinel
//! set-up (master + replica + 3 Sentinels), through the `redis+cluster://` and
//! `redis+sentinel://` forms of `redis.url`; and a Sentinel failover with `redis.wait_replicas`.

mod bookings;
mod checks;
mod end_to_end;
mod failover;
mod queue;
