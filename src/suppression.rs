//! Suppression comments: findings on a line are silenced by
//!
//! - `# awaitify: ignore` (every code) or `# awaitify: ignore[AW101, AW102]`, where, as in
//!   `--select`, a code prefix (`AW1`) or a recipe id (`time-sleep`) works too;
//! - `# noqa` (every code) or `# noqa: ASYNC251` with the equivalent ruff / flake8-async code
//!   of a recipe (a user who silenced ruff's ASYNC251 on a line meant it), or its own code;
//!
//! and a whole file by a `# awaitify: skip-file` comment on a line of its own.

use crate::parse::TextSize;
use crate::parse::{Parsed, Ranged, TokenKind};
use crate::recipe::{Diagnostic, RecipeMeta};

/// What one comment silences.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Silences {
    All,
    /// `# noqa: X`: exact codes (a recipe's own or its ruff equivalent).
    Codes(Vec<String>),
    /// `# awaitify: ignore[X]`: whatever `--select` accepts (codes, prefixes, recipe ids).
    Selectors(Vec<String>),
}

fn parse_comment(comment: &str) -> Option<Silences> {
    let body = comment.trim_start_matches('#').trim();
    let codes = |list: &str| -> Silences {
        Silences::Codes(
            list.split([',', ' '])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_ascii_uppercase)
                .collect(),
        )
    };
    if let Some(rest) = body.strip_prefix("awaitify:") {
        let rest = rest.trim();
        let rest = rest.strip_prefix("ignore")?;
        return Some(
            match rest
                .trim()
                .strip_prefix('[')
                .and_then(|r| r.split(']').next())
            {
                Some(list) => Silences::Selectors(
                    list.split([',', ' '])
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
                None => Silences::All,
            },
        );
    }
    // `# noqa`, `# noqa: X`, also after other text (`# type: ignore  # noqa: X`).
    let at = body.to_ascii_lowercase().find("noqa")?;
    let rest = &body[at + 4..];
    match rest.trim_start().strip_prefix(':') {
        Some(list) => Some(codes(list.split('#').next().unwrap_or(""))),
        None => Some(Silences::All),
    }
}

/// Whether `source` may hold a suppression comment: `awaitify` or `noqa` (in any case)
/// somewhere in it (a byte test before its comments are read; `q` is a rare letter).
fn may_suppress(source: &str) -> bool {
    let bytes = source.as_bytes();
    crate::recipe::contains(source, "awaitify")
        || memchr::memchr2_iter(b'q', b'Q', bytes).any(|at| {
            at >= 2
                && bytes
                    .get(at - 2..at + 2)
                    .is_some_and(|word| word.eq_ignore_ascii_case(b"noqa"))
        })
}

/// Whether the file opts out entirely.
pub fn skips_file(parsed: &Parsed, source: &str) -> bool {
    if !crate::recipe::contains(source, "awaitify: skip-file") {
        return false;
    }
    parsed
        .tokens()
        .iter()
        .filter(|t| t.kind() == TokenKind::Comment)
        .any(|t| {
            let line_start = source[..usize::from(t.start())]
                .rfind(['\n', '\r'])
                .map_or(0, |i| i + 1);
            let alone = source[line_start..usize::from(t.start())].trim().is_empty();
            alone && source[t.range()].trim_start_matches('#').trim() == "awaitify: skip-file"
        })
}

/// The suppression comments of a file, by the line each is on.
#[derive(Debug, Default)]
pub struct Suppressions {
    /// Each comment's line, from its start to the next line's, in order.
    by_line: Vec<(std::ops::Range<usize>, Silences)>,
}

impl Suppressions {
    pub fn new(parsed: &Parsed, source: &str) -> Self {
        // Most files have no suppression comment: only a byte test then.
        if !may_suppress(source) {
            return Suppressions::default();
        }
        let bytes = source.as_bytes();
        let by_line = parsed
            .tokens()
            .iter()
            .filter(|t| t.kind() == TokenKind::Comment)
            .filter_map(|t| {
                let silences = parse_comment(&source[t.range()])?;
                let line_start = usize::from(crate::source::start_of_line(source, t.start()));
                // (A line ends at `\n`, `\r\n` or a lone `\r`, as in a line index; a `\` at
                // the end of a comment continues no line.)
                let end = usize::from(t.end());
                let next_line = match memchr::memchr2(b'\n', b'\r', &bytes[end..]) {
                    Some(i) if bytes[end + i..].starts_with(b"\r\n") => end + i + 2,
                    Some(i) => end + i + 1,
                    None => usize::MAX,
                };
                Some((line_start..next_line, silences))
            })
            .collect();
        Suppressions { by_line }
    }

    /// Whether a finding of `recipe` at `offset` is silenced by a comment on its line.
    pub fn silences(&self, recipe: &RecipeMeta, offset: TextSize) -> bool {
        let offset = usize::from(offset);
        // (One comment a line at most: the last line starting at or before the offset.)
        let after = self
            .by_line
            .partition_point(|(line, _)| line.start <= offset);
        let Some((line, silences)) = after.checked_sub(1).map(|i| &self.by_line[i]) else {
            return false;
        };
        line.contains(&offset)
            && match silences {
                Silences::All => true,
                Silences::Codes(codes) => codes.iter().any(|code| {
                    code == recipe.code || recipe.ruff_equivalent == Some(code.as_str())
                }),
                Silences::Selectors(selectors) => selectors.iter().any(|selector| {
                    crate::selection::matches(selector, recipe)
                        || recipe.ruff_equivalent == Some(selector.to_ascii_uppercase().as_str())
                }),
            }
    }
}

/// Drops the findings that a comment on their line silences.
pub fn filter(diagnostics: &mut Vec<Diagnostic>, parsed: &Parsed, source: &str) {
    if diagnostics.is_empty() {
        return;
    }
    let suppressions = Suppressions::new(parsed, source);
    diagnostics.retain(|d| !suppressions.silences(d.recipe, d.range.start()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_test_passes_every_comment_that_suppresses() {
        // Every text whose comment suppresses passes the byte test.
        for comment in [
            "# noqa",
            "# NoQa: AW101",
            "# type: ignore  # NOQA",
            "#noqa",
            "# awaitify: ignore[AW1]",
            "# awaitify: skip-file",
        ] {
            assert!(parse_comment(comment).is_some() || comment.contains("skip-file"));
            assert!(may_suppress(&format!("x = 1  {comment}\n")), "{comment}");
        }
        for text in [
            "x = 1  # no qa\n",
            "q = 1\n",
            "",
            "aq",
            "import queue  # not a noq\n",
        ] {
            assert!(!may_suppress(text), "{text}");
        }
    }

    #[test]
    fn a_comment_silences_its_own_line_whatever_ends_it() {
        let recipe = &crate::codemods::time_sleep::META;
        for eol in ["\n", "\r\n", "\r"] {
            let source = [
                "a = 1",
                "b = 2  # noqa",
                "c = 3",
                "d = 4  # noqa: AW999",
                "e = 5",
            ]
            .join(eol);
            let parsed = crate::parse::parse_module(&source).unwrap();
            let suppressions = Suppressions::new(&parsed, &source);
            for (line, silenced) in [(0, false), (1, true), (2, false), (3, false), (4, false)] {
                let start = source
                    .split(eol)
                    .take(line)
                    .map(|l| l.len() + eol.len())
                    .sum::<usize>();
                let text_len = source.split(eol).nth(line).unwrap().len();
                for offset in [start, start + text_len] {
                    let at = TextSize::try_from(offset).unwrap();
                    assert_eq!(
                        suppressions.silences(recipe, at),
                        silenced,
                        "line {line}, offset {offset}, {eol:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn parses_suppression_comments() {
        assert_eq!(parse_comment("# noqa"), Some(Silences::All));
        assert_eq!(
            parse_comment("# noqa: ASYNC251"),
            Some(Silences::Codes(vec!["ASYNC251".into()]))
        );
        assert_eq!(
            parse_comment("# awaitify: ignore[AW101, aw102]"),
            Some(Silences::Selectors(vec!["AW101".into(), "aw102".into()]))
        );
        assert_eq!(parse_comment("# awaitify: ignore"), Some(Silences::All));
        assert_eq!(
            parse_comment("# type: ignore  # noqa: E501,ASYNC251"),
            Some(Silences::Codes(vec!["E501".into(), "ASYNC251".into()]))
        );
        assert_eq!(parse_comment("# just a comment"), None);
    }
}
