//! The configuration checks, as a technician meets them: defaults, refusals, the token.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::monime::ApiVersion;

const MINIMAL: &str = r#"
    [monime]
    space_id = "spc-abc"
    access_token = "mon_test_abc"
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(
        text,
        Some(Path::new("/etc/kiosk/config.toml")),
        &Environment::default(),
    )
}

fn refusal(text: &str) -> String {
    parse(text).expect_err("should be refused").to_string()
}

#[test]
fn the_example_config_is_valid_with_a_credential() {
    let credentials = tempfile::tempdir().expect("tempdir");
    std::fs::write(credentials.path().join(TOKEN_CREDENTIAL), "mon_test_abc\n").expect("token");
    let env = Environment {
        credentials_directory: Some(credentials.path().to_path_buf()),
        ..Environment::default()
    };
    let text = include_str!("../../systemd/config.example.toml");
    let config = Config::parse(text, None, &env).expect("the shipped example is valid");
    assert_eq!(config.kiosk.admin_pin, "4821");
    assert_eq!(config.monime.client.access_token.expose(), "mon_test_abc");
    assert!(config.printer.is_some());
}

#[test]
fn the_language_is_one_of_three_codes() {
    assert_eq!(
        parse(MINIMAL).expect("valid").kiosk.language,
        Language::English
    );
    for (code, language) in [
        ("fr", Language::French),
        ("kri", Language::Krio),
        ("en", Language::English),
    ] {
        let config = parse(&format!("{MINIMAL}\n[kiosk]\nlanguage = \"{code}\"\n")).expect("valid");
        assert_eq!(config.kiosk.language, language);
    }
}

#[test]
fn minimal_file_gets_the_documented_defaults() {
    let config = parse(MINIMAL).expect("valid");
    assert_eq!(
        config.monime.client.base_url.as_str(),
        "https://api.monime.io/"
    );
    assert_eq!(config.monime.client.api_version, ApiVersion::default());
    assert_eq!(config.monime.currency, Currency::Sle);
    assert_eq!(config.monime.code_lifetime, Duration::from_secs(600));
    assert_eq!(config.kiosk.poll_interval, Duration::from_millis(1000));
    assert!(!config.monime.client.shared_space);
    assert!(config.printer.is_none());
    assert_eq!(
        config.storage.path,
        PathBuf::from("/var/lib/paycode-kiosk/journal.sqlite")
    );
}

#[test]
fn a_shared_space_is_declared_in_the_monime_section() {
    let config = parse(&format!("{MINIMAL}shared_space = true\n")).expect("valid");
    assert!(config.monime.client.shared_space);
}

#[test]
fn unknown_keys_are_named() {
    let message = refusal(&format!("{MINIMAL}\n[kiosk]\npoll_intervall_ms = 5\n"));
    assert!(message.contains("poll_intervall_ms"), "{message}");
    assert!(message.contains("/etc/kiosk/config.toml"), "{message}");
    let message = refusal("[monimee]\nspace_id = \"x\"\n");
    assert!(message.contains("monimee"), "{message}");
}

#[test]
fn bad_values_name_their_key_and_what_is_allowed() {
    let long_footer = format!(
        "[printer]\ndevice = \"/dev/ttyUSB0\"\nfooter = \"{}\"",
        "x".repeat(97)
    );
    let cases = [
        ("[kiosk]\npoll_interval_ms = 10", "poll_interval_ms"),
        ("[kiosk]\nadmin_pin = \"12a4\"", "admin_pin"),
        ("[kiosk]\nmax_amount = 12.5", "quotes"),
        ("[kiosk]\nmax_amount = \"-3\"", "max_amount"),
        ("[kiosk]\npaid_screen_secs = 1", "paid_screen_secs"),
        (
            "[kiosk]\nlanguage = \"de\"",
            "\"en\" (English), \"fr\" (French) or \"kri\"",
        ),
        ("[printer]\ndevice = \"/dev/ttyUSB0\"\nbaud = 1234", "baud"),
        (
            "[printer]\ndevice = \"/dev/ttyUSB0\"\nwidth_chars = 40",
            "width_chars",
        ),
        (
            "[printer]\ndevice = \"/dev/ttyUSB0\"\nflow_control = \"rts\"",
            "flow_control",
        ),
        ("[printer]\nbaud = 9600", "no device"),
        (
            "[printer]\ndevice = \"/dev/ttyUSB0\"\ncode_page = \"utf8\"",
            "code_page",
        ),
        ("[printer]\ndevice = \"/dev/ttyUSB0\"\nqr = \"yes\"", "qr"),
        (long_footer.as_str(), "footer"),
    ];
    for (extra, expected) in cases {
        let message = refusal(&format!("{MINIMAL}\n{extra}\n"));
        assert!(message.contains(expected), "{extra}: {message}");
    }
    let monime_cases = [
        ("api_version = \"2023-01-01\"", "api_version"),
        ("currency = \"EUR\"", "currency"),
        ("code_duration = \"ten minutes\"", "code_duration"),
        ("code_name = \"{shop} {sale}\"", "{shop}"),
        (
            "code_name = \"{merchant} at the corner of Siaka Stevens Street and Lightfoot Boston Street sale {sale}\"",
            "3 to 64",
        ),
        ("authorized_providers = [\"m17\", \"orange money\"]", "m17"),
        ("base_url = \"http://api.monime.io\"", "https"),
        ("base_url = \"not a url\"", "base_url"),
        ("shared_space = \"yes\"", "shared_space"),
    ];
    for (extra, expected) in monime_cases {
        let message = refusal(&format!("{MINIMAL}{extra}\n"));
        assert!(message.contains(expected), "{extra}: {message}");
    }
}

#[test]
fn cashiers_are_optional_and_checked() {
    let config = parse(MINIMAL).expect("no cashiers");
    assert!(config.cashiers.is_empty());
    assert_eq!(config.kiosk.idle_sign_out, None);

    let two = format!(
        "{MINIMAL}\n[kiosk]\nadmin_pin = \"4821\"\nidle_sign_out_mins = 15\n\
         [[cashiers]]\nname = \" Aminata \"\npin = \"2580\"\n\
         [[cashiers]]\nname = \"Mohamed\"\npin = \"13970\"\n"
    );
    let config = parse(&two).expect("two cashiers");
    let names: Vec<&str> = config.cashiers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Aminata", "Mohamed"]);
    assert_eq!(
        config.kiosk.idle_sign_out,
        Some(Duration::from_secs(15 * 60))
    );
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("2580") && !debug.contains("13970"),
        "{debug}"
    );

    let cashier =
        |name: &str, pin: &str| format!("[[cashiers]]\nname = \"{name}\"\npin = \"{pin}\"\n");
    let cases = [
        (cashier("Aminata", "25a0"), "4 to 8 digits"),
        (cashier("Aminata", "123"), "4 to 8 digits"),
        (cashier("", "2580"), "no name"),
        (cashier("Aminata Kamara-Conteh Bangura", "2580"), "up to 20"),
        (cashier("Aminata", "0000"), "admin PIN"),
        (
            cashier("Aminata", "2580") + &cashier("Mohamed", "2580"),
            "Aminata",
        ),
        (
            cashier("Aminata", "2580") + &cashier("aminata", "2581"),
            "named twice",
        ),
        (
            "[kiosk]\nidle_sign_out_mins = 10\n".to_string(),
            "needs [[cashiers]]",
        ),
        (
            "[kiosk]\nidle_sign_out_mins = 1000\n".to_string() + &cashier("Aminata", "2580"),
            "1 to 720",
        ),
    ];
    for (extra, expected) in cases {
        let message = refusal(&format!("{MINIMAL}\n{extra}"));
        assert!(message.contains(expected), "{extra}: {message}");
    }
}

#[test]
fn refunds_are_off_unless_enabled_and_need_a_daily_limit() {
    let config = parse(MINIMAL).expect("valid");
    assert_eq!(config.refunds, crate::refund::RefundPolicy::default());
    assert!(!config.refunds.enabled);

    let on = format!(
        "{MINIMAL}\n[kiosk]\nadmin_pin = \"4821\"\n\
         [refunds]\nenabled = true\ndaily_limit = \"2500.50\"\nfee = 0\n\
         [[cashiers]]\nname = \"Aminata\"\npin = \"2580\"\ncan_refund = true\n\
         [[cashiers]]\nname = \"Mohamed\"\npin = \"1397\"\n"
    );
    let config = parse(&on).expect("refunds on");
    assert!(config.refunds.enabled);
    assert_eq!(config.refunds.daily_limit_minor, 250_050);
    assert_eq!(config.refunds.fee_minor, Some(0));
    let allowed: Vec<(&str, bool)> = config
        .cashiers
        .iter()
        .map(|c| (c.name.as_str(), c.can_refund))
        .collect();
    assert_eq!(allowed, [("Aminata", true), ("Mohamed", false)]);

    for (section, expected) in [
        (
            "[refunds]\nenabled = true\n",
            "[refunds] daily_limit is missing",
        ),
        (
            "[refunds]\nenabled = true\ndaily_limit = 0\n",
            "[refunds] daily_limit must be more than zero",
        ),
        (
            "[refunds]\nenabled = true\ndaily_limit = 50.5\n",
            "written in quotes",
        ),
        (
            "[refunds]\nenabled = true\ndaily_limit = 500\nfee = -1\n",
            "[refunds] fee cannot be negative",
        ),
        ("[refunds]\nenabled = \"yes\"\n", "enabled"),
        ("[refunds]\nlimit = 5\n", "unknown field `limit`"),
        (
            "[[cashiers]]\nname = \"Aminata\"\npin = \"2580\"\ncan_refund = \"yes\"\n",
            "can_refund",
        ),
    ] {
        let message = refusal(&format!("{MINIMAL}\n{section}"));
        assert!(message.contains(expected), "{section}: {message}");
    }
}

#[test]
fn missing_credentials_say_where_to_put_them() {
    let message = refusal("[monime]\naccess_token = \"mon_test_x\"\n");
    assert!(message.contains("space_id is missing"), "{message}");
    let message = refusal("[monime]\nspace_id = \"spc-x\"\n");
    assert!(message.contains("access_token_file"), "{message}");
}

#[test]
fn http_is_allowed_only_on_loopback() {
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost:9",
        "http://[::1]:80",
    ] {
        let config = parse(&format!("{MINIMAL}base_url = \"{url}\"\n")).expect(url);
        assert_eq!(config.monime.client.base_url.scheme(), "http");
    }
}

#[test]
fn token_precedence_environment_then_file_then_credential() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("token"), "mon_test_fromfile\n").expect("write");
    std::fs::write(dir.path().join(TOKEN_CREDENTIAL), "mon_test_credential").expect("write");
    let file = dir.path().join("config.toml");
    let text = "[monime]\nspace_id = \"spc-x\"\naccess_token_file = \"token\"\n";
    let env = Environment::default();
    let config = Config::parse(text, Some(&file), &env).expect("valid");
    assert_eq!(
        config.monime.client.access_token.expose(),
        "mon_test_fromfile"
    );

    let env = Environment {
        access_token: Some(crate::secret::AccessToken::new("mon_test_env")),
        ..Environment::default()
    };
    let config = Config::parse(text, Some(&file), &env).expect("valid");
    assert_eq!(config.monime.client.access_token.expose(), "mon_test_env");

    let env = Environment {
        credentials_directory: Some(dir.path().to_path_buf()),
        ..Environment::default()
    };
    let config =
        Config::parse("[monime]\nspace_id = \"spc-x\"\n", Some(&file), &env).expect("valid");
    assert_eq!(
        config.monime.client.access_token.expose(),
        "mon_test_credential"
    );
}

#[test]
fn outside_the_service_the_token_file_beside_the_config_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("config.toml");
    let text = "[monime]\nspace_id = \"spc-x\"\n";
    let refused = Config::parse(text, Some(&file), &Environment::default());
    assert!(refused.is_err(), "no token anywhere");
    std::fs::create_dir(dir.path().join("credentials")).expect("folder");
    std::fs::write(
        dir.path().join("credentials/monime-access-token"),
        "mon_test_beside\n",
    )
    .expect("token");
    let config = Config::parse(text, Some(&file), &Environment::default()).expect("valid");
    assert_eq!(
        config.monime.client.access_token.expose(),
        "mon_test_beside"
    );
    assert_eq!(config.monime.token_origin, TokenOrigin::Credential);
}

#[test]
fn token_with_inner_space_is_refused_without_showing_it() {
    let message = refusal("[monime]\nspace_id = \"spc-x\"\naccess_token = \"mon_test abc\"\n");
    assert!(message.contains("spaces"), "{message}");
    assert!(!message.contains("mon_test abc"), "{message}");
}

#[test]
fn config_debug_never_shows_the_token() {
    let config = parse(MINIMAL).expect("valid");
    let shown = format!("{config:?}");
    assert!(!shown.contains("mon_test_abc"), "{shown}");
}

#[test]
fn code_name_expands() {
    let config = parse(&format!(
        "{MINIMAL}\n[kiosk]\nmerchant_name = \"Mama's Shop\"\n"
    ))
    .expect("valid");
    assert_eq!(config.code_name_for(42), "Mama's Shop sale 42");
}

#[test]
fn max_amount_accepts_integers_and_quoted_decimals() {
    let config = parse(&format!("{MINIMAL}\n[kiosk]\nmax_amount = 5000\n")).expect("valid");
    assert_eq!(config.kiosk.max_amount_minor, 500_000);
    let config = parse(&format!("{MINIMAL}\n[kiosk]\nmax_amount = \"99.99\"\n")).expect("valid");
    assert_eq!(config.kiosk.max_amount_minor, 9_999);
}

#[test]
fn items_tips_chime_and_screen_rest_are_off_unless_set() {
    let config = parse(MINIMAL).expect("valid");
    assert!(config.items.is_empty());
    assert!(config.kiosk.tips.is_off());
    assert_eq!(config.kiosk.screen_idle, None);

    let config = parse(&format!(
        r#"{MINIMAL}
        [kiosk]
        tips = [5, 10, 15]
        tip_round_up_to = 5
        screen_idle_mins = 3
        [printer]
        device = "virtual"
        buzzer = true
        [[items]]
        name = " Rice 1 kg "
        price = "45.50"
        [[items]]
        name = "Soap"
        price = 12
        "#
    ))
    .expect("valid");
    let items: Vec<(&str, i64)> = config
        .items
        .iter()
        .map(|item| (item.name.as_str(), item.price_minor))
        .collect();
    assert_eq!(items, [("Rice 1 kg", 4550), ("Soap", 1200)]);
    assert_eq!(config.kiosk.tips.percents, [5, 10, 15]);
    assert_eq!(config.kiosk.tips.round_up_to_minor, Some(500));
    assert_eq!(config.kiosk.screen_idle, Some(Duration::from_secs(180)));
    assert!(config.printer.is_some_and(|printer| printer.buzzer));
}

#[test]
fn bad_items_and_tips_say_what_to_write() {
    for (text, expected) in [
        ("[[items]]\nprice = 5", "[[items]] entry 1 has no name"),
        (
            "[[items]]\nname = \"Soap\"",
            "[[items]] \"Soap\" has no price",
        ),
        (
            "[[items]]\nname = \"Soap\"\nprice = 1.5",
            "written in quotes",
        ),
        (
            "[[items]]\nname = \"Soap\"\nprice = \"0\"",
            "price must be more than zero",
        ),
        (
            "[[items]]\nname = \"Soap\"\nprice = 5\n[[items]]\nname = \"Soap\"\nprice = 6",
            "listed twice",
        ),
        (
            "[[items]]\nname = \"A name far too long for its key\"\nprice = 5",
            "up to 24 characters",
        ),
        (
            "[kiosk]\nmax_amount = 100\n[[items]]\nname = \"TV\"\nprice = 500",
            "above [kiosk] max_amount",
        ),
        ("[kiosk]\ntips = [0, 10]", "from 1 to 100"),
        ("[kiosk]\ntips = [10, 10]", "different percentages"),
        ("[kiosk]\ntips = [5, 10, 15, 20, 25]", "up to 4"),
        ("[kiosk]\ntip_round_up_to = \"-1\"", "tip_round_up_to"),
        ("[kiosk]\nscreen_idle_mins = 1000", "1 to 720 minutes"),
        ("[printer]\nbuzzer = true", "no device"),
        (
            "[printer]\ndevice = \"/dev/usb/lp0\"\nmodel = \"pos58\"\nbuzzer = true",
            "pos58 printers have no buzzer",
        ),
        (
            "[printer]\ndevice = \"auto\"\nfooter = 5",
            "one of those for each language",
        ),
        (
            "[[items]]\nname = \"Soap\"\nprice = 5\ncolour = \"red\"",
            "colour",
        ),
    ] {
        let message = refusal(&format!("{MINIMAL}\n{text}\n"));
        assert!(message.contains(expected), "{text}: {message}");
    }
}
