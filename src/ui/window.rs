//! The Slint glue: the flow behind the window, its `View` put on screen after every tap, key,
//! tick and piece of news (`pages` sets each page's global), the QR image, the backlight and the
//! screen's one-second clock. It holds no rules: what a tap does is `flow`'s business, and the
//! work it causes goes to the `worker`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use chrono::Local;
use slint::ComponentHandle;
use tokio::sync::mpsc;

use super::backlight::Backlight;
use super::flow::{Action, Flow, Intent, PageView, Settings, Update};
use super::pages::{self, Dispatch};
use super::{Kiosk, MainWindow, PaymentPage, StatusBar, worker};
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
    /// Whether a cashier is signed in, for the metrics.
    cashier_signed_in: std::sync::Arc<std::sync::atomic::AtomicBool>,
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
            cashier_signed_in: shop.cashier_presence(),
        }));
        let screen = NEXT_SCREEN.replace(NEXT_SCREEN.get() + 1);
        SCREENS.with(|screens| screens.borrow_mut().insert(screen, Rc::clone(&state)));

        let (actions, inbox) = mpsc::unbounded_channel();
        let weak = window.as_weak();
        let post = move |update: Update| {
            let _ = weak.upgrade_in_event_loop(move |window| {
                SCREENS.with(|screens| {
                    if let Some(state) = screens.borrow().get(&screen) {
                        state.borrow_mut().flow.update(update);
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
    let (weak, dispatch_state, dispatch_actions) =
        (window.as_weak(), Rc::clone(state), actions.clone());
    let dispatch: Dispatch = Rc::new(move |intent| {
        dispatch(&weak, &dispatch_state, &dispatch_actions, intent);
    });
    pages::bind(window, &dispatch);
    let (weak, keyboard_state, keyboard_actions) =
        (window.as_weak(), Rc::clone(state), actions.clone());
    window.global::<Kiosk>().on_keyboard(move |text| {
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
    let ussd = match &view.page {
        PageView::Payment(payment) => payment.ussd.as_str(),
        _ => "",
    };
    if ussd != state.qr_for {
        state.qr_for = ussd.to_string();
        let payment = window.global::<PaymentPage>();
        match qr_image(&state.qr_payload.for_ussd(ussd)) {
            Some(image) if !ussd.is_empty() => {
                payment.set_qr(image);
                payment.set_has_qr(true);
            }
            _ => payment.set_has_qr(false),
        }
    }
    if let Some(backlight) = &mut state.backlight {
        backlight.rest(view.resting);
    }
    let kiosk = window.global::<Kiosk>();
    kiosk.set_resting(view.resting);
    kiosk.set_rest_dark(view.resting && state.backlight.is_none());
    if state.language != Some(view.language) {
        state.language = Some(view.language);
        select_language(view.language);
    }
    let chosen = Language::ALL
        .iter()
        .position(|known| *known == view.language);
    kiosk.set_language(chosen.and_then(|at| i32::try_from(at).ok()).unwrap_or(0));
    kiosk.set_notice(view.notice.as_str().into());
    state.cashier_signed_in.store(
        !view.status.cashier.is_empty(),
        std::sync::atomic::Ordering::Relaxed,
    );
    pages::show(window, &view.page, &view.status);
    let time = state.clock.now().with_timezone(&Local);
    window
        .global::<StatusBar>()
        .set_clock(time.format("%H:%M").to_string().into());
}

/// Switches the screens' bundled translations (Slint's) to `language`.
pub(super) fn select_language(language: Language) {
    if let Err(error) = slint::select_bundled_translation(language.code()) {
        tracing::warn!(%error, %language, "the screen cannot switch language");
    }
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
        // The module this pixel falls in, counted from the image's corner, margin included.
        let (column, row) = (index % side / scale, index / side / scale);
        let dark = column >= margin
            && row >= margin
            && column - margin < modules
            && row - margin < modules
            && colors[(row - margin) * modules + (column - margin)] == qrcode::Color::Dark;
        let value = if dark { 0 } else { 255 };
        *pixel = slint::Rgb8Pixel::new(value, value, value);
    }
    Some(slint::Image::from_rgb8(buffer))
}
