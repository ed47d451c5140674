//! The queue, bookings and end-to-end paths on a real Redis Cluster (3 masters) and a Sentinel
//! set-up (master + replica + 3 Sentinels), through the `redis+cluster://` and
//! `redis+sentinel://` forms of `redis.url`; Sentinel and Cluster failovers with
//! `redis.wait_replicas: 1`, and the loss window without it; and the key families with hash tags
//! of their own, in their own slots of the Cluster.

mod bookings;
mod checks;
mod end_to_end;
mod failover;
mod families;
mod layout;
mod loss_window;
mod queue;
mod webhooks;
