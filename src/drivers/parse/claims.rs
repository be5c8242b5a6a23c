//! DOL unemployment-insurance weekly claims, three payloads:
//!
//! * the national history (`POST https://oui.doleta.gov/unemploy/wkclaims/report.asp`,
//!   `filetype=xml`): `<r539cyNational>` of `<week>` with `weekEnded` (MM/DD/YYYY) and
//!   `InitialClaims` / `ContinuedClaims`, each holding `NSA`, `SF` (seasonal factor × 100),
//!   `SA`, `SA4WK`; it lags the release by about three weeks;
//! * the states file `ar539.csv` (NSA only): `st`, `rptdate` (week the initial claims were
//!   filed), `c3` state UI initial claims, `c8` state UI continued weeks; summed per week;
//! * the weekly release's text (the PDF's text layer, or the HTML release): "the advance
//!   figure for seasonally adjusted initial claims was N" for the week ending a Saturday — the
//!   settlement value of `KXJOBLESSCLAIMS`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use quick_xml::events::Event;

use super::{Cell, DataError, Table, parse_date, refuse_html};

/// One national week.
#[derive(Debug, Clone, PartialEq)]
pub struct NationalWeek {
    /// The Saturday the week ends.
    pub week_ended: NaiveDate,
    /// Initial claims, not seasonally adjusted.
    pub initial_nsa: Option<i64>,
    /// Initial claims, seasonally adjusted.
    pub initial_sa: Option<i64>,
    /// Seasonal factor × 100.
    pub seasonal_factor: Option<f64>,
    /// Continued claims, seasonally adjusted.
    pub continued_sa: Option<i64>,
}

fn number(text: &str) -> Option<f64> {
    let t = text.trim().replace(',', "");
    if t.is_empty() || t == "-" { None } else { t.parse().ok() }
}

/// The national history, oldest week first.
pub fn national(bytes: &[u8], file: &str) -> Result<Vec<NationalWeek>, DataError> {
    const SOURCE: &str = "claims";
    refuse_html(SOURCE, file, bytes)?;
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut path: Vec<String> = Vec::new();
    let mut weeks = Vec::new();
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut root_seen = false;
    loop {
        let at = |r: &quick_xml::Reader<&[u8]>| Some(format!("byte {}", r.buffer_position()));
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                root_seen |= name == "r539cyNational";
                if name == "week" {
                    fields.clear();
                }
                path.push(name);
            }
            Ok(Event::Text(t)) => {
                if path.iter().any(|p| p == "week") {
                    let key = path.iter().skip_while(|p| *p != "week").skip(1).cloned().collect::<Vec<_>>().join(".");
                    let text = t.unescape().map_err(|e| DataError::new(SOURCE, file, at(&reader), e.to_string()))?;
                    fields.entry(key).or_default().push_str(text.trim());
                }
            }
            Ok(Event::End(_)) => {
                if path.pop().as_deref() == Some("week") {
                    let location = Some(format!("week {}", weeks.len() + 1));
                    let ended = fields.get("weekEnded").and_then(|d| parse_date(d)).ok_or_else(|| {
                        DataError::new(SOURCE, file, location.clone(), "weekEnded missing or not MM/DD/YYYY")
                    })?;
                    let get = |k: &str| fields.get(k).and_then(|v| number(v));
                    weeks.push(NationalWeek {
                        week_ended: ended,
                        initial_nsa: get("InitialClaims.NSA").map(|v| v as i64),
                        initial_sa: get("InitialClaims.SA").map(|v| v as i64),
                        seasonal_factor: get("InitialClaims.SF"),
                        continued_sa: get("ContinuedClaims.SA").map(|v| v as i64),
                    });
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(DataError::new(SOURCE, file, at(&reader), format!("not well-formed XML: {e}"))),
        }
    }
    if !root_seen {
        return Err(DataError::new(SOURCE, file, None, "no <r539cyNational> element (not the national history)"));
    }
    weeks.sort_by_key(|w| w.week_ended);
    Ok(weeks)
}

/// One week of the states file, summed over states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatesWeek {
    /// The week the initial claims were filed (`rptdate`).
    pub week: NaiveDate,
    /// Σ `c3`: state UI initial claims, NSA.
    pub initial_nsa: i64,
    /// Σ `c8`: state UI continued weeks claimed, NSA.
    pub continued_nsa: i64,
    /// States reporting.
    pub states: usize,
}

/// `ar539.csv`, summed per week, oldest first.
pub fn states(bytes: &[u8], file: &str) -> Result<Vec<StatesWeek>, DataError> {
    const SOURCE: &str = "claims_states";
    refuse_html(SOURCE, file, bytes)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers =
        reader.headers().map_err(|e| DataError::new(SOURCE, file, Some("line 1".into()), e.to_string()))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| DataError::new(SOURCE, file, Some("line 1".into()), format!("no `{name}` column")))
    };
    let (rptdate, c3, c8) = (column("rptdate")?, column("c3")?, column("c8")?);
    let mut weeks: BTreeMap<NaiveDate, StatesWeek> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let at = |field: &str| Some(format!("line {line}, {field}"));
        let record = record.map_err(|e| DataError::new(SOURCE, file, Some(format!("line {line}")), e.to_string()))?;
        if !weeks.is_empty() && super::is_footnote(&record, headers.len()) {
            continue;
        }
        if record.len() < headers.len() {
            return Err(DataError::new(
                SOURCE,
                file,
                Some(format!("line {line}")),
                format!("{} of {} fields (truncated file?)", record.len(), headers.len()),
            ));
        }
        let get = |c: usize| record.get(c).unwrap_or("").trim();
        let week = parse_date(get(rptdate))
            .ok_or_else(|| DataError::new(SOURCE, file, at("rptdate"), format!("`{}` is not a date", get(rptdate))))?;
        let count = |c: usize, name: &str| -> Result<i64, DataError> {
            let v = get(c);
            if v.is_empty() {
                return Ok(0);
            }
            v.parse().map_err(|_| DataError::new(SOURCE, file, at(name), format!("`{v}` is not a count")))
        };
        let entry = weeks.entry(week).or_insert(StatesWeek { week, initial_nsa: 0, continued_nsa: 0, states: 0 });
        entry.initial_nsa += count(c3, "c3")?;
        entry.continued_nsa += count(c8, "c8")?;
        entry.states += 1;
    }
    Ok(weeks.into_values().collect())
}

/// The weekly release's headline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The Saturday the reference week ends.
    pub week_ended: NaiveDate,
    /// The advance seasonally adjusted initial claims.
    pub advance_sa: i64,
}

/// The release: its text, or a PDF's text. Words are matched with all whitespace removed (a
/// PDF's text layer may split or join them): "the advance figure for seasonally adjusted
/// initial claims was N", the week ending ("In the week ending November 22") before it, and
/// the year from the release's date line ("…, November 26, 2025").
pub fn release(bytes: &[u8], file: &str) -> Result<Release, DataError> {
    const SOURCE: &str = "claims_release";
    let err = |m: &str| DataError::new(SOURCE, file, None, m);
    let text = if bytes.starts_with(b"%PDF") {
        super::pdf::text(bytes).map_err(|why| err(&why))?
    } else {
        String::from_utf8_lossy(bytes).to_string()
    };
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let key = "theadvancefigureforseasonallyadjustedinitialclaimswas";
    let at = squeezed
        .find(key)
        .ok_or_else(|| err("no sentence \"the advance figure for seasonally adjusted initial claims was N\""))?;
    let figure: String = squeezed[at + key.len()..].chars().take_while(|c| c.is_ascii_digit() || *c == ',').collect();
    let advance_sa: i64 =
        figure.replace(',', "").parse().map_err(|_| err(&format!("advance figure `{figure}` is not a number")))?;
    let week_key = "intheweekending";
    let w = squeezed[..at].rfind(week_key).ok_or_else(|| err("no \"In the week ending …\" before the figure"))?;
    let (month, day) = month_day(&squeezed[w + week_key.len()..])
        .ok_or_else(|| err("the week-ending date does not read as \"Month D\""))?;
    // The release's date line: the first "<month><day>,<year>".
    let year = (0..squeezed.len())
        .filter(|i| squeezed.is_char_boundary(*i))
        .find_map(|i| {
            let rest = &squeezed[i..];
            let (_, _, after) = month_day_rest(rest)?;
            let after = after.strip_prefix(',')?;
            let y: i32 = after.get(..4)?.parse().ok()?;
            (2000..=2100).contains(&y).then_some(y)
        })
        .ok_or_else(|| err("no release date (\"Month D, YYYY\")"))?;
    // A week ending in late December read from a January release belongs to the year before.
    let year = if month == 12 && squeezed.contains("january") { year - 1 } else { year };
    let week_ended =
        NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| err("the week-ending date is not a date"))?;
    Ok(Release { week_ended, advance_sa })
}

fn month_day_rest(text: &str) -> Option<(u32, u32, &str)> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let (m, name) = MONTHS.iter().enumerate().find(|(_, name)| text.starts_with(*name))?;
    let rest = &text[name.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let day: u32 = digits.parse().ok().filter(|d| (1..=31).contains(d))?;
    Some((m as u32 + 1, day, &rest[digits.len()..]))
}

fn month_day(text: &str) -> Option<(u32, u32)> {
    month_day_rest(text).map(|(m, d, _)| (m, d))
}

/// The national history as a table.
pub fn parse(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let weeks = national(bytes, file)?;
    let opt = |v: Option<i64>| v.map_or(Cell::Missing, Cell::Int);
    Ok(Table {
        columns: vec!["week_ended", "initial_nsa", "initial_sa", "seasonal_factor", "continued_sa"],
        as_of: weeks.last().map(|w| w.week_ended),
        rows: weeks
            .into_iter()
            .map(|w| {
                vec![
                    Cell::Date(w.week_ended),
                    opt(w.initial_nsa),
                    opt(w.initial_sa),
                    w.seasonal_factor.map_or(Cell::Missing, Cell::Float),
                    opt(w.continued_sa),
                ]
            })
            .collect(),
    })
}

/// The states file as a table (one row per week, summed).
pub fn parse_states(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let weeks = states(bytes, file)?;
    Ok(Table {
        columns: vec!["week", "initial_nsa", "continued_nsa", "states"],
        as_of: weeks.last().map(|w| w.week),
        rows: weeks
            .into_iter()
            .map(|w| {
                vec![
                    Cell::Date(w.week),
                    Cell::Int(w.initial_nsa),
                    Cell::Int(w.continued_nsa),
                    Cell::Int(w.states as i64),
                ]
            })
            .collect(),
    })
}

/// The release headline as a one-row table.
pub fn parse_release(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let r = release(bytes, file)?;
    Ok(Table {
        columns: vec!["week_ended", "advance_sa"],
        as_of: Some(r.week_ended),
        rows: vec![vec![Cell::Date(r.week_ended), Cell::Int(r.advance_sa)]],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_history_xml() {
        let xml = r#"<?xml version="1.0"?><r539cyNational><week><weekEnded>11/15/2025</weekEnded><InitialClaims><NSA>229,312</NSA><SF>104.3</SF><SA>220000</SA><SA4WK>224250</SA4WK></InitialClaims><ContinuedClaims><NSA>1,801,234</NSA><SF>96.1</SF><SA>1960000</SA><SA4WK>1950000</SA4WK></ContinuedClaims></week><week><weekEnded>11/22/2025</weekEnded><InitialClaims><NSA></NSA><SF>110.2</SF><SA>216000</SA><SA4WK>222000</SA4WK></InitialClaims></week></r539cyNational>"#;
        let weeks = national(xml.as_bytes(), "h.xml").unwrap();
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].initial_nsa, Some(229_312));
        assert_eq!(weeks[1].initial_nsa, None, "blank is missing");
        assert_eq!(weeks[1].initial_sa, Some(216_000));
        let err = national(b"<r539cyNational><week><weekEnded>soon</weekEnded></week></r539cyNational>", "h.xml")
            .unwrap_err();
        assert_eq!(err.to_string(), "claims: h.xml: week 1: weekEnded missing or not MM/DD/YYYY");
        assert!(national(b"<other/>", "h.xml").is_err());
    }

    #[test]
    fn states_csv_sums_per_week_and_names_bad_cells() {
        let csv = "\"st\",\"rptdate\",\"c1\",\"c2\",\"c3\",\"c4\",\"c5\",\"c6\",\"c7\",\"c8\"\n\"NY\",\"2026-05-30\",22,2026-05-23,15234,1,2,3,4,120000\n\"NJ\",\"05/30/2026\",22,2026-05-23,8000,0,0,0,0,60000\n\"NY\",\"2026-06-06\",23,2026-05-30,14000,0,0,0,0,119000\n";
        let weeks = states(csv.as_bytes(), "ar539.csv").unwrap();
        assert_eq!(weeks[0].initial_nsa, 23_234);
        assert_eq!((weeks[0].states, weeks[0].continued_nsa), (2, 180_000));
        let bad = csv.replace("8000", "8k");
        assert_eq!(
            states(bad.as_bytes(), "ar539.csv").unwrap_err().to_string(),
            "claims_states: ar539.csv: line 3, c3: `8k` is not a count"
        );
    }

    #[test]
    fn release_headline() {
        let text = "UNEMPLOYMENT INSURANCE WEEKLY CLAIMS\nFor release 8:30 a.m. (Eastern) Wednesday, November 26, 2025\n\nSEASONALLY ADJUSTED DATA\nIn the week ending November 22, the advance figure for seasonally adjusted initial claims was 216,000, a decrease of 6,000 from the previous week's revised level.";
        let r = release(text.as_bytes(), "release.txt").unwrap();
        assert_eq!(r, Release { week_ended: NaiveDate::from_ymd_opt(2025, 11, 22).unwrap(), advance_sa: 216_000 });
        assert!(release(b"nothing here", "r.txt").unwrap_err().to_string().contains("advance figure"));
        // Words a PDF's text layer split or joined still match.
        let joined = text.replace("seasonally adjusted initial", "season ally adjustedinitial");
        assert_eq!(release(joined.as_bytes(), "release.txt").unwrap().advance_sa, 216_000);
    }
}
