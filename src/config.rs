//! Configuration: `[tool.awaitify]` in `pyproject.toml`, or an `awaitify.toml`.
//!
//! The nearest file from the current directory upwards is used (an `awaitify.toml` wins over a
//! `pyproject.toml` in the same folder, and a `pyproject.toml` counts only when it has a
//! `[tool.awaitify]` table); `--config PATH` names one, `--isolated` ignores them all. Command
//! line options override the file. Unknown keys and bad values are errors naming the file and
//! the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The `[tool.awaitify]` table (or the top level of `awaitify.toml`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Recipes to enable (codes, prefixes, ids, `ALL`).
    pub select: Option<Vec<String>>,
    /// Recipes to disable.
    pub ignore: Option<Vec<String>>,
    /// Globs of files and folders to skip, replacing nothing (awaitify has no default
    /// excludes beyond hidden folders, virtualenvs and build folders).
    pub exclude: Option<Vec<String>>,
    /// More globs to skip.
    pub extend_exclude: Option<Vec<String>>,
    /// Glob → recipes disabled in matching files.
    pub per_file_ignores: Option<BTreeMap<String, Vec<String>>>,
    /// Apply unsafe fixes too.
    pub unsafe_fixes: Option<bool>,
    /// Migration phases to run (1, 2, 3).
    pub phase: Option<Vec<u8>>,
    /// How subprocess calls are migrated: `"native"` (asyncio subprocesses, the default) or
    /// `"thread"` (`asyncio.to_thread`).
    pub subprocess_strategy: Option<String>,
    /// Calls to report in async code: dotted name → async replacement (or `""`).
    pub blocking_calls: Option<BTreeMap<String, String>>,
}

impl Options {
    /// Takes every key `other` sets.
    fn merge(&mut self, other: Options) {
        let Options {
            select,
            ignore,
            exclude,
            extend_exclude,
            per_file_ignores,
            unsafe_fixes,
            phase,
            subprocess_strategy,
            blocking_calls,
        } = other;
        self.select = select.or(self.select.take());
        self.ignore = ignore.or(self.ignore.take());
        self.exclude = exclude.or(self.exclude.take());
        self.extend_exclude = extend_exclude.or(self.extend_exclude.take());
        self.per_file_ignores = per_file_ignores.or(self.per_file_ignores.take());
        self.unsafe_fixes = unsafe_fixes.or(self.unsafe_fixes.take());
        self.phase = phase.or(self.phase.take());
        self.subprocess_strategy = subprocess_strategy.or(self.subprocess_strategy.take());
        self.blocking_calls = blocking_calls.or(self.blocking_calls.take());
    }
}

/// A configuration file and what it says.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// The file the options came from (`None`: defaults).
    pub path: Option<PathBuf>,
    pub options: Options,
}

impl Config {
    /// The folder relative to which the file's globs are matched.
    pub fn root(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    awaitify: Option<toml::Value>,
}

fn parse_options(path: &Path, value: toml::Value, table: &str) -> Result<Options> {
    // Each key on its own, so that an error names the key.
    let toml::Value::Table(entries) = value else {
        bail!("{}: {table} must be a table", path.display());
    };
    let mut options = Options::default();
    for (key, value) in entries {
        let single = toml::Table::from_iter([(key.clone(), value)]);
        let one: Options =
            toml::Value::Table(single)
                .try_into()
                .map_err(|error: toml::de::Error| {
                    anyhow::anyhow!("{}: {table}: `{key}`: {}", path.display(), error.message())
                })?;
        options.merge(one);
    }
    if let Some(phases) = &options.phase {
        if let Some(bad) = phases.iter().find(|p| !(1..=3).contains(*p)) {
            bail!(
                "{}: {table}: `phase` must list phases 1 to 3, found {bad}",
                path.display()
            );
        }
    }
    if let Some(calls) = &options.blocking_calls {
        if let Some(bad) = calls.keys().find(|name| {
            name.split('.').any(|part| {
                part.is_empty() || !part.chars().all(|c| c.is_alphanumeric() || c == '_')
            })
        }) {
            bail!(
                "{}: {table}: `blocking-calls`: `{bad}` is not a dotted name like `requests.get`",
                path.display()
            );
        }
    }
    if let Some(strategy) = &options.subprocess_strategy {
        if crate::pipeline::SubprocessStrategy::from_name(strategy).is_none() {
            bail!(
                "{}: {table}: `subprocess-strategy` must be \"native\" or \"thread\", found {strategy:?}",
                path.display()
            );
        }
    }
    Ok(options)
}

/// A TOML syntax error as `path:line:column: message` (one-based, the column in characters).
fn toml_error(path: &Path, text: &str, error: &toml::de::Error) -> anyhow::Error {
    let message = error.message().trim_end();
    let Some(span) = error.span() else {
        return anyhow::anyhow!("{}: invalid TOML: {message}", path.display());
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    anyhow::anyhow!(
        "{}:{line}:{column}: invalid TOML: {message}",
        path.display()
    )
}

/// Reads one configuration file: `awaitify.toml` (top-level keys) or `pyproject.toml`
/// (`[tool.awaitify]`). `Ok(None)` for a `pyproject.toml` without that table.
pub fn read(path: &Path) -> Result<Option<Config>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let value = if is_pyproject {
        let pyproject: PyProject =
            toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
        match pyproject.tool.and_then(|tool| tool.awaitify) {
            Some(value) => value,
            None => return Ok(None),
        }
    } else {
        toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?
    };
    let table = if is_pyproject {
        "[tool.awaitify]"
    } else {
        "awaitify.toml"
    };
    let options = parse_options(path, value, table)?;
    Ok(Some(Config {
        path: Some(path.to_path_buf()),
        options,
    }))
}

/// The configuration in force: `explicit` if given, else the nearest file from `start` up.
pub fn discover(explicit: Option<&Path>, isolated: bool, start: &Path) -> Result<Config> {
    if isolated {
        return Ok(Config::default());
    }
    if let Some(path) = explicit {
        return match read(path)? {
            Some(config) => Ok(config),
            None => bail!("{}: no [tool.awaitify] table", path.display()),
        };
    }
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    for dir in start.ancestors() {
        for name in ["awaitify.toml", "pyproject.toml"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                if let Some(config) = read(&candidate)? {
                    return Ok(config);
                }
            }
        }
    }
    Ok(Config::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_pyproject_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "pyproject.toml",
            "[project]\nname = 'x'\n[tool.awaitify]\nselect = ['AW1']\nunsafe-fixes = true\nphase = [1]\n",
        );
        let config = read(&path).unwrap().unwrap();
        assert_eq!(config.options.select, Some(vec!["AW1".to_owned()]));
        assert_eq!(config.options.unsafe_fixes, Some(true));

        write(
            dir.path(),
            "pyproject.toml",
            "[tool.awaitify]\nselekt = ['AW1']\n",
        );
        let error = read(&path).unwrap_err().to_string();
        assert!(
            error.contains("[tool.awaitify]") && error.contains("selekt"),
            "{error}"
        );

        write(
            dir.path(),
            "pyproject.toml",
            "[tool.awaitify]\nphase = [4]\n",
        );
        assert!(read(&path).unwrap_err().to_string().contains("phase"));

        write(dir.path(), "pyproject.toml", "[project]\nname = 'x'\n");
        assert!(read(&path).unwrap().is_none());
    }

    #[test]
    fn toml_errors_have_a_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "pyproject.toml",
            "[project]\nname = 'x'\n[tool.awaitify\n",
        );
        let error = read(&path).unwrap_err().to_string();
        assert!(
            error.contains("pyproject.toml:3:15: invalid TOML"),
            "{error}"
        );
    }

    #[test]
    fn discovers_the_nearest_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "awaitify.toml", "ignore = ['AW103']\n");
        let sub = dir.path().join("pkg/sub");
        std::fs::create_dir_all(&sub).unwrap();
        let config = discover(None, false, &sub).unwrap();
        assert_eq!(config.options.ignore, Some(vec!["AW103".to_owned()]));
        assert!(discover(None, true, &sub).unwrap().path.is_none());
    }
}
