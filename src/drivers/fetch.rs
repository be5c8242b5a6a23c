//! Fetching a source: the HTTP request (timeout, retries with jittered backoff, a
//! User-Agent), the raw bytes kept, the payload parsed, the table written — or, when the
//! network fails, the seed's fallback order: the newest cached raw file that parses, then the
//! bundled fixture, each recorded in the report (never silent). A payload that arrives but
//! does not parse is an error naming the source, file and line or field, and the last good
//! table stays as it was.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::drivers::parse::DataError;
use crate::drivers::source::{DataConfig, FetchParams, Request, RequestError, Source, redact_url};
use crate::drivers::store::{DataStore, Meta, Origin, StoreError, sha256_hex};
use crate::kalshi::backoff::Backoff;

/// What a fetch did.
#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    /// The source.
    pub source: String,
    /// Where the table now comes from.
    pub origin: Origin,
    /// Why not the network, when not.
    pub fallback_reason: Option<String>,
    /// Rows in the table.
    pub rows: usize,
    /// Latest observation date.
    pub as_of: Option<NaiveDate>,
    /// The raw file parsed.
    pub raw: String,
}

/// Why a fetch left no usable table.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The source cannot be requested as asked (no key, no URL, a PDF).
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The payload arrived and does not parse; the last good table is unchanged.
    #[error("{error}; {kept}")]
    Payload {
        /// The parse error.
        error: DataError,
        /// What stays in place.
        kept: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Network, cache and fixture all failed.
    #[error("{source_name}: no data: {reasons}")]
    Nothing {
        /// The source.
        source_name: String,
        /// What was tried.
        reasons: String,
    },
}

/// The data sources' API keys: the environment, else `.env.local`, else `.env` in `dir`;
/// `POLYGON_API_KEY` stands in for `MASSIVE_API_KEY` (the same service, renamed).
pub fn api_keys(
    dir: &std::path::Path,
) -> Result<std::collections::BTreeMap<String, String>, crate::kalshi::credentials::CredentialsError> {
    use crate::kalshi::credentials::{Secrets, environment};
    let secrets = Secrets::load(dir)?;
    let get = |name: &str| secrets.get(&environment, name);
    let mut keys = std::collections::BTreeMap::new();
    for name in ["BLS_API_KEY", "EIA_API_KEY"] {
        if let Some(v) = get(name) {
            keys.insert(name.to_string(), v);
        }
    }
    if let Some(v) = get("MASSIVE_API_KEY").or_else(|| get("POLYGON_API_KEY")) {
        keys.insert("MASSIVE_API_KEY".to_string(), v);
    }
    Ok(keys)
}

/// Fetches sources into a store.
#[derive(Debug, Clone)]
pub struct Fetcher {
    config: DataConfig,
    store: DataStore,
    params: FetchParams,
    progress: bool,
}

impl Fetcher {
    /// A fetcher; `progress` shows a spinner on stderr (callers pass false for `--json` or
    /// when stderr is not a terminal).
    pub fn new(config: DataConfig, store: DataStore, params: FetchParams, progress: bool) -> Fetcher {
        Fetcher { config, store, params, progress }
    }

    /// Fetches `source` (or, offline, takes cache then fixture) and writes its table.
    pub fn fetch(
        &self,
        source: Source,
        offline: bool,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<FetchReport, FetchError> {
        let reason = if offline {
            "offline".to_string()
        } else {
            let request = self.config.request(source, today, &self.params)?;
            match self.download(source, &request) {
                Ok((bytes, url)) => {
                    let raw = self.store.save_raw(source, &bytes, now)?;
                    let file = raw.display().to_string();
                    return match source.parse(&bytes, &file) {
                        Ok(table) => {
                            self.install(source, &table, &bytes, raw, Origin::Network, Some(url), None, Some(now))
                        }
                        Err(error) => Err(FetchError::Payload { error, kept: self.kept(source) }),
                    };
                }
                Err(e) => e,
            }
        };
        self.fall_back(source, &reason)
    }

    fn kept(&self, source: Source) -> String {
        match self.store.meta(source) {
            Ok(Some(m)) => format!(
                "kept the last good table (as of {}, {} from {})",
                m.as_of.map_or("?".into(), |d| d.to_string()),
                m.origin.as_str(),
                m.raw.display()
            ),
            _ => "no earlier table exists".to_string(),
        }
    }

    /// Cache (newest raw file that parses), then the bundled fixture.
    fn fall_back(&self, source: Source, reason: &str) -> Result<FetchReport, FetchError> {
        let mut tried = vec![reason.to_string()];
        for (origin, files) in
            [(Origin::Cache, self.store.cached(source)), (Origin::Fixture, self.store.fixtures(source))]
        {
            for path in files {
                let Ok(bytes) = std::fs::read(&path) else { continue };
                match source.parse(&bytes, &path.display().to_string()) {
                    Ok(table) => {
                        let why = format!("{}; using the {}", tried.join("; "), origin.as_str());
                        // The age is what was served: a cached file keeps its own fetch time;
                        // a bundled fixture has none.
                        let fetched_at = match origin {
                            Origin::Cache => DataStore::fetched_at_of(&path),
                            _ => None,
                        };
                        return self.install(source, &table, &bytes, path, origin, None, Some(why), fetched_at);
                    }
                    Err(e) => tried.push(format!("{} skipped: {e}", origin.as_str())),
                }
            }
        }
        tried.push("no cached or bundled file".into());
        Err(FetchError::Nothing { source_name: source.name().to_string(), reasons: tried.join("; ") })
    }

    #[allow(clippy::too_many_arguments)]
    fn install(
        &self,
        source: Source,
        table: &crate::drivers::parse::Table,
        bytes: &[u8],
        raw: std::path::PathBuf,
        origin: Origin,
        url: Option<String>,
        fallback_reason: Option<String>,
        fetched_at: Option<DateTime<Utc>>,
    ) -> Result<FetchReport, FetchError> {
        let meta = Meta {
            source: source.name().to_string(),
            fetched_at,
            as_of: table.as_of,
            origin,
            raw: raw.clone(),
            url: url.map(|u| redact_url(&u)),
            sha256: sha256_hex(bytes),
            rows: table.rows.len(),
            fallback_reason: fallback_reason.clone(),
        };
        self.store.write_table(source, table, &meta)?;
        Ok(FetchReport {
            source: source.name().to_string(),
            origin,
            fallback_reason,
            rows: table.rows.len(),
            as_of: table.as_of,
            raw: raw.display().to_string(),
        })
    }

    /// The bytes of a request, after retries; `Err` says why, secrets redacted.
    fn download(&self, source: Source, request: &Request) -> Result<(Vec<u8>, String), String> {
        let runtime = crate::kalshi::runtime::current_thread().map_err(|e| e.to_string())?;
        let agent =
            if source.needs_browser_agent() { &self.config.browser_user_agent } else { &self.config.user_agent };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(self.config.timeout_secs))
            .user_agent(agent.clone())
            .build()
            .map_err(|e| e.to_string())?;
        let bar = if self.progress { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
        bar.set_message(format!("fetching {}", source.name()));
        bar.enable_steady_tick(Duration::from_millis(120));
        let massive_key = self.params.keys.get("MASSIVE_API_KEY").cloned();
        let result: Result<(Vec<u8>, String), String> = runtime.block_on(async {
            match request {
                Request::NwsLatestProduct { list_url } => {
                    let list = self.send(&client, &Request::Get { url: list_url.clone() }, None, &bar).await?;
                    let id = latest_product_id(&list).ok_or_else(|| format!("{list_url}: no product in @graph"))?;
                    let url = format!("{}/{id}", list_url.split("/types/").next().unwrap_or(list_url));
                    let bytes = self.send(&client, &Request::Get { url: url.clone() }, None, &bar).await?;
                    Ok((bytes, url))
                }
                Request::NwsPointForecast { points_url } => {
                    let point = self.send(&client, &Request::Get { url: points_url.clone() }, None, &bar).await?;
                    let url = point_forecast_url(&point, points_url)
                        .ok_or_else(|| format!("{points_url}: no properties.forecast gridpoint URL"))?;
                    let bytes = self.send(&client, &Request::Get { url: url.clone() }, None, &bar).await?;
                    Ok((bytes, url))
                }
                other => {
                    let key =
                        matches!(source, Source::IndexAggs | Source::IndexSnapshot).then_some(massive_key).flatten();
                    let first = self.send(&client, other, key.as_deref(), &bar).await?;
                    let bytes =
                        self.follow_pages(&client, source, request_url(other), first, key.as_deref(), &bar).await?;
                    Ok((bytes, request_url(other).to_string()))
                }
            }
        });
        bar.finish_and_clear();
        // Whatever built the message (a client error, a redirect, a page URL), no key leaves.
        result.map_err(|message| scrub_keys(&message, self.params.keys.values()))
    }

    /// Follows a list's pages — Kalshi's `cursor`, Massive's `next_url` — and merges them into
    /// one document in the API's own shape (the list concatenated, no cursor left), which is
    /// what is kept as the raw payload. At most `MAX_PAGES` pages; other sources pass through.
    async fn follow_pages(
        &self,
        client: &reqwest::Client,
        source: Source,
        url: &str,
        first: Vec<u8>,
        bearer: Option<&str>,
        bar: &ProgressBar,
    ) -> Result<Vec<u8>, String> {
        const MAX_PAGES: usize = 200;
        let list = match source {
            Source::KalshiTrades => "trades",
            Source::KalshiSettled => "markets",
            Source::IndexAggs => "results",
            _ => return Ok(first),
        };
        let Ok(mut merged) = serde_json::from_slice::<serde_json::Value>(&first) else { return Ok(first) };
        for page in 1..MAX_PAGES {
            let next = match source {
                Source::IndexAggs => merged["next_url"].as_str().filter(|u| !u.is_empty()).map(str::to_string),
                _ => merged["cursor"].as_str().filter(|c| !c.is_empty()).map(|c| format!("{url}&cursor={c}")),
            };
            let Some(next) = next else { break };
            bar.set_message(format!("{}: page {}", source.name(), page + 1));
            let bytes = self.send(client, &Request::Get { url: next }, bearer, bar).await?;
            let page: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| format!("page {}: not JSON: {e}", page + 1))?;
            if let (Some(all), Some(more)) = (merged[list].as_array_mut(), page[list].as_array()) {
                all.extend(more.iter().cloned());
            }
            merged["cursor"] = page["cursor"].clone();
            merged["next_url"] = page["next_url"].clone();
        }
        if let Some(obj) = merged.as_object_mut() {
            obj.remove("next_url");
            if obj.contains_key("cursor") {
                obj.insert("cursor".into(), serde_json::Value::String(String::new()));
            }
        }
        serde_json::to_vec(&merged).map_err(|e| e.to_string())
    }

    async fn send(
        &self,
        client: &reqwest::Client,
        request: &Request,
        bearer: Option<&str>,
        bar: &ProgressBar,
    ) -> Result<Vec<u8>, String> {
        let backoff = Backoff { base: Duration::from_millis(250), cap: Duration::from_secs(4) };
        let url = request_url(request);
        let mut last = String::new();
        for attempt in 0..=self.config.retries {
            let mut builder = match request {
                Request::Get { url }
                | Request::NwsLatestProduct { list_url: url }
                | Request::NwsPointForecast { points_url: url } => client.get(url),
                Request::PostJson { url, body } => {
                    client.post(url).header("content-type", "application/json").body(body.clone())
                }
                Request::PostForm { url, form } => client.post(url).form(form),
            };
            if let Some(key) = bearer {
                builder = builder.bearer_auth(key);
            }
            match builder.send().await {
                Ok(response) => {
                    let status = response.status();
                    match response.bytes().await {
                        Ok(bytes) if status.is_success() => {
                            bar.set_message(format!("{} bytes from {}", bytes.len(), redact_url(url)));
                            return Ok(bytes.to_vec());
                        }
                        Ok(_) if status.as_u16() == 429 || status.is_server_error() => last = format!("HTTP {status}"),
                        Ok(_) => return Err(format!("{}: HTTP {status}", redact_url(url))),
                        Err(e) => last = e.without_url().to_string(),
                    }
                }
                Err(e) => last = e.without_url().to_string(),
            }
            if attempt < self.config.retries {
                tokio::time::sleep(backoff.delay(attempt)).await;
            }
        }
        Err(format!("{}: {last} after {} attempts", redact_url(url), self.config.retries + 1))
    }
}

/// `message` with every key value in `keys` replaced by `***`.
fn scrub_keys<'a>(message: &str, keys: impl Iterator<Item = &'a String>) -> String {
    keys.filter(|k| !k.is_empty()).fold(message.to_string(), |text, key| text.replace(key.as_str(), "***"))
}

fn request_url(request: &Request) -> &str {
    match request {
        Request::Get { url } | Request::PostJson { url, .. } | Request::PostForm { url, .. } => url,
        Request::NwsLatestProduct { list_url } => list_url,
        Request::NwsPointForecast { points_url } => points_url,
    }
}

/// The forecast URL a `/points` answer names (`properties.forecast`), asked of the same base
/// as the lookup (the path from `/gridpoints/` on), so a configured base URL holds for both.
fn point_forecast_url(bytes: &[u8], points_url: &str) -> Option<String> {
    let point: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let named = point["properties"]["forecast"].as_str()?;
    let path = &named[named.find("/gridpoints/")?..];
    let base = points_url.split("/points/").next()?;
    Some(format!("{base}{path}"))
}

/// The newest product id in an NWS product list (`@graph[]{id, issuanceTime}`).
fn latest_product_id(bytes: &[u8]) -> Option<String> {
    let list: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    list["@graph"]
        .as_array()?
        .iter()
        .max_by_key(|p| p["issuanceTime"].as_str().unwrap_or("").to_string())
        .and_then(|p| p["id"].as_str().map(str::to_string))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_point_lookup_names_the_forecast_on_the_configured_base() {
        let answer =
            br#"{"properties":{"gridId":"LOT","forecast":"https://api.weather.gov/gridpoints/LOT/72,69/forecast"}}"#;
        assert_eq!(
            super::point_forecast_url(answer, "http://127.0.0.1:9/points/41.7868,-87.7522").as_deref(),
            Some("http://127.0.0.1:9/gridpoints/LOT/72,69/forecast")
        );
        assert_eq!(super::point_forecast_url(b"{}", "http://x/points/1,2"), None);
    }

    #[test]
    fn no_key_survives_in_an_error_message() {
        let keys = ["s3cr3t-key".to_string(), String::new()];
        let message = "https://api.example/x?api_key=s3cr3t-key&x=1: error sending request (s3cr3t-key)";
        let scrubbed = super::scrub_keys(message, keys.iter());
        assert!(!scrubbed.contains("s3cr3t"), "{scrubbed}");
        assert_eq!(scrubbed.matches("***").count(), 2);
    }
}
