"""The differential harness: every program in ``tests/differential/`` runs before and after
``awaitify fix --write``, and the two runs must behave the same.

A case is a folder ``tests/differential/<case>/``:

* ``driver.py`` is the entry point, run as ``python driver.py`` in a copy of the folder. It is
  never migrated (``--exclude driver.py``); the other files are the program.
* ``case.json`` says what to run and what to expect::

      {
        "about": "what the case shows",
        "runs": [
          {"flags": [], "changed": false},
          {"flags": ["--unsafe-fixes"], "changed": true, "same": false}
        ],
        "findings": [{"code": "AW101", "fix": "none", "note": "thread lock"}]
      }

  Each entry of ``runs`` migrates a fresh copy with ``fix --write`` plus its ``flags``.
  ``changed`` (optional) says whether some file must change. ``same`` (default true) says
  that the migrated program behaves as the original; ``false`` is allowed only with
  ``--unsafe-fixes``, for a change the unsafe fix's reason states. Each of ``findings``
  must match a finding of ``check`` with that code, whose fix is ``safe``, ``unsafe`` or
  ``none``, and whose message or note contains ``note``. ``paths`` (optional, default
  ``["."]``) are the paths given to ``check`` and ``fix``, for a run on part of a project;
  ``exclude`` (optional) lists globs given to both as ``--exclude`` besides ``driver.py``.

Every inserted ``await`` is a point where other tasks run: the interleaving of concurrent
tasks is what migration changes on purpose, so a driver prints results that do not depend on
it (sorted, or per task). What is compared: the driver's standard output, its exit status, the last line of its
standard error (the exception, if one ended it), and whether it hung (a timeout). The
original's record is checked too: it must not hang, so a case cannot pass by hanging twice.
The driver runs in a fresh interpreter that writes no bytecode (``-B``), so a stale ``.pyc``
cannot stand in for the migrated source.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[1] / "differential"
RUN_TIMEOUT_S = 10
AWAITIFY_TIMEOUT_S = 120


@dataclass(frozen=True)
class Record:
    stdout: str
    status: int | None
    exception: str
    hung: bool

    def show(self) -> str:
        if self.hung:
            return f"HUNG after {RUN_TIMEOUT_S} s; stdout so far:\n{self.stdout}"
        return f"exit {self.status}; exception: {self.exception or '-'}\nstdout:\n{self.stdout}"


def run_program(folder: Path) -> Record:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    try:
        done = subprocess.run(
            [sys.executable, "-B", "driver.py"],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=RUN_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        return Record(out.decode("utf-8", "replace"), None, "", True)
    err_lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    exception = err_lines[-1] if err_lines and done.returncode != 0 else ""
    return Record(done.stdout.decode("utf-8", "replace"), done.returncode, exception, False)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def awaitify(awaitify_bin: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(awaitify_bin), *args],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=AWAITIFY_TIMEOUT_S,
    )


def load_case(name: str) -> dict:
    spec = json.loads((CASES / name / "case.json").read_text())
    assert spec.get("about"), f"{name}: case.json needs an `about`"
    assert spec.get("runs"), f"{name}: case.json needs at least one run"
    assert (CASES / name / "driver.py").is_file(), f"{name}: no driver.py"
    return spec


CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file())


def test_cases_exist() -> None:
    assert len(CASE_NAMES) >= 1, f"no cases under {CASES}"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_differential(name: str, awaitify_bin: Path, tmp_path: Path) -> None:
    spec = load_case(name)
    original_dir = tmp_path / "original"
    shutil.copytree(CASES / name, original_dir, ignore=shutil.ignore_patterns("__pycache__"))
    original = run_program(original_dir)
    assert not original.hung, f"{name}: the original program hangs:\n{original.show()}"

    paths = spec.get("paths", ["."])
    excludes = [arg for glob in ["driver.py", *spec.get("exclude", [])] for arg in ("--exclude", glob)]
    for expected in spec.get("findings", []):
        checked = awaitify(
            awaitify_bin, original_dir, "check", "--output-format", "json", "--exit-zero",
            "--unsafe-fixes", *excludes, *paths,
        )
        assert checked.returncode == 0, checked.stderr
        findings = json.loads(checked.stdout)
        want_fix = expected.get("fix")
        matches = [
            f for f in findings
            if f["code"] == expected["code"]
            and (want_fix is None
                 or (f["fix"] or {}).get("applicability", "none").replace("display-only", "none")
                 == want_fix)
            and expected.get("note", "") in f"{f['message']} {f.get('note') or ''}"
        ]
        assert matches, (
            f"{name}: no finding matches {expected}; findings:\n"
            + "\n".join(
                f"  {f['code']} {(f['fix'] or {}).get('applicability', 'none')}: "
                f"{f['message']} | {f.get('note')}"
                for f in findings
            )
        )

    for run in spec["runs"]:
        flags = run.get("flags", [])
        same = run.get("same", True)
        assert same or "--unsafe-fixes" in flags, (
            f"{name}: a safe migration must keep behaviour (`same: false` needs --unsafe-fixes)"
        )
        label = "fix --write " + " ".join(flags)
        migrated_dir = tmp_path / ("migrated" + "".join(flags).replace("-", "_"))
        shutil.copytree(CASES / name, migrated_dir, ignore=shutil.ignore_patterns("__pycache__"))
        before = snapshot(migrated_dir)
        fixed = awaitify(
            awaitify_bin, migrated_dir, "fix", "--write", "--isolated", *excludes, *flags, *paths,
        )
        assert fixed.returncode in (0, 1), f"{name}: {label} failed:\n{fixed.stderr}"
        after = snapshot(migrated_dir)
        if "changed" in run:
            assert (before != after) == run["changed"], (
                f"{name}: {label} should {'' if run['changed'] else 'not '}change the program;"
                f"\n{fixed.stderr}"
            )
        assert after["driver.py"] == before["driver.py"], f"{name}: the driver was migrated"
        again = awaitify(
            awaitify_bin, migrated_dir, "fix", "--write", "--isolated", *excludes, *flags, *paths,
        )
        assert snapshot(migrated_dir) == after, f"{name}: a second {label} changed the program"
        assert again.returncode in (0, 1), again.stderr

        migrated = run_program(migrated_dir)
        diff = "\n".join(
            f"--- {path}\n{after[path].decode('utf-8', 'replace')}"
            for path in after
            if before.get(path) != after[path]
        )
        if same:
            assert migrated == original, (
                f"{name}: {label} changed behaviour.\nORIGINAL: {original.show()}\n"
                f"MIGRATED: {migrated.show()}\nCHANGED FILES:\n{diff}"
            )
        else:
            assert not migrated.hung, f"{name}: {label} hangs:\n{migrated.show()}\n{diff}"
