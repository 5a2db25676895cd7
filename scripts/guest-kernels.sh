#!/bin/sh
# Fetch one Debian kernel for the QEMU kernel suite into a cache, without
# installing it: the image package is downloaded (apt-get download) and only
# what the guests boot is unpacked from it (dpkg-deb): vmlinuz and the UIO
# modules. Nothing on the host changes.
#
#   scripts/guest-kernels.sh --cache DIR [--stamp FILE] SERIES [FLAVOUR]
#
# SERIES is 6.1 or 6.12 (Debian 12: the newest release whose headers are
# installed on the host, by scripts/setup.sh) or 7.N (the newest 7.N release
# in Debian 13's trixie-backports). FLAVOUR is amd64 (generic, the default)
# or rt (PREEMPT_RT). Debian's 7.x headers need trixie's libc and gcc 14: the
# first 7.x kernel makes DIR/trixie-root (debootstrap --variant=minbase, with
# trixie-backports' linux-base, gcc-14 and make; its apt sources are the only
# ones that name trixie), and each 7.x kernel installs its headers there; the
# module is built there (uio_daq/build-module.sh --root).
#
# Result: DIR/<release>/vmlinuz, DIR/<release>/modules/kernel/drivers/uio/,
# and DIR/<release>/kernel.json, which run-guest.py reads: the release, the
# headers' build tree (kdir) and the root to build in ("" for the host).
# A kernel already in the cache is not fetched again. Needs root (sudo
# otherwise) for debootstrap and chroot.
#
# --stamp FILE (Meson's targets): the fetch's output also goes to
# DIR/fetch-SERIES-FLAVOUR.log, its last line to FILE when it worked. A
# failed fetch still exits 0 and leaves no FILE: the tests that boot the
# kernel fail naming the log (and the next `meson test` tries again), the
# other tests run.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache= stamp=
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=${2:?--cache needs a directory}; shift 2 ;;
	--stamp) stamp=${2:?--stamp needs a file}; shift 2 ;;
	-h|--help) sed -n '2,28p' "$0"; exit 0 ;;
	-*) echo "guest-kernels.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] && [ $# -le 2 ] && [ -n "$cache" ] ||
	{ echo "usage: guest-kernels.sh --cache DIR [--stamp FILE] SERIES [amd64|rt]" >&2; exit 2; }
series=$1 flavour=${2:-amd64}
case $flavour in
amd64) suffix=amd64 ;;
rt) suffix=rt-amd64 ;;
*) echo "guest-kernels.sh: flavour '$flavour': amd64 or rt" >&2; exit 2 ;;
esac
case $series in
6.1|6.12) dist=bookworm ;;
7.[0-9]*) dist=trixie ;;
*) echo "guest-kernels.sh: series '$series': 6.1, 6.12 or 7.N" >&2; exit 2 ;;
esac
case $series in *[!0-9.]*) echo "guest-kernels.sh: series '$series' is not a version" >&2; exit 2 ;; esac
sre=$(printf '%s' "$series" | sed 's/\./\\./g')	# the series as a regex

if [ -n "$stamp" ]; then
	rm -f "$stamp"
	mkdir -p "$cache"
	log=$cache/fetch-$series-$flavour.log
	rc=0
	sh "$0" --cache "$cache" "$series" "$flavour" >"$log" 2>&1 || rc=$?
	cat "$log"
	if [ $rc -eq 0 ]; then
		tail -n 1 "$log" >"$stamp"
	else
		echo "guest-kernels.sh: fetching $series $flavour failed (log: $log);" \
			"the tests that boot it will fail" >&2
	fi
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
root=$cache/trixie-root
say() { echo "guest-kernels.sh: $*"; }
die() { echo "guest-kernels.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 missing (Debian package $2; run scripts/setup.sh)"; }
need dpkg-deb dpkg
need flock util-linux

# in_root CMD...: run CMD in the trixie root.
in_root() { $SUDO chroot "$root" "$@"; }

# make_root: DIR/trixie-root, made once (in a .tmp directory renamed when
# complete, so an interrupted run leaves no half root behind).
make_root() {
	need debootstrap debootstrap
	mirror=$(sh "$here/debian-mirror.sh")
	$SUDO rm -rf "$root.tmp"
	say "making the trixie root $root (debootstrap --variant=minbase, $mirror)"
	$SUDO debootstrap --variant=minbase trixie "$root.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log" >&2; die "debootstrap trixie failed (log: $cache/debootstrap.log)"; }
	printf 'deb %s trixie-backports main\n' "$mirror" |
		$SUDO tee "$root.tmp/etc/apt/sources.list.d/trixie-backports.list" >/dev/null
	root=$root.tmp
	in_root apt-get update -q
	DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -q --no-install-recommends \
		-t trixie-backports linux-base gcc-14 make
	root=${root%.tmp}
	$SUDO mv "$root.tmp" "$root"
}

# newest: the newest of the releases on stdin, one a line.
newest() { sort -V | tail -n 1; }

if [ "$dist" = bookworm ]; then
	# The host's headers decide the release: the module is built there.
	# (-amd64 alone: not -rt-amd64, not -cloud-amd64)
	rel=$(ls -d /lib/modules/"$series".*-"$suffix" 2>/dev/null | sed 's|.*/||' |
		grep -E "^$sre\.[0-9]+(-[0-9]+|\+deb12)-$suffix\$" |
		while read -r r; do [ -f "/lib/modules/$r/build/Makefile" ] && echo "$r"; done | newest)
	[ -n "$rel" ] || die "no Debian $series $flavour kernel headers in /lib/modules (run scripts/setup.sh)"
	kdir=/lib/modules/$rel/build
	ver=$(dpkg-query -W -f='${Version}' "linux-headers-$rel")
	run_apt() { "$@"; }
	debs=$cache/debs-$rel
else
	exec 9>"$cache/trixie-root.lock"
	flock 9
	if [ -d "$root" ]; then
		# Its lists were made for an earlier kernel.
		in_root apt-get update -q >/dev/null ||
			say "apt-get update in the trixie root failed: using its old lists"
	else
		make_root
	fi
	rel=$(in_root apt-cache search --names-only "^linux-image-$sre\\.[0-9]+\\+deb13-$suffix\$" |
		sed -n "s/^linux-image-\\([^ ]*-$suffix\\) .*/\\1/p" | newest)
	[ -n "$rel" ] || die "no linux-image-$series.*+deb13-$suffix in trixie-backports (newest 7.x there: $(
		in_root apt-cache search --names-only '^linux-image-7\.[0-9.]*\+deb13-amd64$' | cut -d' ' -f1 |
		sed 's/^linux-image-//' | newest)); change the series in tests/kernel/meson.build"
	kdir=/usr/src/linux-headers-$rel
	if [ ! -f "$root$kdir/Makefile" ]; then
		say "installing linux-headers-$rel in the trixie root"
		DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -q --no-install-recommends \
			-t trixie-backports "linux-headers-$rel"
	fi
	ver=$(in_root dpkg-query -W -f='${Version}' "linux-headers-$rel")
	run_apt() { in_root "$@"; }
	debs=$root/var/tmp/guest-debs-$rel
fi

# download PKG...: download the first of PKGs that exists in the headers'
# version into $debs; print its name.
download() {
	for pkg in "$@"; do
		if run_apt sh -c "cd '$inner' && apt-get download -q \
			-o APT::Sandbox::User=root '$pkg=$ver'" >>"$debs.log" 2>&1; then
			echo "$pkg"
			return 0
		fi
	done
	cat "$debs.log" >&2
	die "cannot download any of $* in version $ver (apt-get update, then run scripts/setup.sh)"
}

# unpack WHAT PKG PATTERN...: extract the files matching PATTERNs from PKG's .deb.
unpack() {
	say "unpacking $1 from $2"
	deb=$(echo "$debs/$2"_*.deb)
	shift 2
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$out.tmp" --wildcards "$@"
}

out=$cache/$rel
if [ -f "$out/kernel.json" ] && [ -f "$out/vmlinuz" ]; then
	say "$rel already in $cache"
else
	$SUDO rm -rf "$debs" "$debs.log" "$out.tmp"
	mkdir -p "$debs" "$out.tmp"
	inner=${debs#"$root"}
	[ "$dist" = trixie ] || inner=$debs
	uio="*/modules/$rel/kernel/drivers/uio/*"
	# Debian 12 ships vmlinuz (in /boot) and the modules in one linux-image
	# package (unsigned: the only one for the newest 6.12); Debian 13's 7.x
	# in linux-binary(-unsigned) (/usr/lib/modules/<release>/vmlinuz*) and
	# linux-modules.
	img=$(download "linux-image-$rel-unsigned" "linux-binary-unsigned-$rel" \
		"linux-binary-$rel" "linux-image-$rel")
	pkgs=$img
	if dpkg-deb --fsys-tarfile "$debs/$img"_*.deb | tar -t --wildcards "$uio" >/dev/null 2>&1; then
		unpack "vmlinuz and drivers/uio" "$img" "*vmlinuz*" "$uio"
	else
		unpack vmlinuz "$img" "*vmlinuz*"
		mods=$(download "linux-modules-$rel")
		unpack drivers/uio "$mods" "$uio"
		pkgs="$img $mods"
	fi
	vmlinuz=$(find "$out.tmp" -name "vmlinuz*" -type f)
	[ "$(echo "$vmlinuz" | wc -l)" = 1 ] || die "not one vmlinuz in $img: $vmlinuz"
	mv "$vmlinuz" "$out.tmp/vmlinuz"
	mkdir -p "$out.tmp/modules"
	mv "$(find "$out.tmp" -path "*/modules/$rel/kernel" -type d)" "$out.tmp/modules/kernel"
	find "$out.tmp" -mindepth 1 -maxdepth 1 ! -name vmlinuz ! -name modules -exec rm -rf {} +
	croot=
	[ "$dist" = trixie ] && croot=trixie-root
	printf '{"release": "%s", "series": "%s", "flavour": "%s", "packages": "%s", "version": "%s",\n "kdir": "%s", "root": "%s"}\n' \
		"$rel" "$series" "$flavour" "$pkgs" "$ver" "$kdir" "$croot" >"$out.tmp/kernel.json"
	$SUDO rm -rf "$debs" "$debs.log" "$out"
	mv "$out.tmp" "$out"
	say "$rel ready in $out"
fi
