//! The tree dump (issue 14): what it shows, that a cancelled subtree stays visible while it
//! runs, that it is safe while a cancel is in flight, and how it prints.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cancelkit::dump::{Kind, Tree};
use cancelkit::{CancelReason, CancelToken, Task};
use tokio::sync::oneshot;

mod runtimes;
use runtimes::Rt;

/// The line of the caller, to compare with a node's location.
#[track_caller]
fn line_here() -> u32 {
    std::panic::Location::caller().line()
}

fn kinds(tree: &Tree) -> Vec<(usize, Kind)> {
    tree.nodes
        .iter()
        .map(|node| (node.depth, node.kind))
        .collect()
}

on_every_runtime!(
    a_dump_shows_every_kind_with_its_location_and_what_runs_under_it,
    a_cancelled_subtree_stays_visible_while_it_runs_and_goes_when_it_ends,
    a_deadline_scope_leaves_the_tree_when_it_ends,
);

/// A deadline's timer runs in a helper task that the scope aborts when it ends; the abort is
/// carried out whenever the runtime gets to it, so the timer must not be what keeps the
/// scope's node in the tree. Checked with no yield between the scope's end and the dump.
async fn a_deadline_scope_leaves_the_tree_when_it_ends(rt: Rt) {
    let root = CancelToken::new();
    let work = root.run(async {
        cancelkit::with_timeout(Duration::from_secs(3600), async {}).await;
        let tree = cancelkit::dump::current().expect("inside a task");
        kinds(&tree)
    });
    let kinds_after = rt.within("the scope", Task::spawn(work)).await;
    assert_eq!(kinds_after, [(0, Kind::Token)]);
}

async fn a_dump_shows_every_kind_with_its_location_and_what_runs_under_it(rt: Rt) {
    let root = CancelToken::new();
    let (ready_tx, ready_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let group_line = line_here() + 1;
    let work = root.run(cancelkit::with_task_group(async |group| {
        for _ in 0..3 {
            group.spawn(async {
                cancelkit::cancelled().await;
            });
        }
        cancelkit::with_timeout(Duration::from_secs(3600), async {
            cancelkit::shield(async {
                ready_tx.send(()).unwrap();
                release_rx.await.unwrap();
            })
            .await;
        })
        .await;
        group.cancel_all();
    }));
    let task = Task::spawn(work);
    ready_rx.await.unwrap();

    let tree = root.tree();
    assert_eq!(
        kinds(&tree),
        // The group's body runs in the task, under the task's token: its deadline scope is
        // the group's sibling.
        [
            (0, Kind::Token),
            (1, Kind::Group),
            (1, Kind::Deadline),
            (2, Kind::Shield)
        ],
        "{tree}"
    );
    let [token, group, deadline, shield] = &tree.nodes[..] else {
        unreachable!()
    };
    for node in &tree.nodes {
        assert!(node.location.file().ends_with("tests/dump.rs"), "{node}");
        assert!(node.cancelled.is_none(), "{node}");
        assert!(node.age < runtimes::HANG, "{node}");
    }
    assert_eq!(group.location.line(), group_line);
    // The root token runs the group's future, the group its three children, the deadline
    // and the shield their bodies.
    assert_eq!((token.running, group.running), (1, 3));
    assert_eq!((deadline.running, shield.running), (1, 1));
    assert_eq!(
        (group.parent, deadline.parent, shield.parent),
        (Some(0), Some(0), Some(2))
    );
    assert_eq!(
        cancelkit::dump::current().map(|tree| tree.nodes.len()),
        None
    );

    release_tx.send(()).unwrap();
    rt.within("the group", task).await;
    let after = root.tree();
    assert_eq!(kinds(&after), [(0, Kind::Token)], "{after}");
    assert_eq!(after.nodes[0].running, 0);
}

async fn a_cancelled_subtree_stays_visible_while_it_runs_and_goes_when_it_ends(rt: Rt) {
    let root = CancelToken::new();
    let (started_tx, started_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let stubborn = Task::spawn(root.run(cancelkit::with_task_group(async |group| {
        group.spawn(async move {
            started_tx.send(()).unwrap();
            // Never checks: the cancel does not stop it.
            release_rx.await.unwrap();
        });
        group.wait_for_all().await;
    })));
    started_rx.await.unwrap();
    let cancel_line = line_here() + 1;
    root.cancel();

    let tree = root.tree();
    assert_eq!(kinds(&tree), [(0, Kind::Token), (1, Kind::Group)], "{tree}");
    let group = &tree.nodes[1];
    let cancelled = group.cancelled.expect("cancelled");
    assert_eq!(
        (cancelled.reason, cancelled.origin),
        (CancelReason::Parent, CancelReason::Explicit)
    );
    assert!(group.is_still_running_after_cancel());
    assert_eq!(
        tree.still_running()
            .map(|node| node.kind)
            .collect::<Vec<_>>(),
        [Kind::Token, Kind::Group]
    );
    let printed = tree.to_string();
    assert!(
        printed.contains("└── group at ")
            && printed.contains(
                "cancelled: its parent was cancelled (origin: cancelled explicitly); 1 running \
                 after the cancel"
            )
            && printed.contains(&format!(
                "cancelled: cancelled explicitly, by {}:{cancel_line}:",
                file!()
            )),
        "{printed}"
    );

    // Who cancelled: the `root.cancel()` above, for the whole subtree.
    for node in &tree.nodes {
        let by = node.cancelled.and_then(|c| c.by).expect("recorded");
        assert_eq!((by.file(), by.line()), (file!(), cancel_line), "{node}");
    }

    release_tx.send(()).unwrap();
    rt.within("the released child", stubborn).await;
    assert_eq!(kinds(&root.tree()), [(0, Kind::Token)]);
}

#[test]
fn a_dump_inside_a_running_task_starts_at_that_task() {
    let token = CancelToken::new();
    let tree = futures::executor::block_on(token.run(async { cancelkit::dump::current() }));
    let tree = tree.expect("inside a task");
    assert_eq!(kinds(&tree), [(0, Kind::Token)]);
    assert_eq!(tree.nodes[0].running, 1);
}

/// A dump taken from a cancellation handler (while that cancel is in flight, with no lock
/// held) and from another thread during a storm of cancels: no deadlock, no panic, and what
/// it shows is a state the tree was in.
#[test]
fn a_dump_taken_while_a_cancel_is_in_flight_sees_a_consistent_prefix() {
    let root = CancelToken::new();
    let mid = root.child();
    let leaf = mid.child();
    let seen = Arc::new(std::sync::Mutex::new(None));
    let _guard = leaf.on_cancel({
        let root = root.clone();
        let seen = Arc::clone(&seen);
        move || *seen.lock().unwrap() = Some(root.tree())
    });
    root.cancel();
    let tree = seen.lock().unwrap().take().expect("the handler ran");
    // Every node is marked before any handler runs (S19), and the dump sees that.
    assert_eq!(tree.nodes.len(), 3, "{tree}");
    assert!(tree.nodes.iter().all(|node| node.cancelled.is_some()));

    let stop = Arc::new(AtomicBool::new(false));
    // Both sides start together, and the dumper makes at least one full pass, however the
    // threads are scheduled.
    let start = Arc::new(std::sync::Barrier::new(2));
    let roots: Vec<CancelToken> = (0..4).map(|_| CancelToken::new()).collect();
    let dumper = std::thread::spawn({
        let stop = Arc::clone(&stop);
        let start = Arc::clone(&start);
        let roots = roots.clone();
        move || {
            let mut dumps = 0u64;
            start.wait();
            loop {
                for root in &roots {
                    let tree = root.tree();
                    // Nodes come and go during the walk; what it returns is still a tree.
                    for (index, node) in tree.nodes.iter().enumerate().skip(1) {
                        let parent = node.parent.expect("only the root has no parent");
                        assert!(parent < index);
                        assert_eq!(node.depth, tree.nodes[parent].depth + 1);
                    }
                    assert!(tree.nodes[0].cancelled.is_none());
                    dumps += 1;
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
            }
            dumps
        }
    });
    start.wait();
    for round in 0..200 {
        let root = &roots[round % roots.len()];
        let children: Vec<CancelToken> = (0..16).map(|_| root.child()).collect();
        let grandchildren: Vec<CancelToken> = children.iter().map(CancelToken::child).collect();
        for child in &children {
            child.cancel();
        }
        drop((children, grandchildren));
    }
    stop.store(true, Ordering::Relaxed);
    assert!(dumper.join().unwrap() > 0);
}

#[test]
fn a_dump_of_a_very_deep_tree_neither_recurses_nor_overflows() {
    let root = CancelToken::new();
    let mut chain = vec![root.clone()];
    for _ in 0..100_000 {
        let next = chain.last().unwrap().child();
        chain.push(next);
    }
    let tree = root.tree();
    assert_eq!(tree.nodes.len(), 100_001);
    assert_eq!(tree.nodes.last().unwrap().depth, 100_000);
    // Printing walks it without recursion too.
    let printed = tree.to_string();
    assert_eq!(printed.lines().count(), 100_001);
}

#[test]
fn the_display_draws_the_tree_with_one_line_per_node() {
    let root = CancelToken::new();
    let a = root.child();
    let _a1 = a.child();
    let _a2 = a.child();
    let _b = root.child();
    root.cancel();
    let printed = root.tree().to_string();
    let shapes: Vec<&str> = printed
        .lines()
        .map(|line| &line[..line.find("token").unwrap()])
        .collect();
    assert_eq!(
        shapes,
        ["", "├── ", "│   ├── ", "│   └── ", "└── "],
        "{printed}"
    );
    let first = printed.lines().next().unwrap();
    assert!(
        first.contains(": cancelled: cancelled explicitly, by runtime/tests/dump.rs:"),
        "{printed}"
    );
}

#[cfg(feature = "serde")]
#[test]
fn the_dump_serializes_to_json() {
    let root = CancelToken::new();
    let _child = root.child();
    root.cancel();
    let json = serde_json::to_value(root.tree()).unwrap();
    let nodes = json["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[1]["kind"], "token");
    assert_eq!(nodes[1]["parent"], 0);
    assert_eq!(nodes[1]["cancelled"]["reason"], "parent");
    assert_eq!(nodes[1]["cancelled"]["origin"], "explicit");
    assert!(
        nodes[1]["location"]
            .as_str()
            .unwrap()
            .contains("tests/dump.rs:")
    );
    assert!(
        nodes[1]["cancelled"]["by"]
            .as_str()
            .unwrap()
            .contains("tests/dump.rs:")
    );
    assert!(nodes[1]["age"].as_f64().unwrap() >= 0.0);
}
