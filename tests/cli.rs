//! The command line as a technician uses it: the real binary against the simulator.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::cli::{add_printer, args, charge_until, every_time, kiosk, run, setup, text};
use common::monime_says;
use paycode_kiosk::simulator::{Endpoint, Fault, SimulatorOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_and_help() {
    let output = run(vec!["--version".into()]).await;
    assert!(output.status.success());
    assert_eq!(
        text(&output).0.trim(),
        format!("paycode-kiosk {}", env!("CARGO_PKG_VERSION"))
    );
    let output = run(vec!["--help".into()]).await;
    let (stdout, _) = text(&output);
    for command in [
        "charge",
        "history",
        "recover",
        "codes",
        "check-config",
        "simulate",
    ] {
        assert!(
            stdout.contains(command),
            "{command} missing from --help:\n{stdout}"
        );
    }
    let output = run(vec!["charge".into()]).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "a usage error is exit 1, not 2 (expired)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_says_valid_or_names_the_bad_key() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let output = run(args(&["check-config", "--online"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("valid") && stdout.contains("Monime accepted"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(paycode_kiosk::simulator::DEMO_ACCESS_TOKEN),
        "the token is never printed"
    );

    let bad = setup.config.with_file_name("bad.toml");
    std::fs::write(
        &bad,
        "[kiosk]\npoll_interval_ms = 5\n[monime]\nspace_id = \"s\"\naccess_token = \"t\"\n",
    )
    .expect("write");
    let output = run(args(&["check-config"], &bad)).await;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("poll_interval_ms") && stderr.contains("bad.toml"),
        "{stderr}"
    );

    let output = run(args(
        &["check-config"],
        &setup.config.with_file_name("missing.toml"),
    ))
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).1.contains("cannot be read"));
}

/// `check-config` names the metrics file node_exporter reads, says why there is none when the
/// folder is missing, and says off when `[metrics] textfile_dir = ""`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_says_where_the_metrics_go() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let base = std::fs::read_to_string(&setup.config).expect("config");
    let textfiles = setup.dir.path().join("textfiles");
    std::fs::create_dir(&textfiles).expect("folder");
    let missing = setup.dir.path().join("missing");
    for (name, dir, says) in [
        (
            "there",
            textfiles.display().to_string(),
            format!(
                "metrics    written to {}",
                textfiles.join("paycode_kiosk.prom").display()
            ),
        ),
        (
            "missing",
            missing.display().to_string(),
            format!("metrics    none: {} is missing", missing.display()),
        ),
        ("off", String::new(), "metrics    off".to_string()),
    ] {
        let config = setup.dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!("{base}[metrics]\ntextfile_dir = \"{dir}\"\n"),
        )
        .expect("config");
        let output = run(args(&["check-config"], &config)).await;
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "{name}: {stdout}{stderr}");
        assert!(stdout.contains(&says), "{name}: {says:?} not in\n{stdout}");
    }
}

/// A technician fixing a file sees every problem at once, each with its line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_lists_every_problem_with_its_line() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let good = std::fs::read_to_string(&setup.config).expect("config");
    let broken = setup.config.with_file_name("broken.toml");
    let lines_before = good.lines().count();
    std::fs::write(
        &broken,
        format!(
            "{good}[printer]\ndevice = \"/dev/ttyUSB0\"\nflow_control = \"rts\"\n\
             [refunds]\nenabled = \"yes\"\n"
        ),
    )
    .expect("write");
    let output = run(args(&["check-config"], &broken)).await;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for expected in [
        "2 problems".to_string(),
        format!("line {}: unknown variant `rts`", lines_before + 3),
        format!("line {}: invalid type: string \"yes\"", lines_before + 5),
    ] {
        assert!(stderr.contains(&expected), "{expected:?} in\n{stderr}");
    }

    // What reads as TOML and still makes no sense: each check's problem, at its key.
    std::fs::write(
        &broken,
        format!("{good}[refunds]\nenabled = true\n[metrics]\ntextfile_dir = \"metrics\"\n"),
    )
    .expect("write");
    let output = run(args(&["check-config"], &broken)).await;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for expected in [
        format!(
            "line {}: [refunds] daily_limit is missing",
            lines_before + 1
        ),
        format!("line {}: [metrics] textfile_dir", lines_before + 4),
    ] {
        assert!(stderr.contains(&expected), "{expected:?} in\n{stderr}");
    }
}

/// A token every user of the machine can read is said, with the command that closes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_warns_of_a_token_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let setup = setup(SimulatorOptions::default(), "").await;
    let token = setup.config.with_file_name("token");
    let mode = |bits| std::fs::set_permissions(&token, std::fs::Permissions::from_mode(bits));
    mode(0o644).expect("chmod");
    let output = run(args(&["check-config"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("can be read by every user") && stdout.contains("sudo chmod 600"),
        "{stdout}"
    );
    mode(0o600).expect("chmod");
    let output = run(args(&["check-config"], &setup.config)).await;
    let (stdout, _) = text(&output);
    assert!(!stdout.contains("warning"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_are_listed_shown_and_cancelled() {
    let setup = setup(SimulatorOptions::default(), "code_duration = \"1m\"").await;
    let create = |amount: &'static str| {
        let config = setup.config.clone();
        std::thread::spawn(move || {
            kiosk()
                .args(["charge", amount, "--config"])
                .arg(&config)
                .output()
                .expect("charge")
        })
    };
    let running = create("12.50");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let code = setup
        .sim
        .codes()
        .into_iter()
        .find(|c| c.amount_minor == 1250)
        .expect("a code for 12.50");

    let output = run(args(&["codes", "list"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let line = stdout
        .lines()
        .find(|line| line.contains(&code.id))
        .expect("listed");
    assert!(
        line.contains("pending") && line.contains("Le 12.50") && line.contains(&code.ussd_code),
        "{line}"
    );

    let output = run(args(&["codes", "show", &code.id], &setup.config)).await;
    let (stdout, _) = text(&output);
    assert!(
        stdout.contains("Mama Salone Shop sale") && stdout.contains(&code.ussd_code),
        "{stdout}"
    );

    let output = run(args(&["codes", "cancel", &code.id], &setup.config)).await;
    assert!(text(&output).0.contains("cancelled"), "{:?}", text(&output));
    let charge = running.join().expect("charge thread");
    assert_eq!(
        charge.status.code(),
        Some(3),
        "the charge saw its code cancelled: {:?}",
        text(&charge)
    );

    let output = run(args(
        &["codes", "list", "--status", "cancelled"],
        &setup.config,
    ))
    .await;
    assert_eq!(text(&output).0.lines().count(), 1);
    let output = run(args(&["codes", "show", "pmc-unknown"], &setup.config)).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).1.contains("no such payment code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_exits_2_when_the_code_expires_unpaid() {
    let setup = setup(SimulatorOptions::default(), "code_duration = \"1s\"").await;
    let output = run(args(&["charge", "0.5"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "no payment within the code's 1s life: {stdout}{stderr}"
    );
    assert!(stdout.to_lowercase().contains("expired"), "{stdout}");
    assert_eq!(setup.sim.codes().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_without_a_config_say_so() {
    let output = run(vec!["codes".into(), "list".into()]).await;
    if Path::new(paycode_kiosk::config::SYSTEM_CONFIG_PATH).exists() {
        return; // An installed terminal answers with its own configuration.
    }
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).1.contains("no configuration found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_prints_the_code_follows_it_and_exits_0_when_paid() {
    let setup = setup(
        SimulatorOptions {
            auto_pay_after: Some(Duration::from_millis(1200)),
            // Longer than a pending code's check interval (4 x 250 ms), so the screen sees it.
            processing_time: Duration::from_millis(2000),
            ..SimulatorOptions::default()
        },
        "code_duration = \"1m\"",
    )
    .await;
    let output = run(args(
        &[
            "charge",
            "12.50",
            "--reference",
            "INV-7",
            "--phone",
            "076 123456",
        ],
        &setup.config,
    ))
    .await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    let code = &setup.sim.codes()[0];
    assert_eq!(code.reference.as_deref(), Some("INV-7"));
    assert_eq!(code.authorized_phone_number.as_deref(), Some("076123456"));
    let expected_order = [
        "Sale 1: Le 12.50".to_string(),
        format!("Dial {} to pay", code.ussd_code),
        "Waiting for payment".into(),
        "Payment in progress".into(),
        "PAID".into(),
        "Receipt: no printer configured".into(),
    ];
    let mut position = 0;
    for expected in &expected_order {
        let found = stdout[position..]
            .find(expected.as_str())
            .unwrap_or_else(|| panic!("{expected} missing or out of order:\n{stdout}"));
        position += found + expected.len();
    }
    assert!(
        stdout.contains('▀') || stdout.contains('▄'),
        "a QR code is drawn"
    );

    let output = run(args(&["history"], &setup.config)).await;
    let (stdout, _) = text(&output);
    assert!(
        stdout.contains("#1") && stdout.contains("Le 12.50") && stdout.contains("paid"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_refuses_bad_input_without_charging() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let cases = [
        (vec!["charge", "12.345"], "more than two decimals"),
        (vec!["charge", "0"], "more than zero"),
        (vec!["charge", "5000"], "above this terminal's limit"),
        (
            vec!["charge", "12", "--phone", "12ab"],
            "not a phone number",
        ),
    ];
    for (items, expected) in cases {
        let output = run(args(&items, &setup.config)).await;
        assert_eq!(output.status.code(), Some(1), "{items:?}");
        assert!(
            text(&output).1.contains(expected),
            "{items:?}: {:?}",
            text(&output)
        );
    }
    assert!(setup.sim.requests().is_empty(), "nothing reached Monime");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cancels_the_code_at_monime_and_exits_3() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let config = setup.config.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut child = kiosk()
            .args(["charge", "7", "--config"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("charge");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            if line.contains("Waiting for payment") {
                let status = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                assert!(status.expect("kill runs").success());
            }
            lines.push(line);
        }
        (child.wait().expect("exit"), lines.join("\n"))
    })
    .await
    .expect("task");
    let (status, stdout) = outcome;
    assert_eq!(status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("Cancelled: nothing was paid"), "{stdout}");
    assert_eq!(
        setup.sim.codes()[0].status,
        paycode_kiosk::monime::CodeStatus::Cancelled
    );
}

/// `charge 7 | head -2`: the output closes under the command, which cancels the code as Ctrl-C
/// would and ends cleanly, instead of dying mid-sale and leaving it for `recover`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_whose_output_is_closed_cancels_the_code_and_ends_cleanly() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let config = setup.config.clone();
    let (status, stderr, first_lines) = tokio::task::spawn_blocking(move || {
        let mut child = kiosk()
            .args(["charge", "7", "--config"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("charge");
        let stdout = child.stdout.take().expect("stdout");
        let first_lines: Vec<String> = BufReader::new(stdout)
            .lines()
            .take(2)
            .map(|line| line.expect("line"))
            .collect();
        // The reader and the pipe's end are dropped here, as `head -2` exits.
        let output = child.wait_with_output().expect("exit");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status, stderr, first_lines)
    })
    .await
    .expect("task");
    assert_eq!(first_lines.len(), 2);
    assert_eq!(status.code(), Some(3), "{status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        setup.sim.codes()[0].status,
        paycode_kiosk::monime::CodeStatus::Cancelled
    );
    let output = run(args(&["history"], &setup.config)).await;
    let (history, _) = text(&output);
    assert!(history.contains("cancelled"), "{history}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_prints_its_receipt_and_the_printer_commands_work() {
    use paycode_kiosk::printer::emulator::StatusAnswers;
    use paycode_kiosk::printer::pty::PtyPrinter;

    let setup = setup(
        SimulatorOptions {
            auto_pay_after: Some(Duration::from_millis(500)),
            processing_time: Duration::from_millis(200),
            ..SimulatorOptions::default()
        },
        "code_duration = \"1m\"",
    )
    .await;
    let pty = PtyPrinter::start(42, Some(StatusAnswers::READY)).expect("pty");
    add_printer(&setup.config, &pty);

    let output = run(args(&["charge", "7.25"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Receipt: printed"), "{stdout}");
    assert!(pty.wait_for_cuts(1, Duration::from_secs(20)));
    assert!(pty.emulator().paper().text().contains("Le 7.25"));

    let output = run(args(&["reprint", "--last"], &setup.config)).await;
    assert!(output.status.success(), "{:?}", text(&output));
    assert!(
        pty.wait_for_cuts(2, Duration::from_secs(20)),
        "{}",
        printer_log(&pty)
    );
    assert!(
        pty.emulator().documents()[1]
            .text()
            .contains("*** COPY ***")
    );

    let output = run(args(&["print-test"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("ready"), "the status is shown: {stdout}");
    assert!(
        pty.wait_for_cuts(3, Duration::from_secs(20)),
        "{}",
        printer_log(&pty)
    );

    let output = run(args(&["report", "--print"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    let paid_line = stdout
        .lines()
        .find(|line| line.starts_with("Paid sales"))
        .unwrap_or_else(|| panic!("no paid count:\n{stdout}"));
    assert!(paid_line.ends_with(" 1"), "{paid_line}");
    assert!(stdout.contains("Le 7.25"), "{stdout}");
    assert!(pty.wait_for_cuts(4, Duration::from_secs(20)));

    pty.set_status(Some(StatusAnswers::PAPER_OUT));
    let output = run(args(&["print-test"], &setup.config)).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("out of paper"),
        "{:?}",
        text(&output)
    );
    let output = run(args(&["reprint", "99"], &setup.config)).await;
    assert_eq!(output.status.code(), Some(1));
    let output = run(args(&["report", "--date", "22/11/2026"], &setup.config)).await;
    assert_eq!(output.status.code(), Some(1), "a bad date is refused");
}

/// The terminal's clock is three days slow, as a Pi's can be after a power cut without network:
/// the sale, its receipt and the day report go by Monime's time, and the command says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_is_filed_under_monimes_day_when_the_local_clock_is_wrong() {
    use paycode_kiosk::printer::emulator::StatusAnswers;
    use paycode_kiosk::printer::pty::PtyPrinter;

    let ahead = chrono::TimeDelta::days(3);
    let setup = setup(
        SimulatorOptions {
            auto_pay_after: Some(Duration::from_millis(500)),
            processing_time: Duration::from_millis(200),
            clock_offset: ahead,
            ..SimulatorOptions::default()
        },
        "code_duration = \"1m\"",
    )
    .await;
    let pty = PtyPrinter::start(42, Some(StatusAnswers::READY)).expect("pty");
    add_printer(&setup.config, &pty);
    let monime_day = || {
        (chrono::Local::now() + ahead)
            .format("%Y-%m-%d")
            .to_string()
    };
    // Around midnight the day may turn during the sale: either side of it is Monime's day.
    let before = monime_day();
    let output = run(args(&["charge", "1.00"], &setup.config)).await;
    let days = [before, monime_day()];
    let on_monimes_day = |text: &str| days.iter().any(|day| text.contains(day.as_str()));
    let line_of = |text: &str, start: &str| {
        let line = text.lines().find(|line| line.starts_with(start));
        line.map(str::to_string).unwrap_or_default()
    };
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("clock is off by 3 days"), "{stdout}");
    assert!(pty.wait_for_cuts(1, Duration::from_secs(20)));
    let date_line = line_of(&pty.emulator().paper().text(), "Date");
    assert!(on_monimes_day(&date_line), "{date_line} is not {days:?}");

    let output = run(args(&["history"], &setup.config)).await;
    let sale_line = line_of(&text(&output).0, "#1 ");
    assert!(on_monimes_day(&sale_line), "{sale_line} is not {days:?}");

    let output = run(args(&["report"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(on_monimes_day(&stdout), "today is Monime's day:\n{stdout}");
    assert!(line_of(&stdout, "Paid sales").ends_with(" 1"), "{stdout}");
    assert!(stderr.contains("clock is off by 3 days"), "{stderr}");
}

fn printer_log(pty: &paycode_kiosk::printer::pty::PtyPrinter) -> String {
    let received = pty.received();
    let emulator = pty.emulator();
    format!(
        "{} bytes, {} cuts, unknown {:?}, tail {:?}\n{}",
        received.len(),
        emulator.cuts(),
        emulator.unknown_commands(),
        &received[received.len().saturating_sub(80)..],
        emulator.paper().text()
    )
}

/// A system without root certificates (Debian without ca-certificates) is told so; it is not
/// the network's fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_root_certificates_never_blames_the_network() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[monime]\nbase_url = \"https://127.0.0.1:9\"\nspace_id = \"spc-x\"\naccess_token = \"mon_test_x\"\n\
         [storage]\npath = \"journal.sqlite\"\n",
    )
    .expect("config");
    let empty = dir.path().join("no-certificates");
    std::fs::create_dir_all(&empty).expect("folder");
    let output = tokio::task::spawn_blocking(move || {
        kiosk()
            .args(["check-config", "--online", "--config"])
            .arg(&config)
            .env("SSL_CERT_FILE", empty.join("none.pem"))
            .env("SSL_CERT_DIR", &empty)
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("task");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("install the ca-certificates package"),
        "{stderr}"
    );
    assert!(!stderr.contains("network cable"), "{stderr}");
}

/// A damaged journal is kept aside and a fresh one started by the command that owns it;
/// `history` then says where the damaged one is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_journal_is_kept_aside_and_history_says_so() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let journal = setup.config.with_file_name("journal.sqlite");
    std::fs::write(&journal, b"the SD card ate this".repeat(100)).expect("damage");
    let output = run(args(&["recover"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("nothing to recover"), "{stdout}");

    let output = run(args(&["history"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("a damaged journal was kept as")
            && stderr.contains("journal.sqlite.corrupt-"),
        "{stderr}"
    );
    assert!(stdout.contains("no sales yet"), "{stdout}");
}

/// A decimal comma is refused before any code exists: "1,00" is never charged as 100.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decimal_comma_is_refused_before_any_code() {
    let setup = setup(SimulatorOptions::default(), "").await;
    for amount in ["1,00", "12,5", "5,00"] {
        let output = run(args(&["charge", amount], &setup.config)).await;
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{amount}: {stdout}{stderr}");
        assert!(stderr.contains("use a point for decimals"), "{stderr}");
    }
    assert!(setup.sim.codes().is_empty(), "no code was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_exits_4_when_monime_cannot_find_the_code_and_history_shows_it() {
    let setup = setup(SimulatorOptions::default(), "").await;
    setup.sim.push_fault(every_time(
        Endpoint::Get,
        monime_says(404, "not_found", "payment code not found"),
    ));
    let output = run(args(
        &["charge", "3", "--unknown-after", "2"],
        &setup.config,
    ))
    .await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stdout}{stderr}");
    assert!(
        stdout.contains("Monime cannot find the code, still checking")
            && stdout.contains("Payment not confirmed")
            && stdout.contains("Check the Monime dashboard"),
        "{stdout}"
    );
    assert!(!stdout.to_lowercase().contains("charged"), "{stdout}");

    let output = run(args(&["history"], &setup.config)).await;
    let (stdout, _) = text(&output);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("#1"))
        .expect("sale 1");
    assert!(line.contains(" unknown "), "{line}");
    let output = run(args(&["report"], &setup.config)).await;
    let (stdout, _) = text(&output);
    let unknown = stdout
        .lines()
        .find(|l| l.starts_with("Unknown"))
        .unwrap_or_else(|| panic!("no unknown count:\n{stdout}"));
    assert!(unknown.ends_with(" 1"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_an_undeliverable_cancel_exits_within_the_bound() {
    let setup = setup(SimulatorOptions::default(), "").await;
    // Every cancel is held unanswered.
    setup
        .sim
        .push_fault(every_time(Endpoint::Update, Fault::Hang));
    let (status, stdout, stderr, took) =
        charge_until(&setup.config, &["7"], "Waiting for payment").await;
    let took = took.expect("signalled");
    let bound = paycode_kiosk::sale::CANCEL_GIVES_UP_AFTER;
    assert!(
        took >= bound - Duration::from_secs(1) && took < bound + Duration::from_secs(5),
        "exited {took:?} after SIGTERM"
    );
    assert_eq!(status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("Cancel not confirmed; the sale is left for recover"),
        "{stdout}"
    );
    assert!(stderr.contains("paycode-kiosk recover"), "{stderr}");
    let output = run(args(&["history"], &setup.config)).await;
    assert!(
        text(&output).0.contains("cancelling"),
        "{:?}",
        text(&output)
    );

    setup.sim.clear_faults();
    let output = run(args(&["recover"], &setup.config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Cancelled: nothing was paid"), "{stdout}");
    assert_eq!(
        setup.sim.codes()[0].status,
        paycode_kiosk::monime::CodeStatus::Cancelled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_is_said_with_where_the_key_came_from() {
    let setup = setup(SimulatorOptions::default(), "").await;
    setup.sim.push_fault(every_time(
        Endpoint::Get,
        monime_says(401, "unauthenticated", "the token was revoked"),
    ));
    let (status, stdout, _, _) =
        charge_until(&setup.config, &["2"], "Monime refused this terminal's key").await;
    assert!(
        stdout.contains("the token was revoked") && stdout.contains("the token file"),
        "{stdout}"
    );
    assert!(!stdout.contains("onnection lost"), "{stdout}");
    assert_eq!(status.code(), Some(3), "the cancel went through: {stdout}");
}

/// `virtual-printer --listen`: a network printer on the port the system gives, saying the
/// device to configure; it answers status on the connection, saves each document as the pty
/// one does, and stops on Ctrl-C. An address without a port is refused with the form named.
#[test]
fn the_virtual_printer_listens_as_a_network_printer_until_ctrl_c() {
    use std::io::{Read, Write};
    use std::sync::mpsc;
    const WAIT: Duration = Duration::from_secs(20);

    let output = kiosk()
        .args(["virtual-printer", "--listen", "127.0.0.1"])
        .output()
        .expect("the binary runs");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HOST:PORT"), "{stderr}");

    let folder = tempfile::tempdir().expect("tempdir");
    let mut printer = kiosk()
        .args(["virtual-printer", "--listen", "127.0.0.1:0", "--out"])
        .arg(folder.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("virtual-printer");
    let stdout = printer.stdout.take().expect("stdout");
    // Lines come through a channel so that a printer saying nothing fails the test instead
    // of hanging it.
    let (lines, said) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let first = said
        .recv_timeout(WAIT)
        .expect("the printer says where it is");
    assert!(
        first.starts_with("Virtual network printer on 127.0.0.1:") && first.contains("32 columns"),
        "{first}"
    );
    let device = first
        .split("device to \"tcp://")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("\"."))
        .unwrap_or_else(|| panic!("no tcp:// device in: {first}"))
        .to_string();
    assert!(
        first.starts_with(&format!("Virtual network printer on {device},")),
        "{first}"
    );

    let mut connection = std::net::TcpStream::connect(&device).expect("connect");
    connection
        .set_read_timeout(Some(WAIT))
        .expect("read timeout");
    connection
        .write_all(b"\x10\x04\x01\x1b@Network receipt\n\x1dVA\x00")
        .expect("print");
    let mut answer = [0u8; 1];
    connection.read_exact(&mut answer).expect("status answer");
    assert_eq!(answer, [0x12], "ready");
    let saved = loop {
        let line = said.recv_timeout(WAIT).expect("the document is saved");
        if line.contains("document-1") {
            break line;
        }
    };
    assert!(
        saved.starts_with(&folder.path().display().to_string()),
        "{saved}"
    );
    let text_saved =
        std::fs::read_to_string(folder.path().join("document-1.txt")).expect("document text");
    assert!(text_saved.contains("Network receipt"), "{text_saved}");

    let interrupted = Command::new("kill")
        .args(["-INT", &printer.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = printer.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = printer.kill();
            panic!("Ctrl-C did not stop the virtual printer");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

/// Each `[printer] device` the terminal cannot print to is refused by `check-config` with the
/// forms it can, never with a crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_refuses_each_wrong_printer_device_naming_the_forms_it_takes() {
    let setup = setup(SimulatorOptions::default(), "").await;
    for (index, wrong) in [
        "lp0",
        "COM3",
        "http://1.2.3.4",
        "tcp://host:0",
        "tcp://fd00::1",
        "/home/x/printer",
    ]
    .into_iter()
    .enumerate()
    {
        let config = common::cli::with_printer(
            &setup,
            &format!("wrong-{index}"),
            &format!("device = \"{wrong}\""),
        );
        let output = run(args(&["check-config"], &config)).await;
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{wrong}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("device \"{wrong}\"")),
            "{wrong} is not named: {stderr}"
        );
        assert!(
            stderr.contains("tcp://HOST:PORT") && stderr.contains("/dev/usb/lp0"),
            "{wrong}: the accepted forms are not named: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{wrong}: {stderr}");
        assert!(!stdout.contains("valid"), "{wrong}: {stdout}");
    }
}

/// A network printer in the configuration: `check-config` leaves it alone, and with `--online`
/// connects to it and says how it is, beside Monime's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_asks_a_network_printer_how_it_is_only_when_online() {
    use paycode_kiosk::printer::emulator::StatusAnswers;
    use paycode_kiosk::printer::socket::SocketPrinter;

    let setup = setup(SimulatorOptions::default(), "").await;
    let printer = SocketPrinter::start(
        SocketPrinter::ANY_LOCAL_PORT,
        48,
        Some(StatusAnswers::READY),
    )
    .expect("listen");
    let device = format!("tcp://{}", printer.address());
    let config = common::cli::with_printer(
        &setup,
        "network",
        &format!("device = \"{device}\"\nmodel = \"epson\"\nwidth_chars = 48"),
    );
    let output = run(args(&["check-config"], &config)).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "printer    {device} (network, epson model), 48 columns"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("not tried (--online connects to it)"),
        "{stdout}"
    );
    assert_eq!(printer.connections(), 0, "connected without --online");

    let online = || run(args(&["check-config", "--online"], &config));
    let output = online().await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("answers: ready") && stdout.contains("Monime accepted"),
        "{stdout}"
    );
    assert!(printer.connections() >= 1);

    printer.set_status(Some(StatusAnswers::PAPER_OUT));
    let (stdout, stderr) = text(&online().await);
    assert!(
        stdout.contains("answers: out of paper: load a new roll"),
        "{stdout}{stderr}"
    );

    printer.switch_off();
    let (stdout, stderr) = text(&online().await);
    assert!(
        stdout.contains(&format!(
            "answers: not connected: {device}: it refused the connection"
        )),
        "{stdout}{stderr}"
    );
}

/// A footer in a language the terminal does not speak, and a printer model it does not know,
/// are refused by `check-config` with what it does know.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_refuses_a_footer_language_and_a_model_it_does_not_know() {
    let setup = setup(SimulatorOptions::default(), "").await;
    let device = "device = \"tcp://127.0.0.1:9100\"";
    let config = common::cli::with_printer(
        &setup,
        "footer",
        &format!("{device}\nfooter = {{ en = \"Thanks\", xx = \"?\" }}"),
    );
    let output = run(args(&["check-config"], &config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("footer names language \"xx\"") && stderr.contains("en, fr, kri"),
        "{stderr}"
    );

    let config = common::cli::with_printer(&setup, "model", &format!("{device}\nmodel = \"star\""));
    let output = run(args(&["check-config"], &config)).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("star"), "{stderr}");
    for model in ["generic", "epson", "xprinter", "rongta", "pos58"] {
        assert!(stderr.contains(model), "{model} is not offered: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// One request over plain HTTP/1.1 to `address`, the connection closed after it: the answer's
/// text, empty when the connection was dropped.
fn raw_get(address: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: simulator\r\nConnection: close\r\n\
         Authorization: Bearer {}\r\nMonime-Space-Id: {}\r\n\r\n",
        paycode_kiosk::simulator::DEMO_ACCESS_TOKEN,
        paycode_kiosk::simulator::DEMO_SPACE_ID
    );
    let mut answer = String::new();
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_string(&mut answer);
    }
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_in_chaos_mode_answers_every_request_wrongly_when_asked() {
    let refused = run(vec![
        "simulate".into(),
        "--chaos-seed".into(),
        "1".into(),
        "--chaos-rate".into(),
        "2".into(),
    ])
    .await;
    assert_eq!(refused.status.code(), Some(1), "a rate above 1 is refused");
    let mut simulator = kiosk()
        .args([
            "simulate",
            "--port",
            "0",
            "--chaos-seed",
            "5",
            "--chaos-rate",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulate");
    let stdout = simulator.stdout.take().expect("stdout");
    // All four lines it prints are read, so that no later line meets a closed pipe.
    let said: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(4)
        .map_while(Result::ok)
        .collect();
    let address = said
        .first()
        .and_then(|line| line.rsplit("http://").next())
        .map(|rest| rest.trim_end_matches('/').to_string())
        .expect("where it listens");
    assert!(
        said.iter()
            .any(|line| line.contains("chaos: 100 % of requests answered wrongly, seed 5")),
        "{said:?}"
    );
    let answers: Vec<String> = (0..20)
        .map(|_| raw_get(&address, "/v1/payment-codes"))
        .collect();
    let tally = raw_get(&address, "/_sim/chaos");
    let _ = simulator.kill();
    let _ = simulator.wait();
    let body = tally.split("\r\n\r\n").nth(1).unwrap_or_default();
    let tally: serde_json::Value = serde_json::from_str(body).expect("the tally as JSON");
    let counted: u64 = tally["result"]
        .as_object()
        .map(|kinds| kinds.values().filter_map(serde_json::Value::as_u64).sum())
        .unwrap_or(0);
    assert_eq!(
        counted, 20,
        "every request to Monime's API, none to /_sim: {tally}"
    );
    assert!(
        answers
            .iter()
            .any(|answer| !answer.starts_with("HTTP/1.1 200")),
        "{answers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_serves_on_when_its_output_is_closed() {
    let mut simulator = kiosk()
        .args(["simulate", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulate");
    // Closed before it says where it listens: it used to panic on the broken pipe.
    drop(simulator.stdout.take());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let running = matches!(simulator.try_wait(), Ok(None));
    let _ = simulator.kill();
    let _ = simulator.wait();
    assert!(running, "the simulator ended when its output was closed");
}
