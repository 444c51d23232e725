//! `report --x` (the shift report: every sale and refund since the last close), `report --z`
//! (close the day, after checking it with Monime) and `reconcile` (the check alone, and
//! restoring the sales and refunds a lost journal lacks). Each report shows as the paper has
//! it; a close also prints when there is a printer.

use chrono::NaiveDate;

use super::printing::show_paper;
use crate::books::{Day, Span};
use crate::control::console::{say, say_err};
use crate::journal::{Restored, RestoredRefund, z_label};
use crate::lang::Language;
use crate::printer::receipt;
use crate::refund::SALE_METADATA;
use crate::report::{ReportLine, ShiftReport, reconciliation_lines};
use crate::shop::Shop;

/// `reconcile`'s exit code when the journal and Monime differ (after restoring, with
/// `--restore`). 1 stays "could not check", as for every command.
pub const DIFFERENCES_EXIT: u8 = 2;

/// Closes the day: refused, with exit code 1, when today was closed before.
pub async fn close_day(shop: &Shop) -> Result<u8, String> {
    let report = shop.close_day().await.map_err(|error| error.to_string())?;
    show(shop, &report)?;
    match shop.printer() {
        Some(_) => print(shop, report).await?,
        None => say_err!("No printer: the close is kept in the journal only."),
    }
    Ok(0)
}

/// The shift report, printed too when asked.
pub async fn shift(shop: &Shop, print_it: bool) -> Result<u8, String> {
    let report = shop
        .shift_report()
        .await
        .map_err(|error| error.to_string())?;
    show(shop, &report)?;
    if print_it {
        shop.printer_or_refusal()
            .map_err(|error| error.to_string())?;
        print(shop, report).await?;
    }
    Ok(0)
}

fn show(shop: &Shop, report: &ShiftReport) -> Result<(), String> {
    let style = &shop.settings().receipt_style;
    let bytes = receipt::shift_report(style, report, shop.clock().now())
        .map_err(|error| error.to_string())?;
    show_paper(style.width, &bytes);
    Ok(())
}

async fn print(shop: &Shop, report: ShiftReport) -> Result<(), String> {
    let title = report.title(Language::English);
    shop.print_books(report)
        .await
        .map_err(|error| format!("the {title} was not printed: {error}"))?;
    say!("{title} sent to the printer.");
    Ok(())
}

/// Checks the business day (or `date`) with Monime and says what differs; with `restore`,
/// writes the paid codes and then the completed payouts the journal lacks back into it. Exit 0
/// when they agree (in the end), `DIFFERENCES_EXIT` when they differ.
pub async fn reconcile(shop: &Shop, date: Option<NaiveDate>, restore: bool) -> Result<u8, String> {
    let day = date.map_or(Day::Current, Day::Date);
    let found = shop
        .reconcile(day)
        .await
        .map_err(|error| format!("the day was not checked: {error}"))?;
    let style = shop.settings().currency_style;
    say!(
        "Checked with Monime {}, terminal {}:",
        span_words(found.span),
        shop.settings().terminal_id()
    );
    for line in reconciliation_lines(&found, style, Language::English) {
        say!("{}", line_text(&line));
    }
    let restorable = found.restorable().len();
    let restorable_payouts = found.restorable_payouts().len();
    let mut left = found.differences.len();
    if restore {
        let restored = shop
            .restore(&found)
            .await
            .map_err(|error| format!("restoring stopped: {error}"))?;
        for (code, outcome) in restored {
            match outcome {
                Restored::Added(number) => {
                    left = left.saturating_sub(1);
                    say!(
                        "Restored sale {number}: {}, {} (`reprint {number}` prints its receipt as a copy)",
                        code.paid_amount()
                            .map(|amount| amount.display(style))
                            .unwrap_or_default(),
                        code.id
                    );
                }
                Restored::AlreadyThere(number) => {
                    left = left.saturating_sub(1);
                    say!("{} is in the journal already, as sale {number}", code.id);
                }
                Restored::Refused(why) => say_err!("Not restored: {why}"),
            }
        }
        // After the sales, so that the sales the refunds pay back are there.
        let restored = shop
            .restore_refunds(&found)
            .await
            .map_err(|error| format!("restoring stopped: {error}"))?;
        for (payout, outcome) in restored {
            match outcome {
                RestoredRefund::Added(number) => {
                    left = left.saturating_sub(1);
                    say!(
                        "Restored refund {number} of sale {}: {}, {}",
                        payout.metadata_text(SALE_METADATA).unwrap_or("?"),
                        payout
                            .amount
                            .map(|amount| amount.display(style))
                            .unwrap_or_default(),
                        payout.id
                    );
                }
                RestoredRefund::AlreadyThere(number) => {
                    left = left.saturating_sub(1);
                    say!(
                        "{} is in the journal already, as refund {number}",
                        payout.id
                    );
                }
                RestoredRefund::Refused(why) => say_err!("Not restored: {why}"),
            }
        }
    } else {
        if restorable > 0 {
            say!(
                "{restorable} paid code(s) missing from the journal: `reconcile --restore` writes them back"
            );
        }
        if restorable_payouts > 0 {
            say!(
                "{restorable_payouts} completed payout(s) missing from the journal: `reconcile --restore` writes them back as refunds"
            );
        }
    }
    match left {
        0 if found.agrees() => Ok(0),
        0 => {
            say!("Now agreed with Monime.");
            Ok(0)
        }
        _ if restore => {
            say!("{left} difference(s) left: look them up on the Monime dashboard.");
            Ok(DIFFERENCES_EXIT)
        }
        _ => Ok(DIFFERENCES_EXIT),
    }
}

/// The sales a check covered, in the command line's words.
fn span_words(span: Span) -> String {
    match span {
        Span::SinceClose(number) => format!("since {}", z_label(number)),
        Span::SinceFirstSale => "since the first sale".into(),
        Span::Today => "today".into(),
        Span::On(date) => format!("on {}", date.format("%Y-%m-%d")),
    }
}

/// A report line on a terminal: "Label: value", or the label alone.
fn line_text(line: &ReportLine) -> String {
    match line.value.as_str() {
        "" => line.marked_label(),
        value => format!("{}: {value}", line.marked_label()),
    }
}
