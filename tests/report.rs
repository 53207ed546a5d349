//! The audit report on the example project: a snapshot of the Markdown, and its numbers
//! checked against `awaitify check` on the same paths.

use std::collections::BTreeMap;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_awaitify");

fn run(args: &[&str]) -> (i32, String) {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("awaitify runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("UTF-8 output"),
    )
}

#[test]
fn report_counts_equal_check_counts() {
    let (check_code, check) = run(&["check", "--isolated", "--output-format", "json", "examples"]);
    let findings: Vec<serde_json::Value> = serde_json::from_str(&check).unwrap();
    let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
    for finding in &findings {
        *by_code
            .entry(finding["code"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }

    let (report_code, report) = run(&[
        "report",
        "--isolated",
        "--output-format",
        "json",
        "examples",
    ]);
    let audit: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        audit["total_in_async_code"].as_u64().unwrap(),
        findings.len() as u64
    );
    assert!(!findings.is_empty(), "the example project has findings");
    for category in audit["summary"].as_array().unwrap() {
        let code = category["code"].as_str().unwrap();
        let expected = by_code.get(code).copied().unwrap_or(0);
        assert_eq!(
            category["in_async_code"].as_u64().unwrap(),
            expected,
            "{code}"
        );
        let split: u64 = ["safe", "unsafe", "manual"]
            .iter()
            .map(|k| category[k].as_u64().unwrap())
            .sum();
        assert_eq!(split, expected, "{code}: safe + unsafe + manual");
    }
    let listed: usize = audit["findings"]
        .as_object()
        .unwrap()
        .values()
        .map(|rows| rows.as_array().unwrap().len())
        .sum();
    assert_eq!(listed, findings.len());
    assert_eq!((check_code, report_code), (1, 1));
}

#[test]
fn report_on_the_example_project() {
    let (code, markdown) = run(&["report", "--isolated", "examples"]);
    assert_eq!(code, 1);
    let markdown = markdown.replace(env!("CARGO_PKG_VERSION"), "VERSION");
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("report__examples", markdown);
    });
}
