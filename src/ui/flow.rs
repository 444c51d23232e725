//! The cashier's screens and the moves between them, as plain Rust: taps, keys, the one-second
//! tick and news from the worker come in; the next screen's contents (`View`) and work for the
//! worker (`Action`) come out. The .slint files only draw what `View` says; the sentences in it
//! come from `words`, and `view` makes the `View`.

mod view;

pub use view::{HistoryRow, View};

use super::keypad::{AmountEntry, KeypadKey};
use super::words;
use crate::clock::Clock;
use crate::journal::StoredSale;
use crate::money::{Currency, CurrencyStyle, Money};
use crate::printer::PrinterState;
use crate::sale::{Phase, Reachability, Sale};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Amount,
    Payment,
    Paid,
    /// Expired, cancelled or failed.
    Outcome,
    History,
    AdminPin,
    Admin,
}

/// What the cashier did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Key(KeypadKey),
    Charge,
    Cancel,
    ConfirmCancel,
    KeepWaiting,
    NewSale,
    TryAgain,
    /// Reprint the receipt of the sale on screen.
    ReprintThisSale,
    /// Reprint the receipt of a sale in the history.
    Reprint(i64),
    OpenHistory,
    OpenAdmin,
    Back,
    TestPrint,
    PrintReport,
    CheckNetwork,
    /// Demo mode only: the simulated customer pays the code on screen.
    DemoPay,
}

/// Work for the worker thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    StartSale(Money),
    CancelSale,
    Reprint(i64),
    TestPrint,
    PrintReport,
    LoadHistory,
    CheckNetwork,
    DemoPay(String),
}

/// News from the worker.
#[derive(Debug, Clone)]
pub enum News {
    Sale(Box<Sale>),
    /// An unsettled sale found at start (the power went while its code was on screen).
    Resumed(Box<Sale>),
    /// The sale could not even be started (the journal refused it): nothing was charged.
    StartFailed(String),
    Printer(PrinterState),
    History(Vec<StoredSale>),
    Network {
        ok: bool,
        text: String,
    },
    /// A result worth a line on the screen ("Test page sent", "Printer out of paper").
    Message(String),
    /// The terminal's clock, which follows Monime's time when the local clock is wrong.
    Clock(Clock),
}

/// What does not change while the terminal runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub merchant_name: String,
    pub terminal_id: String,
    pub currency: Currency,
    pub currency_style: CurrencyStyle,
    pub max_amount_minor: i64,
    pub admin_pin: String,
    pub demo: bool,
    /// Seconds the paid screen stays before the next sale; `None` waits for New sale.
    pub paid_screen_secs: Option<u32>,
    pub has_printer: bool,
}

pub struct Flow {
    settings: Settings,
    screen: Screen,
    entry: AmountEntry,
    notice: Option<String>,
    sale: Option<Sale>,
    /// Set from the tap on Charge until the worker reports the sale.
    starting: Option<Money>,
    start_failure: Option<String>,
    last_amount: Option<Money>,
    confirm_cancel: bool,
    seconds_left: Option<u64>,
    paid_for_secs: u32,
    pin: String,
    printer: Option<PrinterState>,
    network: (bool, String),
    history: Vec<StoredSale>,
    /// The highest sale number the worker has reported.
    newest_seen: i64,
    /// Local time until the worker hands over the terminal's clock.
    clock: Clock,
}

const PIN_MAX: usize = 8;

impl Flow {
    pub fn new(settings: Settings) -> Flow {
        Flow {
            entry: AmountEntry::new(settings.currency, settings.max_amount_minor),
            settings,
            screen: Screen::Amount,
            notice: None,
            sale: None,
            starting: None,
            start_failure: None,
            last_amount: None,
            confirm_cancel: false,
            seconds_left: None,
            paid_for_secs: 0,
            pin: String::new(),
            printer: None,
            network: (true, words::monime_not_contacted()),
            history: Vec::new(),
            newest_seen: 0,
            clock: Clock::new(),
        }
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    pub fn intent(&mut self, intent: Intent) -> Vec<Action> {
        self.notice = None;
        match (self.screen, intent) {
            (Screen::Amount, Intent::Key(key)) => {
                if let Err(refusal) = self.entry.press(key) {
                    self.notice = Some(refusal.0);
                }
                Vec::new()
            }
            (Screen::Amount, Intent::Charge) => match self.entry.amount() {
                Some(amount) => self.start(amount),
                None => {
                    self.notice = Some(words::TYPE_AMOUNT_FIRST.into());
                    Vec::new()
                }
            },
            (Screen::Amount, Intent::OpenHistory) => {
                self.screen = Screen::History;
                vec![Action::LoadHistory]
            }
            (Screen::Amount, Intent::OpenAdmin) => {
                self.pin.clear();
                self.screen = Screen::AdminPin;
                Vec::new()
            }
            (Screen::Payment, Intent::Cancel | Intent::Back) => {
                if self.can_cancel() {
                    self.confirm_cancel = true;
                }
                Vec::new()
            }
            (Screen::Payment, Intent::ConfirmCancel) if self.confirm_cancel => {
                self.confirm_cancel = false;
                vec![Action::CancelSale]
            }
            (Screen::Payment, Intent::KeepWaiting) => {
                self.confirm_cancel = false;
                Vec::new()
            }
            (Screen::Payment, Intent::DemoPay) if self.settings.demo => self
                .sale
                .as_ref()
                .and_then(|sale| sale.record.code.as_ref())
                .map(|code| vec![Action::DemoPay(code.id.clone())])
                .unwrap_or_default(),
            (Screen::Paid | Screen::Outcome, Intent::NewSale) => {
                self.new_sale();
                Vec::new()
            }
            (Screen::Paid | Screen::Outcome, Intent::Key(key)) => {
                // Typing starts the next sale at once: no tap on New sale needed.
                self.new_sale();
                self.intent(Intent::Key(key))
            }
            (Screen::Paid, Intent::ReprintThisSale) => self
                .sale
                .as_ref()
                .map(|sale| vec![Action::Reprint(sale.record.number)])
                .unwrap_or_default(),
            (Screen::Outcome, Intent::TryAgain) => match self.last_amount {
                Some(amount) => self.start(amount),
                None => Vec::new(),
            },
            (Screen::History, Intent::Reprint(number)) => vec![Action::Reprint(number)],
            (Screen::AdminPin, Intent::Key(key)) => {
                match key {
                    KeypadKey::Digit(d) if self.pin.len() < PIN_MAX => {
                        self.pin.push(char::from(b'0' + d))
                    }
                    KeypadKey::Backspace => {
                        self.pin.pop();
                    }
                    KeypadKey::Clear => self.pin.clear(),
                    _ => {}
                }
                Vec::new()
            }
            (Screen::AdminPin, Intent::Charge) => {
                if self.pin == self.settings.admin_pin {
                    self.screen = Screen::Admin;
                    self.pin.clear();
                    vec![Action::CheckNetwork]
                } else {
                    self.pin.clear();
                    self.notice = Some(words::WRONG_PIN.into());
                    Vec::new()
                }
            }
            (Screen::Admin, Intent::TestPrint) => vec![Action::TestPrint],
            (Screen::Admin, Intent::PrintReport) => vec![Action::PrintReport],
            (Screen::Admin, Intent::CheckNetwork) => vec![Action::CheckNetwork],
            (Screen::History | Screen::AdminPin | Screen::Admin, Intent::Back) => {
                self.screen = Screen::Amount;
                Vec::new()
            }
            (Screen::Amount, Intent::Back) => {
                self.entry.clear();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A key from a physical keyboard or USB keypad: `text` is what Slint reports (a character,
    /// or its code for Backspace, Enter and Escape). Returns `None` for keys the screen ignores.
    pub fn keyboard(&mut self, text: &str) -> Option<Vec<Action>> {
        const ENTER: &str = "\n";
        const RETURN: &str = "\r";
        const ESCAPE: &str = "\u{1b}";
        let intent = match (self.screen, text) {
            (Screen::Payment, ENTER | RETURN) if self.confirm_cancel => Intent::ConfirmCancel,
            (Screen::Payment, ESCAPE) if self.confirm_cancel => Intent::KeepWaiting,
            (Screen::Payment, ESCAPE) => Intent::Cancel,
            (Screen::Paid, ENTER | RETURN) => Intent::NewSale,
            (Screen::Outcome, ENTER | RETURN) => Intent::TryAgain,
            (Screen::Outcome | Screen::Paid, ESCAPE) => Intent::NewSale,
            (Screen::Amount | Screen::AdminPin, ENTER | RETURN) => Intent::Charge,
            (Screen::Amount, ESCAPE) => Intent::Back,
            (Screen::History | Screen::Admin | Screen::AdminPin, ESCAPE) => Intent::Back,
            (Screen::Payment | Screen::History | Screen::Admin, _) => return None,
            (_, text) => Intent::Key(KeypadKey::parse(text)?),
        };
        Some(self.intent(intent))
    }

    fn start(&mut self, amount: Money) -> Vec<Action> {
        self.screen = Screen::Payment;
        self.sale = None;
        self.start_failure = None;
        self.starting = Some(amount);
        self.last_amount = Some(amount);
        self.confirm_cancel = false;
        self.seconds_left = None;
        vec![Action::StartSale(amount)]
    }

    fn new_sale(&mut self) {
        self.screen = Screen::Amount;
        self.entry.clear();
        self.sale = None;
        self.start_failure = None;
    }

    fn can_cancel(&self) -> bool {
        match &self.sale {
            Some(sale) => !sale.is_final() && !sale.record.cancel_requested,
            None => false,
        }
    }

    pub fn news(&mut self, news: News) {
        match news {
            News::Sale(sale) => self.sale_changed(*sale),
            News::Resumed(sale) => {
                self.screen = Screen::Payment;
                self.last_amount = Some(sale.record.amount());
                self.sale = Some(*sale.clone());
                self.sale_changed(*sale);
            }
            News::StartFailed(message) => {
                self.starting = None;
                self.start_failure = Some(message);
                if self.screen == Screen::Payment {
                    self.screen = Screen::Outcome;
                }
            }
            News::Printer(state) => self.printer = Some(state),
            News::History(sales) => self.history = sales,
            News::Network { ok, text } => self.network = (ok, text),
            News::Message(text) => self.notice = Some(text),
            News::Clock(clock) => self.clock = clock,
        }
    }

    fn sale_changed(&mut self, sale: Sale) {
        // News of an older sale (still settling after the cashier moved on) is not shown: the
        // sale being started is the first one newer than any seen.
        let number = sale.record.number;
        let current = self.sale.as_ref().map(|s| s.record.number);
        let the_new_one = self.starting.is_some() && current.is_none() && number > self.newest_seen;
        self.newest_seen = self.newest_seen.max(number);
        if current != Some(number) && !the_new_one {
            return;
        }
        self.starting = None;
        self.network = match &sale.reachability {
            Reachability::Answering => (true, words::monime_connected()),
            Reachability::Lost { message, .. } => (false, words::monime(message)),
        };
        // The countdown is set when a code arrives and then runs on the screen's own clock
        // (`tick`), so that it is smooth and tests can drive it with mock time.
        let expiry = |sale: &Sale| sale.record.code.as_ref().and_then(|code| code.expire_time);
        if self.sale.as_ref().and_then(expiry) != expiry(&sale) || self.seconds_left.is_none() {
            self.seconds_left = sale.time_left(self.clock.now()).map(|d| d.as_secs());
        }
        if sale.is_final() && self.screen == Screen::Payment {
            self.confirm_cancel = false;
            self.paid_for_secs = 0;
            self.screen = if sale.record.phase == Phase::Paid {
                Screen::Paid
            } else {
                Screen::Outcome
            };
        }
        self.sale = Some(sale);
    }

    /// Called once a second.
    pub fn tick(&mut self) {
        if let Some(left) = &mut self.seconds_left {
            *left = left.saturating_sub(1);
        }
        if self.screen == Screen::Paid {
            self.paid_for_secs += 1;
            if let Some(limit) = self.settings.paid_screen_secs
                && self.paid_for_secs >= limit
            {
                self.new_sale();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            merchant_name: "Shop".into(),
            terminal_id: "T1".into(),
            currency: Currency::Sle,
            currency_style: CurrencyStyle::Symbol,
            max_amount_minor: 1_000_000,
            admin_pin: "4821".into(),
            demo: false,
            paid_screen_secs: Some(3),
            has_printer: true,
        }
    }

    fn type_keys(flow: &mut Flow, keys: &str) {
        for c in keys.chars() {
            flow.keyboard(&c.to_string());
        }
    }

    #[test]
    fn enter_charges_the_typed_amount_and_escape_asks_before_cancelling() {
        let mut flow = Flow::new(settings());
        type_keys(&mut flow, "12.5");
        assert_eq!(flow.view().amount_text, "Le 12.5");
        let actions = flow.keyboard("\r").expect("handled");
        assert_eq!(
            actions,
            [Action::StartSale(Money::new(Currency::Sle, 1250))]
        );
        assert_eq!(flow.screen(), Screen::Payment);
        assert_eq!(flow.view().pay_amount, "Le 12.50");
        // No sale yet: nothing to cancel.
        assert_eq!(flow.keyboard("\u{1b}"), Some(vec![]));
        assert!(!flow.view().confirm_cancel);
    }

    #[test]
    fn the_admin_screen_needs_the_pin() {
        let mut flow = Flow::new(settings());
        flow.intent(Intent::OpenAdmin);
        type_keys(&mut flow, "1234\r");
        assert_eq!(flow.screen(), Screen::AdminPin);
        assert_eq!(flow.view().notice, "Wrong PIN");
        type_keys(&mut flow, "4821");
        assert_eq!(flow.view().pin_dots, "●●●●");
        assert_eq!(flow.keyboard("\n"), Some(vec![Action::CheckNetwork]));
        assert_eq!(flow.screen(), Screen::Admin);
        flow.keyboard("\u{1b}");
        assert_eq!(flow.screen(), Screen::Amount);
    }

    #[test]
    fn zero_cannot_be_charged() {
        let mut flow = Flow::new(settings());
        assert!(flow.intent(Intent::Charge).is_empty());
        assert_eq!(flow.view().notice, "Type the amount first");
        assert_eq!(flow.screen(), Screen::Amount);
    }

    #[test]
    fn a_wrong_clock_shows_in_the_status_bar_and_the_countdown_follows_monime() {
        use crate::monime::NewPaymentCode;
        use crate::sale::{CodeInfo, SaleRecord, Timing};
        use chrono::{DurationRound, TimeDelta, Utc};
        let mut flow = Flow::new(settings());
        let monime_now = (Utc::now() + TimeDelta::days(3))
            .duration_trunc(TimeDelta::seconds(1))
            .expect("whole seconds");
        let clock = Clock::new();
        let now = std::time::Instant::now();
        clock.heard(Some(&monime_now.to_rfc2822()), now, now);
        flow.news(News::Clock(clock));
        assert_eq!(flow.view().network_text, "Clock off by 3 days");
        assert!(!flow.view().network_ok);

        type_keys(&mut flow, "5\r");
        let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, 500));
        let mut record = SaleRecord::new(1, "key".into(), request);
        record.phase = Phase::AwaitingPayment;
        record.code = Some(CodeInfo {
            id: "pmc-1".into(),
            ussd_code: "*715*1*1#".into(),
            expire_time: Some(monime_now + TimeDelta::minutes(10)),
        });
        let timing = Timing {
            poll_interval: std::time::Duration::from_secs(1),
        };
        flow.news(News::Sale(Box::new(Sale::resume(record, false, timing).0)));
        assert_eq!(
            flow.view().countdown,
            "9:59",
            "10 minutes by Monime's clock"
        );
    }

    #[test]
    fn a_failed_start_says_nothing_was_charged_and_try_again_reuses_the_amount() {
        let mut flow = Flow::new(settings());
        type_keys(&mut flow, "7\r");
        flow.news(News::StartFailed("the sales journal is full".into()));
        assert_eq!(flow.screen(), Screen::Outcome);
        let view = flow.view();
        assert_eq!(view.outcome_title, "Sale not started");
        assert!(view.outcome_reason.contains("Nothing was charged"));
        assert_eq!(view.retry_amount, "Le 7.00");
        assert_eq!(
            flow.intent(Intent::TryAgain),
            [Action::StartSale(Money::new(Currency::Sle, 700))]
        );
    }
}
