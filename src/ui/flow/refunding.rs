//! The refund screen's steps, from a paid sale in History: who refunds (their PIN), how much
//! (all that is left, unless another amount is typed), the payer's whole number; then the shop
//! checks everything and asks Monime whose number it is, the question is shown, and nothing
//! moves before Send. The refund is then followed to Monime's word.
//!
//! The rules on money are the shop's (`shop::refunding`), which checks them all again before
//! it sends: this module walks whoever refunds through the steps and says what the shop
//! answered, at the step it concerns.

use super::{Action, Flow, Intent, PIN_MAX, Screen};
use crate::config::{RefundPinRefusal, refunder_of_pin};
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::refund::{Refund, RefundPhase, Refunder};
use crate::shop::{RefundError, RefundOffer, RefundOutlook, RefundRequest};
use crate::ui::keypad::{AmountEntry, KeypadKey};
use crate::ui::words;

/// The most digits a typed phone number has: `232` and eight more.
const NUMBER_MAX_DIGITS: usize = 11;

/// A refund being typed, checked, asked or followed.
#[derive(Debug, Clone)]
pub struct RefundForm {
    sale: i64,
    /// `None` while the sale's standing is read.
    outlook: Option<RefundOutlook>,
    step: RefundStep,
    pin: String,
    refunder: Option<Refunder>,
    /// The amount typed; while `offered`, all that is left stands in for it, and the first
    /// key replaces it.
    amount: AmountEntry,
    offered: bool,
    number: String,
}

/// Where the refund is.
#[derive(Debug, Clone, PartialEq)]
pub enum RefundStep {
    Pin,
    Amount,
    Number,
    /// The shop checks the refund and asks Monime whose number it is.
    Checking,
    /// The question, before anything moves.
    Confirm(Box<RefundOffer>),
    /// Sent to the shop, until its first word of the refund.
    Sending,
    /// Written and sent: its state as the shop follows it.
    Following(Box<Refund>),
}

/// Wrong PINs on the refund screen: this many in a row lock refunds on the screen for
/// `LOCKED_SECS`, so that nobody finds a PIN that sends money by trying them all.
const WRONG_PINS_ALLOWED: u32 = 5;
const LOCKED_SECS: u32 = 300;

/// The wrong PINs typed on the refund screen, and the lock they brought.
#[derive(Debug, Clone, Default)]
pub struct PinGuard {
    wrong_in_a_row: u32,
    locked_secs: u32,
}

impl PinGuard {
    /// Minutes left of the lock, if refunds are locked.
    fn locked_minutes(&self) -> Option<u32> {
        (self.locked_secs > 0).then(|| self.locked_secs.div_ceil(60))
    }

    fn wrong(&mut self) {
        self.wrong_in_a_row += 1;
        if self.wrong_in_a_row >= WRONG_PINS_ALLOWED {
            self.wrong_in_a_row = 0;
            self.locked_secs = LOCKED_SECS;
        }
    }

    fn right(&mut self) {
        self.wrong_in_a_row = 0;
    }

    /// A second went by.
    pub(super) fn tick(&mut self) {
        self.locked_secs = self.locked_secs.saturating_sub(1);
    }
}

/// The step a refusal sends the refund back to: the one whose input it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundInput {
    Pin,
    Amount,
    Number,
}

/// Why the shop would not prepare or send a refund: the words for the screen, and the step
/// they concern; `None` when no typing can mend it (the sale no longer refundable, refunds
/// turned off): the screen goes back to the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRefusal {
    pub message: String,
    pub at: Option<RefundInput>,
}

impl RefundRefusal {
    pub fn of(error: &RefundError, language: Language, style: CurrencyStyle) -> RefundRefusal {
        let at = match error {
            RefundError::WrongPin
            | RefundError::NotAllowed { .. }
            | RefundError::PayerNotKnown { .. } => Some(RefundInput::Pin),
            RefundError::Limit(_) => Some(RefundInput::Amount),
            RefundError::Number(_)
            | RefundError::NotThePayer { .. }
            | RefundError::ProviderNotKnown { .. }
            | RefundError::NoAccount { .. }
            | RefundError::NotChecked { .. } => Some(RefundInput::Number),
            RefundError::Off
            | RefundError::NoSuchSale(_)
            | RefundError::NotPaid { .. }
            | RefundError::Journal(_) => None,
        };
        RefundRefusal {
            message: words::refund_refused(language, style, error),
            at,
        }
    }
}

impl RefundForm {
    pub fn step(&self) -> &RefundStep {
        &self.step
    }

    pub fn sale(&self) -> i64 {
        self.sale
    }

    pub fn outlook(&self) -> Option<&RefundOutlook> {
        self.outlook.as_ref()
    }

    pub fn pin_typed(&self) -> usize {
        self.pin.len()
    }

    /// The amount to send back: all that is left while it is offered, else what was typed.
    pub fn amount_asked(&self) -> Option<Money> {
        match self.offered {
            true => self.outlook.as_ref().map(|outlook| outlook.left),
            false => self.amount.amount(),
        }
    }

    /// The amount as the screen shows it: all that is left in full, or what is typed.
    fn amount_shown(&self, style: CurrencyStyle) -> String {
        match (self.offered, &self.outlook) {
            (true, Some(outlook)) => outlook.left.display(style),
            (true, None) => String::new(),
            (false, _) => self.amount.display(style),
        }
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    /// Whose PIN opened the refund, once it did.
    pub fn refunder(&self) -> Option<&Refunder> {
        self.refunder.as_ref()
    }
}

impl Flow {
    /// From History: the refund of paid sale `sale`, starting with who refunds.
    pub(super) fn open_refund(&mut self, sale: i64) -> Vec<Action> {
        if !self.settings.refunds_enabled {
            return Vec::new();
        }
        let settings = &self.settings;
        self.screen = Screen::Refund(Box::new(RefundForm {
            sale,
            outlook: None,
            step: RefundStep::Pin,
            pin: String::new(),
            refunder: None,
            amount: AmountEntry::new(settings.currency, settings.max_amount_minor),
            offered: true,
            number: String::new(),
        }));
        vec![Action::LoadRefund(sale)]
    }

    pub(super) fn refund_intent(&mut self, intent: Intent) -> Vec<Action> {
        let language = self.language;
        let settings = &self.settings;
        let (admin_pin, cashiers) = (&settings.admin_pin, &settings.cashiers);
        let Screen::Refund(form) = &mut self.screen else {
            return Vec::new();
        };
        match (&form.step, intent) {
            (RefundStep::Pin, Intent::Key(key)) => type_digits(&mut form.pin, key, PIN_MAX),
            (RefundStep::Pin, Intent::Next) => {
                if let Some(minutes) = self.refund_pins.locked_minutes() {
                    form.pin.clear();
                    self.notice = Some(words::refund_pins_locked(language, minutes));
                    return Vec::new();
                }
                match refunder_of_pin(&form.pin, admin_pin, cashiers) {
                    Ok(refunder) => {
                        self.refund_pins.right();
                        form.refunder = Some(refunder);
                        form.step = RefundStep::Amount;
                    }
                    Err(refusal) => {
                        if refusal == RefundPinRefusal::Unknown {
                            self.refund_pins.wrong();
                        }
                        form.pin.clear();
                        self.notice = Some(words::refund_pin_refused(language, &refusal));
                    }
                }
            }
            (RefundStep::Amount, Intent::Key(key)) => {
                if std::mem::take(&mut form.offered) {
                    form.amount.clear();
                }
                if let Err(refusal) = form.amount.press(key) {
                    self.notice = Some(words::refusal(language, &refusal));
                }
            }
            (RefundStep::Amount, Intent::RefundAll) => {
                form.amount.clear();
                form.offered = true;
            }
            (RefundStep::Amount, Intent::Next) => {
                let left = form.outlook.as_ref().map(|outlook| outlook.left);
                match (form.amount_asked(), left) {
                    (None, _) => self.notice = Some(words::refund_amount_first(language).into()),
                    (Some(amount), Some(left)) if amount.minor > left.minor => {
                        self.notice = Some(words::refund_more_than_left(
                            language,
                            &left.display(settings.currency_style),
                        ));
                    }
                    (Some(_), _) => form.step = RefundStep::Number,
                }
            }
            (RefundStep::Number, Intent::Key(key)) => {
                type_digits(&mut form.number, key, NUMBER_MAX_DIGITS);
            }
            (RefundStep::Number, Intent::Next) => {
                form.step = RefundStep::Checking;
                return vec![Action::PrepareRefund(RefundRequest {
                    sale: form.sale,
                    amount: form.amount_asked(),
                    phone: form.number.clone(),
                    pin: form.pin.clone(),
                })];
            }
            (RefundStep::Confirm(offer), Intent::SendRefund) => {
                let offer = offer.clone();
                form.step = RefundStep::Sending;
                return vec![Action::SendRefund(offer)];
            }
            (RefundStep::Pin, Intent::Back) => return self.open_history(),
            (RefundStep::Amount, Intent::Back) => {
                form.pin.clear();
                form.refunder = None;
                form.step = RefundStep::Pin;
            }
            (RefundStep::Number, Intent::Back) => form.step = RefundStep::Amount,
            (RefundStep::Confirm(_), Intent::Back) => form.step = RefundStep::Number,
            // Done: the refund goes on being followed by the shop if Monime has not answered.
            (RefundStep::Following(_), Intent::Back) => return self.open_history(),
            (RefundStep::Following(refund), Intent::ReprintThisSale)
                if refund.record.phase == RefundPhase::Completed =>
            {
                return vec![Action::ReprintRefund(refund.record.number)];
            }
            _ => {}
        }
        Vec::new()
    }

    /// The sale's standing, read for the refund on screen; a sale that cannot be refunded
    /// sends the screen back to the history with why.
    pub(super) fn refund_outlook_arrived(&mut self, outlook: Result<RefundOutlook, String>) {
        let Screen::Refund(form) = &mut self.screen else {
            return;
        };
        match outlook {
            Ok(outlook) if outlook.sale == form.sale => form.outlook = Some(outlook),
            Ok(_) => {}
            Err(message) => {
                self.open_history();
                self.notice = Some(message);
            }
        }
    }

    /// The shop's answer to the refund asked: its question, or why not.
    pub(super) fn refund_quoted(&mut self, answer: Result<Box<RefundOffer>, RefundRefusal>) {
        let Screen::Refund(form) = &mut self.screen else {
            return;
        };
        if !matches!(form.step, RefundStep::Checking | RefundStep::Sending) {
            return;
        }
        match answer {
            Ok(offer) => form.step = RefundStep::Confirm(offer),
            Err(refusal) => {
                match refusal.at {
                    Some(RefundInput::Pin) => {
                        form.pin.clear();
                        form.refunder = None;
                        form.step = RefundStep::Pin;
                    }
                    Some(RefundInput::Amount) => form.step = RefundStep::Amount,
                    Some(RefundInput::Number) => form.step = RefundStep::Number,
                    None => {
                        self.open_history();
                    }
                }
                self.notice = Some(refusal.message);
            }
        }
    }

    /// News of the refund on screen.
    pub(super) fn refund_changed(&mut self, refund: Refund) {
        let Screen::Refund(form) = &mut self.screen else {
            return;
        };
        let ours = match &form.step {
            RefundStep::Sending => refund.record.sale == form.sale,
            RefundStep::Following(shown) => shown.record.number == refund.record.number,
            _ => false,
        };
        if ours {
            form.step = RefundStep::Following(Box::new(refund));
        }
    }

    /// The history, read afresh.
    pub(super) fn open_history(&mut self) -> Vec<Action> {
        self.screen = Screen::History {
            sales: None,
            refunds: Vec::new(),
        };
        vec![Action::LoadHistory]
    }
}

/// A digit key adds a digit (up to `max`), Backspace takes one off, Clear empties: the keys of
/// a PIN or a phone number.
pub(super) fn type_digits(typed: &mut String, key: KeypadKey, max: usize) {
    match key {
        KeypadKey::Digit(digit) if typed.len() < max => typed.push(char::from(b'0' + digit)),
        KeypadKey::Backspace => {
            typed.pop();
        }
        KeypadKey::Clear => typed.clear(),
        _ => {}
    }
}

/// The refund page's stage, as the page lays itself out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStage {
    Pin,
    Amount,
    Number,
    Checking,
    Confirm,
    Result,
}

/// How a refund stands, as the result's colour says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundTone {
    /// Not yet Monime's last word.
    Working,
    /// Monime's `completed`.
    Refunded,
    /// Monime's `failed`, or refused: nothing was sent.
    NotSent,
    /// Nobody can say: the dashboard must.
    Unsure,
}

/// What the refund page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundView {
    pub stage: RefundStage,
    /// "Refund sale #12"
    pub title: String,
    /// "Paid Le 20.00 · Le 15.00 left to refund"; empty while it is read.
    pub standing: String,
    /// "Paid from Orange Money 076 ··· 456"; empty when the terminal does not know.
    pub payer: String,
    /// What to type at this step.
    pub prompt: String,
    /// What is typed: the PIN's dots, the amount, the number.
    pub field: String,
    /// "All: Le 15.00"; empty until the standing is read.
    pub all_label: String,
    /// The question before anything moves, and Monime's fee.
    pub question: String,
    pub fee: String,
    /// "Send Le 12.50"
    pub send_label: String,
    /// How the refund stands, and what it was.
    pub result: String,
    pub tone: RefundTone,
    pub result_detail: String,
    pub can_reprint: bool,
}

impl Flow {
    pub(super) fn refund_view(&self, form: &RefundForm) -> RefundView {
        let (language, style) = (self.language, self.settings.currency_style);
        let outlook = form.outlook();
        let stage = match form.step() {
            RefundStep::Pin => RefundStage::Pin,
            RefundStep::Amount => RefundStage::Amount,
            RefundStep::Number => RefundStage::Number,
            RefundStep::Checking => RefundStage::Checking,
            RefundStep::Confirm(_) => RefundStage::Confirm,
            RefundStep::Sending | RefundStep::Following(_) => RefundStage::Result,
        };
        let field = match form.step() {
            RefundStep::Pin => words::pin_dots(form.pin_typed()),
            RefundStep::Amount => form.amount_shown(style),
            _ => words::typed_number(form.number()),
        };
        let (question, fee, send_label) = match form.step() {
            RefundStep::Confirm(offer) => {
                let quote = offer.quote();
                (
                    quote.question_in(language, style),
                    quote.fee_in(language, style),
                    words::refund_send(language, &quote.amount.display(style)),
                )
            }
            _ => Default::default(),
        };
        let (result, tone, result_detail, can_reprint) = match form.step() {
            RefundStep::Following(refund) => {
                let tone = match refund.record.phase {
                    RefundPhase::Completed => RefundTone::Refunded,
                    RefundPhase::Failed | RefundPhase::Refused => RefundTone::NotSent,
                    RefundPhase::Unknown => RefundTone::Unsure,
                    _ => RefundTone::Working,
                };
                (
                    refund.status_line_in(language),
                    tone,
                    words::refund_detail(language, &refund.record, style),
                    tone == RefundTone::Refunded && self.settings.has_printer,
                )
            }
            _ => (
                words::sending_refund(language).into(),
                RefundTone::Working,
                String::new(),
                false,
            ),
        };
        RefundView {
            stage,
            title: words::refund_title(language, form.sale()),
            standing: outlook
                .map(|outlook| {
                    words::refund_standing(
                        language,
                        &outlook.paid.display(style),
                        &outlook.left.display(style),
                    )
                })
                .unwrap_or_default(),
            payer: outlook
                .map(|outlook| {
                    words::refund_payer(
                        language,
                        outlook.provider.as_deref(),
                        outlook.payer_shown.as_deref(),
                    )
                })
                .unwrap_or_default(),
            prompt: match stage {
                RefundStage::Pin => words::refund_pin_prompt(language),
                RefundStage::Amount => words::refund_amount_prompt(language),
                RefundStage::Number => words::refund_number_prompt(language),
                RefundStage::Checking => words::refund_checking(language),
                RefundStage::Confirm | RefundStage::Result => "",
            }
            .into(),
            field,
            all_label: outlook
                .map(|outlook| words::refund_all(language, &outlook.left.display(style)))
                .unwrap_or_default(),
            question,
            fee,
            send_label,
            result,
            tone,
            result_detail,
            can_reprint,
        }
    }
}
