//! What the worker tells the screen: a sale's progress, the printer, the network, the clock, reports; and
//! what the screen makes of it.

use super::{Checkout, Flow, RefundRefusal, Screen};
use crate::clock::Clock;
use crate::journal::{StoredRefund, StoredSale};
use crate::printer::PrinterState;
use crate::refund::Refund;
use crate::report::ShiftReport;
use crate::sale::{Phase, Sale};
use crate::shop::{RefundOffer, RefundOutlook};
use crate::ui::network::{MonimeLink, NetworkNote};

/// What the worker tells the screen.
#[derive(Debug, Clone)]
pub enum Update {
    Sale(Box<Sale>),
    /// An unsettled sale found at start (the power went while its code was on screen).
    Resumed(Box<Sale>),
    /// The sale could not even be started (the journal refused it): nothing was charged.
    StartFailed(String),
    Printer(PrinterState),
    /// The recent sales, and the refunds of those among them paid.
    History(Vec<StoredSale>, Vec<StoredRefund>),
    /// The status bar's link and the admin screen's line about Monime.
    Network {
        link: MonimeLink,
        note: NetworkNote,
    },
    /// Where the terminal's Monime key was read from, for the technician's words when Monime
    /// refuses it.
    KeyOrigin(String),
    /// A result worth a line on the screen ("Test page sent", "Printer out of paper").
    Message(String),
    /// The terminal's clock, which follows Monime's time when the local clock is wrong.
    Clock(Clock),
    /// A shift or day-close report for the books screen, with a line about it.
    Books(Box<ShiftReport>, Option<String>),
    /// Where the sale on the refund screen stands, or why it cannot be refunded.
    RefundOutlook(Result<RefundOutlook, String>),
    /// The refund checked and its question, or why not.
    RefundQuoted(Result<Box<RefundOffer>, RefundRefusal>),
    /// The refund sent, as it stands now.
    Refund(Box<Refund>),
}

impl Flow {
    pub fn update(&mut self, update: Update) {
        match update {
            Update::Sale(sale) => self.sale_changed(*sale),
            Update::Resumed(sale) => {
                self.screen = Screen::Payment {
                    checkout: Checkout::resumed(*sale.clone()),
                    confirm_cancel: false,
                    seconds_left: None,
                };
                self.sale_changed(*sale);
            }
            Update::StartFailed(message) => {
                self.last_problem = Some(message.clone());
                if let Screen::Payment { checkout, .. } = &mut self.screen {
                    checkout.start_failure = Some(message);
                    let checkout = checkout.clone();
                    self.screen = Screen::Outcome { checkout };
                }
            }
            Update::Printer(state) => self.surroundings.printer = Some(state),
            Update::History(read, their_refunds) => {
                if let Screen::History { sales, refunds } = &mut self.screen {
                    *sales = Some(read);
                    *refunds = their_refunds;
                }
            }
            Update::Network { link, note } => self.surroundings.network = (link, note),
            Update::KeyOrigin(origin) => self.surroundings.key_origin = Some(origin),
            Update::Message(text) => self.notice = Some(text),
            Update::Clock(clock) => self.surroundings.clock = clock,
            Update::Books(report, message) => self.books_arrived(*report, message),
            Update::RefundOutlook(outlook) => self.refund_outlook_arrived(outlook),
            Update::RefundQuoted(answer) => self.refund_quoted(answer),
            Update::Refund(refund) => self.refund_changed(*refund),
        }
    }

    fn sale_changed(&mut self, sale: Sale) {
        // Update of an older sale (still settling after the cashier moved on) is not shown: the
        // sale being started is the first one newer than any seen.
        let number = sale.record.number;
        let on_screen = self.screen.checkout();
        let current = on_screen.and_then(Checkout::number);
        let waiting =
            matches!(&self.screen, Screen::Payment { checkout, .. } if checkout.waiting());
        let the_new_one = waiting && number > self.newest_seen;
        self.newest_seen = self.newest_seen.max(number);
        if current != Some(number) && !the_new_one {
            return;
        }
        let surroundings = &mut self.surroundings;
        let note = NetworkNote::of(&sale.reachability, surroundings.key_origin.as_deref());
        surroundings.network = (MonimeLink::of(&sale.reachability), note);
        let now = surroundings.clock.now();
        let screen = std::mem::replace(&mut self.screen, Screen::Amount);
        self.screen = match screen {
            Screen::Payment {
                mut checkout,
                confirm_cancel,
                mut seconds_left,
            } => {
                // The countdown is set when a code arrives and then runs on the screen's own
                // clock (`tick`), so that it is smooth and tests can drive it with mock time.
                let expiry =
                    |sale: &Sale| sale.record.code.as_ref().and_then(|code| code.expire_time);
                if checkout.sale.as_ref().and_then(expiry) != expiry(&sale)
                    || seconds_left.is_none()
                {
                    seconds_left = sale.time_left(now).map(|left| left.as_secs());
                }
                let done = sale.is_done();
                let paid = sale.record.phase == Phase::Paid;
                checkout.sale = Some(sale);
                match (done, paid) {
                    (true, true) => Screen::Paid {
                        checkout,
                        shown_for_secs: 0,
                    },
                    (true, false) => Screen::Outcome { checkout },
                    (false, _) => Screen::Payment {
                        checkout,
                        confirm_cancel,
                        seconds_left,
                    },
                }
            }
            Screen::Paid {
                mut checkout,
                shown_for_secs,
            } => {
                checkout.sale = Some(sale);
                Screen::Paid {
                    checkout,
                    shown_for_secs,
                }
            }
            Screen::Outcome { mut checkout } => {
                checkout.sale = Some(sale);
                Screen::Outcome { checkout }
            }
            other => other,
        };
        if let Some(problem) = self.screen.checkout().and_then(Checkout::problem) {
            self.last_problem = Some(problem);
        }
    }
}
