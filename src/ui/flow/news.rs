//! News from the worker: a sale's progress, the printer, the network, the clock, reports; and
//! what the screen makes of it.

use super::{Flow, Screen};
use crate::clock::Clock;
use crate::journal::StoredSale;
use crate::printer::PrinterState;
use crate::report::ShiftReport;
use crate::sale::{Phase, Sale};
use crate::ui::network::{Link, NetworkNote};

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
    /// The status bar's link and the admin screen's line about Monime.
    Network {
        link: Link,
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
}

impl Flow {
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
            News::Network { link, note } => self.network = (link, note),
            News::KeyOrigin(origin) => self.key_origin = Some(origin),
            News::Message(text) => self.notice = Some(text),
            News::Clock(clock) => self.clock = clock,
            News::Books(report, message) => self.books_arrived(*report, message),
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
        let note = NetworkNote::of(&sale.reachability, self.key_origin.as_deref());
        self.network = (Link::of(&sale.reachability), note);
        // The countdown is set when a code arrives and then runs on the screen's own clock
        // (`tick`), so that it is smooth and tests can drive it with mock time.
        let expiry = |sale: &Sale| sale.record.code.as_ref().and_then(|code| code.expire_time);
        if self.sale.as_ref().and_then(expiry) != expiry(&sale) || self.seconds_left.is_none() {
            self.seconds_left = sale.time_left(self.clock.now()).map(|d| d.as_secs());
        }
        if sale.is_done() && self.screen == Screen::Payment {
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
}
