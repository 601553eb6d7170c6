//! The one pager behind every generated `by_page()` / `by_item()` stream.
//!
//! A spec describes how an operation pages with `x-pagination` (offset, page token
//! or cursor URL); the generator turns that into a closure that sends the
//! operation's builder at a position ([`At`]) and reads one answer into a
//! [`Fetched`]. [`Pages`] owns everything else: which position comes next and when
//! to stop, the same way for every marketplace.
//!
//! **Stop rules.** After yielding a page, the stream ends when
//! * the page is empty (even if it names a next page);
//! * the page is short: fewer items than the page size (the size the caller set, or
//!   the first page's length when no size was set or the server gave fewer than
//!   asked while saying there is more);
//! * the items read reach the `total` the page reports;
//! * the page names no next page (token styles), or
//! * ⌈first total / page size⌉ + 1 pages have been read (offset lists whose total
//!   grows while they are read would otherwise never end).
//!
//! A next token or cursor already used, including a cycle (A → B → A), or a
//! cursor URL without its cursor, ends the stream with an
//! [`Error::is_invalid_request`] error after the page's items: a marketplace loop
//! must not become an endless stream.
//!
//! **Lists that change while they are read.** Offset paging reads positions, not
//! items. On a newest-first list (Lectronz messages, METRO chats), items that
//! arrive while the stream runs are not yielded (they land on pages already
//! read) and push older items one position later, so an item at a page boundary
//! may be yielded twice; an item removed meanwhile moves older items one position
//! earlier, so one may be skipped; and when the list grows by more than a page,
//! the oldest items beyond ⌈first total / page size⌉ + 1 pages are not read. Start
//! a new stream for a consistent view. Token and cursor lists page from a server
//! snapshot and have none of these effects.

use std::collections::HashSet;
use std::future::Future;
use std::num::{NonZeroI32, NonZeroI64, NonZeroU32, NonZeroU64};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;

use crate::Error;

/// How an operation pages, as its spec's `x-pagination.style` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `offset` / `limit` query parameters; the next page starts after the items
    /// read so far.
    Offset,
    /// The answer carries an opaque token, sent back as a query parameter.
    PageToken,
    /// The answer carries the next page's URL; only its query parameter `.0` (the
    /// cursor) is sent back, on the client's own base URL, so credentials never go
    /// to a host the answer names.
    CursorUrl(&'static str),
}

/// Where the next request starts: what the generated code sets on the builder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum At {
    /// The first page: the builder as the caller set it.
    First,
    /// An offset page: items to skip.
    Offset(u64),
    /// A token or cursor page: the value to send.
    Token(String),
}

/// What the generated code reads from one answer (the spec's `x-pagination`
/// pointers).
#[derive(Clone, Debug)]
pub struct Fetched<T> {
    /// The page's items (`items`).
    pub items: Vec<T>,
    /// The number of items in the whole list, if the answer says (`total`).
    pub total: Option<u64>,
    /// The next page's token or URL, if the answer names one (`next`).
    pub next: Option<String>,
}

/// One page of a [`Pages`] stream: its items and what the answer said about the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    items: Vec<T>,
    offset: u64,
    total: Option<u64>,
    next: Option<String>,
}

impl<T> Page<T> {
    /// The page's items, in the marketplace's order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The page's items, owned.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// The position of the page's first item in the list: the offset it was
    /// requested at (offset style), or how many items came before it.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The number of items in the whole list, if the marketplace reports it.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// The next page's token (page-token style) or cursor (cursor-URL style) as
    /// the marketplace named it; `None` on the last page and for offset lists.
    pub fn next_token(&self) -> Option<&str> {
        self.next.as_deref()
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// The request of one page, as the generated code sends it.
pub type PageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<Fetched<T>, Error>> + Send + 'a>>;

type Fetch<'a, T> = Box<dyn FnMut(At) -> PageFuture<'a, T> + Send + 'a>;

/// A stream of pages (`by_page()` of a paginated operation's builder), fetched
/// lazily: one request in flight, nothing read ahead. `Unpin`, so `.next().await`
/// works without pinning. See the [module docs](self) for when it ends.
pub struct Pages<'a, T> {
    fetch: Fetch<'a, T>,
    in_flight: Option<PageFuture<'a, T>>,
    next: Option<At>,
    /// Why the stream cannot go on, yielded after the page that caused it.
    failure: Option<Error>,
    style: Style,
    requested: Option<u64>,
    page_size: Option<u64>,
    /// The offset of the first page (offset style).
    start: u64,
    read: u64,
    pages: u64,
    max_pages: Option<u64>,
    tokens: HashSet<String>,
}

impl<'a, T> Pages<'a, T> {
    /// Pages with `style`, `requested` items per page (the builder's page-size
    /// parameter, if the caller set it), `fetch` sending one request.
    pub fn new(
        style: Style,
        requested: Option<u64>,
        fetch: impl FnMut(At) -> PageFuture<'a, T> + Send + 'a,
    ) -> Self {
        Pages {
            fetch: Box::new(fetch),
            in_flight: None,
            next: Some(match style {
                Style::Offset => At::Offset(0),
                _ => At::First,
            }),
            failure: None,
            style,
            requested: requested.filter(|&n| n > 0),
            page_size: None,
            start: 0,
            read: 0,
            pages: 0,
            max_pages: None,
            tokens: HashSet::new(),
        }
    }

    /// Starts an offset list at `offset` (the builder's own offset, if the caller
    /// set one) instead of 0.
    pub fn from_offset(mut self, offset: Option<u64>) -> Self {
        if let (Style::Offset, Some(offset)) = (self.style, offset) {
            self.start = offset;
            self.next = Some(At::Offset(offset));
        }
        self
    }

    /// The items of every page, one by one (`by_item()`).
    pub fn items(self) -> Items<'a, T> {
        Items {
            pages: self,
            buffered: Vec::new().into_iter(),
        }
    }

    /// Turns one answer into the page to yield, and decides what comes next.
    fn accept(&mut self, fetched: Fetched<T>) -> Page<T> {
        let Fetched { items, total, next } = fetched;
        let offset = self.start.saturating_add(self.read);
        let len = items.len() as u64;
        self.read = self.read.saturating_add(len);
        let position = offset.saturating_add(len);
        self.pages += 1;
        let next = next.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        // The position the answer names, or why it cannot be requested.
        let (named, next) = match (self.style, next) {
            (Style::Offset, _) => (Ok(Some(At::Offset(position))), None),
            (_, None) => (Ok(None), None),
            (Style::PageToken, Some(token)) => (Ok(Some(At::Token(token.clone()))), Some(token)),
            (Style::CursorUrl(parameter), Some(url)) => match cursor_of(&url, parameter) {
                Ok(cursor) => (Ok(Some(At::Token(cursor.clone()))), Some(cursor)),
                Err(reason) => (Err(reason), None),
            },
        };
        self.next = self.after(len, position, total, named);
        Page {
            items,
            offset,
            total,
            next,
        }
    }

    /// Where the page read (`len` items, ending at `position` of a list of
    /// `total`) says to go next, by the stop rules (see the module docs).
    fn after(
        &mut self,
        len: u64,
        position: u64,
        total: Option<u64>,
        named: Result<Option<At>, String>,
    ) -> Option<At> {
        if len == 0 || total.is_some_and(|total| position >= total) {
            return None;
        }
        let more_said = match (&named, self.style) {
            (Ok(None), _) => return None,
            (_, Style::Offset) => total.is_some(),
            _ => true,
        };
        let page_size = match self.page_size {
            Some(size) => size,
            None => {
                // The first page sets the page size: the requested one, or what the
                // server gave if it gave fewer while saying there is more (it caps).
                let size = match self.requested {
                    Some(requested) if len < requested && !more_said => return None,
                    Some(requested) => requested.min(len),
                    None => len,
                };
                self.page_size = Some(size);
                self.max_pages = total.map(|total| {
                    let left = total.saturating_sub(self.start);
                    left.div_ceil(size).saturating_add(1)
                });
                size
            }
        };
        if len < page_size || self.max_pages.is_some_and(|max| self.pages >= max) {
            return None;
        }
        match named {
            Err(reason) => {
                self.failure = Some(Error::invalid_request(reason));
                None
            }
            Ok(Some(At::Token(token))) if !self.tokens.insert(token.clone()) => {
                self.failure = Some(Error::invalid_request(format!(
                    "the marketplace named a page already read as the next one (page {}): \
                     stopping instead of reading the same pages again",
                    self.pages + 1
                )));
                None
            }
            Ok(at) => at,
        }
    }
}

impl<T> Stream for Pages<'_, T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(request) = this.in_flight.as_mut() {
                let fetched = std::task::ready!(request.as_mut().poll(cx));
                this.in_flight = None;
                return Poll::Ready(Some(match fetched {
                    Ok(fetched) => Ok(this.accept(fetched)),
                    Err(error) => {
                        this.next = None;
                        Err(error)
                    }
                }));
            }
            if let Some(failure) = this.failure.take() {
                return Poll::Ready(Some(Err(failure)));
            }
            match this.next.take() {
                Some(at) => this.in_flight = Some((this.fetch)(at)),
                None => return Poll::Ready(None),
            }
        }
    }
}

impl<T> std::fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("style", &self.style)
            .field("pages", &self.pages)
            .field("read", &self.read)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The items of a [`Pages`] stream, one by one (`by_item()`): one page in memory
/// at a time, however many pages. `Unpin`; ends like the page stream.
#[derive(Debug)]
pub struct Items<'a, T> {
    pages: Pages<'a, T>,
    buffered: std::vec::IntoIter<T>,
}

// The buffered items are never pinned: they are moved out one by one.
impl<T> Unpin for Items<'_, T> {}

impl<T> Stream for Items<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.buffered.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match std::task::ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => this.buffered = page.items.into_iter(),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}

/// The cursor in a next-page URL (absolute, or relative to the API): the value of
/// query parameter `parameter`, or why there is none. Only `%XX` escapes are
/// decoded: a `+` stays a `+`, as base64 cursors need.
fn cursor_of(next: &str, parameter: &str) -> Result<String, String> {
    // Only for parsing a relative URL; nothing is ever sent to this host.
    let base = reqwest::Url::parse("http://next-page.invalid/").expect("the base parses");
    let url = base.join(next).map_err(|e| {
        format!("the next-page URL is not a URL ({e}); cannot request the next page")
    })?;
    url.query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix(parameter)?.strip_prefix('='))
        .map(|raw| {
            percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|cursor| !cursor.is_empty())
        .ok_or_else(|| {
            format!(
                "the next-page URL has no `{parameter}` parameter; cannot request the next page"
            )
        })
}

/// A count (page size, total) as the generated types carry it; negative counts
/// are no count.
pub trait Count: Copy {
    /// The count, if it is one.
    fn count(self) -> Option<u64>;
}

macro_rules! count {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl Count for $t {
            fn count(self) -> Option<u64> {
                let $v = self;
                u64::try_from($e).ok()
            }
        }
    )*};
}

count!(
    u32 => |v| v, u64 => |v| v, i32 => |v| v, i64 => |v| v,
    NonZeroU32 => |v| v.get(), NonZeroU64 => |v| v.get(),
    NonZeroI32 => |v| v.get(), NonZeroI64 => |v| v.get(),
);

/// The page size a builder's page-size setter holds (`None` if unset or invalid:
/// the request itself reports an invalid one).
pub fn requested<C: Count>(setter: &Result<Option<C>, String>) -> Option<u64> {
    setter
        .as_ref()
        .ok()
        .copied()
        .flatten()
        .and_then(Count::count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_is_read_from_absolute_and_relative_next_page_urls() {
        let cursor = |url| cursor_of(url, "cursor");
        assert_eq!(
            cursor("https://api.example.test/sac?cursor=abc123").unwrap(),
            "abc123"
        );
        assert_eq!(
            cursor("/sac?status=UNREAD&cursor=a%2Fb%3D%3D").unwrap(),
            "a/b=="
        );
        // A raw `+` of a base64 cursor is not a space.
        assert_eq!(
            cursor("https://api.example.test/sac?cursor=a+b").unwrap(),
            "a+b"
        );
        // Another parameter that starts like it is not it.
        assert_eq!(cursor("/sac?cursors=x&cursor=y").unwrap(), "y");
    }

    #[test]
    fn a_next_page_url_without_its_cursor_is_an_error() {
        for url in [
            "https://api.example.test/sac",
            "https://api.example.test/sac?cursor=",
            "https://api.example.test/sac?page=2",
            "http://[::1",
        ] {
            let err = cursor_of(url, "cursor").unwrap_err();
            assert!(err.contains("cannot request the next page"), "{url}: {err}");
        }
    }

    #[test]
    fn counts_refuse_negative_values() {
        assert_eq!(requested(&Ok(Some(NonZeroU32::new(20).unwrap()))), Some(20));
        assert_eq!(requested::<u64>(&Ok(None)), None);
        assert_eq!(requested::<i64>(&Err("bad".into())), None);
        assert_eq!((-1i64).count(), None);
        assert_eq!(5i64.count(), Some(5));
    }
}
