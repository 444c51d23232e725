//! The terminal's configuration: where it is found, what every key means, and the checks that
//! refuse a bad file at start with a message naming the key and what it allows.
//!
//! The file is TOML. With no file anywhere, the terminal runs in demo mode against the built-in
//! simulator, so a fresh checkout sells without a Monime account.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::money::{Currency, CurrencyStyle, parse_minor_units};
use crate::monime::ApiVersion;
use crate::monime::duration::parse_go_duration;
use crate::printer::{CodePage, ReceiptQr};
use crate::qr::QrPayload;
use crate::secret::AccessToken;

/// Where an installed terminal keeps its configuration.
pub const SYSTEM_CONFIG_PATH: &str = "/etc/paycode-kiosk/config.toml";
/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "PAYCODE_KIOSK_CONFIG";
/// Environment variable whose value replaces the token from the file.
pub const TOKEN_ENV: &str = "MONIME_ACCESS_TOKEN";
/// Name of the systemd credential (`LoadCredential=`) read when the file names no token.
pub const TOKEN_CREDENTIAL: &str = "monime-access-token";

const DEFAULT_CODE_NAME: &str = "{merchant} sale {sale}";
/// Sale numbers are expanded into `code_name`; the check assumes the longest one a journal makes.
const LONGEST_SALE_NUMBER: &str = "9999999999";

/// A configuration that passed every check.
#[derive(Debug, Clone)]
pub struct Config {
    pub monime: MonimeConfig,
    pub kiosk: KioskConfig,
    pub printer: Option<PrinterConfig>,
    pub storage: StorageConfig,
    /// The file it came from; `None` in demo mode.
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct MonimeConfig {
    pub base_url: reqwest::Url,
    pub space_id: String,
    pub access_token: AccessToken,
    pub api_version: ApiVersion,
    pub currency: Currency,
    /// Sent to Monime as written (it is already in Monime's format); `code_lifetime` is its value.
    pub code_duration: String,
    pub code_lifetime: Duration,
    pub code_name: String,
    pub financial_account_id: Option<String>,
    pub authorized_providers: Vec<String>,
    pub request_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct KioskConfig {
    pub merchant_name: String,
    pub terminal_id: String,
    pub poll_interval: Duration,
    pub admin_pin: String,
    pub currency_style: CurrencyStyle,
    /// The largest amount the keypad accepts, in minor units.
    pub max_amount_minor: i64,
    pub qr_payload: QrPayload,
    /// Seconds the PAID screen stays before the next sale; `None` waits for New sale.
    pub paid_screen_secs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowControl {
    None,
    Software,
    Hardware,
}

#[derive(Debug, Clone)]
pub struct PrinterConfig {
    pub device: PrinterDevice,
    pub baud: u32,
    pub flow_control: FlowControl,
    pub width_chars: u16,
    pub code_page: CodePage,
    pub qr: ReceiptQr,
    /// Lines printed under the merchant's name.
    pub header: Vec<String>,
    pub footer: String,
}

/// Where receipts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterDevice {
    /// A serial printer's device node.
    Serial(PathBuf),
    /// The virtual printer: a PNG and a text file for each receipt, in this folder.
    Virtual(PathBuf),
}

impl std::fmt::Display for PrinterDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrinterDevice::Serial(path) => write!(f, "{}", path.display()),
            PrinterDevice::Virtual(folder) => write!(f, "virtual printer in {}", folder.display()),
        }
    }
}

/// `device` value that selects the virtual printer.
pub const VIRTUAL_PRINTER: &str = "virtual";
const DEFAULT_FOOTER: &str = "Thank you!";

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The journal database file.
    pub path: PathBuf,
}

/// A configuration refused, with the file and key it is about and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{}{message}", file.as_ref().map(|path| format!("config file {}: ", path.display())).unwrap_or_default())]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    pub message: String,
}

/// Where the configuration comes from, in the order the terminal looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    Demo,
}

impl ConfigSource {
    /// `--config FILE`, else `$PAYCODE_KIOSK_CONFIG`, else the system file if present, else demo.
    pub fn locate(cli_path: Option<&Path>) -> ConfigSource {
        if let Some(path) = cli_path {
            return ConfigSource::File(path.to_path_buf());
        }
        if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|value| !value.is_empty()) {
            return ConfigSource::File(PathBuf::from(path));
        }
        let system = Path::new(SYSTEM_CONFIG_PATH);
        if system.exists() {
            return ConfigSource::File(system.to_path_buf());
        }
        ConfigSource::Demo
    }
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            file: Some(path.to_path_buf()),
            message: format!(
                "cannot be read ({error}); check the path given with --config or ${CONFIG_ENV}"
            ),
        })?;
        Config::parse(&text, Some(path), &Environment::from_process())
    }

    /// Checks configuration text. `file` is only used in messages and to resolve relative paths.
    pub fn parse(
        text: &str,
        file: Option<&Path>,
        env: &Environment,
    ) -> Result<Config, ConfigError> {
        let refuse = |message: String| ConfigError {
            file: file.map(Path::to_path_buf),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            refuse(format!(
                "{}\nEvery key is described in the README under \"Configuration\".",
                error.to_string().trim_end()
            ))
        })?;
        raw.check(file, env).map_err(refuse)
    }

    /// The configuration of demo mode: the built-in simulator at `simulator_url`, test-mode
    /// credentials, and the journal in `data_dir`.
    pub fn demo(simulator_url: reqwest::Url, data_dir: &Path) -> Config {
        Config {
            monime: MonimeConfig {
                base_url: simulator_url,
                space_id: DEMO_SPACE_ID.to_string(),
                access_token: AccessToken::new(DEMO_ACCESS_TOKEN),
                api_version: ApiVersion::default(),
                currency: Currency::Sle,
                code_duration: "10m".into(),
                code_lifetime: Duration::from_secs(600),
                code_name: DEFAULT_CODE_NAME.into(),
                financial_account_id: None,
                authorized_providers: Vec::new(),
                request_timeout: Duration::from_secs(10),
            },
            kiosk: KioskConfig {
                merchant_name: "Demo Shop".into(),
                terminal_id: "DEMO-1".into(),
                poll_interval: Duration::from_millis(1000),
                admin_pin: "0000".into(),
                currency_style: CurrencyStyle::Symbol,
                max_amount_minor: DEFAULT_MAX_AMOUNT_MINOR,
                qr_payload: QrPayload::default(),
                paid_screen_secs: None,
            },
            printer: Some(PrinterConfig {
                device: PrinterDevice::Virtual(data_dir.join("receipts")),
                baud: 19200,
                flow_control: FlowControl::None,
                width_chars: 32,
                code_page: CodePage::default(),
                qr: ReceiptQr::default(),
                header: vec!["12 Siaka Stevens Street, Freetown".into()],
                footer: DEFAULT_FOOTER.into(),
            }),
            storage: StorageConfig {
                path: data_dir.join("journal.sqlite"),
            },
            source: None,
        }
    }

    /// The name Monime stores for a sale's code, from the `code_name` template.
    pub fn code_name_for(&self, sale_number: i64) -> String {
        expand_code_name(
            &self.monime.code_name,
            &self.kiosk.merchant_name,
            &self.kiosk.terminal_id,
            &sale_number.to_string(),
        )
    }
}

/// Where demo mode keeps its journal (and, later, receipt previews): the user's data folder.
pub fn demo_data_dir() -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    let base = non_empty("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("paycode-kiosk").join("demo")
}

pub const DEMO_SPACE_ID: &str = "spc-demo";
pub const DEMO_ACCESS_TOKEN: &str = "mon_test_demo_token";
const DEFAULT_MAX_AMOUNT_MINOR: i64 = 100_000_000;

/// What the process environment contributes, passed in so tests do not touch global state.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub access_token: Option<String>,
    /// `$STATE_DIRECTORY` from systemd's `StateDirectory=`.
    pub state_directory: Option<PathBuf>,
    /// `$CREDENTIALS_DIRECTORY` from systemd's `LoadCredential=`.
    pub credentials_directory: Option<PathBuf>,
}

impl Environment {
    pub fn from_process() -> Environment {
        let non_empty = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Environment {
            access_token: non_empty(TOKEN_ENV),
            state_directory: non_empty("STATE_DIRECTORY").map(PathBuf::from),
            credentials_directory: non_empty("CREDENTIALS_DIRECTORY").map(PathBuf::from),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    monime: RawMonime,
    #[serde(default)]
    kiosk: RawKiosk,
    #[serde(default)]
    printer: RawPrinter,
    #[serde(default)]
    storage: RawStorage,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMonime {
    base_url: Option<String>,
    space_id: Option<String>,
    access_token: Option<String>,
    access_token_file: Option<PathBuf>,
    api_version: Option<String>,
    currency: Option<String>,
    code_duration: Option<String>,
    code_name: Option<String>,
    financial_account_id: Option<String>,
    authorized_providers: Option<Vec<String>>,
    request_timeout_secs: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKiosk {
    merchant_name: Option<String>,
    terminal_id: Option<String>,
    poll_interval_ms: Option<u64>,
    admin_pin: Option<String>,
    currency_style: Option<CurrencyStyle>,
    max_amount: Option<AmountText>,
    qr_payload: Option<QrPayload>,
    paid_screen_secs: Option<u32>,
}

/// An amount in the file may be written `5000` or `"5000.00"`; a TOML float is refused so that
/// no amount ever passes through binary floating point.
#[derive(Deserialize)]
#[serde(untagged)]
enum AmountText {
    Integer(i64),
    Text(String),
    Float(f64),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPrinter {
    device: Option<PathBuf>,
    baud: Option<u32>,
    flow_control: Option<FlowControl>,
    width_chars: Option<u16>,
    code_page: Option<CodePage>,
    qr: Option<ReceiptQr>,
    header: Option<Vec<String>>,
    footer: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    path: Option<PathBuf>,
}

/// Baud rates serial thermal printers are sold with.
pub const BAUD_RATES: [u32; 6] = [9600, 19200, 38400, 57600, 115200, 230400];
/// Characters per line of 58 mm (32) and 80 mm (42 with font A on some, 48 on most) printers.
pub const PRINTER_WIDTHS: [u16; 3] = [32, 42, 48];
const MIN_POLL_INTERVAL_MS: u64 = 250;
const MAX_POLL_INTERVAL_MS: u64 = 10_000;

impl RawConfig {
    fn check(self, file: Option<&Path>, env: &Environment) -> Result<Config, String> {
        let base_dir = file
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let kiosk = self.kiosk.check()?;
        let monime = self.monime.check(&kiosk, &base_dir, env)?;
        let storage = self.storage.check(&base_dir, env)?;
        let printer = self.printer.check(&storage)?;
        Ok(Config {
            monime,
            kiosk,
            printer,
            storage,
            source: file.map(Path::to_path_buf),
        })
    }
}

impl RawMonime {
    fn check(
        self,
        kiosk: &KioskConfig,
        base_dir: &Path,
        env: &Environment,
    ) -> Result<MonimeConfig, String> {
        let base_url = check_base_url(self.base_url.as_deref().unwrap_or("https://api.monime.io"))?;
        let access_token = self.access_token_from(base_dir, env)?;
        let space_id = required_text(self.space_id, "[monime] space_id", "spc-...")?;
        if space_id.len() > 64 {
            return Err("[monime] space_id is longer than Monime's 64 characters: copy it again from the Monime dashboard".into());
        }
        let api_version = match self.api_version {
            Some(text) => text
                .parse::<ApiVersion>()
                .map_err(|error| format!("[monime] api_version: {error}"))?,
            None => ApiVersion::default(),
        };
        let currency = match self.currency {
            Some(text) => text
                .parse::<Currency>()
                .map_err(|error| format!("[monime] currency: {error}"))?,
            None => Currency::Sle,
        };
        let code_duration = self.code_duration.unwrap_or_else(|| "10m".into());
        let code_lifetime = parse_go_duration(&code_duration)
            .map_err(|error| format!("[monime] code_duration: {error}"))?;
        if code_lifetime < Duration::from_secs(1) {
            return Err(
                "[monime] code_duration must be at least \"1s\"; Monime's default is \"10m\""
                    .into(),
            );
        }
        let code_name = self.code_name.unwrap_or_else(|| DEFAULT_CODE_NAME.into());
        check_code_name(&code_name, kiosk)?;
        let financial_account_id = optional_text(self.financial_account_id);
        if financial_account_id
            .as_ref()
            .is_some_and(|id| id.len() > 64)
        {
            return Err(
                "[monime] financial_account_id is longer than Monime's 64 characters".into(),
            );
        }
        let authorized_providers = self.authorized_providers.unwrap_or_default();
        if authorized_providers.len() > 10 {
            return Err(
                "[monime] authorized_providers lists more than Monime's 10 providers".into(),
            );
        }
        if let Some(bad) = authorized_providers
            .iter()
            .find(|id| id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(format!(
                "[monime] authorized_providers: \"{bad}\" is not a provider id; use Monime's ids such as \"m17\" (Orange Money) or \"m18\" (Africell AfriMoney), or leave the key out to accept all"
            ));
        }
        let request_timeout = Duration::from_secs(self.request_timeout_secs.unwrap_or(10));
        if !(1..=120).contains(&request_timeout.as_secs()) {
            return Err("[monime] request_timeout_secs must be from 1 to 120".into());
        }
        Ok(MonimeConfig {
            base_url,
            space_id,
            access_token,
            api_version,
            currency,
            code_duration,
            code_lifetime,
            code_name,
            financial_account_id,
            authorized_providers,
            request_timeout,
        })
    }

    /// `$MONIME_ACCESS_TOKEN`, else `access_token`, else `access_token_file`, else the systemd
    /// credential.
    fn access_token_from(&self, base_dir: &Path, env: &Environment) -> Result<AccessToken, String> {
        let (token, origin) = if let Some(token) = &env.access_token {
            (token.clone(), format!("${TOKEN_ENV}"))
        } else if let Some(token) = &self.access_token {
            (token.clone(), "[monime] access_token".to_string())
        } else {
            let credential = env
                .credentials_directory
                .as_ref()
                .map(|dir| dir.join(TOKEN_CREDENTIAL));
            let (path, from_credential) = match (&self.access_token_file, credential) {
                (Some(path), _) => (base_dir.join(path), false),
                (None, Some(path)) => (path, true),
                (None, None) => {
                    return Err(format!(
                        "no Monime access token: set [monime] access_token_file (or access_token), or ${TOKEN_ENV}"
                    ));
                }
            };
            let text = std::fs::read_to_string(&path).map_err(|error| {
                format!(
                    "[monime] access_token_file: cannot read {} ({error}); the file should hold the token on one line",
                    path.display()
                )
            })?;
            let origin = if from_credential {
                // What systemd hands over; the technician edits the file it came from.
                format!(
                    "the credential {TOKEN_CREDENTIAL} (on a terminal: /etc/paycode-kiosk/credentials/{TOKEN_CREDENTIAL})"
                )
            } else {
                format!("the token file {}", path.display())
            };
            (text, origin)
        };
        let token = token.trim();
        if token.is_empty() {
            return Err(format!(
                "{origin} is empty: paste the access token from the Monime dashboard"
            ));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "{origin} has spaces or line breaks inside the token: it must be the token alone"
            ));
        }
        Ok(AccessToken::new(token))
    }
}

impl RawKiosk {
    fn check(self) -> Result<KioskConfig, String> {
        let merchant_name = optional_text(self.merchant_name).unwrap_or_else(|| "Shop".into());
        if merchant_name.chars().count() > 48 {
            return Err(
                "[kiosk] merchant_name is longer than 48 characters, too long for a receipt line"
                    .into(),
            );
        }
        let terminal_id = optional_text(self.terminal_id).unwrap_or_else(|| "KIOSK-1".into());
        if terminal_id.chars().count() > 32
            || !terminal_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(format!(
                "[kiosk] terminal_id \"{terminal_id}\" must be up to 32 letters, digits, '-', '_' or '.'"
            ));
        }
        let poll_ms = self.poll_interval_ms.unwrap_or(1000);
        if !(MIN_POLL_INTERVAL_MS..=MAX_POLL_INTERVAL_MS).contains(&poll_ms) {
            return Err(format!(
                "[kiosk] poll_interval_ms must be from {MIN_POLL_INTERVAL_MS} to {MAX_POLL_INTERVAL_MS} (Monime allows 5 requests per second in test mode); 1000 is the default"
            ));
        }
        let admin_pin = self.admin_pin.unwrap_or_else(|| "0000".into());
        if !(4..=8).contains(&admin_pin.len()) || !admin_pin.chars().all(|c| c.is_ascii_digit()) {
            return Err(
                "[kiosk] admin_pin must be 4 to 8 digits, written in quotes such as \"4821\""
                    .into(),
            );
        }
        let max_amount_minor = match self.max_amount {
            None => DEFAULT_MAX_AMOUNT_MINOR,
            Some(AmountText::Integer(units)) => units
                .checked_mul(100)
                .ok_or_else(|| "[kiosk] max_amount is too large".to_string())?,
            Some(AmountText::Text(text)) => {
                parse_minor_units(&text).map_err(|error| format!("[kiosk] max_amount: {error}"))?
            }
            Some(AmountText::Float(value)) => {
                return Err(format!(
                    "[kiosk] max_amount {value}: an amount with decimals must be written in quotes, such as \"2500.50\""
                ));
            }
        };
        if max_amount_minor <= 0 {
            return Err("[kiosk] max_amount must be more than zero".into());
        }
        let paid_screen_secs = match self.paid_screen_secs {
            None | Some(0) => None,
            Some(secs @ 3..=600) => Some(secs),
            Some(secs) => {
                return Err(format!(
                    "[kiosk] paid_screen_secs {secs}: use 3 to 600 seconds, or 0 to keep the PAID screen until New sale"
                ));
            }
        };
        Ok(KioskConfig {
            merchant_name,
            terminal_id,
            poll_interval: Duration::from_millis(poll_ms),
            admin_pin,
            currency_style: self.currency_style.unwrap_or_default(),
            max_amount_minor,
            qr_payload: self.qr_payload.unwrap_or_default(),
            paid_screen_secs,
        })
    }
}

impl RawPrinter {
    fn check(self, storage: &StorageConfig) -> Result<Option<PrinterConfig>, String> {
        let Some(device) = self.device.filter(|path| !path.as_os_str().is_empty()) else {
            let has_settings = self.baud.is_some()
                || self.flow_control.is_some()
                || self.width_chars.is_some()
                || self.code_page.is_some()
                || self.qr.is_some()
                || self.header.is_some()
                || self.footer.is_some();
            if has_settings {
                return Err("[printer] has settings but no device: set device (such as \"/dev/ttyUSB0\", or \"virtual\") or remove the [printer] section".into());
            }
            return Ok(None);
        };
        let device = if device.as_os_str() == VIRTUAL_PRINTER {
            PrinterDevice::Virtual(storage.receipt_previews())
        } else {
            PrinterDevice::Serial(device)
        };
        let baud = self.baud.unwrap_or(19200);
        if !BAUD_RATES.contains(&baud) {
            return Err(format!(
                "[printer] baud {baud} is not one a printer uses: choose one of {BAUD_RATES:?} (the printer's self-test page shows it)"
            ));
        }
        let width_chars = self.width_chars.unwrap_or(32);
        if !PRINTER_WIDTHS.contains(&width_chars) {
            return Err(format!(
                "[printer] width_chars {width_chars}: choose 32 (58 mm paper), 42 or 48 (80 mm paper)"
            ));
        }
        let header = self.header.unwrap_or_default();
        let footer = self.footer.unwrap_or_else(|| DEFAULT_FOOTER.into());
        let too_long = header
            .iter()
            .chain(std::iter::once(&footer))
            .find(|line| line.chars().count() > 3 * usize::from(width_chars));
        if let Some(line) = too_long {
            return Err(format!(
                "[printer] header or footer line \"{line}\" is longer than three printed lines; shorten it or split it"
            ));
        }
        Ok(Some(PrinterConfig {
            device,
            baud,
            flow_control: self.flow_control.unwrap_or(FlowControl::None),
            width_chars,
            code_page: self.code_page.unwrap_or_default(),
            qr: self.qr.unwrap_or_default(),
            header,
            footer,
        }))
    }
}

impl StorageConfig {
    /// Where the virtual printer puts its receipts: beside the journal.
    pub fn receipt_previews(&self) -> PathBuf {
        self.path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("receipts")
    }
}

impl RawStorage {
    fn check(self, base_dir: &Path, env: &Environment) -> Result<StorageConfig, String> {
        let path = match self.path {
            Some(path) if path.as_os_str().is_empty() => {
                return Err("[storage] path is empty: name the journal file, such as \"/var/lib/paycode-kiosk/journal.sqlite\"".into());
            }
            Some(path) => base_dir.join(path),
            None => env
                .state_directory
                .clone()
                .unwrap_or_else(|| PathBuf::from("/var/lib/paycode-kiosk"))
                .join("journal.sqlite"),
        };
        Ok(StorageConfig { path })
    }
}

fn check_base_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text).map_err(|error| {
        format!("[monime] base_url \"{text}\" is not a URL ({error}); the default is https://api.monime.io")
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "[monime] base_url \"{text}\" is plain http: the token would cross the network unencrypted; use https (http is allowed only for a simulator on this machine)"
            ));
        }
        other => {
            return Err(format!(
                "[monime] base_url scheme \"{other}\" is not supported: use https"
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "[monime] base_url \"{text}\" must be a plain address such as https://api.monime.io"
        ));
    }
    Ok(url)
}

fn check_code_name(template: &str, kiosk: &KioskConfig) -> Result<(), String> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("[monime] code_name \"{template}\" has a '{{' without '}}'"))?;
        let placeholder = &rest[open + 1..open + close];
        if !["merchant", "terminal", "sale"].contains(&placeholder) {
            return Err(format!(
                "[monime] code_name: unknown placeholder {{{placeholder}}}; use {{merchant}}, {{terminal}} and {{sale}}"
            ));
        }
        rest = &rest[open + close + 1..];
    }
    let shortest = expand_code_name(template, &kiosk.merchant_name, &kiosk.terminal_id, "1");
    let longest = expand_code_name(
        template,
        &kiosk.merchant_name,
        &kiosk.terminal_id,
        LONGEST_SALE_NUMBER,
    );
    if shortest.chars().count() < 3 || longest.chars().count() > 64 {
        return Err(format!(
            "[monime] code_name \"{template}\" expands to \"{longest}\" ({} characters); Monime takes 3 to 64: shorten merchant_name or the template",
            longest.chars().count()
        ));
    }
    Ok(())
}

fn expand_code_name(template: &str, merchant: &str, terminal: &str, sale: &str) -> String {
    template
        .replace("{merchant}", merchant)
        .replace("{terminal}", terminal)
        .replace("{sale}", sale)
}

fn required_text(value: Option<String>, key: &str, example: &str) -> Result<String, String> {
    optional_text(value).ok_or_else(|| {
        format!("{key} is missing: copy it from the Monime dashboard (it looks like \"{example}\")")
    })
}

fn optional_text(value: Option<String>) -> Option<String> {
    value
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let text = include_str!("../systemd/config.example.toml");
        let config = Config::parse(text, None, &env).expect("the shipped example is valid");
        assert_eq!(config.kiosk.admin_pin, "4821");
        assert_eq!(config.monime.access_token.expose(), "mon_test_abc");
        assert!(config.printer.is_some());
    }

    #[test]
    fn minimal_file_gets_the_documented_defaults() {
        let config = parse(MINIMAL).expect("valid");
        assert_eq!(config.monime.base_url.as_str(), "https://api.monime.io/");
        assert_eq!(config.monime.api_version, ApiVersion::default());
        assert_eq!(config.monime.currency, Currency::Sle);
        assert_eq!(config.monime.code_lifetime, Duration::from_secs(600));
        assert_eq!(config.kiosk.poll_interval, Duration::from_millis(1000));
        assert!(config.printer.is_none());
        assert_eq!(
            config.storage.path,
            PathBuf::from("/var/lib/paycode-kiosk/journal.sqlite")
        );
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
        ];
        for (extra, expected) in monime_cases {
            let message = refusal(&format!("{MINIMAL}{extra}\n"));
            assert!(message.contains(expected), "{extra}: {message}");
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
            assert_eq!(config.monime.base_url.scheme(), "http");
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
        assert_eq!(config.monime.access_token.expose(), "mon_test_fromfile");

        let env = Environment {
            access_token: Some("mon_test_env".into()),
            ..Environment::default()
        };
        let config = Config::parse(text, Some(&file), &env).expect("valid");
        assert_eq!(config.monime.access_token.expose(), "mon_test_env");

        let env = Environment {
            credentials_directory: Some(dir.path().to_path_buf()),
            ..Environment::default()
        };
        let config =
            Config::parse("[monime]\nspace_id = \"spc-x\"\n", Some(&file), &env).expect("valid");
        assert_eq!(config.monime.access_token.expose(), "mon_test_credential");
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
        let config =
            parse(&format!("{MINIMAL}\n[kiosk]\nmax_amount = \"99.99\"\n")).expect("valid");
        assert_eq!(config.kiosk.max_amount_minor, 9_999);
    }
}
