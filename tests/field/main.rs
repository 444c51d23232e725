//! The whole-system test: the terminal as shipped (the device .deb installed with apt on a
//! minimal Debian by scripts/field-test.sh), booted in QEMU and checked from the outside, as a
//! shop would meet it: its screen (screendumps), its touch panel (taps on a virtual tablet), its
//! printers (the project's virtual printer on the second UART, and one on the network), Monime
//! (the simulator on the host) and systemd (commands through the guest agent). Each check prints one line, PASS or
//! FAIL, with its time. Run it through scripts/field-test.sh, which builds what it needs and
//! sets FIELD_DIR; `cargo test` alone does not run it.

mod access;
mod checks;
mod journal;
mod metrics;
mod power;
mod qmp;
mod report;
mod screen;
mod shop;
mod upgrade;
mod vm;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use report::Report;
use shop::Shop;
use vm::{Machine, Rig};

fn main() -> ExitCode {
    let Some(dir) = std::env::var_os("FIELD_DIR").map(PathBuf::from) else {
        eprintln!("FIELD_DIR is not set: run scripts/field-test.sh, which builds the image first");
        return ExitCode::FAILURE;
    };
    let shop = match Shop::open(&dir) {
        Ok(shop) => shop,
        Err(error) => {
            eprintln!("FAIL: the host side: {error}");
            return ExitCode::FAILURE;
        }
    };
    let arch = match vm::Arch::from_env() {
        Ok(arch) => arch,
        Err(error) => {
            eprintln!("FAIL: {error}");
            return ExitCode::FAILURE;
        }
    };
    let exporter_port = match vm::free_port() {
        Ok(port) => port,
        Err(error) => {
            eprintln!("FAIL: {error}");
            return ExitCode::FAILURE;
        }
    };
    let rig = Rig {
        arch,
        dir,
        printer_tty: shop.printer.path().to_path_buf(),
        simulator_port: shop.simulator.address().port(),
        network_printer_port: shop.network_printer.address().port(),
        exporter_port,
        accel: std::env::var("FIELD_ACCEL").unwrap_or_else(|_| "tcg".into()),
    };
    let seed = std::env::var("FIELD_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let cuts = match power::count_from_env() {
        Ok(cuts) => cuts,
        Err(error) => {
            eprintln!("FAIL: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{} guest, accelerator {}, {cuts} power cuts, seed {seed} (FIELD_SEED={seed} repeats them)",
        rig.arch.name(),
        rig.accel
    );

    let mut report = Report::default();
    let started = Instant::now();
    let last = checks::first_boot(&rig, &shop, &mut report)
        .and_then(|machine| upgrade::during_sale(&rig, &shop, machine, &mut report))
        .and_then(|machine| access::who_may_talk(machine, &shop, &mut report))
        .and_then(|machine| power::cuts(&rig, &shop, machine, seed, cuts, &mut report));
    match last {
        Some(machine) => checks::purge(machine, &mut report),
        None => report.fail(
            "the remaining checks",
            Duration::ZERO,
            "not run (see above)".into(),
        ),
    }
    report.finish(started.elapsed())
}

/// The machine for the next check, or `None` when it cannot go on.
type Next = Option<Machine>;
