//! The screen's worker on the tokio runtime: it translates the flow's actions into the shop's
//! operations (starting and cancelling sales, reprints, reports, the books, the network check,
//! the demo customer, the language), follows the sale on screen and forwards the printer's
//! state. Everything it learns goes back to the UI thread as `Update` through `post`; it never
//! touches Slint. It also opens the control socket, with the commands it is handed, so a
//! technician's command reaches the running terminal.

use std::sync::Arc;

use chrono::Local;
use tokio::sync::{Mutex, mpsc, watch};

use super::flow::{Action, MonimeLink, NetworkNote, RefundRefusal, Update};
use super::words::{self, Printing};
use crate::control;
use crate::controller::SaleWatch;
use crate::journal::{JournalError, StoredRefund, StoredSale};
use crate::monime::MonimeError;
use crate::refund::Refund;
use crate::sale::{Bounds, Phase, Reachability};
use crate::shop::{PrintingError, RefundError, Shop};

/// How many recent sales the history screen lists.
const HISTORY_LENGTH: usize = 50;

/// Runs what the flow asks for until the screen goes, and reports back through `post`.
pub async fn run(
    shop: Shop,
    commands: control::Handler,
    mut inbox: mpsc::UnboundedReceiver<Action>,
    post: impl Fn(Update) + Send + Sync + Clone + 'static,
) {
    let (screen, mut commanded_sales) = mpsc::unbounded_channel();
    shop.attach_screen(screen);
    let shop = Arc::new(shop);
    let listener = Arc::clone(&shop);
    let control = tokio::spawn(async move {
        if let Err(error) = control::serve(listener, commands).await {
            tracing::error!(%error, "commands cannot reach this terminal");
        }
    });
    // When the screen goes, so does the control socket, and with it the terminal and its lock.
    let _control = AbortOnDrop(control);
    post(Update::Clock(shop.clock().clone()));
    let origin = shop.settings().token_origin.clone();
    post(Update::KeyOrigin(origin.clone()));
    // Monime is asked at once, so a refused key or a wrong clock (every answer carries
    // Monime's time) shows before the first sale, not during it.
    let asking = Arc::clone(&shop);
    let (asking_origin, asking_post) = (origin.clone(), post.clone());
    tokio::spawn(async move {
        asking_post(answer(&asking, &asking_origin, Action::CheckNetwork).await);
    });
    if let Some(printer) = shop.printer() {
        let mut state = printer.state();
        let post = post.clone();
        tokio::spawn(async move {
            loop {
                let current = state.borrow_and_update().clone();
                post(Update::Printer(current));
                if state.changed().await.is_err() {
                    break;
                }
            }
        });
    }
    if shop.journal_moved_aside().is_some() {
        post(Update::Message(
            words::journal_kept_aside(shop.language()).into(),
        ));
    }
    let current: Arc<Mutex<Option<SaleWatch>>> = Arc::default();
    // Sales a power cut interrupted settle on their own; the newest unsettled one is shown.
    // (Not in demo mode: its simulator starts empty each time, so they can only fail.) The
    // cashier may cancel the one on screen, so a cancel Monime never confirms is given up.
    match shop.resume_unsettled(Bounds::ATTENDED).await {
        Ok(handles) if !shop.is_demo() => {
            if let Some(newest) = handles
                .into_iter()
                .filter(|handle| !handle.updates.borrow().is_final())
                .last()
            {
                let newest = newest.link();
                post(Update::Resumed(Box::new(newest.updates.borrow().clone())));
                follow(&newest, &origin, post.clone());
                *current.lock().await = Some(newest);
            }
        }
        Ok(_) => {}
        Err(error) => post(Update::Message(words::earlier_sales(
            shop.language(),
            error,
        ))),
    }
    loop {
        let action = tokio::select! {
            action = inbox.recv() => match action {
                Some(action) => action,
                None => break,
            },
            Some(sale) = commanded_sales.recv() => {
                // A sale a technician's command started: the screen shows it as its own.
                post(Update::Resumed(Box::new(sale.updates.borrow().clone())));
                follow(&sale, &origin, post.clone());
                *current.lock().await = Some(sale);
                continue;
            }
        };
        let shop = Arc::clone(&shop);
        let post = post.clone();
        match action {
            Action::StartSale(sale) => match shop.start_sale(sale, Bounds::ATTENDED).await {
                Ok(handle) => {
                    let sale = handle.link();
                    shop.chime_when_paid(&sale);
                    follow(&sale, &origin, post);
                    *current.lock().await = Some(sale);
                }
                Err(error) => {
                    tracing::error!(%error, "the sale could not be started");
                    post(Update::StartFailed(error.to_string()));
                }
            },
            Action::CancelSale => {
                if let Some(handle) = current.lock().await.as_ref() {
                    handle.cancel();
                }
            }
            Action::SendRefund(offer) => {
                let (language, style) = (shop.language(), shop.settings().currency_style);
                match shop.refund(*offer).await {
                    Ok(handle) => follow_refund(handle.updates, post),
                    Err(error) => {
                        tracing::warn!(%error, "the refund was not sent");
                        let refusal = RefundRefusal::of(&error, language, style);
                        post(Update::RefundQuoted(Err(refusal)));
                    }
                }
            }
            other => {
                let origin = origin.clone();
                tokio::spawn(async move { post(answer(&shop, &origin, other).await) });
            }
        }
    }
}

/// Sends every state of the sale to the screen until it is settled (or left for recover), and
/// logs a refused key with where the key came from.
fn follow(handle: &SaleWatch, origin: &str, post: impl Fn(Update) + Send + 'static) {
    let mut updates = handle.updates.clone();
    let origin = origin.to_string();
    tokio::spawn(async move {
        let mut key_refused = false;
        loop {
            let sale = updates.borrow_and_update().clone();
            let done = sale.is_done();
            let refusal = match &sale.reachability {
                Reachability::KeyRefused { message, .. } => Some(message),
                _ => None,
            };
            if let (Some(message), false) = (refusal, key_refused) {
                tracing::error!(sale = sale.record.number, key_from = %origin, "{message}");
            }
            key_refused = refusal.is_some();
            post(Update::Sale(Box::new(sale)));
            if done {
                crate::memory::release_freed_memory();
                break;
            }
            if updates.changed().await.is_err() {
                break;
            }
        }
    });
}

/// Sends every state of a refund to the screen until Monime's last word on it.
fn follow_refund(mut updates: watch::Receiver<Refund>, post: impl Fn(Update) + Send + 'static) {
    tokio::spawn(async move {
        loop {
            let refund = updates.borrow_and_update().clone();
            let done = refund.is_final();
            post(Update::Refund(Box::new(refund)));
            if done || updates.changed().await.is_err() {
                break;
            }
        }
    });
}

/// The one-off actions: each answers with one piece of news.
async fn answer(shop: &Shop, origin: &str, action: Action) -> Update {
    // The language when the answer comes: a switch meanwhile is what the cashier now reads.
    let language = || shop.language();
    let message = |text: String| Update::Message(text);
    let printed = |what, result: Result<(), PrintingError>| match result {
        Ok(()) => message(words::printed(language(), what, Ok(()))),
        Err(PrintingError::NoPrinter) => message(words::no_printer(language()).into()),
        Err(PrintingError::Printer(error) | PrintingError::NotReprinted { error, .. }) => {
            message(words::printed(language(), what, Err(error)))
        }
        Err(other) => message(other.to_string()),
    };
    match action {
        Action::Reprint(number) => printed(
            Printing::Reprint(number),
            shop.reprint(Some(number)).await.map(|_| ()),
        ),
        Action::TestPrint => printed(Printing::TestPage, shop.print_test_page().await),
        Action::PrintReport => match shop.day_report(Some(shop.clock().today())).await {
            Ok(report) => printed(Printing::DayReport, shop.print_day_report(report).await),
            Err(error) => message(error.to_string()),
        },
        Action::LoadShift => match shop.shift_report().await {
            Ok(report) => Update::Books(Box::new(report), None),
            Err(error) => message(error.to_string()),
        },
        Action::PrintBooks(report) => {
            let what = Printing::Books(report.close.as_ref().map(|close| close.number));
            printed(what, shop.print_books(*report).await)
        }
        Action::CloseDay => match shop.close_day().await {
            Ok(report) => {
                let label = report.close.as_ref().map(|close| close.label());
                let printed = match shop.print_books(report.clone()).await {
                    Err(PrintingError::NoPrinter) => None,
                    Err(PrintingError::Printer(error)) => Some(Err(error)),
                    Err(other) => {
                        tracing::warn!(error = %other, "the day close was not printed");
                        None
                    }
                    Ok(()) => Some(Ok(())),
                };
                let message = words::day_closed(language(), &label.unwrap_or_default(), printed);
                Update::Books(Box::new(report), Some(message))
            }
            Err(error) => {
                tracing::warn!(%error, "the day was not closed");
                message(error.to_string())
            }
        },
        Action::LoadHistory => match recent_sales_and_refunds(shop).await {
            Ok((sales, refunds)) => Update::History(sales, refunds),
            Err(error) => message(error.to_string()),
        },
        Action::LoadRefund(sale) => Update::RefundOutlook(
            shop.refund_outlook(sale)
                .await
                .map_err(|error| refused(shop, &error).message),
        ),
        Action::PrepareRefund(request) => Update::RefundQuoted(
            shop.prepare_refund(&request)
                .await
                .map(Box::new)
                .map_err(|error| refused(shop, &error)),
        ),
        Action::ReprintRefund(number) => {
            printed(Printing::Refund(number), shop.reprint_refund(number).await)
        }
        Action::CheckNetwork => match shop.check_monime().await {
            Ok(()) => Update::Network {
                link: MonimeLink::Online,
                note: NetworkNote::ReachableAt(shop.clock().now().with_timezone(&Local)),
            },
            Err(error) => network_news(&error, origin),
        },
        Action::DemoPay(code) => match shop.demo_customer_pays(&code) {
            Ok(()) => message(String::new()),
            Err(error) => message(words::demo_cannot_pay(language(), error)),
        },
        Action::ChooseLanguage(chosen) => match shop.choose_language(chosen).await {
            Ok(()) => message(words::language_chosen(chosen)),
            Err(error) => {
                tracing::warn!(%error, "the language chosen is not kept for the next start");
                message(words::language_not_kept(chosen, &error))
            }
        },
        Action::StartSale(..) | Action::CancelSale | Action::SendRefund(_) => {
            message(String::new())
        }
    }
}

/// The recent sales, and the refunds of the paid ones among them.
async fn recent_sales_and_refunds(
    shop: &Shop,
) -> Result<(Vec<StoredSale>, Vec<StoredRefund>), JournalError> {
    let sales = shop.recent_sales(HISTORY_LENGTH).await?;
    let mut refunds = Vec::new();
    for sale in sales.iter().filter(|sale| sale.record.phase == Phase::Paid) {
        refunds.extend(shop.refunds_of_sale(sale.record.number).await?);
    }
    Ok((sales, refunds))
}

/// Why the shop will not refund, logged in full and worded for the screen.
fn refused(shop: &Shop, error: &RefundError) -> RefundRefusal {
    tracing::warn!(%error, "refund refused");
    RefundRefusal::of(error, shop.language(), shop.settings().currency_style)
}

/// What a failed network check tells the status bar: any answer is Monime online, a refused
/// key its own state (with where the key came from), no answer offline.
fn network_news(error: &MonimeError, origin: &str) -> Update {
    if error.refuses_key() {
        tracing::error!(key_from = %origin, "{error}");
        Update::Network {
            link: MonimeLink::KeyRefused,
            note: NetworkNote::KeyRefused {
                message: error.to_string(),
                origin: Some(origin.to_string()),
            },
        }
    } else {
        let link = if error.is_answer() {
            MonimeLink::Online
        } else {
            MonimeLink::Offline
        };
        Update::Network {
            link,
            note: NetworkNote::Trouble(error.to_string()),
        }
    }
}

/// Stops a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
