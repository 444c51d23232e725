//! A paid sale's receipt in words, for lists of sales on the screen, the command line and the
//! export: whether it printed, is owed, had no printer, or is not known (a restored sale).

use crate::journal::Receipt;
use crate::lang::Language;

/// The receipt in a word or two: "printed", "owed", "no printer", "not known".
pub fn receipt_label(receipt: Receipt, language: Language) -> &'static str {
    match receipt {
        Receipt::Printed => language.tr("printed"),
        Receipt::Owed => language.tr("owed"),
        Receipt::NoPrinter => language.tr("no printer"),
        Receipt::NotKnown => language.tr("not known"),
    }
}

/// The receipt in a list of sales: "receipt printed", "receipt owed", "no printer",
/// "receipt not known".
pub fn receipt_note(receipt: Receipt, language: Language) -> &'static str {
    match receipt {
        Receipt::Printed => language.tr("receipt printed"),
        Receipt::Owed => language.tr("receipt owed"),
        Receipt::NoPrinter => language.tr("no printer"),
        Receipt::NotKnown => language.tr("receipt not known"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_named_in_each_language() {
        assert_eq!(
            receipt_note(Receipt::Printed, Language::English),
            "receipt printed"
        );
        assert_eq!(
            receipt_note(Receipt::Owed, Language::English),
            "receipt owed"
        );
        assert_eq!(
            receipt_note(Receipt::NoPrinter, Language::English),
            "no printer"
        );
        assert_eq!(
            receipt_label(Receipt::NotKnown, Language::English),
            "not known"
        );
        assert_ne!(receipt_label(Receipt::Printed, Language::French), "printed");
    }
}
