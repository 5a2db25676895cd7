#!/bin/sh
# Install what uio-daq needs on Debian 12 (bookworm), from Debian's packages
# only. Idempotent: packages already present are left alone, apt runs only
# when something is missing.
#
#   scripts/setup.sh            build + test dependencies, and for the kernel
#                               suite QEMU, debootstrap and the headers of
#                               Debian's 6.1 and 6.12 kernels
#   scripts/setup.sh --no-kernel  skip the kernel suite's tools and headers
#
# No guest kernel is installed: the suite's guest kernels are downloaded
# and unpacked into the build directory when the tests need them
# (scripts/guest-kernels.sh), Debian 13's 7.x with its headers in a trixie
# root there. (linux-headers-6.12.*+deb12-amd64 depends on its image, so
# apt installs that one with the headers.)
set -eu

want_kernel=1
for arg in "$@"; do
	case "$arg" in
	--no-kernel) want_kernel=0 ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
	esac
done

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
	SUDO=sudo
fi

if [ ! -r /etc/debian_version ]; then
	echo "setup.sh: this script installs Debian packages; on other systems install the" >&2
	echo "equivalents of the packages listed in it (see README.md)." >&2
	exit 1
fi

pkgs="gcc make pkgconf meson ninja-build libpci-dev pci.ids libjson-c-dev libinih-dev
libsystemd-dev libcmocka-dev python3-numpy python3-jsonschema util-linux systemd
groff-base python3-dev python3-pytest python3-matplotlib"
kpkgs="qemu-system-x86 busybox-static cpio xz-utils zstd kmod sparse debootstrap
linux-headers-amd64 linux-source-6.1"
# The packages of each later part, one line each (so that parts added in
# parallel do not touch the same lines); empty where a part needs none.
# web page and metrics (docs/web.md)
web_pkgs=""
# JetStream sink and replay (docs/jetstream.md)
jetstream_pkgs=""
# data-path benchmarks (bench/)
bench_pkgs=""
# VFIO transport (docs/vfio.md)
vfio_pkgs=""
# card driver plugins (docs/porting.md)
driver_pkgs=""
pkgs="$pkgs $web_pkgs $jetstream_pkgs $bench_pkgs $vfio_pkgs $driver_pkgs"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ "$want_kernel" = 1 ]; then
	for p in $kpkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
fi

need_bpo=0
if [ "$want_kernel" = 1 ] && ! ls /lib/modules/6.12.*+deb12-amd64/build/Makefile >/dev/null 2>&1; then
	need_bpo=1
fi

updated=0
apt_update() {
	[ "$updated" = 1 ] && return 0
	$SUDO apt-get update -q
	updated=1
}

if [ "$need_bpo" = 1 ]; then
	# Add bookworm-backports from the mirror the system already uses.
	if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
		uri=$(sh "$(dirname "$0")/debian-mirror.sh")
		printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$uri" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
	fi
	apt_update
	# The newest 6.12 ABI's headers (the generic flavour: not -rt, not
	# -cloud); guest-kernels.sh fetches the image of the same version.
	abi=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]*\+deb12-amd64$' |
		sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12\)-amd64 .*/\1/p' | sort -V | tail -n 1)
	[ -n "$abi" ] || { echo "setup.sh: no 6.12 kernel headers found in bookworm-backports" >&2; exit 1; }
	missing="$missing linux-headers-$abi-amd64"
fi

if [ -n "$missing" ]; then
	echo "setup.sh: installing:$missing"
	apt_update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

if [ "$want_kernel" = 1 ] && [ ! -f /usr/share/linux-checkpatch/checkpatch.pl ]; then
	# checkpatch.pl ships inside Debian's linux-source tarball.
	src=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
	if [ -n "$src" ]; then
		tmp=$(mktemp -d)
		tar -xf "$src" -C "$tmp" --wildcards '*/scripts/checkpatch.pl' \
			'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch' 2>/dev/null || true
		$SUDO mkdir -p /usr/share/linux-checkpatch
		$SUDO cp "$tmp"/*/scripts/checkpatch.pl "$tmp"/*/scripts/spelling.txt \
			"$tmp"/*/scripts/const_structs.checkpatch /usr/share/linux-checkpatch/ 2>/dev/null || true
		rm -rf "$tmp"
	fi
fi
echo "setup.sh: all dependencies present"
