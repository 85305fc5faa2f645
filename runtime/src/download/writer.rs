//! [`FileWriter`]: the temp file, written in large blocks on the blocking pool while the next
//! block fills.
//!
//! `tokio::fs::File` behind a `BufWriter` copies every byte twice before the kernel does (into
//! the `BufWriter`, then into the `File`'s own buffer). Here a block is filled once and handed,
//! by move, to a blocking write; a second block fills meanwhile. Memory: two blocks.

use std::fs::File;
use std::io::{self, Write};

use tokio::task::JoinHandle;

/// Bytes per write: few blocking-pool round trips, flat memory.
const BLOCK: usize = 1 << 20;

type InFlight = JoinHandle<(File, Vec<u8>, io::Result<()>)>;

#[derive(Debug)]
pub(crate) struct FileWriter {
    /// `None` while a write is in flight (or after one panicked).
    file: Option<File>,
    filling: Vec<u8>,
    spare: Vec<u8>,
    in_flight: Option<InFlight>,
}

fn lost() -> io::Error {
    io::Error::other("the temp file handle was lost by a failed blocking write")
}

impl FileWriter {
    pub(crate) fn new(file: File) -> Self {
        FileWriter {
            file: Some(file),
            filling: Vec::with_capacity(BLOCK),
            spare: Vec::new(),
            in_flight: None,
        }
    }

    /// Appends `data` at the file's position (written once a block is full, or on
    /// [`flush`](Self::flush)).
    pub(crate) async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.filling.extend_from_slice(data);
        if self.filling.len() >= BLOCK {
            self.submit().await?;
        }
        Ok(())
    }

    /// Waits for the write in flight, if any.
    async fn settle(&mut self) -> io::Result<()> {
        if let Some(write) = self.in_flight.take() {
            let (file, mut block, result) = write.await.map_err(|_| lost())?;
            self.file = Some(file);
            block.clear();
            self.spare = block;
            result?;
        }
        Ok(())
    }

    /// Starts writing the filled block; returns once the previous write is done.
    async fn submit(&mut self) -> io::Result<()> {
        self.settle().await?;
        if self.filling.is_empty() {
            return Ok(());
        }
        let mut file = self.file.take().ok_or_else(lost)?;
        let next = std::mem::take(&mut self.spare);
        let block = std::mem::replace(&mut self.filling, next);
        self.filling.reserve(BLOCK);
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            let result = file.write_all(&block);
            (file, block, result)
        }));
        Ok(())
    }

    /// Writes everything buffered and waits for it (not `fsync`: see [`blocking`](Self::blocking)).
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        self.submit().await?;
        self.settle().await
    }

    /// Flushes, then runs `op` on the file on the blocking pool (seek, truncate, sync, …).
    pub(crate) async fn blocking<R: Send + 'static>(
        &mut self,
        op: impl FnOnce(&mut File) -> io::Result<R> + Send + 'static,
    ) -> io::Result<R> {
        self.flush().await?;
        let mut file = self.file.take().ok_or_else(lost)?;
        let (file, result) = tokio::task::spawn_blocking(move || {
            let result = op(&mut file);
            (file, result)
        })
        .await
        .map_err(|_| lost())?;
        self.file = Some(file);
        result
    }
}
