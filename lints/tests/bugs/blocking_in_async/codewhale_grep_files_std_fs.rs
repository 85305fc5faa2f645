// Source: https://github.com/Hmbown/Codewhale/issues/1791 (Hmbown/Codewhale#1791, "Synchronous tools (file_search, grep_files, list_dir) block turn_loop cancellation")
// What happened: built-in tools declared `async fn execute` but walked the directory tree and called
// `std::fs::read_to_string` on every file synchronously. That blocks the tokio worker for minutes on
// large directories. The engine's turn loop also cannot see CancellationToken updates, so the cancel
// button does nothing until the tool finishes.
use std::path::PathBuf;

pub struct GrepFiles;

impl GrepFiles {
    pub async fn execute(&self, root: PathBuf, pattern: regex::Regex) -> Vec<(PathBuf, usize)> {
        let mut hits = Vec::new();
        for entry in ignore::WalkBuilder::new(&root).build().flatten() { // blocking directory walk
            let path = entry.path().to_path_buf();
            if let Ok(text) = std::fs::read_to_string(&path) {            // blocking std::fs in async fn
                for (i, line) in text.lines().enumerate() {
                    if pattern.is_match(line) { hits.push((path.clone(), i + 1)); }
                }
            }
        }
        hits
    }
}
