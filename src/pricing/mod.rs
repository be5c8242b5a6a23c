//! Fees, market-implied and model PMFs, expected value after fees and Kelly sizing.
//! Pure: no I/O, no clock.

pub mod distribution;
pub mod ev;
pub mod fees;
pub mod market_pmf;
pub mod normal;
pub mod owens_t;
