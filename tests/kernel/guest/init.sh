#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the kernel-suite guests. Runs one phase of checks against uio.ko
# and uio_daq.ko bound to QEMU's edu device, printing "@@ok - ..." /
# "@@not ok - ..." lines that the host (run-guest.py) turns into TAP, then
# the guest's kernel log, then powers off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug

PHASE=main
IOMMU=0
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	udaq.phase=*) PHASE=${arg#udaq.phase=} ;;
	udaq.iommu=*) IOMMU=${arg#udaq.iommu=} ;;
	esac
done
M=/lib/modules
EDU=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ]; then
		EDU=${d##*/}
	fi
done

ok() { echo "@@ok - $*"; }
notok() { echo "@@not ok - $*"; }
# t "description" command...: one check from a shell command's status.
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
# kc subcommand args...: kcheck prints its own checks; its status is a check
# of its own, so a crash before it printed them all cannot pass unnoticed.
kc() {
	local rc
	kcheck "$@"
	rc=$?
	[ $rc = 0 ] || notok "kcheck $* exited with status $rc"
}
# Move the kernel log gathered so far into /tmp/dmesg.all and check that
# this part of it has no warning, oops, leak or corruption report.
dmesg_clean() {
	dmesg -c >/tmp/dmesg.part
	cat /tmp/dmesg.part >>/tmp/dmesg.all
	if grep -E 'WARNING|BUG:|Oops|Call Trace|[Ll]eak|[Cc]orrupt|general protection|UBSAN|KASAN|[Bb]ad page|refcount_t|DMAR: DRHD: handling fault|DMAR: \[DMA|segfault at|traps:' /tmp/dmesg.part >/tmp/dmesg.bad; then
		notok "dmesg clean: $1"
		sed 's/^/@@# /' /tmp/dmesg.bad
	else
		ok "dmesg clean: $1"
	fi
}
wait_uio() {
	local n=0
	while [ ! -e /dev/$1 ] || [ ! -e /sys/class/uio/$1/maps/map2 ]; do
		n=$((n + 1))
		[ $n -gt 100 ] && return 1
		sleep 0.05
	done
}
# Let deferred frees (RCU, IOTLB flush queues, lazy vunmap) finish.
settle() {
	sleep 1
	echo 3 >/proc/sys/vm/drop_caches
}
meminfo_kb() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }
# Where MemFree went, field by field, from a snapshot ($1) to now. PcpFree
# is not in meminfo: free pages parked on the per-CPU lists (zoneinfo's
# pageset counts), which MemFree does not count.
MEMFIELDS="MemFree PcpFree Slab SUnreclaim Percpu PageTables VmallocUsed KernelStack"
mem_kb() {
	if [ "$1" = PcpFree ]; then
		awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo
	else
		meminfo_kb "$1"
	fi
}
# Free memory as the page allocator sees it: MemFree plus the per-CPU lists.
free_kb() { echo $(($(mem_kb MemFree) + $(mem_kb PcpFree))); }
mem_snapshot() {
	local f
	for f in $MEMFIELDS; do printf '%s ' "$(mem_kb $f)"; done
}
mem_delta() {
	local f
	set -- $1
	for f in $MEMFIELDS; do
		printf '%s %+d kB, ' $f $(($(mem_kb $f) - $1))
		shift
	done
}

# The stub's live object counts (udaq_stats.c) as "name=N ...", sorted by name.
STATS=/sys/kernel/debug/uio_daq
counts() {
	local f
	for f in $STATS/*; do
		[ -f "$f" ] && printf '%s=%s ' "${f##*/}" "$(cat "$f")"
	done
}
# expect_counts "when" name=N...: exactly these counts, every other one 0.
# Waits up to 2 s: a process that held a mapping may still be exiting.
expect_counts() {
	local when=$1 want=" " n=0 name got c
	shift
	for name in chunks desc_maps devices irq_vectors mappers ring_pages vma_refs; do
		got=0
		for c in "$@"; do
			[ "${c%%=*}" = $name ] && got=${c#*=}
		done
		want="$want$name=$got "
	done
	want=${want# }
	while :; do
		got=$(counts)
		[ "$got" = "$want" ] && break
		n=$((n + 1))
		[ $n -gt 40 ] && break
		sleep 0.05
	done
	echo "@@# uio_daq objects $when: ${got:-(no $STATS)}"
	if [ "$got" = "$want" ]; then
		ok "uio_daq objects $when: $*${*:+, }all else 0"
	else
		notok "uio_daq objects $when: want $want"
	fi
}
# Unbind every device from uio_daq (the module stays loaded).
unbind_all() {
	local d
	for d in /sys/bus/pci/drivers/uio_daq/0000:*; do
		[ -e "$d" ] && echo "${d##*/}" >/sys/bus/pci/drivers/uio_daq/unbind
	done
}
# The stub's counts with one edu-sized default ring bound (16 MiB in 1 MiB chunks).
BOUND16="devices=1 chunks=16 ring_pages=4096 desc_maps=1 irq_vectors=1"
# master_is <pci address> <0|1>: the Bus Master Enable bit of its command register.
master_is() {
	local cmd
	cmd=$(dd if=/sys/bus/pci/devices/$1/config bs=1 skip=4 count=1 2>/dev/null | od -An -tu1)
	[ $(((cmd >> 2) & 1)) = "$2" ]
}
driver_of() { basename "$(readlink /sys/bus/pci/devices/$1/driver)"; }
reload() { rmmod uio_daq 2>/dev/null; insmod $M/uio_daq.ko "$@" && wait_uio uio0; }

phase_main() {
	t "edu device present ($EDU)" test -n "$EDU"
	t "uio.ko loads" insmod $M/uio.ko
	t "uio_daq.ko loads" insmod $M/uio_daq.ko
	t "uio0 appears with /dev/uio0" wait_uio uio0
	t "edu is bound to uio_daq" test "$(driver_of $EDU)" = uio_daq
	t "UIO name is uio_daq" test "$(cat /sys/class/uio/uio0/name)" = uio_daq
	t "UIO version is 0.1.0" test "$(cat /sys/class/uio/uio0/version)" = 0.1.0
	bar=$(sed -n 1p /sys/bus/pci/devices/$EDU/resource)
	set -- $bar
	t "map0 addr is BAR0 ($1)" test $(($(cat /sys/class/uio/uio0/maps/map0/addr))) -eq $(($1))
	t "map0 size is BAR0's length" test $(($(cat /sys/class/uio/uio0/maps/map0/size))) -eq $(($2 - $1 + 1))
	t "no map3" test ! -e /sys/class/uio/uio0/maps/map3
	# The card may write memory only while its node is open.
	t "bus mastering off while /dev/uio0 is closed" master_is $EDU 0
	exec 3</dev/uio0
	t "bus mastering on while /dev/uio0 is open" master_is $EDU 1
	exec 4</dev/uio0
	exec 3<&-
	t "bus mastering stays on while another open remains" master_is $EDU 1
	exec 4<&-
	t "bus mastering off again once the node is closed" master_is $EDU 0
	expect_counts "bound, nothing mapped" $BOUND16
	kc maps uio0 0x1000000 28 $IOMMU
	kc badmap uio0
	kc dma uio0 1
	kc lib uio0
	# GUP-fast (vmsplice) does not look at VM_IO. 6.12 sends order-0
	# pages without a mapping (the stub's) to the slow path, which refuses
	# them; 6.1 and 7.3 take references (docs/kernel.md, "Direct I/O").
	case "$(uname -r)" in
	6.12.*) gupfast=efault ;;
	*) gupfast=refs ;;
	esac
	kc vmflags uio0 $gupfast
	kc irq uio0 20 msi
	kc touch uio0 populated
	dmesg_clean "load, maps, DMA, MSI"

	t "reload with populate=0" reload populate=0
	kc touch uio0 lazy
	kc revoke uio0 $EDU unbind
	expect_counts "after an unbind while mapped (populate=0)"
	t "rebind after unbind (populate=0)" sh -c "echo $EDU > /sys/bus/pci/drivers/uio_daq/bind"
	t "uio0 back after rebind" wait_uio uio0
	t "reload with populate=1" reload
	kc revoke uio0 $EDU unbind
	expect_counts "after an unbind while mapped"
	t "rebind after unbind" sh -c "echo $EDU > /sys/bus/pci/drivers/uio_daq/bind"
	t "uio0 back after rebind" wait_uio uio0
	kc revoke uio0 $EDU remove
	expect_counts "after a remove while mapped"
	t "rescan finds edu again" sh -c "echo 1 > /sys/bus/pci/rescan"
	t "uio0 back after remove and rescan" wait_uio uio0
	kc revoke-orphan uio0 $EDU
	expect_counts "after the orphan revoke"
	t "rebind after the orphan revoke" sh -c "echo $EDU > /sys/bus/pci/drivers/uio_daq/bind"
	t "uio0 back after the orphan revoke" wait_uio uio0
	kc dma uio0 5
	dmesg_clean "unbind and remove while mapped"

	t "reload with force_intx=1" reload force_intx=1
	expect_counts "bound with INTx" $BOUND16
	kc irq uio0 20 intx
	kc dma uio0 7
	dmesg_clean "INTx"

	# Ring shapes: the minimum ring, a partial last chunk, the most chunks
	# (4096) and one more.
	t "reload with the minimum ring (64 KiB in 4 KiB chunks)" reload ring_size=64K chunk_size=4K
	expect_counts "with the minimum ring" devices=1 chunks=16 ring_pages=16 desc_maps=1 irq_vectors=1
	kc maps uio0 0x10000 28 $IOMMU
	kc dma uio0 1
	t "reload with a partial last chunk (1 MiB + 4 KiB in 64 KiB chunks)" reload ring_size=1052672 chunk_size=64K
	expect_counts "with a partial last chunk" devices=1 chunks=17 ring_pages=257 desc_maps=1 irq_vectors=1
	kc maps uio0 0x101000 28 $IOMMU
	kc dma uio0 1
	t "reload with 4096 chunks (16 MiB in 4 KiB chunks)" reload ring_size=16M chunk_size=4K
	expect_counts "with 4096 chunks" devices=1 chunks=4096 ring_pages=4096 desc_maps=1 irq_vectors=1
	kc maps uio0 0x1000000 28 $IOMMU
	kc dma uio0 255
	rmmod uio_daq
	dmesg -c >>/tmp/dmesg.all
	t "probe refuses 4097 chunks (16 MiB + 4 KiB in 4 KiB chunks)" sh -c "insmod $M/uio_daq.ko ring_size=16781312 chunk_size=4K && ! test -e /sys/class/uio/uio0"
	t "the error names the chunk limit" sh -c "dmesg | grep -q 'ring_size=16781312: more than 4096 chunks of chunk_size=4096'"
	expect_counts "after the probe refused 4097 chunks"
	rmmod uio_daq
	dmesg_clean "ring shapes"

	t "reload with defaults" reload
	exec 3</dev/uio0
	t "rmmod refused while the node is open" sh -c "! rmmod uio_daq"
	exec 3<&-
	t "rmmod once the node is closed" rmmod uio_daq
	# Bad parameters: the module loads, the probe refuses the card, naming them.
	for bad in ring_size=12345 chunk_size=3M dma_bits=12 "ring_size=1G chunk_size=64K" \
		"ring_size=4G chunk_size=4M"; do
		dmesg -c >>/tmp/dmesg.all
		t "probe refuses $bad" sh -c "insmod $M/uio_daq.ko $bad && ! test -e /sys/class/uio/uio0"
		t "the error names ${bad%%=*}" sh -c "dmesg | grep 'uio_daq 0000' | grep -q ': ${bad%%=*}='"
		expect_counts "after the probe refused $bad"
		rmmod uio_daq 2>/dev/null
	done
	# ring_size is capped at 3/4 of RAM (behind an IOMMU a ring close to
	# RAM would take every free page before failing), and the chunk count
	# of a ring_size near ULONG_MAX must not wrap around to a small one.
	dmesg -c >>/tmp/dmesg.all
	t "probe refuses ring_size=200M, over 3/4 of RAM" sh -c "insmod $M/uio_daq.ko ring_size=200M chunk_size=4M && ! test -e /sys/class/uio/uio0"
	t "the error names the 3/4-of-RAM cap" sh -c "dmesg | grep -q 'ring_size=209715200: more than [0-9]* bytes, 3/4 of RAM'"
	rmmod uio_daq 2>/dev/null
	dmesg -c >>/tmp/dmesg.all
	t "probe refuses ring_size=ULONG_MAX-4095 chunk_size=4M" sh -c "insmod $M/uio_daq.ko ring_size=18446744073709547520 chunk_size=4M && ! test -e /sys/class/uio/uio0"
	t "the error counts its chunks without wrapping" sh -c "dmesg | grep -q 'ring_size=18446744073709547520: more than 4096 chunks'"
	expect_counts "after the probe refused a ring_size near ULONG_MAX"
	rmmod uio_daq 2>/dev/null
	# A ring that passes the checks but does not fit in reachable memory:
	# the probe fails part-way and unwinds. Without an IOMMU a 24-bit mask
	# leaves the 16 MiB of ZONE_DMA; behind the IOMMU placement does not
	# matter, so only the up-front checks (above) are exercised there.
	if [ "$IOMMU" = 0 ]; then
		dmesg -c >>/tmp/dmesg.all
		t "32 MiB ring within a 24-bit mask fails to bind" sh -c "insmod $M/uio_daq.ko ring_size=32M chunk_size=1M dma_bits=24; ! test -e /sys/class/uio/uio0"
		t "the failed probe names ring_size and the chunk" sh -c "dmesg | grep -q 'ring_size=33554432: chunk [0-9]* of 32 (1048576 bytes) could not be allocated within the 24-bit DMA mask'"
		expect_counts "after the probe failed part-way"
		rmmod uio_daq 2>/dev/null
	fi
	dmesg -c >>/tmp/dmesg.all

	# new_id: any card can be bound; pci-testdev (1b36:0005) is not in the table.
	t "reload for new_id" reload
	t "new_id binds pci-testdev" sh -c "echo '1b36 0005' > /sys/bus/pci/drivers/uio_daq/new_id"
	t "pci-testdev gets uio1" wait_uio uio1
	t "pci-testdev: 3 maps, regs = its BAR0" sh -c "test \$(cat /sys/class/uio/uio1/maps/map0/name) = regs && test -e /sys/class/uio/uio1/maps/map2"
	expect_counts "with edu and pci-testdev bound" devices=2 chunks=32 ring_pages=8192 desc_maps=2 irq_vectors=1
	t "unbind pci-testdev" sh -c "echo $(basename $(readlink /sys/class/uio/uio1/device)) >/sys/bus/pci/drivers/uio_daq/unbind"
	expect_counts "with pci-testdev unbound again" $BOUND16
	t "rmmod with edu still bound" rmmod uio_daq
	dmesg_clean "new_id, parameter errors"
}

# 100 load/unload cycles. Every other cycle unbinds the device first and
# checks that the stub's counts are back to exactly zero with the module
# still loaded; the others unload it bound, and the module's own check at
# unload (udaq_stats_exit, into dmesg) covers those. Free memory is only
# a coarse bound: behind an IOMMU the per-CPU IOVA caches and IOMMU page
# tables grow for a while, and page cache, slab and deferred frees move it
# by megabytes either way (MemFree alone swings by +-2 MB with the pages
# parked on the per-CPU lists). What it can still catch is a ring (16 MiB)
# lost even once, so it must stay within half a ring.
phase_cycles() {
	t "uio.ko loads" insmod $M/uio.ko
	insmod $M/uio_daq.ko && rmmod uio_daq
	insmod $M/uio_daq.ko && rmmod uio_daq
	settle
	before=$(free_kb)
	snap=$(mem_snapshot)
	bad=0
	badcount=0
	cycle=0
	while [ $cycle -lt 100 ]; do
		if ! insmod $M/uio_daq.ko || ! wait_uio uio0; then
			bad=$((bad + 1))
		elif [ $((cycle % 2)) = 0 ]; then
			got=$(counts)
			want="chunks=16 desc_maps=1 devices=1 irq_vectors=1 mappers=0 ring_pages=4096 vma_refs=0 "
			[ "$got" = "$want" ] || { badcount=$((badcount + 1)); echo "@@# cycle $cycle bound: $got"; }
			unbind_all
			got=$(counts)
			want="chunks=0 desc_maps=0 devices=0 irq_vectors=0 mappers=0 ring_pages=0 vma_refs=0 "
			[ "$got" = "$want" ] || { badcount=$((badcount + 1)); echo "@@# cycle $cycle unbound: $got"; }
		fi
		rmmod uio_daq || bad=$((bad + 1))
		cycle=$((cycle + 1))
		if [ $((cycle % 25)) = 0 ]; then
			settle
			echo "@@# $cycle cycles at $(cut -d' ' -f1 /proc/uptime) s: $(mem_delta "$snap")"
		fi
	done
	after=$(free_kb)
	t "100 load/unload cycles ($bad failed)" test $bad -eq 0
	t "uio_daq objects exact in all 50 unbound cycles (bound: $BOUND16; unbound: all 0)" test $badcount -eq 0
	echo "@@# free memory before ${before} kB, after ${after} kB"
	t "free memory within half a ring over 100 cycles ($before -> $after kB, bound 8192 kB)" test $((before - after)) -lt 8192
	t "no uio device left" sh -c "! ls /sys/class/uio/uio* >/dev/null 2>&1"
	dmesg_clean "100 load/unload cycles"
}

phase_big() {
	t "edu device present ($EDU)" test -n "$EDU"
	t "uio.ko loads" insmod $M/uio.ko
	before=$(free_kb)
	t "uio_daq.ko loads with a 1 GiB ring, 64-bit DMA" insmod $M/uio_daq.ko ring_size=1G chunk_size=4M dma_bits=64
	t "uio0 appears" wait_uio uio0
	t "1 GiB ring in 256 chunks" test $(($(cat /sys/class/uio/uio0/maps/map1/size))) -eq $((1 << 30))
	expect_counts "with the 1 GiB ring bound" devices=1 chunks=256 ring_pages=262144 desc_maps=1 irq_vectors=1
	kc maps uio0 0x40000000 64 $IOMMU
	kc dma uio0 1
	unbind_all
	expect_counts "after the 1 GiB ring is unbound"
	t "rmmod" rmmod uio_daq
	settle
	after=$(free_kb)
	# The first unload may leave IOMMU page tables and IOVA caches behind
	# (kept for reuse); a second load/unload must then return everything.
	echo "@@# free memory before the first 1 GiB load ${before} kB, after its unload ${after} kB"
	snap=$(mem_snapshot)
	insmod $M/uio_daq.ko ring_size=1G chunk_size=4M dma_bits=64 && wait_uio uio0 && rmmod uio_daq
	settle
	again=$(free_kb)
	echo "@@# second 1 GiB load and unload: $(mem_delta "$snap")"
	t "1 GiB returned on the second unload (free memory $after -> $again kB)" test $((after - again)) -lt 4096
	dmesg_clean "1 GiB ring"
}

# Two edu cards on one INTx line (behind one PCI bridge, see run-guest.py),
# both bound to uio_daq with INTx: one masked with its interrupt pending
# must not claim the other's interrupts.
phase_shared() {
	local n=0 d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ] && n=$((n + 1))
	done
	t "two edu devices present ($n)" test $n -eq 2
	t "uio.ko loads" insmod $M/uio.ko
	t "uio_daq.ko loads with force_intx=1" insmod $M/uio_daq.ko force_intx=1
	t "uio0 appears" wait_uio uio0
	t "uio1 appears" wait_uio uio1
	expect_counts "with two cards bound, INTx" devices=2 chunks=32 ring_pages=8192 desc_maps=2 irq_vectors=2
	kc irq-shared uio0 uio1 20
	kc irq-shared uio1 uio0 20
	unbind_all
	expect_counts "after both cards are unbound"
	t "rmmod" rmmod uio_daq
	dmesg_clean "shared INTx"
}

# The uio device of PCI function $1.
uio_of() { ls /sys/bus/pci/devices/$1/uio 2>/dev/null; }
is_edu() { [ "$(cat /sys/bus/pci/devices/$1/vendor)" = 0x1234 ] && [ "$(cat /sys/bus/pci/devices/$1/device)" = 0x11e8 ]; }
# Does the guest have RAM at or above 4 GiB? /proc/iomem pads addresses to
# 8 hex digits, so a 9-digit start is at or above 0x100000000.
ram_above_4g() { grep -Eq '^ *[0-9a-f]{9,}-[0-9a-f]+ : System RAM' /proc/iomem; }

# RAM above 4 GiB (see run-guest.py): edu at 00:04.0 takes 64-bit DMA,
# edu at 00:05.0 only 32-bit (it clamps wider addresses, so DMA to a ring
# outside 4 GiB lands elsewhere). Behind the IOMMU with iommu.forcedac=1
# and iommu.strict=1.
phase_highmem() {
	local e64=0000:00:04.0 e32=0000:00:05.0 u
	t "edu with a 64-bit DMA mask at $e64" is_edu $e64
	t "edu with a 32-bit DMA mask at $e32" is_edu $e32
	t "guest RAM above 4 GiB" ram_above_4g
	grep 'System RAM' /proc/iomem | sed 's/^ */@@# /'
	if [ "$IOMMU" = 1 ]; then
		# Lazy mode would show DMA-FQ (IOTLB flushes deferred).
		echo "@@# iommu_group type: $(cat /sys/bus/pci/devices/$e64/iommu_group/type)"
		t "IOMMU in strict mode (iommu_group type DMA, not DMA-FQ)" \
			test "$(cat /sys/bus/pci/devices/$e64/iommu_group/type)" = DMA
	fi
	t "uio.ko loads" insmod $M/uio.ko
	t "uio_daq.ko loads with 64-bit DMA" insmod $M/uio_daq.ko dma_bits=64
	t "uio0 appears" wait_uio uio0
	t "uio1 appears" wait_uio uio1
	expect_counts "with two cards bound, 64-bit DMA" devices=2 chunks=32 ring_pages=8192 desc_maps=2 irq_vectors=2
	u=$(uio_of $e64)
	kc maps "$u" 0x1000000 64 $IOMMU above4g
	kc dma "$u" 1
	t "rmmod after the 64-bit load" rmmod uio_daq
	t "uio_daq.ko loads with 32-bit DMA" insmod $M/uio_daq.ko dma_bits=32
	t "uio0 appears (32-bit)" wait_uio uio0
	t "uio1 appears (32-bit)" wait_uio uio1
	expect_counts "with two cards bound, 32-bit DMA" devices=2 chunks=32 ring_pages=8192 desc_maps=2 irq_vectors=2
	u=$(uio_of $e32)
	kc maps "$u" 0x1000000 32 $IOMMU
	kc dma "$u" 1
	# Unmaps under strict invalidation, then a new ring through the same card.
	t "unbind the 32-bit card" sh -c "echo $e32 >/sys/bus/pci/drivers/uio_daq/unbind"
	t "rebind the 32-bit card" sh -c "echo $e32 >/sys/bus/pci/drivers/uio_daq/bind"
	u=$(uio_of $e32)
	t "its uio device is back (${u:-none})" wait_uio "${u:-none}"
	kc maps "$u" 0x1000000 32 $IOMMU
	kc dma "$u" 1
	unbind_all
	expect_counts "after both cards are unbound"
	t "rmmod" rmmod uio_daq
	# 64 KiB chunks, small enough for swiotlb to bounce: a chunk allocated
	# outside the mask would be mapped, not refused.
	t "uio_daq.ko loads with 32-bit DMA in 64 KiB chunks" insmod $M/uio_daq.ko dma_bits=32 chunk_size=64K
	t "uio0 appears (64 KiB chunks)" wait_uio uio0
	t "uio1 appears (64 KiB chunks)" wait_uio uio1
	u=$(uio_of $e32)
	kc maps "$u" 0x1000000 32 $IOMMU
	kc dma "$u" 32
	t "rmmod after the 64 KiB chunks" rmmod uio_daq
	dmesg_clean "RAM above 4 GiB, 64- and 32-bit DMA"
}

case "$PHASE" in
main) phase_main ;;
highmem) phase_highmem ;;
shared) phase_shared ;;
cycles) phase_cycles ;;
big) phase_big ;;
*) notok "unknown phase '$PHASE'" ;;
esac
dmesg -c >>/tmp/dmesg.all
echo "@@DMESG-BEGIN"
cat /tmp/dmesg.all
echo "@@DMESG-END"
echo "@@END"
poweroff -f
