"""Shared fixtures for the awaitify Python behaviour tests.

The binary under test comes from the ``AWAITIFY_BIN`` environment variable
(``scripts/test.sh`` sets it to the freshly built debug binary), falling back
to ``<repo>/target/debug/awaitify``.  A missing binary is a test *failure*,
never a skip: a suite that silently skips its behaviour proof proves nothing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "target" / "debug" / "awaitify"

# Generous upper bound so a hung binary fails the test instead of the CI run.
AWAITIFY_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def awaitify_bin() -> Path:
    """Absolute path of the awaitify binary under test (fails if unusable)."""
    env_value = os.environ.get("AWAITIFY_BIN")
    if env_value:
        path = Path(env_value)
        origin = f"AWAITIFY_BIN={env_value!r}"
    else:
        path = DEFAULT_BIN
        origin = f"default {DEFAULT_BIN} (AWAITIFY_BIN is not set)"
    if not path.is_file():
        pytest.fail(
            f"awaitify binary not found: {origin}. Build it with `cargo build` "
            f"or run the whole suite with `bash scripts/test.sh`.",
            pytrace=False,
        )
    if not os.access(path, os.X_OK):
        pytest.fail(f"awaitify binary is not executable: {origin}", pytrace=False)
    return path.resolve()


RunAwaitify = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_awaitify(awaitify_bin: Path) -> RunAwaitify:
    """Return ``run_awaitify(*args, input=None, cwd=None) -> CompletedProcess``.

    Runs the binary with ``args`` in text mode (UTF-8), capturing stdout and
    stderr, never raising on a non-zero exit code.  Without ``input`` stdin is
    closed (``/dev/null``) so the binary can never block waiting on a terminal.
    """

    def run(
        *args: str | os.PathLike[str],
        input: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        cmd = [str(awaitify_bin), *(os.fspath(a) for a in args)]
        return subprocess.run(
            cmd,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=cwd,
            timeout=AWAITIFY_TIMEOUT_S,
            check=False,
        )

    return run
