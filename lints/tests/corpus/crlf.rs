async fn f() {
    loop {
        if x { continue }
        a().await;
    }
}
