//! What the shop and its screen need to know of the configuration, built once by `terminal`
//! and handed out: the operations read these, never the configuration file.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Cashier;
use crate::money::{Currency, CurrencyStyle};
use crate::order::{Item, TipOffer};
use crate::printer::ReceiptStyle;
use crate::qr::QrPayload;
use crate::refund::RefundPolicy;
use crate::sale::CodeShape;

/// The operations' settings.
#[derive(Debug, Clone)]
pub struct ShopSettings {
    pub currency: Currency,
    pub currency_style: CurrencyStyle,
    /// The largest amount a sale may be, in minor units.
    pub max_amount_minor: i64,
    /// How this terminal's codes look at Monime.
    pub code_shape: CodeShape,
    /// What the QR code of a payment code carries.
    pub qr_payload: QrPayload,
    /// Where the Monime key was read from: said wherever Monime refuses it.
    pub token_origin: String,
    /// Ring the printer's buzzer when a sale is paid.
    pub chime_when_paid: bool,
    /// The socket a technician's commands reach this terminal on.
    pub control_socket: PathBuf,
    /// How receipts and reports look, in English: the command line's paper. The printer queue
    /// has its own copy in the language chosen.
    pub receipt_style: ReceiptStyle,
    /// Whether and within what money is sent back (`[refunds]`); who may is in `screen`'s
    /// admin PIN and cashiers.
    pub refunds: RefundPolicy,
    /// Where the Prometheus metrics go (`[metrics]`).
    pub metrics: crate::config::MetricsTarget,
    pub screen: ScreenSettings,
}

impl ShopSettings {
    pub fn terminal_id(&self) -> &str {
        &self.code_shape.terminal_id
    }
}

/// The touchscreen's settings.
#[derive(Debug, Clone)]
pub struct ScreenSettings {
    pub merchant_name: String,
    pub admin_pin: String,
    /// Seconds the paid screen stays before the next sale; `None` waits for New sale.
    pub paid_screen_secs: Option<u32>,
    /// Who may sign in; empty: no sign-in, sales carry no cashier.
    pub cashiers: Vec<Cashier>,
    /// A signed-in cashier idle this long is signed out; `None` never.
    pub idle_sign_out: Option<Duration>,
    /// The item keys; empty: the keypad alone.
    pub items: Vec<Item>,
    pub tips: TipOffer,
    /// How long the keypad waits untouched before the screen rests; `None` never.
    pub screen_idle: Option<Duration>,
}
