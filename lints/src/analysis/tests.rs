//! Unit tests of the path analysis: one small program per control-flow construct.

use crate::config::Config;
use crate::{Rule, check_source};

/// The lines (1-based) of the `uncancellable_loop` findings.
fn loops(src: &str, config: &Config) -> Vec<usize> {
    check_source("t.rs", src, config)
        .into_iter()
        .filter(|f| f.rule == Rule::UncancellableLoop)
        .map(|f| f.primary.span.line_start)
        .collect()
}

fn default_loops(src: &str) -> Vec<usize> {
    loops(src, &Config::default())
}

fn strict_loops(src: &str) -> Vec<usize> {
    loops(
        src,
        &Config {
            strict: true,
            ..Config::default()
        },
    )
}

/// Every path that goes round without observing, evidence or not (`--report-bounded-loops`):
/// what the tests of the path analysis itself look at.
fn every_path() -> Config {
    Config {
        report_bounded_loops: true,
        ..Config::default()
    }
}

fn every_path_loops(src: &str) -> Vec<usize> {
    loops(src, &every_path())
}

/// The secondary label of the only path found.
fn witness(src: &str) -> Option<String> {
    let f = check_source("t.rs", src, &every_path());
    assert_eq!(f.len(), 1, "{f:#?}");
    f[0].secondary.first().and_then(|a| a.label.clone())
}

#[test]
fn loop_without_await_is_flagged_in_async_fn_only() {
    assert_eq!(
        default_loops("async fn f() {\n    loop { work(); }\n}"),
        [2]
    );
    assert_eq!(
        default_loops("fn f() {\n    loop { work(); }\n}"),
        Vec::<usize>::new()
    );
}

#[test]
fn await_on_every_path_is_fine() {
    assert!(default_loops("async fn f() { loop { a().await; if x { continue; } } }").is_empty());
    assert!(
        default_loops("async fn f() { loop { if x { a().await; } else { b().await; } } }")
            .is_empty()
    );
}

#[test]
fn if_without_else_leaves_a_path() {
    let src = "async fn f() {\n    loop {\n        if x { a().await; }\n    }\n}";
    assert_eq!(every_path_loops(src), [2]);
    assert_eq!(
        witness(src).as_deref(),
        Some("when this condition is false, nothing observes cancellation")
    );
}

#[test]
fn else_branch_without_await_is_labelled() {
    let src = "async fn f() { loop { if x { a().await; } else { b(); } } }";
    assert_eq!(
        witness(src).as_deref(),
        Some("this branch does not observe cancellation")
    );
}

#[test]
fn match_arms_are_paths() {
    let src = "async fn f() { loop { match x { A => a().await, B => {} } } }";
    assert_eq!(
        witness(src).as_deref(),
        Some("this arm does not observe cancellation")
    );
    assert!(
        every_path_loops("async fn f() { loop { match x { A => a().await, B => b().await } } }")
            .is_empty()
    );
    // An arm that leaves the loop is not a path back to the head.
    assert!(
        every_path_loops("async fn f() { loop { match x { A => a().await, B => break } } }")
            .is_empty()
    );
    assert!(
        every_path_loops("async fn f() { loop { match x { A => a().await, B => return } } }")
            .is_empty()
    );
}

#[test]
fn continue_before_the_await_is_a_path() {
    let src = "async fn f() { loop { if x { continue; } a().await; } }";
    assert_eq!(
        witness(src).as_deref(),
        Some("this `continue` goes back to the loop head without observing cancellation")
    );
}

#[test]
fn let_else_continue_is_a_path() {
    let src = "async fn f() { loop { let Some(x) = get() else { continue }; x.await; } }";
    assert_eq!(every_path_loops(src).len(), 1);
    assert!(
        every_path_loops("async fn f() { loop { let Some(x) = get() else { return }; x.await; } }")
            .is_empty()
    );
}

#[test]
fn question_mark_and_return_leave_the_loop() {
    assert!(default_loops("async fn f() -> R { loop { let x = get()?; x.await; } }").is_empty());
    assert!(default_loops("async fn f() { loop { if x { return; } a().await; } }").is_empty());
}

#[test]
fn labelled_continue_to_the_outer_loop() {
    // The inner loop awaits on every path, but `continue 'outer` skips it.
    let src = "async fn f() {\n    'outer: loop {\n        loop {\n            if x { continue 'outer; }\n            a().await;\n            break;\n        }\n    }\n}";
    assert_eq!(every_path_loops(src), [2]);
    // `break 'outer` leaves: not a path back.
    let src = "async fn f() { 'outer: loop { loop { if x { break 'outer; } a().await; break; } } }";
    assert!(every_path_loops(src).is_empty());
}

#[test]
fn nested_loop_body_counts_only_when_it_runs() {
    // A `loop` body always runs: its await is on the path out (via `break`).
    assert!(every_path_loops("async fn f() { loop { loop { a().await; break; } } }").is_empty());
    // A `while` body may run zero times.
    assert_eq!(
        every_path_loops("async fn f() {\n    loop {\n        while c() { a().await; }\n    }\n}"),
        [2]
    );
}

#[test]
fn while_condition_that_checks_or_awaits() {
    assert!(
        default_loops("async fn f() { while !cancelkit::is_cancelled() { work(); } }").is_empty()
    );
    assert!(
        default_loops("async fn f() { while let Some(x) = rx.recv().await { work(x); } }")
            .is_empty()
    );
    assert!(
        default_loops("async fn f(t: CancellationToken) { while !t.is_cancelled() { work(); } }")
            .is_empty()
    );
    assert_eq!(
        default_loops("async fn f() { while !flag.load(SeqCst) { spin(); } }").len(),
        1
    );
}

#[test]
fn short_circuit_right_side_may_not_run() {
    assert_eq!(
        every_path_loops("async fn f() { loop { if x && a().await { } } }").len(),
        1
    );
    assert!(every_path_loops("async fn f() { loop { if a().await && x { } } }").is_empty());
}

#[test]
fn closures_and_async_blocks_are_separate_scopes() {
    // The await inside the spawned block does not count for the loop...
    assert_eq!(
        default_loops("async fn f() { loop { spawn(async { a().await }); } }").len(),
        1
    );
    // ...and a loop inside a sync closure in async code is not async code.
    assert!(default_loops("async fn f() { let c = || loop { work() }; }").is_empty());
    // A loop inside an async block in a sync fn is async code.
    assert_eq!(
        default_loops("fn f() { spawn(async { loop { work() } }); }").len(),
        1
    );
    // Async closures too.
    assert_eq!(
        default_loops("fn f() { let c = async || { loop { work() } }; }").len(),
        1
    );
}

#[test]
fn checks_count_as_observing() {
    assert!(
        default_loops("async fn f() { loop { cancelkit::checkpoint()?; work(); } }").is_empty()
    );
    assert!(
        default_loops(
            "use cancelkit::is_cancelled;\nasync fn f() { loop { if is_cancelled() { break; } work(); } }"
        )
        .is_empty()
    );
    assert!(
        default_loops("async fn f(token: CancelToken) { loop { token.check()?; work(); } }")
            .is_empty()
    );
}

#[test]
fn names_resolve_through_the_files_imports() {
    // tokio's `sleep` and `yield_now` are not cancelkit's, in strict mode.
    let tokio = "use tokio::time::sleep;\nuse tokio::task::yield_now;\nuse cancelkit::checkpoint;\nasync fn f() { loop { sleep(d).await; yield_now().await; } }";
    assert_eq!(strict_loops(tokio), [4]);
    let ours = "use cancelkit::{sleep, yield_now};\nasync fn f() { loop { sleep(d).await?; } }";
    assert!(strict_loops(ours).is_empty());
    let glob = "use cancelkit::*;\nasync fn f() { loop { yield_now().await?; } }";
    assert!(strict_loops(glob).is_empty());
    let renamed =
        "use cancelkit::checkpoint as stop_here;\nasync fn f() { loop { stop_here()?; work(); } }";
    assert!(strict_loops(renamed).is_empty());
    // A bare name the file does not import is not cancelkit's unless the file mentions it.
    assert_eq!(
        strict_loops("async fn f() { loop { sleep(d).await; } }").len(),
        1
    );
    // `swallowed_cancellation` resolves the same way.
    let swallowed = "use tokio::time::sleep;\nuse cancelkit::checkpoint;\nasync fn f() { loop { let _ = sleep(d).await; checkpoint()?; } }";
    assert!(check_source("t.rs", swallowed, &Config::default()).is_empty());
}

#[test]
fn conditions_split_at_and_and_or() {
    // The body runs only after the check on the right of `&&` ran.
    let src = "async fn f(t: CancellationToken) { while ready.load(SeqCst) && !t.is_cancelled() { work(); } }";
    assert!(default_loops(src).is_empty());
    // `||`: the right side runs only when the left is false.
    let src = "async fn f(t: CancellationToken) { while !(t.is_cancelled() || done.load(SeqCst)) { work(); } }";
    assert!(default_loops(src).is_empty());
    // In `if c() && x.await { .. } else { y.await }`, the path where `c()` is false goes to
    // the `else`, which awaits.
    let src = "async fn f() { loop { if c() && x.await { work(); } else { y.await; } if flag.load(SeqCst) { break } } }";
    assert!(default_loops(src).is_empty(), "{:?}", default_loops(src));
}

#[test]
fn an_inner_loop_on_the_same_condition() {
    // The inner `while` leaves only when `next` is `None`, and then so does the outer one.
    let src = "async fn f() { while let Some(e) = &next { if paused.load(SeqCst) { key().await; } else { while let Some(e) = &next { show(e).await; next = rx.recv().await; } } } }";
    assert!(default_loops(src).is_empty(), "{:?}", default_loops(src));
    // A different inner condition proves nothing about the outer one.
    let src = "async fn f() { while let Some(e) = &next { if paused.load(SeqCst) { key().await; } else { while let Some(e) = &other { show(e).await; other = rx.recv().await; } } } }";
    assert_eq!(default_loops(src), [1]);
}

#[test]
fn a_macro_of_the_crate_that_always_returns_ends_the_path() {
    let src = "macro_rules! corrupted { () => { return Err(Corrupted.into()) }; }\nasync fn f() -> R { while !stop.load(SeqCst) { match state { S::Done => { corrupted!() } S::Reading => { next().await?; } } } Ok(()) }";
    assert!(default_loops(src).is_empty(), "{:?}", default_loops(src));
    let src = "macro_rules! fail { ($m:expr) => {{ log($m); panic!(\"{}\", $m) }}; }\nasync fn f() { while !stop.load(SeqCst) { if bad { fail!(\"x\") } else { next().await; } } }";
    assert!(default_loops(src).is_empty(), "{:?}", default_loops(src));
    // A macro that only logs does not end the path.
    let src = "macro_rules! note { () => { log(\"x\") }; }\nasync fn f() { while !stop.load(SeqCst) { if bad { note!() } else { next().await; } } }";
    assert_eq!(default_loops(src), [2]);
}

#[test]
fn the_loop_shape_is_evidence_only_where_no_path_awaits() {
    // ironclaw's heartbeat: the pass with neither timer set cannot happen (configuration sets
    // one), and nothing but the loop's shape says it could repeat.
    let src = "async fn f() {\n    loop {\n        if let Some(t) = &mut a { t.tick().await; }\n        if let Some(t) = &mut b { t.tick().await; }\n    }\n}";
    assert!(default_loops(src).is_empty(), "{:?}", default_loops(src));
    // nodedb's coordinator: a `while` whose body awaits, with a pass that does not.
    let src = "async fn f() { while !queue.is_empty() { let Some(q) = queue.front() else { continue }; send(q).await; } }";
    assert!(default_loops(src).is_empty(), "{:?}", default_loops(src));
    // The same shapes without an await anywhere spin.
    let src = "async fn f() {\n    loop {\n        if let Some(t) = &mut a { t.tick(); }\n    }\n}";
    assert_eq!(default_loops(src), [2]);
    let src = "async fn f() { while !queue.is_empty() { let Some(q) = queue.front() else { continue }; send(q); } }";
    assert_eq!(default_loops(src), [1]);
    // An await in a closure or an async block is another scope's.
    let src = "async fn f() {\n    loop {\n        spawn(async { x.await });\n    }\n}";
    assert_eq!(default_loops(src), [2]);
    // An await on a path that leaves is not on a path round: the shape still counts.
    let src = "async fn f(s: &S) { while !s.ready { if s.closed { s.notify().await; return; } } }";
    assert_eq!(default_loops(src), [1]);
    // An await in a nested loop is read as having run (sqlx-mysql's loop over its waiting
    // queue, whose inner loops between them cover every kind of entry).
    let src = "async fn f() { while !w.is_empty() { while w.front() == Some(&Row) { p = recv().await; } while w.front() == Some(&Res) { p = recv().await; } } }";
    assert!(default_loops(src).is_empty(), "{src}");
    // With awaits elsewhere, a poll that answers "nothing yet" still shows the spin.
    let src = "async fn f() {\n    loop {\n        match rx.try_recv() { Ok(m) => handle(m).await, Err(_) => {} }\n    }\n}";
    assert_eq!(default_loops(src), [2]);
    // And in strict mode the shape of the loop does not matter.
    let src =
        "async fn f() {\n    loop {\n        if let Some(t) = &mut a { t.tick().await; }\n    }\n}";
    assert_eq!(strict_loops(src), [2]);
}

#[test]
fn a_condition_that_changes_its_receiver_does_work() {
    // `increment` moves the query up a level each time it returns true.
    let src = "async fn f() { loop { if done { while query.increment() { trace(); } break; } x.await; } }";
    assert!(default_loops(src).is_empty(), "{:?}", default_loops(src));
    // A read of the same receiver does nothing.
    let src =
        "async fn f() { loop { if done { while query.pending() { trace(); } break; } x.await; } }";
    assert_eq!(default_loops(src), [1]);
}

#[test]
fn a_conversion_in_a_condition_does_no_work() {
    // rsactor's handler spins on the clock for 2 µs; `Duration::from_micros(2)` builds a value.
    let src = "async fn f() {\n    let start = Instant::now();\n    while start.elapsed() < Duration::from_micros(2) { std::hint::spin_loop(); }\n}";
    assert_eq!(default_loops(src), [3]);
    // A call that does something in the condition advances the loop.
    let src = "async fn f() { while libc::write(fd, buf, n) > 0 { count += 1; } }";
    assert!(default_loops(src).is_empty());
}

#[test]
fn a_terminal_read_or_prompt_blocks() {
    // stakpak's menu: `event::read()` in a function that never polls waits for a key; a line
    // editor's prompt waits for a line.
    let src = "use crossterm::event;\nasync fn f() { loop { if let Event::Key(k) = event::read()? { if k == ESC { break; } } } }";
    assert_eq!(default_loops(src), [2]);
    let src = "async fn f() { loop { let l = rl.readline(\">> \")?; if l.is_empty() { continue; } send(l).await; } }";
    assert_eq!(default_loops(src), [1]);
    // ferium's profile name: a dialoguer prompt asked again until the answer is free.
    let src = "async fn f() { let name = loop { let n: String = Input::with_theme(&T).interact_text()?; if free(&n) { break n; } }; save(name).await; }";
    assert_eq!(default_loops(src), [1]);
    // deadpool's `interact` takes the closure to run and is awaited.
    let src = "async fn f() { loop { let n = conn.interact(|c| c.query()).await?; if n > 0 { break; } } }";
    assert!(default_loops(src).is_empty());
    // After a zero-timeout poll said an event is there, a read does not wait.
    let src = "use crossterm::event;\nasync fn f() { while event::poll(Duration::ZERO)? { let e = event::read()?; key(e); } }";
    assert!(default_loops(src).is_empty());
}

#[test]
fn a_terminal_poll_with_a_timeout_blocks() {
    let src = "use crossterm::event;\nasync fn f() { loop { if event::poll(tick).unwrap() { send(event::read().unwrap()).await; } } }";
    assert_eq!(default_loops(src), [2]);
    // With a zero timeout it does not block, but asks again at once: a busy-wait.
    let src = "use crossterm::event;\nasync fn f() { loop { if event::poll(Duration::from_millis(0)).unwrap() { send(event::read().unwrap()).await; } } }";
    assert_eq!(default_loops(src), [2]);
    // Also written with `?`.
    let src = "use crossterm::event;\nasync fn f() -> io::Result<()> { loop { if event::poll(Duration::ZERO)? { x.await; } } }";
    assert_eq!(default_loops(src), [2]);
    // Polled with a zero timeout to drain what is there, it ends.
    let src = "use crossterm::event;\nasync fn f() { while event::poll(Duration::ZERO).unwrap() { send(event::read().unwrap()).await; } }";
    assert!(default_loops(src).is_empty());
    // "Yes" is followed by reading the event: that side is not a spin.
    let src = "use crossterm::event;\nasync fn f() -> io::Result<()> { loop { if event::poll(Duration::ZERO)? { handle(event::read()?); } else { x.await; } } }";
    assert!(default_loops(src).is_empty(), "{src}");
}

#[test]
fn cancellable_impl_blocks_are_honoured() {
    let src = "#[cancellable]\nimpl S {\n    async fn a(&self) -> R { loop { work(); } }\n    #[uninterruptible]\n    async fn b(&self) { loop { work(); } }\n}";
    assert_eq!(default_loops(src), [5]);
    let src =
        "#[cancellable(loops = false)]\nimpl S {\n    async fn a(&self) { loop { work(); } }\n}";
    assert_eq!(default_loops(src), [3]);
}

#[test]
fn awaits_inside_macro_rules_bodies_count() {
    let src = "macro_rules! assert_let_timeout { ($e:expr) => { tokio::time::timeout(D, $e).await.unwrap() } }\nasync fn f() { loop { assert_let_timeout!(rx.recv()); } }";
    assert!(default_loops(src).is_empty());
    let src =
        "macro_rules! quiet { ($e:expr) => { $e } }\nasync fn f() { loop { quiet!(work()); } }";
    assert_eq!(default_loops(src).len(), 1);
    assert!(default_loops("async fn f() { loop { futures::pending!(); } }").is_empty());
    // A macro that invokes another macro of the file that awaits (framez's `next!`, which
    // loops on `$crate::maybe_next!`), wherever in the file that one is defined.
    let src = "macro_rules! next { ($f:expr) => {{ 'n: loop { match $crate::maybe_next!($f) { Some(None) => continue 'n, x => break 'n x } } }}; }\nmacro_rules! maybe_next { ($f:expr) => {{ read(&mut $f).await }}; }\nasync fn f() { while let Some(_) = next!(framed) {} }";
    assert!(default_loops(src).is_empty());
    // One that invokes only quiet macros, or compares with `!=`, still does not observe.
    let src = "macro_rules! show { ($f:expr) => {{ if $f != 0 { log!(\"{}\", $f) } }}; }\nmacro_rules! log { ($($t:tt)*) => { eprintln!($($t)*) }; }\nasync fn f() { while !stop.load(SeqCst) { show!(n); } }";
    assert_eq!(default_loops(src).len(), 1);
}

#[test]
fn same_crate_functions_that_observe_on_every_path() {
    let src = "fn stop() -> bool { cancelkit::is_cancelled() }\nasync fn f() { loop { if stop() { break } work(); } }";
    assert!(default_loops(src).is_empty());
    // Through two levels, and as a method.
    let src = "fn a() { b() }\nfn b() { cancelkit::checkpoint().ok(); }\nimpl S { fn tick(&self) { a() } }\nasync fn f(s: S) { loop { s.tick(); } }";
    assert!(default_loops(src).is_empty());
    // Not on every path: still flagged.
    let src = "fn maybe(x: bool) { if x { cancelkit::checkpoint().ok(); } }\nasync fn f() { loop { maybe(true); } }";
    assert_eq!(default_loops(src).len(), 1);
    // Recursion alone never observes.
    let src = "fn r() { r() }\nasync fn f() { loop { r(); } }";
    assert_eq!(default_loops(src).len(), 1);
    // Two functions of the same name: both must observe.
    let src = "mod a { fn go() { cancelkit::checkpoint().ok(); } }\nmod b { fn go() {} }\nasync fn f() { loop { go(); } }";
    assert_eq!(default_loops(src).len(), 1);
}

#[test]
fn macros_are_scanned() {
    assert!(
        default_loops("async fn f() { loop { tokio::select! { _ = a() => {}, _ = b() => {} } } }")
            .is_empty()
    );
    assert!(default_loops("async fn f() { loop { println!(\"{}\", a().await); } }").is_empty());
    assert_eq!(
        default_loops("async fn f() { loop { println!(\"{}\", a()); } }").len(),
        1
    );
    assert!(default_loops("async fn f() { loop { if x { panic!() } a().await; } }").is_empty());
}

#[test]
fn strict_mode_counts_only_cancellation_aware_awaits() {
    let src = "async fn f() { loop { rx.recv().await; } }";
    assert!(default_loops(src).is_empty());
    assert_eq!(strict_loops(src).len(), 1);
    assert!(
        strict_loops("async fn f() { loop { rx.recv().await; cancelkit::sleep(d).await?; } }")
            .is_empty()
    );
    assert!(strict_loops("async fn f(t: CancellationToken) { loop { tokio::select! { _ = t.cancelled() => break, m = rx.recv() => {} } } }").is_empty());
    // `for` loops are checked in strict mode only.
    assert!(default_loops("async fn f() { for x in v { work(x); } }").is_empty());
    assert_eq!(
        strict_loops("async fn f() { for x in v { work(x); } }").len(),
        1
    );
}

#[test]
fn cancellable_functions_are_exempt_unless_opted_out() {
    assert!(default_loops("#[cancellable]\nasync fn f() { loop { work(); } }").is_empty());
    let src = "#[cancelkit::cancellable]\nasync fn f() -> R {\n    #[cancelkit::uninterruptible]\n    loop { work(); }\n    Ok(())\n}";
    assert_eq!(default_loops(src), [4]);
    let src = "#[cancellable]\nasync fn f() -> R {\n    #[uninterruptible]\n    loop { work(); cancelkit::checkpoint()?; }\n}";
    assert!(default_loops(src).is_empty());
    // Async blocks inside are not instrumented by the macro (S27).
    assert_eq!(
        default_loops("#[cancellable]\nasync fn f() { spawn(async { loop { work(); } }); }").len(),
        1
    );
}

#[test]
fn drain_loops_are_not_reported_by_default() {
    let drain = "async fn f() { while let Some(x) = q.pop() { work(x); } }";
    assert!(default_loops(drain).is_empty());
    assert_eq!(strict_loops(drain).len(), 1);
    assert!(default_loops("async fn f() { loop { match s.try_join_next() { Some(x) => work(x), None => break } } }").is_empty());
    assert!(default_loops("async fn f() { while i < n { i += 1; } }").is_empty());
    // But a busy spin on the empty case is.
    let spin = "async fn f() { loop { match rx.try_recv() { Ok(m) => m.run().await, Err(Empty) => continue, Err(_) => break } } }";
    assert_eq!(default_loops(spin).len(), 1);
    let spin =
        "async fn f() { loop { let Ok(m) = rx.try_recv() else { continue }; m.run().await; } }";
    assert_eq!(default_loops(spin).len(), 1);
    // bastion's `recv`: a `for` over what a poll-style iterator has now, inside a `loop` whose
    // only way out is an item that has not arrived yet.
    let spin = "async fn recv(&self) -> Msg { loop { for (m, e) in self.events.try_iter() { warn!(event = ?e); if let Payload(p) = e { return p; } self.note(m); } } }";
    assert_eq!(default_loops(spin), [1]);
    // vtcode's expansion: a counter set to zero on each pass and tested before going round.
    let quiet = "async fn f() { while out.len() < limit { let mut progressed = 0; if i > 0 { if keep(i) { out.push(i); progressed += 1; } i -= 1; } if progressed == 0 { break; } } }";
    assert!(default_loops(quiet).is_empty(), "{quiet}");
    let quiet = "async fn f() { while out.len() < limit { let mut progressed = 0; if let Some(x) = next() { out.push(x); progressed += 1; } if 0 != progressed { continue; } break; } }";
    assert!(default_loops(quiet).is_empty(), "{quiet}");
    // A counter that is not tested against zero says nothing.
    let spin = "async fn f() { while !flag.load(Relaxed) { let mut n = 0; if ready() { n = 1; } if n == 1 { break; } } }";
    assert_eq!(default_loops(spin).len(), 1);
    // A `matches!` condition reads its scrutinee: popping what it tests is progress.
    let quiet = "async fn f(line: &mut Vec<u8>) { while matches!(line.last(), Some(b'\\n' | b'\\r')) { line.pop(); } }";
    assert!(default_loops(quiet).is_empty(), "{quiet}");
    // A socket its function makes non-blocking: a read waits for nothing, and answering
    // `WouldBlock` is its "nothing yet" (netget's ICMP client sleeps on it; retried at once it
    // spins). Set back to blocking (ntex's test), a read blocks again.
    let quiet = "async fn f(sock: Socket) { sock.set_nonblocking(true).unwrap(); loop { match sock.recv_from(&mut buf) { Ok((n, _)) => handle(&buf[..n]), Err(e) if e.kind() == WouldBlock => sleep(T).await, Err(e) => return } } }";
    assert!(default_loops(quiet).is_empty(), "{quiet}");
    let spin = "async fn f(sock: Socket) { sock.set_nonblocking(true).unwrap(); loop { match sock.recv_from(&mut buf) { Ok((n, _)) => handle(&buf[..n]).await, Err(e) if e.kind() == WouldBlock => continue, Err(e) => return } } }";
    assert_eq!(default_loops(spin).len(), 1, "{spin}");
    // A function nested in one that makes its sockets non-blocking is one of its own.
    let nested = "async fn d(sock: UdpSocket) { sock.set_nonblocking(true).unwrap(); async fn inner(stream: TcpStream) { loop { stream.read(&mut buf); sleep(T).await; } } inner(other()).await; }";
    let f = check_source("t.rs", nested, &Config::default());
    assert!(
        f.iter().any(|f| f.rule == Rule::BlockingInAsync),
        "{nested}"
    );
    // A zero-timeout receive only asks: draining what is there is not a spin, asking again at
    // once is.
    let quiet = "async fn f(browser: Receiver<u32>) { loop { match browser.recv_timeout(Duration::ZERO) { Ok(s) => add(s), Err(_) => Timer::after(T).await } } }";
    assert!(default_loops(quiet).is_empty(), "{quiet}");
    let spin = "async fn f(rx: Receiver<u32>) { loop { match rx.recv_timeout(Duration::ZERO) { Ok(s) => add(s).await, Err(_) => continue } } }";
    assert_eq!(default_loops(spin).len(), 1, "{spin}");
    let blocking = "fn other(s: &Socket) { s.set_nonblocking(true).unwrap(); }\nasync fn f(stream: TcpStream) { stream.set_nonblocking(true).unwrap(); stream.set_nonblocking(false).unwrap(); while !data.ends_with(END) { match stream.read(&mut buf) { Ok(0) | Err(_) => break, Ok(n) => data.extend_from_slice(&buf[..n]) } } }";
    assert_eq!(default_loops(blocking).len(), 1, "{blocking}");
    // Through iterator adapters.
    let spin = "async fn f() { loop { for (i, m) in rx.try_iter().take(8).enumerate() { if m.last() { return; } log(i); } } }";
    assert_eq!(default_loops(spin), [1]);
    // The same drain, with an await or a way out when it runs dry, is not a spin, nor is a
    // walk over a `peekable()` iterator.
    for quiet in [
        "async fn f(items: Vec<u32>, mut n: usize) { while n < 10 { for _x in items.iter().peekable() { n += 1; } } }",
        "async fn f() { loop { for m in rx.try_iter() { handle(m); } tick.tick().await; } }",
        "async fn f() { for m in rx.try_iter() { handle(m); } }",
        "async fn f() { loop { let mut got = false; for m in rx.try_iter() { got = true; handle(m); } if !got { break; } } }",
        "async fn f() { loop { for x in items.iter() { if x.done() { return; } } wait().await; } }",
    ] {
        assert!(default_loops(quiet).is_empty(), "{quiet}");
    }
}

#[test]
fn allow_comments() {
    assert!(
        default_loops(
            "async fn f() {\n    // cancelkit: allow(uncancellable_loop)\n    loop { work(); }\n}"
        )
        .is_empty()
    );
    assert!(default_loops("async fn f() {\n    loop { // cancelkit: allow(uncancellable_loop)\n        work();\n    }\n}").is_empty());
    assert!(default_loops("// cancelkit: allow(uncancellable_loop)\n/// Docs.\n#[inline]\nasync fn f() {\n    loop { work(); }\n}").is_empty());
    // A comment for another rule does not silence this one, and unknown names are reported.
    let src = "async fn f() {\n    // cancelkit: allow(swallowed_cancellation, no_such_rule)\n    loop { work(); }\n}";
    let f = check_source("t.rs", src, &Config::default());
    let rules: Vec<Rule> = f.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::UnknownRule, Rule::UncancellableLoop]);
}

#[test]
fn observers_from_the_configuration() {
    let config = Config {
        observers: vec!["my::shutdown::requested".into()],
        ..Config::default()
    };
    assert!(
        loops(
            "async fn f() { loop { if requested() { break } work(); } }",
            &config
        )
        .is_empty()
    );
    assert!(
        loops(
            "async fn f(s: S) { loop { if s.requested() { break } work(); } }",
            &config
        )
        .is_empty()
    );
}

#[test]
fn swallowed_cancellation() {
    let rules = |src: &str| -> Vec<(Rule, usize)> {
        check_source("t.rs", src, &Config::default())
            .into_iter()
            .map(|f| (f.rule, f.primary.span.line_start))
            .collect()
    };
    let sw = Rule::SwallowedCancellation;
    assert_eq!(
        rules("async fn f() {\n    loop {\n        let _ = cancelkit::sleep(d).await;\n    }\n}"),
        [(sw, 3)]
    );
    assert_eq!(
        rules(
            "use cancelkit::checkpoint;\nfn f() { loop { if let Err(_) = checkpoint() {} work(); } }"
        ),
        [(sw, 2)]
    );
    assert_eq!(
        rules("use cancelkit::checkpoint;\nfn f() { loop { checkpoint().ok(); work(); } }"),
        [(sw, 2)]
    );
    assert_eq!(
        rules(
            "use cancelkit::checkpoint;\nfn f() { loop { match checkpoint() { Ok(()) => {}, Err(_) => {} } work(); } }"
        ),
        [(sw, 2)]
    );
    // Handling it is fine.
    assert!(rules("use cancelkit::checkpoint;\nfn f() { loop { if let Err(e) = checkpoint() { return Err(e) } work(); } }").is_empty());
    assert!(rules("use cancelkit::checkpoint;\nfn f() { loop { if checkpoint().is_err() { break } work(); } }").is_empty());
    // Outside a loop, or another crate's `sleep`: not this rule.
    assert!(rules("async fn f() { let _ = cancelkit::sleep(d).await; }").is_empty());
    assert!(rules("async fn f() { loop { let _ = tokio::time::sleep(d).await; } }").is_empty());
    // A token's `check()` takes nothing; a rate limiter's `check(key)` answers something else
    // (tokio-rate-limit's tests, furnace-server's limiter).
    assert_eq!(
        rules("fn f(token: CancelToken) { loop { let _ = token.check(); work(); } }"),
        [(sw, 1)]
    );
    assert!(rules("async fn f() { for _ in 0..10 { let _ = bucket.check(\"key\"); } }").is_empty());
    assert!(
        rules("fn f(cancel_limit: L) { loop { let _ = cancel_limit.check(ip, now); } }").is_empty()
    );
}

#[test]
fn parse_errors_are_findings_and_never_panics() {
    let f = check_source("t.rs", "fn broken( {", &Config::default());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, Rule::ParseError);
    for src in [
        "",
        "\u{feff}",
        "#!/bin/sh\nfn main(){}",
        "\u{feff}#!x\nasync fn f(){loop{}}",
        "é",
        "\r\n\r\n",
    ] {
        check_source("t.rs", src, &Config::default());
    }
    // BOM and shebang shift the offsets: the span must still point at `loop`.
    let text = "\u{feff}#!/usr/bin/env run\nasync fn f() { loop {} }";
    let f = check_source("t.rs", text, &Config::default());
    assert_eq!(&text[f[0].primary.span.range()], "loop");
}

#[test]
fn items_inside_item_macros_are_checked() {
    let src = "cfg_rt! {\n    pub async fn f() {\n        loop { work(); }\n    }\n}\nmacro_rules! m { () => { async fn g() { loop {} } } }";
    assert_eq!(default_loops(src), [3]);
}

#[test]
fn functions_of_the_crates_a_crate_depends_on_count_and_no_others() {
    use crate::{Crate, Input, SourceFile, check_crates};
    let a = SourceFile::new(
        "a.rs",
        "a.rs",
        "pub fn stop() -> bool { cancelkit::is_cancelled() }".into(),
    );
    let b = SourceFile::new(
        "b.rs",
        "b.rs",
        "async fn f() { loop { a::stop(); work(); } }".into(),
    );
    fn krate(f: &SourceFile, deps: Vec<usize>) -> Crate<'_> {
        Crate {
            files: vec![Input::Text(f)],
            config: Config::default(),
            deps,
        }
    }
    // b depends on a: `stop` is a's, which checks.
    assert!(
        check_crates(&[krate(&a, vec![]), krate(&b, vec![0])])
            .findings
            .is_empty()
    );
    // b does not depend on a: a's `stop` says nothing about b's calls.
    assert_eq!(
        check_crates(&[krate(&a, vec![]), krate(&b, vec![])])
            .findings
            .len(),
        1
    );
    assert_eq!(check_crates(&[krate(&b, vec![])]).findings.len(), 1);
}

#[test]
fn everything_under_an_uninterruptible_marker_is_checked() {
    // Nested loops of a marked loop, and loops in a marked statement, are left alone by
    // `#[cancellable]`, so the checker looks at them.
    let src = "#[cancellable]\nasync fn f() -> R {\n    #[uninterruptible]\n    loop {\n        a().await;\n        loop { work(); }\n    }\n}";
    assert_eq!(default_loops(src), [6]);
    let src = "#[cancellable]\nasync fn f() -> R {\n    #[uninterruptible]\n    let x = {\n        loop { if ready.load(Acquire) { break 1; } }\n    };\n    loop { work(); }\n}";
    assert_eq!(default_loops(src), [5]);
}

#[test]
fn cancellable_options_turn_instrumentation_off() {
    assert_eq!(
        default_loops("#[cancellable(loops = false)]\nasync fn f() { loop { work(); } }"),
        [2]
    );
    // Instrumented awaits are checkpoints, also for the strict mode.
    let src = "#[cancellable(loops = false)]\nasync fn f() { loop { rx.recv().await; } }";
    assert!(strict_loops(src).is_empty());
    let src =
        "#[cancellable(loops = false, awaits = false)]\nasync fn f() { loop { rx.recv().await; } }";
    assert_eq!(strict_loops(src), [2]);
    assert!(
        default_loops("#[cancellable(on_cancel = break)]\nasync fn f() { loop { work(); } }")
            .is_empty()
    );
}

#[test]
fn cancellable_awaits_observe_as_the_expansion_does() {
    // `interrupt = false` still checks before every await.
    let src = "#[cancellable(loops = false, interrupt = false)]\nasync fn f() { loop { rx.recv().await; } }";
    assert!(strict_loops(src).is_empty());
    // `shield(..).await` is left alone by the macro: it does not observe in strict mode.
    let src = "#[cancellable(loops = false)]\nasync fn f() { loop { cancelkit::shield(flush()).await; } }";
    assert_eq!(strict_loops(src), [2]);
}

/// The shapes that made the first default mode 29% precise on code it was not tuned on (issue
/// 11): each must stay quiet.
#[test]
fn drains_bounds_and_impossible_paths_found_in_real_code_are_not_reported() {
    for (what, src) in [
        (
            "a `?` on an iterator step",
            "async fn f() -> R { loop { let row = it.next().map_err(Error::from)?; work(row); } }",
        ),
        (
            "a decoder drained until `None`",
            "async fn f() -> R { loop { match dec.poll_decode()? { None => break, Some(x) => work(x) } } }",
        ),
        (
            "a method outside any name list",
            "async fn f() { while cache.len() > cap { cache.remove_lru(); } }",
        ),
        (
            "a stream polled until it is not ready",
            "async fn f(cx: &mut Context<'_>) { while let Poll::Ready(Some(x)) = s.as_mut().poll_next(cx) { work(x); } }",
        ),
        (
            "a queue popped until empty",
            "async fn f() { while !queue.is_empty() { queue.pop_front(); } }",
        ),
        (
            "a retry bound outside the `while` condition",
            "async fn f() -> R { loop { match op() { Ok(x) => break, Err(e) if retries < N => { retries += 1; continue; } Err(e) => return Err(e) } } }",
        ),
        (
            "an assert bound",
            "async fn f() { loop { assert!(n < MAX); n += 1; if done(n) { break } } }",
        ),
        (
            "grow the buffer and retry",
            "async fn f() -> R { loop { match enc.try_encode(&mut buf) { Ok(n) => break, Err(TooSmall) => { buf.resize(buf.len() * 2, 0); continue; } Err(e) => return Err(e) } } }",
        ),
        (
            "a linked-list walk with cycle detection",
            "async fn f() { let mut cur = head; loop { match cur { Some(n) => { if !seen.insert(n.id) { break } cur = n.next; } None => break } } }",
        ),
        (
            "a map that loses an element on each `continue`",
            "async fn f() { loop { let Some(k) = pick(&map) else { break }; if skip(k) { map.remove(&k); continue; } map.remove(&k); } }",
        ),
        (
            "a queue popped in a condition that the `while` guards",
            "async fn f() { while !servers.is_empty() && batch.len() < n { if let Some(s) = servers.pop_front() { batch.push(s); } } }",
        ),
        (
            "writes until the socket buffer is full",
            "async fn f() { while let Ok(n) = sock.get_ref().write(&[0; 512]) { total += n; } }",
        ),
        (
            "a future made by `recv()` and polled once by `now_or_never`",
            "async fn f() { while let Some(Some(())) = confirm_rx.recv().now_or_never() {} }",
        ),
        (
            "a retry whose condition reads through a closure",
            "async fn f() { let mut port = free_port(); while ports.values().any(|p| *p == port) { port = free_port(); } }",
        ),
        (
            "a `for` over sizes that awaits each write, inside a `while` over the data",
            "async fn f() { while !data.is_empty() { for size in sizes { if data.is_empty() { break } let n = w.write(&data[..size]).await.unwrap(); data = &data[n..]; } } }",
        ),
        (
            "a condition that does the work (filling a pipe until it is full)",
            "async fn f() { while unsafe { libc::write(fd, b.as_ptr(), 1) } >= 0 {} }",
        ),
        (
            "a decoder handed the slice it consumes",
            "async fn f() { while !slice.is_empty() { let row = deserialize_row(slice); rows.push(row); } }",
        ),
        (
            "a read from a buffer",
            "async fn f() -> R { loop { let n = cursor.read(&mut b)?; if n == 0 { break } out.extend(&b[..n]); } }",
        ),
        (
            "a TLS connection fed from a slice (microsandbox's proxy)",
            "async fn f() { let mut remaining = &data[..]; while !remaining.is_empty() { guest_tls.read_tls(&mut remaining).unwrap(); guest_tls.process_new_packets().unwrap(); } }",
        ),
        (
            "progress made inside a macro",
            "async fn f() -> R { while !r.is_empty() { let b = map_err!(Bytes::decode(&mut r))?; keys.push(b); } }",
        ),
        (
            "progress made in a nested loop",
            "async fn f() { while results.len() < n { let batch = fetch(); for r in batch { results.push(r); } } }",
        ),
        (
            "a `macro_rules!` helper, defined in the function, whose body is a `select!` (mtorrent-dht)",
            "async fn f() { macro_rules! next_event { ($q:expr) => { select! { biased; e = rx.recv() => step(e), q = $q.next() => step(q) } }; } while next_event!(queries).is_continue() {} }",
        ),
        (
            "a `select!` inside another macro",
            "async fn f() { loop { if !log_errors!(select! { e = rx.recv() => step(e), _ = tick.tick() => true }) { break } } }",
        ),
        (
            "an await in a `macro_rules!` helper",
            "macro_rules! assert_let_timeout { ($p:pat = $e:expr) => { let $p = timeout(D, $e).await.unwrap() else { panic!() }; } }\nasync fn f() { loop { assert_let_timeout!(Some(x) = rx.recv()); if x.done { break } } }",
        ),
        (
            "`futures::pending!()`",
            "async fn f() { loop { if ready.load(SeqCst) { break } futures::pending!(); } }",
        ),
        (
            "a function of unknown purpose that does the work itself, retried until it needs no I/O",
            "async fn f() -> R { loop { match op() { Ok(x) => return Ok(x), Err(e) if again(&e) => match dirs() { In => s.readable().await?, Out => s.writable().await?, Nothing => continue }, Err(e) => return Err(e) } } }",
        ),
        (
            "a lock-free queue's brief inconsistent state, waited out with `thread::yield_now`",
            "async fn f() -> Option<M> { loop { match unsafe { q.pop() } { Data(m) => break Some(m), Empty => break None, Inconsistent => std::thread::yield_now() } } }",
        ),
        (
            "a full buffer cleared before going round (a local bound afresh from `self`)",
            "async fn f(&mut self) -> ! { loop { let buf = self.write_buf(); if buf.is_empty() { self.clear(); continue; } let n = serial.read(buf).await; self.advance(n); } }",
        ),
        (
            "a shared handle given to the call that fills it",
            "async fn f() { while store.pending_sessions() < 48 { let _ = process_message_1(&store, msg().as_slice()); } }",
        ),
        (
            "the body runs only after the check on the right of `&&`",
            "async fn f(token: CancellationToken) { while a.load(SeqCst) && !token.is_cancelled() { work(); } }",
        ),
    ] {
        assert!(
            default_loops(src).is_empty(),
            "{what}: {:?}",
            default_loops(src)
        );
    }
}

/// The spins the first default mode missed, and the busy-waits it found: each must be reported.
#[test]
fn spins_found_in_real_code_are_reported() {
    for (what, src) in [
        (
            "a decoder that keeps answering `None` under a counting `while`",
            "async fn f() -> R { while last <= end { if let Some(r) = dec.poll_decode()? { last = r.lsn; } } }",
        ),
        (
            "a blocking std/crossbeam `recv()`",
            "async fn f(rx: std::sync::mpsc::Receiver<u8>) { while let Ok(x) = rx.recv() { work(x); } }",
        ),
        (
            "an atomic flag with `std::thread::sleep`",
            "async fn f() { while !flag.load(SeqCst) { std::thread::sleep(D); } }",
        ),
        (
            "a deadline busy-wait",
            "async fn f() { let deadline = Instant::now() + D; while Instant::now() < deadline { if probe() { break } } }",
        ),
        (
            "a `try_lock` spin",
            "async fn f() { let g = loop { if let Ok(g) = m.try_lock() { break g; } }; }",
        ),
        (
            "`WouldBlock` retried at once",
            "async fn f() -> R { loop { match sock.try_read(&mut buf) { Ok(0) => break, Ok(n) => work(n), Err(e) if e.kind() == WouldBlock => continue, Err(e) => return Err(e) } } }",
        ),
        (
            "an infinite loop without an await",
            "async fn f() { loop { tx.send(compute()); } }",
        ),
        (
            "a blocking socket read",
            "async fn f() { while tls.read(&mut tmp).unwrap() != 0 {} }",
        ),
        (
            "a blocking read into a stream named as an argument",
            "async fn f() { loop { conn.read_tls(&mut sock).unwrap(); if conn.is_done() { break } } }",
        ),
        (
            "a `matches!` condition on a poll, with a deadline `assert!` and `thread::yield_now`",
            "async fn f() { while !matches!(sock.peek(&mut b), Ok(n) if n >= 5) { assert!(Instant::now() < deadline); std::thread::yield_now(); } }",
        ),
        (
            "a blocking `read_line` on locked stdin",
            "async fn f() { let stdin = io::stdin(); loop { let mut line = String::new(); stdin.lock().read_line(&mut line).ok(); if line.trim() == \"q\" { break } } }",
        ),
        (
            "a blocking `read_line` on a reader built from a child's stdout",
            "async fn f() { let out = child.stdout.take().unwrap(); let mut r = BufReader::new(out); while let Ok(n) = r.read_line(&mut line) { if n == 0 { break } } }",
        ),
        (
            "a prompt read from stdin until the answer parses",
            "async fn f() -> u32 { loop { let mut s = String::new(); std::io::stdin().read_line(&mut s).unwrap(); if let Ok(n) = s.trim().parse() { break n; } } }",
        ),
        (
            "`block_on` in a loop",
            "async fn f() { loop { let x = futures::executor::block_on(next()); if x.is_none() { break } } }",
        ),
    ] {
        assert_eq!(default_loops(src).len(), 1, "{what}");
    }
}

#[test]
fn a_peek_without_arguments_looks_at_data_the_code_owns() {
    // roadster's worker: `peek_mut()` on a heap of queues looks at memory; the pass that finds
    // it empty could only repeat if callers passed no queue.
    let src = "async fn f() { loop { while let Some(mut q) = queues.peek_mut() { sleep(d).await; q.next += 1; } } }";
    assert!(default_loops(src).is_empty(), "{src}");
    let src =
        "async fn f() { loop { if it.peek().is_none() { continue; } send(it.next()).await; } }";
    assert!(default_loops(src).is_empty(), "{src}");
    let src = "async fn f() { loop { if heap.peek().map_or(false, |t| t.ready) { x.await; } } }";
    assert!(default_loops(src).is_empty(), "{src}");
    // A socket's `peek(&mut buf)` asks the OS, which can keep answering "nothing yet".
    let src = "async fn f() { loop { match sock.peek(&mut buf) { Ok(n) => handle(n).await, Err(_) => continue } } }";
    assert_eq!(default_loops(src), [1]);
    let src =
        "async fn f() { loop { if sock.peek(&mut buf).is_err() { continue; } handle().await; } }";
    assert_eq!(default_loops(src), [1]);
}

#[test]
fn a_local_bound_from_outside_state_carries_the_read_into_the_condition() {
    // atrium's test: a record key made from the microsecond clock, drawn again until new.
    for spin in [
        "async fn f(deadline: Instant) { loop { let now = Instant::now(); if now >= deadline { break; } } }",
        "async fn f(records: Vec<Key>) { let k = loop { let rkey = RecordKey::new(Tid::now(0).to_string()).unwrap(); if !records.contains(&rkey) { break rkey; } }; }",
        "async fn f(flag: &AtomicBool) { loop { let ready = flag.load(Acquire); if ready { break; } } }",
    ] {
        assert_eq!(default_loops(spin), [1], "{spin}");
    }
    for quiet in [
        // Another pass awaits: the evidence is on the path that does.
        "async fn f(deadline: Instant) { loop { let now = Instant::now(); if now >= deadline { break; } tick().await; } }",
        // Shadowed by a local the code makes itself.
        "async fn f(flag: &AtomicBool) { loop { let x = flag.load(Acquire); let x = next(); if x.done() { break; } } }",
        // A fresh draw of the code's own, of unknown purpose, is not outside state.
        "async fn f(records: Vec<Key>) { let k = loop { let rkey = fresh(); if !records.contains(&rkey) { break rkey; } }; }",
        // A compare-and-swap retry goes round only when another thread has just moved the
        // value (tele, tideway), also behind a helper handed the value read (rvoip's
        // `claim_abort(current, ..)`).
        "async fn f(max: &AtomicU64, now: u64) { loop { let seen = max.load(Relaxed); if now <= seen { break; } match max.compare_exchange(seen, now, AcqRel, Relaxed) { Ok(_) => break, Err(_) => continue } } }",
        "async fn f(s: &Shared) { loop { let current = s.state.load(Acquire); match current { PENDING => { if s.claim(current, \"aborted\") { done().await; return; } } _ => return } } }",
        // A compare-and-swap on the atomic the loop loaded settles the read, from a constant
        // too (async-lock's `OnceCell`: a failed swap means another task moved the state).
        "async fn f(&self) { loop { let state = self.state.load(Acquire); match state.into() { Done => return, Busy => wait().await, Uninit => { if self.state.compare_exchange(UNINIT, BUSY, AcqRel, Acquire).is_err() { continue; } init().await; } } } }",
        // A `static` is named in capitals and changes.
        "static COUNTER: AtomicU32 = AtomicU32::new(0);\nasync fn f() { while COUNTER.load(Relaxed) < 10 { COUNTER.fetch_add(1, Relaxed); } }",
    ] {
        assert!(default_loops(quiet).is_empty(), "{quiet}");
    }
    for spin in [
        // Handed to a call on another object, or to a conversion, the value is not acted on.
        "async fn f(done: &AtomicBool, stats: &Stats) { while !done.load(Acquire) { let now = Instant::now(); stats.record(now); } }",
        "async fn f(flag: &AtomicU8) { loop { let s = flag.load(Acquire); if State::from(s) == State::Ready { break; } } }",
        // Handing the value read on changes nothing.
        "async fn f(deadline: Instant) { loop { let now = Instant::now(); if now >= deadline { break; } log_time(now); } }",
        // A compare-and-swap from a constant is a try-lock; `fetch_update` may decline.
        "async fn f(lock: &AtomicBool, deadline: Instant) { loop { if Instant::now() > deadline { return; } if lock.compare_exchange(false, true, Acquire, Relaxed).is_ok() { break; } } }",
        "async fn f(p: &AtomicUsize, closed: &AtomicBool) { loop { if p.load(Acquire) == 0 { if closed.load(Acquire) { return; } } if p.fetch_update(AcqRel, Acquire, |x| x.checked_sub(1)).is_ok() { break; } } }",
        // A try-lock on a sibling field of the one loaded does not settle the read.
        "async fn f(inner: &Inner) { loop { let c = inner.closed.load(Acquire); if c { return; } if inner.lock.compare_exchange(false, true, Acquire, Relaxed).is_ok() { break; } } }",
        // A copy read from outside changes nothing when handed on or computed with.
        "async fn f(flag: &AtomicBool) { loop { let state = flag.load(Acquire); report(&state); if state { break; } } }",
        "async fn f(last: Instant) { loop { let now = Instant::now(); let d = now - last; if d > T { break; } } }",
        // The local's scope ends with its block: the other arm's `n` is the parameter.
        "async fn f(rx: &Receiver<Msg>, n: usize) { loop { match rx.try_recv() { Ok(m) => { let n = total.load(Relaxed); handle(m, n); } Err(_) => { log_empty(n); } } } }",
    ] {
        assert_eq!(default_loops(spin), [1], "{spin}");
    }
}

#[test]
fn a_body_that_finds_the_heads_own_condition_false_leaves() {
    // rustfs' brace matcher: the pass that does not advance `end` has just seen `depth` reach
    // zero, which fails the head's own `&&` condition.
    let quiet = "async fn f(bytes: &[u8], mut end: usize) { let mut depth = 1; while end < bytes.len() && depth > 0 { match bytes[end] { b'{' => depth += 1, b'}' => depth -= 1, _ => {} } if depth > 0 { end += 1; } } x.await; }";
    assert!(default_loops(quiet).is_empty(), "{quiet}");
    // A test of something the head does not test says nothing.
    let spin = "async fn f(bytes: &[u8], mut end: usize) { let mut depth = 1; while end < bytes.len() && depth > 0 { if ready.load(Acquire) { end += 1; } } x.await; }";
    assert_eq!(default_loops(spin), [1], "{spin}");
}

#[test]
fn a_console_that_reads_stdin_through_its_lines_blocks() {
    // adk-runner's console: an empty line goes round without awaiting, and each pass waits
    // for the user on the executor thread.
    let spin = "async fn run() { let stdin = io::stdin(); let mut lines = stdin.lock().lines(); loop { let line = match lines.next() { Some(Ok(l)) => l, Some(Err(_)) | None => break }; if line.trim().is_empty() { continue; } send(line).await; } }";
    assert_eq!(default_loops(spin), [1], "{spin}");
}

#[test]
fn a_timed_receive_waits_out_its_timeout() {
    // swarm-discovery's test: ipc-channel's `try_recv_timeout(5s)` on a current-thread
    // runtime, repeated until every discovery is in; with a zero timeout it only asks.
    let spin = "async fn f(rx: IpcReceiver<Disco>) { while seen.len() < n { let Disco::Discover { host, .. } = rx.try_recv_timeout(Duration::from_secs(5)).unwrap() else { continue; }; seen.insert(host); } }";
    assert_eq!(default_loops(spin), [1], "{spin}");
    let quiet = "async fn f(rx: IpcReceiver<Disco>) { while seen.len() < n { match rx.try_recv_timeout(Duration::ZERO) { Ok(h) => { seen.insert(h); } Err(_) => sleep(T).await } } }";
    assert!(default_loops(quiet).is_empty(), "{quiet}");
    // Raced as one of a tuple of futures, a receive is awaited.
    let quiet = "async fn f(rx: Receiver<u32>) { loop { let tick = async { sleep(d).await }; if let Ok(i) = (tick, rx.recv()).race().await { go(i).await; } } }";
    assert!(default_loops(quiet).is_empty(), "{quiet}");
}

#[test]
fn a_random_draw_excuses_only_the_loop_shape() {
    // Drawing until the draw says stop: the `while`'s condition does not change on the path
    // that goes round, but the next draw can.
    let src = "async fn f() { while !found { if rand::random::<u8>() < 10 { found = true; } } }";
    assert!(default_loops(src).is_empty(), "{src}");
    let src = "async fn f() { while !found { if rng.gen_range(0..n) == 0 { found = true; } } }";
    assert!(default_loops(src).is_empty(), "{src}");
    // Without the draw it is a spin.
    let src = "async fn f() { while !found { if pick(n) == 0 { found = true; } } }";
    assert_eq!(default_loops(src), [1]);
    // A draw says nothing about a poll or an atomic.
    let src = "async fn f() { while !stop.load(SeqCst) { let i = rand_index(n); touch(i); } }";
    assert_eq!(default_loops(src), [1]);
    let src = "async fn f() { loop { let Ok(m) = rx.try_recv() else { let _ = rand::random::<u8>(); continue }; handle(m).await; } }";
    assert_eq!(default_loops(src), [1]);
    // A method named like a draw on something that is not a generator is not one.
    let src = "async fn f() { while !found { if self.gen() == 0 { found = true; } } }";
    assert_eq!(default_loops(src), [1]);
    // pagefind's collision walk hashes the same input each time: nothing new can come.
    let src = "async fn f() { while let Some(c) = hashes.get(short) { if c.full == full { pages.push(c.clone()); } else { short = &full[..short.len() + 1]; } } }";
    assert_eq!(default_loops(src), [1]);
}

#[test]
fn calls_resolve_only_to_code_that_runs() {
    // `std::thread::yield_now` is std's, not the crate's `yield_now` that checks.
    let src = "fn yield_now() { cancelkit::checkpoint().ok(); }\nasync fn f() {\n    while !flag.load(SeqCst) { std::thread::yield_now(); }\n}";
    assert_eq!(default_loops(src), [3]);
    let src = "fn yield_now() { cancelkit::checkpoint().ok(); }\nasync fn f() { while !flag.load(SeqCst) { yield_now(); } }";
    assert!(default_loops(src).is_empty());
    // Calling an `async fn` without awaiting it runs none of its body.
    let src = "impl S { async fn peek(&self) { x.await } }\nasync fn f() {\n    while sock.peek(&mut b).is_err() {}\n}";
    assert_eq!(default_loops(src), [3]);
    // Awaited, it runs: strict mode counts the cancellation-aware await inside.
    let src =
        "async fn step() { cancelkit::sleep(D).await; }\nasync fn f() { loop { step().await; } }";
    assert!(strict_loops(src).is_empty());
    let src = "async fn step() { cancelkit::sleep(D).await; }\nasync fn f() { loop { let _ = step(); work().await; } }";
    assert_eq!(strict_loops(src).len(), 1);
}

#[test]
fn a_helper_of_the_crate_that_blocks_on_every_call_is_a_blocking_call() {
    // The loop's `continue` path awaits nothing; `readline()` blocks on stdin every time, by
    // itself or through another free function.
    let helper = "fn readline() -> io::Result<String> {\n    print!(\"> \");\n    io::stdout().flush()?;\n    let mut s = String::new();\n    io::stdin().read_line(&mut s)?;\n    Ok(s)\n}\nfn prompt() -> io::Result<String> { readline() }\n";
    for call in ["readline()?", "prompt()?"] {
        let src = format!(
            "{helper}async fn f(c: C) -> R {{\n    loop {{\n        let l = {call};\n        if l.is_empty() {{ continue; }}\n        c.send(l).await;\n    }}\n}}"
        );
        assert_eq!(default_loops(&src), [10], "{call}");
        let f = check_source("t.rs", &src, &Config::default());
        assert!(
            f[0].secondary.iter().any(|a| a
                .label
                .as_deref()
                .is_some_and(|l| l.contains("blocks the thread on every call"))),
            "{f:#?}"
        );
    }
}

#[test]
fn a_helper_that_blocks_at_the_top_of_a_loop_blocks_on_every_call() {
    // agent-orchestrator-sdk's REPL: the helper reads a line before anything can end the
    // `loop`'s first pass, so every call blocks.
    let loop_ = "async fn f(c: C) {\n    loop {\n        let l = read();\n        if l.is_empty() { continue; }\n        if l == \"q\" { break; }\n        c.send(l).await;\n    }\n}";
    let blocking = "fn read() -> String { let stdin = io::stdin(); let mut full = String::new(); loop { let mut line = String::new(); stdin.lock().read_line(&mut line).ok(); if line.is_empty() { return full; } full.push_str(&line); break; } full }";
    assert_eq!(default_loops(&format!("{blocking}\n{loop_}")), [3]);
    for helper in [
        // The first pass may end before it reads.
        "fn read() -> String { let mut s = String::new(); loop { if cached() { break; } io::stdin().read_line(&mut s).ok(); } s }",
        "fn read() -> String { let mut s = String::new(); loop { match next() { None => continue, Some(_) => {} } io::stdin().read_line(&mut s).ok(); break; } s }",
        // ... or leave the function.
        "fn read() -> String { let mut s = String::new(); loop { if cached() { return s; } io::stdin().read_line(&mut s).ok(); } }",
        // A build with a feature may leave first (the `cfg` statement's calls do not count,
        // but its way out does).
        "fn read() -> String { let mut s = String::new(); loop { #[cfg(feature = \"cache\")] if cached() { break; } io::stdin().read_line(&mut s).ok(); break; } s }",
        "fn read() -> String { let mut s = String::new(); #[cfg(feature = \"cache\")] if cached() { return s; } io::stdin().read_line(&mut s).ok(); s }",
        // A `while` may not run at all.
        "fn read() -> String { let mut s = String::new(); while want() { io::stdin().read_line(&mut s).ok(); } s }",
    ] {
        assert!(
            default_loops(&format!("{helper}\n{loop_}")).is_empty(),
            "{helper}"
        );
    }
}

#[test]
fn a_helper_that_may_not_block_is_not() {
    let loop_ = "async fn f(c: C) {\n    loop {\n        let l = read();\n        if l.is_empty() { continue; }\n        if l == \"q\" { break; }\n        c.send(l).await;\n    }\n}";
    for helper in [
        // Returns before it blocks on some path.
        "fn read() -> String { if let Some(s) = cached() { return s; } let mut s = String::new(); io::stdin().read_line(&mut s).ok(); s }",
        // Blocks on one branch only.
        "fn read() -> String { let mut s = String::new(); if tty() { io::stdin().read_line(&mut s).ok(); } s }",
        // An `async fn` runs only where it is awaited; a method is not summarised.
        "async fn read() -> String { let mut s = String::new(); io::stdin().read_line(&mut s).ok(); s }",
        // Nothing blocks; `bail!` may leave first.
        "fn read() -> String { String::new() }",
        "fn read() -> Result<String> { if x() { bail!(\"no\"); } let mut s = String::new(); io::stdin().read_line(&mut s)?; Ok(s) }",
        // Blocks only on the right side of `&&`, after a labelled block's way out, or where
        // a `cfg` compiles it.
        "fn read() -> String { let mut s = String::new(); let _ = ask() && io::stdin().read_line(&mut s).is_ok(); s }",
        "fn read() -> String { let mut s = String::new(); 'a: { if !ask() { break 'a; } io::stdin().read_line(&mut s).ok(); } s }",
        "fn read() -> String { let mut s = String::new(); #[cfg(feature = \"tty\")] io::stdin().read_line(&mut s).ok(); s }",
        // A test helper is not what the library's call resolves to.
        "#[cfg(test)]\nmod tests { fn read() -> String { let mut s = String::new(); io::stdin().read_line(&mut s).ok(); s } }",
        // Whether crossterm's read waits depends on the caller's poll.
        "use crossterm::event;\nfn read() -> String { let e = event::read().unwrap(); format(e) }",
    ] {
        assert!(
            default_loops(&format!("{helper}\n{loop_}")).is_empty(),
            "{helper}"
        );
    }
    // A method of the same name as a blocking free function makes the name ambiguous.
    let src = "fn read() -> String { let mut s = String::new(); io::stdin().read_line(&mut s).ok(); s }\nimpl B { fn read(&self) -> String { String::new() } }\n";
    assert!(default_loops(&format!("{src}{loop_}")).is_empty());
    // An associated function of the same name is not the free one.
    let src = "fn read() -> String { let mut s = String::new(); io::stdin().read_line(&mut s).ok(); s }\n";
    let loop_assoc = loop_.replace("read()", "Term::read()");
    assert!(default_loops(&format!("{src}{loop_assoc}")).is_empty());
    // The unambiguous free function is found.
    let src = "fn read() -> String { let mut s = String::new(); io::stdin().read_line(&mut s).ok(); s }\n";
    assert_eq!(default_loops(&format!("{src}{loop_}")), [3]);
}

#[test]
fn a_flag_set_only_where_the_path_awaits_decides_the_way_out() {
    // kumo's fill loop: `popped` is true only after the awaiting arm, and the loop leaves when
    // it is false, so no path goes round without awaiting.
    let src = "async fn f() {\n    'fill: while set.len() < n {\n        let mut popped = false;\n        for i in 0..n {\n            if stopped(i) { continue; }\n            if let Some(x) = ready(i).await { spawn(x); popped = true; break; }\n        }\n        if !popped { break 'fill; }\n    }\n}";
    assert!(default_loops(src).is_empty());
    // Set on a path that does not await, the flag lets that path go round (every path is
    // reported here: in the default mode, setting what a way out tests counts as progress).
    let src = "async fn f() {\n    'fill: while set.len() < n {\n        let mut popped = false;\n        if flag.load(Acquire) { popped = true; }\n        if !popped { break 'fill; }\n    }\n}";
    assert_eq!(every_path_loops(src), [2]);
    let src = "async fn f() {\n    'fill: while set.len() < n {\n        let mut popped = false;\n        if flag.load(Acquire) { popped = true; x.await; }\n        if !popped { break 'fill; }\n    }\n}";
    assert!(every_path_loops(src).is_empty());
    // A flag given a value the path cannot know is not known.
    let src = "async fn f() {\n    'fill: while set.len() < n {\n        let mut popped = false;\n        popped = flag.load(Acquire);\n        if !popped { break 'fill; }\n    }\n}";
    assert_eq!(every_path_loops(src), [2]);
}

#[test]
fn a_flag_changed_on_the_way_round_is_forgotten_in_a_nested_loop() {
    // `done` is false when the inner loop is entered, but the pass that sets it goes round and
    // leaves next time: the break is a real way out of it, and the outer `while` goes round.
    let src = "async fn f() {\n    while set.len() < n {\n        let mut done = false;\n        loop {\n            if done { break; }\n            done = true;\n        }\n    }\n}";
    assert_eq!(every_path_loops(src), [2, 4]);
}

#[test]
fn a_name_bound_twice_is_not_tracked() {
    // `popped` in the last condition could be either binding as far as a name-based walk can
    // tell, so it prunes nothing: every path goes both ways, as without the flag.
    for shadow in [
        "if let Some(popped) = flag() { log(popped); }",
        "{ let popped = true; log(popped); }",
        "let f = |popped: bool| popped;",
    ] {
        let src = format!(
            "async fn f() {{\n    'o: while set.len() < n {{\n        let mut popped = true;\n        {shadow}\n        if popped {{ break 'o; }}\n    }}\n}}"
        );
        assert_eq!(every_path_loops(&src), [2], "{shadow}");
    }
    // Bound once, the same program is pruned: `popped` is true, so the loop always leaves.
    let src = "async fn f() {\n    'o: while set.len() < n {\n        let mut popped = true;\n        log(1);\n        if popped { break 'o; }\n    }\n}";
    assert!(every_path_loops(src).is_empty());
}

#[test]
fn a_buf_getter_advances_the_buffer() {
    // snap7-client: `bytes::Buf::get_u16` reads two bytes and moves past them.
    let src = "async fn f(mut b: Bytes) { while b.remaining() >= 2 { out.push(Entry { t: b.get_u16() }); } }";
    assert!(default_loops(src).is_empty());
    // A plain getter reads.
    let src = "async fn f(b: Cfg) { while b.remaining() >= 2 { out.push(b.get_limit()); } }";
    assert_eq!(default_loops(src), [1]);
}

#[test]
fn a_poll_that_said_yes_in_a_condition_is_not_nothing_yet() {
    // datafusion's sort-merge join: `try_advance_streamed_row()` answers `true` when it moved
    // the cursor; only its `false` (then the pass awaits the next batch) is "nothing yet".
    for quiet in [
        "impl J { async fn merge(&mut self) { while !(self.a_done && self.b_done) { if !self.try_advance_row() { self.load_next().await; } } } }",
        "async fn f(q: &Q) { while !q.is_done() { if q.try_advance() { continue; } q.wait().await; } }",
    ] {
        assert!(default_loops(quiet).is_empty(), "{quiet}");
    }
    // Its `false` repeated at once still spins.
    for spin in [
        "async fn f(m: &M) { loop { if m.try_lock() { break; } } }",
        "async fn f(q: &Q) { while !q.is_done() { if !q.try_advance() { continue; } q.wait().await; } }",
        "async fn f(m: &M) { while !stop.load(SeqCst) { if m.try_lock() { m.unlock(); } } }",
    ] {
        assert_eq!(default_loops(spin).len(), 1, "{spin}");
    }
}

#[test]
fn a_lagged_broadcast_receiver_has_a_message_next() {
    // zeroclaw's audit tests: `Lagged` moves the receiver to the oldest message it can still
    // get, so only `Empty` can repeat.
    let src = |empty_arm: &str| {
        format!(
            "async fn f(mut rx: broadcast::Receiver<V>) {{ let mut found = None; loop {{ match rx.try_recv() {{ Ok(v) if wanted(&v) => {{ found = Some(v); break; }} Ok(_) | Err(TryRecvError::Lagged(_)) => {{}} {empty_arm} }} }} }}"
        )
    };
    assert!(
        default_loops(&src(
            "Err(TryRecvError::Empty) => break, Err(TryRecvError::Closed) => break,"
        ))
        .is_empty()
    );
    assert!(default_loops(&src("Err(_) => tokio::task::yield_now().await,")).is_empty());
    assert_eq!(default_loops(&src("Err(_) => {}")).len(), 1);
    let only_lagged = "async fn f(mut rx: broadcast::Receiver<V>) { loop { match rx.try_recv() { Ok(v) => return v, Err(TryRecvError::Lagged(_)) => continue, Err(e) => panic!(\"{e}\") } } }";
    assert!(default_loops(only_lagged).is_empty());
}

#[test]
fn what_a_poll_that_said_yes_or_a_lagging_receiver_does_not_excuse() {
    for spin in [
        // A `peek` that says yes took nothing, and says it again.
        "async fn f(s: &S) { loop { if s.peek(&mut b) { continue; } s.readable().await; } }",
        // A full queue's `Overflowed` is not a lagging receiver's.
        "async fn f(q: &Q) { loop { match q.try_push(x) { Ok(()) => break, Err(PushError::Overflowed(_)) => continue, Err(_) => return } } }",
    ] {
        assert_eq!(default_loops(spin).len(), 1, "{spin}");
    }
    // After an arm that takes only `Lagged`, a catch-all still takes `Ok`: it is not the
    // "nothing yet" side.
    let src = "async fn f(mut rx: broadcast::Receiver<E>) { loop { match rx.try_recv() { Err(TryRecvError::Lagged(n)) => continue, Err(TryRecvError::Empty) => break, _ => {} } } }";
    assert!(default_loops(src).is_empty(), "{src}");
}

#[test]
fn a_catch_all_after_arms_that_took_every_failure_has_a_message() {
    // streamling's failure drain: `Empty` awaits, `Disconnected` leaves, and the catch-all can
    // only take a message that was there (one that did not decode).
    let drain = |arms: &str| {
        format!(
            "async fn f(rx: Receiver<M>) {{ loop {{ beat(); match rx.try_recv().map(|m| m.into_enum()) {{ Ok(Ok(Msg::Batch)) => {{ n += 1; }} {arms} }} }} }}"
        )
    };
    for arms in [
        "Err(TryRecvError::Empty) => { yield_now().await; } Err(TryRecvError::Disconnected) => break, _ => {}",
        "Err(TryRecvError::Empty) | Err(TryRecvError::Closed) => { sleep(d).await; } _ => {}",
        "Err(_) => { yield_now().await; } _ => {}",
    ] {
        assert!(default_loops(&drain(arms)).is_empty(), "{arms}");
    }
    // A catch-all that may still take a closed channel's answer spins on it, and so does a
    // failure arm with a guard that can let `Empty` through.
    for arms in [
        "Err(TryRecvError::Empty) => { yield_now().await; } _ => {}",
        // An imported variant is not a binding that takes every error.
        "Err(Empty) => { yield_now().await; } _ => {}",
        "Err(TryRecvError::Empty) if slow => { yield_now().await; } Err(TryRecvError::Disconnected) => break, _ => {}",
    ] {
        assert_eq!(default_loops(&drain(arms)).len(), 1, "{arms}");
    }
}

#[test]
fn an_interrupted_call_is_retried_by_design() {
    // commonware's io_uring listener: EINTR is retried at once, `WouldBlock` awaits readiness.
    let accept = |interrupted_arm: &str| {
        format!(
            "async fn accept(l: &L) -> R {{ loop {{ match l.inner.try_accept() {{ Ok(a) => break a, {interrupted_arm} Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {{}} Err(_) => return Err(E) }} l.readable().await; }} }}"
        )
    };
    for arm in [
        "Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,",
        "Err(e) if ErrorKind::Interrupted == e.kind() => continue,",
        "Err(e) if matches!(e.kind(), ErrorKind::Interrupted) => continue,",
    ] {
        assert!(default_loops(&accept(arm)).is_empty(), "{arm}");
    }
    // Retrying `WouldBlock` at once is the spin.
    assert_eq!(
        default_loops(&accept(
            "Err(e) if e.kind() == ErrorKind::WouldBlock => continue,"
        ))
        .len(),
        1
    );
}

#[test]
fn a_decoder_over_a_cursor_reads_memory() {
    // casc-storage: skipping `offset` bytes of a BLTE stream decoded from a `Cursor`.
    let src = |init: &str| {
        format!(
            "async fn f(raw: Vec<u8>, mut offset: u64) {{ let cursor = Cursor::new(raw); let mut stream = {init}; while offset > 0 {{ let n = stream.read(&mut buf)?; if n == 0 {{ break; }} offset -= n as u64; }} }}"
        )
    };
    let found = |init: &str| {
        check_source("t.rs", &src(init), &Config::default())
            .into_iter()
            .map(|f| f.rule)
            .collect::<Vec<_>>()
    };
    assert!(found("blte::create_streaming_reader(cursor, None)?").is_empty());
    // Over a socket it blocks, in the loop and as a call.
    assert_eq!(
        found("BufReader::new(TcpStream::connect(addr)?)"),
        [Rule::UncancellableLoop, Rule::BlockingInAsync]
    );
}
