"""A scripted, phase-by-phase migration of ``examples/``, the way a team runs it in CI.

The example project (the ``opsd`` daemon and ``concurrency/pinger.py``) is
copied to a temporary folder and migrated there, one ``awaitify fix --write``
per step, as the README's CI recipe suggests
(``awaitify fix --phase 1 --write src && pytest && awaitify fix --phase 2 ...``).
That chain, taken literally, stops after phase 1 on this project: ``fix --write``
exits 1 while findings remain unfixed, and the withheld unsafe fixes count, so
each step here reads the JSON summary instead of relying on the exit code:

====================  ===================================================
step                  command (always ``--isolated --output-format json``)
====================  ===================================================
``phase-1``           ``fix --phase 1 --write``: the safe fixes only
``phase-2``           ``fix --phase 2 --write``: AW201 makes the two sync
                      helpers of ``opsd/util.py`` that async handlers
                      reach (``wait_for_file`` from
                      ``Daemon.service_restart``, ``load_settings`` from
                      ``Daemon.config_get``) ``async def`` and awaits
                      their calls in ``opsd/server.py``
``phase-1-again``     ``fix --phase 1 --write``: the blocking calls now
                      inside those helpers are phase-1 findings in async
                      code; the safe fixes (``load_settings``'s
                      ``sqlite3`` -> ``aiosqlite``)
``phase-3``           ``fix --phase 3 --write``: nothing to do (AW301
                      reports calls a configuration declares blocking,
                      which ``--isolated`` ignores)
``phase-1-unsafe``    ``fix --phase 1 --write --unsafe-fixes``: the rest,
                      with ``wait_for_file``'s computed ``sleep(poll)``
====================  ===================================================

Phase 2 only converts the helpers (``async def`` + ``await``): the blocking
calls in their bodies are left to the phase 1 recipes "in the following
passes" (``awaitify explain AW201``), hence phase 1 runs again right after
phase 2, and the unsafe review comes last, once for everything phase 1 withheld.
The number of findings goes *up* at phase 2: each AW201 finding (reported once,
at the first blocking call of a helper) becomes one phase-1 finding per
blocking call of the converted body.

Each step's JSON summary is asserted against the ``check`` run before it (the
dry run ``awaitify check --isolated --output-format json`` on the original copy
for the first step): the safe fixes of the step's phase are applied, the unsafe
ones withheld with their reason, nothing errors; and against pinned tables.
After every step each ``.py`` file of the copy must still compile,
``awaitify check --isolated`` must report the expected counts, and running the
step again must change nothing.

Then the migrated code runs: each scenario below imports the modules of one
copy (original, after phase 1, after phase 2, after phase 1 again, after the
whole migration) in a fresh interpreter and exercises what runs without a
network or root (loopback TCP, a temporary SQLite file, ``uname``/``df``, and
fake ``systemctl`` / ``journalctl`` executables put first on ``PATH``).  A
migrated copy must give the same results as the original; the loop stalls are
measured separately and must have gone where a fix was applied.  The
documented behaviour change (``time.sleep(delay)`` -> ``await
asyncio.sleep(delay)`` no longer raises for a negative delay, the reason the
fix is unsafe) is asserted as such; a known bug (see ``KNOWN_BUGS``) is a
strict xfail that checks its exact symptom.
"""

from __future__ import annotations

import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
AWAITIFY_TIMEOUT_S = 120  # as in conftest.py: a hung binary fails the test
EXAMPLES = REPO_ROOT / "examples"
PROJECT = "project"  # the copy's folder name, passed relative to its parent as in CI

# --------------------------------------------------------------------------- #
# What the dry run on examples/ finds today (pinned, so that a change in the
# tool that loses or gains findings in both `check` and `fix` is still seen).
# --------------------------------------------------------------------------- #

# Phase 1: the blocking calls in async code.
EXPECTED_SAFE = {"AW101": 1, "AW103": 5}
EXPECTED_UNSAFE = {"AW101": 2, "AW102": 14}
# Phase 2: the blocking calls in sync helpers that async code reaches, one finding
# per blocking call (the connection's methods too), each a safe fix.
EXPECTED_PHASE_2 = {"AW201": 5}
EXPECTED_AW201 = {
    # (row, message) in opsd/util.py
    (15, "`time.sleep` blocks the event loop: async code reaches it through "
         "`opsd.server.Daemon.service_restart` → `wait_for_file` → `time.sleep`"),
    (22, "`sqlite3.connect` blocks the event loop: async code reaches it through "
         "`opsd.server.Daemon.config_get` → `load_settings` → `sqlite3.connect`"),
    (24, "`conn.execute` blocks the event loop: async code reaches it through "
         "`opsd.server.Daemon.config_get` → `load_settings` → `conn.execute`"),
    (24, "`(...).fetchall` blocks the event loop: async code reaches it through "
         "`opsd.server.Daemon.config_get` → `load_settings` → `(...).fetchall`"),
    (26, "`conn.close` blocks the event loop: async code reaches it through "
         "`opsd.server.Daemon.config_get` → `load_settings` → `conn.close`"),
}
EXPECTED_TOTAL = 27  # = the above: every finding on the example has a fix

# Files (relative to the copy) with phase-1 findings whose fixes are safe / unsafe.
SAFE_FILES = {"concurrency/pinger.py", "opsd/shell.py"}
UNSAFE_FILES = {"opsd/health.py", "opsd/inventory.py"}

# What each step's JSON summary says: (exit code, files changed, fixes applied,
# unsafe fixes withheld), per code.
EXPECTED_STEPS = {
    "phase-1": (1, SAFE_FILES, EXPECTED_SAFE, EXPECTED_UNSAFE),
    "phase-2": (0, {"opsd/util.py", "opsd/server.py"}, EXPECTED_PHASE_2, {}),
    # The converted helpers' bodies: `load_settings`' connection (connect,
    # execute, fetchall, close: closed in a `finally`, but withheld as unsafe
    # while inventory.py's connections to the same database stay on the loop)
    # and `wait_for_file`'s `sleep(poll)` (a computed delay: unsafe).
    "phase-1-again": (1, set(), {}, {"AW101": 3, "AW102": 18}),
    "phase-3": (0, set(), {}, {}),
    "phase-1-unsafe": (0, {*UNSAFE_FILES, "opsd/util.py"}, {"AW101": 3, "AW102": 18}, {}),
}

# `awaitify check --isolated` on the copy after each step: (exit code, findings).
EXPECTED_CHECK = {
    "original": (1, 27),
    "phase-1": (1, 21),  # 16 withheld + the 5 AW201 (phase 2 has not run)
    "phase-2": (1, 21),  # the 5 AW201 -> the 5 blocking calls of the helpers' bodies
    "phase-1-again": (1, 21),  # all withheld (unsafe): nothing is safe alone
    "phase-3": (1, 21),
    "phase-1-unsafe": (0, 0),
}

# The phase-1 findings phase 2 brings into async code: (code, row, message) in opsd/util.py.
HELPER_BODY_FINDINGS = Counter({
    ("AW101", 15, "`time.sleep` blocks the event loop in async code"): 1,
    ("AW102", 22, "`sqlite3.connect` blocks the event loop in async code"): 1,
    ("AW102", 24, "`conn.execute` blocks the event loop in async code"): 1,
    ("AW102", 24, "`(...).fetchall` blocks the event loop in async code"): 1,
    ("AW102", 26, "`conn.close` blocks the event loop in async code"): 1,
})

UNSAFE_REASON = "unsafe fix withheld: {note}; apply it with --unsafe-fixes"

# AW102's cross-module reason: `check` (every phase) says what of the other module stays on the
# event loop's thread after the run's fixes, which takes the project stage; a step of phase 1
# alone skips that stage and counts every other module importing sqlite3 ("also uses sqlite3,
# possibly on the event loop's thread"). Both withhold the same fixes here; only the words
# differ, so the comparison of a phase 1 step with the `check` before it folds them.
SQLITE_ELSEWHERE = re.compile(
    r"another module of the run \(([^)]*)\) (?:keeps sqlite3 work on the event loop's thread "
    r"after this run's fixes \(.*\)|also uses sqlite3, possibly on the event loop's thread): "
)


def _fold_sqlite_elsewhere(reason: str) -> str:
    return SQLITE_ELSEWHERE.sub(r"another module of the run (\1) uses sqlite3 on the loop: ", reason)


# --------------------------------------------------------------------------- #
# The scripted migration (module-scoped: every test below asserts one part)
# --------------------------------------------------------------------------- #


@dataclass
class Step:
    name: str
    args: list[str]
    returncode: int = -1
    stdout: str = ""
    stderr: str = ""
    summary: dict | None = None
    json_error: str | None = None
    changed: set[str] = field(default_factory=set)  # files whose text changed
    compile_errors: dict[str, str] = field(default_factory=dict)
    check_returncode: int = -1
    check_findings: list[dict] = field(default_factory=list)
    snapshot: Path | None = None  # a copy of the project after the step

    @property
    def phase(self) -> int:
        return int(self.args[self.args.index("--phase") + 1])

    @property
    def unsafe_fixes(self) -> bool:
        return "--unsafe-fixes" in self.args


@dataclass
class Migration:
    workdir: Path
    original: Path  # pristine copy, never migrated
    project: Path  # the copy that is migrated step by step
    dry_run: list[dict]
    dry_run_returncode: int
    phase_checks: dict[int, tuple[int, list[dict]]]  # check --phase N on the original
    steps: dict[str, Step]

    def check_before(self, name: str) -> list[dict]:
        """What `check` reported on the copy just before the step ``name``."""
        names = list(self.steps)
        index = names.index(name)
        return self.dry_run if index == 0 else self.steps[names[index - 1]].check_findings


_FIX = ["fix", "--write", "--output-format", "json", "--isolated"]
# In the order they run (see the module docstring for why phase 1 runs twice).
STEPS = {
    "phase-1": [*_FIX, "--phase", "1"],
    "phase-2": [*_FIX, "--phase", "2"],
    "phase-1-again": [*_FIX, "--phase", "1"],
    "phase-3": [*_FIX, "--phase", "3"],
    "phase-1-unsafe": [*_FIX, "--phase", "1", "--unsafe-fixes"],
}


def _awaitify(binary: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=AWAITIFY_TIMEOUT_S,
        check=False,
    )


def _copy_project(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.db*"))


def _sources(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*.py"))
    }


def _compile_all(root: Path, pyc_dir: Path) -> dict[str, str]:
    """py_compile every .py file (bytecode goes to pyc_dir, not into the copy)."""
    errors = {}
    for rel in _sources(root):
        cfile = pyc_dir / (rel.replace("/", "__") + "c")
        try:
            py_compile.compile(str(root / rel), cfile=str(cfile), doraise=True)
        except py_compile.PyCompileError as exc:
            errors[rel] = exc.msg
    return errors


def _check(binary: Path, workdir: Path, *extra: str) -> tuple[int, list[dict]]:
    proc = _awaitify(binary, ["check", "--isolated", "--output-format", "json", *extra, PROJECT], workdir)
    assert proc.returncode in (0, 1), f"awaitify check failed ({proc.returncode}): {proc.stderr}"
    return proc.returncode, json.loads(proc.stdout)


def _rel(filename: str) -> str:
    """A reported filename (``project/opsd/x.py``) relative to the copy."""
    return Path(filename).relative_to(PROJECT).as_posix()


@pytest.fixture(scope="module")
def migration(awaitify_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Migration:
    workdir = tmp_path_factory.mktemp("phased")
    original = workdir / "original"
    project = workdir / PROJECT
    _copy_project(EXAMPLES, original)
    _copy_project(EXAMPLES, project)

    # Dry run on the untouched copy: what a team reads before migrating.
    dry_rc, dry_run = _check(awaitify_bin, workdir)
    phase_checks = {n: _check(awaitify_bin, workdir, "--phase", str(n)) for n in (1, 2, 3)}

    steps: dict[str, Step] = {}
    for name, args in STEPS.items():
        step = Step(name, [*args, PROJECT])
        before = _sources(project)
        proc = _awaitify(awaitify_bin, step.args, workdir)
        step.returncode, step.stdout, step.stderr = proc.returncode, proc.stdout, proc.stderr
        try:
            step.summary = json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            step.json_error = f"{exc}: {proc.stdout[:2000]!r}"
        after = _sources(project)
        step.changed = {rel for rel in after if after[rel] != before.get(rel)}
        step.compile_errors = _compile_all(project, workdir / "pyc" / name)
        step.check_returncode, step.check_findings = _check(awaitify_bin, workdir)
        step.snapshot = workdir / "snapshots" / name
        _copy_project(project, step.snapshot)
        steps[name] = step
    return Migration(workdir, original, project, dry_run, dry_rc, phase_checks, steps)


def _counts(findings: list[dict], applicability: str, phase: int | None = None) -> dict[str, int]:
    return dict(
        Counter(
            f["code"]
            for f in findings
            if f["fix"] and f["fix"]["applicability"] == applicability and phase in (None, f["phase"])
        )
    )


def _summary(step: Step) -> dict:
    assert step.json_error is None, f"{step.name}: stdout is not JSON: {step.json_error}"
    assert isinstance(step.summary, dict), step.summary
    assert set(step.summary) >= {
        "written", "files_changed", "fixes_applied", "unsafe_fixes_withheld", "remaining", "errors",
    }, sorted(step.summary)
    return step.summary


def _position(f: dict) -> tuple:
    return (f["code"], f["filename"], f["location"]["row"], f["location"]["column"], f["message"])


def _assert_points_at_the_call(snapshot: Path, finding: dict) -> None:
    """The finding's location is the call its message names."""
    # `with sqlite3.connect(...)` is reported at the call: compare the callee.
    callee = finding["message"].split("`")[1].removeprefix("with ").removesuffix("(...)")
    if callee.startswith("("):  # `(...).fetchone`: a chained call
        return
    text = (snapshot / _rel(finding["filename"])).read_text()
    line = text.splitlines()[finding["location"]["row"] - 1]
    at = line[finding["location"]["column"] - 1 :]
    module, _, name = callee.rpartition(".")
    # `from time import sleep` ... `sleep(poll)` is reported as `time.sleep`.
    imported = f"from {module} import {name}\n" in text and at.startswith(name + "(")
    assert at.startswith(callee) or imported, (finding, line)


# --------------------------------------------------------------------------- #
# The migration steps
# --------------------------------------------------------------------------- #


def test_dry_run_on_the_original(migration: Migration) -> None:
    findings = migration.dry_run
    assert migration.dry_run_returncode == 1
    assert len(findings) == EXPECTED_TOTAL
    assert _counts(findings, "safe", phase=1) == EXPECTED_SAFE
    assert _counts(findings, "unsafe", phase=1) == EXPECTED_UNSAFE
    assert _counts(findings, "safe", phase=2) == EXPECTED_PHASE_2
    assert _counts(findings, "unsafe", phase=2) == {}
    # Nothing is report-only or display-only on the example: every finding has
    # a fix that one of the steps applies.
    assert all(f["fix"] and f["fix"]["applicability"] in ("safe", "unsafe") for f in findings)
    assert {f["phase"] for f in findings} == {1, 2}
    # Every unsafe fix says why it is unsafe.
    assert all(f["note"] for f in findings if f["fix"]["applicability"] == "unsafe")
    phase_1 = [f for f in findings if f["phase"] == 1]
    assert {_rel(f["filename"]) for f in phase_1 if f["fix"]["applicability"] == "safe"} == SAFE_FILES
    assert {_rel(f["filename"]) for f in phase_1 if f["fix"]["applicability"] == "unsafe"} == UNSAFE_FILES
    # Phase 2: the two helpers of util.py, each with the path async code reaches it by.
    phase_2 = [f for f in findings if f["phase"] == 2]
    assert {(_rel(f["filename"]), f["location"]["row"], f["message"]) for f in phase_2} == {
        ("opsd/util.py", row, message) for row, message in EXPECTED_AW201
    }
    for f in phase_2:
        _assert_points_at_the_call(migration.original, f)
    # The per-phase dry runs split the whole one; phase 3 has nothing to do.
    assert migration.phase_checks[1] == (1, phase_1)
    assert migration.phase_checks[2] == (1, phase_2)
    assert migration.phase_checks[3] == (0, [])


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_does_what_the_check_before_it_predicts(migration: Migration, name: str) -> None:
    """The summary of ``fix --phase N`` is what ``check`` said about phase N just before."""
    step = migration.steps[name]
    summary = _summary(step)
    before = [f for f in migration.check_before(name) if f["phase"] == step.phase]
    safe, unsafe = _counts(before, "safe"), _counts(before, "unsafe")
    applied = dict(Counter(safe) + Counter(unsafe)) if step.unsafe_fixes else safe
    withheld = {} if step.unsafe_fixes else unsafe
    returncode, files_changed, pinned_applied, pinned_withheld = EXPECTED_STEPS[name]

    assert summary["written"] is True
    assert summary["errors"] == []
    assert summary["fixes_applied"] == applied == pinned_applied
    assert summary["unsafe_fixes_withheld"] == withheld == pinned_withheld
    assert {_rel(f) for f in summary["files_changed"]} == files_changed == step.changed
    # Every file with an applied finding changed (a fix may edit other files too:
    # AW201 awaits the calls in server.py).
    assert {
        _rel(f["filename"])
        for f in before
        if f["fix"]["applicability"] == "safe" or step.unsafe_fixes
    } <= step.changed
    assert step.returncode == returncode == (1 if withheld else 0), "exit 1 while findings remain"
    assert step.stderr == "", "JSON mode keeps stderr clean"

    # `remaining` is exactly the withheld unsafe findings, each with the note
    # `check` gave for it as the reason ...
    remaining = summary["remaining"]
    expected = Counter(
        (f["code"], _rel(f["filename"]), f["message"], UNSAFE_REASON.format(note=f["note"]))
        for f in before
        if f["fix"]["applicability"] == "unsafe" and not step.unsafe_fixes
    )
    got = Counter((r["code"], _rel(r["filename"]), r["message"], r["reason"]) for r in remaining)
    if step.phase == 1:
        fold = lambda c: Counter({(k[0], k[1], k[2], _fold_sqlite_elsewhere(k[3])): n for k, n in c.items()})  # noqa: E731
        got, expected = fold(got), fold(expected)
    assert got == expected
    # ... at their positions in the rewritten files, which is what `check`
    # reports for the step's phase after the step ...
    after = [f for f in step.check_findings if f["phase"] == step.phase]
    assert sorted(map(_position, remaining)) == sorted(map(_position, after))
    # ... and each location points at the call the message names.
    for r in remaining:
        _assert_points_at_the_call(step.snapshot, r)


def test_phase_1_applies_the_safe_fixes_and_withholds_the_unsafe(migration: Migration) -> None:
    step = migration.steps["phase-1"]
    summary = _summary(step)
    assert summary["fixes_applied"] == EXPECTED_SAFE
    assert summary["unsafe_fixes_withheld"] == EXPECTED_UNSAFE
    assert {_rel(f["filename"]) for f in summary["remaining"]} == UNSAFE_FILES
    # health.py has only unsafe findings: untouched; phase 2's files too.
    for rel in ("opsd/health.py", "opsd/util.py", "opsd/server.py"):
        assert (step.snapshot / rel).read_text() == (migration.original / rel).read_text(), rel
    # The phase-2 findings are still there, unchanged, for the next step.
    phase_2 = [f for f in step.check_findings if f["phase"] == 2]
    assert sorted(map(_position, phase_2)) == sorted(
        _position(f) for f in migration.dry_run if f["phase"] == 2
    )


def test_phase_2_converts_the_helpers_and_awaits_their_calls(migration: Migration) -> None:
    step = migration.steps["phase-2"]
    assert _summary(step)["remaining"] == []
    before, after = migration.steps["phase-1"].snapshot, step.snapshot
    # Exactly the keywords, nothing else: the helpers become `async def` ...
    util = (before / "opsd/util.py").read_text()
    assert (after / "opsd/util.py").read_text() == util.replace(
        "\ndef wait_for_file(", "\nasync def wait_for_file("
    ).replace("\ndef load_settings(", "\nasync def load_settings(") != util
    # ... and their calls in the handlers are awaited (keeping `ok and ...`'s short circuit).
    server = (before / "opsd/server.py").read_text()
    assert (after / "opsd/server.py").read_text() == server.replace(
        "settings = load_settings(self.db_path)", "settings = await load_settings(self.db_path)"
    ).replace("ready = ok and wait_for_file(", "ready = ok and await wait_for_file(") != server
    # The blocking calls of the bodies stay for phase 1 (`from time import sleep` too).
    assert "        sleep(poll)\n" in (after / "opsd/util.py").read_text()
    # No finding of phase 2 is left; the helpers' bodies are now phase-1
    # findings in async code, and nothing else changed in the check.
    assert [f for f in step.check_findings if f["phase"] != 1] == []
    old = Counter(map(_position, migration.steps["phase-1"].check_findings))
    new = Counter(map(_position, step.check_findings))
    assert Counter(p[0] for p in old - new) == Counter(EXPECTED_PHASE_2)
    assert Counter((p[0], p[2], p[4]) for p in new - old) == HELPER_BODY_FINDINGS
    assert {_rel(p[1]) for p in new - old} == {"opsd/util.py"}


def test_phase_1_again_withholds_the_helper_bodies(migration: Migration) -> None:
    step = migration.steps["phase-1-again"]
    summary = _summary(step)
    assert summary["fixes_applied"] == {}
    # The new withheld fixes: `sleep(poll)`, with the reason phase 1 gave for
    # health.py's computed delays, and `load_settings`' connection, unsafe while
    # another module (inventory.py, whose fixes are withheld) uses sqlite3 on the
    # event loop's thread: a migrated connection holding a lock across an await
    # would block it until sqlite's timeout (the `concurrent_config` scenario).
    old = Counter((r["code"], _rel(r["filename"]), r["message"], r["reason"])
                  for r in migration.steps["phase-1"].summary["remaining"])
    new = Counter((r["code"], _rel(r["filename"]), r["message"], r["reason"]) for r in summary["remaining"])
    (sleep_reason,) = {r[3] for r in old if r[0] == "AW101"}
    # The reason names the module. A run of phase 1 alone has no project stage to tell what
    # of it stays on the loop's thread (`check`, with every phase, says it: `self._conn` is
    # shared): any other module importing sqlite3 counts.
    (sqlite_reason,) = {r[3] for r in new - old if r[0] == "AW102"}
    assert sqlite_reason == (
        "unsafe fix withheld: another module of the run (project/opsd/inventory.py) also uses "
        "sqlite3, possibly on the event loop's thread: a migrated connection holding a lock "
        "across an `await` would block it until sqlite's timeout; migrate them together; "
        "apply it with --unsafe-fixes"
    ), sqlite_reason
    (full_note,) = {
        f["note"] for f in step.check_findings
        if f["code"] == "AW102" and _rel(f["filename"]) == "opsd/util.py"
    }
    assert full_note.startswith(
        "another module of the run (project/opsd/inventory.py) keeps sqlite3 work on the event "
        "loop's thread after this run's fixes (`sqlite3.connect` in async code: `self._conn` is "
        "shared"
    ), full_note
    assert new - old == Counter({
        ("AW101", "opsd/util.py", "`time.sleep` blocks the event loop in async code", sleep_reason): 1,
        ("AW102", "opsd/util.py", "`sqlite3.connect` blocks the event loop in async code", sqlite_reason): 1,
        ("AW102", "opsd/util.py", "`conn.execute` blocks the event loop in async code", sqlite_reason): 1,
        ("AW102", "opsd/util.py", "`(...).fetchall` blocks the event loop in async code", sqlite_reason): 1,
        ("AW102", "opsd/util.py", "`conn.close` blocks the event loop in async code", sqlite_reason): 1,
    })
    assert old - new == Counter()
    assert step.changed == set()
    util = (step.snapshot / "opsd/util.py").read_text()
    assert "    conn = sqlite3.connect(db_path)\n" in util
    assert "from time import sleep\n" in util and "        sleep(poll)\n" in util


def test_phase_3_changes_nothing(migration: Migration) -> None:
    # AW301, the only phase-3 recipe, reports calls that a configuration
    # declares blocking, which `--isolated` ignores: nothing to do here.
    step = migration.steps["phase-3"]
    assert step.returncode == 0
    assert _summary(step) == {
        "written": True,
        "files_changed": [],
        "fixes_applied": {},
        "unsafe_fixes_withheld": {},
        "remaining": [],
        "errors": [],
        "undeclared_dependencies": [],
    }
    assert step.changed == set()
    assert step.stderr == ""
    assert _sources(step.snapshot) == _sources(migration.steps["phase-1-again"].snapshot)


def test_unsafe_step_applies_the_rest(migration: Migration) -> None:
    step = migration.steps["phase-1-unsafe"]
    summary = _summary(step)
    assert step.returncode == 0, "everything fixed"
    assert summary["remaining"] == []
    # What phase 1 withheld, plus the helper's `sleep(poll)`.
    assert Counter(summary["fixes_applied"]) == Counter(EXPECTED_UNSAFE) + Counter({"AW101": 1, "AW102": 4})

    # Where each file ended up: the README's rewrites, visible in the source.
    final = migration.steps["phase-1-unsafe"].snapshot
    health = (final / "opsd/health.py").read_text()
    assert "await asyncio.sleep(delay)" in health and "await asyncio.sleep(0.2 * (attempt + 1))" in health
    assert health.count("time.sleep(") == 3, "the off-loop sleeps (threads, executor) stay"
    inventory = (final / "opsd/inventory.py").read_text()
    assert "sqlite3.connect(" not in inventory and "await aiosqlite.connect(self._path)" in inventory
    assert "async with aiosqlite.connect(db_path) as conn, _SqliteTransaction(conn):" in inventory
    shell = (final / "opsd/shell.py").read_text()
    # subprocess calls at the head of a statement become asyncio subprocess statements (the
    # native strategy, the default); a call with `timeout=` and `os.system` move to a thread.
    assert 'proc = await asyncio.create_subprocess_exec("uname", "-r", stdout=asyncio.subprocess.PIPE)' in shell
    assert "    return stdout.strip()\n" in shell
    assert 'await asyncio.create_subprocess_exec("df", "-P", mount, stdout=PIPE, stderr=PIPE)' in shell
    assert 'proc = sp.CompletedProcess(["df", "-P", mount], proc_1.returncode, stdout, stderr)' in shell
    assert "await asyncio.to_thread(sp.run, argv, capture_output=True, text=True, check=True, timeout=timeout)" in shell
    assert "await asyncio.to_thread(os.system, " in shell
    # Starting the child stays; waiting for it moves to a thread.
    assert "sp.Popen(" in shell and "await asyncio.to_thread(proc.communicate, " in shell
    assert "await asyncio.sleep(0.3)" in (final / "concurrency/pinger.py").read_text()
    util = (final / "opsd/util.py").read_text()
    assert "async def wait_for_file(" in util and "async def load_settings(" in util
    assert "        await asyncio.sleep(poll)\n" in util and "import asyncio\n" in util
    assert "from time import sleep" not in util and "sqlite3" not in util
    server = (final / "opsd/server.py").read_text()
    assert server == (migration.steps["phase-2"].snapshot / "opsd/server.py").read_text()
    for rel in ("opsd/events.py", "opsd/__init__.py"):
        assert (final / rel).read_text() == (migration.original / rel).read_text(), rel


def test_every_step_leaves_compilable_python(migration: Migration) -> None:
    assert _compile_all(migration.original, migration.workdir / "pyc" / "original") == {}
    for name, step in migration.steps.items():
        assert step.compile_errors == {}, name


def test_check_counts_step_by_step(migration: Migration) -> None:
    observed = {"original": (migration.dry_run_returncode, len(migration.dry_run))}
    observed.update({n: (s.check_returncode, len(s.check_findings)) for n, s in migration.steps.items()})
    assert observed == EXPECTED_CHECK
    # Every step but phase 2 removes findings (or has nothing to do); phase 2
    # trades its findings for the helpers' blocking calls (see
    # test_phase_2_converts_the_helpers_and_awaits_their_calls).
    counts = dict((name, count) for name, (_, count) in observed.items())
    names = list(counts)
    for previous, name in zip(names, names[1:]):
        if name == "phase-2":
            assert counts[name] - counts[previous] == sum(HELPER_BODY_FINDINGS.values()) - len(EXPECTED_AW201)
        else:
            assert counts[name] <= counts[previous], (previous, name)
    # What is left after phase 1 is what the unsafe step fixes, plus phase 2.
    after_phase_1 = migration.steps["phase-1"].check_findings
    assert _counts(after_phase_1, "unsafe", phase=1) == EXPECTED_UNSAFE
    assert _counts(after_phase_1, "safe", phase=1) == {}
    assert _counts(after_phase_1, "safe", phase=2) == EXPECTED_PHASE_2
    # Before the unsafe step, only unsafe fixes are left.
    before_unsafe = migration.steps["phase-3"].check_findings
    assert _counts(before_unsafe, "safe") == {}
    assert _counts(before_unsafe, "unsafe") == EXPECTED_STEPS["phase-1-unsafe"][2]


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_is_idempotent(migration: Migration, awaitify_bin: Path, name: str) -> None:
    step = migration.steps[name]
    workdir = migration.workdir / "again" / name
    _copy_project(step.snapshot, workdir / PROJECT)
    again = _awaitify(awaitify_bin, step.args, workdir)
    summary = json.loads(again.stdout)
    assert (summary["files_changed"], summary["fixes_applied"], summary["errors"]) == ([], {}, [])
    assert summary["remaining"] == step.summary["remaining"]
    assert summary["unsafe_fixes_withheld"] == step.summary["unsafe_fixes_withheld"]
    assert again.returncode == step.returncode
    assert _sources(workdir / PROJECT) == _sources(step.snapshot)


def test_migration_is_finished_and_idempotent(migration: Migration, awaitify_bin: Path) -> None:
    before = _sources(migration.project)
    for phase in ("1", "2", "3"):
        again = _awaitify(
            awaitify_bin, [*_FIX, "--phase", phase, "--unsafe-fixes", PROJECT], migration.workdir
        )
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout) == {
            "written": True, "files_changed": [], "fixes_applied": {},
            "unsafe_fixes_withheld": {}, "remaining": [], "errors": [],
            "undeclared_dependencies": [],
        }
    dry = _awaitify(awaitify_bin, ["fix", "--isolated", "--unsafe-fixes", PROJECT], migration.workdir)
    assert (dry.returncode, dry.stdout) == (0, ""), dry
    assert _sources(migration.project) == before


# --------------------------------------------------------------------------- #
# Running the code: original vs migrated, one fresh interpreter per run
# --------------------------------------------------------------------------- #

RUN_TIMEOUT_S = 90
MARKER = "PHASED-MIGRATION-RESULT "

# Fake systemd tools (restart_service / tail_journal need root and systemd).
FAKE_SYSTEMCTL = """#!/bin/sh
# systemctl restart UNIT: units named ok-* restart fine, others fail (exit 5).
sleep "${FAKE_SYSTEMCTL_SLEEP:-0}"
case "$2" in
  ok-*) exit 0 ;;
  *) echo "Failed to restart $2.service: Unit $2.service not found." >&2; exit 5 ;;
esac
"""
FAKE_JOURNALCTL = """#!/bin/sh
# journalctl -u UNIT -n LINES --no-pager
echo "-- journal of $2 (last $4 lines) --"
echo "$2: failed with result 'exit-code'"
"""

RUNNER = r'''
import asyncio, contextlib, dataclasses, json, logging, os, socket, sqlite3, subprocess
import inspect, sys, threading, time

root, scenario, marker = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, root)

same = {}     # must be equal between the original and a migrated copy
timing = {}   # elapsed times and loop stalls, compared separately
documented = {}  # the documented behaviour changes of unsafe fixes

records = []
redact = {}  # volatile text (random port numbers) -> placeholder


class Capture(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        for text, placeholder in redact.items():
            message = message.replace(text, placeholder)
        records.append([record.name, record.levelname, message])


logging.getLogger().addHandler(Capture())
logging.getLogger().setLevel(logging.INFO)


def describe(exc):
    out = {"type": type(exc).__name__, "str": str(exc)}
    for attr in ("returncode", "cmd", "stdout", "stderr"):
        if hasattr(exc, attr):
            out[attr] = getattr(exc, attr)
    return out


async def outcome(awaitable):
    try:
        return {"value": await awaitable}
    except Exception as exc:
        return {"raised": describe(exc)}


@contextlib.asynccontextmanager
async def stall_monitor(key):
    """Record the longest time the loop could not run a 5 ms ticker."""
    state = {"stop": False, "max": 0.0}

    async def tick():
        last = time.perf_counter()
        while not state["stop"]:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            state["max"] = max(state["max"], now - last)
            last = now

    task = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    started = time.perf_counter()
    try:
        yield
    finally:
        timing[key + ".elapsed"] = time.perf_counter() - started
        state["stop"] = True
        await task
        timing[key + ".max_stall"] = state["max"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dump_db(path):
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# --------------------------------------------------------------------------
def scenario_pinger():
    sys.path.insert(0, os.path.join(root, "concurrency"))
    import pinger

    started = time.perf_counter()
    same["result"] = asyncio.run(pinger.main())
    timing["elapsed"] = time.perf_counter() - started


def scenario_inventory():
    from opsd.inventory import Host, InventoryStore, import_hosts

    db = "inventory.db"

    async def main():
        store = InventoryStore(db)
        await store.open()
        await store.upsert_host(Host("web1", "10.0.0.1", "web", 1.5))
        await store.upsert_host(Host("db1", "10.0.0.2", "db"))
        await store.upsert_host(Host("web2", "10.0.0.3", "web"))
        await store.upsert_host(Host("web1", "10.0.0.11", "web", 2.5))  # update
        await asyncio.gather(*(store.upsert_host(Host(f"n{i}", f"10.0.9.{i}", "node")) for i in range(4)))
        same["list_all"] = [dataclasses.asdict(h) for h in await store.list_hosts()]
        same["list_web"] = [dataclasses.asdict(h) for h in await store.list_hosts(role="web")]
        same["list_none"] = [dataclasses.asdict(h) for h in await store.list_hosts(role="nope")]
        host = await store.get_host("web1")
        same["get_web1"] = dataclasses.asdict(host) if host else None
        same["get_missing"] = await store.get_host("missing")
        # A second connection writes while the store's is open.
        same["import"] = await outcome(
            import_hosts(db, [Host("cache1", "10.0.1.1", "cache"), Host("db1", "10.0.0.22", "db")])
        )
        same["after_import"] = [dataclasses.asdict(h) for h in await store.list_hosts()]
        same["get_db1"] = dataclasses.asdict(await store.get_host("db1"))
        await store.close()
        await store.close()  # closing twice is a no-op

    asyncio.run(main())
    same["db"] = dump_db(db)


def scenario_shell():
    from opsd import shell

    async def main():
        same["kernel_version"] = await shell.kernel_version()
        same["uname_r"] = subprocess.check_output(["uname", "-r"], text=True).strip()
        same["run_checked"] = await outcome(shell.run_checked(["uname", "-s"]))
        same["run_checked_denied"] = await outcome(shell.run_checked(["ls", "/"]))
        same["run_checked_fails"] = await outcome(shell.run_checked(["uname", "--no-such-option"]))
        usage = await shell.disk_usage("/")
        same["disk_usage_shape"] = [
            (sorted(row), row["filesystem"], row["mounted_on"]) for row in usage
        ]
        same["disk_usage_missing"] = await outcome(shell.disk_usage("/no/such/mount/point"))
        same["restart_ok"] = await shell.restart_service("ok-web")
        same["restart_broken"] = await shell.restart_service("broken")
        same["journal"] = await outcome(shell.tail_journal("broken", lines=5))
        same["build_info"] = shell.build_info()
        os.environ["FAKE_SYSTEMCTL_SLEEP"] = "0.5"
        async with stall_monitor("restart_slow"):
            same["restart_slow"] = await shell.restart_service("ok-slow")
        del os.environ["FAKE_SYSTEMCTL_SLEEP"]

    asyncio.run(main())


def scenario_health():
    from opsd import health

    async def main():
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        open_port = server.sockets[0].getsockname()[1]
        closed_port = free_port()
        redact[str(open_port)] = "<open-port>"
        redact[str(closed_port)] = "<closed-port>"
        same["wait_open"] = await health.wait_for_port("127.0.0.1", open_port, retries=2, delay=0.05)
        async with stall_monitor("wait_closed"):  # sleeps 0.1 + 0.2 + 0.4
            same["wait_closed"] = await health.wait_for_port("127.0.0.1", closed_port, retries=3, delay=0.1)
        probe = await health.probe_hosts([("up", "127.0.0.1")], port=open_port)
        same["probe_up"] = {k: type(v).__name__ for k, v in probe.items()}
        async with stall_monitor("probe_down"):  # sleeps 0.2 + 0.4 + 0.6
            same["probe_down"] = await health.probe_hosts([("down", "127.0.0.1")], port=closed_port)
        latency = await health.disk_latency(".")
        same["disk_latency"] = (type(latency).__name__, latency > 0)
        same["disk_latency_probe_removed"] = not os.path.exists(".opsd-fsync-probe")
        same["resolve"] = await health.resolve("127.0.0.1")
        beat = health.Heartbeat("beat.txt", interval=0.05)
        beat.start()
        await asyncio.sleep(0.2)
        beat.stop()
        same["heartbeat"] = open("beat.txt").read().strip().isdigit()
        # The reason AW101's fix of a computed delay is unsafe.
        documented["negative_delay"] = await outcome(
            health.wait_for_port("127.0.0.1", closed_port, retries=1, delay=-1)
        )
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def touch(path, text=""):
    with open(path, "w") as f:
        f.write(text)


def scenario_daemon():
    from opsd import server as opsd_server
    from opsd.events import audit_logger

    db = "opsd.db"
    touch("ok-web.pid", "4242\n")

    async def main():
        daemon = opsd_server.Daemon(db)
        await daemon.store.open()
        with sqlite3.connect(db) as conn:  # seed settings (read by util.load_settings)
            conn.executemany(
                "INSERT INTO settings (key, value) VALUES (?, ?)",
                [("retention_days", "30"), ("features", '["audit", "exec"]')],
            )
        conn.close()
        stop = asyncio.Event()
        audit = asyncio.create_task(audit_logger(daemon.bus, stop))
        tcp = await asyncio.start_server(daemon.handle_client, "127.0.0.1", 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", tcp.sockets[0].getsockname()[1])

        async def ask(request):
            line = request if isinstance(request, bytes) else json.dumps(request).encode()
            writer.write(line + b"\n")
            await writer.drain()
            return json.loads(await reader.readline())

        status = await ask({"cmd": "status"})
        same["status"] = {
            "keys": sorted(status),
            "version": status["version"],
            "kernel": status["kernel"],
            "hosts": status["hosts"],
            "disk_mounts": [d["mounted_on"] for d in status["disk"]],
            "types": {k: type(v).__name__ for k, v in status.items()},
        }
        replies = []
        for request in [
            {"cmd": "hosts.add", "name": "web1", "address": "10.0.0.1", "role": "web"},
            {"cmd": "hosts.add", "name": "db1", "address": "10.0.0.2", "role": "db"},
            {"cmd": "hosts.add", "name": "web1", "address": "10.0.0.11", "role": "web"},
            {"cmd": "hosts.list"},
            {"cmd": "hosts.list", "role": "db"},
            {"cmd": "hosts.import", "hosts": [
                {"name": "cache1", "address": "10.0.1.1", "role": "cache"},
                {"name": "db1", "address": "10.0.0.22", "role": "db"},
            ]},
            {"cmd": "hosts.list"},
            # Daemon.config_get -> util.load_settings (phase 2 makes it async).
            {"cmd": "config.get"},
            {"cmd": "config.get", "key": "retention_days"},
            {"cmd": "config.get", "key": "missing"},
            {"cmd": "exec.run", "argv": ["uname", "-s"]},
            {"cmd": "exec.run", "argv": ["ls", "/"]},
            {"cmd": "exec.run", "argv": ["uname", "--no-such-option"]},
            # Daemon.service_restart -> util.wait_for_file: the PID file is there ...
            {"cmd": "service.restart", "unit": "ok-web", "pid_file": "ok-web.pid"},
            # ... or the restart fails (`ok and wait_for_file(...)`: never called).
            {"cmd": "service.restart", "unit": "broken"},
            {"cmd": "no.such.command"},
            b"{not json",
        ]:
            replies.append([request if isinstance(request, dict) else request.decode(), await ask(request)])
        same["replies"] = replies
        # The unit writes its PID file 0.3 s after the restart: wait_for_file
        # polls (sleep(poll) twice) until it is there.
        threading.Timer(0.3, touch, ("ok-late.pid", "4243\n")).start()
        async with stall_monitor("restart_wait_pid"):
            same["restart_wait_pid"] = await ask(
                {"cmd": "service.restart", "unit": "ok-late", "pid_file": "ok-late.pid"}
            )
        writer.close()
        await writer.wait_closed()
        tcp.close()
        await tcp.wait_closed()
        await asyncio.sleep(0.05)  # let the audit logger drain its queue
        stop.set()
        # Wake the logger (instead of waiting for its 1 s idle timeout): it
        # logs this last event and sees `stop`.
        await daemon.bus.publish("scenario.end")
        await audit
        await daemon.store.close()

    asyncio.run(main())
    same["db"] = dump_db(db)
    same["log"] = [r for r in records if r[0] != "asyncio"]


async def call(func, *args, **kwargs):
    """Call a helper the way its callers do: awaited once phase 2 made it async."""
    result = func(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


def scenario_util():
    """util's helpers called directly: the paths the daemon does not take."""
    from opsd import util

    async def main():
        touch("present.pid")
        same["present"] = await outcome(call(util.wait_for_file, "present.pid", timeout=0.0))
        async with stall_monitor("wait_for_file_timeout"):  # sleeps 0.1 four times
            same["timeout"] = await outcome(call(util.wait_for_file, "never.pid", timeout=0.4, poll=0.1))
        # The reason AW101's fix of `sleep(poll)` is unsafe: a negative poll
        # raises at once before, and spins until the file appears after.
        asyncio.get_running_loop().call_later(0.05, touch, "negative.pid")
        documented["negative_poll"] = await outcome(
            call(util.wait_for_file, "negative.pid", timeout=1.0, poll=-1)
        )
        with sqlite3.connect("settings.db") as conn:
            conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.executemany(
                "INSERT INTO settings VALUES (?, ?)", [("a", "1"), ("b", '{"c": [true, null, 1.5]}')]
            )
        conn.close()
        same["settings"] = await outcome(call(util.load_settings, "settings.db"))
        same["no_table"] = await outcome(call(util.load_settings, "empty.db"))
        same["no_directory"] = await outcome(call(util.load_settings, os.path.join("missing", "x.db")))
        with sqlite3.connect("bad.db") as conn:
            conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute("INSERT INTO settings VALUES ('a', 'not json')")
        conn.close()
        same["bad_json"] = await outcome(call(util.load_settings, "bad.db"))
        same["databases"] = sorted(name for name in os.listdir(".") if name.endswith(".db"))

    asyncio.run(main())


def locked(path, begin):
    """Whether some connection holds a lock that `begin` (`IMMEDIATE`: a write lock,
    `EXCLUSIVE`: any lock, even a read lock) conflicts with (never waits)."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute(f"BEGIN {begin}")
    except sqlite3.OperationalError:
        return True
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def scenario_concurrent_import():
    """hosts.add arrives while a large hosts.import is being written."""
    from opsd import server as opsd_server

    db = "opsd.db"

    async def main():
        daemon = opsd_server.Daemon(db)
        await daemon.store.open()
        manifest = [
            {"name": f"h{i}", "address": f"10.1.{i // 256}.{i % 256}"} for i in range(100_000)
        ]
        async with stall_monitor("concurrent_import"):
            importing = asyncio.create_task(daemon.dispatch({"cmd": "hosts.import", "hosts": manifest}))
            # Wait until the import holds the write lock, or is done (the
            # original import never yields, so it is done at the first await).
            while not importing.done() and not locked(db, "IMMEDIATE"):
                await asyncio.sleep(0.001)
            timing["import_done_before_add"] = importing.done()
            started = time.perf_counter()
            same["hosts_add"] = await daemon.dispatch(
                {"cmd": "hosts.add", "name": "web1", "address": "10.0.0.1", "role": "web"}
            )
            timing["hosts_add.elapsed"] = time.perf_counter() - started
            same["hosts_import"] = await importing
        await daemon.store.close()

    asyncio.run(main())
    conn = sqlite3.connect(db)
    same["rows"] = conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    same["web1"] = conn.execute("SELECT * FROM hosts WHERE name = 'web1'").fetchall()
    conn.close()


def scenario_concurrent_config():
    """hosts.add arrives while config.get (util.load_settings) is reading the settings."""
    from opsd import server as opsd_server

    db = "opsd.db"

    async def main():
        daemon = opsd_server.Daemon(db)
        await daemon.store.open()
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('retention_days', '30')")
        conn.close()
        async with stall_monitor("concurrent_config"):
            # Wait until the read holds its lock (its SELECT is open), or is
            # done (a sync read is done at the first await); a migrated read
            # may be caught between two of its awaits: try a few times.
            for attempt in range(20):
                reading = asyncio.create_task(daemon.dispatch({"cmd": "config.get"}))
                while not reading.done() and not locked(db, "EXCLUSIVE"):
                    await asyncio.sleep(0)
                if not reading.done():
                    break
                same["config_get"] = await reading
            timing["add_while_reading"] = not reading.done()
            started = time.perf_counter()
            same["hosts_add"] = await daemon.dispatch(
                {"cmd": "hosts.add", "name": "web1", "address": "10.0.0.1", "role": "web"}
            )
            timing["hosts_add.elapsed"] = time.perf_counter() - started
            same["config_get"] = await reading
        await daemon.store.close()

    asyncio.run(main())
    same["db"] = dump_db(db)


scenario = globals()["scenario_" + scenario]
scenario()
same.setdefault("log", [r for r in records if r[0] != "asyncio"])
# Threads that would keep the interpreter from exiting.  aiosqlite's close()
# does not join its worker thread, which ends just after: give it a moment.
lingering = [t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]
for t in lingering:
    t.join(timeout=3.0)
same["non_daemon_threads_left"] = sorted(t.name for t in lingering if t.is_alive())
print(marker + json.dumps({"same": same, "timing": timing, "documented": documented}, default=repr))
'''


# The copies each scenario runs against the original: the shippable state
# after phase 1 and the final one for all; the states after phase 2 and after
# phase 1 again differ from the phase-1 copy only in opsd/util.py and
# opsd/server.py (asserted by the step tests), so only the scenarios that go
# through them run there.
_ALL_AFTER_PHASE_1 = ["phase-2", "phase-1-again", "phase-1-unsafe"]
RUNS = {
    "pinger": ["phase-1", "phase-1-unsafe"],
    "inventory": ["phase-1", "phase-1-unsafe"],
    "shell": ["phase-1", "phase-1-unsafe"],
    "health": ["phase-1", "phase-1-unsafe"],
    "daemon": ["phase-1", *_ALL_AFTER_PHASE_1],
    "util": _ALL_AFTER_PHASE_1,  # util.py is the original's in the phase-1 copy
    "concurrent_import": ["phase-1", "phase-1-unsafe"],
    "concurrent_config": _ALL_AFTER_PHASE_1,
}


@pytest.fixture(scope="module")
def fakebin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fakebin")
    for name, text in (("systemctl", FAKE_SYSTEMCTL), ("journalctl", FAKE_JOURNALCTL)):
        path = directory / name
        path.write_text(text)
        path.chmod(0o755)
    return directory


def run_scenario(root: Path, scenario: str, workdir: Path, fakebin: Path) -> dict:
    """Run one scenario against the modules under ``root`` in a fresh interpreter.

    The run's working directory (databases, PID and heartbeat files) has the
    same relative layout for every copy, so logged paths compare equal.
    """
    workdir.mkdir(parents=True)
    env = {
        **os.environ,
        "PATH": f"{fakebin}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": "",
    }
    env.pop("FAKE_SYSTEMCTL_SLEEP", None)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, str(root), scenario, MARKER],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{scenario} on {root.name} did not finish (hung?): {exc.stderr!r}")
    assert proc.returncode == 0, f"{scenario} on {root.name} failed:\n{proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith(MARKER)]
    assert len(lines) == 1, proc.stdout
    result = json.loads(lines[0][len(MARKER):])
    result["stderr"] = proc.stderr
    return result


@pytest.fixture(scope="module")
def original_run(
    migration: Migration, fakebin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], dict]:
    """Each scenario's run on the original copy, once for all the variants."""
    workdir = tmp_path_factory.mktemp("original-runs")
    runs: dict[str, dict] = {}

    def get(scenario: str) -> dict:
        if scenario not in runs:
            runs[scenario] = run_scenario(migration.original, scenario, workdir / scenario, fakebin)
        return runs[scenario]

    return get


# Which timed sections stall the loop in which copies: there the loop stalls
# for (about) the whole sleep, elsewhere it keeps running.
_BEFORE_PHASE_1_AGAIN = {"original", "phase-1", "phase-2"}
BLOCKS = {
    # key: (stall threshold in s, the copies whose loop stalls)
    "restart_slow": (0.5, {"original"}),  # AW103 (safe)
    "wait_closed": (0.4, {"original", "phase-1"}),  # AW101 unsafe: withheld in phase 1
    "probe_down": (0.6, {"original", "phase-1"}),  # AW101 unsafe: withheld in phase 1
    # util.wait_for_file's `sleep(poll)`: AW201 (phase 2) makes the helper
    # async, its sleep stays until the unsafe step (withheld in phase 1 again).
    "restart_wait_pid": (0.4, {*_BEFORE_PHASE_1_AGAIN, "phase-1-again"}),
    "wait_for_file_timeout": (0.4, {*_BEFORE_PHASE_1_AGAIN, "phase-1-again"}),
    # Reading the settings while hosts.add commits never freezes the loop.
    "concurrent_config": (1.0, set()),
}


# Known behaviour changes of a migration step.  Each names its reason and a
# check of its exact symptom: the test is a strict xfail that fails with
# `KnownBug` only when the comparison fails *and* the symptom is the known one
# (any other difference is a hard failure), and an XPASS (a failure) when the
# migrated run matches the original again (the signal to drop the entry).


class KnownBug(Exception):
    """The migrated run shows the exact symptom of a known bug."""


# Once a bug: the safe AW102 fix of `import_hosts` held the database's write lock across awaits
# while `InventoryStore` (withheld) still wrote with sqlite3 on the loop thread, freezing the
# daemon until sqlite's timeout. Now no sqlite3 object of a module is migrated safely while
# another stays on the loop (the `concurrent_import` scenario). The same across modules once
# was (see test_phase_1_again_withholds_...): now a module's sqlite3 fixes are unsafe while
# another module of the run uses sqlite3 (the `concurrent_config` scenario).
KNOWN_BUGS: dict[tuple[str, str], tuple[str, Callable[[dict, dict], None]]] = {}


def _params() -> list:
    params = []
    for scenario, variants in RUNS.items():
        for variant in variants:
            bug = KNOWN_BUGS.get((scenario, variant))
            marks = [pytest.mark.xfail(strict=True, raises=KnownBug, reason=bug[0])] if bug else []
            params.append(pytest.param(scenario, variant, id=f"{scenario}-{variant}", marks=marks))
    return params


@pytest.mark.parametrize(("scenario", "variant"), _params())
def test_migrated_code_behaves_like_the_original(
    migration: Migration,
    fakebin: Path,
    original_run: Callable[[str], dict],
    tmp_path: Path,
    scenario: str,
    variant: str,
) -> None:
    migrated_root = migration.steps[variant].snapshot
    original = original_run(scenario)
    migrated = run_scenario(migrated_root, scenario, tmp_path / "migrated", fakebin)

    assert original["same"]["non_daemon_threads_left"] == []
    bug = KNOWN_BUGS.get((scenario, variant))
    if bug is not None and migrated["same"] != original["same"]:
        reason, symptom = bug
        symptom(original, migrated)
        raise KnownBug(reason)
    assert migrated["same"] == original["same"]
    for run in (original, migrated):
        assert "Traceback" not in run["stderr"], run["stderr"]
        assert "was never awaited" not in run["stderr"], run["stderr"]

    if scenario == "pinger":
        assert original["same"]["result"] == [0, 2, 4, 6, 8]
        assert original["timing"]["elapsed"] >= 5 * 0.3 - 0.05, "five blocking sleeps in a row"
        assert 0.3 - 0.05 <= migrated["timing"]["elapsed"] < 0.3 * 2.5, "one sleep: they overlap"
    elif scenario == "shell":
        assert original["same"]["kernel_version"] == original["same"]["uname_r"] != ""
        assert original["same"]["restart_ok"] is True and original["same"]["restart_broken"] is False
        assert original["same"]["run_checked_denied"]["raised"]["type"] == "PermissionError"
        assert original["same"]["run_checked_fails"]["raised"]["type"] == "CalledProcessError"
    elif scenario == "inventory":
        assert [h["name"] for h in original["same"]["after_import"]] == [
            "cache1", "db1", "n0", "n1", "n2", "n3", "web1", "web2",
        ]
        assert original["same"]["import"] == {"value": 2}
    elif scenario == "health":
        assert original["same"]["wait_open"] is True and original["same"]["wait_closed"] is False
        assert original["same"]["probe_up"] == {"up": "float"}
        assert original["same"]["probe_down"] == {"down": None}
        # The documented difference of the unsafe AW101 fix, and only there.
        raised = {"raised": {"type": "ValueError", "str": "sleep length must be non-negative"}}
        assert original["documented"]["negative_delay"] == raised
        expected = raised if variant == "phase-1" else {"value": False}
        assert migrated["documented"]["negative_delay"] == expected
    elif scenario == "util":
        assert original["same"]["present"] == {"value": True}
        assert original["same"]["timeout"] == {"value": False}
        assert original["same"]["settings"] == {"value": {"a": 1, "b": {"c": [True, None, 1.5]}}}
        assert original["same"]["no_table"]["raised"] == {
            "type": "OperationalError", "str": "no such table: settings",
        }
        assert original["same"]["no_directory"]["raised"]["type"] == "OperationalError"
        assert original["same"]["bad_json"]["raised"]["type"] == "JSONDecodeError"
        # The documented difference of the unsafe AW101 fix of `sleep(poll)`,
        # applied by the unsafe step only.
        raised = {"raised": {"type": "ValueError", "str": "sleep length must be non-negative"}}
        assert original["documented"]["negative_poll"] == raised
        expected = {"value": True} if variant == "phase-1-unsafe" else raised
        assert migrated["documented"]["negative_poll"] == expected
    elif scenario == "concurrent_import":
        assert original["same"]["hosts_add"] == {"host": "web1", "created": True}
        assert original["same"]["hosts_import"] == {"imported": 100_000}
        assert original["same"]["rows"] == 100_001
        # The final copy really overlaps the two requests (the import holds the
        # write lock when hosts.add starts), so this is not passing by luck.
        if variant == "phase-1-unsafe":
            assert migrated["timing"]["import_done_before_add"] is False
    elif scenario == "concurrent_config":
        assert original["same"]["hosts_add"] == {"host": "web1", "created": True}
        assert original["same"]["config_get"] == {"settings": {"retention_days": 30}}
        # A sync read is over before hosts.add runs; an async one (load_settings
        # on aiosqlite) is caught holding its read lock: the two really overlap.
        assert original["timing"]["add_while_reading"] is False
        reads_async = "aiosqlite" in (migrated_root / "opsd/util.py").read_text()
        assert reads_async or variant != "phase-1-unsafe"
        assert migrated["timing"]["add_while_reading"] is reads_async
    elif scenario == "daemon":
        replies = {json.dumps(q, sort_keys=True): a for q, a in original["same"]["replies"]}

        def reply(request: dict) -> dict:
            return replies[json.dumps(request, sort_keys=True)]

        assert reply({"cmd": "config.get"}) == {
            "settings": {"retention_days": 30, "features": ["audit", "exec"]}
        }
        assert reply({"cmd": "config.get", "key": "retention_days"}) == {"settings": {"retention_days": 30}}
        assert reply({"cmd": "config.get", "key": "missing"}) == {"settings": {"missing": None}}
        assert reply({"cmd": "service.restart", "unit": "ok-web", "pid_file": "ok-web.pid"}) == {
            "ok": True, "ready": True, "journal": "",
        }
        broken = reply({"cmd": "service.restart", "unit": "broken"})
        assert (broken["ok"], broken["ready"]) == (False, False) and "broken" in broken["journal"]
        assert original["same"]["restart_wait_pid"] == {"ok": True, "ready": True, "journal": ""}
        assert all("error" not in a for q, a in original["same"]["replies"][:11]), original["same"]["replies"]

    for key, (threshold, stalling) in BLOCKS.items():
        if key + ".max_stall" not in original["timing"]:
            continue
        for name, run in (("original", original), (variant, migrated)):
            stall = run["timing"][key + ".max_stall"]
            if name in stalling:
                assert stall >= threshold * 0.9, (key, name, stall)
            else:
                assert stall < threshold / 2, (key, name, stall)
