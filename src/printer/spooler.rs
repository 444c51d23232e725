//! The printer queue: one thread that owns the printer, prints every receipt the journal says
//! is owed (paid sales', completed refunds') as soon as the printer can take it, and runs the
//! one-off jobs (reprint, test page, report) people ask for.
//!
//! The journal is the queue: a receipt is owed from the moment its sale is paid (its refund
//! completed) until the bytes have left for the printer, so a printer that is out of paper, unplugged or switched off
//! loses nothing. Owed receipts are tried again on a timer and at once when the printer's
//! device node reappears. A crash between sending and recording "printed" prints that receipt
//! twice rather than never.

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};

use super::receipt::{self, ReceiptStyle};
use super::refund_receipt::refund_receipt;
use super::{PrintError, PrinterPort, PrinterStatus};
use crate::clock::Clock;
use crate::journal::{Journal, Receipt, StoredRefund, StoredSale};
use crate::refund::RefundPhase;
use crate::report::{DayReport, ShiftReport};
use crate::sale::Phase;

/// How often the queue looks at the printer.
#[derive(Debug, Clone, Copy)]
pub struct SpoolTiming {
    /// Owed receipts are tried again, and the status refreshed, this often.
    pub retry_every: Duration,
    /// The device node is looked for this often, to print as soon as it is plugged back in.
    pub presence_poll: Duration,
}

impl Default for SpoolTiming {
    fn default() -> Self {
        SpoolTiming {
            retry_every: Duration::from_secs(15),
            presence_poll: Duration::from_secs(1),
        }
    }
}

/// What the screen and the command line show about the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterState {
    pub device: String,
    pub status: PrinterStatus,
    /// Receipts of paid sales and completed refunds not printed yet.
    pub owed: usize,
    /// The sale whose receipt printed last.
    pub last_printed: Option<i64>,
}

/// A one-off print.
#[derive(Debug, Clone)]
pub enum Job {
    /// A sale's receipt again (marked as a copy unless it was still owed).
    Reprint(i64),
    /// A completed refund's receipt again (a copy unless it was still owed).
    ReprintRefund(i64),
    TestPage,
    /// The end-of-day report.
    Report(Box<DayReport>),
    /// A shift (X) or day-close (Z) report.
    Shift(Box<ShiftReport>),
    /// The buzzer, as a sale is paid (`[printer] buzzer`). It needs no paper.
    Chime,
}

/// What the queue is asked: a receipt now owed, a document to print, how the printer is.
#[derive(Debug)]
enum QueueMessage {
    Owed(i64),
    RefundOwed(i64),
    Print(Job, oneshot::Sender<Result<(), PrintError>>),
    Check(oneshot::Sender<PrinterState>),
}

/// The queue's front door. Clones share the one printer thread, which ends when the last
/// clone is dropped.
#[derive(Debug, Clone)]
pub struct PrinterHandle {
    requests: mpsc::Sender<QueueMessage>,
    state: watch::Receiver<PrinterState>,
    /// The sales whose receipts the journal owed when the queue started.
    owed_at_start: Arc<[i64]>,
}

impl PrinterHandle {
    /// Starts the printer thread; it prints whatever the journal already owes right away.
    /// Test pages and reports are dated by `clock`.
    pub fn start(
        port: Box<dyn PrinterPort>,
        journal: Journal,
        style: ReceiptStyle,
        timing: SpoolTiming,
        clock: Clock,
    ) -> std::io::Result<PrinterHandle> {
        let owed_at_start = match journal.owed_receipts() {
            Ok(owed) => owed.iter().map(|sale| sale.record.number).collect(),
            Err(error) => {
                tracing::error!(%error, "cannot read the owed receipts");
                Arc::default()
            }
        };
        let (requests, inbox) = mpsc::channel();
        let (state_sender, state) = watch::channel(PrinterState {
            device: port.describe(),
            status: PrinterStatus::Unknown,
            owed: 0,
            last_printed: None,
        });
        let spool = Spool {
            port,
            journal,
            style,
            state: state_sender,
            clock,
            torn: false,
        };
        std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || spool.run(&inbox, timing))?;
        Ok(PrinterHandle {
            requests,
            state,
            owed_at_start,
        })
    }

    /// The sales whose receipts were owed when the queue started; it prints them first.
    pub fn owed_at_start(&self) -> &[i64] {
        &self.owed_at_start
    }

    /// A paid sale's receipt is owed: print it when the printer can.
    pub fn receipt_owed(&self, sale: i64) {
        if self.requests.send(QueueMessage::Owed(sale)).is_err() {
            tracing::warn!(
                sale,
                "the printer queue has stopped; the receipt stays owed"
            );
        }
    }

    /// A completed refund's receipt is owed: print it when the printer can.
    pub fn refund_receipt_owed(&self, refund: i64) {
        if self
            .requests
            .send(QueueMessage::RefundOwed(refund))
            .is_err()
        {
            tracing::warn!(
                refund,
                "the printer queue has stopped; the refund's receipt stays owed"
            );
        }
    }

    /// Prints `job` now, or says why it cannot.
    pub async fn print(&self, job: Job) -> Result<(), PrintError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(QueueMessage::Print(job, reply))
            .map_err(|_| PrintError::Stopped)?;
        answer.await.map_err(|_| PrintError::Stopped)?
    }

    /// Asks the printer for its status now.
    pub async fn check(&self) -> Result<PrinterState, PrintError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(QueueMessage::Check(reply))
            .map_err(|_| PrintError::Stopped)?;
        answer.await.map_err(|_| PrintError::Stopped)
    }

    pub fn state(&self) -> watch::Receiver<PrinterState> {
        self.state.clone()
    }
}

struct Spool {
    port: Box<dyn PrinterPort>,
    journal: Journal,
    style: ReceiptStyle,
    state: watch::Sender<PrinterState>,
    clock: Clock,
    /// The last document stopped partway: the piece on the paper is marked and cut off
    /// before the next one, so that it cannot pass for a whole receipt.
    torn: bool,
}

impl Spool {
    fn run(mut self, inbox: &mpsc::Receiver<QueueMessage>, timing: SpoolTiming) {
        let mut present = self.port.present();
        let mut next_try = Instant::now();
        loop {
            self.port.rest();
            let wait = next_try
                .saturating_duration_since(Instant::now())
                .min(timing.presence_poll);
            match inbox.recv_timeout(wait) {
                Ok(QueueMessage::Owed(sale)) => {
                    tracing::debug!(sale, "receipt owed");
                    self.print_owed();
                    next_try = Instant::now() + timing.retry_every;
                }
                Ok(QueueMessage::RefundOwed(refund)) => {
                    tracing::debug!(refund, "refund receipt owed");
                    self.print_owed();
                    next_try = Instant::now() + timing.retry_every;
                }
                Ok(QueueMessage::Print(job, reply)) => {
                    let _ = reply.send(self.run_job(job));
                }
                Ok(QueueMessage::Check(reply)) => {
                    self.refresh();
                    self.count_owed();
                    let _ = reply.send(self.state.borrow().clone());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            let now_present = self.port.present();
            if now_present != present {
                present = now_present;
                if present {
                    tracing::info!(device = %self.port.describe(), "the printer is back");
                    next_try = Instant::now();
                } else {
                    self.refresh();
                }
            }
            if Instant::now() >= next_try {
                self.print_owed();
                next_try = Instant::now() + timing.retry_every;
            }
        }
    }

    fn refresh(&mut self) -> PrinterStatus {
        let status = super::status_of(self.port.as_mut());
        self.set_status(status.clone());
        status
    }

    fn set_status(&mut self, status: PrinterStatus) {
        // A printer found by itself may be another device than last time.
        let device = self.port.describe();
        self.state.send_if_modified(|state| {
            if state.status == status && state.device == device {
                return false;
            }
            state.device = device;
            if status.is_problem() {
                tracing::warn!(device = %state.device, "printer {status}");
            } else {
                tracing::info!(device = %state.device, "printer {status}");
            }
            state.status = status;
            true
        });
    }

    fn count_owed(&self) -> (Vec<StoredSale>, Vec<StoredRefund>) {
        let owed = match (
            self.journal.owed_receipts(),
            self.journal.owed_refund_receipts(),
        ) {
            (Ok(sales), Ok(refunds)) => (sales, refunds),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot read the owed receipts");
                return (Vec::new(), Vec::new());
            }
        };
        let count = owed.0.len() + owed.1.len();
        self.state.send_if_modified(|state| {
            let changed = state.owed != count;
            state.owed = count;
            changed
        });
        owed
    }

    /// Prints every owed receipt, sales' then refunds', oldest first, while the printer takes
    /// them.
    fn print_owed(&mut self) {
        let status = self.refresh();
        let (sales, refunds) = self.count_owed();
        if (sales.is_empty() && refunds.is_empty()) || !status.can_print() {
            return;
        }
        for sale in sales {
            let number = sale.record.number;
            if let Err(error) = self.print_sale(&sale, false) {
                tracing::warn!(sale = number, %error, "receipt not printed; it stays owed");
                self.count_owed();
                return;
            }
            self.mark_printed(number);
        }
        for refund in refunds {
            let number = refund.record.number;
            if let Err(error) = self.print_refund(&refund, false) {
                tracing::warn!(refund = number, %error, "refund receipt not printed; it stays owed");
                break;
            }
            self.mark_refund_printed(number);
        }
        self.count_owed();
    }

    fn mark_refund_printed(&self, number: i64) {
        if let Err(error) = self.journal.set_refund_receipt(number, Receipt::Printed) {
            tracing::error!(refund = number, %error, "printed, but the journal cannot record it");
        }
        tracing::info!(refund = number, "refund receipt printed");
    }

    fn print_refund(&mut self, refund: &StoredRefund, copy: bool) -> Result<(), PrintError> {
        let number = refund.record.number;
        let refunded_at = self
            .journal
            .refund_events(number)?
            .into_iter()
            .find(|event| event.phase == RefundPhase::Completed)
            .map_or(refund.updated_at, |event| event.at);
        let sale = self.journal.sale(refund.record.sale)?;
        let bytes = refund_receipt(&self.style, refund, sale.as_ref(), refunded_at, copy)?;
        let name = format!("refund-{number}{}", if copy { "-copy" } else { "" });
        self.send(&name, &bytes)
    }

    fn mark_printed(&self, number: i64) {
        if let Err(error) = self.journal.set_receipt(number, Receipt::Printed) {
            tracing::error!(sale = number, %error, "printed, but the journal cannot record it");
        }
        tracing::info!(sale = number, "receipt printed");
        self.state
            .send_modify(|state| state.last_printed = Some(number));
    }

    fn print_sale(&mut self, sale: &StoredSale, copy: bool) -> Result<(), PrintError> {
        let number = sale.record.number;
        let paid_at = self.journal.paid_at(number)?.unwrap_or(sale.updated_at);
        let bytes = receipt::sale_receipt(&self.style, sale, paid_at, copy)?;
        let name = format!("sale-{number}{}", if copy { "-copy" } else { "" });
        self.send(&name, &bytes)
    }

    /// Sends one document whole, after cutting off the piece of one that stopped partway.
    fn send(&mut self, name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        if self.torn {
            let tear_off = receipt::tear_off(&self.style)?;
            self.port
                .send("interrupted", &tear_off)
                .inspect_err(|error| self.failed(error))?;
            self.torn = false;
        }
        self.port
            .send(name, bytes)
            .inspect_err(|error| self.failed(error))
    }

    fn failed(&mut self, error: &PrintError) {
        if matches!(error, PrintError::Torn(_)) {
            self.torn = true;
        }
        if let Some(reason) = error.unreachable_reason() {
            self.set_status(PrinterStatus::Unreachable(reason.to_string()));
        }
    }

    fn run_job(&mut self, job: Job) -> Result<(), PrintError> {
        // The buzzer needs no paper: it sounds whatever the printer says of itself.
        if !matches!(job, Job::Chime) {
            let status = self.refresh();
            if !status.can_print() {
                return Err(PrintError::NotReady(status));
            }
        }
        let now = self.clock.now();
        match job {
            Job::Reprint(number) => {
                let sale = self
                    .journal
                    .sale(number)?
                    .ok_or_else(|| PrintError::Refused(format!("there is no sale {number}")))?;
                if sale.record.phase != Phase::Paid {
                    return Err(PrintError::Refused(format!(
                        "sale {number} was not paid ({}), so it has no receipt",
                        sale.record.phase.as_str().replace('_', " ")
                    )));
                }
                let owed = sale.receipt_owed();
                self.print_sale(&sale, !owed)?;
                if owed {
                    self.mark_printed(number);
                    self.count_owed();
                }
                Ok(())
            }
            Job::ReprintRefund(number) => {
                let refund = self
                    .journal
                    .refund(number)?
                    .ok_or_else(|| PrintError::Refused(format!("there is no refund {number}")))?;
                if refund.record.phase != RefundPhase::Completed {
                    return Err(PrintError::Refused(format!(
                        "refund {number} has not completed ({}), so it has no receipt",
                        refund.record.phase.as_str()
                    )));
                }
                let owed = refund.receipt_owed();
                self.print_refund(&refund, !owed)?;
                if owed {
                    self.mark_refund_printed(number);
                    self.count_owed();
                }
                Ok(())
            }
            Job::TestPage => {
                let bytes = receipt::test_page(&self.style, &self.port.describe(), now)?;
                self.send(
                    &format!("test-page-{}", now.format("%Y%m%d-%H%M%S")),
                    &bytes,
                )
            }
            Job::Report(report) => {
                let bytes = receipt::day_report(&self.style, &report, now)?;
                self.send(
                    &format!("report-{}", report.date.format("%Y-%m-%d")),
                    &bytes,
                )
            }
            Job::Shift(report) => {
                let bytes = receipt::shift_report(&self.style, &report, now)?;
                let name = match &report.close {
                    Some(close) => format!("z-{:04}", close.number),
                    None => format!("x-{}", now.format("%Y%m%d-%H%M%S")),
                };
                self.send(&name, &bytes)
            }
            Job::Chime => {
                let chimed = self.port.chime(self.style.model);
                chimed.inspect_err(|error| self.failed(error))
            }
        }
    }
}
