"""Every single-file fixture, fixed (safe and unsafe fixes), must still compile with CPython.

The Rust fixture tests re-parse each fixed file with awaitify's own parser, which accepts
some code CPython's compiler rejects (a keyword argument given twice, ``await`` outside an
async function). This test is the CPython oracle for the same files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = sorted(
    path for path in FIXTURES.glob("*/*.py") if path.parent.name != "project"
)


def compiles(text: str, name: str) -> SyntaxError | None:
    try:
        compile(text, name, "exec", dont_inherit=True)
    except SyntaxError as error:
        return error
    return None


def test_there_are_fixtures():
    assert len(FILES) > 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fixed_fixture_compiles(run_awaitify, path: Path, unsafe: bool):
    source = path.read_bytes().decode("utf-8")
    if compiles(source, str(path)) is not None:
        pytest.skip("the fixture itself does not compile")
    args = ["fix", "--isolated"]
    if "# fixture: subprocess-strategy = thread" in source:
        args += ["--subprocess-strategy", "thread"]
    if unsafe:
        args.append("--unsafe-fixes")
    result = run_awaitify(*args, "-", input=source)
    assert result.returncode in (0, 1), result.stderr
    assert result.stdout != source or "Fixed" not in result.stderr
    error = compiles(result.stdout, str(path))
    assert error is None, f"{error}\n{result.stdout}"
