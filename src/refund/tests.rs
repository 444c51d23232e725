//! The refund machine's promises: one payout per refund whatever fails, "Refunded" only on
//! Monime's `completed`, "Not sent" only on its `failed`, and "not confirmed" where it cannot
//! tell.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::money::Currency;
use crate::monime::{PayoutDestination, PayoutFailure};

const INTERVAL: Duration = Duration::from_millis(500);

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000 + seconds, 0).expect("time")
}

fn sle(minor: i64) -> Money {
    Money::new(Currency::Sle, minor)
}

fn new_refund() -> NewRefund {
    NewRefund {
        sale: 7,
        amount: sle(1250),
        provider_id: "m17".into(),
        phone: FullNumber::parse("076123456").expect("number"),
        holder_name: Some("AMINATA KAMARA".into()),
        refunder: Refunder::Admin,
        terminal_id: "T1".into(),
        source_account: None,
    }
}

fn written() -> RefundRecord {
    let new = new_refund();
    RefundRecord {
        number: 3,
        sale: new.sale,
        idempotency_key: "key-3".into(),
        amount: new.amount,
        provider_id: new.provider_id.clone(),
        phone_shown: new.phone.shown(),
        request: Some(new.payout_request(3, "key-3")),
        phase: RefundPhase::Written,
        sent_at: None,
        payout: None,
        failure: None,
    }
}

fn payout(status: PayoutStatus) -> Payout {
    Payout {
        destination: PayoutDestination {
            kind: Some("momo".into()),
            provider_id: Some("m17".into()),
            phone_number: Some("+23276123456".into()),
            transaction_reference: (status == PayoutStatus::Completed)
                .then(|| "CI250901.1200.123456".to_string()),
        },
        ..Payout::for_test("pyt-1", status, sle(1250), None)
    }
}

fn started() -> (Refund, Vec<RefundEffect>) {
    Refund::resume(written(), false, Timing::new(INTERVAL), at(0))
}

fn network() -> MonimeError {
    MonimeError::Network {
        message: "no route".into(),
    }
}

fn sends(effects: &[RefundEffect]) -> Vec<RefundCall> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            RefundEffect::Send(call) => Some(*call),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_refund_is_marked_sending_before_its_create_goes() {
    let (refund, effects) = started();
    assert_eq!(refund.record.phase, RefundPhase::Sending);
    assert_eq!(refund.record.sent_at, Some(at(0)));
    assert_eq!(effects, [RefundEffect::Send(RefundCall::Create)]);
    let request = refund.record.request.as_ref().expect("the request");
    assert_eq!(request.phone_number, "+23276123456");
    assert_eq!(request.metadata[REFUND_KEY_METADATA], "key-3");
    assert_eq!(request.metadata["sale"], "7");
    assert!(!request.metadata.contains_key("cashier"), "the admin's");
    let by_cashier = NewRefund {
        refunder: Refunder::Cashier("Aminata".into()),
        ..new_refund()
    };
    assert_eq!(
        by_cashier.payout_request(3, "key-3").metadata["cashier"],
        "Aminata",
        "kept with the payout, for a restore"
    );
}

#[test]
fn refunded_only_when_monime_says_completed() {
    let (mut refund, _) = started();
    let effects = refund.handle(RefundEvent::Answered(payout(PayoutStatus::Pending)), at(1));
    assert_eq!(refund.record.phase, RefundPhase::Pending);
    assert!(matches!(effects[..], [RefundEffect::CheckAfter(_)]));
    assert_eq!(refund.status_line(), "Refund waiting at Monime");
    for status in [
        PayoutStatus::Processing,
        PayoutStatus::Delayed,
        PayoutStatus::Unknown,
    ] {
        refund.handle(RefundEvent::CheckDue, at(2));
        refund.handle(RefundEvent::Answered(payout(status)), at(2));
        assert_eq!(refund.record.phase, RefundPhase::Processing, "{status}");
        assert!(!refund.is_final());
    }
    let mut completed = payout(PayoutStatus::Completed);
    completed.fees = vec![crate::monime::Fee {
        code: Some("payout_fee".into()),
        amount: sle(50),
    }];
    let effects = refund.handle(RefundEvent::Answered(completed), at(3));
    assert_eq!(effects, [RefundEffect::PrintReceipt]);
    assert_eq!(refund.record.phase, RefundPhase::Completed);
    assert_eq!(refund.status_line(), "Refunded");
    let seen = refund.record.payout.as_ref().expect("the payout");
    assert_eq!(seen.fee, Some(sle(50)));
    assert_eq!(seen.reference.as_deref(), Some("CI250901.1200.123456"));
    assert!(
        refund.record.request.is_none(),
        "the number goes once settled"
    );
    assert!(refund.handle(RefundEvent::CheckDue, at(4)).is_empty());
}

#[test]
fn not_sent_only_when_monime_says_failed_with_the_reason_in_words() {
    let (mut refund, _) = started();
    let mut failed = payout(PayoutStatus::Failed);
    failed.failure = Some(PayoutFailure {
        code: PayoutFailureCode::FundInsufficient,
        message: Some("the source account does not hold the amount".into()),
    });
    let effects = refund.handle(RefundEvent::Answered(failed), at(1));
    assert!(effects.is_empty(), "no receipt for money that did not go");
    assert_eq!(refund.record.phase, RefundPhase::Failed);
    assert_eq!(
        refund.status_line(),
        "Not sent: Monime's balance is too low"
    );
    assert!(refund.record.request.is_none());
}

#[test]
fn a_lost_answer_sends_the_same_create_again_and_never_a_second() {
    let (mut refund, _) = started();
    for error in [
        network(),
        MonimeError::Timeout {
            after: Duration::from_secs(10),
        },
        MonimeError::Server {
            status: 502,
            message: String::new(),
        },
        MonimeError::Malformed {
            message: "cut off".into(),
        },
        MonimeError::Unauthenticated {
            message: "revoked".into(),
        },
    ] {
        let effects = refund.handle(RefundEvent::CreateFailed(error), at(5));
        assert!(
            matches!(effects[..], [RefundEffect::CheckAfter(_)]),
            "{effects:?}"
        );
        assert!(!refund.is_final());
        let effects = refund.handle(RefundEvent::CheckDue, at(6));
        assert_eq!(sends(&effects), [RefundCall::Create]);
    }
    assert!(
        refund.status_line().contains("still trying"),
        "{}",
        refund.status_line()
    );
    assert_eq!(
        refund.record.sent_at,
        Some(at(0)),
        "first sent stays first sent"
    );
    refund.handle(RefundEvent::Answered(payout(PayoutStatus::Pending)), at(7));
    // Once Monime named the payout, it is only ever read.
    refund.handle(RefundEvent::CheckFailed(network()), at(8));
    assert_eq!(
        sends(&refund.handle(RefundEvent::CheckDue, at(9))),
        [RefundCall::Get]
    );
}

#[test]
fn monimes_refusal_makes_no_payout_and_a_key_conflict_is_not_known() {
    let (mut refund, _) = started();
    refund.handle(
        RefundEvent::CreateFailed(MonimeError::Validation {
            message: "destination.phoneNumber is invalid".into(),
        }),
        at(1),
    );
    assert_eq!(refund.record.phase, RefundPhase::Refused);
    assert!(refund.status_line().contains("destination.phoneNumber"));
    assert!(refund.record.request.is_none());

    let (mut refund, _) = started();
    refund.handle(
        RefundEvent::CreateFailed(MonimeError::IdempotencyConflict {
            message: "in use".into(),
        }),
        at(1),
    );
    assert_eq!(refund.record.phase, RefundPhase::Unknown);
    assert_eq!(refund.status_line(), NOT_CONFIRMED);
}

#[test]
fn a_create_monime_may_have_forgotten_is_looked_for_not_sent_again() {
    let window = chrono::Duration::from_std(IDEMPOTENCY_WINDOW).expect("window");
    let (mut refund, _) = started();
    refund.handle(RefundEvent::CreateFailed(network()), at(1));
    let late = at(0) + window;
    assert_eq!(
        sends(&refund.handle(RefundEvent::CheckDue, late)),
        [RefundCall::Lookup]
    );
    refund.handle(RefundEvent::LookupFailed(network()), late);
    assert_eq!(
        sends(&refund.handle(RefundEvent::CheckDue, late)),
        [RefundCall::Lookup]
    );
    refund.handle(
        RefundEvent::LookedUp(Some(payout(PayoutStatus::Processing))),
        late,
    );
    assert_eq!(refund.record.phase, RefundPhase::Processing);
    assert_eq!(refund.record.payout_id(), Some("pyt-1"));

    let (mut refund, _) = started();
    refund.handle(RefundEvent::CreateFailed(network()), at(1));
    refund.handle(RefundEvent::CheckDue, late);
    refund.handle(RefundEvent::LookedUp(None), late);
    assert_eq!(refund.record.phase, RefundPhase::Unknown);
    assert_eq!(refund.status_line(), NOT_CONFIRMED);
}

#[test]
fn a_refund_read_back_picks_up_where_it_was() {
    let timing = Timing::new(INTERVAL);
    let sending = RefundRecord {
        phase: RefundPhase::Sending,
        sent_at: Some(at(0)),
        ..written()
    };
    let (_, effects) = Refund::resume(sending.clone(), false, timing, at(60));
    assert_eq!(
        sends(&effects),
        [RefundCall::Create],
        "within the window: same key"
    );
    let long_after = at(0) + chrono::Duration::from_std(IDEMPOTENCY_WINDOW).expect("window");
    let (_, effects) = Refund::resume(sending.clone(), false, timing, long_after);
    assert_eq!(sends(&effects), [RefundCall::Lookup]);
    let (_, effects) = Refund::resume(
        RefundRecord {
            sent_at: None,
            ..sending.clone()
        },
        false,
        timing,
        at(1),
    );
    assert_eq!(
        sends(&effects),
        [RefundCall::Lookup],
        "sent when, not known"
    );
    // Never sent: whenever it is taken up, the create goes (it was asked for).
    let (refund, effects) = Refund::resume(written(), false, timing, long_after);
    assert_eq!(sends(&effects), [RefundCall::Create]);
    assert_eq!(refund.record.sent_at, Some(long_after));
    let named = RefundRecord {
        phase: RefundPhase::Pending,
        payout: Some(PayoutSeen {
            id: "pyt-1".into(),
            status: PayoutStatus::Pending,
            fee: None,
            reference: None,
        }),
        ..sending
    };
    let (_, effects) = Refund::resume(named.clone(), false, timing, long_after);
    assert_eq!(sends(&effects), [RefundCall::Get]);
    let done = RefundRecord {
        phase: RefundPhase::Completed,
        ..named
    };
    let (_, effects) = Refund::resume(done.clone(), true, timing, at(1));
    assert_eq!(effects, [RefundEffect::PrintReceipt]);
    let (_, effects) = Refund::resume(done, false, timing, at(1));
    assert!(effects.is_empty());
}

#[test]
fn a_payout_monime_cannot_find_ends_not_confirmed_after_a_while() {
    let (mut refund, _) = started();
    refund.handle(RefundEvent::Answered(payout(PayoutStatus::Pending)), at(1));
    let not_found = || MonimeError::NotFound {
        what: "payout".into(),
    };
    refund.handle(RefundEvent::CheckFailed(not_found()), at(2));
    assert!(!refund.is_final());
    assert!(refund.status_line().contains("cannot find the payout"));
    let after = at(2) + chrono::Duration::from_std(UNKNOWN_AFTER).expect("bound");
    refund.handle(RefundEvent::CheckFailed(not_found()), after);
    assert_eq!(refund.record.phase, RefundPhase::Unknown);
}

#[test]
fn a_payout_of_another_amount_is_never_taken_for_the_refund() {
    let (mut refund, _) = started();
    let mut other = payout(PayoutStatus::Completed);
    other.amount = Some(sle(9999));
    let effects = refund.handle(RefundEvent::Answered(other), at(1));
    assert!(effects.is_empty());
    assert_eq!(refund.record.phase, RefundPhase::Unknown);
    assert!(
        refund
            .record
            .failure
            .as_ref()
            .and_then(|f| f.message.as_deref())
            .is_some_and(|m| m.contains("Le 99.99"))
    );
}

#[test]
fn the_payout_of_a_refund_is_found_by_its_key() {
    let mut found = payout(PayoutStatus::Pending);
    found.metadata = Some(serde_json::json!({"refund_key": "key-3", "sale": "7"}));
    assert!(is_payout_of(&found, "key-3"));
    assert!(!is_payout_of(&found, "key-4"));
    assert!(!is_payout_of(&payout(PayoutStatus::Pending), "key-3"));
}

#[test]
fn the_words_are_the_constants_in_english() {
    assert_eq!(
        Language::English.tr("Refund not confirmed: check the Monime dashboard"),
        NOT_CONFIRMED
    );
}
