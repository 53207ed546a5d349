"""Behaviour proof for the AW101 recipe: ``time.sleep(x)`` -> ``await asyncio.sleep(x)``.

The module under test is an inline copy of ``examples/concurrency/pinger.py``
(kept inline so this proof does not move when the example is edited): five
coroutines each block for SLEEP_S seconds and are gathered concurrently.

* Before migration ``time.sleep`` blocks the event loop, so the five "concurrent"
  fetches run one after another: about N_FETCHES * SLEEP_S seconds.
* After migration they really overlap: about one SLEEP_S.

The timing thresholds below are chosen so that the two regimes cannot be
confused, and ``test_negative_control_*`` shows that the concurrency assertion
fails on unmigrated code, i.e. a tool that did nothing could not pass.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

SLEEP_S = 0.3
N_FETCHES = 5
EXPECTED_RESULT = [i * 2 for i in range(N_FETCHES)]

# Blocking code needs all N_FETCHES sleeps back to back (10% slack for timer
# granularity); migrated code must finish in well under two sleeps.
SERIAL_FLOOR_S = N_FETCHES * SLEEP_S * 0.9  # 1.35 s
CONCURRENT_CEILING_S = 2 * SLEEP_S  # 0.6 s
assert SERIAL_FLOOR_S > CONCURRENT_CEILING_S, "thresholds must separate the regimes"

MODULE_NAME = "pinger"

# Inline copy of examples/concurrency/pinger.py.  `time.sleep` is on line 7.
PINGER_SOURCE = '''\
"""Five concurrent fetches that each block the event loop for 0.3 s."""
import asyncio
import time


async def fetch(i):
    time.sleep(0.3)
    return i * 2


async def main():
    return await asyncio.gather(*(fetch(i) for i in range(5)))
'''
PINGER_SLEEP_LINE = 7

# Same program without `import asyncio`: the fix must add that import, otherwise
# the migrated module dies with NameError when it runs.
PINGER_NO_ASYNCIO_IMPORT_SOURCE = '''\
from asyncio import gather
import time


async def fetch(i):
    time.sleep(0.3)
    return i * 2


async def main():
    return await gather(*(fetch(i) for i in range(5)))
'''

SOURCES = {
    "pinger": PINGER_SOURCE,
    "pinger-without-import-asyncio": PINGER_NO_ASYNCIO_IMPORT_SOURCE,
}

# Imports the module in a fresh interpreter and times asyncio.run(main()) only
# (not interpreter start-up or import), printing {"result", "elapsed"} as JSON.
TIMING_SCRIPT = textwrap.dedent(
    """\
    import asyncio, importlib, json, sys, time
    sys.path.insert(0, sys.argv[1])
    module = importlib.import_module(sys.argv[2])
    start = time.perf_counter()
    result = asyncio.run(module.main())
    elapsed = time.perf_counter() - start
    print(json.dumps({"result": result, "elapsed": elapsed}))
    """
)


@dataclass
class Run:
    result: object
    elapsed: float


def run_module(directory: Path) -> Run:
    """Run ``directory/pinger.py``'s main() in a fresh interpreter and time it."""
    proc = subprocess.run(
        # -I: ignore PYTHON* env and user site; -B: no .pyc, so the original and
        # the migrated copy can never share a stale bytecode cache.
        [sys.executable, "-I", "-B", "-c", TIMING_SCRIPT, str(directory), MODULE_NAME],
        cwd=directory,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, (
        f"running {directory / (MODULE_NAME + '.py')} failed "
        f"(exit {proc.returncode}):\n{proc.stderr}"
    )
    payload = json.loads(proc.stdout.strip().splitlines()[-1])
    return Run(result=payload["result"], elapsed=payload["elapsed"])


def assert_serial(run: Run) -> None:
    """The event loop was blocked: every sleep happened one after another."""
    assert run.elapsed >= SERIAL_FLOOR_S, (
        f"expected >= {SERIAL_FLOOR_S:.2f}s ({N_FETCHES} sequential sleeps), "
        f"took {run.elapsed:.3f}s"
    )


def assert_concurrent(run: Run) -> None:
    """The sleeps overlapped: about one sleep in total, not N_FETCHES."""
    assert run.elapsed < CONCURRENT_CEILING_S, (
        f"expected < {CONCURRENT_CEILING_S:.2f}s (sleeps overlapping), "
        f"took {run.elapsed:.3f}s"
    )


def write_module(directory: Path, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{MODULE_NAME}.py"
    path.write_text(source, encoding="utf-8")
    return path


def migrate(run_awaitify, directory: Path, source: str) -> Path:
    """Write ``source`` to ``directory/pinger.py`` and run ``awaitify fix --write`` on it."""
    path = write_module(directory, source)
    proc = run_awaitify("fix", "--write", path)
    assert proc.returncode == 0, (
        f"`awaitify fix --write` exited {proc.returncode}\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return path


# --------------------------------------------------------------------------- #
# The behaviour proof
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_migration_makes_sleeps_concurrent_with_same_result(run_awaitify, tmp_path, source):
    original_path = write_module(tmp_path / "original", source)
    migrated_path = migrate(run_awaitify, tmp_path / "migrated", source)

    migrated = migrated_path.read_text(encoding="utf-8")
    assert migrated != source, "awaitify fix --write did not change the file"
    assert "await asyncio.sleep" in migrated, migrated
    assert "time.sleep" not in migrated, migrated
    # Import hygiene: `import time` became unused and is gone; asyncio is
    # imported exactly once (added when missing, never duplicated).
    assert not re.search(r"^import time\s*$", migrated, re.M), migrated
    assert len(re.findall(r"^import asyncio\s*$", migrated, re.M)) == 1, migrated
    assert original_path.read_text(encoding="utf-8") == source, "original copy was touched"

    before = run_module(original_path.parent)
    after = run_module(migrated_path.parent)

    # Same observable result...
    assert before.result == EXPECTED_RESULT
    assert after.result == before.result

    # ...but the original blocks through all N_FETCHES sleeps (negative control:
    # had the tool changed nothing, `after` would look like this and fail below)...
    assert_serial(before)
    # ...while the migrated code overlaps them: about one sleep, not five.
    assert_concurrent(after)


def test_negative_control_unmigrated_module_fails_the_concurrency_check(tmp_path):
    """Proves the timing assertion can fail: a no-op "migration" is rejected.

    Runs the original (unmigrated) module exactly as the migrated one is run
    and shows that ``assert_concurrent`` -- the check the migrated module must
    pass -- raises on it, because it needs all N_FETCHES sleeps.
    """
    untouched = write_module(tmp_path / "untouched", PINGER_SOURCE)
    run = run_module(untouched.parent)

    assert run.result == EXPECTED_RESULT
    assert_serial(run)
    with pytest.raises(AssertionError):
        assert_concurrent(run)


# --------------------------------------------------------------------------- #
# CLI modes agree with each other and are idempotent
# --------------------------------------------------------------------------- #


def test_fix_stdin_matches_fix_write(run_awaitify, tmp_path):
    written = migrate(run_awaitify, tmp_path, PINGER_SOURCE).read_text(encoding="utf-8")

    proc = run_awaitify("fix", "-", input=PINGER_SOURCE, cwd=tmp_path)
    assert proc.returncode == 0, f"`awaitify fix -` exited {proc.returncode}\n{proc.stderr}"
    assert proc.stdout == written


def test_second_fix_write_is_a_no_op_and_check_is_clean(run_awaitify, tmp_path):
    path = migrate(run_awaitify, tmp_path, PINGER_SOURCE)

    # Pin the mtime to a distinctive past value so that any rewrite -- even one
    # of identical bytes within the filesystem's timestamp granularity -- shows.
    pinned_ns = 1_600_000_000_123_456_789
    os.utime(path, ns=(pinned_ns, pinned_ns))
    bytes_before = path.read_bytes()
    mtime_before = path.stat().st_mtime_ns

    proc = run_awaitify("fix", "--write", path)
    assert proc.returncode == 0, f"second fix --write exited {proc.returncode}\n{proc.stderr}"
    assert path.read_bytes() == bytes_before, "second fix --write changed the file"
    assert path.stat().st_mtime_ns == mtime_before, "second fix --write rewrote the file"

    check = run_awaitify("check", path)
    assert check.returncode == 0, (
        f"`awaitify check` after fixing exited {check.returncode}\n{check.stdout}{check.stderr}"
    )
    assert "AW101" not in check.stdout

    dry_run = run_awaitify("fix", path)
    assert dry_run.returncode == 0, f"`awaitify fix` (diff mode) exited {dry_run.returncode}"
    assert path.stat().st_mtime_ns == mtime_before


def test_check_and_diff_report_before_fixing(run_awaitify, tmp_path):
    """`check` and `fix` (no --write) report the finding and leave the file alone."""
    path = write_module(tmp_path, PINGER_SOURCE)

    check = run_awaitify("check", path)
    assert check.returncode == 1, f"check exited {check.returncode}\n{check.stdout}{check.stderr}"
    assert re.search(
        rf"{re.escape(MODULE_NAME)}\.py:{PINGER_SLEEP_LINE}:\d+: AW101 ", check.stdout
    ), check.stdout

    diff = run_awaitify("fix", path)
    assert diff.returncode == 1, f"fix (diff mode) exited {diff.returncode}\n{diff.stderr}"
    assert re.search(r"^-\s+time\.sleep\(0\.3\)$", diff.stdout, re.M), diff.stdout
    assert re.search(r"^\+\s+await asyncio\.sleep\(0\.3\)$", diff.stdout, re.M), diff.stdout
    assert path.read_text(encoding="utf-8") == PINGER_SOURCE, "diff mode modified the file"


def test_fix_write_reports_summary_on_stderr(run_awaitify, tmp_path):
    path = write_module(tmp_path, PINGER_SOURCE)
    proc = run_awaitify("fix", "--write", path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"Fixed 1 findings? in 1 files?", proc.stderr), proc.stderr
