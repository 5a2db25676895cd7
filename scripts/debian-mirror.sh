#!/bin/sh
# Print the Debian mirror this system's apt already uses (e.g.
# http://deb.debian.org/debian), from deb822 or one-line sources. Used by
# setup.sh (to add bookworm-backports) and guest-kernels.sh (the trixie
# root's mirror). Exits 1 with a message when there is none.
set -eu
uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p' \
	/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
if [ -z "$uri" ]; then
	uri=$(sed -n 's/^deb[[:space:]]\{1,\}\([^[:space:]]*\/debian\)[[:space:]]\{1,\}bookworm[[:space:]].*/\1/p' \
		/etc/apt/sources.list 2>/dev/null | head -n 1)
fi
[ -n "$uri" ] || { echo "debian-mirror.sh: no Debian mirror in /etc/apt/sources.list{,.d/debian.sources}" >&2; exit 1; }
echo "$uri"
