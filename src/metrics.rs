//! The terminal's Prometheus metrics, for a chain's owner watching many terminals: written as
//! `paycode_kiosk.prom` into node_exporter's textfile folder (`[metrics] textfile_dir`) when a
//! sale settles and at least every 30 s, by a task of its own, so the cashier never waits for
//! it. The file is written whole under another name and renamed, so node_exporter never reads
//! half of one.
//!
//! - `snapshot`: what the file says, and its text;
//! - `exposition`: Prometheus's text format.

mod exposition;
mod snapshot;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::controller::{SaleTallies, Services};
use crate::journal::Journal;
use crate::monime::MonimeClient;
use crate::printer::PrinterHandle;
use crate::shop::Shop;

pub use snapshot::Snapshot;

/// The file node_exporter reads; its collector takes every `*.prom` in its folder.
pub const FILE_NAME: &str = "paycode_kiosk.prom";
/// The longest the file goes unwritten: an owner's alert on its age tells a silent terminal.
pub const EVERY: Duration = Duration::from_secs(30);
/// The file's mode: node_exporter's user reads it, only the terminal writes it.
pub const FILE_MODE: u32 = 0o644;

/// What the metrics are read from: clones of the running terminal's parts.
#[derive(Clone)]
pub struct Sources {
    journal: Journal,
    client: MonimeClient,
    tallies: Arc<SaleTallies>,
    printer: Option<PrinterHandle>,
    cashier_signed_in: Arc<AtomicBool>,
}

impl Sources {
    pub fn of(shop: &Shop) -> Sources {
        Sources::new(shop.services(), shop.printer(), shop.cashier_presence())
    }

    /// What sales run on, the printer if there is one, and whether a cashier is signed in.
    pub fn new(
        services: &Services,
        printer: Option<&PrinterHandle>,
        cashier_signed_in: Arc<AtomicBool>,
    ) -> Sources {
        Sources {
            journal: services.journal.clone(),
            client: services.client.clone(),
            tallies: Arc::clone(&services.tallies),
            printer: printer.cloned(),
            cashier_signed_in,
        }
    }

    /// The terminal as it is now.
    pub async fn snapshot(&self) -> Result<Snapshot, String> {
        let journal = self
            .journal
            .call(Journal::figures)
            .await
            .map_err(|error| error.to_string())?;
        let clock = self.client.clock();
        Ok(Snapshot {
            version: env!("CARGO_PKG_VERSION"),
            journal,
            paid_latency: self.tallies.paid_latency(),
            requests: self.client.request_counts(),
            crowded: self.client.space_load().crowded,
            printer: self
                .printer
                .as_ref()
                .map(|printer| printer.state().borrow().clone()),
            clock_offset_seconds: clock
                .offset()
                .map(|offset| offset.num_milliseconds() as f64 / 1000.0),
            cashiers_signed_in: u32::from(self.cashier_signed_in.load(Ordering::Relaxed)),
        })
    }
}

/// Writes the metrics of `shop` into the folder its settings name, now, whenever a sale
/// settles and every `EVERY`, for as long as the process runs. Nothing when metrics are off.
pub fn keep_writing(shop: &Shop) {
    let target = shop.settings().metrics.clone();
    let Some(folder) = target.folder().map(Path::to_path_buf) else {
        tracing::info!("no metrics are written ([metrics] textfile_dir)");
        return;
    };
    let sources = Sources::of(shop);
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            match write(&sources, &folder).await {
                Ok(()) if failing => {
                    tracing::info!(folder = %folder.display(), "metrics written again");
                    failing = false;
                }
                Ok(()) => {}
                Err(error) if !failing => {
                    tracing::warn!(%error, "the metrics are not written");
                    failing = true;
                }
                Err(_) => {}
            }
            tokio::select! {
                () = sources.tallies.next_settled() => {}
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    });
}

/// Writes `sources`' metrics into `folder`, whole or not at all.
pub async fn write(sources: &Sources, folder: &Path) -> Result<(), String> {
    let text = sources.snapshot().await?.render();
    let folder = folder.to_path_buf();
    tokio::task::spawn_blocking(move || write_whole(&folder, &text))
        .await
        .map_err(|error| error.to_string())?
}

/// Writes `text` as `folder/FILE_NAME` under a name node_exporter ignores, then renames it.
/// Not synced to the card: a file lost to a power cut is written again within `EVERY`.
fn write_whole(folder: &Path, text: &str) -> Result<(), String> {
    let target = folder.join(FILE_NAME);
    let partial: PathBuf = folder.join(format!(".{FILE_NAME}.partial"));
    std::fs::File::create(&partial)
        .and_then(|mut file| {
            // Readable by all, writable by the terminal alone: node_exporter runs as its own
            // user, and the unit's UMask=0077 would leave a new file 0600. Set on the open file,
            // which the umask does not touch. Nothing in it is secret (see `snapshot`).
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
            file.write_all(text.as_bytes())
        })
        .and_then(|()| std::fs::rename(&partial, &target))
        .map_err(|error| format!("cannot write {}: {error}", target.display()))
}
