//! The counter: the amount typed, the item page and its cart beside it, the tip step after
//! Charge, and the screen's rest after `screen_idle_mins` on the keypad. Without `[[items]]`,
//! `tips` and `screen_idle_mins` none of the shortcuts shows and Charge starts the sale.

use super::{Action, Flow, Intent, Screen, Settings};
use crate::money::Money;
use crate::order::{Order, TipChoice};
use crate::ui::cart::Cart;
use crate::ui::keypad::{AmountEntry, KeypadKey, Refusal};
use crate::ui::words;

/// What is typed and tapped for the next sale. The keypad page and the tip step show it, and it
/// waits through a look at the history or the admin screen; a new sale empties it.
#[derive(Debug, Clone)]
pub struct Counter {
    pub entry: AmountEntry,
    /// The items tapped on the item page.
    pub cart: Cart,
    /// The item page is showing rather than the keypad.
    pub show_items: bool,
}

impl Counter {
    pub fn new(settings: &Settings) -> Counter {
        Counter {
            entry: AmountEntry::new(settings.currency, settings.max_amount_minor),
            cart: Cart::default(),
            show_items: !settings.items.is_empty(),
        }
    }

    /// Empties the typed amount and the cart, and opens on the item page if there is one.
    pub fn clear(&mut self, settings: &Settings) {
        *self = Counter::new(settings);
    }

    /// A keypad key: it goes to the amount typed, and shows the keypad.
    pub fn press(&mut self, key: KeypadKey) -> Result<(), Refusal> {
        self.show_items = false;
        self.entry.press(key)
    }
}

impl Flow {
    pub(super) fn cart_intent(&mut self, intent: Intent) {
        let items = &self.settings.items;
        let counter = &mut self.counter;
        match intent {
            Intent::AddItem(index) => {
                let Some(item) = items.get(index) else { return };
                match counter.entry.room_for(item.price_minor) {
                    Ok(()) => counter.cart.add(index),
                    Err(refusal) => self.notice = Some(words::refusal(self.language, &refusal)),
                }
            }
            Intent::RemoveLine(Some(index)) => counter.cart.remove_one(index),
            Intent::RemoveLine(None) => counter.entry.clear(),
            Intent::ShowItems(show) => counter.show_items = show && !items.is_empty(),
            _ => {}
        }
        counter.entry.set_beside(counter.cart.total_minor(items));
    }

    /// What the cart and the typed amount come to; `None` when nothing.
    pub(super) fn subtotal(&self) -> Option<Money> {
        let keyed = self.counter.entry.amount().map_or(0, |amount| amount.minor);
        let minor = keyed + self.counter.cart.total_minor(&self.settings.items);
        (minor > 0).then(|| Money::new(self.settings.currency, minor))
    }

    /// The order the cart makes, with no tip yet.
    fn cart_order(&self) -> Order {
        Order {
            items: self
                .counter
                .cart
                .order_lines(&self.settings.items)
                .into_iter()
                .map(|(_, line)| line)
                .collect(),
            tip_minor: 0,
        }
    }

    /// Charge: the tip step when the shop offers tips the amount allows, else the sale.
    pub(super) fn charge(&mut self) -> Vec<Action> {
        let Some(subtotal) = self.subtotal() else {
            self.notice = Some(
                words::type_amount_first(self.language, !self.settings.items.is_empty()).into(),
            );
            return Vec::new();
        };
        if self.tip_choices(subtotal).is_empty() {
            self.start(subtotal, self.cart_order())
        } else {
            self.screen = Screen::Tip;
            Vec::new()
        }
    }

    /// The tips offered on `subtotal`, what is being charged now.
    pub(super) fn tip_choices(&self, subtotal: Money) -> Vec<TipChoice> {
        self.settings
            .tips
            .choices(subtotal.minor, self.settings.max_amount_minor)
    }

    pub(super) fn choose_tip(&mut self, choice: Option<usize>) -> Vec<Action> {
        let Some(subtotal) = self.subtotal() else {
            self.screen = Screen::Amount;
            return Vec::new();
        };
        let tip_minor = match choice {
            None => 0,
            Some(index) => match self.tip_choices(subtotal).get(index) {
                Some(choice) => choice.tip_minor,
                None => return Vec::new(),
            },
        };
        let order = Order {
            tip_minor,
            ..self.cart_order()
        };
        self.start(
            Money::new(subtotal.currency, subtotal.minor + tip_minor),
            order,
        )
    }

    /// One second more on the keypad without a tap: the screen rests at the limit.
    pub(super) fn rest_tick(&mut self) {
        let Some(limit) = self.settings.screen_idle_secs else {
            return;
        };
        self.resting = self.restful() && (self.resting || self.idle_secs >= limit);
    }

    /// The screen is dimmed or dark, waiting for a touch.
    pub fn resting(&self) -> bool {
        self.resting && self.restful()
    }

    /// The pages the screen rests on: the keypad and the sign-in.
    fn restful(&self) -> bool {
        matches!(self.screen, Screen::Amount | Screen::SignIn { .. })
    }
}
