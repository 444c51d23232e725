//! What the screen shows, made from the flow's state: the `View` the Slint glue puts on the
//! `Kiosk` global, with every sentence in it from `words`.

use super::{Flow, Screen};
use crate::journal::StoredSale;
use crate::lang::Language;
use crate::money::{CurrencyStyle, Money};
use crate::order::TipKind;
use crate::sale::{Phase, Reachability};
use crate::ui::words;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub number: i64,
    pub time: String,
    pub amount: String,
    /// The outcome and the receipt: "Paid · printed".
    pub status: String,
    pub paid: bool,
    pub can_reprint: bool,
}

/// A line of the cart beside the keypad: "2 x Soap", "Le 25.00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartRow {
    pub label: String,
    pub amount: String,
    /// The item's place in `[[items]]`; `None` for the typed amount.
    pub item: Option<usize>,
}

/// A tip the customer may tap: "10%", "+ Le 2.50", "Le 27.50".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipButton {
    pub label: String,
    pub tip: String,
    pub total: String,
}

/// Everything the screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct View {
    pub screen: Option<Screen>,
    pub merchant: String,
    /// Who is signed in, for the status bar; empty without cashiers.
    pub cashier: String,
    pub can_change_cashier: bool,
    pub demo: bool,
    pub network_ok: bool,
    pub network_text: String,
    pub printer_ok: bool,
    pub printer_text: String,
    pub amount_text: String,
    pub amount_empty: bool,
    /// The item keys, name and price, when the shop has them.
    pub item_keys: Vec<(String, String)>,
    pub show_items: bool,
    /// Empty until an item is tapped; then the items and any typed amount.
    pub cart: Vec<CartRow>,
    /// What Charge will ask before the tip, on the tip step.
    pub tip_subtotal: String,
    pub tip_buttons: Vec<TipButton>,
    /// The PAID screen's one flash, as the sale is paid.
    pub paid_flash: bool,
    /// Dimmed or dark until a touch.
    pub resting: bool,
    pub can_charge: bool,
    pub notice: String,
    pub pay_amount: String,
    pub ussd: String,
    /// What the QR code encodes; empty while there is no code.
    pub ussd_for_qr: String,
    pub countdown: String,
    pub status_line: String,
    /// The sale is not getting Monime's word on its code (no answer, errors, a refused key,
    /// "not found"): the status line turns amber.
    pub connection_lost: bool,
    pub confirm_cancel: bool,
    pub can_cancel: bool,
    pub receipt_text: String,
    pub receipt_problem: bool,
    pub can_reprint: bool,
    pub outcome_title: String,
    pub outcome_reason: String,
    /// Nobody can vouch for the outcome (unknown, a cancel unconfirmed): amber, and no Try
    /// again, which could charge twice.
    pub outcome_unsure: bool,
    pub retry_amount: String,
    pub history: Vec<HistoryRow>,
    pub pin_dots: String,
    pub admin_lines: Vec<String>,
    pub books: super::BooksView,
    /// The language the screen speaks: Slint's translations are switched to it.
    pub language: Language,
}

impl Flow {
    pub fn view(&self) -> View {
        let l = self.language;
        let style = self.settings.currency_style;
        let sale = self.sale.as_ref();
        // Once paid, what Monime says was paid, as the receipt prints it.
        let amount = sale
            .map(|sale| match sale.record.phase {
                Phase::Paid => sale.record.paid_amount(),
                _ => sale.record.amount(),
            })
            .or(self.starting)
            .or(self.last_amount);
        let code = sale.and_then(|sale| sale.record.code.as_ref());
        let (network_ok, network_text) = self.network_summary();
        let (printer_ok, printer_text) = self.printer_summary();
        let (receipt_text, receipt_problem) = self.receipt_summary();
        let (outcome_title, outcome_reason) = self.outcome();
        // What Charge would ask: the cart and the typed amount.
        let subtotal = self.subtotal();
        let subtotal_text = subtotal.map(|a| a.display(style)).unwrap_or_default();
        View {
            screen: Some(self.screen),
            merchant: self.settings.merchant_name.clone(),
            cashier: self.cashier.clone().unwrap_or_default(),
            can_change_cashier: !self.settings.cashiers.is_empty(),
            demo: self.settings.demo,
            network_ok,
            network_text,
            printer_ok,
            printer_text,
            amount_text: match self.cart.is_empty() {
                true => self.entry.display(style),
                false => subtotal_text.clone(),
            },
            amount_empty: subtotal.is_none(),
            can_charge: subtotal.is_some(),
            item_keys: self
                .settings
                .items
                .iter()
                .map(|item| {
                    let price = Money::new(self.settings.currency, item.price_minor);
                    (item.name.clone(), price.display(style))
                })
                .collect(),
            show_items: self.show_items,
            cart: self.cart_rows(),
            tip_buttons: self.tip_buttons(subtotal),
            tip_subtotal: subtotal_text,
            paid_flash: self.settings.flash_paid
                && self.screen == Screen::Paid
                && self.paid_for_secs == 0,
            resting: self.resting(),
            notice: self.notice.clone().unwrap_or_default(),
            pay_amount: amount.map(|a| a.display(style)).unwrap_or_default(),
            ussd: code.map(|c| c.ussd_code.clone()).unwrap_or_default(),
            ussd_for_qr: code.map(|c| c.ussd_code.clone()).unwrap_or_default(),
            countdown: self.seconds_left.map(words::countdown).unwrap_or_default(),
            status_line: sale
                .map(|sale| sale.status_line_in(l))
                .unwrap_or_else(|| words::getting_code(l).into()),
            connection_lost: sale.is_some_and(|s| {
                s.reachability != Reachability::Answering || s.not_found_since.is_some()
            }),
            confirm_cancel: self.confirm_cancel,
            can_cancel: self.can_cancel(),
            receipt_text,
            receipt_problem,
            can_reprint: self.settings.has_printer,
            outcome_title,
            outcome_reason,
            outcome_unsure: self.outcome_unsure(),
            retry_amount: self
                .last_amount
                .map(|a| a.display(style))
                .unwrap_or_default(),
            history: self
                .history
                .iter()
                .map(|s| history_row(l, s, style))
                .collect(),
            pin_dots: words::pin_dots(self.pin.len()),
            admin_lines: words::admin_lines(
                l,
                &self.settings.terminal_id,
                &words::network_line(l, &self.network.1),
                self.settings.has_printer,
                self.printer.as_ref(),
                self.last_problem().as_deref(),
            ),
            books: self.books_view(),
            language: l,
        }
    }

    fn cart_rows(&self) -> Vec<CartRow> {
        if self.cart.is_empty() {
            return Vec::new();
        }
        let style = self.settings.currency_style;
        let currency = self.settings.currency;
        let mut rows: Vec<CartRow> = self
            .cart
            .order_lines(&self.settings.items)
            .into_iter()
            .map(|(index, line)| CartRow {
                label: line.label(),
                amount: Money::new(currency, line.total_minor()).display(style),
                item: Some(index),
            })
            .collect();
        if !self.entry.is_empty() {
            rows.push(CartRow {
                label: words::typed_amount(self.language).into(),
                amount: self.entry.display(style),
                item: None,
            });
        }
        rows
    }

    fn tip_buttons(&self, subtotal: Option<Money>) -> Vec<TipButton> {
        let Some(subtotal) = subtotal.filter(|_| self.screen == Screen::Tip) else {
            return Vec::new();
        };
        let style = self.settings.currency_style;
        let currency = self.settings.currency;
        self.tip_choices(subtotal)
            .into_iter()
            .map(|choice| TipButton {
                label: match choice.kind {
                    TipKind::Percent(percent) => words::tip_percent(self.language, percent),
                    TipKind::RoundUp => words::round_up(self.language).into(),
                },
                tip: format!(
                    "+ {}",
                    Money::new(currency, choice.tip_minor).display(style)
                ),
                total: Money::new(currency, subtotal.minor + choice.tip_minor).display(style),
            })
            .collect()
    }

    /// The full text behind the outcome the cashier was last shown, for the admin screen.
    fn last_problem(&self) -> Option<String> {
        if let Some(failure) = &self.start_failure {
            return Some(failure.clone());
        }
        let sale = self.sale.as_ref()?;
        let failure = sale.record.failure.as_ref()?;
        Some(format!("sale {}: {failure}", sale.record.number))
    }

    /// Monime online or offline; while it answers but this terminal's clock is wrong, that is
    /// the problem shown: sales follow Monime's time until someone sets the clock right.
    fn network_summary(&self) -> (bool, String) {
        let link = self.network.0;
        match self.clock.off_by() {
            Some(off_by) if link.ok() => (false, words::clock_off(self.language, off_by)),
            _ => (link.ok(), words::network_badge(self.language, link).into()),
        }
    }

    fn printer_summary(&self) -> (bool, String) {
        let has_printer = self.settings.has_printer;
        let ok = !has_printer || self.printer.as_ref().is_none_or(|s| !s.status.is_problem());
        let badge = words::printer_badge(self.language, has_printer, self.printer.as_ref());
        (ok, badge)
    }

    fn receipt_summary(&self) -> (String, bool) {
        let l = self.language;
        let Some(sale) = &self.sale else {
            return (String::new(), false);
        };
        if !self.settings.has_printer {
            return (words::no_receipt_printer(l).into(), false);
        }
        match &self.printer {
            Some(state) if state.last_printed == Some(sale.record.number) => {
                (words::receipt_printed(l).into(), false)
            }
            Some(state) if state.status.is_problem() => {
                (words::receipt_waits_for(l, &state.status), true)
            }
            _ => (words::printing_receipt(l).into(), false),
        }
    }

    fn outcome(&self) -> (String, String) {
        let l = self.language;
        if let Some(failure) = &self.start_failure {
            return words::not_started(l, failure);
        }
        match &self.sale {
            Some(sale) if sale.left_for_recover => words::cancel_not_confirmed(l),
            Some(sale) => words::outcome(l, sale.record.phase, sale.record.failure.as_deref()),
            None => (String::new(), String::new()),
        }
    }
}

fn history_row(l: Language, sale: &StoredSale, style: CurrencyStyle) -> HistoryRow {
    let phase = sale.record.phase;
    HistoryRow {
        number: sale.record.number,
        time: words::history_time(l, sale.created_at),
        amount: sale.record.amount().display(style),
        status: words::history_status(l, phase, sale.receipt),
        paid: phase == Phase::Paid,
        can_reprint: phase == Phase::Paid,
    }
}
