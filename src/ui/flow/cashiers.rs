//! Cashiers at the terminal: signing in with a PIN, Change cashier, and signing out a cashier
//! who left the terminal idle. Without `[[cashiers]]` none of it applies and the terminal opens
//! on the keypad.

use super::{Action, Flow, Intent, Screen};
use crate::ui::words;

impl Flow {
    /// Cashiers are configured and nobody is signed in: sales wait for a PIN.
    pub(super) fn needs_sign_in(&self) -> bool {
        !self.settings.cashiers.is_empty() && self.cashier.is_none()
    }

    /// Where a finished errand (a sale, the history, the admin screen) returns to.
    pub(super) fn home(&self) -> Screen {
        if self.needs_sign_in() {
            Screen::SignIn { pin: String::new() }
        } else {
            Screen::Amount
        }
    }

    pub(super) fn sign_in_intent(&mut self, intent: Intent) -> Vec<Action> {
        match intent {
            Intent::Key(key) => {
                self.pin_key(key);
                Vec::new()
            }
            Intent::Charge => {
                self.sign_in();
                Vec::new()
            }
            Intent::OpenAdmin => self.open_admin_pin(),
            _ => Vec::new(),
        }
    }

    /// The PIN typed on the sign-in screen, submitted.
    fn sign_in(&mut self) {
        let Screen::SignIn { pin } = &mut self.screen else {
            return;
        };
        let pin = std::mem::take(pin);
        match self
            .settings
            .cashiers
            .iter()
            .find(|cashier| cashier.pin == pin)
        {
            Some(cashier) => {
                tracing::info!(cashier = %cashier.name, "cashier signed in");
                self.cashier = Some(cashier.name.clone());
                self.counter.clear(&self.settings);
                self.screen = Screen::Amount;
            }
            None => self.notice = Some(words::wrong_pin(self.language).into()),
        }
    }

    /// Change cashier, or the idle sign-out: the next sale waits for a PIN.
    pub(super) fn sign_out(&mut self) {
        if let Some(name) = self.cashier.take() {
            tracing::info!(cashier = %name, "cashier signed out");
        }
        self.counter.clear(&self.settings);
        self.screen = Screen::SignIn { pin: String::new() };
    }

    /// One second more without a tap; a cashier away from the terminal too long is signed
    /// out. Never while a code is on screen: that sale is the cashier's to finish.
    pub(super) fn idle_tick(&mut self) {
        self.idle_secs = self.idle_secs.saturating_add(1);
        let Some(limit) = self.settings.idle_sign_out_secs else {
            return;
        };
        let idle_screen = matches!(
            self.screen,
            Screen::Amount | Screen::History { .. } | Screen::Paid { .. } | Screen::Outcome { .. }
        );
        if self.cashier.is_some() && idle_screen && self.idle_secs >= limit {
            self.sign_out();
            self.notice = Some(words::signed_out_idle(self.language, limit / 60));
        }
    }
}
