//! The shop: the terminal's operations, each with all its rules in one place. Starting a sale
//! (its limit, its cashier, its order, its payer), following and cancelling it, refunding it,
//! reprinting, the reports, closing the day with Monime's check, reconciling and restoring,
//! exporting, the test page, asking Monime, choosing the language.
//!
//! The screen's worker (`ui`), the control socket (`control`) and the command line (`cli`) are
//! translators onto these methods: they turn a tap, a socket line or an argument into a call,
//! and the answer into pixels or text. A new operation is one method here and a small
//! translator in each of them.
//!
//! `terminal` builds a `Shop` from the configuration and hands it its `ShopSettings`; nothing
//! here reads the configuration file.

mod books;
mod printing;
mod refunding;
mod selling;
mod settings;
mod updating;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::controller::{SaleWatch, Services};
use crate::journal::{Journal, JournalError, OwnerLock, StoredSale};
use crate::lang::{Language, SharedLanguage};
use crate::monime::MonimeError;
use crate::printer::PrinterHandle;
use crate::simulator::SimulatorHandle;

pub use books::CloseError;
pub use printing::PrintingError;
pub use refunding::{RefundError, RefundOffer, RefundOutlook, RefundRequest};
pub use selling::{DEMO_PAYMENT_TAKES, StartError};
pub use settings::{ScreenSettings, ShopSettings};
pub use updating::RESTART_WITHIN;

/// A running terminal's operations, over what it was built with.
pub struct Shop {
    settings: ShopSettings,
    services: Services,
    /// The printer queue, when the terminal has a printer.
    printer: Option<PrinterHandle>,
    /// The built-in simulator in demo mode; it serves as long as this lives.
    simulator: Option<SimulatorHandle>,
    /// The language of the screen and the paper: the one chosen on the admin screen (kept in
    /// the journal), else the configuration's. The printer queue shares it.
    language: SharedLanguage,
    /// Where a damaged journal was moved when this terminal opened; a fresh one took its place.
    journal_moved_aside: Option<PathBuf>,
    /// Held while this process owns the journal and the printer.
    _owner: Option<OwnerLock>,
    /// The screen, when there is one: sales started by a command are shown there.
    screen: OnceLock<mpsc::UnboundedSender<SaleWatch>>,
    /// The refunds this process is driving, so that none is driven twice.
    refunds_driven: refunding::DrivenRefunds,
    /// A cashier is signed in at the screen (for the metrics: a count, never a name).
    cashier_signed_in: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// When this process restarts for an update at the latest, once one was asked for.
    restart_by: std::sync::Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
}

/// What `terminal` opened, for `Shop::new`.
pub struct ShopParts {
    pub settings: ShopSettings,
    pub services: Services,
    pub printer: Option<PrinterHandle>,
    pub simulator: Option<SimulatorHandle>,
    pub language: SharedLanguage,
    pub journal_moved_aside: Option<PathBuf>,
    pub owner: Option<OwnerLock>,
}

impl Shop {
    pub fn new(parts: ShopParts) -> Shop {
        Shop {
            settings: parts.settings,
            services: parts.services,
            printer: parts.printer,
            simulator: parts.simulator,
            language: parts.language,
            journal_moved_aside: parts.journal_moved_aside,
            _owner: parts.owner,
            screen: OnceLock::new(),
            refunds_driven: Default::default(),
            cashier_signed_in: Default::default(),
            restart_by: Default::default(),
        }
    }

    /// Whether a cashier is signed in at the screen: the screen sets it, the metrics read it.
    pub fn cashier_presence(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        std::sync::Arc::clone(&self.cashier_signed_in)
    }

    /// What sales run on, to change before the first sale: the benchmarks compare polling
    /// strategies and reach their simulator through a certificate only they trust.
    pub fn services_mut(&mut self) -> &mut Services {
        &mut self.services
    }

    pub fn settings(&self) -> &ShopSettings {
        &self.settings
    }

    /// What every sale runs on: the Monime client, the journal, the timing, the receipts.
    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn journal(&self) -> &Journal {
        &self.services.journal
    }

    /// The time sales are filed under (Monime's, when this terminal's clock is off).
    pub fn clock(&self) -> &Clock {
        self.services.clock()
    }

    pub fn printer(&self) -> Option<&PrinterHandle> {
        self.printer.as_ref()
    }

    /// Whether the terminal sells against its built-in simulator.
    pub fn is_demo(&self) -> bool {
        self.simulator.is_some()
    }

    /// The language of the screen and the next receipt.
    pub fn language(&self) -> Language {
        self.language.get()
    }

    /// Where a damaged journal was kept aside when this terminal opened.
    pub fn journal_moved_aside(&self) -> Option<&Path> {
        self.journal_moved_aside.as_deref()
    }

    /// Switches the screen and the paper to `language` at once, and keeps the choice in the
    /// journal for the next start. The switch stands even when the journal cannot keep it.
    pub async fn choose_language(&self, language: Language) -> Result<(), JournalError> {
        self.language.set(language);
        self.journal()
            .call(move |journal| journal.choose_language(language))
            .await
    }

    /// Asks Monime anything (the first page of codes): whether it answers, accepts the key,
    /// and what time it is.
    pub async fn check_monime(&self) -> Result<(), MonimeError> {
        self.services.client.check().await
    }

    /// The newest `limit` sales, newest first.
    pub async fn recent_sales(&self, limit: usize) -> Result<Vec<StoredSale>, JournalError> {
        self.journal()
            .call(move |journal| journal.recent(limit))
            .await
    }

    /// One sale as the journal holds it.
    pub async fn sale(&self, number: i64) -> Result<Option<StoredSale>, JournalError> {
        self.journal()
            .call(move |journal| journal.sale(number))
            .await
    }
}
