async fn f() {
    loop {
        let é = 1; let 变量 = "ünïcödé 🦀";
        if é == 1 { continue }
        a().await;
    }
}
