//! Runnable programs for cancelkit; each scenario is a module so its test can drive it.
