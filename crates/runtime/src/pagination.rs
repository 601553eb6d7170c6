//! Paging any list operation as a stream of items.
//!
//! Marketplaces page in different ways (offset/limit, an opaque page token, a
//! cursor URL). [`paginate`] takes the cursor of the first page and a function that
//! fetches one page and returns its items and the next cursor, and yields the items
//! one by one, fetching lazily: one page in memory at a time, however many pages.

use std::collections::VecDeque;
use std::future::Future;

use futures::Stream;

use crate::Error;

/// One fetched page: its items and the cursor of the next page (`None` on the last).
#[derive(Clone, Debug)]
pub struct Page<T, C> {
    /// The items of this page, in order.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<C>,
}

/// Streams every item of every page, starting at cursor `first`.
///
/// The stream ends after the page whose `next` is `None`, and on the first error
/// (which it yields). A page with no items but a next cursor is skipped, not taken
/// as the end.
///
/// ```
/// # use futures::TryStreamExt;
/// use marketplace_runtime::pagination::{Page, paginate};
///
/// # async fn demo() -> Result<(), marketplace_runtime::Error> {
/// // Offset paging over 5 numbers, 2 per page.
/// let numbers: Vec<u32> = paginate(0u32, |offset| async move {
///     let items: Vec<u32> = (offset..(offset + 2).min(5)).collect();
///     let next = (offset + 2 < 5).then_some(offset + 2);
///     Ok(Page { items, next })
/// })
/// .try_collect()
/// .await?;
/// assert_eq!(numbers, [0, 1, 2, 3, 4]);
/// # Ok(())
/// # }
/// ```
pub fn paginate<T, C, F, Fut>(first: C, fetch: F) -> impl Stream<Item = Result<T, Error>>
where
    F: FnMut(C) -> Fut,
    Fut: Future<Output = Result<Page<T, C>, Error>>,
{
    struct State<T, C, F> {
        buffered: VecDeque<T>,
        next: Option<C>,
        fetch: F,
    }
    let state = State {
        buffered: VecDeque::new(),
        next: Some(first),
        fetch,
    };
    futures::stream::try_unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.buffered.pop_front() {
                return Ok(Some((item, state)));
            }
            let Some(cursor) = state.next.take() else {
                return Ok(None);
            };
            let page = (state.fetch)(cursor).await?;
            state.buffered = page.items.into();
            state.next = page.next;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{StreamExt, TryStreamExt};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn pages_are_fetched_lazily_and_empty_pages_skipped() {
        let fetches = AtomicUsize::new(0);
        let pages = [vec![1, 2], vec![], vec![3]];
        let stream = paginate(0usize, |i| {
            fetches.fetch_add(1, Ordering::SeqCst);
            let items = pages[i].clone();
            async move {
                Ok(Page {
                    items,
                    next: (i + 1 < 3).then_some(i + 1),
                })
            }
        });
        futures::pin_mut!(stream);
        assert_eq!(stream.next().await.unwrap().unwrap(), 1);
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "only the first page so far"
        );
        let rest: Vec<i32> = stream.try_collect().await.unwrap();
        assert_eq!(rest, [2, 3]);
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_after_the_items_before_it() {
        let stream = paginate(0u8, |page| async move {
            if page == 0 {
                Ok(Page {
                    items: vec!["a"],
                    next: Some(1),
                })
            } else {
                Err(Error::invalid_request("page 1 failed"))
            }
        });
        let results: Vec<Result<&str, Error>> = stream.collect().await;
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].as_ref().unwrap(), &"a");
        assert!(results[1].as_ref().unwrap_err().is_invalid_request());
    }
}
