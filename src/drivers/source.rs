//! The data sources, by name: what each parses with, what file kind it is, and what request
//! fetches it (`configs/data.toml` holds base URLs, user agents, timeouts and retries; API keys
//! come from the environment and never reach a log, table or meta file).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

use crate::drivers::city::City;
use crate::drivers::parse::{self, DataError, Table};

/// Every source a driver reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// BLS CPI-U (SA and NSA, all items and core).
    Bls,
    /// DOL national weekly claims history (XML).
    Claims,
    /// DOL `ar539.csv` (states, NSA).
    ClaimsStates,
    /// DOL weekly release headline (advance SA; the release PDF or its text).
    ClaimsRelease,
    /// Treasury daily par yield curve (CSV).
    Treasury,
    /// Treasury daily par yield curve (XML).
    TreasuryXml,
    /// FRED `DGS10`.
    Fred,
    /// Cleveland Fed inflation nowcast.
    Nowcast,
    /// NWS gridpoint forecast for a city's station.
    NwsForecast(City),
    /// NWS Daily Climate Report from a city's station.
    NwsCli(City),
    /// AAA national average gasoline.
    Aaa,
    /// EIA weekly retail gasoline.
    Eia,
    /// Massive index minute bars (S&P 500).
    IndexAggs,
    /// Massive index snapshot (S&P 500, Nasdaq-100).
    IndexSnapshot,
    /// Kalshi public trades.
    KalshiTrades,
    /// Kalshi candlesticks for one market.
    KalshiCandles,
    /// Kalshi settled markets of one series.
    KalshiSettled,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 21] = [
        Source::Bls,
        Source::Claims,
        Source::ClaimsStates,
        Source::ClaimsRelease,
        Source::Treasury,
        Source::TreasuryXml,
        Source::Fred,
        Source::Nowcast,
        Source::NwsForecast(City::NewYork),
        Source::NwsCli(City::NewYork),
        Source::NwsForecast(City::Chicago),
        Source::NwsCli(City::Chicago),
        Source::NwsForecast(City::LosAngeles),
        Source::NwsCli(City::LosAngeles),
        Source::Aaa,
        Source::Eia,
        Source::IndexAggs,
        Source::IndexSnapshot,
        Source::KalshiTrades,
        Source::KalshiCandles,
        Source::KalshiSettled,
    ];

    /// The name commands and directories use.
    pub fn name(self) -> &'static str {
        match self {
            Source::Bls => "bls",
            Source::Claims => "claims",
            Source::ClaimsStates => "claims_states",
            Source::ClaimsRelease => "claims_release",
            Source::Treasury => "treasury",
            Source::TreasuryXml => "treasury_xml",
            Source::Fred => "fred",
            Source::Nowcast => "nowcast",
            // New York's keep their first names (tables and configs already use them).
            Source::NwsForecast(City::NewYork) => "nws_forecast",
            Source::NwsCli(City::NewYork) => "nws_cli",
            Source::NwsForecast(City::Chicago) => "nws_forecast_chi",
            Source::NwsCli(City::Chicago) => "nws_cli_chi",
            Source::NwsForecast(City::LosAngeles) => "nws_forecast_lax",
            Source::NwsCli(City::LosAngeles) => "nws_cli_lax",
            Source::Aaa => "aaa",
            Source::Eia => "eia",
            Source::IndexAggs => "index_aggs",
            Source::IndexSnapshot => "index_snapshot",
            Source::KalshiTrades => "kalshi_trades",
            Source::KalshiCandles => "kalshi_candles",
            Source::KalshiSettled => "kalshi_settled",
        }
    }

    /// The extension of its raw files.
    pub fn extension(self) -> &'static str {
        match self {
            Source::Claims | Source::TreasuryXml => "xml",
            Source::ClaimsStates | Source::Treasury | Source::Fred => "csv",
            Source::ClaimsRelease => "pdf",
            Source::Aaa => "html",
            _ => "json",
        }
    }

    /// Parses a payload of this source.
    pub fn parse(self, bytes: &[u8], file: &str) -> Result<Table, DataError> {
        match self {
            Source::Bls => parse::bls::parse(bytes, file),
            Source::Claims => parse::claims::parse(bytes, file),
            Source::ClaimsStates => parse::claims::parse_states(bytes, file),
            Source::ClaimsRelease => parse::claims::parse_release(bytes, file),
            Source::Treasury => parse::treasury::parse_csv(bytes, file),
            Source::TreasuryXml => parse::treasury::parse_xml(bytes, file),
            Source::Fred => parse::treasury::parse_fred(bytes, file),
            Source::Nowcast => parse::nowcast::parse(bytes, file),
            Source::NwsForecast(_) => parse::nws::parse_forecast(bytes, file),
            Source::NwsCli(city) => parse::nws::parse_cli(bytes, file, city.cli_site()),
            Source::Aaa => parse::gasoline::parse_aaa(bytes, file),
            Source::Eia => parse::gasoline::parse_eia(bytes, file),
            Source::IndexAggs => parse::index::parse_aggs(bytes, file),
            Source::IndexSnapshot => parse::index::parse_snapshot(bytes, file),
            Source::KalshiTrades => parse::kalshi_history::parse_trades(bytes, file),
            Source::KalshiCandles => parse::kalshi_history::parse_candles(bytes, file),
            Source::KalshiSettled => parse::kalshi_history::parse_settled(bytes, file),
        }
    }

    /// A strategy prices from it (as opposed to history, covariates and settlement checks).
    pub fn is_strategy_input(self) -> bool {
        matches!(
            self,
            Source::Bls
                | Source::Nowcast
                | Source::Aaa
                | Source::Eia
                | Source::NwsForecast(_)
                | Source::NwsCli(_)
                | Source::IndexAggs
                | Source::IndexSnapshot
                | Source::Treasury
                | Source::Claims
        )
    }

    /// Sites that refuse non-browser user agents (Cleveland Fed, AAA).
    pub fn needs_browser_agent(self) -> bool {
        matches!(self, Source::Nowcast | Source::Aaa)
    }
}

impl std::str::FromStr for Source {
    type Err = String;

    fn from_str(text: &str) -> Result<Source, String> {
        Source::ALL.iter().copied().find(|s| s.name() == text).ok_or_else(|| {
            let names: Vec<&str> = Source::ALL.iter().map(|s| s.name()).collect();
            format!("unknown source `{text}` (known: {})", names.join(", "))
        })
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `configs/data.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// `User-Agent` for public APIs (weather.gov requires a contact).
    pub user_agent: String,
    /// `User-Agent` for sites that refuse scripts.
    pub browser_user_agent: String,
    /// Per-request timeout.
    pub timeout_secs: u64,
    /// Attempts after the first.
    pub retries: u32,
    /// Oldest data a strategy may price from, per source, in hours (the gate's `data_age_secs`).
    pub max_age_hours: BTreeMap<String, f64>,
    /// Base URL per source family (`bls`, `dol`, `treasury`, `fred`, `clevelandfed`, `nws`,
    /// `aaa`, `eia`, `massive`, `kalshi`).
    pub base_urls: BTreeMap<String, String>,
}

/// How to ask for a source's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `GET url`.
    Get {
        /// URL.
        url: String,
    },
    /// `POST url` with a JSON body.
    PostJson {
        /// URL.
        url: String,
        /// Body.
        body: String,
    },
    /// `POST url` with a form body.
    PostForm {
        /// URL.
        url: String,
        /// Fields.
        form: Vec<(String, String)>,
    },
    /// The NWS product list, then its newest product.
    NwsLatestProduct {
        /// The list URL.
        list_url: String,
    },
    /// The NWS point lookup, then the forecast it names (`properties.forecast`, asked of
    /// the same base URL).
    NwsPointForecast {
        /// The `/points/{lat},{lon}` URL.
        points_url: String,
    },
}

/// What a fetch may be parameterised with.
#[derive(Debug, Clone, Default)]
pub struct FetchParams {
    /// Kalshi series (trades, settled markets).
    pub series: Option<String>,
    /// Kalshi market (candles, trades).
    pub ticker: Option<String>,
    /// API keys by variable name (`BLS_API_KEY`, `EIA_API_KEY`, `MASSIVE_API_KEY`).
    pub keys: BTreeMap<String, String>,
}

/// Why a source cannot be fetched as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct RequestError {
    /// The source.
    pub source_name: &'static str,
    /// Why.
    pub message: String,
}

impl DataConfig {
    fn base(&self, source: Source, family: &str) -> Result<String, RequestError> {
        self.base_urls.get(family).map(|u| u.trim_end_matches('/').to_string()).ok_or_else(|| RequestError {
            source_name: source.name(),
            message: format!("configs/data.toml has no base_urls.{family}"),
        })
    }

    /// The request for `source` on `today` (New York date).
    pub fn request(&self, source: Source, today: NaiveDate, params: &FetchParams) -> Result<Request, RequestError> {
        let year = today.year();
        let key = |name: &str| params.keys.get(name).cloned();
        let need = |what: &str, v: &Option<String>| {
            v.clone().ok_or_else(|| RequestError { source_name: source.name(), message: format!("needs --{what}") })
        };
        Ok(match source {
            Source::Bls => {
                let mut body = serde_json::json!({
                    "seriesid": ["CUSR0000SA0", "CUUR0000SA0", "CUSR0000SA0L1E", "CUUR0000SA0L1E"],
                    "startyear": (year - 1).to_string(),
                    "endyear": year.to_string(),
                });
                if let Some(k) = key("BLS_API_KEY") {
                    body["registrationkey"] = serde_json::Value::String(k);
                }
                Request::PostJson {
                    url: format!("{}/publicAPI/v2/timeseries/data/", self.base(source, "bls")?),
                    body: body.to_string(),
                }
            }
            Source::Claims => Request::PostForm {
                url: format!("{}/unemploy/wkclaims/report.asp", self.base(source, "dol")?),
                form: vec![
                    ("level".into(), "us".into()),
                    ("final_yr".into(), (year + 1).to_string()),
                    ("strtdate".into(), (year - 1).to_string()),
                    ("enddate".into(), year.to_string()),
                    ("filetype".into(), "xml".into()),
                ],
            },
            Source::ClaimsStates => {
                Request::Get { url: format!("{}/unemploy/csv/ar539.csv", self.base(source, "dol")?) }
            }
            // 302 to the week's release PDF.
            Source::ClaimsRelease => {
                Request::Get { url: format!("{}/unemploy/weeklyRedirect.php", self.base(source, "dol")?) }
            }
            Source::Treasury => Request::Get {
                url: format!(
                    "{}/resource-center/data-chart-center/interest-rates/daily-treasury-rates.csv/{year}/all?type=daily_treasury_yield_curve&field_tdr_date_value={year}&page&_format=csv",
                    self.base(source, "treasury")?
                ),
            },
            Source::TreasuryXml => Request::Get {
                url: format!(
                    "{}/resource-center/data-chart-center/interest-rates/pages/xml?data=daily_treasury_yield_curve&field_tdr_date_value={year}",
                    self.base(source, "treasury")?
                ),
            },
            Source::Fred => {
                Request::Get { url: format!("{}/graph/fredgraph.csv?id=DGS10", self.base(source, "fred")?) }
            }
            Source::Nowcast => Request::Get {
                url: format!(
                    "{}/-/media/files/webcharts/inflationnowcasting/nowcast_month.json?sc_lang=en",
                    self.base(source, "clevelandfed")?
                ),
            },
            Source::NwsForecast(city) => {
                let base = self.base(source, "nws")?;
                match city.gridpoint() {
                    Some(grid) => Request::Get { url: format!("{base}/gridpoints/{grid}/forecast") },
                    None => {
                        let (lat, lon) = city.point();
                        Request::NwsPointForecast { points_url: format!("{base}/points/{lat},{lon}") }
                    }
                }
            }
            Source::NwsCli(city) => Request::NwsLatestProduct {
                list_url: format!("{}/products/types/CLI/locations/{}", self.base(source, "nws")?, city.cli_site()),
            },
            Source::Aaa => Request::Get { url: format!("{}/", self.base(source, "aaa")?) },
            Source::Eia => {
                let k = key("EIA_API_KEY").ok_or_else(|| RequestError {
                    source_name: source.name(),
                    message: "needs EIA_API_KEY in the environment".into(),
                })?;
                Request::Get {
                    url: format!(
                        "{}/v2/petroleum/pri/gnd/data/?api_key={k}&frequency=weekly&data[0]=value&facets[series][]=EMM_EPMR_PTE_NUS_DPG&sort[0][column]=period&sort[0][direction]=desc&length=260",
                        self.base(source, "eia")?
                    ),
                }
            }
            Source::IndexAggs => {
                let from = today - Duration::days(7);
                Request::Get {
                    url: format!(
                        "{}/v2/aggs/ticker/I:SPX/range/1/minute/{from}/{today}?sort=asc&limit=50000",
                        self.base(source, "massive")?
                    ),
                }
            }
            Source::IndexSnapshot => Request::Get {
                url: format!("{}/v3/snapshot/indices?ticker.any_of=I:SPX,I:NDX", self.base(source, "massive")?),
            },
            Source::KalshiTrades => {
                let ticker = need("ticker", &params.ticker)?;
                Request::Get {
                    url: format!("{}/markets/trades?ticker={ticker}&limit=1000", self.base(source, "kalshi")?),
                }
            }
            Source::KalshiCandles => {
                let (series, ticker) = (need("series", &params.series)?, need("ticker", &params.ticker)?);
                let end = today.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp()) + 86_400;
                Request::Get {
                    url: format!(
                        "{}/series/{series}/markets/{ticker}/candlesticks?start_ts={}&end_ts={end}&period_interval=60",
                        self.base(source, "kalshi")?,
                        end - 30 * 86_400
                    ),
                }
            }
            Source::KalshiSettled => {
                let series = need("series", &params.series)?;
                Request::Get {
                    url: format!(
                        "{}/markets?series_ticker={series}&status=settled&limit=1000",
                        self.base(source, "kalshi")?
                    ),
                }
            }
        })
    }
}

/// A URL with its secrets (`api_key`, `apiKey`, `registrationkey`) replaced by `***`, for
/// meta files and messages.
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_string() };
    let parts: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if matches!(k.to_ascii_lowercase().as_str(), "api_key" | "apikey" | "registrationkey") => {
                format!("{k}=***")
            }
            _ => p.to_string(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_secrets_are_redacted() {
        for s in Source::ALL {
            assert_eq!(s.name().parse::<Source>(), Ok(s));
        }
        assert!("nope".parse::<Source>().unwrap_err().contains("known: bls, claims"));
        assert_eq!(
            redact_url("https://x/v2/data/?api_key=SECRET&frequency=weekly"),
            "https://x/v2/data/?api_key=***&frequency=weekly"
        );
    }
}
