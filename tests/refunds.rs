//! Refunds through the shop's operation, against the simulator over real HTTP and a real
//! journal: the rules said before anything moves, the quote, one payout per refund whatever
//! fails, and Monime's word alone deciding "Refunded" and "Not sent".

mod common;

use std::time::Duration;

use chrono::Utc;
use paycode_kiosk::money::{Currency, Money};
use paycode_kiosk::monime::{PayoutFailureCode, PayoutStatus};
use paycode_kiosk::refund::{
    FeeQuote, FullNumber, LimitRefusal, NewRefund, Refund, RefundPhase, Refunder,
};
use paycode_kiosk::sale::{Bounds, NewSale, Phase};
use paycode_kiosk::shop::{RefundError, RefundRequest, Shop};
use paycode_kiosk::simulator::{Endpoint, Fault, FaultRule, SimulatorOptions};
use paycode_kiosk::terminal::{Launch, open_for_command};

use common::cli::{Setup, setup};

/// Refunds on, Le 30 a day; Aminata may refund, Mohamed may not; the admin PIN is 0000.
const REFUNDS: &str = "[refunds]\nenabled = true\ndaily_limit = 30\n\
    [[cashiers]]\nname = \"Aminata\"\npin = \"2580\"\ncan_refund = true\n\
    [[cashiers]]\nname = \"Mohamed\"\npin = \"1397\"\n";
/// The number that pays the simulator's codes unless told otherwise (AMINATA KAMARA's).
const PAYER: &str = "076123456";

async fn shop_with(options: SimulatorOptions, extra_monime: &str, extra: &str) -> (Setup, Shop) {
    let setup = setup(options, extra_monime).await;
    let mut text = std::fs::read_to_string(&setup.config).expect("config");
    text.push_str(extra);
    std::fs::write(&setup.config, text).expect("config");
    let shop = open_for_command(&Launch::with_config(&setup.config))
        .await
        .expect("the shop opens");
    (setup, shop)
}

async fn refund_shop() -> (Setup, Shop) {
    shop_with(SimulatorOptions::default(), "", REFUNDS).await
}

fn sle(minor: i64) -> Money {
    Money::new(Currency::Sle, minor)
}

/// A sale of `minor` leones, paid by the simulator's default payer.
async fn paid_sale(setup: &Setup, shop: &Shop, minor: i64) -> i64 {
    let handle = shop
        .start_sale(NewSale::of(sle(minor)), Bounds::ATTENDED)
        .await
        .expect("the sale starts");
    let code = common::wait_for(&handle, "a code", |sale| sale.record.code.is_some())
        .await
        .record
        .code
        .expect("code")
        .id;
    setup
        .sim
        .pay(&code, Some(Duration::from_millis(100)))
        .expect("paid");
    let sale = tokio::time::timeout(Duration::from_secs(30), handle.finished)
        .await
        .expect("the sale ends")
        .expect("the sale task");
    assert_eq!(sale.record.phase, Phase::Paid);
    sale.record.number
}

fn ask(sale: i64, amount: Option<i64>, phone: &str, pin: &str) -> RefundRequest {
    RefundRequest {
        sale,
        amount: amount.map(sle),
        phone: phone.into(),
        pin: pin.into(),
    }
}

/// Requests the simulator saw whose path ends `path`.
fn requests_to(setup: &Setup, path: &str) -> usize {
    setup
        .sim
        .requests()
        .iter()
        .filter(|request| request.path.contains(path))
        .count()
}

async fn settled(mut updates: tokio::sync::watch::Receiver<Refund>) -> Refund {
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        updates
            .wait_for(|refund| refund.is_final())
            .await
            .map(|refund| refund.clone())
    })
    .await;
    waited.expect("the refund settles").expect("its task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_is_quoted_before_anything_moves_then_sent_once() {
    let (setup, shop) = refund_shop().await;
    let sale = paid_sale(&setup, &shop, 1250).await;
    let stored = shop.sale(sale).await.expect("read").expect("the sale");
    let proof = stored
        .proof
        .expect("the payer's proof, found once the sale was paid");
    assert_eq!(proof.masked_number.as_deref(), Some("+23276***456"));
    let offer = shop
        .prepare_refund(&ask(sale, None, " 076 123 456", "0000"))
        .await
        .expect("quoted");
    let quote = offer.quote();
    assert_eq!(quote.amount, sle(1250), "all that is left by default");
    assert_eq!(quote.holder_name.as_deref(), Some("AMINATA KAMARA"));
    assert_eq!(quote.provider_id, "m17");
    assert_eq!(quote.phone_shown, "076 ··· 456");
    assert_eq!(quote.fee, FeeQuote::NotKnown, "no refund yet, no fee set");
    assert_eq!(offer.refunder(), &Refunder::Admin);
    assert!(
        setup.sim.payouts().is_empty(),
        "nothing moved before the confirmation"
    );
    assert_eq!(requests_to(&setup, "/provider-kyc/m17"), 1);

    let balance = setup.sim.balance(Currency::Sle);
    let handle = shop.refund(offer).await.expect("sent");
    let refund = settled(handle.updates.clone()).await;
    assert_eq!(refund.record.phase, RefundPhase::Completed);
    assert_eq!(refund.status_line(), "Refunded");
    let payouts = setup.sim.payouts();
    assert_eq!(payouts.len(), 1);
    assert_eq!(payouts[0].status, PayoutStatus::Completed);
    assert_eq!(payouts[0].phone_number, "+23276123456");
    assert_eq!(payouts[0].amount_minor, 1250);
    assert_eq!(setup.sim.balance(Currency::Sle), balance - 1250 - 50);

    let stored = shop
        .stored_refund(refund.record.number)
        .await
        .expect("read")
        .expect("stored");
    let payout = stored.record.payout.as_ref().expect("the payout");
    assert_eq!(payout.id, payouts[0].id);
    assert_eq!(payout.fee, Some(sle(50)));
    assert_eq!(
        payout.reference, payouts[0].destination_transaction_reference,
        "the provider's reference for the credit"
    );
    assert!(
        stored.record.request.is_none(),
        "the full number is not kept"
    );
    assert_eq!(stored.holder_name.as_deref(), Some("AMINATA KAMARA"));
    assert_eq!(
        shop.refunds_of_sale(sale).await.expect("read").len(),
        1,
        "filed under its sale"
    );

    // Nothing is left of the sale; a second sale's quote shows the last refund's fee.
    let refused = shop.prepare_refund(&ask(sale, None, PAYER, "0000")).await;
    assert!(
        matches!(
            refused,
            Err(RefundError::Limit(LimitRefusal::NothingLeft { .. }))
        ),
        "{refused:?}"
    );
    let second = paid_sale(&setup, &shop, 300).await;
    let offer = shop
        .prepare_refund(&ask(second, Some(100), PAYER, "2580"))
        .await
        .expect("quoted");
    assert_eq!(offer.quote().fee, FeeQuote::LastRefund(sle(50)));
    assert_eq!(offer.refunder(), &Refunder::Cashier("Aminata".into()));
    assert_eq!(offer.quote().left_after, sle(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_refund_and_what_is_refused_before_any_payout() {
    let (setup, shop) = refund_shop().await;
    let sale = paid_sale(&setup, &shop, 500).await;
    let refused = |result: Result<_, RefundError>| result.expect_err("refused");

    let wrong = refused(shop.prepare_refund(&ask(sale, None, PAYER, "9999")).await);
    assert!(matches!(wrong, RefundError::WrongPin), "{wrong}");
    let cashier = refused(shop.prepare_refund(&ask(sale, None, PAYER, "1397")).await);
    assert!(
        matches!(&cashier, RefundError::NotAllowed { cashier } if cashier == "Mohamed"),
        "{cashier}"
    );
    assert!(cashier.to_string().contains("can_refund"), "{cashier}");

    // The typed number disagrees with the digits Monime showed of the payer's.
    let other = refused(
        shop.prepare_refund(&ask(sale, None, "077123456", "0000"))
            .await,
    );
    assert!(matches!(other, RefundError::NotThePayer { .. }), "{other}");
    assert!(other.to_string().contains("076 ··· 456"), "{other}");
    let short = refused(
        shop.prepare_refund(&ask(sale, None, "07612345", "0000"))
            .await,
    );
    assert!(matches!(short, RefundError::Number(_)), "{short}");

    let missing = refused(shop.prepare_refund(&ask(99, None, PAYER, "0000")).await);
    assert!(matches!(missing, RefundError::NoSuchSale(99)), "{missing}");
    let handle = shop
        .start_sale(NewSale::of(sle(200)), Bounds::ATTENDED)
        .await
        .expect("starts");
    let unpaid = handle.number();
    common::wait_for(&handle, "a code", |sale| sale.record.code.is_some()).await;
    let open = refused(shop.prepare_refund(&ask(unpaid, None, PAYER, "0000")).await);
    assert!(matches!(open, RefundError::NotPaid { .. }), "{open}");
    handle.cancel();

    // A number that fits the mask but that the provider does not know.
    let unknown = refused(
        shop.prepare_refund(&ask(sale, None, "076999456", "0000"))
            .await,
    );
    assert!(
        matches!(unknown, RefundError::NoAccount { .. }),
        "{unknown}"
    );

    assert_eq!(
        requests_to(&setup, "/provider-kyc"),
        1,
        "only the last was asked"
    );
    assert_eq!(
        requests_to(&setup, "/payouts"),
        0,
        "no payout was even asked for"
    );
    assert!(setup.sim.payouts().is_empty());

    let (off_setup, off) = shop_with(SimulatorOptions::default(), "", "").await;
    let sale = paid_sale(&off_setup, &off, 500).await;
    let refusal = refused(off.prepare_refund(&ask(sale, None, PAYER, "0000")).await);
    assert!(matches!(refusal, RefundError::Off), "{refusal}");
    assert!(
        refusal.to_string().contains("[refunds] enabled"),
        "{refusal}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refunds_of_a_sale_never_pass_what_was_paid_nor_a_day_its_limit() {
    let (setup, shop) = refund_shop().await;
    let sale = paid_sale(&setup, &shop, 1000).await;
    let send = |amount: Option<i64>| {
        let shop = &shop;
        async move {
            let offer = shop
                .prepare_refund(&ask(sale, amount, PAYER, "2580"))
                .await?;
            let handle = shop.refund(offer).await?;
            Ok::<_, RefundError>(settled(handle.updates.clone()).await)
        }
    };
    let part = send(Some(400)).await.expect("a part");
    assert_eq!(part.record.phase, RefundPhase::Completed);
    let over = send(Some(601)).await.expect_err("more than is left");
    assert!(
        matches!(over, RefundError::Limit(LimitRefusal::MoreThanPaid { .. })),
        "{over}"
    );
    let rest = send(None).await.expect("the rest");
    assert_eq!(rest.record.amount, sle(600));
    let third = send(Some(1)).await.expect_err("nothing left");
    assert!(
        matches!(third, RefundError::Limit(LimitRefusal::NothingLeft { .. })),
        "{third}"
    );
    assert_eq!(setup.sim.payouts().len(), 2);

    // Le 10 sent back today of Le 30: a sale of Le 25 may have Le 20 back, not Le 25.
    let big = paid_sale(&setup, &shop, 2500).await;
    let day = shop
        .prepare_refund(&ask(big, None, PAYER, "0000"))
        .await
        .expect_err("over the day's limit");
    assert!(
        matches!(
            &day,
            RefundError::Limit(LimitRefusal::OverDailyLimit { limit, used, .. })
                if *limit == sle(3000) && *used == sle(1000)
        ),
        "{day}"
    );
    shop.prepare_refund(&ask(big, Some(2000), PAYER, "0000"))
        .await
        .expect("within the day's limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_payout_is_not_sent_with_its_reason_and_frees_the_money() {
    let (setup, shop) = refund_shop().await;
    let sale = paid_sale(&setup, &shop, 800).await;
    setup.sim.set_balance(sle(100));
    let offer = shop
        .prepare_refund(&ask(sale, None, PAYER, "0000"))
        .await
        .expect("quoted");
    let refund = settled(shop.refund(offer).await.expect("sent").updates).await;
    assert_eq!(refund.record.phase, RefundPhase::Failed);
    assert_eq!(
        refund.status_line(),
        "Not sent: Monime's balance is too low"
    );
    assert_eq!(setup.sim.balance(Currency::Sle), 100, "no money moved");
    let stored = shop
        .stored_refund(refund.record.number)
        .await
        .expect("read")
        .expect("stored");
    assert!(!stored.receipt_owed());
    assert_eq!(
        stored.record.failure.and_then(|failure| failure.code),
        Some(PayoutFailureCode::FundInsufficient)
    );

    // A failed refund holds no money: the whole sale may go back once the account has it.
    setup.sim.set_balance(sle(100_000));
    setup
        .sim
        .fail_next_payout(PayoutFailureCode::ProviderAccountBlocked);
    let offer = shop
        .prepare_refund(&ask(sale, None, PAYER, "0000"))
        .await
        .expect("the whole sale again");
    let refund = settled(shop.refund(offer).await.expect("sent").updates).await;
    assert_eq!(
        refund.status_line(),
        "Not sent: the payer's account is blocked"
    );
    assert_eq!(setup.sim.payouts().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_ends_with_one_payout() {
    let (setup, shop) = refund_shop().await;
    let sale = paid_sale(&setup, &shop, 700).await;
    setup.sim.push_fault(FaultRule {
        endpoint: Endpoint::CreatePayout,
        fault: Fault::DropAfterProcessing,
        times: 2,
    });
    let offer = shop
        .prepare_refund(&ask(sale, None, PAYER, "0000"))
        .await
        .expect("quoted");
    let refund = settled(shop.refund(offer).await.expect("sent").updates).await;
    assert_eq!(refund.record.phase, RefundPhase::Completed);
    assert!(
        requests_to(&setup, "/v1/payouts") >= 3,
        "sent again after each lost answer"
    );
    let payouts = setup.sim.payouts();
    assert_eq!(payouts.len(), 1, "{payouts:?}");
    assert_eq!(payouts[0].idempotency_key, refund.record.idempotency_key);
}

/// A refund whose create may have reached Monime longer ago than Monime keeps a key is never
/// sent again: its payout is looked for by the key in its metadata, and without one there the
/// refund is not confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_sent_long_ago_is_looked_for_not_sent_again() {
    let (setup, shop) = refund_shop().await;
    let sale = paid_sale(&setup, &shop, 1000).await;
    let long_ago = Utc::now() - chrono::Duration::hours(13);
    let day = (long_ago - chrono::Duration::hours(1), Utc::now());
    let sending = |key: &str, minor: i64| {
        let new = NewRefund {
            sale,
            amount: sle(minor),
            provider_id: "m17".into(),
            phone: FullNumber::parse(PAYER).expect("number"),
            holder_name: None,
            refunder: Refunder::Admin,
            terminal_id: "KIOSK-1".into(),
            source_account: None,
        };
        let mut record = shop
            .journal()
            .begin_refund(key, long_ago, &new, 100_000, day)
            .expect("journal")
            .expect("written");
        record.phase = RefundPhase::Sending;
        record.sent_at = Some(long_ago);
        shop.journal()
            .save_refund(&record, long_ago, Some("sending"))
            .expect("saved");
        record
    };
    // The first reached Monime before its answer was lost: the payout is there, under its key.
    let reached = sending("key-reached", 300);
    shop.services()
        .client
        .create_payout(
            &reached.idempotency_key,
            reached.request.as_ref().expect("request"),
        )
        .await
        .expect("made at Monime");
    let lost = sending("key-lost", 200);

    let states = shop.settle_refunds().await.expect("settling");
    assert_eq!(states.len(), 2);
    let mut outcomes = Vec::new();
    for state in states {
        outcomes.push(settled(state).await);
    }
    assert_eq!(outcomes[0].record.phase, RefundPhase::Completed);
    assert_eq!(outcomes[1].record.phase, RefundPhase::Unknown);
    assert_eq!(
        outcomes[1].status_line(),
        "Refund not confirmed: check the Monime dashboard"
    );
    assert_eq!(lost.number, outcomes[1].record.number);
    let payouts = setup.sim.payouts();
    assert_eq!(payouts.len(), 1, "no create went again: {payouts:?}");
    let creates = setup
        .sim
        .requests()
        .iter()
        .filter(|request| request.method == "POST" && request.path == "/v1/payouts")
        .count();
    assert_eq!(creates, 1, "the one create the test made");
}
