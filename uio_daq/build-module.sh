#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build uio_daq.ko out of the source tree (Kbuild writes next to its
# sources, so they are copied first). Used by Meson and the kernel suite:
#   build-module.sh [--root DIR] <srcdir> <workdir> <kdir> <include dir> <output .ko>
# --root DIR: build inside that system root (chroot; root or sudo), where
# kdir and the compiler are: the trixie root of scripts/guest-kernels.sh for
# Debian's 7.x kernels. The sources are copied into DIR/tmp for the build
# and the results back to workdir. Compiler warnings are errors.
set -eu
root=
if [ "${1-}" = --root ]; then
	root=${2:?--root needs a directory}
	shift 2
fi
[ $# -eq 5 ] || { echo "usage: $0 [--root DIR] srcdir workdir kdir incdir out.ko" >&2; exit 2; }
src=$1 work=$2 kdir=$3 inc=$4 out=$5
if [ ! -f "$root$kdir/Makefile" ]; then
	echo "build-module.sh: no kernel build tree at '$root$kdir' (install linux-headers-<release>," \
		"set -Dkdir=, or for the kernel suite run scripts/guest-kernels.sh)" >&2
	exit 1
fi
mkdir -p "$work"
cp "$src"/Kbuild "$src"/Makefile "$src"/*.h "$src"/*.c "$work"/
if [ -z "$root" ]; then
	make -s -C "$kdir" M="$(cd "$work" && pwd)" UIO_DAQ_INCLUDE="$(cd "$inc" && pwd)" \
		KCFLAGS=-Werror modules
else
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	# Inside the root the headers go next to the sources, as in a DKMS tree.
	tmp=$(mktemp -d "$root/tmp/uio_daq.XXXXXX")
	trap '$SUDO rm -rf "$tmp"' EXIT
	cp -R "$work"/. "$tmp"/
	mkdir -p "$tmp/include"
	cp -R "$inc"/uio_daq "$tmp/include/"
	rc=0
	# objtool reads /proc/self/limits: /proc is mounted in the root, in a
	# mount namespace of the build's own (gone with it, and invisible to a
	# build running in the same root at the same time).
	$SUDO unshare -m --propagation private sh -c \
		'mount -t proc proc "$1/proc" && exec chroot "$1" make -s -C "$2" M="$3" KCFLAGS=-Werror modules' \
		sh "$root" "$kdir" "${tmp#"$root"}" || rc=$?
	cp -R "$tmp"/. "$work"/
	[ $rc -eq 0 ] || exit $rc
fi
cp "$work"/uio_daq.ko "$out"
