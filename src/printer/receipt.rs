//! What the printer prints, as ESC/POS bytes: the sale receipt, the test page and the
//! end-of-day report, laid out for 32, 42 or 48 columns.
//!
//! Commands come from the `escpos` crate; text is first made printable in the configured code
//! page (see `codepage`), so the column arithmetic here is exactly what the paper shows.

use chrono::{DateTime, FixedOffset, Utc};
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};
use qrcode::{EcLevel, QrCode};

use super::codepage::{ByteSink, CodePage};
use super::model::{PrinterModel, ReceiptQr};
use crate::journal::StoredSale;
use crate::lang::{Language, SharedLanguage};
use crate::money::{CurrencyStyle, Money};
use crate::qr::{QUIET_ZONE, QrDots};
use crate::report::{DayReport, ReportLine, ShiftReport};

/// Everything about the shop and the paper that shapes a receipt.
#[derive(Debug, Clone)]
pub struct ReceiptStyle {
    pub merchant_name: String,
    pub terminal_id: String,
    /// Lines under the merchant's name: address, phone.
    pub header: ShopLines,
    /// Lines at the foot of a sale's receipt; `None` thanks the customer in the receipt's
    /// language.
    pub footer: Option<ShopLines>,
    pub width: usize,
    /// Whose commands the printer takes.
    pub model: PrinterModel,
    pub code_page: CodePage,
    pub qr: ReceiptQr,
    pub currency_style: CurrencyStyle,
    /// The time zone receipt times are printed in.
    pub zone: FixedOffset,
    /// The language of the words on paper; shared with the screen, which can change it, so the
    /// next document is printed in the language chosen.
    pub language: SharedLanguage,
}

/// The shop's own words on its receipts (header, footer): the same in every language, or one
/// set for each language given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopLines {
    /// The lines for a language without its own set.
    pub all: Vec<String>,
    pub by_language: Vec<(Language, Vec<String>)>,
}

impl ShopLines {
    /// The same lines in every language.
    pub fn same(lines: Vec<String>) -> ShopLines {
        ShopLines {
            all: lines,
            by_language: Vec::new(),
        }
    }

    /// The lines for `language`: its own set, else English's, else the first one given.
    pub fn in_language(&self, language: Language) -> &[String] {
        let given = |wanted: Language| {
            self.by_language
                .iter()
                .find(|(language, _)| *language == wanted)
        };
        match given(language).or_else(|| given(Language::English)) {
            Some((_, lines)) => lines,
            None if !self.all.is_empty() || self.by_language.is_empty() => &self.all,
            None => &self.by_language[0].1,
        }
    }

    /// Every line in every language, for the checks that each fits.
    pub fn every_line(&self) -> impl Iterator<Item = &String> {
        self.all
            .iter()
            .chain(self.by_language.iter().flat_map(|(_, lines)| lines))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot lay out the receipt: {0}")]
pub struct LayoutError(String);

impl From<escpos::errors::PrinterError> for LayoutError {
    fn from(error: escpos::errors::PrinterError) -> Self {
        LayoutError(error.to_string())
    }
}

pub(super) type Layout<T = ()> = Result<T, LayoutError>;

/// Dots per QR module on paper: about 0.75 mm at 203 dpi, which phone cameras read easily.
const QR_MODULE_DOTS: u8 = 6;

/// A receipt being laid out.
pub struct Document {
    printer: Printer<ByteSink>,
    sink: ByteSink,
    width: usize,
    code_page: CodePage,
    model: PrinterModel,
}

impl Document {
    /// Starts with `ESC @` and the code page, as `model` numbers it.
    pub fn new(width: usize, code_page: CodePage, model: PrinterModel) -> Layout<Document> {
        let sink = ByteSink::default();
        let columns = u8::try_from(width).map_err(|_| LayoutError(format!("{width} columns")))?;
        let page_number = model.page_number(code_page).ok_or_else(|| {
            LayoutError(format!(
                "{} printers have no code page {}",
                model.name(),
                code_page.name()
            ))
        })?;
        let options = PrinterOptions::new(None, None, columns);
        let mut printer = Printer::new(sink.clone(), Protocol::default(), Some(options));
        printer
            .init()?
            .custom(model.commands().after_init)?
            .custom(&[0x1B, b't', page_number])?;
        Ok(Document {
            printer,
            sink,
            width,
            code_page,
            model,
        })
    }

    /// A line of plain text, wrapped at the paper's width.
    pub fn line(&mut self, text: &str) -> Layout {
        for line in wrap(&self.code_page.printable(text), self.width) {
            self.writeln(&line)?;
        }
        Ok(())
    }

    /// Prints one line of printable text and feeds.
    fn writeln(&mut self, printable: &str) -> Layout {
        self.printer
            .custom(&self.code_page.encode(printable))?
            .feed()?;
        Ok(())
    }

    /// Centred text; `double` prints it twice as tall and, if it fits, twice as wide.
    pub fn centered(&mut self, text: &str, bold: bool, double: bool) -> Layout {
        let text = self.code_page.printable(text);
        let wide = double && text.chars().count() <= self.width / 2;
        let columns = if wide { self.width / 2 } else { self.width };
        self.printer.justify(JustifyMode::CENTER)?.bold(bold)?;
        if double {
            self.printer.size(if wide { 2 } else { 1 }, 2)?;
        }
        for line in wrap(&text, columns) {
            self.writeln(&line)?;
        }
        self.printer
            .reset_size()?
            .bold(false)?
            .justify(JustifyMode::LEFT)?;
        Ok(())
    }

    /// `label` on the left and `value` on the right; a value too long for one line goes on the
    /// lines below, right-aligned, and a label too long for one line (an item's "12 x" and
    /// its name) is wrapped above it.
    pub fn pair(&mut self, label: &str, value: &str) -> Layout {
        let label = self.code_page.printable(label);
        let value = self.code_page.printable(value);
        let (label_len, value_len) = (label.chars().count(), value.chars().count());
        if label_len + 1 + value_len <= self.width {
            let gap = self.width - label_len - value_len;
            return self.writeln(&format!("{label}{}{value}", " ".repeat(gap)));
        }
        for line in wrap(&label, self.width) {
            self.writeln(&line)?;
        }
        for line in wrap(&value, self.width) {
            let pad = self.width - line.chars().count();
            self.writeln(&format!("{}{line}", " ".repeat(pad)))?;
        }
        Ok(())
    }

    pub fn rule(&mut self) -> Layout {
        self.writeln(&"-".repeat(self.width))
    }

    pub fn blank(&mut self) -> Layout {
        self.printer.feed()?;
        Ok(())
    }

    /// A centred QR code of `data`, its modules made smaller where a long text would make it
    /// wider than the paper, and left out where even that does not fit (the text is printed
    /// beside it anyway).
    pub fn qr(&mut self, data: &str, mode: ReceiptQr) -> Layout {
        let Some(module_dots) = qr_module_dots(data, self.width) else {
            return Ok(());
        };
        self.printer.justify(JustifyMode::CENTER)?;
        match mode {
            ReceiptQr::Native => {
                let option =
                    QRCodeOption::new(QRCodeModel::Model2, module_dots, QRCodeCorrectionLevel::M);
                self.printer.qrcode_option(data, option)?;
            }
            ReceiptQr::Image => {
                let raster = qr_raster(data, usize::from(module_dots))?;
                self.printer.custom(&raster)?.feed()?;
            }
            ReceiptQr::None => {}
        }
        self.printer.justify(JustifyMode::LEFT)?;
        Ok(())
    }

    /// Feeds the paper past the cutter, cuts (or leaves it to tear off), and gives the bytes.
    pub fn finish(mut self) -> Layout<Vec<u8>> {
        self.printer
            .feeds(2)?
            .custom(self.model.commands().cut)?
            .print()?;
        Ok(self.sink.take())
    }
}

/// The receipt of a paid sale. `copy` marks a reprint, so that it cannot pass for a second
/// payment.
pub fn sale_receipt(
    style: &ReceiptStyle,
    sale: &StoredSale,
    paid_at: DateTime<Utc>,
    copy: bool,
) -> Layout<Vec<u8>> {
    let language = style.language.get();
    let record = &sale.record;
    let mut doc = shop_heading(style)?;
    if copy {
        doc.centered(language.tr("*** COPY ***"), true, false)?;
    }
    doc.rule()?;
    doc.pair(language.tr("Terminal"), &sale.terminal_id)?;
    doc.pair(
        language.tr("Date"),
        &paid_at
            .with_timezone(&style.zone)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    )?;
    doc.pair(language.tr("Sale"), &record.number.to_string())?;
    if let Some(cashier) = &sale.books.cashier {
        doc.pair(language.tr("Cashier"), cashier)?;
    }
    order_lines(&mut doc, style, sale)?;
    doc.rule()?;
    // What Monime says was paid, where it says so.
    doc.centered(
        &record.paid_amount().display(style.currency_style),
        true,
        true,
    )?;
    doc.centered(language.tr("PAID"), true, true)?;
    doc.rule()?;
    let proof = sale.proof.as_ref();
    let provider = proof
        .and_then(|proof| proof.provider_name())
        .or_else(|| record.payment.as_ref()?.provider_name());
    if let Some(provider) = provider {
        doc.pair(language.tr("Paid with"), provider)?;
    }
    // The payer's proof, as their own SMS shows it.
    if let Some(reference) = proof.and_then(|proof| proof.reference.as_deref()) {
        doc.pair(language.tr("Operator ref"), reference)?;
    }
    if let Some(number) = proof.and_then(|proof| proof.masked_number.as_deref()) {
        doc.pair(language.tr("Payer"), number)?;
    }
    if let Some(payment) = &record.payment {
        if let Some(order) = payment.order_number.as_ref().or(payment.order_id.as_ref()) {
            doc.pair(language.tr("Order"), order)?;
        }
        if let Some(id) = &payment.payment_id {
            doc.pair(language.tr("Payment"), id)?;
        }
    }
    if let Some(code) = &record.code {
        doc.pair(language.tr("Code"), &code.id)?;
        doc.pair(language.tr("USSD"), &code.ussd_code)?;
    }
    if let Some(reference) = &record.request.reference {
        doc.pair(language.tr("Reference"), reference)?;
    }
    doc.rule()?;
    if let Some(code) = &record.code {
        doc.qr(&code.id, style.qr)?;
    }
    let thanks = [language.tr("Thank you!").to_string()];
    let footer = match &style.footer {
        Some(footer) => footer.in_language(language),
        None => &thanks,
    };
    for line in footer.iter().filter(|line| !line.is_empty()) {
        doc.centered(line, false, false)?;
    }
    doc.finish()
}

/// Ends a document that stopped partway, before the next: marked and cut off, so the piece on
/// the paper cannot pass for a whole receipt.
pub fn tear_off(style: &ReceiptStyle) -> Layout<Vec<u8>> {
    let mut doc = Document::new(style.width, style.code_page, style.model)?;
    doc.centered(style.language.get().tr("*** INTERRUPTED ***"), true, false)?;
    doc.finish()
}

/// The items a line each, what was typed beside them, and the tip apart from the subtotal.
fn order_lines(doc: &mut Document, style: &ReceiptStyle, sale: &StoredSale) -> Layout {
    let language = style.language.get();
    let order = &sale.order;
    if order.is_plain() {
        return Ok(());
    }
    let amount = sale.record.amount();
    let money = |minor: i64| Money::new(amount.currency, minor).display(style.currency_style);
    doc.rule()?;
    for line in &order.items {
        doc.pair(&line.label(), &money(line.total_minor()))?;
    }
    let keyed = order.keyed(amount);
    if !order.items.is_empty() && keyed.minor > 0 {
        doc.pair(language.tr("Amount typed"), &money(keyed.minor))?;
    }
    if order.tip_minor > 0 {
        doc.pair(
            language.tr("Subtotal"),
            &money(order.subtotal(amount).minor),
        )?;
        doc.pair(language.tr("Tip"), &money(order.tip_minor))?;
    }
    Ok(())
}

/// The page `print-test` prints: what the printer is set to, and a sample of every feature a
/// receipt uses, so a technician sees at once whether width and code page are right.
pub fn test_page(style: &ReceiptStyle, device: &str, now: DateTime<Utc>) -> Layout<Vec<u8>> {
    let language = style.language.get();
    let mut doc = shop_heading(style)?;
    doc.centered(language.tr("Printer test"), true, false)?;
    doc.rule()?;
    doc.pair(language.tr("Terminal"), &style.terminal_id)?;
    doc.pair(language.tr("Printer"), device)?;
    doc.pair(language.tr("Model"), style.model.name())?;
    doc.pair(
        language.tr("Paper"),
        &language.trf("{} columns, {}", &[&style.width, &style.code_page.name()]),
    )?;
    doc.pair(
        language.tr("Time"),
        &now.with_timezone(&style.zone)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    )?;
    doc.rule()?;
    doc.line(language.tr("The ruler must fill one line:"))?;
    let ruler: String = (1..=style.width)
        .map(|column| char::from(b'0' + (column % 10) as u8))
        .collect();
    doc.line(&ruler)?;
    doc.line(&language.trf("Accents: {}", &[&"àáâäçèéêëíñóöúü ÀÉÑÖÜ €"]))?;
    doc.centered("Le 1,234.50", true, true)?;
    doc.qr("paycode-kiosk print test", style.qr)?;
    doc.centered(
        language.tr("If this page is whole, the printer is ready."),
        false,
        false,
    )?;
    doc.finish()
}

/// The end-of-day report as a receipt.
pub fn day_report(style: &ReceiptStyle, report: &DayReport, now: DateTime<Utc>) -> Layout<Vec<u8>> {
    let language = style.language.get();
    let mut doc = shop_heading(style)?;
    doc.centered(language.tr("End of day"), true, true)?;
    doc.centered(&report.date.format("%Y-%m-%d").to_string(), true, false)?;
    doc.rule()?;
    doc.pair(language.tr("Terminal"), &style.terminal_id)?;
    lines(&mut doc, &report.lines(style.currency_style, language))?;
    printed_at(doc, style, now)
}

/// The shift (X) or day-close (Z) report as a receipt.
pub fn shift_report(
    style: &ReceiptStyle,
    report: &ShiftReport,
    now: DateTime<Utc>,
) -> Layout<Vec<u8>> {
    let language = style.language.get();
    let mut doc = shop_heading(style)?;
    doc.centered(&report.title(language), true, true)?;
    doc.centered(&report.scope(language), true, false)?;
    doc.rule()?;
    doc.pair(language.tr("Terminal"), &style.terminal_id)?;
    if let Some(close) = &report.close {
        doc.pair(
            language.tr("Closed"),
            &close
                .closed_at
                .with_timezone(&style.zone)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        )?;
    }
    lines(&mut doc, &report.lines(style.currency_style, language))?;
    lines(
        &mut doc,
        &report.group_lines(style.currency_style, language),
    )?;
    printed_at(doc, style, now)
}

/// Report lines: a heading under a rule, a value at the right margin.
fn lines(doc: &mut Document, lines: &[ReportLine]) -> Layout {
    for line in lines {
        if line.heading {
            doc.rule()?;
            doc.line(&line.label)?;
        } else if line.value.is_empty() {
            doc.line(&line.marked_label())?;
        } else {
            doc.pair(&line.marked_label(), &line.value)?;
        }
    }
    Ok(())
}

fn printed_at(mut doc: Document, style: &ReceiptStyle, now: DateTime<Utc>) -> Layout<Vec<u8>> {
    doc.rule()?;
    doc.pair(
        style.language.get().tr("Printed"),
        &now.with_timezone(&style.zone)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    )?;
    doc.finish()
}

pub(super) fn shop_heading(style: &ReceiptStyle) -> Layout<Document> {
    let mut doc = Document::new(style.width, style.code_page, style.model)?;
    doc.centered(&style.merchant_name, true, true)?;
    for line in style.header.in_language(style.language.get()) {
        doc.centered(line, false, false)?;
    }
    Ok(doc)
}

/// Breaks text into lines of at most `width` characters, at spaces where it can.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let needed = word.len() + usize::from(used > 0);
            if used + needed <= width {
                if used > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a line is cut.
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Dots a column of text takes (font A), so a paper `width` columns wide is 12 × `width` dots.
const DOTS_PER_COLUMN: usize = 12;
/// The smallest module a phone camera still reads off thermal paper.
const SMALLEST_MODULE_DOTS: u8 = 2;

/// Dots per module for the QR code of `data` to fit a paper `width` columns wide with its
/// quiet zone: `QR_MODULE_DOTS`, fewer for a long text; `None` when it cannot fit readably.
fn qr_module_dots(data: &str, width: usize) -> Option<u8> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let side = code.width() + 2 * QUIET_ZONE;
    let fits = u8::try_from(width * DOTS_PER_COLUMN / side).unwrap_or(u8::MAX);
    let dots = fits.min(QR_MODULE_DOTS);
    (dots >= SMALLEST_MODULE_DOTS).then_some(dots)
}

/// A QR code as an ESC/POS raster image (`GS v 0`), each module `dots` wide, with the quiet
/// zone the standard asks for.
pub fn qr_raster(data: &str, dots: usize) -> Layout<Vec<u8>> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|error| LayoutError(format!("QR code: {error}")))?;
    let grid = QrDots::new(code, dots, QUIET_ZONE);
    let side = grid.side();
    let row_bytes = side.div_ceil(8);
    let mut image = vec![0u8; row_bytes * side];
    for (i, _) in grid.dots().enumerate().filter(|(_, dark)| *dark) {
        let (x, y) = (i % side, i / side);
        image[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
    }
    let [xl, xh] = u16::try_from(row_bytes)
        .map_err(|_| LayoutError("QR image too wide".into()))?
        .to_le_bytes();
    let [yl, yh] = u16::try_from(side)
        .map_err(|_| LayoutError("QR image too tall".into()))?
        .to_le_bytes();
    let mut command = vec![0x1D, b'v', b'0', 0, xl, xh, yl, yh];
    command.extend_from_slice(&image);
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, Money};
    use crate::sale::Phase;

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("a  b", 10), ["a b"]);
    }

    #[test]
    fn a_document_starts_with_init_and_code_page_and_ends_with_a_cut() {
        let mut doc = Document::new(32, CodePage::Pc858, PrinterModel::Generic).expect("document");
        doc.line("hello").expect("line");
        let bytes = doc.finish().expect("bytes");
        assert_eq!(&bytes[..5], &[0x1B, b'@', 0x1B, b't', 19]);
        assert!(bytes.ends_with(&[0x1D, b'V', 66, 0]));
        // escpos ends a line with "print and feed one line".
        assert!(bytes.windows(8).any(|w| w == b"hello\x1bd\x01"));
    }

    fn paper_text(style: &ReceiptStyle, bytes: &[u8]) -> String {
        let mut paper = crate::printer::emulator::Emulator::new(style.width, None);
        paper.feed(bytes);
        paper.paper().text_without_cuts()
    }

    fn paid_sale(paid: Option<Money>) -> StoredSale {
        let request = crate::monime::NewPaymentCode::new("sale", Money::new(Currency::Sle, 1250));
        let mut record = crate::sale::SaleRecord::new(7, "key-7".into(), request);
        record.phase = Phase::Paid;
        record.payment = Some(crate::monime::ProcessedPayment {
            amount: paid,
            ..Default::default()
        });
        StoredSale {
            receipt: crate::journal::Receipt::Owed,
            ..StoredSale::for_test(record)
        }
    }

    #[test]
    fn the_receipt_shows_what_monime_says_was_paid() {
        let style = ReceiptStyle::new("Shop", "T1", CurrencyStyle::Symbol, None);
        let said = paid_sale(Some(Money::new(Currency::Sle, 1200)));
        let text = paper_text(
            &style,
            &sale_receipt(&style, &said, Utc::now(), false).unwrap(),
        );
        assert!(
            text.contains("Le 12.00") && !text.contains("Le 12.50"),
            "{text}"
        );
        let unsaid = paid_sale(None);
        let text = paper_text(
            &style,
            &sale_receipt(&style, &unsaid, Utc::now(), false).unwrap(),
        );
        assert!(text.contains("Le 12.50"), "{text}");
    }

    #[test]
    fn the_receipt_shows_the_payers_proof_once_monime_gave_it() {
        let style = ReceiptStyle::new("Shop", "T1", CurrencyStyle::Symbol, None);
        let mut sale = paid_sale(None);
        let without = paper_text(
            &style,
            &sale_receipt(&style, &sale, Utc::now(), false).unwrap(),
        );
        assert!(!without.contains("Operator ref"), "{without}");
        sale.proof = Some(crate::journal::PayerProof {
            payment_id: "pay-1".into(),
            provider_id: Some("m17".into()),
            reference: Some("MP251206.1234.A1".into()),
            masked_number: Some("+23276***456".into()),
            fingerprint: None,
            fees: Vec::new(),
        });
        let text = paper_text(
            &style,
            &sale_receipt(&style, &sale, Utc::now(), true).unwrap(),
        );
        for wanted in [
            "Paid with           Orange Money",
            "Operator ref    MP251206.1234.A1",
            "Payer               +23276***456",
        ] {
            assert!(text.contains(wanted), "{wanted}:\n{text}");
        }
    }

    #[test]
    fn an_item_sale_prints_its_lines_the_typed_amount_and_the_tip_apart() {
        use crate::order::{Order, OrderLine};
        let style = ReceiptStyle::new("Shop", "T1", CurrencyStyle::Symbol, None);
        let sale = StoredSale {
            order: Order {
                items: vec![OrderLine {
                    name: "Soap".into(),
                    unit_minor: 400,
                    quantity: 2,
                }],
                tip_minor: 150,
            },
            ..paid_sale(None)
        };
        let text = paper_text(
            &style,
            &sale_receipt(&style, &sale, Utc::now(), false).unwrap(),
        );
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        for expected in [
            "2 x Soap                 Le 8.00",
            "Amount typed             Le 3.00",
            "Subtotal                Le 11.00",
            "Tip                      Le 1.50",
        ] {
            assert!(lines.contains(&expected), "{expected:?} in\n{text}");
        }
        assert!(text.contains("Le 12.50"), "the total: {text}");
        let plain = paper_text(
            &style,
            &sale_receipt(&style, &paid_sale(None), Utc::now(), false).unwrap(),
        );
        assert!(
            !plain.contains("Subtotal") && !plain.contains("Tip"),
            "{plain}"
        );
    }

    #[test]
    fn the_day_report_totals_each_currency_on_its_own_line() {
        let style = ReceiptStyle::new("Shop", "T1", CurrencyStyle::Code, None);
        let report = DayReport {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
            paid_count: 3,
            paid_totals: vec![
                Money::new(Currency::Sle, 1700),
                Money::new(Currency::Usd, 300),
            ],
            tip_totals: Vec::new(),
            fee_totals: Vec::new(),
            fees_known: 0,
            expired: 0,
            cancelled: 0,
            failed: 0,
            unknown: 2,
            open: 0,
            first_sale: None,
            last_sale: None,
            refunds: Default::default(),
        };
        let text = paper_text(&style, &day_report(&style, &report, Utc::now()).unwrap());
        let totals: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("Total paid"))
            .collect();
        assert_eq!(totals.len(), 2, "{text}");
        assert!(
            totals[0].ends_with("SLE 17.00") && totals[1].ends_with("USD 3.00"),
            "{text}"
        );
        let unknown = text
            .lines()
            .find(|l| l.starts_with("Unknown"))
            .expect("unknown");
        assert!(unknown.ends_with(" 2"), "{unknown}");
    }

    #[test]
    fn a_reports_lines_with_refunds_keep_label_and_value_on_one_line() {
        use crate::report::{ADMIN, Group, RefundTally, ShiftReport};
        let sle = |minor| Money::new(Currency::Sle, minor);
        let zone = FixedOffset::east_opt(0).expect("zone");
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let mut report = ShiftReport::from_sales(None, date, zone, Currency::Sle, &[]);
        let group = |name: &str, minor| Group {
            name: name.into(),
            count: 1,
            totals: vec![sle(minor)],
        };
        report.tally.refunds = RefundTally {
            completed: 2,
            totals: vec![sle(125_000)],
            fee_totals: vec![sle(50)],
            fees_known: 1,
            not_confirmed: 1,
            not_sent: 1,
            restored: 1,
            by_refunder: vec![group(ADMIN, 25_000), group("Aminata", 100_000)],
        };
        for width in [32, 42, 48] {
            for language in Language::ALL {
                let mut style = ReceiptStyle::new("Shop", "T1", CurrencyStyle::Symbol, None);
                style.width = width;
                style.language.set(language);
                let text = paper_text(&style, &shift_report(&style, &report, Utc::now()).unwrap());
                let lines: Vec<&str> = text.lines().collect();
                let style_of = style.currency_style;
                let said = report
                    .lines(style_of, language)
                    .into_iter()
                    .chain(report.group_lines(style_of, language))
                    .filter(|line| !line.value.is_empty());
                for said in said {
                    let label = style.code_page.printable(&said.marked_label());
                    let value = style.code_page.printable(&said.value);
                    assert!(
                        lines
                            .iter()
                            .any(|line| line.starts_with(&label) && line.ends_with(&value)),
                        "{label} {value} on one line at {width} columns:\n{text}"
                    );
                }
                assert!(lines.iter().all(|line| line.chars().count() <= width));
            }
        }
    }

    #[test]
    fn raster_qr_has_a_well_formed_header() {
        let bytes = qr_raster("pmc-1", 4).expect("raster");
        assert_eq!(&bytes[..4], &[0x1D, b'v', b'0', 0]);
        let row_bytes = usize::from(u16::from_le_bytes([bytes[4], bytes[5]]));
        let rows = usize::from(u16::from_le_bytes([bytes[6], bytes[7]]));
        assert_eq!(bytes.len(), 8 + row_bytes * rows);
        // 21 modules plus 8 of quiet zone, 4 dots each.
        assert_eq!(rows, 29 * 4);
    }
}
