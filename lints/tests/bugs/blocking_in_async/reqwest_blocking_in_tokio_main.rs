// Source: https://github.com/seanmonstar/reqwest/issues/1017 (seanmonstar/reqwest#1017; same report again in seanmonstar/reqwest#1450)
// What happened: a program used `reqwest::blocking::Client` inside `#[tokio::main] async fn main`. It
// panicked with "Cannot drop a runtime in a context where blocking is not allowed". The maintainer
// said this debug assertion warns about a blocking client in an async context. The fix is the async client.
use reqwest::blocking::Client;

#[tokio::main]
async fn main() {
    let client: Client = Client::builder().build().unwrap();
    client.get("http://rust-lang.org/").send().unwrap(); // blocking HTTP inside the runtime
}
