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
use crate::discovery::{build_excludes, discover_with};
use crate::file::{FileError, FileReport, Mode};
use crate::output::{self, OutputFormat, Style};
use crate::pipeline::{PerFileIgnore, Settings, SubprocessStrategy};
use crate::run::run_files;
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
    /// Report blocking calls in async code (`--fix` applies the fixes, `--diff` shows them).
    Check(CheckArgs),
    /// Migrate them: show a diff (default), or write the changes with --write.
    Fix(FixArgs),
    /// The async/await audit of the paths: findings by category and file, call paths drawn as
    /// Mermaid graphs, blocking calls outside async code, clean modules, and the migration
    /// plan by phase.
    Report(ReportArgs),
    /// List every recipe.
    Recipes {
        #[arg(long, value_enum, default_value_t = RecipesFormat::Text)]
        output_format: RecipesFormat,
    },
    /// Show a recipe's documentation (`rule` is ruff's name for it).
    #[command(alias = "rule")]
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
    /// Files or directories to process (default: the working directory; `-` reads standard
    /// input).
    paths: Vec<PathBuf>,
    /// Recipes to enable: codes, code prefixes, recipe ids, or ALL (comma-separated).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Recipes to enable in addition to those selected (same forms as --select).
    #[arg(long, value_delimiter = ',')]
    extend_select: Vec<String>,
    /// Recipes to disable (same forms as --select).
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Skip files and folders matching this glob (repeatable; adds to the configuration's).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Apply the excludes to files named on the command line too (for pre-commit).
    #[arg(long)]
    force_exclude: bool,
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
    /// Read standard input and report it under this name (as ruff, the paths are then
    /// ignored).
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// When to color the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print findings and diffs only: no summary, no warning.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print the configuration file used, the files and recipes, and the time taken.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// How findings are printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Concise)]
    output_format: OutputFormat,
    /// Print the number of findings per code instead of the findings.
    #[arg(long)]
    statistics: bool,
    /// Exit 0 even when there are findings (errors still exit 2).
    #[arg(long, short = 'e')]
    exit_zero: bool,
    /// Apply the fixes (as `awaitify fix --write`), then report what remains.
    #[arg(long)]
    fix: bool,
    /// Print a unified diff of the fixes and write nothing (as `awaitify fix`).
    #[arg(long)]
    diff: bool,
    /// With --fix, list the fixes applied, per file and code.
    #[arg(long, conflicts_with = "diff")]
    show_fixes: bool,
    /// With --fix, exit 1 when anything was fixed, even if nothing remains.
    #[arg(long)]
    exit_non_zero_on_fix: bool,
    /// List the files that would be checked, and nothing else.
    #[arg(long)]
    show_files: bool,
    /// Print the settings in force (configuration file, recipes, excludes...), and nothing else.
    #[arg(long)]
    show_settings: bool,
    /// Not supported (see the README): exits 2 with the reason.
    #[arg(long, short = 'w', hide = true)]
    watch: bool,
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
    /// Exit 0 even when changes are pending or findings remain (errors still exit 2).
    #[arg(long, short = 'e')]
    exit_zero: bool,
    /// List the fixes applied (or that would be), per file and code.
    #[arg(long)]
    show_fixes: bool,
}

#[derive(Debug, Args)]
struct ReportArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Markdown (default) or JSON (`--format` is the old name).
    #[arg(long, alias = "format", value_enum, default_value_t = ReportFormat::Markdown)]
    output_format: ReportFormat,
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
        // A closed pipe (`awaitify explain AW101 | head -3`) ends the output quietly, as in
        // ruff and cat: the reader has what it wanted.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

const STACK_SIZE: usize = 256 << 20;

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
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
/// The settings in force, the exclude globs, and the configuration file they came from.
struct Resolved {
    settings: Settings,
    excludes: Vec<String>,
    config: Option<PathBuf>,
}

fn settings(common: &CommonArgs) -> Result<Resolved> {
    let config =
        crate::config::discover(common.config.as_deref(), common.isolated, Path::new("."))?;
    let options = &config.options;
    let file = config
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let (mut select, select_name) = if common.select.is_empty() {
        (
            options.select.clone().unwrap_or_default(),
            format!("`select` in {file}"),
        )
    } else {
        (common.select.clone(), "--select".to_owned())
    };
    crate::selection::resolve_in(&common.extend_select, &[], "--extend-select", "")?;
    // Nothing selected means every recipe: extending that adds nothing.
    if !select.is_empty() {
        select.extend(common.extend_select.iter().cloned());
    }
    let mut ignore = options.ignore.clone().unwrap_or_default();
    crate::selection::resolve_in(&[], &ignore, "", &format!("`ignore` in {file}"))?;
    ignore.extend(common.ignore.iter().cloned());
    let mut recipes = crate::selection::resolve_in(&select, &ignore, &select_name, "--ignore")?;
    let phases = if common.phase.is_empty() {
        options.phase.clone().unwrap_or_default()
    } else {
        common.phase.clone()
    };
    let before_phases: Vec<&str> = recipes.iter().map(|r| r.meta().code).collect();
    if !phases.is_empty() {
        recipes.retain(|r| phases.contains(&r.meta().phase));
        for phase in &phases {
            if !RECIPES.iter().any(|r| r.meta().phase == *phase) && !common.quiet {
                eprintln!("warning: no recipe belongs to phase {phase} yet");
            }
        }
    }
    if recipes.is_empty() {
        let phase_list = phases
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(",");
        if before_phases.is_empty() {
            anyhow::bail!("no recipe is selected: every selected recipe is also ignored; `awaitify recipes` lists them");
        }
        anyhow::bail!(
            "no recipe is selected: phase {phase_list} has none of the selected recipes ({}); `awaitify recipes` lists each recipe's phase",
            before_phases.join(", ")
        );
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
    Ok(Resolved {
        settings,
        excludes,
        config: config.path.clone(),
    })
}

fn style(choice: ColorChoice, stream_is_terminal: bool) -> Style {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stream_is_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    Style { color }
}

/// Whether the input is standard input: `-`, or `--stdin-filename` (whose paths ruff ignores).
fn is_stdin(common: &CommonArgs) -> bool {
    common.stdin_filename.is_some()
        || matches!(common.paths.as_slice(), [p] if p.as_os_str() == "-")
}

/// The paths to process: the working directory when none is given.
fn paths(common: &CommonArgs) -> Vec<PathBuf> {
    if common.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        common.paths.clone()
    }
}

fn warn(common: &CommonArgs, message: &str) {
    if !common.quiet {
        eprintln!("warning: {message}");
    }
}

/// Runs `mode` over the paths (or standard input); errors of discovery become reports too.
fn collect(
    common: &CommonArgs,
    excludes: &[String],
    mode: Mode,
    settings: &Settings,
) -> Result<Vec<FileReport>> {
    if is_stdin(common) {
        if common.stdin_filename.is_some() {
            for path in common.paths.iter().filter(|p| p.as_os_str() != "-") {
                warn(
                    common,
                    &format!("ignoring {} in favor of standard input", path.display()),
                );
            }
        }
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
                // The other files of the project `--stdin-filename` names, for context.
                let context = match &common.stdin_filename {
                    Some(path) => {
                        let excludes = build_excludes(excludes)?;
                        let candidate = crate::discovery::Candidate {
                            path: path.clone(),
                            explicit: true,
                            size: 0,
                            context: false,
                        };
                        crate::project::layout::outside_paths(
                            &[],
                            std::slice::from_ref(&candidate),
                            &excludes,
                        )
                    }
                    None => Vec::new(),
                };
                crate::project::run::process_stdin(&mut report, &source, &context, mode, settings);
                report.stdin = Some((bytes, Some(source)));
            }
            Err(error) => {
                report.error = Some(FileError::Decode(error.to_string()));
                report.stdin = Some((bytes, None));
            }
        }
        return Ok(vec![report]);
    }
    let found = discover_files(common, excludes)?;
    let context = found.files.iter().filter(|c| c.context).count();
    if common.verbose {
        eprintln!(
            "awaitify: {} to process",
            output::plural(found.files.len() - context, "file", "files")
        );
        if context > 0 {
            eprintln!(
                "awaitify: {} of their projects outside the paths given or excluded, read for what they call and patch",
                output::plural(context, "file", "files")
            );
        }
    }
    // The layout's warnings are found beside the run (they only read paths) and shown
    // before its results.
    let (conflicts, run_reports) = rayon::join(
        || name_conflicts(&found),
        || run_files(&found.files, mode, settings),
    );
    warn_name_conflicts(common, conflicts);
    // The files read for context are not the run's: neither reported nor changed; one that
    // could not be read is a warning, as what it calls and patches is not known.
    let mut reports: Vec<FileReport> = Vec::with_capacity(run_reports.len());
    for (report, candidate) in run_reports.into_iter().zip(&found.files) {
        if !candidate.context {
            reports.push(report);
        } else if let Some(FileError::Io(message) | FileError::Decode(message)) = &report.error {
            warn(
                common,
                &format!(
                    "{}: {message} (a file of the project read for context: what it calls and patches is not known)",
                    report.path.display()
                ),
            );
        }
    }
    for (path, message) in found.errors {
        let mut report = FileReport::empty(path);
        report.error = Some(FileError::Io(message));
        reports.push(report);
    }
    Ok(reports)
}

/// The files to process; warnings for the paths skipped, and when there is no Python file.
fn discover_files(
    common: &CommonArgs,
    excludes: &[String],
) -> Result<crate::discovery::Discovered> {
    let excludes = build_excludes(excludes)?;
    let paths = paths(common);
    let mut found = discover_with(&paths, &excludes, common.force_exclude);
    // The rest of the projects the paths reach (outside them, or excluded), read for context
    // (see [`crate::discovery::Candidate::context`]).
    let context = crate::project::layout::outside_paths(&paths, &found.files, &excludes);
    found.files.extend(context);
    for (path, message) in &found.warnings {
        warn(common, &format!("{}: {message}", path.display()));
    }
    if found.files.is_empty() && found.errors.is_empty() {
        warn(common, "No Python files found under the given path(s)");
    }
    Ok(found)
}

/// Warnings for the module names two files claim (see
/// [`crate::project::layout::name_conflicts`]).
fn warn_name_conflicts(common: &CommonArgs, conflicts: Vec<String>) {
    for message in conflicts {
        warn(common, &message);
    }
}

fn name_conflicts(found: &crate::discovery::Discovered) -> Vec<String> {
    let files = found.files.iter().filter(|c| !c.context);
    crate::project::layout::name_conflicts(files.map(|c| c.path.as_path()))
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

fn verbose_start(common: &CommonArgs, resolved: &Resolved) {
    if common.verbose {
        let config = resolved
            .config
            .as_ref()
            .map_or("none (defaults)".to_owned(), |p| p.display().to_string());
        eprintln!("awaitify: configuration: {config}");
        let codes: Vec<&str> = resolved
            .settings
            .recipes
            .iter()
            .map(|r| r.meta().code)
            .collect();
        eprintln!("awaitify: recipes: {}", codes.join(", "));
    }
}

fn verbose_end(common: &CommonArgs, started: std::time::Instant) {
    if common.verbose {
        eprintln!("awaitify: done in {:.2}s", started.elapsed().as_secs_f64());
    }
}

/// `--show-settings`: the settings in force, one per line.
fn show_settings(resolved: &Resolved, common: &CommonArgs) -> Result<()> {
    let Resolved {
        settings,
        excludes,
        config,
    } = resolved;
    let mut out = std::io::stdout().lock();
    let config = config
        .as_ref()
        .map_or("none (defaults)".to_owned(), |p| p.display().to_string());
    writeln!(out, "configuration file: {config}")?;
    let recipes: Vec<String> = settings
        .recipes
        .iter()
        .map(|r| format!("{} ({})", r.meta().code, r.meta().id))
        .collect();
    writeln!(out, "recipes: {}", recipes.join(", "))?;
    writeln!(out, "unsafe-fixes: {}", settings.unsafe_fixes)?;
    let strategy = match settings.subprocess_strategy {
        SubprocessStrategy::Native => "native",
        SubprocessStrategy::Thread => "thread",
    };
    writeln!(out, "subprocess-strategy: {strategy}")?;
    writeln!(out, "exclude: [{}]", excludes.join(", "))?;
    writeln!(out, "force-exclude: {}", common.force_exclude)?;
    for ignore in &settings.per_file_ignores {
        let codes: Vec<&str> = ignore.recipes.iter().map(|r| r.meta().code).collect();
        writeln!(
            out,
            "per-file-ignores: {} = [{}]",
            ignore.glob.glob(),
            codes.join(", ")
        )?;
    }
    for call in &settings.declared_blocking {
        writeln!(
            out,
            "blocking-calls: {} = {:?}",
            call.name.join("."),
            call.replacement
        )?;
    }
    Ok(out.flush()?)
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    if args.watch {
        anyhow::bail!(
            "`--watch` is not supported: a run that rewrites files as they are saved fights the editor; rerun `awaitify check`, or use a file watcher (`watchexec -e py awaitify check`)"
        );
    }
    let started = std::time::Instant::now();
    let resolved = settings(&args.common)?;
    verbose_start(&args.common, &resolved);
    if args.show_settings {
        show_settings(&resolved, &args.common)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.show_files {
        let found = discover_files(&args.common, &resolved.excludes)?;
        warn_name_conflicts(&args.common, name_conflicts(&found));
        let mut out = std::io::stdout().lock();
        for file in &found.files {
            writeln!(out, "{}", file.path.display())?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.fix || args.diff {
        let run = FixRun {
            write: args.fix && !args.diff,
            json: false,
            exit_non_zero_on_fix: args.exit_non_zero_on_fix,
            exit_zero: args.exit_zero,
            show_fixes: args.show_fixes,
            check_format: Some(args.output_format),
        };
        let code = fix_run(&args.common, &resolved, &run);
        verbose_end(&args.common, started);
        return code;
    }
    let settings = &resolved.settings;
    let reports = collect(&args.common, &resolved.excludes, Mode::Check, settings)?;
    let style = style(args.common.color, std::io::stdout().is_terminal());
    let mut stdout = std::io::stdout().lock();
    if args.statistics {
        let json = args.output_format == OutputFormat::Json;
        write!(stdout, "{}", output::statistics(&reports, settings, json))?;
    } else {
        write!(
            stdout,
            "{}",
            output::print_findings(&reports, args.output_format, settings, style)
        )?;
        if args.output_format.emitter().is_text() && !args.common.quiet {
            write!(stdout, "{}", output::check_summary(&reports, settings))?;
        }
    }
    stdout.flush()?;
    drop(stdout);
    let errors = print_errors(&reports);
    verbose_end(&args.common, started);
    let findings = reports.iter().any(|r| !r.diagnostics.is_empty());
    Ok(if errors {
        ExitCode::from(2)
    } else if findings && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What a fixing run does: `fix` (`--write` or a dry run), `check --fix`, `check --diff`.
struct FixRun {
    write: bool,
    /// `fix --output-format json`: the machine-readable summary instead of the diff.
    json: bool,
    exit_non_zero_on_fix: bool,
    exit_zero: bool,
    show_fixes: bool,
    /// Set for `check --fix` / `check --diff`: the remaining findings are printed in this
    /// format, with `check`'s summary (`Found 3 findings (2 fixed, 1 remaining).`).
    check_format: Option<OutputFormat>,
}

fn fix(args: FixArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let resolved = settings(&args.common)?;
    verbose_start(&args.common, &resolved);
    let run = FixRun {
        // `fix -` prints the fixed source (as writing would), `fix --diff -` the diff.
        write: args.write || (is_stdin(&args.common) && !args.diff),
        json: args.output_format == FixFormat::Json,
        exit_non_zero_on_fix: args.exit_non_zero_on_fix,
        exit_zero: args.exit_zero,
        show_fixes: args.show_fixes,
        check_format: None,
    };
    let code = fix_run(&args.common, &resolved, &run);
    verbose_end(&args.common, started);
    code
}

fn fix_run(common: &CommonArgs, resolved: &Resolved, run: &FixRun) -> Result<ExitCode> {
    let settings = &resolved.settings;
    let stdin = is_stdin(common);
    if stdin && run.json {
        anyhow::bail!("`--output-format json` does not go with `-`: standard input's fixed source is the output");
    }
    let mode = if run.write { Mode::Write } else { Mode::Diff };
    let reports = collect(common, &resolved.excludes, mode, settings)?;
    let stderr_style = style(common.color, std::io::stderr().is_terminal());
    let stdout_style = style(common.color, std::io::stdout().is_terminal());
    let fixed = reports.iter().any(|r| !r.applied.is_empty());
    let remaining = reports.iter().any(|r| !r.diagnostics.is_empty());
    let pending = reports.iter().any(FileReport::changed);
    let mut stdout = std::io::stdout().lock();

    if run.json {
        let summary = output::fix_json(&reports, settings, run.write);
        writeln!(stdout, "{}", serde_json::to_string_pretty(&summary)?)?;
        stdout.flush()?;
        drop(stdout);
        let errors = print_errors(&reports);
        return Ok(fix_exit(run, errors, fixed, remaining, pending));
    }
    if stdin && run.write {
        // `fix -`, `check --fix -`: the fixed source (or, on error, the original, so nothing
        // is lost) goes to stdout.
        let report = &reports[0];
        match &report.stdin {
            Some((_, Some(source))) if report.error.is_none() => {
                stdout.write_all(&source.encode(&report.text))?;
            }
            Some((bytes, _)) => stdout.write_all(bytes)?,
            None => {}
        }
    } else if !run.write {
        // A dry run (also `fix --diff -`): the diff.
        for report in &reports {
            write!(stdout, "{}", output::diff(report, stdout_style))?;
        }
    } else if let Some(format) = run.check_format {
        // `check --fix`: what remains, as `check` prints it.
        write!(
            stdout,
            "{}",
            output::print_findings(&reports, format, settings, stdout_style)
        )?;
    }
    stdout.flush()?;
    drop(stdout);
    let errors = print_errors(&reports);
    warn_undeclared_dependencies(common, &reports, run.write);
    if !common.quiet {
        let summary = match run.check_format {
            Some(format) if run.write && format.emitter().is_text() => {
                output::check_fix_summary(&reports, settings, run.show_fixes)
            }
            Some(_) if run.write => String::new(),
            _ => output::fix_summary(&reports, settings, run.write, run.show_fixes, stderr_style),
        };
        if run.check_format.is_some() && run.write && !stdin {
            let mut stdout = std::io::stdout().lock();
            write!(stdout, "{summary}")?;
            stdout.flush()?;
        } else {
            eprint!("{summary}");
        }
    }
    Ok(fix_exit(run, errors, fixed, remaining, pending))
}

/// A warning for each distribution the fixes import that the project of a file they change
/// does not declare as a dependency (see [`output::undeclared_dependencies`]).
fn warn_undeclared_dependencies(common: &CommonArgs, reports: &[FileReport], written: bool) {
    for undeclared in output::undeclared_dependencies(reports) {
        let distribution = undeclared.distribution;
        let (whom, what) = match &undeclared.project {
            Some(project) => (
                format!("which the project in `{project}` does not declare as a dependency"),
                format!("add `{distribution}` to its dependencies"),
            ),
            None => (
                "which no project file above them declares".to_owned(),
                format!("install `{distribution}` where they run"),
            ),
        };
        let files = &undeclared.files;
        let mut shown: Vec<String> = files.iter().take(3).map(|f| format!("`{f}`")).collect();
        if files.len() > 3 {
            shown.push(format!("{} more", files.len() - 3));
        }
        let verb = if written { "made" } else { "would make" };
        warn(
            common,
            &format!(
                "the fixes {verb} {} import `{distribution}`, {whom}: {what}",
                shown.join(", ")
            ),
        );
    }
}

fn fix_exit(run: &FixRun, errors: bool, fixed: bool, remaining: bool, pending: bool) -> ExitCode {
    let non_zero = if run.write {
        remaining || (run.exit_non_zero_on_fix && fixed)
    } else {
        pending
    };
    if errors {
        ExitCode::from(2)
    } else if non_zero && !run.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn report(args: ReportArgs) -> Result<ExitCode> {
    let resolved = settings(&args.common)?;
    let settings = &resolved.settings;
    let reports = collect(&args.common, &resolved.excludes, Mode::Audit, settings)?;
    let paths: Vec<String> = paths(&args.common)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let audit = crate::report::build(&reports, settings, &paths);
    let mut stdout = std::io::stdout().lock();
    match args.output_format {
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
    if let Some(requires) = m.requires {
        writeln!(
            out,
            "Its fixes import `{requires}`: the project must then depend on it (`fix` warns when it does not)."
        )?;
    }
    writeln!(out, "\n{}", crate::recipe::explanation(m).trim_end())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
