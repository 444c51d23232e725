//! Updates that wait for the sale. Upgrading the package while a code is on screen must not
//! break the sale, so the package's maintainer script does not restart the service: it asks the
//! running terminal (`paycode-kiosk restart-when-idle`) to restart itself at its next idle
//! moment: no sale waiting for Monime's word, no refund under way, no receipt owed. systemd
//! starts the new version (`Restart=always`). A terminal that is never idle within the limit
//! restarts anyway, and the sale it had is taken up again as after a power cut.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::Shop;
use crate::journal::{Journal, JournalError};
use crate::printer::PrinterHandle;

/// How long a terminal may stay busy before it restarts for an update anyway.
pub const RESTART_WITHIN: Duration = Duration::from_secs(3600);
/// The longest a restart waits for an idle moment, whatever limit it is given.
const LONGEST_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);
/// How often a terminal waiting to restart looks whether it is idle.
const LOOK_EVERY: Duration = Duration::from_secs(1);

impl Shop {
    /// Whether nothing is under way: no sale or refund waiting for Monime, no receipt owed.
    pub async fn is_idle(&self) -> Result<bool, JournalError> {
        idle(self.journal(), self.printer()).await
    }

    /// Ends this process at its next idle moment, or after `within` at the latest, for systemd
    /// to start the updated one. Asked again, the earlier limit stands. `exit` ends the process
    /// (`std::process::exit`; the tests pass their own).
    pub fn restart_when_idle(&self, within: Duration, exit: fn(i32)) {
        // A limit beyond a year is a year: `within` comes from outside (the command's
        // `--within`, the control socket), and an instant past the clock's end would panic.
        let deadline = Instant::now() + within.min(LONGEST_WAIT);
        {
            let mut asked = crate::sync::lock(&self.restart_by);
            if asked.is_some() {
                *asked = asked.map(|earlier| earlier.min(deadline));
                return;
            }
            *asked = Some(deadline);
        }
        let (journal, printer) = (self.journal().clone(), self.printer().cloned());
        let restart_by = Arc::clone(&self.restart_by);
        tokio::spawn(async move {
            loop {
                let deadline = crate::sync::lock(&restart_by).unwrap_or(deadline);
                match idle(&journal, printer.as_ref()).await {
                    Ok(true) => {
                        tracing::info!("idle: restarting for the update");
                        return exit(0);
                    }
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(%error, "cannot tell whether the terminal is idle")
                    }
                }
                if Instant::now() >= deadline {
                    tracing::warn!(
                        "still busy when the update's wait ran out: restarting; the sale under way is taken up again"
                    );
                    return exit(0);
                }
                tokio::time::sleep(LOOK_EVERY).await;
            }
        });
    }
}

async fn idle(journal: &Journal, printer: Option<&PrinterHandle>) -> Result<bool, JournalError> {
    let (sales, refunds) = journal
        .call(|journal| Ok((journal.unsettled()?, journal.unsettled_refunds()?)))
        .await?;
    let owed = printer.map_or(0, |printer| printer.state().borrow().owed);
    Ok(sales.is_empty() && refunds.is_empty() && owed == 0)
}
