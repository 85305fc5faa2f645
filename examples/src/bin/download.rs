//! Seed 000: `download <url> [dir]`. Ctrl-C pauses, saving `<file>.resume` next to the file;
//! running the same command again resumes.
use std::path::PathBuf;
use std::process::ExitCode;

use cancelkit_examples::download::{self, Outcome};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(url), dir) = (args.next(), args.next()) else {
        eprintln!("usage: download <url> [dir]");
        return ExitCode::from(2);
    };
    let dir = dir.map_or_else(|| PathBuf::from("."), PathBuf::from);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match download::run(&url, &dir, stop).await {
        Ok(Outcome::Finished(done)) => {
            let how = match (done.resumed_from, done.restarted) {
                (_, true) => {
                    " (restarted from zero: the resource had changed, or the server ignores ranges)"
                }
                (Some(_), false) => " (resumed)",
                (None, false) => "",
            };
            println!("saved {} ({} bytes){how}", done.path.display(), done.len);
            ExitCode::SUCCESS
        }
        Ok(Outcome::Paused {
            resume_file,
            offset,
        }) => {
            println!(
                "paused after {offset} bytes; resume data in {}; run again to resume",
                resume_file.display()
            );
            ExitCode::from(130)
        }
        Ok(Outcome::NotResumable) => {
            println!("cancelled; the server does not allow resuming, nothing was kept");
            ExitCode::from(130)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
