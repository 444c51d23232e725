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

impl Flow {
    /// From the admin screen: the shift report, read afresh.
    pub(super) fn open_books(&mut self) -> Vec<Action> {
        self.screen = Screen::Books;
        self.books = None;
        self.confirm_close = false;
        vec![Action::LoadShift]
    }

    pub(super) fn books_intent(&mut self, intent: Intent) -> Vec<Action> {
        match intent {
            Intent::PrintBooks => match &self.books {
                Some(report) => vec![Action::PrintBooks(Box::new(report.clone()))],
                None => Vec::new(),
            },
            Intent::CloseDay if self.can_close() => {
                self.confirm_close = true;
                Vec::new()
            }
            Intent::ConfirmClose if self.confirm_close => {
                self.confirm_close = false;
                self.notice = Some(words::closing_day(self.language).into());
                vec![Action::CloseDay]
            }
            Intent::KeepOpen => {
                self.confirm_close = false;
                Vec::new()
            }
            Intent::Back if self.confirm_close => {
                self.confirm_close = false;
                Vec::new()
            }
            Intent::Back => {
                self.screen = Screen::Admin;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A report from the worker: the shift report asked for, or the close just made.
    pub(super) fn books_arrived(&mut self, report: ShiftReport, message: Option<String>) {
        self.books = Some(report);
        self.notice = message;
    }

    fn can_close(&self) -> bool {
        self.books
            .as_ref()
            .is_some_and(|report| report.close.is_none())
    }

    pub(super) fn books_view(&self) -> BooksView {
        let (style, l) = (self.settings.currency_style, self.language);
        let Some(report) = &self.books else {
            return BooksView {
                title: words::books_loading(l).into(),
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
            title: l.trf("{} · {}", &[&report.title(l), &report.scope(l)]),
            totals: on_screen(report.lines(style, l)),
            groups: on_screen(report.group_lines(style, l)),
            can_close: self.can_close(),
            confirm_close: self.confirm_close,
            confirm_text: words::confirm_close(l, report.since),
        }
    }
}
