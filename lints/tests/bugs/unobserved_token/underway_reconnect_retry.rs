// Source: https://github.com/maxcountryman/underway/issues/129 (maxcountryman/underway#129, "reconnect loops are not cancellation-aware and can block shutdown")
// What happened: when PostgreSQL is down, the worker, scheduler and activity worker sit in
// `retry_with_backoff`, which retries forever with backoff and never looks at the shutdown
// CancellationToken. Runtime shutdown hangs until the database comes back.
use std::time::Duration;
use tokio_util::sync::CancellationToken;

struct Worker { shutdown_token: CancellationToken }

impl Worker {
    pub async fn run(&self) -> Result<(), Error> {
        // BUG: the token is a field on `self`, but the connect/retry loop below never checks it.
        let listener = self.connect_listeners_with_retry().await?;
        // ...only after this point does the worker enter its shutdown-aware select! loop...
        tokio::select! {
            _ = self.shutdown_token.cancelled() => Ok(()),
            r = process(listener) => r,
        }
    }

    async fn connect_listeners_with_retry(&self) -> Result<Listener, Error> {
        let mut backoff = Duration::from_millis(100);
        loop {
            match connect_listener().await {
                Ok(l) => return Ok(l),
                Err(_e) => {
                    // No token check and no select! on `self.shutdown_token.cancelled()`.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

struct Listener;
struct Error;
async fn connect_listener() -> Result<Listener, Error> { Err(Error) }
async fn process(_l: Listener) -> Result<(), Error> { Ok(()) }
