//! `marketplace-mock`: serves the mock marketplaces on loopback until interrupted, after
//! printing the base URL and the credentials of each.

use clap::Parser;
use marketplace_mock::{MockConfig, MockMarketplace};

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
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let options = Options::parse();
    let mock = MockMarketplace::start(MockConfig {
        seed: options.seed,
        threads: options.threads,
        messages_per_thread: options.messages,
    })
    .await?;
    let lectronz = mock.lectronz();
    println!("Lectronz");
    println!(
        "  base URL:  {}  (host {})",
        lectronz.base_url, lectronz.host
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
    println!("Serving until Ctrl-C.");
    // The default SIGINT action ends the process; nothing needs flushing, so no
    // signal handler (and no tokio `signal` feature) is needed.
    std::future::pending::<()>().await;
    Ok(())
}
