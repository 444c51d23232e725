//! The configuration file as TOML gives it, and the checks that turn it into `Config`: every
//! key is optional here, and each check names the key and what it allows when it refuses one.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::cashiers::{RawCashier, check_cashiers, check_idle_sign_out, is_pin};
use super::fields::AmountText;
use super::items::{RawItem, check_items, check_tips};
use super::metrics::RawMetrics;
use super::refunds::RawRefunds;
use super::token::find_token;
use super::{Config, Environment, KioskConfig, MonimeConfig, StorageConfig, expand_code_name};
use crate::lang::Language;
use crate::money::{Currency, CurrencyStyle};
use crate::monime::duration::parse_go_duration;
use crate::monime::{ApiVersion, ClientSettings};
use crate::printer::{
    BAUD_RATES, CodePage, FlowControl, PRINTER_WIDTHS, PrinterDevice, PrinterModel,
    PrinterSettings, ReceiptQr, ShopLines,
};
use crate::qr::QrPayload;

/// `device` value that selects the virtual printer.
pub(super) const VIRTUAL_PRINTER: &str = "virtual";
const DEFAULT_CODE_NAME: &str = "{merchant} sale {sale}";
/// Sale numbers are expanded into `code_name`; the check assumes the longest one a journal makes.
const LONGEST_SALE_NUMBER: &str = "9999999999";
const DEFAULT_MAX_AMOUNT_MINOR: i64 = 100_000_000;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) monime: RawMonime,
    #[serde(default)]
    pub(super) kiosk: RawKiosk,
    #[serde(default)]
    pub(super) printer: RawPrinter,
    #[serde(default)]
    pub(super) storage: RawStorage,
    #[serde(default)]
    pub(super) cashiers: Vec<RawCashier>,
    #[serde(default)]
    pub(super) items: Vec<RawItem>,
    #[serde(default)]
    pub(super) refunds: RawRefunds,
    #[serde(default)]
    pub(super) metrics: RawMetrics,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMonime {
    pub(super) base_url: Option<String>,
    pub(super) space_id: Option<String>,
    pub(super) access_token: Option<String>,
    pub(super) access_token_file: Option<PathBuf>,
    pub(super) api_version: Option<String>,
    pub(super) currency: Option<String>,
    pub(super) code_duration: Option<String>,
    pub(super) code_name: Option<String>,
    pub(super) financial_account_id: Option<String>,
    pub(super) authorized_providers: Option<Vec<String>>,
    pub(super) request_timeout_secs: Option<u64>,
    pub(super) shared_space: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKiosk {
    pub(super) merchant_name: Option<String>,
    pub(super) terminal_id: Option<String>,
    pub(super) poll_interval_ms: Option<u64>,
    pub(super) admin_pin: Option<String>,
    pub(super) currency_style: Option<CurrencyStyle>,
    pub(super) max_amount: Option<AmountText>,
    pub(super) qr_payload: Option<QrPayload>,
    pub(super) paid_screen_secs: Option<u32>,
    pub(super) idle_sign_out_mins: Option<u32>,
    pub(super) language: Option<String>,
    pub(super) tips: Option<Vec<u8>>,
    pub(super) tip_round_up_to: Option<AmountText>,
    pub(super) screen_idle_mins: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrinter {
    pub(super) device: Option<String>,
    pub(super) model: Option<PrinterModel>,
    pub(super) baud: Option<u32>,
    pub(super) flow_control: Option<FlowControl>,
    pub(super) width_chars: Option<u16>,
    pub(super) code_page: Option<CodePage>,
    pub(super) qr: Option<ReceiptQr>,
    /// Lines, or a table of lines by language (see `shop_lines`).
    pub(super) header: Option<toml::Value>,
    pub(super) footer: Option<toml::Value>,
    pub(super) buzzer: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    pub(super) path: Option<PathBuf>,
}

/// The problems found so far, as the sections are checked one by one.
struct Problems<'a>(&'a mut Vec<String>);

impl Problems<'_> {
    /// What `checked` gave, or its problem noted.
    fn ok<T>(&mut self, checked: Result<T, String>) -> Option<T> {
        checked.map_err(|problem| self.0.push(problem)).ok()
    }
}

const MIN_POLL_INTERVAL_MS: u64 = 250;
const MAX_POLL_INTERVAL_MS: u64 = 10_000;

impl RawConfig {
    pub(super) fn check(self, file: Option<&Path>, env: &Environment) -> Result<Config, String> {
        self.check_all(file, env)
            .map_err(|problems| problems.join("\n"))
    }

    /// Checks every section, and gives every problem found: a section that depends on another
    /// (the cashiers on the admin PIN, the printer on the storage) is checked once that one is.
    pub(super) fn check_all(
        self,
        file: Option<&Path>,
        env: &Environment,
    ) -> Result<Config, Vec<String>> {
        let base_dir = file
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut problems = Vec::new();
        let mut take = Problems(&mut problems);
        let idle_sign_out_mins = self.kiosk.idle_sign_out_mins;
        let mut kiosk = take.ok(self.kiosk.check());
        let cashiers = kiosk
            .as_ref()
            .and_then(|kiosk| take.ok(check_cashiers(self.cashiers, &kiosk.admin_pin)));
        if let (Some(kiosk), Some(cashiers)) = (&mut kiosk, &cashiers) {
            kiosk.idle_sign_out = take
                .ok(check_idle_sign_out(idle_sign_out_mins, cashiers))
                .flatten();
        }
        let monime = kiosk
            .as_ref()
            .and_then(|kiosk| take.ok(self.monime.check(kiosk, &base_dir, env)));
        let items = kiosk
            .as_ref()
            .and_then(|kiosk| take.ok(check_items(self.items, kiosk.max_amount_minor)));
        let storage = take.ok(self.storage.check(&base_dir, env));
        let printer = storage
            .as_ref()
            .and_then(|storage| take.ok(self.printer.check(storage)));
        let refunds = take.ok(self.refunds.check());
        let metrics = take.ok(self.metrics.check());
        let (
            Some(kiosk),
            Some(cashiers),
            Some(monime),
            Some(items),
            Some(storage),
            Some(printer),
            Some(refunds),
            Some(metrics),
        ) = (
            kiosk, cashiers, monime, items, storage, printer, refunds, metrics,
        )
        else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Config {
            monime,
            kiosk,
            printer,
            storage,
            cashiers,
            items,
            refunds,
            metrics,
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
        let (access_token, token_origin) = find_token(
            self.access_token.as_deref(),
            self.access_token_file.as_deref(),
            base_dir,
            env,
        )?;
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
            client: ClientSettings {
                shared_space: self.shared_space.unwrap_or(false),
                ..ClientSettings::new(
                    base_url,
                    space_id,
                    access_token,
                    api_version,
                    request_timeout,
                )
            },
            token_origin,
            currency,
            code_duration,
            code_lifetime,
            code_name,
            financial_account_id,
            authorized_providers,
        })
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
        if !is_pin(&admin_pin) {
            return Err(
                "[kiosk] admin_pin must be 4 to 8 digits, written in quotes such as \"4821\""
                    .into(),
            );
        }
        let max_amount_minor = match self.max_amount {
            None => DEFAULT_MAX_AMOUNT_MINOR,
            Some(amount) => amount.minor_units("[kiosk] max_amount")?,
        };
        let tips = check_tips(self.tips, self.tip_round_up_to)?;
        let screen_idle = match self.screen_idle_mins {
            None | Some(0) => None,
            Some(mins @ 1..=720) => Some(Duration::from_secs(u64::from(mins) * 60)),
            Some(mins) => {
                return Err(format!(
                    "[kiosk] screen_idle_mins {mins}: use 1 to 720 minutes, or 0 to keep the screen lit"
                ));
            }
        };
        let paid_screen_secs = match self.paid_screen_secs {
            None | Some(0) => None,
            Some(secs @ 3..=600) => Some(secs),
            Some(secs) => {
                return Err(format!(
                    "[kiosk] paid_screen_secs {secs}: use 3 to 600 seconds, or 0 to keep the PAID screen until New sale"
                ));
            }
        };
        let language = match self.language.as_deref().map(str::trim) {
            None => Language::default(),
            Some(code) => Language::from_code(code).ok_or_else(|| {
                format!(
                    "[kiosk] language \"{code}\": use \"en\" (English), \"fr\" (French) or \"kri\" (Krio)"
                )
            })?,
        };
        Ok(KioskConfig {
            language,
            merchant_name,
            terminal_id,
            poll_interval: Duration::from_millis(poll_ms),
            admin_pin,
            currency_style: self.currency_style.unwrap_or_default(),
            max_amount_minor,
            qr_payload: self.qr_payload.unwrap_or_default(),
            paid_screen_secs,
            idle_sign_out: None,
            tips,
            screen_idle,
        })
    }
}

impl RawPrinter {
    fn check(self, storage: &StorageConfig) -> Result<Option<PrinterSettings>, String> {
        let Some(device) = self.device.filter(|device| !device.is_empty()) else {
            let has_settings = self.model.is_some()
                || self.baud.is_some()
                || self.flow_control.is_some()
                || self.width_chars.is_some()
                || self.code_page.is_some()
                || self.qr.is_some()
                || self.header.is_some()
                || self.footer.is_some()
                || self.buzzer.is_some();
            if has_settings {
                return Err("[printer] has settings but no device: set device (such as \"auto\", \"/dev/usb/lp0\", \"tcp://192.168.1.50\" or \"virtual\") or remove the [printer] section".into());
            }
            return Ok(None);
        };
        let device = PrinterDevice::parse(&device, &storage.receipt_previews())?;
        let defaults = PrinterSettings::for_device(device);
        let model = self.model.unwrap_or(defaults.model);
        // Checked whatever the device: a serial printer may be put back in later.
        let baud = self.baud.unwrap_or(defaults.baud);
        if !BAUD_RATES.contains(&baud) {
            return Err(format!(
                "[printer] baud {baud} is not one a printer uses: choose one of {BAUD_RATES:?} (the printer's self-test page shows it)"
            ));
        }
        let width_chars = self.width_chars.unwrap_or(defaults.width_chars);
        if !PRINTER_WIDTHS.contains(&width_chars) {
            return Err(format!(
                "[printer] width_chars {width_chars}: choose 32 (58 mm paper), 42 or 48 (80 mm paper)"
            ));
        }
        let code_page = self.code_page.unwrap_or(defaults.code_page);
        if model.page_number(code_page).is_none() {
            return Err(format!(
                "[printer] code_page {}: {} printers do not have it; choose one of {}",
                code_page.name(),
                model.name(),
                model.page_names().join(", ")
            ));
        }
        let buzzer = self.buzzer.unwrap_or(defaults.buzzer);
        if buzzer && model.commands().chime.is_none() {
            return Err(format!(
                "[printer] buzzer: {} printers have no buzzer; set buzzer = false or the printer's model",
                model.name()
            ));
        }
        let header = match self.header {
            Some(value) => shop_lines("header", value)?,
            None => ShopLines::default(),
        };
        let footer = self
            .footer
            .map(|value| shop_lines("footer", value))
            .transpose()?;
        let too_long = header
            .every_line()
            .chain(footer.iter().flat_map(ShopLines::every_line))
            .find(|line| line.chars().count() > 3 * usize::from(width_chars));
        if let Some(line) = too_long {
            return Err(format!(
                "[printer] header or footer line \"{line}\" is longer than three printed lines; shorten it or split it"
            ));
        }
        Ok(Some(PrinterSettings {
            model,
            baud,
            flow_control: self.flow_control.unwrap_or(defaults.flow_control),
            width_chars,
            code_page,
            qr: self.qr.unwrap_or(model.commands().qr),
            header,
            footer,
            buzzer,
            ..defaults
        }))
    }
}

/// The shop's own lines as the file gives them: one text, a list of lines, or either of those
/// for each language (`footer = { en = "Thank you!", fr = "Merci !" }`).
fn shop_lines(key: &str, value: toml::Value) -> Result<ShopLines, String> {
    let form = format!(
        "give one text, a list of lines, or one of those for each language, as {key} = {{ en = \"Thank you!\", fr = \"Merci !\", kri = \"Tɛnki!\" }}"
    );
    let lines = |value: toml::Value| -> Result<Vec<String>, String> {
        match value {
            toml::Value::String(text) => Ok(vec![text]),
            toml::Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    toml::Value::String(text) => Ok(text),
                    other => Err(format!("[printer] {key} has {other}, not a text: {form}")),
                })
                .collect(),
            other => Err(format!("[printer] {key} is {other}: {form}")),
        }
    };
    match value {
        toml::Value::Table(table) => {
            let mut by_language = Vec::new();
            for (code, value) in table {
                let language = Language::from_code(&code).ok_or_else(|| {
                    let codes: Vec<_> = Language::ALL.iter().map(|l| l.code()).collect();
                    format!(
                        "[printer] {key} names language \"{code}\": the terminal speaks {}",
                        codes.join(", ")
                    )
                })?;
                by_language.push((language, lines(value)?));
            }
            Ok(ShopLines {
                all: Vec::new(),
                by_language,
            })
        }
        value => lines(value).map(ShopLines::same),
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
