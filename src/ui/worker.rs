//! The screen's worker on the tokio runtime: it starts and cancels sales through the controller,
//! follows the sale on screen, runs the one-off errands (reprint, test page, day report,
//! history, network check, the books, the demo customer) and forwards the printer's state. Everything it
//! learns goes back to the UI thread as `News` through `post`; it never touches Slint.

use std::sync::Arc;

use chrono::Local;
use tokio::sync::{Mutex, mpsc};

use super::Terminal;
use super::flow::{Action, Link, NetworkNote, News};
use super::words::{self, Printing};
use crate::controller::{SaleExtras, SaleLink, resume_unsettled_with, start_sale};
use crate::monime::MonimeError;
use crate::printer::spooler::Job;
use crate::report::{DayReport, local_zone};
use crate::sale::{Bounds, Phase, Reachability};
use crate::terminal::{DEMO_PAYMENT_TAKES, code_request};

/// How many recent sales the history screen lists.
const HISTORY_LENGTH: usize = 50;

/// Runs what the flow asks for until the screen goes, and reports back through `post`.
pub async fn run(
    terminal: Terminal,
    mut inbox: mpsc::UnboundedReceiver<Action>,
    post: impl Fn(News) + Send + Sync + Clone + 'static,
) {
    let (screen, mut commanded_sales) = mpsc::unbounded_channel();
    terminal.attach_screen(screen);
    let terminal = Arc::new(terminal);
    let listener = Arc::clone(&terminal);
    let control = tokio::spawn(async move {
        if let Err(error) = crate::cli::remote::serve(listener).await {
            tracing::error!(%error, "commands cannot reach this terminal");
        }
    });
    // When the screen goes, so does the control socket, and with it the terminal and its lock.
    let _control = AbortOnDrop(control);
    post(News::Clock(terminal.services.clock().clone()));
    let origin = terminal.config.monime.token_origin.to_string();
    post(News::KeyOrigin(origin.clone()));
    // Monime is asked at once, so a refused key or a wrong clock (every answer carries
    // Monime's time) shows before the first sale, not during it.
    let asking = Arc::clone(&terminal);
    let (asking_origin, asking_post) = (origin.clone(), post.clone());
    tokio::spawn(async move {
        asking_post(errand(&asking, &asking_origin, Action::CheckNetwork).await);
    });
    if let Some(printer) = &terminal.printer {
        let mut state = printer.state();
        let post = post.clone();
        tokio::spawn(async move {
            loop {
                let current = state.borrow_and_update().clone();
                post(News::Printer(current));
                if state.changed().await.is_err() {
                    break;
                }
            }
        });
    }
    if terminal.journal_moved_aside.is_some() {
        let l = terminal.language.get();
        post(News::Message(words::journal_kept_aside(l).into()));
    }
    let current: Arc<Mutex<Option<SaleLink>>> = Arc::default();
    // Sales a power cut interrupted settle on their own; the newest unsettled one is shown.
    // (Not in demo mode: its simulator starts empty each time, so they can only fail.) The
    // cashier may cancel the one on screen, so a cancel Monime never confirms is given up.
    match resume_unsettled_with(&terminal.services, Bounds::ATTENDED).await {
        Ok(handles) if terminal.simulator.is_none() => {
            if let Some(newest) = handles
                .into_iter()
                .filter(|handle| !handle.updates.borrow().is_final())
                .last()
            {
                let newest = newest.link();
                post(News::Resumed(Box::new(newest.updates.borrow().clone())));
                follow(&newest, &origin, post.clone());
                *current.lock().await = Some(newest);
            }
        }
        Ok(_) => {}
        Err(error) => post(News::Message(words::earlier_sales(
            terminal.language.get(),
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
                post(News::Resumed(Box::new(sale.updates.borrow().clone())));
                follow(&sale, &origin, post.clone());
                *current.lock().await = Some(sale);
                continue;
            }
        };
        let terminal = Arc::clone(&terminal);
        let post = post.clone();
        match action {
            Action::StartSale(amount, order, cashier) => {
                let config = terminal.config.clone();
                let extras = SaleExtras {
                    cashier,
                    order,
                    ..SaleExtras::default()
                };
                let started = start_sale(&terminal.services, move |number| {
                    code_request(&config, number, amount, &extras)
                })
                .await;
                match started {
                    Ok(handle) => {
                        let sale = handle.link();
                        chime_when_paid(&terminal, &sale);
                        follow(&sale, &origin, post);
                        *current.lock().await = Some(sale);
                    }
                    Err(error) => {
                        tracing::error!(%error, "the sale could not be started");
                        post(News::StartFailed(error.to_string()));
                    }
                }
            }
            Action::CancelSale => {
                if let Some(handle) = current.lock().await.as_ref() {
                    handle.cancel();
                }
            }
            other => {
                let origin = origin.clone();
                tokio::spawn(async move { post(errand(&terminal, &origin, other).await) });
            }
        }
    }
}

/// Sends every state of the sale to the screen until it is settled (or left for recover), and
/// logs a refused key with where the key came from.
fn follow(handle: &SaleLink, origin: &str, post: impl Fn(News) + Send + 'static) {
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
            post(News::Sale(Box::new(sale)));
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

/// Rings the printer's buzzer once the sale is paid, when `[printer] buzzer` is on.
fn chime_when_paid(terminal: &Terminal, sale: &SaleLink) {
    let Some(printer) = terminal.printer.clone() else {
        return;
    };
    if !terminal.config.printer.as_ref().is_some_and(|p| p.buzzer) {
        return;
    }
    let mut updates = sale.updates.clone();
    tokio::spawn(async move {
        let paid = updates
            .wait_for(|sale| sale.is_done() || sale.record.phase == Phase::Paid)
            .await
            .is_ok_and(|sale| sale.record.phase == Phase::Paid);
        if paid && let Err(error) = printer.print(Job::Chime).await {
            tracing::warn!(%error, "the printer could not chime");
        }
    });
}

/// The one-off actions: each answers with one piece of news.
async fn errand(terminal: &Terminal, origin: &str, action: Action) -> News {
    // The language when the errand ends: a switch meanwhile is what the cashier now reads.
    let l = || terminal.language.get();
    let no_printer = || News::Message(words::no_printer(l()).into());
    let printed = |what, result| News::Message(words::printed(l(), what, result));
    match action {
        Action::Reprint(number) => match &terminal.printer {
            Some(printer) => printed(
                Printing::Reprint(number),
                printer.print(Job::Reprint(number)).await,
            ),
            None => no_printer(),
        },
        Action::TestPrint => match &terminal.printer {
            Some(printer) => printed(Printing::TestPage, printer.print(Job::TestPage).await),
            None => no_printer(),
        },
        Action::PrintReport => {
            let journal = terminal.services.journal.clone();
            let currency = terminal.config.monime.currency;
            let today = terminal.services.clock().today();
            let report = tokio::task::spawn_blocking(move || {
                DayReport::for_day(&journal, today, local_zone(), currency)
            })
            .await;
            match (report, &terminal.printer) {
                (Ok(Ok(report)), Some(printer)) => printed(
                    Printing::DayReport,
                    printer.print(Job::Report(report)).await,
                ),
                (Ok(Ok(_)), None) => no_printer(),
                (Ok(Err(error)), _) => News::Message(error.to_string()),
                (Err(error), _) => News::Message(error.to_string()),
            }
        }
        Action::LoadShift => match crate::books::shift_report(terminal).await {
            Ok(report) => News::Books(Box::new(report), None),
            Err(error) => News::Message(error.to_string()),
        },
        Action::PrintBooks(report) => match &terminal.printer {
            Some(printer) => {
                let what = Printing::Books(report.close.as_ref().map(|close| close.number));
                printed(what, printer.print(Job::Shift(report)).await)
            }
            None => no_printer(),
        },
        Action::CloseDay => match crate::books::close_day(terminal).await {
            Ok(report) => {
                let label = report.close.as_ref().map(|close| close.label());
                let printed = match &terminal.printer {
                    Some(printer) => {
                        Some(printer.print(Job::Shift(Box::new(report.clone()))).await)
                    }
                    None => None,
                };
                let message = words::day_closed(l(), &label.unwrap_or_default(), printed);
                News::Books(Box::new(report), Some(message))
            }
            Err(error) => {
                tracing::warn!(%error, "the day was not closed");
                News::Message(error.to_string())
            }
        },
        Action::LoadHistory => {
            let journal = terminal.services.journal.clone();
            match tokio::task::spawn_blocking(move || journal.recent(HISTORY_LENGTH)).await {
                Ok(Ok(sales)) => News::History(sales),
                Ok(Err(error)) => News::Message(error.to_string()),
                Err(error) => News::Message(error.to_string()),
            }
        }
        Action::CheckNetwork => {
            match terminal
                .services
                .client
                .list_page(&Default::default(), 1, None)
                .await
            {
                Ok(_) => News::Network {
                    link: Link::Online,
                    note: NetworkNote::ReachableAt(
                        terminal.services.clock().now().with_timezone(&Local),
                    ),
                },
                Err(error) => network_news(&error, origin),
            }
        }
        Action::DemoPay(code) => match &terminal.simulator {
            Some(simulator) => match simulator.pay(&code, Some(DEMO_PAYMENT_TAKES)) {
                Ok(_) => News::Message(String::new()),
                Err(error) => News::Message(words::demo_cannot_pay(l(), error)),
            },
            None => News::Message(String::new()),
        },
        Action::ChooseLanguage(language) => {
            terminal.language.set(language);
            let journal = terminal.services.journal.clone();
            match tokio::task::spawn_blocking(move || journal.choose_language(language)).await {
                Ok(Ok(())) => News::Message(words::language_chosen(language)),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "the language chosen is not kept for the next start");
                    News::Message(words::language_not_kept(language, &error))
                }
                Err(error) => News::Message(error.to_string()),
            }
        }
        Action::StartSale(..) | Action::CancelSale => News::Message(String::new()),
    }
}

/// What a failed network check tells the status bar: any answer is Monime online, a refused
/// key its own state (with where the key came from), no answer offline.
fn network_news(error: &MonimeError, origin: &str) -> News {
    if error.refuses_key() {
        tracing::error!(key_from = %origin, "{error}");
        News::Network {
            link: Link::KeyRefused,
            note: NetworkNote::KeyRefused {
                message: error.to_string(),
                origin: Some(origin.to_string()),
            },
        }
    } else {
        let link = if error.is_answer() {
            Link::Online
        } else {
            Link::Offline
        };
        News::Network {
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
