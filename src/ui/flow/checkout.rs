//! The sale on screen, from Charge until the cashier moves on: what was asked for, and what the
//! worker has reported of it. The payment, paid and outcome pages all show one.

use crate::money::Money;
use crate::order::Order;
use crate::sale::{CodeInfo, Phase, Sale};

#[derive(Debug, Clone)]
pub struct Checkout {
    /// What Charge asked for, and what it was made of: Try again asks for the same.
    pub amount: Money,
    pub order: Order,
    /// `None` until the worker reports the sale.
    pub sale: Option<Sale>,
    /// The sale could not even be started (the journal refused it): nothing was charged.
    pub start_failure: Option<String>,
}

impl Checkout {
    pub fn new(amount: Money, order: Order) -> Checkout {
        Checkout {
            amount,
            order,
            sale: None,
            start_failure: None,
        }
    }

    /// A sale the worker found or was given rather than one this screen asked for: after a
    /// power cut, or from a technician's command.
    pub fn resumed(sale: Sale) -> Checkout {
        Checkout {
            amount: sale.record.amount(),
            order: Order::default(),
            sale: Some(sale),
            start_failure: None,
        }
    }

    /// Charge was tapped and the worker has not reported the sale yet.
    pub fn waiting(&self) -> bool {
        self.sale.is_none() && self.start_failure.is_none()
    }

    pub fn number(&self) -> Option<i64> {
        self.sale.as_ref().map(|sale| sale.record.number)
    }

    pub fn code(&self) -> Option<&CodeInfo> {
        self.sale.as_ref()?.record.code.as_ref()
    }

    /// What the customer pays; once paid, what Monime says was paid, as the receipt prints it.
    pub fn shown_amount(&self) -> Money {
        match &self.sale {
            Some(sale) if sale.record.phase == Phase::Paid => sale.record.paid_amount(),
            Some(sale) => sale.record.amount(),
            None => self.amount,
        }
    }

    pub fn can_cancel(&self) -> bool {
        match &self.sale {
            Some(sale) => !sale.is_final() && !sale.record.cancel_requested,
            None => false,
        }
    }

    /// The sale ended without Monime's word on the payment: unknown, or a cancel left
    /// unconfirmed.
    pub fn outcome_unsure(&self) -> bool {
        self.start_failure.is_none()
            && self
                .sale
                .as_ref()
                .is_some_and(|sale| sale.left_for_recover || sale.record.phase == Phase::Unknown)
    }

    /// The full text behind the outcome, for the admin screen.
    pub fn problem(&self) -> Option<String> {
        if let Some(failure) = &self.start_failure {
            return Some(failure.clone());
        }
        let sale = self.sale.as_ref()?;
        let failure = sale.record.failure.as_ref()?;
        Some(format!("sale {}: {failure}", sale.record.number))
    }
}
