#!/usr/bin/env bash
# Torture test: migrate a whole corpus in place (on a copy) and check that nothing broke.
#
# usage: bash scripts/torture.sh CORPUS
#
# 1. `awaitify check --output-format json --unsafe-fixes CORPUS`: findings per code (and how
#    they can be fixed), and the files awaitify cannot read (errors per kind), on the original.
# 2. Copies CORPUS to a temporary folder and runs `awaitify fix --write --unsafe-fixes` on the
#    copy; its JSON summary gives what was fixed and what remains unfixed, per code and reason.
# 3. Checks, each failure listed by file:
#    - no internal error: no panic (`internal error: panic`), no refused fix (`internal error:`,
#      a fix that produced invalid syntax or did not converge), no file left unwritten;
#    - every changed file still compiles with `$PYTHON -m py_compile` (run in parallel, two at a
#      time); a file that did not compile before the fix either is not counted against awaitify;
#    - a second run changes nothing: `awaitify fix --unsafe-fixes` on the copy prints no diff
#      and exits 0 (or 2 with exactly the errors of the original).
# Exits 0 when every check passes, 1 otherwise.
#
# Environment:
#   PYTHON  interpreter for py_compile. Default: python3.12 if it runs (the corpus is pinned to
#           CPython 3.12 wheels), else python3 (an older Python may not compile some files; they
#           are reported, and only files that compiled before the fix and not after are failures).
#   CARGO_TARGET_DIR, KEEP=1 (keep the temporary copy and logs, and print where they are).
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: bash scripts/torture.sh CORPUS" >&2; exit 2; }
CORPUS="$1"
[[ -d "$CORPUS" ]] || { echo "error: $CORPUS is not a folder" >&2; exit 2; }
CORPUS="$(cd "$CORPUS" && pwd)"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
if [[ -z "${PYTHON:-}" ]]; then
  if python3.12 -c '' >/dev/null 2>&1; then PYTHON=python3.12; else PYTHON=python3; fi
fi
PYVER="$("$PYTHON" -c 'import platform; print(platform.python_version())')"
export PYTHON

echo "==> building the release binary" >&2
cargo build --release --locked >&2
AWAITIFY="$TARGET_DIR/release/awaitify"

work="$(mktemp -d)"
if [[ "${KEEP:-0}" == 1 ]]; then
  echo "==> keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi
copy="$work/corpus"
# py_compile's bytecode goes here, never next to the sources.
export PYTHONPYCACHEPREFIX="$work/pycache"

status=0
echo "==> 1. awaitify check on the original" >&2
"$AWAITIFY" check --output-format json --unsafe-fixes "$CORPUS" >"$work/check.json" 2>"$work/check.stderr" || status=$?
if [[ $status -gt 2 ]]; then
  echo "error: awaitify check exited $status" >&2; cat "$work/check.stderr" >&2; exit 1
fi

echo "==> 2. awaitify fix --write --unsafe-fixes on a copy" >&2
cp -a "$CORPUS" "$copy"
status=0
"$AWAITIFY" fix --write --unsafe-fixes --color never --output-format json "$copy" >"$work/write.json" 2>"$work/write.stderr" || status=$?
echo "$status" >"$work/write.status"

echo "==> 3. changed files: py_compile before and after ($PYTHON, Python $PYVER)" >&2
# Changed files, as paths relative to the corpus.
"$PYTHON" - "$CORPUS" "$copy" >"$work/changed.txt" <<'PY'
import filecmp, os, sys
orig, copy = sys.argv[1:3]
for d, _, files in os.walk(copy):
    for f in files:
        new = os.path.join(d, f)
        rel = os.path.relpath(new, copy)
        old = os.path.join(orig, rel)
        if not os.path.exists(old) or not filecmp.cmp(old, new, shallow=False):
            print(rel)
PY
compile_one() { # compile_one ROOT REL: prints "ok REL" or "fail REL"
  if "$PYTHON" -m py_compile "$1/$2" 2>/dev/null; then echo "ok	$2"; else echo "fail	$2"; fi
}
export -f compile_one
tr '\n' '\0' <"$work/changed.txt" | xargs -0 -r -P2 -I{} bash -c 'compile_one "$0" "$1"' "$CORPUS" {} | sort >"$work/compile.before"
tr '\n' '\0' <"$work/changed.txt" | xargs -0 -r -P2 -I{} bash -c 'compile_one "$0" "$1"' "$copy" {} | sort >"$work/compile.after"

echo "==> 4. second run: awaitify fix --unsafe-fixes (dry run) on the fixed copy" >&2
status=0
"$AWAITIFY" fix --unsafe-fixes --color never "$copy" >"$work/again.diff" 2>"$work/again.stderr" || status=$?
echo "$status" >"$work/again.status"

echo >&2
"$PYTHON" - "$work" "$CORPUS" "$copy" "$PYVER" <<'PY'
import collections, json, os, re, sys
work, corpus, copy, pyver = sys.argv[1:5]
read = lambda name: open(os.path.join(work, name), encoding="utf-8", errors="replace").read()
failures = collections.OrderedDict()  # check -> [lines]
def fail(check, line):
    failures.setdefault(check, []).append(line)
def rel(path, root):
    return os.path.relpath(path, root) if path.startswith(root) else path

def error_kind(line):
    # `path:row:col: syntax error: ...`, `path: error: ...`, `path: internal error: ...`
    if ": syntax error: " in line: return "syntax error"
    if ": internal error: panic" in line: return "internal error: panic"
    if ": internal error: " in line: return "internal error: fix refused"
    if ": error: not written" in line: return "not written"
    m = re.search(r": error: (not valid UTF-8|binary file|permission denied|no such file|symbolic link loop)", line)
    if m: return m.group(1)
    if ": error: " in line: return "other error"
    return None

def error_lines(text):
    return [l for l in text.splitlines() if error_kind(l)]

# 1. Findings and errors on the original.
findings = json.loads(read("check.json") or "[]")
by_code = collections.defaultdict(collections.Counter)
for f in findings:
    c = by_code[f["code"]]
    c["findings"] += 1
    fix = f.get("fix")
    c["fix: " + (fix["applicability"] if fix else "none")] += 1
orig_errors = error_lines(read("check.stderr"))
orig_error_files = {l.split(":", 1)[0] for l in orig_errors}

# 2. The write run's summary.
write = read("write.stderr")
write_status = int(read("write.status"))
summary = json.loads(read("write.json") or "{}")
fixed = sum(summary.get("fixes_applied", {}).values())
fixed_files = len(summary.get("files_changed", []))
remaining = collections.Counter()
reasons = collections.Counter()
for r in summary.get("remaining", []):
    remaining[r["code"]] += 1
    reasons[(r["code"], r["reason"])] += 1
write_errors = error_lines(write)
for line in write_errors:
    kind = error_kind(line)
    if kind.startswith("internal error") or kind == "not written":
        fail(f"{kind} (fix --write)", rel(line, copy + os.sep))
if write_status not in (0, 1, 2):
    fail("fix --write exit status", f"exited {write_status}")

# 3. py_compile.
def compiled(name):
    return dict(reversed(l.split("\t", 1)) for l in read(name).splitlines() if l)
before, after = compiled("compile.before"), compiled("compile.after")
changed = [l for l in read("changed.txt").splitlines() if l]
not_before = sorted(p for p in changed if before.get(p) == "fail")
for p in changed:
    if before.get(p) == "ok" and after.get(p) != "ok":
        fail(f"compiled before the fix, not after (py_compile, Python {pyver})", p)

# 4. Idempotency.
again = read("again.diff")
again_status = int(read("again.status"))
again_files = [l[4:] for l in again.splitlines() if l.startswith("+++ ")]
for p in again_files:
    fail("second run still changes the file (non-idempotent)", rel(p, copy + os.sep))
again_error_files = {rel(l.split(":", 1)[0], copy + os.sep) for l in error_lines(read("again.stderr"))}
orig_rel = {rel(p, corpus + os.sep) for p in orig_error_files}
if again_status == 1 and not again_files:
    fail("second run", "exited 1 without a diff")
elif again_status == 2 and again_error_files != orig_rel:
    for p in sorted(again_error_files - orig_rel):
        fail("second run: new error", p)
elif again_status not in (0, 1, 2):
    fail("second run", f"exited {again_status}")

# Report.
print(f"corpus: {len(findings)} findings; {len(orig_errors)} files awaitify could not process")
print()
print("| code | findings | safe fix | unsafe fix | display-only | no fix | remaining after fix --write --unsafe-fixes |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for code in sorted(set(by_code) | set(remaining)):
    c = by_code[code]
    print(f"| {code} | {c['findings']} | {c['fix: safe']} | {c['fix: unsafe']} | {c['fix: display-only']} "
          f"| {c['fix: none']} | {remaining[code]} |")
print()
print(f"fix --write --unsafe-fixes: exit {write_status}; fixed {fixed} findings in {fixed_files} files; "
      f"{len(changed)} files changed on disk")
for (code, reason), n in sorted(reasons.items()):
    print(f"  unfixed {code}: {n} x {reason}")
kinds = collections.Counter(error_kind(l) for l in orig_errors)
print("errors on the original (awaitify check):" + ("" if kinds else " none"))
for kind, n in kinds.most_common():
    print(f"  {kind}: {n}")
for line in orig_errors[:10]:
    print(f"    {rel(line, corpus + os.sep)}")
if len(orig_errors) > 10:
    print(f"    ... and {len(orig_errors) - 10} more")
print(f"py_compile (Python {pyver}): {len(changed)} changed files; {len(not_before)} did not compile before the fix either")
for p in not_before:
    print(f"    {p}")
print(f"second run (fix --unsafe-fixes, dry run): exit {again_status}, {len(again_files)} files with a diff")
print()
if failures:
    n = sum(len(v) for v in failures.values())
    print(f"FAILED: {n} problems")
    for check, lines in failures.items():
        print(f"  {check}: {len(lines)}")
        for l in lines:
            print(f"    {l}")
    sys.exit(1)
print("torture: all checks passed")
PY
