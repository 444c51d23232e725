//! The books screen's rules: the shift report (X) on screen, printing it, and closing the day
//! (Z) after the owner confirms; then the day's Z report in its place.

use super::{Action, Flow, Intent, Screen};
use crate::report::{ReportLine, ShiftReport};
use crate::ui::words;

/// A report line on screen; red when it is something to look into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BooksLine {
    pub label: String,
    pub value: String,
    pub alert: bool,
}

/// What the books screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BooksView {
    pub title: String,
    pub totals: Vec<BooksLine>,
    pub groups: Vec<BooksLine>,
    /// Close day is offered on the shift report, not on a close already made.
    pub can_close: bool,
    pub confirm_close: bool,
    pub confirm_text: String,
}

/// Close day is offered on the shift report, not on a close already made.
fn can_close(report: Option<&ShiftReport>) -> bool {
    report.is_some_and(|report| report.close.is_none())
}

impl Flow {
    /// From the admin screen: the shift report, read afresh.
    pub(super) fn open_books(&mut self) -> Vec<Action> {
        self.screen = Screen::Books {
            report: None,
            confirm_close: false,
        };
        vec![Action::LoadShift]
    }

    pub(super) fn books_intent(&mut self, intent: Intent) -> Vec<Action> {
        let Screen::Books {
            report,
            confirm_close,
        } = &mut self.screen
        else {
            return Vec::new();
        };
        match intent {
            Intent::PrintBooks => match report {
                Some(report) => vec![Action::PrintBooks(Box::new(report.clone()))],
                None => Vec::new(),
            },
            Intent::CloseDay if can_close(report.as_ref()) => {
                *confirm_close = true;
                Vec::new()
            }
            Intent::ConfirmClose if *confirm_close => {
                *confirm_close = false;
                self.notice = Some(words::closing_day(self.language).into());
                vec![Action::CloseDay]
            }
            Intent::KeepOpen => {
                *confirm_close = false;
                Vec::new()
            }
            Intent::Back if *confirm_close => {
                *confirm_close = false;
                Vec::new()
            }
            Intent::Back => {
                self.screen = Screen::Admin;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A report from the worker: the shift report asked for, or the close just made; its line
    /// shows wherever the cashier is.
    pub(super) fn books_arrived(&mut self, arrived: ShiftReport, message: Option<String>) {
        if let Screen::Books { report, .. } = &mut self.screen {
            *report = Some(arrived);
        }
        self.notice = message;
    }

    pub(super) fn books_view(
        &self,
        report: Option<&ShiftReport>,
        confirm_close: bool,
    ) -> BooksView {
        let (style, language) = (self.settings.currency_style, self.language);
        let Some(report) = report else {
            return BooksView {
                title: words::books_loading(language).into(),
                ..BooksView::default()
            };
        };
        let on_screen = |lines: Vec<ReportLine>| -> Vec<BooksLine> {
            lines
                .into_iter()
                .map(|line| BooksLine {
                    alert: line.alert,
                    // Red says it on screen; the mark is for paper and the command line.
                    label: line.label,
                    value: line.value,
                })
                .collect()
        };
        BooksView {
            title: language.trf(
                "{} · {}",
                &[&report.title(language), &report.scope(language)],
            ),
            totals: on_screen(report.lines(style, language)),
            groups: on_screen(report.group_lines(style, language)),
            can_close: can_close(Some(report)),
            confirm_close,
            confirm_text: words::confirm_close(language, report.since),
        }
    }
}
