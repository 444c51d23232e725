//! `paycode-kiosk codes list|show|cancel`: a technician's view of the space's payment codes.

use chrono::{DateTime, Local, Utc};

use super::CodesCommand;
use crate::config::Config;
use crate::control::console::{self, say};
use crate::money::CurrencyStyle;
use crate::monime::{CodeStatus, ListFilter, PaymentCode};
use crate::terminal::monime_client;

pub async fn run(config: &Config, action: CodesCommand) -> Result<u8, String> {
    let client = monime_client(config)?;
    let style = config.kiosk.currency_style;
    match action {
        CodesCommand::List { status, limit } => {
            let filter = ListFilter {
                status,
                ..ListFilter::default()
            };
            let codes = client
                .list(&filter, usize::from(limit))
                .await
                .map_err(|error| error.to_string())?;
            if codes.is_empty() {
                say!(
                    "no payment codes{}",
                    status
                        .map(|s| format!(" with status {s}"))
                        .unwrap_or_default()
                );
            }
            for code in &codes {
                say!("{}", code_line(code, style));
            }
        }
        CodesCommand::Show { id } => {
            let code = client.get(&id).await.map_err(|error| error.to_string())?;
            console::out(code_details(&code, style));
        }
        CodesCommand::Cancel { id } => {
            let code = client
                .cancel(&id)
                .await
                .map_err(|error| error.to_string())?;
            match code.status {
                CodeStatus::Cancelled => say!("{} cancelled", code.id),
                CodeStatus::Completed => {
                    say!("{} was already paid and stays paid", code.id)
                }
                CodeStatus::Processing => say!(
                    "{} is switched off, but a payment was already under way and may still complete",
                    code.id
                ),
                other => say!("{} is {other}", code.id),
            }
        }
    }
    Ok(0)
}

/// One code on one line: id, status, amount, USSD code, expiry.
pub fn code_line(code: &PaymentCode, style: CurrencyStyle) -> String {
    format!(
        "{:<30} {:<10} {:>14}  {:<22} {}",
        code.id,
        code.status,
        code.amount
            .map(|a| a.display(style))
            .unwrap_or_else(|| "-".into()),
        code.ussd_code.as_deref().unwrap_or("-"),
        code.expire_time
            .map(|at| format!("expires {}", local_time(at)))
            .unwrap_or_default()
    )
}

fn code_details(code: &PaymentCode, style: CurrencyStyle) -> String {
    let mut lines = vec![
        ("id", code.id.clone()),
        ("status", code.status.to_string()),
        ("enabled", if code.enabled { "yes" } else { "no" }.into()),
    ];
    let mut add = |label: &'static str, value: Option<String>| {
        if let Some(value) = value {
            lines.push((label, value));
        }
    };
    add("name", code.name.clone());
    add("amount", code.amount.map(|a| a.display(style)));
    add("USSD", code.ussd_code.clone());
    add("reference", code.reference.clone());
    add("created", code.create_time.map(local_time));
    add("expires", code.expire_time.map(local_time));
    add("updated", code.update_time.map(local_time));
    if !code.authorized_providers.is_empty() {
        add("providers", Some(code.authorized_providers.join(", ")));
    }
    add("phone", code.authorized_phone_number.clone());
    if let Some(payment) = &code.payment {
        add("paid", payment.amount.map(|a| a.display(style)));
        add("provider", payment.provider_name().map(str::to_string));
        add("order number", payment.order_number.clone());
        add("payment id", payment.payment_id.clone());
        add(
            "transaction",
            payment.financial_transaction_reference.clone(),
        );
    }
    lines
        .iter()
        .map(|(label, value)| format!("{label:<13} {value}\n"))
        .collect()
}

pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}
