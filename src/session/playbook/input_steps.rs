//! The host steps that keep a session's inputs fed: `fetch(sources)` and `calibrate(series)`,
//! each followed by a reload of what the strategies read.

use std::time::Instant;

use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use rhai::{Array, Dynamic, Map};
use serde_json::json;

use super::*;
use crate::rules::api::runtime_error;

impl Session {
    /// Fetches each source (online: the network first; offline: cache, then fixture), then
    /// reloads what the strategies read. A rehearsal fetches nothing. Returns per source
    /// #{ok, origin, rows, as_of, fallback, error} (every key always there); an unknown
    /// source name is a script error.
    pub(super) fn fetch(&mut self, names: Array) -> StepResult<Map> {
        let (started, at) = (Instant::now(), self.now());
        let mut sources = Vec::new();
        for name in &names {
            let name =
                name.clone().into_string().map_err(|t| runtime_error(format!("fetch: a source name, not {t}")))?;
            sources.push(
                name.parse::<crate::drivers::source::Source>().map_err(|e| runtime_error(format!("fetch: {e}")))?,
            );
        }
        let one = |ok: bool, origin: &str, rows: usize, as_of: String, fallback: String, error: String| {
            Map::from([
                ("ok".into(), ok.into()),
                ("origin".into(), origin.into()),
                ("rows".into(), Dynamic::from(i64::try_from(rows).unwrap_or(i64::MAX))),
                ("as_of".into(), as_of.into()),
                ("fallback".into(), fallback.into()),
                ("error".into(), error.into()),
            ])
        };
        let mut out = Map::new();
        if self.req.dry_run {
            for s in &sources {
                out.insert(
                    s.name().into(),
                    Dynamic::from(one(false, "none", 0, String::new(), "rehearsal".into(), String::new())),
                );
            }
            self.record("fetch", &[], started, at, None, json!({"skipped": "rehearsal"}));
            return Ok(out);
        }
        let config: crate::drivers::source::DataConfig = crate::decode::read_toml(&self.req.configs.join("data.toml"))
            .map_err(|e| runtime_error(format!("fetch: {e}")))?;
        let keys = crate::drivers::fetch::api_keys(std::path::Path::new("."))
            .map_err(|e| runtime_error(format!("fetch: {e}")))?;
        let store = crate::drivers::store::DataStore::new(&self.req.out_root, &self.req.fixtures);
        let params = crate::drivers::source::FetchParams { series: None, ticker: None, keys };
        let fetcher = crate::drivers::fetch::Fetcher::new(config, store, params, false);
        let online = self.feed.is_some();
        let today = at.with_timezone(&New_York).date_naive();
        let mut record = serde_json::Map::new();
        for source in sources {
            let m = match fetcher.fetch(source, !online, at, today) {
                Ok(r) => {
                    record.insert(source.name().into(), serde_json::to_value(&r).unwrap_or_default());
                    let as_of = r.as_of.map(|d| d.to_string()).unwrap_or_default();
                    one(true, r.origin.as_str(), r.rows, as_of, r.fallback_reason.unwrap_or_default(), String::new())
                }
                Err(e) => {
                    record.insert(source.name().into(), json!({"error": e.to_string()}));
                    one(false, "none", 0, String::new(), String::new(), e.to_string())
                }
            };
            out.insert(source.name().into(), Dynamic::from(m));
        }
        self.reload_strategies(at)?;
        self.record("fetch", &[], started, at, None, serde_json::Value::Object(record));
        Ok(out)
    }

    /// Fits the series' strategy on every payload kept and writes its calibration, then
    /// reloads what the strategies read. A rehearsal fits nothing. Returns #{ok, strategy,
    /// observations, from, to, file, error} (too little history is `ok: false`, not a script
    /// error).
    pub(super) fn calibrate(&mut self, series: &str) -> StepResult<Map> {
        let (started, at) = (Instant::now(), self.now());
        let mut m = Map::from([
            ("ok".into(), false.into()),
            ("strategy".into(), "".into()),
            ("observations".into(), Dynamic::from(0_i64)),
            ("from".into(), "".into()),
            ("to".into(), "".into()),
            ("file".into(), "".into()),
            ("error".into(), "".into()),
        ]);
        if self.req.dry_run {
            m.insert("error".into(), "rehearsal: nothing fitted".into());
            self.record("calibrate", &[series], started, at, None, json!({"skipped": "rehearsal"}));
            return Ok(m);
        }
        let store = crate::drivers::store::DataStore::new(&self.req.out_root, &self.req.fixtures);
        let hidden = indicatif::ProgressBar::hidden();
        let fitted = crate::research::calibration::calibrate(
            series,
            None,
            None,
            &self.req.configs,
            &store,
            &self.req.out_root,
            at,
            &hidden,
        );
        let result = match fitted {
            Ok((c, path)) => {
                m.insert("ok".into(), true.into());
                m.insert("strategy".into(), c.strategy.clone().into());
                m.insert("observations".into(), Dynamic::from(i64::try_from(c.observations).unwrap_or(i64::MAX)));
                m.insert("from".into(), c.from.to_string().into());
                m.insert("to".into(), c.to.to_string().into());
                m.insert("file".into(), path.display().to_string().into());
                json!({"strategy": c.strategy, "observations": c.observations, "from": c.from, "to": c.to, "file": path})
            }
            Err(e) => {
                m.insert("error".into(), e.to_string().into());
                json!({"error": e.to_string()})
            }
        };
        self.reload_strategies(at)?;
        self.record("calibrate", &[series], started, at, None, result);
        Ok(m)
    }

    /// Reloads the strategies' data and parameters (after a fetch or a calibration).
    fn reload_strategies(&mut self, at: DateTime<Utc>) -> StepResult<()> {
        let online = self.feed.is_some();
        let context = crate::session::StrategyContext::load(
            &self.req.configs,
            &self.req.out_root,
            &self.req.fixtures,
            at,
            online,
            None,
        )
        .map_err(|e| runtime_error(format!("reloading the strategies' inputs: {e}")))?;
        self.inputs.strategies = Some(context);
        Ok(())
    }
}
