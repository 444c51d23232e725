//! Five power cuts (QEMU killed) at random moments of a sale, the customer paying during some
//! of them. After each boot the sale must settle; at the end every sale has at most one code
//! and every paid code exactly one receipt (or copies marked as such).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use paycode_kiosk::monime::CodeStatus;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::Next;
use crate::checks::{
    FIRST_FRAME, charge, new_sale, settled, unit_story, wait_for, wait_for_receipt,
};
use crate::report::Report;
use crate::screen::{Screen, classify};
use crate::shop::Shop;
use crate::vm::{Machine, Rig};

pub const CUTS: usize = 5;

pub fn cuts(rig: &Rig, shop: &Shop, first: Machine, seed: u64, report: &mut Report) -> Next {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut machine = first;
    let phase = Instant::now();
    for round in 1..=CUTS {
        let check = format!("power cut {round}/{CUTS}");
        let begun = Instant::now();
        // Two in five cuts fall while the code is being made (the first second and a half).
        let after = if rng.random_bool(0.4) {
            rng.random_range(0..1_500)
        } else {
            rng.random_range(1_500..10_000)
        };
        let after = Duration::from_millis(after);
        let pays_during = rng.random_bool(0.5);
        let digits = format!("{}", 10 + round);
        let (next, result) = one_cut(rig, shop, machine, &digits, after, pays_during);
        report.record(&check, begun.elapsed(), result);
        machine = next?;
    }
    report.record(
        "one code per sale, one receipt per paid code",
        phase.elapsed(),
        ledger(shop),
    );
    report.phase("power cuts", phase.elapsed());
    Some(machine)
}

/// The machine for the next round (none when it could not boot), and the round's verdict.
type Outcome = (Option<Machine>, Result<String, String>);

fn one_cut(
    rig: &Rig,
    shop: &Shop,
    mut machine: Machine,
    digits: &str,
    after: Duration,
    pays_during: bool,
) -> Outcome {
    let fail = |machine: Option<Machine>, problem: String| (machine, Err(problem));
    let before = shop.codes().len();
    if let Err(error) = charge(&mut machine, digits) {
        return fail(Some(machine), error);
    }
    std::thread::sleep(after);
    machine.power_cut();
    let code_made = shop.codes().get(before).cloned();
    let paid_during = match (&code_made, pays_during) {
        (Some(code), true) => {
            if let Err(error) = shop.simulator.pay(&code.id, Some(Duration::from_secs(1))) {
                return fail(None, format!("paying during the cut: {error}"));
            }
            true
        }
        _ => false,
    };
    let mut machine = match Machine::boot(rig, None) {
        Ok(machine) => machine,
        Err(error) => return fail(None, error),
    };
    if let Err(error) = wait_for(
        &mut machine,
        "frame after the power cut",
        FIRST_FRAME,
        |s| *s != Screen::Nothing,
    ) {
        return fail(Some(machine), error);
    }
    let boot = machine.started.elapsed();
    let story = format!(
        "cut {:.1} s after Charge ({}), customer {}",
        after.as_secs_f64(),
        if code_made.is_some() {
            "code made"
        } else {
            "no code yet"
        },
        if paid_during {
            "paid during the cut"
        } else {
            "did not pay during the cut"
        }
    );
    let result = settle(&mut machine, shop, before)
        .map(|ending| {
            format!(
                "{story}; {ending}; first frame {:.0} s after power on",
                boot.as_secs_f64()
            )
        })
        .map_err(|problem| format!("{story}; {problem}"));
    (Some(machine), result)
}

/// Drives the sale to its end after the boot: pays the code if the customer has not, waits for
/// PAID and the receipt, and goes back to the keypad.
fn settle(machine: &mut Machine, shop: &Shop, before: usize) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut on_keypad_since: Option<Instant> = None;
    let mut paid_after_boot = false;
    while Instant::now() < deadline {
        let screen = classify(&machine.screen()?);
        let code = shop.codes().get(before).cloned();
        match (&screen, &code) {
            (Screen::Payment(_), Some(code))
                if code.status == CodeStatus::Pending && !paid_after_boot =>
            {
                shop.simulator.pay(&code.id, Some(Duration::from_secs(1)))?;
                paid_after_boot = true;
            }
            (Screen::Paid, Some(code)) => {
                wait_for_receipt(shop, &code.id, Duration::from_secs(60))?;
                new_sale(machine)?;
                let who = if paid_after_boot {
                    "paid after the boot"
                } else {
                    "paid"
                };
                return Ok(format!("{who}: PAID on screen, one receipt ({})", code.id));
            }
            (Screen::Amount, code) => {
                let since = *on_keypad_since.get_or_insert_with(Instant::now);
                match code {
                    Some(code) if settled(&code.status) && code.status != CodeStatus::Completed => {
                        return Ok(format!(
                            "the code was {:?}, back at the keypad",
                            code.status
                        ));
                    }
                    None if since.elapsed() > Duration::from_secs(30) => {
                        return Ok(
                            "no code was made before the cut; back at the keypad, nothing charged"
                                .into(),
                        );
                    }
                    _ => {}
                }
            }
            _ => on_keypad_since = None,
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let kept = machine.keep_screen("unsettled");
    Err(format!(
        "the sale did not settle within 180 s after the boot (screen {kept}, code {:?}){}",
        shop.codes().get(before).map(|code| (&code.id, code.status)),
        unit_story(machine)
    ))
}

/// Every sale's codes, and every paid code's receipts.
fn ledger(shop: &Shop) -> Result<String, String> {
    let codes = shop.codes();
    let mut per_sale: HashMap<String, Vec<&str>> = HashMap::new();
    for code in &codes {
        let sale = code
            .metadata
            .get("sale")
            .map(|sale| sale.to_string())
            .unwrap_or_default();
        per_sale.entry(sale).or_default().push(&code.id);
    }
    if let Some((sale, ids)) = per_sale.iter().find(|(_, ids)| ids.len() > 1) {
        return Err(format!(
            "sale {sale} has {} codes: {}",
            ids.len(),
            ids.join(", ")
        ));
    }
    let mut paid = 0;
    for code in codes
        .iter()
        .filter(|code| code.status == CodeStatus::Completed)
    {
        // The network printer's check printed one of them there.
        let originals = shop
            .receipts_anywhere(&code.id)
            .iter()
            .filter(|text| !text.contains("COPY"))
            .count();
        if originals != 1 {
            return Err(format!(
                "code {} was paid and has {originals} receipts",
                code.id
            ));
        }
        paid += 1;
    }
    Ok(format!(
        "{} codes for {} sales, {paid} paid with one receipt each",
        codes.len(),
        per_sale.len()
    ))
}
