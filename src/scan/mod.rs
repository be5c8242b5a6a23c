//! The scan, pure: a [`snapshot::LadderSnapshot`] (what the exchange shows of one ladder
//! event, from fixtures, REST or live books) and an operator's view go in; the ladder's
//! PMFs, EV after fees and the limit decisions come out. No I/O and no clock.

pub mod event;
pub mod snapshot;

pub use event::{EventInput, EventScan, RungRow, ScanError, ScanParams, scan_event};
pub use snapshot::{LadderSnapshot, RungSnapshot, SeriesSnapshot};
