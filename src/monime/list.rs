//! The list endpoint: pages of codes, newest first, and the filters, which the 2024-08-01 API
//! lacks: there they are applied here, to what Monime sends. The list has no date filter, so a
//! day's codes are read page by page back to the first one older than the day. The other
//! lists (payouts, payments) read their pages with the helpers at the end.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::{ApiVersion, ListFilter, PaymentCode};
use super::{Envelope, MAX_PAGE_SIZE, MonimeClient, MonimeError, RetryRule, code_from};

/// One page of the list endpoint.
#[derive(Debug, Clone)]
pub struct Page {
    pub codes: Vec<PaymentCode>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
}

/// One page of another list (payouts, payments), newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
}

impl MonimeClient {
    /// Asks Monime the smallest thing it answers (one code of the list): whether it answers at
    /// all and accepts the key. Every answer, an error too, tells the client's clock Monime's
    /// time.
    pub async fn check(&self) -> Result<(), MonimeError> {
        self.list_page(&ListFilter::default(), 1, None)
            .await
            .map(|_| ())
    }

    /// Reads one page of codes, newest first as Monime orders them. The 2024-08-01 list has no
    /// `status` or `ussd_code` filter: on that version they are applied here, to the page
    /// Monime sent, so a page may hold fewer than `limit` codes while `next` goes on.
    pub async fn list_page(
        &self,
        filter: &ListFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page, MonimeError> {
        let here = self.filters_here(filter);
        let mut query: Vec<(&str, String)> =
            vec![("limit", limit.clamp(1, MAX_PAGE_SIZE).to_string())];
        if let (Some(status), false) = (filter.status, here) {
            query.push(("status", status.as_str().to_string()));
        }
        if let (Some(mode), false) = (&filter.mode, here) {
            query.push(("mode", mode.clone()));
        }
        if let (Some(ussd_code), false) = (&filter.ussd_code, here) {
            query.push(("ussd_code", ussd_code.clone()));
        }
        if let Some(cursor) = after {
            query.push(("after", cursor.to_string()));
        }
        let path = self.settings.api_version.collection_path().to_string();
        let envelope = self
            .call(Method::GET, &path, &query, None, None, RetryRule::WhenSafe)
            .await?;
        let Page { codes, next } = codes_page(envelope)?;
        let codes = if here {
            codes
                .into_iter()
                .filter(|code: &PaymentCode| {
                    // The terminal makes one-time codes only, and a code read back says no
                    // mode: on this version a `recurrent` filter finds none of them.
                    filter.mode.as_deref().is_none_or(|mode| mode == "one_time")
                        && filter.status.is_none_or(|status| code.status == status)
                        && filter
                            .ussd_code
                            .as_ref()
                            .is_none_or(|ussd| code.ussd_code.as_ref() == Some(ussd))
                })
                .collect()
        } else {
            codes
        };
        Ok(Page { codes, next })
    }

    /// Whether `filter` is applied here rather than by Monime: the 2024-08-01 list takes only
    /// `after`, `before` and `limit`.
    fn filters_here(&self, filter: &ListFilter) -> bool {
        self.settings.api_version == ApiVersion::Legacy
            && (filter.status.is_some() || filter.ussd_code.is_some() || filter.mode.is_some())
    }

    /// Reads codes page after page, following `pagination.next`, until `max_items` or the end.
    pub async fn list(
        &self,
        filter: &ListFilter,
        max_items: usize,
    ) -> Result<Vec<PaymentCode>, MonimeError> {
        let mut codes = Vec::new();
        let mut cursor: Option<String> = None;
        let here = self.filters_here(filter);
        while codes.len() < max_items {
            // Filtered here, a page keeps only some of its codes: ask for whole pages.
            let wanted = if here {
                MAX_PAGE_SIZE
            } else {
                max_items - codes.len()
            };
            let page = self.list_page(filter, wanted, cursor.as_deref()).await?;
            let reached_end = (page.codes.is_empty() && !here) || page.next.is_none();
            codes.extend(page.codes);
            if reached_end || page.next == cursor {
                break;
            }
            cursor = page.next;
        }
        codes.truncate(max_items);
        Ok(codes)
    }

    /// Every code created at or after `since`, newest first: pages are read until one ends
    /// with an older code or the list ends. Monime orders the list newest first, so nothing
    /// later hides behind an older code; at most `MAX_DAY_PAGES` pages are read, and more is
    /// an error rather than a silently short list.
    pub async fn list_created_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<PaymentCode>, MonimeError> {
        let filter = ListFilter::default();
        let filter = &filter;
        read_back_to(
            since,
            "codes",
            |cursor| async move {
                let page = self
                    .list_page(filter, MAX_PAGE_SIZE, cursor.as_deref())
                    .await?;
                Ok(PageOf {
                    items: page.codes,
                    next: page.next,
                })
            },
            |code: &PaymentCode| code.create_time,
        )
        .await
    }
}

/// The page of codes in a list answer, as Monime sent it (before any filter applied here).
pub(super) fn codes_page(envelope: Envelope) -> Result<Page, MonimeError> {
    let codes = match envelope.result {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| code_from(Some(item)))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(MonimeError::Malformed {
                message: "the list's result is not a list".into(),
            });
        }
    };
    let next = envelope
        .pagination
        .and_then(|pagination| pagination.next)
        .filter(|cursor| !cursor.is_empty());
    Ok(Page { codes, next })
}

/// Pages `list_created_since` (and the payouts' `list_payouts_created_since`) read at most:
/// 10,000 items, far beyond a terminal's day.
pub const MAX_DAY_PAGES: usize = 200;

/// Every item of a list created at or after `since`, newest first, read with `page` (given
/// the cursor of the page wanted, `None` for the first): pages are read until one ends with an older item or the
/// list ends. Monime orders its lists newest first, so nothing later hides behind an older
/// item; at most `MAX_DAY_PAGES` pages are read, and more is an error rather than a silently
/// short list. `what` names the items in that error.
pub(super) async fn read_back_to<T, Read>(
    since: DateTime<Utc>,
    what: &str,
    page: impl Fn(Option<String>) -> Read,
    created: impl Fn(&T) -> Option<DateTime<Utc>>,
) -> Result<Vec<T>, MonimeError>
where
    Read: Future<Output = Result<PageOf<T>, MonimeError>>,
{
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_DAY_PAGES {
        let read = page(cursor.clone()).await?;
        // An item without a creation time is kept: it cannot be shown to be older.
        let older = |item: &T| created(item).is_some_and(|at| at < since);
        let reached_older = read.items.iter().any(older);
        items.extend(read.items.into_iter().filter(|item| !older(item)));
        if reached_older || read.next.is_none() || read.next == cursor {
            return Ok(items);
        }
        cursor = read.next;
    }
    Err(MonimeError::Malformed {
        message: format!(
            "more than {} {what} since {since}: the list did not end; try a single past day with --date",
            MAX_DAY_PAGES * MAX_PAGE_SIZE
        ),
    })
}

/// The page in a list answer: its items, each read as `W` and made a `T`, and the next cursor.
pub(super) fn page_of<W: DeserializeOwned, T>(
    envelope: Envelope,
    what: &str,
    read: impl Fn(W) -> T,
) -> Result<PageOf<T>, MonimeError> {
    let items = match envelope.result {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| one_of(Some(item), what, &read))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(MonimeError::Malformed {
                message: format!("the list of {what}s is not a list"),
            });
        }
    };
    let next = envelope
        .pagination
        .and_then(|pagination| pagination.next)
        .filter(|cursor| !cursor.is_empty());
    Ok(PageOf { items, next })
}

/// The one object in an answer's `result`, read as `W` and made a `T`.
pub(super) fn one_of<W: DeserializeOwned, T>(
    result: Option<Value>,
    what: &str,
    read: impl Fn(W) -> T,
) -> Result<T, MonimeError> {
    let value = result.ok_or_else(|| MonimeError::Malformed {
        message: format!("the answer holds no {what}"),
    })?;
    serde_json::from_value::<W>(value)
        .map(read)
        .map_err(|error| MonimeError::Malformed {
            message: format!("a {what} in an unexpected layout: {error}"),
        })
}
