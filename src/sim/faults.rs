//! Faults the simulator injects on request, drawn from a seeded generator so a test run is
//! repeatable: `429=0.2,5xx=0.1,latency_ms=50,lose=0.3,seed=7`.

use std::time::Duration;

/// What to inject.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Share of requests answered 429.
    pub rate_429: f64,
    /// Share of requests answered 503.
    pub rate_5xx: f64,
    /// Delay added to every response.
    pub latency: Duration,
    /// Share of order creates that are applied but whose response is never sent.
    pub lose_response: f64,
    /// Close each WebSocket connection after this many messages (0: never).
    pub ws_drop_after: u64,
    /// The WebSocket goes silent (no data, no pings; the connection stays open) this many ms
    /// after it opens (0: never): a stalled feed.
    pub ws_stall_ms: u64,
    /// Share of WebSocket sequence numbers skipped (a gap the client must notice).
    pub ws_gap: f64,
    /// Share of fills `GET /portfolio/fills` repeats; when non-zero the list also comes out
    /// newest first (duplicate and out-of-order fills).
    pub dup_fills: f64,
    /// The simulator's clock runs this many ms ahead of ours (negative: behind).
    pub clock_offset_ms: i64,
    /// The first this many reads of our orders, fills and positions are answered 500 (a
    /// venue that cannot be read: reconciliation must fail closed).
    pub reads_fail: u64,
    /// Share of fills `GET /portfolio/fills` lists without a count or a price (unreadable).
    pub bad_fills: f64,
    /// Share of order-group creates answered 500.
    pub group_fail: f64,
    /// Generator seed.
    pub seed: u64,
}

impl std::str::FromStr for Faults {
    type Err = String;

    /// `key=value` pairs separated by commas; keys `429`, `5xx`, `latency_ms`, `lose`,
    /// `ws_drop`, `ws_stall_ms`, `gap`, `dup_fills`, `clock_ms`, `reads_fail`, `bad_fills`,
    /// `group_fail`, `seed`.
    fn from_str(text: &str) -> Result<Faults, String> {
        let mut faults = Faults { seed: 1, ..Faults::default() };
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').ok_or_else(|| format!("fault `{pair}`: expected key=value"))?;
            let rate = || -> Result<f64, String> {
                let r: f64 = value.parse().map_err(|_| format!("fault {key}: `{value}` is not a number"))?;
                if (0.0..=1.0).contains(&r) {
                    Ok(r)
                } else {
                    Err(format!("fault {key}: {r} is not a share between 0 and 1"))
                }
            };
            match key {
                "429" => faults.rate_429 = rate()?,
                "5xx" => faults.rate_5xx = rate()?,
                "lose" => faults.lose_response = rate()?,
                "latency_ms" => {
                    faults.latency =
                        Duration::from_millis(value.parse().map_err(|_| format!("fault latency_ms: `{value}`"))?)
                }
                "gap" => faults.ws_gap = rate()?,
                "dup_fills" => faults.dup_fills = rate()?,
                "ws_stall_ms" => {
                    faults.ws_stall_ms = value.parse().map_err(|_| format!("fault ws_stall_ms: `{value}`"))?
                }
                "ws_drop" => faults.ws_drop_after = value.parse().map_err(|_| format!("fault ws_drop: `{value}`"))?,
                "clock_ms" => {
                    faults.clock_offset_ms = value.parse().map_err(|_| format!("fault clock_ms: `{value}`"))?
                }
                "reads_fail" => {
                    faults.reads_fail = value.parse().map_err(|_| format!("fault reads_fail: `{value}`"))?
                }
                "bad_fills" => faults.bad_fills = rate()?,
                "group_fail" => faults.group_fail = rate()?,
                "seed" => faults.seed = value.parse().map_err(|_| format!("fault seed: `{value}`"))?,
                other => {
                    return Err(format!(
                        "unknown fault `{other}` (known: 429, 5xx, latency_ms, lose, ws_drop, ws_stall_ms, gap, dup_fills, clock_ms, reads_fail, bad_fills, group_fail, seed)"
                    ));
                }
            }
        }
        Ok(faults)
    }
}

/// A small deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    /// Seeded; zero is replaced by a fixed non-zero state.
    pub fn new(seed: u64) -> Dice {
        Dice(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    /// True with probability `p`.
    pub fn roll(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rolls_repeatably() {
        let f: Faults = "429=0.5, 5xx=0.1,latency_ms=20,lose=1,seed=9".parse().unwrap();
        assert_eq!((f.rate_429, f.rate_5xx, f.latency.as_millis(), f.lose_response, f.seed), (0.5, 0.1, 20, 1.0, 9));
        assert!("429=2".parse::<Faults>().unwrap_err().contains("between 0 and 1"));
        assert!("boom=1".parse::<Faults>().unwrap_err().contains("unknown fault"));
        let (mut a, mut b) = (Dice::new(3), Dice::new(3));
        let rolls: Vec<bool> = (0..100).map(|_| a.roll(0.3)).collect();
        assert_eq!(rolls, (0..100).map(|_| b.roll(0.3)).collect::<Vec<_>>());
        let hits = rolls.iter().filter(|r| **r).count();
        assert!((15..=45).contains(&hits), "{hits}");
    }
}
