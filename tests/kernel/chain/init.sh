#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the chain guests (run-chain.py): daqd records from QEMU's edu,
# driven as a streaming digitizer by libuio_daq's edu driver, through
# uio.ko and uio_daq.ko. Prints "@@ok - ..." / "@@not ok - ..." lines (one
# TAP test each on the host), "@@FIGURE ..." measurements, the kernel log,
# then powers off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu

M=/lib/modules
EDU=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ]; then
		EDU=${d##*/}
	fi
done
MIB64=67108864
# 1018 samples x 4 channels + the 48-byte header = 8192 bytes: a frame is
# exactly four 2048-byte edu transfers and never straddles a 1 MiB chunk.
FS=1018

ok() { echo "@@ok - $*"; }
notok() { echo "@@not ok - $*"; }
t() {
	local desc=$1
	shift
	if "$@" >/tmp/t.out 2>&1; then
		ok "$desc"
	else
		notok "$desc"
		sed 's/^/@@# /' /tmp/t.out
	fi
}
dmesg_clean() {
	dmesg -c >/tmp/dmesg.part
	cat /tmp/dmesg.part >>/tmp/dmesg.all
	if grep -E 'WARNING|BUG:|Oops|Call Trace|[Ll]eak|[Cc]orrupt|general protection|UBSAN|KASAN|[Bb]ad page|refcount_t|DMAR: DRHD: handling fault|DMAR: \[DMA|EDU:|segfault at|traps:' /tmp/dmesg.part >/tmp/dmesg.bad; then
		notok "dmesg clean: $1"
		sed 's/^/@@# /' /tmp/dmesg.bad
	else
		ok "dmesg clean: $1"
	fi
}
wait_uio() {
	local n=0
	while [ ! -e /dev/uio0 ] || [ ! -e /sys/class/uio/uio0/maps/map2 ]; do
		n=$((n + 1))
		[ $n -gt 100 ] && return 1
		sleep 0.05
	done
}
load() { rmmod uio_daq 2>/dev/null; insmod $M/uio_daq.ko "$@" && wait_uio; }
now() { chaincheck now; }
# Print daqd's log on failure (the lines after a check's own output).
show_log() { sed 's/^/@@# daqd: /' "$1" | tail -20; }
# rate in bytes/s from a byte count and two now() stamps
rate() { awk -v b=$1 -v a=$2 -v z=$3 'BEGIN { printf "%.0f", b * 1e9 / (z - a) }'; }
daqd_common="--device $EDU --test-pattern --channels 4 --frame-samples $FS --quiet --status-interval 0 --socket="

dmesg -n 1
t "edu device present ($EDU)" test -n "$EDU"
t "uio.ko and uio_daq.ko load, edu bound (uio0)" sh -c "insmod $M/uio.ko && insmod $M/uio_daq.ko && test -e /dev/uio0 || { sleep 1; test -e /dev/uio0; }"
wait_uio

# --- 64 MiB, verified sample by sample ------------------------------------------
part_record() {
# 1 MS/s x 4 channels x 2 bytes for 8.4 s = 67.2 MB >= 64 MiB. The chain is
# far slower than 1 MS/s, so frames are always due: the edu "device" runs
# flat out, and --duration at a nominal rate makes the sample count exact.
mkdir -p /tmp/rec
echo "@@MARK record_start"
t0=$(now)
daqd $daqd_common --rate 1M --duration 8400ms --output /tmp/rec >/tmp/daqd.log 2>&1
rc=$?
t1=$(now)
echo "@@MARK record_end"
if [ $rc = 0 ]; then ok "record: daqd exits 0 after 64 MiB from edu (--device $EDU)"; else notok "record: daqd exits 0 after 64 MiB from edu (status $rc)"; show_log /tmp/daqd.log; fi
t "record: daqd drove the edu digitizer" grep -q "edu v1.0" /tmp/daqd.log
t "record: >= 64 MiB, every sample the test pattern, valid SigMF metadata, no loss" \
	chaincheck verify /tmp/rec --min-bytes $MIB64 --lost none
cat /tmp/t.out | sed -n 's/^verified /@@# verified /p'
# The metadata goes to the host, which validates it against the SigMF schema.
for f in /tmp/rec/*.sigmf-meta; do
	echo "@@FILE-BEGIN record/${f##*/}"
	cat "$f"
	echo
	echo "@@FILE-END"
done
bytes=$(sed -n 's/.* bytes=\([0-9]*\) .*/\1/p' /tmp/t.out)
echo "@@FIGURE chain bytes=$bytes ns=$((t1 - t0)) bytes_per_s=$(rate ${bytes:-0} $t0 $t1)"
rm -rf /tmp/rec
dmesg_clean "after the 64 MiB recording"
}

# --- the same DMAs without daqd -----------------------------------------------------
part_bare() {
echo "@@MARK bare_start"
t "bare: the edu DMA loop (staging -> edu -> ring, 2048-byte transfers) for 8 MiB" \
	sh -c "chaincheck bare uio0 8388608 >/tmp/bare.out"
echo "@@MARK bare_end"
grep '^@@FIGURE' /tmp/bare.out
}

# --- interrupt-to-wakeup latency --------------------------------------------------
part_latency() {
t "latency: 200 raised interrupts through the stub, 200 eventfd ping-pongs" \
	sh -c "chaincheck latency uio0 200 >/tmp/lat.out"
grep '^@@FIGURE' /tmp/lat.out
}

# --- SIGTERM mid-recording: clean stop, complete files ------------------------------
part_signals() {
mkdir -p /tmp/term
daqd $daqd_common --rate 1M --output /tmp/term >/tmp/daqd.log 2>&1 &
pid=$!
sleep 5
kill -TERM $pid
wait $pid
rc=$?
if [ $rc = 0 ]; then ok "sigterm: daqd stops with status 0"; else notok "sigterm: daqd stops with status 0 (status $rc)"; show_log /tmp/daqd.log; fi
t "sigterm: the recording is complete, valid and exact" chaincheck verify /tmp/term --lost none --min-bytes 1
rm -rf /tmp/term

# --- SIGKILL mid-recording: files stay valid --------------------------------------
mkdir -p /tmp/kill
daqd $daqd_common --rate 1M --output /tmp/kill --flush-interval 500ms >/tmp/daqd.log 2>&1 &
pid=$!
sleep 5
kill -KILL $pid
wait $pid
t "sigkill: the recording up to the last metadata refresh is valid and exact" \
	chaincheck verify /tmp/kill --lost none --open-ok --min-bytes 1
rm -rf /tmp/kill
# A killed process may leave a transfer running: the next open waits for it.
t "sigkill: the device records again afterwards" sh -c \
	"mkdir -p /tmp/again && daqd $daqd_common --rate 1M --duration 100ms --output /tmp/again >/tmp/daqd.log 2>&1 && chaincheck verify /tmp/again --lost none --min-bytes 800000"
rm -rf /tmp/again
dmesg_clean "after SIGTERM and SIGKILL"
}

# --- overflow: a ring too small for a stalled consumer ----------------------------
# 68 KiB with 4 KiB chunks: the last chunk stages, which leaves the 64 KiB
# minimum for the ring, 8 frames. At 2 kS/s a frame is due every 0.509 s;
# the stdout reader sleeps 20 s, about 39 frames, of which the ring and the
# 64 KiB pipe hold 16, so whole frames are dropped while both are full,
# then it drains.
part_overflow() {
t "overflow: stub reloaded with a 68 KiB ring" load ring_size=68K chunk_size=4K
mkdir -p /tmp/ovf
daqd $daqd_common --rate 2000 --duration 30s --output /tmp/ovf --stdout 2>/tmp/daqd.log | (sleep 20; cat >/dev/null)
grep -q "lost" /tmp/daqd.log || show_log /tmp/daqd.log
t "overflow: daqd reports the samples the device dropped" grep -Eq "lost [1-9]|lost_samples[ =:]*[1-9]|[1-9][0-9]* samples lost" /tmp/daqd.log
t "overflow: recording has gaps of whole frames, annotated exactly, samples intact" \
	chaincheck verify /tmp/ovf --lost some --min-bytes 1
sed -n 's/^verified /@@# verified /p' /tmp/t.out
grep -i "lost" /tmp/daqd.log | sed 's/^/@@# daqd: /' | tail -5
rm -rf /tmp/ovf
load
dmesg_clean "after the overflow run"
}

# --- unbind while daqd records ----------------------------------------------------
part_unbind() {
mkdir -p /tmp/unb
daqd $daqd_common --rate 1M --output /tmp/unb >/tmp/daqd.log 2>&1 &
pid=$!
sleep 4
echo $EDU >/sys/bus/pci/drivers/uio_daq/unbind
wait $pid
rc=$?
if [ $rc = 1 ]; then ok "unbind: daqd exits with status 1 (device failed), not a crash"; else notok "unbind: daqd exits with status 1 (status $rc)"; show_log /tmp/daqd.log; fi
t "unbind: daqd reports the device gone" grep -q "device is gone" /tmp/daqd.log
t "unbind: the recording stays valid" chaincheck verify /tmp/unb --lost none --min-bytes 1
t "unbind: edu rebinds" sh -c "echo $EDU >/sys/bus/pci/drivers/uio_daq/bind && sleep 0.5 && test -e /sys/class/uio/uio0/maps/map2"
t "unbind: uio_daq unloads" rmmod uio_daq
dmesg_clean "after the unbind"
}

# run-chain.py --only writes the parts to run into /etc/chain-parts.
PARTS="record bare latency signals overflow unbind"
[ -f /etc/chain-parts ] && PARTS=$(cat /etc/chain-parts)
for p in $PARTS; do
	part_$p
done

echo "@@DMESG-BEGIN"
cat /tmp/dmesg.all
echo "@@DMESG-END"
echo "@@END"
poweroff -f
