//! An upgrade during a sale (docs/DEPLOY.md, "Updates"): a sale's code is on the screen when a
//! newer package is installed with `dpkg -i`. The package does not restart the terminal; its
//! postinst asks it to restart at its next idle moment. The sale must end PAID with one code
//! and one receipt, and only then does the terminal restart, by itself, into the new version.
//! The newer package is the same binary packaged again under a higher version
//! (scripts/field-test.sh), left in the guest's /root.

use std::time::{Duration, Instant};

use crate::Next;
use crate::checks::{charge, main_pid, unit_story, wait_for, wait_for_code, wait_for_receipt};
use crate::report::Report;
use crate::screen::{Screen, classify};
use crate::shop::Shop;
use crate::vm::{Machine, Rig};

const CONFIG: &str = "/etc/paycode-kiosk/config.toml";
/// How long `dpkg -i` may take under TCG.
const INSTALL_LIMIT: Duration = Duration::from_secs(300);
/// How long the terminal is watched, with the code on screen after the install, for a restart
/// it must not make.
const STILL_SELLING: Duration = Duration::from_secs(10);

pub fn during_sale(rig: &Rig, shop: &Shop, mut machine: Machine, report: &mut Report) -> Next {
    let begun = Instant::now();
    let result = upgrade(&mut machine, rig, shop);
    report.record(
        "dpkg -i of a newer package during a sale: PAID, one code, one receipt, then the new version runs",
        begun.elapsed(),
        result,
    );
    Some(machine)
}

fn upgrade(machine: &mut Machine, rig: &Rig, shop: &Shop) -> Result<String, String> {
    let read = |name: &str| {
        std::fs::read_to_string(rig.dir.join(name))
            .map(|text| text.trim().to_string())
            .map_err(|error| format!("{name} (written by scripts/field-test.sh): {error}"))
    };
    let package = read("upgrade-package")?;
    let newer = read("upgrade-version")?;
    let older = installed_version(machine)?;
    if older == newer {
        return Err(format!("version {older} is installed already"));
    }
    // A terminal set up by a release before this one has its configuration readable by every
    // user (setup wrote it 0644): the upgrade's postinst must close it.
    let before = machine.run(&format!("stat -c '%a %U %G' {CONFIG}; chmod 0644 {CONFIG}"))?;
    let set_up_as = before.stdout.trim().to_string();

    // A sale, its code on the screen.
    let codes_before = shop.codes().len();
    charge(machine, "250")?;
    let code = wait_for_code(shop, codes_before + 1, Duration::from_secs(60))?;
    wait_for(
        machine,
        "payment screen before the upgrade",
        Duration::from_secs(60),
        |s| matches!(s, Screen::Payment(_)),
    )?;
    let selling = main_pid(machine)?;

    // The upgrade, as a technician or unattended-upgrades runs it.
    let installing = Instant::now();
    let install = machine.run_within(&format!("dpkg -i {package} 2>&1"), "", INSTALL_LIMIT)?;
    let installed_in = installing.elapsed();
    if install.status != 0 {
        return Err(format!(
            "dpkg -i exited {}: {}{}",
            install.status, install.stdout, install.stderr
        ));
    }
    if !install.stdout.contains("restarts at its next idle moment") {
        return Err(format!(
            "the postinst did not hand the restart to the terminal: {}",
            install.stdout
        ));
    }
    let now = installed_version(machine)?;
    if now != newer {
        return Err(format!("dpkg reports {now} after installing {newer}"));
    }
    let closed = machine.run(&format!("stat -c '%a %U %G' {CONFIG}"))?;
    if closed.stdout.trim() != "640 root paycode-kiosk" {
        return Err(format!(
            "after the upgrade {CONFIG} is {} (0644 before it): its PINs are open to other users",
            closed.stdout.trim()
        ));
    }

    // The sale goes on in the old process, whose file is gone.
    let watched = Instant::now();
    while watched.elapsed() < STILL_SELLING {
        let pid = main_pid(machine)?;
        if pid != selling {
            return Err(format!(
                "the terminal restarted (pid {selling} to {pid}) with the code still on the screen{}",
                unit_story(machine)
            ));
        }
        match classify(&machine.screen()?) {
            Screen::Payment(_) => {}
            other => {
                let kept = machine.keep_screen("during-upgrade");
                return Err(format!(
                    "the code left the screen after the upgrade: it shows {other:?} (saved as {kept})"
                ));
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let old_exe = exe(machine, selling)?;
    if !old_exe.ends_with("(deleted)") {
        return Err(format!(
            "the running terminal's file is {old_exe}, not the replaced one: was the binary installed?"
        ));
    }

    // The customer pays: PAID on the screen, the receipt on the printer. The terminal is idle
    // from the moment its receipt is printed, and may be gone half a second later: which
    // process printed it, and when it restarted, its log says (below).
    shop.simulator.pay(&code.id, Some(Duration::from_secs(1)))?;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let screen = classify(&machine.screen()?);
        if screen == Screen::Paid {
            break;
        }
        if Instant::now() > deadline {
            let kept = machine.keep_screen("upgrade-unpaid");
            return Err(format!(
                "no PAID screen within 90 s of paying {} (screen {screen:?}, saved as {kept}){}",
                code.id,
                unit_story(machine)
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let paid_at = Instant::now();
    wait_for_receipt(shop, &code.id, Duration::from_secs(60))?;

    // Idle now: the terminal ends itself and systemd starts the new version.
    let deadline = Instant::now() + Duration::from_secs(120);
    let restarted = loop {
        let pid = main_pid(machine)?;
        if pid != 0 && pid != selling {
            break pid;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the terminal did not restart within 120 s of the PAID sale{}",
                unit_story(machine)
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let restart_seen = paid_at.elapsed();
    // The old process's own log, in order: the sale's receipt printed (so it was paid), then
    // the restart for the update, and nothing else ended it.
    let sale = code
        .metadata
        .get("sale")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| format!("code {} names no sale", code.id))?;
    let printed = format!("receipt printed sale={sale}");
    let idle = "idle: restarting for the update";
    let said = machine.run(&format!(
        "journalctl -b _PID={selling} --no-pager -o cat \
         | grep -E -e '{printed}$' -e '{idle}$' -e 'still busy when the update'"
    ))?;
    let log: Vec<&str> = said.stdout.lines().collect();
    let in_order = log.len() == 2 && log[0].ends_with(&printed) && log[1].ends_with(idle);
    if !in_order {
        return Err(format!(
            "the old terminal's log (pid {selling}) should say \"{printed}\" then \"{idle}\"; it says {log:?}{}",
            unit_story(machine)
        ));
    }
    // Once its keypad shows, the new process has long been exec'd: systemd names the main pid
    // when it forks, before the exec, while the child still runs systemd's own binary.
    wait_for(
        machine,
        "amount screen of the new version",
        Duration::from_secs(120),
        |s| *s == Screen::Amount,
    )?;
    let now = main_pid(machine)?;
    if now != restarted {
        return Err(format!(
            "the terminal restarted again (pid {restarted} to {now}) after the update{}",
            unit_story(machine)
        ));
    }
    let inodes = machine.run(&format!(
        "stat -L -c %i /proc/{restarted}/exe /usr/bin/paycode-kiosk"
    ))?;
    let inodes: Vec<&str> = inodes.stdout.lines().map(str::trim).collect();
    let new_exe = exe(machine, restarted)?;
    if new_exe.ends_with("(deleted)") || inodes.len() != 2 || inodes[0] != inodes[1] {
        return Err(format!(
            "the restarted terminal (pid {restarted}) runs {new_exe}, not the installed /usr/bin/paycode-kiosk (inodes {inodes:?})"
        ));
    }

    // One code and one receipt for the sale, after the restart too.
    let made = shop.codes().len() - codes_before;
    if made != 1 {
        return Err(format!("{made} codes were made for the sale"));
    }
    let receipts = shop.receipts_anywhere(&code.id).len();
    if receipts != 1 {
        return Err(format!(
            "{receipts} receipts (copies counted) were printed for {}",
            code.id
        ));
    }
    Ok(format!(
        "{older} to {newer} by dpkg -i in {:.0} s with {} on the screen; the old process (pid {selling}, its file deleted) sold on: PAID, one code, one receipt; its log says \"{printed}\" then \"{idle}\"; pid {restarted} seen {:.1} s after PAID, running {new_exe}; {CONFIG} {set_up_as} after setup, 0644 before the upgrade, 640 root paycode-kiosk after",
        installed_in.as_secs_f64(),
        code.id,
        restart_seen.as_secs_f64()
    ))
}

fn installed_version(machine: &Machine) -> Result<String, String> {
    let output = machine.run("dpkg-query -W -f='${Version}' paycode-kiosk")?;
    if output.status != 0 {
        return Err(format!("dpkg-query: {}", output.stderr));
    }
    Ok(output.stdout.trim().to_string())
}

/// What `/proc/PID/exe` points to.
fn exe(machine: &Machine, pid: u32) -> Result<String, String> {
    let output = machine.run(&format!("readlink /proc/{pid}/exe"))?;
    if output.status != 0 {
        return Err(format!("readlink /proc/{pid}/exe: {}", output.stderr));
    }
    Ok(output.stdout.trim().to_string())
}
