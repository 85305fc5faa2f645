//! Runnable programs for cancelkit; each scenario is a module so its test can drive it.

pub mod checked_loop;
pub mod counting_group;
pub mod download;
pub mod hanging_shutdown;
pub mod hard_work;
pub mod news_feed;
pub mod print_message;
pub mod sleeps;
pub mod soup;
pub mod throwing_child;
pub mod work_item;
