//! The touchscreen. Slint runs on the main thread and only draws; every tap and key goes to the
//! `Flow` (src/ui/flow.rs), which decides the next screen and hands work to a worker task on
//! the tokio runtime. The worker runs sales through the controller, talks to the printer queue
//! and sends news back with `invoke_from_event_loop`, so the screen never waits on the network.
//!
//! - `flow`: the screens' rules, as plain Rust; `keypad`: the amount being typed.
//! - `words`: every sentence Rust writes for the screen, in the language chosen.
//! - `network`: what the terminal last heard from Monime, for the status bar and admin screen.
//! - `window`: the Slint glue: the flow behind the window, the QR image, the clock, the rest.
//! - `pages`: each page's callbacks in as intents, each page's view out onto its global.
//! - `worker`: the tokio side: sales, one-off errands, printer news.
//!
//! This file starts the two halves and keeps them alive for as long as the window is open.

pub mod backlight;
mod cart;
pub mod flow;
pub mod keypad;
pub mod network;
mod pages;
pub mod startup;
mod window;
pub mod words;
mod worker;

use std::time::Duration;

use crate::control;
use crate::terminal::Launch;

pub use window::{App, qr_image};

slint::include_modules!();

/// Runs the terminal's window until it is closed; a technician's commands reach it through the
/// control socket and are carried out by `commands`.
pub fn run(launch: &Launch, commands: control::Handler) -> Result<(), String> {
    let runtime = crate::terminal::async_runtime()?;
    let window = MainWindow::new().map_err(|error| {
        format!(
            "cannot open the window: {error} (on a desktop, is DISPLAY or WAYLAND_DISPLAY set? \
             SLINT_BACKEND picks the backend)"
        )
    })?;
    // The watchdog is fed from the first frame, also while a start-up problem is on screen:
    // restarting would not fix a bad configuration, and the screen says what will.
    let watchdog = systemd_watchdog();
    let terminal = startup::start(
        &window,
        launch.clone(),
        startup::system_language(),
        runtime.handle().clone(),
        startup::RETRY_AFTER,
        commands,
    );
    let shown = window.run();
    drop(watchdog);
    drop(terminal);
    runtime.shutdown_timeout(Duration::from_secs(2));
    shown.map_err(|error| format!("the window failed: {error}"))
}

/// Tells systemd the terminal is up, and pings its watchdog from the UI thread, so that a
/// frozen screen stops the pings and systemd restarts it. Outside systemd this does nothing.
///
/// It lives here, beside the window's event loop, rather than on the tokio runtime: a worker
/// thread would keep pinging while the screen hung, and the restart would never come.
fn systemd_watchdog() -> Option<slint::Timer> {
    if let Err(error) = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
        tracing::warn!(%error, "cannot tell systemd the terminal is ready");
    }
    let mut usec = 0;
    if !sd_notify::watchdog_enabled(false, &mut usec) {
        return None;
    }
    let timer = slint::Timer::default();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_micros(usec / 3),
        || {
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
        },
    );
    Some(timer)
}
