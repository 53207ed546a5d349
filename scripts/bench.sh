#!/usr/bin/env bash
# Time awaitify on a corpus, side by side with the parse floor and ruff.
#
# usage: bash scripts/bench.sh [--half] [--no-big-file] CORPUS [RUNS]
#
#   CORPUS  a folder of package folders, as built by `corpus.sh DEST` (any folder of Python
#           files works; --half needs sub-folders).
#   RUNS    timed runs per command (default 5), after one warm-up run of each.
#   --half  time on about half the corpus: the package folders (CORPUS/*/) whose sizes add up
#           closest to half of the total without going over, largest first, passed as paths.
#   --no-big-file  skip the one-big-file table (below).
#
# Rows: (a) the parse floor (examples/parse_floor: walk, read and parse every file in parallel,
# nothing else), (b) `awaitify check --exit-zero`, (c) `awaitify fix` (dry run, diff to
# /dev/null), (b') `awaitify check --phase 1` (without the project stage), (d) `awaitify check
# --select AW2` (phase 2 alone; skipped with a note if it exits 2), (e) `ruff check --isolated --no-cache --select ASYNC
# --exit-zero` (ruff pinned below, installed into target/bench-venv).
# Runs are interleaved (run 1 of every command, then run 2, ...) so that drift in the machine's
# speed spreads over all rows. Wall time is taken with bash's EPOCHREALTIME around
# `/usr/bin/time -v`, which gives the CPU time (user + system; its median is shown) and the
# peak resident set size. Ratios and rates use the median wall time.
#
# Then one big file (generated modules and vendored files are this big), at growing sizes, so
# that a cost that grows faster than the file shows: phase 1 with 4,000 / 10,000 / 40,000
# findings (5 lines each, up to 200,000 lines) for `check --phase 1` and `fix --write` (on a
# fresh copy each run), and phase 2 with 12,500 / 25,000 / 50,000 functions (sync helpers that
# block, each called by an async function) for `check --select AW2`. The last column, seconds per
# 100,000 lines, stays about flat when the cost is linear.
#
# Environment: PYTHON (interpreter for the venv, default python3), CARGO_TARGET_DIR.
set -euo pipefail

RUFF_VERSION=0.17.6

usage() { echo "usage: bash scripts/bench.sh [--half] [--no-big-file] CORPUS [RUNS]" >&2; exit 2; }
half=0
big=1
args=()
for arg in "$@"; do
  case "$arg" in
    --half) half=1 ;;
    --no-big-file) big=0 ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $arg" >&2; usage ;;
    *) args+=("$arg") ;;
  esac
done
[[ ${#args[@]} -ge 1 && ${#args[@]} -le 2 ]] || usage
CORPUS="${args[0]}"
RUNS="${args[1]:-5}"
[[ -d "$CORPUS" ]] || { echo "error: $CORPUS is not a folder" >&2; exit 2; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "error: RUNS must be a positive integer" >&2; exit 2; }
CORPUS="$(cd "$CORPUS" && pwd)"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac

if ! /usr/bin/time -v true >/dev/null 2>&1; then
  cat >&2 <<'EOF'
error: GNU time (/usr/bin/time with -v) is needed for the peak memory column.
On Debian/Ubuntu install it with:
    apt-get update && apt-get install -y time
EOF
  exit 2
fi
if [[ -z "${EPOCHREALTIME:-}" ]]; then
  echo "error: bash 5 or newer is needed (EPOCHREALTIME)" >&2
  exit 2
fi

echo "==> building release binaries" >&2
cargo build --release --locked >&2
cargo build --release --locked --example parse_floor >&2
AWAITIFY="$TARGET_DIR/release/awaitify"
FLOOR="$TARGET_DIR/release/examples/parse_floor"

VENV="$ROOT/target/bench-venv"
RUFF="$VENV/bin/ruff"
if [[ ! -x "$RUFF" ]] || [[ "$("$RUFF" --version 2>/dev/null)" != "ruff $RUFF_VERSION" ]]; then
  echo "==> installing ruff==$RUFF_VERSION into target/bench-venv" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "ruff==$RUFF_VERSION" >&2
fi

# The paths every command gets.
paths=("$CORPUS")
if [[ $half -eq 1 ]]; then
  mapfile -t paths < <("$PYTHON" - "$CORPUS" <<'PY'
import os, sys
root = sys.argv[1]
sizes = {}
for name in sorted(os.listdir(root)):
    top = os.path.join(root, name)
    if not os.path.isdir(top):
        continue
    total = 0
    for d, _, files in os.walk(top):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files if f.endswith((".py", ".pyi")))
    sizes[top] = total
budget = sum(sizes.values()) / 2
chosen = []
for top, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
    if size <= budget:
        chosen.append(top)
        budget -= size
if not chosen:
    sys.exit("error: --half needs package folders under CORPUS")
print("\n".join(sorted(chosen)))
PY
)
  echo "==> half corpus: ${#paths[@]} package folders: $(for p in "${paths[@]}"; do basename "$p"; done | tr '\n' ' ')" >&2
fi

# The size of the input, as the floor counts it (files, lines).
floor_out="$("$FLOOR" "${paths[@]}")"
read -r _ FILES _ LINES _ BYTES _ PARSE_ERRORS <<<"$floor_out"

names=(floor check check-phase1 fix check-AW2 ruff)
labels=(
  "parse floor (examples/parse_floor)"
  "awaitify check --exit-zero"
  "awaitify check --phase 1 --exit-zero"
  "awaitify fix (dry run)"
  "awaitify check --select AW2 --exit-zero"
  "ruff $RUFF_VERSION check --select ASYNC"
)
cmd_floor=("$FLOOR" "${paths[@]}")
cmd_check=("$AWAITIFY" check --exit-zero "${paths[@]}")
cmd_check_phase1=("$AWAITIFY" check --phase 1 --exit-zero "${paths[@]}")
cmd_fix=("$AWAITIFY" fix "${paths[@]}")
cmd_check_AW2=("$AWAITIFY" check --select AW2 --exit-zero "${paths[@]}")
cmd_ruff=("$RUFF" check --isolated --no-cache --select ASYNC --exit-zero "${paths[@]}")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# run NAME RUN: one timed run; appends "seconds rss_kib" to $work/NAME.times.
run() {
  local name="$1" run="$2" var="cmd_${1//-/_}[@]"
  local cmd=("${!var}")
  local start end status=0
  start=$EPOCHREALTIME
  /usr/bin/time -v -o "$work/$name.time" "${cmd[@]}" >/dev/null 2>"$work/$name.stderr" || status=$?
  end=$EPOCHREALTIME
  echo "$status" >"$work/$name.status"
  # awaitify: 0 nothing found / 1 findings or pending changes; 2 is an error.
  if [[ $status -ne 0 && $status -ne 1 ]]; then
    return "$status"
  fi
  local rss cpu
  rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")"
  cpu="$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$work/$name.time")"
  echo "$start $end $rss $cpu" >>"$work/$name.times"
}

declare -A skipped=()
echo "==> warm-up" >&2
for name in "${names[@]}"; do
  if ! run "$name" 0; then
    status="$(cat "$work/$name.status")"
    first_error="$(grep -v '^Command exited' "$work/$name.stderr" | head -n 1)"
    [[ ${#first_error} -le 72 ]] || first_error="${first_error:0:72}..."
    if [[ "$name" == check-AW2 && "$status" == 2 ]]; then
      skipped[$name]="exit 2: $first_error"
      echo "    $name: skipped (exit 2: $first_error)" >&2
      continue
    fi
    echo "error: $name exited $status:" >&2
    cat "$work/$name.stderr" >&2
    exit 1
  fi
  rm -f "$work/$name.times"
done

for ((i = 1; i <= RUNS; i++)); do
  echo "==> run $i/$RUNS" >&2
  for name in "${names[@]}"; do
    [[ -n "${skipped[$name]:-}" ]] && continue
    if ! run "$name" "$i"; then
      echo "error: $name exited $(cat "$work/$name.status") on run $i:" >&2
      cat "$work/$name.stderr" >&2
      exit 1
    fi
  done
done

skip_notes=""
for name in "${!skipped[@]}"; do skip_notes+="$name	${skipped[$name]}"$'\n'; done

# Read-only git plumbing (no index refresh): the commit, and whether tracked files differ from it.
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ "$commit" != unknown ]] && ! git -C "$ROOT" diff-index --quiet HEAD -- 2>/dev/null; then
  commit+="-dirty"
fi
echo
echo "awaitify $commit, ruff $RUFF_VERSION, $(nproc) CPUs, $RUNS runs after 1 warm-up"
echo "input: $([[ $half -eq 1 ]] && echo "half corpus (${#paths[@]} package folders)" || echo "full corpus"): $FILES files, $LINES lines, $BYTES bytes, $PARSE_ERRORS parse errors"
if [[ $half -eq 1 ]]; then
  echo "packages: $(for p in "${paths[@]}"; do basename "$p"; done | tr '\n' ' ')"
fi
echo
"$PYTHON" - "$work" "$FILES" "$LINES" "$skip_notes" "${names[@]}" -- "${labels[@]}" <<'PY'
import os, statistics, sys
work, files, lines, skip_notes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rest = sys.argv[5:]
sep = rest.index("--")
names, labels = rest[:sep], rest[sep + 1:]
skipped = dict(l.split("\t", 1) for l in skip_notes.splitlines() if l)
rows = {}
for name in names:
    path = os.path.join(work, name + ".times")
    if name in skipped or not os.path.exists(path):
        continue
    secs, rss, cpu = [], [], []
    for line in open(path):
        start, end, kib, cpu_s = line.split()
        secs.append(float(end) - float(start))
        rss.append(int(kib))
        cpu.append(float(cpu_s))
    rows[name] = (statistics.median(secs), min(secs), max(secs), statistics.median(cpu), max(rss) / 1024)
floor = rows.get("floor", (None,))[0]
ruff = rows.get("ruff", (None,))[0]
ratio = lambda a, b: f"{a / b:.2f}x" if b else "-"
print("| command | median s | min / max s | CPU s | vs floor | vs ruff | files/s | lines/s | peak MiB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, label in zip(names, labels):
    if name in skipped:
        print(f"| {label} | skipped: {skipped[name]} | | | | | | | |")
        continue
    med, lo, hi, cpu, mib = rows[name]
    print(f"| {label} | {med:.3f} | {lo:.3f} / {hi:.3f} | {cpu:.2f} | {ratio(med, floor)} | {ratio(med, ruff)} "
          f"| {files / med:,.0f} | {lines / med:,.0f} | {mib:.0f} |")
PY

[[ $big -eq 1 ]] || exit 0

# ---- one big file -------------------------------------------------------------------------------
echo >&2
echo "==> one big file" >&2
big_dir="$work/big"
mkdir -p "$big_dir"
# gen KIND N FILE: phase 1 (N async functions, each with one `time.sleep`) or phase 2 (N/2 sync
# helpers that sleep, each called by one async function).
gen() {
  "$PYTHON" - "$@" <<'PY'
import sys
kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = ["import time", ""]
if kind == "p1":
    for i in range(n):
        out += [f"async def f{i}(x):", f"    y = x + {i}", "    time.sleep(1)", "    return y", ""]
else:
    for i in range(n // 2):
        out += [f"def h{i}(x):", "    time.sleep(0)", f"    return x + {i}", "",
                f"async def a{i}(x):", f"    return h{i}(x)", ""]
open(path, "w").write("\n".join(out) + "\n")
PY
}
big_rows=()
# big_time LABEL FILE FINDINGS CMD...: the median wall time and peak memory of RUNS runs.
big_time() {
  local label="$1" file="$2" findings="$3"
  shift 3
  local secs=() rss=() i start end status
  for ((i = 0; i <= RUNS; i++)); do
    start=$EPOCHREALTIME
    status=0
    /usr/bin/time -v -o "$big_dir/time" "$@" >/dev/null 2>"$big_dir/stderr" || status=$?
    end=$EPOCHREALTIME
    if [[ $status -gt 1 ]]; then
      echo "error: $label exited $status:" >&2
      cat "$big_dir/stderr" >&2
      exit 1
    fi
    [[ $i -eq 0 ]] && continue   # warm-up
    secs+=("$("$PYTHON" -c "print($end - $start)")")
    rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$big_dir/time")")
  done
  local lines
  lines="$(wc -l <"$file")"
  big_rows+=("$label|$lines|$findings|${secs[*]}|${rss[*]}")
}
for n in 4000 10000 40000; do
  file="$big_dir/phase1_$n.py"
  gen p1 "$n" "$file"
  echo "    phase 1, $n findings" >&2
  big_time "check --phase 1" "$file" "$n" "$AWAITIFY" check --phase 1 --exit-zero "$file"
  big_time "fix --write" "$file" "$n" bash -c 'cp "$1" "$2" && "$3" fix --write "$2"' _ "$file" "$big_dir/copy.py" "$AWAITIFY"
done
for n in 12500 25000 50000; do
  file="$big_dir/phase2_$n.py"
  gen p2 "$n" "$file"
  echo "    phase 2, $n functions" >&2
  big_time "check --select AW2 ($n functions)" "$file" "$((n / 2))" "$AWAITIFY" check --select AW2 --exit-zero "$file"
done
echo
echo "one big file ($RUNS runs after 1 warm-up each):"
echo
"$PYTHON" - "${big_rows[@]}" <<'PY'
import statistics, sys
print("| command | lines | findings | median s | min / max s | peak MiB | s per 100,000 lines |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for row in sys.argv[1:]:
    label, lines, findings, secs, rss = row.split("|")
    secs = [float(s) for s in secs.split()]
    rss = [int(r) for r in rss.split()]
    med = statistics.median(secs)
    print(f"| awaitify {label} | {int(lines):,} | {int(findings):,} | {med:.3f} | {min(secs):.3f} / {max(secs):.3f} "
          f"| {max(rss) / 1024:.0f} | {med / int(lines) * 100_000:.3f} |")
PY
