//! The cashier's screens and the moves between them, as plain Rust: taps, keys, the one-second
//! tick and news from the worker come in; the next screen's contents (`View`) and work for the
//! worker (`Action`) come out. The .slint files only draw what `View` says; the sentences in it
//! come from `words`, and `view` makes the `View`.
//!
//! The page on show is one `Screen`, whose variant carries what belongs to that page alone (the
//! PIN typed, the sale on screen, the history, the books). What the pages share stays on `Flow`:
//! the settings, the status bar's news, the cashier, the language, the idle time, the notice,
//! and the counter (what is typed and tapped for the next sale, which the keypad and the tip
//! step both show and which waits through a look at the history or the admin screen).

mod books;
mod cashiers;
mod checkout;
mod counter;
mod refunding;
mod updates;
mod view;

pub use super::network::{MonimeLink, NetworkNote};
pub use books::{BooksLine, BooksView};
pub use checkout::Checkout;
pub use refunding::{
    RefundForm, RefundInput, RefundRefusal, RefundStage, RefundStep, RefundTone, RefundView,
};
pub use updates::Update;
pub use view::{
    AdminView, AmountView, CartRow, HistoryRow, HistoryView, OutcomeView, PageView, PaidView,
    PaymentView, PinView, StatusView, TipButton, TipView, View,
};

use counter::Counter;

use super::keypad::KeypadKey;
use super::words;
use crate::clock::Clock;
use crate::config::Cashier;
use crate::journal::{StoredRefund, StoredSale};
use crate::lang::Language;
use crate::money::{Currency, CurrencyStyle, Money};
use crate::order::{Item, Order, TipOffer};
use crate::printer::PrinterState;
use crate::report::ShiftReport;
use crate::sale::NewSale;
use crate::shop::{RefundOffer, RefundRequest};

/// The page on show, with the state that belongs to it alone.
#[derive(Debug, Clone)]
pub enum Screen {
    /// A cashier's PIN, when the shop has cashiers and nobody is signed in.
    SignIn {
        pin: String,
    },
    /// The keypad, or the item page; what is typed is the flow's counter.
    Amount,
    /// After Charge, when the shop offers tips: the customer chooses one, or none.
    Tip,
    /// The code on screen, from Charge until Monime settles it.
    Payment {
        checkout: Checkout,
        /// Cancel was pressed: the page asks before the code is switched off.
        confirm_cancel: bool,
        /// Until the code expires; set when a code arrives, then counted down by `tick`.
        seconds_left: Option<u64>,
    },
    Paid {
        checkout: Checkout,
        /// How long the page has shown, for `paid_screen_secs` and the one flash.
        shown_for_secs: u32,
    },
    /// Expired, cancelled, failed, unknown, or a cancel left unconfirmed.
    Outcome {
        checkout: Checkout,
    },
    /// Recent sales; `None` until the worker has read them.
    History {
        sales: Option<Vec<StoredSale>>,
        /// The refunds of the paid ones, oldest first.
        refunds: Vec<StoredRefund>,
    },
    AdminPin {
        pin: String,
    },
    Admin,
    /// A paid sale's money sent back, from History.
    Refund(Box<refunding::RefundForm>),
    /// The shift report and the day close, behind the admin PIN.
    Books {
        /// `None` while it is read.
        report: Option<ShiftReport>,
        /// Close day was pressed: the page asks first.
        confirm_close: bool,
    },
}

impl Screen {
    /// The sale on screen, from Charge until the cashier moves on.
    fn checkout(&self) -> Option<&Checkout> {
        match self {
            Screen::Payment { checkout, .. }
            | Screen::Paid { checkout, .. }
            | Screen::Outcome { checkout } => Some(checkout),
            _ => None,
        }
    }
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
    /// History's Refund on a paid sale.
    OpenRefund(i64),
    /// The refund's step is typed: on to the next.
    Next,
    /// The refund's amount: all that is left of the sale.
    RefundAll,
    /// The question was answered yes: the refund is sent.
    SendRefund,
}

/// Work for the worker thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A sale as the cashier keyed it: its amount, what it is made of, who took it.
    StartSale(NewSale),
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
    /// Where a sale stands for a refund.
    LoadRefund(i64),
    /// Check a refund and ask whose number it is; nothing is sent.
    PrepareRefund(RefundRequest),
    /// Send the refund the question was shown of.
    SendRefund(Box<RefundOffer>),
    ReprintRefund(i64),
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
    /// History offers Refund on paid sales (`[refunds] enabled`).
    pub refunds_enabled: bool,
}

impl Settings {
    /// The screen's settings for `shop`: what `terminal` handed it, and what the shop runs with
    /// (demo mode, a printer, the language chosen).
    pub fn of(shop: &crate::shop::Shop) -> Settings {
        let shop_settings = shop.settings();
        let screen = &shop_settings.screen;
        let seconds = |span: std::time::Duration| u32::try_from(span.as_secs()).unwrap_or(u32::MAX);
        Settings {
            merchant_name: screen.merchant_name.clone(),
            terminal_id: shop_settings.terminal_id().to_string(),
            currency: shop_settings.currency,
            currency_style: shop_settings.currency_style,
            max_amount_minor: shop_settings.max_amount_minor,
            admin_pin: screen.admin_pin.clone(),
            demo: shop.is_demo(),
            paid_screen_secs: screen.paid_screen_secs,
            has_printer: shop.printer().is_some(),
            cashiers: screen.cashiers.clone(),
            idle_sign_out_secs: screen.idle_sign_out.map(seconds),
            language: shop.language(),
            items: screen.items.clone(),
            tips: screen.tips.clone(),
            screen_idle_secs: screen.screen_idle.map(seconds),
            flash_paid: shop_settings.chime_when_paid,
            refunds_enabled: shop_settings.refunds.enabled,
        }
    }
}

/// What the terminal knows of its surroundings, for the status bar and the admin screen.
#[derive(Debug, Clone)]
struct Surroundings {
    printer: Option<PrinterState>,
    network: (MonimeLink, NetworkNote),
    /// Where the terminal's Monime key was read from, named when Monime refuses it.
    key_origin: Option<String>,
    /// Local time until the worker hands over the terminal's clock.
    clock: Clock,
}

pub struct Flow {
    settings: Settings,
    screen: Screen,
    counter: Counter,
    surroundings: Surroundings,
    notice: Option<String>,
    /// Who is signed in, when the shop has cashiers.
    cashier: Option<String>,
    /// What the screen speaks and the next receipt prints in.
    language: Language,
    /// Seconds since the last tap or key.
    idle_secs: u32,
    /// Resting: dimmed or dark until the next touch.
    resting: bool,
    /// The highest sale number the worker has reported.
    newest_seen: i64,
    /// The full text behind the outcome the cashier was last shown, for the admin screen; it
    /// goes with the sale, at New sale or the next Charge.
    last_problem: Option<String>,
    /// Wrong PINs on the refund screen, which lock it for a while.
    refund_pins: refunding::PinGuard,
}

/// The longest PIN the keypad takes.
const PIN_MAX: usize = 8;

impl Flow {
    pub fn new(settings: Settings) -> Flow {
        let language = settings.language;
        let counter = Counter::new(&settings);
        let mut flow = Flow {
            settings,
            screen: Screen::Amount,
            counter,
            surroundings: Surroundings {
                printer: None,
                network: (MonimeLink::NotContacted, NetworkNote::NotContacted),
                key_origin: None,
                clock: Clock::new(),
            },
            notice: None,
            cashier: None,
            language,
            idle_secs: 0,
            resting: false,
            newest_seen: 0,
            last_problem: None,
            refund_pins: Default::default(),
        };
        flow.screen = flow.home();
        flow
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
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
        match &self.screen {
            Screen::SignIn { .. } => self.sign_in_intent(intent),
            Screen::Amount => self.amount_intent(intent),
            Screen::Tip => self.tip_intent(intent),
            Screen::Payment { .. } => self.payment_intent(intent),
            Screen::Paid { .. } | Screen::Outcome { .. } => self.result_intent(intent),
            Screen::History { .. } => match intent {
                Intent::Reprint(number) => vec![Action::Reprint(number)],
                Intent::OpenRefund(number) => self.open_refund(number),
                Intent::Back => self.go_home(),
                _ => Vec::new(),
            },
            Screen::Refund(_) => self.refund_intent(intent),
            Screen::AdminPin { .. } => self.admin_pin_intent(intent),
            Screen::Admin => self.admin_intent(intent),
            Screen::Books { .. } => self.books_intent(intent),
        }
    }

    fn amount_intent(&mut self, intent: Intent) -> Vec<Action> {
        match intent {
            Intent::Key(key) => {
                if let Err(refusal) = self.counter.press(key) {
                    self.notice = Some(words::refusal(self.language, &refusal));
                }
                Vec::new()
            }
            Intent::Charge => self.charge(),
            intent @ (Intent::AddItem(_) | Intent::RemoveLine(_) | Intent::ShowItems(_)) => {
                self.cart_intent(intent);
                Vec::new()
            }
            Intent::OpenHistory => self.open_history(),
            Intent::OpenAdmin => self.open_admin_pin(),
            Intent::ChangeCashier if !self.settings.cashiers.is_empty() => {
                self.sign_out();
                Vec::new()
            }
            Intent::Back => {
                self.counter.clear(&self.settings);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn tip_intent(&mut self, intent: Intent) -> Vec<Action> {
        match intent {
            Intent::ChooseTip(choice) => self.choose_tip(choice),
            Intent::Back | Intent::Cancel => {
                self.screen = Screen::Amount;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn payment_intent(&mut self, intent: Intent) -> Vec<Action> {
        let demo = self.settings.demo;
        let Screen::Payment {
            checkout,
            confirm_cancel,
            ..
        } = &mut self.screen
        else {
            return Vec::new();
        };
        match intent {
            Intent::Cancel | Intent::Back => {
                if checkout.can_cancel() {
                    *confirm_cancel = true;
                }
                Vec::new()
            }
            Intent::ConfirmCancel if *confirm_cancel => {
                *confirm_cancel = false;
                vec![Action::CancelSale]
            }
            Intent::KeepWaiting => {
                *confirm_cancel = false;
                Vec::new()
            }
            Intent::DemoPay if demo => checkout
                .code()
                .map(|code| vec![Action::DemoPay(code.id.clone())])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The paid page and an outcome's.
    fn result_intent(&mut self, intent: Intent) -> Vec<Action> {
        let Some(checkout) = self.screen.checkout() else {
            return Vec::new();
        };
        let paid = matches!(self.screen, Screen::Paid { .. });
        match intent {
            Intent::NewSale => {
                self.new_sale();
                Vec::new()
            }
            Intent::Key(key) => {
                // Typing starts the next sale at once: no tap on New sale needed.
                self.new_sale();
                self.intent(Intent::Key(key))
            }
            Intent::ReprintThisSale if paid => checkout
                .sale
                .as_ref()
                .map(|sale| vec![Action::Reprint(sale.record.number)])
                .unwrap_or_default(),
            // After an outcome nobody can vouch for, a second code could charge twice.
            Intent::TryAgain if !paid && !checkout.outcome_unsure() => {
                let (amount, order) = (checkout.amount, checkout.order.clone());
                self.start(amount, order)
            }
            _ => Vec::new(),
        }
    }

    fn admin_pin_intent(&mut self, intent: Intent) -> Vec<Action> {
        match intent {
            Intent::Key(key) => {
                self.pin_key(key);
                Vec::new()
            }
            Intent::Charge => {
                let typed = match &mut self.screen {
                    Screen::AdminPin { pin } => std::mem::take(pin),
                    _ => String::new(),
                };
                if typed == self.settings.admin_pin {
                    self.screen = Screen::Admin;
                    vec![Action::CheckNetwork]
                } else {
                    self.notice = Some(words::wrong_pin(self.language).into());
                    Vec::new()
                }
            }
            Intent::Back => self.go_home(),
            _ => Vec::new(),
        }
    }

    fn admin_intent(&mut self, intent: Intent) -> Vec<Action> {
        match intent {
            Intent::TestPrint => vec![Action::TestPrint],
            Intent::PrintReport => vec![Action::PrintReport],
            Intent::CheckNetwork => vec![Action::CheckNetwork],
            Intent::OpenBooks => self.open_books(),
            Intent::ChooseLanguage(language) => {
                self.language = language;
                self.notice = Some(words::language_chosen(language));
                vec![Action::ChooseLanguage(language)]
            }
            Intent::Back => self.go_home(),
            _ => Vec::new(),
        }
    }

    fn open_admin_pin(&mut self) -> Vec<Action> {
        self.screen = Screen::AdminPin { pin: String::new() };
        Vec::new()
    }

    /// Back from the history or the admin screens, to the keypad or the sign-in.
    fn go_home(&mut self) -> Vec<Action> {
        self.screen = self.home();
        Vec::new()
    }

    /// A key from a physical keyboard or USB keypad: `text` is what Slint reports (a character,
    /// or its code for Backspace, Enter and Escape). Returns `None` for keys the screen ignores.
    pub fn keyboard(&mut self, text: &str) -> Option<Vec<Action>> {
        const ENTER: &str = "\n";
        const RETURN: &str = "\r";
        const ESCAPE: &str = "\u{1b}";
        let intent = match (&self.screen, text) {
            (
                Screen::Payment {
                    confirm_cancel: true,
                    ..
                },
                ENTER | RETURN,
            ) => Intent::ConfirmCancel,
            (
                Screen::Payment {
                    confirm_cancel: true,
                    ..
                },
                ESCAPE,
            ) => Intent::KeepWaiting,
            (Screen::Payment { .. }, ESCAPE) => Intent::Cancel,
            (Screen::Tip, ENTER | RETURN) => Intent::ChooseTip(None),
            (Screen::Tip, ESCAPE) => Intent::Back,
            (Screen::Paid { .. }, ENTER | RETURN) => Intent::NewSale,
            (Screen::Outcome { .. }, ENTER | RETURN) => Intent::TryAgain,
            (Screen::Outcome { .. } | Screen::Paid { .. }, ESCAPE) => Intent::NewSale,
            (Screen::Amount | Screen::AdminPin { .. } | Screen::SignIn { .. }, ENTER | RETURN) => {
                Intent::Charge
            }
            (Screen::Amount, ESCAPE) => Intent::Back,
            (Screen::Refund(form), ENTER | RETURN) => match form.step() {
                RefundStep::Confirm(_) => Intent::SendRefund,
                _ => Intent::Next,
            },
            (
                Screen::History { .. }
                | Screen::Admin
                | Screen::AdminPin { .. }
                | Screen::Books { .. }
                | Screen::Refund(_),
                ESCAPE,
            ) => Intent::Back,
            (
                Screen::Books {
                    confirm_close: true,
                    ..
                },
                ENTER | RETURN,
            ) => Intent::ConfirmClose,
            (
                Screen::Payment { .. }
                | Screen::Tip
                | Screen::History { .. }
                | Screen::Admin
                | Screen::Books { .. },
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
        if let Screen::SignIn { pin } | Screen::AdminPin { pin } = &mut self.screen {
            refunding::type_digits(pin, key, PIN_MAX);
        }
    }

    /// Asks the worker for a code of `amount`, and shows the payment page while it comes.
    fn start(&mut self, amount: Money, order: Order) -> Vec<Action> {
        self.last_problem = None;
        self.screen = Screen::Payment {
            checkout: Checkout::new(amount, order.clone()),
            confirm_cancel: false,
            seconds_left: None,
        };
        vec![Action::StartSale(NewSale {
            order,
            cashier: self.cashier.clone(),
            ..NewSale::of(amount)
        })]
    }

    fn new_sale(&mut self) {
        self.screen = self.home();
        self.counter.clear(&self.settings);
        self.last_problem = None;
    }

    /// Called once a second.
    pub fn tick(&mut self) {
        self.idle_tick();
        self.refund_pins.tick();
        self.rest_tick();
        let limit = self.settings.paid_screen_secs;
        match &mut self.screen {
            Screen::Payment {
                seconds_left: Some(left),
                ..
            } => *left = left.saturating_sub(1),
            Screen::Paid { shown_for_secs, .. } => {
                *shown_for_secs += 1;
                if limit.is_some_and(|limit| *shown_for_secs >= limit) {
                    self.new_sale();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
