//! `paycode-kiosk setup`: a new terminal's settings, asked for one at a time over SSH, each with
//! its current value as the default and checked as the terminal will read it; or given as flags,
//! for a fleet set up by a script. The Monime token goes into the service's credential file
//! (owner only), never into the configuration. Then Monime is asked whether it accepts the token
//! and space, the service is restarted, and a test page printed when asked.
//!
//! Run again, it offers what is there and changes only what is answered differently.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::config::edit::{self, ConfigEdit, Setting};
use crate::config::{CONFIG_ENV, Environment, SYSTEM_CONFIG_PATH};
use crate::control::OwnerCommand;
use crate::lang::Language;
use crate::monime::ApiVersion;
use crate::printer::device::{Found, SearchPlaces, plugged_in};
use crate::printer::{PrinterDevice, PrinterModel};
use crate::secret::AccessToken;
use crate::terminal::monime_client;
use crate::terminal::{DemoMode, Launch};

/// The service `setup` restarts.
const SERVICE: &str = "paycode-kiosk";

/// What the technician gave as flags; each one not given is asked (interactive) or kept.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SetupFlags {
    /// The Monime space id (spc-...), from the Monime dashboard
    #[arg(long, value_name = "ID")]
    pub space_id: Option<String>,
    /// Read the Monime access token from standard input (a flag would show it in the process
    /// list and the shell's history); with it, nothing else is asked
    #[arg(long)]
    pub token_stdin: bool,
    /// Monime's API version: caph.2025-08-23 or 2024-08-01
    #[arg(long, value_name = "VERSION")]
    pub api_version: Option<String>,
    /// The shop's name, on the screen and the receipts
    #[arg(long, value_name = "NAME")]
    pub merchant_name: Option<String>,
    /// This terminal's name, such as SHOP1-TILL1 (letters, digits, '-', '_', '.')
    #[arg(long, value_name = "ID")]
    pub terminal_id: Option<String>,
    /// The PIN of the admin screen: 4 to 8 digits (a flag shows in the process list; left out,
    /// it is asked)
    #[arg(long, value_name = "DIGITS")]
    pub admin_pin: Option<String>,
    /// The language of the screen and the receipts: en, fr or kri
    #[arg(long, value_name = "CODE")]
    pub language: Option<String>,
    /// The printer: "auto", a serial port (`/dev/ttyUSB0`, `/dev/serial/by-id/...`), a USB
    /// printer (`/dev/usb/lp0`), a network printer (`tcp://192.168.1.50:9100`), "virtual", or
    /// "none"
    #[arg(long, value_name = "DEVICE")]
    pub printer: Option<String>,
    /// The printer's model: generic, epson, xprinter, rongta or pos58
    #[arg(long, value_name = "MODEL")]
    pub printer_model: Option<String>,
    /// The printer's baud rate (its self-test page shows it)
    #[arg(long, value_name = "BAUD")]
    pub baud: Option<u32>,
    /// Characters per line: 32 (58 mm paper), 42 or 48 (80 mm)
    #[arg(long, value_name = "N")]
    pub width: Option<u16>,
    /// Print a test page once set up
    #[arg(long)]
    pub test_page: bool,
    /// Monime's address (a simulator's, for trying setup out)
    #[arg(long, value_name = "URL", hide = true)]
    pub base_url: Option<String>,
    /// Ask nothing: the flags given, and the current values for the rest
    #[arg(long)]
    pub non_interactive: bool,
    /// Do not ask Monime whether it accepts the token and space
    #[arg(long)]
    pub offline: bool,
    /// Do not restart the service afterwards
    #[arg(long)]
    pub no_restart: bool,
}

/// Runs `setup`; `config_path` is `--config`, else the terminal's usual file.
pub async fn setup(config_path: Option<&Path>, flags: SetupFlags) -> Result<u8, String> {
    let path = config_path
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(SYSTEM_CONFIG_PATH));
    let mut file = ConfigEdit::open(&path)?;
    let interactive =
        !flags.non_interactive && !flags.token_stdin && std::io::stdin().is_terminal();
    let mut asker = Asker {
        interactive,
        stdin: std::io::stdin().lock(),
    };
    if interactive {
        println!(
            "Setting up this terminal in {}. Press Enter to keep the value in [brackets].",
            path.display()
        );
    }

    let token = token(&flags, &path, &mut asker)?;
    // Every answer is checked as the terminal will read the file, the new token included.
    let env = Environment {
        access_token: token
            .clone()
            .or_else(|| edit::read_token(&path))
            .map(AccessToken::new),
        ..Environment::from_process()
    };
    if let Some(url) = &flags.base_url {
        file.set("monime", "base_url", Setting::Text(url.clone()));
    }
    let questions = [
        Question::new(
            "monime",
            "space_id",
            "Monime space id (spc-...)",
            &flags.space_id,
        ),
        Question {
            default: Some(ApiVersion::CAPH_VERSIONS[0]),
            ..Question::new(
                "monime",
                "api_version",
                "Monime API version (caph.2025-08-23, caph.2025-06-20 or 2024-08-01)",
                &flags.api_version,
            )
        },
        Question::new("kiosk", "merchant_name", "Shop name", &flags.merchant_name),
        Question::new(
            "kiosk",
            "terminal_id",
            "Terminal id, such as SHOP1-TILL1",
            &flags.terminal_id,
        ),
        Question::new(
            "kiosk",
            "admin_pin",
            "Admin PIN (4 to 8 digits)",
            &flags.admin_pin,
        ),
        Question {
            default: Some(Language::default().code()),
            ..Question::new(
                "kiosk",
                "language",
                "Language: en (English), fr (Français) or kri (Krio)",
                &flags.language,
            )
        },
    ];
    for Question {
        section,
        key,
        question,
        given,
        default,
    } in questions
    {
        let current = file.get(section, key).or(default.map(str::to_string));
        let missing = current.is_none();
        // A flag is checked here; a typed answer is checked as it is typed, and asked again.
        let answer = match given {
            Some(given) => {
                check_one(&file, section, key, &Setting::Text(given.clone()), &env)?;
                Some(given.clone())
            }
            None => asker.ask(question, current.as_deref(), |answer| {
                check_one(&file, section, key, &Setting::Text(answer.into()), &env)
            })?,
        };
        match answer {
            Some(answer) => file.set(section, key, Setting::Text(answer)),
            // A fleet's terminals must not share the default id or PIN: Monime's codes are
            // told apart by the terminal id, and 0000 opens every admin screen.
            None if missing && REQUIRED.contains(&key) => {
                return Err(format!(
                    "[{section}] {key} has no value yet: give --{}",
                    key.replace('_', "-")
                ));
            }
            None => {}
        }
    }
    printer(&flags, &mut file, &mut asker, &env)?;
    if token.is_some() {
        // The credential is where the token is read from from now on.
        file.remove("monime", "access_token");
        file.remove("monime", "access_token_file");
    }

    // Monime is asked before anything is written: a token or space it refuses leaves the
    // terminal as it was.
    let config = file.check(&env).map_err(|error| error.to_string())?;
    if !flags.offline {
        monime_client(&config)?.check().await.map_err(|error| {
            format!("Monime could not confirm these settings, so nothing was written: {error}")
        })?;
    }
    if let (Some(_), None) = (file.get("monime", "access_token"), &token) {
        println!(
            "The token is still written in {}: run setup again and type it, and it moves to the credential file.",
            path.display()
        );
    }
    // The token first: the file written next may read it from there alone.
    let token_written = match &token {
        Some(token) => edit::write_token(&path, token)?,
        None => false,
    };
    file.save(&env)?;
    let changed = file.changed() || token_written;
    match (file.changed(), token_written) {
        (false, false) => println!("Nothing changed in {}.", path.display()),
        (true, false) => println!("Written: {}", path.display()),
        (false, true) => println!(
            "Written: {} (owner only)",
            edit::token_path(&path).display()
        ),
        (true, true) => println!(
            "Written: {} and {} (owner only)",
            path.display(),
            edit::token_path(&path).display()
        ),
    }
    let launch = Launch {
        config_path: Some(path.clone()),
        demo: DemoMode::Never,
    };
    super::check_config(&launch, false).await?;
    if !flags.offline {
        println!("  online     Monime accepted the token and space id");
    }
    let service = match (changed, flags.no_restart) {
        (true, false) => restart_service(),
        _ => Service::NotRestarted,
    };
    let test_page =
        flags.test_page || (file.has_section("printer") && asker.confirm("Print a test page now?"));
    if !test_page {
        return Ok(0);
    }
    match service {
        // The running terminal owns the printer: the page goes through it once it is up.
        Service::Restarted if !terminal_listens(&launch).await => Err(format!(
            "the terminal did not come up within {} s, so no test page was printed: `journalctl -u {SERVICE}` says why",
            TERMINAL_UP.as_secs()
        )),
        Service::NotRestarted if changed => {
            println!(
                "No test page: the running terminal still has the old settings. Restart it, then run `sudo paycode-kiosk print-test`."
            );
            Ok(0)
        }
        _ => super::run_by_owner(&launch, OwnerCommand::PrintTest).await,
    }
}

/// Settings a new terminal may not leave at their defaults.
const REQUIRED: [&str; 3] = ["space_id", "terminal_id", "admin_pin"];

/// One text setting: its key, how it is asked, the flag that answers it, the default shown.
struct Question<'a> {
    section: &'static str,
    key: &'static str,
    question: &'static str,
    given: &'a Option<String>,
    default: Option<&'static str>,
}

impl<'a> Question<'a> {
    fn new(
        section: &'static str,
        key: &'static str,
        question: &'static str,
        given: &'a Option<String>,
    ) -> Question<'a> {
        Question {
            section,
            key,
            question,
            given,
            default: None,
        }
    }
}

/// The token typed (without echo) or read from standard input; `None` keeps the one there is.
fn token(flags: &SetupFlags, config: &Path, asker: &mut Asker) -> Result<Option<String>, String> {
    let kept = edit::read_token(config).is_some();
    let typed = if flags.token_stdin && !std::io::stdin().is_terminal() {
        let mut line = String::new();
        asker
            .stdin
            .read_line(&mut line)
            .map_err(|error| format!("cannot read the token from standard input: {error}"))?;
        Some(line)
    } else if asker.interactive || flags.token_stdin {
        let question = match kept {
            true => "Monime access token [keep the current one]: ",
            false => "Monime access token (it is not shown as you type): ",
        };
        Some(
            rpassword::prompt_password(question)
                .map_err(|error| format!("cannot read the token: {error}"))?,
        )
    } else {
        None
    };
    let token = typed
        .map(|text| text.trim().to_string())
        .filter(|token| !token.is_empty());
    if token.is_none() && !kept {
        return Err(format!(
            "no Monime access token yet: type it when asked, or pass it on standard input with --token-stdin (it is kept in {})",
            edit::token_path(config).display()
        ));
    }
    if let Some(token) = &token
        && token.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("the token has spaces inside: paste the token alone".into());
    }
    Ok(token)
}

/// The printer: which device (from those plugged in), its model, and for a serial one its baud
/// rate, then the paper's width.
fn printer(
    flags: &SetupFlags,
    file: &mut ConfigEdit,
    asker: &mut Asker,
    env: &Environment,
) -> Result<(), String> {
    let current = file
        .get("printer", "device")
        .or_else(|| (!file.has_section("printer")).then(|| "none".to_string()));
    let device = match &flags.printer {
        Some(device) => {
            if device != "none" {
                check_one(
                    file,
                    "printer",
                    "device",
                    &Setting::Text(device.clone()),
                    env,
                )?;
            }
            Some(device.clone())
        }
        None if asker.interactive => {
            let found = plugged_in(&SearchPlaces::system());
            if found.is_empty() {
                println!(
                    "No printer is plugged in (USB printers show as /dev/usb/lp*, USB-serial ones as /dev/ttyUSB*)."
                );
            } else {
                println!("Printers and ports plugged in:");
                for (number, found) in found.iter().enumerate() {
                    println!(
                        "  {}) {} ({})",
                        number + 1,
                        found.device,
                        found.device.kind()
                    );
                }
            }
            let question = "Printer: a number above, \"auto\" (the one plugged in), a device path, tcp://ADDRESS for a network printer, \"virtual\" (receipts as files) or \"none\"";
            let chosen = |answer: &str| chosen_device(answer, &found);
            asker
                .ask(question, current.as_deref(), |answer| {
                    let device = chosen(answer)?;
                    if device == "none" {
                        return Ok(());
                    }
                    check_one(file, "printer", "device", &Setting::Text(device), env)
                })?
                .map(|answer| chosen(&answer))
                .transpose()?
        }
        None => None,
    };
    match device {
        Some(device) if device == "none" => file.remove_section("printer"),
        Some(device) => file.set("printer", "device", Setting::Text(device)),
        None => {}
    }
    if !file.has_section("printer") {
        return Ok(());
    }
    let model = match &flags.printer_model {
        Some(model) => {
            check_one(file, "printer", "model", &Setting::Text(model.clone()), env)?;
            Some(model.clone())
        }
        None => asker.ask(
            &format!(
                "Printer model: {} (generic prints on any ESC/POS printer)",
                PrinterModel::ALL.map(PrinterModel::name).join(", ")
            ),
            Some(
                &file
                    .get("printer", "model")
                    .unwrap_or_else(|| "generic".into()),
            ),
            |answer| check_one(file, "printer", "model", &Setting::Text(answer.into()), env),
        )?,
    };
    if let Some(model) = model {
        file.set("printer", "model", Setting::Text(model));
    }
    let serial = file
        .get("printer", "device")
        .and_then(|device| PrinterDevice::parse(&device, Path::new("")).ok())
        .is_some_and(|device| device.is_serial());
    let mut numbers = vec![(
        "width_chars",
        "Characters per line: 32 (58 mm paper), 42 or 48 (80 mm)",
        flags.width.map(i64::from),
        "32",
    )];
    if serial || flags.baud.is_some() {
        numbers.insert(
            0,
            (
                "baud",
                "Baud rate (the printer's self-test page shows it)",
                flags.baud.map(i64::from),
                "19200",
            ),
        );
    }
    for (key, question, given, default) in numbers {
        let current = file
            .get("printer", key)
            .unwrap_or_else(|| default.to_string());
        let answer = match given {
            Some(given) => {
                check_one(file, "printer", key, &Setting::Integer(given), env)?;
                Some(given)
            }
            None => asker
                .ask(question, Some(&current), |answer| {
                    let number = whole_number(answer)?;
                    check_one(file, "printer", key, &Setting::Integer(number), env)
                })?
                .map(|answer| whole_number(&answer))
                .transpose()?,
        };
        if let Some(number) = answer {
            file.set("printer", key, Setting::Integer(number));
        }
    }
    Ok(())
}

/// A printer answer: a number from the list, or what was typed ("none", or a device the
/// configuration's own check reads).
fn chosen_device(answer: &str, found: &[Found]) -> Result<String, String> {
    match answer.parse::<usize>() {
        Ok(number) => found
            .get(number.wrapping_sub(1))
            .map(|found| found.device.to_string())
            .ok_or_else(|| format!("there is no printer {number} in the list")),
        Err(_) => Ok(answer.to_string()),
    }
}

fn whole_number(answer: &str) -> Result<i64, String> {
    answer
        .parse()
        .map_err(|_| format!("\"{answer}\" is not a whole number"))
}

/// Whether `[section] key = setting` passes the terminal's own check. A problem elsewhere in
/// the file (a key not answered yet) is not this answer's business.
fn check_one(
    file: &ConfigEdit,
    section: &str,
    key: &str,
    setting: &Setting,
    env: &Environment,
) -> Result<(), String> {
    let mut trial = file.clone();
    trial.set(section, key, setting.clone());
    match trial.check(env) {
        // The file is the one being set up: the message alone says what is wrong.
        Err(error) if error.message.contains(&format!("[{section}] {key}")) => Err(error.message),
        _ => Ok(()),
    }
}

/// What became of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Restarted,
    NotRestarted,
    /// No systemd here: nothing runs the terminal in the background.
    NoSystemd,
}

/// Restarts the service, so it reads the new settings and the token; says what to do when it
/// cannot (no systemd here, or not root).
fn restart_service() -> Service {
    let restarted = std::process::Command::new("systemctl")
        .args(["restart", SERVICE])
        .status();
    match restarted {
        Ok(status) if status.success() => {
            println!("Restarted {SERVICE}.");
            Service::Restarted
        }
        Ok(_) => {
            println!(
                "The service was not restarted: run `sudo systemctl restart {SERVICE}` for the new settings to take effect."
            );
            Service::NotRestarted
        }
        Err(_) => {
            println!("No systemd here: restart the terminal to use the new settings.");
            Service::NoSystemd
        }
    }
}

/// How long a restarted terminal may take to listen for commands.
const TERMINAL_UP: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits (at most `TERMINAL_UP`) for the restarted terminal's control socket.
async fn terminal_listens(launch: &Launch) -> bool {
    let Ok(socket) = crate::terminal::control_socket_for(launch) else {
        return false;
    };
    let deadline = tokio::time::Instant::now() + TERMINAL_UP;
    while !socket.exists() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    true
}

/// Questions on the technician's terminal, or none.
struct Asker {
    interactive: bool,
    stdin: std::io::StdinLock<'static>,
}

impl Asker {
    /// Asks until `check` accepts the answer: `Some(answer)`, or `None` to keep `current`
    /// (Enter). Not interactive, nothing is asked and the current value stays.
    fn ask(
        &mut self,
        question: &str,
        current: Option<&str>,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> Result<Option<String>, String> {
        if !self.interactive {
            return Ok(None);
        }
        loop {
            match current {
                Some(current) => print!("{question} [{current}]: "),
                None => print!("{question}: "),
            }
            let line = self.line()?;
            let answer = line.trim();
            if answer.is_empty() {
                if current.is_some() {
                    return Ok(None);
                }
                println!("  This one is needed.");
                continue;
            }
            match check(answer) {
                Ok(()) => return Ok(Some(answer.to_string())),
                Err(problem) => println!("  {problem}"),
            }
        }
    }

    /// A yes or no, yes by default; no when not interactive, or when the answer cannot be read.
    fn confirm(&mut self, question: &str) -> bool {
        if !self.interactive {
            return false;
        }
        print!("{question} [Y/n]: ");
        self.line()
            .is_ok_and(|line| !line.trim().to_ascii_lowercase().starts_with('n'))
    }

    fn line(&mut self) -> Result<String, String> {
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match self.stdin.read_line(&mut line) {
            Ok(0) => Err("setup stopped before it was done: nothing was changed".into()),
            Ok(_) => Ok(line),
            Err(error) => Err(format!("cannot read the answer: {error}")),
        }
    }
}
