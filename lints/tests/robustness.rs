//! S35: never a panic on any input. Proptest-generated programs (structured and mutated), a
//! regression corpus, and a smoke run over real crates from cargo's registry.

use std::path::{Path, PathBuf};

use cargo_cancelkit::{Config, Rule, SourceFile, check_file_unguarded, check_files};
use proptest::prelude::*;

fn configs() -> [Config; 2] {
    [
        Config::default(),
        Config {
            strict: true,
            ..Config::default()
        },
    ]
}

/// Random statement lists built from the constructs the analysis understands.
fn stmts() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("work();".to_string()),
        Just("a().await;".to_string()),
        Just("continue;".to_string()),
        Just("break;".to_string()),
        Just("return;".to_string()),
        Just("continue 'outer;".to_string()),
        Just("break 'outer;".to_string()),
        Just("cancelkit::checkpoint()?;".to_string()),
        Just("let Some(x) = q.pop() else { continue };".to_string()),
        Just("let Ok(x) = rx.try_recv() else { break };".to_string()),
        Just("tokio::select! { _ = a() => {} }".to_string()),
        Just("panic!();".to_string()),
        Just("helper();".to_string()),
        Just("let _ = cancelkit::sleep(d).await;".to_string()),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let block = prop::collection::vec(inner, 0..4).prop_map(|v| v.join(" "));
        prop_oneof![
            (block.clone(), block.clone())
                .prop_map(|(a, b)| format!("if c() {{ {a} }} else {{ {b} }}")),
            block.clone().prop_map(|a| format!("if c() {{ {a} }}")),
            block.clone().prop_map(|a| format!("loop {{ {a} }}")),
            block.clone().prop_map(|a| format!("while c() {{ {a} }}")),
            block
                .clone()
                .prop_map(|a| format!("while let Some(x) = it.next() {{ {a} }}")),
            block.clone().prop_map(|a| format!("for x in v {{ {a} }}")),
            (block.clone(), block.clone()).prop_map(|(a, b)| format!(
                "match x {{ A => {{ {a} }} _ if g() => {{ {b} }} _ => {{}} }}"
            )),
            block.clone().prop_map(|a| format!("'blk: {{ {a} }}")),
            block
                .clone()
                .prop_map(|a| format!("spawn(async move {{ {a} }});")),
            block.clone().prop_map(|a| format!("let f = || {{ {a} }};")),
            block.prop_map(|a| format!("if let Err(_) = checkpoint() {{ {a} }}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("tests/robustness.proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    /// Structured programs: no panic, and a check at the top of the loop always silences it.
    #[test]
    fn generated_programs(body in stmts()) {
        let helper = "fn helper() { if c() { cancelkit::checkpoint().ok(); } }\n";
        for config in configs() {
            let src = format!("{helper}async fn f() -> R {{\n    'outer: loop {{\n        {body}\n    }}\n}}\n");
            check_file_unguarded(&SourceFile::new("g.rs", "g.rs", src), &config);
            let checked = format!("{helper}async fn f() -> R {{\n    'outer: loop {{\n        cancelkit::checkpoint()?;\n        {body}\n    }}\n}}\n");
            let findings = check_file_unguarded(&SourceFile::new("g.rs", "g.rs", checked), &config);
            prop_assert!(
                !findings.iter().any(|f| f.rule == Rule::UncancellableLoop && f.primary.span.line_start == 3),
                "{findings:#?}"
            );
        }
    }

    /// Mutated fixtures (deletions, insertions at char boundaries): arbitrary, mostly broken,
    /// source text.
    #[test]
    fn mutated_sources(
        which in 0usize..4,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..8, "[{}()\\[\\];.'\"a-z #!/?&|<>=\u{e9}\u{feff}\r\n]{0,6}"), 1..6),
    ) {
        let mut text = fixture_texts()[which].clone();
        for (at, del, ins) in edits {
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) { start -= 1; }
            let mut end = (start + del).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(start..end.max(start), &ins);
        }
        for config in configs() {
            check_file_unguarded(&SourceFile::new("m.rs", "m.rs", text.clone()), &config);
        }
    }
}

fn fixture_texts() -> Vec<String> {
    [
        "uncancellable.rs",
        "swallowed.rs",
        "suppressed.rs",
        "parse_error.rs",
    ]
    .iter()
    .map(|n| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(n),
        )
        .expect("fixture")
    })
    .collect()
}

/// Every file of the regression corpus is checked without a panic.
#[test]
fn regression_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for config in configs() {
            check_file_unguarded(
                &SourceFile::new(&path, path.display().to_string(), text.clone()),
                &config,
            );
        }
        n += 1;
    }
    assert!(n >= 8, "corpus too small: {n}");
}

/// A 100,000-line generated file (a table, a long match, many small async fns with loops)
/// gets a clean pass or findings, in bounded time, in both modes.
#[test]
fn a_generated_file_of_100_000_lines() {
    let mut text = String::from("pub static TABLE: [u32; 30000] = [\n");
    for i in 0..30_000 {
        text.push_str(&format!("    {i},\n"));
    }
    text.push_str("];\n\npub fn lookup(x: u32) -> u32 {\n    match x {\n");
    for i in 0..30_000 {
        text.push_str(&format!("        {i} => {},\n", i * 7));
    }
    text.push_str("        _ => 0,\n    }\n}\n");
    let mut i = 0;
    while text.lines().count() < 100_000 {
        text.push_str(&format!(
            "\npub async fn f{i}(flag: &AtomicBool, rx: &mut Rx) {{\n    loop {{\n        if flag.load(SeqCst) {{\n            break;\n        }}\n        rx.recv().await;\n    }}\n}}\n"
        ));
        i += 1;
    }
    let file = SourceFile::new("generated.rs", "generated.rs", text);
    assert!(file.line_count() >= 100_000);
    for config in configs() {
        let started = std::time::Instant::now();
        let findings = check_files(std::slice::from_ref(&file), &config);
        // Generous: a debug build on a loaded machine; the release build takes well under 1 s.
        assert!(started.elapsed() < std::time::Duration::from_secs(120));
        assert!(
            findings.iter().all(|f| f.rule == Rule::UncancellableLoop),
            "{findings:#?}"
        );
    }
}

/// Macro-heavy code: nested `macro_rules!`, `select!` with many arms, deeply nested invocations.
#[test]
fn macro_heavy_files() {
    let mut text = String::from("macro_rules! nest { ($($t:tt)*) => { $($t)* }; }\n");
    text.push_str("async fn f(rx: &mut Rx) {\n    loop {\n        tokio::select! {\n");
    for i in 0..500 {
        text.push_str(&format!("            m{i} = rx.recv() => work(m{i}),\n"));
    }
    text.push_str("        }\n    }\n}\nasync fn g() { loop { ");
    text.push_str(&"nest!(".repeat(200));
    text.push_str("work()");
    text.push_str(&")".repeat(200));
    text.push_str("; } }\n");
    for config in configs() {
        let findings =
            check_file_unguarded(&SourceFile::new("m.rs", "m.rs", text.clone()), &config);
        // `g` has no await at any depth; `f` awaits in `select!`, which strict mode does not
        // count (its futures are not cancellation-aware).
        let lines: Vec<usize> = findings.iter().map(|f| f.primary.span.line_start).collect();
        assert_eq!(
            lines,
            if config.strict {
                vec![3, 508]
            } else {
                vec![508]
            }
        );
    }
}

/// The newest version directory of each crate in cargo's registry cache.
fn registry_crates(names: &[&str]) -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry/src")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let Ok(indexes) = std::fs::read_dir(&src) else {
        return out;
    };
    let dirs: Vec<PathBuf> = indexes
        .flatten()
        .flat_map(|i| {
            std::fs::read_dir(i.path())
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
        })
        .collect();
    for name in names {
        let prefix = format!("{name}-");
        let mut versions: Vec<&PathBuf> = dirs
            .iter()
            .filter(|d| {
                d.file_name().and_then(|f| f.to_str()).is_some_and(|f| {
                    f.strip_prefix(&prefix)
                        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                })
            })
            .collect();
        versions.sort();
        if let Some(v) = versions.last() {
            out.push((*v).clone());
        }
    }
    out
}

/// Smoke test over real crates the workspace depends on: no panic (a caught panic would show as
/// an "internal error" finding), and every finding points inside its file.
#[test]
fn real_crates_from_the_registry() {
    let crates = registry_crates(&["tokio", "hyper", "axum", "reqwest"]);
    if crates.is_empty() {
        println!(
            "note: no tokio/hyper/axum/reqwest sources in cargo's registry; smoke test skipped"
        );
        return;
    }
    for dir in crates {
        let mut paths = Vec::new();
        cargo_cancelkit::cli::collect_rs(&dir, &mut paths).expect("registry dir");
        let files: Vec<SourceFile> = paths
            .iter()
            .filter_map(|p| {
                Some(SourceFile::new(
                    p,
                    p.display().to_string(),
                    std::fs::read_to_string(p).ok()?,
                ))
            })
            .collect();
        for config in configs() {
            let findings = check_files(&files, &config);
            for f in &findings {
                assert!(
                    !f.message.contains("internal error"),
                    "{}: {f:#?}",
                    dir.display()
                );
                let file = files
                    .iter()
                    .find(|s| s.path == f.path)
                    .expect("finding in a checked file");
                assert!(f.primary.span.byte_end <= file.text.len());
            }
            println!(
                "{}: {} files, {} findings (strict: {})",
                dir.display(),
                files.len(),
                findings.len(),
                config.strict
            );
        }
    }
}

/// Nesting deeper than any real code: a diagnostic at the level that is too deep, not a stack
/// overflow that aborts the whole run. Brackets in comments, strings and character literals
/// do not count.
#[test]
fn nesting_deeper_than_real_code_is_a_diagnostic() {
    let deep = format!(
        "async fn f() {{ loop {{ let x = {}g(){}; }} }}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    for config in configs() {
        let findings =
            check_file_unguarded(&SourceFile::new("d.rs", "d.rs", deep.clone()), &config);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, Rule::ParseError);
        assert!(
            findings[0].message.contains("levels deep"),
            "{}",
            findings[0].message
        );
    }
    // Just under the limit, the parser and the walk fit in the 16 MB stack the command line
    // gives its threads, for each way of nesting, in a debug build too.
    let n = 250;
    let cases = [
        ("parentheses", "(", ")"),
        ("blocks", "{ work(); ", "}"),
        ("async blocks", "async { work(); ", "}.await;"),
        ("closures", "(|| ", ")()"),
        ("matches", "match g() { Some(x) => ", ", None => {} }"),
        ("loops", "loop { if done() { break } ", "}"),
        ("calls", "f(", ")"),
        ("arrays", "[", "]"),
    ];
    let deep_checks = move || {
        for (what, open, close) in cases {
            let text = format!(
                "async fn f() {{ loop {{ let x = {}g(){}; x.await; }} }}\n",
                open.repeat(n),
                close.repeat(n)
            );
            for config in configs() {
                let findings =
                    check_file_unguarded(&SourceFile::new("n.rs", "n.rs", text.clone()), &config);
                assert!(
                    findings
                        .iter()
                        .all(|f| f.rule != Rule::ParseError || !f.message.contains("deep")),
                    "{what}: {findings:#?}"
                );
            }
        }
    };
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(deep_checks)
        .expect("a test thread")
        .join()
        .expect("no panic");
    // The same brackets where they do not nest anything: the file is checked.
    let opens = "(".repeat(1_000);
    let quiet = format!(
        "// {opens}\n/* {opens} /* {opens} */ */\nconst S: &str = \"{opens}\\\"{opens}\";\nconst C: [char; 4] = ['(', '\\'', '\\u{{28}}', '\"'];\nconst R: &str = r#\"a \"quote\" {opens}\"#;\nconst B: &[u8] = br\"{opens}\";\nfn l<'a>(x: &'a str) -> &'static str {{ x }}\nasync fn f() {{ loop {{ work(); }} }}\n"
    );
    let findings =
        check_file_unguarded(&SourceFile::new("q.rs", "q.rs", quiet), &Config::default());
    let rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::UncancellableLoop], "{findings:#?}");
}
