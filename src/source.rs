//! Source files: reading bytes into text, and the file's own style.
//!
//! A file is decoded as UTF-8 (a BOM is remembered and restored on write), binary files are
//! refused, and the line ending and indentation the file already uses are detected so that
//! inserted lines look like their neighbours.

use std::fmt;

use crate::parse::{Parsed, Ranged, TextRange, TextSize, TokenKind};

/// Why a file's bytes are not Python source text we can work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Binary,
    NotUtf8 {
        offset: usize,
    },
    /// A UTF-16 or UTF-32 byte order mark.
    Utf16 {
        name: &'static str,
    },
    /// Not UTF-8, and a coding cookie (`# -*- coding: latin-1 -*-`) names another encoding.
    Cookie {
        encoding: String,
        offset: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Binary => {
                f.write_str("binary file (contains NUL bytes), not Python source")
            }
            DecodeError::NotUtf8 { offset } => {
                write!(f, "not valid UTF-8 (invalid byte at offset {offset}); only UTF-8 source is supported")
            }
            DecodeError::Utf16 { name } => write!(
                f,
                "{name} text (it starts with a {name} byte order mark), not UTF-8; only UTF-8 source is supported: convert it (`iconv -f {name} -t UTF-8`)"
            ),
            DecodeError::Cookie { encoding, offset } => write!(
                f,
                "encoded as `{encoding}` (its coding cookie says so; invalid UTF-8 at offset {offset}); only UTF-8 source is supported: convert it (`iconv -f {encoding} -t UTF-8`) and change the cookie to `utf-8`"
            ),
        }
    }
}

/// The text of one Python file, without its BOM.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub text: String,
    pub bom: bool,
}

const BOM: &str = "\u{feff}";

impl SourceText {
    pub fn decode(bytes: Vec<u8>) -> Result<Self, DecodeError> {
        // UTF-32 first: its little-endian mark starts like UTF-16's.
        for (mark, name) in [
            (&b"\xff\xfe\0\0"[..], "UTF-32LE"),
            (&b"\0\0\xfe\xff"[..], "UTF-32BE"),
            (&b"\xff\xfe"[..], "UTF-16LE"),
            (&b"\xfe\xff"[..], "UTF-16BE"),
        ] {
            if bytes.starts_with(mark) {
                return Err(DecodeError::Utf16 { name });
            }
        }
        if bytes.contains(&0) {
            return Err(DecodeError::Binary);
        }
        let text = String::from_utf8(bytes).map_err(|error| {
            let offset = error.utf8_error().valid_up_to();
            match coding_cookie(error.as_bytes()) {
                Some(encoding)
                    if !matches!(
                        encoding.to_ascii_lowercase().replace('_', "-").as_str(),
                        "utf-8" | "utf8"
                    ) =>
                {
                    DecodeError::Cookie { encoding, offset }
                }
                _ => DecodeError::NotUtf8 { offset },
            }
        })?;
        Ok(match text.strip_prefix(BOM) {
            Some(rest) => SourceText {
                text: rest.to_owned(),
                bom: true,
            },
            None => SourceText { text, bom: false },
        })
    }

    /// The bytes to write back for `text`, restoring the BOM if the file had one.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() + 3);
        if self.bom {
            out.extend_from_slice(BOM.as_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out
    }
}

/// The encoding a coding cookie declares (PEP 263: `coding[:=]\s*([-\w.]+)` in a comment on
/// the first or second line).
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&b| b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let comment = line.trim_start();
        if !comment.starts_with('#') {
            continue;
        }
        let Some(at) = comment.find("coding") else {
            continue;
        };
        let rest = &comment[at + "coding".len()..];
        let Some(rest) = rest.strip_prefix([':', '=']) else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if !name.is_empty() {
            return Some(name);
        }
    }
    None
}

/// The conventions a file already follows, for the text that fixes insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stylist {
    pub line_ending: &'static str,
    pub indent: String,
}

impl Stylist {
    /// The line ending of the first line break, and the indentation of the first indented
    /// block of code (from the tokens, so that strings and odd whitespace do not count).
    pub fn detect(text: &str, parsed: &Parsed) -> Self {
        let line_ending = match text.find(['\n', '\r']) {
            Some(i) if text[i..].starts_with("\r\n") => "\r\n",
            Some(i) if text[i..].starts_with('\r') => "\r",
            _ => "\n",
        };
        let indent = parsed
            .tokens()
            .iter()
            .find(|token| token.kind() == TokenKind::Indent)
            .map(|token| &text[token.range()])
            .filter(|indent| !indent.is_empty() && indent.chars().all(|c| c == ' ' || c == '\t'))
            .unwrap_or("    ")
            .to_owned();
        Stylist {
            line_ending,
            indent,
        }
    }
}

/// The offset just past the line ending of the (logical) line containing `offset`: a line
/// ending in a `\` continuation goes on to the next.
pub fn end_of_line(source: &str, offset: TextSize) -> TextSize {
    let mut at = usize::from(offset);
    loop {
        let rest = &source[at..];
        let Some(i) = rest.find(['\n', '\r']) else {
            return TextSize::try_from(source.len()).unwrap_or_default();
        };
        let continued = rest[..i].trim_end_matches([' ', '\t']).ends_with('\\');
        at += if rest[i..].starts_with("\r\n") {
            i + 2
        } else {
            i + 1
        };
        if !continued {
            return TextSize::try_from(at).unwrap_or_default();
        }
    }
}

/// The offset where the line containing `offset` starts.
pub fn start_of_line(source: &str, offset: TextSize) -> TextSize {
    let before = &source[..usize::from(offset)];
    TextSize::try_from(before.rfind(['\n', '\r']).map_or(0, |i| i + 1)).unwrap_or_default()
}

/// The line diff of two texts. Patience diff: its unique lines anchor the match, so a big file
/// with thousands of edits costs about its size, where a plain Myers diff grows with the size
/// times the number of changes (a deadline bounds the worst case, with a coarser diff).
pub fn line_diff<'a>(old: &'a str, new: &'a str) -> similar::TextDiff<'a, 'a, 'a, str> {
    similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .timeout(std::time::Duration::from_secs(5))
        .diff_lines(old, new)
}

/// One-based line and column (in characters) of a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub row: usize,
    pub column: usize,
}

/// Maps byte offsets to lines and columns, and lines to byte ranges.
///
/// A line's start is kept as its low 16 bits, with per 64 KiB block of the text the first line
/// starting after it: two bytes a line, where four took twice the memory (the project stage
/// keeps one per module of the project until the run ends).
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Each line's start, its low 16 bits.
    low: Box<[u16]>,
    /// For each 64 KiB block of the text but the last: the first line starting in a later one.
    blocks: Box<[u32]>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        // (About one line per 32 bytes in real code: grown once or twice, not ten times.)
        let mut low = Vec::with_capacity(bytes.len() / 32 + 1);
        low.push(0u16);
        let mut blocks: Vec<u32> = Vec::new();
        let mut add = |i: usize| {
            let start = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let line = u32::try_from(low.len()).unwrap_or(u32::MAX);
            while blocks.len() < (start >> 16) as usize {
                blocks.push(line);
            }
            low.push(start as u16);
        };
        // Most texts have no `\r`: searching for one byte is faster than for either of two.
        if memchr::memchr(b'\r', bytes).is_none() {
            memchr::memchr_iter(b'\n', bytes).for_each(&mut add);
        } else {
            for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
                // `\r\n` and a lone `\r` both end a line; `\n` after `\r` was already counted.
                if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                    add(i);
                }
            }
        }
        LineIndex {
            low: low.into_boxed_slice(),
            blocks: blocks.into_boxed_slice(),
        }
    }

    /// The lines starting in 64 KiB block `block`.
    fn block_lines(&self, block: usize) -> std::ops::Range<usize> {
        let end_of = |block: usize| {
            self.blocks
                .get(block)
                .map_or(self.low.len(), |&first| first as usize)
        };
        let first = match block {
            0 => 0,
            _ => end_of(block - 1),
        };
        first..end_of(block)
    }

    fn start(&self, line: usize) -> TextSize {
        let block = self.blocks.partition_point(|&first| first as usize <= line);
        TextSize::new((block as u32) << 16 | u32::from(self.low[line]))
    }

    /// The zero-based line containing `offset`.
    pub fn line_of(&self, offset: TextSize) -> usize {
        let offset = u32::from(offset);
        let lines = self.block_lines((offset >> 16) as usize);
        let low = offset as u16;
        // (None in the block: the line started in an earlier one, and line 0 starts at 0.)
        lines.start + self.low[lines].partition_point(|&start| start <= low) - 1
    }

    pub fn location(&self, text: &str, offset: TextSize) -> Location {
        let line = self.line_of(offset);
        let start = usize::from(self.start(line));
        let end = usize::from(offset).min(text.len());
        let column = text
            .get(start..end)
            .map_or(end - start, |s| s.chars().count())
            + 1;
        Location {
            row: line + 1,
            column,
        }
    }

    /// The byte range of the zero-based `line`, including its line ending.
    pub fn full_line_range(&self, text: &str, line: usize) -> TextRange {
        let start = self.start(line);
        let end = if line + 1 < self.low.len() {
            self.start(line + 1)
        } else {
            TextSize::try_from(text.len()).unwrap_or(TextSize::new(u32::MAX))
        };
        TextRange::new(start, end)
    }

    /// Where the zero-based `line` starts.
    pub fn full_line_range_start(&self, line: usize) -> TextSize {
        self.start(line)
    }

    pub fn line_count(&self) -> usize {
        self.low.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_matches_a_scan_across_64k_blocks() {
        // Every line ending mixed, and `\n` alone (the index looks for `\r` only in a text
        // that has one).
        line_index_matches_a_scan(&["\n", "\r\n", "\r"]);
        line_index_matches_a_scan(&["\n"]);
    }

    /// Short and long lines (one spans several 64 KiB blocks, others end right at a block's
    /// edge), ending in turn with each of `endings`, and a text ending without one.
    fn line_index_matches_a_scan(endings: &[&str]) {
        let mut text = String::new();
        for i in 0..40_000 {
            text.push_str(&"x".repeat(i % 7));
            text.push_str(endings[i % endings.len()]);
            if i == 20_000 {
                text.push_str(&"y".repeat(200_000));
                text.push('\n');
            }
            if i == 30_000 {
                let pad = 65_536 - text.len() % 65_536 - 1;
                text.push_str(&"z".repeat(pad));
                text.push('\n');
                text.push('\n');
            }
        }
        text.push_str("tail");
        let mut starts = vec![0usize];
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        let index = LineIndex::new(&text);
        assert_eq!(index.line_count(), starts.len());
        for (line, &start) in starts.iter().enumerate() {
            assert_eq!(usize::from(index.full_line_range_start(line)), start);
            let end = starts.get(line + 1).copied().unwrap_or(text.len());
            let range = index.full_line_range(&text, line);
            assert_eq!(
                (usize::from(range.start()), usize::from(range.end())),
                (start, end)
            );
        }
        for offset in (0..=text.len()).step_by(97).chain(starts.iter().copied()) {
            let expected = starts.partition_point(|&s| s <= offset) - 1;
            assert_eq!(index.line_of(TextSize::try_from(offset).unwrap()), expected);
        }
    }

    #[test]
    fn decodes_bom_and_rejects_binary_and_latin1() {
        let text = SourceText::decode(b"\xef\xbb\xbfx = 1\n".to_vec()).unwrap();
        assert!(text.bom);
        assert_eq!(text.text, "x = 1\n");
        assert_eq!(text.encode("y\n"), b"\xef\xbb\xbfy\n");
        assert_eq!(
            SourceText::decode(b"a\0b".to_vec()).unwrap_err(),
            DecodeError::Binary
        );
        assert_eq!(
            SourceText::decode(b"x = '\xe9'\n".to_vec()).unwrap_err(),
            DecodeError::NotUtf8 { offset: 5 }
        );
        assert_eq!(
            SourceText::decode(b"\xff\xfex\0\n\0".to_vec()).unwrap_err(),
            DecodeError::Utf16 { name: "UTF-16LE" }
        );
        assert_eq!(
            SourceText::decode(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n".to_vec()).unwrap_err(),
            DecodeError::Cookie {
                encoding: "latin-1".to_owned(),
                offset: 31
            }
        );
    }

    #[test]
    fn detects_style() {
        let detect = |text: &str| Stylist::detect(text, &crate::parse::parse_module(text).unwrap());
        assert_eq!(detect("if x:\r\n\ty\r\n").line_ending, "\r\n");
        assert_eq!(detect("if x:\r\n\ty\r\n").indent, "\t");
        assert_eq!(detect("if x:\n  y\n").indent, "  ");
        assert_eq!(detect("x\n").indent, "    ");
        // Indentation inside a string is not the code's.
        assert_eq!(detect("s = '''\n  a\n'''\nif x:\n    y\n").indent, "    ");
    }

    #[test]
    fn locations_count_characters() {
        let text = "é = 1\nab = 2\r\nc";
        let index = LineIndex::new(text);
        assert_eq!(
            index.location(text, TextSize::new(3)),
            Location { row: 1, column: 3 }
        );
        assert_eq!(
            index.location(text, TextSize::new(8)),
            Location { row: 2, column: 2 }
        );
        assert_eq!(
            index.location(text, TextSize::new(15)),
            Location { row: 3, column: 1 }
        );
        assert_eq!(index.line_count(), 3);
    }

    #[test]
    fn lines_end_at_lf_crlf_and_a_lone_cr() {
        let text = "a\nb\r\nc\rd\r\r\ne\n";
        let index = LineIndex::new(text);
        let lines: Vec<usize> = (0..text.len())
            .map(|offset| index.line_of(TextSize::try_from(offset).unwrap()))
            .collect();
        assert_eq!(lines, [0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(index.line_count(), 7);
    }
}
