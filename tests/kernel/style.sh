#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Kernel style and static checks of the uio_daq stub: checkpatch.pl clean,
# and sparse (make C=2) silent against every supported kernel's headers.
set -u
src=${1:?usage: style.sh <project source root>}
src=$(cd "$src" && pwd)	# make runs in the kernel tree: an absolute path
cp=/usr/share/linux-checkpatch/checkpatch.pl
fail=0
if [ ! -f "$cp" ]; then
	echo "style.sh: $cp missing (scripts/setup.sh extracts it from linux-source-6.1)" >&2
	exit 1
fi
command -v sparse >/dev/null || { echo "style.sh: sparse missing (Debian package sparse)" >&2; exit 1; }
out=$(perl "$cp" --no-tree --terse -f "$src"/uio_daq/udaq.h "$src"/uio_daq/udaq_*.c 2>&1)
if echo "$out" | grep -q -E "(ERROR|WARNING|CHECK):"; then
	echo "checkpatch:"; echo "$out"; fail=1
else
	echo "checkpatch: clean"
fi
found=0
for kdir in /lib/modules/6.1.*-amd64/build /lib/modules/6.12.*+deb12-amd64/build; do
	[ -f "$kdir/Makefile" ] || continue
	found=$((found + 1))
	work=$(mktemp -d)
	cp "$src"/uio_daq/Kbuild "$src"/uio_daq/udaq.h "$src"/uio_daq/udaq_*.c "$work"/
	log=$(make -C "$kdir" M="$work" UIO_DAQ_INCLUDE="$src/libuio_daq/include" C=2 \
		KCFLAGS=-Werror modules 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || echo "$log" | grep -q -E "warning:|error:"; then
		echo "sparse/gcc against $kdir:"; echo "$log" | grep -v "^make"; fail=1
	else
		echo "sparse: clean against $kdir"
	fi
	rm -rf "$work"
done
if [ $found -lt 2 ]; then
	echo "style.sh: need the 6.1 and 6.12 headers (found $found), run scripts/setup.sh" >&2
	fail=1
fi
exit $fail
