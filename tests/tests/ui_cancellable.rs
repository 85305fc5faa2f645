//! Compile-fail tests for `#[cancellable]` (S29): every misuse is an error on the offending
//! tokens with a fix in the message, and the original item is still emitted (no second,
//! confusing error about a missing function). Expected output depends on the compiler
//! version, so the test only runs on the pinned toolchain.
//!
//! Regenerate with `TRYBUILD=overwrite cargo test -p cancelkit-tests --test ui_cancellable`,
//! then read the diff.

#[test]
#[rustversion::attr(not(stable(1.95)), ignore)]
fn ui_cancellable() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/cancellable/*.rs");
}
