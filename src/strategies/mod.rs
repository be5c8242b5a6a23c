//! Where model distributions come from. Pure: drivers hand data in.

pub mod views;
