//! Random ids and references, shaped as Monime's are: the simulator's codes, payments and
//! payouts are named with them.

use rand::Rng;
use rand::distr::Alphanumeric;

/// `length` random letters and digits.
pub(super) fn random_text(length: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}
