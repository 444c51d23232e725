//! Starting the terminal without ever crash-looping. The window opens first; the terminal is
//! then opened on the tokio runtime, and whatever stops it (a mistake in the configuration, a
//! journal that cannot be opened, a full disk, no root certificates, another process owning the
//! journal) is shown on the screen in plain words and tried again every few seconds, while the
//! systemd watchdog keeps being fed. Once the problem is fixed the terminal starts by itself.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;

use super::window::{App, select_language};
use super::{Kiosk, MainWindow, Page, StartingPage, StatusBar, words};
use crate::control;
use crate::lang::Language;
use crate::terminal::{self, Launch, OpenError};

/// How long the start-up problem stays on screen before the terminal tries again.
pub const RETRY_AFTER: Duration = Duration::from_secs(10);

/// The terminal behind `window`, once it has started; keep it as long as the window.
#[derive(Default, Clone)]
pub struct Starting {
    app: Rc<RefCell<Option<App>>>,
}

impl Starting {
    /// Whether the terminal has started.
    pub fn started(&self) -> bool {
        self.app.borrow().is_some()
    }
}

/// The language of the start-up page: the system's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, as
/// systemd hands a service the system's), when it is one of the terminal's, else English.
pub fn system_language() -> Language {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .next()
        .and_then(|locale| Language::from_locale(&locale))
        .unwrap_or_default()
}

/// Opens the terminal for `window` in the background, showing each problem (in `language`,
/// as the terminal's own is not known yet) and trying again after `retry_after` until it opens.
pub fn start(
    window: &MainWindow,
    launch: Launch,
    language: Language,
    runtime: tokio::runtime::Handle,
    retry_after: Duration,
    commands: control::Handler,
) -> Starting {
    let starting = Starting::default();
    window.global::<Kiosk>().set_page(Page::Starting);
    // Slint picks a language from the system's locale by itself; until the terminal's own is
    // read (configuration, journal), the screen speaks the one the start-up words do.
    select_language(language);
    let problem = window.global::<StartingPage>();
    problem.set_title(words::starting(language).into());
    window
        .global::<StatusBar>()
        .set_merchant(words::PRODUCT.into());
    let weak = window.as_weak();
    let slot = starting.clone();
    let started = slint::spawn_local(async move {
        loop {
            let launch = launch.clone();
            let opened = runtime
                .spawn(async move { terminal::open_for_screen(&launch).await })
                .await
                .unwrap_or_else(|error| {
                    Err(OpenError::Other(format!(
                        "the start-up task stopped: {error}"
                    )))
                });
            let Some(window) = weak.upgrade() else { return };
            match opened {
                Ok(shop) => {
                    if shop.is_demo() {
                        tracing::info!(
                            journal = %shop.journal().path().display(),
                            "demo mode: selling against the built-in simulator"
                        );
                    }
                    *slot.app.borrow_mut() = Some(App::start(&window, shop, &runtime, commands));
                    return;
                }
                Err(error) => {
                    tracing::error!(%error, "the terminal cannot start; trying again");
                    let (title, advice) = words::start_problem(language, &error);
                    window.global::<Kiosk>().set_page(Page::Starting);
                    let problem = window.global::<StartingPage>();
                    problem.set_title(title.into());
                    problem.set_advice(advice.into());
                    problem.set_detail(error.to_string().into());
                }
            }
            drop(window);
            let _ = runtime
                .spawn(async move { tokio::time::sleep(retry_after).await })
                .await;
        }
    });
    if let Err(error) = started {
        tracing::error!(%error, "the start-up task cannot run");
    }
    starting
}
