//! The bookings store against a real Redis: what a booking plans, duplicates, cancellation and
//! tombstones, key expiry and encoding. Reschedules and no-shows: `bookings_reschedule`.

use meetflow_shared::bookings::{BookingChange, BookingStatus, ReminderState};

use crate::support::scheduler::{HOUR, MIN, at, due_ids, facts, fixture, key, now_ms, rem};

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
    let k = key(&b);
    b.links = meetflow_shared::bookings::MessageLinks {
        cancel_url: Some(format!("https://calendly.com/cancellations/{k}")),
        reschedule_url: Some(format!("https://calendly.com/reschedulings/{k}")),
        join_url: Some(format!(
            "https://us06web.zoom.us/j/85746065432?pwd={}.1",
            "Q".repeat(90)
        )),
        host: Some("Maya Chen".into()),
    };
    f.bookings.booked(&b).await.unwrap();
    let stored = f.bookings.get(&k).await.unwrap().unwrap();
    assert_eq!(stored.links, b.links, "the SMS links are read back whole");
    let mut conn = f.client.redis();
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(f.client.keys().booking(key(&b).as_str()))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(encoding, "listpack", "every stored value fits in 64 bytes");
}
