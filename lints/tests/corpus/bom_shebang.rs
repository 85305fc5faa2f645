#!/usr/bin/env run-cargo-script
//! bom and shebang
async fn f() { loop { work() } }
