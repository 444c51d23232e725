//! A sale about to start, as plain data, and the one pure function that turns it into Monime's
//! create request. The cashier's screen and the technician's `charge` both describe a sale as a
//! `NewSale`; the terminal's settings describe its codes as a `CodeShape`; the journal stores
//! both under the sale number it gives, so nothing is read back out of the request afterwards.

use crate::money::Money;
use crate::monime::NewPaymentCode;
use crate::order::Order;

/// Monime keeps up to 64 characters of a code's reference.
pub const REFERENCE_MAX_CHARS: usize = 64;

/// The code's metadata entry naming the cashier who took the sale: Monime keeps it with the
/// code, for reconciliation.
pub const CASHIER_METADATA: &str = "cashier";

/// The code's metadata entry naming the terminal that made it: reconciliation tells this
/// terminal's codes from the rest of the space's by it.
pub const TERMINAL_METADATA: &str = "terminal";

/// What a new sale is: its amount and what it is made of, who took it, and what the customer
/// or the shop asked of its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSale {
    pub amount: Money,
    /// The items and the tip the amount is made of; empty for a keyed sale.
    pub order: Order,
    /// Who is signed in, when the shop has cashiers.
    pub cashier: Option<String>,
    /// The shop's own reference, shown at Monime and on the receipt.
    pub reference: Option<String>,
    /// Only this mobile-money number may pay the code.
    pub payer_phone: Option<String>,
}

impl NewSale {
    /// A keyed sale of `amount` and nothing else.
    pub fn of(amount: Money) -> NewSale {
        NewSale {
            amount,
            order: Order::default(),
            cashier: None,
            reference: None,
            payer_phone: None,
        }
    }
}

/// How this terminal's codes look at Monime: the same for every sale it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeShape {
    /// The code's name, with `{sale}` standing for the sale number.
    pub name: String,
    pub terminal_id: String,
    /// Monime's duration string, such as `10m`.
    pub duration: String,
    /// Only these providers may pay; empty for any.
    pub providers: Vec<String>,
    /// The account the money goes to, when not the space's default.
    pub financial_account: Option<String>,
}

impl CodeShape {
    /// Codes named `name` (`{sale}` stands for the sale number) for terminal `terminal_id`,
    /// lasting ten minutes, payable through any provider into the space's default account.
    pub fn new(name: &str, terminal_id: &str) -> CodeShape {
        CodeShape {
            name: name.to_string(),
            terminal_id: terminal_id.to_string(),
            duration: "10m".to_string(),
            providers: Vec::new(),
            financial_account: None,
        }
    }

    /// Monime's create request for sale `number`.
    pub fn request_for(&self, number: i64, sale: &NewSale) -> NewPaymentCode {
        // An item sale is named at Monime by what was sold, unless the shop gave a reference.
        let reference = sale.reference.clone().or_else(|| {
            (!sale.order.items.is_empty()).then(|| sale.order.summary(REFERENCE_MAX_CHARS))
        });
        let request = NewPaymentCode::new(
            self.name.replace("{sale}", &number.to_string()),
            sale.amount,
        )
        .with_duration(self.duration.clone())
        .with_reference(reference)
        .with_metadata("sale", number.to_string())
        .with_metadata(TERMINAL_METADATA, self.terminal_id.clone())
        .with_providers(self.providers.clone())
        .with_phone(sale.payer_phone.clone())
        .with_financial_account(self.financial_account.clone());
        match &sale.cashier {
            Some(cashier) => request.with_metadata(CASHIER_METADATA, cashier.clone()),
            None => request,
        }
    }
}

/// Accepts `076 123456`, `+232-76-123456` and the like; keeps the digits and a leading `+`.
pub fn normalize_msisdn(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let plus = trimmed.starts_with('+');
    let body = trimmed.trim_start_matches('+');
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return Err(format!(
            "\"{text}\" is not a phone number: use digits, such as 076123456 or +23276123456"
        ));
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if !(8..=15).contains(&digits.len()) {
        return Err(format!(
            "\"{text}\" has {} digits; a mobile number has 8 to 15",
            digits.len()
        ));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

/// A reference Monime keeps as it is: 1 to 64 printable characters, trimmed.
pub fn check_reference(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > REFERENCE_MAX_CHARS
        || trimmed.chars().any(char::is_control)
    {
        return Err(format!(
            "the reference must be 1 to {REFERENCE_MAX_CHARS} printable characters"
        ));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::order::OrderLine;

    fn shape() -> CodeShape {
        CodeShape {
            name: "Corner shop sale {sale}".into(),
            terminal_id: "KIOSK-1".into(),
            duration: "10m".into(),
            providers: vec!["m17".into()],
            financial_account: Some("fac-1".into()),
        }
    }

    #[test]
    fn the_request_carries_the_sale_and_the_shape() {
        let sale = NewSale {
            cashier: Some("Aminata".into()),
            payer_phone: Some("076123456".into()),
            ..NewSale::of(Money::new(Currency::Sle, 1250))
        };
        let request = shape().request_for(7, &sale);
        assert_eq!(request.name, "Corner shop sale 7");
        assert_eq!(request.amount, Money::new(Currency::Sle, 1250));
        assert_eq!(request.duration, "10m");
        assert_eq!(request.metadata["sale"], "7");
        assert_eq!(request.metadata[TERMINAL_METADATA], "KIOSK-1");
        assert_eq!(request.metadata[CASHIER_METADATA], "Aminata");
        assert_eq!(request.authorized_providers, vec!["m17".to_string()]);
        assert_eq!(
            request.authorized_phone_number.as_deref(),
            Some("076123456")
        );
        assert_eq!(request.financial_account_id.as_deref(), Some("fac-1"));
        assert_eq!(request.reference, None);
    }

    #[test]
    fn an_item_sale_is_named_by_its_items_unless_the_shop_gave_a_reference() {
        let mut sale = NewSale::of(Money::new(Currency::Sle, 900));
        sale.order.items.push(OrderLine {
            name: "Soap".into(),
            unit_minor: 450,
            quantity: 2,
        });
        let named = shape().request_for(1, &sale).reference;
        assert_eq!(
            named.as_deref(),
            Some(sale.order.summary(REFERENCE_MAX_CHARS).as_str())
        );
        sale.reference = Some("INV-9".into());
        assert_eq!(
            shape().request_for(1, &sale).reference.as_deref(),
            Some("INV-9")
        );
    }

    #[test]
    fn phone_numbers_are_tidied_or_refused() {
        assert_eq!(normalize_msisdn("076 123456"), Ok("076123456".into()));
        assert_eq!(
            normalize_msisdn("+232-76-123456"),
            Ok("+23276123456".into())
        );
        assert!(normalize_msisdn("0761").is_err());
        assert!(normalize_msisdn("07612345a").is_err());
        assert!(normalize_msisdn("1234567890123456").is_err());
    }

    #[test]
    fn references_are_bounded() {
        assert_eq!(check_reference(" INV-9 "), Ok("INV-9".into()));
        assert!(check_reference("").is_err());
        assert!(check_reference(&"x".repeat(65)).is_err());
    }
}
