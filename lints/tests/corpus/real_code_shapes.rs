// Shapes from real code that the first default mode got wrong (issue 11): drains, bounds and
// impossible paths it reported, spins it missed. The unit tests pin down the verdicts; here they
// only have to be checked without a panic, in both modes.
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

async fn drains(it: &mut Rows, dec: &mut Decoder, cache: &mut Lru, queue: &mut VecDeque<u8>) -> R {
    loop {
        let row = it.next().map_err(Error::from)?;
        work(row);
        if row.last {
            break;
        }
    }
    loop {
        match dec.poll_decode()? {
            None => break,
            Some(x) => work(x),
        }
    }
    while cache.len() > CAP {
        cache.remove_lru();
    }
    while let Poll::Ready(Some(x)) = s.as_mut().poll_next(cx) {
        work(x);
    }
    while !queue.is_empty() {
        queue.pop_front();
    }
    Ok(())
}

macro_rules! assert_let_timeout {
    ($p:pat = $e:expr) => {
        let $p = tokio::time::timeout(D, $e).await.unwrap() else { panic!() };
    };
}

async fn bounds(rx: &mut Rx) -> R {
    let mut retries = 0;
    loop {
        match op() {
            Ok(x) => break,
            Err(e) if retries < N => {
                retries += 1;
                continue;
            }
            Err(e) => return Err(e),
        }
    }
    let mut n = 0;
    loop {
        assert!(n < MAX);
        n += 1;
        assert_let_timeout!(Some(x) = rx.recv());
        futures::pending!();
    }
}

async fn spins(flag: &AtomicBool, dec: &mut Decoder, rx: std::sync::mpsc::Receiver<u8>) -> R {
    let (mut last, end) = (0, 10);
    while last <= end {
        if let Some(r) = dec.poll_decode()? {
            last = r.lsn;
        }
    }
    while let Ok(x) = rx.recv() {
        work(x);
    }
    while !flag.load(SeqCst) {
        std::thread::sleep(D);
    }
    while a && !token.is_cancelled() {
        work();
    }
    if c() && x.await {
        work();
    } else {
        y.await;
    }
    Ok(())
}
