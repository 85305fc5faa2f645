//! Real bugs, reduced: each file under `tests/bugs/<rule>/` is a bug someone shipped and
//! reported (the source is cited at its top, and in `tests/bugs/SOURCES.md`). Each must be
//! caught by its rule, except the few listed in `KNOWN_MISSES` with the reason; those in
//! `STRICT_ONLY` are caught in strict mode alone.

use std::path::Path;

use cargo_cancelkit::{Config, Level, Rule, SourceFile, check_files};

/// Fixtures the rule does not catch yet, and why.
const KNOWN_MISSES: &[(&str, &str)] = &[
    (
        "godwoken_block_on_in_runtime.rs",
        "`block_on` sits in a sync function that async code calls: calls are not followed",
    ),
    (
        "nvlink_cert_monitor_iteration.rs",
        "a `for` loop over slow probes: `for` loops are bounded by what they iterate, and not looked at",
    ),
    (
        "asterdrive_archive_write_all_shutdown.rs",
        "the other branch is shutdown, which leaves the loop: a partial write then is not counted \
         as a loss (the rule looks for losses the loop goes on after)",
    ),
    (
        "outbox_dispatcher_poll_once.rs",
        "a `for` loop over a claimed batch: `for` loops are not looked at",
    ),
];

/// Fixtures only strict mode catches, and why the default mode does not.
const STRICT_ONLY: &[(&str, &str)] = &[
    (
        "defradb_p2p_sweep_sleep.rs",
        "the method never names the token field: outside strict mode that is no sign the token \
         stops this loop (most such loops on real code belong to another of the struct's tasks)",
    ),
    (
        "rsipstack_udp_serve_loop.rs",
        "the method never names the token field",
    ),
    (
        "spiceai_wait_for_component_ready.rs",
        "the method never names the token field",
    ),
    (
        "underway_reconnect_retry.rs",
        "the retry helper never names the token field (its caller does)",
    ),
    (
        "rbuilder_clean_orderpool_job.rs",
        "the spawned block does not capture the token: outside strict mode, whoever spawns a \
         block decides when it stops",
    ),
    (
        "queryflux_background_loops.rs",
        "the spawned block does not capture the shutdown receiver",
    ),
];

fn strict() -> Config {
    Config {
        strict: true,
        ..config()
    }
}

fn config() -> Config {
    let mut c = Config {
        // The `queryflux` bug's token is a `watch::Receiver<bool>`.
        token_types: vec!["watch::Receiver".into()],
        ..Config::default()
    };
    // Several blocking bugs are outside loops, where the rule is allowed by default, and
    // `unobserved_token` is allowed by default outside loops paced by a timer.
    c.outside_loops.insert(Rule::BlockingInAsync, Level::Warn);
    c.levels.insert(Rule::UnobservedToken, Level::Warn);
    c
}

#[test]
fn every_reported_bug_is_caught_by_its_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bugs");
    let mut per_rule = Vec::new();
    for rule in [
        Rule::UnobservedToken,
        Rule::CancelUnsafeSelect,
        Rule::BlockingInAsync,
        Rule::UnshieldedCleanup,
    ] {
        let dir = root.join(rule.name());
        let mut caught = 0;
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .expect("bug dir")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let text = std::fs::read_to_string(&path).expect("fixture");
            assert!(
                text.lines()
                    .next()
                    .is_some_and(|l| l.starts_with("// Source: ")),
                "{} must cite its source on its first line",
                path.display()
            );
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let file = SourceFile::new(&path, name, text);
            let hits_in = |config: &Config| {
                check_files(std::slice::from_ref(&file), config)
                    .iter()
                    .filter(|f| f.rule == rule)
                    .count()
            };
            let hits = hits_in(&config());
            if let Some((_, why)) = STRICT_ONLY.iter().find(|(n, _)| *n == name) {
                assert_eq!(hits, 0, "{name} is caught now ({why}): update STRICT_ONLY");
                assert!(
                    hits_in(&strict()) > 0,
                    "{name} is not caught in strict mode"
                );
                caught += 1;
                continue;
            }
            match KNOWN_MISSES.iter().find(|(n, _)| *n == name) {
                Some((_, why)) => {
                    assert_eq!(hits, 0, "{name} is caught now ({why}): update KNOWN_MISSES")
                }
                None => {
                    assert!(
                        hits > 0,
                        "{} is not caught by {}",
                        path.display(),
                        rule.name()
                    );
                    caught += 1;
                }
            }
        }
        per_rule.push((rule.name(), caught));
    }
    for (rule, caught) in per_rule {
        assert!(caught >= 5, "{rule}: only {caught} real bugs caught");
    }
}
