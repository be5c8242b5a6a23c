//! Loads the data strategies read: for each source the current table's raw file
//! (`data/proc/<source>/meta.json` → its raw bytes, aged by its fetch time) or, when there is
//! none, the newest bundled fixture. An input older than its `max_age_hours` is left out and
//! says so; one that does not parse, or a table whose files cannot be read, is left out with
//! its error (never replaced by a fixture). Strategies then say what they lack, never price
//! from stale or unreadable data silently.

use chrono::{DateTime, Utc};

use crate::drivers::parse;
use crate::drivers::source::{DataConfig, Source};
use crate::drivers::store::{DataStore, Origin};
use crate::strategies::data::{DataSet, Provenance};

/// The bytes of `source`'s current input, with provenance (`Ok(None)` when nothing exists).
/// A table whose meta or raw file cannot be read is `Err` with why: it is not replaced by a
/// bundled fixture. Online sessions never price from a bundled fixture: it has no fetch time.
fn input(
    store: &DataStore,
    source: Source,
    now: DateTime<Utc>,
    online: bool,
) -> Result<Option<(Vec<u8>, Provenance)>, Provenance> {
    let unreadable = |file: String, e: &dyn std::fmt::Display| Provenance {
        origin: format!("unreadable: {e}"),
        file,
        age_secs: None,
    };
    let table = store.meta(source).map_err(|e| unreadable(e.path.display().to_string(), &e.message))?;
    if let Some(meta) = table {
        let file = meta.raw.display().to_string();
        let bytes = std::fs::read(&meta.raw).map_err(|e| unreadable(file.clone(), &e))?;
        if online && meta.origin == Origin::Fixture {
            return Ok(None);
        }
        return Ok(Some((
            bytes,
            Provenance { origin: meta.origin.as_str().to_string(), file, age_secs: meta.age_secs(now) },
        )));
    }
    if online {
        return Ok(None);
    }
    let Some(path) = store.fixtures(source).into_iter().next() else { return Ok(None) };
    let bytes = std::fs::read(&path).map_err(|e| unreadable(path.display().to_string(), &e))?;
    Ok(Some((bytes, Provenance { origin: "fixture".into(), file: path.display().to_string(), age_secs: None })))
}

/// Everything strategies may read, as of `now` (only the `wanted` sources when given: a
/// session reads no file its series do not price from); `online` sessions leave bundled
/// fixtures out.
pub fn load(
    store: &DataStore,
    config: &DataConfig,
    now: DateTime<Utc>,
    online: bool,
    wanted: Option<&[Source]>,
) -> DataSet {
    let mut inputs = Vec::new();
    // Inputs left out (stale or unreadable), with why: recorded, never priced from.
    let mut left_out = Vec::new();
    for source in Source::ALL.into_iter().filter(|s| s.is_strategy_input() && wanted.is_none_or(|w| w.contains(s))) {
        let (bytes, mut provenance) = match input(store, source, now, online) {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(why) => {
                left_out.push((source, why));
                continue;
            }
        };
        let max_age = config.max_age_hours.get(source.name()).map(|h| h * 3600.0);
        if let (Some(age), Some(max)) = (provenance.age_secs, max_age)
            && age > max
        {
            provenance.origin = format!("stale: {:.1} h old, max {:.0} h", age / 3600.0, max / 3600.0);
            left_out.push((source, provenance));
            continue;
        }
        inputs.push((source, bytes, provenance));
    }
    let mut data = from_payloads(inputs);
    for (source, provenance) in left_out {
        data.provenance.insert(source.name().to_string(), provenance);
    }
    data
}

/// A data set from given payloads (a backtest's point-in-time selection, or the current
/// inputs); one that does not parse is left out, its provenance saying why.
pub fn from_payloads(inputs: Vec<(Source, Vec<u8>, Provenance)>) -> DataSet {
    let mut data = DataSet::default();
    for (source, bytes, mut provenance) in inputs {
        let file = provenance.file.clone();
        let parsed: Result<(), parse::DataError> = (|| {
            match source {
                Source::Bls => data.bls = Some(parse::bls::observations(&bytes, &file)?),
                Source::Nowcast => data.nowcast = Some(parse::nowcast::points(&bytes, &file)?),
                Source::Aaa => data.aaa = Some(parse::gasoline::aaa(&bytes, &file)?),
                Source::Eia => data.eia = Some(parse::gasoline::eia(&bytes, &file)?),
                Source::NwsForecast(city) => {
                    data.forecast.insert(city, parse::nws::forecast_highs(&bytes, &file)?);
                }
                Source::NwsCli(city) => {
                    data.climate.insert(city, parse::nws::station_report(&bytes, &file, city.cli_site())?);
                }
                Source::IndexAggs => data.index_bars = Some(parse::index::aggregates(&bytes, &file)?.0),
                Source::IndexSnapshot => data.index_snapshot = Some(parse::index::snapshot(&bytes, &file)?),
                Source::Treasury => data.treasury = Some(parse::treasury::curve_csv(&bytes, &file)?),
                Source::Claims => data.claims = Some(parse::claims::national(&bytes, &file)?),
                _ => {}
            }
            Ok(())
        })();
        if let Err(e) = parsed {
            provenance.origin = format!("unreadable: {e}");
        }
        data.provenance.insert(source.name().to_string(), provenance);
    }
    data
}
