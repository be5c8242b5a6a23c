//! The live book against a naive reference over long random delta sequences. A delta that
//! would take a level below zero is refused whole: the book keeps its levels and waits for a
//! snapshot (no later delta applies).

use std::collections::BTreeMap;

use kalshi_alpha::kalshi::live_book::BookSet;
use kalshi_alpha::kalshi::ws::WsMessage;
use proptest::prelude::*;

/// (side yes?, price in cents 1..=99, signed delta in hundredths)
fn deltas() -> impl Strategy<Value = Vec<(bool, i64, i64)>> {
    prop::collection::vec((any::<bool>(), 1_i64..=99, -500_i64..=500), 1..400)
}

fn level_text(price_cents: i64, centis: i64) -> String {
    format!("[\"{}.{:02}00\",\"{}.{:02}\"]", price_cents / 100, price_cents % 100, centis / 100, centis % 100)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn matches_a_naive_reference(start in prop::collection::btree_map(1_i64..=99, 1_i64..=5000, 0..16), moves in deltas()) {
        let mut books = BookSet::default();
        let yes: Vec<String> = start.iter().map(|(p, c)| level_text(*p, *c)).collect();
        let snap = format!(r#"{{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{{"market_ticker":"M","yes_dollars_fp":[{}]}}}}"#, yes.join(","));
        books.apply(&WsMessage::decode(&snap).unwrap(), 0);
        let mut reference: [BTreeMap<i64, i64>; 2] = [start.clone(), BTreeMap::new()];
        let mut valid = true;
        for (i, (is_yes, price, delta)) in moves.iter().enumerate() {
            let side = if *is_yes { "yes" } else { "no" };
            let sign = if *delta < 0 { "-" } else { "" };
            let d = delta.abs();
            let text = format!(
                r#"{{"type":"orderbook_delta","sid":1,"seq":{},"msg":{{"market_ticker":"M","price_dollars":"0.{:02}00","delta_fp":"{sign}{}.{:02}","side":"{side}"}}}}"#,
                i + 2, price, d / 100, d % 100
            );
            books.apply(&WsMessage::decode(&text).unwrap(), 0);
            if !valid {
                continue;
            }
            let levels = &mut reference[usize::from(!*is_yes)];
            let now = levels.get(price).copied().unwrap_or(0) + delta;
            if now > 0 { levels.insert(*price, now); } else if now == 0 { levels.remove(price); } else { valid = false; }
        }
        prop_assert!(books.gaps.is_empty());
        prop_assert_eq!(books.book("M").unwrap().valid, valid);
        let book = books.book("M").unwrap().to_book();
        for (levels, side) in [(&reference[0], book.yes_bids()), (&reference[1], book.no_bids())] {
            let got: Vec<(i64, i64)> = side.iter().map(|l| (l.price.micros() / 10_000, l.size.centis())).collect();
            let want: Vec<(i64, i64)> = levels.iter().map(|(p, c)| (*p, *c)).collect();
            prop_assert_eq!(got, want);
        }
    }
}
