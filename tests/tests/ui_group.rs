//! Compile-fail tests for `group!` (S31): a malformed invocation is one error on the
//! offending tokens, with the four valid forms in the message. Expected output depends on the
//! compiler version, so the test only runs on the pinned toolchain.
//!
//! Regenerate with `TRYBUILD=overwrite cargo test -p cancelkit-tests --test ui_group`, then
//! read the diff.

#[test]
#[rustversion::attr(not(stable(1.95)), ignore)]
fn ui_group() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/group/*.rs");
}
