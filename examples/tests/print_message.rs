//! Seed 002's `printMessage()`: `cancel_all()` does nothing to children that never check.

use cancelkit_examples::print_message::print_message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_checks_every_word_arrives() {
    for _ in 0..20 {
        let printed = print_message(false).await;
        let mut words: Vec<_> = printed.message.split(' ').collect();
        words.sort_unstable();
        assert_eq!(words, ["Cancellation", "Group", "Testing"]);
        assert_eq!(printed.error, None);
    }
}

#[tokio::test]
async fn a_checking_child_ends_the_loop_early() {
    // On a current-thread runtime no child runs before `cancel_all()`, and they finish in the
    // order they were added: the checking child fails first, and nothing is collected.
    let printed = print_message(true).await;
    assert_eq!(printed.message, "");
    assert_eq!(
        printed.error.unwrap().origin(),
        cancelkit::CancelReason::Group
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_checking_child_any_subset_may_arrive() {
    // Seed: "Cancellation", "Group", both in either order, or nothing — never an error after
    // "Testing", which can only appear if it ran before `cancel_all()`.
    for _ in 0..20 {
        let printed = print_message(true).await;
        let words: Vec<_> = printed
            .message
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect();
        assert!(words.len() <= 3);
        for word in &words {
            assert!(["Testing", "Group", "Cancellation"].contains(word));
        }
        if printed.error.is_some() {
            assert!(!words.contains(&"Testing"));
        }
    }
}
