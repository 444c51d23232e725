//! The refund screen's sentences: its steps, what was typed, the shop's refusals in the
//! screen's words, and a refund in the history. How a refund stands (Refunded, Not sent: …) is
//! the refund's own (`refund::status`), shared with the command line.

use crate::config::RefundPinRefusal;
use crate::journal::StoredRefund;
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::refund::{LimitRefusal, RefundPhase, RefundRecord};
use crate::shop::RefundError;

pub fn refund_title(language: Language, sale: i64) -> String {
    language.trf("Refund sale #{}", &[&sale])
}

/// "Paid Le 20.00 · Le 15.00 left to refund"
pub fn refund_standing(language: Language, paid: &str, left: &str) -> String {
    language.trf("Paid {} · {} left to refund", &[&paid, &left])
}

/// Who paid, as far as Monime showed it: "Paid from Orange Money 076 ··· 456".
pub fn refund_payer(language: Language, provider: Option<&str>, number: Option<&str>) -> String {
    match (provider, number) {
        (Some(provider), Some(number)) => language.trf("Paid from {} {}", &[&provider, &number]),
        (None, Some(shown)) | (Some(shown), None) => language.trf("Paid from {}", &[&shown]),
        (None, None) => language.tr("The paying number is not known").into(),
    }
}

pub fn refund_pin_prompt(language: Language) -> &'static str {
    language.tr("Admin PIN, or your PIN if you may refund")
}

pub fn refund_amount_prompt(language: Language) -> &'static str {
    language.tr("Amount to send back")
}

pub fn refund_number_prompt(language: Language) -> &'static str {
    language.tr("The payer's whole number")
}

pub fn refund_checking(language: Language) -> &'static str {
    language.tr("Checking the number with Monime…")
}

pub fn sending_refund(language: Language) -> &'static str {
    language.tr("Sending the refund")
}

/// The button that fills in all that is left: "All: Le 15.00".
pub fn refund_all(language: Language, left: &str) -> String {
    language.trf("All: {}", &[&left])
}

/// The button that sends: "Send Le 12.50".
pub fn refund_send(language: Language, amount: &str) -> String {
    language.trf("Send {}", &[&amount])
}

/// A phone number as typed, in threes: "076 123 456".
pub fn typed_number(digits: &str) -> String {
    let groups: Vec<String> = digits
        .as_bytes()
        .chunks(3)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect();
    groups.join(" ")
}

pub fn refund_amount_first(language: Language) -> &'static str {
    language.tr("Type the amount to send back")
}

pub fn refund_more_than_left(language: Language, left: &str) -> String {
    language.trf("Only {} is left to refund", &[&left])
}

pub fn refund_pin_refused(language: Language, refusal: &RefundPinRefusal) -> String {
    match refusal {
        RefundPinRefusal::Unknown => super::wrong_pin(language).into(),
        RefundPinRefusal::NotAllowed(cashier) => {
            language.trf("{} may not refund: ask the admin", &[cashier])
        }
    }
}

/// Too many wrong PINs on the refund screen.
pub fn refund_pins_locked(language: Language, minutes: u32) -> String {
    language.trn(
        "Too many wrong PINs: refunds are locked for {n} minute",
        "Too many wrong PINs: refunds are locked for {n} minutes",
        i64::from(minutes),
        &[],
    )
}

/// Why the shop would not check or send a refund, for the screen: short, and saying what to
/// do. The full error goes to the log.
pub fn refund_refused(language: Language, style: CurrencyStyle, error: &RefundError) -> String {
    match error {
        RefundError::Off => language.tr("Refunds are off on this terminal").into(),
        RefundError::WrongPin => super::wrong_pin(language).into(),
        RefundError::NotAllowed { cashier } => {
            refund_pin_refused(language, &RefundPinRefusal::NotAllowed(cashier.clone()))
        }
        RefundError::NoSuchSale(sale) => language.trf("There is no sale #{}", &[sale]),
        RefundError::NotPaid { sale, .. } => {
            language.trf("Sale #{} was not paid: nothing to send back", &[sale])
        }
        RefundError::Limit(refusal) => limit_refused(language, style, refusal),
        RefundError::Number(_) => language
            .tr("Type the payer's whole number, such as 076123456")
            .into(),
        RefundError::NotThePayer { known, .. } => language.trf(
            "That is not the number that paid ({}). Check it with the customer.",
            &[known],
        ),
        RefundError::PayerNotKnown { .. } => language
            .tr("The paying number is not known: only the admin may refund this sale")
            .into(),
        RefundError::ProviderNotKnown { .. } => language
            .tr("This number has more than one provider: refund it from the Monime dashboard")
            .into(),
        RefundError::NoAccount { provider, .. } => language.trf(
            "{} has no account for this number. Check it with the customer.",
            &[provider],
        ),
        RefundError::NotChecked { .. } => language
            .tr("Monime could not check the number. Nothing was sent. Try again.")
            .into(),
        RefundError::Journal(_) => language
            .tr("The journal could not be read. Nothing was sent. Call the technician.")
            .into(),
    }
}

fn limit_refused(language: Language, style: CurrencyStyle, refusal: &LimitRefusal) -> String {
    match refusal {
        LimitRefusal::OtherCurrency { paid, .. } => {
            language.trf("The sale was paid in {}", &[&paid.currency])
        }
        LimitRefusal::NotAnAmount { .. } => refund_amount_first(language).into(),
        LimitRefusal::NothingLeft { .. } => {
            language.tr("All of this sale has been sent back").into()
        }
        LimitRefusal::MoreThanPaid { paid, refunded, .. } => refund_more_than_left(
            language,
            &Money::new(paid.currency, paid.minor - refunded.minor).display(style),
        ),
        LimitRefusal::OverDailyLimit { limit, used, .. } => language.trf(
            "Over today's refund limit: {} of {} already sent back",
            &[&used.display(style), &limit.display(style)],
        ),
    }
}

/// A refund sent, under the result: "Le 12.50 to 077 ··· 456 · refund #3".
pub fn refund_detail(language: Language, record: &RefundRecord, style: CurrencyStyle) -> String {
    language.trf(
        "{} to {} · refund #{}",
        &[
            &record.amount.display(style),
            &record.phone_shown,
            &record.number,
        ],
    )
}

/// A sale's refunds in the history: "Le 5.00 refunded", and any not settled or not known,
/// which the owner must look at; `None` without refunds that moved or may move money.
pub fn history_refunds(
    language: Language,
    refunds: &[&StoredRefund],
    style: CurrencyStyle,
) -> Option<String> {
    let sum = |wanted: fn(RefundPhase) -> bool| -> Option<Money> {
        refunds
            .iter()
            .filter(|refund| wanted(refund.record.phase))
            .map(|refund| refund.record.amount)
            .reduce(|total, amount| Money::new(total.currency, total.minor + amount.minor))
    };
    let mut parts = Vec::new();
    if let Some(done) = sum(|phase| phase == RefundPhase::Completed) {
        parts.push(language.trf("{} refunded", &[&done.display(style)]));
    }
    if let Some(open) = sum(|phase| phase.holds_money() && !phase.is_final()) {
        parts.push(language.trf("{} refund on its way", &[&open.display(style)]));
    }
    if let Some(unknown) = sum(|phase| phase == RefundPhase::Unknown) {
        parts.push(language.trf("{} refund not confirmed", &[&unknown.display(style)]));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}
