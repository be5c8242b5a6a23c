//! Hard risk ceilings and their decisions. Pure: no I/O, no clock.

pub mod ceilings;
pub mod gate;
