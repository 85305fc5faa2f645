// Source: https://github.com/tokio-rs/tokio/issues/4834 (tokio-rs/tokio#4834, "Spawn_blocking closures non-deterministically fail when runtime is dropping tasks")
// What happened: a struct's Drop impl started clean-up with `task::spawn_blocking`. The value was
// dropped inside a task that was being torn down (cancelled) as the runtime shut down, and the
// clean-up closure sometimes never ran. The docs claim spawn_blocking work cannot be cancelled, but
// clean-up scheduled from the cancellation path is itself cancelled (labelled C-bug / T-docs).
//
// Original shape:
//   impl Drop for A { fn drop(&mut self) { task::spawn_blocking(|| { /* cleanup */ }); } }
//   tokio::spawn(async { time::sleep(1s).await; drop(a); });   // main returns -> task dropped
//
// cancelkit reduction: the task is cancelled, and its clean-up awaits something that is itself
// cancellation-aware, so the clean-up is skipped.
use std::time::Duration;
use cancelkit::TaskGroup;

pub async fn holder(a: Resource, mut group: TaskGroup<()>) {
    if let Err(_cancelled) = cancelkit::sleep(Duration::from_secs(1)).await {
        // clean-up path after cancellation: hand the release to a child task (as Drop did with
        // spawn_blocking) and wait for it.
        group.spawn(a.release());
        // BUG: group.next() is cancellation-aware. The scope is cancelled, so it returns at once
        // and the child release is dropped with the scope.
        let _ = group.next().await;
        // fixed shape: cancelkit::shield(a.release()).await
        return;
    }
    a.release().await;
}

pub struct Resource; impl Resource { async fn release(self) {} }
