"""Behaviour proof for the AW102 recipe: ``sqlite3`` in async code -> ``aiosqlite``.

Every case below is a small module of ORIGINAL async code using ``sqlite3`` with
an ``async def main(db)`` entry point.  For each case the test

1. checks the fix safety on a copy: ``awaitify check --output-format json``
   must give every unsafe fix a ``note`` with one of the case's reasons
   (``Case.unsafe``), and a plain ``awaitify fix --write`` must apply exactly
   the safe fixes (the whole migration when none is unsafe, nothing when all
   are);
2. writes the module twice and migrates one copy with
   ``awaitify fix --write --unsafe-fixes`` (the copy must still parse, must use
   ``aiosqlite``, must no longer call ``sqlite3.connect``, and ``awaitify check``
   must find nothing left to migrate);
3. seeds one SQLite database file per copy (same schema and rows);
4. runs ``asyncio.run(main(<its own database>))`` for the original and for the
   migrated module, each in a fresh interpreter, and compares

   * the value returned (``sqlite3.Row`` converted to tuples; see ``normalize``
     in ``RUNNER``) and what the module put in its ``OBSERVED`` list, if any;
   * the exception that escaped ``main`` (type, ``args``, sqlite error name);
   * the rows in the database afterwards (a full ``iterdump()`` of the file,
     read with plain ``sqlite3`` after the run, so uncommitted work is gone);
   * whether the interpreter exits afterwards (``exit``: "clean" or "hung": a
     watchdog in ``RUNNER`` reports a wait for non-daemon threads at exit);
   * the number of tracebacks printed on stderr (e.g. by a worker thread);

5. proves the migrated run never touched sqlite3 on the event loop's thread,
   with two independent detectors installed by ``RUNNER``:

   * ``sys.setprofile`` on the loop thread records every ``c_call`` whose
     callable is a method of ``sqlite3.Connection`` / ``Cursor`` / ``Blob`` or a
     function of the ``_sqlite3`` module (``connect``);
   * ``sqlite3.connect`` is wrapped so that every connection (including the ones
     aiosqlite opens on its worker thread) gets a progress handler called every
     SQLite VM instruction; it counts the instructions per thread, which also
     catches work that is not a method call (``for row in cursor``).

   The same detectors must fire on the original run (inline control) and on
   the migrated run the SQLite VM must have run *somewhere else* (so a detector
   that silently did nothing cannot pass).

Negative controls prove each comparison can fail:

* ``test_negative_control_original_fails_the_loop_check`` runs every
  un-migrated original and shows ``assert_off_loop`` rejects it;
* ``test_negative_control_wrong_migration_is_caught`` applies a deliberately
  wrong (but still non-blocking) edit to the tool's output for every family
  (no commit, naive ``async with conn:``, commit instead of rollback, ...) and
  shows the comparison it breaks (result, exception, database) fails;
* ``test_detectors`` checks the detectors on hand-written code: sqlite3 on the
  loop is seen, sqlite3 in ``asyncio.to_thread`` and aiosqlite are not.

Cases the tool cannot migrate correctly are withheld (``Case.withheld``):
``test_withheld_migration_is_reported_not_applied`` shows the findings are
reported without a fix, their ``note`` names the cause, and neither
``fix --write`` nor ``fix --write --unsafe-fixes`` changes the file.

Migrations that behave differently are kept as ``xfail(strict=True)`` with the
reason starting ``BUG``; fixing the tool turns them into XPASS failures, which
is the signal to drop the mark.  Such a case names the comparisons its bug
breaks (``Case.breaks``); any other failure in it is a hard failure, so a mark
cannot hide a different regression.
"""

from __future__ import annotations

import ast
import json
import re
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

MODULE_NAME = "case_module"
DB_NAME = "app.db"

# How long a run may take before it counts as stuck, and how long the runner
# waits for non-daemon threads at interpreter exit before it reports a hang.
RUN_TIMEOUT_S = 60
HANG_GRACE_S = 3.0
HANG_EXIT_CODE = 97
PAYLOAD_MARKER = "AWAITIFY-PAYLOAD "

SEED_SQL = """\
CREATE TABLE hosts (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    port INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    host_id INTEGER NOT NULL REFERENCES hosts(id) DEFERRABLE INITIALLY DEFERRED,
    kind    TEXT NOT NULL
);
INSERT INTO hosts (name, port) VALUES ('alpha', 22), ('beta', 443), ('gamma', 8080);
INSERT INTO events (host_id, kind) VALUES (1, 'boot'), (2, 'boot');
"""

# --------------------------------------------------------------------------- #
# The runner: one fresh interpreter per run
# --------------------------------------------------------------------------- #

RUNNER = r'''
import asyncio, importlib, json, os, sqlite3, sys, threading

directory, module_name, db_path = sys.argv[1], sys.argv[2], sys.argv[3]
hang_grace, hang_exit_code, marker = float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
sys.path.insert(0, directory)

LOOP_THREAD = threading.get_ident()  # asyncio.run runs the loop on this thread
SQLITE_C_MODULE = sys.modules[sqlite3.connect.__module__]  # _sqlite3
SQLITE_OBJECTS = tuple(
    getattr(sqlite3, name) for name in ("Connection", "Cursor", "Blob") if hasattr(sqlite3, name)
)
MODULE_FILE = os.path.join(directory, module_name + ".py")

loop_calls = []  # sqlite3 C calls made on the loop thread
vm_steps = {}  # thread ident -> SQLite VM progress callbacks


def profile(frame, event, arg):
    if event != "c_call" or threading.get_ident() != LOOP_THREAD:
        return
    owner = getattr(arg, "__self__", None)
    if owner is SQLITE_C_MODULE:
        name = "sqlite3." + arg.__name__
    elif isinstance(owner, SQLITE_OBJECTS):
        name = "sqlite3.%s.%s" % (type(owner).__name__, arg.__name__)
    else:
        return
    # The innermost frame of the case module that led to the call.
    f = frame
    while f is not None and f.f_code.co_filename != MODULE_FILE:
        f = f.f_back
    where = (f.f_code.co_name, f.f_lineno) if f is not None else (frame.f_code.co_name, None)
    if len(loop_calls) < 200:
        loop_calls.append({"call": name, "function": where[0], "line": where[1]})


def on_vm_step():
    ident = threading.get_ident()
    vm_steps[ident] = vm_steps.get(ident, 0) + 1
    return 0  # never interrupt


real_connect = sqlite3.connect


def traced_connect(*args, **kwargs):
    conn = real_connect(*args, **kwargs)
    conn.set_progress_handler(on_vm_step, 1)
    return conn


class TracedConnection(sqlite3.Connection):
    """`sqlite3.Connection(path)` called directly: traced the same way."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_progress_handler(on_vm_step, 1)


# Patched before the case module (and aiosqlite, which calls sqlite3.connect
# on its worker thread) can bind it, so every form of import sees it
# (`sqlite3.dbapi2` is the same module under its old name).
sqlite3.connect = sqlite3.dbapi2.connect = traced_connect
sqlite3.Connection = sqlite3.dbapi2.Connection = TracedConnection


def normalize(value):
    if isinstance(value, sqlite3.Row):
        return tuple(normalize(v) for v in value)
    if isinstance(value, BaseException):
        return ("<exception>", qualname(value), normalize(value.args))
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, tuple):
        return tuple(normalize(v) for v in value)
    if isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return ("<set>", sorted((normalize(v) for v in value), key=repr))
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    return "<object %s>" % qualname(value)


def qualname(value):
    cls = value if isinstance(value, type) else type(value)
    return "%s.%s" % (cls.__module__, cls.__qualname__)


module = importlib.import_module(module_name)
coroutine = module.main(db_path)
payload = {}
sys.setprofile(profile)
try:
    value = asyncio.run(coroutine)
except BaseException as exc:
    sys.setprofile(None)
    payload["returned"] = None
    payload["exception"] = {
        "type": qualname(exc),
        "args": repr(normalize(exc.args)),
        "sqlite_errorname": getattr(exc, "sqlite_errorname", None),
    }
    # An exception escaping asyncio.run() at top level stays referenced
    # (sys.last_value) while the interpreter shuts down; keep it alive the same
    # way so the exit check below sees what a real program would.
    KEPT_EXCEPTION = exc
else:
    sys.setprofile(None)
    payload["returned"] = repr(normalize(value))
    payload["exception"] = None
    del value
payload["observed"] = repr(normalize(getattr(module, "OBSERVED", None)))
payload["loop_calls"] = loop_calls
payload["vm_on_loop"] = vm_steps.get(LOOP_THREAD, 0)
payload["vm_elsewhere"] = sum(n for ident, n in vm_steps.items() if ident != LOOP_THREAD)
print(marker + json.dumps(payload), flush=True)


def watchdog():
    # A daemon thread still runs while the interpreter waits for non-daemon
    # threads at exit: if that wait lasts, the program would hang forever.
    threading.Event().wait(hang_grace)
    alive = [
        t.name
        for t in threading.enumerate()
        if not t.daemon and t is not threading.main_thread()
    ]
    sys.stderr.write("HUNG AT EXIT waiting for non-daemon threads %r\n" % (alive,))
    sys.stderr.flush()
    os._exit(hang_exit_code)


threading.Thread(target=watchdog, daemon=True).start()
'''


@dataclass
class Run:
    """What one run of ``main(db)`` did."""

    returned: object
    observed: object
    exception: dict | None
    database: list[str]
    exit: str
    loop_calls: list[dict]
    vm_on_loop: int
    vm_elsewhere: int
    stderr: str = field(repr=False)


def seed_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SEED_SQL)
        conn.commit()
    finally:
        conn.close()


def dump_database(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def write_module(directory: Path, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{MODULE_NAME}.py"
    path.write_text(source, encoding="utf-8")
    return path


def run_module(path: Path) -> Run:
    """Run ``main`` of the module at ``path`` against a freshly seeded database next to it."""
    directory = path.parent
    db = directory / DB_NAME
    if db.exists():
        db.unlink()
    seed_database(db)
    try:
        proc = subprocess.run(
            [
                sys.executable, "-I", "-B", "-c", RUNNER,
                str(directory), MODULE_NAME, str(db),
                str(HANG_GRACE_S), str(HANG_EXIT_CODE), PAYLOAD_MARKER,
            ],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"running {path} did not finish within {RUN_TIMEOUT_S}s:\n{exc.stderr}")
    payloads = [
        line[len(PAYLOAD_MARKER):]
        for line in proc.stdout.splitlines()
        if line.startswith(PAYLOAD_MARKER)
    ]
    if proc.returncode == HANG_EXIT_CODE and payloads:
        exit_state = "hung"
    elif proc.returncode == 0 and payloads:
        exit_state = "clean"
    else:
        pytest.fail(
            f"running {path} failed (exit {proc.returncode}):\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}\n"
            f"source:\n{path.read_text(encoding='utf-8')}"
        )
    payload = json.loads(payloads[-1])
    return Run(
        returned=ast.literal_eval(payload["returned"]) if payload["returned"] is not None else None,
        observed=ast.literal_eval(payload["observed"]),
        exception=payload["exception"],
        database=dump_database(db),
        exit=exit_state,
        loop_calls=payload["loop_calls"],
        vm_on_loop=payload["vm_on_loop"],
        vm_elsewhere=payload["vm_elsewhere"],
        stderr=proc.stderr,
    )


def migrate(run_awaitify, path: Path, *, fully: bool = True) -> str:
    """``awaitify fix --write --unsafe-fixes`` on ``path``; returns the new text."""
    before = path.read_text(encoding="utf-8")
    proc = run_awaitify("fix", "--write", "--unsafe-fixes", path)
    expected = 0 if fully else 1
    assert proc.returncode == expected, (
        f"`awaitify fix --write --unsafe-fixes` exited {proc.returncode}, expected {expected}\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    migrated = path.read_text(encoding="utf-8")
    assert migrated != before, "awaitify fix --write did not change the file"
    try:
        compile(migrated, str(path), "exec")
    except SyntaxError as exc:  # pragma: no cover - reported as a failure
        pytest.fail(f"the migrated module does not compile: {exc}\n{migrated}")
    return migrated


def findings(run_awaitify, path: Path) -> list[dict]:
    """The findings of ``awaitify check --output-format json`` on ``path``."""
    proc = run_awaitify("check", "--output-format", "json", path)
    assert proc.returncode in (0, 1), (
        f"`awaitify check` exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    )
    found = json.loads(proc.stdout)
    assert proc.returncode == (1 if found else 0), (proc.returncode, found)
    return found


def applicability(finding: dict) -> str | None:
    """``"safe"`` or ``"unsafe"`` for a finding with a fix, ``None`` without one."""
    return (finding.get("fix") or {}).get("applicability")


def describe(found: list[dict]) -> str:
    return "\n".join(
        f"  line {f['location']['row']}: {f['code']} {f['message']} "
        f"[fix: {applicability(f)}] note: {f.get('note')}"
        for f in found
    )


def assert_unsafe_notes(case: Case, found: list[dict]) -> None:
    """The notes of the unsafe fixes are exactly the case's reasons."""
    notes = {f.get("note") for f in found if applicability(f) == "unsafe"}
    for note in notes:
        assert note and any(reason in note for reason in case.unsafe), (
            f"an unsafe fix whose note is none of {case.unsafe!r}:\n{describe(found)}"
        )
    for reason in case.unsafe:
        assert any(reason in note for note in notes if note), (
            f"no unsafe fix has a note giving {reason!r}:\n{describe(found)}"
        )


def plain_fix(case: Case, run_awaitify, path: Path) -> str:
    """``awaitify fix --write`` (no ``--unsafe-fixes``) on ``path``; returns the new text.

    It must apply exactly the safe fixes: all of the migration when no fix is
    unsafe, nothing when every fix is unsafe, and otherwise leave only unsafe
    fixes behind.  The notes of the unsafe fixes must give the case's reasons.
    """
    found = findings(run_awaitify, path)
    assert found, "no finding in the original module"
    assert all(f["code"] == "AW102" for f in found), describe(found)
    assert all(applicability(f) in (None, "safe", "unsafe") for f in found), describe(found)
    if case.fully:
        assert all(applicability(f) is not None for f in found), (
            f"findings without a fix:\n{describe(found)}"
        )
    assert_unsafe_notes(case, found)
    safe = [f for f in found if applicability(f) == "safe"]
    proc = run_awaitify("fix", "--write", path)
    fixed = path.read_text(encoding="utf-8")
    output = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}\nfindings:\n{describe(found)}"
    if len(safe) == len(found):
        assert proc.returncode == 0, f"`awaitify fix --write` exited {proc.returncode}\n{output}"
        assert fixed != case.source, f"`awaitify fix --write` changed nothing\n{output}"
    elif not safe:
        assert proc.returncode == 1, f"`awaitify fix --write` exited {proc.returncode}\n{output}"
        assert fixed == case.source, (
            f"a plain `awaitify fix --write` applied an unsafe fix:\n{fixed}\n{output}"
        )
    else:
        assert proc.returncode == 1, f"`awaitify fix --write` exited {proc.returncode}\n{output}"
        assert fixed != case.source, f"the safe fixes were not applied\n{output}"
        left = findings(run_awaitify, path)
        assert left and all(applicability(f) != "safe" for f in left), (
            f"safe fixes left after `fix --write`:\n{describe(left)}"
        )
        assert_unsafe_notes(case, left)
    return fixed


# --------------------------------------------------------------------------- #
# The comparisons
# --------------------------------------------------------------------------- #


def assert_same_result(before: Run, after: Run) -> None:
    assert after.returned == before.returned, "main() returned something else"
    assert after.observed == before.observed, "OBSERVED differs"


def assert_same_exception(before: Run, after: Run) -> None:
    assert after.exception == before.exception, "a different exception escaped main()"


def assert_same_database(before: Run, after: Run) -> None:
    assert after.database == before.database, "the database differs after the run"


def assert_same_exit(before: Run, after: Run) -> None:
    assert after.exit == before.exit, (
        f"interpreter exit: original {before.exit}, migrated {after.exit}\n{after.stderr}"
    )


# aiosqlite (0.22 included) queues the stop of a connection that failed to open without
# awaiting it; when the program's loop closes first, the worker thread prints this chain of
# two tracebacks (upstream omnilib/aiosqlite#241). The exception the program sees and its
# exit status are unchanged; `awaitify explain AW102` states it. Only this exact chain is
# discounted: any other traceback on stderr still fails the comparison.
AIOSQLITE_CLOSED_LOOP = re.compile(
    r"Exception in thread [^\n]*\(_connection_worker_thread\):\n"
    r"(?:(?!Exception in thread )[^\n]*\n)*?"
    r"RuntimeError: Event loop is closed\n"
    r"\nDuring handling of the above exception, another exception occurred:\n"
    r"(?:(?!Exception in thread )[^\n]*\n)*?"
    r"RuntimeError: Event loop is closed\n"
)


def tracebacks(run: Run) -> int:
    stderr = AIOSQLITE_CLOSED_LOOP.sub("", run.stderr)
    return stderr.count("Traceback (most recent call last)")


def assert_same_stderr(before: Run, after: Run) -> None:
    """No new traceback on stderr (e.g. from a worker thread at exit)."""
    assert tracebacks(after) == tracebacks(before), (
        f"tracebacks on stderr: original {tracebacks(before)}, migrated {tracebacks(after)}\n"
        f"{after.stderr}"
    )


ASPECTS: dict[str, Callable[[Run, Run], None]] = {
    "result": assert_same_result,
    "exception": assert_same_exception,
    "database": assert_same_database,
    "exit": assert_same_exit,
    "stderr": assert_same_stderr,
}


def assert_off_loop(run: Run, *, ran_sql: bool = True) -> None:
    """No sqlite3 call and no SQLite VM instruction on the event loop's thread."""
    assert not run.loop_calls, f"sqlite3 called on the event loop thread: {run.loop_calls}"
    assert run.vm_on_loop == 0, f"SQLite ran {run.vm_on_loop} VM steps on the event loop thread"
    if ran_sql:
        # The detector was live: SQL did run, on another thread.
        assert run.vm_elsewhere > 0, "no SQLite VM step observed anywhere: detector inactive?"


def assert_blocks_loop(run: Run) -> None:
    """Both detectors see the run's sqlite3 work on the loop thread."""
    assert run.loop_calls, "the profiler saw no sqlite3 call on the loop thread"
    assert run.vm_on_loop > 0, "the progress handler saw no SQLite VM step on the loop thread"


# --------------------------------------------------------------------------- #
# The cases
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    # Substrings the migrated module must contain.
    expect: tuple[str, ...] = ()
    # A deliberately wrong migration: (old, new) replaced in the tool's output.
    mutant: tuple[str, str] | None = None
    # The comparisons (keys of ASPECTS) that the mutant, or the known bug, breaks.
    breaks: tuple[str, ...] = ()
    # False: some objects are (rightly) not migrated; see the case.
    fully: bool = True
    # How many `sqlite3.connect(` a full migration keeps on purpose: the sync helper that
    # construction (`__init__`) still enters, next to its async twin.
    sync_kept: int = 0
    # Why the fix is unsafe: substrings of the JSON `note` of the findings whose
    # fix is unsafe.  Every such note must contain one of them and each must
    # occur in some note; a plain `fix --write` must not apply those fixes.
    # Empty: every fix is safe, and a plain `fix --write` migrates all of it.
    unsafe: tuple[str, ...] = ()
    # The tool withholds the migration: every finding comes without a fix, its
    # note names this cause, and `fix --write` (with or without
    # `--unsafe-fixes`) leaves the file unchanged.  Nothing runs migrated.
    withheld: str | None = None
    # A known wrong migration: the test is xfail(strict) and may fail only in
    # the comparisons named by `breaks` (any other failure is a real failure).
    bug: str | None = None

    def param(self):
        marks = []
        assert not (self.withheld and (self.bug or self.unsafe or self.mutant)), self.id
        if self.bug:
            assert self.breaks, f"{self.id}: a known bug names the comparisons it breaks"
            marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=self.bug))
        return pytest.param(self, id=self.id, marks=marks)


HELPER_ROLLBACK = "        if exc_type is not None:\n            await self.conn.rollback()\n"
HELPER_COMMIT_ON_ERROR = "        if exc_type is not None:\n            await self.conn.commit()\n"
HELPER_COMMIT = "        try:\n            await self.conn.commit()\n"
HELPER_NO_COMMIT = "        try:\n            pass\n"

LOCAL_QUERIES = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    try:
        count = conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
        first = conn.execute("SELECT name, port FROM hosts ORDER BY id").fetchone()
        high = conn.execute(
            "SELECT name FROM hosts WHERE port > ? ORDER BY name", (100,)
        ).fetchall()
        missing = conn.execute("SELECT * FROM hosts WHERE name = ?", ("nope",)).fetchone()
        doubled = conn.execute("SELECT max(port) FROM hosts").fetchone()[0] * 2
        negated = -conn.execute("SELECT min(port) FROM hosts").fetchone()[0]
        label = f"{conn.execute('SELECT name FROM hosts WHERE id = 2').fetchone()[0]}!"
        cur = conn.cursor()
        cur.execute("SELECT id, name FROM hosts ORDER BY id")
        two = cur.fetchmany(2)
        rest = cur.fetchall()
        columns = [d[0] for d in cur.description]
        again = cur.execute("SELECT count(*) FROM events").fetchone()
        walked = []
        cur.execute("SELECT name FROM hosts ORDER BY port DESC")
        while (row := cur.fetchone()) is not None:
            walked.append(row[0])
        if conn.execute("SELECT 1 FROM hosts WHERE name = 'beta'").fetchone():
            conn.execute("UPDATE hosts SET port = port + 1 WHERE name = ?", ("beta",))
        conn.commit()
        conn.execute("INSERT INTO hosts (name, port) VALUES ('uncommitted', 1)")
        cur.close()
        return count, first, high, missing, doubled, negated, label, two, rest, columns, again, walked
    finally:
        conn.close()
'''

CURSOR_ITERATION = '''\
import sqlite3


async def stream_ports(db):
    conn = sqlite3.connect(db)
    try:
        for (port,) in conn.execute("SELECT port FROM hosts ORDER BY port DESC"):
            yield port
    finally:
        conn.close()


async def main(db):
    conn = sqlite3.connect(db)
    cur = conn.execute("SELECT id, name FROM hosts ORDER BY id")
    seen = []
    for row in cur:
        seen.append(row)
    names = []
    for (name,) in conn.execute("SELECT name FROM hosts ORDER BY name DESC"):
        names.append(name)
    else:
        names.append("<end>")
    ports = [port for (port,) in conn.execute("SELECT port FROM hosts ORDER BY port")]
    by_name = {name: port for name, port in conn.execute("SELECT name, port FROM hosts")}
    big = {p for (p,) in conn.execute("SELECT port FROM hosts") if p > 100}
    pairs = [(h, k) for (h,) in conn.execute("SELECT name FROM hosts WHERE id < 3") for k in "ab"]
    later = conn.cursor()
    later.execute("SELECT name FROM hosts WHERE id > ? ORDER BY id", (1,))
    tail = [r[0] for r in later]
    empty = [r for r in conn.execute("SELECT * FROM hosts WHERE 0")]
    streamed = [p async for p in stream_ports(db)]
    conn.close()
    return seen, names, ports, by_name, big, pairs, tail, empty, streamed
'''

EXECUTEMANY_COMMIT = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    cur = conn.executemany(
        "INSERT INTO events (host_id, kind) VALUES (?, ?)",
        [(1, "up"), (2, "down"), (3, "up")],
    )
    inserted = cur.rowcount
    conn.commit()
    conn.executemany(
        "UPDATE hosts SET port = ? WHERE name = ?",
        ((port, name) for name, port in [("alpha", 2222), ("gamma", 8443)]),
    )
    conn.commit()
    conn.executescript("""
        INSERT INTO events (host_id, kind) VALUES (1, 'script');
        UPDATE events SET kind = upper(kind) WHERE kind = 'up';
    """)
    conn.executemany("DELETE FROM events WHERE host_id = ?", [(1,), (2,)])
    total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    return inserted, total
'''

ROW_FACTORY = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT id, name, port FROM hosts WHERE name = ?", ("beta",)).fetchone()
    kind = type(row).__name__
    as_dict = dict(row)
    keys = row.keys()
    by_key = (row["name"], row["PORT"], row[0])
    rows = [tuple(r) for r in conn.execute("SELECT name FROM hosts ORDER BY id")]
    cur = conn.cursor()
    cur.row_factory = lambda cursor, values: {"first": values[0], "n": len(cursor.description)}
    cur.execute("SELECT name, port FROM hosts ORDER BY id")
    custom = cur.fetchall()
    factory_name = conn.row_factory.__name__
    conn.row_factory = None
    plain = conn.execute("SELECT name FROM hosts ORDER BY id").fetchone()
    conn.text_factory = bytes
    raw = conn.execute("SELECT name FROM hosts WHERE id = 3").fetchone()
    conn.close()
    return kind, row, as_dict, keys, by_key, rows, custom, factory_name, plain, type(plain).__name__, raw
'''

LASTROWID_ROWCOUNT = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    cur = conn.execute("INSERT INTO hosts (name, port) VALUES (?, ?)", ("delta", 22))
    new_id = cur.lastrowid
    inserted = cur.rowcount
    updated = conn.execute("UPDATE hosts SET port = 0 WHERE port < 1000").rowcount
    deleted = conn.execute("DELETE FROM hosts WHERE name = 'gamma'").rowcount
    selected = conn.execute("SELECT * FROM hosts").rowcount
    changes = conn.total_changes
    in_tx = conn.in_transaction
    conn.commit()
    after_commit = conn.in_transaction
    event_id = conn.execute(
        "INSERT INTO events (host_id, kind) VALUES (?, ?)", (new_id, "x")
    ).lastrowid
    conn.rollback()
    level = conn.isolation_level
    conn.close()
    return new_id, inserted, updated, deleted, selected, changes, in_tx, after_commit, event_id, level
'''

WITH_CONNECT_COMPLETES = '''\
import sqlite3


async def add_host(db, name, port):
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO hosts (name, port) VALUES (?, ?)", (name, port))
        conn.execute("INSERT INTO events (host_id, kind) VALUES (last_insert_rowid(), 'added')")
        count = conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    return count


async def main(db):
    return [await add_host(db, "delta", 22), await add_host(db, "epsilon", 23)]
'''

WITH_CONNECT_EARLY_RETURN = '''\
import sqlite3


async def claim(db, name):
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT id FROM hosts WHERE name = ?", (name,)).fetchone()
        if row is None:
            conn.execute("INSERT INTO events (host_id, kind) VALUES (0, ?)", ("miss:" + name,))
            return None
        conn.execute("UPDATE hosts SET port = -1 WHERE id = ?", (row[0],))
        for (event_id,) in conn.execute(
            "SELECT id FROM events WHERE host_id = ? ORDER BY id", (row[0],)
        ):
            conn.execute("UPDATE events SET kind = 'claimed' WHERE id = ?", (event_id,))
            return event_id
        return "no events"


async def main(db):
    return [await claim(db, "alpha"), await claim(db, "gamma"), await claim(db, "nope")]
'''

WITH_CONNECT_RAISES = '''\
import sqlite3

OBSERVED = []


async def add_pair(db, first, second):
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO hosts (name, port) VALUES (?, 1)", (first,))
        conn.execute("INSERT INTO hosts (name, port) VALUES (?, 2)", (second,))
        conn.execute("INSERT INTO events (host_id, kind) VALUES (0, 'pair')")
    return "added"


async def set_port(db, port):
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE hosts SET port = ? WHERE name = 'beta'", (port,))
        if port < 0:
            raise ValueError("negative port", port)
        conn.execute("INSERT INTO events (host_id, kind) VALUES (2, 'port')")


async def main(db):
    try:
        await set_port(db, -5)
    except ValueError as exc:
        OBSERVED.append(("ValueError", exc.args))
    OBSERVED.append(await add_pair(db, "delta", "epsilon"))
    await add_pair(db, "zeta", "alpha")  # UNIQUE violation: zeta must be rolled back
    OBSERVED.append("unreachable")
'''

WITH_CONN_COMPLETES = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO hosts (name, port) VALUES ('delta', 22)")
        conn.execute("UPDATE hosts SET port = port * 10 WHERE name = 'alpha'")
    in_tx = conn.in_transaction
    with conn:
        pass
    with conn as same:
        same_object = same is conn
        same.execute("INSERT INTO events (host_id, kind) VALUES (4, 'added')")
    n = conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    conn.execute("DELETE FROM hosts")  # never committed: rolled back by close()
    conn.close()
    return in_tx, same_object, n
'''

WITH_CONN_EARLY_RETURN = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    try:
        added = []
        for name in ("delta", "epsilon", "zeta", "eta"):
            with conn:
                conn.execute("INSERT INTO hosts (name, port) VALUES (?, 1)", (name,))
                if name == "delta":
                    continue
                if name == "zeta":
                    break
                conn.execute("UPDATE hosts SET port = 2 WHERE name = ?", (name,))
            added.append(name)
        with conn:
            conn.execute("INSERT INTO events (host_id, kind) VALUES (1, 'early')")
            return added, conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()
'''

WITH_CONN_RAISES = '''\
import sqlite3

OBSERVED = []


async def main(db):
    conn = sqlite3.connect(db)
    try:
        try:
            with conn:
                conn.execute("INSERT INTO hosts (name, port) VALUES ('delta', 1)")
                raise LookupError("boom", 42)
        except LookupError as exc:
            OBSERVED.append(exc.args)
        with conn:
            conn.execute("INSERT INTO hosts (name, port) VALUES ('epsilon', 2)")
        OBSERVED.append([name for (name,) in conn.execute("SELECT name FROM hosts ORDER BY id")])
        with conn:
            conn.execute("UPDATE hosts SET port = -1")
            conn.execute("INSERT INTO hosts (name, port) VALUES ('beta', 0)")
        OBSERVED.append("unreachable")
    finally:
        conn.close()
'''

CLASS_CONNECTION = '''\
import sqlite3


class HostStore:
    """Owns one long-lived connection."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        self._conn = sqlite3.connect(self._path)
        self._conn.row_factory = sqlite3.Row
        self._conn.executescript("CREATE TABLE IF NOT EXISTS notes (host TEXT, body TEXT);")

    async def add(self, name, port):
        with self._conn:
            cur = self._conn.execute("INSERT INTO hosts (name, port) VALUES (?, ?)", (name, port))
        return cur.lastrowid

    async def note(self, host, body):
        self._conn.execute("INSERT INTO notes VALUES (?, ?)", (host, body))
        if body == "commit":
            self._conn.commit()

    async def names(self):
        return [row["name"] for row in self._conn.execute("SELECT name FROM hosts ORDER BY id")]

    async def port(self, name):
        row = self._conn.execute("SELECT port FROM hosts WHERE name = ?", (name,)).fetchone()
        return None if row is None else row["port"]

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


async def main(db):
    store = HostStore(db)
    await store.open()
    try:
        new_id = await store.add("delta", 22)
        try:
            await store.add("alpha", 1)
        except sqlite3.IntegrityError as exc:
            duplicate = (type(exc).__name__, exc.args)
        await store.note("delta", "commit")
        await store.note("delta", "pending")  # rolled back by close()
        return new_id, duplicate, await store.names(), await store.port("beta"), await store.port("x")
    finally:
        await store.close()
'''

ASYNC_CONNECT_HELPER = '''\
import sqlite3


async def _connect(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def count_hosts(path):
    conn = await _connect(path)
    try:
        return conn.execute("SELECT count(*) AS n FROM hosts").fetchone()["n"]
    finally:
        conn.close()


async def rename(path, old, new):
    conn = await _connect(path)
    with conn:
        changed = conn.execute("UPDATE hosts SET name = ? WHERE name = ?", (new, old)).rowcount
    conn.close()
    return changed


async def orphan_event(path):
    conn = await _connect(path)
    try:
        with conn:  # the deferred foreign key fails at COMMIT: rolled back, re-raised
            conn.execute("INSERT INTO events (host_id, kind) VALUES (99, 'orphan')")
    finally:
        conn.close()


async def main(db):
    results = [await count_hosts(db), await rename(db, "alpha", "omega"), await rename(db, "zzz", "y")]
    try:
        await orphan_event(db)
    except sqlite3.IntegrityError as exc:
        results.append(("IntegrityError", exc.args, exc.sqlite_errorname))
    return results
'''

CLOSING_CONNECTION = '''\
import sqlite3
from contextlib import closing


async def names(path):
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        return [tuple(row) for row in conn.execute("SELECT name, port FROM hosts ORDER BY id")]


async def uncommitted(path):
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("INSERT INTO hosts (name, port) VALUES ('lost', 1)")


async def committed(path):
    with closing(sqlite3.connect(path)) as conn:
        with conn:
            conn.execute("INSERT INTO hosts (name, port) VALUES ('kept', 2)")


async def failing(path):
    with closing(sqlite3.connect(path)) as conn:
        with conn:
            conn.execute("INSERT INTO hosts (name, port) VALUES ('undone', 3)")
            conn.execute("INSERT INTO hosts (name, port) VALUES ('alpha', 4)")


async def main(db):
    results = [await names(db)]
    await uncommitted(db)
    await committed(db)
    try:
        await failing(db)
    except sqlite3.IntegrityError as exc:
        results.append(("IntegrityError", exc.args))
    results.append(await names(db))
    return results
'''

CONTEXTMANAGER_HELPER = '''\
import sqlite3
from contextlib import contextmanager


class Store:
    def __init__(self, path):
        self.path = path

    @contextmanager
    def _connection(self):
        conn = sqlite3.connect(self.path)
        try:
            yield conn
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.close()

    async def add(self, *names):
        with self._connection() as conn:
            for name in names:
                conn.execute("INSERT INTO hosts (name, port) VALUES (?, 1)", (name,))

    async def names(self):
        with self._connection() as conn:
            conn.row_factory = sqlite3.Row
            return [row["name"] for row in conn.execute("SELECT name FROM hosts ORDER BY id")]


async def main(db):
    store = Store(db)
    await store.add("delta", "epsilon")
    results = []
    try:
        await store.add("zeta", "alpha")  # UNIQUE fails on the second: both rolled back
    except sqlite3.IntegrityError as exc:
        results.append(("IntegrityError", exc.args))
    results.append(await store.names())
    return results
'''

CONSTRUCTOR_SCHEMA = '''\
import asyncio
import sqlite3
from contextlib import contextmanager


class Notes:
    def __init__(self, path):
        self.path = path
        self._init_db()

    def _init_db(self):
        with self._connection() as conn:
            conn.executescript(
                # No rowid: once migrated, the two concurrent `add`s below may commit in
                # either order, and the dump must not depend on it.
                "CREATE TABLE IF NOT EXISTS notes (body TEXT PRIMARY KEY) WITHOUT ROWID"
            )

    @contextmanager
    def _connection(self):
        conn = sqlite3.connect(self.path)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.close()

    async def add(self, *bodies):
        with self._connection() as conn:
            for body in bodies:
                conn.execute("INSERT INTO notes (body) VALUES (?)", (body,))

    async def bodies(self):
        with self._connection() as conn:
            return [row["body"] for row in conn.execute("SELECT body FROM notes ORDER BY body")]


async def main(db):
    # Constructed off the loop, as a service does at start-up: the schema exists after it.
    notes = await asyncio.to_thread(Notes, db)
    results = [await notes.bodies()]
    await asyncio.gather(notes.add("a", "b"), notes.add("c"))
    try:
        await notes.add("d", "a")  # UNIQUE fails on the second: the block is rolled back
    except sqlite3.IntegrityError as exc:
        results.append(("IntegrityError", exc.args))
    results.append(await notes.bodies())
    return results
'''

CLOSING_CURSOR = '''\
import sqlite3
from contextlib import closing


async def main(db):
    with closing(sqlite3.connect(db)) as conn:
        with closing(conn.cursor()) as cur:
            cur.execute("UPDATE hosts SET port = port + 1")
            changed = cur.rowcount
            cur.execute("SELECT name, port FROM hosts ORDER BY id")
            rows = cur.fetchall()
        conn.commit()
    return changed, rows
'''

DBAPI2_AND_CONNECTION_CLASS = '''\
from sqlite3 import dbapi2 as sqlite3


async def count(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    finally:
        conn.close()


async def rename(path):
    conn = sqlite3.Connection(path, 5.0)
    try:
        with conn:
            conn.execute("UPDATE hosts SET name = 'omega' WHERE name = 'alpha'")
        return [name for (name,) in conn.execute("SELECT name FROM hosts ORDER BY id")]
    finally:
        conn.close()


async def main(db):
    return await count(db), await rename(db)
'''

ITERDUMP = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO hosts (name, port) VALUES ('delta', 22)")  # uncommitted
    lines = []
    for line in conn.iterdump():
        lines.append(line)
    conn.close()
    return lines
'''

WITH_AWAIT_HELPER = '''\
import sqlite3


async def _open(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def main(db):
    with await _open(db) as conn:
        conn.execute("INSERT INTO hosts (name, port) VALUES ('delta', 5)")
    try:
        with conn:
            conn.execute("INSERT INTO hosts (name, port) VALUES ('epsilon', 6)")
            conn.execute("INSERT INTO hosts (name, port) VALUES ('alpha', 7)")
    except sqlite3.IntegrityError as exc:
        error = exc.args
    names = [n for (n,) in conn.execute("SELECT name FROM hosts ORDER BY id")]
    conn.close()
    return error, names
'''

IMPORT_FORMS = '''\
import sqlite3 as sql
from sqlite3 import Row, connect as open_db


async def main(db):
    conn = open_db(db)
    conn.row_factory = Row
    with conn:
        conn.execute("INSERT INTO hosts (name, port) VALUES ('delta', 5)")
    other = sql.connect(db)
    count = other.execute("SELECT count(*) FROM hosts").fetchone()[0]
    other.close()
    row = conn.execute("SELECT name, port FROM hosts WHERE name = 'delta'").fetchone()
    conn.close()
    return count, row["port"], isinstance(row, sql.Row)
'''

# Only `writer`'s connection can be migrated: `reader`'s is passed to a sync
# helper, so it must stay sqlite3 entirely (never half-migrated), and the file
# keeps a finding.
PARTIAL_MIGRATION = '''\
import sqlite3


def _count(conn):
    return conn.execute("SELECT count(*) FROM hosts").fetchone()[0]


async def reader(db):
    conn = sqlite3.connect(db)
    n = _count(conn)
    names = [r[0] for r in conn.execute("SELECT name FROM hosts ORDER BY id")]
    conn.close()
    return n, names


async def writer(db):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO hosts (name, port) VALUES ('delta', 4)")
    conn.close()


async def main(db):
    await writer(db)
    return await reader(db)
'''

EXPRESSION_CONTEXTS = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    q = "SELECT port FROM hosts ORDER BY id"
    out = {}
    out["pow"] = conn.execute(q).fetchone()[0] ** 2
    out["slice"] = conn.execute(q).fetchall()[1:]
    out["star"] = [*conn.execute(q).fetchall(), None]
    out["cond"] = conn.execute(q).fetchone()[0] if conn.execute("SELECT 0").fetchone()[0] else -1
    out["chain"] = 1 < conn.execute(q).fetchone()[0] < 100
    out["not"] = not conn.execute("SELECT * FROM hosts WHERE 0").fetchone()
    out["or"] = conn.execute("SELECT * FROM hosts WHERE 0").fetchone() or "default"
    out["fmt"] = f"{conn.execute(q).fetchone()[0]:>6}|"
    out["kw"] = dict(value=conn.execute(q).fetchone())
    out["in-comprehension"] = [a for a, in [conn.execute(q).fetchone()]]
    total = 0
    total += conn.execute("SELECT sum(port) FROM hosts").fetchone()[0]
    out["aug"] = total
    x, = conn.execute(q).fetchone()
    out["tuple-unpack"] = x
    out["method-on-row"] = conn.execute(q).fetchone().count(22)
    out["sorted"] = sorted(conn.execute("SELECT name FROM hosts").fetchall(), key=lambda r: r[0][::-1])
    assert conn.execute(q).fetchone(), "no rows"
    out["desc"] = conn.execute(q).description[0][0]
    out["index"] = [10, 20, 30][conn.execute("SELECT 1").fetchone()[0]]
    out["neg-rowcount"] = -conn.execute("UPDATE hosts SET port = port").rowcount
    out["is"] = conn.execute("SELECT * FROM hosts WHERE 0").fetchone() is None
    out["in"] = ("alpha",) in conn.execute("SELECT name FROM hosts").fetchall()
    conn.close()
    return out
'''

CONNECT_ERRORS = '''\
import sqlite3


async def main(db):
    errors = []
    for path in (db + ".missing/dir/x.db", db):
        try:
            with sqlite3.connect(path) as conn:
                conn.execute("INSERT INTO hosts (name, port) VALUES ('tmp', 9)")
                conn.execute("SELECT no_such_column FROM hosts")
        except sqlite3.Error as exc:
            errors.append((type(exc).__name__, exc.args, exc.sqlite_errorname))
    return errors
'''

SUBCLASS_CONNECTION = '''\
import sqlite3


class Base:
    async def open(self, path):
        self._conn = sqlite3.connect(path)

    async def close(self):
        self._conn.close()


class Hosts(Base):
    async def count(self):
        return self._conn.execute("SELECT count(*) FROM hosts").fetchone()[0]

    async def add(self, name):
        with self._conn:
            self._conn.execute("INSERT INTO hosts (name, port) VALUES (?, 3)", (name,))


async def main(db):
    hosts = Hosts()
    await hosts.open(db)
    try:
        await hosts.add("delta")
        return await hosts.count()
    finally:
        await hosts.close()
'''

ASYNCCONTEXTMANAGER_HELPER = '''\
import sqlite3
from contextlib import asynccontextmanager


@asynccontextmanager
async def database(path):
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


async def main(db):
    async with database(db) as conn:
        with conn:
            conn.execute("INSERT INTO hosts (name, port) VALUES ('delta', 4)")
        return conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
'''

PROPERTY_CONNECTION = '''\
import sqlite3


class Store:
    async def open(self, path):
        self._conn = sqlite3.connect(path)

    @property
    def conn(self):
        return self._conn

    async def count(self):
        return self.conn.execute("SELECT count(*) FROM hosts").fetchone()[0]

    async def close(self):
        self._conn.close()


async def main(db):
    store = Store()
    await store.open(db)
    try:
        return await store.count()
    finally:
        await store.close()
'''

# --- Probes that found bugs (some fixed, some withheld, some still open) --- #

CURSOR_PARTIAL_ITERATION = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    cur = conn.execute("SELECT name FROM hosts ORDER BY id")
    for (first,) in cur:
        break
    second = cur.fetchone()
    rest = cur.fetchall()
    conn.close()
    return first, second, rest
'''

CONNECT_POSITIONAL_TIMEOUT = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db, 5.0)
    try:
        return conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    finally:
        conn.close()
'''

# Each positional argument must reach the parameter of the same position:
# `isolation_level=None` (autocommit) is visible in the database afterwards.
CONNECT_POSITIONAL_ARGUMENTS = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db, 5.0, 0, None)
    try:
        conn.execute("INSERT INTO hosts (name, port) VALUES ('delta', 4)")  # autocommitted
        return conn.isolation_level, conn.in_transaction
    finally:
        conn.close()
'''

SHARED_CONNECTION_TRANSACTIONS = '''\
import asyncio
import sqlite3


class Ledger:
    async def open(self, db):
        self._conn = sqlite3.connect(db)

    async def add_pair(self, name, fail):
        with self._conn:
            self._conn.execute("INSERT INTO hosts (name, port) VALUES (?, 1)", (name + "-a",))
            if fail:
                raise ValueError(name)
            self._conn.execute("INSERT INTO hosts (name, port) VALUES (?, 2)", (name + "-b",))
        return name

    async def close(self):
        self._conn.close()


async def main(db):
    ledger = Ledger()
    await ledger.open(db)
    try:
        return await asyncio.gather(
            ledger.add_pair("x", False), ledger.add_pair("y", True), return_exceptions=True
        )
    finally:
        await ledger.close()
'''

UNCLOSED_CONNECTION_ON_ERROR = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    conn.execute("UPDATE hosts SET port = 0")
    if conn.execute("SELECT 1 FROM hosts WHERE name = 'nope'").fetchone() is None:
        raise KeyError("nope")
    conn.commit()
'''

MODULE_LEVEL_CONNECTION = '''\
import sqlite3

_conn = None


async def _db(path):
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(path)
    return _conn


async def main(db):
    conn = await _db(db)
    return conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
'''

PRIVATE_ATTRIBUTE_OF_OTHER_INSTANCE = '''\
import sqlite3


class Replica:
    async def open(self, path):
        self._conn = sqlite3.connect(path)

    async def count(self):
        return self._conn.execute("SELECT count(*) FROM hosts").fetchone()[0]

    async def in_sync_with(self, other):
        theirs = other._conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
        return theirs == await self.count()

    async def close(self):
        self._conn.close()


async def main(db):
    primary, replica = Replica(), Replica()
    await primary.open(db)
    await replica.open(db)
    try:
        return await primary.in_sync_with(replica)
    finally:
        await primary.close()
        await replica.close()
'''

EXTERNAL_ATTRIBUTE_ACCESS = '''\
import sqlite3


class Store:
    async def open(self, path):
        self.conn = sqlite3.connect(path)

    async def close(self):
        self.conn.close()


async def main(db):
    store = Store()
    await store.open(db)
    try:
        return store.conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    finally:
        await store.close()
'''

USE_AFTER_CLOSE = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    count = conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    conn.close()
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError as exc:  # Cannot operate on a closed database.
        return count, "closed", exc.args
    return count, "open"
'''

# The same use after close(), with close() in a `finally` block: a *safe* fix.
USE_AFTER_CLOSE_IN_FINALLY = '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    try:
        count = conn.execute("SELECT count(*) FROM hosts").fetchone()[0]
    finally:
        conn.close()
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError as exc:  # Cannot operate on a closed database.
        return count, "closed", exc.args
    return count, "open"
'''

# Notes (the `note` of a JSON finding) that make a fix unsafe.
NOT_CLOSED = (
    "the connection is not closed in a `finally` block or a `with`: if an exception "
    "escapes first, aiosqlite's thread keeps the process alive at exit"
)
MIGRATE_TOGETHER = (
    "other sqlite3 objects of this module stay on the event loop's thread"
)
USED_AFTER_CLOSE = (
    "the object is used after its `close()`: aiosqlite then raises `ValueError` where "
    "sqlite3 raises `ProgrammingError`"
)
SHARED_NEEDS_CLOSE = (
    "is shared: the program must await its `close()` before exiting "
    "(aiosqlite's thread keeps the process alive)"
)
SHARED_INTERLEAVES = "concurrent tasks' statements can now interleave inside a transaction"
RETURNED_TO_UNSEEN_CALLERS = (
    "returns the object to callers awaitify cannot see (other modules, frameworks); "
    "they must now expect an aiosqlite object"
)

CASES = [
    Case(
        "local-queries",
        LOCAL_QUERIES,
        expect=("await aiosqlite.connect(db)", "(await conn.execute("),
        mutant=("await conn.commit()", "pass"),
        breaks=("database",),
    ),
    Case(
        "cursor-iteration",
        CURSOR_ITERATION,
        expect=("async for row in cur:", " async for (port,) in await conn.execute("),
        # The classic wrong migration of a loop: only the first row.
        mutant=("async for row in cur:", "for row in [await cur.fetchone()]:"),
        breaks=("result",),
        # `main` does not close in `finally` (unsafe); `stream_ports` does, but is not
        # migrated safely while `main`'s connection stays on the loop's thread.
        unsafe=(NOT_CLOSED, MIGRATE_TOGETHER),
    ),
    Case(
        "executemany-commit",
        EXECUTEMANY_COMMIT,
        expect=("await conn.executemany(", "await conn.commit()"),
        # Commits what the original left uncommitted (rolled back by close()).
        mutant=("    await conn.close()", "    await conn.commit()\n    await conn.close()"),
        breaks=("database",),
        unsafe=(NOT_CLOSED,),
    ),
    Case(
        "row-factory",
        ROW_FACTORY,
        expect=("conn.row_factory = sqlite3.Row",),
        mutant=("conn.row_factory = sqlite3.Row", "pass"),
        breaks=("exception",),
        unsafe=(NOT_CLOSED,),
    ),
    Case(
        "lastrowid-rowcount",
        LASTROWID_ROWCOUNT,
        expect=(").rowcount", ").lastrowid"),
        mutant=("await conn.rollback()", "await conn.commit()"),
        breaks=("database",),
        unsafe=(NOT_CLOSED,),
    ),
    Case(
        "with-connect-completes",
        WITH_CONNECT_COMPLETES,
        expect=("async with aiosqlite.connect(db) as conn, _SqliteTransaction(conn):",),
        # The naive migration: aiosqlite's `async with` closes without committing.
        mutant=(", _SqliteTransaction(conn)", ""),
        breaks=("database",),
    ),
    Case(
        "with-connect-early-return",
        WITH_CONNECT_EARLY_RETURN,
        expect=("async with aiosqlite.connect(db) as conn, _SqliteTransaction(conn):",),
        mutant=(", _SqliteTransaction(conn)", ""),
        breaks=("database",),
    ),
    Case(
        "with-connect-raises",
        WITH_CONNECT_RAISES,
        expect=("async with aiosqlite.connect(db) as conn, _SqliteTransaction(conn):",),
        mutant=(HELPER_ROLLBACK, HELPER_COMMIT_ON_ERROR),
        breaks=("database",),
    ),
    Case(
        "with-conn-completes",
        WITH_CONN_COMPLETES,
        expect=(
            "async with _SqliteTransaction(conn):",
            "async with _SqliteTransaction(conn) as same:",
        ),
        # The naive migration: `async with conn:` closes the connection.
        mutant=("_SqliteTransaction(conn)", "conn"),
        breaks=("exception",),
        unsafe=(NOT_CLOSED,),
    ),
    Case(
        "with-conn-early-return",
        WITH_CONN_EARLY_RETURN,
        expect=("async with _SqliteTransaction(conn):",),
        mutant=(HELPER_COMMIT, HELPER_NO_COMMIT),
        breaks=("database",),
    ),
    Case(
        "with-conn-raises",
        WITH_CONN_RAISES,
        expect=("async with _SqliteTransaction(conn):",),
        mutant=(HELPER_ROLLBACK, HELPER_COMMIT_ON_ERROR),
        breaks=("database",),
    ),
    Case(
        "class-connection",
        CLASS_CONNECTION,
        expect=(
            "self._conn = await aiosqlite.connect(self._path)",
            "async with _SqliteTransaction(self._conn):",
        ),
        mutant=("_SqliteTransaction(self._conn)", "self._conn"),
        breaks=("exception",),
        unsafe=("`self._conn` " + SHARED_NEEDS_CLOSE,),
    ),
    Case(
        "async-connect-helper",
        ASYNC_CONNECT_HELPER,
        expect=("conn = await aiosqlite.connect(path)", "conn = await _connect(path)"),
        mutant=("conn.row_factory = sqlite3.Row", "pass"),
        breaks=("exception",),
        # `_connect` runs a statement before returning the connection: if it raised, the
        # connection would never reach the callers' `finally`.
        unsafe=(NOT_CLOSED,),
    ),
    Case(
        "closing-connection",
        CLOSING_CONNECTION,
        expect=("async with aiosqlite.connect(path) as conn:",),
        # `closing()` never commits: committing at the end of the block keeps the insert
        # the original loses.
        mutant=(
            "async with aiosqlite.connect(path) as conn:\n        await conn.execute(",
            "async with aiosqlite.connect(path) as conn, _SqliteTransaction(conn):\n"
            "        await conn.execute(",
        ),
        breaks=("database",),
    ),
    Case(
        "contextmanager-helper",
        CONTEXTMANAGER_HELPER,
        expect=(
            "@contextlib.asynccontextmanager\n    async def _connection(self):",
            "async with self._connection() as conn:",
        ),
        # Committing in the `except` branch keeps the failed block's first insert.
        mutant=("            await conn.rollback()\n", "            await conn.commit()\n"),
        breaks=("database",),
    ),
    Case(
        "constructor-schema",
        CONSTRUCTOR_SCHEMA,
        expect=(
            "async def _connection_async(self):",
            "async with self._connection_async() as conn:",
            "    def _connection(self):\n        conn = sqlite3.connect(self.path)",
        ),
        # A twin that never commits: the inserts are lost.
        mutant=("            await conn.commit()\n", "            pass\n"),
        breaks=("result", "database"),
        unsafe=("the helper gets an async twin for async code",),
        sync_kept=1,
    ),
    Case(
        "closing-cursor",
        CLOSING_CURSOR,
        expect=("async with await conn.cursor() as cur:",),
    ),
    Case(
        "dbapi2-and-connection-class",
        DBAPI2_AND_CONNECTION_CLASS,
        expect=("await aiosqlite.connect(path, timeout=5.0)",),
    ),
    Case(
        "iterdump",
        ITERDUMP,
        expect=("async for line in conn.iterdump():",),
        # Dumping through a second connection misses the uncommitted row.
        mutant=(
            "async for line in conn.iterdump():",
            "async for line in (await aiosqlite.connect(db)).iterdump():",
        ),
        breaks=("result",),
        unsafe=(NOT_CLOSED,),
    ),
    Case(
        "with-await-helper",
        WITH_AWAIT_HELPER,
        expect=("async with _SqliteTransaction(await _open(db)) as conn:",),
        unsafe=(NOT_CLOSED,),
    ),
    Case(
        "import-forms",
        IMPORT_FORMS,
        expect=("aiosqlite.connect(db)",),
        unsafe=(NOT_CLOSED,),
    ),
    Case("expression-contexts", EXPRESSION_CONTEXTS, unsafe=(NOT_CLOSED,)),
    Case("connect-errors", CONNECT_ERRORS),
    Case(
        "subclass-connection",
        SUBCLASS_CONNECTION,
        unsafe=("`Base` has subclasses, whose uses of `self._conn` are not migrated",),
    ),
    Case(
        "asynccontextmanager-helper",
        ASYNCCONTEXTMANAGER_HELPER,
        unsafe=("`database` " + RETURNED_TO_UNSEEN_CALLERS,),
    ),
    Case(
        "property-connection",
        PROPERTY_CONNECTION,
        unsafe=("`conn` " + RETURNED_TO_UNSEEN_CALLERS,),
    ),
    # `writer` is migrated by an unsafe fix, `reader` is withheld (see
    # `assert_partial_migration`).
    Case("partial-migration", PARTIAL_MIGRATION, fully=False, unsafe=(NOT_CLOSED,)),
    # Fixed since the probe found it: positional arguments become keywords.
    Case(
        "connect-positional-timeout",
        CONNECT_POSITIONAL_TIMEOUT,
        expect=("aiosqlite.connect(db, timeout=5.0)",),
    ),
    Case(
        "connect-positional-arguments",
        CONNECT_POSITIONAL_ARGUMENTS,
        expect=("aiosqlite.connect(db, timeout=5.0, detect_types=0, isolation_level=None)",),
        # Dropping one keyword (autocommit off): the insert is rolled back by close().
        mutant=(", isolation_level=None)", ")"),
        breaks=("result", "database"),
    ),
    # ---- withheld: the tool reports the findings and changes nothing ---- #
    Case(
        "private-attribute-of-other-instance",
        PRIVATE_ATTRIBUTE_OF_OTHER_INSTANCE,
        withheld=(
            "`other._conn` is used on another object than `self` (line 12), "
            "which cannot be followed"
        ),
    ),
    Case(
        "external-attribute-access",
        EXTERNAL_ATTRIBUTE_ACCESS,
        withheld=(
            "`store.conn` is used on another object than `self` (line 16), "
            "which cannot be followed"
        ),
    ),
    # ---- known bugs: migrations that change behaviour, most severe first ---- #
    # Unsafe fixes (applied only with --unsafe-fixes), the note naming the risk:
    Case(
        "use-after-close-in-finally",
        USE_AFTER_CLOSE_IN_FINALLY,
        breaks=("result", "exception"),
        unsafe=(USED_AFTER_CLOSE,),
        bug=(
            "BUG (unsafe fix, reason given): using a closed connection raises "
            "ValueError('no active connection') with aiosqlite instead of "
            "sqlite3.ProgrammingError, escaping `except sqlite3.ProgrammingError`"
        ),
    ),
    Case(
        "use-after-close",
        USE_AFTER_CLOSE,
        breaks=("result", "exception"),
        unsafe=(USED_AFTER_CLOSE,),
        bug=(
            "BUG (unsafe fix, reason given): using a closed connection raises "
            "ValueError('no active connection') with aiosqlite instead of "
            "sqlite3.ProgrammingError, escaping `except sqlite3.ProgrammingError`"
        ),
    ),
    Case(
        "shared-connection-transactions",
        SHARED_CONNECTION_TRANSACTIONS,
        expect=("async with _SqliteTransaction(self._conn):",),
        breaks=("database",),
        unsafe=("`self._conn` " + SHARED_NEEDS_CLOSE, SHARED_INTERLEAVES),
        bug=(
            "BUG (unsafe fix, reason given): every statement inside `with conn:` becomes "
            "an await point, so transactions of concurrent tasks on one shared connection "
            "interleave: one task's rollback discards another task's writes"
        ),
    ),
    Case(
        "unclosed-connection-on-error",
        UNCLOSED_CONNECTION_ON_ERROR,
        breaks=("exit",),
        unsafe=(NOT_CLOSED,),
        bug=(
            "BUG (unsafe fix, reason given): an aiosqlite connection left open keeps "
            "a non-daemon worker thread alive: when main() raises, the migrated "
            "program hangs forever at interpreter exit"
        ),
    ),
    Case(
        "module-level-connection",
        MODULE_LEVEL_CONNECTION,
        expect=("_conn = await aiosqlite.connect(path)",),
        breaks=("exit",),
        unsafe=("`_conn` " + SHARED_NEEDS_CLOSE,),
        bug=(
            "BUG (unsafe fix, reason given): a connection cached in a module global is "
            "never closed; aiosqlite's non-daemon worker thread hangs the program at exit"
        ),
    ),
    Case(
        "cursor-partial-iteration",
        CURSOR_PARTIAL_ITERATION,
        expect=("async for (first,) in cur:",),
        breaks=("result",),
        unsafe=(
            "the loop at line 7 can stop early and the cursor is read again after it; "
            "aiosqlite's `async for` fetches rows in batches, so the rows after the "
            "`break` are lost",
        ),
        bug=(
            "BUG (unsafe fix, reason given): `async for row in cur` prefetches "
            "iter_chunk_size (64) rows, so after `break` cur.fetchone()/fetchall() "
            "lose the rows the loop did not consume (None / [] instead of the next rows)"
        ),
    ),
]

MUTANT_CASES = [case for case in CASES if case.mutant is not None]
WITHHELD_CASES = [case for case in CASES if case.withheld is not None]


# --------------------------------------------------------------------------- #
# Tests
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("case", [case.param() for case in CASES if not case.withheld])
def test_migration_keeps_behaviour_and_leaves_the_loop(case: Case, run_awaitify, tmp_path):
    known = case.breaks if case.bug else ()
    with only_the_known_bug_may_fail(case):
        original = write_module(tmp_path / "original", case.source)
        target = write_module(tmp_path / "migrated", case.source)
        plain = plain_fix(case, run_awaitify, write_module(tmp_path / "plain", case.source))
        migrated = migrate(run_awaitify, target, fully=case.fully)
        if not case.unsafe:
            assert plain == migrated, "`fix --write` and `fix --write --unsafe-fixes` differ"

        assert "aiosqlite" in migrated, migrated
        for snippet in case.expect:
            assert snippet in migrated, f"expected {snippet!r} in the migrated module:\n{migrated}"
        if case.fully:
            # Only the connections a case keeps on purpose (a constructor's) stay sqlite3.
            kept = re.findall(r"\bsqlite3\.connect\(", migrated)
            assert len(kept) == case.sync_kept, migrated
            check = run_awaitify("check", "--unsafe-fixes", target)
            assert check.returncode == 0, (
                f"findings remain after fixing:\n{check.stdout}{check.stderr}"
            )

        before = run_module(original)
        after = run_module(target)

        # Control: the detectors see the original's sqlite3 work on the loop thread.
        assert_blocks_loop(before)
        for aspect, check_aspect in ASPECTS.items():
            if aspect not in known:
                check_aspect(before, after)
        if case.fully:
            # A known bug may stop the migrated run before any SQL runs.
            assert_off_loop(after, ran_sql=not case.bug)
        else:
            assert_partial_migration(case, migrated, before, after)

    # A known bug (xfail, strict): it must show in these comparisons.
    for aspect in known:
        ASPECTS[aspect](before, after)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in WITHHELD_CASES])
def test_withheld_migration_is_reported_not_applied(case: Case, run_awaitify, tmp_path):
    """A migration the tool cannot make correct: reported with the cause, never applied."""
    path = write_module(tmp_path / "withheld", case.source)
    found = findings(run_awaitify, path)
    assert found, "the blocking calls are not reported"
    for finding in found:
        assert finding["code"] == "AW102", describe(found)
        assert applicability(finding) is None, f"a withheld migration has a fix:\n{describe(found)}"
        note = finding.get("note") or ""
        assert note.startswith("not migrated:") and case.withheld in note, (
            f"the note does not name the cause {case.withheld!r}:\n{describe(found)}"
        )
    # The connection is reported where it is created.
    connect_line = case.source[: case.source.index("sqlite3.connect(")].count("\n") + 1
    assert connect_line in {f["location"]["row"] for f in found}, describe(found)

    text = run_awaitify("check", path)
    assert text.returncode == 1 and "AW102" in text.stdout, (
        f"`awaitify check` exited {text.returncode}:\n{text.stdout}{text.stderr}"
    )
    for flags in ((), ("--unsafe-fixes",)):
        proc = run_awaitify("fix", "--write", *flags, path)
        command = " ".join(("awaitify fix --write", *flags))
        assert proc.returncode == 1, (
            f"`{command}` exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
        assert case.withheld in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        assert path.read_text(encoding="utf-8") == case.source, f"`{command}` changed the file"


@contextmanager
def only_the_known_bug_may_fail(case: Case):
    """For a known-bug case, turn any other AssertionError into a hard failure.

    The xfail mark accepts only AssertionError, so a case marked for one bug
    cannot hide a different regression behind its mark.
    """
    if not case.bug:
        yield
        return
    try:
        yield
    except AssertionError as exc:
        pytest.fail(
            f"{case.id} fails outside its known bug ({', '.join(case.breaks)}):\n{exc}",
            pytrace=True,
        )


def assert_partial_migration(case: Case, migrated: str, before: Run, after: Run) -> None:
    assert case.id == "partial-migration"
    # `reader` is untouched (all or nothing), `writer` fully migrated.
    start, end = PARTIAL_MIGRATION.index("def _count"), PARTIAL_MIGRATION.index("async def writer")
    reader_src = PARTIAL_MIGRATION[start:end]
    assert reader_src in migrated, migrated
    assert "async with _SqliteTransaction(conn):" in migrated, migrated
    assert re.search(r"^import sqlite3$", migrated, re.M), "sqlite3 is still used: keep the import"
    blocking_functions = {call["function"] for call in after.loop_calls}
    assert blocking_functions == {"reader", "_count"}, after.loop_calls
    assert {call["function"] for call in before.loop_calls} >= {"reader", "_count", "writer"}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if c.fully])
def test_negative_control_original_fails_the_loop_check(case: Case, tmp_path):
    """The un-migrated original, run the same way, is rejected by the loop check."""
    original = write_module(tmp_path / "original", case.source)
    run = run_module(original)
    with pytest.raises(AssertionError, match="event loop thread"):
        assert_off_loop(run)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in MUTANT_CASES])
def test_negative_control_wrong_migration_is_caught(case: Case, run_awaitify, tmp_path):
    """A deliberately wrong, still non-blocking migration fails the comparison."""
    original = write_module(tmp_path / "original", case.source)
    target = write_module(tmp_path / "wrong", case.source)
    migrated = migrate(run_awaitify, target)
    old, new = case.mutant
    assert old in migrated, f"mutation anchor {old!r} not found in:\n{migrated}"
    target.write_text(migrated.replace(old, new), encoding="utf-8")

    before = run_module(original)
    wrong = run_module(target)

    # Only the comparison can reject it: it does not block the loop.  (It may
    # fail before running any SQL: `async with conn:` on an open aiosqlite
    # connection raises RuntimeError, so no activity is required.)
    assert_off_loop(wrong, ran_sql=False)
    for aspect in case.breaks:
        with pytest.raises(AssertionError):
            ASPECTS[aspect](before, wrong)


# --------------------------------------------------------------------------- #
# The detectors themselves
# --------------------------------------------------------------------------- #

DETECTOR_SOURCES = {
    # sqlite3 on the loop thread: both detectors fire.
    "blocking": (
        '''\
import sqlite3


async def main(db):
    conn = sqlite3.connect(db)
    rows = [row for row in conn.execute("SELECT name FROM hosts")]
    conn.close()
    return rows
''',
        True,
    ),
    # The same work in a worker thread: neither fires, the VM ran elsewhere.
    "to-thread": (
        '''\
import asyncio
import sqlite3


def work(db):
    conn = sqlite3.connect(db)
    rows = [row for row in conn.execute("SELECT name FROM hosts")]
    conn.close()
    return rows


async def main(db):
    return await asyncio.to_thread(work, db)
''',
        False,
    ),
    # Hand-written aiosqlite: off the loop.
    "aiosqlite": (
        '''\
import aiosqlite


async def main(db):
    async with aiosqlite.connect(db) as conn:
        return [row async for row in await conn.execute("SELECT name FROM hosts")]
''',
        False,
    ),
    # Only iteration on the loop thread (the cursor comes from a worker
    # thread): invisible to the profiler, caught by the VM progress handler.
    "iteration-only": (
        '''\
import asyncio
import sqlite3


def open_cursor(db):
    conn = sqlite3.connect(db, check_same_thread=False)
    return conn.execute("SELECT name FROM hosts")


async def main(db):
    cur = await asyncio.to_thread(open_cursor, db)
    return [row for row in cur]
''',
        None,
    ),
}


@pytest.mark.parametrize("name", DETECTOR_SOURCES)
def test_detectors(name, tmp_path):
    source, blocking = DETECTOR_SOURCES[name]
    run = run_module(write_module(tmp_path, source))
    assert run.exception is None, run.exception
    assert run.returned == [("alpha",), ("beta",), ("gamma",)]
    if blocking is True:
        assert_blocks_loop(run)
        assert run.vm_elsewhere == 0
    elif blocking is False:
        assert_off_loop(run)
    else:
        assert not run.loop_calls, run.loop_calls
        assert run.vm_on_loop > 0
        with pytest.raises(AssertionError, match="VM steps on the event loop thread"):
            assert_off_loop(run)
