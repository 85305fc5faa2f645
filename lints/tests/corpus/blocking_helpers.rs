// Regression corpus: helpers that may or may not block every caller, and clean-up raced
// against a token that fired. Each must give a clean pass or a finding, never a panic.
use std::io::{self, BufRead};

fn recursive() -> String { recursive() }
fn ping() -> String { pong() }
fn pong() -> String { ping() }
fn blocks_then_recurses() -> String { let mut s = String::new(); io::stdin().read_line(&mut s).ok(); blocks_then_recurses() }
fn let_else() -> Option<String> { let Some(x) = cached() else { return None }; io::stdin().lock().read_line(&mut String::new()).ok()?; Some(x) }
fn closure_return() -> u8 { let f = || { return 1; }; std::thread::sleep(D); f() }
fn in_macro() { println!("{}", { let mut s = String::new(); io::stdin().read_line(&mut s).ok(); s }); }
fn nested_item() { fn inner() { std::thread::sleep(D) } inner() }
fn labelled() -> u8 { 'a: { if x() { break 'a 1; } std::thread::sleep(D); 2 } }
fn diverges() -> ! { loop { std::thread::sleep(D) } }
fn r#match() { match x() { _ => return } }

async fn callers(token: tokio_util::sync::CancellationToken) {
    loop {
        let _ = recursive();
        let _ = ping();
        let _ = blocks_then_recurses();
        let _ = let_else();
        let _ = closure_return();
        in_macro();
        nested_item();
        let _ = labelled();
        r#match();
        if x() { diverges(); }
        if y() { continue; }
        token.cancelled().await;
        let token = token.child_token();
        token.run_until_cancelled(async {}).await;
        tokio::select! { biased; _ = token.cancelled() => {}, _ = async {} => {}, else => {} }
        (token).clone().run_until_cancelled_owned(async {}).await;
        std::future::ready(()).with_cancellation_token(&&token).await;
        break;
    }
}
