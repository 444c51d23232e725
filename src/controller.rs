//! Runs sales: the one place where the pure sale machine meets the network, the journal and
//! the printer. It feeds Monime's answers, timers and the cashier's cancel into the machine,
//! writes every change to the journal before acting on it, and publishes each new state for
//! the screen or the command line to draw.
//!
//! Requests for one sale go out one at a time, so a sale never races itself; the client spaces
//! requests across sales.
//!
//! Sale times come from the client's `Clock`, which follows Monime's time when the terminal's
//! own clock is off; a new sale asks Monime the time first if the clock has not heard it yet.
//!
//! Refunds run the same way in `refunding`.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

mod proof;
mod refunding;
mod tallies;

use crate::clock::Clock;
use crate::journal::{Journal, JournalError, Receipt, StoredSale};
use crate::monime::{MonimeClient, SpaceLoad};
use crate::printer::PrinterHandle;
use crate::sale::{
    Bounds, CodeShape, Effect, Event, MonimeCall, NewSale, Phase, Sale, SaleRecord, Timing,
};

pub use refunding::{RefundHandle, resume_refund, start_refund};
pub use tallies::{Histogram, PAID_LATENCY_BUCKETS, SaleTallies};

/// Where the receipts of paid sales go.
#[derive(Debug, Clone)]
pub enum Receipts {
    /// The terminal has no printer: nothing is owed.
    NoPrinter,
    /// The printer queue is told; the journal keeps the receipt owed until it is printed.
    Printer(PrinterHandle),
}

/// What every sale needs.
#[derive(Debug, Clone)]
pub struct Services {
    pub client: MonimeClient,
    pub journal: Journal,
    pub timing: Timing,
    pub receipts: Receipts,
    /// What the sales tell the metrics.
    pub tallies: std::sync::Arc<SaleTallies>,
}

impl Services {
    /// The time sales are filed under: the client's clock, which its answers keep.
    pub fn clock(&self) -> &Clock {
        self.client.clock()
    }

    /// Tells the client when Monime last answered 429, as the journal remembers it: a terminal
    /// restarted in a crowded space starts at the pace it had found.
    pub fn recall_throttled(&self) -> Result<(), JournalError> {
        if let Some(at) = self.journal.last_throttled()? {
            self.client.recall_throttled(at);
        }
        Ok(())
    }
}

/// How long a new sale waits to hear Monime's time before it is filed under the local time.
pub const TIME_CHECK_LIMIT: Duration = Duration::from_secs(3);

/// Asks Monime for the time (a read of one code's page: any answer is dated) unless the clock
/// has heard it already, for at most `TIME_CHECK_LIMIT`. Without an answer the local time
/// stands.
pub async fn learn_the_time(services: &Services) {
    if services.clock().has_heard() {
        return;
    }
    match tokio::time::timeout(TIME_CHECK_LIMIT, services.client.check()).await {
        Ok(Ok(_)) => {}
        // An error answer is dated too: the clock has it even then.
        Ok(Err(error)) => tracing::debug!(%error, "asking Monime the time"),
        Err(_) => tracing::debug!("Monime did not tell the time in time"),
    }
}

/// What the cashier (or a technician's Ctrl-C) can do to a running sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleCommand {
    Cancel,
}

/// A running sale: send it commands, watch its state, await its end.
#[derive(Debug)]
pub struct SaleHandle {
    pub commands: mpsc::UnboundedSender<SaleCommand>,
    pub updates: watch::Receiver<Sale>,
    pub finished: tokio::task::JoinHandle<Sale>,
}

/// A running sale as another part of the terminal follows it (the screen, for a sale a command
/// started): watch it and cancel it; whoever started it awaits its end.
#[derive(Debug, Clone)]
pub struct SaleWatch {
    pub commands: mpsc::UnboundedSender<SaleCommand>,
    pub updates: watch::Receiver<Sale>,
}

impl SaleHandle {
    pub fn cancel(&self) {
        self.link().cancel();
    }

    pub fn number(&self) -> i64 {
        self.updates.borrow().record.number
    }

    pub fn link(&self) -> SaleWatch {
        SaleWatch {
            commands: self.commands.clone(),
            updates: self.updates.clone(),
        }
    }
}

impl SaleWatch {
    pub fn cancel(&self) {
        // A sale that already ended has dropped its receiver; there is nothing to cancel then.
        let _ = self.commands.send(SaleCommand::Cancel);
    }
}

/// Starts a new sale: its idempotency key and the sale as asked are written to the journal
/// first, then the create goes out, shaped by `shape`. Someone waits on it, so it is held to
/// `Bounds::ATTENDED`.
pub async fn start_sale(
    services: &Services,
    shape: &CodeShape,
    sale: NewSale,
) -> Result<SaleHandle, JournalError> {
    start_sale_with(services, Bounds::ATTENDED, shape, sale).await
}

/// `start_sale` with other bounds.
pub async fn start_sale_with(
    services: &Services,
    bounds: Bounds,
    shape: &CodeShape,
    sale: NewSale,
) -> Result<SaleHandle, JournalError> {
    learn_the_time(services).await;
    let key = uuid::Uuid::new_v4().to_string();
    let now = services.clock().now();
    let shape = shape.clone();
    // A full disk is found before a code exists, not halfway through the sale's records.
    let record = services
        .journal
        .call(move |journal| {
            journal.check_free_space()?;
            journal.begin_sale(&key, now, &shape, &sale)
        })
        .await?;
    Ok(spawn(services, record, false, bounds))
}

/// Takes up a sale read back from the journal, to settle it (`Bounds::SETTLING`).
pub fn resume_sale(services: &Services, stored: StoredSale) -> SaleHandle {
    let owed = stored.receipt_owed();
    spawn(services, stored.record, owed, Bounds::SETTLING)
}

/// Resumes every unsettled sale in the journal, each on its own task, until each is settled
/// (`Bounds::SETTLING`: a cancel is never given up, as `recover` needs).
pub async fn resume_unsettled(services: &Services) -> Result<Vec<SaleHandle>, JournalError> {
    resume_unsettled_with(services, Bounds::SETTLING).await
}

/// `resume_unsettled` with other bounds: the screen resumes a sale the cashier may cancel.
pub async fn resume_unsettled_with(
    services: &Services,
    bounds: Bounds,
) -> Result<Vec<SaleHandle>, JournalError> {
    let unsettled = services.journal.call(Journal::unsettled).await?;
    proof::ask_for_missing(services);
    Ok(unsettled
        .into_iter()
        .map(|stored| {
            let owed = stored.receipt_owed();
            spawn(services, stored.record, owed, bounds)
        })
        .collect())
}

fn spawn(
    services: &Services,
    record: SaleRecord,
    receipt_owed: bool,
    bounds: Bounds,
) -> SaleHandle {
    let (sale, effects) = Sale::resume(record, receipt_owed, services.timing);
    let sale = sale.with_bounds(bounds);
    let (commands, command_receiver) = mpsc::unbounded_channel();
    let (updates_sender, updates) = watch::channel(sale.clone());
    let finished = tokio::spawn(drive(
        services.clone(),
        sale,
        effects,
        command_receiver,
        updates_sender,
    ));
    SaleHandle {
        commands,
        updates,
        finished,
    }
}

type EventFuture = Pin<Box<dyn Future<Output = Event> + Send>>;

async fn drive(
    services: Services,
    mut sale: Sale,
    first_effects: Vec<Effect>,
    mut commands: mpsc::UnboundedReceiver<SaleCommand>,
    updates: watch::Sender<Sale>,
) -> Sale {
    let mut queue: VecDeque<MonimeCall> = VecDeque::new();
    let mut in_flight: Option<EventFuture> = None;
    let mut check_at: Option<Instant> = None;
    let mut commands_open = true;
    apply(&services, &sale, first_effects, &mut queue, &mut check_at).await;
    loop {
        if sale.is_done() {
            break;
        }
        if in_flight.is_none() {
            in_flight = queue
                .pop_front()
                .map(|request| send(&services, &sale, request));
        }
        let timer_armed = in_flight.is_none() && check_at.is_some();
        // The deadline comes even while a request hangs: a give-up is never held up by one.
        let deadline = sale
            .deadline()
            .map(|at| Instant::now() + (at - services.clock().now()).to_std().unwrap_or_default());
        let event = tokio::select! {
            command = commands.recv(), if commands_open => match command {
                Some(SaleCommand::Cancel) => Event::CancelPressed,
                None => {
                    commands_open = false;
                    continue;
                }
            },
            event = async { in_flight.as_mut().expect("guarded by the condition").await }, if in_flight.is_some() => {
                in_flight = None;
                event
            },
            () = tokio::time::sleep_until(check_at.unwrap_or_else(Instant::now)), if timer_armed => {
                check_at = None;
                Event::CheckDue
            },
            () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                Event::DeadlinePassed
            },
        };
        let before = sale.record.clone();
        let code_updated = match &event {
            Event::Created(code) | Event::Checked(code) | Event::CancelAnswered(code) => {
                code.update_time
            }
            _ => None,
        };
        sale.space = services.client.space_load();
        let effects = sale.handle(event, services.clock().now());
        remember_throttled(&services).await;
        if sale.record != before {
            save(&services, &mut sale).await;
        }
        updates.send_replace(sale.clone());
        // From Monime's `completed` (the code's last update, on Monime's clock) to PAID on
        // show (on the terminal's clock, which follows Monime's).
        if let (false, Phase::Paid, Some(completed)) =
            (before.phase == Phase::Paid, sale.record.phase, code_updated)
        {
            let after = (services.clock().now() - completed).to_std();
            services.tallies.paid(after.unwrap_or_default());
        }
        apply(&services, &sale, effects, &mut queue, &mut check_at).await;
    }
    if sale.left_for_recover {
        // The journal keeps the sale unsettled; its history says why it stopped here.
        tracing::warn!(
            sale = sale.record.number,
            "Monime did not confirm the cancel; the sale is left for recover"
        );
        save(&services, &mut sale).await;
    }
    updates.send_replace(sale.clone());
    services.tallies.settled();
    sale
}

/// Writes the sale; if the journal cannot be written the sale goes on (the money is at Monime
/// either way) and the cashier is told.
async fn save(services: &Services, sale: &mut Sale) {
    let record = sale.record.clone();
    let detail = sale.status_line();
    let now = services.clock().now();
    let written = services
        .journal
        .call(move |journal| journal.save(&record, now, Some(&detail)))
        .await;
    if let Err(error) = written {
        tracing::error!(sale = sale.record.number, %error, "cannot write the sale to the journal");
        sale.notice = Some(format!("The journal cannot be written: {error}"));
    }
}

async fn apply(
    services: &Services,
    sale: &Sale,
    effects: Vec<Effect>,
    queue: &mut VecDeque<MonimeCall>,
    check_at: &mut Option<Instant>,
) {
    for effect in effects {
        match effect {
            Effect::Send(call) => {
                if !queue.contains(&call) {
                    queue.push_back(call);
                }
            }
            Effect::CheckAfter(wait) => {
                let in_trouble = sale.reachability.since().is_some();
                *check_at = Some(Instant::now() + spread(wait, sale.space, in_trouble));
            }
            Effect::PrintReceipt => {
                let number = sale.record.number;
                if let Some(code) = &sale.record.code {
                    proof::find_for_the_receipt(services, number, &code.id, sale.space).await;
                }
                owe_receipt(services, number).await
            }
        }
    }
}

/// The sale's wait, spread at random where terminals may be asking together: in a crowded
/// space, a tenth either way; while Monime is in trouble (its return answers every waiting
/// terminal at once), up to a fifth longer, never shorter, since the wait after a 429 is at
/// least Monime's `Retry-After` (`sale::trouble::backoff`) and a terminal whose first 429 has
/// not slowed it would otherwise come back before it. A terminal that knows no other, checking
/// on its own sale's schedule, keeps its waits exact: there is no herd to spread, and its checks
/// stay where the sale's budget put them (`sale::poll`).
fn spread(wait: Duration, space: SpaceLoad, in_trouble: bool) -> Duration {
    let mut rng = rand::rng();
    if in_trouble {
        wait.mul_f64(rand::Rng::random_range(&mut rng, 1.0..1.2))
    } else if space.crowded {
        wait.mul_f64(rand::Rng::random_range(&mut rng, 0.9..1.1))
    } else {
        wait
    }
}

/// Keeps a new 429 in the journal, so that the terminal starts its next day knowing its space
/// is crowded (`monime::pace`). Pacing, not money: a failed write is only logged.
async fn remember_throttled(services: &Services) {
    if let Some(at) = services.client.throttled_to_save() {
        let remembered = services
            .journal
            .call(move |journal| journal.remember_throttled(at))
            .await;
        if let Err(error) = remembered {
            tracing::warn!(%error, "cannot keep the time of Monime's last 429");
        }
    }
}

async fn owe_receipt(services: &Services, number: i64) {
    match &services.receipts {
        Receipts::Printer(printer) => printer.receipt_owed(number),
        Receipts::NoPrinter => {
            let recorded = services
                .journal
                .call(move |journal| journal.set_receipt(number, Receipt::NoPrinter))
                .await;
            if let Err(error) = recorded {
                tracing::error!(sale = number, %error, "cannot record that no receipt is printed");
            }
        }
    }
}

fn send(services: &Services, sale: &Sale, call: MonimeCall) -> EventFuture {
    let client = services.client.clone();
    let record = sale.record.clone();
    let code_id = record.code.as_ref().map(|code| code.id.clone());
    Box::pin(async move {
        match (call, code_id) {
            (MonimeCall::Create, _) => match client
                .create(&record.request, &record.idempotency_key)
                .await
            {
                Ok(code) => Event::Created(code),
                Err(error) => Event::CreateFailed(error),
            },
            (MonimeCall::Get, Some(id)) => match client.get(&id).await {
                Ok(code) => Event::Checked(code),
                Err(error) => Event::CheckFailed(error),
            },
            (MonimeCall::Cancel, Some(id)) => match client.cancel(&id).await {
                Ok(code) => Event::CancelAnswered(code),
                Err(error) => Event::CancelFailed(error),
            },
            // Reading or cancelling needs a code; without one the create is what brings it.
            (MonimeCall::Get | MonimeCall::Cancel, None) => Event::CheckDue,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_waits_that_may_meet_other_terminals_are_spread() {
        let wait = Duration::from_millis(1000);
        let crowded = SpaceLoad {
            crowded: true,
            ..SpaceLoad::QUIET
        };
        for _ in 0..50 {
            assert_eq!(spread(wait, SpaceLoad::QUIET, false), wait);
        }
        for (space, in_trouble, within) in [
            (crowded, false, 900..1100),
            // After a failure never sooner than asked: it may be Monime's Retry-After.
            (SpaceLoad::QUIET, true, 1000..1200),
            (crowded, true, 1000..1200),
        ] {
            let waits: Vec<Duration> = (0..50).map(|_| spread(wait, space, in_trouble)).collect();
            assert!(
                waits.iter().all(|w| within.contains(&w.as_millis())),
                "{waits:?}"
            );
            assert!(waits.iter().any(|w| *w != waits[0]), "{waits:?}");
        }
    }
}
