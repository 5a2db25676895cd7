/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest check subcommands; each returns the number of failed checks. */
#ifndef KCHECK_H
#define KCHECK_H

#include "kdev.h"

int cmd_maps(int argc, char **argv);
int cmd_badmap(int argc, char **argv);
int cmd_dma(int argc, char **argv);
int cmd_touch(int argc, char **argv);
int cmd_irq(int argc, char **argv);
int cmd_irq_shared(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_revoke_orphan(int argc, char **argv);
int cmd_lib(int argc, char **argv);
int cmd_vmflags(int argc, char **argv);

/* DMA loopback through edu into chunks 0, step, 2*step, ... and the last. */
int loopback(struct kdev *d, size_t step, const char *what);

#endif /* KCHECK_H */
