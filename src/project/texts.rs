//! The texts of a run's files after the first pass, which drops each text once it is done
//! with it: a later step that needs one (a file the plan edits, a file with findings to print,
//! a file a round indexes) reads it again. A text read again must be the one read first (by
//! its hash and length): a file that changed in between is an error for that file, never a
//! text that disagrees with the index built from the first.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::discovery::Candidate;
use crate::file::{read_source, FileError};
use crate::source::SourceText;

/// Why a text read again is refused.
pub const CHANGED_WHILE_READ: &str =
    "the file changed on disk while awaitify read it; it was left as it is (run awaitify again)";

/// The texts of a run's files, by file (see the module documentation).
pub struct Texts<'f> {
    files: &'f [Candidate],
    slots: Vec<Slot>,
}

struct Slot {
    /// The text at hand: one kept from the first read, or read again by [`Texts::get`].
    text: OnceLock<Result<SourceText, FileError>>,
    /// What identifies the text first read; `None` when it could not be read (the error stays
    /// in `text`) or cannot be read again (standard input).
    first: Option<Fingerprint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    hash: u64,
    len: usize,
    bom: bool,
}

impl Fingerprint {
    fn of(source: &SourceText) -> Self {
        Fingerprint {
            hash: rustc_hash::FxBuildHasher.hash_one(source.text.as_bytes()),
            len: source.text.len(),
            bom: source.bom,
        }
    }
}

impl<'f> Texts<'f> {
    /// The texts of `files` as first read (`sources`, one per file), all kept.
    pub fn kept(files: &'f [Candidate], sources: Vec<Result<SourceText, FileError>>) -> Self {
        debug_assert_eq!(files.len(), sources.len());
        let slots = sources
            .into_iter()
            .map(|source| Slot {
                first: None,
                text: OnceLock::from(source),
            })
            .collect();
        Texts { files, slots }
    }

    /// The texts of `files`, first read as `sources` (one per file), to be read again: only
    /// what tells them apart and the errors are kept.
    pub fn to_read_again(
        files: &'f [Candidate],
        sources: &[Result<SourceText, FileError>],
    ) -> Self {
        debug_assert_eq!(files.len(), sources.len());
        let slots = sources
            .par_iter()
            .map(|source| match source {
                Ok(source) => Slot {
                    first: Some(Fingerprint::of(source)),
                    text: OnceLock::new(),
                },
                Err(error) => Slot {
                    first: None,
                    text: OnceLock::from(Err(error.clone())),
                },
            })
            .collect();
        Texts { files, slots }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The file's path.
    pub fn path(&self, file: usize) -> &'f Path {
        &self.files[file].path
    }

    /// Whether the file's first read failed (known without reading it again).
    pub fn is_err(&self, file: usize) -> bool {
        let slot = &self.slots[file];
        slot.first.is_none() && slot.text.get().is_none_or(|s| s.is_err())
    }

    /// The file's text, read again (and kept) if it was released.
    pub fn get(&self, file: usize) -> &Result<SourceText, FileError> {
        let slot = &self.slots[file];
        slot.text
            .get_or_init(|| self.read_again(&self.files[file].path, slot.first))
    }

    /// The file's text: the one at hand, or read again without keeping it (for a file read
    /// once more at most, as a round reads the files it indexes).
    pub fn read(&self, file: usize) -> Cow<'_, Result<SourceText, FileError>> {
        let slot = &self.slots[file];
        match slot.text.get() {
            Some(source) => Cow::Borrowed(source),
            None => Cow::Owned(self.read_again(&self.files[file].path, slot.first)),
        }
    }

    /// The text of the file, if it is at hand (not released).
    pub fn at_hand(&self, file: usize) -> Option<&Result<SourceText, FileError>> {
        self.slots[file].text.get()
    }

    fn read_again(&self, path: &Path, first: Option<Fingerprint>) -> Result<SourceText, FileError> {
        let first = first.expect("a text not kept can be read again");
        let source = read_source(path)?;
        if Fingerprint::of(&source) != first {
            return Err(FileError::Io(CHANGED_WHILE_READ.to_owned()));
        }
        Ok(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(path: &Path) -> Candidate {
        Candidate {
            path: path.to_path_buf(),
            explicit: true,
            size: 0,
            context: false,
        }
    }

    #[test]
    fn a_released_text_is_read_again_only_if_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.py"), dir.path().join("b.py"));
        std::fs::write(&a, "x = 1\n").unwrap();
        std::fs::write(&b, "y = 2\n").unwrap();
        let files = [candidate(&a), candidate(&b)];
        let sources: Vec<_> = files.iter().map(|c| read_source(&c.path)).collect();
        let texts = Texts::to_read_again(&files, &sources);
        assert!(texts.at_hand(0).is_none());
        std::fs::write(&b, "y = 3\n").unwrap();
        assert_eq!(texts.read(0).as_ref().as_ref().unwrap().text, "x = 1\n");
        assert!(texts.at_hand(0).is_none(), "`read` keeps nothing");
        assert_eq!(texts.get(0).as_ref().unwrap().text, "x = 1\n");
        assert!(texts.at_hand(0).is_some(), "`get` keeps it");
        let Err(FileError::Io(message)) = texts.get(1) else {
            panic!("a changed file is an error");
        };
        assert_eq!(message, CHANGED_WHILE_READ);
        // Changed once read again and kept: the kept text stands.
        std::fs::write(&a, "x = 2\n").unwrap();
        assert!(texts.read(0).is_ok(), "kept by `get`: not read again");
    }

    #[test]
    fn kept_texts_and_errors_are_never_read_again() {
        let files = [
            candidate(Path::new("<stdin>")),
            candidate(Path::new("gone.py")),
        ];
        let sources = vec![
            Ok(SourceText {
                text: "x = 1\n".into(),
                bom: false,
            }),
            Err(FileError::Io("cannot read".into())),
        ];
        let texts = Texts::to_read_again(&files, &sources);
        assert!(texts.is_err(1) && !texts.is_err(0));
        assert!(matches!(texts.get(1), Err(FileError::Io(m)) if m == "cannot read"));
        let texts = Texts::kept(&files, sources);
        assert_eq!(texts.get(0).as_ref().unwrap().text, "x = 1\n");
        assert!(texts.is_err(1) && !texts.is_err(0));
    }

    #[test]
    fn same_length_other_bytes_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.py");
        std::fs::write(&a, "x = 1\n").unwrap();
        let files = [candidate(&a)];
        let sources = vec![read_source(&a)];
        let texts = Texts::to_read_again(&files, &sources);
        std::fs::write(&a, "x = 2\n").unwrap();
        assert!(texts.read(0).is_err());
    }
}
