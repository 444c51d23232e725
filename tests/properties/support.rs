//! The cases every property runs: a fixed seed for CI, more by hand.

use proptest::test_runner::{Config, RngSeed};

/// The seed CI runs with; `PROPTEST_RNG_SEED` picks others.
const SEED: u64 = 0x5EED_0031;

/// `cases` cases (or `$PROPTEST_CASES`), from the fixed seed (or `$PROPTEST_RNG_SEED`).
pub fn cases(cases: u32) -> Config {
    let from_env = |name: &str| std::env::var(name).ok()?.trim().parse::<u64>().ok();
    Config {
        cases: from_env("PROPTEST_CASES")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(cases),
        rng_seed: RngSeed::Fixed(from_env("PROPTEST_RNG_SEED").unwrap_or(SEED)),
        // A case that failed is kept as a focused test beside its property, not in a file.
        failure_persistence: None,
        ..Config::default()
    }
}
