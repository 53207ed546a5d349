"""Phase 2 (AW201 / AW202) on multi-module projects, proven by running the code.

Each test writes a small project into pytest's ``tmp_path`` (``original/``),
copies it (``migrated/``), runs ``awaitify fix --write --isolated`` on the copy
and then imports both copies, each in a *fresh* interpreter
(``python -I -B``: no module cache shared between the two, no ``.pyc`` left
behind that could be mistaken for the rewritten source), and compares what
they do:

* ``svc``: ``app.handle`` (async) -> ``db.load`` (sync, ``time.sleep``) ->
  ``db._fetch_rows`` (sync, ``sqlite3``, closed in ``finally``), across two
  modules and three import styles; the safe-only fix and the
  ``--unsafe-fixes`` fix (``time.sleep(delay)`` is an unsafe phase 1 fix) must
  both keep the results, and the helpers must become coroutine functions;
* ``beat``: a heartbeat coroutine ticking every 10 ms around a handler whose
  helper sleeps 0.3 s: it starves with the original, it keeps ticking after
  the migration (both sides asserted);
* ``store``: a class sharing ``self._conn`` and counters between its methods,
  used as ``store = Store(...); store.count()``;
* ``jobs``: the boundaries (a thread target, a ``to_thread`` function, a
  helper of a sync CLI entry point, a blocking ``__init__``) stay sync, are
  reported with their reason, and the program still gives the same results;
* ``cache``: AW202, a coroutine called as a statement is awaited: its side
  effect now happens, and the "never awaited" warning is gone;
* idempotence: a second ``fix --write`` changes no byte, ``check`` exits 1
  while findings remain and 0 once there are none.

Regressions at the end of the file: a call reached through a star import, and
an attribute a subclass assigns to another class's instance.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYTHON_TIMEOUT_S = 60
MARKER = "@@AWAITIFY-PROJECT-RESULT@@"

# --------------------------------------------------------------------------- #
# Running a project in a fresh interpreter
# --------------------------------------------------------------------------- #

# argv[1] is a JSON spec:
#   root:      the project folder, put first on sys.path
#   call:      "module:qualname" of the function to call (sync or async)
#   args:      its positional arguments
#   inspect:   "module:qualname" names to report inspect.iscoroutinefunction for
#   heartbeat: run a coroutine that ticks every 10 ms during the call
# It prints MARKER + JSON: result (repr for what JSON cannot hold), error,
# ticks, elapsed, coroutine_functions, warnings (every warning, "always").
RUNNER = r"""
import asyncio, gc, importlib, inspect, json, sys, time, warnings

spec = json.loads(sys.argv[1])
marker = sys.argv[2]
sys.path.insert(0, spec["root"])


def resolve(dotted):
    module, _, qualname = dotted.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


out = {"coroutine_functions": {n: inspect.iscoroutinefunction(resolve(n)) for n in spec.get("inspect", [])}}
target = resolve(spec["call"])


async def drive():
    state = {"ticks": 0}

    async def heartbeat():
        while True:
            await asyncio.sleep(0.01)
            state["ticks"] += 1

    beat = asyncio.create_task(heartbeat()) if spec.get("heartbeat") else None
    await asyncio.sleep(0)  # the heartbeat is now waiting on its first tick
    start = time.perf_counter()
    try:
        result = target(*spec.get("args", []))
        if inspect.isawaitable(result):
            result = await result
        error = None
    except Exception as exc:  # reported, compared by the test
        result, error = None, f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - start
    ticks = state["ticks"]
    if beat is not None:
        beat.cancel()
    return result, error, ticks, elapsed


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    out["result"], out["error"], out["ticks"], out["elapsed"] = asyncio.run(drive())
    gc.collect()
out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
print(marker + json.dumps(out, default=repr))
"""


def run_project(root: Path, call: str, *args, inspect_names=(), heartbeat=False) -> dict:
    spec = {
        "root": str(root),
        "call": call,
        "args": list(args),
        "inspect": list(inspect_names),
        "heartbeat": heartbeat,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [sys.executable, "-I", "-B", "-c", RUNNER, json.dumps(spec), MARKER],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=root,
        env=env,
        timeout=PYTHON_TIMEOUT_S,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith(MARKER)]
    assert proc.returncode == 0 and lines, (
        f"running {call} in {root.name} failed (exit {proc.returncode})\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return json.loads(lines[-1][len(MARKER):])


def never_awaited(run: dict) -> list[str]:
    return [w for w in run["warnings"] if "never awaited" in w]


# --------------------------------------------------------------------------- #
# Writing, copying, migrating projects
# --------------------------------------------------------------------------- #


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    assert before.keys() == after.keys(), "files were created or deleted"
    return {rel for rel in before if before[rel] != after[rel]}


def fix_json(run_awaitify, root: Path, *extra: str) -> tuple[int, dict]:
    """``awaitify fix --write --isolated --output-format json <dir>`` from its parent."""
    proc = run_awaitify(
        "fix", "--write", "--isolated", "--output-format", "json", *extra, root.name, cwd=root.parent
    )
    assert proc.returncode in (0, 1), f"fix crashed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    try:
        summary = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"fix printed no JSON summary ({exc}):\n{proc.stdout}\n{proc.stderr}")
    assert summary["errors"] == [], summary["errors"]
    return proc.returncode, summary


def check_json(run_awaitify, root: Path) -> tuple[int, list[dict]]:
    proc = run_awaitify("check", "--isolated", "--output-format", "json", root.name, cwd=root.parent)
    assert proc.returncode in (0, 1), f"check crashed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.returncode, json.loads(proc.stdout)


def original_and_copy(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    original = write_tree(tmp_path / "original", files)
    migrated = tmp_path / "migrated"
    shutil.copytree(original, migrated)
    return original, migrated


def compile_all(root: Path) -> None:
    for path in root.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


# --------------------------------------------------------------------------- #
# 1. A package, two levels of helpers across two modules
# --------------------------------------------------------------------------- #

SVC = {
    "svc/__init__.py": '''
        """The service package (re-exports nothing: the helpers are not public API)."""
    ''',
    "svc/db.py": '''
        import sqlite3
        import time


        def _fetch_rows(path, limit):
            conn = sqlite3.connect(path)
            try:
                cur = conn.execute("SELECT id, name FROM items ORDER BY id LIMIT ?", (limit,))
                return cur.fetchall()
            finally:
                conn.close()


        def load(path, limit, delay=0.01):
            time.sleep(delay)
            rows = _fetch_rows(path, limit)
            return [name.upper() for _id, name in rows]
    ''',
    "svc/app.py": '''
        import asyncio

        from svc import db
        from svc.db import load


        async def handle(path, limit):
            names = load(path, limit)
            return {"count": len(names), "names": names}


        async def handle_first(path):
            return db.load(path, 1)[0]


        async def main(path):
            first = await handle(path, 2)
            one = await handle_first(path)
            many = await asyncio.gather(handle(path, 1), handle(path, 3))
            return {"first": first, "one": one, "many": many}
    ''',
}

SVC_EXPECTED = {
    "first": {"count": 2, "names": ["ALPHA", "BRAVO"]},
    "one": "ALPHA",
    "many": [
        {"count": 1, "names": ["ALPHA"]},
        {"count": 3, "names": ["ALPHA", "BRAVO", "CHARLIE"]},
    ],
}
SVC_HELPERS = ("svc.db:load", "svc.db:_fetch_rows")


def make_items_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany(
            "INSERT INTO items (name) VALUES (?)", [("alpha",), ("bravo",), ("charlie",), ("delta",)]
        )
        conn.commit()
    finally:
        conn.close()
    return path


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe-fixes", "unsafe-fixes"])
def test_package_helpers_become_coroutines_and_keep_results(run_awaitify, tmp_path, unsafe):
    original, migrated = original_and_copy(tmp_path, SVC)
    db_path = str(make_items_db(tmp_path / "items.db"))
    before = snapshot(migrated)

    code, summary = fix_json(run_awaitify, migrated, *(["--unsafe-fixes"] if unsafe else []))
    after = snapshot(migrated)
    assert changed_files(before, after) == {"svc/app.py", "svc/db.py"}
    # One finding per blocking call of `load` and `_fetch_rows`: `sqlite3.connect`, the
    # connection's `execute`, `fetchall` and `close`, and `time.sleep`.
    assert summary["fixes_applied"].get("AW201") == 5, summary
    compile_all(migrated)

    db_py = after["svc/db.py"].decode()
    app_py = after["svc/app.py"].decode()
    assert "async def load(" in db_py and "async def _fetch_rows(" in db_py
    assert "rows = await _fetch_rows(path, limit)" in db_py
    assert "names = await load(path, limit)" in app_py
    assert "return (await db.load(path, 1))[0]" in app_py
    # Phase 1 migrated the bodies in the same run: sqlite3 is gone from the helpers.
    assert "sqlite3.connect(" not in db_py and "aiosqlite.connect(" in db_py
    if unsafe:
        assert code == 0 and summary["remaining"] == []
        assert "await asyncio.sleep(delay)" in db_py
    else:
        # time.sleep(delay) -> asyncio.sleep is unsafe (negative delays): withheld,
        # the sleep stays blocking but the program is consistent.
        assert code == 1
        assert [f["code"] for f in summary["remaining"]] == ["AW101"]
        assert summary["unsafe_fixes_withheld"] == {"AW101": 1}
        assert "    time.sleep(delay)" in db_py

    old = run_project(original, "svc.app:main", db_path, inspect_names=SVC_HELPERS)
    new = run_project(migrated, "svc.app:main", db_path, inspect_names=SVC_HELPERS)
    assert old["error"] is None and new["error"] is None, (old["error"], new["error"])
    assert old["result"] == SVC_EXPECTED
    assert new["result"] == old["result"]
    assert old["coroutine_functions"] == {name: False for name in SVC_HELPERS}
    assert new["coroutine_functions"] == {name: True for name in SVC_HELPERS}
    assert never_awaited(new) == [] and never_awaited(old) == []


# --------------------------------------------------------------------------- #
# 2. The migrated helper no longer blocks the event loop
# --------------------------------------------------------------------------- #

BEAT = {
    "beat/__init__.py": "",
    "beat/slow.py": '''
        import time


        def pause():
            time.sleep(0.3)
            return "rested"


        def slow_step(tag):
            return f"{tag}:{pause()}"
    ''',
    "beat/api.py": '''
        from beat.slow import slow_step


        async def handler():
            return slow_step("h")
    ''',
}


def test_heartbeat_starves_with_the_original_and_ticks_after_migration(run_awaitify, tmp_path):
    original, migrated = original_and_copy(tmp_path, BEAT)
    code, summary = fix_json(run_awaitify, migrated)
    assert code == 0, summary
    slow_py = (migrated / "beat/slow.py").read_text()
    assert "await asyncio.sleep(0.3)" in slow_py and "time.sleep" not in slow_py

    helpers = ("beat.slow:pause", "beat.slow:slow_step")
    old = run_project(original, "beat.api:handler", heartbeat=True, inspect_names=helpers)
    new = run_project(migrated, "beat.api:handler", heartbeat=True, inspect_names=helpers)
    assert old["error"] is None and new["error"] is None, (old["error"], new["error"])
    assert old["result"] == new["result"] == "h:rested"
    assert new["coroutine_functions"] == {h: True for h in helpers}
    # Both calls really wait 0.3 s (the migrated sleep was not dropped)...
    assert old["elapsed"] >= 0.29 and new["elapsed"] >= 0.29, (old["elapsed"], new["elapsed"])
    # ...but only the original holds the loop: the heartbeat gets nothing during it.
    assert old["ticks"] <= 1, f"the original should block the loop, got {old['ticks']} ticks"
    assert new["ticks"] >= 10, f"the migrated helper still blocks the loop: {new['ticks']} ticks"


# --------------------------------------------------------------------------- #
# 3. Methods of a class sharing state, called on a local instance
# --------------------------------------------------------------------------- #

STORE = {
    "store/__init__.py": "",
    "store/kv.py": '''
        import sqlite3
        import time


        class Store:
            def __init__(self, path):
                self._conn = sqlite3.connect(path)
                self._conn.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")
                self._conn.commit()
                self.hits = 0

            def put(self, k, v):
                time.sleep(0.001)
                self._conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (k, v))
                self._conn.commit()
                self.hits += 1

            def count(self):
                time.sleep(0.001)
                self.hits += 1
                return self._conn.execute("SELECT COUNT(*) FROM kv").fetchone()[0]

            def close(self):
                self._conn.close()
    ''',
    "store/app.py": '''
        from store.kv import Store


        async def handle(path):
            store = Store(path)
            store.put("a", "1")
            store.put("b", "2")
            store.put("a", "3")
            n = store.count()
            store.close()
            return {"count": n, "hits": store.hits}
    ''',
}


def test_store_methods_whose_connection_stays_sync_are_not_converted(run_awaitify, tmp_path):
    """`put` and `count` sleep and use the connection `__init__` creates, which stays sync:
    converting them would migrate the sleeps and leave an `async def` that still blocks on
    sqlite3. They stay as they are, and both are reported together with the reason. The
    unsafe fix moves the calls async code makes to a thread instead, and lets the connection
    be used there (`check_same_thread=False`); the program computes the same."""
    original, migrated = original_and_copy(tmp_path, STORE)
    before = snapshot(migrated)
    fix_json(run_awaitify, migrated)
    assert changed_files(before, snapshot(migrated)) == set()
    _, findings = check_json(run_awaitify, migrated)
    by_call = {
        (f["location"]["row"], f["message"].split("`")[1]): f
        for f in findings
        if f["code"] == "AW201" and f["filename"].endswith("kv.py")
    }
    # The sleeps and the sqlite3 calls of `put` and `count`, one reason for each function.
    assert {call for _, call in by_call} >= {"time.sleep", "self._conn.execute"}
    for f in by_call.values():
        assert f["fix"]["applicability"] == "unsafe", f
        assert "check_same_thread=False" in f["note"], f
        if f["note"].startswith("`Store.__init__` stays sync"):
            continue
        assert "could not be migrated in async code either: the connection is created in `__init__`" in f["note"], f
    fix_json(run_awaitify, migrated, "--unsafe-fixes")
    after = snapshot(migrated)
    assert changed_files(before, after) == {"store/app.py", "store/kv.py"}
    assert b"sqlite3.connect(path, check_same_thread=False)" in after["store/kv.py"]
    assert b"asyncio.to_thread(store.put" in after["store/app.py"]

    names = ("store.kv:Store.count", "store.kv:Store.put", "store.kv:Store.close", "store.kv:Store.__init__")
    old = run_project(original, "store.app:handle", str(tmp_path / "old.db"), inspect_names=names)
    new = run_project(migrated, "store.app:handle", str(tmp_path / "new.db"), inspect_names=names)
    assert old["error"] is None and new["error"] is None, (old["error"], new["error"])
    assert old["result"] == {"count": 2, "hits": 4}
    assert new["result"] == old["result"]
    assert not any(new["coroutine_functions"].values())


# --------------------------------------------------------------------------- #
# 4. Boundaries stay sync, are reported, and still work
# --------------------------------------------------------------------------- #

JOBS = {
    "jobs/__init__.py": "",
    "jobs/work.py": '''
        import time

        LOG = []


        def thread_target(x):
            time.sleep(0.01)
            LOG.append(["thread", x])
            return x * 2


        def offloaded(x):
            time.sleep(0.01)
            return x + 100


        def cli_helper(x):
            time.sleep(0.01)
            return x - 1


        def main_sync():
            return cli_helper(5)


        class Resource:
            def __init__(self, x):
                time.sleep(0.01)
                self.x = x
    ''',
    "jobs/fast.py": '''
        import time


        def tick():
            time.sleep(0.01)
            return "tick"
    ''',
    "jobs/run.py": '''
        import asyncio
        import threading

        from jobs.fast import tick
        from jobs.work import LOG, Resource, cli_helper, offloaded, thread_target


        async def run(x):
            t = threading.Thread(target=thread_target, args=(x,))
            t.start()
            t.join()
            a = await asyncio.to_thread(offloaded, x)
            b = offloaded(x)
            c = cli_helper(x)
            d = thread_target(x)
            r = Resource(x)
            return {"a": a, "b": b, "c": c, "d": d, "r": r.x, "tick": tick(), "log": list(LOG)}
    ''',
}

# The helper each boundary keeps sync, and a word of the reason given for it.
JOBS_BOUNDARIES = {
    "thread_target": "used as a value",
    "offloaded": "used as a value",
    "cli_helper": "called from sync `main_sync`",
    "Resource.__init__": "protocol method",
}


def test_boundaries_stay_sync_are_reported_and_still_work(run_awaitify, tmp_path):
    original, migrated = original_and_copy(tmp_path, JOBS)

    # The tool sees every boundary and says why it does not convert it.
    code, findings = check_json(run_awaitify, original)
    assert code == 1
    # None is converted; each gets the fix that moves its calls to a thread instead (safe
    # where what runs there is self-contained, `offloaded`; unsafe otherwise).
    # (The safe conversion of `tick` has no note: only the notes say why a helper stays sync.)
    refused = {
        f["note"] for f in findings
        if f["code"] == "AW201" and f.get("note")
        and (f["fix"] or {}).get("applicability") in ("safe", "unsafe")
    }
    for helper, reason in JOBS_BOUNDARIES.items():
        assert any(
            f"`{helper}` stays sync" in n and reason in n and "to a thread" in n for n in refused
        ), (helper, refused)

    before = snapshot(migrated)
    code, summary = fix_json(run_awaitify, migrated, "--unsafe-fixes")
    after = snapshot(migrated)
    # The one convertible helper (tick) and the async caller changed; work.py is untouched.
    assert changed_files(before, after) == {"jobs/fast.py", "jobs/run.py"}
    assert code == 0 and summary["remaining"] == [], summary["remaining"]
    run_py = (migrated / "jobs/run.py").read_text()
    for moved in ("offloaded, x", "cli_helper, x", "thread_target, x", "Resource, x"):
        assert f"await asyncio.to_thread({moved})" in run_py, run_py
    compile_all(migrated)

    sync_names = ("jobs.work:thread_target", "jobs.work:offloaded", "jobs.work:cli_helper",
                  "jobs.work:main_sync", "jobs.work:Resource.__init__")
    names = (*sync_names, "jobs.fast:tick")
    old = run_project(original, "jobs.run:run", 7, inspect_names=names)
    new = run_project(migrated, "jobs.run:run", 7, inspect_names=names)
    assert old["error"] is None and new["error"] is None, (old["error"], new["error"])
    assert old["result"] == {"a": 107, "b": 107, "c": 6, "d": 14, "r": 7, "tick": "tick",
                             "log": [["thread", 7], ["thread", 7]]}
    assert new["result"] == old["result"]
    assert new["coroutine_functions"] == {**{n: False for n in sync_names}, "jobs.fast:tick": True}
    assert never_awaited(new) == []

    # The sync CLI entry point still works, synchronously, on the migrated copy.
    cli_old = run_project(original, "jobs.work:main_sync")
    cli_new = run_project(migrated, "jobs.work:main_sync")
    assert cli_old["result"] == cli_new["result"] == 4


# --------------------------------------------------------------------------- #
# 5. AW202: a coroutine called as a statement gets awaited
# --------------------------------------------------------------------------- #

CACHE = {
    "cache/__init__.py": "",
    "cache/state.py": '''
        import asyncio

        STATE = {"refreshed": 0, "saved": []}


        async def refresh():
            await asyncio.sleep(0)
            STATE["refreshed"] += 1


        async def is_ready():
            return False


        class Saver:
            async def save(self, item):
                STATE["saved"].append(item)
    ''',
    "cache/app.py": '''
        from cache import state
        from cache.state import STATE, Saver, is_ready, refresh


        async def handle():
            refresh()
            state.refresh()
            saver = Saver()
            saver.save("x")
            branch = "ready" if is_ready() else "not-ready"
            return {"refreshed": STATE["refreshed"], "saved": STATE["saved"], "branch": branch}


        def sync_caller():
            refresh()
    ''',
}


def test_unawaited_coroutine_statements_get_awaited_and_run(run_awaitify, tmp_path):
    original, migrated = original_and_copy(tmp_path, CACHE)
    before = snapshot(migrated)
    code, summary = fix_json(run_awaitify, migrated)
    after = snapshot(migrated)
    assert changed_files(before, after) == {"cache/app.py"}
    assert summary["fixes_applied"] == {"AW202": 3}, summary
    # Still reported: the truth test (unsafe fix) and the call in sync code (no fix).
    assert code == 1 and [f["code"] for f in summary["remaining"]] == ["AW202", "AW202"]
    app_py = after["cache/app.py"].decode()
    assert "    await refresh()\n" in app_py and "    await state.refresh()\n" in app_py
    assert '    await saver.save("x")\n' in app_py
    assert '"ready" if is_ready() else' in app_py  # unsafe: withheld
    assert "def sync_caller():\n    refresh()\n" in app_py  # sync code: left alone

    old = run_project(original, "cache.app:handle")
    new = run_project(migrated, "cache.app:handle")
    assert old["error"] is None and new["error"] is None, (old["error"], new["error"])
    # The original's calls did nothing (and Python said so); the migrated ones ran.
    assert old["result"] == {"refreshed": 0, "saved": [], "branch": "ready"}
    assert any("coroutine 'refresh' was never awaited" in w for w in never_awaited(old)), old["warnings"]
    assert any("coroutine 'Saver.save' was never awaited" in w for w in never_awaited(old)), old["warnings"]
    assert new["result"] == {"refreshed": 2, "saved": ["x"], "branch": "ready"}
    # Only the withheld truth test still drops a coroutine.
    assert [w for w in never_awaited(new) if "is_ready" not in w] == [], new["warnings"]

    # --unsafe-fixes also awaits the truth test: the branch changes, as documented.
    _, summary = fix_json(run_awaitify, migrated, "--unsafe-fixes")
    assert summary["fixes_applied"] == {"AW202": 1}, summary
    unsafe = run_project(migrated, "cache.app:handle")
    assert unsafe["result"] == {"refreshed": 2, "saved": ["x"], "branch": "not-ready"}
    assert never_awaited(unsafe) == []


# --------------------------------------------------------------------------- #
# 6. Idempotence and check exit codes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("files", "unsafe", "check_after"),
    [
        pytest.param(SVC, False, 1, id="svc-safe"),  # time.sleep(delay) withheld
        pytest.param(SVC, True, 0, id="svc-unsafe"),
        pytest.param(STORE, False, 1, id="store"),  # sqlite shared with __init__ remains
        pytest.param(JOBS, True, 0, id="jobs"),  # the boundaries' calls move to threads
        pytest.param(CACHE, True, 1, id="cache"),  # the call in sync code remains
        pytest.param(BEAT, False, 0, id="beat"),
    ],
)
def test_second_fix_changes_nothing_and_check_exit_codes(run_awaitify, tmp_path, files, unsafe, check_after):
    root = write_tree(tmp_path / "project", files)
    extra = ["--unsafe-fixes"] if unsafe else []
    assert check_json(run_awaitify, root)[0] == 1  # findings before

    fix_json(run_awaitify, root, *extra)
    first = snapshot(root)
    code, findings = check_json(run_awaitify, root)
    assert code == check_after, findings
    assert (findings == []) == (check_after == 0)
    if unsafe:
        # Whatever remains has no fix at all (nothing withheld that --unsafe-fixes would apply).
        assert all(f["fix"] is None for f in findings), findings

    code2, summary = fix_json(run_awaitify, root, *extra)
    assert snapshot(root) == first, "the second fix --write changed files"
    assert summary["files_changed"] == [] and summary["fixes_applied"] == {}, summary
    assert code2 == check_after
    assert check_json(run_awaitify, root) == (code, findings)


# --------------------------------------------------------------------------- #
# Regressions: call sites the index once resolved wrongly
# --------------------------------------------------------------------------- #

STAR = {
    "db.py": '''
        import time


        def helper():
            time.sleep(0.01)
            return 1
    ''',
    "a.py": '''
        from db import helper


        async def f():
            return helper()
    ''',
    "b.py": '''
        from db import *


        async def g():
            return helper()
    ''',
}


def test_star_import_call_site_is_awaited_or_helper_stays_sync(run_awaitify, tmp_path):
    original, migrated = original_and_copy(tmp_path, STAR)
    fix_json(run_awaitify, migrated)
    compile_all(migrated)
    for call in ("a:f", "b:g"):
        old = run_project(original, call)
        new = run_project(migrated, call)
        assert old["result"] == 1 and old["error"] is None
        assert new["error"] is None, (call, new["error"])
        assert new["result"] == 1, (call, new["result"])
        assert never_awaited(new) == [], (call, new["warnings"])


SUBCLASS_ATTR = {
    "m.py": '''
        import time


        class Conn:
            def query(self):
                time.sleep(0.01)
                return 42


        class FakeConn:
            def query(self):
                return "fake"


        class Svc:
            def __init__(self):
                self.conn = Conn()

            async def run(self):
                return self.conn.query()


        class TestSvc(Svc):
            def __init__(self):
                self.conn = FakeConn()


        async def main():
            return [await Svc().run(), await TestSvc().run()]
    ''',
}


def test_attribute_reassigned_in_subclass_keeps_method_sync(run_awaitify, tmp_path):
    original, migrated = original_and_copy(tmp_path, SUBCLASS_ATTR)
    fix_json(run_awaitify, migrated)
    compile_all(migrated)
    old = run_project(original, "m:main")
    new = run_project(migrated, "m:main")
    assert old["error"] is None and old["result"] == [42, "fake"]
    assert new["error"] is None, new["error"]
    assert new["result"] == old["result"]


ALIASES = {
    "pkg/__init__.py": '''
        from .core.helpers import fetch as fetch_alias
    ''',
    "pkg/core/__init__.py": "",
    "pkg/core/helpers.py": '''
        import time


        def fetch(key):
            time.sleep(0.01)
            return key.upper()
    ''',
    "pkg/api/__init__.py": "",
    "pkg/api/handlers.py": '''
        from ..core import helpers
        from pkg import fetch_alias as get


        async def main():
            return [helpers.fetch("a"), get("b")]
    ''',
}


def test_calls_through_renamed_reexports_are_awaited(run_awaitify, tmp_path):
    # `fetch` is reached as `helpers.fetch` and, through the package's re-export renamed
    # twice, as `get`: converting it must await both (a missed one returns a coroutine).
    original, migrated = original_and_copy(tmp_path, ALIASES)
    fix_json(run_awaitify, migrated, "--unsafe-fixes")  # a package re-export is public API
    compile_all(migrated)
    handlers = (migrated / "pkg/api/handlers.py").read_text()
    assert 'return [await helpers.fetch("a"), await get("b")]' in handlers, handlers
    names = ("pkg.core.helpers:fetch",)
    old = run_project(original, "pkg.api.handlers:main", inspect_names=names)
    new = run_project(migrated, "pkg.api.handlers:main", inspect_names=names)
    assert old["error"] is None and old["result"] == ["A", "B"]
    assert new["error"] is None and new["result"] == old["result"], new
    assert new["coroutine_functions"] == {"pkg.core.helpers:fetch": True}
    assert never_awaited(new) == []
