//! Fixture files with snapshots of the human and JSON renderings.

use std::path::Path;

use cargo_cancelkit::render::{Report, human, json};
use cargo_cancelkit::{Config, SourceFile, check_files};

fn run(name: &str, config: &Config) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    // Normalise line endings so snapshots do not depend on the checkout.
    let text = text.replace("\r\n", "\n");
    let file = SourceFile::new(&path, format!("tests/fixtures/{name}"), text);
    let findings = check_files(std::slice::from_ref(&file), config);
    let report = Report {
        files: vec![file],
        findings,
    };
    let rendered = human::render(&report, false);
    let diagnostics: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut d = json::diagnostic(f, report.file(&f.path), false);
            d.as_object_mut().map(|o| o.remove("rendered"));
            // The explanation is the rule's whole documentation; `cli.rs` checks it is there.
            d["code"]["explanation"] = serde_json::Value::Null;
            d
        })
        .collect();
    (
        rendered,
        serde_json::to_string_pretty(&diagnostics).expect("json"),
    )
}

macro_rules! fixture {
    ($test:ident, $file:literal, $config:expr) => {
        #[test]
        fn $test() {
            let (human, json) = run($file, &$config);
            insta::assert_snapshot!(concat!(stringify!($test), "_human"), human);
            insta::assert_snapshot!(concat!(stringify!($test), "_json"), json);
        }
    };
}

fixture!(uncancellable, "uncancellable.rs", Config::default());
fixture!(
    uncancellable_strict,
    "uncancellable.rs",
    Config {
        strict: true,
        ..Config::default()
    }
);
fixture!(swallowed, "swallowed.rs", Config::default());
fixture!(suppressed, "suppressed.rs", Config::default());
fixture!(parse_error, "parse_error.rs", Config::default());
fixture!(unobserved_token, "unobserved_token.rs", {
    let mut c = Config::default();
    c.levels.insert(
        cargo_cancelkit::Rule::UnobservedToken,
        cargo_cancelkit::Level::Warn,
    );
    c
});
fixture!(
    cancel_unsafe_select,
    "cancel_unsafe_select.rs",
    Config::default()
);
fixture!(blocking_in_async, "blocking_in_async.rs", Config::default());
fixture!(
    unshielded_cleanup,
    "unshielded_cleanup.rs",
    Config::default()
);
