//! Fixes: span edits with an applicability, and how a set of them is applied to a source text.

use serde::Serialize;

use crate::parse::{Ranged, TextRange, TextSize};

/// One replacement of a byte range (empty range: an insertion; empty content: a deletion).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: TextRange,
    pub content: Box<str>,
}

impl Edit {
    pub fn replacement(content: impl Into<Box<str>>, range: TextRange) -> Self {
        Edit {
            range,
            content: content.into(),
        }
    }

    pub fn insertion(content: impl Into<Box<str>>, at: TextSize) -> Self {
        Edit {
            range: TextRange::empty(at),
            content: content.into(),
        }
    }

    pub fn deletion(range: TextRange) -> Self {
        Edit {
            range,
            content: "".into(),
        }
    }

    pub fn is_insertion(&self) -> bool {
        self.range.is_empty()
    }

    /// Whether the edit inserts one whole line (`import asyncio` and its line break).
    fn is_one_line(&self) -> bool {
        self.content.ends_with(['\n', '\r']) && self.content.lines().count() == 1
    }

    /// Whether the two edits cannot both be applied. An insertion conflicts with an edit that
    /// touches its position (the order of the two texts would be ambiguous).
    pub fn conflicts_with(&self, other: &Edit) -> bool {
        if self == other {
            return false;
        }
        let (a, b) = (self.range, other.range);
        // Different lines inserted at one offset (the imports of two fixes) keep both, in the
        // order of their text. A block of lines (a helper class after an import) waits for the
        // next pass, which places it after what this pass added.
        if a.is_empty() && a == b && self.is_one_line() && other.is_one_line() {
            return false;
        }
        if a.is_empty() || b.is_empty() {
            a.start() <= b.end() && b.start() <= a.end()
        } else {
            a.start() < b.end() && b.start() < a.end()
        }
    }
}

impl Ord for Edit {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.range.start(), self.range.end(), &self.content).cmp(&(
            other.range.start(),
            other.range.end(),
            &other.content,
        ))
    }
}

impl PartialOrd for Edit {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ranged for Edit {
    fn range(&self) -> TextRange {
        self.range
    }
}

/// How sure a fix is to keep the program's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown as a suggestion, never applied.
    DisplayOnly,
    /// May change behaviour; applied only with `--unsafe-fixes`.
    Unsafe,
    /// Keeps behaviour; applied by `awaitify fix --write`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// A set of edits that together make one finding go away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// Shared, so that the findings of one project conversion (thousands of edits in a big
    /// module) hold one copy.
    edits: std::sync::Arc<[Edit]>,
    pub applicability: Applicability,
    /// Other files the same fix edits (a phase 2 conversion): it applies to all or none.
    pub other_files: Vec<std::path::PathBuf>,
}

impl Fix {
    pub fn new(mut edits: Vec<Edit>, applicability: Applicability) -> Self {
        edits.sort();
        edits.dedup();
        Fix {
            edits: edits.into(),
            applicability,
            other_files: Vec::new(),
        }
    }

    pub fn safe(edits: Vec<Edit>) -> Self {
        Fix::new(edits, Applicability::Safe)
    }

    pub fn unsafe_(edits: Vec<Edit>) -> Self {
        Fix::new(edits, Applicability::Unsafe)
    }

    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    pub fn first_offset(&self) -> TextSize {
        self.edits
            .first()
            .map_or(TextSize::new(0), |edit| edit.range.start())
    }
}

/// Combines the edits of one fix whose pieces touch: insertions at the same offset are joined
/// in the order given (so an outer `await (` comes before an inner one), and insertions at the
/// start or end of a replacement join it. `None` when two replacements overlap.
pub fn merge_edits(edits: Vec<Edit>) -> Option<Vec<Edit>> {
    let mut indexed: Vec<(usize, Edit)> = edits.into_iter().enumerate().collect();
    // By position; at one offset insertions before a replacement starting there, then by the
    // order the edits were made.
    indexed.sort_by_key(|(i, e)| (e.range.start(), !e.is_insertion(), e.range.end(), *i));
    let mut out: Vec<Edit> = Vec::new();
    for (_, edit) in indexed {
        let Some(last) = out.last_mut() else {
            out.push(edit);
            continue;
        };
        if edit.range.start() < last.range.end() {
            return None;
        }
        let touches =
            edit.range.start() == last.range.end() && (edit.is_insertion() || last.is_insertion());
        if touches {
            let content = format!("{}{}", last.content, edit.content);
            *last = Edit::replacement(
                content,
                TextRange::new(last.range.start(), edit.range.end()),
            );
        } else {
            out.push(edit);
        }
    }
    Some(out)
}

/// The result of applying a batch of fixes.
#[derive(Debug)]
pub struct Applied {
    pub text: String,
    /// Indices (into the given list) of the fixes that were applied.
    pub fixes: Vec<usize>,
}

/// Applies as many of `fixes` as can be applied together: in order of position, skipping a fix
/// that conflicts with one already taken (it gets the next pass of the fix loop). An edit that
/// several fixes share (an added import) is applied once.
pub fn apply_fixes(text: &str, fixes: &[&Fix]) -> Applied {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    order.sort_by_key(|&i| (fixes[i].first_offset(), i));

    // The edits taken so far never conflict with each other, so in their order their ends
    // never decrease either: the ones an edit may conflict with are found from the last one
    // starting at or before its end, going back while they end at or after its start. Many
    // fixes in one file cost n log n, not n².
    let mut taken: std::collections::BTreeSet<&Edit> = std::collections::BTreeSet::new();
    let conflicts_with_taken = |taken: &std::collections::BTreeSet<&Edit>, edit: &Edit| {
        let after_end = u32::from(edit.range.end())
            .checked_add(1)
            .map(|next| Edit::insertion("", TextSize::new(next)));
        let candidates: Box<dyn Iterator<Item = &&Edit>> = match &after_end {
            Some(probe) => Box::new(taken.range::<Edit, _>(..probe).rev()),
            None => Box::new(taken.iter().rev()),
        };
        for other in candidates {
            if other.range.end() < edit.range.start() {
                return false;
            }
            if edit.conflicts_with(other) {
                return true;
            }
        }
        false
    };
    let mut applied = Vec::new();
    for i in order {
        let fix = fixes[i];
        if fix
            .edits()
            .iter()
            .any(|edit| conflicts_with_taken(&taken, edit))
        {
            continue;
        }
        taken.extend(fix.edits());
        applied.push(i);
    }

    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0usize;
    for edit in taken {
        let start = usize::from(edit.range.start());
        out.push_str(&text[last..start]);
        out.push_str(&edit.content);
        last = usize::from(edit.range.end());
    }
    out.push_str(&text[last..]);
    applied.sort_unstable();
    Applied {
        text: out,
        fixes: applied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u32, end: u32) -> TextRange {
        TextRange::new(TextSize::new(start), TextSize::new(end))
    }

    #[test]
    fn shared_edits_apply_once_and_overlaps_wait() {
        let text = "abcdefghij";
        let import = Edit::insertion("X", TextSize::new(0));
        let a = Fix::safe(vec![import.clone(), Edit::replacement("C", range(2, 3))]);
        let b = Fix::safe(vec![import.clone(), Edit::replacement("F", range(5, 6))]);
        let c = Fix::safe(vec![Edit::replacement("??", range(5, 7))]);
        let applied = apply_fixes(text, &[&a, &b, &c]);
        assert_eq!(applied.text, "XabCdeFghij");
        assert_eq!(applied.fixes, vec![0, 1]);
    }

    #[test]
    fn merges_nested_awaits_into_one_edit() {
        // `conn.execute(q).fetchone()[0]`: outer `(await `, inner `(await `, callee rename.
        let edits = vec![
            Edit::insertion("(await ", TextSize::new(0)),
            Edit::insertion(")", TextSize::new(25)),
            Edit::insertion("(await ", TextSize::new(0)),
            Edit::insertion(")", TextSize::new(15)),
            Edit::replacement("aio", range(0, 4)),
        ];
        let merged = merge_edits(edits).unwrap();
        assert_eq!(
            merged[0],
            Edit::replacement("(await (await aio", range(0, 4))
        );
        assert_eq!(merged.len(), 3);
        assert!(merge_edits(vec![
            Edit::replacement("a", range(0, 4)),
            Edit::replacement("b", range(2, 5))
        ])
        .is_none());
    }

    #[test]
    fn insertion_touching_a_replacement_conflicts() {
        let a = Edit::insertion("x", TextSize::new(3));
        assert!(a.conflicts_with(&Edit::replacement("y", range(3, 5))));
        assert!(a.conflicts_with(&Edit::replacement("y", range(1, 3))));
        assert!(!a.conflicts_with(&Edit::replacement("y", range(4, 5))));
        assert!(!a.conflicts_with(&a.clone()));
        assert!(a.conflicts_with(&Edit::insertion("y", TextSize::new(3))));
        let line = Edit::insertion("import x\n", TextSize::new(3));
        assert!(!line.conflicts_with(&Edit::insertion("import y\n", TextSize::new(3))));
        assert!(line.conflicts_with(&Edit::insertion(
            "import x\n\nclass A: ...\n",
            TextSize::new(3)
        )));
        assert!(!Edit::replacement("y", range(1, 3)).conflicts_with(&Edit::deletion(range(3, 4))));
    }
}
