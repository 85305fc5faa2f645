//! What `group!`'s fan-out forms expand to (reached through `::cancelkit::__private`; not a
//! stable API). Every future becomes a child of a fail-fast throwing group: the first error
//! cancels the rest and is returned once they have finished (S31, S16c, S17).

use std::fmt;
use std::future::Future;

use super::{GroupOptions, ThrowingTaskGroup};
use crate::sync::{Arc, Mutex, lock};

/// Where one child of a fixed fan-out leaves its output.
pub struct Slot<T>(Arc<Mutex<Option<T>>>);

impl<T> Slot<T> {
    /// An empty slot.
    #[must_use]
    pub fn new() -> Self {
        Slot(Arc::new(Mutex::new(None)))
    }

    /// Runs `fut` and keeps its `Ok` output here; the error goes to the group.
    pub fn fill<F, E>(&self, fut: F) -> impl Future<Output = Result<(), E>> + use<F, T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let slot = Arc::clone(&self.0);
        async move {
            let value = fut.await?;
            *lock(&slot) = Some(value);
            Ok(())
        }
    }

    /// The output, once every child of the group has succeeded.
    ///
    /// # Panics
    ///
    /// If the child never produced one: only when the runtime dropped it while shutting down.
    pub fn take(&self) -> T {
        lock(&self.0)
            .take()
            .expect("a `group!` child was dropped by its runtime before it finished")
    }
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Slot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot").finish_non_exhaustive()
    }
}

/// Waits for every child of a fan-out, stopping at the first error. Unlike `next()` it does
/// not return early when the task is cancelled: the children are cancelled with it, and
/// either fail (cooperatively) or finish, and the fan-out needs all their outputs.
///
/// # Errors
///
/// The first child error.
pub async fn join_all<T, E>(group: &mut ThrowingTaskGroup<T, E>) -> Result<(), E>
where
    T: 'static,
    E: 'static,
{
    while let Some(result) = group.join_next().await {
        result?;
    }
    Ok(())
}

/// `group!(a, b, c)`'s group: throwing and fail-fast (S31).
///
/// # Errors
///
/// The body's error.
pub async fn with_fail_fast_task_group<T, E, R>(
    body: impl AsyncFnOnce(&mut ThrowingTaskGroup<T, E>) -> Result<R, E>,
) -> Result<R, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    GroupOptions::new().fail_fast().throwing(body).await
}

/// `group!(for pat in iter => fut)`: one child per item, outputs in input order.
///
/// # Errors
///
/// The first child error; the other children are cancelled and waited for.
pub async fn for_each<I, F, Fut, T, E>(iter: I, mut f: F) -> Result<Vec<T>, E>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    with_fail_fast_task_group(async |group| {
        let mut count = 0;
        for item in iter {
            let index = count;
            count += 1;
            let fut = f(item);
            group.spawn(async move { fut.await.map(|value| (index, value)) });
        }
        let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(count).collect();
        while let Some(result) = group.join_next().await {
            let (index, value) = result?;
            slots[index] = Some(value);
        }
        Ok(slots
            .into_iter()
            .map(|slot| {
                slot.expect("a `group!` child was dropped by its runtime before it finished")
            })
            .collect())
    })
    .await
}
