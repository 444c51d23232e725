//! A new terminal's first hour, through the real binary: without a configuration it is not a
//! demo but a terminal to set up, `setup` driven by its flags writes a configuration
//! `check-config` accepts and a token file only its owner reads, and running it again changes
//! only what it is asked to.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Output, Stdio};

use common::cli::{kiosk, text};
use paycode_kiosk::simulator::{
    DEMO_ACCESS_TOKEN, DEMO_SPACE_ID, SimulatorHandle, SimulatorOptions,
};

/// `setup` with `flags`, the token (if any) on standard input, on a blocking thread.
async fn setup(config: &Path, token: Option<&'static str>, flags: &[&str]) -> Output {
    let config = config.to_path_buf();
    let flags: Vec<String> = flags.iter().map(|flag| flag.to_string()).collect();
    tokio::task::spawn_blocking(move || setup_now(&config, token, &flags))
        .await
        .expect("task")
}

fn setup_now(config: &Path, token: Option<&str>, flags: &[String]) -> Output {
    let mut command = kiosk();
    command
        .args(["setup", "--config"])
        .arg(config)
        .args(flags)
        .args(["--no-restart", "--non-interactive"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if token.is_some() {
        command.arg("--token-stdin").stdin(Stdio::piped());
    }
    let mut child = command.spawn().expect("the binary runs");
    if let (Some(token), Some(mut stdin)) = (token, child.stdin.take()) {
        writeln!(stdin, "{token}").expect("the token goes in");
    }
    child.wait_with_output().expect("setup ends")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_by_flags_writes_a_configuration_check_config_accepts() {
    let sim = SimulatorHandle::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("etc/config.toml");
    let base_url = sim.base_url().to_string();
    let flags = [
        "--base-url",
        base_url.as_str(),
        "--space-id",
        DEMO_SPACE_ID,
        "--merchant-name",
        "Mama Salone Shop",
        "--terminal-id",
        "SHOP1-TILL1",
        "--admin-pin",
        "4821",
        "--language",
        "fr",
        "--printer",
        "virtual",
        "--width",
        "48",
    ];
    let first = setup(&config, Some(DEMO_ACCESS_TOKEN), &flags).await;
    let (stdout, stderr) = text(&first);
    assert_eq!(first.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("online     Monime accepted the token and space id"),
        "setup asks Monime: {stdout}"
    );

    // The token is in the credential file, owner only, and nowhere in the configuration.
    let written = std::fs::read_to_string(&config).expect("the configuration");
    assert!(!written.contains(DEMO_ACCESS_TOKEN), "{written}");
    let token_file = dir.path().join("etc/credentials/monime-access-token");
    let mode = std::fs::metadata(&token_file)
        .expect("token file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // The configuration holds the admin PIN: not for every user of the machine.
    let mode = std::fs::metadata(&config)
        .expect("configuration")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    assert_eq!(
        std::fs::read_to_string(&token_file).expect("token").trim(),
        DEMO_ACCESS_TOKEN
    );
    for line in [
        "space_id = \"spc-demo\"",
        "merchant_name = \"Mama Salone Shop\"",
        "terminal_id = \"SHOP1-TILL1\"",
        "admin_pin = \"4821\"",
        "language = \"fr\"",
        "device = \"virtual\"",
        "width_chars = 48",
    ] {
        assert!(written.contains(line), "{line} in {written}");
    }
    let checked = kiosk()
        .args(["check-config", "--online", "--config"])
        .arg(&config)
        .output()
        .expect("check-config");
    assert_eq!(checked.status.code(), Some(0), "{:?}", text(&checked));

    // Run again with the same answers: nothing is written, not even the same bytes.
    let modified = std::fs::metadata(&config)
        .and_then(|meta| meta.modified())
        .expect("time");
    let token_modified = std::fs::metadata(&token_file)
        .and_then(|meta| meta.modified())
        .expect("time");
    let again = setup(&config, Some(DEMO_ACCESS_TOKEN), &flags).await;
    assert_eq!(again.status.code(), Some(0), "{:?}", text(&again));
    assert!(
        text(&again).0.contains("Nothing changed"),
        "{:?}",
        text(&again)
    );
    assert_eq!(std::fs::read_to_string(&config).expect("config"), written);
    assert_eq!(
        std::fs::metadata(&config)
            .and_then(|meta| meta.modified())
            .expect("time"),
        modified
    );
    assert_eq!(
        std::fs::metadata(&token_file)
            .and_then(|meta| meta.modified())
            .expect("time"),
        token_modified
    );

    // Asked for one change, it makes that one: a technician's comment and the rest stay.
    let commented = written.replace("[kiosk]", "# Till by the door.\n[kiosk]");
    std::fs::write(&config, &commented).expect("comment");
    let changed = setup(
        &config,
        None,
        &["--terminal-id", "SHOP1-TILL2", "--offline"],
    )
    .await;
    assert_eq!(changed.status.code(), Some(0), "{:?}", text(&changed));
    assert_eq!(
        std::fs::read_to_string(&config).expect("config"),
        commented.replace("SHOP1-TILL1", "SHOP1-TILL2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_answer_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("config.toml");
    let output = setup(
        &config,
        Some("mon_test_x"),
        &[
            "--space-id",
            "spc-1",
            "--terminal-id",
            "T1",
            "--admin-pin",
            "12",
            "--offline",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("admin_pin must be 4 to 8 digits"),
        "{:?}",
        text(&output)
    );
    assert!(!config.exists(), "nothing is written");
    assert!(
        !dir.path().join("credentials").exists(),
        "not even the token"
    );

    // A new terminal is not left with the default terminal id, which a fleet would share.
    let output = setup(
        &config,
        Some("mon_test_x"),
        &["--space-id", "spc-1", "--offline"],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("give --terminal-id"),
        "{:?}",
        text(&output)
    );
    assert!(!config.exists(), "nothing is written");

    // Without a token anywhere, setup says how to give one.
    let output = setup(&config, None, &["--space-id", "spc-1", "--offline"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("--token-stdin"),
        "{:?}",
        text(&output)
    );
}

/// Started as the unit starts it (no display, under systemd) with no configuration
/// anywhere, a command says the terminal is not set up and never sells in demo mode; `--demo`
/// asks for it.
#[test]
fn without_a_configuration_a_service_is_not_set_up_and_never_a_demo() {
    if Path::new(paycode_kiosk::config::SYSTEM_CONFIG_PATH).exists() {
        return; // An installed terminal answers with its own configuration.
    }
    let home = tempfile::tempdir().expect("home");
    let as_the_unit = |args: &[&str]| {
        kiosk()
            .args(args)
            .env("INVOCATION_ID", "3c1a5e")
            .env("JOURNAL_STREAM", "8:12345")
            .env("HOME", home.path())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .expect("the binary runs")
    };
    for args in [&["history"][..], &["check-config"], &["report"]] {
        let output = as_the_unit(args);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("not set up yet") && stderr.contains("sudo paycode-kiosk setup"),
            "{args:?}: {stderr}"
        );
    }
    assert!(
        !home.path().join(".local/share/paycode-kiosk/demo").exists(),
        "no demo journal was made"
    );
    let demo = as_the_unit(&["--demo", "check-config"]);
    assert_eq!(demo.status.code(), Some(0), "{:?}", text(&demo));
    assert!(text(&demo).0.contains("Demo mode"), "{:?}", text(&demo));
}
