#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build uio_daq.ko out of the source tree (Kbuild writes next to its
# sources, so they are copied first). Used by Meson:
#   build-module.sh <srcdir> <workdir> <kdir> <include dir> <output .ko>
set -eu
[ $# -eq 5 ] || { echo "usage: $0 srcdir workdir kdir incdir out.ko" >&2; exit 2; }
src=$1 work=$2 kdir=$3 inc=$4 out=$5
if [ ! -f "$kdir/Makefile" ]; then
	echo "build-module.sh: no kernel build tree at '$kdir' (install linux-headers-<release> or set -Dkdir=)" >&2
	exit 1
fi
mkdir -p "$work"
cp "$src"/Kbuild "$src"/Makefile "$src"/udaq.h "$src"/udaq_*.c "$work"/
make -s -C "$kdir" M="$(cd "$work" && pwd)" UIO_DAQ_INCLUDE="$(cd "$inc" && pwd)" \
	KCFLAGS=-Werror modules
cp "$work"/uio_daq.ko "$out"
