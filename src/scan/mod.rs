//! The scan, pure: a [`snapshot::LadderSnapshot`] (what the exchange shows of one ladder
//! event, from fixtures, REST or live books) and an operator's view go in; the ladder's
//! PMFs, EV after fees and the limit decisions come out. No I/O and no clock.

pub mod event;
pub mod kinks;
pub mod snapshot;

pub use event::{EventInput, EventScan, KellySize, RungRow, ScanError, ScanParams, Sizing, scan_event};
pub use snapshot::{LadderSnapshot, RungSnapshot, SeriesSnapshot};
