//! [`FileWriter`]: the temp file, written on the blocking pool while the next batch of chunks
//! arrives.
//!
//! `tokio::fs::File` behind a `BufWriter` copies every byte twice before the kernel does (into
//! the `BufWriter`, then into the `File`'s own buffer). Here the chunks the HTTP client hands
//! out (reference-counted, never copied) are collected until they add up to a batch, and the
//! batch is moved to a blocking `write_all` per chunk while the next one collects. So each
//! byte is copied by the kernel into the socket buffer's reader and into the page cache, as in
//! curl, and memory holds at most two batches.

use std::fs::File;
use std::io::{self, Write};

use tokio::task::JoinHandle;

/// Bytes per batch: few blocking-pool round trips, flat memory.
const BATCH: usize = 1 << 20;

type InFlight<T> = JoinHandle<(File, Vec<T>, io::Result<()>)>;

#[derive(Debug)]
pub(crate) struct FileWriter<T> {
    /// `None` while a write is in flight (or after one panicked).
    file: Option<File>,
    collecting: Vec<T>,
    collected: usize,
    spare: Vec<T>,
    in_flight: Option<InFlight<T>>,
}

fn lost() -> io::Error {
    io::Error::other("the temp file handle was lost by a failed blocking write")
}

impl<T: AsRef<[u8]> + Send + 'static> FileWriter<T> {
    pub(crate) fn new(file: File) -> Self {
        FileWriter {
            file: Some(file),
            collecting: Vec::new(),
            collected: 0,
            spare: Vec::new(),
            in_flight: None,
        }
    }

    /// Appends `chunk` at the file's position (written once a batch is full, or on
    /// [`flush`](Self::flush)).
    pub(crate) async fn write(&mut self, chunk: T) -> io::Result<()> {
        self.collected += chunk.as_ref().len();
        self.collecting.push(chunk);
        if self.collected >= BATCH {
            self.submit().await?;
        }
        Ok(())
    }

    /// Waits for the write in flight, if any.
    async fn settle(&mut self) -> io::Result<()> {
        if let Some(write) = self.in_flight.take() {
            let (file, mut batch, result) = write.await.map_err(|_| lost())?;
            self.file = Some(file);
            batch.clear();
            self.spare = batch;
            result?;
        }
        Ok(())
    }

    /// Starts writing the collected batch; returns once the previous write is done.
    async fn submit(&mut self) -> io::Result<()> {
        self.settle().await?;
        if self.collecting.is_empty() {
            return Ok(());
        }
        let mut file = self.file.take().ok_or_else(lost)?;
        let next = std::mem::take(&mut self.spare);
        let batch = std::mem::replace(&mut self.collecting, next);
        self.collected = 0;
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            let result = batch
                .iter()
                .try_for_each(|chunk| file.write_all(chunk.as_ref()));
            (file, batch, result)
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
