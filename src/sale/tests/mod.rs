//! The sale machine's rules, each a test with the time passed in. `trouble` holds the rules
//! for when Monime cannot be read: a code it cannot find, a refused key, a cancel that does
//! not go through.

mod trouble;

use super::*;
use crate::money::Currency;

pub(super) const POLL: Duration = Duration::from_secs(1);
/// Most rules are stated with a check every `POLL`; `adaptive_polling_*` tests the spacing.
pub(super) const FIXED: Timing = Timing {
    poll_interval: POLL,
    polling: Polling::Fixed,
    proof_second_ask: Duration::from_secs(30),
};

pub(super) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

pub(super) fn request() -> NewPaymentCode {
    NewPaymentCode::new("Shop sale 7", Money::new(Currency::Sle, 1250))
}

pub(super) fn new_sale() -> Sale {
    let record = SaleRecord::new(7, "key-7".into(), request());
    let (sale, effects) = Sale::resume(record, false, FIXED);
    assert_eq!(effects, vec![Effect::Send(MonimeCall::Create)]);
    assert_eq!(sale.record.phase, Phase::CreatingCode);
    sale
}

pub(super) fn code(status: CodeStatus) -> PaymentCode {
    PaymentCode {
        id: "pmc-7".into(),
        name: None,
        status,
        enabled: true,
        amount: Some(Money::new(Currency::Sle, 1250)),
        ussd_code: Some("*715*1*0000000007#".into()),
        reference: None,
        authorized_providers: Vec::new(),
        authorized_phone_number: None,
        expire_time: Some(now() + chrono::Duration::minutes(10)),
        create_time: None,
        update_time: None,
        payment: (status == CodeStatus::Completed).then(|| ProcessedPayment {
            order_number: Some("ORD-1".into()),
            ..ProcessedPayment::default()
        }),
        metadata: None,
    }
}

pub(super) fn network_error() -> MonimeError {
    MonimeError::Network {
        message: "connection refused".into(),
    }
}

pub(super) fn awaiting() -> Sale {
    let mut sale = new_sale();
    let effects = sale.handle(Event::Created(code(CodeStatus::Pending)), now());
    assert_eq!(effects, vec![Effect::CheckAfter(POLL)]);
    assert_eq!(sale.record.phase, Phase::AwaitingPayment);
    sale
}

#[test]
fn created_code_is_shown_and_followed() {
    let sale = awaiting();
    let code = sale.record.code.as_ref().expect("code");
    assert_eq!(code.ussd_code, "*715*1*0000000007#");
    assert_eq!(sale.time_left(now()), Some(Duration::from_secs(600)));
    assert_eq!(sale.status_line(), "Waiting for payment");
}

#[test]
fn check_due_sends_a_get_once_a_code_is_known() {
    let mut sale = awaiting();
    assert_eq!(
        sale.handle(Event::CheckDue, now()),
        vec![Effect::Send(MonimeCall::Get)]
    );
    let mut creating = new_sale();
    assert_eq!(
        creating.handle(Event::CheckDue, now()),
        vec![Effect::Send(MonimeCall::Create)]
    );
}

#[test]
fn paid_only_on_completed() {
    let mut sale = awaiting();
    for status in [
        CodeStatus::Pending,
        CodeStatus::Processing,
        CodeStatus::Unknown,
    ] {
        sale.handle(Event::Checked(code(status)), now());
        assert_ne!(sale.record.phase, Phase::Paid, "{status:?}");
    }
    assert_eq!(
        sale.record.phase,
        Phase::PaymentInProgress,
        "unknown keeps the last phase"
    );
    let effects = sale.handle(Event::Checked(code(CodeStatus::Completed)), now());
    assert_eq!(sale.record.phase, Phase::Paid);
    assert_eq!(effects, vec![Effect::PrintReceipt]);
    assert_eq!(
        sale.record
            .payment
            .as_ref()
            .and_then(|p| p.order_number.as_deref()),
        Some("ORD-1")
    );
    assert!(
        sale.handle(Event::Checked(code(CodeStatus::Cancelled)), now())
            .is_empty()
    );
    assert_eq!(
        sale.record.phase,
        Phase::Paid,
        "a final phase never changes"
    );
}

#[test]
fn processing_shows_payment_in_progress() {
    let mut sale = awaiting();
    let effects = sale.handle(Event::Checked(code(CodeStatus::Processing)), now());
    assert_eq!(effects, vec![Effect::CheckAfter(POLL)]);
    assert_eq!(sale.status_line(), "Payment in progress");
}

#[test]
fn expiry_is_monimes_word() {
    let mut sale = awaiting();
    let late = now() + chrono::Duration::minutes(11);
    assert_eq!(sale.time_left(late), Some(Duration::ZERO));
    sale.handle(Event::Checked(code(CodeStatus::Processing)), late);
    assert_eq!(
        sale.record.phase,
        Phase::PaymentInProgress,
        "past expireTime, still followed"
    );
    sale.handle(Event::Checked(code(CodeStatus::Pending)), late);
    assert_eq!(sale.record.phase, Phase::AwaitingPayment);
    assert!(!sale.is_final());
    sale.handle(Event::Checked(code(CodeStatus::Expired)), late);
    assert_eq!(sale.record.phase, Phase::Expired);
}

#[test]
fn cancel_while_awaiting_switches_the_code_off() {
    let mut sale = awaiting();
    assert_eq!(
        sale.handle(Event::CancelPressed, now()),
        vec![Effect::Send(MonimeCall::Cancel)]
    );
    assert_eq!(sale.record.phase, Phase::Cancelling);
    assert!(
        sale.handle(Event::CancelPressed, now()).is_empty(),
        "pressed twice, sent once"
    );
    sale.handle(Event::CancelAnswered(code(CodeStatus::Cancelled)), now());
    assert_eq!(sale.record.phase, Phase::Cancelled);
}

#[test]
fn cancel_racing_a_payment_ends_paid() {
    for answer in [CodeStatus::Processing, CodeStatus::Completed] {
        let mut sale = awaiting();
        sale.handle(Event::CancelPressed, now());
        sale.handle(Event::CancelAnswered(code(answer)), now());
        if answer == CodeStatus::Processing {
            assert_eq!(sale.record.phase, Phase::PaymentInProgress);
            assert!(
                sale.status_line().contains("waits for its outcome"),
                "{}",
                sale.status_line()
            );
            sale.handle(Event::Checked(code(CodeStatus::Completed)), now());
        }
        assert_eq!(sale.record.phase, Phase::Paid);
        assert!(
            sale.status_line().contains("paid before the cancel"),
            "{}",
            sale.status_line()
        );
    }
}

#[test]
fn cancel_during_a_payment_waits_for_the_outcome() {
    let mut sale = awaiting();
    sale.handle(Event::Checked(code(CodeStatus::Processing)), now());
    assert!(
        sale.handle(Event::CancelPressed, now()).is_empty(),
        "nothing is sent"
    );
    assert_eq!(sale.record.phase, Phase::PaymentInProgress);
    // The payment fell through and the code is pending again: now it is switched off.
    let effects = sale.handle(Event::Checked(code(CodeStatus::Pending)), now());
    assert_eq!(effects, vec![Effect::Send(MonimeCall::Cancel)]);
    assert_eq!(sale.record.phase, Phase::Cancelling);
}

#[test]
fn cancel_while_creating_waits_for_the_code_then_switches_it_off() {
    let mut sale = new_sale();
    assert!(sale.handle(Event::CancelPressed, now()).is_empty());
    assert_eq!(sale.record.phase, Phase::Cancelling);
    let effects = sale.handle(Event::Created(code(CodeStatus::Pending)), now());
    assert_eq!(effects, vec![Effect::Send(MonimeCall::Cancel)]);
    sale.handle(Event::CancelAnswered(code(CodeStatus::Cancelled)), now());
    assert_eq!(sale.record.phase, Phase::Cancelled);
}

#[test]
fn cancel_while_creating_through_a_lost_connection_resends_the_create() {
    let mut sale = new_sale();
    sale.handle(Event::CreateFailed(network_error()), now());
    sale.handle(Event::CancelPressed, now());
    assert_eq!(
        sale.handle(Event::CheckDue, now()),
        vec![Effect::Send(MonimeCall::Create)]
    );
    let refused = MonimeError::Validation {
        message: "bad".into(),
    };
    sale.handle(Event::CreateFailed(refused), now());
    assert_eq!(
        sale.record.phase,
        Phase::Cancelled,
        "refused: no code exists to switch off"
    );
}

#[test]
fn a_refused_create_fails_in_monimes_words() {
    let mut sale = new_sale();
    let refused = MonimeError::Validation {
        message: "amount is above the limit".into(),
    };
    assert!(sale.handle(Event::CreateFailed(refused), now()).is_empty());
    assert_eq!(sale.record.phase, Phase::Failed);
    assert!(
        sale.status_line().contains("amount is above the limit"),
        "{}",
        sale.status_line()
    );
    let mut sale = new_sale();
    sale.handle(
        Event::CreateFailed(MonimeError::IdempotencyConflict {
            message: "x".into(),
        }),
        now(),
    );
    assert_eq!(sale.record.phase, Phase::Failed);
    // The key was used before: a code from an earlier try may exist.
    assert!(!sale.status_line().contains("Nothing was charged"));
    assert!(sale.status_line().contains("Monime dashboard"));
}

#[test]
fn an_unreachable_create_is_retried_with_backoff() {
    let mut sale = new_sale();
    let mut waits = Vec::new();
    for _ in 0..6 {
        let effects = sale.handle(Event::CreateFailed(network_error()), now());
        let [Effect::CheckAfter(wait)] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        waits.push(wait.as_secs());
        assert_eq!(
            sale.handle(Event::CheckDue, now()),
            vec![Effect::Send(MonimeCall::Create)]
        );
    }
    assert_eq!(waits, vec![1, 2, 4, 8, 8, 8]);
    assert_eq!(sale.record.phase, Phase::CreatingCode);
    assert!(
        sale.status_line().starts_with("Connection lost"),
        "{}",
        sale.status_line()
    );
    sale.handle(Event::Created(code(CodeStatus::Pending)), now());
    assert_eq!(sale.reachability, Reachability::Answering);
    assert_eq!(sale.status_line(), "Waiting for payment");
}

#[test]
fn network_errors_while_following_never_end_the_sale() {
    let mut sale = awaiting();
    let errors = [
        network_error(),
        MonimeError::Timeout {
            after: Duration::from_secs(10),
        },
        MonimeError::Malformed {
            message: "html".into(),
        },
    ];
    for error in errors {
        let effects = sale.handle(Event::CheckFailed(error), now());
        assert!(
            matches!(effects.as_slice(), [Effect::CheckAfter(_)]),
            "{effects:?}"
        );
        assert_eq!(sale.record.phase, Phase::AwaitingPayment);
        assert_eq!(sale.status_line(), "Connection lost, still checking");
    }
    let Reachability::Lost { since, .. } = &sale.reachability else {
        panic!("lost")
    };
    assert_eq!(*since, now());
    // Monime's servers answering with errors: online, but no word on the code.
    let effects = sale.handle(
        Event::CheckFailed(MonimeError::Server {
            status: 502,
            message: String::new(),
        }),
        now(),
    );
    assert!(matches!(effects.as_slice(), [Effect::CheckAfter(_)]));
    assert_eq!(sale.record.phase, Phase::AwaitingPayment);
    assert_eq!(
        sale.status_line(),
        "Monime is having trouble, still checking"
    );
    assert!(matches!(sale.reachability, Reachability::Erring { .. }));
}

#[test]
fn throttling_waits_at_least_retry_after() {
    let mut sale = awaiting();
    let throttled = MonimeError::RateLimited {
        retry_after: Duration::from_secs(5),
        limit: None,
    };
    assert_eq!(
        sale.handle(Event::CheckFailed(throttled), now()),
        vec![Effect::CheckAfter(Duration::from_secs(5))]
    );
}

#[test]
fn a_failed_cancel_is_not_resent_blindly() {
    let mut sale = awaiting();
    sale.handle(Event::CancelPressed, now());
    let effects = sale.handle(Event::CancelFailed(network_error()), now());
    assert_eq!(effects, vec![Effect::CheckAfter(POLL)]);
    assert_eq!(
        sale.handle(Event::CheckDue, now()),
        vec![Effect::Send(MonimeCall::Get)]
    );
    let effects = sale.handle(Event::Checked(code(CodeStatus::Pending)), now());
    assert_eq!(
        effects,
        vec![Effect::Send(MonimeCall::Cancel)],
        "still pending: switch it off"
    );
}

#[test]
fn a_code_for_another_amount_is_switched_off_and_fails() {
    let mut sale = new_sale();
    let mut wrong = code(CodeStatus::Pending);
    wrong.amount = Some(Money::new(Currency::Sle, 99));
    assert_eq!(
        sale.handle(Event::Created(wrong), now()),
        vec![Effect::Send(MonimeCall::Cancel)]
    );
    sale.handle(Event::CancelAnswered(code(CodeStatus::Cancelled)), now());
    assert_eq!(sale.record.phase, Phase::Failed);
    assert!(
        sale.record
            .failure
            .as_deref()
            .unwrap_or("")
            .contains("not Le 12.50")
    );
}

#[test]
fn resumed_sales_pick_up_where_they_stopped() {
    let info = CodeInfo {
        id: "pmc-7".into(),
        ussd_code: "*715#".into(),
        expire_time: None,
    };
    let timing = FIXED;
    let resume = |phase, code: Option<CodeInfo>, owed| {
        let record = SaleRecord {
            phase,
            code,
            ..SaleRecord::new(7, "key-7".into(), request())
        };
        Sale::resume(record, owed, timing).1
    };
    assert_eq!(
        resume(Phase::CreatingCode, None, false),
        vec![Effect::Send(MonimeCall::Create)]
    );
    assert_eq!(
        resume(Phase::Cancelling, None, false),
        vec![Effect::Send(MonimeCall::Create)]
    );
    assert_eq!(
        resume(Phase::AwaitingPayment, Some(info.clone()), false),
        vec![Effect::Send(MonimeCall::Get)]
    );
    assert_eq!(
        resume(Phase::Cancelling, Some(info.clone()), false),
        vec![Effect::Send(MonimeCall::Get)]
    );
    assert_eq!(
        resume(Phase::Paid, Some(info.clone()), true),
        vec![Effect::PrintReceipt]
    );
    assert!(resume(Phase::Paid, Some(info.clone()), false).is_empty());
    assert!(resume(Phase::Expired, Some(info), false).is_empty());
}

#[test]
fn phases_round_trip_through_their_stored_names() {
    for phase in Phase::ALL {
        assert_eq!(Phase::parse(phase.as_str()), Some(phase));
    }
    assert_eq!(Phase::parse("bogus"), None);
}

#[test]
fn adaptive_polling_waits_while_pending_and_hurries_while_processing() {
    let record = SaleRecord::new(7, "key-7".into(), request());
    let (mut sale, _) = Sale::resume(record, false, Timing::new(POLL));
    let effects = sale.handle(Event::Created(code(CodeStatus::Pending)), now());
    assert_eq!(effects, vec![Effect::CheckAfter(POLL * 4)]);
    let later = now() + chrono::Duration::seconds(4);
    assert_eq!(
        sale.handle(Event::CheckDue, later),
        vec![Effect::Send(MonimeCall::Get)]
    );
    let effects = sale.handle(Event::Checked(code(CodeStatus::Processing)), later);
    let [Effect::CheckAfter(wait)] = effects.as_slice() else {
        panic!("a processing code is checked again");
    };
    assert!(
        *wait < POLL,
        "checks saved while pending are spent: {wait:?}"
    );
}
