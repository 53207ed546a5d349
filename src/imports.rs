//! Imports that fixes need, and imports that fixes made unused.
//!
//! Recipes *schedule* imports: they ask the [`Importer`] for a module's name and put the edit
//! it returns into their fix. Every fix that needs `import asyncio` carries the identical
//! insertion, and the fix engine applies identical edits once, so the import is added once.
//!
//! After the fix loop, an import that the original file used and the fixed file no longer uses
//! is removed ([`removal_edits`]); imports that were already unused are the user's business.
//!
//! An added import goes where isort (and ruff's `I001`, with its default settings) would put
//! it in a leading import block sorted that way: among the block's imports of its section by
//! name, or as that section, in its place (see `Importer::sorted_place`). A block not
//! sorted in sections gets it after the block.

use std::collections::BTreeMap;

use crate::fix::Edit;
use crate::parse::ast::{Expr, Stmt};
use crate::parse::{Parsed, Ranged, TextRange, TextSize};
use crate::semantic::{Binding, BindingKind, ScopeId, SemanticModel};
use crate::source::{end_of_line, start_of_line, LineIndex, Stylist};

/// Where new module-level imports go, computed once per file.
pub struct Importer {
    insert_at: TextSize,
    /// The insertion point is at the end of a file without a final newline.
    needs_leading_newline: bool,
    /// The insertion point follows existing statements (rather than starting the file).
    after_statements: bool,
    /// The line at the insertion point is blank (or the file ends there).
    blank_after: bool,
    line_ending: &'static str,
    indent: String,
    /// Top-level `def`/`class` names and where their statements are, to recognise an
    /// existing helper.
    definitions: Vec<(String, TextRange)>,
    /// The leading block's imports, in order (see `Importer::sorted_place`).
    block: Vec<BlockImport>,
}

/// One import statement of the leading import block.
struct BlockImport {
    section: Section,
    /// The module, lowercased (`import a.b`: `a.b`; `from a.b import c`: `a.b`).
    key: String,
    /// `import x` (else `from x import y`).
    straight: bool,
    /// The start of its line, if the statement starts it (`import a; import b`: `b` does not).
    line_start: Option<TextSize>,
    /// The start of the comment lines right above it, if any (else its `line_start`): a
    /// comment there is about it, unless it heads its section.
    comments_start: Option<TextSize>,
    /// A blank line separates it from the statement before it (a new section).
    blank_before: bool,
    /// `from x import *`: it may bind any name, the new import's too.
    star: bool,
    /// Where its last line ends, after the line break (`None`: it ends the file without one).
    end: Option<TextSize>,
}

/// The isort section of an import, in isort's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Future,
    StandardLibrary,
    /// Third-party or first-party, when which modules are the project's is not known (see
    /// [`Importer::sorted_place`]).
    Other,
    ThirdParty,
    FirstParty,
    /// A relative import (`from . import x`).
    Local,
}

impl Importer {
    /// The importer of a module of text `source`; `first_party` tells whether a top-level
    /// module is the project's, when that is known (see `Importer::sorted_place`).
    pub fn new(
        source: &str,
        suite: &[Stmt],
        stylist: &Stylist,
        first_party: Option<&dyn Fn(&str) -> bool>,
    ) -> Self {
        // After the docstring, `from __future__` imports and the leading block of imports.
        let mut anchor: Option<&Stmt> = None;
        let mut block = Vec::new();
        for (i, stmt) in suite.iter().enumerate() {
            let is_docstring = i == 0
                && matches!(stmt, Stmt::Expr(e) if matches!(&*e.value, Expr::StringLiteral(_)));
            if is_docstring || matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)) {
                // (Comments above it start after the statement before it.)
                let floor = anchor.map_or(TextSize::new(0), |before| before.end());
                anchor = Some(stmt);
                block.extend(BlockImport::of(source, stmt, floor, first_party));
            } else {
                break;
            }
        }
        let (insert_at, needs_leading_newline) = match anchor {
            Some(stmt) => {
                let end = end_of_line(source, stmt.end());
                (
                    end,
                    usize::from(end) == source.len() && !ends_with_newline(source),
                )
            }
            None => match suite.first() {
                Some(first) => (start_of_line(source, first.start()), false),
                None => (
                    TextSize::try_from(source.len()).unwrap_or_default(),
                    !source.is_empty() && !ends_with_newline(source),
                ),
            },
        };
        let definitions = suite
            .iter()
            .filter_map(|stmt| {
                let name = match stmt {
                    Stmt::ClassDef(class) => class.name.id.as_str(),
                    Stmt::FunctionDef(def) => def.name.id.as_str(),
                    _ => return None,
                };
                Some((name.to_owned(), stmt.range()))
            })
            .collect();
        Importer {
            insert_at,
            needs_leading_newline,
            after_statements: anchor.is_some(),
            blank_after: source[usize::from(insert_at)..]
                .split(['\n', '\r'])
                .next()
                .is_none_or(|line| line.trim().is_empty()),
            line_ending: stylist.line_ending,
            indent: stylist.indent.clone(),
            definitions,
            block,
        }
    }

    /// The edit that adds a module-level helper definition after the imports: `source` is
    /// written with four-space indentation and `\n` line endings, and is converted to the
    /// file's. `Ok(None)` when the file (`module`) already has this very helper.
    pub fn define_helper(
        &self,
        semantic: &SemanticModel,
        module: &str,
        name: &str,
        source: &str,
        earlier: &[String],
    ) -> Result<Option<Edit>, String> {
        let eol = self.line_ending;
        // In the file's indentation and line endings.
        let render = |source: &str| -> String {
            let lines: Vec<String> = source
                .trim_end()
                .lines()
                .map(|line| {
                    let body = line.trim_start_matches(' ');
                    let depth = (line.len() - body.len()) / 4;
                    format!("{}{body}", self.indent.repeat(depth))
                })
                .collect();
            lines.join(eol)
        };
        let rendered = render(source);
        if let Some((_, existing)) = self.definitions.iter().find(|(n, _)| n == name) {
            // This very helper, as this version or an earlier one wrote it.
            let existing = &module[*existing];
            let same = existing == rendered || earlier.iter().any(|e| existing == render(e));
            return if same {
                Ok(None)
            } else {
                Err(format!(
                    "the name `{name}` is already defined in this module"
                ))
            };
        }
        if !semantic.is_free(0, name) {
            return Err(format!("the name `{name}` is already bound in this module"));
        }
        let content = if self.needs_leading_newline {
            format!("{eol}{eol}{eol}{rendered}{eol}")
        } else if self.after_statements && !self.blank_after {
            format!("{eol}{eol}{rendered}{eol}{eol}{eol}")
        } else if self.after_statements {
            format!("{eol}{eol}{rendered}{eol}")
        } else {
            format!("{rendered}{eol}{eol}{eol}")
        };
        Ok(Some(Edit::insertion(content, self.insert_at)))
    }

    /// The name to use for `module` from `scope`: an existing import of it, or `module` itself
    /// together with the edit that imports it at the top of the file.
    pub fn import_module(
        &self,
        semantic: &SemanticModel,
        scope: ScopeId,
        module: &str,
        at: TextSize,
    ) -> Result<(String, Option<Edit>), String> {
        Ok(match self.module_name(semantic, scope, module, at)? {
            Some(alias) => (alias.to_owned(), None),
            None => (module.to_owned(), Some(self.import_edit(module))),
        })
    }

    /// The name an existing import gives `module` in `scope` at `at`, or `None` when `module`
    /// is free there and can be imported (see [`Importer::import_edit`]).
    pub fn module_name<'s>(
        &self,
        semantic: &'s SemanticModel,
        scope: ScopeId,
        module: &str,
        at: TextSize,
    ) -> Result<Option<&'s str>, String> {
        if let Some(alias) = semantic.module_alias(scope, module, at) {
            return Ok(Some(alias));
        }
        if !semantic.is_free(scope, module) && !semantic.is_module_import(scope, module, module) {
            return Err(format!(
                "the name `{module}` is bound to something else here"
            ));
        }
        Ok(None)
    }

    /// The edit importing `module` at the top of the file.
    pub fn import_edit(&self, module: &str) -> Edit {
        let eol = self.line_ending;
        if let Some(place) = self.sorted_place(module) {
            let before = if place.blank_before { eol } else { "" };
            let after = if place.blank_after { eol } else { "" };
            return Edit::insertion(format!("{before}import {module}{eol}{after}"), place.at);
        }
        let content = if self.needs_leading_newline {
            format!("{eol}import {module}")
        } else {
            format!("import {module}{eol}")
        };
        Edit::insertion(content, self.insert_at)
    }
}

impl Importer {
    /// Where `import module` keeps the leading import block sorted as isort sorts it by
    /// default: sections apart, in isort's order (`__future__`, standard library, third-party,
    /// first-party, local), one blank line between them; in a section, `import x` statements
    /// by name, then `from` imports (or all by name, when the section mixes them so: isort's
    /// `force_sort_within_sections`); names compared lowercased.
    ///
    /// A standard-library module goes among the block's standard-library imports, or starts
    /// their section. Any other module is taken as third-party (the fixes import no project
    /// module): it goes among the third-party imports, or starts their section when there are
    /// none. Which imports are first-party is known from the project's modules (the first
    /// segments of their names); without them, the first of two or more sections of absolute
    /// imports after the standard library's is third-party (the next is first-party), and a
    /// single one may be either: the import then goes after the block, as it does when the
    /// block is not made of sections in this order, or when the statement it would go before
    /// does not start its line.
    fn sorted_place(&self, module: &str) -> Option<Placement> {
        let block = &self.block;
        // (After a star import, a new import is not rebound by it: it stays after the block.)
        if block.iter().any(|import| import.star)
            || !block.windows(2).all(|w| w[0].section <= w[1].section)
        {
            return None;
        }
        let key = module.to_ascii_lowercase();
        let in_section = |section: Section| -> Vec<&BlockImport> {
            block.iter().filter(|i| i.section == section).collect()
        };
        let stdlib = in_section(Section::StandardLibrary);
        let root = module.split('.').next().unwrap_or(module);
        if section_of(root) == Section::StandardLibrary {
            if stdlib.is_empty() {
                // Its own section, before the others (after `__future__` imports), above the
                // comments that head them.
                let first = block.iter().find(|i| i.section >= Section::Other)?;
                return Some(Placement::section_before(first.comments_start?));
            }
            return place_among(&stdlib, &key);
        }
        // Third-party.
        let third_party = in_section(Section::ThirdParty);
        if !third_party.is_empty() {
            return place_among(&third_party, &key);
        }
        // Not known to be first-party either: the sections of absolute imports after the
        // standard library's, of which the first is third-party when another follows.
        let mut groups: Vec<Vec<&BlockImport>> = Vec::new();
        for import in in_section(Section::Other) {
            match groups.last_mut() {
                Some(group) if !import.blank_before => group.push(import),
                _ => groups.push(vec![import]),
            }
        }
        match groups.len() {
            // None: its own section, after the standard library's, before the first-party
            // and local ones.
            0 => match (
                stdlib.last(),
                block.iter().find(|i| i.section > Section::ThirdParty),
            ) {
                (Some(last), _) => Some(Placement::section_after(last.end?)),
                (None, Some(first)) => Some(Placement::section_before(first.comments_start?)),
                (None, None) => None,
            },
            1 => None,
            _ => place_among(&groups[0], &key),
        }
    }
}

/// Where a new import goes: at `at`, with a blank line before it or after it (a new section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placement {
    at: TextSize,
    blank_before: bool,
    blank_after: bool,
}

impl Placement {
    fn among(at: TextSize) -> Self {
        Placement {
            at,
            blank_before: false,
            blank_after: false,
        }
    }

    fn section_before(at: TextSize) -> Self {
        Placement {
            blank_after: true,
            ..Placement::among(at)
        }
    }

    fn section_after(at: TextSize) -> Self {
        Placement {
            blank_before: true,
            ..Placement::among(at)
        }
    }
}

/// Where `import` of the module `key` (lowercased) goes among `section`'s imports (in order,
/// not empty): before the first that sorts after it (below the comments heading the section,
/// above those about another import), else after the last.
fn place_among(section: &[&BlockImport], key: &str) -> Option<Placement> {
    let straight_first = section
        .iter()
        .skip_while(|import| import.straight)
        .all(|import| !import.straight);
    let before = section.iter().position(|import| {
        if straight_first {
            !import.straight || import.key.as_str() > key
        } else {
            import.key.as_str() > key || import.key == key && !import.straight
        }
    });
    match before {
        Some(0) => Some(Placement::among(section[0].line_start?)),
        Some(i) => Some(Placement::among(section[i].comments_start?)),
        None => Some(Placement::among(section.last()?.end?)),
    }
}

impl BlockImport {
    /// The statement as a block import (`None` for the docstring); `floor`: where the
    /// statement before it ends.
    fn of(
        source: &str,
        stmt: &Stmt,
        floor: TextSize,
        first_party: Option<&dyn Fn(&str) -> bool>,
    ) -> Option<Self> {
        let (module, straight) = match stmt {
            Stmt::Import(import) => (import.names.first()?.name.id.as_str(), true),
            Stmt::ImportFrom(import) if import.level > 0 => ("", false),
            Stmt::ImportFrom(import) => (import.module.as_ref()?.id.as_str(), false),
            _ => return None,
        };
        let root = module.split('.').next().unwrap_or(module);
        let section = match (stmt, section_of(root), first_party) {
            (Stmt::ImportFrom(import), _, _) if import.level > 0 => Section::Local,
            (_, Section::Other, Some(first_party)) if first_party(root) => Section::FirstParty,
            (_, Section::Other, Some(_)) => Section::ThirdParty,
            (_, section, _) => section,
        };
        let star = matches!(stmt, Stmt::ImportFrom(import)
            if import.names.iter().any(|alias| alias.name.id.as_str() == "*"));
        let start = stmt.start();
        let end = end_of_line(source, stmt.end());
        let ends_line = usize::from(end) < source.len() || ends_with_newline(source);
        Some(BlockImport {
            section,
            key: module.to_ascii_lowercase(),
            straight,
            line_start: (start_of_line(source, start) == start).then_some(start),
            comments_start: (start_of_line(source, start) == start)
                .then(|| comments_above(source, start, floor)),
            star,
            blank_before: {
                // The whole lines between the two statements.
                let lines: Vec<&str> = source[usize::from(floor)..usize::from(start)]
                    .split('\n')
                    .collect();
                floor > TextSize::new(0)
                    && lines.len() > 2
                    && lines[1..lines.len() - 1]
                        .iter()
                        .any(|line| line.trim().is_empty())
            },
            end: ends_line.then_some(end),
        })
    }
}

/// The start of the comment lines right above the line starting at `line_start` (itself when
/// there are none), all after `floor` (the end of the code before them: a line of a string
/// there is no comment).
fn comments_above(source: &str, line_start: TextSize, floor: TextSize) -> TextSize {
    let mut at = usize::from(line_start);
    while at > usize::from(floor) {
        let before = &source[..at];
        let line_end = before.len() - if before.ends_with("\r\n") { 2 } else { 1 };
        let above = before[..line_end].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        if above < usize::from(floor) || !before[above..line_end].trim_start().starts_with('#') {
            break;
        }
        at = above;
    }
    TextSize::try_from(at).unwrap_or(line_start)
}

/// The isort section of a module's first segment.
fn section_of(root: &str) -> Section {
    if root == "__future__" {
        Section::Future
    } else if STANDARD_LIBRARY.binary_search(&root).is_ok() {
        Section::StandardLibrary
    } else {
        Section::Other
    }
}

fn ends_with_newline(source: &str) -> bool {
    source.ends_with('\n') || source.ends_with('\r')
}

/// Edits removing the given import bindings (which fixes made unused). A binding whose removal
/// would leave an empty block, share a line with other code, or drop a comment is kept.
pub fn removal_edits(source: &str, parsed: &Parsed, bindings: &[&Binding]) -> Vec<Edit> {
    // Group by statement: removing several aliases of one statement must not overlap.
    let mut by_stmt: BTreeMap<TextSize, (&crate::semantic::ImportSite, Vec<usize>)> =
        BTreeMap::new();
    for binding in bindings {
        let BindingKind::Import { site, .. } = &binding.kind else {
            continue;
        };
        if binding.rebound {
            continue;
        }
        by_stmt
            .entry(site.stmt.start())
            .or_insert_with(|| (site, Vec::new()))
            .1
            .push(site.index);
    }
    let lines = LineIndex::new(source);
    let mut edits = Vec::new();
    // Whole statements to delete, per block: a block must keep at least one statement.
    let mut whole: BTreeMap<(TextSize, usize), Vec<Edit>> = BTreeMap::new();
    for (site, mut removed) in by_stmt.into_values() {
        removed.sort_unstable();
        removed.dedup();
        if removed.len() == site.aliases.len() {
            if let Some(edit) = delete_statement(source, parsed, &lines, site.stmt) {
                whole.entry(site.block).or_default().push(edit);
            }
            continue;
        }
        for run in runs(&removed) {
            let (first, last) = (run[0], run[run.len() - 1]);
            let range = if last + 1 < site.aliases.len() {
                // `a, b, c` removing `a, b`: delete up to the next kept alias.
                TextRange::new(site.aliases[first].start(), site.aliases[last + 1].start())
            } else {
                // Removing the tail: delete from the end of the previous kept alias.
                TextRange::new(site.aliases[first - 1].end(), site.aliases[last].end())
            };
            if !parsed.has_comment_in(range) {
                edits.push(Edit::deletion(range));
            }
        }
    }
    for ((_, block_len), deletions) in whole {
        if deletions.len() < block_len {
            edits.extend(deletions);
        }
    }
    edits
}

/// Splits sorted indices into runs of consecutive ones.
fn runs(indices: &[usize]) -> Vec<&[usize]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=indices.len() {
        if i == indices.len() || indices[i] != indices[i - 1] + 1 {
            out.push(&indices[start..i]);
            start = i;
        }
    }
    out
}

fn delete_statement(
    source: &str,
    parsed: &Parsed,
    lines: &LineIndex,
    stmt: TextRange,
) -> Option<Edit> {
    let first = lines.line_of(stmt.start());
    let last = lines.line_of(stmt.end());
    let first_line = lines.full_line_range(source, first);
    let last_line = lines.full_line_range(source, last);
    let before = &source[usize::from(first_line.start())..usize::from(stmt.start())];
    let after = source[usize::from(stmt.end())..usize::from(last_line.end())].trim();
    // Only a statement alone on its lines (a trailing comment goes with it).
    let after_is_comment = after.is_empty() || after.starts_with('#');
    if !before.trim().is_empty() || !after_is_comment {
        return None;
    }
    // A comment inside a multi-line import would be lost.
    if parsed.has_comment_in(stmt) {
        return None;
    }
    // Blank lines around the statement collapse to one (none at the top of the file).
    let blank = |line: usize| {
        line < lines.line_count()
            && source[lines.full_line_range(source, line)]
                .trim()
                .is_empty()
    };
    let blank_before = first == 0 || blank(first - 1);
    let mut end = last_line.end();
    if blank_before && last + 1 < lines.line_count() && blank(last + 1) {
        end = lines.full_line_range(source, last + 1).end();
        // At the top of the file, every blank line after the statement goes.
        let mut next = last + 2;
        while first == 0 && next < lines.line_count() && blank(next) {
            end = lines.full_line_range(source, next).end();
            next += 1;
        }
    }
    Some(Edit::deletion(TextRange::new(first_line.start(), end)))
}

/// The top-level modules of the standard library (Python 3.11's `sys.stdlib_module_names`,
/// which still has the ones later versions removed), sorted.
const STANDARD_LIBRARY: &[&str] = &[
    "_abc",
    "_aix_support",
    "_ast",
    "_asyncio",
    "_bisect",
    "_blake2",
    "_bootsubprocess",
    "_bz2",
    "_codecs",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_collections",
    "_collections_abc",
    "_compat_pickle",
    "_compression",
    "_contextvars",
    "_crypt",
    "_csv",
    "_ctypes",
    "_curses",
    "_curses_panel",
    "_datetime",
    "_dbm",
    "_decimal",
    "_elementtree",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_functools",
    "_gdbm",
    "_hashlib",
    "_heapq",
    "_imp",
    "_io",
    "_json",
    "_locale",
    "_lsprof",
    "_lzma",
    "_markupbase",
    "_md5",
    "_msi",
    "_multibytecodec",
    "_multiprocessing",
    "_opcode",
    "_operator",
    "_osx_support",
    "_overlapped",
    "_pickle",
    "_posixshmem",
    "_posixsubprocess",
    "_py_abc",
    "_pydecimal",
    "_pyio",
    "_queue",
    "_random",
    "_scproxy",
    "_sha1",
    "_sha256",
    "_sha3",
    "_sha512",
    "_signal",
    "_sitebuiltins",
    "_socket",
    "_sqlite3",
    "_sre",
    "_ssl",
    "_stat",
    "_statistics",
    "_string",
    "_strptime",
    "_struct",
    "_symtable",
    "_thread",
    "_threading_local",
    "_tkinter",
    "_tokenize",
    "_tracemalloc",
    "_typing",
    "_uuid",
    "_warnings",
    "_weakref",
    "_weakrefset",
    "_winapi",
    "_zoneinfo",
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_consecutive_indices() {
        assert_eq!(runs(&[0, 1, 3]), vec![&[0, 1][..], &[3][..]]);
        assert_eq!(runs(&[2]), vec![&[2][..]]);
    }

    /// `source` with `import module` added, which modules are first-party not known.
    fn importing(source: &str, module: &str) -> String {
        importing_with(source, module, None)
    }

    /// Each `(source, module, expected)`: `source` with `import module` added is `expected`.
    fn assert_imports(cases: &[(&str, &str, &str)]) {
        for &(source, module, expected) in cases {
            assert_eq!(importing(source, module), expected, "{source:?}");
        }
    }

    /// `source` with `import module` added, `first_party` telling the project's modules.
    fn importing_with(
        source: &str,
        module: &str,
        first_party: Option<&dyn Fn(&str) -> bool>,
    ) -> String {
        let parsed = crate::parse::parse_module(source).unwrap();
        let stylist = Stylist::detect(source, &parsed);
        let importer = Importer::new(source, parsed.suite(), &stylist, first_party);
        let edit = importer.import_edit(module);
        let at = usize::from(edit.range.start());
        format!("{}{}{}", &source[..at], edit.content, &source[at..])
    }

    #[test]
    fn a_standard_library_import_keeps_a_sorted_block_sorted() {
        // (source, module, expected): each expected block is as isort sorts it.
        let cases = [
            // Among the `import x` statements, by name, before the `from` imports.
            (
                "import os\nimport time\nfrom typing import Any\n\nimport httpx\n\nx = 1\n",
                "asyncio",
                "import asyncio\nimport os\nimport time\nfrom typing import Any\n\nimport httpx\n\nx = 1\n",
            ),
            (
                "import abc\nimport time\n",
                "contextlib",
                "import abc\nimport contextlib\nimport time\n",
            ),
            (
                "import os\nfrom time import sleep\n",
                "asyncio",
                "import asyncio\nimport os\nfrom time import sleep\n",
            ),
            // Last of them: after the section's last import.
            ("import abc\n\nimport httpx\n", "asyncio", "import abc\nimport asyncio\n\nimport httpx\n"),
            // No standard-library section: its own, after `__future__`, above the comments
            // heading the next one.
            (
                "from __future__ import annotations\n\n# third party\nimport httpx\nfrom . import db\n",
                "asyncio",
                "from __future__ import annotations\n\nimport asyncio\n\n# third party\nimport httpx\nfrom . import db\n",
            ),
            // A comment about the import it goes before stays with it; one heading the
            // section stays on top.
            (
                "# stdlib\nimport os\n# for the delays\nimport time\n",
                "contextlib",
                "# stdlib\nimport contextlib\nimport os\n# for the delays\nimport time\n",
            ),
            (
                "import abc\n# for the delays\nimport time\n",
                "asyncio",
                "import abc\nimport asyncio\n# for the delays\nimport time\n",
            ),
            // Sorted by name whatever the kind (isort's `force_sort_within_sections`).
            (
                "from abc import ABC\nimport os\nfrom time import sleep\n",
                "contextlib",
                "from abc import ABC\nimport contextlib\nimport os\nfrom time import sleep\n",
            ),
            // CRLF, and a docstring whose last line looks like a comment.
            (
                "\"\"\"Doc.\r\n# not a comment\"\"\"\r\nimport time\r\n",
                "asyncio",
                "\"\"\"Doc.\r\n# not a comment\"\"\"\r\nimport asyncio\r\nimport time\r\n",
            ),
        ];
        assert_imports(&cases);
    }

    #[test]
    fn a_third_party_import_keeps_a_sorted_block_sorted() {
        let cases = [
            // Two sections of absolute imports: the first is third-party.
            (
                "import time\n\nimport pytest\n\nfrom app import db\n",
                "aiosqlite",
                "import time\n\nimport aiosqlite\nimport pytest\n\nfrom app import db\n",
            ),
            (
                "import time\r\n\r\nimport httpx\r\nfrom yarl import URL\r\n\r\n# ours\r\nfrom app import db\r\n",
                "aiosqlite",
                "import time\r\n\r\nimport aiosqlite\r\nimport httpx\r\nfrom yarl import URL\r\n\r\n# ours\r\nfrom app import db\r\n",
            ),
            // None: its own section after the standard library's, before the local one.
            (
                "import time\nfrom dataclasses import dataclass\n\nfrom . import db\n",
                "aiosqlite",
                "import time\nfrom dataclasses import dataclass\n\nimport aiosqlite\n\nfrom . import db\n",
            ),
            ("import sqlite3\n\n\ndef f():\n    pass\n", "aiosqlite", "import sqlite3\n\nimport aiosqlite\n\n\ndef f():\n    pass\n"),
        ];
        assert_imports(&cases);
    }

    #[test]
    fn the_project_modules_tell_third_party_imports_from_first_party_ones() {
        let first_party = |root: &str| root == "app";
        let importing = |source: &str| importing_with(source, "aiosqlite", Some(&first_party));
        // One section after the standard library's: first-party, or third-party.
        assert_eq!(
            importing("import time\n\nfrom app import db\n"),
            "import time\n\nimport aiosqlite\n\nfrom app import db\n"
        );
        assert_eq!(
            importing("import time\n\nfrom loguru import logger\n\nx = 1\n"),
            "import time\n\nimport aiosqlite\nfrom loguru import logger\n\nx = 1\n"
        );
        // No standard-library import.
        assert_eq!(
            importing("from app import db\n"),
            "import aiosqlite\n\nfrom app import db\n"
        );
        // First-party before third-party: not sorted, after the block.
        assert_eq!(
            importing("from app import db\nimport httpx\n"),
            "from app import db\nimport httpx\nimport aiosqlite\n"
        );
    }

    #[test]
    fn an_import_goes_after_a_block_not_sorted_in_sections() {
        let cases = [
            // A third-party import before the standard-library ones.
            (
                "import httpx\nimport time\n",
                "asyncio",
                "import httpx\nimport time\nimport asyncio\n",
            ),
            // One section of absolute imports after the standard library's: third-party or
            // first-party, it cannot be told.
            (
                "import time\n\nfrom app import db\n",
                "aiosqlite",
                "import time\n\nfrom app import db\nimport aiosqlite\n",
            ),
            // The statement it would go before shares its line.
            (
                "import os; import time\n",
                "pathlib",
                "import os; import time\nimport pathlib\n",
            ),
            // A star import may bind the name: the new import stays after it.
            (
                "import os\n\nfrom helpers import *\n",
                "asyncio",
                "import os\n\nfrom helpers import *\nimport asyncio\n",
            ),
            // Only `__future__` imports: after them, as before.
            (
                "from __future__ import annotations\n",
                "asyncio",
                "from __future__ import annotations\nimport asyncio\n",
            ),
        ];
        assert_imports(&cases);
    }
}
