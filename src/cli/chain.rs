//! `paycode-kiosk chain report`: the chain's day as Monime has it, per terminal and per
//! cashier, as a table or as CSV. Read-only; it needs only the space's token, so a laptop with
//! a configuration holding it works as well as any terminal.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{Local, NaiveDate};

use crate::chain::{ChainDay, Totals};
use crate::clock::local_zone;
use crate::config::Config;
use crate::control::console::{self, say_err};
use crate::money::{Currency, CurrencyStyle, Money};
use crate::terminal::monime_client;

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChainFormat {
    #[default]
    Text,
    Csv,
}

impl FromStr for ChainFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(ChainFormat::Text),
            "csv" => Ok(ChainFormat::Csv),
            _ => Err(format!("unknown format \"{text}\": use text or csv")),
        }
    }
}

pub async fn report(
    config: &Config,
    date: Option<NaiveDate>,
    format: ChainFormat,
) -> Result<u8, String> {
    let client = monime_client(config)?;
    let date = date.unwrap_or_else(|| Local::now().date_naive());
    let day = crate::chain::read(&client, date, local_zone())
        .await
        .map_err(|error| format!("the chain's day could not be read from Monime: {error}"))?;
    let style = config.kiosk.currency_style;
    match format {
        ChainFormat::Text => console::out(text(&day, style)),
        ChainFormat::Csv => console::out(csv(&day)?),
    }
    if let Some(reason) = &day.payouts_unread {
        say_err!("Refunds are not in these totals: Monime's payouts could not be read ({reason}).");
    }
    Ok(0)
}

/// Amounts of several currencies on one line.
fn amounts(totals: &[Money], style: CurrencyStyle, currency: Currency) -> String {
    if totals.is_empty() {
        return Money::new(currency, 0).display(style);
    }
    let shown: Vec<String> = totals.iter().map(|money| money.display(style)).collect();
    shown.join(", ")
}

/// The table a person reads.
pub fn text(day: &ChainDay, style: CurrencyStyle) -> String {
    let currency = day
        .space
        .paid_totals
        .first()
        .map_or(Currency::Sle, |money| money.currency);
    let mut out = format!(
        "The chain's day {} from Monime: {} codes, {} paid, {} refunds\n",
        day.date, day.space.codes, day.space.paid, day.space.refunds
    );
    let row = |name: &str, totals: &Totals| {
        format!(
            "{name:<20} {:>6} {:>6} {:>16} {:>8} {:>16} {:>16}\n",
            totals.codes,
            totals.paid,
            amounts(&totals.paid_totals, style, currency),
            totals.refunds,
            amounts(&totals.refunded_totals, style, currency),
            amounts(&totals.net(), style, currency),
        )
    };
    let heading = |what: &str| {
        format!(
            "\n{what:<20} {:>6} {:>6} {:>16} {:>8} {:>16} {:>16}\n",
            "codes", "paid", "paid total", "refunds", "refunded", "net"
        )
    };
    out.push_str(&heading("Terminal"));
    for (terminal, totals) in &day.terminals {
        out.push_str(&row(terminal, totals));
    }
    out.push_str(&row("The whole space", &day.space));
    if !day.cashiers.is_empty() {
        out.push_str(&heading("Cashier"));
        for (cashier, totals) in &day.cashiers {
            out.push_str(&row(cashier, totals));
        }
    }
    if day.unclaimed.is_empty() {
        out.push_str("\nEvery code of the day names its terminal.\n");
    } else {
        out.push_str(&format!(
            "\nCodes no terminal claims ({}): made in the dashboard, by another program, or by an older terminal\n",
            day.unclaimed.len()
        ));
        for code in &day.unclaimed {
            let time = code
                .create_time
                .map(|at| at.with_timezone(&Local).format("%H:%M").to_string())
                .unwrap_or_else(|| "--:--".into());
            let amount = code
                .paid_amount()
                .map(|amount| amount.display(style))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}  {time}  {amount:>14}  {}\n",
                code.id, code.status
            ));
        }
    }
    out
}

/// One row a terminal, a cashier, the whole space and each unclaimed code, and a currency:
/// `kind,name,codes,paid,refunds,currency,paid_minor,refunded_minor,net_minor`.
pub fn csv(day: &ChainDay) -> Result<String, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |error: csv::Error| error.to_string();
    writer
        .write_record([
            "kind",
            "name",
            "codes",
            "paid",
            "refunds",
            "currency",
            "paid_minor",
            "refunded_minor",
            "net_minor",
        ])
        .map_err(failed)?;
    let mut rows = |kind: &str, name: &str, totals: &Totals| -> Result<(), String> {
        let mut by_currency: BTreeMap<&'static str, (i64, i64)> = BTreeMap::new();
        for paid in &totals.paid_totals {
            by_currency.entry(paid.currency.code()).or_default().0 += paid.minor;
        }
        for refunded in &totals.refunded_totals {
            by_currency.entry(refunded.currency.code()).or_default().1 += refunded.minor;
        }
        if by_currency.is_empty() {
            by_currency.insert(Currency::Sle.code(), (0, 0));
        }
        for (currency, (paid, refunded)) in by_currency {
            writer
                .write_record([
                    kind,
                    name,
                    &totals.codes.to_string(),
                    &totals.paid.to_string(),
                    &totals.refunds.to_string(),
                    currency,
                    &paid.to_string(),
                    &refunded.to_string(),
                    &(paid - refunded).to_string(),
                ])
                .map_err(failed)?;
        }
        Ok(())
    };
    for (terminal, totals) in &day.terminals {
        rows("terminal", terminal, totals)?;
    }
    for (cashier, totals) in &day.cashiers {
        rows("cashier", cashier, totals)?;
    }
    rows("space", "", &day.space)?;
    for code in &day.unclaimed {
        let mut alone = Totals::default();
        alone.add_code(code);
        rows("unclaimed", &code.id, &alone)?;
    }
    let bytes = writer.into_inner().map_err(|error| error.to_string())?;
    String::from_utf8(bytes).map_err(|error| error.to_string())
}
