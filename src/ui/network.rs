//! What the terminal last heard from Monime: the status bar's light (`MonimeLink`) and the admin
//! screen's note about it (`NetworkNote`). Plain state, learnt from sales and network checks;
//! `words` says how it reads.

use chrono::{DateTime, Local};

use crate::sale::Reachability;

/// What the terminal last heard from Monime, as the status bar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonimeLink {
    /// No request yet since the terminal started.
    NotContacted,
    /// The last request was answered, if only with an error.
    Online,
    /// The last request had no answer.
    Offline,
    /// Monime refused the terminal's key.
    KeyRefused,
}

impl MonimeLink {
    /// Where the last request of a sale left the link.
    pub fn of(reachability: &Reachability) -> MonimeLink {
        match reachability {
            Reachability::Answering | Reachability::Erring { .. } => MonimeLink::Online,
            Reachability::KeyRefused { .. } => MonimeLink::KeyRefused,
            Reachability::Lost { .. } => MonimeLink::Offline,
        }
    }

    /// No red light: nothing is known to be wrong.
    pub fn ok(self) -> bool {
        matches!(self, MonimeLink::NotContacted | MonimeLink::Online)
    }
}

/// What the terminal last heard from Monime, for the admin screen's line; worded when shown,
/// so a language switch rewords it at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkNote {
    NotContacted,
    Connected,
    /// A network check was answered at this time.
    ReachableAt(DateTime<Local>),
    /// Monime refused the key: its answer, and where the key was read from.
    KeyRefused {
        message: String,
        origin: Option<String>,
    },
    /// No answer, or an error: Monime's or the system's own words.
    Trouble(String),
}

impl NetworkNote {
    /// The note a sale's last request leaves; `origin` is where the terminal's key was read
    /// from, for a refused key.
    pub fn of(reachability: &Reachability, origin: Option<&str>) -> NetworkNote {
        match reachability {
            Reachability::Answering => NetworkNote::Connected,
            Reachability::KeyRefused { message, .. } => NetworkNote::KeyRefused {
                message: message.clone(),
                origin: origin.map(str::to_string),
            },
            Reachability::Erring { message, .. } | Reachability::Lost { message, .. } => {
                NetworkNote::Trouble(message.clone())
            }
        }
    }
}
