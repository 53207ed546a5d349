//! `json`: an array of findings, each with its fix's edits (ruff's JSON shape, with awaitify's
//! `recipe`, `phase`, `note` and `ruff_equivalent`).

use serde::Serialize;

use super::{Context, Emitter, Finding};
use crate::fix::Applicability;
use crate::source::Location;

pub struct Json;

impl Emitter for Json {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], _context: &Context<'_>) {
        let all: Vec<JsonFinding> = findings.iter().map(json_finding).collect();
        out.push_str(&serde_json::to_string_pretty(&all).expect("findings serialize"));
        out.push('\n');
    }
}

#[derive(Serialize)]
struct JsonEdit {
    content: String,
    location: Location,
    end_location: Location,
}

#[derive(Serialize)]
struct JsonFix {
    applicability: Applicability,
    edits: Vec<JsonEdit>,
    /// The other files the fix edits (its edits there are not listed): apply it with
    /// `awaitify fix`, never edit by edit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_files: Vec<String>,
}

#[derive(Serialize)]
struct JsonFinding {
    code: &'static str,
    recipe: &'static str,
    phase: u8,
    message: String,
    filename: String,
    location: Location,
    end_location: Location,
    fix: Option<JsonFix>,
    note: Option<String>,
    ruff_equivalent: Option<&'static str>,
}

fn json_finding(f: &Finding<'_>) -> JsonFinding {
    let d = f.diagnostic;
    let at = |offset| f.index.location(f.report.diagnostics_text(), offset);
    JsonFinding {
        code: d.code(),
        recipe: d.recipe.id,
        phase: d.recipe.phase,
        message: d.message.clone(),
        filename: f.path(),
        location: f.start,
        end_location: f.end,
        fix: d.fix.as_ref().map(|fix| JsonFix {
            applicability: fix.applicability,
            edits: fix
                .edits()
                .iter()
                .map(|e| JsonEdit {
                    content: e.content.to_string(),
                    location: at(e.range.start()),
                    end_location: at(e.range.end()),
                })
                .collect(),
            other_files: fix
                .other_files
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        }),
        note: d.note.clone(),
        ruff_equivalent: d.recipe.ruff_equivalent,
    }
}
