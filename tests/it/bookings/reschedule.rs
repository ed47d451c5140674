//! Reschedules and no-shows in the bookings store against a real Redis: both orders of the two
//! halves of a reschedule (and the two racing), a reschedule of a booking never seen, and
//! no-show marks before and after the booking.

use meetflow_shared::bookings::{
    ApologyChange, BookingChange, BookingFacts, BookingKey, BookingStatus, NoShowOutcome,
    ReminderState,
};

use crate::support::scheduler::{Fixture, HOUR, due_ids, facts, fixture, key, now_ms, rem};

/// Old booking, and the new one of its reschedule (linked both ways).
fn reschedule_pair() -> (BookingFacts, BookingFacts) {
    let old = facts(now_ms() + 48 * HOUR);
    let mut new = facts(now_ms() + 72 * HOUR);
    new.old_invitee = Some(old.invitee_uri.clone());
    (old, new)
}

async fn assert_only_new_reminders(f: &Fixture, old: &BookingKey, new: &BookingKey) {
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
            follow_up_changed: true,
            apology: ApologyChange::None
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
            follow_up_changed: true,
            apology: ApologyChange::None
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
