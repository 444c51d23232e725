//! Refunding: money sent back to a paid sale's payer, as a Monime payout, whoever asks (the
//! screen's History or a technician's `refund`), under the same rules, in two steps:
//!
//! 1. `prepare_refund` checks everything the terminal can check itself, in this order, and
//!    sends nothing: refunds are on; the PIN is the admin's or a cashier's with `can_refund`;
//!    the sale is paid; the amount (all that is left, unless given) fits what is left of the
//!    sale and of the day's limit; the typed number is a whole one and agrees with the digits
//!    Monime showed of the payer's (the payer's proof, else the code's processed payment data;
//!    where nothing is known, only the admin goes on); the provider is the payment's. Then it
//!    asks the provider, through Monime, whose number it is, and gives the quote: "Send
//!    Le 12.50 to AMINATA KAMARA, Orange Money 077 ··· 456? Monime's fee: Le 0.50".
//! 2. `refund`, once the quote is confirmed, writes the refund with its key (the limits
//!    checked again in that same write) and sends it. Nothing moves before that.
//!
//! Unsettled refunds are settled by `settle_refunds` (at the screen's start, by `recover`),
//! never driven twice in one process.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::Shop;
use crate::clock::{day_bounds, local_zone};
use crate::config::{RefundPinRefusal, refunder_of_pin};
use crate::controller::{self, RefundHandle, Services};
use crate::journal::{JournalError, RefundBlocked, StoredRefund, StoredSale};
use crate::money::Money;
use crate::monime::{MOMO_PROVIDERS, MonimeError, provider_name};
use crate::refund::{
    FeeQuote, FullNumber, LimitRefusal, MaskedNumber, NewRefund, NumberError, Refund, RefundQuote,
    RefundStanding, Refunder,
};
use crate::sale::Phase;

/// What someone asked to send back, as the screen or the command line took it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub sale: i64,
    /// `None`: all that is left of the sale.
    pub amount: Option<Money>,
    /// The payer's whole number, as typed.
    pub phone: String,
    /// The admin PIN, or the PIN of a cashier allowed to refund.
    pub pin: String,
}

impl fmt::Debug for RefundRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefundRequest")
            .field("sale", &self.sale)
            .field("amount", &self.amount)
            .field("phone", &FullNumber::parse(&self.phone).map(|n| n.shown()))
            .field("pin", &"****")
            .finish()
    }
}

/// A refund checked and quoted, waiting for the confirmation; only `prepare_refund` makes one,
/// and only `refund` sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOffer {
    quote: RefundQuote,
    new: NewRefund,
}

impl RefundOffer {
    /// What will be sent, to whom, and Monime's fee: to show before anything moves.
    pub fn quote(&self) -> &RefundQuote {
        &self.quote
    }

    /// Who is refunding.
    pub fn refunder(&self) -> &Refunder {
        &self.new.refunder
    }
}

/// Where a paid sale stands for a refund, shown before anything is typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutlook {
    pub sale: i64,
    /// What the customer paid (Monime's figure where it gave one).
    pub paid: Money,
    /// What may still go back: the sale's refunds done, under way or not known are counted.
    pub left: Money,
    /// The payer's number as Monime showed it, `076 ··· 456`, when the terminal knows it.
    pub payer_shown: Option<String>,
    /// The payer's provider by name, when the terminal knows it.
    pub provider: Option<String>,
}

/// Why a refund was not prepared or not sent. Nothing was sent to the payer in any case.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error(
        "refunds are off on this terminal: [refunds] enabled = true (with a daily_limit) turns them on"
    )]
    Off,
    #[error("that PIN is neither the admin PIN nor a cashier's")]
    WrongPin,
    #[error(
        "{cashier} may not refund: the admin PIN does, or a cashier with can_refund = true in [[cashiers]]"
    )]
    NotAllowed { cashier: String },
    #[error("there is no sale {0} in the journal")]
    NoSuchSale(i64),
    #[error("sale {sale} was not paid ({}), so there is nothing to send back", .phase.label())]
    NotPaid { sale: i64, phase: Phase },
    #[error(transparent)]
    Limit(LimitRefusal),
    #[error(transparent)]
    Number(NumberError),
    #[error(
        "{typed} is not the number that paid sale {sale} (Monime showed {known}): check the number with the customer"
    )]
    NotThePayer {
        sale: i64,
        typed: String,
        known: String,
    },
    #[error(
        "the terminal does not know which number paid sale {sale}, so the number cannot be checked: only the admin PIN may send it"
    )]
    PayerNotKnown { sale: i64 },
    #[error(
        "the terminal does not know which provider paid sale {sale}, and {number} has an account with more than one"
    )]
    ProviderNotKnown { sale: i64, number: String },
    #[error("{provider} has no account for {number}: check the number with the customer")]
    NoAccount { provider: String, number: String },
    #[error("Monime could not be asked whose number {number} is ({error}); try again")]
    NotChecked { number: String, error: MonimeError },
    #[error(transparent)]
    Journal(#[from] JournalError),
}

impl From<RefundBlocked> for RefundError {
    fn from(blocked: RefundBlocked) -> RefundError {
        match blocked {
            RefundBlocked::NoSuchSale(sale) => RefundError::NoSuchSale(sale),
            RefundBlocked::NotPaid { sale, phase } => RefundError::NotPaid { sale, phase },
            RefundBlocked::Limit(refusal) => RefundError::Limit(refusal),
        }
    }
}

/// The refunds this process drives, by number, each with its state; a refund whose task has
/// ended has dropped its sender.
pub(super) type DrivenRefunds = Arc<Mutex<HashMap<i64, watch::Receiver<Refund>>>>;

/// What the terminal knows of the payer of a sale.
struct KnownPayer {
    number: Option<MaskedNumber>,
    provider: Option<String>,
}

impl KnownPayer {
    /// From the payer's proof (Monime's payment: its masked `channel.phoneNumber` and its
    /// provider) where the sale has it, else from the code's processed payment data (its
    /// masked account and provider), each where it says anything.
    fn of(sale: &StoredSale) -> KnownPayer {
        let proof = sale.proof.as_ref();
        let payment = sale.record.payment.as_ref();
        let number = proof
            .and_then(|proof| proof.masked_number.as_deref())
            .and_then(MaskedNumber::parse)
            .or_else(|| {
                payment
                    .and_then(|payment| payment.account_id.as_deref())
                    .and_then(MaskedNumber::parse)
            });
        let provider = proof
            .and_then(|proof| proof.provider_id.clone())
            .or_else(|| payment.and_then(|payment| payment.provider_id.clone()))
            .filter(|provider| MOMO_PROVIDERS.contains(&provider.as_str()));
        KnownPayer { number, provider }
    }
}

impl Shop {
    /// Who `pin` is, if they may refund here.
    pub fn refunder(&self, pin: &str) -> Result<Refunder, RefundError> {
        let screen = &self.settings.screen;
        refunder_of_pin(pin, &screen.admin_pin, &screen.cashiers).map_err(|refusal| match refusal {
            RefundPinRefusal::Unknown => RefundError::WrongPin,
            RefundPinRefusal::NotAllowed(cashier) => RefundError::NotAllowed { cashier },
        })
    }

    /// Checks `request` against every rule, asks the provider whose number it is, and quotes
    /// the refund. Nothing is sent.
    pub async fn prepare_refund(
        &self,
        request: &RefundRequest,
    ) -> Result<RefundOffer, RefundError> {
        let policy = self.settings.refunds;
        if !policy.enabled {
            return Err(RefundError::Off);
        }
        let refunder = self.refunder(&request.pin)?;
        let sale_number = request.sale;
        let (sale, standing) = self.paid_standing(sale_number).await?;
        let amount = request.amount.unwrap_or_else(|| standing.left());
        standing
            .check(amount, policy.daily_limit_minor)
            .map_err(RefundError::Limit)?;
        let phone = FullNumber::parse(&request.phone).map_err(RefundError::Number)?;
        let known = KnownPayer::of(&sale);
        match &known.number {
            Some(masked) if !masked.admits(&phone) => {
                return Err(RefundError::NotThePayer {
                    sale: sale_number,
                    typed: phone.shown(),
                    known: masked.shown(),
                });
            }
            Some(_) => {}
            None if refunder != Refunder::Admin => {
                return Err(RefundError::PayerNotKnown { sale: sale_number });
            }
            None => {}
        }
        let (provider_id, holder_name) = self.whose_number(&sale, known.provider, &phone).await?;
        let fee = match policy.fee_minor {
            Some(minor) => FeeQuote::Configured(Money::new(amount.currency, minor)),
            None => {
                let currency = amount.currency;
                self.journal()
                    .call(move |journal| journal.last_refund_fee(currency))
                    .await?
                    .map_or(FeeQuote::NotKnown, FeeQuote::LastRefund)
            }
        };
        let left_after = Money::new(amount.currency, standing.left().minor - amount.minor);
        Ok(RefundOffer {
            quote: RefundQuote {
                sale: sale_number,
                amount,
                left_after,
                provider_id: provider_id.clone(),
                phone_shown: phone.shown(),
                holder_name: holder_name.clone(),
                fee,
            },
            new: NewRefund {
                sale: sale_number,
                amount,
                provider_id,
                phone,
                holder_name,
                refunder,
                terminal_id: self.settings.terminal_id().to_string(),
                source_account: self.settings.code_shape.financial_account.clone(),
            },
        })
    }

    /// Where paid sale `sale` stands for a refund: what was paid, what is left, and what the
    /// terminal knows of the payer; for the screen, before anything is typed.
    pub async fn refund_outlook(&self, sale: i64) -> Result<RefundOutlook, RefundError> {
        if !self.settings.refunds.enabled {
            return Err(RefundError::Off);
        }
        let (sale, standing) = self.paid_standing(sale).await?;
        let known = KnownPayer::of(&sale);
        Ok(RefundOutlook {
            sale: sale.record.number,
            paid: standing.paid,
            left: standing.left(),
            payer_shown: known.number.as_ref().map(MaskedNumber::shown),
            provider: known.provider.map(|id| provider_name(&id).to_string()),
        })
    }

    /// Paid sale `sale` and where it stands for refunds today.
    async fn paid_standing(&self, sale: i64) -> Result<(StoredSale, RefundStanding), RefundError> {
        let day = self.refund_day().await;
        let (stored, standing) = self
            .journal()
            .call(move |journal| journal.refund_standing(sale, day))
            .await?
            .ok_or(RefundError::NoSuchSale(sale))?;
        match stored.record.phase {
            Phase::Paid => Ok((stored, standing)),
            phase => Err(RefundError::NotPaid { sale, phase }),
        }
    }

    /// Sends the confirmed `offer`: written to the journal with its idempotency key (the
    /// limits checked again in that write), then its payout created. Follow it on the handle.
    pub async fn refund(&self, offer: RefundOffer) -> Result<RefundHandle, RefundError> {
        let policy = self.settings.refunds;
        if !policy.enabled {
            return Err(RefundError::Off);
        }
        let day = self.refund_day().await;
        let handle =
            controller::start_refund(&self.services, offer.new, policy.daily_limit_minor, day)
                .await??;
        crate::sync::lock(&self.refunds_driven).insert(handle.number(), handle.updates.clone());
        Ok(handle)
    }

    /// Takes up every refund the journal holds unsettled (or whose receipt is owed) that this
    /// process is not already driving, and gives the state of each unsettled one, to follow to
    /// its end.
    pub async fn settle_refunds(&self) -> Result<Vec<watch::Receiver<Refund>>, JournalError> {
        settle(&self.services, &self.refunds_driven).await
    }

    /// `settle_refunds` on its own task, for a terminal starting up.
    pub fn settle_refunds_in_background(&self) {
        let services = self.services.clone();
        let driven = Arc::clone(&self.refunds_driven);
        tokio::spawn(async move {
            if let Err(error) = settle(&services, &driven).await {
                tracing::error!(%error, "cannot read the unsettled refunds");
            }
        });
    }

    /// The refunds of sale `sale`, oldest first.
    pub async fn refunds_of_sale(&self, sale: i64) -> Result<Vec<StoredRefund>, JournalError> {
        self.journal()
            .call(move |journal| journal.refunds_of_sale(sale))
            .await
    }

    /// One refund as the journal holds it.
    pub async fn stored_refund(&self, number: i64) -> Result<Option<StoredRefund>, JournalError> {
        self.journal()
            .call(move |journal| journal.refund(number))
            .await
    }

    /// Today's bounds (Monime's today when this terminal's clock is wrong), which the daily
    /// limit counts over.
    async fn refund_day(&self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        controller::learn_the_time(&self.services).await;
        day_bounds(self.clock().today(), local_zone())
    }

    /// The provider of `phone` and its holder's name: the payment's provider, asked whose
    /// number it is; where the payment names none, each provider asked, and the one that knows
    /// the number taken.
    async fn whose_number(
        &self,
        sale: &StoredSale,
        provider: Option<String>,
        phone: &FullNumber,
    ) -> Result<(String, Option<String>), RefundError> {
        let client = &self.services.client;
        let shown = phone.shown();
        let ask = |provider: String| async move {
            match client.provider_kyc(&provider, phone.as_str()).await {
                Ok(found) => Ok((provider, found)),
                Err(error) => Err(RefundError::NotChecked {
                    number: phone.shown(),
                    error,
                }),
            }
        };
        if let Some(provider) = provider {
            let (provider, found) = ask(provider).await?;
            return match found {
                Some(kyc) => Ok((provider, kyc.holder_name)),
                None => Err(RefundError::NoAccount {
                    provider: provider_name(&provider).to_string(),
                    number: shown,
                }),
            };
        }
        let mut holders = Vec::new();
        for provider in MOMO_PROVIDERS {
            let (provider, found) = ask(provider.to_string()).await?;
            if let Some(kyc) = found {
                holders.push((provider, kyc.holder_name));
            }
        }
        match holders.len() {
            1 => Ok(holders.remove(0)),
            0 => Err(RefundError::NoAccount {
                provider: MOMO_PROVIDERS.map(provider_name).join(" or "),
                number: shown,
            }),
            _ => Err(RefundError::ProviderNotKnown {
                sale: sale.record.number,
                number: shown,
            }),
        }
    }
}

/// Resumes the unsettled refunds `driven` does not already drive; returns the state of every
/// unsettled one.
async fn settle(
    services: &Services,
    driven: &DrivenRefunds,
) -> Result<Vec<watch::Receiver<Refund>>, JournalError> {
    let unsettled = services
        .journal
        .call(|journal| journal.unsettled_refunds())
        .await?;
    let mut states = Vec::new();
    let mut driven = crate::sync::lock(driven);
    // A refund whose task has ended (its sender dropped) is driven no more.
    driven.retain(|_, updates| updates.has_changed().is_ok());
    for stored in unsettled {
        let number = stored.record.number;
        let updates = match driven.get(&number) {
            Some(updates) => updates.clone(),
            None => {
                let handle = controller::resume_refund(services, stored);
                driven.insert(number, handle.updates.clone());
                handle.updates
            }
        };
        states.push(updates);
    }
    Ok(states)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::PayerProof;
    use crate::money::Currency;
    use crate::monime::{NewPaymentCode, ProcessedPayment};
    use crate::sale::SaleRecord;

    fn paid(payment: ProcessedPayment, proof: Option<PayerProof>) -> StoredSale {
        let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, 500));
        let mut record = SaleRecord::new(4, "key-4".into(), request);
        record.phase = Phase::Paid;
        record.payment = Some(payment);
        StoredSale {
            proof,
            ..StoredSale::for_test(record)
        }
    }

    fn proof(number: Option<&str>, provider: Option<&str>) -> PayerProof {
        PayerProof {
            payment_id: "pay-1".into(),
            provider_id: provider.map(str::to_string),
            reference: Some("MP1".into()),
            masked_number: number.map(str::to_string),
            fingerprint: None,
            fees: Vec::new(),
        }
    }

    #[test]
    fn the_payers_proof_comes_first_then_the_codes_payment_data() {
        let from_code = ProcessedPayment {
            provider_id: Some("m17".into()),
            account_id: Some("+23276***456".into()),
            ..Default::default()
        };
        let typed = |text: &str| FullNumber::parse(text).expect("number");
        let known = KnownPayer::of(&paid(from_code.clone(), None));
        assert!(
            known
                .number
                .as_ref()
                .is_some_and(|n| n.admits(&typed("076123456")))
        );
        assert_eq!(known.provider.as_deref(), Some("m17"));

        let proven = paid(
            from_code.clone(),
            Some(proof(Some("+23277***999"), Some("m18"))),
        );
        let known = KnownPayer::of(&proven);
        let number = known.number.expect("the proof's number");
        assert!(number.admits(&typed("077123999")) && !number.admits(&typed("076123456")));
        assert_eq!(known.provider.as_deref(), Some("m18"));

        // A proof that says nothing of the number leaves it to the code's data.
        let silent = KnownPayer::of(&paid(from_code, Some(proof(None, None))));
        assert!(silent.number.is_some_and(|n| n.admits(&typed("076123456"))));
        assert_eq!(silent.provider.as_deref(), Some("m17"));

        let nothing = KnownPayer::of(&paid(ProcessedPayment::default(), None));
        assert!(nothing.number.is_none() && nothing.provider.is_none());
        let not_momo = ProcessedPayment {
            provider_id: Some("bank-1".into()),
            ..Default::default()
        };
        assert!(KnownPayer::of(&paid(not_momo, None)).provider.is_none());
    }
}
