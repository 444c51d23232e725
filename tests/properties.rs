//! Property tests for every door the terminal has to the outside: generated cases by the
//! thousand, each checking the one rule "a clear error or a correct result, never a panic"
//! (the release build aborts on a panic, so one reachable from outside data is a crash).
//!
//! The seed is fixed, so CI runs the same cases every time; `PROPTEST_CASES=100000` runs more
//! by hand, and `PROPTEST_RNG_SEED=N` other ones. docs/RELIABILITY.md lists the properties,
//! their cases and what they found.

#[path = "common/mod.rs"]
mod common;

mod properties {
    pub mod support;

    mod amounts;
    mod config;
    mod control;
    mod lang;
    mod monime;
    mod printer_status;
    mod receipts;
}
