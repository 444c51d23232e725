//! Demo mode's configuration: the built-in simulator, its test-mode credentials, a virtual printer
//! and a journal in the user's data folder. It goes through the same checks as a file, so every
//! default is the one a file without those keys gets.

use std::path::{Path, PathBuf};

use super::fields::AmountText;
use super::metrics::RawMetrics;
use super::raw::{RawConfig, RawKiosk, RawMonime, RawPrinter, RawStorage};
use super::refunds::RawRefunds;
use super::{Config, ConfigError, Environment};

impl Config {
    /// The configuration of demo mode: the built-in simulator at `simulator_url` with the space
    /// id and token it accepts, and the journal and receipt previews in `data_dir`.
    pub fn demo(
        simulator_url: &reqwest::Url,
        (space_id, access_token): (&str, &str),
        data_dir: &Path,
    ) -> Result<Config, ConfigError> {
        let raw = RawConfig {
            items: Vec::new(),
            monime: RawMonime {
                base_url: Some(simulator_url.to_string()),
                space_id: Some(space_id.into()),
                access_token: Some(access_token.into()),
                ..RawMonime::default()
            },
            kiosk: RawKiosk {
                merchant_name: Some("Demo Shop".into()),
                terminal_id: Some("DEMO-1".into()),
                ..RawKiosk::default()
            },
            printer: RawPrinter {
                device: Some(super::raw::VIRTUAL_PRINTER.into()),
                header: Some(toml::Value::String(
                    "12 Siaka Stevens Street, Freetown".into(),
                )),
                ..RawPrinter::default()
            },
            storage: RawStorage {
                path: Some(data_dir.join("journal.sqlite")),
            },
            cashiers: Vec::new(),
            // The demo refunds its own sales to the simulator's accounts.
            refunds: RawRefunds {
                enabled: Some(true),
                daily_limit: Some(AmountText::Integer(5000)),
                fee: None,
            },
            // A demo's sales are not a shop's: they stay out of any node_exporter here.
            metrics: RawMetrics {
                textfile_dir: Some(std::path::PathBuf::new()),
            },
        };
        // The token and state folder of the environment belong to a real terminal, not the demo.
        raw.check(None, &Environment::default())
            .map_err(|message| ConfigError {
                file: None,
                message: format!("demo mode: {message}"),
            })
    }
}

/// Where demo mode keeps its journal and receipt previews: the user's data folder.
pub fn demo_data_dir() -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    let base = non_empty("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("paycode-kiosk").join("demo")
}
