#!/bin/sh
# Run the kernel suite (every kernel configuration, guest checks and the
# daqd chain) N times in a row and tally every check: how often it passed
# and how often it failed. Not part of CI: it is how a flaky kernel check
# is found (and how a fix for one is shown to hold).
#
#   scripts/kernel-repeat.sh [-n RUNS] [-C BUILDDIR]   (default 10, build)
#   scripts/kernel-repeat.sh -t [-C BUILDDIR]   tally the runs kept there again
#
# BUILDDIR must be a configured meson build with the kernel suite enabled.
# Each run's meson log is kept as BUILDDIR/kernel-repeat/run-K.json.
# Exits non-zero if any check failed in any run.
set -eu
runs=10
build=build
tally_only=
while getopts n:C:th opt; do
	case $opt in
	n) runs=$OPTARG ;;
	C) build=$OPTARG ;;
	t) tally_only=1 ;;
	*) sed -n '2,12p' "$0"; exit 2 ;;
	esac
done
case $runs in ''|*[!0-9]*) echo "kernel-repeat.sh: -n takes a number" >&2; exit 2 ;; esac
[ -f "$build/build.ninja" ] || { echo "kernel-repeat.sh: $build is not a meson build directory" >&2; exit 2; }
out=$build/kernel-repeat
if [ -n "$tally_only" ]; then
	runs=$(ls "$out"/run-*.json 2>/dev/null | wc -l)
	[ "$runs" -gt 0 ] || { echo "kernel-repeat.sh: no runs kept in $out" >&2; exit 2; }
else
	rm -rf "$out"
	mkdir -p "$out"
fi
k=1
while [ -z "$tally_only" ] && [ "$k" -le "$runs" ]; do
	start=$(date +%s)
	meson test -C "$build" --suite kernel --no-rebuild >"$out/run-$k.txt" 2>&1 || true
	cp "$build/meson-logs/testlog.json" "$out/run-$k.json"
	echo "run $k of $runs: $(grep -E '^(Ok|Fail|Skipped|Timeout):' "$out/run-$k.txt" | tr -s ' \n' ' ')($(( $(date +%s) - start )) s)"
	k=$((k + 1))
done
exec /usr/bin/python3 - "$out" "$runs" <<'PY'
import collections, glob, json, re, sys
out, runs = sys.argv[1], int(sys.argv[2])
# Figures inside a check's name (seconds, kB, counts, hex addresses)
# differ from run to run: fold numbers so that the same check is counted
# as one. A check a guest makes several times (one per device, say) then
# runs a multiple of RUNS times.
def key(test, desc):
    return test + ": " + re.sub(r"0x[0-9a-fA-F]+|\d+(\.\d+)?", "#", desc)
passes, fails = collections.Counter(), collections.Counter()
meson_fail = collections.Counter()
for log in sorted(glob.glob(f"{out}/run-*.json")):
    for line in open(log):
        if not line.strip():
            continue
        r = json.loads(line)
        if r["result"] not in ("OK", "EXPECTEDFAIL"):
            meson_fail[r["name"]] += 1
        for t in (r.get("stdout") or "").splitlines():
            m = re.match(r"(not ok|ok) \d+ - (.*)", t)
            if m:
                (passes if m.group(1) == "ok" else fails)[key(r["name"], m.group(2))] += 1
checks = set(passes) | set(fails)
print(f"{len(checks)} distinct checks over {runs} runs")
for c in sorted(fails):
    print(f"FAILED {fails[c]}x, passed {passes[c]}x: {c}")
for t in sorted(meson_fail):
    print(f"meson test {t} failed in {meson_fail[t]} of {runs} runs")
short = [c for c in checks if (passes[c] + fails[c]) % runs]
for c in sorted(short):
    print(f"ran {passes[c] + fails[c]} times, not a multiple of {runs}: {c}")
every = sum(1 for c in checks if passes[c] and passes[c] % runs == 0 and not fails[c])
print(f"{every} of {len(checks)} checks passed in all {runs} runs")
sys.exit(1 if fails or meson_fail or short else 0)
PY
