//! The terminal's configuration: where it is found, and the checked settings it yields.
//!
//! The file is TOML (`raw` reads it and refuses a bad file at start with a message naming the
//! key and what it allows; `token` finds the Monime access token; `edit` changes a file key by
//! key for `setup`). With no file anywhere, `terminal::Launch` decides: demo mode (`demo`, the
//! built-in simulator, so a fresh checkout sells without a Monime account) when asked or on a
//! developer's desktop, else a terminal waiting to be set up. The settings of the client and of the printer belong to those
//! modules (`monime::ClientSettings`, `printer::PrinterSettings`); this module only fills them.

mod cashiers;
mod demo;
pub mod edit;
mod fields;
mod items;
mod metrics;
mod problems;
mod raw;
mod refunds;
mod token;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::lang::Language;
use crate::money::{Currency, CurrencyStyle};
use crate::monime::ClientSettings;
use crate::order::{Item, TipOffer};
use crate::printer::PrinterSettings;
use crate::qr::QrPayload;
use crate::refund::RefundPolicy;
use crate::secret::AccessToken;

pub use cashiers::{Cashier, RefundPinRefusal, refunder_of_pin};
pub use demo::demo_data_dir;
pub use metrics::{DEBIAN_TEXTFILE_DIR, MetricsTarget};
pub use token::{TOKEN_CREDENTIAL, TOKEN_ENV, TokenOrigin, token_exposed};

/// Where an installed terminal keeps its configuration.
pub const SYSTEM_CONFIG_PATH: &str = "/etc/paycode-kiosk/config.toml";
/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "PAYCODE_KIOSK_CONFIG";

/// A configuration that passed every check.
#[derive(Debug, Clone)]
pub struct Config {
    pub monime: MonimeConfig,
    pub kiosk: KioskConfig,
    pub printer: Option<PrinterSettings>,
    pub storage: StorageConfig,
    /// Who may sign in; empty when the shop does not use cashiers.
    pub cashiers: Vec<Cashier>,
    /// The item keys (`[[items]]`); empty: the keypad alone.
    pub items: Vec<Item>,
    /// Whether and within what the terminal sends money back (`[refunds]`); off by default.
    pub refunds: RefundPolicy,
    /// Where the Prometheus metrics are written (`[metrics]`).
    pub metrics: MetricsTarget,
    /// The file it came from; `None` in demo mode.
    pub source: Option<PathBuf>,
}

/// How the terminal talks to Monime, and what its payment codes look like.
#[derive(Debug, Clone)]
pub struct MonimeConfig {
    pub client: ClientSettings,
    /// Where the access token came from, for messages when Monime refuses it.
    pub token_origin: TokenOrigin,
    pub currency: Currency,
    /// Sent to Monime as written (it is already in Monime's format); `code_lifetime` is its value.
    pub code_duration: String,
    pub code_lifetime: Duration,
    pub code_name: String,
    pub financial_account_id: Option<String>,
    pub authorized_providers: Vec<String>,
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
    /// A signed-in cashier is signed out after this long without a tap; `None` never.
    pub idle_sign_out: Option<Duration>,
    /// The screen's and the paper's language until one is chosen on the admin screen (the
    /// choice, kept in the journal, wins: see `Journal::chosen_language`).
    pub language: Language,
    /// The tips offered after Charge; off when empty.
    pub tips: TipOffer,
    /// The screen rests after this long on the keypad without a tap; `None` never.
    pub screen_idle: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The journal database file.
    pub path: PathBuf,
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

/// What the process environment contributes, passed in so tests do not touch global state.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `$MONIME_ACCESS_TOKEN`, or the token `setup` is about to write.
    pub access_token: Option<AccessToken>,
    /// `$STATE_DIRECTORY` from systemd's `StateDirectory=`.
    pub state_directory: Option<PathBuf>,
    /// `$CREDENTIALS_DIRECTORY` from systemd's `LoadCredential=`.
    pub credentials_directory: Option<PathBuf>,
}

impl Environment {
    pub fn from_process() -> Environment {
        let non_empty = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Environment {
            access_token: non_empty(TOKEN_ENV).map(AccessToken::new),
            state_directory: non_empty("STATE_DIRECTORY").map(PathBuf::from),
            credentials_directory: non_empty("CREDENTIALS_DIRECTORY").map(PathBuf::from),
        }
    }
}

/// Why a file of the terminal's was refused to this process: the configuration (with its PINs)
/// is read by root and group paycode-kiosk, the token by root alone (`readers`). Said by a
/// command, which sudo lets through, and by a service that cannot read its own configuration.
pub(crate) fn not_for_this_user(error: &std::io::Error, readers: &str) -> String {
    format!("cannot be read by this user ({error}): {readers}; run the command with sudo")
}

impl Config {
    /// The configuration `ConfigSource::locate` finds, or `None` for demo mode.
    pub fn find(cli_path: Option<&Path>) -> Result<Option<Config>, ConfigError> {
        match ConfigSource::locate(cli_path) {
            ConfigSource::File(path) => Config::load(&path).map(Some),
            ConfigSource::Demo => Ok(None),
        }
    }

    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            file: Some(path.to_path_buf()),
            message: if error.kind() == std::io::ErrorKind::PermissionDenied {
                not_for_this_user(&error, "only root and group paycode-kiosk read it")
            } else {
                format!(
                    "cannot be read ({error}); check the path given with --config or ${CONFIG_ENV}"
                )
            },
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
        let raw = problems::read(text).map_err(|found| refuse(problems::describe(&found)))?;
        raw.check_all(file, env).map_err(|found| {
            let found: Vec<problems::Problem> = found
                .into_iter()
                .map(|message| problems::checked(text, message))
                .collect();
            refuse(problems::describe(&found))
        })
    }

    /// The name Monime stores for a sale's code, from the `code_name` template.
    pub fn code_name_for(&self, sale_number: i64) -> String {
        self.code_name_for_template()
            .replace("{sale}", &sale_number.to_string())
    }

    /// The `code_name` template with the merchant and terminal filled in and `{sale}` left
    /// for each sale's number.
    pub fn code_name_for_template(&self) -> String {
        expand_code_name(
            &self.monime.code_name,
            &self.kiosk.merchant_name,
            &self.kiosk.terminal_id,
            "{sale}",
        )
    }
}

fn expand_code_name(template: &str, merchant: &str, terminal: &str, sale: &str) -> String {
    template
        .replace("{merchant}", merchant)
        .replace("{terminal}", terminal)
        .replace("{sale}", sale)
}

#[cfg(test)]
mod tests;
