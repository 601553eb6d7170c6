//! The command tree: every command's options, help text and example.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use marketplace_inbox_store::{Marketplace, StatusKind};

use crate::exit::exit_codes_help;

/// mkt: every marketplace's buyers in one terminal inbox (METRO Markets, Yandex Market,
/// SkyHub/Americanas, Lectronz).
#[derive(Parser, Debug)]
#[command(
    name = "mkt",
    version,
    after_help = AFTER_HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = concat!(
    "Examples:\n",
    "  mkt --mock inbox                  the inbox of a generated world, no account needed\n",
    "  mkt config init && mkt sync       your own accounts\n",
    "  mkt inbox --marketplace metro --json\n",
    "\n",
    exit_codes_help!(),
);

/// Options every command takes.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The configuration file (default: $MKT_CONFIG, else the platform's config directory;
    /// `mkt config path` prints it).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Machine-readable output: one JSON document, or one JSON object per line for lists
    /// (schemas: `mkt schema`).
    #[arg(long, global = true)]
    pub json: bool,
    /// Use an in-process mock marketplace with generated buyers instead of the configured
    /// accounts; its inbox is kept per seed and size until `mkt mock --reset`.
    #[arg(long, global = true)]
    pub mock: bool,
    /// The mock world's seed (with --mock).
    #[arg(long, global = true, default_value_t = 7, value_name = "N")]
    pub seed: u64,
    /// Threads per marketplace in the mock world (with --mock).
    #[arg(long, global = true, default_value_t = 4, value_name = "N")]
    pub threads: usize,
    /// More logging on stderr (-v: info, -vv: debug). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Threads awaiting your reply across every marketplace, oldest wait first.
    #[command(
        after_help = "Examples:\n  mkt inbox\n  mkt inbox --marketplace metro --marketplace yandex --unread\n  mkt inbox --status awaiting_seller --json | jq .id"
    )]
    Inbox(InboxArgs),
    /// A thread's messages, oldest first, and your replies still in the outbox.
    #[command(after_help = "Example:\n  mkt show yandex:cabinet:12345678:42")]
    Show {
        /// The thread id, as `mkt inbox` prints it.
        thread: String,
    },
    /// Answer a thread (recorded before it is sent, never sent twice).
    #[command(
        after_help = "Examples:\n  mkt reply lectronz:shop:1001 \"Shipped today, tracking follows.\"\n  mkt reply metro:de-main:9fd9e513-8284-4764-91f8-f4a818f2d549 \"Invoice attached\" --attach invoice.pdf"
    )]
    Reply(ReplyArgs),
    /// Mark a thread's buyer messages read (where the marketplace can).
    #[command(
        name = "mark-read",
        after_help = "Example:\n  mkt mark-read lectronz:shop:1001"
    )]
    MarkRead {
        /// The thread id.
        thread: String,
    },
    /// Start a thread with the buyer of an order (where the marketplace can).
    #[command(
        after_help = "Example:\n  mkt start metro 7f1c6f4e-0b8e-4a43-9a8e-2b7e1a3c5d01 --subject INVOICE_INSTRUCTIONS --text \"Your order is confirmed.\""
    )]
    Start(StartArgs),
    /// Fetch what changed from every account (progress bars on a terminal, then a summary).
    #[command(
        after_help = "Examples:\n  mkt sync\n  mkt sync --watch --interval 60\n  mkt sync --json"
    )]
    Sync(SyncArgs),
    /// Webhook receivers (METRO events, Yandex notifications), periodic sync and
    /// Prometheus metrics in one process; stops on Ctrl-C.
    #[command(
        after_help = "Endpoints:\n  POST /hooks/metro-markets/events   METRO event deliveries (signed)\n  POST /hooks/yandex-market/notification   Yandex Market notifications\n  GET  /metrics                      Prometheus metrics\n\nExample:\n  mkt serve --listen 0.0.0.0:8080 --public-url https://shop.example.com"
    )]
    Serve(ServeArgs),
    /// Send a test delivery to a receiver: a signed METRO event or a Yandex notification.
    #[command(
        after_help = "Examples:\n  mkt trigger metro order_created --to http://127.0.0.1:8080/hooks/metro-markets/events --account de-main\n  mkt trigger yandex chat_message_sent --to http://127.0.0.1:8080/hooks/yandex-market --chat-id 42\n  mkt --mock trigger metro test_connection --to http://127.0.0.1:8080/hooks/metro-markets/events"
    )]
    Trigger(TriggerArgs),
    /// Check every account: credentials, clock skew, METRO subscription URLs.
    #[command(after_help = "Example:\n  mkt doctor --public-url https://shop.example.com")]
    Doctor {
        /// The public URL `serve` is reached at (default: [serve] public_url).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// METRO event subscriptions (which events go to which URL).
    #[command(
        subcommand,
        after_help = "Examples:\n  mkt subscriptions list\n  mkt subscriptions add --event order_created --url https://shop.example.com/hooks/metro-markets/events --fallback-email ops@example.com\n  mkt subscriptions remove 3c9f…"
    )]
    Subscriptions(SubscriptionsCommand),
    /// Run the mock marketplace and print its base URLs and credentials (until Ctrl-C).
    #[command(
        after_help = "Examples:\n  mkt mock --seed 7 --threads 100\n  mkt mock --reset          forget every --mock inbox"
    )]
    Mock(MockArgs),
    /// The JSON Schema of every command's --json output.
    #[command(after_help = "Examples:\n  mkt schema\n  mkt schema inbox")]
    Schema {
        /// One command's schema only.
        #[arg(value_enum)]
        command: Option<SchemaName>,
    },
    /// The configuration file.
    #[command(
        subcommand,
        after_help = "Examples:\n  mkt config init\n  mkt config show\n  mkt config path"
    )]
    Config(ConfigCommand),
}

#[derive(Args, Debug)]
pub struct InboxArgs {
    /// Only these marketplaces (repeatable).
    #[arg(long = "marketplace", short = 'm', value_parser = parse_marketplace, value_name = "NAME")]
    pub marketplaces: Vec<Marketplace>,
    /// Only threads with unread buyer messages.
    #[arg(long)]
    pub unread: bool,
    /// Only threads in these normalized statuses (repeatable): draft, new,
    /// awaiting_seller, awaiting_buyer, awaiting_marketplace, open, archived, closed,
    /// unknown.
    #[arg(long = "status", value_parser = parse_status, value_name = "STATUS")]
    pub statuses: Vec<StatusKind>,
    /// At most this many threads.
    #[arg(long)]
    pub limit: Option<u32>,
}

#[derive(Args, Debug)]
pub struct ReplyArgs {
    /// The thread id.
    pub thread: String,
    /// The text.
    pub text: String,
    /// A file to send with it (repeatable).
    #[arg(long = "attach", value_name = "FILE")]
    pub attachments: Vec<PathBuf>,
    /// The last message you read (`mkt show` prints it): if a colleague answered
    /// after it, the reply is refused unless --force.
    #[arg(long, value_name = "MESSAGE_ID")]
    pub last_seen: Option<String>,
    /// Send even if a colleague answered since --last-seen.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct StartArgs {
    /// The marketplace.
    #[arg(value_parser = parse_marketplace)]
    pub marketplace: Marketplace,
    /// The order (METRO: the order id; Yandex: the order id).
    pub order: String,
    /// The subject (METRO: a seller subject code such as INVOICE_INSTRUCTIONS, or
    /// OTHERS:<text> for a custom one).
    #[arg(long)]
    pub subject: Option<String>,
    /// The first message.
    #[arg(long)]
    pub text: String,
    /// The account (default: the marketplace's only one).
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Keep syncing, every --interval seconds, until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between two syncs with --watch (default: [serve] sync_interval_secs).
    #[arg(long, value_name = "SECS")]
    pub interval: Option<u64>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Where to listen (default: [serve] listen, else 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The public URL the marketplaces reach this process at (METRO signs
    /// <public URL>/hooks/metro-markets/events; default: [serve] public_url, else
    /// http://<listen>).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Seconds between two syncs (default: [serve] sync_interval_secs, else 300).
    #[arg(long, value_name = "SECS")]
    pub interval: Option<u64>,
}

#[derive(Args, Debug)]
pub struct TriggerArgs {
    /// `metro` or `yandex`.
    #[arg(value_parser = parse_marketplace)]
    pub marketplace: Marketplace,
    /// The event: METRO test_connection | order_created | order_line_shipped |
    /// order_line_canceled; Yandex ping | chat_created | chat_message_sent.
    pub event: String,
    /// The receiver: METRO's subscription URL (…/events), Yandex's base URL
    /// (…/notification is appended).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// METRO: the account whose key pair signs (default: the only one, or the mock's).
    #[arg(long)]
    pub account: Option<String>,
    /// Yandex: the chat id of chat events (default 1).
    #[arg(long, default_value_t = 1)]
    pub chat_id: i64,
    /// Yandex: the message id of chat_message_sent (default 1).
    #[arg(long, default_value_t = 1)]
    pub message_id: u64,
    /// Yandex: the cabinet (default: the account's, or 1).
    #[arg(long)]
    pub business_id: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum SubscriptionsCommand {
    /// Every subscription of every METRO account.
    List {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
    },
    /// Subscribe a URL to an event (METRO first delivers test_connection to it).
    Add {
        /// order_created | order_line_shipped | order_line_canceled.
        #[arg(long)]
        event: String,
        /// The receiver URL (`mkt serve`: <public URL>/hooks/metro-markets/events).
        #[arg(long)]
        url: String,
        /// Where METRO writes when the URL fails.
        #[arg(long, value_name = "EMAIL")]
        fallback_email: String,
        /// The account (default: the only METRO account).
        #[arg(long)]
        account: Option<String>,
    },
    /// Delete a subscription.
    Remove {
        /// The subscription id.
        id: String,
        /// The account (default: the only METRO account).
        #[arg(long)]
        account: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct MockArgs {
    /// Forget the inbox of every --mock world, then exit.
    #[arg(long)]
    pub reset: bool,
    /// Push Yandex chat notifications to this receiver base URL (repeatable).
    #[arg(long = "yandex-notification-url", value_name = "URL")]
    pub yandex_notification_urls: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Write a commented template to the configuration path.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print the configuration, secrets redacted.
    Show,
    /// Print where the configuration file is read from.
    Path,
}

/// The commands `mkt schema` describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaName {
    Inbox,
    Show,
    Reply,
    MarkRead,
    Start,
    Sync,
    Serve,
    Trigger,
    Doctor,
    Subscriptions,
    Mock,
    Config,
    Error,
}

/// A status by the model's own name (`awaiting_seller`; `awaiting-seller` too).
fn parse_status(s: &str) -> Result<StatusKind, String> {
    let name = s.replace('-', "_");
    let kind = StatusKind::from_name(&name);
    if kind == StatusKind::Unknown && name != StatusKind::Unknown.as_str() {
        return Err(format!("unknown status `{s}` (see `mkt inbox --help`)"));
    }
    Ok(kind)
}

fn parse_marketplace(s: &str) -> Result<Marketplace, String> {
    s.parse::<Marketplace>()
        .map_err(|_| format!("unknown marketplace `{s}` (lectronz, metro, skyhub, yandex)"))
}
