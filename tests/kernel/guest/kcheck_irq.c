// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupts through the stub: edu raises its interrupt on request (IRQ
 * RAISE register) and after a DMA; the test counts UIO events, acknowledges
 * edu (the stub cannot) and re-arms with a write of 1 to the node, which
 * INTx needs and MSI tolerates.
 */
#include "kcheck.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edu.h"

/* Wait for one event: 1 with *count set, 0 on timeout, -errno. */
static int wait_event(int fd, int timeout_ms, uint32_t *count)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return -errno;
	if (!n)
		return 0;
	if (read(fd, count, sizeof(*count)) != (ssize_t)sizeof(*count))
		return -errno;
	return 1;
}

static int irq_enable(int fd, uint32_t on)
{
	return write(fd, &on, sizeof(on)) == (ssize_t)sizeof(on) ? 0 : -errno;
}

/* irq <uioN> <count> <msi|intx> */
int cmd_irq(int argc, char **argv)
{
	uint32_t last = 0, cnt = 0, status;
	unsigned int i, n, bad = 0;
	bool intx, mode_ok;
	char line[512];
	struct kdev d;
	FILE *f;
	int r;

	if (argc != 4)
		return !check(false, "irq: usage: irq uioN count msi|intx");
	n = (unsigned int)strtoul(argv[2], NULL, 0);
	intx = !strcmp(argv[3], "intx");
	if (kdev_open(&d, argv[1]) || kdev_map_all(&d)) {
		kdev_close(&d);
		return !check(false, "irq: %s maps", argv[1]);
	}

	/* The interrupt's kind as the kernel reports it. */
	mode_ok = false;
	f = fopen("/proc/interrupts", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "uio_daq"))
			mode_ok = intx ? !strstr(line, "MSI") : !!strstr(line, "MSI");
	}
	if (f)
		fclose(f);
	check(mode_ok, "irq: /proc/interrupts shows a%s interrupt for uio_daq",
	      intx ? "n INTx" : " MSI");

	r = irq_enable(d.fd, 1);
	check(r == 0, "irq: irqcontrol write accepted (%s)", strerror(-r));
	/* Drain nothing: a fresh node has no event pending. */
	r = wait_event(d.fd, 100, &cnt);
	check(r == 0, "irq: no event pending before the first interrupt");

	for (i = 0; i < n; i++) {
		edu_wr32(d.regs, EDU_REG_IRQ_RAISE, 1u << (i % 8));
		r = wait_event(d.fd, 2000, &cnt);
		status = edu_rd32(d.regs, EDU_REG_IRQ_STATUS);
		if (r != 1 || (i && cnt != last + 1) || status != 1u << (i % 8)) {
			note("interrupt %u: wait %d, count %u after %u, status 0x%x",
			     i, r, cnt, last, status);
			bad++;
		}
		last = cnt;
		edu_wr32(d.regs, EDU_REG_IRQ_ACK, status);
		irq_enable(d.fd, 1);
	}
	check(!bad, "irq: %u raised interrupts each counted once (event count %u)", n, last);

	/* A DMA completion interrupt. */
	r = edu_dma(d.regs, d.chunks[0].bus, 0, 64, false, true);
	r = r ? r : wait_event(d.fd, 2000, &cnt);
	status = edu_rd32(d.regs, EDU_REG_IRQ_STATUS);
	check(r == 1 && cnt == last + 1 && status == EDU_IRQ_DMA,
	      "irq: edu DMA completion interrupt forwarded (status 0x%x)", status);
	last = cnt;
	edu_wr32(d.regs, EDU_REG_IRQ_ACK, status);
	irq_enable(d.fd, 1);

	/* Masked: nothing arrives; unmasking delivers what was raised. */
	r = irq_enable(d.fd, 0);
	edu_wr32(d.regs, EDU_REG_IRQ_RAISE, 0x2);
	r = r ? r : wait_event(d.fd, 300, &cnt);
	check(r == 0, "irq: masked with irqcontrol 0, no event (%d)", r);
	irq_enable(d.fd, 1);
	r = wait_event(d.fd, 2000, &cnt);
	check(r == 1 && cnt == last + 1, "irq: unmasking delivers the pending interrupt (count %u)",
	      cnt);
	edu_wr32(d.regs, EDU_REG_IRQ_ACK, edu_rd32(d.regs, EDU_REG_IRQ_STATUS));
	irq_enable(d.fd, 1);
	r = wait_event(d.fd, 300, &cnt);
	check(r == 0, "irq: acknowledged and re-armed, no spurious event");
	kdev_close(&d);
	return check_failures();
}

/* The IRQ number of @uio's device, from sysfs ("" if unreadable). */
static void irq_of(const char *uio, char *buf, size_t len)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/uio/%s/device/irq", uio);
	if (read_file(path, buf, len))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * irq-shared <uioA> <uioB> <count>: two cards on one INTx line. A raises
 * and is left unacknowledged (masked by the stub, its status bit still
 * set); B then raises @count interrupts, each acknowledged and re-armed.
 * Each of B's must arrive once, and none may become an event of A's: a
 * handler that claimed the line whenever A's status bit is set would turn
 * every one of them into a spurious event of A's. A still works after.
 */
int cmd_irq_shared(int argc, char **argv)
{
	uint32_t ca = 0, cb = 0, last = 0, c = 0;
	unsigned int i, n, bad = 0;
	char ia[32], ib[32];
	struct kdev a, b;
	int r;

	if (argc != 4)
		return !check(false, "irq-shared: usage: irq-shared uioA uioB count");
	n = (unsigned int)strtoul(argv[3], NULL, 0);
	if (kdev_open(&a, argv[1]) || kdev_map_all(&a) ||
	    kdev_open(&b, argv[2]) || kdev_map_all(&b)) {
		kdev_close(&a);
		kdev_close(&b);
		return !check(false, "irq-shared: %s and %s map", argv[1], argv[2]);
	}
	irq_of(argv[1], ia, sizeof(ia));
	irq_of(argv[2], ib, sizeof(ib));
	check(ia[0] && !strcmp(ia, ib), "irq-shared: %s and %s share IRQ %s (%s)",
	      argv[1], argv[2], ia, ib);
	irq_enable(a.fd, 1);
	irq_enable(b.fd, 1);

	edu_wr32(a.regs, EDU_REG_IRQ_RAISE, 1);
	r = wait_event(a.fd, 2000, &ca);
	check(r == 1, "irq-shared: %s's interrupt delivered, left unacknowledged", argv[1]);
	for (i = 0; i < n; i++) {
		edu_wr32(b.regs, EDU_REG_IRQ_RAISE, 1u << (i % 8));
		r = wait_event(b.fd, 2000, &cb);
		if (r != 1 || (i && cb != last + 1)) {
			note("interrupt %u of %s: wait %d, count %u after %u", i, argv[2], r,
			     cb, last);
			bad++;
		}
		last = cb;
		edu_wr32(b.regs, EDU_REG_IRQ_ACK, edu_rd32(b.regs, EDU_REG_IRQ_STATUS));
		irq_enable(b.fd, 1);
	}
	check(!bad, "irq-shared: %u interrupts of %s on the shared line each counted once",
	      n, argv[2]);
	r = wait_event(a.fd, 300, &c);
	check(r == 0, "irq-shared: none became an event of the masked %s (%s, count %u after %u)",
	      argv[1], r == 1 ? "got one" : "none", c, ca);
	if (r == 1)
		ca = c;

	/* A still works: acknowledged and re-armed, its next one arrives. */
	edu_wr32(a.regs, EDU_REG_IRQ_ACK, edu_rd32(a.regs, EDU_REG_IRQ_STATUS));
	irq_enable(a.fd, 1);
	edu_wr32(a.regs, EDU_REG_IRQ_RAISE, 2);
	r = wait_event(a.fd, 2000, &c);
	check(r == 1 && c == ca + 1, "irq-shared: %s's next interrupt counted once (%d, count %u)",
	      argv[1], r, c);
	edu_wr32(a.regs, EDU_REG_IRQ_ACK, edu_rd32(a.regs, EDU_REG_IRQ_STATUS));
	irq_enable(a.fd, 1);
	kdev_close(&a);
	kdev_close(&b);
	return check_failures();
}
