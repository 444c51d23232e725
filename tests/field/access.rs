//! Who may talk to the terminal: root and the terminal's own user. A second local user, in none
//! of the terminal's groups, is refused with words that say why: by the configuration when it
//! runs a command as a technician would, and by the control socket itself when it brings a
//! configuration of its own that names the terminal's journal. It reads none of the journal,
//! its WAL, its backups, the configuration (the admin PIN) or the token. Root's commands reach
//! the same socket (the upgrade's postinst handed its restart through it before this check).

use std::time::{Duration, Instant};

use crate::Next;
use crate::checks::wait_for;
use crate::report::Report;
use crate::screen::Screen;
use crate::shop::Shop;
use crate::vm::Machine;

/// The second local user: a login on the board that is not the terminal's.
const CLERK: &str = "shopclerk";
const CONFIG: &str = "/etc/paycode-kiosk/config.toml";
const TOKEN: &str = "/etc/paycode-kiosk/credentials/monime-access-token";
const STATE: &str = "/var/lib/paycode-kiosk";
const RUNTIME: &str = "/run/paycode-kiosk";
const SOCKET: &str = "/run/paycode-kiosk/control.sock";

pub fn who_may_talk(mut machine: Machine, shop: &Shop, report: &mut Report) -> Next {
    let begun = Instant::now();
    let result = check(&mut machine, shop);
    report.record(
        "a second local user is refused by the control socket and reads no journal, backup, PIN or token",
        begun.elapsed(),
        result,
    );
    Some(machine)
}

fn check(machine: &mut Machine, shop: &Shop) -> Result<String, String> {
    let user = machine.run(&format!(
        "id -u {CLERK} >/dev/null 2>&1 || useradd --create-home --shell /bin/sh {CLERK}; \
         id -nG {CLERK}"
    ))?;
    let groups = user.stdout.trim().to_string();
    if user.status != 0 || groups.is_empty() {
        return Err(format!("no user {CLERK}: {}{}", user.stdout, user.stderr));
    }
    if groups
        .split_whitespace()
        .any(|group| group == "paycode-kiosk" || group == "root")
    {
        return Err(format!("{CLERK} is in the groups {groups}"));
    }

    let files = kept_files(machine)?;
    let socket = machine.run(&format!("stat -c '%a %U %G %F' {SOCKET}"))?;
    let socket = socket.stdout.trim().to_string();
    if socket != "660 paycode-kiosk paycode-kiosk socket" {
        return Err(format!("the control socket is {socket:?}"));
    }

    let codes = shop.codes().len();
    // As a technician types it, with the terminal's configuration.
    let as_technician = machine.run(&format!(
        "cd / && runuser -u {CLERK} -- paycode-kiosk charge 1.00"
    ))?;
    if as_technician.status == 0 || !as_technician.stderr.contains("sudo") {
        return Err(format!(
            "`paycode-kiosk charge 1.00` as {CLERK} exited {} and said: {}{}",
            as_technician.status, as_technician.stdout, as_technician.stderr
        ));
    }
    // With a configuration of its own, naming the terminal's journal and so its socket.
    let own = format!("/home/{CLERK}/till.toml");
    let at_socket = machine.run(&format!(
        "cat > {own} <<'EOF'\n\
         [monime]\n\
         space_id = \"spc-demo\"\n\
         base_url = \"http://127.0.0.1:8080\"\n\
         [kiosk]\n\
         merchant_name = \"Not this shop\"\n\
         terminal_id = \"OTHER-1\"\n\
         admin_pin = \"7391\"\n\
         [storage]\n\
         path = \"{STATE}/journal.sqlite\"\n\
         EOF\n\
         chown {CLERK}: {own}; cd / && runuser -u {CLERK} -- \
         env MONIME_ACCESS_TOKEN=mon_not_the_shops paycode-kiosk --config {own} charge 1.00"
    ))?;
    let said = at_socket.stderr.trim().to_string();
    if at_socket.status == 0
        || !said.contains(SOCKET)
        || !said.contains("Permission denied")
        || !said.contains("sudo")
    {
        return Err(format!(
            "`paycode-kiosk --config {own} charge 1.00` as {CLERK} exited {} and said: {}{said}",
            at_socket.status, at_socket.stdout
        ));
    }
    let made = shop.codes().len() - codes;
    if made != 0 {
        return Err(format!("{made} codes were made for {CLERK}'s charges"));
    }
    wait_for(
        machine,
        "amount screen, untouched by the refused charges",
        Duration::from_secs(10),
        |s| *s == Screen::Amount,
    )?;
    let technician_said = as_technician.stderr.trim();
    Ok(format!(
        "{CLERK} ({groups}) refused: with the terminal's configuration \"{technician_said}\"; with its own \"{said}\"; no code made; the socket {socket}; unreadable to it: {files}"
    ))
}

/// Tries each file of the terminal's as the second user, and each folder's listing; fails on
/// any it can read or any open to others, and says each one's mode and owners.
fn kept_files(machine: &Machine) -> Result<String, String> {
    let script = format!(
        "for f in $(find {STATE} -type f | sort) {CONFIG} {TOKEN}; do \
             if runuser -u {CLERK} -- cat \"$f\" >/dev/null 2>&1; then r=read; else r=refused; fi; \
             echo \"$r $(stat -c '%a %U %G' \"$f\") $f\"; \
         done; \
         for d in {STATE} {STATE}/backups {RUNTIME}; do \
             if runuser -u {CLERK} -- ls \"$d\" >/dev/null 2>&1; then r=read; else r=refused; fi; \
             echo \"$r $(stat -c '%a %U %G' \"$d\") $d/\"; \
         done"
    );
    let output = machine.run(&script)?;
    let mut seen = Vec::new();
    let (mut journal, mut backups, mut caches) = (false, false, 0);
    for line in output.stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [verdict, mode, owner, group, path] = fields[..] else {
            return Err(format!(
                "cannot read the line {line:?} of: {}",
                output.stdout
            ));
        };
        if verdict != "refused" {
            return Err(format!(
                "{CLERK} can read {path} (mode {mode}, {owner}:{group})"
            ));
        }
        if !mode.ends_with('0') {
            return Err(format!(
                "{path} is open to other users: mode {mode}, {owner}:{group}"
            ));
        }
        let expected = match path {
            CONFIG => Some("640 root paycode-kiosk"),
            TOKEN => Some("600 root root"),
            _ => None,
        };
        if let Some(expected) = expected
            && format!("{mode} {owner} {group}") != expected
        {
            return Err(format!("{path} is {mode} {owner}:{group}, not {expected}"));
        }
        journal |= path == format!("{STATE}/journal.sqlite");
        backups |= path.starts_with(&format!("{STATE}/backups/journal-"));
        if path.contains("/.cache/") {
            caches += 1;
        } else {
            seen.push(format!("{path} {mode} {owner}:{group}"));
        }
    }
    if caches > 0 {
        seen.push(format!(
            "{caches} files of fontconfig's cache in {STATE}/.cache/"
        ));
    }
    if !journal || !backups {
        return Err(format!(
            "the journal or a backup of it is missing, so nothing was tried: {}",
            output.stdout
        ));
    }
    Ok(seen.join(", "))
}
