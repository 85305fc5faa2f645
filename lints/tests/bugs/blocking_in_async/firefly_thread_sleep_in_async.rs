// Source: https://github.com/Arthurdw/firefly/issues/11 (Arthurdw/firefly#11, "`std::thread::sleep` in async functions")
// What happened: server/src/database.rs called std::thread::sleep inside an async fn that runs on
// tokio. That stalls the whole worker thread instead of yielding. The fix was tokio::time::sleep.
// Reduction note: the issue only links the line. The loop around it is a stand-in.
use std::time::Duration;

pub struct Database;

impl Database {
    pub async fn start_persistence_loop(&self) {
        loop {
            self.flush_to_disk().await;
            std::thread::sleep(Duration::from_secs(5)); // blocks the tokio worker thread
        }
    }
    async fn flush_to_disk(&self) {}
}
