//! Runnable programs for cancelkit; each scenario is a module so its test can drive it.

pub mod checked_loop;
pub mod download;
pub mod sleeps;
pub mod soup;
pub mod work_item;
