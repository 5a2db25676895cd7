#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped systemd unit, configured for this build: systemd-analyze verify
# must accept it without a single complaint (it only warns, exit 0, on
# unknown settings and bad values), and its offline security exposure must
# stay at most 3.0 ("OK"); the figure is printed.
set -u
unit=$1
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (Debian package systemd; run scripts/setup.sh)"; exit 1; }
out=$(systemd-analyze verify "$unit" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "systemd-analyze verify $unit (status $rc):"
	echo "$out"
	exit 1
fi
sec=$(systemd-analyze security --offline=true "$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$sec" ] || { echo "systemd-analyze security gave no exposure level"; exit 1; }
echo "exposure level $sec (systemd-analyze security --offline=true)"
awk -v s="$sec" 'BEGIN { exit !(s <= 3.0) }' || { echo "exposure $sec above 3.0"; exit 1; }
