//! The Slint glue: binds the `Kiosk` global's callbacks to the flow, puts the flow's `View` on
//! the global, draws the QR image, and ticks the screen's one-second clock. It holds no rules:
//! what a tap does is `flow`'s business, and the work it causes goes to the `worker`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use chrono::Local;
use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};
use tokio::sync::mpsc;

use super::backlight::Backlight;
use super::flow::{Action, BooksView, Flow, Intent, News, Screen, Settings, View};
use super::keypad::KeypadKey;
use super::{BooksLine, CartRow, HistoryRow, ItemKey, Kiosk, MainWindow, Page, TipButton, worker};
use crate::clock::Clock;
use crate::control;
use crate::lang::Language;
use crate::qr::QrPayload;
use crate::shop::Shop;

/// A running terminal screen: keep it alive as long as the window.
pub struct App {
    /// Where this screen's state is kept in `SCREENS`.
    screen: u64,
    _tick: slint::Timer,
    _actions: mpsc::UnboundedSender<Action>,
}

struct UiState {
    flow: Flow,
    qr_payload: QrPayload,
    /// The USSD code the QR image on screen was made from.
    qr_for: String,
    /// Monime's time when the terminal's clock is off; the status bar's clock shows it.
    clock: Clock,
    /// The language Slint's translations were last switched to.
    language: Option<Language>,
    /// The display's backlight, dimmed while the screen rests; `None` where there is none to
    /// set (a desktop): the screen goes dark instead.
    backlight: Option<Backlight>,
}

thread_local! {
    /// Each screen's state, reached by news its worker posts to the UI thread (the state is
    /// not `Send`, so the news carries the screen's number instead). A terminal has one screen;
    /// the benchmarks run many side by side.
    static SCREENS: RefCell<HashMap<u64, Rc<RefCell<UiState>>>> = RefCell::new(HashMap::new());
    static NEXT_SCREEN: Cell<u64> = const { Cell::new(0) };
}

impl App {
    /// Wires `window` to a terminal: callbacks, the one-second tick and the worker task.
    pub fn start(
        window: &MainWindow,
        shop: Shop,
        runtime: &tokio::runtime::Handle,
        commands: control::Handler,
    ) -> App {
        let settings = Settings::of(&shop);
        let state = Rc::new(RefCell::new(UiState {
            backlight: settings.screen_idle_secs.and_then(|_| Backlight::find()),
            flow: Flow::new(settings),
            qr_payload: shop.settings().qr_payload,
            qr_for: String::new(),
            clock: shop.clock().clone(),
            language: None,
        }));
        let screen = NEXT_SCREEN.replace(NEXT_SCREEN.get() + 1);
        SCREENS.with(|screens| screens.borrow_mut().insert(screen, Rc::clone(&state)));

        let (actions, inbox) = mpsc::unbounded_channel();
        let weak = window.as_weak();
        let post = move |news: News| {
            let _ = weak.upgrade_in_event_loop(move |window| {
                SCREENS.with(|screens| {
                    if let Some(state) = screens.borrow().get(&screen) {
                        state.borrow_mut().flow.news(news);
                        apply(&window, &mut state.borrow_mut());
                    }
                });
            });
        };
        runtime.spawn(worker::run(shop, commands, inbox, post));

        bind_callbacks(window, &state, &actions);
        let tick = slint::Timer::default();
        let weak = window.as_weak();
        let tick_state = Rc::clone(&state);
        tick.start(
            slint::TimerMode::Repeated,
            Duration::from_secs(1),
            move || {
                if let Some(window) = weak.upgrade() {
                    tick_state.borrow_mut().flow.tick();
                    apply(&window, &mut tick_state.borrow_mut());
                }
            },
        );
        apply(window, &mut state.borrow_mut());
        App {
            screen,
            _tick: tick,
            _actions: actions,
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = SCREENS.try_with(|screens| screens.borrow_mut().remove(&self.screen));
    }
}

fn bind_callbacks(
    window: &MainWindow,
    state: &Rc<RefCell<UiState>>,
    actions: &mpsc::UnboundedSender<Action>,
) {
    let kiosk = window.global::<Kiosk>();
    let context = || (window.as_weak(), Rc::clone(state), actions.clone());
    let on = |intent: Intent| {
        let (weak, state, actions) = context();
        move || dispatch(&weak, &state, &actions, intent.clone())
    };
    kiosk.on_charge(on(Intent::Charge));
    kiosk.on_cancel(on(Intent::Cancel));
    kiosk.on_confirm_cancel_pressed(on(Intent::ConfirmCancel));
    kiosk.on_keep_waiting(on(Intent::KeepWaiting));
    kiosk.on_new_sale(on(Intent::NewSale));
    kiosk.on_try_again(on(Intent::TryAgain));
    kiosk.on_reprint_this_sale(on(Intent::ReprintThisSale));
    kiosk.on_open_history(on(Intent::OpenHistory));
    kiosk.on_open_admin(on(Intent::OpenAdmin));
    kiosk.on_back(on(Intent::Back));
    kiosk.on_test_print(on(Intent::TestPrint));
    kiosk.on_print_report(on(Intent::PrintReport));
    kiosk.on_check_network(on(Intent::CheckNetwork));
    kiosk.on_open_books(on(Intent::OpenBooks));
    kiosk.on_print_books(on(Intent::PrintBooks));
    kiosk.on_close_day(on(Intent::CloseDay));
    kiosk.on_confirm_close_pressed(on(Intent::ConfirmClose));
    kiosk.on_keep_open(on(Intent::KeepOpen));
    kiosk.on_demo_pay(on(Intent::DemoPay));
    kiosk.on_change_cashier(on(Intent::ChangeCashier));
    kiosk.on_wake(on(Intent::Wake));
    let on_index = |to_intent: fn(i32) -> Option<Intent>| {
        let (weak, state, actions) = context();
        move |index: i32| {
            if let Some(intent) = to_intent(index) {
                dispatch(&weak, &state, &actions, intent);
            }
        }
    };
    kiosk.on_add_item(on_index(|index| {
        usize::try_from(index).ok().map(Intent::AddItem)
    }));
    kiosk.on_remove_line(on_index(|index| {
        Some(Intent::RemoveLine(usize::try_from(index).ok()))
    }));
    kiosk.on_choose_tip(on_index(|index| {
        Some(Intent::ChooseTip(usize::try_from(index).ok()))
    }));
    let (weak, page_state, page_actions) = context();
    kiosk.on_show_items_page(move |show| {
        dispatch(&weak, &page_state, &page_actions, Intent::ShowItems(show));
    });
    let names: Vec<SharedString> = Language::ALL.iter().map(|l| l.name().into()).collect();
    kiosk.set_languages(ModelRc::new(VecModel::from(names)));
    let (weak, language_state, language_actions) = context();
    kiosk.on_choose_language(move |index| {
        let chosen = usize::try_from(index)
            .ok()
            .and_then(|index| Language::ALL.get(index));
        if let Some(&language) = chosen {
            let intent = Intent::ChooseLanguage(language);
            dispatch(&weak, &language_state, &language_actions, intent);
        }
    });
    let (weak, key_state, key_actions) = context();
    kiosk.on_key(move |key| {
        if let Some(key) = KeypadKey::parse(&key) {
            dispatch(&weak, &key_state, &key_actions, Intent::Key(key));
        }
    });
    let (weak, reprint_state, reprint_actions) = context();
    kiosk.on_reprint(move |number| {
        let intent = Intent::Reprint(i64::from(number));
        dispatch(&weak, &reprint_state, &reprint_actions, intent);
    });
    let (weak, keyboard_state, keyboard_actions) = context();
    kiosk.on_keyboard(move |text| {
        let Some(window) = weak.upgrade() else {
            return false;
        };
        let mut state = keyboard_state.borrow_mut();
        let Some(sent) = state.flow.keyboard(&text) else {
            return false;
        };
        for action in sent {
            let _ = keyboard_actions.send(action);
        }
        apply(&window, &mut state);
        true
    });
}

/// Hands a tap to the flow, its work to the worker, and redraws.
fn dispatch(
    weak: &slint::Weak<MainWindow>,
    state: &Rc<RefCell<UiState>>,
    actions: &mpsc::UnboundedSender<Action>,
    intent: Intent,
) {
    let Some(window) = weak.upgrade() else { return };
    let mut state = state.borrow_mut();
    for action in state.flow.intent(intent) {
        let _ = actions.send(action);
    }
    apply(&window, &mut state);
}

/// Puts the flow's view on screen.
fn apply(window: &MainWindow, state: &mut UiState) {
    let view = state.flow.view();
    let kiosk = window.global::<Kiosk>();
    if view.ussd_for_qr != state.qr_for {
        state.qr_for = view.ussd_for_qr.clone();
        match qr_image(&state.qr_payload.for_ussd(&view.ussd_for_qr)) {
            Some(image) if !view.ussd_for_qr.is_empty() => {
                kiosk.set_qr(image);
                kiosk.set_has_qr(true);
            }
            _ => kiosk.set_has_qr(false),
        }
    }
    if let Some(backlight) = &mut state.backlight {
        backlight.rest(view.resting);
    }
    kiosk.set_rest_dark(view.resting && state.backlight.is_none());
    if state.language != Some(view.language) {
        state.language = Some(view.language);
        super::startup::select_language(view.language);
    }
    set_view(&kiosk, &view);
    let time = state.clock.now().with_timezone(&Local);
    kiosk.set_clock(time.format("%H:%M").to_string().into());
}

fn set_view(kiosk: &Kiosk, view: &View) {
    kiosk.set_page(match view.screen.unwrap_or(Screen::Amount) {
        Screen::SignIn => Page::SignIn,
        Screen::Amount => Page::Amount,
        Screen::Tip => Page::Tip,
        Screen::Payment => Page::Payment,
        Screen::Paid => Page::Paid,
        Screen::Outcome => Page::Outcome,
        Screen::History => Page::History,
        Screen::AdminPin => Page::AdminPin,
        Screen::Admin => Page::Admin,
        Screen::Books => Page::Books,
    });
    kiosk.set_merchant(view.merchant.as_str().into());
    kiosk.set_cashier(view.cashier.as_str().into());
    kiosk.set_can_change_cashier(view.can_change_cashier);
    kiosk.set_demo(view.demo);
    kiosk.set_network_ok(view.network_ok);
    kiosk.set_network_text(view.network_text.as_str().into());
    kiosk.set_printer_ok(view.printer_ok);
    kiosk.set_printer_text(view.printer_text.as_str().into());
    kiosk.set_amount_text(view.amount_text.as_str().into());
    kiosk.set_amount_empty(view.amount_empty);
    kiosk.set_can_charge(view.can_charge);
    set_counter(kiosk, view);
    kiosk.set_notice(view.notice.as_str().into());
    kiosk.set_pay_amount(view.pay_amount.as_str().into());
    kiosk.set_ussd(view.ussd.as_str().into());
    kiosk.set_countdown(view.countdown.as_str().into());
    kiosk.set_status_line(view.status_line.as_str().into());
    kiosk.set_connection_lost(view.connection_lost);
    kiosk.set_confirm_cancel(view.confirm_cancel);
    kiosk.set_can_cancel(view.can_cancel);
    kiosk.set_receipt_text(view.receipt_text.as_str().into());
    kiosk.set_receipt_problem(view.receipt_problem);
    kiosk.set_can_reprint(view.can_reprint);
    kiosk.set_outcome_title(view.outcome_title.as_str().into());
    kiosk.set_outcome_reason(view.outcome_reason.as_str().into());
    kiosk.set_outcome_unsure(view.outcome_unsure);
    kiosk.set_retry_amount(view.retry_amount.as_str().into());
    let rows: Vec<HistoryRow> = view
        .history
        .iter()
        .map(|row| HistoryRow {
            number: i32::try_from(row.number).unwrap_or(i32::MAX),
            time: row.time.as_str().into(),
            amount: row.amount.as_str().into(),
            status: row.status.as_str().into(),
            paid: row.paid,
            can_reprint: row.can_reprint,
        })
        .collect();
    set_if_changed(kiosk.get_history(), rows, |model| kiosk.set_history(model));
    let lines: Vec<SharedString> = view.admin_lines.iter().map(|l| l.into()).collect();
    kiosk.set_admin_lines(ModelRc::new(VecModel::from(lines)));
    kiosk.set_pin_dots(view.pin_dots.as_str().into());
    let chosen = Language::ALL.iter().position(|l| *l == view.language);
    kiosk.set_language(chosen.and_then(|at| i32::try_from(at).ok()).unwrap_or(0));
    set_books(kiosk, &view.books);
}

/// The item keys, the cart, the tip step, the PAID flash and the screen's rest.
fn set_counter(kiosk: &Kiosk, view: &View) {
    let keys: Vec<ItemKey> = view
        .item_keys
        .iter()
        .map(|(name, price)| ItemKey {
            name: name.as_str().into(),
            price: price.as_str().into(),
        })
        .collect();
    set_if_changed(kiosk.get_item_keys(), keys, |model| {
        kiosk.set_item_keys(model)
    });
    kiosk.set_show_items(view.show_items);
    let cart: Vec<CartRow> = view
        .cart
        .iter()
        .map(|row| CartRow {
            label: row.label.as_str().into(),
            amount: row.amount.as_str().into(),
            item: row
                .item
                .and_then(|index| i32::try_from(index).ok())
                .unwrap_or(-1),
        })
        .collect();
    set_if_changed(kiosk.get_cart(), cart, |model| kiosk.set_cart(model));
    kiosk.set_tip_subtotal(view.tip_subtotal.as_str().into());
    let tips: Vec<TipButton> = view
        .tip_buttons
        .iter()
        .map(|tip| TipButton {
            label: tip.label.as_str().into(),
            tip: tip.tip.as_str().into(),
            total: tip.total.as_str().into(),
        })
        .collect();
    set_if_changed(kiosk.get_tip_buttons(), tips, |model| {
        kiosk.set_tip_buttons(model)
    });
    kiosk.set_paid_flash(view.paid_flash);
    kiosk.set_resting(view.resting);
}

/// Replaces a list on screen only when it changed, so that a scrolled list keeps its place
/// through the one-second redraw.
fn set_if_changed<T: Clone + PartialEq + 'static>(
    shown: ModelRc<T>,
    rows: Vec<T>,
    set: impl FnOnce(ModelRc<T>),
) {
    if shown.row_count() != rows.len()
        || (0..rows.len()).any(|i| shown.row_data(i).as_ref() != rows.get(i))
    {
        set(ModelRc::new(VecModel::from(rows)));
    }
}

fn set_books(kiosk: &Kiosk, books: &BooksView) {
    let model = |lines: &[super::flow::BooksLine]| {
        let lines: Vec<BooksLine> = lines
            .iter()
            .map(|line| BooksLine {
                label: line.label.as_str().into(),
                value: line.value.as_str().into(),
                alert: line.alert,
            })
            .collect();
        ModelRc::new(VecModel::from(lines))
    };
    kiosk.set_books_title(books.title.as_str().into());
    kiosk.set_books_totals(model(&books.totals));
    kiosk.set_books_groups(model(&books.groups));
    kiosk.set_books_can_close(books.can_close);
    kiosk.set_confirm_close(books.confirm_close);
    kiosk.set_confirm_close_text(books.confirm_text.as_str().into());
}

/// The QR code as an image, ten pixels a module with a two-module margin; the screen scales it
/// without smoothing.
pub fn qr_image(payload: &str) -> Option<slint::Image> {
    let code = crate::qr::encode(payload).ok()?;
    let scale = 10;
    let margin = 2;
    let modules = code.width();
    let side = (modules + 2 * margin) * scale;
    let mut buffer = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::new(
        u32::try_from(side).ok()?,
        u32::try_from(side).ok()?,
    );
    let colors = code.to_colors();
    for (index, pixel) in buffer.make_mut_slice().iter_mut().enumerate() {
        let (x, y) = (index % side / scale, index / side / scale);
        let dark = x >= margin
            && y >= margin
            && x - margin < modules
            && y - margin < modules
            && colors[(y - margin) * modules + (x - margin)] == qrcode::Color::Dark;
        let value = if dark { 0 } else { 255 };
        *pixel = slint::Rgb8Pixel::new(value, value, value);
    }
    Some(slint::Image::from_rgb8(buffer))
}
