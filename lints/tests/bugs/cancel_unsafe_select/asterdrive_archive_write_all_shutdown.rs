// Source: https://github.com/AsterCommunity/AsterDrive/pull/251 (AsterCommunity/AsterDrive#251, review thread on src/services/task_service/archive/extract/staging.rs)
// What happened: the graceful-shutdown PR wrapped each chunk's `writer.write_all(&buffer[..read])`
// in `tokio::select!` against `context.shutdown_requested()`, inside the copy loop. The review
// pointed out that write_all is not cancel-safe. A shutdown during the write drops the future,
// which can leave a partial chunk or lose bytes in the staged archive.
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub async fn stage_source_archive<R, W>(mut reader: R, mut writer: W, context: &TaskContext) -> Result<(), AsterError>
where R: AsyncRead + Unpin, W: AsyncWrite + Unpin {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        context.ensure_active()?;
        let read = reader.read(&mut buffer).await.map_err(|_| AsterError)?;
        if read == 0 { break; }
        tokio::select! {
            biased;
            shutdown = context.shutdown_requested() => {
                shutdown?;
                unreachable!();
            }
            write = writer.write_all(&buffer[..read]) => write.map_err(|_| AsterError)?, // not cancel-safe
        };
    }
    Ok(())
}

pub struct TaskContext;
impl TaskContext {
    fn ensure_active(&self) -> Result<(), AsterError> { Ok(()) }
    async fn shutdown_requested(&self) -> Result<(), AsterError> { std::future::pending().await }
}
pub struct AsterError;
