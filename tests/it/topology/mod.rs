//! The queue, bookings and end-to-end paths on a real Redis Cluster (3 masters) and a Sentinel
//! set-up (master + replica + 3 Sentinels), through the `redis+cluster://` and
//! `redis+sentinel://` forms of `redis.url`; a Sentinel failover with `redis.wait_replicas`; and
//! the key families with hash tags of their own, in their own slots of the Cluster.

mod bookings;
mod checks;
mod end_to_end;
mod failover;
mod families;
mod queue;
