"""Behaviour proof for the AW103 recipe's native strategy (the default): a blocking
``subprocess`` call at the head of a statement in async code becomes inline asyncio
statements (``proc = await asyncio.create_subprocess_exec(...)``, ``await
proc.communicate()``, the decoding, the ``CalledProcessError``, a ``CompletedProcess``);
the calls it cannot write exactly move to ``asyncio.to_thread``.

The module below is migrated once with ``awaitify fix --write``; then every pattern (one
coroutine function each) runs in the original and in the migrated copy, each in a fresh
interpreter with real child processes, and the two runs must agree exactly: the return
value (``CompletedProcess`` fields, bytes vs. str, newline translation, decoding), or the
exception with its type, message, args and attributes (``returncode``, ``cmd``,
``output``, ``stdout``, ``stderr``, ``timeout``, ``errno``, ``filename``), plus what the
interpreter wrote to its own stdout/stderr.

Equivalence alone would be passed by a tool that changed nothing, so:

* the original values are checked to be the intended ones (a case returning None in both
  versions would prove nothing);
* with ``asyncio``'s process creation and ``asyncio.to_thread`` traced, every native case of
  the migrated module starts its children through asyncio and uses no thread, every
  fallback case uses a thread, and the original uses neither;
* while a migrated call waits for ``sleep 0.3``, a heartbeat coroutine keeps ticking; the
  original blocks it (the negative control).
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from child_processes import (
    MAX_TICKS_BLOCKING,
    MIN_TICKS_MIGRATED,
    heartbeat_ticks,
    interpreter,
)

MISSING_PROGRAM = "awaitify-test-no-such-program"

SOURCE = '''\
"""A command runner written with blocking subprocess calls."""
import os
import subprocess
from subprocess import PIPE, STDOUT, check_output


async def run_echo():
    return subprocess.run(["echo", "hello"], capture_output=True)


async def run_crlf_text():
    return subprocess.run(["printf", "a\\\\r\\\\nb\\\\r\\\\nc\\\\rd"], capture_output=True, text=True)


async def run_crlf_text_one_pipe():
    return subprocess.run(["printf", "a\\\\r\\\\nb\\\\rc"], stdout=PIPE, text=True)


async def run_crlf_bytes():
    return subprocess.run(("printf", "a\\\\r\\\\nb"), capture_output=True)


async def run_check_false():
    return subprocess.run(["false"], check=True)


async def run_check_captured():
    return subprocess.run(
        ["sh", "-c", "echo out; echo err >&2; exit 4"],
        capture_output=True,
        check=True,
    )


async def run_input_bytes():
    return subprocess.run(["cat"], input=b"piped\\r\\ndata\\n", capture_output=True)


async def run_input_text():
    return subprocess.run(["cat"], input="line 1\\r\\nline 2\\n", capture_output=True, text=True)


async def run_input_text_one_pipe():
    return subprocess.run(["cat"], input="only stdin\\n", text=True)


async def check_output_input_text():
    return check_output(["cat"], input="x\\ny", text=True)


async def check_output_input_none():
    return check_output(["cat"], input=None)


async def run_timeout():
    return subprocess.run(["sleep", "5"], timeout=0.2)


async def run_timeout_partial_output():
    return subprocess.run(
        ["sh", "-c", "echo partial; echo oops >&2; exec sleep 5"],
        capture_output=True,
        text=True,
        timeout=0.5,
    )


async def check_call_timeout_statement():
    subprocess.check_call(["sh", "-c", "exit 3"], timeout=5)
    return "not raised"


async def check_output_timeout():
    return subprocess.check_output(["sleep", "5"], timeout=0.2)


async def call_timeout():
    return subprocess.call(["sleep", "5"], timeout=0.2)


async def run_missing_program():
    return subprocess.run(["%(missing)s", "--version"])


async def check_output_missing_program_name():
    return subprocess.check_output("%(missing)s")


async def run_missing_cwd():
    return subprocess.run(["true"], cwd="/nonexistent/awaitify-test-dir")


async def run_stderr_to_stdout():
    return subprocess.run(["sh", "-c", "echo out; echo err >&2"], stdout=PIPE, stderr=STDOUT)


async def run_shell():
    return subprocess.run("echo $((6 * 7)) $0", shell=True, capture_output=True, text=True)


async def run_env():
    return subprocess.run(
        ["sh", "-c", 'printf "%%s|%%s" "$AWAITIFY_TEST_VAR" "${HOME-unset}"'],
        env={"AWAITIFY_TEST_VAR": "value 42", "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
    )


async def run_cwd(path):
    return subprocess.run(["pwd"], cwd=path, capture_output=True, text=True).stdout


async def run_encoding_latin1():
    return subprocess.run(["printf", "\\\\351t\\\\351"], capture_output=True, encoding="latin-1")


async def run_decode_error():
    return subprocess.run(["printf", "ok\\\\377"], capture_output=True, encoding="utf-8")


async def run_decode_error_one_pipe():
    return subprocess.run(["printf", "ok\\\\377"], stdout=PIPE, text=True, encoding="utf-8")


async def run_text_conflict():
    return subprocess.run(["true"], text=True, universal_newlines=False)


async def run_input_and_stdin():
    return subprocess.run(["cat"], input=b"x", stdin=subprocess.DEVNULL)


async def run_signal():
    return subprocess.run(["sh", "-c", "kill -TERM $$"], capture_output=True)


async def call_exit_code():
    return subprocess.call(["sh", "-c", "exit 5"])


async def call_writes_to_stdout():
    return subprocess.call(["echo", "from-call"])


async def check_call_fails():
    return subprocess.check_call(["sh", "-c", "exit 7"])


async def check_call_succeeds():
    return subprocess.check_call(["true"], stdout=subprocess.DEVNULL)


async def check_output_fails_with_stderr():
    return subprocess.check_output(
        ["sh", "-c", "echo out; echo err >&2; exit 4"], stderr=PIPE, text=True
    )


async def check_output_stdout_not_allowed():
    return subprocess.check_output(["echo"], stdout=None)


async def getoutput_strips_one_newline():
    return subprocess.getoutput("printf 'x\\\\n\\\\n'")


async def getstatusoutput_failure():
    return subprocess.getstatusoutput("echo hi; echo err >&2; exit 2")


async def getstatusoutput_missing_program():
    return subprocess.getstatusoutput("%(missing)s")


async def getstatusoutput_signal():
    return subprocess.getstatusoutput("kill -TERM $$")


async def nested_in_expressions(flag):
    out = subprocess.run(["echo", "a"], capture_output=True).stdout.decode()
    ok = subprocess.call(["true"]) == 0
    either = flag or subprocess.getoutput("echo b")
    codes = [subprocess.call(["sh", "-c", f"exit {i}"]) for i in range(3)]
    return out, ok, either, codes, f"<{subprocess.getoutput('echo c')}>"


async def caught_in_async_code():
    try:
        subprocess.run(["false"], check=True)
    except subprocess.CalledProcessError as exc:
        return ["caught", exc.returncode, exc.cmd]
    return "not raised"


async def run_decode_error_discarded():
    subprocess.run(["printf", "ok\\\\377"], capture_output=True, text=True)
    return "not raised"


async def run_stdin_pipe_without_input():
    return subprocess.run(["cat"], stdin=PIPE, capture_output=True)


async def run_list_name():
    cmd = ["printf", "%%s-%%s", "a", "b"]
    return subprocess.run(cmd, capture_output=True, text=True)


async def check_output_lines():
    lines = []
    for line in subprocess.check_output(["printf", "x\\ny\\n"], text=True).splitlines():
        lines.append(line.upper())
    return lines


async def call_in_if_test():
    if subprocess.call(["sh", "-c", "exit 3"]) == 0:
        return "zero"
    return "non-zero"


async def names_already_used(proc, stdout):
    stderr = subprocess.check_output(["echo", "taken"])
    return proc, stdout, stderr


async def check_call_statement_fails():
    subprocess.check_call(["sh", "-c", "exit 9"])
    return "not raised"


async def shell_string_with_check():
    return subprocess.run("echo shell; exit 6", shell=True, capture_output=True, check=True)


async def append_keeps_its_call():
    seen = []
    seen.append(subprocess.check_output(["echo", "kept"]))
    return seen


async def check_returncode_keeps_its_call():
    subprocess.run(["sh", "-c", "exit 4"], capture_output=True).check_returncode()
    return "not raised"


async def popen_read_translates_newlines():
    return os.popen("printf 'a\\r\\nb\\rc'").read()


async def popen_read_statement_raises_decode_error():
    os.popen("printf 'ok\\\\377'").read()
    return "not raised"


async def popen_read_chained():
    return os.popen("echo one two").read().split()


# -- fixed with asyncio.to_thread: a shell command given as a list --


async def run_shell_list():
    return subprocess.run(["echo $0 $1", "zero", "one"], shell=True, capture_output=True)


# -- fixed with asyncio.to_thread: keywords asyncio cannot take, argument errors, os.system --


async def run_bufsize():
    return subprocess.run(["echo", "buffered"], capture_output=True, bufsize=0)


async def system_exit_status():
    return os.system("exit 3")


# -- the non-blocking check: each waits 0.3 s in a child --


async def sleep_run():
    return subprocess.run(["sleep", "0.3"]).returncode


async def sleep_check_output():
    return subprocess.check_output(["sh", "-c", "sleep 0.3; echo done"], text=True)


async def sleep_getstatusoutput():
    return subprocess.getstatusoutput("sleep 0.3; echo done")


# -- timeouts with pipes: the helper coroutine reads until the timeout, then kills --


async def run_timeout_grandchild_holds_pipe():
    # The child exits at once; its background grandchild keeps stdout open past the timeout.
    return subprocess.run(
        ["sh", "-c", "echo started; sleep 3 & exit 0"], capture_output=True, timeout=0.5
    )


async def run_timeout_ignores_sigterm():
    return subprocess.run(
        ["sh", "-c", "trap '' TERM; echo stubborn; exec sleep 5"],
        stdout=PIPE,
        text=True,
        timeout=0.4,
    )


async def run_timeout_large_output_both_pipes():
    result = subprocess.run(
        ["sh", "-c", "head -c 100000 /dev/zero | tr '\\\\0' a; head -c 90000 /dev/zero | tr '\\\\0' b >&2"],
        capture_output=True,
        timeout=10,
    )
    return len(result.stdout), len(result.stderr), result.stdout[:3], result.stderr[-3:]


async def run_timeout_errors_replace_crlf():
    return subprocess.run(
        ["printf", "ok\\\\377\\r\\nnext\\r"],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=5,
    )


async def run_timeout_input_text_check():
    return subprocess.run(
        ["sh", "-c", "cat; echo failed >&2; exit 3"],
        input="line\\r\\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=5,
    )


async def run_timeout_pipes_closed_early():
    # The child closes its pipes, then keeps running: the wait after them times out.
    return subprocess.run(
        ["sh", "-c", "echo bye; exec >&- 2>&-; exec sleep 5"], capture_output=True, timeout=0.3
    )


async def check_output_timeout_statement():
    subprocess.check_output(["sh", "-c", "echo x; exit 2"], timeout=5)
    return "not raised"


# -- commands that are expressions, `**kwargs` with known keys, comments, `encoding=""` --


async def run_expression_command():
    return subprocess.run(["printf", "%%s+%%s"] + ["a", "b"], capture_output=True, check=True)


async def run_extended_list(extra):
    cmd = ["printf", "%%s|"]
    if extra:
        cmd += ["-x"]
    cmd += ["y", "z"]
    return subprocess.run(cmd, capture_output=True, text=True)


async def run_known_kwargs(path):
    kw = {}
    if path:
        kw["cwd"] = path
    return subprocess.run(["pwd"], capture_output=True, text=True, **kw).stdout


async def run_comment_in_call():
    return subprocess.run(
        ["echo", "commented"],  # the word
        capture_output=True,  # both pipes
    )


async def run_empty_encoding():
    return subprocess.run(["echo", "binary"], capture_output=True, encoding="")


async def sleep_run_timeout_captured():
    return subprocess.run(["sh", "-c", "sleep 0.3; echo done"], capture_output=True, timeout=5).stdout
''' % {"missing": MISSING_PROGRAM}

# Cases rewritten to asyncio statements: the child starts through asyncio.
NATIVE = [
    "run_echo", "run_crlf_text", "run_crlf_text_one_pipe", "run_crlf_bytes", "run_timeout",
    "call_timeout", "check_call_timeout_statement",
    "run_check_false", "run_check_captured", "run_input_bytes", "run_input_text",
    "run_input_text_one_pipe", "check_output_input_text", "check_output_input_none",
    "run_missing_program", "check_output_missing_program_name", "run_missing_cwd",
    "run_stderr_to_stdout", "run_shell", "run_env", "run_cwd", "run_encoding_latin1",
    "run_decode_error", "run_decode_error_one_pipe", "run_signal", "call_exit_code",
    "call_writes_to_stdout", "check_call_fails", "check_call_succeeds",
    "check_output_fails_with_stderr", "getoutput_strips_one_newline",
    "getstatusoutput_failure", "getstatusoutput_missing_program", "getstatusoutput_signal",
    "caught_in_async_code", "run_decode_error_discarded", "run_stdin_pipe_without_input",
    "run_list_name", "check_output_lines", "call_in_if_test", "names_already_used",
    "check_call_statement_fails", "shell_string_with_check", "append_keeps_its_call",
    "check_returncode_keeps_its_call", "popen_read_translates_newlines",
    "popen_read_statement_raises_decode_error", "popen_read_chained", "sleep_run",
    "sleep_check_output", "sleep_getstatusoutput",
    "run_timeout_partial_output", "check_output_timeout", "run_timeout_grandchild_holds_pipe",
    "run_timeout_ignores_sigterm", "run_timeout_large_output_both_pipes",
    "run_timeout_errors_replace_crlf", "run_timeout_input_text_check",
    "run_timeout_pipes_closed_early", "check_output_timeout_statement",
    "run_expression_command", "run_extended_list", "run_known_kwargs", "run_comment_in_call",
    "run_empty_encoding", "sleep_run_timeout_captured",
]
# Cases with calls of both kinds: at the head of a statement, and inside expressions.
MIXED = ["nested_in_expressions"]
# Cases that run `subprocess` in a thread: what the inline statements cannot do exactly.
THREAD = [
    "run_text_conflict", "run_input_and_stdin", "check_output_stdout_not_allowed",
    "run_shell_list", "run_bufsize", "system_exit_status",
]
CASES = NATIVE + MIXED + THREAD
ARGS = {"run_cwd": ["{tmp}"], "nested_in_expressions": [False], "run_known_kwargs": ["{tmp}"],
        "run_extended_list": [True],
        "names_already_used": [None, None]}
TIMEOUT_CASES = {"run_timeout", "run_timeout_partial_output", "check_output_timeout",
                 "call_timeout", "run_timeout_grandchild_holds_pipe", "run_timeout_ignores_sigterm",
                 "run_timeout_pipes_closed_early"}

# argv: module dir, function, JSON args, result file.  Runs asyncio.run(function(*args))
# with asyncio's process creation and asyncio.to_thread counted, and writes the outcome.
RUNNER = textwrap.dedent(
    """\
    import asyncio, asyncio.base_events, functools, importlib, json, re, subprocess, sys, time

    directory, function, args, result_path = sys.argv[1:]
    sys.path.insert(0, directory)
    counts = {"asyncio_process": 0, "to_thread": 0}

    def counting(key, original):
        @functools.wraps(original)
        def wrapper(*a, **k):
            counts[key] += 1
            return original(*a, **k)
        return wrapper

    loop_class = asyncio.base_events.BaseEventLoop
    loop_class.subprocess_exec = counting("asyncio_process", loop_class.subprocess_exec)
    loop_class.subprocess_shell = counting("asyncio_process", loop_class.subprocess_shell)
    asyncio.to_thread = counting("to_thread", asyncio.to_thread)

    ATTRIBUTES = ("returncode", "cmd", "output", "stdout", "stderr", "timeout", "errno",
                  "strerror", "filename", "filename2", "encoding", "reason", "start", "end",
                  "object")

    def encode(value):
        # A TimeoutExpired raised by a wait carries the *remaining* time: round it.
        if isinstance(value, float):
            return round(value, 1)
        if isinstance(value, str):
            return re.sub(r"\\b(\\d+\\.\\d{2,})\\b", lambda m: str(round(float(m[1]), 1)), value)
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, bytes):
            return {"bytes": value.decode("latin-1")}
        if isinstance(value, (list, tuple)):
            return {type(value).__name__: [encode(item) for item in value]}
        if isinstance(value, subprocess.CompletedProcess):
            return {"CompletedProcess": {name: encode(getattr(value, name))
                                         for name in ("args", "returncode", "stdout", "stderr")}}
        if isinstance(value, BaseException):
            kind = type(value)
            return {
                "exception": kind.__module__ + "." + kind.__qualname__,
                "str": encode(str(value)),
                "args": encode(value.args),
                "attributes": {name: encode(getattr(value, name))
                               for name in ATTRIBUTES if hasattr(value, name)},
                "cause": repr(value.__cause__),
                # What a traceback shows: `raise ... from None` hides the context.
                "context": repr(None if value.__suppress_context__ else value.__context__),
            }
        return {"repr": repr(value)}

    module = importlib.import_module("service")
    start = time.perf_counter()
    try:
        value = asyncio.run(getattr(module, function)(*json.loads(args)))
        outcome = "return"
    except BaseException as exc:
        value = exc
        outcome = "raise"
    elapsed = time.perf_counter() - start
    sys.stdout.flush()
    sys.stderr.flush()
    with open(result_path, "w", encoding="utf-8") as result_file:
        json.dump({"outcome": outcome, "value": encode(value), "elapsed": elapsed,
                   "counts": counts}, result_file)
    """
)

@dataclass
class Outcome:
    result: dict
    stdout: str
    stderr: str


def run_pattern(directory: Path, function: str, scratch: Path) -> Outcome:
    scratch.mkdir(parents=True, exist_ok=True)
    # `{tmp}`: a folder both versions share (the parent of their scratch folders).
    args = [a.replace("{tmp}", str(scratch.parent)) if isinstance(a, str) else a
            for a in ARGS.get(function, [])]
    result_path = scratch / "result.json"
    proc = interpreter("-c", RUNNER, str(directory), function, json.dumps(args),
                       str(result_path), cwd=scratch)
    assert proc.returncode == 0 and result_path.exists(), (
        f"runner for {function} in {directory} failed (exit {proc.returncode}):\n"
        f"{proc.stdout}\n{proc.stderr}"
    )
    return Outcome(json.loads(result_path.read_text(encoding="utf-8")), proc.stdout,
                   proc.stderr)


@dataclass
class Migrated:
    original: Path
    migrated: Path
    text: str
    fix_stderr: str


@pytest.fixture(scope="module")
def service(awaitify_bin, tmp_path_factory) -> Migrated:
    root = tmp_path_factory.mktemp("aw103_native")
    original, migrated = root / "original", root / "migrated"
    for directory in (original, migrated):
        directory.mkdir()
        (directory / "service.py").write_text(SOURCE, encoding="utf-8")
    proc = subprocess.run(
        [str(awaitify_bin), "fix", "--write", "--isolated", str(migrated / "service.py")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, f"fix --write exited {proc.returncode}:\n{proc.stderr}"
    return Migrated(original, migrated, (migrated / "service.py").read_text(encoding="utf-8"),
                    proc.stderr)


def function_source(source: str, function: str) -> str:
    match = re.search(rf"^async def {function}\(.*?(?=^\S|\Z)", source, re.M | re.S)
    assert match, f"{function} not found"
    return match.group(0)


# --------------------------------------------------------------------------- #
# The migration itself
# --------------------------------------------------------------------------- #


def test_every_call_is_migrated(service, run_awaitify):
    assert "Fixed" in service.fix_stderr, service.fix_stderr
    after = run_awaitify("check", "--isolated", service.migrated / "service.py")
    assert after.returncode == 0, after.stdout + after.stderr
    for function in NATIVE:
        body = function_source(service.text, function)
        assert "await asyncio.create_subprocess_" in body and "to_thread" not in body, body
        code = body.split("\n", 1)[1]
        assert "subprocess.run(" not in code and "check_output(" not in code, body
    for function in MIXED:
        body = function_source(service.text, function)
        assert "await asyncio.create_subprocess_" in body and "to_thread" in body, body
    for function in THREAD:
        body = function_source(service.text, function)
        assert "await asyncio.to_thread(" in body and "create_subprocess" not in body, body
    # The new names do not take the function's own.
    assert "proc_1 = await" in function_source(service.text, "names_already_used")
    # The import the fixes made unused is gone; the ones still used stay.
    assert "from subprocess import PIPE, STDOUT\n" in service.text
    # A second run changes nothing.
    again = run_awaitify("fix", "--isolated", "-", input=service.text)
    assert again.returncode == 0 and again.stdout == service.text, again.stderr


# --------------------------------------------------------------------------- #
# Same values, same exceptions, same output
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("function", CASES)
def test_migrated_pattern_behaves_exactly_like_the_original(service, tmp_path, function):
    before = run_pattern(service.original, function, tmp_path / "before")
    after = run_pattern(service.migrated, function, tmp_path / "after")
    assert after.result["outcome"] == before.result["outcome"]
    assert after.result["value"] == before.result["value"]
    assert after.stdout == before.stdout
    assert after.stderr == before.stderr
    if function in TIMEOUT_CASES:
        # The child was killed on time in both versions: nobody waited for `sleep 5`.
        assert before.result["elapsed"] < 3 and after.result["elapsed"] < 3


def _exception(value, name):
    return value.get("exception") == name


def _completed(value):
    return value["CompletedProcess"]


# What the original returns or raises: the comparisons above compare these.
EXPECTED_VALUES = {
    "run_echo": lambda v: _completed(v)["stdout"] == {"bytes": "hello\n"}
    and _completed(v)["stderr"] == {"bytes": ""},
    "run_crlf_text": lambda v: _completed(v)["stdout"] == "a\nb\nc\nd",
    "run_crlf_text_one_pipe": lambda v: _completed(v)["stdout"] == "a\nb\nc"
    and _completed(v)["stderr"] is None,
    "run_crlf_bytes": lambda v: _completed(v)["stdout"] == {"bytes": "a\r\nb"}
    and _completed(v)["args"] == {"tuple": ["printf", "a\\r\\nb"]},
    "run_check_false": lambda v: _exception(v, "subprocess.CalledProcessError")
    and v["attributes"]["returncode"] == 1 and v["attributes"]["cmd"] == {"list": ["false"]},
    "run_check_captured": lambda v: v["attributes"]["output"] == {"bytes": "out\n"}
    and v["attributes"]["stderr"] == {"bytes": "err\n"} and v["attributes"]["returncode"] == 4,
    "run_input_bytes": lambda v: _completed(v)["stdout"] == {"bytes": "piped\r\ndata\n"},
    "run_input_text": lambda v: _completed(v)["stdout"] == "line 1\nline 2\n",
    "run_input_text_one_pipe": lambda v: _completed(v)["returncode"] == 0,
    "check_output_input_text": lambda v: v == "x\ny",
    "check_output_input_none": lambda v: v == {"bytes": ""},
    "run_timeout": lambda v: _exception(v, "subprocess.TimeoutExpired")
    and v["attributes"]["timeout"] == 0.2 and v["attributes"]["output"] is None,
    "run_timeout_partial_output": lambda v: v["attributes"]["timeout"] == 0.5
    and v["attributes"]["output"] == {"bytes": "partial\n"}
    and v["attributes"]["stderr"] == {"bytes": "oops\n"},
    "check_output_timeout": lambda v: _exception(v, "subprocess.TimeoutExpired"),
    "call_timeout": lambda v: _exception(v, "subprocess.TimeoutExpired")
    and v["attributes"]["timeout"] == 0.2,
    "run_missing_program": lambda v: _exception(v, "builtins.FileNotFoundError")
    and v["attributes"]["errno"] == 2 and v["attributes"]["filename"] == MISSING_PROGRAM,
    "check_output_missing_program_name": lambda v: _exception(v, "builtins.FileNotFoundError"),
    "run_missing_cwd": lambda v: _exception(v, "builtins.FileNotFoundError")
    and v["attributes"]["filename"] == "/nonexistent/awaitify-test-dir",
    "run_stderr_to_stdout": lambda v: _completed(v)["stdout"] == {"bytes": "out\nerr\n"},
    "run_shell": lambda v: _completed(v)["stdout"] == "42 /bin/sh\n",
    "run_env": lambda v: _completed(v)["stdout"] == "value 42|unset",
    "run_cwd": lambda v: isinstance(v, str) and v.startswith("/") and v.endswith("\n")
    and "pytest" in v,
    "run_encoding_latin1": lambda v: _completed(v)["stdout"] == "été",
    "run_decode_error": lambda v: _exception(v, "builtins.UnicodeDecodeError")
    and v["attributes"]["start"] == 2,
    "run_decode_error_one_pipe": lambda v: _exception(v, "builtins.UnicodeDecodeError"),
    "run_text_conflict": lambda v: _exception(v, "subprocess.SubprocessError"),
    "popen_read_translates_newlines": lambda v: v == "a\nb\nc",
    "popen_read_statement_raises_decode_error": lambda v: _exception(
        v, "builtins.UnicodeDecodeError"),
    "popen_read_chained": lambda v: v == {"list": ["one", "two"]},
    "check_call_timeout_statement": lambda v: _exception(v, "subprocess.CalledProcessError")
    and v["attributes"]["returncode"] == 3,
    "append_keeps_its_call": lambda v: v == {"list": [{"bytes": "kept\n"}]},
    "check_returncode_keeps_its_call": lambda v: _exception(v, "subprocess.CalledProcessError")
    and v["attributes"]["returncode"] == 4,
    "run_decode_error_discarded": lambda v: _exception(v, "builtins.UnicodeDecodeError"),
    "run_stdin_pipe_without_input": lambda v: _completed(v)["stdout"] == {"bytes": ""}
    and _completed(v)["returncode"] == 0,
    "run_list_name": lambda v: _completed(v)["stdout"] == "a-b"
    and _completed(v)["args"] == {"list": ["printf", "%s-%s", "a", "b"]},
    "check_output_lines": lambda v: v == {"list": ["X", "Y"]},
    "call_in_if_test": lambda v: v == "non-zero",
    "names_already_used": lambda v: v == {"tuple": [None, None, {"bytes": "taken\n"}]},
    "check_call_statement_fails": lambda v: _exception(v, "subprocess.CalledProcessError")
    and v["attributes"]["returncode"] == 9,
    "shell_string_with_check": lambda v: _exception(v, "subprocess.CalledProcessError")
    and v["attributes"]["output"] == {"bytes": "shell\n"} and v["attributes"]["returncode"] == 6,
    "run_input_and_stdin": lambda v: _exception(v, "builtins.ValueError"),
    "run_signal": lambda v: _completed(v)["returncode"] == -15,
    "call_exit_code": lambda v: v == 5,
    "call_writes_to_stdout": lambda v: v == 0,
    "check_call_fails": lambda v: _exception(v, "subprocess.CalledProcessError")
    and v["attributes"]["returncode"] == 7 and v["attributes"]["output"] is None,
    "check_call_succeeds": lambda v: v == 0,
    "check_output_fails_with_stderr": lambda v: v["attributes"]["output"] == "out\n"
    and v["attributes"]["stderr"] == "err\n",
    "check_output_stdout_not_allowed": lambda v: _exception(v, "builtins.ValueError"),
    "getoutput_strips_one_newline": lambda v: v == "x\n",
    "getstatusoutput_failure": lambda v: v == {"tuple": [2, "hi\nerr"]},
    "getstatusoutput_missing_program": lambda v: v["tuple"][0] == 127,
    "getstatusoutput_signal": lambda v: v == {"tuple": [-15, ""]},
    "nested_in_expressions": lambda v: v == {"tuple": ["a\n", True, "b", {"list": [0, 1, 2]},
                                                      "<c>"]},
    "caught_in_async_code": lambda v: v == {"list": ["caught", 1, {"list": ["false"]}]},
    "run_shell_list": lambda v: _completed(v)["stdout"] == {"bytes": "zero one\n"},
    "run_bufsize": lambda v: _completed(v)["stdout"] == {"bytes": "buffered\n"},
    "system_exit_status": lambda v: v == 3 << 8,
    "sleep_run": lambda v: v == 0,
    "sleep_check_output": lambda v: v == "done\n",
    "sleep_getstatusoutput": lambda v: v == {"tuple": [0, "done"]},
    "run_timeout_grandchild_holds_pipe": lambda v: _exception(v, "subprocess.TimeoutExpired")
    and v["attributes"]["output"] == {"bytes": "started\n"} and v["attributes"]["timeout"] == 0.5,
    "run_timeout_ignores_sigterm": lambda v: _exception(v, "subprocess.TimeoutExpired")
    and v["attributes"]["output"] == {"bytes": "stubborn\n"} and v["attributes"]["stderr"] is None,
    "run_timeout_large_output_both_pipes": lambda v: v == {"tuple": [
        100000, 90000, {"bytes": "aaa"}, {"bytes": "bbb"}]},
    "run_timeout_errors_replace_crlf": lambda v: _completed(v)["stdout"] == "ok\ufffd\nnext\n",
    "run_timeout_input_text_check": lambda v: _exception(v, "subprocess.CalledProcessError")
    and v["attributes"]["output"] == "line\n" and v["attributes"]["stderr"] == "failed\n",
    "run_timeout_pipes_closed_early": lambda v: _exception(v, "subprocess.TimeoutExpired")
    and v["attributes"]["output"] is None,
    "check_output_timeout_statement": lambda v: _exception(v, "subprocess.CalledProcessError")
    and v["attributes"]["returncode"] == 2 and v["attributes"]["output"] == {"bytes": "x\n"},
    "run_expression_command": lambda v: _completed(v)["stdout"] == {"bytes": "a+b"}
    and _completed(v)["args"] == {"list": ["printf", "%s+%s", "a", "b"]},
    "run_extended_list": lambda v: _completed(v)["args"] == {"list": [
        "printf", "%s|", "-x", "y", "z"]} and _completed(v)["stdout"] == "-x|y|z|",
    "run_known_kwargs": lambda v: isinstance(v, str) and "pytest" in v,
    "run_comment_in_call": lambda v: _completed(v)["stdout"] == {"bytes": "commented\n"},
    "run_empty_encoding": lambda v: _completed(v)["stdout"] == {"bytes": "binary\n"},
    "sleep_run_timeout_captured": lambda v: v == {"bytes": "done\n"},
}


def test_every_case_has_an_expected_value():
    assert set(EXPECTED_VALUES) == set(CASES)


@pytest.mark.parametrize("function", CASES)
def test_original_values_are_the_intended_ones(service, tmp_path, function):
    outcome = run_pattern(service.original, function, tmp_path)
    assert EXPECTED_VALUES[function](outcome.result["value"]), outcome.result["value"]


def test_children_write_to_the_inherited_streams(service, tmp_path):
    for directory in (service.original, service.migrated):
        outcome = run_pattern(directory, "call_writes_to_stdout", tmp_path / directory.name)
        assert outcome.stdout == "from-call\n"


# --------------------------------------------------------------------------- #
# The migrated calls use asyncio subprocesses (or a thread where they fall back)
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("function", CASES)
def test_children_start_through_asyncio_after_migration(service, tmp_path, function):
    before = run_pattern(service.original, function, tmp_path / "before").result["counts"]
    after = run_pattern(service.migrated, function, tmp_path / "after").result["counts"]
    # Negative control: the original uses neither.
    assert before == {"asyncio_process": 0, "to_thread": 0}
    if function in NATIVE:
        assert after["asyncio_process"] >= 1 and after["to_thread"] == 0, after
    elif function in MIXED:
        assert after["asyncio_process"] >= 1 and after["to_thread"] >= 1, after
    else:
        assert after["to_thread"] == 1 and after["asyncio_process"] == 0, after


HEARTBEAT_FUNCTIONS = ["sleep_run", "sleep_check_output", "sleep_getstatusoutput",
                       "sleep_run_timeout_captured"]


@pytest.mark.parametrize("function", HEARTBEAT_FUNCTIONS)
def test_heartbeat_keeps_ticking_during_a_migrated_call(service, function):
    before = heartbeat_ticks(service.original, "service", function)
    after = heartbeat_ticks(service.migrated, "service", function)
    assert after["ticks"] >= MIN_TICKS_MIGRATED, after
    # Negative control: the original blocks the heartbeat.
    assert before["ticks"] <= MAX_TICKS_BLOCKING, before
    assert after["result"] == before["result"]
