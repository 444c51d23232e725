//! The cashier's screens and the moves between them, as plain Rust: taps, keys, the one-second
//! tick and news from the worker come in; the next screen's contents (`View`) and work for the
//! worker (`Action`) come out. The .slint files only draw what `View` says; the sentences in it
//! come from `words`, and `view` makes the `View`.

mod books;
mod cashiers;
mod counter;
mod news;
mod view;

pub use super::network::{Link, NetworkNote};
pub use books::{BooksLine, BooksView};
pub use news::News;
pub use view::{CartRow, HistoryRow, TipButton, View};

use super::cart::Cart;
use super::keypad::{AmountEntry, KeypadKey};
use super::words;
use crate::clock::Clock;
use crate::config::Cashier;
use crate::journal::StoredSale;
use crate::lang::Language;
use crate::money::{Currency, CurrencyStyle, Money};
use crate::order::{Item, Order, TipOffer};
use crate::printer::PrinterState;
use crate::report::ShiftReport;
use crate::sale::{Phase, Sale};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// A cashier's PIN, when the shop has cashiers and nobody is signed in.
    SignIn,
    Amount,
    /// After Charge, when the shop offers tips: the customer chooses one, or none.
    Tip,
    Payment,
    Paid,
    /// Expired, cancelled, failed, unknown, or a cancel left unconfirmed.
    Outcome,
    History,
    AdminPin,
    Admin,
    /// The shift report and the day close, behind the admin PIN.
    Books,
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
    OpenBooks,
    PrintBooks,
    /// Close day: asks to confirm first.
    CloseDay,
    ConfirmClose,
    KeepOpen,
    /// Demo mode only: the simulated customer pays the code on screen.
    DemoPay,
    /// Sign the cashier out so another can sign in.
    ChangeCashier,
    /// The admin screen's language switch: the screen and the next receipt speak it.
    ChooseLanguage(Language),
    /// An item key, by its place in `[[items]]`: one more in the cart.
    AddItem(usize),
    /// One fewer of a cart line's item; `None` is the typed amount's line, which clears it.
    RemoveLine(Option<usize>),
    /// The keypad screen's item page (true) or its keypad (false).
    ShowItems(bool),
    /// A tip on the tip step, by its place among the choices; `None` is No tip.
    ChooseTip(Option<usize>),
    /// A tap on the resting screen: it only wakes it.
    Wake,
}

/// Work for the worker thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A sale of this amount, made of this order, taken by the signed-in cashier if any.
    StartSale(Money, Order, Option<String>),
    CancelSale,
    Reprint(i64),
    TestPrint,
    PrintReport,
    LoadHistory,
    CheckNetwork,
    DemoPay(String),
    /// The shift report for the books screen.
    LoadShift,
    PrintBooks(Box<ShiftReport>),
    CloseDay,
    /// Print in this language from now on, and keep the choice through a restart.
    ChooseLanguage(Language),
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
    /// Who may sign in; empty: no sign-in, sales carry no cashier.
    pub cashiers: Vec<Cashier>,
    /// A signed-in cashier idle this long is signed out; `None` never.
    pub idle_sign_out_secs: Option<u32>,
    /// The language the screen starts in.
    pub language: Language,
    /// The item keys; empty: the keypad alone.
    pub items: Vec<Item>,
    pub tips: TipOffer,
    /// Seconds on the keypad without a tap before the screen rests; `None` never.
    pub screen_idle_secs: Option<u32>,
    /// The PAID screen flashes once as a sale is paid (with the printer's chime).
    pub flash_paid: bool,
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
    /// What the last sale was made of, for Try again.
    last_order: Order,
    /// The items tapped on the item page.
    cart: Cart,
    /// The item page is showing rather than the keypad.
    show_items: bool,
    /// Resting: dimmed or dark until the next touch.
    resting: bool,
    confirm_cancel: bool,
    seconds_left: Option<u64>,
    paid_for_secs: u32,
    pin: String,
    printer: Option<PrinterState>,
    network: (Link, NetworkNote),
    key_origin: Option<String>,
    history: Vec<StoredSale>,
    /// The highest sale number the worker has reported.
    newest_seen: i64,
    /// Local time until the worker hands over the terminal's clock.
    clock: Clock,
    /// The report on the books screen.
    books: Option<ShiftReport>,
    confirm_close: bool,
    /// Who is signed in, when the shop has cashiers.
    cashier: Option<String>,
    /// Seconds since the last tap or key.
    idle_secs: u32,
    /// What the screen speaks and the next receipt prints in.
    language: Language,
}

const PIN_MAX: usize = 8;

impl Flow {
    pub fn new(settings: Settings) -> Flow {
        let language = settings.language;
        let show_items = !settings.items.is_empty();
        Flow {
            entry: AmountEntry::new(settings.currency, settings.max_amount_minor),
            settings,
            screen: Screen::Amount,
            notice: None,
            sale: None,
            starting: None,
            start_failure: None,
            last_amount: None,
            last_order: Order::default(),
            cart: Cart::default(),
            show_items,
            resting: false,
            confirm_cancel: false,
            seconds_left: None,
            paid_for_secs: 0,
            pin: String::new(),
            printer: None,
            network: (Link::NotContacted, NetworkNote::NotContacted),
            key_origin: None,
            history: Vec::new(),
            newest_seen: 0,
            clock: Clock::new(),
            books: None,
            confirm_close: false,
            cashier: None,
            idle_secs: 0,
            language,
        }
        .at_home()
    }

    fn at_home(mut self) -> Flow {
        self.screen = self.home();
        self
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    pub fn language(&self) -> Language {
        self.language
    }

    pub fn intent(&mut self, intent: Intent) -> Vec<Action> {
        self.notice = None;
        self.idle_secs = 0;
        let was_resting = self.resting();
        self.resting = false;
        if was_resting {
            // The first touch only wakes the screen: it must not also press what it landed on.
            return Vec::new();
        }
        match (self.screen, intent) {
            (Screen::Amount, Intent::Key(key)) => {
                self.show_items = false;
                if let Err(refusal) = self.entry.press(key) {
                    self.notice = Some(words::refusal(self.language, &refusal));
                }
                Vec::new()
            }
            (Screen::Amount, Intent::Charge) => self.charge(),
            (
                Screen::Amount,
                intent @ (Intent::AddItem(_) | Intent::RemoveLine(_) | Intent::ShowItems(_)),
            ) => {
                self.cart_intent(intent);
                Vec::new()
            }
            (Screen::Tip, Intent::ChooseTip(choice)) => self.choose_tip(choice),
            (Screen::Tip, Intent::Back | Intent::Cancel) => {
                self.screen = Screen::Amount;
                Vec::new()
            }
            (Screen::Amount, Intent::OpenHistory) => {
                self.screen = Screen::History;
                vec![Action::LoadHistory]
            }
            (Screen::Amount | Screen::SignIn, Intent::OpenAdmin) => {
                self.pin.clear();
                self.screen = Screen::AdminPin;
                Vec::new()
            }
            (Screen::Amount, Intent::ChangeCashier) if !self.settings.cashiers.is_empty() => {
                self.sign_out();
                Vec::new()
            }
            (Screen::SignIn, Intent::Charge) => self.sign_in(),
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
            // After an outcome nobody can vouch for, a second code could charge twice.
            (Screen::Outcome, Intent::TryAgain) if self.outcome_unsure() => Vec::new(),
            (Screen::Outcome, Intent::TryAgain) => match self.last_amount {
                Some(amount) => self.start(amount, self.last_order.clone()),
                None => Vec::new(),
            },
            (Screen::History, Intent::Reprint(number)) => vec![Action::Reprint(number)],
            (Screen::AdminPin | Screen::SignIn, Intent::Key(key)) => {
                self.pin_key(key);
                Vec::new()
            }
            (Screen::AdminPin, Intent::Charge) => {
                if self.pin == self.settings.admin_pin {
                    self.screen = Screen::Admin;
                    self.pin.clear();
                    vec![Action::CheckNetwork]
                } else {
                    self.pin.clear();
                    self.notice = Some(words::wrong_pin(self.language).into());
                    Vec::new()
                }
            }
            (Screen::Admin, Intent::TestPrint) => vec![Action::TestPrint],
            (Screen::Admin, Intent::PrintReport) => vec![Action::PrintReport],
            (Screen::Admin, Intent::CheckNetwork) => vec![Action::CheckNetwork],
            (Screen::Admin, Intent::OpenBooks) => self.open_books(),
            (Screen::Admin, Intent::ChooseLanguage(language)) => {
                self.language = language;
                self.notice = Some(words::language_chosen(language));
                vec![Action::ChooseLanguage(language)]
            }
            (Screen::Books, intent) => self.books_intent(intent),
            (Screen::History | Screen::AdminPin | Screen::Admin, Intent::Back) => {
                self.screen = self.home();
                Vec::new()
            }
            (Screen::Amount, Intent::Back) => {
                self.clear_counter();
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
            (Screen::Tip, ENTER | RETURN) => Intent::ChooseTip(None),
            (Screen::Tip, ESCAPE) => Intent::Back,
            (Screen::Paid, ENTER | RETURN) => Intent::NewSale,
            (Screen::Outcome, ENTER | RETURN) => Intent::TryAgain,
            (Screen::Outcome | Screen::Paid, ESCAPE) => Intent::NewSale,
            (Screen::Amount | Screen::AdminPin | Screen::SignIn, ENTER | RETURN) => Intent::Charge,
            (Screen::Amount, ESCAPE) => Intent::Back,
            (Screen::History | Screen::Admin | Screen::AdminPin | Screen::Books, ESCAPE) => {
                Intent::Back
            }
            (Screen::Books, ENTER | RETURN) if self.confirm_close => Intent::ConfirmClose,
            (
                Screen::Payment | Screen::Tip | Screen::History | Screen::Admin | Screen::Books,
                _,
            ) => {
                return None;
            }
            (_, text) => Intent::Key(KeypadKey::parse(text)?),
        };
        Some(self.intent(intent))
    }

    /// A key on a PIN screen: digits up to the longest PIN, Backspace and Clear.
    fn pin_key(&mut self, key: KeypadKey) {
        match key {
            KeypadKey::Digit(d) if self.pin.len() < PIN_MAX => self.pin.push(char::from(b'0' + d)),
            KeypadKey::Backspace => {
                self.pin.pop();
            }
            KeypadKey::Clear => self.pin.clear(),
            _ => {}
        }
    }

    fn start(&mut self, amount: Money, order: Order) -> Vec<Action> {
        self.screen = Screen::Payment;
        self.sale = None;
        self.start_failure = None;
        self.starting = Some(amount);
        self.last_amount = Some(amount);
        self.last_order = order.clone();
        self.confirm_cancel = false;
        self.seconds_left = None;
        vec![Action::StartSale(amount, order, self.cashier.clone())]
    }

    fn new_sale(&mut self) {
        self.screen = self.home();
        self.clear_counter();
        self.sale = None;
        self.start_failure = None;
    }

    /// The sale on screen ended without Monime's word on the payment: unknown, or a cancel
    /// left unconfirmed.
    fn outcome_unsure(&self) -> bool {
        self.start_failure.is_none()
            && self
                .sale
                .as_ref()
                .is_some_and(|sale| sale.left_for_recover || sale.record.phase == Phase::Unknown)
    }

    fn can_cancel(&self) -> bool {
        match &self.sale {
            Some(sale) => !sale.is_final() && !sale.record.cancel_requested,
            None => false,
        }
    }

    /// Called once a second.
    pub fn tick(&mut self) {
        self.idle_tick();
        self.rest_tick();
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
mod tests;
