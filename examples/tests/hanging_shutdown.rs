//! The hanging-shutdown example: the dump taken while the shutdown hangs names exactly the
//! task that never checks, by the line that spawned it.
use cancelkit::dump::Kind;
use cancelkit::shutdown::Ending;
use cancelkit_examples::hanging_shutdown::{run, stuck_tasks};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dump_names_the_one_task_that_never_checks() {
    let outcome = run().await;
    assert_eq!(outcome.ending, Ending::Aborted);
    let stuck = stuck_tasks(&outcome.tree);
    assert_eq!(stuck.len(), 1, "{}", outcome.tree);
    assert_eq!(
        (stuck[0].file(), stuck[0].line()),
        (outcome.stuck_at.file(), outcome.stuck_at.line())
    );
    // The root is the shutdown's work; the two cooperative workers had stopped.
    assert_eq!(outcome.tree.nodes[0].kind, Kind::Shutdown);
    let printed = outcome.tree.to_string();
    assert!(
        printed.contains("the server is shutting down")
            && printed.contains("1 running after the cancel"),
        "{printed}"
    );
}
