"""`subprocess.Popen` objects in async code. A `Popen` object used only to wait
(`communicate()`, `wait()`, `proc.stdout.read()`), with `returncode` read after a wait,
becomes an asyncio process whose waits are awaited; in text mode or with a `timeout`, its
`communicate()` goes through a helper coroutine, which keeps reading after a timeout so that
the `communicate()` after `kill()` in the `except TimeoutExpired:` handler returns the whole
output. One used otherwise (`poll()`) keeps the object and moves its waits to a thread.
`os.popen(cmd).read()` becomes an asyncio shell, `os.popen(cmd).readlines()` moves to a
thread.

The original and the migrated module run in fresh interpreters with real child
processes; results must be equal, and while the migrated `communicate` waits for a
`sleep 0.3` child a heartbeat coroutine keeps ticking (the original blocks it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOURCE = '''\
import asyncio
import os
import subprocess


async def talk():
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, err = proc.communicate(b"hello\\n", timeout=5)
    return [out.decode(), err, proc.returncode]


async def feed_nothing():
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, err = proc.communicate()
    return [out.decode(), err, proc.returncode, proc.pid > 0]


async def slow():
    proc = subprocess.Popen(["sleep", "0.3"])
    return proc.wait()


async def pipes():
    text = os.popen("sleep 0.3; printf 'a\\nb\\n'").read()
    lines = os.popen("printf 'x\\ny\\n'").readlines()
    proc = subprocess.Popen(["sh", "-c", "sleep 0.3; echo out; echo err >&2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    proc.wait()
    return [text, lines, out.decode(), err.decode(), proc.returncode]


async def idiom_timeout():
    proc = subprocess.Popen(
        ["sh", "-c", "echo partial; echo oops >&2; sleep 5; echo never"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        out, err = proc.communicate(timeout=0.3)
        expired = None
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        out, err = proc.communicate()
        expired = [exc.output.decode(), exc.stderr.decode(), exc.timeout]
    return [expired, out, err, proc.returncode]


async def terminate_ignored():
    proc = subprocess.Popen(
        ["sh", "-c", "trap '' TERM; sleep 0.4; printf 'done\\r\\n'"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        out, err = proc.communicate(timeout=0.1)
    except subprocess.TimeoutExpired:
        proc.terminate()
        out, err = proc.communicate()
    return [out, err, proc.returncode]


async def text_codec():
    proc = subprocess.Popen(
        ["printf", "a\\r\\nb\\\\377"], stdout=subprocess.PIPE, encoding="utf-8", errors="replace"
    )
    out, err = proc.communicate()
    return [out, err, proc.returncode]


async def text_large_both_pipes():
    proc = subprocess.Popen(
        ["sh", "-c", "head -c 100000 /dev/zero | tr '\\\\0' o; head -c 100000 /dev/zero | tr '\\\\0' e >&2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out, err = proc.communicate(timeout=10)
    return [len(out), out[:2], len(err), err[-2:], proc.returncode]


async def text_input():
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    out, err = proc.communicate("x\\r\\ny\\n", timeout=5)
    return [out, err, proc.returncode]


async def grandchild_holds_pipe():
    proc = subprocess.Popen(["sh", "-c", "(sleep 0.6; echo late) & echo started"],
                            stdout=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=0.2)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return [out, err]


async def heartbeat(stop):
    ticks = 0
    while not stop.is_set():
        await asyncio.sleep(0.05)
        ticks += 1
    return ticks


async def main():
    stop = asyncio.Event()
    beat = asyncio.create_task(heartbeat(stop))
    await asyncio.sleep(0)
    result = [await talk(), await slow(), await pipes(), await feed_nothing(),
              await idiom_timeout(), await terminate_ignored(), await text_codec(),
              await text_large_both_pipes(), await text_input(), await grandchild_holds_pipe()]
    stop.set()
    return {"result": result, "ticks": await beat}
'''

RUNNER = """
import asyncio, importlib, json, sys
sys.path.insert(0, sys.argv[1])
module = importlib.import_module("popen_case")
print(json.dumps(asyncio.run(module.main())))
"""


def run(folder: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-I", "-B", "-c", RUNNER, str(folder)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_popen_objects_become_asyncio_processes(run_awaitify, tmp_path):
    original, migrated = tmp_path / "original", tmp_path / "migrated"
    for folder in (original, migrated):
        folder.mkdir()
        (folder / "popen_case.py").write_text(SOURCE)

    fixed = run_awaitify("fix", "--write", "--isolated", str(migrated / "popen_case.py"))
    assert fixed.returncode == 0, fixed.stderr
    text = (migrated / "popen_case.py").read_text()
    # Every Popen becomes an asyncio process; text mode and timeouts use the helper.
    assert "to_thread(proc." not in text, text
    assert text.count("subprocess.Popen(") == 0, text
    assert text.count("await asyncio.create_subprocess_exec(") == 10, text
    assert text.count("await _popen_communicate(proc, ") == 10, text
    assert "return await proc.wait()" in text
    assert "out = await proc.stdout.read()" in text and "err = await proc.stderr.read()" in text
    assert 'out, err = await proc.communicate(b"")' in text, text
    assert text.count("await asyncio.to_thread(os.popen(") == 1, text
    assert ").readlines)" in text
    assert "await asyncio.create_subprocess_shell(\"sleep 0.3; printf 'a\\nb\\n'\"" in text, text

    before, after = run(original), run(migrated)
    pipes = ["a\nb\n", ["x\n", "y\n"], "out\n", "err\n", 0]
    fed = ["", None, 0, True]
    idiom = [["partial\n", "oops\n", 0.3], "partial\n", "oops\n", -9]
    terminated = ["done\n", None, 0]
    codec = ["a\nb\ufffd", None, 0]
    large = [100000, "oo", 100000, "ee", 0]
    text_input = ["x\ny\n", None, 0]
    grandchild = ["started\nlate\n", None]
    assert after["result"] == before["result"] == [
        ["hello\n", None, 0], 0, pipes, fed, idiom, terminated, codec, large, text_input,
        grandchild,
    ]
    # The original's waits block the loop: the heartbeat barely ticks (control).
    assert before["ticks"] <= 2, before
    # Migrated, the loop runs while the children run.
    assert after["ticks"] >= 8, after
