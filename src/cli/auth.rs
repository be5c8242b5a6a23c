//! `kalshi-alpha auth headers`: the three signed headers for one request, for curl smoke tests.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kalshi_alpha::kalshi::credentials;
use kalshi_alpha::kalshi::signing::Signer;

/// Arguments of `auth`.
#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    command: AuthCommand,
}

#[derive(Debug, Subcommand)]
enum AuthCommand {
    /// Print KALSHI-ACCESS-KEY (redacted unless --reveal-key-id), -TIMESTAMP and -SIGNATURE for
    /// one request, one per line.
    Headers(HeadersArgs),
}

#[derive(Debug, Args)]
struct HeadersArgs {
    /// HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// Request path including /trade-api/v2 (a query string is not signed).
    #[arg(long)]
    path: String,
    /// PEM private key (PKCS#8 or PKCS#1); default: KALSHI_PRIVATE_KEY_PEM_PATH, .env.local or .env.
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// API key id; default: KALSHI_API_KEY_ID, .env.local or .env.
    #[arg(long)]
    key_id: Option<String>,
    /// Timestamp in unix milliseconds; default: now.
    #[arg(long)]
    timestamp_ms: Option<i64>,
    /// Print the whole key id (for pasting into curl); by default it is shown as `…abcd`, like
    /// everywhere else, so the output can be shared or logged.
    #[arg(long)]
    reveal_key_id: bool,
}

/// Runs `auth`.
pub fn run(args: AuthArgs) -> anyhow::Result<ExitCode> {
    let AuthCommand::Headers(a) = args.command;
    anyhow::ensure!(a.path.starts_with('/'), "--path must start with / (e.g. /trade-api/v2/portfolio/balance)");
    let (key_id, key_file) = match (a.key_id, a.key_file) {
        (Some(id), Some(file)) => (id, file),
        (id, file) => {
            let found = credentials::find(&credentials::environment, std::path::Path::new("."))?;
            (id.unwrap_or(found.key_id), file.unwrap_or(found.key_path))
        }
    };
    let signer = Signer::from_file(&key_id, &key_file)?;
    let timestamp = a.timestamp_ms.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    for (name, value) in signer.sign(timestamp, &a.method, &a.path).pairs() {
        if name == "KALSHI-ACCESS-KEY" && !a.reveal_key_id {
            println!("{name}: {}", kalshi_alpha::kalshi::signing::redact_key_id(value));
        } else {
            println!("{name}: {value}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
