//! Hard ceilings, effective limits and the decisions they make on proposals. Pure: no I/O,
//! no clock.

pub mod ceilings;
pub mod gate;
pub mod glob;
pub mod limits;
