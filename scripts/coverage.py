#!/usr/bin/env python3
"""Migration coverage on a corpus of real projects, package by package.

    python3 scripts/coverage.py DEST [--bin PATH] [--json OUT] [--no-migrate]

DEST holds one project per folder (the service corpus is built this way). For each project:

* ``check`` (every phase, unsafe fixes counted): the findings per code, by what their fix
  is (safe, unsafe, none), and the reasons of the findings left without a fix or with an
  unsafe one, normalized (names, paths and numbers folded) so that alike reasons count
  together;
* unless ``--no-migrate``: ``fix --write`` on a copy, then ``fix --write --unsafe-fixes`` on
  another: how many findings each fixed, the lines it added that start native asyncio work
  (``asyncio.create_subprocess_*``, ``aiosqlite.connect``, ``await asyncio.sleep``) and the
  ``asyncio.to_thread`` calls it added, whether every changed file still compiles, and
  whether a second run changes anything (it must not).

Prints a Markdown summary (totals, then per project); ``--json OUT`` also writes every
number. The run is read-only for DEST.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NATIVE = re.compile(r"asyncio\.create_subprocess_(exec|shell)|aiosqlite\.connect|await asyncio\.sleep")
THREAD = re.compile(r"asyncio\.to_thread\(")


def run(binary: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )


def normalize(reason: str) -> str:
    """Folds what varies between alike reasons: names in backticks, paths with lines, numbers."""
    reason = re.sub(r"\S+\.pyi?:\d+(:\d+)?", "F:L", reason)
    reason = re.sub(r"`[^`]*`", "`X`", reason)
    reason = re.sub(r"\b\d+\b", "N", reason)
    return reason


def compiles(text: str) -> bool:
    try:
        compile(text.removeprefix("\ufeff"), "<migrated>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def texts(folder: Path) -> dict[str, str]:
    out = {}
    for path in folder.rglob("*.py"):
        try:
            out[str(path.relative_to(folder))] = path.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            pass
    return out


def migrate(binary: str, package: Path, flags: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / package.name
        shutil.copytree(package, copy, symlinks=True)
        before = texts(copy)
        done = run(binary, copy, "fix", "--write", "--output-format", "json", *flags, ".")
        try:
            summary = json.loads(done.stdout)
        except json.JSONDecodeError:
            summary = {}
        after = texts(copy)
        changed = [p for p in after if before.get(p) != after[p]]
        native = thread = 0
        broken = []
        for path in changed:
            added = [
                line[1:]
                for line in difflib.unified_diff(
                    before.get(path, "").splitlines(), after[path].splitlines(), lineterm=""
                )
                if line.startswith("+") and not line.startswith("+++")
            ]
            native += sum(bool(NATIVE.search(line)) for line in added)
            thread += sum(len(THREAD.findall(line)) for line in added)
            # A file this interpreter rejects before the migration (newer syntax) says
            # nothing about the migration.
            if compiles(before.get(path, "")) and not compiles(after[path]):
                broken.append(path)
        again = run(binary, copy, "fix", "--write", *flags, ".")
        stable = texts(copy) == after
        fixed = summary.get("fixes_applied", {})
        return {
            "exit": done.returncode,
            "fixes": sum(fixed.values()) if isinstance(fixed, dict) else 0,
            "fixes_by_code": fixed if isinstance(fixed, dict) else {},
            "files_changed": len(changed),
            "native_lines": native,
            "to_thread_calls": thread,
            "broken": broken,
            "second_run_stable": stable and again.returncode != 2,
            "errors": summary.get("errors", []),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--bin", default=shutil.which("awaitify") or "target/release/awaitify")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin) if os.path.exists(args.bin) else args.bin

    packages = sorted(p for p in args.dest.iterdir() if p.is_dir())
    results = {}
    totals: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    for package in packages:
        checked = run(binary, package, "check", "--exit-zero", "--unsafe-fixes",
                      "--output-format", "json", ".")
        try:
            findings = json.loads(checked.stdout)
        except json.JSONDecodeError:
            print(f"{package.name}: check failed: {checked.stderr.strip()[:200]}", file=sys.stderr)
            continue
        per: collections.Counter = collections.Counter()
        for f in findings:
            kind = (f.get("fix") or {}).get("applicability", "none")
            kind = "none" if kind == "display-only" else kind
            per[(f["code"], kind)] += 1
            totals[(f["code"], kind)] += 1
            if kind != "safe" and f.get("note"):
                reasons[(f["code"], kind, normalize(f["note"]))] += 1
        entry = {"findings": {f"{c} {k}": n for (c, k), n in sorted(per.items())}}
        if not args.no_migrate and findings:
            entry["safe"] = migrate(binary, package, [])
            entry["unsafe"] = migrate(binary, package, ["--unsafe-fixes"])
        results[package.name] = entry

    codes = sorted({c for c, _ in totals})
    print("## Findings (check, every phase)\n")
    print("| code | safe fix | unsafe fix | no fix | all |\n| --- | ---: | ---: | ---: | ---: |")
    for code in codes:
        row = [totals[(code, k)] for k in ("safe", "unsafe", "none")]
        print(f"| {code} | {' | '.join(map(str, row))} | {sum(row)} |")
    if not args.no_migrate:
        print("\n## Migration (copies of each project)\n")
        print("| run | fixes | files | native lines | to_thread calls | broken files | unstable |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for mode in ("safe", "unsafe"):
            runs = [r[mode] for r in results.values() if mode in r]
            print(
                f"| {'fix --write' if mode == 'safe' else '--unsafe-fixes'} "
                f"| {sum(r['fixes'] for r in runs)} | {sum(r['files_changed'] for r in runs)} "
                f"| {sum(r['native_lines'] for r in runs)} | {sum(r['to_thread_calls'] for r in runs)} "
                f"| {sum(len(r['broken']) for r in runs)} "
                f"| {sum(not r['second_run_stable'] for r in runs)} |"
            )
    print("\n## Reasons (findings without a safe fix)\n")
    print("| count | code | fix | reason |\n| ---: | --- | --- | --- |")
    for (code, kind, reason), n in reasons.most_common(40):
        print(f"| {n} | {code} | {kind} | {reason[:160]} |")
    print("\n## Per project\n")
    print("| project | findings |\n| --- | --- |")
    for name, entry in results.items():
        if entry["findings"]:
            found = ", ".join(f"{k} {v}" for k, v in entry["findings"].items())
            print(f"| {name} | {found} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
