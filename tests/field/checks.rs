//! The checks of the first boot (with the clock three days behind) and the purge at the end:
//! a new terminal's first hour (the set-up page, never a demo; `setup`; the keypad with Monime
//! online), then a boot with the clock behind: the first frame, a sale from taps to the receipt,
//! its metrics through node_exporter, the clock, the sandbox, the watchdog.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use paycode_kiosk::monime::CodeStatus;
use paycode_kiosk::printer::emulator::VirtualPrinter;
use paycode_kiosk::simulator::SimCode;

use crate::Next;
use crate::report::Report;
use crate::screen::{Screen, bar, button, classify};
use crate::shop::{NETWORK_PRINTER, Shop, receipts_on};
use crate::vm::{Machine, Rig};

/// How long a boot under TCG may take to its first frame (about 50 s measured, x86_64 and arm64).
pub const FIRST_FRAME: Duration = Duration::from_secs(240);
/// How long the restarted service may take to its keypad, and to hear from Monime.
const KEYPAD_AFTER_SETUP: Duration = Duration::from_secs(120);

/// Polls the screen until `want` holds, or `timeout`; the error names what was shown last.
pub fn wait_for(
    machine: &mut Machine,
    what: &str,
    timeout: Duration,
    want: impl Fn(&Screen) -> bool,
) -> Result<Screen, String> {
    let deadline = Instant::now() + timeout;
    let mut last = Screen::Nothing;
    while Instant::now() < deadline {
        last = classify(&machine.screen()?);
        if want(&last) {
            return Ok(last);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let kept = machine.keep_screen("last-screen");
    Err(format!(
        "no {what} after {} s (the screen shows {last:?}, saved as {kept}){}",
        timeout.as_secs(),
        unit_story(machine)
    ))
}

/// What systemd says about the unit, for a failure message: state, restarts, and the last lines
/// the terminal itself wrote to the journal (systemd's own lines about the unit left out, and
/// the framebuffers /dev/fb0 to fb9 that Slint tries after DRM and this machine does not have).
pub fn unit_story(machine: &Machine) -> String {
    let script = "systemctl show paycode-kiosk -p ActiveState -p SubState -p NRestarts -p Result \
                  | tr '\\n' ' '; echo; \
                  journalctl -b _SYSTEMD_UNIT=paycode-kiosk.service --no-pager -o cat \
                  | grep -v 'Error opening device /dev/fb[0-9]*: No such file' | tail -n 8";
    match machine.run(script) {
        Ok(output) => {
            let (state, journal) = output
                .stdout
                .split_once('\n')
                .unwrap_or((&output.stdout, ""));
            let restarts = state
                .split_whitespace()
                .find_map(|field| field.strip_prefix("NRestarts="))
                .and_then(|count| count.parse::<u32>().ok())
                .unwrap_or(0);
            let looped = if restarts > 1 {
                format!("; the unit crash-looped ({restarts} restarts)")
            } else {
                String::new()
            };
            format!("{looped}; systemd: {state}; journalctl says:\n{journal}")
        }
        Err(error) => format!(
            "; the guest agent did not answer ({error}); console:\n{}",
            machine.console_tail()
        ),
    }
}

fn key_in(machine: &mut Machine, keys: &[&str]) -> Result<(), String> {
    for key in keys {
        let at = button(key).ok_or_else(|| format!("no button {key}"))?;
        machine.tap(at)?;
    }
    Ok(())
}

/// Taps `digits` and Charge.
pub fn charge(machine: &mut Machine, digits: &str) -> Result<(), String> {
    let keys: Vec<String> = digits.chars().map(String::from).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    key_in(machine, &keys)?;
    key_in(machine, &["Charge"])
}

/// Taps New sale on the PAID screen and waits for the keypad.
pub fn new_sale(machine: &mut Machine) -> Result<(), String> {
    key_in(machine, &["New sale"])?;
    wait_for(
        machine,
        "amount screen after New sale",
        Duration::from_secs(30),
        |s| *s == Screen::Amount,
    )
    .map(|_| ())
}

/// Waits for the code number `count` (1-based) to exist at the simulator.
pub fn wait_for_code(shop: &Shop, count: usize, timeout: Duration) -> Result<SimCode, String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(code) = shop.codes().get(count - 1) {
            return Ok(code.clone());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Err(format!(
        "no payment code reached the simulator within {} s",
        timeout.as_secs()
    ))
}

/// Waits for the cut receipt naming `code_id` on the UART's printer (more than one is a failure
/// unless a copy).
pub fn wait_for_receipt(shop: &Shop, code_id: &str, timeout: Duration) -> Result<String, String> {
    wait_for_receipt_on(&shop.printer, "the UART", code_id, timeout)
}

/// Waits for the cut receipt naming `code_id` on `printer`, which is at `place`.
pub fn wait_for_receipt_on(
    printer: &VirtualPrinter,
    place: &str,
    code_id: &str,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let receipts = receipts_on(printer, code_id);
        let originals = receipts
            .iter()
            .filter(|text| !text.contains("COPY"))
            .count();
        match originals {
            0 => std::thread::sleep(Duration::from_millis(300)),
            1 => return Ok(receipts.join("\n")),
            n => {
                return Err(format!(
                    "{n} receipts printed for {code_id}, none marked as a copy"
                ));
            }
        }
    }
    Err(format!(
        "no receipt for {code_id} on {place} within {} s",
        timeout.as_secs()
    ))
}

/// The first boot, as installed, with the clock right: the first hour (setup); then a boot with
/// the clock three days behind, which runs the checks one boot can carry.
pub fn first_boot(rig: &Rig, shop: &Shop, report: &mut Report) -> Next {
    let mut machine = match Machine::boot(rig, None) {
        Ok(machine) => machine,
        Err(error) => {
            report.fail("boot", Duration::ZERO, error);
            return None;
        }
    };
    if !first_hour(&mut machine, rig, shop, report) {
        return None;
    }
    machine.shut_down();

    let clock = Utc::now() - TimeDelta::days(3);
    let mut machine = match Machine::boot(rig, Some(clock)) {
        Ok(machine) => machine,
        Err(error) => {
            report.fail("boot", Duration::ZERO, error);
            return None;
        }
    };
    let took = |since: Instant| since.elapsed();
    let started = machine.started;
    let frame = wait_for(
        &mut machine,
        "frame of the amount screen",
        FIRST_FRAME,
        |s| *s == Screen::Amount,
    );
    if !report.record(
        "first frame of the amount screen, the clock three days behind",
        took(started),
        frame.map(|_| {
            format!(
                "{:.0} s after QEMU started",
                started.elapsed().as_secs_f64()
            )
        }),
    ) {
        return None;
    }

    let begun = Instant::now();
    let sale = sale_from_taps(&mut machine, shop);
    let code = match sale {
        Ok((code, detail)) => {
            report.pass(
                "taps make one code of the right amount; the QR decodes to it",
                took(begun),
                detail,
            );
            code
        }
        Err(error) => {
            report.fail(
                "taps make one code of the right amount; the QR decodes to it",
                took(begun),
                error,
            );
            return None;
        }
    };

    let begun = Instant::now();
    let paid = pay_and_print(&mut machine, shop, &code);
    report.record(
        "paid: the PAID screen and the receipt on the UART",
        took(begun),
        paid,
    );

    let begun = Instant::now();
    let scraped = crate::metrics::scraped(&machine, rig, shop);
    report.record(
        "node_exporter, scraped from the host, serves the paid total; the file 0644, no token",
        took(begun),
        scraped,
    );

    let begun = Instant::now();
    let filed = clock_check(&machine, &code);
    report.record(
        "a clock three days wrong at boot files the sale on the right day",
        took(begun),
        filed,
    );

    let begun = Instant::now();
    let sandboxed = sandbox(&machine);
    report.record("the sandbox at run time", took(begun), sandboxed);

    let begun = Instant::now();
    let watchdog = watchdog(&mut machine);
    report.record(
        "the watchdog restarts a frozen terminal and the screen comes back",
        took(begun),
        watchdog,
    );

    let begun = Instant::now();
    let networked = network_printer(&mut machine, rig, shop);
    report.record(
        "a network printer: setup moves receipts to it, a sale prints there, and back",
        took(begun),
        networked,
    );
    Some(machine)
}

/// A new terminal's first hour, as a technician meets it: the package installed and booted
/// without a configuration shows the set-up page, never a demo; `setup` driven by its flags
/// (the token on standard input) writes the settings, checks them with Monime and restarts the
/// service; the keypad then shows Monime online. Two lines: the page, and the time from
/// `apt install` to the keypad.
fn first_hour(machine: &mut Machine, rig: &Rig, shop: &Shop, report: &mut Report) -> bool {
    let started = machine.started;
    let page = set_up_page(machine);
    let to_page = started.elapsed();
    if !report.record("the set-up page after boot, never a demo", to_page, page) {
        return false;
    }
    let begun = Instant::now();
    let setup = set_up(machine, rig, shop);
    let setting_up = begun.elapsed();
    if !report.record("setup driven by its flags", setting_up, setup) {
        return false;
    }
    let begun = Instant::now();
    let keypad = keypad_online(machine);
    let to_keypad = begun.elapsed();
    let installing = std::fs::read_to_string(rig.dir.join("apt-seconds"))
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .unwrap_or_default();
    let total = installing + (to_page + setting_up + to_keypad).as_secs_f64();
    report.record(
        "from apt install to the keypad with Monime online",
        to_keypad,
        keypad.map(|()| {
            format!(
                "{total:.0} s: apt install {installing:.0} s, boot to the set-up page {:.0} s, setup {:.0} s, setup to the keypad with every light green {:.0} s",
                to_page.as_secs_f64(),
                setting_up.as_secs_f64(),
                to_keypad.as_secs_f64()
            )
        }),
    )
}

/// Waits for the start-up page, and fails at once if the terminal shows anything that sells
/// (a keypad, a code, PAID) or demo mode's badge before it is set up.
fn set_up_page(machine: &mut Machine) -> Result<String, String> {
    let deadline = Instant::now() + FIRST_FRAME;
    let mut last = Screen::Nothing;
    while Instant::now() < deadline {
        let image = machine.screen()?;
        last = classify(&image);
        let selling = matches!(last, Screen::Amount | Screen::Payment(_) | Screen::Paid);
        if selling || bar(&image).demo {
            let kept = machine.keep_screen("not-set-up");
            return Err(format!(
                "a terminal with no configuration showed {last:?}{} (saved as {kept})",
                if bar(&image).demo {
                    " in demo mode"
                } else {
                    ""
                }
            ));
        }
        if last == Screen::Starting {
            let log = machine.run(
                "journalctl -b _SYSTEMD_UNIT=paycode-kiosk.service --no-pager -o cat | grep -c 'not set up yet'",
            )?;
            return match log.stdout.trim().parse::<u32>() {
                Ok(lines) if lines > 0 => Ok(format!(
                    "{:.0} s after QEMU started; the unit's log says \"not set up yet\"",
                    machine.started.elapsed().as_secs_f64()
                )),
                _ => Err(format!(
                    "the start-up page shows something else than \"not set up\"{}",
                    unit_story(machine)
                )),
            };
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let kept = machine.keep_screen("not-set-up");
    Err(format!(
        "no set-up page after {} s (the screen shows {last:?}, saved as {kept}){}",
        FIRST_FRAME.as_secs(),
        unit_story(machine)
    ))
}

/// `paycode-kiosk setup` in the guest, as a fleet's script runs it.
fn set_up(machine: &mut Machine, rig: &Rig, shop: &Shop) -> Result<String, String> {
    let printer = std::fs::read_to_string(rig.dir.join("guest-printer"))
        .map_err(|error| format!("the guest's printer device: {error}"))?;
    let script = format!(
        "paycode-kiosk setup --token-stdin --non-interactive --space-id spc-demo \
         --base-url http://127.0.0.1:8080 --merchant-name 'Field Test Shop' \
         --terminal-id FIELD-TILL1 --admin-pin 4821 --printer {} --width 32",
        printer.trim()
    );
    // The token on standard input, as a fleet's script pipes it.
    let output = machine.run_with_input(&script, &format!("{}\n", shop.token))?;
    let said = format!("{}{}", output.stdout, output.stderr);
    if output.status != 0 || !said.contains("Monime accepted the token") {
        return Err(format!("setup exited {}: {said}", output.status));
    }
    if !said.contains("Restarted paycode-kiosk") {
        return Err(format!("setup did not restart the service: {said}"));
    }
    let mode = machine.run("stat -c %a /etc/paycode-kiosk/credentials/monime-access-token")?;
    if mode.stdout.trim() != "600" {
        return Err(format!("the token file has mode {}", mode.stdout.trim()));
    }
    // The configuration holds the admin PIN: the terminal's group reads it, no one else.
    let config = machine.run("stat -c '%a %U %G' /etc/paycode-kiosk/config.toml")?;
    if config.stdout.trim() != "640 root paycode-kiosk" {
        return Err(format!(
            "the configuration is {}, not 640 root paycode-kiosk",
            config.stdout.trim()
        ));
    }
    Ok("settings written (0640, group paycode-kiosk), token file 0600, Monime accepted them, the service restarted".into())
}

/// The shop's network printer: `setup --printer tcp://...` moves the terminal's receipts to the
/// host's virtual network printer (through QEMU's network, from inside the service's sandbox),
/// a sale's receipt prints there whole and only there; then `setup` puts the UART's printer back
/// for the checks that follow, whatever happened.
fn network_printer(machine: &mut Machine, rig: &Rig, shop: &Shop) -> Result<String, String> {
    let uart = std::fs::read_to_string(rig.dir.join("guest-printer"))
        .map_err(|error| format!("the guest's printer device: {error}"))?;
    let moved = Instant::now();
    choose_printer(machine, NETWORK_PRINTER)?;
    let printed = sale_on_network_printer(machine, shop);
    let back = choose_printer(machine, uart.trim());
    let receipt = printed?;
    back?;
    Ok(format!(
        "a receipt of {} lines at 48 columns on {NETWORK_PRINTER}, none on the UART, {:.0} s from setup; back on {}",
        receipt.lines().count(),
        moved.elapsed().as_secs_f64(),
        uart.trim()
    ))
}

fn sale_on_network_printer(machine: &mut Machine, shop: &Shop) -> Result<String, String> {
    let (code, _) = sale_from_taps(machine, shop)?;
    shop.simulator.pay(&code.id, Some(Duration::from_secs(1)))?;
    wait_for(machine, "PAID screen", Duration::from_secs(60), |s| {
        *s == Screen::Paid
    })?;
    let receipt = wait_for_receipt_on(
        &shop.network_printer,
        NETWORK_PRINTER,
        &code.id,
        Duration::from_secs(60),
    )?;
    if !receipt.contains("125.00") {
        return Err(format!("the receipt does not show Le 125.00:\n{receipt}"));
    }
    if !shop.receipts_for(&code.id).is_empty() {
        return Err("the receipt printed on the UART's printer too".into());
    }
    new_sale(machine)?;
    Ok(receipt)
}

/// Runs `setup` with `device` as the printer and nothing else changed, and waits for the
/// restarted terminal's keypad with its printer light green.
fn choose_printer(machine: &mut Machine, device: &str) -> Result<(), String> {
    let before = main_pid(machine)?;
    let width = if device.starts_with("tcp://") { 48 } else { 32 };
    let output = machine.run(&format!(
        "paycode-kiosk setup --non-interactive --printer {device} --width {width}"
    ))?;
    let said = format!("{}{}", output.stdout, output.stderr);
    if output.status != 0 || !said.contains("Restarted paycode-kiosk") {
        return Err(format!(
            "setup --printer {device} exited {}: {said}",
            output.status
        ));
    }
    let deadline = Instant::now() + KEYPAD_AFTER_SETUP;
    while Instant::now() < deadline {
        let now = main_pid(machine)?;
        if now != 0 && now != before {
            let image = machine.screen()?;
            // This boot's clock is days off, so one light stays red: the printer's is the green.
            if classify(&image) == Screen::Amount && bar(&image).lights_ok >= 1 {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let kept = machine.keep_screen("after-printer-setup");
    Err(format!(
        "no keypad with the printer ready on {device} {} s after setup (saved as {kept}){}",
        KEYPAD_AFTER_SETUP.as_secs(),
        unit_story(machine)
    ))
}

/// The keypad with every light of the status bar green (Monime online, the printer ready).
fn keypad_online(machine: &mut Machine) -> Result<(), String> {
    let deadline = Instant::now() + KEYPAD_AFTER_SETUP;
    while Instant::now() < deadline {
        let image = machine.screen()?;
        let lights = bar(&image);
        if lights.demo {
            return Err("demo mode's badge after setup".into());
        }
        if classify(&image) == Screen::Amount && lights.lights_ok >= 1 && lights.lights_problem == 0
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let kept = machine.keep_screen("after-setup");
    Err(format!(
        "no keypad with Monime online {} s after setup (saved as {kept}){}",
        KEYPAD_AFTER_SETUP.as_secs(),
        unit_story(machine)
    ))
}

fn sale_from_taps(machine: &mut Machine, shop: &Shop) -> Result<(SimCode, String), String> {
    let before = shop.codes().len();
    charge(machine, "125")?;
    let code = wait_for_code(shop, before + 1, Duration::from_secs(60))?;
    if code.amount_minor != 12_500 {
        return Err(format!(
            "the code is for {} minor units, not 12500 (Le 125)",
            code.amount_minor
        ));
    }
    let shown = wait_for(
        machine,
        "payment screen with a QR code",
        Duration::from_secs(60),
        |s| matches!(s, Screen::Payment(_)),
    )?;
    let expected = format!("tel:{}", code.ussd_code.replace('#', "%23"));
    let Screen::Payment(decoded) = shown else {
        return Err("the payment screen went away".into());
    };
    if decoded != expected {
        return Err(format!(
            "the QR holds {decoded:?}, the code is {expected:?}"
        ));
    }
    std::thread::sleep(Duration::from_secs(3));
    let made = shop.codes().len() - before;
    if made != 1 {
        return Err(format!("{made} codes were made for one sale"));
    }
    Ok((
        code.clone(),
        format!("code {} for Le 125, QR {decoded}", code.id),
    ))
}

fn pay_and_print(machine: &mut Machine, shop: &Shop, code: &SimCode) -> Result<String, String> {
    shop.simulator.pay(&code.id, Some(Duration::from_secs(1)))?;
    let begun = Instant::now();
    wait_for(machine, "PAID screen", Duration::from_secs(60), |s| {
        *s == Screen::Paid
    })?;
    let on_screen = begun.elapsed();
    let receipt = wait_for_receipt(shop, &code.id, Duration::from_secs(60))?;
    if !receipt.contains("125.00") {
        return Err(format!("the receipt does not show Le 125.00:\n{receipt}"));
    }
    Ok(format!(
        "PAID {:.1} s after paying; receipt of {} lines with the code and Le 125.00 on the printer's UART",
        on_screen.as_secs_f64(),
        receipt.lines().count()
    ))
}

fn clock_check(machine: &Machine, code: &SimCode) -> Result<String, String> {
    // As docs/DEPLOY.md runs commands beside the service: its user, journal and credential.
    let guest = machine.run(
        "date -u +%F; systemd-run --quiet --wait --pipe --collect \
         -p User=paycode-kiosk -p Group=paycode-kiosk -p StateDirectory=paycode-kiosk \
         -p LoadCredential=monime-access-token:/etc/paycode-kiosk/credentials/monime-access-token \
         paycode-kiosk history",
    )?;
    let (guest_date, history) = guest.stdout.split_once('\n').unwrap_or((&guest.stdout, ""));
    let day = code.create_time.format("%Y-%m-%d").to_string();
    if guest_date.trim() == day {
        return Err(format!(
            "the guest's clock was not wrong: it says {guest_date}"
        ));
    }
    let line = history
        .lines()
        .find(|line| line.contains(&code.id))
        .ok_or_else(|| {
            format!(
                "`paycode-kiosk history` does not list {}: {history}{}",
                code.id, guest.stderr
            )
        })?;
    if !line.contains(&day) {
        return Err(format!(
            "the sale is filed as {line:?}, Monime made its code on {day} (guest clock {guest_date})"
        ));
    }
    Ok(format!(
        "guest clock says {}, the sale is filed on {day}",
        guest_date.trim()
    ))
}

pub fn main_pid(machine: &Machine) -> Result<u32, String> {
    let output = machine.run("systemctl show -p MainPID --value paycode-kiosk")?;
    output
        .stdout
        .trim()
        .parse()
        .map_err(|_| format!("no MainPID: {}", output.stdout))
}

fn sandbox(machine: &Machine) -> Result<String, String> {
    let pid = main_pid(machine)?;
    let status = machine
        .run(&format!("cat /proc/{pid}/status; id -u paycode-kiosk"))?
        .stdout;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let own_uid = status.lines().last().unwrap_or("").trim().to_string();
    let uid = field("Uid:");
    if own_uid.is_empty() || own_uid == "0" || !uid.split_whitespace().all(|id| id == own_uid) {
        return Err(format!(
            "the process runs with Uid {uid}, not the paycode-kiosk user ({own_uid})"
        ));
    }
    for set in ["CapEff:", "CapPrm:", "CapBnd:", "CapAmb:"] {
        if field(set) != "0000000000000000" {
            return Err(format!("{set} {} (capabilities left)", field(set)));
        }
    }
    // The token is looked for with grep -f, so it is never on a command line of its own.
    let found = machine.run(
        "t=/etc/paycode-kiosk/credentials/monime-access-token; \
         journalctl --no-pager -o verbose | grep -c -F -f $t; \
         systemctl show paycode-kiosk | grep -c -F -f $t",
    )?;
    let counts: Vec<&str> = found.stdout.split_whitespace().collect();
    if counts != ["0", "0"] {
        return Err(format!(
            "the token appears in the journal ({} lines) or the unit's properties ({} lines)",
            counts.first().unwrap_or(&"?"),
            counts.get(1).unwrap_or(&"?")
        ));
    }
    let security =
        machine.run("systemd-analyze security paycode-kiosk.service --no-pager | tail -n 1")?;
    let exposure: f64 = security
        .stdout
        .split(':')
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .ok_or_else(|| {
            format!(
                "systemd-analyze security said: {}{}",
                security.stdout, security.stderr
            )
        })?;
    if exposure > 2.5 {
        return Err(format!(
            "systemd-analyze security: exposure {exposure} is above 2.5"
        ));
    }
    Ok(format!(
        "uid {own_uid} (paycode-kiosk), CapEff 0, the token in neither journal nor unit, exposure {exposure}"
    ))
}

fn watchdog(machine: &mut Machine) -> Result<String, String> {
    new_sale(machine)?;
    let frozen = main_pid(machine)?;
    machine.run(&format!("kill -STOP {frozen}"))?;
    let begun = Instant::now();
    let deadline = begun + Duration::from_secs(150);
    loop {
        let now = main_pid(machine)?;
        if now != 0 && now != frozen {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the frozen terminal (pid {frozen}) was not restarted in 150 s{}",
                unit_story(machine)
            ));
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    let restarted = begun.elapsed();
    // The frame must be a new one: the frozen process left the last one on the screen.
    std::thread::sleep(Duration::from_secs(2));
    wait_for(
        machine,
        "amount screen after the restart",
        Duration::from_secs(120),
        |s| *s == Screen::Amount,
    )?;
    Ok(format!(
        "restarted {:.0} s after SIGSTOP, the amount screen back {:.0} s after SIGSTOP",
        restarted.as_secs_f64(),
        begun.elapsed().as_secs_f64()
    ))
}

/// Purges the package and lists what is left of it.
pub fn purge(machine: Machine, report: &mut Report) {
    let begun = Instant::now();
    let script = "dpkg -L paycode-kiosk > /root/files; \
                  systemctl stop paycode-kiosk; dpkg -P paycode-kiosk >/root/purge.log 2>&1 || { cat /root/purge.log; exit 1; }; \
                  while read -r f; do [ -f \"$f\" ] && echo \"file $f\"; done < /root/files; \
                  find / -xdev -name '*paycode*' -not -path '/root/*' | sed 's/^/left /'; \
                  getfacl -cp /var/lib/prometheus/node-exporter 2>/dev/null \
                  | grep -vE '^(user::|group::|other::|$)' | sed 's/^/acl on node_exporter folder /'; \
                  getent passwd paycode-kiosk | sed 's/^/user /'";
    let result = machine.run(script).and_then(|output| {
        if output.status != 0 {
            return Err(format!(
                "dpkg -P failed: {}{}",
                output.stdout, output.stderr
            ));
        }
        let left: Vec<&str> = output
            .stdout
            .lines()
            .filter(|line| !line.starts_with("user "))
            .collect();
        let user = output.stdout.lines().any(|line| line.starts_with("user "));
        if !left.is_empty() {
            return Err(format!("dpkg -P left behind: {}", left.join(", ")));
        }
        Ok(format!(
            "no file or directory of the package left, no ACL on node_exporter's folder{}",
            if user {
                "; the system user paycode-kiosk stays, as policy asks (no uid reuse)"
            } else {
                ""
            }
        ))
    });
    report.record(
        "dpkg -P leaves nothing behind but what policy keeps",
        begun.elapsed(),
        result,
    );
    machine.shut_down();
}

/// Statuses that end a sale.
pub fn settled(status: &CodeStatus) -> bool {
    matches!(
        status,
        CodeStatus::Completed | CodeStatus::Expired | CodeStatus::Cancelled
    )
}
