//! The runner behind `tests/cli.rs`: a [`Case`] is data (files to create, then one or more
//! runs of the built binary with their expectations); [`Case::run_all`] creates a fresh
//! temporary directory, runs every step with that directory as the working directory, and
//! reports every mismatch of a step at once.
//!
//! Invariants checked after every step, whatever the case says:
//! - no temporary file of the atomic writer (`.awaitify-*`) is left behind;
//! - the process ends within [`TIMEOUT`].

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

pub const BIN: &str = env!("CARGO_BIN_EXE_awaitify");

/// A run that takes longer than this is killed and fails the case.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The mtime every created file gets (and every file watched by `kept` gets again before each
/// step), far in the past, so that any rewrite shows as a changed mtime even on filesystems
/// with coarse timestamps.
const OLD_MTIME_SECS: u64 = 1_000_000_000;

fn old_mtime() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(OLD_MTIME_SECS)
}

/// What a step produced, given to custom checks.
pub struct Outcome<'a> {
    pub dir: &'a Path,
    pub code: Option<i32>,
    pub stdout: &'a [u8],
    pub stderr: &'a [u8],
}

impl Outcome<'_> {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(self.stderr).into_owned()
    }

    pub fn read(&self, path: &str) -> Vec<u8> {
        fs::read(self.dir.join(path)).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
    }
}

type Check = Box<dyn Fn(&Outcome<'_>) -> Result<(), String>>;

enum Text {
    Exact(Vec<u8>),
    Contains(String),
    Lacks(String),
}

enum FileExpect {
    /// Same bytes, same inode and same mtime as before the step.
    Kept,
    /// These bytes after the step.
    Bytes(Vec<u8>),
    /// These permission bits after the step.
    Mode(u32),
    /// Still a symbolic link, pointing at this target.
    Symlink(PathBuf),
    /// Does not exist after the step.
    Absent,
    /// Same owner (uid and gid) as before the step.
    OwnerKept,
}

enum Setup {
    File {
        path: String,
        bytes: Vec<u8>,
    },
    Dir(String),
    Symlink {
        path: String,
        target: String,
    },
    /// Applied after everything else was created.
    Chmod {
        path: String,
        mode: u32,
    },
    /// Best effort (only root may give a file away); applied before the chmods.
    Chown {
        path: String,
        uid: u32,
        gid: u32,
    },
}

struct Step {
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    code: Option<i32>,
    stdout: Vec<Text>,
    stderr: Vec<Text>,
    files: Vec<(String, FileExpect)>,
    checks: Vec<Check>,
}

/// One test case: the files, then the runs.
#[derive(Default)]
pub struct Case {
    setup: Vec<Setup>,
    steps: Vec<Step>,
}

impl Case {
    pub fn new() -> Self {
        Case::default()
    }

    // ---- files -------------------------------------------------------------------------------

    /// A file (parent folders are created).
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.setup.push(Setup::File {
            path: path.to_owned(),
            bytes: bytes.into(),
        });
        self
    }

    /// A file with these permission bits (set after everything is created).
    pub fn file_mode(self, path: &str, bytes: impl Into<Vec<u8>>, mode: u32) -> Self {
        self.file(path, bytes).chmod(path, mode)
    }

    /// An empty folder.
    pub fn dir(mut self, path: &str) -> Self {
        self.setup.push(Setup::Dir(path.to_owned()));
        self
    }

    /// A symbolic link `path` -> `target` (the target need not exist).
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.setup.push(Setup::Symlink {
            path: path.to_owned(),
            target: target.to_owned(),
        });
        self
    }

    /// Gives the file to another owner if the tests may (as root); silently does nothing
    /// otherwise.
    pub fn try_chown(mut self, path: &str, uid: u32, gid: u32) -> Self {
        self.setup.push(Setup::Chown {
            path: path.to_owned(),
            uid,
            gid,
        });
        self
    }

    pub fn chmod(mut self, path: &str, mode: u32) -> Self {
        self.setup.push(Setup::Chmod {
            path: path.to_owned(),
            mode,
        });
        self
    }

    // ---- steps -------------------------------------------------------------------------------

    /// Starts a step: run the binary with these arguments. Expectations that follow apply to
    /// this step.
    pub fn run<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.steps.push(Step {
            args: args.into_iter().map(Into::into).collect(),
            stdin: None,
            code: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
            files: Vec::new(),
            checks: Vec::new(),
        });
        self
    }

    fn step(&mut self) -> &mut Step {
        self.steps
            .last_mut()
            .expect("call .run([...]) before the step's expectations")
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.step().stdin = Some(bytes.into());
        self
    }

    /// The expected exit code.
    pub fn code(mut self, code: i32) -> Self {
        self.step().code = Some(code);
        self
    }

    /// The exact standard output.
    pub fn stdout(mut self, text: impl Into<Vec<u8>>) -> Self {
        self.step().stdout.push(Text::Exact(text.into()));
        self
    }

    pub fn stdout_has(mut self, text: &str) -> Self {
        self.step().stdout.push(Text::Contains(text.to_owned()));
        self
    }

    pub fn stdout_lacks(mut self, text: &str) -> Self {
        self.step().stdout.push(Text::Lacks(text.to_owned()));
        self
    }

    /// The exact standard error.
    pub fn stderr(mut self, text: impl Into<Vec<u8>>) -> Self {
        self.step().stderr.push(Text::Exact(text.into()));
        self
    }

    pub fn stderr_has(mut self, text: &str) -> Self {
        self.step().stderr.push(Text::Contains(text.to_owned()));
        self
    }

    pub fn stderr_lacks(mut self, text: &str) -> Self {
        self.step().stderr.push(Text::Lacks(text.to_owned()));
        self
    }

    fn expect_file(mut self, path: &str, expect: FileExpect) -> Self {
        self.step().files.push((path.to_owned(), expect));
        self
    }

    /// The file is untouched by the step: same bytes, same inode, same mtime.
    pub fn kept(self, path: &str) -> Self {
        self.expect_file(path, FileExpect::Kept)
    }

    /// The file holds exactly these bytes after the step.
    pub fn now(self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.expect_file(path, FileExpect::Bytes(bytes.into()))
    }

    /// The file's permission bits after the step.
    pub fn mode(self, path: &str, mode: u32) -> Self {
        self.expect_file(path, FileExpect::Mode(mode))
    }

    /// `path` is still a symbolic link to `target` after the step.
    pub fn still_symlink(self, path: &str, target: &str) -> Self {
        self.expect_file(path, FileExpect::Symlink(PathBuf::from(target)))
    }

    pub fn absent(self, path: &str) -> Self {
        self.expect_file(path, FileExpect::Absent)
    }

    /// The file has the same owner and group after the step as before.
    pub fn owner_kept(self, path: &str) -> Self {
        self.expect_file(path, FileExpect::OwnerKept)
    }

    /// A custom check of the step's outcome (JSON parsing, behaviour that depends on the
    /// platform...).
    pub fn check(mut self, check: impl Fn(&Outcome<'_>) -> Result<(), String> + 'static) -> Self {
        self.step().checks.push(Box::new(check));
        self
    }

    // ---- running -----------------------------------------------------------------------------

    pub fn run_all(self, name: &str) {
        assert!(!self.steps.is_empty(), "case {name} has no step");
        let temp = tempfile::Builder::new()
            .prefix("awaitify-cli-")
            .tempdir()
            .expect("create a temporary directory");
        let dir = temp.path();
        create(dir, &self.setup);
        for (i, step) in self.steps.iter().enumerate() {
            run_step(name, i, dir, step);
        }
        // Make everything removable again (a case may leave a 000 folder behind).
        restore_permissions(dir);
    }
}

fn create(dir: &Path, setup: &[Setup]) {
    let mut chmods = Vec::new();
    for item in setup {
        match item {
            Setup::File { path, bytes } => {
                let full = dir.join(path);
                if let Some(parent) = full.parent() {
                    fs::create_dir_all(parent).unwrap();
                }
                fs::write(&full, bytes).unwrap_or_else(|e| panic!("write {path}: {e}"));
                let file = fs::File::options().write(true).open(&full).unwrap();
                file.set_modified(old_mtime()).unwrap();
            }
            Setup::Dir(path) => fs::create_dir_all(dir.join(path)).unwrap(),
            Setup::Symlink { path, target } => {
                let full = dir.join(path);
                if let Some(parent) = full.parent() {
                    fs::create_dir_all(parent).unwrap();
                }
                std::os::unix::fs::symlink(target, &full)
                    .unwrap_or_else(|e| panic!("symlink {path}: {e}"));
            }
            Setup::Chmod { path, mode } => chmods.push((path, *mode)),
            Setup::Chown { path, uid, gid } => {
                let _ = std::os::unix::fs::chown(dir.join(path), Some(*uid), Some(*gid));
            }
        }
    }
    for (path, mode) in chmods {
        fs::set_permissions(dir.join(path), fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("chmod {path}: {e}"));
    }
}

fn restore_permissions(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        if meta.is_dir() {
            let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o755));
            restore_permissions(&path);
        } else {
            let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o644));
        }
    }
}

/// What `kept` compares: bytes, inode and mtime.
#[derive(Debug, PartialEq)]
struct Snapshot {
    bytes: Option<Vec<u8>>,
    ino: u64,
    mtime: SystemTime,
}

fn snapshot(path: &Path) -> Option<Snapshot> {
    let meta = fs::metadata(path).ok()?;
    Some(Snapshot {
        bytes: fs::read(path).ok(),
        ino: meta.ino(),
        mtime: meta.modified().ok()?,
    })
}

fn leftover_temp_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(".awaitify-")
        {
            out.push(path.clone());
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            leftover_temp_files(&path, out);
        }
    }
}

fn show(bytes: &[u8]) -> String {
    const LIMIT: usize = 4000;
    let text = String::from_utf8_lossy(bytes);
    if text.len() > LIMIT {
        let mut cut = LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{:?}... ({} bytes)", &text[..cut], bytes.len())
    } else {
        format!("{text:?}")
    }
}

fn check_text(stream: &str, actual: &[u8], expects: &[Text], problems: &mut Vec<String>) {
    let text = String::from_utf8_lossy(actual);
    for expect in expects {
        match expect {
            Text::Exact(bytes) if actual != bytes.as_slice() => problems.push(format!(
                "{stream} differs\n  expected: {}\n  actual:   {}",
                show(bytes),
                show(actual)
            )),
            Text::Contains(part) if !text.contains(part.as_str()) => {
                problems.push(format!("{stream} lacks {part:?}"))
            }
            Text::Lacks(part) if text.contains(part.as_str()) => {
                problems.push(format!("{stream} unexpectedly contains {part:?}"))
            }
            _ => {}
        }
    }
}

struct Output {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn execute(dir: &Path, args: &[String], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_BACKTRACE")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn awaitify");
    let writer = child.stdin.take().map(|mut pipe| {
        let bytes = stdin.unwrap_or_default().to_vec();
        std::thread::spawn(move || {
            // The binary may exit without reading everything; that is not our failure.
            let _ = pipe.write_all(&bytes);
        })
    });
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for awaitify") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("awaitify {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Output {
        code: status.code(),
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

fn run_step(name: &str, index: usize, dir: &Path, step: &Step) {
    // Snapshots for `kept`, after resetting the mtime (a rewrite then always shows).
    let mut before = Vec::new();
    for (path, expect) in &step.files {
        if let FileExpect::Kept = expect {
            let full = dir.join(path);
            if let Ok(file) = fs::File::open(&full) {
                let _ = file.set_modified(old_mtime());
            }
            before.push((path.clone(), snapshot(&full)));
        }
    }
    let owners: Vec<(String, Option<(u32, u32)>)> = step
        .files
        .iter()
        .filter(|(_, expect)| matches!(expect, FileExpect::OwnerKept))
        .map(|(path, _)| {
            let owner = fs::metadata(dir.join(path))
                .ok()
                .map(|m| (m.uid(), m.gid()));
            (path.clone(), owner)
        })
        .collect();

    let output = execute(dir, &step.args, step.stdin.as_deref());
    let mut problems = Vec::new();

    if let Some(code) = step.code {
        if output.code != Some(code) {
            problems.push(format!("exit code: expected {code}, got {:?}", output.code));
        }
    }
    check_text("stdout", &output.stdout, &step.stdout, &mut problems);
    check_text("stderr", &output.stderr, &step.stderr, &mut problems);

    for (path, expect) in &step.files {
        let full = dir.join(path);
        match expect {
            FileExpect::Kept => {
                let old = before
                    .iter()
                    .find(|(p, _)| p == path)
                    .and_then(|(_, s)| s.as_ref());
                let new = snapshot(&full);
                match (old, &new) {
                    (Some(old), Some(new)) => {
                        if old.bytes != new.bytes {
                            problems.push(format!("{path}: content changed"));
                        }
                        if old.ino != new.ino {
                            problems.push(format!("{path}: replaced (inode changed)"));
                        }
                        if old.mtime != new.mtime {
                            problems.push(format!("{path}: mtime changed"));
                        }
                    }
                    (None, _) => problems.push(format!("{path}: did not exist before the step")),
                    (Some(_), None) => problems.push(format!("{path}: gone after the step")),
                }
            }
            FileExpect::Bytes(bytes) => match fs::read(&full) {
                Ok(actual) if actual == *bytes => {}
                Ok(actual) => problems.push(format!(
                    "{path}: content differs\n  expected: {}\n  actual:   {}",
                    show(bytes),
                    show(&actual)
                )),
                Err(e) => problems.push(format!("{path}: cannot read: {e}")),
            },
            FileExpect::Mode(mode) => match fs::metadata(&full) {
                Ok(meta) if meta.permissions().mode() & 0o7777 == *mode => {}
                Ok(meta) => problems.push(format!(
                    "{path}: mode {:o}, expected {mode:o}",
                    meta.permissions().mode() & 0o7777
                )),
                Err(e) => problems.push(format!("{path}: {e}")),
            },
            FileExpect::Symlink(target) => match fs::read_link(&full) {
                Ok(actual) if actual == *target => {}
                Ok(actual) => problems.push(format!(
                    "{path}: symlink to {}, expected {}",
                    actual.display(),
                    target.display()
                )),
                Err(e) => problems.push(format!("{path}: no longer a symbolic link ({e})")),
            },
            FileExpect::Absent => {
                if fs::symlink_metadata(&full).is_ok() {
                    problems.push(format!("{path}: exists"));
                }
            }
            FileExpect::OwnerKept => {
                let old = owners.iter().find(|(p, _)| p == path).and_then(|(_, o)| *o);
                let new = fs::metadata(&full).ok().map(|m| (m.uid(), m.gid()));
                if old != new {
                    problems.push(format!(
                        "{path}: owner (uid, gid) was {old:?}, is now {new:?}"
                    ));
                }
            }
        }
    }

    let mut leftovers = Vec::new();
    leftover_temp_files(dir, &mut leftovers);
    for path in leftovers {
        problems.push(format!("temporary file left behind: {}", path.display()));
    }

    let outcome = Outcome {
        dir,
        code: output.code,
        stdout: &output.stdout,
        stderr: &output.stderr,
    };
    for check in &step.checks {
        if let Err(problem) = check(&outcome) {
            problems.push(problem);
        }
    }

    if !problems.is_empty() {
        let mut report = String::new();
        let _ = writeln!(
            report,
            "case `{name}`, step {} (awaitify {}):",
            index + 1,
            step.args.join(" ")
        );
        for problem in &problems {
            let _ = writeln!(report, "- {problem}");
        }
        let _ = writeln!(report, "exit code: {:?}", output.code);
        let _ = writeln!(report, "stdout: {}", show(&output.stdout));
        let _ = writeln!(report, "stderr: {}", show(&output.stderr));
        panic!("{report}");
    }
}

/// Declares one `#[test]` per case: `name => Case::new()...;`, with optional attributes
/// (`#[ignore = "BUG: ..."]`) before the name.
#[macro_export]
macro_rules! cases {
    ($($(#[$attr:meta])* $name:ident => $case:expr;)*) => {
        $(
            #[test]
            $(#[$attr])*
            fn $name() {
                let case: $crate::harness::Case = $case;
                case.run_all(stringify!($name));
            }
        )*
    };
}
