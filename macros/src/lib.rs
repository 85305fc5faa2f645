//! Procedural macros for [`cancelkit`](https://docs.rs/cancelkit). Use them through the
//! `cancelkit` crate, which re-exports them; generated code names runtime items only through
//! `::cancelkit::__private`.
