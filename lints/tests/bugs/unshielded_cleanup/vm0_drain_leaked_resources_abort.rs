// Source: https://github.com/vm0-ai/vm0/issues/8957 (vm0-ai/vm0#8957, "refactor(runner): audit background task cleanup patterns across crates")
// What happened: in the Rust runner crates, FirecrackerFactory::shutdown() called abort() on the
// `drain_leaked_resources` task. Cancellation could land in the middle of the clean-up body
// (device-pool release, netns release, directory removal) and leave partial state. The proposed fix
// observes cancellation only at the recv() point and runs the clean-up body to completion.
// (The repository is labelled TypeScript, but the code in the issue is Rust/tokio.)
//
// cancelkit reduction: after cancellation is observed, the release steps await cancellation-aware
// primitives outside a shield, so they stop partway through.
use cancelkit::TaskGroup;

pub async fn drain_leaked_resources(mut rx: TaskGroup<LeakedResources>, pools: &Pools) -> Result<(), cancelkit::Cancelled> {
    loop {
        let leaked = match rx.next().await { Some(l) => l, None => break };
        if cancelkit::checkpoint().is_err() {
            // clean-up for the item already taken off the channel, after cancellation
            // BUG: the clean-up starts with a cancellation-aware await, which fails at once, so the
            // device index and netns are never released.
            cancelkit::yield_now().await?;                  // Err(Cancelled) right away, so we bail out
            pools.release_device(leaked.device_index).await;
            pools.release_netns(leaked.netns).await;
            // fixed shape: cancelkit::shield(async { pools.release_device(..).await; pools.release_netns(..).await; }).await
            break;
        }
        pools.release_device(leaked.device_index).await;
        pools.release_netns(leaked.netns).await;
    }
    Ok(())
}

pub struct LeakedResources { device_index: u32, netns: u32 }
pub struct Pools;
impl Pools { async fn release_device(&self, _i: u32) {} async fn release_netns(&self, _n: u32) {} }
