//! The pager against hostile list servers on 127.0.0.1, for every paging style:
//! the stop rules are the runtime's, so they are tested here once, not per client.
//!
//! Each server answers `{"items": [...], "total": n?, "next": "..."?}`; the fetch
//! closure stands in for a generated builder (`limit`, `offset`, `token` or
//! `cursor` query parameters).

use futures::StreamExt;
use marketplace_runtime::Error;
use marketplace_runtime::pagination::{At, Fetched, Items, Page, Pages, Style};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const STYLES: [Style; 3] = [Style::Offset, Style::PageToken, Style::CursorUrl("cursor")];

/// A server whose every answer is `answer(position)`: the offset, or the token
/// or cursor sent (`""` on the first page).
async fn server(answer: impl Fn(&str) -> Value + Send + Sync + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let position = request
                .url
                .query_pairs()
                .find(|(k, _)| ["offset", "token", "cursor"].contains(&k.as_ref()))
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(answer(&position))
        })
        .mount(&server)
        .await;
    server
}

/// The pages of the list at `server` in `style`, asking `limit` items per page.
fn pages(server: &MockServer, style: Style, limit: Option<u64>) -> Pages<'static, u64> {
    let http = reqwest::Client::new();
    let url = format!("{}/list", server.uri());
    Pages::new(style, limit, move |at| {
        let mut request = http.get(&url);
        if let Some(limit) = limit {
            request = request.query(&[("limit", limit)]);
        }
        request = match (at, style) {
            (At::First, _) => request,
            (At::Offset(offset), _) => request.query(&[("offset", offset)]),
            (At::Token(token), Style::CursorUrl(name)) => request.query(&[(name, token)]),
            (At::Token(token), _) => request.query(&[("token", token)]),
        };
        Box::pin(async move {
            let response = request
                .send()
                .await
                .map_err(|e| Error::invalid_request(e.to_string()))?;
            if !response.status().is_success() {
                return Err(Error::invalid_request(format!(
                    "status {}",
                    response.status()
                )));
            }
            let body: Value = response
                .json()
                .await
                .map_err(|e| Error::invalid_request(e.to_string()))?;
            Ok(Fetched {
                items: serde_json::from_value(body["items"].clone()).unwrap(),
                total: body["total"].as_u64(),
                next: body["next"].as_str().map(str::to_owned),
            })
        })
    })
}

/// How the next page is named in `style`, for a page whose next position is
/// `position` (an offset list names none).
fn next(style: Style, position: &str) -> Value {
    match style {
        Style::Offset => Value::Null,
        Style::PageToken => json!(position),
        Style::CursorUrl(_) => json!(format!(
            "https://elsewhere.example.test/list?cursor={position}"
        )),
    }
}

/// The position of page `n` (0-based) in `style`: the offset, or token `p<n>`.
fn position(style: Style, n: u64, page_size: u64) -> String {
    match style {
        Style::Offset => (n * page_size).to_string(),
        _ => format!("p{n}"),
    }
}

/// Page number (0-based) of `position` in `style`.
fn page_of(style: Style, position: &str, page_size: u64) -> u64 {
    match (style, position) {
        (_, "") => 0,
        (Style::Offset, offset) => offset.parse::<u64>().unwrap() / page_size,
        (_, token) => token[1..].parse().unwrap(),
    }
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// Collects at most 50 results, so a pager that never stops fails instead of hanging.
async fn collect<T>(
    stream: impl futures::Stream<Item = Result<T, Error>> + Unpin,
) -> Vec<Result<T, Error>> {
    stream.take(50).collect().await
}

/// Three items per page asked; the first page has three and the second
/// `second`, while every answer says there is more (a total of 100, a next page).
async fn more_said_after(style: Style, second: &'static [u64]) -> MockServer {
    server(move |at| {
        let n = page_of(style, at, 3);
        let items: &[u64] = if n == 0 { &[1, 2, 3] } else { second };
        json!({"items": items, "total": 100, "next": next(style, &position(style, n + 1, 3))})
    })
    .await
}

/// The items of a stream that must not fail.
async fn ok_items(items: Items<'_, u64>) -> Vec<u64> {
    collect(items)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn every_style_stops_on_an_empty_page_even_if_it_names_a_next_one() {
    for style in STYLES {
        let server = more_said_after(style, &[]).await;
        assert_eq!(
            ok_items(pages(&server, style, Some(3)).items()).await,
            [1, 2, 3],
            "{style:?}"
        );
        assert_eq!(requests(&server).await, 2, "{style:?}");
    }
}

#[tokio::test]
async fn every_style_stops_on_a_short_page() {
    for style in STYLES {
        let server = more_said_after(style, &[4, 5]).await;
        let items = ok_items(pages(&server, style, Some(3)).items()).await;
        assert_eq!(items, [1, 2, 3, 4, 5], "{style:?}");
        assert_eq!(requests(&server).await, 2, "{style:?}");
    }
}

#[tokio::test]
async fn every_style_stops_on_the_last_page_by_total() {
    for style in STYLES {
        // Six items in all, three per page, and every page still names a next one.
        let server = server(move |at| {
            let n = page_of(style, at, 3);
            let items: Vec<u64> = (n * 3 + 1..=n * 3 + 3).collect();
            json!({"items": items, "total": 6, "next": next(style, &position(style, n + 1, 3))})
        })
        .await;
        let all = collect(pages(&server, style, Some(3))).await;
        let pages: Vec<Page<u64>> = all.into_iter().map(Result::unwrap).collect();
        assert_eq!(pages.len(), 2, "{style:?}");
        assert_eq!(pages[1].items(), [4, 5, 6], "{style:?}");
        assert_eq!(
            (pages[1].offset(), pages[1].total()),
            (3, Some(6)),
            "{style:?}"
        );
        assert_eq!(requests(&server).await, 2, "{style:?}");
    }
}

#[tokio::test]
async fn without_a_page_size_the_first_page_sets_it_and_a_server_cap_is_followed() {
    for style in STYLES {
        // Ten asked, the server caps at four; eleven in all.
        let server = server(move |at| {
            let n = page_of(style, at, 4);
            let items: Vec<u64> = (n * 4 + 1..=(n * 4 + 4).min(11)).collect();
            json!({"items": items, "total": 11, "next": next(style, &position(style, n + 1, 4))})
        })
        .await;
        for limit in [Some(10), None] {
            let items = ok_items(pages(&server, style, limit).items()).await;
            assert_eq!(items, (1..=11).collect::<Vec<_>>(), "{style:?} {limit:?}");
        }
    }
}

#[tokio::test]
async fn token_styles_stop_on_a_page_without_a_next_one() {
    for style in [Style::PageToken, Style::CursorUrl("cursor")] {
        let server = server(move |at| {
            let n = page_of(style, at, 2);
            let next = if n == 0 {
                next(style, "p1")
            } else {
                Value::Null
            };
            json!({"items": [n * 2 + 1, n * 2 + 2], "next": next})
        })
        .await;
        let all = collect(pages(&server, style, Some(2))).await;
        let pages: Vec<Page<u64>> = all.into_iter().map(Result::unwrap).collect();
        assert_eq!(pages.len(), 2, "{style:?}");
        assert_eq!(pages[0].next_token(), Some("p1"), "{style:?}");
        assert_eq!(pages[1].next_token(), None, "{style:?}");
    }
}

#[tokio::test]
async fn a_repeated_token_or_cursor_is_an_error_after_the_page_not_a_loop() {
    for style in [Style::PageToken, Style::CursorUrl("cursor")] {
        // Every page names itself as the next one (p0 → p1 → p1 → …).
        let server = server(move |at| {
            let n = page_of(style, at, 2).max(1);
            json!({"items": [n * 10, n * 10 + 1], "next": next(style, &format!("p{n}"))})
        })
        .await;
        let results = collect(pages(&server, style, Some(2)).items()).await;
        assert_eq!(results.len(), 5, "{style:?}: {results:?}");
        let items: Vec<u64> = results[..4].iter().map(|r| *r.as_ref().unwrap()).collect();
        assert_eq!(items, [10, 11, 10, 11], "{style:?}");
        let error = results[4].as_ref().unwrap_err();
        assert!(error.is_invalid_request(), "{style:?}: {error:?}");
        assert!(
            error.to_string().contains("already read"),
            "{style:?}: {error}"
        );
        assert_eq!(requests(&server).await, 2, "{style:?}");
    }
}

#[tokio::test]
async fn a_cycle_of_tokens_or_cursors_is_an_error_not_an_endless_stream() {
    for style in [Style::PageToken, Style::CursorUrl("cursor")] {
        // First → A → B → A → B → …: three distinct pages, then the cycle.
        let server = server(move |at| {
            let (items, next_page) = match at {
                "" => ([1, 2], "A"),
                "A" => ([3, 4], "B"),
                _ => ([5, 6], "A"),
            };
            json!({"items": items, "next": next(style, next_page)})
        })
        .await;
        let results = collect(pages(&server, style, Some(2)).items()).await;
        let items: Vec<u64> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(items, [1, 2, 3, 4, 5, 6], "{style:?}");
        assert_eq!(results.len(), 7, "one error after the items: {style:?}");
        assert!(
            results[6].as_ref().unwrap_err().is_invalid_request(),
            "{style:?}"
        );
        assert_eq!(requests(&server).await, 3, "{style:?}");
    }
}

#[tokio::test]
async fn an_offset_list_whose_total_grows_on_every_page_terminates() {
    // Full pages of 2 for ever, and a total 5 ahead of what has been read.
    let server = server(|at| {
        let offset: u64 = at.parse().unwrap_or(0);
        json!({"items": [offset + 1, offset + 2], "total": offset + 7})
    })
    .await;
    let results = collect(pages(&server, Style::Offset, Some(2)).items()).await;
    // The first total is 7: ⌈7 / 2⌉ + 1 = 5 pages at most.
    assert_eq!(results.len(), 10, "{results:?}");
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(requests(&server).await, 5);
}

#[tokio::test]
async fn a_cursor_url_without_its_cursor_is_an_error_after_the_page() {
    let server =
        server(|_| json!({"items": [1, 2], "next": "https://elsewhere.example.test/list?page=2"}))
            .await;
    let results = collect(pages(&server, Style::CursorUrl("cursor"), Some(2)).items()).await;
    assert_eq!(results.len(), 3, "{results:?}");
    let error = results[2].as_ref().unwrap_err();
    assert!(
        error.to_string().contains("no `cursor` parameter"),
        "{error}"
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_failed_page_is_yielded_and_ends_the_stream() {
    for style in STYLES {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(move |request: &Request| {
                if request.url.query().is_some_and(|q| {
                    q.contains("offset=2") || q.contains("token") || q.contains("cursor")
                }) {
                    ResponseTemplate::new(500)
                } else {
                    ResponseTemplate::new(200).set_body_json(
                        json!({"items": [1, 2], "total": 10, "next": next(style, "p1")}),
                    )
                }
            })
            .mount(&server)
            .await;
        let mut stream = pages(&server, style, Some(2));
        // `Unpin`: no `pin!` needed.
        assert_eq!(
            stream.next().await.unwrap().unwrap().items(),
            [1, 2],
            "{style:?}"
        );
        assert!(stream.next().await.unwrap().is_err(), "{style:?}");
        assert!(stream.next().await.is_none(), "{style:?}");
        assert_eq!(requests(&server).await, 2, "{style:?}");
    }
}

#[tokio::test]
async fn pages_are_fetched_lazily() {
    let server = server(|at| {
        let offset: u64 = at.parse().unwrap_or(0);
        json!({"items": [offset + 1, offset + 2], "total": 6})
    })
    .await;
    let mut items = pages(&server, Style::Offset, Some(2)).items();
    assert_eq!(requests(&server).await, 0, "nothing before the first poll");
    assert_eq!(items.next().await.unwrap().unwrap(), 1);
    assert_eq!(items.next().await.unwrap().unwrap(), 2);
    assert_eq!(requests(&server).await, 1, "one page in memory at a time");
}

#[tokio::test]
async fn an_offset_list_starts_at_the_callers_offset() {
    let server = server(|at| {
        let offset: u64 = at.parse().unwrap();
        json!({"items": [offset + 1, offset + 2], "total": 6})
    })
    .await;
    let pages: Vec<Page<u64>> =
        collect(pages(&server, Style::Offset, Some(2)).from_offset(Some(2)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    let seen: Vec<(u64, &[u64])> = pages.iter().map(|p| (p.offset(), p.items())).collect();
    assert_eq!(seen, [(2, &[3, 4][..]), (4, &[5, 6][..])]);
}
