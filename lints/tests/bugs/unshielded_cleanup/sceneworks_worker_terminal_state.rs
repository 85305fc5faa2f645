// Source: https://github.com/SceneWorks/SceneWorks/pull/1117 (SceneWorks/SceneWorks#1117, "fix(worker): post terminal Canceled on shutdown-during-job instead of dropping the future (sc-8845)")
// What happened: `run_worker_loop`'s `select!` raced the claim and the whole job run against
// `shutdown_signal()`. On SIGTERM/Ctrl-C mid-job the in-flight future was dropped at an arbitrary
// await point and no terminal job state was written. The claimed job stayed `running` until a 90s
// stale sweep marked it `interrupted`. The fix keeps the same future alive (bounded by
// shutdown_timeout_seconds) and then posts a terminal Canceled. That is, it shields the clean-up.
//
// cancelkit reduction: cancellation is observed mid-job, and the terminal-state write is an awaited
// call made in the Err arm outside `cancelkit::shield`, so it is cancelled too and never lands.
use cancelkit::until_cancelled;

pub async fn run_job(api: &Api, job: Job) {
    match cancelkit::checkpoint() {
        Ok(()) => { execute(&job).await; api.post_state(&job, State::Succeeded).await; }
        Err(_cancelled) => {
            // BUG: the terminal write goes through a cancellation-aware wrapper, so with the scope
            // already cancelled it returns None and the job is left `running`.
            let _ = until_cancelled(api.post_state(&job, State::Canceled)).await;
            // fixed shape: cancelkit::shield(api.post_state(&job, State::Canceled)).await
        }
    }
}

pub struct Api; impl Api { async fn post_state(&self, _j: &Job, _s: State) {} }
pub struct Job; pub enum State { Succeeded, Canceled }
async fn execute(_j: &Job) {}
