//! The bookings store against a real Redis: what a booking plans, duplicates, cancellation,
//! reschedules in both orders (and concurrently), tombstones, no-shows.

use meetflow_shared::bookings::{
    BookingChange, BookingKey, BookingStatus, NoShowOutcome, ReminderState,
};

use crate::scheduler_support::{HOUR, MIN, at, due_ids, facts, fixture, key, now_ms, rem};

#[tokio::test]
async fn a_booking_plans_the_24h_and_1h_reminders_and_the_follow_up_at_their_times() {
    let f = fixture().await;
    let start = now_ms() + 48 * HOUR;
    let b = facts(start);

    let change = f.bookings.booked(&b).await.unwrap();

    let BookingChange::Recorded {
        planned,
        skipped_past,
        no_phone,
        ..
    } = change
    else {
        panic!("expected Recorded, got {change:?}");
    };
    assert!(!no_phone && skipped_past.is_empty());
    let got: Vec<(String, i64)> = planned
        .iter()
        .map(|r| (r.id.clone(), r.due_at.timestamp_millis()))
        .collect();
    let want = vec![
        (rem(&b, "24h"), start - 24 * HOUR),
        (rem(&b, "1h"), start - HOUR),
        (rem(&b, "followup"), start + 30 * MIN + 30 * MIN),
    ];
    assert_eq!(got, want);
    let mut due = due_ids(&f.client).await;
    due.sort();
    let mut ids: Vec<String> = want.iter().map(|(id, _)| id.clone()).collect();
    ids.sort();
    assert_eq!(due, ids);
    let stored = f.bookings.get(&key(&b)).await.unwrap().unwrap();
    assert_eq!(stored.status, BookingStatus::Active);
    assert_eq!(stored.start, Some(at(start)));
    assert_eq!(stored.name.as_deref(), Some("Léa Müller-Øster 🙂"));
    assert_eq!(stored.invitee_uri.as_deref(), Some(b.invitee_uri.as_str()));
    assert_eq!(stored.event_type.as_deref(), Some(b.event_type.as_str()));
    assert_eq!(stored.reminders.len(), 3);
    assert!(
        stored
            .reminders
            .iter()
            .all(|r| r.state == ReminderState::Planned)
    );
    assert_eq!(
        f.bookings.reminders(Some(&key(&b)), 10).await.unwrap(),
        stored.reminders
    );
    assert_eq!(f.bookings.reminders(None, 10).await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_booking_made_30_minutes_ahead_gets_only_its_follow_up() {
    let f = fixture().await;
    let b = facts(now_ms() + 30 * MIN);

    let change = f.bookings.booked(&b).await.unwrap();

    let BookingChange::Recorded {
        planned,
        skipped_past,
        ..
    } = change
    else {
        panic!("{change:?}")
    };
    assert_eq!(
        planned.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        vec![rem(&b, "followup")]
    );
    assert_eq!(skipped_past.len(), 2);
    assert_eq!(due_ids(&f.client).await, vec![rem(&b, "followup")]);
}

#[tokio::test]
async fn a_booking_without_a_phone_number_plans_nothing() {
    let f = fixture().await;
    let mut b = facts(now_ms() + 48 * HOUR);
    b.phone = None;
    let change = f.bookings.booked(&b).await.unwrap();
    assert!(
        matches!(change, BookingChange::Recorded { no_phone: true, ref planned, .. } if planned.is_empty())
    );
    assert!(due_ids(&f.client).await.is_empty());
    assert!(f.bookings.seen(&b.invitee_uri).await.unwrap());
}

#[tokio::test]
async fn the_same_booking_delivered_twice_has_one_set_of_reminders() {
    let f = fixture().await;
    let b = facts(now_ms() + 48 * HOUR);
    f.bookings.booked(&b).await.unwrap();
    let again = f.bookings.booked(&b).await.unwrap();
    assert_eq!(again, BookingChange::Duplicate { key: key(&b) });
    // concurrent duplicates as well
    let c = facts(now_ms() + 48 * HOUR);
    let results = futures::future::join_all((0..8).map(|_| f.bookings.booked(&c))).await;
    let recorded = results
        .iter()
        .filter(|r| matches!(r, Ok(BookingChange::Recorded { .. })))
        .count();
    assert_eq!(recorded, 1);
    assert_eq!(due_ids(&f.client).await.len(), 6);
    assert_eq!(f.bookings.get(&key(&c)).await.unwrap().unwrap().version, 1);
}

#[tokio::test]
async fn cancel_removes_every_pending_reminder_and_a_late_redelivery_does_not_bring_them_back() {
    let f = fixture().await;
    let b = facts(now_ms() + 48 * HOUR);
    f.bookings.booked(&b).await.unwrap();

    let out = f
        .bookings
        .canceled(&b.invitee_uri, false, None)
        .await
        .unwrap();

    assert_eq!(out.reminders_canceled, 3);
    assert!(!out.already_ended);
    assert!(due_ids(&f.client).await.is_empty());
    let stored = f.bookings.get(&key(&b)).await.unwrap().unwrap();
    assert_eq!(stored.status, BookingStatus::Canceled);
    assert!(
        stored
            .reminders
            .iter()
            .all(|r| r.state == ReminderState::Canceled)
    );
    let again = f
        .bookings
        .canceled(&b.invitee_uri, false, None)
        .await
        .unwrap();
    assert!(again.already_ended);
    let late = f.bookings.booked(&b).await.unwrap();
    assert_eq!(
        late,
        BookingChange::AlreadyEnded {
            key: key(&b),
            status: BookingStatus::Canceled
        }
    );
    assert!(due_ids(&f.client).await.is_empty());
}

#[tokio::test]
async fn a_cancel_that_arrives_before_its_booking_leaves_a_tombstone() {
    let f = fixture().await;
    let b = facts(now_ms() + 48 * HOUR);
    let out = f
        .bookings
        .canceled(&b.invitee_uri, false, None)
        .await
        .unwrap();
    assert_eq!(out.reminders_canceled, 0);
    let late = f.bookings.booked(&b).await.unwrap();
    assert!(matches!(late, BookingChange::AlreadyEnded { .. }));
    assert!(due_ids(&f.client).await.is_empty());
}

/// Old booking, and the new one of its reschedule (linked both ways).
fn reschedule_pair() -> (
    meetflow_shared::bookings::BookingFacts,
    meetflow_shared::bookings::BookingFacts,
) {
    let old = facts(now_ms() + 48 * HOUR);
    let mut new = facts(now_ms() + 72 * HOUR);
    new.old_invitee = Some(old.invitee_uri.clone());
    (old, new)
}

async fn assert_only_new_reminders(
    f: &crate::scheduler_support::Fixture,
    old: &BookingKey,
    new: &BookingKey,
) {
    let mut due = due_ids(&f.client).await;
    due.sort();
    let mut want = vec![
        format!("rem:{new}:24h"),
        format!("rem:{new}:1h"),
        format!("rem:{new}:followup"),
    ];
    want.sort();
    assert_eq!(due, want);
    let old_b = f.bookings.get(old).await.unwrap().unwrap();
    assert_eq!(old_b.status, BookingStatus::Rescheduled);
    assert!(
        old_b
            .reminders
            .iter()
            .all(|r| r.state == ReminderState::Canceled)
    );
    assert_eq!(
        f.bookings.get(new).await.unwrap().unwrap().status,
        BookingStatus::Active
    );
}

#[tokio::test]
async fn reschedule_with_the_cancel_first_ends_with_only_the_new_reminders() {
    let f = fixture().await;
    let (old, new) = reschedule_pair();
    f.bookings.booked(&old).await.unwrap();

    let out = f
        .bookings
        .canceled(&old.invitee_uri, true, Some(&new.invitee_uri))
        .await
        .unwrap();
    assert_eq!(out.reminders_canceled, 3);
    f.bookings.booked(&new).await.unwrap();

    assert_only_new_reminders(&f, &key(&old), &key(&new)).await;
    let old_b = f.bookings.get(&key(&old)).await.unwrap().unwrap();
    assert_eq!(old_b.rescheduled_to, Some(key(&new)));
}

#[tokio::test]
async fn reschedule_with_the_new_booking_first_ends_with_only_the_new_reminders() {
    let f = fixture().await;
    let (old, new) = reschedule_pair();
    f.bookings.booked(&old).await.unwrap();

    f.bookings.booked(&new).await.unwrap();
    // the old reminders are gone already, before the old half arrives
    assert_only_new_reminders(&f, &key(&old), &key(&new)).await;
    let out = f
        .bookings
        .canceled(&old.invitee_uri, true, Some(&new.invitee_uri))
        .await
        .unwrap();

    assert!(out.already_ended);
    assert_only_new_reminders(&f, &key(&old), &key(&new)).await;
}

#[tokio::test]
async fn reschedule_halves_racing_each_other_end_the_same_way() {
    let f = fixture().await;
    for _ in 0..20 {
        let (old, new) = reschedule_pair();
        f.bookings.booked(&old).await.unwrap();
        let (a, b) = tokio::join!(
            f.bookings
                .canceled(&old.invitee_uri, true, Some(&new.invitee_uri)),
            f.bookings.booked(&new)
        );
        a.unwrap();
        b.unwrap();
        assert_only_new_reminders(&f, &key(&old), &key(&new)).await;
        f.bookings
            .canceled(&new.invitee_uri, false, None)
            .await
            .unwrap();
        assert!(due_ids(&f.client).await.is_empty());
    }
}

#[tokio::test]
async fn reschedule_of_a_booking_never_seen_still_blocks_it() {
    let f = fixture().await;
    let (old, new) = reschedule_pair();
    f.bookings.booked(&new).await.unwrap();
    // a late, out-of-order invitee.created of the old invitee
    let late = f.bookings.booked(&old).await.unwrap();
    assert_eq!(
        late,
        BookingChange::AlreadyEnded {
            key: key(&old),
            status: BookingStatus::Rescheduled
        }
    );
    assert_only_new_reminders(&f, &key(&old), &key(&new)).await;
}

#[tokio::test]
async fn no_show_removes_the_follow_up_and_unmarking_restores_it() {
    let f = fixture().await;
    let b = facts(now_ms() + 48 * HOUR);
    f.bookings.booked(&b).await.unwrap();

    let set = f.bookings.no_show(&b.invitee_uri, true).await.unwrap();
    assert_eq!(
        set,
        NoShowOutcome::Changed {
            follow_up_changed: true
        }
    );
    assert!(!due_ids(&f.client).await.contains(&rem(&b, "followup")));
    assert_eq!(due_ids(&f.client).await.len(), 2);
    assert_eq!(
        f.bookings.no_show(&b.invitee_uri, true).await.unwrap(),
        NoShowOutcome::Unchanged
    );

    let cleared = f.bookings.no_show(&b.invitee_uri, false).await.unwrap();
    assert_eq!(
        cleared,
        NoShowOutcome::Changed {
            follow_up_changed: true
        }
    );
    assert!(due_ids(&f.client).await.contains(&rem(&b, "followup")));
    assert_eq!(
        f.bookings.get(&key(&b)).await.unwrap().unwrap().status,
        BookingStatus::Active
    );
}

#[tokio::test]
async fn a_no_show_that_arrives_before_its_booking_means_no_follow_up() {
    let f = fixture().await;
    let b = facts(now_ms() + 48 * HOUR);
    assert_eq!(
        f.bookings.no_show(&b.invitee_uri, true).await.unwrap(),
        NoShowOutcome::Remembered
    );
    f.bookings.booked(&b).await.unwrap();
    let mut due = due_ids(&f.client).await;
    due.sort();
    assert_eq!(due, vec![rem(&b, "1h"), rem(&b, "24h")]);
    assert_eq!(
        f.bookings.get(&key(&b)).await.unwrap().unwrap().status,
        BookingStatus::NoShow
    );
}

#[tokio::test]
async fn booking_keys_expire_after_their_useful_life() {
    let f = fixture().await;
    let start = now_ms() + 48 * HOUR;
    let b = facts(start);
    f.bookings.booked(&b).await.unwrap();
    let mut conn = f.client.redis();
    let expire_at: i64 = redis::cmd("PEXPIRETIME")
        .arg(f.client.keys().booking(key(&b).as_str()))
        .query_async(&mut conn)
        .await
        .unwrap();
    // follow-up due end + 30 min, + 6 h max lateness, + 7 days retention
    let want = start + 30 * MIN + 30 * MIN + 6 * HOUR + 7 * 24 * HOUR;
    assert_eq!(expire_at, want);
}

#[tokio::test]
async fn a_booking_hash_stays_a_compact_listpack() {
    let f = fixture().await;
    let mut b = facts(now_ms() + 48 * HOUR);
    b.event_type =
        "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13".into();
    f.bookings.booked(&b).await.unwrap();
    let mut conn = f.client.redis();
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(f.client.keys().booking(key(&b).as_str()))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(encoding, "listpack", "every stored value fits in 64 bytes");
}
