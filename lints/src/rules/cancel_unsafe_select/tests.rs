use crate::{Config, Rule, check_source};

fn lines(src: &str) -> Vec<usize> {
    lines_with(src, &Config::default())
}

fn lines_with(src: &str, config: &Config) -> Vec<usize> {
    check_source("t.rs", src, config)
        .into_iter()
        .filter(|f| f.rule == Rule::CancelUnsafeSelect)
        .map(|f| f.primary.span.line_start)
        .collect()
}

/// The configuration that turns the message sends on (`cancel_unsafe = ["send", ..]`).
fn with_sends() -> Config {
    Config {
        cancel_unsafe: ["send", "feed", "send_all"].map(String::from).to_vec(),
        ..Config::default()
    }
}

/// [`lines`] with the message sends turned on.
fn sends(src: &str) -> Vec<usize> {
    lines_with(src, &with_sends())
}

#[test]
fn a_read_exact_raced_against_a_timer() {
    let src = "async fn f() {\n    loop {\n        tokio::select! {\n            r = reader.read_exact(&mut buf) => handle(r),\n            _ = tick.tick() => ping().await,\n        }\n    }\n}";
    assert_eq!(lines(src), [4]);
}

#[test]
fn cancel_safe_branches_and_futures_made_outside_the_loop() {
    for src in [
        "async fn f() { loop { tokio::select! { m = rx.recv() => work(m), _ = sleep(d) => break } } }",
        "async fn f() { let fut = reader.read_exact(&mut buf); tokio::pin!(fut); loop { tokio::select! { r = &mut fut => break, _ = tick.tick() => {} } } }",
        "async fn f() { tokio::select! { r = reader.read_exact(&mut buf) => {}, _ = sleep(d) => {} } }",
        "async fn f() { loop { tokio::select! { biased; _ = token.cancelled() => break, Some(m) = rx.recv(), if open => work(m), else => break } } }",
        // Not tokio's `select!`: does not parse as one.
        "async fn f() { loop { select!(a, b, c); x.await; } }",
    ] {
        assert!(lines(src).is_empty(), "{src}");
    }
}

#[test]
fn sending_a_copy_loses_nothing() {
    let src = "async fn f() { loop { tokio::select! { r = dc.send(buf.clone()) => {}, _ = tick.tick() => {} } } }";
    assert!(sends(src).is_empty());
    let src = "async fn f() { loop { tokio::select! { r = dc.send(buf) => {}, _ = tick.tick() => {} } } }";
    assert_eq!(sends(src).len(), 1);
}

#[test]
fn a_send_that_moves_nothing_or_has_a_deadline_loses_nothing_by_accident() {
    for src in [
        // reqwest's `RequestBuilder::send()` moves no message.
        "async fn f() { for _ in 0..5 { tokio::select! { r = client.head(u).send() => {}, _ = sleep(d) => {} } } }",
        // `Sender::send_timeout` by hand: the message is dropped when the deadline passes,
        // on purpose.
        "async fn f() { loop { tokio::select! { r = m.send(frame) => {}, _ = tokio::time::sleep(t) => { error!(\"dropped\") } } } }",
        "async fn f() { loop { tokio::select! { r = timeout(t, m.send(frame)) => {} } } }",
    ] {
        assert!(sends(src).is_empty(), "{src}");
    }
    // Another event winning still loses the message.
    let src =
        "async fn f() { loop { tokio::select! { r = m.send(frame) => {}, x = rx.recv() => {} } } }";
    assert_eq!(sends(src).len(), 1);
}

#[test]
fn a_timeout_whose_error_leaves_the_loop() {
    let quiet = "async fn f() { loop { tokio::select! { res = timeout(d, r.read_exact(&mut b)) => { let n = res.map_err(e)??; use_it(n).await; } _ = token.cancelled() => break } } }";
    assert!(lines(quiet).is_empty());
    // A timeout whose handler carries on loses the partial read and reads on.
    let src = "async fn f() { loop { tokio::select! { res = timeout(d, r.read_exact(&mut b)) => { if let Ok(n) = res { use_it(n).await; } } _ = token.cancelled() => break } } }";
    assert_eq!(lines(src).len(), 1);
}

#[test]
fn a_branch_whose_value_the_next_match_leaves_on() {
    // tari_comms: the disconnect branch yields `None`, and the `match` right after the
    // `select!` breaks on it; a half-written frame goes to a sink that is dropped.
    let src = |none_arm: &str| {
        format!(
            "async fn f() {{ loop {{ let q = rx.recv().await; let r = tokio::select! {{ biased; _ = &mut gone => None, res = w.write_all(&q.body) => Some(res), }}; match r {{ Some(Ok(())) => ack(q), Some(Err(e)) => {{ fail(q); break; }} {none_arm} }} }} }}"
        )
    };
    assert!(lines(&src("None => { requeue(q); break; }")).is_empty());
    assert!(lines(&src("_ => return")).is_empty());
    // The value's arm goes on, or no arm is sure to take it first: reported.
    assert_eq!(lines(&src("None => continue")).len(), 1);
    assert_eq!(lines(&src("None if quiet => break, None => {}")).len(), 1);
    // A `match` on something else, or a statement between, decides nothing.
    let other = "async fn f() { loop { let r = tokio::select! { _ = &mut gone => None, res = w.write_all(&b) => Some(res), }; log(); match r { None => break, _ => {} } } }";
    assert_eq!(lines(other).len(), 1);
}

#[test]
fn a_timeout_whose_err_arm_leaves_the_loop() {
    // voltage_modbus: the other branch breaks, and the timer's `Err` arm breaks too.
    let src = |arm: &str| {
        format!(
            "async fn f() {{ loop {{ tokio::select! {{ _ = stop.recv() => {{ break; }} res = timeout(d, read_frame(&mut s)) => {{ match res {{ Ok(Ok(f)) => work(f).await, Ok(Err(e)) => break, {arm} }} }} }} }} }}\nasync fn read_frame(s: &mut S) -> R {{ s.read_exact(&mut h).await?; Ok(h) }}"
        )
    };
    assert!(lines(&src("Err(_) => { warn!(\"timeout\"); break; }")).is_empty());
    assert!(lines(&src("_ => return")).is_empty());
    assert!(lines(&src("Err(_) if quiet => break, Err(_) => return")).is_empty());
    // The timer's arm goes on, or one that may take it does: a half-read frame is dropped.
    assert_eq!(lines(&src("Err(_) => continue")), [1]);
    assert_eq!(lines(&src("Err(_) if quiet => break, Err(_) => {}")), [1]);
    assert_eq!(
        lines(&src("Err(_) if n < 3 => continue, Err(_) => break")),
        [1]
    );
    assert_eq!(
        lines(&src("e @ Err(_) if n < 3 => continue, _ => break")),
        [1]
    );
    assert_eq!(
        lines(&src(
            "(Err(_) | Ok(Err(_))) if n < 3 => continue, _ => break"
        )),
        [1]
    );
}

#[test]
fn a_lost_place_in_a_queue_is_reported_only_when_configured() {
    let src = "async fn f() { loop { tokio::select! { _ = closed.acquire() => {}, _ = tick.tick() => {} } } }";
    assert!(lines(src).is_empty());
    let config = Config {
        cancel_unsafe: vec!["acquire".into()],
        ..Config::default()
    };
    let found = check_source("t.rs", src, &config);
    assert_eq!(found.len(), 1);
    let label = found[0].primary.label.as_deref().unwrap_or_default();
    assert!(
        label.contains("its place in the semaphore's queue is lost"),
        "{label}"
    );
}

#[test]
fn a_helper_of_the_same_file_that_awaits_read_exact() {
    let src = "async fn read_frame(r: &mut R) -> io::Result<Vec<u8>> { r.read_exact(&mut b).await?; Ok(b) }\nasync fn f() { loop { tokio::select! { m = read_frame(&mut r) => {}, _ = tick.tick() => {} } } }";
    assert_eq!(lines(src), [2]);
}

#[test]
fn a_send_in_a_crate_that_makes_only_unbounded_channels_loses_nothing() {
    // The channels are made in another file of the crate, as translator_sv2 does.
    let made = |ctor: &str| {
        crate::SourceFile::new(
            "a.rs",
            "a.rs",
            format!("fn channels() {{ let (tx, rx) = async_channel::unbounded(); {ctor} }}"),
        )
    };
    let select = crate::SourceFile::new(
        "b.rs",
        "b.rs",
        "async fn f() { loop { tokio::select! { r = tx.send(m) => {}, _ = tick.tick() => {} } } }"
            .to_string(),
    );
    let found = |ctor: &str| {
        crate::check_files(&[made(ctor), select.clone()], &with_sends())
            .into_iter()
            .filter(|f| f.rule == Rule::CancelUnsafeSelect)
            .count()
    };
    assert_eq!(found(""), 0);
    assert_eq!(found("let (a, b) = tokio::sync::mpsc::channel(8);"), 1);
    // `watch` and `oneshot` sends never wait, so they do not make a crate's sends bounded.
    assert_eq!(
        found("let (a, b) = watch::channel(0); let (c, d) = oneshot::channel();"),
        0
    );
    // A test's bounded channel says nothing about the library's sends.
    assert_eq!(
        found("#[cfg(test)] mod t { #[test] fn t() { let (a, b) = async_channel::bounded(1); } }"),
        0
    );
    assert_eq!(
        found("#[tokio::test] async fn t() { let (a, b) = async_channel::bounded(1); }"),
        0
    );
    // A crate that makes no channel at all says nothing about where its sends go.
    let alone =
        "async fn f() { loop { tokio::select! { r = tx.send(m) => {}, _ = tick.tick() => {} } } }";
    assert_eq!(sends(alone), [1]);
    // The same through a helper of the file that receives, then sends.
    let helper = |ctor: &str| {
        format!(
            "fn c() {{ {ctor} }}\nasync fn pass(&self) {{ let m = self.rx.recv().await; self.tx.send(m).await; }}\nasync fn f() {{ loop {{ tokio::select! {{ _ = pass(&tx, &rx) => {{}}, _ = tick.tick() => {{}} }} }} }}"
        )
    };
    assert!(sends(&helper("let (tx, rx) = unbounded();")).is_empty());
    assert_eq!(sends(&helper("let (tx, rx) = mpsc::channel(1);")), [3]);
    // A sink's or a connection's `send` loses its item whatever channels the crate makes.
    let sink = "fn c() { let (tx, rx) = unbounded(); }\nasync fn f() { loop { tokio::select! { r = framed.send(frame) => {}, _ = tick.tick() => {} } } }";
    assert_eq!(sends(sink), [2]);
    // A `send` first does not hide a later await that loses data for sure.
    for later in [
        "async fn relay(&self, m: M) { self.tx.send(m).await; self.sock.write_all(&b).await; }\nasync fn f() { loop { tokio::select! { _ = relay(&x, m) => {}, _ = tick.tick() => {} } } }",
        "async fn f() { loop { tokio::select! { _ = async { tx.send(m).await; sock.write_all(&b).await } => {}, _ = tick.tick() => {} } } }",
    ] {
        let src = format!("fn c() {{ let (tx, rx) = unbounded(); }}\n{later}");
        assert!(!sends(&src).is_empty(), "{later}");
    }
    // A branch that loses data for sure is reported even if a `send` comes first.
    let both = "fn c() { let (tx, rx) = unbounded(); }\nasync fn f() { loop { tokio::select! { r = tx.send(m) => {}, n = r.read_exact(&mut b) => {}, _ = tick.tick() => {} } } }";
    assert_eq!(sends(both), [2]);
}

#[test]
fn unusual_select_syntax_is_understood() {
    let src = "async fn f() { loop { tokio::select! { biased; Some(x) = stream.next(), if ok => {}, r = s.read_exact(&mut h) => {}, else => break, } } }";
    assert_eq!(lines(src).len(), 1);
    let src = "async fn f() { loop { futures::select! { x = a.next() => {}, y = b.write_all(&v).fuse() => {}, complete => break, } } }";
    assert_eq!(lines(src).len(), 1);
}

#[test]
fn a_message_send_is_reported_only_where_configured() {
    // On real code a dropped `send` was mostly harmless (a copy, an unbounded channel, a sink
    // that takes the item on its first poll, a consumer already gone): 1 of 4 findings on
    // crates.io and 0 of 3 in `github1` were real.
    let src =
        "async fn f() { loop { tokio::select! { r = tx.send(item) => {}, m = rx.recv() => {} } } }";
    assert!(lines(src).is_empty());
    assert_eq!(sends(src), [1]);
    let feed = "async fn f() { loop { futures::select! { r = sink.feed(item).fuse() => {}, m = rx.next() => {} } } }";
    assert!(lines(feed).is_empty());
    assert_eq!(sends(feed), [1]);
}

#[test]
fn a_read_exact_of_one_byte_cannot_stop_half_way() {
    // Like `read_u8`, which tokio documents as cancel-safe: the byte is read in the poll that
    // sees it (github1: two one-byte stdin and socket readers).
    for quiet in [
        "async fn f() { let mut buf = [0u8; 1]; loop { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } }",
        "async fn f() { let mut buf: [u8; 1] = Default::default(); loop { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } }",
        "async fn f() { loop { let mut b = [0]; tokio::select! { r = s.read_exact(&mut b) => {}, m = rx.recv() => {} } } }",
        "async fn f() { loop { tokio::select! { r = s.read_exact(&mut [0u8; 1]) => {}, m = rx.recv() => {} } } }",
    ] {
        assert!(lines(quiet).is_empty(), "{quiet}");
    }
    for reported in [
        "async fn f() { let mut buf = [0u8; 2]; loop { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } }",
        // The name bound anew to a longer buffer.
        "async fn f() { let mut buf = [0u8; 1]; let mut buf = vec![0u8; 64]; loop { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } }",
        // Out of scope at the `select!`.
        "async fn f() { { let mut buf = [0u8; 1]; } loop { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } }",
    ] {
        assert_eq!(lines(reported).len(), 1, "{reported}");
    }
}

#[test]
fn a_read_to_end_keeps_what_it_read_in_the_callers_vec() {
    // tokio's `read_to_end` appends each read to the `Vec` it is handed, so a buffer that
    // outlives the pass keeps the bytes (github1: a child's output read against its exit).
    let kept = "async fn f() { let mut out = Vec::new(); loop { tokio::select! { n = stdout.read_to_end(&mut out) => {}, s = child.wait() => {} } } }";
    assert!(lines(kept).is_empty());
    let fresh = "async fn f() { loop { let mut out = Vec::new(); tokio::select! { n = stdout.read_to_end(&mut out) => {}, s = child.wait() => {} } } }";
    assert_eq!(lines(fresh).len(), 1);
    // `read_to_string` goes through a `Vec` of its own, and loses what it read.
    let string = "async fn f() { let mut out = String::new(); loop { tokio::select! { n = stdout.read_to_string(&mut out) => {}, s = child.wait() => {} } } }";
    assert_eq!(lines(string).len(), 1);
}

#[test]
fn cancellable_interrupts_an_await_that_is_not_cancel_safe() {
    let src = "#[cancellable]\nasync fn f() -> io::Result<()> {\n    stream.write_all(&buf).await?;\n    Ok(())\n}";
    assert_eq!(lines(src), [3]);
    for quiet in [
        "#[cancellable(interrupt = false)]\nasync fn f() -> io::Result<()> { stream.write_all(&buf).await?; Ok(()) }",
        "#[cancellable]\nasync fn f() -> io::Result<()> { #[uninterruptible] stream.write_all(&buf).await?; Ok(()) }",
        "#[cancellable]\nasync fn f() -> io::Result<()> { cancelkit::shield(stream.write_all(&buf)).await?; Ok(()) }",
        "#[cancellable]\nasync fn f() -> R { m.lock().await.push(1); Ok(()) }",
    ] {
        assert!(lines(quiet).is_empty(), "{quiet}");
    }
}

#[test]
fn a_branch_whose_value_the_next_if_or_let_else_leaves_on() {
    // rustfs-s3select: the consumer-gone branch yields `false`, and `if !sent` returns.
    let src = |after: &str| {
        format!(
            "async fn f() {{ loop {{ let item = next().await; let sent = tokio::select! {{ biased; _ = out.closed() => false, r = tx.send(item) => r.is_ok(), }}; {after} }} }}"
        )
    };
    for leaving in [
        "if !sent { return; }",
        "if !sent { warn!(\"gone\"); break }",
        "if sent { count += 1; } else { break }",
    ] {
        assert!(sends(&src(leaving)).is_empty(), "{leaving}");
    }
    for going_on in [
        "if !sent { continue; }",
        "if sent { break }",
        "if !sent { log(); }",
        "log(); if !sent { break }",
    ] {
        assert_eq!(sends(&src(going_on)).len(), 1, "{going_on}");
    }
    // `let … else` leaves on a value its pattern never takes.
    let src = |after: &str| {
        format!(
            "async fn f() {{ loop {{ let r = tokio::select! {{ _ = gone.changed() => None, n = s.read_exact(&mut h) => Some(n), }}; {after} use_it(n).await; }} }}"
        )
    };
    assert!(lines(&src("let Some(n) = r else { break };")).is_empty());
    assert_eq!(lines(&src("let Some(n) = r else { continue };")).len(), 1);
    assert_eq!(lines(&src("let n = r;")).len(), 1);
}

#[test]
fn a_read_until_into_a_buffer_that_outlives_the_pass_loses_nothing() {
    // tokio: "Any partially read bytes are appended to `buf`, and the method can be called
    // again to continue reading until `byte`."
    let src = |before: &str, pass: &str, buf: &str| {
        format!(
            "async fn f() {{ {before} loop {{ {pass} tokio::select! {{ n = r.read_until(b'\\n', {buf}) => line(n).await, _ = tick.tick() => ping().await, }} }} }}"
        )
    };
    for (before, pass, buf) in [
        ("let mut buf = Vec::new();", "", "&mut buf"),
        ("", "", "&mut self.line"),
        ("let mut buf = Vec::new();", "log();", "&mut buf"),
    ] {
        assert!(
            lines(&src(before, pass, buf)).is_empty(),
            "{before} {pass} {buf}"
        );
    }
    // Made anew or reset on every pass: the partial line goes with it.
    for (before, pass, buf) in [
        ("", "let mut buf = Vec::new();", "&mut buf"),
        ("let mut buf = Vec::new();", "buf.clear();", "&mut buf"),
        ("", "self.line.clear();", "&mut self.line"),
        ("", "", "&mut Vec::new()"),
    ] {
        assert_eq!(
            lines(&src(before, pass, buf)).len(),
            1,
            "{before} {pass} {buf}"
        );
    }
    // `write_all_buf` advances the caller's buffer by what it wrote.
    let w = "async fn f() { let mut b = Bytes::from(x); loop { tokio::select! { r = s.write_all_buf(&mut b) => break, m = rx.recv() => log(m), } } }";
    assert!(lines(w).is_empty());
    let w = "async fn f() { loop { let mut b = next(); tokio::select! { r = s.write_all_buf(&mut b) => {}, m = rx.recv() => log(m), } } }";
    assert_eq!(lines(w).len(), 1);
    // A `while let` binds its pattern on every pass.
    let w = "async fn f() { while let Some(mut b) = q.pop() { tokio::select! { r = s.write_all_buf(&mut b) => {}, m = rx.recv() => log(m), } } }";
    assert_eq!(lines(w).len(), 1);
}

#[test]
fn a_helper_that_reads_until_into_its_callers_buffer() {
    // bamboo-tools: the helper's buffer is its parameter, so it is the caller's.
    let helper = "async fn read_line_into(r: &mut R, pending: &mut Vec<u8>) -> io::Result<usize> { r.read_until(b'\\n', pending).await }\n";
    let kept = format!(
        "{helper}async fn f() {{ let mut out = Vec::new(); loop {{ tokio::select! {{ n = read_line_into(&mut r, &mut out) => {{}}, _ = tick.tick() => {{}} }} }} }}"
    );
    assert!(lines(&kept).is_empty());
    let fresh = format!(
        "{helper}async fn f() {{ loop {{ let mut out = Vec::new(); tokio::select! {{ n = read_line_into(&mut r, &mut out) => {{}}, _ = tick.tick() => {{}} }} }} }}"
    );
    assert_eq!(lines(&fresh), [2]);
    // A helper's own buffer goes with it.
    let own = "async fn read_line(r: &mut R) -> io::Result<Vec<u8>> { let mut b = Vec::new(); r.read_until(b'\\n', &mut b).await?; Ok(b) }\nasync fn f() { loop { tokio::select! { l = read_line(&mut r) => {}, _ = tick.tick() => {} } } }";
    assert_eq!(lines(own), [2]);
    // A later read that loses data for sure is not hidden by a safe `read_until` first.
    let both = "async fn frame(r: &mut R, b: &mut Vec<u8>) -> io::Result<()> { r.read_until(0, b).await?; r.read_exact(&mut h).await?; Ok(()) }\nasync fn f() { let mut b = Vec::new(); loop { tokio::select! { l = frame(&mut r, &mut b) => {}, _ = tick.tick() => {} } } }";
    assert_eq!(lines(both), [2]);
}

#[test]
fn where_a_buffer_is_made_or_reset_is_followed() {
    let reported = [
        // A reset inside the helper, or inside the branch's own async block.
        "async fn read_line_into(r: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> { buf.clear(); r.read_until(b'\\n', buf).await }\nasync fn f() { let mut line = Vec::new(); loop { tokio::select! { n = read_line_into(&mut r, &mut line) => handle(&line).await, _ = tick.tick() => ping().await, } } }",
        "async fn f() { let mut buf = Vec::new(); loop { tokio::select! { n = async { buf.clear(); r.read_until(b'\\n', &mut buf).await } => {}, _ = tick.tick() => {} } } }",
        // Made by an `if let`, a `match` arm, a `while let` chain.
        "async fn f() { loop { if let Some(mut b) = q.pop() { tokio::select! { r = s.write_all_buf(&mut b) => {}, m = rx.recv() => log(m), } } } }",
        "async fn f() { loop { match q.pop() { Some(mut b) => { tokio::select! { r = s.write_all_buf(&mut b) => {}, m = rx.recv() => log(m), } } None => break } } }",
        "async fn f() { while let Some(mut b) = q.pop() && ok { tokio::select! { r = s.write_all_buf(&mut b) => {}, m = rx.recv() => log(m), } } }",
        // Taken away on every pass.
        "async fn f() { let mut buf = Vec::new(); loop { tokio::select! { n = r.read_until(b'\\n', &mut buf) => {}, _ = tick.tick() => ping().await, } let line = std::mem::take(&mut buf); process(line).await; } }",
        "async fn f() { let mut buf = Vec::new(); loop { tokio::select! { n = r.read_until(b'\\n', &mut buf) => {}, _ = tick.tick() => ping().await, } let line: Vec<u8> = buf.drain(..).collect(); process(line).await; } }",
        // A place it is part of is reset.
        "impl C { async fn run(&mut self) { loop { self.conn = Conn::default(); tokio::select! { n = r.read_until(b'\\n', &mut self.conn.buf) => {}, _ = tick.tick() => {} } } } }",
        // Made by an outer loop's pass, which the inner loop ends into.
        "async fn f() { loop { let mut buf = Vec::new(); for _ in 0..3 { tokio::select! { n = r.read_until(b'\\n', &mut buf) => {}, _ = tick.tick() => {} } } } }",
        // A helper that takes `self`, called by its path.
        "impl C { async fn read_into(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> { self.r.read_until(b'\\n', buf).await }\nasync fn run(&mut self) { loop { let mut line = Vec::new(); tokio::select! { n = Self::read_into(self, &mut line) => {}, _ = tick.tick() => {} } } } }",
        // A helper that binds its parameter's name anew.
        "async fn h(r: &mut R, buf: &mut Vec<u8>) -> io::Result<Vec<u8>> { let mut buf = Vec::new(); r.read_until(b'\\n', &mut buf).await?; Ok(buf) }\nasync fn f() { let mut b = Vec::new(); loop { tokio::select! { l = h(&mut r, &mut b) => {}, _ = tick.tick() => {} } } }",
        // A helper whose caller's buffer is kept, but that reads into its own buffer next.
        "async fn h(r: &mut R, out: &mut Vec<u8>) -> io::Result<()> { r.read_until(b':', out).await?; let mut rest = Vec::new(); r.read_until(b'\\n', &mut rest).await?; Ok(()) }\nasync fn f() { let mut b = Vec::new(); loop { tokio::select! { l = h(&mut r, &mut b) => {}, _ = tick.tick() => {} } } }",
        // A `select!` in an item macro, whose loops the file's walk does not see.
        "cfg_rt! { async fn f() { loop { let mut buf = Vec::new(); tokio::select! { n = r.read_until(b'\\n', &mut buf) => {}, _ = tick.tick() => ping().await, } } } }",
    ];
    for src in reported {
        assert!(!lines(src).is_empty(), "{src}");
    }
    // A `send` first does not hide a `read_until` into a fresh buffer, in a crate whose
    // channels are all unbounded.
    let src = "fn c() { let (tx, rx) = unbounded(); }\nasync fn f() { loop { tokio::select! { _ = async { tx.send(m).await; r.read_until(b'\\n', &mut Vec::new()).await } => {}, _ = tick.tick() => {} } } }";
    assert_eq!(sends(src), [2]);
    // Nor a kept `read_until` a later bounded `send` through a helper.
    let src = "fn c() { let (a, b) = mpsc::channel(8); }\nasync fn h(r: &mut R, out: &mut Vec<u8>) { r.read_until(b':', out).await; tx.send(out.clone()).await; }\nasync fn f() { let mut b = Vec::new(); loop { tokio::select! { l = h(&mut r, &mut b) => {}, _ = tick.tick() => {} } } }";
    assert!(sends(src).is_empty(), "a copy is sent");
    let src = "fn c() { let (a, b) = mpsc::channel(8); }\nasync fn h(r: &mut R, out: &mut Vec<u8>, m: M) { r.read_until(b':', out).await; tx.send(m).await; }\nasync fn f() { let mut b = Vec::new(); loop { tokio::select! { l = h(&mut r, &mut b, m) => {}, _ = tick.tick() => {} } } }";
    assert_eq!(sends(src), [3]);
}

#[test]
fn let_else_leaves_only_on_a_value_its_pattern_surely_does_not_take() {
    // A variable or a call's value may be `Some(..)`.
    for value in ["m", "parse(m)"] {
        let src = format!(
            "async fn f() {{ loop {{ let r = tokio::select! {{ m = rx.recv() => {value}, n = reader.read_exact(&mut buf) => {{ handle(n); None }} }}; let Some(m) = r else {{ break }}; work(m).await; }} }}"
        );
        assert_eq!(lines(&src).len(), 1, "{value}");
    }
}

#[test]
fn a_buffer_emptied_after_a_whole_read_or_bound_out_of_scope_still_outlives_the_pass() {
    for quiet in [
        // Taken after the read completed, in a helper or in the branch's own future.
        "impl C { async fn next_line(&mut self) -> io::Result<Vec<u8>> { self.reader.read_until(b'\\n', &mut self.buf).await?; Ok(std::mem::take(&mut self.buf)) }\nasync fn run(&mut self) { loop { tokio::select! { l = self.next_line() => {}, _ = tick.tick() => {} } } } }",
        "async fn next_line(r: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> { let n = r.read_until(b'\\n', buf).await?; if n == 0 { buf.clear(); } Ok(n) }\nasync fn f() { let mut b = Vec::new(); loop { tokio::select! { l = next_line(&mut r, &mut b) => {}, _ = tick.tick() => {} } } }",
        "async fn f() { let mut buf = Vec::new(); loop { tokio::select! { l = async { r.read_until(b'\\n', &mut buf).await?; Ok(std::mem::take(&mut buf)) } => {}, _ = tick.tick() => {} } } }",
        // A closure's parameter does not bind the helper's name anew.
        "async fn next_line(r: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> { log(|buf: &str| buf.len()); r.read_until(b'\\n', buf).await }\nasync fn f() { let mut b = Vec::new(); loop { tokio::select! { l = next_line(&mut r, &mut b) => {}, _ = tick.tick() => {} } } }",
        // An inner `loop` that the outer pass's buffer outlives until the read is done.
        "async fn f() { loop { let mut buf = Vec::new(); loop { tokio::select! { r = reader.read_until(b'\\n', &mut buf) => { break; } _ = tick.tick() => { ping().await; } } } process(buf).await; } }",
        // Bindings of the same name that are not in scope at the `select!`.
        "async fn f() { let mut line = Vec::new(); loop { if let Some(line) = pending.pop() { write(line).await; } tokio::select! { n = r.read_until(b'\\n', &mut line) => {}, _ = tick.tick() => {} } } }",
        "async fn f() { let mut buf = Vec::new(); loop { tokio::select! { n = r.read_until(b'\\n', &mut buf) => {}, _ = tick.tick() => {} } match cmd() { Some(buf) => send(buf).await, None => {} } } }",
        // Taking a whole line off the front leaves the partial one.
        "async fn f() { let mut buf = Vec::new(); loop { tokio::select! { n = r.read_until(b'\\n', &mut buf) => {}, _ = tick.tick() => {} } let k = complete_len(&buf); let line: Vec<u8> = buf.drain(..k).collect(); process(line).await; } }",
    ] {
        assert!(lines(quiet).is_empty(), "{quiet}");
    }
    // Swapped out on every pass, by either side of `mem::swap`.
    let src = "async fn f() { let mut buf = Vec::new(); let mut line = Vec::new(); loop { tokio::select! { n = r.read_until(b'\\n', &mut buf) => {}, _ = tick.tick() => {} } std::mem::swap(&mut line, &mut buf); process(&line).await; } }";
    assert_eq!(lines(src).len(), 1);
    // A constant may hold `Some(..)`: `let … else` does not surely leave on it.
    let src = "const PING: Option<Msg> = Some(Msg::Ping);\nasync fn f() { loop { let r = tokio::select! { _ = tick.tick() => PING, n = reader.read_exact(&mut buf) => { handle(n); None } }; let Some(m) = r else { break }; work(m).await; } }";
    assert_eq!(lines(src), [2]);
}

#[test]
fn a_branch_whose_every_arm_leaves() {
    // linebased: the control branch breaks on every message and every error.
    let src = |control: &str| {
        format!(
            "async fn f() {{ loop {{ futures::select! {{ r = s.reader.read_line(&mut line).fuse() => {{ if r.is_err() {{ break; }} line.clear(); }} m = ctl.recv().fuse() => {control} }} }} }}"
        )
    };
    assert!(lines(&src("match m { Ok(Msg::Shutdown) => { info!(\"bye\"); break; } Err(e) => { error!(\"{e:?}\"); break; } }")).is_empty());
    assert!(lines(&src("{ if m.is_ok() { break } else { return } }")).is_empty());
    // One arm, or one branch, that goes on loses the partial line.
    assert_eq!(
        lines(&src("match m { Ok(Msg::Shutdown) => break, Err(_) => {} }")).len(),
        1
    );
    assert_eq!(lines(&src("{ if m.is_ok() { break } }")).len(), 1);
}

#[test]
fn a_branch_on_a_stop_flag_that_leaves_when_it_is_set() {
    // A watch that leaves when its flag is set is a stop signal (voltdb's reader, kafrust's
    // test broker): the loop goes on only if the flag is cleared.
    for src in [
        "async fn f() { loop { tokio::select! { _ = stop_rx.changed() => { if *stop_rx.borrow() { break \"stop\"; } } r = read_frame(&mut s) => {} } } }\nasync fn read_frame(s: &mut S) { s.read_exact(&mut h).await; }",
        "async fn f() { loop { tokio::select! { c = shutdown.changed() => { if c.is_err() || *shutdown.borrow() { return; } continue; } r = r.read_exact(&mut h) => {} } } }",
        "async fn f() { loop { tokio::select! { _ = stop.changed() => if *stop.borrow_and_update() { break }, r = r.read_exact(&mut h) => {} } } }",
    ] {
        assert!(lines(src).is_empty(), "{src}");
    }
    // A watch whose value says something else, or a branch that does not leave on it.
    for src in [
        "async fn f() { loop { tokio::select! { _ = cfg.changed() => { reload(&cfg.borrow()); } r = r.read_exact(&mut h) => {} } } }",
        "async fn f() { loop { tokio::select! { _ = stop.changed() => { if *other.borrow() { break; } } r = r.read_exact(&mut h) => {} } } }",
        "async fn f() { loop { tokio::select! { _ = stop.changed() => { if *stop.borrow() { log(); } } r = r.read_exact(&mut h) => {} } } }",
    ] {
        assert_eq!(lines(src).len(), 1, "{src}");
    }
}

#[test]
fn a_helper_that_owns_the_connection_this_pass_made() {
    // Moved into the helper, the connection goes with its future (maincopy's test server):
    // nothing is left out of step.
    let helper = "async fn serve(a: &A, mut s: S, r: &[u8]) { s.write_all(r).await; }";
    let owned = format!(
        "{helper}\nasync fn f() {{ loop {{ let (stream, _) = listener.accept().await?; tokio::select! {{ _ = tick.tick() => {{}} h = timeout(d, serve(&a, stream, &r)) => {{}} }} }} }}"
    );
    assert!(lines(&owned).is_empty(), "{owned}");
    // Lent by `&mut`, or made before the loop, it outlives the dropped future.
    for src in [
        format!(
            "{helper}\nasync fn f() {{ loop {{ let (mut stream, _) = listener.accept().await?; tokio::select! {{ _ = tick.tick() => {{}} h = serve(&a, &mut stream, &r) => {{}} }} }} }}"
        ),
        format!(
            "{helper}\nasync fn f() {{ let stream = connect().await; loop {{ tokio::select! {{ _ = tick.tick() => {{}} h = serve(&a, stream, &r) => {{}} }} }} }}"
        ),
    ] {
        assert_eq!(lines(&src).len(), 1, "{src}");
    }
}

#[test]
fn a_branch_that_makes_the_condition_the_select_runs_under_false_for_good() {
    // github3: `while !done` and a branch that sets `done = true`; a `select!` under
    // `!token.is_cancelled()` raced against that token, which stays cancelled.
    for quiet in [
        "async fn f() { let mut done = false; while !done { let mut l = String::new(); futures::select! { _ = stop.wait().fuse() => { done = true; } n = r.read_line(&mut l).fuse() => {} } } }",
        "async fn f() { let mut running = true; while running && ok() { tokio::select! { _ = stop.recv() => running = false, n = r.read_line(&mut l) => {} } } }",
        "async fn f() { while let Some(e) = events.recv().await { if asks(&e) && !token.is_cancelled() { let mut l = String::new(); let n = tokio::select! { _ = token.cancelled() => 0, n = stdin.read_line(&mut l) => n? }; } } }",
    ] {
        assert!(lines(quiet).is_empty(), "{quiet}");
    }
    for reported in [
        // The flag is set only on one path of the handler.
        "async fn f() { let mut done = false; while !done { futures::select! { m = stop.recv().fuse() => { if m.is_none() { done = true; } } n = r.read_line(&mut l).fuse() => {} } } }",
        // The flag set to the value the loop goes on with.
        "async fn f() { let mut done = false; while !done { futures::select! { _ = tick.tick().fuse() => { done = false; } n = r.read_line(&mut l).fuse() => {} } } }",
        // A flag the `select!` does not run under.
        "async fn f() { let mut done = false; loop { tokio::select! { _ = stop.recv() => { done = true; } n = r.read_line(&mut l) => {} } } }",
        // Another token than the one the guard asks.
        "async fn f() { while let Some(e) = events.recv().await { if !token.is_cancelled() { tokio::select! { _ = request.cancelled() => {}, n = stdin.read_line(&mut l) => {} } } } }",
        // Not under the guard: the `if` has ended.
        "async fn f() { loop { if !token.is_cancelled() { step().await; } tokio::select! { _ = token.cancelled() => {}, n = stdin.read_line(&mut l) => {} } } }",
        // The guard of a loop outside the innermost one.
        "async fn f() { while !done { loop { tokio::select! { _ = stop.recv() => { done = true; } n = r.read_line(&mut l) => {} } } } }",
    ] {
        assert_eq!(lines(reported).len(), 1, "{reported}");
    }
}

#[test]
fn async_std_stdin_keeps_the_line_it_read() {
    // github1 and github3: async-std's `Stdin::read_line` runs the read in a task the `Stdin`
    // keeps, and the next call returns its line, so a losing branch loses nothing.
    for quiet in [
        "use async_std::io;\nasync fn f() { let input = io::stdin(); loop { futures::select! { _ = input.read_line(&mut line).fuse() => {} m = rx.next().fuse() => {} } } }",
        "async fn f() { let mut stdin = async_std::io::stdin(); loop { futures::select! { r = stdin.read_line(&mut l).fuse() => {} m = s.read(&mut b).fuse() => {} } } }",
    ] {
        assert!(lines(quiet).is_empty(), "{quiet}");
    }
    for reported in [
        // tokio's stdin, behind a `BufReader`, loses the part of the line it read.
        "use tokio::io;\nasync fn f() { let mut input = io::BufReader::new(io::stdin()); loop { tokio::select! { _ = input.read_line(&mut line) => {} m = rx.recv() => {} } } }",
        // A `BufReader` around async-std's stdin is a reader like any other.
        "use async_std::io;\nasync fn f() { let mut input = io::BufReader::new(io::stdin()); loop { futures::select! { _ = input.read_line(&mut line).fuse() => {} m = rx.next().fuse() => {} } } }",
    ] {
        assert_eq!(lines(reported).len(), 1, "{reported}");
    }
}

#[test]
fn what_a_variable_is_follows_its_innermost_binding() {
    for reported in [
        // A one-byte name bound anew by a `for`, an `if let`, a `match` arm, a closure.
        "async fn f() { let mut buf = [0u8; 1]; for mut buf in bufs { loop { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } } }",
        "async fn f() { let mut buf = [0u8; 1]; loop { if let Some(mut buf) = pool.pop() { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } } }",
        "async fn f() { let mut buf = [0u8; 1]; loop { match pool.pop() { Some(mut buf) => { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } None => {} } } }",
        "async fn f() { let mut buf = [0u8; 1]; let g = |mut buf: Vec<u8>| async move { loop { tokio::select! { r = s.read_exact(&mut buf) => {}, m = rx.recv() => {} } } }; }",
        // async-std's `Stdin` made on each pass goes with the pass, and its line with it.
        "use async_std::io;\nasync fn f() { loop { let input = io::stdin(); futures::select! { _ = input.read_line(&mut line).fuse() => {} m = rx.next().fuse() => {} } } }",
        // tokio's `io::stdin()`, as the imports say.
        "use tokio::io;\nasync fn f() { let input = io::stdin(); loop { tokio::select! { _ = input.read_line(&mut line) => {} m = rx.recv() => {} } } }",
    ] {
        assert_eq!(lines(reported).len(), 1, "{reported}");
    }
    for quiet in [
        // A name bound anew in an inner block is the one-byte buffer again after it.
        "async fn f() { let mut b = [0u8; 1]; loop { { let b = vec![0u8; 64]; use_it(b); } tokio::select! { r = s.read_exact(&mut b) => {}, m = rx.recv() => {} } } }",
        // `stdin()` imported from async-std.
        "use async_std::io::stdin;\nasync fn f() { let input = stdin(); loop { futures::select! { _ = input.read_line(&mut line).fuse() => {} m = rx.next().fuse() => {} } } }",
        // One byte written at the call, also through a helper.
        "async fn f() { loop { tokio::select! { r = s.read_exact(&mut [0u8]) => {}, m = rx.recv() => {} } } }",
        "async fn one(s: &mut S) -> io::Result<u8> { let n = s.read_exact(&mut [0u8; 1]).await?; Ok(0) }\nasync fn f() { loop { tokio::select! { r = one(&mut s) => {}, m = rx.recv() => {} } } }",
    ] {
        assert!(lines(quiet).is_empty(), "{quiet}");
    }
}

#[test]
fn a_guard_holds_again_when_the_pass_makes_or_resets_its_flag() {
    for reported in [
        // The outer pass makes the flag anew: the `select!` runs again.
        "async fn f() { loop { let mut reading = true; while reading { tokio::select! { _ = tick.tick() => reading = false, r = s.read_exact(&mut h) => {} } } flush().await; } }",
        "async fn f() { let mut done = false; while !done { done = false; futures::select! { _ = stop.wait().fuse() => { done = true; } n = r.read_line(&mut l).fuse() => {} } } }",
        // A `continue` before the flag is set skips it.
        "async fn f() { let mut done = false; while !done { futures::select! { m = stop.recv().fuse() => { if m.is_none() { continue; } done = true; } n = r.read_line(&mut l).fuse() => {} } } }",
    ] {
        assert_eq!(lines(reported).len(), 1, "{reported}");
    }
    // `futures::select!`'s `.fuse()`d `cancelled()` under the guard.
    let quiet = "async fn f() { while let Some(e) = events.next().await { if !token.is_cancelled() { futures::select! { _ = token.cancelled().fuse() => {}, n = stdin.read_line(&mut l).fuse() => {} } } } }";
    assert!(lines(quiet).is_empty());
}

#[test]
fn sends_through_a_helper_or_send_all_are_reported_only_where_configured() {
    for src in [
        "async fn relay(&self, m: M) { self.tx.send(m).await; }\nasync fn f() { loop { tokio::select! { _ = relay(&x, m) => {}, n = rx.recv() => {} } } }",
        "async fn f() { loop { futures::select! { r = sink.send_all(&mut items).fuse() => {}, n = rx.next() => {} } } }",
    ] {
        assert!(lines(src).is_empty(), "{src}");
        assert_eq!(sends(src).len(), 1, "{src}");
    }
}

#[test]
fn a_let_that_binds_nothing_leaves_the_names_before_it_alone() {
    let src = "async fn f() { let mut b = [0u8; 1]; let _: [u8; 4] = [0; 4]; loop { tokio::select! { r = s.read_exact(&mut b) => {}, m = rx.recv() => {} } } }";
    assert!(lines(src).is_empty());
}
