//! Seed 002's news-feed loader against the example's own server on 127.0.0.1.

use cancelkit_examples::news_feed::{EMPTY_FEED, FEEDS, FeedServer, feed_stories, load_stories};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_feed_cancels_the_remaining_fetches() {
    let server = FeedServer::start().await.unwrap();
    let loaded = tokio::time::timeout(std::time::Duration::from_secs(30), load_stories(&server))
        .await
        .expect("feeds 4 and 5 never answer: only cancel_all() ends them")
        .unwrap();
    server.stop().await;

    assert_eq!(loaded.empty_feed, Some(EMPTY_FEED));
    // Feeds 4 and 5 never answer: cancel_all() stopped them.
    assert!(loaded.cancelled_feeds.contains(&4));
    assert!(loaded.cancelled_feeds.contains(&5));
    // Feeds 1 and 2 answer at once and the empty feed only after 200 ms, so normally both
    // arrived; a feed still in flight at the cancel is reported as cancelled, never lost.
    let mut expected = Vec::new();
    for feed in 1..=FEEDS {
        if feed == EMPTY_FEED || loaded.cancelled_feeds.contains(&feed) {
            continue;
        }
        expected.extend(feed_stories(feed));
    }
    assert_eq!(loaded.stories, expected);
    assert!(loaded.stories.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(
        loaded.cancelled_feeds.len() + 1 + loaded.stories.len() / 2,
        FEEDS as usize
    );
}
