#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# QEMU for the chain guests (run-chain.py): run-guest.py's command line plus
# instruction counting with idle time skipped, because edu spends 100 ms of
# virtual time on every DMA transfer. The guest keeps run-guest.py's 256 MiB:
# with more, the 28-bit edu ring falls back to the 16 MiB DMA zone.
exec qemu-system-x86_64 "$@" -icount shift=0,sleep=off
