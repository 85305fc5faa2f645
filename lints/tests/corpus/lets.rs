async fn f() {
    loop {
        let Some(x) = a().await else { continue };
        let Ok(y) = rx.try_recv() else { continue };
        let _ = cancelkit::sleep(d).await;
        _ = cancelkit::checkpoint();
        if let Some(z) = q.pop() && z > 0 { continue; }
        match cancelkit::checkpoint() { Ok(()) => {}, Err(_) if true => {} }
    }
}
