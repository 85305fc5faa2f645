//! CLI tests: exit codes, configuration, `--fix`, output formats.

use std::path::Path;

use assert_cmd::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-cancelkit"));
    c.env_remove("CARGO_TERM_COLOR");
    // Each throwaway package builds in its own `target/`: packages with the same name in one
    // shared target directory (CI sets CARGO_TARGET_DIR) can reuse each other's builds.
    c.env_remove("CARGO_TARGET_DIR");
    c
}

/// A throwaway package with `src/lib.rs` and the given extra manifest text.
fn package(lib: &str, manifest_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("src")).expect("src");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!("[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n\n{manifest_extra}"),
    )
    .expect("manifest");
    std::fs::write(dir.path().join("src/lib.rs"), lib).expect("lib.rs");
    dir
}

/// A package that depends on a stand-in `cancelkit` (a path crate with the two checks, or
/// without `is_cancelled` when `broken`), so that `cargo check` is quick.
fn package_with_cancelkit(lib: &str, broken: bool) -> tempfile::TempDir {
    let p = package(lib, "[dependencies]\ncancelkit = { path = \"ck\" }\n");
    std::fs::create_dir_all(p.path().join("ck/src")).expect("ck");
    std::fs::write(
        p.path().join("ck/Cargo.toml"),
        "[package]\nname = \"cancelkit\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .expect("ck manifest");
    let api = if broken {
        "pub fn checkpoint() -> Result<(), ()> { Ok(()) }\n"
    } else {
        "pub fn checkpoint() -> Result<(), ()> { Ok(()) }\npub fn is_cancelled() -> bool { false }\n"
    };
    std::fs::write(p.path().join("ck/src/lib.rs"), api).expect("ck lib");
    p
}

const SPIN: &str = "pub async fn spin(f: &std::sync::atomic::AtomicBool) {\n    loop {\n        if f.load(std::sync::atomic::Ordering::Relaxed) {\n            break;\n        }\n    }\n}\n";
const CLEAN: &str =
    "pub async fn fine(rx: &mut tokio::Rx) {\n    loop {\n        rx.recv().await;\n    }\n}\n";

fn check(dir: &Path) -> Command {
    let mut c = bin();
    c.args([
        "cancelkit",
        "check",
        "--no-cargo-check",
        "--color",
        "never",
        "--manifest-path",
    ]);
    c.arg(dir.join("Cargo.toml"));
    c
}

#[test]
fn clean_package_exits_0() {
    let p = package(CLEAN, "");
    check(p.path()).assert().code(0);
}

#[test]
fn warnings_exit_0_and_deny_exits_1() {
    let p = package(SPIN, "");
    let out = check(p.path()).assert().code(0).get_output().stderr.clone();
    let stderr = String::from_utf8_lossy(&out);
    assert!(
        stderr.contains("warning[cancelkit::uncancellable_loop]"),
        "{stderr}"
    );
    assert!(stderr.contains("src/lib.rs:2:5"), "{stderr}");
    check(p.path())
        .args(["-D", "uncancellable_loop"])
        .assert()
        .code(1);
    check(p.path()).args(["-D", "warnings"]).assert().code(1);
}

#[test]
fn configuration_in_the_manifest() {
    let p = package(
        SPIN,
        "[package.metadata.cancelkit]\nlevels = { uncancellable_loop = \"deny\" }\n",
    );
    check(p.path()).assert().code(1);
    let p = package(
        SPIN,
        "[package.metadata.cancelkit]\nlevels = { uncancellable_loop = \"allow\" }\n",
    );
    check(p.path()).assert().code(0).stderr("");
    let p = package(
        SPIN,
        "[package.metadata.cancelkit]\nskip = [\"src/lib.rs\"]\n",
    );
    check(p.path()).assert().code(0).stderr("");
    let p = package(
        SPIN,
        "[workspace.metadata.cancelkit]\nobservers = [\"std::sync::atomic::AtomicBool::load\"]\n",
    );
    check(p.path()).assert().code(0).stderr("");
}

#[test]
fn unknown_rule_in_the_manifest_is_reported() {
    let p = package(
        CLEAN,
        "[package.metadata.cancelkit]\nlevels = { uncancelable_loop = \"deny\" }\n",
    );
    let out = check(p.path()).assert().code(0).get_output().stderr.clone();
    let stderr = String::from_utf8_lossy(&out);
    assert!(
        stderr.contains("unknown cancelkit rule `uncancelable_loop`"),
        "{stderr}"
    );
    assert!(stderr.contains("Cargo.toml"), "{stderr}");
}

#[test]
fn usage_and_io_errors_exit_2() {
    // An unknown flag is not one: it is dropped with a warning (see the rust-analyzer test).
    let p = package(CLEAN, "");
    let out = check(p.path())
        .arg("--no-such-flag")
        .assert()
        .code(0)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("`--no-such-flag`"));
    // A bad value for a known option still is.
    bin()
        .args(["cancelkit", "check", "--message-format", "xml"])
        .assert()
        .code(2);
    bin()
        .args(["cancelkit", "check", "/no/such/path.rs"])
        .assert()
        .code(2);
    bin()
        .args(["cancelkit", "check", "-D", "no_such_rule", "src"])
        .assert()
        .code(2);
    let out = bin()
        .args([
            "cancelkit",
            "check",
            "--no-cargo-check",
            "--manifest-path",
            "/no/such/Cargo.toml",
        ])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8_lossy(&out);
    // The whole cause chain is printed.
    assert!(
        stderr.contains("error: `cargo metadata` failed"),
        "{stderr}"
    );
    assert!(stderr.contains("caused by:"), "{stderr}");
}

#[test]
fn paths_mode_and_direct_invocation() {
    let p = package(SPIN, "");
    // As `cargo-cancelkit check` (without the `cancelkit` cargo passes), on a directory.
    bin()
        .args(["check", "--color", "never"])
        .arg(p.path().join("src"))
        .assert()
        .code(0);
    bin()
        .args(["check", "-D", "warnings"])
        .arg(p.path().join("src/lib.rs"))
        .assert()
        .code(1);
    // Without the subcommand (rust-analyzer's `check.command = "cancelkit"`).
    bin()
        .args(["cancelkit", "-D", "warnings"])
        .arg(p.path().join("src/lib.rs"))
        .assert()
        .code(1);
}

#[test]
fn json_output_is_cargo_compiler_messages() {
    let p = package_with_cancelkit(SPIN, false);
    let out = check(p.path())
        .args(["--message-format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    let m = &lines[0];
    assert_eq!(m["reason"], "compiler-message");
    assert!(m["package_id"].as_str().is_some_and(|s| s.contains("demo")));
    assert_eq!(m["target"]["name"], "demo");
    let d = &m["message"];
    assert_eq!(d["code"]["code"], "cancelkit::uncancellable_loop");
    // Like rustc's `--explain` text for an error code.
    assert!(
        d["code"]["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("## What it does") && e.contains("## Known problems"))
    );
    assert_eq!(d["spans"][0]["is_primary"], true);
    assert_eq!(d["spans"][0]["line_start"], 2);
    assert_eq!(d["spans"][0]["column_start"], 5);
    assert!(
        d["rendered"]
            .as_str()
            .is_some_and(|r| r.contains("warning[cancelkit::uncancellable_loop]"))
    );
    let fix = d["children"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| !c["spans"].as_array().is_none_or(Vec::is_empty))
        })
        .expect("a suggestion");
    assert_eq!(
        fix["spans"][0]["suggestion_applicability"],
        "MachineApplicable"
    );
    // The fix's span covers the warning's, so an editor offers it there.
    assert!(fix["spans"][0]["byte_start"].as_u64() <= d["spans"][0]["byte_start"].as_u64());
    assert!(fix["spans"][0]["byte_end"].as_u64() >= d["spans"][0]["byte_end"].as_u64());
}

/// The OASIS SARIF 2.1.0 schema (from the sarif-spec repository, as shipped by serde-sarif
/// 0.8.0).
const SARIF_SCHEMA: &str = include_str!("sarif-schema-2.1.0.json");

#[test]
fn sarif_output_is_valid_sarif_with_repository_paths_and_declared_units() {
    // A non-ASCII comment before the loop: offsets in bytes and in code points differ.
    let p = package_with_cancelkit(&format!("// é\n{SPIN}"), false);
    // The repository root is above the workspace root.
    let ws = p.path().join("ws");
    std::fs::create_dir(p.path().join(".git")).expect(".git");
    std::fs::create_dir(&ws).expect("ws");
    for f in ["Cargo.toml", "src", "ck"] {
        std::fs::rename(p.path().join(f), ws.join(f)).expect("move");
    }
    let out = check(&ws)
        .args(["--message-format", "sarif"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("sarif json");
    // The published schema's `language` pattern has a stray `]` that Rust's regex engines
    // reject; it constrains a property we do not emit, so it is repaired before use.
    let schema = SARIF_SCHEMA.replace(
        r"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let schema: serde_json::Value = serde_json::from_str(&schema).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    // The validator does reject what is not SARIF 2.1.0.
    assert!(!validator.is_valid(&serde_json::json!({ "version": "2.0.0", "runs": [] })));
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .expect("SRCROOT");
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "cancelkit::uncancellable_loop");
    let location = &r["locations"][0]["physicalLocation"];
    assert_eq!(location["region"]["startLine"], 3);
    assert_eq!(location["artifactLocation"]["uri"], "ws/src/lib.rs");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "SRCROOT");
    // The fix replaces from the loop head: 5 code points of comment and newline, then the
    // first line of SPIN; in bytes it would be one more.
    let offset =
        r["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]["charOffset"]
            .as_u64()
            .expect("charOffset");
    let text = std::fs::read_to_string(ws.join("src/lib.rs")).expect("lib.rs");
    let byte = text.find("loop {").expect("loop");
    assert_eq!(offset as usize, text[..byte].chars().count());
    assert_ne!(offset as usize, byte);
}

/// Runs `--fix` on a package (exit 0 expected) and returns what it printed on stderr.
fn fix(dir: &Path) -> String {
    let out = check(dir)
        .arg("--fix")
        .assert()
        .code(0)
        .get_output()
        .stderr
        .clone();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn fix_applies_machine_applicable_suggestions() {
    let p = package_with_cancelkit(SPIN, false);
    let stderr = fix(p.path());
    assert!(stderr.contains("applied 1 fix in 1 file"), "{stderr}");
    let fixed = std::fs::read_to_string(p.path().join("src/lib.rs")).expect("lib.rs");
    assert!(fixed.contains("    loop {\n        if ::cancelkit::is_cancelled() {\n            break;\n        }\n        if f.load"), "{fixed}");
    // Fixed: nothing left, even at deny.
    check(p.path()).args(["-D", "warnings"]).assert().code(0);
}

#[test]
fn fix_offers_nothing_machine_applicable_to_a_crate_without_cancelkit() {
    let p = package(SPIN, "");
    let stderr = fix(p.path());
    assert!(stderr.contains("applied 0 fixes in 0 files"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(p.path().join("src/lib.rs")).expect("lib.rs"),
        SPIN
    );
    // What it offers instead fits the crate, as maybe-incorrect: no `::cancelkit` in sight.
    assert!(!stderr.contains("::cancelkit::"), "{stderr}");
}

#[test]
fn fix_that_does_not_compile_is_reverted() {
    // The stand-in cancelkit has no `is_cancelled`: the fix cannot compile.
    let p = package_with_cancelkit(SPIN, true);
    let stderr = fix(p.path());
    assert!(
        stderr.contains("did not compile, so they were reverted"),
        "{stderr}"
    );
    assert!(stderr.contains("applied 0 fixes in 0 files"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(p.path().join("src/lib.rs")).expect("lib.rs"),
        SPIN
    );
}

#[test]
fn parse_errors_do_not_stop_the_rest() {
    let p = package(SPIN, "");
    std::fs::write(p.path().join("src/broken.rs"), "fn broken( {").expect("write");
    let out = check(p.path()).assert().code(0).get_output().stderr.clone();
    let stderr = String::from_utf8_lossy(&out);
    assert!(stderr.contains("cancelkit::parse_error"), "{stderr}");
    assert!(stderr.contains("cancelkit::uncancellable_loop"), "{stderr}");
}

#[test]
fn cargo_check_messages_are_passed_through_first() {
    let p = package(SPIN, "");
    let out = bin()
        .args([
            "cancelkit",
            "--workspace",
            "--message-format=json-diagnostic-rendered-ansi",
            "--all-targets",
            "--keep-going",
            "--offline",
            "--manifest-path",
        ])
        .arg(p.path().join("Cargo.toml"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    let reasons: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["reason"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(reasons.iter().any(|r| r == "compiler-artifact"), "{text}");
    assert_eq!(
        reasons.iter().filter(|r| *r == "compiler-message").count(),
        1,
        "{text}"
    );
    assert_eq!(
        reasons.last().map(String::as_str),
        Some("build-finished"),
        "{text}"
    );
}

/// What rust-analyzer runs when a test file is saved with `check.workspace = false`: a
/// package-id-spec for `-p`, a target selection, its JSON format. And a flag from a newer
/// cargo: dropped with a warning, never an exit 2 with nothing printed.
#[test]
fn rust_analyzer_flags_and_unknown_flags_keep_the_diagnostics_coming() {
    let p = package(SPIN, "");
    std::fs::create_dir(p.path().join("tests")).expect("tests");
    std::fs::write(p.path().join("tests/it.rs"), "#[test]\nfn it() {}\n").expect("it.rs");
    let spec = format!("path+file://{}#demo@0.1.0", p.path().display());
    let out = bin()
        .args([
            "cancelkit",
            "-p",
            &spec,
            "--test",
            "it",
            "--lib",
            "--frobnicate",
        ])
        .args([
            "--message-format=json-diagnostic-rendered-ansi",
            "--keep-going",
            "--offline",
            "--manifest-path",
        ])
        .arg(p.path().join("Cargo.toml"))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`--frobnicate`"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        stdout.contains("cancelkit::uncancellable_loop"),
        "the checker's finding is there: {stdout}"
    );
    assert!(stdout.contains("\"reason\":\"build-finished\""), "{stdout}");
}

#[test]
fn explain_prints_a_rules_documentation() {
    for rule in [
        "uncancellable_loop",
        "cancelkit::unobserved_token",
        "cancel_unsafe_select",
        "blocking_in_async",
        "unshielded_cleanup",
        "swallowed_cancellation",
    ] {
        let out = bin()
            .args(["cancelkit", "explain", rule])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).expect("utf-8");
        for section in [
            "## What it does",
            "## Why is this bad",
            "## Known problems",
            "## Example",
            "## Use instead",
        ] {
            assert!(text.contains(section), "{rule}: no {section}:\n{text}");
        }
        assert!(
            !text.contains("//!"),
            "{rule}: comment markers left in:\n{text}"
        );
    }
    let err = bin()
        .args(["cancelkit", "explain", "no_such_rule"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&err).contains("known rules"));
}
