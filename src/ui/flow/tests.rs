//! The screens' rules: keys, taps and news in, the next screen and its words out.

use super::*;
use crate::order::OrderLine;
use crate::sale::{Event, NewSale, Phase, Sale};

fn settings() -> Settings {
    Settings {
        merchant_name: "Shop".into(),
        terminal_id: "T1".into(),
        currency: Currency::Sle,
        currency_style: CurrencyStyle::Symbol,
        max_amount_minor: 1_000_000,
        admin_pin: "4821".into(),
        demo: false,
        paid_screen_secs: Some(3),
        has_printer: true,
        cashiers: Vec::new(),
        idle_sign_out_secs: None,
        language: Language::English,
        items: Vec::new(),
        tips: TipOffer::default(),
        screen_idle_secs: None,
        flash_paid: false,
        refunds_enabled: false,
    }
}

fn with_cashiers() -> Settings {
    let cashier = |name: &str, pin: &str| Cashier {
        name: name.into(),
        pin: pin.into(),
        can_refund: false,
    };
    Settings {
        cashiers: vec![cashier("Aminata", "2580"), cashier("Mohamed", "1397")],
        idle_sign_out_secs: Some(120),
        ..settings()
    }
}

/// Which page shows, by its name in `Screen`.
fn page(flow: &Flow) -> &'static str {
    match flow.screen() {
        Screen::SignIn { .. } => "SignIn",
        Screen::Amount => "Amount",
        Screen::Tip => "Tip",
        Screen::Payment { .. } => "Payment",
        Screen::Paid { .. } => "Paid",
        Screen::Outcome { .. } => "Outcome",
        Screen::History { .. } => "History",
        Screen::AdminPin { .. } => "AdminPin",
        Screen::Admin => "Admin",
        Screen::Books { .. } => "Books",
        Screen::Refund(_) => "Refund",
    }
}

/// What the page on show shows, when it is the page `$page`.
macro_rules! page_view {
    ($name:ident, $page:pat => $view:ident, $type:ty) => {
        fn $name(flow: &Flow) -> $type {
            match flow.view().page {
                $page => $view,
                other => panic!("not the page expected: {other:?}"),
            }
        }
    };
}

page_view!(amount, PageView::Amount(view) => view, AmountView);
page_view!(tip, PageView::Tip(view) => view, TipView);
page_view!(payment, PageView::Payment(view) => view, PaymentView);
page_view!(paid, PageView::Paid(view) => view, PaidView);
page_view!(outcome, PageView::Outcome(view) => view, OutcomeView);
page_view!(pin, PageView::SignIn(view) | PageView::AdminPin(view) => view, PinView);
page_view!(books, PageView::Books(view) => view, BooksView);
page_view!(refund, PageView::Refund(view) => view, RefundView);

fn type_keys(flow: &mut Flow, keys: &str) {
    for key in keys.chars() {
        flow.keyboard(&key.to_string());
    }
}

#[test]
fn enter_charges_the_typed_amount_and_escape_asks_before_cancelling() {
    let mut flow = Flow::new(settings());
    type_keys(&mut flow, "12.5");
    assert_eq!(amount(&flow).amount, "Le 12.5");
    let actions = flow.keyboard("\r").expect("handled");
    assert_eq!(
        actions,
        [Action::StartSale(NewSale {
            order: Order::default(),
            cashier: None,
            ..NewSale::of(Money::new(Currency::Sle, 1250))
        })]
    );
    assert_eq!(page(&flow), "Payment");
    assert_eq!(payment(&flow).amount, "Le 12.50");
    // No sale yet: nothing to cancel.
    assert_eq!(flow.keyboard("\u{1b}"), Some(vec![]));
    assert!(!payment(&flow).confirm_cancel);
}

#[test]
fn the_admin_screen_needs_the_pin() {
    let mut flow = Flow::new(settings());
    flow.intent(Intent::OpenAdmin);
    type_keys(&mut flow, "1234\r");
    assert_eq!(page(&flow), "AdminPin");
    assert_eq!(flow.view().notice, "Wrong PIN");
    type_keys(&mut flow, "4821");
    assert_eq!(pin(&flow).dots, "●●●●");
    assert_eq!(flow.keyboard("\n"), Some(vec![Action::CheckNetwork]));
    assert_eq!(page(&flow), "Admin");
    flow.keyboard("\u{1b}");
    assert_eq!(page(&flow), "Amount");
}

#[test]
fn zero_cannot_be_charged() {
    let mut flow = Flow::new(settings());
    assert!(flow.intent(Intent::Charge).is_empty());
    assert_eq!(flow.view().notice, "Type the amount first");
    assert_eq!(page(&flow), "Amount");
}

#[test]
fn a_failed_start_says_nothing_was_charged_and_try_again_reuses_the_amount() {
    let mut flow = Flow::new(settings());
    type_keys(&mut flow, "7\r");
    flow.update(Update::StartFailed("the sales journal is full".into()));
    assert_eq!(page(&flow), "Outcome");
    let view = outcome(&flow);
    assert_eq!(view.title, "Sale not started");
    assert!(view.reason.contains("Nothing was charged"));
    assert!(
        !view.reason.contains("journal"),
        "the raw error is for the admin screen: {}",
        view.reason
    );
    assert!(
        flow.admin_view()
            .lines
            .iter()
            .any(|line| line.contains("the sales journal is full")),
        "{:?}",
        flow.admin_view().lines
    );
    assert_eq!(view.retry_amount, "Le 7.00");
    assert_eq!(
        flow.intent(Intent::TryAgain),
        [Action::StartSale(NewSale {
            order: Order::default(),
            cashier: None,
            ..NewSale::of(Money::new(Currency::Sle, 700))
        })]
    );
}

/// Sale 1 for Le 7.00 after `events`, each at its second after a fixed start.
fn sale_after(events: Vec<(i64, Event)>) -> Sale {
    use crate::monime::NewPaymentCode;
    use crate::sale::{SaleRecord, Timing};
    let request = NewPaymentCode::new("Shop sale 1", Money::new(Currency::Sle, 700));
    let timing = Timing::new(std::time::Duration::from_secs(1));
    let (mut sale, _) = Sale::resume(SaleRecord::new(1, "key".into(), request), false, timing);
    let start = chrono::Utc::now();
    for (seconds, event) in events {
        sale.handle(event, start + chrono::Duration::seconds(seconds));
    }
    sale
}

fn charging_seven() -> Flow {
    let mut flow = Flow::new(settings());
    type_keys(&mut flow, "7\r");
    flow
}

#[test]
fn an_unknown_outcome_sends_the_cashier_to_the_dashboard_and_offers_no_retry() {
    use crate::monime::MonimeError;
    let not_found = || {
        Event::CreateFailed(MonimeError::NotFound {
            what: "payment code".into(),
        })
    };
    let mut flow = charging_seven();
    let sale = sale_after(vec![(0, not_found()), (121, not_found())]);
    assert_eq!(sale.record.phase, Phase::Unknown);
    flow.update(Update::Sale(Box::new(sale)));
    assert_eq!(page(&flow), "Outcome");
    let view = outcome(&flow);
    assert_eq!(view.title, "Payment not confirmed");
    assert!(
        view.reason.contains("Check the Monime dashboard"),
        "{}",
        view.reason
    );
    assert!(!view.reason.contains("charged"));
    assert!(view.unsure);
    assert!(flow.intent(Intent::TryAgain).is_empty(), "no second code");
    assert_eq!(flow.keyboard("\r"), Some(vec![]));
    assert_eq!(page(&flow), "Outcome");
    flow.intent(Intent::NewSale);
    assert_eq!(page(&flow), "Amount");
}

#[test]
fn a_cancel_left_for_recover_ends_the_payment_screen_in_plain_words() {
    let mut flow = charging_seven();
    let sale = sale_after(vec![(0, Event::CancelPressed), (30, Event::DeadlinePassed)]);
    assert!(sale.left_for_recover);
    flow.update(Update::Sale(Box::new(sale)));
    assert_eq!(page(&flow), "Outcome");
    let view = outcome(&flow);
    assert_eq!(view.title, "Cancel not confirmed");
    assert!(view.reason.contains("Monime dashboard"));
    assert!(view.unsure);
    assert!(flow.intent(Intent::TryAgain).is_empty());
}

#[test]
fn the_status_bar_says_online_only_after_an_answer_and_names_a_refused_key() {
    use crate::monime::MonimeError;
    let mut flow = charging_seven();
    let view = flow.view();
    assert_eq!(view.status.network_text, "Monime not contacted");
    assert!(view.status.network_ok, "nothing is known to be wrong yet");
    flow.update(Update::KeyOrigin("$MONIME_ACCESS_TOKEN".into()));
    let revoked = Event::CreateFailed(MonimeError::Unauthenticated {
        message: "revoked".into(),
    });
    flow.update(Update::Sale(Box::new(sale_after(vec![(0, revoked)]))));
    let (view, paying) = (flow.view(), payment(&flow));
    assert_eq!(view.status.network_text, "Monime refused the key");
    assert!(!view.status.network_ok && paying.connection_lost);
    assert_eq!(
        paying.status_line,
        "Monime refused this terminal's key. Call the technician."
    );
    assert!(
        flow.admin_view().lines[1].contains("The key is read from $MONIME_ACCESS_TOKEN"),
        "{:?}",
        flow.admin_view().lines
    );
    let erring = Event::CreateFailed(MonimeError::Server {
        status: 503,
        message: String::new(),
    });
    flow.update(Update::Sale(Box::new(sale_after(vec![(0, erring)]))));
    let (view, paying) = (flow.view(), payment(&flow));
    assert_eq!(
        view.status.network_text, "Monime online",
        "an error is an answer"
    );
    assert_eq!(
        paying.status_line,
        "Monime is having trouble, still trying to get a code"
    );
    let lost = Event::CreateFailed(MonimeError::Timeout {
        after: std::time::Duration::from_secs(10),
    });
    flow.update(Update::Sale(Box::new(sale_after(vec![(0, lost)]))));
    assert_eq!(flow.view().status.network_text, "Monime offline");
}

#[test]
fn a_wrong_clock_shows_in_the_status_bar_and_the_countdown_follows_monime() {
    use crate::monime::NewPaymentCode;
    use crate::sale::{CodeInfo, SaleRecord, Timing};
    use chrono::{DurationRound, TimeDelta, Utc};
    let mut flow = Flow::new(settings());
    let monime_now = (Utc::now() + TimeDelta::days(3))
        .duration_trunc(TimeDelta::seconds(1))
        .expect("whole seconds");
    let clock = Clock::new();
    let now = std::time::Instant::now();
    clock.heard(Some(&monime_now.to_rfc2822()), now, now);
    flow.update(Update::Clock(clock));
    assert_eq!(flow.view().status.network_text, "Clock off by 3 days");
    assert!(!flow.view().status.network_ok);

    type_keys(&mut flow, "5\r");
    let request = NewPaymentCode::new("sale", Money::new(Currency::Sle, 500));
    let mut record = SaleRecord::new(1, "key".into(), request);
    record.phase = Phase::AwaitingPayment;
    record.code = Some(CodeInfo {
        id: "pmc-1".into(),
        ussd_code: "*715*1*1#".into(),
        expire_time: Some(monime_now + TimeDelta::minutes(10)),
    });
    let timing = Timing::new(std::time::Duration::from_secs(1));
    flow.update(Update::Sale(Box::new(
        Sale::resume(record, false, timing).0,
    )));
    assert_eq!(
        payment(&flow).countdown,
        "9:59",
        "10 minutes by Monime's clock"
    );
}

#[test]
fn a_payment_monime_has_and_the_books_lack_shows_in_red_with_its_amount() {
    use crate::journal::DayClose;
    use crate::report::ShiftReport;

    let mut flow = Flow::new(settings());
    flow.intent(Intent::OpenAdmin);
    type_keys(&mut flow, "4821\r");
    assert_eq!(flow.intent(Intent::OpenBooks), [Action::LoadShift]);
    let close = DayClose {
        number: 4,
        business_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
        closed_at: chrono::Utc::now(),
        monime_check: Some(
            "! 1 difference with Monime\t3 codes\n! Paid at Monime, not here\tLe 5.00\n\
             !   sale 2 (expired here), pmc-late"
                .into(),
        ),
    };
    let zone = chrono::FixedOffset::east_opt(0).expect("zone");
    let report = ShiftReport::from_sales(
        Some(close.clone()),
        close.business_date,
        zone,
        Currency::Sle,
        &[],
    );
    flow.update(Update::Books(Box::new(report), None));
    let groups = books(&flow).groups;
    let late = groups
        .iter()
        .find(|line| line.label == "Paid at Monime, not here")
        .expect("the late payment, its mark taken off");
    assert!(late.alert, "red");
    assert_eq!(late.value, "Le 5.00");
    assert!(
        groups
            .iter()
            .filter(|line| line.label.contains("sale 2") || line.label.contains("difference"))
            .all(|line| line.alert)
    );
    assert!(
        groups
            .iter()
            .any(|line| line.label == "Monime" && !line.alert),
        "the heading is not an alert"
    );
}

#[test]
fn with_cashiers_a_pin_signs_in_and_each_sale_carries_the_cashier() {
    let mut flow = Flow::new(with_cashiers());
    assert_eq!(page(&flow), "SignIn");
    type_keys(&mut flow, "1234\r");
    assert_eq!(page(&flow), "SignIn");
    assert_eq!(flow.view().notice, "Wrong PIN");
    assert_eq!(pin(&flow).dots, "");
    type_keys(&mut flow, "2580\r");
    assert_eq!(page(&flow), "Amount");
    assert_eq!(flow.view().status.cashier, "Aminata");
    type_keys(&mut flow, "5");
    assert_eq!(
        flow.intent(Intent::Charge),
        [Action::StartSale(NewSale {
            order: Order::default(),
            cashier: Some("Aminata".into()),
            ..NewSale::of(Money::new(Currency::Sle, 500))
        })]
    );
}

#[test]
fn change_cashier_asks_for_a_pin_and_admin_stays_reachable() {
    let mut flow = Flow::new(with_cashiers());
    type_keys(&mut flow, "2580\r");
    flow.intent(Intent::ChangeCashier);
    assert_eq!(page(&flow), "SignIn");
    assert_eq!(flow.view().status.cashier, "");
    // The admin PIN is not a cashier's; the admin screen is reached from the sign-in screen
    // and leads back to it while nobody is signed in.
    type_keys(&mut flow, "4821\r");
    assert_eq!(page(&flow), "SignIn");
    flow.intent(Intent::OpenAdmin);
    type_keys(&mut flow, "4821\r");
    assert_eq!(page(&flow), "Admin");
    flow.intent(Intent::Back);
    assert_eq!(page(&flow), "SignIn");
    type_keys(&mut flow, "1397\r");
    assert_eq!(flow.view().status.cashier, "Mohamed");
}

#[test]
fn an_idle_cashier_is_signed_out_but_never_during_a_payment() {
    let mut flow = Flow::new(with_cashiers());
    type_keys(&mut flow, "2580\r");
    for _ in 0..119 {
        flow.tick();
    }
    type_keys(&mut flow, "7");
    for _ in 0..119 {
        flow.tick();
    }
    assert_eq!(page(&flow), "Amount", "a tap restarts the wait");
    flow.tick();
    assert_eq!(page(&flow), "SignIn");
    assert_eq!(
        flow.view().notice,
        "Signed out after 2 minutes without use."
    );
    assert_eq!(
        flow.amount_view().amount,
        "Le 0",
        "the half-typed amount is gone"
    );

    type_keys(&mut flow, "2580\r5\r");
    assert_eq!(page(&flow), "Payment");
    for _ in 0..600 {
        flow.tick();
    }
    assert_eq!(page(&flow), "Payment");
    assert_eq!(flow.view().status.cashier, "Aminata");
}

#[test]
fn without_cashiers_there_is_no_sign_in() {
    let mut flow = Flow::new(settings());
    assert_eq!(page(&flow), "Amount");
    assert!(!amount(&flow).can_change_cashier);
    flow.intent(Intent::ChangeCashier);
    assert_eq!(page(&flow), "Amount");
    for _ in 0..100_000 {
        flow.tick();
    }
    assert_eq!(page(&flow), "Amount");
}

#[test]
fn the_language_switch_rewords_the_screen_at_once_and_is_kept_by_the_worker() {
    let mut flow = Flow::new(settings());
    assert_eq!(flow.view().status.network_text, "Monime not contacted");
    // Only the admin screen switches.
    assert!(
        flow.intent(Intent::ChooseLanguage(Language::French))
            .is_empty()
    );
    assert_eq!(flow.view().language, Language::English);
    flow.intent(Intent::OpenAdmin);
    for digit in [4, 8, 2, 1] {
        flow.intent(Intent::Key(KeypadKey::Digit(digit)));
    }
    flow.intent(Intent::Charge);
    assert_eq!(page(&flow), "Admin");
    let sent = flow.intent(Intent::ChooseLanguage(Language::French));
    assert_eq!(sent, vec![Action::ChooseLanguage(Language::French)]);
    let view = flow.view();
    assert_eq!(view.language, Language::French);
    assert_eq!(view.status.network_text, "Monime non contacté");
    assert_eq!(view.notice, "Langue\u{a0}: Français");
    assert!(
        flow.admin_view().lines[1].starts_with("Monime\u{a0}: pas encore contacté"),
        "{:?}",
        flow.admin_view().lines
    );
    flow.intent(Intent::ChooseLanguage(Language::Krio));
    assert_eq!(flow.view().status.network_text, "Monime nɔ kɔntakt yet");
}

fn with_items_and_tips() -> Settings {
    let item = |name: &str, price_minor: i64| Item {
        name: name.into(),
        price_minor,
    };
    Settings {
        items: vec![item("Soap", 1250), item("Rice 1 kg", 4000)],
        tips: TipOffer {
            percents: vec![5, 10],
            round_up_to_minor: Some(2500),
        },
        ..settings()
    }
}

#[test]
fn item_keys_fill_a_cart_beside_a_typed_amount_and_a_tip_is_chosen_before_the_code() {
    let mut flow = Flow::new(with_items_and_tips());
    assert!(amount(&flow).show_items, "the item page comes first");
    assert_eq!(
        amount(&flow).item_keys[1],
        ("Rice 1 kg".into(), "Le 40.00".into())
    );
    flow.intent(Intent::AddItem(0));
    flow.intent(Intent::AddItem(1));
    flow.intent(Intent::AddItem(0));
    flow.intent(Intent::AddItem(7));
    // Digits go to the amount typed beside the items, and show the keypad.
    type_keys(&mut flow, "5");
    let view = amount(&flow);
    assert!(!view.show_items);
    assert_eq!(view.amount, "Le 70.00");
    let rows: Vec<(&str, &str, Option<usize>)> = view
        .cart
        .iter()
        .map(|row| (row.label.as_str(), row.amount.as_str(), row.item))
        .collect();
    assert_eq!(
        rows,
        [
            ("2 x Soap", "Le 25.00", Some(0)),
            ("Rice 1 kg", "Le 40.00", Some(1)),
            ("Amount typed", "Le 5", None),
        ]
    );

    assert!(
        flow.intent(Intent::Charge).is_empty(),
        "the tip comes first"
    );
    assert_eq!(page(&flow), "Tip");
    let view = tip(&flow);
    assert_eq!(view.subtotal, "Le 70.00");
    let tips: Vec<(&str, &str, &str)> = view
        .tips
        .iter()
        .map(|tip| (tip.label.as_str(), tip.tip.as_str(), tip.total.as_str()))
        .collect();
    assert_eq!(
        tips,
        [
            ("5%", "+ Le 3.50", "Le 73.50"),
            ("10%", "+ Le 7.00", "Le 77.00"),
            ("Round up", "+ Le 5.00", "Le 75.00"),
        ]
    );
    // Back keeps the cart; the tip is chosen on the second Charge.
    flow.intent(Intent::Back);
    assert_eq!(page(&flow), "Amount");
    assert_eq!(amount(&flow).cart.len(), 3);
    flow.intent(Intent::Charge);
    let order = Order::for_test();
    assert_eq!(
        flow.intent(Intent::ChooseTip(Some(1))),
        [Action::StartSale(NewSale {
            order: order.clone(),
            cashier: None,
            ..NewSale::of(Money::new(Currency::Sle, 7700))
        })]
    );
    assert_eq!(payment(&flow).amount, "Le 77.00");
    // Try again asks for the same items and tip.
    flow.update(Update::StartFailed("the sales journal is full".into()));
    assert_eq!(
        flow.intent(Intent::TryAgain),
        [Action::StartSale(NewSale {
            order,
            cashier: None,
            ..NewSale::of(Money::new(Currency::Sle, 7700))
        })]
    );
    // A new sale starts from an empty cart on the item page.
    flow.update(Update::StartFailed("again".into()));
    flow.intent(Intent::NewSale);
    let view = amount(&flow);
    assert!(view.cart.is_empty() && view.show_items && !view.can_charge);
}

#[test]
fn no_tip_is_a_choice_and_removing_lines_empties_the_cart() {
    let mut flow = Flow::new(with_items_and_tips());
    flow.intent(Intent::AddItem(0));
    flow.intent(Intent::AddItem(0));
    flow.intent(Intent::RemoveLine(Some(0)));
    assert_eq!(amount(&flow).cart[0].label, "Soap");
    flow.intent(Intent::Charge);
    let sale = flow.keyboard("\r").expect("Enter is No tip");
    assert_eq!(
        sale,
        [Action::StartSale(NewSale {
            order: Order {
                items: vec![OrderLine {
                    name: "Soap".into(),
                    unit_minor: 1250,
                    quantity: 1
                }],
                tip_minor: 0
            },
            ..NewSale::of(Money::new(Currency::Sle, 1250))
        })]
    );

    let mut flow = Flow::new(with_items_and_tips());
    flow.intent(Intent::AddItem(1));
    flow.intent(Intent::RemoveLine(Some(1)));
    assert!(amount(&flow).cart.is_empty());
    assert!(flow.intent(Intent::Charge).is_empty());
    assert_eq!(flow.view().notice, "Tap an item or type the amount first");
}

#[test]
fn the_cart_stays_within_the_terminal_limit() {
    let mut flow = Flow::new(Settings {
        max_amount_minor: 4400,
        ..with_items_and_tips()
    });
    flow.intent(Intent::AddItem(1));
    flow.intent(Intent::AddItem(0));
    assert_eq!(
        flow.view().notice,
        "The most this terminal takes is Le 44.00"
    );
    assert_eq!(amount(&flow).amount, "Le 40.00");
    type_keys(&mut flow, "11");
    assert_eq!(amount(&flow).amount, "Le 41.00", "1 more fits, 11 does not");
    // Tips that would pass the limit are not offered: 5 % (2.05) fits, 10 % and the
    // round-up to Le 50 do not.
    flow.intent(Intent::Charge);
    let labels: Vec<String> = tip(&flow).tips.into_iter().map(|t| t.label).collect();
    assert_eq!(labels, ["5%"]);
}

#[test]
fn without_tips_charge_starts_the_sale_with_the_items() {
    let mut flow = Flow::new(Settings {
        tips: TipOffer::default(),
        ..with_items_and_tips()
    });
    flow.intent(Intent::AddItem(1));
    let actions = flow.intent(Intent::Charge);
    assert!(matches!(
        actions.as_slice(),
        [Action::StartSale(sale)] if sale.amount.minor == 4000 && sale.order.items.len() == 1 && sale.cashier.is_none()
    ));
}

#[test]
fn an_idle_keypad_rests_and_the_first_touch_only_wakes_it() {
    let mut flow = Flow::new(Settings {
        screen_idle_secs: Some(60),
        ..settings()
    });
    for _ in 0..59 {
        flow.tick();
    }
    assert!(!flow.view().resting);
    flow.tick();
    assert!(flow.view().resting);
    // The touch that wakes it does not also press a key.
    assert_eq!(flow.keyboard("7"), Some(vec![]));
    assert!(!flow.view().resting);
    assert_eq!(amount(&flow).amount, "Le 0");
    type_keys(&mut flow, "7");
    assert_eq!(amount(&flow).amount, "Le 7");

    // Never while a code is on screen.
    flow.keyboard("\r");
    for _ in 0..120 {
        flow.tick();
    }
    assert!(!flow.view().resting);
}

#[test]
fn the_paid_screen_flashes_once_when_the_chime_is_on() {
    let mut flow = Flow::new(Settings {
        flash_paid: true,
        paid_screen_secs: None,
        ..settings()
    });
    type_keys(&mut flow, "7\r");
    let code = |status| crate::monime::PaymentCode {
        ussd_code: Some("*715*1*0000000001#".into()),
        ..crate::monime::PaymentCode::for_test("pmc-1", status, Money::new(Currency::Sle, 700))
    };
    use crate::monime::CodeStatus;
    let settled = sale_after(vec![
        (0, Event::Created(code(CodeStatus::Pending))),
        (1, Event::Checked(code(CodeStatus::Completed))),
    ]);
    assert_eq!(settled.record.phase, Phase::Paid);
    flow.update(Update::Sale(Box::new(settled)));
    assert_eq!(page(&flow), "Paid");
    assert!(paid(&flow).flash);
    flow.tick();
    assert!(!paid(&flow).flash);
}

/// A terminal that refunds, where Aminata may refund and Mohamed may not.
fn refunding() -> Flow {
    let mut settings = with_cashiers();
    settings.refunds_enabled = true;
    settings.cashiers[0].can_refund = true;
    let mut flow = Flow::new(settings);
    type_keys(&mut flow, "1397\r");
    assert_eq!(flow.intent(Intent::OpenHistory), vec![Action::LoadHistory]);
    flow
}

fn outlook(left_minor: i64) -> crate::shop::RefundOutlook {
    crate::shop::RefundOutlook {
        sale: 4,
        paid: Money::new(Currency::Sle, 2000),
        left: Money::new(Currency::Sle, left_minor),
        payer_shown: Some("076 ··· 456".into()),
        provider: Some("Orange Money".into()),
    }
}

#[test]
fn a_refund_asks_who_then_how_much_then_the_number_and_only_then_the_shop() {
    let mut flow = refunding();
    assert_eq!(
        flow.intent(Intent::OpenRefund(4)),
        vec![Action::LoadRefund(4)]
    );
    assert_eq!(refund(&flow).stage, RefundStage::Pin);
    // The cashier signed in does not make the refund: the PIN typed does.
    type_keys(&mut flow, "1397\r");
    assert_eq!(flow.view().notice, "Mohamed may not refund: ask the admin");
    type_keys(&mut flow, "9999\r");
    assert_eq!(flow.view().notice, "Wrong PIN");
    assert_eq!(refund(&flow).stage, RefundStage::Pin);
    type_keys(&mut flow, "2580\r");
    assert_eq!(refund(&flow).stage, RefundStage::Amount);
    flow.update(Update::RefundOutlook(Ok(outlook(1500))));
    let view = refund(&flow);
    assert_eq!(view.field, "Le 15.00", "all that is left, offered");
    assert_eq!(view.standing, "Paid Le 20.00 · Le 15.00 left to refund");
    assert_eq!(view.payer, "Paid from Orange Money 076 ··· 456");
    type_keys(&mut flow, "c16\r");
    assert_eq!(flow.view().notice, "Only Le 15.00 is left to refund");
    assert_eq!(refund(&flow).stage, RefundStage::Amount);
    type_keys(&mut flow, "c\r");
    assert_eq!(flow.view().notice, "Type the amount to send back");
    assert!(flow.intent(Intent::RefundAll).is_empty());
    assert_eq!(refund(&flow).field, "Le 15.00");
    type_keys(&mut flow, "c12.5\r");
    assert_eq!(refund(&flow).stage, RefundStage::Number);
    type_keys(&mut flow, "076123456");
    assert_eq!(refund(&flow).field, "076 123 456");
    let asked = flow.keyboard("\r").expect("Enter");
    assert_eq!(
        asked,
        vec![Action::PrepareRefund(crate::shop::RefundRequest {
            sale: 4,
            amount: Some(Money::new(Currency::Sle, 1250)),
            phone: "076123456".into(),
            pin: "2580".into(),
        })]
    );
    assert_eq!(refund(&flow).stage, RefundStage::Checking);
    assert!(flow.keyboard("\r").expect("Enter").is_empty(), "asked once");

    // The shop's refusal returns to the step it concerns.
    flow.update(Update::RefundQuoted(Err(RefundRefusal {
        message: "That is not the number that paid (076 ··· 456).".into(),
        at: Some(RefundInput::Number),
    })));
    assert_eq!(refund(&flow).stage, RefundStage::Number);
    assert!(flow.view().notice.starts_with("That is not the number"));
    flow.intent(Intent::Next);
    flow.update(Update::RefundQuoted(Err(RefundRefusal {
        message: "Over today's refund limit".into(),
        at: Some(RefundInput::Amount),
    })));
    assert_eq!(refund(&flow).stage, RefundStage::Amount);
    // Back, step by step, to the history; the PIN is asked again on the way in.
    flow.intent(Intent::Back);
    assert_eq!(refund(&flow).stage, RefundStage::Pin);
    assert_eq!(refund(&flow).field, "");
    assert_eq!(flow.intent(Intent::Back), vec![Action::LoadHistory]);
    assert_eq!(page(&flow), "History");
}

#[test]
fn five_wrong_pins_lock_refunds_on_the_screen_for_five_minutes() {
    let mut flow = refunding();
    flow.intent(Intent::OpenRefund(4));
    // A cashier who may not refund is no guess: it does not count.
    type_keys(&mut flow, "1397\r");
    for _ in 0..5 {
        type_keys(&mut flow, "9999\r");
    }
    assert_eq!(flow.view().notice, "Wrong PIN");
    type_keys(&mut flow, "2580\r");
    assert_eq!(
        flow.view().notice,
        "Too many wrong PINs: refunds are locked for 5 minutes"
    );
    assert_eq!(refund(&flow).stage, RefundStage::Pin);
    for _ in 0..240 {
        flow.tick();
    }
    type_keys(&mut flow, "2580\r");
    assert_eq!(
        flow.view().notice,
        "Too many wrong PINs: refunds are locked for 1 minute"
    );
    for _ in 0..60 {
        flow.tick();
    }
    type_keys(&mut flow, "2580\r");
    assert_eq!(refund(&flow).stage, RefundStage::Amount);
}

#[test]
fn a_sale_that_cannot_be_refunded_goes_back_to_the_history_with_why() {
    let mut flow = refunding();
    flow.intent(Intent::OpenRefund(4));
    flow.update(Update::RefundOutlook(Err(
        "All of this sale has been sent back".into(),
    )));
    assert_eq!(page(&flow), "History");
    assert_eq!(flow.view().notice, "All of this sale has been sent back");
}

#[test]
fn without_refunds_history_offers_none() {
    let mut flow = Flow::new(settings());
    flow.intent(Intent::OpenHistory);
    assert!(flow.intent(Intent::OpenRefund(4)).is_empty());
    assert_eq!(page(&flow), "History");
}
