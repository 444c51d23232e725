//! Selling: a sale starts here, whoever asks (the cashier's Charge, a technician's `charge`),
//! under the same rules: the terminal's limit, a journal with room, one code per sale. The
//! screen follows the sales a command starts; the demo customer pays here.

use std::time::Duration;

use tokio::sync::mpsc;

use super::Shop;
use crate::controller::{self, SaleHandle, SaleWatch};
use crate::journal::JournalError;
use crate::money::Money;
use crate::printer::spooler::Job;
use crate::sale::{Bounds, NewSale, Phase};

/// How long the demo customer's payment takes once they start paying.
pub const DEMO_PAYMENT_TAKES: Duration = Duration::from_secs(2);

/// Why a sale did not start. Nothing was sent to Monime, so nothing was charged.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Above `[kiosk] max_amount`.
    #[error("{amount} is above this terminal's limit of {limit} ([kiosk] max_amount)")]
    AboveLimit { amount: String, limit: String },
    #[error(transparent)]
    Journal(#[from] JournalError),
}

impl Shop {
    /// Starts `sale`, held to `bounds`: checked against the terminal's limit, written to the
    /// journal with its idempotency key, then sent.
    pub async fn start_sale(
        &self,
        sale: NewSale,
        bounds: Bounds,
    ) -> Result<SaleHandle, StartError> {
        self.check_amount(&sale)?;
        let shape = &self.settings.code_shape;
        Ok(controller::start_sale_with(&self.services, bounds, shape, sale).await?)
    }

    /// Whether the terminal takes a sale of this amount (`[kiosk] max_amount`); `start_sale`
    /// asks, and so may a caller before it does anything else.
    pub fn check_amount(&self, sale: &NewSale) -> Result<(), StartError> {
        let settings = &self.settings;
        if sale.amount.minor <= settings.max_amount_minor {
            return Ok(());
        }
        let limit = Money::new(sale.amount.currency, settings.max_amount_minor);
        Err(StartError::AboveLimit {
            amount: sale.amount.display(settings.currency_style),
            limit: limit.display(settings.currency_style),
        })
    }

    /// Takes up every sale the journal holds unsettled (a power cut, a stopped command), each
    /// on its own task, held to `bounds`.
    pub async fn resume_unsettled(&self, bounds: Bounds) -> Result<Vec<SaleHandle>, JournalError> {
        controller::resume_unsettled_with(&self.services, bounds).await
    }

    /// Cancels the code of a sale the running terminal is following, at Monime. The sale's own
    /// checks then see it cancelled (or paid, if the customer was quicker).
    pub async fn cancel_code(&self, code_id: &str) -> Result<(), crate::monime::MonimeError> {
        self.services.client.cancel(code_id).await.map(|_| ())
    }

    /// Rings the printer's buzzer once `sale` is paid, when `[printer] buzzer` is on.
    pub fn chime_when_paid(&self, sale: &SaleWatch) {
        let Some(printer) = self.printer.clone() else {
            return;
        };
        if !self.settings.chime_when_paid {
            return;
        }
        let mut updates = sale.updates.clone();
        tokio::spawn(async move {
            let paid = updates
                .wait_for(|sale| sale.is_done() || sale.record.phase == Phase::Paid)
                .await
                .is_ok_and(|sale| sale.record.phase == Phase::Paid);
            if paid && let Err(error) = printer.print(Job::Chime).await {
                tracing::warn!(%error, "the printer could not chime");
            }
        });
    }

    /// Lets the screen show the sales a command starts; called once, by the screen.
    pub fn attach_screen(&self, screen: mpsc::UnboundedSender<SaleWatch>) {
        let _ = self.screen.set(screen);
    }

    /// Shows a sale a command started on the screen, if there is one.
    pub fn show_on_screen(&self, sale: &SaleHandle) {
        if let Some(screen) = self.screen.get() {
            let _ = screen.send(sale.link());
        }
    }

    /// In demo mode, the customer pays code `code_id`. Outside demo mode there is no customer
    /// to play, and nothing happens.
    pub fn demo_customer_pays(&self, code_id: &str) -> Result<(), String> {
        match &self.simulator {
            Some(simulator) => simulator.pay(code_id, Some(DEMO_PAYMENT_TAKES)).map(|_| ()),
            None => Ok(()),
        }
    }
}
