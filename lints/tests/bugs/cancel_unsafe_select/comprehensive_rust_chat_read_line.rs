// Source: https://github.com/google/comprehensive-rust/pull/713 (google/comprehensive-rust#713, "Make chat-client reads cancellation safe")
// What happened: the course's chat client called `AsyncBufReadExt::read_line()` in a `select!` loop
// against the websocket receive. read_line advances the reader but only exposes data once it sees a
// newline. When the websocket branch won, the partly read line was dropped along with the future.
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};

pub async fn chat_client<S>(mut ws_stream: S) -> anyhow::Result<()>
where S: futures_util::Stream<Item = Result<String, anyhow::Error>> + Unpin {
    let stdin = tokio::io::stdin();
    let mut stdin = BufReader::new(stdin);
    loop {
        let mut line = String::new();
        tokio::select! {
            incoming = ws_stream.next() => {
                match incoming { Some(Ok(msg)) => println!("From server: {msg}"), _ => return Ok(()) }
            }
            res = stdin.read_line(&mut line) => {     // new read_line future every iteration: not cancel-safe
                match res { Ok(0) => return Ok(()), Ok(_) => send(line.trim_end()).await, Err(e) => return Err(e.into()) }
            }
        }
    }
}

async fn send(_s: &str) {}
