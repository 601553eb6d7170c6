//! `marketplace-mock`: serves the mock marketplaces on loopback until interrupted, after
//! printing the base URL and the credentials of each.

use clap::{Parser, ValueEnum};
use marketplace_mock::{
    ADMIN_PREFIX, MetroDeliverySigning, MockConfig, MockMarketplace, SignatureEncoding,
    Unconfirmed, Webhooks, YandexOAuthForm, YandexQuotas,
};

/// Serve a stateful mock of the marketplaces' messaging APIs on 127.0.0.1 (plain
/// HTTP/1, an ephemeral port per marketplace) and print the base URLs and the fake
/// credentials that work. Stops on Ctrl-C.
#[derive(Parser, Debug)]
#[command(name = "marketplace-mock", version)]
struct Options {
    /// Seed of the generated world: the same seed and size give the same world.
    #[arg(long, default_value_t = MockConfig::default().seed)]
    seed: u64,
    /// Threads per marketplace (Lectronz orders, SkyHub tickets, Yandex Market and METRO
    /// orders).
    #[arg(long, default_value_t = MockConfig::default().threads)]
    threads: usize,
    /// Messages per generated thread.
    #[arg(long, default_value_t = MockConfig::default().messages_per_thread)]
    messages: usize,
    /// Requests kept in the journal (GET /__mock/journal on each API's port); 0 turns
    /// it off.
    #[arg(long, default_value_t = MockConfig::default().journal_capacity)]
    journal: usize,
    /// Length in seconds of Yandex Market's quota windows (Yandex: 3600).
    #[arg(long, default_value_t = 3600)]
    yandex_quota_window: u64,
    /// One quota for every Yandex Market method instead of the documented hourly ones.
    #[arg(long)]
    yandex_quota: Option<u32>,
    /// Base URL of a Yandex Market notification receiver (repeat for several, served
    /// round-robin); buyers' messages and chats are notified there.
    #[arg(long = "yandex-notification-url")]
    yandex_notification_urls: Vec<String>,
    /// How METRO signs deliveries (unconfirmed: the SDK assumes like its requests).
    #[arg(long, value_enum, default_value_t = DeliverySigning::LikeRequests)]
    metro_delivery_signing: DeliverySigning,
    /// How METRO's X-Signature must be written (unconfirmed: the SDK signs in hex).
    #[arg(long, value_enum, default_value_t = Encoding::Hex)]
    metro_signature_encoding: Encoding,
    /// Which Authorization form Yandex Market takes for OAuth tokens (unconfirmed: the
    /// SDK sends Bearer).
    #[arg(long, value_enum, default_value_t = OAuthForm::Bearer)]
    yandex_oauth: OAuthForm,
    /// SkyHub SAC's rate limit in requests per second, 0 for none (unconfirmed: the
    /// SDK assumes 1).
    #[arg(long, default_value_t = 1.0)]
    skyhub_rate: f64,
    /// UTC offset in hours of SkyHub's offset-less chat timestamps (unconfirmed: the
    /// SDK presumes Sao Paulo, -3).
    #[arg(long, default_value_t = -3, allow_negative_numbers = true)]
    skyhub_utc_offset: i32,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Encoding {
    Hex,
    Base64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DeliverySigning {
    LikeRequests,
    Unsigned,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OAuthForm {
    Bearer,
    #[value(name = "oauth")]
    OAuth,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let options = Options::parse();
    let mock = MockMarketplace::start(MockConfig {
        seed: options.seed,
        threads: options.threads,
        messages_per_thread: options.messages,
        journal_capacity: options.journal,
        webhooks: Webhooks {
            yandex_notification_urls: options.yandex_notification_urls,
            ..Webhooks::default()
        },
        yandex_quotas: YandexQuotas {
            window: std::time::Duration::from_secs(options.yandex_quota_window),
            limit: options.yandex_quota,
        },
        unconfirmed: Unconfirmed {
            metro_signature_encoding: match options.metro_signature_encoding {
                Encoding::Hex => SignatureEncoding::Hex,
                Encoding::Base64 => SignatureEncoding::Base64,
            },
            yandex_oauth: match options.yandex_oauth {
                OAuthForm::Bearer => YandexOAuthForm::Bearer,
                OAuthForm::OAuth => YandexOAuthForm::OAuth,
            },
            skyhub_requests_per_second: (options.skyhub_rate > 0.0).then_some(options.skyhub_rate),
            skyhub_utc_offset_hours: options.skyhub_utc_offset,
            metro_delivery_signing: match options.metro_delivery_signing {
                DeliverySigning::LikeRequests => MetroDeliverySigning::LikeRequests,
                DeliverySigning::Unsigned => MetroDeliverySigning::Unsigned,
            },
        },
    })
    .await?;
    let lectronz = mock.lectronz();
    println!("Lectronz");
    println!(
        "  base URL:  {}  (API at {})",
        lectronz.base_url, lectronz.api_url
    );
    println!("  API key:   {}", lectronz.api_key);
    let skyhub = mock.skyhub();
    println!("SkyHub SAC");
    println!("  base URL:  {}", skyhub.base_url);
    println!("  X-User-Email:         {}", skyhub.user_email);
    println!("  X-Api-Key:            {}", skyhub.api_key);
    println!("  X-Accountmanager-Key: {}", skyhub.account_manager_key);
    let yandex = mock.yandex();
    println!("Yandex Market (Partner API, chats)");
    println!("  base URL:     {}", yandex.base_url);
    println!("  businessId:   {}", yandex.business_id);
    println!("  Api-Key:      {}", yandex.api_key);
    println!("  OAuth token:  {}", yandex.oauth_token);
    let metro = mock.metro();
    println!("METRO Markets (requests signed with the client key and secret)");
    println!("  Message Center base URL: {}", metro.message_center_url);
    println!("  Subscriptions base URL:  {}", metro.subscriptions_url);
    println!("  client key:              {}", metro.client_id);
    println!("  client secret:           {}", metro.client_secret);
    println!("Admin (on every port above): GET/DELETE {ADMIN_PREFIX}/journal,");
    println!(
        "  POST {ADMIN_PREFIX}/buyer/messages {{\"thread\", \"text\"}}, POST {ADMIN_PREFIX}/buyer/chats {{\"order\"?, \"text\"}}"
    );
    println!(
        "  POST {ADMIN_PREFIX}/metro/events {{\"event\": \"order_created\", \"order_id\", \"order_number\"}} (Subscriptions port only)"
    );
    println!(
        "  PUT {ADMIN_PREFIX}/faults {{\"latency_ms\"?, \"error_percent\"?, \"reset_percent\"?, \"stall_percent\"?, \"outage\"?}}"
    );
    println!("Serving until Ctrl-C.");
    // The default SIGINT action ends the process; nothing needs flushing, so no
    // signal handler (and no tokio `signal` feature) is needed.
    std::future::pending::<()>().await;
    Ok(())
}
