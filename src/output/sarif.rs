//! `sarif`: a SARIF 2.1.0 log of the findings, with every recipe as a rule.

use super::{Context, Emitter, Finding};

pub struct Sarif;

impl Emitter for Sarif {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], _context: &Context<'_>) {
        out.push_str(&serde_json::to_string_pretty(&sarif(findings)).expect("SARIF serializes"));
        out.push('\n');
    }
}

fn sarif(findings: &[Finding<'_>]) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<_> = crate::codemods::RECIPES
        .iter()
        .map(|recipe| {
            let meta = recipe.meta();
            json!({
                "id": meta.code,
                "name": meta.id,
                "shortDescription": { "text": meta.summary },
                "help": { "text": crate::recipe::render_doc(meta.doc) },
                "properties": { "phase": meta.phase, "fix": meta.fix.as_str() },
            })
        })
        .collect();
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.diagnostic.code(),
                "level": "error",
                "message": { "text": f.diagnostic.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path().replace('\\', "/") },
                        "region": {
                            "startLine": f.start.row,
                            "startColumn": f.start.column,
                            "endLine": f.end.row,
                            "endColumn": f.end.column,
                        }
                    }
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "awaitify", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results,
        }],
    })
}
