//! `gitlab`: a GitLab Code Quality report (ruff's shape): `check_name`, `description`,
//! `severity`, a `fingerprint` stable across runs, and the location.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use super::{Context, Emitter, Finding};

pub struct Gitlab;

impl Emitter for Gitlab {
    fn emit(&self, out: &mut String, findings: &[Finding<'_>], _context: &Context<'_>) {
        let mut seen: HashMap<u64, u64> = HashMap::new();
        let entries: Vec<_> = findings
            .iter()
            .map(|f| {
                let code = f.diagnostic.code();
                let path = f.path();
                // The same finding twice in a file (two equal lines) gets distinct
                // fingerprints: the hash of code, path and message, then of its occurrence.
                let base = hash(&(code, &path, &f.diagnostic.message));
                let occurrence = seen.entry(base).or_default();
                let fingerprint = hash(&(base, *occurrence));
                *occurrence += 1;
                Entry {
                    check_name: code,
                    description: format!("{code}: {}", f.diagnostic.message),
                    severity: "major",
                    fingerprint: format!("{fingerprint:016x}"),
                    location: EntryLocation {
                        path,
                        positions: Positions {
                            begin: Position {
                                line: f.start.row,
                                column: f.start.column,
                            },
                            end: Position {
                                line: f.end.row,
                                column: f.end.column,
                            },
                        },
                    },
                }
            })
            .collect();
        out.push_str(&serde_json::to_string_pretty(&entries).expect("GitLab report serializes"));
        out.push('\n');
    }
}

// Fields in the order ruff writes them.
#[derive(Serialize)]
struct Entry {
    check_name: &'static str,
    description: String,
    severity: &'static str,
    fingerprint: String,
    location: EntryLocation,
}

#[derive(Serialize)]
struct EntryLocation {
    path: String,
    positions: Positions,
}

#[derive(Serialize)]
struct Positions {
    begin: Position,
    end: Position,
}

#[derive(Serialize)]
struct Position {
    line: usize,
    column: usize,
}

/// A hash that is the same in every run (SipHash with fixed keys).
fn hash(value: &impl Hash) -> u64 {
    #[allow(deprecated)]
    let mut hasher = std::hash::SipHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}
