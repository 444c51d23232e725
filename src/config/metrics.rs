//! `[metrics]` (optional): where the terminal writes its Prometheus metrics for
//! node_exporter's textfile collector. By default into Debian's collector folder,
//! `/var/lib/prometheus/node-exporter`, when that folder is there (the package recommends
//! `prometheus-node-exporter`, which makes it); `textfile_dir = ""` turns the metrics off.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Debian's `prometheus-node-exporter` reads `*.prom` files here.
pub const DEBIAN_TEXTFILE_DIR: &str = "/var/lib/prometheus/node-exporter";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub(super) textfile_dir: Option<PathBuf>,
}

/// Where the metrics go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsTarget {
    /// Not written.
    Off,
    /// Into Debian's folder, when it exists (node_exporter installed).
    DebianIfInstalled,
    /// Into this folder; while it is missing, nothing is written and the log says so.
    Folder(PathBuf),
}

impl MetricsTarget {
    /// The folder to write into now, if any.
    pub fn folder(&self) -> Option<&Path> {
        match self {
            MetricsTarget::Off => None,
            MetricsTarget::DebianIfInstalled => {
                let debian = Path::new(DEBIAN_TEXTFILE_DIR);
                debian.is_dir().then_some(debian)
            }
            MetricsTarget::Folder(folder) => Some(folder),
        }
    }
}

impl RawMetrics {
    pub(super) fn check(self) -> Result<MetricsTarget, String> {
        Ok(match self.textfile_dir {
            None => MetricsTarget::DebianIfInstalled,
            Some(dir) if dir.as_os_str().is_empty() => MetricsTarget::Off,
            Some(dir) if dir.is_relative() => {
                return Err(format!(
                    "[metrics] textfile_dir \"{}\" must be a whole path, such as \"{DEBIAN_TEXTFILE_DIR}\" (or \"\" for no metrics)",
                    dir.display()
                ));
            }
            Some(dir) => MetricsTarget::Folder(dir),
        })
    }
}
