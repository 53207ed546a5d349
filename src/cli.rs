//! The command line: `check`, `fix`, `recipes`, `explain`.
//!
//! Exit codes, as in ruff: 0 nothing found (or nothing to change), 1 findings (or pending
//! changes), 2 an error happened (a bad file, a bad flag); errors are reported after every other
//! file was processed.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::codemods::RECIPES;
use crate::discovery::{build_excludes, discover};
use crate::output::{self, OutputFormat, Style};
use crate::pipeline::{PerFileIgnore, Settings, SubprocessStrategy};
use crate::run::{run_files, FileError, FileReport, Mode};
use crate::source::SourceText;

#[derive(Debug, Parser)]
#[command(
    name = "awaitify",
    version,
    about = "Migrate blocking calls in Python asyncio code to async code"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report blocking calls in async code.
    Check(CheckArgs),
    /// Migrate them: show a diff (default), or write the changes with --write.
    Fix(FixArgs),
    /// The async/await audit of the paths: findings by category and file, blocking calls
    /// outside async code, clean modules, and the migration plan by phase.
    Report(ReportArgs),
    /// List every recipe.
    Recipes {
        #[arg(long, value_enum, default_value_t = RecipesFormat::Text)]
        output_format: RecipesFormat,
    },
    /// Show a recipe's documentation.
    Explain {
        /// A code (AW101) or recipe id (time-sleep).
        code: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RecipesFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StrategyArg {
    Native,
    Thread,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// Files or directories to process (`-` reads standard input).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Recipes to enable: codes, code prefixes, recipe ids, or ALL (comma-separated).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Recipes to disable (same forms as --select).
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Skip files and folders matching this glob (repeatable; adds to the configuration's).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Run only the recipes of these migration phases (comma-separated: 1, 2, 3).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u8).range(1..=3))]
    phase: Vec<u8>,
    /// Use this configuration file (`pyproject.toml` with `[tool.awaitify]`, or `awaitify.toml`).
    #[arg(long, value_name = "PATH", conflicts_with = "isolated")]
    config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    isolated: bool,
    /// Also apply (and count as fixable) fixes marked unsafe.
    #[arg(long, overrides_with = "no_unsafe_fixes")]
    unsafe_fixes: bool,
    /// Do not apply unsafe fixes, whatever the configuration says.
    #[arg(long, overrides_with = "unsafe_fixes")]
    no_unsafe_fixes: bool,
    /// How subprocess calls are migrated: asyncio subprocesses (`native`, the default) or
    /// `asyncio.to_thread` (`thread`); overrides `subprocess-strategy` in the configuration.
    #[arg(long, value_enum, value_name = "STRATEGY")]
    subprocess_strategy: Option<StrategyArg>,
    /// The file name to report for standard input.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// When to color the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// How findings are printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output_format: OutputFormat,
    /// Print the number of findings per code instead of the findings.
    #[arg(long)]
    statistics: bool,
    /// Exit 0 even when there are findings (errors still exit 2).
    #[arg(long)]
    exit_zero: bool,
}

#[derive(Debug, Args)]
struct FixArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Print a unified diff of the changes and write nothing (the default).
    #[arg(long, conflicts_with = "write")]
    diff: bool,
    /// Apply the changes in place.
    #[arg(long)]
    write: bool,
    /// `json` prints a machine-readable summary on stdout (instead of the diff): files
    /// changed, fixes applied per code, fixes withheld as unsafe, findings remaining, errors.
    #[arg(long, value_enum, default_value_t = FixFormat::Text)]
    output_format: FixFormat,
    /// With --write, exit 1 when anything was fixed (as ruff does), even if nothing remains.
    #[arg(long)]
    exit_non_zero_on_fix: bool,
}

#[derive(Debug, Args)]
struct ReportArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Markdown (default) or JSON.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FixFormat {
    Text,
    Json,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Deeply nested code (a 20,000-term expression) recurses deep in the parser and the
    // walks: every thread that processes a file gets a large stack.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_SIZE)
        .build_global();
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || run(cli));
    let result = match worker {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("internal error: the run panicked"))),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`awaitify explain AW101 | head -3`) ends the output quietly.
        Err(error) if is_broken_pipe(&error) => ExitCode::from(2),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

const STACK_SIZE: usize = 256 << 20;

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Fix(args) => fix(args),
        Command::Report(args) => report(args),
        Command::Recipes { output_format } => {
            recipes(output_format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { code } => explain(&code),
    }
}

/// The settings in force: the configuration file, overridden by the command line.
fn settings(common: &CommonArgs) -> Result<(Settings, Vec<String>)> {
    let config =
        crate::config::discover(common.config.as_deref(), common.isolated, Path::new("."))?;
    let options = &config.options;
    let file = config
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let (select, select_name) = if common.select.is_empty() {
        (
            options.select.clone().unwrap_or_default(),
            format!("`select` in {file}"),
        )
    } else {
        (common.select.clone(), "--select".to_owned())
    };
    let mut ignore = options.ignore.clone().unwrap_or_default();
    crate::selection::resolve_in(&[], &ignore, "", &format!("`ignore` in {file}"))?;
    ignore.extend(common.ignore.iter().cloned());
    let mut recipes = crate::selection::resolve_in(&select, &ignore, &select_name, "--ignore")?;
    let phases = if common.phase.is_empty() {
        options.phase.clone().unwrap_or_default()
    } else {
        common.phase.clone()
    };
    if !phases.is_empty() {
        recipes.retain(|r| phases.contains(&r.meta().phase));
        for phase in &phases {
            if !RECIPES.iter().any(|r| r.meta().phase == *phase) {
                eprintln!("warning: no recipe belongs to phase {phase} yet");
            }
        }
    }
    let unsafe_fixes = if common.no_unsafe_fixes {
        false
    } else {
        common.unsafe_fixes || options.unsafe_fixes.unwrap_or(false)
    };
    let mut settings = Settings::new(recipes, unsafe_fixes);
    settings.subprocess_strategy = match common.subprocess_strategy {
        Some(StrategyArg::Native) => SubprocessStrategy::Native,
        Some(StrategyArg::Thread) => SubprocessStrategy::Thread,
        None => options
            .subprocess_strategy
            .as_deref()
            .and_then(SubprocessStrategy::from_name)
            .unwrap_or_default(),
    };
    let root = config
        .root()
        .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.to_path_buf()))
        .unwrap_or_default();
    for (pattern, codes) in options.per_file_ignores.iter().flatten() {
        let glob = globset::Glob::new(pattern)
            .with_context(|| format!("{file}: `per-file-ignores`: invalid glob `{pattern}`"))?
            .compile_matcher();
        let recipes =
            crate::selection::resolve_in(codes, &[], &format!("`per-file-ignores` in {file}"), "")?;
        settings.per_file_ignores.push(PerFileIgnore {
            glob,
            root: root.clone(),
            recipes,
        });
    }
    for (name, replacement) in options.blocking_calls.iter().flatten() {
        settings
            .declared_blocking
            .push(crate::pipeline::DeclaredCall {
                name: name.split('.').map(str::to_owned).collect(),
                replacement: replacement.clone(),
            });
    }
    // The configuration's globs are relative to its folder (a bare name matches anywhere).
    let mut excludes: Vec<String> = Vec::new();
    for (key, patterns) in [
        ("exclude", &options.exclude),
        ("extend-exclude", &options.extend_exclude),
    ] {
        for pattern in patterns.iter().flatten() {
            globset::Glob::new(pattern)
                .with_context(|| format!("{file}: `{key}`: invalid glob `{pattern}`"))?;
            let relative = pattern
                .strip_prefix("./")
                .unwrap_or(pattern)
                .trim_end_matches('/');
            if relative.contains('/')
                && !relative.starts_with("**/")
                && !Path::new(relative).is_absolute()
            {
                excludes.push(root.join(relative).display().to_string());
            } else {
                excludes.push(pattern.clone());
            }
        }
    }
    excludes.extend(common.exclude.iter().cloned());
    Ok((settings, excludes))
}

fn style(choice: ColorChoice, stream_is_terminal: bool) -> Style {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stream_is_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    Style { color }
}

fn is_stdin(common: &CommonArgs) -> bool {
    matches!(common.paths.as_slice(), [p] if p.as_os_str() == "-")
}

/// Runs `mode` over the paths (or standard input); errors of discovery become reports too.
fn collect(
    common: &CommonArgs,
    excludes: &[String],
    mode: Mode,
    settings: &Settings,
) -> Result<Vec<FileReport>> {
    if is_stdin(common) {
        let path = common
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("-"));
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        let mut report = FileReport::empty(path);
        match SourceText::decode(bytes.clone()) {
            Ok(source) => {
                // Standard input is never written back: Write means "print the fixed text".
                let mode = if mode == Mode::Check {
                    Mode::Check
                } else {
                    Mode::Diff
                };
                crate::project::run::process_stdin(&mut report, &source, mode, settings);
                report.stdin = Some((bytes, Some(source)));
            }
            Err(error) => {
                report.error = Some(FileError::Decode(error.to_string()));
                report.stdin = Some((bytes, None));
            }
        }
        return Ok(vec![report]);
    }
    let excludes = build_excludes(excludes)?;
    let found = discover(&common.paths, &excludes);
    let mut reports = run_files(&found.files, mode, settings);
    for (path, message) in found.errors {
        let mut report = FileReport::empty(path);
        report.error = Some(FileError::Io(message));
        reports.push(report);
    }
    Ok(reports)
}

fn print_errors(reports: &[FileReport]) -> bool {
    let mut any = false;
    let mut stderr = std::io::stderr().lock();
    for report in reports {
        if let Some(error) = &report.error {
            let _ = writeln!(stderr, "{}", error.render(&report.path));
            any = true;
        }
    }
    any
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let (settings, excludes) = settings(&args.common)?;
    let reports = collect(&args.common, &excludes, Mode::Check, &settings)?;
    let style = style(args.common.color, std::io::stdout().is_terminal());
    let mut stdout = std::io::stdout().lock();
    if args.statistics {
        write!(stdout, "{}", output::statistics(&reports, &settings))?;
    } else {
        write!(
            stdout,
            "{}",
            output::print_findings(&reports, args.output_format, &settings, style)
        )?;
        if args.output_format == OutputFormat::Text {
            write!(stdout, "{}", output::check_summary(&reports, &settings))?;
        }
    }
    stdout.flush()?;
    drop(stdout);
    let errors = print_errors(&reports);
    let findings = reports.iter().any(|r| !r.diagnostics.is_empty());
    Ok(if errors {
        ExitCode::from(2)
    } else if findings && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn fix(args: FixArgs) -> Result<ExitCode> {
    let (settings, excludes) = settings(&args.common)?;
    let mode = if args.write { Mode::Write } else { Mode::Diff };
    let reports = collect(&args.common, &excludes, mode, &settings)?;
    let stderr_style = style(args.common.color, std::io::stderr().is_terminal());

    if is_stdin(&args.common) && args.output_format == FixFormat::Json {
        anyhow::bail!("`--output-format json` does not go with `-`: standard input's fixed source is the output");
    }
    if is_stdin(&args.common) {
        // The fixed source (or, on error, the original, so nothing is lost) goes to stdout.
        let report = &reports[0];
        match &report.stdin {
            Some((_, Some(source))) if report.error.is_none() => {
                std::io::stdout().write_all(&source.encode(&report.text))?;
            }
            Some((bytes, _)) => std::io::stdout().write_all(bytes)?,
            None => {}
        }
        let errors = print_errors(&reports);
        eprint!(
            "{}",
            output::fix_summary(&reports, &settings, true, stderr_style)
        );
        let fixed = reports.iter().any(|r| !r.applied.is_empty());
        let remaining = reports.iter().any(|r| !r.diagnostics.is_empty());
        return Ok(exit_after_fix(
            errors,
            remaining || (args.exit_non_zero_on_fix && fixed),
        ));
    }

    let errors_happened = reports.iter().any(|r| r.error.is_some());
    if args.output_format == FixFormat::Json {
        let summary = output::fix_json(&reports, &settings, args.write);
        println!("{}", serde_json::to_string_pretty(&summary)?);
        print_errors(&reports);
    }
    let stdout_style = style(args.common.color, std::io::stdout().is_terminal());
    if args.output_format == FixFormat::Json {
        // The summary is the output.
    } else if !args.write {
        let mut stdout = std::io::stdout().lock();
        for report in &reports {
            write!(stdout, "{}", output::diff(report, stdout_style))?;
        }
        stdout.flush()?;
    }
    let errors = if args.output_format == FixFormat::Json {
        errors_happened
    } else {
        let errors = print_errors(&reports);
        eprint!(
            "{}",
            output::fix_summary(&reports, &settings, args.write, stderr_style)
        );
        errors
    };
    if args.write {
        let fixed = reports.iter().any(|r| !r.applied.is_empty());
        let remaining = reports.iter().any(|r| !r.diagnostics.is_empty());
        Ok(exit_after_fix(
            errors,
            remaining || (args.exit_non_zero_on_fix && fixed),
        ))
    } else {
        let pending = reports.iter().any(FileReport::changed);
        Ok(exit_after_fix(errors, pending))
    }
}

fn report(args: ReportArgs) -> Result<ExitCode> {
    let (settings, excludes) = settings(&args.common)?;
    let reports = collect(&args.common, &excludes, Mode::Audit, &settings)?;
    let paths: Vec<String> = args
        .common
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let audit = crate::report::build(&reports, &settings, &paths);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        ReportFormat::Markdown => write!(stdout, "{}", crate::report::markdown(&audit))?,
        ReportFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&audit)?)?,
    }
    stdout.flush()?;
    drop(stdout);
    let errors = print_errors(&reports);
    Ok(if errors {
        ExitCode::from(2)
    } else if audit.total_in_async_code > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn exit_after_fix(errors: bool, non_zero: bool) -> ExitCode {
    if errors {
        ExitCode::from(2)
    } else if non_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn recipes(format: RecipesFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        RecipesFormat::Json => {
            let metas: Vec<_> = RECIPES.iter().map(|r| r.meta()).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&metas)?)?;
        }
        RecipesFormat::Text => {
            writeln!(
                out,
                "{:<7} {:<24} {:<6} {:<10} {:<9} SUMMARY",
                "CODE", "ID", "PHASE", "FIX", "RUFF"
            )?;
            for recipe in RECIPES {
                let m = recipe.meta();
                writeln!(
                    out,
                    "{:<7} {:<24} {:<6} {:<10} {:<9} {}",
                    m.code,
                    m.id,
                    m.phase,
                    m.fix.as_str(),
                    m.ruff_equivalent.unwrap_or("-"),
                    m.summary
                )?;
            }
        }
    }
    Ok(out.flush()?)
}

fn explain(code: &str) -> Result<ExitCode> {
    let Some(recipe) = crate::codemods::find(code) else {
        anyhow::bail!("unknown recipe `{code}`; `awaitify recipes` lists them");
    };
    let m = recipe.meta();
    let mut out = std::io::stdout().lock();
    writeln!(out, "# {} ({})\n", m.id, m.code)?;
    writeln!(out, "Phase {}. Fix: {}.", m.phase, m.fix.as_str())?;
    if let Some(ruff) = m.ruff_equivalent {
        writeln!(
            out,
            "Detected by ruff as {ruff}; awaitify also migrates it."
        )?;
    }
    writeln!(out, "\n{}", crate::recipe::explanation(m).trim_end())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
