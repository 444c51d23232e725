//! Checking the books with Monime (`reconcile`): the day's codes as Monime lists them, matched
//! with the journal by code id. Three things differ in a way the owner must look into: a code
//! paid at Monime that is not paid here (a late or lost payment), a sale paid here that Monime
//! does not call completed, and a code of this terminal (its `terminal` metadata) the journal
//! lacks.
//!
//! - `matching`: the pure comparison and what it finds;
//! - `reading`: both sides read, then matched;
//! - `restoring`: the paid codes a lost journal lacks, written back.
//!
//! The words for what is found are `report`'s; closing the day with the check is the shop's.

mod matching;
mod reading;
mod restoring;

pub use matching::{Day, Difference, Reconciliation, Span, compare};
pub use reading::{ReconcileError, reconcile};
pub use restoring::restore;
