"""Distribution proof: ``pip install <repo>`` gives a working ``awaitify`` command.

awaitify is shipped to Python users the way ruff is: ``pyproject.toml`` declares
maturin as the PEP 517 build backend with ``bindings = "bin"``, so the wheel holds
only the compiled Rust binary, installed into the environment's ``bin/``.

The test creates a fresh virtualenv, runs ``pip install <repo root>`` in it
(pip fetches maturin from PyPI into an isolated build environment, and maturin
compiles the binary), then runs the *installed* command; it does not use
``AWAITIFY_BIN``.

The packaging is under test, not the optimizer: the build uses Cargo's dev profile
in ``<repo>/target`` (``MATURIN_PEP517_ARGS``, ``CARGO_TARGET_DIR``), so it reuses
the suite's own debug build instead of compiling everything again in release mode.
A real ``pip install awaitify`` builds in release mode.

Set ``AWAITIFY_SKIP_DIST=1`` to skip this module for quick local runs; it runs
by default, and in CI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PIP_BUILD_TARGET = REPO_ROOT / "target"

# A cold release build of the binary and its dependencies; generous so that a
# slow machine passes, bounded so that a hung build fails instead of CI.
PIP_INSTALL_TIMEOUT_S = 900
VENV_TIMEOUT_S = 300
RUN_TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(
    os.environ.get("AWAITIFY_SKIP_DIST", "").strip().lower() in {"1", "true", "yes"},
    reason="AWAITIFY_SKIP_DIST is set: skipping the pip install (release build) test",
)

BLOCKING_MODULE = textwrap.dedent(
    """\
    import asyncio
    import time


    async def main():
        time.sleep(1)


    asyncio.run(main())
    """
)


def _cargo_version() -> str:
    """The ``[package]`` version in Cargo.toml, where the wheel's version comes from."""
    text = (REPO_ROOT / "Cargo.toml").read_text(encoding="utf-8")
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert package, "Cargo.toml has no [package] table"
    version = re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    assert version, "Cargo.toml [package] has no version"
    return version.group(1)


def _tail(text: str, lines: int = 80) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _run(cmd: list[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
        **kwargs,
    )


def _bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if sys.platform == "win32" else "bin")


def _exe(name: str) -> str:
    return name + (".exe" if sys.platform == "win32" else "")


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with awaitify installed from the repository by pip."""
    venv = tmp_path_factory.mktemp("dist") / "venv"
    created = _run([sys.executable, "-m", "venv", str(venv)], timeout=VENV_TIMEOUT_S)
    assert created.returncode == 0, f"python -m venv failed:\n{created.stdout}\n{created.stderr}"
    python = _bin_dir(venv) / _exe("python")

    env = dict(os.environ)
    # Keep the outer environment (the test runner's venv, pip settings that
    # point elsewhere) from leaking into the install.
    for name in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "PIP_TARGET", "PIP_PREFIX", "PIP_USER"):
        env.pop(name, None)
    env["CARGO_TARGET_DIR"] = str(PIP_BUILD_TARGET)
    # The packaging is what is under test, not the optimizer: a dev-profile build reuses the
    # test suite's own debug build artifacts and keeps CI fast.
    env["MATURIN_PEP517_ARGS"] = "--profile dev"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"

    cmd = [str(python), "-m", "pip", "install", "--verbose", str(REPO_ROOT)]
    try:
        installed = _run(cmd, timeout=PIP_INSTALL_TIMEOUT_S, env=env, cwd=venv.parent)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        if isinstance(out, bytes):
            out = out.decode("utf-8", "replace")
        pytest.fail(
            f"`pip install {REPO_ROOT}` did not finish in {PIP_INSTALL_TIMEOUT_S} s\n{_tail(out)}",
            pytrace=False,
        )
    if installed.returncode != 0:
        pytest.fail(
            f"`pip install {REPO_ROOT}` exited {installed.returncode}\n"
            f"--- stdout (tail) ---\n{_tail(installed.stdout)}\n"
            f"--- stderr (tail) ---\n{_tail(installed.stderr)}",
            pytrace=False,
        )
    return venv


def test_installed_command_is_the_native_binary(installed_venv: Path) -> None:
    awaitify = _bin_dir(installed_venv) / _exe("awaitify")
    assert awaitify.is_file(), f"pip installed no {awaitify}"
    assert os.access(awaitify, os.X_OK), f"{awaitify} is not executable"
    # bindings = "bin": the binary itself, not a Python entry-point script.
    head = awaitify.read_bytes()[:4]
    assert not head.startswith(b"#!"), f"{awaitify} is a script, not the compiled binary"
    if sys.platform.startswith("linux"):
        assert head == b"\x7fELF", f"{awaitify} is not an ELF executable: {head!r}"


def test_installed_version_matches_cargo(installed_venv: Path) -> None:
    awaitify = _bin_dir(installed_venv) / _exe("awaitify")
    result = _run([str(awaitify), "--version"], timeout=RUN_TIMEOUT_S, cwd=installed_venv)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"awaitify {_cargo_version()}"

    # The distribution's version is Cargo's too (dynamic = ["version"]).
    python = _bin_dir(installed_venv) / _exe("python")
    meta = _run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('awaitify'))"],
        timeout=RUN_TIMEOUT_S,
        cwd=installed_venv,
    )
    assert meta.returncode == 0, meta.stderr
    assert meta.stdout.strip() == _cargo_version()


def test_installed_check_reports_blocking_sleep(installed_venv: Path, tmp_path: Path) -> None:
    awaitify = _bin_dir(installed_venv) / _exe("awaitify")
    module = tmp_path / "blocking.py"
    module.write_text(BLOCKING_MODULE, encoding="utf-8")

    result = _run([str(awaitify), "check", str(module)], timeout=RUN_TIMEOUT_S, cwd=tmp_path)

    assert result.returncode == 1, (
        f"expected exit 1 (findings), got {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    assert "AW101" in result.stdout, result.stdout
    assert "blocking.py:6:5" in result.stdout, result.stdout
    # check never writes.
    assert module.read_text(encoding="utf-8") == BLOCKING_MODULE
