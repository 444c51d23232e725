//! The flow's view onto the Slint globals, page by page, and each page's callbacks turned into
//! the flow's intents. One global a page (ui/api.slint): the status bar's and the page on show
//! are set at each redraw; the others keep what they last showed, unseen.

use std::rc::Rc;

use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use super::flow::{
    AdminView, AmountView, BooksView, HistoryView, Intent, OutcomeView, PageView, PaidView,
    PaymentView, PinView, RefundStage as Stage, RefundTone as Tone, RefundView, StatusView,
    TipView,
};
use super::keypad::KeypadKey;
use super::{
    AdminPage, AmountPage, BooksLine, BooksPage, CartRow, HistoryPage, HistoryRow, ItemKey, Kiosk,
    MainWindow, OutcomePage, Page, PaidPage, PaymentPage, PinPage, RefundPage, RefundStage,
    RefundTone, StatusBar, TipButton, TipPage,
};
use crate::lang::Language;

/// Hands an intent to the flow and redraws.
pub type Dispatch = Rc<dyn Fn(Intent)>;

/// Binds every page's callbacks to `dispatch`; the physical keyboard is the window's own
/// business, bound beside it.
pub fn bind(window: &MainWindow, dispatch: &Dispatch) {
    let on = |intent: Intent| {
        let dispatch = Rc::clone(dispatch);
        move || dispatch(intent.clone())
    };
    let on_index = |to_intent: fn(Option<usize>) -> Option<Intent>| {
        let dispatch = Rc::clone(dispatch);
        move |index: i32| {
            if let Some(intent) = to_intent(usize::try_from(index).ok()) {
                dispatch(intent);
            }
        }
    };

    let kiosk = window.global::<Kiosk>();
    let key_dispatch = Rc::clone(dispatch);
    kiosk.on_key(move |key| {
        if let Some(key) = KeypadKey::parse(&key) {
            key_dispatch(Intent::Key(key));
        }
    });
    kiosk.on_wake(on(Intent::Wake));

    let pin = window.global::<PinPage>();
    pin.on_submit(on(Intent::Charge));
    pin.on_open_admin(on(Intent::OpenAdmin));
    pin.on_back(on(Intent::Back));

    let amount = window.global::<AmountPage>();
    amount.on_charge(on(Intent::Charge));
    amount.on_open_history(on(Intent::OpenHistory));
    amount.on_open_admin(on(Intent::OpenAdmin));
    amount.on_change_cashier(on(Intent::ChangeCashier));
    amount.on_add_item(on_index(|index| index.map(Intent::AddItem)));
    amount.on_remove_line(on_index(|index| Some(Intent::RemoveLine(index))));
    let show_dispatch = Rc::clone(dispatch);
    amount.on_show_items_page(move |show| show_dispatch(Intent::ShowItems(show)));

    let tip = window.global::<TipPage>();
    tip.on_choose(on_index(|index| Some(Intent::ChooseTip(index))));
    tip.on_back(on(Intent::Back));

    let payment = window.global::<PaymentPage>();
    payment.on_cancel(on(Intent::Cancel));
    payment.on_cancel_confirmed(on(Intent::ConfirmCancel));
    payment.on_keep_waiting(on(Intent::KeepWaiting));
    payment.on_demo_pay(on(Intent::DemoPay));

    let paid = window.global::<PaidPage>();
    paid.on_reprint(on(Intent::ReprintThisSale));
    paid.on_new_sale(on(Intent::NewSale));

    let outcome = window.global::<OutcomePage>();
    outcome.on_try_again(on(Intent::TryAgain));
    outcome.on_new_sale(on(Intent::NewSale));

    let history = window.global::<HistoryPage>();
    let reprint_dispatch = Rc::clone(dispatch);
    history.on_reprint(move |number| reprint_dispatch(Intent::Reprint(i64::from(number))));
    let refund_dispatch = Rc::clone(dispatch);
    history.on_refund(move |number| refund_dispatch(Intent::OpenRefund(i64::from(number))));
    history.on_back(on(Intent::Back));

    let refund = window.global::<RefundPage>();
    refund.on_next(on(Intent::Next));
    refund.on_all(on(Intent::RefundAll));
    refund.on_send(on(Intent::SendRefund));
    refund.on_reprint(on(Intent::ReprintThisSale));
    refund.on_back(on(Intent::Back));

    let admin = window.global::<AdminPage>();
    admin.on_test_print(on(Intent::TestPrint));
    admin.on_print_report(on(Intent::PrintReport));
    admin.on_check_network(on(Intent::CheckNetwork));
    admin.on_open_books(on(Intent::OpenBooks));
    admin.on_back(on(Intent::Back));
    let names: Vec<SharedString> = Language::ALL
        .iter()
        .map(|language| language.name().into())
        .collect();
    admin.set_languages(ModelRc::new(VecModel::from(names)));
    let language_dispatch = Rc::clone(dispatch);
    admin.on_choose_language(move |index| {
        let chosen = usize::try_from(index)
            .ok()
            .and_then(|index| Language::ALL.get(index));
        if let Some(&language) = chosen {
            language_dispatch(Intent::ChooseLanguage(language));
        }
    });

    let books = window.global::<BooksPage>();
    books.on_print(on(Intent::PrintBooks));
    books.on_close_day(on(Intent::CloseDay));
    books.on_close_confirmed(on(Intent::ConfirmClose));
    books.on_keep_open(on(Intent::KeepOpen));
    books.on_back(on(Intent::Back));
}

/// Puts the page on show and its view on screen, and the status bar's.
pub fn show(window: &MainWindow, page: &PageView, status: &StatusView) {
    let shown = match page {
        PageView::SignIn(pin) => {
            show_pin(window, pin);
            Page::SignIn
        }
        PageView::Amount(amount) => {
            show_amount(window, amount);
            Page::Amount
        }
        PageView::Tip(tip) => {
            show_tip(window, tip);
            Page::Tip
        }
        PageView::Payment(payment) => {
            show_payment(window, payment);
            Page::Payment
        }
        PageView::Paid(paid) => {
            show_paid(window, paid);
            Page::Paid
        }
        PageView::Outcome(outcome) => {
            show_outcome(window, outcome);
            Page::Outcome
        }
        PageView::History(history) => {
            show_history(window, history);
            Page::History
        }
        PageView::AdminPin(pin) => {
            show_pin(window, pin);
            Page::AdminPin
        }
        PageView::Admin(admin) => {
            show_admin(window, admin);
            Page::Admin
        }
        PageView::Books(books) => {
            show_books(window, books);
            Page::Books
        }
        PageView::Refund(refund) => {
            show_refund(window, refund);
            Page::Refund
        }
    };
    window.global::<Kiosk>().set_page(shown);
    show_status(window, status);
}

fn show_status(window: &MainWindow, status: &StatusView) {
    let bar = window.global::<StatusBar>();
    bar.set_merchant(status.merchant.as_str().into());
    bar.set_cashier(status.cashier.as_str().into());
    bar.set_demo(status.demo);
    bar.set_network_ok(status.network_ok);
    bar.set_network_text(status.network_text.as_str().into());
    bar.set_printer_ok(status.printer_ok);
    bar.set_printer_text(status.printer_text.as_str().into());
}

fn show_pin(window: &MainWindow, pin: &PinView) {
    window
        .global::<PinPage>()
        .set_dots(pin.dots.as_str().into());
}

fn show_amount(window: &MainWindow, view: &AmountView) {
    let page = window.global::<AmountPage>();
    page.set_amount(view.amount.as_str().into());
    page.set_amount_empty(view.amount_empty);
    page.set_can_charge(view.can_charge);
    page.set_can_change_cashier(view.can_change_cashier);
    let keys: Vec<ItemKey> = view
        .item_keys
        .iter()
        .map(|(name, price)| ItemKey {
            name: name.as_str().into(),
            price: price.as_str().into(),
        })
        .collect();
    set_if_changed(page.get_item_keys(), keys, |model| {
        page.set_item_keys(model)
    });
    page.set_show_items(view.show_items);
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
    set_if_changed(page.get_cart(), cart, |model| page.set_cart(model));
}

fn show_tip(window: &MainWindow, view: &TipView) {
    let page = window.global::<TipPage>();
    page.set_subtotal(view.subtotal.as_str().into());
    let tips: Vec<TipButton> = view
        .tips
        .iter()
        .map(|tip| TipButton {
            label: tip.label.as_str().into(),
            tip: tip.tip.as_str().into(),
            total: tip.total.as_str().into(),
        })
        .collect();
    set_if_changed(page.get_tips(), tips, |model| page.set_tips(model));
}

/// The payment page but its QR image, which the window draws from the USSD code.
fn show_payment(window: &MainWindow, view: &PaymentView) {
    let page = window.global::<PaymentPage>();
    page.set_amount(view.amount.as_str().into());
    page.set_ussd(view.ussd.as_str().into());
    page.set_countdown(view.countdown.as_str().into());
    page.set_status_line(view.status_line.as_str().into());
    page.set_connection_lost(view.connection_lost);
    page.set_can_cancel(view.can_cancel);
    page.set_confirm_cancel(view.confirm_cancel);
    page.set_demo(view.demo);
}

fn show_paid(window: &MainWindow, view: &PaidView) {
    let page = window.global::<PaidPage>();
    page.set_amount(view.amount.as_str().into());
    page.set_receipt_text(view.receipt_text.as_str().into());
    page.set_receipt_problem(view.receipt_problem);
    page.set_can_reprint(view.can_reprint);
    page.set_flash(view.flash);
}

fn show_outcome(window: &MainWindow, view: &OutcomeView) {
    let page = window.global::<OutcomePage>();
    page.set_title(view.title.as_str().into());
    page.set_reason(view.reason.as_str().into());
    page.set_amount(view.amount.as_str().into());
    page.set_retry_amount(view.retry_amount.as_str().into());
    page.set_unsure(view.unsure);
}

fn show_history(window: &MainWindow, view: &HistoryView) {
    let page = window.global::<HistoryPage>();
    let rows: Vec<HistoryRow> = view
        .rows
        .iter()
        .map(|row| HistoryRow {
            number: i32::try_from(row.number).unwrap_or(i32::MAX),
            time: row.time.as_str().into(),
            amount: row.amount.as_str().into(),
            status: row.status.as_str().into(),
            proof: row.proof.as_str().into(),
            paid: row.paid,
            can_reprint: row.can_reprint,
            can_refund: row.can_refund,
        })
        .collect();
    set_if_changed(page.get_sales(), rows, |model| page.set_sales(model));
    page.set_loaded(view.loaded);
}

fn show_admin(window: &MainWindow, view: &AdminView) {
    let lines: Vec<SharedString> = view.lines.iter().map(|line| line.into()).collect();
    window
        .global::<AdminPage>()
        .set_lines(ModelRc::new(VecModel::from(lines)));
}

fn show_books(window: &MainWindow, view: &BooksView) {
    let page = window.global::<BooksPage>();
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
    page.set_title(view.title.as_str().into());
    page.set_totals(model(&view.totals));
    page.set_groups(model(&view.groups));
    page.set_can_close(view.can_close);
    page.set_confirm_close(view.confirm_close);
    page.set_confirm_text(view.confirm_text.as_str().into());
}

fn show_refund(window: &MainWindow, view: &RefundView) {
    let page = window.global::<RefundPage>();
    page.set_stage(match view.stage {
        Stage::Pin => RefundStage::Pin,
        Stage::Amount => RefundStage::Amount,
        Stage::Number => RefundStage::Number,
        Stage::Checking => RefundStage::Checking,
        Stage::Confirm => RefundStage::Confirm,
        Stage::Result => RefundStage::Result,
    });
    page.set_tone(match view.tone {
        Tone::Working => RefundTone::Working,
        Tone::Refunded => RefundTone::Refunded,
        Tone::NotSent => RefundTone::NotSent,
        Tone::Unsure => RefundTone::Unsure,
    });
    page.set_title(view.title.as_str().into());
    page.set_standing(view.standing.as_str().into());
    page.set_payer(view.payer.as_str().into());
    page.set_prompt(view.prompt.as_str().into());
    page.set_field(view.field.as_str().into());
    page.set_all_label(view.all_label.as_str().into());
    page.set_question(view.question.as_str().into());
    page.set_fee(view.fee.as_str().into());
    page.set_send_label(view.send_label.as_str().into());
    page.set_result(view.result.as_str().into());
    page.set_result_detail(view.result_detail.as_str().into());
    page.set_can_reprint(view.can_reprint);
}

/// Replaces a list on screen only when it changed, so that a scrolled list keeps its place
/// through the one-second redraw.
fn set_if_changed<T: Clone + PartialEq + 'static>(
    shown: ModelRc<T>,
    rows: Vec<T>,
    set: impl FnOnce(ModelRc<T>),
) {
    if shown.row_count() != rows.len()
        || (0..rows.len()).any(|index| shown.row_data(index).as_ref() != rows.get(index))
    {
        set(ModelRc::new(VecModel::from(rows)));
    }
}
