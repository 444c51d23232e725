//! Checking the books with Monime (`reconcile`): the day's codes as Monime lists them, matched
//! with the journal by code id, and the day's payouts matched with the journal's refunds by
//! payout id or refund key. Three things differ in a way the owner must look into for codes: a
//! code paid at Monime that is not paid here (a late or lost payment), a sale paid here that
//! Monime does not call completed, and a code of this terminal (its `terminal` metadata) the
//! journal lacks; and four for refunds: a payout of this terminal the journal lacks, a refund
//! the journal calls completed that Monime does not, one Monime completed that the journal
//! does not call completed, and amounts that disagree.
//!
//! - `matching`: the pure comparison and what it finds;
//! - `reading`: both sides read, then matched;
//! - `restoring`: the paid codes and completed payouts a lost journal lacks, written back.
//!
//! The words for what is found are `report`'s; closing the day with the check is the shop's.

mod matching;
mod reading;
mod restoring;

pub use matching::{Day, Difference, PayoutCheck, Reconciliation, Span, compare, compare_payouts};
pub use reading::{ReconcileError, reconcile};
pub use restoring::{restore, restore_refunds};
