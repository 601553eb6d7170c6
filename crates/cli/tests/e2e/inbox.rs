//! `mkt inbox`, `show`, `reply`, `mark-read`, `start` against the mock, and the
//! `--mock` world on a fresh home.

use marketplace_mock::{Api, JournalEntry, MockMarketplace};
use serde_json::Value;

use crate::common::{Home, json_lines, mock, stderr, stdout};

/// The inbox's threads (`mkt inbox --json`), after the first sync it runs itself.
async fn threads(home: &Home) -> Vec<Value> {
    let output = home.run(&["inbox", "--json"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    json_lines(&output)
}

fn thread_of(threads: &[Value], marketplace: &str) -> String {
    threads
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .find(|id| id.starts_with(&format!("{marketplace}:")))
        .unwrap_or_else(|| panic!("no {marketplace} thread awaits a reply: {threads:?}"))
}

/// The journal's writes (POST/PATCH) of `api`.
fn writes(mock: &MockMarketplace, api: Api) -> Vec<JournalEntry> {
    mock.journal_of(api)
        .into_iter()
        .filter(|e| {
            e.method != "GET"
                && !(api == Api::YandexMarketChats && e.path.ends_with("/chats"))
                && !e.path.ends_with("/chats/history")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_lists_every_marketplace_oldest_wait_first() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(&mock, "");
    let output = home.run(&["inbox"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    // The first sync announces itself on stderr, not in the table.
    assert!(
        stderr(&output).starts_with("First sync of"),
        "{}",
        stderr(&output)
    );
    let text = stdout(&output);
    for marketplace in ["lectronz", "metro", "skyhub", "yandex"] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(marketplace)),
            "no {marketplace} row:\n{text}"
        );
    }
    insta::assert_snapshot!("inbox", text);

    // Oldest wait first, and the filters.
    let all = threads(&home).await;
    let waits: Vec<i64> = all
        .iter()
        .map(|t| t["waiting_seconds"].as_i64().unwrap())
        .collect();
    assert!(waits.windows(2).all(|w| w[0] >= w[1]), "{waits:?}");
    let output = home
        .run(&["inbox", "--json", "--marketplace", "yandex"])
        .await;
    let yandex = json_lines(&output);
    assert!(!yandex.is_empty());
    assert!(
        yandex
            .iter()
            .all(|t| t["id"].as_str().unwrap().starts_with("yandex:"))
    );
    assert_eq!(
        yandex.len(),
        all.iter()
            .filter(|t| t["id"].as_str().unwrap().starts_with("yandex:"))
            .count()
    );
    for status in ["open", "awaiting_seller"] {
        let output = home.run(&["inbox", "--json", "--status", status]).await;
        let expected = all.iter().filter(|t| t["status"]["kind"] == status).count();
        assert_eq!(json_lines(&output).len(), expected, "--status {status}");
    }
    let output = home.run(&["inbox", "--json", "--status", "open"]).await;
    assert!(
        !json_lines(&output).is_empty(),
        "the mock's threads are open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_prints_a_thread_and_a_reply_reaches_each_marketplace_as_its_api_wants() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(&mock, "");
    let all = threads(&home).await;

    let lectronz = thread_of(&all, "lectronz");
    let output = home.run(&["show", &lectronz]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!("show_lectronz", stdout(&output));

    let mut sent = Vec::new();
    for (marketplace, api) in [
        ("lectronz", Api::Lectronz),
        ("metro", Api::MetroMessageCenter),
        ("skyhub", Api::SkyhubSac),
        ("yandex", Api::YandexMarketChats),
    ] {
        let thread = thread_of(&all, marketplace);
        mock.clear_journal();
        let text = format!("Thank you, your {marketplace} order ships today.");
        let output = home.run(&["reply", &thread, &text]).await;
        assert!(
            output.status.success(),
            "{marketplace}: {}",
            stderr(&output)
        );
        assert!(
            stdout(&output).starts_with(&format!("Sent to {thread}")),
            "{}",
            stdout(&output)
        );
        let requests = writes(&mock, api);
        assert_eq!(
            requests.len(),
            1,
            "{marketplace}: one send, nothing else written: {requests:?}"
        );
        let request = &requests[0];
        assert!(
            request.body.contains(&text),
            "{marketplace}: {}",
            request.body
        );
        sent.push(format!(
            "{marketplace}: {} {}",
            request.request_line(),
            request.body
        ));

        // The reply shows in the thread.
        let output = home.run(&["show", &thread, "--json"]).await;
        let shown: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let texts: Vec<&str> = shown["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["text"].as_str())
            .collect();
        let outbox: Vec<&str> = shown["outbox"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["text"].as_str())
            .collect();
        assert!(
            texts.contains(&text.as_str()) || outbox.contains(&text.as_str()),
            "{marketplace}: {shown}"
        );
    }
    insta::assert_snapshot!("reply_requests", sent.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_read_where_offered_and_a_clear_refusal_where_not() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(&mock, "");
    let all = threads(&home).await;

    // A new buyer message, synced: unread.
    let lectronz = thread_of(&all, "lectronz");
    let order = lectronz.rsplit(':').next().unwrap();
    mock.buyer_writes(Api::Lectronz, order, "Hello? Anyone there?")
        .unwrap();
    let sync = home.run(&["sync"]).await;
    assert!(sync.status.success(), "{}", stderr(&sync));
    let unread = json_lines(
        &home
            .run(&["inbox", "--json", "--unread", "--marketplace", "lectronz"])
            .await,
    );
    assert_eq!(unread.len(), 1, "{unread:?}");
    mock.clear_journal();
    let output = home.run(&["mark-read", &lectronz]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("Marked {lectronz} read.\n"));
    let marked: Vec<String> = mock
        .journal_of(Api::Lectronz)
        .iter()
        .filter(|e| e.method == "POST")
        .map(JournalEntry::request_line)
        .collect();
    assert!(
        !marked.is_empty() && marked.iter().all(|l| l.ends_with("/mark_as_read")),
        "{marked:?}"
    );
    let unread = json_lines(
        &home
            .run(&["inbox", "--json", "--unread", "--marketplace", "lectronz"])
            .await,
    );
    assert!(unread.is_empty(), "{unread:?}");

    // Yandex Market documents no read state: refused, naming both.
    let yandex = thread_of(&all, "yandex");
    mock.clear_journal();
    let output = home.run(&["mark-read", &yandex]).await;
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("mark_read_unsupported", stderr(&output));
    assert!(
        mock.journal_of(Api::YandexMarketChats).is_empty(),
        "nothing was sent"
    );

    // SkyHub offers no way to start a ticket.
    let output = home
        .run(&["start", "skyhub", "9999900001", "--text", "Hello"])
        .await;
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("start_unsupported", stderr(&output));
}

#[test]
fn the_mock_world_works_on_a_fresh_home_and_keeps_its_inbox() {
    let home = Home::new();
    let inbox = home.mkt().args(["--mock", "inbox"]).output().unwrap();
    assert!(inbox.status.success(), "{}", stderr(&inbox));
    let text = stdout(&inbox);
    for marketplace in ["lectronz", "metro", "skyhub", "yandex"] {
        assert!(text.contains(&format!("{marketplace}:demo:")), "{text}");
    }
    // A reply, then show in another process: the reply is there.
    let json = home
        .mkt()
        .args(["--mock", "inbox", "--json"])
        .output()
        .unwrap();
    let threads: Vec<Value> = json_lines(&json);
    let metro = thread_of(&threads, "metro");
    let reply = home
        .mkt()
        .args(["--mock", "reply", &metro, "Your parcel left our warehouse."])
        .output()
        .unwrap();
    assert!(reply.status.success(), "{}", stderr(&reply));
    let show = home
        .mkt()
        .args(["--mock", "show", &metro])
        .output()
        .unwrap();
    assert!(
        stdout(&show).contains("Your parcel left our warehouse."),
        "{}",
        stdout(&show)
    );
    // Another seed is another world with its own inbox; --reset forgets them all.
    let reset = home.mkt().args(["mock", "--reset"]).output().unwrap();
    assert!(
        stdout(&reset).contains("seed-7-threads-4"),
        "{}",
        stdout(&reset)
    );
    let show = home
        .mkt()
        .args(["--mock", "show", &metro])
        .output()
        .unwrap();
    assert!(
        !stdout(&show).contains("Your parcel left our warehouse."),
        "{}",
        stdout(&show)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_with_a_file_and_a_thread_started_on_metro() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(&mock, "");
    let all = threads(&home).await;
    let metro = all
        .iter()
        .find(|t| t["id"].as_str().unwrap().starts_with("metro:"))
        .expect("a METRO thread")
        .clone();
    let thread = metro["id"].as_str().unwrap();
    let order = metro["order"]["id"]
        .as_str()
        .expect("METRO chats name their order");

    let file = home.path().join("invoice.pdf");
    std::fs::write(&file, b"%PDF-1.4 an invoice").unwrap();
    mock.clear_journal();
    let output = home
        .run(&[
            "reply",
            thread,
            "Your invoice is attached.",
            "--attach",
            file.to_str().unwrap(),
        ])
        .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let requests: Vec<String> = writes(&mock, Api::MetroMessageCenter)
        .iter()
        .map(|e| {
            let body: Value = serde_json::from_str(&e.body).unwrap_or(Value::Null);
            format!("{} {}", e.request_line(), body["attachments"])
        })
        .collect();
    // Uploaded first (one multipart request), then sent with the uploaded file's reference.
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_eq!(
        requests[0],
        format!("POST /openapi/v1/orders/{order}/upload-file null")
    );
    assert!(
        requests[1].starts_with(&format!(
            "POST /openapi/v1/chats/{}/messages [{{",
            thread.rsplit(':').next().unwrap()
        )),
        "{requests:#?}"
    );
    assert!(
        requests[1].contains("\"fileName\":\"invoice.pdf\"")
            && requests[1].contains("\"fileType\":\"application/pdf\""),
        "{requests:#?}"
    );

    // A new chat about the same order.
    mock.clear_journal();
    let output = home
        .run(&[
            "start",
            "metro",
            order,
            "--subject",
            "INVOICE_INSTRUCTIONS",
            "--text",
            "Your order is confirmed.",
            "--json",
        ])
        .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let started: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let id = started["id"].as_str().unwrap();
    assert!(id.starts_with("metro:t:") && id != thread, "{started}");
    let created: Vec<String> = writes(&mock, Api::MetroMessageCenter)
        .iter()
        .map(JournalEntry::request_line)
        .collect();
    assert_eq!(
        created.first().map(String::as_str),
        Some(format!("POST /openapi/v1/orders/{order}/chats").as_str()),
        "{created:#?}"
    );
    let show = home.run(&["show", id, "--json"]).await;
    assert!(
        stdout(&show).contains("Your order is confirmed."),
        "{}",
        stdout(&show)
    );
}
