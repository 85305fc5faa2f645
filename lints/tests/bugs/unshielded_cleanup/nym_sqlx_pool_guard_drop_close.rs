// Source: https://github.com/nymtech/nym/pull/6785 (nymtech/nym#6785, "NYM-583: Avoid corrupted database on Windows.", review thread on nym-sqlx-pool-guard/src/lib.rs)
// What happened: when the pool guard was dropped without an explicit close() (for example because
// the async task was cancelled), Drop spawned `pool.close().await` on the current runtime. The
// reviewer flagged this as critical: during shutdown or cancellation the spawned close may never
// run, the SQLite file handle stays open, and on Windows the next connection's rename/delete
// recovery fails with ERROR_SHARING_VIOLATION (os error 32).
//
// Original tokio shape:
//   impl Drop for SqlitePoolGuard { fn drop(&mut self) {
//       if let Ok(h) = Handle::try_current() { h.spawn(async move { pool.close().await; }); } } }
//
// cancelkit reduction: the close happens after cancellation and awaits a cancellation-aware
// primitive outside a shield, so it never completes.
use cancelkit::until_cancelled;

pub async fn open_storage(pool: SqlitePool) -> Result<(), Error> {
    let res = run_queries(&pool).await;
    if let Err(_cancelled) = cancelkit::checkpoint() {
        // clean-up after cancellation
        // BUG: the close is awaited through a cancellation-aware wrapper in a scope that is already
        // cancelled, so it returns None without closing. The file handle leaks, and the next
        // connection's rename fails on Windows.
        let _ = until_cancelled(pool.close()).await;
        // fixed shape: cancelkit::shield(pool.close()).await
    }
    res
}

pub struct SqlitePool; impl SqlitePool { async fn close(&self) {} }
pub struct Error;
async fn run_queries(_p: &SqlitePool) -> Result<(), Error> { Ok(()) }
