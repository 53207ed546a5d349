"""Running migrated Python in fresh interpreters, for the behaviour tests of the process
recipes: the interpreter call, and the heartbeat that tells whether the event loop kept
running while a coroutine waited for a child process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

# Heartbeat: a coroutine ticks every TICK_S while the pattern runs; the number of ticks that
# happened during the call shows whether the loop kept running.
HEARTBEAT_RUNNER = textwrap.dedent(
    """\
    import asyncio, importlib, json, sys

    directory, module_name, function, tick = sys.argv[1:]
    sys.path.insert(0, directory)
    module = importlib.import_module(module_name)


    async def main():
        ticks = 0
        stopped = False

        async def heartbeat():
            nonlocal ticks
            while not stopped:
                await asyncio.sleep(float(tick))
                ticks += 1

        beating = asyncio.create_task(heartbeat())
        await asyncio.sleep(0)  # the heartbeat starts its first sleep
        before = ticks
        result = await getattr(module, function)()
        during = ticks - before
        stopped = True
        await beating
        return {"ticks": during, "result": repr(result)}


    print(json.dumps(asyncio.run(main())))
    """
)

TICK_S = 0.05
MIN_TICKS_MIGRATED = 4  # 0.3 s of child / 0.05 s ticks = 6, with slack
MAX_TICKS_BLOCKING = 1


def interpreter(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Runs CPython on ``args``. -I: ignore PYTHON* env and user site; -B: no .pyc, so the
    original and the migrated copy never share a bytecode cache."""
    return subprocess.run(
        [sys.executable, "-I", "-B", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def heartbeat_ticks(directory: Path, module: str, function: str) -> dict:
    """Runs ``module.function()`` from ``directory`` next to the heartbeat: the ticks during
    the call, and the call's result (``repr``)."""
    proc = interpreter("-c", HEARTBEAT_RUNNER, str(directory), module, function, str(TICK_S),
                       cwd=directory)
    assert proc.returncode == 0, f"heartbeat runner failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])
