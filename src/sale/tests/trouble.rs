//! When Monime cannot be read: a code it cannot find ends `Unknown` only after a bound, a
//! refused key is said as such and the code still followed, a cancel that never goes through
//! is given up, and "nothing was charged" is said only on Monime's word.

use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    now() + chrono::Duration::seconds(seconds)
}

fn not_found() -> MonimeError {
    MonimeError::NotFound {
        what: "payment code".into(),
    }
}

fn revoked() -> MonimeError {
    MonimeError::Unauthenticated {
        message: "revoked".into(),
    }
}

#[test]
fn a_code_monime_cannot_find_is_checked_until_the_bound_then_unknown() {
    let mut sale = awaiting();
    let mut waits = Vec::new();
    let mut seconds = 0;
    while seconds < UNKNOWN_AFTER.as_secs() as i64 {
        let effects = sale.handle(Event::CheckFailed(not_found()), at(seconds));
        let [Effect::CheckAfter(wait)] = effects.as_slice() else {
            panic!("at {seconds} s: {effects:?}")
        };
        waits.push(wait.as_secs());
        assert_eq!(sale.record.phase, Phase::AwaitingPayment, "at {seconds} s");
        assert_eq!(
            sale.status_line(),
            "Monime cannot find the code, still checking"
        );
        assert_eq!(
            sale.reachability,
            Reachability::Answering,
            "Monime answered"
        );
        seconds += wait.as_secs() as i64;
        assert_eq!(
            sale.handle(Event::CheckDue, at(seconds)),
            vec![Effect::Send(MonimeCall::Get)]
        );
    }
    assert_eq!(&waits[..5], &[1, 2, 4, 8, 8], "the usual backoff");
    assert!(
        sale.handle(Event::CheckFailed(not_found()), at(seconds))
            .is_empty()
    );
    assert_eq!(sale.record.phase, Phase::Unknown);
    assert!(sale.is_final());
    assert_eq!(Phase::Unknown.as_str(), "unknown");
    let line = sale.status_line();
    assert!(
        line.contains("pmc-7") && line.contains("Check the Monime dashboard"),
        "{line}"
    );
    assert!(!line.contains("charged"), "{line}");
}

#[test]
fn a_code_found_again_starts_the_bound_afresh() {
    let mut sale = awaiting();
    sale.handle(Event::CheckFailed(not_found()), at(0));
    sale.handle(Event::CheckFailed(network_error()), at(60));
    sale.handle(Event::Checked(code(CodeStatus::Pending)), at(100));
    assert_eq!(sale.not_found_since, None);
    sale.handle(Event::CheckFailed(not_found()), at(130));
    assert_eq!(sale.record.phase, Phase::AwaitingPayment, "30 s, not 130");
    sale.handle(Event::CheckFailed(not_found()), at(250));
    assert_eq!(sale.record.phase, Phase::Unknown);
}

#[test]
fn a_404_on_cancel_is_no_failure_either() {
    let mut sale = awaiting().with_bounds(Bounds::SETTLING);
    sale.handle(Event::CancelPressed, at(0));
    let effects = sale.handle(Event::CancelFailed(not_found()), at(1));
    assert!(matches!(effects.as_slice(), [Effect::CheckAfter(_)]));
    assert_eq!(sale.record.phase, Phase::Cancelling);
    assert_eq!(
        sale.status_line(),
        "Cancelling; Monime cannot find the code, still trying"
    );
    sale.handle(Event::CheckFailed(not_found()), at(121));
    assert_eq!(sale.record.phase, Phase::Unknown);
}

#[test]
fn a_refused_key_is_said_and_the_code_still_followed_slowly() {
    let mut sale = awaiting();
    for error in [
        revoked(),
        MonimeError::Forbidden {
            message: "not this space".into(),
        },
    ] {
        let effects = sale.handle(Event::CheckFailed(error), now());
        assert_eq!(effects, vec![Effect::CheckAfter(KEY_REFUSED_RECHECK)]);
        assert_eq!(sale.record.phase, Phase::AwaitingPayment);
        assert_eq!(
            sale.status_line(),
            "Monime refused this terminal's key. Call the technician."
        );
        assert!(!sale.status_line().contains("onnection"));
        assert!(
            matches!(&sale.reachability, Reachability::KeyRefused { message, .. } if message.contains("refused")),
            "{:?}",
            sale.reachability
        );
    }
    sale.handle(Event::Checked(code(CodeStatus::Processing)), now());
    sale.handle(Event::CheckFailed(revoked()), now());
    assert_eq!(
        sale.status_line(),
        "Payment in progress. Monime refused this terminal's key. Call the technician."
    );
    // The key was fixed; the customer had paid meanwhile.
    sale.handle(Event::Checked(code(CodeStatus::Completed)), now());
    assert_eq!(sale.record.phase, Phase::Paid);
    assert_eq!(sale.reachability, Reachability::Answering);
}

#[test]
fn a_refused_key_on_create_is_no_refusal_of_the_code() {
    let mut sale = new_sale();
    let effects = sale.handle(Event::CreateFailed(revoked()), now());
    assert_eq!(effects, vec![Effect::CheckAfter(KEY_REFUSED_RECHECK)]);
    assert_eq!(sale.record.phase, Phase::CreatingCode);
    assert_eq!(
        sale.handle(Event::CheckDue, now()),
        vec![Effect::Send(MonimeCall::Create)],
        "an earlier try may have made the code: the same key is sent again"
    );
}

#[test]
fn a_cancel_monime_never_confirms_is_given_up_after_the_bound() {
    let mut sale = awaiting();
    assert_eq!(sale.deadline(), None);
    sale.handle(Event::CancelPressed, at(0));
    let limit = CANCEL_GIVES_UP_AFTER.as_secs() as i64;
    assert_eq!(sale.deadline(), Some(at(limit)));
    sale.handle(Event::CancelFailed(network_error()), at(2));
    sale.handle(Event::CheckFailed(revoked()), at(10));
    assert_eq!(sale.status_line(), format!("Cancelling. {KEY_REFUSED}"));
    sale.handle(Event::Checked(code(CodeStatus::Pending)), at(20));
    assert!(
        sale.handle(Event::DeadlinePassed, at(limit - 1)).is_empty(),
        "not yet"
    );
    assert!(!sale.is_done());
    assert!(sale.handle(Event::DeadlinePassed, at(limit)).is_empty());
    assert!(sale.left_for_recover && sale.is_done() && !sale.is_final());
    assert_eq!(
        sale.record.phase,
        Phase::Cancelling,
        "unsettled, for recover"
    );
    assert_eq!(
        sale.status_line(),
        "Cancel not confirmed; the sale is left for recover"
    );
    assert_eq!(sale.deadline(), None);
    assert!(
        sale.handle(Event::Checked(code(CodeStatus::Cancelled)), at(limit + 1))
            .is_empty()
    );
    assert_eq!(sale.record.phase, Phase::Cancelling, "no longer driven");
}

#[test]
fn a_late_failure_gives_up_as_well_and_settling_never_does() {
    let mut sale = new_sale();
    sale.handle(Event::CancelPressed, at(0));
    sale.handle(Event::CreateFailed(network_error()), at(31));
    assert!(sale.left_for_recover, "waiting on a create counts too");

    let mut settling = awaiting().with_bounds(Bounds::SETTLING);
    settling.handle(Event::CancelPressed, at(0));
    assert_eq!(settling.deadline(), None);
    settling.handle(Event::CancelFailed(network_error()), at(3600));
    assert!(!settling.is_done(), "recover keeps trying");
}

#[test]
fn the_cancel_clock_stops_while_a_payment_is_in_progress() {
    let mut sale = awaiting();
    sale.handle(Event::CancelPressed, at(0));
    sale.handle(Event::CancelAnswered(code(CodeStatus::Processing)), at(1));
    assert_eq!(sale.deadline(), None, "the cancel waits for the outcome");
    sale.handle(Event::Checked(code(CodeStatus::Processing)), at(100));
    assert!(!sale.is_done());
    // The payment fell through: switching off again, with a fresh bound.
    sale.handle(Event::Checked(code(CodeStatus::Pending)), at(200));
    assert_eq!(sale.record.phase, Phase::Cancelling);
    assert_eq!(
        sale.deadline(),
        Some(at(200 + CANCEL_GIVES_UP_AFTER.as_secs() as i64))
    );
}

#[test]
fn nothing_was_charged_only_on_monimes_word() {
    let refusals = [
        MonimeError::Validation {
            message: "amount is above the limit".into(),
        },
        MonimeError::Rejected {
            status: 405,
            message: "method".into(),
        },
    ];
    for refusal in refusals {
        let mut sale = new_sale();
        sale.handle(Event::CreateFailed(refusal), now());
        assert_eq!(sale.record.phase, Phase::Failed);
        assert!(
            sale.status_line().ends_with(". Nothing was charged."),
            "{}",
            sale.status_line()
        );
    }
    // A key used before: see `a_refused_create_fails_in_monimes_words`.
    // No clear answer: the create goes again, nothing is concluded.
    for unclear in [
        not_found(),
        MonimeError::Malformed {
            message: "html".into(),
        },
        MonimeError::Rejected {
            status: 302,
            message: "moved".into(),
        },
    ] {
        let mut sale = new_sale();
        let effects = sale.handle(Event::CreateFailed(unclear.clone()), now());
        assert!(
            matches!(effects.as_slice(), [Effect::CheckAfter(_)]),
            "{unclear:?}"
        );
        assert_eq!(sale.record.phase, Phase::CreatingCode, "{unclear:?}");
        assert!(sale.record.failure.is_none());
    }
    // Monime switched off a code for the wrong amount: its word.
    let mut sale = new_sale();
    let mut wrong = code(CodeStatus::Pending);
    wrong.amount = Some(Money::new(Currency::Sle, 99));
    sale.handle(Event::Created(wrong), now());
    sale.handle(Event::CancelAnswered(code(CodeStatus::Cancelled)), now());
    assert!(sale.status_line().ends_with("Nothing was charged."));
}

#[test]
fn the_receipt_amount_is_what_monime_says_was_paid() {
    let mut sale = awaiting();
    assert_eq!(sale.record.paid_amount(), Money::new(Currency::Sle, 1250));
    let mut completed = code(CodeStatus::Completed);
    completed.payment = Some(ProcessedPayment {
        amount: Some(Money::new(Currency::Sle, 1200)),
        ..ProcessedPayment::default()
    });
    sale.handle(Event::Checked(completed), now());
    assert_eq!(sale.record.paid_amount(), Money::new(Currency::Sle, 1200));
}
