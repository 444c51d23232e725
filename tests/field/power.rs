//! Power cuts (QEMU killed) at random moments of a sale, the customer paying during some of
//! them: five, or FIELD_POWER_CUTS. After each boot the sale must settle; at the end every sale
//! has at most one code and every paid code exactly one receipt (or copies marked as such), and
//! the journal, read on the host, is whole and agrees with Monime. The last lines count every
//! outcome.

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

/// How many cuts a run makes unless FIELD_POWER_CUTS says otherwise.
pub const CUTS: usize = 5;

/// FIELD_POWER_CUTS, or `CUTS`.
pub fn count_from_env() -> Result<usize, String> {
    match std::env::var("FIELD_POWER_CUTS") {
        Err(_) => Ok(CUTS),
        Ok(text) => text.trim().parse().map_err(|_| {
            format!("FIELD_POWER_CUTS is {text:?}: give a number of cuts, such as 100")
        }),
    }
}

/// How one cut's sale ended, as the screen and Monime showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ending {
    PaidDuringCut,
    PaidAfterBoot,
    Expired,
    Cancelled,
    /// The cut came before a code was made: back at the keypad, nothing charged.
    NoCode,
    /// The round failed (its check says why).
    Failed,
}

impl Ending {
    const ALL: [Ending; 6] = [
        Ending::PaidDuringCut,
        Ending::PaidAfterBoot,
        Ending::Expired,
        Ending::Cancelled,
        Ending::NoCode,
        Ending::Failed,
    ];

    fn words(self) -> &'static str {
        match self {
            Ending::PaidDuringCut => "paid during the cut",
            Ending::PaidAfterBoot => "paid after the boot",
            Ending::Expired => "expired",
            Ending::Cancelled => "cancelled",
            Ending::NoCode => "no code before the cut",
            Ending::Failed => "failed",
        }
    }
}

pub fn cuts(
    rig: &Rig,
    shop: &Shop,
    first: Machine,
    seed: u64,
    count: usize,
    report: &mut Report,
) -> Next {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut machine = first;
    let phase = Instant::now();
    let mut endings: HashMap<Ending, usize> = HashMap::new();
    let mut boots: Vec<Duration> = Vec::new();
    let mut cut_while_making = 0;
    let mut qemu_crashes = 0;
    for round in 1..=count {
        let check = format!("power cut {round}/{count}");
        let begun = Instant::now();
        // Two in five cuts fall while the code is being made (the first second and a half).
        let after = if rng.random_bool(0.4) {
            cut_while_making += 1;
            rng.random_range(0..1_500)
        } else {
            rng.random_range(1_500..10_000)
        };
        let after = Duration::from_millis(after);
        let pays_during = rng.random_bool(0.5);
        let digits = format!("{}", 10 + round);
        let (next, result) = one_cut(rig, shop, machine, &digits, after, pays_during);
        let ending = match &result {
            Ok(round) => {
                boots.push(round.boot);
                qemu_crashes += round.qemu_crashes;
                round.ending
            }
            Err(_) => Ending::Failed,
        };
        *endings.entry(ending).or_default() += 1;
        report.record(&check, begun.elapsed(), result.map(|round| round.story));
        machine = next?;
        // A round that failed may have left QEMU dead: the next round starts on a fresh boot
        // (one more power cut, to the terminal), or the cuts end here.
        if let Some(status) = machine.exited() {
            qemu_crashes += 1;
            println!("-- QEMU ended ({status}) during round {round}: booting again");
            machine = match boot_after_cut(rig) {
                (Some(machine), Ok(crashes)) => {
                    qemu_crashes += crashes.len();
                    machine
                }
                (_, result) => {
                    let error = result.err().unwrap_or_default();
                    report.fail("a boot after QEMU ended", Duration::ZERO, error);
                    return None;
                }
            };
        }
    }
    let cutting = phase.elapsed();
    report.record(
        "one code per sale, one receipt per paid code",
        phase.elapsed(),
        ledger(shop),
    );
    let begun = Instant::now();
    let read = crate::journal::after_cuts(&machine, rig, shop);
    report.record(
        "the journal, read on the host after the cuts: whole, every sale settled, as Monime says",
        begun.elapsed(),
        read,
    );
    let counted: Vec<String> = Ending::ALL
        .iter()
        .map(|ending| {
            format!(
                "{} {}",
                endings.get(ending).copied().unwrap_or(0),
                ending.words()
            )
        })
        .collect();
    let boot_range = match (boots.iter().min(), boots.iter().max()) {
        (Some(least), Some(most)) => format!(
            "; first frame {:.0}–{:.0} s after power on",
            least.as_secs_f64(),
            most.as_secs_f64()
        ),
        _ => String::new(),
    };
    report.note(&format!(
        "{count} power cuts (seed {seed}), {cut_while_making} while the code was being made: {}{boot_range}; QEMU itself ended {qemu_crashes} times and was started again; {:.0} s with their boots and sales",
        counted.join(", "),
        cutting.as_secs_f64()
    ));
    report.phase("power cuts", phase.elapsed());
    Some(machine)
}

/// A round that ended as it should: how, in words, the first frame's time after power on, and
/// how often QEMU itself crashed on the way there.
struct Round {
    ending: Ending,
    story: String,
    boot: Duration,
    qemu_crashes: usize,
}

/// The machine for the next round (none when it could not boot), and the round's verdict.
type Outcome = (Option<Machine>, Result<Round, String>);

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
    let (mut machine, crashes) = match boot_after_cut(rig) {
        (Some(machine), Ok(crashes)) => (machine, crashes),
        (machine, Err(error)) => return fail(machine, error),
        (None, Ok(_)) => return fail(None, "no machine after the boot".into()),
    };
    let boot = machine.started.elapsed();
    let story = format!(
        "cut {:.1} s after Charge ({}), customer {}{}",
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
        },
        crashes
            .iter()
            .map(|crash| format!("; {crash}, started again"))
            .collect::<String>()
    );
    let result = settle(&mut machine, shop, before)
        .map(|(ending, words)| {
            let story = format!(
                "{story}; {words}; first frame {:.0} s after power on",
                boot.as_secs_f64()
            );
            Round {
                ending,
                story,
                boot,
                qemu_crashes: crashes.len(),
            }
        })
        .map_err(|problem| format!("{story}; {problem}"));
    (Some(machine), result)
}

/// How many times in a row QEMU may crash while booting before the round gives up.
const QEMU_CRASHES: usize = 2;

/// Boots after the cut and waits for the first frame. QEMU itself may crash while it starts (a
/// segfault of QEMU 7.2, once in a hundred boots, before the guest drew anything): that is the
/// rig's fault, not the terminal's, and to the terminal no more than the power going off again
/// during the boot, so the machine is started again and the crash is said. Gives the machine and
/// the crashes.
fn boot_after_cut(rig: &Rig) -> (Option<Machine>, Result<Vec<String>, String>) {
    let mut crashes = Vec::new();
    loop {
        let mut machine = match Machine::boot(rig, None) {
            Ok(machine) => machine,
            Err(error) => return (None, Err(error)),
        };
        let frame = wait_for(
            &mut machine,
            "frame after the power cut",
            FIRST_FRAME,
            |s| *s != Screen::Nothing,
        );
        match (frame, machine.exited()) {
            (Ok(_), _) => return (Some(machine), Ok(crashes)),
            (Err(_), Some(status)) if crashes.len() < QEMU_CRASHES => crashes.push(format!(
                "QEMU itself ended ({status}) {:.0} s after it started",
                machine.started.elapsed().as_secs_f64()
            )),
            (Err(error), _) => return (Some(machine), Err(error)),
        }
    }
}

/// Drives the sale to its end after the boot: pays the code if the customer has not, waits for
/// PAID and the receipt, and goes back to the keypad.
fn settle(machine: &mut Machine, shop: &Shop, before: usize) -> Result<(Ending, String), String> {
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
                let (ending, who) = if paid_after_boot {
                    (Ending::PaidAfterBoot, "paid after the boot")
                } else {
                    (Ending::PaidDuringCut, "paid")
                };
                return Ok((
                    ending,
                    format!("{who}: PAID on screen, one receipt ({})", code.id),
                ));
            }
            (Screen::Amount, code) => {
                let since = *on_keypad_since.get_or_insert_with(Instant::now);
                match code {
                    Some(code) if settled(&code.status) && code.status != CodeStatus::Completed => {
                        let ending = if code.status == CodeStatus::Expired {
                            Ending::Expired
                        } else {
                            Ending::Cancelled
                        };
                        return Ok((
                            ending,
                            format!("the code was {:?}, back at the keypad", code.status),
                        ));
                    }
                    None if since.elapsed() > Duration::from_secs(30) => {
                        return Ok((
                            Ending::NoCode,
                            "no code was made before the cut; back at the keypad, nothing charged"
                                .into(),
                        ));
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

/// Every sale's codes, and every paid code's receipts, counted.
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
    let (mut paid, mut copies) = (0, 0);
    let mut by_status: HashMap<String, usize> = HashMap::new();
    for code in &codes {
        *by_status.entry(format!("{:?}", code.status)).or_default() += 1;
    }
    for code in codes
        .iter()
        .filter(|code| code.status == CodeStatus::Completed)
    {
        // The network printer's check printed one of them there.
        let receipts = shop.receipts_anywhere(&code.id);
        let originals = receipts
            .iter()
            .filter(|text| !text.contains("COPY"))
            .count();
        if originals != 1 {
            return Err(format!(
                "code {} was paid and has {originals} receipts",
                code.id
            ));
        }
        copies += receipts.len() - originals;
        paid += 1;
    }
    let mut statuses: Vec<String> = by_status
        .iter()
        .map(|(status, count)| format!("{count} {}", status.to_lowercase()))
        .collect();
    statuses.sort();
    Ok(format!(
        "{} codes for {} sales (none with two), {}; {paid} paid codes with one receipt each ({copies} copies marked COPY)",
        codes.len(),
        per_sale.len(),
        statuses.join(", ")
    ))
}
