//! The touchscreen, headless: Slint's testing backend with the software renderer draws real
//! pixels, taps go to buttons found by their accessible labels, keys go in as key events, and
//! every sale runs through the real controller against the simulator over HTTP, with receipts
//! on a virtual printer behind a pseudo-terminal. Mock time drives the screen's clock.
//!
//! Slint's platform can be set once per process, so this file holds one test that runs the
//! scenarios in turn.

mod screen;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use paycode_kiosk::cli::owner_commands;
use paycode_kiosk::lang::Language;
use paycode_kiosk::printer::emulator::StatusAnswers;
use paycode_kiosk::printer::pty::PtyPrinter;
use paycode_kiosk::simulator::{
    Endpoint, Fault, FaultRule, SimCode, SimulatorHandle, SimulatorOptions,
};
use paycode_kiosk::terminal::{self, DemoMode, Launch};
use paycode_kiosk::ui::{
    AdminPage, AmountPage, App, BooksPage, HistoryPage, Kiosk, MainWindow, OutcomePage, Page,
    PaidPage, PaymentPage, RefundPage, RefundStage, StartingPage, StatusBar, TipPage, startup,
};
use screen::{Outcome, decode_qr, ensure, page, press, screenshot, seconds, snapshot, tap};
use slint::platform::Key;
use slint::{ComponentHandle, Model};

struct Rig {
    runtime: tokio::runtime::Handle,
    sim: SimulatorHandle,
    printer: PtyPrinter,
    dir: tempfile::TempDir,
}

impl Rig {
    /// Writes the configuration of `terminal` into its folder, and gives its path. Each terminal
    /// has an id of its own: a day close checks Monime for its terminal's codes, and another
    /// terminal's under the same id would count as missing from its journal.
    fn config(&self, name: &str, extra: &str) -> PathBuf {
        let folder = self.dir.path().join(name);
        std::fs::create_dir_all(&folder).expect("folder");
        let config = folder.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[monime]\nbase_url = \"{}\"\nspace_id = \"{}\"\naccess_token = \"{}\"\n{extra}\n\
                 [kiosk]\nmerchant_name = \"Mama Salone Shop\"\nterminal_id = \"TILL-{name}\"\n\
                 poll_interval_ms = 250\nadmin_pin = \"4821\"\n\
                 [printer]\ndevice = \"{}\"\n\
                 [storage]\npath = \"journal.sqlite\"\n",
                self.sim.base_url(),
                paycode_kiosk::simulator::DEMO_SPACE_ID,
                paycode_kiosk::simulator::DEMO_ACCESS_TOKEN,
                self.printer.path().display(),
            ),
        )
        .expect("config");
        config
    }

    /// Waits (in real time, with the screen's event loop running) for `condition`.
    async fn until(&self, what: &str, mut condition: impl FnMut() -> bool) -> Outcome {
        for _ in 0..750 {
            if condition() {
                return Ok(());
            }
            let _ = self
                .runtime
                .spawn(async { tokio::time::sleep(Duration::from_millis(20)).await })
                .await;
        }
        Err(format!("timed out waiting for {what}"))
    }
}

/// The customer pays the code whose USSD string the screen shows; the payment takes
/// `processing` to complete.
fn customer_pays(rig: &Rig, ussd: &str, processing: Duration) -> Result<SimCode, String> {
    let code = rig
        .sim
        .codes()
        .into_iter()
        .find(|code| code.ussd_code == ussd)
        .ok_or("the simulator has the code")?;
    rig.sim.pay(&code.id, Some(processing))?;
    Ok(code)
}

/// A window on screen with its terminal; hidden (which lets its terminal stop) when dropped.
struct Shown {
    window: MainWindow,
    _app: App,
}

impl Drop for Shown {
    fn drop(&mut self) {
        let _ = self.window.hide();
    }
}

fn open(rig: &Rig, name: &str, extra: &str) -> Result<Shown, String> {
    open_with(rig, &rig.config(name, extra))
}

/// A window on the terminal of the configuration file `config`.
fn open_with(rig: &Rig, config: &std::path::Path) -> Result<Shown, String> {
    let window = MainWindow::new().map_err(|e| e.to_string())?;
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    window.show().map_err(|e| e.to_string())?;
    let shop = rig
        .runtime
        .block_on(terminal::open_for_command(&terminal::Launch::with_config(
            config,
        )))
        .map_err(|e| e.to_string())?;
    let app = App::start(&window, shop, &rig.runtime, owner_commands);
    Ok(Shown { window, _app: app })
}

/// Keypad by label, the payment screen's QR read back from its pixels, the countdown on mock
/// time, the customer paying, the receipt printed.
async fn a_sale_from_keypad_to_paid(rig: &Rig) -> Outcome {
    let shown = open(rig, "keypad", "code_duration = \"10m\"")?;
    let window = &shown.window;
    let amount = window.global::<AmountPage>();
    let paid = window.global::<PaidPage>();
    let payment = window.global::<PaymentPage>();
    for label in ["1", "2", "5", "Decimal point", "5", "0", "Backspace"] {
        tap(window, label)?;
    }
    ensure(amount.get_amount() == "Le 125.5", || {
        format!("typed {}", amount.get_amount())
    })?;
    ensure(amount.get_can_charge(), || "Charge is enabled".into())?;
    screenshot(window, "amount")?;
    tap(window, "Charge")?;
    ensure(page(window) == Page::Payment, || {
        "the payment page opens at once".into()
    })?;
    rig.until("the code", || !payment.get_ussd().is_empty())
        .await?;
    ensure(payment.get_amount() == "Le 125.50", || {
        payment.get_amount().into()
    })?;

    let ussd = payment.get_ussd().to_string();
    let decoded = decode_qr(&snapshot(window)?)?;
    let expected = format!("tel:{}", ussd.replace('#', "%23"));
    ensure(decoded == expected, || {
        format!("the QR holds {decoded:?}, not {expected:?}")
    })?;

    let before = seconds(&payment.get_countdown())?;
    ensure((590..=600).contains(&before), || {
        format!("countdown {before}")
    })?;
    // The screen's clock ticks once a second; Slint fires a timer once per time update.
    for _ in 0..65 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    }
    let after = seconds(&payment.get_countdown())?;
    ensure(after == before - 65, || {
        format!("65 s of mock time took the countdown from {before} to {after}")
    })?;
    screenshot(window, "payment")?;

    // Longer than the slow checks of a pending code (4 x 250 ms), so one of them is sure to see
    // the payment in progress even on a loaded machine.
    let code = customer_pays(rig, &ussd, Duration::from_secs(2))?;
    rig.until("payment in progress", || {
        payment.get_status_line().contains("Payment in progress")
    })
    .await?;
    rig.until("the paid page", || page(window) == Page::Paid)
        .await?;
    rig.until("the receipt", || {
        paid.get_receipt_text() == "Receipt printed"
    })
    .await?;
    let receipt = rig.printer.emulator().paper().text();
    ensure(
        receipt.contains("Le 125.50") && receipt.contains(&code.id),
        || receipt,
    )?;
    screenshot(window, "paid")?;
    tap(window, "New sale")?;
    ensure(
        page(window) == Page::Amount && amount.get_amount() == "Le 0",
        || "New sale clears the amount".into(),
    )
}

/// Taps 1 2 5 and Charge (in the screen's language), the customer pays, the receipt prints:
/// the keypad, payment and paid screens saved as `{prefix}-amount.png` and so on. Gives the
/// receipt's text.
async fn sale_in_pictures(
    rig: &Rig,
    window: &MainWindow,
    prefix: &str,
    charge: &str,
    receipt_printed: &str,
) -> Result<String, String> {
    let paid = window.global::<PaidPage>();
    let payment = window.global::<PaymentPage>();
    for label in ["1", "2", "5"] {
        tap(window, label)?;
    }
    screenshot(window, &format!("{prefix}-amount"))?;
    tap(window, charge)?;
    rig.until("the code", || !payment.get_ussd().is_empty())
        .await?;
    screenshot(window, &format!("{prefix}-payment"))?;
    let cuts = rig.printer.emulator().cuts();
    customer_pays(rig, &payment.get_ussd(), Duration::from_millis(300))?;
    rig.until("the paid page", || page(window) == Page::Paid)
        .await?;
    rig.until("the receipt", || {
        rig.printer.emulator().cuts() > cuts && paid.get_receipt_text() == receipt_printed
    })
    .await
    .map_err(|error| format!("{error}: {}", paid.get_receipt_text()))?;
    screenshot(window, &format!("{prefix}-paid"))?;
    let documents = rig.printer.emulator().documents();
    let receipt = documents.last().ok_or("no receipt on paper")?;
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("docs/receipt-{prefix}.png"));
        receipt.save_png(&path).map_err(|e| e.to_string())?;
    }
    Ok(receipt.text())
}

/// French, switched on the admin screen: the screen's own words (Slint's) and the ones Rust
/// writes change at once, the next receipt is French with its accents, and the choice outlives
/// a restart.
async fn a_sale_in_french(rig: &Rig) -> Outcome {
    {
        let shown = open(rig, "french", "code_duration = \"10m\"")?;
        let (window, kiosk) = (&shown.window, shown.window.global::<Kiosk>());
        tap(window, "Admin")?;
        for key in ["4", "8", "2", "1"] {
            tap(window, key)?;
        }
        tap(window, "Unlock")?;
        ensure(page(window) == Page::Admin, || "the PIN opens admin".into())?;
        tap(window, "Language: Français")?;
        ensure(kiosk.get_notice() == "Langue\u{a0}: Français", || {
            kiosk.get_notice().into()
        })?;
        // Slint's words: Back is now Retour.
        ensure(tap(window, "Back").is_err(), || {
            "Back still in English".into()
        })?;
        rig.until("the network check", || {
            window
                .global::<AdminPage>()
                .get_lines()
                .iter()
                .any(|line| line.contains("joignable"))
        })
        .await?;
        screenshot(window, "fr-admin")?;
        tap(window, "Retour")?;
        ensure(page(window) == Page::Amount, || "back to the keypad".into())?;
        let receipt = sale_in_pictures(rig, window, "fr", "Encaisser", "Reçu imprimé").await?;
        ensure(
            ["PAYÉ", "Vente", "Payé avec"]
                .iter()
                .all(|word| receipt.contains(word)),
            || receipt.clone(),
        )?;
        tap(window, "Nouvelle vente")?;
        french_beyond_the_sale(rig, window).await?;
    }
    // After a restart the terminal still speaks French, whatever its configuration says.
    let shown = open(rig, "french", "")?;
    let kiosk = shown.window.global::<Kiosk>();
    ensure(kiosk.get_language() == 1, || {
        format!("language {} after a restart", kiosk.get_language())
    })?;
    ElementHandle::find_by_accessible_label(&shown.window, "Encaisser")
        .next()
        .ok_or("no Encaisser after a restart")?;
    press(&shown.window, Key::Return);
    ensure(kiosk.get_notice() == "Saisissez d'abord le montant", || {
        kiosk.get_notice().into()
    })?;
    Ok(())
}

/// The other French screens, saved to look at their fit: cancel and its outcome (where
/// "nothing was charged" must keep its meaning), the history, the books.
async fn french_beyond_the_sale(rig: &Rig, window: &MainWindow) -> Outcome {
    let books = window.global::<BooksPage>();
    let history = window.global::<HistoryPage>();
    let outcome = window.global::<OutcomePage>();
    let payment = window.global::<PaymentPage>();
    press(window, "4");
    press(window, Key::Return);
    rig.until("the code", || payment.get_can_cancel()).await?;
    press(window, Key::Escape);
    screenshot(window, "fr-cancel-confirm")?;
    tap(window, "Annuler le code")?;
    rig.until("the cancelled page", || page(window) == Page::Outcome)
        .await?;
    ensure(
        outcome.get_title() == "Annulée"
            && outcome.get_reason() == "Le code a été désactivé. Rien n'a été débité.",
        || format!("{} / {}", outcome.get_title(), outcome.get_reason()),
    )?;
    screenshot(window, "fr-cancelled")?;
    tap(window, "Nouvelle vente")?;
    tap(window, "Historique")?;
    rig.until("the history", || history.get_sales().row_count() > 1)
        .await?;
    let status = history.get_sales().row_data(0).map(|row| row.status);
    ensure(status.as_deref() == Some("Annulée"), || {
        format!("{status:?}")
    })?;
    screenshot(window, "fr-history")?;
    tap(window, "Retour")?;
    tap(window, "Admin")?;
    for key in ["4", "8", "2", "1"] {
        tap(window, key)?;
    }
    tap(window, "Déverrouiller")?;
    tap(window, "Service et clôture du jour")?;
    rig.until("the shift report", || {
        books.get_title().starts_with("Rapport X")
    })
    .await?;
    screenshot(window, "fr-books")?;
    tap(window, "Clôturer")?;
    screenshot(window, "fr-close-confirm")?;
    tap(window, "Pas encore")?;
    tap(window, "Retour")?;
    tap(window, "Retour")?;
    ensure(page(window) == Page::Amount, || {
        format!("{:?}", page(window))
    })
}

/// Krio from the configuration: the screen starts in it, and the receipt prints in it, its
/// ɛ and ɔ spelled with e and o, which the printer's code page has.
async fn a_sale_in_krio(rig: &Rig) -> Outcome {
    let config = rig.config("krio", "code_duration = \"10m\"");
    let text = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    std::fs::write(
        &config,
        text.replace("[kiosk]\n", "[kiosk]\nlanguage = \"kri\"\n"),
    )
    .map_err(|e| e.to_string())?;
    let shown = open_with(rig, &config)?;
    let receipt = sale_in_pictures(rig, &shown.window, "kri", "Chaj", "Risit dɔn print").await?;
    ensure(
        receipt.contains("I DON PE") && receipt.contains("Pe wit"),
        || receipt.clone(),
    )?;
    tap(&shown.window, "Nyu sel")
}

/// A French counter with item keys, tips and the chime: two bags of rice and a soap tapped,
/// an amount typed beside them, a 10 % tip chosen by the customer; the code is named by its
/// items at Monime, the PAID screen flashes, and the receipt lists items, subtotal and tip.
/// Then the idle keypad rests and the first tap only wakes it.
async fn a_french_sale_with_items_and_a_tip(rig: &Rig) -> Outcome {
    let config = rig.config("counter", "code_duration = \"10m\"");
    let text = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    let text = text
        .replace(
            "[kiosk]\n",
            "[kiosk]\nlanguage = \"fr\"\ntips = [5, 10]\ntip_round_up_to = 5\nscreen_idle_mins = 1\n",
        )
        .replace("[printer]\n", "[printer]\nbuzzer = true\n");
    let items = "[[items]]\nname = \"Riz 1 kg\"\nprice = 45\n\
                 [[items]]\nname = \"Savon\"\nprice = \"12.50\"\n\
                 [[items]]\nname = \"Huile de palme 1 L\"\nprice = 30\n";
    std::fs::write(&config, format!("{text}{items}")).map_err(|e| e.to_string())?;
    let shown = open_with(rig, &config)?;
    let (window, kiosk) = (&shown.window, shown.window.global::<Kiosk>());
    let amount = shown.window.global::<AmountPage>();
    let paid = shown.window.global::<PaidPage>();
    let payment = shown.window.global::<PaymentPage>();
    let tip = shown.window.global::<TipPage>();
    ensure(amount.get_show_items(), || {
        "the item page comes first".into()
    })?;
    screenshot(window, "fr-items")?;
    for item in ["Riz 1 kg", "Savon", "Riz 1 kg"] {
        tap(window, item)?;
    }
    tap(window, "Clavier")?;
    tap(window, "5")?;
    ensure(amount.get_amount() == "Le 107.50", || {
        format!("the total is {}", amount.get_amount())
    })?;
    let cart: Vec<String> = amount
        .get_cart()
        .iter()
        .map(|row| row.label.into())
        .collect();
    ensure(cart == ["2 x Riz 1 kg", "Savon", "Montant saisi"], || {
        format!("{cart:?}")
    })?;
    screenshot(window, "fr-cart")?;
    tap(window, "Encaisser")?;
    ensure(page(window) == Page::Tip, || "the tip step".into())?;
    let tips: Vec<(String, String)> = tip
        .get_tips()
        .iter()
        .map(|tip| (tip.label.into(), tip.total.into()))
        .collect();
    let expected = [
        ("5\u{a0}%", "Le 112.88"),
        ("10\u{a0}%", "Le 118.25"),
        ("Arrondir", "Le 110.00"),
    ]
    .map(|(label, total)| (label.to_string(), total.to_string()));
    ensure(tips == expected, || format!("{tips:?}"))?;
    ElementHandle::find_by_accessible_label(window, "Pas de pourboire")
        .next()
        .ok_or("no Pas de pourboire")?;
    screenshot(window, "fr-tip")?;
    tap(window, "10\u{a0}%")?;
    rig.until("the code", || !payment.get_ussd().is_empty())
        .await?;
    ensure(payment.get_amount() == "Le 118.25", || {
        payment.get_amount().into()
    })?;
    let code = customer_pays(rig, &payment.get_ussd(), Duration::from_millis(300))?;
    ensure(
        code.amount_minor == 11_825 && code.reference.as_deref() == Some("2 x Riz 1 kg, Savon"),
        || format!("{} {:?}", code.amount_minor, code.reference),
    )?;
    let cuts = rig.printer.emulator().cuts();
    let beeps = rig.printer.emulator().beeps();
    rig.until("the paid page", || page(window) == Page::Paid)
        .await?;
    ensure(paid.get_flash(), || "the PAID screen flashes".into())?;
    rig.until("the printer's chime", || {
        rig.printer.emulator().beeps() == beeps + 2
    })
    .await?;
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    ensure(!paid.get_flash(), || "once".into())?;
    rig.until("the receipt", || rig.printer.emulator().cuts() > cuts)
        .await?;
    let receipt = rig
        .printer
        .emulator()
        .documents()
        .last()
        .map(|paper| paper.text())
        .unwrap_or_default();
    for line in [
        "2 x Riz 1 kg",
        "Savon",
        "Montant saisi",
        "Sous-total",
        "Le 107.50",
        "Pourboire",
        "Le 10.75",
        "Le 118.25",
    ] {
        ensure(receipt.contains(line), || format!("{line:?} in {receipt}"))?;
    }
    tap(window, "Nouvelle vente")?;
    ensure(
        amount.get_show_items() && amount.get_cart().row_count() == 0,
        || "a new sale starts on an empty item page".into(),
    )?;
    for _ in 0..60 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    }
    ensure(kiosk.get_resting(), || "the idle keypad rests".into())?;
    tap(window, "Savon")?;
    ensure(
        !kiosk.get_resting() && amount.get_cart().row_count() == 0,
        || "the first tap only wakes the screen".into(),
    )?;
    tap(window, "Savon")?;
    ensure(amount.get_amount() == "Le 12.50", || {
        amount.get_amount().into()
    })
}

/// Start-up never crash-loops: a bad configuration, then a journal another process owns, each
/// shown on the screen in plain words while the terminal keeps trying; fixed, it starts alone.
async fn start_up_problems_are_shown_until_fixed(rig: &Rig) -> Outcome {
    let config = rig.config("startup", "");
    let good = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    std::fs::write(
        &config,
        good.replace("poll_interval_ms = 250", "poll_interval_ms = 5"),
    )
    .map_err(|e| e.to_string())?;
    let window = MainWindow::new().map_err(|e| e.to_string())?;
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    window.show().map_err(|e| e.to_string())?;
    let problem = window.global::<StartingPage>();
    let starting = startup::start(
        &window,
        Launch::with_config(&config),
        Language::English,
        rig.runtime.clone(),
        Duration::from_millis(200),
        owner_commands,
    );
    rig.until("the settings problem", || {
        page(&window) == Page::Starting && problem.get_title() == "The settings need fixing"
    })
    .await?;
    ensure(problem.get_detail().contains("poll_interval_ms"), || {
        format!("the detail names the key: {}", problem.get_detail())
    })?;
    screenshot(&window, "starting-problem")?;

    // Another process takes the journal (its configuration names the same file), then the
    // settings are fixed: the terminal waits for the journal.
    let other = config.with_file_name("other.toml");
    std::fs::write(&other, &good).map_err(|e| e.to_string())?;
    let owner = rig
        .runtime
        .block_on(terminal::open_for_command(&terminal::Launch::with_config(
            &other,
        )))
        .map_err(|e| e.to_string())?;
    std::fs::write(&config, &good).map_err(|e| e.to_string())?;
    rig.until("the busy problem", || {
        problem.get_title() == "The terminal is busy"
    })
    .await?;
    ensure(!starting.started(), || "it waits for the owner".into())?;
    drop(owner);
    rig.until("the keypad", || {
        starting.started() && page(&window) == Page::Amount
    })
    .await
}

/// A terminal started as its unit starts it (under systemd, no display) with no configuration
/// anywhere: the starting page says it is not set up and names the one command to run, in the
/// system's language; no demo mode, and it keeps looking for the configuration `setup` writes.
async fn not_set_up_asks_for_setup(rig: &Rig) -> Outcome {
    for (language, shot, title) in [
        (
            Language::English,
            "not-set-up",
            "This terminal is not set up yet",
        ),
        (
            Language::French,
            "fr-not-set-up",
            "Ce terminal n'est pas encore configuré",
        ),
        (
            Language::Krio,
            "kri-not-set-up",
            "Dɛn nɔ sɛt dis tɛminal yet",
        ),
    ] {
        let window = MainWindow::new().map_err(|e| e.to_string())?;
        window.window().set_size(slint::PhysicalSize::new(800, 480));
        window.show().map_err(|e| e.to_string())?;
        let as_the_unit = Launch {
            config_path: None,
            demo: DemoMode::Never,
        };
        let starting = startup::start(
            &window,
            as_the_unit,
            language,
            rig.runtime.clone(),
            Duration::from_millis(200),
            owner_commands,
        );
        let problem = window.global::<StartingPage>();
        rig.until("the set-up page", || {
            page(&window) == Page::Starting && problem.get_title() == title
        })
        .await?;
        ensure(
            problem.get_advice().contains("sudo paycode-kiosk setup"),
            || format!("the advice names the command: {}", problem.get_advice()),
        )?;
        // It keeps trying, and never falls back to the demo.
        let _ = rig
            .runtime
            .spawn(async { tokio::time::sleep(Duration::from_millis(500)).await })
            .await;
        ensure(
            !starting.started() && page(&window) == Page::Starting,
            || "still asking to be set up".into(),
        )?;
        ensure(!window.global::<StatusBar>().get_demo(), || {
            "no demo".into()
        })?;
        screenshot(&window, shot)?;
        let _ = window.hide();
    }
    Ok(())
}

/// Two processes at once: the screen owns the journal and the printer, and a technician's
/// `paycode-kiosk charge` is handed to it through the control socket. The sale shows on the
/// screen, the command prints its progress, one code is made and one receipt printed; a
/// read-only `history` runs beside it without touching the printer.
async fn a_command_line_charge_runs_on_the_screen(rig: &Rig) -> Outcome {
    let shown = open(rig, "owner", "code_duration = \"10m\"")?;
    let window = &shown.window;
    let paid = window.global::<PaidPage>();
    let payment = window.global::<PaymentPage>();
    let folder = rig.dir.path().join("owner");
    rig.until("the control socket", || {
        folder.join("control.sock").exists()
    })
    .await?;
    let codes_before = rig.sim.codes().len();
    let config = folder.join("config.toml");
    let command = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_paycode-kiosk"));
        command
            .args(args)
            .arg("--config")
            .arg(&config)
            .env_remove("MONIME_ACCESS_TOKEN")
            .env_remove("PAYCODE_KIOSK_CONFIG")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    };
    let mut charge = command(&["charge", "7.25", "--reference", "SSH-1"])
        .spawn()
        .map_err(|e| e.to_string())?;
    rig.until("the command's sale on the screen", || {
        page(window) == Page::Payment && !payment.get_ussd().is_empty()
    })
    .await?;
    ensure(payment.get_amount() == "Le 7.25", || {
        payment.get_amount().into()
    })?;

    let history = command(&["history"]).output().map_err(|e| e.to_string())?;
    let listed = String::from_utf8_lossy(&history.stdout).into_owned();
    ensure(
        history.status.success() && listed.contains("Le 7.25"),
        || {
            format!(
                "history beside the terminal: {listed}{}",
                String::from_utf8_lossy(&history.stderr)
            )
        },
    )?;

    let ussd = payment.get_ussd().to_string();
    let code = customer_pays(rig, &ussd, Duration::from_millis(300))?;
    rig.until("the paid page", || page(window) == Page::Paid)
        .await?;
    let mut status = None;
    rig.until("the command to finish", || {
        status = charge.try_wait().ok().flatten();
        status.is_some()
    })
    .await?;
    let output = charge.wait_with_output().map_err(|e| e.to_string())?;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    ensure(status.is_some_and(|s| s.success()), || {
        format!("charge exits 0 when paid: {stdout}{stderr}")
    })?;
    ensure(
        stdout.contains("Sale ") && stdout.contains(&ussd) && stdout.contains("PAID"),
        || format!("the command prints the sale's progress: {stdout}"),
    )?;
    ensure(rig.sim.codes().len() == codes_before + 1, || {
        "one code for the one sale".into()
    })?;
    rig.until("the receipt", || {
        paid.get_receipt_text() == "Receipt printed"
    })
    .await?;
    let paper = rig.printer.emulator().paper().text();
    let receipts = paper.matches(&format!("[QR: {}]", code.id)).count();
    ensure(receipts == 1 && paper.contains("SSH-1"), || {
        format!("one receipt for the sale: {paper}")
    })
}

/// A physical keyboard: digits and Enter charge, Escape asks before cancelling, Enter
/// confirms, and Try again charges the same amount.
async fn keyboard_cancel_and_try_again(rig: &Rig) -> Outcome {
    let shown = open(rig, "keyboard", "code_duration = \"10m\"")?;
    let window = &shown.window;
    let amount = window.global::<AmountPage>();
    let outcome = window.global::<OutcomePage>();
    let payment = window.global::<PaymentPage>();
    for key in ["4", "2", "0", "0"] {
        press(window, key);
    }
    press(window, Key::Backspace);
    ensure(amount.get_amount() == "Le 420", || {
        format!("typed {}", amount.get_amount())
    })?;
    press(window, Key::Return);
    rig.until("the code", || payment.get_can_cancel()).await?;
    press(window, Key::Escape);
    ensure(payment.get_confirm_cancel(), || "Escape asks first".into())?;
    screenshot(window, "cancel-confirm")?;
    press(window, Key::Escape);
    ensure(!payment.get_confirm_cancel(), || {
        "a second Escape keeps waiting".into()
    })?;
    tap(window, "Cancel payment")?;
    tap(window, "Cancel code")?;
    rig.until("the cancelled page", || page(window) == Page::Outcome)
        .await?;
    ensure(outcome.get_title() == "Cancelled", || {
        outcome.get_title().into()
    })?;
    screenshot(window, "cancelled")?;
    press(window, Key::Return);
    ensure(page(window) == Page::Payment, || "Enter tries again".into())?;
    ensure(payment.get_amount() == "Le 420.00", || {
        payment.get_amount().into()
    })?;
    rig.until("the second code", || payment.get_can_cancel())
        .await?;
    tap(window, "Cancel payment")?;
    press(window, Key::Return);
    rig.until("the second cancel", || page(window) == Page::Outcome)
        .await
}

/// The network drops while a code is on screen: the screen says so, keeps checking, and the
/// sale still ends paid. Meanwhile Monime takes 5 s to answer and the screen keeps answering.
async fn connection_lost_and_slow_answers(rig: &Rig) -> Outcome {
    let shown = open(rig, "network", "code_duration = \"10m\"")?;
    let window = &shown.window;
    let bar = window.global::<StatusBar>();
    let payment = window.global::<PaymentPage>();
    rig.sim.push_fault(FaultRule {
        endpoint: Endpoint::Create,
        fault: Fault::Delay { ms: 5000 },
        times: 1,
    });
    press(window, "9");
    press(window, Key::Return);
    // While the create is held for 5 s, the screen takes keys and redraws.
    press(window, Key::Escape);
    ensure(
        payment.get_status_line() == "Getting a payment code",
        || payment.get_status_line().into(),
    )?;
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    screenshot(window, "getting-code")?;
    ensure(payment.get_ussd().is_empty(), || {
        "Monime's answer was still being held".into()
    })?;
    rig.until("the code", || !payment.get_ussd().is_empty())
        .await?;

    rig.sim.push_fault(FaultRule {
        endpoint: Endpoint::Get,
        fault: Fault::DropConnection,
        times: 1000,
    });
    rig.until("connection lost", || payment.get_connection_lost())
        .await?;
    ensure(
        payment.get_status_line().contains("Connection lost") && !bar.get_network_ok(),
        || payment.get_status_line().into(),
    )?;
    screenshot(window, "connection-lost")?;
    let code = rig
        .sim
        .codes()
        .into_iter()
        .find(|c| c.amount_minor == 900)
        .ok_or("the code")?;
    rig.sim.pay(&code.id, Some(Duration::ZERO))?;
    rig.sim.clear_faults();
    rig.until("paid after the network came back", || {
        page(window) == Page::Paid
    })
    .await
}

/// Monime refuses the terminal's key mid-sale: the screen and the status bar say so, not
/// "connection lost", and the cashier can still cancel.
async fn key_refused(rig: &Rig) -> Outcome {
    key_refused_at_start(rig).await?;
    key_refused_during_a_sale(rig).await
}

/// Monime answering `times` requests to `endpoint` with 401: the terminal's key was revoked.
fn key_revoked(endpoint: Endpoint, times: u32) -> FaultRule {
    FaultRule {
        endpoint,
        fault: Fault::Raw {
            status: 401,
            body: r#"{"success":false,"error":{"code":401,"message":"revoked"}}"#.into(),
        },
        times,
    }
}

/// The terminal asks Monime at once when it starts, so a revoked key shows before any sale.
async fn key_refused_at_start(rig: &Rig) -> Outcome {
    rig.sim.push_fault(key_revoked(Endpoint::List, 1));
    let shown = open(rig, "key-at-start", "")?;
    let bar = shown.window.global::<StatusBar>();
    let refused = rig
        .until("the refused key at start", || {
            bar.get_network_text() == "Monime refused the key"
        })
        .await;
    rig.sim.clear_faults();
    refused?;
    ensure(!bar.get_network_ok(), || "a red light".into())
}

async fn key_refused_during_a_sale(rig: &Rig) -> Outcome {
    let shown = open(rig, "key", "code_duration = \"10m\"")?;
    let window = &shown.window;
    let bar = window.global::<StatusBar>();
    let payment = window.global::<PaymentPage>();
    ensure(bar.get_network_text() == "Monime not contacted", || {
        format!("before any request: {}", bar.get_network_text())
    })?;
    press(window, "5");
    press(window, Key::Return);
    rig.until("the code", || payment.get_can_cancel()).await?;
    ensure(bar.get_network_text() == "Monime online", || {
        bar.get_network_text().into()
    })?;
    rig.sim.push_fault(key_revoked(Endpoint::Get, 1000));
    rig.until("the refused key", || {
        payment.get_status_line() == "Monime refused this terminal's key. Call the technician."
    })
    .await?;
    ensure(
        bar.get_network_text() == "Monime refused the key"
            && !bar.get_network_ok()
            && payment.get_connection_lost(),
        || bar.get_network_text().into(),
    )?;
    screenshot(window, "key-refused")?;
    rig.sim.clear_faults();
    tap(window, "Cancel payment")?;
    tap(window, "Cancel code")?;
    rig.until("the cancelled page", || page(window) == Page::Outcome)
        .await
}

/// A code nobody pays expires: the screen says so in plain words.
async fn expiry(rig: &Rig) -> Outcome {
    let shown = open(rig, "expiry", "code_duration = \"2s\"")?;
    let window = &shown.window;
    let outcome = window.global::<OutcomePage>();
    press(window, "3");
    press(window, Key::Return);
    rig.until("the expired page", || page(window) == Page::Outcome)
        .await?;
    ensure(outcome.get_title() == "Code expired", || {
        outcome.get_title().into()
    })?;
    ensure(outcome.get_reason().contains("Nothing was charged"), || {
        outcome.get_reason().into()
    })?;
    screenshot(window, "expired")
}

/// History with reprint, and the admin pages behind the PIN.
async fn history_and_admin(rig: &Rig) -> Outcome {
    let shown = open(rig, "keypad", "")?;
    let window = &shown.window;
    let kiosk = window.global::<Kiosk>();
    let bar = window.global::<StatusBar>();
    let history = window.global::<HistoryPage>();
    tap(window, "History")?;
    rig.until("the history", || history.get_sales().row_count() > 0)
        .await?;
    ensure(page(window) == Page::History, || {
        format!("history page, not {:?}", page(window))
    })?;
    screenshot(window, "history")?;
    let cuts = rig.printer.emulator().cuts();
    tap(window, "Reprint sale 1")?;
    rig.until("the reprint", || rig.printer.emulator().cuts() > cuts)
        .await
        .map_err(|error| format!("{error}: {}", kiosk.get_notice()))?;
    tap(window, "Back")?;
    tap(window, "Admin")?;
    for key in ["1", "1", "1", "1"] {
        tap(window, key)?;
    }
    tap(window, "Unlock")?;
    ensure(kiosk.get_notice() == "Wrong PIN", || {
        kiosk.get_notice().into()
    })?;
    for key in ["4", "8", "2", "1"] {
        tap(window, key)?;
    }
    screenshot(window, "admin-pin")?;
    tap(window, "Unlock")?;
    ensure(page(window) == Page::Admin, || "the PIN opens admin".into())?;
    rig.until("the network check", || {
        window
            .global::<AdminPage>()
            .get_lines()
            .iter()
            .any(|line| line.contains("reachable"))
    })
    .await?;
    tap(window, "Test print")?;
    rig.until("the test page", || {
        kiosk.get_notice().contains("Test page sent")
    })
    .await?;
    rig.printer.set_status(Some(StatusAnswers::PAPER_OUT));
    tap(window, "End-of-day report")?;
    rig.until("the refusal", || {
        kiosk.get_notice().contains("out of paper")
    })
    .await?;
    ensure(!bar.get_printer_ok(), || {
        "the status bar shows the printer problem".into()
    })?;
    screenshot(window, "admin")?;
    rig.printer.set_status(Some(StatusAnswers::READY));
    Ok(())
}

/// Taps `digits` and Charge, has the customer pay, and goes back to the keypad.
async fn sell(rig: &Rig, window: &MainWindow, digits: &[&str]) -> Outcome {
    let payment = window.global::<PaymentPage>();
    for digit in digits {
        tap(window, digit)?;
    }
    tap(window, "Charge")?;
    rig.until("the code", || !payment.get_ussd().is_empty())
        .await?;
    customer_pays(rig, &payment.get_ussd(), Duration::from_millis(100))?;
    rig.until("the paid page", || page(window) == Page::Paid)
        .await?;
    tap(window, "New sale")
}

/// With cashiers the terminal opens on their PIN screen; each sale records who took it; Change
/// cashier hands over; the books screen (behind the admin PIN) counts the shift per cashier,
/// and Close day closes it once.
async fn cashiers_and_the_books(rig: &Rig) -> Outcome {
    let cashiers = "[[cashiers]]\nname = \"Aminata\"\npin = \"2580\"\n\
                    [[cashiers]]\nname = \"Mohamed\"\npin = \"1397\"\n";
    let shown = open(rig, "cashiers", cashiers)?;
    let (window, kiosk) = (&shown.window, shown.window.global::<Kiosk>());
    let bar = shown.window.global::<StatusBar>();
    let books = shown.window.global::<BooksPage>();
    rig.until("the sign-in page", || page(window) == Page::SignIn)
        .await?;
    for key in ["2", "5", "8", "1"] {
        tap(window, key)?;
    }
    tap(window, "Unlock")?;
    ensure(kiosk.get_notice() == "Wrong PIN", || {
        kiosk.get_notice().into()
    })?;
    for key in ["2", "5", "8", "0"] {
        tap(window, key)?;
    }
    screenshot(window, "sign-in")?;
    tap(window, "Unlock")?;
    ensure(
        page(window) == Page::Amount && bar.get_cashier() == "Aminata",
        || format!("{:?} signed in as {:?}", page(window), bar.get_cashier()),
    )?;
    screenshot(window, "amount-cashier")?;
    sell(rig, window, &["1", "2"]).await?;
    sell(rig, window, &["8"]).await?;
    tap(window, "Change cashier")?;
    ensure(
        page(window) == Page::SignIn && bar.get_cashier().is_empty(),
        || "Change cashier signs out".into(),
    )?;
    for key in ["1", "3", "9", "7"] {
        tap(window, key)?;
    }
    tap(window, "Unlock")?;
    sell(rig, window, &["3", "0"]).await?;
    rig.until("Mohamed's receipt names him", || {
        let paper = rig.printer.emulator().paper().text();
        paper
            .lines()
            .any(|line| line.starts_with("Cashier") && line.ends_with("Mohamed"))
    })
    .await?;

    tap(window, "Admin")?;
    for key in ["4", "8", "2", "1"] {
        tap(window, key)?;
    }
    tap(window, "Unlock")?;
    tap(window, "Shift and day close")?;
    let lines = |model: slint::ModelRc<paycode_kiosk::ui::BooksLine>| -> Vec<(String, String)> {
        model
            .iter()
            .map(|line| (line.label.to_string(), line.value.to_string()))
            .collect()
    };
    rig.until("the shift report", || {
        lines(books.get_groups())
            .iter()
            .any(|(label, _)| label == "By cashier")
    })
    .await?;
    let groups = lines(books.get_groups());
    for expected in [("Aminata (2)", "Le 20.00"), ("Mohamed (1)", "Le 30.00")] {
        ensure(
            groups
                .iter()
                .any(|(label, value)| (label.as_str(), value.as_str()) == expected),
            || format!("{expected:?} not in {groups:?}"),
        )?;
    }
    screenshot(window, "books")?;
    tap(window, "Close day")?;
    ensure(books.get_confirm_close(), || "Close day asks first".into())?;
    tap(window, "Confirm close day")?;
    rig.until("the day's close", || {
        books.get_title().starts_with("Day close Z") && !books.get_can_close()
    })
    .await
    .map_err(|error| format!("{error}: {}", books.get_title()))?;
    let groups = lines(books.get_groups());
    ensure(
        groups
            .iter()
            .any(|(label, _)| label == "Agreed with Monime"),
        || format!("the Z was checked with Monime: {groups:?}"),
    )?;
    screenshot(window, "day-close")?;
    rig.until("the Z on paper", || {
        rig.printer
            .emulator()
            .documents()
            .last()
            .is_some_and(|paper| paper.text().contains("Z 0001"))
    })
    .await?;
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let documents = rig.printer.emulator().documents();
        let z = documents.last().ok_or("no Z on paper")?;
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/day-close-paper.png");
        z.save_png(&path).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The number that pays the simulator's codes: AMINATA KAMARA's, on Orange Money.
const PAYER: [&str; 9] = ["0", "7", "6", "1", "2", "3", "4", "5", "6"];

/// Types `keys` on the keypad on screen.
fn type_keys(window: &MainWindow, keys: &[&str]) -> Outcome {
    keys.iter().try_for_each(|key| tap(window, key))
}

/// A paid sale goes back from History: in part by a cashier allowed to, after another was
/// turned away and a wrong number refused before anything moved; then the rest by the admin.
/// A third refund, over the day's limit, is refused. Both refund receipts come off the
/// pseudo-terminal, Monime made exactly two payouts, and the shift report counts the refunds
/// and the net. The refund screens are saved in three languages.
async fn refunds_from_history(rig: &Rig) -> Outcome {
    let config = "[refunds]\nenabled = true\ndaily_limit = 100\nfee = \"0.50\"\n\
                  [[cashiers]]\nname = \"Aminata\"\npin = \"2580\"\ncan_refund = true\n\
                  [[cashiers]]\nname = \"Mohamed\"\npin = \"1397\"\n";
    let shown = open(rig, "refunds", config)?;
    let (window, kiosk) = (&shown.window, shown.window.global::<Kiosk>());
    let (history, refund) = (
        window.global::<HistoryPage>(),
        window.global::<RefundPage>(),
    );
    let payouts_before = rig.sim.payouts().len();
    rig.until("the sign-in page", || page(window) == Page::SignIn)
        .await?;
    type_keys(window, &["1", "3", "9", "7"])?;
    tap(window, "Unlock")?;
    sell(rig, window, &["2", "0"]).await?;
    sell(rig, window, &["9", "0"]).await?;
    // Each terminal's journal numbers its own sales.
    let (first, second) = ("Refund sale 1".to_string(), "Refund sale 2".to_string());
    tap(window, "History")?;
    rig.until("the history", || history.get_sales().row_count() >= 2)
        .await?;
    screenshot(window, "history-refund")?;
    tap(window, &first)?;
    ensure(page(window) == Page::Refund, || {
        format!("{:?}", page(window))
    })?;
    // Mohamed may sell, not refund.
    type_keys(window, &["1", "3", "9", "7"])?;
    tap(window, "Next")?;
    ensure(
        kiosk.get_notice() == "Mohamed may not refund: ask the admin"
            && refund.get_stage() == RefundStage::Pin,
        || kiosk.get_notice().into(),
    )?;
    type_keys(window, &["2", "5", "8", "0"])?;
    tap(window, "Next")?;
    rig.until("all that is left, offered", || {
        refund.get_stage() == RefundStage::Amount && refund.get_field() == "Le 20.00"
    })
    .await
    .map_err(|error| format!("{error}: {:?} {}", refund.get_stage(), refund.get_field()))?;
    ensure(
        refund.get_standing() == "Paid Le 20.00 · Le 20.00 left to refund"
            && refund.get_payer() == "Paid from Orange Money 076 ··· 456",
        || format!("{} / {}", refund.get_standing(), refund.get_payer()),
    )?;
    tap(window, "Clear")?;
    type_keys(window, &["1", "2", "Decimal point", "5"])?;
    screenshot(window, "refund-amount")?;
    tap(window, "Next")?;
    // A number the masked one does not admit is refused before anything moves.
    type_keys(window, &["0", "7", "7", "1", "2", "3", "4", "5", "6"])?;
    tap(window, "Next")?;
    rig.until("the wrong number refused", || {
        kiosk
            .get_notice()
            .starts_with("That is not the number that paid")
    })
    .await
    .map_err(|error| format!("{error}: {}", kiosk.get_notice()))?;
    ensure(refund.get_stage() == RefundStage::Number, || {
        format!("{:?}", refund.get_stage())
    })?;
    screenshot(window, "refund-wrong-number")?;
    for _ in 0..9 {
        tap(window, "Backspace")?;
    }
    type_keys(window, &PAYER)?;
    tap(window, "Next")?;
    rig.until("the question", || {
        refund.get_stage() == RefundStage::Confirm
    })
    .await
    .map_err(|error| format!("{error}: {}", kiosk.get_notice()))?;
    let question = refund.get_question();
    ensure(
        question == "Send Le 12.50 to AMINATA KAMARA, Orange Money 076 ··· 456?"
            && refund.get_fee() == "Monime's fee: Le 0.50 (as set for refunds)",
        || format!("{question} / {}", refund.get_fee()),
    )?;
    ensure(rig.sim.payouts().len() == payouts_before, || {
        "nothing moved before Send".into()
    })?;
    screenshot(window, "refund-question")?;
    tap(window, "Send the refund")?;
    rig.until("Monime's completed", || refund.get_result() == "Refunded")
        .await
        .map_err(|error| format!("{error}: {}", refund.get_result()))?;
    screenshot(window, "refund-done")?;
    let refund_receipts = || {
        rig.printer
            .emulator()
            .documents()
            .iter()
            .map(|paper| paper.text())
            .filter(|text| text.contains("REFUND"))
            .collect::<Vec<_>>()
    };
    rig.until("the refund receipt", || refund_receipts().len() == 1)
        .await
        .map_err(|error| {
            let papers = rig.printer.emulator().documents();
            let terminals: Vec<String> = papers
                .iter()
                .filter_map(|paper| {
                    let text = paper.text();
                    text.lines()
                        .find(|line| line.starts_with("Terminal"))
                        .map(str::to_string)
                })
                .collect();
            let bar = window.global::<StatusBar>();
            format!("{error}: {terminals:?}, printer {}", bar.get_printer_text())
        })?;
    let receipt = refund_receipts().remove(0);
    ensure(
        [
            "Le 12.50",
            "Aminata",
            "Orange Money 076 ··· 456",
            "AMINATA KAMARA",
        ]
        .iter()
        .all(|part| receipt.contains(part)),
        || receipt.clone(),
    )?;
    tap(window, "Done")?;
    rig.until("the refund in the history", || {
        history
            .get_sales()
            .iter()
            .any(|row| row.proof.contains("Le 12.50 refunded"))
    })
    .await?;

    // The rest, by the admin: all that is left is offered.
    tap(window, &first)?;
    type_keys(window, &["4", "8", "2", "1"])?;
    tap(window, "Next")?;
    rig.until("what is left", || refund.get_field() == "Le 7.50")
        .await?;
    tap(window, "Next")?;
    type_keys(window, &PAYER)?;
    press(window, Key::Return);
    rig.until("the question", || {
        refund.get_stage() == RefundStage::Confirm
    })
    .await?;
    press(window, Key::Return);
    rig.until("the second refund", || refund.get_result() == "Refunded")
        .await?;
    rig.until("the second receipt", || refund_receipts().len() == 2)
        .await?;
    ensure(refund_receipts()[1].contains("Admin"), || {
        refund_receipts()[1].clone()
    })?;
    tap(window, "Done")?;
    rig.until("the history again", || history.get_loaded())
        .await?;
    ensure(tap(window, &first).is_err(), || {
        "a sale refunded in full offers no refund".into()
    })?;

    // A third refund would pass the day's limit: refused, and nothing sent.
    tap(window, &second)?;
    type_keys(window, &["2", "5", "8", "0"])?;
    tap(window, "Next")?;
    rig.until("all of the second sale", || {
        refund.get_field() == "Le 90.00"
    })
    .await?;
    tap(window, "Next")?;
    type_keys(window, &PAYER)?;
    tap(window, "Next")?;
    rig.until("the limit's refusal", || {
        kiosk.get_notice().starts_with("Over today's refund limit")
    })
    .await
    .map_err(|error| format!("{error}: {}", kiosk.get_notice()))?;
    ensure(refund.get_stage() == RefundStage::Amount, || {
        format!("{:?}", refund.get_stage())
    })?;
    screenshot(window, "refund-over-limit")?;
    ensure(rig.sim.payouts().len() == payouts_before + 2, || {
        format!("{} payouts", rig.sim.payouts().len() - payouts_before)
    })?;
    press(window, Key::Escape);
    press(window, Key::Escape);
    ensure(page(window) == Page::History, || {
        format!("{:?}", page(window))
    })?;
    tap(window, "Back")?;
    refunds_in_the_books(rig, window).await?;

    refund_question_in(rig, window, Language::French, "fr", &second).await?;
    refund_question_in(rig, window, Language::Krio, "kri", &second).await?;
    Ok(())
}

/// The shift report, then the day's close (Z), count the two refunds, who made them, and the
/// takings net of them: Le 110.00 paid, Le 20.00 sent back.
async fn refunds_in_the_books(rig: &Rig, window: &MainWindow) -> Outcome {
    let books = window.global::<BooksPage>();
    let lines = || -> Vec<(String, String)> {
        books
            .get_totals()
            .iter()
            .chain(books.get_groups().iter())
            .map(|line| (line.label.to_string(), line.value.to_string()))
            .collect()
    };
    let counted = |lines: &[(String, String)]| {
        [
            ("Refunds", "2"),
            ("Total refunded", "Le 20.00"),
            ("Net takings", "Le 90.00"),
            ("Aminata (1)", "Le 12.50"),
            ("Admin (1)", "Le 7.50"),
        ]
        .iter()
        .all(|(label, value)| {
            lines
                .iter()
                .any(|line| (line.0.as_str(), line.1.as_str()) == (*label, *value))
        })
    };
    tap(window, "Admin")?;
    type_keys(window, &["4", "8", "2", "1"])?;
    tap(window, "Unlock")?;
    tap(window, "Shift and day close")?;
    rig.until("the refunds in the shift report", || counted(&lines()))
        .await
        .map_err(|error| format!("{error}: {:?}", lines()))?;
    screenshot(window, "books-refunds")?;
    tap(window, "Close day")?;
    tap(window, "Confirm close day")?;
    rig.until("the Z with its refunds", || {
        books.get_title().starts_with("Day close Z") && counted(&lines())
    })
    .await
    .map_err(|error| format!("{error}: {} {:?}", books.get_title(), lines()))?;
    tap(window, "Back")?;
    tap(window, "Back")?;
    ensure(page(window) == Page::Amount, || {
        format!("{:?}", page(window))
    })
}

/// Switches the screen to `language`, and saves the history and the refund's question in it.
async fn refund_question_in(
    rig: &Rig,
    window: &MainWindow,
    language: Language,
    name: &str,
    sale_label: &str,
) -> Outcome {
    let (history, refund) = (
        window.global::<HistoryPage>(),
        window.global::<RefundPage>(),
    );
    window.global::<AmountPage>().invoke_open_admin();
    type_keys(window, &["4", "8", "2", "1"])?;
    press(window, Key::Return);
    let place = Language::ALL
        .iter()
        .position(|each| *each == language)
        .ok_or("a language")?;
    window
        .global::<AdminPage>()
        .invoke_choose_language(place as i32);
    press(window, Key::Escape);
    window.global::<AmountPage>().invoke_open_history();
    rig.until("the history", || history.get_loaded()).await?;
    screenshot(window, &format!("{name}-history-refund"))?;
    let number: i32 = sale_label
        .rsplit(' ')
        .next()
        .and_then(|number| number.parse().ok())
        .ok_or("a sale number")?;
    history.invoke_refund(number);
    for key in ["2", "5", "8", "0"] {
        press(window, key);
    }
    press(window, Key::Return);
    rig.until("the amount", || refund.get_field().ends_with("90.00"))
        .await?;
    press(window, "c");
    press(window, "5");
    press(window, Key::Return);
    for key in PAYER {
        press(window, key);
    }
    press(window, Key::Return);
    rig.until("the question", || {
        refund.get_stage() == RefundStage::Confirm
    })
    .await
    .map_err(|error| format!("{error}: {}", window.global::<Kiosk>().get_notice()))?;
    ensure(!refund.get_question().starts_with("Send"), || {
        format!("the question in English: {}", refund.get_question())
    })?;
    screenshot(window, &format!("{name}-refund-question"))?;
    // Not sent: back to the number, the amount, the PIN, the history, the keypad.
    for _ in 0..5 {
        press(window, Key::Escape);
    }
    ensure(page(window) == Page::Amount, || {
        format!("{:?}", page(window))
    })
}

/// Monime's clock is three days ahead of the terminal's: the status bar says the clock is off,
/// and the countdown goes by Monime's time.
async fn clock_off(rig: &Rig) -> Outcome {
    rig.sim.set_clock_offset(chrono::TimeDelta::days(3));
    let outcome = sell_with_the_clock_off(rig).await;
    rig.sim.set_clock_offset(chrono::TimeDelta::zero());
    outcome
}

async fn sell_with_the_clock_off(rig: &Rig) -> Outcome {
    let shown = open(rig, "clock", "code_duration = \"10m\"")?;
    let window = &shown.window;
    let bar = shown.window.global::<StatusBar>();
    let payment = shown.window.global::<PaymentPage>();
    press(window, "4");
    press(window, Key::Return);
    rig.until("the code", || !payment.get_ussd().is_empty())
        .await?;
    let left = seconds(&payment.get_countdown())?;
    ensure((590..=600).contains(&left), || format!("countdown {left}"))?;
    let text = bar.get_network_text();
    ensure(
        text == "Clock off by 3 days" && !bar.get_network_ok(),
        || text.to_string(),
    )?;
    screenshot(window, "clock-off")?;
    press(window, Key::Escape);
    press(window, Key::Return);
    rig.until("the cancel", || page(window) == Page::Outcome)
        .await
}

/// The layout holds at the other supported screen sizes: every key inside the window.
fn layouts(rig: &Rig) -> Outcome {
    let shown = open(rig, "layout", "")?;
    let window = &shown.window;
    for (width, height) in [(800, 480), (1024, 600), (1280, 800)] {
        window
            .window()
            .set_size(slint::PhysicalSize::new(width, height));
        let image = snapshot(window)?;
        ensure(image.width() == width && image.height() == height, || {
            format!("snapshot at {width}x{height}")
        })?;
        for label in [
            "7",
            "00",
            "Backspace",
            "Clear",
            "Charge",
            "History",
            "Admin",
        ] {
            let element = ElementHandle::find_by_accessible_label(window, label)
                .next()
                .ok_or_else(|| format!("{label} missing at {width}x{height}"))?;
            let (position, size) = (element.absolute_position(), element.size());
            ensure(
                position.x >= 0.0
                    && position.y >= 0.0
                    && position.x + size.width <= width as f32 + 0.5
                    && position.y + size.height <= height as f32 + 0.5
                    && size.height >= 48.0,
                || format!("{label} at {position:?} size {size:?} in {width}x{height}"),
            )?;
        }
    }
    Ok(())
}

#[test]
fn the_touchscreen_sells_end_to_end() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: true,
        renderer_name: Some("software".into()),
    })))
    .expect("the testing platform");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = runtime
        .block_on(SimulatorHandle::start(SimulatorOptions::default()))
        .expect("simulator");
    let rig = Rc::new(Rig {
        runtime: runtime.handle().clone(),
        sim,
        printer: PtyPrinter::start(32, Some(StatusAnswers::READY)).expect("pty printer"),
        dir: tempfile::tempdir().expect("tempdir"),
    });
    let results: Rc<RefCell<Vec<(&str, Outcome)>>> = Rc::default();
    let (scenario_rig, scenario_results) = (Rc::clone(&rig), Rc::clone(&results));
    slint::spawn_local(async move {
        let rig = &*scenario_rig;
        let record = |name, outcome| scenario_results.borrow_mut().push((name, outcome));
        record("keypad to paid", a_sale_from_keypad_to_paid(rig).await);
        record(
            "keyboard, cancel, try again",
            keyboard_cancel_and_try_again(rig).await,
        );
        record(
            "connection lost",
            connection_lost_and_slow_answers(rig).await,
        );
        record("key refused", key_refused(rig).await);
        record("not set up", not_set_up_asks_for_setup(rig).await);
        record("expiry", expiry(rig).await);
        record("history and admin", history_and_admin(rig).await);
        record("cashiers and the books", cashiers_and_the_books(rig).await);
        record("refunds from history", refunds_from_history(rig).await);
        record("clock off", clock_off(rig).await);
        record("a sale in French", a_sale_in_french(rig).await);
        record("a sale in Krio", a_sale_in_krio(rig).await);
        record(
            "a French sale with items and a tip",
            a_french_sale_with_items_and_a_tip(rig).await,
        );
        record("layouts", layouts(rig));
        record(
            "a command-line charge on the screen",
            a_command_line_charge_runs_on_the_screen(rig).await,
        );
        record(
            "start-up problems",
            start_up_problems_are_shown_until_fixed(rig).await,
        );
        let _ = slint::quit_event_loop();
    })
    .expect("spawn");
    slint::run_event_loop_until_quit().expect("event loop");
    let failures: Vec<String> = results
        .borrow()
        .iter()
        .filter_map(|(name, outcome)| outcome.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    assert_eq!(results.borrow().len(), 16, "every scenario ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
