//! paycode-kiosk: a point-of-sale terminal that takes mobile-money payments through Monime
//! payment codes. The binary is a thin shell over this library, which tests and benchmarks use.

pub mod books;
pub mod chain;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod controller;
pub mod journal;
pub mod lang;
pub mod memory;
pub mod metrics;
pub mod money;
pub mod monime;
pub mod order;
pub mod printer;
pub mod qr;
pub mod refund;
pub mod report;
pub mod sale;
pub mod secret;
pub mod shop;
pub mod simulator;
pub mod sync;
pub mod terminal;
pub mod ui;
