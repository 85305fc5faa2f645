//! `cargo run -p cancelkit-examples --bin news_feed`
#[tokio::main]
async fn main() -> std::io::Result<()> {
    use cancelkit_examples::news_feed::{FeedServer, load_stories};
    let server = FeedServer::start().await?;
    match load_stories(&server).await {
        Ok(loaded) => {
            for story in &loaded.stories {
                println!("{:>3}  {}  —  {}", story.id, story.title, story.strap);
            }
            println!(
                "empty feed: {:?}; fetches stopped by cancel_all(): {:?}",
                loaded.empty_feed, loaded.cancelled_feeds
            );
        }
        Err(err) => println!("Failed to load stories: {err}"),
    }
    server.stop().await;
    Ok(())
}
