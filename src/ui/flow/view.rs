//! What the screen shows, made from the flow's state: the `View` the Slint glue puts on the
//! status bar's and the page's globals, with every sentence in it from `words`. Each page's
//! view is made from that page's own state, and only for the page on show.

use super::checkout::Checkout;
use super::refunding::RefundView;
use super::{BooksView, Flow, Screen};
use crate::journal::{StoredRefund, StoredSale};
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::order::TipKind;
use crate::sale::{Phase, Reachability};
use crate::ui::words;

/// Everything the screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub page: PageView,
    pub status: StatusView,
    /// A result or a refusal, under whatever page shows.
    pub notice: String,
    /// Dimmed or dark until a touch.
    pub resting: bool,
    /// The language the screen speaks: Slint's translations are switched to it.
    pub language: Language,
}

/// The page on show, and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageView {
    SignIn(PinView),
    Amount(AmountView),
    Tip(TipView),
    Payment(PaymentView),
    Paid(PaidView),
    Outcome(OutcomeView),
    History(HistoryView),
    AdminPin(PinView),
    Admin(AdminView),
    Books(BooksView),
    Refund(RefundView),
}

/// The bar over every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    pub merchant: String,
    /// Who is signed in; empty without cashiers.
    pub cashier: String,
    pub demo: bool,
    pub network_ok: bool,
    pub network_text: String,
    pub printer_ok: bool,
    pub printer_text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinView {
    /// One dot a digit typed.
    pub dots: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountView {
    /// The amount typed, or with a cart the cart and the amount together.
    pub amount: String,
    pub amount_empty: bool,
    pub can_charge: bool,
    pub can_change_cashier: bool,
    /// The item keys, name and price, when the shop has them.
    pub item_keys: Vec<(String, String)>,
    pub show_items: bool,
    /// Empty until an item is tapped; then the items and any typed amount.
    pub cart: Vec<CartRow>,
}

/// A line of the cart beside the keypad: "2 x Soap", "Le 25.00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartRow {
    pub label: String,
    pub amount: String,
    /// The item's place in `[[items]]`; `None` for the typed amount.
    pub item: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipView {
    /// What Charge asks before the tip.
    pub subtotal: String,
    pub tips: Vec<TipButton>,
}

/// A tip the customer may tap: "10%", "+ Le 2.50", "Le 27.50".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipButton {
    pub label: String,
    pub tip: String,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub amount: String,
    pub ussd: String,
    pub countdown: String,
    pub status_line: String,
    /// The sale is not getting Monime's word on its code (no answer, errors, a refused key,
    /// "not found"): the status line turns amber.
    pub connection_lost: bool,
    pub can_cancel: bool,
    pub confirm_cancel: bool,
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidView {
    pub amount: String,
    pub receipt_text: String,
    pub receipt_problem: bool,
    pub can_reprint: bool,
    /// The page's one flash, as the sale is paid.
    pub flash: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeView {
    pub title: String,
    pub reason: String,
    pub amount: String,
    pub retry_amount: String,
    /// Nobody can vouch for the outcome (unknown, a cancel unconfirmed): amber, and no Try
    /// again, which could charge twice.
    pub unsure: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryView {
    pub rows: Vec<HistoryRow>,
    /// The sales have been read; until then an empty list says nothing.
    pub loaded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub number: i64,
    pub time: String,
    pub amount: String,
    /// The outcome and the receipt: "Paid · printed".
    pub status: String,
    /// The payer's proof: "Orange Money · ref MP2512.1234"; empty until Monime's payment gave
    /// it; then the sale's refunds: "Le 5.00 refunded".
    pub proof: String,
    pub paid: bool,
    pub can_reprint: bool,
    /// Paid, with something left to send back, on a terminal that refunds.
    pub can_refund: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminView {
    /// Version and terminal, Monime, the printer, and the last problem if any.
    pub lines: Vec<String>,
}

impl Flow {
    pub fn view(&self) -> View {
        let page = match &self.screen {
            Screen::SignIn { pin } => PageView::SignIn(pin_view(pin)),
            Screen::Amount => PageView::Amount(self.amount_view()),
            Screen::Tip => PageView::Tip(self.tip_view()),
            Screen::Payment {
                checkout,
                confirm_cancel,
                seconds_left,
            } => PageView::Payment(self.payment_view(checkout, *confirm_cancel, *seconds_left)),
            Screen::Paid {
                checkout,
                shown_for_secs,
            } => PageView::Paid(self.paid_view(checkout, *shown_for_secs)),
            Screen::Outcome { checkout } => PageView::Outcome(self.outcome_view(checkout)),
            Screen::History { sales, refunds } => {
                PageView::History(self.history_view(sales.as_deref(), refunds))
            }
            Screen::Refund(form) => PageView::Refund(self.refund_view(form)),
            Screen::AdminPin { pin } => PageView::AdminPin(pin_view(pin)),
            Screen::Admin => PageView::Admin(self.admin_view()),
            Screen::Books {
                report,
                confirm_close,
            } => PageView::Books(self.books_view(report.as_ref(), *confirm_close)),
        };
        View {
            page,
            status: self.status_view(),
            notice: self.notice.clone().unwrap_or_default(),
            resting: self.resting(),
            language: self.language,
        }
    }

    fn money(&self, amount: Money) -> String {
        amount.display(self.settings.currency_style)
    }

    fn status_view(&self) -> StatusView {
        let (network_ok, network_text) = self.network_summary();
        let (printer_ok, printer_text) = self.printer_summary();
        StatusView {
            merchant: self.settings.merchant_name.clone(),
            cashier: self.cashier.clone().unwrap_or_default(),
            demo: self.settings.demo,
            network_ok,
            network_text,
            printer_ok,
            printer_text,
        }
    }

    pub(super) fn amount_view(&self) -> AmountView {
        let style = self.settings.currency_style;
        // What Charge would ask: the cart and the typed amount.
        let subtotal = self.subtotal();
        AmountView {
            amount: match self.counter.cart.is_empty() {
                true => self.counter.entry.display(style),
                false => subtotal.map(|total| self.money(total)).unwrap_or_default(),
            },
            amount_empty: subtotal.is_none(),
            can_charge: subtotal.is_some(),
            can_change_cashier: !self.settings.cashiers.is_empty(),
            item_keys: self
                .settings
                .items
                .iter()
                .map(|item| {
                    let price = Money::new(self.settings.currency, item.price_minor);
                    (item.name.clone(), self.money(price))
                })
                .collect(),
            show_items: self.counter.show_items,
            cart: self.cart_rows(),
        }
    }

    fn cart_rows(&self) -> Vec<CartRow> {
        let counter = &self.counter;
        if counter.cart.is_empty() {
            return Vec::new();
        }
        let currency = self.settings.currency;
        let mut rows: Vec<CartRow> = counter
            .cart
            .order_lines(&self.settings.items)
            .into_iter()
            .map(|(index, line)| CartRow {
                label: line.label(),
                amount: self.money(Money::new(currency, line.total_minor())),
                item: Some(index),
            })
            .collect();
        if !counter.entry.is_empty() {
            rows.push(CartRow {
                label: words::typed_amount(self.language).into(),
                amount: counter.entry.display(self.settings.currency_style),
                item: None,
            });
        }
        rows
    }

    fn tip_view(&self) -> TipView {
        let Some(subtotal) = self.subtotal() else {
            return TipView {
                subtotal: String::new(),
                tips: Vec::new(),
            };
        };
        let currency = self.settings.currency;
        let tips = self
            .tip_choices(subtotal)
            .into_iter()
            .map(|choice| TipButton {
                label: match choice.kind {
                    TipKind::Percent(percent) => words::tip_percent(self.language, percent),
                    TipKind::RoundUp => words::round_up(self.language).into(),
                },
                tip: format!("+ {}", self.money(Money::new(currency, choice.tip_minor))),
                total: self.money(Money::new(currency, subtotal.minor + choice.tip_minor)),
            })
            .collect();
        TipView {
            subtotal: self.money(subtotal),
            tips,
        }
    }

    fn payment_view(
        &self,
        checkout: &Checkout,
        confirm_cancel: bool,
        seconds_left: Option<u64>,
    ) -> PaymentView {
        let sale = checkout.sale.as_ref();
        PaymentView {
            amount: self.money(checkout.shown_amount()),
            ussd: checkout
                .code()
                .map(|code| code.ussd_code.clone())
                .unwrap_or_default(),
            countdown: seconds_left.map(words::countdown).unwrap_or_default(),
            status_line: sale
                .map(|sale| sale.status_line_in(self.language))
                .unwrap_or_else(|| words::getting_code(self.language).into()),
            connection_lost: sale.is_some_and(|sale| {
                sale.reachability != Reachability::Answering || sale.not_found_since.is_some()
            }),
            can_cancel: checkout.can_cancel(),
            confirm_cancel,
            demo: self.settings.demo,
        }
    }

    fn paid_view(&self, checkout: &Checkout, shown_for_secs: u32) -> PaidView {
        let (receipt_text, receipt_problem) = self.receipt_summary(checkout);
        PaidView {
            amount: self.money(checkout.shown_amount()),
            receipt_text,
            receipt_problem,
            can_reprint: self.settings.has_printer,
            flash: self.settings.flash_paid && shown_for_secs == 0,
        }
    }

    pub(super) fn outcome_view(&self, checkout: &Checkout) -> OutcomeView {
        let language = self.language;
        let (title, reason) = match (&checkout.start_failure, &checkout.sale) {
            (Some(failure), _) => words::not_started(language, failure),
            (None, Some(sale)) if sale.left_for_recover => words::cancel_not_confirmed(language),
            (None, Some(sale)) => {
                words::outcome(language, sale.record.phase, sale.record.failure.as_deref())
            }
            (None, None) => (String::new(), String::new()),
        };
        OutcomeView {
            title,
            reason,
            amount: self.money(checkout.shown_amount()),
            retry_amount: self.money(checkout.amount),
            unsure: checkout.outcome_unsure(),
        }
    }

    fn history_view(&self, sales: Option<&[StoredSale]>, refunds: &[StoredRefund]) -> HistoryView {
        let style = self.settings.currency_style;
        HistoryView {
            rows: sales
                .unwrap_or_default()
                .iter()
                .map(|sale| {
                    let number = sale.record.number;
                    let its_refunds: Vec<&StoredRefund> = refunds
                        .iter()
                        .filter(|refund| refund.record.sale == number)
                        .collect();
                    let mut row = history_row(self.language, sale, &its_refunds, style);
                    row.can_refund &= self.settings.refunds_enabled;
                    row
                })
                .collect(),
            loaded: sales.is_some(),
        }
    }

    /// The admin screen's lines; the tests read them from any page.
    pub(super) fn admin_view(&self) -> AdminView {
        let (language, surroundings) = (self.language, &self.surroundings);
        AdminView {
            lines: words::admin_lines(
                language,
                &self.settings.terminal_id,
                &words::network_line(language, &surroundings.network.1),
                self.settings.has_printer,
                surroundings.printer.as_ref(),
                self.last_problem.as_deref(),
            ),
        }
    }

    /// Monime online or offline; while it answers but this terminal's clock is wrong, that is
    /// the problem shown: sales follow Monime's time until someone sets the clock right.
    fn network_summary(&self) -> (bool, String) {
        let link = self.surroundings.network.0;
        match self.surroundings.clock.off_by() {
            Some(off_by) if link.ok() => (false, words::clock_off(self.language, off_by)),
            _ => (link.ok(), words::network_badge(self.language, link).into()),
        }
    }

    fn printer_summary(&self) -> (bool, String) {
        let has_printer = self.settings.has_printer;
        let printer = self.surroundings.printer.as_ref();
        let ok = !has_printer || printer.is_none_or(|state| !state.status.is_problem());
        let badge = words::printer_badge(self.language, has_printer, printer);
        (ok, badge)
    }

    fn receipt_summary(&self, checkout: &Checkout) -> (String, bool) {
        let language = self.language;
        let Some(number) = checkout.number() else {
            return (String::new(), false);
        };
        if !self.settings.has_printer {
            return (words::no_receipt_printer(language).into(), false);
        }
        match &self.surroundings.printer {
            Some(state) if state.last_printed == Some(number) => {
                (words::receipt_printed(language).into(), false)
            }
            Some(state) if state.status.is_problem() => {
                (words::receipt_waits_for(language, &state.status), true)
            }
            _ => (words::printing_receipt(language).into(), false),
        }
    }
}

fn pin_view(pin: &str) -> PinView {
    PinView {
        dots: words::pin_dots(pin.len()),
    }
}

fn history_row(
    language: Language,
    sale: &StoredSale,
    refunds: &[&StoredRefund],
    style: CurrencyStyle,
) -> HistoryRow {
    let phase = sale.record.phase;
    let second_line: Vec<String> = sale
        .proof
        .as_ref()
        .map(|proof| words::payer_proof(language, proof))
        .into_iter()
        .chain(words::history_refunds(language, refunds, style))
        .filter(|part| !part.is_empty())
        .collect();
    let held_minor: i64 = refunds
        .iter()
        .filter(|refund| refund.record.phase.holds_money())
        .map(|refund| refund.record.amount.minor)
        .sum();
    let paid = phase == Phase::Paid;
    HistoryRow {
        number: sale.record.number,
        time: words::history_time(language, sale.created_at),
        amount: sale.record.amount().display(style),
        status: words::history_status(language, phase, sale.receipt),
        proof: second_line.join(" · "),
        paid,
        can_reprint: paid,
        can_refund: paid && held_minor < sale.record.paid_amount().minor,
    }
}
