// Source: https://github.com/godwokenrises/godwoken/pull/657 (godwokenrises/godwoken#657, "fix(tool): wait_for_l2_tx try to start a runtime within a runtime")
// What happened: gw_tools::utils::transaction::wait_for_l2_tx called tokio Handle::block_on while it
// was already running on the runtime under `run_cli` (itself inside Runtime::block_on). It panicked
// with "Cannot start a runtime from within a runtime. This happens because a function (like
// `block_on`) attempted to block the current thread while the thread is being used to drive
// asynchronous tasks."
// Reduction note: the call chain run_cli -> wait_for_l2_tx -> Handle::block_on comes from the PR's backtrace.
// The polling loop is a stand-in.
use std::time::Duration;

pub async fn run_cli() -> anyhow::Result<()> {
    wait_for_l2_tx("0xabc", 180)?; // sync fn that blocks, called from async context
    Ok(())
}

pub fn wait_for_l2_tx(tx_hash: &str, timeout_secs: u64) -> anyhow::Result<()> {
    let handle = tokio::runtime::Handle::current();
    for _ in 0..timeout_secs {
        // block_on inside a runtime worker: panics
        let receipt = handle.block_on(get_transaction_receipt(tx_hash))?;
        if receipt.is_some() { return Ok(()); }
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(())
}

async fn get_transaction_receipt(_h: &str) -> anyhow::Result<Option<()>> { Ok(None) }
