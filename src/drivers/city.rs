//! The cities whose daily-high ladders the weather strategy prices, each with its settlement
//! station (the NWS Daily Climate Report's site), the forecast it reads (an NWS gridpoint, or
//! the station's coordinates to look one up), and its time zone (the climate day runs
//! midnight to midnight local standard time). Facts, not configuration: the exchange's rules
//! name the station.

use chrono_tz::Tz;

/// A city with a daily-high ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum City {
    /// New York, Central Park (`KXHIGHNY`, `CLINYC`).
    NewYork,
    /// Chicago, Midway Airport (`KXHIGHCHI`, `CLIMDW`; not O'Hare).
    Chicago,
    /// Los Angeles International Airport (`KXHIGHLAX`, `CLILAX`).
    LosAngeles,
}

impl City {
    /// Every city.
    pub const ALL: [City; 3] = [City::NewYork, City::Chicago, City::LosAngeles];

    /// The city whose ladder `series` is.
    pub fn for_series(series: &str) -> Option<City> {
        City::ALL.into_iter().find(|c| c.series() == series)
    }

    /// Its Kalshi series.
    pub fn series(self) -> &'static str {
        match self {
            City::NewYork => "KXHIGHNY",
            City::Chicago => "KXHIGHCHI",
            City::LosAngeles => "KXHIGHLAX",
        }
    }

    /// Short code used in source and parameter names (`nyc`, `chi`, `lax`).
    pub fn code(self) -> &'static str {
        match self {
            City::NewYork => "nyc",
            City::Chicago => "chi",
            City::LosAngeles => "lax",
        }
    }

    /// The climate report's site (`issuedby`): the product is `CLI` + this.
    pub fn cli_site(self) -> &'static str {
        match self {
            City::NewYork => "NYC",
            City::Chicago => "MDW",
            City::LosAngeles => "LAX",
        }
    }

    /// The station, as people name it.
    pub fn station(self) -> &'static str {
        match self {
            City::NewYork => "Central Park",
            City::Chicago => "Chicago Midway",
            City::LosAngeles => "Los Angeles International",
        }
    }

    /// The NWS gridpoint of its forecast (`OFFICE/X,Y`) when known; otherwise the forecast
    /// URL is looked up from [`City::point`] (`/points/{lat},{lon}` → `properties.forecast`).
    pub fn gridpoint(self) -> Option<&'static str> {
        match self {
            City::NewYork => Some("OKX/33,37"),
            City::Chicago | City::LosAngeles => None,
        }
    }

    /// The station's latitude and longitude (degrees, four decimals as `/points` wants).
    pub fn point(self) -> (&'static str, &'static str) {
        match self {
            City::NewYork => ("40.7812", "-73.9665"),
            City::Chicago => ("41.7868", "-87.7522"),
            City::LosAngeles => ("33.9382", "-118.3866"),
        }
    }

    /// Its time zone (the climate day is local standard time in it).
    pub fn timezone(self) -> Tz {
        match self {
            City::NewYork => chrono_tz::America::New_York,
            City::Chicago => chrono_tz::America::Chicago,
            City::LosAngeles => chrono_tz::America::Los_Angeles,
        }
    }
}

impl std::fmt::Display for City {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_and_sites_are_one_to_one() {
        for c in City::ALL {
            assert_eq!(City::for_series(c.series()), Some(c));
        }
        assert_eq!(City::for_series("KXHIGHMIA"), None);
        assert_eq!(City::Chicago.cli_site(), "MDW", "Midway, not O'Hare");
    }
}
